/* The demo fill model: how an order would fill if it were sent, computed locally and exactly.
 *
 *   MARKET  fills at once, whole, as taker, at the latest price moved against the taker by the
 *           slippage (BUY higher, SELL lower), then rounded to the tick in the unfavourable
 *           direction (BUY up, SELL down).
 *   LIMIT   is placed (its funds move from free to locked), rests until the market trades
 *           through its price (BUY: price <= limit, SELL: price >= limit), then fills whole at
 *           the limit price as maker; or is cancelled (its funds unlocked).
 *
 * Amounts (all rounded in the exchange's favour, so the books never show money that was not
 * there):
 *   quote_quantity = quantity * price, rounded UP for a BUY (paid), DOWN for a SELL (received)
 *   fee            = quote_quantity * fee rate, rounded UP, charged in the quote asset
 *   BUY            quote -= quote_quantity + fee; base += quantity
 *   SELL           base -= quantity; quote += quote_quantity - fee
 * A LIMIT BUY locks quote_quantity + fee at its limit price; a LIMIT SELL locks its quantity.
 *
 * The result lists the fills (the demo produces exactly one per order; the list has room for a
 * live FULL response's fills) and the balance changes to apply (tr_books_apply_changes). Pure:
 * no I/O, no clock, no allocation. */
#ifndef TR_FILL_H
#define TR_FILL_H

#include <stddef.h>

#include "rt/money.h"
#include "rt/types.h"
#include "tr_filters.h"

/** Demo execution settings. Rates are fractions in rt_money_t (1.0 = RT_MONEY_SCALE = 100%). */
typedef struct {
    rt_money_t slippage;  /* DEMO_SLIPPAGE_BPS (basis points in env; 5 bps = 0.0005), default
                             5 bps; 0 <= slippage < 1 */
    rt_money_t taker_fee; /* DEMO_FEE_RATE (a fraction in env: 0.001 = 0.1%), default 0.001 */
    rt_money_t maker_fee; /* DEMO_MAKER_FEE_RATE, default: the same as DEMO_FEE_RATE */
} tr_fill_config_t;

/** The defaults: slippage 5 bps, taker and maker fee 0.1%. */
void tr_fill_config_default(tr_fill_config_t *cfg);

/** Returns 0 when the settings are usable, RT_EINVAL otherwise (negative rates, slippage or
 *  fee >= 100%). */
int tr_fill_config_check(const tr_fill_config_t *cfg);

typedef enum {
    TR_ROLE_TAKER = 0,
    TR_ROLE_MAKER = 1,
} tr_role_t;

/** "TAKER" / "MAKER". */
const char *tr_role_name(tr_role_t role);

/** One execution: the demo's, or one entry of a live FULL response's "fills". */
typedef struct {
    rt_side_t side;
    rt_money_t price;
    rt_money_t quantity;       /* base */
    rt_money_t quote_quantity; /* quote paid (BUY) or received (SELL), fees apart */
    rt_money_t fee;            /* "commission" */
    char fee_asset[TR_ASSET_CAP];
    tr_role_t role;
} tr_fill_t;

/** A change of one asset's balance: deltas of free and locked. */
typedef struct {
    char asset[TR_ASSET_CAP];
    rt_money_t free;
    rt_money_t locked;
} tr_balance_change_t;

#define TR_FILLS_MAX 8
#define TR_CHANGES_MAX 4

/** What an order did: its fills and the balance changes they make. */
typedef struct {
    size_t fill_count;
    tr_fill_t fills[TR_FILLS_MAX];
    size_t change_count;
    tr_balance_change_t changes[TR_CHANGES_MAX];
} tr_fill_result_t;

/** A resting LIMIT order of the demo: what it is and what it locked. */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    char base_asset[TR_ASSET_CAP];
    char quote_asset[TR_ASSET_CAP];
    rt_side_t side;
    rt_money_t quantity;
    rt_money_t price;
    rt_money_t locked; /* BUY: quote (quantity * price up + maker fee up); SELL: base quantity */
} tr_limit_order_t;

/** Fills a MARKET order of quantity at the latest price last_price (see the header comment).
 *  sym gives the tick and the asset names; quantity should already be rounded to the step.
 *  Returns 0 and *out, RT_EINVAL on NULL, a bad config, quantity or last_price <= 0, or a price
 *  that slippage would bring to 0; RT_ERANGE on overflow. */
int tr_fill_market(const tr_fill_config_t *cfg, const tr_filters_t *sym, rt_side_t side,
                   rt_money_t quantity, rt_money_t last_price, tr_fill_result_t *out);

/** Places a LIMIT order: writes the resting order to *order and, in *out, the change that
 *  locks its funds (no fill). price should already be on the tick. Returns 0, RT_EINVAL on
 *  NULL, a bad config, quantity or price <= 0; RT_ERANGE on overflow. */
int tr_fill_limit_place(const tr_fill_config_t *cfg, const tr_filters_t *sym, rt_side_t side,
                        rt_money_t quantity, rt_money_t price, tr_limit_order_t *order,
                        tr_fill_result_t *out);

/** Tries a resting order against the market's range [low, high] since the last try (a ticker:
 *  low == high == price; a candle: its low and high). A BUY fills when low <= price, a SELL
 *  when high >= price; the fill is at the limit price, as maker, and its changes release the
 *  lock (any excess locked goes back to free). Returns 0 and *out when it filled, RT_EAGAIN
 *  when the market did not reach it (*out untouched), RT_EINVAL on NULL, a bad config or
 *  low > high, RT_ERANGE on overflow. */
int tr_fill_limit_match(const tr_fill_config_t *cfg, const tr_limit_order_t *order, rt_money_t low,
                        rt_money_t high, tr_fill_result_t *out);

/** The change that unlocks a cancelled order's funds. Returns 0, RT_EINVAL on NULL. */
int tr_fill_limit_cancel(const tr_limit_order_t *order, tr_fill_result_t *out);

#endif
