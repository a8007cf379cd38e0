-- Nothing ever wrote chassis_outbox.last_error: a failed publish is logged and retried, and the
-- relay's health says why it fails. A column that always reads NULL only misleads whoever reads it.
ALTER TABLE chassis_outbox DROP COLUMN IF EXISTS last_error;
