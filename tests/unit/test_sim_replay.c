/* Replay of candle files: the replayed klines are the file's candles, exactly (shared data,
 * gaps kept, 8-decimal prices), larger intervals aggregate them, and bad files are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt_test.h"
#include "sim/market.h"
#include "sim/replay.h"

#define HDR "open_time_ms,open,high,low,close,volume\n"

static void load(const char *file, const char *symbol, sim_replay_t *out)
{
    char path[512];
    rt_test_shared_path(path, sizeof path, file);
    size_t len = 0;
    char *text = rt_test_read_file(path, &len);
    char why[256] = "";
    int rc = sim_replay_parse(text, len, symbol, NULL, out, why, sizeof why);
    if (rc != RT_OK)
        fail_msg("%s: %s", file, why);
    free(text);
}

/* Replays r as symbol with `history` candles before live, to the end of the file, and checks
 * that every closed kline of the file's interval is its row. Returns the market. */
static sim_market_t *replay_all(const sim_replay_t *r, const char *symbol, size_t history,
                                int64_t live, int64_t *shift_out)
{
    const char *syms[] = {symbol, "ETHUSDC"};
    sim_market_config_t c = {.symbols = syms,
                             .nsymbols = 2,
                             .seed = 1,
                             .start_ms = live,
                             .live_ms = live,
                             .history = history,
                             .ring_max = 40000,
                             .replay = r,
                             .replay_symbol = symbol};
    sim_market_t *m = NULL;
    char why[128] = "";
    if (sim_market_new(&c, &m, why, sizeof why) != RT_OK)
        fail_msg("market: %s", why);
    int64_t shift = sim_interval_open(r->interval, live) - r->rows[history].open_time;
    *shift_out = shift;
    int64_t len = sim_interval_ms(r->interval);
    /* History first, then the rest, in uneven steps as a server would. */
    assert_int_equal(sim_market_advance(m, live, NULL, NULL), RT_OK);
    int64_t end = r->rows[r->count - 1].open_time + shift + len;
    for (int64_t t = live; t < end; t += len * 37 + 1234)
        assert_int_equal(sim_market_advance(m, t, NULL, NULL), RT_OK);
    assert_int_equal(sim_market_advance(m, end, NULL, NULL), RT_OK);
    assert_true(sim_market_replay_done(m, 0));
    assert_false(sim_market_replay_done(m, 1));

    const sim_klines_t *k = sim_market_klines(m, 0);
    assert_int_equal(sim_klines_closed_count(k, r->interval), r->count);
    assert_int_equal(sim_klines_count(k, r->interval), r->count); /* nothing forming */
    for (size_t i = 0; i < r->count; i++) {
        const sim_kline_t *x = sim_klines_get(k, r->interval, i, NULL);
        const rt_candle_t *w = &r->rows[i];
        if (x->open_time != w->open_time + shift || x->open != w->open || x->high != w->high ||
            x->low != w->low || x->close != w->close || x->volume != w->volume)
            fail_msg("row %zu: got t=%lld o=%lld h=%lld l=%lld c=%lld v=%lld, want t=%lld "
                     "o=%lld h=%lld l=%lld c=%lld v=%lld",
                     i, (long long)x->open_time, (long long)x->open, (long long)x->high,
                     (long long)x->low, (long long)x->close, (long long)x->volume,
                     (long long)(w->open_time + shift), (long long)w->open, (long long)w->high,
                     (long long)w->low, (long long)w->close, (long long)w->volume);
        assert_int_equal(x->trades, w->volume > 3 ? 4 : x->trades);
    }
    return m;
}

static void test_replay_1m(void **state)
{
    (void)state;
    sim_replay_t r;
    load("data/btcusdt_1m_2023-03-01_2023-03-21.csv", "BTCUSDT", &r);
    assert_int_equal(r.count, 30240);
    assert_int_equal(r.interval, SIM_IV_1M);
    const int64_t live = INT64_C(1790000012345);
    int64_t shift;
    sim_market_t *m = replay_all(&r, "BTCUSDT", 1000, live, &shift);
    assert_int_equal(shift % 60000, 0);
    const sim_klines_t *k = sim_market_klines(m, 0);
    /* The candle at index 1000 opens in the minute of "live". */
    assert_int_equal(r.rows[1000].open_time + shift, live - live % 60000);
    /* 1h klines: the high, low and volume of their 60 minutes. */
    size_t n1h = sim_klines_closed_count(k, SIM_IV_1H);
    assert_true(n1h > 400);
    const sim_kline_t *h = sim_klines_get(k, SIM_IV_1H, 10, NULL);
    size_t first = 0;
    while (r.rows[first].open_time + shift < h->open_time)
        first++;
    rt_money_t hi = 0, lo = RT_MONEY_MAX, vol = 0;
    for (size_t i = first; i < first + 60; i++) {
        hi = r.rows[i].high > hi ? r.rows[i].high : hi;
        lo = r.rows[i].low < lo ? r.rows[i].low : lo;
        vol += r.rows[i].volume;
    }
    assert_int_equal(h->open, r.rows[first].open);
    assert_int_equal(h->close, r.rows[first + 59].close);
    assert_int_equal(h->high, hi);
    assert_int_equal(h->low, lo);
    assert_int_equal(h->volume, vol);
    /* The file's zero-volume minutes stay trade-less. */
    size_t zero = 0;
    for (size_t i = 0; i < r.count; i++) {
        if (r.rows[i].volume == 0) {
            assert_int_equal(sim_klines_get(k, SIM_IV_1M, i, NULL)->trades, 0);
            zero++;
        }
    }
    assert_int_equal(zero, 658);
    assert_false(sim_market_serves(m, 0, SIM_IV_1S));
    assert_true(sim_market_serves(m, 0, SIM_IV_1W));
    sim_market_free(m);
    sim_replay_cleanup(&r);
}

static void test_replay_gaps_and_decimals(void **state)
{
    (void)state;
    sim_replay_t r;
    load("data/altbtc_1m_2017-11-04_2017-11-14.csv", "ALTBTC", &r);
    assert_int_equal(r.count, 13681);
    int64_t shift;
    sim_market_t *m = replay_all(&r, "ALTBTC", 500, INT64_C(1790000000000), &shift);
    const sim_spec_t *spec = sim_market_spec(m, 0);
    assert_int_equal(spec->tick, 1); /* 8-decimal prices: the tick follows the file */
    sim_market_free(m);
    sim_replay_cleanup(&r);

    load("data/ethbtc_5m_2018-01-10_2018-01-30.csv", "ETHBTC", &r);
    assert_int_equal(r.interval, SIM_IV_5M);
    assert_int_equal(r.price_decimals, 8);
    m = replay_all(&r, "ETHBTC", 0, INT64_C(1790000000000), &shift);
    assert_false(sim_market_serves(m, 0, SIM_IV_1M));
    assert_true(sim_market_serves(m, 0, SIM_IV_15M));
    assert_true(sim_market_serves(m, 0, SIM_IV_1MO));
    assert_int_equal(sim_klines_count(sim_market_klines(m, 0), SIM_IV_1M), 0);
    sim_ticker24_t t;
    assert_int_equal(sim_market_ticker24(m, 0, &t), RT_OK); /* from 5m klines */
    assert_int_equal(t.close, r.rows[r.count - 1].close);
    sim_market_free(m);
    sim_replay_cleanup(&r);
}

static void test_ticks_of_a_candle(void **state)
{
    (void)state;
    const char *text = HDR "60000,10,12,9,11,4.00000003\n120000,11,11.5,8,9,0\n";
    sim_replay_t r;
    char why[128] = "";
    assert_int_equal(sim_replay_parse(text, strlen(text), "ABCUSDC", "1m", &r, why, sizeof why),
                     RT_OK);
    sim_replay_cursor_t c;
    sim_replay_cursor_init(&c, &r, 600000);
    static const struct {
        int64_t time;
        const char *price, *qty;
        bool is_trade, buyer_maker;
    } want[] = {
        /* up candle: open, low, high, close */
        {660000, "10", "1", true, false},
        {675000, "9", "1", true, true},
        {690000, "12", "1", true, false},
        {705000, "11", "1.00000003", true, true},
        /* down candle without volume: open, high, low, close as price marks */
        {720000, "11", "0", false, false},
        {735000, "11.5", "0", false, false},
        {750000, "8", "0", false, true},
        {765000, "9", "0", false, false},
    };
    sim_tick_t t;
    assert_int_equal(sim_replay_next(&c, 659999, &t), RT_EAGAIN);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(sim_replay_next(&c, INT64_MAX, &t), RT_OK);
        rt_money_t p, q;
        assert_int_equal(rt_money_parse(want[i].price, &p), RT_OK);
        assert_int_equal(rt_money_parse(want[i].qty, &q), RT_OK);
        if (t.time != want[i].time || t.price != p || t.qty != q ||
            t.is_trade != want[i].is_trade || t.buyer_maker != want[i].buyer_maker)
            fail_msg("tick %zu: t=%lld p=%lld q=%lld trade=%d maker=%d", i, (long long)t.time,
                     (long long)t.price, (long long)t.qty, t.is_trade, t.buyer_maker);
    }
    assert_int_equal(sim_replay_next(&c, INT64_MAX, &t), RT_ENOTFOUND);
    assert_true(sim_replay_done(&c));
    sim_replay_cleanup(&r);
}

static void test_bad_files(void **state)
{
    (void)state;
    static const struct {
        const char *text, *interval;
        int rc;
        const char *why;
    } cases[] = {
        {HDR "60001,1,1,1,1,1\n120001,1,1,1,1,1\n", NULL, RT_EINVAL, "not on a 1m boundary"},
        {HDR "0,1,1,1,1,1\n", "1M", RT_EINVAL, "monthly"},
        {HDR, NULL, RT_EINVAL, NULL},
        {HDR "60000,1,1,1,1,1\n", NULL, RT_EINVAL, NULL}, /* one row: interval unknown */
        {"time,o,h,l,c,v\n60000,1,1,1,1,1\n", "1m", RT_EINVAL, "line 1"},
        {HDR "60000,1,0.5,1,1,1\n", "1m", RT_EINVAL, "line 2"},
        {HDR "60000,1,1,1,1,1\n60000,1,1,1,1,1\n", "1m", RT_EINVAL, "line 3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_replay_t r = {0};
        char why[200] = "";
        int rc = sim_replay_parse(cases[i].text, strlen(cases[i].text), "ABCUSDC",
                                  cases[i].interval, &r, why, sizeof why);
        if (rc != cases[i].rc || (cases[i].why && strstr(why, cases[i].why) == NULL))
            fail_msg("case %zu: rc %d why \"%s\"", i, rc, why);
        assert_null(r.rows);
    }
    /* A replay symbol that is not listed. */
    const char *text = HDR "60000,1,1,1,1,1\n120000,1,1,1,1,1\n";
    sim_replay_t r;
    assert_int_equal(sim_replay_parse(text, strlen(text), "ABCUSDC", NULL, &r, NULL, 0), RT_OK);
    const char *syms[] = {"BTCUSDC"};
    sim_market_config_t c = {
        .symbols = syms, .nsymbols = 1, .ring_max = 10, .replay = &r, .replay_symbol = "ABCUSDC"};
    sim_market_t *m = NULL;
    char why[128] = "";
    assert_int_equal(sim_market_new(&c, &m, why, sizeof why), RT_EINVAL);
    assert_non_null(strstr(why, "not in SYMBOLS"));
    assert_null(m);
    sim_replay_cleanup(&r);
    sim_replay_cleanup(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_1m),
        cmocka_unit_test(test_replay_gaps_and_decimals),
        cmocka_unit_test(test_ticks_of_a_candle),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
