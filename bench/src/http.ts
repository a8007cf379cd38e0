/**
 * The bench's HTTP client: one undici Pool per origin (many keep-alive connections, no pipelining,
 * so that one slow answer never holds up the next request), used for setup, load and references alike.
 */
import { Pool } from 'undici';

export interface Answer<B = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: B;
}

export class Client {
  readonly pool: Pool;

  constructor(
    readonly origin: string,
    connections = 64,
  ) {
    // Bounded waits: a request that gets no headers in 30 s is an error, not a hang.
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
      keepAliveTimeout: 60_000,
    });
  }

  async request<B = any>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer<B>> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await this.pool.request({
      origin: this.origin,
      method: method as 'GET',
      path,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await res.body.text();
    let body: any = text;
    if (text && /json/.test(String(res.headers['content-type'] ?? ''))) {
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
    }
    return { status: res.statusCode, headers: res.headers, body };
  }

  get<B = any>(path: string, token?: string) {
    return this.request<B>('GET', path, token ? { token } : {});
  }

  post<B = any>(path: string, body: unknown, token?: string, headers?: Record<string, string>) {
    return this.request<B>('POST', path, { body, ...(token ? { token } : {}), ...(headers ? { headers } : {}) });
  }

  put<B = any>(path: string, body: unknown, token?: string) {
    return this.request<B>('PUT', path, { body, ...(token ? { token } : {}) });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Throws with the answer in the message unless its status is `expected`. */
export function expect<B>(answer: Answer<B>, expected: number, what: string): Answer<B> {
  if (answer.status !== expected)
    throw new Error(`${what}: expected ${expected}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer;
}

/** Runs `fn` over `items` with at most `concurrency` at once; resolves with the results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
