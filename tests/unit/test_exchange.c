/* rt_exchange_urls: the base URLs every program derives from EXCHANGE, SIM_PORT and the
 * overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/exchange.h"

typedef struct {
    rt_exchange_t ex;
    int port;
    const char *rest_override, *ws_override;
    int rc;
    const char *rest, *ws;
} url_case_t;

static void test_urls(void **state)
{
    (void)state;
    static const url_case_t cases[] = {
        {RT_EXCHANGE_SIM, 9090, NULL, NULL, RT_OK, "http://127.0.0.1:9090", "ws://127.0.0.1:9090"},
        {RT_EXCHANGE_SIM, 23456, "", "", RT_OK, "http://127.0.0.1:23456", "ws://127.0.0.1:23456"},
        {RT_EXCHANGE_BINANCE, 0, NULL, NULL, RT_OK, "https://api.binance.com",
         "wss://stream.binance.com:9443"},
        {RT_EXCHANGE_TESTNET, 0, NULL, NULL, RT_OK, "https://testnet.binance.vision",
         "wss://stream.testnet.binance.vision"},
        {RT_EXCHANGE_BINANCE, 0, "http://10.0.0.1:1", "ws://10.0.0.1:2", RT_OK,
         "http://10.0.0.1:1", "ws://10.0.0.1:2"},
        /* both overridden: the sim's port is not needed */
        {RT_EXCHANGE_SIM, 0, "http://h:1", "ws://h:1", RT_OK, "http://h:1", "ws://h:1"},
        {RT_EXCHANGE_SIM, 0, NULL, NULL, RT_EINVAL, NULL, NULL},
        {RT_EXCHANGE_SIM, 65536, "http://h:1", NULL, RT_EINVAL, NULL, NULL},
        {(rt_exchange_t)7, 9090, NULL, NULL, RT_EINVAL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const url_case_t *c = &cases[i];
        char rest[64] = "untouched", ws[64] = "untouched";
        int rc = rt_exchange_urls(c->ex, c->port, c->rest_override, c->ws_override, rest,
                                  sizeof rest, ws, sizeof ws);
        if (rc != c->rc)
            fail_msg("case %zu: rc %d, want %d", i, rc, c->rc);
        assert_string_equal(rest, c->rest ? c->rest : "untouched");
        assert_string_equal(ws, c->ws ? c->ws : "untouched");
    }
}

static void test_rest_only_and_sizes(void **state)
{
    (void)state;
    char rest[22]; /* "http://127.0.0.1:9090" is 21 bytes and its NUL */
    assert_int_equal(rt_exchange_urls(RT_EXCHANGE_SIM, 9090, NULL, NULL, rest, sizeof rest, NULL, 0),
                     RT_OK);
    assert_string_equal(rest, "http://127.0.0.1:9090");
    /* the WebSocket side is not needed: a bad port with a REST override is fine */
    assert_int_equal(rt_exchange_urls(RT_EXCHANGE_SIM, 0, "http://x:1", NULL, rest, sizeof rest,
                                      NULL, 0),
                     RT_OK);
    assert_string_equal(rest, "http://x:1");
    char small[21];
    assert_int_equal(rt_exchange_urls(RT_EXCHANGE_SIM, 9090, NULL, NULL, small, sizeof small, NULL,
                                      0),
                     RT_ETOOBIG);
    assert_int_equal(rt_exchange_urls(RT_EXCHANGE_SIM, 9090, NULL, NULL, NULL, 8, NULL, 0),
                     RT_EINVAL);
    assert_string_equal(rt_exchange_names[RT_EXCHANGE_TESTNET], "binance-testnet");
    assert_null(rt_exchange_names[3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_rest_only_and_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
