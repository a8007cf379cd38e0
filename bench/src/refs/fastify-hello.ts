/**
 * Reference: bare Fastify on loopback, one hello route, no plugins and no logging — the most this
 * machine's Node serves over HTTP; the gateway's own GET is compared with it.
 * Prints `READY <port>`; runs until killed.
 */
import Fastify from 'fastify';
import { ready } from './closed-loop.ts';

const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
ready(String(typeof address === 'object' && address ? address.port : 0));
