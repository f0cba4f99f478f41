#include "gw/parse.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rt/err.h"
#include "rt/money.h"
#include "rt/msg.h"
#include "rt/str.h"

/* ---- symbols ---- */

static int sym_cmp(const void *a, const void *b)
{
    return strcmp(((const struct gw_sym *)a)->name, ((const struct gw_sym *)b)->name);
}

int gw_symtab_init(gw_symtab_t *tab, const char *const *symbols, size_t n)
{
    if (tab == NULL || symbols == NULL || n == 0)
        return RT_EINVAL;
    size_t *at = NULL;
    struct gw_sym *s = calloc(n, sizeof *s);
    if (s == NULL)
        return RT_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *name = symbols[i];
        size_t len = name ? strlen(name) : 0;
        if (len == 0 || len > 20)
            goto bad;
        for (size_t j = 0; j < len; j++) {
            char c = name[j];
            if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                goto bad;
            s[i].name[j] = c;
            s[i].lower[j] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        s[i].index = i;
    }
    qsort(s, n, sizeof *s, sym_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(s[i - 1].name, s[i].name) == 0)
            goto bad;
    at = calloc(n, sizeof *at);
    if (at == NULL) {
        free(s);
        return RT_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        at[s[i].index] = i;
    tab->count = n;
    tab->sorted = s;
    tab->at = at;
    return RT_OK;
bad:
    free(s);
    return RT_EINVAL;
}

void gw_symtab_cleanup(gw_symtab_t *tab)
{
    if (tab == NULL)
        return;
    free(tab->sorted);
    free(tab->at);
    tab->sorted = NULL;
    tab->at = NULL;
    tab->count = 0;
}

const char *gw_symtab_name(const gw_symtab_t *tab, size_t i)
{
    if (tab == NULL || i >= tab->count)
        return "";
    return tab->sorted[tab->at[i]].name;
}

long gw_symtab_find(const gw_symtab_t *tab, const char *s, size_t n, bool lower)
{
    if (tab == NULL || s == NULL || n == 0 || n >= RT_SYMBOL_CAP)
        return -1;
    char key[RT_SYMBOL_CAP];
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (lower) {
            if (c >= 'a' && c <= 'z')
                c = (char)(c - 'a' + 'A');
            else if (!(c >= '0' && c <= '9'))
                return -1;
        }
        key[i] = c;
    }
    key[n] = '\0';
    size_t lo = 0, hi = tab->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(key, tab->sorted[mid].name);
        if (cmp == 0)
            return (long)tab->sorted[mid].index;
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return -1;
}

/* ---- frames ---- */

static const char *const bad_names[GW_BAD_COUNT] = {
    [GW_BAD_NONE] = "none",
    [GW_BAD_OVERSIZED] = "oversized",
    [GW_BAD_JSON] = "bad_json",
    [GW_BAD_SHAPE] = "bad_shape",
    [GW_BAD_MISSING] = "missing_field",
    [GW_BAD_TYPE] = "wrong_type",
    [GW_BAD_VALUE] = "bad_value",
    [GW_BAD_SYMBOL] = "unknown_symbol",
    [GW_BAD_STREAM] = "unknown_stream",
    [GW_BAD_MISMATCH] = "mismatch",
};

const char *gw_bad_name(gw_bad_t kind)
{
    if ((int)kind < 0 || kind >= GW_BAD_COUNT)
        return "unknown";
    return bad_names[kind];
}

/* Where a refusal is written while parsing. */
typedef struct {
    gw_bad_t *bad;
    char *reason;
    size_t cap;
} fail_t;

static int fail(const fail_t *f, int rc, gw_bad_t kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(const fail_t *f, int rc, gw_bad_t kind, const char *fmt, ...)
{
    if (f->bad != NULL)
        *f->bad = kind;
    if (f->reason != NULL && f->cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->reason, f->cap, fmt, ap); /* a cut reason is still a reason */
        va_end(ap);
    }
    return rc;
}

/* obj[key] as a string: 0, or a refusal naming where. */
static int get_str(const fail_t *f, const json_t *obj, const char *where, const char *key,
                   const char **s, size_t *n)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return fail(f, RT_EINVAL, GW_BAD_MISSING, "%s'%s' missing", where, key);
    if (!json_is_string(v))
        return fail(f, RT_EINVAL, GW_BAD_TYPE, "%s'%s' must be a string", where, key);
    *s = json_string_value(v);
    *n = json_string_length(v);
    return RT_OK;
}

static int get_int(const fail_t *f, const json_t *obj, const char *where, const char *key,
                   int64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return fail(f, RT_EINVAL, GW_BAD_MISSING, "%s'%s' missing", where, key);
    if (!json_is_integer(v))
        return fail(f, RT_EINVAL, GW_BAD_TYPE, "%s'%s' must be an integer", where, key);
    *out = (int64_t)json_integer_value(v);
    return RT_OK;
}

/* A decimal string (the exchange's prices and quantities), parsed exactly. */
static int get_money(const fail_t *f, const json_t *obj, const char *where, const char *key,
                     rt_money_t *out)
{
    const char *s = NULL;
    size_t n = 0;
    int rc = get_str(f, obj, where, key, &s, &n);
    if (rc != RT_OK)
        return rc;
    if (rt_money_parse_n(s, n, out) != RT_OK)
        return fail(f, RT_EINVAL, GW_BAD_VALUE, "%s'%s' is not a decimal amount", where, key);
    return RT_OK;
}

static bool str_is(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

/* What the stream name says: which symbol, and kline or miniTicker. */
typedef enum { ST_KLINE, ST_TICKER } stream_type_t;

static int parse_stream_name(const gw_parser_t *p, const fail_t *f, const char *s, size_t n,
                             long *sym, stream_type_t *type)
{
    const char *at = memchr(s, '@', n);
    if (at == NULL)
        return fail(f, RT_EINVAL, GW_BAD_STREAM, "stream name without '@'");
    size_t sym_n = (size_t)(at - s);
    const char *suffix = at + 1;
    size_t suffix_n = n - sym_n - 1;
    if (str_is(suffix, suffix_n, "miniTicker")) {
        *type = ST_TICKER;
    } else if (suffix_n > 6 && memcmp(suffix, "kline_", 6) == 0) {
        if (!str_is(suffix + 6, suffix_n - 6, p->interval->name))
            return fail(f, RT_EINVAL, GW_BAD_STREAM, "kline stream of another interval");
        *type = ST_KLINE;
    } else {
        return fail(f, RT_EINVAL, GW_BAD_STREAM, "stream type not subscribed");
    }
    *sym = gw_symtab_find(p->symbols, s, sym_n, true);
    if (*sym < 0)
        return fail(f, RT_EINVAL, GW_BAD_SYMBOL, "stream of a symbol not followed");
    return RT_OK;
}

/* data.s: a followed symbol, and the one the stream name says (want_sym >= 0). */
static int payload_symbol(const gw_parser_t *p, const fail_t *f, const json_t *obj,
                          const char *where, long want_sym, long *sym)
{
    const char *s = NULL;
    size_t n = 0;
    int rc = get_str(f, obj, where, "s", &s, &n);
    if (rc != RT_OK)
        return rc;
    long idx = gw_symtab_find(p->symbols, s, n, false);
    if (idx < 0)
        return fail(f, RT_EINVAL, GW_BAD_SYMBOL, "%s's' is not a followed symbol", where);
    if (want_sym >= 0 && idx != want_sym)
        return fail(f, RT_EINVAL, GW_BAD_MISMATCH, "%s's' differs from the stream's symbol", where);
    *sym = idx;
    return RT_OK;
}

static int parse_kline(const gw_parser_t *p, const fail_t *f, const json_t *d, long want_sym,
                       gw_event_t *ev)
{
    long sym = 0;
    int64_t e_time = 0;
    int rc = payload_symbol(p, f, d, "", want_sym, &sym);
    if (rc == RT_OK)
        rc = get_int(f, d, "", "E", &e_time);
    if (rc != RT_OK)
        return rc;
    json_t *k = json_object_get(d, "k");
    if (k == NULL)
        return fail(f, RT_EINVAL, GW_BAD_MISSING, "'k' missing");
    if (!json_is_object(k))
        return fail(f, RT_EINVAL, GW_BAD_TYPE, "'k' must be an object");
    long ksym;
    rc = payload_symbol(p, f, k, "k.", sym, &ksym);
    if (rc != RT_OK)
        return rc;
    const char *iv = NULL;
    size_t iv_n = 0;
    if ((rc = get_str(f, k, "k.", "i", &iv, &iv_n)) != RT_OK)
        return rc;
    if (!str_is(iv, iv_n, p->interval->name))
        return fail(f, RT_EINVAL, want_sym >= 0 ? GW_BAD_MISMATCH : GW_BAD_STREAM,
                    "k.'i' is not the interval followed");
    rt_candle_t c;
    memset(&c, 0, sizeof c);
    json_t *x = json_object_get(k, "x");
    if (x == NULL)
        return fail(f, RT_EINVAL, GW_BAD_MISSING, "k.'x' missing");
    if (!json_is_boolean(x))
        return fail(f, RT_EINVAL, GW_BAD_TYPE, "k.'x' must be true or false");
    c.closed = json_is_true(x);
    if ((rc = get_int(f, k, "k.", "t", &c.open_time)) != RT_OK ||
        (rc = get_int(f, k, "k.", "T", &c.close_time)) != RT_OK ||
        (rc = get_money(f, k, "k.", "o", &c.open)) != RT_OK ||
        (rc = get_money(f, k, "k.", "h", &c.high)) != RT_OK ||
        (rc = get_money(f, k, "k.", "l", &c.low)) != RT_OK ||
        (rc = get_money(f, k, "k.", "c", &c.close)) != RT_OK ||
        (rc = get_money(f, k, "k.", "v", &c.volume)) != RT_OK)
        return rc;
    /* Both fit: the table holds only 1..20-byte symbols, the interval was parsed. */
    rt_str_copy(c.symbol, sizeof c.symbol, gw_symtab_name(p->symbols, (size_t)sym));
    rt_str_copy(c.interval, sizeof c.interval, p->interval->name);
    rt_msg_error_t merr;
    if (rt_msg_candle_validate(&c, &merr) != RT_OK)
        return fail(f, RT_EINVAL, GW_BAD_VALUE, "kline: %s", merr.text);
    ev->kind = GW_EV_KLINE;
    ev->sym = (size_t)sym;
    ev->event_time = e_time;
    ev->candle = c;
    return RT_OK;
}

static int parse_ticker(const gw_parser_t *p, const fail_t *f, const json_t *d, long want_sym,
                        gw_event_t *ev)
{
    long sym;
    rt_ticker_t t;
    memset(&t, 0, sizeof t);
    int rc = payload_symbol(p, f, d, "", want_sym, &sym);
    if (rc == RT_OK)
        rc = get_int(f, d, "", "E", &t.event_time);
    if (rc == RT_OK)
        rc = get_money(f, d, "", "c", &t.price);
    if (rc != RT_OK)
        return rc;
    rt_str_copy(t.symbol, sizeof t.symbol, gw_symtab_name(p->symbols, (size_t)sym));
    rt_msg_error_t merr;
    if (rt_msg_ticker_validate(&t, &merr) != RT_OK)
        return fail(f, RT_EINVAL, GW_BAD_VALUE, "miniTicker: %s", merr.text);
    ev->kind = GW_EV_TICKER;
    ev->sym = (size_t)sym;
    ev->event_time = t.event_time;
    ev->ticker = t;
    return RT_OK;
}

static int parse_shutdown(const fail_t *f, const json_t *d, gw_event_t *ev)
{
    int64_t e_time = 0;
    json_t *e = json_object_get(d, "E");
    if (e != NULL) {
        if (!json_is_integer(e))
            return fail(f, RT_EINVAL, GW_BAD_TYPE, "'E' must be an integer");
        e_time = (int64_t)json_integer_value(e);
    }
    ev->kind = GW_EV_SHUTDOWN;
    ev->event_time = e_time;
    return RT_OK;
}

/* A payload: by its "e" (event type), checked against what the stream name said. */
static int parse_payload(const gw_parser_t *p, const fail_t *f, const json_t *d, bool combined,
                         long want_sym, stream_type_t want_type, gw_event_t *ev)
{
    const char *e = NULL;
    size_t e_n = 0;
    int rc = get_str(f, d, "", "e", &e, &e_n);
    if (rc != RT_OK)
        return rc;
    if (str_is(e, e_n, "serverShutdown"))
        return parse_shutdown(f, d, ev);
    if (str_is(e, e_n, "kline")) {
        if (combined && want_type != ST_KLINE)
            return fail(f, RT_EINVAL, GW_BAD_MISMATCH, "kline event on a miniTicker stream");
        return parse_kline(p, f, d, want_sym, ev);
    }
    if (str_is(e, e_n, "24hrMiniTicker")) {
        if (combined && want_type != ST_TICKER)
            return fail(f, RT_EINVAL, GW_BAD_MISMATCH, "miniTicker event on a kline stream");
        return parse_ticker(p, f, d, want_sym, ev);
    }
    return fail(f, RT_EINVAL, GW_BAD_STREAM, "event type not subscribed");
}

/* Frames without an envelope: control replies, errors, raw events. */
static int parse_bare(const gw_parser_t *p, const fail_t *f, const json_t *root, gw_event_t *ev)
{
    json_t *id = json_object_get(root, "id");
    if (json_object_get(root, "result") != NULL && id != NULL) {
        ev->kind = GW_EV_REPLY;
        ev->event_time = 0;
        ev->reply_id = json_is_integer(id) ? (int64_t)json_integer_value(id) : -1;
        return RT_OK;
    }
    json_t *code = json_object_get(root, "code");
    json_t *msg = json_object_get(root, "msg");
    if (code != NULL && msg != NULL) {
        if (!json_is_integer(code) || !json_is_string(msg))
            return fail(f, RT_EINVAL, GW_BAD_TYPE, "error reply with a wrong 'code' or 'msg'");
        ev->kind = GW_EV_ERROR;
        ev->event_time = 0;
        json_int_t c = json_integer_value(code);
        ev->error_code = c < -1000000 || c > 1000000 ? 0 : (int)c;
        size_t n = json_string_length(msg);
        if (n >= sizeof ev->error_msg)
            n = sizeof ev->error_msg - 1;
        memcpy(ev->error_msg, json_string_value(msg), n);
        ev->error_msg[n] = '\0';
        return RT_OK;
    }
    if (json_object_get(root, "e") != NULL)
        return parse_payload(p, f, root, false, -1, ST_KLINE, ev);
    return fail(f, RT_EINVAL, GW_BAD_SHAPE, "neither an event nor a reply");
}

int gw_parse_frame(const gw_parser_t *p, const char *data, size_t len, gw_event_t *ev,
                   gw_bad_t *bad, char *reason, size_t reason_cap)
{
    const fail_t f = {bad, reason, reason_cap};
    if (p == NULL || p->symbols == NULL || p->interval == NULL || ev == NULL ||
        (data == NULL && len > 0))
        return fail(&f, RT_EINVAL, GW_BAD_SHAPE, "invalid arguments");
    if (len == 0)
        return fail(&f, RT_EINVAL, GW_BAD_OVERSIZED, "empty frame");
    if (len > GW_FRAME_MAX)
        return fail(&f, RT_ETOOBIG, GW_BAD_OVERSIZED, "frame of %zu bytes (limit %zu)", len,
                    GW_FRAME_MAX);
    json_error_t jerr;
    json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        int rc = json_error_code(&jerr) == json_error_out_of_memory ? RT_ENOMEM : RT_EINVAL;
        return fail(&f, rc, GW_BAD_JSON, "not JSON: %s at %d:%d", jerr.text, jerr.line,
                    jerr.column);
    }
    memset(ev, 0, sizeof *ev);
    int rc;
    if (!json_is_object(root)) {
        rc = fail(&f, RT_EINVAL, GW_BAD_SHAPE, "not a JSON object");
        goto out;
    }
    json_t *stream = json_object_get(root, "stream");
    if (stream == NULL) {
        rc = parse_bare(p, &f, root, ev);
        goto out;
    }
    if (!json_is_string(stream)) {
        rc = fail(&f, RT_EINVAL, GW_BAD_TYPE, "'stream' must be a string");
        goto out;
    }
    json_t *d = json_object_get(root, "data");
    if (d == NULL || !json_is_object(d)) {
        rc =
            fail(&f, RT_EINVAL, d == NULL ? GW_BAD_SHAPE : GW_BAD_TYPE, "'data' must be an object");
        goto out;
    }
    const char *s = json_string_value(stream);
    size_t n = json_string_length(stream);
    if (n > 0 && s[0] == '!') {
        /* Binance's own streams: only the shutdown notice reaches a market-data client. */
        if (str_is(s, n, "!serverShutdown")) {
            rc = parse_shutdown(&f, d, ev);
            goto out;
        }
        rc = fail(&f, RT_EINVAL, GW_BAD_STREAM, "stream not subscribed");
        goto out;
    }
    long sym = -1;
    stream_type_t type = ST_KLINE;
    rc = parse_stream_name(p, &f, s, n, &sym, &type);
    if (rc == RT_OK)
        rc = parse_payload(p, &f, d, true, sym, type, ev);
out:
    json_decref(root);
    if (rc == RT_OK && bad != NULL)
        *bad = GW_BAD_NONE;
    return rc;
}
