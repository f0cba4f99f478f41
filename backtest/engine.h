/* The backtester's pure engine: candles in, decisions out. It drives the live cores and nothing
 * else decides: the analyzer's strategies (analyzer/strategy.h) make the signals, the trader's
 * demo fill model (tr_fill.h) fills the orders, the position manager (tr_position.h) decides the
 * exits on each candle's high and low, and the books (tr_books.h) keep the balances and PnL.
 *
 * Per candle, in this order (see docs/BACKTEST.md):
 *   1. an order pending from the previous candle (fill model next_open) fills at this open;
 *   2. an open position is checked against this candle's high, low and close
 *      (tr_position_on_candle: stop before target when both lie in the range); a stop-type exit
 *      fills at the level, or at the open when the candle opened beyond it; a target at the
 *      level; slippage and fees then apply as in the demo;
 *   3. the strategy sees the closed candle; its signal goes to the risk manager
 *      (tr_risk_evaluate: sizing, cooldown, exposure, drawdown brake, halt...) as in rt-trader,
 *      and an accepted order fills at this close (fill model close) or at the next open
 *      (next_open).
 * Spot only, as the trader: a SELL closes what the strategy holds, never opens a short.
 *
 * Deterministic: no clock, no randomness, no global state; a run's result depends only on its
 * inputs, so runs may go in parallel on shared (read-only) candles. */
#ifndef BT_ENGINE_H
#define BT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/strategy.h"
#include "rt/money.h"
#include "rt/types.h"
#include "tr_fill.h"
#include "tr_filters.h"
#include "tr_position.h"
#include "tr_risk.h"
#include "tr_settings.h"

/** Most symbols one run trades. */
#define BT_SYMBOLS_MAX 16
/** Room for an error text. */
#define BT_ERR_CAP 768

typedef enum {
    BT_FILL_CLOSE = 0,     /* at the signal candle's close */
    BT_FILL_NEXT_OPEN = 1, /* at the next candle's open */
} bt_fill_model_t;

/** "close" / "next_open". */
const char *bt_fill_model_name(bt_fill_model_t m);

/** Parses "close" or "next_open" (also "next-open"). Returns 0 or RT_EINVAL. */
int bt_fill_model_parse(const char *s, bt_fill_model_t *out);

/** The candles of one symbol: borrowed, sorted by strictly increasing open time. */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    char base_asset[TR_ASSET_CAP];
    char quote_asset[TR_ASSET_CAP];
    const rt_candle_t *candles;
    size_t count;
    /* The symbol's exchange filters (borrowed; from exchangeInfo, tr_filters_from_symbol_info),
     * applied exactly as the trader applies them: the risk manager rounds quantities down to
     * the step and refuses what breaks LOT_SIZE / NOTIONAL (counted in refused[]), the fill
     * model rounds prices to the tick, exits sell what the step allows. Their symbol and assets
     * must be the series'. NULL: no filters (no tick, step or minimum notional). */
    const tr_filters_t *filters;
} bt_series_t;

/** Splits a symbol into base and quote by the known quote assets (USDT, USDC, FDUSD, BUSD,
 *  TUSD, USD, EUR, BTC, ETH, BNB; the longest match wins). Returns 0, or RT_EINVAL when none
 *  matches or nothing is left for the base. */
int bt_split_symbol(const char *symbol, char *base, size_t base_cap, char *quote, size_t quote_cap);

/** Everything a run needs besides the candles (a plain value). */
typedef struct {
    const an_strategy_t *strategy;
    an_params_t params;   /* the strategy's parameters (params.strategy == strategy) */
    tr_settings_t trader; /* the trader's settings: risk, exits, demo fill model */
    bt_fill_model_t fill_model;
    rt_money_t cash; /* starting quote balance, > 0 */
    bool record;     /* keep every fill and the equity curve (report, CSV) */
} bt_config_t;

/** Defaults: SimpleMA_Cross with its defaults, the trader's defaults (tr_settings_default),
 *  fill model next_open, cash 10000. */
void bt_config_default(bt_config_t *cfg);

/** Sets one setting by its environment name: a strategy parameter (an_params_set) or a trader
 *  setting (tr_settings_set: TRADE_QUANTITY, RISK_PER_TRADE, STOP_LOSS_PCT, DEMO_FEE_RATE, ...,
 *  in the units of docs/RISK.md). Returns 0; RT_ENOTFOUND for an unknown name (err lists every
 *  valid one); RT_EINVAL / RT_ERANGE for a bad value (err says what is allowed). cfg is
 *  unchanged on error. err may be NULL. */
int bt_config_set(bt_config_t *cfg, const char *name, const char *value, char *err, size_t cap);

/** Writes the trader-side names bt_config_set accepts, joined by ", ". Returns the length. */
size_t bt_config_trader_names(char *buf, size_t cap);

/** Why a fill happened. */
typedef enum {
    BT_REASON_SIGNAL = 0, /* a strategy's BUY or SELL */
    BT_REASON_EXIT,       /* the position manager: see exit */
    BT_REASON_END,        /* never used for fills: open positions stay open at the end */
} bt_reason_t;

/** One fill of the run. */
typedef struct {
    int64_t time_ms; /* open time of the candle it filled in */
    uint32_t symbol; /* index into the series */
    uint32_t trade;  /* round trip number (1-based) */
    rt_side_t side;
    bt_reason_t reason;
    tr_exit_reason_t exit; /* when reason is EXIT */
    rt_money_t price;
    rt_money_t quantity;
    rt_money_t quote_quantity;
    rt_money_t fee;
    rt_money_t realized;       /* SELL: realized PnL of this fill, fees included */
    rt_money_t cash;           /* quote balance after the fill */
    char signal_id[RT_ID_CAP]; /* the signal behind it; "" for exits */
} bt_fill_t;

/** One signal of a recorded run and what became of it. */
typedef struct {
    char id[RT_ID_CAP];
    uint32_t symbol; /* index into the series */
    rt_side_t side;
    int64_t time_ms; /* the signal's timestamp (its candle's open time) */
    rt_money_t price;
    rt_money_t stop_loss, take_profit;
    tr_reason_t refused; /* TR_REASON_NONE: accepted by the risk manager */
} bt_signal_rec_t;

/** One point of the equity curve (recorded runs only): after the candles of time_ms. */
typedef struct {
    int64_t time_ms;
    rt_money_t equity;
} bt_point_t;

/** What a run gives. Money fields in the quote asset. */
typedef struct {
    size_t candles; /* candles processed (all symbols) */
    size_t bars;    /* distinct open times (equity samples) */
    size_t signals; /* signals the strategy emitted */
    size_t skipped; /* signals not filled: refused by the risk manager, or unaffordable at
                       the next open */
    size_t refused[TR_REASON_FILTER_PRICE + 1]; /* the risk manager's refusals by reason */
    bool halted;               /* HALT_EQUITY_RATIO fired (everything sold, no more entries) */
    size_t trades;             /* fills */
    size_t closed_trades;      /* round trips closed */
    size_t open_trades;        /* positions still open at the end */
    size_t wins, losses;       /* closed round trips with PnL > 0 / <= 0 */
    rt_money_t net_pnl_closed; /* sum of closed round trips' PnL, fees included */
    rt_money_t gross_profit;   /* sum of winning round trips' PnL */
    rt_money_t gross_loss;     /* minus the sum of losing round trips' PnL (>= 0) */
    rt_money_t fees;
    rt_money_t initial_equity;
    rt_money_t final_equity; /* cash plus open positions at their last close */
    double return_pct;
    double max_drawdown_pct;
    double sharpe; /* annualized, per-bar returns, 365-day year */
    double sortino;
    double profit_factor; /* gross_profit / gross_loss; 0 with no closed trade, INFINITY when
                             there are gains and no loss */
    double exposure_pct;  /* share of bars that ended with a position open */
    int64_t bar_ms;       /* the bar interval used to annualize */
    int64_t first_ms, last_ms;
    /* recorded runs only (owned; bt_result_cleanup frees them) */
    bt_fill_t *fills;
    size_t fill_count;
    bt_point_t *equity;
    size_t equity_count;
    bt_signal_rec_t *signal_log; /* every signal, in order */
    size_t signal_log_count;
} bt_result_t;

/** Frees what a result owns (NULL-safe) and zeroes it. */
void bt_result_cleanup(bt_result_t *r);

/** Runs cfg over the series (1..BT_SYMBOLS_MAX, all with the same quote asset; candles of
 *  different symbols are interleaved by open time, in series order on equal times). Writes
 *  *out (to be cleaned with bt_result_cleanup) on success. Returns 0; RT_EINVAL for a bad
 *  configuration or series (err says which: also filters of another symbol or assets); RT_ENOMEM;
 * RT_ERANGE on a money overflow; or a core's error (err says where). err may be NULL. */
int bt_run(const bt_config_t *cfg, const bt_series_t *series, size_t nseries, bt_result_t *out,
           char *err, size_t cap);

/** Metric helpers (exposed for tests), fed one equity sample at a time. */
typedef struct {
    size_t n;         /* samples seen */
    double prev;      /* last equity */
    double peak;      /* highest equity */
    double max_dd;    /* largest (peak - e) / peak */
    size_t nret;      /* returns seen (flat bars count as zero returns) */
    double sum, sum2; /* sum of returns and of their squares */
    double down2;     /* sum of squared negative returns */
} bt_stats_t;

/** Zeroes s (no sample yet). Never fails. */
void bt_stats_init(bt_stats_t *s);
/** Adds one equity sample (the first one only sets the start and the peak). Never fails. */
void bt_stats_add(bt_stats_t *s, double equity);
/** Annualized Sharpe: mean / sample stdev * sqrt(periods_per_year); 0 with < 2 returns or a
 *  zero stdev. */
double bt_stats_sharpe(const bt_stats_t *s, double periods_per_year);
/** Annualized Sortino: mean / sqrt(sum(min(r,0)^2) / n) * sqrt(periods_per_year); 0 with no
 *  return or no negative return. */
double bt_stats_sortino(const bt_stats_t *s, double periods_per_year);
/** Largest drawdown in percent. */
double bt_stats_max_dd_pct(const bt_stats_t *s);

#endif
