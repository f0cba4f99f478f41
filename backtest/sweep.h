/* Parameter sweeps: a grid over one or more settings (--sweep NAME=FROM:TO:STEP), run in
 * parallel over the cores, ranked by a metric. Memory stays flat: each thread keeps only its
 * best results, and the grid is never materialised (a point is decoded from its index). The
 * ranking is the same whatever the number of threads: ties are broken by the grid index. */
#ifndef BT_SWEEP_H
#define BT_SWEEP_H

#include <stddef.h>

#include "backtest/engine.h"

#define BT_AXES_MAX 8
#define BT_AXIS_NAME_CAP 48
/** Most points on one axis and in a whole grid. */
#define BT_AXIS_POINTS_MAX 1000000
#define BT_GRID_POINTS_MAX 100000000

/** One axis: NAME=FROM:TO:STEP, values FROM, FROM+STEP, ... up to TO (inclusive, within a
 *  relative 1e-9). */
typedef struct {
    char name[BT_AXIS_NAME_CAP];
    double from, to, step;
    size_t count;
} bt_axis_t;

/** Parses "NAME=FROM:TO:STEP" (numbers as decimals; STEP > 0, TO >= FROM). Returns 0 or
 *  RT_EINVAL / RT_ERANGE with the reason in err (may be NULL). *out is written on success. */
int bt_axis_parse(const char *spec, bt_axis_t *out, char *err, size_t cap);

/** The metric results are ranked by (higher is better, except max_drawdown: lower is). */
typedef enum {
    BT_RANK_RETURN = 0,
    BT_RANK_SHARPE,
    BT_RANK_SORTINO,
    BT_RANK_PROFIT_FACTOR,
    BT_RANK_NET_PNL,
    BT_RANK_MAX_DRAWDOWN,
    BT_RANK_WIN_RATE,
} bt_rank_t;

/** Parses a metric name: return_pct (or return), sharpe, sortino, profit_factor,
 *  net_pnl_closed (or net_pnl), max_drawdown_pct (or max_drawdown), win_rate. Returns 0 or
 *  RT_EINVAL. */
int bt_rank_parse(const char *s, bt_rank_t *out);

/** The valid metric names, for error messages. */
const char *bt_rank_names(void);

/** The score of a result under a metric (higher is better; infinities mapped to +-DBL_MAX). */
double bt_rank_score(bt_rank_t rank, const bt_result_t *r);

/** Grid point `index` applied to base: values[k] (may be NULL) gets axis k's value, *out the
 *  configuration. Axis 0 varies slowest. Returns 0, or bt_config_set's error (an invalid
 *  combination, e.g. SHORT_WINDOW >= LONG_WINDOW, gives RT_EINVAL) with err. */
int bt_sweep_point(const bt_config_t *base, const bt_axis_t *axes, size_t naxes, size_t index,
                   bt_config_t *out, double *values, char *err, size_t cap);

/** One ranked result. */
typedef struct {
    size_t index;
    double values[BT_AXES_MAX];
    double score;
    bt_result_t result; /* not recorded: no fills or equity arrays */
} bt_sweep_entry_t;

typedef struct {
    size_t total;   /* grid points */
    size_t ran;     /* points run */
    size_t invalid; /* points whose settings were refused (listed nowhere) */
    size_t top_count;
    bt_sweep_entry_t *top; /* best first; owned */
} bt_sweep_result_t;

/** Called from the calling thread about ten times a second while the sweep runs. */
typedef void (*bt_progress_fn)(void *ud, size_t done, size_t total);

/** Runs every grid point over the series with `threads` threads (0 = one per online core),
 *  keeps the top_n best by rank. progress may be NULL. Returns 0 with *out (clean with
 *  bt_sweep_result_cleanup); RT_EINVAL for bad arguments or when a run fails for another
 *  reason than its settings (err names the point and the reason); RT_ENOMEM. */
int bt_sweep_run(const bt_config_t *base, const bt_axis_t *axes, size_t naxes,
                 const bt_series_t *series, size_t nseries, unsigned threads, bt_rank_t rank,
                 size_t top_n, bt_progress_fn progress, void *ud, bt_sweep_result_t *out, char *err,
                 size_t cap);

/** Frees what r owns (NULL-safe) and zeroes it. */
void bt_sweep_result_cleanup(bt_sweep_result_t *r);

#endif
