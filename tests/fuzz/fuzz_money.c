/* libFuzzer target for money text (rt_money_parse_n: prices and quantities in .env values, CSV
 * rows, exchange replies and order bodies). Built only with clang; see CMakeLists.txt.
 *
 * Properties, for any input: no crash, leak or undefined behaviour; rejected text leaves the
 * output untouched; accepted text formats (shortest and with 8 fixed decimals) to text that
 * parses back to the same value, and the shortest form is a fixed point of parse -> format.
 * A reference parser written from the header's grammar decides every input too: both must
 * give the same code (RT_EINVAL for any malformed text, also when its number is too large)
 * and the same value. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *text, size_t n)
{
    fprintf(stderr, "fuzz_money: %s: \"%.*s\"\n", what, (int)(n > 200 ? 200 : n), text);
    abort();
}

/* The grammar of rt/money.h, digit by digit: [+-] digits ['.' digits], at least one digit,
 * digits past the 8th decimal only zeros; then the range. */
static int ref_parse(const char *s, size_t n, rt_money_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    size_t digits = 0, significant = 0;
    int64_t whole = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (significant > 0 || s[i] != '0')
            significant++;
        if (significant > 0 && significant <= 12)
            whole = whole * 10 + (s[i] - '0');
    }
    int64_t frac = 0;
    size_t frac_n = 0;
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++, frac_n++) {
            if (frac_n < 8)
                frac = frac * 10 + (s[i] - '0');
            else if (s[i] != '0')
                return RT_EINVAL;
        }
    }
    if (i != n || digits == 0)
        return RT_EINVAL;
    if (significant > 11) /* RT_MONEY_MAX has 11 whole digits */
        return RT_ERANGE;
    for (; frac_n < 8; frac_n++)
        frac *= 10;
    __int128 v = (__int128)whole * 100000000 + frac;
    if (v > INT64_MAX)
        return RT_ERANGE;
    *out = (rt_money_t)(neg ? -v : v);
    return RT_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const rt_money_t sentinel = INT64_C(0x5a5a5a5a5a5a5a5a);
    rt_money_t v = sentinel;
    int rc = rt_money_parse_n(text, size, &v);
    rt_money_t ref = sentinel;
    int ref_rc = ref_parse(text, size, &ref);
    if (rc != ref_rc || v != ref)
        die("differs from the reference parser", text, size);
    if (rc != RT_OK) {
        if (v != sentinel)
            die("rejected text wrote the output", text, size);
        if (rc != RT_EINVAL && rc != RT_ERANGE)
            die("unexpected error code", text, size);
        return 0;
    }
    if (v < RT_MONEY_MIN)
        die("accepted value below RT_MONEY_MIN", text, size);

    char buf[RT_MONEY_FMT_MAX];
    size_t n = rt_money_format(v, buf, sizeof buf);
    if (n == 0 || n >= sizeof buf || strlen(buf) != n)
        die("format failed", text, size);
    rt_money_t back = sentinel;
    if (rt_money_parse_n(buf, n, &back) != RT_OK || back != v)
        die("parse -> format -> parse differs", text, size);
    /* the shortest form formats to itself */
    char again[RT_MONEY_FMT_MAX];
    size_t n2 = rt_money_format(back, again, sizeof again);
    if (n2 != n || memcmp(buf, again, n) != 0)
        die("format is not a fixed point", text, size);
    /* the NUL-terminated entry agrees */
    if (rt_money_parse(buf, &back) != RT_OK || back != v)
        die("rt_money_parse disagrees with rt_money_parse_n", buf, n);

    char fixed[RT_MONEY_FMT_MAX + 8];
    size_t nf = rt_money_format_fixed(v, 8, RT_ROUND_DOWN, fixed, sizeof fixed);
    if (nf == 0 || rt_money_parse_n(fixed, nf, &back) != RT_OK || back != v)
        die("format_fixed(8) -> parse differs", text, size);
    /* fewer decimals: rounded down, never above the value, within one unit of the last digit */
    int dec = (int)(size % 9);
    nf = rt_money_format_fixed(v, dec, RT_ROUND_DOWN, fixed, sizeof fixed);
    if (nf > 0) {
        if (rt_money_parse_n(fixed, nf, &back) != RT_OK)
            die("format_fixed output does not parse", fixed, nf);
        rt_money_t unit = 1;
        for (int i = dec; i < RT_MONEY_DECIMALS; i++)
            unit *= 10;
        if (back > v || v - back >= unit)
            die("format_fixed rounding down is off", text, size);
    }
    return 0;
}
