/* Fixed-point money: prices, quantities and balances as int64_t with 8 decimals (the
 * exchange's own precision). Parsed from and printed to decimal text without double;
 * products and quotients through 128-bit integers, every overflow reported.
 *
 * Range: +-92,233,720,368.54775807. */
#ifndef RT_MONEY_H
#define RT_MONEY_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t rt_money_t;

#define RT_MONEY_DECIMALS 8
#define RT_MONEY_SCALE INT64_C(100000000)
#define RT_MONEY_MAX INT64_MAX
#define RT_MONEY_MIN (-INT64_MAX) /* symmetric, so negation never overflows */
/** Room for any formatted value and its NUL ("-92233720368.54775807"). */
#define RT_MONEY_FMT_MAX 32

/** A whole number of units as money (e.g. 10 -> 10.00000000); no overflow check: |n| < 9e10. */
#define RT_MONEY_UNITS(n) ((rt_money_t)(n) * RT_MONEY_SCALE)

typedef enum {
    RT_ROUND_DOWN,    /* toward negative infinity (floor) */
    RT_ROUND_UP,      /* toward positive infinity (ceiling) */
    RT_ROUND_NEAREST, /* to nearest, halves away from zero */
} rt_round_t;

/** Parses decimal text of exactly n bytes: optional '-' or '+', digits, optional '.' and
 *  digits ("0.001", "55445.80000000", ".5", "12."). Digits beyond the 8th decimal are
 *  accepted only when they are zeros. No exponent, no spaces, no empty number.
 *  Returns 0, RT_EINVAL for malformed text or non-zero digits past 8 decimals, RT_ERANGE when
 *  out of range. *out is written only on success. */
int rt_money_parse_n(const char *s, size_t n, rt_money_t *out);

/** rt_money_parse_n over a NUL-terminated string. */
int rt_money_parse(const char *s, rt_money_t *out);

/** Converts a JSON number that was decoded as a double to the nearest 8-decimal value (the
 *  decimal text the double came from, whenever that text had at most 8 decimals and
 *  |value| < 33,554,432; beyond that the nearest representable value). Fixed-point decoding
 *  of JSON numbers only: never use it for arithmetic. Returns RT_EINVAL for NaN or infinity,
 *  RT_ERANGE when out of range. */
int rt_money_from_double(double d, rt_money_t *out);

/** The value as a double, for indicators and display ratios only. */
double rt_money_to_double(rt_money_t v);

/** Writes the shortest exact decimal text ("55445.8", "0", "-0.001") into buf and returns its
 *  length; buf needs RT_MONEY_FMT_MAX bytes (a smaller cap truncates and returns 0). */
size_t rt_money_format(rt_money_t v, char *buf, size_t cap);

/** Writes the value with exactly `decimals` decimals (0..8), as the exchange prints them
 *  ("0.00100000" with 8). Digits dropped by a smaller `decimals` must be zero, else the value
 *  is rounded per `mode`. Returns the length, 0 if cap is too small or decimals is invalid. */
size_t rt_money_format_fixed(rt_money_t v, int decimals, rt_round_t mode, char *buf, size_t cap);

/** a + b; RT_ERANGE on overflow. */
int rt_money_add(rt_money_t a, rt_money_t b, rt_money_t *out);

/** a - b; RT_ERANGE on overflow. */
int rt_money_sub(rt_money_t a, rt_money_t b, rt_money_t *out);

/** a * b (e.g. quantity * price), rounded to 8 decimals per mode; RT_ERANGE on overflow. */
int rt_money_mul(rt_money_t a, rt_money_t b, rt_round_t mode, rt_money_t *out);

/** a / b (e.g. quote amount / price), rounded to 8 decimals per mode; RT_EINVAL when b is 0,
 *  RT_ERANGE on overflow. */
int rt_money_div(rt_money_t a, rt_money_t b, rt_round_t mode, rt_money_t *out);

/** a * num / den with one rounding at the end (e.g. a fee of 10 bps: num 10, den 10000);
 *  RT_EINVAL when den is 0, RT_ERANGE on overflow. */
int rt_money_mul_frac(rt_money_t a, int64_t num, int64_t den, rt_round_t mode, rt_money_t *out);

/** Rounds v to a multiple of step (a tick or step size > 0) per mode; RT_EINVAL when
 *  step <= 0, RT_ERANGE on overflow. */
int rt_money_round_step(rt_money_t v, rt_money_t step, rt_round_t mode, rt_money_t *out);

/** Number of decimals a step needs (0.001 -> 3, 1 -> 0, 0.00000001 -> 8); 8 for step <= 0. */
int rt_money_step_decimals(rt_money_t step);

#endif
