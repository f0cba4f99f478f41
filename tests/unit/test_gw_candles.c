/* The gateway's closed-candle bookkeeping: dedupe, ordering, gap ranges, backfill merge. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gw/candles.h"
#include "rt/err.h"

#define MIN INT64_C(60000)
#define T0 INT64_C(1716219780000) /* 2024-05-20T15:43:00Z, a minute boundary */

static rt_candle_t kl(int64_t open, bool closed)
{
    rt_candle_t c;
    memset(&c, 0, sizeof c);
    c.open_time = open;
    c.close_time = open + MIN - 1;
    c.closed = closed;
    return c;
}

static gw_interval_t iv_1m(void)
{
    gw_interval_t iv;
    assert_int_equal(gw_interval_parse("1m", &iv), RT_OK);
    return iv;
}

static void test_interval_parse(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int rc;
        int64_t ms;
        int months;
    } cases[] = {
        {"1s", RT_OK, 1000, 0},     {"1m", RT_OK, 60000, 0},     {"3m", RT_OK, 180000, 0},
        {"15m", RT_OK, 900000, 0},  {"1h", RT_OK, 3600000, 0},   {"12h", RT_OK, 43200000, 0},
        {"1d", RT_OK, 86400000, 0}, {"3d", RT_OK, 259200000, 0}, {"1w", RT_OK, 604800000, 0},
        {"1M", RT_OK, 0, 1},        {"2m", RT_EINVAL, 0, 0},     {"1H", RT_EINVAL, 0, 0},
        {"", RT_EINVAL, 0, 0},      {"1m ", RT_EINVAL, 0, 0},    {"60s", RT_EINVAL, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_interval_t iv = {.ms = -7};
        int rc = gw_interval_parse(cases[i].name, &iv);
        if (rc != cases[i].rc)
            fail_msg("parse(\"%s\"): rc %d, want %d", cases[i].name, rc, cases[i].rc);
        if (rc == RT_OK && (iv.ms != cases[i].ms || iv.months != cases[i].months ||
                            strcmp(iv.name, cases[i].name) != 0))
            fail_msg("parse(\"%s\"): ms %lld months %d name %s", cases[i].name, (long long)iv.ms,
                     iv.months, iv.name);
        if (rc != RT_OK && iv.ms != -7)
            fail_msg("parse(\"%s\") wrote its output on failure", cases[i].name);
    }
    assert_int_equal(gw_interval_parse(NULL, &(gw_interval_t){0}), RT_EINVAL);
}

static void test_interval_next(void **state)
{
    (void)state;
    gw_interval_t m1 = iv_1m(), mon, w1;
    assert_int_equal(gw_interval_parse("1M", &mon), RT_OK);
    assert_int_equal(gw_interval_parse("1w", &w1), RT_OK);
    assert_int_equal(gw_interval_next(&m1, T0), T0 + MIN);
    assert_int_equal(gw_interval_next(&w1, 0), INT64_C(604800000));
    static const struct {
        int64_t open, next;
    } months[] = {
        {INT64_C(1704067200000), INT64_C(1706745600000)}, /* 2024-01-01 -> 2024-02-01 */
        {INT64_C(1706745600000), INT64_C(1709251200000)}, /* 2024-02-01 -> 2024-03-01 (leap) */
        {INT64_C(1733011200000), INT64_C(1735689600000)}, /* 2024-12-01 -> 2025-01-01 */
        {INT64_C(1675209600000), INT64_C(1677628800000)}, /* 2023-02-01 -> 2023-03-01 */
        {INT64_C(1675209600001), INT64_C(1677628800000)}, /* inside the month */
        {INT64_C(0), INT64_C(2678400000)},                /* 1970-01 -> 1970-02 */
    };
    for (size_t i = 0; i < sizeof months / sizeof months[0]; i++) {
        int64_t got = gw_interval_next(&mon, months[i].open);
        if (got != months[i].next)
            fail_msg("next month after %lld: %lld, want %lld", (long long)months[i].open,
                     (long long)got, (long long)months[i].next);
    }
    assert_true(gw_interval_next(&m1, INT64_MAX - 10) == GW_TIME_NONE);
}

/* A scripted stream of events against the state, with the verdict each one must get. */
static void test_dedupe_and_order(void **state)
{
    (void)state;
    gw_interval_t iv = iv_1m();
    gw_candle_state_t st;
    gw_candle_state_init(&st);
    static const struct {
        int64_t open;
        bool closed;
        gw_verdict_t want;
        int64_t gap_from, gap_to;
    } steps[] = {
        {T0, false, GW_CANDLE_PUBLISH, 0, 0},          /* first event: nothing owed yet */
        {T0, false, GW_CANDLE_PUBLISH, 0, 0},          /* another update of it */
        {T0, true, GW_CANDLE_PUBLISH, 0, 0},           /* it closes */
        {T0, true, GW_CANDLE_DUPLICATE, 0, 0},         /* the close again (after reconnect) */
        {T0, false, GW_CANDLE_STALE, 0, 0},            /* a late update of a closed candle */
        {T0 + MIN, false, GW_CANDLE_PUBLISH, 0, 0},    /* the next one forms */
        {T0 + MIN, true, GW_CANDLE_PUBLISH, 0, 0},     /* and closes */
        {T0 - MIN, true, GW_CANDLE_DUPLICATE, 0, 0},   /* something older */
        {T0 + 2 * MIN, true, GW_CANDLE_PUBLISH, 0, 0}, /* closes without any update seen */
        {T0 + 5 * MIN, false, GW_CANDLE_GAP, T0 + 3 * MIN, T0 + 5 * MIN - 1}, /* reconnect */
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        rt_candle_t c = kl(steps[i].open, steps[i].closed);
        gw_range_t gap = {-1, -1};
        gw_verdict_t v = gw_candles_check(&st, &iv, &c, &gap);
        if (v != steps[i].want)
            fail_msg("step %zu: verdict %d, want %d (settled %lld)", i, (int)v, (int)steps[i].want,
                     (long long)st.settled);
        if (v == GW_CANDLE_GAP && (gap.from != steps[i].gap_from || gap.to != steps[i].gap_to))
            fail_msg("step %zu: gap [%lld, %lld], want [%lld, %lld]", i, (long long)gap.from,
                     (long long)gap.to, (long long)steps[i].gap_from, (long long)steps[i].gap_to);
        if (v == GW_CANDLE_PUBLISH)
            assert_int_equal(gw_candles_commit(&st, &iv, &c), RT_OK);
    }
    assert_int_equal(st.last_closed, T0 + 2 * MIN);
    assert_int_equal(st.settled, T0 + 3 * MIN);
}

/* First event is a close: settled starts after it. */
static void test_first_event_closed(void **state)
{
    (void)state;
    gw_interval_t iv = iv_1m();
    gw_candle_state_t st;
    gw_candle_state_init(&st);
    rt_candle_t c = kl(T0, true);
    assert_int_equal(gw_candles_check(&st, &iv, &c, NULL), GW_CANDLE_PUBLISH);
    assert_int_equal(gw_candles_commit(&st, &iv, &c), RT_OK);
    assert_int_equal(st.settled, T0 + MIN);
    /* a lost close: the next close reveals the gap of one candle */
    c = kl(T0 + 2 * MIN, true);
    gw_range_t gap;
    assert_int_equal(gw_candles_check(&st, &iv, &c, &gap), GW_CANDLE_GAP);
    assert_int_equal(gap.from, T0 + MIN);
    assert_int_equal(gap.to, T0 + 2 * MIN - 1);
}

/* The gap after a reconnect is filled from a backfill that overlaps what was published and
 * lacks one candle (the exchange had none), then the held event goes out: every closed candle
 * once, in order. */
static void test_backfill_merge(void **state)
{
    (void)state;
    gw_interval_t iv = iv_1m();
    gw_candle_state_t st;
    gw_candle_state_init(&st);
    int64_t published[32];
    size_t npub = 0;

    for (int i = 0; i < 3; i++) { /* T0, T0+1, T0+2 close on the stream */
        rt_candle_t c = kl(T0 + i * MIN, true);
        assert_int_equal(gw_candles_check(&st, &iv, &c, NULL), GW_CANDLE_PUBLISH);
        assert_int_equal(gw_candles_commit(&st, &iv, &c), RT_OK);
        published[npub++] = c.open_time;
    }
    /* Disconnected; after the reconnect the stream is at T0+8 (forming). */
    rt_candle_t held = kl(T0 + 8 * MIN, false);
    gw_range_t gap;
    assert_int_equal(gw_candles_check(&st, &iv, &held, &gap), GW_CANDLE_GAP);
    assert_int_equal(gap.from, T0 + 3 * MIN);
    assert_int_equal(gap.to, T0 + 8 * MIN - 1);
    /* REST answers from T0+1 (overlap), without T0+5 (a hole on the exchange), and with the
     * forming T0+8 which is past the gap. */
    const int64_t rest[] = {T0 + MIN,     T0 + 2 * MIN, T0 + 3 * MIN, T0 + 4 * MIN,
                            T0 + 6 * MIN, T0 + 7 * MIN, T0 + 8 * MIN};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++) {
        rt_candle_t b = kl(rest[i], true);
        if (gw_candles_accept(&st, &gap, &b)) {
            assert_int_equal(gw_candles_commit(&st, &iv, &b), RT_OK);
            published[npub++] = b.open_time;
        }
    }
    gw_candles_settle(&st, &gap);
    assert_int_equal(gw_candles_check(&st, &iv, &held, NULL), GW_CANDLE_PUBLISH);
    assert_int_equal(gw_candles_commit(&st, &iv, &held), RT_OK);
    held.closed = true;
    assert_int_equal(gw_candles_check(&st, &iv, &held, NULL), GW_CANDLE_PUBLISH);
    assert_int_equal(gw_candles_commit(&st, &iv, &held), RT_OK);
    published[npub++] = held.open_time;
    /* the stream repeats the close of T0+7 late: a duplicate */
    rt_candle_t late = kl(T0 + 7 * MIN, true);
    assert_int_equal(gw_candles_check(&st, &iv, &late, NULL), GW_CANDLE_DUPLICATE);

    const int64_t want[] = {T0,           T0 + MIN,     T0 + 2 * MIN, T0 + 3 * MIN,
                            T0 + 4 * MIN, T0 + 6 * MIN, T0 + 7 * MIN, T0 + 8 * MIN};
    assert_int_equal(npub, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < npub; i++)
        if (published[i] != want[i])
            fail_msg("published[%zu] = %lld, want %lld", i, (long long)published[i],
                     (long long)want[i]);
}

/* A backfill that returns nothing still settles the gap (the exchange has no candles there),
 * and an update is never accepted as a backfilled candle. */
static void test_settle_empty_and_accept_rules(void **state)
{
    (void)state;
    gw_interval_t iv = iv_1m();
    gw_candle_state_t st;
    gw_candle_state_init(&st);
    rt_candle_t c = kl(T0, true);
    assert_int_equal(gw_candles_commit(&st, &iv, &c), RT_OK);
    rt_candle_t ev = kl(T0 + 4 * MIN, true);
    gw_range_t gap;
    assert_int_equal(gw_candles_check(&st, &iv, &ev, &gap), GW_CANDLE_GAP);
    rt_candle_t upd = kl(T0 + MIN, false);
    assert_false(gw_candles_accept(&st, &gap, &upd));
    rt_candle_t before = kl(T0, true);
    assert_false(gw_candles_accept(&st, &gap, &before));
    gw_candles_settle(&st, &gap);
    assert_int_equal(st.settled, T0 + 4 * MIN);
    assert_int_equal(gw_candles_check(&st, &iv, &ev, NULL), GW_CANDLE_PUBLISH);
    /* settling an older range never moves settled back */
    gw_range_t old = {T0 - 10 * MIN, T0 - 1};
    gw_candles_settle(&st, &old);
    assert_int_equal(st.settled, T0 + 4 * MIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interval_parse),
        cmocka_unit_test(test_interval_next),
        cmocka_unit_test(test_dedupe_and_order),
        cmocka_unit_test(test_first_event_closed),
        cmocka_unit_test(test_backfill_merge),
        cmocka_unit_test(test_settle_empty_and_accept_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
