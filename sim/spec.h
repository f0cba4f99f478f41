/* What the simulator knows about a symbol: its assets, a realistic starting price, the filters
 * exchangeInfo publishes (PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL) and the model's
 * volatility. The default SYMBOLS have Binance-like values; any other symbol gets values
 * derived from its base and quote assets (known coins by their usual dollar price, unknown
 * ones by a stable hash of the name). Pure: no I/O. */
#ifndef SIM_SPEC_H
#define SIM_SPEC_H

#include <stdint.h>

#include "rt/money.h"
#include "rt/types.h"

#define SIM_ASSET_CAP 16

typedef struct {
    char symbol[RT_SYMBOL_CAP]; /* upper case, e.g. "BTCUSDC" */
    char base[SIM_ASSET_CAP];   /* "BTC" */
    char quote[SIM_ASSET_CAP];  /* "USDC" */
    rt_money_t start_price;     /* where the model starts, on the tick */
    rt_money_t tick;            /* PRICE_FILTER tickSize (and minPrice) */
    rt_money_t max_price;       /* PRICE_FILTER maxPrice */
    rt_money_t step;            /* LOT_SIZE stepSize (and minQty) */
    rt_money_t max_qty;         /* LOT_SIZE maxQty */
    rt_money_t market_max_qty;  /* MARKET_LOT_SIZE maxQty (minQty and stepSize 0, as Binance) */
    rt_money_t min_notional;    /* NOTIONAL minNotional (in the quote asset) */
    rt_money_t max_notional;    /* NOTIONAL maxNotional */
    rt_money_t trade_notional;  /* the model's smallest typical trade, in the quote asset */
    int64_t sigma_ppb;          /* volatility per sqrt(second), parts per billion */
} sim_spec_t;

/** Fills *out for symbol: 2..20 ASCII letters or digits, any case (stored upper case). The
 *  quote asset is the longest known suffix (USDC, USDT, FDUSD, BTC, ETH, EUR, ...); without
 *  one, the last 3 characters are taken as a dollar-valued quote. Returns 0, RT_EINVAL for a
 *  malformed symbol. *out is written only on success. */
int sim_spec_for_symbol(const char *symbol, sim_spec_t *out);

#endif
