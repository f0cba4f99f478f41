/* Demo execution: how an order fills when nothing is sent to the exchange, by the trader core's
 * fill model with the exchange's filters (exfilters.c): a MARKET order at once
 * (tr_fill_market, on the tick), a LIMIT order placed, tried against prices and canceled
 * (tr_fill_limit_place / _match / _cancel). */
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

/* The filters of the order's symbol (exchangeInfo); RT_EAGAIN / RT_ENOTFOUND without. */
static int filters_of(const tr_svc_t *svc, const char *symbol, tr_filters_t *f)
{
    tr_filters_init(f);
    return tr_svc_filters(svc, symbol, f);
}

static const tr_fill_config_t *fill_cfg(const tr_svc_t *svc)
{
    return (const tr_fill_config_t *)(const void *)svc->fill_cfg;
}

static int to_exec_fill(const tr_fill_t *in, tr_exec_fill_t *out)
{
    tr_exec_fill_t x;
    memset(&x, 0, sizeof x);
    x.price = in->price;
    x.quantity = in->quantity;
    x.quote_quantity = in->quote_quantity;
    x.fee = in->fee;
    x.maker = in->role == TR_ROLE_MAKER;
    int rc = rt_str_copy(x.fee_asset, sizeof x.fee_asset, in->fee_asset);
    if (rc == 0)
        *out = x;
    return rc;
}

int tr_exec_demo_fill(const tr_svc_t *svc, const tr_svc_order_t *o, tr_exec_fill_t *out)
{
    tr_filters_t f; /* the exchange's: the fill price lands on the tick */
    tr_fill_result_t r;
    int rc = filters_of(svc, o->symbol, &f);
    if (rc == 0)
        rc = tr_fill_market(fill_cfg(svc), &f, o->side, o->quantity, o->ref_price, &r);
    if (rc != 0)
        return rc;
    if (r.fill_count != 1) /* the demo model fills a MARKET order at once, whole */
        return RT_ESTATE;
    return to_exec_fill(&r.fills[0], out);
}

/* The core's view of a resting order as stored. */
static int limit_of(const tr_svc_order_t *o, tr_limit_order_t *l)
{
    memset(l, 0, sizeof *l);
    int rc = rt_str_copy(l->symbol, sizeof l->symbol, o->symbol);
    if (rc == 0)
        rc = tr_exec_split_symbol(o->symbol, l->base_asset, sizeof l->base_asset, l->quote_asset,
                                  sizeof l->quote_asset);
    if (rc != 0)
        return rc;
    l->side = o->side;
    l->quantity = o->quantity;
    l->price = o->price;
    l->locked = o->locked;
    return RT_OK;
}

static int to_exec_limit(const tr_fill_result_t *r, tr_exec_limit_t *out)
{
    tr_exec_limit_t x;
    memset(&x, 0, sizeof x);
    if (r->fill_count > 1 || r->change_count > TR_EXEC_CHANGES_MAX)
        return RT_ESTATE;
    int rc = RT_OK;
    if (r->fill_count == 1) {
        x.filled = true;
        rc = to_exec_fill(&r->fills[0], &x.fill);
    }
    for (size_t i = 0; rc == 0 && i < r->change_count; i++) {
        rc = rt_str_copy(x.changes[i].asset, sizeof x.changes[i].asset, r->changes[i].asset);
        x.changes[i].free = r->changes[i].free;
        x.changes[i].locked = r->changes[i].locked;
    }
    x.n = r->change_count;
    if (rc == 0)
        *out = x;
    return rc;
}

int tr_exec_demo_limit_place(const tr_svc_t *svc, tr_svc_order_t *o, tr_exec_limit_t *out)
{
    tr_filters_t f;
    tr_limit_order_t l;
    tr_fill_result_t r;
    int rc = filters_of(svc, o->symbol, &f);
    if (rc == 0)
        rc = tr_fill_limit_place(fill_cfg(svc), &f, o->side, o->quantity, o->price, &l, &r);
    if (rc == 0)
        rc = to_exec_limit(&r, out);
    if (rc != 0)
        return rc;
    o->locked = l.locked;
    return rt_str_copy(o->locked_asset, sizeof o->locked_asset,
                       o->side == RT_SIDE_BUY ? l.quote_asset : l.base_asset);
}

int tr_exec_demo_limit_try(const tr_svc_t *svc, const tr_svc_order_t *o, rt_money_t low,
                           rt_money_t high, tr_exec_limit_t *out)
{
    tr_limit_order_t l;
    tr_fill_result_t r;
    int rc = limit_of(o, &l);
    if (rc == 0)
        rc = tr_fill_limit_match(fill_cfg(svc), &l, low, high, &r);
    if (rc != 0)
        return rc;
    return to_exec_limit(&r, out);
}

int tr_exec_demo_limit_cancel(const tr_svc_t *svc, const tr_svc_order_t *o, tr_exec_limit_t *out)
{
    tr_limit_order_t l;
    tr_fill_result_t r;
    (void)svc;
    int rc = limit_of(o, &l);
    if (rc == 0)
        rc = tr_fill_limit_cancel(&l, &r);
    if (rc != 0)
        return rc;
    return to_exec_limit(&r, out);
}
