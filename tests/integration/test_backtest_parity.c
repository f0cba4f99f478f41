/* Parity of the backtest with the live services, as far as main holds them:
 *
 * 1. rt-analyzer --replay (the analyzer service's own engine) and the backtest emit the same
 *    signals, in the same order, with the same ids, sides and prices, for every strategy.
 *
 * 2. The backtest on candles fetched from rt-exchange-sim replaying a shared CSV decides exactly
 * what it decides on the CSV itself: the simulator serves the file's candles (shifted in time
 * by whole minutes), --fetch reads them back through the exchange REST client and parser, and
 * the run gives the same signals and the same fills (side, quantity, price, candle), with the
 * times and signal ids shifted by the same offset. This is the backtest's half of the parity
 * with the live stack (docs/BACKTEST.md, "Parity"): the same candles reach the cores whether
 * they come from a file or from the exchange.
 *
 * Bounded in time: the simulator serves history only (SIM_HISTORY candles), every wait has a
 * deadline, and the child dies with the test (PR_SET_PDEATHSIG). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backtest/engine.h"
#include "backtest/fetch.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/str.h"
#include "rt/time.h"
#include "rt_test.h"

#define HISTORY 3000
#define MIN INT64_C(60000)

typedef struct {
    pid_t pid;
    int port;
    char csv[1024];
} sim_t;

static int start_sim(void **state)
{
    sim_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    *state = s;
    s->pid = -1;
    rt_test_shared_path(s->csv, sizeof s->csv, "data/btcusdt_1m_2023-03-01_2023-03-21.csv");
    char history[64], replay[1100];
    snprintf(history, sizeof history, "SIM_HISTORY=%d", HISTORY);
    snprintf(replay, sizeof replay, "SIM_REPLAY_CSV=%s", s->csv);
    const char *const settings[] = {"SIM_PORT=0",  "SIM_BIND=127.0.0.1", "SYMBOLS=BTCUSDT",
                                    "SIM_SPEED=1", "INTERVAL=1m",        "LOG_LEVEL=warn",
                                    history,       replay};
    return rt_test_sim_start(settings, sizeof settings / sizeof settings[0], &s->pid, &s->port);
}

static int stop_sim(void **state)
{
    sim_t *s = *state;
    if (s == NULL)
        return 0;
    rt_test_proc_stop(&s->pid, 5000);
    free(s);
    return 0;
}

static void config(bt_config_t *cfg, bt_fill_model_t fill)
{
    bt_config_default(cfg);
    cfg->fill_model = fill;
    cfg->record = true;
    char err[BT_ERR_CAP];
    /* the drawdown brake's buckets are aligned on absolute time: the shift would move them */
    assert_int_equal(bt_config_set(cfg, "MAX_DRAWDOWN_PCT", "0", err, sizeof err), RT_OK);
    assert_int_equal(bt_config_set(cfg, "TRADE_QUANTITY", "0.01", err, sizeof err), RT_OK);
    assert_int_equal(bt_config_set(cfg, "TRAILING_PCT", "1", err, sizeof err), RT_OK);
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

static void test_fetch_equals_csv(void **state)
{
    sim_t *s = *state;
    assert_int_equal(rt_exrest_global_init(), RT_OK);
    char url[64], err[BT_ERR_CAP] = "";
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s->port);
    int64_t now = rt_time_now_ms();
    rt_candle_t *got = NULL;
    size_t n = 0;
    int rc = bt_fetch_klines(url, "BTCUSDT", "1m", now - (HISTORY + 60) * MIN, now, &got, &n, err,
                             sizeof err);
    if (rc != RT_OK)
        fail_msg("fetch: %s", err);
    /* the history, less the candle forming now */
    if (n + 2 < HISTORY || n > HISTORY)
        fail_msg("fetched %zu candles, expected about %d", n, HISTORY);
    rt_candle_t *csv = NULL;
    size_t cn = 0, line = 0;
    char why[256];
    assert_int_equal(
        rt_csv_candles_load(s->csv, "BTCUSDT", NULL, &csv, &cn, &line, why, sizeof why), RT_OK);
    int64_t shift = got[0].open_time - csv[0].open_time;
    assert_true(shift % MIN == 0);
    for (size_t i = 0; i < n; i++) {
        const rt_candle_t *a = &got[i], *b = &csv[i];
        if (a->open_time - shift != b->open_time || a->open != b->open || a->high != b->high ||
            a->low != b->low || a->close != b->close || a->volume != b->volume)
            fail_msg("candle %zu: fetched t=%lld o=%lld h=%lld l=%lld c=%lld v=%lld, file "
                     "t=%lld o=%lld h=%lld l=%lld c=%lld v=%lld",
                     i, (long long)(a->open_time - shift), (long long)a->open, (long long)a->high,
                     (long long)a->low, (long long)a->close, (long long)a->volume,
                     (long long)b->open_time, (long long)b->open, (long long)b->high,
                     (long long)b->low, (long long)b->close, (long long)b->volume);
    }
    const bt_fill_model_t models[] = {BT_FILL_CLOSE, BT_FILL_NEXT_OPEN};
    for (size_t m = 0; m < 2; m++) {
        bt_config_t cfg;
        config(&cfg, models[m]);
        bt_series_t sa, sb;
        series_of(&sa, got, n);
        series_of(&sb, csv, n);
        bt_result_t ra, rb;
        assert_int_equal(bt_run(&cfg, &sa, 1, &ra, err, sizeof err), RT_OK);
        assert_int_equal(bt_run(&cfg, &sb, 1, &rb, err, sizeof err), RT_OK);
        assert_true(ra.signals > 10);
        assert_int_equal(ra.signals, rb.signals);
        assert_int_equal(ra.skipped, rb.skipped);
        assert_int_equal(ra.fill_count, rb.fill_count);
        assert_int_equal(ra.final_equity, rb.final_equity);
        for (size_t i = 0; i < ra.fill_count; i++) {
            const bt_fill_t *x = &ra.fills[i], *y = &rb.fills[i];
            char want_id[RT_ID_CAP] = "";
            /* ids end with the candle's open time: shift the file's */
            const char *colon = strrchr(y->signal_id, ':');
            if (colon != NULL) {
                int64_t t = 0;
                assert_int_equal(rt_str_parse_int64(colon + 1, &t), 0);
                snprintf(want_id, sizeof want_id, "%.*s:%lld", (int)(colon - y->signal_id),
                         y->signal_id, (long long)(t + shift));
            }
            if (x->side != y->side || x->quantity != y->quantity || x->price != y->price ||
                x->time_ms - shift != y->time_ms || x->reason != y->reason || x->exit != y->exit ||
                strcmp(x->signal_id, want_id) != 0)
                fail_msg("%s fill %zu: sim %s %lld at %lld (%s), file %s %lld at %lld (%s)",
                         bt_fill_model_name(models[m]), i, x->side ? "SELL" : "BUY",
                         (long long)x->quantity, (long long)x->price, x->signal_id,
                         y->side ? "SELL" : "BUY", (long long)y->quantity, (long long)y->price,
                         y->signal_id);
        }
        bt_result_cleanup(&ra);
        bt_result_cleanup(&rb);
    }
    free(csv);
    free(got);
}

/* Every strategy: rt-analyzer --replay's signal lines against the backtest's signal log. */
static void test_signals_equal_analyzer(void **state)
{
    (void)state;
    const char *bindir = rt_test_require_env("RT_BINARY_DIR");
    char csv[1024];
    rt_test_shared_path(csv, sizeof csv, "data/btcusdt_5m_2023-01-02_2023-02-09.csv");
    rt_candle_t *c = NULL;
    size_t n = 0, line = 0;
    char why[256];
    assert_int_equal(rt_csv_candles_load(csv, "BTCUSDT", NULL, &c, &n, &line, why, sizeof why),
                     RT_OK);
    bt_series_t se;
    series_of(&se, c, n);
    size_t count;
    const an_strategy_t *const *all = an_registry_all(&count);
    size_t total = 0;
    for (size_t k = 0; k < count; k++) {
        bt_config_t cfg;
        bt_config_default(&cfg);
        cfg.strategy = all[k];
        an_params_defaults(&cfg.params, all[k]);
        cfg.record = true;
        bt_result_t r;
        char err[BT_ERR_CAP] = "";
        assert_int_equal(bt_run(&cfg, &se, 1, &r, err, sizeof err), RT_OK);
        char cmd[2600];
        snprintf(cmd, sizeof cmd,
                 "timeout 60 %s/bin/rt-analyzer --replay %s --symbol BTCUSDT --strategies %s "
                 "2>/dev/null",
                 bindir, csv, all[k]->name);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char buf[8192];
        size_t i = 0;
        while (fgets(buf, sizeof buf, p) != NULL) {
            json_error_t je;
            json_t *o = json_loads(buf, 0, &je);
            if (o == NULL)
                fail_msg("%s: analyzer line %zu is not JSON: %s", all[k]->name, i + 1, je.text);
            const char *id = json_string_value(json_object_get(o, "id"));
            const char *side = json_string_value(json_object_get(o, "side"));
            rt_money_t price = 0;
            assert_int_equal(
                rt_money_from_double(json_number_value(json_object_get(o, "price")), &price),
                RT_OK);
            if (i >= r.signal_log_count)
                fail_msg("%s: the analyzer has more signals than the backtest (%zu): %s",
                         all[k]->name, r.signal_log_count, id ? id : "?");
            const bt_signal_rec_t *x = &r.signal_log[i];
            const char *xs = x->side == RT_SIDE_BUY ? "BUY" : "SELL";
            if (id == NULL || side == NULL || strcmp(id, x->id) != 0 || strcmp(side, xs) != 0 ||
                price != x->price)
                fail_msg("%s: signal %zu: analyzer %s %s %lld, backtest %s %s %lld", all[k]->name,
                         i + 1, id ? id : "?", side ? side : "?", (long long)price, x->id, xs,
                         (long long)x->price);
            json_decref(o);
            i++;
        }
        int status = pclose(p);
        assert_int_equal(status, 0);
        if (i != r.signal_log_count)
            fail_msg("%s: analyzer %zu signals, backtest %zu", all[k]->name, i, r.signal_log_count);
        assert_int_equal(r.signals, r.signal_log_count);
        total += i;
        bt_result_cleanup(&r);
    }
    assert_true(total > 1000);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signals_equal_analyzer),
        cmocka_unit_test_setup_teardown(test_fetch_equals_csv, start_sim, stop_sim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
