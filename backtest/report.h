/* The backtester's outputs: a summary for people, one JSON object for programs, every fill as
 * CSV, and a self-contained HTML page (inline SVG charts, no script, no network). */
#ifndef BT_REPORT_H
#define BT_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "backtest/engine.h"

/** What a report describes besides the result: borrowed. */
typedef struct {
    const bt_config_t *cfg;
    const bt_series_t *series;
    size_t nseries;
    int64_t elapsed_ms;         /* wall time of the run (load included); -1 when unknown */
    const char *filters_source; /* where the series' exchange filters come from (a file, a
                                   URL); NULL or "none" when there are none */
} bt_report_ctx_t;

/** Writes one line saying which exchange filters the run applied: "none (no tick, step or
 *  minimum notional)" or the source and, per symbol, tick, step, minQty and min notional
 *  ("BTCUSDT tick=0.01 step=0.00001 min_qty=0.00001 min_notional=5"). Characters of the source
 *  that HTML would read (<>&"') are written as '_'. Returns the length, 0 when cap is too
 *  small. */
size_t bt_report_filters(const bt_report_ctx_t *ctx, char *buf, size_t cap);

/** Writes the settings (strategy, parameters, trader settings, fill model) as one line of
 *  NAME=VALUE pairs into buf. Returns the length, 0 when cap is too small. */
size_t bt_report_settings(const bt_config_t *cfg, char *buf, size_t cap);

/** Writes a few lines of summary to f. Returns 0 or RT_EIO. */
int bt_report_summary(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r);

/** Writes one JSON object (candles, trades, filters (bt_report_filters' line), closed_trades,
 * open_trades, wins, losses, net_pnl_closed, fees, final_equity, return_pct, max_drawdown_pct,
 * sharpe, sortino, profit_factor (null when infinite), exposure_pct, elapsed_ms and the settings)
 * and a newline to f. Returns 0, RT_ENOMEM or RT_EIO. */
int bt_report_json(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r);

/** Writes every fill of a recorded run as CSV with a header (time_ms, time, symbol, trade,
 *  side, reason, price, quantity, quote_quantity, fee, realized_pnl, cash, signal_id).
 *  Returns 0 or RT_EIO. */
int bt_report_trades_csv(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r);

/** Writes every signal of a recorded run as CSV with a header (time_ms, symbol, id, side,
 *  price, stop_loss, take_profit, decision: "accepted" or the risk manager's reason).
 *  Returns 0 or RT_EIO. */
int bt_report_signals_csv(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r);

/** Writes the HTML report of a recorded run: summary, equity curve, drawdown, price chart of
 *  each symbol with entries and exits, monthly returns, the trade list and the settings.
 *  Returns 0, RT_ENOMEM or RT_EIO. */
int bt_report_html(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r);

#endif
