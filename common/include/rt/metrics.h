/* Metrics: a thread-safe registry of counters, gauges and histograms, rendered in the
 * Prometheus text exposition format (version 0.0.4) for GET /metrics.
 *
 * A metric (a family: name, help, type, label names, buckets) is registered once at start.
 * Each combination of label values is a series; a metric without labels has exactly one.
 * Series are created up front or on first use, up to a bound fixed at registration, and are
 * never freed before the registry: a series pointer stays valid until rt_metrics_free, so a
 * hot path looks its series up once and then only calls rt_counter_inc and friends, which are
 * lock-free atomics. Registration, series lookup and rendering take the registry's lock.
 *
 *     rt_metrics_t *reg;
 *     rt_metric_t *frames;
 *     rt_series_t *btc;
 *     rt_metrics_new(&reg);
 *     rt_metrics_counter(reg, "gw_frames_total", "Frames received.", "symbol", &frames);
 *     rt_metric_series(frames, (const char *[]){"BTCUSDC"}, &btc);
 *     rt_counter_inc(btc);
 */
#ifndef RT_METRICS_H
#define RT_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct rt_metrics rt_metrics_t; /* the registry */
typedef struct rt_metric rt_metric_t;   /* one metric family, owned by the registry */
typedef struct rt_series rt_series_t;   /* one label combination, owned by its metric */

/** Most label names a metric may have. */
#define RT_METRICS_MAX_LABELS 8
/** Most buckets a histogram may have (+Inf is implied and not counted). */
#define RT_METRICS_MAX_BUCKETS 32
/** Series bound used when a registration passes max_series 0. */
#define RT_METRICS_DEFAULT_MAX_SERIES 64
/** Largest series bound a registration may ask for. */
#define RT_METRICS_MAX_SERIES 4096

/** Creates an empty registry. Returns RT_ENOMEM; *out (new, free with rt_metrics_free) is
 *  written only on success. */
int rt_metrics_new(rt_metrics_t **out);

/** Frees the registry with all its metrics and series. NULL is a no-op. No other thread may
 *  use the registry or any of its series pointers any more. */
void rt_metrics_free(rt_metrics_t *reg);

/** Registers a counter (a monotonically increasing integer).
 *  name: [a-zA-Z_:][a-zA-Z0-9_:]*; help: one line of text (newlines and backslashes are
 *  escaped on output); labels: NULL or "" for none, else comma-separated label names
 *  ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", distinct, at most RT_METRICS_MAX_LABELS);
 *  max_series: bound on label combinations (0 = RT_METRICS_DEFAULT_MAX_SERIES).
 *  Returns RT_EINVAL (bad name, labels or bound), RT_EEXIST (name taken), RT_ENOMEM.
 *  *out is borrowed from the registry (valid until rt_metrics_free). */
int rt_metrics_counter(rt_metrics_t *reg, const char *name, const char *help, const char *labels,
                       size_t max_series, rt_metric_t **out);

/** Registers a gauge (a value that goes up and down). Same arguments and errors as
 *  rt_metrics_counter. */
int rt_metrics_gauge(rt_metrics_t *reg, const char *name, const char *help, const char *labels,
                     size_t max_series, rt_metric_t **out);

/** Registers a histogram with fixed buckets: upper bounds, finite and strictly increasing,
 *  1..RT_METRICS_MAX_BUCKETS of them (the +Inf bucket is added). The label name "le" is
 *  reserved. Same errors as rt_metrics_counter; bad buckets give RT_EINVAL. The buckets are
 *  copied. */
int rt_metrics_histogram(rt_metrics_t *reg, const char *name, const char *help, const char *labels,
                         size_t max_series, const double *buckets, size_t nbuckets,
                         rt_metric_t **out);

/** Finds or creates the series of a metric for the given label values (one per label name, in
 *  the registered order; NULL for a metric without labels). Values are any text (escaped on
 *  output) of at most 256 bytes. Returns RT_EINVAL (NULL value, too long), RT_ERANGE (the
 *  metric already has max_series series and this combination is new), RT_ENOMEM. *out is
 *  borrowed (valid until rt_metrics_free): look it up once, keep it for the hot path. */
int rt_metric_series(rt_metric_t *metric, const char *const *values, rt_series_t **out);

/** Adds 1 to a counter series. Lock-free. Calling it on a gauge or histogram series is a
 *  programming error and does nothing. */
void rt_counter_inc(rt_series_t *s);

/** Adds n to a counter series. Lock-free. */
void rt_counter_add(rt_series_t *s, uint64_t n);

/** Sets a gauge series. Lock-free. */
void rt_gauge_set(rt_series_t *s, double v);

/** Adds d (may be negative) to a gauge series. Lock-free (compare-and-swap). */
void rt_gauge_add(rt_series_t *s, double d);

/** Records one observation in a histogram series. Lock-free. NaN is ignored. */
void rt_histogram_observe(rt_series_t *s, double v);

/** Current value of a counter series (0 for other kinds). */
uint64_t rt_counter_value(const rt_series_t *s);

/** Current value of a gauge series (0 for other kinds). */
double rt_gauge_value(const rt_series_t *s);

/** Renders every metric in registration order, series in creation order, as Prometheus text:
 *  "# HELP", "# TYPE", then samples; histograms as cumulative _bucket{le="..."} lines, _sum and
 *  _count. A metric with labels and no series yet renders its HELP and TYPE lines only.
 *  Returns RT_ENOMEM. *out (new, NUL-terminated, caller frees with free()) and *len are written
 *  only on success. Samples of one histogram are read one by one, so an observation made while
 *  rendering may show in _sum but not yet in the buckets (the count always equals +Inf). */
int rt_metrics_render(rt_metrics_t *reg, char **out, size_t *len);

#endif
