/* The books: balances and FIFO positions. Every change is planned on a copy first, then
 * committed by operations that cannot fail, so an error leaves the books as they were. */
#include "tr_books.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "tr_internal.h"

typedef struct {
    tr_book_position_t pub;
    tr_lot_t *lots; /* lots[0..count), oldest first */
    size_t count;
    size_t cap;
} pos_t;

struct tr_books {
    tr_balance_t *bal;
    size_t nbal, capbal;
    pos_t *pos;
    size_t npos, cappos;
};

#define NONE ((size_t)-1)

static int acc(rt_money_t *dst, rt_money_t v)
{
    return rt_money_add(*dst, v, dst);
}

int tr_books_new(tr_books_t **out)
{
    if (out == NULL)
        return RT_EINVAL;
    tr_books_t *b = calloc(1, sizeof *b);
    if (b == NULL)
        return RT_ENOMEM;
    *out = b;
    return RT_OK;
}

void tr_books_free(tr_books_t *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->npos; i++)
        free(b->pos[i].lots);
    free(b->pos);
    free(b->bal);
    free(b);
}

/* ---- balances ---------------------------------------------------------------------------- */

static size_t find_balance(const tr_books_t *b, const char *asset)
{
    for (size_t i = 0; i < b->nbal; i++)
        if (strcmp(b->bal[i].asset, asset) == 0)
            return i;
    return NONE;
}

static int reserve_balances(tr_books_t *b, size_t extra)
{
    if (b->nbal + extra <= b->capbal)
        return RT_OK;
    size_t cap = b->capbal ? b->capbal * 2 : 8;
    while (cap < b->nbal + extra)
        cap *= 2;
    tr_balance_t *p = realloc(b->bal, cap * sizeof *p);
    if (p == NULL)
        return RT_ENOMEM;
    b->bal = p;
    b->capbal = cap;
    return RT_OK;
}

/* The balance row of asset, appended (zero) when new; capacity must be reserved. */
static tr_balance_t *balance_row(tr_books_t *b, const char *asset)
{
    size_t i = find_balance(b, asset);
    if (i != NONE)
        return &b->bal[i];
    tr_balance_t *r = &b->bal[b->nbal++];
    memset(r, 0, sizeof *r);
    memcpy(r->asset, asset, strlen(asset) + 1);
    return r;
}

static bool asset_ok(const char *asset)
{
    return tr__str_ok(asset, TR_ASSET_CAP);
}

/* One planned balance: the asset, its row (NONE when new) and its values after the change. */
typedef struct {
    const char *asset;
    size_t row;
    rt_money_t free;
    rt_money_t locked;
} bal_plan_t;

/* Plans changes into plan (room for n entries); *np gets the distinct assets, *added how many
 * are new. Checks overflow and that nothing goes negative. */
static int plan_changes(const tr_books_t *b, const tr_balance_change_t *c, size_t n,
                        bal_plan_t *plan, size_t *np, size_t *added)
{
    size_t m = 0, fresh = 0;
    for (size_t i = 0; i < n; i++) {
        if (!asset_ok(c[i].asset))
            return RT_EINVAL;
        size_t k = 0;
        while (k < m && strcmp(plan[k].asset, c[i].asset) != 0)
            k++;
        if (k == m) {
            plan[m].asset = c[i].asset;
            plan[m].row = find_balance(b, c[i].asset);
            if (plan[m].row == NONE) {
                plan[m].free = plan[m].locked = 0;
                fresh++;
            } else {
                plan[m].free = b->bal[plan[m].row].free;
                plan[m].locked = b->bal[plan[m].row].locked;
            }
            m++;
        }
        int rc = acc(&plan[k].free, c[i].free);
        if (rc == RT_OK)
            rc = acc(&plan[k].locked, c[i].locked);
        if (rc != RT_OK)
            return rc;
    }
    for (size_t k = 0; k < m; k++)
        if (plan[k].free < 0 || plan[k].locked < 0)
            return RT_ESTATE;
    *np = m;
    *added = fresh;
    return RT_OK;
}

static void commit_changes(tr_books_t *b, const bal_plan_t *plan, size_t m)
{
    for (size_t k = 0; k < m; k++) {
        tr_balance_t *r =
            plan[k].row == NONE ? balance_row(b, plan[k].asset) : &b->bal[plan[k].row];
        r->free = plan[k].free;
        r->locked = plan[k].locked;
    }
}

int tr_books_apply_changes(tr_books_t *b, const tr_balance_change_t *changes, size_t n)
{
    if (b == NULL || (changes == NULL && n > 0))
        return RT_EINVAL;
    if (n == 0)
        return RT_OK;
    bal_plan_t *plan = calloc(n, sizeof *plan);
    if (plan == NULL)
        return RT_ENOMEM;
    size_t m = 0, added = 0;
    int rc = plan_changes(b, changes, n, plan, &m, &added);
    if (rc == RT_OK)
        rc = reserve_balances(b, added);
    if (rc == RT_OK)
        commit_changes(b, plan, m);
    free(plan);
    return rc;
}

/* One change on one asset, through the planner (so the same checks apply). */
static int change_one(tr_books_t *b, const char *asset, rt_money_t dfree, rt_money_t dlocked)
{
    if (b == NULL || !asset_ok(asset))
        return RT_EINVAL;
    tr_balance_change_t c;
    memset(&c, 0, sizeof c);
    memcpy(c.asset, asset, strlen(asset) + 1);
    c.free = dfree;
    c.locked = dlocked;
    return tr_books_apply_changes(b, &c, 1);
}

int tr_books_deposit(tr_books_t *b, const char *asset, rt_money_t amount)
{
    if (amount < 0)
        return RT_EINVAL;
    return change_one(b, asset, amount, 0);
}

int tr_books_set_balance(tr_books_t *b, const char *asset, rt_money_t free_, rt_money_t locked)
{
    if (b == NULL || !asset_ok(asset) || free_ < 0 || locked < 0)
        return RT_EINVAL;
    int rc = reserve_balances(b, 1);
    if (rc != RT_OK)
        return rc;
    tr_balance_t *r = balance_row(b, asset);
    r->free = free_;
    r->locked = locked;
    return RT_OK;
}

int tr_books_balance(const tr_books_t *b, const char *asset, tr_balance_t *out)
{
    if (b == NULL || !asset_ok(asset) || out == NULL)
        return RT_EINVAL;
    size_t i = find_balance(b, asset);
    if (i != NONE) {
        *out = b->bal[i];
        return RT_OK;
    }
    memset(out, 0, sizeof *out);
    memcpy(out->asset, asset, strlen(asset) + 1);
    return RT_OK;
}

const tr_balance_t *tr_books_balances(const tr_books_t *b, size_t *n)
{
    if (n != NULL)
        *n = b != NULL ? b->nbal : 0;
    return b != NULL ? b->bal : NULL;
}

int tr_books_lock(tr_books_t *b, const char *asset, rt_money_t amount)
{
    if (amount <= 0)
        return RT_EINVAL;
    return change_one(b, asset, -amount, amount);
}

int tr_books_unlock(tr_books_t *b, const char *asset, rt_money_t amount)
{
    if (amount <= 0)
        return RT_EINVAL;
    return change_one(b, asset, amount, -amount);
}

/* ---- positions --------------------------------------------------------------------------- */

static size_t find_pos(const tr_books_t *b, const char *symbol, const char *strategy)
{
    for (size_t i = 0; i < b->npos; i++)
        if (strcmp(b->pos[i].pub.symbol, symbol) == 0 &&
            strcmp(b->pos[i].pub.strategy, strategy) == 0)
            return i;
    return NONE;
}

static bool sym_ok(const tr_filters_t *sym)
{
    return sym != NULL && tr__str_ok(sym->symbol, sizeof sym->symbol) &&
           asset_ok(sym->base_asset) && asset_ok(sym->quote_asset) &&
           strcmp(sym->base_asset, sym->quote_asset) != 0;
}

static bool fill_ok(const tr_filters_t *sym, const tr_fill_t *f, rt_side_t side)
{
    if (f->side != side || f->quantity <= 0 || f->price <= 0 || f->quote_quantity < 0 || f->fee < 0)
        return false;
    if (f->fee == 0 && f->fee_asset[0] == '\0')
        return true;
    if (!asset_ok(f->fee_asset))
        return false;
    return strcmp(f->fee_asset, sym->quote_asset) == 0 ||
           strcmp(f->fee_asset, sym->base_asset) == 0;
}

static void pnl_zero(tr_fill_pnl_t *p)
{
    memset(p, 0, sizeof *p);
}

static int apply_buy(pos_t *p, const tr_filters_t *sym, const tr_fill_t *f, int64_t t,
                     tr_fill_pnl_t *pnl)
{
    bool fee_in_base = f->fee > 0 && strcmp(f->fee_asset, sym->base_asset) == 0;
    rt_money_t qty = f->quantity, cost = f->quote_quantity, fee_quote = f->fee;
    int rc = RT_OK;
    if (fee_in_base) {
        rc = rt_money_sub(qty, f->fee, &qty);
        if (rc == RT_OK)
            rc = rt_money_mul(f->fee, f->price, RT_ROUND_NEAREST, &fee_quote);
        if (rc == RT_OK && qty <= 0)
            rc = RT_EINVAL; /* a fee eating the whole fill */
    } else {
        rc = acc(&cost, f->fee);
    }
    if (rc != RT_OK)
        return rc;
    if (p->count == p->cap)
        return RT_ENOMEM; /* capacity was planned: a bug if reached */
    tr_lot_t *lot = &p->lots[p->count];
    lot->quantity = qty;
    lot->cost = cost;
    lot->price = f->price;
    lot->time_ms = t;
    tr_book_position_t *s = &p->pub;
    bool was_flat = s->quantity == 0;
    if ((rc = acc(&s->quantity, qty)) != RT_OK || (rc = acc(&s->cost, cost)) != RT_OK ||
        (rc = acc(&s->fees, fee_quote)) != RT_OK || (rc = acc(&s->bought, f->quantity)) != RT_OK ||
        (rc = acc(&s->buy_quote, f->quote_quantity)) != RT_OK ||
        (rc = acc(&pnl->cost, cost)) != RT_OK || (rc = acc(&pnl->fee_quote, fee_quote)) != RT_OK)
        return rc;
    p->count++;
    s->fill_count++;
    s->last_fill_ms = t;
    if (was_flat)
        s->opened_ms = t;
    return RT_OK;
}

static int apply_sell(pos_t *p, const tr_filters_t *sym, const tr_fill_t *f, int64_t t,
                      tr_fill_pnl_t *pnl)
{
    bool fee_in_base = f->fee > 0 && strcmp(f->fee_asset, sym->base_asset) == 0;
    rt_money_t consumed = f->quantity, proceeds = f->quote_quantity, fee_quote = f->fee;
    int rc = RT_OK;
    if (fee_in_base) {
        rc = acc(&consumed, f->fee);
        if (rc == RT_OK)
            rc = rt_money_mul(f->fee, f->price, RT_ROUND_NEAREST, &fee_quote);
    } else {
        rc = rt_money_sub(proceeds, f->fee, &proceeds);
    }
    if (rc != RT_OK)
        return rc;
    tr_book_position_t *s = &p->pub;
    if (consumed > s->quantity)
        return RT_ESTATE; /* selling what the position does not hold */
    rt_money_t left = consumed, cost = 0;
    size_t gone = 0;
    for (size_t i = 0; i < p->count && left > 0; i++) {
        tr_lot_t *lot = &p->lots[i];
        if (left >= lot->quantity) {
            left -= lot->quantity;
            if ((rc = acc(&cost, lot->cost)) != RT_OK)
                return rc;
            gone++;
        } else {
            rt_money_t part;
            rc = rt_money_mul_frac(lot->cost, left, lot->quantity, RT_ROUND_NEAREST, &part);
            if (rc == RT_OK)
                rc = acc(&cost, part);
            if (rc != RT_OK)
                return rc;
            lot->quantity -= left;
            lot->cost -= part;
            left = 0;
        }
    }
    if (left != 0)
        return RT_ESTATE; /* lots do not add up to the quantity: a bug */
    memmove(p->lots, p->lots + gone, (p->count - gone) * sizeof *p->lots);
    p->count -= gone;
    rt_money_t realized;
    if ((rc = rt_money_sub(proceeds, cost, &realized)) != RT_OK ||
        (rc = rt_money_sub(s->quantity, consumed, &s->quantity)) != RT_OK ||
        (rc = rt_money_sub(s->cost, cost, &s->cost)) != RT_OK ||
        (rc = acc(&s->realized, realized)) != RT_OK || (rc = acc(&s->fees, fee_quote)) != RT_OK ||
        (rc = acc(&s->sold, f->quantity)) != RT_OK ||
        (rc = acc(&s->sell_quote, f->quote_quantity)) != RT_OK ||
        (rc = acc(&pnl->realized, realized)) != RT_OK ||
        (rc = acc(&pnl->proceeds, proceeds)) != RT_OK || (rc = acc(&pnl->cost, cost)) != RT_OK ||
        (rc = acc(&pnl->fee_quote, fee_quote)) != RT_OK)
        return rc;
    if (s->quantity == 0) {
        if (s->cost != 0 || p->count != 0)
            return RT_ESTATE; /* flat with a cost left: a bug */
        s->opened_ms = 0;
    }
    s->fill_count++;
    s->last_fill_ms = t;
    return RT_OK;
}

/* Plans fills into np (a copy of the position with its own lots array; freed by the caller on
 * error and on success handed over to commit_fills). *row gets the position's index or NONE. */
static int plan_fills(const tr_books_t *b, const tr_filters_t *sym, const char *strategy,
                      const tr_fill_t *fills, size_t n, int64_t t, pos_t *np, size_t *row,
                      tr_fill_pnl_t *pnl)
{
    memset(np, 0, sizeof *np);
    pnl_zero(pnl);
    if (!sym_ok(sym) || !tr__str_ok(strategy, RT_NAME_CAP) || fills == NULL || n == 0 ||
        n > TR_FILLS_MAX * 64)
        return RT_EINVAL;
    rt_side_t side = fills[0].side;
    if (side != RT_SIDE_BUY && side != RT_SIDE_SELL)
        return RT_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!fill_ok(sym, &fills[i], side))
            return RT_EINVAL;
    size_t i0 = find_pos(b, sym->symbol, strategy);
    if (i0 == NONE && side == RT_SIDE_SELL)
        return RT_ESTATE;
    size_t have = 0;
    if (i0 != NONE) {
        const pos_t *old = &b->pos[i0];
        if (strcmp(old->pub.base_asset, sym->base_asset) != 0 ||
            strcmp(old->pub.quote_asset, sym->quote_asset) != 0)
            return RT_EINVAL; /* the same symbol with other assets */
        np->pub = old->pub;
        have = old->count;
    } else {
        memcpy(np->pub.symbol, sym->symbol, strlen(sym->symbol) + 1);
        memcpy(np->pub.strategy, strategy, strlen(strategy) + 1);
        memcpy(np->pub.base_asset, sym->base_asset, strlen(sym->base_asset) + 1);
        memcpy(np->pub.quote_asset, sym->quote_asset, strlen(sym->quote_asset) + 1);
    }
    np->cap = have + (side == RT_SIDE_BUY ? n : 0);
    if (np->cap == 0)
        np->cap = 1;
    np->lots = malloc(np->cap * sizeof *np->lots);
    if (np->lots == NULL)
        return RT_ENOMEM;
    if (have > 0)
        memcpy(np->lots, b->pos[i0].lots, have * sizeof *np->lots);
    np->count = have;
    for (size_t i = 0; i < n; i++) {
        int rc = side == RT_SIDE_BUY ? apply_buy(np, sym, &fills[i], t, pnl)
                                     : apply_sell(np, sym, &fills[i], t, pnl);
        if (rc != RT_OK)
            return rc;
    }
    *row = i0;
    return RT_OK;
}

static int reserve_positions(tr_books_t *b, size_t extra)
{
    if (b->npos + extra <= b->cappos)
        return RT_OK;
    size_t cap = b->cappos ? b->cappos * 2 : 8;
    while (cap < b->npos + extra)
        cap *= 2;
    pos_t *p = realloc(b->pos, cap * sizeof *p);
    if (p == NULL)
        return RT_ENOMEM;
    b->pos = p;
    b->cappos = cap;
    return RT_OK;
}

/* Hands np (and its lots) over to the books. Cannot fail: capacity was reserved. */
static void commit_fills(tr_books_t *b, pos_t *np, size_t row)
{
    if (row == NONE) {
        b->pos[b->npos++] = *np;
    } else {
        free(b->pos[row].lots);
        b->pos[row] = *np;
    }
    np->lots = NULL;
}

int tr_books_record_fill(tr_books_t *b, const tr_filters_t *sym, const char *strategy,
                         const tr_fill_t *fills, size_t n, int64_t time_ms, tr_fill_pnl_t *pnl)
{
    if (b == NULL)
        return RT_EINVAL;
    pos_t np;
    size_t row = NONE;
    tr_fill_pnl_t p;
    int rc = plan_fills(b, sym, strategy, fills, n, time_ms, &np, &row, &p);
    if (rc == RT_OK && row == NONE)
        rc = reserve_positions(b, 1);
    if (rc == RT_OK) {
        commit_fills(b, &np, row);
        if (pnl != NULL)
            *pnl = p;
    }
    free(np.lots);
    return rc;
}

int tr_books_apply_fills(tr_books_t *b, const tr_filters_t *sym, const char *strategy,
                         const tr_fill_result_t *r, int64_t time_ms, tr_fill_pnl_t *pnl)
{
    if (b == NULL || r == NULL || r->fill_count > TR_FILLS_MAX ||
        r->change_count > TR_CHANGES_MAX || r->fill_count == 0)
        return RT_EINVAL;
    pos_t np;
    size_t row = NONE, m = 0, added = 0;
    tr_fill_pnl_t p;
    bal_plan_t plan[TR_CHANGES_MAX];
    int rc = plan_fills(b, sym, strategy, r->fills, r->fill_count, time_ms, &np, &row, &p);
    if (rc == RT_OK)
        rc = plan_changes(b, r->changes, r->change_count, plan, &m, &added);
    if (rc == RT_OK)
        rc = reserve_balances(b, added);
    if (rc == RT_OK && row == NONE)
        rc = reserve_positions(b, 1);
    if (rc == RT_OK) {
        commit_changes(b, plan, m);
        commit_fills(b, &np, row);
        if (pnl != NULL)
            *pnl = p;
    }
    free(np.lots);
    return rc;
}

int tr_books_position(const tr_books_t *b, const char *symbol, const char *strategy,
                      tr_book_position_t *out)
{
    if (b == NULL || symbol == NULL || strategy == NULL || out == NULL)
        return RT_EINVAL;
    size_t i = find_pos(b, symbol, strategy);
    if (i == NONE)
        return RT_ENOTFOUND;
    *out = b->pos[i].pub;
    return RT_OK;
}

size_t tr_books_position_count(const tr_books_t *b)
{
    return b != NULL ? b->npos : 0;
}

int tr_books_position_at(const tr_books_t *b, size_t i, tr_book_position_t *out)
{
    if (b == NULL || out == NULL)
        return RT_EINVAL;
    if (i >= b->npos)
        return RT_ENOTFOUND;
    *out = b->pos[i].pub;
    return RT_OK;
}

int tr_books_lots(const tr_books_t *b, const char *symbol, const char *strategy,
                  const tr_lot_t **lots, size_t *n)
{
    if (b == NULL || symbol == NULL || strategy == NULL || lots == NULL || n == NULL)
        return RT_EINVAL;
    size_t i = find_pos(b, symbol, strategy);
    if (i == NONE)
        return RT_ENOTFOUND;
    *lots = b->pos[i].lots;
    *n = b->pos[i].count;
    return RT_OK;
}

int64_t tr_books_last_trade(const tr_books_t *b, const char *symbol)
{
    int64_t last = 0;
    if (b == NULL || symbol == NULL)
        return 0;
    for (size_t i = 0; i < b->npos; i++)
        if (strcmp(b->pos[i].pub.symbol, symbol) == 0 && b->pos[i].pub.last_fill_ms > last)
            last = b->pos[i].pub.last_fill_ms;
    return last;
}

static int unrealized_of(const tr_book_position_t *s, rt_money_t price, rt_money_t *value,
                         rt_money_t *out)
{
    rt_money_t v, u;
    int rc = rt_money_mul(s->quantity, price, RT_ROUND_DOWN, &v);
    if (rc == RT_OK)
        rc = rt_money_sub(v, s->cost, &u);
    if (rc != RT_OK)
        return rc;
    *value = v;
    *out = u;
    return RT_OK;
}

int tr_books_unrealized(const tr_books_t *b, const char *symbol, const char *strategy,
                        rt_money_t price, rt_money_t *out)
{
    if (b == NULL || symbol == NULL || strategy == NULL || out == NULL || price < 0)
        return RT_EINVAL;
    size_t i = find_pos(b, symbol, strategy);
    if (i == NONE)
        return RT_ENOTFOUND;
    rt_money_t v;
    return unrealized_of(&b->pos[i].pub, price, &v, out);
}

static const tr_price_t *find_price(const tr_price_t *prices, size_t n, const char *symbol)
{
    for (size_t i = 0; prices != NULL && i < n; i++)
        if (strcmp(prices[i].symbol, symbol) == 0)
            return &prices[i];
    return NULL;
}

int tr_books_pnl(const tr_books_t *b, const char *symbol, const char *strategy,
                 const tr_price_t *prices, size_t n, tr_pnl_t *out)
{
    if (b == NULL || out == NULL || (prices == NULL && n > 0))
        return RT_EINVAL;
    tr_pnl_t t;
    memset(&t, 0, sizeof t);
    for (size_t i = 0; i < b->npos; i++) {
        const tr_book_position_t *s = &b->pos[i].pub;
        if ((symbol != NULL && strcmp(s->symbol, symbol) != 0) ||
            (strategy != NULL && strcmp(s->strategy, strategy) != 0))
            continue;
        int rc;
        if ((rc = acc(&t.realized, s->realized)) != RT_OK || (rc = acc(&t.fees, s->fees)) != RT_OK)
            return rc;
        if (s->quantity == 0)
            continue;
        t.open++;
        if ((rc = acc(&t.quantity, s->quantity)) != RT_OK || (rc = acc(&t.cost, s->cost)) != RT_OK)
            return rc;
        const tr_price_t *p = find_price(prices, n, s->symbol);
        if (p == NULL || p->price <= 0) {
            t.unpriced++;
            continue;
        }
        rt_money_t v, u;
        if ((rc = unrealized_of(s, p->price, &v, &u)) != RT_OK ||
            (rc = acc(&t.value, v)) != RT_OK || (rc = acc(&t.unrealized, u)) != RT_OK)
            return rc;
    }
    *out = t;
    return RT_OK;
}

int tr_books_equity(const tr_books_t *b, const char *quote_asset, const tr_price_t *prices,
                    size_t n, rt_money_t *equity, size_t *unpriced)
{
    if (b == NULL || !asset_ok(quote_asset) || equity == NULL || (prices == NULL && n > 0))
        return RT_EINVAL;
    rt_money_t total = 0;
    size_t missing = 0;
    for (size_t i = 0; i < b->nbal; i++) {
        const tr_balance_t *r = &b->bal[i];
        rt_money_t held, v;
        int rc = rt_money_add(r->free, r->locked, &held);
        if (rc != RT_OK)
            return rc;
        if (strcmp(r->asset, quote_asset) == 0) {
            v = held;
        } else if (held == 0) {
            continue;
        } else {
            char sym[RT_SYMBOL_CAP];
            int len = snprintf(sym, sizeof sym, "%s%s", r->asset, quote_asset);
            const tr_price_t *p = NULL;
            if (len > 0 && (size_t)len < sizeof sym)
                p = find_price(prices, n, sym);
            if (p == NULL || p->price <= 0) {
                if (unpriced == NULL)
                    return RT_ENOTFOUND;
                missing++;
                continue;
            }
            rc = rt_money_mul(held, p->price, RT_ROUND_DOWN, &v);
            if (rc != RT_OK)
                return rc;
        }
        rc = acc(&total, v);
        if (rc != RT_OK)
            return rc;
    }
    *equity = total;
    if (unpriced != NULL)
        *unpriced = missing;
    return RT_OK;
}
