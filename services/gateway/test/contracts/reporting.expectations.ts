/**
 * What the gateway reads of reporting (decision 37): an account's statement for a period (GET
 * /v1/accounts/{id}/statement), the order report (GET /v1/admin/reports/orders, and a customer's own
 * orders), the fee report (GET /v1/admin/reports/fees) and a rebuild of the projections (POST
 * /v1/admin/reports/rebuild): src/routes/reports.ts passes each through, `asOf` as a header too.
 * Verified against reporting by services/reporting/test/consumer-contracts.test.ts; the gateway's
 * stub (test/stubs.ts) by test/stubs-contracts.test.ts.
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { reportingContract } from '@simplebank/reporting/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;
const ADMIN = { customerId: 'c-admin', role: 'admin' } as const;
const PERIOD = { from: '2026-01-01', to: '2027-01-01' };

const asOf: Read = { path: 'asOf', type: ['string', 'null'] };
const strings = (prefix: string, fields: string[]): Read[] =>
  fields.map((field) => ({ path: `${prefix}${field}`, type: 'string' as const }));
const nullable = (prefix: string, fields: string[]): Read[] =>
  fields.map((field) => ({ path: `${prefix}${field}`, type: ['string', 'null'] as const }));

export default expects(reportingContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: "GET /v1/accounts/{id}/statement: the period's opening and closing balances and its lines",
      given: 'a filled buy on an account of the caller',
      as: ALICE,
      call: 'getStatement',
      request: { accountId: 'acc-alice', ...PERIOD },
      reads: [
        ...strings('', ['accountId', 'from', 'to', 'openingBalance', 'closingBalance']),
        ...strings('lines[].', ['at', 'kind', 'description', 'amount', 'balance']),
        asOf,
      ],
    },
    {
      description: "GET /v1/admin/reports/orders: the orders of the period, a page at a time, with the fill's notional",
      given: 'a filled buy on an account of the caller',
      as: ALICE,
      call: 'listOrders',
      request: { accountId: 'acc-alice', ...PERIOD },
      reads: [
        ...strings('items[].', [
          'orderId',
          'accountId',
          'customerId',
          'assetId',
          'side',
          'quantity',
          'status',
          'fee',
          'placedAt',
          'source',
        ]),
        ...nullable('items[].', ['assetName', 'assetType', 'reason', 'fillPrice', 'notional', 'filledAt']),
        { path: 'nextCursor', type: ['string', 'null'] },
        asOf,
      ],
    },
    {
      description: 'GET /v1/admin/reports/fees: fee income by day, side and asset type',
      given: 'a filled buy on an account of the caller',
      as: ADMIN,
      call: 'feeReport',
      request: PERIOD,
      reads: [
        ...strings('', ['from', 'to', 'total']),
        ...strings('items[].', ['day', 'total']),
        ...nullable('items[].', ['side', 'assetType']),
        { path: 'items[].count', type: 'integer' },
        asOf,
      ],
    },
    {
      description: 'POST /v1/admin/reports/rebuild: the projections replayed, with what was replayed',
      as: ADMIN,
      call: 'rebuildProjections',
      request: {},
      reads: [...['events', 'orders', 'fees', 'postings'].map((path) => ({ path, type: 'integer' as const })), asOf],
    },
  ],
});
