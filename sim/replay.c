#include "replay.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/csv.h"
#include "rt/err.h"

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

/* Decimals a money value needs (0..8). */
static int decimals_of(rt_money_t v)
{
    int d = RT_MONEY_DECIMALS;
    while (d > 0 && v % 10 == 0) {
        v /= 10;
        d--;
    }
    return d;
}

int sim_replay_adopt(rt_candle_t *rows, size_t count, sim_replay_t *out, char *why, size_t why_cap)
{
    int rc = RT_OK;
    sim_interval_t iv;
    if (rows == NULL || count == 0) {
        rc = fail(why, why_cap, "no candles to replay");
        goto out;
    }
    if (sim_interval_parse(rows[0].interval, strlen(rows[0].interval), &iv) != RT_OK) {
        rc = fail(why, why_cap, "interval %s cannot be replayed", rows[0].interval);
        goto out;
    }
    if (iv == SIM_IV_1MO) {
        rc = fail(why, why_cap, "monthly candles cannot be replayed");
        goto out;
    }
    int decimals = 0;
    for (size_t i = 0; i < count; i++) {
        if (sim_interval_open(iv, rows[i].open_time) != rows[i].open_time) {
            rc = fail(why, why_cap, "candle %zu (open %lld) is not on a %s boundary", i + 1,
                      (long long)rows[i].open_time, sim_interval_name(iv));
            goto out;
        }
        const rt_money_t prices[] = {rows[i].open, rows[i].high, rows[i].low, rows[i].close};
        for (size_t j = 0; j < 4; j++) {
            int d = decimals_of(prices[j]);
            if (d > decimals)
                decimals = d;
        }
    }
    out->rows = rows;
    out->count = count;
    out->interval = iv;
    out->price_decimals = decimals;
    rows = NULL;
out:
    free(rows);
    return rc;
}

int sim_replay_parse(const char *text, size_t n, const char *symbol, const char *interval,
                     sim_replay_t *out, char *why, size_t why_cap)
{
    rt_candle_t *rows = NULL;
    size_t count = 0;
    int rc = rt_csv_candles_parse(text, n, symbol, interval, &rows, &count, NULL, why, why_cap);
    if (rc != RT_OK)
        return rc;
    return sim_replay_adopt(rows, count, out, why, why_cap);
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
    const rt_candle_t *r = &c->replay->rows[c->row];
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
    rt_money_t prev = c->phase == 0   ? r->open
                      : c->phase == 1 ? r->open
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
