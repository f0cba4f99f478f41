/* Strategies: crafted candle sequences that must and must not trigger each one (table-driven,
 * filters on and off), parameters and their validation, live changes, the registry, signal
 * ids, and each strategy's signal count on the shared data files.
 *
 * How the expected values were checked: an independent batch re-implementation of the seven
 * rules in plain Python (TA-Lib's seeds, written from the rules in docs/STRATEGIES.md, not
 * from the C code) produced the same signal lists, candle for candle, with the same stops and
 * targets, on the four shared files and on every crafted sequence below. A few were also
 * checked by hand against the shared TA-Lib reference and the raw candles, e.g. on
 * btcusdt_5m_2023-01-02_2023-02-09.csv:
 *   - Bollinger_Bands SELL at row 26 (t=1672685700000): previous close 16725.8 >= TA-Lib's
 *     upper band 16719.95736, close 16718.3 below it;
 *   - RSI_Strategy SELL at row 63: TA-Lib's RSI 73.229 then 58.380 (back below 70);
 *   - MACD_Cross BUY at row 36: TA-Lib's histogram -0.02856 then +0.56023;
 *   - Range_Breakout BUY at row 24: rows 4..23 have highest high 16716.5 (row 9) and lowest
 *     low 16702.6 (row 5), height 13.9 (0.083 %); close 16718.3 breaks it: target 16732.2
 *     (close + height), stop 16685.8974 (low - 0.1 %).
 * In the crafted sequences, candle i has open = previous close, high = max(open, close) +
 * spread, low = min(open, close) - spread. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/strategy.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/signal_id.h"
#include "rt_test.h"

#define T0 INT64_C(1616554800000)

static rt_money_t m(double v)
{
    rt_money_t out;
    if (rt_money_from_double(v, &out) != RT_OK)
        fail_msg("bad test price %g", v);
    return out;
}

static rt_money_t ms(const char *s)
{
    rt_money_t out;
    if (rt_money_parse(s, &out) != RT_OK)
        fail_msg("bad test price '%s'", s);
    return out;
}

/* Feeds one closed candle to a state as the engine does (on_candle takes the converted
 * candle). */
static int feed(const an_strategy_t *s, void *st, const rt_candle_t *c, rt_signal_t *sig)
{
    an_candle_t k;
    an_candle_of(&k, c);
    return s->on_candle(st, &k, sig);
}

static rt_candle_t candle(size_t i, double o, double h, double l, double c, double v)
{
    rt_candle_t k;
    memset(&k, 0, sizeof k);
    snprintf(k.symbol, sizeof k.symbol, "BTCUSDC");
    snprintf(k.interval, sizeof k.interval, "1m");
    k.open_time = T0 + (int64_t)i * 60000;
    k.close_time = k.open_time + 59999;
    k.open = m(o);
    k.high = m(h);
    k.low = m(l);
    k.close = m(c);
    k.volume = m(v);
    k.closed = true;
    return k;
}

/* ---- crafted sequences ------------------------------------------------------------------ */

typedef struct {
    double o, h, l, c;
} ohlc_t;

typedef struct {
    size_t index;
    rt_side_t side;
    const char *stop, *target; /* NULL: none (0) */
} want_t;

#define MAX_WANT 4
typedef struct {
    const char *what;
    const char *strategy;
    const char *params[6]; /* "NAME=VALUE" */
    const double *closes;  /* built as described at the top, or: */
    const ohlc_t *bars;    /* explicit candles */
    size_t n;
    const double *volumes; /* NULL: 1 each */
    double spread;
    size_t nwant;
    want_t want[MAX_WANT];
} case_t;

#define CLOSES(...)                                                                           \
    .closes = (const double[]){__VA_ARGS__},                                                  \
    .n = sizeof((const double[]){__VA_ARGS__}) / sizeof(double)
#define BARS(...)                                                                             \
    .bars = (const ohlc_t[]){__VA_ARGS__}, .n = sizeof((const ohlc_t[]){__VA_ARGS__}) / sizeof(ohlc_t)
#define WANT(...)                                                                             \
    .want = {__VA_ARGS__}, .nwant = sizeof((const want_t[]){__VA_ARGS__}) / sizeof(want_t)
#define NONE .nwant = 0
#define BUY(i) {(i), RT_SIDE_BUY, NULL, NULL}
#define SELL(i) {(i), RT_SIDE_SELL, NULL, NULL}
#define BUY_SLTP(i, sl, tp) {(i), RT_SIDE_BUY, (sl), (tp)}

/* One sequence for the MA crosses: down, a bounce, a top. */
#define MA_SEQ CLOSES(10, 10, 10, 9, 8, 7, 8, 9, 10, 11, 10, 9)
#define BB_SEQ CLOSES(10, 10, 10, 9, 8, 8.5, 9.5, 11, 10.5)

static const case_t sequences[] = {
    /* RSI_Strategy (RSI 3: 0, 20, 50 on the way back up) */
    {"rsi: back above oversold", "RSI_Strategy", {"RSI_WINDOW=3"},
     CLOSES(10, 9, 8, 7, 7.5, 8.5), .spread = 0.5, WANT(BUY(5))},
    {"rsi: stays oversold", "RSI_Strategy", {"RSI_WINDOW=3"}, CLOSES(10, 9, 8, 7, 6.9, 6.8, 6.7),
     .spread = 0.5, NONE},
    {"rsi: back below overbought", "RSI_Strategy", {"RSI_WINDOW=3"},
     CLOSES(10, 11, 12, 13, 12.5, 11.5), .spread = 0.5, WANT(SELL(5))},
    {"rsi: a lower oversold level fires earlier", "RSI_Strategy",
     {"RSI_WINDOW=3", "RSI_OVERSOLD=15"}, CLOSES(10, 9, 8, 7, 7.5, 8.5), .spread = 0.5,
     WANT(BUY(4))},
    {"rsi: a flat start is no reading", "RSI_Strategy", {"RSI_WINDOW=3"},
     CLOSES(10, 10, 10, 10, 10, 11, 12), .spread = 0, NONE},

    /* SimpleMA_Cross 2/3 */
    {"ma: sma cross up and down", "SimpleMA_Cross", {"SHORT_WINDOW=2", "LONG_WINDOW=3"}, MA_SEQ,
     .spread = 0.5, WANT(BUY(7), SELL(11))},
    {"ma: ema cross", "SimpleMA_Cross", {"SHORT_WINDOW=2", "LONG_WINDOW=3", "MA_TYPE=ema"},
     MA_SEQ, .spread = 0.5, WANT(BUY(7), SELL(11))},
    {"ma: rsi filter blocks both (RSI 77 at the entry, 23 at the exit)", "SimpleMA_Cross",
     {"SHORT_WINDOW=2", "LONG_WINDOW=3", "USE_RSI_FILTER=true", "RSI_WINDOW=2"}, MA_SEQ,
     .spread = 0.5, NONE},
    {"ma: rsi filter with wider levels lets both through", "SimpleMA_Cross",
     {"SHORT_WINDOW=2", "LONG_WINDOW=3", "USE_RSI_FILTER=yes", "RSI_WINDOW=2",
      "RSI_OVERBOUGHT=80", "RSI_OVERSOLD=20"},
     MA_SEQ, .spread = 0.5, WANT(BUY(7), SELL(11))},
    {"ma: trend filter, close above EMA 3", "SimpleMA_Cross",
     {"SHORT_WINDOW=2", "LONG_WINDOW=3", "USE_EMA_FILTER=on", "EMA_FILTER_PERIOD=3"}, MA_SEQ,
     .spread = 0.5, WANT(BUY(7), SELL(11))},
    {"ma: trend filter not warm yet blocks the entry only", "SimpleMA_Cross",
     {"SHORT_WINDOW=2", "LONG_WINDOW=3", "USE_EMA_FILTER=1", "EMA_FILTER_PERIOD=9"}, MA_SEQ,
     .spread = 0.5, WANT(SELL(11))},
    {"ma: bounce in a downtrend, no filter", "SimpleMA_Cross", {"SHORT_WINDOW=2", "LONG_WINDOW=3"},
     CLOSES(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 11.5, 12, 11), .spread = 0.5,
     WANT(BUY(11))},
    {"ma: bounce in a downtrend, close below EMA 8 (12.9)", "SimpleMA_Cross",
     {"SHORT_WINDOW=2", "LONG_WINDOW=3", "USE_EMA_FILTER=true", "EMA_FILTER_PERIOD=8"},
     CLOSES(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 11.5, 12, 11), .spread = 0.5, NONE},
    {"ma: volume not above its average", "SimpleMA_Cross",
     {"SHORT_WINDOW=2", "LONG_WINDOW=3", "USE_VOLUME_CONFIRMATION=true", "VOLUME_AVG_PERIOD=3"},
     MA_SEQ, .spread = 0.5, WANT(SELL(11))},
    {"ma: volume above its average", "SimpleMA_Cross",
     {"SHORT_WINDOW=2", "LONG_WINDOW=3", "USE_VOLUME_CONFIRMATION=true", "VOLUME_AVG_PERIOD=3"},
     MA_SEQ, .volumes = (const double[]){1, 1, 1, 1, 1, 1, 1, 5, 1, 1, 1, 1}, .spread = 0.5,
     WANT(BUY(7), SELL(11))},

    /* Bollinger_Bands 3 (the seed's rule) */
    {"bb: back inside from below, then from above", "Bollinger_Bands",
     {"BB_WINDOW=3", "BB_STD=1"}, BB_SEQ, .spread = 0.5, WANT(BUY(5), SELL(8))},
    {"bb: wider bands are never touched", "Bollinger_Bands", {"BB_WINDOW=3", "BB_STD=2"}, BB_SEQ,
     .spread = 0.5, NONE},
    {"bb: flat market", "Bollinger_Bands", {"BB_WINDOW=3", "BB_STD=1"},
     CLOSES(10, 10, 10, 10, 10, 10, 10, 10), .spread = 0, NONE},

    /* MACD_Cross 2/3/2: the histogram is 0, 0, then positive (a first sign: no cross) */
    {"macd: first sign is no cross, then down and up", "MACD_Cross",
     {"MACD_FAST=2", "MACD_SLOW=3", "MACD_SIGNAL=2"},
     CLOSES(10, 9, 8, 7, 6, 7, 8, 9, 8, 7, 6, 7, 8, 9), .spread = 0.5, WANT(SELL(8), BUY(11))},
    {"macd: defaults need 34 candles", "MACD_Cross", {NULL},
     CLOSES(10, 9, 8, 7, 6, 7, 8, 9, 8, 7, 6, 7, 8, 9), .spread = 0.5, NONE},

    /* EMA_Trend 2/3, ATR 2 (1.96875 at the entry): stop 9 - 1.5 ATR, target 2x further */
    {"ema trend: entry with stop and target, exit", "EMA_Trend",
     {"EMA_TREND_SHORT=2", "EMA_TREND_LONG=3", "EMA_TREND_ATR_WINDOW=2"}, MA_SEQ, .spread = 0.5,
     WANT(BUY_SLTP(7, "6.046875", "14.90625"), SELL(11))},
    {"ema trend: no ATR yet, no entry", "EMA_Trend",
     {"EMA_TREND_SHORT=2", "EMA_TREND_LONG=3", "EMA_TREND_ATR_WINDOW=20"}, MA_SEQ,
     .spread = 0.5, WANT(SELL(11))},
    {"ema trend: other multipliers", "EMA_Trend",
     {"EMA_TREND_SHORT=2", "EMA_TREND_LONG=3", "EMA_TREND_ATR_WINDOW=2", "EMA_TREND_ATR_MULT=1",
      "EMA_TREND_REWARD_RATIO=3"},
     MA_SEQ, .spread = 0.5, WANT(BUY_SLTP(7, "7.03125", "14.90625"), SELL(11))},

    /* Range_Breakout 4: range 100..101 (1 %), break at 101.5: target 101.5 + 1 */
    {"range: breakout once", "Range_Breakout", {"RANGE_WINDOW=4"},
     BARS({100.5, 101, 100, 100.5}, {100.5, 100.9, 100.1, 100.8}, {100.8, 100.9, 100.2, 100.3},
          {100.3, 100.8, 100.0, 100.6}, {100.6, 101.0, 100.4, 100.7},
          {100.7, 101.6, 100.5, 101.5}, {101.5, 102.2, 101.4, 102.0}),
     WANT(BUY_SLTP(5, "99.9", "102.5"))},
    {"range: too tall", "Range_Breakout", {"RANGE_WINDOW=4", "RANGE_MAX_HEIGHT_PCT=0.5"},
     BARS({100.5, 101, 100, 100.5}, {100.5, 100.9, 100.1, 100.8}, {100.8, 100.9, 100.2, 100.3},
          {100.3, 100.8, 100.0, 100.6}, {100.6, 101.0, 100.4, 100.7},
          {100.7, 101.6, 100.5, 101.5}, {101.5, 102.2, 101.4, 102.0}),
     NONE},
    {"range: a close at the high is no break; the next range is too tall", "Range_Breakout",
     {"RANGE_WINDOW=4"},
     BARS({100.5, 101, 100, 100.5}, {100.5, 100.9, 100.1, 100.8}, {100.8, 100.9, 100.2, 100.3},
          {100.3, 100.8, 100.0, 100.6}, {100.6, 101.0, 100.4, 100.7},
          {100.7, 101.6, 100.5, 101.0}, {101.0, 102.2, 101.0, 102.0}),
     NONE},
    {"range: the first candle with a range cannot break it (no previous close inside)",
     "Range_Breakout", {"RANGE_WINDOW=4"},
     BARS({100.5, 101, 100, 100.5}, {100.5, 100.9, 100.1, 100.8}, {100.8, 100.9, 100.2, 100.3},
          {100.3, 100.8, 100.0, 100.6}, {100.6, 101.6, 100.5, 101.5}),
     NONE},
    {"range: no stop buffer", "Range_Breakout", {"RANGE_WINDOW=4", "RANGE_STOP_BUFFER_PCT=0"},
     BARS({100.5, 101, 100, 100.5}, {100.5, 100.9, 100.1, 100.8}, {100.8, 100.9, 100.2, 100.3},
          {100.3, 100.8, 100.0, 100.6}, {100.6, 101.0, 100.4, 100.7},
          {100.7, 101.6, 100.5, 101.5}),
     WANT(BUY_SLTP(5, "100", "102.5"))},

    /* RSI_Divergence, RSI 2, pivots of 1: swing lows 15.9 (RSI 0) at 2 and 15.8 (RSI 10.5)
     * at 7, confirmed at 8 */
    {"divergence: lower low, higher RSI", "RSI_Divergence",
     {"RSI_WINDOW=2", "RSI_DIV_PIVOT=1", "RSI_DIV_MIN_BARS=2", "RSI_DIV_MAX_BARS=10",
      "RSI_DIV_MAX_RSI=50"},
     CLOSES(20, 19, 16, 17, 18, 17.5, 17, 15.9, 16.5, 17), .spread = 0.1,
     WANT(BUY_SLTP(8, "15.8", "17.325"))},
    {"divergence: second RSI not low enough", "RSI_Divergence",
     {"RSI_WINDOW=2", "RSI_DIV_PIVOT=1", "RSI_DIV_MIN_BARS=2", "RSI_DIV_MAX_BARS=10",
      "RSI_DIV_MAX_RSI=10"},
     CLOSES(20, 19, 16, 17, 18, 17.5, 17, 15.9, 16.5, 17), .spread = 0.1, NONE},
    {"divergence: swing lows too close", "RSI_Divergence",
     {"RSI_WINDOW=2", "RSI_DIV_PIVOT=1", "RSI_DIV_MIN_BARS=6", "RSI_DIV_MAX_BARS=10",
      "RSI_DIV_MAX_RSI=50"},
     CLOSES(20, 19, 16, 17, 18, 17.5, 17, 15.9, 16.5, 17), .spread = 0.1, NONE},
    {"divergence: no target", "RSI_Divergence",
     {"RSI_WINDOW=2", "RSI_DIV_PIVOT=1", "RSI_DIV_MIN_BARS=2", "RSI_DIV_MAX_RSI=50",
      "RSI_DIV_TARGET_PCT=0"},
     CLOSES(20, 19, 16, 17, 18, 17.5, 17, 15.9, 16.5, 17), .spread = 0.1,
     WANT(BUY_SLTP(8, "15.8", NULL))},
    {"divergence: a higher second low is none", "RSI_Divergence",
     {"RSI_WINDOW=2", "RSI_DIV_PIVOT=1", "RSI_DIV_MIN_BARS=2", "RSI_DIV_MAX_RSI=50"},
     CLOSES(20, 19, 16, 17, 18, 17.5, 17, 16.2, 16.5, 17), .spread = 0.1, NONE},
};

static rt_candle_t *build(const case_t *c)
{
    rt_candle_t *k = calloc(c->n, sizeof *k);
    assert_non_null(k);
    for (size_t i = 0; i < c->n; i++) {
        double v = c->volumes ? c->volumes[i] : 1.0;
        if (c->bars != NULL) {
            k[i] = candle(i, c->bars[i].o, c->bars[i].h, c->bars[i].l, c->bars[i].c, v);
        } else {
            double cl = c->closes[i], o = i ? c->closes[i - 1] : cl;
            k[i] = candle(i, o, fmax(o, cl) + c->spread, fmin(o, cl) - c->spread, cl, v);
        }
    }
    return k;
}

static void set_params(an_params_t *p, const an_strategy_t *s, const char *const *list)
{
    an_params_defaults(p, s);
    for (size_t i = 0; i < 6 && list[i] != NULL; i++) {
        char name[64];
        const char *eq = strchr(list[i], '=');
        assert_non_null(eq);
        snprintf(name, sizeof name, "%.*s", (int)(eq - list[i]), list[i]);
        char err[AN_ERR_CAP];
        int rc = an_params_set(p, name, eq + 1, err, sizeof err);
        if (rc != RT_OK)
            fail_msg("%s %s: %s", s->name, list[i], err);
    }
}

static void check_signal_shape(const rt_signal_t *sig, const an_strategy_t *s,
                               const rt_candle_t *c)
{
    char id[RT_ID_CAP];
    assert_int_equal(rt_signal_make_id(s->name, c->symbol, c->interval, c->open_time, id,
                                       sizeof id),
                     RT_OK);
    assert_string_equal(sig->id, id);
    assert_string_equal(sig->strategy, s->name);
    assert_string_equal(sig->symbol, c->symbol);
    assert_string_equal(sig->interval, c->interval);
    assert_int_equal(sig->timestamp, c->open_time);
    assert_int_equal(sig->price, c->close);
    assert_true(sig->meta_count > 0 && sig->meta_count <= RT_SIGNAL_META_MAX);
    for (size_t i = 0; i < sig->meta_count; i++)
        assert_true(sig->meta[i].key[0] != '\0' && isfinite(sig->meta[i].value));
    if (sig->stop_loss != 0)
        assert_true(sig->side == RT_SIDE_BUY && sig->stop_loss > 0 &&
                    sig->stop_loss < sig->price);
    if (sig->take_profit != 0)
        assert_true(sig->side == RT_SIDE_BUY && sig->take_profit > sig->price);
}

static void test_crafted_sequences(void **state)
{
    (void)state;
    for (size_t ci = 0; ci < sizeof sequences / sizeof sequences[0]; ci++) {
        const case_t *tc = &sequences[ci];
        const an_strategy_t *s = an_registry_find(tc->strategy);
        assert_non_null(s);
        an_params_t p;
        set_params(&p, s, tc->params);
        void *st = NULL;
        assert_int_equal(s->state_new(&p, &st), RT_OK);
        rt_candle_t *k = build(tc);
        size_t got = 0;
        for (size_t i = 0; i < tc->n; i++) {
            rt_signal_t sig;
            memset(&sig, 0xA5, sizeof sig);
            rt_signal_t untouched = sig;
            int rc = feed(s, st, &k[i], &sig);
            if (rc == 0) {
                assert_memory_equal(&sig, &untouched, sizeof sig);
                continue;
            }
            if (rc != 1)
                fail_msg("%s: candle %zu: rc %d", tc->what, i, rc);
            if (got >= tc->nwant)
                fail_msg("%s: unexpected %s at candle %zu", tc->what,
                         sig.side == RT_SIDE_BUY ? "BUY" : "SELL", i);
            const want_t *w = &tc->want[got++];
            if (w->index != i || w->side != sig.side)
                fail_msg("%s: got %s at candle %zu, want %s at %zu", tc->what,
                         sig.side == RT_SIDE_BUY ? "BUY" : "SELL", i,
                         w->side == RT_SIDE_BUY ? "BUY" : "SELL", w->index);
            check_signal_shape(&sig, s, &k[i]);
            rt_money_t sl = w->stop ? ms(w->stop) : 0, tp = w->target ? ms(w->target) : 0;
            if (sig.stop_loss != sl || sig.take_profit != tp)
                fail_msg("%s: stop/target %lld/%lld want %lld/%lld", tc->what,
                         (long long)sig.stop_loss, (long long)sig.take_profit, (long long)sl,
                         (long long)tp);
        }
        if (got != tc->nwant)
            fail_msg("%s: %zu signals, want %zu", tc->what, got, tc->nwant);
        s->state_free(st);
        free(k);
    }
}

/* The metadata carries the indicator values: EMA 2 and EMA 3 at the entry of the MA sequence
 * are 2092/243 and 8.46875 (worked out by hand from the seeds 10 and 10). */
static void test_signal_metadata(void **state)
{
    (void)state;
    const an_strategy_t *s = an_registry_find("SimpleMA_Cross");
    an_params_t p;
    static const char *const params[6] = {"SHORT_WINDOW=2", "LONG_WINDOW=3", "MA_TYPE=EMA"};
    set_params(&p, s, params);
    void *st;
    assert_int_equal(s->state_new(&p, &st), RT_OK);
    static const double closes[] = {10, 10, 10, 9, 8, 7, 8, 9};
    rt_signal_t sig;
    int rc = 0;
    for (size_t i = 0; i < 8; i++) {
        rt_candle_t c = candle(i, closes[i], closes[i], closes[i], closes[i], 1);
        rc = feed(s, st, &c, &sig);
    }
    assert_int_equal(rc, 1);
    assert_string_equal(sig.id, "SimpleMA_Cross:BTCUSDC:1m:1616555220000");
    bool seen_short = false, seen_long = false;
    for (size_t i = 0; i < sig.meta_count; i++) {
        if (strcmp(sig.meta[i].key, "ma_short") == 0) {
            seen_short = true;
            assert_true(fabs(sig.meta[i].value - 2092.0 / 243.0) < 1e-12);
        }
        if (strcmp(sig.meta[i].key, "ma_long") == 0) {
            seen_long = true;
            assert_true(fabs(sig.meta[i].value - 8.46875) < 1e-12);
        }
    }
    assert_true(seen_short && seen_long);
    s->state_free(st);
}

/* ---- parameters ------------------------------------------------------------------------- */

static void test_param_validation(void **state)
{
    (void)state;
    static const struct {
        const char *strategy, *name, *value;
        int rc;
        const char *err; /* a substring of the message */
    } cases[] = {
        {"RSI_Strategy", "RSI_WINDOW", "21", RT_OK, ""},
        {"RSI_Strategy", "RSI_WINDOW", " 21 ", RT_OK, ""},
        {"RSI_Strategy", "RSI_WINDOW", "1", RT_ERANGE, "RSI_WINDOW=1: out of range, allowed an "
                                                       "integer in 2..500"},
        {"RSI_Strategy", "RSI_WINDOW", "501", RT_ERANGE, "2..500"},
        {"RSI_Strategy", "RSI_WINDOW", "14.5", RT_EINVAL, "expected an integer in 2..500"},
        {"RSI_Strategy", "RSI_WINDOW", "", RT_EINVAL, "expected an integer"},
        {"RSI_Strategy", "RSI_WINDOW", "99999999999999999999", RT_ERANGE, "2..500"},
        {"RSI_Strategy", "RSI_OVERSOLD", "25.5", RT_OK, ""},
        {"RSI_Strategy", "RSI_OVERSOLD", "nan", RT_EINVAL, "expected a number in 0..100"},
        {"RSI_Strategy", "RSI_OVERSOLD", "inf", RT_ERANGE, "a number in 0..100"},
        {"RSI_Strategy", "RSI_OVERSOLD", "-1", RT_ERANGE, "a number in 0..100"},
        {"RSI_Strategy", "RSI_OVERSOLD", "75", RT_EINVAL,
         "RSI_OVERSOLD=75: RSI_OVERSOLD (75) must be below RSI_OVERBOUGHT (70)"},
        {"RSI_Strategy", "RSI_OVERSOLD", "30abc", RT_EINVAL, "expected a number"},
        {"RSI_Strategy", "RSI_OVERBOUGHT", "50", RT_OK, ""},
        {"RSI_Strategy", "RSI_OVERBOUGHT", "30", RT_EINVAL, "must be below RSI_OVERBOUGHT"},
        {"RSI_Strategy", "rsi_window", "14", RT_ENOTFOUND,
         "unknown parameter rsi_window for RSI_Strategy; valid: RSI_WINDOW, RSI_OVERBOUGHT, "
         "RSI_OVERSOLD"},
        {"RSI_Strategy", "BB_STD", "2", RT_ENOTFOUND, "valid: RSI_WINDOW"},
        {"SimpleMA_Cross", "MA_TYPE", "EMA", RT_OK, ""},
        {"SimpleMA_Cross", "MA_TYPE", "wma", RT_EINVAL, "MA_TYPE=wma: expected one of sma, ema"},
        {"SimpleMA_Cross", "USE_RSI_FILTER", "Off", RT_OK, ""},
        {"SimpleMA_Cross", "USE_RSI_FILTER", "maybe", RT_EINVAL, "expected true or false"},
        {"SimpleMA_Cross", "SHORT_WINDOW", "20", RT_EINVAL,
         "SHORT_WINDOW=20: SHORT_WINDOW (20) must be below LONG_WINDOW (20)"},
        {"SimpleMA_Cross", "LONG_WINDOW", "4", RT_EINVAL, "must be below LONG_WINDOW"},
        {"Bollinger_Bands", "BB_STD", "2.5", RT_OK, ""},
        {"Bollinger_Bands", "BB_STD", "0", RT_ERANGE, "a number in 0.1..10"},
        {"MACD_Cross", "MACD_FAST", "26", RT_EINVAL, "must be below MACD_SLOW"},
        {"EMA_Trend", "EMA_TREND_ATR_MULT", "3", RT_OK, ""},
        {"Range_Breakout", "RANGE_WINDOW", "2", RT_ERANGE, "3..1000"},
        {"RSI_Divergence", "RSI_DIV_MIN_BARS", "61", RT_EINVAL, "must not exceed"},
        {"RSI_Divergence", "RSI_DIV_PIVOT", "21", RT_ERANGE, "1..20"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const an_strategy_t *s = an_registry_find(cases[i].strategy);
        assert_non_null(s);
        an_params_t p, before;
        an_params_defaults(&p, s);
        before = p;
        char err[AN_ERR_CAP] = "junk";
        int rc = an_params_set(&p, cases[i].name, cases[i].value, err, sizeof err);
        if (rc != cases[i].rc || strstr(err, cases[i].err) == NULL)
            fail_msg("%s %s=%s: rc=%d err='%s'; want rc=%d err~'%s'", cases[i].strategy,
                     cases[i].name, cases[i].value, rc, err, cases[i].rc, cases[i].err);
        if (rc != RT_OK)
            assert_memory_equal(&p, &before, sizeof p);
        else
            assert_string_equal(err, "");
    }
    /* values as set, and as formatted back */
    const an_strategy_t *s = an_registry_find("SimpleMA_Cross");
    an_params_t p;
    an_params_defaults(&p, s);
    assert_int_equal(an_params_set(&p, "MA_TYPE", "ema", NULL, 0), RT_OK);
    assert_int_equal(an_params_set(&p, "USE_EMA_FILTER", "TRUE", NULL, 0), RT_OK);
    assert_int_equal(an_params_set(&p, "RSI_OVERBOUGHT", "72.5", NULL, 0), RT_OK);
    static const struct {
        const char *name, *text;
    } want[] = {{"SHORT_WINDOW", "5"},    {"LONG_WINDOW", "20"},       {"MA_TYPE", "ema"},
                {"USE_RSI_FILTER", "false"}, {"RSI_OVERBOUGHT", "72.5"}, {"USE_EMA_FILTER", "true"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int idx = an_param_index(s, want[i].name);
        assert_true(idx >= 0);
        char buf[32];
        assert_true(an_param_format(&s->params[idx], p.v[idx], buf, sizeof buf) > 0);
        assert_string_equal(buf, want[i].text);
    }
    char buf[64];
    assert_int_equal(an_param_index(s, "NOPE"), RT_ENOTFOUND);
    assert_true(an_param_describe(&s->params[an_param_index(s, "MA_TYPE")], buf, sizeof buf) > 0);
    assert_string_equal(buf, "one of sma, ema");
    assert_int_equal(an_param_describe(&s->params[0], buf, 4), 0);
    assert_int_equal(an_params_set(NULL, "X", "1", NULL, 0), RT_EINVAL);

    /* every declared default is within its own range and passes the checks */
    size_t n;
    const an_strategy_t *const *all = an_registry_all(&n);
    for (size_t i = 0; i < n; i++) {
        assert_true(all[i]->param_count <= AN_PARAMS_MAX);
        for (size_t k = 0; k < all[i]->param_count; k++) {
            const an_param_def_t *d = &all[i]->params[k];
            assert_true(d->def >= d->min && d->def <= d->max);
            assert_true(d->help != NULL && d->name != NULL);
            assert_true((d->type == AN_PARAM_ENUM) == (d->choices != NULL));
        }
        an_params_defaults(&p, all[i]);
        if (all[i]->check != NULL)
            assert_int_equal(all[i]->check(&p, NULL, 0), RT_OK);
        assert_true(all[i]->warmup(&p) > 1);
    }
}

typedef struct {
    const char *names[8];
    const char *values[8];
} env_t;

static const char *env_lookup(void *ud, const char *name)
{
    const env_t *e = ud;
    for (size_t i = 0; i < 8 && e->names[i] != NULL; i++)
        if (strcmp(e->names[i], name) == 0)
            return e->values[i];
    return NULL;
}

static void test_params_load(void **state)
{
    (void)state;
    const an_strategy_t *s = an_registry_find("SimpleMA_Cross");
    an_params_t p;
    an_params_defaults(&p, s);
    env_t good = {{"SHORT_WINDOW", "LONG_WINDOW", "USE_VOLUME_CONFIRMATION", "BB_STD",
                   "EMA_FILTER_PERIOD", "MA_TYPE"},
                  {"9", "21", "true", "junk for another strategy", "", "  "}};
    char err[AN_ERR_CAP];
    assert_int_equal(an_params_load(&p, env_lookup, &good, err, sizeof err), RT_OK);
    assert_true(p.v[an_param_index(s, "SHORT_WINDOW")] == 9);
    assert_true(p.v[an_param_index(s, "LONG_WINDOW")] == 21);
    assert_true(p.v[an_param_index(s, "USE_VOLUME_CONFIRMATION")] == 1);
    assert_true(p.v[an_param_index(s, "VOLUME_AVG_PERIOD")] == 20); /* untouched: default */

    /* every bad variable is reported at once; nothing is applied */
    an_params_t before = p;
    env_t bad = {{"SHORT_WINDOW", "LONG_WINDOW", "MA_TYPE", "RSI_OVERSOLD"},
                 {"0", "x", "ema", "101"}};
    assert_int_equal(an_params_load(&p, env_lookup, &bad, err, sizeof err), RT_ERANGE);
    assert_string_equal(err, "SHORT_WINDOW=0: out of range, allowed an integer in 1..500; "
                             "LONG_WINDOW=x: expected an integer in 2..1000; RSI_OVERSOLD=101: "
                             "out of range, allowed a number in 0..100");
    assert_memory_equal(&p, &before, sizeof p);

    /* values fine one by one, wrong together */
    env_t clash = {{"SHORT_WINDOW", "LONG_WINDOW"}, {"30", "20"}};
    assert_int_equal(an_params_load(&p, env_lookup, &clash, err, sizeof err), RT_EINVAL);
    assert_string_equal(err, "SimpleMA_Cross: SHORT_WINDOW (30) must be below LONG_WINDOW (20)");
    assert_memory_equal(&p, &before, sizeof p);
}

/* A parameter changed while a state runs takes effect on the next candle. */
static void test_live_parameter_change(void **state)
{
    (void)state;
    const an_strategy_t *s = an_registry_find("RSI_Strategy");
    an_params_t p;
    an_params_defaults(&p, s);
    assert_int_equal(an_params_set(&p, "RSI_WINDOW", "3", NULL, 0), RT_OK);
    void *st;
    assert_int_equal(s->state_new(&p, &st), RT_OK);
    static const double closes[] = {10, 9, 8, 7, 7.5, 8.5};
    rt_signal_t sig;
    for (size_t i = 0; i < 4; i++) {
        rt_candle_t c = candle(i, closes[i], closes[i] + 1, closes[i] - 1, closes[i], 1);
        assert_int_equal(feed(s, st, &c, &sig), 0);
    }
    /* RSI is 0 now and 20 on the next candle: with 30 that is no cross, with 15 it is */
    assert_int_equal(an_params_set(&p, "RSI_OVERSOLD", "15", NULL, 0), RT_OK);
    rt_candle_t c = candle(4, 7.5, 8.5, 6.5, 7.5, 1);
    assert_int_equal(feed(s, st, &c, &sig), 1);
    assert_int_equal(sig.side, RT_SIDE_BUY);
    s->state_free(st);

    /* Bollinger's width, live */
    s = an_registry_find("Bollinger_Bands");
    an_params_defaults(&p, s);
    assert_int_equal(an_params_set(&p, "BB_WINDOW", "3", NULL, 0), RT_OK);
    assert_int_equal(an_params_set(&p, "BB_STD", "2", NULL, 0), RT_OK);
    assert_int_equal(s->state_new(&p, &st), RT_OK);
    static const double bb[] = {10, 10, 10, 9, 8, 8.5};
    int rc = 0;
    for (size_t i = 0; i < 6; i++) {
        if (i == 5)
            assert_int_equal(an_params_set(&p, "BB_STD", "1", NULL, 0), RT_OK);
        rt_candle_t k = candle(i, bb[i], bb[i], bb[i], bb[i], 1);
        rc = feed(s, st, &k, &sig);
        if (i < 5)
            assert_int_equal(rc, 0);
    }
    assert_int_equal(rc, 1);
    s->state_free(st);

    /* a filter switched on live starts afresh: EMA 2 switched on one candle before the entry
     * has no value yet and blocks it; switched on two candles before, it has one (8.5, below
     * the close 9) and lets it through */
    s = an_registry_find("SimpleMA_Cross");
    static const double ma[] = {10, 10, 10, 9, 8, 7, 8, 9};
    for (size_t on_at = 6; on_at <= 7; on_at++) {
        an_params_defaults(&p, s);
        assert_int_equal(an_params_set(&p, "SHORT_WINDOW", "2", NULL, 0), RT_OK);
        assert_int_equal(an_params_set(&p, "LONG_WINDOW", "3", NULL, 0), RT_OK);
        assert_int_equal(an_params_set(&p, "EMA_FILTER_PERIOD", "2", NULL, 0), RT_OK);
        assert_int_equal(s->state_new(&p, &st), RT_OK);
        for (size_t i = 0; i < 8; i++) {
            if (i == on_at)
                assert_int_equal(an_params_set(&p, "USE_EMA_FILTER", "true", NULL, 0), RT_OK);
            rt_candle_t k = candle(i, ma[i], ma[i], ma[i], ma[i], 1);
            rc = feed(s, st, &k, &sig);
        }
        assert_int_equal(rc, on_at == 6 ? 1 : 0);
        s->state_free(st);
    }
}

static void test_state_new_checks(void **state)
{
    (void)state;
    size_t n;
    const an_strategy_t *const *all = an_registry_all(&n);
    an_params_t other;
    an_params_defaults(&other, all[0]);
    for (size_t i = 1; i < n; i++) {
        void *st = (void *)&other;
        assert_int_equal(all[i]->state_new(&other, &st), RT_EINVAL); /* someone else's */
        assert_ptr_equal(st, (void *)&other);
        assert_int_equal(all[i]->state_new(NULL, &st), RT_EINVAL);
        all[i]->state_free(NULL);
    }
    /* a block that breaks a rule (written around an_params_set) is refused */
    const an_strategy_t *s = an_registry_find("MACD_Cross");
    an_params_t p;
    an_params_defaults(&p, s);
    p.v[an_param_index(s, "MACD_FAST")] = 30;
    void *st;
    assert_int_equal(s->state_new(&p, &st), RT_EINVAL);
}

/* ---- registry and ids ------------------------------------------------------------------- */

static void test_registry(void **state)
{
    (void)state;
    static const char *const names[] = {"RSI_Strategy",   "SimpleMA_Cross", "Bollinger_Bands",
                                        "MACD_Cross",     "EMA_Trend",      "Range_Breakout",
                                        "RSI_Divergence"};
    size_t n;
    const an_strategy_t *const *all = an_registry_all(&n);
    assert_int_equal(n, 7);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(all[i]->name, names[i]);
        assert_ptr_equal(an_registry_find(names[i]), all[i]);
        assert_true(strlen(all[i]->name) < RT_NAME_CAP);
    }
    assert_ptr_equal(an_registry_find("bollinger_bands"), all[2]);
    assert_null(an_registry_find("Bollinger"));
    assert_null(an_registry_find(NULL));

    char buf[256];
    assert_true(an_strategy_names(all, n, buf, sizeof buf) > 0);
    assert_string_equal(buf, "RSI_Strategy, SimpleMA_Cross, Bollinger_Bands, MACD_Cross, "
                             "EMA_Trend, Range_Breakout, RSI_Divergence");
    assert_int_equal(an_strategy_names(all, n, buf, 10), 0);

    static const struct {
        const char *list;
        int rc;
        const char *picked; /* names joined, or a substring of the error */
    } cases[] = {
        {"RSI_Strategy,SimpleMA_Cross,Bollinger_Bands", RT_OK,
         "RSI_Strategy, SimpleMA_Cross, Bollinger_Bands"},
        {" macd_cross , RSI_Strategy ,", RT_OK, "MACD_Cross, RSI_Strategy"},
        {"EMA_Trend,EMA_Trend,ema_trend", RT_OK, "EMA_Trend"},
        {"Range_Breakout,all", RT_OK,
         "Range_Breakout, RSI_Strategy, SimpleMA_Cross, Bollinger_Bands, MACD_Cross, EMA_Trend, "
         "RSI_Divergence"},
        {"RSI_Strategy,Foo", RT_EINVAL,
         "unknown strategy 'Foo'; valid: RSI_Strategy, SimpleMA_Cross, Bollinger_Bands, "
         "MACD_Cross, EMA_Trend, Range_Breakout, RSI_Divergence, or all"},
        {"", RT_EINVAL, "no strategy given; valid: RSI_Strategy"},
        {" , ,", RT_EINVAL, "no strategy given"},
        {"RSI_Strategy;MACD_Cross", RT_EINVAL, "unknown strategy 'RSI_Strategy;MACD_Cross'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const an_strategy_t *out[AN_STRATEGIES_MAX];
        size_t count = 99;
        char err[AN_ERR_CAP] = "";
        int rc = an_registry_select(cases[i].list, out, AN_STRATEGIES_MAX, &count, err,
                                    sizeof err);
        if (rc != cases[i].rc)
            fail_msg("select '%s': rc %d want %d (%s)", cases[i].list, rc, cases[i].rc, err);
        if (rc == RT_OK) {
            assert_true(an_strategy_names(out, count, buf, sizeof buf) > 0);
            assert_string_equal(buf, cases[i].picked);
        } else {
            if (strstr(err, cases[i].picked) == NULL)
                fail_msg("select '%s': err '%s' want ~'%s'", cases[i].list, err,
                         cases[i].picked);
            assert_int_equal(count, 99);
        }
    }
    const an_strategy_t *two[2];
    size_t count = 0;
    assert_int_equal(an_registry_select("all", two, 2, &count, NULL, 0), RT_ETOOBIG);
    assert_int_equal(an_registry_select(NULL, two, 2, &count, NULL, 0), RT_EINVAL);
}

static void test_signal_ids(void **state)
{
    (void)state;
    char id[RT_ID_CAP];
    assert_int_equal(rt_signal_make_id("RSI_Strategy", "BTCUSDC", "1m", 1616554800000, id,
                                       sizeof id),
                     RT_OK);
    assert_string_equal(id, "RSI_Strategy:BTCUSDC:1m:1616554800000");
    char again[RT_ID_CAP];
    assert_int_equal(rt_signal_make_id("RSI_Strategy", "BTCUSDC", "1m", 1616554800000, again,
                                       sizeof again),
                     RT_OK);
    assert_string_equal(id, again);
    assert_int_equal(rt_signal_make_id("X", "Y", NULL, 0, id, sizeof id), RT_OK);
    assert_string_equal(id, "X:Y::0");
    static const struct {
        int64_t t;
        const char *text;
    } times[] = {{9, "9"},
                 {10, "10"},
                 {100, "100"},
                 {99999999, "99999999"},
                 {100000000, "100000000"},
                 {100000001, "100000001"},
                 {1616554800000, "1616554800000"},
                 {10000000000000000, "10000000000000000"},
                 {INT64_MAX, "9223372036854775807"}};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char want[RT_ID_CAP];
        snprintf(want, sizeof want, "S:Y:1m:%s", times[i].text);
        assert_int_equal(rt_signal_make_id("S", "Y", "1m", times[i].t, id, sizeof id), RT_OK);
        assert_string_equal(id, want);
    }
    /* the longest our strategies can make: longest name, a 20-character symbol, "12h", a
     * far-future time */
    assert_int_equal(rt_signal_make_id("RSI_Divergence", "ABCDEFGHIJKLMNOPQRST", "12h",
                                       INT64_MAX, id, sizeof id),
                     RT_OK);
    assert_true(strlen(id) < RT_ID_CAP);

    /* the cached form gives the same ids whatever changes between calls */
    static const char *const strategies[] = {"RSI_Strategy", "MACD_Cross"};
    static const struct {
        int strategy;
        const char *symbol, *interval;
        int64_t t;
    } seq[] = {{0, "BTCUSDC", "1m", 1616554800000}, {0, "BTCUSDC", "1m", 1616554860000},
               {0, "ETHBTC", "1m", 1616554860000},  {0, "ETHBTC", "5m", 7},
               {1, "ETHBTC", "5m", 7},              {1, "ETHBTC", NULL, 0},
               {1, "ETHBTC", "", 99},               {1, "ETHBTC", "5m", 1616554800000}};
    rt_signal_id_cache_t cache;
    memset(&cache, 0, sizeof cache);
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        char a[RT_ID_CAP], b[RT_ID_CAP];
        const char *st = strategies[seq[i].strategy];
        assert_int_equal(rt_signal_make_id(st, seq[i].symbol, seq[i].interval, seq[i].t, a,
                                           sizeof a),
                         RT_OK);
        assert_int_equal(rt_signal_make_id_cached(&cache, st, seq[i].symbol, seq[i].interval,
                                                  seq[i].t, b, sizeof b),
                         RT_OK);
        assert_string_equal(a, b);
    }
    assert_int_equal(rt_signal_make_id_cached(&cache, strategies[1], "ETHBTC", "5m", -1, id,
                                              sizeof id),
                     RT_EINVAL);
    assert_int_equal(rt_signal_make_id_cached(&cache, strategies[1], "ETHBTC", "5m", 1, id, 10),
                     RT_ETOOBIG);
    assert_int_equal(rt_signal_make_id_cached(NULL, "A", "B", "1m", 5, id, sizeof id), RT_OK);
    assert_string_equal(id, "A:B:1m:5");

    static const struct {
        const char *strategy, *symbol, *interval;
        int64_t t;
        size_t cap;
        int rc;
    } bad[] = {
        {NULL, "BTCUSDC", "1m", 1, RT_ID_CAP, RT_EINVAL},
        {"", "BTCUSDC", "1m", 1, RT_ID_CAP, RT_EINVAL},
        {"RSI", "", "1m", 1, RT_ID_CAP, RT_EINVAL},
        {"RSI", "BTC:USDC", "1m", 1, RT_ID_CAP, RT_EINVAL},
        {"RSI", "BTCUSDC", "1m\n", 1, RT_ID_CAP, RT_EINVAL},
        {"RSI", "BTCUSDC", "1m", -1, RT_ID_CAP, RT_EINVAL},
        {"RSI", "BTCUSDC", "1m", 1616554800000, 21, RT_ETOOBIG},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[RT_ID_CAP] = "untouched";
        assert_int_equal(rt_signal_make_id(bad[i].strategy, bad[i].symbol, bad[i].interval,
                                           bad[i].t, buf, bad[i].cap),
                         bad[i].rc);
        assert_string_equal(buf, "untouched");
    }
}

/* The candle form of the cached ids: the same ids as rt_signal_make_id through changes of
 * strategy, symbol, interval, leading time digits (10^8 ms), short times and bytes past a
 * name's NUL; errors leave the buffer alone. */
static void test_signal_ids_candle(void **state)
{
    (void)state;
    static const char *const strategies[] = {"RSI_Strategy", "MACD_Cross"};
    static const struct {
        int strategy;
        const char *symbol, *interval;
        int64_t t;
        bool junk; /* bytes past the names' NUL */
    } seq[] = {
        {0, "BTCUSDC", "1m", 1616554800000, false}, {0, "BTCUSDC", "1m", 1616554860000, false},
        {0, "BTCUSDC", "1m", 1616599999999, false}, {0, "BTCUSDC", "1m", 1616600000000, false},
        {0, "BTCUSDC", "1m", 1616554800000, false}, {0, "BTCUSDC", "1m", 1616554800000, true},
        {0, "BTCUSDC", "1m", 1616554800007, true},  {0, "ETHBTC", "1m", 1616554860000, false},
        {0, "ETHBTC", "5m", 7, false},              {1, "ETHBTC", "5m", 7, false},
        {1, "ETHBTC", "5m", 100000000, false},      {1, "ETHBTC", "5m", 99999999, false},
        {1, "ETHBTC", "", 99, false},               {1, "ETHBTC", "5m", INT64_MAX, false},
        {1, "ABCDEFGHIJKLMNOPQRST", "12h", INT64_MAX, false},
        {1, "ABCDEFGHIJKLMNOPQRST", "12h", 1616554800000, false},
    };
    rt_signal_id_cache_t cache;
    memset(&cache, 0, sizeof cache);
    for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
        rt_candle_t c;
        memset(&c, seq[i].junk ? 'x' : 0, sizeof c);
        memcpy(c.symbol, seq[i].symbol, strlen(seq[i].symbol) + 1);
        memcpy(c.interval, seq[i].interval, strlen(seq[i].interval) + 1);
        c.open_time = seq[i].t;
        char a[RT_ID_CAP], b[RT_ID_CAP];
        const char *st = strategies[seq[i].strategy];
        assert_int_equal(rt_signal_make_id(st, seq[i].symbol, seq[i].interval, seq[i].t, a,
                                           sizeof a),
                         RT_OK);
        assert_int_equal(rt_signal_make_id_candle(&cache, st, &c, b, sizeof b), RT_OK);
        assert_string_equal(a, b);
    }
    rt_candle_t c;
    memset(&c, 0, sizeof c);
    memcpy(c.symbol, "ETHBTC", 7);
    memcpy(c.interval, "5m", 3);
    static const struct {
        int64_t t;
        size_t cap;
        int rc;
    } bad[] = {{-1, RT_ID_CAP, RT_EINVAL}, {1, 10, RT_ETOOBIG},
               {1616554800000, 20, RT_ETOOBIG}, {1616554800000, 24, RT_ETOOBIG}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char buf[RT_ID_CAP] = "untouched";
        c.open_time = bad[i].t;
        assert_int_equal(rt_signal_make_id_candle(&cache, strategies[1], &c, buf, bad[i].cap),
                         bad[i].rc);
        assert_string_equal(buf, "untouched");
    }
    /* names not terminated within their arrays, no cache, no candle */
    char buf[RT_ID_CAP] = "untouched";
    c.open_time = 1;
    memset(c.symbol, 'A', sizeof c.symbol);
    assert_int_equal(rt_signal_make_id_candle(&cache, strategies[1], &c, buf, sizeof buf),
                     RT_EINVAL);
    memcpy(c.symbol, "ETHBTC", 7);
    memset(c.interval, 'm', sizeof c.interval);
    assert_int_equal(rt_signal_make_id_candle(&cache, strategies[1], &c, buf, sizeof buf),
                     RT_EINVAL);
    assert_int_equal(rt_signal_make_id_candle(NULL, strategies[1], &c, buf, sizeof buf),
                     RT_EINVAL);
    assert_int_equal(rt_signal_make_id_candle(&cache, strategies[1], NULL, buf, sizeof buf),
                     RT_EINVAL);
    assert_string_equal(buf, "untouched");
}

/* ---- the shared data files -------------------------------------------------------------- */

static void test_shared_data_counts(void **state)
{
    (void)state;
    /* BUY and SELL counts with the default parameters, in registry order (checked as described
     * at the top of this file). */
    static const struct {
        const char *rel;
        int counts[7][2];
    } files[] = {
        {"data/btcusdt_5m_2023-01-02_2023-02-09.csv",
         {{91, 131}, {380, 380}, {230, 207}, {469, 468}, {121, 122}, {297, 0}, {34, 0}}},
        {"data/btcusdt_1m_2023-03-01_2023-03-21.csv",
         {{352, 338}, {1028, 1028}, {588, 485}, {1275, 1274}, {320, 319}, {989, 0}, {91, 0}}},
        {"data/ethbtc_5m_2018-01-10_2018-01-30.csv",
         {{44, 37}, {206, 205}, {136, 96}, {299, 298}, {68, 68}, {42, 0}, {22, 0}}},
        {"data/altbtc_1m_2017-11-04_2017-11-14.csv",
         {{117, 163}, {479, 478}, {207, 232}, {631, 631}, {163, 162}, {153, 0}, {31, 0}}},
    };
    size_t ns;
    const an_strategy_t *const *all = an_registry_all(&ns);
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[1024];
        rt_test_shared_path(path, sizeof path, files[f].rel);
        rt_candle_t *c = NULL;
        size_t n = 0;
        char why[256];
        int rc = rt_csv_candles_load(path, "BTCUSDT", NULL, &c, &n, NULL, why, sizeof why);
        if (rc != RT_OK)
            fail_msg("%s: %s", files[f].rel, why);
        for (size_t i = 0; i < ns; i++) {
            an_params_t p;
            an_params_defaults(&p, all[i]);
            void *st;
            assert_int_equal(all[i]->state_new(&p, &st), RT_OK);
            int got[2] = {0, 0};
            for (size_t k = 0; k < n; k++) {
                rt_signal_t sig;
                rc = feed(all[i], st, &c[k], &sig);
                if (rc < 0)
                    fail_msg("%s %s candle %zu: %s", files[f].rel, all[i]->name, k,
                             rt_strerror(rc));
                if (rc == 1) {
                    check_signal_shape(&sig, all[i], &c[k]);
                    got[sig.side]++;
                }
            }
            if (got[0] != files[f].counts[i][0] || got[1] != files[f].counts[i][1])
                fail_msg("%s %s: %d BUY %d SELL, want %d %d", files[f].rel, all[i]->name,
                         got[0], got[1], files[f].counts[i][0], files[f].counts[i][1]);
            all[i]->state_free(st);
        }
        free(c);
    }
}

/* A long flat market with zero volume (every indicator at its degenerate value) signals
 * nothing and breaks nothing. */
/* Two signals the same, field by field (the id up to its NUL). */
static void assert_same_signal(const rt_signal_t *a, const rt_signal_t *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->strategy, b->strategy);
    assert_int_equal(a->side, b->side);
    assert_int_equal(a->price, b->price);
    assert_int_equal(a->stop_loss, b->stop_loss);
    assert_int_equal(a->take_profit, b->take_profit);
    assert_int_equal(a->meta_count, b->meta_count);
    for (size_t m = 0; m < a->meta_count; m++) {
        assert_string_equal(a->meta[m].key, b->meta[m].key);
        assert_memory_equal(&a->meta[m].value, &b->meta[m].value, sizeof(double));
    }
}

/* The shared indicators (an_shared_t) change nothing: every strategy gives the same signals,
 * bit for bit, with the symbol's shared RSI as with its own, over the shared files; a state
 * that starts after the shared set (as after a live change) keeps its own, as does one with
 * another RSI_WINDOW; a state reading the shared RSI refuses candles out of step with it. */
static void test_shared_indicators(void **state)
{
    (void)state;
    static const char *const rels[] = {"data/btcusdt_5m_2023-01-02_2023-02-09.csv",
                                       "data/ethbtc_5m_2018-01-10_2018-01-30.csv"};
    static const struct {
        const char *rsi_window; /* NULL: the default */
        size_t late;            /* candles the shared set sees before the state starts */
    } runs[] = {{NULL, 0}, {NULL, 500}, {"7", 0}};
    size_t ns;
    const an_strategy_t *const *all = an_registry_all(&ns);
    for (size_t f = 0; f < sizeof rels / sizeof rels[0]; f++) {
        char path[1024];
        rt_test_shared_path(path, sizeof path, rels[f]);
        rt_candle_t *c = NULL;
        size_t n = 0;
        char why[256];
        if (rt_csv_candles_load(path, "BTCUSDT", NULL, &c, &n, NULL, why, sizeof why) != RT_OK)
            fail_msg("%s: %s", rels[f], why);
        for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
            for (size_t i = 0; i < ns; i++) {
                an_params_t p;
                an_params_defaults(&p, all[i]);
                if (runs[r].rsi_window != NULL && an_param_index(all[i], "RSI_WINDOW") >= 0)
                    assert_int_equal(an_params_set(&p, "RSI_WINDOW", runs[r].rsi_window, NULL, 0),
                                     RT_OK);
                void *own, *shared;
                assert_int_equal(all[i]->state_new(&p, &own), RT_OK);
                assert_int_equal(all[i]->state_new(&p, &shared), RT_OK);
                an_shared_t sh;
                assert_int_equal(an_shared_init(&sh, AN_SHARED_RSI_PERIOD), RT_OK);
                size_t fired = 0;
                for (size_t k = 0; k < n; k++) {
                    an_candle_t kc;
                    an_shared_next(&sh, &c[k], &kc);
                    if (k < runs[r].late)
                        continue;
                    rt_signal_t a, b;
                    int ra = feed(all[i], own, &c[k], &a);
                    int rb = all[i]->on_candle(shared, &kc, &b);
                    if (ra != rb)
                        fail_msg("%s %s run %zu candle %zu: %d alone, %d shared", rels[f],
                                 all[i]->name, r, k, ra, rb);
                    if (ra == 1) {
                        assert_same_signal(&a, &b);
                        fired++;
                    }
                }
                assert_true(fired > 0);
                all[i]->state_free(own);
                all[i]->state_free(shared);
            }
        }
        /* out of step: a state reading the shared RSI gets a candle without it, or after a
         * candle it missed */
        const an_strategy_t *const rsi_ones[] = {an_registry_find("RSI_Strategy"),
                                                 an_registry_find("RSI_Divergence")};
        for (size_t i = 0; i < 2; i++) {
            an_params_t p;
            an_params_defaults(&p, rsi_ones[i]);
            void *st;
            assert_int_equal(rsi_ones[i]->state_new(&p, &st), RT_OK);
            an_shared_t sh;
            assert_int_equal(an_shared_init(&sh, AN_SHARED_RSI_PERIOD), RT_OK);
            an_candle_t kc;
            rt_signal_t sig;
            an_shared_next(&sh, &c[0], &kc);
            assert_true(rsi_ones[i]->on_candle(st, &kc, &sig) >= 0);
            assert_int_equal(feed(rsi_ones[i], st, &c[1], &sig), RT_ESTATE);
            an_shared_next(&sh, &c[1], &kc);
            an_shared_next(&sh, &c[2], &kc);
            assert_int_equal(rsi_ones[i]->on_candle(st, &kc, &sig), RT_ESTATE);
            rsi_ones[i]->state_free(st);
        }
        free(c);
    }
    an_shared_t sh;
    assert_int_equal(an_shared_init(&sh, 1), RT_EINVAL);
    assert_int_equal(an_shared_init(NULL, AN_SHARED_RSI_PERIOD), RT_EINVAL);
}

static void test_flat_market(void **state)
{
    (void)state;
    size_t ns;
    const an_strategy_t *const *all = an_registry_all(&ns);
    for (size_t i = 0; i < ns; i++) {
        an_params_t p;
        an_params_defaults(&p, all[i]);
        void *st;
        assert_int_equal(all[i]->state_new(&p, &st), RT_OK);
        for (size_t k = 0; k < 500; k++) {
            rt_candle_t c = candle(k, 0.00162008, 0.00162008, 0.00162008, 0.00162008, 0);
            rt_signal_t sig;
            if (feed(all[i], st, &c, &sig) != 0)
                fail_msg("%s fired on a flat market at %zu", all[i]->name, k);
        }
        all[i]->state_free(st);
    }
}

/* docs/STRATEGIES.md lists every parameter as the code defines it (name, type, default,
 * range, live or not, meaning): the table rows are generated here and looked up there. */
static void test_docs_match_the_code(void **state)
{
    (void)state;
    char path[1024];
    char *doc = rt_test_read_file(rt_test_source_path(path, sizeof path, "docs/STRATEGIES.md"),
                                  NULL);
    static const char *const types[] = {"integer", "number", "boolean", "choice"};
    size_t n;
    const an_strategy_t *const *all = an_registry_all(&n);
    for (size_t i = 0; i < n; i++) {
        char head[64];
        snprintf(head, sizeof head, "### %s\n", all[i]->name);
        if (strstr(doc, head) == NULL)
            fail_msg("docs/STRATEGIES.md has no section '%s'", all[i]->name);
        for (size_t k = 0; k < all[i]->param_count; k++) {
            const an_param_def_t *d = &all[i]->params[k];
            char def[64], allowed[160], row[512];
            assert_true(an_param_format(d, d->def, def, sizeof def) > 0);
            assert_true(an_param_describe(d, allowed, sizeof allowed) > 0);
            snprintf(row, sizeof row, "| `%s` | %s | %s | %s | %s | %s |\n", d->name,
                     types[d->type], def, allowed, d->structural ? "new state" : "live",
                     d->help);
            if (strstr(doc, row) == NULL)
                fail_msg("docs/STRATEGIES.md lacks the row of %s %s:\n%s", all[i]->name,
                         d->name, row);
        }
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crafted_sequences),  cmocka_unit_test(test_signal_metadata),
        cmocka_unit_test(test_param_validation),   cmocka_unit_test(test_params_load),
        cmocka_unit_test(test_live_parameter_change), cmocka_unit_test(test_state_new_checks),
        cmocka_unit_test(test_registry),           cmocka_unit_test(test_signal_ids),
        cmocka_unit_test(test_signal_ids_candle),
        cmocka_unit_test(test_shared_data_counts),
        cmocka_unit_test(test_shared_indicators), cmocka_unit_test(test_flat_market),
        cmocka_unit_test(test_docs_match_the_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
