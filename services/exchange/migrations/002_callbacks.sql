-- Where to tell the client (market) that an order filled or was canceled, and the token it expects
-- back (its proof that the callback comes from here). Null: the client follows by polling only.
ALTER TABLE exchange_orders ADD COLUMN callback_url text;
ALTER TABLE exchange_orders ADD COLUMN callback_token text;
