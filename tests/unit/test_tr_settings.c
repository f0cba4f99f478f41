/* The trader core's settings from env text: units, ranges, defaults, every error reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/money.h"
#include "tr_settings.h"

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

static void test_parse_pct_bps(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool bps;
        int rc;
        const char *want;
    } cases[] = {
        {"20", false, RT_OK, "0.2"},
        {"20%", false, RT_OK, "0.2"},
        {"0.5", false, RT_OK, "0.005"},
        {"0.000001", false, RT_OK, "0.00000001"},
        {"0.0000001", false, RT_EINVAL, NULL}, /* 7 decimals of a percent do not fit */
        {"200", false, RT_OK, "2"},
        {"-1", false, RT_EINVAL, NULL},
        {"", false, RT_EINVAL, NULL},
        {"%", false, RT_EINVAL, NULL},
        {"abc", false, RT_EINVAL, NULL},
        {"1e2", false, RT_EINVAL, NULL},
        {"5", true, RT_OK, "0.0005"},
        {"2.5", true, RT_OK, "0.00025"},
        {"0.0001", true, RT_OK, "0.00000001"},
        {"0.00001", true, RT_EINVAL, NULL},
        {"5%", true, RT_EINVAL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_money_t v = 42;
        int rc = cases[i].bps ? tr_parse_bps(cases[i].in, &v) : tr_parse_pct(cases[i].in, &v);
        if (rc != cases[i].rc)
            fail_msg("%s (%s): rc=%d want %d", cases[i].in, cases[i].bps ? "bps" : "pct", rc,
                     cases[i].rc);
        if (rc == RT_OK && v != M(cases[i].want))
            fail_msg("%s: got %lld want %s", cases[i].in, (long long)v, cases[i].want);
        if (rc != RT_OK && v != 42)
            fail_msg("%s: output written on error", cases[i].in);
    }
    rt_money_t v;
    assert_int_equal(tr_parse_pct(NULL, &v), RT_EINVAL);
}

static void test_parse_duration(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int64_t want;
    } cases[] = {
        {"7d", RT_OK, INT64_C(604800000)},
        {"12h", RT_OK, INT64_C(43200000)},
        {"30m", RT_OK, INT64_C(1800000)},
        {"45s", RT_OK, INT64_C(45000)},
        {"3600", RT_OK, INT64_C(3600000)},
        {"0", RT_OK, 0},
        {"", RT_EINVAL, 0},
        {"d", RT_EINVAL, 0},
        {"-1d", RT_EINVAL, 0},
        {"1.5h", RT_EINVAL, 0},
        {"7 d", RT_EINVAL, 0},
        {"7w", RT_EINVAL, 0},
        {"99999999999999999d", RT_ERANGE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = -42;
        int rc = tr_parse_duration_ms(cases[i].in, &v);
        if (rc != cases[i].rc || (rc == RT_OK && v != cases[i].want))
            fail_msg("%s: rc=%d v=%lld, want rc=%d v=%lld", cases[i].in, rc, (long long)v,
                     cases[i].rc, (long long)cases[i].want);
    }
}

static void test_parse_balances(void **state)
{
    (void)state;
    tr_balance_t b[4];
    size_t n = 0;
    assert_int_equal(tr_parse_balances("USDC=10000, BTC = 0.5 ,ETH=0", b, 4, &n), RT_OK);
    assert_int_equal(n, 3);
    assert_string_equal(b[0].asset, "USDC");
    assert_int_equal(b[0].free, M("10000"));
    assert_string_equal(b[1].asset, "BTC");
    assert_int_equal(b[1].free, M("0.5"));
    assert_string_equal(b[2].asset, "ETH");
    assert_int_equal(b[2].free, 0);
    static const struct {
        const char *in;
        int rc;
    } bad[] = {
        {"USDC", RT_EINVAL},
        {"USDC=", RT_EINVAL},
        {"=5", RT_EINVAL},
        {"USDC=-1", RT_EINVAL},
        {"USDC=1,USDC=2", RT_EINVAL},
        {"usdc=1", RT_EINVAL},
        {"US DC=1", RT_EINVAL},
        {"USDC=1,,BTC=1", RT_EINVAL},
        {"USDC=0.000000001", RT_EINVAL},
        {"A=1,B=1,C=1,D=1,E=1", RT_ETOOBIG},
        {"AVERYVERYLONGASSETNAMEXYZ=1", RT_EINVAL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = 99;
        int rc = tr_parse_balances(bad[i].in, b, 4, &n);
        if (rc != bad[i].rc || n != 99)
            fail_msg("%s: rc=%d (want %d), count %zu (must stay)", bad[i].in, rc, bad[i].rc, n);
    }
}

/* A fake environment: name=value pairs. */
typedef struct {
    const char *const *pairs; /* name, value, name, value, ..., NULL */
} env_t;

static int env_get(void *ctx, const char *name, const char **value)
{
    const env_t *e = ctx;
    for (size_t i = 0; e->pairs[i] != NULL; i += 2)
        if (strcmp(e->pairs[i], name) == 0) {
            *value = e->pairs[i + 1];
            return RT_OK;
        }
    return RT_ENOTFOUND;
}

static void same_settings(const tr_settings_t *a, const tr_settings_t *b)
{
    assert_int_equal(a->risk.trade_quantity, b->risk.trade_quantity);
    assert_int_equal(a->risk.risk_per_trade, b->risk.risk_per_trade);
    assert_int_equal(a->risk.max_position_pct, b->risk.max_position_pct);
    assert_int_equal(a->risk.max_entries, b->risk.max_entries);
    assert_int_equal(a->risk.max_exposure_pct, b->risk.max_exposure_pct);
    assert_int_equal(a->risk.max_open_positions, b->risk.max_open_positions);
    assert_int_equal(a->risk.cooldown_ms, b->risk.cooldown_ms);
    assert_int_equal(a->risk.max_drawdown_pct, b->risk.max_drawdown_pct);
    assert_int_equal(a->risk.drawdown_window_ms, b->risk.drawdown_window_ms);
    assert_int_equal(a->risk.halt_equity_ratio, b->risk.halt_equity_ratio);
    assert_int_equal(a->risk.cost_rate, b->risk.cost_rate);
    assert_memory_equal(&a->exits, &b->exits, sizeof a->exits);
    assert_memory_equal(&a->fill, &b->fill, sizeof a->fill);
    assert_int_equal(a->demo_balance_count, b->demo_balance_count);
    for (size_t i = 0; i < a->demo_balance_count; i++) {
        assert_string_equal(a->demo_balances[i].asset, b->demo_balances[i].asset);
        assert_int_equal(a->demo_balances[i].free, b->demo_balances[i].free);
    }
}

/* Every variable's default text gives the default struct: the docs cannot drift. */
static void test_defaults_agree(void **state)
{
    (void)state;
    const char *pairs[2 * 32 + 1];
    size_t k = 0;
    assert_true(tr_setting_var_count <= 32);
    for (size_t i = 0; i < tr_setting_var_count; i++) {
        if (strcmp(tr_setting_vars[i].name, "DEMO_MAKER_FEE_RATE") == 0)
            continue; /* its default is DEMO_FEE_RATE's */
        pairs[k++] = tr_setting_vars[i].name;
        pairs[k++] = tr_setting_vars[i].def;
    }
    pairs[k] = NULL;
    env_t env = {pairs};
    tr_settings_t got, want;
    char report[512];
    assert_int_equal(tr_settings_load(&got, env_get, &env, report, sizeof report), RT_OK);
    tr_settings_default(&want);
    same_settings(&got, &want);
    assert_int_equal(tr_settings_check(&want, NULL, 0), RT_OK);
    assert_int_equal(want.risk.cost_rate, M("0.0015"));
    /* and nothing set at all gives the same */
    const char *none[] = {NULL};
    env_t empty = {none};
    assert_int_equal(tr_settings_load(&got, env_get, &empty, report, sizeof report), RT_OK);
    same_settings(&got, &want);
    for (size_t i = 0; i < tr_setting_var_count; i++) {
        assert_non_null(tr_setting_vars[i].help);
        assert_true(strlen(tr_setting_vars[i].help) > 10);
    }
}

static void test_set(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value;
        int rc;
        size_t off; /* of an rt_money_t or int64 field checked, (size_t)-1 for none */
        int64_t want;
    } cases[] = {
        {"TRADE_QUANTITY", "0.001", RT_OK, offsetof(tr_settings_t, risk.trade_quantity), 100000},
        {"TRADE_QUANTITY", "-0.001", RT_EINVAL, (size_t)-1, 0},
        {"TRADE_QUANTITY", "0.000000001", RT_EINVAL, (size_t)-1, 0},
        {"TRADE_QUOTE_QUANTITY", "20", RT_OK, offsetof(tr_settings_t, risk.trade_quote_quantity),
         2000000000},
        {"TRADE_QUOTE_QUANTITY", "-1", RT_EINVAL, (size_t)-1, 0},
        {"RISK_PER_TRADE", "0.01", RT_OK, offsetof(tr_settings_t, risk.risk_per_trade), 1000000},
        {"RISK_PER_TRADE", "1.5", RT_EINVAL, (size_t)-1, 0},
        {"MAX_POSITION_PCT", "25", RT_OK, offsetof(tr_settings_t, risk.max_position_pct), 25000000},
        {"MAX_EXPOSURE_PCT", "20%", RT_OK, offsetof(tr_settings_t, risk.max_exposure_pct),
         20000000},
        {"MAX_EXPOSURE_PCT", "101", RT_EINVAL, (size_t)-1, 0},
        {"MAX_EXPOSURE_PCT", "abc", RT_EINVAL, (size_t)-1, 0},
        {"MAX_ENTRIES", "3", RT_OK, (size_t)-1, 0},
        {"MAX_ENTRIES", "0", RT_EINVAL, (size_t)-1, 0},
        {"MAX_ENTRIES", "2.5", RT_EINVAL, (size_t)-1, 0},
        {"MAX_OPEN_POSITIONS", "0", RT_OK, (size_t)-1, 0},
        {"MAX_OPEN_POSITIONS", "-1", RT_EINVAL, (size_t)-1, 0},
        {"COOLDOWN_SECONDS", "300", RT_OK, offsetof(tr_settings_t, risk.cooldown_ms), 300000},
        {"COOLDOWN_SECONDS", "-5", RT_EINVAL, (size_t)-1, 0},
        {"COOLDOWN_SECONDS", "9223372036854775807", RT_EINVAL, (size_t)-1, 0},
        {"MAX_DRAWDOWN_PCT", "5", RT_OK, offsetof(tr_settings_t, risk.max_drawdown_pct), 5000000},
        {"MAX_DRAWDOWN_PCT", "100", RT_EINVAL, (size_t)-1, 0},
        {"DRAWDOWN_WINDOW", "7d", RT_OK, offsetof(tr_settings_t, risk.drawdown_window_ms),
         INT64_C(604800000)},
        {"DRAWDOWN_WINDOW", "0", RT_EINVAL, (size_t)-1, 0},
        {"DRAWDOWN_WINDOW", "366d", RT_EINVAL, (size_t)-1, 0},
        {"HALT_EQUITY_RATIO", "0.5", RT_OK, offsetof(tr_settings_t, risk.halt_equity_ratio),
         50000000},
        {"HALT_EQUITY_RATIO", "1", RT_EINVAL, (size_t)-1, 0},
        {"STOP_LOSS_PCT", "50", RT_OK, offsetof(tr_settings_t, exits.stop_loss_pct), 50000000},
        {"STOP_LOSS_PCT", "100", RT_EINVAL, (size_t)-1, 0},
        {"TAKE_PROFIT_PCT", "0", RT_OK, offsetof(tr_settings_t, exits.take_profit_pct), 0},
        {"ATR_STOP_MULT", "1.5", RT_OK, offsetof(tr_settings_t, exits.atr_stop_mult), 150000000},
        {"TRAILING_ACTIVATION_PCT", "200", RT_OK,
         offsetof(tr_settings_t, exits.trailing_activation), 200000000},
        {"TRAILING_PCT", "30", RT_OK, offsetof(tr_settings_t, exits.trailing_pct), 30000000},
        {"PARTIAL_TP_PCT", "100", RT_OK, offsetof(tr_settings_t, exits.partial_tp_pct), 100000000},
        {"PARTIAL_TP_FRACTION", "0.2", RT_OK, offsetof(tr_settings_t, exits.partial_tp_fraction),
         20000000},
        {"PARTIAL_TP_FRACTION", "0", RT_EINVAL, (size_t)-1, 0},
        {"BREAKEVEN_PCT", "2", RT_OK, offsetof(tr_settings_t, exits.breakeven_pct), 2000000},
        {"DEMO_SLIPPAGE_BPS", "10", RT_OK, offsetof(tr_settings_t, fill.slippage), 100000},
        {"DEMO_FEE_RATE", "0.00075", RT_OK, offsetof(tr_settings_t, fill.taker_fee), 75000},
        {"DEMO_FEE_RATE", "1", RT_EINVAL, (size_t)-1, 0},
        {"DEMO_BALANCES", "USDC=500,BTC=0.01", RT_OK, (size_t)-1, 0},
        {"DEMO_BALANCES", "USDC", RT_EINVAL, (size_t)-1, 0},
        {"NOT_A_SETTING", "1", RT_ENOTFOUND, (size_t)-1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_settings_t s, before;
        tr_settings_default(&s);
        before = s;
        char why[256] = "";
        int rc = tr_settings_set(&s, cases[i].name, cases[i].value, why, sizeof why);
        if (rc != cases[i].rc)
            fail_msg("%s=%s: rc=%d want %d (%s)", cases[i].name, cases[i].value, rc, cases[i].rc,
                     why);
        if (rc != RT_OK) {
            assert_memory_equal(&s, &before, sizeof s);
            if (rc == RT_EINVAL && strstr(why, "must be") == NULL)
                fail_msg("%s=%s: why \"%s\" does not say what is allowed", cases[i].name,
                         cases[i].value, why);
            continue;
        }
        if (cases[i].off != (size_t)-1) {
            int64_t got;
            memcpy(&got, (const char *)&s + cases[i].off, sizeof got);
            if (got != cases[i].want)
                fail_msg("%s=%s: stored %lld want %lld", cases[i].name, cases[i].value,
                         (long long)got, (long long)cases[i].want);
        }
    }
    tr_settings_t s;
    tr_settings_default(&s);
    char why[256];
    assert_int_equal(tr_settings_set(&s, "MAX_EXPOSURE_PCT", "\x01\"x", why, sizeof why),
                     RT_EINVAL);
    assert_string_equal(why, "MAX_EXPOSURE_PCT=\"\\x01\\\"x\": must be a percent from 0 to 100 "
                             "(20 = 20%; 0 = no limit)");
    /* the maker fee follows the taker fee until it is set itself; the cost rate follows both */
    assert_int_equal(tr_settings_set(&s, "DEMO_FEE_RATE", "0.002", why, sizeof why), RT_OK);
    assert_int_equal(s.fill.maker_fee, M("0.002"));
    assert_int_equal(s.risk.cost_rate, M("0.0025"));
    assert_int_equal(tr_settings_set(&s, "DEMO_MAKER_FEE_RATE", "0.0001", why, sizeof why), RT_OK);
    assert_int_equal(tr_settings_set(&s, "DEMO_FEE_RATE", "0.003", why, sizeof why), RT_OK);
    assert_int_equal(s.fill.maker_fee, M("0.0001"));
    assert_int_equal(tr_settings_set(&s, "DEMO_SLIPPAGE_BPS", "0", why, sizeof why), RT_OK);
    assert_int_equal(s.risk.cost_rate, M("0.003"));
}

/* The seed's settings (marsshot 5) as env, and a load that reports every bad variable. */
static void test_load(void **state)
{
    (void)state;
    const char *seed[] = {"STOP_LOSS_PCT",
                          "50",
                          "PARTIAL_TP_PCT",
                          "100",
                          "PARTIAL_TP_FRACTION",
                          "0.2",
                          "TRAILING_ACTIVATION_PCT",
                          "200",
                          "TRAILING_PCT",
                          "30",
                          "TAKE_PROFIT_PCT",
                          "0",
                          "DEMO_BALANCES",
                          "USDT=1000",
                          "DEMO_MAKER_FEE_RATE",
                          "0",
                          "DEMO_FEE_RATE",
                          "0.002",
                          NULL};
    env_t env = {seed};
    tr_settings_t s;
    char report[1024];
    assert_int_equal(tr_settings_load(&s, env_get, &env, report, sizeof report), RT_OK);
    assert_int_equal(s.exits.stop_loss_pct, M("0.5"));
    assert_int_equal(s.exits.trailing_activation, M("2"));
    assert_int_equal(s.exits.trailing_pct, M("0.3"));
    assert_int_equal(s.exits.partial_tp_fraction, M("0.2"));
    assert_string_equal(s.demo_balances[0].asset, "USDT");
    assert_int_equal(s.fill.maker_fee, 0); /* set, whatever the order of the lookups */
    assert_int_equal(s.fill.taker_fee, M("0.002"));

    const char *bad[] = {"MAX_EXPOSURE_PCT",
                         "x",
                         "COOLDOWN_SECONDS",
                         "-1",
                         "TRAILING_PCT",
                         "100",
                         "STOP_LOSS_PCT",
                         "3",
                         NULL};
    env_t benv = {bad};
    tr_settings_t untouched;
    memset(&untouched, 0x21, sizeof untouched);
    s = untouched;
    assert_int_equal(tr_settings_load(&s, env_get, &benv, report, sizeof report), RT_EINVAL);
    assert_memory_equal(&s, &untouched, sizeof s);
    assert_non_null(strstr(report, "MAX_EXPOSURE_PCT=\"x\": must be"));
    assert_non_null(strstr(report, "\nCOOLDOWN_SECONDS=\"-1\": must be"));
    assert_non_null(strstr(report, "\nTRAILING_PCT=\"100\": must be"));
    assert_null(strstr(report, "STOP_LOSS_PCT"));

    const char *nosize[] = {"TRADE_QUANTITY", "0", NULL};
    env_t nenv = {nosize};
    assert_int_equal(tr_settings_load(&s, env_get, &nenv, report, sizeof report), RT_EINVAL);
    assert_non_null(strstr(report, "RISK_PER_TRADE"));
    assert_non_null(strstr(report, "TRADE_QUOTE_QUANTITY"));
    const char *quote_only[] = {"TRADE_QUANTITY", "0", "TRADE_QUOTE_QUANTITY", "20", NULL};
    env_t qenv = {quote_only};
    assert_int_equal(tr_settings_load(&s, env_get, &qenv, report, sizeof report), RT_OK);
    assert_int_equal(s.risk.trade_quote_quantity, RT_MONEY_UNITS(20));
    /* a small report buffer is cut, never overrun */
    char tiny[16];
    assert_int_equal(tr_settings_load(&s, env_get, &benv, tiny, sizeof tiny), RT_EINVAL);
    assert_true(strlen(tiny) < sizeof tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_pct_bps),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_parse_balances),
        cmocka_unit_test(test_defaults_agree),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
