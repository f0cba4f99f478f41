/* rt-trader in live mode against rt-exchange-sim's order faults (docs/SIM.md "Order faults"),
 * with the harness's Redis and PostgreSQL (RT_TEST_*). Each fault is proven from both sides:
 * the trader's books and the simulator's request counters.
 *   - executed then 5xx (500, 503): one order at the exchange, found by a lookup, booked FILLED
 *     once with its trade, the position open, the signal accepted; never resent;
 *   - 503 without executing: the lookup says -2013, the order is REJECTED with that reason,
 *     nothing at the exchange, no resend;
 *   - 429 and 418 with Retry-After: the order is REJECTED "rate limited", no request at all
 *     reaches the simulator during the window (a signal in it is refused locally), and a
 *     signal after the window is executed;
 *   - executed, reply held back past the client's timeout: resolved by a lookup, one order.
 * And commissions in a third asset (SIM_FEE_ASSET=BNB): the trade keeps the BNB fee as
 * received; the position's fees and realized PnL include it valued at the trader's latest
 * BNBUSDC price; with no such price it is marked unvalued, counted, and left out.
 * A kill -9 between the send and the booking is test_trader_live's. */
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
#include <jansson.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/money.h"
#include "rt/str.h"
#include "rt/time.h"
#include "rt_test.h"
#include "rt_test_trader.h"

/* One test's world: its own simulator (t->sim) and an rt-trader with its database and stream
 * (tests/support: rt_test_trader_t). */
typedef rt_test_trader_t world_t;

/* The live tests' account (rt_test_live_sim_start) paying fees with BNB (it holds 1 BNB;
 * BNBUSDC is listed). */
static const char *const SIM_BNB_SETTINGS[] = {
    "SYMBOLS=BTCUSDC,ETHUSDC,BNBUSDC", "SIM_BALANCES=USDC=10000,BTC=0,BNB=1", "SIM_FEE_ASSET=BNB"};

static int setup_with(void **state, const char *const *sim, size_t n)
{
    world_t *w = rt_test_trader_new("trfault");
    w->capture_log = true;
    ASSERT_RC(RT_OK, rt_exrest_global_init());
    if (rt_test_live_sim_start(sim, n, &w->sim, &w->sim_port) != 0)
        fail_msg("simulator did not start");
    *state = w;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL, 0);
}

static int setup_bnb(void **state)
{
    return setup_with(state, SIM_BNB_SETTINGS,
                      sizeof SIM_BNB_SETTINGS / sizeof SIM_BNB_SETTINGS[0]);
}

/* rt-trader in live mode against the world's simulator: every signal is accepted by the risk
 * manager (no cooldown, no position or exposure limit), so that only the exchange decides. */
static void start_trader(world_t *w)
{
    static const char *const extra[] = {
        "COOLDOWN_SECONDS", "0", "MAX_OPEN_POSITIONS", "0", "MAX_EXPOSURE_PCT", "0", NULL};
    rt_test_trader_start_live(w, "", true, extra);
}

/* ---- the simulator ---------------------------------------------------------------------- */

/* method path (with its query) on the simulator; returns the status, *resp the body. */
static long sim_http(world_t *w, const char *method, const char *path, char **resp)
{
    return rt_test_http(w->sim_port, NULL, method, path, NULL, 0, 5000, resp);
}

static void arm(world_t *w, const char *query)
{
    char path[256], *resp = NULL;
    snprintf(path, sizeof path, "/admin/order-fault?%s", query);
    long st = sim_http(w, "POST", path, &resp);
    if (st != 200)
        fail_msg("POST %s: %ld %s", path, st, resp ? resp : "");
    free(resp);
}

typedef struct {
    int64_t orders, signed_requests, faulted, count;
} counters_t;

/* The simulator's request counters; count is coid's (0 when coid is NULL). */
static counters_t counters(world_t *w, const char *coid)
{
    char path[256], *resp = NULL;
    snprintf(path, sizeof path, "/admin/order-requests%s%s", coid ? "?newClientOrderId=" : "",
             coid ? coid : "");
    long st = sim_http(w, "GET", path, &resp);
    if (st != 200)
        fail_msg("GET %s: %ld %s", path, st, resp ? resp : "");
    json_t *j = json_loads(resp, 0, NULL);
    assert_non_null(j);
    counters_t c = {
        .orders = json_integer_value(json_object_get(j, "orders")),
        .signed_requests = json_integer_value(json_object_get(j, "signed")),
        .faulted = json_integer_value(json_object_get(j, "faulted")),
        .count = json_integer_value(json_object_get(j, "count")),
    };
    json_decref(j);
    free(resp);
    return c;
}

/* ---- signals ---------------------------------------------------------------------------- */

/* A BUY signal of its own strategy at the sim's level (BTC starts at 60000). */
static void send_buy(world_t *w, const char *id, const char *strategy)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"strategy\":\"%s\",\"symbol\":\"BTCUSDC\",\"side\":\"BUY\","
             "\"timestamp\":%lld,\"price\":60000,\"stop_loss\":50000,\"metadata\":{}}",
             id, strategy, (long long)rt_time_now_ms());
    ASSERT_RC(RT_OK, rt_bus_xadd(w->bus, w->stream, 10000, json, strlen(json), NULL, 0));
}

/* The order row of signal id: waits for it to leave PENDING, returns its status and coid. */
static void order_of(world_t *w, const char *id, int ms, char *status, size_t scap, char *coid,
                     size_t ccap)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM orders o JOIN signals s ON s.client_order_id = "
             "o.client_order_id WHERE s.id = '%s' AND s.outcome = 'accepted' AND o.status <> "
             "'PENDING'",
             id);
    rt_test_wait_count(w->db, sql, 1, ms, &w->pid, w->log_path);
    snprintf(sql, sizeof sql,
             "SELECT o.status FROM orders o JOIN signals s ON s.client_order_id = "
             "o.client_order_id WHERE s.id = '%s'",
             id);
    rt_test_query_text(w->db, sql, status, scap);
    snprintf(sql, sizeof sql, "SELECT client_order_id FROM signals WHERE id = '%s'", id);
    rt_test_query_text(w->db, sql, coid, ccap);
}

static int64_t count_of(world_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* query_int of the SQL fmt makes (test-made values only: ids and coids we chose or read). */
static int64_t count_of(world_t *w, const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof sql);
    return rt_test_query_int(w->db, sql);
}

/* ---- tests ------------------------------------------------------------------------------ */

/* Executed, then 500 or 503: looked up, booked once, never resent. */
static void test_executed_then_5xx(void **state)
{
    world_t *w = *state;
    start_trader(w);
    static const struct {
        const char *mode, *signal, *strategy;
    } cases[] = {{"exec-500", "sig-exec-500", "S500"}, {"exec-503", "sig-exec-503", "S503"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char q[64], status[32], coid[64];
        snprintf(q, sizeof q, "mode=%s&count=1", cases[i].mode);
        arm(w, q);
        send_buy(w, cases[i].signal, cases[i].strategy);
        order_of(w, cases[i].signal, 15000, status, sizeof status, coid, sizeof coid);
        if (strcmp(status, "FILLED") != 0)
            fail_msg("%s: order %s, expected FILLED (log %s)", cases[i].mode, status, w->log_path);
        counters_t c = counters(w, coid);
        assert_int_equal(c.count, 1); /* sent once, looked up, never resent */
        assert_int_equal(c.orders, (int64_t)i + 1);
        assert_int_equal(c.faulted, (int64_t)i + 1);
        assert_int_equal(count_of(w,
                                  "SELECT count(*) FROM orders WHERE client_order_id = '%s' AND "
                                  "exchange_order_id IS NOT NULL AND NOT demo",
                                  coid),
                         1);
        assert_int_equal(
            count_of(w, "SELECT count(*) FROM trades WHERE client_order_id = '%s' AND NOT demo",
                     coid),
            1);
        ASSERT_MONEY(rt_test_money("0.001"),
                     rt_test_query_money(w->db, "SELECT sum(quantity) FROM trades WHERE "
                                                "client_order_id = (SELECT client_order_id FROM "
                                                "signals WHERE id = 'sig-exec-500')"));
        assert_int_equal(count_of(w,
                                  "SELECT count(*) FROM positions WHERE status = 'open' AND "
                                  "strategy = '%s'",
                                  cases[i].strategy),
                         1);
        /* the real fill, read back with myTrades: its trade id and commission (0.1 % of the
           base received), so the position holds what the account holds */
        assert_int_equal(count_of(w,
                                  "SELECT count(*) FROM trades WHERE client_order_id = '%s' AND "
                                  "exchange_trade_id IS NOT NULL AND fee = 0.000001 AND "
                                  "fee_asset = 'BTC'",
                                  coid),
                         1);
        assert_int_equal(count_of(w,
                                  "SELECT count(*) FROM positions WHERE strategy = '%s' AND "
                                  "quantity = 0.000999",
                                  cases[i].strategy),
                         1);
    }
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 2);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM signals WHERE outcome = 'accepted'"), 2);
    /* two executions at the exchange, each 0.001 less its 0.1 % commission */
    ASSERT_MONEY(rt_test_money("0.001998"), rt_test_sim_free(w->sim_port, "BTC"));
    rt_test_trader_stop(w);
}

/* 503 and nothing executed: the lookup answers -2013, the order is REJECTED, never resent. */
static void test_not_executed_503(void **state)
{
    world_t *w = *state;
    start_trader(w);
    arm(w, "mode=reject-503&count=1");
    send_buy(w, "sig-503", "SR");
    char status[32], coid[64];
    order_of(w, "sig-503", 15000, status, sizeof status, coid, sizeof coid);
    assert_string_equal(status, "REJECTED");
    assert_int_equal(count_of(w,
                              "SELECT count(*) FROM orders WHERE client_order_id = '%s' AND "
                              "error LIKE '%%-2013%%never executed%%'",
                              coid),
                     1);
    counters_t c = counters(w, coid);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.orders, 1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM positions"), 0);
    ASSERT_MONEY(rt_test_money("0"), rt_test_sim_free(w->sim_port, "BTC"));
    ASSERT_MONEY(rt_test_money("10000"), rt_test_sim_free(w->sim_port, "USDC"));
    rt_test_trader_stop(w);
}

/* 429 or 418 with Retry-After: REJECTED "rate limited", silence during the window, then a
 * signal after it is executed. */
static void rate_limited(world_t *w, const char *mode)
{
    enum { RETRY_S = 10 }; /* room for a loaded machine: the checks below must fall inside it */
    start_trader(w);
    char q[64], status[32], coid[64], id[64];
    snprintf(q, sizeof q, "mode=%s&count=1&seconds=%d", mode, RETRY_S);
    arm(w, q);
    int64_t t0 = rt_time_mono_ms();
    snprintf(id, sizeof id, "sig-%s-1", mode);
    send_buy(w, id, "SL1");
    order_of(w, id, 15000, status, sizeof status, coid, sizeof coid);
    assert_string_equal(status, "REJECTED");
    assert_int_equal(count_of(w,
                              "SELECT count(*) FROM orders WHERE client_order_id = '%s' AND "
                              "error LIKE 'rate limited by the exchange%%'",
                              coid),
                     1);
    counters_t before = counters(w, NULL);
    assert_int_equal(before.orders, 1);
    assert_int_equal(before.faulted, 1);

    /* inside the window: refused by the trader itself, nothing reaches the exchange */
    snprintf(id, sizeof id, "sig-%s-2", mode);
    send_buy(w, id, "SL2");
    order_of(w, id, 15000, status, sizeof status, coid, sizeof coid);
    assert_string_equal(status, "REJECTED");
    assert_int_equal(count_of(w,
                              "SELECT count(*) FROM orders WHERE client_order_id = '%s' AND "
                              "error LIKE 'rate limited by the exchange: not sent%%'",
                              coid),
                     1);
    while (rt_time_mono_ms() - t0 < RETRY_S * 1000 - 300)
        rt_time_sleep_ms(50);
    counters_t during = counters(w, NULL);
    if (rt_time_mono_ms() - t0 >= RETRY_S * 1000)
        fail_msg("the machine was too slow to look inside the window");
    assert_int_equal(during.orders, before.orders);
    assert_int_equal(during.signed_requests, before.signed_requests);
    assert_int_equal(counters(w, coid).count, 0);

    /* after the window: sent and executed */
    rt_time_sleep_ms(600);
    snprintf(id, sizeof id, "sig-%s-3", mode);
    send_buy(w, id, "SL3");
    order_of(w, id, 15000, status, sizeof status, coid, sizeof coid);
    if (strcmp(status, "FILLED") != 0)
        fail_msg("after the window: order %s, expected FILLED (log %s)", status, w->log_path);
    assert_int_equal(counters(w, coid).count, 1);
    assert_int_equal(counters(w, NULL).orders, 2);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'FILLED'"), 1);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM signals WHERE outcome = 'accepted'"), 3);
    ASSERT_MONEY(rt_test_money("0.000999"), rt_test_sim_free(w->sim_port, "BTC"));
    rt_test_trader_stop(w);
}

static void test_rate_limited_429(void **state)
{
    rate_limited(*state, "rate-limit");
}

static void test_banned_418(void **state)
{
    rate_limited(*state, "ban");
}

/* Executed, the reply held back past the trader's timeout (10 s): looked up, one order. */
static void test_reply_timeout(void **state)
{
    world_t *w = *state;
    start_trader(w);
    arm(w, "mode=delay&count=1&delayMs=13000");
    send_buy(w, "sig-slow", "SD");
    char status[32], coid[64];
    order_of(w, "sig-slow", 30000, status, sizeof status, coid, sizeof coid);
    if (strcmp(status, "FILLED") != 0)
        fail_msg("order %s, expected FILLED (log %s)", status, w->log_path);
    assert_int_equal(counters(w, coid).count, 1);
    assert_int_equal(counters(w, NULL).orders, 1);
    assert_int_equal(count_of(w, "SELECT count(*) FROM trades WHERE client_order_id = '%s'", coid),
                     1);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM positions WHERE status = 'open'"), 1);
    ASSERT_MONEY(rt_test_money("0.000999"), rt_test_sim_free(w->sim_port, "BTC"));
    size_t len = 0;
    char *log = rt_test_read_file(w->log_path, &len);
    if (!strstr(log, "outcome unknown"))
        fail_msg("the trader did not take the timeout for an unknown outcome: %s", log);
    free(log);
    rt_test_trader_stop(w);
}

/* ---- commissions in BNB ---------------------------------------------------------------- */

static void send_sell(world_t *w, const char *id, const char *strategy)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"strategy\":\"%s\",\"symbol\":\"BTCUSDC\",\"side\":\"SELL\","
             "\"timestamp\":%lld,\"price\":60000,\"metadata\":{}}",
             id, strategy, (long long)rt_time_now_ms());
    ASSERT_RC(RT_OK, rt_bus_xadd(w->bus, w->stream, 10000, json, strlen(json), NULL, 0));
}

/* The trade of signal id: its fee (in BNB), quote quantity and whether it was unvalued. */
static void trade_of(world_t *w, const char *id, rt_money_t *fee, rt_money_t *quote, bool *unvalued)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT t.fee, t.quote_quantity, t.fee_unvalued, t.fee_asset FROM trades t JOIN "
             "signals s ON s.client_order_id = t.client_order_id WHERE s.id = '%s'",
             id);
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(w->db, sql, 0, NULL, &res));
    if (rt_db_nrows(res) != 1)
        fail_msg("%s: expected one trade, got %d", id, rt_db_nrows(res));
    ASSERT_RC(RT_OK, rt_db_get_money(res, 0, 0, fee));
    ASSERT_RC(RT_OK, rt_db_get_money(res, 0, 1, quote));
    ASSERT_RC(RT_OK, rt_db_get_bool(res, 0, 2, unvalued));
    assert_string_equal(rt_db_get_text(res, 0, 3), "BNB");
    rt_db_result_free(res);
}

static int64_t metric(world_t *w, const char *name)
{
    char *text = NULL;
    assert_int_equal(rt_test_trader_http(w, "GET", "/metrics", NULL, 0, false, &text), 200);
    char line[128];
    snprintf(line, sizeof line, "\n%s ", name);
    const char *at = strstr(text, line);
    if (!at)
        fail_msg("/metrics has no %s", name);
    int64_t v = strtoll(at + strlen(line), NULL, 10);
    free(text);
    return v;
}

/* BNB valued at the trader's BNBUSDC price (600): in the position's fees and realized PnL. */
static void test_bnb_fee_valued(void **state)
{
    world_t *w = *state;
    rt_money_t bnb0 = rt_test_sim_free(w->sim_port, "BNB");
    start_trader(w);
    rt_test_trader_wait_healthy(w);
    for (int i = 0; i < 10; i++) { /* the trader's latest BNBUSDC price: 600 */
        rt_test_publish_ticker(w->bus, "BNBUSDC", "600");
        rt_time_sleep_ms(50);
    }
    char status[32], coid[64];
    send_buy(w, "sig-bnb-buy", "SB");
    order_of(w, "sig-bnb-buy", 15000, status, sizeof status, coid, sizeof coid);
    if (strcmp(status, "FILLED") != 0)
        fail_msg("order %s, expected FILLED (log %s)", status, w->log_path);
    rt_money_t buy_fee, buy_quote, buy_fee_q;
    bool unvalued = true;
    trade_of(w, "sig-bnb-buy", &buy_fee, &buy_quote, &unvalued);
    assert_false(unvalued);
    assert_true(buy_fee > 0);
    ASSERT_RC(RT_OK, rt_money_mul(buy_fee, rt_test_money("600"), RT_ROUND_UP, &buy_fee_q));
    /* the whole quantity was received (the fee came out of BNB) and is held */
    ASSERT_MONEY(rt_test_money("0.001"), rt_test_sim_free(w->sim_port, "BTC"));
    ASSERT_MONEY(bnb0 - buy_fee, rt_test_sim_free(w->sim_port, "BNB"));
    ASSERT_MONEY(
        rt_test_money("0.001"),
        rt_test_query_money(w->db, "SELECT quantity FROM positions WHERE strategy = 'SB'"));
    ASSERT_MONEY(buy_fee_q,
                 rt_test_query_money(w->db, "SELECT fees FROM positions WHERE strategy = 'SB'"));
    rt_money_t entry =
        rt_test_query_money(w->db, "SELECT entry_price FROM positions WHERE strategy = 'SB'");

    send_sell(w, "sig-bnb-sell", "SB");
    order_of(w, "sig-bnb-sell", 15000, status, sizeof status, coid, sizeof coid);
    if (strcmp(status, "FILLED") != 0)
        fail_msg("sell %s, expected FILLED (log %s)", status, w->log_path);
    rt_money_t sell_fee, sell_quote, sell_fee_q, cost, proceeds, realized, fees;
    trade_of(w, "sig-bnb-sell", &sell_fee, &sell_quote, &unvalued);
    assert_false(unvalued);
    ASSERT_RC(RT_OK, rt_money_mul(sell_fee, rt_test_money("600"), RT_ROUND_UP, &sell_fee_q));
    ASSERT_RC(RT_OK, rt_money_mul(entry, rt_test_money("0.001"), RT_ROUND_UP, &cost));
    ASSERT_RC(RT_OK, rt_money_add(cost, buy_fee_q, &cost));
    ASSERT_RC(RT_OK, rt_money_sub(sell_quote, sell_fee_q, &proceeds));
    ASSERT_RC(RT_OK, rt_money_sub(proceeds, cost, &realized));
    ASSERT_RC(RT_OK, rt_money_add(buy_fee_q, sell_fee_q, &fees));
    assert_int_equal(
        rt_test_query_int(
            w->db, "SELECT count(*) FROM positions WHERE strategy = 'SB' AND status = 'closed'"),
        1);
    ASSERT_MONEY(realized, rt_test_query_money(
                               w->db, "SELECT realized_pnl FROM positions WHERE strategy = 'SB'"));
    ASSERT_MONEY(fees,
                 rt_test_query_money(w->db, "SELECT fees FROM positions WHERE strategy = 'SB'"));
    ASSERT_MONEY(rt_test_money("0"), rt_test_sim_free(w->sim_port, "BTC"));
    assert_int_equal(metric(w, "trader_fees_unvalued_total"), 0);
    rt_test_trader_stop(w);
}

/* No BNBUSDC price known: the trade keeps the fee, marked unvalued; the books leave it out. */
static void test_bnb_fee_unvalued(void **state)
{
    world_t *w = *state;
    start_trader(w);
    rt_test_trader_wait_healthy(w);
    char status[32], coid[64];
    send_buy(w, "sig-bnb-nopx", "SN");
    order_of(w, "sig-bnb-nopx", 15000, status, sizeof status, coid, sizeof coid);
    if (strcmp(status, "FILLED") != 0)
        fail_msg("order %s, expected FILLED (log %s)", status, w->log_path);
    rt_money_t fee, quote;
    bool unvalued = false;
    trade_of(w, "sig-bnb-nopx", &fee, &quote, &unvalued);
    assert_true(unvalued);
    assert_true(fee > 0);
    ASSERT_MONEY(rt_test_money("0"),
                 rt_test_query_money(w->db, "SELECT fees FROM positions WHERE strategy = 'SN'"));
    ASSERT_MONEY(
        rt_test_money("0.001"),
        rt_test_query_money(w->db, "SELECT quantity FROM positions WHERE strategy = 'SN'"));
    assert_int_equal(metric(w, "trader_fees_unvalued_total"), 1);
    size_t len = 0;
    char *log = rt_test_read_file(w->log_path, &len);
    if (!strstr(log, "commission not valued"))
        fail_msg("no warning for the unvalued commission: %s", log);
    free(log);
    rt_test_trader_stop(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_executed_then_5xx, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_not_executed_503, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_rate_limited_429, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_banned_418, setup, rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_reply_timeout, setup, rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_bnb_fee_valued, setup_bnb,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_bnb_fee_unvalued, setup_bnb,
                                        rt_test_trader_teardown_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
