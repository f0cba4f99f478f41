/* Kline intervals and aggregation: interval boundaries (weeks, months), klines built from
 * ticks, each closing exactly once, quiet intervals filled or skipped, the ring, and the
 * selection rules of GET /api/v3/klines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "sim/klines.h"

#define MIN INT64_C(60000)
#define U(n) RT_MONEY_UNITS(n)

static void test_interval_names(void **state)
{
    (void)state;
    for (int i = 0; i < SIM_IV_COUNT; i++) {
        const char *name = sim_interval_name((sim_interval_t)i);
        sim_interval_t iv;
        assert_int_equal(sim_interval_parse(name, strlen(name), &iv), RT_OK);
        assert_int_equal(iv, i);
    }
    static const char *const bad[] = {"", "1H", "2m", "1mo", "m", "1", "60s", "1m "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sim_interval_t iv;
        if (sim_interval_parse(bad[i], strlen(bad[i]), &iv) != RT_EINVAL)
            fail_msg("\"%s\" parsed", bad[i]);
    }
    sim_interval_t iv;
    assert_int_equal(sim_interval_parse("1M", 2, &iv), RT_OK);
    assert_int_equal(iv, SIM_IV_1MO);
    assert_int_equal(sim_interval_parse("1m", 2, &iv), RT_OK);
    assert_int_equal(iv, SIM_IV_1M);
    assert_string_equal(sim_interval_name((sim_interval_t)99), "?");
}

static void test_interval_bounds(void **state)
{
    (void)state;
    static const struct {
        sim_interval_t iv;
        int64_t t, open, next;
    } cases[] = {
        {SIM_IV_1S, 1500, 1000, 2000},
        {SIM_IV_1M, 1704067259999, 1704067200000, 1704067260000},
        {SIM_IV_15M, 1704068100000, 1704068100000, 1704069000000},
        {SIM_IV_4H, 1704081600001, 1704081600000, 1704096000000},
        {SIM_IV_1D, 1704153599999, 1704067200000, 1704153600000},
        {SIM_IV_3D, 1704153600000, 1703980800000, 1704240000000}, /* epoch-aligned */
        /* weeks open on Monday: Wed 2024-01-03 12:00 -> Mon 2024-01-01 */
        {SIM_IV_1W, 1704283200000, 1704067200000, 1704672000000},
        /* Thu 1970-01-01 -> Mon 1969-12-29 */
        {SIM_IV_1W, 0, -259200000, 345600000},
        /* months: 2024-02-15 -> 2024-02-01, next 2024-03-01 (leap year) */
        {SIM_IV_1MO, 1707955200000, 1706745600000, 1709251200000},
        /* December -> January */
        {SIM_IV_1MO, 1703980800000, 1701388800000, 1704067200000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t open = sim_interval_open(cases[i].iv, cases[i].t);
        int64_t next = sim_interval_next(cases[i].iv, open);
        if (open != cases[i].open || next != cases[i].next)
            fail_msg("case %zu (%s at %lld): open %lld want %lld, next %lld want %lld", i,
                     sim_interval_name(cases[i].iv), (long long)cases[i].t, (long long)open,
                     (long long)cases[i].open, (long long)next, (long long)cases[i].next);
    }
}

typedef struct {
    int count[SIM_IV_COUNT];
    sim_kline_t last[SIM_IV_COUNT];
} closes_t;

static void on_close(void *ud, sim_interval_t iv, const sim_kline_t *k)
{
    closes_t *c = ud;
    c->count[iv]++;
    c->last[iv] = *k;
}

static sim_tick_t tick(int64_t t, int64_t price, int64_t qty, bool buyer_maker)
{
    sim_tick_t k = {
        .time = t, .price = U(price), .qty = U(qty), .buyer_maker = buyer_maker, .is_trade = true};
    return k;
}

static void test_aggregation(void **state)
{
    (void)state;
    sim_klines_t k;
    assert_int_equal(sim_klines_init(&k, 100, 1u << SIM_IV_1M | 1u << SIM_IV_5M, true), RT_OK);
    closes_t c = {0};
    const int64_t m10 = 10 * MIN;
    sim_tick_t t = tick(m10 + 5, 100, 1, false); /* a taker buy */
    assert_int_equal(sim_klines_add(&k, &t, 1, on_close, &c), RT_OK);
    t = tick(m10 + 30000, 105, 2, true);
    assert_int_equal(sim_klines_add(&k, &t, 2, on_close, &c), RT_OK);
    t = tick(m10 + 59999, 95, 3, false);
    assert_int_equal(sim_klines_add(&k, &t, 3, on_close, &c), RT_OK);
    assert_int_equal(c.count[SIM_IV_1M], 0);
    /* The forming kline so far. */
    bool closed = true;
    const sim_kline_t *f = sim_klines_get(&k, SIM_IV_1M, 0, &closed);
    assert_non_null(f);
    assert_false(closed);
    assert_int_equal(f->open_time, m10);
    assert_int_equal(f->close_time, m10 + MIN - 1);
    assert_int_equal(f->open, U(100));
    assert_int_equal(f->high, U(105));
    assert_int_equal(f->low, U(95));
    assert_int_equal(f->close, U(95));
    assert_int_equal(f->volume, U(6));
    assert_int_equal(f->quote_volume, U(100 + 210 + 285));
    assert_int_equal(f->taker_base, U(4));
    assert_int_equal(f->taker_quote, U(385));
    assert_int_equal(f->trades, 3);
    assert_int_equal(f->first_id, 1);
    assert_int_equal(f->last_id, 3);

    /* Closing happens once the clock passes the close time, once. */
    assert_int_equal(sim_klines_advance(&k, m10 + MIN - 1, on_close, &c), RT_OK);
    assert_int_equal(c.count[SIM_IV_1M], 0);
    assert_int_equal(sim_klines_advance(&k, m10 + MIN, on_close, &c), RT_OK);
    assert_int_equal(c.count[SIM_IV_1M], 1);
    assert_int_equal(c.last[SIM_IV_1M].close, U(95));
    assert_int_equal(sim_klines_advance(&k, m10 + MIN, on_close, &c), RT_OK);
    assert_int_equal(c.count[SIM_IV_1M], 1);

    /* Two minutes later: minute 11 was quiet and gets an empty kline. */
    t = tick(m10 + 2 * MIN + 10, 99, 1, false);
    assert_int_equal(sim_klines_add(&k, &t, 4, on_close, &c), RT_OK);
    assert_int_equal(c.count[SIM_IV_1M], 2);
    const sim_kline_t *e = &c.last[SIM_IV_1M];
    assert_int_equal(e->open_time, m10 + MIN);
    assert_true(e->open == U(95) && e->high == U(95) && e->low == U(95) && e->close == U(95));
    assert_int_equal(e->volume, 0);
    assert_int_equal(e->trades, 0);
    assert_int_equal(e->first_id, -1);
    assert_int_equal(e->last_id, -1);
    assert_int_equal(sim_klines_count(&k, SIM_IV_1M), 3);
    assert_int_equal(sim_klines_closed_count(&k, SIM_IV_1M), 2);
    f = sim_klines_get(&k, SIM_IV_1M, 2, &closed);
    assert_false(closed);
    assert_int_equal(f->open, U(99)); /* the first trade sets the open, not the last close */
    assert_null(sim_klines_get(&k, SIM_IV_1M, 3, NULL));

    /* 5m: minute 10 to 14 in one kline, closed when minute 15 starts. */
    assert_int_equal(c.count[SIM_IV_5M], 0);
    assert_int_equal(sim_klines_advance(&k, 15 * MIN, on_close, &c), RT_OK);
    assert_int_equal(c.count[SIM_IV_5M], 1);
    assert_int_equal(c.last[SIM_IV_5M].open, U(100));
    assert_int_equal(c.last[SIM_IV_5M].close, U(99));
    assert_int_equal(c.last[SIM_IV_5M].trades, 4);
    assert_int_equal(c.last[SIM_IV_5M].volume, U(7));
    /* minute 12, 13, 14 closed too (empty ones after the trade of minute 12) */
    assert_int_equal(c.count[SIM_IV_1M], 5);
    assert_int_equal(k.closed_total, 6);

    /* Ticks must come in order. */
    t = tick(m10, 1, 1, false);
    assert_int_equal(sim_klines_add(&k, &t, 9, on_close, &c), RT_EINVAL);
    sim_klines_cleanup(&k);
    sim_klines_cleanup(NULL);
}

static void test_gaps_and_marks(void **state)
{
    (void)state;
    sim_klines_t k;
    assert_int_equal(sim_klines_init(&k, 100, 1u << SIM_IV_1M, false), RT_OK);
    closes_t c = {0};
    sim_tick_t t = tick(0, 10, 1, false);
    assert_int_equal(sim_klines_add(&k, &t, 1, on_close, &c), RT_OK);
    /* Without fill, a quiet stretch is a gap. */
    t = tick(5 * MIN + 1, 11, 1, false);
    assert_int_equal(sim_klines_add(&k, &t, 2, on_close, &c), RT_OK);
    assert_int_equal(c.count[SIM_IV_1M], 1);
    assert_int_equal(sim_klines_count(&k, SIM_IV_1M), 2);
    assert_int_equal(sim_klines_get(&k, SIM_IV_1M, 1, NULL)->open_time, 5 * MIN);
    /* The forming kline closes on the clock and none opens until the next tick. */
    assert_int_equal(sim_klines_advance(&k, 9 * MIN, on_close, &c), RT_OK);
    assert_int_equal(c.count[SIM_IV_1M], 2);
    assert_int_equal(sim_klines_count(&k, SIM_IV_1M), 2);
    /* A price mark (no trade) moves the prices, not the volume. */
    sim_tick_t mark = {.time = 9 * MIN, .price = U(12), .qty = 0, .is_trade = false};
    assert_int_equal(sim_klines_add(&k, &mark, -1, on_close, &c), RT_OK);
    const sim_kline_t *f = sim_klines_get(&k, SIM_IV_1M, 2, NULL);
    assert_int_equal(f->open, U(12));
    assert_int_equal(f->volume, 0);
    assert_int_equal(f->trades, 0);
    assert_int_equal(f->first_id, -1);
    sim_klines_cleanup(&k);
    assert_int_equal(sim_klines_init(&k, 0, 1, true), RT_EINVAL);
    assert_int_equal(sim_klines_init(&k, 10, 1u << SIM_IV_COUNT, true), RT_EINVAL);
}

/* A series of n closed 1m klines at minutes 0..n-1 (close = minute + 1) and a forming one. */
static void build(sim_klines_t *k, size_t max, int n)
{
    assert_int_equal(sim_klines_init(k, max, 1u << SIM_IV_1M, true), RT_OK);
    for (int i = 0; i <= n; i++) {
        sim_tick_t t = tick(i * MIN, i + 1, 1, false);
        assert_int_equal(sim_klines_add(k, &t, i + 1, NULL, NULL), RT_OK);
    }
}

static void test_ring(void **state)
{
    (void)state;
    sim_klines_t k;
    build(&k, 3, 200);
    assert_int_equal(sim_klines_closed_count(&k, SIM_IV_1M), 3);
    assert_int_equal(sim_klines_count(&k, SIM_IV_1M), 4);
    for (size_t i = 0; i < 4; i++) /* minutes 197, 198, 199, then 200 forming */
        assert_int_equal(sim_klines_get(&k, SIM_IV_1M, i, NULL)->open_time,
                         (int64_t)(197 + i) * MIN);
    assert_int_equal(k.closed_total, 200);
    sim_klines_cleanup(&k);
}

static void test_select(void **state)
{
    (void)state;
    sim_klines_t k;
    build(&k, 1000, 10); /* closed minutes 0..9, forming 10 */
    static const struct {
        bool has_start;
        int64_t start;
        bool has_end;
        int64_t end;
        size_t limit;
        bool closed_only;
        size_t first, n;
    } cases[] = {
        {false, 0, false, 0, 500, false, 0, 11},          /* everything, forming included */
        {false, 0, false, 0, 3, false, 8, 3},             /* the latest 3 */
        {false, 0, false, 0, 3, true, 7, 3},              /* the latest 3 closed */
        {true, 2 * MIN, false, 0, 4, false, 2, 4},        /* from minute 2 */
        {true, 2 * MIN + 1, false, 0, 4, false, 3, 4},    /* open time >= start */
        {true, 2 * MIN, true, 4 * MIN, 100, false, 2, 3}, /* [2, 4] */
        {true, 2 * MIN, true, 4 * MIN - 1, 100, false, 2, 2},
        {false, 0, true, 4 * MIN, 2, false, 3, 2}, /* the 2 up to minute 4 */
        {false, 0, true, 100 * MIN, 2, false, 9, 2},
        {true, 50 * MIN, false, 0, 10, false, 11, 0}, /* after everything */
        {false, 0, true, -1, 10, false, 0, 0},        /* before everything */
        {true, 0, true, 10 * MIN, 1000, true, 0, 10}, /* closed only leaves out minute 10 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t first = 99, n = 99;
        sim_klines_select(&k, SIM_IV_1M, cases[i].has_start, cases[i].start, cases[i].has_end,
                          cases[i].end, cases[i].limit, cases[i].closed_only, &first, &n);
        if (n != cases[i].n || (n > 0 && first != cases[i].first))
            fail_msg("case %zu: first %zu n %zu, want first %zu n %zu", i, first, n, cases[i].first,
                     cases[i].n);
    }
    sim_klines_cleanup(&k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval_names), cmocka_unit_test(test_interval_bounds),
        cmocka_unit_test(test_aggregation),    cmocka_unit_test(test_gaps_and_marks),
        cmocka_unit_test(test_ring),           cmocka_unit_test(test_select),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
