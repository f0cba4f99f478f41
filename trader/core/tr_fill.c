/* The demo fill model: exact fixed-point fills, rounded in the exchange's favour. */
#include "tr_fill.h"

#include <string.h>

#include "rt/err.h"
#include "tr_internal.h"

void tr_fill_config_default(tr_fill_config_t *cfg)
{
    if (cfg == NULL)
        return;
    cfg->slippage = 50000;   /* 5 bps = 0.0005 */
    cfg->taker_fee = 100000; /* 0.001 = 0.1% */
    cfg->maker_fee = 100000;
}

int tr_fill_config_check(const tr_fill_config_t *cfg)
{
    if (cfg == NULL)
        return RT_EINVAL;
    if (cfg->slippage < 0 || cfg->slippage >= RT_MONEY_SCALE)
        return RT_EINVAL;
    if (cfg->taker_fee < 0 || cfg->taker_fee >= RT_MONEY_SCALE)
        return RT_EINVAL;
    if (cfg->maker_fee < 0 || cfg->maker_fee >= RT_MONEY_SCALE)
        return RT_EINVAL;
    return RT_OK;
}

const char *tr_role_name(tr_role_t role)
{
    return role == TR_ROLE_MAKER ? "MAKER" : "TAKER";
}

static int add_change(tr_fill_result_t *r, const char *asset, rt_money_t free_delta,
                      rt_money_t locked_delta)
{
    for (size_t i = 0; i < r->change_count; i++) {
        tr_balance_change_t *c = &r->changes[i];
        if (strcmp(c->asset, asset) == 0) {
            int rc = rt_money_add(c->free, free_delta, &c->free);
            if (rc == RT_OK)
                rc = rt_money_add(c->locked, locked_delta, &c->locked);
            return rc;
        }
    }
    if (r->change_count == TR_CHANGES_MAX)
        return RT_ERANGE;
    tr_balance_change_t *c = &r->changes[r->change_count];
    if (tr__copy(c->asset, sizeof c->asset, asset) != RT_OK)
        return RT_EINVAL;
    c->free = free_delta;
    c->locked = locked_delta;
    r->change_count++;
    return RT_OK;
}

/* The amounts of a fill of quantity at price: quote (rounded for the side) and fee (up). */
static int amounts(rt_side_t side, rt_money_t quantity, rt_money_t price, rt_money_t rate,
                   rt_money_t *quote, rt_money_t *fee)
{
    rt_money_t q, f;
    int rc = rt_money_mul(quantity, price, side == RT_SIDE_BUY ? RT_ROUND_UP : RT_ROUND_DOWN, &q);
    if (rc != RT_OK)
        return rc;
    rc = rt_money_mul(q, rate, RT_ROUND_UP, &f);
    if (rc != RT_OK)
        return rc;
    *quote = q;
    *fee = f;
    return RT_OK;
}

static bool sym_ok(const tr_filters_t *sym)
{
    return sym != NULL && tr__str_ok(sym->base_asset, sizeof sym->base_asset) &&
           tr__str_ok(sym->quote_asset, sizeof sym->quote_asset) &&
           strcmp(sym->base_asset, sym->quote_asset) != 0;
}

static bool side_ok(rt_side_t side)
{
    return side == RT_SIDE_BUY || side == RT_SIDE_SELL;
}

/* Records one fill of an order and its effect on balances; `from_locked` says whether the
 * paying asset comes out of locked funds (a resting LIMIT order) and how much was locked. */
static int record(tr_fill_result_t *r, const char *base, const char *quote, rt_side_t side,
                  rt_money_t quantity, rt_money_t price, rt_money_t rate, tr_role_t role,
                  bool from_locked, rt_money_t locked)
{
    rt_money_t q, fee, v;
    int rc = amounts(side, quantity, price, rate, &q, &fee);
    if (rc != RT_OK)
        return rc;
    tr_fill_t *f = &r->fills[r->fill_count];
    memset(f, 0, sizeof *f);
    f->side = side;
    f->price = price;
    f->quantity = quantity;
    f->quote_quantity = q;
    f->fee = fee;
    f->role = role;
    if (tr__copy(f->fee_asset, sizeof f->fee_asset, quote) != RT_OK)
        return RT_EINVAL;
    r->fill_count++;
    if (side == RT_SIDE_BUY) {
        rt_money_t cost;
        rc = rt_money_add(q, fee, &cost);
        if (rc != RT_OK)
            return rc;
        if (from_locked) {
            /* the lock covered the cost at the limit price; any excess goes back to free */
            rc = rt_money_sub(locked, cost, &v);
            if (rc != RT_OK)
                return rc;
            if (v < 0)
                return RT_ERANGE;
            rc = add_change(r, quote, v, -locked);
        } else {
            rc = add_change(r, quote, -cost, 0);
        }
        if (rc == RT_OK)
            rc = add_change(r, base, quantity, 0);
        return rc;
    }
    rc = from_locked ? add_change(r, base, 0, -quantity) : add_change(r, base, -quantity, 0);
    if (rc != RT_OK)
        return rc;
    rc = rt_money_sub(q, fee, &v);
    if (rc != RT_OK)
        return rc;
    return add_change(r, quote, v, 0);
}

int tr_fill_market(const tr_fill_config_t *cfg, const tr_filters_t *sym, rt_side_t side,
                   rt_money_t quantity, rt_money_t last_price, tr_fill_result_t *out)
{
    if (tr_fill_config_check(cfg) != RT_OK || !sym_ok(sym) || out == NULL || !side_ok(side) ||
        quantity <= 0 || last_price <= 0)
        return RT_EINVAL;
    /* price moved against the taker, then to the tick in the taker's disfavour */
    rt_round_t against = side == RT_SIDE_BUY ? RT_ROUND_UP : RT_ROUND_DOWN;
    rt_money_t factor, price;
    int rc = side == RT_SIDE_BUY ? rt_money_add(RT_MONEY_SCALE, cfg->slippage, &factor)
                                 : rt_money_sub(RT_MONEY_SCALE, cfg->slippage, &factor);
    if (rc != RT_OK)
        return rc;
    rc = rt_money_mul(last_price, factor, against, &price);
    if (rc != RT_OK)
        return rc;
    rc = tr_filters_round_price(sym, price, against, &price);
    if (rc != RT_OK)
        return rc;
    if (price <= 0)
        return RT_EINVAL;
    tr_fill_result_t r;
    memset(&r, 0, sizeof r);
    rc = record(&r, sym->base_asset, sym->quote_asset, side, quantity, price, cfg->taker_fee,
                TR_ROLE_TAKER, false, 0);
    if (rc != RT_OK)
        return rc;
    *out = r;
    return RT_OK;
}

int tr_fill_limit_place(const tr_fill_config_t *cfg, const tr_filters_t *sym, rt_side_t side,
                        rt_money_t quantity, rt_money_t price, tr_limit_order_t *order,
                        tr_fill_result_t *out)
{
    if (tr_fill_config_check(cfg) != RT_OK || !sym_ok(sym) || order == NULL || out == NULL ||
        !side_ok(side) || quantity <= 0 || price <= 0)
        return RT_EINVAL;
    tr_limit_order_t o;
    memset(&o, 0, sizeof o);
    if (tr__copy(o.symbol, sizeof o.symbol, sym->symbol) != RT_OK)
        return RT_EINVAL;
    memcpy(o.base_asset, sym->base_asset, sizeof o.base_asset);
    memcpy(o.quote_asset, sym->quote_asset, sizeof o.quote_asset);
    o.side = side;
    o.quantity = quantity;
    o.price = price;
    tr_fill_result_t r;
    memset(&r, 0, sizeof r);
    int rc;
    if (side == RT_SIDE_BUY) {
        rt_money_t q, fee;
        rc = amounts(side, quantity, price, cfg->maker_fee, &q, &fee);
        if (rc == RT_OK)
            rc = rt_money_add(q, fee, &o.locked);
        if (rc == RT_OK)
            rc = add_change(&r, o.quote_asset, -o.locked, o.locked);
    } else {
        o.locked = quantity;
        rc = add_change(&r, o.base_asset, -quantity, quantity);
    }
    if (rc != RT_OK)
        return rc;
    *order = o;
    *out = r;
    return RT_OK;
}

static bool order_ok(const tr_limit_order_t *o)
{
    return o != NULL && side_ok(o->side) && o->quantity > 0 && o->price > 0 && o->locked > 0 &&
           tr__str_ok(o->base_asset, sizeof o->base_asset) &&
           tr__str_ok(o->quote_asset, sizeof o->quote_asset);
}

int tr_fill_limit_match(const tr_fill_config_t *cfg, const tr_limit_order_t *order, rt_money_t low,
                        rt_money_t high, tr_fill_result_t *out)
{
    if (tr_fill_config_check(cfg) != RT_OK || !order_ok(order) || out == NULL || low <= 0 ||
        low > high)
        return RT_EINVAL;
    bool crossed = order->side == RT_SIDE_BUY ? low <= order->price : high >= order->price;
    if (!crossed)
        return RT_EAGAIN;
    tr_fill_result_t r;
    memset(&r, 0, sizeof r);
    int rc = record(&r, order->base_asset, order->quote_asset, order->side, order->quantity,
                    order->price, cfg->maker_fee, TR_ROLE_MAKER, true, order->locked);
    if (rc != RT_OK)
        return rc;
    *out = r;
    return RT_OK;
}

int tr_fill_limit_cancel(const tr_limit_order_t *order, tr_fill_result_t *out)
{
    if (!order_ok(order) || out == NULL)
        return RT_EINVAL;
    tr_fill_result_t r;
    memset(&r, 0, sizeof r);
    const char *asset = order->side == RT_SIDE_BUY ? order->quote_asset : order->base_asset;
    int rc = add_change(&r, asset, order->locked, -order->locked);
    if (rc != RT_OK)
        return rc;
    *out = r;
    return RT_OK;
}
