/* rt-trader: consumes signals, applies the risk manager, executes (demo), keeps the books.
 * Load config, init logging, install the stop flag, connect, run, tear down in reverse. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/bus.h"
#include "rt/config.h"
#include "rt/db.h"
#include "rt/err.h"
#include "rt/http.h"
#include "rt/log.h"
#include "rt/metrics.h"
#include "rt/sig.h"
#include "tr_svc.h"

static const char *const modes[] = {"demo", "live", NULL};
static const char *const exchanges[] = {"sim", "binance", "binance-testnet", NULL};
static const char *const rest_schemes[] = {"http", "https", NULL};

static const rt_config_var_t tr_vars[] = {
    {"REDIS_HOST", RT_CONFIG_STRING, "127.0.0.1", "Redis host",
     RT_CONFIG_AT(tr_svc_config_t, redis_host)},
    {"REDIS_PORT", RT_CONFIG_PORT, "16379", "Redis port",
     RT_CONFIG_AT(tr_svc_config_t, redis_port)},
    {"PGHOST", RT_CONFIG_STRING, "127.0.0.1", "PostgreSQL host",
     RT_CONFIG_AT(tr_svc_config_t, pghost)},
    {"PGPORT", RT_CONFIG_PORT, "15432", "PostgreSQL port", RT_CONFIG_AT(tr_svc_config_t, pgport)},
    {"PGUSER", RT_CONFIG_STRING, "roottrading", "PostgreSQL user",
     RT_CONFIG_AT(tr_svc_config_t, pguser)},
    {"PGPASSWORD", RT_CONFIG_STRING, "", "PostgreSQL password",
     RT_CONFIG_AT(tr_svc_config_t, pgpassword), .secret = true},
    {"PGDATABASE", RT_CONFIG_STRING, "trading", "PostgreSQL database",
     RT_CONFIG_AT(tr_svc_config_t, pgdatabase)},
    {"TRADING_MODE", RT_CONFIG_ENUM, "demo", "demo: fills simulated locally; live: real orders",
     RT_CONFIG_AT(tr_svc_config_t, trading_mode), .choices = modes},
    {"DEMO_BALANCES", RT_CONFIG_STRING, "USDC=10000", "demo balances at first start: ASSET=n,...",
     RT_CONFIG_AT(tr_svc_config_t, demo_balances)},
    {"TRADER_PORT", RT_CONFIG_PORT, "8001", "HTTP port of the trader API",
     RT_CONFIG_AT(tr_svc_config_t, port)},
    {"TRADER_BIND", RT_CONFIG_STRING, "127.0.0.1", "address the API listens on",
     RT_CONFIG_AT(tr_svc_config_t, bind), .min = 1, .max = 63},
    {"API_TOKEN", RT_CONFIG_STRING, "", "bearer token for write requests",
     RT_CONFIG_AT(tr_svc_config_t, api_token), .secret = true},
    {"TRADER_CONSUMER", RT_CONFIG_STRING, "trader-1", "consumer name in the group `trader`",
     RT_CONFIG_AT(tr_svc_config_t, consumer)},
    {"QUOTE_ASSET", RT_CONFIG_STRING, "USDC", "asset the account's value is given in",
     RT_CONFIG_AT(tr_svc_config_t, quote_asset)},
    {"TRADER_STREAM", RT_CONFIG_STRING, "signals", "the signals stream (tests use their own)",
     RT_CONFIG_AT(tr_svc_config_t, stream)},
    {"TRADER_FAULT", RT_CONFIG_STRING, "",
     "tests only: after_order_commit, after_send (live), before_ack, before_limit_fill_commit "
     "(demo) or before_live_follow_commit (live)",
     RT_CONFIG_AT(tr_svc_config_t, fault)},
    {"LOG_LEVEL", RT_CONFIG_STRING, "INFO", "DEBUG, INFO, WARN or ERROR",
     RT_CONFIG_AT(tr_svc_config_t, log_level)},
    {"TRADER_RUN_SECONDS", RT_CONFIG_INT, "0", "stop by itself after this long (0: never)",
     RT_CONFIG_AT(tr_svc_config_t, run_seconds), .min = 0, .max = 86400 * 365},
    {"EXCHANGE", RT_CONFIG_ENUM, "sim",
     "live mode's exchange: sim (local simulator), binance, binance-testnet",
     RT_CONFIG_AT(tr_svc_config_t, exchange), .choices = exchanges},
    {"EXCHANGE_REST_URL", RT_CONFIG_URL, "",
     "REST base URL (both modes: exchangeInfo); empty = the one EXCHANGE implies",
     RT_CONFIG_AT(tr_svc_config_t, exchange_rest_url), .choices = rest_schemes},
    {"SIM_PORT", RT_CONFIG_PORT, "9090", "port of rt-exchange-sim on 127.0.0.1 (EXCHANGE=sim)",
     RT_CONFIG_AT(tr_svc_config_t, sim_port)},
    {"BINANCE_API_KEY", RT_CONFIG_STRING, "", "live mode: the exchange API key",
     RT_CONFIG_AT(tr_svc_config_t, binance_api_key), .secret = true},
    {"BINANCE_SECRET_KEY", RT_CONFIG_STRING, "", "live mode: the exchange secret key",
     RT_CONFIG_AT(tr_svc_config_t, binance_secret_key), .secret = true},
    {"SYMBOLS", RT_CONFIG_STRING, "BTCUSDC,ETHUSDC,SOLUSDC,BNBUSDC,XRPUSDC",
     "symbols whose exchange filters are loaded (orders on others are refused)",
     RT_CONFIG_AT(tr_svc_config_t, symbols)},
    {"LIVE_BALANCE_SECONDS", RT_CONFIG_INT, "30",
     "live mode: re-read the exchange account this often (seconds)",
     RT_CONFIG_AT(tr_svc_config_t, balance_seconds), .min = 1, .max = 86400},
};

/* The REST base URL of live mode: EXCHANGE_REST_URL, else the one EXCHANGE implies. */
static int resolve_rest_url(tr_svc_config_t *c)
{
    if (c->exchange_rest_url[0])
        return RT_OK;
    int n;
    if (c->exchange == 1)
        n = snprintf(c->exchange_rest_url, sizeof c->exchange_rest_url, "https://api.binance.com");
    else if (c->exchange == 2)
        n = snprintf(c->exchange_rest_url, sizeof c->exchange_rest_url,
                     "https://testnet.binance.vision");
    else
        n = snprintf(c->exchange_rest_url, sizeof c->exchange_rest_url, "http://127.0.0.1:%d",
                     c->sim_port);
    return n > 0 && (size_t)n < sizeof c->exchange_rest_url ? RT_OK : RT_ETOOBIG;
}

/* Appends key='value' to a libpq conninfo, quoting as libpq wants. */
static int conninfo_add(char *buf, size_t cap, size_t *len, const char *key, const char *value)
{
    int n = snprintf(buf + *len, cap - *len, "%s%s='", *len ? " " : "", key);
    if (n < 0 || (size_t)n >= cap - *len)
        return RT_ETOOBIG;
    *len += (size_t)n;
    for (const char *p = value; *p; p++) {
        if (*len + 3 >= cap)
            return RT_ETOOBIG;
        if (*p == '\'' || *p == '\\')
            buf[(*len)++] = '\\';
        buf[(*len)++] = *p;
    }
    buf[(*len)++] = '\'';
    buf[*len] = '\0';
    return RT_OK;
}

static int connect_db(const tr_svc_config_t *c, const char *name, rt_db_t **out)
{
    char ci[1024], port[16];
    size_t len = 0;
    int rc;
    snprintf(port, sizeof port, "%d", c->pgport);
    if ((rc = conninfo_add(ci, sizeof ci, &len, "host", c->pghost)) != 0 ||
        (rc = conninfo_add(ci, sizeof ci, &len, "port", port)) != 0 ||
        (rc = conninfo_add(ci, sizeof ci, &len, "user", c->pguser)) != 0 ||
        (rc = conninfo_add(ci, sizeof ci, &len, "dbname", c->pgdatabase)) != 0 ||
        (c->pgpassword[0] &&
         (rc = conninfo_add(ci, sizeof ci, &len, "password", c->pgpassword)) != 0))
        return rc;
    rt_db_opts_t dbo = {.application_name = name};
    rc = rt_db_connect(ci, &dbo, out);
    if (rc != 0)
        rt_log_error("main", "postgres unreachable host=%s port=%d err=%s", c->pghost, c->pgport,
                     rt_strerror(rc));
    return rc;
}

static int connect_all(tr_svc_t *svc)
{
    const tr_svc_config_t *c = &svc->cfg;
    rt_bus_opts_t bo;
    rt_bus_opts_init(&bo);
    bo.host = c->redis_host;
    bo.port = c->redis_port;
    bo.client_name = "rt-trader";
    int rc;
    if ((rc = rt_bus_new(&bo, &svc->io.bus)) != 0 ||
        (rc = rt_bus_new(&bo, &svc->api_io.bus)) != 0 ||
        (rc = rt_bus_sub_new(&bo, &svc->sub)) != 0) {
        rt_log_error("main", "redis unreachable host=%s port=%d err=%s", c->redis_host,
                     c->redis_port, rt_strerror(rc));
        return rc;
    }
    if ((rc = connect_db(c, "rt-trader", &svc->io.db)) != 0 ||
        (rc = connect_db(c, "rt-trader-api", &svc->api_io.db)) != 0)
        return rc;
    return RT_OK;
}

static int series(rt_metric_t *m, const char *label, rt_series_t **out)
{
    const char *v[] = {label};
    return rt_metric_series(m, label ? v : NULL, out);
}

static int metrics_init(tr_svc_t *svc)
{
    static const double secs[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                  0.05,   0.1,   0.25,   0.5,   1,    2.5};
    rt_metric_t *sig, *ord, *fills, *unvalued, *s2o, *o2c;
    tr_svc_metrics_t *m = &svc->m;
    int rc;
    if ((rc = rt_metrics_new(&svc->metrics)) != 0 ||
        (rc = rt_metrics_counter(svc->metrics, "trader_signals_total", "signals by outcome",
                                 "outcome", 8, &sig)) != 0 ||
        (rc = rt_metrics_counter(svc->metrics, "trader_orders_total", "orders by final status",
                                 "status", 8, &ord)) != 0 ||
        (rc = rt_metrics_counter(svc->metrics, "trader_fills_total", "fills booked", NULL, 1,
                                 &fills)) != 0 ||
        (rc = rt_metrics_counter(svc->metrics, "trader_fees_unvalued_total",
                                 "live commissions in a third asset (BNB) left out of the books "
                                 "for want of a price",
                                 NULL, 1, &unvalued)) != 0 ||
        (rc = rt_metrics_histogram(svc->metrics, "trader_signal_to_order_seconds",
                                   "signal arrival to its order row committed", NULL, 1, secs,
                                   sizeof secs / sizeof secs[0], &s2o)) != 0 ||
        (rc = rt_metrics_histogram(svc->metrics, "trader_order_to_commit_seconds",
                                   "order committed to its fill committed", NULL, 1, secs,
                                   sizeof secs / sizeof secs[0], &o2c)) != 0)
        return rc;
    if ((rc = series(sig, "accepted", &m->signals_accepted)) != 0 ||
        (rc = series(sig, "rejected", &m->signals_rejected)) != 0 ||
        (rc = series(sig, "duplicate", &m->signals_duplicate)) != 0 ||
        (rc = series(sig, "malformed", &m->signals_malformed)) != 0 ||
        (rc = series(ord, "FILLED", &m->orders_filled)) != 0 ||
        (rc = series(ord, "REJECTED", &m->orders_failed)) != 0 ||
        (rc = series(fills, NULL, &m->fills)) != 0 ||
        (rc = series(unvalued, NULL, &m->fees_unvalued)) != 0 ||
        (rc = series(s2o, NULL, &m->signal_to_order)) != 0 ||
        (rc = series(o2c, NULL, &m->order_to_commit)) != 0)
        return rc;
    return RT_OK;
}

int main(void)
{
    tr_svc_t *svc = calloc(1, sizeof *svc);
    int rc = RT_ENOMEM;
    bool locks = false;
    rt_bus_log_t *log_sink = NULL;
    if (!svc)
        goto out;
    rt_config_load_or_exit(tr_vars, RT_CONFIG_COUNT(tr_vars), &svc->cfg, NULL);
    rt_log_level_t level = RT_LOG_INFO;
    if (rt_log_level_parse(svc->cfg.log_level, &level) != 0) {
        fprintf(stderr, "rt-trader: LOG_LEVEL=%s is not DEBUG, INFO, WARN or ERROR\n",
                svc->cfg.log_level);
        rc = RT_EINVAL;
        goto out;
    }
    rt_log_init("trader", level);
    rt_config_log(tr_vars, RT_CONFIG_COUNT(tr_vars), &svc->cfg);
    if ((rc = resolve_rest_url(&svc->cfg)) != 0 || (rc = tr_exfilters_new(svc)) != 0)
        goto out;
    /* live: filters loaded now or no start; demo: loaded in the background, orders refused
       until they are (the exchange may be away while the demo starts) */
    if (svc->cfg.trading_mode == TR_MODE_LIVE && (rc = tr_live_init(svc)) != 0)
        goto out;
    if ((rc = rt_sig_install()) != 0)
        goto out;
    pthread_mutex_init(&svc->api_lock, NULL);
    pthread_mutex_init(&svc->prices.lock, NULL);
    locks = true;
    if ((rc = metrics_init(svc)) != 0 || (rc = connect_all(svc)) != 0)
        goto out;
    if (svc->cfg.trading_mode == TR_MODE_DEMO && (rc = tr_exfilters_start_loader(svc)) != 0)
        goto out;
    /* INFO and above also go to logs:trader, for the dashboard's log panel. */
    if (rt_bus_log_attach(svc->cfg.redis_host, svc->cfg.redis_port, "trader", &log_sink) != 0)
        rt_log_warn("main", "log sink not attached: the dashboard will not show trader logs");
    if ((rc = tr_api_start(svc)) != 0) {
        rt_log_error("main", "HTTP API cannot start port=%d err=%s", svc->cfg.port,
                     rt_strerror(rc));
        goto out;
    }
    rt_log_info("main", "rt-trader started mode=%s consumer=%s port=%d",
                modes[svc->cfg.trading_mode], svc->cfg.consumer, svc->cfg.port);
    rc = tr_svc_run(svc);
    rt_log_info("main", "rt-trader stopping rc=%s", rt_strerror(rc));
out:
    if (svc) {
        rt_http_server_free(svc->http); /* stops first: no handler runs after this */
        rt_bus_sub_free(svc->sub);
        rt_db_close(svc->api_io.db);
        rt_bus_free(svc->api_io.bus);
        rt_db_close(svc->io.db);
        rt_bus_free(svc->io.bus);
        rt_metrics_free(svc->metrics);
        tr_core_free(svc);
        tr_live_free(svc);
        tr_exfilters_free(svc);
        if (locks) {
            pthread_mutex_destroy(&svc->prices.lock);
            pthread_mutex_destroy(&svc->api_lock);
        }
    }
    free(svc);
    rt_bus_log_detach(log_sink);
    return rc == 0 ? 0 : 1;
}
