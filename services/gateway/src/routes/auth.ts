/** POST /v1/auth/signup, login, refresh, logout. */
import { AppError, T, type Static } from '@simplebank/chassis';
import { customersContract } from '@simplebank/customers/contract';
import type { FastifyInstance } from 'fastify';
import { problems } from '../http/openapi.ts';
import { HttpProblem } from '../http/problem.ts';
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
const LoginBody = T.Object({ email: T.String({ minLength: 1, maxLength: 254 }), password: T.String({ minLength: 1, maxLength: 200 }) }, Strict);
const RefreshBody = T.Object({ refreshToken: T.String({ minLength: 1, maxLength: 500 }) }, Strict);

/** The customers service's refusals of credentials are 401s at the edge, whatever status it used. */
async function as401<R>(work: Promise<R>, codes: string[]): Promise<R> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof AppError && codes.includes(err.code)) throw new HttpProblem(401, err.code, err.code === 'invalid_credentials' ? 'Wrong email or password' : 'The refresh token is not valid', { 'WWW-Authenticate': 'Bearer realm="simplebank"' });
    throw err;
  }
}

export async function authRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const { ctx, tokens, sessions } = deps;
  const tags = ['auth'];

  app.post<{ Body: Static<typeof SignupBody> }>(
    '/auth/signup',
    { ...deps.anonymous, schema: { tags, summary: 'Sign up', body: SignupBody, response: { 201: T.Object({ customer: Customer, ...Tokens.properties }), ...problems(409) } } },
    async (request, reply) => {
      const call = callFor(ctx, request, GATEWAY_IDENTITY);
      const customer = await call(customersContract, 'signup', request.body);
      const session = await call(customersContract, 'startSession', { customerId: customer.id });
      const access = await tokens.issue(customer.id, customer.role, session.sessionId);
      reply.code(201).header('Location', '/v1/me');
      return { customer, accessToken: access.accessToken, refreshToken: session.refreshToken, expiresIn: access.expiresIn };
    },
  );

  app.post<{ Body: Static<typeof LoginBody> }>(
    '/auth/login',
    { ...deps.anonymous, schema: { tags, summary: 'Log in', body: LoginBody, response: { 200: Tokens, ...problems(401) } } },
    async (request) => {
      const call = callFor(ctx, request, GATEWAY_IDENTITY);
      const who = await as401(call(customersContract, 'verifyCredentials', request.body), ['invalid_credentials']);
      const session = await call(customersContract, 'startSession', { customerId: who.customerId });
      const access = await tokens.issue(who.customerId, who.role, session.sessionId);
      return { accessToken: access.accessToken, refreshToken: session.refreshToken, expiresIn: access.expiresIn };
    },
  );

  app.post<{ Body: Static<typeof RefreshBody> }>(
    '/auth/refresh',
    { ...deps.anonymous, schema: { tags, summary: 'New tokens for a refresh token (which rotates)', body: RefreshBody, response: { 200: Tokens, ...problems(401) } } },
    async (request) => {
      const call = callFor(ctx, request, GATEWAY_IDENTITY);
      let session;
      try {
        session = await as401(call(customersContract, 'refreshSession', request.body), ['invalid_refresh_token', 'not_found']);
      } catch (err) {
        // A refused refresh may have been reuse detection, which revoked a session: check sessions afresh.
        sessions.forgetActive();
        throw err;
      }
      const access = await tokens.issue(session.customerId, session.role, session.sessionId);
      return { accessToken: access.accessToken, refreshToken: session.refreshToken, expiresIn: access.expiresIn };
    },
  );

  app.post<{ Body: Static<typeof RefreshBody> }>(
    '/auth/logout',
    { ...deps.anonymous, schema: { tags, summary: 'End the session of a refresh token', body: RefreshBody, response: { 204: T.Null({ description: 'Logged out' }), ...problems() } } },
    async (request, reply) => {
      try {
        await callFor(ctx, request, GATEWAY_IDENTITY)(customersContract, 'endSession', request.body);
      } finally {
        sessions.forgetActive(); // this session's access tokens end now, on this gateway
      }
      return reply.code(204).send();
    },
  );
}
