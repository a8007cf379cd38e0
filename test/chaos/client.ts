/**
 * The chaos suite's client: a customer of the bank seen through the public API, retrying what a
 * well-behaved client retries (network errors, 429, 5xx) with the SAME Idempotency-Key, and logging
 * in again when its token is refused. It never gives up before `timeoutMs`; then the request's
 * outcome is "unknown" (and the invariants find out what the bank did with it).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Http, show, type Res } from '../e2e/system.ts';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** What the clients saw on the way (non-final answers counted by status; a sample of the odd ones). */
export class Observed {
  readonly retries: Record<string, number> = {};
  readonly odd: string[] = [];
  note(what: string, res?: Res): void {
    this.retries[what] = (this.retries[what] ?? 0) + 1;
    if (res && res.status !== 503 && res.status !== 429 && this.odd.length < 10) this.odd.push(show(res));
  }
}

export class GaveUp extends Error {}

export interface Client {
  id: string;
  email: string;
  password: string;
  http: Http;
}

/**
 * Sends until a final answer: retries network errors, 429 and 5xx with the same key, honours
 * Retry-After (capped at 2 s), and logs in again once per 401 when `relogin` is given.
 */
export async function untilFinal(
  send: () => Promise<Res>,
  observed: Observed,
  timeoutMs: number,
  relogin?: () => Promise<void>,
): Promise<Res> {
  const deadline = Date.now() + timeoutMs;
  let last = 'nothing';
  let delay = 100;
  while (Date.now() < deadline) {
    try {
      const res = await send();
      if (res.status === 401 && relogin) {
        observed.note('401');
        await relogin().catch(() => undefined);
        continue;
      }
      if (!RETRYABLE.has(res.status)) return res;
      observed.note(String(res.status), res);
      last = show(res);
      const retryAfter = Number(res.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) delay = Math.max(delay, Math.min(retryAfter * 1000, 2000));
    } catch (err) {
      observed.note('network');
      last = (err as Error).message;
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 1000);
  }
  throw new GaveUp(`no final answer in ${timeoutMs} ms; last: ${last}`);
}

export class Session {
  constructor(
    readonly base: string,
    readonly observed: Observed,
    readonly timeoutMs: number,
    public client: Client,
  ) {}

  /** Signs up (retried with one e-mail: a 409 means an earlier try got through, so log in). */
  static async signUp(base: string, observed: Observed, timeoutMs: number, tag: string): Promise<Session> {
    const email = `chaos-${tag}-${randomUUID()}@example.test`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const http = new Http(base);
    const res = await untilFinal(
      () => http.post('/v1/auth/signup', { email, password, name: `Chaos ${tag}` }),
      observed,
      timeoutMs,
    );
    const s = new Session(base, observed, timeoutMs, { id: '', email, password, http });
    if (res.status === 201) {
      s.client = { id: res.body.customer.id, email, password, http: http.as(res.body.accessToken) };
      return s;
    }
    if (res.status !== 409) throw new Error(`signup: ${show(res)}`);
    await s.login();
    const me = await s.call('GET', '/v1/me');
    if (me.status !== 200) throw new Error(`who am I: ${show(me)}`);
    s.client.id = me.body.id;
    return s;
  }

  static async admin(
    base: string,
    observed: Observed,
    timeoutMs: number,
    email: string,
    password: string,
  ): Promise<Session> {
    const s = new Session(base, observed, timeoutMs, { id: 'admin', email, password, http: new Http(base) });
    await s.login();
    return s;
  }

  async login(): Promise<void> {
    const http = new Http(this.base);
    const res = await untilFinal(
      () => http.post('/v1/auth/login', { email: this.client.email, password: this.client.password }),
      this.observed,
      this.timeoutMs,
    );
    if (res.status !== 200) throw new Error(`login of ${this.client.email}: ${show(res)}`);
    this.client = { ...this.client, http: http.as(res.body.accessToken) };
  }

  /** One request until its final answer (throws GaveUp after the timeout). */
  call(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<Res> {
    return untilFinal(
      () =>
        this.client.http.request(method, path, {
          ...(body !== undefined ? { body } : {}),
          ...(idempotencyKey ? { idempotencyKey } : {}),
        }),
      this.observed,
      this.timeoutMs,
      () => this.login(),
    );
  }

  /** Every page of a list endpoint. */
  async all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res: Res = await this.call(
        'GET',
        `${path}${sep}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      if (res.status !== 200) throw new Error(`${path}: ${show(res)}`);
      items.push(...res.body.items);
      cursor = res.body.nextCursor ?? null;
    } while (cursor);
    return items;
  }
}
