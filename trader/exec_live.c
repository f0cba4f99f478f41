/* Live execution: MARKET orders sent to the exchange (Binance spot or the simulator) over the
 * signed REST client (rt/exrest.h). The order row is committed PENDING before anything is
 * sent; an answer that may hide an executed order (5xx, timeout) is never resent but looked up
 * by its client order id. This file only talks to the exchange and turns its replies into
 * tr_live_result_t; service.c books them. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr_filters.h"

#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/log.h"
#include "rt/str.h"
#include "rt/time.h"
#include "tr_svc.h"

#define LIVE_LOOKUP_TRIES 6

struct tr_live {
    pthread_mutex_t lock; /* the client is not thread-safe: loop and API share it */
    rt_exrest_t *rest;
};

static int money_field(const json_t *o, const char *key, rt_money_t *out)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        return RT_EPROTO;
    return rt_money_parse(s, out) == 0 ? RT_OK : RT_EPROTO;
}

int tr_live_init(tr_svc_t *svc)
{
    const tr_svc_config_t *c = &svc->cfg;
    if (!c->binance_api_key[0] || !c->binance_secret_key[0]) {
        rt_log_error("live", "TRADING_MODE=live needs BINANCE_API_KEY and BINANCE_SECRET_KEY "
                             "(missing: %s%s%s): refusing to start",
                     c->binance_api_key[0] ? "" : "BINANCE_API_KEY",
                     !c->binance_api_key[0] && !c->binance_secret_key[0] ? ", " : "",
                     c->binance_secret_key[0] ? "" : "BINANCE_SECRET_KEY");
        return RT_EAUTH;
    }
    struct tr_live *l = calloc(1, sizeof *l);
    if (!l)
        return RT_ENOMEM;
    pthread_mutex_init(&l->lock, NULL);
    svc->live = l;
    int rc = rt_exrest_global_init();
    rt_exrest_config_t rc_cfg = {.base_url = c->exchange_rest_url,
                                 .api_key = c->binance_api_key,
                                 .secret_key = c->binance_secret_key};
    if (rc == 0)
        rc = rt_exrest_new(&rc_cfg, &l->rest);
    if (rc != 0) {
        rt_log_error("live", "exchange client not created url=%s err=%s", c->exchange_rest_url,
                     rt_strerror(rc));
        return rc;
    }
    rt_log_warn("live", "LIVE MODE: REAL orders will be sent to %s", c->exchange_rest_url);
    if ((rc = rt_exrest_sync_time(l->rest)) != 0) {
        rt_log_error("live", "time sync with %s failed err=%s", c->exchange_rest_url,
                     rt_strerror(rc));
        return rc;
    }
    rt_log_info("live", "time synced offset_ms=%lld", (long long)rt_exrest_time_offset(l->rest));
    rt_exinfo_t info;
    memset(&info, 0, sizeof info);
    if ((rc = tr_exfilters_fetch(l->rest, c->symbols, &info)) != 0) {
        rt_log_error("live", "exchange filters not loaded symbols=%s err=%s: refusing to start",
                     c->symbols, rt_strerror(rc));
        return rc;
    }
    tr_exfilters_set(svc, &info);
    return RT_OK;
}

void tr_live_free(tr_svc_t *svc)
{
    struct tr_live *l = svc->live;
    if (!l)
        return;
    rt_exrest_free(l->rest);
    pthread_mutex_destroy(&l->lock);
    free(l);
    svc->live = NULL;
}

int tr_live_balances(tr_svc_t *svc, rt_balance_t *out, size_t cap, size_t *n)
{
    struct tr_live *l = svc->live;
    rt_exrest_params_t q;
    rt_exrest_response_t r;
    json_t *j = NULL;
    size_t k = 0;
    rt_exrest_params_init(&q);
    rt_exrest_response_init(&r);
    pthread_mutex_lock(&l->lock);
    int rc = rt_exrest_params_add(&q, "omitZeroBalances", "true");
    if (rc == 0)
        rc = rt_exrest_get(l->rest, "/api/v3/account", &q, true, &r);
    pthread_mutex_unlock(&l->lock);
    if (rc != 0) {
        rt_log_warn("live", "account not read err=%s code=%d msg=%s", rt_strerror(rc),
                    r.exchange_code, r.exchange_msg);
        goto out;
    }
    j = json_loadb(r.body ? r.body : "", r.body_len, 0, NULL);
    json_t *arr = json_object_get(j, "balances");
    rc = json_is_array(arr) ? RT_OK : RT_EPROTO;
    for (size_t i = 0; rc == 0 && i < json_array_size(arr) && k < cap; i++) {
        json_t *b = json_array_get(arr, i);
        rt_balance_t x;
        memset(&x, 0, sizeof x);
        const char *asset = json_string_value(json_object_get(b, "asset"));
        if (!asset || rt_str_copy(x.asset, sizeof x.asset, asset) != 0 ||
            money_field(b, "free", &x.free) != 0 || money_field(b, "locked", &x.locked) != 0 ||
            rt_money_add(x.free, x.locked, &x.total) != 0) {
            rc = RT_EPROTO;
            break;
        }
        out[k++] = x;
    }
    if (rc != 0)
        rt_log_warn("live", "account reply malformed");
    else
        *n = k;
out:
    json_decref(j);
    rt_exrest_params_cleanup(&q);
    rt_exrest_response_cleanup(&r);
    return rc;
}

/* Reads an order reply (FULL POST answer or GET /api/v3/order) into *res. */
static int parse_order(const char *body, size_t len, const char *quote, tr_live_result_t *res)
{
    json_t *j = json_loadb(body ? body : "", len, 0, NULL);
    int rc = RT_EPROTO;
    if (!json_is_object(j))
        goto out;
    const char *status = json_string_value(json_object_get(j, "status"));
    json_t *oid = json_object_get(j, "orderId");
    rt_money_t exq = 0, cq = 0;
    if (!status || !json_is_integer(oid) || money_field(j, "executedQty", &exq) != 0 ||
        money_field(j, "cummulativeQuoteQty", &cq) != 0)
        goto out;
    res->exchange_order_id = json_integer_value(oid);
    if (strcmp(status, "NEW") == 0 || strcmp(status, "PARTIALLY_FILLED") == 0 ||
        strcmp(status, "PENDING_NEW") == 0) {
        /* a LIMIT order resting at the exchange: its fills are followed (myTrades) */
        res->outcome = TR_LIVE_RESTING;
        res->n = 0;
        snprintf(res->reason, sizeof res->reason, "resting at the exchange (%s)", status);
        rc = RT_OK;
        goto out;
    }
    if (exq <= 0) {
        res->outcome = TR_LIVE_REJECTED;
        snprintf(res->reason, sizeof res->reason, "exchange status %s, nothing executed", status);
        rc = RT_OK;
        goto out;
    }
    res->outcome = TR_LIVE_FILLED;
    json_t *fills = json_object_get(j, "fills");
    res->n = 0;
    for (size_t i = 0; json_is_array(fills) && i < json_array_size(fills); i++) {
        if (res->n >= TR_LIVE_FILLS_MAX)
            goto out;
        json_t *f = json_array_get(fills, i);
        tr_live_fill_t *x = &res->fills[res->n];
        memset(x, 0, sizeof *x);
        const char *fa = json_string_value(json_object_get(f, "commissionAsset"));
        json_t *tid = json_object_get(f, "tradeId");
        if (!fa || !json_is_integer(tid) || money_field(f, "price", &x->f.price) != 0 ||
            money_field(f, "qty", &x->f.quantity) != 0 ||
            money_field(f, "commission", &x->f.fee) != 0 ||
            rt_str_copy(x->f.fee_asset, sizeof x->f.fee_asset, fa) != 0 ||
            rt_money_mul(x->f.price, x->f.quantity, RT_ROUND_NEAREST, &x->f.quote_quantity) != 0)
            goto out;
        x->trade_id = json_integer_value(tid);
        res->n++;
    }
    if (res->n == 0) { /* a lookup: no fills, one trade from the totals (commission unknown) */
        tr_live_fill_t *x = &res->fills[0];
        memset(x, 0, sizeof *x);
        x->f.quantity = exq;
        x->f.quote_quantity = cq;
        if (rt_money_div(cq, exq, RT_ROUND_NEAREST, &x->f.price) != 0)
            goto out;
        rt_str_copy(x->f.fee_asset, sizeof x->f.fee_asset, quote);
        x->trade_id = 0;
        res->n = 1;
    }
    rc = RT_OK;
out:
    json_decref(j);
    return rc;
}

/* A lookup's FILLED order carries only its totals (GET /api/v3/order has no fills): its real
 * fills (price, commission, role) come from myTrades; kept as totals (commission unknown, a
 * warning) when myTrades fails or does not add up to the executed quantity. */
static void lookup_fills(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_result_t *res)
{
    if (res->outcome != TR_LIVE_FILLED || res->n != 1 || res->fills[0].trade_id != 0)
        return;
    tr_live_fill_t *f = calloc(TR_LIVE_FILLS_MAX, sizeof *f);
    size_t n = 0;
    rt_money_t sum = 0;
    int rc = f ? tr_live_trades(svc, o->symbol, res->exchange_order_id, f, TR_LIVE_FILLS_MAX, &n)
               : RT_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = rt_money_add(sum, f[i].f.quantity, &sum);
    if (rc == 0 && n > 0 && sum == res->fills[0].f.quantity) {
        memcpy(res->fills, f, n * sizeof *f);
        res->n = n;
    } else {
        rt_log_warn("live",
                    "fills of a looked-up order not read coid=%s err=%s fills=%zu: booked from "
                    "its totals, commission unknown",
                    o->client_order_id, rt_strerror(rc), n);
    }
    free(f);
}

int tr_live_lookup(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_result_t *res)
{
    struct tr_live *l = svc->live;
    char base[TR_ASSET_NAME_CAP], quote[TR_ASSET_NAME_CAP];
    int rc = tr_exec_split_symbol(o->symbol, base, sizeof base, quote, sizeof quote);
    if (rc != 0)
        return rc;
    int64_t wait = 200;
    for (int i = 0; i < LIVE_LOOKUP_TRIES; i++) {
        rt_exrest_params_t q;
        rt_exrest_response_t r;
        rt_exrest_params_init(&q);
        rt_exrest_response_init(&r);
        rt_exrest_params_add(&q, "symbol", o->symbol);
        rt_exrest_params_add(&q, "origClientOrderId", o->client_order_id);
        pthread_mutex_lock(&l->lock);
        rc = rt_exrest_get(l->rest, "/api/v3/order", &q, true, &r);
        pthread_mutex_unlock(&l->lock);
        if (rc == 0) {
            rc = parse_order(r.body, r.body_len, quote, res);
        } else if (rc == RT_EEXCHANGE && r.exchange_code == -2013) {
            res->outcome = TR_LIVE_REJECTED;
            snprintf(res->reason, sizeof res->reason,
                     "not at the exchange (-2013 %.180s): never executed", r.exchange_msg);
            rc = RT_OK;
        } else {
            rt_log_warn("live", "order lookup failed coid=%s try=%d err=%s", o->client_order_id,
                        i + 1, rt_strerror(rc));
            if (r.retry_after_ms > wait)
                wait = r.retry_after_ms;
        }
        rt_exrest_params_cleanup(&q);
        rt_exrest_response_cleanup(&r);
        if (rc == 0)
            lookup_fills(svc, o, res);
        if (rc == 0 || rc == RT_EPROTO)
            return rc;
        rt_time_sleep_ms(wait);
        wait = wait * 2 > 5000 ? 5000 : wait * 2;
    }
    return RT_EUNKNOWN; /* still unknown: the order stays PENDING for the next start */
}

int tr_live_send(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_result_t *res)
{
    struct tr_live *l = svc->live;
    char base[TR_ASSET_NAME_CAP], quote[TR_ASSET_NAME_CAP];
    memset(res, 0, sizeof *res);
    int rc = tr_exec_split_symbol(o->symbol, base, sizeof base, quote, sizeof quote);
    if (rc != 0)
        return rc;
    rt_exrest_params_t q;
    rt_exrest_response_t r;
    rt_exrest_params_init(&q);
    rt_exrest_response_init(&r);
    rt_exrest_params_add(&q, "symbol", o->symbol);
    rt_exrest_params_add(&q, "side", rt_side_name(o->side));
    rt_exrest_params_add(&q, "type", o->limit ? "LIMIT" : "MARKET");
    if (o->limit)
        rt_exrest_params_add(&q, "timeInForce", "GTC");
    rt_exrest_params_add_money(&q, "quantity", o->quantity);
    if (o->limit)
        rt_exrest_params_add_money(&q, "price", o->price);
    rt_exrest_params_add(&q, "newClientOrderId", o->client_order_id);
    rt_exrest_params_add(&q, "newOrderRespType", "FULL");
    pthread_mutex_lock(&l->lock);
    rc = rt_exrest_post(l->rest, "/api/v3/order", &q, true, &r);
    if (rc == RT_EEXCHANGE && r.time_resynced) /* -1021: rejected, clock fixed: send again */
        rc = rt_exrest_post(l->rest, "/api/v3/order", &q, true, &r);
    pthread_mutex_unlock(&l->lock);
    if (rc == 0) {
        rc = parse_order(r.body, r.body_len, quote, res);
        if (rc != 0) { /* accepted but unreadable: ask again */
            rt_log_warn("live", "order reply unreadable coid=%s: looking it up",
                        o->client_order_id);
            rc = tr_live_lookup(svc, o, res);
        }
    } else if (rc == RT_EEXCHANGE) {
        res->outcome = TR_LIVE_REJECTED;
        res->exchange_code = r.exchange_code;
        snprintf(res->reason, sizeof res->reason, "exchange rejected the order: %d %.200s",
                 r.exchange_code, r.exchange_msg);
        rc = RT_OK;
    } else if (rc == RT_ERATELIMIT) {
        /* a 429/418 or our own throttle: the order was not executed */
        res->outcome = TR_LIVE_REJECTED;
        snprintf(res->reason, sizeof res->reason,
                 "rate limited by the exchange: not sent; retry in %lld ms",
                 (long long)r.retry_after_ms);
        rc = RT_OK;
    } else if (rc == RT_EUNKNOWN || r.outcome_unknown) {
        rt_log_warn("live", "order outcome unknown coid=%s err=%s: looking it up, never resending",
                    o->client_order_id, rt_strerror(rc));
        rc = tr_live_lookup(svc, o, res);
    } else {
        /* nothing reached the exchange (connect refused...) */
        res->outcome = TR_LIVE_REJECTED;
        snprintf(res->reason, sizeof res->reason, "exchange unreachable: %s", rt_strerror(rc));
        rc = RT_OK;
    }
    rt_exrest_params_cleanup(&q);
    rt_exrest_response_cleanup(&r);
    return rc;
}

/* Reads an order reply (GET or DELETE /api/v3/order) into *st. */
static int parse_state(const char *body, size_t len, tr_live_state_t *st)
{
    json_t *j = json_loadb(body ? body : "", len, 0, NULL);
    int rc = RT_EPROTO;
    tr_live_state_t x;
    memset(&x, 0, sizeof x);
    const char *status = json_string_value(json_object_get(j, "status"));
    json_t *oid = json_object_get(j, "orderId");
    if (json_is_object(j) && status && json_is_integer(oid) &&
        money_field(j, "executedQty", &x.executed_qty) == 0 &&
        rt_str_copy(x.status, sizeof x.status, status) == 0) {
        x.exchange_order_id = json_integer_value(oid);
        *st = x;
        rc = RT_OK;
    }
    json_decref(j);
    return rc;
}

/* /api/v3/order of o by its client order id with method (GET: its state; DELETE: cancel it)
 * into *st: 0, RT_ENOTFOUND when the exchange answers missing (its code for that method), else
 * the client's error, logged as what failed. */
static int order_call(tr_svc_t *svc, const tr_svc_order_t *o, rt_http_method_t method,
                      int missing, const char *what, tr_live_state_t *st)
{
    struct tr_live *l = svc->live;
    rt_exrest_params_t q;
    rt_exrest_response_t r;
    rt_exrest_params_init(&q);
    rt_exrest_response_init(&r);
    rt_exrest_params_add(&q, "symbol", o->symbol);
    rt_exrest_params_add(&q, "origClientOrderId", o->client_order_id);
    pthread_mutex_lock(&l->lock);
    int rc = rt_exrest_request(l->rest, method, "/api/v3/order", &q, true, &r);
    pthread_mutex_unlock(&l->lock);
    if (rc == 0)
        rc = parse_state(r.body, r.body_len, st);
    else if (rc == RT_EEXCHANGE && r.exchange_code == missing)
        rc = RT_ENOTFOUND;
    else
        rt_log_warn("live", "%s coid=%s err=%s code=%d msg=%s", what, o->client_order_id,
                    rt_strerror(rc), r.exchange_code, r.exchange_msg);
    rt_exrest_params_cleanup(&q);
    rt_exrest_response_cleanup(&r);
    return rc;
}

int tr_live_state(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_state_t *st)
{
    return order_call(svc, o, RT_HTTP_GET, -2013, "order state not read", st);
}

int tr_live_trades(tr_svc_t *svc, const char *symbol, int64_t exchange_order_id,
                   tr_live_fill_t *out, size_t cap, size_t *n)
{
    struct tr_live *l = svc->live;
    rt_exrest_params_t q;
    rt_exrest_response_t r;
    json_t *j = NULL;
    rt_exrest_params_init(&q);
    rt_exrest_response_init(&r);
    char oid[24];
    snprintf(oid, sizeof oid, "%lld", (long long)exchange_order_id);
    rt_exrest_params_add(&q, "symbol", symbol);
    rt_exrest_params_add(&q, "orderId", oid);
    pthread_mutex_lock(&l->lock);
    int rc = rt_exrest_get(l->rest, "/api/v3/myTrades", &q, true, &r);
    pthread_mutex_unlock(&l->lock);
    if (rc != 0) {
        rt_log_warn("live", "trades not read symbol=%s order=%s err=%s code=%d msg=%s", symbol, oid,
                    rt_strerror(rc), r.exchange_code, r.exchange_msg);
        goto out;
    }
    j = json_loadb(r.body ? r.body : "", r.body_len, 0, NULL);
    rc = json_is_array(j) ? RT_OK : RT_EPROTO;
    if (rc == 0 && json_array_size(j) > cap) {
        rt_log_warn("live", "order %s has %zu fills, more than the %zu booked per order: not "
                            "followed",
                    oid, json_array_size(j), cap);
        rc = RT_ETOOBIG;
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(j); i++) {
        json_t *t = json_array_get(j, i);
        tr_live_fill_t *x = &out[k];
        memset(x, 0, sizeof *x);
        const char *fa = json_string_value(json_object_get(t, "commissionAsset"));
        json_t *tid = json_object_get(t, "id"), *toid = json_object_get(t, "orderId"),
               *maker = json_object_get(t, "isMaker");
        if (!fa || !json_is_integer(tid) || !json_is_integer(toid) || !json_is_boolean(maker) ||
            money_field(t, "price", &x->f.price) != 0 ||
            money_field(t, "qty", &x->f.quantity) != 0 ||
            money_field(t, "quoteQty", &x->f.quote_quantity) != 0 ||
            money_field(t, "commission", &x->f.fee) != 0 ||
            rt_str_copy(x->f.fee_asset, sizeof x->f.fee_asset, fa) != 0 ||
            json_integer_value(tid) <= 0 || x->f.quantity <= 0 || x->f.price <= 0) {
            rc = RT_EPROTO;
            break;
        }
        if (json_integer_value(toid) != exchange_order_id)
            continue; /* not this order's */
        x->f.maker = json_is_true(maker);
        x->trade_id = json_integer_value(tid);
        k++;
    }
    if (rc != 0)
        rt_log_warn("live", "myTrades reply malformed symbol=%s order=%s", symbol, oid);
    else
        *n = k;
out:
    json_decref(j);
    rt_exrest_params_cleanup(&q);
    rt_exrest_response_cleanup(&r);
    return rc;
}

int tr_live_cancel(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_state_t *st)
{
    return order_call(svc, o, RT_HTTP_DELETE, -2011, "cancel failed", st);
}
