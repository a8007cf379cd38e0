/**
 * Depth and cost limits of a GraphQL query, checked after validation and before anything is
 * resolved (so a refused query costs no call to any service).
 *
 * - Depth: the longest chain of nested fields, fragments followed (`accounts { orders { asset { name } } }` is 4).
 * - Cost: an upper bound of the objects the query may resolve, each a possible lookup: every field
 *   with a selection set costs 1 for each parent it may be resolved for, and a list multiplies
 *   what is below it by its size — its `first` argument (given or default) or, for lists without
 *   one, LIST_ESTIMATE. `accounts(first: 20) { orders(first: 20) { asset { name } } }` costs
 *   1 + 20 × (1 + 20 × 1) = 421.
 *
 * Introspection (`__schema`, `__type`) is left out of both: it reads the schema in memory, and
 * GraphiQL's own introspection query is deeper than any query of ours.
 */
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  valueFromAST,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export const MAX_DEPTH = 6;
export const MAX_COST = 5000;
/** What a list without a `first` argument (holdings, allocations, an investment's orders) is assumed to hold. */
export const LIST_ESTIMATE = 20;
/** The bound of every `first` argument. */
export const MAX_FIRST = 100;

export interface QueryMeasure {
  depth: number;
  cost: number;
}

function listSize(
  field: GraphQLField<unknown, unknown>,
  args: ReadonlyArray<{ name: { value: string }; value: any }>,
  variables: Record<string, unknown>,
): number {
  const first = field.args.find((a) => a.name === 'first');
  if (!first) return LIST_ESTIMATE;
  const given = args.find((a) => a.name.value === 'first');
  let value: unknown = first.defaultValue;
  if (given) {
    const v = valueFromAST(given.value, first.type, variables);
    if (v !== undefined && v !== null) value = v;
  }
  const n = typeof value === 'number' && Number.isFinite(value) ? value : LIST_ESTIMATE;
  return Math.max(1, Math.min(n, MAX_FIRST));
}

/** Depth and cost of the operation that will run. The document is valid (validate() passed). */
export function measure(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): QueryMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    else if (d.kind === Kind.OPERATION_DEFINITION) operations.push(d);
  }
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation) return { depth: 0, cost: 0 };
  const root =
    operation.operation === 'query'
      ? schema.getQueryType()
      : operation.operation === 'mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  if (!root) return { depth: 0, cost: 0 };

  let cost = 0;
  /** Walks a selection set on `type`, resolved `times` times, at `depth`; answers the deepest depth below. */
  const walk = (
    set: SelectionSetNode,
    type: GraphQLObjectType,
    times: number,
    depth: number,
    seen: ReadonlySet<string>,
  ): number => {
    let deepest = depth;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        if (isObjectType(on))
          deepest = Math.max(deepest, walk(fragment.selectionSet, on, times, depth, new Set([...seen, name])));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (isObjectType(on)) deepest = Math.max(deepest, walk(selection.selectionSet, on, times, depth, seen));
      } else {
        const name = selection.name.value;
        if (name.startsWith('__')) continue; // introspection and __typename
        const field = type.getFields()[name];
        if (!field) continue;
        deepest = Math.max(deepest, depth + 1);
        if (!selection.selectionSet) continue;
        cost += times;
        const nullable = getNullableType(field.type);
        const below = isListType(nullable) ? times * listSize(field, selection.arguments ?? [], variables) : times;
        const named = getNamedType(field.type);
        if (isObjectType(named))
          deepest = Math.max(deepest, walk(selection.selectionSet, named, below, depth + 1, seen));
      }
    }
    return deepest;
  };
  const depth = walk(operation.selectionSet, root, 1, 0, new Set());
  return { depth, cost };
}

/** The errors of a query over the limits (none: within them). */
export function limitErrors(
  m: QueryMeasure,
  limits: { maxDepth: number; maxCost: number } = { maxDepth: MAX_DEPTH, maxCost: MAX_COST },
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  if (m.depth > limits.maxDepth) {
    errors.push(
      new GraphQLError(`The query is ${m.depth} levels deep; at most ${limits.maxDepth} are allowed`, {
        extensions: { code: 'QUERY_TOO_DEEP', depth: m.depth, maxDepth: limits.maxDepth },
      }),
    );
  }
  if (m.cost > limits.maxCost) {
    errors.push(
      new GraphQLError(
        `The query may cost ${m.cost} lookups; at most ${limits.maxCost} are allowed (ask for fewer items with first, or less nesting)`,
        {
          extensions: { code: 'QUERY_TOO_COSTLY', cost: m.cost, maxCost: limits.maxCost },
        },
      ),
    );
  }
  return errors;
}
