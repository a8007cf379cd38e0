/**
 * Consumer-driven contracts (decision 37), like Pact without a broker. A consumer declares, in its own
 * folder (`services/<consumer>/test/contracts/<provider>.expectations.ts`, a default export of
 * `expects(...)`), what it needs of a provider: the methods it calls with example requests and the
 * answer's fields it reads, and the fields it reads of the provider's events. Then:
 *
 * - the provider's own test (`verifyConsumerExpectations`) finds every consumer's expectations of it,
 *   starts the real provider (`startTestService`, real PostgreSQL), sets up each named provider
 *   state, makes each call and checks that the answer has every field read (and of the declared
 *   type), and that its event schemas hold the fields read; a missing or renamed field fails the
 *   provider's `npm test`, naming the consumer and the field;
 * - the consumer's test (`verifyStubs`) makes the same calls on the stubs its component tests use,
 *   so a stub cannot drift from the service it stands for.
 *
 * A read is a path: `name`, `nested.field`, `items[].id` (every element of an array; an empty array
 * is a problem, since nothing could be checked), optionally with the JSON types the consumer
 * assumes: `{ path: 'fillPrice', type: ['string', 'null'] }`. Checked twice: declared in the
 * provider's response (or event) schema, with no type there the consumer does not expect (a field
 * the schema allows to be null, read as a string, is a problem); and present in the real answer.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TSchema } from '@sinclair/typebox';
import type { Contract, RequestOf, RpcDef } from '../contract/contract.ts';
import { AppError } from '../errors.ts';
import type { Identity } from '../messaging/envelope.ts';
import { caller, type Call } from '../messaging/rpc.ts';
import type { HostOptions } from '../runtime/host.ts';
import type { ServiceDefinition } from '../runtime/service.ts';
import { MemoryTransport } from '../transport/memory.ts';
import type { Consumer, Transport } from '../transport/transport.ts';
import { startTestService, type TestService } from './harness.ts';

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';
/** A field the consumer reads: its path, and optionally the JSON types it assumes the value has. */
export type Read = string | { readonly path: string; readonly type: JsonType | readonly JsonType[] };

type Methods<C extends Contract> = keyof C['rpc'] & string;

/** One call the consumer makes: typed by the provider's contract (method name, request shape). */
export type Interaction<C extends Contract> = {
  [M in Methods<C>]: {
    /** What the consumer does with it, e.g. "shows an account with its cash". */
    readonly description: string;
    /** A provider state the provider's test sets up first (it may replace fields of the request, e.g. ids it created). */
    readonly given?: string;
    /** Who calls (the identity on the envelope); a system caller by default. */
    readonly as?: Identity;
    readonly call: M;
    /** The example request, exactly as the consumer sends it. */
    readonly request: RequestOf<C['rpc'][M]>;
  } & (
    | { readonly reads: readonly Read[]; readonly error?: undefined }
    | { readonly error: string; readonly reads?: undefined }
  );
}[Methods<C>];

export interface EventExpectation<C extends Contract> {
  readonly event: keyof C['events'] & string;
  /** What the consumer does with it. */
  readonly description?: string;
  readonly reads: readonly Read[];
}

/** What one consumer expects of one provider. Without `C`: of any provider (the type is not covariant in `C`). */
export interface ConsumerExpectations<C extends Contract = any> {
  readonly consumer: string;
  readonly provider: string;
  readonly contract: C;
  readonly interactions: readonly Interaction<C>[];
  readonly events: readonly EventExpectation<C>[];
}

/** What `consumer` expects of the provider whose contract is `contract`. Default-export it from the expectations file. */
export function expects<C extends Contract>(
  contract: C,
  spec: { consumer: string; interactions?: readonly Interaction<C>[]; events?: readonly EventExpectation<C>[] },
): ConsumerExpectations<C> {
  return {
    consumer: spec.consumer,
    provider: contract.service,
    contract,
    interactions: spec.interactions ?? [],
    events: spec.events ?? [],
  };
}

// ---------------------------------------------------------------------------------------------
// Paths, schemas and answers

interface Segment {
  name: string;
  /** `name[]`: every element of the array. */
  each: boolean;
}

function parsePath(path: string): Segment[] {
  if (!/^[A-Za-z_$][\w$]*(\[\])?(\.[A-Za-z_$][\w$]*(\[\])?)*$/.test(path))
    throw new Error(`"${path}" is not a field path (name, nested.name, items[].name)`);
  return path
    .split('.')
    .map((s) => (s.endsWith('[]') ? { name: s.slice(0, -2), each: true } : { name: s, each: false }));
}

const readPath = (r: Read) => (typeof r === 'string' ? r : r.path);
const readTypes = (r: Read): readonly JsonType[] | undefined =>
  typeof r === 'string' ? undefined : typeof r.type === 'string' ? [r.type] : r.type;

type Json = { [k: string]: unknown };

/** The schemas a value may match, unions and intersections flattened. */
function variants(schema: TSchema): TSchema[] {
  const s = schema as Json;
  if (Array.isArray(s.anyOf)) return (s.anyOf as TSchema[]).flatMap(variants);
  if (Array.isArray(s.oneOf)) return (s.oneOf as TSchema[]).flatMap(variants);
  if (Array.isArray(s.allOf)) return (s.allOf as TSchema[]).flatMap(variants);
  return [schema];
}

/** The schemas at `segments` under `schema` (empty: the schema does not declare it). */
function schemasAt(schema: TSchema, segments: Segment[]): TSchema[] {
  let current = [schema];
  for (const seg of segments) {
    const next: TSchema[] = [];
    for (const v of current.flatMap(variants)) {
      const props = (v as Json).properties as Record<string, TSchema> | undefined;
      const field = props?.[seg.name];
      if (!field) continue;
      if (!seg.each) next.push(field);
      else
        for (const a of variants(field))
          if ((a as Json).type === 'array' && (a as Json).items) next.push((a as Json).items as TSchema);
    }
    current = next;
  }
  return current;
}

/** The JSON types a schema allows, or undefined when it does not say (T.Unknown, T.Any). */
function schemaTypes(schemas: TSchema[]): Set<JsonType> | undefined {
  const types = new Set<JsonType>();
  for (const v of schemas.flatMap(variants)) {
    const t = (v as Json).type;
    if (typeof t === 'string') types.add(t as JsonType);
    else if (Array.isArray(t)) for (const x of t) types.add(x as JsonType);
    else return undefined;
  }
  return types;
}

function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value as JsonType;
}

const accepts = (declared: readonly JsonType[], actual: JsonType) =>
  declared.includes(actual) || (actual === 'integer' && declared.includes('number'));
const showTypes = (t: Iterable<JsonType>) => [...t].join(' | ');

/** Problems of one read against a schema (the provider's response or event data). */
function checkSchema(schema: TSchema, read: Read, what: string): string[] {
  const path = readPath(read);
  let segments: Segment[];
  try {
    segments = parsePath(path);
  } catch (err) {
    return [(err as Error).message];
  }
  const found = schemasAt(schema, segments);
  if (found.length === 0) return [`field "${path}" is not in ${what}`];
  const declared = readTypes(read);
  const types = schemaTypes(found);
  if (declared && types) {
    const unexpected = [...types].filter((t) => !accepts(declared, t));
    if (unexpected.length > 0)
      return [`field "${path}" is ${showTypes(types)} in ${what}, but the consumer reads it as ${showTypes(declared)}`];
  }
  return [];
}

/** Problems of one read against a real answer. */
function checkAnswer(answer: unknown, read: Read): string[] {
  const path = readPath(read);
  const declared = readTypes(read);
  const problems: string[] = [];
  const walk = (value: unknown, segments: Segment[], at: string): void => {
    const [seg, ...rest] = segments;
    if (!seg) {
      if (declared && !accepts(declared, jsonTypeOf(value)))
        problems.push(
          `field "${at}" is ${jsonTypeOf(value)} in the answer (${JSON.stringify(value)}), but the consumer reads it as ${showTypes(declared)}`,
        );
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(
        `field "${path}" cannot be read: "${at || '(the answer)'}" is ${jsonTypeOf(value)} in the answer, not an object`,
      );
      return;
    }
    const here = at ? `${at}.${seg.name}` : seg.name;
    if (!Object.prototype.hasOwnProperty.call(value, seg.name)) {
      problems.push(`field "${here}" is missing from the answer`);
      return;
    }
    const field = (value as Json)[seg.name];
    if (!seg.each) return walk(field, rest, here);
    if (!Array.isArray(field)) {
      problems.push(`field "${here}" is ${jsonTypeOf(field)} in the answer, not an array`);
      return;
    }
    if (field.length === 0) {
      problems.push(
        `field "${here}" is an empty array in the answer: "${path}" cannot be checked (the provider state should give it an element)`,
      );
      return;
    }
    field.forEach((element, i) => walk(element, rest, `${here}[${i}]`));
  };
  try {
    walk(answer, parsePath(path), '');
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}

/** Problems of the fields read of a real answer of `method`: declared in its response schema and present in the answer. */
export function checkReads(def: RpcDef, answer: unknown, reads: readonly Read[]): string[] {
  return reads.flatMap((r) => {
    const inSchema = checkSchema(def.response, r, "the provider's response schema");
    return inSchema.length > 0 ? inSchema : checkAnswer(answer, r);
  });
}

/** Problems of the fields a consumer reads of an event: each declared in the provider's event schema. */
export function checkEventReads(contract: Contract, expectation: { event: string; reads: readonly Read[] }): string[] {
  const def = contract.events[expectation.event];
  if (!def) return [`${contract.service} publishes no event ${expectation.event}`];
  return expectation.reads.flatMap((r) => checkSchema(def.data, r, `the schema of ${def.type}`));
}

// ---------------------------------------------------------------------------------------------
// Running interactions

/** The identity of an interaction without `as`. */
export const CONTRACT_TEST_IDENTITY: Identity = { customerId: 'contract-test', role: 'system' };

/** Sets up a provider state; may answer fields of the example request to replace (ids it created): those the example has. */
export type ProviderState = (context: {
  service: TestService;
  identity: Identity;
  request: Record<string, unknown>;
  consumer: string;
}) => Promise<ProviderStateResult | void> | ProviderStateResult | void;
export interface ProviderStateResult {
  request?: Record<string, unknown>;
  /** Who calls instead of the interaction's `as`: the caller the state made (a customer it signed up). */
  identity?: Identity;
}

/** Makes one interaction's call with `callAs` (after `prepare`, which may change the request) and answers its problems. */
export async function exercise(
  contract: Contract,
  consumer: string,
  interaction: Interaction<Contract>,
  callAs: (identity: Identity) => Call,
  prepare?: (given: string, identity: Identity, request: Record<string, unknown>) => Promise<Prepared>,
): Promise<string[]> {
  const def = contract.rpc[interaction.call];
  if (!def) return [`${contract.service} has no method ${interaction.call}`];
  let identity = interaction.as ?? CONTRACT_TEST_IDENTITY;
  let request = structuredClone(interaction.request) as Record<string, unknown>;
  if (interaction.given !== undefined && prepare) {
    try {
      ({ request, identity = identity } = await prepare(interaction.given, identity, request));
    } catch (err) {
      return [`provider state "${interaction.given}" failed: ${(err as Error).message}`];
    }
  }
  let answer: unknown;
  try {
    answer = await callAs(identity)(
      contract,
      interaction.call,
      request as never,
      def.idempotent ? { idempotencyKey: `contract:${consumer}:${randomUUID()}` } : {},
    );
  } catch (err) {
    if (err instanceof AppError && interaction.error !== undefined && err.code === interaction.error) return [];
    const code = err instanceof AppError ? err.code : 'error';
    const detail = err instanceof AppError && err.errors?.length ? ` ${JSON.stringify(err.errors)}` : '';
    return [
      `refused the example request ${JSON.stringify(request)}: ${code}: ${(err as Error).message}${detail}${interaction.error !== undefined ? ` (the consumer expects ${interaction.error})` : ''}`,
    ];
  }
  if (interaction.error !== undefined)
    return [`answered ${JSON.stringify(answer)} where the consumer expects the refusal ${interaction.error}`];
  return checkReads(def, answer, interaction.reads ?? []);
}

const label = (e: ConsumerExpectations, i: Interaction<Contract>) =>
  `${e.consumer} expects ${e.provider}.${i.call} (${i.description})`;

function fail(prefix: string, problems: string[]): void {
  if (problems.length > 0) assert.fail(`${prefix}:\n  - ${problems.join('\n  - ')}`);
}

// ---------------------------------------------------------------------------------------------
// Finding the expectations

const EXPECTATIONS_FOLDER = join('test', 'contracts');

/** The file where `consumer` declares what it expects of `provider`. */
export const expectationsFile = (servicesDir: string, consumer: string, provider: string) =>
  join(servicesDir, consumer, EXPECTATIONS_FOLDER, `${provider}.expectations.ts`);

const dirOf = (d: string | URL) => (d instanceof URL ? fileURLToPath(d) : d);

async function importExpectations(file: string, consumer: string): Promise<ConsumerExpectations> {
  const module = (await import(pathToFileURL(file).href)) as { default?: ConsumerExpectations };
  const e = module.default;
  if (!e || typeof e !== 'object' || !Array.isArray(e.interactions) || typeof e.consumer !== 'string')
    throw new Error(`${file} has no default export made by expects(...)`);
  if (e.consumer !== consumer)
    throw new Error(`${file} declares the consumer "${e.consumer}", but it is in the folder of ${consumer}`);
  return e;
}

/** Every consumer's expectations of `provider`: `<servicesDir>/<consumer>/test/contracts/<provider>.expectations.ts`. */
export async function loadExpectations(
  provider: string,
  options: { servicesDir?: string | URL } = {},
): Promise<ConsumerExpectations[]> {
  const servicesDir = dirOf(options.servicesDir ?? join(process.cwd(), 'services'));
  const found: ConsumerExpectations[] = [];
  for (const entry of (await readdir(servicesDir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (!entry.isDirectory()) continue;
    const file = expectationsFile(servicesDir, entry.name, provider);
    if (
      !(await access(file).then(
        () => true,
        () => false,
      ))
    )
      continue;
    const e = await importExpectations(file, entry.name);
    if (e.provider !== provider)
      throw new Error(`${file} declares expectations of "${e.provider}", not of ${provider}`);
    found.push(e);
  }
  return found;
}

/** Every expectation `consumer` declares (its `test/contracts/*.expectations.ts`), by provider. */
export async function loadConsumerExpectations(
  consumer: string,
  options: { servicesDir?: string | URL } = {},
): Promise<ConsumerExpectations[]> {
  const servicesDir = dirOf(options.servicesDir ?? join(process.cwd(), 'services'));
  const folder = join(servicesDir, consumer, EXPECTATIONS_FOLDER);
  const names = await readdir(folder).catch(() => [] as string[]);
  const found: ConsumerExpectations[] = [];
  for (const name of names.filter((n) => n.endsWith('.expectations.ts')).sort()) {
    const e = await importExpectations(join(folder, name), consumer);
    const provider = name.slice(0, -'.expectations.ts'.length);
    if (e.provider !== provider)
      throw new Error(`${join(folder, name)} declares expectations of "${e.provider}", but is named for ${provider}`);
    found.push(e);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The provider's side

export interface ProviderVerification {
  /** Provider state name → its setup. A state a consumer names and this map lacks fails that interaction. */
  states?: Record<string, ProviderState>;
  /** The provider's own collaborators, stubbed (as in its component tests). */
  stubs?: Array<(t: Transport) => Promise<Consumer>>;
  host?: Partial<HostOptions>;
  /** Where to look for consumers (default: `<cwd>/services`). */
  servicesDir?: string | URL;
  /** The expectations to verify instead of those found in `servicesDir` (the chassis' own tests). */
  expectations?: ConsumerExpectations[];
}

/** Problems of every consumer's expectations against a running provider, by consumer and interaction (for tests of this module). */
export async function verifyAgainst(
  service: TestService,
  contract: Contract,
  expectations: readonly ConsumerExpectations[],
  states: Record<string, ProviderState> = {},
) {
  const results: Array<{ consumer: string; what: string; problems: string[] }> = [];
  for (const e of expectations) {
    for (const i of e.interactions)
      results.push({
        consumer: e.consumer,
        what: label(e, i),
        problems: await exerciseOnProvider(service, contract, e, i as Interaction<Contract>, states),
      });
    for (const ev of e.events)
      results.push({
        consumer: e.consumer,
        what: `${e.consumer} reads ${e.provider}'s event ${ev.event}`,
        problems: checkEventReads(contract, ev),
      });
  }
  return results;
}

function exerciseOnProvider(
  service: TestService,
  contract: Contract,
  e: ConsumerExpectations,
  i: Interaction<Contract>,
  states: Record<string, ProviderState>,
): Promise<string[]> {
  return exercise(
    contract,
    e.consumer,
    i,
    (identity) => service.callAs(identity),
    async (given, identity, request) => {
      const setup = states[given];
      if (!setup)
        throw new Error(
          `the provider's contract test sets up no such state (it knows: ${
            Object.keys(states)
              .map((s) => `"${s}"`)
              .join(', ') || 'none'
          })`,
        );
      return replaceIn(request, await setup({ service, identity, request, consumer: e.consumer }));
    },
  );
}

/** The example request as a state left it, and the caller it made, if any. */
type Prepared = { request: Record<string, unknown>; identity?: Identity };

/**
 * Like Pact's injected values: a state replaces fields of the example request, never adds any, and
 * may name the caller it made.
 */
function replaceIn(request: Record<string, unknown>, result: ProviderStateResult | void): Prepared {
  const replaced = Object.entries(result?.request ?? {}).filter(([k]) => k in request);
  const prepared: Prepared = { request: { ...request, ...Object.fromEntries(replaced) } };
  if (result?.identity) prepared.identity = result.identity;
  return prepared;
}

/**
 * The provider's contract test: registers one test per consumer interaction and event expectation,
 * run against `definition` started for real. Fails when no consumer declares expectations of it.
 * Call it at the top level of a test file (`await verifyConsumerExpectations(...)`).
 */
export async function verifyConsumerExpectations(
  definition: ServiceDefinition<any>,
  options: ProviderVerification = {},
): Promise<void> {
  const contract = definition.contract as Contract;
  const provider = contract.service;
  const expectations =
    options.expectations ??
    (await loadExpectations(provider, options.servicesDir ? { servicesDir: options.servicesDir } : {}));
  const states = options.states ?? {};
  describe(`${provider} honours what its consumers expect of it`, () => {
    let service: TestService | undefined;
    before(async () => {
      service = await startTestService(definition, {
        ...(options.stubs ? { stubs: options.stubs } : {}),
        ...(options.host ? { host: options.host } : {}),
      });
    });
    after(async () => {
      await service?.stop();
    });
    it('has consumers declaring expectations of it', () => {
      assert.ok(
        expectations.length > 0,
        `no consumer declares expectations of ${provider} (services/<consumer>/test/contracts/${provider}.expectations.ts)`,
      );
    });
    for (const e of expectations) {
      describe(`consumer ${e.consumer}`, () => {
        for (const i of e.interactions) {
          it(`${i.call}: ${i.description}`, async () => {
            fail(
              label(e, i as Interaction<Contract>),
              await exerciseOnProvider(service!, contract, e, i as Interaction<Contract>, states),
            );
          });
        }
        for (const ev of e.events) {
          it(`event ${ev.event}${ev.description ? `: ${ev.description}` : ''}`, () => {
            fail(`${e.consumer} reads ${provider}'s event ${ev.event}`, checkEventReads(contract, ev));
          });
        }
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The consumer's side: its stubs

/**
 * Sets up a state in the consumer's stub world (optional: a state without one leaves the example
 * request as it is). `call` reaches the stubs as a system caller.
 */
export type StubState = (context: {
  call: Call;
  identity: Identity;
  request: Record<string, unknown>;
  consumer: string;
}) => Promise<ProviderStateResult | void> | ProviderStateResult | void;

/** Problems of one interaction on stubs served on `transport`; `skipped` when the stub does not implement the method. */
export async function exerciseOnStubs(
  transport: Transport,
  e: ConsumerExpectations,
  i: Interaction<Contract>,
  states: Record<string, StubState> = {},
): Promise<{ problems: string[]; skipped?: string }> {
  let refusal: string | undefined;
  const callAs = (identity: Identity): Call => {
    const call = caller(transport, e.consumer, () => ({ correlationId: `contract-${randomUUID()}`, identity }), {
      targets: { '*': { maxAttempts: 1 } },
    });
    return (async (...args: Parameters<Call>) => {
      try {
        return await call(...args);
      } catch (err) {
        refusal = err instanceof AppError ? err.code : undefined;
        throw err;
      }
    }) as Call;
  };
  const call = caller(transport, 'contract-state', () => ({
    correlationId: `contract-${randomUUID()}`,
    identity: CONTRACT_TEST_IDENTITY,
  }));
  const problems = await exercise(e.contract, e.consumer, i, callAs, async (given, identity, request) => {
    const result = await states[given]?.({ call, identity, request, consumer: e.consumer });
    return replaceIn(request, result);
  });
  if (refusal === 'not_implemented_in_stub')
    return { problems: [], skipped: `the stub of ${e.provider} does not implement ${i.call}` };
  if (refusal === 'no_route')
    problems.push(
      `no stub of ${e.provider} is served: give one, or leave ${e.provider}'s expectations out if the consumer's tests run the real service`,
    );
  return { problems };
}

/**
 * The consumer's stub check: registers one test per interaction of each expectations set, made on
 * the stubs `makeStubs()` serves on a fresh in-memory transport (e.g. the gateway's `world().stubs`).
 * A named state is set up by `states` when it has it; otherwise the example request goes as it is
 * (the stubs' little world must hold what it names). An interaction whose method the stub does not
 * implement is skipped, saying so.
 */
export function verifyStubs(
  expectations: readonly ConsumerExpectations[],
  makeStubs: () => Array<(t: Transport) => Promise<Consumer>>,
  options: { states?: Record<string, StubState> } = {},
): void {
  if (expectations.length === 0)
    it('has expectations to check the stubs against', () =>
      assert.fail('no expectations given (services/<consumer>/test/contracts/<provider>.expectations.ts)'));
  for (const e of expectations) {
    describe(`${e.consumer}: its stub of ${e.provider} answers what it reads`, () => {
      let transport: MemoryTransport | undefined;
      let consumers: Consumer[] = [];
      before(async () => {
        transport = new MemoryTransport();
        await transport.connect();
        consumers = await Promise.all(makeStubs().map((s) => s(transport!)));
      });
      after(async () => {
        await Promise.allSettled(consumers.map((c) => c.cancel()));
        await transport?.close();
      });
      for (const i of e.interactions) {
        it(`${i.call}: ${i.description}`, async (t) => {
          const { problems, skipped } = await exerciseOnStubs(
            transport!,
            e,
            i as Interaction<Contract>,
            options.states,
          );
          if (skipped) t.skip(skipped);
          fail(`the stub of ${e.provider}: ${label(e, i as Interaction<Contract>)}`, problems);
        });
      }
    });
  }
}
