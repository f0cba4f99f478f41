/* The analyzer's engine (engine.h): strategies x symbols, candle filter, history rings. */
#include "analyzer/engine.h"

#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/str.h"

typedef struct {
    const an_strategy_t *strategy;
    an_params_t params;
    bool enabled;
    uint64_t signals;
    void **states;     /* [nsymbols], NULL while disabled */
    rt_signal_t *last; /* [nsymbols] */
    bool *has_last;    /* [nsymbols] */
} slot_t;

typedef struct {
    char name[RT_SYMBOL_CAP];
    int64_t last_open; /* open time of the last closed candle fed; -1 before any */
    rt_candle_t forming;
    bool has_forming;
    rt_candle_t *ring; /* [history] */
    size_t head, len;  /* oldest at head */
    an_shared_t shared; /* fed every closed candle: read by the states that started with it */
} symbol_t;

struct an_engine {
    char interval[RT_INTERVAL_CAP];
    size_t history;
    size_t nsymbols;
    symbol_t *symbols;
    uint32_t *by_name; /* symbol indexes sorted by name, for a binary search */
    size_t nslots;
    slot_t slots[AN_STRATEGIES_MAX];
    uint64_t strategy_errors;
};

static const char *const result_names[AN_CANDLE_RESULT_COUNT] = {
    "fed", "forming", "unknown_symbol", "other_interval", "duplicate", "out_of_order",
};

const char *an_candle_result_name(an_candle_result_t r)
{
    return (unsigned)r < AN_CANDLE_RESULT_COUNT ? result_names[r] : "?";
}

static void slot_free_states(an_engine_t *e, slot_t *sl)
{
    if (sl->states == NULL)
        return;
    for (size_t s = 0; s < e->nsymbols; s++)
        sl->strategy->state_free(sl->states[s]);
    free(sl->states);
    sl->states = NULL;
}

void an_engine_free(an_engine_t *e)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < e->nslots; i++) {
        slot_free_states(e, &e->slots[i]);
        free(e->slots[i].last);
        free(e->slots[i].has_last);
    }
    if (e->symbols != NULL)
        for (size_t s = 0; s < e->nsymbols; s++)
            free(e->symbols[s].ring);
    free(e->symbols);
    free(e->by_name);
    free(e);
}

int an_engine_new(const char *const *symbols, size_t nsymbols, const char *interval, size_t history,
                  an_engine_t **out)
{
    if (symbols == NULL || nsymbols == 0 || nsymbols > AN_SYMBOLS_MAX || interval == NULL ||
        history == 0 || history > AN_HISTORY_MAX || out == NULL)
        return RT_EINVAL;
    int rc = RT_ENOMEM;
    an_engine_t *e = calloc(1, sizeof *e);
    if (e == NULL)
        return RT_ENOMEM;
    e->history = history;
    e->nsymbols = nsymbols;
    if (rt_str_copy(e->interval, sizeof e->interval, interval) != 0 || interval[0] == '\0') {
        rc = RT_EINVAL;
        goto out;
    }
    e->symbols = calloc(nsymbols, sizeof *e->symbols);
    if (e->symbols == NULL)
        goto out;
    for (size_t s = 0; s < nsymbols; s++) {
        symbol_t *sy = &e->symbols[s];
        if (symbols[s] == NULL || symbols[s][0] == '\0' ||
            rt_str_copy(sy->name, sizeof sy->name, symbols[s]) != 0) {
            rc = RT_EINVAL;
            goto out;
        }
        for (size_t t = 0; t < s; t++)
            if (strcmp(e->symbols[t].name, sy->name) == 0) {
                rc = RT_EINVAL;
                goto out;
            }
        sy->last_open = -1;
        sy->ring = malloc(history * sizeof *sy->ring);
        if (sy->ring == NULL)
            goto out;
        if (an_shared_init(&sy->shared, AN_SHARED_RSI_PERIOD) != RT_OK) {
            rc = RT_EINVAL;
            goto out;
        }
    }
    e->by_name = malloc(nsymbols * sizeof *e->by_name);
    if (e->by_name == NULL)
        goto out;
    for (size_t s = 0; s < nsymbols; s++) { /* insertion sort: once, at most 512 names */
        size_t k = s;
        while (k > 0 && strcmp(e->symbols[e->by_name[k - 1]].name, e->symbols[s].name) > 0) {
            e->by_name[k] = e->by_name[k - 1];
            k--;
        }
        e->by_name[k] = (uint32_t)s;
    }
    size_t n = 0;
    const an_strategy_t *const *all = an_registry_all(&n);
    if (n > AN_STRATEGIES_MAX) {
        rc = RT_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        slot_t *sl = &e->slots[i];
        sl->strategy = all[i];
        an_params_defaults(&sl->params, all[i]);
        sl->last = calloc(nsymbols, sizeof *sl->last);
        sl->has_last = calloc(nsymbols, sizeof *sl->has_last);
        e->nslots = i + 1;
        if (sl->last == NULL || sl->has_last == NULL)
            goto out;
    }
    *out = e;
    return RT_OK;
out:
    an_engine_free(e);
    return rc;
}

size_t an_engine_strategy_count(const an_engine_t *e)
{
    return e != NULL ? e->nslots : 0;
}

const an_strategy_t *an_engine_strategy(const an_engine_t *e, size_t i)
{
    return e != NULL && i < e->nslots ? e->slots[i].strategy : NULL;
}

int an_engine_find(const an_engine_t *e, const char *name)
{
    if (e == NULL || name == NULL)
        return RT_ENOTFOUND;
    for (size_t i = 0; i < e->nslots; i++)
        if (rt_str_ieq(e->slots[i].strategy->name, name))
            return (int)i;
    return RT_ENOTFOUND;
}

bool an_engine_enabled(const an_engine_t *e, size_t i)
{
    return e != NULL && i < e->nslots && e->slots[i].enabled;
}

const an_params_t *an_engine_params(const an_engine_t *e, size_t i)
{
    return e != NULL && i < e->nslots ? &e->slots[i].params : NULL;
}

static const rt_candle_t *ring_at(const symbol_t *sy, size_t history, size_t k)
{
    return &sy->ring[(sy->head + k) % history];
}

int an_engine_configure(an_engine_t *e, size_t i, bool enabled, const an_params_t *p)
{
    if (e == NULL || i >= e->nslots || p == NULL)
        return RT_EINVAL;
    slot_t *sl = &e->slots[i];
    if (p->strategy != sl->strategy)
        return RT_EINVAL;
    if (sl->strategy->check != NULL && sl->strategy->check(p, NULL, 0) != RT_OK)
        return RT_EINVAL;
    slot_free_states(e, sl);
    sl->params = *p;
    sl->enabled = false;
    if (!enabled)
        return RT_OK;
    sl->states = calloc(e->nsymbols, sizeof *sl->states);
    if (sl->states == NULL)
        return RT_ENOMEM;
    for (size_t s = 0; s < e->nsymbols; s++) {
        int rc = sl->strategy->state_new(&sl->params, &sl->states[s]);
        if (rc != RT_OK) {
            slot_free_states(e, sl);
            return rc;
        }
        const symbol_t *sy = &e->symbols[s];
        for (size_t k = 0; k < sy->len; k++) {
            /* without the shared indicators: they have seen every candle since the symbol's
             * first, more than this replay, so the new state keeps its own */
            an_candle_t kc;
            an_candle_of(&kc, ring_at(sy, e->history, k));
            rt_signal_t sig;
            if (sl->strategy->on_candle(sl->states[s], &kc, &sig) < 0)
                e->strategy_errors++;
        }
    }
    sl->enabled = true;
    return RT_OK;
}

static int symbol_index(const an_engine_t *e, const char *name)
{
    size_t lo = 0, hi = e->nsymbols;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t i = e->by_name[mid];
        int c = strcmp(e->symbols[i].name, name);
        if (c == 0)
            return (int)i;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

int an_engine_candle(an_engine_t *e, const rt_candle_t *c, bool emit, an_emit_fn fn, void *ud)
{
    if (e == NULL || c == NULL || (emit && fn == NULL))
        return RT_EINVAL;
    int s = symbol_index(e, c->symbol);
    if (s < 0)
        return AN_CANDLE_UNKNOWN_SYMBOL;
    if (strcmp(c->interval, e->interval) != 0)
        return AN_CANDLE_OTHER_INTERVAL;
    symbol_t *sy = &e->symbols[s];
    if (c->open_time == sy->last_open && sy->last_open >= 0)
        return c->closed ? AN_CANDLE_DUPLICATE : AN_CANDLE_OUT_OF_ORDER;
    if (c->open_time < sy->last_open)
        return AN_CANDLE_OUT_OF_ORDER;
    if (!c->closed) {
        if (sy->has_forming && c->open_time < sy->forming.open_time)
            return AN_CANDLE_OUT_OF_ORDER;
        sy->forming = *c;
        sy->has_forming = true;
        return AN_CANDLE_FORMING;
    }
    sy->last_open = c->open_time;
    if (sy->has_forming && sy->forming.open_time <= c->open_time)
        sy->has_forming = false;
    if (sy->len < e->history) {
        sy->ring[(sy->head + sy->len) % e->history] = *c;
        sy->len++;
    } else {
        sy->ring[sy->head] = *c;
        sy->head = (sy->head + 1) % e->history;
    }
    an_candle_t kc; /* the prices as doubles and the shared indicators, once for every slot */
    an_shared_next(&sy->shared, c, &kc);
    for (size_t i = 0; i < e->nslots; i++) {
        slot_t *sl = &e->slots[i];
        if (!sl->enabled)
            continue;
        rt_signal_t sig;
        int rc = sl->strategy->on_candle(sl->states[s], &kc, &sig);
        if (rc < 0) {
            e->strategy_errors++;
            continue;
        }
        if (rc == 0 || !emit)
            continue;
        sl->signals++;
        sl->last[s] = sig;
        sl->has_last[s] = true;
        fn(ud, &sig);
    }
    return AN_CANDLE_FED;
}

size_t an_engine_symbol_count(const an_engine_t *e)
{
    return e != NULL ? e->nsymbols : 0;
}

const char *an_engine_symbol(const an_engine_t *e, size_t i)
{
    return e != NULL && i < e->nsymbols ? e->symbols[i].name : NULL;
}

const rt_signal_t *an_engine_last_signal(const an_engine_t *e, size_t i, size_t s)
{
    if (e == NULL || i >= e->nslots || s >= e->nsymbols || !e->slots[i].has_last[s])
        return NULL;
    return &e->slots[i].last[s];
}

const rt_candle_t *an_engine_forming(const an_engine_t *e, size_t s)
{
    if (e == NULL || s >= e->nsymbols || !e->symbols[s].has_forming)
        return NULL;
    return &e->symbols[s].forming;
}

size_t an_engine_history_len(const an_engine_t *e, size_t s)
{
    return e != NULL && s < e->nsymbols ? e->symbols[s].len : 0;
}

const rt_candle_t *an_engine_history_at(const an_engine_t *e, size_t s, size_t k)
{
    if (e == NULL || s >= e->nsymbols || k >= e->symbols[s].len)
        return NULL;
    return ring_at(&e->symbols[s], e->history, k);
}

uint64_t an_engine_signals(const an_engine_t *e, size_t i)
{
    return e != NULL && i < e->nslots ? e->slots[i].signals : 0;
}

uint64_t an_engine_strategy_errors(const an_engine_t *e)
{
    return e != NULL ? e->strategy_errors : 0;
}

size_t an_engine_warmup(const an_engine_t *e)
{
    size_t w = 0;
    if (e == NULL)
        return 0;
    for (size_t i = 0; i < e->nslots; i++)
        if (e->slots[i].enabled) {
            size_t x = e->slots[i].strategy->warmup(&e->slots[i].params);
            if (x > w)
                w = x;
        }
    return w;
}
