/* rt-trader's loop: signals from the `signals` stream (group `trader`) -> recorded once ->
 * risk decision -> order row committed -> demo fill -> trades, position and balances committed
 * -> XACK -> trader:events. At start: orders left PENDING are resolved, then entries a crashed
 * run left pending are claimed again. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rt/err.h"
#include "rt/hmac.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/str.h"
#include "rt/time.h"
#include "tr_svc.h"

#define READ_COUNT 16
#define READ_BLOCK_MS 500
#define PENDING_MAX 256
#define META_JSON_CAP 2048

/* ---- signal parsing (interim: rt_msg's signal codec replaces this once it lands) ------ */

static int json_money(const json_t *v, rt_money_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > RT_MONEY_MAX / RT_MONEY_SCALE)
            return RT_ERANGE;
        *out = RT_MONEY_UNITS(i);
        return RT_OK;
    }
    if (json_is_real(v))
        return rt_money_from_double(json_real_value(v), out);
    return RT_EINVAL;
}

static bool symbol_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

static bool name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

/* Parses a signal; on failure why says which field. metadata_json gets the metadata object as
 * compact JSON ("{}" when absent). */
static int parse_signal(const char *data, size_t len, rt_signal_t *out, char *meta_json,
                        size_t meta_cap, char *why, size_t why_cap)
{
    int rc = RT_EINVAL;
    json_error_t jerr;
    rt_signal_t s;
    memset(&s, 0, sizeof s);
    json_t *root = data ? json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    if (!root || !json_is_object(root)) {
        snprintf(why, why_cap, "not a JSON object");
        goto out;
    }
    const json_t *id = json_object_get(root, "id"), *st = json_object_get(root, "strategy"),
                 *sym = json_object_get(root, "symbol"), *side = json_object_get(root, "side"),
                 *ts = json_object_get(root, "timestamp"), *price = json_object_get(root, "price"),
                 *sl = json_object_get(root, "stop_loss"),
                 *tp = json_object_get(root, "take_profit"),
                 *iv = json_object_get(root, "interval"), *meta = json_object_get(root, "metadata");
    if (!json_is_string(id) || !name_ok(json_string_value(id), 64) ||
        rt_str_copy(s.id, sizeof s.id, json_string_value(id)) != 0) {
        snprintf(why, why_cap, "id: a string of 1..64 printable characters is required");
        goto out;
    }
    if (!json_is_string(st) || !name_ok(json_string_value(st), RT_NAME_CAP - 1) ||
        rt_str_copy(s.strategy, sizeof s.strategy, json_string_value(st)) != 0) {
        snprintf(why, why_cap, "strategy: a string of 1..%d characters is required",
                 RT_NAME_CAP - 1);
        goto out;
    }
    if (!json_is_string(sym) || !symbol_ok(json_string_value(sym)) ||
        rt_str_copy(s.symbol, sizeof s.symbol, json_string_value(sym)) != 0) {
        snprintf(why, why_cap, "symbol: 2..20 upper-case letters or digits are required");
        goto out;
    }
    if (json_is_string(side) && strcmp(json_string_value(side), "BUY") == 0) {
        s.side = RT_SIDE_BUY;
    } else if (json_is_string(side) && strcmp(json_string_value(side), "SELL") == 0) {
        s.side = RT_SIDE_SELL;
    } else {
        snprintf(why, why_cap, "side: BUY or SELL is required");
        goto out;
    }
    if (!json_is_integer(ts) || json_integer_value(ts) <= 0) {
        snprintf(why, why_cap, "timestamp: positive integer milliseconds are required");
        goto out;
    }
    s.timestamp = (int64_t)json_integer_value(ts);
    if (json_money(price, &s.price) != 0 || s.price <= 0) {
        snprintf(why, why_cap, "price: a positive number is required");
        goto out;
    }
    if (sl && !json_is_null(sl) && (json_money(sl, &s.stop_loss) != 0 || s.stop_loss <= 0)) {
        snprintf(why, why_cap, "stop_loss: a positive number or null");
        goto out;
    }
    if (tp && !json_is_null(tp) && (json_money(tp, &s.take_profit) != 0 || s.take_profit <= 0)) {
        snprintf(why, why_cap, "take_profit: a positive number or null");
        goto out;
    }
    if (iv && !json_is_null(iv) &&
        (!json_is_string(iv) ||
         rt_str_copy(s.interval, sizeof s.interval, json_string_value(iv)) != 0)) {
        snprintf(why, why_cap, "interval: a string such as 1m");
        goto out;
    }
    if (meta && !json_is_null(meta) && !json_is_object(meta)) {
        snprintf(why, why_cap, "metadata: an object is required");
        goto out;
    }
    char *mj = meta && json_is_object(meta) ? json_dumps(meta, JSON_COMPACT) : NULL;
    int n = snprintf(meta_json, meta_cap, "%s", mj ? mj : "{}");
    free(mj);
    if (n < 0 || (size_t)n >= meta_cap) {
        snprintf(why, why_cap, "metadata: more than %zu bytes", meta_cap - 1);
        goto out;
    }
    *out = s;
    rc = RT_OK;
out:
    json_decref(root);
    return rc;
}

/* ---- events --------------------------------------------------------------------------- */

static void publish(tr_svc_t *svc, const char *channel, const char *text)
{
    int rc = rt_bus_publish(svc->bus, channel, text, strlen(text));
    if (rc < 0)
        rt_log_warn("service", "publish failed channel=%s err=%s", channel, rt_strerror(rc));
}

static void publish_order_event(tr_svc_t *svc, const tr_order_t *o, const char *status,
                                const tr_exec_fill_t *f, int64_t position_id)
{
    char strat[2 * RT_NAME_CAP], buf[1024];
    char qty[RT_MONEY_FMT_MAX], price[RT_MONEY_FMT_MAX], fee[RT_MONEY_FMT_MAX];
    rt_str_escape(strat, sizeof strat, o->strategy, strlen(o->strategy));
    rt_money_format(o->quantity, qty, sizeof qty);
    int n = snprintf(buf, sizeof buf,
                     "{\"type\":\"order\",\"id\":%lld,\"client_order_id\":\"%s\",\"symbol\":\"%s\","
                     "\"side\":\"%s\",\"quantity\":%s,\"status\":\"%s\",\"strategy\":\"%s\"}",
                     (long long)o->id, o->client_order_id, o->symbol,
                     o->side == RT_SIDE_BUY ? "BUY" : "SELL", qty, status, strat);
    if (n > 0 && (size_t)n < sizeof buf)
        publish(svc, TR_SVC_EVENTS, buf);
    if (!f)
        return;
    rt_money_format(f->price, price, sizeof price);
    rt_money_format(f->fee, fee, sizeof fee);
    rt_money_format(f->quantity, qty, sizeof qty);
    n = snprintf(buf, sizeof buf,
                 "{\"type\":\"trade\",\"order_id\":%lld,\"symbol\":\"%s\",\"side\":\"%s\","
                 "\"price\":%s,\"quantity\":%s,\"fee\":%s,\"fee_asset\":\"%s\",\"demo\":true,"
                 "\"strategy\":\"%s\",\"position_id\":%lld}",
                 (long long)o->id, o->symbol, o->side == RT_SIDE_BUY ? "BUY" : "SELL", price, qty,
                 fee, f->fee_asset, strat, (long long)position_id);
    if (n > 0 && (size_t)n < sizeof buf)
        publish(svc, TR_SVC_EVENTS, buf);
    n = snprintf(buf, sizeof buf,
                 "{\"type\":\"position\",\"id\":%lld,\"symbol\":\"%s\",\"strategy\":\"%s\","
                 "\"change\":\"%s\"}",
                 (long long)position_id, o->symbol, strat,
                 o->side == RT_SIDE_BUY ? "opened" : "reduced");
    if (n > 0 && (size_t)n < sizeof buf)
        publish(svc, TR_SVC_EVENTS, buf);
}

static void publish_balances(tr_svc_t *svc)
{
    char *text = NULL;
    int rc = tr_store_balances_json(svc->db, &text);
    if (rc != 0) {
        rt_log_warn("service", "balances not published err=%s", rt_strerror(rc));
        return;
    }
    publish(svc, "account:balances", text);
    free(text);
}

/* ---- decisions -------------------------------------------------------------------------- */

typedef struct {
    bool accept;
    char code[48];
    char reason[TR_REASON_CAP];
    tr_order_t order;
} decision_t;

static void reject(decision_t *d, const char *code, const char *reason)
{
    d->accept = false;
    snprintf(d->code, sizeof d->code, "%s", code);
    snprintf(d->reason, sizeof d->reason, "%s", reason);
}

/* The client order id: derived from the signal id, so a signal can never make two orders.
 * Binance allows ^[.A-Z:/a-z0-9_-]{1,36}$: "rt" + 32 hex digits of HMAC-SHA256(signal id). */
static int coid_for(const char *signal_id, char *out, size_t cap)
{
    char hex[RT_HMAC_HEX_CAP];
    static const char key[] = "rt-client-order-id";
    int rc = rt_hmac_sha256_hex(key, sizeof key - 1, signal_id, strlen(signal_id), hex);
    if (rc != 0)
        return rc;
    int n = snprintf(out, cap, "rt%.32s", hex);
    return n > 0 && (size_t)n < cap ? RT_OK : RT_ETOOBIG;
}

/* Interim risk decision (inside the signal's transaction, rows locked): the trader core's
 * risk manager (tr_risk) replaces this body once it lands on main. Spot only: a SELL needs
 * the strategy's open position; a BUY needs no open position and enough free quote. */
static int decide(tr_svc_t *svc, const rt_signal_t *s, decision_t *d)
{
    int rc;
    memset(d, 0, sizeof *d);
    tr_order_t *o = &d->order;
    char base[TR_ASSET_NAME_CAP], quote[TR_ASSET_NAME_CAP];
    if (tr_exec_split_symbol(s->symbol, base, sizeof base, quote, sizeof quote) != 0) {
        reject(d, "unknown_symbol", "the symbol has no known quote asset");
        return RT_OK;
    }
    rt_str_copy(o->symbol, sizeof o->symbol, s->symbol);
    rt_str_copy(o->strategy, sizeof o->strategy, s->strategy);
    rt_str_copy(o->signal_id, sizeof o->signal_id, s->id);
    o->side = s->side;
    o->ref_price = s->price;
    o->stop_loss = s->stop_loss;
    o->take_profit = s->take_profit;
    if ((rc = coid_for(s->id, o->client_order_id, sizeof o->client_order_id)) != 0)
        return rc;
    tr_store_position_t pos;
    rc = tr_store_position_open_get(svc->db, s->symbol, s->strategy, &pos);
    if (rc != 0 && rc != RT_ENOTFOUND)
        return rc;
    bool open = rc == 0;
    if (s->side == RT_SIDE_SELL) {
        if (!open) {
            reject(d, "no_position",
                   "SELL refused: the strategy holds nothing of this symbol (spot, never short)");
            return RT_OK;
        }
        o->quantity = pos.quantity;
        o->position_id = pos.id;
        d->accept = true;
        return RT_OK;
    }
    if (open) {
        reject(d, "already_in_position", "BUY refused: the strategy already holds this symbol");
        return RT_OK;
    }
    o->quantity = svc->cfg.trade_quantity;
    tr_exec_fill_t f;
    if ((rc = tr_exec_demo_fill(o, svc->cfg.demo_slippage_bps, svc->cfg.demo_fee_rate, &f)) != 0)
        return rc;
    rt_money_t need, free_q;
    if ((rc = rt_money_add(f.quote_quantity, f.fee, &need)) != 0)
        return rc;
    if ((rc = tr_store_balance_free(svc->db, quote, &free_q)) != 0)
        return rc;
    if (need > free_q) {
        reject(d, "insufficient_balance", "BUY refused: not enough free quote balance");
        return RT_OK;
    }
    d->accept = true;
    return RT_OK;
}

/* ---- execution -------------------------------------------------------------------------- */

static void fault_point(const tr_svc_t *svc, const char *where)
{
    if (strcmp(svc->cfg.fault, where) == 0) {
        rt_log_warn("service", "fault injected at=%s: killing myself", where);
        raise(SIGKILL);
    }
}

/* Fills a committed PENDING order in demo mode and commits trades, position, balances and the
 * order's new status in one transaction. */
static int execute_demo(tr_svc_t *svc, tr_order_t *o)
{
    int rc;
    tr_exec_fill_t f;
    int64_t position_id = o->position_id;
    char base[TR_ASSET_NAME_CAP], quote[TR_ASSET_NAME_CAP];
    bool failed = false;
    char error[TR_REASON_CAP] = "";
    rc = tr_exec_split_symbol(o->symbol, base, sizeof base, quote, sizeof quote);
    if (rc == 0)
        rc = tr_exec_demo_fill(o, svc->cfg.demo_slippage_bps, svc->cfg.demo_fee_rate, &f);
    if (rc != 0) {
        failed = true;
        snprintf(error, sizeof error, "demo fill impossible: %s", rt_strerror(rc));
    }
    if ((rc = rt_db_begin(svc->db)) != 0)
        return rc;
    if (!failed) {
        rt_money_t spent, got, base_delta = o->side == RT_SIDE_BUY ? f.quantity : -f.quantity;
        if (o->side == RT_SIDE_BUY) {
            if ((rc = rt_money_add(f.quote_quantity, f.fee, &spent)) != 0)
                goto fail;
            rc = tr_store_balance_add(svc->db, quote, -spent);
        } else {
            if ((rc = rt_money_sub(f.quote_quantity, f.fee, &got)) != 0)
                goto fail;
            rc = tr_store_balance_add(svc->db, quote, got);
        }
        if (rc == 0)
            rc = tr_store_balance_add(svc->db, base, base_delta);
        if (rc == RT_EINVAL) {
            /* a balance would go negative (the table refuses it): the order fails, nothing
               else changes */
            rt_db_rollback(svc->db);
            if ((rc = rt_db_begin(svc->db)) != 0)
                return rc;
            failed = true;
            snprintf(error, sizeof error, "insufficient balance at fill time");
        } else if (rc != 0) {
            goto fail;
        }
    }
    if (!failed) {
        if (o->side == RT_SIDE_BUY) {
            rc = tr_store_position_open(svc->db, o, &f, &position_id);
        } else {
            tr_store_position_t pos;
            rc = tr_store_position_open_get(svc->db, o->symbol, o->strategy, &pos);
            rt_money_t cost = 0, realized = 0, proceeds = 0, gross = 0;
            if (rc == 0) {
                position_id = pos.id;
                /* cost of the part sold: entry value plus its share of the buy fee */
                rc = rt_money_mul(pos.entry_price, f.quantity, RT_ROUND_UP, &gross);
                rt_money_t fee_share = 0;
                if (rc == 0 && pos.initial_quantity > 0)
                    rc = rt_money_mul_frac(pos.fees, f.quantity, pos.initial_quantity, RT_ROUND_UP,
                                           &fee_share);
                if (rc == 0)
                    rc = rt_money_add(gross, fee_share, &cost);
                if (rc == 0)
                    rc = rt_money_sub(f.quote_quantity, f.fee, &proceeds);
                if (rc == 0)
                    rc = rt_money_sub(proceeds, cost, &realized);
            }
            if (rc == 0)
                rc = tr_store_position_reduce(svc->db, position_id, &f, realized, "signal");
        }
        if (rc == 0)
            rc = tr_store_trade_insert(svc->db, o, &f, position_id);
        if (rc == 0)
            rc = tr_store_order_filled(svc->db, o, &f, position_id);
    } else {
        rc = tr_store_order_failed(svc->db, o->id, error);
    }
    if (rc != 0)
        goto fail;
    if ((rc = rt_db_commit(svc->db)) != 0)
        return rc;
    if (failed) {
        rt_log_warn("service", "order failed coid=%s why=%s", o->client_order_id, error);
        publish_order_event(svc, o, "REJECTED", NULL, 0);
    } else {
        char px[RT_MONEY_FMT_MAX], q[RT_MONEY_FMT_MAX];
        rt_money_format(f.price, px, sizeof px);
        rt_money_format(f.quantity, q, sizeof q);
        rt_log_info("service", "order filled coid=%s symbol=%s side=%s qty=%s price=%s demo=1",
                    o->client_order_id, o->symbol, o->side == RT_SIDE_BUY ? "BUY" : "SELL", q, px);
        publish_order_event(svc, o, "FILLED", &f, position_id);
        publish_balances(svc);
    }
    return RT_OK;
fail:
    rt_db_rollback(svc->db);
    return rc;
}

/* ---- one signal ------------------------------------------------------------------------- */

/* Handles one stream entry. Returns 0 when it may be acknowledged (done, duplicate, malformed),
 * a negative code when it must stay pending (database down...). */
static int handle_entry(tr_svc_t *svc, const rt_bus_entry_t *e)
{
    int rc;
    rt_signal_t s;
    char meta[META_JSON_CAP], why[256];
    if (e->nfields == 0)
        return RT_OK; /* trimmed while pending */
    if (parse_signal(e->data, e->data_len, &s, meta, sizeof meta, why, sizeof why) != 0) {
        /* not recordable in `signals` (its columns need a valid id, symbol and price):
           logged loudly and acknowledged, never retried */
        rt_log_warn("service", "malformed signal dropped entry=%s why=%s", e->id, why);
        return RT_OK;
    }
    bool demo = svc->cfg.trading_mode == TR_MODE_DEMO;
    if ((rc = rt_db_begin(svc->db)) != 0)
        return rc;
    bool inserted = false;
    if ((rc = tr_store_signal_insert(svc->db, &s, meta, demo, &inserted)) != 0)
        goto fail;
    if (!inserted) {
        rt_db_rollback(svc->db);
        rt_log_info("service", "duplicate signal ignored id=%s entry=%s", s.id, e->id);
        return RT_OK;
    }
    decision_t d;
    if ((rc = decide(svc, &s, &d)) != 0)
        goto fail;
    if (d.accept) {
        if ((rc = tr_store_order_insert(svc->db, &d.order, demo)) != 0)
            goto fail;
        rc =
            tr_store_signal_outcome(svc->db, s.id, "accepted", NULL, NULL, d.order.client_order_id);
    } else {
        rc = tr_store_signal_outcome(svc->db, s.id, "rejected", d.code, d.reason, NULL);
    }
    if (rc != 0)
        goto fail;
    if ((rc = rt_db_commit(svc->db)) != 0)
        return rc;
    if (!d.accept) {
        rt_log_info("service", "signal rejected id=%s code=%s", s.id, d.code);
        char buf[512], r[2 * TR_REASON_CAP], sid[2 * RT_ID_CAP];
        rt_str_escape(r, sizeof r, d.reason, strlen(d.reason));
        rt_str_escape(sid, sizeof sid, s.id, strlen(s.id));
        int n = snprintf(buf, sizeof buf,
                         "{\"type\":\"signal\",\"id\":\"%s\",\"outcome\":\"rejected\","
                         "\"reason_code\":\"%s\",\"reason\":\"%s\"}",
                         sid, d.code, r);
        if (n > 0 && (size_t)n < sizeof buf)
            publish(svc, TR_SVC_EVENTS, buf);
        return RT_OK;
    }
    publish_order_event(svc, &d.order, "PENDING", NULL, 0);
    fault_point(svc, "after_order_commit");
    return execute_demo(svc, &d.order);
fail:
    rt_db_rollback(svc->db);
    return rc;
}

static void handle_batch(tr_svc_t *svc, rt_bus_entry_t *entries, size_t n)
{
    for (size_t i = 0; i < n && !rt_sig_stopping(); i++) {
        int rc = handle_entry(svc, &entries[i]);
        if (rc != 0) {
            rt_log_error("service", "signal left pending entry=%s err=%s", entries[i].id,
                         rt_strerror(rc));
            continue; /* claimed again at the next start or by the periodic reclaim */
        }
        fault_point(svc, "before_ack");
        const char *ids[] = {entries[i].id};
        rc = rt_bus_xack(svc->bus, svc->cfg.stream, TR_SVC_GROUP, ids, 1);
        if (rc < 0)
            rt_log_warn("service", "xack failed entry=%s err=%s", entries[i].id, rt_strerror(rc));
    }
}

/* ---- recovery ----------------------------------------------------------------------------- */

static int resolve_pending_orders(tr_svc_t *svc)
{
    tr_order_t *pending = calloc(PENDING_MAX, sizeof *pending);
    size_t n = 0;
    if (!pending)
        return RT_ENOMEM;
    int rc = tr_store_pending_orders(svc->db, true, pending, PENDING_MAX, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rt_log_warn("service", "resolving order left pending coid=%s", pending[i].client_order_id);
        rc = execute_demo(svc, &pending[i]);
    }
    free(pending);
    return rc;
}

static int claim_pending(tr_svc_t *svc)
{
    char cursor[RT_BUS_ID_CAP] = "0-0";
    for (int round = 0; round < 1000 && !rt_sig_stopping(); round++) {
        rt_bus_entry_t *entries = NULL;
        size_t n = 0;
        char next[RT_BUS_ID_CAP];
        int rc = rt_bus_xautoclaim(svc->bus, svc->cfg.stream, TR_SVC_GROUP, svc->cfg.consumer, 0,
                                   cursor, 100, &entries, &n, next, sizeof next);
        if (rc != 0)
            return rc;
        if (n > 0)
            rt_log_info("service", "claimed %zu pending signals", n);
        handle_batch(svc, entries, n);
        rt_bus_entries_free(entries);
        if (strcmp(next, "0-0") == 0)
            break;
        rt_str_copy(cursor, sizeof cursor, next);
    }
    return RT_OK;
}

int tr_svc_run(tr_svc_t *svc)
{
    int rc;
    if ((rc = rt_bus_group_create(svc->bus, svc->cfg.stream, TR_SVC_GROUP, "0")) != 0)
        return rc;
    if (svc->cfg.trading_mode == TR_MODE_DEMO &&
        (rc = tr_store_seed_balances(svc->db, svc->cfg.demo_balances)) != 0)
        return rc;
    if ((rc = resolve_pending_orders(svc)) != 0)
        return rc;
    if ((rc = claim_pending(svc)) != 0)
        return rc;
    publish_balances(svc);
    rt_log_info("service", "consuming stream=%s group=%s consumer=%s", svc->cfg.stream,
                TR_SVC_GROUP, svc->cfg.consumer);
    int64_t start = rt_time_mono_ms(), last_claim = start;
    while (!rt_sig_stopping()) {
        if (svc->cfg.run_seconds > 0 && rt_time_mono_ms() - start > svc->cfg.run_seconds * 1000)
            break;
        rt_bus_entry_t *entries = NULL;
        size_t n = 0;
        rc = rt_bus_xreadgroup(svc->bus, svc->cfg.stream, TR_SVC_GROUP, svc->cfg.consumer, ">",
                               READ_COUNT, READ_BLOCK_MS, &entries, &n);
        if (rc == RT_ENOTFOUND) /* stream deleted under us: make the group again */
            rc = rt_bus_group_create(svc->bus, svc->cfg.stream, TR_SVC_GROUP, "0");
        if (rc != 0) {
            rt_log_warn("service", "xreadgroup failed err=%s", rt_strerror(rc));
            rt_time_sleep_ms(200);
            continue;
        }
        handle_batch(svc, entries, n);
        rt_bus_entries_free(entries);
        if (rt_time_mono_ms() - last_claim > 30000) {
            /* entries this run left pending after a database error: try them again */
            last_claim = rt_time_mono_ms();
            if ((rc = claim_pending(svc)) != 0)
                rt_log_warn("service", "reclaim failed err=%s", rt_strerror(rc));
        }
    }
    return RT_OK;
}
