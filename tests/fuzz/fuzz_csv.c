/* libFuzzer target for the candle CSV reader (rt_csv_candles_parse: shared-data files for the
 * analyzer's replay mode and the backtester). Built only with clang; see CMakeLists.txt.
 *
 * Properties, for any input: no crash, leak or undefined behaviour; a rejected file leaves
 * *out and *count untouched and says why in a NUL-terminated text; accepted candles keep the
 * documented invariants and, written back as CSV with the same interval, parse to the same
 * candles; and each accepted candle is what its own line of the input says (line i + 2 holds
 * candle i's open time and prices, checked field by field). The input is read once with the
 * interval inferred and once as 1m. Fed to a reader in pieces (as rt_csv_candles_load reads a
 * file), it gives the same candles, or the same error, line and reason. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/csv.h"
#include "rt/err.h"
#include "rt/money.h"
#include "rt/types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *why)
{
    fprintf(stderr, "fuzz_csv: %s (%s)\n", what, why ? why : "");
    abort();
}

static void put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0)
            die("vsnprintf failed", NULL);
        if ((size_t)n < *cap - *len) {
            *len += (size_t)n;
            return;
        }
        size_t bigger = (*cap + (size_t)n + 1) * 2;
        char *p = realloc(*buf, bigger);
        if (p == NULL)
            die("out of memory", NULL);
        *buf = p;
        *cap = bigger;
    }
}

/* Field by field: padding and the bytes after a name's NUL are not part of a candle. */
static bool candle_eq(const rt_candle_t *a, const rt_candle_t *b)
{
    return strcmp(a->symbol, b->symbol) == 0 && strcmp(a->interval, b->interval) == 0 &&
           a->open_time == b->open_time && a->close_time == b->close_time && a->open == b->open &&
           a->high == b->high && a->low == b->low && a->close == b->close &&
           a->volume == b->volume && a->closed == b->closed;
}

/* Candle i must be line i + 2 of the text, field by field. */
static void check_lines(const char *text, size_t size, const rt_candle_t *c, size_t count)
{
    size_t pos = 0, line = 0;
    while (pos < size) {
        const char *p = text + pos;
        const char *nl = memchr(p, '\n', size - pos);
        size_t n = nl ? (size_t)(nl - p) : size - pos;
        pos += n + (nl ? 1 : 0);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        line++;
        if (line == 1) {
            if (n != strlen(RT_CSV_CANDLE_HEADER) || memcmp(p, RT_CSV_CANDLE_HEADER, n) != 0)
                die("accepted a file whose first line is not the header", NULL);
            continue;
        }
        if (line - 2 >= count)
            die("accepted a file with more lines than candles", NULL);
        const rt_candle_t *k = &c[line - 2];
        const rt_money_t want[5] = {k->open, k->high, k->low, k->close, k->volume};
        size_t start = 0, field = 0;
        for (size_t i = 0; i <= n; i++) {
            if (i < n && p[i] != ',')
                continue;
            if (field >= 6)
                die("accepted a line with more than six fields", NULL);
            const char *f = p + start;
            size_t fl = i - start;
            if (field == 0) {
                int64_t t = 0;
                for (size_t j = 0; j < fl; j++) {
                    if (f[j] < '0' || f[j] > '9')
                        die("accepted an open time that is not digits", NULL);
                    t = t * 10 + (f[j] - '0');
                }
                if (fl == 0 || fl > 15 || t != k->open_time)
                    die("open time differs from its line", NULL);
            } else {
                rt_money_t v;
                if (rt_money_parse_n(f, fl, &v) != RT_OK || v != want[field - 1])
                    die("a price or volume differs from its line", NULL);
            }
            field++;
            start = i + 1;
        }
        if (field != 6)
            die("accepted a line with fewer than six fields", NULL);
    }
    if (count > 0 && line != count + 1)
        die("fewer lines than candles", NULL);
}

static void check(const char *text, size_t size, const char *interval)
{
    rt_candle_t *const sentinel = (rt_candle_t *)(uintptr_t)0x1;
    rt_candle_t *c = sentinel;
    size_t count = 77, line = 77;
    char why[128];
    memset(why, 'x', sizeof why);
    int rc =
        rt_csv_candles_parse(text, size, "BTCUSDT", interval, &c, &count, &line, why, sizeof why);
    if (rc != RT_OK) {
        if (c != sentinel || count != 77)
            die("rejected file wrote an output", NULL);
        if (memchr(why, '\0', sizeof why) == NULL || why[0] == '\0')
            die("rejected file without a NUL-terminated reason", NULL);
        if (rc != RT_EINVAL && rc != RT_ERANGE)
            die("unexpected error code", why);
        return;
    }
    if ((count == 0) != (c == NULL))
        die("count and array disagree", NULL);
    for (size_t i = 0; i < count; i++) {
        const rt_candle_t *k = &c[i];
        if (strcmp(k->symbol, "BTCUSDT") != 0 || k->interval[0] == '\0' || !k->closed)
            die("symbol, interval or closed flag not set", NULL);
        if (interval != NULL && strcmp(k->interval, interval) != 0)
            die("interval differs from the one asked for", k->interval);
        if (k->close_time <= k->open_time)
            die("close time not after open time", NULL);
        if (k->open <= 0 || k->high <= 0 || k->low <= 0 || k->close <= 0 || k->volume < 0)
            die("price not positive or volume negative", NULL);
        if (k->low > k->open || k->low > k->close || k->high < k->open || k->high < k->close)
            die("prices outside low..high", NULL);
        if (i > 0 && k->open_time <= c[i - 1].open_time)
            die("open times not increasing", NULL);
    }
    check_lines(text, size, c, count);
    /* written back (with the interval it was read with), the file parses to the same candles */
    size_t len = 0, cap = 256;
    char *out = malloc(cap);
    if (out == NULL)
        die("out of memory", NULL);
    put(&out, &len, &cap, "%s\n", RT_CSV_CANDLE_HEADER);
    for (size_t i = 0; i < count; i++) {
        const rt_candle_t *k = &c[i];
        char o[RT_MONEY_FMT_MAX], h[RT_MONEY_FMT_MAX], l[RT_MONEY_FMT_MAX], cl[RT_MONEY_FMT_MAX],
            v[RT_MONEY_FMT_MAX];
        rt_money_format(k->open, o, sizeof o);
        rt_money_format(k->high, h, sizeof h);
        rt_money_format(k->low, l, sizeof l);
        rt_money_format(k->close, cl, sizeof cl);
        rt_money_format(k->volume, v, sizeof v);
        put(&out, &len, &cap, "%" PRId64 ",%s,%s,%s,%s,%s\n", k->open_time, o, h, l, cl, v);
    }
    rt_candle_t *c2 = NULL;
    size_t count2 = 0;
    const char *iv = count > 0 ? c[0].interval : interval;
    rc = rt_csv_candles_parse(out, len, "BTCUSDT", iv, &c2, &count2, NULL, why, sizeof why);
    if (rc != RT_OK)
        die("written-back file refused", why);
    bool same = count2 == count;
    for (size_t i = 0; same && i < count; i++)
        same = candle_eq(&c[i], &c2[i]);
    if (!same)
        die("written-back file parses differently", NULL);
    free(c2);
    free(out);
    free(c);
}

/* The text fed to a reader `piece` bytes at a time, the unfinished line carried over. */
static int parse_in_pieces(const char *text, size_t size, size_t piece, rt_candle_t **c, size_t *n,
                           size_t *line, char *why, size_t cap)
{
    rt_csv_reader_t *r = NULL;
    int rc = rt_csv_reader_new("BTCUSDT", NULL, size / 2, line, why, cap, &r);
    if (rc != RT_OK)
        die("reader_new failed", why);
    char *buf = malloc(size + 1);
    if (buf == NULL)
        die("out of memory", NULL);
    size_t have = 0, pos = 0;
    while (rc == RT_OK && pos < size) {
        size_t take = size - pos < piece ? size - pos : piece;
        memcpy(buf + have, text + pos, take);
        have += take;
        pos += take;
        size_t used = 0;
        rc = rt_csv_reader_feed(r, buf, have, &used);
        if (rc == RT_OK) {
            if (used > have)
                die("reader used more than it was given", NULL);
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

static void check_pieces(const char *text, size_t size, size_t piece)
{
    rt_candle_t *c1 = NULL, *c2 = NULL;
    size_t n1 = 0, n2 = 0, l1 = 0, l2 = 0;
    char w1[128] = "", w2[128] = "";
    int rc1 = rt_csv_candles_parse(text, size, "BTCUSDT", NULL, &c1, &n1, &l1, w1, sizeof w1);
    int rc2 = parse_in_pieces(text, size, piece, &c2, &n2, &l2, w2, sizeof w2);
    if (rc1 != rc2 || l1 != l2 || strcmp(w1, w2) != 0 || n1 != n2)
        die("read in pieces, the text gives another answer", w2);
    for (size_t i = 0; i < n1; i++)
        if (!candle_eq(&c1[i], &c2[i]))
            die("read in pieces, a candle differs", NULL);
    free(c1);
    free(c2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    check(text, size, NULL);
    check(text, size, "1m");
    check_pieces(text, size, size > 0 ? 1 + data[size - 1] % 67 : 1);
    return 0;
}
