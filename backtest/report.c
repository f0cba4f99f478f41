/* The backtester's outputs: see report.h. */
#include "backtest/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt/err.h"
#include "rt/jsonw.h"

#define BT_SVG_W 960
#define BT_SVG_H 260
#define BT_SVG_POINTS 1200
#define BT_HTML_TRADES_MAX 5000

static void bt_fmt_time(int64_t ms, char *buf, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%d %H:%M", &tm) == 0)
        snprintf(buf, cap, "%lld", (long long)ms);
}

static const char *bt_money_str(rt_money_t v, char *buf, size_t cap)
{
    if (rt_money_format(v, buf, cap) == 0)
        snprintf(buf, cap, "?");
    return buf;
}

static const char *bt_fill_reason(const bt_fill_t *f)
{
    if (f->reason == BT_REASON_EXIT)
        return tr_exit_reason_name(f->exit);
    return "signal";
}

size_t bt_report_settings(const bt_config_t *cfg, char *buf, size_t cap)
{
    size_t len = 0;
    char v[64], m[RT_MONEY_FMT_MAX];
#define BT_APPEND(...)                                                                             \
    do {                                                                                           \
        int n_ = snprintf(buf + len, cap - len, __VA_ARGS__);                                      \
        if (n_ < 0 || (size_t)n_ >= cap - len)                                                     \
            return 0;                                                                              \
        len += (size_t)n_;                                                                         \
    } while (0)
    if (cap == 0)
        return 0;
    BT_APPEND("strategy=%s", cfg->strategy->name);
    for (size_t i = 0; i < cfg->strategy->param_count; i++) {
        const an_param_def_t *d = &cfg->strategy->params[i];
        if (an_param_format(d, cfg->params.v[i], v, sizeof v) == 0)
            snprintf(v, sizeof v, "?");
        BT_APPEND(" %s=%s", d->name, v);
    }
    /* trader settings in their env units (docs/RISK.md): percent, fraction, bps, plain */
    const tr_settings_t *ts = &cfg->trader;
    struct {
        const char *name;
        rt_money_t v;
        int64_t mul;
    } t[] = {
        {"TRADE_QUANTITY", ts->risk.trade_quantity, 1},
        {"TRADE_QUOTE_QUANTITY", ts->risk.trade_quote_quantity, 1},
        {"RISK_PER_TRADE", ts->risk.risk_per_trade, 1},
        {"MAX_POSITION_PCT", ts->risk.max_position_pct, 100},
        {"MAX_ENTRIES", RT_MONEY_UNITS(ts->risk.max_entries), 1},
        {"MAX_EXPOSURE_PCT", ts->risk.max_exposure_pct, 100},
        {"MAX_OPEN_POSITIONS", RT_MONEY_UNITS(ts->risk.max_open_positions), 1},
        {"COOLDOWN_SECONDS", ts->risk.cooldown_ms * (RT_MONEY_SCALE / 1000), 1},
        {"MAX_DRAWDOWN_PCT", ts->risk.max_drawdown_pct, 100},
        {"DRAWDOWN_WINDOW", ts->risk.drawdown_window_ms * (RT_MONEY_SCALE / 1000), 1},
        {"HALT_EQUITY_RATIO", ts->risk.halt_equity_ratio, 1},
        {"STOP_LOSS_PCT", ts->exits.stop_loss_pct, 100},
        {"TAKE_PROFIT_PCT", ts->exits.take_profit_pct, 100},
        {"ATR_STOP_MULT", ts->exits.atr_stop_mult, 1},
        {"TRAILING_ACTIVATION_PCT", ts->exits.trailing_activation, 100},
        {"TRAILING_PCT", ts->exits.trailing_pct, 100},
        {"PARTIAL_TP_PCT", ts->exits.partial_tp_pct, 100},
        {"PARTIAL_TP_FRACTION", ts->exits.partial_tp_fraction, 1},
        {"BREAKEVEN_PCT", ts->exits.breakeven_pct, 100},
        {"DEMO_FEE_RATE", ts->fill.taker_fee, 1},
        {"DEMO_SLIPPAGE_BPS", ts->fill.slippage, 10000},
        {"CASH", cfg->cash, 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rt_money_t s = t[i].v;
        if (rt_money_mul_frac(s, t[i].mul, 1, RT_ROUND_NEAREST, &s) != RT_OK)
            s = t[i].v;
        BT_APPEND(" %s=%s%s", t[i].name, bt_money_str(s, m, sizeof m),
                  strcmp(t[i].name, "DRAWDOWN_WINDOW") == 0 ? "s" : "");
    }
    BT_APPEND(" FILL=%s", bt_fill_model_name(cfg->fill_model));
#undef BT_APPEND
    return len;
}

size_t bt_report_filters(const bt_report_ctx_t *ctx, char *buf, size_t cap)
{
    size_t len = 0;
    char a[RT_MONEY_FMT_MAX], b[RT_MONEY_FMT_MAX], c[RT_MONEY_FMT_MAX], d[RT_MONEY_FMT_MAX];
    if (cap == 0)
        return 0;
    buf[0] = '\0';
#define BT_APPEND(...)                                                                             \
    do {                                                                                           \
        int n_ = snprintf(buf + len, cap - len, __VA_ARGS__);                                      \
        if (n_ < 0 || (size_t)n_ >= cap - len)                                                     \
            return 0;                                                                              \
        len += (size_t)n_;                                                                         \
    } while (0)
    bool any = false;
    for (size_t i = 0; i < ctx->nseries; i++)
        any = any || ctx->series[i].filters != NULL;
    if (!any) {
        BT_APPEND("none (no tick, step or minimum notional)");
        return len;
    }
    const char *src = ctx->filters_source ? ctx->filters_source : "given";
    BT_APPEND("from ");
    for (const char *p = src; *p != '\0'; p++)
        BT_APPEND("%c", strchr("<>&\"'", *p) != NULL ? '_' : *p);
    for (size_t i = 0; i < ctx->nseries; i++) {
        const tr_filters_t *f = ctx->series[i].filters;
        if (f == NULL) {
            BT_APPEND("; %s none", ctx->series[i].symbol);
            continue;
        }
        rt_money_t notional =
            f->min_notional > f->legacy_min_notional ? f->min_notional : f->legacy_min_notional;
        BT_APPEND("; %s%s tick=%s step=%s min_qty=%s min_notional=%s", ctx->series[i].symbol,
                  f->trading ? "" : " NOT TRADING", bt_money_str(f->tick_size, a, sizeof a),
                  bt_money_str(tr_filters_qty_step(f, TR_ORDER_MARKET), b, sizeof b),
                  bt_money_str(tr_filters_min_qty(f, TR_ORDER_MARKET), c, sizeof c),
                  bt_money_str(notional, d, sizeof d));
    }
#undef BT_APPEND
    return len;
}

int bt_report_summary(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r)
{
    char a[RT_MONEY_FMT_MAX], b[RT_MONEY_FMT_MAX], c[RT_MONEY_FMT_MAX], t0[32], t1[32];
    char settings[2048];
    if (bt_report_settings(ctx->cfg, settings, sizeof settings) == 0)
        snprintf(settings, sizeof settings, "strategy=%s", ctx->cfg->strategy->name);
    bt_fmt_time(r->first_ms, t0, sizeof t0);
    bt_fmt_time(r->last_ms, t1, sizeof t1);
    fprintf(f, "backtest  %s", ctx->series[0].symbol);
    for (size_t i = 1; i < ctx->nseries; i++)
        fprintf(f, ",%s", ctx->series[i].symbol);
    fprintf(f, "  %s -> %s UTC  %zu candles\n", t0, t1, r->candles);
    fprintf(f, "settings  %s\n", settings);
    char filters[2048];
    if (bt_report_filters(ctx, filters, sizeof filters) == 0)
        snprintf(filters, sizeof filters, "?");
    fprintf(f, "filters   %s\n", filters);
    fprintf(f, "signals   %zu (%zu not filled", r->signals, r->skipped);
    const char *sep = ": ";
    for (size_t i = 1; i <= TR_REASON_FILTER_PRICE; i++)
        if (r->refused[i] > 0) {
            fprintf(f, "%s%s %zu", sep, tr_reason_name((tr_reason_t)i), r->refused[i]);
            sep = ", ";
        }
    fprintf(f, ")%s\n", r->halted ? "  HALTED (HALT_EQUITY_RATIO)" : "");
    fprintf(f, "trades    %zu fills, %zu closed (%zu wins, %zu losses), %zu open\n", r->trades,
            r->closed_trades, r->wins, r->losses, r->open_trades);
    fprintf(f, "pnl       net closed %s, fees %s %s\n",
            bt_money_str(r->net_pnl_closed, a, sizeof a), bt_money_str(r->fees, b, sizeof b),
            ctx->series[0].quote_asset);
    fprintf(f, "equity    %s -> %s %s (%+.2f%%)\n", bt_money_str(r->initial_equity, a, sizeof a),
            bt_money_str(r->final_equity, c, sizeof c), ctx->series[0].quote_asset, r->return_pct);
    fprintf(f, "risk      max drawdown %.2f%%, sharpe %.3f, sortino %.3f, profit factor ",
            r->max_drawdown_pct, r->sharpe, r->sortino);
    if (isinf(r->profit_factor))
        fprintf(f, "inf");
    else
        fprintf(f, "%.3f", r->profit_factor);
    fprintf(f, ", exposure %.1f%%\n", r->exposure_pct);
    if (ctx->elapsed_ms >= 0)
        fprintf(f, "elapsed   %lld ms\n", (long long)ctx->elapsed_ms);
    return ferror(f) ? RT_EIO : RT_OK;
}

int bt_report_json(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r)
{
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    char settings[2048];
    if (bt_report_settings(ctx->cfg, settings, sizeof settings) == 0)
        settings[0] = '\0';
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "strategy", ctx->cfg->strategy->name);
    rt_jsonw_key(&w, "symbols");
    rt_jsonw_array_begin(&w);
    for (size_t i = 0; i < ctx->nseries; i++)
        rt_jsonw_string(&w, ctx->series[i].symbol);
    rt_jsonw_array_end(&w);
    rt_jsonw_kv_string(&w, "fill", bt_fill_model_name(ctx->cfg->fill_model));
    rt_jsonw_kv_string(&w, "settings", settings);
    char filters[2048];
    if (bt_report_filters(ctx, filters, sizeof filters) == 0)
        filters[0] = '\0';
    rt_jsonw_kv_string(&w, "filters", filters);
    rt_jsonw_kv_int(&w, "first_time", r->first_ms);
    rt_jsonw_kv_int(&w, "last_time", r->last_ms);
    rt_jsonw_kv_int(&w, "candles", (int64_t)r->candles);
    rt_jsonw_kv_int(&w, "signals", (int64_t)r->signals);
    rt_jsonw_kv_int(&w, "skipped_signals", (int64_t)r->skipped);
    rt_jsonw_key(&w, "refused");
    rt_jsonw_object_begin(&w);
    for (size_t i = 1; i <= TR_REASON_FILTER_PRICE; i++)
        if (r->refused[i] > 0)
            rt_jsonw_kv_int(&w, tr_reason_name((tr_reason_t)i), (int64_t)r->refused[i]);
    rt_jsonw_object_end(&w);
    rt_jsonw_kv_bool(&w, "halted", r->halted);
    rt_jsonw_kv_int(&w, "trades", (int64_t)r->trades);
    rt_jsonw_kv_int(&w, "closed_trades", (int64_t)r->closed_trades);
    rt_jsonw_kv_int(&w, "open_trades", (int64_t)r->open_trades);
    rt_jsonw_kv_int(&w, "wins", (int64_t)r->wins);
    rt_jsonw_kv_int(&w, "losses", (int64_t)r->losses);
    rt_jsonw_kv_money(&w, "net_pnl_closed", r->net_pnl_closed);
    rt_jsonw_kv_money(&w, "gross_profit", r->gross_profit);
    rt_jsonw_kv_money(&w, "gross_loss", r->gross_loss);
    rt_jsonw_kv_money(&w, "fees", r->fees);
    rt_jsonw_kv_money(&w, "initial_equity", r->initial_equity);
    rt_jsonw_kv_money(&w, "final_equity", r->final_equity);
    rt_jsonw_kv_double(&w, "return_pct", r->return_pct);
    rt_jsonw_kv_double(&w, "max_drawdown_pct", r->max_drawdown_pct);
    rt_jsonw_kv_double(&w, "sharpe", r->sharpe);
    rt_jsonw_kv_double(&w, "sortino", r->sortino);
    rt_jsonw_kv_double(&w, "profit_factor", r->profit_factor); /* inf -> null */
    rt_jsonw_kv_double(&w, "exposure_pct", r->exposure_pct);
    if (ctx->elapsed_ms >= 0)
        rt_jsonw_kv_int(&w, "elapsed_ms", ctx->elapsed_ms);
    else
        rt_jsonw_kv_null(&w, "elapsed_ms");
    rt_jsonw_object_end(&w);
    int rc = rt_jsonw_finish(&w);
    if (rc == RT_OK) {
        fwrite(rt_jsonw_data(&w), 1, rt_jsonw_len(&w), f);
        fputc('\n', f);
        if (ferror(f))
            rc = RT_EIO;
    }
    rt_jsonw_cleanup(&w);
    return rc;
}

int bt_report_trades_csv(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r)
{
    char t[32], p[RT_MONEY_FMT_MAX], q[RT_MONEY_FMT_MAX], qq[RT_MONEY_FMT_MAX];
    char fee[RT_MONEY_FMT_MAX], pnl[RT_MONEY_FMT_MAX], cash[RT_MONEY_FMT_MAX];
    fprintf(f, "time_ms,time,symbol,trade,side,reason,price,quantity,quote_quantity,fee,"
               "realized_pnl,cash,signal_id\n");
    for (size_t i = 0; i < r->fill_count; i++) {
        const bt_fill_t *x = &r->fills[i];
        bt_fmt_time(x->time_ms, t, sizeof t);
        fprintf(f, "%lld,%s,%s,%u,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", (long long)x->time_ms, t,
                ctx->series[x->symbol].symbol, x->trade, x->side == RT_SIDE_BUY ? "BUY" : "SELL",
                bt_fill_reason(x), bt_money_str(x->price, p, sizeof p),
                bt_money_str(x->quantity, q, sizeof q),
                bt_money_str(x->quote_quantity, qq, sizeof qq),
                bt_money_str(x->fee, fee, sizeof fee), bt_money_str(x->realized, pnl, sizeof pnl),
                bt_money_str(x->cash, cash, sizeof cash), x->signal_id);
    }
    return ferror(f) ? RT_EIO : RT_OK;
}

int bt_report_signals_csv(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r)
{
    char p[RT_MONEY_FMT_MAX], sl[RT_MONEY_FMT_MAX], tp[RT_MONEY_FMT_MAX];
    fprintf(f, "time_ms,symbol,id,side,price,stop_loss,take_profit,decision\n");
    for (size_t i = 0; i < r->signal_log_count; i++) {
        const bt_signal_rec_t *x = &r->signal_log[i];
        fprintf(f, "%lld,%s,%s,%s,%s,%s,%s,%s\n", (long long)x->time_ms,
                ctx->series[x->symbol].symbol, x->id, x->side == RT_SIDE_BUY ? "BUY" : "SELL",
                bt_money_str(x->price, p, sizeof p), bt_money_str(x->stop_loss, sl, sizeof sl),
                bt_money_str(x->take_profit, tp, sizeof tp),
                x->refused == TR_REASON_NONE ? "accepted" : tr_reason_name(x->refused));
    }
    return ferror(f) ? RT_EIO : RT_OK;
}

/* ---- HTML ------------------------------------------------------------------------------ */

/* A chart: a polyline of (t, y) scaled into the box, thinned to at most BT_SVG_POINTS. */
typedef struct {
    int64_t t0, t1;
    double y0, y1;
} bt_box_t;

static double bt_sx(const bt_box_t *b, int64_t t)
{
    if (b->t1 <= b->t0)
        return 0.0;
    return (double)(t - b->t0) / (double)(b->t1 - b->t0) * (BT_SVG_W - 60) + 50;
}

static double bt_sy(const bt_box_t *b, double y)
{
    if (!(b->y1 > b->y0))
        return BT_SVG_H / 2.0;
    return (1.0 - (y - b->y0) / (b->y1 - b->y0)) * (BT_SVG_H - 30) + 10;
}

static void bt_svg_begin(FILE *f, const bt_box_t *b, const char *title)
{
    fprintf(f, "<h2>%s</h2>\n<svg viewBox=\"0 0 %d %d\" width=\"100%%\">\n", title, BT_SVG_W,
            BT_SVG_H);
    fprintf(f, "<rect x=\"50\" y=\"10\" width=\"%d\" height=\"%d\" class=\"frame\"/>\n",
            BT_SVG_W - 60, BT_SVG_H - 30);
    fprintf(f, "<text x=\"2\" y=\"16\">%.6g</text><text x=\"2\" y=\"%d\">%.6g</text>\n", b->y1,
            BT_SVG_H - 20, b->y0);
    char a[32], z[32];
    bt_fmt_time(b->t0, a, sizeof a);
    bt_fmt_time(b->t1, z, sizeof z);
    fprintf(f,
            "<text x=\"50\" y=\"%d\">%s</text><text x=\"%d\" y=\"%d\" "
            "text-anchor=\"end\">%s</text>\n",
            BT_SVG_H - 4, a, BT_SVG_W - 10, BT_SVG_H - 4, z);
}

typedef double (*bt_val_fn)(const void *base, size_t i, int64_t *t);

static void bt_svg_line(FILE *f, const bt_box_t *b, const void *base, size_t n, bt_val_fn val,
                        const char *cls)
{
    size_t stride = n / BT_SVG_POINTS + 1;
    fprintf(f, "<polyline class=\"%s\" points=\"", cls);
    for (size_t i = 0; i < n; i += stride) {
        int64_t t;
        double y = val(base, i, &t);
        fprintf(f, "%.1f,%.1f ", bt_sx(b, t), bt_sy(b, y));
    }
    if (n > 0 && (n - 1) % stride != 0) {
        int64_t t;
        double y = val(base, n - 1, &t);
        fprintf(f, "%.1f,%.1f", bt_sx(b, t), bt_sy(b, y));
    }
    fprintf(f, "\"/>\n");
}

static double bt_val_equity(const void *base, size_t i, int64_t *t)
{
    const bt_point_t *p = (const bt_point_t *)base + i;
    *t = p->time_ms;
    return rt_money_to_double(p->equity);
}

static double bt_val_close(const void *base, size_t i, int64_t *t)
{
    const rt_candle_t *c = (const rt_candle_t *)base + i;
    *t = c->open_time;
    return rt_money_to_double(c->close);
}

/* The drawdown series is computed on the fly: base is the equity array, and i's value needs
 * the peak before it; callers pass a precomputed array instead. */
static double bt_val_plain(const void *base, size_t i, int64_t *t)
{
    const bt_point_t *p = (const bt_point_t *)base + i;
    *t = p->time_ms;
    return (double)p->equity / 1e6; /* drawdown in percent, stored * 1e6 */
}

static void bt_html_monthly(FILE *f, const bt_result_t *r)
{
    fprintf(f, "<h2>Monthly returns</h2>\n<table><tr><th>month</th><th>start</th><th>end</th>"
               "<th>return</th></tr>\n");
    size_t i = 0;
    while (i < r->equity_count) {
        time_t t = (time_t)(r->equity[i].time_ms / 1000);
        struct tm tm;
        if (gmtime_r(&t, &tm) == NULL)
            break;
        int y = tm.tm_year, mo = tm.tm_mon;
        /* start: the equity before this month's first bar (the previous close), or the first */
        double start = i > 0 ? rt_money_to_double(r->equity[i - 1].equity)
                             : rt_money_to_double(r->initial_equity);
        size_t j = i;
        while (j + 1 < r->equity_count) {
            time_t u = (time_t)(r->equity[j + 1].time_ms / 1000);
            struct tm um;
            if (gmtime_r(&u, &um) == NULL || um.tm_year != y || um.tm_mon != mo)
                break;
            j++;
        }
        double end = rt_money_to_double(r->equity[j].equity);
        double ret = start > 0 ? (end / start - 1.0) * 100.0 : 0.0;
        fprintf(f,
                "<tr><td>%04d-%02d</td><td>%.2f</td><td>%.2f</td><td class=\"%s\">%+.2f%%</td>"
                "</tr>\n",
                y + 1900, mo + 1, start, end, ret >= 0 ? "up" : "down", ret);
        i = j + 1;
    }
    fprintf(f, "</table>\n");
}

static void bt_html_trades(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r)
{
    char t[32], p[RT_MONEY_FMT_MAX], q[RT_MONEY_FMT_MAX], fee[RT_MONEY_FMT_MAX];
    char pnl[RT_MONEY_FMT_MAX];
    fprintf(f,
            "<h2>Trades (%zu fills)</h2>\n<table><tr><th>time (UTC)</th><th>symbol</th>"
            "<th>trade</th><th>side</th><th>reason</th><th>price</th><th>quantity</th>"
            "<th>fee</th><th>realized</th></tr>\n",
            r->fill_count);
    size_t n = r->fill_count < BT_HTML_TRADES_MAX ? r->fill_count : BT_HTML_TRADES_MAX;
    for (size_t i = 0; i < n; i++) {
        const bt_fill_t *x = &r->fills[i];
        bt_fmt_time(x->time_ms, t, sizeof t);
        fprintf(f,
                "<tr><td>%s</td><td>%s</td><td>%u</td><td class=\"%s\">%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
                t, ctx->series[x->symbol].symbol, x->trade, x->side == RT_SIDE_BUY ? "up" : "down",
                x->side == RT_SIDE_BUY ? "BUY" : "SELL", bt_fill_reason(x),
                bt_money_str(x->price, p, sizeof p), bt_money_str(x->quantity, q, sizeof q),
                bt_money_str(x->fee, fee, sizeof fee),
                x->side == RT_SIDE_SELL ? bt_money_str(x->realized, pnl, sizeof pnl) : "");
    }
    if (n < r->fill_count)
        fprintf(f, "<tr><td colspan=\"9\">... %zu more in the trades CSV</td></tr>\n",
                r->fill_count - n);
    fprintf(f, "</table>\n");
}

int bt_report_html(FILE *f, const bt_report_ctx_t *ctx, const bt_result_t *r)
{
    int rc = RT_OK;
    bt_point_t *dd = NULL;
    char settings[2048];
    if (bt_report_settings(ctx->cfg, settings, sizeof settings) == 0)
        settings[0] = '\0';
    fprintf(f,
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>Backtest %s %s"
            "</title>\n<style>\nbody{font-family:sans-serif;margin:20px;color:#222}\n"
            "svg{background:#fafafa;max-width:%dpx}text{font-size:11px;fill:#555}\n"
            ".frame{fill:none;stroke:#ccc}.eq{fill:none;stroke:#1565c0;stroke-width:1.2}\n"
            ".dd{fill:none;stroke:#c62828;stroke-width:1.2}.px{fill:none;stroke:#444;"
            "stroke-width:1}\n.buy{fill:#2e7d32}.sell{fill:#c62828}\n"
            "table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ddd;"
            "padding:2px 6px;text-align:right}\n.up{color:#2e7d32}.down{color:#c62828}\n"
            "pre{white-space:pre-wrap;background:#f4f4f4;padding:8px}\n</style></head><body>\n",
            ctx->cfg->strategy->name, ctx->series[0].symbol, BT_SVG_W);
    fprintf(f, "<h1>Backtest: %s on", ctx->cfg->strategy->name);
    for (size_t i = 0; i < ctx->nseries; i++)
        fprintf(f, " %s", ctx->series[i].symbol);
    fprintf(f, "</h1>\n<pre>");
    rc = bt_report_summary(f, ctx, r);
    if (rc != RT_OK)
        goto out;
    fprintf(f, "</pre>\n");
    if (r->equity_count > 0) {
        bt_box_t b = {r->equity[0].time_ms, r->equity[r->equity_count - 1].time_ms, INFINITY,
                      -INFINITY};
        dd = malloc(r->equity_count * sizeof *dd);
        if (dd == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
        double peak = 0.0, worst = 0.0;
        for (size_t i = 0; i < r->equity_count; i++) {
            double e = rt_money_to_double(r->equity[i].equity);
            if (e < b.y0)
                b.y0 = e;
            if (e > b.y1)
                b.y1 = e;
            if (e > peak)
                peak = e;
            double d = peak > 0 ? (e - peak) / peak * 100.0 : 0.0;
            if (d < worst)
                worst = d;
            dd[i].time_ms = r->equity[i].time_ms;
            dd[i].equity = (rt_money_t)llround(d * 1e6);
        }
        bt_svg_begin(f, &b, "Equity");
        bt_svg_line(f, &b, r->equity, r->equity_count, bt_val_equity, "eq");
        fprintf(f, "</svg>\n");
        bt_box_t db = {b.t0, b.t1, worst < 0 ? worst : -1.0, 0.0};
        bt_svg_begin(f, &db, "Drawdown (%)");
        bt_svg_line(f, &db, dd, r->equity_count, bt_val_plain, "dd");
        fprintf(f, "</svg>\n");
    }
    for (size_t s = 0; s < ctx->nseries; s++) {
        const bt_series_t *se = &ctx->series[s];
        bt_box_t b = {se->candles[0].open_time, se->candles[se->count - 1].open_time, INFINITY,
                      -INFINITY};
        for (size_t i = 0; i < se->count; i++) {
            double lo = rt_money_to_double(se->candles[i].low);
            double hi = rt_money_to_double(se->candles[i].high);
            if (lo < b.y0)
                b.y0 = lo;
            if (hi > b.y1)
                b.y1 = hi;
        }
        char title[96];
        snprintf(title, sizeof title, "%s close, entries (green) and exits (red)", se->symbol);
        bt_svg_begin(f, &b, title);
        bt_svg_line(f, &b, se->candles, se->count, bt_val_close, "px");
        for (size_t i = 0; i < r->fill_count; i++) {
            const bt_fill_t *x = &r->fills[i];
            if (x->symbol != s)
                continue;
            double px = bt_sx(&b, x->time_ms), py = bt_sy(&b, rt_money_to_double(x->price));
            if (x->side == RT_SIDE_BUY)
                fprintf(f, "<path class=\"buy\" d=\"M%.1f %.1fl-4 8h8z\"/>\n", px, py);
            else
                fprintf(f, "<path class=\"sell\" d=\"M%.1f %.1fl-4 -8h8z\"/>\n", px, py);
        }
        fprintf(f, "</svg>\n");
    }
    bt_html_monthly(f, r);
    bt_html_trades(f, ctx, r);
    char filters[2048];
    if (bt_report_filters(ctx, filters, sizeof filters) == 0)
        filters[0] = '\0';
    fprintf(f, "<h2>Settings</h2>\n<pre>%s\nexchange filters: %s</pre>\n</body></html>\n", settings,
            filters);
    rc = ferror(f) ? RT_EIO : RT_OK;
out:
    free(dd);
    return rc;
}
