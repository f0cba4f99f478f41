/* Demo execution: how a MARKET order fills when nothing is sent to the exchange, by the trader
 * core's fill model (tr_fill_market). */
#include <string.h>

#include "tr_fill.h"

#include "rt/err.h"
#include "rt/str.h"
#include "tr_svc.h"

int tr_exec_split_symbol(const char *symbol, char *base, size_t base_cap, char *quote,
                         size_t quote_cap)
{
    static const char *const quotes[] = {"FDUSD", "USDC", "USDT", "BUSD", "BTC",
                                         "ETH",   "BNB",  "EUR",  "TRY"};
    if (!symbol)
        return RT_EINVAL;
    size_t n = strlen(symbol);
    for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
        size_t q = strlen(quotes[i]);
        if (n <= q || strcmp(symbol + n - q, quotes[i]) != 0)
            continue;
        char b[RT_SYMBOL_CAP];
        if (rt_str_copy_n(b, sizeof b, symbol, n - q) != 0)
            return RT_EINVAL;
        if (strlen(quotes[i]) >= quote_cap || n - q >= base_cap)
            return RT_EINVAL;
        memcpy(base, b, n - q + 1);
        memcpy(quote, quotes[i], q + 1);
        return RT_OK;
    }
    return RT_EINVAL;
}

int tr_exec_demo_fill(const tr_svc_t *svc, const tr_svc_order_t *o, tr_exec_fill_t *out)
{
    tr_filters_t f; /* demo: no exchangeInfo, every filter off (0 disables it) */
    tr_fill_result_t r;
    tr_filters_init(&f);
    f.trading = true;
    int rc = rt_str_copy(f.symbol, sizeof f.symbol, o->symbol);
    if (rc == 0)
        rc = tr_exec_split_symbol(o->symbol, f.base_asset, sizeof f.base_asset, f.quote_asset,
                                  sizeof f.quote_asset);
    if (rc == 0)
        rc = tr_fill_market((const tr_fill_config_t *)(const void *)svc->fill_cfg, &f, o->side,
                            o->quantity, o->ref_price, &r);
    if (rc != 0)
        return rc;
    if (r.fill_count != 1) /* the demo model fills a MARKET order at once, whole */
        return RT_ESTATE;
    tr_exec_fill_t x;
    memset(&x, 0, sizeof x);
    x.price = r.fills[0].price;
    x.quantity = r.fills[0].quantity;
    x.quote_quantity = r.fills[0].quote_quantity;
    x.fee = r.fills[0].fee;
    if ((rc = rt_str_copy(x.fee_asset, sizeof x.fee_asset, r.fills[0].fee_asset)) != 0)
        return rc;
    *out = x;
    return RT_OK;
}
