/* Exchange filters: rounding and checks, table-driven, in Binance's words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/exparse.h"
#include "rt/money.h"
#include "rt_test.h"
#include "tr_filters.h"

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

/* BTCUSDC-like: tick 0.01, step 0.00001, minQty 0.00001, NOTIONAL min 5 (market too). */
static tr_filters_t btc(void)
{
    tr_filters_t f;
    tr_filters_init(&f);
    (void)snprintf(f.symbol, sizeof f.symbol, "BTCUSDC");
    (void)snprintf(f.base_asset, sizeof f.base_asset, "BTC");
    (void)snprintf(f.quote_asset, sizeof f.quote_asset, "USDC");
    f.trading = true;
    f.tick_size = M("0.01");
    f.min_price = M("0.01");
    f.max_price = M("1000000");
    f.step_size = M("0.00001");
    f.min_qty = M("0.00001");
    f.max_qty = M("9000");
    f.min_notional = M("5");
    f.max_notional = M("9000000");
    f.apply_min_to_market = true;
    f.apply_max_to_market = false;
    return f;
}

static void test_round_qty(void **state)
{
    (void)state;
    static const struct {
        const char *step, *market_step;
        tr_order_type_t type;
        const char *in, *want;
    } cases[] = {
        /* ccxt's "spot order with weird amount": 0.0007856509959147719 -> 0.00078 (in 8
         * decimals the input is 0.00078565) */
        {"0.00001", "0", TR_ORDER_MARKET, "0.00078565", "0.00078"},
        {"0.00001", "0", TR_ORDER_LIMIT, "0.00078565", "0.00078"},
        {"0.001", "0", TR_ORDER_LIMIT, "1.2345", "1.234"},
        {"0.001", "0", TR_ORDER_LIMIT, "1.234", "1.234"},
        {"1", "0", TR_ORDER_LIMIT, "0.99999999", "0"},
        {"0", "0", TR_ORDER_LIMIT, "0.12345678", "0.12345678"}, /* no step: as is */
        /* MARKET uses MARKET_LOT_SIZE's step when present */
        {"0.00001", "0.001", TR_ORDER_MARKET, "0.12345", "0.123"},
        {"0.00001", "0.001", TR_ORDER_LIMIT, "0.12345", "0.12345"},
        {"0", "0.01", TR_ORDER_MARKET, "0.129", "0.12"},
        {"0.1", "0", TR_ORDER_MARKET, "0.19", "0.1"},
        {"0.00001", "0", TR_ORDER_MARKET, "0", "0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_filters_t f = btc();
        f.step_size = M(cases[i].step);
        f.market_step_size = M(cases[i].market_step);
        rt_money_t got = -1;
        int rc = tr_filters_round_qty(&f, cases[i].type, M(cases[i].in), &got);
        if (rc != RT_OK || got != M(cases[i].want))
            fail_msg("case %zu: round_qty(%s) rc=%d got %lld want %s", i, cases[i].in, rc,
                     (long long)got, cases[i].want);
    }
    tr_filters_t f = btc();
    rt_money_t v = 42;
    assert_int_equal(tr_filters_round_qty(&f, TR_ORDER_MARKET, -1, &v), RT_EINVAL);
    assert_int_equal(tr_filters_round_qty(NULL, TR_ORDER_MARKET, 1, &v), RT_EINVAL);
    assert_int_equal(v, 42);
}

static void test_round_price(void **state)
{
    (void)state;
    static const struct {
        const char *tick, *in;
        rt_round_t mode;
        const char *want;
    } cases[] = {
        {"0.01", "55445.806", RT_ROUND_DOWN, "55445.8"},
        {"0.01", "55445.806", RT_ROUND_UP, "55445.81"},
        {"0.01", "55445.805", RT_ROUND_NEAREST, "55445.81"},
        {"0.01", "55445.804", RT_ROUND_NEAREST, "55445.8"},
        {"0.01", "55445.80", RT_ROUND_UP, "55445.8"},
        {"0.5", "10.26", RT_ROUND_DOWN, "10"},
        {"0.5", "10.26", RT_ROUND_UP, "10.5"},
        {"0", "1.23456789", RT_ROUND_UP, "1.23456789"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_filters_t f = btc();
        f.tick_size = M(cases[i].tick);
        rt_money_t got = -1;
        int rc = tr_filters_round_price(&f, M(cases[i].in), cases[i].mode, &got);
        if (rc != RT_OK || got != M(cases[i].want))
            fail_msg("case %zu: round_price(%s) rc=%d got %lld want %s", i, cases[i].in, rc,
                     (long long)got, cases[i].want);
    }
    assert_int_equal(tr_filters_price_mode(RT_SIDE_BUY), RT_ROUND_DOWN);
    assert_int_equal(tr_filters_price_mode(RT_SIDE_SELL), RT_ROUND_UP);
}

/* A change to the BTC filters, then a check. */
typedef struct {
    const char *name;
    void (*tweak)(tr_filters_t *f);
    tr_order_type_t type;
    const char *qty, *price;
    tr_filter_id_t want;
    const char *msg, *detail;
} check_case_t;

static void none(tr_filters_t *f)
{
    (void)f;
}
static void halt(tr_filters_t *f)
{
    f->trading = false;
}
static void min_qty_0001(tr_filters_t *f)
{
    f->min_qty = M("0.0001");
}
static void no_rules(tr_filters_t *f)
{
    tr_filters_t z;
    tr_filters_init(&z);
    memcpy(z.symbol, f->symbol, sizeof z.symbol);
    z.trading = true;
    *f = z;
}
static void market_lot(tr_filters_t *f)
{
    f->market_step_size = M("0.001");
    f->market_min_qty = M("0.001");
    f->market_max_qty = M("100");
}
static void market_min_not_applied(tr_filters_t *f)
{
    f->apply_min_to_market = false;
}
static void market_max_applied(tr_filters_t *f)
{
    f->apply_max_to_market = true;
    f->max_notional = M("1000");
}
static void legacy_only(tr_filters_t *f)
{
    f->min_notional = 0;
    f->max_notional = 0;
    f->legacy_min_notional = M("10");
    f->legacy_apply_to_market = true;
}
static void legacy_not_market(tr_filters_t *f)
{
    legacy_only(f);
    f->legacy_apply_to_market = false;
}

static const check_case_t check_cases[] = {
    {"ok market", none, TR_ORDER_MARKET, "0.001", "50000", TR_FILTER_OK, NULL, NULL},
    {"ok limit", none, TR_ORDER_LIMIT, "0.001", "50000.01", TR_FILTER_OK, NULL, NULL},
    {"not trading", halt, TR_ORDER_MARKET, "0.001", "50000", TR_FILTER_NOT_TRADING,
     "Market is closed.", "symbol BTCUSDC is not TRADING"},
    {"zero qty", none, TR_ORDER_MARKET, "0", "50000", TR_FILTER_INVALID, "Invalid order",
     "quantity 0 must be above 0"},
    {"limit without price", none, TR_ORDER_LIMIT, "0.001", "0", TR_FILTER_INVALID, "Invalid order",
     "price 0 must be above 0"},
    /* the brief's example */
    {"below minQty", min_qty_0001, TR_ORDER_LIMIT, "0.00001", "50000", TR_FILTER_LOT_SIZE,
     "Filter failure: LOT_SIZE", "quantity 0.00001 below minQty 0.0001"},
    {"above maxQty", none, TR_ORDER_LIMIT, "9000.00001", "1", TR_FILTER_LOT_SIZE,
     "Filter failure: LOT_SIZE", "quantity 9000.00001 above maxQty 9000"},
    {"off step", none, TR_ORDER_LIMIT, "0.000015", "50000", TR_FILTER_LOT_SIZE,
     "Filter failure: LOT_SIZE",
     "quantity 0.000015 not a multiple of stepSize 0.00001 (remainder 0.000005)"},
    {"price off tick", none, TR_ORDER_LIMIT, "0.001", "50000.005", TR_FILTER_PRICE,
     "Filter failure: PRICE_FILTER",
     "price 50000.005 not a multiple of tickSize 0.01 (remainder 0.005)"},
    {"price below min", none, TR_ORDER_LIMIT, "1", "0.005", TR_FILTER_PRICE,
     "Filter failure: PRICE_FILTER", "price 0.005 below minPrice 0.01"},
    {"price above max", none, TR_ORDER_LIMIT, "0.001", "1000000.01", TR_FILTER_PRICE,
     "Filter failure: PRICE_FILTER", "price 1000000.01 above maxPrice 1000000"},
    /* MARKET orders ignore PRICE_FILTER: the price is only a reference */
    {"market ignores tick", none, TR_ORDER_MARKET, "0.001", "50000.005", TR_FILTER_OK, NULL, NULL},
    /* NOTIONAL at the reference price for MARKET orders */
    {"market notional min", none, TR_ORDER_MARKET, "0.0001", "49999.99", TR_FILTER_NOTIONAL,
     "Filter failure: NOTIONAL", "notional 4.999999 below minNotional 5"},
    {"market notional exactly min", none, TR_ORDER_MARKET, "0.0001", "50000", TR_FILTER_OK, NULL,
     NULL},
    {"market min not applied", market_min_not_applied, TR_ORDER_MARKET, "0.0001", "100",
     TR_FILTER_OK, NULL, NULL},
    {"market max not applied", none, TR_ORDER_MARKET, "9000", "50000", TR_FILTER_OK, NULL, NULL},
    {"market max applied", market_max_applied, TR_ORDER_MARKET, "0.1", "50000", TR_FILTER_NOTIONAL,
     "Filter failure: NOTIONAL", "notional 5000 above maxNotional 1000"},
    {"market notional needs a price", none, TR_ORDER_MARKET, "0.001", "0", TR_FILTER_INVALID,
     "Invalid order", "a reference price is needed to check NOTIONAL"},
    {"limit notional min", market_min_not_applied, TR_ORDER_LIMIT, "0.0001", "100",
     TR_FILTER_NOTIONAL, "Filter failure: NOTIONAL", "notional 0.01 below minNotional 5"},
    {"limit notional max", none, TR_ORDER_LIMIT, "200", "50000", TR_FILTER_NOTIONAL,
     "Filter failure: NOTIONAL", "notional 10000000 above maxNotional 9000000"},
    /* MARKET_LOT_SIZE applies to MARKET orders only, after LOT_SIZE */
    {"market lot min", market_lot, TR_ORDER_MARKET, "0.0005", "50000", TR_FILTER_MARKET_LOT_SIZE,
     "Filter failure: MARKET_LOT_SIZE", "quantity 0.0005 below minQty 0.001"},
    {"market lot step", market_lot, TR_ORDER_MARKET, "0.0015", "50000", TR_FILTER_MARKET_LOT_SIZE,
     "Filter failure: MARKET_LOT_SIZE",
     "quantity 0.0015 not a multiple of stepSize 0.001 (remainder 0.0005)"},
    {"market lot max", market_lot, TR_ORDER_MARKET, "101", "1", TR_FILTER_MARKET_LOT_SIZE,
     "Filter failure: MARKET_LOT_SIZE", "quantity 101 above maxQty 100"},
    {"limit ignores market lot", market_lot, TR_ORDER_LIMIT, "0.0005", "50000", TR_FILTER_OK, NULL,
     NULL},
    /* the legacy MIN_NOTIONAL */
    {"legacy min", legacy_only, TR_ORDER_LIMIT, "0.0001", "50000", TR_FILTER_MIN_NOTIONAL,
     "Filter failure: MIN_NOTIONAL", "notional 5 below minNotional 10"},
    {"legacy market", legacy_only, TR_ORDER_MARKET, "0.0001", "50000", TR_FILTER_MIN_NOTIONAL,
     "Filter failure: MIN_NOTIONAL", "notional 5 below minNotional 10"},
    {"legacy not for market", legacy_not_market, TR_ORDER_MARKET, "0.0001", "50000", TR_FILTER_OK,
     NULL, NULL},
    /* a 0 disables a rule, as on Binance */
    {"all disabled", no_rules, TR_ORDER_LIMIT, "0.12345678", "0.00000001", TR_FILTER_OK, NULL,
     NULL},
};

static void test_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
        const check_case_t *c = &check_cases[i];
        tr_filters_t f = btc();
        c->tweak(&f);
        rt_money_t qty = M(c->qty), price = M(c->price);
        tr_filter_reject_t rej;
        memset(&rej, 0x5a, sizeof rej);
        int rc = tr_filters_check(&f, c->type, qty, price, &rej);
        if (c->want == TR_FILTER_OK) {
            if (rc != RT_OK)
                fail_msg("%s: rc=%d (%s: %s), want OK", c->name, rc, rej.msg, rej.detail);
            continue;
        }
        if (rc != RT_EINVAL || rej.filter != c->want)
            fail_msg("%s: rc=%d filter=%s, want %s", c->name, rc, tr_filter_name(rej.filter),
                     tr_filter_name(c->want));
        if (strcmp(rej.msg, c->msg) != 0)
            fail_msg("%s: msg \"%s\", want \"%s\"", c->name, rej.msg, c->msg);
        if (strcmp(rej.detail, c->detail) != 0)
            fail_msg("%s: detail \"%s\", want \"%s\"", c->name, rej.detail, c->detail);
    }
}

static void test_check_values_and_null(void **state)
{
    (void)state;
    tr_filters_t f = btc();
    f.min_qty = M("0.0001");
    tr_filter_reject_t rej;
    assert_int_equal(tr_filters_check(&f, TR_ORDER_LIMIT, M("0.00001"), M("50000"), &rej),
                     RT_EINVAL);
    assert_int_equal(rej.value, M("0.00001"));
    assert_int_equal(rej.limit, M("0.0001"));
    /* rej may be NULL */
    assert_int_equal(tr_filters_check(&f, TR_ORDER_LIMIT, M("0.00001"), M("50000"), NULL),
                     RT_EINVAL);
    assert_int_equal(tr_filters_check(&f, TR_ORDER_LIMIT, M("0.001"), M("50000"), NULL), RT_OK);
    assert_int_equal(tr_filters_check(NULL, TR_ORDER_LIMIT, 1, 1, &rej), RT_EINVAL);
    assert_int_equal(rej.filter, TR_FILTER_INVALID);
    /* huge values do not overflow the notional comparison */
    f = btc();
    assert_int_equal(tr_filters_check(&f, TR_ORDER_LIMIT, M("9000"), M("1000000"), &rej),
                     RT_EINVAL);
    assert_int_equal(rej.filter, TR_FILTER_NOTIONAL);
    assert_string_equal(tr_filter_name(TR_FILTER_PRICE), "PRICE_FILTER");
    assert_string_equal(tr_filter_name(TR_FILTER_MIN_NOTIONAL), "MIN_NOTIONAL");
}

/* Rounded quantities pass the check they were rounded for. */
static void test_round_then_check(void **state)
{
    (void)state;
    tr_filters_t f = btc();
    f.market_step_size = M("0.0001");
    f.market_min_qty = M("0.0001");
    const char *ins[] = {"0.00078565", "0.12345678", "1.99999999", "0.0001"};
    for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
        rt_money_t q;
        assert_int_equal(tr_filters_round_qty(&f, TR_ORDER_MARKET, M(ins[i]), &q), RT_OK);
        tr_filter_reject_t rej;
        int rc = tr_filters_check(&f, TR_ORDER_MARKET, q, M("60000"), &rej);
        if (rc != RT_OK)
            fail_msg("%s rounded to %lld fails: %s %s", ins[i], (long long)q, rej.msg, rej.detail);
    }
    assert_int_equal(tr_filters_qty_step(&f, TR_ORDER_MARKET), M("0.0001"));
    assert_int_equal(tr_filters_qty_step(&f, TR_ORDER_LIMIT), M("0.00001"));
    assert_int_equal(tr_filters_min_qty(&f, TR_ORDER_MARKET), M("0.0001"));
    assert_int_equal(tr_filters_min_qty(&f, TR_ORDER_LIMIT), M("0.00001"));
}

/* A recorded exchangeInfo (real Binance spot filters) through rt/exparse.h into the core. */
static void test_from_exchange_info(void **state)
{
    (void)state;
    char path[512];
    size_t len;
    char *json = rt_test_read_file(
        rt_test_source_path(path, sizeof path, "tests/fixtures/binance/exchangeinfo_spot.json"),
        &len);
    rt_exinfo_t info;
    memset(&info, 0, sizeof info);
    assert_int_equal(rt_exparse_exchange_info(json, len, &info), RT_OK);
    free(json);
    tr_filters_t f;
    assert_int_equal(tr_filters_from_symbol_info(rt_exinfo_find(&info, "BTCUSDT"), &f), RT_OK);
    assert_string_equal(f.symbol, "BTCUSDT");
    assert_string_equal(f.base_asset, "BTC");
    assert_string_equal(f.quote_asset, "USDT");
    assert_true(f.trading);
    assert_int_equal(f.tick_size, M("0.01"));
    assert_int_equal(f.step_size, M("0.00001"));
    assert_int_equal(f.min_qty, M("0.00001"));
    assert_int_equal(f.max_qty, M("9000"));
    assert_int_equal(f.market_step_size, 0);
    assert_int_equal(f.market_max_qty, M("118.67898454"));
    assert_int_equal(f.min_notional, M("5"));
    assert_true(f.apply_min_to_market);
    assert_false(f.apply_max_to_market);
    /* Binance's real MARKET_LOT_SIZE: no step, no minimum, a maximum for MARKET orders only */
    tr_filter_reject_t rej;
    assert_int_equal(tr_filters_check(&f, TR_ORDER_MARKET, M("120"), M("50000"), &rej), RT_EINVAL);
    assert_string_equal(rej.msg, "Filter failure: MARKET_LOT_SIZE");
    assert_string_equal(rej.detail, "quantity 120 above maxQty 118.67898454");
    assert_int_equal(tr_filters_check(&f, TR_ORDER_LIMIT, M("120"), M("50000"), &rej), RT_OK);
    rt_money_t q;
    assert_int_equal(tr_filters_round_qty(&f, TR_ORDER_MARKET, M("0.00078565"), &q), RT_OK);
    assert_int_equal(q, M("0.00078"));
    /* the legacy MIN_NOTIONAL of ETHBTC */
    assert_int_equal(tr_filters_from_symbol_info(rt_exinfo_find(&info, "ETHBTC"), &f), RT_OK);
    assert_int_equal(f.legacy_min_notional, M("0.0001"));
    assert_true(f.legacy_apply_to_market);
    assert_int_equal(f.min_notional, 0);
    assert_int_equal(tr_filters_check(&f, TR_ORDER_MARKET, M("0.001"), M("0.05"), &rej), RT_EINVAL);
    assert_string_equal(rej.msg, "Filter failure: MIN_NOTIONAL");
    /* a halted symbol refuses everything */
    assert_int_equal(tr_filters_from_symbol_info(rt_exinfo_find(&info, "SHIBUSDT"), &f), RT_OK);
    assert_false(f.trading);
    assert_int_equal(tr_filters_check(&f, TR_ORDER_MARKET, M("1"), M("0.00001"), &rej), RT_EINVAL);
    assert_int_equal(rej.filter, TR_FILTER_NOT_TRADING);
    assert_int_equal(tr_filters_from_symbol_info(NULL, &f), RT_EINVAL);
    rt_exinfo_cleanup(&info);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_qty),
        cmocka_unit_test(test_round_price),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_check_values_and_null),
        cmocka_unit_test(test_round_then_check),
        cmocka_unit_test(test_from_exchange_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
