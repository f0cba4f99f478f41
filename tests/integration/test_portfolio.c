/* rt-portfolio against a real PostgreSQL and Redis (RT_TEST_* from the harness): a fresh
 * database is created and migrated, books are seeded with known numbers, build/bin/rt-portfolio
 * runs as a subprocess on a free port, and every endpoint is checked over HTTP: paging
 * boundaries, filters, PnL sums equal to the trades and positions they come from, bad
 * parameters (400 naming the parameter), the forming candle and the persistence of closed ones,
 * and the SSE stream (an event published on Redis reaches a client). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "rt/bus.h"
#include "rt/db.h"
#include "rt/db_migrate.h"
#include "rt/err.h"
#include "rt/money.h"
#include "rt/time.h"
#include "rt_test.h"
#include "rt_test_trader.h"

#define NPOS 40    /* positions seeded; the last OPEN_POS stay open */
#define OPEN_POS 2
#define NCANDLES 10
#define NSNAP 3

struct env {
    const char *pghost, *pgport, *pguser, *maint_db, *redis_host, *redis_port;
    char dbname[64];
    rt_db_t *maint, *db;
    rt_bus_t *bus;
    pid_t pid;
    int port;
    char base[64];
    int64_t t0; /* ms: the first seeded trade */
    /* what the seed should add up to */
    int ntrades, ntrades_sym[2], ntrades_manual, ntrades_rsi_btc;
    rt_money_t realized_sym[2], buy_sym[2], sell_sym[2], realized_total;
    int wins, closed;
};

static const char *const SYMS[2] = {"BTCUSDC", "ETHUSDC"};

static const char *strategy_of(int i)
{
    return i % 3 == 0 ? NULL : (i % 3 == 1 ? "RSI_Strategy" : "EMA_Cross");
}

/* ---- small helpers ---- */

static void money_text(rt_money_t v, char *buf, size_t cap)
{
    assert_true(rt_money_format(v, buf, cap) > 0);
}

static void exec_sql(rt_db_t *db, const char *sql, int n, const char *const *v)
{
    ASSERT_RC(RT_OK, rt_db_exec(db, sql, n, v, NULL));
}

typedef struct {
    char *data;
    size_t len;
    const char *stop_at; /* SSE: stop reading once this appears */
} buf_t;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    buf_t *b = ud;
    size_t k = size * n;
    char *d = realloc(b->data, b->len + k + 1);
    if (!d)
        return 0;
    memcpy(d + b->len, p, k);
    b->len += k;
    d[b->len] = '\0';
    b->data = d;
    if (b->stop_at && strstr(b->data, b->stop_at))
        return 0; /* seen: end the transfer */
    return k;
}

/* GET base+path; returns the status, *body the parsed JSON (caller json_decref). */
static long http_get(const struct env *e, const char *path, json_t **body)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", e->base, path);
    buf_t b = {0};
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (cc != CURLE_OK)
        fail_msg("GET %s: %s", path, curl_easy_strerror(cc));
    json_error_t err;
    json_t *j = b.data ? json_loads(b.data, JSON_DECODE_ANY, &err) : NULL;
    if (body) {
        if (!j && status != 200 && strstr(path, "/metrics") == NULL)
            fail_msg("GET %s: %ld, body not JSON: %s", path, status, b.data ? b.data : "");
        *body = j;
    } else {
        json_decref(j);
    }
    free(b.data);
    return status;
}

static json_t *get_ok(const struct env *e, const char *path)
{
    json_t *j = NULL;
    long st = http_get(e, path, &j);
    if (st != 200 || !j)
        fail_msg("GET %s: expected 200 with JSON, got %ld", path, st);
    return j;
}

/* A JSON number read back as money (values here have few digits: exact through double). */
static rt_money_t jmoney(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("field %s: not a number", key);
    rt_money_t m;
    ASSERT_RC(RT_OK, rt_money_from_double(json_number_value(v), &m));
    return m;
}

static int64_t jint(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("field %s: not an integer", key);
    return (int64_t)json_integer_value(v);
}

/* ---- seed ---- */

static void seed(struct env *e)
{
    rt_db_t *db = e->db;
    e->t0 = rt_time_now_ms() - 3 * 3600 * 1000;
    char ts[32], ts2[32], entry[32], exitp[32], qty[32], pnl[32], fee[32], bq[32], sq[32];
    const char *sql_ms = "'epoch'::timestamptz + $1::bigint * interval '1 millisecond'";
    (void)sql_ms;
    for (int i = 1; i <= NPOS; i++) {
        int s = i % 2 ? 0 : 1;
        const char *strat = strategy_of(i);
        bool open = i > NPOS - OPEN_POS;
        rt_money_t ep = RT_MONEY_UNITS(100 + i), q = RT_MONEY_UNITS(1) / 2;
        rt_money_t xp = ep + (i % 4 == 0 ? -RT_MONEY_UNITS(3) : RT_MONEY_UNITS(2));
        rt_money_t f = RT_MONEY_UNITS(1) / 100; /* 0.01 quote of fees per closed position */
        rt_money_t buy_quote, sell_quote, r;
        ASSERT_RC(RT_OK, rt_money_mul(ep, q, RT_ROUND_NEAREST, &buy_quote));
        ASSERT_RC(RT_OK, rt_money_mul(xp, q, RT_ROUND_NEAREST, &sell_quote));
        r = open ? 0 : sell_quote - buy_quote - f;
        int64_t tb = e->t0 + (int64_t)i * 120000, tsell = tb + 60000;
        if (i == NPOS)
            tb = e->t0 + (int64_t)(NPOS - 1) * 120000; /* same time as the one before: id decides */
        snprintf(ts, sizeof ts, "%lld", (long long)tb);
        snprintf(ts2, sizeof ts2, "%lld", (long long)tsell);
        money_text(ep, entry, sizeof entry);
        money_text(xp, exitp, sizeof exitp);
        money_text(q, qty, sizeof qty);
        money_text(r, pnl, sizeof pnl);
        money_text(open ? 0 : f, fee, sizeof fee);
        money_text(buy_quote, bq, sizeof bq);
        money_text(sell_quote, sq, sizeof sq);
        rt_db_result_t *res = NULL;
        const char *pv[] = {SYMS[s], strat, open ? "open" : "closed", entry, open ? qty : "0", qty,
                            open ? NULL : exitp, pnl, fee, ts, open ? NULL : ts2};
        ASSERT_RC(RT_OK, rt_db_exec(db,
                                    "INSERT INTO positions (symbol, strategy, status, entry_price, "
                                    "quantity, initial_quantity, exit_price, realized_pnl, fees, "
                                    "stop_loss, take_profit, opened_at, closed_at) VALUES "
                                    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $4::numeric - 5, "
                                    "$4::numeric + 5, 'epoch'::timestamptz + $10::bigint * "
                                    "interval '1 millisecond', 'epoch'::timestamptz + "
                                    "$11::bigint * interval '1 millisecond') RETURNING id",
                                    11, pv, &res));
        const char *pid = rt_db_get_text(res, 0, 0);
        const char *tv[] = {SYMS[s], "BUY", entry, qty, bq, ts, strat, pid};
        exec_sql(db,
                 "INSERT INTO trades (symbol, side, price, quantity, quote_quantity, timestamp, "
                 "strategy, position_id) VALUES ($1, $2, $3, $4, $5, 'epoch'::timestamptz + "
                 "$6::bigint * interval '1 millisecond', $7, $8)",
                 8, tv);
        e->ntrades++;
        e->ntrades_sym[s]++;
        e->buy_sym[s] += buy_quote;
        if (!strat)
            e->ntrades_manual++;
        if (strat && strcmp(strat, "RSI_Strategy") == 0 && s == 0)
            e->ntrades_rsi_btc++;
        if (!open) {
            const char *sv[] = {SYMS[s], "SELL", exitp, qty, sq, ts2, strat, pid};
            exec_sql(db,
                     "INSERT INTO trades (symbol, side, price, quantity, quote_quantity, "
                     "timestamp, strategy, position_id) VALUES ($1, $2, $3, $4, $5, "
                     "'epoch'::timestamptz + $6::bigint * interval '1 millisecond', $7, $8)",
                     8, sv);
            e->ntrades++;
            e->ntrades_sym[s]++;
            e->sell_sym[s] += sell_quote;
            if (!strat)
                e->ntrades_manual++;
            if (strat && strcmp(strat, "RSI_Strategy") == 0 && s == 0)
                e->ntrades_rsi_btc++;
            e->realized_sym[s] += r;
            e->realized_total += r;
            e->closed++;
            if (r > 0)
                e->wins++;
        }
        rt_db_result_free(res);
    }
    exec_sql(db, "INSERT INTO balances (asset, free, locked) VALUES ('USDC', 10000.5, 0), "
                 "('BTC', 0.25, 0.05)", 0, NULL);
    /* candles of BTCUSDC 1m, the last NCANDLES minutes before the current one */
    int64_t now_min = rt_time_now_ms() / 60000 * 60000;
    for (int i = NCANDLES; i >= 1; i--) {
        char ot[32], px[32];
        snprintf(ot, sizeof ot, "%lld", (long long)(now_min - (int64_t)i * 60000));
        snprintf(px, sizeof px, "%d.5", 50000 + i);
        const char *cv[] = {ot, px};
        exec_sql(db,
                 "INSERT INTO candles (symbol, interval, open_time, close_time, open, high, low, "
                 "close, volume) VALUES ('BTCUSDC', '1m', 'epoch'::timestamptz + $1::bigint * "
                 "interval '1 millisecond', 'epoch'::timestamptz + ($1::bigint + 59999) * "
                 "interval '1 millisecond', $2, $2::numeric + 10, $2::numeric - 10, $2, 1.5)",
                 2, cv);
    }
    for (int i = 0; i < NSNAP; i++) {
        char t[32];
        snprintf(t, sizeof t, "%lld", (long long)(rt_time_now_ms() - (int64_t)(NSNAP - i) * 60000));
        const char *v[] = {t};
        exec_sql(db,
                 "INSERT INTO balance_snapshots (ts, asset, quote_value, total_quote, "
                 "quote_asset) VALUES ('epoch'::timestamptz + $1::bigint * interval "
                 "'1 millisecond', '*', 10000, 10000, 'USDC')",
                 1, v);
    }
    exec_sql(db,
             "INSERT INTO signals (id, strategy, symbol, interval, side, price, signal_time, "
             "outcome, reason_code, client_order_id) VALUES "
             "('s1', 'RSI_Strategy', 'BTCUSDC', '1m', 'BUY', 50000, now() - interval '3 min', "
             "'accepted', NULL, 'c1'), "
             "('s2', 'RSI_Strategy', 'ETHUSDC', '1m', 'SELL', 3000, now() - interval '2 min', "
             "'rejected', 'max_positions', NULL), "
             "('s3', 'EMA_Cross', 'BTCUSDC', '1m', 'BUY', 50010, now() - interval '1 min', "
             "'pending', NULL, NULL)",
             0, NULL);
}

/* ---- the service ---- */

static void start_service(struct env *e)
{
    char bin[1024];
    const char *bdir = getenv("RT_BINARY_DIR");
    assert_non_null(bdir);
    snprintf(bin, sizeof bin, "%s/bin/rt-portfolio", bdir);
    if (access(bin, X_OK) != 0)
        fail_msg("%s is not built", bin);
    e->port = rt_test_free_port();
    snprintf(e->base, sizeof e->base, "http://127.0.0.1:%d", e->port);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char port[16];
        snprintf(port, sizeof port, "%d", e->port);
        setenv("PGHOST", e->pghost, 1);
        setenv("PGPORT", e->pgport, 1);
        setenv("PGUSER", e->pguser, 1);
        setenv("PGDATABASE", e->dbname, 1);
        setenv("PGPASSWORD", "", 1);
        setenv("REDIS_HOST", e->redis_host, 1);
        setenv("REDIS_PORT", e->redis_port, 1);
        setenv("PORTFOLIO_PORT", port, 1);
        setenv("PORTFOLIO_BIND", "127.0.0.1", 1);
        setenv("SYMBOLS", "BTCUSDC,ETHUSDC", 1);
        setenv("INTERVAL", "1m", 1);
        setenv("TRADING_MODE", "demo", 1);
        setenv("QUOTE_ASSET", "USDC", 1);
        setenv("SSE_THROTTLE_MS", "0", 1);
        setenv("LOG_LEVEL", "warn", 1);
        if (chdir("/tmp") != 0) /* no stray .env */
            _exit(126);
        execl(bin, bin, (char *)NULL);
        _exit(127);
    }
    e->pid = pid;
    for (int i = 0; i < 100; i++) {
        json_t *j = NULL;
        char url[128];
        snprintf(url, sizeof url, "%s/health", e->base);
        CURL *c = curl_easy_init();
        buf_t b = {0};
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 2L);
        long st = 0;
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
        curl_easy_cleanup(c);
        free(b.data);
        json_decref(j);
        if (st == 200)
            return;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail_msg("rt-portfolio exited at start (status %d)", status);
        rt_time_sleep_ms(100);
    }
    fail_msg("rt-portfolio not healthy within 10 s");
}

static void stop_service(struct env *e)
{
    if (e->pid <= 0)
        return;
    kill(e->pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        int status;
        if (waitpid(e->pid, &status, WNOHANG) == e->pid) {
            e->pid = 0;
            return;
        }
        rt_time_sleep_ms(100);
    }
    kill(e->pid, SIGKILL);
    waitpid(e->pid, NULL, 0);
    e->pid = 0;
}

static int setup(void **state)
{
    static struct env e;
    memset(&e, 0, sizeof e);
    e.pghost = rt_test_require_env("RT_TEST_PGHOST");
    e.pgport = rt_test_require_env("RT_TEST_PGPORT");
    e.pguser = rt_test_require_env("RT_TEST_PGUSER");
    e.maint_db = rt_test_require_env("RT_TEST_PGDATABASE");
    e.redis_host = rt_test_require_env("RT_TEST_REDIS_HOST");
    e.redis_port = rt_test_require_env("RT_TEST_REDIS_PORT");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char ci[512];
    snprintf(ci, sizeof ci, "host=%s port=%s user=%s dbname=%s", e.pghost, e.pgport, e.pguser,
             e.maint_db);
    rt_db_opts_t o = {.attempts = 3, .backoff_ms = 100};
    ASSERT_RC(RT_OK, rt_db_connect(ci, &o, &e.maint));
    snprintf(e.dbname, sizeof e.dbname, "rt_test_pf_%ld_%lld", (long)getpid(),
             (long long)(rt_time_now_ms() % 100000000));
    char sql[160];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", e.dbname); /* a name we generate */
    ASSERT_RC(RT_OK, rt_db_exec_script(e.maint, sql));
    snprintf(ci, sizeof ci, "host=%s port=%s user=%s dbname=%s", e.pghost, e.pgport, e.pguser,
             e.dbname);
    ASSERT_RC(RT_OK, rt_db_connect(ci, &o, &e.db));
    char mig[1024], why[256] = "";
    rt_test_source_path(mig, sizeof mig, "db/migrations");
    if (rt_db_migrate(e.db, mig, NULL, NULL, why, sizeof why) != 0)
        fail_msg("migrate: %s", why);
    seed(&e);
    rt_bus_opts_t bo;
    rt_bus_opts_init(&bo);
    bo.host = e.redis_host;
    bo.port = (int)strtol(e.redis_port, NULL, 10);
    ASSERT_RC(RT_OK, rt_bus_new(&bo, &e.bus));
    start_service(&e);
    *state = &e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    if (!e)
        return 0;
    stop_service(e);
    rt_bus_free(e->bus);
    rt_db_close(e->db);
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", e->dbname);
    (void)rt_db_exec_script(e->maint, sql);
    rt_db_close(e->maint);
    curl_global_cleanup();
    return 0;
}

/* ---- tests ---- */

static void test_health_metrics(void **state)
{
    struct env *e = *state;
    json_t *j = get_ok(e, "/health");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
    assert_int_equal(http_get(e, "/metrics", NULL), 200);
    assert_int_equal(http_get(e, "/nope", NULL), 404);
}

static void test_summary(void **state)
{
    struct env *e = *state;
    json_t *j = get_ok(e, "/portfolio/summary");
    assert_string_equal(json_string_value(json_object_get(j, "mode")), "demo");
    assert_int_equal(jint(j, "trade_count"), e->ntrades);
    ASSERT_MONEY(e->realized_total, jmoney(j, "realized_pnl"));
    assert_int_equal(jint(j, "closed_positions"), e->closed);
    assert_int_equal(jint(j, "wins"), e->wins);
    assert_int_equal(jint(j, "open_positions"), OPEN_POS);
    ASSERT_MONEY(RT_MONEY_UNITS(100005) / 10, jmoney(j, "cash"));
    /* invested: the open positions' cost, 0.5 * (100 + i) for the last two */
    rt_money_t inv = 0;
    for (int i = NPOS - OPEN_POS + 1; i <= NPOS; i++)
        inv += RT_MONEY_UNITS(100 + i) / 2;
    ASSERT_MONEY(inv, jmoney(j, "invested"));
    json_decref(j);
}

static void test_trades_paging(void **state)
{
    struct env *e = *state;
    json_t *j = get_ok(e, "/portfolio/trades?limit=50&page=1");
    json_t *rows = json_object_get(j, "trades");
    assert_int_equal(jint(j, "total"), e->ntrades);
    assert_int_equal(jint(j, "pages"), (e->ntrades + 49) / 50);
    assert_int_equal(json_array_size(rows), 50);
    int64_t prev_t = INT64_MAX, prev_id = INT64_MAX;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *r = json_array_get(rows, i);
        int64_t t = jint(r, "time"), id = jint(r, "id");
        assert_true(t < prev_t || (t == prev_t && id < prev_id)); /* newest first, id tie-break */
        prev_t = t;
        prev_id = id;
    }
    json_decref(j);
    j = get_ok(e, "/portfolio/trades?limit=50&page=2");
    assert_int_equal(json_array_size(json_object_get(j, "trades")), (size_t)(e->ntrades - 50));
    json_decref(j);
    j = get_ok(e, "/portfolio/trades?limit=50&page=3");
    assert_int_equal(json_array_size(json_object_get(j, "trades")), 0);
    json_decref(j);
    char path[96];
    snprintf(path, sizeof path, "/portfolio/trades?limit=%d", e->ntrades);
    j = get_ok(e, path);
    assert_int_equal(json_array_size(json_object_get(j, "trades")), (size_t)e->ntrades);
    assert_int_equal(jint(j, "pages"), 1);
    json_decref(j);
    j = get_ok(e, "/portfolio/trades?limit=1&page=1");
    assert_int_equal(json_array_size(json_object_get(j, "trades")), 1);
    assert_int_equal(jint(j, "pages"), e->ntrades);
    json_decref(j);
}

static void test_trades_filters(void **state)
{
    struct env *e = *state;
    json_t *j = get_ok(e, "/portfolio/trades?symbol=ethusdc&limit=500");
    json_t *rows = json_object_get(j, "trades");
    assert_int_equal(jint(j, "total"), e->ntrades_sym[1]);
    assert_int_equal(json_array_size(rows), (size_t)e->ntrades_sym[1]);
    for (size_t i = 0; i < json_array_size(rows); i++)
        assert_string_equal(json_string_value(json_object_get(json_array_get(rows, i), "symbol")),
                            "ETHUSDC");
    json_decref(j);
    j = get_ok(e, "/portfolio/trades?strategy=manual&limit=500");
    rows = json_object_get(j, "trades");
    assert_int_equal(jint(j, "total"), e->ntrades_manual);
    for (size_t i = 0; i < json_array_size(rows); i++)
        assert_true(json_is_null(json_object_get(json_array_get(rows, i), "strategy")));
    json_decref(j);
    j = get_ok(e, "/portfolio/trades?strategy=RSI_Strategy&symbol=BTCUSDC&limit=500");
    assert_int_equal(jint(j, "total"), e->ntrades_rsi_btc);
    assert_int_equal(json_array_size(json_object_get(j, "trades")), (size_t)e->ntrades_rsi_btc);
    json_decref(j);
    j = get_ok(e, "/portfolio/trades?symbol=XRPUSDC");
    assert_int_equal(jint(j, "total"), 0);
    assert_int_equal(json_array_size(json_object_get(j, "trades")), 0);
    json_decref(j);
}

static void test_bad_parameters(void **state)
{
    struct env *e = *state;
    static const struct {
        const char *path, *param;
    } cases[] = {
        {"/portfolio/trades?limit=0", "limit"},
        {"/portfolio/trades?limit=501", "limit"},
        {"/portfolio/trades?limit=abc", "limit"},
        {"/portfolio/trades?page=0", "page"},
        {"/portfolio/trades?page=1.5", "page"},
        {"/portfolio/trades?symbol=BTC-USDC", "symbol"},
        {"/portfolio/trades?strategy=a%20b", "strategy"},
        {"/portfolio/positions?status=maybe", "status"},
        {"/portfolio/positions?limit=-1", "limit"},
        {"/portfolio/pnl?by=day", "by"},
        {"/portfolio/equity?since=yesterday", "since"},
        {"/portfolio/equity?limit=10001", "limit"},
        {"/market/candles?interval=7m", "interval"},
        {"/market/candles?symbol=%27%3B--", "symbol"},
        {"/market/candles?limit=1001", "limit"},
        {"/signals?limit=0", "limit"},
        {"/signals?strategy=manual", "strategy"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *j = NULL;
        long st = http_get(e, cases[i].path, &j);
        if (st != 400)
            fail_msg("%s: expected 400, got %ld", cases[i].path, st);
        const char *detail = json_string_value(json_object_get(j, "detail"));
        if (!detail || !strstr(detail, cases[i].param))
            fail_msg("%s: detail \"%s\" does not name %s", cases[i].path, detail ? detail : "",
                     cases[i].param);
        json_decref(j);
    }
}

static void test_positions(void **state)
{
    struct env *e = *state;
    json_t *j = get_ok(e, "/portfolio/positions");
    json_t *rows = json_object_get(j, "positions");
    assert_int_equal(json_array_size(rows), OPEN_POS);
    json_t *p = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(p, "status")), "open");
    assert_true(json_is_number(json_object_get(p, "stop_loss")));
    json_decref(j);
    j = get_ok(e, "/portfolio/positions?status=closed&limit=500");
    rows = json_object_get(j, "positions");
    assert_int_equal(json_array_size(rows), (size_t)e->closed);
    rt_money_t sum = 0;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        p = json_array_get(rows, i);
        rt_money_t r = jmoney(p, "realized_pnl"), ep = jmoney(p, "entry_price");
        sum += r;
        /* % = realized / (entry * initial quantity) * 100, 4 decimals */
        rt_money_t cost, pct;
        ASSERT_RC(RT_OK, rt_money_mul(ep, jmoney(p, "initial_quantity"), RT_ROUND_NEAREST, &cost));
        ASSERT_RC(RT_OK, rt_money_mul_frac(r, 100, 1, RT_ROUND_NEAREST, &r));
        ASSERT_RC(RT_OK, rt_money_div(r, cost, RT_ROUND_NEAREST, &pct));
        ASSERT_RC(RT_OK, rt_money_round_step(pct, RT_MONEY_SCALE / 10000, RT_ROUND_NEAREST, &pct));
        ASSERT_MONEY(pct, jmoney(p, "pnl_pct"));
    }
    ASSERT_MONEY(e->realized_total, sum);
    json_decref(j);
    j = get_ok(e, "/portfolio/positions?status=closed&symbol=BTCUSDC&limit=1");
    assert_int_equal(json_array_size(json_object_get(j, "positions")), 1);
    json_decref(j);
}

static void test_pnl_sums(void **state)
{
    struct env *e = *state;
    json_t *j = get_ok(e, "/portfolio/pnl?by=symbol");
    json_t *rows = json_object_get(j, "rows");
    assert_int_equal(json_array_size(rows), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *r = json_array_get(rows, i);
        const char *sym = json_string_value(json_object_get(r, "symbol"));
        int s = strcmp(sym, SYMS[0]) == 0 ? 0 : 1;
        assert_int_equal(jint(r, "trade_count"), e->ntrades_sym[s]);
        ASSERT_MONEY(e->realized_sym[s], jmoney(r, "realized_pnl"));
        ASSERT_MONEY(e->buy_sym[s], jmoney(r, "buy_volume"));
        ASSERT_MONEY(e->sell_sym[s], jmoney(r, "sell_volume"));
        ASSERT_MONEY(e->sell_sym[s] - e->buy_sym[s], jmoney(r, "net_flow"));
    }
    json_decref(j);
    /* by strategy: the rows add up to the same totals, and to the trades table itself */
    j = get_ok(e, "/portfolio/pnl?by=strategy");
    rows = json_object_get(j, "rows");
    assert_int_equal(json_array_size(rows), 3);
    rt_money_t realized = 0, buys = 0;
    int64_t n = 0;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *r = json_array_get(rows, i);
        realized += jmoney(r, "realized_pnl");
        buys += jmoney(r, "buy_volume");
        n += jint(r, "trade_count");
    }
    ASSERT_MONEY(e->realized_total, realized);
    ASSERT_MONEY(e->buy_sym[0] + e->buy_sym[1], buys);
    assert_int_equal(n, e->ntrades);
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(e->db,
                                "SELECT sum(quote_quantity) FILTER (WHERE side = 'BUY') "
                                "FROM trades",
                                0, NULL, &res));
    rt_money_t db_buys;
    ASSERT_RC(RT_OK, rt_db_get_money(res, 0, 0, &db_buys));
    rt_db_result_free(res);
    ASSERT_MONEY(db_buys, buys);
    json_decref(j);
}

static void test_equity_stats_signals(void **state)
{
    struct env *e = *state;
    char path[128];
    snprintf(path, sizeof path, "/portfolio/equity?since=%lld",
             (long long)(rt_time_now_ms() - 3600 * 1000));
    json_t *j = get_ok(e, path);
    json_t *pts = json_object_get(j, "points");
    assert_true(json_array_size(pts) >= NSNAP); /* the recorder may have added its own */
    ASSERT_MONEY(RT_MONEY_UNITS(10000), jmoney(json_array_get(pts, 0), "total_quote"));
    json_decref(j);
    j = get_ok(e, "/portfolio/equity?since=0&limit=2");
    assert_int_equal(json_array_size(json_object_get(j, "points")), 2);
    json_decref(j);

    j = get_ok(e, "/stats/live");
    json_t *t = json_object_get(j, "totals");
    assert_int_equal(jint(t, "trades_total"), e->ntrades);
    assert_int_equal(jint(t, "signals_today") >= 0, 1);
    assert_true(json_array_size(json_object_get(j, "strategies")) >= 3);
    json_decref(j);

    j = get_ok(e, "/signals?limit=2");
    json_t *s = json_object_get(j, "signals");
    assert_int_equal(json_array_size(s), 2);
    json_decref(j);
    j = get_ok(e, "/signals?strategy=RSI_Strategy");
    s = json_object_get(j, "signals");
    assert_int_equal(json_array_size(s), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(s, 1), "outcome")),
                        "accepted");
    assert_string_equal(json_string_value(json_object_get(json_array_get(s, 0), "reason_code")),
                        "max_positions");
    json_decref(j);

    j = get_ok(e, "/portfolio/balance");
    s = json_object_get(j, "balances");
    assert_int_equal(json_array_size(s), 2);
    json_decref(j);
}

/* Publishes on channel until check() sees its effect or 5 s pass. */
static bool publish_until(struct env *e, const char *channel, const char *msg,
                          bool (*check)(struct env *))
{
    for (int i = 0; i < 25; i++) {
        assert_true(rt_bus_publish(e->bus, channel, msg, strlen(msg)) >= 0);
        rt_time_sleep_ms(200);
        if (check(e))
            return true;
    }
    return false;
}

static bool forming_seen(struct env *e)
{
    json_t *j = get_ok(e, "/market/candles?symbol=BTCUSDC&limit=100");
    json_t *c = json_object_get(j, "candles");
    json_t *last = json_array_get(c, json_array_size(c) - 1);
    bool ok = json_array_size(c) == NCANDLES + 1 && json_is_false(json_object_get(last, "closed"));
    json_decref(j);
    return ok;
}

static bool closed_saved(struct env *e)
{
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(e->db, "SELECT count(*) FROM candles WHERE symbol = 'SOLUSDC'",
                                0, NULL, &res));
    int64_t n = 0;
    ASSERT_RC(RT_OK, rt_db_get_int64(res, 0, 0, &n));
    rt_db_result_free(res);
    return n == 1;
}

static void test_candles(void **state)
{
    struct env *e = *state;
    json_t *j = get_ok(e, "/market/candles?symbol=BTCUSDC&interval=1m&limit=5");
    json_t *c = json_object_get(j, "candles");
    assert_int_equal(json_array_size(c), 5);
    for (size_t i = 1; i < 5; i++)
        assert_true(jint(json_array_get(c, i), "open_time") >
                    jint(json_array_get(c, i - 1), "open_time"));
    /* the newest closed candle is the one of 1 minute ago: close 50001.5 */
    ASSERT_MONEY(RT_MONEY_UNITS(500015) / 10, jmoney(json_array_get(c, 4), "close"));
    json_decref(j);

    char msg[512];
    int64_t now_min = rt_time_now_ms() / 60000 * 60000;
    snprintf(msg, sizeof msg,
             "{\"symbol\":\"BTCUSDC\",\"interval\":\"1m\",\"startTime\":%lld,\"closeTime\":%lld,"
             "\"open\":50001.5,\"high\":50020,\"low\":50000,\"close\":50010.12345678,"
             "\"volume\":0.5,\"closed\":false}",
             (long long)now_min, (long long)(now_min + 59999));
    assert_true(publish_until(e, "market:data:BTCUSDC", msg, forming_seen));
    j = get_ok(e, "/market/candles?symbol=BTCUSDC&limit=100");
    c = json_object_get(j, "candles");
    ASSERT_MONEY(5001012345678, jmoney(json_array_get(c, json_array_size(c) - 1), "close"));
    json_decref(j);

    snprintf(msg, sizeof msg,
             "{\"symbol\":\"SOLUSDC\",\"interval\":\"1m\",\"startTime\":%lld,\"closeTime\":%lld,"
             "\"open\":150,\"high\":151,\"low\":149,\"close\":150.5,\"volume\":10,"
             "\"closed\":true}",
             (long long)(now_min - 60000), (long long)(now_min - 1));
    assert_true(publish_until(e, "market:data:SOLUSDC", msg, closed_saved));
    /* a malformed message is dropped, the service lives on */
    assert_true(rt_bus_publish(e->bus, "market:data:SOLUSDC", "{\"symbol\":1}", 12) >= 0);
    json_decref(get_ok(e, "/health"));
}

typedef struct {
    const struct env *e;
    buf_t buf;
    CURLcode rc;
} sse_t;

static void *sse_reader(void *arg)
{
    sse_t *s = arg;
    char url[128];
    snprintf(url, sizeof url, "%s/events", s->e->base);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s->buf);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 8L);
    s->rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    return NULL;
}

static void test_sse(void **state)
{
    struct env *e = *state;
    sse_t s = {.e = e, .buf = {.stop_at = "event: trade\ndata: {\"type\":\"trade\""}};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sse_reader, &s), 0);
    /* wait until the client is registered */
    for (int i = 0; i < 50; i++) {
        json_t *j = get_ok(e, "/stats/live");
        int64_t n = jint(j, "sse_clients");
        json_decref(j);
        if (n >= 1)
            break;
        rt_time_sleep_ms(100);
    }
    static const char ev[] =
        "{\"type\":\"trade\",\"data\":{\"id\":56,\"order_id\":42,\"client_order_id\":"
        "\"rt-RSI-1616554800000-1\",\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"status\":"
        "\"FILLED\",\"price\":\"55445.80\",\"quantity\":\"0.00017\",\"quote_quantity\":"
        "\"9.425786\",\"fee\":\"0.00942579\",\"fee_asset\":\"USDC\",\"role\":\"taker\","
        "\"strategy\":\"RSI_Strategy\",\"position_id\":7,\"exchange_trade_id\":null,"
        "\"demo\":true,\"timestamp\":1616554860150}}";
    assert_true(rt_bus_publish(e->bus, "trader:events", ev, sizeof ev - 1) >= 0);
    pthread_join(th, NULL);
    if (!s.buf.data || !strstr(s.buf.data, s.buf.stop_at))
        fail_msg("SSE client did not get the trade event; got: %s", s.buf.data ? s.buf.data : "");
    assert_non_null(strstr(s.buf.data, "event: hello"));
    free(s.buf.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_health_metrics),  cmocka_unit_test(test_summary),
        cmocka_unit_test(test_trades_paging),   cmocka_unit_test(test_trades_filters),
        cmocka_unit_test(test_bad_parameters),  cmocka_unit_test(test_positions),
        cmocka_unit_test(test_pnl_sums),        cmocka_unit_test(test_equity_stats_signals),
        cmocka_unit_test(test_candles),         cmocka_unit_test(test_sse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
