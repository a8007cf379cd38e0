/**
 * What the gateway reads of fees (decision 37): GET /v1/fees/schedule shows the schedule's minimum, rate and
 * the time it is in force from (src/routes/fees.ts `publicSchedule`); the admin's
 * /v1/admin/fees/schedule sets a new one and shows the same (src/routes/admin.ts).
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { feesContract } from '@simplebank/fees/contract';

const schedule: Read[] = [
  { path: 'minimum', type: 'string' },
  { path: 'rate', type: 'string' },
  { path: 'effectiveFrom', type: 'string' },
];

export default expects(feesContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: 'GET /v1/fees/schedule shows the fee schedule',
      as: { customerId: 'c-alice', role: 'customer' },
      call: 'getSchedule',
      request: {},
      reads: schedule,
    },
    {
      description: 'an admin sets a new fee schedule',
      as: { customerId: 'c-admin', role: 'admin' },
      call: 'setSchedule',
      request: { minimum: '1.50', rate: '0.002' },
      reads: schedule,
    },
  ],
});
