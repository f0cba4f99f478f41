#include "config.h"

#include <stdint.h>

const char *const gw_config_exchanges[] = {"sim", "binance", "binance-testnet", NULL};
const char *const gw_config_intervals[] = {"1s", "1m", "3m",  "5m", "15m", "30m", "1h", "2h", "4h",
                                           "6h", "8h", "12h", "1d", "3d",  "1w",  "1M", NULL};
static const char *const modes[] = {"demo", "live", NULL};
static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
static const char *const ws_schemes[] = {"ws", "wss", NULL};
static const char *const rest_schemes[] = {"http", "https", NULL};

#define AT(member) RT_CONFIG_AT(gw_config_t, member)

const rt_config_var_t gw_config_vars[] = {
    {"EXCHANGE", RT_CONFIG_ENUM, "sim",
     "market to follow: sim (local simulator), binance, binance-testnet", AT(exchange),
     .choices = gw_config_exchanges},
    {"EXCHANGE_WS_URL", RT_CONFIG_URL, "",
     "market-stream base URL; empty = the one EXCHANGE implies (a trailing /ws or /stream is "
     "ignored)",
     AT(ws_url), .choices = ws_schemes},
    {"EXCHANGE_REST_URL", RT_CONFIG_URL, "",
     "REST base URL for backfills; empty = the one EXCHANGE implies", AT(rest_url),
     .choices = rest_schemes},
    {"SIM_PORT", RT_CONFIG_PORT, "9090", "port of rt-exchange-sim on 127.0.0.1 (EXCHANGE=sim)",
     AT(sim_port)},
    {"SYMBOLS", RT_CONFIG_LIST, "BTCUSDC,ETHUSDC,SOLUSDC,BNBUSDC,XRPUSDC",
     "symbols followed (kline and miniTicker streams of each)", AT(symbols), .min = 1,
     .max = RT_CONFIG_LIST_MAX, .check = &rt_config_check_symbol},
    {"INTERVAL", RT_CONFIG_ENUM, "1m", "kline interval", AT(interval),
     .choices = gw_config_intervals},
    {"REDIS_HOST", RT_CONFIG_STRING, "127.0.0.1", "Redis host", AT(redis_host), .min = 1,
     .max = 255},
    {"REDIS_PORT", RT_CONFIG_PORT, "16379", "Redis port", AT(redis_port)},
    {"GATEWAY_BIND", RT_CONFIG_STRING, "127.0.0.1", "address the /health and /metrics server binds",
     AT(http_host), .min = 1, .max = 63},
    {"GATEWAY_PORT", RT_CONFIG_PORT, "8003", "port of /health and /metrics", AT(http_port)},
    {"TRADING_MODE", RT_CONFIG_ENUM, "demo",
     "demo or live (the gateway publishes market data either way; balances are the trader's)",
     AT(trading_mode), .choices = modes},
    {"LOG_LEVEL", RT_CONFIG_ENUM, "info", "log level", AT(log_level), .choices = levels},
    {"GATEWAY_HEALTH_MAX_DOWN_S", RT_CONFIG_INT, "30",
     "seconds without any open connection after which /health answers 503", AT(health_max_down_s),
     .min = 1, .max = 86400},
    {"GATEWAY_STALE_S", RT_CONFIG_INT, "60",
     "seconds without any frame after which a connection is dropped and made again", AT(stale_s),
     .min = 5, .max = 3600},
    {"GATEWAY_BACKOFF_MIN_MS", RT_CONFIG_INT, "500",
     "first pause before reconnecting (doubles up to the max, with jitter)", AT(backoff_min_ms),
     .min = 10, .max = 60000},
    {"GATEWAY_BACKOFF_MAX_MS", RT_CONFIG_INT, "30000", "longest pause before reconnecting",
     AT(backoff_max_ms), .min = 10, .max = 600000},
    {"GATEWAY_CANDLES_MAXLEN", RT_CONFIG_INT, "10000",
     "approximate cap of the market:candles:{SYMBOL} streams", AT(candles_maxlen), .min = 10,
     .max = 10000000},
    {"GATEWAY_BACKFILL_GIVE_UP_S", RT_CONFIG_INT, "300",
     "how long missed candles are retried over REST before the gap is accepted",
     AT(backfill_give_up_s), .min = 1, .max = 86400},
};

const size_t gw_config_nvars = sizeof gw_config_vars / sizeof gw_config_vars[0];
