/**
 * Access tokens: HS256 JWTs (jose), `sub` = customer id, `role`, a unique `jti`, `sid` = the
 * session (refresh-token family) it was issued for, valid ACCESS_TOKEN_TTL_SECONDS (15 minutes).
 * Refresh tokens are the customers service's sessions. `authenticate` refuses a missing, malformed,
 * forged or expired token, or one whose session has ended (logout, reuse detection; see
 * sessions.ts), with 401; `requireAdmin` refuses a customer with 403.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isValid, type BaseContext } from '@simplebank/chassis';
import { accountsContract } from '@simplebank/accounts/contract';
import { HttpProblem } from './problem.ts';
import { callFor, stateOf, type OwnAccount } from './request-context.ts';
import { Id } from './schemas.ts';

export const ISSUER = 'simplebank';
export const AUDIENCE = 'simplebank-api';

export interface TokenIssuer {
  issue(
    customerId: string,
    role: 'customer' | 'admin',
    sessionId: string,
  ): Promise<{ accessToken: string; expiresIn: number }>;
  verify(
    token: string,
  ): Promise<{ customerId: string; role: 'customer' | 'admin'; sessionId: string; expiresAt: number }>;
}

type Claims = Awaited<ReturnType<TokenIssuer['verify']>>;

/**
 * Tokens already verified, by their exact text, until they expire. A request is authenticated by
 * its token on every call, and the HMAC through WebCrypto was about a fifth of the CPU of a request
 * refused for load (issue 8). A hit is the same token already checked with this key, so it proves
 * the same claims; its expiry is checked on every hit, and the session is still checked per request.
 * Only a token that passed is kept; a forged one is verified (and refused) every time.
 */
const VERIFIED_MAX = 4_096;

export function tokenIssuer(secret: string, ttlSeconds: number): TokenIssuer {
  const key = new TextEncoder().encode(secret);
  const verified = new Map<string, Claims>();
  return {
    async issue(customerId, role, sessionId) {
      const accessToken = await new SignJWT({ role, sid: sessionId })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(customerId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setJti(randomUUID())
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(key);
      return { accessToken, expiresIn: ttlSeconds };
    },
    async verify(token) {
      const known = verified.get(token);
      if (known && Date.now() < known.expiresAt) return known;
      verified.delete(token); // expired: jose refuses it below, with its own code
      const claims = await verifyWithKey(token);
      // The oldest entry goes first: a Map iterates in insertion order.
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
      verified.set(token, claims);
      return claims;
    },
  };

  async function verifyWithKey(token: string): Promise<Claims> {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['sub', 'exp', 'jti', 'sid'],
    });
    const role = payload.role;
    const sid = payload.sid;
    if (
      typeof payload.sub !== 'string' ||
      !payload.sub ||
      (role !== 'customer' && role !== 'admin') ||
      typeof sid !== 'string' ||
      !sid
    )
      throw new Error('token claims are not ours');
    return { customerId: payload.sub, role, sessionId: sid, expiresAt: payload.exp! * 1000 };
  }
}

const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

function unauthorized(message: string): HttpProblem {
  return new HttpProblem(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer realm="simplebank"' });
}

/** preHandler: a valid access token of an active session, or 401. Sets the request's identity. */
export function authenticate(
  tokens: TokenIssuer,
  sessionActive: (sessionId: string, request: FastifyRequest) => Promise<boolean>,
) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    if (!header) throw unauthorized('An access token is required: Authorization: Bearer <accessToken>');
    const m = BEARER.exec(header.trim());
    if (!m) throw unauthorized('The Authorization header must be "Bearer <accessToken>"');
    let who: { customerId: string; role: 'customer' | 'admin'; sessionId: string; expiresAt: number };
    try {
      who = await tokens.verify(m[1]!);
    } catch (err) {
      const expired = (err as { code?: string }).code === 'ERR_JWT_EXPIRED';
      throw unauthorized(expired ? 'The access token has expired: refresh it' : 'The access token is not valid');
    }
    if (!(await sessionActive(who.sessionId, request)))
      throw unauthorized('The session of this access token has ended: log in again');
    const state = stateOf(request);
    state.identity = { customerId: who.customerId, role: who.role };
    state.sessionId = who.sessionId;
    state.expiresAt = who.expiresAt;
  };
}

/**
 * preValidation after `authenticate`: the route's `:accountId` (or the account `where` picks from the
 * request, e.g. from its body) is the caller's own account, or the accounts service's 404 (another
 * customer's account and a missing one look the same). Kept in the request's state for the route
 * (`accountOf`).
 */
export function ownAccount(
  ctx: BaseContext,
  where: (request: FastifyRequest) => unknown = (r) => (r.params as { accountId?: unknown }).accountId,
) {
  return async (request: FastifyRequest): Promise<void> => {
    const accountId = where(request);
    // A malformed id is refused by the route's own validation next (400), and reveals nothing.
    if (!isValid(Id, accountId)) return;
    stateOf(request).account = await callFor(ctx, request)(accountsContract, 'getAccount', { accountId });
  };
}

/** The account the `ownAccount` guard checked. */
export function accountOf(request: FastifyRequest): OwnAccount {
  const account = stateOf(request).account;
  if (!account) throw new Error('accountOf() on a route without the ownAccount guard');
  return account;
}

/** preHandler after `authenticate`: role admin, or 403. */
export async function requireAdmin(request: FastifyRequest): Promise<void> {
  if (stateOf(request).identity?.role !== 'admin') throw new HttpProblem(403, 'forbidden', 'This needs the admin role');
}

/** The authenticated customer (after `authenticate`). */
export function who(request: FastifyRequest): { customerId: string; role: 'customer' | 'admin' | 'system' } {
  const identity = stateOf(request).identity;
  if (!identity) throw unauthorized('An access token is required');
  return identity;
}
