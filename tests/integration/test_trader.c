/* rt-trader end to end in demo mode, run as a subprocess against the harness's real Redis and
 * PostgreSQL (RT_TEST_*): a signal becomes one order, one trade and a position with the books
 * balancing exactly; the same signal twice makes one order; kill -9 between "order committed"
 * and "filled", and between "filled" and "acknowledged", then a restart leaves exactly one
 * order and one trade; refused and malformed signals are recorded or dropped, never retried. */
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

/* One test case's world: its own database and stream, one trader process at a time
 * (tests/support: rt_test_trader_t). */
typedef rt_test_trader_t world_t;

static int setup(void **state)
{
    world_t *w = rt_test_trader_new("trader");
    rt_test_trader_demo_sim(w);
    *state = w;
    return 0;
}

static void wait_pending_zero(world_t *w)
{
    int64_t n = -1;
    for (int i = 0; i < 300; i++) {
        ASSERT_RC(RT_OK, rt_bus_xpending_count(w->bus, w->stream, "trader", &n));
        if (n == 0)
            return;
        rt_time_sleep_ms(50);
    }
    fail_msg("stream %s: %lld entries still pending after 15 s", w->stream, (long long)n);
}

static void send_json(world_t *w, const char *json)
{
    ASSERT_RC(RT_OK, rt_bus_xadd(w->bus, w->stream, 10000, json, strlen(json), NULL, 0));
}

static void send_signal(world_t *w, const char *id, const char *side, const char *price)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"strategy\":\"RSI_Strategy\",\"symbol\":\"BTCUSDC\",\"side\":\"%s\","
             "\"timestamp\":1616554800000,\"price\":%s,\"stop_loss\":49000,"
             "\"metadata\":{\"rsi\":28.5}}",
             id, side, price);
    send_json(w, json);
}

/* The books after one BUY of 0.001 BTC at 50000 with 5 bps slippage and a 0.1% fee, placed by
 * a strategy's signal or by hand ("manual"). */
static void check_one_buy_at(world_t *w, const char *source)
{
    bool manual = strcmp(source, "manual") == 0;
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 1);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM positions WHERE status = 'open'"), 1);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM orders WHERE status = 'FILLED' AND "
                                       "demo AND client_order_id ~ '^rt[0-9a-f]{32}$'"),
                     1);
    rt_money_t price = rt_test_query_money(w->db, "SELECT price FROM trades");
    rt_money_t qty = rt_test_query_money(w->db, "SELECT quantity FROM trades");
    rt_money_t quote = rt_test_query_money(w->db, "SELECT quote_quantity FROM trades");
    rt_money_t fee = rt_test_query_money(w->db, "SELECT fee FROM trades");
    ASSERT_MONEY(rt_test_money("50025"), price); /* 50000 + 5 bps against the taker */
    ASSERT_MONEY(rt_test_money("0.001"), qty);
    ASSERT_MONEY(rt_test_money("50.025"), quote);
    ASSERT_MONEY(rt_test_money("0.050025"), fee);
    rt_money_t pq, spent,
        usdc = rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'");
    ASSERT_RC(RT_OK, rt_money_mul(price, qty, RT_ROUND_UP, &pq));
    ASSERT_MONEY(pq, quote);
    ASSERT_RC(RT_OK, rt_money_sub(rt_test_money("10000"), usdc, &spent));
    rt_money_t want;
    ASSERT_RC(RT_OK, rt_money_add(quote, fee, &want));
    ASSERT_MONEY(want, spent); /* quote spent = quantity x price + fee, exactly */
    ASSERT_MONEY(qty, rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='BTC'"));
    ASSERT_MONEY(qty, rt_test_query_money(w->db, "SELECT quantity FROM positions"));
    ASSERT_MONEY(rt_test_money("50025"),
                 rt_test_query_money(w->db, "SELECT entry_price FROM positions"));
    if (manual) {
        assert_int_equal(
            rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE source = 'manual' AND "
                                     "strategy IS NULL AND signal_id IS NULL"),
            1);
        assert_int_equal(
            rt_test_query_int(w->db, "SELECT count(*) FROM positions WHERE strategy IS NULL"), 1);
        return;
    }
    ASSERT_MONEY(rt_test_money("49000"),
                 rt_test_query_money(w->db, "SELECT stop_loss FROM positions"));
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM signals WHERE outcome = 'accepted' AND "
                                 "client_order_id = (SELECT client_order_id FROM orders)"),
        1);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM trades t JOIN orders o ON o.id = "
                                       "t.order_id AND o.position_id = t.position_id"),
                     1);
}

static void check_one_buy(world_t *w)
{
    check_one_buy_at(w, "strategy");
}

static void test_signal_becomes_order_trade_position(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    send_signal(w, "sig-buy-1", "BUY", "50000");
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    wait_pending_zero(w);
    check_one_buy(w);

    /* the SELL signal closes the strategy's position */
    send_signal(w, "sig-sell-1", "SELL", "51000");
    rt_test_trader_wait_count(w, "SELECT count(*) FROM positions WHERE status = 'closed'", 1);
    wait_pending_zero(w);
    rt_test_trader_stop(w);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'FILLED'"), 2);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 2);
    /* sell at 51000 - 5 bps = 50974.5: 50.9745 quote, fee 0.0509745 */
    ASSERT_MONEY(rt_test_money("50974.5"),
                 rt_test_query_money(w->db, "SELECT price FROM trades WHERE side='SELL'"));
    ASSERT_MONEY(rt_test_money("0"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='BTC'"));
    /* USDC: 10000 - 50.075025 + 50.9745 - 0.0509745 = 10000.8485005 */
    ASSERT_MONEY(rt_test_money("10000.8485005"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'"));
    /* realized = proceeds - (entry value + buy fee) = 50.9235255 - 50.075025 */
    ASSERT_MONEY(rt_test_money("0.8485005"),
                 rt_test_query_money(w->db, "SELECT realized_pnl FROM positions"));
    ASSERT_MONEY(rt_test_money("0.1009995"),
                 rt_test_query_money(w->db, "SELECT fees FROM positions"));
}

static void test_same_signal_twice_one_order(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    send_signal(w, "sig-dup", "BUY", "50000");
    send_signal(w, "sig-dup", "BUY", "50000");
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    wait_pending_zero(w);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM signals"), 1);
    check_one_buy(w);
}

static void test_kill_between_commit_and_fill(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "after_order_commit", NULL);
    send_signal(w, "sig-crash-1", "BUY", "50000");
    int status = rt_test_trader_wait_dead(w);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    /* the order row was committed before execution and is still pending */
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE status = 'PENDING'"), 1);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    wait_pending_zero(w);
    rt_test_trader_stop(w);
    check_one_buy(w);
}

static void test_kill_between_fill_and_ack(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "before_ack", NULL);
    send_signal(w, "sig-crash-2", "BUY", "50000");
    int status = rt_test_trader_wait_dead(w);
    assert_true(WIFSIGNALED(status));
    int64_t pending = 0;
    ASSERT_RC(RT_OK, rt_bus_xpending_count(w->bus, w->stream, "trader", &pending));
    assert_int_equal(pending, 1);
    rt_test_trader_start_demo(w, "", NULL);
    wait_pending_zero(w); /* claimed again, seen as a duplicate, acknowledged */
    rt_test_trader_stop(w);
    check_one_buy(w);
}

static void test_refusals_and_malformed(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    send_json(w, "not json at all");
    send_json(w, "{\"id\":\"x\",\"strategy\":\"S\",\"symbol\":\"btc'; DROP TABLE orders;--\","
                 "\"side\":\"BUY\",\"timestamp\":1,\"price\":1}");
    send_json(w, "{\"id\":\"neg\",\"strategy\":\"S\",\"symbol\":\"BTCUSDC\",\"side\":\"BUY\","
                 "\"timestamp\":1,\"price\":-5}");
    send_signal(w, "sig-sell-nothing", "SELL", "50000");
    send_json(w, "{\"id\":\"sig-unknown-quote\",\"strategy\":\"S\",\"symbol\":\"BTCXYZ\","
                 "\"side\":\"BUY\",\"timestamp\":1616554800000,\"price\":1}");
    send_signal(w, "sig-buy-ok", "BUY", "50000");
    send_signal(w, "sig-buy-again", "BUY", "50000");
    rt_test_trader_wait_count(w, "SELECT count(*) FROM signals WHERE outcome <> 'pending'", 4);
    wait_pending_zero(w);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM signals"), 4);
    /* the three malformed entries are recorded as such, once each */
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM malformed_signals"), 3);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM malformed_signals WHERE field = 'price' "
                                 "AND reason LIKE '%price%'"),
        1);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM malformed_signals WHERE payload = "
                                       "convert_to('not json at all', 'UTF8')"),
                     1);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM signals WHERE id = 'sig-sell-nothing' "
                                       "AND outcome = 'rejected' AND reason_code = 'no_position'"),
                     1);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM signals WHERE id = 'sig-unknown-quote' "
                                 "AND outcome = 'rejected' AND reason_code = 'unknown_symbol'"),
        1);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM signals WHERE id = 'sig-buy-again' AND "
                                 "outcome = 'rejected' AND reason_code = 'already_in_position'"),
        1);
    check_one_buy(w);
}

static void test_insufficient_balance(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    send_signal(w, "sig-too-big", "BUY", "50000000"); /* 0.001 x 5e7 = 50000 > 10000 USDC */
    rt_test_trader_wait_count(
        w,
        "SELECT count(*) FROM signals WHERE outcome = 'rejected' AND reason_code = "
        "'insufficient_balance'",
        1);
    wait_pending_zero(w);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 0);
    ASSERT_MONEY(rt_test_money("10000"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'"));
}

/* ---- REST API ------------------------------------------------------------------------------ */

static long post_trade(world_t *w, const char *body, char **resp)
{
    return rt_test_trader_http(w, "POST", "/trade", body, strlen(body), true, resp);
}

static void expect_status(world_t *w, long want, const char *body)
{
    char *resp = NULL;
    long got = post_trade(w, body, &resp);
    if (got != want)
        fail_msg("POST /trade %.120s: expected %ld, got %ld: %s", body, want, got,
                 resp ? resp : "");
    if (want >= 400 && (!resp || !strstr(resp, "\"error\"")))
        fail_msg("POST /trade %.120s: no error body: %s", body, resp ? resp : "");
    free(resp);
}

static void test_api_bad_input_writes_nothing(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    const char *good = "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}";
    assert_int_equal(rt_test_trader_http(w, "POST", "/trade", good, strlen(good), false, NULL),
                     401);
    static const char *const bad[] = {
        "not json",
        "[1,2]",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001,\"extra\":1}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":\"abc\"}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":true}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":-1}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":NaN}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.000000001}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":\"0.123456789\"}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1e999}",
        "{\"symbol\":\"BTC'; DROP TABLE orders;--\",\"side\":\"BUY\",\"quantity\":0.001}",
        "{\"symbol\":\"btcusdc\",\"side\":\"BUY\",\"quantity\":0.001}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"HOLD\",\"quantity\":0.001}",
        "{\"symbol\":\"BTCUSDC\",\"quantity\":0.001}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\"}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1,\"quote_quantity\":5}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1,\"type\":\"STOP\"}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1,\"type\":\"LIMIT\"}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1,\"price\":5}",
        "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1,\"stop_loss\":-5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_status(w, 400, bad[i]);
    /* 1 MB body: refused by the size limit */
    size_t big_len = 1024 * 1024;
    char *big = malloc(big_len + 1);
    assert_non_null(big);
    memset(big, ' ', big_len);
    big[0] = '{';
    big[big_len - 1] = '}';
    big[big_len] = '\0';
    assert_int_equal(rt_test_trader_http(w, "POST", "/trade", big, big_len, true, NULL), 413);
    free(big);
    /* well-formed but refused: unknown quote asset, no price known yet */
    expect_status(w, 422, "{\"symbol\":\"BTCXYZ\",\"side\":\"BUY\",\"quantity\":0.001}");
    expect_status(w, 422, good);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 0);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades"), 0);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM positions"), 0);
    ASSERT_MONEY(rt_test_money("10000"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='USDC'"));
}

static void test_api_manual_trade(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    const char *buy = "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}";
    char *resp = NULL;
    long st = 0;
    for (int i = 0; i < 100 && st != 201; i++) {
        rt_test_publish_ticker(w->bus, "BTCUSDC", "50000");
        rt_time_sleep_ms(30);
        free(resp);
        resp = NULL;
        st = post_trade(w, buy, &resp);
        if (st != 201 && st != 422)
            fail_msg("POST /trade: %ld %s", st, resp ? resp : "");
    }
    if (st != 201)
        fail_msg("POST /trade never accepted: %s", resp ? resp : "");
    assert_non_null(strstr(resp, "\"status\":\"FILLED\""));
    assert_non_null(strstr(resp, "\"source\":\"manual\""));
    assert_non_null(strstr(resp, "\"fills\":[{"));
    assert_non_null(strstr(resp, "\"price\":50025"));
    free(resp);
    check_one_buy_at(w, "manual");

    /* the same BUY again: already in position -> 422, nothing written */
    expect_status(w, 422, buy);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 1);

    /* pause: a BUY is 503; resume */
    assert_int_equal(rt_test_trader_http(w, "POST", "/control/pause", "", 0, false, NULL), 401);
    assert_int_equal(rt_test_trader_http(w, "POST", "/control/pause", "", 0, true, NULL), 200);
    expect_status(w, 503, "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}");
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "GET", "/risk", NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "\"paused\":true"));
    assert_non_null(strstr(resp, "\"max_exposure_pct\":0.2"));
    assert_non_null(strstr(resp, "\"equity\":"));
    free(resp);
    /* the pause survives a restart */
    rt_test_trader_stop(w);
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    expect_status(w, 503, "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}");
    assert_int_equal(rt_test_trader_http(w, "POST", "/control/resume", "", 0, true, NULL), 200);

    /* reads */
    char path[64];
    int64_t oid = rt_test_query_int(w->db, "SELECT id FROM orders");
    int64_t pid = rt_test_query_int(w->db, "SELECT id FROM positions");
    snprintf(path, sizeof path, "/orders/%lld", (long long)oid);
    assert_int_equal(rt_test_trader_http(w, "GET", path, NULL, 0, false, NULL), 200);
    assert_int_equal(rt_test_trader_http(w, "DELETE", path, NULL, 0, true, NULL), 409);
    assert_int_equal(rt_test_trader_http(w, "GET", "/orders/999999", NULL, 0, false, NULL), 404);
    assert_int_equal(rt_test_trader_http(w, "GET", "/orders/abc", NULL, 0, false, NULL), 400);
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "GET",
                                         "/orders?status=FILLED&symbol=BTCUSDC&limit=10&page=1",
                                         NULL, 0, false, &resp),
                     200);
    assert_non_null(strstr(resp, "\"client_order_id\":\"rt"));
    free(resp);
    assert_int_equal(rt_test_trader_http(w, "GET", "/orders?status=BOGUS", NULL, 0, false, NULL),
                     400);
    assert_int_equal(rt_test_trader_http(w, "GET", "/orders?limit=0", NULL, 0, false, NULL), 400);

    /* close the position by id */
    snprintf(path, sizeof path, "/positions/%lld/close", (long long)pid);
    resp = NULL;
    st = 422;
    for (int i = 0; i < 100 && st == 422; i++) { /* the restarted trader needs a price again */
        rt_test_publish_ticker(w->bus, "BTCUSDC", "50000");
        rt_time_sleep_ms(30);
        free(resp);
        resp = NULL;
        st = rt_test_trader_http(w, "POST", path, "", 0, true, &resp);
    }
    if (st != 201)
        fail_msg("POST %s: %ld %s", path, st, resp ? resp : "");
    free(resp);
    assert_int_equal(rt_test_trader_http(w, "POST", path, "", 0, true, NULL), 409);
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "GET", "/metrics", NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "trader_orders_total"));
    free(resp);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM positions WHERE status = 'closed' AND "
                                       "strategy IS NULL AND exit_reason = 'manual_close'"),
                     1);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM orders WHERE source = 'manual' AND "
                                       "status = 'FILLED'"),
                     2);
    ASSERT_MONEY(rt_test_money("0"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset='BTC'"));
}

/* ---- position exits (the trader core's position manager) -------------------------------- */

/* The seed's example (marsshot-ml-bot.md, 3.3): bought at 0.10; at 0.20 20% is sold, once
 * (partial take-profit at +100%); at 0.30 the trailing stop arms; a high of 0.32 puts it at
 * 0.224 (30% below); below it, all the rest is sold. */
static void test_exits_seed_example(void **state)
{
    world_t *w = *state;
    static const char *const env[] = {"DEMO_SLIPPAGE_BPS",
                                      "0",
                                      "STOP_LOSS_PCT",
                                      "50",
                                      "TAKE_PROFIT_PCT",
                                      "0",
                                      "PARTIAL_TP_PCT",
                                      "100",
                                      "PARTIAL_TP_FRACTION",
                                      "0.2",
                                      "TRAILING_PCT",
                                      "30",
                                      "TRAILING_ACTIVATION_PCT",
                                      "200",
                                      NULL};
    rt_test_trader_start_demo(w, "", env);
    rt_test_trader_wait_healthy(w);
    const char *buy = "{\"symbol\":\"DOGEUSDC\",\"side\":\"BUY\",\"quantity\":1000}";
    char *resp = NULL;
    long st = 0;
    for (int i = 0; i < 100 && st != 201; i++) {
        rt_test_publish_ticker(w->bus, "DOGEUSDC", "0.1");
        rt_time_sleep_ms(30);
        free(resp);
        resp = NULL;
        st = post_trade(w, buy, &resp);
    }
    if (st != 201)
        fail_msg("POST /trade: %ld %s", st, resp ? resp : "");
    free(resp);
    ASSERT_MONEY(rt_test_money("0.05"),
                 rt_test_query_money(w->db, "SELECT stop_loss FROM positions"));

    rt_test_publish_ticker(w->bus, "DOGEUSDC", "0.2");
    rt_test_trader_wait_count(w, "SELECT count(*) FROM trades WHERE side = 'SELL'", 1);
    ASSERT_MONEY(rt_test_money("200"),
                 rt_test_query_money(w->db, "SELECT quantity FROM trades WHERE side = 'SELL'"));
    ASSERT_MONEY(rt_test_money("0.2"),
                 rt_test_query_money(w->db, "SELECT price FROM trades WHERE side = 'SELL'"));
    rt_test_publish_ticker(w->bus, "DOGEUSDC", "0.2"); /* once only */
    rt_test_publish_ticker(w->bus, "DOGEUSDC", "0.3");
    rt_test_trader_wait_count(w, "SELECT count(*) FROM positions WHERE trailing_active", 1);
    rt_test_publish_ticker(w->bus, "DOGEUSDC", "0.32");
    rt_test_trader_wait_count(w, "SELECT count(*) FROM positions WHERE trailing_stop = 0.224", 1);
    rt_test_publish_ticker(w->bus, "DOGEUSDC", "0.23");
    rt_test_publish_ticker(w->bus, "DOGEUSDC", "0.22");
    rt_test_trader_wait_count(w, "SELECT count(*) FROM positions WHERE status = 'closed'", 1);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades WHERE side = 'SELL'"),
                     2);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE reason = 'partial_tp' AND "
                                 "quantity = 200"),
        1);
    assert_int_equal(rt_test_query_int(w->db,
                                       "SELECT count(*) FROM orders WHERE reason = 'trailing_stop' "
                                       "AND quantity = 800"),
                     1);
    ASSERT_MONEY(rt_test_money("0.22"),
                 rt_test_query_money(w->db, "SELECT price FROM trades WHERE side = 'SELL' AND "
                                            "quantity = 800"));
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM positions WHERE exit_reason = "
                                              "'trailing_stop' AND quantity = 0"),
                     1);
    ASSERT_MONEY(rt_test_money("0"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset = 'DOGE'"));
}

/* A position opened from a signal is checked only on prices after its signal's candle: the
 * candle the signal was made of, or a ticker inside it, may be read after the entry (they come
 * on another connection), and its low came before the buy. Bought at 50025 (50000 + 5 bps),
 * stop 1% below (49524.75): the signal's own candle (low 40000, close 45000) and a ticker in it
 * (40000) sell nothing; the next candle (low 47000, close 48000) sells at its close. */
static void publish_candle(world_t *w, int64_t open_ms, const char *low, const char *close)
{
    char json[320];
    snprintf(json, sizeof json,
             "{\"symbol\":\"BTCUSDC\",\"interval\":\"1m\",\"startTime\":%lld,\"closeTime\":%lld,"
             "\"open\":50000,\"high\":50100,\"low\":%s,\"close\":%s,\"volume\":1,\"closed\":true}",
             (long long)open_ms, (long long)(open_ms + 59999), low, close);
    assert_true(rt_bus_publish(w->bus, "market:data:BTCUSDC", json, strlen(json)) >= 0);
}

static void test_exits_not_on_the_signal_candle(void **state)
{
    world_t *w = *state;
    static const char *const env[] = {"STOP_LOSS_PCT", "1", "TAKE_PROFIT_PCT", "0", NULL};
    rt_test_trader_start_demo(w, "", env);
    rt_test_trader_wait_healthy(w);
    const int64_t t = INT64_C(1616554800000);
    char json[512];
    snprintf(json, sizeof json,
             "{\"id\":\"sig-candle-1\",\"strategy\":\"RSI_Strategy\",\"symbol\":\"BTCUSDC\","
             "\"interval\":\"1m\",\"side\":\"BUY\",\"timestamp\":%lld,\"price\":50000,"
             "\"metadata\":{}}",
             (long long)t);
    send_json(w, json);
    rt_test_trader_wait_count(w, "SELECT count(*) FROM positions WHERE status = 'open'", 1);
    ASSERT_MONEY(rt_test_money("49524.75"),
                 rt_test_query_money(w->db, "SELECT stop_loss FROM positions"));
    publish_candle(w, t, "40000", "45000"); /* the signal's own candle: before the buy */
    char tick[160];
    snprintf(tick, sizeof tick, "{\"symbol\":\"BTCUSDC\",\"price\":40000,\"event_time\":%lld}",
             (long long)(t + 30000));
    assert_true(rt_bus_publish(w->bus, "market:ticker:BTCUSDC", tick, strlen(tick)) >= 0);
    publish_candle(w, t + 60000, "47000", "48000"); /* the next one: after the buy */
    rt_test_trader_wait_count(w, "SELECT count(*) FROM positions WHERE status = 'closed'", 1);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM trades WHERE side = 'SELL'"),
                     1);
    /* sold on the next candle, at its close 48000 less 5 bps (45000 would be the stale one) */
    ASSERT_MONEY(rt_test_money("47976"),
                 rt_test_query_money(w->db, "SELECT price FROM trades WHERE side = 'SELL'"));
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE reason = 'stop_loss'"), 1);
}

/* The core's risk manager decides for the service: a BUY worth more than MAX_EXPOSURE_PCT
 * (20%) of the equity is refused with its reason, and nothing is written. */
static void test_core_risk_limits(void **state)
{
    world_t *w = *state;
    rt_test_trader_start_demo(w, "", NULL);
    rt_test_trader_wait_healthy(w);
    const char *big = "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.05}";
    char *resp = NULL;
    long st = 422;
    for (int i = 0; i < 100 && st == 422 && (!resp || strstr(resp, "no_price")); i++) {
        rt_test_publish_ticker(w->bus, "BTCUSDC", "50000");
        rt_time_sleep_ms(30);
        free(resp);
        resp = NULL;
        st = post_trade(w, big, &resp);
    }
    if (st != 422 || !resp || !strstr(resp, "\"error\":\"max_exposure\""))
        fail_msg("expected 422 max_exposure, got %ld %s", st, resp ? resp : "");
    free(resp);
    rt_test_trader_stop(w);
    assert_int_equal(rt_test_query_int(w->db, "SELECT count(*) FROM orders"), 0);
}

/* HALT_EQUITY_RATIO: when the equity falls to the ratio of the initial equity, every position is
 * sold (reason "halt") and new entries are refused (503) until an operator resumes. */
static void test_halt_sells_everything(void **state)
{
    world_t *w = *state;
    static const char *const env[] = {
        "HALT_EQUITY_RATIO", "0.99", "MAX_EXPOSURE_PCT", "100", "STOP_LOSS_PCT", "50", NULL};
    rt_test_trader_start_demo(w, "", env);
    rt_test_trader_wait_healthy(w);
    const char *buy = "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.1}";
    char *resp = NULL;
    long st = 0;
    for (int i = 0; i < 100 && st != 201; i++) {
        rt_test_publish_ticker(w->bus, "BTCUSDC", "50000");
        rt_time_sleep_ms(30);
        free(resp);
        resp = NULL;
        st = post_trade(w, buy, &resp);
    }
    if (st != 201)
        fail_msg("POST /trade: %ld %s", st, resp ? resp : "");
    free(resp);
    /* equity 4992.4975 USDC + 0.1 BTC: at 49000 it is 9892.4975 < 0.99 x 10000 */
    rt_test_publish_ticker(w->bus, "BTCUSDC", "49000");
    rt_test_trader_wait_count(
        w, "SELECT count(*) FROM positions WHERE status = 'closed' AND exit_reason = 'halt'", 1);
    expect_status(w, 503, buy);
    resp = NULL;
    assert_int_equal(rt_test_trader_http(w, "GET", "/risk", NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "\"halted\":true"));
    free(resp);
    rt_test_trader_stop(w);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM orders WHERE reason = 'halt' AND side = "
                                 "'SELL' AND status = 'FILLED'"),
        1);
    assert_int_equal(
        rt_test_query_int(w->db, "SELECT count(*) FROM trader_risk_state WHERE paused"), 1);
    ASSERT_MONEY(rt_test_money("0"),
                 rt_test_query_money(w->db, "SELECT free FROM balances WHERE asset = 'BTC'"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signal_becomes_order_trade_position, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_same_signal_twice_one_order, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_kill_between_commit_and_fill, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_kill_between_fill_and_ack, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_refusals_and_malformed, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_insufficient_balance, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_api_bad_input_writes_nothing, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_api_manual_trade, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_exits_seed_example, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_exits_not_on_the_signal_candle, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_core_risk_limits, setup,
                                        rt_test_trader_teardown_state),
        cmocka_unit_test_setup_teardown(test_halt_sells_everything, setup,
                                        rt_test_trader_teardown_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
