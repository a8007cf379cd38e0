/** strategies: investment strategies, named allocations of assets summing to 100% (listings 4.1, 4.2). */
import { DateTime, Page, PageRequest, T, defineContract, event, rpc } from '@simplebank/chassis';
import { MAX_ALLOCATIONS, MAX_NAME_LENGTH } from './domain/allocations.ts';

export { MAX_ALLOCATIONS, MAX_NAME_LENGTH };

/**
 * A percentage as the service answers it: exactly two decimals ("33.33", "25.00"). What it takes
 * is looser text (PercentageInput): the service's own rules refuse a bad one with a message naming
 * the rule broken (more than two decimals, zero, over 100), which a pattern could not.
 */
export const PercentageString = T.String({
  pattern: '^(0|[1-9]\\d{0,2})\\.\\d{2}$',
  description: 'A percentage with exactly two decimals, e.g. "33.33"',
  examples: ['25.00'],
});
export const PercentageInput = T.String({
  minLength: 1,
  maxLength: 20,
  description: 'A percentage: a decimal string, > 0, at most two decimals, e.g. "25" or "33.33"',
  examples: ['33.33'],
});

export const Allocation = T.Object({ assetId: T.String(), percentage: PercentageString });
export const Strategy = T.Object({
  id: T.String(),
  name: T.String(),
  assets: T.Array(Allocation, { description: 'In the order the admin gave them' }),
  createdById: T.String({ description: 'The admin who created it' }),
  createdAt: DateTime,
});

/** The most strategies one getStrategies call may ask for. */
export const MAX_STRATEGIES_PER_CALL = 100;

export const strategiesContract = defineContract({
  service: 'strategies',
  rpc: {
    /**
     * Admins only. Every asset known to market-data and listed once, each percentage > 0 with at
     * most two decimals (validation_failed, a field error per problem, an unknown asset included);
     * the percentages summing to exactly 100, else 422 allocations_must_sum_to_100.
     */
    createStrategy: rpc({
      request: T.Object({
        name: T.String({ minLength: 1, maxLength: MAX_NAME_LENGTH }),
        assets: T.Array(
          T.Object({ assetId: T.String({ minLength: 1, maxLength: 100 }), percentage: PercentageInput }),
          { minItems: 1, maxItems: MAX_ALLOCATIONS },
        ),
      }),
      response: Strategy,
      errors: ['allocations_must_sum_to_100'],
      idempotent: true,
    }),
    getStrategy: rpc({ request: T.Object({ strategyId: T.String() }), response: Strategy, errors: ['not_found'] }),
    /** Several strategies in one call (the GraphQL gateway's batches), in the order asked; null where getStrategy would answer not_found. */
    getStrategies: rpc({
      request: T.Object({ strategyIds: T.Array(T.String(), { minItems: 1, maxItems: MAX_STRATEGIES_PER_CALL }) }),
      response: T.Object({ items: T.Array(T.Union([Strategy, T.Null()])) }),
    }),
    /** Every strategy, newest first. */
    listStrategies: rpc({ request: T.Object({ ...PageRequest }), response: Page(Strategy) }),
  },
  events: {
    /** A new strategy: notifications tells customers about it; strategy-orders reads its allocations. */
    StrategyCreated: event({
      data: T.Object({
        strategyId: T.String(),
        name: T.String(),
        assets: T.Array(Allocation),
        createdById: T.String(),
        createdAt: T.String({ format: 'date-time' }),
      }),
    }),
  },
});
