/* The gateway's frame parser on the exchange's payloads (tests/fixtures/binance/ws_*.json:
 * the protocol reference's examples verbatim, and frames written in the exact shape Binance
 * sends), and on malformed frames of every kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gw/parse.h"
#include "rt/err.h"
#include "rt/money.h"
#include "rt_test.h"

typedef struct {
    gw_symtab_t tab;
    gw_interval_t iv;
    gw_parser_t p;
} fx_t;

static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    static const char *const syms[] = {"BTCUSDC", "ETHUSDC", "BNBBTC", "SOLUSDC"};
    assert_int_equal(gw_symtab_init(&fx->tab, syms, 4), RT_OK);
    assert_int_equal(gw_interval_parse("1m", &fx->iv), RT_OK);
    fx->p.symbols = &fx->tab;
    fx->p.interval = &fx->iv;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    gw_symtab_cleanup(&fx->tab);
    free(fx);
    return 0;
}

static char *fixture(const char *name, size_t *len)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof rel, "tests/fixtures/binance/%s", name);
    return rt_test_read_file(rt_test_source_path(path, sizeof path, rel), len);
}

static int parse_fixture(const fx_t *fx, const char *name, gw_event_t *ev, gw_bad_t *bad,
                         char *reason, size_t cap)
{
    size_t len;
    char *data = fixture(name, &len);
    int rc = gw_parse_frame(&fx->p, data, len, ev, bad, reason, cap);
    free(data);
    return rc;
}

static rt_money_t M(const char *s)
{
    rt_money_t v;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

static void test_symtab(void **state)
{
    fx_t *fx = *state;
    assert_int_equal(gw_symtab_find(&fx->tab, "BTCUSDC", 7, false), 0);
    assert_int_equal(gw_symtab_find(&fx->tab, "SOLUSDC", 7, false), 3);
    assert_int_equal(gw_symtab_find(&fx->tab, "bnbbtc", 6, true), 2);
    assert_int_equal(gw_symtab_find(&fx->tab, "btcusdc", 7, false), -1);
    assert_int_equal(gw_symtab_find(&fx->tab, "BTCUSD", 6, false), -1);
    assert_int_equal(gw_symtab_find(&fx->tab, "btc-usdc", 8, true), -1);
    assert_int_equal(gw_symtab_find(&fx->tab, "", 0, false), -1);
    assert_string_equal(gw_symtab_name(&fx->tab, 1), "ETHUSDC");
    assert_string_equal(gw_symtab_name(&fx->tab, 9), "");
    gw_symtab_t t;
    static const char *const dup[] = {"BTCUSDC", "ETHUSDC", "BTCUSDC"};
    assert_int_equal(gw_symtab_init(&t, dup, 3), RT_EINVAL);
    static const char *const lower[] = {"btcusdc"};
    assert_int_equal(gw_symtab_init(&t, lower, 1), RT_EINVAL);
    static const char *const longer[] = {"ABCDEFGHIJKLMNOPQRSTU"};
    assert_int_equal(gw_symtab_init(&t, longer, 1), RT_EINVAL);
    assert_int_equal(gw_symtab_init(&t, lower, 0), RT_EINVAL);
}

/* The reference's kline example is an impossible candle (open 0.0010 below low 0.0015): the
 * parser reads every field and then refuses it as a bad value, which shows the fields are read
 * where the documentation says they are. */
static void test_kline_doc_example(void **state)
{
    fx_t *fx = *state;
    gw_event_t ev;
    gw_bad_t bad = GW_BAD_COUNT;
    char why[GW_REASON_CAP] = "";
    int rc = parse_fixture(fx, "ws_kline_doc.json", &ev, &bad, why, sizeof why);
    if (rc != RT_EINVAL || bad != GW_BAD_VALUE || strstr(why, "'open'") == NULL)
        fail_msg("rc %d kind %s: %s", rc, gw_bad_name(bad), why);
    /* the same payload with a low that fits is taken, field by field */
    size_t len;
    char *data = fixture("ws_kline_doc.json", &len);
    char *low = strstr(data, "\"l\": \"0.0015\"");
    assert_non_null(low);
    memcpy(low, "\"l\": \"0.0009\"", strlen("\"l\": \"0.0009\""));
    rc = gw_parse_frame(&fx->p, data, len, &ev, &bad, why, sizeof why);
    free(data);
    if (rc != RT_OK)
        fail_msg("rc %d kind %s: %s", rc, gw_bad_name(bad), why);
    assert_int_equal(bad, GW_BAD_NONE);
    assert_int_equal(ev.kind, GW_EV_KLINE);
    assert_int_equal(ev.sym, 2);
    assert_int_equal(ev.event_time, INT64_C(1672515782136));
    assert_string_equal(ev.candle.symbol, "BNBBTC");
    assert_string_equal(ev.candle.interval, "1m");
    assert_int_equal(ev.candle.open_time, INT64_C(1672515780000));
    assert_int_equal(ev.candle.close_time, INT64_C(1672515839999));
    assert_int_equal(ev.candle.open, M("0.0010"));
    assert_int_equal(ev.candle.high, M("0.0025"));
    assert_int_equal(ev.candle.low, M("0.0009"));
    assert_int_equal(ev.candle.close, M("0.0020"));
    assert_int_equal(ev.candle.volume, M("1000"));
    assert_false(ev.candle.closed);
}

static void test_kline_combined(void **state)
{
    fx_t *fx = *state;
    gw_event_t ev;
    gw_bad_t bad;
    assert_int_equal(parse_fixture(fx, "ws_kline_update.json", &ev, &bad, NULL, 0), RT_OK);
    assert_int_equal(ev.kind, GW_EV_KLINE);
    assert_int_equal(ev.sym, 0);
    assert_false(ev.candle.closed);
    assert_int_equal(ev.candle.close, M("60425.3"));
    assert_int_equal(parse_fixture(fx, "ws_kline_closed.json", &ev, &bad, NULL, 0), RT_OK);
    assert_true(ev.candle.closed);
    assert_string_equal(ev.candle.symbol, "BTCUSDC");
    assert_int_equal(ev.candle.open_time, INT64_C(1716219780000));
    assert_int_equal(ev.candle.close_time, INT64_C(1716219839999));
    assert_int_equal(ev.candle.open, M("60421.01"));
    assert_int_equal(ev.candle.high, M("60436.55"));
    assert_int_equal(ev.candle.low, M("60398.12"));
    assert_int_equal(ev.candle.close, M("60430"));
    assert_int_equal(ev.candle.volume, M("0.06012"));
    assert_int_equal(ev.event_time, INT64_C(1716219840001));
}

static void test_ticker(void **state)
{
    fx_t *fx = *state;
    gw_event_t ev;
    gw_bad_t bad;
    assert_int_equal(parse_fixture(fx, "ws_miniticker.json", &ev, &bad, NULL, 0), RT_OK);
    assert_int_equal(ev.kind, GW_EV_TICKER);
    assert_int_equal(ev.sym, 1);
    assert_string_equal(ev.ticker.symbol, "ETHUSDC");
    assert_int_equal(ev.ticker.price, M("3712.45"));
    assert_int_equal(ev.ticker.event_time, INT64_C(1716219782136));
    assert_int_equal(parse_fixture(fx, "ws_miniticker_doc.json", &ev, &bad, NULL, 0), RT_OK);
    assert_int_equal(ev.kind, GW_EV_TICKER);
    assert_string_equal(ev.ticker.symbol, "BNBBTC");
    assert_int_equal(ev.ticker.price, M("0.0025"));
}

static void test_control_frames(void **state)
{
    fx_t *fx = *state;
    gw_event_t ev;
    gw_bad_t bad;
    assert_int_equal(parse_fixture(fx, "ws_server_shutdown.json", &ev, &bad, NULL, 0), RT_OK);
    assert_int_equal(ev.kind, GW_EV_SHUTDOWN);
    assert_int_equal(ev.event_time, INT64_C(1770123456789));
    assert_int_equal(parse_fixture(fx, "ws_server_shutdown_raw.json", &ev, &bad, NULL, 0), RT_OK);
    assert_int_equal(ev.kind, GW_EV_SHUTDOWN);
    assert_int_equal(parse_fixture(fx, "ws_subscribe_reply.json", &ev, &bad, NULL, 0), RT_OK);
    assert_int_equal(ev.kind, GW_EV_REPLY);
    assert_int_equal(ev.reply_id, 1);
    assert_int_equal(parse_fixture(fx, "ws_list_reply.json", &ev, &bad, NULL, 0), RT_OK);
    assert_int_equal(ev.kind, GW_EV_REPLY);
    assert_int_equal(ev.reply_id, 3);
    assert_int_equal(parse_fixture(fx, "ws_error_reply.json", &ev, &bad, NULL, 0), RT_OK);
    assert_int_equal(ev.kind, GW_EV_ERROR);
    assert_int_equal(ev.error_code, 2);
    assert_string_equal(ev.error_msg,
                        "Invalid request: missing field `method` at line 1 column 73");
}

static void test_malformed_fixtures(void **state)
{
    fx_t *fx = *state;
    static const struct {
        const char *file;
        gw_bad_t kind;
        const char *reason; /* a piece of the reason */
    } cases[] = {
        {"ws_bad_truncated.json", GW_BAD_JSON, "not JSON"},
        {"ws_bad_trailing.json", GW_BAD_JSON, "not JSON"},
        {"ws_bad_duplicate_key.json", GW_BAD_JSON, "duplicate"},
        {"ws_bad_array.json", GW_BAD_SHAPE, "not a JSON object"},
        {"ws_bad_empty_object.json", GW_BAD_SHAPE, "neither"},
        {"ws_bad_no_data.json", GW_BAD_SHAPE, "'data'"},
        {"ws_bad_data_string.json", GW_BAD_TYPE, "'data'"},
        {"ws_bad_stream_number.json", GW_BAD_TYPE, "'stream'"},
        {"ws_bad_price_number.json", GW_BAD_TYPE, "k.'o' must be a string"},
        {"ws_bad_time_string.json", GW_BAD_TYPE, "k.'t' must be an integer"},
        {"ws_bad_closed_string.json", GW_BAD_TYPE, "k.'x'"},
        {"ws_bad_missing_close.json", GW_BAD_MISSING, "k.'c' missing"},
        {"ws_bad_no_event.json", GW_BAD_MISSING, "'e' missing"},
        {"ws_bad_unknown_symbol.json", GW_BAD_SYMBOL, "not followed"},
        {"ws_bad_trade_stream.json", GW_BAD_STREAM, "not subscribed"},
        {"ws_bad_other_interval.json", GW_BAD_STREAM, "interval"},
        {"ws_bad_symbol_mismatch.json", GW_BAD_MISMATCH, "'s' differs"},
        {"ws_bad_kline_symbol_mismatch.json", GW_BAD_MISMATCH, "k.'s' differs"},
        {"ws_bad_event_mismatch.json", GW_BAD_MISMATCH, "miniTicker stream"},
        {"ws_bad_high_below_low.json", GW_BAD_VALUE, "kline:"},
        {"ws_bad_amount_exponent.json", GW_BAD_VALUE, "k.'o' is not a decimal"},
        {"ws_bad_amount_decimals.json", GW_BAD_VALUE, "k.'o' is not a decimal"},
        {"ws_bad_close_time.json", GW_BAD_VALUE, "kline:"},
        {"ws_bad_negative_volume.json", GW_BAD_VALUE, "kline:"},
        {"ws_bad_ticker_zero_price.json", GW_BAD_VALUE, "miniTicker:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gw_event_t ev;
        gw_bad_t bad = GW_BAD_NONE;
        char why[GW_REASON_CAP] = "";
        int rc = parse_fixture(fx, cases[i].file, &ev, &bad, why, sizeof why);
        if (rc != RT_EINVAL || bad != cases[i].kind || strstr(why, cases[i].reason) == NULL)
            fail_msg("%s: rc %d kind %s reason \"%s\"; want RT_EINVAL kind %s reason ~\"%s\"",
                     cases[i].file, rc, gw_bad_name(bad), why, gw_bad_name(cases[i].kind),
                     cases[i].reason);
    }
}

static void test_malformed_bytes(void **state)
{
    fx_t *fx = *state;
    gw_event_t ev;
    gw_bad_t bad = GW_BAD_NONE;
    char why[GW_REASON_CAP];
    /* oversized: refused before parsing */
    size_t big = GW_FRAME_MAX + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    assert_int_equal(gw_parse_frame(&fx->p, huge, big, &ev, &bad, why, sizeof why), RT_ETOOBIG);
    assert_int_equal(bad, GW_BAD_OVERSIZED);
    free(huge);
    /* empty */
    assert_int_equal(gw_parse_frame(&fx->p, "", 0, &ev, &bad, NULL, 0), RT_EINVAL);
    assert_int_equal(bad, GW_BAD_OVERSIZED);
    /* invalid UTF-8 inside a string */
    static const char utf8[] = "{\"stream\":\"btcusdc@kline_1m\xff\",\"data\":{}}";
    assert_int_equal(gw_parse_frame(&fx->p, utf8, sizeof utf8 - 1, &ev, &bad, NULL, 0), RT_EINVAL);
    assert_int_equal(bad, GW_BAD_JSON);
    /* a NUL byte in the middle */
    static const char nul[] = "{\"result\":null,\0\"id\":1}";
    assert_int_equal(gw_parse_frame(&fx->p, nul, sizeof nul - 1, &ev, &bad, NULL, 0), RT_EINVAL);
    assert_int_equal(bad, GW_BAD_JSON);
    /* only the given length is read: a valid frame cut short is not JSON */
    static const char cut[] = "{\"result\":null,\"id\":1}";
    assert_int_equal(gw_parse_frame(&fx->p, cut, 10, &ev, &bad, NULL, 0), RT_EINVAL);
    assert_int_equal(bad, GW_BAD_JSON);
    /* an error reply with the wrong types */
    static const char err[] = "{\"code\":\"2\",\"msg\":\"x\"}";
    assert_int_equal(gw_parse_frame(&fx->p, err, sizeof err - 1, &ev, &bad, NULL, 0), RT_EINVAL);
    assert_int_equal(bad, GW_BAD_TYPE);
    /* another of Binance's own streams */
    static const char arr[] = "{\"stream\":\"!miniTicker@arr\",\"data\":{}}";
    assert_int_equal(gw_parse_frame(&fx->p, arr, sizeof arr - 1, &ev, &bad, NULL, 0), RT_EINVAL);
    assert_int_equal(bad, GW_BAD_STREAM);
    /* a symbol longer than any (never read past the table's keys) */
    static const char longsym[] =
        "{\"stream\":\"abcdefghijklmnopqrstuvwxyz@miniTicker\",\"data\":{}}";
    assert_int_equal(gw_parse_frame(&fx->p, longsym, sizeof longsym - 1, &ev, &bad, NULL, 0),
                     RT_EINVAL);
    assert_int_equal(bad, GW_BAD_SYMBOL);
    /* every kind has a label */
    for (int k = 0; k < GW_BAD_COUNT; k++)
        assert_true(strcmp(gw_bad_name((gw_bad_t)k), "unknown") != 0);
    assert_string_equal(gw_bad_name(GW_BAD_COUNT), "unknown");
}

/* Every prefix of a valid frame and a few byte flips: refused or parsed, never a crash (the
 * sanitizer build checks the memory side). */
static void test_mutations_never_crash(void **state)
{
    fx_t *fx = *state;
    size_t len;
    char *data = fixture("ws_kline_closed.json", &len);
    char *copy = malloc(len);
    assert_non_null(copy);
    for (size_t n = 0; n <= len; n++) {
        gw_event_t ev;
        gw_bad_t bad;
        memcpy(copy, data, n);
        int rc = gw_parse_frame(&fx->p, copy, n, &ev, &bad, NULL, 0);
        assert_true(rc == RT_OK || rc == RT_EINVAL);
    }
    uint32_t x = 12345;
    for (int i = 0; i < 5000; i++) {
        memcpy(copy, data, len);
        for (int j = 0; j < 3; j++) {
            x = x * 1103515245u + 12345u;
            copy[(x >> 8) % len] = (char)(x >> 16);
        }
        gw_event_t ev;
        gw_bad_t bad;
        int rc = gw_parse_frame(&fx->p, copy, len, &ev, &bad, NULL, 0);
        assert_true(rc == RT_OK || rc == RT_EINVAL);
    }
    free(copy);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_symtab, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kline_doc_example, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kline_combined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticker, setup, teardown),
        cmocka_unit_test_setup_teardown(test_control_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_fixtures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mutations_never_crash, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
