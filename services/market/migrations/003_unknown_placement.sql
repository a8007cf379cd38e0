-- A placement given up (exchange_unavailable) after a call whose outcome is unknown (timeout, reset:
-- the request may have reached the exchange) keeps a follow-up: cancel it there by client order id.
ALTER TABLE exchange_jobs ADD COLUMN placement_unknown boolean NOT NULL DEFAULT false;
ALTER TABLE exchange_jobs ADD COLUMN followup text CHECK (followup IN ('cancel_unknown_placement'));
-- orphan_filled: the exchange filled the order after we gave up (and compensated): for an operator.
ALTER TABLE exchange_jobs DROP CONSTRAINT exchange_jobs_status_check;
ALTER TABLE exchange_jobs ADD CONSTRAINT exchange_jobs_status_check CHECK (status IN ('pending', 'placed', 'filled', 'canceled', 'failed', 'orphan_filled'));
DROP INDEX exchange_jobs_due;
CREATE INDEX exchange_jobs_due ON exchange_jobs (next_attempt_at) WHERE status IN ('pending', 'placed') OR followup IS NOT NULL;
