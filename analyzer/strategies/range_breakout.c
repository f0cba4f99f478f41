/* Range_Breakout: a close breaking out above a tight range (the seed's "Breakout de Range").
 *   The range is the RANGE_WINDOW candles before this one: high H = their highest high, low
 *   L = their lowest low. It counts as a range when its height is bounded:
 *   (H - L) / L x 100 <= RANGE_MAX_HEIGHT_PCT.
 *   BUY when this close > H while the previous close was at or below its own range's high (a
 *   crossing, so a run of closes above the range fires once), with
 *     take_profit = close + (H - L)             (the range height projected from the break),
 *     stop_loss   = L - L x RANGE_STOP_BUFFER_PCT / 100   (just below the range).
 * Spot only: a break below the range gives no signal. */
#include <stdlib.h>

#include "internal.h"
#include "rt/err.h"
#include "rt/ind.h"

enum { P_WINDOW, P_MAX_HEIGHT, P_STOP_BUFFER, P_COUNT };

static const an_param_def_t params[P_COUNT] = {
    [P_WINDOW] = {"RANGE_WINDOW", AN_PARAM_INT, 20, 3, 1000, NULL, true,
                  "candles that form the range (the ones before the breakout candle)"},
    [P_MAX_HEIGHT] = {"RANGE_MAX_HEIGHT_PCT", AN_PARAM_DOUBLE, 1.0, 0.01, 100, NULL, false,
                      "largest range height, in % of its low"},
    [P_STOP_BUFFER] = {"RANGE_STOP_BUFFER_PCT", AN_PARAM_DOUBLE, 0.1, 0, 10, NULL, false,
                       "stop distance below the range low, in % of the low"},
};

typedef struct {
    const an_params_t *p;
    rt_hilo_t range;
    bool full;        /* the range holds RANGE_WINDOW candles (an update returned 0) */
    bool prev_inside; /* the previous close was <= its range's high */
    int pos;          /* slot of the next candle in highs/lows */
    rt_money_t *highs, *lows; /* the last RANGE_WINDOW candles' extremes, candle number k at
                                 k % window: the range's prices in exact fixed point */
    double buffer_pct;        /* RANGE_STOP_BUFFER_PCT as last converted, and as money */
    rt_money_t buffer_money;
    rt_signal_id_cache_t ids;
} state_t;

static size_t warmup(const an_params_t *p)
{
    return (size_t)p->v[P_WINDOW] + 2;
}

extern const an_strategy_t an_range_breakout_strategy;

static void state_free(void *state)
{
    state_t *st = state;
    if (st == NULL)
        return;
    rt_hilo_cleanup(&st->range);
    free(st->highs);
    free(st);
}

static int state_new(const an_params_t *p, void **out)
{
    if (!an_params_valid(p, &an_range_breakout_strategy))
        return RT_EINVAL;
    state_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return RT_ENOMEM;
    st->p = p;
    st->buffer_pct = -1.0; /* nothing converted yet */
    size_t n = (size_t)p->v[P_WINDOW];
    int rc = rt_hilo_init(&st->range, (int)n);
    if (rc == RT_OK) {
        st->highs = calloc(2 * n, sizeof *st->highs);
        st->lows = st->highs + n;
        if (st->highs == NULL)
            rc = RT_ENOMEM;
    }
    if (rc != RT_OK) {
        state_free(st);
        return rc;
    }
    *out = st;
    return RT_OK;
}

/* Fills the BUY signal; 1, 0 when the prices do not work out, or an error. All money
 * arithmetic is exact: the range's prices come from the candles, the buffer is
 * low x pct / 100 with the percentage converted to fixed point once. */
static int breakout(state_t *st, const rt_candle_t *c, double hi, double lo, rt_signal_t *out)
{
    int64_t hi_at, lo_at;
    if (rt_hilo_index(&st->range, &hi_at, &lo_at) != RT_OK)
        return 0;
    int64_t n = st->range.period;
    rt_money_t h = st->highs[hi_at % n], l = st->lows[lo_at % n];
    double pct = st->p->v[P_STOP_BUFFER];
    if (pct != st->buffer_pct) {
        if (an_money_of(pct, &st->buffer_money) != RT_OK)
            return 0;
        st->buffer_pct = pct;
    }
    rt_money_t height, target, buffer, stop;
    if (rt_money_sub(h, l, &height) != RT_OK || rt_money_add(c->close, height, &target) != RT_OK ||
        rt_money_mul_frac(l, st->buffer_money, 100 * RT_MONEY_SCALE, RT_ROUND_NEAREST, &buffer) !=
            RT_OK ||
        rt_money_sub(l, buffer, &stop) != RT_OK || stop <= 0)
        return 0;
    int rc = an_signal_begin(out, &st->ids, an_range_breakout_strategy.name, c, RT_SIDE_BUY);
    if (rc != RT_OK)
        return rc;
    out->stop_loss = stop;
    out->take_profit = target;
    an_signal_meta(out, "range_high", hi);
    an_signal_meta(out, "range_low", lo);
    an_signal_meta(out, "range_height_pct", (hi - lo) / lo * 100.0);
    an_signal_meta(out, "range_bars", (double)n);
    return 1;
}

static int on_candle(void *state, const an_candle_t *k, rt_signal_t *out)
{
    const rt_candle_t *c = k->c;
    state_t *st = state;
    double close = k->close, hi, lo;
    int fired = 0;
    if (st->full) { /* rt_hilo_value would succeed: read without its check */
        rt_hilo_last(&st->range, &hi, &lo);
        bool inside = close <= hi;
        if (!inside && st->prev_inside && lo > 0.0 &&
            (hi - lo) / lo * 100.0 <= st->p->v[P_MAX_HEIGHT])
            fired = breakout(st, c, hi, lo, out);
        st->prev_inside = inside;
    }
    int rc = rt_hilo_update_unchecked(&st->range, k->high, k->low);
    st->full |= rc == RT_OK; /* once full, a window stays full */
    if (rc == RT_OK || rc == RT_EAGAIN) { /* candle number k sits at k % window */
        st->highs[st->pos] = c->high;
        st->lows[st->pos] = c->low;
        st->pos = st->pos + 1 == st->range.period ? 0 : st->pos + 1;
    }
    return fired;
}

const an_strategy_t an_range_breakout_strategy = {
    .name = "Range_Breakout",
    .rule = "close breaks above a range of RANGE_WINDOW candles no taller than "
            "RANGE_MAX_HEIGHT_PCT -> BUY, target the range height above, stop below the range",
    .params = params,
    .param_count = P_COUNT,
    .check = NULL,
    .warmup = warmup,
    .state_new = state_new,
    .state_free = state_free,
    .on_candle = on_candle,
};
