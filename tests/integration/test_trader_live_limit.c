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

#include <netinet/in.h>
#include <sys/socket.h>

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

/* One test's world: its own simulator, database, stream and trader process. */
typedef struct {
    const char *pghost, *pgport, *pguser, *maint_db, *redis_host, *redis_port;
    char dbname[64];
    char stream[96];
    char bin[1024], sim_bin[1024];
    char log_path[128];
    rt_db_t *maint;
    rt_db_t *db;
    rt_bus_t *bus;
    pid_t trader, sim;
    int http_port, sim_port;
    char token[40];
    char csv[128]; /* the price path the simulator replays */
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

/* Starts rt-exchange-sim on a free port (SIM_PORT=0: it prints the one it got). */
/* The price path, 1m candles at SIM_SPEED=60 (one a second): 2 of history, then BTCUSDC flat
 * at 60000 for 12 s, one candle down to 58000, then flat at 59000. A LIMIT BUY at 59500
 * rests for the first 12 s and fills (as maker) on the drop; one at 50000 never fills. */
static void write_csv(world_t *w)
{
    FILE *f = fopen(w->csv, "w");
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

/* Starts rt-exchange-sim on a free port (SIM_PORT=0: it prints the one it got). */
static void start_sim(world_t *w)
{
    write_csv(w);
    char replay[160];
    snprintf(replay, sizeof replay, "SIM_REPLAY_CSV=%s", w->csv);
    const char *const settings[] = {"SIM_PORT=0",
                                    "SIM_BIND=127.0.0.1",
                                    "SYMBOLS=BTCUSDC,ETHUSDC",
                                    "SIM_SPEED=60",
                                    "SIM_SEED=11",
                                    "SIM_HISTORY=2",
                                    replay,
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

static void stop_child(pid_t *pid, const char *what, bool must_be_clean)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGTERM);
    int status = 0;
    for (int i = 0; i < 200; i++) {
        if (waitpid(*pid, &status, WNOHANG) == *pid) {
            *pid = 0;
            if (must_be_clean && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
                fail_msg("%s did not exit cleanly: status 0x%x", what, (unsigned)status);
            return;
        }
        rt_time_sleep_ms(50);
    }
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
    *pid = 0;
    fail_msg("%s did not stop within 10 s of SIGTERM", what);
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
    snprintf(w->sim_bin, sizeof w->sim_bin, "%s/bin/rt-exchange-sim", bindir);
    assert_int_equal(access(w->bin, X_OK), 0);
    assert_int_equal(access(w->sim_bin, X_OK), 0);
    seq++;
    snprintf(w->dbname, sizeof w->dbname, "rt_test_trllim_%ld_%u", (long)getpid(), seq);
    snprintf(w->stream, sizeof w->stream, "signals:testlivelim:%ld:%u", (long)getpid(), seq);
    snprintf(w->log_path, sizeof w->log_path, "/tmp/rt_test_trllim_%ld_%u.log", (long)getpid(),
             seq);
    w->http_port = free_port();
    snprintf(w->csv, sizeof w->csv, "/tmp/rt_test_trllim_%ld_%u.csv", (long)getpid(), seq);
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
    ASSERT_RC(RT_OK, rt_exrest_global_init());
    start_sim(w);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world_t *w = *state;
    if (w->trader > 0) { /* a failed test left it running */
        kill(w->trader, SIGKILL);
        waitpid(w->trader, NULL, 0);
    }
    if (w->sim > 0) {
        kill(w->sim, SIGTERM);
        waitpid(w->sim, NULL, 0);
    }
    rt_db_close(w->db);
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\"", w->dbname);
    rt_db_exec_script(w->maint, sql);
    rt_db_close(w->maint);
    rt_bus_free(w->bus);
    unlink(w->log_path);
    unlink(w->csv);
    free(w);
    return 0;
}

/* Starts rt-trader in live mode against the world's simulator; stderr goes to log_path. */
static void start_trader(world_t *w, const char *fault, bool keys)
{
    assert_int_equal(w->trader, 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = freopen(w->log_path, "w", stderr);
        (void)f;
        setenv("REDIS_HOST", w->redis_host, 1);
        setenv("REDIS_PORT", w->redis_port, 1);
        setenv("PGHOST", w->pghost, 1);
        setenv("PGPORT", w->pgport, 1);
        setenv("PGUSER", w->pguser, 1);
        setenv("PGPASSWORD", "", 1);
        setenv("PGDATABASE", w->dbname, 1);
        setenv("TRADING_MODE", "live", 1);
        setenv("EXCHANGE", "sim", 1);
        setenv("EXCHANGE_REST_URL", "", 1);
        char port[16];
        snprintf(port, sizeof port, "%d", w->sim_port);
        setenv("SIM_PORT", port, 1);
        setenv("SYMBOLS", "BTCUSDC,ETHUSDC", 1);
        setenv("BINANCE_API_KEY", keys ? KEY : "", 1);
        setenv("BINANCE_SECRET_KEY", keys ? SECRET : "", 1);
        setenv("TRADE_QUANTITY", "0.001", 1);
        setenv("TRADER_STREAM", w->stream, 1);
        snprintf(port, sizeof port, "%d", w->http_port);
        setenv("TRADER_PORT", port, 1);
        setenv("API_TOKEN", w->token, 1);
        setenv("TRADER_FAULT", fault, 1);
        setenv("TRADER_RUN_SECONDS", "60", 1); /* never outlives a broken test */
        setenv("LOG_LEVEL", "INFO", 1);
        execl(w->bin, w->bin, (char *)NULL);
        _exit(127);
    }
    w->trader = pid;
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
    fail_msg("rt-trader did not die within 15 s");
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
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", w->http_port, path);
    snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", w->token);
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
        if (waitpid(w->trader, NULL, WNOHANG) == w->trader) {
            w->trader = 0;
            size_t len = 0;
            char *log = rt_test_read_file(w->log_path, &len);
            fail_msg("rt-trader died at start; its log:\n%s", log ? log : "(none)");
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
    assert_true(rt_bus_publish(w->bus, "market:ticker:BTCUSDC", json, strlen(json)) >= 0);
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

/* ---- tests ---------------------------------------------------------------------------------- */

static const char limit_buy[] = "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\","
                                "\"quantity\":\"0.001\",\"price\":\"59500\"}";

/* Places limit_buy while the sim is at 60000: it rests at the exchange. */
static void place_resting(world_t *w, const char *body)
{
    char *resp = NULL;
    long st = post_trade(w, "60000", body, &resp);
    if (st != 201)
        fail_msg("LIMIT BUY: %ld %s", st, resp ? resp : "");
    if (!strstr(resp, "\"status\":\"NEW\""))
        fail_msg("LIMIT BUY not resting: %s", resp);
    free(resp);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'NEW' AND type = "
                                  "'LIMIT' AND NOT demo AND exchange_order_id IS NOT NULL"),
                     1);
}

/* The books after limit_buy filled at the sim: one MAKER trade at 59500 with the sim's trade
 * id and commission (0.1% in BTC), the order FILLED, the position holding what came in. */
static void check_filled_once(world_t *w)
{
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'"), 1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades"), 1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades WHERE role = 'MAKER' AND NOT demo "
                                  "AND exchange_trade_id IS NOT NULL AND fee_asset = 'BTC' AND "
                                  "position_id IS NOT NULL"),
                     1);
    ASSERT_MONEY(m("59500"), query_money(w, "SELECT price FROM trades"));
    ASSERT_MONEY(m("0.001"), query_money(w, "SELECT quantity FROM trades"));
    ASSERT_MONEY(m("59.5"), query_money(w, "SELECT quote_quantity FROM trades"));
    ASSERT_MONEY(m("0.000001"), query_money(w, "SELECT fee FROM trades"));
    ASSERT_MONEY(m("0.001"), query_money(w, "SELECT filled_quantity FROM orders"));
    ASSERT_MONEY(m("59500"), query_money(w, "SELECT avg_price FROM orders"));
    assert_int_equal(query_int(w, "SELECT count(*) FROM positions WHERE status = 'open' AND NOT "
                                  "demo"),
                     1);
    ASSERT_MONEY(m("0.000999"), query_money(w, "SELECT quantity FROM positions"));
    ASSERT_MONEY(m("59500"), query_money(w, "SELECT entry_price FROM positions"));
    ASSERT_MONEY(m("0.000999"), sim_free(w, "BTC"));
    ASSERT_MONEY(m("9940.5"), sim_free(w, "USDC"));
}

static void test_live_limit_rests_then_fills(void **state)
{
    world_t *w = *state;
    start_trader(w, "", true);
    wait_healthy(w);
    place_resting(w, limit_buy);
    /* the sim holds the funds while it rests */
    ASSERT_MONEY(m("9940.5"), sim_free(w, "USDC"));
    /* the price comes down through 59500 after ~12 s; the trader follows every 2 s */
    for (int i = 0; i < 30 && query_int(w, "SELECT count(*) FROM trades") == 0; i++)
        rt_time_sleep_ms(1000);
    wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    rt_time_sleep_ms(2500); /* one more follow round: nothing more */
    check_filled_once(w);
    stop_child(&w->trader, "rt-trader", true);
    start_trader(w, "", true); /* a restart books nothing again */
    wait_healthy(w);
    rt_time_sleep_ms(2500);
    stop_child(&w->trader, "rt-trader", true);
    check_filled_once(w);
}

static void test_live_limit_cancel(void **state)
{
    world_t *w = *state;
    start_trader(w, "", true);
    wait_healthy(w);
    place_resting(w, "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\","
                     "\"quantity\":\"0.001\",\"price\":\"50000\"}");
    assert_true(sim_free(w, "USDC") < m("10000"));
    char path[64], *resp = NULL;
    snprintf(path, sizeof path, "/orders/%lld", (long long)query_int(w, "SELECT id FROM orders"));
    assert_int_equal(http(w, "DELETE", path, NULL, &resp), 200);
    if (!strstr(resp, "\"status\":\"CANCELED\""))
        fail_msg("cancel: %s", resp);
    free(resp);
    ASSERT_MONEY(m("10000"), sim_free(w, "USDC"));
    resp = NULL;
    assert_int_equal(http(w, "DELETE", path, NULL, &resp), 409);
    assert_non_null(strstr(resp, "CANCELED"));
    free(resp);
    stop_child(&w->trader, "rt-trader", true);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'CANCELED' AND "
                                  "filled_quantity = 0"),
                     1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades"), 0);
    assert_int_equal(query_int(w, "SELECT count(*) FROM positions"), 0);
}

/* The order fills at the exchange while the trader is down; the first restart is killed inside
 * the booking transaction; the next books it, once. */
static void test_live_limit_fills_while_down(void **state)
{
    world_t *w = *state;
    start_trader(w, "", true);
    wait_healthy(w);
    place_resting(w, limit_buy);
    stop_child(&w->trader, "rt-trader", true);
    for (int i = 0; i < 30 && sim_free(w, "BTC") == 0; i++) /* the drop, at the sim */
        rt_time_sleep_ms(1000);
    ASSERT_MONEY(m("0.000999"), sim_free(w, "BTC"));
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'NEW'"), 1);
    start_trader(w, "before_live_follow_commit", true);
    int status = wait_trader_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'NEW'"), 1);
    assert_int_equal(query_int(w, "SELECT count(*) FROM trades"), 0);
    start_trader(w, "", true);
    wait_healthy(w);
    wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    rt_time_sleep_ms(2500);
    stop_child(&w->trader, "rt-trader", true);
    check_filled_once(w);
}

/* A kill -9 right after the LIMIT was sent (the row still PENDING): the restart only looks it
 * up, finds it resting, follows it, and books its fill once. */
static void test_live_limit_kill_after_send(void **state)
{
    world_t *w = *state;
    start_trader(w, "after_send", true);
    wait_healthy(w);
    char *resp = NULL;
    long st = post_trade(w, "60000", limit_buy, &resp); /* the trader dies answering it */
    free(resp);
    assert_true(st != 201);
    int status = wait_trader_dead(w);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(query_int(w, "SELECT count(*) FROM orders WHERE status = 'PENDING'"), 1);
    start_trader(w, "", true);
    wait_healthy(w);
    wait_count(w, "SELECT count(*) FROM orders WHERE status IN ('NEW', 'FILLED') AND "
                  "exchange_order_id IS NOT NULL",
               1);
    for (int i = 0; i < 30 && query_int(w, "SELECT count(*) FROM trades") == 0; i++)
        rt_time_sleep_ms(1000);
    wait_count(w, "SELECT count(*) FROM orders WHERE status = 'FILLED'", 1);
    rt_time_sleep_ms(2500);
    stop_child(&w->trader, "rt-trader", true);
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
