/* Backtest throughput (not a timed test: bench/backtest_bench.sh runs it). Prints one
 * machine-readable line per figure:
 *
 *   one    load the CSV (parsing included) and run SimpleMA_Cross on it, best of 10
 *   all    every strategy over about a million 1m candles (the file repeated in memory,
 *          each copy shifted in time after the previous one)
 *   sweep  a 100-point SimpleMA_Cross grid (SHORT_WINDOW 5..14 x LONG_WINDOW 20..110) over a
 *          year of 1m candles (525600, synthesized the same way), on every core
 *
 * usage: backtest_bench FILE [one|all|sweep]... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backtest/engine.h"
#include "backtest/sweep.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/time.h"

/* CPU time of the process in ns: on a machine shared with other work, wall time measures the
 * neighbours too; CPU time measures us (single-threaded parts only). */
static int64_t cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int load(const char *path, rt_candle_t **c, size_t *n)
{
    char why[512];
    size_t line = 0;
    int rc = rt_csv_candles_load(path, "BTCUSDT", NULL, c, n, &line, why, sizeof why);
    if (rc != RT_OK)
        fprintf(stderr, "backtest_bench: %s: %s\n", path, why);
    return rc;
}

static void series_of(bt_series_t *s, const rt_candle_t *c, size_t n)
{
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "BTCUSDT");
    snprintf(s->base_asset, sizeof s->base_asset, "BTC");
    snprintf(s->quote_asset, sizeof s->quote_asset, "USDT");
    s->candles = c;
    s->count = n;
}

/* want candles: copies of src shifted so open times keep increasing. */
static rt_candle_t *synthesize(const rt_candle_t *src, size_t n, size_t want)
{
    rt_candle_t *out = malloc(want * sizeof *out);
    if (out == NULL)
        return NULL;
    int64_t span = src[n - 1].open_time - src[0].open_time + (src[1].open_time - src[0].open_time);
    for (size_t i = 0; i < want; i++) {
        size_t copy = i / n;
        out[i] = src[i % n];
        out[i].open_time += (int64_t)copy * span;
        out[i].close_time += (int64_t)copy * span;
    }
    return out;
}

static int bench_one(const char *path)
{
    int64_t best = INT64_MAX, best_cpu = INT64_MAX;
    size_t n = 0;
    bt_result_t r;
    memset(&r, 0, sizeof r);
    for (int rep = 0; rep < 10; rep++) {
        int64_t t0 = rt_time_mono_ns(), c0 = cpu_ns();
        rt_candle_t *c = NULL;
        if (load(path, &c, &n) != RT_OK)
            return 1;
        bt_series_t s;
        series_of(&s, c, n);
        bt_config_t cfg;
        bt_config_default(&cfg);
        char err[BT_ERR_CAP];
        bt_result_cleanup(&r);
        int rc = bt_run(&cfg, &s, 1, &r, err, sizeof err);
        int64_t dt = rt_time_mono_ns() - t0, dc = cpu_ns() - c0;
        free(c);
        if (rc != RT_OK) {
            fprintf(stderr, "backtest_bench: %s\n", err);
            return 1;
        }
        if (dt < best)
            best = dt;
        if (dc < best_cpu)
            best_cpu = dc;
    }
    printf("bench=backtest_one strategy=SimpleMA_Cross candles=%zu trades=%zu ms=%.3f "
           "candles_per_s=%.0f cpu_ms=%.3f candles_per_cpu_s=%.0f (csv parse included, best of "
           "10)\n",
           n, r.trades, (double)best / 1e6, (double)n / ((double)best / 1e9),
           (double)best_cpu / 1e6, (double)n / ((double)best_cpu / 1e9));
    bt_result_cleanup(&r);
    return 0;
}

static int bench_all(const char *path)
{
    rt_candle_t *src = NULL;
    size_t n = 0;
    if (load(path, &src, &n) != RT_OK)
        return 1;
    size_t want = 1000000;
    rt_candle_t *c = synthesize(src, n, want);
    free(src);
    if (c == NULL)
        return 1;
    bt_series_t s;
    series_of(&s, c, want);
    size_t count;
    const an_strategy_t *const *all = an_registry_all(&count);
    int status = 0;
    for (size_t i = 0; i < count; i++) {
        bt_config_t cfg;
        bt_config_default(&cfg);
        cfg.strategy = all[i];
        an_params_defaults(&cfg.params, all[i]);
        bt_result_t r;
        char err[BT_ERR_CAP];
        int64_t t0 = rt_time_mono_ns(), c0 = cpu_ns();
        int rc = bt_run(&cfg, &s, 1, &r, err, sizeof err);
        int64_t dt = rt_time_mono_ns() - t0, dc = cpu_ns() - c0;
        if (rc != RT_OK) {
            fprintf(stderr, "backtest_bench: %s: %s\n", all[i]->name, err);
            status = 1;
            continue;
        }
        printf("bench=backtest_all strategy=%s candles=%zu signals=%zu trades=%zu ms=%.1f "
               "candles_per_s=%.0f cpu_ms=%.1f candles_per_cpu_s=%.0f\n",
               all[i]->name, want, r.signals, r.trades, (double)dt / 1e6,
               (double)want / ((double)dt / 1e9), (double)dc / 1e6,
               (double)want / ((double)dc / 1e9));
        bt_result_cleanup(&r);
    }
    free(c);
    return status;
}

static int bench_sweep(const char *path)
{
    rt_candle_t *src = NULL;
    size_t n = 0;
    if (load(path, &src, &n) != RT_OK)
        return 1;
    size_t want = 525600;
    rt_candle_t *c = synthesize(src, n, want);
    free(src);
    if (c == NULL)
        return 1;
    bt_series_t s;
    series_of(&s, c, want);
    bt_config_t cfg;
    bt_config_default(&cfg);
    bt_axis_t axes[2];
    char err[BT_ERR_CAP];
    if (bt_axis_parse("SHORT_WINDOW=5:14:1", &axes[0], err, sizeof err) != RT_OK ||
        bt_axis_parse("LONG_WINDOW=20:110:10", &axes[1], err, sizeof err) != RT_OK) {
        free(c);
        return 1;
    }
    bt_sweep_result_t sr;
    int64_t t0 = rt_time_mono_ns(), c0 = cpu_ns();
    int rc =
        bt_sweep_run(&cfg, axes, 2, &s, 1, 0, BT_RANK_SHARPE, 10, NULL, NULL, &sr, err, sizeof err);
    int64_t dt = rt_time_mono_ns() - t0, dc = cpu_ns() - c0;
    free(c);
    if (rc != RT_OK) {
        fprintf(stderr, "backtest_bench: sweep: %s\n", err);
        return 1;
    }
    printf("bench=backtest_sweep strategy=SimpleMA_Cross points=%zu ran=%zu candles=%zu "
           "seconds=%.2f candles_per_s=%.0f cpu_seconds=%.2f best_sharpe=%.3f\n",
           sr.total, sr.ran, want, (double)dt / 1e9,
           (double)want * (double)sr.ran / ((double)dt / 1e9), (double)dc / 1e9,
           sr.top_count ? sr.top[0].result.sharpe : 0.0);
    bt_sweep_result_cleanup(&sr);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: backtest_bench FILE [one|all|sweep]...\n");
        return 2;
    }
    int status = 0;
    for (int i = 2; i < argc || i == 2; i++) {
        const char *mode = i < argc ? argv[i] : "one";
        if (strcmp(mode, "one") == 0)
            status |= bench_one(argv[1]);
        else if (strcmp(mode, "all") == 0)
            status |= bench_all(argv[1]);
        else if (strcmp(mode, "sweep") == 0)
            status |= bench_sweep(argv[1]);
        else {
            fprintf(stderr, "backtest_bench: unknown mode %s (one, all, sweep)\n", mode);
            return 2;
        }
        if (i >= argc)
            break;
    }
    return status;
}
