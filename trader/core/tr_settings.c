/* The trader core's settings from env text: one table drives names, defaults, parsing and
 * ranges, so the documentation, the defaults and the parser cannot drift apart. */
#include "tr_settings.h"

#include <string.h>

#include "rt/err.h"
#include "rt/str.h"
#include "tr_internal.h"

#define ONE RT_MONEY_SCALE
#define BELOW_ONE (RT_MONEY_SCALE - 1)

typedef enum {
    K_MONEY,    /* rt_money_t from a decimal */
    K_PCT,      /* rt_money_t fraction from a percent */
    K_FRAC,     /* rt_money_t fraction from a fraction */
    K_BPS,      /* rt_money_t fraction from basis points */
    K_INT,      /* int */
    K_SECONDS,  /* int64_t milliseconds from whole seconds */
    K_DURATION, /* int64_t milliseconds from "7d" */
    K_BALANCES, /* DEMO_BALANCES */
} kind_t;

typedef struct {
    kind_t kind;
    size_t off;
    int64_t min, max; /* inclusive, in stored units (a fraction, ms, count) */
} spec_t;

#define AT(member) offsetof(tr_settings_t, member)

/* name, default, help, kind, field, min, max */
#define TR_VARS(X)                                                                                 \
    X("TRADE_QUANTITY", "0.00017",                                                                 \
      "a base quantity from 0 (0 needs RISK_PER_TRADE) with at most 8 decimals", K_MONEY,          \
      AT(risk.trade_quantity), 0, RT_MONEY_MAX)                                                    \
    X("TRADE_QUOTE_QUANTITY", "0",                                                                 \
      "quote asset per entry from 0, fees included (20 = 20 USDC; 0 = TRADE_QUANTITY)", K_MONEY,   \
      AT(risk.trade_quote_quantity), 0, RT_MONEY_MAX)                                              \
    X("RISK_PER_TRADE", "0",                                                                       \
      "a fraction of equity from 0 to 1 (0.01 = 1%; 0 = fixed TRADE_QUANTITY)", K_FRAC,            \
      AT(risk.risk_per_trade), 0, ONE)                                                             \
    X("MAX_POSITION_PCT", "10", "a percent from 0 to 100 (10 = 10%; 0 = no cap)", K_PCT,           \
      AT(risk.max_position_pct), 0, ONE)                                                           \
    X("MAX_ENTRIES", "1", "an integer from 1 to 100 (1 = one position, no adding)", K_INT,         \
      AT(risk.max_entries), 1, 100)                                                                \
    X("MAX_EXPOSURE_PCT", "20", "a percent from 0 to 100 (20 = 20%; 0 = no limit)", K_PCT,         \
      AT(risk.max_exposure_pct), 0, ONE)                                                           \
    X("MAX_OPEN_POSITIONS", "10", "an integer from 0 to 10000 (0 = no limit)", K_INT,              \
      AT(risk.max_open_positions), 0, 10000)                                                       \
    X("COOLDOWN_SECONDS", "60", "whole seconds from 0 to 31536000 (0 = none)", K_SECONDS,          \
      AT(risk.cooldown_ms), 0, INT64_C(31536000000))                                               \
    X("MAX_DRAWDOWN_PCT", "5", "a percent from 0 to below 100 (5 = 5%; 0 = no brake)", K_PCT,      \
      AT(risk.max_drawdown_pct), 0, BELOW_ONE)                                                     \
    X("DRAWDOWN_WINDOW", "7d", "a duration from 1s to 365d: 7d, 12h, 30m, 45s or seconds",         \
      K_DURATION, AT(risk.drawdown_window_ms), 1000, INT64_C(31536000000))                         \
    X("HALT_EQUITY_RATIO", "0.5",                                                                  \
      "a fraction of the initial equity from 0 to below 1 (0.5 = halt at half; 0 = never)",        \
      K_FRAC, AT(risk.halt_equity_ratio), 0, BELOW_ONE)                                            \
    X("STOP_LOSS_PCT", "3", "a percent from 0 to below 100 (3 = 3% under the entry; 0 = none)",    \
      K_PCT, AT(exits.stop_loss_pct), 0, BELOW_ONE)                                                \
    X("TAKE_PROFIT_PCT", "5", "a percent from 0 to 10000 (5 = 5% over the entry; 0 = none)",       \
      K_PCT, AT(exits.take_profit_pct), 0, 100 * ONE)                                              \
    X("ATR_STOP_MULT", "0",                                                                        \
      "a number from 0 to 100 (1.5 = stop 1.5 ATR under the entry; 0 = off)", K_MONEY,             \
      AT(exits.atr_stop_mult), 0, 100 * ONE)                                                       \
    X("TRAILING_ACTIVATION_PCT", "0",                                                              \
      "a percent from 0 to 10000 (200 = armed at x3; 0 = from the entry on)", K_PCT,               \
      AT(exits.trailing_activation), 0, 100 * ONE)                                                 \
    X("TRAILING_PCT", "0",                                                                         \
      "a percent from 0 to below 100 (30 = 30% under the high; 0 = no trailing stop)", K_PCT,      \
      AT(exits.trailing_pct), 0, BELOW_ONE)                                                        \
    X("PARTIAL_TP_PCT", "0", "a percent from 0 to 10000 (100 = at x2; 0 = no partial)", K_PCT,     \
      AT(exits.partial_tp_pct), 0, 100 * ONE)                                                      \
    X("PARTIAL_TP_FRACTION", "0.5",                                                                \
      "a fraction of the open quantity above 0, at most 1 (0.2 = 20%)", K_FRAC,                    \
      AT(exits.partial_tp_fraction), 1, ONE)                                                       \
    X("BREAKEVEN_PCT", "0", "a percent from 0 to 10000 (2 = stop to entry after +2%; 0 = off)",    \
      K_PCT, AT(exits.breakeven_pct), 0, 100 * ONE)                                                \
    X("DEMO_SLIPPAGE_BPS", "5", "basis points from 0 to below 10000 (5 = 0.05%)", K_BPS,           \
      AT(fill.slippage), 0, BELOW_ONE)                                                             \
    X("DEMO_FEE_RATE", "0.001", "a fraction from 0 to below 1 (0.001 = 0.1%)", K_FRAC,             \
      AT(fill.taker_fee), 0, BELOW_ONE)                                                            \
    X("DEMO_MAKER_FEE_RATE", "0.001",                                                              \
      "a fraction from 0 to below 1 (0.001 = 0.1%; default: DEMO_FEE_RATE)", K_FRAC,               \
      AT(fill.maker_fee), 0, BELOW_ONE)                                                            \
    X("DEMO_BALANCES", "USDC=10000",                                                               \
      "ASSET=amount pairs separated by commas (USDC=10000,BTC=0.5), amounts from 0", K_BALANCES,   \
      AT(demo_balance_count), 0, 0)

#define PUB(name, def, help, kind, off, min, max) {name, def, help},
#define SPEC(name, def, help, kind, off, min, max) {kind, off, min, max},

const tr_setting_var_t tr_setting_vars[] = {TR_VARS(PUB)};
const size_t tr_setting_var_count = sizeof tr_setting_vars / sizeof tr_setting_vars[0];
static const spec_t specs[] = {TR_VARS(SPEC)};

void tr_settings_default(tr_settings_t *s)
{
    if (s == NULL)
        return;
    memset(s, 0, sizeof *s);
    tr_risk_config_default(&s->risk);
    tr_exit_config_default(&s->exits);
    tr_fill_config_default(&s->fill);
    s->demo_balance_count = 1;
    (void)tr__copy(s->demo_balances[0].asset, sizeof s->demo_balances[0].asset, "USDC");
    s->demo_balances[0].free = RT_MONEY_UNITS(10000);
    s->risk.cost_rate = s->fill.taker_fee + s->fill.slippage;
}

/* ---- parsers ------------------------------------------------------------------------------ */

/* Money text divided by div (100 for a percent, 10000 for bps), exactly. A trailing '%' is
 * dropped when pct is set. */
static int parse_scaled(const char *s, int64_t div, bool pct, rt_money_t *out)
{
    if (s == NULL)
        return RT_EINVAL;
    size_t n = strlen(s);
    if (pct && n > 0 && s[n - 1] == '%')
        n--;
    rt_money_t v;
    int rc = rt_money_parse_n(s, n, &v);
    if (rc != RT_OK)
        return rc;
    if (v < 0 || v % div != 0)
        return RT_EINVAL; /* negative, or more decimals than a fraction can hold */
    *out = v / div;
    return RT_OK;
}

int tr_parse_pct(const char *s, rt_money_t *frac)
{
    if (frac == NULL)
        return RT_EINVAL;
    return parse_scaled(s, 100, true, frac);
}

int tr_parse_bps(const char *s, rt_money_t *frac)
{
    if (frac == NULL)
        return RT_EINVAL;
    return parse_scaled(s, 10000, false, frac);
}

int tr_parse_duration_ms(const char *s, int64_t *ms)
{
    if (s == NULL || ms == NULL)
        return RT_EINVAL;
    size_t n = strlen(s);
    int64_t unit = 1000;
    if (n > 0) {
        switch (s[n - 1]) {
        case 's':
            unit = 1000;
            n--;
            break;
        case 'm':
            unit = 60 * 1000;
            n--;
            break;
        case 'h':
            unit = 3600 * 1000;
            n--;
            break;
        case 'd':
            unit = 86400 * 1000;
            n--;
            break;
        default:
            break;
        }
    }
    char digits[24];
    if (n == 0 || n >= sizeof digits)
        return n == 0 ? RT_EINVAL : RT_ERANGE;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return RT_EINVAL; /* digits only: no sign, no spaces, no decimals */
    memcpy(digits, s, n);
    digits[n] = '\0';
    int64_t v;
    int rc = rt_str_parse_int64(digits, &v);
    if (rc != RT_OK)
        return rc;
    if (v > INT64_MAX / unit)
        return RT_ERANGE;
    *ms = v * unit;
    return RT_OK;
}

static bool asset_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int tr_parse_balances(const char *s, tr_balance_t *out, size_t max, size_t *count)
{
    if (s == NULL || out == NULL || count == NULL)
        return RT_EINVAL;
    rt_str_slice_t items[TR_DEMO_BALANCES_MAX + 1];
    size_t n = 0, cap = max < TR_DEMO_BALANCES_MAX ? max : TR_DEMO_BALANCES_MAX;
    int rc = rt_str_split(s, strlen(s), ',', items, cap, &n);
    if (rc != RT_OK)
        return rc;
    tr_balance_t got[TR_DEMO_BALANCES_MAX];
    memset(got, 0, sizeof got);
    for (size_t i = 0; i < n; i++) {
        rt_str_slice_t it = rt_str_trim(items[i].p, items[i].n);
        const char *eq = memchr(it.p, '=', it.n);
        if (eq == NULL)
            return RT_EINVAL;
        size_t an = (size_t)(eq - it.p);
        rt_str_slice_t amount = rt_str_trim(eq + 1, it.n - an - 1);
        rt_str_slice_t asset = rt_str_trim(it.p, an);
        if (asset.n == 0 || asset.n >= TR_ASSET_CAP)
            return RT_EINVAL;
        for (size_t k = 0; k < asset.n; k++)
            if (!asset_char(asset.p[k]))
                return RT_EINVAL;
        memcpy(got[i].asset, asset.p, asset.n);
        got[i].asset[asset.n] = '\0';
        for (size_t k = 0; k < i; k++)
            if (strcmp(got[k].asset, got[i].asset) == 0)
                return RT_EINVAL;
        rc = rt_money_parse_n(amount.p, amount.n, &got[i].free);
        if (rc != RT_OK)
            return rc;
        if (got[i].free < 0)
            return RT_EINVAL;
    }
    memcpy(out, got, n * sizeof *out);
    *count = n;
    return RT_OK;
}

/* ---- setting ------------------------------------------------------------------------------ */

static size_t find_var(const char *name)
{
    for (size_t i = 0; i < tr_setting_var_count; i++)
        if (strcmp(tr_setting_vars[i].name, name) == 0)
            return i;
    return (size_t)-1;
}

/* Parses value per spec into *s (a copy of the caller's). */
static int apply(tr_settings_t *s, const spec_t *sp, const char *value)
{
    char *field = (char *)s + sp->off;
    rt_money_t m = 0;
    int64_t i = 0;
    int rc;
    switch (sp->kind) {
    case K_MONEY:
    case K_FRAC:
        rc = rt_money_parse(value, &m);
        break;
    case K_PCT:
        rc = tr_parse_pct(value, &m);
        break;
    case K_BPS:
        rc = tr_parse_bps(value, &m);
        break;
    case K_INT:
    case K_SECONDS:
        rc = rt_str_parse_int64(value, &i);
        if (rc == RT_OK && sp->kind == K_SECONDS) {
            if (i < 0 || i > INT64_MAX / 1000)
                return RT_EINVAL;
            i *= 1000;
        }
        break;
    case K_DURATION:
        rc = tr_parse_duration_ms(value, &i);
        break;
    case K_BALANCES:
        return tr_parse_balances(value, s->demo_balances, TR_DEMO_BALANCES_MAX,
                                 &s->demo_balance_count) == RT_OK &&
                       s->demo_balance_count > 0
                   ? RT_OK
                   : RT_EINVAL;
    default:
        return RT_EINVAL;
    }
    if (rc != RT_OK)
        return RT_EINVAL;
    switch (sp->kind) {
    case K_MONEY:
    case K_FRAC:
    case K_PCT:
    case K_BPS:
        if (m < sp->min || m > sp->max)
            return RT_EINVAL;
        memcpy(field, &m, sizeof m);
        return RT_OK;
    case K_INT: {
        if (i < sp->min || i > sp->max)
            return RT_EINVAL;
        int v = (int)i;
        memcpy(field, &v, sizeof v);
        return RT_OK;
    }
    default:
        if (i < sp->min || i > sp->max)
            return RT_EINVAL;
        memcpy(field, &i, sizeof i);
        return RT_OK;
    }
}

/* `NAME="value": must be help`, the value escaped. */
static void bad_value(char *why, size_t cap, size_t k, const char *value)
{
    char shown[96];
    rt_str_escape(shown, sizeof shown, value, strlen(value));
    tr__say(why, cap, "%s=\"%s\": must be %s", tr_setting_vars[k].name, shown,
            tr_setting_vars[k].help);
}

int tr_settings_set(tr_settings_t *s, const char *name, const char *value, char *why, size_t cap)
{
    if (s == NULL || name == NULL)
        return RT_EINVAL;
    size_t k = find_var(name);
    if (k == (size_t)-1) {
        tr__say(why, cap, "%s: not a trader setting", name);
        return RT_ENOTFOUND;
    }
    if (value == NULL) {
        tr__say(why, cap, "%s: no value", name);
        return RT_EINVAL;
    }
    tr_settings_t n = *s;
    if (apply(&n, &specs[k], value) != RT_OK) {
        bad_value(why, cap, k, value);
        return RT_EINVAL;
    }
    /* the fees and the slippage move together with what a BUY may cost */
    if (strcmp(name, "DEMO_MAKER_FEE_RATE") == 0)
        n.maker_fee_set = true;
    if (strcmp(name, "DEMO_FEE_RATE") == 0 && !n.maker_fee_set)
        n.fill.maker_fee = n.fill.taker_fee;
    n.risk.cost_rate = n.fill.taker_fee + n.fill.slippage; /* each < 1: no overflow */
    if (n.risk.cost_rate >= ONE)
        n.risk.cost_rate = BELOW_ONE;
    *s = n;
    return RT_OK;
}

int tr_settings_check(const tr_settings_t *s, char *why, size_t cap)
{
    if (s == NULL)
        return RT_EINVAL;
    if (s->risk.risk_per_trade == 0 && s->risk.trade_quantity == 0 &&
        s->risk.trade_quote_quantity == 0) {
        tr__say(why, cap,
                "TRADE_QUANTITY=0 with TRADE_QUOTE_QUANTITY=0 and RISK_PER_TRADE=0: one of them "
                "must size the orders");
        return RT_EINVAL;
    }
    if (tr_risk_config_check(&s->risk) != RT_OK || tr_exit_config_check(&s->exits) != RT_OK ||
        tr_fill_config_check(&s->fill) != RT_OK) {
        tr__say(why, cap, "the trader settings are not coherent");
        return RT_EINVAL;
    }
    return RT_OK;
}

/* Appends a line to the report, cut to fit. */
static void report_line(char *report, size_t cap, size_t *used, const char *line)
{
    if (report == NULL || cap == 0 || *used + 1 >= cap)
        return;
    tr__say(report + *used, cap - *used, "%s%s", *used > 0 ? "\n" : "", line);
    *used += strlen(report + *used);
}

int tr_settings_load(tr_settings_t *s, tr_settings_get_fn get, void *ctx, char *report, size_t cap)
{
    if (s == NULL || get == NULL)
        return RT_EINVAL;
    if (report != NULL && cap > 0)
        report[0] = '\0';
    tr_settings_t n;
    tr_settings_default(&n);
    size_t used = 0;
    int bad = 0;
    char line[320];
    /* DEMO_MAKER_FEE_RATE before DEMO_FEE_RATE's turn would be overwritten: set it last */
    size_t maker = find_var("DEMO_MAKER_FEE_RATE");
    for (size_t pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < tr_setting_var_count; k++) {
            if ((k == maker) != (pass == 1))
                continue;
            const char *v = NULL;
            if (get(ctx, tr_setting_vars[k].name, &v) != RT_OK || v == NULL)
                continue;
            if (tr_settings_set(&n, tr_setting_vars[k].name, v, line, sizeof line) != RT_OK) {
                report_line(report, cap, &used, line);
                bad++;
            }
        }
    }
    if (bad == 0 && tr_settings_check(&n, line, sizeof line) != RT_OK) {
        report_line(report, cap, &used, line);
        bad++;
    }
    if (bad > 0)
        return RT_EINVAL;
    *s = n;
    return RT_OK;
}
