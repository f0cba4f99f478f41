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

#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/db_migrate.h"
#include "rt/err.h"
#include "rt/money.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "rt/time.h"
#include "rt_test.h"

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

/* One test case's world: its own database and stream, one trader process at a time. */
typedef struct {
    const char *pghost, *pgport, *pguser, *maint_db, *redis_host, *redis_port;
    char dbname[64];
    char stream[96];
    char bin[1024];
    rt_db_t *maint;
    rt_db_t *db;
    rt_bus_t *bus;
    pid_t trader;
    int http_port;
    char token[40];
    pid_t sim; /* the exchange whose exchangeInfo gives the demo's filters */
    int sim_port;
} world_t;

/* A loopback port the kernel hands out (its ephemeral range, outside the 20000-29999 the stack
 * tests pick from while they run beside this one). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void conninfo(const world_t *w, const char *db, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "host=%s port=%s user=%s dbname=%s connect_timeout=5", w->pghost,
                     w->pgport, w->pguser, db);
    assert_true(n > 0 && (size_t)n < cap);
}

static int setup(void **state)
{
    static unsigned seq;
    world_t *w = calloc(1, sizeof *w);
    assert_non_null(w);
    w->pghost = rt_test_require_env("RT_TEST_PGHOST");
    w->pgport = rt_test_require_env("RT_TEST_PGPORT");
    w->pguser = rt_test_require_env("RT_TEST_PGUSER");
    w->maint_db = rt_test_require_env("RT_TEST_PGDATABASE");
    w->redis_host = rt_test_require_env("RT_TEST_REDIS_HOST");
    w->redis_port = rt_test_require_env("RT_TEST_REDIS_PORT");
    const char *bindir = rt_test_require_env("RT_BINARY_DIR");
    snprintf(w->bin, sizeof w->bin, "%s/bin/rt-trader", bindir);
    assert_int_equal(access(w->bin, X_OK), 0);
    seq++;
    snprintf(w->dbname, sizeof w->dbname, "rt_test_trlimit_%ld_%u", (long)getpid(), seq);
    snprintf(w->stream, sizeof w->stream, "signals:trlimit:%ld:%u", (long)getpid(), seq);
    w->http_port = free_port();
    snprintf(w->token, sizeof w->token, "test-token-%ld-%u", (long)getpid(), seq);

    char ci[512], sql[160];
    rt_db_opts_t opts = {.attempts = 3, .backoff_ms = 100};
    conninfo(w, w->maint_db, ci, sizeof ci);
    ASSERT_RC(RT_OK, rt_db_connect(ci, &opts, &w->maint));
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", w->dbname);
    ASSERT_RC(RT_OK, rt_db_exec_script(w->maint, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", w->dbname);
    ASSERT_RC(RT_OK, rt_db_exec_script(w->maint, sql));
    conninfo(w, w->dbname, ci, sizeof ci);
    ASSERT_RC(RT_OK, rt_db_connect(ci, &opts, &w->db));
    char mig[1024], why[256];
    rt_test_source_path(mig, sizeof mig, "db/migrations");
    ASSERT_RC(RT_OK, rt_db_migrate(w->db, mig, NULL, NULL, why, sizeof why));

    rt_bus_opts_t bo;
    rt_bus_opts_init(&bo);
    bo.host = w->redis_host;
    int64_t port = 0;
    ASSERT_RC(RT_OK, rt_str_parse_int64(w->redis_port, &port));
    bo.port = (int)port;
    ASSERT_RC(RT_OK, rt_bus_new(&bo, &w->bus));
    /* demo mode trades by the exchange's filters (exchangeInfo): a quiet simulator gives them */
    static const char *const sim_settings[] = {
        "SIM_PORT=0", "SIM_BIND=127.0.0.1", "SYMBOLS=BTCUSDC,DOGEUSDC",
        "SIM_SEED=5", "SIM_HISTORY=10",     "LOG_LEVEL=warn"};
    if (rt_test_sim_start(sim_settings, sizeof sim_settings / sizeof sim_settings[0], &w->sim,
                          &w->sim_port) != 0)
        fail_msg("rt-exchange-sim did not start");
    *state = w;
    return 0;
}

/* Stops the trader with SIGTERM; it must exit 0 (under the sanitizers, a leak or an error
 * makes that fail). */
static void stop_trader(world_t *w)
{
    if (w->trader <= 0)
        return;
    kill(w->trader, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; i++) {
        if (waitpid(w->trader, &status, WNOHANG) == w->trader) {
            w->trader = 0;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("rt-trader did not exit cleanly: status 0x%x", (unsigned)status);
            return;
        }
        rt_time_sleep_ms(50);
    }
    kill(w->trader, SIGKILL);
    waitpid(w->trader, &status, 0);
    w->trader = 0;
    fail_msg("rt-trader did not stop within 10 s of SIGTERM");
}

static int teardown(void **state)
{
    world_t *w = *state;
    if (w->trader > 0) { /* a failed test left it running */
        kill(w->trader, SIGKILL);
        waitpid(w->trader, NULL, 0);
    }
    rt_db_close(w->db);
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", w->dbname);
    rt_db_exec_script(w->maint, sql);
    rt_db_close(w->maint);
    rt_bus_free(w->bus);
    rt_test_proc_stop(&w->sim, 5000);
    free(w);
    return 0;
}

/* Starts rt-trader with the world's servers; fault is "" or a TRADER_FAULT point; extra is
 * NULL or NAME, VALUE, ..., NULL to set besides. */
static void start_trader_env(world_t *w, const char *fault, const char *const *extra)
{
    assert_int_equal(w->trader, 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("REDIS_HOST", w->redis_host, 1);
        setenv("REDIS_PORT", w->redis_port, 1);
        setenv("PGHOST", w->pghost, 1);
        setenv("PGPORT", w->pgport, 1);
        setenv("PGUSER", w->pguser, 1);
        setenv("PGPASSWORD", "", 1);
        setenv("PGDATABASE", w->dbname, 1);
        setenv("TRADING_MODE", "demo", 1);
        setenv("TRADE_QUANTITY", "0.001", 1);
        setenv("DEMO_BALANCES", "USDC=10000", 1);
        setenv("DEMO_FEE_RATE", "0.001", 1);
        setenv("DEMO_SLIPPAGE_BPS", "5", 1);
        setenv("TRADER_STREAM", w->stream, 1);
        char port[16];
        snprintf(port, sizeof port, "%d", w->http_port);
        setenv("TRADER_PORT", port, 1);
        setenv("API_TOKEN", w->token, 1);
        setenv("TRADER_FAULT", fault, 1);
        setenv("TRADER_RUN_SECONDS", "60", 1); /* never outlives a broken test */
        setenv("LOG_LEVEL", "INFO", 1);
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d", w->sim_port);
        setenv("EXCHANGE_REST_URL", url, 1);
        setenv("SYMBOLS", "BTCUSDC,DOGEUSDC", 1);
        for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2)
            setenv(extra[i], extra[i + 1], 1);
        execl(w->bin, w->bin, (char *)NULL);
        _exit(127);
    }
    w->trader = pid;
}

static void start_trader(world_t *w, const char *fault)
{
    start_trader_env(w, fault, NULL);
}

static int wait_trader_dead(world_t *w)
{
    int status = 0;
    for (int i = 0; i < 300; i++) {
        if (waitpid(w->trader, &status, WNOHANG) == w->trader) {
            w->trader = 0;
            return status;
        }
        rt_time_sleep_ms(50);
    }
    fail_msg("rt-trader did not reach its fault point within 15 s");
    return 0;
}

static int64_t query_int(world_t *w, const char *sql)
{
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(w->db, sql, 0, NULL, &res));
    int64_t v = -1;
    ASSERT_RC(RT_OK, rt_db_get_int64(res, 0, 0, &v));
    rt_db_result_free(res);
    return v;
}

static rt_money_t query_money(world_t *w, const char *sql)
{
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(w->db, sql, 0, NULL, &res));
    rt_money_t v = 0;
    if (rt_db_nrows(res) != 1)
        fail_msg("%s: expected one row, got %d", sql, rt_db_nrows(res));
    ASSERT_RC(RT_OK, rt_db_get_money(res, 0, 0, &v));
    rt_db_result_free(res);
    return v;
}

/* Polls until sql counts want, within 15 s. */
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

/* ---- REST API ------------------------------------------------------------------------------ */

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

/* One request to the trader's API; returns the status, *resp (malloc'd, may be NULL) the body. */
static long http(world_t *w, const char *method, const char *path, const char *body, size_t len,
                 bool auth, char **resp)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[256], hdr[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", w->http_port, path);
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", w->token);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (auth)
        h = curl_slist_append(h, hdr);
    body_t b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    long status = 0;
    CURLcode cc = curl_easy_perform(c);
    if (cc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (resp)
        *resp = b.data;
    else
        free(b.data);
    return status;
}

static long post_trade(world_t *w, const char *body, char **resp)
{
    return http(w, "POST", "/trade", body, strlen(body), true, resp);
}

static void wait_healthy(world_t *w)
{
    for (int i = 0; i < 300; i++) {
        if (http(w, "GET", "/health", NULL, 0, false, NULL) == 200)
            return;
        rt_time_sleep_ms(50);
    }
    fail_msg("rt-trader's /health did not answer 200 within 15 s");
}

static void publish_ticker_of(world_t *w, const char *symbol, const char *price)
{
    char json[160], channel[64];
    snprintf(json, sizeof json, "{\"symbol\":\"%s\",\"price\":%s,\"event_time\":%lld}", symbol,
             price, (long long)rt_time_now_ms());
    snprintf(channel, sizeof channel, "market:ticker:%s", symbol);
    assert_true(rt_bus_publish(w->bus, channel, json, strlen(json)) >= 0);
}

static void publish_ticker(world_t *w, const char *price)
{
    publish_ticker_of(w, "BTCUSDC", price);
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
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'NEW' AND type = "
                                  "'LIMIT' AND locked_asset = 'USDC'"),
                     1);
    ASSERT_MONEY(m("49.049"), query_money(w, "SELECT locked FROM orders"));
    ASSERT_MONEY(m("9950.951"), query_money(w, "SELECT free FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(m("49.049"), query_money(w, "SELECT locked FROM balances WHERE asset='USDC'"));
    return query_int(w, "SELECT id FROM orders");
}

/* The books after limit_buy filled: one MAKER trade at the limit price, the lock spent to the
 * cent, the position open with the order's levels. */
static void check_limit_buy_filled(world_t *w)
{
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'"), 1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades"), 1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades WHERE role = 'MAKER' AND demo"), 1);
    ASSERT_MONEY(m("49000"), query_money(w, "SELECT price FROM trades"));
    ASSERT_MONEY(m("0.001"), query_money(w, "SELECT quantity FROM trades"));
    ASSERT_MONEY(m("49"), query_money(w, "SELECT quote_quantity FROM trades"));
    ASSERT_MONEY(m("0.049"), query_money(w, "SELECT fee FROM trades"));
    ASSERT_MONEY(m("0.001"), query_money(w, "SELECT filled_quantity FROM orders"));
    ASSERT_MONEY(m("49000"), query_money(w, "SELECT avg_price FROM orders"));
    ASSERT_MONEY(m("9950.951"), query_money(w, "SELECT free FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(m("0"), query_money(w, "SELECT locked FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(m("0.001"), query_money(w, "SELECT free FROM balances WHERE asset='BTC'"));
    assert_int_equal(query_int(w, "SELECT count(*) FROM positions WHERE status = 'open'"), 1);
    ASSERT_MONEY(m("49000"), query_money(w, "SELECT entry_price FROM positions"));
    ASSERT_MONEY(m("0.001"), query_money(w, "SELECT quantity FROM positions"));
    ASSERT_MONEY(m("47000"), query_money(w, "SELECT stop_loss FROM positions"));
    ASSERT_MONEY(m("52000"), query_money(w, "SELECT take_profit FROM positions"));
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades t JOIN orders o ON o.id = "
                                  "t.order_id WHERE t.position_id = o.position_id"),
                     1);
}

static void test_limit_buy_rests_then_fills_once(void **state)
{
    world_t *w = *state;
    start_trader(w, "");
    wait_healthy(w);
    int64_t id = place_resting_buy(w);
    char *resp = NULL;
    assert_int_equal(http(w, "GET", "/orders?status=NEW", NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "\"filled_quantity\":0"));
    free(resp);
    /* above the limit: nothing */
    publish_ticker(w, "49500");
    publish_ticker(w, "49000.01");
    rt_time_sleep_ms(300);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades"), 0);
    /* through it: one fill at the limit price */
    publish_ticker(w, "48999.5");
    wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    publish_ticker(w, "48000");
    publish_ticker(w, "48999");
    rt_time_sleep_ms(300);
    check_limit_buy_filled(w);
    char path[64];
    snprintf(path, sizeof path, "/orders/%lld", (long long)id);
    resp = NULL;
    assert_int_equal(http(w, "GET", path, NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "\"status\":\"FILLED\""));
    assert_non_null(strstr(resp, "\"role\":\"MAKER\""));
    free(resp);
    /* a filled order is not cancellable */
    resp = NULL;
    assert_int_equal(http(w, "DELETE", path, NULL, 0, true, &resp), 409);
    assert_non_null(strstr(resp, "FILLED"));
    free(resp);
    resp = NULL;
    assert_int_equal(http(w, "GET", "/risk", NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "\"open_orders\":[]"));
    free(resp);
    stop_trader(w);
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
    start_trader(w, "");
    wait_healthy(w);
    long long t0 = (long long)(rt_time_now_ms() / 60000 * 60000);
    publish_ticker(w, "50000");
    publish_candle(w, t0, "48000", "50000"); /* the minute already traded at 48000 */
    rt_time_sleep_ms(300);
    place_resting_buy(w); /* BUY LIMIT 49000 */
    publish_candle(w, t0, "48000", "49500"); /* the same low again: not traded since */
    publish_candle(w, t0, "48500", "49400"); /* a stale update, low above the one seen */
    rt_time_sleep_ms(500);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades"), 0);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'NEW'"), 1);
    publish_candle(w, t0, "47900", "49200"); /* a new low: traded now, through the limit */
    wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    check_limit_buy_filled(w);
    stop_trader(w);
}

static void test_limit_cancel_unlocks(void **state)
{
    world_t *w = *state;
    rt_bus_opts_t bo;
    rt_bus_opts_init(&bo);
    bo.host = w->redis_host;
    bo.port = (int)strtol(w->redis_port, NULL, 10);
    rt_bus_sub_t *sub = NULL;
    ASSERT_RC(RT_OK, rt_bus_sub_new(&bo, &sub));
    ASSERT_RC(RT_OK, rt_bus_sub_subscribe(sub, "trader:events"));
    start_trader(w, "");
    wait_healthy(w);
    int64_t id = place_resting_buy(w);
    char path[64], *resp = NULL;
    assert_int_equal(http(w, "GET", "/risk", NULL, 0, false, &resp), 200);
    assert_non_null(strstr(resp, "\"open_orders\":[{"));
    assert_non_null(strstr(resp, "\"locked\":49.049"));
    free(resp);
    snprintf(path, sizeof path, "/orders/%lld", (long long)id);
    assert_int_equal(http(w, "DELETE", path, NULL, 0, false, NULL), 401);
    resp = NULL;
    assert_int_equal(http(w, "DELETE", path, NULL, 0, true, &resp), 200);
    assert_non_null(strstr(resp, "\"status\":\"CANCELED\""));
    free(resp);
    ASSERT_MONEY(m("10000"), query_money(w, "SELECT free FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(m("0"), query_money(w, "SELECT locked FROM balances WHERE asset='USDC'"));
    resp = NULL;
    assert_int_equal(http(w, "DELETE", path, NULL, 0, true, &resp), 409);
    assert_non_null(strstr(resp, "CANCELED"));
    free(resp);
    assert_int_equal(http(w, "DELETE", "/orders/999999", NULL, 0, true, NULL), 404);
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
    publish_ticker(w, "40000");
    rt_time_sleep_ms(300);
    stop_trader(w);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades"), 0);
    assert_int_equal(query_int(w, "SELECT count(*) FROM positions"), 0);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'CANCELED'"), 1);
    ASSERT_MONEY(m("10000"), query_money(w, "SELECT free FROM balances WHERE asset='USDC'"));
}

/* A resting order survives a clean restart, then a kill -9 inside its fill's transaction,
 * and fills exactly once afterwards. */
static void test_limit_survives_restart_and_kill(void **state)
{
    world_t *w = *state;
    start_trader(w, "");
    wait_healthy(w);
    place_resting_buy(w);
    stop_trader(w);
    start_trader(w, "before_limit_fill_commit");
    wait_healthy(w);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'NEW'"), 1);
    publish_ticker(w, "48500");
    int status = wait_trader_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* nothing of the fill was committed */
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'NEW'"), 1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades"), 0);
    ASSERT_MONEY(m("49.049"), query_money(w, "SELECT locked FROM balances WHERE asset='USDC'"));
    start_trader(w, "");
    wait_healthy(w);
    for (int i = 0; i < 100 && query_int(w, "SELECT count(*) FROM trades") == 0; i++) {
        publish_ticker(w, "48500"); /* until the restarted trader listens */
        rt_time_sleep_ms(50);
    }
    wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    publish_ticker(w, "48000");
    rt_time_sleep_ms(300);
    stop_trader(w);
    check_limit_buy_filled(w);
}

/* A kill -9 between the order row's commit and its placement: the restart places it (funds
 * locked once), and it fills once. */
static void test_limit_kill_after_commit(void **state)
{
    world_t *w = *state;
    start_trader(w, "after_order_commit");
    wait_healthy(w);
    char *resp = NULL;
    long st = post_when_ready(w, limit_buy, &resp); /* the trader dies answering it */
    free(resp);
    assert_true(st != 201);
    int status = wait_trader_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'PENDING'"), 1);
    ASSERT_MONEY(m("10000"), query_money(w, "SELECT free FROM balances WHERE asset='USDC'"));
    start_trader(w, "");
    wait_healthy(w);
    wait_count(w, "SELECT count(*) FROM orders WHERE status = 'NEW'", 1);
    ASSERT_MONEY(m("9950.951"), query_money(w, "SELECT free FROM balances WHERE asset='USDC'"));
    ASSERT_MONEY(m("49.049"), query_money(w, "SELECT locked FROM balances WHERE asset='USDC'"));
    for (int i = 0; i < 100 && query_int(w, "SELECT count(*) FROM trades") == 0; i++) {
        publish_ticker(w, "48500");
        rt_time_sleep_ms(50);
    }
    wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    stop_trader(w);
    check_limit_buy_filled(w);
}

/* A MARKET fill lands on the sim's tick (0.01) and step (0.00001): 54729.9 + 5 bps =
 * 54757.26495, up to 54757.27 for the BUY; 0.0012345 down to 0.00123. A limit price off the
 * tick is refused with PRICE_FILTER, not moved. */
static void test_filters_tick_and_step(void **state)
{
    world_t *w = *state;
    start_trader(w, "");
    wait_healthy(w);
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
        publish_ticker(w, "54729.9");
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
    stop_trader(w);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders"), 1);
    ASSERT_MONEY(m("54757.27"), query_money(w, "SELECT price FROM trades"));
    ASSERT_MONEY(m("0.00123"), query_money(w, "SELECT quantity FROM trades"));
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades WHERE price % 0.01 = 0 AND "
                                  "quantity % 0.00001 = 0 AND role = 'TAKER'"),
                     1);
}

/* Without the exchange's filters (the exchange unreachable), orders are refused with 503 and
 * the reason, never traded unrounded. */
static void test_no_filters_refuses(void **state)
{
    world_t *w = *state;
    static const char *const extra[] = {"EXCHANGE_REST_URL", "http://127.0.0.1:1", NULL};
    start_trader_env(w, "", extra);
    wait_healthy(w);
    publish_ticker(w, "50000");
    rt_time_sleep_ms(200);
    char *resp = NULL;
    long st = post_trade(w, limit_buy, &resp);
    if (st != 503 || !strstr(resp, "exchange filters not loaded"))
        fail_msg("no filters: %ld %s", st, resp ? resp : "");
    free(resp);
    stop_trader(w);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders"), 0);
}

/* One name in SYMBOLS the exchange does not list (-1121 for the whole batch): the others are
 * loaded one by one and trade; the unknown one is refused as unknown_symbol. */
static void test_unknown_symbol_in_symbols(void **state)
{
    world_t *w = *state;
    static const char *const extra[] = {"SYMBOLS", "BTCUSDC,NOPEUSDC,DOGEUSDC", NULL};
    start_trader_env(w, "", extra);
    wait_healthy(w);
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
    stop_trader(w);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_limit_buy_rests_then_fills_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_ignores_lows_before_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_cancel_unlocks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_survives_restart_and_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_kill_after_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters_tick_and_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_filters_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_symbol_in_symbols, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
