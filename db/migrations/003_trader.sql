-- 003_trader: what rt-trader keeps beyond the books of 001_init (docs/DATABASE.md).
-- Applied by rt-migrate inside one transaction with its schema_migrations row.

-- Stream entries on `signals` that were not a valid signal (bad JSON, a missing or wrong
-- field): recorded once each, with why, then acknowledged so they are never retried forever.
-- The payload is kept as bytes (it may be anything), cut to its first 4096.
CREATE TABLE malformed_signals (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entry_id     VARCHAR(48) NOT NULL UNIQUE CHECK (entry_id ~ '^[0-9]+-[0-9]+$'),
    stream       VARCHAR(128) NOT NULL CHECK (stream <> ''),
    payload      BYTEA NOT NULL CHECK (octet_length(payload) <= 4096),
    payload_size INTEGER NOT NULL CHECK (payload_size >= 0),   -- before the cut
    field        VARCHAR(64),                                  -- the offending field, if one
    reason       TEXT NOT NULL CHECK (reason <> ''),
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX malformed_signals_received_idx ON malformed_signals (received_at DESC);

-- The trader's risk state that must survive a restart: one row.
CREATE TABLE trader_risk_state (
    id         SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    paused     BOOLEAN NOT NULL DEFAULT FALSE,
    halted     BOOLEAN NOT NULL DEFAULT FALSE,
    reason     TEXT,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO trader_risk_state (id) VALUES (1);
