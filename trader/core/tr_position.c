/* The position manager: exit levels and one decision per market event. */
#include "tr_position.h"

#include <math.h>
#include <string.h>

#include "rt/err.h"
#include "tr_internal.h"

#define ONE RT_MONEY_SCALE

void tr_exit_config_default(tr_exit_config_t *cfg)
{
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->stop_loss_pct = 3000000;        /* 3% */
    cfg->take_profit_pct = 5000000;      /* 5% */
    cfg->partial_tp_fraction = 50000000; /* 0.5, used only when PARTIAL_TP_PCT is set */
}

int tr_exit_config_check(const tr_exit_config_t *cfg)
{
    if (cfg == NULL)
        return RT_EINVAL;
    if (cfg->stop_loss_pct < 0 || cfg->stop_loss_pct >= ONE || cfg->take_profit_pct < 0 ||
        cfg->atr_stop_mult < 0 || cfg->trailing_activation < 0 || cfg->trailing_pct < 0 ||
        cfg->trailing_pct >= ONE || cfg->partial_tp_pct < 0 || cfg->breakeven_pct < 0)
        return RT_EINVAL;
    if (cfg->partial_tp_fraction <= 0 || cfg->partial_tp_fraction > ONE)
        return RT_EINVAL;
    return RT_OK;
}

const char *tr_exit_reason_name(tr_exit_reason_t r)
{
    switch (r) {
    case TR_EXIT_NONE:
        return "none";
    case TR_EXIT_STOP_LOSS:
        return "stop_loss";
    case TR_EXIT_TAKE_PROFIT:
        return "take_profit";
    case TR_EXIT_TRAILING_STOP:
        return "trailing_stop";
    case TR_EXIT_PARTIAL_TP:
        return "partial_tp";
    case TR_EXIT_HALT:
        return "halt";
    case TR_EXIT_MANUAL:
        return "manual";
    }
    return "unknown";
}

int tr_atr_from_double(double atr, rt_money_t *out)
{
    if (out == NULL || isnan(atr) || isinf(atr) || atr < 0)
        return RT_EINVAL;
    double units = nearbyint(atr * (double)RT_MONEY_SCALE);
    if (!(units < 9.2e18))
        return RT_ERANGE;
    *out = (rt_money_t)units;
    return RT_OK;
}

/* price * (1 + frac) (up = true) or price * (1 - frac), rounded up to 1e-8. */
static int level(rt_money_t price, rt_money_t frac, bool up, rt_money_t *out)
{
    rt_money_t factor;
    int rc = up ? rt_money_add(ONE, frac, &factor) : rt_money_sub(ONE, frac, &factor);
    if (rc != RT_OK)
        return rc;
    return rt_money_mul(price, factor, RT_ROUND_UP, out);
}

/* The stop for an entry price: the signal's, else ATR, else percent; 0 when none. */
static int initial_stop(const tr_exit_config_t *cfg, rt_money_t entry, const tr_entry_t *e,
                        rt_money_t *out)
{
    if (e->stop_loss > 0 && e->stop_loss < entry) {
        *out = e->stop_loss;
        return RT_OK;
    }
    if (cfg->atr_stop_mult > 0 && e->atr > 0) {
        rt_money_t dist, s;
        int rc = rt_money_mul(cfg->atr_stop_mult, e->atr, RT_ROUND_DOWN, &dist);
        if (rc == RT_OK)
            rc = rt_money_sub(entry, dist, &s);
        if (rc != RT_OK)
            return rc;
        if (s > 0) {
            *out = s;
            return RT_OK;
        }
    }
    if (cfg->stop_loss_pct > 0)
        return level(entry, cfg->stop_loss_pct, false, out);
    *out = 0;
    return RT_OK;
}

/* The target for an entry price: the signal's, else percent; 0 when none. */
static int initial_target(const tr_exit_config_t *cfg, rt_money_t entry, const tr_entry_t *e,
                          rt_money_t *out)
{
    if (e->take_profit > entry) {
        *out = e->take_profit;
        return RT_OK;
    }
    if (cfg->take_profit_pct > 0)
        return level(entry, cfg->take_profit_pct, true, out);
    *out = 0;
    return RT_OK;
}

int tr_exit_stop_for(const tr_exit_config_t *cfg, rt_money_t price, rt_money_t signal_stop,
                     rt_money_t atr, rt_money_t *stop)
{
    if (tr_exit_config_check(cfg) != RT_OK || stop == NULL || price <= 0)
        return RT_EINVAL;
    tr_entry_t e;
    memset(&e, 0, sizeof e);
    e.stop_loss = signal_stop;
    e.atr = atr;
    return initial_stop(cfg, price, &e, stop);
}

static bool entry_ok(const tr_entry_t *e)
{
    return e != NULL && e->price > 0 && e->quantity > 0 && e->stop_loss >= 0 &&
           e->take_profit >= 0 && e->atr >= 0;
}

int tr_position_open(tr_position_t *p, const tr_exit_config_t *cfg, const char *symbol,
                     const char *strategy, const tr_entry_t *e)
{
    if (p == NULL || tr_exit_config_check(cfg) != RT_OK || !entry_ok(e))
        return RT_EINVAL;
    tr_position_t n;
    memset(&n, 0, sizeof n);
    if (tr__copy(n.symbol, sizeof n.symbol, symbol) != RT_OK ||
        tr__copy(n.strategy, sizeof n.strategy, strategy) != RT_OK)
        return RT_EINVAL;
    n.entry = e->price;
    n.quantity = e->quantity;
    n.initial_quantity = e->quantity;
    n.entries = 1;
    n.opened_ms = e->time_ms;
    n.highest = e->price;
    int rc = initial_stop(cfg, n.entry, e, &n.stop);
    if (rc == RT_OK)
        rc = initial_target(cfg, n.entry, e, &n.target);
    if (rc != RT_OK)
        return rc;
    *p = n;
    return RT_OK;
}

bool tr_position_is_open(const tr_position_t *p)
{
    return p != NULL && p->quantity > 0;
}

int tr_position_add(tr_position_t *p, const tr_exit_config_t *cfg, const tr_entry_t *e)
{
    if (!tr_position_is_open(p) || tr_exit_config_check(cfg) != RT_OK || !entry_ok(e))
        return RT_EINVAL;
    tr_position_t n = *p;
    /* average entry: (entry*qty + price*q) / (qty + q), to nearest */
    tr__i128 num = tr__prod(p->entry, p->quantity) + tr__prod(e->price, e->quantity);
    rt_money_t qty;
    int rc = rt_money_add(p->quantity, e->quantity, &qty);
    if (rc == RT_OK)
        rc = rt_money_add(p->initial_quantity, e->quantity, &n.initial_quantity);
    if (rc != RT_OK)
        return rc;
    tr__i128 avg = (num + qty / 2) / qty; /* num, qty > 0 */
    if (avg > RT_MONEY_MAX)
        return RT_ERANGE;
    n.entry = (rt_money_t)avg;
    n.quantity = qty;
    n.entries = p->entries + 1;
    if (e->price > n.highest)
        n.highest = e->price;
    rt_money_t stop, target;
    rc = initial_stop(cfg, n.entry, e, &stop);
    if (rc == RT_OK)
        rc = initial_target(cfg, n.entry, e, &target);
    if (rc != RT_OK)
        return rc;
    if (stop > n.stop)
        n.stop = stop;
    if (target > 0)
        n.target = target;
    *p = n;
    return RT_OK;
}

int tr_position_reduce(tr_position_t *p, rt_money_t qty)
{
    if (p == NULL || qty <= 0)
        return RT_EINVAL;
    if (qty > p->quantity)
        return RT_ESTATE;
    p->quantity -= qty;
    p->pending_quantity = qty >= p->pending_quantity ? 0 : p->pending_quantity - qty;
    return RT_OK;
}

int tr_position_settle(tr_position_t *p, bool filled)
{
    if (p == NULL)
        return RT_EINVAL;
    if (!filled && p->pending == TR_EXIT_PARTIAL_TP)
        p->partial_taken = false;
    p->pending = TR_EXIT_NONE;
    p->pending_quantity = 0;
    return RT_OK;
}

/* The sellable part of qty for a MARKET order: rounded down to the step, 0 below minQty. */
static int sellable(const tr_filters_t *f, rt_money_t qty, rt_money_t *out)
{
    if (f == NULL) {
        *out = qty;
        return RT_OK;
    }
    rt_money_t q;
    int rc = tr_filters_round_qty(f, TR_ORDER_MARKET, qty, &q);
    if (rc != RT_OK)
        return rc;
    if (q < tr_filters_min_qty(f, TR_ORDER_MARKET))
        q = 0;
    *out = q;
    return RT_OK;
}

/* A full exit of everything sellable of avail. */
static int full_exit_of(rt_money_t avail, const tr_filters_t *f, tr_exit_reason_t why,
                        rt_money_t lvl, tr_exit_t *x)
{
    rt_money_t q;
    int rc = sellable(f, avail, &q);
    if (rc != RT_OK)
        return rc;
    memset(x, 0, sizeof *x);
    x->reason = why;
    x->full = true;
    x->quantity = q;
    x->dust = avail - q;
    x->level = lvl;
    return RT_OK;
}

static int full_exit(const tr_position_t *p, const tr_filters_t *f, tr_exit_reason_t why,
                     rt_money_t lvl, tr_exit_t *x)
{
    return full_exit_of(p->quantity, f, why, lvl, x);
}

/* The partial take-profit; *x->reason stays NONE when it rounds to nothing. */
static int partial_exit(const tr_position_t *p, const tr_exit_config_t *cfg, const tr_filters_t *f,
                        rt_money_t lvl, tr_exit_t *x)
{
    rt_money_t part, q;
    int rc = rt_money_mul(p->quantity, cfg->partial_tp_fraction, RT_ROUND_DOWN, &part);
    if (rc == RT_OK)
        rc = sellable(f, part, &q);
    if (rc != RT_OK)
        return rc;
    memset(x, 0, sizeof *x);
    if (q == 0)
        return RT_OK; /* too small to sell: skipped */
    rt_money_t rest_ok;
    rc = sellable(f, p->quantity - q, &rest_ok);
    if (rc != RT_OK)
        return rc;
    if (rest_ok == 0 || q == p->quantity) /* what would be left cannot be sold: sell all */
        return full_exit(p, f, TR_EXIT_PARTIAL_TP, lvl, x);
    x->reason = TR_EXIT_PARTIAL_TP;
    x->quantity = q;
    x->level = lvl;
    return RT_OK;
}

/* The effective stop (the higher of stop and armed trailing stop) and its reason. */
static rt_money_t effective_stop(const tr_position_t *p, tr_exit_reason_t *why)
{
    if (p->trailing_armed && p->trailing_stop > 0 && p->trailing_stop >= p->stop) {
        *why = TR_EXIT_TRAILING_STOP;
        return p->trailing_stop;
    }
    *why = TR_EXIT_STOP_LOSS;
    return p->stop;
}

/* Step 2: the state follows a new high. Works on a copy (n). */
static int follow_high(tr_position_t *n, const tr_exit_config_t *cfg, rt_money_t high)
{
    int rc;
    if (high > n->highest)
        n->highest = high;
    if (cfg->trailing_pct > 0) {
        if (!n->trailing_armed) {
            rt_money_t arm;
            rc = level(n->entry, cfg->trailing_activation, true, &arm);
            if (rc != RT_OK)
                return rc;
            if (high >= arm)
                n->trailing_armed = true;
        }
        if (n->trailing_armed) {
            rt_money_t ts;
            rc = level(n->highest, cfg->trailing_pct, false, &ts);
            if (rc != RT_OK)
                return rc;
            if (ts > n->trailing_stop)
                n->trailing_stop = ts;
        }
    }
    if (cfg->breakeven_pct > 0 && !n->breakeven_armed) {
        rt_money_t be;
        rc = level(n->entry, cfg->breakeven_pct, true, &be);
        if (rc != RT_OK)
            return rc;
        if (high >= be) {
            n->breakeven_armed = true;
            if (n->entry > n->stop)
                n->stop = n->entry;
        }
    }
    return RT_OK;
}

static int update(tr_position_t *p, const tr_exit_config_t *cfg, const tr_filters_t *f,
                  rt_money_t high, rt_money_t low, rt_money_t close, tr_exit_t *out)
{
    if (!tr_position_is_open(p) || tr_exit_config_check(cfg) != RT_OK || out == NULL || low <= 0 ||
        low > close || close > high)
        return RT_EINVAL;
    tr_position_t n = *p;
    tr_exit_t x;
    memset(&x, 0, sizeof x);
    bool may_act = p->pending == TR_EXIT_NONE;
    int rc = RT_OK;
    tr_exit_reason_t why;
    /* 1. levels in force before this update: stop first, then target, then partial */
    rt_money_t stop = effective_stop(p, &why);
    if (may_act && stop > 0 && low <= stop) {
        rc = full_exit(p, f, why, stop, &x);
    } else if (may_act && p->target > 0 && high >= p->target) {
        rc = full_exit(p, f, TR_EXIT_TAKE_PROFIT, p->target, &x);
    } else if (may_act && cfg->partial_tp_pct > 0 && !p->partial_taken) {
        rt_money_t lvl;
        rc = level(p->entry, cfg->partial_tp_pct, true, &lvl);
        if (rc == RT_OK && high >= lvl) {
            rc = partial_exit(p, cfg, f, lvl, &x);
            n.partial_taken = true; /* once, even when it rounded to nothing */
        }
    }
    if (rc != RT_OK)
        return rc;
    /* 2. the state follows the high */
    rc = follow_high(&n, cfg, high);
    if (rc != RT_OK)
        return rc;
    /* 3. the close against the raised stops, unless everything is already being sold */
    if (may_act && !x.full) {
        stop = effective_stop(&n, &why);
        if (stop > 0 && close <= stop) {
            rc = full_exit(&n, f, why, stop, &x);
            if (rc != RT_OK)
                return rc;
        }
    }
    if (x.reason != TR_EXIT_NONE) {
        n.pending = x.reason;
        n.pending_quantity = x.quantity;
    }
    *p = n;
    *out = x;
    return RT_OK;
}

int tr_position_on_price(tr_position_t *p, const tr_exit_config_t *cfg, const tr_filters_t *f,
                         rt_money_t price, tr_exit_t *out)
{
    return update(p, cfg, f, price, price, price, out);
}

int tr_position_on_candle(tr_position_t *p, const tr_exit_config_t *cfg, const tr_filters_t *f,
                          rt_money_t high, rt_money_t low, rt_money_t close, tr_exit_t *out)
{
    return update(p, cfg, f, high, low, close, out);
}

static int sell_all(tr_position_t *p, const tr_filters_t *f, tr_exit_reason_t why, tr_exit_t *out)
{
    if (!tr_position_is_open(p) || out == NULL)
        return RT_EINVAL;
    tr_exit_t x;
    memset(&x, 0, sizeof x);
    rt_money_t avail = p->quantity - p->pending_quantity; /* pending <= quantity */
    if (avail <= 0 || (p->pending != TR_EXIT_NONE && p->pending != TR_EXIT_PARTIAL_TP)) {
        *out = x; /* a pending exit already sells everything */
        return RT_OK;
    }
    int rc = full_exit_of(avail, f, why, 0, &x);
    if (rc != RT_OK)
        return rc;
    p->pending = why;
    p->pending_quantity += x.quantity;
    *out = x;
    return RT_OK;
}

int tr_position_halt(tr_position_t *p, const tr_filters_t *f, tr_exit_t *out)
{
    return sell_all(p, f, TR_EXIT_HALT, out);
}

int tr_position_close(tr_position_t *p, const tr_filters_t *f, tr_exit_t *out)
{
    return sell_all(p, f, TR_EXIT_MANUAL, out);
}
