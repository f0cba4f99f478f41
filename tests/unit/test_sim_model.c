/* The simulator's price model and symbol specs: the generator against reference values, the
 * same seed giving the same candles, candle and trade invariants, every regime occurring, and
 * the filters of the default and derived symbols. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "sim/market.h"
#include "sim/model.h"
#include "sim/spec.h"

#define HOUR_MS INT64_C(3600000)

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    assert_int_equal(rt_money_parse(s, &v), RT_OK);
    return v;
}

static void test_rng_reference(void **state)
{
    (void)state;
    /* xoshiro256** seeded through splitmix64, computed independently (Python). */
    static const struct {
        uint64_t seed;
        uint64_t want[4];
    } cases[] = {
        {0,
         {0x99ec5f36cb75f2b4ull, 0xbf6e1f784956452aull, 0x1a5f849d4933e6e0ull,
          0x6aa594f1262d2d2cull}},
        {42,
         {0x15780b2e0c2ec716ull, 0x6104d9866d113a7eull, 0xae17533239e499a1ull,
          0xecb8ad4703b360a1ull}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_rng_t r;
        sim_rng_seed(&r, cases[i].seed);
        for (size_t j = 0; j < 4; j++) {
            uint64_t got = sim_rng_next(&r);
            if (got != cases[i].want[j])
                fail_msg("seed %llu output %zu: got %llx want %llx",
                         (unsigned long long)cases[i].seed, j, (unsigned long long)got,
                         (unsigned long long)cases[i].want[j]);
        }
    }
    sim_rng_t r;
    sim_rng_seed(&r, 7);
    for (int i = 0; i < 10000; i++) {
        uint64_t v = sim_rng_below(&r, 6);
        assert_true(v < 6);
    }
    assert_int_equal(sim_rng_below(&r, 0), 0);
    assert_int_not_equal(sim_seed_for_symbol(42, "BTCUSDC"), sim_seed_for_symbol(42, "ETHUSDC"));
    assert_int_not_equal(sim_seed_for_symbol(42, "BTCUSDC"), sim_seed_for_symbol(43, "BTCUSDC"));
}

static void test_golden_ticks(void **state)
{
    (void)state;
    /* Pinned output: any change to the model changes these (and every demo's candles). The
     * model is integer arithmetic only, so they are the same on every machine. */
    sim_spec_t spec;
    assert_int_equal(sim_spec_for_symbol("BTCUSDC", &spec), RT_OK);
    sim_model_t m;
    assert_int_equal(sim_model_init(&m, &spec, 42, 0), RT_OK);
    static const char *const want[] = {
        "1352 60007.15 0.06686 0",
        "1527 60006.83 0.02425 0",
        "1591 60006.51 0.04765 0",
        "1778 60006.18 0.04779 1",
    };
    sim_tick_t t;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(sim_model_next(&m, INT64_MAX, &t), RT_OK);
        char p[RT_MONEY_FMT_MAX], q[RT_MONEY_FMT_MAX], line[96];
        rt_money_format(t.price, p, sizeof p);
        rt_money_format(t.qty, q, sizeof q);
        snprintf(line, sizeof line, "%lld %s %s %d", (long long)t.time, p, q, (int)t.buyer_maker);
        assert_string_equal(line, want[i]);
    }
}

/* Runs a market of the default symbols for `hours` and returns it. */
static sim_market_t *run(uint64_t seed, int64_t start, int hours)
{
    static const char *const syms[] = {"BTCUSDC", "ETHUSDC", "SOLUSDC", "BNBUSDC", "XRPUSDC"};
    sim_market_config_t c = {.symbols = syms,
                             .nsymbols = 5,
                             .seed = seed,
                             .start_ms = start,
                             .live_ms = start,
                             .ring_max = 2000};
    sim_market_t *m = NULL;
    char why[128] = "";
    assert_int_equal(sim_market_new(&c, &m, why, sizeof why), RT_OK);
    assert_int_equal(sim_market_advance(m, start + hours * HOUR_MS, NULL, NULL), RT_OK);
    return m;
}

static bool same_kline(const sim_kline_t *a, const sim_kline_t *b)
{
    return a->open_time == b->open_time && a->close_time == b->close_time && a->open == b->open &&
           a->high == b->high && a->low == b->low && a->close == b->close &&
           a->volume == b->volume && a->quote_volume == b->quote_volume &&
           a->taker_base == b->taker_base && a->taker_quote == b->taker_quote &&
           a->trades == b->trades && a->first_id == b->first_id && a->last_id == b->last_id;
}

static void test_same_seed_same_candles(void **state)
{
    (void)state;
    const int64_t start = INT64_C(1700000000000);
    sim_market_t *a = run(42, start, 6);
    sim_market_t *b = run(42, start, 6);
    sim_market_t *c = run(43, start, 6);
    size_t differ = 0;
    for (size_t s = 0; s < sim_market_count(a); s++) {
        for (int iv = 0; iv < SIM_IV_COUNT; iv++) {
            const sim_klines_t *ka = sim_market_klines(a, s), *kb = sim_market_klines(b, s);
            size_t n = sim_klines_count(ka, (sim_interval_t)iv);
            assert_int_equal(n, sim_klines_count(kb, (sim_interval_t)iv));
            for (size_t i = 0; i < n; i++) {
                if (!same_kline(sim_klines_get(ka, (sim_interval_t)iv, i, NULL),
                                sim_klines_get(kb, (sim_interval_t)iv, i, NULL)))
                    fail_msg("symbol %zu interval %s kline %zu differs between runs", s,
                             sim_interval_name((sim_interval_t)iv), i);
            }
        }
        const sim_klines_t *kc = sim_market_klines(c, s), *ka = sim_market_klines(a, s);
        for (size_t i = 0; i < sim_klines_count(ka, SIM_IV_1M); i++)
            if (!same_kline(sim_klines_get(ka, SIM_IV_1M, i, NULL),
                            sim_klines_get(kc, SIM_IV_1M, i, NULL)))
                differ++;
    }
    assert_true(differ > 1000); /* another seed, other candles */
    sim_market_free(a);
    sim_market_free(b);
    sim_market_free(c);
}

static void test_candle_invariants(void **state)
{
    (void)state;
    const int64_t start = INT64_C(1700000000000);
    sim_market_t *m = run(7, start, 12);
    for (size_t s = 0; s < sim_market_count(m); s++) {
        const sim_spec_t *spec = sim_market_spec(m, s);
        const sim_klines_t *k = sim_market_klines(m, s);
        for (int iv = 0; iv < SIM_IV_COUNT; iv++) {
            size_t n = sim_klines_count(k, (sim_interval_t)iv);
            int64_t prev_close_time = 0;
            for (size_t i = 0; i < n; i++) {
                const sim_kline_t *x = sim_klines_get(k, (sim_interval_t)iv, i, NULL);
                if (!(x->low <= x->open && x->low <= x->close && x->open <= x->high &&
                      x->close <= x->high && x->low > 0))
                    fail_msg("%s %s kline %zu: o=%lld h=%lld l=%lld c=%lld", spec->symbol,
                             sim_interval_name((sim_interval_t)iv), i, (long long)x->open,
                             (long long)x->high, (long long)x->low, (long long)x->close);
                assert_int_equal(x->open % spec->tick, 0);
                assert_int_equal(x->high % spec->tick, 0);
                assert_int_equal(x->low % spec->tick, 0);
                assert_int_equal(x->close % spec->tick, 0);
                assert_int_equal(x->volume % spec->step, 0);
                assert_true(x->taker_base <= x->volume);
                assert_true(x->taker_quote <= x->quote_volume);
                assert_true(x->close_time > x->open_time);
                if (i > 0)
                    assert_int_equal(x->open_time, prev_close_time + 1); /* no gaps */
                prev_close_time = x->close_time;
                if (x->trades > 0)
                    assert_int_equal(x->last_id - x->first_id + 1, x->trades);
                else
                    assert_true(x->first_id == -1 && x->last_id == -1 && x->volume == 0);
            }
        }
        /* 1h klines hold what their 1m klines hold. */
        size_t n1h = sim_klines_count(k, SIM_IV_1H);
        for (size_t h = 0; h + 1 < n1h; h++) {
            const sim_kline_t *H = sim_klines_get(k, SIM_IV_1H, h, NULL);
            size_t first, n;
            sim_klines_select(k, SIM_IV_1M, true, H->open_time, true, H->close_time, 1000, true,
                              &first, &n);
            if (n != 60)
                continue; /* the first hour starts mid-way */
            rt_money_t hi = 0, lo = RT_MONEY_MAX, vol = 0;
            int64_t trades = 0;
            for (size_t i = 0; i < n; i++) {
                const sim_kline_t *x = sim_klines_get(k, SIM_IV_1M, first + i, NULL);
                hi = x->high > hi ? x->high : hi;
                lo = x->low < lo ? x->low : lo;
                vol += x->volume;
                trades += x->trades;
            }
            assert_int_equal(H->open, sim_klines_get(k, SIM_IV_1M, first, NULL)->open);
            assert_int_equal(H->close, sim_klines_get(k, SIM_IV_1M, first + n - 1, NULL)->close);
            assert_int_equal(H->high, hi);
            assert_int_equal(H->low, lo);
            assert_int_equal(H->volume, vol);
            assert_int_equal(H->trades, trades);
        }
    }
    sim_market_free(m);
}

static void test_ticks(void **state)
{
    (void)state;
    sim_spec_t spec;
    assert_int_equal(sim_spec_for_symbol("XRPUSDC", &spec), RT_OK);
    sim_model_t m;
    assert_int_equal(sim_model_init(&m, &spec, 1, 1500), RT_OK); /* first second: 2 */
    sim_tick_t t;
    int64_t prev = 0;
    size_t n = 0;
    while (sim_model_next(&m, 2 * HOUR_MS, &t) == RT_OK) {
        assert_true(t.time >= 2000 && t.time <= 2 * HOUR_MS);
        assert_true(t.time >= prev);
        prev = t.time;
        assert_true(t.is_trade);
        assert_true(t.price > 0 && t.price % spec.tick == 0);
        assert_true(t.qty >= spec.step && t.qty % spec.step == 0 && t.qty <= spec.max_qty);
        n++;
    }
    /* A few trades a second: 2.5 on average. */
    assert_true(n > 2 * 3600 * 2 && n < 2 * 3600 * 3 + 3600);
    /* Asking again for the same time gives nothing more; a later time gives more. */
    assert_int_equal(sim_model_next(&m, 2 * HOUR_MS, &t), RT_EAGAIN);
    assert_int_equal(sim_model_next(&m, 2 * HOUR_MS + 60000, &t), RT_OK);
    assert_true(t.time > 2 * HOUR_MS);
}

static void test_regimes_occur(void **state)
{
    (void)state;
    sim_spec_t spec;
    assert_int_equal(sim_spec_for_symbol("BTCUSDC", &spec), RT_OK);
    sim_model_t m;
    assert_int_equal(sim_model_init(&m, &spec, 42, 0), RT_OK);
    sim_tick_t t;
    rt_money_t lo = RT_MONEY_MAX, hi = 0;
    while (sim_model_next(&m, 4 * 24 * HOUR_MS, &t) == RT_OK) {
        lo = t.price < lo ? t.price : lo;
        hi = t.price > hi ? t.price : hi;
    }
    for (int r = 0; r < SIM_REGIME_COUNT; r++) {
        print_message("%s: %llu\n", sim_regime_name((sim_regime_t)r),
                      (unsigned long long)m.regimes_entered[r]);
        if (m.regimes_entered[r] == 0)
            fail_msg("regime %s never occurred in 4 days", sim_regime_name((sim_regime_t)r));
    }
    /* It moves, but stays a realistic market: within -40 % .. +60 % over four days. */
    assert_true(hi > lo);
    assert_true(lo > M("36000") && hi < M("96000"));
}

static void test_specs(void **state)
{
    (void)state;
    static const struct {
        const char *symbol;
        const char *base, *quote, *price, *tick, *step, *min_notional;
    } cases[] = {
        {"BTCUSDC", "BTC", "USDC", "60000", "0.01", "0.00001", "5"},
        {"ETHUSDC", "ETH", "USDC", "3000", "0.01", "0.0001", "5"},
        {"SOLUSDC", "SOL", "USDC", "150", "0.01", "0.001", "5"},
        {"BNBUSDC", "BNB", "USDC", "600", "0.01", "0.001", "5"},
        {"XRPUSDC", "XRP", "USDC", "0.6", "0.0001", "0.1", "5"},
        {"btcusdt", "BTC", "USDT", "60000", "0.01", "0.00001", "5"},
        {"ETHBTC", "ETH", "BTC", "0.05", "0.000001", "0.0001", "0.00008333"},
        {"DOGEFDUSD", "DOGE", "FDUSD", "0.15", "0.00001", "1", "5"},
        {"BTCEUR", "BTC", "EUR", "55555.56", "0.01", "0.00001", "4.62962963"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_spec_t s;
        assert_int_equal(sim_spec_for_symbol(cases[i].symbol, &s), RT_OK);
        assert_string_equal(s.base, cases[i].base);
        assert_string_equal(s.quote, cases[i].quote);
        if (s.start_price != M(cases[i].price) || s.tick != M(cases[i].tick) ||
            s.step != M(cases[i].step) || s.min_notional != M(cases[i].min_notional))
            fail_msg("%s: price %lld tick %lld step %lld min_notional %lld", cases[i].symbol,
                     (long long)s.start_price, (long long)s.tick, (long long)s.step,
                     (long long)s.min_notional);
        assert_true(s.max_price > s.start_price * 5);
        assert_true(s.max_qty > s.step && s.market_max_qty <= s.max_qty);
        assert_int_equal(s.start_price % s.tick, 0);
        assert_true(s.sigma_ppb > 0);
    }
    /* Unknown coins get sane, stable values. */
    sim_spec_t a, b;
    assert_int_equal(sim_spec_for_symbol("FOOUSDC", &a), RT_OK);
    assert_int_equal(sim_spec_for_symbol("FOOUSDC", &b), RT_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_string_equal(a.base, "FOO");
    assert_true(a.start_price > 0 && a.tick > 0 && a.step > 0 && a.start_price % a.tick == 0);
    assert_int_equal(sim_spec_for_symbol("ABCXYZ", &a), RT_OK); /* no known quote */
    assert_string_equal(a.quote, "XYZ");
    static const char *const bad[] = {"", "B", "BTC-USDC", "BTC USDC", "ABCDEFGHIJKLMNOPQRSTU"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sim_spec_for_symbol(bad[i], &a) != RT_EINVAL)
            fail_msg("\"%s\" was accepted", bad[i]);
    assert_int_equal(sim_spec_for_symbol(NULL, &a), RT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_reference),
        cmocka_unit_test(test_golden_ticks),
        cmocka_unit_test(test_same_seed_same_candles),
        cmocka_unit_test(test_candle_invariants),
        cmocka_unit_test(test_ticks),
        cmocka_unit_test(test_regimes_occur),
        cmocka_unit_test(test_specs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
