/* Technical indicators, incremental: each update costs O(1) (the rolling windows O(1) amortized),
 * nothing rescans history, nothing allocates after init. They give TA-Lib 0.4's numbers from
 * TA-Lib's first output on, with TA-Lib's seeding:
 *
 *   SMA(n)     first value at the n-th input: the mean of the last n inputs.
 *   EMA(n)     k = 2/(n+1), seeded with the SMA of the first n inputs (first value at input n).
 *   RSI(n)     Wilder: the first n changes are averaged (first value at input n+1), then
 *              avg = (avg*(n-1) + change)/n. No movement at all gives 0 (TA-Lib's convention).
 *   MACD(f,s,g) slow EMA seeded with the SMA of inputs 1..s; the fast EMA is aligned to it:
 *              seeded with the SMA of the f inputs ending at input s (not inputs 1..f); the
 *              signal is an EMA(g) of the MACD line seeded with the SMA of its first g values.
 *              All three outputs appear together at input s+g-1; hist = macd - signal.
 *   BBANDS(n,k) middle = SMA(n), bands = middle +- k * population standard deviation.
 *   ATR(n)     true range from the 2nd candle on (the first candle has no previous close and
 *              TA-Lib does not use it), seeded with the mean of the first n true ranges (first
 *              value at candle n+1), then Wilder: atr = (atr*(n-1) + tr)/n.
 *   HILO(n)    highest high and lowest low of the last n candles (TA-Lib MAX/MIN), current
 *              candle included.
 *   A volume SMA is an rt_sma_t fed with volumes.
 *
 * One difference from TA-Lib, on purpose: TA-Lib treats an average gain+loss below 1e-8 as "no
 * movement" (RSI 0) and a variance below 1e-8 as zero (bands collapse onto the middle). Those
 * absolute thresholds are wrong for assets priced below about 0.01 (ETH/BTC, altcoins in BTC),
 * so here only an exact zero counts as no movement and only a negative rounding residue of the
 * variance is clamped to 0. For prices like BTC/USDT's the outputs are identical.
 *
 * `double` is used here and only here (indicators are derived values, never money).
 *
 * Conventions of every indicator type rt_X_t (caller-owned struct):
 *   rt_X_init(x, params...)  0, RT_EINVAL for a parameter out of range, RT_ENOMEM (windowed
 *                            ones allocate once here). The struct is zeroed first, so
 *                            cleanup is safe after any init, failed or not.
 *   rt_X_cleanup(x)          releases what init allocated (only for the windowed types:
 *                            SMA, BBANDS, HILO); safe on a zeroed or cleaned-up struct.
 *   rt_X_reset(x)            forgets every input, keeps the parameters (warm up again).
 *   rt_X_update(x, inputs)   0 when a value is available after this input, RT_EAGAIN while
 *                            warming up; RT_EINVAL for a NaN/infinite input, RT_ERANGE for
 *                            |input| > RT_IND_INPUT_MAX, and then the input is ignored (state
 *                            unchanged). Outputs are therefore always finite.
 *   rt_X_value(x, &out)      0 and the latest value, RT_EAGAIN (out untouched) before the first.
 */
#ifndef RT_IND_H
#define RT_IND_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "rt/err.h"

/** Largest period accepted by any indicator. */
#define RT_IND_PERIOD_MAX 100000
/** Largest magnitude of an input (prices and volumes are far below: money tops out at 9.2e10). */
#define RT_IND_INPUT_MAX 1e15

/** Rolling window shared by SMA and Bollinger Bands (read its fields through their calls).
 *  Sums are kept relative to a shift near the mean and recomputed from the ring once per
 *  `period` inputs, so rounding never accumulates over long runs (relative error ~1e-13). */
typedef struct {
    double *ring;    /* period slots */
    int period;
    double inv_period; /* 1/period */
    int count;       /* inputs in the window (<= period) */
    int pos;         /* next slot to write */
    int since_exact; /* inputs since the sums were last recomputed */
    double shift;    /* K: the sums are of (x - K) */
    double s1;       /* sum of (x - K) over the window */
    double s2;       /* sum of (x - K)^2 over the window (kept by Bollinger Bands only) */
    double last;     /* latest input */
    int run;         /* how many of the latest inputs equal it (capped at period): a window
                        of equal values has exactly that mean and a variance of 0 */
} rt_ind_window_t;

/* ---- SMA ------------------------------------------------------------------------------ */

typedef struct {
    rt_ind_window_t w;
} rt_sma_t;

/** Simple moving average of the last `period` inputs (1..RT_IND_PERIOD_MAX). */
int rt_sma_init(rt_sma_t *s, int period);
/** Frees the window (safe on a zeroed or cleaned-up struct). */
void rt_sma_cleanup(rt_sma_t *s);
/** Forgets every input, keeps the parameters. */
void rt_sma_reset(rt_sma_t *s);
/** Feeds one input: 0 when a value is available, RT_EAGAIN while warming up,
 *  RT_EINVAL/RT_ERANGE for a rejected input (ignored, state unchanged). */
static inline int rt_sma_update(rt_sma_t *s, double x);
/** rt_sma_update without the input checks (NaN, infinity, magnitude): for inputs known to be
 *  finite and within RT_IND_INPUT_MAX, e.g. prices converted from money. */
static inline int rt_sma_update_unchecked(rt_sma_t *s, double x);
/** The latest value: 0, or RT_EAGAIN before the first (out untouched). */
int rt_sma_value(const rt_sma_t *s, double *out);
/** rt_sma_value without its check, for a hot path: only once rt_sma_update has returned 0. */
static inline double rt_sma_last(const rt_sma_t *s);

/* ---- EMA ------------------------------------------------------------------------------ */

typedef struct {
    int period;
    int count;
    double k;
    double sum; /* of the seed inputs */
    double value;
} rt_ema_t;

/** Exponential moving average, k = 2/(period+1), period 1..RT_IND_PERIOD_MAX. */
int rt_ema_init(rt_ema_t *e, int period);
/** Forgets every input, keeps the parameters. */
void rt_ema_reset(rt_ema_t *e);
/** Feeds one input: 0 when a value is available, RT_EAGAIN while warming up,
 *  RT_EINVAL/RT_ERANGE for a rejected input (ignored, state unchanged). */
static inline int rt_ema_update(rt_ema_t *e, double x);
/** rt_ema_update without the input checks (NaN, infinity, magnitude): for inputs known to be
 *  finite and within RT_IND_INPUT_MAX, e.g. prices converted from money. */
static inline int rt_ema_update_unchecked(rt_ema_t *e, double x);
/** The latest value: 0, or RT_EAGAIN before the first (out untouched). */
int rt_ema_value(const rt_ema_t *e, double *out);

/* ---- RSI ------------------------------------------------------------------------------ */

typedef struct {
    int period;
    int count; /* inputs seen, capped at period + 1 */
    double inv; /* 1/period */
    double prev;
    double gain, loss; /* sums while seeding, then Wilder averages */
    double value;
} rt_rsi_t;

/** Wilder's RSI over `period` changes (2..RT_IND_PERIOD_MAX); values in [0, 100]. */
int rt_rsi_init(rt_rsi_t *r, int period);
/** Forgets every input, keeps the parameters. */
void rt_rsi_reset(rt_rsi_t *r);
/** Feeds one input: 0 when a value is available, RT_EAGAIN while warming up,
 *  RT_EINVAL/RT_ERANGE for a rejected input (ignored, state unchanged). */
static inline int rt_rsi_update(rt_rsi_t *r, double close);
/** rt_rsi_update without the input checks (NaN, infinity, magnitude): for inputs known to be
 *  finite and within RT_IND_INPUT_MAX, e.g. prices converted from money. */
static inline int rt_rsi_update_unchecked(rt_rsi_t *r, double close);
/** The latest value: 0, or RT_EAGAIN before the first (out untouched). */
int rt_rsi_value(const rt_rsi_t *r, double *out);

/* ---- MACD ----------------------------------------------------------------------------- */

typedef struct {
    double macd, signal, hist;
} rt_macd_value_t;

typedef struct {
    int fast, slow;
    int count; /* inputs seen, capped at slow */
    double kf, ks;
    double fast_sum, slow_sum;
    double fast_ema, slow_ema;
    rt_ema_t sig;
    rt_macd_value_t value;
} rt_macd_t;

/** MACD with TA-Lib's alignment (see the top of this file): 2 <= fast < slow, signal >= 1, all
 *  up to RT_IND_PERIOD_MAX. The classic one is (12, 26, 9). */
int rt_macd_init(rt_macd_t *m, int fast, int slow, int signal);
/** Forgets every input, keeps the parameters. */
void rt_macd_reset(rt_macd_t *m);
/** Feeds one input: 0 when a value is available, RT_EAGAIN while warming up,
 *  RT_EINVAL/RT_ERANGE for a rejected input (ignored, state unchanged). */
static inline int rt_macd_update(rt_macd_t *m, double close);
/** rt_macd_update without the input checks (NaN, infinity, magnitude): for inputs known to be
 *  finite and within RT_IND_INPUT_MAX, e.g. prices converted from money. */
static inline int rt_macd_update_unchecked(rt_macd_t *m, double close);
/** The latest value: 0, or RT_EAGAIN before the first (out untouched). */
int rt_macd_value(const rt_macd_t *m, rt_macd_value_t *out);

/* ---- Bollinger Bands ------------------------------------------------------------------ */

typedef struct {
    double upper, middle, lower, stddev;
} rt_bbands_value_t;

typedef struct {
    rt_ind_window_t w;
    double k;
} rt_bbands_t;

/** Bollinger Bands: SMA(period) middle, +-k population standard deviations (period
 *  2..RT_IND_PERIOD_MAX, k finite in [0, 100]). */
int rt_bbands_init(rt_bbands_t *b, int period, double k);
/** Frees the window (safe on a zeroed or cleaned-up struct). */
void rt_bbands_cleanup(rt_bbands_t *b);
/** Forgets every input, keeps the parameters. */
void rt_bbands_reset(rt_bbands_t *b);
/** Changes k (live parameter change); the next value uses it. RT_EINVAL when out of range. */
int rt_bbands_set_k(rt_bbands_t *b, double k);
/** Feeds one input: 0 when a value is available, RT_EAGAIN while warming up,
 *  RT_EINVAL/RT_ERANGE for a rejected input (ignored, state unchanged). */
static inline int rt_bbands_update(rt_bbands_t *b, double x);
/** rt_bbands_update without the input checks (NaN, infinity, magnitude): for inputs known to be
 *  finite and within RT_IND_INPUT_MAX, e.g. prices converted from money. */
static inline int rt_bbands_update_unchecked(rt_bbands_t *b, double x);
/** The latest value: 0, or RT_EAGAIN before the first (out untouched). */
int rt_bbands_value(const rt_bbands_t *b, rt_bbands_value_t *out);
/** rt_bbands_value without its check, for a hot path: only once rt_bbands_update has
 *  returned 0. */
static inline rt_bbands_value_t rt_bbands_last(const rt_bbands_t *b);

/* ---- ATR ------------------------------------------------------------------------------ */

typedef struct {
    int period;
    int count; /* candles seen, capped at period + 1 */
    double inv; /* 1/period */
    double prev_close;
    double sum; /* of the seed true ranges */
    double tr;  /* latest true range */
    double value;
} rt_atr_t;

/** Wilder's average true range (period 1..RT_IND_PERIOD_MAX). */
int rt_atr_init(rt_atr_t *a, int period);
/** Forgets every input, keeps the parameters. */
void rt_atr_reset(rt_atr_t *a);
/** One candle; RT_EINVAL also when high < low. */
static inline int rt_atr_update(rt_atr_t *a, double high, double low, double close);
/** rt_atr_update without the input checks (NaN, infinity, magnitude): for inputs known to be
 *  finite and within RT_IND_INPUT_MAX, e.g. prices converted from money. */
static inline int rt_atr_update_unchecked(rt_atr_t *a, double high, double low, double close);
/** The latest value: 0, or RT_EAGAIN before the first (out untouched). */
int rt_atr_value(const rt_atr_t *a, double *out);

/* ---- Rolling highest high / lowest low ------------------------------------------------ */

typedef struct {
    int period;
    int pos;     /* position of the next candle in its block of `period` */
    int64_t seq; /* candles seen */
    double *buf_hi, *buf_lo;          /* the current block's highs and lows */
    double *suf_hi, *suf_lo;          /* the previous block's suffix extremes */
    int64_t *suf_hi_at, *suf_lo_at;   /* and the candles holding them */
    double pre_hi, pre_lo;            /* the current block's prefix extremes */
    int64_t pre_hi_at, pre_lo_at;
} rt_hilo_t;

/** Highest high and lowest low of the last `period` candles (1..RT_IND_PERIOD_MAX): van Herk /
 *  Gil-Werman blocks in a fixed ring, O(1) amortized per candle without data-dependent
 *  branches (see ind.c for why not a monotonic deque). */
int rt_hilo_init(rt_hilo_t *h, int period);
/** Frees the window (safe on a zeroed or cleaned-up struct). */
void rt_hilo_cleanup(rt_hilo_t *h);
/** Forgets every input, keeps the parameters. */
void rt_hilo_reset(rt_hilo_t *h);
/** One candle; RT_EINVAL also when high < low. */
static inline int rt_hilo_update(rt_hilo_t *h, double high, double low);
/** rt_hilo_update without the input checks (NaN, infinity, magnitude): for inputs known to be
 *  finite and within RT_IND_INPUT_MAX, e.g. prices converted from money. */
static inline int rt_hilo_update_unchecked(rt_hilo_t *h, double high, double low);
/** Both extremes of the last `period` candles; RT_EAGAIN before `period` candles. */
int rt_hilo_value(const rt_hilo_t *h, double *highest, double *lowest);
/** rt_hilo_value without its check, for a hot path: only once rt_hilo_update has returned 0
 *  (both are always written). */
static inline void rt_hilo_last(const rt_hilo_t *h, double *highest, double *lowest);
/** Where the extremes are (TA-Lib's MAXINDEX/MININDEX): the 0-based numbers, counted from init
 *  or reset, of the candles holding the highest high and the lowest low (the latest of equal
 *  ones). RT_EAGAIN before `period` candles. */
int rt_hilo_index(const rt_hilo_t *h, int64_t *highest_at, int64_t *lowest_at);

/* ---- the per-candle calls, inline ------------------------------------------------------ */

/* The updates and the unchecked reads (rt_X_last) run for every candle of every strategy:
 * they are defined here so the compiler inlines them into the strategies (a call, its argument
 * shuffling and the return-code test cost as much as an EMA step). The checked value reads
 * (rt_X_value) stay out of line: inlined, their RT_EAGAIN path leaves the out-parameter
 * unwritten where callers' compilers can see it and warn. Nothing below is for direct use;
 * the two out-of-line helpers are the rare O(period) steps. */

/** Internal (the inline window updates): re-centres a full window's sums and recomputes them
 *  from its ring. Cannot fail. */
void rt_ind_window_exact(rt_ind_window_t *w);

/** Internal (the inline rt_hilo_update): the suffix extremes of the block that just completed.
 *  Cannot fail. */
void rt_hilo_block_done(rt_hilo_t *h);

static inline int rt_ind_check_input(double x)
{
    if (fabs(x) <= RT_IND_INPUT_MAX) /* one test on the hot path: false for NaN and infinity */
        return RT_OK;
    return isfinite(x) ? RT_ERANGE : RT_EINVAL;
}

/* c ? a : b without a branch (the compilers branch on a double select, and which of two
 * prices is higher is a coin toss for a branch predictor): the bits of a or b, exactly. */
static inline double rt_ind_pick(bool c, double a, double b)
{
    uint64_t ua, ub, m = (uint64_t)0 - (uint64_t)c;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    ua = (ua & m) | (ub & ~m);
    memcpy(&a, &ua, sizeof a);
    return a;
}

static inline int64_t rt_ind_pick_i64(bool c, int64_t a, int64_t b)
{
    uint64_t m = (uint64_t)0 - (uint64_t)c;
    return (int64_t)(((uint64_t)a & m) | ((uint64_t)b & ~m));
}

/* Adds x to the window; with var false (an SMA) the sum of squares is left alone (only a
 * variance reads it, and the periodic exact recomputation rebuilds it). */
static inline void rt_ind_window_push(rt_ind_window_t *w, double x, bool var)
{
    if (w->count == 0)
        w->shift = x;
    /* a repeated value extends the run: data-dependent, so selected rather than branched on */
    bool same = (w->count > 0) & (x == w->last);
    int grown = w->run + (w->run < w->period);
    w->run = same ? grown : 1;
    w->last = rt_ind_pick(same, w->last, x);
    double d = x - w->shift;
    if (w->count < w->period) {
        w->count++;
        w->s1 += d;
        if (var)
            w->s2 += d * d;
    } else {
        double o = w->ring[w->pos] - w->shift;
        w->s1 += d - o;
        if (var)
            w->s2 += (d - o) * (d + o);
    }
    w->ring[w->pos] = x;
    w->pos = w->pos + 1 == w->period ? 0 : w->pos + 1;
    if (++w->since_exact >= w->period && w->count == w->period)
        rt_ind_window_exact(w);
}

/* A window of equal values (a flat market) has exactly that mean and no variance. */
static inline double rt_ind_window_mean(const rt_ind_window_t *w)
{
    if (w->run >= w->count)
        return w->last;
    return w->shift + (w->count == w->period ? w->s1 * w->inv_period : w->s1 / w->count);
}

static inline double rt_ind_window_variance(const rt_ind_window_t *w)
{
    if (w->run >= w->count)
        return 0.0;
    double inv = w->count == w->period ? w->inv_period : 1.0 / w->count;
    double m = w->s1 * inv;
    double v = w->s2 * inv - m * m;
    return v > 0.0 ? v : 0.0;
}

static inline int rt_sma_update_unchecked(rt_sma_t *s, double x)
{
    rt_ind_window_push(&s->w, x, false);
    return s->w.count == s->w.period ? RT_OK : RT_EAGAIN;
}

static inline int rt_sma_update(rt_sma_t *s, double x)
{
    int rc = rt_ind_check_input(x);
    return rc != RT_OK ? rc : rt_sma_update_unchecked(s, x);
}

static inline int rt_ema_update_unchecked(rt_ema_t *e, double x)
{
    if (e->count < e->period) {
        e->sum += x;
        if (++e->count < e->period)
            return RT_EAGAIN;
        e->value = e->sum / e->period;
        return RT_OK;
    }
    e->value = ((x - e->value) * e->k) + e->value; /* TA-Lib's order of operations */
    return RT_OK;
}

static inline int rt_ema_update(rt_ema_t *e, double x)
{
    int rc = rt_ind_check_input(x);
    return rc != RT_OK ? rc : rt_ema_update_unchecked(e, x);
}

static inline double rt_ind_rsi_of(double gain, double loss)
{
    double total = gain + loss;
    return total > 0.0 ? 100.0 * (gain / total) : 0.0;
}

static inline int rt_rsi_update_unchecked(rt_rsi_t *r, double close)
{
    double change = close - r->prev;
    /* TA-Lib adds a change to the gains when >= 0, else its opposite to the losses; written
     * without a branch (the sign of a price change is a coin toss for a branch predictor). */
    double up = change > 0.0 ? change : 0.0;
    double down = change < 0.0 ? -change : 0.0;
    r->prev = close;
    if (r->count > r->period) {
        /* TA-Lib: avg = (avg*(n-1) + change)/n; the division is a multiplication by 1/n here
         * (one rounding more, ~1e-16 relative). */
        r->gain = (r->gain * (r->period - 1) + up) * r->inv;
        r->loss = (r->loss * (r->period - 1) + down) * r->inv;
    } else {
        if (r->count++ == 0)
            return RT_EAGAIN; /* the first close: no change yet */
        r->gain += up;
        r->loss += down;
        if (r->count <= r->period)
            return RT_EAGAIN;
        r->gain /= r->period;
        r->loss /= r->period;
    }
    r->value = rt_ind_rsi_of(r->gain, r->loss);
    return RT_OK;
}

static inline int rt_rsi_update(rt_rsi_t *r, double close)
{
    int rc = rt_ind_check_input(close);
    return rc != RT_OK ? rc : rt_rsi_update_unchecked(r, close);
}

static inline int rt_macd_update_unchecked(rt_macd_t *m, double close)
{
    if (m->count < m->slow) {
        /* Input number count+1: the slow seed takes inputs 1..slow, the fast seed only the
         * last `fast` of them, so both EMAs start on the same candle (TA-Lib's alignment). */
        m->slow_sum += close;
        if (m->count >= m->slow - m->fast)
            m->fast_sum += close;
        if (++m->count < m->slow)
            return RT_EAGAIN;
        m->fast_ema = m->fast_sum / m->fast;
        m->slow_ema = m->slow_sum / m->slow;
    } else {
        m->fast_ema = ((close - m->fast_ema) * m->kf) + m->fast_ema;
        m->slow_ema = ((close - m->slow_ema) * m->ks) + m->slow_ema;
    }
    double line = m->fast_ema - m->slow_ema;
    if (rt_ema_update(&m->sig, line) != RT_OK)
        return RT_EAGAIN;
    m->value.macd = line;
    m->value.signal = m->sig.value;
    m->value.hist = line - m->sig.value;
    return RT_OK;
}

static inline int rt_macd_update(rt_macd_t *m, double close)
{
    int rc = rt_ind_check_input(close);
    return rc != RT_OK ? rc : rt_macd_update_unchecked(m, close);
}

static inline int rt_bbands_update_unchecked(rt_bbands_t *b, double x)
{
    rt_ind_window_push(&b->w, x, true);
    return b->w.count == b->w.period ? RT_OK : RT_EAGAIN;
}

static inline int rt_bbands_update(rt_bbands_t *b, double x)
{
    int rc = rt_ind_check_input(x);
    return rc != RT_OK ? rc : rt_bbands_update_unchecked(b, x);
}

static inline int rt_atr_update_unchecked(rt_atr_t *a, double high, double low, double close)
{
    if (high < low)
        return RT_EINVAL;
    if (a->count == 0) {
        a->prev_close = close;
        a->count = 1;
        return RT_EAGAIN;
    }
    /* TA-Lib's TRANGE, operand for operand. */
    double tr = high - low;
    double v = fabs(a->prev_close - high);
    if (v > tr)
        tr = v;
    v = fabs(a->prev_close - low);
    if (v > tr)
        tr = v;
    a->prev_close = close;
    a->tr = tr;
    if (a->count <= a->period) {
        a->sum += tr;
        if (++a->count <= a->period)
            return RT_EAGAIN;
        a->value = a->sum / a->period;
        return RT_OK;
    }
    a->value *= a->period - 1;
    a->value += tr;
    a->value *= a->inv; /* TA-Lib divides by n: same value to ~1e-16 */
    return RT_OK;
}

static inline int rt_atr_update(rt_atr_t *a, double high, double low, double close)
{
    int rc = rt_ind_check_input(high);
    if (rc == RT_OK)
        rc = rt_ind_check_input(low);
    if (rc == RT_OK)
        rc = rt_ind_check_input(close);
    return rc != RT_OK ? rc : rt_atr_update_unchecked(a, high, low, close);
}

static inline int rt_hilo_update_unchecked(rt_hilo_t *h, double high, double low)
{
    if (high < low)
        return RT_EINVAL;
    int j = h->pos;
    h->buf_hi[j] = high;
    h->buf_lo[j] = low;
    /* `|` and picks, not `||` and branches: a new extreme is a coin toss for a predictor */
    bool first = j == 0;
    bool hi = first | (high >= h->pre_hi); /* ties: the later candle */
    bool lo = first | (low <= h->pre_lo);
    h->pre_hi = rt_ind_pick(hi, high, h->pre_hi);
    h->pre_hi_at = rt_ind_pick_i64(hi, h->seq, h->pre_hi_at);
    h->pre_lo = rt_ind_pick(lo, low, h->pre_lo);
    h->pre_lo_at = rt_ind_pick_i64(lo, h->seq, h->pre_lo_at);
    h->seq++;
    if (++h->pos == h->period) {
        h->pos = 0;
        rt_hilo_block_done(h);
    }
    return h->seq >= h->period ? RT_OK : RT_EAGAIN;
}

static inline int rt_hilo_update(rt_hilo_t *h, double high, double low)
{
    int rc = rt_ind_check_input(high);
    if (rc == RT_OK)
        rc = rt_ind_check_input(low);
    return rc != RT_OK ? rc : rt_hilo_update_unchecked(h, high, low);
}

/* The extremes of the window ending at the latest candle, and where they are. */
static inline void rt_ind_hilo_get(const rt_hilo_t *h, double *hi, int64_t *hi_at, double *lo,
                                   int64_t *lo_at)
{
    int j = h->pos; /* the window: the previous block from j on, the current block before j */
    if (j == 0) {   /* a block just completed: the window is that block */
        *hi = h->suf_hi[0];
        *hi_at = h->suf_hi_at[0];
        *lo = h->suf_lo[0];
        *lo_at = h->suf_lo_at[0];
        return;
    }
    bool pre_hi = h->pre_hi >= h->suf_hi[j], pre_lo = h->pre_lo <= h->suf_lo[j];
    *hi = rt_ind_pick(pre_hi, h->pre_hi, h->suf_hi[j]);
    *hi_at = rt_ind_pick_i64(pre_hi, h->pre_hi_at, h->suf_hi_at[j]);
    *lo = rt_ind_pick(pre_lo, h->pre_lo, h->suf_lo[j]);
    *lo_at = rt_ind_pick_i64(pre_lo, h->pre_lo_at, h->suf_lo_at[j]);
}

static inline double rt_sma_last(const rt_sma_t *s)
{
    return rt_ind_window_mean(&s->w);
}

static inline rt_bbands_value_t rt_bbands_last(const rt_bbands_t *b)
{
    rt_bbands_value_t v;
    v.middle = rt_ind_window_mean(&b->w);
    v.stddev = sqrt(rt_ind_window_variance(&b->w));
    double dev = b->k * v.stddev;
    v.upper = v.middle + dev;
    v.lower = v.middle - dev;
    return v;
}

static inline void rt_hilo_last(const rt_hilo_t *h, double *highest, double *lowest)
{
    int64_t a, b;
    rt_ind_hilo_get(h, highest, &a, lowest, &b);
}

#endif
