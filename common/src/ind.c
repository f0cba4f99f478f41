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

static int check_input(double x)
{
    if (fabs(x) <= RT_IND_INPUT_MAX) /* one test on the hot path: false for NaN and infinity */
        return RT_OK;
    return isfinite(x) ? RT_ERANGE : RT_EINVAL;
}

static int check_period(int period, int min)
{
    return period >= min && period <= RT_IND_PERIOD_MAX ? RT_OK : RT_EINVAL;
}

/* c ? a : b without a branch (the compilers branch on a double select, and which of two
 * prices is higher is a coin toss for a branch predictor): the bits of a or b, exactly. */
static inline double pick(bool c, double a, double b)
{
    uint64_t ua, ub, m = (uint64_t)0 - (uint64_t)c;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    ua = (ua & m) | (ub & ~m);
    memcpy(&a, &ua, sizeof a);
    return a;
}

static inline int64_t pick_i64(bool c, int64_t a, int64_t b)
{
    uint64_t m = (uint64_t)0 - (uint64_t)c;
    return (int64_t)(((uint64_t)a & m) | ((uint64_t)b & ~m));
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
static void window_exact(rt_ind_window_t *w)
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

static inline void window_push(rt_ind_window_t *w, double x)
{
    if (w->count == 0)
        w->shift = x;
    /* a repeated value extends the run: data-dependent, so selected rather than branched on */
    bool same = (w->count > 0) & (x == w->last);
    int grown = w->run + (w->run < w->period);
    w->run = same ? grown : 1;
    w->last = pick(same, w->last, x);
    double d = x - w->shift;
    if (w->count < w->period) {
        w->count++;
        w->s1 += d;
        w->s2 += d * d;
    } else {
        double o = w->ring[w->pos] - w->shift;
        w->s1 += d - o;
        w->s2 += (d - o) * (d + o);
    }
    w->ring[w->pos] = x;
    w->pos = w->pos + 1 == w->period ? 0 : w->pos + 1;
    if (++w->since_exact >= w->period && w->count == w->period)
        window_exact(w);
}

/* A window of equal values (a flat market) has exactly that mean and no variance. */
static double window_mean(const rt_ind_window_t *w)
{
    if (w->run >= w->count)
        return w->last;
    return w->shift + (w->count == w->period ? w->s1 * w->inv_period : w->s1 / w->count);
}

static double window_variance(const rt_ind_window_t *w)
{
    if (w->run >= w->count)
        return 0.0;
    double inv = w->count == w->period ? w->inv_period : 1.0 / w->count;
    double m = w->s1 * inv;
    double v = w->s2 * inv - m * m;
    return v > 0.0 ? v : 0.0;
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

int rt_sma_update(rt_sma_t *s, double x)
{
    int rc = check_input(x);
    if (rc != RT_OK)
        return rc;
    window_push(&s->w, x);
    return s->w.count == s->w.period ? RT_OK : RT_EAGAIN;
}

int rt_sma_value(const rt_sma_t *s, double *out)
{
    if (s->w.count < s->w.period || s->w.period == 0)
        return RT_EAGAIN;
    *out = window_mean(&s->w);
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

int rt_ema_update(rt_ema_t *e, double x)
{
    int rc = check_input(x);
    if (rc != RT_OK)
        return rc;
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

static double rsi_of(double gain, double loss)
{
    double total = gain + loss;
    return total > 0.0 ? 100.0 * (gain / total) : 0.0;
}

int rt_rsi_update(rt_rsi_t *r, double close)
{
    int rc = check_input(close);
    if (rc != RT_OK)
        return rc;
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
    r->value = rsi_of(r->gain, r->loss);
    return RT_OK;
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

int rt_macd_update(rt_macd_t *m, double close)
{
    int rc = check_input(close);
    if (rc != RT_OK)
        return rc;
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

int rt_bbands_update(rt_bbands_t *b, double x)
{
    int rc = check_input(x);
    if (rc != RT_OK)
        return rc;
    window_push(&b->w, x);
    return b->w.count == b->w.period ? RT_OK : RT_EAGAIN;
}

int rt_bbands_value(const rt_bbands_t *b, rt_bbands_value_t *out)
{
    if (b->w.count < b->w.period || b->w.period == 0)
        return RT_EAGAIN;
    double mid = window_mean(&b->w);
    double sd = sqrt(window_variance(&b->w));
    double dev = b->k * sd;
    out->middle = mid;
    out->stddev = sd;
    out->upper = mid + dev;
    out->lower = mid - dev;
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

int rt_atr_update(rt_atr_t *a, double high, double low, double close)
{
    int rc = check_input(high);
    if (rc == RT_OK)
        rc = check_input(low);
    if (rc == RT_OK)
        rc = check_input(close);
    if (rc != RT_OK)
        return rc;
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
static void hilo_block_done(rt_hilo_t *h)
{
    int n = h->period;
    int64_t first = h->seq - n; /* number of the block's first candle */
    h->suf_hi[n - 1] = h->buf_hi[n - 1];
    h->suf_lo[n - 1] = h->buf_lo[n - 1];
    h->suf_hi_at[n - 1] = h->suf_lo_at[n - 1] = first + n - 1;
    for (int k = n - 2; k >= 0; k--) {
        bool hi = h->buf_hi[k] > h->suf_hi[k + 1];
        h->suf_hi[k] = pick(hi, h->buf_hi[k], h->suf_hi[k + 1]);
        h->suf_hi_at[k] = pick_i64(hi, first + k, h->suf_hi_at[k + 1]);
        bool lo = h->buf_lo[k] < h->suf_lo[k + 1];
        h->suf_lo[k] = pick(lo, h->buf_lo[k], h->suf_lo[k + 1]);
        h->suf_lo_at[k] = pick_i64(lo, first + k, h->suf_lo_at[k + 1]);
    }
}

int rt_hilo_update(rt_hilo_t *h, double high, double low)
{
    int rc = check_input(high);
    if (rc == RT_OK)
        rc = check_input(low);
    if (rc != RT_OK)
        return rc;
    if (high < low)
        return RT_EINVAL;
    int j = h->pos;
    h->buf_hi[j] = high;
    h->buf_lo[j] = low;
    /* `|` and picks, not `||` and branches: a new extreme is a coin toss for a predictor */
    bool first = j == 0;
    bool hi = first | (high >= h->pre_hi); /* ties: the later candle */
    bool lo = first | (low <= h->pre_lo);
    h->pre_hi = pick(hi, high, h->pre_hi);
    h->pre_hi_at = pick_i64(hi, h->seq, h->pre_hi_at);
    h->pre_lo = pick(lo, low, h->pre_lo);
    h->pre_lo_at = pick_i64(lo, h->seq, h->pre_lo_at);
    h->seq++;
    if (++h->pos == h->period) {
        h->pos = 0;
        hilo_block_done(h);
    }
    return h->seq >= h->period ? RT_OK : RT_EAGAIN;
}

/* The extremes of the window ending at the latest candle, and where they are. */
static void hilo_get(const rt_hilo_t *h, double *hi, int64_t *hi_at, double *lo, int64_t *lo_at)
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
    *hi = pick(pre_hi, h->pre_hi, h->suf_hi[j]);
    *hi_at = pick_i64(pre_hi, h->pre_hi_at, h->suf_hi_at[j]);
    *lo = pick(pre_lo, h->pre_lo, h->suf_lo[j]);
    *lo_at = pick_i64(pre_lo, h->pre_lo_at, h->suf_lo_at[j]);
}

int rt_hilo_value(const rt_hilo_t *h, double *highest, double *lowest)
{
    if (h->period == 0 || h->seq < h->period)
        return RT_EAGAIN;
    int64_t a, b;
    hilo_get(h, highest, &a, lowest, &b);
    return RT_OK;
}

int rt_hilo_index(const rt_hilo_t *h, int64_t *highest_at, int64_t *lowest_at)
{
    if (h->period == 0 || h->seq < h->period)
        return RT_EAGAIN;
    double a, b;
    hilo_get(h, &a, highest_at, &b, lowest_at);
    return RT_OK;
}
