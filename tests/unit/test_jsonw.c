#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "rt/err.h"
#include "rt/jsonw.h"

/* Fails with both texts when the writer's output is not exactly `want`. */
static void expect_text(const rt_jsonw_t *w, const char *want)
{
    int rc = rt_jsonw_finish(w);
    if (rc != RT_OK)
        fail_msg("finish: rc=%d (%s), text so far: %s", rc, rt_strerror(rc), rt_jsonw_data(w));
    if (strcmp(rt_jsonw_data(w), want) != 0 || rt_jsonw_len(w) != strlen(want))
        fail_msg("got  %s (len %zu)\nwant %s (len %zu)", rt_jsonw_data(w), rt_jsonw_len(w), want,
                 strlen(want));
}

static void test_object_and_array_commas(void **state)
{
    (void)state;
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    assert_string_equal(rt_jsonw_data(&w), "");
    assert_int_equal(rt_jsonw_finish(&w), RT_ESTATE);
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "a", "x");
    rt_jsonw_kv_int(&w, "b", -12);
    rt_jsonw_key(&w, "c");
    rt_jsonw_array_begin(&w);
    rt_jsonw_int(&w, 1);
    rt_jsonw_bool(&w, true);
    rt_jsonw_null(&w);
    rt_jsonw_object_begin(&w);
    rt_jsonw_object_end(&w);
    rt_jsonw_array_begin(&w);
    rt_jsonw_array_end(&w);
    rt_jsonw_array_end(&w);
    rt_jsonw_kv_bool(&w, "d", false);
    rt_jsonw_kv_null(&w, "e");
    rt_jsonw_key(&w, "f");
    rt_jsonw_raw(&w, "{\"z\":1}", 7);
    rt_jsonw_object_end(&w);
    expect_text(&w, "{\"a\":\"x\",\"b\":-12,\"c\":[1,true,null,{},[]],\"d\":false,\"e\":null,"
                    "\"f\":{\"z\":1}}");
    rt_jsonw_cleanup(&w);
    rt_jsonw_cleanup(NULL);
}

static void test_top_level_scalars(void **state)
{
    (void)state;
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    rt_jsonw_string(&w, "only");
    expect_text(&w, "\"only\"");
    /* A second top-level value would make invalid JSON. */
    assert_int_equal(rt_jsonw_int(&w, 1), RT_ESTATE);
    assert_int_equal(rt_jsonw_finish(&w), RT_ESTATE);
    rt_jsonw_reset(&w);
    rt_jsonw_int(&w, INT64_MIN);
    expect_text(&w, "-9223372036854775808");
    rt_jsonw_reset(&w);
    rt_jsonw_int(&w, INT64_MAX);
    expect_text(&w, "9223372036854775807");
    rt_jsonw_reset(&w);
    rt_jsonw_int(&w, 0);
    expect_text(&w, "0");
    rt_jsonw_cleanup(&w);
}

static void test_string_escapes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        const char *want;
    } cases[] = {
        {"plain", 5, "\"plain\""},
        {"", 0, "\"\""},
        {"q\"b\\s/", 6, "\"q\\\"b\\\\s/\""},
        {"\n\t\r\b\f\x01\x1f", 7, "\"\\u000a\\u0009\\u000d\\u0008\\u000c\\u0001\\u001f\""},
        {"a\0b", 3, "\"a\\u0000b\""},
        {"\x7f", 1, "\"\x7f\""},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
         "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
        /* invalid UTF-8: each bad byte becomes U+FFFD, the rest is kept */
        {"a\xff"
         "b",
         3, "\"a\\ufffdb\""},
        {"\xc3", 1, "\"\\ufffd\""},                                  /* truncated sequence */
        {"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},                       /* overlong '/' */
        {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},            /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* above U+10FFFF */
        {"\xe0\x80\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},            /* overlong 3-byte */
    };
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_jsonw_reset(&w);
        rt_jsonw_string_n(&w, cases[i].in, cases[i].n);
        expect_text(&w, cases[i].want);
        /* Whatever went in, jansson must read the output back. */
        json_error_t jerr;
        json_t *j = json_loadb(rt_jsonw_data(&w), rt_jsonw_len(&w),
                               JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (j == NULL)
            fail_msg("case %zu: jansson rejects %s: %s", i, rt_jsonw_data(&w), jerr.text);
        json_decref(j);
    }
    /* Keys are escaped the same way. */
    rt_jsonw_reset(&w);
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_int(&w, "k\"\n", 1);
    rt_jsonw_object_end(&w);
    expect_text(&w, "{\"k\\\"\\u000a\":1}");
    rt_jsonw_cleanup(&w);
}

static void test_money(void **state)
{
    (void)state;
    static const struct {
        rt_money_t v;
        const char *want;
    } cases[] = {
        {5544580000000, "55445.8"},
        {0, "0"},
        {-100000, "-0.001"},
        {1, "0.00000001"},
        {234567000, "2.34567"},
        {INT64_MAX, "92233720368.54775807"},
        {-INT64_MAX, "-92233720368.54775807"},
        {RT_MONEY_UNITS(57000), "57000"},
    };
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_jsonw_reset(&w);
        rt_jsonw_money(&w, cases[i].v);
        expect_text(&w, cases[i].want);
    }
    rt_jsonw_reset(&w);
    rt_jsonw_array_begin(&w);
    rt_jsonw_money(&w, 1);
    rt_jsonw_money(&w, 2);
    rt_jsonw_array_end(&w);
    expect_text(&w, "[0.00000001,0.00000002]");
    rt_jsonw_cleanup(&w);
}

static void test_double(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {28.5, "28.5"},
        {0.1, "0.1"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.0 / 3.0, "0.3333333333333333"},
        {-2.0, "-2"},
        {-0.0, "0"},
        {0.0, "0"},
        {1e21, "1e+21"},
        {5e-324, "4.94065645841247e-324"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
    };
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_jsonw_reset(&w);
        rt_jsonw_double(&w, cases[i].v);
        expect_text(&w, cases[i].want);
        double back = strtod(rt_jsonw_data(&w), NULL);
        if (back != cases[i].v)
            fail_msg("%s does not read back as %.17g", rt_jsonw_data(&w), cases[i].v);
    }
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rt_jsonw_reset(&w);
        rt_jsonw_object_begin(&w);
        rt_jsonw_kv_double(&w, "x", bad[i]);
        rt_jsonw_object_end(&w);
        expect_text(&w, "{\"x\":null}");
    }
    rt_jsonw_reset(&w);
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_money(&w, "m", 150000000);
    rt_jsonw_kv_double(&w, "d", 1.5);
    rt_jsonw_object_end(&w);
    expect_text(&w, "{\"m\":1.5,\"d\":1.5}");
    rt_jsonw_cleanup(&w);
}

static void test_misuse_is_sticky(void **state)
{
    (void)state;
    rt_jsonw_t w;
    rt_jsonw_init(&w);

    /* a value in an object without a key */
    rt_jsonw_object_begin(&w);
    assert_int_equal(rt_jsonw_int(&w, 1), RT_ESTATE);
    /* sticky: later valid calls keep failing with the first error */
    assert_int_equal(rt_jsonw_key(&w, "a"), RT_ESTATE);
    assert_int_equal(rt_jsonw_finish(&w), RT_ESTATE);

    /* reset clears it */
    rt_jsonw_reset(&w);
    assert_int_equal(rt_jsonw_key(&w, "a"), RT_ESTATE); /* key outside an object */
    rt_jsonw_reset(&w);
    rt_jsonw_array_begin(&w);
    assert_int_equal(rt_jsonw_key(&w, "a"), RT_ESTATE); /* key in an array */
    rt_jsonw_reset(&w);
    rt_jsonw_array_begin(&w);
    assert_int_equal(rt_jsonw_object_end(&w), RT_ESTATE); /* mismatched end */
    rt_jsonw_reset(&w);
    assert_int_equal(rt_jsonw_array_end(&w), RT_ESTATE); /* end with nothing open */
    rt_jsonw_reset(&w);
    rt_jsonw_object_begin(&w);
    rt_jsonw_key(&w, "a");
    assert_int_equal(rt_jsonw_object_end(&w), RT_ESTATE); /* key without value */
    rt_jsonw_reset(&w);
    rt_jsonw_object_begin(&w);
    rt_jsonw_key(&w, "a");
    assert_int_equal(rt_jsonw_key(&w, "b"), RT_ESTATE); /* two keys in a row */
    rt_jsonw_reset(&w);
    rt_jsonw_array_begin(&w);
    assert_int_equal(rt_jsonw_finish(&w), RT_ESTATE); /* still open */
    rt_jsonw_reset(&w);
    assert_int_equal(rt_jsonw_string(&w, NULL), RT_EINVAL);
    rt_jsonw_reset(&w);
    assert_int_equal(rt_jsonw_raw(&w, "", 0), RT_EINVAL);

    /* nesting limit */
    rt_jsonw_reset(&w);
    for (int i = 0; i < RT_JSONW_DEPTH_MAX; i++)
        assert_int_equal(rt_jsonw_array_begin(&w), RT_OK);
    assert_int_equal(rt_jsonw_array_begin(&w), RT_ETOOBIG);

    /* after all that, a reset writer works normally */
    rt_jsonw_reset(&w);
    rt_jsonw_array_begin(&w);
    rt_jsonw_int(&w, 7);
    rt_jsonw_array_end(&w);
    expect_text(&w, "[7]");
    rt_jsonw_cleanup(&w);
}

static void test_growth_and_reuse(void **state)
{
    (void)state;
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    rt_jsonw_array_begin(&w);
    for (int i = 0; i < 10000; i++)
        rt_jsonw_int(&w, i);
    rt_jsonw_array_end(&w);
    assert_int_equal(rt_jsonw_finish(&w), RT_OK);
    json_error_t jerr;
    json_t *j = json_loadb(rt_jsonw_data(&w), rt_jsonw_len(&w), 0, &jerr);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 10000);
    assert_int_equal(json_integer_value(json_array_get(j, 9999)), 9999);
    json_decref(j);

    /* reset keeps the buffer: the same document again allocates nothing */
    const char *buf = w.buf;
    size_t cap = w.cap;
    rt_jsonw_reset(&w);
    assert_string_equal(rt_jsonw_data(&w), "");
    assert_int_equal(rt_jsonw_len(&w), 0);
    rt_jsonw_array_begin(&w);
    for (int i = 0; i < 10000; i++)
        rt_jsonw_int(&w, i);
    rt_jsonw_array_end(&w);
    assert_ptr_equal(w.buf, buf);
    assert_int_equal(w.cap, cap);
    rt_jsonw_cleanup(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_object_and_array_commas),
        cmocka_unit_test(test_top_level_scalars),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_money),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_misuse_is_sticky),
        cmocka_unit_test(test_growth_and_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
