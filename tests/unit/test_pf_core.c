/* pf_core: prices, forming candles and the stream throttle of rt-portfolio; parameter checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "pf_core.h"
#include "rt/err.h"

static rt_candle_t candle(const char *sym, int64_t open_time, rt_money_t close, bool closed)
{
    rt_candle_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.symbol, sizeof c.symbol, "%s", sym);
    memcpy(c.interval, "1m", 3);
    c.open_time = open_time;
    c.close_time = open_time + 59999;
    c.open = c.high = c.low = c.close = close;
    c.closed = closed;
    return c;
}

static void test_forming_and_price(void **state)
{
    (void)state;
    pf_market_t m;
    pf_market_init(&m, 1000);
    rt_money_t px;
    rt_candle_t out;
    assert_int_equal(pf_market_price(&m, "BTCUSDC", &px), RT_ENOTFOUND);
    bool relay = false;
    rt_candle_t c = candle("BTCUSDC", 60000, RT_MONEY_UNITS(100), false);
    assert_int_equal(pf_market_candle(&m, &c, 100000, &relay), 0);
    assert_true(relay);
    assert_int_equal(pf_market_price(&m, "BTCUSDC", &px), 0);
    assert_int_equal(px, RT_MONEY_UNITS(100));
    assert_int_equal(pf_market_forming(&m, "BTCUSDC", "1m", &out), 0);
    assert_int_equal(out.open_time, 60000);
    assert_int_equal(pf_market_forming(&m, "BTCUSDC", "5m", &out), RT_ENOTFOUND);
    /* throttled: a second update within 1 s is kept but not relayed */
    c.close = RT_MONEY_UNITS(101);
    assert_int_equal(pf_market_candle(&m, &c, 100500, &relay), 0);
    assert_false(relay);
    assert_int_equal(pf_market_forming(&m, "BTCUSDC", "1m", &out), 0);
    assert_int_equal(out.close, RT_MONEY_UNITS(101));
    assert_int_equal(pf_market_candle(&m, &c, 101000, &relay), 0);
    assert_true(relay);
    /* an older candle is ignored */
    rt_candle_t old = candle("BTCUSDC", 0, RT_MONEY_UNITS(5), false);
    assert_int_equal(pf_market_candle(&m, &old, 101100, &relay), 0);
    assert_false(relay);
    assert_int_equal(pf_market_price(&m, "BTCUSDC", &px), 0);
    assert_int_equal(px, RT_MONEY_UNITS(101));
    /* the closed one is always relayed and ends the forming candle */
    c.closed = true;
    assert_int_equal(pf_market_candle(&m, &c, 101200, &relay), 0);
    assert_true(relay);
    assert_int_equal(pf_market_forming(&m, "BTCUSDC", "1m", &out), RT_ENOTFOUND);
}

static void test_ticker_and_seed(void **state)
{
    (void)state;
    pf_market_t m;
    pf_market_init(&m, 0);
    rt_money_t px;
    assert_int_equal(pf_market_seed_price(&m, "ETHUSDC", RT_MONEY_UNITS(3000), 10), 0);
    assert_int_equal(pf_market_seed_price(&m, "ETHUSDC", RT_MONEY_UNITS(1), 20), 0); /* kept */
    assert_int_equal(pf_market_price(&m, "ETHUSDC", &px), 0);
    assert_int_equal(px, RT_MONEY_UNITS(3000));
    rt_ticker_t t = {.symbol = "ETHUSDC", .price = RT_MONEY_UNITS(3001), .event_time = 30};
    bool relay = false;
    assert_int_equal(pf_market_ticker(&m, &t, 30, &relay), 0);
    assert_true(relay);
    assert_int_equal(pf_market_price(&m, "ETHUSDC", &px), 0);
    assert_int_equal(px, RT_MONEY_UNITS(3001));
    rt_ticker_t bad = {.symbol = "eth usdc", .price = 1, .event_time = 40};
    assert_int_equal(pf_market_ticker(&m, &bad, 40, &relay), RT_EINVAL);
}

static void test_market_full(void **state)
{
    (void)state;
    static pf_market_t m;
    pf_market_init(&m, 0);
    char sym[RT_SYMBOL_CAP];
    for (int i = 0; i < PF_MARKET_MAX; i++) {
        snprintf(sym, sizeof sym, "S%dUSDC", i);
        assert_int_equal(pf_market_seed_price(&m, sym, 1, 0), 0);
    }
    assert_int_equal(pf_market_seed_price(&m, "ONEMORE", 1, 0), RT_ERANGE);
}

static void test_params(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        const char *out;
    } syms[] = {
        {"BTCUSDC", 0, "BTCUSDC"}, {"btcusdc", 0, "BTCUSDC"}, {"B", RT_EINVAL, NULL},
        {"BTC-USDC", RT_EINVAL, NULL}, {"", RT_EINVAL, NULL}, {"ABCDEFGHIJKLMNOPQRSTU", RT_EINVAL, NULL},
        {"ABCDEFGHIJKLMNOPQRST", 0, "ABCDEFGHIJKLMNOPQRST"}, {"' OR 1=1", RT_EINVAL, NULL},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        char out[RT_SYMBOL_CAP] = "";
        int rc = pf_param_symbol(syms[i].in, out, sizeof out);
        if (rc != syms[i].rc)
            fail_msg("symbol \"%s\": expected %d, got %d", syms[i].in, syms[i].rc, rc);
        if (rc == 0)
            assert_string_equal(out, syms[i].out);
    }
    assert_int_equal(pf_param_strategy("RSI_Strategy"), 0);
    assert_int_equal(pf_param_strategy("ema-cross.v2"), 0);
    assert_int_equal(pf_param_strategy(""), RT_EINVAL);
    assert_int_equal(pf_param_strategy("a b"), RT_EINVAL);
    assert_int_equal(pf_param_interval("1m"), 0);
    assert_int_equal(pf_param_interval("1M"), 0);
    assert_int_equal(pf_param_interval("7m"), RT_EINVAL);
}

static void test_conninfo_quote(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(pf_conninfo_quote("a'b\\c", out, sizeof out), 0);
    assert_string_equal(out, "'a\\'b\\\\c'");
    assert_int_equal(pf_conninfo_quote("", out, sizeof out), 0);
    assert_string_equal(out, "''");
    assert_int_equal(pf_conninfo_quote("abcdef", out, 9), 0);
    assert_string_equal(out, "'abcdef'");
    assert_int_equal(pf_conninfo_quote("abcdefg", out, 9), RT_ETOOBIG);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forming_and_price), cmocka_unit_test(test_ticker_and_seed),
        cmocka_unit_test(test_market_full),       cmocka_unit_test(test_params),
        cmocka_unit_test(test_conninfo_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
