-- 005_limit_orders: what a resting LIMIT order needs to survive a restart (docs/TRADER.md).
-- Applied by rt-migrate inside one transaction with its schema_migrations row.

-- locked: the funds the order holds while it rests (demo: quote for a BUY, its quantity plus
-- the maker fee at the limit price; base for a SELL), in locked_asset; released when it fills
-- or is canceled. stop_loss / take_profit: the levels the position gets when it fills (a
-- signal's are also in signals, a manual order's only here).
ALTER TABLE orders
    ADD COLUMN locked       NUMERIC(28, 8) CHECK (locked > 0),
    ADD COLUMN locked_asset VARCHAR(16) CHECK (locked_asset ~ '^[A-Z0-9]{1,16}$'),
    ADD COLUMN stop_loss    NUMERIC(28, 8) CHECK (stop_loss > 0),
    ADD COLUMN take_profit  NUMERIC(28, 8) CHECK (take_profit > 0),
    ADD CONSTRAINT orders_locked_has_asset CHECK ((locked IS NULL) = (locked_asset IS NULL));

-- The demo's resting orders are looked up on every price of their symbol.
CREATE INDEX orders_resting_idx ON orders (symbol, id) WHERE status IN ('NEW', 'PARTIALLY_FILLED');
