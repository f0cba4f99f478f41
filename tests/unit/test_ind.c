/* Indicators: TA-Lib 0.4's reference values for a real file, row by row; brute-force
 * comparisons for the rolling windows; long-run accuracy of the variance; odd candles (flat,
 * zero volume, gaps) and rejected inputs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "rt/csv.h"
#include "rt/err.h"
#include "rt/ind.h"
#include "rt_test.h"

#define BTC5M "data/btcusdt_5m_2023-01-02_2023-02-09.csv"
#define TALIB "data/reference/btcusdt_5m_2023-01-02_2023-02-09.talib.csv"

static rt_candle_t *load(const char *rel, size_t *n)
{
    char path[1024];
    rt_test_shared_path(path, sizeof path, rel);
    rt_candle_t *c = NULL;
    size_t line = 0;
    char why[256] = "";
    int rc = rt_csv_candles_load(path, "TEST", NULL, &c, n, &line, why, sizeof why);
    if (rc != RT_OK)
        fail_msg("load %s: %s (%s)", rel, rt_strerror(rc), why);
    return c;
}

static double d(rt_money_t v)
{
    return rt_money_to_double(v);
}

/* ---- the TA-Lib reference --------------------------------------------------------------- */

enum { C_SMA, C_EMA, C_RSI, C_MACD, C_MSIG, C_MHIST, C_BBU, C_BBM, C_BBL, C_ATR, N_COLS };
static const char *const col_names[N_COLS] = {"sma20",   "ema20",    "rsi14",     "macd",
                                              "macd_signal", "macd_hist", "bb_upper",
                                              "bb_middle",   "bb_lower",  "atr14"};

typedef struct {
    int64_t t;
    bool has[N_COLS];
    double v[N_COLS];
} ref_row_t;

static ref_row_t *load_reference(size_t *n_out)
{
    char path[1024];
    size_t len;
    char *text = rt_test_read_file(rt_test_shared_path(path, sizeof path, TALIB), &len);
    const char *want = "open_time_ms,sma20,ema20,rsi14,macd,macd_signal,macd_hist,bb_upper,"
                       "bb_middle,bb_lower,atr14\n";
    assert_memory_equal(text, want, strlen(want));
    size_t cap = 16384, n = 0;
    ref_row_t *rows = calloc(cap, sizeof *rows);
    assert_non_null(rows);
    char *p = text + strlen(want);
    while (*p != '\0') {
        assert_true(n < cap);
        ref_row_t *r = &rows[n];
        char *end;
        errno = 0;
        r->t = strtoll(p, &end, 10);
        assert_true(end != p && errno == 0 && *end == ',');
        p = end;
        for (int c = 0; c < N_COLS; c++) {
            assert_int_equal(*p, ',');
            p++;
            if (*p == ',' || *p == '\n' || *p == '\0')
                continue;
            errno = 0;
            r->v[c] = strtod(p, &end);
            if (end == p || errno != 0)
                fail_msg("reference row %zu column %s: bad number", n + 2, col_names[c]);
            r->has[c] = true;
            p = end;
        }
        assert_int_equal(*p, '\n');
        p++;
        n++;
    }
    free(text);
    *n_out = n;
    return rows;
}

static void test_talib_reference(void **state)
{
    (void)state;
    size_t n = 0, nref = 0;
    rt_candle_t *c = load(BTC5M, &n);
    ref_row_t *ref = load_reference(&nref);
    assert_int_equal(n, nref);

    rt_sma_t sma;
    rt_ema_t ema;
    rt_rsi_t rsi;
    rt_macd_t macd;
    rt_bbands_t bb;
    rt_atr_t atr;
    assert_int_equal(rt_sma_init(&sma, 20), RT_OK);
    assert_int_equal(rt_ema_init(&ema, 20), RT_OK);
    assert_int_equal(rt_rsi_init(&rsi, 14), RT_OK);
    assert_int_equal(rt_macd_init(&macd, 12, 26, 9), RT_OK);
    assert_int_equal(rt_bbands_init(&bb, 20, 2.0), RT_OK);
    assert_int_equal(rt_atr_init(&atr, 14), RT_OK);

    double worst[N_COLS] = {0};
    size_t checked[N_COLS] = {0};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(c[i].open_time, ref[i].t);
        double close = d(c[i].close);
        bool ready[N_COLS];
        double got[N_COLS] = {0};
        ready[C_SMA] = rt_sma_update(&sma, close) == RT_OK;
        ready[C_EMA] = rt_ema_update(&ema, close) == RT_OK;
        ready[C_RSI] = rt_rsi_update(&rsi, close) == RT_OK;
        int mr = rt_macd_update(&macd, close);
        ready[C_MACD] = ready[C_MSIG] = ready[C_MHIST] = mr == RT_OK;
        int br = rt_bbands_update(&bb, close);
        ready[C_BBU] = ready[C_BBM] = ready[C_BBL] = br == RT_OK;
        ready[C_ATR] = rt_atr_update(&atr, d(c[i].high), d(c[i].low), close) == RT_OK;

        /* value() agrees with update()'s verdict */
        rt_macd_value_t mv;
        rt_bbands_value_t bv;
        assert_int_equal(rt_sma_value(&sma, &got[C_SMA]), ready[C_SMA] ? RT_OK : RT_EAGAIN);
        assert_int_equal(rt_ema_value(&ema, &got[C_EMA]), ready[C_EMA] ? RT_OK : RT_EAGAIN);
        assert_int_equal(rt_rsi_value(&rsi, &got[C_RSI]), ready[C_RSI] ? RT_OK : RT_EAGAIN);
        assert_int_equal(rt_macd_value(&macd, &mv), ready[C_MACD] ? RT_OK : RT_EAGAIN);
        assert_int_equal(rt_bbands_value(&bb, &bv), ready[C_BBU] ? RT_OK : RT_EAGAIN);
        assert_int_equal(rt_atr_value(&atr, &got[C_ATR]), ready[C_ATR] ? RT_OK : RT_EAGAIN);
        if (ready[C_MACD]) {
            got[C_MACD] = mv.macd;
            got[C_MSIG] = mv.signal;
            got[C_MHIST] = mv.hist;
        }
        if (ready[C_BBU]) {
            got[C_BBU] = bv.upper;
            got[C_BBM] = bv.middle;
            got[C_BBL] = bv.lower;
        }
        for (int k = 0; k < N_COLS; k++) {
            if (ready[k] != ref[i].has[k])
                fail_msg("row %zu (t=%lld) %s: ours %s, TA-Lib's %s", i + 2,
                         (long long)ref[i].t, col_names[k], ready[k] ? "has a value" : "empty",
                         ref[i].has[k] ? "has a value" : "empty");
            if (!ready[k])
                continue;
            double want = ref[i].v[k];
            double err = fabs(got[k] - want) / fmax(1.0, fabs(want));
            if (err > 1e-9)
                fail_msg("row %zu (t=%lld) %s: got %.12g want %.12g (rel err %.3g)", i + 2,
                         (long long)ref[i].t, col_names[k], got[k], want, err);
            if (err > worst[k])
                worst[k] = err;
            checked[k]++;
        }
    }
    for (int k = 0; k < N_COLS; k++) {
        print_message("%-12s %6zu values, worst relative error %.2e\n", col_names[k], checked[k],
                      worst[k]);
        assert_true(checked[k] > n - 40);
    }
    rt_sma_cleanup(&sma);
    rt_bbands_cleanup(&bb);
    free(ref);
    free(c);
}

/* ---- brute force comparisons ------------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double rng_unit(uint64_t *s) /* [0, 1) */
{
    return (double)(rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static void test_windows_brute_force(void **state)
{
    (void)state;
    static const int periods[] = {1, 2, 3, 7, 20, 64};
    enum { N = 3000 };
    double *x = malloc(N * sizeof *x), *hi = malloc(N * sizeof *hi), *lo = malloc(N * sizeof *lo);
    assert_true(x && hi && lo);
    uint64_t s = 42;
    double p = 100.0;
    for (int i = 0; i < N; i++) {
        p += rng_unit(&s) - 0.5;
        /* runs of equal values exercise the deques' tie handling */
        x[i] = (i / 50) % 3 == 0 ? floor(p) : p;
        hi[i] = x[i] + floor(rng_unit(&s) * 3.0);
        lo[i] = x[i] - floor(rng_unit(&s) * 3.0);
    }
    for (size_t pi = 0; pi < sizeof periods / sizeof periods[0]; pi++) {
        int per = periods[pi];
        rt_sma_t sma;
        rt_hilo_t hl;
        rt_bbands_t bb;
        assert_int_equal(rt_sma_init(&sma, per), RT_OK);
        assert_int_equal(rt_hilo_init(&hl, per), RT_OK);
        int bbrc = rt_bbands_init(&bb, per, 2.5);
        assert_int_equal(bbrc, per >= 2 ? RT_OK : RT_EINVAL);
        for (int i = 0; i < N; i++) {
            int want_rc = i + 1 >= per ? RT_OK : RT_EAGAIN;
            assert_int_equal(rt_sma_update(&sma, x[i]), want_rc);
            assert_int_equal(rt_hilo_update(&hl, hi[i], lo[i]), want_rc);
            if (bbrc == RT_OK)
                assert_int_equal(rt_bbands_update(&bb, x[i]), want_rc);
            if (want_rc != RT_OK)
                continue;
            double sum = 0, mx = -INFINITY, mn = INFINITY;
            int mx_at = -1, mn_at = -1; /* the latest of equal extremes */
            for (int j = i - per + 1; j <= i; j++) {
                sum += x[j];
                if (hi[j] >= mx) {
                    mx = hi[j];
                    mx_at = j;
                }
                if (lo[j] <= mn) {
                    mn = lo[j];
                    mn_at = j;
                }
            }
            double mean = sum / per, var = 0;
            for (int j = i - per + 1; j <= i; j++)
                var += (x[j] - mean) * (x[j] - mean);
            var /= per;
            double got, h, l;
            assert_int_equal(rt_sma_value(&sma, &got), RT_OK);
            if (fabs(got - mean) > 1e-12 * fabs(mean))
                fail_msg("sma(%d) at %d: got %.17g want %.17g", per, i, got, mean);
            assert_int_equal(rt_hilo_value(&hl, &h, &l), RT_OK);
            if (h != mx || l != mn)
                fail_msg("hilo(%d) at %d: got %g/%g want %g/%g", per, i, h, l, mx, mn);
            int64_t h_at, l_at;
            assert_int_equal(rt_hilo_index(&hl, &h_at, &l_at), RT_OK);
            if (h_at != mx_at || l_at != mn_at)
                fail_msg("hilo(%d) at %d: indexes %lld/%lld want %d/%d", per, i, (long long)h_at,
                         (long long)l_at, mx_at, mn_at);
            if (bbrc == RT_OK) {
                rt_bbands_value_t bv;
                assert_int_equal(rt_bbands_value(&bb, &bv), RT_OK);
                double sd = sqrt(var);
                if (fabs(bv.stddev - sd) > 1e-9 * fmax(sd, 1e-6) ||
                    fabs(bv.upper - (mean + 2.5 * sd)) > 1e-12 * mean ||
                    fabs(bv.lower - (mean - 2.5 * sd)) > 1e-12 * mean)
                    fail_msg("bbands(%d) at %d: sd %.17g want %.17g", per, i, bv.stddev, sd);
            }
        }
        rt_sma_cleanup(&sma);
        rt_hilo_cleanup(&hl);
        rt_bbands_cleanup(&bb);
    }
    free(x);
    free(hi);
    free(lo);
}

/* A long run far from zero with a small spread: the case where a naive running sum of squares
 * loses every digit of the variance. The incremental standard deviation must stay within 1e-9
 * relative of a two-pass computation over the window, all the way. */
static void test_bbands_long_run_accuracy(void **state)
{
    (void)state;
    enum { N = 2000000, PER = 20 };
    rt_bbands_t bb;
    assert_int_equal(rt_bbands_init(&bb, PER, 2.0), RT_OK);
    double win[PER];
    uint64_t s = 7;
    double level = 5e7, worst = 0;
    for (int i = 0; i < N; i++) {
        level += (rng_unit(&s) - 0.5) * 0.01;
        double x = level + (rng_unit(&s) - 0.5) * 1e-3;
        win[i % PER] = x;
        int rc = rt_bbands_update(&bb, x);
        if (i + 1 < PER || i % 997 != 0)
            continue;
        assert_int_equal(rc, RT_OK);
        double mean = 0, var = 0;
        for (int j = 0; j < PER; j++)
            mean += win[j];
        mean /= PER;
        for (int j = 0; j < PER; j++)
            var += (win[j] - mean) * (win[j] - mean);
        double sd = sqrt(var / PER);
        rt_bbands_value_t bv;
        assert_int_equal(rt_bbands_value(&bb, &bv), RT_OK);
        double err = fabs(bv.stddev - sd) / sd;
        if (err > worst)
            worst = err;
        if (err > 1e-9)
            fail_msg("candle %d: stddev %.17g want %.17g (rel err %.3g)", i, bv.stddev, sd, err);
        if (fabs(bv.middle - mean) > 1e-15 * mean * PER)
            fail_msg("candle %d: middle %.17g want %.17g", i, bv.middle, mean);
    }
    print_message("bbands stddev over %d inputs at 5e7 +- 1e-3: worst relative error %.2e\n", N,
                  worst);
    rt_bbands_cleanup(&bb);
}

/* ---- odd candles ------------------------------------------------------------------------ */

typedef struct {
    rt_sma_t sma, vol;
    rt_ema_t ema;
    rt_rsi_t rsi;
    rt_macd_t macd;
    rt_bbands_t bb;
    rt_atr_t atr;
    rt_hilo_t hl;
} all_t;

static void all_init(all_t *a)
{
    assert_int_equal(rt_sma_init(&a->sma, 20), RT_OK);
    assert_int_equal(rt_sma_init(&a->vol, 20), RT_OK);
    assert_int_equal(rt_ema_init(&a->ema, 20), RT_OK);
    assert_int_equal(rt_rsi_init(&a->rsi, 14), RT_OK);
    assert_int_equal(rt_macd_init(&a->macd, 12, 26, 9), RT_OK);
    assert_int_equal(rt_bbands_init(&a->bb, 20, 2.0), RT_OK);
    assert_int_equal(rt_atr_init(&a->atr, 14), RT_OK);
    assert_int_equal(rt_hilo_init(&a->hl, 20), RT_OK);
}

static void all_cleanup(all_t *a)
{
    rt_sma_cleanup(&a->sma);
    rt_sma_cleanup(&a->vol);
    rt_bbands_cleanup(&a->bb);
    rt_hilo_cleanup(&a->hl);
}

static void finite_or_fail(double v, const char *what, const char *file, size_t i)
{
    if (!isfinite(v))
        fail_msg("%s: %s is not finite at candle %zu", file, what, i);
}

/* Feeds every candle to every indicator; every value must be finite, RSI within [0, 100],
 * bands ordered, ATR >= 0. */
static void run_all(const char *rel)
{
    size_t n = 0;
    rt_candle_t *c = load(rel, &n);
    all_t a;
    all_init(&a);
    for (size_t i = 0; i < n; i++) {
        double close = d(c[i].close), high = d(c[i].high), low = d(c[i].low);
        double v, h, l;
        rt_macd_value_t mv;
        rt_bbands_value_t bv;
        if (rt_sma_update(&a.sma, close) == RT_OK && rt_sma_value(&a.sma, &v) == RT_OK)
            finite_or_fail(v, "sma", rel, i);
        if (rt_sma_update(&a.vol, d(c[i].volume)) == RT_OK && rt_sma_value(&a.vol, &v) == RT_OK)
            assert_true(isfinite(v) && v >= 0);
        if (rt_ema_update(&a.ema, close) == RT_OK && rt_ema_value(&a.ema, &v) == RT_OK)
            finite_or_fail(v, "ema", rel, i);
        if (rt_rsi_update(&a.rsi, close) == RT_OK && rt_rsi_value(&a.rsi, &v) == RT_OK)
            if (!(v >= 0 && v <= 100))
                fail_msg("%s: rsi %g at %zu", rel, v, i);
        if (rt_macd_update(&a.macd, close) == RT_OK && rt_macd_value(&a.macd, &mv) == RT_OK) {
            finite_or_fail(mv.macd, "macd", rel, i);
            finite_or_fail(mv.signal, "macd signal", rel, i);
            finite_or_fail(mv.hist, "macd hist", rel, i);
        }
        if (rt_bbands_update(&a.bb, close) == RT_OK && rt_bbands_value(&a.bb, &bv) == RT_OK)
            if (!(isfinite(bv.upper) && isfinite(bv.lower) && bv.lower <= bv.middle &&
                  bv.middle <= bv.upper && bv.stddev >= 0))
                fail_msg("%s: bands %g %g %g at %zu", rel, bv.lower, bv.middle, bv.upper, i);
        if (rt_atr_update(&a.atr, high, low, close) == RT_OK && rt_atr_value(&a.atr, &v) == RT_OK)
            assert_true(isfinite(v) && v >= 0);
        if (rt_hilo_update(&a.hl, high, low) == RT_OK && rt_hilo_value(&a.hl, &h, &l) == RT_OK)
            assert_true(h >= l && h >= high && l <= low);
    }
    all_cleanup(&a);
    free(c);
}

static void test_shared_files_stay_finite(void **state)
{
    (void)state;
    run_all("data/btcusdt_1m_2023-03-01_2023-03-21.csv"); /* 658 flat zero-volume bars */
    run_all("data/altbtc_1m_2017-11-04_2017-11-14.csv");  /* 523 gaps, prices ~0.0016 */
    run_all("data/ethbtc_5m_2018-01-10_2018-01-30.csv");  /* small prices */
    run_all(BTC5M);
}

/* open = high = low = close, volume 0, forever: TA-Lib's conventions (RSI 0 without movement,
 * zero-width bands, ATR 0, MACD 0). */
static void test_flat_market(void **state)
{
    (void)state;
    all_t a;
    all_init(&a);
    for (int i = 0; i < 200; i++) {
        (void)rt_sma_update(&a.sma, 0.00162008);
        (void)rt_sma_update(&a.vol, 0.0);
        (void)rt_ema_update(&a.ema, 0.00162008);
        (void)rt_rsi_update(&a.rsi, 0.00162008);
        (void)rt_macd_update(&a.macd, 0.00162008);
        (void)rt_bbands_update(&a.bb, 0.00162008);
        (void)rt_atr_update(&a.atr, 0.00162008, 0.00162008, 0.00162008);
        (void)rt_hilo_update(&a.hl, 0.00162008, 0.00162008);
    }
    double v, h, l;
    rt_macd_value_t mv;
    rt_bbands_value_t bv;
    assert_int_equal(rt_rsi_value(&a.rsi, &v), RT_OK);
    assert_true(v == 0.0);
    assert_int_equal(rt_atr_value(&a.atr, &v), RT_OK);
    assert_true(v == 0.0);
    assert_int_equal(rt_sma_value(&a.vol, &v), RT_OK);
    assert_true(v == 0.0);
    assert_int_equal(rt_bbands_value(&a.bb, &bv), RT_OK);
    assert_true(bv.stddev == 0.0 && bv.upper == bv.middle && bv.lower == bv.middle);
    assert_true(fabs(bv.middle - 0.00162008) < 1e-18);
    assert_int_equal(rt_macd_value(&a.macd, &mv), RT_OK);
    assert_true(fabs(mv.macd) < 1e-18 && fabs(mv.hist) < 1e-18);
    assert_int_equal(rt_hilo_value(&a.hl, &h, &l), RT_OK);
    assert_true(h == l);
    /* A single tick of movement at a tiny price is movement (TA-Lib's 1e-8 threshold would
     * still say 0 here; see ind.h). */
    assert_int_equal(rt_rsi_update(&a.rsi, 0.00162009), RT_OK);
    assert_int_equal(rt_rsi_value(&a.rsi, &v), RT_OK);
    assert_true(v == 100.0);
    all_cleanup(&a);
}

static void test_rejected_inputs(void **state)
{
    (void)state;
    all_t a;
    all_init(&a);
    for (int i = 0; i < 60; i++) {
        double x = 100.0 + (i % 7);
        (void)rt_sma_update(&a.sma, x);
        (void)rt_ema_update(&a.ema, x);
        (void)rt_rsi_update(&a.rsi, x);
        (void)rt_macd_update(&a.macd, x);
        (void)rt_bbands_update(&a.bb, x);
        (void)rt_atr_update(&a.atr, x + 1, x - 1, x);
        (void)rt_hilo_update(&a.hl, x + 1, x - 1);
    }
    all_t before = a; /* the windows' rings are shared: compared through values below */
    double s0, e0, r0, t0, h0, l0;
    rt_macd_value_t m0;
    rt_bbands_value_t b0;
    assert_int_equal(rt_sma_value(&a.sma, &s0), RT_OK);
    assert_int_equal(rt_ema_value(&a.ema, &e0), RT_OK);
    assert_int_equal(rt_rsi_value(&a.rsi, &r0), RT_OK);
    assert_int_equal(rt_atr_value(&a.atr, &t0), RT_OK);
    assert_int_equal(rt_macd_value(&a.macd, &m0), RT_OK);
    assert_int_equal(rt_bbands_value(&a.bb, &b0), RT_OK);
    assert_int_equal(rt_hilo_value(&a.hl, &h0, &l0), RT_OK);

    static const struct {
        double x;
        int rc;
    } bad[] = {{NAN, RT_EINVAL}, {INFINITY, RT_EINVAL}, {-INFINITY, RT_EINVAL},
               {2e15, RT_ERANGE}, {-2e15, RT_ERANGE}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(rt_sma_update(&a.sma, bad[i].x), bad[i].rc);
        assert_int_equal(rt_ema_update(&a.ema, bad[i].x), bad[i].rc);
        assert_int_equal(rt_rsi_update(&a.rsi, bad[i].x), bad[i].rc);
        assert_int_equal(rt_macd_update(&a.macd, bad[i].x), bad[i].rc);
        assert_int_equal(rt_bbands_update(&a.bb, bad[i].x), bad[i].rc);
        assert_int_equal(rt_atr_update(&a.atr, bad[i].x, 1, 1), bad[i].rc);
        assert_int_equal(rt_atr_update(&a.atr, 1, 1, bad[i].x), bad[i].rc);
        assert_int_equal(rt_hilo_update(&a.hl, 1, bad[i].x), bad[i].rc);
    }
    assert_int_equal(rt_atr_update(&a.atr, 1.0, 2.0, 1.5), RT_EINVAL); /* high < low */
    assert_int_equal(rt_hilo_update(&a.hl, 1.0, 2.0), RT_EINVAL);

    assert_memory_equal(&a.ema, &before.ema, sizeof a.ema);
    assert_memory_equal(&a.rsi, &before.rsi, sizeof a.rsi);
    assert_memory_equal(&a.macd, &before.macd, sizeof a.macd);
    assert_memory_equal(&a.atr, &before.atr, sizeof a.atr);
    assert_memory_equal(&a.sma.w, &before.sma.w, sizeof a.sma.w);
    assert_memory_equal(&a.hl, &before.hl, sizeof a.hl);
    double v, h, l;
    assert_int_equal(rt_sma_value(&a.sma, &v), RT_OK);
    assert_true(v == s0);
    assert_int_equal(rt_hilo_value(&a.hl, &h, &l), RT_OK);
    assert_true(h == h0 && l == l0);
    (void)e0;
    (void)r0;
    (void)t0;
    (void)m0;
    (void)b0;
    all_cleanup(&a);
}

static void test_init_and_reset(void **state)
{
    (void)state;
    rt_sma_t s;
    rt_ema_t e;
    rt_rsi_t r;
    rt_macd_t m;
    rt_bbands_t b;
    rt_atr_t a;
    rt_hilo_t h;
    static const int bad_periods[] = {0, -1, RT_IND_PERIOD_MAX + 1, INT32_MIN};
    for (size_t i = 0; i < sizeof bad_periods / sizeof bad_periods[0]; i++) {
        int p = bad_periods[i];
        assert_int_equal(rt_sma_init(&s, p), RT_EINVAL);
        assert_int_equal(rt_ema_init(&e, p), RT_EINVAL);
        assert_int_equal(rt_rsi_init(&r, p), RT_EINVAL);
        assert_int_equal(rt_bbands_init(&b, p, 2.0), RT_EINVAL);
        assert_int_equal(rt_atr_init(&a, p), RT_EINVAL);
        assert_int_equal(rt_hilo_init(&h, p), RT_EINVAL);
    }
    assert_int_equal(rt_rsi_init(&r, 1), RT_EINVAL);
    assert_int_equal(rt_bbands_init(&b, 1, 2.0), RT_EINVAL);
    assert_int_equal(rt_bbands_init(&b, 20, -1.0), RT_EINVAL);
    assert_int_equal(rt_bbands_init(&b, 20, NAN), RT_EINVAL);
    assert_int_equal(rt_macd_init(&m, 26, 12, 9), RT_EINVAL);
    assert_int_equal(rt_macd_init(&m, 12, 12, 9), RT_EINVAL);
    assert_int_equal(rt_macd_init(&m, 1, 12, 9), RT_EINVAL);
    assert_int_equal(rt_macd_init(&m, 12, 26, 0), RT_EINVAL);
    assert_int_equal(rt_sma_init(NULL, 5), RT_EINVAL);

    /* reset: the same inputs give the same values again */
    assert_int_equal(rt_macd_init(&m, 3, 5, 2), RT_OK);
    assert_int_equal(rt_bbands_init(&b, 4, 2.0), RT_OK);
    assert_int_equal(rt_rsi_init(&r, 3), RT_OK);
    rt_macd_value_t m1, m2;
    rt_bbands_value_t b1, b2;
    double r1, r2;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 30; i++) {
            double x = 10.0 + sin(i);
            (void)rt_macd_update(&m, x);
            (void)rt_bbands_update(&b, x);
            (void)rt_rsi_update(&r, x);
        }
        assert_int_equal(rt_macd_value(&m, pass ? &m2 : &m1), RT_OK);
        assert_int_equal(rt_bbands_value(&b, pass ? &b2 : &b1), RT_OK);
        assert_int_equal(rt_rsi_value(&r, pass ? &r2 : &r1), RT_OK);
        rt_macd_reset(&m);
        rt_bbands_reset(&b);
        rt_rsi_reset(&r);
        assert_int_equal(rt_macd_value(&m, &m2), RT_EAGAIN);
        assert_int_equal(rt_bbands_value(&b, &b2), RT_EAGAIN);
    }
    assert_memory_equal(&m1, &m2, sizeof m1);
    assert_memory_equal(&b1, &b2, sizeof b1);
    assert_true(r1 == r2);
    assert_int_equal(rt_bbands_set_k(&b, 3.0), RT_OK);
    assert_int_equal(rt_bbands_set_k(&b, -0.5), RT_EINVAL);
    rt_bbands_cleanup(&b);
    rt_bbands_cleanup(&b); /* twice is harmless */
    rt_sma_cleanup(NULL);
    rt_hilo_cleanup(NULL);

    /* the MACD's first output: candle slow + signal - 1 */
    assert_int_equal(rt_macd_init(&m, 12, 26, 9), RT_OK);
    for (int i = 1; i <= 34; i++)
        assert_int_equal(rt_macd_update(&m, 100.0 + i), i >= 34 ? RT_OK : RT_EAGAIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_talib_reference),
        cmocka_unit_test(test_windows_brute_force),
        cmocka_unit_test(test_bbands_long_run_accuracy),
        cmocka_unit_test(test_shared_files_stay_finite),
        cmocka_unit_test(test_flat_market),
        cmocka_unit_test(test_rejected_inputs),
        cmocka_unit_test(test_init_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
