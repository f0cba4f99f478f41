#include "rest.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "faults.h"
#include "klines.h"
#include "payload.h"
#include "rt/err.h"
#include "rt/str.h"

#define JSON_TYPE "application/json;charset=UTF-8"
#define TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- parameters -------------------------------------------------------------------------- */

void sim_params_init(sim_params_t *p)
{
    p->count = 0;
    p->used = 0;
}

/* Copies s[0..n) into the arena, percent-decoding when decode; returns the copy or NULL. */
static const char *arena_put(sim_params_t *p, const char *s, size_t n, bool decode, int *rc)
{
    if (p->used + n + 1 > SIM_PARAMS_ARENA) {
        *rc = RT_ETOOBIG;
        return NULL;
    }
    char *dst = p->arena + p->used;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (decode && c == '+') {
            c = ' ';
        } else if (decode && c == '%') {
            int v = 0;
            for (int k = 1; k <= 2; k++) {
                char h = i + (size_t)k < n ? s[i + (size_t)k] : '\0';
                int d = (h >= '0' && h <= '9')   ? h - '0'
                        : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                        : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                 : -1;
                if (d < 0) {
                    *rc = RT_EINVAL;
                    return NULL;
                }
                v = v * 16 + d;
            }
            c = (char)v;
            i += 2;
        }
        dst[j++] = c;
    }
    dst[j] = '\0';
    p->used += j + 1;
    return dst;
}

static int add_pair(sim_params_t *p, const char *pair, size_t n, bool decode)
{
    if (p->count >= SIM_PARAMS_MAX)
        return RT_ETOOBIG;
    const char *eq = memchr(pair, '=', n);
    size_t nn = eq ? (size_t)(eq - pair) : n;
    int rc = RT_OK;
    size_t mark = p->used;
    const char *name = arena_put(p, pair, nn, decode, &rc);
    const char *value =
        name ? arena_put(p, eq ? eq + 1 : "", eq ? n - nn - 1 : 0, decode, &rc) : NULL;
    if (value == NULL) {
        p->used = mark;
        return rc;
    }
    p->name[p->count] = name;
    p->value[p->count] = value;
    p->count++;
    return RT_OK;
}

int sim_params_add_pair(sim_params_t *p, const char *pair, size_t n)
{
    if (p == NULL || pair == NULL)
        return RT_EINVAL;
    return add_pair(p, pair, n, false);
}

int sim_params_parse_query(sim_params_t *p, const char *qs, size_t n)
{
    if (p == NULL || qs == NULL)
        return RT_EINVAL;
    size_t pos = 0;
    while (pos < n) {
        const char *s = qs + pos;
        const char *amp = memchr(s, '&', n - pos);
        size_t len = amp ? (size_t)(amp - s) : n - pos;
        pos += len + (amp ? 1 : 0);
        if (len == 0)
            continue;
        int rc = add_pair(p, s, len, true);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

const char *sim_params_get(const sim_params_t *p, const char *name)
{
    if (p == NULL)
        return NULL;
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->name[i], name) == 0)
            return p->value[i];
    return NULL;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void encode_into(sim_buf_t *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (unreserved(*c)) {
            sim_buf_append(out, (const char *)c, 1);
        } else {
            char e[3] = {'%', hex[*c >> 4], hex[*c & 15]};
            sim_buf_append(out, e, 3);
        }
    }
}

int sim_params_encode(const sim_params_t *p, size_t first, size_t n, sim_buf_t *out)
{
    if (p == NULL || out == NULL || first > p->count || n > p->count - first)
        return RT_EINVAL;
    for (size_t i = first; i < first + n; i++) {
        if (i > first)
            sim_buf_append(out, "&", 1);
        encode_into(out, p->name[i]);
        sim_buf_append(out, "=", 1);
        encode_into(out, p->value[i]);
    }
    return sim_buf_err(out);
}

/* ---- responses --------------------------------------------------------------------------- */

void sim_rest_resp_init(sim_rest_resp_t *r)
{
    memset(r, 0, sizeof *r);
    sim_buf_init(&r->body);
}

void sim_rest_resp_cleanup(sim_rest_resp_t *r)
{
    if (r == NULL)
        return;
    sim_buf_cleanup(&r->body);
}

static int set_json(sim_rest_resp_t *r, int status)
{
    r->status = status;
    r->content_type = JSON_TYPE;
    return sim_buf_err(&r->body);
}

/* Binance's error body: {"code":-1121,"msg":"Invalid symbol."} (sim_rest_error). */
#define binance_error sim_rest_error

int sim_rest_error(sim_rest_resp_t *r, int status, int code, const char *fmt, ...)
{
    sim_buf_reset(&r->body);
    sim_buf_printf(&r->body, "{\"code\":%d,\"msg\":\"", code);
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof msg)
        n = snprintf(msg, sizeof msg, "An unknown error occurred while processing the request.");
    sim_buf_append(&r->body, msg, (size_t)n);
    sim_buf_puts(&r->body, "\"}");
    return set_json(r, status);
}

int sim_rest_json(sim_rest_resp_t *r, int status)
{
    return set_json(r, status);
}

/* Our own endpoints' error body (ARCHITECTURE.md section 7); constant texts. */
static int own_error(sim_rest_resp_t *r, int status, const char *error, const char *detail)
{
    sim_buf_reset(&r->body);
    sim_buf_printf(&r->body, "{\"error\":\"%s\",\"detail\":\"%s\"}", error, detail);
    return set_json(r, status);
}

static int mandatory(sim_rest_resp_t *r, const char *param)
{
    return binance_error(r, 400, -1102,
                         "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
                         param);
}

static int illegal(sim_rest_resp_t *r, const char *param, const char *range)
{
    return binance_error(r, 400, -1100,
                         "Illegal characters found in parameter '%s'; legal range is '%s'.", param,
                         range);
}

static int not_valid(sim_rest_resp_t *r, const char *param)
{
    return binance_error(r, 400, -1130, "Data sent for parameter '%s' is not valid.", param);
}

#define SYMBOL_RANGE "^[A-Z0-9-_.]{1,20}$"
#define NUMBER_RANGE "^[0-9]{1,20}$"
/* JSON-escaped, as it goes into the message. */
#define SYMBOLS_RANGE "^\\\\[(\\\"[A-Z0-9-_.]{1,20}\\\"(,\\\"[A-Z0-9-_.]{1,20}\\\"){0,}){0,1}\\\\]$"

static bool symbol_chars_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* Reads an optional non-negative integer parameter. Returns 0 (with *present), or the error
 * already written into r. */
static int opt_number(const sim_rest_req_t *req, sim_rest_resp_t *r, const char *name,
                      bool *present, int64_t *out)
{
    const char *v = sim_params_get(req->params, name);
    *present = false;
    if (v == NULL || v[0] == '\0')
        return RT_OK;
    size_t n = strlen(v);
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9' || n > 20) {
            illegal(r, name, NUMBER_RANGE);
            return RT_EINVAL;
        }
    }
    if (rt_str_parse_int64(v, out) != RT_OK) {
        illegal(r, name, NUMBER_RANGE);
        return RT_EINVAL;
    }
    *present = true;
    return RT_OK;
}

/* Resolves the mandatory `symbol` parameter. Returns 0 with *idx, or the error written in r. */
static int need_symbol(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r,
                       size_t *idx)
{
    const char *s = sim_params_get(req->params, "symbol");
    if (s == NULL || s[0] == '\0') {
        mandatory(r, "symbol");
        return RT_EINVAL;
    }
    if (!symbol_chars_ok(s)) {
        illegal(r, "symbol", SYMBOL_RANGE);
        return RT_EINVAL;
    }
    if (sim_market_find(ctx->market, s, idx) != RT_OK) {
        binance_error(r, 400, -1121, "Invalid symbol.");
        return RT_EINVAL;
    }
    return RT_OK;
}

/* Parses `symbols` (a JSON array of names) into a list of indices. Returns 0, or the error in r.
 */
static int need_symbols(const sim_rest_ctx_t *ctx, const char *v, sim_rest_resp_t *r, size_t *idx,
                        size_t cap, size_t *n)
{
    json_error_t jerr;
    json_t *a = json_loads(v, 0, &jerr);
    int rc = RT_OK;
    *n = 0;
    if (a == NULL || !json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > cap) {
        illegal(r, "symbols", SYMBOLS_RANGE);
        rc = RT_EINVAL;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *e = json_array_get(a, i);
        if (!json_is_string(e) || !symbol_chars_ok(json_string_value(e))) {
            illegal(r, "symbols", SYMBOLS_RANGE);
            rc = RT_EINVAL;
            goto out;
        }
        if (sim_market_find(ctx->market, json_string_value(e), &idx[*n]) != RT_OK) {
            binance_error(r, 400, -1121, "Invalid symbol.");
            rc = RT_EINVAL;
            goto out;
        }
        (*n)++;
    }
out:
    json_decref(a);
    return rc;
}

/* ---- /api/v3 ------------------------------------------------------------------------------ */

static int h_ping(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    (void)ctx;
    (void)req;
    sim_buf_puts(&r->body, "{}");
    return set_json(r, 200);
}

static int h_time(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    (void)req;
    sim_buf_printf(&r->body, "{\"serverTime\":%lld}", (long long)ctx->sim_now_ms);
    return set_json(r, 200);
}

static void write_symbol_info(sim_buf_t *b, const sim_spec_t *s)
{
    sim_buf_printf(b,
                   "{\"symbol\":\"%s\",\"status\":\"TRADING\",\"baseAsset\":\"%s\","
                   "\"baseAssetPrecision\":8,\"quoteAsset\":\"%s\",\"quotePrecision\":8,"
                   "\"quoteAssetPrecision\":8,\"baseCommissionPrecision\":8,"
                   "\"quoteCommissionPrecision\":8,\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\","
                   "\"MARKET\",\"STOP_LOSS\",\"STOP_LOSS_LIMIT\",\"TAKE_PROFIT\","
                   "\"TAKE_PROFIT_LIMIT\"],\"icebergAllowed\":true,\"ocoAllowed\":true,"
                   "\"otoAllowed\":true,\"opoAllowed\":true,\"quoteOrderQtyMarketAllowed\":true,"
                   "\"allowTrailingStop\":true,\"cancelReplaceAllowed\":true,"
                   "\"amendAllowed\":true,\"pegInstructionsAllowed\":true,"
                   "\"isSpotTradingAllowed\":true,\"isMarginTradingAllowed\":false,"
                   "\"filters\":[",
                   s->symbol, s->base, s->quote);
    sim_buf_puts(b, "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":");
    sim_buf_money(b, s->tick);
    sim_buf_puts(b, ",\"maxPrice\":");
    sim_buf_money(b, s->max_price);
    sim_buf_puts(b, ",\"tickSize\":");
    sim_buf_money(b, s->tick);
    sim_buf_puts(b, "},{\"filterType\":\"LOT_SIZE\",\"minQty\":");
    sim_buf_money(b, s->step);
    sim_buf_puts(b, ",\"maxQty\":");
    sim_buf_money(b, s->max_qty);
    sim_buf_puts(b, ",\"stepSize\":");
    sim_buf_money(b, s->step);
    sim_buf_puts(b, "},{\"filterType\":\"MARKET_LOT_SIZE\",\"minQty\":");
    sim_buf_money(b, 0);
    sim_buf_puts(b, ",\"maxQty\":");
    sim_buf_money(b, s->market_max_qty);
    sim_buf_puts(b, ",\"stepSize\":");
    sim_buf_money(b, 0);
    sim_buf_puts(b, "},{\"filterType\":\"NOTIONAL\",\"minNotional\":");
    sim_buf_money(b, s->min_notional);
    sim_buf_puts(b, ",\"applyMinToMarket\":true,\"maxNotional\":");
    sim_buf_money(b, s->max_notional);
    sim_buf_puts(b, ",\"applyMaxToMarket\":false,\"avgPriceMins\":5}],\"permissions\":[],"
                    "\"permissionSets\":[[\"SPOT\"]],"
                    "\"defaultSelfTradePreventionMode\":\"EXPIRE_MAKER\","
                    "\"allowedSelfTradePreventionModes\":[\"NONE\",\"EXPIRE_TAKER\","
                    "\"EXPIRE_MAKER\",\"EXPIRE_BOTH\",\"DECREMENT\"]}");
}

static int h_exchange_info(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    size_t idx[SIM_MAX_SYMBOLS];
    size_t n = 0;
    const char *one = sim_params_get(req->params, "symbol");
    const char *many = sim_params_get(req->params, "symbols");
    if (one && many)
        return binance_error(r, 400, -1128, "Combination of optional parameters invalid.");
    if (one) {
        if (need_symbol(ctx, req, r, &idx[0]) != RT_OK)
            return sim_buf_err(&r->body);
        n = 1;
    } else if (many) {
        if (need_symbols(ctx, many, r, idx, SIM_MAX_SYMBOLS, &n) != RT_OK)
            return sim_buf_err(&r->body);
    } else {
        n = sim_market_count(ctx->market);
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
    }
    sim_buf_t *b = &r->body;
    sim_buf_printf(b,
                   "{\"timezone\":\"UTC\",\"serverTime\":%lld,\"rateLimits\":["
                   "{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
                   "\"intervalNum\":1,\"limit\":%d},"
                   "{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,"
                   "\"limit\":100},"
                   "{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,"
                   "\"limit\":200000},"
                   "{\"rateLimitType\":\"RAW_REQUESTS\",\"interval\":\"MINUTE\","
                   "\"intervalNum\":5,\"limit\":300000}],\"exchangeFilters\":[],\"symbols\":[",
                   (long long)ctx->sim_now_ms, SIM_WEIGHT_LIMIT);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sim_buf_puts(b, ",");
        write_symbol_info(b, sim_market_spec(ctx->market, idx[i]));
    }
    sim_buf_puts(b, "]}");
    return set_json(r, 200);
}

/* Shared by /api/v3/klines and /admin/closed: validates symbol, interval, startTime, endTime,
 * limit (and timeZone) and writes the selected rows. */
static int klines_common(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r,
                         bool closed_only, size_t default_limit, size_t max_limit)
{
    size_t idx;
    if (need_symbol(ctx, req, r, &idx) != RT_OK)
        return sim_buf_err(&r->body);
    const char *iv_s = sim_params_get(req->params, "interval");
    if (iv_s == NULL || iv_s[0] == '\0')
        return mandatory(r, "interval");
    sim_interval_t iv;
    if (sim_interval_parse(iv_s, strlen(iv_s), &iv) != RT_OK)
        return binance_error(r, 400, -1120, "Invalid interval.");
    bool has_start, has_end, has_limit;
    int64_t start = 0, end = 0, limit = (int64_t)default_limit;
    if (opt_number(req, r, "startTime", &has_start, &start) != RT_OK ||
        opt_number(req, r, "endTime", &has_end, &end) != RT_OK ||
        opt_number(req, r, "limit", &has_limit, &limit) != RT_OK)
        return sim_buf_err(&r->body);
    if (!has_limit)
        limit = (int64_t)default_limit;
    if (limit < 1 || (uint64_t)limit > max_limit)
        return not_valid(r, "limit");
    const char *tz = sim_params_get(req->params, "timeZone");
    if (tz && tz[0] && strcmp(tz, "0") != 0 && strcmp(tz, "+0") != 0 && strcmp(tz, "00:00") != 0 &&
        strcmp(tz, "+00:00") != 0 && strcmp(tz, "0:00") != 0)
        return not_valid(r, "timeZone");
    if (has_start && has_end && start > end)
        return binance_error(r, 400, -1023, "Start time is greater than end time.");

    sim_buf_t *b = &r->body;
    sim_buf_puts(b, "[");
    if (sim_market_serves(ctx->market, idx, iv)) {
        const sim_klines_t *k = sim_market_klines(ctx->market, idx);
        size_t first, n;
        sim_klines_select(k, iv, has_start, start, has_end, end, (size_t)limit, closed_only, &first,
                          &n);
        for (size_t i = 0; i < n; i++) {
            if (i)
                sim_buf_puts(b, ",");
            sim_payload_kline_row(b, sim_klines_get(k, iv, first + i, NULL));
        }
    }
    sim_buf_puts(b, "]");
    return set_json(r, 200);
}

static int h_klines(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    return klines_common(ctx, req, r, false, 500, 1000);
}

static void write_price(sim_buf_t *b, const sim_market_t *m, size_t i)
{
    const sim_spec_t *s = sim_market_spec(m, i);
    rt_money_t price;
    if (sim_market_last_price(m, i, &price) != RT_OK)
        price = s->start_price;
    sim_buf_printf(b, "{\"symbol\":\"%s\",\"price\":", s->symbol);
    sim_buf_money(b, price);
    sim_buf_puts(b, "}");
}

static int h_ticker_price(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    const char *one = sim_params_get(req->params, "symbol");
    const char *many = sim_params_get(req->params, "symbols");
    if (one && many)
        return binance_error(r, 400, -1128, "Combination of optional parameters invalid.");
    size_t idx[SIM_MAX_SYMBOLS];
    size_t n;
    if (one) {
        if (need_symbol(ctx, req, r, &idx[0]) != RT_OK)
            return sim_buf_err(&r->body);
        write_price(&r->body, ctx->market, idx[0]);
        return set_json(r, 200);
    }
    if (many) {
        if (need_symbols(ctx, many, r, idx, SIM_MAX_SYMBOLS, &n) != RT_OK)
            return sim_buf_err(&r->body);
    } else {
        n = sim_market_count(ctx->market);
        for (size_t i = 0; i < n; i++)
            idx[i] = i;
    }
    sim_buf_puts(&r->body, "[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            sim_buf_puts(&r->body, ",");
        write_price(&r->body, ctx->market, idx[i]);
    }
    sim_buf_puts(&r->body, "]");
    return set_json(r, 200);
}

/* ---- health and metrics ------------------------------------------------------------------ */

static int h_health(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    (void)req;
    const sim_stats_t *st = ctx->stats;
    sim_buf_printf(&r->body,
                   "{\"status\":\"ok\",\"simTime\":%lld,\"speed\":%lld,\"symbols\":%zu,"
                   "\"connections\":%llu,\"candlesClosed\":%llu,\"pingsMuted\":%s,"
                   "\"refusing\":%s}",
                   (long long)ctx->sim_now_ms, (long long)(st ? st->speed : 0),
                   sim_market_count(ctx->market), (unsigned long long)(st ? st->connections : 0),
                   (unsigned long long)(st ? st->candles_closed : 0),
                   st && st->pings_muted ? "true" : "false", st && st->refusing ? "true" : "false");
    return set_json(r, 200);
}

static void metric(sim_buf_t *b, const char *name, const char *type, const char *help,
                   unsigned long long v)
{
    sim_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name, v);
}

static int h_metrics(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    (void)req;
    sim_stats_t zero = {0};
    const sim_stats_t *st = ctx->stats ? ctx->stats : &zero;
    sim_buf_t *b = &r->body;
    metric(b, "sim_ws_connections", "gauge", "Open WebSocket connections.", st->connections);
    metric(b, "sim_ws_connects_total", "counter", "WebSocket connections accepted.",
           st->connects_total);
    metric(b, "sim_ws_refused_total", "counter", "WebSocket upgrades refused.", st->refused_total);
    metric(b, "sim_ws_dropped_total", "counter", "WebSocket connections dropped by the server.",
           st->dropped_total);
    metric(b, "sim_ws_messages_sent_total", "counter", "WebSocket messages sent.",
           st->messages_sent);
    metric(b, "sim_candles_closed_total", "counter", "Klines closed since the start.",
           st->candles_closed);
    metric(b, "sim_trades_total", "counter", "Trades generated, history included.",
           sim_market_trades(ctx->market));
    metric(b, "sim_rest_requests_total", "counter", "HTTP requests answered.", st->rest_requests);
    metric(b, "sim_time_ms", "gauge", "The simulated clock.", (unsigned long long)ctx->sim_now_ms);
    r->status = 200;
    r->content_type = TEXT_TYPE;
    return sim_buf_err(b);
}

/* ---- admin ------------------------------------------------------------------------------- */

static int admin_seconds(const sim_rest_req_t *req, sim_rest_resp_t *r, int64_t *out)
{
    const char *v = sim_params_get(req->params, "seconds");
    int64_t s;
    if (v == NULL || rt_str_parse_int64(v, &s) != RT_OK || s < 0 || s > 86400) {
        own_error(r, 400, "bad_request", "seconds must be an integer from 0 to 86400");
        return RT_EINVAL;
    }
    *out = s;
    return RT_OK;
}

static int admin_ok(sim_rest_resp_t *r, sim_admin_action_t action, const char *name,
                    int64_t seconds)
{
    r->action = action;
    r->action_seconds = seconds;
    sim_buf_printf(&r->body, "{\"ok\":true,\"action\":\"%s\",\"seconds\":%lld}", name,
                   (long long)seconds);
    return set_json(r, 200);
}

static int h_admin_drop(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    (void)ctx;
    (void)req;
    return admin_ok(r, SIM_ADMIN_DROP, "drop", 0);
}

static int h_admin_mute(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    (void)ctx;
    int64_t s;
    if (admin_seconds(req, r, &s) != RT_OK)
        return sim_buf_err(&r->body);
    return admin_ok(r, SIM_ADMIN_MUTE_PINGS, "mute-pings", s);
}

static int h_admin_refuse(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    (void)ctx;
    int64_t s;
    if (admin_seconds(req, r, &s) != RT_OK)
        return sim_buf_err(&r->body);
    return admin_ok(r, SIM_ADMIN_REFUSE, "refuse", s);
}

static int h_admin_shutdown(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                            sim_rest_resp_t *r)
{
    (void)ctx;
    (void)req;
    return admin_ok(r, SIM_ADMIN_SHUTDOWN_EVENT, "shutdown-event", 0);
}

/* More than any ring holds (SIM_HISTORY <= 10000). */
#define ADMIN_CLOSED_MAX 1000000

static int h_admin_closed(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    return klines_common(ctx, req, r, true, ADMIN_CLOSED_MAX, ADMIN_CLOSED_MAX);
}

/* ---- signed ------------------------------------------------------------------------------ */

static int h_signed(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    return sim_faults_signed(ctx->faults, ctx, req, r);
}

static int h_admin_order_fault(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                               sim_rest_resp_t *r)
{
    return sim_faults_admin_set(ctx->faults, req, r);
}

static int h_admin_order_requests(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                                  sim_rest_resp_t *r)
{
    return sim_faults_admin_get(ctx->faults, req, r);
}

/* ---- routing ----------------------------------------------------------------------------- */

typedef int (*handler_fn)(const sim_rest_ctx_t *, const sim_rest_req_t *, sim_rest_resp_t *);

enum { ROUTE_ADMIN = 1 };

static const struct {
    sim_http_method_t method;
    const char *path;
    int weight; /* Binance's request weight; 0 for our own endpoints */
    unsigned flags;
    handler_fn fn;
} routes[] = {
    {SIM_HTTP_GET, "/api/v3/ping", 1, 0, h_ping},
    {SIM_HTTP_GET, "/api/v3/time", 1, 0, h_time},
    {SIM_HTTP_GET, "/api/v3/exchangeInfo", 20, 0, h_exchange_info},
    {SIM_HTTP_GET, "/api/v3/klines", 2, 0, h_klines},
    {SIM_HTTP_GET, "/api/v3/ticker/price", 2, 0, h_ticker_price}, /* 4 without symbol */
    /* Signed: sim_account_handle (account.h) checks key, signature and timestamp. Binance
     * charges a successful order 0 since 2026-04-02; the sim charges 1 before it knows. */
    {SIM_HTTP_POST, "/api/v3/order", 1, 0, h_signed},
    {SIM_HTTP_POST, "/api/v3/order/test", 1, 0, h_signed},
    {SIM_HTTP_GET, "/api/v3/order", 4, 0, h_signed},
    {SIM_HTTP_DELETE, "/api/v3/order", 1, 0, h_signed},
    {SIM_HTTP_GET, "/api/v3/account", 20, 0, h_signed},
    {SIM_HTTP_GET, "/api/v3/openOrders", 6, 0, h_signed}, /* 80 without symbol */
    {SIM_HTTP_GET, "/api/v3/myTrades", 20, 0, h_signed},
    {SIM_HTTP_GET, "/health", 0, 0, h_health},
    {SIM_HTTP_GET, "/metrics", 0, 0, h_metrics},
    {SIM_HTTP_POST, "/admin/drop", 0, ROUTE_ADMIN, h_admin_drop},
    {SIM_HTTP_POST, "/admin/mute-pings", 0, ROUTE_ADMIN, h_admin_mute},
    {SIM_HTTP_POST, "/admin/refuse", 0, ROUTE_ADMIN, h_admin_refuse},
    {SIM_HTTP_POST, "/admin/shutdown-event", 0, ROUTE_ADMIN, h_admin_shutdown},
    {SIM_HTTP_GET, "/admin/closed", 0, ROUTE_ADMIN, h_admin_closed},
    {SIM_HTTP_POST, "/admin/order-fault", 0, ROUTE_ADMIN, h_admin_order_fault},
    {SIM_HTTP_GET, "/admin/order-requests", 0, ROUTE_ADMIN, h_admin_order_requests},
};

/* Charges weight to the client's minute and returns the minute's total. */
static int charge(sim_weights_t *w, const char *ip, int64_t now_ms, int weight)
{
    if (w == NULL)
        return weight;
    int64_t minute = now_ms / 60000;
    const char *key = ip ? ip : "";
    size_t victim = 0;
    for (size_t i = 0; i < SIM_WEIGHT_SLOTS; i++) {
        if (strcmp(w->slot[i].ip, key) == 0) {
            if (w->slot[i].minute != minute) {
                w->slot[i].minute = minute;
                w->slot[i].used = 0;
            }
            w->slot[i].used += weight;
            return w->slot[i].used;
        }
        if (w->slot[i].minute < w->slot[victim].minute)
            victim = i;
    }
    (void)rt_str_copy(w->slot[victim].ip, sizeof w->slot[victim].ip, key);
    w->slot[victim].minute = minute;
    w->slot[victim].used = weight;
    return weight;
}

int sim_rest_handle(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *resp)
{
    sim_buf_reset(&resp->body);
    resp->status = 0;
    resp->content_type = JSON_TYPE;
    resp->retry_after = 0;
    resp->delay_ms = 0;
    resp->action = SIM_ADMIN_NONE;
    resp->action_seconds = 0;

    int found = -1;
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].path, req->path ? req->path : "") != 0)
            continue;
        path_known = true;
        if (routes[i].method == req->method)
            found = (int)i;
    }
    int weight = found >= 0 ? routes[found].weight : 1;
    if (found >= 0 && routes[found].fn == h_ticker_price && !sim_params_get(req->params, "symbol"))
        weight = 4;
    if (found >= 0 && strcmp(routes[found].path, "/api/v3/openOrders") == 0 &&
        !sim_params_get(req->params, "symbol"))
        weight = 80;
    resp->used_weight = charge(ctx->weights, req->peer, ctx->real_now_ms, weight);

    if (found < 0) {
        resp->status = path_known ? 405 : 404;
        return RT_OK;
    }
    if (routes[found].weight > 0 && resp->used_weight > SIM_WEIGHT_LIMIT) {
        resp->retry_after = (int)(60 - (ctx->real_now_ms / 1000) % 60);
        return binance_error(resp, 429, -1003,
                             "Too much request weight used; current limit is %d request weight "
                             "per 1 MINUTE. Please use WebSocket Streams for live updates to "
                             "avoid polling the API.",
                             SIM_WEIGHT_LIMIT);
    }
    if ((routes[found].flags & ROUTE_ADMIN) && !req->peer_loopback)
        return own_error(resp, 403, "forbidden", "admin endpoints answer loopback clients only");
    return routes[found].fn(ctx, req, resp);
}
