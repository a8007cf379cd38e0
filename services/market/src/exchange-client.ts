/** The exchange's HTTP API as market sees it: every answer sorted into accepted, refused or unavailable. */
import { SpanKind, currentContext, isValid, startSpan, type Static } from '@simplebank/chassis';
import { ExchangeOrder } from '@simplebank/exchange/contract';

export type ExchangeOrderView = Static<typeof ExchangeOrder>;

export type ExchangeAnswer =
  | { kind: 'ok'; status: number; order: ExchangeOrderView }
  /** A 4xx the exchange means (not a transient one): the same request would be refused again. */
  | { kind: 'refused'; status: number; body: unknown }
  /** 5xx, a timeout, a refused connection, an unreadable answer: worth retrying later. */
  | { kind: 'unavailable'; reason: string };

const TRANSIENT_4XX = new Set([408, 425, 429]);

export class ExchangeClient {
  constructor(
    private readonly baseUrl: () => string,
    private readonly timeoutMs: number,
  ) {}

  placeOrder(order: { clientOrderId: string; assetId: string; side: 'buy' | 'sell'; quantity: string; limitPrice: string }): Promise<ExchangeAnswer> {
    return this.request('POST', '/orders', order);
  }

  getOrder(id: string): Promise<ExchangeAnswer> {
    return this.request('GET', `/orders/${encodeURIComponent(id)}`);
  }

  cancelOrder(id: string): Promise<ExchangeAnswer> {
    return this.request('POST', `/orders/${encodeURIComponent(id)}/cancel`, {});
  }

  /** One HTTP call in a client span (child of the work at hand), its traceparent sent along. */
  private async request(method: string, path: string, body?: unknown): Promise<ExchangeAnswer> {
    const base = this.baseUrl();
    if (!base || base === '/exchange') return { kind: 'unavailable', reason: 'no exchange address yet' };
    const url = `${base}${path}`;
    const span = startSpan('market', `${method} ${path.replace(/\/orders\/[^/]+/, '/orders/{id}')}`, {
      kind: SpanKind.CLIENT,
      parent: currentContext()?.traceparent,
      attributes: { 'http.request.method': method, 'url.full': url, 'server.address': new URL(url).hostname },
    });
    const answer = await this.send(method, url, span.traceparent, body);
    if ('status' in answer) span.setAttributes({ 'http.response.status_code': answer.status });
    span.end(answer.kind === 'unavailable' ? new Error(answer.reason) : undefined);
    return answer;
  }

  private async send(method: string, url: string, traceparent: string, body?: unknown): Promise<ExchangeAnswer> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { traceparent, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      text = await res.text();
    } catch (err) {
      return { kind: 'unavailable', reason: (err as Error).name === 'TimeoutError' ? 'timeout' : `connection failed: ${(err as Error).message}` };
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status >= 500 || TRANSIENT_4XX.has(res.status)) return { kind: 'unavailable', reason: `HTTP ${res.status}` };
    // A 409 on cancel carries the order (filled): an answer, not a refusal.
    if ((res.ok || res.status === 409) && isValid(ExchangeOrder, parsed)) return { kind: 'ok', status: res.status, order: parsed };
    if (res.ok) return { kind: 'unavailable', reason: `unreadable answer (HTTP ${res.status})` };
    return { kind: 'refused', status: res.status, body: parsed };
  }
}
