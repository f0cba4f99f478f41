#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/money.h"

static void test_parse_valid(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        rt_money_t want;
    } cases[] = {
        {"0", 0},
        {"1", 100000000},
        {"-1", -100000000},
        {"+2.5", 250000000},
        {"0.00000001", 1},
        {"0.00100000", 100000},
        {"55445.80", 5544580000000},
        {"55445.800000000000", 5544580000000},
        {".5", 50000000},
        {"12.", 1200000000},
        {"92233720368.54775807", INT64_MAX},
        {"-92233720368.54775807", -INT64_MAX},
        {"0.08123456", 8123456},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_money_t v = -42;
        int rc = rt_money_parse(cases[i].in, &v);
        if (rc != RT_OK || v != cases[i].want)
            fail_msg("parse(%s): rc=%d v=%lld want %lld", cases[i].in, rc, (long long)v,
                     (long long)cases[i].want);
    }
}

static void test_parse_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
    } cases[] = {
        {"", RT_EINVAL},
        {"-", RT_EINVAL},
        {".", RT_EINVAL},
        {"1e5", RT_EINVAL},
        {" 1", RT_EINVAL},
        {"1 ", RT_EINVAL},
        {"1.2.3", RT_EINVAL},
        {"0.000000001", RT_EINVAL},
        {"NaN", RT_EINVAL},
        {"inf", RT_EINVAL},
        {"0x10", RT_EINVAL},
        {"--1", RT_EINVAL},
        {"92233720368.54775808", RT_ERANGE},
        {"-92233720368.54775808", RT_ERANGE},
        {"99999999999999999999999999", RT_ERANGE},
        {"99999999999999999999.5", RT_ERANGE},
        /* malformed text is RT_EINVAL even when its number is too large (found by fuzz_money:
         * the digits' overflow used to be reported before the rest of the text was read) */
        {"-9223547758073720580`", RT_EINVAL},
        {"99999999999999999999x", RT_EINVAL},
        {"99999999999999999999.000000001", RT_EINVAL},
        {"99999999999999999999e2", RT_EINVAL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_money_t v = -42;
        int rc = rt_money_parse(cases[i].in, &v);
        if (rc != cases[i].rc || v != -42)
            fail_msg("parse(%s): rc=%d want %d, v=%lld (must stay untouched)", cases[i].in, rc,
                     cases[i].rc, (long long)v);
    }
    rt_money_t v;
    assert_int_equal(rt_money_parse(NULL, &v), RT_EINVAL);
    assert_int_equal(rt_money_parse_n("12", 0, &v), RT_EINVAL);
    assert_int_equal(rt_money_parse_n("123", 2, &v), RT_OK);
    assert_int_equal(v, 1200000000);
    /* leading zeros never count toward the range */
    assert_int_equal(rt_money_parse("-000000000000000000000000000092233720368.54775807", &v), RT_OK);
    assert_int_equal(v, -INT64_MAX);
}

static void test_format(void **state)
{
    (void)state;
    static const struct {
        rt_money_t v;
        const char *want;
    } cases[] = {
        {0, "0"},
        {1, "0.00000001"},
        {-1, "-0.00000001"},
        {100000000, "1"},
        {5544580000000, "55445.8"},
        {-100000, "-0.001"},
        {INT64_MAX, "92233720368.54775807"},
        {-INT64_MAX, "-92233720368.54775807"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[RT_MONEY_FMT_MAX];
        size_t n = rt_money_format(cases[i].v, buf, sizeof buf);
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(n, strlen(cases[i].want));
        rt_money_t back;
        assert_int_equal(rt_money_parse(buf, &back), RT_OK);
        assert_int_equal(back, cases[i].v);
    }
    char small[4];
    assert_int_equal(rt_money_format(5544580000000, small, sizeof small), 0);
}

static void test_format_fixed(void **state)
{
    (void)state;
    char buf[RT_MONEY_FMT_MAX];
    assert_int_equal(rt_money_format_fixed(100000, 8, RT_ROUND_DOWN, buf, sizeof buf), 10);
    assert_string_equal(buf, "0.00100000");
    rt_money_format_fixed(5544580000000, 2, RT_ROUND_DOWN, buf, sizeof buf);
    assert_string_equal(buf, "55445.80");
    rt_money_format_fixed(123456789, 2, RT_ROUND_DOWN, buf, sizeof buf);
    assert_string_equal(buf, "1.23");
    rt_money_format_fixed(123456789, 2, RT_ROUND_NEAREST, buf, sizeof buf);
    assert_string_equal(buf, "1.23");
    rt_money_format_fixed(125000000, 1, RT_ROUND_NEAREST, buf, sizeof buf);
    assert_string_equal(buf, "1.3");
    rt_money_format_fixed(-125000000, 1, RT_ROUND_DOWN, buf, sizeof buf);
    assert_string_equal(buf, "-1.3");
    rt_money_format_fixed(700000000, 0, RT_ROUND_DOWN, buf, sizeof buf);
    assert_string_equal(buf, "7");
    assert_int_equal(rt_money_format_fixed(1, 9, RT_ROUND_DOWN, buf, sizeof buf), 0);
}

static void test_from_double(void **state)
{
    (void)state;
    static const struct {
        double d;
        rt_money_t want;
    } cases[] = {
        {55432.10, 5543210000000},  {0.1, 10000000},        {0.00000001, 1},
        {0.0984, 9840000},          {-2.5, -250000000},     {33554431.99999999, 3355443199999999},
        {0.0997238, 9972380},       {16727.3, 1672730000000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_money_t v;
        assert_int_equal(rt_money_from_double(cases[i].d, &v), RT_OK);
        assert_int_equal(v, cases[i].want);
    }
    rt_money_t v = 7;
    assert_int_equal(rt_money_from_double(0.0 / 0.0, &v), RT_EINVAL);
    assert_int_equal(rt_money_from_double(1.0 / 0.0, &v), RT_EINVAL);
    assert_int_equal(rt_money_from_double(1e12, &v), RT_ERANGE);
    assert_int_equal(v, 7);
}

/* Every 8-decimal text below 2^25 read as a double (as jansson reads a JSON number) comes
 * back exactly; a fixed-seed generator covers every magnitude. */
static void test_from_double_exact_random(void **state)
{
    (void)state;
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 2000000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t limit = (int64_t)1 << (int)(x % 52); /* up to 2^51 units = 2^25-ish */
        int64_t k = (int64_t)((x >> 12) % (uint64_t)limit);
        if (k >= INT64_C(3355443200000000))
            continue;
        if (x & 1)
            k = -k;
        char text[RT_MONEY_FMT_MAX];
        rt_money_format(k, text, sizeof text);
        double d = strtod(text, NULL);
        rt_money_t v;
        assert_int_equal(rt_money_from_double(d, &v), RT_OK);
        if (v != k)
            fail_msg("%s read as %.17g came back as %lld", text, d, (long long)v);
    }
}

static void test_add_sub(void **state)
{
    (void)state;
    rt_money_t v;
    assert_int_equal(rt_money_add(1, 2, &v), RT_OK);
    assert_int_equal(v, 3);
    assert_int_equal(rt_money_add(INT64_MAX, 1, &v), RT_ERANGE);
    assert_int_equal(rt_money_sub(-INT64_MAX, 1, &v), RT_ERANGE);
    assert_int_equal(rt_money_sub(5, 7, &v), RT_OK);
    assert_int_equal(v, -2);
}

static void test_mul_div(void **state)
{
    (void)state;
    rt_money_t v;
    /* 0.001 BTC * 55445.80 = 55.4458 */
    assert_int_equal(rt_money_mul(100000, 5544580000000, RT_ROUND_DOWN, &v), RT_OK);
    assert_int_equal(v, 5544580000);
    /* 0.00000001 * 0.5 = 0.000000005 -> floor 0, ceil 1, nearest 1 (half away from zero) */
    assert_int_equal(rt_money_mul(1, 50000000, RT_ROUND_DOWN, &v), RT_OK);
    assert_int_equal(v, 0);
    rt_money_mul(1, 50000000, RT_ROUND_UP, &v);
    assert_int_equal(v, 1);
    rt_money_mul(1, 50000000, RT_ROUND_NEAREST, &v);
    assert_int_equal(v, 1);
    rt_money_mul(-1, 50000000, RT_ROUND_NEAREST, &v);
    assert_int_equal(v, -1);
    rt_money_mul(-1, 50000000, RT_ROUND_DOWN, &v);
    assert_int_equal(v, -1);
    rt_money_mul(-1, 50000000, RT_ROUND_UP, &v);
    assert_int_equal(v, 0);
    assert_int_equal(rt_money_mul(INT64_MAX, RT_MONEY_UNITS(2), RT_ROUND_DOWN, &v), RT_ERANGE);
    /* 100 USDC / 3 = 33.33333333 (down), 33.33333334 (up) */
    assert_int_equal(rt_money_div(RT_MONEY_UNITS(100), RT_MONEY_UNITS(3), RT_ROUND_DOWN, &v), 0);
    assert_int_equal(v, 3333333333);
    rt_money_div(RT_MONEY_UNITS(100), RT_MONEY_UNITS(3), RT_ROUND_UP, &v);
    assert_int_equal(v, 3333333334);
    rt_money_div(RT_MONEY_UNITS(-100), RT_MONEY_UNITS(3), RT_ROUND_DOWN, &v);
    assert_int_equal(v, -3333333334);
    rt_money_div(RT_MONEY_UNITS(100), -RT_MONEY_UNITS(3), RT_ROUND_NEAREST, &v);
    assert_int_equal(v, -3333333333);
    assert_int_equal(rt_money_div(1, 0, RT_ROUND_DOWN, &v), RT_EINVAL);
    assert_int_equal(rt_money_div(INT64_MAX, 1, RT_ROUND_DOWN, &v), RT_ERANGE);
    /* fee of 0.1% on 55.4458 = 0.0554458 */
    assert_int_equal(rt_money_mul_frac(5544580000, 1, 1000, RT_ROUND_UP, &v), RT_OK);
    assert_int_equal(v, 5544580);
    assert_int_equal(rt_money_mul_frac(1, 1, 0, RT_ROUND_UP, &v), RT_EINVAL);
}

/* rt_money_mul's 64-bit path (products within int64) rounds exactly as the 128-bit one:
 * rt_money_mul_frac(a, b, RT_MONEY_SCALE) always divides in 128 bits. Random magnitudes and
 * signs, the edges of the 64-bit range, every mode. */
static void test_mul_matches_wide(void **state)
{
    (void)state;
    static const rt_round_t modes[] = {RT_ROUND_DOWN, RT_ROUND_UP, RT_ROUND_NEAREST};
    static const rt_money_t edges[] = {0,         1,          -1,         50000000,  -50000000,
                                       150000000, -150000000, INT64_MAX, INT64_MIN + 1,
                                       3037000499, -3037000499};
    uint64_t seed = 0x243f6a8885a308d3u;
    for (int i = 0; i < 200000; i++) {
        rt_money_t ab[2];
        for (int k = 0; k < 2; k++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            if ((seed >> 60) == 0) {
                ab[k] = edges[(seed >> 20) % (sizeof edges / sizeof edges[0])];
                continue;
            }
            int bits = (int)((seed >> 54) % 63);
            rt_money_t v = (rt_money_t)((seed >> 1) & ((UINT64_C(1) << bits) - 1));
            ab[k] = (seed & 1) ? -v : v;
        }
        for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
            rt_money_t x = 7, y = 7;
            int rx = rt_money_mul(ab[0], ab[1], modes[m], &x);
            int ry = rt_money_mul_frac(ab[0], ab[1], RT_MONEY_SCALE, modes[m], &y);
            if (rx != ry || x != y)
                fail_msg("%lld x %lld mode %d: %d %lld, want %d %lld", (long long)ab[0],
                         (long long)ab[1], (int)modes[m], rx, (long long)x, ry, (long long)y);
        }
    }
}

static void test_round_step(void **state)
{
    (void)state;
    static const struct {
        rt_money_t v, step;
        rt_round_t mode;
        rt_money_t want;
    } cases[] = {
        /* ccxt's "weird amount": 0.00078565 at step 0.00001 -> 0.00078 */
        {78565, 1000, RT_ROUND_DOWN, 78000},
        {78565, 1000, RT_ROUND_UP, 79000},
        {78565, 1000, RT_ROUND_NEAREST, 79000},
        {78500, 1000, RT_ROUND_NEAREST, 79000},
        {78499, 1000, RT_ROUND_NEAREST, 78000},
        {78000, 1000, RT_ROUND_UP, 78000},
        {-78565, 1000, RT_ROUND_DOWN, -79000},
        {5544587654321, 1000000, RT_ROUND_DOWN, 5544587000000}, /* tick 0.01 */
        {123, 1, RT_ROUND_DOWN, 123},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_money_t v;
        assert_int_equal(rt_money_round_step(cases[i].v, cases[i].step, cases[i].mode, &v), 0);
        if (v != cases[i].want)
            fail_msg("case %zu: got %lld want %lld", i, (long long)v, (long long)cases[i].want);
    }
    rt_money_t v;
    assert_int_equal(rt_money_round_step(1, 0, RT_ROUND_DOWN, &v), RT_EINVAL);
    assert_int_equal(rt_money_round_step(INT64_MAX, RT_MONEY_UNITS(3), RT_ROUND_UP, &v), RT_ERANGE);
    assert_int_equal(rt_money_step_decimals(100000), 3);
    assert_int_equal(rt_money_step_decimals(RT_MONEY_UNITS(1)), 0);
    assert_int_equal(rt_money_step_decimals(1), 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid),  cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_format),       cmocka_unit_test(test_format_fixed),
        cmocka_unit_test(test_from_double),
        cmocka_unit_test(test_from_double_exact_random),  cmocka_unit_test(test_add_sub),
        cmocka_unit_test(test_mul_div),      cmocka_unit_test(test_round_step),
        cmocka_unit_test(test_mul_matches_wide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
