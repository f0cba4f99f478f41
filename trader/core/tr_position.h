/* The position manager: per open position, the exit state (stop, target, trailing stop,
 * partial take-profit, breakeven) and one update function per market event that says whether
 * to sell, how much and why.
 *
 * Exit rules (docs/RISK.md has each with its env name and an example):
 *   stop-loss     sell everything when the price falls to the stop. The stop is set at entry
 *                 from, first that applies: the signal's stop_loss (when below the entry),
 *                 ATR_STOP_MULT x ATR (entry - k*ATR, when both are given), STOP_LOSS_PCT
 *                 (entry * (1 - pct)).
 *   take-profit   sell everything when the price reaches the target: the signal's take_profit
 *                 (when above the entry), else TAKE_PROFIT_PCT (entry * (1 + pct)).
 *   trailing      once the price reaches entry * (1 + TRAILING_ACTIVATION_PCT), the trailing
 *                 stop is armed at highest * (1 - TRAILING_PCT) and follows every new high
 *                 (never down); sell everything when the price falls to it.
 *   partial TP    once, when the price reaches entry * (1 + PARTIAL_TP_PCT), sell
 *                 PARTIAL_TP_FRACTION of the open quantity.
 *   breakeven     once the price reaches entry * (1 + BREAKEVEN_PCT), the stop moves up to the
 *                 entry (never down).
 *   halt          the risk manager's halt: sell everything (tr_position_halt).
 *   manual        an operator's close (tr_position_close): sell everything.
 * Every level is computed exactly and rounded up to 1e-8 (a stop triggers no later, a gain is
 * never rounded in our favour). Levels derive from the average entry price (fees apart).
 *
 * Evaluation of one update (a ticker is a candle with high = low = close = price):
 *   1. with the levels in force before the update: low <= stop (or trailing stop) -> sell all;
 *      else high >= target -> sell all; else high >= partial level -> partial.
 *      So when a candle's [low, high] holds both the stop and the target, the STOP wins: we
 *      cannot know which came first, and the conservative answer is the loss.
 *   2. the state follows the high: highest price, trailing arming and level, breakeven.
 *   3. unless step 1 sold everything: close <= the (possibly raised) stop or trailing stop ->
 *      sell all. The low is not compared with a stop raised by this candle's high (the low may
 *      have come first); the close is.
 * A full exit whose quantity rounds to 0 (all dust) is still returned, once: the caller closes
 * the position as dust. Only one action per update. Once an exit is returned, the position holds it
 * as pending and returns no other exit until the caller settles it (tr_position_settle), so a stop
 * seen on every tick sends one order, not one per tick. A halt or a manual close sells what a
 * pending exit does not already sell.
 *
 * Pure: no I/O, no clock (times are arguments), no allocation. */
#ifndef TR_POSITION_H
#define TR_POSITION_H

#include <stdbool.h>
#include <stdint.h>

#include "rt/money.h"
#include "rt/types.h"
#include "tr_filters.h"

/** Exit settings. Percentages are fractions in rt_money_t (1.0 = RT_MONEY_SCALE = 100%); in
 *  env they are written in percent (STOP_LOSS_PCT=3 means 3% = 0.03). 0 turns a rule off. */
typedef struct {
    rt_money_t stop_loss_pct;       /* STOP_LOSS_PCT, default 3%; 0 <= x < 100% */
    rt_money_t take_profit_pct;     /* TAKE_PROFIT_PCT, default 5% */
    rt_money_t atr_stop_mult;       /* ATR_STOP_MULT (a plain multiple, e.g. 1.5), default 0 */
    rt_money_t trailing_activation; /* TRAILING_ACTIVATION_PCT, gain that arms it, default 0
                                       (armed from the entry price on) */
    rt_money_t trailing_pct;        /* TRAILING_PCT, distance below the high, default 0 (off);
                                       0 <= x < 100% */
    rt_money_t partial_tp_pct;      /* PARTIAL_TP_PCT, gain that triggers it, default 0 (off) */
    rt_money_t partial_tp_fraction; /* PARTIAL_TP_FRACTION of the open quantity (a fraction in
                                       env: 0.2), default 0.5; 0 < x <= 1 */
    rt_money_t breakeven_pct;       /* BREAKEVEN_PCT, gain that moves the stop, default 0 (off) */
} tr_exit_config_t;

/** The defaults above: stop 3%, target 5%, everything else off. */
void tr_exit_config_default(tr_exit_config_t *cfg);

/** Returns 0 when the settings are coherent, RT_EINVAL otherwise (a negative value, a stop or
 *  trailing distance of 100% or more, a partial fraction outside (0, 1]). */
int tr_exit_config_check(const tr_exit_config_t *cfg);

/** The stop an entry at price would get: the signal's stop when 0 < stop < price, else
 *  price - ATR_STOP_MULT x atr (when both are set and the result is above 0), else
 *  price x (1 - STOP_LOSS_PCT); 0 when no rule gives one. Used at entry and by risk-based
 *  sizing. Returns 0, RT_EINVAL on NULL, a bad cfg or price <= 0, RT_ERANGE. */
int tr_exit_stop_for(const tr_exit_config_t *cfg, rt_money_t price, rt_money_t signal_stop,
                     rt_money_t atr, rt_money_t *stop);

typedef enum {
    TR_EXIT_NONE = 0,
    TR_EXIT_STOP_LOSS,
    TR_EXIT_TAKE_PROFIT,
    TR_EXIT_TRAILING_STOP,
    TR_EXIT_PARTIAL_TP,
    TR_EXIT_HALT,
    TR_EXIT_MANUAL,
} tr_exit_reason_t;

/** "none", "stop_loss", "take_profit", "trailing_stop", "partial_tp", "halt", "manual". */
const char *tr_exit_reason_name(tr_exit_reason_t r);

/** An exit decision. reason NONE: nothing to do. */
typedef struct {
    tr_exit_reason_t reason;
    bool full;           /* sells all that can be sold (the position closes) */
    rt_money_t quantity; /* to sell: rounded down to the MARKET step when filters were given;
                            0 when all that is left is dust */
    rt_money_t dust;     /* open quantity this exit leaves behind because it is below the step
                            or minQty (full exits only) */
    rt_money_t
        level; /* the level crossed (stop, target, trailing stop, partial level);
                  0 for halt and manual. The order is a MARKET order: its fill price differs. */
} tr_exit_t;

/** The ATR of rt/ind.h (a double) as money, rounded once to the nearest 1e-8: the one
 *  conversion the trader and the backtester both use, so they see the same stops. Returns 0,
 *  RT_EINVAL for NaN, infinity or a negative value, RT_ERANGE when too large. */
int tr_atr_from_double(double atr, rt_money_t *out);

/** What opened (or added to) a position: the fill and the signal's own exits. */
typedef struct {
    rt_money_t price;       /* average fill price */
    rt_money_t quantity;    /* filled quantity (net of a fee paid in the base asset) */
    rt_money_t stop_loss;   /* the signal's, 0 = none */
    rt_money_t take_profit; /* the signal's, 0 = none */
    rt_money_t atr;         /* ATR at entry (rounded once from rt/ind.h's double), 0 = none */
    int64_t time_ms;
} tr_entry_t;

/** One position's state: a plain value the caller stores (the positions table) and passes to
 *  every call. */
typedef struct {
    int64_t id; /* the caller's (e.g. the positions row); untouched by this module */
    char symbol[RT_SYMBOL_CAP];
    char strategy[RT_NAME_CAP];
    rt_money_t entry;            /* average entry price (volume-weighted, fees apart) */
    rt_money_t quantity;         /* open quantity */
    rt_money_t initial_quantity; /* everything bought into it */
    int entries;                 /* BUY fills that built it (MAX_ENTRIES) */
    int64_t opened_ms;
    rt_money_t highest; /* highest price since entry */
    rt_money_t stop;    /* stop-loss level; 0 = none */
    rt_money_t target;  /* take-profit level; 0 = none */
    bool trailing_armed;
    rt_money_t trailing_stop; /* when armed */
    bool partial_taken;
    bool breakeven_armed;
    tr_exit_reason_t pending;    /* an exit returned and not yet settled; NONE when none */
    rt_money_t pending_quantity; /* what that exit sells and has not yet been filled */
} tr_position_t;

/** Opens *p from its first fill: entry, quantity, stop and target from cfg and e (see the
 *  header comment), highest = entry price. Returns 0, RT_EINVAL on NULL, bad names, a bad cfg,
 *  price or quantity <= 0, or negative stop/target/ATR; RT_ERANGE on overflow. *p is written
 *  only on success (its id is set to 0). */
int tr_position_open(tr_position_t *p, const tr_exit_config_t *cfg, const char *symbol,
                     const char *strategy, const tr_entry_t *e);

/** Adds a fill to an open position (pyramiding): new average entry, quantity, entries + 1;
 *  the stop is recomputed for the new entry but never lowered; the target is recomputed when
 *  e or cfg gives one. Returns 0, RT_EINVAL (as tr_position_open, or a closed position),
 *  RT_ERANGE. Nothing changes on error. */
int tr_position_add(tr_position_t *p, const tr_exit_config_t *cfg, const tr_entry_t *e);

/** A SELL fill of qty: the open quantity goes down (0 = closed), and so does what a pending
 *  exit still has to sell. Returns 0, RT_EINVAL on NULL or qty <= 0, RT_ESTATE when qty
 *  exceeds the open quantity. */
int tr_position_reduce(tr_position_t *p, rt_money_t qty);

/** The pending exit's order is over: filled (possibly in part) or not at all. Clears pending;
 *  a partial take-profit that did not fill at all may trigger again. Returns 0, RT_EINVAL on
 *  NULL. */
int tr_position_settle(tr_position_t *p, bool filled);

/** True when the position holds a quantity. */
bool tr_position_is_open(const tr_position_t *p);

/** One price (ticker). f (may be NULL: no rounding) gives the MARKET step and minQty for the
 *  quantity to sell. Returns 0 and the action in *out (reason NONE when there is nothing to
 *  do), RT_EINVAL on NULL, a bad cfg, a closed position or price <= 0; RT_ERANGE. */
int tr_position_on_price(tr_position_t *p, const tr_exit_config_t *cfg, const tr_filters_t *f,
                         rt_money_t price, tr_exit_t *out);

/** One candle (or a forming candle's update): see the evaluation order in the header comment.
 *  Returns as tr_position_on_price; RT_EINVAL also when low > close, close > high or low <= 0. */
int tr_position_on_candle(tr_position_t *p, const tr_exit_config_t *cfg, const tr_filters_t *f,
                          rt_money_t high, rt_money_t low, rt_money_t close, tr_exit_t *out);

/** The halt: sell everything not already being sold by a pending exit (reason halt); the
 *  result becomes pending. When a pending exit already sells everything, *out has reason NONE.
 *  Returns 0, RT_EINVAL on NULL or a closed position. */
int tr_position_halt(tr_position_t *p, const tr_filters_t *f, tr_exit_t *out);

/** A manual close (POST /positions/{id}/close): like halt, with reason manual. Returns as
 *  tr_position_halt. */
int tr_position_close(tr_position_t *p, const tr_filters_t *f, tr_exit_t *out);

#endif
