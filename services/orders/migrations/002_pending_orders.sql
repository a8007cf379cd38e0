-- Admission control counts the pending orders often: a small index of them only.
CREATE INDEX orders_pending ON orders (created_at) WHERE status = 'pending';
