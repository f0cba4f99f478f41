/* The risk manager: turns a signal or a manual request into an order to send, or refuses it
 * with a machine-readable reason and a sentence with the numbers. Spot only: a SELL closes (or
 * reduces) what a strategy holds, never opens a short.
 *
 * Checks, in this order (the first that fails decides):
 *    1. invalid              the request itself (names, side, type, prices, quantities)
 *    2. halted               trading was halted (HALT_EQUITY_RATIO) and not resumed
 *    3. (halt)               equity <= HALT_EQUITY_RATIO x initial equity: verdict HALT, the
 *                            caller sells everything and sets the state halted
 *    4. paused               an operator paused trading
 *    5. symbol_not_trading   the symbol's status is not TRADING
 *   SELL
 *    6. no_position          the strategy holds nothing on the symbol
 *    7. exit_pending         an exit of that position is already on its way
 *    8. insufficient_balance a manual quantity larger than the position, or no free base left
 *    9. filter_*             rounded to the step; dust below minQty is reported, filters checked
 *   BUY
 *    6. drawdown_brake       equity <= (1 - MAX_DRAWDOWN_PCT) x its peak within DRAWDOWN_WINDOW
 *    7. already_in_position  a position is open and MAX_ENTRIES is 1, or it is not winning
 *                            (price not above the average entry); max_entries when it has
 *                            MAX_ENTRIES entries; exit_pending when it is being sold
 *    8. max_open_positions   MAX_OPEN_POSITIONS positions are open (new positions only)
 *    9. cooldown             the symbol traded less than COOLDOWN_SECONDS ago
 *   10. insufficient_balance the size (fixed, requested or quote amount) costs more than the
 *                            free quote balance (fees included, see cost_rate)
 *   11. max_exposure         the base asset's value after the buy > MAX_EXPOSURE_PCT x equity
 *   12. filter_*             quantity rounded down to the step, then every exchange filter
 * Cooldown and the drawdown brake never block a SELL: exits are always allowed.
 *
 * Sizing of a BUY, first that applies: the request's quantity; its quote_quantity (the most it
 * may spend, fees included); RISK_PER_TRADE x equity / stop distance (the stop from the
 * request, else the exit config: see tr_exit_stop_for), capped by MAX_POSITION_PCT x equity
 * and by the free quote balance; else TRADE_QUANTITY. A size that is not computed (requested,
 * quote amount, TRADE_QUANTITY) is refused when unaffordable; a computed one is capped.
 *
 * Pure: no I/O, no clock (now_ms is an argument), no logging (the decision says why). */
#ifndef TR_RISK_H
#define TR_RISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"
#include "rt/types.h"
#include "tr_books.h"
#include "tr_filters.h"
#include "tr_position.h"

/* ---- configuration --------------------------------------------------------------------- */

/** Risk settings. Fractions are rt_money_t with 1.0 = RT_MONEY_SCALE (= 100%); in env,
 *  *_PCT are written in percent (MAX_EXPOSURE_PCT=20 = 0.2), RISK_PER_TRADE and
 *  HALT_EQUITY_RATIO as fractions (0.01, 0.5). 0 turns a limit off unless said otherwise. */
typedef struct {
    rt_money_t trade_quantity;    /* TRADE_QUANTITY, base quantity of a fixed-size BUY,
                                     default 0.00017 (the seed's) */
    rt_money_t trade_quote_quantity; /* TRADE_QUOTE_QUANTITY, quote asset a fixed-value BUY
                                     spends, fees included; 0 (default) = TRADE_QUANTITY */
    rt_money_t risk_per_trade;    /* RISK_PER_TRADE, fraction of equity lost at the stop;
                                     default 0 = fixed sizing (TRADE_QUOTE_QUANTITY, else
                                     TRADE_QUANTITY) */
    rt_money_t max_position_pct;  /* MAX_POSITION_PCT, cap of a risk-sized BUY's value,
                                     default 10% */
    int max_entries;              /* MAX_ENTRIES, entries per position, default 1 (>= 1) */
    rt_money_t max_exposure_pct;  /* MAX_EXPOSURE_PCT, per base asset, default 20% */
    int max_open_positions;       /* MAX_OPEN_POSITIONS, default 10 */
    int64_t cooldown_ms;          /* COOLDOWN_SECONDS (seconds in env), per symbol, default 60 s */
    rt_money_t max_drawdown_pct;  /* MAX_DRAWDOWN_PCT, default 5% */
    int64_t drawdown_window_ms;   /* DRAWDOWN_WINDOW ("7d", "12h", "3600" seconds), default 7
                                     days (> 0) */
    rt_money_t halt_equity_ratio; /* HALT_EQUITY_RATIO, fraction of the initial equity,
                                     default 0.5 */
    rt_money_t cost_rate;         /* not from env: what a BUY costs beyond quantity x price
                                     (fee + slippage), for affordability. The service sets it
                                     from its execution (demo: DEMO_FEE_RATE + slippage).
                                     Default 0.0015 */
} tr_risk_config_t;

/** The defaults above. */
void tr_risk_config_default(tr_risk_config_t *cfg);

/** Returns 0 when coherent, RT_EINVAL otherwise: negative values, fractions above 100%
 *  (drawdown, halt ratio and cost rate below 100%), max_entries < 1, a window <= 0, or fixed
 *  sizing (risk_per_trade 0) with both trade_quantity and trade_quote_quantity 0. */
int tr_risk_config_check(const tr_risk_config_t *cfg);

/* ---- equity history (drawdown brake) -------------------------------------------------------- */

#define TR_EQUITY_BUCKETS 1024

/** The highest equity within a sliding window, in fixed memory: the window is cut into
 *  TR_EQUITY_BUCKETS - 1 buckets (a ring of TR_EQUITY_BUCKETS) that each keep their peak.
 *  A sample counts until its bucket leaves the window, so the window is rounded outward by
 *  at most one bucket (about 10 min for 7 days). A caller-owned value (about 32 KiB); no
 *  allocation.
 *
 *  Beside the ring, a monotonic queue of bucket maxima (bucket numbers increasing, peaks
 *  decreasing) answers tr_equity_window_peak in O(1) amortized while samples come in time
 *  order and the question is asked at or after the last sample (the trader and the backtester
 *  always do). Any other use (a sample earlier than the previous one, a question about the
 *  past) falls back to scanning the ring, so the answer is the ring's in every case. */
typedef struct {
    int64_t window_ms;
    int64_t bucket_ms;
    struct {
        int64_t index; /* bucket number (time / bucket_ms); -1 = empty */
        rt_money_t peak;
    } bucket[TR_EQUITY_BUCKETS];
    /* the monotonic queue: queue[(head + i) % TR_EQUITY_BUCKETS], i < queued */
    struct {
        int64_t index;
        rt_money_t peak;
    } queue[TR_EQUITY_BUCKETS];
    size_t head;
    size_t queued;
    int64_t last_ms; /* time of the latest sample, -1 = none */
    bool ordered;    /* every sample so far came in time order: the queue is valid */
} tr_equity_window_t;

/** Empties w and sets its window. Returns 0, RT_EINVAL on NULL or window_ms <= 0. */
int tr_equity_window_init(tr_equity_window_t *w, int64_t window_ms);

/** Forgets every sample, keeping the window. */
void tr_equity_window_reset(tr_equity_window_t *w);

/** Records equity at now_ms. A sample older than what the window still holds is ignored.
 *  Returns 0, RT_EINVAL on NULL, now_ms < 0 or equity < 0. */
int tr_equity_window_push(tr_equity_window_t *w, int64_t now_ms, rt_money_t equity);

/** The highest equity recorded within the window ending at now_ms. Returns 0, RT_ENOTFOUND
 *  when there is none, RT_EINVAL on NULL. */
int tr_equity_window_peak(const tr_equity_window_t *w, int64_t now_ms, rt_money_t *peak);

/* ---- state ------------------------------------------------------------------------------- */

/** The risk manager's memory: a caller-owned value (persist paused/halted/reason/baseline). */
typedef struct {
    bool paused;               /* an operator paused trading (or the halt did) */
    bool halted;               /* HALT_EQUITY_RATIO fired: everything sold, paused */
    char reason[160];          /* why paused or halted */
    rt_money_t initial_equity; /* HALT_EQUITY_RATIO's base; rebased on resume after a halt */
    tr_equity_window_t equity; /* MAX_DRAWDOWN_PCT's history */
} tr_risk_state_t;

/** Starts the state: not paused, initial equity set and recorded as the first sample.
 *  Returns 0, RT_EINVAL on NULL, a bad config or equity < 0. */
int tr_risk_state_init(tr_risk_state_t *st, const tr_risk_config_t *cfg, rt_money_t initial_equity,
                       int64_t now_ms);

/** Records the current equity (call on every balance update). Returns as
 *  tr_equity_window_push. */
int tr_risk_observe(tr_risk_state_t *st, int64_t now_ms, rt_money_t equity);

/** Pauses trading (POST /control/pause); why (may be NULL) is kept, cut to fit. */
void tr_risk_pause(tr_risk_state_t *st, const char *why);

/** Halts trading: halted and paused, with why. The caller sells every position
 *  (tr_position_halt). */
void tr_risk_halt(tr_risk_state_t *st, const char *why);

/** Resumes (POST /control/resume): clears paused and halted; restarts the drawdown history
 *  from equity (the operator overrides the brake); after a halt, equity also becomes the new
 *  initial equity (else the halt would fire again at once). Returns 0, RT_EINVAL on NULL or
 *  equity < 0. */
int tr_risk_resume(tr_risk_state_t *st, int64_t now_ms, rt_money_t equity);

/** True when equity has fallen to HALT_EQUITY_RATIO x the initial equity (and the state is not
 *  already halted); why (may be NULL) gets the sentence. Call on every equity update. */
bool tr_risk_halt_due(const tr_risk_config_t *cfg, const tr_risk_state_t *st, rt_money_t equity,
                      char *why, size_t cap);

/** The limits in force and where they stand (GET /risk). */
typedef struct {
    bool paused;
    bool halted;
    rt_money_t equity;
    rt_money_t peak;        /* highest equity within the window (equity when none) */
    rt_money_t drawdown;    /* (peak - equity) / peak as a fraction, 0 when at the peak */
    rt_money_t brake_level; /* equity at or below which the brake holds; 0 when off */
    bool brake_active;
    rt_money_t halt_level; /* equity at or below which the halt fires; 0 when off */
} tr_risk_status_t;

/** Fills *out for equity at now_ms. Returns 0, RT_EINVAL on NULL or equity < 0, RT_ERANGE. */
int tr_risk_status(const tr_risk_config_t *cfg, const tr_risk_state_t *st, int64_t now_ms,
                   rt_money_t equity, tr_risk_status_t *out);

/* ---- requests and decisions ----------------------------------------------------------------- */

typedef enum {
    TR_SOURCE_STRATEGY = 0,
    TR_SOURCE_MANUAL = 1,
} tr_source_t;

/** The strategy name of manual orders: their positions are kept apart from the strategies'. */
#define TR_MANUAL_STRATEGY "manual"

/** "strategy" / "manual". */
const char *tr_source_name(tr_source_t s);

/** What is asked: a strategy's signal or an operator's manual order. */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    char strategy[RT_NAME_CAP]; /* TR_MANUAL_STRATEGY for manual orders */
    tr_source_t source;
    rt_side_t side;
    tr_order_type_t type;
    rt_money_t quantity;       /* base; 0 = sized here (BUY) or the whole position (SELL) */
    rt_money_t quote_quantity; /* BUY only: the most to spend, fees included; 0 = none; not
                                  together with quantity */
    rt_money_t price;          /* reference price: the signal's or the latest, > 0 (for a LIMIT
                                  order it may be 0: the limit price is used) */
    rt_money_t limit_price;    /* LIMIT only, > 0; rounded to the tick (BUY down, SELL up) */
    rt_money_t stop_loss;      /* 0 = none; for a BUY below the price */
    rt_money_t take_profit;    /* 0 = none; for a BUY above the price */
    rt_money_t atr;            /* ATR at the signal (for ATR stops), 0 = none */
} tr_request_t;

/** A request from a strategy's signal: MARKET, sized here (quantity 0), with the signal's
 *  price, stop and target. Returns 0, RT_EINVAL on NULL or names that do not fit. */
int tr_request_from_signal(const rt_signal_t *sig, tr_request_t *out);

/** What the decision sees of the account. Everything is borrowed for the call. */
typedef struct {
    const tr_filters_t *filters;  /* of the request's symbol */
    const tr_balance_t *balances; /* free and locked per asset (tr_books_balances) */
    size_t balance_count;
    rt_money_t equity;              /* now, in the symbol's quote asset */
    const tr_position_t *positions; /* positions, every symbol and strategy (closed ones, with
                                       quantity 0, are ignored) */
    size_t position_count;
    int64_t last_trade_ms; /* last fill on the symbol, any strategy, 0 = never
                              (tr_books_last_trade) */
    int64_t now_ms;
    bool no_text; /* the caller never reads the decision's text (the backtester): it stays
                     empty, which spares formatting the numbers of every decision; the
                     verdict, reason, order and filter are the same */
} tr_risk_input_t;

typedef enum {
    TR_VERDICT_ACCEPT = 0,
    TR_VERDICT_REJECT = 1,
    TR_VERDICT_HALT = 2, /* refused, and the caller must halt (tr_risk_halt + sell all) */
} tr_verdict_t;

/** Why a request was refused. Names are stable: they go to the database and the API. */
typedef enum {
    TR_REASON_NONE = 0,             /* "accepted" */
    TR_REASON_INVALID,              /* "invalid" */
    TR_REASON_HALTED,               /* "halted" */
    TR_REASON_PAUSED,               /* "paused" */
    TR_REASON_SYMBOL_NOT_TRADING,   /* "symbol_not_trading" */
    TR_REASON_NO_POSITION,          /* "no_position" */
    TR_REASON_EXIT_PENDING,         /* "exit_pending" */
    TR_REASON_ALREADY_IN_POSITION,  /* "already_in_position" */
    TR_REASON_MAX_ENTRIES,          /* "max_entries" */
    TR_REASON_INSUFFICIENT_BALANCE, /* "insufficient_balance" */
    TR_REASON_MAX_EXPOSURE,         /* "max_exposure" */
    TR_REASON_MAX_OPEN_POSITIONS,   /* "max_open_positions" */
    TR_REASON_COOLDOWN,             /* "cooldown" */
    TR_REASON_DRAWDOWN_BRAKE,       /* "drawdown_brake" */
    TR_REASON_FILTER_LOT_SIZE,      /* "filter_lot_size" (LOT_SIZE, MARKET_LOT_SIZE) */
    TR_REASON_FILTER_NOTIONAL,      /* "filter_notional" (NOTIONAL, MIN_NOTIONAL) */
    TR_REASON_FILTER_PRICE,         /* "filter_price" (PRICE_FILTER) */
} tr_reason_t;

/** The stable name of a reason; "unknown" for a value out of range. */
const char *tr_reason_name(tr_reason_t r);

/** What an order does to its position. */
typedef enum {
    TR_POS_OPEN = 0,   /* a BUY that opens a position */
    TR_POS_ADD = 1,    /* a BUY that adds to a winning one (MAX_ENTRIES > 1) */
    TR_POS_REDUCE = 2, /* a SELL of part of it */
    TR_POS_CLOSE = 3,  /* a SELL of all of it (but dust) */
} tr_pos_action_t;

/** "open", "add", "reduce", "close". */
const char *tr_pos_action_name(tr_pos_action_t a);

/** The order to send. */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    char strategy[RT_NAME_CAP];
    tr_source_t source;
    rt_side_t side;
    tr_order_type_t type;
    rt_money_t quantity;        /* rounded down to the step and filter-checked */
    rt_money_t price;           /* LIMIT: the tick-rounded limit price; MARKET: 0 */
    rt_money_t reference_price; /* the price sizing and notional used */
    rt_money_t stop_loss;       /* the request's, for the position (0 = none) */
    rt_money_t take_profit;
    rt_money_t atr;
    tr_pos_action_t action;
    int64_t position_id; /* the position it adds to or sells (its id), 0 for OPEN */
    rt_money_t dust;     /* SELL/CLOSE: what stays because it is below the step/minQty */
} tr_order_t;

/** A decision. text is one sentence with the numbers, for the log, the signals table and the
 *  API ("insufficient_balance: BUY 0.5 BTCUSDC costs ~25037.5 USDC, 1000 free"). */
typedef struct {
    tr_verdict_t verdict;
    tr_reason_t reason; /* TR_REASON_NONE when accepted */
    char text[256];
    tr_order_t order;          /* ACCEPT only */
    tr_filter_reject_t filter; /* filter_* and symbol_not_trading: the exchange's words */
} tr_decision_t;

/** Decides on req (see the header comment for the order of the checks). exits (may be NULL)
 *  gives the stop used by risk-based sizing. Returns 0 with the decision in *out whatever it
 *  is (a refusal is a decision, not an error), RT_EINVAL when an argument is NULL or a config
 *  does not pass its check. */
int tr_risk_evaluate(const tr_risk_config_t *cfg, const tr_exit_config_t *exits,
                     const tr_risk_state_t *st, const tr_request_t *req, const tr_risk_input_t *in,
                     tr_decision_t *out);

#endif
