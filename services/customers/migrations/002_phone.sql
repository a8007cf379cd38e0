-- The customer's mobile number (E.164), where SMS notifications go: optional, set with PATCH /v1/me.
ALTER TABLE customers ADD COLUMN phone text;
