/* The position manager: every exit rule, table-driven, and the seed's example (marsshot-ml-bot,
 * section 3.3). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/money.h"
#include "tr_position.h"

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    if (s == NULL || s[0] == '\0')
        return 0;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

static const char *S(rt_money_t v, char *buf)
{
    rt_money_format(v, buf, RT_MONEY_FMT_MAX);
    return buf;
}

/* Exit settings with every rule off; scenarios turn on what they test. */
static tr_exit_config_t off(void)
{
    tr_exit_config_t c;
    tr_exit_config_default(&c);
    c.stop_loss_pct = 0;
    c.take_profit_pct = 0;
    return c;
}

/* One market event and the action expected from it. After an action the test settles it as
 * filled (reduce + settle) unless `hold` is set. */
typedef struct {
    const char *high, *low, *close; /* a ticker: only close */
    tr_exit_reason_t want;
    const char *qty;   /* expected quantity to sell */
    const char *level; /* expected level */
    bool hold;         /* leave the exit pending */
} event_t;

#define MAX_EVENTS 8

typedef struct {
    const char *name;
    void (*cfg)(tr_exit_config_t *c);
    const char *price, *qty, *stop, *target, *atr; /* the entry */
    bool with_filters;
    event_t ev[MAX_EVENTS];
} scenario_t;

static void pct_stop_3(tr_exit_config_t *c)
{
    c->stop_loss_pct = M("0.03");
}
static void pct_stop_3_tp_5(tr_exit_config_t *c)
{
    c->stop_loss_pct = M("0.03");
    c->take_profit_pct = M("0.05");
}
static void atr_15_pct_1(tr_exit_config_t *c)
{
    c->atr_stop_mult = M("1.5");
    c->stop_loss_pct = M("0.01");
}
static void tp_5(tr_exit_config_t *c)
{
    c->take_profit_pct = M("0.05");
}
static void trailing_2_1(tr_exit_config_t *c)
{
    c->trailing_activation = M("0.02");
    c->trailing_pct = M("0.01");
}
static void trailing_0_1_stop_3(tr_exit_config_t *c)
{
    c->trailing_pct = M("0.01");
    c->stop_loss_pct = M("0.03");
}
static void trailing_0_5_stop_3(tr_exit_config_t *c)
{
    c->trailing_pct = M("0.05");
    c->stop_loss_pct = M("0.03");
}
static void breakeven_2_stop_3(tr_exit_config_t *c)
{
    c->breakeven_pct = M("0.02");
    c->stop_loss_pct = M("0.03");
}
static void partial_3_half_tp_5(tr_exit_config_t *c)
{
    c->partial_tp_pct = M("0.03");
    c->partial_tp_fraction = M("0.5");
    c->take_profit_pct = M("0.05");
}
static void partial_3_tp_3(tr_exit_config_t *c)
{
    c->partial_tp_pct = M("0.03");
    c->take_profit_pct = M("0.03");
}
static void partial_3_ninety(tr_exit_config_t *c)
{
    c->partial_tp_pct = M("0.03");
    c->partial_tp_fraction = M("0.9");
}
static void partial_3_fifth(tr_exit_config_t *c)
{
    c->partial_tp_pct = M("0.03");
    c->partial_tp_fraction = M("0.2");
}
static void nothing(tr_exit_config_t *c)
{
    (void)c;
}

#define T(p) NULL, NULL, p /* a ticker event */
#define NONE_(...) TR_EXIT_NONE, NULL, NULL, false

/* One scenario per block reads better than one field per line. */
/* clang-format off */
static const scenario_t scenarios[] = {
    {"percent stop", pct_stop_3, "100", "1", "", "", "", false,
     {{T("98"), NONE_()}, {T("97.00000001"), NONE_()}, {T("97"), TR_EXIT_STOP_LOSS, "1", "97", false}}},
    {"stop on a gap below", pct_stop_3, "100", "1", "", "", "", false,
     {{T("90"), TR_EXIT_STOP_LOSS, "1", "97", false}}},
    {"signal stop first", pct_stop_3, "100", "1", "95", "", "", false,
     {{T("96"), NONE_()}, {T("95"), TR_EXIT_STOP_LOSS, "1", "95", false}}},
    {"signal stop above entry ignored", pct_stop_3, "100", "1", "101", "", "", false,
     {{T("100.5"), NONE_()}, {T("97"), TR_EXIT_STOP_LOSS, "1", "97", false}}},
    {"ATR stop before percent", atr_15_pct_1, "100", "1", "", "", "2", false,
     {{T("98.5"), NONE_()}, {T("97"), TR_EXIT_STOP_LOSS, "1", "97", false}}},
    {"percent stop when no ATR", atr_15_pct_1, "100", "1", "", "", "", false,
     {{T("99"), TR_EXIT_STOP_LOSS, "1", "99", false}}},
    {"percent take-profit", tp_5, "100", "1", "", "", "", false,
     {{T("104.99999999"), NONE_()}, {T("105"), TR_EXIT_TAKE_PROFIT, "1", "105", false}}},
    {"signal take-profit first", tp_5, "100", "1", "", "110", "", false,
     {{T("105"), NONE_()}, {T("110.5"), TR_EXIT_TAKE_PROFIT, "1", "110", false}}},
    {"no rule, no exit", nothing, "100", "1", "", "", "", false,
     {{T("1"), NONE_()}, {T("1000"), NONE_()}}},
    /* a candle holding both the stop and the target: the stop, conservatively */
    {"candle stop before target", pct_stop_3_tp_5, "100", "1", "", "", "", false,
     {{"106", "96", "100", TR_EXIT_STOP_LOSS, "1", "97", false}}},
    {"candle target", pct_stop_3_tp_5, "100", "1", "", "", "", false,
     {{"105.5", "98", "104", TR_EXIT_TAKE_PROFIT, "1", "105", false}}},
    {"candle inside", pct_stop_3_tp_5, "100", "1", "", "", "", false,
     {{"104.9", "97.1", "101", NONE_()}}},
    /* trailing: armed at +2%, 1% under the high */
    {"trailing", trailing_2_1, "100", "1", "", "", "", false,
     {{T("101.9"), NONE_()},
      {T("102"), NONE_()}, /* armed: 100.98 */
      {T("103"), NONE_()}, /* 101.97 */
      {T("102.5"), NONE_()},
      {T("101.97"), TR_EXIT_TRAILING_STOP, "1", "101.97", false}}},
    {"trailing never armed", trailing_2_1, "100", "1", "", "", "", false,
     {{T("101.99"), NONE_()}, {T("50"), NONE_()}}},
    /* the close of a candle against the trailing stop its own high raised */
    {"candle close under raised trailing", trailing_0_1_stop_3, "100", "1", "", "", "", false,
     {{"110", "99.5", "108.8", TR_EXIT_TRAILING_STOP, "1", "108.9", false}}},
    /* the low is not compared with a stop raised by the same candle's high */
    {"candle low under raised trailing", trailing_0_1_stop_3, "100", "1", "", "", "", false,
     {{"110", "100", "109.5", NONE_()}, {T("108.9"), TR_EXIT_TRAILING_STOP, "1", "108.9", false}}},
    /* a trailing stop still under the fixed stop: the fixed stop decides */
    {"trailing under fixed stop", trailing_0_5_stop_3, "100", "1", "", "", "", false,
     {{T("101"), NONE_()}, /* armed at 95.95, under the stop at 97 */
      {T("97"), TR_EXIT_STOP_LOSS, "1", "97", false}}},
    /* breakeven: at +2% the stop moves to the entry */
    {"breakeven", breakeven_2_stop_3, "100", "1", "", "", "", false,
     {{T("101.99"), NONE_()},
      {T("102"), NONE_()},
      {T("100.01"), NONE_()},
      {T("100"), TR_EXIT_STOP_LOSS, "1", "100", false}}},
    {"breakeven not reached", breakeven_2_stop_3, "100", "1", "", "", "", false,
     {{T("101.99"), NONE_()}, {T("99"), NONE_()}, {T("97"), TR_EXIT_STOP_LOSS, "1", "97", false}}},
    /* partial take-profit: once, then the target takes the rest */
    {"partial then target", partial_3_half_tp_5, "100", "1", "", "", "", false,
     {{T("103"), TR_EXIT_PARTIAL_TP, "0.5", "103", false},
      {T("104"), NONE_()},
      {T("103"), NONE_()},
      {T("105"), TR_EXIT_TAKE_PROFIT, "0.5", "105", false}}},
    {"target beats partial", partial_3_tp_3, "100", "1", "", "", "", false,
     {{T("103"), TR_EXIT_TAKE_PROFIT, "1", "103", false}}},
    /* with filters (step 0.001, minQty 0.001) */
    {"stop rounds to the step", pct_stop_3, "100", "0.123456", "", "", "", true,
     {{T("97"), TR_EXIT_STOP_LOSS, "0.123", "97", false}}},
    {"partial leaving dust sells all", partial_3_ninety, "100", "0.0015", "", "", "", true,
     {{T("103"), TR_EXIT_PARTIAL_TP, "0.001", "103", false}}},
    {"partial too small is skipped", partial_3_fifth, "100", "0.001", "", "", "", true,
     {{T("103"), NONE_()}, {T("104"), NONE_()}}},
    {"all dust", pct_stop_3, "100", "0.0009", "", "", "", true,
     {{T("96"), TR_EXIT_STOP_LOSS, "0", "97", true}, {T("90"), NONE_()}}},
    /* pending: one exit until settled */
    {"pending exit is not repeated", pct_stop_3, "100", "1", "", "", "", false,
     {{T("96"), TR_EXIT_STOP_LOSS, "1", "97", true}, {T("95"), NONE_()}, {T("94"), NONE_()}}},
};
/* clang-format on */

static void run_scenario(const scenario_t *sc)
{
    tr_exit_config_t cfg = off();
    sc->cfg(&cfg);
    assert_int_equal(tr_exit_config_check(&cfg), RT_OK);
    tr_filters_t f;
    tr_filters_init(&f);
    f.step_size = M("0.001");
    f.min_qty = M("0.001");
    tr_entry_t e = {M(sc->price), M(sc->qty), M(sc->stop), M(sc->target), M(sc->atr), 1000};
    tr_position_t p;
    int rc = tr_position_open(&p, &cfg, "BTCUSDC", "S", &e);
    if (rc != RT_OK)
        fail_msg("%s: open rc=%d", sc->name, rc);
    for (size_t i = 0; i < MAX_EVENTS && sc->ev[i].close != NULL; i++) {
        const event_t *ev = &sc->ev[i];
        tr_exit_t x;
        memset(&x, 0x77, sizeof x);
        if (ev->high == NULL)
            rc = tr_position_on_price(&p, &cfg, sc->with_filters ? &f : NULL, M(ev->close), &x);
        else
            rc = tr_position_on_candle(&p, &cfg, sc->with_filters ? &f : NULL, M(ev->high),
                                       M(ev->low), M(ev->close), &x);
        if (rc != RT_OK)
            fail_msg("%s, event %zu: rc=%d", sc->name, i, rc);
        char a[RT_MONEY_FMT_MAX], b[RT_MONEY_FMT_MAX];
        if (x.reason != ev->want)
            fail_msg("%s, event %zu (%s): reason %s, want %s (qty %s)", sc->name, i, ev->close,
                     tr_exit_reason_name(x.reason), tr_exit_reason_name(ev->want),
                     S(x.quantity, a));
        if (ev->want == TR_EXIT_NONE)
            continue;
        if (x.quantity != M(ev->qty))
            fail_msg("%s, event %zu: quantity %s, want %s", sc->name, i, S(x.quantity, a), ev->qty);
        if (x.level != M(ev->level))
            fail_msg("%s, event %zu: level %s, want %s", sc->name, i, S(x.level, b), ev->level);
        assert_int_equal(p.pending, ev->want);
        if (ev->hold)
            continue;
        if (x.quantity > 0)
            assert_int_equal(tr_position_reduce(&p, x.quantity), RT_OK);
        assert_int_equal(tr_position_settle(&p, true), RT_OK);
        if (x.full)
            break; /* closed (or dust only) */
    }
}

static void test_exit_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
        run_scenario(&scenarios[i]);
}

/* marsshot-ml-bot.md, section 3.3: stop -50%, partial +100% sells 20% once, trailing armed at
 * x3 (+200%) trails 30% below the high. Bought at 0.10: 0.20 -> 20% sold once; 0.30 -> armed;
 * high 0.32 -> stop 0.224; below it -> the rest sold. */
static void test_seed_example(void **state)
{
    (void)state;
    tr_exit_config_t cfg = off();
    cfg.stop_loss_pct = M("0.5");
    cfg.partial_tp_pct = M("1");
    cfg.partial_tp_fraction = M("0.2");
    cfg.trailing_activation = M("2");
    cfg.trailing_pct = M("0.3");
    tr_entry_t e = {M("0.10"), M("1000"), 0, 0, 0, 0};
    tr_position_t p;
    tr_exit_t x;
    assert_int_equal(tr_position_open(&p, &cfg, "FETUSDT", "marsshot", &e), RT_OK);
    assert_int_equal(p.stop, M("0.05"));
    assert_int_equal(p.target, 0);

    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.15"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    /* x2: 20% sold, once */
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.20"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_PARTIAL_TP);
    assert_int_equal(x.quantity, M("200"));
    assert_false(x.full);
    assert_true(p.partial_taken);
    assert_int_equal(tr_position_reduce(&p, x.quantity), RT_OK);
    assert_int_equal(tr_position_settle(&p, true), RT_OK);
    assert_int_equal(p.quantity, M("800"));
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.18"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.21"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE); /* not twice */
    /* x3: trailing armed */
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.30"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    assert_true(p.trailing_armed);
    assert_int_equal(p.trailing_stop, M("0.21"));
    /* high 0.32: the stop is 0.224 (70% of 0.32) */
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.32"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    assert_int_equal(p.highest, M("0.32"));
    assert_int_equal(p.trailing_stop, M("0.224"));
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.2241"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    /* below it: everything left is sold */
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.2239"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_TRAILING_STOP);
    assert_true(x.full);
    assert_int_equal(x.quantity, M("800"));
    assert_int_equal(x.level, M("0.224"));
    assert_int_equal(tr_position_reduce(&p, x.quantity), RT_OK);
    assert_int_equal(tr_position_settle(&p, true), RT_OK);
    assert_false(tr_position_is_open(&p));
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.2"), &x), RT_EINVAL);

    /* and the stop: -50% sells everything */
    assert_int_equal(tr_position_open(&p, &cfg, "FETUSDT", "marsshot", &e), RT_OK);
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.0501"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("0.05"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_STOP_LOSS);
    assert_int_equal(x.quantity, M("1000"));
}

/* The same seed example on candles (the backtester's view). */
static void test_seed_example_candles(void **state)
{
    (void)state;
    tr_exit_config_t cfg = off();
    cfg.stop_loss_pct = M("0.5");
    cfg.partial_tp_pct = M("1");
    cfg.partial_tp_fraction = M("0.2");
    cfg.trailing_activation = M("2");
    cfg.trailing_pct = M("0.3");
    tr_entry_t e = {M("0.10"), M("1000"), 0, 0, 0, 0};
    tr_position_t p;
    tr_exit_t x;
    assert_int_equal(tr_position_open(&p, &cfg, "FETUSDT", "marsshot", &e), RT_OK);
    assert_int_equal(tr_position_on_candle(&p, &cfg, NULL, M("0.21"), M("0.11"), M("0.19"), &x),
                     RT_OK);
    assert_int_equal(x.reason, TR_EXIT_PARTIAL_TP);
    assert_int_equal(x.level, M("0.2"));
    assert_int_equal(tr_position_reduce(&p, x.quantity), RT_OK);
    assert_int_equal(tr_position_settle(&p, true), RT_OK);
    assert_int_equal(tr_position_on_candle(&p, &cfg, NULL, M("0.32"), M("0.19"), M("0.31"), &x),
                     RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    assert_int_equal(p.trailing_stop, M("0.224"));
    assert_int_equal(tr_position_on_candle(&p, &cfg, NULL, M("0.31"), M("0.22"), M("0.23"), &x),
                     RT_OK);
    assert_int_equal(x.reason, TR_EXIT_TRAILING_STOP);
    assert_int_equal(x.quantity, M("800"));
}

static void test_pending_settle(void **state)
{
    (void)state;
    tr_exit_config_t cfg = off();
    cfg.stop_loss_pct = M("0.03");
    cfg.partial_tp_pct = M("0.03");
    cfg.partial_tp_fraction = M("0.5");
    tr_entry_t e = {M("100"), M("1"), 0, 0, 0, 0};
    tr_position_t p;
    tr_exit_t x;
    assert_int_equal(tr_position_open(&p, &cfg, "BTCUSDC", "S", &e), RT_OK);
    /* a stop whose order failed may fire again */
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("96"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_STOP_LOSS);
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("96"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    assert_int_equal(tr_position_settle(&p, false), RT_OK);
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("96"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_STOP_LOSS);
    assert_int_equal(tr_position_settle(&p, false), RT_OK);
    /* a partial that did not fill may trigger again; one that filled may not */
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("103"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_PARTIAL_TP);
    assert_int_equal(tr_position_settle(&p, false), RT_OK);
    assert_false(p.partial_taken);
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("103"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_PARTIAL_TP);
    assert_int_equal(tr_position_reduce(&p, x.quantity), RT_OK);
    assert_int_equal(tr_position_settle(&p, true), RT_OK);
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("104"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    /* a pending stop already sells everything: the halt has nothing to add */
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("96"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_STOP_LOSS);
    assert_int_equal(p.pending_quantity, M("0.5"));
    assert_int_equal(tr_position_halt(&p, NULL, &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE);
    assert_int_equal(p.pending, TR_EXIT_STOP_LOSS);
    assert_int_equal(tr_position_reduce(&p, M("0.50000001")), RT_ESTATE);
    assert_int_equal(tr_position_reduce(&p, M("0.5")), RT_OK);
    assert_int_equal(p.pending_quantity, 0);
    assert_int_equal(tr_position_halt(&p, NULL, &x), RT_EINVAL); /* closed */

    /* a halt while a partial is on its way sells the rest, not the partial twice */
    tr_entry_t e2 = {M("100"), M("1"), 0, 0, 0, 0};
    assert_int_equal(tr_position_open(&p, &cfg, "BTCUSDC", "S", &e2), RT_OK);
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("103"), &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_PARTIAL_TP);
    assert_int_equal(tr_position_halt(&p, NULL, &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_HALT);
    assert_true(x.full);
    assert_int_equal(x.quantity, M("0.5"));
    assert_int_equal(p.pending, TR_EXIT_HALT);
    assert_int_equal(p.pending_quantity, M("1"));
    assert_int_equal(tr_position_close(&p, NULL, &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_NONE); /* everything is already being sold */
    /* the partial fills, then the halt's order */
    assert_int_equal(tr_position_reduce(&p, M("0.5")), RT_OK);
    assert_int_equal(p.pending_quantity, M("0.5"));
    assert_int_equal(tr_position_reduce(&p, M("0.5")), RT_OK);
    assert_false(tr_position_is_open(&p));
    /* a manual close of an idle position */
    assert_int_equal(tr_position_open(&p, &cfg, "BTCUSDC", "S", &e2), RT_OK);
    assert_int_equal(tr_position_close(&p, NULL, &x), RT_OK);
    assert_int_equal(x.reason, TR_EXIT_MANUAL);
    assert_int_equal(x.quantity, M("1"));
}

static void test_pyramiding_add(void **state)
{
    (void)state;
    tr_exit_config_t cfg = off();
    cfg.stop_loss_pct = M("0.03");
    cfg.take_profit_pct = M("0.05");
    tr_entry_t e = {M("100"), M("1"), 0, 0, 0, 0};
    tr_position_t p;
    assert_int_equal(tr_position_open(&p, &cfg, "BTCUSDC", "S", &e), RT_OK);
    assert_int_equal(p.stop, M("97"));
    assert_int_equal(p.target, M("105"));
    tr_entry_t add = {M("110"), M("1"), 0, 0, 0, 5};
    assert_int_equal(tr_position_add(&p, &cfg, &add), RT_OK);
    assert_int_equal(p.entry, M("105"));
    assert_int_equal(p.quantity, M("2"));
    assert_int_equal(p.initial_quantity, M("2"));
    assert_int_equal(p.entries, 2);
    assert_int_equal(p.stop, M("101.85"));   /* 105 * 0.97, raised */
    assert_int_equal(p.target, M("110.25")); /* 105 * 1.05 */
    assert_int_equal(p.highest, M("110"));
    /* an add at a lower price never lowers the stop */
    tr_entry_t low = {M("90"), M("2"), 0, 0, 0, 6};
    assert_int_equal(tr_position_add(&p, &cfg, &low), RT_OK);
    assert_int_equal(p.entry, M("97.5"));
    assert_int_equal(p.stop, M("101.85"));
    /* bad adds change nothing */
    tr_position_t before = p;
    tr_entry_t bad = {0, M("1"), 0, 0, 0, 0};
    assert_int_equal(tr_position_add(&p, &cfg, &bad), RT_EINVAL);
    assert_memory_equal(&p, &before, sizeof p);
}

static void test_open_and_config_invalid(void **state)
{
    (void)state;
    tr_exit_config_t cfg;
    tr_exit_config_default(&cfg);
    assert_int_equal(tr_exit_config_check(&cfg), RT_OK);
    assert_int_equal(cfg.stop_loss_pct, M("0.03"));
    assert_int_equal(cfg.take_profit_pct, M("0.05"));
    assert_int_equal(cfg.trailing_pct, 0);
    static const struct {
        const char *name;
        size_t off;
        const char *v;
    } bad[] = {
        {"stop 100%", offsetof(tr_exit_config_t, stop_loss_pct), "1"},
        {"stop negative", offsetof(tr_exit_config_t, stop_loss_pct), "-0.01"},
        {"trailing 100%", offsetof(tr_exit_config_t, trailing_pct), "1"},
        {"fraction 0", offsetof(tr_exit_config_t, partial_tp_fraction), "0"},
        {"fraction > 1", offsetof(tr_exit_config_t, partial_tp_fraction), "1.01"},
        {"tp negative", offsetof(tr_exit_config_t, take_profit_pct), "-1"},
        {"atr negative", offsetof(tr_exit_config_t, atr_stop_mult), "-1"},
        {"breakeven negative", offsetof(tr_exit_config_t, breakeven_pct), "-1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tr_exit_config_t c = cfg;
        rt_money_t v = M(bad[i].v);
        memcpy((char *)&c + bad[i].off, &v, sizeof v);
        if (tr_exit_config_check(&c) != RT_EINVAL)
            fail_msg("%s accepted", bad[i].name);
    }
    tr_position_t p;
    memset(&p, 0x42, sizeof p);
    tr_position_t before = p;
    tr_entry_t e = {M("100"), M("1"), 0, 0, 0, 0};
    assert_int_equal(tr_position_open(&p, &cfg, "", "S", &e), RT_EINVAL);
    assert_int_equal(tr_position_open(&p, &cfg, "BTCUSDC", NULL, &e), RT_EINVAL);
    assert_int_equal(tr_position_open(&p, &cfg, "BTCUSDC_WITH_A_VERY_LONG_NAME", "S", &e),
                     RT_EINVAL);
    e.quantity = 0;
    assert_int_equal(tr_position_open(&p, &cfg, "BTCUSDC", "S", &e), RT_EINVAL);
    e.quantity = M("1");
    e.stop_loss = -1;
    assert_int_equal(tr_position_open(&p, &cfg, "BTCUSDC", "S", &e), RT_EINVAL);
    assert_memory_equal(&p, &before, sizeof p);
    e.stop_loss = 0;
    assert_int_equal(tr_position_open(&p, &cfg, "BTCUSDC", "S", &e), RT_OK);
    tr_exit_t x;
    assert_int_equal(tr_position_on_candle(&p, &cfg, NULL, M("1"), M("2"), M("1.5"), &x),
                     RT_EINVAL); /* low > high */
    assert_int_equal(tr_position_on_candle(&p, &cfg, NULL, M("2"), M("1"), M("3"), &x),
                     RT_EINVAL); /* close > high */
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, 0, &x), RT_EINVAL);
    assert_int_equal(tr_position_on_price(&p, &cfg, NULL, M("1"), NULL), RT_EINVAL);
    rt_money_t stop;
    assert_int_equal(tr_exit_stop_for(&cfg, M("200"), 0, 0, &stop), RT_OK);
    assert_int_equal(stop, M("194"));
    assert_int_equal(tr_exit_stop_for(&cfg, M("200"), M("190"), 0, &stop), RT_OK);
    assert_int_equal(stop, M("190"));
    assert_int_equal(tr_exit_stop_for(&cfg, 0, 0, 0, &stop), RT_EINVAL);
    static const char *const names[] = {"none",       "stop_loss", "take_profit", "trailing_stop",
                                        "partial_tp", "halt",      "manual"};
    for (int r = TR_EXIT_NONE; r <= TR_EXIT_MANUAL; r++)
        assert_string_equal(tr_exit_reason_name((tr_exit_reason_t)r), names[r]);
}

static void test_atr_from_double(void **state)
{
    (void)state;
    rt_money_t v = 42;
    assert_int_equal(tr_atr_from_double(123.456789012, &v), RT_OK);
    assert_int_equal(v, M("123.45678901"));
    assert_int_equal(tr_atr_from_double(0.000000015, &v), RT_OK);
    assert_true(v == 1 || v == 2); /* 1.5e-8 is not exact in binary: either neighbour */
    assert_int_equal(tr_atr_from_double(0, &v), RT_OK);
    assert_int_equal(v, 0);
    v = 42;
    assert_int_equal(tr_atr_from_double(-1, &v), RT_EINVAL);
    assert_int_equal(tr_atr_from_double(NAN, &v), RT_EINVAL);
    assert_int_equal(tr_atr_from_double(1e300, &v), RT_ERANGE);
    assert_int_equal(v, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_rules),           cmocka_unit_test(test_seed_example),
        cmocka_unit_test(test_seed_example_candles), cmocka_unit_test(test_pending_settle),
        cmocka_unit_test(test_pyramiding_add),       cmocka_unit_test(test_open_and_config_invalid),
        cmocka_unit_test(test_atr_from_double),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
