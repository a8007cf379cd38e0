/**
 * Request validation with the chassis's TypeBox checker instead of Fastify's default Ajv setup,
 * which would strip unknown fields (we refuse them) and coerce a number into a string (we refuse
 * that too). Query strings and path parameters arrive as text: integers among them are converted
 * first. Every failure carries its field errors to the problem details.
 */
import { validationErrors, type FieldError, type TSchema } from '@simplebank/chassis';
import type { FastifySchemaCompiler } from 'fastify';

const KIND = Symbol.for('TypeBox.Kind');

class RequestValidationError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_VALIDATION';
  constructor(
    readonly validationContext: string,
    readonly errors: FieldError[],
  ) {
    super(`Invalid ${PART_NAMES[validationContext] ?? validationContext}`);
  }
}

function schemaType(schema: unknown): string | undefined {
  const s = schema as { type?: unknown; anyOf?: unknown[] } | undefined;
  if (!s) return undefined;
  if (typeof s.type === 'string') return s.type;
  return undefined;
}

/** Numbers in a query string or path: "50" → 50 for integer/number properties; anything else stays text. */
function coerce(schema: TSchema, input: unknown): unknown {
  if (!input || typeof input !== 'object') return input;
  const properties = (schema as { properties?: Record<string, unknown> }).properties ?? {};
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const [name, value] of Object.entries(out)) {
    const type = schemaType(properties[name]);
    if ((type === 'integer' || type === 'number') && typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))
      out[name] = Number(value);
    if (type === 'boolean' && (value === 'true' || value === 'false')) out[name] = value === 'true';
  }
  return out;
}

/** The sub-schema at a JSON pointer such as "/card/number" (properties only). */
function schemaAt(schema: unknown, path: string): Record<string, unknown> | undefined {
  let at = schema as Record<string, unknown> | undefined;
  for (const part of path.split('/').filter(Boolean)) {
    const properties = at?.properties as Record<string, Record<string, unknown>> | undefined;
    at = properties?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (!at) return undefined;
  }
  return at;
}

/** Friendlier messages than the checker's for enumerations and patterns. */
function explain(schema: TSchema, error: FieldError): FieldError {
  const sub = schemaAt(schema, error.path);
  if (!sub) return error;
  const anyOf = sub.anyOf as Array<{ const?: unknown }> | undefined;
  if (error.message === 'Expected union value' && anyOf?.every((o) => o.const !== undefined)) {
    return { path: error.path, message: `Expected one of: ${anyOf.map((o) => JSON.stringify(o.const)).join(', ')}` };
  }
  if (error.message.startsWith('Expected string to match') && typeof sub.description === 'string')
    return {
      path: error.path,
      message: `Expected ${sub.description.charAt(0).toLowerCase()}${sub.description.slice(1)}`,
    };
  return error;
}

/**
 * Where a NUL character hides in a valid value (a JSON pointer), if anywhere. No text of ours may
 * hold one: PostgreSQL refuses it in text, so it would come back as a 500 instead of a 400.
 */
function nulAt(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path || '/' : undefined;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const at = nulAt(v, `${path}/${i}`);
      if (at) return at;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = nulAt(k, `${path}/${k}`) ?? nulAt(v, `${path}/${k}`);
      if (at) return at;
    }
  }
  return undefined;
}

const PART_NAMES: Record<string, string> = { body: 'request body', query: 'query string', params: 'path parameters' };

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  // Headers are checked by the routes themselves (Fastify hands in a lower-cased copy of the schema).
  if (httpPart === 'headers' || !(KIND in (schema as object))) return () => true;
  const part = httpPart === 'querystring' ? 'query' : (httpPart ?? 'body');
  const convert = httpPart === 'querystring' || httpPart === 'params';
  return (data: unknown) => {
    const value = convert ? coerce(schema, data ?? {}) : data;
    const errors = validationErrors(schema, value === null ? undefined : value).map((e) => explain(schema, e));
    if (errors.length > 0) return { error: new RequestValidationError(part, errors) };
    const nul = nulAt(value);
    if (nul)
      return { error: new RequestValidationError(part, [{ path: nul, message: 'must not contain a NUL character' }]) };
    return { value };
  };
};
