/**
 * What strategy-orders reads of fees (src/saga.ts, step plan): the schedule's minimum and rate,
 * which an investment is sized with so the fees fit in the amount invested.
 */
import { expects } from '@simplebank/chassis/testing';
import { feesContract } from '@simplebank/fees/contract';

export default expects(feesContract, {
  consumer: 'strategy-orders',
  interactions: [
    {
      description: 'an investment is sized with the fees it will pay',
      call: 'getSchedule',
      request: {},
      reads: [
        { path: 'minimum', type: 'string' },
        { path: 'rate', type: 'string' },
      ],
    },
  ],
});
