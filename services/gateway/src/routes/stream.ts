/**
 * GET /v1/stream: the caller's news as Server-Sent Events, as the services publish it — their orders'
 * status changes (`order`) and their payments' outcomes (`payment`). Every gateway instance watches
 * every such event (`ctx.watch`) and passes each one to its own streams of that customer.
 *
 * Authenticated like the rest of the API (Authorization: Bearer; the web app reads the stream with
 * `fetch`, as EventSource cannot send headers). A stream ends when its access token expires or its
 * session ends (checked with each heartbeat): the client reconnects with a fresh token and reads
 * what it missed from the REST API. A comment every 15 s keeps proxies from closing a quiet stream.
 * Streams are bounded per customer and per instance (429 and 503 past them).
 */
import { T } from '@simplebank/chassis';
import { customersContract } from '@simplebank/customers/contract';
import { ordersContract } from '@simplebank/orders/contract';
import { paymentsContract } from '@simplebank/payments/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { who } from '../http/auth.ts';
import { problems } from '../http/openapi.ts';
import { HttpProblem } from '../http/problem.ts';
import { callFor, GATEWAY_IDENTITY, stateOf } from '../http/request-context.ts';
import { bearer, type Deps } from './deps.ts';

export const MAX_STREAMS_PER_CUSTOMER = 5;
export const MAX_STREAMS = 1000;
const HEARTBEAT_MS = 15_000;

interface Stream {
  reply: FastifyReply;
  end(): void;
}

type News = { event: 'order' | 'payment'; id: string; data: Record<string, unknown> };

export async function streamRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const streams = new Map<string, Set<Stream>>();
  let open = 0;
  const send = (customerId: string, news: News) => {
    for (const s of streams.get(customerId) ?? [])
      s.reply.raw.write(`id: ${news.id}\nevent: ${news.event}\ndata: ${JSON.stringify(news.data)}\n\n`);
  };
  await deps.ctx.watch([ordersContract.events.OrderStatusChanged], (d, envelope) => {
    const { customerId: _customer, ...order } = d;
    send(d.customerId, { event: 'order', id: envelope.id, data: order });
  });
  await deps.ctx.watch(
    [paymentsContract.events.PaymentCompleted, paymentsContract.events.PaymentFailed],
    (d, envelope) => {
      const { customerId: _customer, reservationId: _reservation, ...payment } = d as typeof d & { reason?: string };
      const status = envelope.type === paymentsContract.events.PaymentCompleted.type ? 'completed' : 'failed';
      send(d.customerId, { event: 'payment', id: envelope.id, data: { ...payment, status } });
    },
  );
  // A drain ends every stream (their clients reconnect to another instance), so the server can close.
  app.addHook('preClose', async () => {
    for (const set of streams.values()) for (const s of [...set]) s.end();
  });

  app.get(
    '/stream',
    {
      ...deps.authed,
      schema: {
        tags: ['stream'],
        summary:
          'Your news as Server-Sent Events: `order` (an order of yours changed status) and `payment` (a payment of yours completed or failed), as they happen',
        description:
          "Each message has an `id`, an `event` and one line of JSON `data`: for `order`, the order's id, account, asset, side, quantity, status, reason, fill price, fee and time; for `payment`, the payment's id, account, kind, method, amount and `status` (`completed` or `failed`, with `reason`). " +
          'A comment line every 15 s keeps the connection open. The stream ends when the access token expires or the session ends: reconnect with a fresh token, and read what you missed from the REST API. ' +
          `At most ${MAX_STREAMS_PER_CUSTOMER} streams per customer (429 past them).`,
        security: bearer,
        produces: ['text/event-stream'],
        response: {
          200: { description: 'The stream', content: { 'text/event-stream': { schema: T.String() } } },
          ...problems(401),
        },
      },
    },
    async (request, reply) => {
      const { customerId } = who(request);
      const state = stateOf(request);
      const mine = streams.get(customerId) ?? new Set<Stream>();
      if (mine.size >= MAX_STREAMS_PER_CUSTOMER)
        throw new HttpProblem(
          429,
          'too_many_streams',
          `At most ${MAX_STREAMS_PER_CUSTOMER} streams at once per customer: close one first`,
          { 'Retry-After': '15' },
        );
      if (open >= MAX_STREAMS)
        throw new HttpProblem(503, 'overloaded', 'This instance holds as many streams as it can; retry later', {
          'Retry-After': '5',
        });
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': state.requestId,
      });
      reply.raw.write(': SimpleBank news\n\n');
      const stillValid = async (): Promise<boolean> => {
        if (state.expiresAt !== undefined && Date.now() >= state.expiresAt) return false;
        if (!state.sessionId) return true;
        const sessionId = state.sessionId;
        return deps.sessions
          .active(
            sessionId,
            async () =>
              (await callFor(deps.ctx, request, GATEWAY_IDENTITY)(customersContract, 'sessionActive', { sessionId }))
                .active,
          )
          .catch(() => true); // customers unreachable: the token's own expiry still ends the stream
      };
      const heartbeat = setInterval(() => {
        void stillValid().then((valid) => (valid ? reply.raw.write(': heartbeat\n\n') : stream.end()));
      }, HEARTBEAT_MS);
      const expiry =
        state.expiresAt !== undefined
          ? setTimeout(() => stream.end(), Math.min(2 ** 31 - 1, Math.max(0, state.expiresAt - Date.now())))
          : undefined;
      let ended = false;
      const stream: Stream = {
        reply,
        end() {
          if (ended) return;
          ended = true;
          clearInterval(heartbeat);
          if (expiry) clearTimeout(expiry);
          mine.delete(stream);
          if (mine.size === 0) streams.delete(customerId);
          open--;
          reply.raw.end();
        },
      };
      mine.add(stream);
      streams.set(customerId, mine);
      open++;
      reply.raw.once('close', () => stream.end());
    },
  );
}
