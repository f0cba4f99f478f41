/* rt-trader's SQL: every statement the service runs, parameterized. Callers own transactions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/log.h"
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

int tr_store_order_insert(rt_db_t *db, tr_order_t *o, bool demo)
{
    rt_db_result_t *res = NULL;
    money_text_t q = mtext(o->quantity);
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
                       o->side == RT_SIDE_BUY ? "entry" : "exit"};
    int rc = rt_db_exec_prepared(
        db,
        "INSERT INTO orders (client_order_id, symbol, side, type, status, quantity, source, "
        "strategy, signal_id, position_id, demo, reason) VALUES ($1, $2, $3, 'MARKET', "
        "'PENDING', $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        10, p, &res);
    if (rc == 0)
        rc = rt_db_get_int64(res, 0, 0, &o->id);
    rt_db_result_free(res);
    return rc;
}

int tr_store_balance_free(rt_db_t *db, const char *asset, rt_money_t *out)
{
    rt_db_result_t *res = NULL;
    const char *p[] = {asset};
    int rc = rt_db_exec_prepared(db, "SELECT free FROM balances WHERE asset = $1 FOR UPDATE", 1, p,
                                 &res);
    if (rc != 0)
        goto out;
    if (rt_db_nrows(res) == 0) {
        *out = 0;
        goto out;
    }
    rc = rt_db_get_money(res, 0, 0, out);
out:
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

int tr_store_position_open(rt_db_t *db, const tr_order_t *o, const tr_exec_fill_t *f, int64_t *id)
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

int tr_store_trade_insert(rt_db_t *db, const tr_order_t *o, const tr_exec_fill_t *f,
                          int64_t position_id)
{
    int_text_t oid = itext(o->id), pid = itext(position_id);
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
                       position_id > 0 ? pid.s : NULL};
    return rt_db_exec_prepared(
        db,
        "INSERT INTO trades (order_id, symbol, side, status, price, quantity, fee, fee_asset, "
        "role, quote_quantity, demo, strategy, client_order_id, position_id) VALUES ($1, $2, "
        "$3, 'FILLED', $4, $5, $6, $7, 'TAKER', $8, true, $9, $10, $11)",
        11, p, NULL);
}

int tr_store_order_filled(rt_db_t *db, const tr_order_t *o, const tr_exec_fill_t *f,
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

int tr_store_pending_orders(rt_db_t *db, bool demo, tr_order_t *out, size_t cap, size_t *n)
{
    rt_db_result_t *res = NULL;
    const char *p[] = {demo ? "true" : "false"};
    int rc = rt_db_exec(
        db,
        "SELECT o.id, o.client_order_id, o.symbol, o.side, o.quantity, s.price, "
        "coalesce(o.strategy, ''), coalesce(o.signal_id, ''), s.stop_loss, s.take_profit, "
        "o.position_id FROM orders o LEFT JOIN signals s ON s.id = o.signal_id WHERE o.status "
        "= 'PENDING' AND o.demo = $1 ORDER BY o.id",
        1, p, &res);
    if (rc != 0)
        goto out;
    size_t k = 0;
    for (int r = 0; r < rt_db_nrows(res) && k < cap; r++) {
        tr_order_t o;
        memset(&o, 0, sizeof o);
        if ((rc = rt_db_get_int64(res, r, 0, &o.id)) != 0 ||
            (rc = rt_str_copy(o.client_order_id, sizeof o.client_order_id,
                              rt_db_get_text(res, r, 1))) != 0 ||
            (rc = rt_str_copy(o.symbol, sizeof o.symbol, rt_db_get_text(res, r, 2))) != 0 ||
            (rc = rt_db_get_money(res, r, 4, &o.quantity)) != 0 ||
            (rc = rt_str_copy(o.strategy, sizeof o.strategy, rt_db_get_text(res, r, 6))) != 0 ||
            (rc = rt_str_copy(o.signal_id, sizeof o.signal_id, rt_db_get_text(res, r, 7))) != 0)
            goto out;
        o.side = strcmp(rt_db_get_text(res, r, 3), "BUY") == 0 ? RT_SIDE_BUY : RT_SIDE_SELL;
        if (rt_db_get_money(res, r, 5, &o.ref_price) != 0)
            o.ref_price = 0; /* no known price: the caller fails the order */
        if (rt_db_get_money(res, r, 8, &o.stop_loss) != 0)
            o.stop_loss = 0;
        if (rt_db_get_money(res, r, 9, &o.take_profit) != 0)
            o.take_profit = 0;
        if (rt_db_get_int64(res, r, 10, &o.position_id) != 0)
            o.position_id = 0;
        out[k++] = o;
    }
    *n = k;
out:
    rt_db_result_free(res);
    return rc;
}

int tr_store_balances_json(rt_db_t *db, char **out)
{
    rt_db_result_t *res = NULL;
    char *buf = NULL;
    int rc =
        rt_db_exec(db, "SELECT asset, free, locked, free + locked FROM balances ORDER BY asset", 0,
                   NULL, &res);
    if (rc != 0)
        goto out;
    size_t cap = 64 + (size_t)rt_db_nrows(res) * 192, len = 0;
    buf = malloc(cap);
    if (!buf) {
        rc = RT_ENOMEM;
        goto out;
    }
    buf[len++] = '[';
    for (int r = 0; r < rt_db_nrows(res); r++) {
        rt_money_t m[3];
        for (int c = 0; c < 3; c++)
            if ((rc = rt_db_get_money(res, r, c + 1, &m[c])) != 0)
                goto out;
        money_text_t f = mtext(m[0]), l = mtext(m[1]), t = mtext(m[2]);
        /* asset names are checked by the table (^[A-Z0-9]{1,16}$): nothing to escape */
        int n = snprintf(buf + len, cap - len,
                         "%s{\"asset\":\"%s\",\"free\":%s,\"locked\":%s,\"total\":%s}",
                         r ? "," : "", rt_db_get_text(res, r, 0), f.s, l.s, t.s);
        if (n < 0 || (size_t)n >= cap - len) {
            rc = RT_ETOOBIG;
            goto out;
        }
        len += (size_t)n;
    }
    buf[len++] = ']';
    buf[len] = '\0';
    *out = buf;
    buf = NULL;
out:
    free(buf);
    rt_db_result_free(res);
    return rc;
}
