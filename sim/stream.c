#include "stream.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/str.h"

/* ---- stream names ------------------------------------------------------------------------ */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool eq(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

/* Kinds that are well-formed on Binance but not simulated. */
static bool other_kind(const char *k, size_t n)
{
    static const char *const kinds[] = {
        "aggTrade",      "bookTicker",    "ticker",         "avgPrice",       "ticker_1h",
        "ticker_4h",     "ticker_1d",     "depth",          "depth@100ms",    "depth@1000ms",
        "depth5",        "depth10",       "depth20",        "depth5@100ms",   "depth10@100ms",
        "depth20@100ms", "depth5@1000ms", "depth10@1000ms", "depth20@1000ms",
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (eq(k, n, kinds[i]))
            return true;
    return false;
}

int sim_stream_parse(const char *s, size_t n, sim_stream_t *out)
{
    if (s == NULL || n == 0 || n >= SIM_STREAM_NAME_CAP)
        return RT_EINVAL;
    sim_stream_t st;
    memset(&st, 0, sizeof st);
    st.sym = -1;
    memcpy(st.name, s, n);

    if (s[0] == '!') { /* all-market streams */
        static const char *const all[] = {"!miniTicker@arr", "!ticker@arr",    "!bookTicker",
                                          "!ticker_1h@arr",  "!ticker_4h@arr", "!ticker_1d@arr"};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
            if (eq(s, n, all[i])) {
                st.kind = SIM_STREAM_OTHER;
                *out = st;
                return RT_OK;
            }
        }
        return RT_EINVAL;
    }
    const char *at = memchr(s, '@', n);
    if (at == NULL)
        return RT_EINVAL;
    size_t sl = (size_t)(at - s);
    if (sl == 0 || sl > 20)
        return RT_EINVAL;
    for (size_t i = 0; i < sl; i++) {
        if (!is_lower_alnum(s[i]))
            return RT_EINVAL;
        st.symbol[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
    }
    const char *k = at + 1;
    size_t kn = n - sl - 1;
    if (eq(k, kn, "miniTicker")) {
        st.kind = SIM_STREAM_MINI_TICKER;
    } else if (eq(k, kn, "trade")) {
        st.kind = SIM_STREAM_TRADE;
    } else if (kn > 6 && memcmp(k, "kline_", 6) == 0) {
        const char *iv = k + 6;
        size_t ivn = kn - 6;
        const char *tz = memchr(iv, '@', ivn);
        st.kind = SIM_STREAM_KLINE;
        if (tz) { /* "@+08:00": a UTC+8 kline, well-formed but not simulated */
            if (!eq(tz, ivn - (size_t)(tz - iv), "@+08:00"))
                return RT_EINVAL;
            ivn = (size_t)(tz - iv);
            st.kind = SIM_STREAM_OTHER;
        }
        if (sim_interval_parse(iv, ivn, &st.interval) != RT_OK)
            return RT_EINVAL;
    } else if (other_kind(k, kn)) {
        st.kind = SIM_STREAM_OTHER;
    } else {
        return RT_EINVAL;
    }
    *out = st;
    return RT_OK;
}

/* ---- sessions ---------------------------------------------------------------------------- */

void sim_ws_session_init(sim_ws_session_t *s, const sim_market_t *market, bool combined)
{
    memset(s, 0, sizeof *s);
    s->market = market;
    s->combined = combined;
}

void sim_ws_session_cleanup(sim_ws_session_t *s)
{
    if (s == NULL)
        return;
    free(s->items);
    s->items = NULL;
    s->count = s->cap = 0;
}

static long find(const sim_ws_session_t *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->count; i++)
        if (eq(name, n, s->items[i].name))
            return (long)i;
    return -1;
}

int sim_ws_session_add(sim_ws_session_t *s, const sim_stream_t *st)
{
    if (find(s, st->name, strlen(st->name)) >= 0)
        return RT_OK;
    if (s->count >= SIM_WS_MAX_STREAMS)
        return RT_ETOOBIG;
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        sim_stream_t *p = realloc(s->items, cap * sizeof *p);
        if (p == NULL)
            return RT_ENOMEM;
        s->items = p;
        s->cap = cap;
    }
    sim_stream_t *dst = &s->items[s->count++];
    *dst = *st;
    dst->sym = -1;
    dst->last_rev = 0;
    dst->last_sent = 0;
    size_t idx;
    if (s->market && dst->kind != SIM_STREAM_OTHER &&
        sim_market_find(s->market, dst->symbol, &idx) == RT_OK &&
        (dst->kind != SIM_STREAM_KLINE || sim_market_serves(s->market, idx, dst->interval)))
        dst->sym = (long)idx;
    return RT_OK;
}

void sim_ws_session_remove(sim_ws_session_t *s, const char *name, size_t n)
{
    long i = find(s, name, n);
    if (i < 0)
        return;
    memmove(&s->items[i], &s->items[i + 1], (s->count - (size_t)i - 1) * sizeof s->items[0]);
    s->count--;
}

/* Adds every '/'-separated stream of list[0..n). */
static int add_list(sim_ws_session_t *s, const char *list, size_t n)
{
    size_t pos = 0;
    while (pos < n) {
        const char *p = list + pos;
        const char *slash = memchr(p, '/', n - pos);
        size_t len = slash ? (size_t)(slash - p) : n - pos;
        pos += len + (slash ? 1 : 0);
        sim_stream_t st;
        if (sim_stream_parse(p, len, &st) != RT_OK)
            return RT_EINVAL;
        int rc = sim_ws_session_add(s, &st);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

int sim_ws_session_open(sim_ws_session_t *s, const char *path, const char *streams_arg)
{
    if (path == NULL)
        return RT_ENOTFOUND;
    if (strcmp(path, "/ws") == 0 || strcmp(path, "/ws/") == 0) {
        s->combined = false;
        return RT_OK;
    }
    if (strncmp(path, "/ws/", 4) == 0) {
        s->combined = false;
        return add_list(s, path + 4, strlen(path + 4));
    }
    if (strcmp(path, "/stream") == 0 || strcmp(path, "/stream/") == 0) {
        s->combined = true;
        return streams_arg ? add_list(s, streams_arg, strlen(streams_arg)) : RT_OK;
    }
    return RT_ENOTFOUND;
}

bool sim_ws_rate_exceeded(sim_ws_session_t *s, int64_t now_ms)
{
    if (s->window_count == 0 || now_ms - s->window_start >= 1000 || now_ms < s->window_start) {
        s->window_start = now_ms;
        s->window_count = 0;
    }
    return ++s->window_count > SIM_WS_MAX_MSGS_PER_S;
}

/* ---- control messages -------------------------------------------------------------------- */

typedef enum { M_SUBSCRIBE, M_UNSUBSCRIBE, M_LIST, M_SET, M_GET } method_t;

/* The request's id as it goes back: an integer, a checked string, or null. */
static int write_id(sim_buf_t *b, const json_t *id)
{
    if (id == NULL || json_is_null(id))
        return sim_buf_puts(b, "null");
    if (json_is_integer(id))
        return sim_buf_int(b, (int64_t)json_integer_value(id));
    sim_buf_puts(b, "\"");
    sim_buf_puts(b, json_string_value(id));
    return sim_buf_puts(b, "\"");
}

static int reply_error(sim_buf_t *b, int code, const char *msg, const json_t *id)
{
    sim_buf_printf(b, "{\"error\":{\"code\":%d,\"msg\":\"%s\"},\"id\":", code, msg);
    write_id(b, id);
    return sim_buf_puts(b, "}");
}

static int reply_result(sim_buf_t *b, const char *result, const json_t *id)
{
    sim_buf_printf(b, "{\"result\":%s,\"id\":", result);
    write_id(b, id);
    return sim_buf_puts(b, "}");
}

static bool id_valid(const json_t *id)
{
    if (id == NULL || json_is_null(id) || json_is_integer(id))
        return true;
    if (!json_is_string(id))
        return false;
    const char *s = json_string_value(id);
    size_t n = json_string_length(id);
    if (n == 0 || n > 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* Escapes a JSON parser message for our reply (only printable ASCII, no quotes). */
static void safe_text(char *dst, size_t cap, const char *src)
{
    size_t j = 0;
    for (size_t i = 0; src[i] && j + 1 < cap; i++) {
        char c = src[i];
        dst[j++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '\'';
    }
    dst[j] = '\0';
}

static int handle_subscribe(sim_ws_session_t *s, const json_t *params, const json_t *id, bool add,
                            sim_buf_t *reply, bool *close)
{
    if (params == NULL)
        return reply_error(reply, 2, "Invalid request: missing field `params`", id);
    if (!json_is_array(params))
        return reply_error(reply, 2, "Invalid request: params must be an array of streams", id);
    size_t n = json_array_size(params);
    for (size_t i = 0; i < n; i++) { /* all or nothing: check every name first */
        const json_t *p = json_array_get(params, i);
        sim_stream_t st;
        if (!json_is_string(p) ||
            sim_stream_parse(json_string_value(p), json_string_length(p), &st) != RT_OK)
            return reply_error(reply, 2, "Invalid request: invalid stream", id);
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(params, i);
        if (!add) {
            sim_ws_session_remove(s, json_string_value(p), json_string_length(p));
            continue;
        }
        sim_stream_t st;
        (void)sim_stream_parse(json_string_value(p), json_string_length(p), &st);
        int rc = sim_ws_session_add(s, &st);
        if (rc == RT_ETOOBIG) {
            *close = true;
            return RT_OK;
        }
        if (rc != RT_OK)
            return rc;
    }
    return reply_result(reply, "null", id);
}

static int handle_list(const sim_ws_session_t *s, const json_t *id, sim_buf_t *reply)
{
    sim_buf_puts(reply, "{\"result\":[");
    for (size_t i = 0; i < s->count; i++) {
        sim_buf_puts(reply, i ? ",\"" : "\"");
        sim_buf_puts(reply, s->items[i].name);
        sim_buf_puts(reply, "\"");
    }
    sim_buf_puts(reply, "],\"id\":");
    write_id(reply, id);
    return sim_buf_puts(reply, "}");
}

static int handle_property(sim_ws_session_t *s, const json_t *params, const json_t *id, bool set,
                           sim_buf_t *reply)
{
    size_t want = set ? 2 : 1;
    if (params == NULL || !json_is_array(params) || json_array_size(params) < 1)
        return reply_error(reply, 2, "Invalid request: property name must be a string", id);
    if (json_array_size(params) > want)
        return reply_error(reply, 2, "Invalid request: too many parameters", id);
    const json_t *name = json_array_get(params, 0);
    if (!json_is_string(name))
        return reply_error(reply, 2, "Invalid request: property name must be a string", id);
    if (strcmp(json_string_value(name), "combined") != 0)
        return reply_error(reply, 0, "Unknown property", id);
    if (!set)
        return reply_result(reply, s->combined ? "true" : "false", id);
    const json_t *value = json_array_size(params) == 2 ? json_array_get(params, 1) : NULL;
    if (value == NULL || !json_is_boolean(value))
        return reply_error(reply, 1, "Invalid value type: expected Boolean", id);
    s->combined = json_is_true(value);
    return reply_result(reply, "null", id);
}

int sim_ws_handle(sim_ws_session_t *s, const char *msg, size_t n, sim_buf_t *reply, bool *close)
{
    *close = false;
    json_error_t jerr;
    json_t *root = json_loadb(msg, n, JSON_REJECT_DUPLICATES, &jerr);
    int rc;
    if (root == NULL) {
        char text[sizeof jerr.text];
        safe_text(text, sizeof text, jerr.text);
        sim_buf_printf(reply,
                       "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: %s at line %d column "
                       "%d\"},\"id\":null}",
                       text, jerr.line, jerr.column);
        return sim_buf_err(reply);
    }
    if (!json_is_object(root)) {
        rc = reply_error(reply, 2, "Invalid request: expected an object", NULL);
        goto out;
    }
    const json_t *id = json_object_get(root, "id");
    if (!id_valid(id)) {
        rc = reply_error(reply, 2,
                         "Invalid request: request ID must be an integer, a string of at most 36 "
                         "letters or digits, or null",
                         NULL);
        goto out;
    }
    const json_t *jm = json_object_get(root, "method");
    if (jm == NULL) {
        rc = reply_error(reply, 2, "Invalid request: missing field `method`", id);
        goto out;
    }
    static const struct {
        const char *name;
        method_t m;
    } methods[] = {{"SUBSCRIBE", M_SUBSCRIBE},
                   {"UNSUBSCRIBE", M_UNSUBSCRIBE},
                   {"LIST_SUBSCRIPTIONS", M_LIST},
                   {"SET_PROPERTY", M_SET},
                   {"GET_PROPERTY", M_GET}};
    int found = -1;
    for (size_t i = 0; json_is_string(jm) && i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(json_string_value(jm), methods[i].name) == 0)
            found = (int)i;
    if (found < 0) {
        rc = reply_error(reply, 2,
                         "Invalid request: unknown variant, expected one of `SUBSCRIBE`, "
                         "`UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`",
                         id);
        goto out;
    }
    const json_t *params = json_object_get(root, "params");
    switch (methods[found].m) {
    case M_SUBSCRIBE:
        rc = handle_subscribe(s, params, id, true, reply, close);
        break;
    case M_UNSUBSCRIBE:
        rc = handle_subscribe(s, params, id, false, reply, close);
        break;
    case M_LIST:
        rc = handle_list(s, id, reply);
        break;
    case M_SET:
        rc = handle_property(s, params, id, true, reply);
        break;
    case M_GET:
    default:
        rc = handle_property(s, params, id, false, reply);
        break;
    }
out:
    json_decref(root);
    if (rc == RT_OK)
        rc = sim_buf_err(reply);
    return rc;
}
