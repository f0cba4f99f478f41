#include "rt/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

#define LABEL_VALUE_MAX 256
#define HELP_MAX 1024
#define NAME_MAX_LEN 200

typedef enum { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM } kind_t;

struct rt_series {
    rt_metric_t *metric;
    char *values[RT_METRICS_MAX_LABELS];
    char *rendered;            /* escaped label pairs without braces: a="x",b="y" ("" if none) */
    _Atomic uint64_t value;    /* counter: the count; gauge: the bits of a double */
    _Atomic uint64_t sum_bits; /* histogram: bits of the double sum */
    _Atomic uint64_t *buckets; /* histogram: per-bucket (not cumulative) counts, +Inf last */
};

struct rt_metric {
    rt_metrics_t *reg;
    kind_t kind;
    char *name;
    char *help;
    size_t nlabels;
    char *label_names[RT_METRICS_MAX_LABELS];
    size_t nbuckets;
    double buckets[RT_METRICS_MAX_BUCKETS];
    size_t max_series;
    size_t nseries;
    rt_series_t **series; /* max_series slots, filled in creation order */
    rt_metric_t *next;
};

struct rt_metrics {
    pthread_mutex_t lock;
    rt_metric_t *head;
    rt_metric_t *tail;
};

/* ---- a growable output buffer for rendering ---- */

typedef struct {
    char *p;
    size_t len;
    size_t cap;
    bool failed;
} sbuf_t;

static void sbuf_reserve(sbuf_t *b, size_t extra)
{
    if (b->failed)
        return;
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->failed = true;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void sbuf_put(sbuf_t *b, const char *s, size_t n)
{
    sbuf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sbuf_puts(sbuf_t *b, const char *s)
{
    sbuf_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void sbuf_printf(sbuf_t *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->failed = true; /* only short numeric fragments go through here */
        return;
    }
    sbuf_put(b, tmp, (size_t)n);
}

/* Escapes for label values: backslash, double quote, newline. For HELP: backslash, newline. */
static void sbuf_escaped(sbuf_t *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            sbuf_put(b, "\\\\", 2);
        else if (*s == '\n')
            sbuf_put(b, "\\n", 2);
        else if (quote && *s == '"')
            sbuf_put(b, "\\\"", 2);
        else
            sbuf_put(b, s, 1);
    }
}

/* Shortest text that reads back as the same double; Prometheus spellings for the specials. */
static void format_double(double v, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v == trunc(v) && fabs(v) < 1e15) { /* integers in full, not as 2e+05 */
        snprintf(buf, cap, "%.0f", v);
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static void sbuf_double(sbuf_t *b, double v)
{
    char tmp[40];
    format_double(v, tmp, sizeof tmp);
    sbuf_puts(b, tmp);
}

/* ---- atomics on doubles ---- */

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void atomic_add_double(_Atomic uint64_t *slot, double d)
{
    uint64_t old = atomic_load_explicit(slot, memory_order_relaxed);
    while (!atomic_compare_exchange_weak_explicit(slot, &old, dbits(bitsd(old) + d),
                                                  memory_order_relaxed, memory_order_relaxed)) {
    }
}

/* ---- validation ---- */

static bool is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool valid_metric_name(const char *s)
{
    if (s == NULL || !(is_alpha_(s[0]) || s[0] == ':'))
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        if (!(is_alpha_(s[n]) || is_digit(s[n]) || s[n] == ':'))
            return false;
    }
    return n <= NAME_MAX_LEN;
}

static bool valid_label_name(const char *s, size_t n)
{
    if (n == 0 || n > NAME_MAX_LEN || !is_alpha_(s[0]))
        return false;
    if (n >= 2 && s[0] == '_' && s[1] == '_')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!(is_alpha_(s[i]) || is_digit(s[i])))
            return false;
    }
    return true;
}

/* Splits "a,b" into owned copies in m->label_names. */
static int parse_labels(rt_metric_t *m, const char *labels)
{
    if (labels == NULL || labels[0] == '\0')
        return RT_OK;
    const char *p = labels;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (!valid_label_name(p, n) || m->nlabels == RT_METRICS_MAX_LABELS)
            return RT_EINVAL;
        if (m->kind == KIND_HISTOGRAM && n == 2 && memcmp(p, "le", 2) == 0)
            return RT_EINVAL;
        for (size_t i = 0; i < m->nlabels; i++) {
            if (strlen(m->label_names[i]) == n && memcmp(m->label_names[i], p, n) == 0)
                return RT_EINVAL;
        }
        char *copy = strndup(p, n);
        if (copy == NULL)
            return RT_ENOMEM;
        m->label_names[m->nlabels++] = copy;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    return RT_OK;
}

/* ---- lifecycle ---- */

int rt_metrics_new(rt_metrics_t **out)
{
    rt_metrics_t *reg = calloc(1, sizeof *reg);
    if (reg == NULL)
        return RT_ENOMEM;
    if (pthread_mutex_init(&reg->lock, NULL) != 0) {
        free(reg);
        return RT_ENOMEM;
    }
    *out = reg;
    return RT_OK;
}

static void series_free(rt_series_t *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < RT_METRICS_MAX_LABELS; i++)
        free(s->values[i]);
    free(s->rendered);
    free(s->buckets);
    free(s);
}

static void metric_free(rt_metric_t *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->nseries; i++)
        series_free(m->series[i]);
    free(m->series);
    for (size_t i = 0; i < m->nlabels; i++)
        free(m->label_names[i]);
    free(m->name);
    free(m->help);
    free(m);
}

void rt_metrics_free(rt_metrics_t *reg)
{
    if (reg == NULL)
        return;
    rt_metric_t *m = reg->head;
    while (m) {
        rt_metric_t *next = m->next;
        metric_free(m);
        m = next;
    }
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

/* Creates a series (values already validated); caller holds the lock and checked the bound. */
static int series_create(rt_metric_t *m, const char *const *values, rt_series_t **out)
{
    int rc = RT_ENOMEM;
    sbuf_t r = {0};
    rt_series_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        goto out;
    s->metric = m;
    sbuf_puts(&r, "");
    for (size_t i = 0; i < m->nlabels; i++) {
        s->values[i] = strdup(values[i]);
        if (s->values[i] == NULL)
            goto out;
        if (i > 0)
            sbuf_put(&r, ",", 1);
        sbuf_puts(&r, m->label_names[i]);
        sbuf_put(&r, "=\"", 2);
        sbuf_escaped(&r, values[i], true);
        sbuf_put(&r, "\"", 1);
    }
    if (r.failed)
        goto out;
    s->rendered = r.p;
    r.p = NULL;
    if (m->kind == KIND_HISTOGRAM) {
        s->buckets = calloc(m->nbuckets + 1, sizeof *s->buckets);
        if (s->buckets == NULL)
            goto out;
        atomic_init(&s->sum_bits, dbits(0.0));
    }
    atomic_init(&s->value, m->kind == KIND_GAUGE ? dbits(0.0) : 0);
    m->series[m->nseries++] = s;
    *out = s;
    s = NULL;
    rc = RT_OK;
out:
    free(r.p);
    series_free(s);
    return rc;
}

static int metric_register(rt_metrics_t *reg, kind_t kind, const char *name, const char *help,
                           const char *labels, size_t max_series, const double *buckets,
                           size_t nbuckets, rt_metric_t **out)
{
    int rc = RT_EINVAL;
    rt_metric_t *m = NULL;
    bool locked = false;
    if (reg == NULL || out == NULL || !valid_metric_name(name) || help == NULL ||
        strlen(help) > HELP_MAX || max_series > RT_METRICS_MAX_SERIES)
        goto out;
    if (kind == KIND_HISTOGRAM) {
        if (buckets == NULL || nbuckets == 0 || nbuckets > RT_METRICS_MAX_BUCKETS)
            goto out;
        for (size_t i = 0; i < nbuckets; i++) {
            if (!isfinite(buckets[i]) || (i > 0 && !(buckets[i] > buckets[i - 1])))
                goto out;
        }
    }
    rc = RT_ENOMEM;
    m = calloc(1, sizeof *m);
    if (m == NULL)
        goto out;
    m->reg = reg;
    m->kind = kind;
    m->name = strdup(name);
    m->help = strdup(help);
    if (m->name == NULL || m->help == NULL)
        goto out;
    rc = parse_labels(m, labels);
    if (rc < 0)
        goto out;
    if (kind == KIND_HISTOGRAM) {
        memcpy(m->buckets, buckets, nbuckets * sizeof *buckets);
        m->nbuckets = nbuckets;
    }
    m->max_series = m->nlabels == 0 ? 1 : (max_series ? max_series : RT_METRICS_DEFAULT_MAX_SERIES);
    rc = RT_ENOMEM;
    m->series = calloc(m->max_series, sizeof *m->series);
    if (m->series == NULL)
        goto out;

    pthread_mutex_lock(&reg->lock);
    locked = true;
    rc = RT_EEXIST;
    for (rt_metric_t *it = reg->head; it; it = it->next) {
        if (strcmp(it->name, name) == 0)
            goto out;
    }
    if (m->nlabels == 0) {
        rt_series_t *only;
        rc = series_create(m, NULL, &only);
        if (rc < 0)
            goto out;
    }
    if (reg->tail)
        reg->tail->next = m;
    else
        reg->head = m;
    reg->tail = m;
    *out = m;
    m = NULL;
    rc = RT_OK;
out:
    if (locked)
        pthread_mutex_unlock(&reg->lock);
    metric_free(m);
    return rc;
}

int rt_metrics_counter(rt_metrics_t *reg, const char *name, const char *help, const char *labels,
                       size_t max_series, rt_metric_t **out)
{
    return metric_register(reg, KIND_COUNTER, name, help, labels, max_series, NULL, 0, out);
}

int rt_metrics_gauge(rt_metrics_t *reg, const char *name, const char *help, const char *labels,
                     size_t max_series, rt_metric_t **out)
{
    return metric_register(reg, KIND_GAUGE, name, help, labels, max_series, NULL, 0, out);
}

int rt_metrics_histogram(rt_metrics_t *reg, const char *name, const char *help, const char *labels,
                         size_t max_series, const double *buckets, size_t nbuckets,
                         rt_metric_t **out)
{
    return metric_register(reg, KIND_HISTOGRAM, name, help, labels, max_series, buckets, nbuckets,
                           out);
}

int rt_metric_series(rt_metric_t *m, const char *const *values, rt_series_t **out)
{
    if (m == NULL || out == NULL || (m->nlabels > 0 && values == NULL))
        return RT_EINVAL;
    for (size_t i = 0; i < m->nlabels; i++) {
        if (values[i] == NULL || strnlen(values[i], LABEL_VALUE_MAX + 1) > LABEL_VALUE_MAX)
            return RT_EINVAL;
    }
    int rc;
    pthread_mutex_lock(&m->reg->lock);
    for (size_t s = 0; s < m->nseries; s++) {
        bool same = true;
        for (size_t i = 0; i < m->nlabels && same; i++)
            same = strcmp(m->series[s]->values[i], values[i]) == 0;
        if (same) {
            *out = m->series[s];
            rc = RT_OK;
            goto out;
        }
    }
    rc = RT_ERANGE;
    if (m->nseries == m->max_series)
        goto out;
    rc = series_create(m, values, out);
out:
    pthread_mutex_unlock(&m->reg->lock);
    return rc;
}

/* ---- updates ---- */

void rt_counter_inc(rt_series_t *s)
{
    rt_counter_add(s, 1);
}

void rt_counter_add(rt_series_t *s, uint64_t n)
{
    if (s == NULL || s->metric->kind != KIND_COUNTER)
        return;
    atomic_fetch_add_explicit(&s->value, n, memory_order_relaxed);
}

void rt_gauge_set(rt_series_t *s, double v)
{
    if (s == NULL || s->metric->kind != KIND_GAUGE)
        return;
    atomic_store_explicit(&s->value, dbits(v), memory_order_relaxed);
}

void rt_gauge_add(rt_series_t *s, double d)
{
    if (s == NULL || s->metric->kind != KIND_GAUGE)
        return;
    atomic_add_double(&s->value, d);
}

void rt_histogram_observe(rt_series_t *s, double v)
{
    if (s == NULL || s->metric->kind != KIND_HISTOGRAM || isnan(v))
        return;
    const rt_metric_t *m = s->metric;
    size_t i = 0;
    while (i < m->nbuckets && v > m->buckets[i])
        i++;
    atomic_add_double(&s->sum_bits, v);
    atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
}

uint64_t rt_counter_value(const rt_series_t *s)
{
    if (s == NULL || s->metric->kind != KIND_COUNTER)
        return 0;
    return atomic_load_explicit(&s->value, memory_order_relaxed);
}

double rt_gauge_value(const rt_series_t *s)
{
    if (s == NULL || s->metric->kind != KIND_GAUGE)
        return 0;
    return bitsd(atomic_load_explicit(&s->value, memory_order_relaxed));
}

/* ---- rendering ---- */

static const char *kind_name(kind_t k)
{
    switch (k) {
    case KIND_COUNTER:
        return "counter";
    case KIND_GAUGE:
        return "gauge";
    case KIND_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

/* name{labels} or name{labels,extra} or name{extra} or name */
static void sample_head(sbuf_t *b, const rt_metric_t *m, const char *suffix, const rt_series_t *s,
                        const char *extra)
{
    sbuf_puts(b, m->name);
    sbuf_puts(b, suffix);
    bool has_labels = s->rendered[0] != '\0';
    if (!has_labels && extra == NULL) {
        sbuf_put(b, " ", 1);
        return;
    }
    sbuf_put(b, "{", 1);
    sbuf_puts(b, s->rendered);
    if (extra) {
        if (has_labels)
            sbuf_put(b, ",", 1);
        sbuf_puts(b, extra);
    }
    sbuf_put(b, "} ", 2);
}

static void render_histogram(sbuf_t *b, const rt_metric_t *m, const rt_series_t *s)
{
    uint64_t cumulative = 0;
    char le[64];
    char num[40];
    for (size_t i = 0; i <= m->nbuckets; i++) {
        cumulative += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        if (i < m->nbuckets)
            format_double(m->buckets[i], num, sizeof num);
        else
            snprintf(num, sizeof num, "+Inf");
        snprintf(le, sizeof le, "le=\"%s\"", num);
        sample_head(b, m, "_bucket", s, le);
        sbuf_printf(b, "%" PRIu64 "\n", cumulative);
    }
    sample_head(b, m, "_sum", s, NULL);
    sbuf_double(b, bitsd(atomic_load_explicit(&s->sum_bits, memory_order_relaxed)));
    sbuf_put(b, "\n", 1);
    sample_head(b, m, "_count", s, NULL);
    sbuf_printf(b, "%" PRIu64 "\n", cumulative);
}

int rt_metrics_render(rt_metrics_t *reg, char **out, size_t *len)
{
    if (reg == NULL || out == NULL)
        return RT_EINVAL;
    sbuf_t b = {0};
    sbuf_puts(&b, "");
    pthread_mutex_lock(&reg->lock);
    for (const rt_metric_t *m = reg->head; m; m = m->next) {
        sbuf_puts(&b, "# HELP ");
        sbuf_puts(&b, m->name);
        sbuf_put(&b, " ", 1);
        sbuf_escaped(&b, m->help, false);
        sbuf_puts(&b, "\n# TYPE ");
        sbuf_puts(&b, m->name);
        sbuf_put(&b, " ", 1);
        sbuf_puts(&b, kind_name(m->kind));
        sbuf_put(&b, "\n", 1);
        for (size_t i = 0; i < m->nseries; i++) {
            const rt_series_t *s = m->series[i];
            switch (m->kind) {
            case KIND_COUNTER:
                sample_head(&b, m, "", s, NULL);
                sbuf_printf(&b, "%" PRIu64 "\n",
                            atomic_load_explicit(&s->value, memory_order_relaxed));
                break;
            case KIND_GAUGE:
                sample_head(&b, m, "", s, NULL);
                sbuf_double(&b, bitsd(atomic_load_explicit(&s->value, memory_order_relaxed)));
                sbuf_put(&b, "\n", 1);
                break;
            case KIND_HISTOGRAM:
                render_histogram(&b, m, s);
                break;
            }
        }
    }
    pthread_mutex_unlock(&reg->lock);
    if (b.failed) {
        free(b.p);
        return RT_ENOMEM;
    }
    *out = b.p;
    if (len)
        *len = b.len;
    return RT_OK;
}
