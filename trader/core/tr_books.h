/* The books: balances per asset (free and locked) and positions per (symbol, strategy) made of
 * FIFO lots, with realized PnL per fill (fees included), unrealized PnL at a price, totals per
 * symbol and per strategy, and equity in a quote asset.
 *
 * Accounting, all in fixed point (rt_money_t, 8 decimals) and exact:
 *   BUY fill   a new lot: quantity (less the fee when the fee is charged in the base asset) and
 *              cost = quote_quantity + fee (fee in quote): the buy fee adds to the cost.
 *   SELL fill  consumes lots oldest first; a lot partly consumed gives up its cost pro rata
 *              (rounded to nearest; the last piece takes what is left, so no unit is lost);
 *              realized = (quote_quantity - fee) - cost of the consumed lots: the sell fee
 *              reduces the proceeds.
 *   unrealized = quantity * price (rounded down) - remaining cost.
 *
 * Every operation checks its inputs and overflow and refuses to drive a balance or a position
 * negative (RT_ESTATE): a bug surfaces as an error, never as a negative number. An operation
 * that fails changes nothing.
 *
 * Balances and fills are separate on purpose: the demo applies both (tr_books_apply_fills);
 * live mode takes balances from the exchange (tr_books_set_balance) and records fills only
 * (tr_books_record_fill). Not thread-safe: one owner. */
#ifndef TR_BOOKS_H
#define TR_BOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"
#include "rt/types.h"
#include "tr_fill.h"
#include "tr_filters.h"

/** One asset's balance. */
typedef struct {
    char asset[TR_ASSET_CAP];
    rt_money_t free;
    rt_money_t locked; /* held by resting LIMIT orders */
} tr_balance_t;

/** One lot of a position: what is left of one BUY fill. */
typedef struct {
    rt_money_t quantity; /* base quantity left */
    rt_money_t cost;     /* its cost left, in quote, buy fee included */
    rt_money_t price;    /* the fill price */
    int64_t time_ms;
} tr_lot_t;

/** A position's accounting (a copy; the lots are read with tr_books_lots). */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    char strategy[RT_NAME_CAP];
    char base_asset[TR_ASSET_CAP];
    char quote_asset[TR_ASSET_CAP];
    rt_money_t quantity;   /* open quantity (sum of lots); 0 when flat */
    rt_money_t cost;       /* open cost basis (sum of lots' cost) */
    rt_money_t realized;   /* realized PnL of every sell so far, fees included */
    rt_money_t fees;       /* fees paid, valued in quote */
    rt_money_t bought;     /* base bought (gross) */
    rt_money_t sold;       /* base sold */
    rt_money_t buy_quote;  /* quote paid, fees apart */
    rt_money_t sell_quote; /* quote received, fees apart */
    size_t fill_count;
    int64_t opened_ms;    /* first BUY of the open position; 0 when flat */
    int64_t last_fill_ms; /* last fill on this position */
} tr_book_position_t;

/** The result of recording fills: realized PnL (SELL) and what went into it. */
typedef struct {
    rt_money_t realized;  /* proceeds - cost; 0 for a BUY */
    rt_money_t proceeds;  /* SELL: quote received less fees in quote */
    rt_money_t cost;      /* SELL: cost of the consumed lots; BUY: cost of the new lots */
    rt_money_t fee_quote; /* fees valued in quote */
} tr_fill_pnl_t;

/** A price for valuations: the last price of a symbol. */
typedef struct {
    char symbol[RT_SYMBOL_CAP];
    rt_money_t price;
} tr_price_t;

/** Totals over a set of positions (see tr_books_pnl). */
typedef struct {
    rt_money_t realized;
    rt_money_t unrealized; /* of the priced open positions */
    rt_money_t fees;
    rt_money_t quantity; /* open base quantity (meaningful for one symbol) */
    rt_money_t cost;     /* open cost basis */
    rt_money_t value;    /* market value of the priced open positions */
    size_t open;         /* open positions */
    size_t unpriced;     /* open positions left out of value/unrealized: no price given */
} tr_pnl_t;

typedef struct tr_books tr_books_t;

/** New, empty books in *out (free with tr_books_free). Returns 0, RT_EINVAL, RT_ENOMEM. */
int tr_books_new(tr_books_t **out);

/** Frees the books and everything borrowed from them; NULL is a no-op. */
void tr_books_free(tr_books_t *b);

/** Adds amount (>= 0) to asset's free balance (initial balances, DEMO_BALANCES). Returns 0,
 *  RT_EINVAL on NULL, a bad asset name or amount < 0, RT_ERANGE on overflow, RT_ENOMEM. */
int tr_books_deposit(tr_books_t *b, const char *asset, rt_money_t amount);

/** Sets asset's balance as the exchange reports it (live mode). Returns 0, RT_EINVAL on NULL,
 *  a bad name or a negative amount, RT_ENOMEM. */
int tr_books_set_balance(tr_books_t *b, const char *asset, rt_money_t free, rt_money_t locked);

/** asset's balance in *out (zeros for an asset never seen). Returns 0, RT_EINVAL on NULL. */
int tr_books_balance(const tr_books_t *b, const char *asset, tr_balance_t *out);

/** Every balance, in first-seen order: borrowed, valid until the books next change. *n gets
 *  the count (0 and a non-NULL pointer or NULL when empty). */
const tr_balance_t *tr_books_balances(const tr_books_t *b, size_t *n);

/** Moves amount from free to locked (lock) or back (unlock). Returns 0, RT_EINVAL on NULL or
 *  amount <= 0, RT_ESTATE when free (lock) or locked (unlock) is short, RT_ENOMEM. */
int tr_books_lock(tr_books_t *b, const char *asset, rt_money_t amount);
int tr_books_unlock(tr_books_t *b, const char *asset, rt_money_t amount);

/** Applies balance changes (tr_fill_result_t.changes) all or nothing. Returns 0, RT_EINVAL on
 *  NULL or a bad name, RT_ESTATE when a free or locked balance would go negative, RT_ERANGE on
 *  overflow, RT_ENOMEM. */
int tr_books_apply_changes(tr_books_t *b, const tr_balance_change_t *changes, size_t n);

/** Records fills of one order into the position (sym->symbol, strategy): lots and PnL only,
 *  balances untouched (live mode). All fills must have the same side. Fees must be in sym's
 *  quote or base asset: a fee paid in another asset (BNB) is passed converted to quote by the
 *  caller. *pnl (may be NULL) gets the totals of these fills. Returns 0, RT_EINVAL on NULL, bad
 *  names, a fill with quantity <= 0, price <= 0, negative quote or fee, or mixed sides;
 *  RT_ESTATE when a SELL exceeds the open quantity; RT_ERANGE on overflow; RT_ENOMEM. */
int tr_books_record_fill(tr_books_t *b, const tr_filters_t *sym, const char *strategy,
                         const tr_fill_t *fills, size_t n, int64_t time_ms, tr_fill_pnl_t *pnl);

/** The demo's whole effect of an order: applies r's balance changes and records its fills,
 *  all or nothing. Returns as tr_books_apply_changes and tr_books_record_fill. */
int tr_books_apply_fills(tr_books_t *b, const tr_filters_t *sym, const char *strategy,
                         const tr_fill_result_t *r, int64_t time_ms, tr_fill_pnl_t *pnl);

/** The position (symbol, strategy) in *out. Returns 0, RT_ENOTFOUND when it never traded,
 *  RT_EINVAL on NULL. */
int tr_books_position(const tr_books_t *b, const char *symbol, const char *strategy,
                      tr_book_position_t *out);

/** Number of positions ever traded (open or flat). */
size_t tr_books_position_count(const tr_books_t *b);

/** The i-th position (first-traded order) in *out. Returns 0, RT_ENOTFOUND past the end,
 *  RT_EINVAL on NULL. */
int tr_books_position_at(const tr_books_t *b, size_t i, tr_book_position_t *out);

/** The open lots of (symbol, strategy), oldest first: borrowed, valid until the books next
 *  change. Returns 0 (possibly *n = 0), RT_ENOTFOUND, RT_EINVAL. */
int tr_books_lots(const tr_books_t *b, const char *symbol, const char *strategy,
                  const tr_lot_t **lots, size_t *n);

/** Time of the last fill on symbol (any strategy), 0 when none: COOLDOWN_SECONDS' input. */
int64_t tr_books_last_trade(const tr_books_t *b, const char *symbol);

/** Unrealized PnL of (symbol, strategy) at price: quantity * price (down) - cost. Returns 0,
 *  RT_ENOTFOUND, RT_EINVAL on NULL or price < 0, RT_ERANGE. */
int tr_books_unrealized(const tr_books_t *b, const char *symbol, const char *strategy,
                        rt_money_t price, rt_money_t *out);

/** Totals over the positions matching symbol and strategy (NULL matches any: per symbol, per
 *  strategy, or everything), valued at prices (n entries, may be 0). Open positions whose
 *  symbol has no price are counted in unpriced and left out of value and unrealized.
 *  Returns 0, RT_EINVAL on NULL out, RT_ERANGE on overflow. */
int tr_books_pnl(const tr_books_t *b, const char *symbol, const char *strategy,
                 const tr_price_t *prices, size_t n, tr_pnl_t *out);

/** Equity in quote_asset: its own balance plus every other asset's (free + locked) at the
 *  price of the symbol <asset><quote_asset> (rounded down). An asset with a non-zero balance
 *  and no price is counted in *unpriced when unpriced is not NULL, else the call fails with
 *  RT_ENOTFOUND. Returns 0, RT_EINVAL, RT_ENOTFOUND, RT_ERANGE. */
int tr_books_equity(const tr_books_t *b, const char *quote_asset, const tr_price_t *prices,
                    size_t n, rt_money_t *equity, size_t *unpriced);

#endif
