/* The registry: every strategy the analyzer knows, and the pick of the enabled ones.
 * Adding a strategy = one line in AN_STRATEGY_LIST (its file defines the an_strategy_t). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "analyzer/strategy.h"
#include "rt/err.h"

#define AN_STRATEGY_LIST(X)                                                                   \
    X(an_rsi_strategy)                                                                        \
    X(an_sma_cross_strategy)                                                                  \
    X(an_bollinger_strategy)                                                                  \
    X(an_macd_cross_strategy)                                                                 \
    X(an_ema_trend_strategy)                                                                  \
    X(an_range_breakout_strategy)                                                             \
    X(an_rsi_divergence_strategy)

#define AN_DECLARE(s) extern const an_strategy_t s;
#define AN_ENTRY(s) &s,
AN_STRATEGY_LIST(AN_DECLARE)
static const an_strategy_t *const registry[] = {AN_STRATEGY_LIST(AN_ENTRY)};
#define N_REGISTRY (sizeof registry / sizeof registry[0])
_Static_assert(N_REGISTRY <= AN_STRATEGIES_MAX, "raise AN_STRATEGIES_MAX");

const an_strategy_t *const *an_registry_all(size_t *count)
{
    *count = N_REGISTRY;
    return registry;
}

const an_strategy_t *an_registry_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < N_REGISTRY; i++)
        if (strcasecmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

size_t an_strategy_names(const an_strategy_t *const *list, size_t n, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return 0;
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int m = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", list[i]->name);
        if (m < 0 || (size_t)m >= cap - used) {
            buf[0] = '\0';
            return 0;
        }
        used += (size_t)m;
    }
    return used;
}

int an_registry_select(const char *list, const an_strategy_t **out, size_t cap, size_t *count,
                       char *err, size_t err_cap)
{
    const an_strategy_t *picked[AN_STRATEGIES_MAX];
    size_t n = 0;
    char valid[AN_ERR_CAP];
    if (an_strategy_names(registry, N_REGISTRY, valid, sizeof valid) == 0)
        valid[0] = '\0';
    if (err != NULL && err_cap > 0)
        err[0] = '\0';
    if (list == NULL || out == NULL || count == NULL) {
        if (err != NULL && err_cap > 0)
            snprintf(err, err_cap, "missing argument");
        return RT_EINVAL;
    }
    const char *p = list;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        const char *b = p, *e = end;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
            e--;
        p = comma ? comma + 1 : end;
        size_t len = (size_t)(e - b);
        if (len == 0)
            continue;
        char name[64];
        if (len >= sizeof name) {
            if (err != NULL && err_cap > 0)
                snprintf(err, err_cap, "unknown strategy '%.40s...'; valid: %s, or all", b,
                         valid);
            return RT_EINVAL;
        }
        memcpy(name, b, len);
        name[len] = '\0';
        if (strcasecmp(name, "all") == 0) {
            for (size_t i = 0; i < N_REGISTRY; i++) {
                bool seen = false;
                for (size_t j = 0; j < n; j++)
                    seen = seen || picked[j] == registry[i];
                if (!seen)
                    picked[n++] = registry[i];
            }
            continue;
        }
        const an_strategy_t *s = an_registry_find(name);
        if (s == NULL) {
            if (err != NULL && err_cap > 0)
                snprintf(err, err_cap, "unknown strategy '%s'; valid: %s, or all", name, valid);
            return RT_EINVAL;
        }
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            seen = seen || picked[j] == s;
        if (!seen)
            picked[n++] = s;
    }
    if (n == 0) {
        if (err != NULL && err_cap > 0)
            snprintf(err, err_cap, "no strategy given; valid: %s, or all", valid);
        return RT_EINVAL;
    }
    if (n > cap) {
        if (err != NULL && err_cap > 0)
            snprintf(err, err_cap, "%zu strategies given, room for %zu", n, cap);
        return RT_ETOOBIG;
    }
    memcpy(out, picked, n * sizeof *out);
    *count = n;
    return RT_OK;
}
