#include "replay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/str.h"

#define HEADER "open_time_ms,open,high,low,close,volume"

static int fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t cap, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(why, cap, fmt, ap); /* a cut message is still a message */
        va_end(ap);
    }
    return RT_EINVAL;
}

static int decimals_of(const char *s, size_t n)
{
    const char *dot = memchr(s, '.', n);
    if (dot == NULL)
        return 0;
    int d = (int)(n - (size_t)(dot - s) - 1);
    while (d > 0 && s[(size_t)(dot - s) + (size_t)d] == '0')
        d--;
    return d;
}

/* Parses one data line (without its end of line) into *row. */
static int parse_row(const char *line, size_t len, size_t lineno, sim_replay_row_t *row,
                     int *decimals, char *why, size_t cap)
{
    rt_str_slice_t f[7];
    size_t nf = 0;
    if (rt_str_split(line, len, ',', f, 7, &nf) != RT_OK || nf != 6)
        return fail(why, cap, "line %zu: expected 6 comma-separated fields", lineno);
    char num[32];
    if (rt_str_copy_n(num, sizeof num, f[0].p, f[0].n) != RT_OK ||
        rt_str_parse_int64(num, &row->open_time) != RT_OK || row->open_time < 0)
        return fail(why, cap, "line %zu: open_time_ms is not a non-negative integer", lineno);
    static const char *const names[] = {"open", "high", "low", "close", "volume"};
    rt_money_t *dst[] = {&row->open, &row->high, &row->low, &row->close, &row->volume};
    for (int i = 0; i < 5; i++) {
        if (rt_money_parse_n(f[i + 1].p, f[i + 1].n, dst[i]) != RT_OK)
            return fail(why, cap, "line %zu: %s is not a decimal with at most 8 decimals",
                        lineno, names[i]);
        if (i < 4) {
            int d = decimals_of(f[i + 1].p, f[i + 1].n);
            if (d > *decimals)
                *decimals = d;
        }
    }
    if (row->open <= 0 || row->high <= 0 || row->low <= 0 || row->close <= 0)
        return fail(why, cap, "line %zu: prices must be > 0", lineno);
    if (row->volume < 0)
        return fail(why, cap, "line %zu: volume must be >= 0", lineno);
    if (row->low > row->open || row->low > row->close || row->high < row->open ||
        row->high < row->close)
        return fail(why, cap, "line %zu: need low <= open, close <= high", lineno);
    return RT_OK;
}

static bool interval_from_ms(int64_t ms, sim_interval_t *out)
{
    for (int i = 0; i < SIM_IV_COUNT; i++) {
        if (i != SIM_IV_1MO && sim_interval_ms((sim_interval_t)i) == ms) {
            *out = (sim_interval_t)i;
            return true;
        }
    }
    return false;
}

int sim_replay_parse(const char *text, size_t n, sim_interval_t interval, sim_replay_t *out,
                     char *why, size_t why_cap)
{
    if (text == NULL || out == NULL)
        return fail(why, why_cap, "no input");
    bool detect = interval == (sim_interval_t)-1;
    if (!detect && ((unsigned)interval >= SIM_IV_COUNT || interval == SIM_IV_1MO))
        return fail(why, why_cap, "interval %s cannot be replayed", sim_interval_name(interval));
    sim_replay_row_t *rows = NULL;
    size_t count = 0, cap = 0, lineno = 0;
    int decimals = 0;
    int rc = RT_OK;
    size_t pos = 0;
    while (pos < n) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - line) : n - pos;
        pos += len + (nl ? 1 : 0);
        lineno++;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (lineno == 1) {
            if (len != strlen(HEADER) || memcmp(line, HEADER, len) != 0) {
                rc = fail(why, why_cap, "line 1: expected the header \"%s\"", HEADER);
                goto out;
            }
            continue;
        }
        if (len == 0)
            continue; /* blank lines (a trailing one) */
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            sim_replay_row_t *p = realloc(rows, ncap * sizeof *p);
            if (p == NULL) {
                rc = RT_ENOMEM;
                goto out;
            }
            rows = p;
            cap = ncap;
        }
        sim_replay_row_t *row = &rows[count];
        rc = parse_row(line, len, lineno, row, &decimals, why, why_cap);
        if (rc != RT_OK)
            goto out;
        if (count > 0 && row->open_time <= rows[count - 1].open_time) {
            rc = fail(why, why_cap, "line %zu: open times must increase", lineno);
            goto out;
        }
        count++;
    }
    if (count == 0) {
        rc = fail(why, why_cap, "no candles after the header");
        goto out;
    }
    if (detect) {
        int64_t step = 0;
        for (size_t i = 1; i < count; i++) {
            int64_t d = rows[i].open_time - rows[i - 1].open_time;
            if (step == 0 || d < step)
                step = d;
        }
        if (count == 1 || !interval_from_ms(step, &interval)) {
            rc = fail(why, why_cap, "cannot tell the interval (smallest step %lld ms): set it",
                      (long long)step);
            goto out;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (sim_interval_open(interval, rows[i].open_time) != rows[i].open_time) {
            rc = fail(why, why_cap, "candle %zu (open %lld) is not on a %s boundary", i + 1,
                      (long long)rows[i].open_time, sim_interval_name(interval));
            goto out;
        }
    }
    out->rows = rows;
    out->count = count;
    out->interval = interval;
    out->price_decimals = decimals;
    rows = NULL;
out:
    free(rows);
    return rc;
}

void sim_replay_cleanup(sim_replay_t *r)
{
    if (r == NULL)
        return;
    free(r->rows);
    memset(r, 0, sizeof *r);
}

unsigned sim_replay_intervals(sim_interval_t interval)
{
    int64_t base = sim_interval_ms(interval);
    unsigned mask = 0;
    if (base <= 0)
        return 0;
    for (int i = 0; i < SIM_IV_COUNT; i++) {
        int64_t ms = sim_interval_ms((sim_interval_t)i);
        if (i == SIM_IV_1MO) {
            if (86400000 % base == 0)
                mask |= 1u << i;
        } else if (ms >= base && ms % base == 0) {
            mask |= 1u << i;
        }
    }
    return mask;
}

void sim_replay_cursor_init(sim_replay_cursor_t *c, const sim_replay_t *r, int64_t shift)
{
    memset(c, 0, sizeof *c);
    c->replay = r;
    c->shift = shift;
}

bool sim_replay_done(const sim_replay_cursor_t *c)
{
    return c->replay == NULL || c->row >= c->replay->count;
}

int sim_replay_next(sim_replay_cursor_t *c, int64_t until_ms, sim_tick_t *out)
{
    if (sim_replay_done(c))
        return RT_ENOTFOUND;
    const sim_replay_row_t *r = &c->replay->rows[c->row];
    int64_t len = sim_interval_ms(c->replay->interval);
    int64_t t = r->open_time + c->shift + len * c->phase / 4;
    if (t > until_ms)
        return RT_EAGAIN;
    bool up = r->close >= r->open;
    rt_money_t first = up ? r->low : r->high, second = up ? r->high : r->low;
    rt_money_t quarter = r->volume / 4;
    sim_tick_t k = {.time = t};
    switch (c->phase) {
    case 0:
        k.price = r->open;
        k.qty = quarter;
        break;
    case 1:
        k.price = first;
        k.qty = quarter;
        break;
    case 2:
        k.price = second;
        k.qty = quarter;
        break;
    default:
        k.price = r->close;
        k.qty = r->volume - 3 * quarter;
        break;
    }
    /* The taker side follows the move: a tick down was a sale into the bid. */
    rt_money_t prev = c->phase == 0 ? r->open : c->phase == 1 ? r->open
                                            : c->phase == 2 ? first
                                                            : second;
    k.buyer_maker = k.price < prev;
    k.is_trade = k.qty > 0;
    if (++c->phase == 4) {
        c->phase = 0;
        c->row++;
    }
    *out = k;
    return RT_OK;
}
