/**
 * Runtime validation from the same TypeBox schemas that give the static types. Compiled once per
 * schema (TypeCompiler emits a specialised checker), so validating every call and message is cheap.
 */
import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValidationError, type FieldError } from '../errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', (v) => UUID.test(v));
if (!FormatRegistry.Has('email')) FormatRegistry.Set('email', (v) => v.length <= 254 && EMAIL.test(v));
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set('date-time', (v) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)));

const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checker<S extends TSchema>(schema: S): TypeCheck<S> {
  let check = compiled.get(schema);
  if (!check) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check as TypeCheck<S>;
}

/** Field errors of `value` against `schema`, at most `limit` of them; empty when valid. */
export function validationErrors(schema: TSchema, value: unknown, limit = 20): FieldError[] {
  const check = checker(schema);
  if (check.Check(value)) return [];
  const errors: FieldError[] = [];
  for (const e of check.Errors(value)) {
    errors.push({ path: e.path || '/', message: e.message });
    if (errors.length >= limit) break;
  }
  return errors;
}

export function isValid<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  return checker(schema).Check(value);
}

/** Throws a ValidationError naming every field that does not match. */
export function assertValid<S extends TSchema>(schema: S, value: unknown, what: string): asserts value is Static<S> {
  if (checker(schema).Check(value)) return;
  throw new ValidationError(`Invalid ${what}`, validationErrors(schema, value));
}
