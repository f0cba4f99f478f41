#include "config.h"

#include "klines.h"
#include "rt/log.h"

/* sim_interval_t order. */
static const char *const intervals[] = {"1s", "1m", "3m",  "5m", "15m", "30m", "1h", "2h", "4h",
                                        "6h", "8h", "12h", "1d", "3d",  "1w",  "1M", NULL};
static const char *const replay_intervals[] = {"auto", "1s", "1m", "3m", "5m", "15m",
                                               "30m",  "1h", "2h", "4h", "6h", "8h",
                                               "12h",  "1d", "3d", "1w", NULL};
/* rt_log_level_t order, then "warning" as another name of warn. */
static const char *const levels[] = {"debug", "info", "warn", "error", "warning", NULL};

_Static_assert(sizeof intervals / sizeof intervals[0] == SIM_IV_COUNT + 1,
               "one name per sim_interval_t");

static const rt_config_var_t vars[] = {
    {"SIM_PORT", RT_CONFIG_INT, "9090", "port for WebSocket and REST (0: any free port)",
     RT_CONFIG_AT(sim_config_t, port), .min = 0, .max = 65535},
    {"SIM_BIND", RT_CONFIG_STRING, "127.0.0.1", "address to listen on",
     RT_CONFIG_AT(sim_config_t, bind), .min = 1, .max = 63},
    {"SYMBOLS", RT_CONFIG_LIST, "BTCUSDC,ETHUSDC,SOLUSDC,BNBUSDC,XRPUSDC",
     "symbols the exchange lists (any symbol; unknown coins get derived prices and filters)",
     RT_CONFIG_AT(sim_config_t, symbols), .min = 1, .max = 512, .check = &rt_config_check_symbol},
    {"SIM_SPEED", RT_CONFIG_INT, "1",
     "simulated seconds per real second (60: a 1m candle closes every second)",
     RT_CONFIG_AT(sim_config_t, speed), .min = 1, .max = 10000},
    {"SIM_SEED", RT_CONFIG_INT, "42", "seed of the price model (same seed, same candles)",
     RT_CONFIG_AT(sim_config_t, seed), .min = 0, .max = INT64_MAX},
    {"SIM_HISTORY", RT_CONFIG_INT, "1000",
     "candles of INTERVAL generated before now, served by klines for warm-up",
     RT_CONFIG_AT(sim_config_t, history), .min = 0, .max = 10000},
    {"INTERVAL", RT_CONFIG_ENUM, "1m", "the trading interval: the unit of SIM_HISTORY",
     RT_CONFIG_AT(sim_config_t, interval), .choices = intervals},
    {"SIM_REPLAY_CSV", RT_CONFIG_STRING, "",
     "candles CSV (../shared/data format) to replay for SIM_REPLAY_SYMBOL instead of the model",
     RT_CONFIG_AT(sim_config_t, replay_csv), .max = 1023},
    {"SIM_REPLAY_SYMBOL", RT_CONFIG_STRING, "",
     "symbol that replays the CSV (default: the first "
     "of SYMBOLS)",
     RT_CONFIG_AT(sim_config_t, replay_symbol), .max = 20},
    {"SIM_REPLAY_INTERVAL", RT_CONFIG_ENUM, "auto", "interval of the CSV's candles",
     RT_CONFIG_AT(sim_config_t, replay_interval), .choices = replay_intervals},
    {"SIM_PING_INTERVAL_MS", RT_CONFIG_INT, "20000", "WebSocket ping period (Binance: 20 s)",
     RT_CONFIG_AT(sim_config_t, ping_interval_ms), .min = 100, .max = 3600000},
    {"SIM_PONG_TIMEOUT_MS", RT_CONFIG_INT, "60000",
     "drop a client whose pong is this late (Binance: 60 s)",
     RT_CONFIG_AT(sim_config_t, pong_timeout_ms), .min = 100, .max = 3600000},
    {"SIM_KLINE_UPDATE_MS", RT_CONFIG_INT, "2000",
     "real time between kline updates of a forming candle (Binance: 2000; 1s klines: 1000)",
     RT_CONFIG_AT(sim_config_t, kline_update_ms), .min = 100, .max = 60000},
    {"SIM_FAULT_MUTE_PINGS_S", RT_CONFIG_INT, "0",
     "fault at start: send no pings and check no pongs for N seconds",
     RT_CONFIG_AT(sim_config_t, fault_mute_pings_s), .min = 0, .max = 86400},
    {"SIM_FAULT_REFUSE_S", RT_CONFIG_INT, "0",
     "fault at start: refuse WebSocket connections for N seconds",
     RT_CONFIG_AT(sim_config_t, fault_refuse_s), .min = 0, .max = 86400},
    {"SIM_API_KEY", RT_CONFIG_STRING, "",
     "API key the signed endpoints accept (X-MBX-APIKEY); empty: they answer -2015",
     RT_CONFIG_AT(sim_config_t, api_key), .max = 128},
    {"SIM_SECRET_KEY", RT_CONFIG_STRING, "", "HMAC-SHA256 secret of SIM_API_KEY",
     RT_CONFIG_AT(sim_config_t, secret_key), .secret = true, .max = 128},
    {"SIM_BALANCES", RT_CONFIG_STRING, "USDC=10000",
     "starting free balances of the account, ASSET=amount,...",
     RT_CONFIG_AT(sim_config_t, balances), .max = 1023},
    {"SIM_TAKER_FEE", RT_CONFIG_MONEY, "0.001", "taker commission rate (0.001 = 0.1 %)",
     RT_CONFIG_AT(sim_config_t, taker_fee), .min_m = 0, .max_m = 99999999},
    {"SIM_MAKER_FEE", RT_CONFIG_MONEY, "0.001", "maker commission rate (0.001 = 0.1 %)",
     RT_CONFIG_AT(sim_config_t, maker_fee), .min_m = 0, .max_m = 99999999},
    {"SIM_FEE_ASSET", RT_CONFIG_STRING, "",
     "empty: commissions in the asset received; BNB: in BNB when the account holds enough",
     RT_CONFIG_AT(sim_config_t, fee_asset), .max = 15},
    {"LOG_LEVEL", RT_CONFIG_ENUM, "info", "debug, info, warn (or warning) or error",
     RT_CONFIG_AT(sim_config_t, log_level), .choices = levels},
};

void sim_config_load_or_exit(sim_config_t *cfg)
{
    rt_config_load_or_exit(vars, RT_CONFIG_COUNT(vars), cfg, NULL);
    if (cfg->log_level == 4)
        cfg->log_level = RT_LOG_WARN;
}

void sim_config_log(const sim_config_t *cfg)
{
    rt_config_log(vars, RT_CONFIG_COUNT(vars), cfg);
}
