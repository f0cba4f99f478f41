/* What the API and the recorder both read from the books: balances valued in the quote asset,
 * the current prices as a query parameter, balance snapshots, prices at start. */
#include <string.h>

#include "pf.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/str.h"
#include "rt/time.h"

/* The price of asset in the quote asset: 1 for the quote itself, else the latest price of
 * asset+quote. */
static bool quote_price(pf_ctx_t *ctx, const char *asset, rt_money_t *out)
{
    char sym[RT_SYMBOL_CAP * 2];
    if (strcmp(asset, ctx->cfg.quote_asset) == 0) {
        *out = RT_MONEY_SCALE;
        return true;
    }
    int n = snprintf(sym, sizeof sym, "%s%s", asset, ctx->cfg.quote_asset);
    if (n < 0 || (size_t)n >= RT_SYMBOL_CAP)
        return false;
    return pf_market_price(&ctx->market, sym, out) == 0;
}

int pf_books_balances(pf_ctx_t *ctx, rt_db_t *db, pf_balances_t *out)
{
    rt_db_result_t *r = NULL;
    int rc = rt_db_exec_prepared(db,
                                 "SELECT asset, free, locked FROM balances "
                                 "WHERE free > 0 OR locked > 0 OR asset = $1 ORDER BY asset",
                                 1, (const char *[]){ctx->cfg.quote_asset}, &r);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof *out);
    int rows = rt_db_nrows(r);
    pthread_mutex_lock(&ctx->market_lock);
    if (rows > 0) {
        for (int i = 0; i < rows && out->n < PF_BAL_MAX; i++) {
            pf_balance_t *b = &out->b[out->n];
            if (rt_str_copy(b->asset, sizeof b->asset, rt_db_get_text(r, i, 0)) != 0 ||
                rt_db_get_money(r, i, 1, &b->free) != 0 ||
                rt_db_get_money(r, i, 2, &b->locked) != 0 ||
                rt_money_add(b->free, b->locked, &b->total) != 0)
                continue;
            rt_money_t px;
            if (quote_price(ctx, b->asset, &px) &&
                rt_money_mul(b->total, px, RT_ROUND_NEAREST, &b->quote_value) == 0)
                b->priced = true;
            out->n++;
        }
    } else if (ctx->bus_balances.at_ms > 0) {
        out->from_bus = true;
        for (size_t i = 0; i < ctx->bus_balances.n && out->n < PF_BAL_MAX; i++) {
            const rt_balance_t *s = &ctx->bus_balances.b[i];
            pf_balance_t *b = &out->b[out->n++];
            memcpy(b->asset, s->asset, sizeof b->asset < sizeof s->asset ? sizeof b->asset
                                                                           : sizeof s->asset);
            b->asset[sizeof b->asset - 1] = '\0';
            b->free = s->free;
            b->locked = s->locked;
            b->total = s->total;
            b->quote_value = s->quote_value;
            b->priced = true;
        }
    }
    pthread_mutex_unlock(&ctx->market_lock);
    for (size_t i = 0; i < out->n; i++) {
        if (!out->b[i].priced)
            out->unpriced++;
        else if (rt_money_add(out->total_quote, out->b[i].quote_value, &out->total_quote) != 0)
            out->unpriced++;
    }
    rt_db_result_free(r);
    return 0;
}

int pf_books_prices_json(pf_ctx_t *ctx, rt_jsonw_t *w)
{
    rt_jsonw_reset(w);
    rt_jsonw_object_begin(w);
    pthread_mutex_lock(&ctx->market_lock);
    for (size_t i = 0; i < ctx->market.count; i++)
        if (ctx->market.sym[i].price > 0)
            rt_jsonw_kv_money(w, ctx->market.sym[i].symbol, ctx->market.sym[i].price);
    pthread_mutex_unlock(&ctx->market_lock);
    rt_jsonw_object_end(w);
    return rt_jsonw_finish(w);
}

typedef struct {
    pf_ctx_t *ctx;
    const pf_balances_t *bal;
} snap_args_t;

static int snapshot_tx(rt_db_t *db, void *ud)
{
    const snap_args_t *a = ud;
    pf_ctx_t *ctx = a->ctx;
    const pf_balances_t *bal = a->bal;
    char total[RT_MONEY_FMT_MAX], f[RT_MONEY_FMT_MAX], l[RT_MONEY_FMT_MAX], t[RT_MONEY_FMT_MAX],
        q[RT_MONEY_FMT_MAX];
    const char *demo = ctx->cfg.mode == 0 ? "true" : "false";
    int rc;
    if (rt_money_format(bal->total_quote, total, sizeof total) == 0)
        return RT_EINVAL;
    for (size_t i = 0; i < bal->n; i++) {
        const pf_balance_t *b = &bal->b[i];
        if (rt_money_format(b->free, f, sizeof f) == 0 ||
            rt_money_format(b->locked, l, sizeof l) == 0 ||
            rt_money_format(b->total, t, sizeof t) == 0 ||
            rt_money_format(b->quote_value, q, sizeof q) == 0)
            return RT_EINVAL;
        const char *v[] = {b->asset, f, l, t, b->priced ? q : NULL, total, ctx->cfg.quote_asset,
                           demo};
        rc = rt_db_exec_prepared(db,
                                 "INSERT INTO balance_snapshots (ts, asset, free, locked, total, "
                                 "quote_value, total_quote, quote_asset, demo) "
                                 "VALUES (now(), $1, $2, $3, $4, $5, $6, $7, $8)",
                                 8, v, NULL);
        if (rc < 0)
            return rc;
    }
    const char *v[] = {total, ctx->cfg.quote_asset, demo};
    return rt_db_exec_prepared(db,
                               "INSERT INTO balance_snapshots (ts, asset, quote_value, "
                               "total_quote, quote_asset, demo) "
                               "VALUES (now(), '*', $1, $1, $2, $3)",
                               3, v, NULL);
}

int pf_books_snapshot(pf_ctx_t *ctx, rt_db_t *db)
{
    pf_balances_t bal;
    int rc = pf_books_balances(ctx, db, &bal);
    if (rc < 0 || bal.n == 0)
        return rc;
    snap_args_t args = {ctx, &bal};
    rc = rt_db_tx(db, snapshot_tx, &args);
    if (rc == RT_EEXIST)
        rc = 0; /* a snapshot at this very instant exists already */
    return rc;
}

int pf_books_seed_prices(pf_ctx_t *ctx, rt_db_t *db)
{
    rt_db_result_t *r = NULL;
    int rc = rt_db_exec(db,
                        "SELECT DISTINCT ON (symbol) symbol, close, "
                        "floor(extract(epoch FROM close_time) * 1000)::bigint "
                        "FROM candles ORDER BY symbol, open_time DESC",
                        0, NULL, &r);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&ctx->market_lock);
    for (int i = 0; i < rt_db_nrows(r); i++) {
        rt_money_t px;
        int64_t at;
        if (rt_db_get_money(r, i, 1, &px) == 0 && rt_db_get_int64(r, i, 2, &at) == 0)
            (void)pf_market_seed_price(&ctx->market, rt_db_get_text(r, i, 0), px, at);
    }
    pthread_mutex_unlock(&ctx->market_lock);
    rt_db_result_free(r);
    return 0;
}
