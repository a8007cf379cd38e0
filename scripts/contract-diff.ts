/**
 * Breaking changes between two versions of SimpleBank's contracts: the services' message contracts
 * (docs/contracts/<service>.json: RPC methods, events, commands, with JSON Schemas) and the public
 * HTTP API (the gateway's OpenAPI document). Used by scripts/contracts.ts (`npm run contracts:check`).
 *
 * A schema is read in one of two directions:
 *   - `in`: what a caller sends and the owner accepts (RPC requests, commands, HTTP request bodies and
 *     parameters). The new schema must accept everything the old one did.
 *   - `out`: what the owner sends and others read (RPC responses, events, HTTP responses). The new
 *     schema may only promise more: every field there before is still there, with no new type.
 * Breaking: a removed method, route, event or command; a removed field (either direction); a new
 * required field, or a field becoming required, in `in`; a field no longer always present in `out`;
 * a narrowed type (`in`: a type or an enum value no longer accepted, a constraint tightened or added);
 * a removed enum value (either direction); a new type in `out`; an idempotent method no longer so.
 * Additive (reported, not failing): new methods, routes, events, optional `in` fields, `out` fields,
 * enum values (readers tolerate unknown values: docs/deploy.md), loosened `in` constraints.
 */

export type Direction = 'in' | 'out';
type Schema = Record<string, any>;

export interface Change {
  breaking: boolean;
  where: string;
  what: string;
}

/** The values a schema is limited to (`const`, `enum`, or an anyOf of consts), or undefined. */
function enumValues(s: Schema): unknown[] | undefined {
  if (s.const !== undefined) return [s.const];
  if (Array.isArray(s.enum)) return s.enum;
  if (Array.isArray(s.anyOf) && s.anyOf.length > 0 && s.anyOf.every((b: Schema) => b.const !== undefined))
    return s.anyOf.map((b: Schema) => b.const);
  return undefined;
}

function types(s: Schema): Set<string> | undefined {
  if (s.type !== undefined) return new Set(Array.isArray(s.type) ? s.type : [s.type]);
  if (Array.isArray(s.anyOf) && s.anyOf.every((b: Schema) => b.type !== undefined))
    return new Set(s.anyOf.flatMap((b: Schema) => (Array.isArray(b.type) ? b.type : [b.type])));
  return undefined;
}

const show = (v: unknown) => JSON.stringify(v);

/** Compares two JSON Schemas in a direction, appending every change to `out`. */
export function compareSchemas(
  before: Schema | undefined,
  after: Schema | undefined,
  direction: Direction,
  where: string,
  out: Change[],
): void {
  if (before === undefined || after === undefined) {
    if (before !== undefined && after === undefined) out.push({ breaking: true, where, what: 'schema removed' });
    return;
  }
  if (show(before) === show(after)) return;
  const add = (breaking: boolean, what: string) => out.push({ breaking, where, what });

  const oldEnum = enumValues(before);
  const newEnum = enumValues(after);
  if (oldEnum && newEnum) {
    const removed = oldEnum.filter((v) => !newEnum.some((n) => show(n) === show(v)));
    const added = newEnum.filter((v) => !oldEnum.some((o) => show(o) === show(v)));
    if (removed.length > 0)
      add(true, `enum value${removed.length > 1 ? 's' : ''} removed: ${removed.map(show).join(', ')}`);
    if (added.length > 0) add(false, `enum value${added.length > 1 ? 's' : ''} added: ${added.map(show).join(', ')}`);
    return;
  }
  if (oldEnum && !newEnum) {
    if (direction === 'out') add(true, `was one of ${oldEnum.map(show).join(', ')}, now any value of its type`);
    else add(false, `no longer limited to ${oldEnum.map(show).join(', ')}`);
  } else if (!oldEnum && newEnum) {
    add(direction === 'in', `now limited to ${newEnum.map(show).join(', ')}`);
  }

  const oldTypes = types(before);
  const newTypes = types(after);
  if (oldTypes && newTypes) {
    // An integer is a number: accepting `number` where `integer` was is wider, not another type.
    const covers = (set: Set<string>, t: string) => set.has(t) || (t === 'integer' && set.has('number'));
    const lost = [...oldTypes].filter((t) => !covers(newTypes, t));
    const gained = [...newTypes].filter((t) => !covers(oldTypes, t));
    if (direction === 'in' && lost.length > 0)
      add(true, `narrowed type: ${[...oldTypes].join('|')} → ${[...newTypes].join('|')}`);
    if (direction === 'out' && gained.length > 0)
      add(true, `new type in what others read: ${[...oldTypes].join('|')} → ${[...newTypes].join('|')}`);
    if (direction === 'in' && lost.length === 0 && gained.length > 0)
      add(false, `type widened: ${[...oldTypes].join('|')} → ${[...newTypes].join('|')}`);
  }

  if (direction === 'in') {
    const tighter: Array<[string, (o: number, n: number) => boolean]> = [
      ['maxLength', (o, n) => n < o],
      ['maxItems', (o, n) => n < o],
      ['maximum', (o, n) => n < o],
      ['exclusiveMaximum', (o, n) => n < o],
      ['minLength', (o, n) => n > o],
      ['minItems', (o, n) => n > o],
      ['minimum', (o, n) => n > o],
      ['exclusiveMinimum', (o, n) => n > o],
    ];
    for (const [key, narrower] of tighter) {
      const o = before[key];
      const n = after[key];
      if (typeof n === 'number' && (typeof o !== 'number' || narrower(o, n)))
        add(true, `narrowed: ${key} ${o ?? 'none'} → ${n}`);
      else if (typeof o === 'number' && (typeof n !== 'number' || narrower(n, o)))
        add(false, `loosened: ${key} ${o} → ${n ?? 'none'}`);
    }
    for (const key of ['pattern', 'format']) {
      if (after[key] !== undefined && after[key] !== before[key])
        add(true, `narrowed: ${key} ${show(before[key] ?? null)} → ${show(after[key])}`);
      else if (before[key] !== undefined && after[key] === undefined) add(false, `loosened: ${key} removed`);
    }
    if (before.additionalProperties !== false && after.additionalProperties === false && before.properties)
      add(true, 'narrowed: no longer accepts other properties');
  }

  if (before.properties || after.properties) {
    const oldProps: Record<string, Schema> = before.properties ?? {};
    const newProps: Record<string, Schema> = after.properties ?? {};
    const oldRequired = new Set<string>(before.required ?? []);
    const newRequired = new Set<string>(after.required ?? []);
    for (const name of Object.keys(oldProps)) {
      const at = `${where}/${name}`;
      if (!(name in newProps)) {
        out.push({ breaking: true, where: at, what: 'field removed' });
        continue;
      }
      if (direction === 'in' && !oldRequired.has(name) && newRequired.has(name))
        out.push({ breaking: true, where: at, what: 'field now required' });
      if (direction === 'out' && oldRequired.has(name) && !newRequired.has(name))
        out.push({ breaking: true, where: at, what: 'field no longer always present' });
      if (direction === 'in' && oldRequired.has(name) && !newRequired.has(name))
        out.push({ breaking: false, where: at, what: 'field now optional' });
      compareSchemas(oldProps[name], newProps[name], direction, at, out);
    }
    for (const name of Object.keys(newProps)) {
      if (name in oldProps) continue;
      const at = `${where}/${name}`;
      if (direction === 'in' && newRequired.has(name))
        out.push({ breaking: true, where: at, what: 'new required field' });
      else
        out.push({
          breaking: false,
          where: at,
          what: `new ${direction === 'in' || !newRequired.has(name) ? 'optional ' : ''}field`,
        });
    }
  }
  if (before.items || after.items) compareSchemas(before.items, after.items, direction, `${where}[]`, out);
  // Unions of object schemas (not of consts): compared branch by branch when their number is unchanged.
  if (Array.isArray(before.anyOf) && Array.isArray(after.anyOf) && !oldEnum && !newEnum) {
    if (before.anyOf.length === after.anyOf.length)
      before.anyOf.forEach((b: Schema, i: number) =>
        compareSchemas(b, after.anyOf[i], direction, `${where}|${i}`, out),
      );
    else if (direction === 'in' && after.anyOf.length < before.anyOf.length)
      add(true, `narrowed: ${before.anyOf.length} alternatives → ${after.anyOf.length}`);
    else if (direction === 'out' && after.anyOf.length > before.anyOf.length)
      add(true, `new alternatives in what others read: ${before.anyOf.length} → ${after.anyOf.length}`);
    else add(false, `alternatives ${before.anyOf.length} → ${after.anyOf.length}`);
  }
}

/** A service's contract document (docs/contracts/<service>.json). */
export interface ContractDoc {
  service: string;
  rpc: Record<string, { request: Schema; response: Schema; errors?: unknown; idempotent?: boolean }>;
  events: Record<string, Schema>;
  commands: Record<string, Schema>;
}

export function compareContracts(before: ContractDoc, after: ContractDoc | undefined): Change[] {
  const out: Change[] = [];
  const s = before.service;
  if (!after) return [{ breaking: true, where: s, what: 'service contract removed' }];
  for (const [name, m] of Object.entries(before.rpc ?? {})) {
    const n = after.rpc?.[name];
    if (!n) {
      out.push({ breaking: true, where: `${s} rpc ${name}`, what: 'method removed' });
      continue;
    }
    compareSchemas(m.request, n.request, 'in', `${s} rpc ${name} request`, out);
    compareSchemas(m.response, n.response, 'out', `${s} rpc ${name} response`, out);
    if (m.idempotent === true && n.idempotent !== true)
      out.push({ breaking: true, where: `${s} rpc ${name}`, what: 'no longer idempotent (callers retry it)' });
  }
  for (const name of Object.keys(after.rpc ?? {}))
    if (!before.rpc?.[name]) out.push({ breaking: false, where: `${s} rpc ${name}`, what: 'new method' });
  for (const [kind, direction] of [
    ['events', 'out'],
    ['commands', 'in'],
  ] as const) {
    for (const [name, schema] of Object.entries(before[kind] ?? {})) {
      const next = after[kind]?.[name];
      if (!next)
        out.push({
          breaking: true,
          where: `${s} ${kind} ${name}`,
          what: `${kind === 'events' ? 'event' : 'command'} removed`,
        });
      else {
        // A message is {type, name, version, data}: its type (with the version) is what consumers bind to.
        if (schema.type !== next.type && typeof schema.type === 'string' && !('properties' in schema))
          out.push({
            breaking: true,
            where: `${s} ${kind} ${name}`,
            what: `message type ${schema.type} → ${next.type}`,
          });
        compareSchemas(schema.data ?? schema, next.data ?? next, direction, `${s} ${kind} ${name}`, out);
      }
    }
    for (const name of Object.keys(after[kind] ?? {}))
      if (!before[kind]?.[name])
        out.push({
          breaking: false,
          where: `${s} ${kind} ${name}`,
          what: `new ${kind === 'events' ? 'event' : 'command'}`,
        });
  }
  return out;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** The public API: routes, their parameters, request bodies and success responses. */
export function compareOpenApi(before: Schema, after: Schema): Change[] {
  const out: Change[] = [];
  for (const [path, item] of Object.entries<Schema>(before.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const next = after.paths?.[path]?.[method];
      if (!next) {
        out.push({ breaking: true, where, what: 'route removed' });
        continue;
      }
      const key = (p: Schema) => `${p.in}:${p.name}`;
      const oldParams = new Map<string, Schema>((op.parameters ?? []).map((p: Schema) => [key(p), p]));
      const newParams = new Map<string, Schema>((next.parameters ?? []).map((p: Schema) => [key(p), p]));
      for (const [k, p] of oldParams) {
        const n = newParams.get(k);
        if (!n) out.push({ breaking: true, where: `${where} parameter ${k}`, what: 'parameter removed' });
        else {
          if (!p.required && n.required)
            out.push({ breaking: true, where: `${where} parameter ${k}`, what: 'parameter now required' });
          compareSchemas(p.schema, n.schema, 'in', `${where} parameter ${k}`, out);
        }
      }
      for (const [k, n] of newParams) {
        if (oldParams.has(k)) continue;
        out.push({
          breaking: Boolean(n.required),
          where: `${where} parameter ${k}`,
          what: n.required ? 'new required parameter' : 'new optional parameter',
        });
      }
      const body = (o: Schema) => o.requestBody?.content?.['application/json']?.schema;
      if (body(op) && !op.requestBody?.required && next.requestBody?.required)
        out.push({ breaking: true, where: `${where} body`, what: 'body now required' });
      if (!body(op) && body(next) && next.requestBody?.required)
        out.push({ breaking: true, where: `${where} body`, what: 'new required body' });
      compareSchemas(body(op), body(next), 'in', `${where} body`, out);
      for (const [status, response] of Object.entries<Schema>(op.responses ?? {})) {
        if (!/^2/.test(status)) continue;
        const n = next.responses?.[status];
        const schema = (r: Schema | undefined) => r?.content?.['application/json']?.schema;
        if (!n) out.push({ breaking: true, where: `${where} ${status}`, what: 'success response removed' });
        else compareSchemas(schema(response), schema(n), 'out', `${where} ${status}`, out);
      }
    }
  }
  for (const [path, item] of Object.entries<Schema>(after.paths ?? {})) {
    for (const method of METHODS)
      if (item[method] && !before.paths?.[path]?.[method])
        out.push({ breaking: false, where: `${method.toUpperCase()} ${path}`, what: 'new route' });
  }
  return out;
}
