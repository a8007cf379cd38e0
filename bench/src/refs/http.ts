/**
 * HTTP references, with the same client (undici Pool) and concurrency: bare Fastify's hello route in a
 * child process (the most this machine's Node serves), and one cheap read through SimpleBank's
 * gateway (`GET /v1/assets/AAPL`: authentication, validation, one RPC).
 */
import { Client, expect } from '../http.ts';
import { closedLoop, type LoopResult } from './closed-loop.ts';
import { start } from './run.ts';

async function measure(
  client: Client,
  path: string,
  token: string | undefined,
  concurrency: number,
  seconds: number,
): Promise<LoopResult> {
  const call = async () => {
    const res = await client.get(path, token);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  };
  await closedLoop(concurrency, Math.min(1_000, (seconds * 1000) / 4), call); // warm-up
  return closedLoop(concurrency, seconds * 1000, call);
}

export async function fastifyReference(concurrency: number, seconds: number): Promise<LoopResult> {
  const server = start('fastify-hello.ts', [], 60_000);
  try {
    const port = await server.ready;
    const client = new Client(`http://127.0.0.1:${port}`, concurrency);
    try {
      expect(await client.get('/hello'), 200, 'fastify hello');
      return await measure(client, '/hello', undefined, concurrency, seconds);
    } finally {
      await client.close();
    }
  } finally {
    await server.stop();
  }
}

export async function gatewayReference(
  client: Client,
  token: string,
  assetId: string,
  concurrency: number,
  seconds: number,
): Promise<LoopResult> {
  expect(await client.get(`/v1/assets/${assetId}`, token), 200, `GET /v1/assets/${assetId}`);
  return measure(client, `/v1/assets/${assetId}`, token, concurrency, seconds);
}
