/* Replay mode (replay.h). */
#include "analyzer/replay.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/engine.h"
#include "analyzer/strategy.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/ind.h"
#include "rt/jsonw.h"
#include "rt/msg.h"
#include "rt/str.h"

#define PARAMS_MAX 64

typedef struct {
    const char *file;
    const char *symbol;
    const char *interval;
    const char *strategies;
    const char *params[PARAMS_MAX];
    size_t nparams;
    bool indicators;
} replay_args_t;

static void usage(FILE *err)
{
    fputs("usage: rt-analyzer --replay FILE.csv [--symbol S] [--interval I] [--strategies A,B]\n"
          "                   [--param NAME=VALUE ...] [--indicators]\n",
          err);
}

static int parse_args(int argc, char **argv, replay_args_t *a, FILE *err)
{
    memset(a, 0, sizeof *a);
    a->symbol = "BTCUSDC";
    a->strategies = "all";
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(opt, "--indicators") == 0) {
            a->indicators = true;
            continue;
        }
        if (!has_value) {
            fprintf(err, "rt-analyzer: %s needs a value (or is unknown)\n", opt);
            return RT_EINVAL;
        }
        const char *v = argv[++i];
        if (strcmp(opt, "--replay") == 0) {
            a->file = v;
        } else if (strcmp(opt, "--symbol") == 0) {
            a->symbol = v;
        } else if (strcmp(opt, "--interval") == 0) {
            a->interval = v;
        } else if (strcmp(opt, "--strategies") == 0) {
            a->strategies = v;
        } else if (strcmp(opt, "--param") == 0) {
            if (a->nparams == PARAMS_MAX) {
                fprintf(err, "rt-analyzer: more than %d --param options\n", PARAMS_MAX);
                return RT_EINVAL;
            }
            a->params[a->nparams++] = v;
        } else {
            fprintf(err, "rt-analyzer: unknown option %s\n", opt);
            return RT_EINVAL;
        }
    }
    if (a->file == NULL) {
        fputs("rt-analyzer: --replay FILE.csv is required\n", err);
        return RT_EINVAL;
    }
    return RT_OK;
}

/* One indicator value as CSV: "," then the value with 17 significant digits (round-trips a
 * double), or just "," when there is none. */
static void put_value(FILE *out, int rc, double v)
{
    if (rc == RT_OK)
        fprintf(out, ",%.17g", v);
    else
        fputc(',', out);
}

static int print_indicators(const rt_candle_t *c, size_t n, FILE *out, FILE *err)
{
    rt_sma_t sma = {0};
    rt_bbands_t bb = {0};
    rt_ema_t ema;
    rt_rsi_t rsi;
    rt_macd_t macd;
    rt_atr_t atr;
    int rc = rt_sma_init(&sma, 20);
    if (rc == RT_OK)
        rc = rt_bbands_init(&bb, 20, 2.0);
    if (rc == RT_OK)
        rc = rt_ema_init(&ema, 20);
    if (rc == RT_OK)
        rc = rt_rsi_init(&rsi, 14);
    if (rc == RT_OK)
        rc = rt_macd_init(&macd, 12, 26, 9);
    if (rc == RT_OK)
        rc = rt_atr_init(&atr, 14);
    if (rc != RT_OK) {
        fprintf(err, "rt-analyzer: indicators: %s\n", rt_strerror(rc));
        goto out;
    }
    fputs("open_time_ms,sma20,ema20,rsi14,macd,macd_signal,macd_hist,bb_upper,bb_middle,"
          "bb_lower,atr14\n",
          out);
    for (size_t i = 0; i < n; i++) {
        double close = rt_money_to_double(c[i].close);
        double high = rt_money_to_double(c[i].high), low = rt_money_to_double(c[i].low);
        double sv = 0, ev = 0, rv = 0, av = 0;
        rt_macd_value_t m = {0};
        rt_bbands_value_t b = {0};
        /* Every indicator is updated first, then printed (argument order is unspecified). */
        int src = rt_sma_update(&sma, close) == RT_OK ? rt_sma_value(&sma, &sv) : RT_EAGAIN;
        int erc = rt_ema_update(&ema, close) == RT_OK ? rt_ema_value(&ema, &ev) : RT_EAGAIN;
        int rrc = rt_rsi_update(&rsi, close) == RT_OK ? rt_rsi_value(&rsi, &rv) : RT_EAGAIN;
        int mrc = rt_macd_update(&macd, close) == RT_OK ? rt_macd_value(&macd, &m) : RT_EAGAIN;
        int brc = rt_bbands_update(&bb, close) == RT_OK ? rt_bbands_value(&bb, &b) : RT_EAGAIN;
        int arc =
            rt_atr_update(&atr, high, low, close) == RT_OK ? rt_atr_value(&atr, &av) : RT_EAGAIN;
        fprintf(out, "%lld", (long long)c[i].open_time);
        put_value(out, src, sv);
        put_value(out, erc, ev);
        put_value(out, rrc, rv);
        put_value(out, mrc, m.macd);
        put_value(out, mrc, m.signal);
        put_value(out, mrc, m.hist);
        put_value(out, brc, b.upper);
        put_value(out, brc, b.middle);
        put_value(out, brc, b.lower);
        put_value(out, arc, av);
        fputc('\n', out);
    }
    rc = ferror(out) ? RT_EIO : RT_OK;
out:
    rt_sma_cleanup(&sma);
    rt_bbands_cleanup(&bb);
    return rc;
}

typedef struct {
    rt_jsonw_t w;
    FILE *out;
    int err;
} printer_t;

static void print_signal(void *ud, const rt_signal_t *sig)
{
    printer_t *p = ud;
    rt_jsonw_reset(&p->w);
    int rc = rt_msg_signal_format(&p->w, sig);
    if (rc == RT_OK)
        rc = rt_jsonw_finish(&p->w);
    if (rc != RT_OK) {
        if (p->err == RT_OK)
            p->err = rc;
        return;
    }
    fwrite(rt_jsonw_data(&p->w), 1, rt_jsonw_len(&p->w), p->out);
    fputc('\n', p->out);
}

/* Applies every --param to each selected strategy that has it; a name no selected strategy
 * knows, or a bad value, is an error. */
static int apply_params(const replay_args_t *a, const an_strategy_t **sel, size_t nsel,
                        an_params_t *params, FILE *err)
{
    for (size_t k = 0; k < a->nparams; k++) {
        const char *eq = strchr(a->params[k], '=');
        char name[64];
        if (eq == NULL ||
            rt_str_copy_n(name, sizeof name, a->params[k], (size_t)(eq - a->params[k])) != RT_OK) {
            fprintf(err, "rt-analyzer: --param %s: expected NAME=VALUE\n", a->params[k]);
            return RT_EINVAL;
        }
        bool used = false;
        for (size_t i = 0; i < nsel; i++) {
            if (an_param_index(sel[i], name) < 0)
                continue;
            char why[AN_ERR_CAP];
            int rc = an_params_set(&params[i], name, eq + 1, why, sizeof why);
            if (rc != RT_OK) {
                fprintf(err, "rt-analyzer: --param %s (%s): %s\n", a->params[k], sel[i]->name, why);
                return rc;
            }
            used = true;
        }
        if (!used) {
            fprintf(err, "rt-analyzer: --param %s: no selected strategy has %s\n", a->params[k],
                    name);
            return RT_EINVAL;
        }
    }
    return RT_OK;
}

int an_replay_main(int argc, char **argv, FILE *out, FILE *err)
{
    replay_args_t a;
    int status = 2;
    rt_candle_t *candles = NULL;
    size_t n = 0;
    an_engine_t *eng = NULL;
    printer_t pr = {.out = out};
    rt_jsonw_init(&pr.w);
    if (parse_args(argc, argv, &a, err) != RT_OK) {
        usage(err);
        goto out;
    }
    size_t line = 0;
    char why[256] = "";
    int rc =
        rt_csv_candles_load(a.file, a.symbol, a.interval, &candles, &n, &line, why, sizeof why);
    if (rc != RT_OK) {
        fprintf(err, "rt-analyzer: %s: %s (%s)\n", a.file, why, rt_strerror(rc));
        goto out;
    }
    if (a.indicators) {
        status = print_indicators(candles, n, out, err) == RT_OK ? 0 : 1;
        goto out;
    }
    if (n == 0) {
        status = 0;
        goto out;
    }
    const an_strategy_t *sel[AN_STRATEGIES_MAX];
    size_t nsel = 0;
    char serr[AN_ERR_CAP];
    if (an_registry_select(a.strategies, sel, AN_STRATEGIES_MAX, &nsel, serr, sizeof serr) !=
        RT_OK) {
        fprintf(err, "rt-analyzer: --strategies %s: %s\n", a.strategies, serr);
        goto out;
    }
    an_params_t params[AN_STRATEGIES_MAX];
    for (size_t i = 0; i < nsel; i++)
        an_params_defaults(&params[i], sel[i]);
    if (apply_params(&a, sel, nsel, params, err) != RT_OK)
        goto out;
    const char *sym = candles[0].symbol;
    rc = an_engine_new(&sym, 1, candles[0].interval, 1, &eng);
    for (size_t i = 0; rc == RT_OK && i < nsel; i++)
        rc = an_engine_configure(eng, (size_t)an_engine_find(eng, sel[i]->name), true, &params[i]);
    if (rc != RT_OK) {
        fprintf(err, "rt-analyzer: engine: %s\n", rt_strerror(rc));
        status = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        an_engine_candle(eng, &candles[i], true, print_signal, &pr);
    if (pr.err != RT_OK) {
        fprintf(err, "rt-analyzer: a signal could not be formatted: %s\n", rt_strerror(pr.err));
        status = 1;
        goto out;
    }
    status = fflush(out) == 0 && !ferror(out) ? 0 : 1;
out:
    an_engine_free(eng);
    free(candles);
    rt_jsonw_cleanup(&pr.w);
    return status;
}
