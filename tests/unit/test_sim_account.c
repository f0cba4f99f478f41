/* The simulator's signed endpoints as pure functions: keys, signatures (Binance's vectors),
 * the timestamp window, filters, balances, MARKET fills and their FULL shape, LIMIT orders
 * that rest and fill when the price crosses them, cancels, lookups and the account. */
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
#include "rt/exrest.h"
#include "rt/money.h"
#include "rt_test.h"
#include "sim/account.h"
#include "sim/faults.h"
#include "sim/market.h"
#include "sim/rest.h"

#define START INT64_C(1700000040000) /* on a minute */
#define NOW (START + 3 * INT64_C(3600000) + 30000)
#define KEY "test-key"
#define SECRET "test-secret"
/* Binance's documented HMAC key pair (reference section 3). */
#define DOC_KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define DOC_SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

static sim_market_t *market;
static sim_account_t *account;
static int64_t sim_now = NOW;  /* the simulated clock the handlers see */
static int64_t real_now = NOW; /* and the wall clock (the same at speed 1) */
static sim_faults_t *faults;   /* the order faults the handlers see (NULL: none) */

static sim_account_t *new_account(const char *key, const char *secret, const char *balances)
{
    sim_account_config_t c = {.api_key = key,
                              .secret_key = secret,
                              .balances = balances,
                              .taker_fee = RT_MONEY_UNITS(1) / 1000,
                              .maker_fee = RT_MONEY_UNITS(1) / 1000};
    sim_account_t *a = NULL;
    char why[128];
    assert_int_equal(sim_account_new(&c, &a, why, sizeof why), RT_OK);
    return a;
}

static int setup(void **state)
{
    (void)state;
    static const char *const syms[] = {"BTCUSDC", "ETHUSDC", "BNBUSDC"};
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

static int each_setup(void **state)
{
    (void)state;
    account = new_account(KEY, SECRET, "USDC=10000,BTC=0");
    return 0;
}

static int each_teardown(void **state)
{
    (void)state;
    sim_account_free(account);
    account = NULL;
    return 0;
}

typedef struct {
    sim_rest_resp_t resp;
    json_t *json;
} result_t;

static void result_free(result_t *r)
{
    sim_rest_resp_cleanup(&r->resp);
    json_decref(r->json);
}

/* Sends one request as it would come off the wire: query text and body both encoded. */
static void raw_call(sim_account_t *a, result_t *r, sim_http_method_t method, const char *path,
                     const char *key, const char *query, const char *body)
{
    static sim_params_t params;
    sim_params_init(&params);
    if (query)
        assert_int_equal(sim_params_parse_query(&params, query, strlen(query)), RT_OK);
    if (body)
        assert_int_equal(sim_params_parse_query(&params, body, strlen(body)), RT_OK);
    sim_weights_t weights;
    memset(&weights, 0, sizeof weights);
    sim_rest_req_t req = {.method = method,
                          .path = path,
                          .params = &params,
                          .peer = "127.0.0.1",
                          .peer_loopback = true,
                          .api_key = key,
                          .query = query,
                          .query_len = query ? strlen(query) : 0,
                          .body = body,
                          .body_len = body ? strlen(body) : 0};
    sim_rest_ctx_t ctx = {.market = market,
                          .weights = &weights,
                          .sim_now_ms = sim_now,
                          .real_now_ms = real_now,
                          .account = a,
                          .faults = faults};
    sim_rest_resp_init(&r->resp);
    assert_int_equal(sim_rest_handle(&ctx, &req, &r->resp), RT_OK);
    r->json = json_loadb(r->resp.body.data ? r->resp.body.data : "", r->resp.body.len,
                         JSON_PRESERVE_ORDER, NULL);
}

/* Signs params (plus timestamp) with secret and sends them: POST in the body, the others in
 * the query. */
static void call_signed(result_t *r, sim_http_method_t method, const char *path, const char *params,
                        const char *secret)
{
    char text[2048];
    int n = snprintf(text, sizeof text, "%s%stimestamp=%lld", params, params[0] ? "&" : "",
                     (long long)sim_now);
    assert_true(n > 0 && (size_t)n < sizeof text);
    char sig[RT_HMAC_HEX_CAP];
    assert_int_equal(rt_exrest_signature(secret, strlen(secret), text, strlen(text), "", 0, sig),
                     RT_OK);
    char full[2200];
    n = snprintf(full, sizeof full, "%s&signature=%s", text, sig);
    assert_true(n > 0 && (size_t)n < sizeof full);
    if (method == SIM_HTTP_POST)
        raw_call(account, r, method, path, KEY, NULL, full);
    else
        raw_call(account, r, method, path, KEY, full, NULL);
}

static void call(result_t *r, sim_http_method_t method, const char *path, const char *params)
{
    call_signed(r, method, path, params, SECRET);
}

static void expect_error(result_t *r, int status, int code, const char *msg)
{
    assert_int_equal(r->resp.status, status);
    assert_non_null(r->json);
    assert_int_equal(json_integer_value(json_object_get(r->json, "code")), code);
    if (msg)
        assert_string_equal(json_string_value(json_object_get(r->json, "msg")), msg);
}

static rt_money_t money_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    assert_non_null(s);
    rt_money_t v;
    assert_int_equal(rt_money_parse(s, &v), RT_OK);
    return v;
}

static void balance(const char *asset, rt_money_t *f, rt_money_t *l)
{
    assert_int_equal(sim_account_balance(account, asset, f, l), RT_OK);
}

static rt_money_t last(size_t sym)
{
    rt_money_t p;
    assert_int_equal(sim_market_last_price(market, sym, &p), RT_OK);
    return p;
}

static void fmt(rt_money_t v, char *buf, size_t cap)
{
    assert_true(rt_money_format(v, buf, cap) > 0);
}

/* ---- authentication ----------------------------------------------------------------------- */

static void test_keys_and_signatures(void **state)
{
    (void)state;
    result_t r;
    call(&r, SIM_HTTP_GET, "/api/v3/account", "");
    assert_int_equal(r.resp.status, 200);
    result_free(&r);

    call_signed(&r, SIM_HTTP_GET, "/api/v3/account", "", "another-secret");
    expect_error(&r, 400, -1022, "Signature for this request is not valid.");
    result_free(&r);

    char q[128];
    snprintf(q, sizeof q, "timestamp=%lld", (long long)sim_now);
    raw_call(account, &r, SIM_HTTP_GET, "/api/v3/account", KEY, q, NULL);
    expect_error(&r, 400, -1102,
                 "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
    result_free(&r);

    raw_call(account, &r, SIM_HTTP_GET, "/api/v3/account", NULL, q, NULL);
    expect_error(&r, 401, -2014, "API-key format invalid.");
    result_free(&r);
    raw_call(account, &r, SIM_HTTP_GET, "/api/v3/account", "someone-else", q, NULL);
    expect_error(&r, 401, -2015, "Invalid API-key, IP, or permissions for action.");
    result_free(&r);
    raw_call(NULL, &r, SIM_HTTP_GET, "/api/v3/account", KEY, q, NULL);
    expect_error(&r, 401, -2015, NULL);
    result_free(&r);

    /* Parameters of its own are signed with the rest. */
    call(&r, SIM_HTTP_GET, "/api/v3/openOrders", "symbol=BTCUSDC");
    assert_int_equal(r.resp.status, 200);
    result_free(&r);
}

/* Binance's own vectors: R1 all in the query, R3 split between query and body (no '&' between
 * them). With the documented keys both pass authentication and then meet LTCBTC, which the sim
 * does not list: -1121 proves the signature was accepted. */
static void test_binance_vectors(void **state)
{
    (void)state;
    sim_account_t *doc = new_account(DOC_KEY, DOC_SECRET, "");
    int64_t saved_sim = sim_now, saved_real = real_now;
    sim_now = real_now = INT64_C(1499827319559);
    result_t r;
    raw_call(doc, &r, SIM_HTTP_POST, "/api/v3/order", DOC_KEY,
             "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
             "recvWindow=5000&timestamp=1499827319559&signature="
             "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
             NULL);
    expect_error(&r, 400, -1121, "Invalid symbol.");
    result_free(&r);
    raw_call(doc, &r, SIM_HTTP_POST, "/api/v3/order", DOC_KEY,
             "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
             "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature="
             "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77");
    expect_error(&r, 400, -1121, "Invalid symbol.");
    result_free(&r);
    /* R1's signature over R3's split does not hold: the '&' is missing from what was signed. */
    raw_call(doc, &r, SIM_HTTP_POST, "/api/v3/order", DOC_KEY,
             "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
             "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature="
             "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
    expect_error(&r, 400, -1022, NULL);
    result_free(&r);
    /* Upper-case hex is the same signature. */
    raw_call(doc, &r, SIM_HTTP_POST, "/api/v3/order", DOC_KEY,
             "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&"
             "recvWindow=5000&timestamp=1499827319559&signature="
             "C8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71",
             NULL);
    expect_error(&r, 400, -1121, NULL);
    result_free(&r);
    sim_now = saved_sim;
    real_now = saved_real;
    sim_account_free(doc);
}

/* The server gets decoded pairs from lws and encodes them again; R2's non-ASCII symbol must
 * come back byte for byte. */
static void test_params_encode(void **state)
{
    (void)state;
    static const char *const cases[] = {
        ("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"
         "timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"),
        "symbols=%5B%22BTCUSDC%22%2C%22ETHUSDC%22%5D&a=-._~&b=%20%26%3D%2B",
        "",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_params_t p;
        sim_params_init(&p);
        assert_int_equal(sim_params_parse_query(&p, cases[i], strlen(cases[i])), RT_OK);
        sim_buf_t b;
        sim_buf_init(&b);
        assert_int_equal(sim_params_encode(&p, 0, p.count, &b), RT_OK);
        assert_string_equal(b.data ? b.data : "", cases[i]);
        sim_buf_cleanup(&b);
    }
}

static void test_timestamp_window(void **state)
{
    (void)state;
    int64_t saved = sim_now;
    result_t r;
    static const struct {
        int64_t offset; /* timestamp - now */
        const char *window;
        int code; /* 0: accepted */
    } cases[] = {
        {0, "", 0},
        {-5000, "", 0},
        {-5001, "", -1021},
        {1000, "", 0},
        {1001, "", -1021},
        {-59000, "recvWindow=60000", 0},
        {-61000, "recvWindow=60000", -1021},
        {0, "recvWindow=60001", -1131},
        {-100, "recvWindow=100.5", 0},
        {-100, "recvWindow=100.5555", -1100},
        {-100, "recvWindow=.5", -1100},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* the handlers' clocks move instead of the timestamp */
        sim_now = real_now = NOW - cases[i].offset;
        char text[128], full[256], sig[RT_HMAC_HEX_CAP];
        snprintf(text, sizeof text, "%s%stimestamp=%lld", cases[i].window,
                 cases[i].window[0] ? "&" : "", (long long)NOW);
        assert_int_equal(
            rt_exrest_signature(SECRET, strlen(SECRET), text, strlen(text), "", 0, sig), RT_OK);
        snprintf(full, sizeof full, "%s&signature=%s", text, sig);
        raw_call(account, &r, SIM_HTTP_GET, "/api/v3/account", KEY, full, NULL);
        if (cases[i].code == 0) {
            if (r.resp.status != 200)
                fail_msg("case %zu: status %d body %s", i, r.resp.status, r.resp.body.data);
        } else {
            expect_error(&r, 400, cases[i].code, NULL);
        }
        result_free(&r);
    }
    /* Faster than real time: the window runs from the wall clock to the simulated clock. */
    sim_now = NOW + 60 * 60000;
    real_now = NOW;
    call(&r, SIM_HTTP_GET, "/api/v3/account", ""); /* stamped with sim_now */
    assert_int_equal(r.resp.status, 200);
    result_free(&r);
    sim_now = saved;
    real_now = saved;
}

/* ---- orders ------------------------------------------------------------------------------- */

static void test_filters_and_balance(void **state)
{
    (void)state;
    static const struct {
        const char *params;
        int code;
        const char *msg;
    } cases[] = {
        {"symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.000001", -1013,
         "Filter failure: LOT_SIZE"},
        {"symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.000015", -1013,
         "Filter failure: LOT_SIZE"},
        {"symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.00001", -1013, "Filter failure: NOTIONAL"},
        {"symbol=BTCUSDC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=50000.001", -1013,
         "Filter failure: PRICE_FILTER"},
        {"symbol=BTCUSDC&side=BUY&type=MARKET&quantity=1", -2010,
         "Account has insufficient balance for requested action."},
        {"symbol=BTCUSDC&side=SELL&type=MARKET&quantity=0.01", -2010,
         "Account has insufficient balance for requested action."},
        {"symbol=BTCUSDC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=50000", -2010,
         "Account has insufficient balance for requested action."},
        {"symbol=BTCUSDC&side=BUY&type=MARKET", -1102,
         "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!"},
        {"symbol=BTCUSDC&side=BUY&type=LIMIT&quantity=0.01&price=50000", -1102,
         "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed."},
        {"symbol=BTCUSDC&side=HOLD&type=MARKET&quantity=0.01", -1117, "Invalid side."},
        {"symbol=BTCUSDC&side=BUY&type=STOP_LOSS&quantity=0.01", -1014,
         "Unsupported order combination."},
        {"symbol=NOPEUSDC&side=BUY&type=MARKET&quantity=0.01", -1121, "Invalid symbol."},
        {"symbol=BTCUSDC&side=BUY&type=MARKET&quantity=1e3", -1100, NULL},
        {"symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=bad%20id", -1100,
         NULL},
    };
    result_t r;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        call(&r, SIM_HTTP_POST, "/api/v3/order", cases[i].params);
        if (r.json == NULL || json_integer_value(json_object_get(r.json, "code")) != cases[i].code)
            fail_msg("case %zu (%s): want %d, got %d %s", i, cases[i].params, cases[i].code,
                     r.resp.status, r.resp.body.data);
        expect_error(&r, 400, cases[i].code, cases[i].msg);
        result_free(&r);
    }
    rt_money_t f, l;
    balance("USDC", &f, &l);
    assert_int_equal(f, RT_MONEY_UNITS(10000));
    assert_int_equal(l, 0);
    /* The test endpoint runs the same checks and executes nothing. */
    call(&r, SIM_HTTP_POST, "/api/v3/order/test", "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=1");
    expect_error(&r, 400, -2010, NULL);
    result_free(&r);
    call(&r, SIM_HTTP_POST, "/api/v3/order/test",
         "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.01");
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(r.resp.body.data, "{}");
    result_free(&r);
    balance("USDC", &f, &l);
    assert_int_equal(f, RT_MONEY_UNITS(10000));
}

static void test_market_full(void **state)
{
    (void)state;
    rt_money_t p = last(0);
    rt_money_t qty = RT_MONEY_UNITS(1) / 100; /* 0.01 BTC */
    rt_money_t quote, fee_base;
    assert_int_equal(rt_money_mul(qty, p, RT_ROUND_UP, &quote), RT_OK);
    assert_int_equal(rt_money_mul(qty, RT_MONEY_UNITS(1) / 1000, RT_ROUND_UP, &fee_base), RT_OK);

    result_t r;
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.01&newClientOrderId=buy-1");
    assert_int_equal(r.resp.status, 200);
    /* Binance's FULL keys, in Binance's order. */
    static const char *const keys[] = {"symbol",
                                       "orderId",
                                       "orderListId",
                                       "clientOrderId",
                                       "transactTime",
                                       "price",
                                       "origQty",
                                       "executedQty",
                                       "origQuoteOrderQty",
                                       "cummulativeQuoteQty",
                                       "status",
                                       "timeInForce",
                                       "type",
                                       "side",
                                       "workingTime",
                                       "selfTradePreventionMode",
                                       "fills"};
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach(r.json, key, v)
    {
        assert_true(k < sizeof keys / sizeof keys[0]);
        assert_string_equal(key, keys[k]);
        k++;
    }
    assert_int_equal(k, sizeof keys / sizeof keys[0]);
    assert_string_equal(json_string_value(json_object_get(r.json, "symbol")), "BTCUSDC");
    assert_string_equal(json_string_value(json_object_get(r.json, "clientOrderId")), "buy-1");
    assert_int_equal(json_integer_value(json_object_get(r.json, "orderListId")), -1);
    assert_int_equal(json_integer_value(json_object_get(r.json, "transactTime")), sim_now);
    assert_string_equal(json_string_value(json_object_get(r.json, "price")), "0.00000000");
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "FILLED");
    assert_string_equal(json_string_value(json_object_get(r.json, "type")), "MARKET");
    assert_string_equal(json_string_value(json_object_get(r.json, "side")), "BUY");
    assert_int_equal(money_of(r.json, "executedQty"), qty);
    assert_int_equal(money_of(r.json, "cummulativeQuoteQty"), quote);
    json_t *fills = json_object_get(r.json, "fills");
    assert_int_equal(json_array_size(fills), 1);
    json_t *f0 = json_array_get(fills, 0);
    static const char *const fill_keys[] = {"price", "qty", "commission", "commissionAsset",
                                            "tradeId"};
    k = 0;
    json_object_foreach(f0, key, v)
    {
        assert_string_equal(key, fill_keys[k]);
        k++;
    }
    assert_int_equal(k, 5);
    assert_int_equal(money_of(f0, "price"), p);
    assert_int_equal(money_of(f0, "qty"), qty);
    assert_int_equal(money_of(f0, "commission"), fee_base);
    assert_string_equal(json_string_value(json_object_get(f0, "commissionAsset")), "BTC");
    result_free(&r);

    rt_money_t f, l, want;
    balance("USDC", &f, &l);
    assert_int_equal(rt_money_sub(RT_MONEY_UNITS(10000), quote, &want), RT_OK);
    assert_int_equal(f, want);
    balance("BTC", &f, &l);
    assert_int_equal(f, qty - fee_base);

    /* Sell back what can be sold (on the step): commission in USDC. */
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=SELL&type=MARKET&quantity=0.00999&newOrderRespType=RESULT");
    assert_int_equal(r.resp.status, 200);
    assert_null(json_object_get(r.json, "fills"));
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "FILLED");
    rt_money_t sold = money_of(r.json, "cummulativeQuoteQty"), sell_fee;
    assert_int_equal(rt_money_mul(sold, RT_MONEY_UNITS(1) / 1000, RT_ROUND_UP, &sell_fee), RT_OK);
    result_free(&r);
    balance("BTC", &f, &l);
    assert_int_equal(f, 0);
    balance("USDC", &f, &l);
    assert_int_equal(f, want + sold - sell_fee);

    /* ACK, and quoteOrderQty: as much as 100 USDC buys, to the step. */
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=MARKET&quoteOrderQty=100&newOrderRespType=ACK");
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(json_object_size(r.json), 5);
    int64_t id = json_integer_value(json_object_get(r.json, "orderId"));
    result_free(&r);
    char q[96];
    snprintf(q, sizeof q, "symbol=BTCUSDC&orderId=%lld", (long long)id);
    call(&r, SIM_HTTP_GET, "/api/v3/order", q);
    assert_int_equal(r.resp.status, 200);
    rt_money_t bought = money_of(r.json, "executedQty"), want_qty;
    assert_int_equal(rt_money_div(RT_MONEY_UNITS(100), p, RT_ROUND_DOWN, &want_qty), RT_OK);
    assert_int_equal(
        rt_money_round_step(want_qty, RT_MONEY_UNITS(1) / 100000, RT_ROUND_DOWN, &want_qty), RT_OK);
    assert_int_equal(bought, want_qty);
    assert_int_equal(money_of(r.json, "origQuoteOrderQty"), RT_MONEY_UNITS(100));
    result_free(&r);
}

static void test_limit_rests_then_fills(void **state)
{
    (void)state;
    int64_t saved = sim_now;
    rt_money_t p = last(0), price, cost;
    /* 0.3 % under the market, on the tick */
    assert_int_equal(
        rt_money_mul(p, RT_MONEY_UNITS(1) - RT_MONEY_UNITS(3) / 1000, RT_ROUND_DOWN, &price),
        RT_OK);
    assert_int_equal(rt_money_round_step(price, RT_MONEY_UNITS(1) / 100, RT_ROUND_DOWN, &price),
                     RT_OK);
    rt_money_t qty = RT_MONEY_UNITS(1) / 100;
    assert_int_equal(rt_money_mul(qty, price, RT_ROUND_UP, &cost), RT_OK);
    char params[256], ps[32];
    fmt(price, ps, sizeof ps);
    snprintf(params, sizeof params,
             "symbol=BTCUSDC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=%s&"
             "newClientOrderId=dip-1",
             ps);
    result_t r;
    call(&r, SIM_HTTP_POST, "/api/v3/order", params);
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "NEW");
    assert_int_equal(json_array_size(json_object_get(r.json, "fills")), 0);
    assert_int_equal(money_of(r.json, "executedQty"), 0);
    result_free(&r);
    rt_money_t f, l;
    balance("USDC", &f, &l);
    assert_int_equal(l, cost);
    assert_int_equal(f, RT_MONEY_UNITS(10000) - cost);

    /* A second order with the same client id while the first is open. */
    call(&r, SIM_HTTP_POST, "/api/v3/order", params);
    expect_error(&r, 400, -2010, "Duplicate order sent.");
    result_free(&r);
    call(&r, SIM_HTTP_GET, "/api/v3/openOrders", "symbol=BTCUSDC");
    assert_int_equal(json_array_size(r.json), 1);
    result_free(&r);

    /* The market moves on, a minute at a time, until it trades at the order's price (bounded).
     * The order fills as soon as the minute's 1s klines reach it, even when the last price is
     * back above it. */
    int64_t t = NOW;
    bool filled = false;
    for (int i = 0; i < 3 * 24 * 60 && !filled; i++) {
        int64_t from = t;
        t += 60000;
        assert_int_equal(sim_market_advance(market, t, NULL, NULL), RT_OK);
        const sim_klines_t *k = sim_market_klines(market, 0);
        size_t first, n;
        sim_klines_select(k, SIM_IV_1S, true, from - from % 1000 + 1000, false, 0, SIZE_MAX, false,
                          &first, &n);
        rt_money_t low = last(0);
        for (size_t j = 0; j < n; j++) {
            const sim_kline_t *kl = sim_klines_get(k, SIM_IV_1S, first + j, NULL);
            if (kl->trades > 0 && kl->low < low)
                low = kl->low;
        }
        size_t got = sim_account_match(account, market, t);
        assert_int_equal(got, low <= price ? 1 : 0);
        filled = got == 1;
    }
    assert_true(filled);
    sim_now = real_now = t;
    call(&r, SIM_HTTP_GET, "/api/v3/order", "symbol=BTCUSDC&origClientOrderId=dip-1");
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "FILLED");
    assert_int_equal(money_of(r.json, "executedQty"), qty);
    assert_int_equal(money_of(r.json, "cummulativeQuoteQty"), cost);
    assert_int_equal(json_integer_value(json_object_get(r.json, "updateTime")), t);
    result_free(&r);
    balance("USDC", &f, &l);
    assert_int_equal(l, 0);
    assert_int_equal(f, RT_MONEY_UNITS(10000) - cost);
    balance("BTC", &f, &l);
    assert_int_equal(f, qty - qty / 1000); /* maker commission in BTC */

    /* Filled: no longer cancellable. */
    call(&r, SIM_HTTP_DELETE, "/api/v3/order", "symbol=BTCUSDC&origClientOrderId=dip-1");
    expect_error(&r, 400, -2011, "Unknown order sent.");
    result_free(&r);
    sim_now = saved;
    real_now = saved;
}

static void test_limit_cancel_and_lookup(void **state)
{
    (void)state;
    result_t r;
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=30000&"
         "newClientOrderId=far-1");
    assert_int_equal(r.resp.status, 200);
    int64_t id = json_integer_value(json_object_get(r.json, "orderId"));
    result_free(&r);
    rt_money_t f, l;
    balance("USDC", &f, &l);
    assert_int_equal(l, RT_MONEY_UNITS(300));

    call(&r, SIM_HTTP_GET, "/api/v3/order", "symbol=BTCUSDC&origClientOrderId=far-1");
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "orderId")), id);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "NEW");
    assert_string_equal(json_string_value(json_object_get(r.json, "price")), "30000.00000000");
    assert_true(json_is_true(json_object_get(r.json, "isWorking")));
    result_free(&r);
    call(&r, SIM_HTTP_GET, "/api/v3/order", "symbol=BTCUSDC&origClientOrderId=nope");
    expect_error(&r, 400, -2013, "Order does not exist.");
    result_free(&r);
    call(&r, SIM_HTTP_GET, "/api/v3/order", "symbol=ETHUSDC&origClientOrderId=far-1");
    expect_error(&r, 400, -2013, NULL);
    result_free(&r);
    call(&r, SIM_HTTP_GET, "/api/v3/order", "symbol=BTCUSDC");
    expect_error(&r, 400, -1102, NULL);
    result_free(&r);

    call(&r, SIM_HTTP_DELETE, "/api/v3/order", "symbol=BTCUSDC&origClientOrderId=far-1");
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "CANCELED");
    assert_string_equal(json_string_value(json_object_get(r.json, "origClientOrderId")), "far-1");
    assert_int_equal(json_integer_value(json_object_get(r.json, "orderId")), id);
    result_free(&r);
    balance("USDC", &f, &l);
    assert_int_equal(l, 0);
    assert_int_equal(f, RT_MONEY_UNITS(10000));
    call(&r, SIM_HTTP_DELETE, "/api/v3/order", "symbol=BTCUSDC&origClientOrderId=far-1");
    expect_error(&r, 400, -2011, "Unknown order sent.");
    result_free(&r);
    call(&r, SIM_HTTP_DELETE, "/api/v3/order", "symbol=BTCUSDC&orderId=999");
    expect_error(&r, 400, -2011, NULL);
    result_free(&r);
    /* The client id is free again once the order is closed. */
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=30000&"
         "newClientOrderId=far-1");
    assert_int_equal(r.resp.status, 200);
    result_free(&r);

    /* A LIMIT through the market fills at once, as taker, at the market's price. */
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=90000");
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "FILLED");
    json_t *f0 = json_array_get(json_object_get(r.json, "fills"), 0);
    assert_int_equal(money_of(f0, "price"), last(0));
    result_free(&r);
}

static void test_account(void **state)
{
    (void)state;
    result_t r;
    call(&r, SIM_HTTP_GET, "/api/v3/account", "");
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.json, "makerCommission")), 10);
    assert_int_equal(json_integer_value(json_object_get(r.json, "takerCommission")), 10);
    json_t *rates = json_object_get(r.json, "commissionRates");
    assert_string_equal(json_string_value(json_object_get(rates, "maker")), "0.00100000");
    assert_string_equal(json_string_value(json_object_get(rates, "taker")), "0.00100000");
    assert_string_equal(json_string_value(json_object_get(r.json, "accountType")), "SPOT");
    json_t *bal = json_object_get(r.json, "balances");
    assert_int_equal(json_array_size(bal), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(bal, 0), "asset")),
                        "USDC");
    assert_string_equal(json_string_value(json_object_get(json_array_get(bal, 0), "free")),
                        "10000.00000000");
    assert_string_equal(json_string_value(json_object_get(json_array_get(bal, 0), "locked")),
                        "0.00000000");
    result_free(&r);
    call(&r, SIM_HTTP_GET, "/api/v3/account", "omitZeroBalances=true");
    assert_int_equal(json_array_size(json_object_get(r.json, "balances")), 1);
    result_free(&r);
}

static void test_config(void **state)
{
    (void)state;
    static const char *const bad[] = {"USDC", "USDC=-1", "usdc=5", "=5", "USDC=1e3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sim_account_config_t c = {.api_key = "k", .secret_key = "s", .balances = bad[i]};
        sim_account_t *a = NULL;
        char why[128] = "";
        assert_int_equal(sim_account_new(&c, &a, why, sizeof why), RT_EINVAL);
        assert_null(a);
        assert_true(strstr(why, "SIM_BALANCES") != NULL);
    }
    sim_account_config_t c = {.api_key = "", .secret_key = "s", .balances = ""};
    sim_account_t *a = NULL;
    assert_int_equal(sim_account_new(&c, &a, NULL, 0), RT_EINVAL);
    c.api_key = "k";
    c.balances = " USDC = 5 , BTC=0.5";
    c.taker_fee = RT_MONEY_UNITS(1);
    assert_int_equal(sim_account_new(&c, &a, NULL, 0), RT_EINVAL);
    c.taker_fee = 0;
    assert_int_equal(sim_account_new(&c, &a, NULL, 0), RT_EINVAL); /* "USDC " is not a name */
    c.balances = "USDC=5,BTC=0.5";
    assert_int_equal(sim_account_new(&c, &a, NULL, 0), RT_OK);
    rt_money_t f, l;
    assert_int_equal(sim_account_balance(a, "BTC", &f, &l), RT_OK);
    assert_int_equal(f, RT_MONEY_UNITS(1) / 2);
    sim_account_free(a);
}

/* SIM_FEE_ASSET=BNB: the commission in BNB at the last BNBUSDC price while the account holds
 * enough, else in the asset received. */
static void test_fee_in_bnb(void **state)
{
    (void)state;
    sim_account_free(account);
    sim_account_config_t c = {.api_key = KEY,
                              .secret_key = SECRET,
                              .balances = "USDC=10000,BNB=0.01",
                              .taker_fee = RT_MONEY_UNITS(1) / 1000,
                              .maker_fee = RT_MONEY_UNITS(1) / 1000,
                              .fee_asset = "BNB"};
    char why[128];
    assert_int_equal(sim_account_new(&c, &account, why, sizeof why), RT_OK);
    rt_money_t p = last(0), bnb = last(2), qty = RT_MONEY_UNITS(1) / 100, quote, fee_quote, fee;
    assert_int_equal(rt_money_mul(qty, p, RT_ROUND_UP, &quote), RT_OK);
    assert_int_equal(rt_money_mul(quote, RT_MONEY_UNITS(1) / 1000, RT_ROUND_UP, &fee_quote), RT_OK);
    assert_int_equal(rt_money_div(fee_quote, bnb, RT_ROUND_UP, &fee), RT_OK);

    result_t r;
    call(&r, SIM_HTTP_POST, "/api/v3/order", "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.01");
    assert_int_equal(r.resp.status, 200);
    json_t *f0 = json_array_get(json_object_get(r.json, "fills"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "commissionAsset")), "BNB");
    assert_int_equal(money_of(f0, "commission"), fee);
    result_free(&r);
    rt_money_t f, l;
    balance("BTC", &f, &l);
    assert_int_equal(f, qty); /* the whole quantity received */
    balance("BNB", &f, &l);
    assert_int_equal(f, RT_MONEY_UNITS(1) / 100 - fee);
    balance("USDC", &f, &l);
    assert_int_equal(f, RT_MONEY_UNITS(10000) - quote);

    /* a SELL receives the whole proceeds while BNB lasts */
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=SELL&type=MARKET&quantity=0.005&newOrderRespType=FULL");
    assert_int_equal(r.resp.status, 200);
    f0 = json_array_get(json_object_get(r.json, "fills"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "commissionAsset")), "BNB");
    rt_money_t sold = money_of(r.json, "cummulativeQuoteQty");
    result_free(&r);
    rt_money_t usdc_before = RT_MONEY_UNITS(10000) - quote;
    balance("USDC", &f, &l);
    assert_int_equal(f, usdc_before + sold);

    /* not enough BNB left for a big order: charged in the asset received */
    balance("BNB", &f, &l);
    rt_money_t bnb_left = f;
    call(&r, SIM_HTTP_POST, "/api/v3/order", "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.1");
    assert_int_equal(r.resp.status, 200);
    f0 = json_array_get(json_object_get(r.json, "fills"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "commissionAsset")), "BTC");
    assert_int_equal(money_of(f0, "commission"), RT_MONEY_UNITS(1) / 10000);
    result_free(&r);
    balance("BNB", &f, &l);
    assert_int_equal(f, bnb_left);

    /* BNBUSDC itself: the received asset, as without BNB */
    call(&r, SIM_HTTP_POST, "/api/v3/order", "symbol=BNBUSDC&side=BUY&type=MARKET&quantity=0.1");
    assert_int_equal(r.resp.status, 200);
    f0 = json_array_get(json_object_get(r.json, "fills"), 0);
    assert_string_equal(json_string_value(json_object_get(f0, "commissionAsset")), "BNB");
    assert_int_equal(money_of(f0, "commission"), RT_MONEY_UNITS(1) / 10000);
    result_free(&r);

    c.fee_asset = "bnb";
    sim_account_t *bad = NULL;
    assert_int_equal(sim_account_new(&c, &bad, why, sizeof why), RT_EINVAL);
    assert_null(bad);
}

/* An admin call with the test's faults. */
static long admin(sim_http_method_t method, const char *path_and_query, char **body)
{
    static sim_params_t params;
    char path[128];
    const char *q = strchr(path_and_query, '?');
    size_t n = q ? (size_t)(q - path_and_query) : strlen(path_and_query);
    assert_true(n < sizeof path);
    memcpy(path, path_and_query, n);
    path[n] = '\0';
    sim_params_init(&params);
    if (q)
        assert_int_equal(sim_params_parse_query(&params, q + 1, strlen(q + 1)), RT_OK);
    sim_weights_t weights;
    memset(&weights, 0, sizeof weights);
    sim_rest_req_t req = {.method = method,
                          .path = path,
                          .params = &params,
                          .peer = "127.0.0.1",
                          .peer_loopback = true};
    sim_rest_ctx_t ctx = {.market = market,
                          .weights = &weights,
                          .sim_now_ms = sim_now,
                          .real_now_ms = real_now,
                          .account = account,
                          .faults = faults};
    sim_rest_resp_t r;
    sim_rest_resp_init(&r);
    assert_int_equal(sim_rest_handle(&ctx, &req, &r), RT_OK);
    *body = strdup(r.body.data ? r.body.data : "");
    long st = r.status;
    sim_rest_resp_cleanup(&r);
    return st;
}

static void arm(const char *query, long want)
{
    char path[160], *body = NULL;
    snprintf(path, sizeof path, "/admin/order-fault?%s", query);
    long st = admin(SIM_HTTP_POST, path, &body);
    if (st != want)
        fail_msg("%s: %ld %s", path, st, body);
    free(body);
}

/* The order faults: what each answers, whether it executed, and the counters. */
static void test_order_faults(void **state)
{
    (void)state;
    sim_faults_t *fs = calloc(1, sizeof *fs);
    assert_non_null(fs);
    sim_faults_init(fs);
    faults = fs;
    rt_money_t f, l, usdc;
    result_t r;
    balance("USDC", &usdc, &l);

    arm("mode=exec-500&count=1", 200);
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c-1");
    expect_error(&r, 500, -1000, "An unknown error occurred while processing the request.");
    result_free(&r);
    balance("USDC", &f, &l);
    assert_true(f < usdc); /* executed */
    usdc = f;
    call(&r, SIM_HTTP_GET, "/api/v3/order", "symbol=BTCUSDC&origClientOrderId=c-1");
    assert_int_equal(r.resp.status, 200);
    assert_string_equal(json_string_value(json_object_get(r.json, "status")), "FILLED");
    result_free(&r);

    arm("mode=reject-503&count=2", 200);
    for (int i = 0; i < 2; i++) {
        call(&r, SIM_HTTP_POST, "/api/v3/order",
             "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c-2");
        assert_int_equal(r.resp.status, 503);
        result_free(&r);
    }
    balance("USDC", &f, &l);
    assert_int_equal(f, usdc); /* nothing executed */
    call(&r, SIM_HTTP_GET, "/api/v3/order", "symbol=BTCUSDC&origClientOrderId=c-2");
    expect_error(&r, 400, -2013, "Order does not exist.");
    result_free(&r);

    arm("mode=rate-limit&seconds=7", 200);
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c-3");
    assert_int_equal(r.resp.status, 429);
    assert_int_equal(r.resp.retry_after, 7);
    assert_int_equal(json_integer_value(json_object_get(r.json, "code")), -1003);
    result_free(&r);
    arm("mode=ban&seconds=120", 200);
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c-3");
    assert_int_equal(r.resp.status, 418);
    assert_int_equal(r.resp.retry_after, 120);
    result_free(&r);
    balance("USDC", &f, &l);
    assert_int_equal(f, usdc);

    arm("mode=delay&delayMs=2500", 200);
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c-4");
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(r.resp.delay_ms, 2500);
    result_free(&r);
    /* spent: the next one is answered as usual */
    call(&r, SIM_HTTP_POST, "/api/v3/order",
         "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.001&newClientOrderId=c-5");
    assert_int_equal(r.resp.status, 200);
    assert_int_equal(r.resp.delay_ms, 0);
    result_free(&r);

    assert_int_equal(sim_faults_count(fs, "c-1"), 1);
    assert_int_equal(sim_faults_count(fs, "c-2"), 2);
    assert_int_equal(sim_faults_count(fs, "c-3"), 2);
    assert_int_equal(sim_faults_count(fs, "nope"), 0);
    char *body = NULL;
    assert_int_equal(admin(SIM_HTTP_GET, "/admin/order-requests?newClientOrderId=c-2", &body), 200);
    assert_string_equal(body, "{\"orders\":7,\"signed\":9,\"faulted\":6,\"armed\":\"off\","
                              "\"remaining\":0,\"clientOrderId\":\"c-2\",\"count\":2}");
    free(body);
    assert_int_equal(admin(SIM_HTTP_GET, "/admin/order-requests?newClientOrderId=a%22b", &body),
                     400);
    free(body);

    arm("mode=boom", 400);
    arm("mode=exec-500&count=0", 400);
    arm("mode=delay&delayMs=-1", 400);
    arm("mode=rate-limit&seconds=x", 400);
    arm("mode=exec-503&count=3", 200);
    arm("mode=off", 200);
    call(&r, SIM_HTTP_POST, "/api/v3/order", "symbol=BTCUSDC&side=BUY&type=MARKET&quantity=0.001");
    assert_int_equal(r.resp.status, 200);
    result_free(&r);
    faults = NULL;
    free(fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_keys_and_signatures, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_binance_vectors, each_setup, each_teardown),
        cmocka_unit_test(test_params_encode),
        cmocka_unit_test_setup_teardown(test_timestamp_window, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_filters_and_balance, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_market_full, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_limit_cancel_and_lookup, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_account, each_setup, each_teardown),
        cmocka_unit_test(test_config),
        cmocka_unit_test_setup_teardown(test_fee_in_bnb, each_setup, each_teardown),
        cmocka_unit_test_setup_teardown(test_order_faults, each_setup, each_teardown),
        /* last: it moves the shared market on */
        cmocka_unit_test_setup_teardown(test_limit_rests_then_fills, each_setup, each_teardown),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
