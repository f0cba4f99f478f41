/* The books: balances, FIFO lots, realized and unrealized PnL, totals, equity; every refusal
 * leaves them unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/money.h"
#include "tr_books.h"
#include "tr_fill.h"

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

static void expect_money(const char *what, rt_money_t got, const char *want)
{
    if (got != M(want)) {
        char g[RT_MONEY_FMT_MAX];
        rt_money_format(got, g, sizeof g);
        fail_msg("%s: got %s want %s", what, g, want);
    }
}

static tr_filters_t sym(const char *symbol, const char *base, const char *quote)
{
    tr_filters_t f;
    tr_filters_init(&f);
    (void)snprintf(f.symbol, sizeof f.symbol, "%s", symbol);
    (void)snprintf(f.base_asset, sizeof f.base_asset, "%s", base);
    (void)snprintf(f.quote_asset, sizeof f.quote_asset, "%s", quote);
    f.trading = true;
    f.tick_size = M("0.01");
    return f;
}

static tr_fill_t fill(rt_side_t side, const char *qty, const char *price, const char *fee,
                      const char *fee_asset)
{
    tr_fill_t f;
    memset(&f, 0, sizeof f);
    f.side = side;
    f.quantity = M(qty);
    f.price = M(price);
    assert_int_equal(rt_money_mul(f.quantity, f.price, RT_ROUND_NEAREST, &f.quote_quantity), RT_OK);
    f.fee = M(fee);
    (void)snprintf(f.fee_asset, sizeof f.fee_asset, "%s", fee_asset);
    return f;
}

static rt_money_t free_of(const tr_books_t *b, const char *asset)
{
    tr_balance_t bal;
    assert_int_equal(tr_books_balance(b, asset, &bal), RT_OK);
    return bal.free;
}

static void test_balances(void **state)
{
    (void)state;
    tr_books_t *b = NULL;
    assert_int_equal(tr_books_new(&b), RT_OK);
    assert_int_equal(tr_books_deposit(b, "USDC", M("10000")), RT_OK);
    assert_int_equal(tr_books_deposit(b, "USDC", M("0.5")), RT_OK);
    assert_int_equal(tr_books_deposit(b, "BTC", 0), RT_OK);
    expect_money("USDC", free_of(b, "USDC"), "10000.5");
    expect_money("unknown asset is zero", free_of(b, "ETH"), "0");
    size_t n = 0;
    const tr_balance_t *all = tr_books_balances(b, &n);
    assert_int_equal(n, 2);
    assert_string_equal(all[0].asset, "USDC");
    assert_string_equal(all[1].asset, "BTC");
    /* lock and unlock, never below zero */
    assert_int_equal(tr_books_lock(b, "USDC", M("500")), RT_OK);
    tr_balance_t bal;
    assert_int_equal(tr_books_balance(b, "USDC", &bal), RT_OK);
    expect_money("free after lock", bal.free, "9500.5");
    expect_money("locked", bal.locked, "500");
    assert_int_equal(tr_books_lock(b, "USDC", M("9500.50000001")), RT_ESTATE);
    assert_int_equal(tr_books_unlock(b, "USDC", M("500.00000001")), RT_ESTATE);
    assert_int_equal(tr_books_unlock(b, "USDC", M("500")), RT_OK);
    assert_int_equal(tr_books_lock(b, "USDC", 0), RT_EINVAL);
    /* refusals */
    assert_int_equal(tr_books_deposit(b, "USDC", -1), RT_EINVAL);
    assert_int_equal(tr_books_deposit(b, "", 1), RT_EINVAL);
    assert_int_equal(tr_books_deposit(b, "A_NAME_THAT_IS_FAR_TOO_LONG", 1), RT_EINVAL);
    assert_int_equal(tr_books_deposit(b, NULL, 1), RT_EINVAL);
    assert_int_equal(tr_books_deposit(b, "USDC", RT_MONEY_MAX), RT_ERANGE);
    expect_money("unchanged after refusals", free_of(b, "USDC"), "10000.5");
    /* all or nothing: the second change would go negative, so the first is not applied */
    tr_balance_change_t ch[2];
    memset(ch, 0, sizeof ch);
    (void)snprintf(ch[0].asset, sizeof ch[0].asset, "USDC");
    ch[0].free = M("-100");
    (void)snprintf(ch[1].asset, sizeof ch[1].asset, "BTC");
    ch[1].free = M("-0.1");
    assert_int_equal(tr_books_apply_changes(b, ch, 2), RT_ESTATE);
    expect_money("atomic", free_of(b, "USDC"), "10000.5");
    /* the same asset twice adds up before the check */
    ch[1] = ch[0];
    ch[1].free = M("100");
    assert_int_equal(tr_books_apply_changes(b, ch, 2), RT_OK);
    expect_money("netted", free_of(b, "USDC"), "10000.5");
    /* a new asset appears only when the change succeeds */
    (void)snprintf(ch[0].asset, sizeof ch[0].asset, "ETH");
    ch[0].free = M("-1");
    assert_int_equal(tr_books_apply_changes(b, ch, 1), RT_ESTATE);
    tr_books_balances(b, &n);
    assert_int_equal(n, 2);
    /* live: set as the exchange says */
    assert_int_equal(tr_books_set_balance(b, "BNB", M("1.5"), M("0.5")), RT_OK);
    assert_int_equal(tr_books_balance(b, "BNB", &bal), RT_OK);
    expect_money("set free", bal.free, "1.5");
    expect_money("set locked", bal.locked, "0.5");
    assert_int_equal(tr_books_set_balance(b, "BNB", -1, 0), RT_EINVAL);
    tr_books_free(b);
    tr_books_free(NULL);
}

/* The brief's check: quote spent = quantity x price + fee to the last 1e-8, and a round trip's
 * realized PnL equals the hand computation. */
static void test_round_trip(void **state)
{
    (void)state;
    tr_books_t *b = NULL;
    assert_int_equal(tr_books_new(&b), RT_OK);
    assert_int_equal(tr_books_deposit(b, "USDC", M("10000")), RT_OK);
    tr_filters_t s = sym("BTCUSDC", "BTC", "USDC");
    tr_fill_config_t cfg;
    tr_fill_config_default(&cfg); /* 5 bps, 0.1% */
    /* BUY 0.12345 at last 43210.57: price 43210.57 * 1.0005 = 43232.175285 -> tick up 43232.18;
     * quote 0.12345 * 43232.18 = 5337.012621; fee 5.337012621 -> up 5.33701263 */
    tr_fill_result_t r;
    assert_int_equal(tr_fill_market(&cfg, &s, RT_SIDE_BUY, M("0.12345"), M("43210.57"), &r), RT_OK);
    tr_fill_pnl_t pnl;
    assert_int_equal(tr_books_apply_fills(b, &s, "RSI_Strategy", &r, 1000, &pnl), RT_OK);
    const tr_fill_t *x = &r.fills[0];
    expect_money("buy price", x->price, "43232.18");
    expect_money("buy fee", x->fee, "5.33701263");
    __extension__ typedef __int128 i128;
    i128 exact = (i128)x->quantity * x->price; /* 16 decimals */
    assert_true(exact % RT_MONEY_SCALE == 0);  /* tick x step fits 8 decimals: no rounding */
    rt_money_t spent = M("10000") - free_of(b, "USDC");
    if ((i128)spent != exact / RT_MONEY_SCALE + x->fee)
        fail_msg("spent %lld != qty*price %lld + fee %lld", (long long)spent,
                 (long long)(exact / RT_MONEY_SCALE), (long long)x->fee);
    expect_money("spent", spent, "5342.34963363");
    expect_money("BTC", free_of(b, "BTC"), "0.12345");
    tr_book_position_t p;
    assert_int_equal(tr_books_position(b, "BTCUSDC", "RSI_Strategy", &p), RT_OK);
    expect_money("cost includes the buy fee", p.cost, "5342.34963363");
    expect_money("qty", p.quantity, "0.12345");
    assert_int_equal(p.opened_ms, 1000);
    expect_money("buy pnl cost", pnl.cost, "5342.34963363");
    /* SELL all at last 44000: price 44000 * 0.9995 = 43978; quote 0.12345 * 43978 = 5429.0841;
     * fee 5.4290841 -> up 5.42908410; proceeds 5423.65501590;
     * realized = 5423.6550159 - 5342.34963363 = 81.30538227 */
    assert_int_equal(tr_fill_market(&cfg, &s, RT_SIDE_SELL, M("0.12345"), M("44000"), &r), RT_OK);
    assert_int_equal(tr_books_apply_fills(b, &s, "RSI_Strategy", &r, 2000, &pnl), RT_OK);
    expect_money("sell price", r.fills[0].price, "43978");
    expect_money("sell fee", r.fills[0].fee, "5.4290841");
    expect_money("realized", pnl.realized, "81.30538227");
    expect_money("proceeds", pnl.proceeds, "5423.6550159");
    assert_int_equal(tr_books_position(b, "BTCUSDC", "RSI_Strategy", &p), RT_OK);
    expect_money("position realized", p.realized, "81.30538227");
    expect_money("flat", p.quantity, "0");
    expect_money("no cost left", p.cost, "0");
    expect_money("fees", p.fees, "10.76609673");
    assert_int_equal(p.opened_ms, 0);
    assert_int_equal(p.fill_count, 2);
    /* the money adds up: the balance moved by exactly the realized PnL */
    expect_money("USDC after", free_of(b, "USDC"), "10081.30538227");
    expect_money("BTC after", free_of(b, "BTC"), "0");
    rt_money_t eq;
    assert_int_equal(tr_books_equity(b, "USDC", NULL, 0, &eq, NULL), RT_OK);
    expect_money("equity", eq, "10081.30538227");
    assert_int_equal(tr_books_last_trade(b, "BTCUSDC"), 2000);
    assert_int_equal(tr_books_last_trade(b, "ETHUSDC"), 0);
    tr_books_free(b);
}

static void test_fifo(void **state)
{
    (void)state;
    tr_books_t *b = NULL;
    assert_int_equal(tr_books_new(&b), RT_OK);
    tr_filters_t s = sym("ETHUSDC", "ETH", "USDC");
    tr_fill_t f1 = fill(RT_SIDE_BUY, "1", "100", "0.1", "USDC");     /* cost 100.1 */
    tr_fill_t f2 = fill(RT_SIDE_BUY, "1", "110", "0.11", "USDC");    /* cost 110.11 */
    tr_fill_t f3 = fill(RT_SIDE_SELL, "1.5", "120", "0.18", "USDC"); /* net 179.82 */
    tr_fill_pnl_t pnl;
    assert_int_equal(tr_books_record_fill(b, &s, "A", &f1, 1, 1, &pnl), RT_OK);
    assert_int_equal(tr_books_record_fill(b, &s, "A", &f2, 1, 2, &pnl), RT_OK);
    const tr_lot_t *lots;
    size_t n;
    assert_int_equal(tr_books_lots(b, "ETHUSDC", "A", &lots, &n), RT_OK);
    assert_int_equal(n, 2);
    expect_money("lot 1 cost", lots[0].cost, "100.1");
    expect_money("lot 2 cost", lots[1].cost, "110.11");
    /* the first lot whole (100.1) and half of the second (55.055): 24.665 realized */
    assert_int_equal(tr_books_record_fill(b, &s, "A", &f3, 1, 3, &pnl), RT_OK);
    expect_money("fifo cost", pnl.cost, "155.155");
    expect_money("fifo realized", pnl.realized, "24.665");
    assert_int_equal(tr_books_lots(b, "ETHUSDC", "A", &lots, &n), RT_OK);
    assert_int_equal(n, 1);
    expect_money("left qty", lots[0].quantity, "0.5");
    expect_money("left cost", lots[0].cost, "55.055");
    expect_money("left price", lots[0].price, "110");
    assert_int_equal(lots[0].time_ms, 2);
    rt_money_t u;
    assert_int_equal(tr_books_unrealized(b, "ETHUSDC", "A", M("130"), &u), RT_OK);
    expect_money("unrealized", u, "9.945"); /* 65 - 55.055 */
    assert_int_equal(tr_books_unrealized(b, "ETHUSDC", "A", M("100"), &u), RT_OK);
    expect_money("unrealized loss", u, "-5.055");
    /* selling more than held is refused and changes nothing */
    tr_fill_t big = fill(RT_SIDE_SELL, "0.50000001", "120", "0", "");
    assert_int_equal(tr_books_record_fill(b, &s, "A", &big, 1, 4, &pnl), RT_ESTATE);
    tr_book_position_t p;
    assert_int_equal(tr_books_position(b, "ETHUSDC", "A", &p), RT_OK);
    expect_money("unchanged qty", p.quantity, "0.5");
    assert_int_equal(p.last_fill_ms, 3);
    /* no position at all: never short */
    assert_int_equal(tr_books_record_fill(b, &s, "B", &f3, 1, 5, &pnl), RT_ESTATE);
    assert_int_equal(tr_books_position(b, "ETHUSDC", "B", &p), RT_ENOTFOUND);
    tr_books_free(b);
}

/* A lot's cost given up in pieces adds up to the whole, to the unit. */
static void test_pro_rata_conserves(void **state)
{
    (void)state;
    tr_books_t *b = NULL;
    assert_int_equal(tr_books_new(&b), RT_OK);
    tr_filters_t s = sym("XUSDC", "X", "USDC");
    tr_fill_t buy = fill(RT_SIDE_BUY, "3", "0.33333333", "0.00000001", "USDC");
    /* quote 0.99999999 + fee 0.00000001 = cost 1 */
    tr_fill_pnl_t pnl;
    assert_int_equal(tr_books_record_fill(b, &s, "S", &buy, 1, 1, &pnl), RT_OK);
    expect_money("cost", pnl.cost, "1");
    rt_money_t total = 0;
    for (int i = 0; i < 3; i++) {
        tr_fill_t sell = fill(RT_SIDE_SELL, "1", "1", "0", "");
        assert_int_equal(tr_books_record_fill(b, &s, "S", &sell, 1, 2 + i, &pnl), RT_OK);
        total += pnl.cost;
    }
    expect_money("every unit of cost accounted", total, "1");
    tr_book_position_t p;
    assert_int_equal(tr_books_position(b, "XUSDC", "S", &p), RT_OK);
    expect_money("realized", p.realized, "2"); /* 3 received - 1 paid */
    expect_money("cost left", p.cost, "0");
    tr_books_free(b);
}

/* Live Binance charges a BUY's fee in the base asset: the lot holds less, costs the same. */
static void test_fee_in_base(void **state)
{
    (void)state;
    tr_books_t *b = NULL;
    assert_int_equal(tr_books_new(&b), RT_OK);
    tr_filters_t s = sym("BTCUSDC", "BTC", "USDC");
    tr_fill_t f[2] = {fill(RT_SIDE_BUY, "0.6", "100", "0.0006", "BTC"),
                      fill(RT_SIDE_BUY, "0.4", "101", "0.0004", "BTC")};
    tr_fill_pnl_t pnl;
    assert_int_equal(tr_books_record_fill(b, &s, "S", f, 2, 7, &pnl), RT_OK);
    tr_book_position_t p;
    assert_int_equal(tr_books_position(b, "BTCUSDC", "S", &p), RT_OK);
    expect_money("net quantity", p.quantity, "0.999");
    expect_money("cost", p.cost, "100.4");
    expect_money("fee valued in quote", p.fees, "0.1004"); /* 0.06 + 0.0404 */
    expect_money("bought gross", p.bought, "1");
    /* a fee in a third asset must come converted */
    tr_fill_t bnb = fill(RT_SIDE_BUY, "0.1", "100", "0.001", "BNB");
    assert_int_equal(tr_books_record_fill(b, &s, "S", &bnb, 1, 8, &pnl), RT_EINVAL);
    /* mixed sides in one order are refused */
    tr_fill_t mixed[2] = {fill(RT_SIDE_BUY, "0.1", "100", "0", ""),
                          fill(RT_SIDE_SELL, "0.1", "100", "0", "")};
    assert_int_equal(tr_books_record_fill(b, &s, "S", mixed, 2, 9, &pnl), RT_EINVAL);
    /* a fee eating the whole fill */
    tr_fill_t eaten = fill(RT_SIDE_BUY, "0.1", "100", "0.1", "BTC");
    assert_int_equal(tr_books_record_fill(b, &s, "S", &eaten, 1, 10, &pnl), RT_EINVAL);
    /* bad fills */
    tr_fill_t bad = fill(RT_SIDE_BUY, "0.1", "100", "0", "");
    bad.price = 0;
    assert_int_equal(tr_books_record_fill(b, &s, "S", &bad, 1, 10, &pnl), RT_EINVAL);
    bad = fill(RT_SIDE_BUY, "0.1", "100", "0", "");
    bad.fee = -1;
    assert_int_equal(tr_books_record_fill(b, &s, "S", &bad, 1, 10, &pnl), RT_EINVAL);
    assert_int_equal(tr_books_record_fill(b, &s, "", &bad, 1, 10, &pnl), RT_EINVAL);
    assert_int_equal(tr_books_record_fill(b, &s, "S", NULL, 1, 10, &pnl), RT_EINVAL);
    assert_int_equal(tr_books_record_fill(b, &s, "S", f, 0, 10, &pnl), RT_EINVAL);
    /* the same symbol with other asset names is a caller's bug */
    tr_filters_t other = sym("BTCUSDC", "XBT", "USDC");
    bad = fill(RT_SIDE_BUY, "0.1", "100", "0", "");
    assert_int_equal(tr_books_record_fill(b, &other, "S", &bad, 1, 10, &pnl), RT_EINVAL);
    assert_int_equal(tr_books_position(b, "BTCUSDC", "S", &p), RT_OK);
    expect_money("unchanged", p.quantity, "0.999");
    tr_books_free(b);
}

/* The demo applies balances and lots together, or neither. */
static void test_apply_atomic(void **state)
{
    (void)state;
    tr_books_t *b = NULL;
    assert_int_equal(tr_books_new(&b), RT_OK);
    tr_filters_t s = sym("BTCUSDC", "BTC", "USDC");
    tr_fill_config_t cfg;
    tr_fill_config_default(&cfg);
    tr_fill_result_t r;
    /* not enough USDC: refused, no position appears */
    assert_int_equal(tr_books_deposit(b, "USDC", M("10")), RT_OK);
    assert_int_equal(tr_fill_market(&cfg, &s, RT_SIDE_BUY, M("1"), M("100"), &r), RT_OK);
    assert_int_equal(tr_books_apply_fills(b, &s, "S", &r, 1, NULL), RT_ESTATE);
    assert_int_equal(tr_books_position_count(b), 0);
    expect_money("USDC kept", free_of(b, "USDC"), "10");
    size_t n;
    tr_books_balances(b, &n);
    assert_int_equal(n, 1); /* BTC did not appear */
    /* a position recorded without balances (live), then a demo SELL: the BTC balance is
     * missing, so nothing happens, not even to the lots */
    tr_fill_t bf = fill(RT_SIDE_BUY, "1", "5", "0", "");
    assert_int_equal(tr_books_record_fill(b, &s, "S", &bf, 1, 2, NULL), RT_OK);
    assert_int_equal(tr_fill_market(&cfg, &s, RT_SIDE_SELL, M("1"), M("6"), &r), RT_OK);
    assert_int_equal(tr_books_apply_fills(b, &s, "S", &r, 3, NULL), RT_ESTATE);
    tr_book_position_t p;
    assert_int_equal(tr_books_position(b, "BTCUSDC", "S", &p), RT_OK);
    expect_money("lots untouched", p.quantity, "1");
    assert_int_equal(p.last_fill_ms, 2);
    tr_books_free(b);
}

/* A LIMIT order through the books: locked while resting, released on the fill. */
static void test_limit_flow(void **state)
{
    (void)state;
    tr_books_t *b = NULL;
    assert_int_equal(tr_books_new(&b), RT_OK);
    tr_filters_t s = sym("BTCUSDC", "BTC", "USDC");
    tr_fill_config_t cfg;
    tr_fill_config_default(&cfg);
    assert_int_equal(tr_books_deposit(b, "USDC", M("1000")), RT_OK);
    tr_limit_order_t o;
    tr_fill_result_t r;
    assert_int_equal(tr_fill_limit_place(&cfg, &s, RT_SIDE_BUY, M("0.01"), M("49000"), &o, &r),
                     RT_OK);
    assert_int_equal(tr_books_apply_changes(b, r.changes, r.change_count), RT_OK);
    tr_balance_t bal;
    assert_int_equal(tr_books_balance(b, "USDC", &bal), RT_OK);
    expect_money("free", bal.free, "509.51");
    expect_money("locked", bal.locked, "490.49");
    assert_int_equal(tr_fill_limit_match(&cfg, &o, M("48999"), M("49500"), &r), RT_OK);
    assert_int_equal(tr_books_apply_fills(b, &s, "manual", &r, 5, NULL), RT_OK);
    assert_int_equal(tr_books_balance(b, "USDC", &bal), RT_OK);
    expect_money("free after", bal.free, "509.51");
    expect_money("locked after", bal.locked, "0");
    expect_money("BTC", free_of(b, "BTC"), "0.01");
    tr_book_position_t p;
    assert_int_equal(tr_books_position(b, "BTCUSDC", "manual", &p), RT_OK);
    expect_money("cost", p.cost, "490.49");
    tr_books_free(b);
}

static void test_totals_and_equity(void **state)
{
    (void)state;
    tr_books_t *b = NULL;
    assert_int_equal(tr_books_new(&b), RT_OK);
    tr_filters_t btc = sym("BTCUSDC", "BTC", "USDC");
    tr_filters_t eth = sym("ETHUSDC", "ETH", "USDC");
    struct {
        const tr_filters_t *s;
        const char *strategy;
        tr_fill_t f;
    } steps[] = {
        {&btc, "A", fill(RT_SIDE_BUY, "1", "100", "1", "USDC")},      /* cost 101 */
        {&btc, "A", fill(RT_SIDE_SELL, "0.5", "120", "0.6", "USDC")}, /* 59.4 - 50.5 = 8.9 */
        {&btc, "B", fill(RT_SIDE_BUY, "2", "100", "0", "")},          /* cost 200 */
        {&eth, "A", fill(RT_SIDE_BUY, "10", "10", "0.1", "USDC")},    /* cost 100.1 */
        {&eth, "A", fill(RT_SIDE_SELL, "10", "9", "0.09", "USDC")},   /* 89.91 - 100.1 = -10.19 */
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        assert_int_equal(tr_books_record_fill(b, steps[i].s, steps[i].strategy, &steps[i].f, 1,
                                              (int64_t)i + 1, NULL),
                         RT_OK);
    tr_price_t prices[2];
    memset(prices, 0, sizeof prices);
    (void)snprintf(prices[0].symbol, sizeof prices[0].symbol, "BTCUSDC");
    prices[0].price = M("110");
    (void)snprintf(prices[1].symbol, sizeof prices[1].symbol, "ETHUSDC");
    prices[1].price = M("11");
    static const struct {
        const char *symbol, *strategy;
        const char *realized, *unrealized, *fees, *qty, *cost;
        size_t open;
    } cases[] = {
        /* BTC/A: 0.5 left at cost 50.5, worth 55 -> +4.5; BTC/B: 2 at 200, worth 220 -> +20 */
        {"BTCUSDC", NULL, "8.9", "24.5", "1.6", "2.5", "250.5", 2},
        {NULL, "A", "-1.29", "4.5", "1.79", "0.5", "50.5", 1},
        {"ETHUSDC", "A", "-10.19", "0", "0.19", "0", "0", 0},
        {NULL, NULL, "-1.29", "24.5", "1.79", "2.5", "250.5", 2},
        {"BTCUSDC", "B", "0", "20", "0", "2", "200", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tr_pnl_t t;
        assert_int_equal(tr_books_pnl(b, cases[i].symbol, cases[i].strategy, prices, 2, &t), RT_OK);
        char what[64];
        (void)snprintf(what, sizeof what, "case %zu realized", i);
        expect_money(what, t.realized, cases[i].realized);
        (void)snprintf(what, sizeof what, "case %zu unrealized", i);
        expect_money(what, t.unrealized, cases[i].unrealized);
        (void)snprintf(what, sizeof what, "case %zu fees", i);
        expect_money(what, t.fees, cases[i].fees);
        (void)snprintf(what, sizeof what, "case %zu qty", i);
        expect_money(what, t.quantity, cases[i].qty);
        (void)snprintf(what, sizeof what, "case %zu cost", i);
        expect_money(what, t.cost, cases[i].cost);
        assert_int_equal(t.open, cases[i].open);
        assert_int_equal(t.unpriced, 0);
    }
    /* without a price, open positions are counted apart */
    tr_pnl_t t;
    assert_int_equal(tr_books_pnl(b, NULL, NULL, NULL, 0, &t), RT_OK);
    assert_int_equal(t.unpriced, 2);
    expect_money("unpriced unrealized", t.unrealized, "0");
    assert_int_equal(tr_books_position_count(b), 3);
    tr_book_position_t p;
    assert_int_equal(tr_books_position_at(b, 2, &p), RT_OK);
    assert_string_equal(p.symbol, "ETHUSDC");
    assert_int_equal(tr_books_position_at(b, 3, &p), RT_ENOTFOUND);
    /* equity: balances valued at <asset><quote> */
    assert_int_equal(tr_books_set_balance(b, "USDC", M("1000"), M("10")), RT_OK);
    assert_int_equal(tr_books_set_balance(b, "BTC", M("0.5"), M("0.5")), RT_OK);
    assert_int_equal(tr_books_set_balance(b, "ETH", 0, 0), RT_OK);
    rt_money_t eq;
    assert_int_equal(tr_books_equity(b, "USDC", prices, 2, &eq, NULL), RT_OK);
    expect_money("equity", eq, "1120");
    assert_int_equal(tr_books_set_balance(b, "DOGE", M("100"), 0), RT_OK);
    assert_int_equal(tr_books_equity(b, "USDC", prices, 2, &eq, NULL), RT_ENOTFOUND);
    size_t unpriced = 9;
    assert_int_equal(tr_books_equity(b, "USDC", prices, 2, &eq, &unpriced), RT_OK);
    assert_int_equal(unpriced, 1);
    expect_money("equity without DOGE", eq, "1120");
    tr_books_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balances),    cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_fifo),        cmocka_unit_test(test_pro_rata_conserves),
        cmocka_unit_test(test_fee_in_base), cmocka_unit_test(test_apply_atomic),
        cmocka_unit_test(test_limit_flow),  cmocka_unit_test(test_totals_and_equity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
