-- 004_trade_fee_unvalued: a live commission rt-trader could not value in the quote asset.
-- Applied by rt-migrate inside one transaction with its schema_migrations row.
--
-- Binance charges a fill's commission in BNB when the account pays fees with BNB. The trade
-- row keeps it as received (fee, fee_asset); the position's fees and PnL include it valued in
-- the quote asset at the latest BNB<quote> price rt-trader knows. With no such price it is
-- left out of the books rather than guessed, and the trade says so here (docs/TRADER.md).
ALTER TABLE trades ADD COLUMN fee_unvalued BOOLEAN NOT NULL DEFAULT false;
