/* rt-trader: consumes signals, applies the risk manager, executes (demo), keeps the books.
 * Load config, init logging, install the stop flag, connect, run, tear down in reverse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/bus.h"
#include "rt/config.h"
#include "rt/db.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "tr_svc.h"

static const char *const modes[] = {"demo", "live", NULL};

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
    {"TRADE_QUANTITY", RT_CONFIG_MONEY, "0.00017", "base quantity of a strategy's entry",
     RT_CONFIG_AT(tr_svc_config_t, trade_quantity), .min_m = 1, .max_m = RT_MONEY_UNITS(1000000)},
    {"DEMO_BALANCES", RT_CONFIG_STRING, "USDC=10000", "demo balances at first start: ASSET=n,...",
     RT_CONFIG_AT(tr_svc_config_t, demo_balances)},
    {"DEMO_FEE_RATE", RT_CONFIG_MONEY, "0.001", "demo fee, a fraction of the quote amount",
     RT_CONFIG_AT(tr_svc_config_t, demo_fee_rate), .min_m = 0, .max_m = RT_MONEY_SCALE / 10},
    {"DEMO_SLIPPAGE_BPS", RT_CONFIG_INT, "5", "demo slippage against the taker, basis points",
     RT_CONFIG_AT(tr_svc_config_t, demo_slippage_bps), .min = 0, .max = 1000},
    {"TRADER_PORT", RT_CONFIG_PORT, "8001", "HTTP port of the trader API",
     RT_CONFIG_AT(tr_svc_config_t, port)},
    {"API_TOKEN", RT_CONFIG_STRING, "", "bearer token for write requests",
     RT_CONFIG_AT(tr_svc_config_t, api_token), .secret = true},
    {"TRADER_CONSUMER", RT_CONFIG_STRING, "trader-1", "consumer name in the group `trader`",
     RT_CONFIG_AT(tr_svc_config_t, consumer)},
    {"TRADER_STREAM", RT_CONFIG_STRING, "signals", "the signals stream (tests use their own)",
     RT_CONFIG_AT(tr_svc_config_t, stream)},
    {"TRADER_FAULT", RT_CONFIG_STRING, "", "tests only: after_order_commit or before_ack",
     RT_CONFIG_AT(tr_svc_config_t, fault)},
    {"LOG_LEVEL", RT_CONFIG_STRING, "INFO", "DEBUG, INFO, WARN or ERROR",
     RT_CONFIG_AT(tr_svc_config_t, log_level)},
    {"TRADER_RUN_SECONDS", RT_CONFIG_INT, "0", "stop by itself after this long (0: never)",
     RT_CONFIG_AT(tr_svc_config_t, run_seconds), .min = 0, .max = 86400 * 365},
};

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

static int connect_all(tr_svc_t *svc)
{
    const tr_svc_config_t *c = &svc->cfg;
    rt_bus_opts_t bo;
    rt_bus_opts_init(&bo);
    bo.host = c->redis_host;
    bo.port = c->redis_port;
    bo.client_name = "rt-trader";
    int rc = rt_bus_new(&bo, &svc->bus);
    if (rc != 0) {
        rt_log_error("main", "redis unreachable host=%s port=%d err=%s", c->redis_host,
                     c->redis_port, rt_strerror(rc));
        return rc;
    }
    char ci[1024], port[16];
    size_t len = 0;
    snprintf(port, sizeof port, "%d", c->pgport);
    if ((rc = conninfo_add(ci, sizeof ci, &len, "host", c->pghost)) != 0 ||
        (rc = conninfo_add(ci, sizeof ci, &len, "port", port)) != 0 ||
        (rc = conninfo_add(ci, sizeof ci, &len, "user", c->pguser)) != 0 ||
        (rc = conninfo_add(ci, sizeof ci, &len, "dbname", c->pgdatabase)) != 0 ||
        (c->pgpassword[0] &&
         (rc = conninfo_add(ci, sizeof ci, &len, "password", c->pgpassword)) != 0))
        return rc;
    rt_db_opts_t dbo = {.application_name = "rt-trader"};
    rc = rt_db_connect(ci, &dbo, &svc->db);
    if (rc != 0)
        rt_log_error("main", "postgres unreachable host=%s port=%d err=%s", c->pghost, c->pgport,
                     rt_strerror(rc));
    return rc;
}

int main(void)
{
    tr_svc_t *svc = calloc(1, sizeof *svc);
    int rc = RT_ENOMEM;
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
    if (svc->cfg.trading_mode == TR_MODE_LIVE) {
        rt_log_error("main", "TRADING_MODE=live is not available yet: this build of rt-trader "
                             "only runs demo mode (no order is ever sent); set TRADING_MODE=demo");
        rc = RT_ESTATE;
        goto out;
    }
    if ((rc = rt_sig_install()) != 0)
        goto out;
    if ((rc = connect_all(svc)) != 0)
        goto out;
    rt_log_info("main", "rt-trader started mode=demo consumer=%s", svc->cfg.consumer);
    rc = tr_svc_run(svc);
    rt_log_info("main", "rt-trader stopping rc=%s", rt_strerror(rc));
out:
    if (svc) {
        rt_db_close(svc->db);
        rt_bus_free(svc->bus);
    }
    free(svc);
    return rc == 0 ? 0 : 1;
}
