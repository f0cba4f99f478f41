/* The pure core of rt-portfolio (pf_core.h). */
#include "pf_core.h"

#include <stddef.h>
#include <string.h>

#include "rt/err.h"
#include "rt/str.h"

void pf_market_init(pf_market_t *m, int64_t throttle_ms)
{
    if (!m)
        return;
    memset(m, 0, sizeof *m);
    m->throttle_ms = throttle_ms < 0 ? 0 : throttle_ms;
}

static bool symbol_ok(const char *s)
{
    size_t n = 0;
    if (!s)
        return false;
    for (; s[n]; n++) {
        char ch = s[n];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')))
            return false;
        if (n >= 20)
            return false;
    }
    return n >= 2;
}

/* Index of symbol in m, or -1. */
static ptrdiff_t find(const pf_market_t *m, const char *symbol)
{
    for (size_t i = 0; i < m->count; i++)
        if (strcmp(m->sym[i].symbol, symbol) == 0)
            return (ptrdiff_t)i;
    return -1;
}

/* The symbol's slot, created if new. RT_EINVAL / RT_ERANGE. */
static int slot(pf_market_t *m, const char *symbol, pf_symbol_t **out)
{
    if (!m || !symbol_ok(symbol))
        return RT_EINVAL;
    ptrdiff_t i = find(m, symbol);
    pf_symbol_t *s = i >= 0 ? &m->sym[i] : NULL;
    if (!s) {
        if (m->count >= PF_MARKET_MAX)
            return RT_ERANGE;
        s = &m->sym[m->count++];
        memset(s, 0, sizeof *s);
        if (rt_str_copy(s->symbol, sizeof s->symbol, symbol) != 0) {
            m->count--;
            return RT_EINVAL;
        }
    }
    *out = s;
    return 0;
}

static bool throttle_due(int64_t *last, int64_t now_ms, int64_t throttle_ms)
{
    if (*last == 0 || now_ms - *last >= throttle_ms || now_ms < *last) {
        *last = now_ms;
        return true;
    }
    return false;
}

int pf_market_candle(pf_market_t *m, const rt_candle_t *c, int64_t now_ms, bool *relay)
{
    pf_symbol_t *s;
    if (!c)
        return RT_EINVAL;
    int rc = slot(m, c->symbol, &s);
    if (rc < 0)
        return rc;
    bool go = false;
    bool older = s->has_forming && strcmp(s->forming.interval, c->interval) == 0 &&
                 c->open_time < s->forming.open_time;
    if (!older) {
        if (c->close_time >= s->price_time) {
            s->price = c->close;
            s->price_time = c->close_time < now_ms ? c->close_time : now_ms;
        }
        if (c->closed) {
            if (s->has_forming && s->forming.open_time <= c->open_time)
                s->has_forming = false;
            go = true;
        } else {
            s->forming = *c;
            s->has_forming = true;
            go = throttle_due(&s->candle_sent_ms, now_ms, m->throttle_ms);
        }
    }
    if (relay)
        *relay = go;
    return 0;
}

int pf_market_ticker(pf_market_t *m, const rt_ticker_t *t, int64_t now_ms, bool *relay)
{
    pf_symbol_t *s;
    if (!t)
        return RT_EINVAL;
    int rc = slot(m, t->symbol, &s);
    if (rc < 0)
        return rc;
    bool go = false;
    if (t->event_time >= s->price_time && t->price > 0) {
        s->price = t->price;
        s->price_time = t->event_time;
        go = throttle_due(&s->ticker_sent_ms, now_ms, m->throttle_ms);
    }
    if (relay)
        *relay = go;
    return 0;
}

int pf_market_seed_price(pf_market_t *m, const char *symbol, rt_money_t price, int64_t time_ms)
{
    pf_symbol_t *s;
    if (price <= 0)
        return RT_EINVAL;
    int rc = slot(m, symbol, &s);
    if (rc < 0)
        return rc;
    if (s->price == 0) {
        s->price = price;
        s->price_time = time_ms;
    }
    return 0;
}

int pf_market_price(const pf_market_t *m, const char *symbol, rt_money_t *out)
{
    if (!m || !symbol || !out)
        return RT_EINVAL;
    ptrdiff_t i = find(m, symbol);
    const pf_symbol_t *s = i >= 0 ? &m->sym[i] : NULL;
    if (!s || s->price <= 0)
        return RT_ENOTFOUND;
    *out = s->price;
    return 0;
}

int pf_market_forming(const pf_market_t *m, const char *symbol, const char *interval,
                      rt_candle_t *out)
{
    if (!m || !symbol || !interval || !out)
        return RT_EINVAL;
    ptrdiff_t i = find(m, symbol);
    const pf_symbol_t *s = i >= 0 ? &m->sym[i] : NULL;
    if (!s || !s->has_forming || strcmp(s->forming.interval, interval) != 0)
        return RT_ENOTFOUND;
    *out = s->forming;
    return 0;
}

int pf_param_symbol(const char *s, char *out, size_t cap)
{
    char buf[RT_SYMBOL_CAP];
    if (!s || !out || cap < RT_SYMBOL_CAP || strlen(s) >= sizeof buf)
        return RT_EINVAL;
    memcpy(buf, s, strlen(s) + 1);
    rt_str_upper(buf);
    if (!symbol_ok(buf))
        return RT_EINVAL;
    memcpy(out, buf, strlen(buf) + 1);
    return 0;
}

int pf_param_strategy(const char *s)
{
    size_t n = 0;
    if (!s)
        return RT_EINVAL;
    for (; s[n]; n++) {
        char ch = s[n];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
        if (!ok || n >= 64)
            return RT_EINVAL;
    }
    return n >= 1 ? 0 : RT_EINVAL;
}

int pf_param_interval(const char *s)
{
    static const char *const ok[] = {"1s", "1m", "3m",  "5m", "15m", "30m", "1h", "2h",
                                     "4h", "6h", "8h", "12h", "1d", "3d",  "1w", "1M"};
    if (!s)
        return RT_EINVAL;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(s, ok[i]) == 0)
            return 0;
    return RT_EINVAL;
}

int pf_conninfo_quote(const char *value, char *out, size_t cap)
{
    size_t j = 0;
    if (!value || !out || cap == 0)
        return RT_EINVAL;
    if (j + 1 >= cap)
        goto toobig;
    out[j++] = '\'';
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '\'') {
            if (j + 1 >= cap)
                goto toobig;
            out[j++] = '\\';
        }
        if (j + 1 >= cap)
            goto toobig;
        out[j++] = *p;
    }
    if (j + 2 > cap)
        goto toobig;
    out[j++] = '\'';
    out[j] = '\0';
    return 0;
toobig:
    out[0] = '\0';
    return RT_ETOOBIG;
}
