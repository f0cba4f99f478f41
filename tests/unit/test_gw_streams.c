/* Where the gateway connects and what it subscribes to; and the hand-off queue. */
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

#include "gw/queue.h"
#include "gw/streams.h"
#include "rt/err.h"

static void test_endpoint_parse(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        int rc;
        bool tls;
        const char *host;
        int port;
        const char *prefix;
    } cases[] = {
        {"ws://127.0.0.1:9090", RT_OK, false, "127.0.0.1", 9090, ""},
        {"wss://stream.binance.com:9443", RT_OK, true, "stream.binance.com", 9443, ""},
        {"wss://stream.testnet.binance.vision/ws", RT_OK, true, "stream.testnet.binance.vision",
         443, ""},
        {"wss://data-stream.binance.vision:443/stream", RT_OK, true, "data-stream.binance.vision",
         443, ""},
        {"ws://localhost/", RT_OK, false, "localhost", 80, ""},
        {"ws://[::1]:9090/proxy/binance/ws/", RT_OK, false, "::1", 9090, "/proxy/binance"},
        {"ws://[::1]", RT_OK, false, "::1", 80, ""},
        {"http://127.0.0.1:9090", RT_EINVAL, false, "", 0, ""},
        {"ws://", RT_EINVAL, false, "", 0, ""},
        {"ws://:9090", RT_EINVAL, false, "", 0, ""},
        {"ws://h:0", RT_EINVAL, false, "", 0, ""},
        {"ws://h:65536", RT_EINVAL, false, "", 0, ""},
        {"ws://h:+80", RT_EINVAL, false, "", 0, ""},
        {"ws://h:", RT_EINVAL, false, "", 0, ""},
        {"ws://h:80x", RT_EINVAL, false, "", 0, ""},
        {"ws://h/stream?streams=a", RT_EINVAL, false, "", 0, ""},
        {"ws://user:pw@h", RT_EINVAL, false, "", 0, ""},
        {"ws://[::1", RT_EINVAL, false, "", 0, ""},
        {"ws://[::1]x", RT_EINVAL, false, "", 0, ""},
        {"ws://h h", RT_EINVAL, false, "", 0, ""},
        /* a host of other characters (found by fuzz_params: "ws://[[]" gave the host "[") */
        {"ws://[[]", RT_EINVAL, false, "", 0, ""},
        {"ws://[::1]]", RT_EINVAL, false, "", 0, ""},
        {"ws://a]b:80", RT_EINVAL, false, "", 0, ""},
        {"ws://h\x01st", RT_EINVAL, false, "", 0, ""},
        {"ws://[fe80::1%eth0]", RT_EINVAL, false, "", 0, ""},
        {"ws://my_host-1.example:1", RT_OK, false, "my_host-1.example", 1, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_endpoint_t ep;
        memset(&ep, 0x5a, sizeof ep);
        int rc = gw_endpoint_parse(cases[i].url, &ep);
        if (rc != cases[i].rc)
            fail_msg("%s: rc %d, want %d", cases[i].url, rc, cases[i].rc);
        if (rc != RT_OK)
            continue;
        if (ep.tls != cases[i].tls || strcmp(ep.host, cases[i].host) != 0 ||
            ep.port != cases[i].port || strcmp(ep.prefix, cases[i].prefix) != 0)
            fail_msg("%s: tls %d host %s port %d prefix \"%s\"", cases[i].url, ep.tls, ep.host,
                     ep.port, ep.prefix);
    }
}

static void test_exchange_urls(void **state)
{
    (void)state;
    char ws[GW_URL_CAP], rest[GW_URL_CAP];
    assert_int_equal(gw_exchange_urls(GW_EXCHANGE_SIM, 9090, "", NULL, ws, rest), RT_OK);
    assert_string_equal(ws, "ws://127.0.0.1:9090");
    assert_string_equal(rest, "http://127.0.0.1:9090");
    assert_int_equal(gw_exchange_urls(GW_EXCHANGE_SIM, 23456, NULL, NULL, ws, rest), RT_OK);
    assert_string_equal(ws, "ws://127.0.0.1:23456");
    assert_string_equal(rest, "http://127.0.0.1:23456");
    assert_int_equal(gw_exchange_urls(GW_EXCHANGE_BINANCE, 0, NULL, NULL, ws, rest), RT_OK);
    assert_string_equal(ws, "wss://stream.binance.com:9443");
    assert_string_equal(rest, "https://api.binance.com");
    assert_int_equal(gw_exchange_urls(GW_EXCHANGE_TESTNET, 0, NULL, NULL, ws, rest), RT_OK);
    assert_string_equal(ws, "wss://stream.testnet.binance.vision");
    assert_string_equal(rest, "https://testnet.binance.vision");
    assert_int_equal(gw_exchange_urls(GW_EXCHANGE_BINANCE, 0, "wss://data-stream.binance.vision",
                                      "https://data-api.binance.vision", ws, rest),
                     RT_OK);
    assert_string_equal(ws, "wss://data-stream.binance.vision");
    assert_string_equal(rest, "https://data-api.binance.vision");
    assert_int_equal(gw_exchange_urls(GW_EXCHANGE_SIM, 0, NULL, NULL, ws, rest), RT_EINVAL);
    assert_int_equal(gw_exchange_urls((gw_exchange_t)7, 9090, NULL, NULL, ws, rest), RT_EINVAL);
}

static void test_plan_default_symbols(void **state)
{
    (void)state;
    static const char *const syms[] = {"BTCUSDC", "ETHUSDC", "SOLUSDC", "BNBUSDC", "XRPUSDC"};
    gw_interval_t iv;
    assert_int_equal(gw_interval_parse("1m", &iv), RT_OK);
    gw_conn_plan_t *plans = NULL;
    size_t n = 0;
    assert_int_equal(gw_plan_build(syms, 5, &iv, "", 0, &plans, &n), RT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(plans[0].first_sym, 0);
    assert_int_equal(plans[0].nsym, 5);
    assert_int_equal(plans[0].nsub, 0);
    assert_int_equal(plans[0].in_path, 10);
    assert_string_equal(plans[0].path,
                        "/stream?streams=btcusdc@kline_1m/btcusdc@miniTicker/ethusdc@kline_1m/"
                        "ethusdc@miniTicker/solusdc@kline_1m/solusdc@miniTicker/bnbusdc@kline_1m/"
                        "bnbusdc@miniTicker/xrpusdc@kline_1m/xrpusdc@miniTicker");
    gw_plan_free(plans, n);
    /* with a path prefix */
    assert_int_equal(gw_plan_build(syms, 1, &iv, "/proxy", 0, &plans, &n), RT_OK);
    assert_string_equal(plans[0].path, "/proxy/stream?streams=btcusdc@kline_1m/btcusdc@miniTicker");
    gw_plan_free(plans, n);
    /* bad input */
    static const char *const bad[] = {"BTC-USDC"};
    assert_int_equal(gw_plan_build(bad, 1, &iv, "", 0, &plans, &n), RT_EINVAL);
    assert_int_equal(gw_plan_build(syms, 0, &iv, "", 0, &plans, &n), RT_EINVAL);
    assert_int_equal(gw_plan_build(syms, 1, &iv, "", 20, &plans, &n), RT_EINVAL);
}

/* 1300 symbols: 3 connections (512, 512, 276), names past the path budget in SUBSCRIBE
 * requests of at most GW_SUBSCRIBE_MAX names, every stream exactly once, at most 1024 per
 * connection. */
static void test_plan_many_symbols(void **state)
{
    (void)state;
    enum { N = 1300 };
    static char names[N][16];
    const char *syms[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "S%04dUSDC", i);
        syms[i] = names[i];
    }
    gw_interval_t iv;
    assert_int_equal(gw_interval_parse("5m", &iv), RT_OK);
    gw_conn_plan_t *plans = NULL;
    size_t n = 0;
    assert_int_equal(gw_plan_build(syms, N, &iv, "", 2000, &plans, &n), RT_OK);
    assert_int_equal(n, 3);
    size_t seen = 0;
    for (size_t c = 0; c < n; c++) {
        size_t streams = 0;
        assert_true(strlen(plans[c].path) <= 2000);
        const char *q = strchr(plans[c].path, '=') + 1;
        for (const char *p = q; *p; p++)
            streams += *p == '/';
        streams += 1;
        assert_int_equal(streams, plans[c].in_path);
        for (size_t s = 0; s < plans[c].nsub; s++) {
            json_error_t err;
            json_t *req = json_loads(plans[c].sub[s], 0, &err);
            if (req == NULL)
                fail_msg("subscribe %zu.%zu: %s", c, s, err.text);
            assert_string_equal(json_string_value(json_object_get(req, "method")), "SUBSCRIBE");
            assert_int_equal(json_integer_value(json_object_get(req, "id")), (json_int_t)s + 1);
            size_t k = json_array_size(json_object_get(req, "params"));
            assert_true(k >= 1 && k <= GW_SUBSCRIBE_MAX);
            streams += k;
            json_decref(req);
        }
        assert_int_equal(streams, plans[c].nsym * 2);
        assert_true(streams <= GW_STREAMS_PER_CONN);
        assert_int_equal(plans[c].first_sym, seen);
        seen += plans[c].nsym;
    }
    assert_int_equal(seen, N);
    assert_int_equal(plans[2].nsym, N - 1024);
    /* the first SUBSCRIBE of connection 0 starts where its path stopped */
    json_t *req = json_loads(plans[0].sub[0], 0, NULL);
    const char *first = json_string_value(json_array_get(json_object_get(req, "params"), 0));
    assert_non_null(first);
    assert_null(strstr(plans[0].path, first));
    json_decref(req);
    gw_plan_free(plans, n);
}

static void test_queue(void **state)
{
    (void)state;
    gw_queue_t q;
    assert_int_equal(gw_queue_init(&q, 0), RT_EINVAL);
    assert_int_equal(gw_queue_init(&q, 3), RT_OK);
    assert_null(gw_queue_peek(&q));
    gw_item_t it;
    memset(&it, 0, sizeof it);
    for (int round = 0; round < 4; round++) { /* wraps around */
        for (int i = 0; i < 3; i++) {
            it.arrival_ns = round * 10 + i;
            assert_int_equal(gw_queue_push(&q, &it), RT_OK);
        }
        assert_int_equal(gw_queue_push(&q, &it), RT_ETOOBIG);
        assert_int_equal(gw_queue_len(&q), 3);
        for (int i = 0; i < 3; i++) {
            const gw_item_t *p = gw_queue_peek(&q);
            assert_non_null(p);
            assert_int_equal(p->arrival_ns, round * 10 + i);
            gw_queue_pop(&q);
        }
        assert_null(gw_queue_peek(&q));
        gw_queue_pop(&q); /* no-op */
    }
    assert_int_equal(q.dropped, 4);
    gw_queue_cleanup(&q);
    gw_queue_cleanup(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint_parse),
        cmocka_unit_test(test_exchange_urls),
        cmocka_unit_test(test_plan_default_symbols),
        cmocka_unit_test(test_plan_many_symbols),
        cmocka_unit_test(test_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
