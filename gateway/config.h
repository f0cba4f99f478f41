/* rt-gateway's settings: one table of environment variables (rt/config.h), the .env file
 * and defaults. `rt-gateway --help` prints them. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/streams.h"
#include "rt/config.h"
#include "rt/log.h"

typedef struct {
    int exchange;              /* gw_exchange_t */
    char ws_url[GW_URL_CAP];   /* EXCHANGE_WS_URL, "" = from EXCHANGE */
    char rest_url[GW_URL_CAP]; /* EXCHANGE_REST_URL, "" = from EXCHANGE */
    int sim_port;
    rt_config_list_t symbols;
    int interval; /* index in gw_config_intervals */
    char redis_host[256];
    int redis_port;
    char http_host[64];
    int http_port;
    int trading_mode;          /* 0 demo, 1 live */
    int log_level;             /* rt_log_level_t */
    int64_t health_max_down_s; /* /health says 503 after this long without a connection */
    int64_t stale_s;           /* no frame for this long: drop the connection, reconnect */
    int64_t backoff_min_ms;
    int64_t backoff_max_ms;
    int64_t candles_maxlen;     /* MAXLEN ~ of market:candles:{SYMBOL} */
    int64_t backfill_give_up_s; /* how long a gap may wait for REST before it is given up */
} gw_config_t;

/** The variables, for rt_config_load / rt_config_help / rt_config_log. */
extern const rt_config_var_t gw_config_vars[];
extern const size_t gw_config_nvars;

/** The interval names, in the order of gw_config_t.interval. */
extern const char *const gw_config_intervals[];

/** The exchange names ("sim", "binance", "binance-testnet"), in gw_exchange_t order. */
extern const char *const gw_config_exchanges[];

#endif
