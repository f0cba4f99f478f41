/* Private helpers of the trader core (not part of its API): money as text for messages, bounded
 * message formatting, and exact products through 128-bit integers. */
#ifndef TR_INTERNAL_H
#define TR_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"

__extension__ typedef __int128 tr__i128;

/** A money value as text, returned by value so it can sit inside a call's arguments:
 *  tr__say(buf, cap, "price %s", tr__m(p).s). The array lives until the end of the full
 *  expression (C11 6.2.4p8). */
typedef struct {
    char s[RT_MONEY_FMT_MAX];
} tr__mtext_t;

tr__mtext_t tr__m(rt_money_t v);

/** A fraction (1.0 = 100%) as a percent text: 0.05 -> "5%", 0.0015 -> "0.15%". */
tr__mtext_t tr__pct(rt_money_t frac);

/** snprintf into buf; a message that does not fit is cut and ends with "...". buf may be NULL
 *  when cap is 0. Always NUL-terminates when cap > 0. */
__attribute__((format(printf, 3, 4))) void tr__say(char *buf, size_t cap, const char *fmt, ...);

/** The exact product a * b scaled by 1e8 (16 decimals), for comparisons without rounding. */
tr__i128 tr__prod(rt_money_t a, rt_money_t b);

/** True when s is a non-empty NUL-terminated string shorter than cap. */
bool tr__str_ok(const char *s, size_t cap);

/** Bounded copy: RT_EINVAL when src is NULL, empty or does not fit (dst untouched). */
int tr__copy(char *dst, size_t cap, const char *src);

#endif
