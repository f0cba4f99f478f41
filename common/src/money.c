/* Fixed-point money, 8 decimals. No double in any arithmetic here: rt_money_from_double only
 * decodes a JSON number through its correctly rounded decimal text. */
#include "rt/money.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rt/err.h"

__extension__ typedef __int128 i128;

static int fits(i128 v)
{
    return v >= (i128)RT_MONEY_MIN && v <= (i128)RT_MONEY_MAX;
}

static int parse_wide(const char *s, size_t n, rt_money_t *out);

/* The common case in 64 bits: at most 11 integer digits (units < 1e11, so units * 1e8 + frac
 * < 1e19 fits a uint64_t) and no more than 8 decimals. Anything else goes to parse_wide, which
 * gives the same answers for every input (the CSV reader and the codecs parse millions of
 * these: the 128-bit path costs about twice as much). */
int rt_money_parse_n(const char *s, size_t n, rt_money_t *out)
{
    if (s == NULL || n == 0)
        return RT_EINVAL;
    size_t i = 0;
    int neg = s[0] == '-';
    if (neg || s[0] == '+')
        i = 1;
    uint64_t units = 0;
    size_t int_start = i;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
        units = units * 10 + (uint64_t)(s[i] - '0');
    size_t int_digits = i - int_start;
    if (int_digits > 11)
        return parse_wide(s, n, out);
    uint64_t frac = 0;
    size_t frac_digits = 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t frac_start = i;
        for (; i < n && s[i] >= '0' && s[i] <= '9' && i - frac_start < RT_MONEY_DECIMALS; i++)
            frac = frac * 10 + (uint64_t)(s[i] - '0');
        frac_digits = i - frac_start;
        if (i < n && s[i] >= '0' && s[i] <= '9')
            return parse_wide(s, n, out); /* more than 8 decimals: trailing zeros or an error */
    }
    if (i != n || int_digits + frac_digits == 0)
        return RT_EINVAL;
    static const uint64_t pow10[RT_MONEY_DECIMALS + 1] = {
        100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1};
    uint64_t v = units * (uint64_t)RT_MONEY_SCALE + frac * pow10[frac_digits];
    if (v > (uint64_t)RT_MONEY_MAX)
        return RT_ERANGE;
    *out = neg ? -(rt_money_t)v : (rt_money_t)v;
    return RT_OK;
}

static int parse_wide(const char *s, size_t n, rt_money_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    i128 units = 0;
    size_t int_digits = 0, frac_digits = 0;
    bool too_big = false; /* reported after the syntax: malformed text is RT_EINVAL */
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (!too_big)
            units = units * 10 + (s[i] - '0');
        if (units > (i128)RT_MONEY_MAX)
            too_big = true;
        int_digits++;
    }
    i128 frac = 0;
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (frac_digits < RT_MONEY_DECIMALS) {
                frac = frac * 10 + (s[i] - '0');
            } else if (s[i] != '0') {
                return RT_EINVAL; /* precision beyond 8 decimals would be lost */
            }
            frac_digits++;
        }
    }
    if (i != n || int_digits + frac_digits == 0)
        return RT_EINVAL;
    if (too_big)
        return RT_ERANGE;
    for (size_t d = frac_digits; d < RT_MONEY_DECIMALS; d++)
        frac *= 10;
    i128 v = units * RT_MONEY_SCALE + frac;
    if (neg)
        v = -v;
    if (!fits(v))
        return RT_ERANGE;
    *out = (rt_money_t)v;
    return RT_OK;
}

int rt_money_parse(const char *s, rt_money_t *out)
{
    if (s == NULL)
        return RT_EINVAL;
    return rt_money_parse_n(s, strlen(s), out);
}

int rt_money_from_double(double d, rt_money_t *out)
{
    if (!isfinite(d))
        return RT_EINVAL;
    if (d >= 92233720368.0 || d <= -92233720368.0)
        return RT_ERANGE;
    if (d < 33554432.0 && d > -33554432.0) {
        /* Fast path: below 2^25 a double is within 2^-28 of the 8-decimal text it came from,
         * so the exact value of d * 1e8 lies within 0.4 of that text's integer. p + e is that
         * exact product (fma gives the multiplication's rounding error), and rounding it to
         * the nearest integer (ties to even, as printf's %.8f) recovers the text. */
        double p = d * 1e8;
        double e = fma(d, 1e8, -p);
        double r = nearbyint(p); /* default rounding mode: to nearest, ties to even */
        double rem = (p - r) + e; /* p - r is exact: both are within 1 of each other */
        if (rem > 0.5 || (rem == 0.5 && fmod(r, 2.0) != 0.0))
            r += 1.0;
        else if (rem < -0.5 || (rem == -0.5 && fmod(r, 2.0) != 0.0))
            r -= 1.0;
        *out = (rt_money_t)r;
        return RT_OK;
    }
    /* glibc prints the exact binary value correctly rounded to 8 decimals. */
    char buf[64];
    int len = snprintf(buf, sizeof buf, "%.8f", d);
    if (len <= 0 || (size_t)len >= sizeof buf)
        return RT_ERANGE;
    return rt_money_parse_n(buf, (size_t)len, out);
}

double rt_money_to_double(rt_money_t v)
{
    return (double)v / (double)RT_MONEY_SCALE;
}

static size_t format_digits(rt_money_t v, int decimals, int trim, char *buf, size_t cap)
{
    char tmp[RT_MONEY_FMT_MAX];
    size_t pos = sizeof tmp;
    /* v is within +-INT64_MAX, so the magnitude fits an unsigned 64-bit value. */
    uint64_t mag = v < 0 ? (uint64_t)(-(v + 1)) + 1u : (uint64_t)v;
    uint64_t units = mag / (uint64_t)RT_MONEY_SCALE;
    uint64_t frac = mag % (uint64_t)RT_MONEY_SCALE;
    for (int d = decimals; d < RT_MONEY_DECIMALS; d++)
        frac /= 10;
    int nd = decimals;
    if (trim) {
        while (nd > 0 && frac % 10 == 0) {
            frac /= 10;
            nd--;
        }
    }
    if (nd > 0) {
        for (int d = 0; d < nd; d++) {
            tmp[--pos] = (char)('0' + frac % 10);
            frac /= 10;
        }
        tmp[--pos] = '.';
    }
    do {
        tmp[--pos] = (char)('0' + units % 10);
        units /= 10;
    } while (units > 0);
    if (v < 0)
        tmp[--pos] = '-';
    size_t len = sizeof tmp - pos;
    if (len + 1 > cap)
        return 0;
    memcpy(buf, tmp + pos, len);
    buf[len] = '\0';
    return len;
}

size_t rt_money_format(rt_money_t v, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return 0;
    if (v < RT_MONEY_MIN)
        v = RT_MONEY_MIN;
    return format_digits(v, RT_MONEY_DECIMALS, 1, buf, cap);
}

size_t rt_money_format_fixed(rt_money_t v, int decimals, rt_round_t mode, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0 || decimals < 0 || decimals > RT_MONEY_DECIMALS)
        return 0;
    rt_money_t step = 1;
    for (int d = decimals; d < RT_MONEY_DECIMALS; d++)
        step *= 10;
    rt_money_t r;
    if (rt_money_round_step(v < RT_MONEY_MIN ? RT_MONEY_MIN : v, step, mode, &r) != RT_OK)
        return 0;
    return format_digits(r, decimals, 0, buf, cap);
}

int rt_money_add(rt_money_t a, rt_money_t b, rt_money_t *out)
{
    i128 v = (i128)a + b;
    if (!fits(v))
        return RT_ERANGE;
    *out = (rt_money_t)v;
    return RT_OK;
}

int rt_money_sub(rt_money_t a, rt_money_t b, rt_money_t *out)
{
    i128 v = (i128)a - b;
    if (!fits(v))
        return RT_ERANGE;
    *out = (rt_money_t)v;
    return RT_OK;
}

/* n / d rounded per mode, d > 0. */
static i128 div_round(i128 n, i128 d, rt_round_t mode)
{
    i128 q = n / d, r = n % d; /* C truncates toward zero */
    if (r == 0)
        return q;
    switch (mode) {
    case RT_ROUND_DOWN:
        return n < 0 ? q - 1 : q;
    case RT_ROUND_UP:
        return n < 0 ? q : q + 1;
    case RT_ROUND_NEAREST:
    default: {
        i128 ar = r < 0 ? -r : r;
        if (2 * ar >= d)
            return n < 0 ? q - 1 : q + 1;
        return q;
    }
    }
}


/* div_round for a quotient of 64-bit values (d > 0): the same answer without a 128-bit
 * division, which is a library call (the risk manager and the backtester's equity multiply on
 * every bar). */
static int64_t div_round64(int64_t n, int64_t d, rt_round_t mode)
{
    int64_t q = n / d, r = n % d;
    if (r == 0)
        return q;
    switch (mode) {
    case RT_ROUND_DOWN:
        return n < 0 ? q - 1 : q;
    case RT_ROUND_UP:
        return n < 0 ? q : q + 1;
    case RT_ROUND_NEAREST:
    default: {
        int64_t ar = r < 0 ? -r : r;
        if (ar >= d - ar) /* 2 * ar >= d, without overflow */
            return n < 0 ? q - 1 : q + 1;
        return q;
    }
    }
}

int rt_money_mul(rt_money_t a, rt_money_t b, rt_round_t mode, rt_money_t *out)
{
    i128 p = (i128)a * b; /* |a*b| < 2^126: always fits */
    if (p >= INT64_MIN && p <= INT64_MAX) { /* the usual case: price x quantity */
        *out = div_round64((int64_t)p, RT_MONEY_SCALE, mode);
        return RT_OK;
    }
    i128 v = div_round(p, RT_MONEY_SCALE, mode);
    if (!fits(v))
        return RT_ERANGE;
    *out = (rt_money_t)v;
    return RT_OK;
}

int rt_money_div(rt_money_t a, rt_money_t b, rt_round_t mode, rt_money_t *out)
{
    if (b == 0)
        return RT_EINVAL;
    i128 n = (i128)a * RT_MONEY_SCALE, d = b;
    if (d < 0) {
        n = -n;
        d = -d;
    }
    i128 v = div_round(n, d, mode);
    if (!fits(v))
        return RT_ERANGE;
    *out = (rt_money_t)v;
    return RT_OK;
}

int rt_money_mul_frac(rt_money_t a, int64_t num, int64_t den, rt_round_t mode, rt_money_t *out)
{
    if (den == 0)
        return RT_EINVAL;
    i128 n = (i128)a * num, d = den;
    if (d < 0) {
        n = -n;
        d = -d;
    }
    i128 v = div_round(n, d, mode);
    if (!fits(v))
        return RT_ERANGE;
    *out = (rt_money_t)v;
    return RT_OK;
}

int rt_money_round_step(rt_money_t v, rt_money_t step, rt_round_t mode, rt_money_t *out)
{
    if (step <= 0)
        return RT_EINVAL;
    i128 k = div_round(v, step, mode);
    i128 r = k * step;
    if (!fits(r))
        return RT_ERANGE;
    *out = (rt_money_t)r;
    return RT_OK;
}

int rt_money_step_decimals(rt_money_t step)
{
    if (step <= 0)
        return RT_MONEY_DECIMALS;
    int d = RT_MONEY_DECIMALS;
    while (d > 0 && step % 10 == 0) {
        step /= 10;
        d--;
    }
    return d;
}
