/* What the exchange says about a symbol (GET /api/v3/exchangeInfo): trading status, assets,
 * precisions and the filters an order must pass. Plain values: the trader's filter core
 * rounds and checks orders against them; rt/exparse.h fills them from the exchange's JSON.
 *
 * Money fields are fixed-point (rt/money.h). As on the exchange, a min/max/step of 0 means
 * that rule is disabled; a maximum larger than rt_money_t can hold is stored as
 * RT_MONEY_MAX (no value we can represent exceeds it). */
#ifndef RT_EXINFO_H
#define RT_EXINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"
#include "rt/types.h"

/** Buffer size of an asset name ("BTC", "1000SATS") with its NUL. */

typedef enum {
    RT_SYMBOL_TRADING = 0,
    RT_SYMBOL_END_OF_DAY,
    RT_SYMBOL_HALT,
    RT_SYMBOL_BREAK,
    RT_SYMBOL_CANCEL_ONLY,
    RT_SYMBOL_STATUS_OTHER, /* a status this build does not know: treat as not trading */
} rt_symbol_status_t;

/** PRICE_FILTER (min = minPrice, max = maxPrice, step = tickSize), LOT_SIZE and
 *  MARKET_LOT_SIZE (minQty, maxQty, stepSize). present is false when the symbol has none. */
typedef struct {
    bool present;
    rt_money_t min;
    rt_money_t max;
    rt_money_t step;
} rt_range_filter_t;

/** NOTIONAL, the current notional filter: price * quantity within [min, max]. */
typedef struct {
    bool present;
    rt_money_t min_notional;
    rt_money_t max_notional;
    bool apply_min_to_market;
    bool apply_max_to_market;
    int avg_price_mins; /* minutes of VWAP used for MARKET orders; 0 = last price */
} rt_notional_filter_t;

/** MIN_NOTIONAL, the legacy notional filter (some symbols, testnet, old payloads). */
typedef struct {
    bool present;
    rt_money_t min_notional;
    bool apply_to_market;
    int avg_price_mins;
} rt_min_notional_filter_t;

/** One symbol of exchangeInfo. */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    rt_symbol_status_t status;
    char base_asset[RT_ASSET_CAP];
    char quote_asset[RT_ASSET_CAP];
    int base_precision;                  /* baseAssetPrecision (0..8) */
    int quote_precision;                 /* quoteAssetPrecision (0..8) */
    bool spot_allowed;                   /* isSpotTradingAllowed (false when absent) */
    bool quote_order_qty_market_allowed; /* quoteOrderQtyMarketAllowed (false when absent) */
    rt_range_filter_t price;
    rt_range_filter_t lot;
    rt_range_filter_t market_lot;
    rt_notional_filter_t notional;
    rt_min_notional_filter_t min_notional;
} rt_symbol_info_t;

/** A parsed exchangeInfo: the symbols this program can name (see rt_exparse_exchange_info). */
typedef struct {
    rt_symbol_info_t *symbols; /* owned; freed by rt_exinfo_cleanup */
    size_t count;
    size_t skipped;      /* symbols left out because their names are not ours (non-ASCII...) */
    int64_t server_time; /* serverTime, ms since the epoch */
} rt_exinfo_t;

/** Frees the symbols and zeroes *info; a zeroed or NULL info is a no-op. */
void rt_exinfo_cleanup(rt_exinfo_t *info);

/** The entry for symbol (exact, case-sensitive), borrowed from info; NULL when absent. */
const rt_symbol_info_t *rt_exinfo_find(const rt_exinfo_t *info, const char *symbol);

/** Upper-case exchange name of a status ("TRADING"); "OTHER" for RT_SYMBOL_STATUS_OTHER. */
const char *rt_symbol_status_name(rt_symbol_status_t status);

/** Maps the exchange's status text to the enum; unknown text gives RT_SYMBOL_STATUS_OTHER. */
rt_symbol_status_t rt_symbol_status_parse(const char *s);

#endif
