/* rt-exchange-sim's settings, loaded through rt/config.h (one table, every bad variable
 * reported at once). */
#ifndef SIM_CONFIG_H
#define SIM_CONFIG_H

#include <stdint.h>

#include "rt/config.h"
#include "rt/money.h"

typedef struct {
    int64_t port; /* 0: any free port, printed at start */
    char bind[64];
    rt_config_list_t symbols;
    int64_t speed;
    int64_t seed;
    int64_t history;
    int interval; /* index of sim_config_intervals (sim_interval_t order) */
    char replay_csv[1024];
    char replay_symbol[64];
    int replay_interval; /* 0: detect; else sim_interval_t + 1 */
    int64_t ping_interval_ms;
    int64_t pong_timeout_ms;
    int64_t kline_update_ms;
    int64_t fault_mute_pings_s;
    int64_t fault_refuse_s;
    char api_key[129];    /* SIM_API_KEY; "" disables the signed endpoints (-2015) */
    char secret_key[129]; /* SIM_SECRET_KEY */
    char balances[1024];  /* SIM_BALANCES: "USDC=10000,BTC=0" */
    rt_money_t taker_fee; /* SIM_TAKER_FEE */
    rt_money_t maker_fee; /* SIM_MAKER_FEE */
    char fee_asset[16];   /* SIM_FEE_ASSET: "" = the asset received; "BNB": pay fees in BNB */
    int log_level;        /* rt_log_level_t */
} sim_config_t;

/** Loads the configuration from the environment and ./.env; on error prints every bad
 *  variable and exits with status 2. */
void sim_config_load_or_exit(sim_config_t *cfg);

/** Logs the effective configuration (after rt_log_init). */
void sim_config_log(const sim_config_t *cfg);

#endif
