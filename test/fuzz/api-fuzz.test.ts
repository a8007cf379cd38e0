/**
 * Property-based fuzzing of the public API, generated from the OpenAPI document the running system
 * serves (GET /v1/openapi.json): every operation in it, so a new route is fuzzed as soon as it is
 * documented. For each operation fast-check builds requests from its JSON Schemas (path, query,
 * headers, body), valid-shaped or mutated (wrong types, odd/huge/negative decimal strings, NUL and
 * control characters, unicode, missing and extra fields, oversized strings, bad path params and
 * cursors, bad query params, garbled JSON, wrong content types, wrong methods), sent with a real
 * customer's token, an admin's (mostly on /v1/admin), another customer's, a garbage one or none.
 *
 * Properties (api.md, quality.md Reliability): never a 5xx (a 503 or a 504 deadline_exceeded with Retry-After aside); every
 * non-2xx answer is problem details (application/problem+json with status and code); every answer
 * carries X-Request-Id; no request hangs; the system is still ready at the end.
 *
 * FUZZ_SEED=<n> reproduces a run (the seed is printed); FUZZ_RUNS=<n> sets the number of requests
 * (default 10000); FUZZ_CONCURRENCY=<n> the requests in flight (default 12: one fast-check runner
 * each, seeded seed+i, so a failure shrinks to one minimal request). FUZZ_REPORT=1 records every
 * violation without failing (for exploring: prints them grouped).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  eventually,
  expectStatus,
  show,
  useSystem,
  type Customer,
} from '../e2e/system.ts';

// The fuzzer sends thousands of requests a minute as one customer: raise the per-customer limit (the
// limiter still runs) so that 429s do not hide the answers of the routes themselves.
process.env.GATEWAY_RATE_LIMIT_PER_MINUTE ??= '1000000';

const sys = useSystem();

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const CONCURRENCY = Math.max(1, Number(process.env.FUZZ_CONCURRENCY ?? 12));
const SEED =
  process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 0x7fffffff);
const REPORT_ONLY = process.env.FUZZ_REPORT === '1';
const REQUEST_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// The OpenAPI document
// ---------------------------------------------------------------------------------------------

type Schema = Record<string, any>;

interface Param {
  in: 'path' | 'query' | 'header';
  name: string;
  required: boolean;
  schema: Schema;
}

interface Operation {
  method: string;
  /** OpenAPI form, `/v1/accounts/{accountId}`. */
  path: string;
  params: Param[];
  body: Schema | undefined;
  secured: boolean;
  admin: boolean;
}

function operationsOf(doc: any): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params: Param[] = [...(item.parameters ?? []), ...(op.parameters ?? [])]
        .map((p: any) => resolve(doc, p))
        .filter((p: any) => ['path', 'query', 'header'].includes(p.in))
        .map((p: any) => ({
          in: p.in,
          name: p.name,
          required: Boolean(p.required),
          schema: resolve(doc, p.schema ?? {}),
        }));
      const body = op.requestBody?.content?.['application/json']?.schema;
      ops.push({
        method: method.toUpperCase(),
        path,
        params,
        body: body ? resolve(doc, body) : undefined,
        secured: Array.isArray(op.security ?? doc.security) && (op.security ?? doc.security).length > 0,
        admin: path.startsWith('/v1/admin/'),
      });
    }
  }
  return ops;
}

/** Follows `$ref`s (local ones: `#/components/...`), one level; nested ones are resolved on use. */
function resolve(doc: any, node: any): any {
  let n = node;
  for (let i = 0; n && typeof n === 'object' && typeof n.$ref === 'string' && i < 20; i++) {
    n = n.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((o: any, k: string) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  }
  return n ?? {};
}

// ---------------------------------------------------------------------------------------------
// What the fuzzer knows of the system: real ids, so that valid-shaped requests reach the services
// ---------------------------------------------------------------------------------------------

interface Known {
  customer: Customer;
  other: Customer;
  adminToken: string;
  /** By parameter or field name: real values (the customer's, the other customer's). */
  ids: Record<string, string[]>;
  cursors: string[];
  refreshTokens: string[];
}

let known: Known;

function idsFor(name: string): string[] {
  const n = name.toLowerCase();
  if (n === 'accountid' || n === 'destinationaccountid') return known.ids.accountId ?? [];
  if (n === 'assetid') return known.ids.assetId ?? [];
  if (n === 'orderid') return known.ids.orderId ?? [];
  if (n === 'paymentid') return known.ids.paymentId ?? [];
  if (n === 'id') return [...(known.ids.notificationId ?? []), ...(known.ids.orderId ?? [])];
  if (n === 'refreshtoken') return known.refreshTokens;
  if (n === 'cursor') return known.cursors;
  if (n === 'email') return [known.customer.email, ADMIN_EMAIL];
  if (n === 'password') return [known.customer.password, ADMIN_PASSWORD];
  return [];
}

// ---------------------------------------------------------------------------------------------
// Values: valid from the schema, and the nasty ones
// ---------------------------------------------------------------------------------------------

/** Some decimal strings every money, quantity, price or rate field should refuse (or take) calmly. */
const ODD_DECIMALS = [
  '-1.00',
  '0.00',
  '-0.00',
  '0',
  '00.10',
  '1.005',
  '1.0000001',
  '1e3',
  '1E+400',
  '1e-7',
  'NaN',
  'Infinity',
  '-Infinity',
  `${'9'.repeat(40)}.99`,
  `${'9'.repeat(15)}.99`,
  `${'9'.repeat(16)}.00`,
  `${'9'.repeat(12)}.999999`,
  '999999999999.999999',
  '1.',
  '.5',
  ' 1.00',
  '1.00 ',
  '+1.00',
  '\uff11.00',
  '\u0663.\u0660\u0660',
  '1,00',
  '1_000.00',
  '0x1F',
  '1.00\u0000',
  '0.000001',
  '0.0000001',
  '1/3',
  '--1',
  '1..0',
  '',
];
/** Strings with NUL, control characters, unicode of every kind, injections, paths. */
const NASTY_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\u0001\u0002\u0003\u001f\u007f',
  '\b\f\n\r\t\v',
  '\u2028\u2029',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\ufeffbom',
  '\u202eRTL',
  '\u200b',
  '😀👍🏽👨‍👩‍👧',
  'Ωμέγα',
  '日本語',
  'ﷺ',
  'a\u0301',
  "'; DROP TABLE accounts; --",
  '" OR 1=1 --',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '%s%n%x',
  '{{7*7}}',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'true',
  ' ',
  '',
];

/** null mostly, the value once in `n` times. */
function rarely<T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: n - 1 }, { arbitrary: arb, weight: 1 });
}

const wrongType = fc.constantFrom<unknown>(
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 53 + 1,
  [],
  [1, 2],
  {},
  { a: 1 },
  '',
  'true',
  '1',
  [null],
);

function longString(max: number | undefined): fc.Arbitrary<string> {
  const sizes = [...new Set([(max ?? 100) + 1, 1000, 10_000, 70_000])];
  return fc
    .tuple(fc.constantFrom(...sizes), fc.constantFrom('a', '9', '\u0000', 'é', '😀'))
    .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));
}

const nastyString = (max?: number): fc.Arbitrary<string> =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 4 },
    { arbitrary: fc.constantFrom(...ODD_DECIMALS), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
    {
      arbitrary: fc.string({
        unit: fc.constantFrom('\u0000', '\u0007', '\u001b', '\ud800', 'a', '😀', '\u0085'),
        maxLength: 20,
      }),
      weight: 1,
    },
    { arbitrary: longString(max), weight: 1 },
  );

const nastyValue = (max?: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: nastyString(max), weight: 3 },
    { arbitrary: wrongType, weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
  );

function patternArb(pattern: string, schema: Schema): fc.Arbitrary<string> {
  const full = new RegExp(pattern, 'u');
  // fast-check builds strings from a regex but knows no lookahead: drop leading (?!…) groups, filter after.
  const simplified = pattern
    .replace(/^\^((?:\(\?![^)]*\)+\)?)+)/, '^')
    .replace(/\(\?![^()]*(?:\([^()]*\)[^()]*)*\)/g, '');
  let arb: fc.Arbitrary<string>;
  try {
    arb = fc.stringMatching(new RegExp(simplified));
  } catch {
    arb = fc.constantFrom(...((schema.examples as string[] | undefined) ?? ['x']));
  }
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Infinity;
  const examples = ((schema.examples as string[] | undefined) ?? []).filter(
    (e) => typeof e === 'string' && full.test(e),
  );
  // The edges: every repetition at its longest, and then every digit a 9 ("999999999999999.99").
  const longest = simplified.replace(/\{(\d+),(\d+)\}/g, '{$2}');
  const edges: string[] = [];
  try {
    for (const sample of fc.sample(fc.stringMatching(new RegExp(longest)), { numRuns: 5, seed: 1 })) {
      for (const candidate of [sample, sample.replace(/[0-8]/g, '9')])
        if (candidate.length >= min && candidate.length <= max && full.test(candidate)) edges.push(candidate);
    }
  } catch {
    // a pattern fast-check cannot build from: no edges
  }
  const generated = arb
    .map((s) => (s.length > max ? s.slice(0, max) : s))
    .filter((s) => s.length >= min && full.test(s));
  const extra = [...new Set([...examples, ...edges])];
  return extra.length > 0
    ? fc.oneof({ arbitrary: generated, weight: 3 }, { arbitrary: fc.constantFrom(...extra), weight: 1 })
    : generated;
}

/** A value valid for the schema (as far as a generator can tell; formats and patterns included). */
/**
 * Valid values the fuzzer keeps small: a simulated exchange told to wait a minute per call would only
 * slow the run down (and rightly make the gateway answer 504 at its deadline), not find a bug.
 */
const CAPPED_MAXIMUM: Record<string, number> = { latencyMs: 20, fillDelayMs: 100 };

function validValue(doc: any, schemaIn: Schema, name = '', depth = 0): fc.Arbitrary<unknown> {
  let schema = resolve(doc, schemaIn);
  if (CAPPED_MAXIMUM[name] !== undefined)
    schema = { ...schema, maximum: Math.min(schema.maximum ?? Infinity, CAPPED_MAXIMUM[name]!) };
  const real = name ? idsFor(name) : [];
  const base = validFromSchema(doc, schema, depth);
  return real.length > 0
    ? fc.oneof({ arbitrary: fc.constantFrom(...real), weight: 4 }, { arbitrary: base, weight: 1 })
    : base;
}

function validFromSchema(doc: any, schema: Schema, depth: number): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  for (const k of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(schema[k]) && schema[k].length > 0)
      return fc.oneof(...schema[k].map((s: Schema) => validValue(doc, s, '', depth + 1)));
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0)
    return validValue(doc, Object.assign({}, ...schema.allOf.map((s: Schema) => resolve(doc, s))), '', depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'email') return fc.emailAddress().filter((e) => e.length <= (schema.maxLength ?? 254));
      if (schema.format === 'date-time')
        return fc
          .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString());
      if (schema.format === 'date')
        return fc
          .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10));
      if (schema.pattern) return patternArb(schema.pattern, schema);
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
    }
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1e6,
        max: schema.maximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return depth > 4
        ? fc.constant([])
        : fc.array(validValue(doc, schema.items ?? {}, '', depth + 1), {
            minLength: schema.minItems ?? 0,
            maxLength: Math.min(schema.maxItems ?? 4, 4),
          });
    case 'object':
    default: {
      const props: Record<string, Schema> = schema.properties ?? {};
      if (Object.keys(props).length === 0) return type === 'object' ? fc.constant({}) : fc.jsonValue({ maxDepth: 2 });
      const required = new Set<string>(schema.required ?? []);
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) model[k] = validValue(doc, s, k, depth + 1);
      return fc.record(model, { requiredKeys: [...required] });
    }
  }
}

/** A value for a field: mostly valid, sometimes nasty. */
function fieldValue(doc: any, schema: Schema, name: string, depth: number): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  return fc.oneof(
    { arbitrary: validValue(doc, s, name, depth), weight: 5 },
    { arbitrary: nastyValue(s.maxLength), weight: 2 },
  );
}

/** A body for the schema: valid-shaped with nasty fields, missing or extra ones, or not an object at all. */
function bodyValue(doc: any, schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  const props: Record<string, Schema> = s.properties ?? {};
  if (s.type !== 'object' || Object.keys(props).length === 0)
    return fc.oneof({ arbitrary: validValue(doc, s, '', depth), weight: 3 }, { arbitrary: nastyValue(), weight: 1 });
  const required = new Set<string>(s.required ?? []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, p] of Object.entries(props)) {
    const ps = resolve(doc, p);
    model[k] =
      ps.type === 'object' && depth < 3
        ? fc.oneof({ arbitrary: bodyValue(doc, ps, depth + 1), weight: 3 }, { arbitrary: nastyValue(), weight: 1 })
        : fieldValue(doc, ps, k, depth + 1);
  }
  const shaped = fc
    .tuple(
      fc.record(model, { requiredKeys: [...required] }),
      // Missing required fields, and extra ones.
      fc.subarray([...required], { maxLength: Math.min(2, required.size) }),
      rarely(
        fc.dictionary(
          fc.constantFrom(
            'extra',
            '__proto__',
            'constructor',
            'id',
            'ownerId',
            'customerId',
            'role',
            'status',
            'x'.repeat(300),
          ),
          fc.jsonValue({ maxDepth: 1 }),
          { maxKeys: 2 },
        ),
        4,
      ),
    )
    .map(([record, drop, extra]) => {
      const out: Record<string, unknown> = { ...(record as object) };
      for (const k of drop) delete out[k];
      if (extra)
        for (const [k, v] of Object.entries(extra))
          Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      return out;
    });
  return fc.oneof(
    { arbitrary: validValue(doc, s, '', depth), weight: depth === 0 ? 6 : 3 },
    { arbitrary: shaped, weight: 6 },
    { arbitrary: wrongType, weight: 1 },
  );
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** encodeURIComponent that takes lone surrogates too (sent as their WTF-8 bytes: invalid UTF-8). */
function enc(s: string): string {
  return s
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\u0001LONE\u0001')
    .split('\u0001LONE\u0001')
    .map(encodeURIComponent)
    .join('%ED%A0%80');
}

type Auth = 'customer' | 'other' | 'admin' | 'none' | 'garbage';

interface FuzzRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  auth: Auth;
  headers: Record<string, string>;
  /** The body as sent (utf8), or base64 of raw bytes (`bytes:`), or undefined. */
  body?: string | undefined;
  operation: string;
}

const BAD_SEGMENTS = [
  '',
  '%20',
  '%00',
  'a%00b',
  '%2F',
  '..%2F..%2Fadmin',
  '%2E%2E',
  'a'.repeat(101),
  'a'.repeat(5000),
  '%E2%80%AE',
  '%F0%9F%98%80',
  '%C3%28',
  '%ZZ',
  '%',
  'null',
  'undefined',
  '-1',
  '0',
  '1e400',
  'NaN',
  '%27%3B--',
  'a%0Ab',
  'a%0D%0Ab',
  '%7B%7D',
  'AAPL%00',
  '%20AAPL',
  '00000000-0000-0000-0000-000000000000',
];

/** A path parameter as a URL segment: a real id, a valid-shaped one, or a bad one. */
function segmentValue(doc: any, p: Param): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: validValue(doc, p.schema, p.name).map((v) => enc(String(v))), weight: 6 },
    { arbitrary: fc.constantFrom(...BAD_SEGMENTS), weight: 3 },
    { arbitrary: fc.uuid().map(String), weight: 1 },
    { arbitrary: nastyString(200).map((s) => enc(s.slice(0, 6000))), weight: 2 },
  );
}

const BAD_QUERY = [
  '',
  '-1',
  '0',
  '201',
  '1.5',
  '1e2',
  'abc',
  '%00',
  '99999999999999999999',
  '[]',
  '{}',
  'true',
  '%ZZ',
  '1%00',
  ' 5',
  '+5',
  '0x10',
  'a'.repeat(600),
];
const BAD_CURSORS = [
  'x',
  '!!!',
  'null',
  '%00',
  'eyJ9',
  Buffer.from('{}').toString('base64url'),
  Buffer.from('[]').toString('base64url'),
  Buffer.from('"x"').toString('base64url'),
  Buffer.from('{"at":"not-a-date","id":"x"}').toString('base64url'),
  Buffer.from('{"accounts":1}').toString('base64url'),
  Buffer.from(JSON.stringify({ id: "'; drop" })).toString('base64url'),
  Buffer.from('2026-01-01T00:00:00.000Z|x').toString('base64url'),
  Buffer.from('\u0000\u0001').toString('base64url'),
  Buffer.from('9999-99-99T99:99:99Z').toString('base64url'),
  'a'.repeat(500),
  Buffer.from(JSON.stringify({ t: '2026-01-01T00:00:00.000Z', i: '00000000-0000-0000-0000-000000000000' })).toString(
    'base64url',
  ),
];

function queryValue(doc: any, p: Param): fc.Arbitrary<string | undefined> {
  const bad =
    p.name === 'cursor'
      ? fc.oneof(
          fc.constantFrom(...BAD_CURSORS, ...BAD_QUERY),
          fc.base64String({ maxLength: 60 }),
          fc.string({ unit: 'binary', maxLength: 30 }).map(enc),
        )
      : fc.constantFrom(...BAD_QUERY);
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: p.required ? 1 : 5 },
    { arbitrary: validValue(doc, p.schema, p.name).map((v) => enc(String(v))), weight: 4 },
    { arbitrary: bad, weight: 3 },
    { arbitrary: nastyString(p.schema.maxLength).map((s) => enc(s.slice(0, 3000))), weight: 1 },
  );
}

/** Header values fetch will send (no control characters but tab, Latin-1 only). */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
const BAD_HEADER_VALUES = [
  '',
  ' ',
  'x'.repeat(300),
  'x'.repeat(8000),
  '\xff\xfe',
  'a\tb',
  '../..',
  "'; --",
  '-1',
  '0',
  'NaN',
  '1e9',
  '99999999999',
  '1.5',
  ' 100 ',
];

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/json, text/plain',
  'application/jsonx',
  ';;;',
  'application/vnd.api+json',
  '',
];

/** Garbled JSON and odd payloads, whatever the route expects. */
function garbledBody(valid: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(
      '',
      ' ',
      '{',
      '}',
      '[',
      '{"a":',
      '{"a":1,}',
      "{'a':1}",
      '{a:1}',
      'null',
      'true',
      '0',
      '""',
      '[]',
      '{}{}',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '\ufeff{}',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
      '{"a":1e99999}',
      '{"a":-0}',
      'NaN',
      '\u0000',
      '['.repeat(20_000) + ']'.repeat(20_000),
      '{"a":'.repeat(5_000),
      `{"x":"${'y'.repeat(70_000)}"}`,
      '{"a":1,"a":2}',
      '/* c */ {}',
      'undefined',
    ),
    // The valid body cut short, or with trailing garbage, or duplicated keys.
    fc.integer({ min: 0, max: Math.max(0, valid.length - 1) }).map((n) => valid.slice(0, n)),
    fc.constantFrom('x', ',', '}', ' garbage', '\u0000').map((g) => valid + g),
    fc.constant(valid.replace(/^\{/, valid.length > 2 ? '{"dup":1,"dup":2,' : '{')),
  );
}

/** Raw bytes that are not UTF-8 at all, inside an otherwise plausible JSON body. */
const BAD_BYTES = fc.constantFrom(
  'bytes:' + Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]).toString('base64'),
  'bytes:' + Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]).toString('base64'),
  'bytes:' + Buffer.from([0x00, 0x7b, 0x00, 0x7d]).toString('base64'),
);

/**
 * A request valid in every part the schema describes (real ids mostly, the caller's token), so that
 * values at the schema's edges (the largest amount, the longest name, a quantity of 0.000001) reach
 * the services themselves.
 */
function validRequestArb(doc: any, op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const headerParams = op.params.filter((p) => p.in === 'header');
  return fc
    .tuple(
      fc.tuple(...pathParams.map((p) => validValue(doc, p.schema, p.name).map((v) => enc(String(v))))),
      fc.tuple(
        ...queryParams.map((p) =>
          fc.option(
            validValue(doc, p.schema, p.name).map((v) => enc(String(v))),
            { nil: undefined, freq: p.required ? 1_000_000 : 2 },
          ),
        ),
      ),
      fc.tuple(...headerParams.map(() => fc.option(fc.uuid(), { nil: undefined }))),
      op.body && op.method !== 'GET' ? validValue(doc, op.body).map((v) => JSON.stringify(v)) : fc.constant(undefined),
      fc.constantFrom<Auth>(
        ...(op.admin ? (['admin'] as Auth[]) : (['customer', 'customer', 'customer', 'admin'] as Auth[])),
      ),
    )
    .map(([segs, qs, hs, body, auth]) => {
      let i = 0;
      const path = op.path.replace(/\{[^}]+\}/g, () => segs[i++] ?? '');
      const parts = queryParams.flatMap((p, j) => (qs[j] === undefined ? [] : [`${p.name}=${qs[j]}`]));
      const headers: Record<string, string> = {};
      headerParams.forEach((p, j) => {
        if (hs[j] !== undefined) headers[p.name] = hs[j]!;
      });
      if (body !== undefined) headers['content-type'] = 'application/json';
      return {
        operation: `${op.method} ${op.path}`,
        method: op.method,
        url: path + (parts.length ? `?${parts.join('&')}` : ''),
        auth,
        headers,
        ...(body !== undefined ? { body } : {}),
      };
    });
}

/** Valid requests a third of the time, mutated ones otherwise. */
function requestArb(doc: any, op: Operation): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    { arbitrary: validRequestArb(doc, op), weight: 1 },
    { arbitrary: mutatedRequestArb(doc, op), weight: 2 },
  );
}

function mutatedRequestArb(doc: any, op: Operation): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const headerParams = op.params.filter((p) => p.in === 'header');
  const segments = fc.tuple(...pathParams.map((p) => segmentValue(doc, p)));
  const query = fc.tuple(
    fc.tuple(...queryParams.map((p) => queryValue(doc, p))),
    // Unknown and duplicate parameters, now and then.
    rarely(
      fc.constantFrom(
        'extra=1',
        'limit=1&limit=2',
        'cursor=&cursor=x',
        '__proto__[x]=1',
        'a[]=1&a[]=2',
        'limit[$gt]=1',
        '%00=%00',
        '&&&',
        'q=%',
      ),
      6,
    ),
  );
  const auth: fc.Arbitrary<Auth> = op.admin
    ? fc.oneof(
        { arbitrary: fc.constant('admin' as Auth), weight: 7 },
        { arbitrary: fc.constantFrom<Auth>('customer', 'none', 'garbage'), weight: 3 },
      )
    : fc.oneof(
        { arbitrary: fc.constant('customer' as Auth), weight: 12 },
        { arbitrary: fc.constantFrom<Auth>('admin', 'other', 'none', 'garbage'), weight: 4 },
      );
  const headers = fc.tuple(
    fc.tuple(
      ...headerParams.map(() =>
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 2 },
          { arbitrary: fc.uuid().map(String), weight: 3 },
          { arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2'), weight: 1 },
          { arbitrary: fc.constantFrom(...BAD_HEADER_VALUES), weight: 1 },
        ),
      ),
    ),
    rarely(
      fc.constantFrom(
        ...BAD_HEADER_VALUES,
        'not-a-request-id',
        'a'.repeat(200),
        '0b3c6f0e-5a8e-4c1e-9a53-1f4a3c2b7d10',
      ),
      8,
    ), // X-Request-Id
    // X-Deadline-Ms: invalid ones (400) or generous ones; a tiny valid budget would rightly end in a 504.
    rarely(
      fc.constantFrom(
        'abc',
        '-5',
        '0',
        '1.5',
        '60001',
        '99999999999999999999',
        '',
        ' ',
        '5000',
        '60000',
        '1e4',
        '0x100',
      ),
      8,
    ),
    rarely(fc.constantFrom('text/html', '*/*', 'application/xml', '', 'application/problem+json'), 10), // Accept
  );
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  const body: fc.Arbitrary<{ body?: string | undefined; contentType?: string }> = hasBody
    ? fc.oneof(
        {
          arbitrary: (op.body ? bodyValue(doc, op.body) : fc.oneof(fc.constant(undefined), nastyValue())).map((v) => ({
            body: v === undefined ? undefined : JSON.stringify(v),
            contentType: 'application/json',
          })),
          weight: 12,
        },
        {
          arbitrary: (op.body ? validValue(doc, op.body) : fc.constant({}))
            .chain((v) => garbledBody(JSON.stringify(v) ?? ''))
            .map((b) => ({ body: b, contentType: 'application/json' })),
          weight: 2,
        },
        {
          arbitrary: fc
            .tuple(op.body ? validValue(doc, op.body) : fc.constant({}), fc.constantFrom(...CONTENT_TYPES))
            .map(([v, ct]) => ({ body: JSON.stringify(v), ...(ct ? { contentType: ct } : {}) })),
          weight: 2,
        },
        { arbitrary: BAD_BYTES.map((b) => ({ body: b, contentType: 'application/json' })), weight: 1 },
        { arbitrary: fc.constant({}), weight: 1 },
      )
    : fc.oneof(
        { arbitrary: fc.constant({}), weight: 20 },
        { arbitrary: fc.constantFrom('text/plain', 'application/json').map((ct) => ({ contentType: ct })), weight: 1 },
      );
  const method = fc.oneof(
    { arbitrary: fc.constant(op.method), weight: 30 },
    { arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'), weight: 1 },
  );

  return fc
    .tuple(method, segments, query, auth, headers, body)
    .map(([m, segs, [qs, extraQuery], a, [hvals, requestId, deadline, accept], b]) => {
      let i = 0;
      const path = op.path.replace(/\{[^}]+\}/g, () => segs[i++] ?? '');
      const parts = queryParams.flatMap((p, j) => (qs[j] === undefined ? [] : [`${p.name}=${qs[j]}`]));
      if (extraQuery) parts.push(extraQuery);
      const h: Record<string, string> = {};
      headerParams.forEach((p, j) => {
        if (hvals[j] !== undefined) h[p.name] = headerSafe(hvals[j]!);
      });
      if (requestId !== null) h['x-request-id'] = headerSafe(requestId);
      if (deadline !== null) h['x-deadline-ms'] = deadline;
      if (accept !== null) h.accept = accept;
      const sendsBody = m !== 'GET' && m !== 'OPTIONS' && b.body !== undefined;
      if (b.contentType !== undefined && (sendsBody || m === 'GET')) h['content-type'] = b.contentType;
      return {
        operation: `${op.method} ${op.path}`,
        method: m,
        url: path + (parts.length ? `?${parts.join('&')}` : ''),
        auth: a,
        headers: h,
        ...(sendsBody ? { body: b.body } : {}),
      };
    });
}

// ---------------------------------------------------------------------------------------------
// Sending and checking
// ---------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

function tokenOf(auth: Auth): string | undefined {
  switch (auth) {
    case 'customer':
      return known.customer.accessToken;
    case 'other':
      return known.other.accessToken;
    case 'admin':
      return known.adminToken;
    case 'garbage':
      return 'garbage.garbage.garbage';
    case 'none':
      return undefined;
  }
}

async function send(r: FuzzRequest): Promise<Answer> {
  const headers: Record<string, string> = { ...r.headers };
  const token = tokenOf(r.auth);
  if (token) headers.authorization = `Bearer ${token}`;
  let body: Uint8Array | undefined;
  if (r.body !== undefined)
    body = r.body.startsWith('bytes:') ? Buffer.from(r.body.slice(6), 'base64') : Buffer.from(r.body, 'utf8');
  const res = await fetch(sys.url + r.url, {
    method: r.method,
    headers,
    ...(body ? { body } : {}),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  // A stream (GET /v1/stream) does not end: its status and headers are the answer.
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, headers: res.headers, text: '' };
  }
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** What is wrong with the answer, or undefined. */
function violation(r: FuzzRequest, a: Answer): string | undefined {
  if (a.status >= 500 && !((a.status === 503 || a.status === 504) && a.headers.get('retry-after')))
    return `a ${a.status}`;
  if (!a.headers.get('x-request-id')) return 'no X-Request-Id';
  if (a.status >= 400 && r.method !== 'HEAD') {
    const ct = a.headers.get('content-type') ?? '';
    if (!/^application\/problem\+json/.test(ct))
      return `a ${a.status} as ${ct || 'no content type'}, not problem details`;
    let p: any;
    try {
      p = JSON.parse(a.text);
    } catch {
      return `a ${a.status} problem that is not JSON`;
    }
    if (!p || typeof p !== 'object' || p.status !== a.status) return `a ${a.status} problem with status ${p?.status}`;
    if (typeof p.code !== 'string' || !p.code) return `a ${a.status} problem without code`;
  }
  return undefined;
}

/**
 * Violations already reported elsewhere, owned by another part of the work: counted and shown (as a
 * todo test), not failed on, so the suite guards everything else meanwhile. Remove an entry when
 * its fix lands (the todo test then says it no longer happens).
 */
const KNOWN_ISSUES: { id: string; title: string; matches(r: FuzzRequest, a: Answer, v: string): boolean }[] = [
  // None open. (Fixed: framework errors without X-Request-Id and Node's own 431 are problem details
  // now, packages/chassis/src/http/server.ts.)
];
// (A third, found by this suite: a buy order on an asset pinned above 952380952380952.37 answered 500 —
// its limit price, quote × 1.05, is over the contract's price pattern, so orders.placeOrder answered
// outside its contract after committing the order. Fixed by the limit on prices (pins above
// 1000000.00 refused, services/market-data); no entry needed once that is in.)
const knownSeen = new Map<string, { count: number; example: FuzzRequest; answer: string }>();

/** Every violation seen (shrinking included), by kind: for the report. */
const seen = new Map<string, { count: number; example: FuzzRequest; answer: string }>();
const tally = new Map<string, number>();
const timeByOperation = new Map<string, number>();
let sent = 0;

function describeRequest(r: FuzzRequest): string {
  const h = Object.entries(r.headers)
    .map(([k, v]) => ` -H ${JSON.stringify(`${k}: ${v.length > 80 ? `${v.slice(0, 80)}…(${v.length})` : v}`)}`)
    .join('');
  const body =
    r.body === undefined
      ? ''
      : ` --data ${JSON.stringify(r.body.length > 300 ? `${r.body.slice(0, 300)}…(${r.body.length} chars)` : r.body)}`;
  const url = r.url.length > 300 ? `${r.url.slice(0, 300)}…(${r.url.length})` : r.url;
  return `[${r.operation}] ${r.method} ${url} as ${r.auth}${h}${body}`;
}

async function check(r: FuzzRequest): Promise<void> {
  let a: Answer;
  const started = Date.now();
  try {
    a = await send(r);
  } catch (err) {
    const e = err as Error & { cause?: Error };
    // fetch refuses some requests itself (e.g. a header value it will not send): not the system's doing.
    if (e.name === 'TypeError' && !/fetch failed/.test(e.message)) return;
    a = { status: 599, headers: new Headers(), text: `no answer: ${e.name} ${e.message} ${e.cause?.message ?? ''}` };
  }
  sent++;
  timeByOperation.set(r.operation, (timeByOperation.get(r.operation) ?? 0) + (Date.now() - started));
  const cls = `${r.operation} → ${a.status}`;
  tally.set(cls, (tally.get(cls) ?? 0) + 1);
  const v = a.status === 599 ? `no answer (${a.text})` : violation(r, a);
  if (!v) return;
  const answerText = `${a.status} ${a.headers.get('content-type') ?? ''} ${a.text.slice(0, 400)}`;
  const issue = KNOWN_ISSUES.find((k) => k.matches(r, a, v));
  if (issue) {
    const e = knownSeen.get(issue.id);
    if (!e || describeRequest(r).length < describeRequest(e.example).length)
      knownSeen.set(issue.id, { count: (e?.count ?? 0) + 1, example: r, answer: answerText });
    else e.count++;
    return;
  }
  const key = `${r.operation}: ${v}`;
  const entry = seen.get(key);
  const answer = answerText;
  if (!entry || describeRequest(r).length < describeRequest(entry.example).length)
    seen.set(key, { count: (entry?.count ?? 0) + 1, example: r, answer });
  else entry.count++;
  if (!REPORT_ONLY) assert.fail(`${v}\n  request: ${describeRequest(r)}\n  answer: ${answer}`);
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

describe('API fuzzing (generated from the OpenAPI document)', () => {
  let doc: any;
  let ops: Operation[];

  before(async () => {
    const bank = sys.bank;
    const res = await sys.http.get('/v1/openapi.json');
    expectStatus(res, 200, 'openapi.json');
    doc = res.body;
    ops = operationsOf(doc);
    assert.ok(ops.length >= 20, `operations in the OpenAPI document: ${ops.length}`);

    // A real customer with two accounts, cash, an order and a payment; another customer; the admin.
    const admin = await bank.adminLogin();
    const { customer, account } = await bank.fundedCustomer('5000.00');
    const second = await bank.openAccount(customer, 'second');
    const { customer: other, account: otherAccount } = await bank.fundedCustomer('100.00');
    const assets = await customer.http.get('/v1/assets?limit=200');
    expectStatus(assets, 200, 'assets');
    const tickers: string[] = assets.body.items.map((a: { id: string }) => a.id);
    const order = await bank.placeOrder(customer, {
      accountId: account.id,
      assetId: tickers[0]!,
      side: 'buy',
      quantity: '1',
    });
    const payment = await bank.requestDeposit(customer, second.id, '10.00');
    expectStatus(payment, 202, 'deposit');
    const otherOrder = await bank.placeOrder(other, {
      accountId: otherAccount.id,
      assetId: tickers[0]!,
      side: 'buy',
      quantity: '0.5',
    });
    const page = await customer.http.get('/v1/accounts?limit=1');
    const notifications = await bank.notifications(customer);
    const login = await sys.http.post('/v1/auth/login', { email: customer.email, password: customer.password });
    expectStatus(login, 200, 'login');
    known = {
      customer,
      other,
      adminToken: admin.accessToken,
      ids: {
        accountId: [account.id, second.id, otherAccount.id],
        assetId: [...tickers.slice(0, 6), 'NOPE'],
        orderId: [order.id, otherOrder.id],
        paymentId: [payment.body.id],
        notificationId: notifications.slice(0, 3).map((n) => n.id),
      },
      cursors: [page.body?.nextCursor].filter((c): c is string => typeof c === 'string'),
      refreshTokens: [login.body.refreshToken, other.refreshToken],
    };
    console.log(
      `# fuzz: seed ${SEED} (FUZZ_SEED=${SEED} reproduces), ${RUNS} requests, ${CONCURRENCY} in flight, ${ops.length} operations`,
    );
  });

  after(() => {
    const classes = new Map<string, number>();
    for (const [k, n] of tally) {
      const c = k.replace(/(\d)\d\d$/, '$1xx');
      classes.set(c, (classes.get(c) ?? 0) + n);
    }
    const lines = [...classes].sort().map(([k, n]) => `#   ${k}: ${n}`);
    const slowest = [...timeByOperation]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 5)
      .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`);
    lines.push(`#   time in flight, most first: ${slowest.join(', ')}`);
    console.log(`# fuzz: ${sent} requests answered (seed ${SEED})\n${lines.join('\n')}`);
    if (seen.size > 0) {
      console.log(`# fuzz: ${seen.size} kinds of violation`);
      for (const [k, v] of seen)
        console.log(
          `#   ${k} (×${v.count})\n#     ${describeRequest(v.example)}\n#     → ${v.answer.replace(/\n/g, ' ')}`,
        );
    }
  });

  it(`answers every generated request without a 5xx, with problem details and X-Request-Id`, {
    timeout: 15 * 60_000,
  }, async () => {
    const perRunner = Math.ceil(RUNS / CONCURRENCY);
    const anyRequest = fc.constantFrom(...ops).chain((op) => requestArb(doc, op));
    const runners = Array.from({ length: CONCURRENCY }, (_, i) =>
      fc.assert(
        fc.asyncProperty(anyRequest, async (r) => check(r)),
        { seed: SEED + i, numRuns: perRunner, endOnFailure: false, verbose: fc.VerbosityLevel.None },
      ),
    );
    const results = await Promise.allSettled(runners);
    const failures = results.flatMap((r, i) =>
      r.status === 'rejected' ? [`runner ${i} (seed ${SEED + i}): ${(r.reason as Error).message}`] : [],
    );
    assert.deepEqual(
      failures,
      [],
      `the fuzzer found ${failures.length} failing runner(s) (FUZZ_SEED=${SEED}):\n${failures.join('\n\n')}`,
    );
    assert.ok(sent >= RUNS * 0.95, `only ${sent} of ${RUNS} requests were answered`);
  });

  for (const issue of KNOWN_ISSUES) {
    it(`known issue: ${issue.id}`, { todo: issue.title }, () => {
      const e = knownSeen.get(issue.id);
      assert.ok(
        !e,
        e && `seen ${e.count} times, e.g.\n  request: ${describeRequest(e.example)}\n  answer: ${e.answer}`,
      );
    });
  }

  it('leaves the system ready', { timeout: 60_000 }, async () => {
    // The admin requests may have closed the simulated exchange or made it fail (then the market's
    // breaker to it opens and readiness rightly says so): put it back, and the system must recover.
    await sys.bank.resetExchange();
    let last = '';
    await eventually(
      async () => {
        const res = await fetch(`${sys.url}/health/ready`);
        last = `${res.status} ${await res.text()}`;
        return res.status === 200;
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    ).catch(() =>
      assert.fail(
        `GET /health/ready never answered 200 again: ${last.replace(/\{"name":"[^"]+","ready":true\},?/g, '')}`,
      ),
    );
    // And a plain request still works.
    const me = await sys.http.get('/v1/me', { token: known.customer.accessToken });
    expectStatus(me, 200, `GET /v1/me after fuzzing: ${show(me)}`);
  });
});
