#include "klines.h"

#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

#define DAY_MS INT64_C(86400000)

static const struct {
    const char *name;
    int64_t ms;
} intervals[SIM_IV_COUNT] = {
    [SIM_IV_1S] = {"1s", 1000},         [SIM_IV_1M] = {"1m", 60000},
    [SIM_IV_3M] = {"3m", 3 * 60000},    [SIM_IV_5M] = {"5m", 5 * 60000},
    [SIM_IV_15M] = {"15m", 15 * 60000}, [SIM_IV_30M] = {"30m", 30 * 60000},
    [SIM_IV_1H] = {"1h", 3600000},      [SIM_IV_2H] = {"2h", 2 * 3600000},
    [SIM_IV_4H] = {"4h", 4 * 3600000},  [SIM_IV_6H] = {"6h", 6 * 3600000},
    [SIM_IV_8H] = {"8h", 8 * 3600000},  [SIM_IV_12H] = {"12h", 12 * 3600000},
    [SIM_IV_1D] = {"1d", DAY_MS},       [SIM_IV_3D] = {"3d", 3 * DAY_MS},
    [SIM_IV_1W] = {"1w", 7 * DAY_MS},   [SIM_IV_1MO] = {"1M", 30 * DAY_MS},
};

int sim_interval_parse(const char *s, size_t n, sim_interval_t *out)
{
    if (s == NULL)
        return RT_EINVAL;
    for (int i = 0; i < SIM_IV_COUNT; i++) {
        if (strlen(intervals[i].name) == n && memcmp(intervals[i].name, s, n) == 0) {
            *out = (sim_interval_t)i;
            return RT_OK;
        }
    }
    return RT_EINVAL;
}

const char *sim_interval_name(sim_interval_t iv)
{
    return (unsigned)iv < SIM_IV_COUNT ? intervals[iv].name : "?";
}

int64_t sim_interval_ms(sim_interval_t iv)
{
    return (unsigned)iv < SIM_IV_COUNT ? intervals[iv].ms : 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

int64_t sim_interval_open(sim_interval_t iv, int64_t t)
{
    if (iv == SIM_IV_1MO) {
        int64_t y, m;
        civil_from_days(floor_div(t, DAY_MS), &y, &m);
        return days_from_civil(y, m, 1) * DAY_MS;
    }
    if (iv == SIM_IV_1W) { /* weeks open on Monday; 1970-01-01 was a Thursday */
        const int64_t shift = 3 * DAY_MS;
        return floor_div(t + shift, 7 * DAY_MS) * 7 * DAY_MS - shift;
    }
    int64_t ms = sim_interval_ms(iv);
    if (ms <= 0)
        return t;
    return floor_div(t, ms) * ms;
}

int64_t sim_interval_next(sim_interval_t iv, int64_t open)
{
    if (iv == SIM_IV_1MO) {
        int64_t y, m;
        civil_from_days(floor_div(open, DAY_MS), &y, &m);
        if (++m > 12) {
            m = 1;
            y++;
        }
        return days_from_civil(y, m, 1) * DAY_MS;
    }
    return open + sim_interval_ms(iv);
}

/* ---- series ------------------------------------------------------------------------------ */

int sim_klines_init(sim_klines_t *k, size_t ring_max, unsigned enabled, bool fill)
{
    if (k == NULL || ring_max == 0 || (enabled & ~(unsigned)SIM_IV_ALL) != 0)
        return RT_EINVAL;
    memset(k, 0, sizeof *k);
    k->enabled = enabled;
    k->fill = fill;
    for (int i = 0; i < SIM_IV_COUNT; i++)
        k->series[i].max = ring_max;
    return RT_OK;
}

void sim_klines_cleanup(sim_klines_t *k)
{
    if (k == NULL)
        return;
    for (int i = 0; i < SIM_IV_COUNT; i++)
        free(k->series[i].ring);
    memset(k, 0, sizeof *k);
}

static void start_kline(sim_series_t *s, sim_interval_t iv, int64_t open, rt_money_t price)
{
    sim_kline_t *f = &s->forming;
    memset(f, 0, sizeof *f);
    f->open_time = open;
    f->close_time = sim_interval_next(iv, open) - 1;
    f->open = f->high = f->low = f->close = price;
    f->first_id = f->last_id = -1;
    s->active = true;
    s->touched = false;
    s->rev++;
}

/* Appends the forming kline to the ring; returns the stored copy, or NULL on ENOMEM. */
static const sim_kline_t *push_closed(sim_series_t *s)
{
    sim_kline_t *slot;
    if (s->count < s->max) {
        if (s->count == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            if (cap > s->max)
                cap = s->max;
            sim_kline_t *p = realloc(s->ring, cap * sizeof *p);
            if (p == NULL)
                return NULL;
            s->ring = p;
            s->cap = cap;
        }
        slot = &s->ring[s->count++]; /* head is 0 until the ring is full */
    } else {
        slot = &s->ring[s->head];
        s->head = (s->head + 1) % s->cap;
    }
    *slot = s->forming;
    return slot;
}

static int close_due(sim_klines_t *k, sim_interval_t iv, int64_t now_ms, sim_kline_close_fn fn,
                     void *ud)
{
    sim_series_t *s = &k->series[iv];
    int rc = RT_OK;
    while (s->active && s->forming.close_time < now_ms) {
        const sim_kline_t *done = push_closed(s);
        if (done == NULL)
            rc = RT_ENOMEM; /* the kline is lost, the series goes on */
        else {
            k->closed_total++;
            if (fn)
                fn(ud, iv, done);
        }
        if (k->fill)
            start_kline(s, iv, sim_interval_next(iv, s->forming.open_time), s->forming.close);
        else {
            s->active = false;
            s->rev++;
        }
    }
    return rc;
}

int sim_klines_advance(sim_klines_t *k, int64_t now_ms, sim_kline_close_fn fn, void *ud)
{
    int rc = RT_OK;
    for (int i = 0; i < SIM_IV_COUNT; i++) {
        if (!(k->enabled & (1u << i)))
            continue;
        int r = close_due(k, (sim_interval_t)i, now_ms, fn, ud);
        if (r != RT_OK)
            rc = r;
    }
    return rc;
}

static rt_money_t add_sat(rt_money_t a, rt_money_t b)
{
    rt_money_t r;
    return rt_money_add(a, b, &r) == RT_OK ? r : RT_MONEY_MAX;
}

int sim_klines_add(sim_klines_t *k, const sim_tick_t *t, int64_t trade_id, sim_kline_close_fn fn,
                   void *ud)
{
    if (k == NULL || t == NULL || t->price <= 0 || t->qty < 0)
        return RT_EINVAL;
    for (int i = 0; i < SIM_IV_COUNT; i++) {
        const sim_series_t *s = &k->series[i];
        if ((k->enabled & (1u << i)) && s->active && t->time < s->forming.open_time)
            return RT_EINVAL;
    }
    int rc = sim_klines_advance(k, t->time, fn, ud);
    rt_money_t pq = 0;
    if (t->is_trade && rt_money_mul(t->price, t->qty, RT_ROUND_NEAREST, &pq) != RT_OK)
        pq = RT_MONEY_MAX;
    for (int i = 0; i < SIM_IV_COUNT; i++) {
        if (!(k->enabled & (1u << i)))
            continue;
        sim_series_t *s = &k->series[i];
        if (!s->active)
            start_kline(s, (sim_interval_t)i, sim_interval_open((sim_interval_t)i, t->time),
                        t->price);
        sim_kline_t *f = &s->forming;
        if (!s->touched) {
            f->open = f->high = f->low = f->close = t->price;
            s->touched = true;
        } else {
            if (t->price > f->high)
                f->high = t->price;
            if (t->price < f->low)
                f->low = t->price;
            f->close = t->price;
        }
        if (t->is_trade) {
            f->volume = add_sat(f->volume, t->qty);
            f->quote_volume = add_sat(f->quote_volume, pq);
            if (!t->buyer_maker) {
                f->taker_base = add_sat(f->taker_base, t->qty);
                f->taker_quote = add_sat(f->taker_quote, pq);
            }
            f->trades++;
            if (f->first_id < 0)
                f->first_id = trade_id;
            f->last_id = trade_id;
        }
        s->rev++;
    }
    k->last_price = t->price;
    k->has_price = true;
    return rc;
}

size_t sim_klines_closed_count(const sim_klines_t *k, sim_interval_t iv)
{
    if ((unsigned)iv >= SIM_IV_COUNT)
        return 0;
    return k->series[iv].count;
}

size_t sim_klines_count(const sim_klines_t *k, sim_interval_t iv)
{
    if ((unsigned)iv >= SIM_IV_COUNT)
        return 0;
    const sim_series_t *s = &k->series[iv];
    return s->count + (s->active ? 1 : 0);
}

const sim_kline_t *sim_klines_get(const sim_klines_t *k, sim_interval_t iv, size_t i, bool *closed)
{
    if ((unsigned)iv >= SIM_IV_COUNT)
        return NULL;
    const sim_series_t *s = &k->series[iv];
    if (i < s->count) {
        if (closed)
            *closed = true;
        return &s->ring[(s->head + i) % s->cap];
    }
    if (i == s->count && s->active) {
        if (closed)
            *closed = false;
        return &s->forming;
    }
    return NULL;
}

/* First index in [0, total) whose open time is >= t (strict: > t). */
static size_t bound(const sim_klines_t *k, sim_interval_t iv, size_t total, int64_t t, bool strict)
{
    size_t lo = 0, hi = total;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t open = sim_klines_get(k, iv, mid, NULL)->open_time;
        if (strict ? open <= t : open < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void sim_klines_select(const sim_klines_t *k, sim_interval_t iv, bool has_start, int64_t start,
                       bool has_end, int64_t end, size_t limit, bool closed_only, size_t *first,
                       size_t *n)
{
    size_t total = closed_only ? sim_klines_closed_count(k, iv) : sim_klines_count(k, iv);
    size_t lo = 0, hi = total;
    if (has_start) {
        lo = bound(k, iv, total, start, false);
        if (has_end)
            hi = bound(k, iv, total, end, true);
        if (hi < lo)
            hi = lo;
        if (hi - lo > limit)
            hi = lo + limit;
    } else {
        if (has_end)
            hi = bound(k, iv, total, end, true);
        lo = hi > limit ? hi - limit : 0;
    }
    *first = lo;
    *n = hi - lo;
}
