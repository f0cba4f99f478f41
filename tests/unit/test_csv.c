/* Candle CSV reader: good files (including the shared data), bad rows with their line and
 * reason, arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt/csv.h"
#include "rt/err.h"
#include "rt_test.h"

#define HDR "open_time_ms,open,high,low,close,volume\n"

static int parse(const char *text, const char *interval, rt_candle_t **c, size_t *n,
                 size_t *line, char *why, size_t cap)
{
    return rt_csv_candles_parse(text, strlen(text), "BTCUSDC", interval, c, n, line, why, cap);
}

static void test_valid(void **state)
{
    (void)state;
    const char *text = HDR "1616554800000,55432.10,55450.00,55421.20,55445.80,2.34567\r\n"
                           "1616554860000,55445.8,55446,55400.5,55401,0\r\n"
                           "1616554980000,0.00162008,0.00162008,0.00162008,0.00162008,0";
    rt_candle_t *c = NULL;
    size_t n = 0, line = 99;
    char why[128] = "";
    assert_int_equal(parse(text, "1m", &c, &n, &line, why, sizeof why), RT_OK);
    assert_int_equal(n, 3);
    assert_int_equal(line, 99); /* untouched on success */
    assert_string_equal(c[0].symbol, "BTCUSDC");
    assert_string_equal(c[0].interval, "1m");
    assert_int_equal(c[0].open_time, 1616554800000);
    assert_int_equal(c[0].close_time, 1616554859999);
    assert_int_equal(c[0].open, 5543210000000);
    assert_int_equal(c[0].high, 5545000000000);
    assert_int_equal(c[0].low, 5542120000000);
    assert_int_equal(c[0].close, 5544580000000);
    assert_int_equal(c[0].volume, 234567000);
    assert_true(c[0].closed);
    assert_int_equal(c[1].volume, 0);
    assert_int_equal(c[2].open_time, 1616554980000); /* a gap is fine */
    assert_int_equal(c[2].close, 162008);
    free(c);

    /* interval inferred from the smallest step */
    assert_int_equal(parse(text, NULL, &c, &n, &line, why, sizeof why), RT_OK);
    assert_string_equal(c[0].interval, "1m");
    assert_int_equal(c[2].close_time, 1616555039999);
    free(c);

    /* header only: no candle, no array */
    c = (rt_candle_t *)&n;
    assert_int_equal(parse(HDR, "5m", &c, &n, &line, why, sizeof why), RT_OK);
    assert_null(c);
    assert_int_equal(n, 0);
}

static void test_close_times(void **state)
{
    (void)state;
    static const struct {
        const char *interval;
        int64_t open, close;
    } cases[] = {
        {"1s", 1000, 1999},
        {"5m", 1672677900000, 1672678199999},
        {"1h", 1672675200000, 1672678799999},
        {"1d", 1672617600000, 1672703999999},
        {"1w", 1672617600000, 1673222399999},
        /* calendar months: 2023-01-01 -> 2023-01-31T23:59:59.999, 2024-02 is a leap month,
         * 2023-12 rolls into 2024 */
        {"1M", 1672531200000, 1675209599999},
        {"1M", 1706745600000, 1709251199999},
        {"1M", 1701388800000, 1704067199999},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        int len = snprintf(text, sizeof text, HDR "%lld,1,1,1,1,1\n", (long long)cases[i].open);
        assert_true(len > 0 && (size_t)len < sizeof text);
        rt_candle_t *c = NULL;
        size_t n = 0;
        assert_int_equal(parse(text, cases[i].interval, &c, &n, NULL, NULL, 0), RT_OK);
        if (c[0].close_time != cases[i].close)
            fail_msg("%s from %lld: close %lld want %lld", cases[i].interval,
                     (long long)cases[i].open, (long long)c[0].close_time,
                     (long long)cases[i].close);
        free(c);
    }
}

static void test_bad_rows(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        size_t line;
        const char *why; /* a substring of the reason */
    } cases[] = {
        {"", RT_EINVAL, 1, "no header"},
        {"open_time,open,high,low,close,volume\n", RT_EINVAL, 1, "header"},
        {"\xEF\xBB\xBF" HDR, RT_EINVAL, 1, "header"},
        {HDR "1,1,1,1,1\n", RT_EINVAL, 2, "5 fields"},
        {HDR "1,1,1,1,1,1,1\n", RT_EINVAL, 2, "more than 6"},
        {HDR "1,1,1,1,1,1\n\n2,1,1,1,1,1\n", RT_EINVAL, 3, "empty line"},
        {HDR "1,1,1,,1,1\n", RT_EINVAL, 2, "empty low"},
        {HDR "abc,1,1,1,1,1\n", RT_EINVAL, 2, "open_time_ms 'abc'"},
        {HDR "-5,1,1,1,1,1\n", RT_EINVAL, 2, "open_time_ms '-5'"},
        {HDR "1616554800000.5,1,1,1,1,1\n", RT_EINVAL, 2, "open_time_ms"},
        {HDR "1234567890123456,1,1,1,1,1\n", RT_ERANGE, 2, "open_time_ms"},
        {HDR "1,1,1e3,1,1,1\n", RT_EINVAL, 2, "high '1e3'"},
        {HDR "1,1,1,1,1.000000001,1\n", RT_EINVAL, 2, "close '1.000000001'"},
        {HDR "1,1,1,1,1,99999999999999\n", RT_ERANGE, 2, "volume '99999999999999' is out of"},
        {HDR "1,1,1,1,nan,1\n", RT_EINVAL, 2, "close 'nan'"},
        {HDR "1,1, 1,1,1,1\n", RT_EINVAL, 2, "high ' 1'"},
        {HDR "1,0,1,0,1,1\n", RT_EINVAL, 2, "open '0' must be > 0"},
        {HDR "1,1,1,1,1,-1\n", RT_EINVAL, 2, "volume '-1' must be >= 0"},
        {HDR "1,1,1,2,1,1\n", RT_EINVAL, 2, "high 1 is below low 2"},
        {HDR "1,3,2,1,1,1\n", RT_EINVAL, 2, "open is above high"},
        {HDR "1,1,2,1,3,1\n", RT_EINVAL, 2, "close is above high"},
        {HDR "1,1,3,1.5,2,1\n", RT_EINVAL, 2, "open is below low"},
        {HDR "60000,1,1,1,1,1\n60000,1,1,1,1,1\n", RT_EINVAL, 3, "duplicate open_time 60000"},
        {HDR "120000,1,1,1,1,1\n180000,1,1,1,1,1\n60000,1,1,1,1,1\n", RT_EINVAL, 4, "unsorted"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_candle_t sentinel;
        rt_candle_t *c = &sentinel; /* must stay untouched */
        size_t n = 12345, line = 0;
        char why[160] = "";
        int rc = parse(cases[i].text, "1m", &c, &n, &line, why, sizeof why);
        if (rc != cases[i].rc || line != cases[i].line || strstr(why, cases[i].why) == NULL)
            fail_msg("case %zu: rc=%d line=%zu why='%s'; want rc=%d line=%zu why~'%s'", i, rc,
                     line, why, cases[i].rc, cases[i].line, cases[i].why);
        assert_ptr_equal(c, &sentinel);
        assert_int_equal(n, 12345);
        if (cases[i].line > 1) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "line %zu: ", cases[i].line);
            assert_memory_equal(why, prefix, strlen(prefix));
        }
    }
    /* a tiny reason buffer truncates, never overflows; no buffer at all is fine */
    rt_candle_t *c = NULL;
    size_t n = 0, line = 0;
    char tiny[8];
    assert_int_equal(parse(HDR "x,1,1,1,1,1\n", "1m", &c, &n, &line, tiny, sizeof tiny),
                     RT_EINVAL);
    assert_string_equal(tiny, "line 2:");
    assert_int_equal(parse(HDR "x,1,1,1,1,1\n", "1m", &c, &n, NULL, NULL, 0), RT_EINVAL);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    static const struct {
        const char *symbol, *interval, *text, *why;
    } cases[] = {
        {"btcusdc", "1m", HDR, "symbol 'btcusdc'"},
        {"", "1m", HDR, "symbol ''"},
        {"ABCDEFGHIJKLMNOPQRSTU", "1m", HDR, "symbol"},
        {"BTC-USD", "1m", HDR, "symbol"},
        {NULL, "1m", HDR, "symbol '(null)'"},
        {"BTCUSDC", "7m", HDR, "interval '7m' is not one of"},
        {"BTCUSDC", "1m ", HDR, "interval"},
        {"BTCUSDC", NULL, HDR "60000,1,1,1,1,1\n", "single row"},
        {"BTCUSDC", "", HDR "60000,1,1,1,1,1\n107000,1,1,1,1,1\n", "not a Binance interval"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_candle_t *c = NULL;
        size_t n = 0, line = 77;
        char why[160] = "";
        int rc = rt_csv_candles_parse(cases[i].text, strlen(cases[i].text), cases[i].symbol,
                                      cases[i].interval, &c, &n, &line, why, sizeof why);
        if (rc != RT_EINVAL || line != 0 || strstr(why, cases[i].why) == NULL)
            fail_msg("case %zu: rc=%d line=%zu why='%s', want '%s'", i, rc, line, why,
                     cases[i].why);
        assert_null(c);
    }
    rt_candle_t *c = NULL;
    size_t n = 0;
    assert_int_equal(rt_csv_candles_parse(NULL, 0, "X", "1m", &c, &n, NULL, NULL, 0), RT_EINVAL);
    assert_int_equal(rt_csv_candles_parse(HDR, 3, "X", "1m", NULL, &n, NULL, NULL, 0), RT_EINVAL);
}

static void test_shared_files(void **state)
{
    (void)state;
    static const struct {
        const char *rel, *interval;
        size_t rows;
    } files[] = {
        {"data/btcusdt_5m_2023-01-02_2023-02-09.csv", "5m", 10999},
        {"data/btcusdt_1m_2023-03-01_2023-03-21.csv", "1m", 30240},
        {"data/ethbtc_5m_2018-01-10_2018-01-30.csv", "5m", 5760},
        {"data/altbtc_1m_2017-11-04_2017-11-14.csv", "1m", 13681},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        rt_test_shared_path(path, sizeof path, files[i].rel);
        rt_candle_t *c = NULL;
        size_t n = 0, line = 0;
        char why[256] = "";
        int rc = rt_csv_candles_load(path, "TESTPAIR", NULL, &c, &n, &line, why, sizeof why);
        if (rc != RT_OK)
            fail_msg("%s: %s: %s", files[i].rel, rt_strerror(rc), why);
        assert_int_equal(n, files[i].rows);
        assert_string_equal(c[0].interval, files[i].interval);
        size_t gaps = 0, short_gaps = 0;
        for (size_t k = 1; k < n; k++) {
            int64_t step = c[k].open_time - c[k - 1].open_time;
            int64_t len = c[k].close_time + 1 - c[k].open_time;
            gaps += step != len;
            short_gaps += step >= 2 * len && step <= 4 * len;
        }
        if (i == 3) {
            /* the README's 523 gaps of 2-4 minutes, and 15 longer ones (5-8 minutes) */
            assert_int_equal(short_gaps, 523);
            assert_int_equal(gaps, 538);
        } else {
            assert_int_equal(gaps, 0);
        }
        free(c);
    }
}

/* The text fed to a reader `piece` bytes at a time, the unfinished line carried over as
 * rt_csv_candles_load does. */
static int parse_in_pieces(const char *text, size_t len, size_t piece, const char *interval,
                           rt_candle_t **c, size_t *n, size_t *line, char *why, size_t cap)
{
    rt_csv_reader_t *r = NULL;
    int rc = rt_csv_reader_new("BTCUSDC", interval, 0, line, why, cap, &r);
    if (rc != RT_OK)
        return rc;
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    size_t have = 0, pos = 0;
    while (rc == RT_OK && pos < len) {
        size_t take = len - pos < piece ? len - pos : piece;
        memcpy(buf + have, text + pos, take);
        have += take;
        pos += take;
        size_t used = 0;
        rc = rt_csv_reader_feed(r, buf, have, &used);
        if (rc == RT_OK) {
            memmove(buf, buf + used, have - used);
            have -= used;
        }
    }
    if (rc == RT_OK)
        rc = rt_csv_reader_finish(r, buf, have, c, n);
    free(buf);
    rt_csv_reader_free(r);
    return rc;
}

/* Any split of the text gives the one-shot answer: candles, or error code, line and reason. */
static void test_pieces(void **state)
{
    (void)state;
    static const char *const texts[] = {
        HDR "60000,1,1,1,1,1\n120000,2.5,3,2,2.75,0.5\r\n180000,22965.23,23000.1,22900,"
            "22999.99999999,12345678901.12345678\n",
        HDR "60000,1,1,1,1,1\n120000,1,1,1,1,1",
        HDR "60000,1,1,1,1,1\n60000,1,1,1,1,1\n",
        HDR "120000,1,1,1,1,1\n180000,1,1,1,1,1\n60000,1,1,1,1,1\n",
        HDR "1,1,1,1,1,1\n\n2,1,1,1,1,1\n",
        HDR "1000,1,1,1,1,1\n61000,1,1,1,1,1\n62000,1,1,1,1,1\n",
        HDR "1234567890123,1.,.5,.5,1,0\n1234567950123,00000000001,1,1,1,00.00000000\n",
        HDR "1234567890123,123456789012,1,1,1,1\n",
        HDR "1234567890123456,1,1,1,1,1\n",
        HDR "1,1,1,1,1,1.000000000\n2,1,1,1,1,1.0000000001\n",
        "open_time_ms,open\n",
        "",
        HDR,
    };
    static const size_t pieces[] = {1, 2, 7, 33, 64, 1000};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        for (int with_iv = 0; with_iv < 2; with_iv++) {
            const char *iv = with_iv ? "1m" : NULL;
            rt_candle_t *c1 = NULL;
            size_t n1 = 0, line1 = 0;
            char why1[160] = "";
            int rc1 = rt_csv_candles_parse(texts[t], strlen(texts[t]), "BTCUSDC", iv, &c1, &n1,
                                           &line1, why1, sizeof why1);
            for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
                rt_candle_t *c2 = NULL;
                size_t n2 = 0, line2 = 0;
                char why2[160] = "";
                int rc2 = parse_in_pieces(texts[t], strlen(texts[t]), pieces[k], iv, &c2, &n2,
                                          &line2, why2, sizeof why2);
                if (rc1 != rc2 || line1 != line2 || strcmp(why1, why2) != 0 || n1 != n2)
                    fail_msg("text %zu piece %zu: rc %d/%d line %zu/%zu why '%s'/'%s'", t,
                             pieces[k], rc1, rc2, line1, line2, why1, why2);
                for (size_t i = 0; i < n1; i++) {
                    assert_string_equal(c1[i].symbol, c2[i].symbol);
                    assert_string_equal(c1[i].interval, c2[i].interval);
                    assert_int_equal(c1[i].open_time, c2[i].open_time);
                    assert_int_equal(c1[i].close_time, c2[i].close_time);
                    assert_int_equal(c1[i].open, c2[i].open);
                    assert_int_equal(c1[i].high, c2[i].high);
                    assert_int_equal(c1[i].low, c2[i].low);
                    assert_int_equal(c1[i].close, c2[i].close);
                    assert_int_equal(c1[i].volume, c2[i].volume);
                    assert_true(c2[i].closed);
                }
                free(c2);
            }
            free(c1);
        }
    }
}

/* The eight-bytes-at-a-time rows and the byte-wise ones agree on every shape of number: the
 * same rows parsed with room to read ahead (long text) and without (each row last). */
static void test_fast_rows(void **state)
{
    (void)state;
    static const char *const rows[] = {
        "1,1,1,1,1,0",
        "1677628800000,23140.48,23150.77,23128.52,23142.31,2.131777",
        "1677628800000,0.00000001,0.00000002,0.00000001,0.00000002,99999999999.99999999",
        "1677628800000,12345678.1,12345678.12345678,12345678,12345678.12,1.",
        "1677628800000,.1,.2,.1,.2,.0",
        "999999999999998,92233720368.54775807,92233720368.54775807,1,1,1",
        "1677628800000,92233720368.54775808,92233720368.54775808,1,1,1",
        "1677628800000,1,1,1,1,-1",
        "1677628800000,1,1,1,1,+1",
        "1677628800000,1,1,1,1,1.123456789",
        "1677628800000,1,1,1,1,1.123456780",
        "1677628800000,1,1,1,1,123456789012",
        "1677628800000,1,1,1,1,1e5",
        "1677628800000,1,1,1,1,1 ",
        "1677628800000,2,1,1,1,1",
        "1677628800000,1,1,1,1,1,",
        "16776288000001,1,1,1,1,1",
        "1677628800000:1,1,1,1,1,1",
        "1677628800000,1/,1,1,1,1",
        "1677628800000,1:,1,1,1,1",
        "1677628800000,\xff\xff\xff\xff\xff\xff\xff\xff,1,1,1,1",
        "1677628800000,12345678.1,12345678.1,12345678.1,12345678.1,1",
        "1677628800000,123456789,123456789,123456789,123456789,1",
        "1677628800000,99999999999,99999999999,99999999999,99999999999,99999999999.9",
        "1677628800000,1.5.,1,1,1,1",
        "123456789012345,1,1,1,1,1",
        "1677628800000,0.5,0.5,0.5,0.5,.00000001",
        "1677628800000,1,1,1,1,1\r",
        "1677628800000,9,9,9,9,9\x7f",
        "1677628800000,1,1,1,1,\xb9\x39", /* \x39 = 9, apart from the escape */
        "0001677628800000,1,1,1,1,1",
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char text[1024];
        /* room to read ahead: the row, then a later row; and the row alone at the end */
        int a = snprintf(text, sizeof text,
                         HDR "%s\n999999999999999,1.00000000,1.00000000,1.00000000,1.00000000,"
                             "1.00000000\n",
                         rows[i]);
        assert_true(a > 0 && (size_t)a < sizeof text);
        rt_candle_t *c1 = NULL, *c2 = NULL;
        size_t n1 = 0, n2 = 0, l1 = 0, l2 = 0;
        char w1[160] = "", w2[160] = "";
        int rc1 = rt_csv_candles_parse(text, (size_t)a, "BTCUSDC", "1m", &c1, &n1, &l1, w1,
                                       sizeof w1);
        int b = snprintf(text, sizeof text, HDR "%s", rows[i]);
        assert_true(b > 0 && (size_t)b < sizeof text);
        int rc2 = rt_csv_candles_parse(text, (size_t)b, "BTCUSDC", "1m", &c2, &n2, &l2, w2,
                                       sizeof w2);
        if (rc1 != rc2 || l1 != l2 || strcmp(w1, w2) != 0)
            fail_msg("row %zu: rc %d/%d line %zu/%zu why '%s'/'%s'", i, rc1, rc2, l1, l2, w1, w2);
        if (rc1 == RT_OK) {
            assert_int_equal(n1, 2);
            assert_int_equal(n2, 1);
            assert_int_equal(c1[0].open_time, c2[0].open_time);
            assert_int_equal(c1[0].open, c2[0].open);
            assert_int_equal(c1[0].high, c2[0].high);
            assert_int_equal(c1[0].low, c2[0].low);
            assert_int_equal(c1[0].close, c2[0].close);
            assert_int_equal(c1[0].volume, c2[0].volume);
        }
        free(c1);
        free(c2);
    }
}

static void test_load_errors(void **state)
{
    (void)state;
    rt_candle_t *c = NULL;
    size_t n = 0, line = 5;
    char why[256] = "";
    assert_int_equal(rt_csv_candles_load("/nonexistent/x.csv", "BTCUSDC", "1m", &c, &n, &line,
                                         why, sizeof why),
                     RT_EIO);
    assert_int_equal(line, 0);
    assert_non_null(strstr(why, "/nonexistent/x.csv"));
    assert_int_equal(rt_csv_candles_load("/", "BTCUSDC", "1m", &c, &n, &line, why, sizeof why),
                     RT_EIO); /* a directory: open works on Linux, reading fails */
    assert_null(c);
    assert_int_equal(rt_csv_candles_load(NULL, "BTCUSDC", "1m", &c, &n, &line, why, sizeof why),
                     RT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),          cmocka_unit_test(test_close_times),
        cmocka_unit_test(test_bad_rows),       cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_shared_files),   cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_pieces),         cmocka_unit_test(test_fast_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
