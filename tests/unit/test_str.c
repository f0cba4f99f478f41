#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/str.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_copy(void **state)
{
    (void)state;
    char buf[6];
    assert_int_equal(rt_str_copy(buf, sizeof buf, "hello"), RT_OK);
    assert_string_equal(buf, "hello");
    /* one byte too long: reported, and the old contents stay */
    assert_int_equal(rt_str_copy(buf, sizeof buf, "hello!"), RT_ETOOBIG);
    assert_string_equal(buf, "hello");
    assert_int_equal(rt_str_copy(buf, sizeof buf, ""), RT_OK);
    assert_string_equal(buf, "");
    assert_int_equal(rt_str_copy(buf, 0, "x"), RT_EINVAL);
    assert_int_equal(rt_str_copy(NULL, 4, "x"), RT_EINVAL);
    assert_int_equal(rt_str_copy(buf, sizeof buf, NULL), RT_EINVAL);
    assert_int_equal(rt_str_copy_n(buf, sizeof buf, "abcdefgh", 3), RT_OK);
    assert_string_equal(buf, "abc");
    assert_int_equal(rt_str_copy_n(buf, sizeof buf, "abcdefgh", 6), RT_ETOOBIG);
    assert_string_equal(buf, "abc");
}

static void test_parse_int64(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int64_t want;
    } cases[] = {
        {"0", RT_OK, 0},
        {"42", RT_OK, 42},
        {"-17", RT_OK, -17},
        {"+5", RT_OK, 5},
        {"007", RT_OK, 7},
        {"9223372036854775807", RT_OK, INT64_MAX},
        {"-9223372036854775808", RT_OK, INT64_MIN},
        {"9223372036854775808", RT_ERANGE, 0},
        {"-9223372036854775809", RT_ERANGE, 0},
        {"", RT_EINVAL, 0},
        {"-", RT_EINVAL, 0},
        {" 1", RT_EINVAL, 0},
        {"1 ", RT_EINVAL, 0},
        {"1.0", RT_EINVAL, 0},
        {"0x10", RT_EINVAL, 0},
        {"abc", RT_EINVAL, 0},
        {"12abc", RT_EINVAL, 0},
        {"--1", RT_EINVAL, 0},
        {"1e3", RT_EINVAL, 0},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        int64_t v = -999;
        int rc = rt_str_parse_int64(cases[i].in, &v);
        if (rc != cases[i].rc)
            fail_msg("parse_int64(\"%s\"): rc %d, want %d", cases[i].in, rc, cases[i].rc);
        int64_t want = cases[i].rc == RT_OK ? cases[i].want : -999; /* untouched on error */
        if (v != want)
            fail_msg("parse_int64(\"%s\"): got %lld, want %lld", cases[i].in, (long long)v,
                     (long long)want);
    }
    int64_t v;
    assert_int_equal(rt_str_parse_int64(NULL, &v), RT_EINVAL);
}

static void test_parse_double(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        double want;
    } cases[] = {
        {"2", RT_OK, 2.0},        {"-0.5", RT_OK, -0.5},   {"+1.25", RT_OK, 1.25},
        {".5", RT_OK, 0.5},       {"5.", RT_OK, 5.0},      {"1e-3", RT_OK, 0.001},
        {"2.5E2", RT_OK, 250.0},  {"1e999", RT_ERANGE, 0}, {"-1e999", RT_ERANGE, 0},
        {"1e-400", RT_ERANGE, 0}, {"", RT_EINVAL, 0},      {".", RT_EINVAL, 0},
        {"e5", RT_EINVAL, 0},     {"1e", RT_EINVAL, 0},    {" 1", RT_EINVAL, 0},
        {"1 ", RT_EINVAL, 0},     {"inf", RT_EINVAL, 0},   {"-infinity", RT_EINVAL, 0},
        {"nan", RT_EINVAL, 0},    {"0x1p3", RT_EINVAL, 0}, {"1,5", RT_EINVAL, 0},
        {"1-2", RT_EINVAL, 0},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        double v = -999.0;
        int rc = rt_str_parse_double(cases[i].in, &v);
        if (rc != cases[i].rc)
            fail_msg("parse_double(\"%s\"): rc %d, want %d", cases[i].in, rc, cases[i].rc);
        double want = cases[i].rc == RT_OK ? cases[i].want : -999.0;
        if (v != want)
            fail_msg("parse_double(\"%s\"): got %.17g, want %.17g", cases[i].in, v, want);
    }
}

static void test_trim_and_case(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        {"", ""}, {"   ", ""}, {"a", "a"}, {"  a b \t", "a b"}, {"\r\nx\n", "x"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        rt_str_slice_t t = rt_str_trim(cases[i].in, strlen(cases[i].in));
        char got[32];
        assert_int_equal(rt_str_copy_n(got, sizeof got, t.p, t.n), RT_OK);
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("trim(\"%s\"): got \"%s\", want \"%s\"", cases[i].in, got, cases[i].want);
    }
    assert_true(rt_str_ieq("Demo", "dEMO"));
    assert_true(rt_str_ieq("", ""));
    assert_false(rt_str_ieq("demo", "demos"));
    assert_false(rt_str_ieq("demos", "demo"));
    assert_false(rt_str_ieq(NULL, "x"));
    assert_true(rt_str_ieq_n("LIVE,x", 4, "live"));
    assert_false(rt_str_ieq_n("LIVE,x", 3, "live"));
    assert_false(rt_str_ieq_n("LIVE,x", 5, "live"));
    char s[] = "btcUSDC-1m";
    rt_str_upper(s);
    assert_string_equal(s, "BTCUSDC-1M");
}

static void test_split(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t count;
        const char *parts[4];
    } cases[] = {
        {"", 1, {""}},
        {"a", 1, {"a"}},
        {"a,b,c", 3, {"a", "b", "c"}},
        {"a,,b", 3, {"a", "", "b"}},
        {",", 2, {"", ""}},
        {" x , y", 2, {" x ", " y"}},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        rt_str_slice_t slots[4];
        size_t n = 0;
        int rc = rt_str_split(cases[i].in, strlen(cases[i].in), ',', slots, 4, &n);
        if (rc != RT_OK || n != cases[i].count)
            fail_msg("split(\"%s\"): rc %d count %zu, want 0 and %zu", cases[i].in, rc, n,
                     cases[i].count);
        for (size_t k = 0; k < n; k++) {
            if (!(slots[k].n == strlen(cases[i].parts[k]) &&
                  memcmp(slots[k].p, cases[i].parts[k], slots[k].n) == 0))
                fail_msg("split(\"%s\") part %zu: got \"%.*s\", want \"%s\"", cases[i].in, k,
                         (int)slots[k].n, slots[k].p, cases[i].parts[k]);
        }
    }
    rt_str_slice_t two[2];
    size_t n = 99;
    assert_int_equal(rt_str_split("a,b,c", 5, ',', two, 2, &n), RT_ETOOBIG);
    assert_int_equal(n, 99);
    assert_int_equal(rt_str_split("a,b", 3, ',', two, 2, &n), RT_OK);
    assert_int_equal(n, 2);
}

static void test_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        bool ok;
    } cases[] = {
        {"", 0, true},
        {"plain ascii", 11, true},
        {"caf\xc3\xa9", 5, true},       /* é */
        {"\xe2\x82\xac", 3, true},      /* € */
        {"\xf0\x9f\x9a\x80", 4, true},  /* rocket, U+1F680 */
        {"\xf4\x8f\xbf\xbf", 4, true},  /* U+10FFFF */
        {"\xed\x9f\xbf", 3, true},      /* U+D7FF, last before surrogates */
        {"\xc3", 1, false},             /* truncated */
        {"\xe2\x82", 2, false},         /* truncated */
        {"\x80", 1, false},             /* lone continuation */
        {"\xc0\xaf", 2, false},         /* overlong '/' */
        {"\xc1\xbf", 2, false},         /* overlong */
        {"\xe0\x80\xaf", 3, false},     /* overlong */
        {"\xf0\x80\x80\xaf", 4, false}, /* overlong */
        {"\xed\xa0\x80", 3, false},     /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 4, false}, /* U+110000 */
        {"\xf5\x80\x80\x80", 4, false}, /* invalid lead */
        {"\xff", 1, false},
        {"\xc3\x28", 2, false}, /* bad continuation */
        {"a\xe2\x82\xac"
         "b\xc3",
         6, false}, /* good then truncated */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        bool got = rt_str_utf8_valid(cases[i].in, cases[i].n);
        if (got != cases[i].ok)
            fail_msg("utf8_valid case %zu: got %d, want %d", i, got, cases[i].ok);
    }
}

static void test_hex(void **state)
{
    (void)state;
    const unsigned char data[] = {0x00, 0x01, 0xab, 0xff, 0x7f};
    char buf[11];
    assert_int_equal(rt_str_hex_encode(data, sizeof data, buf, sizeof buf), RT_OK);
    assert_string_equal(buf, "0001abff7f");
    memcpy(buf, "keep", 5);
    assert_int_equal(rt_str_hex_encode(data, sizeof data, buf, 10), RT_ETOOBIG);
    assert_string_equal(buf, "keep");
    assert_int_equal(rt_str_hex_encode(data, 0, buf, 1), RT_OK);
    assert_string_equal(buf, "");
}

static void test_ct_equal(void **state)
{
    (void)state;
    static const struct {
        const char *given;
        const char *expected;
        bool eq;
    } cases[] = {
        {"s3cret-token", "s3cret-token", true},
        {"s3cret-tokem", "s3cret-token", false},
        {"t3cret-token", "s3cret-token", false},
        {"s3cret", "s3cret-token", false},
        {"s3cret-token-and-more", "s3cret-token", false},
        {"s3cret-tokens3cret-token", "s3cret-token", false}, /* repeats the secret */
        {"", "s3cret-token", false},
        {"x", "", false},
        {"", "", true},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        bool got = rt_str_ct_equal(cases[i].given, strlen(cases[i].given), cases[i].expected,
                                   strlen(cases[i].expected));
        if (got != cases[i].eq)
            fail_msg("ct_equal(\"%s\", \"%s\"): got %d, want %d", cases[i].given, cases[i].expected,
                     got, cases[i].eq);
    }
    assert_false(rt_str_ct_equal(NULL, 0, "", 0));
}

static void test_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        size_t n;
        size_t cap;
        const char *want;
    } cases[] = {
        {"abc", 3, 16, "abc"},
        {"a\"b\\c", 5, 16, "a\\\"b\\\\c"},
        {"l1\nl2\t\r", 7, 16, "l1\\nl2\\t\\r"},
        {"\x01\x7f\xc3\xa9", 4, 32, "\\x01\\x7f\\xc3\\xa9"},
        {"a\0b", 3, 16, "a\\x00b"},
        {"abcdefghi", 9, 10, "abcdefghi"}, /* exactly fits */
        {"abcdefghij", 10, 10, "abcdef..."},
        {"abcd\x01xyz", 8, 10, "abcd..."}, /* never half an escape */
        {"abcdef", 6, 3, "ab"},            /* too small for the marker: just cut */
        {"", 0, 4, ""},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        char buf[64];
        size_t len = rt_str_escape(buf, cases[i].cap, cases[i].in, cases[i].n);
        if (strcmp(buf, cases[i].want) != 0 || len != strlen(cases[i].want))
            fail_msg("escape case %zu: got \"%s\" (%zu), want \"%s\"", i, buf, len, cases[i].want);
        assert_true(len < cases[i].cap);
    }
    char one[1];
    assert_int_equal(rt_str_escape(one, 1, "abc", 3), 0);
    assert_string_equal(one, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy),         cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_parse_double), cmocka_unit_test(test_trim_and_case),
        cmocka_unit_test(test_split),        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_hex),          cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
