/* rt-portfolio: the read API over the books, the recorder of candles and balance snapshots,
 * and the live event stream of the dashboard (ARCHITECTURE.md sections 3 and 7,
 * docs/PORTFOLIO.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"

static const char *const modes[] = {"demo", "live", NULL};

static const rt_config_var_t pf_vars[] = {
    {"PGHOST", RT_CONFIG_STRING, "127.0.0.1", "PostgreSQL host", RT_CONFIG_AT(pf_config_t, pghost)},
    {"PGPORT", RT_CONFIG_PORT, "15432", "PostgreSQL port", RT_CONFIG_AT(pf_config_t, pgport)},
    {"PGUSER", RT_CONFIG_STRING, "roottrading", "PostgreSQL user",
     RT_CONFIG_AT(pf_config_t, pguser)},
    {"PGPASSWORD", RT_CONFIG_STRING, "", "PostgreSQL password",
     RT_CONFIG_AT(pf_config_t, pgpassword), .secret = true},
    {"PGDATABASE", RT_CONFIG_STRING, "trading", "PostgreSQL database",
     RT_CONFIG_AT(pf_config_t, pgdatabase)},
    {"REDIS_HOST", RT_CONFIG_STRING, "127.0.0.1", "Redis host",
     RT_CONFIG_AT(pf_config_t, redis_host)},
    {"REDIS_PORT", RT_CONFIG_PORT, "16379", "Redis port", RT_CONFIG_AT(pf_config_t, redis_port)},
    {"PORTFOLIO_BIND", RT_CONFIG_STRING, "127.0.0.1", "address the API listens on",
     RT_CONFIG_AT(pf_config_t, bind)},
    {"PORTFOLIO_PORT", RT_CONFIG_PORT, "8000", "port of the API",
     RT_CONFIG_AT(pf_config_t, port)},
    {"TRADING_MODE", RT_CONFIG_ENUM, "demo", "demo or live", RT_CONFIG_AT(pf_config_t, mode),
     .choices = modes},
    {"QUOTE_ASSET", RT_CONFIG_STRING, "USDC", "asset the account is valued in",
     RT_CONFIG_AT(pf_config_t, quote_asset), .min = 1, .max = 16,
     .check = &rt_config_check_symbol},
    {"SYMBOLS", RT_CONFIG_LIST, "BTCUSDC", "symbols followed (the first is the chart's default)",
     RT_CONFIG_AT(pf_config_t, symbols), .check = &rt_config_check_symbol},
    {"INTERVAL", RT_CONFIG_STRING, "1m", "candle interval of the chart",
     RT_CONFIG_AT(pf_config_t, interval)},
    {"SNAPSHOT_INTERVAL_S", RT_CONFIG_INT, "60", "seconds between two balance snapshots",
     RT_CONFIG_AT(pf_config_t, snapshot_s), .min = 1, .max = 86400},
    {"SSE_THROTTLE_MS", RT_CONFIG_INT, "1000", "least ms between two live updates of a symbol",
     RT_CONFIG_AT(pf_config_t, throttle_ms), .min = 0, .max = 60000},
    {"PORTFOLIO_THREADS", RT_CONFIG_INT, "4", "HTTP threads (and database connections)",
     RT_CONFIG_AT(pf_config_t, http_threads), .min = 1, .max = 32},
    {"PORTFOLIO_SSE_CLIENTS", RT_CONFIG_INT, "64", "most live-stream clients at once",
     RT_CONFIG_AT(pf_config_t, sse_clients), .min = 1, .max = PF_HUB_MAX},
    {"LOG_LEVEL", RT_CONFIG_STRING, "info", "debug, info, warn or error",
     RT_CONFIG_AT(pf_config_t, log_level)},
};

/* Builds the libpq connection string with every value quoted. */
static int make_conninfo(const pf_config_t *c, char *out, size_t cap)
{
    char host[600], user[140], pass[260], dbname[140];
    if (pf_conninfo_quote(c->pghost, host, sizeof host) || pf_conninfo_quote(c->pguser, user,
                                                                             sizeof user) ||
        pf_conninfo_quote(c->pgpassword, pass, sizeof pass) ||
        pf_conninfo_quote(c->pgdatabase, dbname, sizeof dbname))
        return RT_ETOOBIG;
    int n = snprintf(out, cap, "host=%s port=%d user=%s dbname=%s connect_timeout=5%s%s", host,
                     c->pgport, user, dbname, c->pgpassword[0] ? " password=" : "",
                     c->pgpassword[0] ? pass : "");
    return n < 0 || (size_t)n >= cap ? RT_ETOOBIG : 0;
}

static int setup_metrics(pf_ctx_t *ctx)
{
    rt_metric_t *m;
    int rc = rt_metrics_new(&ctx->metrics);
    if (rc == 0)
        rc = rt_metrics_counter(ctx->metrics, "pf_candles_saved_total", "Closed candles saved.",
                                NULL, 0, &m);
    if (rc == 0)
        rc = rt_metric_series(m, NULL, &ctx->m_candles_saved);
    if (rc == 0)
        rc = rt_metrics_counter(ctx->metrics, "pf_snapshots_total", "Balance snapshots written.",
                                NULL, 0, &m);
    if (rc == 0)
        rc = rt_metric_series(m, NULL, &ctx->m_snapshots);
    if (rc == 0)
        rc = rt_metrics_counter(ctx->metrics, "pf_bad_messages_total",
                                "Bus messages dropped as malformed.", NULL, 0, &m);
    if (rc == 0)
        rc = rt_metric_series(m, NULL, &ctx->m_bad_messages);
    if (rc == 0)
        rc = rt_metrics_counter(ctx->metrics, "pf_sse_events_total",
                                "Events relayed to the live stream.", NULL, 0, &m);
    if (rc == 0)
        rc = rt_metric_series(m, NULL, &ctx->hub.m_events);
    if (rc == 0)
        rc = rt_metrics_counter(ctx->metrics, "pf_sse_dropped_total",
                                "Events a client could not take (the client is dropped).", NULL,
                                0, &m);
    if (rc == 0)
        rc = rt_metric_series(m, NULL, &ctx->hub.m_dropped);
    return rc;
}

int main(void)
{
    rt_http_server_t *srv = NULL;
    rt_bus_log_t *sink = NULL;
    int status = 1;
    pf_ctx_t *ctx = calloc(1, sizeof *ctx); /* large (market state): on the heap */
    if (!ctx)
        return 1;
    rt_config_load_or_exit(pf_vars, RT_CONFIG_COUNT(pf_vars), &ctx->cfg, NULL);
    rt_log_level_t level;
    if (rt_log_level_parse(ctx->cfg.log_level, &level) != 0) {
        fprintf(stderr, "config: LOG_LEVEL=\"%s\": must be one of debug, info, warn, error\n",
                ctx->cfg.log_level);
        return 2;
    }
    if (pf_param_interval(ctx->cfg.interval) != 0) {
        fprintf(stderr, "config: INTERVAL=\"%s\": must be a kline interval (1m, 5m, 1h...)\n",
                ctx->cfg.interval);
        return 2;
    }
    rt_log_init("portfolio", level);
    rt_config_log(pf_vars, RT_CONFIG_COUNT(pf_vars), &ctx->cfg);
    rt_sig_install();
    (void)rt_bus_log_attach(ctx->cfg.redis_host, ctx->cfg.redis_port, "portfolio", &sink);

    pthread_mutex_init(&ctx->market_lock, NULL);
    pf_market_init(&ctx->market, ctx->cfg.throttle_ms);
    int rc = pf_hub_init(&ctx->hub, (size_t)ctx->cfg.sse_clients);
    if (rc == 0)
        rc = setup_metrics(ctx);
    if (rc == 0)
        rc = make_conninfo(&ctx->cfg, ctx->conninfo, sizeof ctx->conninfo);
    if (rc == 0)
        rc = pf_dbpool_new(ctx->conninfo, (int)ctx->cfg.http_threads, &ctx->pool);
    if (rc < 0) {
        rt_log_error("main", "start failed err=%s", rt_strerror(rc));
        goto out;
    }
    atomic_store(&ctx->db_up, true);
    rc = pf_recorder_start(ctx);
    rt_http_config_t hc = {.service = "portfolio",
                           .host = ctx->cfg.bind,
                           .port = (uint16_t)ctx->cfg.port,
                           .threads = (unsigned)ctx->cfg.http_threads,
                           .metrics = ctx->metrics,
                           .health = pf_api_health,
                           .health_ud = ctx};
    if (rc == 0)
        rc = rt_http_server_new(&hc, &srv);
    if (rc == 0)
        rc = pf_api_routes(ctx, srv);
    if (rc == 0)
        rc = rt_http_server_start(srv);
    if (rc < 0) {
        rt_log_error("main", "start failed err=%s", rt_strerror(rc));
        rt_sig_request_stop();
        goto out;
    }
    rt_log_info("main", "listening host=%s port=%u mode=%s", ctx->cfg.bind,
                (unsigned)rt_http_server_port(srv), ctx->cfg.mode == 0 ? "demo" : "live");
    while (!rt_sig_stopping())
        rt_time_sleep_ms(200);
    status = 0;
out:
    rt_sig_request_stop();
    rt_http_server_free(srv); /* stops: every stream's close callback has run */
    pf_recorder_join(ctx);
    pf_hub_cleanup(&ctx->hub);
    pf_dbpool_free(ctx->pool);
    rt_metrics_free(ctx->metrics);
    rt_log_info("main", "stopped");
    rt_bus_log_detach(sink);
    free(ctx);
    return status;
}
