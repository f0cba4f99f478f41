/* The simulator's REST handlers as pure functions: Binance's endpoints and shapes, klines
 * paging, the weight header and 429, Binance's {code,msg} errors, 404/405, and the admin
 * endpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "rt/err.h"
#include "rt_test.h"
#include "sim/market.h"
#include "sim/rest.h"

#define START INT64_C(1700000040000) /* on a minute */
#define NOW (START + 3 * INT64_C(3600000) + 30000)
#define REAL_NOW INT64_C(1800000000000)

static sim_market_t *market;
static sim_weights_t weights;
static sim_stats_t stats = {.connections = 2, .messages_sent = 77, .speed = 60};

static int setup(void **state)
{
    (void)state;
    static const char *const syms[] = {"BTCUSDC", "ETHUSDC", "XRPUSDC"};
    sim_market_config_t c = {.symbols = syms,
                             .nsymbols = 3,
                             .seed = 5,
                             .start_ms = START,
                             .live_ms = NOW,
                             .ring_max = 1500};
    if (sim_market_new(&c, &market, NULL, 0) != RT_OK)
        return -1;
    return sim_market_advance(market, NOW, NULL, NULL);
}

static int teardown(void **state)
{
    (void)state;
    sim_market_free(market);
    return 0;
}

typedef struct {
    sim_rest_resp_t resp;
    json_t *json; /* parsed body, NULL when not JSON */
} result_t;

/* Runs one request: method, path, raw query, peer. */
static void call(result_t *r, sim_http_method_t method, const char *path, const char *query,
                 const char *peer, int64_t real_now)
{
    static sim_params_t params;
    sim_params_init(&params);
    if (query)
        assert_int_equal(sim_params_parse_query(&params, query, strlen(query)), RT_OK);
    sim_rest_req_t req = {.method = method,
                          .path = path,
                          .params = &params,
                          .peer = peer,
                          .peer_loopback = strncmp(peer, "127.", 4) == 0};
    sim_rest_ctx_t ctx = {.market = market,
                          .weights = &weights,
                          .stats = &stats,
                          .sim_now_ms = NOW,
                          .real_now_ms = real_now};
    sim_rest_resp_init(&r->resp);
    assert_int_equal(sim_rest_handle(&ctx, &req, &r->resp), RT_OK);
    r->json = json_loadb(r->resp.body.data ? r->resp.body.data : "", r->resp.body.len,
                         JSON_PRESERVE_ORDER, NULL);
}

static void get(result_t *r, const char *path, const char *query)
{
    call(r, SIM_HTTP_GET, path, query, "127.0.0.1", REAL_NOW);
}

static void done(result_t *r)
{
    json_decref(r->json);
    sim_rest_resp_cleanup(&r->resp);
}

static void test_ping_time_weights(void **state)
{
    (void)state;
    memset(&weights, 0, sizeof weights);
    result_t r;
    call(&r, SIM_HTTP_GET, "/api/v3/ping", NULL, "10.0.0.1", REAL_NOW);
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(r.resp.body.data, "{}");
    assert_int_equal(r.resp.used_weight, 1);
    done(&r);
    call(&r, SIM_HTTP_GET, "/api/v3/time", NULL, "10.0.0.1", REAL_NOW + 1000);
    assert_int_equal(r.resp.status, 200);
    char want[64];
    snprintf(want, sizeof want, "{\"serverTime\":%lld}", (long long)NOW);
    assert_string_equal(r.resp.body.data, want);
    assert_int_equal(r.resp.used_weight, 2);
    done(&r);
    /* Another client has its own count; a new minute starts from zero. */
    call(&r, SIM_HTTP_GET, "/api/v3/klines", "symbol=BTCUSDC&interval=1m&limit=1", "10.0.0.2",
         REAL_NOW);
    assert_int_equal(r.resp.used_weight, 2);
    done(&r);
    call(&r, SIM_HTTP_GET, "/api/v3/ping", NULL, "10.0.0.1", REAL_NOW + 60000);
    assert_int_equal(r.resp.used_weight, 1);
    done(&r);
    /* Over 6000 a minute: 429, -1003, Retry-After. */
    for (int i = 0; i < 299; i++) {
        call(&r, SIM_HTTP_GET, "/api/v3/exchangeInfo", NULL, "10.0.0.3", REAL_NOW);
        assert_int_equal(r.resp.status, 200);
        done(&r);
    }
    call(&r, SIM_HTTP_GET, "/api/v3/exchangeInfo", NULL, "10.0.0.3", REAL_NOW);
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(r.resp.used_weight, 6000);
    done(&r);
    call(&r, SIM_HTTP_GET, "/api/v3/ping", NULL, "10.0.0.3", REAL_NOW + 15000);
    assert_int_equal(r.resp.status, 429);
    assert_int_equal(r.resp.retry_after, 45);
    assert_int_equal(json_integer_value(json_object_get(r.json, "code")), -1003);
    done(&r);
}

/* The rows of a klines reply as (open time) and a sanity check of each row's types. */
static size_t rows(const json_t *a, int64_t *open_times, size_t cap)
{
    assert_true(json_is_array(a));
    size_t n = json_array_size(a);
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(a, i);
        assert_int_equal(json_array_size(row), 12);
        static const char types[] = "isssssisisss"; /* Binance's: numbers and strings */
        for (size_t j = 0; j < 12; j++) {
            const json_t *e = json_array_get(row, j);
            assert_true(types[j] == 'i' ? json_is_integer(e) : json_is_string(e));
        }
        if (i < cap)
            open_times[i] = json_integer_value(json_array_get(row, 0));
    }
    return n;
}

static void test_klines(void **state)
{
    (void)state;
    result_t r;
    int64_t all[400], page[400];
    get(&r, "/api/v3/klines", "symbol=BTCUSDC&interval=1m");
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(r.resp.used_weight > 0, 1);
    size_t n = rows(r.json, all, 400);
    assert_int_equal(n, 181); /* 180 closed and the forming one */
    assert_int_equal(all[0], START);
    assert_int_equal(all[180], START + 180 * 60000);
    /* The last row is the forming kline: its close time is after now. */
    const json_t *last = json_array_get(r.json, 180);
    assert_true(json_integer_value(json_array_get(last, 6)) > NOW);
    done(&r);

    /* Paging with startTime and limit gives the same klines. */
    size_t got = 0;
    int64_t next = START - 5000;
    for (int guard = 0; guard < 10 && got < n; guard++) {
        char q[160];
        snprintf(q, sizeof q, "symbol=BTCUSDC&interval=1m&startTime=%lld&limit=50",
                 (long long)next);
        get(&r, "/api/v3/klines", q);
        size_t k = rows(r.json, page, 400);
        assert_true(k <= 50);
        for (size_t i = 0; i < k; i++)
            assert_int_equal(page[i], all[got + i]);
        got += k;
        next = page[k - 1] + 1;
        done(&r);
    }
    assert_int_equal(got, n);

    /* endTime alone: the limit klines up to it; both: the range. */
    char q[200];
    snprintf(q, sizeof q, "symbol=BTCUSDC&interval=1m&endTime=%lld&limit=3",
             (long long)(START + 10 * 60000));
    get(&r, "/api/v3/klines", q);
    assert_int_equal(rows(r.json, page, 400), 3);
    assert_int_equal(page[0], START + 8 * 60000);
    done(&r);
    snprintf(q, sizeof q, "symbol=BTCUSDC&interval=5m&startTime=%lld&endTime=%lld",
             (long long)START, (long long)(START + 60 * 60000));
    get(&r, "/api/v3/klines", q);
    assert_true(rows(r.json, page, 400) >= 12);
    done(&r);
    get(&r, "/api/v3/klines", "symbol=XRPUSDC&interval=1h&limit=1000");
    assert_int_equal(r.resp.status, 200);
    assert_true(rows(r.json, page, 400) >= 3);
    done(&r);
}

static void test_klines_errors(void **state)
{
    (void)state;
    static const struct {
        const char *query;
        int status, code;
        const char *msg;
    } cases[] = {
        {"interval=1m", 400, -1102,
         "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."},
        {"symbol=&interval=1m", 400, -1102,
         "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."},
        {"symbol=btcusdc&interval=1m", 400, -1100,
         "Illegal characters found in parameter 'symbol'; legal range is "
         "'^[A-Z0-9-_.]{1,20}$'."},
        {"symbol=BTC%22USDC&interval=1m", 400, -1100, NULL},
        {"symbol=DOGEUSDC&interval=1m", 400, -1121, "Invalid symbol."},
        {"symbol=BTCUSDC", 400, -1102,
         "Mandatory parameter 'interval' was not sent, was empty/null, or malformed."},
        {"symbol=BTCUSDC&interval=2m", 400, -1120, "Invalid interval."},
        {"symbol=BTCUSDC&interval=1m&startTime=abc", 400, -1100,
         "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."},
        {"symbol=BTCUSDC&interval=1m&endTime=-5", 400, -1100, NULL},
        {"symbol=BTCUSDC&interval=1m&startTime=99999999999999999999", 400, -1100, NULL},
        {"symbol=BTCUSDC&interval=1m&limit=0", 400, -1130,
         "Data sent for parameter 'limit' is not valid."},
        {"symbol=BTCUSDC&interval=1m&limit=1001", 400, -1130, NULL},
        {"symbol=BTCUSDC&interval=1m&limit=1000", 200, 0, NULL},
        {"symbol=BTCUSDC&interval=1m&timeZone=8", 400, -1130, NULL},
        {"symbol=BTCUSDC&interval=1m&timeZone=0", 200, 0, NULL},
        {"symbol=BTCUSDC&interval=1m&startTime=20&endTime=10", 400, -1023,
         "Start time is greater than end time."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result_t r;
        get(&r, "/api/v3/klines", cases[i].query);
        if (r.resp.status != cases[i].status)
            fail_msg("%s: status %d want %d (%s)", cases[i].query, r.resp.status, cases[i].status,
                     r.resp.body.data);
        if (cases[i].code) {
            assert_non_null(r.json);
            assert_int_equal(json_integer_value(json_object_get(r.json, "code")), cases[i].code);
            if (cases[i].msg)
                assert_string_equal(json_string_value(json_object_get(r.json, "msg")),
                                    cases[i].msg);
            assert_int_equal(json_object_size(r.json), 2);
        }
        done(&r);
    }
}

/* A value's JSON type, with true and false as one. */
static int kind_of(const json_t *v)
{
    return json_is_boolean(v) ? JSON_TRUE : (int)json_typeof(v);
}

static void test_exchange_info(void **state)
{
    (void)state;
    memset(&weights, 0, sizeof weights);
    result_t r;
    get(&r, "/api/v3/exchangeInfo", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(r.resp.used_weight % 20, 0);
    const json_t *syms = json_object_get(r.json, "symbols");
    assert_int_equal(json_array_size(syms), 3);

    /* The keys of a recorded Binance reply come in the same order in ours. */
    char path[512];
    rt_test_source_path(path, sizeof path, "tests/fixtures/binance/exchangeinfo_spot.json");
    json_t *real = json_load_file(path, JSON_PRESERVE_ORDER, NULL);
    assert_non_null(real);
    const json_t *rs = json_array_get(json_object_get(real, "symbols"), 0);
    const json_t *ours = json_array_get(syms, 0);
    const char *key;
    const json_t *value;
    void *it = json_object_iter((json_t *)(uintptr_t)ours);
    json_object_foreach((json_t *)(uintptr_t)rs, key, value)
    {
        while (it && strcmp(json_object_iter_key(it), key) != 0)
            it = json_object_iter_next((json_t *)(uintptr_t)ours, it);
        if (it == NULL)
            fail_msg("key %s missing or out of order", key);
        assert_int_equal(kind_of(value), kind_of(json_object_iter_value(it)));
    }
    /* Top-level keys too. */
    it = json_object_iter(r.json);
    json_object_foreach(real, key, value)
    {
        assert_non_null(it);
        assert_string_equal(json_object_iter_key(it), key);
        it = json_object_iter_next(r.json, it);
    }
    json_decref(real);

    /* BTCUSDC's filters. */
    const json_t *filters = json_object_get(ours, "filters");
    assert_string_equal(json_string_value(json_object_get(ours, "symbol")), "BTCUSDC");
    static const struct {
        const char *type, *key, *value;
    } want[] = {
        {"PRICE_FILTER", "tickSize", "0.01000000"},
        {"PRICE_FILTER", "minPrice", "0.01000000"},
        {"PRICE_FILTER", "maxPrice", "1000000.00000000"},
        {"LOT_SIZE", "stepSize", "0.00001000"},
        {"LOT_SIZE", "minQty", "0.00001000"},
        {"LOT_SIZE", "maxQty", "9000.00000000"},
        {"MARKET_LOT_SIZE", "stepSize", "0.00000000"},
        {"NOTIONAL", "minNotional", "5.00000000"},
        {"NOTIONAL", "maxNotional", "9000000.00000000"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const json_t *f = NULL;
        for (size_t j = 0; j < json_array_size(filters); j++)
            if (strcmp(json_string_value(json_object_get(json_array_get(filters, j), "filterType")),
                       want[i].type) == 0)
                f = json_array_get(filters, j);
        assert_non_null(f);
        assert_string_equal(json_string_value(json_object_get(f, want[i].key)), want[i].value);
    }
    done(&r);

    get(&r, "/api/v3/exchangeInfo", "symbol=XRPUSDC");
    assert_int_equal(json_array_size(json_object_get(r.json, "symbols")), 1);
    done(&r);
    get(&r, "/api/v3/exchangeInfo", "symbols=%5B%22ETHUSDC%22,%22BTCUSDC%22%5D");
    assert_int_equal(r.resp.status, 200);
    syms = json_object_get(r.json, "symbols");
    assert_int_equal(json_array_size(syms), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(syms, 0), "symbol")),
                        "ETHUSDC");
    done(&r);
    static const struct {
        const char *q;
        int code;
    } bad[] = {{"symbol=NOPE", -1121},
               {"symbols=%5B%22NOPE%22%5D", -1121},
               {"symbols=BTCUSDC", -1100},
               {"symbols=%5B%5D", -1100},
               {"symbols=%5B%22btc%22%5D", -1100},
               {"symbol=BTCUSDC&symbols=%5B%22BTCUSDC%22%5D", -1128}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        get(&r, "/api/v3/exchangeInfo", bad[i].q);
        assert_int_equal(r.resp.status, 400);
        assert_non_null(r.json);
        assert_int_equal(json_integer_value(json_object_get(r.json, "code")), bad[i].code);
        done(&r);
    }
}

static void test_ticker_price(void **state)
{
    (void)state;
    memset(&weights, 0, sizeof weights);
    result_t r;
    get(&r, "/api/v3/ticker/price", "symbol=ETHUSDC");
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(r.resp.used_weight, 2);
    assert_string_equal(json_string_value(json_object_get(r.json, "symbol")), "ETHUSDC");
    rt_money_t last, got;
    size_t idx;
    assert_int_equal(sim_market_find(market, "ETHUSDC", &idx), RT_OK);
    assert_int_equal(sim_market_last_price(market, idx, &last), RT_OK);
    const char *price = json_string_value(json_object_get(r.json, "price"));
    assert_int_equal(strlen(strchr(price, '.') + 1), 8);
    assert_int_equal(rt_money_parse(price, &got), RT_OK);
    assert_int_equal(got, last);
    done(&r);
    get(&r, "/api/v3/ticker/price", NULL);
    assert_int_equal(r.resp.used_weight, 2 + 4);
    assert_int_equal(json_array_size(r.json), 3);
    done(&r);
    get(&r, "/api/v3/ticker/price", "symbols=%5B%22XRPUSDC%22%5D");
    assert_int_equal(json_array_size(r.json), 1);
    done(&r);
    get(&r, "/api/v3/ticker/price", "symbol=ZZZ");
    assert_int_equal(r.resp.status, 400);
    done(&r);
}

static void test_unknown_paths(void **state)
{
    (void)state;
    result_t r;
    get(&r, "/api/v3/nothing", NULL);
    assert_int_equal(r.resp.status, 404);
    assert_int_equal(r.resp.body.len, 0);
    assert_true(r.resp.used_weight > 0);
    done(&r);
    call(&r, SIM_HTTP_POST, "/api/v3/klines", NULL, "127.0.0.1", REAL_NOW);
    assert_int_equal(r.resp.status, 405);
    done(&r);
    get(&r, "/admin/drop", NULL); /* admin actions are POST */
    assert_int_equal(r.resp.status, 405);
    assert_int_equal(r.resp.action, SIM_ADMIN_NONE);
    done(&r);
}

static void test_admin(void **state)
{
    (void)state;
    result_t r;
    call(&r, SIM_HTTP_POST, "/admin/drop", NULL, "10.1.1.1", REAL_NOW);
    assert_int_equal(r.resp.status, 403);
    assert_int_equal(r.resp.action, SIM_ADMIN_NONE);
    assert_string_equal(json_string_value(json_object_get(r.json, "error")), "forbidden");
    done(&r);
    static const struct {
        const char *path, *query;
        int status;
        sim_admin_action_t action;
        int64_t seconds;
    } cases[] = {
        {"/admin/drop", NULL, 200, SIM_ADMIN_DROP, 0},
        {"/admin/mute-pings", "seconds=90", 200, SIM_ADMIN_MUTE_PINGS, 90},
        {"/admin/mute-pings", "seconds=0", 200, SIM_ADMIN_MUTE_PINGS, 0},
        {"/admin/mute-pings", NULL, 400, SIM_ADMIN_NONE, 0},
        {"/admin/refuse", "seconds=5", 200, SIM_ADMIN_REFUSE, 5},
        {"/admin/refuse", "seconds=-1", 400, SIM_ADMIN_NONE, 0},
        {"/admin/refuse", "seconds=86401", 400, SIM_ADMIN_NONE, 0},
        {"/admin/shutdown-event", NULL, 200, SIM_ADMIN_SHUTDOWN_EVENT, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        call(&r, SIM_HTTP_POST, cases[i].path, cases[i].query, "127.0.0.1", REAL_NOW);
        if (r.resp.status != cases[i].status || r.resp.action != cases[i].action ||
            r.resp.action_seconds != cases[i].seconds)
            fail_msg("%s?%s: status %d action %d seconds %lld", cases[i].path,
                     cases[i].query ? cases[i].query : "", r.resp.status, (int)r.resp.action,
                     (long long)r.resp.action_seconds);
        assert_non_null(r.json);
        done(&r);
    }
    /* The closed candles: the closed ones only, all that are kept unless limited. */
    get(&r, "/admin/closed", "symbol=BTCUSDC&interval=1m");
    assert_int_equal(r.resp.status, 200);
    int64_t open[400];
    assert_int_equal(rows(r.json, open, 400), 180);
    assert_int_equal(open[179], START + 179 * 60000);
    done(&r);
    get(&r, "/admin/closed", "symbol=BTCUSDC&interval=1m&startTime=1700000100000&limit=2");
    assert_int_equal(rows(r.json, open, 400), 2);
    assert_int_equal(open[0], 1700000100000);
    done(&r);
    get(&r, "/admin/closed", "symbol=NOPE&interval=1m");
    assert_int_equal(r.resp.status, 400);
    done(&r);
}

static void test_health_metrics(void **state)
{
    (void)state;
    result_t r;
    get(&r, "/health", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "ok");
    assert_int_equal(json_integer_value(json_object_get(r.json, "connections")), 2);
    assert_int_equal(json_integer_value(json_object_get(r.json, "symbols")), 3);
    assert_int_equal(json_integer_value(json_object_get(r.json, "simTime")), NOW);
    done(&r);
    get(&r, "/metrics", NULL);
    assert_int_equal(r.resp.status, 200);
    assert_non_null(strstr(r.resp.content_type, "text/plain"));
    assert_non_null(strstr(r.resp.body.data, "\nsim_ws_connections 2\n"));
    assert_non_null(strstr(r.resp.body.data, "\nsim_ws_messages_sent_total 77\n"));
    assert_non_null(strstr(r.resp.body.data, "# TYPE sim_candles_closed_total counter\n"));
    done(&r);
}

static void test_params(void **state)
{
    (void)state;
    sim_params_t p;
    sim_params_init(&p);
    const char *q = "a=1&b=%5B%22X%22%5D&c=x+y&&d&e=&a=2";
    assert_int_equal(sim_params_parse_query(&p, q, strlen(q)), RT_OK);
    assert_int_equal(p.count, 6);
    assert_string_equal(sim_params_get(&p, "a"), "1"); /* the first wins */
    assert_string_equal(sim_params_get(&p, "b"), "[\"X\"]");
    assert_string_equal(sim_params_get(&p, "c"), "x y");
    assert_string_equal(sim_params_get(&p, "d"), "");
    assert_string_equal(sim_params_get(&p, "e"), "");
    assert_null(sim_params_get(&p, "f"));
    sim_params_init(&p);
    assert_int_equal(sim_params_parse_query(&p, "a=%zz", 5), RT_EINVAL);
    assert_int_equal(sim_params_parse_query(&p, "a=%2", 4), RT_EINVAL);
    sim_params_init(&p);
    for (int i = 0; i < SIM_PARAMS_MAX; i++)
        assert_int_equal(sim_params_add_pair(&p, "k=v", 3), RT_OK);
    assert_int_equal(sim_params_add_pair(&p, "k=v", 3), RT_ETOOBIG);
    sim_params_init(&p);
    static char big[SIM_PARAMS_ARENA + 10];
    memset(big, 'x', sizeof big - 1);
    assert_int_equal(sim_params_add_pair(&p, big, strlen(big)), RT_ETOOBIG);
    assert_int_equal(p.count, 0);
    assert_int_equal(p.used, 0);
    assert_int_equal(sim_params_add_pair(&p, "symbol=BTC&X", 12), RT_OK); /* decoded already */
    assert_string_equal(sim_params_get(&p, "symbol"), "BTC&X");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_time_weights),
        cmocka_unit_test(test_klines),
        cmocka_unit_test(test_klines_errors),
        cmocka_unit_test(test_exchange_info),
        cmocka_unit_test(test_ticker_price),
        cmocka_unit_test(test_unknown_paths),
        cmocka_unit_test(test_admin),
        cmocka_unit_test(test_health_metrics),
        cmocka_unit_test(test_params),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
