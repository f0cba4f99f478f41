/* RSI_Divergence: a bullish divergence (the seed's "Reversal RSI Divergence"): price makes a
 * lower swing low while the RSI makes a higher one.
 *
 * Swing low, precisely: with k = RSI_DIV_PIVOT, candle i is a swing low when its low is
 * strictly below the lows of the k candles before it and at or below the lows of the k
 * candles after it (a flat bottom counts once, at its first candle). It is known only at
 * candle i + k, which is when it is "confirmed" (nothing looks ahead). Its RSI is the RSI
 * (RSI_WINDOW, of closes) at candle i; a candle without an RSI value yet, or with a flat one,
 * is no swing low.
 *
 * Rule: when a swing low S2 is confirmed, compare it with the previous confirmed swing low S1:
 *   BUY when RSI_DIV_MIN_BARS <= i2 - i1 <= RSI_DIV_MAX_BARS, low(S2) < low(S1),
 *   RSI(S2) > RSI(S1) and RSI(S2) < RSI_DIV_MAX_RSI;
 * the signal is on the confirming candle (price = its close), with stop_loss = low(S2) and,
 * when RSI_DIV_TARGET_PCT > 0, take_profit = close x (1 + RSI_DIV_TARGET_PCT / 100). Then S2
 * becomes the previous swing low, whether it signalled or not. No BUY when the close is not
 * above the stop. */
#include <stdlib.h>

#include "internal.h"
#include "rt/err.h"
#include "rt/ind.h"

enum { P_RSI_WINDOW, P_PIVOT, P_MIN_BARS, P_MAX_BARS, P_MAX_RSI, P_TARGET, P_COUNT };

#define PIVOT_MAX 20
#define RING 64 /* a power of two >= 2 * PIVOT_MAX + 1: slots wrap with a mask */
_Static_assert(RING >= 2 * PIVOT_MAX + 1 && (RING & (RING - 1)) == 0, "RING");

static const an_param_def_t params[P_COUNT] = {
    [P_RSI_WINDOW] = {"RSI_WINDOW", AN_PARAM_INT, 14, 2, 500, NULL, true, "RSI period"},
    [P_PIVOT] = {"RSI_DIV_PIVOT", AN_PARAM_INT, 3, 1, PIVOT_MAX, NULL, true,
                 "candles on each side of a swing low"},
    [P_MIN_BARS] = {"RSI_DIV_MIN_BARS", AN_PARAM_INT, 5, 1, 1000, NULL, false,
                    "fewest candles between the two swing lows"},
    [P_MAX_BARS] = {"RSI_DIV_MAX_BARS", AN_PARAM_INT, 60, 2, 1000, NULL, false,
                    "most candles between the two swing lows"},
    [P_MAX_RSI] = {"RSI_DIV_MAX_RSI", AN_PARAM_DOUBLE, 40, 1, 100, NULL, false,
                   "the second swing low's RSI must be below this"},
    [P_TARGET] = {"RSI_DIV_TARGET_PCT", AN_PARAM_DOUBLE, 5.0, 0, 100, NULL, false,
                  "take-profit above the close in %, 0 for none"},
};

typedef struct {
    rt_money_t low;
    double rsi;
    bool rsi_ok;
} bar_t;

typedef struct {
    const an_params_t *p;
    an_rsi_t rsi; /* its own, or the symbol's shared one (an_rsi_step) */
    int k;
    int64_t seq; /* candles seen */
    int pos;     /* ring slot of the next candle */
    bar_t ring[RING];
    rt_money_t lows[2 * RING]; /* the lows twice (slots j and j + RING): the 2k+1 lows around
                                  a candidate are one run of memory, no wrap in the scan */
    bool has_pivot;
    int64_t pivot_seq; /* index (0-based) of the previous swing low */
    rt_money_t pivot_low;
    double pivot_rsi;
    rt_signal_id_cache_t ids;
} state_t;

static int check(const an_params_t *p, char *err, size_t cap)
{
    if (p->v[P_MIN_BARS] > p->v[P_MAX_BARS]) {
        an_errf(err, cap, "RSI_DIV_MIN_BARS (%g) must not exceed RSI_DIV_MAX_BARS (%g)",
                p->v[P_MIN_BARS], p->v[P_MAX_BARS]);
        return RT_EINVAL;
    }
    return RT_OK;
}

static size_t warmup(const an_params_t *p)
{
    /* an RSI value, a first swing low, the second one up to MAX_BARS later, confirmed */
    return (size_t)(p->v[P_RSI_WINDOW] + 1 + p->v[P_MAX_BARS] + 2 * p->v[P_PIVOT] + 1);
}

extern const an_strategy_t an_rsi_divergence_strategy;

static int state_new(const an_params_t *p, void **out)
{
    if (!an_params_valid(p, &an_rsi_divergence_strategy))
        return RT_EINVAL;
    state_t *st = calloc(1, sizeof *st);
    if (st == NULL)
        return RT_ENOMEM;
    st->p = p;
    st->k = (int)p->v[P_PIVOT];
    int rc = rt_rsi_init(&st->rsi.own, (int)p->v[P_RSI_WINDOW]);
    if (rc != RT_OK) {
        free(st);
        return rc;
    }
    *out = st;
    return RT_OK;
}

static void state_free(void *state)
{
    free(state);
}

/* The ring slot `off` candles from slot `at` (|off| < RING). */
static int slot(int at, int off)
{
    return (at + off) & (RING - 1);
}

static int on_candle(void *state, const an_candle_t *kc, rt_signal_t *out)
{
    const rt_candle_t *c = kc->c;
    state_t *st = state;
    const rt_rsi_t *r;
    int rsi_rc = an_rsi_step(&st->rsi, kc, &r);
    if (rsi_rc == RT_ESTATE)
        return rsi_rc;
    int at = st->pos;
    bar_t *b = &st->ring[at];
    st->pos = slot(at, 1);
    b->low = c->low;
    st->lows[at] = st->lows[at + RING] = c->low;
    b->rsi_ok = rsi_rc == RT_OK && r->gain + r->loss > 0.0;
    b->rsi = r->value;
    int64_t now = st->seq++;
    int k = st->k;
    if (now < 2 * k)
        return 0;
    int64_t i = now - k; /* the candidate, confirmed by this candle */
    int ci = slot(at, -k);
    const bar_t *cand = &st->ring[ci];
    if (!cand->rsi_ok)
        return 0;
    /* every neighbour is compared, without an early exit: which one breaks the swing is a
     * coin toss for the branch predictor, the one test at the end is mostly "not a swing" */
    const rt_money_t *w = &st->lows[slot(at, -2 * k)]; /* the 2k+1 lows ending at this one */
    rt_money_t low = w[k];
    unsigned beaten = 0;
    for (int j = 0; j < k; j++)
        beaten |= (unsigned)(w[j] <= low) | (unsigned)(w[k + 1 + j] < low);
    if (beaten)
        return 0;

    /* a confirmed swing low */
    bool had = st->has_pivot;
    int64_t prev_seq = st->pivot_seq;
    rt_money_t prev_low = st->pivot_low;
    double prev_rsi = st->pivot_rsi;
    st->has_pivot = true;
    st->pivot_seq = i;
    st->pivot_low = cand->low;
    st->pivot_rsi = cand->rsi;
    if (!had)
        return 0;
    const double *v = st->p->v;
    double bars = (double)(i - prev_seq);
    if (bars < v[P_MIN_BARS] || bars > v[P_MAX_BARS] || !(cand->low < prev_low) ||
        !(cand->rsi > prev_rsi) || !(cand->rsi < v[P_MAX_RSI]) || c->close <= cand->low)
        return 0;
    rt_money_t target = 0;
    if (v[P_TARGET] > 0.0) {
        rt_money_t d;
        if (an_money_of(kc->close * v[P_TARGET] / 100.0, &d) != RT_OK ||
            rt_money_add(c->close, d, &target) != RT_OK)
            return 0;
    }
    int rc = an_signal_begin(out, &st->ids, an_rsi_divergence_strategy.name, c, RT_SIDE_BUY);
    if (rc != RT_OK)
        return rc;
    out->stop_loss = cand->low;
    out->take_profit = target;
    an_signal_meta(out, "rsi", b->rsi);
    an_signal_meta(out, "swing_rsi", cand->rsi);
    an_signal_meta(out, "prev_swing_rsi", prev_rsi);
    an_signal_meta(out, "swing_low", an_px(cand->low));
    an_signal_meta(out, "prev_swing_low", an_px(prev_low));
    an_signal_meta(out, "bars_between", bars);
    return 1;
}

const an_strategy_t an_rsi_divergence_strategy = {
    .name = "RSI_Divergence",
    .rule = "a lower swing low in price with a higher swing low in RSI -> BUY, stop at the "
            "swing low",
    .params = params,
    .param_count = P_COUNT,
    .check = check,
    .warmup = warmup,
    .state_new = state_new,
    .state_free = state_free,
    .on_candle = on_candle,
};
