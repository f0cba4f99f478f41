/* The trader core's settings from the environment: every variable's name, default and unit,
 * and the parsing of its text into the exact field (no double anywhere).
 *
 * Units in env (docs/RISK.md has each rule with an example):
 *   *_PCT                 a percent: MAX_EXPOSURE_PCT=20 is 20% (stored as the fraction 0.2);
 *                         at most 6 decimals; a trailing '%' is allowed ("20%")
 *   RISK_PER_TRADE, HALT_EQUITY_RATIO, PARTIAL_TP_FRACTION, DEMO_FEE_RATE,
 *   DEMO_MAKER_FEE_RATE   a fraction: 0.01 is 1%
 *   DEMO_SLIPPAGE_BPS     basis points: 5 is 0.05% (at most 4 decimals)
 *   TRADE_QUANTITY, ATR_STOP_MULT  a decimal number (8 decimals at most)
 *   MAX_ENTRIES, MAX_OPEN_POSITIONS, COOLDOWN_SECONDS  an integer
 *   DRAWDOWN_WINDOW       a duration: "7d", "12h", "30m", "45s" or plain seconds
 *   DEMO_BALANCES         ASSET=amount pairs: "USDC=10000,BTC=0.5"
 * Inside, every fraction is an rt_money_t with 1.0 = RT_MONEY_SCALE.
 *
 * How the service uses it, with the config module's lookup (env first, then .env):
 *     static int get(void *ctx, const char *name, const char **v)
 *     { return rt_config_get(ctx, name, v); }
 *     tr_settings_t s;
 *     char report[1024];
 *     if (tr_settings_load(&s, get, cfg, report, sizeof report) != 0) { print report; exit 2; }
 * Pure: no I/O (the lookup is the caller's), no allocation. */
#ifndef TR_SETTINGS_H
#define TR_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"
#include "tr_books.h"
#include "tr_fill.h"
#include "tr_position.h"
#include "tr_risk.h"

#define TR_DEMO_BALANCES_MAX 16

/** Everything the core is configured with. */
typedef struct {
    tr_risk_config_t risk;
    tr_exit_config_t exits;
    tr_fill_config_t fill;
    size_t demo_balance_count;                        /* DEMO_BALANCES, default USDC=10000 */
    tr_balance_t demo_balances[TR_DEMO_BALANCES_MAX]; /* free amounts; locked 0 */
    bool maker_fee_set; /* DEMO_MAKER_FEE_RATE was given (else it follows DEMO_FEE_RATE) */
} tr_settings_t;

/** One variable: its env name, its default as text, and what it allows (a phrase that
 *  follows "must be"). */
typedef struct {
    const char *name;
    const char *def;
    const char *help;
} tr_setting_var_t;

/** Every variable, in the order of docs/RISK.md. */
extern const tr_setting_var_t tr_setting_vars[];
extern const size_t tr_setting_var_count;

/** The defaults (the same as every variable's default text). risk.cost_rate is DEMO_FEE_RATE
 *  + DEMO_SLIPPAGE_BPS; live mode sets it from the account's taker fee itself. */
void tr_settings_default(tr_settings_t *s);

/** Sets one variable from its text. Returns 0; RT_ENOTFOUND when name is not one of
 *  tr_setting_vars; RT_EINVAL when the value is malformed or out of range: then why (may be
 *  NULL) gets a line like `MAX_EXPOSURE_PCT="abc": must be a percent from 0 to 100 (20 = 20%)`
 *  (the value escaped) and *s is unchanged. DEMO_FEE_RATE also sets the maker fee unless
 *  DEMO_MAKER_FEE_RATE was set, and both update risk.cost_rate. */
int tr_settings_set(tr_settings_t *s, const char *name, const char *value, char *why, size_t cap);

/** Checks the settings as a whole (rules that involve two variables, e.g. fixed sizing needs a
 *  TRADE_QUANTITY). Returns 0, RT_EINVAL with the line in why. */
int tr_settings_check(const tr_settings_t *s, char *why, size_t cap);

/** A lookup of a variable's text: 0 and *value, or RT_ENOTFOUND when it is not set. */
typedef int (*tr_settings_get_fn)(void *ctx, const char *name, const char **value);

/** Defaults, then every variable get finds, then the whole check. Reports every bad variable
 *  at once: report (may be NULL) gets one line per problem, '\n'-separated. Returns 0 with *s
 *  set, RT_EINVAL with *s untouched. */
int tr_settings_load(tr_settings_t *s, tr_settings_get_fn get, void *ctx, char *report, size_t cap);

/** A percent text ("20", "0.5", "20%") as a fraction (0.2, 0.005). Returns 0, RT_EINVAL when
 *  malformed, negative or with more than 6 decimals, RT_ERANGE when too large. */
int tr_parse_pct(const char *s, rt_money_t *frac);

/** Basis points ("5", "2.5") as a fraction (0.0005). Same returns, at most 4 decimals. */
int tr_parse_bps(const char *s, rt_money_t *frac);

/** A duration ("7d", "12h", "30m", "45s", "3600" seconds) in milliseconds. Returns 0, RT_EINVAL
 *  when malformed or negative, RT_ERANGE when too large. */
int tr_parse_duration_ms(const char *s, int64_t *ms);

/** "USDC=10000,BTC=0.5" (spaces around items allowed) into out[0..max). Returns 0 and *count,
 *  RT_EINVAL when malformed, an asset appears twice or an amount is negative, RT_ETOOBIG with
 *  more than max pairs. */
int tr_parse_balances(const char *s, tr_balance_t *out, size_t max, size_t *count);

#endif
