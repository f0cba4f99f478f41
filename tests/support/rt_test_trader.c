#include "rt_test_trader.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "rt/exrest.h"
#include "rt/str.h"
#include "rt/time.h"

rt_money_t rt_test_money(const char *s)
{
    rt_money_t v = 0;
    ASSERT_RC(RT_OK, rt_money_parse(s, &v));
    return v;
}

/* ---- the database -------------------------------------------------------------------------- */

int64_t rt_test_query_int(rt_db_t *db, const char *sql)
{
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(db, sql, 0, NULL, &res));
    int64_t v = -1;
    ASSERT_RC(RT_OK, rt_db_get_int64(res, 0, 0, &v));
    rt_db_result_free(res);
    return v;
}

/* sql's result, failing the test unless it has exactly one row (the caller frees it). */
static rt_db_result_t *one_row(rt_db_t *db, const char *sql)
{
    rt_db_result_t *res = NULL;
    ASSERT_RC(RT_OK, rt_db_exec(db, sql, 0, NULL, &res));
    if (rt_db_nrows(res) != 1)
        fail_msg("%s: expected one row, got %d", sql, rt_db_nrows(res));
    return res;
}

rt_money_t rt_test_query_money(rt_db_t *db, const char *sql)
{
    rt_db_result_t *res = one_row(db, sql);
    rt_money_t v = 0;
    ASSERT_RC(RT_OK, rt_db_get_money(res, 0, 0, &v));
    rt_db_result_free(res);
    return v;
}

void rt_test_query_text(rt_db_t *db, const char *sql, char *out, size_t cap)
{
    rt_db_result_t *res = one_row(db, sql);
    const char *v = rt_db_get_text(res, 0, 0);
    ASSERT_RC(RT_OK, rt_str_copy(out, cap, v ? v : ""));
    rt_db_result_free(res);
}

void rt_test_wait_count(rt_db_t *db, const char *sql, int64_t want, int ms, pid_t *watch,
                        const char *log)
{
    int64_t got = -1;
    for (int waited = 0; waited <= ms; waited += 50) {
        got = rt_test_query_int(db, sql);
        if (got == want)
            return;
        if (watch && *watch > 0 && waitpid(*watch, NULL, WNOHANG) == *watch) {
            *watch = 0;
            fail_msg("rt-trader died (log %s)", log ? log : "not kept");
        }
        rt_time_sleep_ms(50);
    }
    fail_msg("%s: expected %lld, got %lld after %d ms", sql, (long long)want, (long long)got, ms);
}

/* ---- the bus ------------------------------------------------------------------------------- */

void rt_test_publish_ticker(rt_bus_t *bus, const char *symbol, const char *price)
{
    char json[200], channel[64];
    snprintf(json, sizeof json, "{\"symbol\":\"%s\",\"price\":%s,\"event_time\":%lld}", symbol,
             price, (long long)rt_time_now_ms());
    snprintf(channel, sizeof channel, "market:ticker:%s", symbol);
    assert_true(rt_bus_publish(bus, channel, json, strlen(json)) >= 0);
}

/* ---- HTTP ---------------------------------------------------------------------------------- */

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

long rt_test_http(int port, const char *token, const char *method, const char *path,
                  const char *body, size_t len, long timeout_ms, char **resp)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[512], hdr[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct curl_slist *h = NULL;
    if (body)
        h = curl_slist_append(h, "Content-Type: application/json");
    if (token) {
        snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, hdr);
    }
    body_t b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
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

/* ---- the simulator ------------------------------------------------------------------------- */

rt_money_t rt_test_sim_free(int sim_port, const char *asset)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", sim_port);
    rt_exrest_config_t cfg = {
        .base_url = url, .api_key = RT_TEST_SIM_KEY, .secret_key = RT_TEST_SIM_SECRET};
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

/* True when the settings "NAME=..." a and b name the same variable. */
static bool same_name(const char *a, const char *b)
{
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) + 1 : strlen(a);
    return strncmp(a, b, n) == 0;
}

int rt_test_live_sim_start(const char *const *extra, size_t n, pid_t *pid, int *port)
{
    static const char *const base[] = {"SIM_PORT=0",
                                       "SIM_BIND=127.0.0.1",
                                       "SYMBOLS=BTCUSDC,ETHUSDC",
                                       "SIM_SPEED=60",
                                       "SIM_SEED=11",
                                       "SIM_HISTORY=60",
                                       "SIM_API_KEY=" RT_TEST_SIM_KEY,
                                       "SIM_SECRET_KEY=" RT_TEST_SIM_SECRET,
                                       "SIM_BALANCES=USDC=10000,BTC=0",
                                       "SIM_TAKER_FEE=0.001",
                                       "SIM_MAKER_FEE=0.001",
                                       "LOG_LEVEL=warn"};
    const size_t nbase = sizeof base / sizeof base[0];
    const char *settings[64];
    size_t count = 0;
    if (nbase + n > sizeof settings / sizeof settings[0])
        return -1;
    for (size_t i = 0; i < nbase; i++) {
        settings[count] = base[i];
        for (size_t k = 0; k < n; k++)
            if (same_name(base[i], extra[k]))
                settings[count] = extra[k];
        count++;
    }
    for (size_t k = 0; k < n; k++) {
        bool replaced = false;
        for (size_t i = 0; i < nbase; i++)
            replaced = replaced || same_name(base[i], extra[k]);
        if (!replaced)
            settings[count++] = extra[k];
    }
    return rt_test_sim_start(settings, count, pid, port);
}

/* ---- rt-trader under test ------------------------------------------------------------------ */

void rt_test_trader_demo_sim(rt_test_trader_t *t)
{
    static const char *const settings[] = {
        "SIM_PORT=0", "SIM_BIND=127.0.0.1", "SYMBOLS=BTCUSDC,DOGEUSDC",
        "SIM_SEED=5", "SIM_HISTORY=10",     "LOG_LEVEL=warn"};
    if (rt_test_sim_start(settings, sizeof settings / sizeof settings[0], &t->sim, &t->sim_port) !=
        0)
        fail_msg("rt-exchange-sim did not start");
}

/* Starts the trader with base (NAME, VALUE pairs, nbase entries) then extra (NAME, VALUE, ...,
 * NULL) as its settings. */
static void start_with(rt_test_trader_t *t, const char *fault, const char **base, size_t nbase,
                       const char *const *extra)
{
    const char *settings[64];
    size_t n = 0;
    for (; n < nbase; n++)
        settings[n] = base[n];
    for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2) {
        assert_true(n + 3 < sizeof settings / sizeof settings[0]);
        settings[n++] = extra[i];
        settings[n++] = extra[i + 1];
    }
    settings[n] = NULL;
    rt_test_trader_start(t, fault, settings);
}

void rt_test_trader_start_demo(rt_test_trader_t *t, const char *fault, const char *const *extra)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", t->sim_port);
    const char *base[] = {"TRADING_MODE",      "demo",
                          "TRADE_QUANTITY",    "0.001",
                          "DEMO_BALANCES",     "USDC=10000",
                          "DEMO_FEE_RATE",     "0.001",
                          "DEMO_SLIPPAGE_BPS", "5",
                          "EXCHANGE_REST_URL", url,
                          "SYMBOLS",           "BTCUSDC,DOGEUSDC"};
    start_with(t, fault, base, sizeof base / sizeof base[0], extra);
}

void rt_test_trader_start_live(rt_test_trader_t *t, const char *fault, bool keys,
                               const char *const *extra)
{
    char port[16];
    snprintf(port, sizeof port, "%d", t->sim_port);
    const char *base[] = {"TRADING_MODE",
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
                          keys ? RT_TEST_SIM_KEY : "",
                          "BINANCE_SECRET_KEY",
                          keys ? RT_TEST_SIM_SECRET : "",
                          "TRADE_QUANTITY",
                          "0.001"};
    start_with(t, fault, base, sizeof base / sizeof base[0], extra);
}

void rt_test_trader_wait_count(rt_test_trader_t *t, const char *sql, int64_t want)
{
    rt_test_wait_count(t->db, sql, want, 15000, NULL, NULL);
}

long rt_test_trader_http(rt_test_trader_t *t, const char *method, const char *path,
                         const char *body, size_t len, bool auth, char **resp)
{
    return rt_test_http(t->http_port, auth ? t->token : NULL, method, path, body, len, 15000, resp);
}

void rt_test_trader_wait_healthy(rt_test_trader_t *t)
{
    for (int i = 0; i < 400; i++) {
        if (rt_test_trader_http(t, "GET", "/health", NULL, 0, false, NULL) == 200)
            return;
        if (t->pid > 0 && waitpid(t->pid, NULL, WNOHANG) == t->pid) {
            t->pid = 0;
            if (!t->capture_log)
                fail_msg("rt-trader died at start");
            char *log = rt_test_read_file(t->log_path, NULL);
            fail_msg("rt-trader died at start; its log:\n%s", log);
        }
        rt_time_sleep_ms(50);
    }
    fail_msg("rt-trader's /health did not answer 200 within 20 s");
}

long rt_test_trader_post_priced(rt_test_trader_t *t, const char *ticker_price, const char *body,
                                char **resp)
{
    long st = 0;
    *resp = NULL;
    for (int i = 0; i < 100; i++) {
        rt_test_publish_ticker(t->bus, "BTCUSDC", ticker_price);
        rt_time_sleep_ms(30);
        free(*resp);
        *resp = NULL;
        st = rt_test_trader_http(t, "POST", "/trade", body, strlen(body), true, resp);
        if (st != 422 || !*resp || !strstr(*resp, "no_price"))
            return st;
    }
    return st;
}
