/**
 * GET /v1/stream: a customer's news as Server-Sent Events — a deposit's outcome, an order's statuses
 * up to filled — as they happen; nobody else's; a token is needed, and streams are bounded.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { eventually, expectProblem, useSystem, WAIT_MS, type Customer } from './system.ts';

const sys = useSystem();

interface News {
  event: string;
  id: string;
  data: any;
}

/** Opens the customer's stream and collects what comes, until closed. */
async function openStream(c: Customer): Promise<{ news: News[]; status: number; contentType: string; close(): void }> {
  const abort = new AbortController();
  const res = await fetch(`${sys.url}/v1/stream`, {
    headers: { authorization: `Bearer ${c.accessToken}` },
    signal: abort.signal,
  });
  const news: News[] = [];
  if (res.ok && res.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const field = (name: string) =>
              block
                .split('\n')
                .find((l) => l.startsWith(`${name}: `))
                ?.slice(name.length + 2);
            const event = field('event');
            if (event) news.push({ event, id: field('id')!, data: JSON.parse(field('data')!) });
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return { news, status: res.status, contentType: res.headers.get('content-type') ?? '', close: () => abort.abort() };
}

describe('the live stream (GET /v1/stream)', () => {
  const opened: Array<{ close(): void }> = [];
  after(() => {
    for (const s of opened) s.close();
  });

  it("brings the customer's deposit outcome and order statuses up to filled as they happen, and nobody else's", async () => {
    const customer = await sys.bank.signUp();
    const other = await sys.bank.signUp();
    const mine = await openStream(customer);
    const theirs = await openStream(other);
    opened.push(mine, theirs);
    assert.equal(mine.status, 200);
    assert.match(mine.contentType, /^text\/event-stream/);

    const account = await sys.bank.openAccount(customer);
    const deposit = await sys.bank.requestDeposit(customer, account.id, '1000.00', { card: '4242424242424242' });
    const payment = await eventually(
      () => mine.news.find((n) => n.event === 'payment' && n.data.paymentId === deposit.body.id),
      { timeoutMs: WAIT_MS, message: 'the deposit never came on the stream' },
    );
    assert.equal(payment.data.status, 'completed');
    assert.equal(payment.data.amount, '1000.00');
    assert.equal(payment.data.accountId, account.id);
    assert.equal(payment.data.customerId, undefined, 'what the customer knows is not repeated');

    const order = await sys.bank.placeOrder(customer, {
      accountId: account.id,
      assetId: 'AAPL',
      side: 'buy',
      quantity: '1',
    });
    await eventually(
      () => mine.news.some((n) => n.event === 'order' && n.data.orderId === order.id && n.data.status === 'filled'),
      { timeoutMs: WAIT_MS, message: 'the fill never came on the stream' },
    );
    const statuses = mine.news
      .filter((n) => n.event === 'order' && n.data.orderId === order.id)
      .map((n) => n.data.status);
    assert.deepEqual(statuses, ['pending', 'placed', 'filled']);
    const filled = mine.news.find((n) => n.event === 'order' && n.data.status === 'filled')!;
    assert.match(filled.data.fillPrice, /^\d+\.\d{2}$/);
    assert.ok(filled.id, 'every message has an id');

    assert.deepEqual(theirs.news, [], 'another customer sees none of it');
  });

  it('needs a valid token: 401 problem details without one', async () => {
    const res = await sys.http.get('/v1/stream', { token: null });
    expectProblem(res, 401, 'unauthorized');
    const bad = await sys.http.get('/v1/stream', { token: 'not.a.token' });
    expectProblem(bad, 401, 'unauthorized');
  });

  it('holds at most five streams per customer: the sixth is refused with 429 and Retry-After', async () => {
    const customer = await sys.bank.signUp();
    for (let i = 0; i < 5; i++) {
      const s = await openStream(customer);
      opened.push(s);
      assert.equal(s.status, 200);
    }
    const sixth = await customer.http.get('/v1/stream');
    expectProblem(sixth, 429, 'too_many_streams');
    assert.ok(sixth.headers.get('retry-after'));
  });
});
