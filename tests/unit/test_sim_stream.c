/* The WebSocket protocol core: stream names, connection paths, the control methods with
 * Binance's replies and error replies, and the limits (1024 streams, 5 messages a second). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "sim/market.h"
#include "sim/stream.h"

static sim_market_t *market;

static int setup(void **state)
{
    (void)state;
    static const char *const syms[] = {"BTCUSDC", "ETHUSDC"};
    sim_market_config_t c = {
        .symbols = syms, .nsymbols = 2, .seed = 1, .start_ms = 0, .live_ms = 0, .ring_max = 100};
    return sim_market_new(&c, &market, NULL, 0);
}

static int teardown(void **state)
{
    (void)state;
    sim_market_free(market);
    return 0;
}

static void test_stream_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int rc;
        sim_stream_kind_t kind;
        const char *symbol;
    } cases[] = {
        {"btcusdc@kline_1m", RT_OK, SIM_STREAM_KLINE, "BTCUSDC"},
        {"btcusdc@kline_1M", RT_OK, SIM_STREAM_KLINE, "BTCUSDC"},
        {"ethusdc@miniTicker", RT_OK, SIM_STREAM_MINI_TICKER, "ETHUSDC"},
        {"1000satsusdt@trade", RT_OK, SIM_STREAM_TRADE, "1000SATSUSDT"},
        {"btcusdc@aggTrade", RT_OK, SIM_STREAM_OTHER, "BTCUSDC"},
        {"btcusdc@depth@100ms", RT_OK, SIM_STREAM_OTHER, "BTCUSDC"},
        {"btcusdc@kline_1m@+08:00", RT_OK, SIM_STREAM_OTHER, "BTCUSDC"},
        {"!miniTicker@arr", RT_OK, SIM_STREAM_OTHER, ""},
        {"BTCUSDC@kline_1m", RT_EINVAL, 0, NULL}, /* symbols are lower case */
        {"btcusdc@kline_2m", RT_EINVAL, 0, NULL},
        {"btcusdc@kline_", RT_EINVAL, 0, NULL},
        {"btcusdc@miniticker", RT_EINVAL, 0, NULL},
        {"btcusdc", RT_EINVAL, 0, NULL},
        {"@trade", RT_EINVAL, 0, NULL},
        {"btc-usdc@trade", RT_EINVAL, 0, NULL},
        {"btcusdc@kline_1m@+09:00", RT_EINVAL, 0, NULL},
        {"!foo@arr", RT_EINVAL, 0, NULL},
        {"", RT_EINVAL, 0, NULL},
        {"abcdefghijklmnopqrstuvwxyz@trade", RT_EINVAL, 0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_stream_t st;
        int rc = sim_stream_parse(cases[i].name, strlen(cases[i].name), &st);
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d want %d", cases[i].name, rc, cases[i].rc);
        if (rc != RT_OK)
            continue;
        assert_int_equal(st.kind, cases[i].kind);
        assert_string_equal(st.symbol, cases[i].symbol);
        assert_string_equal(st.name, cases[i].name);
    }
    sim_stream_t st;
    assert_int_equal(sim_stream_parse("btcusdc@kline_15m", 17, &st), RT_OK);
    assert_int_equal(st.interval, SIM_IV_15M);
}

static void test_open_paths(void **state)
{
    (void)state;
    static const struct {
        const char *path, *streams;
        int rc;
        size_t count;
        bool combined;
        long first_sym; /* sim index of the first stream, -1 when not served */
    } cases[] = {
        {"/ws", NULL, RT_OK, 0, false, -1},
        {"/ws/btcusdc@kline_1m", NULL, RT_OK, 1, false, 0},
        {"/ws/ethusdc@trade/btcusdc@miniTicker", NULL, RT_OK, 2, false, 1},
        {"/stream", "btcusdc@kline_1m/ethusdc@kline_1m/btcusdc@miniTicker", RT_OK, 3, true, 0},
        {"/stream", NULL, RT_OK, 0, true, -1},
        {"/stream", "dogeusdc@kline_1m", RT_OK, 1, true, -1}, /* not listed: silent */
        {"/stream", "btcusdc@kline_1m//x", RT_EINVAL, 0, true, -1},
        {"/ws/BTCUSDC@trade", NULL, RT_EINVAL, 0, false, -1},
        {"/api/v3/klines", NULL, RT_ENOTFOUND, 0, false, -1},
        {"/", NULL, RT_ENOTFOUND, 0, false, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sim_ws_session_t s;
        sim_ws_session_init(&s, market, false);
        int rc = sim_ws_session_open(&s, cases[i].path, cases[i].streams);
        if (rc != cases[i].rc)
            fail_msg("%s ? %s: rc %d want %d", cases[i].path,
                     cases[i].streams ? cases[i].streams : "", rc, cases[i].rc);
        if (rc == RT_OK) {
            assert_int_equal(s.count, cases[i].count);
            assert_int_equal(s.combined, cases[i].combined);
            if (s.count)
                assert_int_equal(s.items[0].sym, cases[i].first_sym);
        }
        sim_ws_session_cleanup(&s);
    }
}

/* Sends msg and compares the reply. */
static void exchange(sim_ws_session_t *s, const char *msg, const char *want)
{
    sim_buf_t reply;
    sim_buf_init(&reply);
    bool close = true;
    assert_int_equal(sim_ws_handle(s, msg, strlen(msg), &reply, &close), RT_OK);
    assert_false(close);
    if (strcmp(sim_buf_str(&reply), want) != 0)
        fail_msg("%s\n got  %s\n want %s", msg, sim_buf_str(&reply), want);
    sim_buf_cleanup(&reply);
}

static void test_methods(void **state)
{
    (void)state;
    sim_ws_session_t s;
    sim_ws_session_init(&s, market, false);
    assert_int_equal(sim_ws_session_open(&s, "/ws/btcusdc@kline_1m", NULL), RT_OK);
    exchange(&s,
             "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdc@trade\",\"ethusdc@miniTicker\"],"
             "\"id\":1}",
             "{\"result\":null,\"id\":1}");
    assert_int_equal(s.count, 3);
    assert_int_equal(s.items[2].sym, 1);
    /* Subscribing twice keeps one. */
    exchange(&s, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdc@trade\"],\"id\":\"a1-b2\"}",
             "{\"result\":null,\"id\":\"a1-b2\"}");
    exchange(&s, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":3}",
             "{\"result\":[\"btcusdc@kline_1m\",\"btcusdc@trade\",\"ethusdc@miniTicker\"],"
             "\"id\":3}");
    exchange(&s,
             "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdc@trade\",\"nothere@trade\"],"
             "\"id\":312}",
             "{\"result\":null,\"id\":312}");
    exchange(&s, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":null}",
             "{\"result\":[\"btcusdc@kline_1m\",\"ethusdc@miniTicker\"],\"id\":null}");
    /* Properties. */
    exchange(&s, "{\"method\":\"GET_PROPERTY\",\"params\":[\"combined\"],\"id\":2}",
             "{\"result\":false,\"id\":2}");
    exchange(&s, "{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",true],\"id\":5}",
             "{\"result\":null,\"id\":5}");
    assert_true(s.combined);
    exchange(&s, "{\"method\":\"GET_PROPERTY\",\"params\":[\"combined\"],\"id\":6}",
             "{\"result\":true,\"id\":6}");
    sim_ws_session_cleanup(&s);
}

static void test_errors(void **state)
{
    (void)state;
    sim_ws_session_t s;
    sim_ws_session_init(&s, market, true);
    static const struct {
        const char *msg, *want;
    } cases[] = {
        {"{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdc@kline_1m\",\"BAD\"],\"id\":7}",
         "{\"error\":{\"code\":2,\"msg\":\"Invalid request: invalid stream\"},\"id\":7}"},
        {"{\"method\":\"SUBSCRIBE\",\"params\":\"btcusdc@trade\",\"id\":8}",
         "{\"error\":{\"code\":2,\"msg\":\"Invalid request: params must be an array of "
         "streams\"},\"id\":8}"},
        {"{\"method\":\"SUBSCRIBE\",\"id\":9}",
         "{\"error\":{\"code\":2,\"msg\":\"Invalid request: missing field `params`\"},\"id\":9}"},
        {"{\"params\":[],\"id\":10}",
         "{\"error\":{\"code\":2,\"msg\":\"Invalid request: missing field `method`\"},\"id\":10}"},
        {"{\"method\":\"SUBSCRIB\",\"params\":[],\"id\":11}",
         "{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown variant, expected one of "
         "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`\"},"
         "\"id\":11}"},
        {"{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",\"yes\"],\"id\":12}",
         "{\"error\":{\"code\":1,\"msg\":\"Invalid value type: expected Boolean\"},\"id\":12}"},
        {"{\"method\":\"SET_PROPERTY\",\"params\":[\"speed\",true],\"id\":13}",
         "{\"error\":{\"code\":0,\"msg\":\"Unknown property\"},\"id\":13}"},
        {"{\"method\":\"GET_PROPERTY\",\"params\":[5],\"id\":14}",
         "{\"error\":{\"code\":2,\"msg\":\"Invalid request: property name must be a string\"},"
         "\"id\":14}"},
        {"{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",true,1],\"id\":15}",
         "{\"error\":{\"code\":2,\"msg\":\"Invalid request: too many parameters\"},\"id\":15}"},
        {"{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1.5}",
         "{\"error\":{\"code\":2,\"msg\":\"Invalid request: request ID must be an integer, a "
         "string of at most 36 letters or digits, or null\"},\"id\":null}"},
        {"{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":\"has space\"}",
         "{\"error\":{\"code\":2,\"msg\":\"Invalid request: request ID must be an integer, a "
         "string of at most 36 letters or digits, or null\"},\"id\":null}"},
        {"[1,2]", "{\"error\":{\"code\":2,\"msg\":\"Invalid request: expected an object\"},"
                  "\"id\":null}"},
        {"{\"method\":", "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: '[' or '{' expected near "
                         "end of file at line 1 column 10\"},\"id\":null}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strncmp(cases[i].want, "{\"error\":{\"code\":3", 18) == 0) {
            /* jansson's wording: only the code and the framing are ours */
            sim_buf_t reply;
            sim_buf_init(&reply);
            bool close = false;
            assert_int_equal(sim_ws_handle(&s, cases[i].msg, strlen(cases[i].msg), &reply, &close),
                             RT_OK);
            assert_true(strncmp(sim_buf_str(&reply),
                                "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: ", 40) == 0);
            assert_non_null(strstr(sim_buf_str(&reply), "\"},\"id\":null}"));
            sim_buf_cleanup(&reply);
            continue;
        }
        exchange(&s, cases[i].msg, cases[i].want);
    }
    assert_int_equal(s.count, 0); /* nothing half-subscribed */
    /* Every reply is valid JSON even for hostile input. */
    const char *hostile = "{\"method\":\"\\\"<\\\\\",\"id\":\"x\"}";
    exchange(&s, hostile,
             "{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown variant, expected one of "
             "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`\"},"
             "\"id\":\"x\"}");
    sim_ws_session_cleanup(&s);
}

static void test_limits(void **state)
{
    (void)state;
    sim_ws_session_t s;
    sim_ws_session_init(&s, market, true);
    /* 1024 streams are fine; one more disconnects. */
    sim_buf_t msg, reply;
    sim_buf_init(&msg);
    sim_buf_init(&reply);
    sim_buf_puts(&msg, "{\"method\":\"SUBSCRIBE\",\"params\":[");
    for (int i = 0; i < SIM_WS_MAX_STREAMS; i++)
        sim_buf_printf(&msg, "%s\"s%d@trade\"", i ? "," : "", i);
    sim_buf_puts(&msg, "],\"id\":1}");
    bool close = true;
    assert_int_equal(sim_ws_handle(&s, msg.data, msg.len, &reply, &close), RT_OK);
    assert_false(close);
    assert_int_equal(s.count, SIM_WS_MAX_STREAMS);
    const char *one_more = "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdc@trade\"],\"id\":2}";
    sim_buf_reset(&reply);
    assert_int_equal(sim_ws_handle(&s, one_more, strlen(one_more), &reply, &close), RT_OK);
    assert_true(close);
    assert_int_equal(reply.len, 0);
    sim_ws_session_cleanup(&s);

    /* 5 messages a second are fine, the 6th within the same second is not. */
    sim_ws_session_init(&s, market, true);
    for (int i = 0; i < 5; i++)
        assert_false(sim_ws_rate_exceeded(&s, 10000 + i * 100));
    assert_true(sim_ws_rate_exceeded(&s, 10900));
    sim_ws_session_cleanup(&s);
    sim_ws_session_init(&s, market, true);
    for (int i = 0; i < 20; i++) /* 4 a second for 5 seconds */
        assert_false(sim_ws_rate_exceeded(&s, 20000 + i * 250));
    sim_ws_session_cleanup(&s);
    /* Too many streams in the URL. */
    sim_buf_reset(&msg);
    for (int i = 0; i <= SIM_WS_MAX_STREAMS; i++)
        sim_buf_printf(&msg, "%ss%d@trade", i ? "/" : "", i);
    sim_ws_session_init(&s, market, true);
    assert_int_equal(sim_ws_session_open(&s, "/stream", msg.data), RT_ETOOBIG);
    sim_ws_session_cleanup(&s);
    sim_buf_cleanup(&msg);
    sim_buf_cleanup(&reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_names), cmocka_unit_test(test_open_paths),
        cmocka_unit_test(test_methods),      cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
