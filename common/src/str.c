#include "rt/str.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

int rt_str_copy(char *dst, size_t cap, const char *src)
{
    if (src == NULL)
        return RT_EINVAL;
    return rt_str_copy_n(dst, cap, src, strlen(src));
}

int rt_str_copy_n(char *dst, size_t cap, const char *src, size_t n)
{
    if (dst == NULL || src == NULL || cap == 0)
        return RT_EINVAL;
    if (n >= cap)
        return RT_ETOOBIG;
    memmove(dst, src, n);
    dst[n] = '\0';
    return RT_OK;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int rt_str_parse_int64(const char *s, int64_t *out)
{
    if (s == NULL || out == NULL)
        return RT_EINVAL;
    /* strtoll would accept leading spaces and an empty number: insist on [sign] digit first. */
    const char *d = (s[0] == '-' || s[0] == '+') ? s + 1 : s;
    if (!is_digit(d[0]))
        return RT_EINVAL;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == NULL || *end != '\0')
        return RT_EINVAL;
    if (errno == ERANGE)
        return RT_ERANGE;
    if (errno != 0)
        return RT_EINVAL;
    *out = (int64_t)v;
    return RT_OK;
}

int rt_str_parse_double(const char *s, double *out)
{
    if (s == NULL || out == NULL || s[0] == '\0')
        return RT_EINVAL;
    /* Only plain decimal notation: this rules out spaces, hex floats, "inf" and "nan". */
    for (const char *p = s; *p; p++) {
        if (!is_digit(*p) && *p != '+' && *p != '-' && *p != '.' && *p != 'e' && *p != 'E')
            return RT_EINVAL;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || end == NULL || *end != '\0')
        return RT_EINVAL;
    if (errno == ERANGE || !isfinite(v))
        return RT_ERANGE;
    if (errno != 0)
        return RT_EINVAL;
    *out = v;
    return RT_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

rt_str_slice_t rt_str_trim(const char *s, size_t n)
{
    rt_str_slice_t r = {s, s ? n : 0};
    while (r.n > 0 && is_space(r.p[0])) {
        r.p++;
        r.n--;
    }
    while (r.n > 0 && is_space(r.p[r.n - 1]))
        r.n--;
    return r;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool rt_str_ieq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return false;
    return rt_str_ieq_n(a, strlen(a), b);
}

bool rt_str_ieq_n(const char *s, size_t n, const char *lit)
{
    if ((s == NULL && n > 0) || lit == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (lit[i] == '\0' || lower(s[i]) != lower(lit[i]))
            return false;
    }
    return lit[n] == '\0';
}

void rt_str_upper(char *s)
{
    if (s == NULL)
        return;
    for (; *s; s++) {
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
    }
}

int rt_str_split(const char *s, size_t n, char delim, rt_str_slice_t *slots, size_t max,
                 size_t *count)
{
    if ((s == NULL && n > 0) || slots == NULL || count == NULL)
        return RT_EINVAL;
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != delim)
            continue;
        if (k == max)
            return RT_ETOOBIG;
        slots[k].p = s ? s + start : "";
        slots[k].n = i - start;
        k++;
        start = i + 1;
    }
    *count = k;
    return RT_OK;
}

bool rt_str_utf8_valid(const char *s, size_t n)
{
    if (s == NULL)
        return n == 0;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned char c = u[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            else if (c == 0xF4)
                hi = 0x8F; /* beyond U+10FFFF */
        } else {
            return false; /* continuation byte, C0/C1 overlong, or F5..FF */
        }
        if (n - i < len)
            return false;
        if (u[i + 1] < lo || u[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++) {
            if (u[i + k] < 0x80 || u[i + k] > 0xBF)
                return false;
        }
        i += len;
    }
    return true;
}

int rt_str_hex_encode(const void *data, size_t n, char *dst, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    if ((data == NULL && n > 0) || dst == NULL)
        return RT_EINVAL;
    if (n > (SIZE_MAX - 1) / 2 || cap < 2 * n + 1)
        return RT_ETOOBIG;
    const unsigned char *b = data;
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = digits[b[i] >> 4];
        dst[2 * i + 1] = digits[b[i] & 0x0f];
    }
    dst[2 * n] = '\0';
    return RT_OK;
}

bool rt_str_ct_equal(const void *given, size_t given_n, const void *expected, size_t expected_n)
{
    if (given == NULL || expected == NULL)
        return false;
    if (expected_n == 0)
        return given_n == 0;
    const volatile unsigned char *g = given;
    const volatile unsigned char *e = expected;
    /* Walk the whole given value whatever it holds; fold the length difference in too. */
    volatile unsigned char diff = given_n == expected_n ? 0 : 1;
    for (size_t i = 0; i < given_n; i++)
        diff = (unsigned char)(diff | (g[i] ^ e[i % expected_n]));
    return diff == 0;
}

/* The escaped form of one byte into out (at most 4 bytes); returns its length. */
static size_t escape_byte(unsigned char c, char out[4])
{
    static const char hex[] = "0123456789abcdef";
    switch (c) {
    case '"':
        memcpy(out, "\\\"", 2);
        return 2;
    case '\\':
        memcpy(out, "\\\\", 2);
        return 2;
    case '\n':
        memcpy(out, "\\n", 2);
        return 2;
    case '\r':
        memcpy(out, "\\r", 2);
        return 2;
    case '\t':
        memcpy(out, "\\t", 2);
        return 2;
    default:
        break;
    }
    if (c >= 0x20 && c <= 0x7e) {
        out[0] = (char)c;
        return 1;
    }
    out[0] = '\\';
    out[1] = 'x';
    out[2] = hex[c >> 4];
    out[3] = hex[c & 0x0f];
    return 4;
}

size_t rt_str_escape(char *dst, size_t cap, const char *s, size_t n)
{
    if (dst == NULL || cap == 0)
        return 0;
    if (s == NULL)
        n = 0;
    char e[4];
    size_t total = 0;
    for (size_t i = 0; i < n && total < cap; i++)
        total += escape_byte((unsigned char)s[i], e);
    /* All of it when it fits; otherwise as much as leaves room for the "..." marker (tiny
     * buffers are just cut). */
    bool cut = total > cap - 1;
    size_t limit = cut && cap > 4 ? cap - 4 : cap - 1;
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = escape_byte((unsigned char)s[i], e);
        if (len + k > limit)
            break;
        memcpy(dst + len, e, k);
        len += k;
    }
    if (cut && cap > 4) {
        memcpy(dst + len, "...", 3);
        len += 3;
    }
    dst[len] = '\0';
    return len;
}
