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
#include <curl/curl.h>
#include <jansson.h>
#include <poll.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/db_migrate.h"
#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/money.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "rt/time.h"
#include "rt_test.h"

#define KEY "0123456789abcdef0123456789abcdef"
#define SECRET "fedcba9876543210fedcba9876543210"

#define ASSERT_RC(expected, actual)                                                                \
    do {                                                                                           \
        int rc_ = (actual);                                                                        \
        if (rc_ != (expected))                                                                     \
            fail_msg("%s: expected %d (%s), got %d (%s)", #actual, (expected),                     \
                     rt_strerror(expected), rc_, rt_strerror(rc_));                                \
    } while (0)

#define ASSERT_MONEY(expected, actual)                                                             \
    do {                                                                                           \
        rt_money_t e_ = (expected), a_ = (actual);                                                 \
        if (e_ != a_) {                                                                            \
            char es_[RT_MONEY_FMT_MAX], as_[RT_MONEY_FMT_MAX];                                     \
            rt_money_format(e_, es_, sizeof es_);                                                  \
            rt_money_format(a_, as_, sizeof as_);                                                  \
            fail_msg("%s: expected %s, got %s", #actual, es_, as_);                                \
        }                                                                                          \
    } while (0)

/* One test's world: its own simulator, and an rt-trader with its database and stream
 * (tests/support: rt_test_trader_t). */
typedef struct {
    rt_test_trader_t t;
    pid_t sim;
    int sim_port;
} world_t;

/* Starts rt-exchange-sim on a free port (SIM_PORT=0: it prints the one it got). */
static void start_sim(world_t *w)
{
    static const char *const settings[] = {"SIM_PORT=0",
                                           "SIM_BIND=127.0.0.1",
                                           "SYMBOLS=BTCUSDC,ETHUSDC",
                                           "SIM_SPEED=60",
                                           "SIM_SEED=11",
                                           "SIM_HISTORY=60",
                                           "SIM_API_KEY=" KEY,
                                           "SIM_SECRET_KEY=" SECRET,
                                           "SIM_BALANCES=USDC=10000,BTC=0",
                                           "SIM_TAKER_FEE=0.001",
                                           "SIM_MAKER_FEE=0.001",
                                           "LOG_LEVEL=warn"};
    if (rt_test_sim_start(settings, sizeof settings / sizeof settings[0], &w->sim, &w->sim_port) !=
        0)
        fail_msg("simulator did not start");
}

static int setup(void **state)
{
    world_t *w = calloc(1, sizeof *w);
    assert_non_null(w);
    rt_test_trader_setup(&w->t, "trlive");
    w->t.capture_log = true;
    ASSERT_RC(RT_OK, rt_exrest_global_init());
    start_sim(w);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world_t *w = *state;
    rt_test_trader_teardown(&w->t);
    rt_test_proc_stop(&w->sim, 5000);
    free(w);
    return 0;
}

/* Starts rt-trader in live mode against the world's simulator; stderr goes to its log. */
static void start_trader(world_t *w, const char *fault, bool keys)
{
    char port[16];
    snprintf(port, sizeof port, "%d", w->sim_port);
    const char *const settings[] = {"TRADING_MODE",
                                    "live",
                                    "EXCHANGE",
                                    "sim",
                                    "EXCHANGE_REST_URL",
                                    "",
                                    "SIM_PORT",
                                    port,
                                    "SYMBOLS",
                                    "BTCUSDC,ETHUSDC",
                                    "BINANCE_API_KEY",
                                    keys ? KEY : "",
                                    "BINANCE_SECRET_KEY",
                                    keys ? SECRET : "",
                                    "TRADE_QUANTITY",
                                    "0.001",
                                    NULL};
    rt_test_trader_start(&w->t, fault, settings);
}

static int wait_trader_dead(world_t *w)
{
    return rt_test_trader_wait_dead(&w->t);
}

static int64_t query_int(world_t *w, const char *sql)
{
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(w->t.db, sql, 0, NULL, &res));
    int64_t v = -1;
    ASSERT_RC(RT_OK, rt_db_get_int64(res, 0, 0, &v));
    rt_db_result_free(res);
    return v;
}

static rt_money_t query_money(world_t *w, const char *sql)
{
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(w->t.db, sql, 0, NULL, &res));
    rt_money_t v = 0;
    if (rt_db_nrows(res) != 1)
        fail_msg("%s: expected one row, got %d", sql, rt_db_nrows(res));
    ASSERT_RC(RT_OK, rt_db_get_money(res, 0, 0, &v));
    rt_db_result_free(res);
    return v;
}

static void wait_count(world_t *w, const char *sql, int64_t want)
{
    int64_t got = -1;
    for (int i = 0; i < 300; i++) {
        got = query_int(w, sql);
        if (got == want)
            return;
        rt_time_sleep_ms(50);
    }
    fail_msg("%s: expected %lld, got %lld after 15 s", sql, (long long)want, (long long)got);
}

static rt_money_t m(const char *s)
{
    rt_money_t v = 0;
    ASSERT_RC(RT_OK, rt_money_parse(s, &v));
    return v;
}

/* ---- the simulator's account, read directly ------------------------------------------------- */

static rt_money_t sim_free(world_t *w, const char *asset)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", w->sim_port);
    rt_exrest_config_t cfg = {.base_url = url, .api_key = KEY, .secret_key = SECRET};
    rt_exrest_t *c = NULL;
    ASSERT_RC(RT_OK, rt_exrest_new(&cfg, &c));
    ASSERT_RC(RT_OK, rt_exrest_sync_time(c));
    rt_exrest_response_t r;
    rt_exrest_response_init(&r);
    ASSERT_RC(RT_OK, rt_exrest_get(c, "/api/v3/account", NULL, true, &r));
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(j);
    rt_money_t v = 0;
    json_t *arr = json_object_get(j, "balances");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *b = json_array_get(arr, i);
        if (strcmp(json_string_value(json_object_get(b, "asset")), asset) == 0)
            ASSERT_RC(RT_OK, rt_money_parse(json_string_value(json_object_get(b, "free")), &v));
    }
    json_decref(j);
    rt_exrest_response_cleanup(&r);
    rt_exrest_free(c);
    return v;
}

/* ---- the trader's API ---------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len;
} body_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    body_t *b = ud;
    size_t add = size * n;
    char *grown = realloc(b->data, b->len + add + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, p, add);
    b->data = grown;
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static long http(world_t *w, const char *method, const char *path, const char *body, char **resp)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[256], hdr[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", w->t.http_port, path);
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", w->t.token);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, hdr);
    body_t b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (resp)
        *resp = b.data;
    else
        free(b.data);
    return status;
}

static void wait_healthy(world_t *w)
{
    for (int i = 0; i < 400; i++) {
        if (http(w, "GET", "/health", NULL, NULL) == 200)
            return;
        if (waitpid(w->t.pid, NULL, WNOHANG) == w->t.pid) {
            w->t.pid = 0;
            fail_msg("rt-trader died at start (log %s)", w->t.log_path);
        }
        rt_time_sleep_ms(50);
    }
    fail_msg("rt-trader's /health did not answer 200 within 20 s");
}

static void publish_ticker(world_t *w, const char *price)
{
    char json[160];
    snprintf(json, sizeof json, "{\"symbol\":\"BTCUSDC\",\"price\":%s,\"event_time\":%lld}", price,
             (long long)rt_time_now_ms());
    assert_true(rt_bus_publish(w->t.bus, "market:ticker:BTCUSDC", json, strlen(json)) >= 0);
}

/* POSTs body until the trader knows a price (a ticker at ticker_price); returns the status. */
static long post_trade(world_t *w, const char *ticker_price, const char *body, char **resp)
{
    long st = 0;
    *resp = NULL;
    for (int i = 0; i < 100; i++) {
        publish_ticker(w, ticker_price);
        rt_time_sleep_ms(30);
        free(*resp);
        *resp = NULL;
        st = http(w, "POST", "/trade", body, resp);
        if (st != 422 || !*resp || !strstr(*resp, "no_price"))
            return st;
    }
    return st;
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
    rt_bus_opts_t bo;
    rt_bus_opts_init(&bo);
    bo.host = w->t.redis_host;
    bo.port = (int)strtol(w->t.redis_port, NULL, 10);
    rt_bus_sub_t *sub = NULL;
    ASSERT_RC(RT_OK, rt_bus_sub_new(&bo, &sub));
    ASSERT_RC(RT_OK, rt_bus_sub_subscribe(sub, "account:balances"));
    start_trader(w, "", true);
    wait_healthy(w);
    char *resp = NULL;
    long st = post_trade(w, "60000", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}",
                         &resp);
    if (st != 201)
        fail_msg("POST /trade: %ld %s", st, resp ? resp : "");
    assert_non_null(strstr(resp, "\"status\":\"FILLED\""));
    free(resp);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'FILLED' AND NOT "
                                  "demo AND exchange_order_id IS NOT NULL"),
                     1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders"), 1);
    int64_t ntrades = query_int(w, "SELECT count(*) FROM trades");
    assert_true(ntrades >= 1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades WHERE NOT demo AND fee_asset = "
                                  "'BTC' AND exchange_trade_id IS NOT NULL AND fee > 0"),
                     ntrades);
    ASSERT_MONEY(m("0.001"), query_money(w, "SELECT sum(quantity) FROM trades"));
    ASSERT_MONEY(m("0.000001"), query_money(w, "SELECT sum(fee) FROM trades")); /* 0.1% in BTC */
    /* the position holds what was received: 0.001 less the commission */
    ASSERT_MONEY(m("0.000999"), query_money(w, "SELECT quantity FROM positions"));
    /* the sim's account, the trader's table and its last publication agree */
    rt_money_t btc = sim_free(w, "BTC"), usdc = sim_free(w, "USDC");
    ASSERT_MONEY(m("0.000999"), btc);
    ASSERT_MONEY(btc, query_money(w, "SELECT free FROM balances WHERE asset = 'BTC' AND NOT demo"));
    ASSERT_MONEY(usdc, query_money(w, "SELECT free FROM balances WHERE asset = 'USDC'"));
    seen_t seen;
    memset(&seen, 0, sizeof seen);
    for (int i = 0; i < 50; i++)
        rt_bus_sub_poll(sub, 20, on_balances, &seen);
    assert_true(seen.got);
    ASSERT_MONEY(btc, seen_free(&seen, "BTC"));
    ASSERT_MONEY(usdc, seen_free(&seen, "USDC"));
    rt_bus_sub_free(sub);
    rt_test_trader_stop(&w->t);
}

static void test_live_exchange_rejection(void **state)
{
    world_t *w = *state;
    start_trader(w, "", true);
    wait_healthy(w);
    char *resp = NULL;
    /* the risk manager sees 0.5 x 100 = 50 USDC (the ticker), the sim prices BTC near 60000:
       30000 USDC for a 10000 USDC account -> -2010 */
    long st =
        post_trade(w, "100", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.5}", &resp);
    if (st != 422 || !resp || !strstr(resp, "-2010") || !strstr(resp, "exchange_rejected"))
        fail_msg("POST /trade: expected 422 with -2010, got %ld %s", st, resp ? resp : "");
    free(resp);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'REJECTED' AND "
                                  "error LIKE '%-2010%' AND NOT demo"),
                     1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades"), 0);
    ASSERT_MONEY(m("10000"), sim_free(w, "USDC"));
    rt_test_trader_stop(&w->t);
}

static void test_live_without_keys_refuses(void **state)
{
    world_t *w = *state;
    start_trader(w, "", false);
    int status = wait_trader_dead(w);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    size_t len = 0;
    char *log = rt_test_read_file(w->t.log_path, &len);
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
    start_trader(w, "after_order_commit", true);
    wait_healthy(w);
    char *resp = NULL;
    post_trade(w, "60000", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}", &resp);
    free(resp);
    int status = wait_trader_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'PENDING'"), 1);
    start_trader(w, "", true);
    wait_healthy(w);
    wait_count(w, "SELECT count(*) FROM orders WHERE status = 'REJECTED' AND error LIKE '%-2013%'",
               1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders"), 1);
    ASSERT_MONEY(m("0"), sim_free(w, "BTC"));
    rt_test_trader_stop(&w->t);
}

/* kill -9 right after the send, before booking: the restart looks the order up and books the
 * exchange's execution once (never resent). */
static void test_live_kill_after_send(void **state)
{
    world_t *w = *state;
    start_trader(w, "after_send", true);
    wait_healthy(w);
    char *resp = NULL;
    post_trade(w, "60000", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}", &resp);
    free(resp);
    int status = wait_trader_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'PENDING'"), 1);
    ASSERT_MONEY(m("0.000999"), sim_free(w, "BTC")); /* executed once at the sim */
    start_trader(w, "", true);
    wait_healthy(w);
    wait_count(w,
               "SELECT count(*) FROM orders WHERE status = 'FILLED' AND exchange_order_id IS NOT "
               "NULL",
               1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders"), 1);
    ASSERT_MONEY(m("0.001"), query_money(w, "SELECT sum(quantity) FROM trades"));
    ASSERT_MONEY(m("0.000999"), sim_free(w, "BTC")); /* still one execution */
    rt_test_trader_stop(&w->t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_live_buy_filled_at_sim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_exchange_rejection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_without_keys_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_kill_after_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_live_kill_after_send, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
