/* rt-trader's SQL: every statement the service runs, parameterized. Callers own transactions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/log.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "tr_svc.h"

typedef struct {
    char s[RT_MONEY_FMT_MAX];
} money_text_t;

static money_text_t mtext(rt_money_t v)
{
    money_text_t t;
    if (rt_money_format(v, t.s, sizeof t.s) == 0)
        t.s[0] = '\0'; /* cannot happen with RT_MONEY_FMT_MAX; SQL then refuses it */
    return t;
}

typedef struct {
    char s[24];
} int_text_t;

static int_text_t itext(int64_t v)
{
    int_text_t t;
    snprintf(t.s, sizeof t.s, "%lld", (long long)v);
    return t;
}

static const char *side_name(rt_side_t s)
{
    return s == RT_SIDE_BUY ? "BUY" : "SELL";
}

static const char *or_null(const char *s)
{
    return s && s[0] ? s : NULL;
}

int tr_store_seed_balances(rt_db_t *db, const char *list)
{
    int rc = 0;
    rt_db_result_t *res = NULL;
    rc = rt_db_exec(db, "SELECT 1 FROM balances LIMIT 1", 0, NULL, &res);
    if (rc != 0)
        goto out;
    if (rt_db_nrows(res) > 0)
        goto out; /* the books already hold balances: they win over the config */
    rt_str_slice_t items[32];
    size_t n = 0;
    rc = rt_str_split(list, strlen(list), ',', items, 32, &n);
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        rt_str_slice_t it = rt_str_trim(items[i].p, items[i].n);
        if (it.n == 0)
            continue;
        const char *eq = memchr(it.p, '=', it.n);
        char asset[TR_ASSET_NAME_CAP];
        rt_money_t amount;
        if (!eq || rt_str_copy_n(asset, sizeof asset, it.p, (size_t)(eq - it.p)) != 0 ||
            rt_money_parse_n(eq + 1, it.n - (size_t)(eq - it.p) - 1, &amount) != 0 || amount < 0) {
            rt_log_error("store", "DEMO_BALANCES item %zu is not ASSET=amount", i + 1);
            rc = RT_EINVAL;
            goto out;
        }
        money_text_t a = mtext(amount);
        const char *p[] = {asset, a.s};
        rc = rt_db_exec(db, "INSERT INTO balances (asset, free, demo) VALUES ($1, $2, true)", 2, p,
                        NULL);
        if (rc != 0)
            goto out;
    }
out:
    rt_db_result_free(res);
    return rc;
}

int tr_store_signal_insert(rt_db_t *db, const rt_signal_t *s, const char *metadata_json, bool demo,
                           bool *inserted)
{
    rt_db_result_t *res = NULL;
    money_text_t price = mtext(s->price), sl = mtext(s->stop_loss), tp = mtext(s->take_profit);
    int_text_t ts = itext(s->timestamp);
    const char *p[] = {s->id,
                       s->strategy,
                       s->symbol,
                       or_null(s->interval),
                       side_name(s->side),
                       price.s,
                       s->stop_loss > 0 ? sl.s : NULL,
                       s->take_profit > 0 ? tp.s : NULL,
                       metadata_json ? metadata_json : "{}",
                       ts.s,
                       demo ? "true" : "false"};
    int rc = rt_db_exec_prepared(
        db,
        "INSERT INTO signals (id, strategy, symbol, interval, side, price, stop_loss, "
        "take_profit, metadata, signal_time, demo) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9::jsonb, to_timestamp($10::bigint / 1000.0), $11) ON CONFLICT (id) DO NOTHING "
        "RETURNING id",
        11, p, &res);
    if (rc == 0)
        *inserted = rt_db_nrows(res) == 1;
    rt_db_result_free(res);
    return rc;
}

int tr_store_signal_outcome(rt_db_t *db, const char *id, const char *outcome, const char *code,
                            const char *reason, const char *coid)
{
    const char *p[] = {id, outcome, or_null(code), or_null(reason), or_null(coid)};
    return rt_db_exec_prepared(db,
                               "UPDATE signals SET outcome = $2, reason_code = $3, reason = $4, "
                               "client_order_id = $5 WHERE id = $1",
                               5, p, NULL);
}

int tr_store_order_insert(rt_db_t *db, tr_svc_order_t *o, bool demo)
{
    rt_db_result_t *res = NULL;
    money_text_t q = mtext(o->quantity), px = mtext(o->price), sl = mtext(o->stop_loss),
                 tp = mtext(o->take_profit);
    int_text_t pos = itext(o->position_id);
    const char *p[] = {o->client_order_id,
                       o->symbol,
                       side_name(o->side),
                       q.s,
                       o->strategy[0] ? "strategy" : "manual",
                       or_null(o->strategy),
                       or_null(o->signal_id),
                       o->position_id > 0 ? pos.s : NULL,
                       demo ? "true" : "false",
                       o->reason[0] ? o->reason : (o->side == RT_SIDE_BUY ? "entry" : "exit"),
                       o->limit ? "LIMIT" : "MARKET",
                       o->limit ? px.s : NULL,
                       o->stop_loss > 0 ? sl.s : NULL,
                       o->take_profit > 0 ? tp.s : NULL};
    int rc = rt_db_exec_prepared(
        db,
        "INSERT INTO orders (client_order_id, symbol, side, type, status, quantity, source, "
        "strategy, signal_id, position_id, demo, reason, price, stop_loss, take_profit) VALUES "
        "($1, $2, $3, $11, 'PENDING', $4, $5, $6, $7, $8, $9, $10, $12, $13, $14) RETURNING id",
        14, p, &res);
    if (rc == 0)
        rc = rt_db_get_int64(res, 0, 0, &o->id);
    rt_db_result_free(res);
    return rc;
}

int tr_store_balance_change(rt_db_t *db, const char *asset, rt_money_t free_delta,
                            rt_money_t locked_delta)
{
    rt_db_result_t *res = NULL;
    money_text_t f = mtext(free_delta), l = mtext(locked_delta);
    const char *p[] = {asset, f.s, l.s};
    int rc = rt_db_exec_prepared(
        db, "UPDATE balances SET free = free + $2, locked = locked + $3 WHERE asset = $1", 3, p,
        &res);
    if (rc == 0 && rt_db_affected(res) == 0)
        rc = rt_db_exec_prepared(db,
                                 "INSERT INTO balances (asset, free, locked, demo) VALUES ($1, "
                                 "$2, $3, true)",
                                 3, p, NULL);
    rt_db_result_free(res);
    return rc;
}

int tr_store_order_resting(rt_db_t *db, const tr_svc_order_t *o)
{
    rt_db_result_t *res = NULL;
    int_text_t oid = itext(o->id);
    money_text_t l = mtext(o->locked);
    const char *p[] = {oid.s, l.s, o->locked_asset};
    int rc = rt_db_exec_prepared(db,
                                 "UPDATE orders SET status = 'NEW', locked = $2, locked_asset = "
                                 "$3 WHERE id = $1 AND status = 'PENDING'",
                                 3, p, &res);
    if (rc == 0 && rt_db_affected(res) != 1)
        rc = RT_ESTATE;
    rt_db_result_free(res);
    return rc;
}

int tr_store_order_canceled(rt_db_t *db, int64_t id)
{
    rt_db_result_t *res = NULL;
    int_text_t oid = itext(id);
    const char *p[] = {oid.s};
    int rc = rt_db_exec_prepared(db,
                                 "UPDATE orders SET status = 'CANCELED' WHERE id = $1 AND status "
                                 "IN ('NEW', 'PARTIALLY_FILLED')",
                                 1, p, &res);
    if (rc == 0 && rt_db_affected(res) != 1)
        rc = RT_ESTATE;
    rt_db_result_free(res);
    return rc;
}

/* The columns of an order as the shell carries it (svc_order_row reads them). */
#define SVC_ORDER_COLS                                                                             \
    "o.id, o.client_order_id, o.symbol, o.side, o.quantity, coalesce(o.price, s.price), "          \
    "coalesce(o.strategy, ''), coalesce(o.signal_id, ''), coalesce(o.stop_loss, s.stop_loss), "    \
    "coalesce(o.take_profit, s.take_profit), o.position_id, o.type, o.price, o.locked, "           \
    "coalesce(o.locked_asset, ''), coalesce(o.reason, ''), o.status"

static int svc_order_row(const rt_db_result_t *res, int r, tr_svc_order_t *out, char *status,
                         size_t status_cap)
{
    int rc;
    tr_svc_order_t o;
    memset(&o, 0, sizeof o);
    if ((rc = rt_db_get_int64(res, r, 0, &o.id)) != 0 ||
        (rc = rt_str_copy(o.client_order_id, sizeof o.client_order_id,
                          rt_db_get_text(res, r, 1))) != 0 ||
        (rc = rt_str_copy(o.symbol, sizeof o.symbol, rt_db_get_text(res, r, 2))) != 0 ||
        (rc = rt_db_get_money(res, r, 4, &o.quantity)) != 0 ||
        (rc = rt_str_copy(o.strategy, sizeof o.strategy, rt_db_get_text(res, r, 6))) != 0 ||
        (rc = rt_str_copy(o.signal_id, sizeof o.signal_id, rt_db_get_text(res, r, 7))) != 0 ||
        (rc = rt_str_copy(o.locked_asset, sizeof o.locked_asset, rt_db_get_text(res, r, 14))) !=
            0 ||
        (rc = rt_str_copy(o.reason, sizeof o.reason, rt_db_get_text(res, r, 15))) != 0 ||
        (status && (rc = rt_str_copy(status, status_cap, rt_db_get_text(res, r, 16))) != 0))
        return rc;
    o.side = strcmp(rt_db_get_text(res, r, 3), "BUY") == 0 ? RT_SIDE_BUY : RT_SIDE_SELL;
    if (rt_db_get_money(res, r, 5, &o.ref_price) != 0)
        o.ref_price = 0; /* no known price: the caller fails the order */
    if (rt_db_get_money(res, r, 8, &o.stop_loss) != 0)
        o.stop_loss = 0;
    if (rt_db_get_money(res, r, 9, &o.take_profit) != 0)
        o.take_profit = 0;
    if (rt_db_get_int64(res, r, 10, &o.position_id) != 0)
        o.position_id = 0;
    o.limit = strcmp(rt_db_get_text(res, r, 11), "LIMIT") == 0;
    if (rt_db_get_money(res, r, 12, &o.price) != 0)
        o.price = 0;
    if (rt_db_get_money(res, r, 13, &o.locked) != 0)
        o.locked = 0;
    *out = o;
    return RT_OK;
}

int tr_store_order_lock(rt_db_t *db, int64_t id, tr_svc_order_t *out, char *status,
                        size_t status_cap)
{
    rt_db_result_t *res = NULL;
    int_text_t oid = itext(id);
    const char *p[] = {oid.s};
    int rc = rt_db_exec_prepared(db,
                                 "SELECT " SVC_ORDER_COLS " FROM orders o LEFT JOIN signals s ON "
                                 "s.id = o.signal_id WHERE o.id = $1 FOR UPDATE OF o",
                                 1, p, &res);
    if (rc == 0)
        rc = rt_db_nrows(res) == 1 ? svc_order_row(res, 0, out, status, status_cap) : RT_ENOTFOUND;
    rt_db_result_free(res);
    return rc;
}

int tr_store_resting_buy_qty(rt_db_t *db, const char *symbol, rt_money_t *out)
{
    rt_db_result_t *res = NULL;
    const char *p[] = {symbol};
    int rc = rt_db_exec_prepared(db,
                                 "SELECT coalesce(sum(quantity - filled_quantity), 0) FROM orders "
                                 "WHERE symbol = $1 AND side = 'BUY' AND type = 'LIMIT' AND "
                                 "status IN ('NEW', 'PARTIALLY_FILLED')",
                                 1, p, &res);
    if (rc == 0)
        rc = rt_db_get_money(res, 0, 0, out);
    rt_db_result_free(res);
    return rc;
}

int tr_store_resting_orders(rt_db_t *db, const char *symbol, bool demo, tr_svc_order_t *out,
                            size_t cap, size_t *n)
{
    rt_db_result_t *res = NULL;
    const char *p[] = {symbol, demo ? "true" : "false"};
    int rc =
        rt_db_exec_prepared(db,
                            "SELECT " SVC_ORDER_COLS " FROM orders o LEFT JOIN signals s ON "
                            "s.id = o.signal_id WHERE ($1 = '' OR o.symbol = $1) AND o.status IN "
                            "('NEW', "
                            "'PARTIALLY_FILLED') AND o.demo = $2 AND o.type = 'LIMIT' "
                            "ORDER BY o.id",
                            2, p, &res);
    size_t k = 0;
    for (int r = 0; rc == 0 && r < rt_db_nrows(res) && k < cap; r++)
        if ((rc = svc_order_row(res, r, &out[k], NULL, 0)) == 0)
            k++;
    if (rc == 0)
        *n = k;
    rt_db_result_free(res);
    return rc;
}

int tr_store_balance_add(rt_db_t *db, const char *asset, rt_money_t delta)
{
    rt_db_result_t *res = NULL;
    money_text_t d = mtext(delta);
    const char *p[] = {asset, d.s};
    int rc = rt_db_exec_prepared(db, "UPDATE balances SET free = free + $2 WHERE asset = $1", 2, p,
                                 &res);
    if (rc == 0 && rt_db_affected(res) == 0)
        rc = rt_db_exec_prepared(db,
                                 "INSERT INTO balances (asset, free, demo) VALUES ($1, $2, "
                                 "true)",
                                 2, p, NULL);
    rt_db_result_free(res);
    return rc;
}

int tr_store_position_open_get(rt_db_t *db, const char *symbol, const char *strategy,
                               tr_store_position_t *out)
{
    rt_db_result_t *res = NULL;
    const char *p[] = {symbol, strategy};
    int rc = rt_db_exec_prepared(
        db,
        "SELECT id, entry_price, quantity, initial_quantity, fees FROM positions WHERE symbol = "
        "$1 AND coalesce(strategy, '') = $2 AND status = 'open' ORDER BY id LIMIT 1 FOR UPDATE",
        2, p, &res);
    if (rc != 0)
        goto out;
    if (rt_db_nrows(res) == 0) {
        rc = RT_ENOTFOUND;
        goto out;
    }
    tr_store_position_t pos;
    if ((rc = rt_db_get_int64(res, 0, 0, &pos.id)) != 0 ||
        (rc = rt_db_get_money(res, 0, 1, &pos.entry_price)) != 0 ||
        (rc = rt_db_get_money(res, 0, 2, &pos.quantity)) != 0 ||
        (rc = rt_db_get_money(res, 0, 3, &pos.initial_quantity)) != 0 ||
        (rc = rt_db_get_money(res, 0, 4, &pos.fees)) != 0)
        goto out;
    *out = pos;
out:
    rt_db_result_free(res);
    return rc;
}

int tr_store_position_open(rt_db_t *db, const tr_svc_order_t *o, const tr_exec_fill_t *f,
                           int64_t *id)
{
    rt_db_result_t *res = NULL;
    money_text_t price = mtext(f->price), q = mtext(f->quantity), fee = mtext(f->fee);
    money_text_t sl = mtext(o->stop_loss), tp = mtext(o->take_profit);
    const char *p[] = {o->symbol, or_null(o->strategy),           price.s,
                       q.s,       o->stop_loss > 0 ? sl.s : NULL, o->take_profit > 0 ? tp.s : NULL,
                       fee.s};
    int rc = rt_db_exec_prepared(
        db,
        "INSERT INTO positions (symbol, strategy, entry_price, quantity, initial_quantity, "
        "stop_loss, take_profit, highest_price, fees, demo) VALUES ($1, $2, $3, $4, $4, $5, $6, "
        "$3, $7, true) RETURNING id",
        7, p, &res);
    if (rc == 0)
        rc = rt_db_get_int64(res, 0, 0, id);
    rt_db_result_free(res);
    return rc;
}

int tr_store_position_reduce(rt_db_t *db, int64_t id, const tr_exec_fill_t *f, rt_money_t realized,
                             const char *reason)
{
    int_text_t pid = itext(id);
    money_text_t q = mtext(f->quantity), price = mtext(f->price), fee = mtext(f->fee),
                 pnl = mtext(realized);
    const char *p[] = {pid.s, q.s, price.s, fee.s, pnl.s, reason};
    return rt_db_exec_prepared(
        db,
        "UPDATE positions SET quantity = quantity - $2, exit_price = $3, fees = fees + $4, "
        "realized_pnl = realized_pnl + $5, status = CASE WHEN quantity - $2 = 0 THEN 'closed' "
        "ELSE 'open' END, closed_at = CASE WHEN quantity - $2 = 0 THEN greatest(now(), "
        "opened_at) END, exit_reason = CASE WHEN quantity - $2 = 0 THEN $6 END WHERE id = $1",
        6, p, NULL);
}

/* One trades row of order o's fill f: demo or live (trade_id: the exchange's, 0 = none). A live
 * fill is keyed by the exchange's trade id, so one seen twice (a poll, a restart) is booked
 * once; demo rows have none and never collide. */
static int trade_insert(rt_db_t *db, const tr_svc_order_t *o, const tr_exec_fill_t *f,
                        int64_t position_id, int64_t trade_id, bool demo)
{
    int_text_t oid = itext(o->id), pid = itext(position_id), tid = itext(trade_id);
    money_text_t price = mtext(f->price), q = mtext(f->quantity), qq = mtext(f->quote_quantity),
                 fee = mtext(f->fee);
    const char *p[] = {oid.s,
                       o->symbol,
                       side_name(o->side),
                       price.s,
                       q.s,
                       fee.s,
                       f->fee_asset,
                       qq.s,
                       or_null(o->strategy),
                       o->client_order_id,
                       position_id > 0 ? pid.s : NULL,
                       trade_id > 0 ? tid.s : NULL,
                       f->maker ? "MAKER" : "TAKER",
                       demo ? "true" : "false"};
    return rt_db_exec_prepared(
        db,
        "INSERT INTO trades (order_id, symbol, side, status, price, quantity, fee, fee_asset, "
        "role, quote_quantity, demo, strategy, client_order_id, position_id, exchange_trade_id) "
        "VALUES ($1, $2, $3, 'FILLED', $4, $5, $6, $7, $13, $8, $14, $9, $10, $11, $12) "
        "ON CONFLICT (symbol, exchange_trade_id) DO NOTHING",
        14, p, NULL);
}

int tr_store_trade_insert(rt_db_t *db, const tr_svc_order_t *o, const tr_exec_fill_t *f,
                          int64_t position_id)
{
    return trade_insert(db, o, f, position_id, 0, true);
}

int tr_store_order_filled(rt_db_t *db, const tr_svc_order_t *o, const tr_exec_fill_t *f,
                          int64_t position_id)
{
    int_text_t oid = itext(o->id), pid = itext(position_id);
    money_text_t q = mtext(f->quantity), qq = mtext(f->quote_quantity), price = mtext(f->price);
    const char *p[] = {oid.s, q.s, qq.s, price.s, position_id > 0 ? pid.s : NULL};
    return rt_db_exec_prepared(db,
                               "UPDATE orders SET status = 'FILLED', filled_quantity = $2, "
                               "filled_quote_quantity = $3, avg_price = $4, position_id = "
                               "coalesce($5, position_id) WHERE id = $1",
                               5, p, NULL);
}

int tr_store_order_failed(rt_db_t *db, int64_t id, const char *error)
{
    int_text_t oid = itext(id);
    const char *p[] = {oid.s, error};
    return rt_db_exec_prepared(
        db, "UPDATE orders SET status = 'REJECTED', error = $2 WHERE id = $1", 2, p, NULL);
}

int tr_store_pending_orders(rt_db_t *db, bool demo, tr_svc_order_t *out, size_t cap, size_t *n)
{
    rt_db_result_t *res = NULL;
    const char *p[] = {demo ? "true" : "false"};
    int rc = rt_db_exec(db,
                        "SELECT " SVC_ORDER_COLS " FROM orders o LEFT JOIN signals s ON s.id = "
                        "o.signal_id WHERE o.status = 'PENDING' AND o.demo = $1 ORDER BY o.id",
                        1, p, &res);
    size_t k = 0;
    for (int r = 0; rc == 0 && r < rt_db_nrows(res) && k < cap; r++)
        if ((rc = svc_order_row(res, r, &out[k], NULL, 0)) == 0)
            k++;
    if (rc == 0)
        *n = k;
    rt_db_result_free(res);
    return rc;
}

/* ---- loaders ------------------------------------------------------------------------------ */

#define MS(col) "(extract(epoch FROM " col ") * 1000)::bigint"

static int get_money_opt(const rt_db_result_t *res, int r, int c, rt_money_t *out)
{
    if (rt_db_is_null(res, r, c)) {
        *out = 0;
        return RT_OK;
    }
    return rt_db_get_money(res, r, c, out);
}

static int get_int_opt(const rt_db_result_t *res, int r, int c, int64_t *out)
{
    if (rt_db_is_null(res, r, c)) {
        *out = 0;
        return RT_OK;
    }
    return rt_db_get_int64(res, r, c, out);
}

static int get_text(const rt_db_result_t *res, int r, int c, char *buf, size_t cap)
{
    if (rt_db_is_null(res, r, c)) {
        buf[0] = '\0';
        return RT_OK;
    }
    return rt_str_copy(buf, cap, rt_db_get_text(res, r, c));
}

#define ORDER_COLS                                                                                 \
    "id, client_order_id, exchange_order_id, symbol, side, type, status, quantity, "               \
    "quote_quantity, price, filled_quantity, filled_quote_quantity, avg_price, source, strategy, " \
    "signal_id, position_id, reason, error, demo, " MS("created_at") ", " MS("updated_at")

static int order_row(const rt_db_result_t *res, int r, rt_order_t *out)
{
    int rc;
    rt_order_t o;
    memset(&o, 0, sizeof o);
    char side[8], type[8], status[24], source[12];
    if ((rc = rt_db_get_int64(res, r, 0, &o.id)) != 0 ||
        (rc = get_text(res, r, 1, o.client_order_id, sizeof o.client_order_id)) != 0 ||
        (rc = get_int_opt(res, r, 2, &o.exchange_order_id)) != 0 ||
        (rc = get_text(res, r, 3, o.symbol, sizeof o.symbol)) != 0 ||
        (rc = get_text(res, r, 4, side, sizeof side)) != 0 ||
        (rc = get_text(res, r, 5, type, sizeof type)) != 0 ||
        (rc = get_text(res, r, 6, status, sizeof status)) != 0 ||
        (rc = get_money_opt(res, r, 7, &o.quantity)) != 0 ||
        (rc = get_money_opt(res, r, 8, &o.quote_quantity)) != 0 ||
        (rc = get_money_opt(res, r, 9, &o.price)) != 0 ||
        (rc = get_money_opt(res, r, 10, &o.filled_quantity)) != 0 ||
        (rc = get_money_opt(res, r, 11, &o.filled_quote_quantity)) != 0 ||
        (rc = get_money_opt(res, r, 12, &o.avg_price)) != 0 ||
        (rc = get_text(res, r, 13, source, sizeof source)) != 0 ||
        (rc = get_text(res, r, 14, o.strategy, sizeof o.strategy)) != 0 ||
        (rc = get_text(res, r, 15, o.signal_id, sizeof o.signal_id)) != 0 ||
        (rc = get_int_opt(res, r, 16, &o.position_id)) != 0 ||
        (rc = get_text(res, r, 17, o.reason, sizeof o.reason)) != 0 ||
        (rc = get_text(res, r, 18, o.error, sizeof o.error)) != 0 ||
        (rc = rt_db_get_bool(res, r, 19, &o.demo)) != 0 ||
        (rc = rt_db_get_int64(res, r, 20, &o.created_at)) != 0 ||
        (rc = rt_db_get_int64(res, r, 21, &o.updated_at)) != 0)
        return rc;
    if ((rc = rt_side_parse(side, &o.side)) != 0 ||
        (rc = rt_order_type_parse(type, &o.type)) != 0 ||
        (rc = rt_order_status_parse(status, &o.status)) != 0 ||
        (rc = rt_order_source_parse(source, &o.source)) != 0)
        return rc;
    *out = o;
    return RT_OK;
}

int tr_store_order_get(rt_db_t *db, int64_t id, rt_order_t *out)
{
    rt_db_result_t *res = NULL;
    int_text_t oid = itext(id);
    const char *p[] = {oid.s};
    int rc = rt_db_exec_prepared(db, "SELECT " ORDER_COLS " FROM orders WHERE id = $1", 1, p, &res);
    if (rc == 0)
        rc = rt_db_nrows(res) == 1 ? order_row(res, 0, out) : RT_ENOTFOUND;
    rt_db_result_free(res);
    return rc;
}

int tr_store_orders_list(rt_db_t *db, const char *status, const char *symbol, int64_t limit,
                         int64_t offset, rt_order_t *out, size_t *n)
{
    rt_db_result_t *res = NULL;
    int_text_t lim = itext(limit), off = itext(offset);
    const char *p[] = {or_null(status), or_null(symbol), lim.s, off.s};
    int rc = rt_db_exec(db,
                        "SELECT " ORDER_COLS " FROM orders WHERE ($1::text IS NULL OR status = $1) "
                        "AND ($2::text IS NULL OR symbol = $2) ORDER BY id DESC LIMIT $3 OFFSET $4",
                        4, p, &res);
    size_t k = 0;
    for (int r = 0; rc == 0 && r < rt_db_nrows(res) && k < (size_t)limit; r++)
        if ((rc = order_row(res, r, &out[k])) == 0)
            k++;
    if (rc == 0)
        *n = k;
    rt_db_result_free(res);
    return rc;
}

int tr_store_trades_of_order(rt_db_t *db, int64_t order_id, rt_trade_t *out, size_t cap, size_t *n)
{
    rt_db_result_t *res = NULL;
    int_text_t oid = itext(order_id);
    const char *p[] = {oid.s};
    int rc = rt_db_exec_prepared(
        db,
        "SELECT id, order_id, client_order_id, symbol, side, status, price, quantity, "
        "quote_quantity, fee, fee_asset, role, strategy, position_id, exchange_trade_id, demo, " MS(
            "timestamp") " FROM trades WHERE order_id = $1 ORDER BY id",
        1, p, &res);
    size_t k = 0;
    for (int r = 0; rc == 0 && r < rt_db_nrows(res) && k < cap; r++) {
        rt_trade_t t;
        memset(&t, 0, sizeof t);
        char side[8], status[24], role[8];
        if ((rc = rt_db_get_int64(res, r, 0, &t.id)) != 0 ||
            (rc = get_int_opt(res, r, 1, &t.order_id)) != 0 ||
            (rc = get_text(res, r, 2, t.client_order_id, sizeof t.client_order_id)) != 0 ||
            (rc = get_text(res, r, 3, t.symbol, sizeof t.symbol)) != 0 ||
            (rc = get_text(res, r, 4, side, sizeof side)) != 0 ||
            (rc = get_text(res, r, 5, status, sizeof status)) != 0 ||
            (rc = rt_db_get_money(res, r, 6, &t.price)) != 0 ||
            (rc = rt_db_get_money(res, r, 7, &t.quantity)) != 0 ||
            (rc = rt_db_get_money(res, r, 8, &t.quote_quantity)) != 0 ||
            (rc = rt_db_get_money(res, r, 9, &t.fee)) != 0 ||
            (rc = get_text(res, r, 10, t.fee_asset, sizeof t.fee_asset)) != 0 ||
            (rc = get_text(res, r, 11, role, sizeof role)) != 0 ||
            (rc = get_text(res, r, 12, t.strategy, sizeof t.strategy)) != 0 ||
            (rc = get_int_opt(res, r, 13, &t.position_id)) != 0 ||
            (rc = get_int_opt(res, r, 14, &t.exchange_trade_id)) != 0 ||
            (rc = rt_db_get_bool(res, r, 15, &t.demo)) != 0 ||
            (rc = rt_db_get_int64(res, r, 16, &t.timestamp)) != 0)
            break;
        if ((rc = rt_side_parse(side, &t.side)) != 0 ||
            (rc = rt_order_status_parse(status, &t.status)) != 0)
            break;
        t.role = strcmp(role, "MAKER") == 0 ? RT_ROLE_MAKER : RT_ROLE_TAKER;
        out[k++] = t;
    }
    if (rc == 0)
        *n = k;
    rt_db_result_free(res);
    return rc;
}

#define POSITION_COLS                                                                              \
    "id, symbol, strategy, status, entry_price, quantity, initial_quantity, stop_loss, "           \
    "take_profit, trailing_active, highest_price, trailing_stop, partial_taken, breakeven_armed, " \
    "exit_price, realized_pnl, fees, demo, " MS("opened_at") ", " MS(                              \
        "closed_at") ", exit_reason, " MS("updated_at")

static int position_row(const rt_db_result_t *res, int r, rt_position_t *out)
{
    int rc;
    rt_position_t p;
    memset(&p, 0, sizeof p);
    char status[8];
    if ((rc = rt_db_get_int64(res, r, 0, &p.id)) != 0 ||
        (rc = get_text(res, r, 1, p.symbol, sizeof p.symbol)) != 0 ||
        (rc = get_text(res, r, 2, p.strategy, sizeof p.strategy)) != 0 ||
        (rc = get_text(res, r, 3, status, sizeof status)) != 0 ||
        (rc = rt_db_get_money(res, r, 4, &p.entry_price)) != 0 ||
        (rc = rt_db_get_money(res, r, 5, &p.quantity)) != 0 ||
        (rc = rt_db_get_money(res, r, 6, &p.initial_quantity)) != 0 ||
        (rc = get_money_opt(res, r, 7, &p.stop_loss)) != 0 ||
        (rc = get_money_opt(res, r, 8, &p.take_profit)) != 0 ||
        (rc = rt_db_get_bool(res, r, 9, &p.trailing_active)) != 0 ||
        (rc = get_money_opt(res, r, 10, &p.highest_price)) != 0 ||
        (rc = get_money_opt(res, r, 11, &p.trailing_stop)) != 0 ||
        (rc = rt_db_get_bool(res, r, 12, &p.partial_taken)) != 0 ||
        (rc = rt_db_get_bool(res, r, 13, &p.breakeven_armed)) != 0 ||
        (rc = get_money_opt(res, r, 14, &p.exit_price)) != 0 ||
        (rc = rt_db_get_money(res, r, 15, &p.realized_pnl)) != 0 ||
        (rc = rt_db_get_money(res, r, 16, &p.fees)) != 0 ||
        (rc = rt_db_get_bool(res, r, 17, &p.demo)) != 0 ||
        (rc = rt_db_get_int64(res, r, 18, &p.opened_at)) != 0 ||
        (rc = get_int_opt(res, r, 19, &p.closed_at)) != 0 ||
        (rc = get_text(res, r, 20, p.exit_reason, sizeof p.exit_reason)) != 0 ||
        (rc = rt_db_get_int64(res, r, 21, &p.updated_at)) != 0)
        return rc;
    if ((rc = rt_position_status_parse(status, &p.status)) != 0)
        return rc;
    *out = p;
    return RT_OK;
}

int tr_store_position_get(rt_db_t *db, int64_t id, rt_position_t *out)
{
    rt_db_result_t *res = NULL;
    int_text_t pid = itext(id);
    const char *p[] = {pid.s};
    int rc = rt_db_exec_prepared(db, "SELECT " POSITION_COLS " FROM positions WHERE id = $1", 1, p,
                                 &res);
    if (rc == 0)
        rc = rt_db_nrows(res) == 1 ? position_row(res, 0, out) : RT_ENOTFOUND;
    rt_db_result_free(res);
    return rc;
}

int tr_store_open_positions(rt_db_t *db, rt_position_t *out, size_t cap, size_t *n)
{
    rt_db_result_t *res = NULL;
    int rc = rt_db_exec_prepared(
        db, "SELECT " POSITION_COLS " FROM positions WHERE status = 'open' ORDER BY id", 0, NULL,
        &res);
    size_t k = 0;
    for (int r = 0; rc == 0 && r < rt_db_nrows(res) && k < cap; r++)
        if ((rc = position_row(res, r, &out[k])) == 0)
            k++;
    if (rc == 0)
        *n = k;
    rt_db_result_free(res);
    return rc;
}

int tr_store_open_positions_of(rt_db_t *db, const char *symbol, rt_position_t *out, size_t cap,
                               size_t *n)
{
    rt_db_result_t *res = NULL;
    const char *p[] = {symbol};
    int rc = rt_db_exec_prepared(db,
                                 "SELECT " POSITION_COLS " FROM positions WHERE status = 'open' "
                                 "AND symbol = $1 ORDER BY id",
                                 1, p, &res);
    size_t k = 0;
    for (int r = 0; rc == 0 && r < rt_db_nrows(res) && k < cap; r++)
        if ((rc = position_row(res, r, &out[k])) == 0)
            k++;
    if (rc == 0)
        *n = k;
    rt_db_result_free(res);
    return rc;
}

int tr_store_position_entry_signal(rt_db_t *db, int64_t position_id, int64_t *open_ms,
                                   char *interval, size_t cap)
{
    rt_db_result_t *res = NULL;
    int_text_t pid = itext(position_id);
    const char *p[] = {pid.s};
    static const char sql[] =
        "SELECT (extract(epoch FROM s.signal_time) * 1000)::bigint, coalesce(s.interval, '') "
        "FROM orders o JOIN signals s ON s.id = o.signal_id "
        "WHERE o.position_id = $1 AND o.side = 'BUY' ORDER BY o.id LIMIT 1";
    int rc = rt_db_exec_prepared(db, sql, 1, p, &res);
    int64_t t = 0;
    if (rc == 0 && rt_db_nrows(res) == 0)
        rc = RT_ENOTFOUND;
    if (rc == 0)
        rc = rt_db_get_int64(res, 0, 0, &t);
    if (rc == 0)
        rc = rt_str_copy(interval, cap, rt_db_get_text(res, 0, 1));
    if (rc == 0)
        *open_ms = t;
    rt_db_result_free(res);
    return rc;
}

int tr_store_position_exit_state(rt_db_t *db, const rt_position_t *p)
{
    int_text_t pid = itext(p->id);
    money_text_t sl = mtext(p->stop_loss), hi = mtext(p->highest_price),
                 ts = mtext(p->trailing_stop);
    const char *v[] = {pid.s,
                       p->stop_loss > 0 ? sl.s : NULL,
                       p->trailing_active ? "true" : "false",
                       p->highest_price > 0 ? hi.s : NULL,
                       p->trailing_stop > 0 ? ts.s : NULL,
                       p->partial_taken ? "true" : "false",
                       p->breakeven_armed ? "true" : "false"};
    return rt_db_exec_prepared(db,
                               "UPDATE positions SET stop_loss = $2, trailing_active = $3, "
                               "highest_price = $4, trailing_stop = $5, partial_taken = $6, "
                               "breakeven_armed = $7 WHERE id = $1 AND status = 'open'",
                               7, v, NULL);
}

int tr_store_balances(rt_db_t *db, rt_balance_t *out, size_t cap, size_t *n)
{
    rt_db_result_t *res = NULL;
    int rc = rt_db_exec_prepared(
        db, "SELECT asset, free, locked, free + locked FROM balances ORDER BY asset", 0, NULL,
        &res);
    size_t k = 0;
    for (int r = 0; rc == 0 && r < rt_db_nrows(res) && k < cap; r++) {
        rt_balance_t b;
        memset(&b, 0, sizeof b);
        if ((rc = get_text(res, r, 0, b.asset, sizeof b.asset)) != 0 ||
            (rc = rt_db_get_money(res, r, 1, &b.free)) != 0 ||
            (rc = rt_db_get_money(res, r, 2, &b.locked)) != 0 ||
            (rc = rt_db_get_money(res, r, 3, &b.total)) != 0)
            break;
        out[k++] = b;
    }
    if (rc == 0)
        *n = k;
    rt_db_result_free(res);
    return rc;
}

/* ---- trader's own tables (003_trader) ---------------------------------------------------------
 */

int tr_store_malformed(rt_db_t *db, const char *stream, const char *entry_id, const char *data,
                       size_t len, const char *field, const char *reason)
{
    size_t keep = len > 4096 ? 4096 : len;
    char *hex = malloc(2 * keep + 3);
    char why[256], fld[64];
    if (!hex)
        return RT_ENOMEM;
    hex[0] = '\\';
    hex[1] = 'x';
    int rc = rt_str_hex_encode(data ? data : "", keep, hex + 2, 2 * keep + 1);
    /* the codec's sentence may quote the bad input: keep printable ASCII only */
    size_t j = 0;
    for (size_t i = 0; reason && reason[i] && j + 1 < sizeof why; i++)
        why[j++] = reason[i] >= 0x20 && reason[i] < 0x7f ? reason[i] : '?';
    why[j] = '\0';
    j = 0;
    for (size_t i = 0; field && field[i] && j + 1 < sizeof fld; i++)
        fld[j++] = field[i] >= 0x20 && field[i] < 0x7f ? field[i] : '?';
    fld[j] = '\0';
    int_text_t size = itext((int64_t)len);
    const char *p[] = {entry_id, stream, hex, size.s, or_null(fld), why[0] ? why : "malformed"};
    if (rc == 0)
        rc = rt_db_exec_prepared(db,
                                 "INSERT INTO malformed_signals (entry_id, stream, payload, "
                                 "payload_size, field, reason) VALUES ($1, $2, $3::bytea, $4, "
                                 "$5, $6) ON CONFLICT (entry_id) DO NOTHING",
                                 6, p, NULL);
    free(hex);
    return rc;
}

int tr_store_risk_state_get(rt_db_t *db, bool *paused)
{
    rt_db_result_t *res = NULL;
    int rc = rt_db_exec(db, "SELECT paused FROM trader_risk_state WHERE id = 1", 0, NULL, &res);
    if (rc == 0)
        rc = rt_db_nrows(res) == 1 ? rt_db_get_bool(res, 0, 0, paused) : RT_ENOTFOUND;
    rt_db_result_free(res);
    return rc;
}

int tr_store_risk_state_set(rt_db_t *db, bool paused, const char *reason)
{
    const char *p[] = {paused ? "true" : "false", or_null(reason)};
    return rt_db_exec(db,
                      "UPDATE trader_risk_state SET paused = $1, reason = $2, updated_at = now() "
                      "WHERE id = 1",
                      2, p, NULL);
}

int tr_store_last_trade_ms(rt_db_t *db, const char *symbol, int64_t *out)
{
    rt_db_result_t *res = NULL;
    const char *p[] = {symbol};
    int rc = rt_db_exec_prepared(db,
                                 "SELECT coalesce((extract(epoch FROM max(timestamp)) * 1000)"
                                 "::bigint, 0) FROM trades WHERE symbol = $1",
                                 1, p, &res);
    if (rc == 0)
        rc = rt_db_get_int64(res, 0, 0, out);
    rt_db_result_free(res);
    return rc;
}

int tr_store_trade_insert_live(rt_db_t *db, const tr_svc_order_t *o, const tr_exec_fill_t *f,
                               int64_t position_id, int64_t trade_id)
{
    return trade_insert(db, o, f, position_id, trade_id, false);
}

int tr_store_order_exchange_id(rt_db_t *db, int64_t id, int64_t exchange_order_id)
{
    int_text_t oid = itext(id), eid = itext(exchange_order_id);
    const char *p[] = {oid.s, eid.s};
    return rt_db_exec_prepared(db, "UPDATE orders SET exchange_order_id = $2 WHERE id = $1", 2, p,
                               NULL);
}

int tr_store_position_live(rt_db_t *db, int64_t id)
{
    int_text_t pid = itext(id);
    const char *p[] = {pid.s};
    return rt_db_exec_prepared(db, "UPDATE positions SET demo = false WHERE id = $1", 1, p, NULL);
}

int tr_store_balances_replace(rt_db_t *db, const rt_balance_t *b, size_t n)
{
    int rc = rt_db_exec(db, "UPDATE balances SET free = 0, locked = 0, demo = false", 0, NULL,
                        NULL);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        money_text_t fr = mtext(b[i].free), lk = mtext(b[i].locked);
        const char *p[] = {b[i].asset, fr.s, lk.s};
        rc = rt_db_exec_prepared(db,
                                 "INSERT INTO balances (asset, free, locked, demo) VALUES ($1, "
                                 "$2, $3, false) ON CONFLICT (asset) DO UPDATE SET free = $2, "
                                 "locked = $3, demo = false",
                                 3, p, NULL);
    }
    return rc;
}

int tr_store_trade_fee_unvalued(rt_db_t *db, int64_t order_id, int64_t trade_id)
{
    int_text_t oid = itext(order_id), tid = itext(trade_id);
    const char *p[] = {oid.s, trade_id > 0 ? tid.s : NULL};
    return rt_db_exec_prepared(db,
                               "UPDATE trades SET fee_unvalued = true WHERE order_id = $1 AND "
                               "exchange_trade_id IS NOT DISTINCT FROM $2::bigint",
                               2, p, NULL);
}

int tr_store_order_live_resting(rt_db_t *db, int64_t id, int64_t exchange_order_id)
{
    rt_db_result_t *res = NULL;
    int_text_t oid = itext(id), eid = itext(exchange_order_id);
    const char *p[] = {oid.s, exchange_order_id > 0 ? eid.s : NULL};
    int rc = rt_db_exec_prepared(db,
                                 "UPDATE orders SET status = 'NEW', exchange_order_id = "
                                 "coalesce($2, exchange_order_id) WHERE id = $1 AND status = "
                                 "'PENDING'",
                                 2, p, &res);
    if (rc == 0 && rt_db_affected(res) != 1)
        rc = RT_ESTATE;
    rt_db_result_free(res);
    return rc;
}

int tr_store_order_fill_totals(rt_db_t *db, int64_t id, rt_money_t *qty, rt_money_t *quote)
{
    rt_db_result_t *res = NULL;
    int_text_t oid = itext(id);
    const char *p[] = {oid.s};
    int rc = rt_db_exec_prepared(db,
                                 "SELECT coalesce(sum(quantity), 0), coalesce(sum(quote_quantity), "
                                 "0) FROM trades WHERE order_id = $1",
                                 1, p, &res);
    rt_money_t q = 0, qq = 0;
    if (rc == 0 && (rc = rt_db_get_money(res, 0, 0, &q)) == 0 &&
        (rc = rt_db_get_money(res, 0, 1, &qq)) == 0) {
        *qty = q;
        *quote = qq;
    }
    rt_db_result_free(res);
    return rc;
}

int tr_store_order_progress(rt_db_t *db, int64_t id, const char *status, rt_money_t filled,
                            rt_money_t filled_quote, rt_money_t avg_price, int64_t position_id)
{
    int_text_t oid = itext(id), pid = itext(position_id);
    money_text_t f = mtext(filled), fq = mtext(filled_quote), avg = mtext(avg_price);
    const char *p[] = {
        oid.s, status, f.s, fq.s, avg_price > 0 ? avg.s : NULL, position_id > 0 ? pid.s : NULL};
    return rt_db_exec_prepared(db,
                               "UPDATE orders SET status = $2, filled_quantity = $3, "
                               "filled_quote_quantity = $4, avg_price = $5, position_id = "
                               "coalesce($6, position_id) WHERE id = $1",
                               6, p, NULL);
}

int tr_store_trades_set_position(rt_db_t *db, int64_t order_id, int64_t position_id)
{
    int_text_t oid = itext(order_id), pid = itext(position_id);
    const char *p[] = {oid.s, pid.s};
    return rt_db_exec_prepared(db, "UPDATE trades SET position_id = $2 WHERE order_id = $1", 2, p,
                               NULL);
}
