/* rt-gateway: the exchange's market streams (klines and miniTickers of SYMBOLS) to Redis.
 * docs/GATEWAY.md tells what it publishes, how it reconnects and backfills, and how to point
 * it at Binance. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "service.h"

int main(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: rt-gateway\nSettings (environment, then ./.env, then defaults):\n\n");
        rt_config_help(gw_config_vars, gw_config_nvars, stdout);
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "rt-gateway: unexpected argument '%s' (see --help)\n", argv[1]);
        return 2;
    }

    /* 1. configuration and logging */
    gw_config_t cfg;
    rt_config_load_or_exit(gw_config_vars, gw_config_nvars, &cfg, NULL);
    rt_log_init("gateway", (rt_log_level_t)cfg.log_level);
    rt_config_log(gw_config_vars, gw_config_nvars, &cfg);

    /* 2. signals: SIGINT/SIGTERM only set the stop flag */
    if (rt_sig_install() != RT_OK || rt_exrest_global_init() != RT_OK) {
        rt_log_error("main", "cannot install signal handlers or initialize libcurl");
        return 1;
    }

    /* 3. connect: Redis (bounded retry), HTTP, REST and WebSocket clients */
    gw_service_t *svc = NULL;
    int rc = gw_service_new(&cfg, &svc);
    if (rc != RT_OK) {
        rt_log_error("main", "cannot start: %s", rt_strerror(rc));
        return 1;
    }

    /* 4. the loop: at most a second per turn, so a stop request is seen at once */
    while (!rt_sig_stopping())
        gw_service_step(svc, 1000);

    /* 5. teardown in reverse */
    rt_log_info("main", "stopping");
    gw_service_free(svc);
    return 0;
}
