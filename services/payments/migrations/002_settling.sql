-- Decision 14: a payment is `completed` only once its ledger posting exists. Between the provider's
-- answer and the posting, a payment the ledger could not post yet is `settling`, tried again at due_at.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('pending', 'settling', 'completed', 'failed'));
-- How many times the ledger posting was tried without success (the back-off between tries).
ALTER TABLE payments ADD COLUMN settle_attempts integer NOT NULL DEFAULT 0;
CREATE INDEX payments_open_due ON payments (due_at) WHERE status IN ('pending', 'settling');
DROP INDEX payments_pending_due;
