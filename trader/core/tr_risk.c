/* The risk manager: one decision per request, with its reason and numbers. */
#include "tr_risk.h"

#include <stdio.h>
#include <string.h>

#include "rt/err.h"
#include "tr_internal.h"

#define ONE RT_MONEY_SCALE

/* ---- configuration --------------------------------------------------------------------- */

void tr_risk_config_default(tr_risk_config_t *cfg)
{
    if (cfg == NULL)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->trade_quantity = 17000; /* 0.00017 */
    cfg->risk_per_trade = 0;
    cfg->max_position_pct = 10000000; /* 10% */
    cfg->max_entries = 1;
    cfg->max_exposure_pct = 20000000; /* 20% */
    cfg->max_open_positions = 10;
    cfg->cooldown_ms = 60 * 1000;
    cfg->max_drawdown_pct = 5000000; /* 5% */
    cfg->drawdown_window_ms = INT64_C(7) * 24 * 3600 * 1000;
    cfg->halt_equity_ratio = 50000000; /* 0.5 */
    cfg->cost_rate = 150000;           /* 0.0015 */
}

static bool frac_ok(rt_money_t v, bool below_one)
{
    return v >= 0 && (below_one ? v < ONE : v <= ONE);
}

int tr_risk_config_check(const tr_risk_config_t *cfg)
{
    if (cfg == NULL)
        return RT_EINVAL;
    if (cfg->trade_quantity < 0 || cfg->trade_quote_quantity < 0 || !frac_ok(cfg->risk_per_trade, false) ||
        !frac_ok(cfg->max_position_pct, false) || cfg->max_entries < 1 ||
        !frac_ok(cfg->max_exposure_pct, false) || cfg->max_open_positions < 0 ||
        cfg->cooldown_ms < 0 || !frac_ok(cfg->max_drawdown_pct, true) ||
        cfg->drawdown_window_ms <= 0 || !frac_ok(cfg->halt_equity_ratio, true) ||
        !frac_ok(cfg->cost_rate, true))
        return RT_EINVAL;
    if (cfg->risk_per_trade == 0 && cfg->trade_quantity == 0 && cfg->trade_quote_quantity == 0)
        return RT_EINVAL;
    return RT_OK;
}

/* ---- equity window ------------------------------------------------------------------------ */

int tr_equity_window_init(tr_equity_window_t *w, int64_t window_ms)
{
    if (w == NULL || window_ms <= 0)
        return RT_EINVAL;
    w->window_ms = window_ms;
    /* N-1 buckets per window: the bucket holding the window's start and the current one never
     * share a slot */
    const int64_t n = TR_EQUITY_BUCKETS - 1;
    w->bucket_ms = window_ms / n + (window_ms % n != 0);
    tr_equity_window_reset(w);
    return RT_OK;
}

void tr_equity_window_reset(tr_equity_window_t *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < TR_EQUITY_BUCKETS; i++) {
        w->bucket[i].index = -1;
        w->bucket[i].peak = 0;
    }
    w->head = 0;
    w->queued = 0;
    w->last_ms = -1;
    w->ordered = true;
}

/* The first bucket number within the window ending at now_ms (-1: the window starts before
 * the epoch, every bucket counts). */
static int64_t window_first(const tr_equity_window_t *w, int64_t now_ms)
{
    int64_t from = now_ms - w->window_ms;
    return from < 0 ? -1 : from / w->bucket_ms;
}

/* The queue's i-th entry from the front. */
static size_t queue_at(const tr_equity_window_t *w, size_t i)
{
    return (w->head + i) % TR_EQUITY_BUCKETS;
}

/* A sample in time order into the monotonic queue: buckets that left the window go from the
 * front, entries the sample dominates (no higher, no later) from the back. Every entry left
 * is a distinct bucket within one window (at most TR_EQUITY_BUCKETS - 1 + 1 of them), so the
 * queue never overflows; should it, the queue is given up for the ring scan. */
/* True when bucket idx ends at or before `from` (the window's start): it is before the window's
 * first bucket, floor(from / bucket_ms), told by a product rather than a division. */
static bool bucket_before(const tr_equity_window_t *w, int64_t idx, int64_t from)
{
    return from >= 0 && (idx + 1) * w->bucket_ms <= from;
}

static void queue_push(tr_equity_window_t *w, int64_t idx, int64_t now_ms, rt_money_t equity)
{
    int64_t from = now_ms - w->window_ms;
    while (w->queued > 0 && bucket_before(w, w->queue[w->head].index, from)) {
        w->head = (w->head + 1) % TR_EQUITY_BUCKETS;
        w->queued--;
    }
    while (w->queued > 0) {
        size_t back = queue_at(w, w->queued - 1);
        if (w->queue[back].peak > equity) {
            if (w->queue[back].index == idx)
                return; /* the bucket already holds a higher sample */
            break;
        }
        w->queued--;
    }
    if (w->queued == TR_EQUITY_BUCKETS) {
        w->ordered = false;
        return;
    }
    size_t slot = queue_at(w, w->queued++);
    w->queue[slot].index = idx;
    w->queue[slot].peak = equity;
}

int tr_equity_window_push(tr_equity_window_t *w, int64_t now_ms, rt_money_t equity)
{
    if (w == NULL || w->bucket_ms <= 0 || now_ms < 0 || equity < 0)
        return RT_EINVAL;
    int64_t idx = -1;
    if (w->ordered && w->queued > 0 && now_ms >= w->last_ms) {
        /* in order, the queue's back is the last sample's bucket: most samples share it */
        size_t back = queue_at(w, w->queued - 1);
        int64_t last = w->queue[back].index;
        if (now_ms < (last + 1) * w->bucket_ms) {
            if (equity <= w->queue[back].peak) {
                /* the bucket already holds as much (the back is its peak, as is its ring
                 * slot): nothing changes; buckets the window has left go at the next bucket's
                 * first sample (the peak's search skips them meanwhile) */
                w->last_ms = now_ms;
                return RT_OK;
            }
            idx = last;
        }
    }
    if (idx < 0)
        idx = now_ms / w->bucket_ms;
    size_t slot = (size_t)(idx % TR_EQUITY_BUCKETS);
    if (w->bucket[slot].index == idx) {
        if (equity > w->bucket[slot].peak)
            w->bucket[slot].peak = equity;
    } else if (w->bucket[slot].index < idx) {
        w->bucket[slot].index = idx;
        w->bucket[slot].peak = equity;
    } /* else: older than what the slot holds, out of the window */
    if (w->ordered && now_ms < w->last_ms)
        w->ordered = false; /* from now on the ring alone answers */
    if (w->ordered) {
        w->last_ms = now_ms;
        queue_push(w, idx, now_ms, equity);
    }
    return RT_OK;
}

/* The ring's answer: every bucket within [first, now's bucket]. */
static int ring_peak(const tr_equity_window_t *w, int64_t now_ms, rt_money_t *peak)
{
    int64_t lo = window_first(w, now_ms);
    int64_t hi = now_ms / w->bucket_ms;
    bool found = false;
    rt_money_t best = 0;
    for (size_t i = 0; i < TR_EQUITY_BUCKETS; i++) {
        int64_t idx = w->bucket[i].index;
        if (idx < 0 || idx < lo || idx > hi)
            continue;
        if (!found || w->bucket[i].peak > best)
            best = w->bucket[i].peak;
        found = true;
    }
    if (!found)
        return RT_ENOTFOUND;
    *peak = best;
    return RT_OK;
}

int tr_equity_window_peak(const tr_equity_window_t *w, int64_t now_ms, rt_money_t *peak)
{
    if (w == NULL || peak == NULL || w->bucket_ms <= 0)
        return RT_EINVAL;
    if (!w->ordered || now_ms < w->last_ms)
        return ring_peak(w, now_ms, peak);
    /* Samples in time order, asked at or after the last: every sample's bucket is at or before
     * now's, and none within the window was overwritten in the ring (a window spans at most
     * TR_EQUITY_BUCKETS buckets), so the ring's answer is the highest sample whose bucket is
     * at or after the window's first: the first queue entry there (peaks decrease along the
     * queue). Usually the front; a binary search otherwise. */
    int64_t from = now_ms - w->window_ms;
    size_t lo = 0, hi = w->queued;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bucket_before(w, w->queue[queue_at(w, mid)].index, from))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == w->queued)
        return RT_ENOTFOUND;
    *peak = w->queue[queue_at(w, lo)].peak;
    return RT_OK;
}

/* ---- state ------------------------------------------------------------------------------- */

int tr_risk_state_init(tr_risk_state_t *st, const tr_risk_config_t *cfg, rt_money_t initial_equity,
                       int64_t now_ms)
{
    if (st == NULL || tr_risk_config_check(cfg) != RT_OK || initial_equity < 0 || now_ms < 0)
        return RT_EINVAL;
    memset(st, 0, sizeof *st);
    st->initial_equity = initial_equity;
    int rc = tr_equity_window_init(&st->equity, cfg->drawdown_window_ms);
    if (rc == RT_OK)
        rc = tr_equity_window_push(&st->equity, now_ms, initial_equity);
    return rc;
}

int tr_risk_observe(tr_risk_state_t *st, int64_t now_ms, rt_money_t equity)
{
    if (st == NULL)
        return RT_EINVAL;
    return tr_equity_window_push(&st->equity, now_ms, equity);
}

void tr_risk_pause(tr_risk_state_t *st, const char *why)
{
    if (st == NULL)
        return;
    st->paused = true;
    tr__say(st->reason, sizeof st->reason, "%s", why != NULL ? why : "paused by an operator");
}

void tr_risk_halt(tr_risk_state_t *st, const char *why)
{
    if (st == NULL)
        return;
    st->paused = true;
    st->halted = true;
    tr__say(st->reason, sizeof st->reason, "%s", why != NULL ? why : "halted");
}

int tr_risk_resume(tr_risk_state_t *st, int64_t now_ms, rt_money_t equity)
{
    if (st == NULL || equity < 0 || now_ms < 0)
        return RT_EINVAL;
    if (st->halted)
        st->initial_equity = equity;
    st->paused = false;
    st->halted = false;
    st->reason[0] = '\0';
    tr_equity_window_reset(&st->equity);
    return tr_equity_window_push(&st->equity, now_ms, equity);
}

/* v * frac as an exact 16-decimal value, compared with x (8 decimals): x <= v * frac. */
static bool at_or_below(rt_money_t x, rt_money_t v, rt_money_t frac)
{
    return (tr__i128)x * RT_MONEY_SCALE <= tr__prod(v, frac);
}

bool tr_risk_halt_due(const tr_risk_config_t *cfg, const tr_risk_state_t *st, rt_money_t equity,
                      char *why, size_t cap)
{
    if (cfg == NULL || st == NULL || st->halted || cfg->halt_equity_ratio <= 0 ||
        st->initial_equity <= 0)
        return false;
    if (!at_or_below(equity, st->initial_equity, cfg->halt_equity_ratio))
        return false;
    rt_money_t lvl = 0;
    (void)rt_money_mul(st->initial_equity, cfg->halt_equity_ratio, RT_ROUND_DOWN, &lvl);
    tr__say(why, cap,
            "equity %s is at or below HALT_EQUITY_RATIO %s of the initial equity %s (%s): "
            "halt, sell everything, pause",
            tr__m(equity).s, tr__m(cfg->halt_equity_ratio).s, tr__m(st->initial_equity).s,
            tr__m(lvl).s);
    return true;
}

/* The peak for the brake: the window's, at least the current equity. */
static rt_money_t peak_of(const tr_risk_state_t *st, int64_t now_ms, rt_money_t equity)
{
    rt_money_t peak;
    if (tr_equity_window_peak(&st->equity, now_ms, &peak) != RT_OK || peak < equity)
        peak = equity;
    return peak;
}

int tr_risk_status(const tr_risk_config_t *cfg, const tr_risk_state_t *st, int64_t now_ms,
                   rt_money_t equity, tr_risk_status_t *out)
{
    if (cfg == NULL || st == NULL || out == NULL || equity < 0)
        return RT_EINVAL;
    tr_risk_status_t s;
    memset(&s, 0, sizeof s);
    s.paused = st->paused;
    s.halted = st->halted;
    s.equity = equity;
    s.peak = peak_of(st, now_ms, equity);
    int rc = RT_OK;
    if (s.peak > 0 && equity < s.peak)
        rc = rt_money_div(s.peak - equity, s.peak, RT_ROUND_NEAREST, &s.drawdown);
    if (rc == RT_OK && cfg->max_drawdown_pct > 0 && s.peak > 0) {
        rc = rt_money_mul(s.peak, ONE - cfg->max_drawdown_pct, RT_ROUND_DOWN, &s.brake_level);
        s.brake_active = at_or_below(equity, s.peak, ONE - cfg->max_drawdown_pct);
    }
    if (rc == RT_OK && cfg->halt_equity_ratio > 0 && st->initial_equity > 0)
        rc = rt_money_mul(st->initial_equity, cfg->halt_equity_ratio, RT_ROUND_DOWN, &s.halt_level);
    if (rc != RT_OK)
        return rc;
    *out = s;
    return RT_OK;
}

/* ---- names ------------------------------------------------------------------------------- */

const char *tr_source_name(tr_source_t s)
{
    return s == TR_SOURCE_MANUAL ? "manual" : "strategy";
}

static const char *const reason_names[] = {
    [TR_REASON_NONE] = "accepted",
    [TR_REASON_INVALID] = "invalid",
    [TR_REASON_HALTED] = "halted",
    [TR_REASON_PAUSED] = "paused",
    [TR_REASON_SYMBOL_NOT_TRADING] = "symbol_not_trading",
    [TR_REASON_NO_POSITION] = "no_position",
    [TR_REASON_EXIT_PENDING] = "exit_pending",
    [TR_REASON_ALREADY_IN_POSITION] = "already_in_position",
    [TR_REASON_MAX_ENTRIES] = "max_entries",
    [TR_REASON_INSUFFICIENT_BALANCE] = "insufficient_balance",
    [TR_REASON_MAX_EXPOSURE] = "max_exposure",
    [TR_REASON_MAX_OPEN_POSITIONS] = "max_open_positions",
    [TR_REASON_COOLDOWN] = "cooldown",
    [TR_REASON_DRAWDOWN_BRAKE] = "drawdown_brake",
    [TR_REASON_FILTER_LOT_SIZE] = "filter_lot_size",
    [TR_REASON_FILTER_NOTIONAL] = "filter_notional",
    [TR_REASON_FILTER_PRICE] = "filter_price",
};

const char *tr_reason_name(tr_reason_t r)
{
    if ((size_t)r >= sizeof reason_names / sizeof reason_names[0] || reason_names[r] == NULL)
        return "unknown";
    return reason_names[r];
}

const char *tr_pos_action_name(tr_pos_action_t a)
{
    switch (a) {
    case TR_POS_OPEN:
        return "open";
    case TR_POS_ADD:
        return "add";
    case TR_POS_REDUCE:
        return "reduce";
    case TR_POS_CLOSE:
        return "close";
    }
    return "unknown";
}

int tr_request_from_signal(const rt_signal_t *sig, tr_request_t *out)
{
    if (sig == NULL || out == NULL)
        return RT_EINVAL;
    tr_request_t r;
    memset(&r, 0, sizeof r);
    if (tr__copy(r.symbol, sizeof r.symbol, sig->symbol) != RT_OK ||
        tr__copy(r.strategy, sizeof r.strategy, sig->strategy) != RT_OK)
        return RT_EINVAL;
    r.source = TR_SOURCE_STRATEGY;
    r.side = sig->side;
    r.type = TR_ORDER_MARKET;
    r.price = sig->price;
    r.stop_loss = sig->stop_loss;
    r.take_profit = sig->take_profit;
    *out = r;
    return RT_OK;
}

/* ---- evaluation -------------------------------------------------------------------------- */

__attribute__((format(printf, 4, 5))) static int decide(tr_decision_t *d, tr_verdict_t v,
                                                        tr_reason_t r, const char *fmt, ...)
{
    d->verdict = v;
    d->reason = r;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->text, sizeof d->text, fmt, ap);
    va_end(ap);
    if (n < 0)
        d->text[0] = '\0';
    else if ((size_t)n >= sizeof d->text)
        memcpy(d->text + sizeof d->text - 4, "...", 4);
    return RT_OK;
}

/* decide without the sentence, for callers that never read it (tr_risk_input_t.no_text). */
static int decide_plain(tr_decision_t *d, tr_verdict_t v, tr_reason_t r)
{
    d->verdict = v;
    d->reason = r;
    d->text[0] = '\0';
    return RT_OK;
}

/* decide, unless `in` asks for no text: then the arguments (numbers formatted as text) are not
 * even evaluated. */
#define DECIDE(in, d, v, r, ...)                                                                   \
    ((in)->no_text ? decide_plain((d), (v), (r)) : decide((d), (v), (r), __VA_ARGS__))

static const char *side_name(rt_side_t s)
{
    return s == RT_SIDE_BUY ? "BUY" : "SELL";
}

static rt_money_t free_of(const tr_risk_input_t *in, const char *asset, rt_money_t *locked)
{
    for (size_t i = 0; i < in->balance_count; i++)
        if (strcmp(in->balances[i].asset, asset) == 0) {
            if (locked != NULL)
                *locked = in->balances[i].locked;
            return in->balances[i].free;
        }
    if (locked != NULL)
        *locked = 0;
    return 0;
}

static const tr_position_t *find_open(const tr_risk_input_t *in, const char *symbol,
                                      const char *strategy)
{
    for (size_t i = 0; i < in->position_count; i++) {
        const tr_position_t *p = &in->positions[i];
        if (p->quantity > 0 && strcmp(p->symbol, symbol) == 0 && strcmp(p->strategy, strategy) == 0)
            return p;
    }
    return NULL;
}

static size_t count_open(const tr_risk_input_t *in)
{
    size_t n = 0;
    for (size_t i = 0; i < in->position_count; i++)
        if (in->positions[i].quantity > 0)
            n++;
    return n;
}

/* Maps a filter refusal to a reason and keeps the exchange's words. */
static int filter_refusal(tr_decision_t *d, const tr_risk_input_t *in, const tr_request_t *req,
                          rt_money_t qty, const tr_filter_reject_t *fr)
{
    tr_reason_t r;
    switch (fr->filter) {
    case TR_FILTER_NOT_TRADING:
        r = TR_REASON_SYMBOL_NOT_TRADING;
        break;
    case TR_FILTER_PRICE:
        r = TR_REASON_FILTER_PRICE;
        break;
    case TR_FILTER_LOT_SIZE:
    case TR_FILTER_MARKET_LOT_SIZE:
        r = TR_REASON_FILTER_LOT_SIZE;
        break;
    case TR_FILTER_NOTIONAL:
    case TR_FILTER_MIN_NOTIONAL:
        r = TR_REASON_FILTER_NOTIONAL;
        break;
    case TR_FILTER_OK:
    case TR_FILTER_INVALID:
    default:
        r = TR_REASON_INVALID;
        break;
    }
    d->filter = *fr;
    return DECIDE(in, d, TR_VERDICT_REJECT, r, "%s %s %s: %s (%s)", side_name(req->side),
                  tr__m(qty).s, req->symbol, fr->msg, fr->detail);
}

/* A quantity that rounds to nothing sellable or buyable: LOT_SIZE in the exchange's words. */
static int lot_refusal(tr_decision_t *d, const tr_risk_input_t *in, const tr_request_t *req,
                       const tr_filters_t *f, rt_money_t want, rt_money_t qty)
{
    rt_money_t min = tr_filters_min_qty(f, req->type), step = tr_filters_qty_step(f, req->type);
    bool market_lot = req->type == TR_ORDER_MARKET && f->market_min_qty > f->min_qty;
    d->filter.filter = market_lot ? TR_FILTER_MARKET_LOT_SIZE : TR_FILTER_LOT_SIZE;
    d->filter.value = qty;
    d->filter.limit = min;
    tr__say(d->filter.msg, sizeof d->filter.msg, "Filter failure: %s",
            tr_filter_name(d->filter.filter));
    if (qty > 0)
        tr__say(d->filter.detail, sizeof d->filter.detail, "quantity %s below minQty %s",
                tr__m(qty).s, tr__m(min).s);
    else
        tr__say(d->filter.detail, sizeof d->filter.detail, "quantity %s rounds to 0 at stepSize %s",
                tr__m(want).s, tr__m(step).s);
    if (req->side == RT_SIDE_SELL)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_FILTER_LOT_SIZE,
                      "SELL %s: %s %s is dust (stepSize %s, minQty %s): nothing can be sold",
                      req->symbol, tr__m(want).s, f->base_asset, tr__m(step).s, tr__m(min).s);
    return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_FILTER_LOT_SIZE, "BUY %s %s: %s (%s)",
                  tr__m(want).s, req->symbol, d->filter.msg, d->filter.detail);
}

/* Checks the request on its own; false with d filled when it is malformed. */
static bool request_ok(const tr_request_t *req, const tr_risk_input_t *in, tr_decision_t *d)
{
    const char *why = NULL;
    if (!tr__str_ok(req->symbol, sizeof req->symbol))
        why = "symbol is empty or too long";
    else if (!tr__str_ok(req->strategy, sizeof req->strategy))
        why = "strategy is empty or too long";
    else if (req->side != RT_SIDE_BUY && req->side != RT_SIDE_SELL)
        why = "side must be BUY or SELL";
    else if (req->type != TR_ORDER_MARKET && req->type != TR_ORDER_LIMIT)
        why = "type must be MARKET or LIMIT";
    else if (req->source != TR_SOURCE_STRATEGY && req->source != TR_SOURCE_MANUAL)
        why = "source must be strategy or manual";
    else if (in->filters == NULL || strcmp(in->filters->symbol, req->symbol) != 0)
        why = "the filters given are not the symbol's";
    else if (req->quantity < 0 || req->quote_quantity < 0)
        why = "quantities must not be negative";
    else if (req->quantity > 0 && req->quote_quantity > 0)
        why = "quantity and quote_quantity are exclusive";
    else if (req->side == RT_SIDE_SELL && req->quote_quantity > 0)
        why = "quote_quantity is for BUY orders";
    else if (req->type == TR_ORDER_LIMIT && req->limit_price <= 0)
        why = "a LIMIT order needs a limit price above 0";
    else if (req->type == TR_ORDER_MARKET && req->limit_price != 0)
        why = "a MARKET order has no limit price";
    else if (req->price < 0 || (req->type == TR_ORDER_MARKET && req->price == 0))
        why = "the reference price must be above 0";
    else if (req->stop_loss < 0 || req->take_profit < 0 || req->atr < 0)
        why = "stop_loss, take_profit and atr must not be negative";
    else if (in->equity < 0 || in->now_ms < 0 || in->last_trade_ms < 0)
        why = "equity and times must not be negative";
    else if ((in->balances == NULL && in->balance_count > 0) ||
             (in->positions == NULL && in->position_count > 0))
        why = "balances or positions missing";
    if (why != NULL) {
        DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INVALID, "invalid request: %s", why);
        return false;
    }
    return true;
}

/* The order's common part. */
static void order_base(tr_order_t *o, const tr_request_t *req, rt_money_t ref, rt_money_t limit)
{
    memset(o, 0, sizeof *o);
    memcpy(o->symbol, req->symbol, sizeof o->symbol);
    memcpy(o->strategy, req->strategy, sizeof o->strategy);
    o->source = req->source;
    o->side = req->side;
    o->type = req->type;
    o->price = req->type == TR_ORDER_LIMIT ? limit : 0;
    o->reference_price = ref;
    o->stop_loss = req->stop_loss;
    o->take_profit = req->take_profit;
    o->atr = req->atr;
}

static int evaluate_sell(const tr_request_t *req, const tr_risk_input_t *in, rt_money_t ref,
                         rt_money_t limit, tr_decision_t *d)
{
    const tr_filters_t *f = in->filters;
    const tr_position_t *p = find_open(in, req->symbol, req->strategy);
    if (p == NULL)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_NO_POSITION,
                      "SELL %s: strategy %s holds no position on it (spot only, never short)",
                      req->symbol, req->strategy);
    if (p->pending != TR_EXIT_NONE)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_EXIT_PENDING,
                      "SELL %s: an exit (%s) of strategy %s's position is already on its way",
                      req->symbol, tr_exit_reason_name(p->pending), req->strategy);
    bool whole = req->quantity == 0;
    rt_money_t want = whole ? p->quantity : req->quantity;
    if (want > p->quantity)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INSUFFICIENT_BALANCE,
                      "SELL %s %s: the position of %s holds only %s", tr__m(want).s, req->symbol,
                      req->strategy, tr__m(p->quantity).s);
    rt_money_t base_free = free_of(in, f->base_asset, NULL);
    if (base_free <= 0)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INSUFFICIENT_BALANCE,
                      "SELL %s %s: no free %s to sell", tr__m(want).s, req->symbol, f->base_asset);
    bool short_of_coins = want > base_free;
    if (short_of_coins)
        want = base_free; /* a position's coins partly gone: sell what is there */
    rt_money_t qty;
    if (tr_filters_round_qty(f, req->type, want, &qty) != RT_OK)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INVALID, "SELL %s: quantity %s unusable",
                      req->symbol, tr__m(want).s);
    if (qty == 0 || qty < tr_filters_min_qty(f, req->type))
        return lot_refusal(d, in, req, f, want, qty);
    tr_filter_reject_t fr;
    if (tr_filters_check(f, req->type, qty, req->type == TR_ORDER_LIMIT ? limit : ref, &fr) !=
        RT_OK)
        return filter_refusal(d, in, req, qty, &fr);
    order_base(&d->order, req, ref, limit);
    tr_order_t *o = &d->order;
    o->quantity = qty;
    o->position_id = p->id;
    o->dust = whole && !short_of_coins ? p->quantity - qty : 0;
    o->action = (whole && !short_of_coins) || qty == p->quantity ? TR_POS_CLOSE : TR_POS_REDUCE;
    if (short_of_coins)
        return DECIDE(in, d, TR_VERDICT_ACCEPT, TR_REASON_NONE,
                      "SELL %s %s %s at ~%s: only %s %s free of the %s the position of %s holds",
                      tr__m(qty).s, req->symbol, req->type == TR_ORDER_LIMIT ? "LIMIT" : "MARKET",
                      tr__m(o->type == TR_ORDER_LIMIT ? limit : ref).s, tr__m(base_free).s,
                      f->base_asset, tr__m(p->quantity).s, req->strategy);
    if (o->dust > 0)
        return DECIDE(in, d, TR_VERDICT_ACCEPT, TR_REASON_NONE,
                      "SELL %s %s %s at ~%s: closes %s's position, leaving dust %s", tr__m(qty).s,
                      req->symbol, req->type == TR_ORDER_LIMIT ? "LIMIT" : "MARKET",
                      tr__m(o->type == TR_ORDER_LIMIT ? limit : ref).s, req->strategy,
                      tr__m(o->dust).s);
    return DECIDE(in, d, TR_VERDICT_ACCEPT, TR_REASON_NONE,
                  "SELL %s %s %s at ~%s: %s %s's position", tr__m(qty).s, req->symbol,
                  req->type == TR_ORDER_LIMIT ? "LIMIT" : "MARKET",
                  tr__m(o->type == TR_ORDER_LIMIT ? limit : ref).s,
                  o->action == TR_POS_CLOSE ? "closes" : "reduces", req->strategy);
}

/* qty * price * (1 + cost_rate), rounded up: what a BUY may cost. */
static int buy_cost(const tr_risk_config_t *cfg, rt_money_t qty, rt_money_t price, rt_money_t *out)
{
    rt_money_t q;
    int rc = rt_money_mul(qty, price, RT_ROUND_UP, &q);
    if (rc == RT_OK)
        rc = rt_money_mul(q, ONE + cfg->cost_rate, RT_ROUND_UP, out);
    return rc;
}

/* The most a BUY at price may buy with `funds` of quote: funds / (price * (1 + cost_rate)). */
static int affordable(const tr_risk_config_t *cfg, rt_money_t funds, rt_money_t price,
                      rt_money_t *out)
{
    rt_money_t unit;
    if (funds <= 0) {
        *out = 0;
        return RT_OK;
    }
    int rc = rt_money_mul(price, ONE + cfg->cost_rate, RT_ROUND_UP, &unit);
    if (rc == RT_OK)
        rc = rt_money_div(funds, unit, RT_ROUND_DOWN, out);
    return rc;
}

static int evaluate_buy(const tr_risk_config_t *cfg, const tr_exit_config_t *exits,
                        const tr_risk_state_t *st, const tr_request_t *req,
                        const tr_risk_input_t *in, rt_money_t ref, rt_money_t limit,
                        tr_decision_t *d)
{
    const tr_filters_t *f = in->filters;
    rt_money_t price = req->type == TR_ORDER_LIMIT ? limit : ref;
    int64_t now = in->now_ms;
    if (req->stop_loss > 0 && req->stop_loss >= price)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INVALID,
                      "invalid request: BUY %s stop_loss %s is not below the price %s", req->symbol,
                      tr__m(req->stop_loss).s, tr__m(price).s);
    if (req->take_profit > 0 && req->take_profit <= price)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INVALID,
                      "invalid request: BUY %s take_profit %s is not above the price %s",
                      req->symbol, tr__m(req->take_profit).s, tr__m(price).s);
    /* drawdown brake */
    if (cfg->max_drawdown_pct > 0) {
        rt_money_t peak = peak_of(st, now, in->equity);
        if (peak > 0 && at_or_below(in->equity, peak, ONE - cfg->max_drawdown_pct)) {
            rt_money_t lvl = 0, dd = 0;
            (void)rt_money_mul(peak, ONE - cfg->max_drawdown_pct, RT_ROUND_DOWN, &lvl);
            (void)rt_money_div(peak - in->equity, peak, RT_ROUND_NEAREST, &dd);
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_DRAWDOWN_BRAKE,
                          "BUY %s: equity %s is %s below its peak %s within DRAWDOWN_WINDOW "
                          "(MAX_DRAWDOWN_PCT %s); new entries wait until equity is above %s or "
                          "an operator resumes",
                          req->symbol, tr__m(in->equity).s, tr__pct(dd).s, tr__m(peak).s,
                          tr__pct(cfg->max_drawdown_pct).s, tr__m(lvl).s);
        }
    }
    /* one position per symbol and strategy, pyramiding on winners */
    const tr_position_t *p = find_open(in, req->symbol, req->strategy);
    tr_pos_action_t action = TR_POS_OPEN;
    if (p != NULL) {
        if (cfg->max_entries <= 1)
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_ALREADY_IN_POSITION,
                          "BUY %s: strategy %s already holds %s (MAX_ENTRIES 1)", req->symbol,
                          req->strategy, tr__m(p->quantity).s);
        if (p->pending != TR_EXIT_NONE)
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_EXIT_PENDING,
                          "BUY %s: strategy %s's position is being sold (%s)", req->symbol,
                          req->strategy, tr_exit_reason_name(p->pending));
        if (p->entries >= cfg->max_entries)
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_MAX_ENTRIES,
                          "BUY %s: strategy %s's position has %d entries, MAX_ENTRIES %d",
                          req->symbol, req->strategy, p->entries, cfg->max_entries);
        if (price <= p->entry)
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_ALREADY_IN_POSITION,
                          "BUY %s: adding needs a winning position, price %s is not above the "
                          "average entry %s",
                          req->symbol, tr__m(price).s, tr__m(p->entry).s);
        action = TR_POS_ADD;
    } else if (cfg->max_open_positions > 0 && count_open(in) >= (size_t)cfg->max_open_positions) {
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_MAX_OPEN_POSITIONS,
                      "BUY %s: %zu positions open, MAX_OPEN_POSITIONS %d", req->symbol,
                      count_open(in), cfg->max_open_positions);
    }
    /* cooldown per symbol */
    if (cfg->cooldown_ms > 0 && in->last_trade_ms > 0 &&
        now - in->last_trade_ms < cfg->cooldown_ms) {
        int64_t ago = now - in->last_trade_ms;
        if (ago < 0)
            ago = 0;
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_COOLDOWN,
                      "BUY %s: last trade %lld ms ago, COOLDOWN_SECONDS %lld: wait %lld ms more",
                      req->symbol, (long long)ago, (long long)(cfg->cooldown_ms / 1000),
                      (long long)(cfg->cooldown_ms - ago));
    }
    /* sizing */
    rt_money_t quote_free = free_of(in, f->quote_asset, NULL);
    rt_money_t can = 0, qty = 0;
    bool fixed = true;
    const char *how;
    int rc = affordable(cfg, quote_free, price, &can);
    if (req->quantity > 0) {
        qty = req->quantity;
        how = "requested quantity";
    } else if (req->quote_quantity > 0) {
        if (rc == RT_OK)
            rc = affordable(cfg, req->quote_quantity, price, &qty);
        how = "quote_quantity";
        if (rc == RT_OK && req->quote_quantity > quote_free)
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INSUFFICIENT_BALANCE,
                          "BUY %s for %s %s: only %s %s free", req->symbol,
                          tr__m(req->quote_quantity).s, f->quote_asset, tr__m(quote_free).s,
                          f->quote_asset);
    } else if (cfg->risk_per_trade > 0) {
        rt_money_t stop = 0, risk = 0, cap = 0;
        if (exits != NULL && rc == RT_OK)
            rc = tr_exit_stop_for(exits, price, req->stop_loss, req->atr, &stop);
        else if (rc == RT_OK && req->stop_loss > 0)
            stop = req->stop_loss;
        if (rc == RT_OK && (stop <= 0 || stop >= price))
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INVALID,
                          "BUY %s: risk-based sizing (RISK_PER_TRADE %s) needs a stop below the "
                          "price %s, and none is set",
                          req->symbol, tr__m(cfg->risk_per_trade).s, tr__m(price).s);
        if (rc == RT_OK)
            rc = rt_money_mul(in->equity, cfg->risk_per_trade, RT_ROUND_DOWN, &risk);
        if (rc == RT_OK)
            rc = rt_money_div(risk, price - stop, RT_ROUND_DOWN, &qty);
        if (rc == RT_OK && cfg->max_position_pct > 0) {
            rt_money_t budget;
            rc = rt_money_mul(in->equity, cfg->max_position_pct, RT_ROUND_DOWN, &budget);
            if (rc == RT_OK)
                rc = rt_money_div(budget, price, RT_ROUND_DOWN, &cap);
            if (rc == RT_OK && qty > cap)
                qty = cap;
        }
        fixed = false;
        how = "RISK_PER_TRADE";
    } else if (cfg->trade_quote_quantity > 0) {
        /* a value per entry whatever the symbol's price: every symbol trades the same amount */
        if (rc == RT_OK)
            rc = affordable(cfg, cfg->trade_quote_quantity, price, &qty);
        how = "TRADE_QUOTE_QUANTITY";
        if (rc == RT_OK && cfg->trade_quote_quantity > quote_free)
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INSUFFICIENT_BALANCE,
                          "BUY %s for %s %s (TRADE_QUOTE_QUANTITY): only %s %s free",
                          req->symbol, tr__m(cfg->trade_quote_quantity).s, f->quote_asset,
                          tr__m(quote_free).s, f->quote_asset);
    } else {
        qty = cfg->trade_quantity;
        how = "TRADE_QUANTITY";
    }
    if (rc != RT_OK)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INVALID, "BUY %s: sizing overflowed (%s)",
                      req->symbol, rt_strerror(rc));
    bool capped = false;
    if (fixed && qty > can) {
        rt_money_t cost = 0;
        (void)buy_cost(cfg, qty, price, &cost);
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INSUFFICIENT_BALANCE,
                      "BUY %s %s (%s) costs ~%s %s with fees, %s %s free", tr__m(qty).s,
                      req->symbol, how, tr__m(cost).s, f->quote_asset, tr__m(quote_free).s,
                      f->quote_asset);
    }
    if (!fixed && qty > can) {
        qty = can;
        capped = true;
    }
    rt_money_t sized = qty;
    if (tr_filters_round_qty(f, req->type, sized, &qty) != RT_OK)
        return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INVALID, "BUY %s: quantity %s unusable",
                      req->symbol, tr__m(sized).s);
    if (qty == 0 || qty < tr_filters_min_qty(f, req->type)) {
        if (capped)
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_INSUFFICIENT_BALANCE,
                          "BUY %s: %s %s free buys only %s, below the minimum %s", req->symbol,
                          tr__m(quote_free).s, f->quote_asset, tr__m(qty).s,
                          tr__m(tr_filters_min_qty(f, req->type)).s);
        return lot_refusal(d, in, req, f, sized, qty);
    }
    /* exposure per base asset */
    if (cfg->max_exposure_pct > 0 && qty > 0) {
        rt_money_t locked, held, after, value = 0;
        rt_money_t base_free = free_of(in, f->base_asset, &locked);
        rc = rt_money_add(base_free, locked, &held);
        if (rc == RT_OK)
            rc = rt_money_add(held, qty, &after);
        if (rc == RT_OK)
            rc = rt_money_mul(after, price, RT_ROUND_UP, &value);
        if (rc != RT_OK ||
            (tr__i128)value * RT_MONEY_SCALE > tr__prod(in->equity, cfg->max_exposure_pct)) {
            rt_money_t share = 0, lim = 0;
            if (in->equity > 0)
                (void)rt_money_div(value, in->equity, RT_ROUND_NEAREST, &share);
            (void)rt_money_mul(in->equity, cfg->max_exposure_pct, RT_ROUND_DOWN, &lim);
            return DECIDE(in, d, TR_VERDICT_REJECT, TR_REASON_MAX_EXPOSURE,
                          "BUY %s %s: %s held would be worth %s %s (%s of equity %s), above "
                          "MAX_EXPOSURE_PCT %s (%s)",
                          tr__m(qty).s, req->symbol, f->base_asset, tr__m(value).s, f->quote_asset,
                          tr__pct(share).s, tr__m(in->equity).s, tr__pct(cfg->max_exposure_pct).s,
                          tr__m(lim).s);
        }
    }
    /* exchange filters */
    tr_filter_reject_t fr;
    if (tr_filters_check(f, req->type, qty, price, &fr) != RT_OK)
        return filter_refusal(d, in, req, qty, &fr);
    order_base(&d->order, req, ref, limit);
    d->order.quantity = qty;
    d->order.action = action;
    d->order.position_id = p != NULL ? p->id : 0;
    rt_money_t cost = 0;
    (void)buy_cost(cfg, qty, price, &cost);
    return DECIDE(in, d, TR_VERDICT_ACCEPT, TR_REASON_NONE,
                  "BUY %s %s %s at ~%s (~%s %s with fees, %s%s): %s", tr__m(qty).s, req->symbol,
                  req->type == TR_ORDER_LIMIT ? "LIMIT" : "MARKET", tr__m(price).s, tr__m(cost).s,
                  f->quote_asset, how, capped ? ", capped by the free balance" : "",
                  action == TR_POS_ADD ? "adds to the winning position" : "opens a position");
}

int tr_risk_evaluate(const tr_risk_config_t *cfg, const tr_exit_config_t *exits,
                     const tr_risk_state_t *st, const tr_request_t *req, const tr_risk_input_t *in,
                     tr_decision_t *out)
{
    if (cfg == NULL || st == NULL || req == NULL || in == NULL || out == NULL ||
        tr_risk_config_check(cfg) != RT_OK ||
        (exits != NULL && tr_exit_config_check(exits) != RT_OK))
        return RT_EINVAL;
    tr_decision_t d;
    memset(&d, 0, sizeof d);
    if (!request_ok(req, in, &d)) {
        *out = d;
        return RT_OK;
    }
    const tr_filters_t *f = in->filters;
    rt_money_t limit = 0;
    if (req->type == TR_ORDER_LIMIT &&
        tr_filters_round_price(f, req->limit_price, tr_filters_price_mode(req->side), &limit) !=
            RT_OK) {
        DECIDE(in, &d, TR_VERDICT_REJECT, TR_REASON_INVALID, "invalid request: limit price %s",
               tr__m(req->limit_price).s);
        *out = d;
        return RT_OK;
    }
    if (req->type == TR_ORDER_LIMIT && limit == 0)
        limit = req->limit_price; /* below one tick: let PRICE_FILTER say so */
    rt_money_t ref = req->price > 0 ? req->price : limit;
    char why[sizeof d.text];
    if (st->halted)
        DECIDE(in, &d, TR_VERDICT_REJECT, TR_REASON_HALTED, "trading is halted: %s", st->reason);
    else if (tr_risk_halt_due(cfg, st, in->equity, why, sizeof why))
        DECIDE(in, &d, TR_VERDICT_HALT, TR_REASON_HALTED, "%s", why);
    else if (st->paused)
        DECIDE(in, &d, TR_VERDICT_REJECT, TR_REASON_PAUSED, "trading is paused: %s", st->reason);
    else if (!f->trading) {
        d.filter.filter = TR_FILTER_NOT_TRADING;
        tr__say(d.filter.msg, sizeof d.filter.msg, "Market is closed.");
        tr__say(d.filter.detail, sizeof d.filter.detail, "symbol %s is not TRADING", f->symbol);
        DECIDE(in, &d, TR_VERDICT_REJECT, TR_REASON_SYMBOL_NOT_TRADING,
               "%s %s: the symbol is not TRADING", side_name(req->side), req->symbol);
    } else if (req->side == RT_SIDE_SELL)
        evaluate_sell(req, in, ref, limit, &d);
    else
        evaluate_buy(cfg, exits, st, req, in, ref, limit, &d);
    *out = d;
    return RT_OK;
}
