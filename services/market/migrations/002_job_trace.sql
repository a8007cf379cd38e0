-- The W3C traceparent of the command that made the job: its exchange calls and the events it
-- publishes stay in the order's trace.
ALTER TABLE exchange_jobs ADD COLUMN traceparent text;
