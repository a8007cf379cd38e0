-- Who placed the order (issue 11): a customer, or strategy-orders for an investment in a strategy.
-- Orders before this migration were all the customers' own.
ALTER TABLE orders
  ADD COLUMN source        text NOT NULL DEFAULT 'customer' CHECK (source IN ('customer', 'strategy')),
  ADD COLUMN investment_id text,
  ADD CONSTRAINT orders_strategy_has_investment CHECK ((source = 'strategy') = (investment_id IS NOT NULL));
