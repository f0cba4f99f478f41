/* Strict parsers for the exchange's REST replies, on top of jansson. Every rejection says
 * why in one WARN line: the reply is outside input, and the operator needs the field. */
#include "rt/exparse.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rt/err.h"
#include "rt/log.h"

#define MOD "exparse"
#define NAME_MAX_LEN 20
#define PRECISION_MAX 8
#define KLINE_FIELDS 12

/* Parses the whole reply; the jansson error text goes to the log. */
static int load(const char *what, const char *json, size_t len, json_t **root)
{
    if (json == NULL || len == 0)
        return RT_EINVAL;
    if (len > RT_EXPARSE_MAX_INPUT) {
        rt_log_warn(MOD, "%s: reply too large bytes=%zu max=%zu", what, len, RT_EXPARSE_MAX_INPUT);
        return RT_ETOOBIG;
    }
    json_error_t err;
    json_t *j = json_loadb(json, len, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL) {
        rt_log_warn(MOD, "%s: invalid JSON line=%d column=%d: %s", what, err.line, err.column,
                    err.text);
        return RT_EINVAL;
    }
    *root = j;
    return RT_OK;
}

/* A price or quantity: a JSON string of decimal text. */
static int money_value(const json_t *v, rt_money_t *out)
{
    if (!json_is_string(v))
        return RT_EINVAL;
    return rt_money_parse_n(json_string_value(v), json_string_length(v), out);
}

/* A maximum: as money_value, but a positive value beyond rt_money_t saturates (nothing we can
 * represent is above it, so the rule is the same). */
static int money_max_value(const json_t *v, rt_money_t *out)
{
    int rc = money_value(v, out);
    if (rc == RT_ERANGE && json_string_value(v)[0] != '-') {
        *out = RT_MONEY_MAX;
        rc = RT_OK;
    }
    return rc;
}

static int int_value(const json_t *v, int64_t *out)
{
    if (!json_is_integer(v))
        return RT_EINVAL;
    *out = (int64_t)json_integer_value(v);
    return RT_OK;
}

/* 1..20 upper-case ASCII letters or digits: a symbol or an asset we can name. */
static bool valid_name(const json_t *v)
{
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > NAME_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    }
    return true;
}

static void copy_name(char *dst, size_t cap, const json_t *v)
{
    snprintf(dst, cap, "%s", json_string_value(v)); /* fits: checked by valid_name */
}

/* ---- klines ---------------------------------------------------------------------------- */

static int kline_row(const json_t *row, size_t i, int64_t now_ms, rt_candle_t *c)
{
    static const char *const money_names[] = {"open", "high", "low", "close", "volume"};
    rt_money_t *money_fields[] = {&c->open, &c->high, &c->low, &c->close, &c->volume};
    int rc;

    if (!json_is_array(row) || json_array_size(row) < KLINE_FIELDS) {
        rt_log_warn(MOD, "klines: row=%zu is not an array of %d elements (size=%zu)", i,
                    KLINE_FIELDS, json_is_array(row) ? json_array_size(row) : 0);
        return RT_EINVAL;
    }
    if (int_value(json_array_get(row, 0), &c->open_time) != RT_OK || c->open_time < 0) {
        rt_log_warn(MOD, "klines: row=%zu field=open_time: not a non-negative integer", i);
        return RT_EINVAL;
    }
    for (size_t f = 0; f < 5; f++) {
        rc = money_value(json_array_get(row, f + 1), money_fields[f]);
        if (rc == RT_OK && *money_fields[f] < 0)
            rc = RT_EINVAL;
        if (rc != RT_OK) {
            rt_log_warn(MOD, "klines: row=%zu field=%s: not a decimal string in range (%s)", i,
                        money_names[f], rt_strerror(rc));
            return rc;
        }
    }
    if (int_value(json_array_get(row, 6), &c->close_time) != RT_OK ||
        c->close_time <= c->open_time) {
        rt_log_warn(MOD, "klines: row=%zu field=close_time: not an integer after open_time", i);
        return RT_EINVAL;
    }
    if (c->low > c->high || c->open < c->low || c->open > c->high || c->close < c->low ||
        c->close > c->high) {
        rt_log_warn(MOD, "klines: row=%zu open_time=%lld: prices outside [low, high]", i,
                    (long long)c->open_time);
        return RT_EINVAL;
    }
    c->closed = c->close_time < now_ms;
    return RT_OK;
}

int rt_exparse_klines(const char *json, size_t len, const char *symbol, const char *interval,
                      int64_t now_ms, rt_candle_t **out, size_t *count)
{
    json_t *root = NULL;
    rt_candle_t *candles = NULL;
    size_t n = 0;
    int rc;

    if (symbol == NULL || interval == NULL || out == NULL || count == NULL || strlen(symbol) == 0 ||
        strlen(symbol) >= RT_SYMBOL_CAP || strlen(interval) == 0 ||
        strlen(interval) >= RT_INTERVAL_CAP)
        return RT_EINVAL;
    rc = load("klines", json, len, &root);
    if (rc != RT_OK)
        return rc;
    if (!json_is_array(root)) {
        rt_log_warn(MOD, "klines: reply is not an array");
        rc = RT_EINVAL;
        goto out;
    }
    n = json_array_size(root);
    if (n > RT_EXPARSE_MAX_KLINES) {
        rt_log_warn(MOD, "klines: too many rows=%zu max=%d", n, RT_EXPARSE_MAX_KLINES);
        rc = RT_ETOOBIG;
        goto out;
    }
    if (n > 0) {
        candles = calloc(n, sizeof *candles);
        if (candles == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        rt_candle_t *c = &candles[i];
        snprintf(c->symbol, sizeof c->symbol, "%s", symbol);
        snprintf(c->interval, sizeof c->interval, "%s", interval);
        rc = kline_row(json_array_get(root, i), i, now_ms, c);
        if (rc != RT_OK)
            goto out;
        if (i > 0 && c->open_time <= candles[i - 1].open_time) {
            rt_log_warn(MOD, "klines: row=%zu open_time=%lld not after the previous row", i,
                        (long long)c->open_time);
            rc = RT_EINVAL;
            goto out;
        }
    }
    *out = candles;
    *count = n;
    candles = NULL;
out:
    free(candles);
    json_decref(root);
    return rc;
}

/* ---- exchangeInfo ---------------------------------------------------------------------- */

/* The field of a filter object, logged when missing or malformed. */
struct filter_ctx {
    const char *symbol;
    const char *type;
    const json_t *obj;
};

static int filter_fail(const struct filter_ctx *f, const char *field, int rc)
{
    rt_log_warn(MOD, "exchangeInfo: symbol=%s filter=%s field=%s: missing or malformed (%s)",
                f->symbol, f->type, field, rt_strerror(rc));
    return rc;
}

static int filter_twice(const struct filter_ctx *f)
{
    rt_log_warn(MOD, "exchangeInfo: symbol=%s filter=%s: listed twice", f->symbol, f->type);
    return RT_EINVAL;
}

static int filter_money(const struct filter_ctx *f, const char *field, bool is_max, rt_money_t *out)
{
    const json_t *v = json_object_get(f->obj, field);
    int rc = is_max ? money_max_value(v, out) : money_value(v, out);
    if (rc == RT_OK && *out < 0)
        rc = RT_EINVAL;
    return rc == RT_OK ? RT_OK : filter_fail(f, field, rc);
}

static int filter_bool(const struct filter_ctx *f, const char *field, bool *out)
{
    const json_t *v = json_object_get(f->obj, field);
    if (!json_is_boolean(v))
        return filter_fail(f, field, RT_EINVAL);
    *out = json_is_true(v);
    return RT_OK;
}

static int filter_mins(const struct filter_ctx *f, int *out)
{
    int64_t v;
    if (int_value(json_object_get(f->obj, "avgPriceMins"), &v) != RT_OK || v < 0 || v > 100000)
        return filter_fail(f, "avgPriceMins", RT_EINVAL);
    *out = (int)v;
    return RT_OK;
}

static int range_filter(const struct filter_ctx *f, const char *min, const char *max,
                        const char *step, rt_range_filter_t *out)
{
    int rc;
    if (out->present)
        return filter_twice(f);
    if ((rc = filter_money(f, min, false, &out->min)) != RT_OK ||
        (rc = filter_money(f, max, true, &out->max)) != RT_OK ||
        (rc = filter_money(f, step, false, &out->step)) != RT_OK)
        return rc;
    out->present = true;
    return RT_OK;
}

static int notional_filter(const struct filter_ctx *f, rt_notional_filter_t *out)
{
    int rc;
    if (out->present)
        return filter_twice(f);
    if ((rc = filter_money(f, "minNotional", false, &out->min_notional)) != RT_OK ||
        (rc = filter_money(f, "maxNotional", true, &out->max_notional)) != RT_OK ||
        (rc = filter_bool(f, "applyMinToMarket", &out->apply_min_to_market)) != RT_OK ||
        (rc = filter_bool(f, "applyMaxToMarket", &out->apply_max_to_market)) != RT_OK ||
        (rc = filter_mins(f, &out->avg_price_mins)) != RT_OK)
        return rc;
    out->present = true;
    return RT_OK;
}

static int min_notional_filter(const struct filter_ctx *f, rt_min_notional_filter_t *out)
{
    int rc;
    if (out->present)
        return filter_twice(f);
    if ((rc = filter_money(f, "minNotional", false, &out->min_notional)) != RT_OK ||
        (rc = filter_bool(f, "applyToMarket", &out->apply_to_market)) != RT_OK ||
        (rc = filter_mins(f, &out->avg_price_mins)) != RT_OK)
        return rc;
    out->present = true;
    return RT_OK;
}

static int symbol_filters(const json_t *filters, rt_symbol_info_t *s)
{
    if (!json_is_array(filters)) {
        rt_log_warn(MOD, "exchangeInfo: symbol=%s field=filters: not an array", s->symbol);
        return RT_EINVAL;
    }
    for (size_t i = 0; i < json_array_size(filters); i++) {
        const json_t *obj = json_array_get(filters, i);
        const json_t *type = json_object_get(obj, "filterType");
        if (!json_is_object(obj) || !json_is_string(type)) {
            rt_log_warn(MOD, "exchangeInfo: symbol=%s filter=%zu: no filterType", s->symbol, i);
            return RT_EINVAL;
        }
        struct filter_ctx f = {s->symbol, json_string_value(type), obj};
        int rc = RT_OK;
        if (strcmp(f.type, "PRICE_FILTER") == 0)
            rc = range_filter(&f, "minPrice", "maxPrice", "tickSize", &s->price);
        else if (strcmp(f.type, "LOT_SIZE") == 0)
            rc = range_filter(&f, "minQty", "maxQty", "stepSize", &s->lot);
        else if (strcmp(f.type, "MARKET_LOT_SIZE") == 0)
            rc = range_filter(&f, "minQty", "maxQty", "stepSize", &s->market_lot);
        else if (strcmp(f.type, "NOTIONAL") == 0)
            rc = notional_filter(&f, &s->notional);
        else if (strcmp(f.type, "MIN_NOTIONAL") == 0)
            rc = min_notional_filter(&f, &s->min_notional);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

static int precision(const json_t *obj, const char *field, const char *symbol, int *out)
{
    int64_t v;
    if (int_value(json_object_get(obj, field), &v) != RT_OK || v < 0 || v > PRECISION_MAX) {
        rt_log_warn(MOD, "exchangeInfo: symbol=%s field=%s: not an integer in 0..%d", symbol, field,
                    PRECISION_MAX);
        return RT_EINVAL;
    }
    *out = (int)v;
    return RT_OK;
}

static int optional_bool(const json_t *obj, const char *field, const char *symbol, bool *out)
{
    const json_t *v = json_object_get(obj, field);
    if (v == NULL) {
        *out = false;
        return RT_OK;
    }
    if (!json_is_boolean(v)) {
        rt_log_warn(MOD, "exchangeInfo: symbol=%s field=%s: not a boolean", symbol, field);
        return RT_EINVAL;
    }
    *out = json_is_true(v);
    return RT_OK;
}

/* Fills *s from one element of "symbols"; *skip is set for a symbol we cannot name. */
static int symbol_entry(const json_t *obj, size_t i, rt_symbol_info_t *s, bool *skip)
{
    const json_t *name = json_object_get(obj, "symbol");
    const json_t *status = json_object_get(obj, "status");
    const json_t *base = json_object_get(obj, "baseAsset");
    const json_t *quote = json_object_get(obj, "quoteAsset");
    int rc;

    *skip = false;
    if (!json_is_object(obj) || !json_is_string(name) || !json_is_string(status) ||
        !json_is_string(base) || !json_is_string(quote)) {
        rt_log_warn(MOD,
                    "exchangeInfo: symbols[%zu]: symbol, status, baseAsset and quoteAsset "
                    "must be strings",
                    i);
        return RT_EINVAL;
    }
    if (!valid_name(name) || !valid_name(base) || !valid_name(quote)) {
        rt_log_debug(MOD, "exchangeInfo: symbols[%zu]: name not ours, skipped", i);
        *skip = true;
        return RT_OK;
    }
    memset(s, 0, sizeof *s);
    copy_name(s->symbol, sizeof s->symbol, name);
    copy_name(s->base_asset, sizeof s->base_asset, base);
    copy_name(s->quote_asset, sizeof s->quote_asset, quote);
    s->status = rt_symbol_status_parse(json_string_value(status));
    if ((rc = precision(obj, "baseAssetPrecision", s->symbol, &s->base_precision)) != RT_OK ||
        (rc = precision(obj, "quoteAssetPrecision", s->symbol, &s->quote_precision)) != RT_OK ||
        (rc = optional_bool(obj, "isSpotTradingAllowed", s->symbol, &s->spot_allowed)) != RT_OK ||
        (rc = optional_bool(obj, "quoteOrderQtyMarketAllowed", s->symbol,
                            &s->quote_order_qty_market_allowed)) != RT_OK)
        return rc;
    return symbol_filters(json_object_get(obj, "filters"), s);
}

int rt_exparse_exchange_info(const char *json, size_t len, rt_exinfo_t *out)
{
    json_t *root = NULL;
    rt_exinfo_t info = {0};
    int rc;

    if (out == NULL)
        return RT_EINVAL;
    rc = load("exchangeInfo", json, len, &root);
    if (rc != RT_OK)
        return rc;
    const json_t *symbols = json_object_get(root, "symbols");
    if (!json_is_object(root) ||
        int_value(json_object_get(root, "serverTime"), &info.server_time) != RT_OK ||
        !json_is_array(symbols)) {
        rt_log_warn(MOD, "exchangeInfo: reply needs an integer serverTime and a symbols array");
        rc = RT_EINVAL;
        goto out;
    }
    size_t n = json_array_size(symbols);
    if (n > 0) {
        info.symbols = calloc(n, sizeof *info.symbols);
        if (info.symbols == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < n; i++) {
        bool skip;
        rc = symbol_entry(json_array_get(symbols, i), i, &info.symbols[info.count], &skip);
        if (rc != RT_OK)
            goto out;
        if (skip)
            info.skipped++;
        else
            info.count++;
    }
    *out = info;
    info.symbols = NULL;
out:
    rt_exinfo_cleanup(&info);
    json_decref(root);
    return rc;
}

/* ---- server time, error body ----------------------------------------------------------- */

int rt_exparse_server_time(const char *json, size_t len, int64_t *out)
{
    json_t *root = NULL;
    int64_t t = 0;
    int rc;

    if (out == NULL)
        return RT_EINVAL;
    rc = load("time", json, len, &root);
    if (rc != RT_OK)
        return rc;
    if (!json_is_object(root) || int_value(json_object_get(root, "serverTime"), &t) != RT_OK ||
        t <= 0) {
        rt_log_warn(MOD, "time: reply needs a positive integer serverTime");
        rc = RT_EINVAL;
        goto out;
    }
    *out = t;
out:
    json_decref(root);
    return rc;
}

int rt_exparse_error(const char *json, size_t len, int *code, char *msg, size_t cap)
{
    json_t *root = NULL;
    int64_t c = 0;
    int rc;

    if (code == NULL || msg == NULL || cap == 0)
        return RT_EINVAL;
    if (json == NULL || len == 0 || len > RT_EXPARSE_MAX_INPUT)
        return RT_EINVAL;
    /* not through load(): a non-JSON error page (a proxy's HTML) is expected, not news */
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    const json_t *m = json_object_get(root, "msg");
    if (!json_is_object(root) || int_value(json_object_get(root, "code"), &c) != RT_OK ||
        c < INT32_MIN || c > INT32_MAX || !json_is_string(m)) {
        rc = RT_EINVAL;
        goto out;
    }
    *code = (int)c;
    snprintf(msg, cap, "%s", json_string_value(m));
    rc = RT_OK;
out:
    json_decref(root);
    return rc;
}
