/* Exchange filters: rounding and checks, exact (fixed-point, products through 128 bits). */
#include "tr_filters.h"

#include <stdio.h>
#include <string.h>

#include "rt/err.h"
#include "tr_internal.h"

const char *tr_filter_name(tr_filter_id_t id)
{
    switch (id) {
    case TR_FILTER_OK:
        return "OK";
    case TR_FILTER_INVALID:
        return "INVALID";
    case TR_FILTER_NOT_TRADING:
        return "NOT_TRADING";
    case TR_FILTER_PRICE:
        return "PRICE_FILTER";
    case TR_FILTER_LOT_SIZE:
        return "LOT_SIZE";
    case TR_FILTER_MARKET_LOT_SIZE:
        return "MARKET_LOT_SIZE";
    case TR_FILTER_NOTIONAL:
        return "NOTIONAL";
    case TR_FILTER_MIN_NOTIONAL:
        return "MIN_NOTIONAL";
    }
    return "UNKNOWN";
}

void tr_filters_init(tr_filters_t *f)
{
    if (f != NULL)
        memset(f, 0, sizeof *f);
}

int tr_filters_from_symbol_info(const rt_symbol_info_t *si, tr_filters_t *out)
{
    if (si == NULL || out == NULL)
        return RT_EINVAL;
    tr_filters_t f;
    tr_filters_init(&f);
    if (tr__copy(f.symbol, sizeof f.symbol, si->symbol) != RT_OK ||
        tr__copy(f.base_asset, sizeof f.base_asset, si->base_asset) != RT_OK ||
        tr__copy(f.quote_asset, sizeof f.quote_asset, si->quote_asset) != RT_OK)
        return RT_EINVAL;
    f.trading = si->status == RT_SYMBOL_TRADING;
    if (si->price.present) {
        f.tick_size = si->price.step;
        f.min_price = si->price.min;
        f.max_price = si->price.max;
    }
    if (si->lot.present) {
        f.step_size = si->lot.step;
        f.min_qty = si->lot.min;
        f.max_qty = si->lot.max;
    }
    if (si->market_lot.present) {
        f.market_step_size = si->market_lot.step;
        f.market_min_qty = si->market_lot.min;
        f.market_max_qty = si->market_lot.max;
    }
    if (si->notional.present) {
        f.min_notional = si->notional.min_notional;
        f.max_notional = si->notional.max_notional;
        f.apply_min_to_market = si->notional.apply_min_to_market;
        f.apply_max_to_market = si->notional.apply_max_to_market;
    }
    if (si->min_notional.present) {
        f.legacy_min_notional = si->min_notional.min_notional;
        f.legacy_apply_to_market = si->min_notional.apply_to_market;
    }
    *out = f;
    return RT_OK;
}

static bool has_market_lot(const tr_filters_t *f)
{
    return f->market_step_size > 0 || f->market_min_qty > 0 || f->market_max_qty > 0;
}

rt_money_t tr_filters_qty_step(const tr_filters_t *f, tr_order_type_t type)
{
    if (f == NULL)
        return 0;
    if (type == TR_ORDER_MARKET && f->market_step_size > 0)
        return f->market_step_size;
    return f->step_size > 0 ? f->step_size : 0;
}

rt_money_t tr_filters_min_qty(const tr_filters_t *f, tr_order_type_t type)
{
    if (f == NULL)
        return 0;
    rt_money_t m = f->min_qty > 0 ? f->min_qty : 0;
    if (type == TR_ORDER_MARKET && f->market_min_qty > m)
        m = f->market_min_qty;
    return m;
}

int tr_filters_round_qty(const tr_filters_t *f, tr_order_type_t type, rt_money_t qty,
                         rt_money_t *out)
{
    if (f == NULL || out == NULL || qty < 0)
        return RT_EINVAL;
    rt_money_t q = qty;
    int rc;
    /* both steps apply to a MARKET order; in practice one is a multiple of the other */
    if (type == TR_ORDER_MARKET && f->market_step_size > 0) {
        rc = rt_money_round_step(q, f->market_step_size, RT_ROUND_DOWN, &q);
        if (rc != RT_OK)
            return rc;
    }
    if (f->step_size > 0) {
        rc = rt_money_round_step(q, f->step_size, RT_ROUND_DOWN, &q);
        if (rc != RT_OK)
            return rc;
    }
    *out = q;
    return RT_OK;
}

int tr_filters_round_price(const tr_filters_t *f, rt_money_t price, rt_round_t mode,
                           rt_money_t *out)
{
    if (f == NULL || out == NULL || price < 0)
        return RT_EINVAL;
    if (f->tick_size <= 0) {
        *out = price;
        return RT_OK;
    }
    return rt_money_round_step(price, f->tick_size, mode, out);
}

rt_round_t tr_filters_price_mode(rt_side_t side)
{
    return side == RT_SIDE_BUY ? RT_ROUND_DOWN : RT_ROUND_UP;
}

/* Fills *rej (when not NULL) and returns RT_EINVAL. */
__attribute__((format(printf, 5, 6))) static int refuse(tr_filter_reject_t *rej, tr_filter_id_t id,
                                                        rt_money_t value, rt_money_t limit,
                                                        const char *fmt, ...)
{
    if (rej == NULL)
        return RT_EINVAL;
    memset(rej, 0, sizeof *rej);
    rej->filter = id;
    rej->value = value;
    rej->limit = limit;
    switch (id) {
    case TR_FILTER_INVALID:
        tr__say(rej->msg, sizeof rej->msg, "Invalid order");
        break;
    case TR_FILTER_NOT_TRADING:
        tr__say(rej->msg, sizeof rej->msg, "Market is closed.");
        break;
    default:
        tr__say(rej->msg, sizeof rej->msg, "Filter failure: %s", tr_filter_name(id));
        break;
    }
    char detail[sizeof rej->detail];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (n < 0)
        detail[0] = '\0';
    tr__say(rej->detail, sizeof rej->detail, "%s", detail);
    return RT_EINVAL;
}

/* min <= v <= max and v % step == 0, each rule disabled by a 0; `what` names the value. */
static int check_range(tr_filter_reject_t *rej, tr_filter_id_t id, const char *what, rt_money_t v,
                       rt_money_t min, rt_money_t max, rt_money_t step, const char *min_name,
                       const char *max_name, const char *step_name)
{
    if (min > 0 && v < min)
        return refuse(rej, id, v, min, "%s %s below %s %s", what, tr__m(v).s, min_name,
                      tr__m(min).s);
    if (max > 0 && v > max)
        return refuse(rej, id, v, max, "%s %s above %s %s", what, tr__m(v).s, max_name,
                      tr__m(max).s);
    if (step > 0 && v % step != 0)
        return refuse(rej, id, v % step, step, "%s %s not a multiple of %s %s (remainder %s)", what,
                      tr__m(v).s, step_name, tr__m(step).s, tr__m(v % step).s);
    return RT_OK;
}

/* The notional qty * price rounded to 8 decimals for messages. */
static rt_money_t notional_shown(rt_money_t qty, rt_money_t price)
{
    rt_money_t n;
    if (rt_money_mul(qty, price, RT_ROUND_NEAREST, &n) != RT_OK)
        return RT_MONEY_MAX;
    return n;
}

static int check_notional(tr_filter_reject_t *rej, tr_filter_id_t id, rt_money_t qty,
                          rt_money_t price, rt_money_t min, rt_money_t max, bool apply_min,
                          bool apply_max)
{
    tr__i128 exact = tr__prod(qty, price); /* 16 decimals */
    bool want_min = apply_min && min > 0, want_max = apply_max && max > 0;
    if ((want_min || want_max) && price <= 0)
        return refuse(rej, TR_FILTER_INVALID, price, 0, "a reference price is needed to check %s",
                      tr_filter_name(id));
    if (want_min && exact < (tr__i128)min * RT_MONEY_SCALE) {
        rt_money_t n = notional_shown(qty, price);
        return refuse(rej, id, n, min, "notional %s below minNotional %s", tr__m(n).s,
                      tr__m(min).s);
    }
    if (want_max && exact > (tr__i128)max * RT_MONEY_SCALE) {
        rt_money_t n = notional_shown(qty, price);
        return refuse(rej, id, n, max, "notional %s above maxNotional %s", tr__m(n).s,
                      tr__m(max).s);
    }
    return RT_OK;
}

int tr_filters_check(const tr_filters_t *f, tr_order_type_t type, rt_money_t qty, rt_money_t price,
                     tr_filter_reject_t *rej)
{
    if (f == NULL)
        return refuse(rej, TR_FILTER_INVALID, 0, 0, "no filters given");
    if (type != TR_ORDER_MARKET && type != TR_ORDER_LIMIT)
        return refuse(rej, TR_FILTER_INVALID, 0, 0, "unknown order type %d", (int)type);
    if (!f->trading)
        return refuse(rej, TR_FILTER_NOT_TRADING, 0, 0, "symbol %s is not TRADING", f->symbol);
    if (qty <= 0)
        return refuse(rej, TR_FILTER_INVALID, qty, 0, "quantity %s must be above 0", tr__m(qty).s);
    if (price < 0 || (type == TR_ORDER_LIMIT && price == 0))
        return refuse(rej, TR_FILTER_INVALID, price, 0, "price %s must be above 0", tr__m(price).s);
    bool limit = type == TR_ORDER_LIMIT;
    int rc;
    if (limit) {
        rc = check_range(rej, TR_FILTER_PRICE, "price", price, f->min_price, f->max_price,
                         f->tick_size, "minPrice", "maxPrice", "tickSize");
        if (rc != RT_OK)
            return rc;
    }
    rc = check_range(rej, TR_FILTER_LOT_SIZE, "quantity", qty, f->min_qty, f->max_qty, f->step_size,
                     "minQty", "maxQty", "stepSize");
    if (rc != RT_OK)
        return rc;
    if (!limit && has_market_lot(f)) {
        rc = check_range(rej, TR_FILTER_MARKET_LOT_SIZE, "quantity", qty, f->market_min_qty,
                         f->market_max_qty, f->market_step_size, "minQty", "maxQty", "stepSize");
        if (rc != RT_OK)
            return rc;
    }
    rc = check_notional(rej, TR_FILTER_NOTIONAL, qty, price, f->min_notional, f->max_notional,
                        limit || f->apply_min_to_market, limit || f->apply_max_to_market);
    if (rc != RT_OK)
        return rc;
    return check_notional(rej, TR_FILTER_MIN_NOTIONAL, qty, price, f->legacy_min_notional, 0,
                          limit || f->legacy_apply_to_market, false);
}
