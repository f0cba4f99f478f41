/* The cores together, as the demo trader and the backtester use them, over three weeks of real
 * BTC/USDT minutes: signals -> risk -> demo fills -> books -> positions -> exits. The money
 * must balance exactly: every BUY spends quantity x price + fee, the books always agree with
 * the positions, and at the end the quote gained equals the sum of realized PnL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/money.h"
#include "rt/str.h"
#include "rt_test.h"
#include "tr_books.h"
#include "tr_fill.h"
#include "tr_position.h"
#include "tr_risk.h"

#define MAX_POS 8

typedef struct {
    tr_filters_t f;
    tr_risk_config_t risk;
    tr_exit_config_t exits;
    tr_fill_config_t fill;
    tr_risk_state_t st;
    tr_books_t *books;
    tr_position_t pos[MAX_POS];
    size_t npos;
    /* what happened */
    size_t accepted, rejected, reasons[32], exits_by[8], fills;
} world_t;

static rt_money_t equity_at(world_t *w, rt_money_t price)
{
    tr_price_t p;
    memset(&p, 0, sizeof p);
    (void)snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
    p.price = price;
    rt_money_t eq;
    assert_int_equal(tr_books_equity(w->books, "USDT", &p, 1, &eq, NULL), RT_OK);
    return eq;
}

/* A MARKET order through the fill model and the books; checks quote = qty x price + fee. */
static tr_fill_t execute(world_t *w, const char *strategy, rt_side_t side, rt_money_t qty,
                         rt_money_t last, int64_t now)
{
    tr_balance_t before, after;
    assert_int_equal(tr_books_balance(w->books, "USDT", &before), RT_OK);
    tr_fill_result_t r;
    assert_int_equal(tr_fill_market(&w->fill, &w->f, side, qty, last, &r), RT_OK);
    int rc = tr_books_apply_fills(w->books, &w->f, strategy, &r, now, NULL);
    if (rc != RT_OK)
        fail_msg("apply %s %lld at %lld: rc=%d", side == RT_SIDE_BUY ? "BUY" : "SELL",
                 (long long)qty, (long long)last, rc);
    assert_int_equal(tr_books_balance(w->books, "USDT", &after), RT_OK);
    const tr_fill_t *x = &r.fills[0];
    __extension__ typedef __int128 i128;
    i128 exact = (i128)x->quantity * x->price;
    if (exact % RT_MONEY_SCALE != 0)
        fail_msg("tick x step does not fit 8 decimals");
    rt_money_t gross = (rt_money_t)(exact / RT_MONEY_SCALE);
    rt_money_t moved = after.free - before.free;
    rt_money_t want = side == RT_SIDE_BUY ? -(gross + x->fee) : gross - x->fee;
    if (moved != want)
        fail_msg("quote moved %lld, want %lld (qty %lld price %lld fee %lld)", (long long)moved,
                 (long long)want, (long long)x->quantity, (long long)x->price, (long long)x->fee);
    w->fills++;
    return *x;
}

static tr_position_t *find(world_t *w, const char *strategy)
{
    for (size_t i = 0; i < w->npos; i++)
        if (strcmp(w->pos[i].strategy, strategy) == 0 && w->pos[i].quantity > 0)
            return &w->pos[i];
    return NULL;
}

static void drop_closed(world_t *w)
{
    size_t k = 0;
    for (size_t i = 0; i < w->npos; i++)
        if (w->pos[i].quantity > 0)
            w->pos[k++] = w->pos[i];
    w->npos = k;
}

/* Books and positions agree on every open quantity. */
static void check_agree(world_t *w)
{
    for (size_t i = 0; i < tr_books_position_count(w->books); i++) {
        tr_book_position_t bp;
        assert_int_equal(tr_books_position_at(w->books, i, &bp), RT_OK);
        const tr_position_t *p = find(w, bp.strategy);
        rt_money_t q = p != NULL ? p->quantity : 0;
        if (q != bp.quantity)
            fail_msg("%s: position says %lld, books %lld", bp.strategy, (long long)q,
                     (long long)bp.quantity);
    }
}

static void on_signal(world_t *w, const char *strategy, rt_side_t side, rt_money_t close,
                      int64_t now)
{
    tr_request_t req;
    memset(&req, 0, sizeof req);
    (void)snprintf(req.symbol, sizeof req.symbol, "BTCUSDT");
    (void)snprintf(req.strategy, sizeof req.strategy, "%s", strategy);
    req.side = side;
    req.type = TR_ORDER_MARKET;
    req.price = close;
    size_t nb;
    tr_risk_input_t in;
    memset(&in, 0, sizeof in);
    in.filters = &w->f;
    in.balances = tr_books_balances(w->books, &nb);
    in.balance_count = nb;
    in.equity = equity_at(w, close);
    in.positions = w->pos;
    in.position_count = w->npos;
    in.last_trade_ms = tr_books_last_trade(w->books, "BTCUSDT");
    in.now_ms = now;
    tr_decision_t d;
    assert_int_equal(tr_risk_evaluate(&w->risk, &w->exits, &w->st, &req, &in, &d), RT_OK);
    if (d.verdict != TR_VERDICT_ACCEPT) {
        w->rejected++;
        w->reasons[d.reason]++;
        return;
    }
    w->accepted++;
    tr_fill_t x = execute(w, strategy, side, d.order.quantity, close, now);
    tr_position_t *p = find(w, strategy);
    tr_entry_t e = {x.price, x.quantity, d.order.stop_loss, d.order.take_profit, 0, now};
    switch (d.order.action) {
    case TR_POS_OPEN:
        assert_null(p);
        assert_true(w->npos < MAX_POS);
        assert_int_equal(tr_position_open(&w->pos[w->npos++], &w->exits, "BTCUSDT", strategy, &e),
                         RT_OK);
        break;
    case TR_POS_ADD:
        assert_non_null(p);
        assert_int_equal(tr_position_add(p, &w->exits, &e), RT_OK);
        break;
    case TR_POS_REDUCE:
    case TR_POS_CLOSE:
        assert_non_null(p);
        assert_int_equal(tr_position_reduce(p, x.quantity), RT_OK);
        break;
    }
    drop_closed(w);
}

static void on_candle(world_t *w, rt_money_t high, rt_money_t low, rt_money_t close, int64_t now)
{
    for (size_t i = 0; i < w->npos; i++) {
        tr_position_t *p = &w->pos[i];
        tr_exit_t x;
        assert_int_equal(tr_position_on_candle(p, &w->exits, &w->f, high, low, close, &x), RT_OK);
        if (x.reason == TR_EXIT_NONE)
            continue;
        w->exits_by[x.reason]++;
        assert_true(x.quantity > 0); /* these positions are never dust */
        /* the order triggers at its level; a gap fills at the close */
        rt_money_t last = x.level >= low && x.level <= high ? x.level : close;
        tr_fill_t f = execute(w, p->strategy, RT_SIDE_SELL, x.quantity, last, now);
        assert_int_equal(tr_position_reduce(p, f.quantity), RT_OK);
        assert_int_equal(tr_position_settle(p, true), RT_OK);
    }
    drop_closed(w);
}

static void test_three_weeks(void **state)
{
    (void)state;
    world_t *w = calloc(1, sizeof *w);
    assert_non_null(w);
    tr_filters_init(&w->f);
    (void)snprintf(w->f.symbol, sizeof w->f.symbol, "BTCUSDT");
    (void)snprintf(w->f.base_asset, sizeof w->f.base_asset, "BTC");
    (void)snprintf(w->f.quote_asset, sizeof w->f.quote_asset, "USDT");
    w->f.trading = true;
    w->f.tick_size = 1000000; /* 0.01 */
    w->f.step_size = 1000;    /* 0.00001 */
    w->f.min_qty = 1000;
    w->f.min_notional = RT_MONEY_UNITS(5);
    w->f.apply_min_to_market = true;
    tr_risk_config_default(&w->risk);
    w->risk.risk_per_trade = 1000000; /* 1% */
    w->risk.max_entries = 2;
    w->risk.max_exposure_pct = 30000000;    /* 30% */
    tr_exit_config_default(&w->exits);      /* stop 3%, target 5% */
    w->exits.trailing_activation = 2000000; /* +2% */
    w->exits.trailing_pct = 1000000;        /* 1% */
    w->exits.partial_tp_pct = 1500000;      /* +1.5% */
    w->exits.partial_tp_fraction = 50000000;
    tr_fill_config_default(&w->fill);
    assert_int_equal(tr_books_new(&w->books), RT_OK);
    assert_int_equal(tr_books_deposit(w->books, "USDT", RT_MONEY_UNITS(10000)), RT_OK);

    char path[512];
    size_t len;
    char *csv = rt_test_read_file(
        rt_test_shared_path(path, sizeof path, "data/btcusdt_1m_2023-03-01_2023-03-21.csv"), &len);
    char *line = strchr(csv, '\n'); /* skip the header */
    assert_non_null(line);
    line++;
    size_t row = 0;
    rt_money_t last_close = 0;
    int64_t now = 0;
    bool started = false;
    while (*line != '\0') {
        char *end = strchr(line, '\n');
        if (end == NULL)
            end = line + strlen(line);
        /* open_time_ms,open,high,low,close,volume */
        const char *fld[6];
        size_t fl[6], nf = 0;
        const char *p = line;
        while (nf < 6 && p <= end) {
            const char *c = memchr(p, ',', (size_t)(end - p));
            if (c == NULL)
                c = end;
            fld[nf] = p;
            fl[nf] = (size_t)(c - p);
            nf++;
            p = c + 1;
        }
        assert_int_equal(nf, 6);
        rt_money_t high, low, close;
        char t[24];
        assert_true(fl[0] < sizeof t);
        memcpy(t, fld[0], fl[0]);
        t[fl[0]] = '\0';
        assert_int_equal(rt_str_parse_int64(t, &now), RT_OK);
        now += 60000; /* the candle's close */
        assert_int_equal(rt_money_parse_n(fld[2], fl[2], &high), RT_OK);
        assert_int_equal(rt_money_parse_n(fld[3], fl[3], &low), RT_OK);
        assert_int_equal(rt_money_parse_n(fld[4], fl[4], &close), RT_OK);
        if (!started) {
            assert_int_equal(tr_risk_state_init(&w->st, &w->risk, RT_MONEY_UNITS(10000), now),
                             RT_OK);
            started = true;
        }
        on_candle(w, high, low, close, now);
        /* deterministic strategies: A trades a 3-hour rhythm, B buys every 5 hours */
        if (row % 180 == 0 || row % 180 == 60)
            on_signal(w, "A", RT_SIDE_BUY, close, now);
        if (row % 180 == 120)
            on_signal(w, "A", RT_SIDE_SELL, close, now);
        if (row % 300 == 0)
            on_signal(w, "B", RT_SIDE_BUY, close, now);
        rt_money_t eq = equity_at(w, close);
        assert_int_equal(tr_risk_observe(&w->st, now, eq), RT_OK);
        assert_false(tr_risk_halt_due(&w->risk, &w->st, eq, NULL, 0));
        check_agree(w);
        last_close = close;
        row++;
        line = *end == '\0' ? end : end + 1;
    }
    free(csv);
    assert_int_equal(row, 30240);
    /* close everything at the last price */
    for (size_t i = 0; i < w->npos; i++) {
        tr_exit_t x;
        assert_int_equal(tr_position_close(&w->pos[i], &w->f, &x), RT_OK);
        if (x.quantity > 0) {
            tr_fill_t f = execute(w, w->pos[i].strategy, RT_SIDE_SELL, x.quantity, last_close, now);
            assert_int_equal(tr_position_reduce(&w->pos[i], f.quantity), RT_OK);
        }
    }
    drop_closed(w);
    check_agree(w);
    /* the quote gained is the realized PnL, to the unit */
    tr_pnl_t all;
    assert_int_equal(tr_books_pnl(w->books, NULL, NULL, NULL, 0, &all), RT_OK);
    tr_balance_t usdt, btc;
    assert_int_equal(tr_books_balance(w->books, "USDT", &usdt), RT_OK);
    assert_int_equal(tr_books_balance(w->books, "BTC", &btc), RT_OK);
    assert_int_equal(all.open, 0);
    assert_int_equal(btc.free + btc.locked, 0);
    if (usdt.free - RT_MONEY_UNITS(10000) != all.realized)
        fail_msg("USDT moved %lld, realized %lld", (long long)(usdt.free - RT_MONEY_UNITS(10000)),
                 (long long)all.realized);
    /* and per strategy the parts add up to the whole */
    tr_pnl_t a, b;
    assert_int_equal(tr_books_pnl(w->books, NULL, "A", NULL, 0, &a), RT_OK);
    assert_int_equal(tr_books_pnl(w->books, NULL, "B", NULL, 0, &b), RT_OK);
    assert_int_equal(a.realized + b.realized, all.realized);
    assert_int_equal(a.fees + b.fees, all.fees);
    /* the run exercised the rules it claims to */
    print_message("fills %zu, accepted %zu, rejected %zu (in position %zu, exposure %zu, "
                  "cooldown %zu, no position %zu); exits: stop %zu, target %zu, trailing %zu, "
                  "partial %zu; realized %lld (1e-8 USDT)\n",
                  w->fills, w->accepted, w->rejected, w->reasons[TR_REASON_ALREADY_IN_POSITION],
                  w->reasons[TR_REASON_MAX_EXPOSURE], w->reasons[TR_REASON_COOLDOWN],
                  w->reasons[TR_REASON_NO_POSITION], w->exits_by[TR_EXIT_STOP_LOSS],
                  w->exits_by[TR_EXIT_TAKE_PROFIT], w->exits_by[TR_EXIT_TRAILING_STOP],
                  w->exits_by[TR_EXIT_PARTIAL_TP], (long long)all.realized);
    assert_true(w->accepted > 50);
    assert_true(w->rejected > 0);
    assert_true(w->exits_by[TR_EXIT_STOP_LOSS] > 0);
    assert_true(w->exits_by[TR_EXIT_TRAILING_STOP] + w->exits_by[TR_EXIT_TAKE_PROFIT] > 0);
    assert_true(w->exits_by[TR_EXIT_PARTIAL_TP] > 0);
    tr_books_free(w->books);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_weeks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
