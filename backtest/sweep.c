/* Parameter sweeps: see sweep.h. */
#include "backtest/sweep.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt/err.h"
#include "rt/time.h"

static int bt_parse_num(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return RT_EINVAL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + n || errno != 0 || !isfinite(v))
        return RT_EINVAL;
    *out = v;
    return RT_OK;
}

int bt_axis_parse(const char *spec, bt_axis_t *out, char *err, size_t cap)
{
    char e[1];
    if (err == NULL) {
        err = e;
        cap = sizeof e;
    }
    if (spec == NULL || out == NULL)
        return RT_EINVAL;
    const char *eq = strchr(spec, '=');
    const char *c1 = eq ? strchr(eq + 1, ':') : NULL;
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (eq == NULL || c1 == NULL || c2 == NULL || eq == spec ||
        (size_t)(eq - spec) >= BT_AXIS_NAME_CAP) {
        snprintf(err, cap, "--sweep %s: expected NAME=FROM:TO:STEP", spec);
        return RT_EINVAL;
    }
    bt_axis_t a;
    memset(&a, 0, sizeof a);
    memcpy(a.name, spec, (size_t)(eq - spec));
    if (bt_parse_num(eq + 1, (size_t)(c1 - eq - 1), &a.from) != RT_OK ||
        bt_parse_num(c1 + 1, (size_t)(c2 - c1 - 1), &a.to) != RT_OK ||
        bt_parse_num(c2 + 1, strlen(c2 + 1), &a.step) != RT_OK) {
        snprintf(err, cap, "--sweep %s: FROM, TO and STEP must be numbers", spec);
        return RT_EINVAL;
    }
    if (!(a.step > 0) || a.to < a.from) {
        snprintf(err, cap, "--sweep %s: STEP must be > 0 and TO >= FROM", spec);
        return RT_EINVAL;
    }
    double n = floor((a.to - a.from) / a.step * (1.0 + 1e-9) + 1e-9) + 1.0;
    if (!(n >= 1.0) || n > (double)BT_AXIS_POINTS_MAX) {
        snprintf(err, cap, "--sweep %s: more than %d points", spec, BT_AXIS_POINTS_MAX);
        return RT_ERANGE;
    }
    a.count = (size_t)n;
    *out = a;
    return RT_OK;
}

static const struct {
    const char *name;
    bt_rank_t rank;
} bt_ranks[] = {
    {"return_pct", BT_RANK_RETURN},
    {"return", BT_RANK_RETURN},
    {"sharpe", BT_RANK_SHARPE},
    {"sortino", BT_RANK_SORTINO},
    {"profit_factor", BT_RANK_PROFIT_FACTOR},
    {"net_pnl_closed", BT_RANK_NET_PNL},
    {"net_pnl", BT_RANK_NET_PNL},
    {"max_drawdown_pct", BT_RANK_MAX_DRAWDOWN},
    {"max_drawdown", BT_RANK_MAX_DRAWDOWN},
    {"win_rate", BT_RANK_WIN_RATE},
};

int bt_rank_parse(const char *s, bt_rank_t *out)
{
    if (s == NULL || out == NULL)
        return RT_EINVAL;
    for (size_t i = 0; i < sizeof bt_ranks / sizeof bt_ranks[0]; i++)
        if (strcmp(s, bt_ranks[i].name) == 0) {
            *out = bt_ranks[i].rank;
            return RT_OK;
        }
    return RT_EINVAL;
}

const char *bt_rank_names(void)
{
    return "return_pct, sharpe, sortino, profit_factor, net_pnl_closed, max_drawdown_pct, "
           "win_rate";
}

static double bt_finite(double v)
{
    if (isnan(v))
        return -DBL_MAX;
    if (isinf(v))
        return v > 0 ? DBL_MAX : -DBL_MAX;
    return v;
}

double bt_rank_score(bt_rank_t rank, const bt_result_t *r)
{
    switch (rank) {
    case BT_RANK_RETURN:
        return bt_finite(r->return_pct);
    case BT_RANK_SHARPE:
        return bt_finite(r->sharpe);
    case BT_RANK_SORTINO:
        return bt_finite(r->sortino);
    case BT_RANK_PROFIT_FACTOR:
        return bt_finite(r->profit_factor);
    case BT_RANK_NET_PNL:
        return (double)r->net_pnl_closed;
    case BT_RANK_MAX_DRAWDOWN:
        return -bt_finite(r->max_drawdown_pct);
    case BT_RANK_WIN_RATE:
        return r->closed_trades ? (double)r->wins / (double)r->closed_trades : 0.0;
    }
    return 0.0;
}

int bt_sweep_point(const bt_config_t *base, const bt_axis_t *axes, size_t naxes, size_t index,
                   bt_config_t *out, double *values, char *err, size_t cap)
{
    char local[8];
    if (err == NULL || cap == 0) { /* the strategies' checks write their reason somewhere */
        err = local;
        cap = sizeof local;
    }
    if (base == NULL || axes == NULL || out == NULL || naxes > BT_AXES_MAX)
        return RT_EINVAL;
    bt_config_t cfg = *base;
    size_t idx[BT_AXES_MAX];
    for (size_t k = naxes; k-- > 0;) {
        idx[k] = index % axes[k].count;
        index /= axes[k].count;
    }
    double v[BT_AXES_MAX];
    for (size_t k = 0; k < naxes; k++) {
        v[k] = axes[k].from + (double)idx[k] * axes[k].step;
        char text[48];
        snprintf(text, sizeof text, "%.10g", v[k]);
        int rc = bt_config_set(&cfg, axes[k].name, text, err, cap);
        if (rc != RT_OK)
            return rc;
    }
    if (cfg.strategy->check != NULL && cfg.strategy->check(&cfg.params, err, cap) != RT_OK)
        return RT_EINVAL;
    *out = cfg;
    if (values != NULL)
        memcpy(values, v, naxes * sizeof v[0]);
    return RT_OK;
}

/* better(a, b): a ranks before b (score desc, then index asc). */
static int bt_entry_cmp(const void *pa, const void *pb)
{
    const bt_sweep_entry_t *a = pa, *b = pb;
    if (a->score > b->score)
        return -1;
    if (a->score < b->score)
        return 1;
    return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

typedef struct bt_sweep bt_sweep_t;

typedef struct {
    bt_sweep_t *sw;
    bt_sweep_entry_t *top; /* top_n, sorted best first */
    size_t count;
    size_t ran, invalid;
    size_t fail_index; /* SIZE_MAX when none */
    int fail_rc;
    char fail_msg[BT_ERR_CAP];
} bt_worker_t;

struct bt_sweep {
    const bt_config_t *base;
    const bt_axis_t *axes;
    size_t naxes;
    const bt_series_t *series;
    size_t nseries;
    bt_rank_t rank;
    size_t top_n;
    size_t total;
    atomic_size_t next;
    atomic_size_t done;
    atomic_bool stop;
};

static void bt_worker_keep(bt_worker_t *w, const bt_sweep_entry_t *e)
{
    size_t n = w->count;
    if (n == w->sw->top_n && bt_entry_cmp(e, &w->top[n - 1]) >= 0)
        return;
    if (n < w->sw->top_n)
        n++;
    size_t i = n - 1;
    while (i > 0 && bt_entry_cmp(e, &w->top[i - 1]) < 0) {
        w->top[i] = w->top[i - 1];
        i--;
    }
    w->top[i] = *e;
    w->count = n;
}

static void *bt_worker_main(void *arg)
{
    bt_worker_t *w = arg;
    bt_sweep_t *sw = w->sw;
    char err[BT_ERR_CAP];
    for (;;) {
        if (atomic_load(&sw->stop))
            break;
        size_t i = atomic_fetch_add(&sw->next, 1);
        if (i >= sw->total)
            break;
        bt_config_t cfg;
        bt_sweep_entry_t e;
        memset(&e, 0, sizeof e);
        e.index = i;
        err[0] = '\0';
        int rc = bt_sweep_point(sw->base, sw->axes, sw->naxes, i, &cfg, e.values, err, sizeof err);
        if (rc == RT_OK) {
            cfg.record = false;
            rc = bt_run(&cfg, sw->series, sw->nseries, &e.result, err, sizeof err);
            if (rc == RT_OK) {
                e.score = bt_rank_score(sw->rank, &e.result);
                bt_worker_keep(w, &e);
                w->ran++;
            } else if (i < w->fail_index) {
                w->fail_index = i;
                w->fail_rc = rc;
                snprintf(w->fail_msg, sizeof w->fail_msg, "%s", err);
                atomic_store(&sw->stop, true);
            }
        } else {
            w->invalid++;
        }
        atomic_fetch_add(&sw->done, 1);
    }
    return NULL;
}

void bt_sweep_result_cleanup(bt_sweep_result_t *r)
{
    if (r == NULL)
        return;
    free(r->top);
    memset(r, 0, sizeof *r);
}

int bt_sweep_run(const bt_config_t *base, const bt_axis_t *axes, size_t naxes,
                 const bt_series_t *series, size_t nseries, unsigned threads, bt_rank_t rank,
                 size_t top_n, bt_progress_fn progress, void *ud, bt_sweep_result_t *out, char *err,
                 size_t cap)
{
    if (base == NULL || axes == NULL || naxes == 0 || naxes > BT_AXES_MAX || out == NULL ||
        top_n == 0 || top_n > 100000) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "sweep: 1..%d axes and a positive top count are needed",
                     BT_AXES_MAX);
        return RT_EINVAL;
    }
    bt_sweep_t sw = {.base = base,
                     .axes = axes,
                     .naxes = naxes,
                     .series = series,
                     .nseries = nseries,
                     .rank = rank,
                     .top_n = top_n,
                     .total = 1};
    for (size_t k = 0; k < naxes; k++) {
        if (axes[k].count == 0 || sw.total > BT_GRID_POINTS_MAX / axes[k].count) {
            if (err != NULL && cap > 0)
                snprintf(err, cap, "sweep: more than %d grid points", BT_GRID_POINTS_MAX);
            return RT_EINVAL;
        }
        sw.total *= axes[k].count;
    }
    atomic_init(&sw.next, 0);
    atomic_init(&sw.done, 0);
    atomic_init(&sw.stop, false);
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    if (threads > 256)
        threads = 256;
    if (threads > sw.total)
        threads = (unsigned)sw.total;
    int rc = RT_OK;
    bt_worker_t *workers = calloc(threads, sizeof *workers);
    pthread_t *tids = calloc(threads, sizeof *tids);
    bt_sweep_entry_t *all = NULL;
    unsigned started = 0;
    if (workers == NULL || tids == NULL) {
        rc = RT_ENOMEM;
        goto out;
    }
    for (unsigned t = 0; t < threads; t++) {
        workers[t].sw = &sw;
        workers[t].fail_index = SIZE_MAX;
        workers[t].top = calloc(top_n, sizeof *workers[t].top);
        if (workers[t].top == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
    }
    for (; started < threads; started++)
        if (pthread_create(&tids[started], NULL, bt_worker_main, &workers[started]) != 0) {
            atomic_store(&sw.stop, true);
            rc = RT_ENOMEM;
            break;
        }
    if (progress != NULL && rc == RT_OK) {
        while (atomic_load(&sw.done) < sw.total && !atomic_load(&sw.stop)) {
            progress(ud, atomic_load(&sw.done), sw.total);
            rt_time_sleep_ms(100);
        }
        progress(ud, atomic_load(&sw.done), sw.total);
    }
    for (unsigned t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    if (rc != RT_OK)
        goto out;
    /* the failure at the lowest index, if any */
    const bt_worker_t *failed = NULL;
    for (unsigned t = 0; t < threads; t++)
        if (workers[t].fail_index != SIZE_MAX &&
            (failed == NULL || workers[t].fail_index < failed->fail_index))
            failed = &workers[t];
    if (failed != NULL) {
        if (err != NULL && cap > 0)
            snprintf(err, cap, "sweep point %zu failed: %s", failed->fail_index, failed->fail_msg);
        rc = failed->fail_rc;
        goto out;
    }
    size_t n = 0, ran = 0, invalid = 0;
    for (unsigned t = 0; t < threads; t++) {
        n += workers[t].count;
        ran += workers[t].ran;
        invalid += workers[t].invalid;
    }
    if (n > 0) {
        all = malloc(n * sizeof *all);
        if (all == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
    }
    size_t k = 0;
    for (unsigned t = 0; t < threads; t++) {
        memcpy(all + k, workers[t].top, workers[t].count * sizeof *all);
        k += workers[t].count;
    }
    if (n > 1)
        qsort(all, n, sizeof *all, bt_entry_cmp);
    out->total = sw.total;
    out->ran = ran;
    out->invalid = invalid;
    out->top_count = n < top_n ? n : top_n;
    out->top = all;
    all = NULL;
out:
    if (workers != NULL)
        for (unsigned t = 0; t < threads; t++)
            free(workers[t].top);
    free(workers);
    free(tids);
    free(all);
    return rc;
}
