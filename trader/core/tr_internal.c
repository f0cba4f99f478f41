/* Private helpers of the trader core. */
#include "tr_internal.h"

#include <stdio.h>
#include <string.h>

#include "rt/err.h"

tr__mtext_t tr__m(rt_money_t v)
{
    tr__mtext_t t;
    if (rt_money_format(v, t.s, sizeof t.s) == 0)
        t.s[0] = '\0';
    return t;
}

tr__mtext_t tr__pct(rt_money_t frac)
{
    tr__mtext_t t;
    rt_money_t pct;
    /* a fraction with 8 decimals is a percent with 6: exact */
    if (rt_money_mul_frac(frac, 100, 1, RT_ROUND_NEAREST, &pct) != RT_OK) {
        (void)snprintf(t.s, sizeof t.s, "?%%");
        return t;
    }
    size_t n = rt_money_format(pct, t.s, sizeof t.s - 1);
    t.s[n] = '%';
    t.s[n + 1] = '\0';
    return t;
}

void tr__say(char *buf, size_t cap, const char *fmt, ...)
{
    if (buf == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    if (n < 0) {
        buf[0] = '\0';
    } else if ((size_t)n >= cap && cap > 4) {
        memcpy(buf + cap - 4, "...", 4); /* cut, and say so */
    }
}

tr__i128 tr__prod(rt_money_t a, rt_money_t b)
{
    return (tr__i128)a * b;
}

bool tr__str_ok(const char *s, size_t cap)
{
    return s != NULL && s[0] != '\0' && strnlen(s, cap) < cap;
}

int tr__copy(char *dst, size_t cap, const char *src)
{
    if (!tr__str_ok(src, cap))
        return RT_EINVAL;
    memcpy(dst, src, strlen(src) + 1);
    return RT_OK;
}
