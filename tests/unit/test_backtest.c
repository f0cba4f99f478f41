/* The backtester: hand-checked runs for each fill model with fees and slippage, exit rules on
 * crafted highs and lows, risk sizing, the metric formulas, sweeps (best = single run, same
 * ranking whatever the thread count) and the error messages of the command line.
 *
 * Most runs use a scripted strategy defined here (it goes through the same an_strategy_t
 * interface as the real ones): a candle with volume 1 makes it BUY, volume 2 SELL, anything
 * else nothing. So the signals are where the test puts them and the numbers can be worked out
 * by hand; the sweep tests use the real SimpleMA_Cross on a shared data file. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/strategy.h"
#include "backtest/engine.h"
#include "backtest/fetch.h"
#include "backtest/sweep.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/http.h"
#include "rt/time.h"
#include "rt_test.h"

#define T0 INT64_C(1677628800000) /* 2023-03-01 00:00 UTC */
#define MIN INT64_C(60000)

/* ---- the scripted strategy -------------------------------------------------------------- */

typedef struct {
    rt_signal_id_cache_t ids;
} script_state_t;

static int script_state_new(const an_params_t *p, void **out)
{
    (void)p;
    script_state_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RT_ENOMEM;
    *out = s;
    return RT_OK;
}

static void script_state_free(void *s)
{
    free(s);
}

static size_t script_warmup(const an_params_t *p)
{
    (void)p;
    return 0;
}

static int script_on_candle(void *state, const an_candle_t *k, rt_signal_t *out);

static const an_strategy_t script = {
    .name = "Script",
    .rule = "volume 1 = BUY, volume 2 = SELL",
    .params = NULL,
    .param_count = 0,
    .check = NULL,
    .warmup = script_warmup,
    .state_new = script_state_new,
    .state_free = script_state_free,
    .on_candle = script_on_candle,
};

static int script_on_candle(void *state, const an_candle_t *k, rt_signal_t *out)
{
    const rt_candle_t *c = k->c;
    script_state_t *st = state;
    rt_side_t side;
    if (c->volume == RT_MONEY_UNITS(1))
        side = RT_SIDE_BUY;
    else if (c->volume == RT_MONEY_UNITS(2))
        side = RT_SIDE_SELL;
    else
        return 0;
    int rc = an_signal_begin(out, &st->ids, script.name, c, side);
    return rc == RT_OK ? 1 : rc;
}

/* ---- helpers ---------------------------------------------------------------------------- */

static rt_money_t m(const char *s)
{
    rt_money_t v = 0;
    assert_int_equal(rt_money_parse(s, &v), RT_OK);
    return v;
}

/* One candle per minute: o h l c as decimal text, v the script code. */
typedef struct {
    const char *o, *h, *l, *c;
    int v;
} row_t;

static void make_candles(const row_t *rows, size_t n, rt_candle_t *out)
{
    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof out[i]);
        snprintf(out[i].symbol, sizeof out[i].symbol, "BTCUSDT");
        snprintf(out[i].interval, sizeof out[i].interval, "1m");
        out[i].open_time = T0 + (int64_t)i * MIN;
        out[i].close_time = out[i].open_time + MIN - 1;
        out[i].open = m(rows[i].o);
        out[i].high = m(rows[i].h);
        out[i].low = m(rows[i].l);
        out[i].close = m(rows[i].c);
        out[i].volume = RT_MONEY_UNITS(rows[i].v);
        out[i].closed = true;
    }
}

static void series_of(bt_series_t *s, const rt_candle_t *c, size_t n)
{
    memset(s, 0, sizeof *s);
    snprintf(s->symbol, sizeof s->symbol, "BTCUSDT");
    snprintf(s->base_asset, sizeof s->base_asset, "BTC");
    snprintf(s->quote_asset, sizeof s->quote_asset, "USDT");
    s->candles = c;
    s->count = n;
}

static void script_config(bt_config_t *cfg, bt_fill_model_t fill, const char *fee, const char *bps)
{
    bt_config_default(cfg);
    cfg->strategy = &script;
    an_params_defaults(&cfg->params, &script);
    cfg->fill_model = fill;
    cfg->cash = RT_MONEY_UNITS(1000);
    cfg->record = true;
    char err[BT_ERR_CAP];
    assert_int_equal(bt_config_set(cfg, "TRADE_QUANTITY", "1", err, sizeof err), RT_OK);
    assert_int_equal(bt_config_set(cfg, "DEMO_FEE_RATE", fee, err, sizeof err), RT_OK);
    assert_int_equal(bt_config_set(cfg, "DEMO_SLIPPAGE_BPS", bps, err, sizeof err), RT_OK);
    assert_int_equal(bt_config_set(cfg, "STOP_LOSS_PCT", "0", err, sizeof err), RT_OK);
    assert_int_equal(bt_config_set(cfg, "TAKE_PROFIT_PCT", "0", err, sizeof err), RT_OK);
    /* the risk manager's time and exposure limits stay out of the way of the hand cases */
    assert_int_equal(bt_config_set(cfg, "COOLDOWN_SECONDS", "0", err, sizeof err), RT_OK);
    assert_int_equal(bt_config_set(cfg, "MAX_EXPOSURE_PCT", "0", err, sizeof err), RT_OK);
}

static void run_ok(const bt_config_t *cfg, const rt_candle_t *c, size_t n, bt_result_t *r)
{
    bt_series_t s;
    series_of(&s, c, n);
    char err[BT_ERR_CAP] = "";
    int rc = bt_run(cfg, &s, 1, r, err, sizeof err);
    if (rc != RT_OK)
        fail_msg("bt_run: %s (%s)", rt_strerror(rc), err);
}

#define assert_money(actual, text)                                                                 \
    do {                                                                                           \
        rt_money_t a_ = (actual), e_ = m(text);                                                    \
        if (a_ != e_) {                                                                            \
            char x_[RT_MONEY_FMT_MAX], y_[RT_MONEY_FMT_MAX];                                       \
            rt_money_format(a_, x_, sizeof x_);                                                    \
            rt_money_format(e_, y_, sizeof y_);                                                    \
            fail_msg("%s: got %s, expected %s", #actual, x_, y_);                                  \
        }                                                                                          \
    } while (0)

#define assert_near(actual, expected, tol)                                                         \
    do {                                                                                           \
        double a_ = (actual), e_ = (expected);                                                     \
        if (!(fabs(a_ - e_) <= (tol)))                                                             \
            fail_msg("%s: got %.12g, expected %.12g", #actual, a_, e_);                            \
    } while (0)

/* ---- fill models ------------------------------------------------------------------------ */

/* BUY on candle 0, SELL on candle 2; no exits. */
static const row_t round_trip[] = {
    {"100", "101", "99", "100", 1},
    {"102", "106", "101", "105", 0},
    {"110", "111", "107", "108", 2},
    {"108", "109", "100", "101", 0},
};

/* --fill close, fee 0.1%, slippage 10 bps (0.001), quantity 1, cash 1000:
 *   BUY  at candle 0's close 100: price 100 x 1.001 = 100.1, fee 0.1001
 *        cash 1000 - 100.1 - 0.1001 = 899.7999
 *   SELL at candle 2's close 108: price 108 x 0.999 = 107.892, fee 0.107892
 *        cash 899.7999 + 107.892 - 0.107892 = 1007.584008
 *   realized = (107.892 - 0.107892) - (100.1 + 0.1001) = 7.584008 (a win)
 *   equity per bar: 899.7999 + 100 = 999.7999, + 105 = 1004.7999, 1007.584008, 1007.584008
 *   exposure: bars 0 and 1 end long: 2 / 4 = 50%
 *   max drawdown: the curve starts at the cash, 1000 -> 999.7999: 0.02001% */
static void test_fill_close(void **state)
{
    (void)state;
    rt_candle_t c[4];
    make_candles(round_trip, 4, c);
    bt_config_t cfg;
    script_config(&cfg, BT_FILL_CLOSE, "0.001", "10");
    bt_result_t r;
    run_ok(&cfg, c, 4, &r);
    assert_int_equal(r.candles, 4);
    assert_int_equal(r.signals, 2);
    assert_int_equal(r.trades, 2);
    assert_int_equal(r.closed_trades, 1);
    assert_int_equal(r.open_trades, 0);
    assert_int_equal(r.wins, 1);
    assert_int_equal(r.losses, 0);
    assert_int_equal(r.fill_count, 2);
    assert_int_equal(r.fills[0].time_ms, T0 + MIN - 1); /* at the close */
    assert_int_equal(r.fills[0].side, RT_SIDE_BUY);
    assert_money(r.fills[0].price, "100.1");
    assert_money(r.fills[0].fee, "0.1001");
    assert_money(r.fills[0].cash, "899.7999");
    assert_string_equal(r.fills[0].signal_id, "Script:BTCUSDT:1m:1677628800000");
    assert_int_equal(r.fills[1].time_ms, T0 + 3 * MIN - 1);
    assert_money(r.fills[1].price, "107.892");
    assert_money(r.fills[1].fee, "0.107892");
    assert_money(r.fills[1].realized, "7.584008");
    assert_money(r.net_pnl_closed, "7.584008");
    assert_money(r.fees, "0.207992");
    assert_money(r.final_equity, "1007.584008");
    assert_near(r.return_pct, 0.7584008, 1e-9);
    assert_near(r.exposure_pct, 50.0, 1e-12);
    assert_int_equal(r.equity_count, 4);
    assert_money(r.equity[0].equity, "999.7999");
    assert_money(r.equity[1].equity, "1004.7999");
    assert_money(r.equity[2].equity, "1007.584008");
    /* the curve starts at the cash 1000; the only drop is to 999.7999 (the entry's costs) */
    assert_near(r.max_drawdown_pct, (1000 - 999.7999) / 1000 * 100.0, 1e-9);
    assert_true(isinf(r.profit_factor));
    bt_result_cleanup(&r);
}

/* --fill next_open, same candles and costs:
 *   BUY  signal on candle 0 fills at candle 1's open 102: price 102.102, fee 0.102102
 *        cash 1000 - 102.102 - 0.102102 = 897.795898
 *   SELL signal on candle 2 fills at candle 3's open 108: price 107.892, fee 0.107892
 *        cash 897.795898 + 107.892 - 0.107892 = 1005.580006
 *   realized = 107.784108 - 102.204102 = 5.580006
 *   equity: 1000 (flat), 897.795898 + 105 = 1002.795898, + 108 = 1005.795898, 1005.580006
 *   max drawdown: (1005.795898 - 1005.580006) / 1005.795898 = 0.0214648...%
 *   exposure: bars 1 and 2: 50% */
static void test_fill_next_open(void **state)
{
    (void)state;
    rt_candle_t c[4];
    make_candles(round_trip, 4, c);
    bt_config_t cfg;
    script_config(&cfg, BT_FILL_NEXT_OPEN, "0.001", "10");
    bt_result_t r;
    run_ok(&cfg, c, 4, &r);
    assert_int_equal(r.trades, 2);
    assert_int_equal(r.fills[0].time_ms, T0 + MIN);
    assert_money(r.fills[0].price, "102.102");
    assert_money(r.fills[0].fee, "0.102102");
    assert_money(r.fills[0].cash, "897.795898");
    assert_int_equal(r.fills[1].time_ms, T0 + 3 * MIN);
    assert_money(r.fills[1].price, "107.892");
    assert_money(r.fills[1].realized, "5.580006");
    assert_money(r.final_equity, "1005.580006");
    assert_money(r.equity[0].equity, "1000");
    assert_money(r.equity[1].equity, "1002.795898");
    assert_money(r.equity[2].equity, "1005.795898");
    assert_money(r.equity[3].equity, "1005.580006");
    assert_near(r.max_drawdown_pct, (1005.795898 - 1005.580006) / 1005.795898 * 100.0, 1e-9);
    assert_near(r.exposure_pct, 50.0, 1e-12);
    bt_result_cleanup(&r);
}

/* The risk manager refuses a SELL while flat (no_position) and a BUY while long
 * (already_in_position); a position still open at the end is valued at the last close:
 *   candle 0 SELL (refused), 1 BUY (fills at 2's open 50), 2 and 3 BUY (refused).
 *   No fee, no slippage. final equity = 1000 - 50 + 1 x 60 = 1010, one open trade. */
static void test_skips_and_open_end(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {"50", "51", "49", "50", 2},
        {"50", "51", "49", "50", 1},
        {"50", "56", "49", "55", 1},
        {"55", "61", "54", "60", 1},
    };
    rt_candle_t c[4];
    make_candles(rows, 4, c);
    bt_config_t cfg;
    script_config(&cfg, BT_FILL_NEXT_OPEN, "0", "0");
    bt_result_t r;
    run_ok(&cfg, c, 4, &r);
    assert_int_equal(r.signals, 4);
    assert_int_equal(r.skipped, 3);
    assert_int_equal(r.refused[TR_REASON_NO_POSITION], 1);
    assert_int_equal(r.refused[TR_REASON_ALREADY_IN_POSITION], 2);
    assert_int_equal(r.trades, 1);
    assert_int_equal(r.open_trades, 1);
    assert_int_equal(r.closed_trades, 0);
    assert_money(r.final_equity, "1010");
    assert_near(r.profit_factor, 0.0, 0.0);
    bt_result_cleanup(&r);
}

/* ---- exits on crafted highs and lows ------------------------------------------------------ */

/* BUY at candle 0's close 100 (fill close, no fee, no slippage, quantity 1, cash 1000) with
 * STOP_LOSS_PCT=10 (stop 90) and TAKE_PROFIT_PCT=20 (target 120); candle 1 is the case. */
typedef struct {
    const char *name;
    row_t next;
    const char *partial_pct; /* PARTIAL_TP_PCT or NULL */
    tr_exit_reason_t reason;
    const char *price; /* the exit fill */
    const char *qty;
    const char *equity; /* final */
} exit_case_t;

static const exit_case_t exit_cases[] = {
    /* low 89 reaches the stop 90: sells at the stop. 1000 - 100 + 90 = 990 */
    {"stop", {"95", "99", "89", "92", 0}, NULL, TR_EXIT_STOP_LOSS, "90", "1", "990"},
    /* opens at 85, below the stop: the first price was the open. 985 */
    {"gap below stop", {"85", "88", "80", "86", 0}, NULL, TR_EXIT_STOP_LOSS, "85", "1", "985"},
    /* range 85..125 holds the stop and the target: the stop wins (conservative). 990 */
    {"stop and target", {"100", "125", "85", "110", 0}, NULL, TR_EXIT_STOP_LOSS, "90", "1", "990"},
    /* high 121 reaches the target 120: sells at the target. 1020 */
    {"target", {"105", "121", "104", "118", 0}, NULL, TR_EXIT_TAKE_PROFIT, "120", "1", "1020"},
    /* PARTIAL_TP_PCT=10: high 111 reaches 110: half is sold at 110; the rest is valued at the
     * close 109: 1000 - 100 + 55 + 0.5 x 109 = 1009.5 */
    {"partial", {"105", "111", "104", "109", 0}, "10", TR_EXIT_PARTIAL_TP, "110", "0.5", "1009.5"},
    /* nothing reached: no exit, valued at the close 101: 1001 */
    {"none", {"100", "119", "91", "101", 0}, NULL, TR_EXIT_NONE, NULL, NULL, "1001"},
};

static void test_exit_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof exit_cases / sizeof exit_cases[0]; i++) {
        const exit_case_t *tc = &exit_cases[i];
        row_t rows[2] = {{"100", "101", "99", "100", 1}, tc->next};
        rt_candle_t c[2];
        make_candles(rows, 2, c);
        bt_config_t cfg;
        script_config(&cfg, BT_FILL_CLOSE, "0", "0");
        char err[BT_ERR_CAP];
        assert_int_equal(bt_config_set(&cfg, "STOP_LOSS_PCT", "10", err, sizeof err), RT_OK);
        assert_int_equal(bt_config_set(&cfg, "TAKE_PROFIT_PCT", "20", err, sizeof err), RT_OK);
        if (tc->partial_pct != NULL)
            assert_int_equal(
                bt_config_set(&cfg, "PARTIAL_TP_PCT", tc->partial_pct, err, sizeof err), RT_OK);
        bt_result_t r;
        run_ok(&cfg, c, 2, &r);
        if (tc->reason == TR_EXIT_NONE) {
            if (r.fill_count != 1)
                fail_msg("%s: %zu fills, expected 1", tc->name, r.fill_count);
        } else {
            if (r.fill_count != 2)
                fail_msg("%s: %zu fills, expected 2", tc->name, r.fill_count);
            const bt_fill_t *x = &r.fills[1];
            if (x->reason != BT_REASON_EXIT || x->exit != tc->reason)
                fail_msg("%s: exit %s, expected %s", tc->name, tr_exit_reason_name(x->exit),
                         tr_exit_reason_name(tc->reason));
            if (x->price != m(tc->price) || x->quantity != m(tc->qty))
                fail_msg("%s: sold %lld at %lld, expected %s at %s", tc->name,
                         (long long)x->quantity, (long long)x->price, tc->qty, tc->price);
        }
        if (r.final_equity != m(tc->equity))
            fail_msg("%s: final equity %lld, expected %s", tc->name, (long long)r.final_equity,
                     tc->equity);
        bt_result_cleanup(&r);
    }
}

/* TRAILING_PCT=10 (armed from the entry on), no stop or target; BUY at the close 100.
 *   a) candle 1 rises to 120 (trailing stop 108) and closes at 115; candle 2 opens at 112 and
 *      dips to 105: sold at the trailing stop 108. 1000 - 100 + 108 = 1008.
 *   b) candle 1 opens at 100, rises to 120 and closes at 107, below the stop its own high
 *      raised (108): sold at 108, not at the open 100 (the stop did not exist at the open).
 *   c) candle 1 rises to 120 (stop 108) and closes at 115; candle 2 opens at 100, below it:
 *      sold at the open 100. */
static void test_trailing(void **state)
{
    (void)state;
    static const row_t cases[3][3] = {
        {{"100", "100", "100", "100", 1},
         {"100", "120", "100", "115", 0},
         {"112", "113", "105", "106", 0}},
        {{"100", "100", "100", "100", 1},
         {"100", "120", "100", "107", 0},
         {"107", "107", "107", "107", 0}},
        {{"100", "100", "100", "100", 1},
         {"100", "120", "100", "115", 0},
         {"100", "101", "99", "100", 0}},
    };
    const char *price[3] = {"108", "108", "100"};
    const int64_t when[3] = {T0 + 3 * MIN - 1, T0 + 2 * MIN - 1, T0 + 3 * MIN - 1};
    for (size_t i = 0; i < 3; i++) {
        rt_candle_t c[3];
        make_candles(cases[i], 3, c);
        bt_config_t cfg;
        script_config(&cfg, BT_FILL_CLOSE, "0", "0");
        char err[BT_ERR_CAP];
        assert_int_equal(bt_config_set(&cfg, "TRAILING_PCT", "10", err, sizeof err), RT_OK);
        bt_result_t r;
        run_ok(&cfg, c, 3, &r);
        if (r.fill_count != 2 || r.fills[1].exit != TR_EXIT_TRAILING_STOP ||
            r.fills[1].price != m(price[i]) || r.fills[1].time_ms != when[i])
            fail_msg("case %zu: %zu fills, exit %s at %lld (t=%lld), expected trailing_stop at "
                     "%s",
                     i, r.fill_count, r.fill_count > 1 ? tr_exit_reason_name(r.fills[1].exit) : "-",
                     r.fill_count > 1 ? (long long)r.fills[1].price : 0LL,
                     r.fill_count > 1 ? (long long)r.fills[1].time_ms : 0LL, price[i]);
        bt_result_cleanup(&r);
    }
}

/* Risk sizing (the risk manager's): RISK_PER_TRADE=0.01, stop 10% below a close of 100: the
 * stake loses 1% of 1000 = 10 at the stop, so 10 / (100 - 90) = 1 unit. With 0.5 it would be
 * 50 units: MAX_POSITION_PCT=20 caps the value at 200 (2 units); at 100% the cash (1000, no
 * fee or slippage) buys only 10. */
static void test_risk_sizing(void **state)
{
    (void)state;
    row_t rows[2] = {{"100", "101", "99", "100", 1}, {"100", "101", "99", "100", 0}};
    rt_candle_t c[2];
    make_candles(rows, 2, c);
    const char *risk[] = {"0.01", "0.5", "0.5"};
    const char *cap[] = {"100", "20", "100"};
    const char *want[] = {"1", "2", "10"};
    for (size_t i = 0; i < 3; i++) {
        bt_config_t cfg;
        script_config(&cfg, BT_FILL_CLOSE, "0", "0");
        char err[BT_ERR_CAP];
        assert_int_equal(bt_config_set(&cfg, "TRADE_QUANTITY", "0", err, sizeof err), RT_OK);
        assert_int_equal(bt_config_set(&cfg, "STOP_LOSS_PCT", "10", err, sizeof err), RT_OK);
        assert_int_equal(bt_config_set(&cfg, "RISK_PER_TRADE", risk[i], err, sizeof err), RT_OK);
        assert_int_equal(bt_config_set(&cfg, "MAX_POSITION_PCT", cap[i], err, sizeof err), RT_OK);
        bt_result_t r;
        run_ok(&cfg, c, 2, &r);
        assert_int_equal(r.fill_count, 1);
        assert_money(r.fills[0].quantity, want[i]);
        bt_result_cleanup(&r);
    }
}

/* Profit factor over two round trips: +10 and -4 (no costs) -> 10 / 4 = 2.5, 1 win 1 loss. */
static void test_profit_factor(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {"100", "100", "100", "100", 1},
        {"110", "110", "110", "110", 2},
        {"100", "100", "100", "100", 1},
        {"96", "96", "96", "96", 2},
    };
    rt_candle_t c[4];
    make_candles(rows, 4, c);
    bt_config_t cfg;
    script_config(&cfg, BT_FILL_CLOSE, "0", "0");
    bt_result_t r;
    run_ok(&cfg, c, 4, &r);
    assert_int_equal(r.closed_trades, 2);
    assert_int_equal(r.wins, 1);
    assert_int_equal(r.losses, 1);
    assert_money(r.gross_profit, "10");
    assert_money(r.gross_loss, "4");
    assert_money(r.net_pnl_closed, "6");
    assert_near(r.profit_factor, 2.5, 1e-12);
    bt_result_cleanup(&r);
}

/* HALT_EQUITY_RATIO=0.6: 5 units bought at 100 (cash 1000 -> 500), then a candle closes at 10:
 * equity 500 + 5 x 10 = 550 <= 600, so the halt sells everything at that close (cash 550)
 * and the BUY on the next candle is refused as halted. */
static void test_halt(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {"100", "100", "100", "100", 1},
        {"100", "100", "10", "10", 0},
        {"10", "10", "10", "10", 1},
        {"10", "10", "10", "10", 0},
    };
    rt_candle_t c[4];
    make_candles(rows, 4, c);
    bt_config_t cfg;
    script_config(&cfg, BT_FILL_CLOSE, "0", "0");
    char err[BT_ERR_CAP];
    assert_int_equal(bt_config_set(&cfg, "TRADE_QUANTITY", "5", err, sizeof err), RT_OK);
    assert_int_equal(bt_config_set(&cfg, "HALT_EQUITY_RATIO", "0.6", err, sizeof err), RT_OK);
    assert_int_equal(bt_config_set(&cfg, "MAX_DRAWDOWN_PCT", "0", err, sizeof err), RT_OK);
    bt_result_t r;
    run_ok(&cfg, c, 4, &r);
    assert_true(r.halted);
    assert_int_equal(r.fill_count, 2);
    assert_int_equal(r.fills[1].exit, TR_EXIT_HALT);
    assert_money(r.fills[1].price, "10");
    assert_money(r.fills[1].quantity, "5");
    assert_int_equal(r.refused[TR_REASON_HALTED], 1);
    assert_money(r.final_equity, "550");
    assert_int_equal(r.losses, 1);
    bt_result_cleanup(&r);
}

/* Two symbols share one quote balance; their candles interleave by open time. BTCUSDT buys
 * at 100 on candle 0 and ETHUSDT at 12 on its candle 1 (same quantity 1, no costs); at the end
 * BTC closes at 101 and ETH at 12: 1000 - 100 - 12 + 101 + 12 = 1001. A symbol quoted in
 * another asset is refused with both names. */
static void test_two_symbols(void **state)
{
    (void)state;
    static const row_t btc_rows[] = {{"100", "100", "100", "100", 1},
                                     {"100", "101", "100", "101", 0}};
    static const row_t eth_rows[] = {{"10", "10", "10", "10", 0}, {"10", "12", "10", "12", 1}};
    rt_candle_t btc[2], eth[2];
    make_candles(btc_rows, 2, btc);
    make_candles(eth_rows, 2, eth);
    for (size_t i = 0; i < 2; i++)
        snprintf(eth[i].symbol, sizeof eth[i].symbol, "ETHUSDT");
    bt_series_t s[2];
    series_of(&s[0], btc, 2);
    series_of(&s[1], eth, 2);
    snprintf(s[1].symbol, sizeof s[1].symbol, "ETHUSDT");
    snprintf(s[1].base_asset, sizeof s[1].base_asset, "ETH");
    bt_config_t cfg;
    script_config(&cfg, BT_FILL_CLOSE, "0", "0");
    bt_result_t r;
    char err[BT_ERR_CAP] = "";
    assert_int_equal(bt_run(&cfg, s, 2, &r, err, sizeof err), RT_OK);
    assert_int_equal(r.candles, 4);
    assert_int_equal(r.bars, 2);
    assert_int_equal(r.fill_count, 2);
    assert_int_equal(r.fills[0].symbol, 0);
    assert_int_equal(r.fills[1].symbol, 1);
    assert_int_equal(r.open_trades, 2);
    assert_money(r.final_equity, "1001");
    bt_result_cleanup(&r);
    /* candles labelled with another symbol than their series */
    snprintf(s[1].symbol, sizeof s[1].symbol, "ETHBTC");
    assert_int_equal(bt_run(&cfg, s, 2, &r, err, sizeof err), RT_EINVAL);
    assert_non_null(strstr(err, "ETHBTC: its candles are ETHUSDT's"));
    for (size_t i = 0; i < 2; i++)
        snprintf(eth[i].symbol, sizeof eth[i].symbol, "ETHBTC");
    snprintf(s[1].quote_asset, sizeof s[1].quote_asset, "BTC");
    assert_int_equal(bt_run(&cfg, s, 2, &r, err, sizeof err), RT_EINVAL);
    assert_non_null(strstr(err, "ETHBTC is quoted in BTC, BTCUSDT in USDT"));
    char base[24], quote[24];
    assert_int_equal(bt_split_symbol("ETHBTC", base, sizeof base, quote, sizeof quote), RT_OK);
    assert_string_equal(base, "ETH");
    assert_string_equal(quote, "BTC");
    assert_int_equal(bt_split_symbol("BTCFDUSD", base, sizeof base, quote, sizeof quote), RT_OK);
    assert_string_equal(quote, "FDUSD");
    assert_int_equal(bt_split_symbol("USDT", base, sizeof base, quote, sizeof quote), RT_EINVAL);
    assert_int_equal(bt_split_symbol("ABCXYZ", base, sizeof base, quote, sizeof quote), RT_EINVAL);
}

/* ---- metric formulas ---------------------------------------------------------------------- */

/* Equity 100, 110, 99, 108.9: returns +0.1, -0.1, +0.1.
 *   mean 1/30 = 0.0333...; sample variance ((1/15)^2 x 2 + (2/15)^2) / 2 = 0.013333...;
 *   stdev 0.1154700538; Sharpe (1 period a year) = 0.0333.../0.11547... = 0.2886751346
 *   downside deviation sqrt(0.01 / 3) = 0.0577350269; Sortino = 0.5773502692
 *   with 525600 periods a year (1m bars): x sqrt(525600) = x 724.9827584
 *   max drawdown: peak 110, trough 99: 10% */
static void test_metric_formulas(void **state)
{
    (void)state;
    bt_stats_t s;
    bt_stats_init(&s);
    const double e[] = {100, 110, 99, 108.9};
    for (size_t i = 0; i < 4; i++)
        bt_stats_add(&s, e[i]);
    assert_near(bt_stats_sharpe(&s, 1.0), 0.2886751346, 1e-9);
    assert_near(bt_stats_sortino(&s, 1.0), 0.5773502692, 1e-9);
    assert_near(bt_stats_sharpe(&s, 525600.0), 0.2886751346 * 724.9827584, 1e-6);
    assert_near(bt_stats_max_dd_pct(&s), 10.0, 1e-9);
    /* flat: no variance, no downside: both 0 */
    bt_stats_init(&s);
    bt_stats_add(&s, 5);
    bt_stats_add(&s, 5);
    bt_stats_add(&s, 5);
    assert_near(bt_stats_sharpe(&s, 1.0), 0.0, 0.0);
    assert_near(bt_stats_sortino(&s, 1.0), 0.0, 0.0);
    assert_near(bt_stats_max_dd_pct(&s), 0.0, 0.0);
}

/* ---- errors of the engine and of the configuration --------------------------------------- */

static void test_unsorted_and_duplicates(void **state)
{
    (void)state;
    static const row_t rows[] = {
        {"1", "1", "1", "1", 0}, {"1", "1", "1", "1", 0}, {"1", "1", "1", "1", 0}};
    rt_candle_t c[3];
    make_candles(rows, 3, c);
    bt_config_t cfg;
    script_config(&cfg, BT_FILL_CLOSE, "0", "0");
    bt_series_t s;
    bt_result_t r;
    char err[BT_ERR_CAP] = "";
    c[2].open_time = c[1].open_time;
    series_of(&s, c, 3);
    assert_int_equal(bt_run(&cfg, &s, 1, &r, err, sizeof err), RT_EINVAL);
    assert_non_null(strstr(err, "candle 3 (open time 1677628860000) is a duplicate of candle 2"));
    c[2].open_time = c[0].open_time - 1;
    assert_int_equal(bt_run(&cfg, &s, 1, &r, err, sizeof err), RT_EINVAL);
    assert_non_null(strstr(err, "is earlier than candle 2"));
}

static void test_unknown_parameter_lists_valid(void **state)
{
    (void)state;
    bt_config_t cfg;
    bt_config_default(&cfg);
    char err[BT_ERR_CAP] = "";
    assert_int_equal(bt_config_set(&cfg, "SHORT_WINDOWS", "5", err, sizeof err), RT_ENOTFOUND);
    assert_non_null(strstr(err, "unknown parameter SHORT_WINDOWS"));
    assert_non_null(strstr(err, "SHORT_WINDOW, LONG_WINDOW, MA_TYPE"));
    assert_non_null(strstr(err, "STOP_LOSS_PCT"));
    assert_non_null(strstr(err, "COOLDOWN_SECONDS"));
    assert_null(strstr(err, "DEMO_BALANCES")); /* the backtest's balance is --cash */
    assert_int_equal(bt_config_set(&cfg, "STOP_LOSS_PCT", "100", err, sizeof err), RT_EINVAL);
    assert_int_equal(bt_config_set(&cfg, "STOP_LOSS_PCT", "abc", err, sizeof err), RT_EINVAL);
    assert_non_null(strstr(err, "STOP_LOSS_PCT=\"abc\""));
    assert_int_equal(bt_config_set(&cfg, "STOP_LOSS_PCT", "2.5", err, sizeof err), RT_OK);
    assert_int_equal(cfg.trader.exits.stop_loss_pct, m("0.025"));
    assert_int_equal(bt_config_set(&cfg, "DEMO_SLIPPAGE_BPS", "5", err, sizeof err), RT_OK);
    assert_int_equal(cfg.trader.fill.slippage, m("0.0005"));
    assert_int_equal(bt_config_set(&cfg, "LONG_WINDOW", "x", err, sizeof err), RT_EINVAL);
}

static void test_axis_parse(void **state)
{
    (void)state;
    bt_axis_t a;
    char err[256];
    assert_int_equal(bt_axis_parse("SHORT_WINDOW=5:20:5", &a, err, sizeof err), RT_OK);
    assert_string_equal(a.name, "SHORT_WINDOW");
    assert_int_equal(a.count, 4);
    assert_int_equal(bt_axis_parse("STOP_LOSS_PCT=0.5:2:0.1", &a, err, sizeof err), RT_OK);
    assert_int_equal(a.count, 16);
    assert_int_equal(bt_axis_parse("X=5:1:1", &a, err, sizeof err), RT_EINVAL);
    assert_int_equal(bt_axis_parse("X=1:5:0", &a, err, sizeof err), RT_EINVAL);
    assert_int_equal(bt_axis_parse("X=1:5", &a, err, sizeof err), RT_EINVAL);
    assert_int_equal(bt_axis_parse("=1:5:1", &a, err, sizeof err), RT_EINVAL);
    assert_int_equal(bt_axis_parse("X=a:5:1", &a, err, sizeof err), RT_EINVAL);
}

/* ---- sweeps on real candles --------------------------------------------------------------- */

typedef struct {
    rt_candle_t *c;
    size_t n;
    bt_series_t s;
} shared_data_t;

static int load_shared(void **state)
{
    shared_data_t *d = calloc(1, sizeof *d);
    char path[1024], why[256];
    size_t line = 0;
    rt_test_shared_path(path, sizeof path, "data/btcusdt_5m_2023-01-02_2023-02-09.csv");
    int rc = rt_csv_candles_load(path, "BTCUSDT", NULL, &d->c, &d->n, &line, why, sizeof why);
    if (rc != RT_OK)
        fail_msg("%s: %s", path, why);
    series_of(&d->s, d->c, d->n);
    *state = d;
    return 0;
}

static int free_shared(void **state)
{
    shared_data_t *d = *state;
    free(d->c);
    free(d);
    return 0;
}

static void sweep_axes(bt_axis_t *axes)
{
    char err[256];
    assert_int_equal(bt_axis_parse("SHORT_WINDOW=3:12:3", &axes[0], err, sizeof err), RT_OK);
    assert_int_equal(bt_axis_parse("LONG_WINDOW=10:40:10", &axes[1], err, sizeof err), RT_OK);
    assert_int_equal(bt_axis_parse("STOP_LOSS_PCT=1:2:1", &axes[2], err, sizeof err), RT_OK);
}

/* The best point of a sweep, run alone with its values, gives the very same result. */
static void test_sweep_best_equals_single(void **state)
{
    shared_data_t *d = *state;
    bt_config_t base;
    bt_config_default(&base);
    bt_axis_t axes[3];
    sweep_axes(axes);
    bt_sweep_result_t sr;
    char err[BT_ERR_CAP] = "";
    int rc = bt_sweep_run(&base, axes, 3, &d->s, 1, 2, BT_RANK_RETURN, 3, NULL, NULL, &sr, err,
                          sizeof err);
    if (rc != RT_OK)
        fail_msg("sweep: %s", err);
    assert_int_equal(sr.total, 4 * 4 * 2);
    /* SHORT_WINDOW >= LONG_WINDOW is refused: only (12, 10) on this grid, for both stops */
    assert_int_equal(sr.invalid, 2);
    assert_int_equal(sr.ran, 30);
    assert_int_equal(sr.top_count, 3);
    assert_true(sr.top[0].score >= sr.top[1].score);
    /* the same settings by name, as the command line gives them */
    bt_config_t one;
    bt_config_default(&one);
    char text[32];
    for (size_t k = 0; k < 3; k++) {
        snprintf(text, sizeof text, "%.10g", sr.top[0].values[k]);
        assert_int_equal(bt_config_set(&one, axes[k].name, text, err, sizeof err), RT_OK);
    }
    bt_result_t r;
    assert_int_equal(bt_run(&one, &d->s, 1, &r, err, sizeof err), RT_OK);
    const bt_result_t *b = &sr.top[0].result;
    assert_int_equal(r.final_equity, b->final_equity);
    assert_int_equal(r.trades, b->trades);
    assert_int_equal(r.net_pnl_closed, b->net_pnl_closed);
    assert_true(r.sharpe == b->sharpe);
    assert_true(r.max_drawdown_pct == b->max_drawdown_pct);
    assert_true(r.return_pct == sr.top[0].score);
    /* and no point ranks above it: a full scan of the grid, one by one */
    for (size_t i = 0; i < sr.total; i++) {
        bt_config_t cfg;
        if (bt_sweep_point(&base, axes, 3, i, &cfg, NULL, NULL, 0) != RT_OK)
            continue;
        bt_result_t x;
        assert_int_equal(bt_run(&cfg, &d->s, 1, &x, err, sizeof err), RT_OK);
        if (x.return_pct > r.return_pct)
            fail_msg("point %zu returns %g > best %g", i, x.return_pct, r.return_pct);
        bt_result_cleanup(&x);
    }
    bt_result_cleanup(&r);
    bt_sweep_result_cleanup(&sr);
}

/* 1, 2, 3 and 8 threads rank the same points with the same results, in the same order. */
static void test_sweep_deterministic(void **state)
{
    shared_data_t *d = *state;
    bt_config_t base;
    bt_config_default(&base);
    bt_axis_t axes[3];
    sweep_axes(axes);
    bt_sweep_result_t ref;
    char err[BT_ERR_CAP] = "";
    assert_int_equal(bt_sweep_run(&base, axes, 3, &d->s, 1, 1, BT_RANK_SHARPE, 32, NULL, NULL, &ref,
                                  err, sizeof err),
                     RT_OK);
    assert_int_equal(ref.top_count, 30);
    const unsigned threads[] = {2, 3, 8};
    for (size_t t = 0; t < 3; t++) {
        bt_sweep_result_t sr;
        assert_int_equal(bt_sweep_run(&base, axes, 3, &d->s, 1, threads[t], BT_RANK_SHARPE, 32,
                                      NULL, NULL, &sr, err, sizeof err),
                         RT_OK);
        assert_int_equal(sr.top_count, ref.top_count);
        for (size_t i = 0; i < sr.top_count; i++) {
            if (sr.top[i].index != ref.top[i].index ||
                sr.top[i].result.final_equity != ref.top[i].result.final_equity ||
                sr.top[i].result.trades != ref.top[i].result.trades ||
                !(sr.top[i].score == ref.top[i].score))
                fail_msg("%u threads: rank %zu is point %zu, 1 thread: point %zu", threads[t], i,
                         sr.top[i].index, ref.top[i].index);
        }
        bt_sweep_result_cleanup(&sr);
    }
    bt_sweep_result_cleanup(&ref);
}

/* ---- the command line's messages ---------------------------------------------------------- */

/* Runs rt-backtest with args (stderr joined to stdout); returns its output (caller frees) and
 * the exit status in *status. */
static char *run_cli(const char *args, int *status)
{
    const char *bin = getenv("RT_BINARY_DIR");
    assert_non_null(bin);
    char cmd[4096];
    int n = snprintf(cmd, sizeof cmd, "%s/bin/rt-backtest %s 2>&1", bin, args);
    assert_true(n > 0 && (size_t)n < sizeof cmd);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    size_t got;
    while ((got = fread(out + len, 1, cap - 1 - len, p)) > 0)
        len += got;
    out[len] = '\0';
    *status = pclose(p);
    return out;
}

static char *write_temp_csv(const char *text)
{
    char *path = strdup("/tmp/rt_bt_test_XXXXXX");
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

typedef struct {
    const char *csv;  /* NULL: the shared file */
    const char *args; /* after --data FILE --symbol BTCUSDT */
    const char *want; /* in the output */
} cli_case_t;

static const cli_case_t cli_cases[] = {
    {"open_time_ms,open,high,low,close,volume\n1000,1,1,1,1,1\n61000,1,x,1,1,1\n", "", "line 3"},
    {"open_time_ms,open,high,low,close,volume\n61000,1,1,1,1,1\n1000,1,1,1,1,1\n", "", "line 3"},
    {"open_time_ms,open,high,low,close,volume\n1000,1,1,1,1,1\n1000,1,1,1,1,1\n", "", "line 3"},
    {NULL, "--strategy Nope",
     "unknown strategy Nope; valid: RSI_Strategy, SimpleMA_Cross, Bollinger_Bands"},
    {NULL, "--param SHORT_WINDOWS=3", "SimpleMA_Cross takes: SHORT_WINDOW, LONG_WINDOW"},
    {NULL, "--sweep NOPE=1:2:1", "unknown parameter NOPE"},
    {NULL, "--rank nope --sweep SHORT_WINDOW=3:4:1", "--rank nope: one of return_pct"},
    {NULL, "--fill later", "--fill later: close or next_open"},
    {NULL, "--exchange-info /nonexistent/ex.json", "--exchange-info /nonexistent/ex.json: No such"},
    {NULL, "--exchange-info x.json --no-filters", "exclude each other"},
};

static void test_cli_messages(void **state)
{
    (void)state;
    char shared[1024];
    rt_test_shared_path(shared, sizeof shared, "data/btcusdt_5m_2023-01-02_2023-02-09.csv");
    for (size_t i = 0; i < sizeof cli_cases / sizeof cli_cases[0]; i++) {
        const cli_case_t *tc = &cli_cases[i];
        char *tmp = tc->csv ? write_temp_csv(tc->csv) : NULL;
        char args[2048];
        snprintf(args, sizeof args, "--data %s --symbol BTCUSDT %s", tmp ? tmp : shared, tc->args);
        int status;
        char *out = run_cli(args, &status);
        if (status == 0 || strstr(out, tc->want) == NULL)
            fail_msg("case %zu (%s): status %d, output:\n%s\nexpected to contain: %s", i, tc->args,
                     status, out, tc->want);
        free(out);
        if (tmp != NULL) {
            unlink(tmp);
            free(tmp);
        }
    }
}

/* The JSON carries every field the issue lists; --trades writes one line per fill. */
static void test_cli_json_and_trades(void **state)
{
    (void)state;
    char shared[1024], args[2048];
    rt_test_shared_path(shared, sizeof shared, "data/btcusdt_5m_2023-01-02_2023-02-09.csv");
    char *csv = write_temp_csv("");
    snprintf(args, sizeof args, "--data %s --json --fill close --quantity 0.01 --trades %s", shared,
             csv);
    int status;
    char *out = run_cli(args, &status);
    assert_int_equal(status, 0);
    static const char *const keys[] = {
        "\"candles\":10999", "\"trades\":",        "\"closed_trades\":",    "\"open_trades\":",
        "\"wins\":",         "\"losses\":",        "\"net_pnl_closed\":",   "\"fees\":",
        "\"final_equity\":", "\"return_pct\":",    "\"max_drawdown_pct\":", "\"sharpe\":",
        "\"sortino\":",      "\"profit_factor\":", "\"exposure_pct\":",     "\"elapsed_ms\":"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strstr(out, keys[i]) == NULL)
            fail_msg("JSON lacks %s:\n%s", keys[i], out);
    const char *t = strstr(out, "\"trades\":");
    long trades = strtol(t + 9, NULL, 10);
    size_t len = 0;
    char *text = rt_test_read_file(csv, &len);
    long lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    assert_int_equal(lines, trades + 1);
    free(text);
    /* --signals: one line per signal */
    free(out);
    snprintf(args, sizeof args, "--data %s --json --signals %s", shared, csv);
    out = run_cli(args, &status);
    assert_int_equal(status, 0);
    const char *sg = strstr(out, "\"signals\":");
    assert_non_null(sg);
    long signals = strtol(sg + 10, NULL, 10);
    assert_true(signals > 0);
    text = rt_test_read_file(csv, &len);
    lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    assert_int_equal(lines, signals + 1);
    assert_non_null(strstr(text, "time_ms,symbol,id,side,price,stop_loss,take_profit,decision\n"));
    free(text);
    free(out);
    unlink(csv);
    free(csv);
}

/* ---- exchange filters ------------------------------------------------------------------- */

/* The round trip (BUY at candle 0's close 100, SELL at candle 2's close 108), --fill close,
 * slippage 7 bps, no fee, through filters as the demo trader applies them:
 *   no filters:          quantity as asked, BUY 100 x 1.0007 = 100.07, SELL 108 x 0.9993
 *                        = 107.9244
 *   tick 0.1, step 0.001: quantity rounded down, BUY price up to the tick 100.1, SELL down
 *                        to 107.9 (the taker's disfavour, tr_fill_market)
 *   minimum notional, minimum quantity, not trading: the BUY is refused by the risk manager
 *                        and counted by its reason; the SELL then has nothing to close. */
typedef struct {
    const char *name;
    bool filters, trading, market;
    const char *tick, *step, *min_qty, *min_notional, *qty;
    const char *want_qty, *want_buy, *want_sell; /* NULL: the BUY is refused */
    tr_reason_t refused;
} filter_case_t;

static const filter_case_t filter_cases[] = {
    {"none", false, true, false, "0", "0", "0", "0", "1.23456789", "1.23456789", "100.07",
     "107.9244", TR_REASON_NONE},
    {"tick_step", true, true, false, "0.1", "0.001", "0", "0", "1.23456789", "1.234", "100.1",
     "107.9", TR_REASON_NONE},
    {"market_step", true, true, true, "0.01", "0.001", "0", "0", "1.23456789", "1.23", "100.07",
     "107.92", TR_REASON_NONE},
    {"min_notional", true, true, false, "0.01", "0.001", "0", "200", "1.5", NULL, NULL, NULL,
     TR_REASON_FILTER_NOTIONAL},
    {"min_qty", true, true, false, "0.01", "0.001", "2", "0", "1.5", NULL, NULL, NULL,
     TR_REASON_FILTER_LOT_SIZE},
    {"step_to_zero", true, true, false, "0.01", "1", "0", "0", "0.5", NULL, NULL, NULL,
     TR_REASON_FILTER_LOT_SIZE},
    {"not_trading", true, false, false, "0.01", "0.001", "0", "0", "1", NULL, NULL, NULL,
     TR_REASON_SYMBOL_NOT_TRADING},
};

static void filters_of(const filter_case_t *tc, tr_filters_t *f)
{
    tr_filters_init(f);
    snprintf(f->symbol, sizeof f->symbol, "BTCUSDT");
    snprintf(f->base_asset, sizeof f->base_asset, "BTC");
    snprintf(f->quote_asset, sizeof f->quote_asset, "USDT");
    f->trading = tc->trading;
    f->tick_size = m(tc->tick);
    f->step_size = m(tc->step);
    f->min_qty = m(tc->min_qty);
    if (tc->market) { /* MARKET_LOT_SIZE's step wins for market orders */
        f->step_size = m("0.00001");
        f->market_step_size = m("0.01");
    }
    f->min_notional = m(tc->min_notional);
    f->apply_min_to_market = true;
}

static void test_filters(void **state)
{
    (void)state;
    rt_candle_t c[4];
    make_candles(round_trip, 4, c);
    for (size_t i = 0; i < sizeof filter_cases / sizeof filter_cases[0]; i++) {
        const filter_case_t *tc = &filter_cases[i];
        bt_config_t cfg;
        script_config(&cfg, BT_FILL_CLOSE, "0", "7");
        cfg.record = true;
        char err[BT_ERR_CAP] = "";
        assert_int_equal(bt_config_set(&cfg, "TRADE_QUANTITY", tc->qty, err, sizeof err), RT_OK);
        tr_filters_t f;
        filters_of(tc, &f);
        bt_series_t s;
        series_of(&s, c, 4);
        s.filters = tc->filters ? &f : NULL;
        bt_result_t r;
        int rc = bt_run(&cfg, &s, 1, &r, err, sizeof err);
        if (rc != RT_OK)
            fail_msg("case %s: bt_run: %s (%s)", tc->name, rt_strerror(rc), err);
        if (tc->want_qty != NULL) {
            if (r.fill_count != 2)
                fail_msg("case %s: %zu fills, expected 2", tc->name, r.fill_count);
            assert_money(r.fills[0].quantity, tc->want_qty);
            assert_money(r.fills[1].quantity, tc->want_qty);
            assert_money(r.fills[0].price, tc->want_buy);
            assert_money(r.fills[1].price, tc->want_sell);
            assert_int_equal(r.skipped, 0);
        } else {
            if (r.fill_count != 0 || r.refused[tc->refused] < 1) /* 2 when not trading */
                fail_msg("case %s: %zu fills, refused[%s] = %zu; expected the BUY refused",
                         tc->name, r.fill_count, tr_reason_name(tc->refused),
                         r.refused[tc->refused]);
            assert_int_equal(r.skipped, 2); /* and the SELL has nothing to close */
            assert_int_equal(r.signal_log[0].refused, tc->refused);
        }
        bt_result_cleanup(&r);
    }
}

/* Filters must be the series' symbol's, with its assets (the books count by them). */
static void test_filters_of_another_symbol(void **state)
{
    (void)state;
    rt_candle_t c[4];
    make_candles(round_trip, 4, c);
    bt_config_t cfg;
    script_config(&cfg, BT_FILL_CLOSE, "0", "0");
    static const struct {
        const char *symbol, *base, *quote;
    } bad[] = {{"ETHUSDT", "ETH", "USDT"}, {"BTCUSDT", "BTC", "USDC"}, {"BTCUSDT", "XBT", "USDT"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tr_filters_t f;
        tr_filters_init(&f);
        f.trading = true;
        snprintf(f.symbol, sizeof f.symbol, "%s", bad[i].symbol);
        snprintf(f.base_asset, sizeof f.base_asset, "%s", bad[i].base);
        snprintf(f.quote_asset, sizeof f.quote_asset, "%s", bad[i].quote);
        bt_series_t s;
        series_of(&s, c, 4);
        s.filters = &f;
        bt_result_t r;
        char err[BT_ERR_CAP] = "";
        assert_int_equal(bt_run(&cfg, &s, 1, &r, err, sizeof err), RT_EINVAL);
        if (strstr(err, "exchange filters given are") == NULL)
            fail_msg("case %zu: %s", i, err);
    }
}

/* A saved exchangeInfo reply (Binance's own shape) gives the trader's filters. */
static void test_exchange_info_file(void **state)
{
    (void)state;
    char path[1024], err[1024] = "";
    rt_test_source_path(path, sizeof path, "tests/fixtures/binance/exchangeinfo_spot.json");
    rt_exinfo_t info;
    memset(&info, 0, sizeof info);
    int rc = bt_load_exchange_info(path, &info, err, sizeof err);
    if (rc != RT_OK)
        fail_msg("load: %s", err);
    tr_filters_t f;
    assert_int_equal(bt_filters_for(&info, "BTCUSDT", &f, err, sizeof err), RT_OK);
    assert_string_equal(f.quote_asset, "USDT");
    assert_true(f.trading);
    assert_money(f.tick_size, "0.01");
    assert_money(tr_filters_qty_step(&f, TR_ORDER_MARKET), "0.00001");
    assert_money(f.min_notional, "5");
    assert_true(f.apply_min_to_market);
    assert_int_equal(bt_filters_for(&info, "SHIBUSDT", &f, err, sizeof err), RT_OK);
    assert_false(f.trading); /* HALT: every order refused */
    assert_int_equal(bt_filters_for(&info, "DOGEUSDT", &f, err, sizeof err), RT_ENOTFOUND);
    assert_non_null(strstr(err, "lists no DOGEUSDT"));
    rt_exinfo_cleanup(&info);
    /* a missing file, a file that is no exchangeInfo */
    assert_int_equal(bt_load_exchange_info("/nonexistent/x.json", &info, err, sizeof err), RT_EIO);
    assert_non_null(strstr(err, "/nonexistent/x.json"));
    char *tmp = write_temp_csv("{\"symbols\": 3}");
    assert_int_equal(bt_load_exchange_info(tmp, &info, err, sizeof err), RT_EINVAL);
    assert_non_null(strstr(err, "not an exchangeInfo reply"));
    unlink(tmp);
    free(tmp);
}

/* The command line: --exchange-info FILE applies the filters and says so in the summary and
 * the JSON; without it (and with --no-filters) the summary says none. */
static void test_cli_filters(void **state)
{
    (void)state;
    char shared[1024], exinfo[1024], args[4096];
    rt_test_shared_path(shared, sizeof shared, "data/btcusdt_5m_2023-01-02_2023-02-09.csv");
    rt_test_source_path(exinfo, sizeof exinfo, "tests/fixtures/binance/exchangeinfo_spot.json");
    static const struct {
        const char *args, *want;
    } cases[] = {
        {"", "filters   none (no tick, step or minimum notional)"},
        {"--no-filters", "filters   none"},
        {"--exchange-info EXINFO",
         "; BTCUSDT tick=0.01 step=0.00001 min_qty=0.00001 min_notional=5\n"},
        {"--exchange-info EXINFO --quantity 0.0001", "filter_notional "},
        {"--exchange-info EXINFO --json", "\"filters\":\"from "},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char extra[1200];
        const char *at = strstr(cases[i].args, "EXINFO");
        if (at != NULL)
            snprintf(extra, sizeof extra, "%.*s%s%s", (int)(at - cases[i].args), cases[i].args,
                     exinfo, at + 6);
        else
            snprintf(extra, sizeof extra, "%s", cases[i].args);
        snprintf(args, sizeof args, "--data %s --fill close %s", shared, extra);
        int status;
        char *out = run_cli(args, &status);
        if (status != 0 || strstr(out, cases[i].want) == NULL)
            fail_msg("case %zu (%s): status %d, output:\n%s\nexpected: %s", i, cases[i].args,
                     status, out, cases[i].want);
        free(out);
    }
}

/* ---- --fetch against a fake exchange ------------------------------------------------------ */

/* A klines endpoint over FAKE_N 1m candles from T0 (candle i: open = close = 100 + i, high
 * + 1, low - 1), answering startTime/endTime/limit as Binance does (at most 1000 rows). */
#define FAKE_N 2500

static int fake_klines(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)ud;
    int64_t start, end, limit;
    int rc = rt_http_query_int(req, res, "startTime", 0, INT64_MAX, 0, &start);
    if (rc == RT_OK)
        rc = rt_http_query_int(req, res, "endTime", 0, INT64_MAX, INT64_MAX, &end);
    if (rc == RT_OK)
        rc = rt_http_query_int(req, res, "limit", 1, 1000, 500, &limit);
    if (rc != RT_OK)
        return rc;
    size_t cap = 200 * 1000 + 16, len = 0;
    char *body = malloc(cap);
    if (body == NULL)
        return rt_http_respond_error(res, 500, "oom", NULL);
    body[len++] = '[';
    int64_t rows = 0;
    for (int64_t i = 0; i < FAKE_N && rows < limit; i++) {
        int64_t t = T0 + i * MIN;
        if (t < start || t > end)
            continue;
        int n = snprintf(body + len, cap - len,
                         "%s[%lld,\"%lld\",\"%lld\",\"%lld\",\"%lld\",\"1\",%lld,\"0\",1,\"0\","
                         "\"0\",\"0\"]",
                         rows ? "," : "", (long long)t, (long long)(100 + i), (long long)(101 + i),
                         (long long)(99 + i), (long long)(100 + i), (long long)(t + MIN - 1));
        len += (size_t)n;
        rows++;
    }
    body[len++] = ']';
    body[len] = '\0';
    rc = rt_http_respond_json(res, 200, body);
    free(body);
    return rc;
}

/* exchangeInfo: the saved Binance reply (ud), whatever the query; the symbols asked are
 * checked by the client's side of the test. */
static int fake_exinfo(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)req;
    return rt_http_respond_json(res, 200, (const char *)ud);
}

static void test_fetch_pages(void **state)
{
    (void)state;
    assert_int_equal(rt_exrest_global_init(), RT_OK);
    rt_http_config_t hc;
    memset(&hc, 0, sizeof hc);
    hc.service = "fake-exchange";
    hc.threads = 1;
    hc.stop_grace_ms = 1000;
    rt_http_server_t *srv = NULL;
    assert_int_equal(rt_http_server_new(&hc, &srv), RT_OK);
    assert_int_equal(rt_http_server_route(srv, "GET", "/api/v3/klines", 0, fake_klines, NULL),
                     RT_OK);
    char fixture[1024];
    rt_test_source_path(fixture, sizeof fixture, "tests/fixtures/binance/exchangeinfo_spot.json");
    char *exinfo = rt_test_read_file(fixture, NULL);
    assert_int_equal(
        rt_http_server_route(srv, "GET", "/api/v3/exchangeInfo", 0, fake_exinfo, exinfo), RT_OK);
    assert_int_equal(rt_http_server_start(srv), RT_OK);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)rt_http_server_port(srv));
    rt_candle_t *c = NULL;
    size_t n = 0;
    char err[512] = "";
    /* the filters of the fetched symbols come from the same exchange */
    rt_exinfo_t info;
    memset(&info, 0, sizeof info);
    const char *const syms[] = {"BTCUSDT", "ETHBTC"};
    if (bt_fetch_exchange_info(url, syms, 2, &info, err, sizeof err) != RT_OK)
        fail_msg("exchangeInfo: %s", err);
    tr_filters_t f;
    assert_int_equal(bt_filters_for(&info, "ETHBTC", &f, err, sizeof err), RT_OK);
    assert_money(f.step_size, "0.0001");
    assert_money(f.legacy_min_notional, "0.0001");
    rt_exinfo_cleanup(&info);
    const char *const bad[] = {"btcusdt"};
    assert_int_equal(bt_fetch_exchange_info(url, bad, 1, &info, err, sizeof err), RT_EINVAL);
    /* everything: three pages (1000, 1000, 500) */
    int rc = bt_fetch_klines(url, "BTCUSDT", "1m", T0, T0 + FAKE_N * MIN, &c, &n, err, sizeof err);
    if (rc != RT_OK)
        fail_msg("fetch: %s", err);
    assert_int_equal(n, FAKE_N);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(c[i].open_time, T0 + (int64_t)i * MIN);
        assert_int_equal(c[i].close, RT_MONEY_UNITS(100 + (int64_t)i));
        assert_true(c[i].closed);
    }
    /* the fetched candles run like CSV ones */
    bt_config_t cfg;
    bt_config_default(&cfg);
    bt_series_t s;
    series_of(&s, c, n);
    bt_result_t r;
    assert_int_equal(bt_run(&cfg, &s, 1, &r, err, sizeof err), RT_OK);
    assert_int_equal(r.candles, FAKE_N);
    /* rt-backtest --fetch (through rt-backtest-fetch and a pipe) runs the same candles */
    char args[512], want[64];
    snprintf(args, sizeof args,
             "--fetch BTCUSDT --interval 1m --since %lld --until %lld --url %s --json --no-filters",
             (long long)T0, (long long)(T0 + FAKE_N * MIN), url);
    int status = 0;
    char *out = run_cli(args, &status);
    if (status != 0)
        fail_msg("rt-backtest %s: status %d: %s", args, status, out);
    assert_non_null(strstr(out, "\"candles\":2500,"));
    snprintf(want, sizeof want, "\"trades\":%zu,", r.trades);
    if (strstr(out, want) == NULL)
        fail_msg("want %s in %s", want, out);
    free(out);
    bt_result_cleanup(&r);
    free(c);
    /* [since, until): open times 10..19 */
    c = NULL;
    assert_int_equal(bt_fetch_klines(url, "BTCUSDT", "1m", T0 + 10 * MIN, T0 + 20 * MIN, &c, &n,
                                     err, sizeof err),
                     RT_OK);
    assert_int_equal(n, 10);
    assert_int_equal(c[0].open_time, T0 + 10 * MIN);
    free(c);
    /* until <= since is refused before any request */
    assert_int_equal(bt_fetch_klines(url, "BTCUSDT", "1m", T0, T0, &c, &n, err, sizeof err),
                     RT_EINVAL);
    rt_http_server_stop(srv);
    rt_http_server_free(srv);
    /* nobody listening any more: a connection error naming the URL */
    rc = bt_fetch_klines(url, "BTCUSDT", "1m", T0, T0 + MIN, &c, &n, err, sizeof err);
    assert_true(rc != RT_OK);
    assert_non_null(strstr(err, url));
    /* and the command line says the same, failing */
    snprintf(args, sizeof args, "--fetch BTCUSDT --interval 1m --since %lld --until %lld --url %s",
             (long long)T0, (long long)(T0 + MIN), url);
    out = run_cli(args, &status);
    assert_true(status != 0);
    if (strstr(out, "rt-backtest: fetch: GET") == NULL || strstr(out, url) == NULL)
        fail_msg("rt-backtest %s said: %s", args, out);
    free(out);
    assert_true(bt_fetch_exchange_info(url, syms, 1, &info, err, sizeof err) != RT_OK);
    assert_non_null(strstr(err, url));
    free(exinfo);
}

/* A simulator at SIM_SPEED > 1 serves candles in our future: --fetch keeps those closed by
 * the exchange's clock (GET /api/v3/time), not ours. */
typedef struct {
    int64_t base;   /* open time of the first of 5 candles */
    int64_t server; /* the exchange's clock */
} future_t;

static int fake_future_klines(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)req;
    const future_t *f = ud;
    char body[2048];
    size_t len = 0;
    body[len++] = '[';
    for (int i = 0; i < 5; i++) {
        int64_t t = f->base + i * MIN;
        len += (size_t)snprintf(body + len, sizeof body - len,
                                "%s[%lld,\"1\",\"2\",\"0.5\",\"1\",\"1\",%lld,\"0\",1,\"0\",\"0\","
                                "\"0\"]",
                                i ? "," : "", (long long)t, (long long)(t + MIN - 1));
    }
    snprintf(body + len, sizeof body - len, "]");
    return rt_http_respond_json(res, 200, body);
}

static int fake_time(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)req;
    char body[64];
    snprintf(body, sizeof body, "{\"serverTime\":%lld}", (long long)((const future_t *)ud)->server);
    return rt_http_respond_json(res, 200, body);
}

static void test_fetch_exchange_clock(void **state)
{
    (void)state;
    assert_int_equal(rt_exrest_global_init(), RT_OK);
    int64_t day = 86400000;
    future_t f = {rt_time_now_ms() + day, rt_time_now_ms() + day + 3 * MIN + 1000};
    for (int with_time = 1; with_time >= 0; with_time--) {
        rt_http_config_t hc;
        memset(&hc, 0, sizeof hc);
        hc.service = "fake-sim";
        hc.threads = 1;
        hc.stop_grace_ms = 1000;
        rt_http_server_t *srv = NULL;
        assert_int_equal(rt_http_server_new(&hc, &srv), RT_OK);
        assert_int_equal(
            rt_http_server_route(srv, "GET", "/api/v3/klines", 0, fake_future_klines, &f), RT_OK);
        if (with_time)
            assert_int_equal(rt_http_server_route(srv, "GET", "/api/v3/time", 0, fake_time, &f),
                             RT_OK);
        assert_int_equal(rt_http_server_start(srv), RT_OK);
        char url[64], err[512] = "";
        snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)rt_http_server_port(srv));
        rt_candle_t *c = NULL;
        size_t n = 99;
        int rc = bt_fetch_klines(url, "BTCUSDT", "1m", f.base, f.base + 5 * MIN, &c, &n, err,
                                 sizeof err);
        if (rc != RT_OK)
            fail_msg("fetch: %s", err);
        /* the exchange's clock: 3 closed, the 4th forming; ours: none closed yet */
        assert_int_equal(n, with_time ? 3 : 0);
        free(c);
        rt_http_server_stop(srv);
        rt_http_server_free(srv);
    }
}

static void test_parse_time(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_int_equal(bt_parse_time("1677628800000", &t), RT_OK);
    assert_int_equal(t, T0);
    assert_int_equal(bt_parse_time("2023-03-01", &t), RT_OK);
    assert_int_equal(t, T0);
    assert_int_equal(bt_parse_time("2023-03-01T00:01", &t), RT_OK);
    assert_int_equal(t, T0 + MIN);
    assert_int_equal(bt_parse_time("2023-03-01 00:00:30", &t), RT_OK);
    assert_int_equal(t, T0 + 30000);
    assert_int_equal(bt_parse_time("2023-13-01", &t), RT_EINVAL);
    assert_int_equal(bt_parse_time("yesterday", &t), RT_EINVAL);
    assert_int_equal(bt_parse_time("2023-03-01x", &t), RT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill_close),
        cmocka_unit_test(test_fill_next_open),
        cmocka_unit_test(test_skips_and_open_end),
        cmocka_unit_test(test_exit_rules),
        cmocka_unit_test(test_risk_sizing),
        cmocka_unit_test(test_profit_factor),
        cmocka_unit_test(test_trailing),
        cmocka_unit_test(test_halt),
        cmocka_unit_test(test_two_symbols),
        cmocka_unit_test(test_metric_formulas),
        cmocka_unit_test(test_unsorted_and_duplicates),
        cmocka_unit_test(test_unknown_parameter_lists_valid),
        cmocka_unit_test(test_axis_parse),
        cmocka_unit_test_setup_teardown(test_sweep_best_equals_single, load_shared, free_shared),
        cmocka_unit_test_setup_teardown(test_sweep_deterministic, load_shared, free_shared),
        cmocka_unit_test(test_cli_messages),
        cmocka_unit_test(test_cli_json_and_trades),
        cmocka_unit_test(test_fetch_pages),
        cmocka_unit_test(test_fetch_exchange_clock),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_filters_of_another_symbol),
        cmocka_unit_test(test_exchange_info_file),
        cmocka_unit_test(test_cli_filters),
        cmocka_unit_test(test_parse_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
