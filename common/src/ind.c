/* Incremental TA-Lib-exact indicators. The arithmetic mirrors TA-Lib's own (same seeds, same
 * order of operations in the recurrences) so results agree to the last few bits; the rolling
 * sums are the exception: they are kept more accurately than TA-Lib's running sums. */
#include "rt/ind.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

/* The per-candle updates and unchecked reads are inline in rt/ind.h; here: parameters,
 * windows, resets, the checked value reads and the rare O(period) steps. */

static int check_period(int period, int min)
{
    return period >= min && period <= RT_IND_PERIOD_MAX ? RT_OK : RT_EINVAL;
}

/* ---- rolling window --------------------------------------------------------------------- */

static int window_init(rt_ind_window_t *w, int period)
{
    double *ring = calloc((size_t)period, sizeof *ring);
    if (ring == NULL)
        return RT_ENOMEM;
    memset(w, 0, sizeof *w);
    w->ring = ring;
    w->period = period;
    w->inv_period = 1.0 / period;
    return RT_OK;
}

static void window_cleanup(rt_ind_window_t *w)
{
    free(w->ring);
    memset(w, 0, sizeof *w);
}

static void window_reset(rt_ind_window_t *w)
{
    w->count = 0;
    w->pos = 0;
    w->since_exact = 0;
    w->shift = 0.0;
    w->s1 = 0.0;
    w->s2 = 0.0;
    w->run = 0;
    w->last = 0.0;
}

/* Re-centres the sums on the current mean and recomputes them from the ring: O(period), done
 * once every `period` inputs, so O(1) amortized. With the shift at the mean, s1 is ~0 and s2
 * is n * variance, so the variance is read without cancellation. */
void rt_ind_window_exact(rt_ind_window_t *w)
{
    double k = w->shift + w->s1 / w->count;
    double s1 = 0.0, s2 = 0.0;
    for (int i = 0; i < w->count; i++) {
        double d = w->ring[i] - k;
        s1 += d;
        s2 += d * d;
    }
    w->shift = k;
    w->s1 = s1;
    w->s2 = s2;
    w->since_exact = 0;
}

/* ---- SMA -------------------------------------------------------------------------------- */

int rt_sma_init(rt_sma_t *s, int period)
{
    if (s != NULL)
        memset(s, 0, sizeof *s);
    if (s == NULL || check_period(period, 1) != RT_OK)
        return RT_EINVAL;
    return window_init(&s->w, period);
}

void rt_sma_cleanup(rt_sma_t *s)
{
    if (s != NULL)
        window_cleanup(&s->w);
}

void rt_sma_reset(rt_sma_t *s)
{
    window_reset(&s->w);
}

int rt_sma_value(const rt_sma_t *s, double *out)
{
    if (s->w.count < s->w.period || s->w.period == 0)
        return RT_EAGAIN;
    *out = rt_ind_window_mean(&s->w);
    return RT_OK;
}

/* ---- EMA -------------------------------------------------------------------------------- */

int rt_ema_init(rt_ema_t *e, int period)
{
    if (e == NULL || check_period(period, 1) != RT_OK)
        return RT_EINVAL;
    memset(e, 0, sizeof *e);
    e->period = period;
    e->k = 2.0 / ((double)period + 1.0);
    return RT_OK;
}

void rt_ema_reset(rt_ema_t *e)
{
    e->count = 0;
    e->sum = 0.0;
    e->value = 0.0;
}

int rt_ema_value(const rt_ema_t *e, double *out)
{
    if (e->count < e->period || e->period == 0)
        return RT_EAGAIN;
    *out = e->value;
    return RT_OK;
}

/* ---- RSI -------------------------------------------------------------------------------- */

int rt_rsi_init(rt_rsi_t *r, int period)
{
    if (r == NULL || check_period(period, 2) != RT_OK)
        return RT_EINVAL;
    memset(r, 0, sizeof *r);
    r->period = period;
    r->inv = 1.0 / period;
    return RT_OK;
}

void rt_rsi_reset(rt_rsi_t *r)
{
    int period = r->period;
    double inv = r->inv;
    memset(r, 0, sizeof *r);
    r->period = period;
    r->inv = inv;
}

int rt_rsi_value(const rt_rsi_t *r, double *out)
{
    if (r->count <= r->period || r->period == 0)
        return RT_EAGAIN;
    *out = r->value;
    return RT_OK;
}

/* ---- MACD ------------------------------------------------------------------------------- */

int rt_macd_init(rt_macd_t *m, int fast, int slow, int signal)
{
    if (m == NULL || check_period(fast, 2) != RT_OK || check_period(slow, 2) != RT_OK ||
        fast >= slow || check_period(signal, 1) != RT_OK)
        return RT_EINVAL;
    memset(m, 0, sizeof *m);
    m->fast = fast;
    m->slow = slow;
    m->kf = 2.0 / ((double)fast + 1.0);
    m->ks = 2.0 / ((double)slow + 1.0);
    return rt_ema_init(&m->sig, signal);
}

void rt_macd_reset(rt_macd_t *m)
{
    m->count = 0;
    m->fast_sum = m->slow_sum = 0.0;
    m->fast_ema = m->slow_ema = 0.0;
    memset(&m->value, 0, sizeof m->value);
    rt_ema_reset(&m->sig);
}

int rt_macd_value(const rt_macd_t *m, rt_macd_value_t *out)
{
    if (m->count < m->slow || m->sig.count < m->sig.period || m->slow == 0)
        return RT_EAGAIN;
    *out = m->value;
    return RT_OK;
}

/* ---- Bollinger Bands -------------------------------------------------------------------- */

static bool bb_k_ok(double k)
{
    return isfinite(k) && k >= 0.0 && k <= 100.0;
}

int rt_bbands_init(rt_bbands_t *b, int period, double k)
{
    if (b != NULL)
        memset(b, 0, sizeof *b);
    if (b == NULL || check_period(period, 2) != RT_OK || !bb_k_ok(k))
        return RT_EINVAL;
    int rc = window_init(&b->w, period);
    if (rc != RT_OK)
        return rc;
    b->k = k;
    return RT_OK;
}

void rt_bbands_cleanup(rt_bbands_t *b)
{
    if (b != NULL)
        window_cleanup(&b->w);
}

void rt_bbands_reset(rt_bbands_t *b)
{
    window_reset(&b->w);
}

int rt_bbands_set_k(rt_bbands_t *b, double k)
{
    if (!bb_k_ok(k))
        return RT_EINVAL;
    b->k = k;
    return RT_OK;
}

int rt_bbands_value(const rt_bbands_t *b, rt_bbands_value_t *out)
{
    if (b->w.count < b->w.period || b->w.period == 0)
        return RT_EAGAIN;
    *out = rt_bbands_last(b);
    return RT_OK;
}

/* ---- ATR -------------------------------------------------------------------------------- */

int rt_atr_init(rt_atr_t *a, int period)
{
    if (a == NULL || check_period(period, 1) != RT_OK)
        return RT_EINVAL;
    memset(a, 0, sizeof *a);
    a->period = period;
    a->inv = 1.0 / period;
    return RT_OK;
}

void rt_atr_reset(rt_atr_t *a)
{
    int period = a->period;
    double inv = a->inv;
    memset(a, 0, sizeof *a);
    a->period = period;
    a->inv = inv;
}

int rt_atr_value(const rt_atr_t *a, double *out)
{
    if (a->count <= a->period || a->period == 0)
        return RT_EAGAIN;
    *out = a->value;
    return RT_OK;
}

/* ---- highest high / lowest low ---------------------------------------------------------- */

/* van Herk / Gil-Werman: the stream is cut into blocks of `period` candles. A window of the last
 * `period` candles is a suffix of the previous block plus a prefix of the current one, so the
 * extreme is the better of a stored suffix extreme and a running prefix extreme. The suffix
 * extremes of a block are computed once, when it completes: O(period) every `period` candles,
 * O(1) amortized, and no data-dependent branch per candle (a monotonic deque's pops are coin
 * tosses for the branch predictor: it was 3x slower here). */

int rt_hilo_init(rt_hilo_t *h, int period)
{
    if (h != NULL)
        memset(h, 0, sizeof *h);
    if (h == NULL || check_period(period, 1) != RT_OK)
        return RT_EINVAL;
    size_t n = (size_t)period;
    /* one allocation: the block's highs and lows, the suffix extremes, and where they are */
    double *mem = calloc(6 * n, sizeof *mem);
    if (mem == NULL)
        return RT_ENOMEM;
    _Static_assert(sizeof(double) == sizeof(int64_t), "one allocation holds both");
    h->period = period;
    h->buf_hi = mem;
    h->buf_lo = mem + n;
    h->suf_hi = mem + 2 * n;
    h->suf_lo = mem + 3 * n;
    h->suf_hi_at = (int64_t *)(void *)(mem + 4 * n);
    h->suf_lo_at = (int64_t *)(void *)(mem + 5 * n);
    return RT_OK;
}

void rt_hilo_cleanup(rt_hilo_t *h)
{
    if (h == NULL)
        return;
    free(h->buf_hi); /* the one allocation */
    memset(h, 0, sizeof *h);
}

void rt_hilo_reset(rt_hilo_t *h)
{
    h->seq = 0;
    h->pos = 0;
}

/* The block that just completed: suffix extremes, the later candle winning ties. */
void rt_hilo_block_done(rt_hilo_t *h)
{
    int n = h->period;
    int64_t first = h->seq - n; /* number of the block's first candle */
    h->suf_hi[n - 1] = h->buf_hi[n - 1];
    h->suf_lo[n - 1] = h->buf_lo[n - 1];
    h->suf_hi_at[n - 1] = h->suf_lo_at[n - 1] = first + n - 1;
    for (int k = n - 2; k >= 0; k--) {
        bool hi = h->buf_hi[k] > h->suf_hi[k + 1];
        h->suf_hi[k] = rt_ind_pick(hi, h->buf_hi[k], h->suf_hi[k + 1]);
        h->suf_hi_at[k] = rt_ind_pick_i64(hi, first + k, h->suf_hi_at[k + 1]);
        bool lo = h->buf_lo[k] < h->suf_lo[k + 1];
        h->suf_lo[k] = rt_ind_pick(lo, h->buf_lo[k], h->suf_lo[k + 1]);
        h->suf_lo_at[k] = rt_ind_pick_i64(lo, first + k, h->suf_lo_at[k + 1]);
    }
}

int rt_hilo_value(const rt_hilo_t *h, double *highest, double *lowest)
{
    if (h->period == 0 || h->seq < h->period)
        return RT_EAGAIN;
    int64_t a, b;
    rt_ind_hilo_get(h, highest, &a, lowest, &b);
    return RT_OK;
}

int rt_hilo_index(const rt_hilo_t *h, int64_t *highest_at, int64_t *lowest_at)
{
    if (h->period == 0 || h->seq < h->period)
        return RT_EAGAIN;
    double a, b;
    rt_ind_hilo_get(h, &a, highest_at, &b, lowest_at);
    return RT_OK;
}
