/* POST /trade's body parser (tr_request.h): pure, no I/O. */
#include "tr_request.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "rt/err.h"
#include "rt/msg.h"
#include "rt/str.h"

static int refuse(tr_request_error_t *err, unsigned status, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int refuse(tr_request_error_t *err, unsigned status, const char *code, const char *field,
                  const char *fmt, ...)
{
    tr_request_error_t e;
    memset(&e, 0, sizeof e);
    e.status = status;
    snprintf(e.code, sizeof e.code, "%s", code);
    snprintf(e.field, sizeof e.field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.message, sizeof e.message, fmt, ap);
    va_end(ap);
    *err = e;
    return status == 413 ? RT_ETOOBIG : RT_EINVAL;
}

/* A money field: a JSON number or decimal string, > 0, at most 8 decimals. */
static int money_of(const json_t *v, const char *field, rt_money_t *out, tr_request_error_t *err)
{
    rt_money_t m = 0;
    int rc = RT_EINVAL;
    if (json_is_string(v)) {
        rc = rt_money_parse(json_string_value(v), &m);
    } else if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        rc = i >= 0 && i <= RT_MONEY_MAX / RT_MONEY_SCALE ? RT_OK : RT_ERANGE;
        m = rc == 0 ? RT_MONEY_UNITS(i) : 0;
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        rc = rt_money_from_double(d, &m);
        /* more than 8 decimals: the nearest 8-decimal value is not the number given */
        if (rc == 0 && rt_money_to_double(m) != d)
            rc = RT_ERANGE;
    }
    if (rc != 0 || m <= 0)
        return refuse(err, 400, "bad_request", field,
                      "field '%s': a positive number with at most 8 decimals", field);
    *out = m;
    return RT_OK;
}

int tr_trade_request_parse(const char *body, size_t len, tr_trade_request_t *out,
                           tr_request_error_t *err)
{
    static const char *const known[] = {"symbol", "side",  "quantity",  "quote_quantity",
                                        "type",   "price", "stop_loss", "take_profit"};
    if (!out || !err || (!body && len > 0))
        return RT_EINVAL;
    if (len > TR_REQUEST_BODY_MAX)
        return refuse(err, 413, "too_large", NULL, "the body is over %u bytes",
                      TR_REQUEST_BODY_MAX);
    if (len == 0)
        return refuse(err, 400, "bad_request", NULL, "the body is empty: a JSON object is needed");
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    int rc = RT_OK;
    tr_trade_request_t t;
    memset(&t, 0, sizeof t);
    if (!j) {
        char esc[100];
        rt_str_escape(esc, sizeof esc, je.text, strnlen(je.text, sizeof je.text));
        rc = refuse(err, 400, "bad_request", NULL, "not JSON (line %d, column %d): %s", je.line,
                    je.column, esc);
        goto out;
    }
    if (!json_is_object(j)) {
        rc = refuse(err, 400, "bad_request", NULL, "the body must be a JSON object");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok = ok || strcmp(key, known[i]) == 0;
        if (!ok) {
            char esc[80];
            rt_str_escape(esc, sizeof esc, key, strlen(key));
            rc = refuse(err, 400, "bad_request", "", "unknown field '%s'", esc);
            goto out;
        }
    }
    const json_t *sym = json_object_get(j, "symbol"), *side = json_object_get(j, "side"),
                 *type = json_object_get(j, "type");
    if (!json_is_string(sym) || !rt_msg_symbol_valid(json_string_value(sym)) ||
        rt_str_copy(t.symbol, sizeof t.symbol, json_string_value(sym)) != 0) {
        rc = refuse(err, 400, "bad_request", "symbol",
                    "field 'symbol': 1..20 upper-case letters or digits (BTCUSDC)");
        goto out;
    }
    if (!json_is_string(side) || rt_side_parse(json_string_value(side), &t.side) != 0) {
        rc = refuse(err, 400, "bad_request", "side", "field 'side': BUY or SELL");
        goto out;
    }
    if (type && (!json_is_string(type) || (strcmp(json_string_value(type), "MARKET") != 0 &&
                                           strcmp(json_string_value(type), "LIMIT") != 0))) {
        rc = refuse(err, 400, "bad_request", "type", "field 'type': MARKET or LIMIT");
        goto out;
    }
    t.limit = type && strcmp(json_string_value(type), "LIMIT") == 0;
    const json_t *q = json_object_get(j, "quantity"), *qq = json_object_get(j, "quote_quantity"),
                 *px = json_object_get(j, "price"), *sl = json_object_get(j, "stop_loss"),
                 *tp = json_object_get(j, "take_profit");
    if (q && qq) {
        rc = refuse(err, 400, "bad_request", "quote_quantity",
                    "give either 'quantity' or 'quote_quantity', not both");
        goto out;
    }
    if ((q && (rc = money_of(q, "quantity", &t.quantity, err)) != 0) ||
        (qq && (rc = money_of(qq, "quote_quantity", &t.quote_quantity, err)) != 0) ||
        (px && (rc = money_of(px, "price", &t.price, err)) != 0) ||
        (sl && (rc = money_of(sl, "stop_loss", &t.stop_loss, err)) != 0) ||
        (tp && (rc = money_of(tp, "take_profit", &t.take_profit, err)) != 0))
        goto out;
    if (t.limit && !px) {
        rc = refuse(err, 400, "bad_request", "price", "field 'price' is required for LIMIT");
        goto out;
    }
    if (!t.limit && px) {
        rc = refuse(err, 400, "bad_request", "price", "field 'price' is only for LIMIT orders");
        goto out;
    }
    if (t.limit && qq) {
        rc = refuse(err, 400, "bad_request", "quote_quantity",
                    "field 'quote_quantity' is only for MARKET orders: a LIMIT order gives "
                    "'quantity'");
        goto out;
    }
    if (t.limit && !q) {
        rc = refuse(err, 400, "bad_request", "quantity", "field 'quantity' is required for LIMIT");
        goto out;
    }
    if (!q && !qq && t.side == RT_SIDE_BUY) {
        rc = refuse(err, 400, "bad_request", "quantity",
                    "field 'quantity' (or 'quote_quantity') is required");
        goto out;
    }
    *out = t;
out:
    json_decref(j);
    return rc;
}
