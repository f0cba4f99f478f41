/* The demo fill model: market and limit fills, slippage, fees and balance changes, exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/money.h"
#include "tr_fill.h"

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

static tr_filters_t btc(void)
{
    tr_filters_t f;
    tr_filters_init(&f);
    (void)snprintf(f.symbol, sizeof f.symbol, "BTCUSDC");
    (void)snprintf(f.base_asset, sizeof f.base_asset, "BTC");
    (void)snprintf(f.quote_asset, sizeof f.quote_asset, "USDC");
    f.trading = true;
    f.tick_size = M("0.01");
    f.step_size = M("0.00001");
    return f;
}

/* The change of asset in r, failing when absent. */
static const tr_balance_change_t *change(const tr_fill_result_t *r, const char *asset)
{
    for (size_t i = 0; i < r->change_count; i++)
        if (strcmp(r->changes[i].asset, asset) == 0)
            return &r->changes[i];
    fail_msg("no change for %s", asset);
    return NULL;
}

static void expect_money(const char *what, rt_money_t got, const char *want)
{
    if (got != M(want)) {
        char g[RT_MONEY_FMT_MAX];
        rt_money_format(got, g, sizeof g);
        fail_msg("%s: got %s want %s", what, g, want);
    }
}

static void test_market(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        rt_side_t side;
        const char *slip, *fee, *tick, *qty, *last;
        const char *price, *quote, *fee_amt, *quote_delta, *base_delta;
    } cases[] = {
        /* 5 bps against the taker: 50000 -> 50025 (BUY), 49975 (SELL); fee 0.1% of quote */
        {"buy", RT_SIDE_BUY, "0.0005", "0.001", "0.01", "0.001", "50000", "50025", "50.025",
         "0.050025", "-50.075025", "0.001"},
        {"sell", RT_SIDE_SELL, "0.0005", "0.001", "0.01", "0.001", "50000", "49975", "49.975",
         "0.049975", "49.925025", "-0.001"},
        /* the tick rounding goes against the taker: BUY up, SELL down */
        {"buy tick up", RT_SIDE_BUY, "0.0005", "0.001", "0.01", "1", "100.003", "100.06", "100.06",
         "0.10006", "-100.16006", "1"},
        {"sell tick down", RT_SIDE_SELL, "0.0005", "0.001", "0.01", "1", "100.003", "99.95",
         "99.95", "0.09995", "99.85005", "-1"},
        /* no slippage, no fee */
        {"no slippage", RT_SIDE_BUY, "0", "0", "0.01", "2", "10.5", "10.5", "21", "0", "-21", "2"},
        /* the fee rounds up to 1e-8: 0.1234567 * 0.001 = 0.0001234567 -> 0.00012346 */
        {"fee up", RT_SIDE_BUY, "0", "0.001", "0.01", "0.00001", "12345.67", "12345.67",
         "0.1234567", "0.00012346", "-0.12358016", "0.00001"},
        /* the quote rounds in the exchange's favour: paid up, received down */
        {"quote up", RT_SIDE_BUY, "0", "0", "0", "0.00000003", "0.33333333", "0.33333333",
         "0.00000001", "0", "-0.00000001", "0.00000003"},
        {"quote down", RT_SIDE_SELL, "0", "0", "0", "0.00000003", "0.33333333", "0.33333333", "0",
         "0", "0", "-0.00000003"},
        /* no tick: the slipped price keeps its 8 decimals (rounded against the taker) */
        {"no tick", RT_SIDE_SELL, "0.0001", "0.001", "0", "1", "0.12345678", "0.12344443",
         "0.12344443", "0.00012345", "0.12332098", "-1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_fill_config_t cfg;
        tr_fill_config_default(&cfg);
        cfg.slippage = M(cases[i].slip);
        cfg.taker_fee = M(cases[i].fee);
        tr_filters_t f = btc();
        f.tick_size = M(cases[i].tick);
        tr_fill_result_t r;
        int rc = tr_fill_market(&cfg, &f, cases[i].side, M(cases[i].qty), M(cases[i].last), &r);
        if (rc != RT_OK)
            fail_msg("%s: rc=%d", cases[i].name, rc);
        assert_int_equal(r.fill_count, 1);
        const tr_fill_t *x = &r.fills[0];
        char what[64];
        (void)snprintf(what, sizeof what, "%s price", cases[i].name);
        expect_money(what, x->price, cases[i].price);
        (void)snprintf(what, sizeof what, "%s quote", cases[i].name);
        expect_money(what, x->quote_quantity, cases[i].quote);
        (void)snprintf(what, sizeof what, "%s fee", cases[i].name);
        expect_money(what, x->fee, cases[i].fee_amt);
        (void)snprintf(what, sizeof what, "%s USDC change", cases[i].name);
        expect_money(what, change(&r, "USDC")->free, cases[i].quote_delta);
        (void)snprintf(what, sizeof what, "%s BTC change", cases[i].name);
        expect_money(what, change(&r, "BTC")->free, cases[i].base_delta);
        assert_int_equal(change(&r, "USDC")->locked, 0);
        assert_string_equal(x->fee_asset, "USDC");
        assert_int_equal(x->role, TR_ROLE_TAKER);
        assert_int_equal(x->quantity, M(cases[i].qty));
        assert_int_equal(x->side, cases[i].side);
    }
}

/* Over many sizes and prices: a BUY spends exactly ceil(q*p) + ceil(fee), a SELL receives
 * floor(q*p) - ceil(fee), to the last 1e-8. */
static void test_market_exact(void **state)
{
    (void)state;
    __extension__ typedef __int128 i128;
    tr_fill_config_t cfg;
    tr_fill_config_default(&cfg);
    cfg.slippage = 0;
    tr_filters_t f = btc();
    f.tick_size = 0;
    uint64_t seed = 42;
    for (int i = 0; i < 2000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        rt_money_t qty = (rt_money_t)(seed >> 40) + 1;                        /* up to ~0.17 */
        rt_money_t price = (rt_money_t)((seed >> 8) % 10000000000000ull) + 1; /* up to 1e5 */
        for (int s = 0; s < 2; s++) {
            rt_side_t side = s == 0 ? RT_SIDE_BUY : RT_SIDE_SELL;
            tr_fill_result_t r;
            assert_int_equal(tr_fill_market(&cfg, &f, side, qty, price, &r), RT_OK);
            i128 p = (i128)qty * price;
            i128 q = side == RT_SIDE_BUY ? (p + RT_MONEY_SCALE - 1) / RT_MONEY_SCALE
                                         : p / RT_MONEY_SCALE;
            i128 fp = q * cfg.taker_fee;
            i128 fee = (fp + RT_MONEY_SCALE - 1) / RT_MONEY_SCALE;
            i128 want = side == RT_SIDE_BUY ? -(q + fee) : q - fee;
            if (r.fills[0].quote_quantity != (rt_money_t)q || r.fills[0].fee != (rt_money_t)fee ||
                change(&r, "USDC")->free != (rt_money_t)want)
                fail_msg("qty %lld price %lld side %d: quote %lld fee %lld change %lld, want "
                         "%lld %lld %lld",
                         (long long)qty, (long long)price, s, (long long)r.fills[0].quote_quantity,
                         (long long)r.fills[0].fee, (long long)change(&r, "USDC")->free,
                         (long long)q, (long long)fee, (long long)want);
        }
    }
}

static void test_market_invalid(void **state)
{
    (void)state;
    tr_fill_config_t cfg;
    tr_fill_config_default(&cfg);
    tr_filters_t f = btc();
    tr_fill_result_t r;
    memset(&r, 0x33, sizeof r);
    tr_fill_result_t before = r;
    assert_int_equal(tr_fill_market(&cfg, &f, RT_SIDE_BUY, 0, M("1"), &r), RT_EINVAL);
    assert_int_equal(tr_fill_market(&cfg, &f, RT_SIDE_BUY, M("1"), 0, &r), RT_EINVAL);
    assert_int_equal(tr_fill_market(&cfg, &f, RT_SIDE_BUY, -1, M("1"), &r), RT_EINVAL);
    assert_int_equal(tr_fill_market(&cfg, &f, (rt_side_t)7, M("1"), M("1"), &r), RT_EINVAL);
    assert_int_equal(tr_fill_market(NULL, &f, RT_SIDE_BUY, M("1"), M("1"), &r), RT_EINVAL);
    assert_int_equal(tr_fill_market(&cfg, NULL, RT_SIDE_BUY, M("1"), M("1"), &r), RT_EINVAL);
    /* a SELL whose slipped price rounds to 0 at the tick */
    assert_int_equal(tr_fill_market(&cfg, &f, RT_SIDE_SELL, M("1"), M("0.005"), &r), RT_EINVAL);
    /* overflow */
    assert_int_equal(tr_fill_market(&cfg, &f, RT_SIDE_BUY, M("90000000000"), M("1000"), &r),
                     RT_ERANGE);
    assert_memory_equal(&r, &before, sizeof r); /* untouched on error */
    tr_filters_t g = f;
    g.base_asset[0] = '\0';
    assert_int_equal(tr_fill_market(&cfg, &g, RT_SIDE_BUY, M("1"), M("1"), &r), RT_EINVAL);
    cfg.slippage = RT_MONEY_SCALE; /* 100% */
    assert_int_equal(tr_fill_config_check(&cfg), RT_EINVAL);
    assert_int_equal(tr_fill_market(&cfg, &f, RT_SIDE_BUY, M("1"), M("1"), &r), RT_EINVAL);
    tr_fill_config_default(&cfg);
    cfg.taker_fee = -1;
    assert_int_equal(tr_fill_config_check(&cfg), RT_EINVAL);
    tr_fill_config_default(&cfg);
    assert_int_equal(tr_fill_config_check(&cfg), RT_OK);
    assert_int_equal(cfg.taker_fee, M("0.001"));
    assert_int_equal(cfg.maker_fee, M("0.001"));
    assert_int_equal(cfg.slippage, M("0.0005"));
}

static void test_limit_buy(void **state)
{
    (void)state;
    tr_fill_config_t cfg;
    tr_fill_config_default(&cfg);
    tr_filters_t f = btc();
    tr_limit_order_t o;
    tr_fill_result_t r;
    assert_int_equal(tr_fill_limit_place(&cfg, &f, RT_SIDE_BUY, M("0.01"), M("49000"), &o, &r),
                     RT_OK);
    assert_int_equal(r.fill_count, 0);
    assert_int_equal(r.change_count, 1);
    expect_money("locked", o.locked, "490.49"); /* 490 + 0.1% maker fee */
    expect_money("free change", change(&r, "USDC")->free, "-490.49");
    expect_money("locked change", change(&r, "USDC")->locked, "490.49");
    /* the market stays above: rests */
    tr_fill_result_t untouched;
    memset(&untouched, 0x11, sizeof untouched);
    tr_fill_result_t m = untouched;
    assert_int_equal(tr_fill_limit_match(&cfg, &o, M("49000.01"), M("50000"), &m), RT_EAGAIN);
    assert_memory_equal(&m, &untouched, sizeof m);
    /* a candle whose low trades through: fills at the limit, as maker */
    assert_int_equal(tr_fill_limit_match(&cfg, &o, M("48000"), M("50000"), &m), RT_OK);
    assert_int_equal(m.fill_count, 1);
    expect_money("fill price", m.fills[0].price, "49000");
    expect_money("fill fee", m.fills[0].fee, "0.49");
    assert_int_equal(m.fills[0].role, TR_ROLE_MAKER);
    expect_money("USDC free", change(&m, "USDC")->free, "0");
    expect_money("USDC locked", change(&m, "USDC")->locked, "-490.49");
    expect_money("BTC free", change(&m, "BTC")->free, "0.01");
    /* at exactly the limit price (a ticker) it fills too */
    assert_int_equal(tr_fill_limit_match(&cfg, &o, M("49000"), M("49000"), &m), RT_OK);
    /* cancel gives the lock back */
    assert_int_equal(tr_fill_limit_cancel(&o, &m), RT_OK);
    expect_money("cancel free", change(&m, "USDC")->free, "490.49");
    expect_money("cancel locked", change(&m, "USDC")->locked, "-490.49");
}

static void test_limit_sell_and_maker_fee(void **state)
{
    (void)state;
    tr_fill_config_t cfg;
    tr_fill_config_default(&cfg);
    cfg.maker_fee = M("0.0002"); /* configured apart from the taker fee */
    tr_filters_t f = btc();
    tr_limit_order_t o;
    tr_fill_result_t r, m;
    assert_int_equal(tr_fill_limit_place(&cfg, &f, RT_SIDE_SELL, M("0.01"), M("51000"), &o, &r),
                     RT_OK);
    expect_money("BTC free", change(&r, "BTC")->free, "-0.01");
    expect_money("BTC locked", change(&r, "BTC")->locked, "0.01");
    assert_int_equal(tr_fill_limit_match(&cfg, &o, M("50000"), M("50999.99"), &m), RT_EAGAIN);
    assert_int_equal(tr_fill_limit_match(&cfg, &o, M("50000"), M("51000"), &m), RT_OK);
    expect_money("fee", m.fills[0].fee, "0.102");
    expect_money("BTC locked release", change(&m, "BTC")->locked, "-0.01");
    expect_money("BTC free after", change(&m, "BTC")->free, "0");
    expect_money("USDC received", change(&m, "USDC")->free, "509.898");
    assert_int_equal(tr_fill_limit_cancel(&o, &m), RT_OK);
    expect_money("cancel", change(&m, "BTC")->free, "0.01");
    /* bad input */
    assert_int_equal(tr_fill_limit_match(&cfg, &o, M("2"), M("1"), &m), RT_EINVAL);
    assert_int_equal(tr_fill_limit_match(&cfg, &o, 0, M("1"), &m), RT_EINVAL);
    assert_int_equal(tr_fill_limit_place(&cfg, &f, RT_SIDE_SELL, M("1"), 0, &o, &r), RT_EINVAL);
    assert_int_equal(tr_fill_limit_cancel(NULL, &m), RT_EINVAL);
    assert_string_equal(tr_role_name(TR_ROLE_MAKER), "MAKER");
    assert_string_equal(tr_role_name(TR_ROLE_TAKER), "TAKER");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_market),
        cmocka_unit_test(test_market_exact),
        cmocka_unit_test(test_market_invalid),
        cmocka_unit_test(test_limit_buy),
        cmocka_unit_test(test_limit_sell_and_maker_fee),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
