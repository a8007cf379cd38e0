/**
 * SimpleBank through its public API, for the bench: the admin (exchange settings), and the customers
 * the load is spread over, each with one funded account.
 */
import { randomBytes } from 'node:crypto';
import { Client, expect, mapLimit, sleep } from './http.ts';

export interface Trader {
  token: string;
  accountId: string;
}

export const ADMIN_EMAIL = process.env.SIMPLEBANK_ADMIN_EMAIL ?? 'admin@simplebank.local';
export const ADMIN_PASSWORD = process.env.SIMPLEBANK_ADMIN_PASSWORD ?? 'simplebank-admin';

/**
 * The admin's access token. The first admin is created by a background worker of `customers`, which
 * may run a moment after readiness (slowly on a busy machine): retried for up to 60 s.
 */
export async function adminToken(client: Client): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await client.post('/v1/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    if (res.status === 200) return res.body.accessToken as string;
    if (Date.now() > deadline) expect(res, 200, 'admin login');
    await sleep(500);
  }
}

/** The simulated exchange at zero latency: what the bench measures is SimpleBank, not the simulation. */
export async function zeroLatencyExchange(client: Client, admin: string): Promise<unknown> {
  const res = expect(
    await client.put(
      '/v1/admin/simulation/exchange',
      { latencyMs: 0, fillDelayMs: 0, failureRate: 0, open: true },
      admin,
    ),
    200,
    'exchange settings',
  );
  return res.body;
}

/** Up to `count` tradable stocks, AAPL first (the figures are on it). */
export async function pickAssets(client: Client, token: string, count: number): Promise<string[]> {
  const res = expect(await client.get('/v1/assets?type=stock&limit=50', token), 200, 'assets');
  const ids = (res.body.items as { id: string }[]).map((a) => a.id);
  const ordered = [...ids.filter((id) => id === 'AAPL'), ...ids.filter((id) => id !== 'AAPL')];
  if (ordered.length === 0) throw new Error('no stock to trade: GET /v1/assets?type=stock answered no items');
  return ordered.slice(0, count);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Signs up `count` customers, opens an account each and deposits `deposit` into it, `concurrency` at
 * a time; waits for each deposit to complete and the cash to show as available (deposits are
 * asynchronous: payments, then the ledger).
 */
export async function setupTraders(
  client: Client,
  count: number,
  deposit: string,
  concurrency: number,
): Promise<Trader[]> {
  const run = randomBytes(4).toString('hex');
  return mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const email = `bench-${run}-${i}@example.test`;
      const signup = expect(
        await client.post('/v1/auth/signup', {
          email,
          password: `pw-${randomBytes(8).toString('hex')}`,
          name: `Bench ${i}`,
        }),
        201,
        'signup',
      );
      const token = signup.body.accessToken as string;
      const account = expect(await client.post('/v1/accounts', { name: 'bench' }, token), 201, 'open account');
      const accountId = account.body.id as string;
      const payment = expect(
        await client.post(
          `/v1/accounts/${accountId}/deposits`,
          { amount: deposit, method: 'card', card: { number: '4242424242424242' } },
          token,
          { 'idempotency-key': `deposit-${run}-${i}` },
        ),
        202,
        'deposit',
      );
      await until(`deposit ${payment.body.id}`, 60_000, async () => {
        const p = await client.get(`/v1/payments/${payment.body.id}`, token);
        if (p.status === 200 && p.body.status === 'failed')
          throw new Error(`deposit failed: ${JSON.stringify(p.body)}`);
        return p.status === 200 && p.body.status === 'completed' ? true : undefined;
      });
      await until(`cash of ${accountId}`, 60_000, async () => {
        const a = await client.get(`/v1/accounts/${accountId}`, token);
        return a.status === 200 && a.body.cash.available === deposit ? true : undefined;
      });
      return { token, accountId };
    },
  );
}
