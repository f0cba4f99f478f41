-- 001_init: the books of RootTrading (ARCHITECTURE.md section 6; docs/DATABASE.md explains
-- every column). Applied by rt-migrate inside one transaction with its schema_migrations row:
-- no BEGIN/COMMIT here.
--
-- Conventions: money and quantities NUMERIC(28,8) (the exchange's 8 decimals, exchanged with
-- the C side as exact text), never float; times TIMESTAMPTZ; symbols as the exchange writes
-- them (BTCUSDC); sides BUY|SELL; statuses from fixed lists. Cross-references are foreign keys
-- that check at each statement but may be deferred to COMMIT (SET CONSTRAINTS ALL DEFERRED)
-- by a transaction that writes rows in another order.

-- Keeps updated_at honest on tables whose rows change.
CREATE FUNCTION rt_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- Every signal the trader received, and what it did with it.
CREATE TABLE signals (
    id              VARCHAR(64) PRIMARY KEY CHECK (id <> ''),   -- the signal's own id
    strategy        VARCHAR(64) NOT NULL CHECK (strategy <> ''),
    symbol          VARCHAR(20) NOT NULL CHECK (symbol ~ '^[A-Z0-9]{2,20}$'),
    interval        VARCHAR(3) CHECK (interval IN ('1s', '1m', '3m', '5m', '15m', '30m', '1h',
                                                   '2h', '4h', '6h', '8h', '12h', '1d', '3d',
                                                   '1w', '1M')),
    side            VARCHAR(4) NOT NULL CHECK (side IN ('BUY', 'SELL')),
    price           NUMERIC(28, 8) NOT NULL CHECK (price > 0),
    stop_loss       NUMERIC(28, 8) CHECK (stop_loss > 0),
    take_profit     NUMERIC(28, 8) CHECK (take_profit > 0),
    metadata        JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    signal_time     TIMESTAMPTZ NOT NULL,                       -- the signal's own timestamp
    received_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    outcome         VARCHAR(8) NOT NULL DEFAULT 'pending'
                    CHECK (outcome IN ('pending', 'accepted', 'rejected', 'ignored')),
    reason_code     VARCHAR(64),                                -- machine-readable why
    reason          TEXT,                                       -- human-readable why
    client_order_id VARCHAR(64),                                -- the order it led to
    demo            BOOLEAN NOT NULL DEFAULT FALSE,
    CONSTRAINT signals_refusal_has_reason
        CHECK (outcome NOT IN ('rejected', 'ignored') OR reason_code IS NOT NULL),
    CONSTRAINT signals_accepted_has_order
        CHECK (outcome <> 'accepted' OR client_order_id IS NOT NULL)
);
CREATE INDEX signals_time_idx ON signals (signal_time DESC);
CREATE INDEX signals_strategy_time_idx ON signals (strategy, signal_time DESC);
CREATE INDEX signals_symbol_time_idx ON signals (symbol, signal_time DESC);
CREATE INDEX signals_received_idx ON signals (received_at DESC);

-- Positions the trader holds (spot: long only) and their exit state.
CREATE TABLE positions (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    symbol           VARCHAR(20) NOT NULL CHECK (symbol ~ '^[A-Z0-9]{2,20}$'),
    strategy         VARCHAR(64) CHECK (strategy <> ''),       -- NULL: opened manually
    status           VARCHAR(6) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    entry_price      NUMERIC(28, 8) NOT NULL CHECK (entry_price > 0),
    quantity         NUMERIC(28, 8) NOT NULL CHECK (quantity >= 0),         -- remaining
    initial_quantity NUMERIC(28, 8) NOT NULL CHECK (initial_quantity > 0),
    stop_loss        NUMERIC(28, 8) CHECK (stop_loss > 0),
    take_profit      NUMERIC(28, 8) CHECK (take_profit > 0),
    trailing_active  BOOLEAN NOT NULL DEFAULT FALSE,
    highest_price    NUMERIC(28, 8) CHECK (highest_price > 0),
    trailing_stop    NUMERIC(28, 8) CHECK (trailing_stop > 0),
    partial_taken    BOOLEAN NOT NULL DEFAULT FALSE,
    breakeven_armed  BOOLEAN NOT NULL DEFAULT FALSE,
    exit_price       NUMERIC(28, 8) CHECK (exit_price > 0),                 -- average of exits
    realized_pnl     NUMERIC(28, 8) NOT NULL DEFAULT 0,                     -- quote, after fees
    fees             NUMERIC(28, 8) NOT NULL DEFAULT 0 CHECK (fees >= 0),   -- quote
    demo             BOOLEAN NOT NULL DEFAULT FALSE,
    opened_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    closed_at        TIMESTAMPTZ,
    exit_reason      VARCHAR(64),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT positions_remaining_within_initial CHECK (quantity <= initial_quantity),
    CONSTRAINT positions_closed_when_closed_at CHECK ((status = 'open' AND closed_at IS NULL)
           OR (status = 'closed' AND closed_at IS NOT NULL AND closed_at >= opened_at))
);
-- The risk manager's "is there an open position on (symbol, strategy)": not unique, since
-- pyramiding may hold several.
CREATE INDEX positions_open_idx ON positions (symbol, strategy) WHERE status = 'open';
CREATE INDEX positions_opened_idx ON positions (opened_at DESC);
CREATE INDEX positions_closed_idx ON positions (closed_at DESC) WHERE status = 'closed';
CREATE INDEX positions_strategy_idx ON positions (strategy, opened_at DESC);
CREATE TRIGGER positions_touch BEFORE UPDATE ON positions
    FOR EACH ROW EXECUTE FUNCTION rt_touch_updated_at();

-- Every order the trader placed or tried to place, manual or from a strategy.
CREATE TABLE orders (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_order_id       VARCHAR(64) NOT NULL UNIQUE CHECK (client_order_id <> ''),
    exchange_order_id     BIGINT,                              -- NULL until the exchange acks
    symbol                VARCHAR(20) NOT NULL CHECK (symbol ~ '^[A-Z0-9]{2,20}$'),
    side                  VARCHAR(4) NOT NULL CHECK (side IN ('BUY', 'SELL')),
    type                  VARCHAR(6) NOT NULL CHECK (type IN ('MARKET', 'LIMIT')),
    status                VARCHAR(16) NOT NULL DEFAULT 'PENDING'
                          CHECK (status IN ('PENDING', 'NEW', 'PARTIALLY_FILLED', 'FILLED',
                                            'CANCELED', 'REJECTED', 'EXPIRED')),
    quantity              NUMERIC(28, 8) CHECK (quantity > 0),          -- requested, base
    quote_quantity        NUMERIC(28, 8) CHECK (quote_quantity > 0),    -- requested, quote
    price                 NUMERIC(28, 8) CHECK (price > 0),             -- limit price
    filled_quantity       NUMERIC(28, 8) NOT NULL DEFAULT 0 CHECK (filled_quantity >= 0),
    filled_quote_quantity NUMERIC(28, 8) NOT NULL DEFAULT 0 CHECK (filled_quote_quantity >= 0),
    avg_price             NUMERIC(28, 8) CHECK (avg_price > 0),
    source                VARCHAR(8) NOT NULL CHECK (source IN ('manual', 'strategy')),
    strategy              VARCHAR(64) CHECK (strategy <> ''),
    signal_id             VARCHAR(64) REFERENCES signals (id) DEFERRABLE INITIALLY IMMEDIATE,
    position_id           BIGINT REFERENCES positions (id) DEFERRABLE INITIALLY IMMEDIATE,
    reason                TEXT,                                -- why it was placed (entry, stop...)
    error                 TEXT,                                -- why it failed, when it did
    demo                  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (symbol, exchange_order_id),
    CONSTRAINT orders_amount_given CHECK (quantity IS NOT NULL OR quote_quantity IS NOT NULL),
    CONSTRAINT orders_limit_has_price CHECK (type <> 'LIMIT' OR price IS NOT NULL),
    CONSTRAINT orders_not_overfilled CHECK (quantity IS NULL OR filled_quantity <= quantity),
    CONSTRAINT orders_strategy_named CHECK (source <> 'strategy' OR strategy IS NOT NULL),
    CONSTRAINT orders_fill_has_price CHECK (filled_quantity = 0 OR avg_price IS NOT NULL)
);
CREATE INDEX orders_created_idx ON orders (created_at DESC);
CREATE INDEX orders_symbol_created_idx ON orders (symbol, created_at DESC);
CREATE INDEX orders_open_idx ON orders (symbol) WHERE status IN ('PENDING', 'NEW', 'PARTIALLY_FILLED');
CREATE INDEX orders_signal_idx ON orders (signal_id) WHERE signal_id IS NOT NULL;
CREATE INDEX orders_position_idx ON orders (position_id) WHERE position_id IS NOT NULL;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION rt_touch_updated_at();

-- Fills. The seed's columns (roottrading.md, "CREATE TABLE trades") keep their names so that
-- its sample queries run as written; order_id is our orders.id (the exchange's order id is
-- orders.exchange_order_id).
CREATE TABLE trades (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          BIGINT REFERENCES orders (id) DEFERRABLE INITIALLY IMMEDIATE,
    symbol            VARCHAR(20) NOT NULL CHECK (symbol ~ '^[A-Z0-9]{2,20}$'),
    side              VARCHAR(4) NOT NULL CHECK (side IN ('BUY', 'SELL')),
    status            VARCHAR(16) NOT NULL DEFAULT 'FILLED'
                      CHECK (status IN ('PARTIALLY_FILLED', 'FILLED')),
    price             NUMERIC(28, 8) NOT NULL CHECK (price > 0),
    quantity          NUMERIC(28, 8) NOT NULL CHECK (quantity > 0),
    fee               NUMERIC(28, 8) NOT NULL DEFAULT 0 CHECK (fee >= 0),
    fee_asset         VARCHAR(16) CHECK (fee_asset ~ '^[A-Z0-9]{1,16}$'),
    role              VARCHAR(5) CHECK (role IN ('MAKER', 'TAKER')),
    quote_quantity    NUMERIC(28, 8) NOT NULL CHECK (quote_quantity >= 0),  -- price * quantity
    timestamp         TIMESTAMPTZ NOT NULL DEFAULT now(),
    demo              BOOLEAN NOT NULL DEFAULT FALSE,
    strategy          VARCHAR(64) CHECK (strategy <> ''),       -- NULL: manual
    client_order_id   VARCHAR(64),
    position_id       BIGINT REFERENCES positions (id) DEFERRABLE INITIALLY IMMEDIATE,
    exchange_trade_id BIGINT,                                    -- NULL in demo mode
    UNIQUE (symbol, exchange_trade_id),
    CONSTRAINT trades_fee_has_asset CHECK (fee = 0 OR fee_asset IS NOT NULL)
);
CREATE INDEX trades_time_idx ON trades (timestamp DESC);
CREATE INDEX trades_symbol_time_idx ON trades (symbol, timestamp DESC);
CREATE INDEX trades_strategy_time_idx ON trades (strategy, timestamp DESC);
CREATE INDEX trades_order_idx ON trades (order_id);
CREATE INDEX trades_position_idx ON trades (position_id) WHERE position_id IS NOT NULL;
CREATE INDEX trades_client_order_idx ON trades (client_order_id) WHERE client_order_id IS NOT NULL;

-- Balances of the demo account (the trader in demo mode debits and credits them here; they
-- can never go negative).
CREATE TABLE balances (
    asset      VARCHAR(16) PRIMARY KEY CHECK (asset ~ '^[A-Z0-9]{1,16}$'),
    free       NUMERIC(28, 8) NOT NULL DEFAULT 0 CHECK (free >= 0),
    locked     NUMERIC(28, 8) NOT NULL DEFAULT 0 CHECK (locked >= 0),
    demo       BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER balances_touch BEFORE UPDATE ON balances
    FOR EACH ROW EXECUTE FUNCTION rt_touch_updated_at();

-- The equity curve: at each ts, one row per asset and one row with asset '*' for the whole
-- account (its quote_value is the total; free/locked/total stay NULL).
CREATE TABLE balance_snapshots (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts          TIMESTAMPTZ NOT NULL DEFAULT now(),
    asset       VARCHAR(16) NOT NULL CHECK (asset = '*' OR asset ~ '^[A-Z0-9]{1,16}$'),
    free        NUMERIC(28, 8) CHECK (free >= 0),
    locked      NUMERIC(28, 8) CHECK (locked >= 0),
    total       NUMERIC(28, 8) CHECK (total >= 0),
    quote_value NUMERIC(28, 8) CHECK (quote_value >= 0),        -- this row's value in quote
    total_quote NUMERIC(28, 8) NOT NULL CHECK (total_quote >= 0), -- the account's, at ts
    quote_asset VARCHAR(16) NOT NULL CHECK (quote_asset ~ '^[A-Z0-9]{1,16}$'),
    demo        BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (ts, asset, demo),
    CONSTRAINT balance_snapshots_asset_amounts
        CHECK (asset = '*' OR (free IS NOT NULL AND locked IS NOT NULL AND total = free + locked)),
    CONSTRAINT balance_snapshots_account_row CHECK (asset <> '*' OR quote_value = total_quote)
);
CREATE INDEX balance_snapshots_total_idx ON balance_snapshots (ts DESC) WHERE asset = '*';
CREATE INDEX balance_snapshots_asset_idx ON balance_snapshots (asset, ts DESC);

-- Closed candles, for the dashboard's chart and for backtests.
CREATE TABLE candles (
    symbol     VARCHAR(20) NOT NULL CHECK (symbol ~ '^[A-Z0-9]{2,20}$'),
    interval   VARCHAR(3) NOT NULL CHECK (interval IN ('1s', '1m', '3m', '5m', '15m', '30m',
                                                       '1h', '2h', '4h', '6h', '8h', '12h',
                                                       '1d', '3d', '1w', '1M')),
    open_time  TIMESTAMPTZ NOT NULL,
    close_time TIMESTAMPTZ NOT NULL,
    open       NUMERIC(28, 8) NOT NULL CHECK (open > 0),
    high       NUMERIC(28, 8) NOT NULL CHECK (high > 0),
    low        NUMERIC(28, 8) NOT NULL CHECK (low > 0),
    close      NUMERIC(28, 8) NOT NULL CHECK (close > 0),
    volume     NUMERIC(28, 8) NOT NULL CHECK (volume >= 0),
    PRIMARY KEY (symbol, interval, open_time),
    CONSTRAINT candles_times_ordered CHECK (close_time > open_time),
    CONSTRAINT candles_ohlc_consistent CHECK (low <= open AND low <= close AND high >= open AND high >= close)
);
