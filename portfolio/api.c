/* The read API of rt-portfolio (ARCHITECTURE.md section 7, docs/PORTFOLIO.md): every handler
 * takes a connection from the pool, runs parameterized SQL and writes exact JSON (NUMERIC text
 * -> rt_money_t -> JSON number, never double). Bad query parameters get a 400 naming them. */
#include <string.h>

#include "pf.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/str.h"
#include "rt/time.h"

/* Milliseconds since the epoch of a timestamptz column, as SQL text. */
#define MS(col) "floor(extract(epoch FROM " col ") * 1000)::bigint"

/* How a result column is written: its JSON key and kind. */
typedef enum { COL_STR, COL_MONEY, COL_INT, COL_BOOL, COL_JSON } col_kind_t;
typedef struct {
    const char *key;
    col_kind_t kind;
} col_t;

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

/* Writes row `row` of r as one JSON object, column i under cols[i]; SQL NULL is null. */
static void write_row(rt_jsonw_t *w, const rt_db_result_t *r, int row, const col_t *cols,
                      size_t n)
{
    rt_jsonw_object_begin(w);
    for (size_t i = 0; i < n; i++) {
        int c = (int)i;
        rt_jsonw_key(w, cols[i].key);
        if (rt_db_is_null(r, row, c)) {
            rt_jsonw_null(w);
            continue;
        }
        const char *text = rt_db_get_text(r, row, c);
        switch (cols[i].kind) {
        case COL_STR:
            rt_jsonw_string(w, text);
            break;
        case COL_MONEY: {
            rt_money_t m;
            if (rt_db_get_money(r, row, c, &m) == 0) {
                rt_jsonw_money(w, m);
            } else {
                rt_log_warn("api", "column=%s value not representable as money", cols[i].key);
                rt_jsonw_null(w);
            }
            break;
        }
        case COL_INT: {
            int64_t v;
            if (rt_db_get_int64(r, row, c, &v) == 0)
                rt_jsonw_int(w, v);
            else
                rt_jsonw_null(w);
            break;
        }
        case COL_BOOL: {
            bool b;
            if (rt_db_get_bool(r, row, c, &b) == 0)
                rt_jsonw_bool(w, b);
            else
                rt_jsonw_null(w);
            break;
        }
        case COL_JSON:
            rt_jsonw_raw(w, text, strlen(text));
            break;
        }
    }
    rt_jsonw_object_end(w);
}

/* Writes every row of r as an array under key. */
static void write_rows(rt_jsonw_t *w, const char *key, const rt_db_result_t *r, const col_t *cols,
                       size_t n)
{
    rt_jsonw_key(w, key);
    rt_jsonw_array_begin(w);
    for (int i = 0; i < rt_db_nrows(r); i++)
        write_row(w, r, i, cols, n);
    rt_jsonw_array_end(w);
}

/* Sends the writer's document, or a 500 when writing failed. */
static int send_doc(rt_http_response_t *res, rt_jsonw_t *w)
{
    int rc = rt_jsonw_finish(w);
    if (rc < 0) {
        rt_log_error("api", "json writer failed: %s", rt_strerror(rc));
        rc = rt_http_respond_error(res, 500, "internal", "response could not be written");
    } else {
        rc = rt_http_respond_json(res, 200, rt_jsonw_data(w));
    }
    return rc;
}

static int take_db(pf_ctx_t *ctx, rt_http_response_t *res, rt_db_t **db)
{
    int rc = pf_dbpool_get(ctx->pool, 2000, db);
    if (rc < 0)
        rt_http_respond_error(res, 503, "busy", "no database connection free, retry");
    return rc;
}

/* A query failed: map it (the server's default mapping: RT_ECONN/RT_EDB -> 503, ...). */
static int db_failed(pf_ctx_t *ctx, int rc)
{
    if (rc == RT_ECONN)
        atomic_store(&ctx->db_up, false);
    return rc;
}

/* Takes a connection into *db unless one is held, runs one prepared statement into *r; a
 * failure has its answer (503 when no connection is free, else the server's mapping). */
static int query(pf_ctx_t *ctx, rt_http_response_t *res, rt_db_t **db, const char *sql, int np,
                 const char *const *p, rt_db_result_t **r)
{
    int rc = *db ? 0 : take_db(ctx, res, db);
    if (rc == 0) {
        rc = rt_db_exec_prepared(*db, sql, np, p, r);
        if (rc < 0)
            rc = db_failed(ctx, rc);
    }
    return rc;
}

/* Sends {"key": [rows...]}. */
static int send_rows(rt_http_response_t *res, rt_jsonw_t *w, const char *key,
                     const rt_db_result_t *r, const col_t *cols, size_t n)
{
    rt_jsonw_object_begin(w);
    write_rows(w, key, r, cols, n);
    rt_jsonw_object_end(w);
    return send_doc(res, w);
}

/* ---- parameters ---- */

/* Optional symbol parameter: 0 with *present false when absent, 0 with it upper-cased into buf,
 * or RT_EINVAL with a 400 naming it. */
static int q_symbol(const rt_http_request_t *req, rt_http_response_t *res, const char *name,
                    char *buf, size_t cap, bool *present)
{
    const char *v;
    *present = false;
    if (!rt_http_query(req, name, &v) || v[0] == '\0')
        return 0;
    if (pf_param_symbol(v, buf, cap) != 0) {
        rt_http_respond_errorf(res, 400, "bad_parameter",
                               "%s: must be a symbol of 2 to 20 letters or digits", name);
        return RT_EINVAL;
    }
    *present = true;
    return 0;
}

/* Optional strategy filter: NULL when absent, "" for manual ("manual"), else the name. */
static int q_strategy(const rt_http_request_t *req, rt_http_response_t *res, const char **out)
{
    const char *v;
    *out = NULL;
    if (!rt_http_query(req, "strategy", &v) || v[0] == '\0')
        return 0;
    if (strcmp(v, "manual") == 0) {
        *out = "";
        return 0;
    }
    if (pf_param_strategy(v) != 0) {
        rt_http_respond_error(res, 400, "bad_parameter",
                              "strategy: must be 1 to 64 of letters, digits, _ . - (or manual)");
        return RT_EINVAL;
    }
    *out = v;
    return 0;
}

/* A parameter that must be one of choices (NULL-terminated); absent gives choices[0]. */
static int q_choice(const rt_http_request_t *req, rt_http_response_t *res, const char *name,
                    const char *const *choices, const char **out)
{
    const char *v;
    if (!rt_http_query(req, name, &v) || v[0] == '\0') {
        *out = choices[0];
        return 0;
    }
    for (size_t i = 0; choices[i]; i++) {
        if (strcmp(v, choices[i]) == 0) {
            *out = choices[i];
            return 0;
        }
    }
    rt_http_respond_errorf(res, 400, "bad_parameter", "%s: must be one of %s|%s", name,
                           choices[0], choices[1] ? choices[1] : "");
    return RT_EINVAL;
}

static void fmt_i64(int64_t v, char *buf, size_t cap)
{
    snprintf(buf, cap, "%lld", (long long)v);
}

/* ---- GET /portfolio/summary ---- */

static int h_summary(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_db_t *db = NULL;
    rt_db_result_t *r = NULL;
    rt_jsonw_t w;
    pf_balances_t bal;
    (void)req;
    rt_jsonw_init(&w);
    int rc = take_db(ctx, res, &db);
    if (rc < 0)
        goto out;
    rc = pf_books_balances(ctx, db, &bal);
    if (rc < 0)
        goto out;
    rc = pf_books_prices_json(ctx, &w);
    if (rc < 0)
        goto out;
    const char *p[] = {rt_jsonw_data(&w)};
    rc = rt_db_exec_prepared(
        db,
        "WITH px AS (SELECT key AS symbol, value::numeric AS price "
        "            FROM jsonb_each_text($1::jsonb)), "
        "pos AS (SELECT p.quantity, p.entry_price, px.price FROM positions p "
        "        LEFT JOIN px ON px.symbol = p.symbol WHERE p.status = 'open'), "
        "ps AS (SELECT COALESCE(sum(closed_count), 0) AS closed, COALESCE(sum(wins), 0) AS wins, "
        "       COALESCE(sum(realized_pnl), 0) AS realized, COALESCE(sum(fees), 0) AS fees "
        "       FROM position_stats) "
        "SELECT (SELECT COALESCE(sum(round(quantity * entry_price, 8)), 0) FROM pos), "
        "       (SELECT COALESCE(sum(round(quantity * (price - entry_price), 8)), 0) FROM pos "
        "        WHERE price IS NOT NULL), "
        "       (SELECT count(*) FROM pos), "
        "       (SELECT count(*) FROM pos WHERE price IS NULL), "
        "       ps.realized, ps.fees, ps.closed, ps.wins, "
        "       CASE WHEN ps.closed > 0 THEN round(100.0 * ps.wins / ps.closed, 2) END, "
        "       (SELECT COALESCE(sum(trade_count), 0) FROM trade_stats), "
        "       (SELECT COALESCE(sum(realized_pnl), 0) FROM positions WHERE status = 'closed' "
        "        AND closed_at >= date_trunc('day', now())) "
        "FROM ps",
        1, p, &r);
    if (rc < 0) {
        rc = db_failed(ctx, rc);
        goto out;
    }
    rt_money_t cash = 0;
    for (size_t i = 0; i < bal.n; i++)
        if (strcmp(bal.b[i].asset, ctx->cfg.quote_asset) == 0)
            cash = bal.b[i].total;
    rt_jsonw_reset(&w);
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "mode", ctx->cfg.mode == 0 ? "demo" : "live");
    rt_jsonw_kv_string(&w, "quote_asset", ctx->cfg.quote_asset);
    rt_jsonw_kv_money(&w, "total_value", bal.total_quote);
    rt_jsonw_kv_int(&w, "unpriced_assets", (int64_t)bal.unpriced);
    rt_jsonw_kv_money(&w, "cash", cash);
    rt_jsonw_kv_string(&w, "balances_source", bal.from_bus ? "bus" : "db");
    rt_jsonw_kv_string(&w, "interval", ctx->cfg.interval);
    rt_jsonw_key(&w, "symbols");
    rt_jsonw_array_begin(&w);
    for (size_t i = 0; i < ctx->cfg.symbols.count; i++)
        rt_jsonw_string(&w, ctx->cfg.symbols.items[i]);
    rt_jsonw_array_end(&w);
    static const col_t cols[] = {
        {"invested", COL_MONEY},    {"unrealized_pnl", COL_MONEY}, {"open_positions", COL_INT},
        {"unpriced_positions", COL_INT}, {"realized_pnl", COL_MONEY}, {"fees", COL_MONEY},
        {"closed_positions", COL_INT}, {"wins", COL_INT},         {"win_rate", COL_MONEY},
        {"trade_count", COL_INT},     {"pnl_today", COL_MONEY},
    };
    for (size_t i = 0; i < NCOLS(cols); i++) {
        /* the same columns as write_row, flattened into this object */
        rt_jsonw_key(&w, cols[i].key);
        rt_money_t m;
        int64_t v;
        if (rt_db_is_null(r, 0, (int)i))
            rt_jsonw_null(&w);
        else if (cols[i].kind == COL_INT && rt_db_get_int64(r, 0, (int)i, &v) == 0)
            rt_jsonw_int(&w, v);
        else if (cols[i].kind == COL_MONEY && rt_db_get_money(r, 0, (int)i, &m) == 0)
            rt_jsonw_money(&w, m);
        else
            rt_jsonw_null(&w);
    }
    rt_jsonw_kv_int(&w, "time", rt_time_now_ms());
    rt_jsonw_object_end(&w);
    rc = send_doc(res, &w);
out:
    rt_db_result_free(r);
    pf_dbpool_put(ctx->pool, db);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- GET /portfolio/balance ---- */

static int h_balance(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_db_t *db = NULL;
    rt_jsonw_t w;
    pf_balances_t bal;
    (void)req;
    rt_jsonw_init(&w);
    int rc = take_db(ctx, res, &db);
    if (rc < 0)
        goto out;
    rc = pf_books_balances(ctx, db, &bal);
    if (rc < 0) {
        rc = db_failed(ctx, rc);
        goto out;
    }
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "quote_asset", ctx->cfg.quote_asset);
    rt_jsonw_kv_string(&w, "source", bal.from_bus ? "bus" : "db");
    rt_jsonw_kv_money(&w, "total_quote", bal.total_quote);
    rt_jsonw_kv_int(&w, "unpriced_assets", (int64_t)bal.unpriced);
    rt_jsonw_key(&w, "balances");
    rt_jsonw_array_begin(&w);
    for (size_t i = 0; i < bal.n; i++) {
        const pf_balance_t *b = &bal.b[i];
        rt_jsonw_object_begin(&w);
        rt_jsonw_kv_string(&w, "asset", b->asset);
        rt_jsonw_kv_money(&w, "free", b->free);
        rt_jsonw_kv_money(&w, "locked", b->locked);
        rt_jsonw_kv_money(&w, "total", b->total);
        if (b->priced)
            rt_jsonw_kv_money(&w, "quote_value", b->quote_value);
        else
            rt_jsonw_kv_null(&w, "quote_value");
        rt_jsonw_object_end(&w);
    }
    rt_jsonw_array_end(&w);
    rt_jsonw_object_end(&w);
    rc = send_doc(res, &w);
out:
    pf_dbpool_put(ctx->pool, db);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- GET /portfolio/trades?symbol=&strategy=&limit=50&page=1 ---- */

/* Deferred join: the page's ids come from an index-only scan of the matching paging index (an
 * OFFSET skips index entries, not heap rows), then only those rows are read. */
#define TRADE_LIST(where)                                                                          \
    "SELECT t.id, t.order_id, t.symbol, t.side, t.status, t.price, t.quantity, "                  \
    "t.quote_quantity, t.fee, t.fee_asset, t.role, t.strategy, t.client_order_id, "               \
    "t.position_id, t.exchange_trade_id, t.demo, " MS("t.timestamp")                              \
    " FROM (SELECT id FROM trades " where " ORDER BY timestamp DESC, id DESC "                     \
    "LIMIT $1 OFFSET $2) p JOIN trades t ON t.id = p.id ORDER BY t.timestamp DESC, t.id DESC"

static int h_trades(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_db_t *db = NULL;
    rt_db_result_t *r = NULL, *cnt = NULL;
    rt_jsonw_t w;
    char sym[RT_SYMBOL_CAP];
    bool has_sym;
    const char *strat;
    int64_t limit, page;
    rt_jsonw_init(&w);
    int rc = q_symbol(req, res, "symbol", sym, sizeof sym, &has_sym);
    if (rc == 0)
        rc = q_strategy(req, res, &strat);
    if (rc == 0)
        rc = rt_http_query_int(req, res, "limit", 1, 500, 50, &limit);
    if (rc == 0)
        rc = rt_http_query_int(req, res, "page", 1, 1000000, 1, &page);
    if (rc < 0)
        goto out;
    if ((page - 1) > INT64_MAX / limit) {
        rc = rt_http_respond_error(res, 400, "bad_parameter", "page: too far");
        rc = RT_EINVAL;
        goto out;
    }
    char lim[24], off[24];
    fmt_i64(limit, lim, sizeof lim);
    fmt_i64((page - 1) * limit, off, sizeof off);
    /* One SQL text per filter shape (the texts are constants; data only in parameters), so
     * each is planned for its own index. */
    static const char *const list_sql[2][3] = {
        {TRADE_LIST(""), TRADE_LIST("WHERE strategy IS NULL"),
         TRADE_LIST("WHERE strategy = $3")},
        {TRADE_LIST("WHERE symbol = $3"), TRADE_LIST("WHERE symbol = $3 AND strategy IS NULL"),
         TRADE_LIST("WHERE symbol = $3 AND strategy = $4")},
    };
    static const char *const count_sql[2][3] = {
        {"SELECT COALESCE(sum(trade_count), 0) FROM trade_stats",
         "SELECT COALESCE(sum(trade_count), 0) FROM trade_stats WHERE strategy = ''",
         "SELECT COALESCE(sum(trade_count), 0) FROM trade_stats WHERE strategy = $1"},
        {"SELECT COALESCE(sum(trade_count), 0) FROM trade_stats WHERE symbol = $1",
         "SELECT COALESCE(sum(trade_count), 0) FROM trade_stats WHERE symbol = $1 "
         "AND strategy = ''",
         "SELECT COALESCE(sum(trade_count), 0) FROM trade_stats WHERE symbol = $1 "
         "AND strategy = $2"},
    };
    int si = has_sym ? 1 : 0;
    int ti = !strat ? 0 : (strat[0] == '\0' ? 1 : 2);
    const char *lp[4] = {lim, off, NULL, NULL};
    const char *cp[2] = {NULL, NULL};
    int nl = 2, nc = 0;
    if (has_sym) {
        lp[nl++] = sym;
        cp[nc++] = sym;
    }
    if (ti == 2) {
        lp[nl++] = strat;
        cp[nc++] = strat;
    }
    rc = query(ctx, res, &db, list_sql[si][ti], nl, lp, &r);
    if (rc == 0)
        rc = query(ctx, res, &db, count_sql[si][ti], nc, nc ? cp : NULL, &cnt);
    if (rc < 0)
        goto out;
    int64_t total = 0;
    (void)rt_db_get_int64(cnt, 0, 0, &total);
    static const col_t cols[] = {
        {"id", COL_INT},          {"order_id", COL_INT},        {"symbol", COL_STR},
        {"side", COL_STR},        {"status", COL_STR},          {"price", COL_MONEY},
        {"quantity", COL_MONEY},  {"quote_quantity", COL_MONEY}, {"fee", COL_MONEY},
        {"fee_asset", COL_STR},   {"role", COL_STR},            {"strategy", COL_STR},
        {"client_order_id", COL_STR}, {"position_id", COL_INT}, {"exchange_trade_id", COL_INT},
        {"demo", COL_BOOL},       {"time", COL_INT},
    };
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_int(&w, "page", page);
    rt_jsonw_kv_int(&w, "limit", limit);
    rt_jsonw_kv_int(&w, "total", total);
    rt_jsonw_kv_int(&w, "pages", (total + limit - 1) / limit);
    write_rows(&w, "trades", r, cols, NCOLS(cols));
    rt_jsonw_object_end(&w);
    rc = send_doc(res, &w);
out:
    rt_db_result_free(cnt);
    rt_db_result_free(r);
    pf_dbpool_put(ctx->pool, db);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- GET /portfolio/positions?status=open|closed&symbol=&limit= ---- */

#define POS_COLS                                                                                   \
    "SELECT p.id, p.symbol, p.strategy, p.status, p.entry_price, p.quantity, "                    \
    "p.initial_quantity, p.stop_loss, p.take_profit, p.trailing_active, p.trailing_stop, "        \
    "p.highest_price, p.exit_price, p.realized_pnl, p.fees, p.demo, " MS("p.opened_at")           \
    ", " MS("p.closed_at") ", p.exit_reason, "

static int h_positions(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_db_t *db = NULL;
    rt_db_result_t *r = NULL;
    rt_jsonw_t w;
    char sym[RT_SYMBOL_CAP];
    bool has_sym;
    const char *status;
    int64_t limit;
    static const char *const statuses[] = {"open", "closed", NULL};
    rt_jsonw_init(&w);
    int rc = q_choice(req, res, "status", statuses, &status);
    if (rc == 0)
        rc = q_symbol(req, res, "symbol", sym, sizeof sym, &has_sym);
    if (rc == 0)
        rc = rt_http_query_int(req, res, "limit", 1, 500, 100, &limit);
    if (rc < 0)
        goto out;
    bool open = strcmp(status, "open") == 0;
    /* open: current price, unrealized PnL and % from the prices held; closed: % of the entry
     * cost that the realized PnL (after fees) is. */
    static const char *const sql[2][2] = {
        {POS_COLS "px.price, round(p.quantity * (px.price - p.entry_price), 8), "
                  "round((px.price - p.entry_price) * 100 / p.entry_price, 4) "
                  "FROM positions p LEFT JOIN (SELECT key AS symbol, value::numeric AS price "
                  "FROM jsonb_each_text($2::jsonb)) px ON px.symbol = p.symbol "
                  "WHERE p.status = 'open' ORDER BY p.opened_at DESC, p.id DESC LIMIT $1",
         POS_COLS "px.price, round(p.quantity * (px.price - p.entry_price), 8), "
                  "round((px.price - p.entry_price) * 100 / p.entry_price, 4) "
                  "FROM positions p LEFT JOIN (SELECT key AS symbol, value::numeric AS price "
                  "FROM jsonb_each_text($2::jsonb)) px ON px.symbol = p.symbol "
                  "WHERE p.status = 'open' AND p.symbol = $3 "
                  "ORDER BY p.opened_at DESC, p.id DESC LIMIT $1"},
        {POS_COLS "NULL::numeric, NULL::numeric, "
                  "round(p.realized_pnl * 100 / (p.entry_price * p.initial_quantity), 4) "
                  "FROM positions p WHERE p.status = 'closed' "
                  "ORDER BY p.closed_at DESC, p.id DESC LIMIT $1",
         POS_COLS "NULL::numeric, NULL::numeric, "
                  "round(p.realized_pnl * 100 / (p.entry_price * p.initial_quantity), 4) "
                  "FROM positions p WHERE p.status = 'closed' AND p.symbol = $2 "
                  "ORDER BY p.closed_at DESC, p.id DESC LIMIT $1"},
    };
    char lim[24];
    fmt_i64(limit, lim, sizeof lim);
    const char *p[3] = {lim, NULL, NULL};
    int np = 1;
    if (open) {
        rc = pf_books_prices_json(ctx, &w);
        if (rc < 0)
            goto out;
        p[np++] = rt_jsonw_data(&w);
    }
    if (has_sym)
        p[np++] = sym;
    rc = query(ctx, res, &db, sql[open ? 0 : 1][has_sym ? 1 : 0], np, p, &r);
    if (rc < 0)
        goto out;
    static const col_t cols[] = {
        {"id", COL_INT},              {"symbol", COL_STR},          {"strategy", COL_STR},
        {"status", COL_STR},          {"entry_price", COL_MONEY},   {"quantity", COL_MONEY},
        {"initial_quantity", COL_MONEY}, {"stop_loss", COL_MONEY},  {"take_profit", COL_MONEY},
        {"trailing_active", COL_BOOL}, {"trailing_stop", COL_MONEY}, {"highest_price", COL_MONEY},
        {"exit_price", COL_MONEY},    {"realized_pnl", COL_MONEY},  {"fees", COL_MONEY},
        {"demo", COL_BOOL},           {"opened_at", COL_INT},       {"closed_at", COL_INT},
        {"exit_reason", COL_STR},     {"current_price", COL_MONEY}, {"unrealized_pnl", COL_MONEY},
        {"pnl_pct", COL_MONEY},
    };
    rt_jsonw_reset(&w);
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "status", status);
    write_rows(&w, "positions", r, cols, NCOLS(cols));
    rt_jsonw_object_end(&w);
    rc = send_doc(res, &w);
out:
    rt_db_result_free(r);
    pf_dbpool_put(ctx->pool, db);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- GET /portfolio/pnl?by=symbol|strategy ---- */

#define PNL_SQL(key)                                                                               \
    "WITH t AS (SELECT " key " AS k, sum(trade_count) AS n, sum(buy_quote) AS bq, "               \
    "           sum(sell_quote) AS sq FROM trade_stats GROUP BY 1), "                              \
    "p AS (SELECT " key " AS k, sum(open_count) AS o, sum(closed_count) AS c, sum(wins) AS w, "   \
    "      sum(realized_pnl) AS r, sum(fees) AS f FROM position_stats GROUP BY 1) "                \
    "SELECT NULLIF(COALESCE(t.k, p.k), ''), COALESCE(t.n, 0), COALESCE(t.bq, 0), "               \
    "COALESCE(t.sq, 0), COALESCE(t.sq, 0) - COALESCE(t.bq, 0), COALESCE(p.o, 0), "                \
    "COALESCE(p.c, 0), COALESCE(p.w, 0), "                                                         \
    "CASE WHEN p.c > 0 THEN round(100.0 * p.w / p.c, 2) END, COALESCE(p.r, 0), "                 \
    "COALESCE(p.f, 0) FROM t FULL JOIN p ON p.k = t.k "                                            \
    "WHERE COALESCE(t.n, 0) <> 0 OR COALESCE(p.o, 0) <> 0 OR COALESCE(p.c, 0) <> 0 "              \
    "ORDER BY 10 DESC, 1"

static int h_pnl(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_db_t *db = NULL;
    rt_db_result_t *r = NULL;
    rt_jsonw_t w;
    const char *by;
    static const char *const bys[] = {"symbol", "strategy", NULL};
    rt_jsonw_init(&w);
    int rc = q_choice(req, res, "by", bys, &by);
    if (rc < 0)
        goto out;
    bool sym = strcmp(by, "symbol") == 0;
    rc = query(ctx, res, &db, sym ? PNL_SQL("symbol") : PNL_SQL("strategy"), 0, NULL, &r);
    if (rc < 0)
        goto out;
    const col_t cols[] = {
        {sym ? "symbol" : "strategy", COL_STR}, {"trade_count", COL_INT},
        {"buy_volume", COL_MONEY},  {"sell_volume", COL_MONEY},   {"net_flow", COL_MONEY},
        {"open_positions", COL_INT}, {"closed_positions", COL_INT}, {"wins", COL_INT},
        {"win_rate", COL_MONEY},    {"realized_pnl", COL_MONEY},  {"fees", COL_MONEY},
    };
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "by", by);
    rt_jsonw_kv_string(&w, "quote_asset", ctx->cfg.quote_asset);
    write_rows(&w, "rows", r, cols, NCOLS(cols));
    rt_jsonw_object_end(&w);
    rc = send_doc(res, &w);
out:
    rt_db_result_free(r);
    pf_dbpool_put(ctx->pool, db);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- GET /portfolio/equity?since=<ms>&limit= ---- */

static int h_equity(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_db_t *db = NULL;
    rt_db_result_t *r = NULL;
    rt_jsonw_t w;
    int64_t since, limit;
    int64_t now = rt_time_now_ms();
    rt_jsonw_init(&w);
    int rc = rt_http_query_int(req, res, "since", 0, INT64_C(253402300799999),
                               now - INT64_C(86400000), &since);
    if (rc == 0)
        rc = rt_http_query_int(req, res, "limit", 1, 10000, 2000, &limit);
    if (rc < 0)
        goto out;
    char s[24], l[24];
    fmt_i64(since, s, sizeof s);
    fmt_i64(limit, l, sizeof l);
    /* the newest `limit` points after since, oldest first */
    rc = query(ctx, res, &db,
               "SELECT * FROM (SELECT " MS("ts") ", total_quote FROM "
               "balance_snapshots WHERE asset = '*' AND "
               "ts >= to_timestamp($1::bigint / 1000.0) ORDER BY ts DESC LIMIT $2) "
               "e ORDER BY 1",
               2, (const char *[]){s, l}, &r);
    if (rc < 0)
        goto out;
    static const col_t cols[] = {{"time", COL_INT}, {"total_quote", COL_MONEY}};
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "quote_asset", ctx->cfg.quote_asset);
    rt_jsonw_kv_int(&w, "since", since);
    write_rows(&w, "points", r, cols, NCOLS(cols));
    rt_jsonw_object_end(&w);
    rc = send_doc(res, &w);
out:
    rt_db_result_free(r);
    pf_dbpool_put(ctx->pool, db);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- GET /stats/live ---- */

static int h_stats(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_db_t *db = NULL;
    rt_db_result_t *r = NULL, *s = NULL;
    rt_jsonw_t w;
    (void)req;
    rt_jsonw_init(&w);
    int rc = take_db(ctx, res, &db);
    if (rc < 0)
        goto out;
    rc = rt_db_exec_prepared(
        db,
        "WITH ps AS (SELECT COALESCE(sum(closed_count), 0) AS c, COALESCE(sum(wins), 0) AS w, "
        "            COALESCE(sum(open_count), 0) AS o FROM position_stats) "
        "SELECT (SELECT count(*) FROM signals WHERE received_at >= date_trunc('day', now())), "
        "(SELECT count(*) FROM trades WHERE timestamp >= date_trunc('day', now())), "
        "(SELECT COALESCE(sum(trade_count), 0) FROM trade_stats), ps.o, ps.c, ps.w, "
        "CASE WHEN ps.c > 0 THEN round(100.0 * ps.w / ps.c, 2) END, "
        "(SELECT COALESCE(sum(realized_pnl), 0) FROM positions WHERE status = 'closed' "
        " AND closed_at >= date_trunc('day', now())) FROM ps",
        0, NULL, &r);
    if (rc == 0)
        rc = rt_db_exec_prepared(
            db,
            "WITH s AS (SELECT strategy AS k, count(*) AS n, "
            "           count(*) FILTER (WHERE outcome = 'accepted') AS acc, "
            "           count(*) FILTER (WHERE outcome IN ('rejected', 'ignored')) AS rej "
            "           FROM signals WHERE received_at >= date_trunc('day', now()) GROUP BY 1), "
            "t AS (SELECT COALESCE(strategy, '') AS k, count(*) AS n FROM trades "
            "      WHERE timestamp >= date_trunc('day', now()) GROUP BY 1), "
            "p AS (SELECT strategy AS k, sum(closed_count) AS c, sum(wins) AS w, "
            "      sum(realized_pnl) AS r FROM position_stats GROUP BY 1), "
            "st AS (SELECT COALESCE(s.k, t.k) AS k, s.n AS sn, s.acc, s.rej, t.n AS tn "
            "       FROM s FULL JOIN t ON t.k = s.k) "
            "SELECT NULLIF(COALESCE(st.k, p.k), ''), COALESCE(st.sn, 0), COALESCE(st.acc, 0), "
            "COALESCE(st.rej, 0), COALESCE(st.tn, 0), COALESCE(p.c, 0), COALESCE(p.w, 0), "
            "CASE WHEN p.c > 0 THEN round(100.0 * p.w / p.c, 2) END, COALESCE(p.r, 0) "
            "FROM st FULL JOIN p ON p.k = st.k ORDER BY 1 NULLS FIRST",
            0, NULL, &s);
    if (rc < 0) {
        rc = db_failed(ctx, rc);
        goto out;
    }
    static const col_t top[] = {
        {"signals_today", COL_INT}, {"trades_today", COL_INT}, {"trades_total", COL_INT},
        {"open_positions", COL_INT}, {"closed_positions", COL_INT}, {"wins", COL_INT},
        {"win_rate", COL_MONEY},    {"pnl_today", COL_MONEY},
    };
    static const col_t per[] = {
        {"strategy", COL_STR},      {"signals_today", COL_INT}, {"accepted_today", COL_INT},
        {"refused_today", COL_INT}, {"trades_today", COL_INT},  {"closed_positions", COL_INT},
        {"wins", COL_INT},          {"win_rate", COL_MONEY},    {"realized_pnl", COL_MONEY},
    };
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "mode", ctx->cfg.mode == 0 ? "demo" : "live");
    rt_jsonw_key(&w, "totals");
    write_row(&w, r, 0, top, NCOLS(top));
    write_rows(&w, "strategies", s, per, NCOLS(per));
    rt_jsonw_kv_int(&w, "sse_clients", (int64_t)pf_hub_count(&ctx->hub));
    rt_jsonw_kv_int(&w, "time", rt_time_now_ms());
    rt_jsonw_object_end(&w);
    rc = send_doc(res, &w);
out:
    rt_db_result_free(s);
    rt_db_result_free(r);
    pf_dbpool_put(ctx->pool, db);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- GET /market/candles?symbol=&interval=&limit= ---- */

static void write_candle(rt_jsonw_t *w, const rt_candle_t *c)
{
    rt_jsonw_object_begin(w);
    rt_jsonw_kv_int(w, "open_time", c->open_time);
    rt_jsonw_kv_int(w, "close_time", c->close_time);
    rt_jsonw_kv_money(w, "open", c->open);
    rt_jsonw_kv_money(w, "high", c->high);
    rt_jsonw_kv_money(w, "low", c->low);
    rt_jsonw_kv_money(w, "close", c->close);
    rt_jsonw_kv_money(w, "volume", c->volume);
    rt_jsonw_kv_bool(w, "closed", c->closed);
    rt_jsonw_object_end(w);
}

static int h_candles(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_db_t *db = NULL;
    rt_db_result_t *r = NULL;
    rt_jsonw_t w;
    char sym[RT_SYMBOL_CAP];
    bool has_sym;
    const char *interval = ctx->cfg.interval;
    int64_t limit;
    rt_jsonw_init(&w);
    int rc = q_symbol(req, res, "symbol", sym, sizeof sym, &has_sym);
    if (rc < 0)
        goto out;
    if (!has_sym) {
        if (ctx->cfg.symbols.count == 0) {
            rc = rt_http_respond_error(res, 400, "bad_parameter", "symbol: required");
            rc = RT_EINVAL;
            goto out;
        }
        (void)rt_str_copy(sym, sizeof sym, ctx->cfg.symbols.items[0]);
    }
    const char *iv;
    if (rt_http_query(req, "interval", &iv) && iv[0] != '\0') {
        if (pf_param_interval(iv) != 0) {
            rt_http_respond_error(res, 400, "bad_parameter",
                                  "interval: must be one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h "
                                  "12h 1d 3d 1w 1M");
            rc = RT_EINVAL;
            goto out;
        }
        interval = iv;
    }
    rc = rt_http_query_int(req, res, "limit", 1, 1000, 300, &limit);
    if (rc < 0)
        goto out;
    char lim[24];
    fmt_i64(limit, lim, sizeof lim);
    rc = query(ctx, res, &db,
               "SELECT " MS("open_time") ", " MS("close_time") ", open, high, low, "
               "close, volume FROM candles WHERE symbol = $1 AND interval = $2 "
               "ORDER BY open_time DESC LIMIT $3",
               3, (const char *[]){sym, interval, lim}, &r);
    if (rc < 0)
        goto out;
    rt_candle_t forming;
    pthread_mutex_lock(&ctx->market_lock);
    bool has_forming = pf_market_forming(&ctx->market, sym, interval, &forming) == 0;
    pthread_mutex_unlock(&ctx->market_lock);
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "symbol", sym);
    rt_jsonw_kv_string(&w, "interval", interval);
    rt_jsonw_key(&w, "candles");
    rt_jsonw_array_begin(&w);
    int64_t last_open = INT64_MIN;
    int n = rt_db_nrows(r);
    for (int i = n - 1; i >= 0; i--) {
        rt_candle_t c = {.closed = true};
        if (rt_db_get_int64(r, i, 0, &c.open_time) != 0 ||
            rt_db_get_int64(r, i, 1, &c.close_time) != 0 || rt_db_get_money(r, i, 2, &c.open) ||
            rt_db_get_money(r, i, 3, &c.high) || rt_db_get_money(r, i, 4, &c.low) ||
            rt_db_get_money(r, i, 5, &c.close) || rt_db_get_money(r, i, 6, &c.volume))
            continue;
        if (has_forming && i == 0 && n >= limit && forming.open_time > c.open_time)
            continue; /* keep `limit` candles in all: the forming one takes the oldest's place */
        write_candle(&w, &c);
        last_open = c.open_time;
    }
    if (has_forming && forming.open_time > last_open)
        write_candle(&w, &forming);
    rt_jsonw_array_end(&w);
    rt_jsonw_object_end(&w);
    rc = send_doc(res, &w);
out:
    rt_db_result_free(r);
    pf_dbpool_put(ctx->pool, db);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- GET /signals?limit=&strategy=&symbol= ---- */

#define SIG_COLS                                                                                   \
    "SELECT id, strategy, symbol, interval, side, price, stop_loss, take_profit, metadata::text, " \
    MS("signal_time") ", " MS("received_at") ", outcome, reason_code, reason, client_order_id, "  \
    "demo FROM signals "

static int h_signals(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_db_t *db = NULL;
    rt_db_result_t *r = NULL;
    rt_jsonw_t w;
    char sym[RT_SYMBOL_CAP];
    bool has_sym;
    const char *strat;
    int64_t limit;
    rt_jsonw_init(&w);
    int rc = rt_http_query_int(req, res, "limit", 1, 500, 50, &limit);
    if (rc == 0)
        rc = q_strategy(req, res, &strat);
    if (rc == 0)
        rc = q_symbol(req, res, "symbol", sym, sizeof sym, &has_sym);
    if (rc < 0)
        goto out;
    if (strat && strat[0] == '\0') {
        rc = rt_http_respond_error(res, 400, "bad_parameter",
                                   "strategy: signals always come from a strategy");
        rc = RT_EINVAL;
        goto out;
    }
    static const char *const sql[2][2] = {
        {SIG_COLS "ORDER BY received_at DESC LIMIT $1",
         SIG_COLS "WHERE symbol = $2 ORDER BY signal_time DESC LIMIT $1"},
        {SIG_COLS "WHERE strategy = $2 ORDER BY signal_time DESC LIMIT $1",
         SIG_COLS "WHERE strategy = $2 AND symbol = $3 ORDER BY signal_time DESC LIMIT $1"},
    };
    char lim[24];
    fmt_i64(limit, lim, sizeof lim);
    const char *p[3] = {lim, NULL, NULL};
    int np = 1;
    if (strat)
        p[np++] = strat;
    if (has_sym)
        p[np++] = sym;
    rc = query(ctx, res, &db, sql[strat ? 1 : 0][has_sym ? 1 : 0], np, p, &r);
    if (rc < 0)
        goto out;
    static const col_t cols[] = {
        {"id", COL_STR},           {"strategy", COL_STR},      {"symbol", COL_STR},
        {"interval", COL_STR},     {"side", COL_STR},          {"price", COL_MONEY},
        {"stop_loss", COL_MONEY},  {"take_profit", COL_MONEY}, {"metadata", COL_JSON},
        {"timestamp", COL_INT},    {"received_at", COL_INT},   {"outcome", COL_STR},
        {"reason_code", COL_STR},  {"reason", COL_STR},        {"client_order_id", COL_STR},
        {"demo", COL_BOOL},
    };
    rc = send_rows(res, &w, "signals", r, cols, NCOLS(cols));
out:
    rt_db_result_free(r);
    pf_dbpool_put(ctx->pool, db);
    rt_jsonw_cleanup(&w);
    return rc;
}

/* ---- GET /events (SSE) ---- */

static int h_events(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    pf_ctx_t *ctx = ud;
    rt_http_stream_t *s = NULL;
    (void)req;
    if (pf_hub_count(&ctx->hub) >= ctx->hub.max) {
        rt_http_respond_header(res, "Retry-After", "5");
        return rt_http_respond_error(res, 503, "too_many_clients",
                                     "the live stream has as many clients as it takes");
    }
    int rc = rt_http_respond_sse(res, pf_hub_closed, &ctx->hub, &s);
    if (rc < 0)
        return rc;
    char hello[160];
    snprintf(hello, sizeof hello, "{\"mode\":\"%s\",\"quote_asset\":\"%s\",\"time\":%lld}",
             ctx->cfg.mode == 0 ? "demo" : "live", ctx->cfg.quote_asset,
             (long long)rt_time_now_ms());
    (void)rt_http_stream_send(s, "hello", hello);
    if (pf_hub_add(&ctx->hub, s) < 0) {
        rt_http_stream_close(s);
        rt_http_stream_release(s);
    }
    return 0;
}

int pf_api_health(void *ud, json_t *details)
{
    pf_ctx_t *ctx = ud;
    bool db = atomic_load(&ctx->db_up), bus = atomic_load(&ctx->bus_up);
    json_object_set_new(details, "db", json_string(db ? "ok" : "down"));
    json_object_set_new(details, "redis", json_string(bus ? "ok" : "down"));
    json_object_set_new(details, "mode", json_string(ctx->cfg.mode == 0 ? "demo" : "live"));
    json_object_set_new(details, "sse_clients", json_integer((json_int_t)pf_hub_count(&ctx->hub)));
    return db ? 0 : RT_ECONN;
}

int pf_api_routes(pf_ctx_t *ctx, rt_http_server_t *srv)
{
    static const struct {
        const char *path;
        rt_http_handler_fn fn;
    } routes[] = {
        {"/portfolio/summary", h_summary},     {"/portfolio/balance", h_balance},
        {"/portfolio/trades", h_trades},       {"/portfolio/positions", h_positions},
        {"/portfolio/pnl", h_pnl},             {"/portfolio/equity", h_equity},
        {"/stats/live", h_stats},              {"/market/candles", h_candles},
        {"/signals", h_signals},               {"/events", h_events},
    };
    for (size_t i = 0; i < NCOLS(routes); i++) {
        int rc = rt_http_server_route(srv, "GET", routes[i].path, 0, routes[i].fn, ctx);
        if (rc < 0)
            return rc;
    }
    return 0;
}
