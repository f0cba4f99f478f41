/* The analyzer's engine (analyzer/engine.h): the candle filter (table-driven), the history
 * ring, a live change being the same as having run with the new parameters over the kept
 * history, no emission during warm-up, and bad arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/engine.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/str.h"
#include "rt_test.h"

#define DATA "data/btcusdt_5m_2023-01-02_2023-02-09.csv"
#define MAXSIG 4096

typedef struct {
    size_t n;
    char id[MAXSIG][RT_ID_CAP];
} ids_t;

static void collect(void *ud, const rt_signal_t *s)
{
    ids_t *l = ud;
    assert_true(l->n < MAXSIG);
    rt_str_copy(l->id[l->n++], RT_ID_CAP, s->id);
}

static rt_candle_t candle(const char *sym, const char *iv, int64_t t, bool closed)
{
    rt_candle_t c = {0};
    rt_str_copy(c.symbol, sizeof c.symbol, sym);
    rt_str_copy(c.interval, sizeof c.interval, iv);
    c.open_time = t;
    c.close_time = t + 59999;
    c.open = c.high = c.low = c.close = RT_MONEY_UNITS(100);
    c.volume = RT_MONEY_UNITS(1);
    c.closed = closed;
    return c;
}

static void test_filter(void **state)
{
    (void)state;
    const char *syms[] = {"BTCUSDC", "ETHUSDC"};
    an_engine_t *e = NULL;
    assert_int_equal(an_engine_new(syms, 2, "1m", 3, &e), 0);
    static const struct {
        const char *sym, *iv;
        int64_t t;
        bool closed;
        int want;
    } rows[] = {
        {"BTCUSDC", "1m", 60000, false, AN_CANDLE_FORMING},
        {"BTCUSDC", "1m", 60000, true, AN_CANDLE_FED},
        {"BTCUSDC", "1m", 60000, true, AN_CANDLE_DUPLICATE},
        {"BTCUSDC", "1m", 60000, false, AN_CANDLE_OUT_OF_ORDER}, /* late update of a closed one */
        {"BTCUSDC", "1m", 0, true, AN_CANDLE_OUT_OF_ORDER},
        {"BTCUSDC", "5m", 120000, true, AN_CANDLE_OTHER_INTERVAL},
        {"SOLUSDC", "1m", 120000, true, AN_CANDLE_UNKNOWN_SYMBOL},
        {"ETHUSDC", "1m", 0, true, AN_CANDLE_FED},      /* symbols are independent */
        {"BTCUSDC", "1m", 180000, true, AN_CANDLE_FED}, /* a gap is fine */
        {"BTCUSDC", "1m", 240000, false, AN_CANDLE_FORMING},
        {"BTCUSDC", "1m", 300000, false, AN_CANDLE_FORMING},
        {"BTCUSDC", "1m", 240000, false, AN_CANDLE_OUT_OF_ORDER}, /* older forming update */
        {"BTCUSDC", "1m", 240000, true, AN_CANDLE_FED},
        {"BTCUSDC", "1m", 300000, true, AN_CANDLE_FED},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        rt_candle_t c = candle(rows[i].sym, rows[i].iv, rows[i].t, rows[i].closed);
        int got = an_engine_candle(e, &c, false, NULL, NULL);
        if (got != rows[i].want)
            fail_msg("row %zu: got %s, want %s", i, an_candle_result_name(got),
                     an_candle_result_name(rows[i].want));
    }
    /* History: capacity 3, oldest first. */
    assert_int_equal(an_engine_history_len(e, 0), 3);
    assert_int_equal(an_engine_history_at(e, 0, 0)->open_time, 180000);
    assert_int_equal(an_engine_history_at(e, 0, 2)->open_time, 300000);
    assert_null(an_engine_history_at(e, 0, 3));
    assert_int_equal(an_engine_history_len(e, 1), 1);
    assert_null(an_engine_forming(e, 0)); /* its candle closed */
    rt_candle_t f = candle("ETHUSDC", "1m", 60000, false);
    assert_int_equal(an_engine_candle(e, &f, false, NULL, NULL), AN_CANDLE_FORMING);
    assert_non_null(an_engine_forming(e, 1));
    assert_int_equal(an_engine_forming(e, 1)->open_time, 60000);
    an_engine_free(e);
}

/* Many symbols given in no particular order: each candle reaches its own symbol only. */
static void test_many_symbols(void **state)
{
    (void)state;
    enum { N = 300 };
    static char names[N][RT_SYMBOL_CAP];
    const char *syms[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "S%zuUSDC", (i * 7919) % N); /* a permutation */
        syms[i] = names[i];
    }
    an_engine_t *e = NULL;
    assert_int_equal(an_engine_new(syms, N, "1m", 8, &e), 0);
    for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; k <= i % 5; k++) {
            rt_candle_t c = candle(syms[i], "1m", (int64_t)k * 60000, true);
            assert_int_equal(an_engine_candle(e, &c, false, NULL, NULL), AN_CANDLE_FED);
        }
    }
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(an_engine_symbol(e, i), syms[i]);
        if (an_engine_history_len(e, i) != i % 5 + 1)
            fail_msg("%s: %zu candles, want %zu", syms[i], an_engine_history_len(e, i), i % 5 + 1);
    }
    rt_candle_t c = candle("S300USDC", "1m", 0, true);
    assert_int_equal(an_engine_candle(e, &c, false, NULL, NULL), AN_CANDLE_UNKNOWN_SYMBOL);
    c = candle("A", "1m", 0, true);
    assert_int_equal(an_engine_candle(e, &c, false, NULL, NULL), AN_CANDLE_UNKNOWN_SYMBOL);
    c = candle("ZZZ", "1m", 0, true);
    assert_int_equal(an_engine_candle(e, &c, false, NULL, NULL), AN_CANDLE_UNKNOWN_SYMBOL);
    an_engine_free(e);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    const char *syms[] = {"BTCUSDC", "BTCUSDC"};
    an_engine_t *e = NULL;
    assert_int_equal(an_engine_new(syms, 2, "1m", 10, &e), RT_EINVAL); /* duplicate */
    assert_int_equal(an_engine_new(syms, 0, "1m", 10, &e), RT_EINVAL);
    assert_int_equal(an_engine_new(syms, 1, "", 10, &e), RT_EINVAL);
    assert_int_equal(an_engine_new(syms, 1, "1m", 0, &e), RT_EINVAL);
    assert_null(e);
    assert_int_equal(an_engine_new(syms, 1, "1m", 10, &e), 0);
    assert_int_equal(an_engine_find(e, "no_such"), RT_ENOTFOUND);
    int rsi = an_engine_find(e, "rsi_strategy"); /* any case */
    assert_true(rsi >= 0);
    int bb = an_engine_find(e, "Bollinger_Bands");
    assert_true(bb >= 0);
    /* Parameters of another strategy are refused. */
    assert_int_equal(an_engine_configure(e, (size_t)rsi, true, an_engine_params(e, (size_t)bb)),
                     RT_EINVAL);
    assert_int_equal(an_engine_configure(e, 999, true, an_engine_params(e, (size_t)bb)), RT_EINVAL);
    rt_candle_t c = candle("BTCUSDC", "1m", 0, true);
    assert_int_equal(an_engine_candle(e, &c, true, NULL, NULL), RT_EINVAL);
    assert_int_equal(an_engine_candle(NULL, &c, false, NULL, NULL), RT_EINVAL);
    assert_int_equal(an_engine_warmup(e), 0); /* nothing enabled */
    an_engine_free(e);
    an_engine_free(NULL);
}

static rt_candle_t *g_c;
static size_t g_n;

static int load(void **state)
{
    (void)state;
    char path[1024];
    assert_non_null(rt_test_shared_path(path, sizeof path, DATA));
    assert_int_equal(rt_csv_candles_load(path, "BTCUSDC", NULL, &g_c, &g_n, NULL, NULL, 0), 0);
    assert_true(g_n > 2000);
    return 0;
}

static int unload(void **state)
{
    (void)state;
    free(g_c);
    return 0;
}

static an_engine_t *engine_with(const char *name, const char *param, const char *value)
{
    const char *sym = "BTCUSDC";
    an_engine_t *e = NULL;
    assert_int_equal(an_engine_new(&sym, 1, "5m", 1000, &e), 0);
    int slot = an_engine_find(e, name);
    assert_true(slot >= 0);
    an_params_t p = *an_engine_params(e, (size_t)slot);
    if (param != NULL)
        assert_int_equal(an_params_set(&p, param, value, NULL, 0), 0);
    assert_int_equal(an_engine_configure(e, (size_t)slot, true, &p), 0);
    return e;
}

/* A change after 600 candles (history 1000 holds them all) gives, from then on, exactly the
 * signals of an engine that ran with the new parameters from the start; disabling stops the
 * signals, enabling again brings them back. */
static void test_live_change_rewarms(void **state)
{
    (void)state;
    static ids_t a, b, skip;
    an_engine_t *live = engine_with("RSI_Strategy", NULL, NULL);
    an_engine_t *ref = engine_with("RSI_Strategy", "RSI_WINDOW", "7");
    int slot = an_engine_find(live, "RSI_Strategy");
    a.n = b.n = 0;
    for (size_t i = 0; i < 1200; i++) {
        if (i == 600) {
            an_params_t p = *an_engine_params(live, (size_t)slot);
            assert_int_equal(an_params_set(&p, "RSI_WINDOW", "7", NULL, 0), 0);
            assert_int_equal(an_engine_configure(live, (size_t)slot, true, &p), 0);
        }
        skip.n = 0;
        assert_int_equal(an_engine_candle(live, &g_c[i], true, collect, i >= 600 ? &a : &skip),
                         AN_CANDLE_FED);
        assert_int_equal(an_engine_candle(ref, &g_c[i], true, collect, i >= 600 ? &b : &skip),
                         AN_CANDLE_FED);
    }
    assert_true(b.n > 0);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++)
        assert_string_equal(a.id[i], b.id[i]);
    assert_non_null(an_engine_last_signal(live, (size_t)slot, 0));
    assert_string_equal(an_engine_last_signal(live, (size_t)slot, 0)->id, a.id[a.n - 1]);

    /* Disabled: no signal at all. */
    an_params_t p = *an_engine_params(live, (size_t)slot);
    assert_int_equal(an_engine_configure(live, (size_t)slot, false, &p), 0);
    assert_false(an_engine_enabled(live, (size_t)slot));
    a.n = 0;
    for (size_t i = 1200; i < 2000; i++)
        an_engine_candle(live, &g_c[i], true, collect, &a);
    assert_int_equal(a.n, 0);
    an_engine_free(live);
    an_engine_free(ref);
}

/* Warm-up (emit false) produces no signal and no last signal, but leaves the state where a
 * full run would: the first emitted signals match. */
static void test_warmup_silent(void **state)
{
    (void)state;
    static ids_t a, b, skip;
    an_engine_t *w = engine_with("Bollinger_Bands", NULL, NULL);
    an_engine_t *full = engine_with("Bollinger_Bands", NULL, NULL);
    a.n = b.n = 0;
    for (size_t i = 0; i < 500; i++) {
        assert_int_equal(an_engine_candle(w, &g_c[i], false, NULL, NULL), AN_CANDLE_FED);
        skip.n = 0;
        an_engine_candle(full, &g_c[i], true, collect, &skip);
    }
    assert_null(an_engine_last_signal(w, (size_t)an_engine_find(w, "Bollinger_Bands"), 0));
    for (size_t i = 500; i < 1500; i++) {
        an_engine_candle(w, &g_c[i], true, collect, &a);
        an_engine_candle(full, &g_c[i], true, collect, &b);
    }
    assert_true(a.n > 0);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++)
        assert_string_equal(a.id[i], b.id[i]);
    assert_true(an_engine_warmup(w) > 0);
    an_engine_free(w);
    an_engine_free(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_many_symbols),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test_setup_teardown(test_live_change_rewarms, load, unload),
        cmocka_unit_test_setup_teardown(test_warmup_silent, load, unload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
