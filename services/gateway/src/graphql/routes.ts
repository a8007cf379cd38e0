/**
 * GraphQL at the gateway (api.md, "GraphQL"): graphql-js behind three Fastify routes.
 *
 * - `POST /graphql` `{query, variables?, operationName?}`: the `authed` guard of /v1 (no valid token:
 *   401 problem details; then the per-customer rate limit), the feature flag `graphql` (off for this
 *   customer: 404 problem details), then parse, validate, the depth and
 *   cost limits (limits.ts) and execution with the caller's identity. A query that cannot run
 *   (syntax, validation, limits, variables) answers 400 with GraphQL's `{errors}`; one that ran
 *   answers 200 `{data, errors?}` — e.g. another customer's account is `null` with a `NOT_FOUND` error.
 *   Errors carry `extensions.code`; faults are not described (INTERNAL_SERVER_ERROR, logged).
 * - `GET /graphql/schema.graphql`: the schema as SDL (public, like the OpenAPI document).
 * - `GET /graphql`: GraphiQL, only when NODE_ENV is not production.
 *
 * Hidden from the OpenAPI document: the SDL is their contract. Every answer carries X-Request-Id
 * (the gateway's onRequest hook).
 */
import { AppError, T, type Static } from '@simplebank/chassis';
import {
  GraphQLError,
  execute,
  parse,
  printSchema,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { who } from '../http/auth.ts';
import { HttpProblem } from '../http/problem.ts';
import { callFor, requestIdOf } from '../http/request-context.ts';
import type { Deps } from '../routes/deps.ts';
import { graphiqlPage } from './graphiql.ts';
import { limitErrors, measure } from './limits.ts';
import { createLoaders, type GraphqlContext } from './loaders.ts';
import { buildGraphqlSchema } from './schema.ts';

export const MAX_QUERY_LENGTH = 20_000;
/** The feature flag of the GraphQL endpoint (config/flags.ts in the chassis). */
export const GRAPHQL_FLAG = 'graphql';

const GraphqlBody = T.Object({
  query: T.String({ minLength: 1, maxLength: MAX_QUERY_LENGTH }),
  variables: T.Optional(T.Union([T.Record(T.String(), T.Unknown()), T.Null()])),
  operationName: T.Optional(T.Union([T.String({ maxLength: 200 }), T.Null()])),
  extensions: T.Optional(T.Union([T.Record(T.String(), T.Unknown()), T.Null()])),
});

/** extensions.code of a service's refusal (`not_found` → NOT_FOUND). */
function codeOf(err: AppError): string {
  switch (err.status) {
    case 400:
      return 'BAD_USER_INPUT';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    default:
      return err.code.toUpperCase();
  }
}

export async function graphqlRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const { ctx } = deps;
  const schema = buildGraphqlSchema();
  const sdl = `${printSchema(schema)}\n`;
  const hide = true;

  /** An error as the answer shows it: a service's refusal with its message and code; a fault described by nothing but its code. */
  const format = (request: FastifyRequest, error: GraphQLError): GraphQLFormattedError => {
    const original = error.originalError;
    const code = error.extensions?.code;
    if (!original || original instanceof GraphQLError || code) return error.toJSON();
    // A refusal, or a service unavailable or out of time (503, 504): said as it is.
    if (original instanceof AppError && original.status !== 500)
      return { ...error.toJSON(), message: original.message, extensions: { code: codeOf(original) } };
    ctx.log.error(
      { err: original, requestId: requestIdOf(request), path: error.path?.join('.') },
      'GraphQL resolver failed',
    );
    return {
      message: 'Internal error',
      ...(error.locations ? { locations: error.locations } : {}),
      ...(error.path ? { path: error.path } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };

  const refuse = (reply: FastifyReply, errors: readonly GraphQLError[]) =>
    reply
      .code(400)
      .type('application/json; charset=utf-8')
      .send({
        errors: errors.map((e) =>
          e.extensions?.code
            ? e.toJSON()
            : { ...e.toJSON(), extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } },
        ),
      });

  app.post<{ Body: Static<typeof GraphqlBody> }>(
    '/graphql',
    { ...deps.authed, schema: { hide, body: GraphqlBody } },
    async (request, reply) => {
      // Behind the feature flag `graphql` (on unless configuration says otherwise): a customer
      // outside its rollout, or everyone when it is switched off, finds no GraphQL endpoint here.
      if (!ctx.flags.isEnabled(GRAPHQL_FLAG, { customerId: who(request).customerId }, { enabled: true })) {
        throw new HttpProblem(404, 'not_found', 'GraphQL is not available to this customer');
      }
      const { query, operationName } = request.body;
      const variables = request.body.variables ?? {};
      let document: DocumentNode;
      try {
        document = parse(query, { maxTokens: 5000 });
      } catch (err) {
        if (err instanceof GraphQLError)
          return refuse(reply, [
            new GraphQLError(err.message, {
              ...(err.source ? { source: err.source } : {}),
              ...(err.positions ? { positions: err.positions } : {}),
              extensions: { code: 'GRAPHQL_PARSE_FAILED' },
            }),
          ]);
        throw err;
      }
      const invalid = validate(schema, document, specifiedRules);
      if (invalid.length > 0) return refuse(reply, invalid);
      const overLimits = limitErrors(measure(schema, document, operationName, variables));
      if (overLimits.length > 0) return refuse(reply, overLimits);

      const call = callFor(ctx, request);
      const contextValue: GraphqlContext = { call, identity: who(request), loaders: createLoaders(call) };
      const result: ExecutionResult = await execute({
        schema,
        document,
        variableValues: variables,
        operationName: operationName ?? null,
        contextValue,
      });
      const errors = result.errors?.map((e) => format(request, e));
      // No data at all: the request could not run (e.g. its variables were wrong), a 400 as GraphQL over HTTP says.
      if (!('data' in result) || result.data === undefined) return refuse(reply, result.errors ?? []);
      return reply.type('application/json; charset=utf-8').send({ data: result.data, ...(errors ? { errors } : {}) });
    },
  );

  app.get('/graphql/schema.graphql', { ...deps.anonymous, schema: { hide } }, async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(sdl),
  );

  if (process.env.NODE_ENV !== 'production') {
    app.get('/graphql', { ...deps.anonymous, schema: { hide } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(graphiqlPage()),
    );
  }
}
