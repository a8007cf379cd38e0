/**
 * What the gateway reads of market-data (decision 37): GET /v1/assets, /v1/assets/{id},
 * /v1/assets/{id}/history and /v1/prices pass its answers on as the public Asset, PriceHistory and
 * Quote (src/routes/assets.ts, src/http/schemas.ts); GraphQL's asset loader gets several at once;
 * the admin's PUT /v1/admin/simulation/prices/{id} pins and releases a price (src/routes/admin.ts).
 */
import { expects, type Read } from '@simplebank/chassis/testing';
import { marketDataContract } from '@simplebank/market-data/contract';

const ALICE = { customerId: 'c-alice', role: 'customer' } as const;
const ADMIN = { customerId: 'c-admin', role: 'admin' } as const;
const asset = (prefix = ''): Read[] => [
  { path: `${prefix}id`, type: 'string' },
  { path: `${prefix}name`, type: 'string' },
  { path: `${prefix}type`, type: 'string' },
  { path: `${prefix}currency`, type: 'string' },
  { path: `${prefix}price`, type: 'string' },
  { path: `${prefix}updatedAt`, type: 'string' },
];

export default expects(marketDataContract, {
  consumer: 'gateway',
  interactions: [
    {
      description: 'GET /v1/assets/{id} shows an asset',
      as: ALICE,
      call: 'getAsset',
      request: { assetId: 'AAPL' },
      reads: asset(),
    },
    {
      description: 'GET /v1/assets/{id} answers 404 for an unknown asset',
      as: ALICE,
      call: 'getAsset',
      request: { assetId: 'NOPE' },
      error: 'not_found',
    },
    {
      description: 'GET /v1/assets searches by ticker or name',
      as: ALICE,
      call: 'searchAssets',
      request: { q: 'AAPL' },
      reads: [...asset('items[].'), { path: 'nextCursor', type: ['string', 'null'] }],
    },
    {
      description: 'GET /v1/prices shows every current price',
      as: ALICE,
      call: 'getPrices',
      request: {},
      reads: [
        { path: 'items[].assetId', type: 'string' },
        { path: 'items[].price', type: 'string' },
        { path: 'items[].at', type: 'string' },
      ],
    },
    {
      description: "GET /v1/assets/{id}/history charts an asset's prices",
      as: ALICE,
      call: 'getPriceHistory',
      request: { assetId: 'AAPL' },
      reads: [
        { path: 'assetId', type: 'string' },
        { path: 'from', type: 'string' },
        { path: 'to', type: 'string' },
        { path: 'points', type: 'array' },
      ],
    },
    {
      description: 'GraphQL loads assets in batches',
      as: ALICE,
      call: 'getAssets',
      request: { assetIds: ['AAPL'] },
      reads: asset('items[].'),
    },
    {
      description: 'an admin pins a price',
      as: ADMIN,
      call: 'pinPrice',
      request: { assetId: 'AAPL', price: '190.00' },
      reads: asset(),
    },
    {
      description: 'an admin releases a pinned price',
      as: ADMIN,
      call: 'unpinPrice',
      request: { assetId: 'AAPL' },
      reads: asset(),
    },
  ],
});
