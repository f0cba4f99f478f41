/* rt-exchange-sim: a local Binance-compatible exchange (market streams and REST) over a
 * deterministic price model or a replayed candles file. See docs/SIM.md. */
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "market.h"
#include "replay.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"
#include "server.h"

#define MOD "main"
/* Generating history costs about 1 us per simulated second and symbol: 45 days (1000 1h
 * candles) take some 4 s a symbol. Longer spans are cut to this. */
#define HISTORY_MAX_DAYS 45
#define HISTORY_MAX_MS ((int64_t)HISTORY_MAX_DAYS * 86400000)

/* lws's errors are ours; its warnings (e.g. "User code denied connection" for every refused
 * upgrade, which we log ourselves) only at debug. */
static void lws_to_log(int level, const char *line)
{
    if (level == LLL_ERR)
        rt_log_error("lws", "%s", line);
    else
        rt_log_debug("lws", "%s", line);
}

static int load_replay(const sim_config_t *cfg, const char *symbol, sim_replay_t *replay)
{
    static const char *const names[] = {"1s", "1m", "3m", "5m",  "15m", "30m", "1h", "2h",
                                        "4h", "6h", "8h", "12h", "1d",  "3d",  "1w"};
    const char *interval = cfg->replay_interval == 0 ? NULL : names[cfg->replay_interval - 1];
    rt_candle_t *rows = NULL;
    size_t count = 0;
    char why[256] = "";
    int rc = rt_csv_candles_load(cfg->replay_csv, symbol, interval, &rows, &count, NULL, why,
                                 sizeof why);
    if (rc == RT_OK)
        rc = sim_replay_adopt(rows, count, replay, why, sizeof why);
    if (rc != RT_OK) {
        rt_log_error(MOD, "replay: file=%s error=%s %s", cfg->replay_csv, rt_strerror(rc), why);
        return rc;
    }
    rt_log_info(MOD, "replay: file=%s symbol=%s candles=%zu interval=%s", cfg->replay_csv, symbol,
                replay->count, sim_interval_name(replay->interval));
    return RT_OK;
}

int main(void)
{
    sim_config_t cfg;
    sim_config_load_or_exit(&cfg);
    rt_log_init("exchange-sim", (rt_log_level_t)cfg.log_level);
    sim_config_log(&cfg);
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_to_log);
    int rc = rt_sig_install();
    int status = 1;
    sim_replay_t replay = {0};
    sim_market_t *market = NULL;
    sim_server_t *server = NULL;
    sim_account_t *account = NULL;
    const char *names[RT_CONFIG_LIST_MAX];
    if (rc != RT_OK)
        goto out;

    bool replaying = cfg.replay_csv[0] != '\0';
    sim_spec_t replay_spec;
    if (sim_spec_for_symbol(cfg.replay_symbol[0] ? cfg.replay_symbol : cfg.symbols.items[0],
                            &replay_spec) != RT_OK) {
        rt_log_error(MOD, "SIM_REPLAY_SYMBOL=\"%s\": must be a symbol of 2 to 20 letters or digits",
                     cfg.replay_symbol);
        goto out;
    }
    if (replaying && load_replay(&cfg, replay_spec.symbol, &replay) != RT_OK)
        goto out;
    for (size_t i = 0; i < cfg.symbols.count; i++)
        names[i] = cfg.symbols.items[i];

    /* The history: SIM_HISTORY candles of INTERVAL before now, generated as the stream would
     * have sent them. */
    sim_interval_t unit = (sim_interval_t)cfg.interval;
    int64_t live = rt_time_now_ms();
    int64_t span = cfg.history * sim_interval_ms(unit);
    if (span > HISTORY_MAX_MS) {
        rt_log_warn(MOD, "history: SIM_HISTORY=%lld of %s is more than %d days; generating the "
                         "last %d days only (about %lld candles)",
                    (long long)cfg.history, sim_interval_name(unit), HISTORY_MAX_DAYS,
                    HISTORY_MAX_DAYS, (long long)(HISTORY_MAX_MS / sim_interval_ms(unit)));
        span = HISTORY_MAX_MS;
    }
    int64_t start = sim_interval_open(unit, live) - span;
    size_t ring = cfg.history + 1 > 1500 ? (size_t)cfg.history + 1 : 1500;
    sim_market_config_t mc = {.symbols = names,
                              .nsymbols = cfg.symbols.count,
                              .seed = (uint64_t)cfg.seed,
                              .start_ms = start,
                              .live_ms = live,
                              .history = (size_t)cfg.history,
                              .ring_max = ring,
                              .replay = replaying ? &replay : NULL,
                              .replay_symbol = replay_spec.symbol};
    char why[256] = "";
    rc = sim_market_new(&mc, &market, why, sizeof why);
    if (rc != RT_OK) {
        rt_log_error(MOD, "market: %s (%s)", why, rt_strerror(rc));
        goto out;
    }
    int64_t t0 = rt_time_mono_ms();
    rc = sim_market_advance(market, live, NULL, NULL);
    if (rc != RT_OK) {
        rt_log_error(MOD, "history: %s", rt_strerror(rc));
        goto out;
    }
    rt_log_info(MOD, "history: symbols=%zu from=%lld to=%lld trades=%llu took_ms=%lld",
                sim_market_count(market), (long long)start, (long long)live,
                (unsigned long long)sim_market_trades(market), (long long)(rt_time_mono_ms() - t0));

    if (cfg.api_key[0] != '\0') {
        sim_account_config_t ac = {.api_key = cfg.api_key,
                                   .secret_key = cfg.secret_key,
                                   .balances = cfg.balances,
                                   .taker_fee = cfg.taker_fee,
                                   .maker_fee = cfg.maker_fee,
                                   .fee_asset = cfg.fee_asset};
        rc = sim_account_new(&ac, &account, why, sizeof why);
        if (rc != RT_OK) {
            rt_log_error(MOD, "account: %s (%s)", why, rt_strerror(rc));
            status = 2;
            goto out;
        }
        rt_log_info(MOD, "account: signed endpoints on balances=%s", cfg.balances);
    } else {
        rt_log_warn(MOD, "account: SIM_API_KEY is empty; the signed endpoints answer -2015");
    }

    sim_server_config_t sc = {.port = (int)cfg.port,
                              .bind = cfg.bind,
                              .speed = cfg.speed,
                              .sim_start_ms = live,
                              .ping_interval_ms = cfg.ping_interval_ms,
                              .pong_timeout_ms = cfg.pong_timeout_ms,
                              .kline_update_ms = cfg.kline_update_ms,
                              .fault_mute_pings_s = cfg.fault_mute_pings_s,
                              .fault_refuse_s = cfg.fault_refuse_s,
                              .account = account};
    rc = sim_server_new(&sc, market, &server);
    if (rc != RT_OK)
        goto out;
    rt_log_info(MOD, "listening host=%s port=%d speed=%lld", cfg.bind, sim_server_port(server),
                (long long)cfg.speed);
    /* One line on stdout for whoever started us with SIM_PORT=0 (tests). */
    printf("rt-exchange-sim listening on %s:%d\n", cfg.bind, sim_server_port(server));
    fflush(stdout);
    rc = sim_server_run(server);
    rt_log_info(MOD, "stopping: %s", rc == RT_OK ? "signal" : rt_strerror(rc));
    status = rc == RT_OK ? 0 : 1;
out:
    sim_server_free(server);
    sim_market_free(market);
    sim_account_free(account);
    sim_replay_cleanup(&replay);
    return status;
}
