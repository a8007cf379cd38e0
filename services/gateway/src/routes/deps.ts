/** What every route group gets: the service context, tokens, and the preHandler chains. */
import type { BaseContext } from '@simplebank/chassis';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { TokenIssuer } from '../http/auth.ts';

export type PreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

export interface Deps {
  ctx: BaseContext;
  tokens: TokenIssuer;
  /** Anonymous routes (rate limited per IP). */
  anonymous: PreHandler[];
  /** A valid access token (then rate limited per customer). */
  authed: PreHandler[];
  /** A valid access token of an admin. */
  admin: PreHandler[];
  /** Base URL of the simulated exchange's API (…/exchange). */
  exchangeUrl: () => string;
}

export const bearer = [{ bearer: [] as string[] }];
