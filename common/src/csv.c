/* Candle CSV reader: one pass over the text, every field validated, errors name the line. */
#include "rt/csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

#define CSV_FIELDS 6
#define MS_PER_DAY INT64_C(86400000)

typedef struct {
    size_t *err_line;
    char *why;
    size_t why_cap;
} csv_err_t;

__attribute__((format(printf, 4, 5))) static int fail(const csv_err_t *e, int rc, size_t line,
                                                      const char *fmt, ...)
{
    if (e->err_line != NULL)
        *e->err_line = line;
    if (e->why != NULL && e->why_cap > 0) {
        size_t off = 0;
        if (line > 0) {
            int n = snprintf(e->why, e->why_cap, "line %zu: ", line);
            off = n < 0 ? 0 : (size_t)n >= e->why_cap ? e->why_cap - 1 : (size_t)n;
        }
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(e->why + off, e->why_cap - off, fmt, ap);
        va_end(ap);
        (void)n; /* a truncated reason is still a reason */
    }
    return rc;
}

/* ---- intervals -------------------------------------------------------------------------- */

static const struct {
    const char *name;
    int64_t ms; /* 0 for 1M: calendar months */
} intervals[] = {
    {"1s", 1000},
    {"1m", 60000},
    {"3m", 180000},
    {"5m", 300000},
    {"15m", 900000},
    {"30m", 1800000},
    {"1h", 3600000},
    {"2h", 7200000},
    {"4h", 14400000},
    {"6h", 21600000},
    {"8h", 28800000},
    {"12h", 43200000},
    {"1d", 86400000},
    {"3d", 259200000},
    {"1w", 604800000},
    {"1M", 0},
};
#define N_INTERVALS (sizeof intervals / sizeof intervals[0])

static int interval_find(const char *name)
{
    for (size_t i = 0; i < N_INTERVALS; i++)
        if (strcmp(intervals[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t close_time_of(int64_t open_ms, int iv)
{
    if (intervals[iv].ms > 0)
        return open_ms + intervals[iv].ms - 1;
    int64_t y, m;
    civil_from_days(open_ms / MS_PER_DAY, &y, &m);
    if (++m > 12) {
        m = 1;
        y++;
    }
    return days_from_civil(y, m, 1) * MS_PER_DAY - 1;
}

/* ---- fields ----------------------------------------------------------------------------- */

static bool symbol_ok(const char *s)
{
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) || n >= 20)
            return false;
    }
    return n > 0;
}

/* Milliseconds since the epoch: 1..15 digits (up to year ~33658). */
static int parse_time(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 15)
        return n == 0 ? RT_EINVAL : RT_ERANGE;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return RT_EINVAL;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return RT_OK;
}

static const char *const field_names[CSV_FIELDS] = {"open_time_ms", "open", "high",
                                                     "low",          "close", "volume"};

/* Parses one data row (without its line end) into c. */
static int parse_row(const char *p, size_t n, size_t line, rt_candle_t *c, const csv_err_t *e)
{
    const char *f[CSV_FIELDS];
    size_t fl[CSV_FIELDS];
    size_t nf = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || p[i] == ',') {
            if (nf == CSV_FIELDS)
                return fail(e, RT_EINVAL, line, "more than %d fields", CSV_FIELDS);
            f[nf] = p + start;
            fl[nf] = i - start;
            nf++;
            start = i + 1;
        }
    }
    if (nf != CSV_FIELDS)
        return fail(e, RT_EINVAL, line, "%zu fields, want %d (%s)", nf, CSV_FIELDS,
                    RT_CSV_CANDLE_HEADER);
    for (size_t i = 0; i < CSV_FIELDS; i++)
        if (fl[i] == 0)
            return fail(e, RT_EINVAL, line, "empty %s", field_names[i]);

    int rc = parse_time(f[0], fl[0], &c->open_time);
    if (rc != RT_OK)
        return fail(e, rc, line, "open_time_ms '%.*s' is not a time in ms (1..15 digits)",
                    (int)(fl[0] > 40 ? 40 : fl[0]), f[0]);
    rt_money_t v[5];
    for (size_t i = 1; i < CSV_FIELDS; i++) {
        rc = rt_money_parse_n(f[i], fl[i], &v[i - 1]);
        if (rc != RT_OK)
            return fail(e, rc, line, "%s '%.*s' is %s", field_names[i],
                        (int)(fl[i] > 40 ? 40 : fl[i]), f[i],
                        rc == RT_ERANGE ? "out of range"
                                        : "not a decimal number with at most 8 decimals");
    }
    c->open = v[0];
    c->high = v[1];
    c->low = v[2];
    c->close = v[3];
    c->volume = v[4];
    for (size_t i = 0; i < 4; i++)
        if (v[i] <= 0)
            return fail(e, RT_EINVAL, line, "%s '%.*s' must be > 0", field_names[i + 1],
                        (int)fl[i + 1], f[i + 1]);
    if (c->volume < 0)
        return fail(e, RT_EINVAL, line, "volume '%.*s' must be >= 0", (int)fl[5], f[5]);
    if (c->high < c->low)
        return fail(e, RT_EINVAL, line, "high %.*s is below low %.*s", (int)fl[2], f[2],
                    (int)fl[3], f[3]);
    if (c->open > c->high || c->close > c->high)
        return fail(e, RT_EINVAL, line, "%s is above high %.*s",
                    c->open > c->high ? "open" : "close", (int)fl[2], f[2]);
    if (c->open < c->low || c->close < c->low)
        return fail(e, RT_EINVAL, line, "%s is below low %.*s",
                    c->open < c->low ? "open" : "close", (int)fl[3], f[3]);
    return RT_OK;
}

/* The common row in one pass: plain digits, a '.', at most 8 decimals, 11 integer digits.
 * Returns true with c filled when the row is such a row and passes every check; false for
 * anything else, and parse_row then decides (and words the error). Loading a year of 1m
 * candles is mostly this function: it must stay a single walk over the bytes. */
static bool parse_row_fast(const char *p, size_t n, rt_candle_t *c)
{
    static const uint64_t pow10[RT_MONEY_DECIMALS + 1] = {
        100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};
    const char *end = p + n;
    uint64_t t = 0;
    const char *q = p;
    while (q < end && (unsigned)(*q - '0') < 10)
        t = t * 10 + (uint64_t)(*q++ - '0');
    if (q == p || q - p > 15 || q == end || *q != ',')
        return false;
    q++;
    rt_money_t v[5];
    for (int f = 0; f < 5; f++) {
        const char *start = q;
        uint64_t units = 0, frac = 0;
        while (q < end && (unsigned)(*q - '0') < 10)
            units = units * 10 + (uint64_t)(*q++ - '0');
        size_t int_digits = (size_t)(q - start), frac_digits = 0;
        if (int_digits > 11)
            return false;
        if (q < end && *q == '.') {
            const char *fs = ++q;
            while (q < end && (unsigned)(*q - '0') < 10 && q - fs < RT_MONEY_DECIMALS)
                frac = frac * 10 + (uint64_t)(*q++ - '0');
            frac_digits = (size_t)(q - fs);
        }
        if (int_digits + frac_digits == 0)
            return false;
        if (f < 4 ? (q == end || *q != ',') : q != end)
            return false;
        q++;
        uint64_t m = units * (uint64_t)RT_MONEY_SCALE + frac * pow10[frac_digits];
        if (m > (uint64_t)RT_MONEY_MAX)
            return false;
        v[f] = (rt_money_t)m;
    }
    /* the checks of parse_row: prices > 0 (volume >= 0 holds: no sign was accepted) */
    if (v[0] <= 0 || v[1] <= 0 || v[2] <= 0 || v[3] <= 0 || v[1] < v[2] || v[0] > v[1] ||
        v[3] > v[1] || v[0] < v[2] || v[3] < v[2])
        return false;
    c->open_time = (int64_t)t;
    c->open = v[0];
    c->high = v[1];
    c->low = v[2];
    c->close = v[3];
    c->volume = v[4];
    return true;
}

/* ---- the file --------------------------------------------------------------------------- */

int rt_csv_candles_parse(const char *text, size_t len, const char *symbol, const char *interval,
                         rt_candle_t **out, size_t *count, size_t *err_line, char *why,
                         size_t why_cap)
{
    const csv_err_t e = {err_line, why, why_cap};
    rt_candle_t *arr = NULL;
    size_t n = 0, cap = 0;
    int rc = RT_OK;

    if (text == NULL || out == NULL || count == NULL)
        return fail(&e, RT_EINVAL, 0, "missing argument");
    if (symbol == NULL || !symbol_ok(symbol))
        return fail(&e, RT_EINVAL, 0, "symbol '%s' is not 1..20 upper-case letters or digits",
                    symbol ? symbol : "(null)");
    int iv = -1;
    if (interval != NULL && interval[0] != '\0') {
        iv = interval_find(interval);
        if (iv < 0)
            return fail(&e, RT_EINVAL, 0,
                        "interval '%s' is not one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d "
                        "3d 1w 1M",
                        interval);
    }

    size_t pos = 0, line = 0;
    int64_t min_step = INT64_MAX;
    while (pos < len) {
        const char *p = text + pos;
        const char *nl = memchr(p, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - p) : len - pos;
        pos += ll + (nl ? 1 : 0);
        line++;
        if (ll > 0 && p[ll - 1] == '\r')
            ll--;
        if (line == 1) {
            if (ll != strlen(RT_CSV_CANDLE_HEADER) ||
                memcmp(p, RT_CSV_CANDLE_HEADER, ll) != 0) {
                rc = fail(&e, RT_EINVAL, line, "header is not '%s'", RT_CSV_CANDLE_HEADER);
                goto out;
            }
            continue;
        }
        if (ll == 0) {
            rc = fail(&e, RT_EINVAL, line, "empty line");
            goto out;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            rt_candle_t *na = realloc(arr, ncap * sizeof *na);
            if (na == NULL) {
                rc = fail(&e, RT_ENOMEM, line, "out of memory");
                goto out;
            }
            arr = na;
            cap = ncap;
        }
        rt_candle_t *c = &arr[n];
        memset(c, 0, sizeof *c);
        if (!parse_row_fast(p, ll, c)) {
            rc = parse_row(p, ll, line, c, &e);
            if (rc != RT_OK)
                goto out;
        }
        if (n > 0) {
            int64_t prev = arr[n - 1].open_time;
            if (c->open_time == prev) {
                rc = fail(&e, RT_EINVAL, line, "duplicate open_time %lld (same as line %zu)",
                          (long long)c->open_time, line - 1);
                goto out;
            }
            if (c->open_time < prev) {
                rc = fail(&e, RT_EINVAL, line,
                          "open_time %lld is before the previous row's %lld (unsorted)",
                          (long long)c->open_time, (long long)prev);
                goto out;
            }
            if (c->open_time - prev < min_step)
                min_step = c->open_time - prev;
        }
        n++;
    }
    if (line == 0) {
        rc = fail(&e, RT_EINVAL, 1, "no header (empty file)");
        goto out;
    }
    if (iv < 0 && n > 0) {
        for (size_t i = 0; i < N_INTERVALS && n >= 2; i++)
            if (intervals[i].ms == min_step)
                iv = (int)i;
        if (iv < 0) {
            rc = fail(&e, RT_EINVAL, 0,
                      n < 2 ? "cannot infer the interval from a single row: give it"
                            : "cannot infer the interval: the smallest step between rows is "
                              "not a Binance interval: give it");
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        rt_candle_t *c = &arr[i];
        /* both fit: the buffers are larger than any valid symbol and interval */
        memcpy(c->symbol, symbol, strlen(symbol) + 1);
        memcpy(c->interval, intervals[iv].name, strlen(intervals[iv].name) + 1);
        c->close_time = close_time_of(c->open_time, iv);
        c->closed = true;
    }
    if (n == 0) {
        free(arr);
        arr = NULL;
    }
    *out = arr;
    *count = n;
    arr = NULL;
out:
    free(arr);
    return rc;
}

int rt_csv_candles_load(const char *path, const char *symbol, const char *interval,
                        rt_candle_t **out, size_t *count, size_t *err_line, char *why,
                        size_t why_cap)
{
    const csv_err_t e = {err_line, why, why_cap};
    char *buf = NULL;
    int rc;
    if (path == NULL)
        return fail(&e, RT_EINVAL, 0, "missing path");
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        int err = errno;
        char msg[128] = "unknown error";
        (void)strerror_r(err, msg, sizeof msg);
        return fail(&e, RT_EIO, 0, "cannot open %s: %s", path, msg);
    }
    size_t len = 0, cap = 1 << 16;
    buf = malloc(cap);
    if (buf == NULL) {
        rc = fail(&e, RT_ENOMEM, 0, "out of memory");
        goto out;
    }
    for (;;) {
        if (len == cap) {
            if (cap >= RT_CSV_MAX_BYTES) {
                rc = fail(&e, RT_ETOOBIG, 0, "%s is larger than %zu bytes", path,
                          (size_t)RT_CSV_MAX_BYTES);
                goto out;
            }
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                rc = fail(&e, RT_ENOMEM, 0, "out of memory");
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) {
            if (ferror(f)) {
                rc = fail(&e, RT_EIO, 0, "cannot read %s", path);
                goto out;
            }
            break;
        }
    }
    rc = rt_csv_candles_parse(buf, len, symbol, interval, out, count, err_line, why, why_cap);
out:
    free(buf);
    fclose(f);
    return rc;
}
