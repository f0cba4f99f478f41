#include "gw/candles.h"

#include <string.h>

#include "rt/err.h"
#include "rt/str.h"

#define SEC INT64_C(1000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static const struct {
    const char *name;
    int64_t ms;
    int months;
} intervals[] = {
    {"1s", SEC, 0},       {"1m", MIN, 0},       {"3m", 3 * MIN, 0},  {"5m", 5 * MIN, 0},
    {"15m", 15 * MIN, 0}, {"30m", 30 * MIN, 0}, {"1h", HOUR, 0},     {"2h", 2 * HOUR, 0},
    {"4h", 4 * HOUR, 0},  {"6h", 6 * HOUR, 0},  {"8h", 8 * HOUR, 0}, {"12h", 12 * HOUR, 0},
    {"1d", DAY, 0},       {"3d", 3 * DAY, 0},   {"1w", 7 * DAY, 0},  {"1M", 0, 1},
};

int gw_interval_parse(const char *name, gw_interval_t *out)
{
    if (name == NULL || out == NULL)
        return RT_EINVAL;
    for (size_t i = 0; i < sizeof intervals / sizeof intervals[0]; i++) {
        if (strcmp(name, intervals[i].name) == 0) {
            gw_interval_t iv = {.ms = intervals[i].ms, .months = intervals[i].months};
            if (rt_str_copy(iv.name, sizeof iv.name, name) != RT_OK)
                return RT_EINVAL;
            *out = iv;
            return RT_OK;
        }
    }
    return RT_EINVAL;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

int64_t gw_interval_next(const gw_interval_t *iv, int64_t open_time)
{
    if (iv == NULL)
        return GW_TIME_NONE;
    if (iv->months == 0) {
        if (iv->ms <= 0 || open_time > INT64_MAX - iv->ms)
            return GW_TIME_NONE;
        return open_time + iv->ms;
    }
    /* Calendar months: the first day of the month after the one open_time falls in. Times
     * this far out (beyond year 200000) are not candles. */
    if (open_time < -INT64_C(6000000000000000) || open_time > INT64_C(6000000000000000))
        return GW_TIME_NONE;
    int64_t days = open_time >= 0 ? open_time / DAY : -((-open_time + DAY - 1) / DAY);
    int64_t y, m;
    civil_from_days(days, &y, &m);
    m += iv->months;
    y += (m - 1) / 12;
    m = (m - 1) % 12 + 1;
    return days_from_civil(y, m, 1) * DAY;
}

void gw_candle_state_init(gw_candle_state_t *st)
{
    st->settled = GW_TIME_NONE;
    st->last_closed = GW_TIME_NONE;
}

gw_verdict_t gw_candles_check(const gw_candle_state_t *st, const gw_interval_t *iv,
                              const rt_candle_t *c, gw_range_t *gap)
{
    (void)iv;
    if (st->settled == GW_TIME_NONE)
        return GW_CANDLE_PUBLISH;
    if (c->open_time < st->settled)
        return c->closed ? GW_CANDLE_DUPLICATE : GW_CANDLE_STALE;
    if (c->open_time == st->settled)
        return GW_CANDLE_PUBLISH;
    /* The stream is at a later candle: every candle from `settled` up to it has closed. */
    if (gap != NULL) {
        gap->from = st->settled;
        gap->to = c->open_time - 1;
    }
    return GW_CANDLE_GAP;
}

int gw_candles_commit(gw_candle_state_t *st, const gw_interval_t *iv, const rt_candle_t *c)
{
    if (!c->closed) {
        if (st->settled == GW_TIME_NONE)
            st->settled = c->open_time;
        return RT_OK;
    }
    int64_t next = gw_interval_next(iv, c->open_time);
    if (next == GW_TIME_NONE)
        return RT_ERANGE;
    if (st->settled == GW_TIME_NONE || next > st->settled)
        st->settled = next;
    st->last_closed = c->open_time;
    return RT_OK;
}

bool gw_candles_accept(const gw_candle_state_t *st, const gw_range_t *gap, const rt_candle_t *b)
{
    if (!b->closed || b->open_time > gap->to || b->open_time < gap->from)
        return false;
    return st->settled == GW_TIME_NONE || b->open_time >= st->settled;
}

void gw_candles_settle(gw_candle_state_t *st, const gw_range_t *gap)
{
    if (gap->to == INT64_MAX)
        return;
    if (st->settled == GW_TIME_NONE || gap->to + 1 > st->settled)
        st->settled = gap->to + 1;
}
