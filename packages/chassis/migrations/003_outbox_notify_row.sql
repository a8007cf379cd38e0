-- The relay's wake-up names the row: a relay that was handed the row by its own process after
-- commit (messaging/tx.ts) knows it already and fetches nothing; any other row still wakes it.
CREATE OR REPLACE FUNCTION chassis_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('chassis_outbox', NEW.id::text);
  RETURN NULL;
END $$;
DROP TRIGGER chassis_outbox_notify ON chassis_outbox;
CREATE TRIGGER chassis_outbox_notify AFTER INSERT ON chassis_outbox
  FOR EACH ROW EXECUTE FUNCTION chassis_outbox_notify();
