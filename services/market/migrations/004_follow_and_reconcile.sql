-- Follow-up polls of a placed order that found it still open: the safety net behind the exchange's
-- callbacks backs off with them.
ALTER TABLE exchange_jobs ADD COLUMN follow_polls integer NOT NULL DEFAULT 0;
-- mismatch: the exchange holds an order under our client order id that is not the one we placed
-- (asset, side, quantity, limit, or a fill outside the limit): its fill is refused; for an operator.
ALTER TABLE exchange_jobs DROP CONSTRAINT exchange_jobs_status_check;
ALTER TABLE exchange_jobs ADD CONSTRAINT exchange_jobs_status_check CHECK (status IN ('pending', 'placed', 'filled', 'canceled', 'failed', 'orphan_filled', 'mismatch'));
