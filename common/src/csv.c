/* Candle CSV reader: one pass over the text, every field validated, errors name the line.
 *
 * Speed (a year of 1m candles is 30 MB): files are read in fixed chunks (no copy of the whole
 * file), the candle array is sized once from the file's size, and the common row is parsed
 * eight bytes at a time (parse_row_swar); any other row goes through the byte-wise checks
 * (parse_row_fast, then parse_row, which words the error), so results and errors are those of
 * the plain parser. */
#include "rt/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* Eight bytes at a time (little-endian machines; others use the byte-wise path only). Each
 * read may look up to CSV_SWAR_LOOK bytes past a field's start, so fields closer than that to
 * the end of the text go the byte-wise way. */
#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) &&                               \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CSV_SWAR 1
#else
#define CSV_SWAR 0
#endif
#define CSV_SWAR_LOOK 32

static const uint64_t pow10_u64[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                      100000000};

static inline uint64_t load8(const char *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

/* How many of the 8 bytes of x (the first byte lowest) are ASCII digits before the first
 * other byte. A byte's high nibble must be 3 and adding 6 must keep it 3; the addition's carry
 * only leaves a byte >= 0xFA, which is itself not a digit, so the first non-digit is found. */
static inline unsigned digits8(uint64_t x)
{
    const uint64_t hi = UINT64_C(0xF0F0F0F0F0F0F0F0), zeros = UINT64_C(0x3030303030303030);
    uint64_t other = ((x & hi) ^ zeros) | (((x + UINT64_C(0x0606060606060606)) & hi) ^ zeros);
    return other == 0 ? 8 : (unsigned)__builtin_ctzll(other) / 8;
}

/* The value of the first n (1..8) digits of x: they are moved to the top (the bytes below
 * become leading zeros) and combined pairwise (D. Lemire's eight-digit parse). Subtracting
 * '0' borrows only from the bytes after the digits, which the shift drops. */
static inline uint64_t value8(uint64_t x, unsigned n)
{
    uint64_t v = (x - UINT64_C(0x3030303030303030)) << (8 * (8 - n));
    v = v * 10 + (v >> 8);
    return ((v & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32)) +
            ((v >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32))) >>
           32;
}

/* One money field of the common row: 0..11 integer digits, optionally '.' and 0..8 decimals,
 * not empty (rt_money_parse_n's rules for such text). Moves *qp past it; false for anything
 * else. */
static inline bool money_swar(const char **qp, rt_money_t *out)
{
    const char *q = *qp;
    uint64_t x = load8(q);
    unsigned n = digits8(x);
    if (n < 8 && q[n] == '.') {
        uint64_t y = load8(q + n + 1);
        unsigned f = digits8(y);
        if (n + f - 1 < 8) { /* 1..8 digits in all: one conversion of the digits without the
                                dot (x's first n bytes, then y's) */
            uint64_t z = n > 0 ? (x & (~UINT64_C(0) >> (64 - 8 * n))) | (y << (8 * n)) : y;
            *out = (rt_money_t)(value8(z, n + f) * pow10_u64[RT_MONEY_DECIMALS - f]);
            *qp = q + n + 1 + f;
            return true;
        }
    }
    uint64_t units = n > 0 ? value8(x, n) : 0;
    if (n == 8) {
        uint64_t y = load8(q + 8);
        unsigned m = digits8(y);
        if (m > 3)
            return false;
        if (m > 0)
            units = units * pow10_u64[m] + value8(y, m);
        n += m;
    }
    q += n;
    uint64_t frac = 0;
    unsigned f = 0;
    if (*q == '.') {
        q++;
        uint64_t y = load8(q);
        f = digits8(y);
        if (f > 0)
            frac = value8(y, f) * pow10_u64[RT_MONEY_DECIMALS - f];
        q += f; /* a ninth decimal is not a delimiter: the caller's check fails */
    }
    if (n + f == 0)
        return false;
    uint64_t m = units * (uint64_t)RT_MONEY_SCALE + frac; /* < 1e19: no overflow */
    if (m > (uint64_t)RT_MONEY_MAX)
        return false;
    *out = (rt_money_t)m;
    *qp = q;
    return true;
}

/* The common row with its line end, from p (lim: the end of the text, the reads' bound).
 * Returns the start of the next line with c's time and prices set when the row is such a
 * row and passes every check of parse_row; NULL for anything else (the byte-wise path then
 * decides and words the error). */
static const char *parse_row_swar(const char *p, const char *lim, rt_candle_t *c)
{
    if (!CSV_SWAR || lim - p < CSV_SWAR_LOOK)
        return NULL;
    uint64_t x = load8(p);
    unsigned n = digits8(x);
    if (n == 0)
        return NULL;
    uint64_t t = value8(x, n);
    if (n == 8) {
        uint64_t y = load8(p + 8);
        unsigned m = digits8(y);
        if (m > 7)
            return NULL; /* 16 digits or more: parse_row says why */
        if (m > 0)
            t = t * pow10_u64[m] + value8(y, m);
        n += m;
    }
    const char *q = p + n;
    if (*q != ',')
        return NULL;
    q++;
    rt_money_t v[5];
    for (int f = 0; f < 5; f++) {
        if (lim - q < CSV_SWAR_LOOK || !money_swar(&q, &v[f]))
            return NULL;
        if (f < 4) {
            if (*q != ',')
                return NULL;
            q++;
        }
    }
    if (q[0] == '\n')
        q += 1;
    else if (q[0] == '\r' && q[1] == '\n')
        q += 2;
    else
        return NULL;
    /* the checks of parse_row: prices > 0 (volume >= 0 holds: no sign was accepted) */
    if (v[0] <= 0 || v[1] <= 0 || v[2] <= 0 || v[3] <= 0 || v[1] < v[2] || v[0] > v[1] ||
        v[3] > v[1] || v[0] < v[2] || v[3] < v[2])
        return NULL;
    c->open_time = (int64_t)t;
    c->open = v[0];
    c->high = v[1];
    c->low = v[2];
    c->close = v[3];
    c->volume = v[4];
    return q;
}

#if CSV_SWAR && defined(__SSE2__)
#include <emmintrin.h>
#define CSV_MASK 1
/* The row window of parse_row_mask, and the bytes it may read from a row's start. */
#define CSV_MASK_ROW 64
#define CSV_MASK_LOOK 80

/* Bit i set when p[i] (i < 64) is not an ASCII digit: 16 bytes per step. */
static inline uint64_t nondigits64(const char *p)
{
    const __m128i zero = _mm_set1_epi8('0'), nine = _mm_set1_epi8(9);
    uint64_t m = 0;
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        __m128i d = _mm_sub_epi8(v, zero);
        __m128i digit = _mm_cmpeq_epi8(_mm_max_epu8(d, nine), nine); /* d <= 9, unsigned */
        m |= (uint64_t)(uint16_t)~_mm_movemask_epi8(digit) << (16 * i);
    }
    return m;
}

/* The value of n (1..15) digits at p. */
static inline uint64_t digits_value(const char *p, unsigned n)
{
    if (n <= 8)
        return value8(load8(p), n);
    return value8(load8(p), 8) * pow10_u64[n - 8] + value8(load8(p + 8), n - 8);
}

/* parse_row_swar for rows within CSV_MASK_ROW bytes: every field's end is found at once from
 * one mask of the row's non-digits, then each field is one or two conversions. Same rows
 * accepted, same values, NULL for anything else. */
static const char *parse_row_mask(const char *p, const char *lim, rt_candle_t *c)
{
    if (lim - p < CSV_MASK_LOOK)
        return NULL;
    uint64_t nd = nondigits64(p);
    if (nd == 0)
        return NULL;
    unsigned n = (unsigned)__builtin_ctzll(nd);
    if (n == 0 || n > 15 || p[n] != ',')
        return NULL;
    uint64_t t = digits_value(p, n);
    unsigned s = n + 1; /* the field's start */
    rt_money_t v[5];
    for (int f = 0; f < 5; f++) {
        if (s >= CSV_MASK_ROW || (nd >> s) == 0)
            return NULL;
        unsigned dot = s + (unsigned)__builtin_ctzll(nd >> s); /* first non-digit */
        unsigned ni = dot - s, fi = 0, end = dot;
        if (p[dot] == '.') {
            if (dot + 1 >= CSV_MASK_ROW || (nd >> (dot + 1)) == 0)
                return NULL;
            end = dot + 1 + (unsigned)__builtin_ctzll(nd >> (dot + 1));
            fi = end - dot - 1;
        }
        if (ni + fi == 0 || ni > 11 || fi > RT_MONEY_DECIMALS)
            return NULL;
        uint64_t m;
        if (ni + fi <= 8) {
            /* the digits without the dot, in one conversion */
            uint64_t x = load8(p + s);
            uint64_t z = fi == 0    ? x
                         : ni == 0 ? load8(p + dot + 1)
                                   : (x & (~UINT64_C(0) >> (64 - 8 * ni))) |
                                         (load8(p + dot + 1) << (8 * ni));
            m = value8(z, ni + fi) * pow10_u64[RT_MONEY_DECIMALS - fi];
        } else {
            m = (ni > 0 ? digits_value(p + s, ni) : 0) * (uint64_t)RT_MONEY_SCALE +
                (fi > 0 ? value8(load8(p + dot + 1), fi) * pow10_u64[RT_MONEY_DECIMALS - fi] : 0);
            if (m > (uint64_t)RT_MONEY_MAX)
                return NULL;
        }
        v[f] = (rt_money_t)m;
        char delim = p[end];
        if (f < 4) {
            if (delim != ',')
                return NULL;
            s = end + 1;
        } else if (delim == '\n') {
            s = end + 1;
        } else if (delim == '\r' && p[end + 1] == '\n') {
            s = end + 2;
        } else {
            return NULL;
        }
    }
    if (v[0] <= 0 || v[1] <= 0 || v[2] <= 0 || v[3] <= 0 || v[1] < v[2] || v[0] > v[1] ||
        v[3] > v[1] || v[0] < v[2] || v[3] < v[2])
        return NULL;
    c->open_time = (int64_t)t;
    c->open = v[0];
    c->high = v[1];
    c->low = v[2];
    c->close = v[3];
    c->volume = v[4];
    return p + s;
}
#else
#define CSV_MASK 0
static const char *parse_row_mask(const char *p, const char *lim, rt_candle_t *c)
{
    (void)p;
    (void)lim;
    (void)c;
    return NULL;
}
#endif

/* ---- the reader ------------------------------------------------------------------------- */

/* Candles prefaulted at a time (MADV_POPULATE_WRITE): one call instead of a page fault every
 * 4 KiB of a fresh array. */
#define CSV_POPULATE_STEP 4096
/* Rows of the array sized from a size hint at most (it grows beyond, by doubling). */
#define CSV_HINT_ROWS_MAX ((size_t)1 << 22)
/* A typical row is 45..60 bytes: the hint's estimate of rows over-counts a little, and the
 * unused tail is given back at the end. */
#define CSV_HINT_ROW_BYTES 40

struct rt_csv_reader {
    csv_err_t e;
    rt_candle_t tmpl; /* symbol, interval (once known), closed: copied into every row */
    int iv;           /* the interval given, -1 to infer */
    int guess;        /* the interval close times are computed with so far, -1 = none yet */
    rt_candle_t *arr;
    size_t n, cap, populated;
    size_t line;
    int64_t min_step;
    int rc; /* the first error: every later call returns it */
};

static void reader_populate(rt_csv_reader_t *r)
{
    size_t upto = r->populated + CSV_POPULATE_STEP;
    if (upto > r->cap)
        upto = r->cap;
#ifdef MADV_POPULATE_WRITE
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0) {
        uintptr_t from = (uintptr_t)(r->arr + r->populated) & ~((uintptr_t)page - 1);
        uintptr_t to = (uintptr_t)(r->arr + upto);
        /* best effort: the memory is ours and mapped; an old kernel says EINVAL */
        (void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
    }
#endif
    r->populated = upto;
}

static int reader_grow(rt_csv_reader_t *r)
{
    size_t ncap = r->cap ? r->cap * 2 : 1024;
    rt_candle_t *na = realloc(r->arr, ncap * sizeof *na);
    if (na == NULL)
        return fail(&r->e, RT_ENOMEM, r->line, "out of memory");
    r->arr = na;
    r->cap = ncap;
    if (r->populated > r->n)
        r->populated = r->n; /* a move may leave the rest unfaulted */
    return RT_OK;
}

static void set_interval(rt_candle_t *c, int iv)
{
    size_t len = strlen(intervals[iv].name) + 1; /* fits: RT_INTERVAL_CAP > any name */
    memcpy(c->interval, intervals[iv].name, len);
    c->close_time = close_time_of(c->open_time, iv);
}

/* The checks across rows for the row just parsed into arr[n], then it is kept. */
static int reader_keep_any(rt_csv_reader_t *r)
{
    rt_candle_t *c = &r->arr[r->n];
    if (r->n > 0) {
        int64_t prev = r->arr[r->n - 1].open_time;
        if (c->open_time == prev)
            return fail(&r->e, RT_EINVAL, r->line, "duplicate open_time %lld (same as line %zu)",
                        (long long)c->open_time, r->line - 1);
        if (c->open_time < prev)
            return fail(&r->e, RT_EINVAL, r->line,
                        "open_time %lld is before the previous row's %lld (unsorted)",
                        (long long)c->open_time, (long long)prev);
        int64_t step = c->open_time - prev;
        if (step < r->min_step)
            r->min_step = step;
        if (r->guess < 0 && r->n == 1) {
            /* the first step guesses the interval; finish corrects every row if the smallest
             * step says otherwise */
            for (size_t i = 0; i < N_INTERVALS; i++)
                if (intervals[i].ms == step)
                    r->guess = (int)i;
            if (r->guess >= 0) {
                set_interval(&r->tmpl, r->guess);
                set_interval(&r->arr[0], r->guess);
                memcpy(c->interval, r->tmpl.interval, sizeof c->interval);
            }
        }
    }
    c->close_time = r->guess >= 0 ? close_time_of(c->open_time, r->guess) : 0;
    r->n++;
    return RT_OK;
}

/* reader_keep for the usual row: later than the previous one, the interval known and fixed. */
static inline int reader_keep(rt_csv_reader_t *r)
{
    if (r->n > 0 && r->guess >= 0 && intervals[r->guess].ms > 0) {
        rt_candle_t *c = &r->arr[r->n];
        int64_t step = c->open_time - r->arr[r->n - 1].open_time;
        if (step > 0) {
            if (step < r->min_step)
                r->min_step = step;
            c->close_time = c->open_time + intervals[r->guess].ms - 1; /* close_time_of */
            r->n++;
            return RT_OK;
        }
    }
    return reader_keep_any(r);
}

/* Room for one more row, prefaulted. */
static int reader_slot_any(rt_csv_reader_t *r)
{
    if (r->n == r->cap) {
        int rc = reader_grow(r);
        if (rc != RT_OK)
            return rc;
    }
    if (r->n >= r->populated)
        reader_populate(r);
    memcpy(&r->arr[r->n], &r->tmpl, sizeof r->tmpl);
    return RT_OK;
}

static inline int reader_slot(rt_csv_reader_t *r)
{
    if (r->n < r->cap && r->n < r->populated) {
        memcpy(&r->arr[r->n], &r->tmpl, sizeof r->tmpl);
        return RT_OK;
    }
    return reader_slot_any(r);
}

/* One line (without its '\n') the byte-wise way: the header, or a row of any shape. */
static int reader_line(rt_csv_reader_t *r, const char *p, size_t ll)
{
    r->line++;
    if (ll > 0 && p[ll - 1] == '\r')
        ll--;
    if (r->line == 1) {
        if (ll != strlen(RT_CSV_CANDLE_HEADER) || memcmp(p, RT_CSV_CANDLE_HEADER, ll) != 0)
            return fail(&r->e, RT_EINVAL, r->line, "header is not '%s'", RT_CSV_CANDLE_HEADER);
        return RT_OK;
    }
    if (ll == 0)
        return fail(&r->e, RT_EINVAL, r->line, "empty line");
    int rc = reader_slot(r);
    if (rc != RT_OK)
        return rc;
    rt_candle_t *c = &r->arr[r->n];
    if (!parse_row_fast(p, ll, c)) {
        rc = parse_row(p, ll, r->line, c, &r->e);
        if (rc != RT_OK)
            return rc;
    }
    return reader_keep(r);
}

int rt_csv_reader_new(const char *symbol, const char *interval, size_t size_hint,
                      size_t *err_line, char *why, size_t why_cap, rt_csv_reader_t **out)
{
    const csv_err_t e = {err_line, why, why_cap};
    if (out == NULL)
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
    rt_csv_reader_t *r = calloc(1, sizeof *r);
    if (r == NULL)
        return fail(&e, RT_ENOMEM, 0, "out of memory");
    r->e = e;
    r->iv = iv;
    r->guess = iv;
    r->min_step = INT64_MAX;
    memcpy(r->tmpl.symbol, symbol, strlen(symbol) + 1); /* fits: symbol_ok */
    if (iv >= 0)
        set_interval(&r->tmpl, iv);
    r->tmpl.close_time = 0;
    r->tmpl.closed = true;
    if (size_hint > 0) {
        size_t rows = size_hint / CSV_HINT_ROW_BYTES + 16;
        r->arr = malloc((rows < CSV_HINT_ROWS_MAX ? rows : CSV_HINT_ROWS_MAX) * sizeof *r->arr);
        if (r->arr != NULL)
            r->cap = rows < CSV_HINT_ROWS_MAX ? rows : CSV_HINT_ROWS_MAX;
    }
    *out = r;
    return RT_OK;
}

int rt_csv_reader_feed(rt_csv_reader_t *r, const char *text, size_t len, size_t *used)
{
    if (r == NULL || used == NULL || (text == NULL && len > 0))
        return RT_EINVAL;
    if (r->rc != RT_OK)
        return r->rc;
    const char *p = text, *lim = text + len;
    int rc = RT_OK;
    while (p < lim) {
        if (r->line > 0) {
            rc = reader_slot(r);
            if (rc != RT_OK)
                goto out;
            const char *next = parse_row_mask(p, lim, &r->arr[r->n]);
            if (next == NULL)
                next = parse_row_swar(p, lim, &r->arr[r->n]);
            if (next != NULL) {
                r->line++;
                rc = reader_keep(r);
                if (rc != RT_OK)
                    goto out;
                p = next;
                continue;
            }
        }
        const char *nl = memchr(p, '\n', (size_t)(lim - p));
        if (nl == NULL)
            break; /* an unfinished line: the caller passes it again with what follows */
        rc = reader_line(r, p, (size_t)(nl - p));
        if (rc != RT_OK)
            goto out;
        p = nl + 1;
    }
    *used = (size_t)(p - text);
out:
    r->rc = rc;
    return rc;
}

int rt_csv_reader_finish(rt_csv_reader_t *r, const char *tail, size_t tail_len,
                         rt_candle_t **out, size_t *count)
{
    if (r == NULL || out == NULL || count == NULL || (tail == NULL && tail_len > 0))
        return RT_EINVAL;
    int rc = r->rc;
    if (rc == RT_OK && tail_len > 0)
        rc = reader_line(r, tail, tail_len);
    if (rc != RT_OK)
        goto out;
    if (r->line == 0) {
        rc = fail(&r->e, RT_EINVAL, 1, "no header (empty file)");
        goto out;
    }
    int iv = r->iv;
    if (iv < 0 && r->n > 0) {
        for (size_t i = 0; i < N_INTERVALS && r->n >= 2; i++)
            if (intervals[i].ms == r->min_step)
                iv = (int)i;
        if (iv < 0) {
            rc = fail(&r->e, RT_EINVAL, 0,
                      r->n < 2 ? "cannot infer the interval from a single row: give it"
                               : "cannot infer the interval: the smallest step between rows is "
                                 "not a Binance interval: give it");
            goto out;
        }
    }
    if (iv != r->guess)
        for (size_t i = 0; i < r->n; i++)
            set_interval(&r->arr[i], iv);
    if (r->n == 0) {
        free(r->arr);
        r->arr = NULL;
    } else if (r->n < r->cap) {
        rt_candle_t *na = realloc(r->arr, r->n * sizeof *na); /* gives the tail back */
        if (na != NULL)
            r->arr = na;
    }
    *out = r->arr;
    *count = r->n;
    r->arr = NULL;
    r->n = r->cap = r->populated = 0;
out:
    r->rc = rc;
    return rc;
}

void rt_csv_reader_free(rt_csv_reader_t *r)
{
    if (r == NULL)
        return;
    free(r->arr);
    free(r);
}

/* ---- the file --------------------------------------------------------------------------- */

int rt_csv_candles_parse(const char *text, size_t len, const char *symbol, const char *interval,
                         rt_candle_t **out, size_t *count, size_t *err_line, char *why,
                         size_t why_cap)
{
    const csv_err_t e = {err_line, why, why_cap};
    if (text == NULL || out == NULL || count == NULL)
        return fail(&e, RT_EINVAL, 0, "missing argument");
    rt_csv_reader_t *r = NULL;
    int rc = rt_csv_reader_new(symbol, interval, len, err_line, why, why_cap, &r);
    if (rc != RT_OK)
        return rc;
    size_t used = 0;
    rc = rt_csv_reader_feed(r, text, len, &used);
    if (rc == RT_OK)
        rc = rt_csv_reader_finish(r, text + used, len - used, out, count);
    rt_csv_reader_free(r);
    return rc;
}

/* Bytes read at a time: the text stays in the cache while it is parsed. */
#define CSV_CHUNK ((size_t)1 << 18)

/* Reads fd to its end through a reader; name is the file's name for the messages, hint its
 * size (0 = unknown). */
static int read_fd(int fd, const char *name, size_t hint, const char *symbol,
                   const char *interval, rt_candle_t **out, size_t *count, const csv_err_t *e)
{
    char *buf = NULL;
    rt_csv_reader_t *r = NULL;
    int rc = rt_csv_reader_new(symbol, interval, hint, e->err_line, e->why, e->why_cap, &r);
    if (rc != RT_OK)
        goto out;
    size_t cap = CSV_CHUNK, have = 0, total = 0;
    buf = malloc(cap);
    if (buf == NULL) {
        rc = fail(e, RT_ENOMEM, 0, "out of memory");
        goto out;
    }
    for (;;) {
        if (have == cap) { /* one line longer than the buffer: read on, it says why */
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                rc = fail(e, RT_ENOMEM, 0, "out of memory");
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + have, cap - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = fail(e, RT_EIO, 0, "cannot read %s", name);
            goto out;
        }
        if (got == 0)
            break;
        have += (size_t)got;
        total += (size_t)got;
        if (total >= RT_CSV_MAX_BYTES) {
            rc = fail(e, RT_ETOOBIG, 0, "%s is larger than %zu bytes", name,
                      (size_t)RT_CSV_MAX_BYTES);
            goto out;
        }
        size_t used = 0;
        rc = rt_csv_reader_feed(r, buf, have, &used);
        if (rc != RT_OK)
            goto out;
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    rc = rt_csv_reader_finish(r, buf, have, out, count);
out:
    rt_csv_reader_free(r);
    free(buf);
    return rc;
}

int rt_csv_candles_read_fd(int fd, const char *name, const char *symbol, const char *interval,
                           rt_candle_t **out, size_t *count, size_t *err_line, char *why,
                           size_t why_cap)
{
    const csv_err_t e = {err_line, why, why_cap};
    if (fd < 0 || name == NULL || out == NULL || count == NULL)
        return fail(&e, RT_EINVAL, 0, "missing argument");
    return read_fd(fd, name, 0, symbol, interval, out, count, &e);
}

int rt_csv_candles_load(const char *path, const char *symbol, const char *interval,
                        rt_candle_t **out, size_t *count, size_t *err_line, char *why,
                        size_t why_cap)
{
    const csv_err_t e = {err_line, why, why_cap};
    if (path == NULL)
        return fail(&e, RT_EINVAL, 0, "missing path");
    if (out == NULL || count == NULL)
        return fail(&e, RT_EINVAL, 0, "missing argument");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        char msg[128] = "unknown error";
        (void)strerror_r(err, msg, sizeof msg);
        return fail(&e, RT_EIO, 0, "cannot open %s: %s", path, msg);
    }
    int rc;
    struct stat st;
    size_t hint = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((uint64_t)st.st_size >= (uint64_t)RT_CSV_MAX_BYTES) {
            rc = fail(&e, RT_ETOOBIG, 0, "%s is larger than %zu bytes", path,
                      (size_t)RT_CSV_MAX_BYTES);
            goto out;
        }
        hint = (size_t)st.st_size;
    }
    rc = read_fd(fd, path, hint, symbol, interval, out, count, &e);
out:
    close(fd);
    return rc;
}
