/* The rt-analyzer service (service.h): configuration, Redis loop, warm-up, live changes. */
#include "analyzer/service.h"
#include "analyzer/settings.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt/err.h"
#include "rt/exchange.h"
#include "rt/log.h"
#include "rt/msg.h"
#include "rt/sig.h"
#include "rt/str.h"
#include "rt/time.h"

#define MOD "analyzer"
#define LOOP_MS 500
#define MALFORMED_LOG_EVERY_MS 10000

/* ---- configuration --------------------------------------------------------------------- */

static bool check_interval(char *v)
{
    return rt_msg_interval_valid(v);
}

static const rt_config_check_t interval_check = {
    "a kline interval: 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M", check_interval};

static bool check_level(char *v)
{
    rt_log_level_t l;
    return rt_log_level_parse(v, &l) == RT_OK;
}

static const rt_config_check_t level_check = {"one of debug, info, warn, error", check_level};


static const rt_config_var_t an_vars[] = {
    {"SYMBOLS", RT_CONFIG_LIST, "BTCUSDC", "symbols analyzed (comma-separated; SYMBOL if unset)",
     RT_CONFIG_AT(an_config_t, symbols), .min = 1, .max = AN_SYMBOLS_MAX,
     .check = &rt_config_check_symbol},
    {"INTERVAL", RT_CONFIG_STRING, "1m", "candle interval the strategies run on",
     RT_CONFIG_AT(an_config_t, interval), .check = &interval_check},
    {"STRATEGIES", RT_CONFIG_STRING, "all", "enabled strategies (comma-separated, or all)",
     RT_CONFIG_AT(an_config_t, strategies)},
    {"REDIS_HOST", RT_CONFIG_STRING, "127.0.0.1", "Redis host",
     RT_CONFIG_AT(an_config_t, redis_host), .min = 1, .max = 255},
    {"REDIS_PORT", RT_CONFIG_PORT, "16379", "Redis port", RT_CONFIG_AT(an_config_t, redis_port)},
    {"ANALYZER_BIND", RT_CONFIG_STRING, "127.0.0.1", "address the HTTP API binds",
     RT_CONFIG_AT(an_config_t, http_host), .min = 1, .max = 63},
    {"ANALYZER_PORT", RT_CONFIG_PORT, "8002", "HTTP API port",
     RT_CONFIG_AT(an_config_t, http_port)},
    {"API_TOKEN", RT_CONFIG_STRING, NULL, "bearer token for PUT /strategies",
     RT_CONFIG_AT(an_config_t, api_token), .secret = true, .min = 16, .max = 255},
    {"EXCHANGE", RT_CONFIG_ENUM, "sim", "warm-up source: sim, binance, binance-testnet",
     RT_CONFIG_AT(an_config_t, exchange), .choices = rt_exchange_names},
    {"EXCHANGE_REST_URL", RT_CONFIG_URL, "", "overrides the REST URL that EXCHANGE implies",
     RT_CONFIG_AT(an_config_t, rest_url)},
    {"SIM_PORT", RT_CONFIG_PORT, "9090", "port of rt-exchange-sim on 127.0.0.1 (EXCHANGE=sim)",
     RT_CONFIG_AT(an_config_t, sim_port)},
    {"SIGNALS_STREAM_MAXLEN", RT_CONFIG_INT, "100000", "approximate cap of the signals stream",
     RT_CONFIG_AT(an_config_t, stream_maxlen), .min = 1, .max = 100000000},
    {"LOG_LEVEL", RT_CONFIG_STRING, "info", "debug, info, warn or error",
     RT_CONFIG_AT(an_config_t, log_level), .check = &level_check},
    {"ANALYZER_WARMUP", RT_CONFIG_BOOL, "yes", "fetch klines over REST at start",
     RT_CONFIG_AT(an_config_t, warmup)},
    {"ANALYZER_WARMUP_CANDLES", RT_CONFIG_INT, "0",
     "klines fetched per symbol at start (0: what the enabled strategies need, at least 300)",
     RT_CONFIG_AT(an_config_t, warmup_candles), .min = 0, .max = 1000},
    {"ANALYZER_HISTORY", RT_CONFIG_INT, "1000",
     "closed candles kept per symbol to re-warm a strategy after a change",
     RT_CONFIG_AT(an_config_t, history), .min = 1, .max = AN_HISTORY_MAX},
};

static const char *env_lookup(void *ud, const char *name)
{
    const char *v = NULL;
    return rt_config_get(ud, name, &v) == RT_OK ? v : NULL;
}

int an_config_load(const char *env_path, an_config_t *cfg, bool *enabled, an_params_t *params)
{
    rt_config_report_t report;
    rt_config_t *src = NULL;
    char buf[4096];
    int rc = rt_config_new(env_path, &src, &report);
    if (rc == RT_OK)
        rc = rt_config_fill(src, an_vars, RT_CONFIG_COUNT(an_vars), cfg, &report);
    if (rc != RT_OK) {
        if (rt_config_report_format(&report, buf, sizeof buf) != RT_EINVAL)
            fprintf(stderr, "%s", buf);
        goto out;
    }
    /* The seed's single SYMBOL stands in when SYMBOLS is not set. */
    const char *one = NULL, *many = NULL;
    if (rt_config_get(src, "SYMBOLS", &many) == RT_ENOTFOUND &&
        rt_config_get(src, "SYMBOL", &one) == RT_OK) {
        char sym[RT_CONFIG_ITEM_CAP];
        if (rt_str_copy(sym, sizeof sym, one) != RT_OK || !rt_config_check_symbol.fn(sym)) {
            fprintf(stderr, "config: SYMBOL=\"%s\": must be %s\n", one,
                    rt_config_check_symbol.what);
            rc = RT_EINVAL;
            goto out;
        }
        cfg->symbols.count = 1;
        rt_str_copy(cfg->symbols.items[0], sizeof cfg->symbols.items[0], sym);
    }
    size_t n = 0;
    const an_strategy_t *const *all = an_registry_all(&n);
    const an_strategy_t *sel[AN_STRATEGIES_MAX];
    size_t nsel = 0;
    rc = an_registry_select(cfg->strategies, sel, AN_STRATEGIES_MAX, &nsel, buf, sizeof buf);
    if (rc != RT_OK) {
        fprintf(stderr, "config: STRATEGIES=\"%s\": %s\n", cfg->strategies, buf);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        enabled[i] = false;
        for (size_t k = 0; k < nsel; k++)
            enabled[i] = enabled[i] || sel[k] == all[i];
        an_params_defaults(&params[i], all[i]);
        rc = an_params_load(&params[i], env_lookup, src, buf, sizeof buf);
        if (rc != RT_OK) {
            fprintf(stderr, "config: %s: %s\n", all[i]->name, buf);
            goto out;
        }
    }
out:
    rt_config_free(src);
    return rc;
}

void an_config_log(const an_config_t *cfg)
{
    rt_config_log(an_vars, RT_CONFIG_COUNT(an_vars), cfg);
}

/* ---- signals out ----------------------------------------------------------------------- */

static void collect_signal(void *ud, const rt_signal_t *sig)
{
    an_service_t *svc = ud;
    if (svc->npending < AN_SIGNALS_PER_CANDLE)
        svc->pending[svc->npending++] = *sig;
}

/* XADDs one formatted signal to the stream: 0 or the bus's error. */
static int stream_add(an_service_t *svc, const rt_signal_t *sig)
{
    rt_jsonw_reset(&svc->w);
    int rc = rt_msg_signal_format(&svc->w, sig);
    if (rc == RT_OK)
        rc = rt_jsonw_finish(&svc->w);
    if (rc == RT_OK)
        rc = rt_bus_xadd(svc->bus, AN_SIGNAL_STREAM, svc->cfg.stream_maxlen, rt_jsonw_data(&svc->w),
                         rt_jsonw_len(&svc->w), NULL, 0);
    return rc;
}

/* Keeps a signal the stream refused for a later try (the trader must not miss it): the
 * oldest is dropped, and counted, when the backlog is full. */
static void backlog_push(an_service_t *svc, const rt_signal_t *sig)
{
    if (svc->nbacklog == AN_BACKLOG_MAX) {
        rt_log_error(MOD, "signal backlog full, dropped id=%s", svc->backlog[svc->backlog_head].id);
        rt_counter_inc(svc->m_publish_errors);
        svc->backlog_head = (svc->backlog_head + 1) % AN_BACKLOG_MAX;
        svc->nbacklog--;
    }
    svc->backlog[(svc->backlog_head + svc->nbacklog) % AN_BACKLOG_MAX] = *sig;
    svc->nbacklog++;
}

/* Retries the backlog in order; stops at the first failure (Redis still away). */
static void backlog_flush(an_service_t *svc)
{
    while (svc->nbacklog > 0) {
        const rt_signal_t *sig = &svc->backlog[svc->backlog_head];
        int rc = stream_add(svc, sig);
        if (rc == RT_ECONN || rc == RT_ETIMEDOUT)
            return;
        if (rc != RT_OK)
            rt_log_error(MOD, "XADD retry failed for good id=%s err=%s", sig->id, rt_strerror(rc));
        else
            rt_log_info(MOD, "signal added after a retry id=%s", sig->id);
        svc->backlog_head = (svc->backlog_head + 1) % AN_BACKLOG_MAX;
        svc->nbacklog--;
    }
}

static void publish_signal(an_service_t *svc, const rt_signal_t *sig, size_t slot)
{
    /* The stream first (what the trader acts on), in order behind any backlog. */
    backlog_flush(svc);
    int rc = svc->nbacklog > 0 ? RT_ECONN : stream_add(svc, sig);
    if (rc == RT_ECONN || rc == RT_ETIMEDOUT) {
        /* A timeout's outcome is unknown: a retry may add it twice, which the id makes
         * harmless (the trader drops duplicates). */
        rt_log_warn(MOD, "XADD failed, kept for retry id=%s err=%s", sig->id, rt_strerror(rc));
        backlog_push(svc, sig);
    } else if (rc != RT_OK) {
        rt_log_error(MOD, "XADD failed id=%s err=%s", sig->id, rt_strerror(rc));
        rt_counter_inc(svc->m_publish_errors);
    }
    /* Then the channel, for the dashboard (svc->w still holds the JSON unless it failed). */
    if (rc == RT_OK) {
        int prc = rt_bus_publish(svc->bus, AN_SIGNAL_CHANNEL, rt_jsonw_data(&svc->w),
                                 rt_jsonw_len(&svc->w));
        if (prc < 0) {
            rt_counter_inc(svc->m_publish_errors);
            rc = prc;
        }
    }
    atomic_store(&svc->cmd_ok, rc >= 0);
    if (slot < AN_STRATEGIES_MAX && svc->m_signals[slot] != NULL)
        rt_counter_inc(svc->m_signals[slot]);
    char price[RT_MONEY_FMT_MAX];
    rt_money_format(sig->price, price, sizeof price);
    rt_log_info(MOD, "signal id=%s side=%s price=%s", sig->id, rt_side_name(sig->side), price);
}

/* ---- live changes ---------------------------------------------------------------------- */

/* Stores and publishes one slot's settings (loop thread). */
static void persist_settings(an_service_t *svc, size_t slot, bool enabled, const an_params_t *p)
{
    const an_strategy_t *s = an_engine_strategy(svc->engine, slot);
    rt_jsonw_reset(&svc->w);
    int rc = an_settings_format(&svc->w, s, enabled, p, svc->instance);
    if (rc == RT_OK)
        rc = rt_jsonw_finish(&svc->w);
    if (rc == RT_OK)
        rc = rt_bus_hset(svc->bus, AN_CONFIG_HASH, s->name, rt_jsonw_data(&svc->w),
                         rt_jsonw_len(&svc->w));
    if (rc == RT_OK) {
        int prc = rt_bus_publish(svc->bus, AN_CONFIG_CHANNEL, rt_jsonw_data(&svc->w),
                                 rt_jsonw_len(&svc->w));
        rc = prc < 0 ? prc : RT_OK;
    }
    if (rc != RT_OK)
        rt_log_warn(MOD, "strategy settings not stored strategy=%s err=%s", s->name,
                    rt_strerror(rc));
}

/* Applies the queued changes to the engine; called with the lock held. Copies what was applied
 * into done[] for persisting after the lock is released. */
static size_t apply_changes_locked(an_service_t *svc, an_change_t *done)
{
    size_t n = svc->nchanges;
    for (size_t k = 0; k < n; k++) {
        const an_change_t *c = &svc->changes[k];
        int rc = an_engine_configure(svc->engine, c->slot, c->enabled, &c->params);
        const an_strategy_t *s = an_engine_strategy(svc->engine, c->slot);
        if (rc != RT_OK)
            rt_log_error(MOD, "strategy change failed strategy=%s err=%s", s->name,
                         rt_strerror(rc));
        else
            rt_log_info(MOD, "strategy changed strategy=%s enabled=%s history=%zu warmup=%zu",
                        s->name, c->enabled ? "true" : "false",
                        an_engine_history_len(svc->engine, 0), s->warmup(&c->params));
        done[k] = *c;
    }
    svc->nchanges = 0;
    return n;
}

static void apply_changes(an_service_t *svc)
{
    an_change_t done[AN_CHANGES_MAX];
    pthread_mutex_lock(&svc->lock);
    size_t n = svc->nchanges > 0 ? apply_changes_locked(svc, done) : 0;
    pthread_mutex_unlock(&svc->lock);
    for (size_t k = 0; k < n; k++)
        persist_settings(svc, done[k].slot, done[k].enabled, &done[k].params);
}

/* A settings message from another instance (config:strategies) or the stored hash: applied
 * directly (loop thread), not persisted again. */
static void apply_settings_text(an_service_t *svc, const char *text, size_t len, const char *origin)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    const char *from = json_string_value(json_object_get(root, "instance"));
    if (from != NULL && strcmp(from, svc->instance) == 0 &&
        strcmp(origin, AN_CONFIG_CHANNEL) == 0) {
        /* Our own change coming back: already applied, and a later one may have followed. */
        json_decref(root);
        return;
    }
    const char *name = root != NULL ? json_string_value(json_object_get(root, "strategy")) : NULL;
    char why[AN_ERR_CAP] = "";
    bool changed = false;
    pthread_mutex_lock(&svc->lock);
    int slot = name != NULL ? an_engine_find(svc->engine, name) : RT_ENOTFOUND;
    int rc = slot >= 0 ? RT_OK : RT_EINVAL;
    if (slot >= 0) {
        bool en = svc->desired_enabled[slot];
        an_params_t p = svc->desired[slot];
        rc = an_settings_apply(an_engine_strategy(svc->engine, (size_t)slot), root, &en, &p, why,
                               sizeof why);
        changed =
            rc == RT_OK && (en != an_engine_enabled(svc->engine, (size_t)slot) ||
                            memcmp(&p, an_engine_params(svc->engine, (size_t)slot), sizeof p) != 0);
        if (changed) {
            rc = an_engine_configure(svc->engine, (size_t)slot, en, &p);
            if (rc == RT_OK) {
                svc->desired_enabled[slot] = en;
                svc->desired[slot] = p;
            }
        }
    }
    pthread_mutex_unlock(&svc->lock);
    if (rc != RT_OK)
        rt_log_warn(MOD, "strategy settings ignored origin=%s err=%s why=%s", origin,
                    rt_strerror(rc), root == NULL ? jerr.text : why);
    else if (changed)
        rt_log_info(MOD, "strategy settings applied origin=%s strategy=%s", origin, name);
    json_decref(root);
}

static void on_stored_setting(void *ud, const char *field, size_t flen, const char *value,
                              size_t vlen)
{
    (void)field;
    (void)flen;
    apply_settings_text(ud, value, vlen, AN_CONFIG_HASH);
}

/* ---- candles in ------------------------------------------------------------------------ */

static void log_malformed(an_service_t *svc, const char *channel, const rt_msg_error_t *e)
{
    rt_counter_inc(svc->m_malformed);
    int64_t now = rt_time_mono_ms();
    if (svc->last_malformed_log_ms != 0 &&
        now - svc->last_malformed_log_ms < MALFORMED_LOG_EVERY_MS) {
        svc->malformed_unlogged++;
        return;
    }
    rt_log_warn(MOD, "malformed message dropped channel=%s field=%s why=%s suppressed=%llu",
                channel, e->field, e->text, (unsigned long long)svc->malformed_unlogged);
    svc->last_malformed_log_ms = now;
    svc->malformed_unlogged = 0;
}

static void process_candle(an_service_t *svc, const rt_candle_t *c)
{
    apply_changes(svc);
    int64_t t0 = rt_time_mono_ns();
    svc->npending = 0;
    pthread_mutex_lock(&svc->lock);
    int r = an_engine_candle(svc->engine, c, true, collect_signal, svc);
    pthread_mutex_unlock(&svc->lock);
    if (r >= 0 && r < AN_CANDLE_RESULT_COUNT)
        rt_counter_inc(svc->m_candles[r]);
    if (r >= AN_CANDLE_UNKNOWN_SYMBOL)
        rt_log_debug(MOD, "candle ignored symbol=%s open_time=%lld reason=%s", c->symbol,
                     (long long)c->open_time, an_candle_result_name((an_candle_result_t)r));
    for (size_t k = 0; k < svc->npending; k++)
        publish_signal(svc, &svc->pending[k],
                       (size_t)an_engine_find(svc->engine, svc->pending[k].strategy));
    if (r == AN_CANDLE_FED)
        rt_histogram_observe(svc->m_process, (double)(rt_time_mono_ns() - t0) / 1e9);
}

static void on_message(void *ud, const char *pattern, const char *channel, const char *payload,
                       size_t len)
{
    an_service_t *svc = ud;
    (void)pattern;
    if (strcmp(channel, AN_CONFIG_CHANNEL) == 0) {
        apply_settings_text(svc, payload, len, AN_CONFIG_CHANNEL);
        return;
    }
    rt_candle_t c;
    rt_msg_error_t e;
    if (rt_msg_candle_parse(payload, len, &c, &e) != RT_OK) {
        log_malformed(svc, channel, &e);
        return;
    }
    process_candle(svc, &c);
}

/* ---- life cycle ------------------------------------------------------------------------ */

static int health(void *ud, json_t *details)
{
    an_service_t *svc = ud;
    bool ok = atomic_load(&svc->cmd_ok) && atomic_load(&svc->sub_ok);
    json_object_set_new(details, "redis", json_string(ok ? "ok" : "down"));
    return ok ? RT_OK : RT_ECONN;
}

static int metrics_init(an_service_t *svc)
{
    rt_metric_t *m = NULL;
    int rc = rt_metrics_new(&svc->metrics);
    if (rc == RT_OK)
        rc = rt_metrics_counter(svc->metrics, "analyzer_candles_total",
                                "Candles received, by what happened to them", "result", 0, &m);
    for (int r = 0; rc == RT_OK && r < AN_CANDLE_RESULT_COUNT; r++) {
        const char *v[] = {an_candle_result_name((an_candle_result_t)r)};
        rc = rt_metric_series(m, v, &svc->m_candles[r]);
    }
    if (rc == RT_OK)
        rc = rt_metrics_counter(svc->metrics, "analyzer_malformed_messages_total",
                                "Messages dropped because they did not parse", NULL, 0, &m);
    if (rc == RT_OK)
        rc = rt_metric_series(m, NULL, &svc->m_malformed);
    if (rc == RT_OK)
        rc = rt_metrics_counter(svc->metrics, "analyzer_signals_total",
                                "Signals emitted, by strategy", "strategy", AN_STRATEGIES_MAX, &m);
    for (size_t i = 0; rc == RT_OK && i < an_engine_strategy_count(svc->engine); i++) {
        const char *v[] = {an_engine_strategy(svc->engine, i)->name};
        rc = rt_metric_series(m, v, &svc->m_signals[i]);
    }
    if (rc == RT_OK)
        rc = rt_metrics_counter(svc->metrics, "analyzer_publish_errors_total",
                                "Signals that could not be formatted, added or published", NULL, 0,
                                &m);
    if (rc == RT_OK)
        rc = rt_metric_series(m, NULL, &svc->m_publish_errors);
    static const double buckets[] = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 1e-3, 1e-2, 0.1};
    if (rc == RT_OK)
        rc = rt_metrics_histogram(svc->metrics, "analyzer_candle_processing_seconds",
                                  "Time to run the enabled strategies on one closed candle", NULL,
                                  0, buckets, sizeof buckets / sizeof buckets[0], &m);
    if (rc == RT_OK)
        rc = rt_metric_series(m, NULL, &svc->m_process);
    return rc;
}

int an_service_init(an_service_t *svc, const bool *enabled, const an_params_t *params)
{
    int rc;
    rt_jsonw_init(&svc->w);
    snprintf(svc->instance, sizeof svc->instance, "%ld-%lld", (long)getpid(),
             (long long)rt_time_now_ms());
    pthread_mutex_init(&svc->lock, NULL);
    const char *syms[AN_SYMBOLS_MAX];
    for (size_t s = 0; s < svc->cfg.symbols.count; s++)
        syms[s] = svc->cfg.symbols.items[s];
    rc = an_engine_new(syms, svc->cfg.symbols.count, svc->cfg.interval, (size_t)svc->cfg.history,
                       &svc->engine);
    if (rc != RT_OK) {
        rt_log_error(MOD, "engine not created err=%s", rt_strerror(rc));
        return rc;
    }
    const an_strategy_t *loaded[AN_STRATEGIES_MAX];
    size_t nloaded = 0;
    for (size_t i = 0; i < an_engine_strategy_count(svc->engine); i++) {
        rc = an_engine_configure(svc->engine, i, enabled[i], &params[i]);
        if (rc != RT_OK) {
            rt_log_error(MOD, "strategy not configured strategy=%s err=%s",
                         an_engine_strategy(svc->engine, i)->name, rt_strerror(rc));
            return rc;
        }
        svc->desired_enabled[i] = enabled[i];
        svc->desired[i] = params[i];
        if (enabled[i])
            loaded[nloaded++] = an_engine_strategy(svc->engine, i);
    }
    rc = metrics_init(svc);
    if (rc != RT_OK) {
        rt_log_error(MOD, "metrics not created err=%s", rt_strerror(rc));
        return rc;
    }
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.host = svc->cfg.redis_host;
    o.port = svc->cfg.redis_port;
    o.client_name = "analyzer";
    rc = rt_bus_new(&o, &svc->bus);
    if (rc == RT_OK) {
        o.client_name = "analyzer-sub";
        rc = rt_bus_sub_new(&o, &svc->sub);
    }
    if (rc != RT_OK) {
        rt_log_error(MOD, "redis unreachable host=%s port=%d err=%s", o.host, o.port,
                     rt_strerror(rc));
        return rc;
    }
    atomic_store(&svc->cmd_ok, true);
    atomic_store(&svc->sub_ok, true);
    rc = rt_bus_hgetall(svc->bus, AN_CONFIG_HASH, on_stored_setting, svc);
    if (rc < 0)
        rt_log_warn(MOD, "stored strategy settings not read err=%s", rt_strerror(rc));
    nloaded = 0;
    for (size_t i = 0; i < an_engine_strategy_count(svc->engine); i++)
        if (an_engine_enabled(svc->engine, i))
            loaded[nloaded++] = an_engine_strategy(svc->engine, i);
    char names[1024];
    if (an_strategy_names(loaded, nloaded, names, sizeof names) == 0)
        rt_str_copy(names, sizeof names, "...");
    rt_log_info(MOD, "Strategies loaded: %s", nloaded > 0 ? names : "(none)");
    if (svc->cfg.warmup)
        an_warm_up(svc);
    rc = rt_bus_sub_psubscribe(svc->sub, AN_MARKET_PATTERN);
    if (rc == RT_OK)
        rc = rt_bus_sub_subscribe(svc->sub, AN_CONFIG_CHANNEL);
    if (rc != RT_OK) {
        rt_log_error(MOD, "subscribe failed err=%s", rt_strerror(rc));
        return rc;
    }
    rt_http_config_t hc = {.service = "analyzer",
                           .host = svc->cfg.http_host,
                           .port = (uint16_t)svc->cfg.http_port,
                           .api_token = svc->cfg.api_token,
                           .metrics = svc->metrics,
                           .health = health,
                           .health_ud = svc};
    rc = rt_http_server_new(&hc, &svc->http);
    if (rc == RT_OK)
        rc = an_api_register(svc);
    if (rc == RT_OK)
        rc = rt_http_server_start(svc->http);
    if (rc != RT_OK) {
        rt_log_error(MOD, "http server not started port=%d err=%s", svc->cfg.http_port,
                     rt_strerror(rc));
        return rc;
    }
    rt_log_info(MOD, "listening host=%s port=%u symbols=%zu interval=%s", svc->cfg.http_host,
                (unsigned)rt_http_server_port(svc->http), svc->cfg.symbols.count,
                svc->cfg.interval);
    return RT_OK;
}

int an_service_run(an_service_t *svc)
{
    int64_t last_ping = rt_time_mono_ms();
    while (!rt_sig_stopping()) {
        int rc = rt_bus_sub_poll(svc->sub, LOOP_MS, on_message, svc);
        atomic_store(&svc->sub_ok, rc >= 0 && rt_bus_sub_connected(svc->sub));
        apply_changes(svc);
        backlog_flush(svc);
        int64_t now = rt_time_mono_ms();
        if (now - last_ping >= 5000) {
            atomic_store(&svc->cmd_ok, rt_bus_ping(svc->bus) == RT_OK);
            last_ping = now;
        }
    }
    return RT_OK;
}

void an_service_cleanup(an_service_t *svc)
{
    rt_http_server_free(svc->http);
    svc->http = NULL;
    rt_bus_sub_free(svc->sub);
    rt_bus_free(svc->bus);
    svc->sub = NULL;
    svc->bus = NULL;
    an_engine_free(svc->engine);
    svc->engine = NULL;
    rt_metrics_free(svc->metrics);
    svc->metrics = NULL;
    rt_jsonw_cleanup(&svc->w);
    pthread_mutex_destroy(&svc->lock);
}
