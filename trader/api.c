/* rt-trader's REST API on TRADER_PORT (ARCHITECTURE.md section 7): manual orders through the
 * same risk decision as signals, orders, position close, pause/resume, risk state. Handlers run
 * on the HTTP server's threads and use svc->api_io under svc->api_lock. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rt/err.h"
#include "rt/jsonw.h"
#include "rt/log.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "tr_request.h"
#include "tr_svc.h"

#define ORDERS_PAGE_MAX 200
#define RISK_OPEN_ORDERS_MAX 256

/* ---- JSON out (exact money through rt_jsonw) ----------------------------------------------- */

static void kv_money_opt(rt_jsonw_t *w, const char *key, rt_money_t v)
{
    if (v > 0)
        rt_jsonw_kv_money(w, key, v);
    else
        rt_jsonw_kv_null(w, key);
}

static void kv_string_opt(rt_jsonw_t *w, const char *key, const char *v)
{
    if (v[0])
        rt_jsonw_kv_string(w, key, v);
    else
        rt_jsonw_kv_null(w, key);
}

static void write_order(rt_jsonw_t *w, const rt_order_t *o)
{
    rt_jsonw_object_begin(w);
    rt_jsonw_kv_int(w, "id", o->id);
    rt_jsonw_kv_string(w, "client_order_id", o->client_order_id);
    rt_jsonw_kv_string(w, "symbol", o->symbol);
    rt_jsonw_kv_string(w, "side", rt_side_name(o->side));
    rt_jsonw_kv_string(w, "type", rt_order_type_name(o->type));
    rt_jsonw_kv_string(w, "status", rt_order_status_name(o->status));
    kv_money_opt(w, "quantity", o->quantity);
    kv_money_opt(w, "price", o->price);
    rt_jsonw_kv_money(w, "filled_quantity", o->filled_quantity);
    rt_jsonw_kv_money(w, "filled_quote_quantity", o->filled_quote_quantity);
    kv_money_opt(w, "avg_price", o->avg_price);
    rt_jsonw_kv_string(w, "source", rt_order_source_name(o->source));
    kv_string_opt(w, "strategy", o->strategy);
    kv_string_opt(w, "signal_id", o->signal_id);
    if (o->position_id > 0)
        rt_jsonw_kv_int(w, "position_id", o->position_id);
    else
        rt_jsonw_kv_null(w, "position_id");
    kv_string_opt(w, "reason", o->reason);
    kv_string_opt(w, "error", o->error);
    rt_jsonw_kv_bool(w, "demo", o->demo);
    rt_jsonw_kv_int(w, "created_at", o->created_at);
    rt_jsonw_kv_int(w, "updated_at", o->updated_at);
    rt_jsonw_object_end(w);
}

static void write_trade(rt_jsonw_t *w, const rt_trade_t *t)
{
    rt_jsonw_object_begin(w);
    rt_jsonw_kv_int(w, "id", t->id);
    rt_jsonw_kv_int(w, "order_id", t->order_id);
    rt_jsonw_kv_string(w, "symbol", t->symbol);
    rt_jsonw_kv_string(w, "side", rt_side_name(t->side));
    rt_jsonw_kv_money(w, "price", t->price);
    rt_jsonw_kv_money(w, "quantity", t->quantity);
    rt_jsonw_kv_money(w, "quote_quantity", t->quote_quantity);
    rt_jsonw_kv_money(w, "fee", t->fee);
    kv_string_opt(w, "fee_asset", t->fee_asset);
    rt_jsonw_kv_string(w, "role", t->role == RT_ROLE_MAKER ? "MAKER" : "TAKER");
    if (t->position_id > 0)
        rt_jsonw_kv_int(w, "position_id", t->position_id);
    else
        rt_jsonw_kv_null(w, "position_id");
    rt_jsonw_kv_bool(w, "demo", t->demo);
    rt_jsonw_kv_int(w, "timestamp", t->timestamp);
    rt_jsonw_object_end(w);
}

static int respond_writer(rt_http_response_t *res, unsigned status, rt_jsonw_t *w)
{
    int rc = rt_jsonw_finish(w);
    if (rc == 0)
        rc = rt_http_respond_json(res, status, rt_jsonw_data(w));
    return rc;
}

/* {"order":{...},"fills":[...]} of a stored order. */
static int respond_order(tr_io_t *io, rt_http_response_t *res, unsigned status, int64_t id)
{
    rt_order_t o;
    rt_trade_t trades[8];
    size_t n = 0;
    int rc = tr_store_order_get(io->db, id, &o);
    if (rc == RT_ENOTFOUND)
        return rt_http_respond_errorf(res, 404, "not_found", "no order with id %lld",
                                      (long long)id);
    if (rc == 0)
        rc = tr_store_trades_of_order(io->db, id, trades, 8, &n);
    if (rc != 0)
        return rc;
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    rt_jsonw_object_begin(&w);
    rt_jsonw_key(&w, "order");
    write_order(&w, &o);
    rt_jsonw_key(&w, "fills");
    rt_jsonw_array_begin(&w);
    for (size_t i = 0; i < n; i++)
        write_trade(&w, &trades[i]);
    rt_jsonw_array_end(&w);
    rt_jsonw_object_end(&w);
    rc = respond_writer(res, status, &w);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- handlers ----------------------------------------------------------------------------- */

static int respond_decision(tr_svc_t *svc, rt_http_response_t *res, const tr_svc_decision_t *d)
{
    (void)svc;
    unsigned status = strcmp(d->code, "paused") == 0 || strcmp(d->code, "halted") == 0 ||
                              strcmp(d->code, "filters_not_loaded") == 0
                          ? 503
                          : 422;
    char code[64];
    snprintf(code, sizeof code, "%s", d->code);
    return rt_http_respond_error(res, status, code, d->reason);
}

/* Places intent and answers 201 with the order, or the refusal. Caller holds api_lock. */
static int place_and_respond(tr_svc_t *svc, tr_svc_intent_t *in, rt_http_response_t *res)
{
    tr_svc_decision_t d;
    if (in->side == RT_SIDE_BUY && atomic_load(&svc->paused))
        return rt_http_respond_error(res, 503, "paused",
                                     "trading is paused: new entries are refused until resumed");
    if (in->ref_price <= 0 && tr_svc_price(svc, in->symbol, &in->ref_price) != 0 && in->limit)
        in->ref_price = in->limit_price; /* a LIMIT needs no market price to rest */
    if (in->ref_price <= 0)
        return rt_http_respond_errorf(res, 422, "no_price",
                                      "no price known for %s yet (market data not received)",
                                      in->symbol);
    int rc = tr_svc_place(svc, &svc->api_io, in, &d);
    if (rc != 0)
        return rc;
    if (!d.accept)
        return respond_decision(svc, res, &d);
    if (d.code[0]) /* live: the exchange refused it (the order row is REJECTED) */
        return rt_http_respond_error(res, 422, d.code, d.reason);
    return respond_order(&svc->api_io, res, 201, d.order.id);
}

static int h_trade(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    tr_svc_t *svc = ud;
    size_t len = 0;
    const char *body = rt_http_body(req, &len);
    tr_trade_request_t t;
    tr_request_error_t err;
    if (tr_trade_request_parse(body, len, &t, &err) != 0)
        return rt_http_respond_error(res, err.status, err.code, err.message);
    tr_svc_intent_t in;
    memset(&in, 0, sizeof in);
    memcpy(in.symbol, t.symbol, sizeof in.symbol);
    in.side = t.side;
    in.quantity = t.quantity;
    in.quote_quantity = t.quote_quantity;
    in.stop_loss = t.stop_loss;
    in.take_profit = t.take_profit;
    in.limit = t.limit;
    in.limit_price = t.price;
    rt_str_copy(in.reason, sizeof in.reason, "manual");
    pthread_mutex_lock(&svc->api_lock);
    int rc = place_and_respond(svc, &in, res);
    pthread_mutex_unlock(&svc->api_lock);
    return rc;
}

static int path_id(const rt_http_request_t *req, rt_http_response_t *res, int64_t *out)
{
    int64_t id = 0;
    if (rt_str_parse_int64(rt_http_param(req, "id"), &id) != 0 || id <= 0) {
        rt_http_respond_error(res, 400, "bad_request",
                              "the id in the path must be a positive "
                              "integer");
        return RT_EINVAL;
    }
    *out = id;
    return RT_OK;
}

static int h_order_get(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    tr_svc_t *svc = ud;
    int64_t id;
    if (path_id(req, res, &id) != 0)
        return RT_OK;
    pthread_mutex_lock(&svc->api_lock);
    int rc = respond_order(&svc->api_io, res, 200, id);
    pthread_mutex_unlock(&svc->api_lock);
    return rc;
}

static int h_order_cancel(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    tr_svc_t *svc = ud;
    int64_t id;
    if (path_id(req, res, &id) != 0)
        return RT_OK;
    char status[24] = "";
    pthread_mutex_lock(&svc->api_lock);
    int rc = tr_svc_cancel(svc, &svc->api_io, id, status, sizeof status);
    if (rc == 0)
        rc = respond_order(&svc->api_io, res, 200, id);
    pthread_mutex_unlock(&svc->api_lock);
    if (rc == RT_ENOTFOUND)
        return rt_http_respond_errorf(res, 404, "not_found", "no order with id %lld",
                                      (long long)id);
    if (rc == RT_ESTATE)
        return rt_http_respond_errorf(res, 409, "not_cancelable",
                                      "order %lld is %s: only a resting (NEW or "
                                      "PARTIALLY_FILLED) LIMIT order can be canceled",
                                      (long long)id, status[0] ? status : "not resting");
    return rc;
}

static int h_orders(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    tr_svc_t *svc = ud;
    int64_t limit, page;
    const char *status = "", *symbol = "";
    int rc;
    if ((rc = rt_http_query_int(req, res, "limit", 1, ORDERS_PAGE_MAX, 50, &limit)) != 0 ||
        (rc = rt_http_query_int(req, res, "page", 1, 1000000, 1, &page)) != 0)
        return rc;
    rt_order_status_t st;
    if (rt_http_query(req, "status", &status) && status[0] &&
        rt_order_status_parse(status, &st) != 0)
        return rt_http_respond_error(res, 400, "bad_request",
                                     "'status': PENDING, NEW, PARTIALLY_FILLED, FILLED, "
                                     "CANCELED, REJECTED or EXPIRED");
    if (rt_http_query(req, "symbol", &symbol) && symbol[0] && !rt_msg_symbol_valid(symbol))
        return rt_http_respond_error(res, 400, "bad_request",
                                     "'symbol': 1..20 upper-case letters or digits");
    rt_order_t *orders = calloc(ORDERS_PAGE_MAX, sizeof *orders);
    if (!orders)
        return RT_ENOMEM;
    size_t n = 0;
    pthread_mutex_lock(&svc->api_lock);
    rc = tr_store_orders_list(svc->api_io.db, status ? status : "", symbol ? symbol : "", limit,
                              (page - 1) * limit, orders, &n);
    pthread_mutex_unlock(&svc->api_lock);
    if (rc == 0) {
        rt_jsonw_t w;
        rt_jsonw_init(&w);
        rt_jsonw_object_begin(&w);
        rt_jsonw_kv_int(&w, "page", page);
        rt_jsonw_kv_int(&w, "limit", limit);
        rt_jsonw_key(&w, "orders");
        rt_jsonw_array_begin(&w);
        for (size_t i = 0; i < n; i++)
            write_order(&w, &orders[i]);
        rt_jsonw_array_end(&w);
        rt_jsonw_object_end(&w);
        rc = respond_writer(res, 200, &w);
        rt_jsonw_cleanup(&w);
    }
    free(orders);
    return rc;
}

static int h_position_close(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    tr_svc_t *svc = ud;
    int64_t id;
    if (path_id(req, res, &id) != 0)
        return RT_OK;
    rt_position_t p;
    pthread_mutex_lock(&svc->api_lock);
    int rc = tr_store_position_get(svc->api_io.db, id, &p);
    if (rc == RT_ENOTFOUND) {
        rc = rt_http_respond_errorf(res, 404, "not_found", "no position with id %lld",
                                    (long long)id);
    } else if (rc == 0 && p.status != RT_POSITION_OPEN) {
        rc = rt_http_respond_errorf(res, 409, "not_open", "position %lld is already closed",
                                    (long long)id);
    } else if (rc == 0) {
        tr_svc_intent_t in;
        memset(&in, 0, sizeof in);
        rt_str_copy(in.symbol, sizeof in.symbol, p.symbol);
        rt_str_copy(in.strategy, sizeof in.strategy, p.strategy);
        rt_str_copy(in.reason, sizeof in.reason, "manual_close");
        in.side = RT_SIDE_SELL;
        in.position_id = p.id;
        rc = place_and_respond(svc, &in, res);
    }
    pthread_mutex_unlock(&svc->api_lock);
    return rc;
}

static int set_paused(tr_svc_t *svc, rt_http_response_t *res, bool paused)
{
    const char *why = paused ? "paused by an operator" : "";
    pthread_mutex_lock(&svc->api_lock);
    int rc = tr_store_risk_state_set(svc->api_io.db, paused, why);
    if (rc == 0) {
        atomic_store(&svc->paused, paused);
        tr_core_set_paused(svc, &svc->api_io, paused);
        tr_svc_publish_risk(svc, &svc->api_io, why);
    }
    pthread_mutex_unlock(&svc->api_lock);
    if (rc != 0)
        return rc;
    rt_log_warn("api", "trading %s by an operator", paused ? "paused" : "resumed");
    return rt_http_respond_jsonv(res, 200, json_pack("{s:b}", "paused", paused));
}

static int h_pause(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)req;
    return set_paused(ud, res, true);
}

static int h_resume(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)req;
    return set_paused(ud, res, false);
}

static int h_risk(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    tr_svc_t *svc = ud;
    (void)req;
    rt_balance_t b[64];
    size_t nb = 0, np = 0;
    rt_position_t *pos = calloc(256, sizeof *pos);
    tr_svc_order_t *open = calloc(RISK_OPEN_ORDERS_MAX, sizeof *open);
    size_t no = 0;
    if (!pos || !open) {
        free(pos);
        free(open);
        return RT_ENOMEM;
    }
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    rt_jsonw_object_begin(&w);
    pthread_mutex_lock(&svc->api_lock);
    /* paused, halted, reason, limits and status (equity, drawdown, brake, halt level) */
    int rc = tr_core_risk_write(svc, &svc->api_io, &w);
    if (rc == 0)
        rc = tr_store_balances(svc->api_io.db, b, 64, &nb);
    if (rc == 0)
        rc = tr_store_open_positions(svc->api_io.db, pos, 256, &np);
    if (rc == 0)
        rc = tr_store_resting_orders(svc->api_io.db, "", svc->cfg.trading_mode == TR_MODE_DEMO,
                                     open, RISK_OPEN_ORDERS_MAX, &no);
    pthread_mutex_unlock(&svc->api_lock);
    if (rc == 0) {
        rt_jsonw_key(&w, "balances");
        rt_jsonw_array_begin(&w);
        for (size_t i = 0; i < nb; i++) {
            rt_jsonw_object_begin(&w);
            rt_jsonw_kv_string(&w, "asset", b[i].asset);
            rt_jsonw_kv_money(&w, "free", b[i].free);
            rt_jsonw_kv_money(&w, "locked", b[i].locked);
            rt_jsonw_object_end(&w);
        }
        rt_jsonw_array_end(&w);
        rt_jsonw_key(&w, "exposure");
        rt_jsonw_array_begin(&w);
        for (size_t i = 0; i < np; i++) {
            rt_money_t px = 0, value = 0;
            rt_jsonw_object_begin(&w);
            rt_jsonw_kv_int(&w, "position_id", pos[i].id);
            rt_jsonw_kv_string(&w, "symbol", pos[i].symbol);
            kv_string_opt(&w, "strategy", pos[i].strategy);
            rt_jsonw_kv_money(&w, "quantity", pos[i].quantity);
            rt_jsonw_kv_money(&w, "entry_price", pos[i].entry_price);
            if (tr_svc_price(svc, pos[i].symbol, &px) == 0 &&
                rt_money_mul(px, pos[i].quantity, RT_ROUND_DOWN, &value) == 0)
                rt_jsonw_kv_money(&w, "value", value);
            else
                rt_jsonw_kv_null(&w, "value");
            rt_jsonw_object_end(&w);
        }
        rt_jsonw_array_end(&w);
        /* resting LIMIT orders: what they lock (already out of free) and their value at the
           limit price; a resting BUY counts in its asset's exposure as if filled */
        rt_jsonw_key(&w, "open_orders");
        rt_jsonw_array_begin(&w);
        for (size_t i = 0; i < no; i++) {
            rt_money_t value = 0;
            rt_jsonw_object_begin(&w);
            rt_jsonw_kv_int(&w, "order_id", open[i].id);
            rt_jsonw_kv_string(&w, "symbol", open[i].symbol);
            rt_jsonw_kv_string(&w, "side", rt_side_name(open[i].side));
            rt_jsonw_kv_money(&w, "quantity", open[i].quantity);
            rt_jsonw_kv_money(&w, "price", open[i].price);
            rt_jsonw_kv_money(&w, "locked", open[i].locked);
            kv_string_opt(&w, "locked_asset", open[i].locked_asset);
            if (rt_money_mul(open[i].price, open[i].quantity, RT_ROUND_UP, &value) == 0)
                rt_jsonw_kv_money(&w, "value", value);
            else
                rt_jsonw_kv_null(&w, "value");
            rt_jsonw_object_end(&w);
        }
        rt_jsonw_array_end(&w);
        rt_jsonw_object_end(&w);
        rc = respond_writer(res, 200, &w);
    }
    rt_jsonw_cleanup(&w);
    free(open);
    free(pos);
    return rc;
}

static int health(void *ud, json_t *details)
{
    tr_svc_t *svc = ud;
    bool db = atomic_load(&svc->db_ok), redis = atomic_load(&svc->redis_ok);
    json_object_set_new(details, "db", json_string(db ? "ok" : "down"));
    json_object_set_new(details, "redis", json_string(redis ? "ok" : "down"));
    json_object_set_new(details, "mode", json_string("demo"));
    json_object_set_new(details, "paused", json_boolean(atomic_load(&svc->paused)));
    return db && redis ? RT_OK : RT_ECONN;
}

int tr_api_start(tr_svc_t *svc)
{
    static const struct {
        const char *method, *pattern;
        unsigned flags;
        rt_http_handler_fn fn;
    } routes[] = {
        {"POST", "/trade", RT_HTTP_AUTH, h_trade},
        {"GET", "/orders", 0, h_orders},
        {"GET", "/orders/{id}", 0, h_order_get},
        {"DELETE", "/orders/{id}", RT_HTTP_AUTH, h_order_cancel},
        {"POST", "/positions/{id}/close", RT_HTTP_AUTH, h_position_close},
        {"POST", "/control/pause", RT_HTTP_AUTH, h_pause},
        {"POST", "/control/resume", RT_HTTP_AUTH, h_resume},
        {"GET", "/risk", 0, h_risk},
    };
    bool writes = svc->cfg.api_token[0] != '\0';
    rt_http_config_t hc = {
        .service = "trader",
        .host = svc->cfg.bind,
        .port = (uint16_t)svc->cfg.port,
        .api_token = writes ? svc->cfg.api_token : NULL,
        .threads = 2,
        .metrics = svc->metrics,
        .health = health,
        .health_ud = svc,
    };
    if (!writes)
        rt_log_warn("api", "API_TOKEN is not set: the write routes (POST /trade, control...) "
                           "are not served");
    int rc = rt_http_server_new(&hc, &svc->http);
    for (size_t i = 0; rc == 0 && i < sizeof routes / sizeof routes[0]; i++)
        if (writes || !(routes[i].flags & RT_HTTP_AUTH))
            rc = rt_http_server_route(svc->http, routes[i].method, routes[i].pattern,
                                      routes[i].flags, routes[i].fn, svc);
    if (rc == 0)
        rc = rt_http_server_start(svc->http);
    return rc;
}
