/**
 * Runs the reference programs of this folder as child processes (servers wait for `READY`, clients
 * print one `RESULT {json}` line), each bounded in time and stopped when done.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import amqp from 'amqplib';
import { spawnTs, stopChild } from '../procs.ts';
import { ROOT } from '../system.ts';
import type { LoopResult } from './closed-loop.ts';

const here = (file: string) => join(ROOT, 'bench/src/refs', file);

interface Program {
  child: ChildProcess;
  ready: Promise<string>;
  result: Promise<any>;
  stop(): Promise<void>;
}

/** Starts a reference program; `ready` resolves with what follows READY, `result` with its RESULT. */
export function start(file: string, args: string[], timeoutMs: number): Program {
  let onReady: (detail: string) => void = () => {};
  let onResult: (value: unknown) => void = () => {};
  const tail: string[] = [];
  const child = spawnTs(here(file), args, {
    name: file,
    cwd: ROOT,
    onLine: (line) => {
      if (line.startsWith('READY')) onReady(line.slice(6).trim());
      else if (line.startsWith('RESULT ')) onResult(JSON.parse(line.slice(7)));
      else {
        tail.push(line);
        if (tail.length > 20) tail.shift();
      }
    },
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('exit', (code) =>
      reject(
        new Error(`${file} ${args[0] ?? ''} exited (code ${code}) without its answer: ${tail.join(' | ').slice(-800)}`),
      ),
    );
    setTimeout(
      () => reject(new Error(`${file} ${args[0] ?? ''}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    ).unref();
  });
  failed.catch(() => {});
  const ready = Promise.race([new Promise<string>((r) => (onReady = r)), failed]);
  const result = Promise.race([new Promise((r) => (onResult = r)), failed]);
  ready.catch(() => {});
  result.catch(() => {});
  return { child, ready, result, stop: () => stopChild(child, 5_000) };
}

/** Runs a client program to its RESULT and stops it. */
export async function run(file: string, args: string[], timeoutMs: number): Promise<any> {
  const p = start(file, args, timeoutMs);
  try {
    return await p.result;
  } finally {
    await p.stop();
  }
}

/** True when a broker answers at `url` within a few seconds. */
export async function brokerReachable(url: string): Promise<boolean> {
  try {
    const c = await amqp.connect(url, { timeout: 3_000 });
    c.on('error', () => {});
    await c.close();
    return true;
  } catch {
    return false;
  }
}

async function deleteQueues(url: string, queues: string[]): Promise<void> {
  const c = await amqp.connect(url).catch(() => undefined);
  if (!c) return;
  c.on('error', () => {});
  try {
    const ch = await c.createChannel();
    for (const q of queues) await ch.deleteQueue(q).catch(() => {});
  } finally {
    await c.close().catch(() => {});
  }
}

export interface RpcPair {
  inFlight50: LoopResult;
  inFlight1: LoopResult;
}

/** A server, then one client at 50 in flight and at 1, each `ms` long (after a short warm-up). */
async function rpcPair(file: string, serveArgs: string[], callArgs: string[], ms: number): Promise<RpcPair> {
  const server = start(file, serveArgs, 60_000);
  try {
    await server.ready;
    return await run(file, callArgs, 2 * ms + 60_000);
  } finally {
    await server.stop();
  }
}

export interface EventRun {
  publish: LoopResult;
  consume: { consumed: number; seconds: number; perSec: number; latency: LoopResult['latency'] };
}

async function eventRun(file: string, consumeArgs: string[], publishArgs: string[], ms: number): Promise<EventRun> {
  const consumer = start(file, consumeArgs, ms + 120_000);
  try {
    await consumer.ready;
    const publish = await run(file, publishArgs, ms + 60_000);
    return { publish, consume: await consumer.result };
  } finally {
    await consumer.stop();
  }
}

export interface RabbitReferences {
  rpc: { bare: RpcPair; chassis: RpcPair; moleculer: RpcPair; moleculerTuned: RpcPair };
  events: { bare: EventRun; chassis: EventRun };
}

export async function rabbitReferences(
  url: string,
  seconds: number,
  log: (line: string) => void,
): Promise<RabbitReferences> {
  const id = `bench-${randomBytes(3).toString('hex')}`;
  const ms = String(seconds * 1000);
  const queues = [`${id}.rpc`, `${id}.events`, `rpc.${id}-echo`, `${id}-chassis.events`];
  try {
    log('references: RabbitMQ RPC, bare amqplib');
    const bare = await rpcPair(
      'amqp.ts',
      ['serve', url, `${id}.rpc`],
      ['call', url, `${id}.rpc`, '50,1', ms],
      seconds * 1000,
    );
    log('references: RabbitMQ RPC, the chassis transport');
    const chassis = await rpcPair(
      'chassis.ts',
      ['serve', url, `${id}-echo`],
      ['call', url, `${id}-echo`, '50,1', ms],
      seconds * 1000,
    );
    log('references: RabbitMQ RPC, Moleculer (out of the box, then tuned)');
    const moleculer = await rpcPair(
      'moleculer.ts',
      ['serve', url, `${id}-m`, 'default'],
      ['call', url, `${id}-m`, 'default', '50,1', ms],
      seconds * 1000,
    );
    const moleculerTuned = await rpcPair(
      'moleculer.ts',
      ['serve', url, `${id}-mt`, 'tuned'],
      ['call', url, `${id}-mt`, 'tuned', '50,1', ms],
      seconds * 1000,
    );
    log('references: RabbitMQ events, publish with confirms → consume (bare, then the chassis transport)');
    const bareEvents = await eventRun(
      'amqp.ts',
      ['consume', url, `${id}.events`],
      ['publish', url, `${id}.events`, '100', ms],
      seconds * 1000,
    );
    const type = `${id}.Echo.v1`;
    const chassisEvents = await eventRun(
      'chassis.ts',
      ['consume', url, `${id}-chassis`, type],
      ['publish', url, type, '100', ms],
      seconds * 1000,
    );
    return { rpc: { bare, chassis, moleculer, moleculerTuned }, events: { bare: bareEvents, chassis: chassisEvents } };
  } finally {
    // Durable queues of ours must not stay on the broker (the RPC ones expire by themselves too).
    await deleteQueues(url, queues);
  }
}
