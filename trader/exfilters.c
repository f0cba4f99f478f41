/* The exchange filters rt-trader trades by, in both modes: fetched from the exchange's REST
 * exchangeInfo for SYMBOLS (live: at start, with the signed client; demo: by a background
 * thread with a public client, retried with backoff until it succeeds, so that a demo trader
 * starts even while the exchange is away and refuses orders until the filters are known). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr_filters.h"

#include "rt/err.h"
#include "rt/exparse.h"
#include "rt/exrest.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"
#include "tr_svc.h"

#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS 30000

struct tr_exfilters {
    pthread_mutex_t lock; /* info and loaded: written by the loader, read by loop and API */
    rt_exinfo_t info;
    bool loaded;
    pthread_t thread;
    bool thread_on;
    atomic_bool stop;
    rt_exrest_t *rest; /* the demo loader's own public client */
    char symbols[1024];
};

static int fetch_batch(rt_exrest_t *rest, const char *symbols, rt_exinfo_t *out, int *code);

/* One symbol at a time after the batch was refused for an unknown symbol (-1121): the known
 * ones are kept, each unknown one is named in a warning (and refused as unknown_symbol at order
 * time), so one delisted or mistyped name in SYMBOLS does not stop trading in the others.
 * RT_ENOTFOUND when none is known. */
static int fetch_each(rt_exrest_t *rest, const char *symbols, rt_exinfo_t *out)
{
    rt_exinfo_t all;
    memset(&all, 0, sizeof all);
    int rc = RT_OK;
    size_t unknown = 0;
    for (const char *p = symbols; rc == RT_OK && *p;) {
        size_t n = strcspn(p, ",");
        char one[RT_SYMBOL_CAP];
        if (n > 0 && n < sizeof one) {
            memcpy(one, p, n);
            one[n] = '\0';
            rt_exinfo_t info;
            int code = 0;
            int frc = fetch_batch(rest, one, &info, &code);
            if (frc == RT_OK && info.count > 0) {
                rt_symbol_info_t *grown =
                    realloc(all.symbols, (all.count + info.count) * sizeof *grown);
                if (grown == NULL) {
                    rc = RT_ENOMEM;
                } else {
                    memcpy(grown + all.count, info.symbols, info.count * sizeof *grown);
                    all.symbols = grown;
                    all.count += info.count;
                    all.server_time = info.server_time;
                }
                rt_exinfo_cleanup(&info);
            } else if (frc == RT_EEXCHANGE && code == -1121) {
                rt_log_warn("filters", "symbol unknown to the exchange, not traded symbol=%s", one);
                unknown++;
            } else {
                rc = frc != RT_OK ? frc : RT_EPROTO;
            }
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (rc == RT_OK && all.count == 0)
        rc = RT_ENOTFOUND;
    if (rc == RT_OK) {
        rt_log_info("filters", "exchange filters by symbol loaded=%zu unknown=%zu", all.count,
                    unknown);
        *out = all;
    } else {
        rt_exinfo_cleanup(&all);
    }
    return rc;
}

int tr_exfilters_fetch(rt_exrest_t *rest, const char *symbols, rt_exinfo_t *out)
{
    int code = 0;
    int rc = fetch_batch(rest, symbols, out, &code);
    if (rc == RT_EEXCHANGE && code == -1121 && strchr(symbols, ',') != NULL)
        rc = fetch_each(rest, symbols, out);
    return rc;
}

/* exchangeInfo?symbols=[...] into *out; *code gets the exchange's error code (0: none). */
static int fetch_batch(rt_exrest_t *rest, const char *symbols, rt_exinfo_t *out, int *code)
{
    char arr[2048];
    size_t len = 0;
    const char *p = symbols;
    arr[len++] = '[';
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n > 0) {
            int k =
                snprintf(arr + len, sizeof arr - len, "%s\"%.*s\"", len > 1 ? "," : "", (int)n, p);
            if (k < 0 || (size_t)k >= sizeof arr - len)
                return RT_ETOOBIG;
            len += (size_t)k;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (len + 2 > sizeof arr)
        return RT_ETOOBIG;
    arr[len++] = ']';
    arr[len] = '\0';
    rt_exrest_params_t q;
    rt_exrest_response_t r;
    rt_exinfo_t info;
    memset(&info, 0, sizeof info);
    rt_exrest_params_init(&q);
    rt_exrest_response_init(&r);
    int rc = rt_exrest_params_add(&q, "symbols", arr);
    if (rc == 0)
        rc = rt_exrest_get(rest, "/api/v3/exchangeInfo", &q, false, &r);
    if (rc == 0)
        rc = rt_exparse_exchange_info(r.body, r.body_len, &info);
    *code = r.exchange_code;
    if (rc != 0)
        rt_log_warn("filters", "exchangeInfo failed symbols=%s err=%s code=%d msg=%s", symbols,
                    rt_strerror(rc), r.exchange_code, r.exchange_msg);
    else
        *out = info;
    rt_exrest_params_cleanup(&q);
    rt_exrest_response_cleanup(&r);
    return rc;
}

int tr_exfilters_new(tr_svc_t *svc)
{
    struct tr_exfilters *x = calloc(1, sizeof *x);
    if (!x)
        return RT_ENOMEM;
    pthread_mutex_init(&x->lock, NULL);
    atomic_init(&x->stop, false);
    snprintf(x->symbols, sizeof x->symbols, "%s", svc->cfg.symbols);
    svc->filters = x;
    return RT_OK;
}

void tr_exfilters_set(tr_svc_t *svc, rt_exinfo_t *info)
{
    struct tr_exfilters *x = svc->filters;
    pthread_mutex_lock(&x->lock);
    rt_exinfo_t old = x->info;
    x->info = *info;
    x->loaded = true;
    pthread_mutex_unlock(&x->lock);
    memset(info, 0, sizeof *info);
    rt_exinfo_cleanup(&old);
    rt_log_info("filters", "exchange filters loaded symbols=%zu", x->info.count);
}

/* Sleeps ms in small steps; false when asked to stop meanwhile. */
static bool nap(struct tr_exfilters *x, int64_t ms)
{
    for (int64_t slept = 0; slept < ms; slept += 100) {
        if (atomic_load(&x->stop) || rt_sig_stopping())
            return false;
        rt_time_sleep_ms(100);
    }
    return !atomic_load(&x->stop) && !rt_sig_stopping();
}

static void *loader(void *arg)
{
    tr_svc_t *svc = arg;
    struct tr_exfilters *x = svc->filters;
    int64_t wait = BACKOFF_FIRST_MS;
    for (int attempt = 1; !atomic_load(&x->stop) && !rt_sig_stopping(); attempt++) {
        rt_exinfo_t info;
        memset(&info, 0, sizeof info);
        int rc = tr_exfilters_fetch(x->rest, x->symbols, &info);
        if (rc == 0) {
            tr_exfilters_set(svc, &info);
            break;
        }
        rt_log_error("filters",
                     "demo: exchange filters not loaded from %s (attempt %d, err=%s): orders are "
                     "refused until they are; next try in %lld ms",
                     svc->cfg.exchange_rest_url, attempt, rt_strerror(rc), (long long)wait);
        if (!nap(x, wait))
            break;
        wait = wait * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait * 2;
    }
    return NULL;
}

int tr_exfilters_start_loader(tr_svc_t *svc)
{
    struct tr_exfilters *x = svc->filters;
    rt_exrest_config_t c = {.base_url = svc->cfg.exchange_rest_url, .timeout_ms = 5000};
    int rc = rt_exrest_global_init();
    if (rc == 0)
        rc = rt_exrest_new(&c, &x->rest);
    if (rc != 0) {
        rt_log_error("filters", "exchange client not created url=%s err=%s",
                     svc->cfg.exchange_rest_url, rt_strerror(rc));
        return rc;
    }
    if (pthread_create(&x->thread, NULL, loader, svc) != 0)
        return RT_ENOMEM;
    x->thread_on = true;
    return RT_OK;
}

void tr_exfilters_free(tr_svc_t *svc)
{
    struct tr_exfilters *x = svc->filters;
    if (!x)
        return;
    atomic_store(&x->stop, true);
    if (x->thread_on)
        pthread_join(x->thread, NULL);
    rt_exrest_free(x->rest);
    rt_exinfo_cleanup(&x->info);
    pthread_mutex_destroy(&x->lock);
    free(x);
    svc->filters = NULL;
}

bool tr_exfilters_wait(tr_svc_t *svc, int64_t ms)
{
    struct tr_exfilters *x = svc->filters;
    for (int64_t waited = 0;; waited += 100) {
        pthread_mutex_lock(&x->lock);
        bool loaded = x->loaded;
        pthread_mutex_unlock(&x->lock);
        if (loaded || waited >= ms || rt_sig_stopping())
            return loaded;
        rt_time_sleep_ms(100);
    }
}

int tr_svc_filters(const tr_svc_t *svc, const char *symbol, void *out)
{
    struct tr_exfilters *x = svc->filters;
    if (!x)
        return RT_EAGAIN;
    pthread_mutex_lock(&x->lock);
    int rc = RT_EAGAIN;
    if (x->loaded) {
        const rt_symbol_info_t *si = rt_exinfo_find(&x->info, symbol);
        rc = si ? tr_filters_from_symbol_info(si, (tr_filters_t *)out) : RT_ENOTFOUND;
    }
    pthread_mutex_unlock(&x->lock);
    return rc;
}
