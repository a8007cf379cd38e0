-- Saga orchestration state: one row per saga instance, its log, and the signals sent to it.
-- The runner changes a saga only inside a transaction that holds the saga's row lock, so the row is
-- always the committed truth about how far the saga got.

CREATE TABLE chassis_sagas (
  id            text PRIMARY KEY,
  type          text NOT NULL,
  status        text NOT NULL CHECK (status IN ('running', 'waiting', 'compensating', 'completed', 'compensated', 'failed')),
  data          jsonb NOT NULL,
  -- running/waiting: the step whose action runs next; compensating: the step compensated next (-1: none left).
  step_index    integer NOT NULL DEFAULT 0,
  current_step  text,                   -- its name, to notice a definition that changed under a live saga
  attempt       integer NOT NULL DEFAULT 0,  -- failed tries of the current invocation
  wait_signals  text[],                 -- waiting: the signals that wake the step
  wait_until    timestamptz,            -- waiting: when the step is woken with `timeout`
  deadline_at   timestamptz,            -- the current step's own timeout (its `timeoutMs`)
  past_pivot    boolean NOT NULL DEFAULT false,
  interrupt     jsonb,                  -- {code, message}: a requested cancellation not acted on yet
  failure       jsonb,                  -- {code, message}: why the saga compensated
  cause         jsonb NOT NULL,         -- the Causation that began it: correlation id, trace, identity
  next_run_at   timestamptz NOT NULL DEFAULT clock_timestamp(),  -- retry back-off
  -- The lease: a runner that took the saga owns it until then; a crashed runner's lease just expires.
  locked_until  timestamptz,
  lease_token   text,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- What the runners scan: live sagas by due time.
CREATE INDEX chassis_sagas_runnable ON chassis_sagas (next_run_at) WHERE status IN ('running', 'waiting', 'compensating');
CREATE INDEX chassis_sagas_type_status ON chassis_sagas (type, status);

-- Every invocation of an action or compensation, and every decision (failure, timeout, interrupt).
CREATE TABLE chassis_saga_log (
  id        bigserial PRIMARY KEY,
  saga_id   text NOT NULL REFERENCES chassis_sagas (id) ON DELETE CASCADE,
  step      text NOT NULL,
  phase     text NOT NULL CHECK (phase IN ('action', 'compensation')),
  outcome   text NOT NULL,                -- done, waiting, error (retried), failed, timeout, interrupted, compensated
  attempt   integer NOT NULL,
  detail    text,
  at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX chassis_saga_log_saga ON chassis_saga_log (saga_id, id);

-- Signals: kept until a step waiting for them consumes them (each once, in the step's transaction).
-- Consumed rows stay, so a late duplicate with the same dedup key is still recognised.
CREATE TABLE chassis_saga_signals (
  id          bigserial PRIMARY KEY,
  saga_id     text NOT NULL REFERENCES chassis_sagas (id) ON DELETE CASCADE,
  name        text NOT NULL,
  payload     jsonb,
  dedup_key   text,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  consumed_at timestamptz
);
CREATE INDEX chassis_saga_signals_pending ON chassis_saga_signals (saga_id, name, id) WHERE consumed_at IS NULL;
CREATE UNIQUE INDEX chassis_saga_signals_dedup ON chassis_saga_signals (saga_id, name, dedup_key) WHERE dedup_key IS NOT NULL;
