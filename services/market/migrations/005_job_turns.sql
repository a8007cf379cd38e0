-- A job's turn no longer holds its row while market talks to the exchange (issue 8: no transaction
-- across a call). A worker claims a due job (turn + 1, in_turn, next_attempt_at pushed past the
-- call's worst case), calls the exchange with no transaction open, then records the outcome only
-- if the turn is still its own. in_turn left true by a turn that never recorded (a crash) tells
-- the next claim that a placement may have reached the exchange.
ALTER TABLE exchange_jobs ADD COLUMN turn integer NOT NULL DEFAULT 0;
ALTER TABLE exchange_jobs ADD COLUMN in_turn boolean NOT NULL DEFAULT false;
