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

#include <stdbool.h>
#include <stdint.h>

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
    double s2;       /* sum of (x - K)^2 over the window */
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
int rt_sma_update(rt_sma_t *s, double x);
/** The latest value: 0, or RT_EAGAIN before the first (out untouched). */
int rt_sma_value(const rt_sma_t *s, double *out);

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
int rt_ema_update(rt_ema_t *e, double x);
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
int rt_rsi_update(rt_rsi_t *r, double close);
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
int rt_macd_update(rt_macd_t *m, double close);
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
int rt_bbands_update(rt_bbands_t *b, double x);
/** The latest value: 0, or RT_EAGAIN before the first (out untouched). */
int rt_bbands_value(const rt_bbands_t *b, rt_bbands_value_t *out);

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
int rt_atr_update(rt_atr_t *a, double high, double low, double close);
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
int rt_hilo_update(rt_hilo_t *h, double high, double low);
/** Both extremes of the last `period` candles; RT_EAGAIN before `period` candles. */
int rt_hilo_value(const rt_hilo_t *h, double *highest, double *lowest);
/** Where the extremes are (TA-Lib's MAXINDEX/MININDEX): the 0-based numbers, counted from init
 *  or reset, of the candles holding the highest high and the lowest low (the latest of equal
 *  ones). RT_EAGAIN before `period` candles. */
int rt_hilo_index(const rt_hilo_t *h, int64_t *highest_at, int64_t *lowest_at);

#endif
