/* Parameters (parse, validate, format) and the helpers strategy files share. */
#include "analyzer/strategy.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rt/err.h"
#include "rt/ind.h"
#include "rt/signal_id.h"
#include "strategies/internal.h"

/* Appends formatted text to err (NUL-terminated, truncated to cap). */
__attribute__((format(printf, 3, 4))) static void err_append(char *err, size_t cap,
                                                             const char *fmt, ...)
{
    if (err == NULL || cap == 0)
        return;
    size_t used = strnlen(err, cap);
    if (used >= cap - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err + used, cap - used, fmt, ap); /* truncation is acceptable here */
    va_end(ap);
}

static void err_clear(char *err, size_t cap)
{
    if (err != NULL && cap > 0)
        err[0] = '\0';
}

void an_params_defaults(an_params_t *p, const an_strategy_t *s)
{
    memset(p, 0, sizeof *p);
    p->strategy = s;
    for (size_t i = 0; i < s->param_count && i < AN_PARAMS_MAX; i++)
        p->v[i] = s->params[i].def;
}

int an_param_index(const an_strategy_t *s, const char *name)
{
    if (s == NULL || name == NULL)
        return RT_ENOTFOUND;
    for (size_t i = 0; i < s->param_count; i++)
        if (strcmp(s->params[i].name, name) == 0)
            return (int)i;
    return RT_ENOTFOUND;
}

size_t an_param_format(const an_param_def_t *d, double v, char *buf, size_t cap)
{
    int n;
    switch (d->type) {
    case AN_PARAM_INT:
        n = snprintf(buf, cap, "%lld", (long long)v);
        break;
    case AN_PARAM_BOOL:
        n = snprintf(buf, cap, "%s", v != 0.0 ? "true" : "false");
        break;
    case AN_PARAM_ENUM: /* a value written around an_params_set may be anything */
        n = snprintf(buf, cap, "%s", v >= 0 && v <= d->max ? d->choices[(size_t)v] : "?");
        break;
    case AN_PARAM_DOUBLE:
    default:
        n = snprintf(buf, cap, "%.10g", v);
        break;
    }
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

size_t an_param_describe(const an_param_def_t *d, char *buf, size_t cap)
{
    int n = 0;
    switch (d->type) {
    case AN_PARAM_INT:
        n = snprintf(buf, cap, "an integer in %lld..%lld", (long long)d->min, (long long)d->max);
        break;
    case AN_PARAM_DOUBLE:
        n = snprintf(buf, cap, "a number in %.10g..%.10g", d->min, d->max);
        break;
    case AN_PARAM_BOOL:
        n = snprintf(buf, cap, "true or false");
        break;
    case AN_PARAM_ENUM: {
        n = snprintf(buf, cap, "one of ");
        for (size_t i = 0; n >= 0 && (size_t)n < cap && i <= (size_t)d->max; i++) {
            int m = snprintf(buf + n, cap - (size_t)n, "%s%s", i ? ", " : "", d->choices[i]);
            n = m < 0 ? -1 : n + m;
        }
        break;
    }
    }
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    return (size_t)n;
}

/* Text without surrounding blanks: [*b, *e). */
static void trim(const char *s, const char **b, const char **e)
{
    const char *end = s + strlen(s);
    while (*s == ' ' || *s == '\t')
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
        end--;
    *b = s;
    *e = end;
}

/* Parses text for parameter d: 0, RT_EINVAL (not of the type), RT_ERANGE (out of range). */
static int parse_value(const an_param_def_t *d, const char *text, double *out)
{
    const char *b, *e;
    trim(text, &b, &e);
    size_t n = (size_t)(e - b);
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return RT_EINVAL;
    memcpy(buf, b, n);
    buf[n] = '\0';
    double v;
    switch (d->type) {
    case AN_PARAM_INT: {
        char *end;
        errno = 0;
        long long x = strtoll(buf, &end, 10);
        if (end == buf || *end != '\0')
            return RT_EINVAL;
        if (errno == ERANGE)
            return RT_ERANGE;
        v = (double)x;
        if (x < (long long)d->min || x > (long long)d->max)
            return RT_ERANGE;
        break;
    }
    case AN_PARAM_DOUBLE: {
        char *end;
        errno = 0;
        v = strtod(buf, &end);
        if (end == buf || *end != '\0' || isnan(v))
            return RT_EINVAL;
        if (errno == ERANGE || !isfinite(v) || v < d->min || v > d->max)
            return RT_ERANGE;
        break;
    }
    case AN_PARAM_BOOL: {
        static const char *const yes[] = {"true", "1", "yes", "on"};
        static const char *const no[] = {"false", "0", "no", "off"};
        v = -1;
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(buf, yes[i]) == 0)
                v = 1;
            if (strcasecmp(buf, no[i]) == 0)
                v = 0;
        }
        if (v < 0)
            return RT_EINVAL;
        break;
    }
    case AN_PARAM_ENUM:
    default:
        v = -1;
        for (size_t i = 0; i <= (size_t)d->max; i++)
            if (strcasecmp(buf, d->choices[i]) == 0)
                v = (double)i;
        if (v < 0)
            return RT_EINVAL;
        break;
    }
    *out = v;
    return RT_OK;
}

static void list_params(const an_strategy_t *s, char *err, size_t cap)
{
    for (size_t i = 0; i < s->param_count; i++)
        err_append(err, cap, "%s%s", i ? ", " : "", s->params[i].name);
}

/* Sets parameter i of tmp from text, appending "NAME=text: what is allowed" on error (after
 * "; " when sep is set). */
static int set_one(an_params_t *tmp, size_t i, const char *text, bool sep, char *err,
                   size_t cap)
{
    const an_param_def_t *d = &tmp->strategy->params[i];
    double v;
    int rc = parse_value(d, text, &v);
    if (rc != RT_OK) {
        char what[160];
        if (an_param_describe(d, what, sizeof what) == 0)
            what[0] = '\0';
        err_append(err, cap, "%s%s=%.60s: %s%s", sep ? "; " : "", d->name, text,
                   rc == RT_ERANGE ? "out of range, allowed " : "expected ", what);
        return rc;
    }
    tmp->v[i] = v;
    return RT_OK;
}

int an_params_set(an_params_t *p, const char *name, const char *text, char *err, size_t cap)
{
    err_clear(err, cap);
    if (p == NULL || p->strategy == NULL || name == NULL || text == NULL) {
        err_append(err, cap, "missing argument");
        return RT_EINVAL;
    }
    const an_strategy_t *s = p->strategy;
    int idx = an_param_index(s, name);
    if (idx < 0) {
        err_append(err, cap, "unknown parameter %.60s for %s; valid: ", name, s->name);
        list_params(s, err, cap);
        return RT_ENOTFOUND;
    }
    an_params_t tmp = *p;
    int rc = set_one(&tmp, (size_t)idx, text, false, err, cap);
    if (rc != RT_OK)
        return rc;
    if (s->check != NULL) {
        char why[AN_ERR_CAP] = "";
        rc = s->check(&tmp, why, sizeof why);
        if (rc != RT_OK) {
            err_append(err, cap, "%s=%.60s: %s", name, text, why);
            return rc;
        }
    }
    *p = tmp;
    return RT_OK;
}

int an_params_load(an_params_t *p, an_lookup_fn lookup, void *ud, char *err, size_t cap)
{
    err_clear(err, cap);
    if (p == NULL || p->strategy == NULL || lookup == NULL) {
        err_append(err, cap, "missing argument");
        return RT_EINVAL;
    }
    const an_strategy_t *s = p->strategy;
    an_params_t tmp = *p;
    int first = RT_OK;
    for (size_t i = 0; i < s->param_count; i++) {
        const char *text = lookup(ud, s->params[i].name);
        const char *b, *e;
        if (text == NULL)
            continue;
        trim(text, &b, &e);
        if (b == e)
            continue; /* an empty value counts as not set (as in rt/config.h) */
        int rc = set_one(&tmp, i, text, first != RT_OK, err, cap);
        if (rc != RT_OK && first == RT_OK)
            first = rc;
    }
    if (first == RT_OK && s->check != NULL) {
        char why[AN_ERR_CAP] = "";
        first = s->check(&tmp, why, sizeof why);
        if (first != RT_OK)
            err_append(err, cap, "%s: %s", s->name, why);
    }
    if (first != RT_OK)
        return first;
    *p = tmp;
    return RT_OK;
}

/* ---- shared indicators ------------------------------------------------------------------ */

int an_shared_init(an_shared_t *sh, int rsi_period)
{
    if (sh == NULL)
        return RT_EINVAL;
    sh->seq = 0;
    return rt_rsi_init(&sh->rsi, rsi_period);
}

/* ---- signals ---------------------------------------------------------------------------- */

int an_signal_begin(rt_signal_t *sig, rt_signal_id_cache_t *ids, const char *strategy,
                    const rt_candle_t *c, rt_side_t side)
{
    char id[RT_ID_CAP];
    int rc = ids != NULL ? rt_signal_make_id_candle(ids, strategy, c, id, sizeof id)
                         : rt_signal_make_id(strategy, c->symbol, c->interval, c->open_time, id,
                                             sizeof id);
    if (rc != RT_OK)
        return rc;
    size_t n = strlen(strategy);
    if (n >= sizeof sig->strategy)
        return RT_ETOOBIG;
    /* field by field with fixed sizes (on the hot path when strategies fire often): a memset
     * of the whole header compiles to `rep stos`, slow to start for 184 bytes */
    memcpy(sig->id, id, sizeof sig->id);
    memset(sig->strategy, 0, sizeof sig->strategy);
    memcpy(sig->strategy, strategy, n);
    memcpy(sig->symbol, c->symbol, sizeof sig->symbol);
    sig->symbol[sizeof sig->symbol - 1] = '\0';
    memcpy(sig->interval, c->interval, sizeof sig->interval);
    sig->interval[sizeof sig->interval - 1] = '\0';
    sig->side = side;
    sig->timestamp = c->open_time;
    sig->price = c->close;
    sig->stop_loss = 0;
    sig->take_profit = 0;
    sig->meta_count = 0;
    return RT_OK;
}

int an_money_of(double v, rt_money_t *out)
{
    if (!isfinite(v))
        return RT_ERANGE;
    int rc = rt_money_from_double(v, out);
    return rc == RT_OK ? RT_OK : RT_ERANGE;
}

/* ---- for strategy files (strategies/internal.h) ----------------------------------------- */

void an_errf(char *err, size_t cap, const char *fmt, ...)
{
    if (err == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(err, cap, fmt, ap); /* truncation is acceptable for a message */
    va_end(ap);
}

bool an_params_valid(const an_params_t *p, const an_strategy_t *s)
{
    if (p == NULL || p->strategy != s)
        return false;
    return s->check == NULL || s->check(p, NULL, 0) == RT_OK;
}
