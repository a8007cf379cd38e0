/** POST /v1/auth/signup, login, refresh, logout; the refresh token also travels as an httpOnly cookie (http/refresh-cookie.ts). */
import { AppError, T, type Static } from '@simplebank/chassis';
import { customersContract } from '@simplebank/customers/contract';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problems } from '../http/openapi.ts';
import { HttpProblem } from '../http/problem.ts';
import { clearRefreshCookie, refreshCookie, setRefreshCookie } from '../http/refresh-cookie.ts';
import { GATEWAY_IDENTITY, callFor } from '../http/request-context.ts';
import { Customer, Strict, Tokens } from '../http/schemas.ts';
import type { Deps } from './deps.ts';

const SignupBody = T.Object(
  {
    email: T.String({ format: 'email', maxLength: 254 }),
    password: T.String({ minLength: 10, maxLength: 200, description: 'At least 10 characters' }),
    name: T.String({ minLength: 1, maxLength: 200 }),
  },
  Strict,
);
const LoginBody = T.Object(
  { email: T.String({ minLength: 1, maxLength: 254 }), password: T.String({ minLength: 1, maxLength: 200 }) },
  Strict,
);
const RefreshBody = T.Object(
  {
    refreshToken: T.Optional(
      T.String({
        minLength: 1,
        maxLength: 500,
        description:
          'The refresh token; without it, the `simplebank_refresh` cookie that login, signup and refresh set',
      }),
    ),
  },
  Strict,
);

/** A cookie-only refresh or logout may come with no body at all: it means `{}`. */
async function emptyBodyIsEmptyObject(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/** The refresh token of the body, else of the cookie; neither is a 401. */
function refreshTokenOf(request: FastifyRequest, body: Static<typeof RefreshBody> | undefined): string {
  const token = body?.refreshToken ?? refreshCookie(request);
  if (!token)
    throw new HttpProblem(
      401,
      'invalid_refresh_token',
      'No refresh token: send it in the body, or the cookie that logging in set',
      { 'WWW-Authenticate': 'Bearer realm="simplebank"' },
    );
  return token;
}

/** The customers service's refusals of credentials are 401s at the edge, whatever status it used. */
async function as401<R>(work: Promise<R>, codes: string[]): Promise<R> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AppError && codes.includes(err.code))
      throw new HttpProblem(
        401,
        err.code,
        err.code === 'invalid_credentials' ? 'Wrong email or password' : 'The refresh token is not valid',
        { 'WWW-Authenticate': 'Bearer realm="simplebank"' },
      );
    throw err;
  }
}

export async function authRoutes(instance: FastifyInstance, deps: Deps): Promise<void> {
  const app = instance.withTypeProvider<TypeBoxTypeProvider>();
  const { ctx, tokens, sessions } = deps;
  const tags = ['auth'];

  app.post(
    '/auth/signup',
    {
      ...deps.anonymous,
      schema: {
        tags,
        summary: 'Sign up',
        body: SignupBody,
        response: { 201: T.Object({ customer: Customer, ...Tokens.properties }), ...problems(409) },
      },
    },
    async (request, reply) => {
      const call = callFor(ctx, request, GATEWAY_IDENTITY);
      const customer = await call(customersContract, 'signup', request.body);
      const session = await call(customersContract, 'startSession', { customerId: customer.id });
      const access = await tokens.issue(customer.id, customer.role, session.sessionId);
      reply.code(201).header('Location', '/v1/me');
      setRefreshCookie(request, reply, session.refreshToken, session.expiresAt);
      return {
        customer,
        accessToken: access.accessToken,
        refreshToken: session.refreshToken,
        expiresIn: access.expiresIn,
      };
    },
  );

  app.post(
    '/auth/login',
    {
      ...deps.anonymous,
      schema: { tags, summary: 'Log in', body: LoginBody, response: { 200: Tokens, ...problems(401) } },
    },
    async (request, reply) => {
      const call = callFor(ctx, request, GATEWAY_IDENTITY);
      const who = await as401(call(customersContract, 'verifyCredentials', request.body), ['invalid_credentials']);
      const session = await call(customersContract, 'startSession', { customerId: who.customerId });
      const access = await tokens.issue(who.customerId, who.role, session.sessionId);
      setRefreshCookie(request, reply, session.refreshToken, session.expiresAt);
      return { accessToken: access.accessToken, refreshToken: session.refreshToken, expiresIn: access.expiresIn };
    },
  );

  app.post(
    '/auth/refresh',
    {
      ...deps.anonymous,
      preValidation: [...deps.anonymous.preValidation, emptyBodyIsEmptyObject],
      schema: {
        tags,
        summary: 'New tokens for a refresh token (which rotates), from the body or the cookie',
        body: RefreshBody,
        response: { 200: Tokens, ...problems(401) },
      },
    },
    async (request, reply) => {
      const call = callFor(ctx, request, GATEWAY_IDENTITY);
      let session;
      try {
        session = await as401(
          call(customersContract, 'refreshSession', { refreshToken: refreshTokenOf(request, request.body) }),
          ['invalid_refresh_token', 'not_found'],
        );
      } catch (err) {
        // A refused refresh may have been reuse detection, which revoked a session: check sessions afresh.
        sessions.forgetActive();
        if (err instanceof AppError && err.status === 401) clearRefreshCookie(request, reply);
        throw err;
      }
      const access = await tokens.issue(session.customerId, session.role, session.sessionId);
      setRefreshCookie(request, reply, session.refreshToken, session.expiresAt);
      return { accessToken: access.accessToken, refreshToken: session.refreshToken, expiresIn: access.expiresIn };
    },
  );

  app.post(
    '/auth/logout',
    {
      ...deps.anonymous,
      preValidation: [...deps.anonymous.preValidation, emptyBodyIsEmptyObject],
      schema: {
        tags,
        summary: 'End the session of a refresh token (from the body or the cookie; the cookie is cleared)',
        body: RefreshBody,
        response: { 204: T.Null({ description: 'Logged out' }), ...problems(401) },
      },
    },
    async (request, reply) => {
      clearRefreshCookie(request, reply);
      try {
        await callFor(ctx, request, GATEWAY_IDENTITY)(customersContract, 'endSession', {
          refreshToken: refreshTokenOf(request, request.body),
        });
      } finally {
        sessions.forgetActive(); // this session's access tokens end now, on this gateway
      }
      return reply.code(204).send(null);
    },
  );
}
