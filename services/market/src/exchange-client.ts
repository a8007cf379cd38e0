/**
 * The exchange's HTTP API as market sees it: every answer sorted into accepted, refused or
 * unavailable. Every call goes through the exchange's call policy (timeout, retries of idempotent
 * calls within the deadline, the circuit breaker): while the breaker is open nothing is sent and
 * the answer says when to look again (`retryAt`).
 */
import { SpanKind, currentContext, isValid, startSpan, type CallPolicy, type Static } from '@simplebank/chassis';
import { ExchangeOrder } from '@simplebank/exchange/contract';

export type ExchangeOrderView = Static<typeof ExchangeOrder>;

export type ExchangeAnswer =
  | { kind: 'ok'; status: number; order: ExchangeOrderView }
  /** A 4xx the exchange means (not a transient one): the same request would be refused again. */
  | { kind: 'refused'; status: number; body: unknown }
  /** 5xx, a timeout, a refused connection, an unreadable answer: worth retrying later. */
  | { kind: 'unavailable'; reason: string; retryAt?: number; maybeArrived?: boolean };

const TRANSIENT_4XX = new Set([408, 425, 429]);

export class ExchangeClient {
  constructor(
    private readonly baseUrl: () => string,
    private readonly policy: CallPolicy,
    /** The exchange's API key (decision 0015), sent as a bearer token with every call. */
    private readonly apiKey: string,
  ) {}

  /** Idempotent: the exchange knows the order by our client order id. */
  placeOrder(
    order: { clientOrderId: string; assetId: string; side: 'buy' | 'sell'; quantity: string; limitPrice: string },
    deadline?: number,
  ): Promise<ExchangeAnswer> {
    return this.call('POST', '/orders', order, deadline);
  }

  getOrder(id: string): Promise<ExchangeAnswer> {
    return this.call('GET', `/orders/${encodeURIComponent(id)}`);
  }

  /**
   * Cancels the order we placed with this client order id, for a placement whose answer never came:
   * ok 200 (canceled), ok 409 (filled or rejected: too late), refused 404 (it never arrived).
   */
  cancelByClientOrderId(clientOrderId: string): Promise<ExchangeAnswer> {
    return this.call('POST', `/orders/by-client-id/${encodeURIComponent(clientOrderId)}/cancel`, {});
  }

  /** Idempotent: canceling a canceled order answers the order again. */
  cancelOrder(id: string): Promise<ExchangeAnswer> {
    return this.call('POST', `/orders/${encodeURIComponent(id)}/cancel`, {});
  }

  private async call(method: string, path: string, body?: unknown, deadline?: number): Promise<ExchangeAnswer> {
    const base = this.baseUrl();
    if (!base || base === '/exchange') return { kind: 'unavailable', reason: 'no exchange address yet' };
    // Whether any attempt ended without an answer (timeout, connection reset): that request may
    // have reached the exchange and been acted on there.
    let maybeArrived = false;
    const result = await this.policy.run(
      async (signal) => {
        const a = await this.request(method, `${base}${path}`, path, signal, body);
        if (a.kind === 'unavailable' && a.maybeArrived) maybeArrived = true;
        return a;
      },
      (a) => (a.kind === 'ok' ? 'ok' : a.kind === 'refused' ? 'final' : 'retryable'),
      { idempotent: true, ...(deadline !== undefined ? { deadline } : {}) },
    );
    const unknown = maybeArrived ? { maybeArrived: true } : {};
    if (result.kind === 'answered')
      return result.value.kind === 'unavailable' ? { ...result.value, ...unknown } : result.value;
    if (result.kind === 'breaker_open')
      return {
        kind: 'unavailable',
        reason: result.forced ? 'exchange breaker forced open' : 'exchange breaker open',
        retryAt: result.retryAt,
        ...unknown,
      };
    return { kind: 'unavailable', reason: 'deadline passed', ...unknown };
  }

  /** One HTTP call in a client span (child of the work at hand), its traceparent sent along. */
  private async request(
    method: string,
    url: string,
    path: string,
    signal: AbortSignal,
    body?: unknown,
  ): Promise<ExchangeAnswer> {
    const span = startSpan('market', `${method} ${path.replace(/\/orders\/[^/]+/, '/orders/{id}')}`, {
      kind: SpanKind.CLIENT,
      parent: currentContext()?.traceparent,
      attributes: { 'http.request.method': method, 'url.full': url, 'server.address': new URL(url).hostname },
    });
    const answer = await this.send(method, url, span.traceparent, signal, body);
    if ('status' in answer) span.setAttributes({ 'http.response.status_code': answer.status });
    span.end(answer.kind === 'unavailable' ? new Error(answer.reason) : undefined);
    return answer;
  }

  private async send(
    method: string,
    url: string,
    traceparent: string,
    signal: AbortSignal,
    body?: unknown,
  ): Promise<ExchangeAnswer> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        signal,
        headers: {
          traceparent,
          authorization: `Bearer ${this.apiKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      text = await res.text();
    } catch (err) {
      // No answer: the request may have arrived (conservatively, even for a refused connection).
      return {
        kind: 'unavailable',
        reason: (err as Error).name === 'TimeoutError' ? 'timeout' : `connection failed: ${(err as Error).message}`,
        maybeArrived: true,
      };
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status >= 500 || TRANSIENT_4XX.has(res.status))
      return { kind: 'unavailable', reason: `HTTP ${res.status}` };
    // Our API key refused (EXCHANGE_API_KEY differs, or is being rotated): our configuration's fault,
    // not the order's; retried (and counted by the breaker) like an outage, never a rejection.
    if (res.status === 401 || res.status === 403)
      return { kind: 'unavailable', reason: `HTTP ${res.status}: the exchange refused our API key (EXCHANGE_API_KEY)` };
    // A 409 on cancel carries the order (filled): an answer, not a refusal.
    if ((res.ok || res.status === 409) && isValid(ExchangeOrder, parsed))
      return { kind: 'ok', status: res.status, order: parsed };
    if (res.ok) return { kind: 'unavailable', reason: `unreadable answer (HTTP ${res.status})` };
    return { kind: 'refused', status: res.status, body: parsed };
  }
}
