/* Analyzer throughput, one core, candles loaded in memory first (parsing excluded):
 *  (1) candle updates per second with every strategy enabled, over the given CSV files,
 *      repeated until at least --min candles were fed: straight through the strategies
 *      (the core: each candle converted and the symbol's shared indicators updated once, as
 *      the engine does, then every strategy) and through the service's engine (filter,
 *      history ring, signal delivery);
 *  (2) the Bollinger strategy alone over the same candles (bench/run_analyzer_bench.sh sets it
 *      against the seed's Python strategy, bench/seed_bollinger.py, in the same run).
 *
 *   analyzer_bench [--min N] FILE.csv...
 *
 * Prints one line of key=value figures. Times are the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), so that other processes sharing the machine do not count; the
 * seed's Python is timed the same way (time.thread_time). Every state is created before its
 * timed loop and freed after it; a repeat starts from fresh states (the files' times would go
 * backwards). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer/engine.h"
#include "analyzer/strategy.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/str.h"

#define FILES_MAX 32

/* CPU time of this thread in ns. */
static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct {
    rt_candle_t *c;
    size_t n;
} series_t;

typedef struct {
    uint64_t candles;
    uint64_t signals;
    int64_t ns;
} run_t;

/* Feeds every file once through fresh states of the given strategies. */
static int pass_core(const series_t *f, size_t nf, const an_strategy_t *const *s, size_t ns,
                     run_t *r)
{
    an_params_t p[AN_STRATEGIES_MAX];
    void *st[AN_STRATEGIES_MAX] = {0};
    int rc = RT_OK;
    for (size_t k = 0; k < ns; k++)
        an_params_defaults(&p[k], s[k]);
    for (size_t i = 0; i < nf && rc == RT_OK; i++) {
        an_shared_t sh; /* as the engine keeps one per symbol */
        rc = an_shared_init(&sh, AN_SHARED_RSI_PERIOD);
        for (size_t k = 0; k < ns && rc == RT_OK; k++)
            rc = s[k]->state_new(&p[k], &st[k]);
        int64_t t0 = cpu_ns();
        for (size_t j = 0; j < f[i].n && rc == RT_OK; j++) {
            an_candle_t kc; /* as the engine does: once for every strategy */
            an_shared_next(&sh, &f[i].c[j], &kc);
            for (size_t k = 0; k < ns; k++) {
                rt_signal_t sig;
                int x = s[k]->on_candle(st[k], &kc, &sig);
                if (x == 1)
                    r->signals++;
                else if (x < 0)
                    rc = x;
            }
        }
        r->ns += cpu_ns() - t0;
        r->candles += f[i].n;
        for (size_t k = 0; k < ns; k++) {
            s[k]->state_free(st[k]);
            st[k] = NULL;
        }
    }
    return rc;
}

static void count_signal(void *ud, const rt_signal_t *sig)
{
    (void)sig;
    (*(uint64_t *)ud)++;
}

/* Feeds every file once through a fresh engine with every strategy enabled. */
static int pass_engine(const series_t *f, size_t nf, run_t *r)
{
    int rc = RT_OK;
    for (size_t i = 0; i < nf && rc == RT_OK; i++) {
        const char *sym = f[i].c[0].symbol;
        an_engine_t *e = NULL;
        rc = an_engine_new(&sym, 1, f[i].c[0].interval, AN_HISTORY_DEFAULT, &e);
        for (size_t k = 0; rc == RT_OK && k < an_engine_strategy_count(e); k++)
            rc = an_engine_configure(e, k, true, an_engine_params(e, k));
        int64_t t0 = cpu_ns();
        for (size_t j = 0; j < f[i].n && rc == RT_OK; j++)
            if (an_engine_candle(e, &f[i].c[j], true, count_signal, &r->signals) != AN_CANDLE_FED)
                rc = RT_EINVAL;
        r->ns += cpu_ns() - t0;
        r->candles += f[i].n;
        an_engine_free(e);
    }
    return rc;
}

static double per_s(const run_t *r)
{
    return r->ns > 0 ? (double)r->candles * 1e9 / (double)r->ns : 0.0;
}

int main(int argc, char **argv)
{
    series_t f[FILES_MAX];
    size_t nf = 0;
    int64_t min = 1000000;
    int status = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--min") == 0 && i + 1 < argc) {
            if (rt_str_parse_int64(argv[++i], &min) != RT_OK || min < 1) {
                fprintf(stderr, "analyzer_bench: --min takes a positive integer\n");
                return 2;
            }
            continue;
        }
        if (nf == FILES_MAX) {
            fprintf(stderr, "analyzer_bench: at most %d files\n", FILES_MAX);
            return 2;
        }
        char why[256] = "";
        char sym[16];
        snprintf(sym, sizeof sym, "BENCH%zu", nf);
        int rc = rt_csv_candles_load(argv[i], sym, NULL, &f[nf].c, &f[nf].n, NULL, why, sizeof why);
        if (rc != RT_OK || f[nf].n == 0) {
            fprintf(stderr, "analyzer_bench: %s: %s\n", argv[i], rc ? why : "no candles");
            free(f[nf].c);
            goto out;
        }
        nf++;
    }
    if (nf == 0) {
        fprintf(stderr, "usage: analyzer_bench [--min N] FILE.csv...\n");
        status = 2;
        goto out;
    }
    size_t count = 0;
    const an_strategy_t *const *all = an_registry_all(&count);
    const an_strategy_t *bb = an_registry_find("Bollinger_Bands");
    uint64_t per_pass = 0;
    for (size_t i = 0; i < nf; i++)
        per_pass += f[i].n;

    run_t core = {0}, eng = {0}, boll = {0}, boll_once = {0};
    int rc = RT_OK;
    while (rc == RT_OK && core.candles < (uint64_t)min)
        rc = pass_core(f, nf, all, count, &core);
    while (rc == RT_OK && eng.candles < (uint64_t)min)
        rc = pass_engine(f, nf, &eng);
    if (rc == RT_OK && bb != NULL)
        rc = pass_core(f, nf, &bb, 1, &boll_once); /* signal count of one pass */
    while (rc == RT_OK && bb != NULL && boll.candles < (uint64_t)min)
        rc = pass_core(f, nf, &bb, 1, &boll);
    if (rc != RT_OK || bb == NULL) {
        fprintf(stderr, "analyzer_bench: %s\n", rt_strerror(rc != RT_OK ? rc : RT_ENOTFOUND));
        goto out;
    }
    printf("analyzer_bench files=%zu candles_per_pass=%llu strategies=%zu "
           "all_candles=%llu all_updates_per_s=%.0f all_ns_per_candle=%.1f "
           "engine_candles=%llu engine_updates_per_s=%.0f engine_ns_per_candle=%.1f "
           "bollinger_candles=%llu bollinger_updates_per_s=%.0f bollinger_signals_per_pass=%llu\n",
           nf, (unsigned long long)per_pass, count, (unsigned long long)core.candles, per_s(&core),
           1e9 / per_s(&core), (unsigned long long)eng.candles, per_s(&eng), 1e9 / per_s(&eng),
           (unsigned long long)boll.candles, per_s(&boll), (unsigned long long)boll_once.signals);
    status = 0;
out:
    for (size_t i = 0; i < nf; i++)
        free(f[i].c);
    return status;
}
