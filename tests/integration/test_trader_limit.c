/* rt-trader's LIMIT orders and exchange filters in demo mode, end to end against the harness's
 * real Redis and PostgreSQL and a simulator that only serves exchangeInfo (the filters): a
 * LIMIT BUY rests with its funds locked, fills once as maker when a price reaches it and books
 * to the cent; a cancel gives the funds back; a resting order survives a restart and a kill -9
 * in the middle of its fill, then fills exactly once; a MARKET fill lands on the tick and the
 * step; a limit price off the tick is refused (PRICE_FILTER); without the filters orders are
 * refused with 503. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/err.h"
#include "rt/money.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "rt/time.h"
#include "rt_test.h"
#include "rt_test_trader.h"

/* One test case's world: its own database and stream, one trader process at a time, and the
 * quiet simulator its filters come from (tests/support: rt_test_trader_t). */
typedef rt_test_trader_t world_t;

static int setup(void **state)
{
    world_t *w = rt_test_trader_new("trlimit");
    rt_test_trader_demo_sim(w);
    *state = w;
    return 0;
}

/* ---- REST API ------------------------------------------------------------------------------ */

static long post_trade(world_t *w, const char *body, char **resp)
{
    return rt_test_trader_http(w, "POST", "/trade", body, strlen(body), true, resp);
}

/* POST /trade until the filters are loaded (503 while the loader has not got them yet);
 * returns the final status and *resp. */
static long post_when_ready(world_t *w, const char *body, char **resp)
{
    long st = 0;
    *resp = NULL;
    for (int i = 0; i < 200; i++) {
        free(*resp);
        *resp = NULL;
        st = post_trade(w, body, resp);
        if (st != 503)
            return st;
        rt_time_sleep_ms(50);
    }
    return st;
}

static const char limit_buy[] = "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\","
                                "\"quantity\":\"0.001\",\"price\":\"49000\",\"stop_loss\":47000,"
                                "\"take_profit\":52000}";

/* Places limit_buy and checks it rests with 49.049 USDC locked (0.001 x 49000 + 0.1% maker
 * fee). Returns the order id. */
static int64_t place_resting_buy(world_t *w)
{
    char *resp = NULL;
    long st = post_when_ready(w, limit_buy, &resp);
    if (st != 201)
        fail_msg("LIMIT BUY: %ld %s", st, resp ? resp : "");
    assert_non_null(strstr(resp, "\"status\":\"NEW\""));
    assert_non_null(strstr(resp, "\"type\":\"LIMIT\""));
    assert_non_null(strstr(resp, "\"price\":49000"));
    assert_non_null(strstr(resp, "\"fills\":[]"));
    free(resp);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'NEW' AND type = "
                                 "'LIMIT' AND locked_asset = 'USDC'"),
        1);
    ASSERT_MONEY(rt_test_money("49.049"), rt_test_query_money(w->db, "SELECT locked FROM orders"));
    ASSERT_MONEY(rt_test_money("9950.951"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(rt_test_money("49.049"),
                 rt_test_query_money(w->db, "SELECT locked FROM balances WHERE asset='USDC'"));
    return rt_test_query_int(w->db, "SELECT id FROM orders");
}

/* The books after limit_buy filled: one MAKER trade at the limit price, the lock spent to the
 * cent, the position open with the order's levels. */
static void check_limit_buy_filled(world_t *w)
{
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'FILLED'"), 1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 1);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM trades WHERE role = 'MAKER' AND demo"), 1);
    ASSERT_MONEY(rt_test_money("49000"), rt_test_query_money(w->db, "SELECT price FROM trades"));
    ASSERT_MONEY(rt_test_money("0.001"), rt_test_query_money(w->db, "SELECT quantity FROM trades"));
    ASSERT_MONEY(rt_test_money("49"),
                 rt_test_query_money(w->db, "SELECT quote_quantity FROM trades"));
    ASSERT_MONEY(rt_test_money("0.049"), rt_test_query_money(w->db, "SELECT fee FROM trades"));
    ASSERT_MONEY(rt_test_money("0.001"),
                 rt_test_query_money(w->db, "SELECT filled_quantity FROM orders"));
    ASSERT_MONEY(rt_test_money("49000"),
                 rt_test_query_money(w->db, "SELECT avg_price FROM orders"));
    ASSERT_MONEY(rt_test_money("9950.951"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(rt_test_money("0"),
                 rt_test_query_money(w->db, "SELECT locked FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(rt_test_money("0.001"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='BTC'"));
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM positions WHERE status = 'open'"), 1);
    ASSERT_MONEY(rt_test_money("49000"),
                 rt_test_query_money(w->db, "SELECT entry_price FROM positions"));
    ASSERT_MONEY(rt_test_money("0.001"),
                 rt_test_query_money(w->db, "SELECT quantity FROM positions"));
    ASSERT_MONEY(rt_test_money("47000"),
                 rt_test_query_money(w->db, "SELECT stop_loss FROM positions"));
    ASSERT_MONEY(rt_test_money("52000"),
                 rt_test_query_money(w->db, "SELECT take_profit FROM positions"));
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM trades t JOIN orders o ON o.id = "
                                       "t.order_id WHERE t.position_id = o.position_id"),
                     1);
}

static void test_limit_buy_rests_then_fills_once(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    int64_t id = place_resting_buy(w);
    char *resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "GET", "/orders?status=NEW", NULL, 0, false, &resp),
                     200);
    assert_non_null(strstr(resp, "\"filled_quantity\":0"));
    free(resp);
    /* above the limit: nothing */
    rt_test_publish_ticker(w->bus, "BTCUSDC", "49500");
    rt_test_publish_ticker(w->bus, "BTCUSDC", "49000.01");
    rt_time_sleep_ms(300);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    /* through it: one fill at the limit price */
    rt_test_publish_ticker(w->bus, "BTCUSDC", "48999.5");
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    rt_test_publish_ticker(w->bus, "BTCUSDC", "48000");
    rt_test_publish_ticker(w->bus, "BTCUSDC", "48999");
    rt_time_sleep_ms(300);
    check_limit_buy_filled(w);
    char path[64];
    snprintf(path, sizeof path, "/orders/%lld", (long long)id);
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "GET", path, NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "\"status\":\"FILLED\""));
    assert_non_null(strstr(resp, "\"role\":\"MAKER\""));
    free(resp);
    /* a filled order is not cancellable */
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "DELETE", path, NULL, 0, true, &resp), 409);
    assert_non_null(strstr(resp, "FILLED"));
    free(resp);
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "GET", "/risk", NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "\"open_orders\":[]"));
    free(resp);
    rt_test_trader_stop(w);
    check_limit_buy_filled(w);
}

/* trader:events as received: the statuses of the order events, in order. */
typedef struct {
    char status[16][24];
    size_t n;
} events_t;

static void on_event(void *ud, const char *pattern, const char *channel, const char *payload,
                     size_t len)
{
    (void)pattern;
    (void)channel;
    events_t *e = ud;
    rt_event_t *ev = calloc(1, sizeof *ev);
    rt_msg_error_t err;
    if (ev && rt_msg_event_parse(payload, len, ev, &err) == 0 && ev->type == RT_EVENT_ORDER &&
        e->n < 16)
        snprintf(e->status[e->n++], sizeof e->status[0], "%s",
                 rt_order_status_name(ev->u.order.status));
    free(ev);
}

static void publish_candle(world_t *w, long long open_ms, const char *low, const char *close)
{
    char json[320];
    snprintf(json, sizeof json,
             "{\"symbol\":\"BTCUSDC\",\"interval\":\"1m\",\"startTime\":%lld,\"closeTime\":%lld,"
             "\"open\":50000,\"high\":50500,\"low\":%s,\"close\":%s,\"volume\":1,"
             "\"closed\":false}",
             open_ms, open_ms + 59999, low, close);
    assert_true(rt_bus_publish(w->bus, "market:data:BTCUSDC", json, strlen(json)) >= 0);
}

/* A forming candle's low covers its whole minute: a low the candle had already reached before
 * the order was placed must not fill it; a new low, or a new candle's range, does. */
static void test_limit_ignores_lows_before_it(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    long long t0 = (long long)(rt_time_now_ms() / 60000 * 60000);
    rt_test_publish_ticker(w->bus, "BTCUSDC", "50000");
    publish_candle(w, t0, "48000", "50000"); /* the minute already traded at 48000 */
    rt_time_sleep_ms(300);
    place_resting_buy(w); /* BUY LIMIT 49000 */
    publish_candle(w, t0, "48000", "49500"); /* the same low again: not traded since */
    publish_candle(w, t0, "48500", "49400"); /* a stale update, low above the one seen */
    rt_time_sleep_ms(500);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'NEW'"),
                     1);
    publish_candle(w, t0, "47900", "49200"); /* a new low: traded now, through the limit */
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    check_limit_buy_filled(w);
    rt_test_trader_stop(w);
}

static void test_limit_cancel_unlocks(void **state)
{
    world_t *w = *state;
    rt_bus_sub_t *sub = rt_test_trader_subscribe(w, "trader:events");
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    int64_t id = place_resting_buy(w);
    char path[64], *resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "GET", "/risk", NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "\"open_orders\":[{"));
    assert_non_null(strstr(resp, "\"locked\":49.049"));
    free(resp);
    snprintf(path, sizeof path, "/orders/%lld", (long long)id);
    assert_int_equal(rt_test_trader_http(w, "DELETE", path, NULL, 0, false, NULL), 401);
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "DELETE", path, NULL, 0, true, &resp), 200);
    assert_non_null(strstr(resp, "\"status\":\"CANCELED\""));
    free(resp);
    ASSERT_MONEY(rt_test_money("10000"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(rt_test_money("0"),
                 rt_test_query_money(w->db, "SELECT locked FROM balances WHERE asset='USDC'"));
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "DELETE", path, NULL, 0, true, &resp), 409);
    assert_non_null(strstr(resp, "CANCELED"));
    free(resp);
    assert_int_equal(rt_test_trader_http(w, "DELETE", "/orders/999999", NULL, 0, true, NULL), 404);
    /* trader:events: the order PENDING, then resting (NEW), then CANCELED */
    events_t ev;
    memset(&ev, 0, sizeof ev);
    for (int i = 0; i < 50 && ev.n < 3; i++)
        rt_bus_sub_poll(sub, 20, on_event, &ev);
    rt_bus_sub_free(sub);
    assert_int_equal(ev.n, 3);
    assert_string_equal(ev.status[0], "PENDING");
    assert_string_equal(ev.status[1], "NEW");
    assert_string_equal(ev.status[2], "CANCELED");
    /* a canceled order never fills */
    rt_test_publish_ticker(w->bus, "BTCUSDC", "40000");
    rt_time_sleep_ms(300);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM positions"), 0);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'CANCELED'"), 1);
    ASSERT_MONEY(rt_test_money("10000"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'"));
}

/* A resting order survives a clean restart, then a kill -9 inside its fill's transaction,
 * and fills exactly once afterwards. */
static void test_limit_survives_restart_and_kill(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    place_resting_buy(w);
    rt_test_trader_stop(w);
    rt_test_trader_start_demo(w, "before_limit_fill_commit", NULL);
    rt_test_trader_wait_healthy(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'NEW'"),
                     1);
    rt_test_publish_ticker(w->bus, "BTCUSDC", "48500");
    int status = rt_test_trader_wait_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* nothing of the fill was committed */
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'NEW'"),
                     1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    ASSERT_MONEY(rt_test_money("49.049"),
                 rt_test_query_money(w->db, "SELECT locked FROM balances WHERE asset='USDC'"));
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    for (int i = 0; i < 100 && rt_test_query_int(w->db, "SELECT count(*) FROM trades") == 0; i++) {
        rt_test_publish_ticker(w->bus, "BTCUSDC", "48500"); /* until the restarted trader listens */
        rt_time_sleep_ms(50);
    }
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    rt_test_publish_ticker(w->bus, "BTCUSDC", "48000");
    rt_time_sleep_ms(300);
    rt_test_trader_stop(w);
    check_limit_buy_filled(w);
}

/* A kill -9 between the order row's commit and its placement: the restart places it (funds
 * locked once), and it fills once. */
static void test_limit_kill_after_commit(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "after_order_commit", NULL);
    rt_test_trader_wait_healthy(w);
    char *resp = NULL;
    long st = post_when_ready(w, limit_buy, &resp); /* the trader dies answering it */
    free(resp);
    assert_true(st != 201);
    int status = rt_test_trader_wait_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'PENDING'"), 1);
    ASSERT_MONEY(rt_test_money("10000"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'"));
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'NEW'", 1);
    ASSERT_MONEY(rt_test_money("9950.951"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(rt_test_money("49.049"),
                 rt_test_query_money(w->db, "SELECT locked FROM balances WHERE asset='USDC'"));
    for (int i = 0; i < 100 && rt_test_query_int(w->db, "SELECT count(*) FROM trades") == 0; i++) {
        rt_test_publish_ticker(w->bus, "BTCUSDC", "48500");
        rt_time_sleep_ms(50);
    }
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    rt_test_trader_stop(w);
    check_limit_buy_filled(w);
}

/* A MARKET fill lands on the sim's tick (0.01) and step (0.00001): 54729.9 + 5 bps =
 * 54757.26495, up to 54757.27 for the BUY; 0.0012345 down to 0.00123. A limit price off the
 * tick is refused with PRICE_FILTER, not moved. */
static void test_filters_tick_and_step(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    const char *off = "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\","
                      "\"quantity\":\"0.001\",\"price\":\"49000.005\"}";
    char *resp = NULL;
    long st = post_when_ready(w, off, &resp);
    if (st != 422 || !strstr(resp, "PRICE_FILTER") || !strstr(resp, "\"filter_price\""))
        fail_msg("LIMIT off the tick: %ld %s", st, resp ? resp : "");
    free(resp);
    const char *buy = "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":\"0.0012345\"}";
    resp = NULL;
    st = 0;
    for (int i = 0; i < 100 && st != 201; i++) {
        rt_test_publish_ticker(w->bus, "BTCUSDC", "54729.9");
        rt_time_sleep_ms(30);
        free(resp);
        resp = NULL;
        st = post_trade(w, buy, &resp);
        if (st != 201 && st != 422)
            fail_msg("POST /trade: %ld %s", st, resp ? resp : "");
    }
    if (st != 201)
        fail_msg("MARKET BUY never accepted: %s", resp ? resp : "");
    free(resp);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 1);
    ASSERT_MONEY(rt_test_money("54757.27"), rt_test_query_money(w->db, "SELECT price FROM trades"));
    ASSERT_MONEY(rt_test_money("0.00123"),
                 rt_test_query_money(w->db, "SELECT quantity FROM trades"));
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM trades WHERE price % 0.01 = 0 AND "
                                       "quantity % 0.00001 = 0 AND role = 'TAKER'"),
                     1);
}

/* Without the exchange's filters (the exchange unreachable), orders are refused with 503 and
 * the reason, never traded unrounded. */
static void test_no_filters_refuses(void **state)
{
    world_t *w = *state;
    static const char *const extra[] = {"EXCHANGE_REST_URL", "http://127.0.0.1:1", NULL};
    rt_test_trader_start_demo(w, "", extra);
    rt_test_trader_wait_healthy(w);
    rt_test_publish_ticker(w->bus, "BTCUSDC", "50000");
    rt_time_sleep_ms(200);
    char *resp = NULL;
    long st = post_trade(w, limit_buy, &resp);
    if (st != 503 || !strstr(resp, "exchange filters not loaded"))
        fail_msg("no filters: %ld %s", st, resp ? resp : "");
    free(resp);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 0);
}

/* One name in SYMBOLS the exchange does not list (-1121 for the whole batch): the others are
 * loaded one by one and trade; the unknown one is refused as unknown_symbol. */
static void test_unknown_symbol_in_symbols(void **state)
{
    world_t *w = *state;
    static const char *const extra[] = {"SYMBOLS", "BTCUSDC,NOPEUSDC,DOGEUSDC", NULL};
    rt_test_trader_start_demo(w, "", extra);
    rt_test_trader_wait_healthy(w);
    char *resp = NULL;
    long st = post_when_ready(w, limit_buy, &resp);
    if (st != 201)
        fail_msg("LIMIT BUY with an unknown name in SYMBOLS: %ld %s", st, resp ? resp : "");
    free(resp);
    resp = NULL;
    st = post_trade(w,
                    "{\"symbol\":\"NOPEUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\","
                    "\"quantity\":\"1\",\"price\":\"1\"}",
                    &resp);
    if (st != 422 || !strstr(resp, "unknown_symbol"))
        fail_msg("order on the unknown symbol: %ld %s", st, resp ? resp : "");
    free(resp);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_limit_buy_rests_then_fills_once, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_limit_ignores_lows_before_it, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_limit_cancel_unlocks, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_limit_survives_restart_and_kill, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_limit_kill_after_commit, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_filters_tick_and_step, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_no_filters_refuses, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_unknown_symbol_in_symbols, setup,
                                        rt_test_trader_teardown_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
