/* POST /trade's body parser (tr_request.h), table-driven: what is accepted and, for every bad
 * input the issue lists, the status, field and words of the refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/money.h"
#include "rt_test.h"
#include "tr_request.h"

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

typedef struct {
    const char *name;
    const char *body;
    bool limit;
    rt_side_t side;
    const char *quantity, *quote_quantity, *price, *stop_loss, *take_profit;
} good_t;

static const good_t goods[] = {
    {"market buy", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.001}", false,
     RT_SIDE_BUY, "0.001", "0", "0", "0", "0"},
    {"market buy as strings, explicit type",
     "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":\"0.00012345\"}",
     false, RT_SIDE_BUY, "0.00012345", "0", "0", "0", "0"},
    {"quote quantity", "{\"symbol\":\"ETHUSDC\",\"side\":\"BUY\",\"quote_quantity\":25}", false,
     RT_SIDE_BUY, "0", "25", "0", "0", "0"},
    {"sell without quantity (the whole position)", "{\"symbol\":\"BTCUSDC\",\"side\":\"SELL\"}",
     false, RT_SIDE_SELL, "0", "0", "0", "0", "0"},
    {"limit buy with levels",
     "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"quantity\":0.01,"
     "\"price\":\"49000.5\",\"stop_loss\":47000,\"take_profit\":\"52000.25\"}",
     true, RT_SIDE_BUY, "0.01", "0", "49000.5", "47000", "52000.25"},
    {"limit sell",
     "{\"symbol\":\"BTCUSDC\",\"side\":\"SELL\",\"type\":\"LIMIT\","
     "\"quantity\":\"0.5\",\"price\":60000}",
     true, RT_SIDE_SELL, "0.5", "0", "60000", "0", "0"},
    {"8 decimals exactly", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.00000001}",
     false, RT_SIDE_BUY, "0.00000001", "0", "0", "0", "0"},
};

static void test_accepts(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++) {
        const good_t *g = &goods[i];
        tr_trade_request_t t;
        tr_request_error_t e;
        memset(&e, 0, sizeof e);
        int rc = tr_trade_request_parse(g->body, strlen(g->body), &t, &e);
        if (rc != RT_OK)
            fail_msg("%s: refused (%d %s %s: %s)", g->name, e.status, e.code, e.field, e.message);
        if (t.limit != g->limit || t.side != g->side || t.quantity != M(g->quantity) ||
            t.quote_quantity != M(g->quote_quantity) || t.price != M(g->price) ||
            t.stop_loss != M(g->stop_loss) || t.take_profit != M(g->take_profit))
            fail_msg("%s: parsed differently", g->name);
    }
}

typedef struct {
    const char *name;
    const char *body; /* NULL: see len */
    unsigned status;
    const char *field;
    const char *words; /* in the message */
} bad_t;

static const bad_t bads[] = {
    {"empty", "", 400, "", "empty"},
    {"not JSON", "symbol=BTCUSDC&side=BUY", 400, "", "not JSON"},
    {"truncated JSON", "{\"symbol\":\"BTCUSDC\"", 400, "", "not JSON"},
    {"an array", "[1,2]", 400, "", "JSON object"},
    {"duplicate key", "{\"symbol\":\"BTCUSDC\",\"symbol\":\"ETHUSDC\",\"side\":\"BUY\"}", 400, "",
     "not JSON"},
    {"unknown field", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1,\"leverage\":5}",
     400, "", "unknown field 'leverage'"},
    {"symbol missing", "{\"side\":\"BUY\",\"quantity\":1}", 400, "symbol", "'symbol'"},
    {"symbol a number", "{\"symbol\":5,\"side\":\"BUY\",\"quantity\":1}", 400, "symbol",
     "'symbol'"},
    {"symbol lower case", "{\"symbol\":\"btcusdc\",\"side\":\"BUY\",\"quantity\":1}", 400, "symbol",
     "'symbol'"},
    {"SQL in the symbol",
     "{\"symbol\":\"BTCUSDC'; DROP TABLE orders;--\",\"side\":\"BUY\",\"quantity\":1}", 400,
     "symbol", "'symbol'"},
    {"side wrong", "{\"symbol\":\"BTCUSDC\",\"side\":\"LONG\",\"quantity\":1}", 400, "side",
     "BUY or SELL"},
    {"side a bool", "{\"symbol\":\"BTCUSDC\",\"side\":true,\"quantity\":1}", 400, "side",
     "BUY or SELL"},
    {"type wrong", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"STOP\",\"quantity\":1}",
     400, "type", "MARKET or LIMIT"},
    {"negative quantity", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":-1}", 400,
     "quantity", "positive"},
    {"zero quantity", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0}", 400, "quantity",
     "positive"},
    {"NaN quantity", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":\"NaN\"}", 400,
     "quantity", "positive"},
    {"NaN literal", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":NaN}", 400, "",
     "not JSON"},
    {"9 decimals", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":0.000000001}", 400,
     "quantity", "8 decimals"},
    {"9 decimals as text", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":\"0.123456789\"}",
     400, "quantity", "8 decimals"},
    {"quantity an object", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":{}}", 400,
     "quantity", "positive"},
    {"huge quantity", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1e300}", 400,
     "quantity", "positive"},
    {"both amounts",
     "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1,\"quote_quantity\":5}", 400,
     "quote_quantity", "not both"},
    {"buy without amount", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\"}", 400, "quantity",
     "required"},
    {"limit without price",
     "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\",\"quantity\":1}", 400, "price",
     "required for LIMIT"},
    {"price on a market order",
     "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1,"
     "\"price\":50000}",
     400, "price", "only for LIMIT"},
    {"limit with quote quantity",
     "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"type\":\"LIMIT\","
     "\"quote_quantity\":100,\"price\":50000}",
     400, "quote_quantity", "only for MARKET"},
    {"limit sell without quantity",
     "{\"symbol\":\"BTCUSDC\",\"side\":\"SELL\",\"type\":\"LIMIT\",\"price\":50000}", 400,
     "quantity", "required for LIMIT"},
    {"negative stop", "{\"symbol\":\"BTCUSDC\",\"side\":\"BUY\",\"quantity\":1,\"stop_loss\":-5}",
     400, "stop_loss", "positive"},
};

static void check_bad(const char *name, const char *body, size_t len, unsigned status,
                      const char *field, const char *words)
{
    tr_trade_request_t t;
    memset(&t, 0x5a, sizeof t);
    tr_trade_request_t before = t;
    tr_request_error_t e;
    int rc = tr_trade_request_parse(body, len, &t, &e);
    if (rc == RT_OK)
        fail_msg("%s: accepted", name);
    if (memcmp(&t, &before, sizeof t) != 0)
        fail_msg("%s: refused but wrote the request", name);
    if (e.status != status || strcmp(e.field, field) != 0 || strstr(e.message, words) == NULL)
        fail_msg("%s: got %u field '%s' \"%s\", want %u '%s' \"...%s...\"", name, e.status, e.field,
                 e.message, status, field, words);
    for (const char *p = e.message; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            fail_msg("%s: message not printable ASCII", name);
}

static void test_refuses(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++)
        check_bad(bads[i].name, bads[i].body, strlen(bads[i].body), bads[i].status, bads[i].field,
                  bads[i].words);
}

/* A 1 MB body is refused before it is parsed; a NUL inside is not JSON; control bytes in an
 * unknown key come back escaped. */
static void test_sizes_and_bytes(void **state)
{
    (void)state;
    size_t big = 1024 * 1024;
    char *b = malloc(big);
    assert_non_null(b);
    memset(b, ' ', big);
    b[0] = '{';
    b[big - 1] = '}';
    check_bad("1 MB", b, big, 413, "", "over");
    free(b);
    static const char nul[] = "{\"symbol\":\"BTC\0USDC\",\"side\":\"BUY\",\"quantity\":1}";
    check_bad("NUL inside", nul, sizeof nul - 1, 400, "", "not JSON");
    static const char ctl[] = "{\"a\\u0001\\n\":1}";
    check_bad("control bytes in a key", ctl, sizeof ctl - 1, 400, "", "unknown field");
    tr_trade_request_t t;
    tr_request_error_t e;
    assert_int_equal(tr_trade_request_parse(NULL, 0, &t, NULL), RT_EINVAL);
    assert_int_equal(tr_trade_request_parse(NULL, 3, &t, &e), RT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_sizes_and_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
