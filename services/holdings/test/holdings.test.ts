/** holdings as a component: real PostgreSQL, ledger events delivered, accounts and market-data stubbed. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { NotFoundError, type Consumer, type Identity, type Transport } from '@simplebank/chassis';
import { eventually, startTestService, stubService, type TestService } from '@simplebank/chassis/testing';
import { accountsContract } from '@simplebank/accounts/contract';
import { marketDataContract } from '@simplebank/market-data/contract';
import { transactionsContract } from '@simplebank/transactions/contract';
import { holdingsContract } from '../src/contract.ts';
import { holdingsService } from '../src/service.ts';

const ALICE: Identity = { customerId: 'c-alice', role: 'customer' };
const BOB: Identity = { customerId: 'c-bob', role: 'customer' };
const LEDGER_POSTED = transactionsContract.events.LedgerPosted.type;

/** accounts: each account belongs to its owner; anyone else gets not_found. */
const owners = new Map<string, string>();
const accountsStub = (t: Transport) =>
  stubService(t, accountsContract, {
    getAccount: ({ accountId }, envelope) => {
      const owner = owners.get(accountId);
      const who = envelope.identity;
      if (!owner || !who || (who.role === 'customer' && who.customerId !== owner))
        throw new NotFoundError('Account not found');
      return {
        id: accountId,
        ownerId: owner,
        name: 'Main',
        currency: 'USD' as const,
        status: 'open' as const,
        createdAt: new Date().toISOString(),
      };
    },
    getAccounts: ({ accountIds }, envelope) => {
      const who = envelope.identity;
      return {
        items: accountIds.map((accountId) => {
          const owner = owners.get(accountId);
          if (!owner || !who || (who.role === 'customer' && who.customerId !== owner)) return null;
          return {
            id: accountId,
            ownerId: owner,
            name: 'Main',
            currency: 'USD' as const,
            status: 'open' as const,
            createdAt: new Date().toISOString(),
          };
        }),
      };
    },
  });

/** market-data answering these prices, quoted now or at the time given in quotedAt. */
const prices = new Map<string, string>();
const quotedAt = new Map<string, Date>();
const marketDataStub = (t: Transport) =>
  stubService(t, marketDataContract, {
    getPrices: ({ assetIds }) => ({
      items: (assetIds ?? [])
        .filter((a) => prices.has(a))
        .map((assetId) => ({
          assetId,
          price: prices.get(assetId)!,
          at: (quotedAt.get(assetId) ?? new Date()).toISOString(),
        })),
    }),
  });

type Entry = { asset: string; book: 'available' | 'reserved'; amount: string };
function posting(
  accountId: string,
  kind: string,
  entries: Entry[],
  extra: { price?: string; postingId?: string } = {},
) {
  return {
    postingId: extra.postingId ?? randomUUID(),
    accountId,
    kind,
    at: new Date().toISOString(),
    entries,
    ...(extra.price ? { price: extra.price } : {}),
  };
}

function newAccount(owner: Identity): string {
  const id = `acc-${randomUUID()}`;
  owners.set(id, owner.customerId);
  return id;
}

/** Two buys of AAPL (10 at 100.00, 10 at 101.25) and a sale of 5 at 110.00, as the ledger posts them. */
function tradingHistory(acc: string) {
  return {
    deposit: posting(acc, 'deposit', [{ asset: 'USD', book: 'available', amount: '5000.00' }]),
    reserve1: posting(acc, 'reservation', [
      { asset: 'USD', book: 'available', amount: '-1060.00' },
      { asset: 'USD', book: 'reserved', amount: '1060.00' },
    ]),
    fee1: posting(acc, 'fee', [{ asset: 'USD', book: 'available', amount: '-1.01' }]),
    fill1: posting(
      acc,
      'trade',
      [
        { asset: 'USD', book: 'reserved', amount: '-1060.00' },
        { asset: 'USD', book: 'available', amount: '60.00' },
        { asset: 'AAPL', book: 'available', amount: '10' },
      ],
      { price: '100.00' },
    ),
    reserve2: posting(acc, 'reservation', [
      { asset: 'USD', book: 'available', amount: '-1070.00' },
      { asset: 'USD', book: 'reserved', amount: '1070.00' },
    ]),
    fill2: posting(
      acc,
      'trade',
      [
        { asset: 'USD', book: 'reserved', amount: '-1070.00' },
        { asset: 'USD', book: 'available', amount: '57.50' },
        { asset: 'AAPL', book: 'available', amount: '10' },
      ],
      { price: '101.25' },
    ),
    reserveSell: posting(acc, 'reservation', [
      { asset: 'AAPL', book: 'available', amount: '-5' },
      { asset: 'AAPL', book: 'reserved', amount: '5' },
    ]),
    fillSell: posting(
      acc,
      'trade',
      [
        { asset: 'AAPL', book: 'reserved', amount: '-5' },
        { asset: 'USD', book: 'available', amount: '550.00' },
      ],
      { price: '110.00' },
    ),
  };
}

async function deliverAll(svc: TestService, postings: object[]) {
  for (const p of postings) await svc.deliver(LEDGER_POSTED, p);
}

describe('holdings', () => {
  let svc: TestService;
  let marketData: Consumer | undefined;
  before(async () => {
    svc = await startTestService(holdingsService, { stubs: [accountsStub] });
  });
  after(async () => {
    await marketData?.cancel();
    await svc.stop();
  });
  const startMarketData = async () => {
    marketData = await marketDataStub(svc.transport);
  };
  const stopMarketData = async () => {
    await marketData?.cancel();
    marketData = undefined;
  };
  const holdingsOf = (acc: string, who: Identity = ALICE) =>
    svc.callAs(who)(holdingsContract, 'getHoldings', { accountId: acc });
  /** Holdings read once with market-data up and answering this price for the asset (which caches it); market-data down again after. */
  async function seenLive(acc: string, assetId: string, price: string, at?: Date): Promise<void> {
    prices.set(assetId, price);
    if (at) quotedAt.set(assetId, at);
    await startMarketData();
    try {
      // A read that saw the position asked market-data for its price (and cached what it answered).
      await eventually(async () => (await holdingsOf(acc)).positions.some((p) => p.assetId === assetId));
    } finally {
      await stopMarketData();
      prices.delete(assetId);
    }
  }

  it('projects postings: cash, quantities, reserved quantity, and the average cost exact to the cent', async () => {
    await startMarketData();
    prices.set('AAPL', '120.00');
    try {
      const acc = newAccount(ALICE);
      const h = tradingHistory(acc);
      await deliverAll(svc, [h.deposit, h.reserve1, h.fee1, h.fill1, h.reserve2]);
      let view = await eventually(async () => {
        const v = await holdingsOf(acc);
        return v.cash.reserved === '1070.00' && v.positions.length === 1 ? v : undefined;
      });
      assert.deepEqual(view.cash, { available: '2928.99', reserved: '1070.00' });
      assert.deepEqual(
        view.positions.map((p) => [p.assetId, p.quantity, p.reservedQuantity, p.averageCost]),
        [['AAPL', '10', '0', '100.00']],
      );

      await deliverAll(svc, [h.fill2, h.reserveSell]);
      view = await eventually(async () => {
        const v = await holdingsOf(acc);
        return v.positions[0]?.reservedQuantity === '5' ? v : undefined;
      });
      // 20 held, 5 of them reserved for the sale; (1000.00 + 1012.50) / 20 = 100.625 → 100.63
      assert.deepEqual(
        view.positions.map((p) => [p.quantity, p.reservedQuantity, p.averageCost]),
        [['20', '5', '100.63']],
      );
      assert.deepEqual(view.cash, { available: '2986.49', reserved: '0.00' });

      await deliverAll(svc, [h.fillSell]);
      view = await eventually(async () => {
        const v = await holdingsOf(acc);
        return v.positions[0]?.quantity === '15' ? v : undefined;
      });
      // the sale takes 2012.50 × 5/20 = 503.125 → 503.13 of cost: 1509.37 / 15 = 100.6246… → 100.62
      assert.deepEqual(
        view.positions.map((p) => [p.assetId, p.quantity, p.reservedQuantity, p.averageCost]),
        [['AAPL', '15', '0', '100.62']],
      );
      assert.deepEqual(view.cash, { available: '3536.49', reserved: '0.00' });
      // live valuation at market-data's price
      assert.equal(view.valuation, 'live');
      assert.equal(view.positions[0]!.price, '120.00');
      assert.equal(view.positions[0]!.value, '1800.00');
      assert.equal(view.totalValue, '5336.49');
      assert.equal(view.accountId, acc);
      assert.ok(!Number.isNaN(Date.parse(view.asOf)));
    } finally {
      await stopMarketData();
    }
  });

  it('positions and costs beyond the range of bigint, valued at the largest price, stay exact and readable', async () => {
    await startMarketData();
    prices.set('HUGE', '999999999999999.99');
    try {
      const acc = newAccount(ALICE);
      const buys = Array.from({ length: 10 }, () =>
        posting(acc, 'trade', [{ asset: 'HUGE', book: 'available', amount: '999999999999' }], {
          price: '999999999999999.99',
        }),
      );
      await deliverAll(svc, [posting(acc, 'deposit', [{ asset: 'USD', book: 'available', amount: '1.00' }]), ...buys]);
      // 10 × 999 999 999 999 units = 9 999 999 999 990 000 000 micro-units, more than 2^63 − 1.
      const view = await eventually(async () => {
        const v = await holdingsOf(acc);
        return v.positions[0]?.quantity === '9999999999990' && v.cash.available === '1.00' ? v : undefined;
      });
      assert.deepEqual(
        view.positions.map((p) => [p.assetId, p.quantity, p.averageCost, p.price, p.value]),
        [['HUGE', '9999999999990', '999999999999999.99', '999999999999999.99', '9999999999989999900000000000.10']],
      );
      assert.equal(view.totalValue, '9999999999989999900000000001.10');
    } finally {
      await stopMarketData();
      prices.delete('HUGE');
    }
  });

  it('the same posting delivered twice (same event, or a new event with the same posting id) changes nothing', async () => {
    const acc = newAccount(ALICE);
    const h = tradingHistory(acc);
    const eventId = randomUUID();
    await svc.deliver(LEDGER_POSTED, h.deposit, { id: eventId });
    await svc.deliver(LEDGER_POSTED, h.reserve1);
    await eventually(async () => (await holdingsOf(acc)).cash.reserved === '1060.00');
    const first = await holdingsOf(acc);
    // redelivered envelope, then a replay of the same posting under another envelope id
    await svc.deliver(LEDGER_POSTED, h.deposit, { id: eventId });
    await svc.deliver(LEDGER_POSTED, h.deposit);
    await svc.deliver(LEDGER_POSTED, h.reserve1);
    // a later posting shows the duplicates before it were handled
    await svc.deliver(LEDGER_POSTED, h.fee1);
    const after = await eventually(
      async () => {
        const v = await holdingsOf(acc);
        return v.cash.available === '3938.99' ? v : undefined;
      },
      { message: 'the fee should be the only change' },
    );
    assert.deepEqual(first.cash, { available: '3940.00', reserved: '1060.00' });
    assert.deepEqual(after.cash, { available: '3938.99', reserved: '1060.00' });
    const { rows } = await svc.database.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM applied_postings WHERE account_id = $1',
      [acc],
    );
    assert.equal(rows[0]!.n, '3');
  });

  it('market-data down, a price seen within 5 minutes: stale valuation from the cache', async () => {
    const acc = newAccount(ALICE);
    await deliverAll(svc, [
      posting(acc, 'deposit', [{ asset: 'USD', book: 'available', amount: '5000.00' }]),
      posting(
        acc,
        'trade',
        [
          { asset: 'USD', book: 'available', amount: '-1000.00' },
          { asset: 'TSLA', book: 'available', amount: '10' },
        ],
        { price: '100.00' },
      ),
    ]);
    // Seen once, live (quoted a minute ago): the read caches it.
    await seenLive(acc, 'TSLA', '118.50', new Date(Date.now() - 60_000));
    const view = await eventually(async () => {
      const v = await holdingsOf(acc);
      return v.positions.length === 1 && v.valuation === 'stale' ? v : undefined;
    });
    assert.equal(view.positions[0]!.price, '118.50');
    assert.equal(view.positions[0]!.value, '1185.00');
    assert.equal(view.totalValue, '5185.00'); // 4000.00 cash + 1185.00
  });

  it('market-data too slow: stale, not an error', async () => {
    const acc = newAccount(ALICE);
    await deliverAll(svc, [
      posting(acc, 'trade', [{ asset: 'MSFT', book: 'available', amount: '2' }], { price: '300.00' }),
    ]);
    await seenLive(acc, 'MSFT', '301.00');
    const slow = await stubService(svc.transport, marketDataContract, {
      getPrices: async () => {
        await new Promise((r) => setTimeout(r, 1500));
        return { items: [{ assetId: 'MSFT', price: '999.00', at: new Date().toISOString() }] };
      },
    });
    try {
      const view = await eventually(async () => {
        const v = await holdingsOf(acc);
        return v.positions.length === 1 && v.valuation === 'stale' ? v : undefined;
      });
      assert.equal(view.positions[0]!.price, '301.00');
      assert.equal(view.totalValue, '602.00');
    } finally {
      await slow.cancel();
    }
  });

  it('market-data down and no price cached (or only older than 5 minutes): unavailable, quantities without values', async () => {
    const acc = newAccount(ALICE);
    await deliverAll(svc, [
      posting(acc, 'deposit', [{ asset: 'USD', book: 'available', amount: '100.00' }]),
      posting(acc, 'trade', [{ asset: 'NOCACHE', book: 'available', amount: '3' }], { price: '10.00' }),
      posting(acc, 'trade', [{ asset: 'OLDCACHE', book: 'available', amount: '1' }], { price: '20.00' }),
    ]);
    // OLDCACHE was seen live, but with a quote six minutes old; NOCACHE was never priced.
    await seenLive(acc, 'OLDCACHE', '21.00', new Date(Date.now() - 6 * 60_000));
    const view = await eventually(async () => {
      const v = await holdingsOf(acc);
      return v.positions.length === 2 ? v : undefined;
    });
    assert.equal(view.valuation, 'unavailable');
    assert.equal(view.totalValue, undefined);
    assert.deepEqual(view.positions, [
      { assetId: 'NOCACHE', quantity: '3', reservedQuantity: '0', averageCost: '10.00' },
      { assetId: 'OLDCACHE', quantity: '1', reservedQuantity: '0', averageCost: '20.00' },
    ]);
    assert.deepEqual(view.cash, { available: '100.00', reserved: '0.00' });
  });

  it('caches the prices of a read in one write, and consumes no price events', async () => {
    assert.ok(
      !(holdingsService.handlers ?? []).some((h) => h.message.type === marketDataContract.events.PriceChanged.type),
      'no PriceChanged consumer',
    );
    const acc = newAccount(ALICE);
    await deliverAll(svc, [
      posting(acc, 'trade', [{ asset: 'KO', book: 'available', amount: '1' }], { price: '60.00' }),
      posting(acc, 'trade', [{ asset: 'PEP', book: 'available', amount: '1' }], { price: '170.00' }),
    ]);
    await eventually(async () => (await holdingsOf(acc)).positions.length === 2);
    prices.set('KO', '61.00');
    prices.set('PEP', '171.00');
    await startMarketData();
    try {
      const view = await holdingsOf(acc);
      assert.equal(view.valuation, 'live');
    } finally {
      await stopMarketData();
    }
    const { rows } = await svc.database.db.query<{ asset_id: string; price_cents: string }>(
      "SELECT asset_id, price_cents::text FROM prices WHERE asset_id IN ('KO', 'PEP') ORDER BY asset_id",
    );
    assert.deepEqual(rows, [
      { asset_id: 'KO', price_cents: '6100' },
      { asset_id: 'PEP', price_cents: '17100' },
    ]);
  });

  it("another customer's account, or an unknown one, is not_found", async () => {
    const acc = newAccount(ALICE);
    await deliverAll(svc, [posting(acc, 'deposit', [{ asset: 'USD', book: 'available', amount: '10.00' }])]);
    await eventually(async () => (await holdingsOf(acc)).cash.available === '10.00');
    await assert.rejects(
      holdingsOf(acc, BOB),
      (e: { code?: string; status?: number }) => e.code === 'not_found' && e.status === 404,
    );
    await assert.rejects(holdingsOf('acc-unknown'), (e: { code?: string }) => e.code === 'not_found');
  });

  it("values several accounts in one call, in the order asked, with one price lookup for all their assets; null where not the caller's", async () => {
    const a1 = newAccount(ALICE);
    const a2 = newAccount(ALICE);
    const b = newAccount(BOB);
    await deliverAll(svc, [
      posting(a1, 'deposit', [{ asset: 'USD', book: 'available', amount: '100.00' }]),
      posting(
        a1,
        'trade',
        [
          { asset: 'USD', book: 'available', amount: '-50.00' },
          { asset: 'MSFT', book: 'available', amount: '0.5' },
        ],
        { price: '100.00' },
      ),
      posting(
        a2,
        'trade',
        [
          { asset: 'USD', book: 'available', amount: '-20.00' },
          { asset: 'NVDA', book: 'available', amount: '2' },
        ],
        { price: '10.00' },
      ),
      posting(b, 'deposit', [{ asset: 'USD', book: 'available', amount: '7.00' }]),
    ]);
    prices.set('MSFT', '120.00');
    prices.set('NVDA', '11.00');
    let lookups = 0;
    const md = await stubService(svc.transport, marketDataContract, {
      getPrices: ({ assetIds }) => {
        lookups++;
        return {
          items: (assetIds ?? [])
            .filter((a) => prices.has(a))
            .map((assetId) => ({ assetId, price: prices.get(assetId)!, at: new Date().toISOString() })),
        };
      },
    });
    try {
      await eventually(
        async () => (await holdingsOf(a2)).positions.length === 1 && (await holdingsOf(a1)).positions.length === 1,
      );
      lookups = 0;
      const { items } = await svc.callAs(ALICE)(holdingsContract, 'getHoldingsOf', {
        accountIds: [a2, b, 'acc-unknown', a1],
      });
      assert.equal(lookups, 1, 'one price lookup for every account');
      assert.deepEqual(
        items.map((h) => h?.accountId ?? null),
        [a2, null, null, a1],
      );
      assert.deepEqual(
        items[0]!.positions.map((p) => [p.assetId, p.quantity, p.value]),
        [['NVDA', '2', '22.00']],
      );
      assert.deepEqual(
        items[3]!.positions.map((p) => [p.assetId, p.quantity, p.value]),
        [['MSFT', '0.5', '60.00']],
      );
      assert.equal(items[3]!.cash.available, '50.00');
      assert.equal(items[3]!.valuation, 'live');
      // The same as one account at a time.
      assert.deepEqual({ ...items[3]!, asOf: '' }, { ...(await holdingsOf(a1)), asOf: '' });
    } finally {
      await md.cancel();
      prices.delete('MSFT');
      prices.delete('NVDA');
    }
  });
});
