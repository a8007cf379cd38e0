/** Starting the gateway alone (HTTP on port 0) with every service it calls stubbed at its contract. */
import { randomUUID } from 'node:crypto';
import type { Consumer, Transport } from '@simplebank/chassis';
import { startTestSystem, type TestSystem } from '@simplebank/chassis/testing';
import { SignJWT } from 'jose';
import { gatewayService } from '../src/service.ts';
import { AUDIENCE, ISSUER } from '../src/http/auth.ts';
import { DEVELOPMENT_JWT_SECRET } from '../src/settings.ts';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface Gateway {
  system: TestSystem;
  url: string;
  stub(fn: (t: Transport) => Promise<Consumer>): Promise<Consumer>;
  request(
    method: string,
    path: string,
    options?: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> },
  ): Promise<Answer>;
  stop(): Promise<void>;
}

export async function startGateway(
  stubs: Array<(t: Transport) => Promise<Consumer>> = [],
  environment?: NodeJS.ProcessEnv,
): Promise<Gateway> {
  const system = await startTestSystem([gatewayService], environment ? { environment } : {});
  const consumers: Consumer[] = [];
  for (const s of stubs) consumers.push(await s(system.transport));
  const url = system.runtime.address;
  return {
    system,
    url,
    async stub(fn) {
      const c = await fn(system.transport);
      consumers.push(c);
      return c;
    },
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body: string | undefined;
      if (options.raw !== undefined) body = options.raw;
      else if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, headers: res.headers, body: parsed, text };
    },
    async stop() {
      await Promise.allSettled(consumers.map((c) => c.cancel()));
      await system.stop({ drop: true });
    },
  };
}

/** An access token as the gateway would sign it (or with another secret / an expiry in the past). */
export async function token(
  customerId: string,
  role: 'customer' | 'admin' = 'customer',
  options: { secret?: string; expiresAt?: number; sessionId?: string } = {},
): Promise<string> {
  return new SignJWT({ role, sid: options.sessionId ?? 'sess-test' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(customerId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
    .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 900)
    .sign(new TextEncoder().encode(options.secret ?? DEVELOPMENT_JWT_SECRET));
}
