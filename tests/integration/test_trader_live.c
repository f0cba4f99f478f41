/* rt-trader in live mode against rt-exchange-sim (its signed /api/v3/order and /account), with
 * the harness's Redis and PostgreSQL (RT_TEST_*): a manual BUY is sent, filled at the sim and
 * booked with the sim's fills (commission in BTC) and exchange ids; the balances the trader
 * stores and publishes are the sim's; an order the exchange refuses (-2010) is REJECTED and
 * answered 422 with its message; without keys live mode refuses to start; a kill -9 after the
 * order row commit (nothing sent) or after the send (not booked) then a restart leaves exactly
 * one order in the DB and at most the one execution at the sim. */
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

/* One test's world: its own simulator (t->sim), and an rt-trader with its database and
 * stream (tests/support: rt_test_trader_t). */
typedef rt_test_trader_t world_t;

static int setup(void **state)
{
    world_t *w = rt_test_trader_new("trlive");
    w->capture_log = true;
    ASSERT_RC(RT_OK, rt_exrest_global_init());
    if (rt_test_live_sim_start(NULL, 0, &w->sim, &w->sim_port) != 0)
        fail_msg("simulator did not start");
    *state = w;
    return 0;
}

/* ---- account:balances as published ---------------------------------------------------------- */

typedef struct {
    rt_balance_t b[32];
    size_t n;
    bool got;
} seen_t;

static void on_balances(void *ud, const char *pattern, const char *channel, const char *payload,
                        size_t len)
{
    (void)pattern;
    (void)channel;
    seen_t *s = ud;
    rt_msg_error_t err;
    size_t n = 0;
    if (rt_msg_balances_parse(payload, len, s->b, 32, &n, &err) == 0) {
        s->n = n;
        s->got = true;
    }
}

static rt_money_t seen_free(const seen_t *s, const char *asset)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->b[i].asset, asset) == 0)
            return s->b[i].free;
    return 0;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_live_buy_filled_at_sim(void **state)
{
    world_t *w = *state;
    rt_bus_sub_t *sub = rt_test_trader_subscribe(w, "account:balances");
    rt_test_trader_start_live(w, "", true, NULL);
    rt_test_trader_wait_healthy(w);
    char *resp = NULL;
    long st = rt_test_trader_post_priced(
        w, "60000", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}", &resp);
    if (st != 201)
        fail_msg("POST /trade: %ld %s", st, resp ? resp : "");
    assert_non_null(strstr(resp, "\"status\":\"FILLED\""));
    free(resp);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'FILLED' AND NOT "
                                 "demo AND exchange_order_id IS NOT NULL"),
        1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 1);
    int64_t ntrades = rt_test_query_int(w->db, "SELECT count(*) FROM trades");
    assert_true(ntrades >= 1);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM trades WHERE NOT demo AND fee_asset = "
                                       "'BTC' AND exchange_trade_id IS NOT NULL AND fee > 0"),
                     ntrades);
    ASSERT_MONEY(rt_test_money("0.001"),
                 rt_test_query_money(w->db, "SELECT sum(quantity) FROM trades"));
    ASSERT_MONEY(rt_test_money("0.000001"),
                 rt_test_query_money(w->db, "SELECT sum(fee) FROM trades")); /* 0.1% in BTC */
    /* the position holds what was received: 0.001 less the commission */
    ASSERT_MONEY(rt_test_money("0.000999"),
                 rt_test_query_money(w->db, "SELECT quantity FROM positions"));
    /* the sim's account, the trader's table and its last publication agree */
    rt_money_t btc = rt_test_sim_free(w->sim_port, "BTC"),
               usdc = rt_test_sim_free(w->sim_port, "USDC");
    ASSERT_MONEY(rt_test_money("0.000999"), btc);
    ASSERT_MONEY(btc, rt_test_query_money(
                          w->db, "SELECT free FROM balances WHERE asset = 'BTC' AND NOT demo"));
    ASSERT_MONEY(usdc,
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset = 'USDC'"));
    seen_t seen;
    memset(&seen, 0, sizeof seen);
    for (int i = 0; i < 50; i++)
        rt_bus_sub_poll(sub, 20, on_balances, &seen);
    assert_true(seen.got);
    ASSERT_MONEY(btc, seen_free(&seen, "BTC"));
    ASSERT_MONEY(usdc, seen_free(&seen, "USDC"));
    rt_bus_sub_free(sub);
    rt_test_trader_stop(w);
}

static void test_live_exchange_rejection(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_live(w, "", true, NULL);
    rt_test_trader_wait_healthy(w);
    char *resp = NULL;
    /* the risk manager sees 0.5 x 100 = 50 USDC (the ticker), the sim prices BTC near 60000:
       30000 USDC for a 10000 USDC account -> -2010 */
    long st = rt_test_trader_post_priced(
        w, "100", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.5}", &resp);
    if (st != 422 || !resp || !strstr(resp, "-2010") || !strstr(resp, "exchange_rejected"))
        fail_msg("POST /trade: expected 422 with -2010, got %ld %s", st, resp ? resp : "");
    free(resp);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM orders WHERE status = 'REJECTED' AND "
                                       "error LIKE '%-2010%' AND NOT demo"),
                     1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    ASSERT_MONEY(rt_test_money("10000"), rt_test_sim_free(w->sim_port, "USDC"));
    rt_test_trader_stop(w);
}

static void test_live_without_keys_refuses(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_live(w, "", false, NULL);
    int status = rt_test_trader_wait_dead(w);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    size_t len = 0;
    char *log = rt_test_read_file(w->log_path, &len);
    assert_non_null(log);
    if (!strstr(log, "BINANCE_API_KEY"))
        fail_msg("the refusal does not name BINANCE_API_KEY: %s", log);
    free(log);
}

/* kill -9 right after the order row commit: nothing was sent; the restart finds it absent at
 * the exchange (-2013) and rejects it. */
static void test_live_kill_after_commit(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_live(w, "after_order_commit", true, NULL);
    rt_test_trader_wait_healthy(w);
    char *resp = NULL;
    rt_test_trader_post_priced(
        w, "60000", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}", &resp);
    free(resp);
    int status = rt_test_trader_wait_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'PENDING'"), 1);
    rt_test_trader_start_live(w, "", true, NULL);
    rt_test_trader_wait_healthy(w);
    rt_test_trader_wait_count(
        w, "SELECT count(*) FROM orders WHERE status = 'REJECTED' AND error LIKE '%-2013%'", 1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 1);
    ASSERT_MONEY(rt_test_money("0"), rt_test_sim_free(w->sim_port, "BTC"));
    rt_test_trader_stop(w);
}

/* kill -9 right after the send, before booking: the restart looks the order up and books the
 * exchange's execution once (never resent). */
static void test_live_kill_after_send(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_live(w, "after_send", true, NULL);
    rt_test_trader_wait_healthy(w);
    char *resp = NULL;
    rt_test_trader_post_priced(
        w, "60000", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}", &resp);
    free(resp);
    int status = rt_test_trader_wait_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'PENDING'"), 1);
    ASSERT_MONEY(rt_test_money("0.000999"),
                 rt_test_sim_free(w->sim_port, "BTC")); /* executed once at the sim */
    rt_test_trader_start_live(w, "", true, NULL);
    rt_test_trader_wait_healthy(w);
    rt_test_trader_wait_count(
        w,
        "SELECT count(*) FROM orders WHERE status = 'FILLED' AND exchange_order_id IS NOT "
        "NULL",
        1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 1);
    ASSERT_MONEY(rt_test_money("0.001"),
                 rt_test_query_money(w->db, "SELECT sum(quantity) FROM trades"));
    ASSERT_MONEY(rt_test_money("0.000999"),
                 rt_test_sim_free(w->sim_port, "BTC")); /* still one execution */
    rt_test_trader_stop(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_live_buy_filled_at_sim, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_live_exchange_rejection, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_live_without_keys_refuses, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_live_kill_after_commit, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_live_kill_after_send, setup,
                                        rt_test_trader_teardown_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
