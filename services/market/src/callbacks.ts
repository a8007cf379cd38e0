/**
 * The exchange's callbacks: it POSTs `{clientOrderId, exchangeOrderId, status}` here after a fill or
 * a cancel, so market learns of it at once instead of by polling. A callback only makes the job due
 * and wakes the worker, which then reads the order from the exchange and reconciles it as always:
 * the callback's content is never taken as the exchange's word.
 *
 * The route is on market's own HTTP server, which in the all-in-one mode is also the gateway's
 * (public) one: each placement carries a token (an HMAC of the client order id under a secret made
 * at start, known to this process only), and a callback without the right token is refused. After a
 * restart the old tokens no longer match: those callbacks are refused, and the follow-up poll finds
 * the fills instead. Decision 0012.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isValid, validationErrors, type BaseContext } from '@simplebank/chassis';
import { ExchangeCallback } from '@simplebank/exchange/contract';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { marketSettings } from './settings.ts';
import { makeDue } from './store.ts';
import { wakeWorker } from './wake.ts';

export const CALLBACK_PATH = '/market/exchange-callbacks';

const secret = randomBytes(32);

/** The token the exchange must send back with a callback for this order. */
export function callbackToken(orderId: string): string {
  return createHmac('sha256', secret).update(orderId).digest('base64url');
}

function tokenMatches(orderId: string, authorization: string | undefined): boolean {
  const given = Buffer.from(authorization?.startsWith('Bearer ') ? authorization.slice(7) : '');
  const expected = Buffer.from(callbackToken(orderId));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Where the exchange calls back; undefined until this process listens (the follow-up poll covers it). */
export function callbackUrl(ctx: Pick<BaseContext, 'httpAddress'>): string | undefined {
  const configured = marketSettings.value.EXCHANGE_CALLBACK_URL;
  if (configured) return configured;
  const address = ctx.httpAddress();
  return address ? `${address}${CALLBACK_PATH}` : undefined;
}

function problem(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  errors?: Array<{ path: string; message: string }>,
) {
  return reply
    .code(status)
    .type('application/json')
    .send({ status, code, message, ...(errors ? { errors } : {}) });
}

export function marketHttp(app: FastifyInstance, ctx: BaseContext): void {
  app.post(CALLBACK_PATH, async (req, reply) => {
    const body = req.body;
    if (!isValid(ExchangeCallback, body))
      return problem(reply, 400, 'validation_failed', 'Invalid callback', validationErrors(ExchangeCallback, body));
    if (!tokenMatches(body.clientOrderId, req.headers.authorization))
      return problem(reply, 401, 'unauthorized', 'Not a callback for an order placed by this market');
    if (await makeDue(ctx.db, body.clientOrderId)) wakeWorker();
    return reply.code(204).send();
  });
}
