/** What every route group gets: the service context, tokens, and the guards of its routes. */
import type { BaseContext } from '@simplebank/chassis';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TokenIssuer } from '../http/auth.ts';
import type { SessionChecks } from '../http/sessions.ts';

export type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * A route's guard, spread into its options: who may call it is decided before its input is
 * validated (authenticate, authorize, then validate: a caller with no token learns nothing of the
 * schema), and the rate limit counts only requests that were valid.
 */
export interface Guard {
  preValidation: PreHandler[];
  preHandler: PreHandler[];
}

export interface Deps {
  ctx: BaseContext;
  tokens: TokenIssuer;
  /** The cache of session checks (logout and refused refreshes forget it). */
  sessions: SessionChecks;
  /** Anonymous routes (rate limited per IP). */
  anonymous: Guard;
  /** A valid access token (then rate limited per customer). */
  authed: Guard;
  /**
   * `authed`, and the `:accountId` of the route is the caller's own account (accounts.getAccount
   * answers not_found for anyone else's: nothing of it is revealed), checked before the input is
   * validated. The route reads the account with `accountOf(request)`.
   */
  ownAccount: Guard;
  /** A valid access token of an admin. */
  admin: Guard;
  /** Base URL of the simulated exchange's API (…/exchange). */
  exchangeUrl: () => string;
}

export const bearer = [{ bearer: [] as string[] }];
