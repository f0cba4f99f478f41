/* Exchange filters of one symbol (from GET /api/v3/exchangeInfo) and the two things an order
 * needs from them: rounding (quantity down to the step, price to the tick) and a check that
 * answers as the exchange would ("Filter failure: LOT_SIZE") with the numbers that broke it.
 *
 * Pure: no I/O, no allocation. As on Binance, a filter value of 0 disables that rule (a minQty of
 * 0 means no minimum, a tickSize of 0 means any price, and so on).
 *
 * Which rules apply to which order (Binance's, see docs/RISK.md):
 *   PRICE_FILTER     LIMIT orders: minPrice <= price <= maxPrice, price % tickSize == 0
 *   LOT_SIZE         every order: minQty <= quantity <= maxQty, quantity % stepSize == 0
 *   MARKET_LOT_SIZE  MARKET orders, in addition to LOT_SIZE, when present
 *   NOTIONAL         price * quantity within [minNotional, maxNotional]; for MARKET orders the
 *                    minimum only with applyMinToMarket, the maximum only with applyMaxToMarket,
 *                    at the reference price (the latest price)
 *   MIN_NOTIONAL     the legacy filter: price * quantity >= minNotional; MARKET orders only with
 *                    applyToMarket
 */
#ifndef TR_FILTERS_H
#define TR_FILTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "rt/exinfo.h"
#include "rt/money.h"
#include "rt/types.h"

/** Buffer size of an asset name ("BTC", "1000SATS") with its NUL (the same as exinfo's). */
#define TR_ASSET_CAP RT_ASSET_CAP

typedef enum {
    TR_ORDER_MARKET = 0,
    TR_ORDER_LIMIT = 1,
} tr_order_type_t;

/** A symbol's filters: a plain value, filled by the caller from exchangeInfo (or by a test). */
typedef struct {
    char symbol[RT_SYMBOL_CAP];     /* "BTCUSDC" */
    char base_asset[TR_ASSET_CAP];  /* "BTC" */
    char quote_asset[TR_ASSET_CAP]; /* "USDC" */
    bool trading;                   /* status == TRADING; anything else refuses every order */
    /* PRICE_FILTER */
    rt_money_t tick_size;
    rt_money_t min_price;
    rt_money_t max_price;
    /* LOT_SIZE */
    rt_money_t step_size;
    rt_money_t min_qty;
    rt_money_t max_qty;
    /* MARKET_LOT_SIZE: all three 0 when the symbol has none */
    rt_money_t market_step_size;
    rt_money_t market_min_qty;
    rt_money_t market_max_qty;
    /* NOTIONAL */
    rt_money_t min_notional;
    rt_money_t max_notional;
    bool apply_min_to_market;
    bool apply_max_to_market;
    /* MIN_NOTIONAL (legacy) */
    rt_money_t legacy_min_notional;
    bool legacy_apply_to_market;
} tr_filters_t;

/** Which filter refused an order. */
typedef enum {
    TR_FILTER_OK = 0,
    TR_FILTER_INVALID,         /* the order itself is malformed: quantity or price <= 0 ... */
    TR_FILTER_NOT_TRADING,     /* the symbol's status is not TRADING */
    TR_FILTER_PRICE,           /* PRICE_FILTER */
    TR_FILTER_LOT_SIZE,        /* LOT_SIZE */
    TR_FILTER_MARKET_LOT_SIZE, /* MARKET_LOT_SIZE */
    TR_FILTER_NOTIONAL,        /* NOTIONAL */
    TR_FILTER_MIN_NOTIONAL,    /* MIN_NOTIONAL */
} tr_filter_id_t;

/** A refusal, in the exchange's words plus the numbers:
 *    msg    "Filter failure: LOT_SIZE"
 *    detail "quantity 0.00001 below minQty 0.0001"
 *  value is the offending number (quantity, price or notional) and limit the bound it broke
 *  (for a step or tick: the step, and value the remainder). */
typedef struct {
    tr_filter_id_t filter;
    char msg[48];
    char detail[160];
    rt_money_t value;
    rt_money_t limit;
} tr_filter_reject_t;

/** Binance's name of a filter ("LOT_SIZE", "PRICE_FILTER"...); "OK", "INVALID" and
 *  "NOT_TRADING" for the others. Never NULL. */
const char *tr_filter_name(tr_filter_id_t id);

/** Zeroes *f (every rule disabled, not trading, empty names). */
void tr_filters_init(tr_filters_t *f);

/** The filters of a symbol as exchangeInfo describes it (rt/exparse.h parses it): absent
 *  filters become 0 (disabled). trading is status == TRADING (isSpotTradingAllowed is not
 *  looked at: an exchange that omits it would otherwise refuse every order). Returns 0,
 *  RT_EINVAL on NULL or names that do not fit; *out is written only on success. */
int tr_filters_from_symbol_info(const rt_symbol_info_t *si, tr_filters_t *out);

/** The quantity step of an order type: for MARKET, MARKET_LOT_SIZE's stepSize when non-zero,
 *  else LOT_SIZE's; for LIMIT, LOT_SIZE's. 0 when no step applies. */
rt_money_t tr_filters_qty_step(const tr_filters_t *f, tr_order_type_t type);

/** The minimum quantity of an order type: the larger of LOT_SIZE's minQty and, for MARKET,
 *  MARKET_LOT_SIZE's. 0 when none. */
rt_money_t tr_filters_min_qty(const tr_filters_t *f, tr_order_type_t type);

/** Rounds qty down (never up: we never buy or sell more than asked) to the step of the order
 *  type: MARKET to MARKET_LOT_SIZE's stepSize when present, then to LOT_SIZE's; LIMIT to
 *  LOT_SIZE's. With no step, qty is returned as is. 0.00078565 at step 0.00001 -> 0.00078.
 *  Returns 0, RT_EINVAL when f or out is NULL or qty < 0. */
int tr_filters_round_qty(const tr_filters_t *f, tr_order_type_t type, rt_money_t qty,
                         rt_money_t *out);

/** Rounds price to the tick size in the given direction: the caller says which, e.g.
 *  RT_ROUND_DOWN for a BUY limit (never pay more than asked), RT_ROUND_UP for a SELL limit,
 *  RT_ROUND_NEAREST for display (tr_filters_price_mode gives the side's safe direction). With
 *  no tick, price is returned as is. Returns 0, RT_EINVAL when f or out is NULL or price < 0,
 *  RT_ERANGE on overflow. */
int tr_filters_round_price(const tr_filters_t *f, rt_money_t price, rt_round_t mode,
                           rt_money_t *out);

/** The rounding that never makes a limit price worse for the one who places it: DOWN for a
 *  BUY, UP for a SELL. */
rt_round_t tr_filters_price_mode(rt_side_t side);

/** Checks an order against every filter, in this order: symbol status, the order's own values,
 *  PRICE_FILTER (LIMIT), LOT_SIZE, MARKET_LOT_SIZE (MARKET), NOTIONAL, MIN_NOTIONAL. price is
 *  the limit price of a LIMIT order, and the reference price (the latest price) of a MARKET
 *  order, used only for the notional rules (it may be 0 when none of them applies).
 *  Returns 0 when the order passes (rej, which may be NULL, is then untouched), RT_EINVAL when
 *  it fails: *rej says which filter, in Binance's words, and by how much. RT_EINVAL with
 *  TR_FILTER_INVALID also covers NULL f and values <= 0. */
int tr_filters_check(const tr_filters_t *f, tr_order_type_t type, rt_money_t qty, rt_money_t price,
                     tr_filter_reject_t *rej);

#endif
