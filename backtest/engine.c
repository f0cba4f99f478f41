/* The backtester's engine: see engine.h. */
#include "backtest/engine.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rt/err.h"
#include "tr_books.h"

/* ---- small helpers ----------------------------------------------------------------------- */

static void bt_errf(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void bt_errf(char *err, size_t cap, const char *fmt, ...)
{
    if (err == NULL || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    if (n < 0)
        err[0] = '\0';
}

const char *bt_fill_model_name(bt_fill_model_t m)
{
    return m == BT_FILL_NEXT_OPEN ? "next_open" : "close";
}

int bt_fill_model_parse(const char *s, bt_fill_model_t *out)
{
    if (s == NULL || out == NULL)
        return RT_EINVAL;
    if (strcmp(s, "close") == 0) {
        *out = BT_FILL_CLOSE;
        return RT_OK;
    }
    if (strcmp(s, "next_open") == 0 || strcmp(s, "next-open") == 0) {
        *out = BT_FILL_NEXT_OPEN;
        return RT_OK;
    }
    return RT_EINVAL;
}

int bt_split_symbol(const char *symbol, char *base, size_t base_cap, char *quote,
                    size_t quote_cap)
{
    static const char *const quotes[] = {"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "USD",
                                         "EUR",   "BTC",  "ETH",  "BNB"};
    if (symbol == NULL || base == NULL || quote == NULL)
        return RT_EINVAL;
    size_t n = strlen(symbol);
    size_t best = 0;
    for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
        size_t q = strlen(quotes[i]);
        if (q < n && q > best && memcmp(symbol + n - q, quotes[i], q) == 0)
            best = q;
    }
    if (best == 0 || n - best + 1 > base_cap || best + 1 > quote_cap)
        return RT_EINVAL;
    memcpy(base, symbol, n - best);
    base[n - best] = '\0';
    memcpy(quote, symbol + n - best, best + 1);
    return RT_OK;
}

/* ---- configuration ----------------------------------------------------------------------- */

void bt_config_default(bt_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->strategy = an_registry_find("SimpleMA_Cross");
    if (cfg->strategy != NULL)
        an_params_defaults(&cfg->params, cfg->strategy);
    tr_fill_config_default(&cfg->fill);
    tr_exit_config_default(&cfg->exits);
    cfg->fill_model = BT_FILL_NEXT_OPEN;
    cfg->cash = RT_MONEY_UNITS(10000);
    cfg->quantity = 0;
    cfg->risk_pct = RT_MONEY_SCALE / 100;
    cfg->record = false;
}

/* How a trader-side value is written in env: percent, a fraction, basis points, a plain
 * multiple or a quantity. */
typedef enum { U_PCT, U_FRAC, U_BPS, U_PLAIN } bt_unit_t;

typedef struct {
    const char *name;
    bt_unit_t unit;
    size_t offset; /* into bt_config_t */
    const char *help;
} bt_setting_t;

#define BT_OFF(f) offsetof(bt_config_t, f)
static const bt_setting_t bt_settings[] = {
    {"STOP_LOSS_PCT", U_PCT, BT_OFF(exits.stop_loss_pct), "percent below entry, 0 = off"},
    {"TAKE_PROFIT_PCT", U_PCT, BT_OFF(exits.take_profit_pct), "percent above entry, 0 = off"},
    {"ATR_STOP_MULT", U_PLAIN, BT_OFF(exits.atr_stop_mult), "stop at entry - k x ATR"},
    {"TRAILING_ACTIVATION_PCT", U_PCT, BT_OFF(exits.trailing_activation), "gain that arms it"},
    {"TRAILING_PCT", U_PCT, BT_OFF(exits.trailing_pct), "percent below the high, 0 = off"},
    {"PARTIAL_TP_PCT", U_PCT, BT_OFF(exits.partial_tp_pct), "gain that sells a part"},
    {"PARTIAL_TP_FRACTION", U_FRAC, BT_OFF(exits.partial_tp_fraction), "fraction sold"},
    {"BREAKEVEN_PCT", U_PCT, BT_OFF(exits.breakeven_pct), "gain that moves the stop to entry"},
    {"DEMO_FEE_RATE", U_FRAC, BT_OFF(fill.taker_fee), "fee fraction (0.001 = 0.1%)"},
    {"DEMO_SLIPPAGE_BPS", U_BPS, BT_OFF(fill.slippage), "basis points"},
    {"RISK_PER_TRADE_PCT", U_PCT, BT_OFF(risk_pct), "percent of equity lost at the stop"},
    {"TRADE_QUANTITY", U_PLAIN, BT_OFF(quantity), "base quantity per entry, 0 = risk sizing"},
};
#define BT_SETTINGS_N (sizeof bt_settings / sizeof bt_settings[0])

size_t bt_config_trader_names(char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < BT_SETTINGS_N; i++) {
        int n = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", bt_settings[i].name);
        if (n < 0 || (size_t)n >= cap - len)
            return 0;
        len += (size_t)n;
    }
    return len;
}

static int bt_set_trader(bt_config_t *cfg, const bt_setting_t *s, const char *value, char *err,
                         size_t cap)
{
    rt_money_t v;
    int rc = rt_money_parse(value, &v);
    if (rc != RT_OK || v < 0) {
        bt_errf(err, cap, "%s=%s: a non-negative decimal number (%s)", s->name, value, s->help);
        return rc == RT_ERANGE ? RT_ERANGE : RT_EINVAL;
    }
    switch (s->unit) {
    case U_PCT:
        rc = rt_money_mul_frac(v, 1, 100, RT_ROUND_NEAREST, &v);
        break;
    case U_BPS:
        rc = rt_money_mul_frac(v, 1, 10000, RT_ROUND_NEAREST, &v);
        break;
    case U_FRAC:
    case U_PLAIN:
        break;
    }
    if (rc != RT_OK) {
        bt_errf(err, cap, "%s=%s: out of range", s->name, value);
        return RT_ERANGE;
    }
    bt_config_t next = *cfg;
    memcpy((char *)&next + s->offset, &v, sizeof v);
    if (s->offset == BT_OFF(fill.taker_fee))
        next.fill.maker_fee = v;
    if (tr_exit_config_check(&next.exits) != RT_OK || tr_fill_config_check(&next.fill) != RT_OK ||
        next.risk_pct > RT_MONEY_SCALE) {
        bt_errf(err, cap, "%s=%s: out of range (%s)", s->name, value, s->help);
        return RT_ERANGE;
    }
    *cfg = next;
    return RT_OK;
}

int bt_config_set(bt_config_t *cfg, const char *name, const char *value, char *err, size_t cap)
{
    if (cfg == NULL || name == NULL || value == NULL)
        return RT_EINVAL;
    for (size_t i = 0; i < BT_SETTINGS_N; i++)
        if (strcmp(name, bt_settings[i].name) == 0)
            return bt_set_trader(cfg, &bt_settings[i], value, err, cap);
    if (cfg->strategy == NULL)
        return RT_EINVAL;
    char why[AN_ERR_CAP];
    why[0] = '\0';
    int rc = an_params_set(&cfg->params, name, value, why, sizeof why);
    if (rc == RT_ENOTFOUND) {
        char names[512];
        char list[AN_ERR_CAP];
        size_t len = 0;
        list[0] = '\0';
        for (size_t i = 0; i < cfg->strategy->param_count; i++) {
            int n = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "",
                             cfg->strategy->params[i].name);
            if (n < 0 || (size_t)n >= sizeof list - len)
                break;
            len += (size_t)n;
        }
        if (bt_config_trader_names(names, sizeof names) == 0)
            names[0] = '\0';
        bt_errf(err, cap, "unknown parameter %s; %s takes: %s; trader settings: %s", name,
                cfg->strategy->name, list, names);
        return rc;
    }
    if (rc != RT_OK)
        bt_errf(err, cap, "%s", why);
    return rc;
}

/* ---- metrics ----------------------------------------------------------------------------- */

void bt_stats_init(bt_stats_t *s)
{
    memset(s, 0, sizeof *s);
}

void bt_stats_add(bt_stats_t *s, double e)
{
    if (s->n == 0) {
        s->peak = e;
        s->prev = e;
        s->n = 1;
        return;
    }
    s->n++;
    if (e == s->prev) { /* flat bar (the common case): a zero return, no division */
        s->nret++;
        return;
    }
    if (s->prev > 0.0) {
        double r = e / s->prev - 1.0;
        s->nret++;
        s->sum += r;
        s->sum2 += r * r;
        if (r < 0.0)
            s->down2 += r * r;
    }
    if (e > s->peak) {
        s->peak = e;
    } else if (s->peak > 0.0) {
        double dd = (s->peak - e) / s->peak;
        if (dd > s->max_dd)
            s->max_dd = dd;
    }
    s->prev = e;
}

double bt_stats_sharpe(const bt_stats_t *s, double ppy)
{
    if (s->nret < 2)
        return 0.0;
    double n = (double)s->nret;
    double mean = s->sum / n;
    double var = (s->sum2 - s->sum * mean) / (n - 1.0);
    if (!(var > 1e-300))
        return 0.0;
    return mean / sqrt(var) * sqrt(ppy);
}

double bt_stats_sortino(const bt_stats_t *s, double ppy)
{
    if (s->nret == 0 || !(s->down2 > 0.0))
        return 0.0;
    double n = (double)s->nret;
    return s->sum / n / sqrt(s->down2 / n) * sqrt(ppy);
}

double bt_stats_max_dd_pct(const bt_stats_t *s)
{
    return s->max_dd * 100.0;
}

void bt_result_cleanup(bt_result_t *r)
{
    if (r == NULL)
        return;
    free(r->fills);
    free(r->equity);
    memset(r, 0, sizeof *r);
}

/* ---- the run ----------------------------------------------------------------------------- */

typedef enum { PEND_NONE = 0, PEND_BUY, PEND_SELL } bt_pending_t;

typedef struct {
    const bt_series_t *series;
    tr_filters_t filters;
    void *strat;          /* the strategy's state */
    size_t next;          /* next candle index */
    tr_position_t pos;
    bool open;
    uint32_t trade;       /* current round trip number */
    rt_money_t trip_pnl;  /* realized so far in this round trip */
    rt_money_t last_close;
    bt_pending_t pending;
    rt_signal_t signal;   /* the pending order's signal */
} bt_sym_t;

typedef struct {
    const bt_config_t *cfg;
    bt_result_t *res;
    tr_books_t *books;
    bt_sym_t *syms;
    size_t nsyms;
    rt_money_t cash; /* the quote asset's free balance, mirrored from the books */
    const char *quote;
    size_t fill_cap, eq_cap;
    char *err;
    size_t cap;
} bt_run_t;

static int bt_push_fill(bt_run_t *run, const bt_fill_t *f)
{
    bt_result_t *r = run->res;
    if (r->fill_count == run->fill_cap) {
        size_t ncap = run->fill_cap ? run->fill_cap * 2 : 64;
        bt_fill_t *p = realloc(r->fills, ncap * sizeof *p);
        if (p == NULL)
            return RT_ENOMEM;
        r->fills = p;
        run->fill_cap = ncap;
    }
    r->fills[r->fill_count++] = *f;
    return RT_OK;
}

static int bt_push_point(bt_run_t *run, int64_t t, rt_money_t e)
{
    bt_result_t *r = run->res;
    if (r->equity_count == run->eq_cap) {
        size_t ncap = run->eq_cap ? run->eq_cap * 2 : 1024;
        bt_point_t *p = realloc(r->equity, ncap * sizeof *p);
        if (p == NULL)
            return RT_ENOMEM;
        r->equity = p;
        run->eq_cap = ncap;
    }
    r->equity[r->equity_count].time_ms = t;
    r->equity[r->equity_count].equity = e;
    r->equity_count++;
    return RT_OK;
}

/* Executes a MARKET order of qty at reference price ref through the demo fill model and the
 * books; records the fill. On RT_ESTATE (not enough cash) nothing changes. */
static int bt_execute(bt_run_t *run, bt_sym_t *s, rt_side_t side, rt_money_t qty, rt_money_t ref,
                      int64_t t, bt_reason_t reason, tr_exit_reason_t exit, const char *sig_id,
                      tr_fill_result_t *fr)
{
    int rc = tr_fill_market(&run->cfg->fill, &s->filters, side, qty, ref, fr);
    if (rc != RT_OK) {
        bt_errf(run->err, run->cap, "%s: fill model refused %s %lld units at %lld: %s",
                s->series->symbol, side == RT_SIDE_BUY ? "BUY" : "SELL", (long long)qty,
                (long long)ref, rt_strerror(rc));
        return rc;
    }
    tr_fill_pnl_t pnl;
    rc = tr_books_apply_fills(run->books, &s->filters, run->cfg->strategy->name, fr, t, &pnl);
    if (rc != RT_OK)
        return rc; /* RT_ESTATE: not enough cash, handled by the caller */
    tr_balance_t bal;
    rc = tr_books_balance(run->books, run->quote, &bal);
    if (rc != RT_OK)
        return rc;
    run->cash = bal.free;
    bt_result_t *r = run->res;
    r->trades++;
    r->fees += pnl.fee_quote;
    if (side == RT_SIDE_SELL)
        s->trip_pnl += pnl.realized;
    if (run->cfg->record) {
        bt_fill_t f;
        memset(&f, 0, sizeof f);
        f.time_ms = t;
        f.symbol = (uint32_t)(s - run->syms);
        f.trade = s->trade;
        f.side = side;
        f.reason = reason;
        f.exit = exit;
        f.price = fr->fills[0].price;
        f.quantity = fr->fills[0].quantity;
        f.quote_quantity = fr->fills[0].quote_quantity;
        f.fee = fr->fills[0].fee;
        f.realized = side == RT_SIDE_SELL ? pnl.realized : 0;
        f.cash = run->cash;
        if (sig_id != NULL)
            snprintf(f.signal_id, sizeof f.signal_id, "%s", sig_id);
        rc = bt_push_fill(run, &f);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

/* Equity now: cash plus every open position at its last close (rounded down). */
static int bt_equity(const bt_run_t *run, rt_money_t *out)
{
    rt_money_t e = run->cash;
    for (size_t i = 0; i < run->nsyms; i++) {
        const bt_sym_t *s = &run->syms[i];
        if (!s->open)
            continue;
        rt_money_t v;
        int rc = rt_money_mul(s->pos.quantity, s->last_close, RT_ROUND_DOWN, &v);
        if (rc == RT_OK)
            rc = rt_money_add(e, v, &e);
        if (rc != RT_OK)
            return rc;
    }
    *out = e;
    return RT_OK;
}

static void bt_close_trip(bt_run_t *run, bt_sym_t *s)
{
    bt_result_t *r = run->res;
    r->closed_trades++;
    r->net_pnl_closed += s->trip_pnl;
    if (s->trip_pnl > 0) {
        r->wins++;
        r->gross_profit += s->trip_pnl;
    } else {
        r->losses++;
        r->gross_loss -= s->trip_pnl;
    }
    s->open = false;
    s->trip_pnl = 0;
}

/* The ATR a signal carries in its metadata ("atr"), 0 when none. */
static rt_money_t bt_signal_atr(const rt_signal_t *sig)
{
    for (size_t i = 0; i < sig->meta_count; i++)
        if (strcmp(sig->meta[i].key, "atr") == 0) {
            rt_money_t v;
            if (rt_money_from_double(sig->meta[i].value, &v) == RT_OK && v > 0)
                return v;
        }
    return 0;
}

/* The entry quantity at reference price ref: fixed, or risk-based and capped by the cash. */
static int bt_entry_qty(bt_run_t *run, const rt_signal_t *sig, rt_money_t ref, rt_money_t *out)
{
    const bt_config_t *cfg = run->cfg;
    if (cfg->quantity > 0) {
        *out = cfg->quantity;
        return RT_OK;
    }
    /* What the cash buys at the slipped price with the fee on top (rounded down). */
    rt_money_t one = RT_MONEY_SCALE, px, k, cap_qty;
    int rc = rt_money_add(one, cfg->fill.slippage, &k);
    if (rc == RT_OK)
        rc = rt_money_mul(ref, k, RT_ROUND_UP, &px);
    if (rc == RT_OK)
        rc = rt_money_add(one, cfg->fill.taker_fee, &k);
    if (rc == RT_OK)
        rc = rt_money_mul(px, k, RT_ROUND_UP, &px);
    if (rc == RT_OK)
        rc = rt_money_div(run->cash, px, RT_ROUND_DOWN, &cap_qty);
    if (rc != RT_OK)
        return rc;
    rt_money_t stop = 0;
    rc = tr_exit_stop_for(&cfg->exits, ref, sig->stop_loss, bt_signal_atr(sig), &stop);
    if (rc != RT_OK)
        return rc;
    rt_money_t qty = cap_qty;
    if (stop > 0 && stop < ref && cfg->risk_pct > 0) {
        rt_money_t eq, risk, q;
        rc = bt_equity(run, &eq);
        if (rc == RT_OK)
            rc = rt_money_mul(eq, cfg->risk_pct, RT_ROUND_DOWN, &risk);
        if (rc == RT_OK)
            rc = rt_money_div(risk, ref - stop, RT_ROUND_DOWN, &q);
        if (rc != RT_OK)
            return rc;
        if (q < qty)
            qty = q;
    }
    *out = qty;
    return RT_OK;
}

static int bt_enter(bt_run_t *run, bt_sym_t *s, const rt_signal_t *sig, rt_money_t ref,
                    int64_t t)
{
    rt_money_t qty;
    int rc = bt_entry_qty(run, sig, ref, &qty);
    if (rc != RT_OK)
        return rc;
    if (qty <= 0) {
        run->res->skipped++;
        return RT_OK;
    }
    s->trade = (uint32_t)(run->res->closed_trades + run->res->open_trades + 1);
    tr_fill_result_t fr;
    /* Risk sizing rounds the affordable quantity down, but the fill rounds amounts up: step
     * down a few units when the fill costs a hair more than the cash. */
    for (int tries = 0;; tries++) {
        rc = bt_execute(run, s, RT_SIDE_BUY, qty, ref, t, BT_REASON_SIGNAL, TR_EXIT_NONE, sig->id,
                        &fr);
        if (rc != RT_ESTATE)
            break;
        if (run->cfg->quantity > 0 || tries == 8 || qty <= 1) {
            run->res->skipped++; /* not enough cash */
            return RT_OK;
        }
        qty -= 1 + qty / 1000000;
    }
    if (rc != RT_OK)
        return rc;
    tr_entry_t e;
    memset(&e, 0, sizeof e);
    e.price = fr.fills[0].price;
    e.quantity = fr.fills[0].quantity;
    e.stop_loss = sig->stop_loss;
    e.take_profit = sig->take_profit;
    e.atr = bt_signal_atr(sig);
    e.time_ms = t;
    rc = tr_position_open(&s->pos, &run->cfg->exits, s->series->symbol, run->cfg->strategy->name,
                          &e);
    if (rc != RT_OK) {
        bt_errf(run->err, run->cap, "%s: position manager refused the entry: %s",
                s->series->symbol, rt_strerror(rc));
        return rc;
    }
    s->open = true;
    s->trip_pnl = 0;
    run->res->open_trades++;
    return RT_OK;
}

static int bt_sell_all(bt_run_t *run, bt_sym_t *s, rt_money_t ref, int64_t t, bt_reason_t reason,
                       tr_exit_reason_t exit, const char *sig_id, rt_money_t qty)
{
    tr_fill_result_t fr;
    int rc = bt_execute(run, s, RT_SIDE_SELL, qty, ref, t, reason, exit, sig_id, &fr);
    if (rc != RT_OK)
        return rc;
    rc = tr_position_reduce(&s->pos, qty);
    if (rc != RT_OK)
        return rc;
    if (!tr_position_is_open(&s->pos)) {
        run->res->open_trades--;
        bt_close_trip(run, s);
    }
    return RT_OK;
}

static int bt_act(bt_run_t *run, bt_sym_t *s, bt_pending_t what, const rt_signal_t *sig,
                  rt_money_t ref, int64_t t)
{
    if (what == PEND_BUY) {
        if (s->open) {
            run->res->skipped++;
            return RT_OK;
        }
        return bt_enter(run, s, sig, ref, t);
    }
    if (!s->open) {
        run->res->skipped++;
        return RT_OK;
    }
    return bt_sell_all(run, s, ref, t, BT_REASON_SIGNAL, TR_EXIT_NONE, sig->id, s->pos.quantity);
}

/* Step 2: the position manager on this candle. */
static int bt_exits(bt_run_t *run, bt_sym_t *s, const rt_candle_t *c)
{
    tr_exit_t ex;
    int rc = tr_position_on_candle(&s->pos, &run->cfg->exits, &s->filters, c->high, c->low,
                                   c->close, &ex);
    if (rc != RT_OK) {
        bt_errf(run->err, run->cap, "%s: position manager failed at %lld: %s", s->series->symbol,
                (long long)c->open_time, rt_strerror(rc));
        return rc;
    }
    if (ex.reason == TR_EXIT_NONE)
        return RT_OK;
    rt_money_t ref = ex.level;
    if (ex.reason == TR_EXIT_STOP_LOSS || ex.reason == TR_EXIT_TRAILING_STOP) {
        if (c->open < ref)
            ref = c->open; /* opened beyond the stop: the first price was the open */
    }
    if (ref > c->high)
        ref = c->high;
    if (ref < c->low)
        ref = c->low;
    rt_money_t qty = ex.quantity;
    if (qty > s->pos.quantity)
        qty = s->pos.quantity;
    if (qty > 0) {
        tr_fill_result_t fr;
        rc = bt_execute(run, s, RT_SIDE_SELL, qty, ref, c->open_time, BT_REASON_EXIT, ex.reason,
                        NULL, &fr);
        if (rc == RT_OK)
            rc = tr_position_reduce(&s->pos, qty);
        if (rc != RT_OK)
            return rc;
    }
    rc = tr_position_settle(&s->pos, true);
    if (rc != RT_OK)
        return rc;
    if (ex.full || !tr_position_is_open(&s->pos)) {
        run->res->open_trades--;
        bt_close_trip(run, s);
    }
    return RT_OK;
}

static int bt_candle(bt_run_t *run, bt_sym_t *s, const rt_candle_t *c)
{
    int rc;
    /* 1. the order pending from the previous candle fills at this open */
    if (s->pending != PEND_NONE) {
        bt_pending_t what = s->pending;
        s->pending = PEND_NONE;
        rc = bt_act(run, s, what, &s->signal, c->open, c->open_time);
        if (rc != RT_OK)
            return rc;
    }
    /* 2. exits on this candle's range */
    if (s->open) {
        rc = bt_exits(run, s, c);
        if (rc != RT_OK)
            return rc;
    }
    s->last_close = c->close;
    /* 3. the strategy on the closed candle */
    rt_signal_t *sig = &s->signal;
    rc = run->cfg->strategy->on_candle(s->strat, c, sig);
    if (rc < 0) {
        bt_errf(run->err, run->cap, "%s: strategy %s failed at %lld: %s", s->series->symbol,
                run->cfg->strategy->name, (long long)c->open_time, rt_strerror(rc));
        return rc;
    }
    if (rc == 0)
        return RT_OK;
    run->res->signals++;
    bt_pending_t what = sig->side == RT_SIDE_BUY ? PEND_BUY : PEND_SELL;
    if (run->cfg->fill_model == BT_FILL_NEXT_OPEN) {
        s->pending = what;
        return RT_OK;
    }
    return bt_act(run, s, what, sig, c->close, c->open_time);
}

static int bt_check_inputs(const bt_config_t *cfg, const bt_series_t *series, size_t nseries,
                           char *err, size_t cap)
{
    if (cfg == NULL || cfg->strategy == NULL || cfg->params.strategy != cfg->strategy) {
        bt_errf(err, cap, "no strategy, or parameters of another strategy");
        return RT_EINVAL;
    }
    if (series == NULL || nseries == 0 || nseries > BT_SYMBOLS_MAX) {
        bt_errf(err, cap, "between 1 and %d symbols are needed", BT_SYMBOLS_MAX);
        return RT_EINVAL;
    }
    if (cfg->cash <= 0 || cfg->quantity < 0 || cfg->risk_pct < 0) {
        bt_errf(err, cap, "cash must be > 0, quantity and risk >= 0");
        return RT_EINVAL;
    }
    if (tr_fill_config_check(&cfg->fill) != RT_OK || tr_exit_config_check(&cfg->exits) != RT_OK) {
        bt_errf(err, cap, "bad fee, slippage or exit settings");
        return RT_EINVAL;
    }
    char why[AN_ERR_CAP];
    if (cfg->strategy->check != NULL && cfg->strategy->check(&cfg->params, why, sizeof why)) {
        bt_errf(err, cap, "%s", why);
        return RT_EINVAL;
    }
    for (size_t i = 0; i < nseries; i++) {
        const bt_series_t *s = &series[i];
        if (s->count == 0 || s->candles == NULL) {
            bt_errf(err, cap, "%s: no candles", s->symbol);
            return RT_EINVAL;
        }
        if (strcmp(s->quote_asset, series[0].quote_asset) != 0) {
            bt_errf(err, cap, "%s is quoted in %s, %s in %s: one quote asset per run",
                    s->symbol, s->quote_asset, series[0].symbol, series[0].quote_asset);
            return RT_EINVAL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(series[j].symbol, s->symbol) == 0) {
                bt_errf(err, cap, "symbol %s given twice", s->symbol);
                return RT_EINVAL;
            }
    }
    return RT_OK;
}

static int bt_finish_bar(bt_run_t *run, bt_stats_t *st, int64_t t, size_t *exposed)
{
    rt_money_t e;
    int rc = bt_equity(run, &e);
    if (rc != RT_OK)
        return rc;
    run->res->bars++;
    if (run->res->open_trades > 0)
        (*exposed)++;
    bt_stats_add(st, (double)e);
    if (run->cfg->record)
        return bt_push_point(run, t, e);
    return RT_OK;
}

int bt_run(const bt_config_t *cfg, const bt_series_t *series, size_t nseries, bt_result_t *out,
           char *err, size_t cap)
{
    if (out == NULL)
        return RT_EINVAL;
    int rc = bt_check_inputs(cfg, series, nseries, err, cap);
    if (rc != RT_OK)
        return rc;
    bt_result_t res;
    memset(&res, 0, sizeof res);
    bt_sym_t syms[BT_SYMBOLS_MAX];
    memset(syms, 0, sizeof syms);
    bt_run_t run = {.cfg = cfg, .res = &res, .syms = syms, .nsyms = nseries,
                    .cash = cfg->cash, .quote = series[0].quote_asset, .err = err, .cap = cap};
    rc = tr_books_new(&run.books);
    if (rc != RT_OK)
        goto out;
    rc = tr_books_deposit(run.books, run.quote, cfg->cash);
    if (rc != RT_OK)
        goto out;
    for (size_t i = 0; i < nseries; i++) {
        bt_sym_t *s = &syms[i];
        s->series = &series[i];
        tr_filters_init(&s->filters);
        snprintf(s->filters.symbol, sizeof s->filters.symbol, "%s", series[i].symbol);
        snprintf(s->filters.base_asset, sizeof s->filters.base_asset, "%s",
                 series[i].base_asset);
        snprintf(s->filters.quote_asset, sizeof s->filters.quote_asset, "%s",
                 series[i].quote_asset);
        s->filters.trading = true;
        rc = cfg->strategy->state_new(&cfg->params, &s->strat);
        if (rc != RT_OK) {
            bt_errf(err, cap, "%s: cannot make the strategy's state: %s", series[i].symbol,
                    rt_strerror(rc));
            goto out;
        }
    }
    res.initial_equity = cfg->cash;
    bt_stats_t st;
    bt_stats_init(&st);
    bt_stats_add(&st, (double)cfg->cash); /* the curve starts from the cash */
    size_t exposed = 0;
    int64_t bar = INT64_MIN;
    res.first_ms = INT64_MAX;
    for (;;) {
        /* the symbol whose next candle is earliest (series order on equal times) */
        bt_sym_t *s = NULL;
        if (nseries == 1) {
            if (syms[0].next < series[0].count)
                s = &syms[0];
        } else {
            for (size_t i = 0; i < nseries; i++)
                if (syms[i].next < series[i].count &&
                    (s == NULL || series[i].candles[syms[i].next].open_time <
                                      s->series->candles[s->next].open_time))
                    s = &syms[i];
        }
        if (s == NULL)
            break;
        size_t k = s->next++;
        const rt_candle_t *c = &s->series->candles[k];
        if (k > 0 && c->open_time <= s->series->candles[k - 1].open_time) {
            /* checked here rather than in a pass of its own: one walk over the candles */
            bt_errf(err, cap, "%s: candle %zu (open time %lld) is %s candle %zu (%lld)",
                    s->series->symbol, k + 1, (long long)c->open_time,
                    c->open_time == s->series->candles[k - 1].open_time ? "a duplicate of"
                                                                         : "earlier than",
                    k, (long long)s->series->candles[k - 1].open_time);
            rc = RT_EINVAL;
            goto out;
        }
        if (c->open_time != bar) {
            if (bar != INT64_MIN) {
                rc = bt_finish_bar(&run, &st, bar, &exposed);
                if (rc != RT_OK)
                    goto out;
            }
            bar = c->open_time;
            if (bar < res.first_ms)
                res.first_ms = bar;
        }
        res.candles++;
        rc = bt_candle(&run, s, c);
        if (rc != RT_OK)
            goto out;
    }
    rc = bt_finish_bar(&run, &st, bar, &exposed);
    if (rc != RT_OK)
        goto out;
    res.last_ms = bar;
    rc = bt_equity(&run, &res.final_equity);
    if (rc != RT_OK)
        goto out;
    res.bar_ms = series[0].candles[0].close_time - series[0].candles[0].open_time + 1;
    if (res.bar_ms <= 0)
        res.bar_ms = 60000;
    double ppy = 365.0 * 86400000.0 / (double)res.bar_ms;
    res.return_pct = ((double)res.final_equity - (double)res.initial_equity) /
                     (double)res.initial_equity * 100.0;
    res.max_drawdown_pct = bt_stats_max_dd_pct(&st);
    res.sharpe = bt_stats_sharpe(&st, ppy);
    res.sortino = bt_stats_sortino(&st, ppy);
    if (res.gross_loss > 0)
        res.profit_factor = (double)res.gross_profit / (double)res.gross_loss;
    else
        res.profit_factor = res.gross_profit > 0 ? INFINITY : 0.0;
    res.exposure_pct = res.bars ? (double)exposed / (double)res.bars * 100.0 : 0.0;
    *out = res;
    memset(&res, 0, sizeof res);
    rc = RT_OK;
out:
    for (size_t i = 0; i < nseries; i++)
        if (syms[i].strat != NULL)
            cfg->strategy->state_free(syms[i].strat);
    tr_books_free(run.books);
    bt_result_cleanup(&res);
    if (rc != RT_OK && err != NULL && err[0] == '\0')
        bt_errf(err, cap, "backtest failed: %s", rt_strerror(rc));
    return rc;
}
