/* The rt-analyzer service: configuration, the Redis loop (candles in, signals out), warm-up,
 * live strategy changes, and the HTTP API (api.c). One context, passed explicitly.
 *
 * Threads: the loop thread owns the engine and the Redis connections. HTTP handlers run on
 * server threads; they read the engine and queue changes under `lock`, and the loop applies
 * queued changes (and stores and publishes them) before the next candle. */
#ifndef AN_SERVICE_H
#define AN_SERVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "analyzer/engine.h"
#include "analyzer/settings.h"
#include "rt/bus.h"
#include "rt/config.h"
#include "rt/http.h"
#include "rt/jsonw.h"
#include "rt/metrics.h"

#define AN_CONFIG_CHANNEL "config:strategies"
#define AN_CONFIG_HASH "config:strategies"
#define AN_SIGNAL_CHANNEL "analyze:signal"
#define AN_SIGNAL_STREAM "signals"
#define AN_MARKET_PATTERN "market:data:*"


/** Everything the service reads from the environment and .env. */
typedef struct {
    rt_config_list_t symbols;
    char interval[RT_INTERVAL_CAP];
    char strategies[1024];
    char redis_host[256];
    int redis_port;
    char http_host[64];
    int http_port;
    char api_token[256];
    int exchange;          /* rt_exchange_t */
    char rest_url[512];    /* EXCHANGE_REST_URL; "" = the one EXCHANGE implies */
    int sim_port;          /* SIM_PORT: where EXCHANGE=sim is */
    int64_t stream_maxlen; /* SIGNALS_STREAM_MAXLEN */
    char log_level[16];
    bool warmup;            /* ANALYZER_WARMUP */
    int64_t warmup_candles; /* ANALYZER_WARMUP_CANDLES; 0 = what the strategies need */
    int64_t history;        /* ANALYZER_HISTORY */
} an_config_t;

/** Loads the configuration (environment, then .env at env_path, NULL = ".env") and the
 *  strategies' parameters by their .env names. On a bad value prints every problem to stderr
 *  and returns RT_EINVAL; 0 otherwise. enabled/params are indexed like the registry. */
int an_config_load(const char *env_path, an_config_t *cfg, bool *enabled, an_params_t *params);

/** Logs the effective configuration (secrets masked); after rt_log_init. */
void an_config_log(const an_config_t *cfg);

/** A change queued by the API for the loop thread. */
typedef struct {
    size_t slot;
    bool enabled;
    an_params_t params;
} an_change_t;

#define AN_CHANGES_MAX 64
#define AN_SIGNALS_PER_CANDLE (AN_STRATEGIES_MAX)
/** Signals kept for a later XADD while Redis is unreachable. */
#define AN_BACKLOG_MAX 1024

typedef struct {
    an_config_t cfg;
    an_engine_t *engine;
    pthread_mutex_t lock; /* guards engine, changes, desired */
    an_change_t changes[AN_CHANGES_MAX];
    size_t nchanges;
    /* What the API last accepted per slot (applied or still queued): PUT builds on it. */
    bool desired_enabled[AN_STRATEGIES_MAX];
    an_params_t desired[AN_STRATEGIES_MAX];

    rt_bus_t *bus;
    rt_bus_sub_t *sub;
    rt_http_server_t *http;
    rt_metrics_t *metrics;
    rt_series_t *m_candles[AN_CANDLE_RESULT_COUNT];
    rt_series_t *m_malformed;
    rt_series_t *m_signals[AN_STRATEGIES_MAX];
    rt_series_t *m_publish_errors;
    rt_series_t *m_process;
    rt_jsonw_t w;
    rt_signal_t pending[AN_SIGNALS_PER_CANDLE]; /* signals of the candle being processed */
    size_t npending;
    rt_signal_t backlog[AN_BACKLOG_MAX]; /* ring of signals the stream refused (loop thread) */
    size_t backlog_head, nbacklog;
    int64_t last_malformed_log_ms;
    uint64_t malformed_unlogged;
    atomic_bool cmd_ok; /* for /health (read on server threads): the last command succeeded */
    atomic_bool sub_ok; /* and the subscriber is connected */
    char instance[64];  /* "<pid>-<start ms>": marks this instance's config:strategies messages */
} an_service_t;

/** Builds the service from a loaded configuration: engine with the enabled strategies,
 *  metrics, Redis connections, stored strategy settings (config:strategies), warm-up,
 *  subscriptions and the HTTP server. Returns 0 or an rt_err code (logged). The context is
 *  caller-owned; an_service_cleanup releases what was set up, also after a failure. */
int an_service_init(an_service_t *svc, const bool *enabled, const an_params_t *params);

/** Fetches the last closed klines of every symbol over the exchange's REST API and feeds them
 *  to the engine without emitting (warmup.c). A failure is logged and the service goes on
 *  cold: the strategies then warm up on live candles. */
void an_warm_up(an_service_t *svc);

/** Runs the loop until the stop flag is set. Returns 0. */
int an_service_run(an_service_t *svc);

/** Stops the HTTP server and releases everything. Safe on a partly initialized context. */
void an_service_cleanup(an_service_t *svc);

/** Routes GET /strategies and PUT /strategies/{name} (api.c). Returns 0 or an rt_err code. */
int an_api_register(an_service_t *svc);

#endif
