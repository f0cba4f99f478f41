/* rt-trader's live LIMIT orders against rt-exchange-sim replaying a price path (SIM_REPLAY_CSV),
 * with the harness's Redis and PostgreSQL: a LIMIT BUY rests at the exchange (NEW, with its
 * exchange order id), is followed, and when the price comes down through it its fill is
 * recorded once (myTrades: price, commission, MAKER) with the position; a cancel is sent as
 * DELETE /api/v3/order and gives the sim's funds back; an order that fills while the trader is
 * down, or while it is killed inside the booking transaction, is booked exactly once after the
 * restart. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "rt/exrest.h"
#include "rt/money.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "rt/time.h"
#include "rt_test.h"
#include "rt_test_trader.h"

/* One test's world: its own simulator (t->sim), replaying the price path in csv_path's file,
 * and an rt-trader with its database and stream (tests/support: rt_test_trader_t). */
typedef rt_test_trader_t world_t;

/* The file of the price path the world's simulator replays (named after its database). */
static void csv_path(const world_t *w, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "/tmp/%s.csv", w->dbname);
    assert_true(n > 0 && (size_t)n < cap);
}

/* The price path, 1m candles at SIM_SPEED=60 (one a second): 2 of history, then BTCUSDC flat
 * at 60000 for 12 s, one candle down to 58000, then flat at 59000. A LIMIT BUY at 59500
 * rests for the first 12 s and fills (as maker) on the drop; one at 50000 never fills. */
static void write_csv(world_t *w)
{
    char csv[128];
    csv_path(w, csv, sizeof csv);
    FILE *f = fopen(csv, "w");
    assert_non_null(f);
    fprintf(f, "open_time_ms,open,high,low,close,volume\n");
    int64_t t = 1677628800000;
    for (int i = 0; i < 14; i++, t += 60000)
        fprintf(f, "%lld,60000,60000,60000,60000,1\n", (long long)t);
    fprintf(f, "%lld,60000,60000,58000,59000,1\n", (long long)t);
    t += 60000;
    for (int i = 0; i < 600; i++, t += 60000)
        fprintf(f, "%lld,59000,59000,59000,59000,1\n", (long long)t);
    assert_int_equal(fclose(f), 0);
}

/* Starts rt-exchange-sim on a free port (SIM_PORT=0: it prints the one it got), replaying the
 * price path from its start with 2 candles of history. */
static void start_sim(world_t *w)
{
    write_csv(w);
    char csv[128], replay[160];
    csv_path(w, csv, sizeof csv);
    snprintf(replay, sizeof replay, "SIM_REPLAY_CSV=%s", csv);
    const char *const settings[] = {"SIM_HISTORY=2", replay};
    if (rt_test_live_sim_start(settings, sizeof settings / sizeof settings[0], &w->sim,
                               &w->sim_port) != 0)
        fail_msg("simulator did not start");
}

static int setup(void **state)
{
    world_t *w = rt_test_trader_new("trllim");
    w->capture_log = true;
    ASSERT_RC(RT_OK, rt_exrest_global_init());
    start_sim(w);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    char csv[128];
    csv_path(*state, csv, sizeof csv);
    rt_test_trader_teardown_state(state);
    unlink(csv);
    return 0;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static const char limit_buy[] = "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\","
                                "\"quantity\":\"0.001\",\"price\":\"59500\"}";

/* Places limit_buy while the sim is at 60000: it rests at the exchange. */
static void place_resting(world_t *w, const char *body)
{
    char *resp = NULL;
    long st = rt_test_trader_post_priced(w, "60000", body, &resp);
    if (st != 201)
        fail_msg("LIMIT BUY: %ld %s", st, resp ? resp : "");
    if (!strstr(resp, "\"status\":\"NEW\""))
        fail_msg("LIMIT BUY not resting: %s", resp);
    free(resp);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'NEW' AND type = "
                                 "'LIMIT' AND NOT demo AND exchange_order_id IS NOT NULL"),
        1);
}

/* The books after limit_buy filled at the sim: one MAKER trade at 59500 with the sim's trade
 * id and commission (0.1% in BTC), the order FILLED, the position holding what came in. */
static void check_filled_once(world_t *w)
{
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'FILLED'"), 1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 1);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM trades WHERE role = 'MAKER' AND NOT demo "
                                 "AND exchange_trade_id IS NOT NULL AND fee_asset = 'BTC' AND "
                                 "position_id IS NOT NULL"),
        1);
    ASSERT_MONEY(rt_test_money("59500"), rt_test_query_money(w->db, "SELECT price FROM trades"));
    ASSERT_MONEY(rt_test_money("0.001"), rt_test_query_money(w->db, "SELECT quantity FROM trades"));
    ASSERT_MONEY(rt_test_money("59.5"),
                 rt_test_query_money(w->db, "SELECT quote_quantity FROM trades"));
    ASSERT_MONEY(rt_test_money("0.000001"), rt_test_query_money(w->db, "SELECT fee FROM trades"));
    ASSERT_MONEY(rt_test_money("0.001"),
                 rt_test_query_money(w->db, "SELECT filled_quantity FROM orders"));
    ASSERT_MONEY(rt_test_money("59500"),
                 rt_test_query_money(w->db, "SELECT avg_price FROM orders"));
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM positions WHERE status = 'open' AND NOT "
                                 "demo"),
        1);
    ASSERT_MONEY(rt_test_money("0.000999"),
                 rt_test_query_money(w->db, "SELECT quantity FROM positions"));
    ASSERT_MONEY(rt_test_money("59500"),
                 rt_test_query_money(w->db, "SELECT entry_price FROM positions"));
    ASSERT_MONEY(rt_test_money("0.000999"), rt_test_sim_free(w->sim_port, "BTC"));
    ASSERT_MONEY(rt_test_money("9940.5"), rt_test_sim_free(w->sim_port, "USDC"));
}

static void test_live_limit_rests_then_fills(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_live(w, "", true, NULL);
    rt_test_trader_wait_healthy(w);
    place_resting(w, limit_buy);
    /* the sim holds the funds while it rests */
    ASSERT_MONEY(rt_test_money("9940.5"), rt_test_sim_free(w->sim_port, "USDC"));
    /* the price comes down through 59500 after ~12 s; the trader follows every 2 s */
    for (int i = 0; i < 30 && rt_test_query_int(w->db, "SELECT count(*) FROM trades") == 0; i++)
        rt_time_sleep_ms(1000);
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    rt_time_sleep_ms(2500); /* one more follow round: nothing more */
    check_filled_once(w);
    rt_test_trader_stop(w);
    rt_test_trader_start_live(w, "", true, NULL); /* a restart books nothing again */
    rt_test_trader_wait_healthy(w);
    rt_time_sleep_ms(2500);
    rt_test_trader_stop(w);
    check_filled_once(w);
}

static void test_live_limit_cancel(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_live(w, "", true, NULL);
    rt_test_trader_wait_healthy(w);
    place_resting(w, "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\","
                     "\"quantity\":\"0.001\",\"price\":\"50000\"}");
    assert_true(rt_test_sim_free(w->sim_port, "USDC") < rt_test_money("10000"));
    char path[64], *resp = NULL;
    snprintf(path, sizeof path, "/orders/%lld",
             (long long)rt_test_query_int(w->db, "SELECT id FROM orders"));
    assert_int_equal(rt_test_trader_http(w, "DELETE", path, NULL, 0, true, &resp), 200);
    if (!strstr(resp, "\"status\":\"CANCELED\""))
        fail_msg("cancel: %s", resp);
    free(resp);
    ASSERT_MONEY(rt_test_money("10000"), rt_test_sim_free(w->sim_port, "USDC"));
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "DELETE", path, NULL, 0, true, &resp), 409);
    assert_non_null(strstr(resp, "CANCELED"));
    free(resp);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM orders WHERE status = 'CANCELED' AND "
                                       "filled_quantity = 0"),
                     1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM positions"), 0);
}

/* The order fills at the exchange while the trader is down; the first restart is killed inside
 * the booking transaction; the next books it, once. */
static void test_live_limit_fills_while_down(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_live(w, "", true, NULL);
    rt_test_trader_wait_healthy(w);
    place_resting(w, limit_buy);
    rt_test_trader_stop(w);
    for (int i = 0; i < 30 && rt_test_sim_free(w->sim_port, "BTC") == 0;
         i++) /* the drop, at the sim */
        rt_time_sleep_ms(1000);
    ASSERT_MONEY(rt_test_money("0.000999"), rt_test_sim_free(w->sim_port, "BTC"));
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'NEW'"),
                     1);
    rt_test_trader_start_live(w, "before_live_follow_commit", true, NULL);
    int status = rt_test_trader_wait_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'NEW'"),
                     1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    rt_test_trader_start_live(w, "", true, NULL);
    rt_test_trader_wait_healthy(w);
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    rt_time_sleep_ms(2500);
    rt_test_trader_stop(w);
    check_filled_once(w);
}

/* A kill -9 right after the LIMIT was sent (the row still PENDING): the restart only looks it
 * up, finds it resting, follows it, and books its fill once. */
static void test_live_limit_kill_after_send(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_live(w, "after_send", true, NULL);
    rt_test_trader_wait_healthy(w);
    char *resp = NULL;
    long st =
        rt_test_trader_post_priced(w, "60000", limit_buy, &resp); /* the trader dies answering it */
    free(resp);
    assert_true(st != 201);
    int status = rt_test_trader_wait_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'PENDING'"), 1);
    rt_test_trader_start_live(w, "", true, NULL);
    rt_test_trader_wait_healthy(w);
    rt_test_trader_wait_count(w,
                              "SELECT count(*) FROM orders WHERE status IN ('NEW', 'FILLED') AND "
                              "exchange_order_id IS NOT NULL",
                              1);
    for (int i = 0; i < 30 && rt_test_query_int(w->db, "SELECT count(*) FROM trades") == 0; i++)
        rt_time_sleep_ms(1000);
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    rt_time_sleep_ms(2500);
    rt_test_trader_stop(w);
    check_filled_once(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_live_limit_rests_then_fills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_limit_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_limit_fills_while_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_limit_kill_after_send, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
