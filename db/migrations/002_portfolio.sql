-- 002_portfolio: what the read API of rt-portfolio needs to stay fast with millions of rows.
--
-- 1. Paging indexes: trade history is ordered newest first with the id as tie-break
--    (timestamp DESC, id DESC), so every filter combination pages through an index with
--    LIMIT/OFFSET and never sorts or scans the table.
-- 2. Running aggregates kept by statement-level triggers (transition tables, so a bulk insert
--    costs one upsert per group, not per row): trade_stats (count and volumes per symbol and
--    strategy) and position_stats (closed count, wins, realized PnL, fees). Totals, page
--    counts, the win rate and PnL by pair or strategy read a handful of rows instead of
--    counting a million. The strategy key is '' for manual trades (NULL cannot be a key).
-- 3. Candles by symbol and time, for the latest close of a symbol whatever its interval.

CREATE INDEX trades_page_idx ON trades (timestamp DESC, id DESC);
CREATE INDEX trades_symbol_page_idx ON trades (symbol, timestamp DESC, id DESC);
CREATE INDEX trades_strategy_page_idx ON trades (strategy, timestamp DESC, id DESC);
CREATE INDEX trades_symbol_strategy_page_idx ON trades (symbol, strategy, timestamp DESC, id DESC);
CREATE INDEX positions_open_opened_idx ON positions (opened_at DESC, id DESC) WHERE status = 'open';
CREATE INDEX positions_closed_page_idx ON positions (closed_at DESC, id DESC) WHERE status = 'closed';
CREATE INDEX candles_symbol_time_idx ON candles (symbol, open_time DESC);

CREATE TABLE trade_stats (
    symbol      VARCHAR(20) NOT NULL,
    strategy    VARCHAR(64) NOT NULL,                 -- '' = manual
    trade_count BIGINT NOT NULL DEFAULT 0,
    buy_count   BIGINT NOT NULL DEFAULT 0,
    sell_count  BIGINT NOT NULL DEFAULT 0,
    buy_quote   NUMERIC(38, 8) NOT NULL DEFAULT 0,    -- sum of quote_quantity of buys
    sell_quote  NUMERIC(38, 8) NOT NULL DEFAULT 0,    -- sum of quote_quantity of sells
    PRIMARY KEY (symbol, strategy)
);

CREATE FUNCTION rt_trade_stats_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO trade_stats AS s (symbol, strategy, trade_count, buy_count, sell_count,
                                      buy_quote, sell_quote)
        SELECT symbol, COALESCE(strategy, ''), -count(*),
               -count(*) FILTER (WHERE side = 'BUY'), -count(*) FILTER (WHERE side = 'SELL'),
               -COALESCE(sum(quote_quantity) FILTER (WHERE side = 'BUY'), 0),
               -COALESCE(sum(quote_quantity) FILTER (WHERE side = 'SELL'), 0)
        FROM old_rows GROUP BY 1, 2
        ON CONFLICT (symbol, strategy) DO UPDATE SET
            trade_count = s.trade_count + EXCLUDED.trade_count,
            buy_count = s.buy_count + EXCLUDED.buy_count,
            sell_count = s.sell_count + EXCLUDED.sell_count,
            buy_quote = s.buy_quote + EXCLUDED.buy_quote,
            sell_quote = s.sell_quote + EXCLUDED.sell_quote;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO trade_stats AS s (symbol, strategy, trade_count, buy_count, sell_count,
                                      buy_quote, sell_quote)
        SELECT symbol, COALESCE(strategy, ''), count(*),
               count(*) FILTER (WHERE side = 'BUY'), count(*) FILTER (WHERE side = 'SELL'),
               COALESCE(sum(quote_quantity) FILTER (WHERE side = 'BUY'), 0),
               COALESCE(sum(quote_quantity) FILTER (WHERE side = 'SELL'), 0)
        FROM new_rows GROUP BY 1, 2
        ON CONFLICT (symbol, strategy) DO UPDATE SET
            trade_count = s.trade_count + EXCLUDED.trade_count,
            buy_count = s.buy_count + EXCLUDED.buy_count,
            sell_count = s.sell_count + EXCLUDED.sell_count,
            buy_quote = s.buy_quote + EXCLUDED.buy_quote,
            sell_quote = s.sell_quote + EXCLUDED.sell_quote;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER trades_stats_ins AFTER INSERT ON trades REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rt_trade_stats_apply();
CREATE TRIGGER trades_stats_upd AFTER UPDATE ON trades
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rt_trade_stats_apply();
CREATE TRIGGER trades_stats_del AFTER DELETE ON trades REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rt_trade_stats_apply();

INSERT INTO trade_stats (symbol, strategy, trade_count, buy_count, sell_count, buy_quote,
                         sell_quote)
SELECT symbol, COALESCE(strategy, ''), count(*), count(*) FILTER (WHERE side = 'BUY'),
       count(*) FILTER (WHERE side = 'SELL'),
       COALESCE(sum(quote_quantity) FILTER (WHERE side = 'BUY'), 0),
       COALESCE(sum(quote_quantity) FILTER (WHERE side = 'SELL'), 0)
FROM trades GROUP BY 1, 2;

-- Realized PnL counts every position (partial exits of open ones included); closed, wins and
-- losses count closed positions only (a win: realized_pnl > 0 after fees).
CREATE TABLE position_stats (
    symbol        VARCHAR(20) NOT NULL,
    strategy      VARCHAR(64) NOT NULL,               -- '' = manual
    open_count    BIGINT NOT NULL DEFAULT 0,
    closed_count  BIGINT NOT NULL DEFAULT 0,
    wins          BIGINT NOT NULL DEFAULT 0,
    losses        BIGINT NOT NULL DEFAULT 0,
    realized_pnl  NUMERIC(38, 8) NOT NULL DEFAULT 0,
    fees          NUMERIC(38, 8) NOT NULL DEFAULT 0,
    PRIMARY KEY (symbol, strategy)
);

CREATE FUNCTION rt_position_stats_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- One signed contribution per row: old rows subtract, new rows add; groups whose
    -- contribution nets to zero (a trailing-stop update) write nothing. Each branch names only
    -- the transition tables its operation has.
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO position_stats AS s (symbol, strategy, open_count, closed_count, wins,
                                         losses, realized_pnl, fees)
        SELECT symbol, strategy, sum(o), sum(c), sum(w), sum(l), sum(r), sum(f)
        FROM (
            SELECT symbol, COALESCE(strategy, '') AS strategy,
                   (CASE WHEN status = 'open' THEN -1 ELSE 0 END) AS o,
                   (CASE WHEN status = 'closed' THEN -1 ELSE 0 END) AS c,
                   (CASE WHEN status = 'closed' AND realized_pnl > 0 THEN -1 ELSE 0 END) AS w,
                   (CASE WHEN status = 'closed' AND realized_pnl <= 0 THEN -1 ELSE 0 END) AS l,
                   -realized_pnl AS r, -fees AS f
            FROM old_rows
            UNION ALL
            SELECT symbol, COALESCE(strategy, '') AS strategy,
                   (CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS o,
                   (CASE WHEN status = 'closed' THEN 1 ELSE 0 END) AS c,
                   (CASE WHEN status = 'closed' AND realized_pnl > 0 THEN 1 ELSE 0 END) AS w,
                   (CASE WHEN status = 'closed' AND realized_pnl <= 0 THEN 1 ELSE 0 END) AS l,
                   realized_pnl AS r, fees AS f
            FROM new_rows
        ) d
        GROUP BY 1, 2
        HAVING sum(o) <> 0 OR sum(c) <> 0 OR sum(w) <> 0 OR sum(l) <> 0 OR sum(r) <> 0
            OR sum(f) <> 0
        ON CONFLICT (symbol, strategy) DO UPDATE SET
            open_count = s.open_count + EXCLUDED.open_count,
            closed_count = s.closed_count + EXCLUDED.closed_count,
            wins = s.wins + EXCLUDED.wins,
            losses = s.losses + EXCLUDED.losses,
            realized_pnl = s.realized_pnl + EXCLUDED.realized_pnl,
            fees = s.fees + EXCLUDED.fees;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO position_stats AS s (symbol, strategy, open_count, closed_count, wins,
                                         losses, realized_pnl, fees)
        SELECT symbol, strategy, sum(o), sum(c), sum(w), sum(l), sum(r), sum(f)
        FROM (
            SELECT symbol, COALESCE(strategy, '') AS strategy,
                   (CASE WHEN status = 'open' THEN 1 ELSE 0 END) AS o,
                   (CASE WHEN status = 'closed' THEN 1 ELSE 0 END) AS c,
                   (CASE WHEN status = 'closed' AND realized_pnl > 0 THEN 1 ELSE 0 END) AS w,
                   (CASE WHEN status = 'closed' AND realized_pnl <= 0 THEN 1 ELSE 0 END) AS l,
                   realized_pnl AS r, fees AS f
            FROM new_rows
        ) d
        GROUP BY 1, 2
        HAVING sum(o) <> 0 OR sum(c) <> 0 OR sum(w) <> 0 OR sum(l) <> 0 OR sum(r) <> 0
            OR sum(f) <> 0
        ON CONFLICT (symbol, strategy) DO UPDATE SET
            open_count = s.open_count + EXCLUDED.open_count,
            closed_count = s.closed_count + EXCLUDED.closed_count,
            wins = s.wins + EXCLUDED.wins,
            losses = s.losses + EXCLUDED.losses,
            realized_pnl = s.realized_pnl + EXCLUDED.realized_pnl,
            fees = s.fees + EXCLUDED.fees;
    ELSE
        INSERT INTO position_stats AS s (symbol, strategy, open_count, closed_count, wins,
                                         losses, realized_pnl, fees)
        SELECT symbol, strategy, sum(o), sum(c), sum(w), sum(l), sum(r), sum(f)
        FROM (
            SELECT symbol, COALESCE(strategy, '') AS strategy,
                   (CASE WHEN status = 'open' THEN -1 ELSE 0 END) AS o,
                   (CASE WHEN status = 'closed' THEN -1 ELSE 0 END) AS c,
                   (CASE WHEN status = 'closed' AND realized_pnl > 0 THEN -1 ELSE 0 END) AS w,
                   (CASE WHEN status = 'closed' AND realized_pnl <= 0 THEN -1 ELSE 0 END) AS l,
                   -realized_pnl AS r, -fees AS f
            FROM old_rows
        ) d
        GROUP BY 1, 2
        HAVING sum(o) <> 0 OR sum(c) <> 0 OR sum(w) <> 0 OR sum(l) <> 0 OR sum(r) <> 0
            OR sum(f) <> 0
        ON CONFLICT (symbol, strategy) DO UPDATE SET
            open_count = s.open_count + EXCLUDED.open_count,
            closed_count = s.closed_count + EXCLUDED.closed_count,
            wins = s.wins + EXCLUDED.wins,
            losses = s.losses + EXCLUDED.losses,
            realized_pnl = s.realized_pnl + EXCLUDED.realized_pnl,
            fees = s.fees + EXCLUDED.fees;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER positions_stats_ins AFTER INSERT ON positions REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rt_position_stats_apply();
CREATE TRIGGER positions_stats_upd AFTER UPDATE ON positions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rt_position_stats_apply();
CREATE TRIGGER positions_stats_del AFTER DELETE ON positions REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION rt_position_stats_apply();

INSERT INTO position_stats (symbol, strategy, open_count, closed_count, wins, losses,
                            realized_pnl, fees)
SELECT symbol, COALESCE(strategy, ''), count(*) FILTER (WHERE status = 'open'),
       count(*) FILTER (WHERE status = 'closed'),
       count(*) FILTER (WHERE status = 'closed' AND realized_pnl > 0),
       count(*) FILTER (WHERE status = 'closed' AND realized_pnl <= 0),
       sum(realized_pnl), sum(fees)
FROM positions GROUP BY 1, 2;
