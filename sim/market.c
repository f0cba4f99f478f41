#include "market.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

typedef struct {
    sim_spec_t spec;
    bool replay;
    sim_model_t model;
    sim_replay_cursor_t cursor;
    sim_klines_t klines;
    int64_t next_trade_id;
    sim_interval_t ticker_iv;
} sim_symbol_t;

struct sim_market {
    sim_symbol_t *sym;
    size_t count;
    int64_t now;
    uint64_t trades;
};

static int fail(char *why, size_t cap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *why, size_t cap, int rc, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

void sim_market_free(sim_market_t *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->count; i++)
        sim_klines_cleanup(&m->sym[i].klines);
    free(m->sym);
    free(m);
}

static sim_interval_t smallest_ticker_interval(unsigned enabled)
{
    for (int i = SIM_IV_1M; i < SIM_IV_COUNT; i++)
        if (enabled & (1u << i))
            return (sim_interval_t)i;
    return SIM_IV_1M;
}

int sim_market_new(const sim_market_config_t *cfg, sim_market_t **out, char *why, size_t cap)
{
    if (cfg == NULL || out == NULL || cfg->symbols == NULL || cfg->nsymbols == 0 ||
        cfg->nsymbols > SIM_MAX_SYMBOLS || cfg->ring_max == 0)
        return fail(why, cap, RT_EINVAL, "need 1 to %d symbols and a ring size", SIM_MAX_SYMBOLS);
    int rc = RT_OK;
    bool replay_found = false;
    sim_market_t *m = calloc(1, sizeof *m);
    if (m == NULL)
        return RT_ENOMEM;
    m->sym = calloc(cfg->nsymbols, sizeof *m->sym);
    if (m->sym == NULL) {
        rc = RT_ENOMEM;
        goto out;
    }
    m->now = cfg->start_ms;
    sim_spec_t replay_spec;
    bool have_replay = cfg->replay != NULL && cfg->replay_symbol != NULL;
    if (have_replay && sim_spec_for_symbol(cfg->replay_symbol, &replay_spec) != RT_OK) {
        rc = fail(why, cap, RT_EINVAL, "replay symbol \"%s\" is not a symbol", cfg->replay_symbol);
        goto out;
    }
    for (size_t i = 0; i < cfg->nsymbols; i++) {
        sim_symbol_t *s = &m->sym[i];
        if (sim_spec_for_symbol(cfg->symbols[i], &s->spec) != RT_OK) {
            rc = fail(why, cap, RT_EINVAL, "\"%s\" is not a symbol", cfg->symbols[i]);
            goto out;
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(m->sym[j].spec.symbol, s->spec.symbol) == 0) {
                rc = fail(why, cap, RT_EINVAL, "symbol %s is listed twice", s->spec.symbol);
                goto out;
            }
        }
        s->next_trade_id = 1;
        unsigned enabled = SIM_IV_ALL;
        if (have_replay && strcmp(s->spec.symbol, replay_spec.symbol) == 0) {
            const sim_replay_t *r = cfg->replay;
            replay_found = true;
            s->replay = true;
            enabled = sim_replay_intervals(r->interval);
            /* The file's prices are facts: make the tick fine enough for them. */
            if (r->price_decimals > rt_money_step_decimals(s->spec.tick)) {
                rt_money_t tick = 1;
                for (int d = r->price_decimals; d < RT_MONEY_DECIMALS; d++)
                    tick *= 10;
                s->spec.tick = tick;
            }
            size_t h = cfg->history < r->count ? cfg->history : r->count - 1;
            int64_t shift = sim_interval_open(r->interval, cfg->live_ms) - r->rows[h].open_time;
            sim_replay_cursor_init(&s->cursor, r, shift);
            s->spec.start_price = r->rows[0].open;
        } else {
            rc = sim_model_init(&s->model, &s->spec, cfg->seed, cfg->start_ms);
            if (rc != RT_OK) {
                rc = fail(why, cap, rc, "cannot model %s", s->spec.symbol);
                goto out;
            }
        }
        rc = sim_klines_init(&s->klines, cfg->ring_max, enabled, !s->replay);
        if (rc != RT_OK)
            goto out;
        m->count++;
        s->ticker_iv = smallest_ticker_interval(enabled);
    }
    if (have_replay && !replay_found) {
        rc = fail(why, cap, RT_EINVAL, "replay symbol %s is not in SYMBOLS", replay_spec.symbol);
        goto out;
    }
    *out = m;
    m = NULL;
out:
    sim_market_free(m);
    return rc;
}

typedef struct {
    sim_event_fn fn;
    void *ud;
    size_t symbol;
} close_ctx_t;

static void on_close(void *ud, sim_interval_t iv, const sim_kline_t *k)
{
    close_ctx_t *c = ud;
    sim_event_t ev = {
        .kind = SIM_EVENT_KLINE_CLOSED, .symbol = c->symbol, .interval = iv, .kline = k};
    c->fn(c->ud, &ev);
}

static int next_tick(sim_symbol_t *s, int64_t until, sim_tick_t *t)
{
    return s->replay ? sim_replay_next(&s->cursor, until, t) : sim_model_next(&s->model, until, t);
}

int sim_market_advance(sim_market_t *m, int64_t now_ms, sim_event_fn fn, void *ud)
{
    if (now_ms < m->now)
        return RT_OK;
    int rc = RT_OK;
    for (size_t i = 0; i < m->count; i++) {
        sim_symbol_t *s = &m->sym[i];
        close_ctx_t cc = {fn, ud, i};
        sim_kline_close_fn cfn = fn ? on_close : NULL;
        sim_tick_t t;
        while (next_tick(s, now_ms, &t) == RT_OK) {
            sim_trade_t tr = {.time = t.time,
                              .price = t.price,
                              .qty = t.qty,
                              .buyer_maker = t.buyer_maker,
                              .id = -1};
            if (t.is_trade)
                tr.id = s->next_trade_id++;
            int r = sim_klines_add(&s->klines, &t, tr.id, cfn, &cc);
            if (r != RT_OK)
                rc = r;
            if (t.is_trade) {
                m->trades++;
                if (fn) {
                    sim_event_t ev = {.kind = SIM_EVENT_TRADE, .symbol = i, .trade = &tr};
                    fn(ud, &ev);
                }
            }
        }
        int r = sim_klines_advance(&s->klines, now_ms, cfn, &cc);
        if (r != RT_OK)
            rc = r;
    }
    m->now = now_ms;
    return rc;
}

int64_t sim_market_now(const sim_market_t *m)
{
    return m->now;
}

size_t sim_market_count(const sim_market_t *m)
{
    return m->count;
}

const sim_spec_t *sim_market_spec(const sim_market_t *m, size_t i)
{
    return i < m->count ? &m->sym[i].spec : NULL;
}

int sim_market_find(const sim_market_t *m, const char *symbol, size_t *out)
{
    if (symbol == NULL)
        return RT_ENOTFOUND;
    for (size_t i = 0; i < m->count; i++) {
        if (strcmp(m->sym[i].spec.symbol, symbol) == 0) {
            *out = i;
            return RT_OK;
        }
    }
    return RT_ENOTFOUND;
}

const sim_klines_t *sim_market_klines(const sim_market_t *m, size_t i)
{
    return i < m->count ? &m->sym[i].klines : NULL;
}

bool sim_market_serves(const sim_market_t *m, size_t i, sim_interval_t iv)
{
    return i < m->count && (unsigned)iv < SIM_IV_COUNT &&
           (m->sym[i].klines.enabled & (1u << iv)) != 0;
}

int sim_market_last_price(const sim_market_t *m, size_t i, rt_money_t *out)
{
    if (i >= m->count || !m->sym[i].klines.has_price)
        return RT_ENOTFOUND;
    *out = m->sym[i].klines.last_price;
    return RT_OK;
}

int sim_market_ticker24(const sim_market_t *m, size_t i, sim_ticker24_t *out)
{
    if (i >= m->count || !m->sym[i].klines.has_price)
        return RT_ENOTFOUND;
    const sim_symbol_t *s = &m->sym[i];
    size_t n = sim_klines_count(&s->klines, s->ticker_iv);
    int64_t since = m->now - 86400000;
    sim_ticker24_t t = {.close = s->klines.last_price};
    bool any = false;
    for (size_t j = n; j-- > 0;) {
        const sim_kline_t *k = sim_klines_get(&s->klines, s->ticker_iv, j, NULL);
        if (k->open_time < since)
            break;
        if (!any) {
            t.high = k->high;
            t.low = k->low;
            any = true;
        }
        t.open = k->open;
        if (k->high > t.high)
            t.high = k->high;
        if (k->low < t.low)
            t.low = k->low;
        if (rt_money_add(t.volume, k->volume, &t.volume) != RT_OK)
            t.volume = RT_MONEY_MAX;
        if (rt_money_add(t.quote_volume, k->quote_volume, &t.quote_volume) != RT_OK)
            t.quote_volume = RT_MONEY_MAX;
    }
    if (!any)
        t.open = t.high = t.low = t.close;
    *out = t;
    return RT_OK;
}

bool sim_market_replay_done(const sim_market_t *m, size_t i)
{
    return i < m->count && m->sym[i].replay && sim_replay_done(&m->sym[i].cursor);
}

uint64_t sim_market_trades(const sim_market_t *m)
{
    return m->trades;
}

const sim_model_t *sim_market_model(const sim_market_t *m, size_t i)
{
    return i < m->count && !m->sym[i].replay ? &m->sym[i].model : NULL;
}
