/* rt-exchange-sim's signed endpoints as a real process, driven by the project's signed REST
 * client (rt/exrest.h) exactly as the trader's live mode drives Binance: a MARKET buy and sell
 * round trip with every balance checked to the last 1e-8, and a LIMIT order that rests (its
 * funds locked) and is cancelled. The simulator runs at SIM_SPEED=60, so the client's clock
 * (synced once from /api/v3/time) falls behind the simulated one as the test goes: the
 * timestamp window must still take it. Bounded: every wait has a deadline. */
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
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/money.h"
#include "rt/str.h"
#include "rt/time.h"
#include "rt_test.h"
#include "rt_test_trader.h"

#define FEE (RT_MONEY_UNITS(1) / 1000) /* SIM_TAKER_FEE / SIM_MAKER_FEE */

static pid_t child = -1;
static int port;

static int start_sim(void **state)
{
    (void)state;
    if (rt_test_live_sim_start(NULL, 0, &child, &port) != 0)
        return -1;
    return rt_exrest_global_init() == RT_OK ? 0 : -1;
}

static int stop_sim(void **state)
{
    (void)state;
    return rt_test_proc_stop(&child, 5000);
}

static rt_exrest_t *client(const char *key, const char *secret)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    rt_exrest_config_t cfg = {.base_url = url, .api_key = key, .secret_key = secret};
    rt_exrest_t *c = NULL;
    assert_int_equal(rt_exrest_new(&cfg, &c), RT_OK);
    assert_int_equal(rt_exrest_sync_time(c), RT_OK);
    return c;
}

static json_t *body_json(const rt_exrest_response_t *r)
{
    json_t *j = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
    assert_non_null(j);
    return j;
}

static rt_money_t money_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (s == NULL)
        fail_msg("no string \"%s\"", key);
    rt_money_t v;
    assert_int_equal(rt_money_parse(s, &v), RT_OK);
    return v;
}

/* The account's free and locked amounts of asset (0 when not listed). */
static void balance(rt_exrest_t *c, const char *asset, rt_money_t *f, rt_money_t *l)
{
    rt_exrest_response_t r;
    rt_exrest_response_init(&r);
    int rc = rt_exrest_get(c, "/api/v3/account", NULL, true, &r);
    if (rc != RT_OK)
        fail_msg("account: %s %d %s", rt_strerror(rc), r.exchange_code, r.exchange_msg);
    json_t *j = body_json(&r);
    *f = 0;
    *l = 0;
    json_t *b;
    size_t i;
    json_array_foreach(json_object_get(j, "balances"), i, b)
    {
        if (strcmp(json_string_value(json_object_get(b, "asset")), asset) == 0) {
            *f = money_of(b, "free");
            *l = money_of(b, "locked");
        }
    }
    json_decref(j);
    rt_exrest_response_cleanup(&r);
}

/* Sends an order; returns its parsed FULL response (caller decrefs). */
static json_t *order(rt_exrest_t *c, const char *side, const char *type, const char *qty,
                     const char *price, const char *client_id)
{
    rt_exrest_params_t p;
    rt_exrest_params_init(&p);
    rt_exrest_params_add(&p, "symbol", "BTCUSDC");
    rt_exrest_params_add(&p, "side", side);
    rt_exrest_params_add(&p, "type", type);
    if (price) {
        rt_exrest_params_add(&p, "timeInForce", "GTC");
        rt_exrest_params_add(&p, "price", price);
    }
    rt_exrest_params_add(&p, "quantity", qty);
    rt_exrest_params_add(&p, "newClientOrderId", client_id);
    rt_exrest_params_add(&p, "newOrderRespType", "FULL");
    rt_exrest_response_t r;
    rt_exrest_response_init(&r);
    int rc = rt_exrest_post(c, "/api/v3/order", &p, true, &r);
    if (rc != RT_OK)
        fail_msg("order %s %s: %s %d %s", side, type, rt_strerror(rc), r.exchange_code,
                 r.exchange_msg);
    assert_true(r.used_weight_1m > 0);
    json_t *j = body_json(&r);
    rt_exrest_response_cleanup(&r);
    rt_exrest_params_cleanup(&p);
    return j;
}

static void test_market_round_trip(void **state)
{
    (void)state;
    rt_exrest_t *c = client(RT_TEST_SIM_KEY, RT_TEST_SIM_SECRET);
    rt_money_t usdc, btc, locked;
    balance(c, "USDC", &usdc, &locked);
    assert_int_equal(usdc, RT_MONEY_UNITS(10000));
    assert_int_equal(locked, 0);

    /* BUY 0.01: the quote spent is exactly qty x price; the commission comes out of the BTC. */
    rt_money_t qty = RT_MONEY_UNITS(1) / 100;
    json_t *j = order(c, "BUY", "MARKET", "0.01", NULL, "rt-buy-1");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "FILLED");
    assert_string_equal(json_string_value(json_object_get(j, "clientOrderId")), "rt-buy-1");
    json_t *f0 = json_array_get(json_object_get(j, "fills"), 0);
    assert_non_null(f0);
    rt_money_t price = money_of(f0, "price"), spent, fee;
    assert_int_equal(rt_money_mul(qty, price, RT_ROUND_UP, &spent), RT_OK);
    assert_int_equal(rt_money_mul(qty, FEE, RT_ROUND_UP, &fee), RT_OK);
    assert_int_equal(money_of(j, "executedQty"), qty);
    assert_int_equal(money_of(j, "cummulativeQuoteQty"), spent);
    assert_int_equal(money_of(f0, "commission"), fee);
    assert_string_equal(json_string_value(json_object_get(f0, "commissionAsset")), "BTC");
    json_decref(j);
    balance(c, "USDC", &usdc, &locked);
    assert_int_equal(usdc, RT_MONEY_UNITS(10000) - spent);
    balance(c, "BTC", &btc, &locked);
    assert_int_equal(btc, qty - fee);

    /* Two real seconds later (two simulated minutes), the client's clock is behind the
     * simulated one: the window still takes it. */
    usleep(2000 * 1000);

    /* SELL all that is left (0.00999, on the step): received = qty x price - commission, in USDC.
     */
    rt_money_t sell_qty = RT_MONEY_UNITS(999) / 100000;
    j = order(c, "SELL", "MARKET", "0.00999", NULL, "rt-sell-1");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "FILLED");
    f0 = json_array_get(json_object_get(j, "fills"), 0);
    rt_money_t sell_price = money_of(f0, "price"), got, sell_fee;
    assert_int_equal(rt_money_mul(sell_qty, sell_price, RT_ROUND_DOWN, &got), RT_OK);
    assert_int_equal(rt_money_mul(got, FEE, RT_ROUND_UP, &sell_fee), RT_OK);
    assert_int_equal(money_of(j, "cummulativeQuoteQty"), got);
    assert_int_equal(money_of(f0, "commission"), sell_fee);
    assert_string_equal(json_string_value(json_object_get(f0, "commissionAsset")), "USDC");
    json_decref(j);
    balance(c, "USDC", &usdc, &locked);
    assert_int_equal(usdc, RT_MONEY_UNITS(10000) - spent + got - sell_fee);
    assert_int_equal(locked, 0);
    balance(c, "BTC", &btc, &locked);
    assert_int_equal(btc, qty - fee - sell_qty);
    assert_int_equal(btc, 0); /* 0.01 bought, 0.00001 of it the commission, 0.00999 sold */
    rt_exrest_free(c);
}

static void test_limit_rest_cancel(void **state)
{
    (void)state;
    rt_exrest_t *c = client(RT_TEST_SIM_KEY, RT_TEST_SIM_SECRET);
    rt_money_t free0, locked0, f, l;
    balance(c, "USDC", &free0, &locked0);
    json_t *j = order(c, "BUY", "LIMIT", "0.01", "30000", "rt-limit-1");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "NEW");
    assert_int_equal(json_array_size(json_object_get(j, "fills")), 0);
    json_decref(j);
    balance(c, "USDC", &f, &l);
    assert_int_equal(l, locked0 + RT_MONEY_UNITS(300));
    assert_int_equal(f, free0 - RT_MONEY_UNITS(300));

    rt_exrest_params_t p;
    rt_exrest_params_init(&p);
    rt_exrest_params_add(&p, "symbol", "BTCUSDC");
    rt_exrest_params_add(&p, "origClientOrderId", "rt-limit-1");
    rt_exrest_response_t r;
    rt_exrest_response_init(&r);
    assert_int_equal(rt_exrest_get(c, "/api/v3/order", &p, true, &r), RT_OK);
    j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "NEW");
    json_decref(j);
    assert_int_equal(rt_exrest_get(c, "/api/v3/openOrders", NULL, true, &r), RT_OK);
    j = body_json(&r);
    assert_int_equal(json_array_size(j), 1);
    json_decref(j);

    assert_int_equal(rt_exrest_delete(c, "/api/v3/order", &p, true, &r), RT_OK);
    j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "CANCELED");
    assert_string_equal(json_string_value(json_object_get(j, "origClientOrderId")), "rt-limit-1");
    json_decref(j);
    balance(c, "USDC", &f, &l);
    assert_int_equal(f, free0);
    assert_int_equal(l, locked0);

    /* Cancelled twice: Binance's -2011; looked up: CANCELED. */
    assert_int_equal(rt_exrest_delete(c, "/api/v3/order", &p, true, &r), RT_EEXCHANGE);
    assert_int_equal(r.exchange_code, -2011);
    assert_int_equal(rt_exrest_get(c, "/api/v3/order", &p, true, &r), RT_OK);
    j = body_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "CANCELED");
    json_decref(j);
    rt_exrest_response_cleanup(&r);
    rt_exrest_params_cleanup(&p);
    rt_exrest_free(c);
}

static void test_wrong_keys(void **state)
{
    (void)state;
    rt_exrest_response_t r;
    rt_exrest_response_init(&r);
    /* Escaped characters survive lws's decoding and the server's encoding back: a parameter
     * the endpoint ignores, signed with the rest. */
    rt_exrest_t *ok = client(RT_TEST_SIM_KEY, RT_TEST_SIM_SECRET);
    rt_exrest_params_t p;
    rt_exrest_params_init(&p);
    rt_exrest_params_add(&p, "omitZeroBalances", "true");
    rt_exrest_params_add(&p, "note", "a b+c/d:e,[\"x\"]~.-_&y=z%");
    int rc = rt_exrest_get(ok, "/api/v3/account", &p, true, &r);
    if (rc != RT_OK)
        fail_msg("escaped parameter: %s %d %s", rt_strerror(rc), r.exchange_code, r.exchange_msg);
    rt_exrest_params_cleanup(&p);
    rt_exrest_free(ok);

    rt_exrest_t *c = client(RT_TEST_SIM_KEY, "not-the-secret");
    assert_int_equal(rt_exrest_get(c, "/api/v3/account", NULL, true, &r), RT_EEXCHANGE);
    assert_int_equal(r.exchange_code, -1022);
    rt_exrest_free(c);
    c = client("not-the-key", RT_TEST_SIM_SECRET);
    assert_int_equal(rt_exrest_get(c, "/api/v3/account", NULL, true, &r), RT_EEXCHANGE);
    assert_int_equal(r.exchange_code, -2015);
    rt_exrest_free(c);
    rt_exrest_response_cleanup(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_market_round_trip),
        cmocka_unit_test(test_limit_rest_cancel),
        cmocka_unit_test(test_wrong_keys),
    };
    return cmocka_run_group_tests(tests, start_sim, stop_sim);
}
