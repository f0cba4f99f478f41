/* Demo execution: how a MARKET order fills when nothing is sent to the exchange.
 * Interim: this stands in for tr_fill_market of the trader core until that core lands on main;
 * then this file calls it instead of computing the fill itself. */
#include <string.h>

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

int tr_exec_demo_fill(const tr_svc_order_t *o, int64_t slippage_bps, rt_money_t fee_rate,
                      tr_exec_fill_t *out)
{
    int rc;
    tr_exec_fill_t f;
    memset(&f, 0, sizeof f);
    if (!o || !out || o->quantity <= 0 || o->ref_price <= 0 || slippage_bps < 0 ||
        slippage_bps >= 10000 || fee_rate < 0)
        return RT_EINVAL;
    char base[TR_ASSET_NAME_CAP];
    rc = tr_exec_split_symbol(o->symbol, base, sizeof base, f.fee_asset, sizeof f.fee_asset);
    if (rc != 0)
        goto out;
    /* the taker pays the slippage: a BUY fills higher, a SELL lower, rounded against it */
    int64_t num = o->side == RT_SIDE_BUY ? 10000 + slippage_bps : 10000 - slippage_bps;
    rt_round_t against = o->side == RT_SIDE_BUY ? RT_ROUND_UP : RT_ROUND_DOWN;
    rc = rt_money_mul_frac(o->ref_price, num, 10000, against, &f.price);
    if (rc != 0)
        goto out;
    f.quantity = o->quantity;
    rc = rt_money_mul(f.price, f.quantity, against, &f.quote_quantity);
    if (rc != 0)
        goto out;
    rc = rt_money_mul(f.quote_quantity, fee_rate, RT_ROUND_UP, &f.fee);
    if (rc != 0)
        goto out;
    if (f.price <= 0 || f.quote_quantity <= 0) {
        rc = RT_ERANGE;
        goto out;
    }
    *out = f;
out:
    return rc;
}
