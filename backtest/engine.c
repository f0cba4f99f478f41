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

static void bt_errf(char *err, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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

int bt_split_symbol(const char *symbol, char *base, size_t base_cap, char *quote, size_t quote_cap)
{
    static const char *const quotes[] = {"FDUSD", "USDT", "USDC", "BUSD", "TUSD",
                                         "USD",   "EUR",  "BTC",  "ETH",  "BNB"};
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
    tr_settings_default(&cfg->trader);
    cfg->fill_model = BT_FILL_NEXT_OPEN;
    cfg->cash = RT_MONEY_UNITS(10000);
    cfg->record = false;
}

size_t bt_config_trader_names(char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < tr_setting_var_count; i++) {
        if (strcmp(tr_setting_vars[i].name, "DEMO_BALANCES") == 0)
            continue; /* the backtest's balance is --cash */
        int n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", tr_setting_vars[i].name);
        if (n < 0 || (size_t)n >= cap - len)
            return 0;
        len += (size_t)n;
    }
    return len;
}

int bt_config_set(bt_config_t *cfg, const char *name, const char *value, char *err, size_t cap)
{
    if (cfg == NULL || name == NULL || value == NULL)
        return RT_EINVAL;
    char why[AN_ERR_CAP];
    why[0] = '\0';
    if (strcmp(name, "DEMO_BALANCES") != 0) {
        int rc = tr_settings_set(&cfg->trader, name, value, why, sizeof why);
        if (rc != RT_ENOTFOUND) {
            if (rc != RT_OK)
                bt_errf(err, cap, "%s", why);
            return rc;
        }
    }
    if (cfg->strategy == NULL)
        return RT_EINVAL;
    int rc = an_params_set(&cfg->params, name, value, why, sizeof why);
    if (rc == RT_ENOTFOUND) {
        char names[1024];
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
                cfg->strategy->name, list[0] ? list : "(none)", names);
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
    free(r->signal_log);
    memset(r, 0, sizeof *r);
}

/* ---- the run ----------------------------------------------------------------------------- */

typedef struct {
    const bt_series_t *series;
    tr_filters_t filters;
    void *strat;         /* the strategy's state */
    size_t next;         /* next candle index */
    uint32_t trade;      /* current round trip number */
    rt_money_t trip_pnl; /* realized so far in this round trip */
    rt_money_t last_close;
    bool pending;     /* an accepted order waits for the next open (next_open) */
    tr_order_t order; /* that order */
    char signal_id[RT_ID_CAP];
} bt_sym_t;

typedef struct {
    const bt_config_t *cfg;
    bt_result_t *res;
    tr_books_t *books;
    bt_sym_t *syms;
    tr_position_t *pos; /* pos[i]: symbol i's position (quantity 0 when flat) */
    size_t nsyms;
    tr_risk_state_t *risk;
    rt_money_t cash;     /* the quote asset's free balance, mirrored from the books */
    rt_money_t halt_low; /* lowest equity the halt rule has seen (it fires at or below a
                            fixed level, so only a new low can make it due) */
    const char *quote;
    size_t fill_cap, eq_cap, sig_cap;
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

static int bt_push_signal(bt_run_t *run, size_t i, const rt_signal_t *sig, tr_reason_t refused)
{
    bt_result_t *r = run->res;
    if (r->signal_log_count == run->sig_cap) {
        size_t ncap = run->sig_cap ? run->sig_cap * 2 : 64;
        bt_signal_rec_t *p = realloc(r->signal_log, ncap * sizeof *p);
        if (p == NULL)
            return RT_ENOMEM;
        r->signal_log = p;
        run->sig_cap = ncap;
    }
    bt_signal_rec_t *x = &r->signal_log[r->signal_log_count++];
    memset(x, 0, sizeof *x);
    snprintf(x->id, sizeof x->id, "%s", sig->id);
    x->symbol = (uint32_t)i;
    x->side = sig->side;
    x->time_ms = sig->timestamp;
    x->price = sig->price;
    x->stop_loss = sig->stop_loss;
    x->take_profit = sig->take_profit;
    x->refused = refused;
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

static bool bt_is_open(const bt_run_t *run, size_t i)
{
    return run->pos[i].quantity > 0;
}

/* Equity now: cash plus every open position at its last close (rounded down). */
static int bt_equity(const bt_run_t *run, rt_money_t *out)
{
    rt_money_t e = run->cash;
    for (size_t i = 0; i < run->nsyms; i++) {
        if (!bt_is_open(run, i))
            continue;
        rt_money_t v;
        int rc = rt_money_mul(run->pos[i].quantity, run->syms[i].last_close, RT_ROUND_DOWN, &v);
        if (rc == RT_OK)
            rc = rt_money_add(e, v, &e);
        if (rc != RT_OK)
            return rc;
    }
    *out = e;
    return RT_OK;
}

/* Executes a MARKET order of qty at reference price ref through the demo fill model and the
 * books, and records the fill. RT_ESTATE (the cash cannot pay it) changes nothing. */
static int bt_execute(bt_run_t *run, bt_sym_t *s, rt_side_t side, rt_money_t qty, rt_money_t ref,
                      int64_t t, bt_reason_t reason, tr_exit_reason_t exit, const char *sig_id,
                      tr_fill_result_t *fr)
{
    int rc = tr_fill_market(&run->cfg->trader.fill, &s->filters, side, qty, ref, fr);
    if (rc != RT_OK) {
        bt_errf(run->err, run->cap, "%s: fill model refused %s %lld units at %lld: %s",
                s->series->symbol, side == RT_SIDE_BUY ? "BUY" : "SELL", (long long)qty,
                (long long)ref, rt_strerror(rc));
        return rc;
    }
    tr_fill_pnl_t pnl;
    rc = tr_books_apply_fills(run->books, &s->filters, run->cfg->strategy->name, fr, t, &pnl);
    if (rc != RT_OK)
        return rc;
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

static void bt_close_trip(bt_run_t *run, bt_sym_t *s)
{
    bt_result_t *r = run->res;
    r->open_trades--;
    r->closed_trades++;
    r->net_pnl_closed += s->trip_pnl;
    if (s->trip_pnl > 0) {
        r->wins++;
        r->gross_profit += s->trip_pnl;
    } else {
        r->losses++;
        r->gross_loss -= s->trip_pnl;
    }
    s->trip_pnl = 0;
}

/* A SELL of qty of symbol i's position at ref; closes the round trip when nothing is left. */
static int bt_sell(bt_run_t *run, size_t i, rt_money_t qty, rt_money_t ref, int64_t t,
                   bt_reason_t reason, tr_exit_reason_t exit, const char *sig_id)
{
    bt_sym_t *s = &run->syms[i];
    tr_position_t *p = &run->pos[i];
    if (qty > p->quantity)
        qty = p->quantity;
    if (qty > 0) {
        tr_fill_result_t fr;
        int rc = bt_execute(run, s, RT_SIDE_SELL, qty, ref, t, reason, exit, sig_id, &fr);
        if (rc == RT_OK)
            rc = tr_position_reduce(p, qty);
        if (rc != RT_OK)
            return rc;
    }
    if (!tr_position_is_open(p)) {
        memset(p, 0, sizeof *p);
        bt_close_trip(run, s);
    }
    return RT_OK;
}

/* The ATR a signal carries in its metadata ("atr"), rounded once as the trader does; 0 when
 * none. */
static rt_money_t bt_signal_atr(const rt_signal_t *sig)
{
    for (size_t i = 0; i < sig->meta_count; i++)
        if (strcmp(sig->meta[i].key, "atr") == 0) {
            rt_money_t v;
            if (tr_atr_from_double(sig->meta[i].value, &v) == RT_OK && v > 0)
                return v;
        }
    return 0;
}

/* Fills an accepted order at reference price ref (the close, or the next open). */
static int bt_fill_order(bt_run_t *run, size_t i, const tr_order_t *o, const char *sig_id,
                         rt_money_t ref, int64_t t)
{
    bt_sym_t *s = &run->syms[i];
    tr_position_t *p = &run->pos[i];
    if (o->side == RT_SIDE_SELL) {
        if (!bt_is_open(run, i)) {
            run->res->skipped++; /* closed by an exit since the decision */
            return RT_OK;
        }
        return bt_sell(run, i, o->quantity, ref, t, BT_REASON_SIGNAL, TR_EXIT_NONE, sig_id);
    }
    bool adding = bt_is_open(run, i);
    if (!adding && o->action == TR_POS_ADD) {
        run->res->skipped++;
        return RT_OK;
    }
    uint32_t trade =
        adding ? s->trade : (uint32_t)(run->res->closed_trades + run->res->open_trades + 1);
    uint32_t prev = s->trade;
    s->trade = trade;
    tr_fill_result_t fr;
    int rc = bt_execute(run, s, RT_SIDE_BUY, o->quantity, ref, t, BT_REASON_SIGNAL, TR_EXIT_NONE,
                        sig_id, &fr);
    if (rc == RT_ESTATE) { /* the next open costs more than the cash: not filled */
        s->trade = prev;
        run->res->skipped++;
        return RT_OK;
    }
    if (rc != RT_OK)
        return rc;
    tr_entry_t e;
    memset(&e, 0, sizeof e);
    e.price = fr.fills[0].price;
    e.quantity = fr.fills[0].quantity;
    e.stop_loss = o->stop_loss;
    e.take_profit = o->take_profit;
    e.atr = o->atr;
    e.time_ms = t;
    if (adding) {
        rc = tr_position_add(p, &run->cfg->trader.exits, &e);
    } else {
        rc = tr_position_open(p, &run->cfg->trader.exits, s->series->symbol,
                              run->cfg->strategy->name, &e);
        p->id = (int64_t)trade;
    }
    if (rc != RT_OK) {
        bt_errf(run->err, run->cap, "%s: position manager refused the entry: %s", s->series->symbol,
                rt_strerror(rc));
        return rc;
    }
    if (!adding) {
        s->trip_pnl = 0;
        run->res->open_trades++;
    }
    return RT_OK;
}

/* Step 2: the position manager on this candle. */
static int bt_exits(bt_run_t *run, size_t i, const rt_candle_t *c)
{
    bt_sym_t *s = &run->syms[i];
    tr_position_t *p = &run->pos[i];
    /* the stop in force when the candle opened (a stop raised by this candle's high is
     * crossed on the way down from that high, never at the open) */
    rt_money_t before = p->stop;
    if (p->trailing_armed && p->trailing_stop > before)
        before = p->trailing_stop;
    tr_exit_t ex;
    int rc = tr_position_on_candle(p, &run->cfg->trader.exits, &s->filters, c->high, c->low,
                                   c->close, &ex);
    if (rc != RT_OK) {
        bt_errf(run->err, run->cap, "%s: position manager failed at %lld: %s", s->series->symbol,
                (long long)c->open_time, rt_strerror(rc));
        return rc;
    }
    if (ex.reason == TR_EXIT_NONE)
        return RT_OK;
    rt_money_t ref = ex.level;
    if ((ex.reason == TR_EXIT_STOP_LOSS || ex.reason == TR_EXIT_TRAILING_STOP) && c->open < ref &&
        ex.level <= before)
        ref = c->open; /* opened beyond the stop: the first price was the open */
    if (ref > c->high)
        ref = c->high;
    if (ref < c->low)
        ref = c->low;
    rt_money_t qty = ex.full ? p->quantity : ex.quantity;
    rc = tr_position_settle(p, true);
    if (rc != RT_OK)
        return rc;
    return bt_sell(run, i, qty, ref, c->close_time, BT_REASON_EXIT, ex.reason, NULL);
}

/* Step 3: a signal through the risk manager, as rt-trader does on receiving it. */
static int bt_signal(bt_run_t *run, size_t i, const rt_signal_t *sig, int64_t now)
{
    bt_sym_t *s = &run->syms[i];
    const bt_config_t *cfg = run->cfg;
    tr_request_t req;
    int rc = tr_request_from_signal(sig, &req);
    if (rc != RT_OK)
        return rc;
    req.atr = bt_signal_atr(sig);
    tr_risk_input_t in;
    memset(&in, 0, sizeof in);
    in.filters = &s->filters;
    in.balances = tr_books_balances(run->books, &in.balance_count);
    rc = bt_equity(run, &in.equity);
    if (rc != RT_OK)
        return rc;
    in.positions = run->pos;
    in.position_count = run->nsyms;
    in.last_trade_ms = tr_books_last_trade(run->books, s->series->symbol);
    in.now_ms = now;
    in.no_text = true; /* the decision's sentence is never shown: only its reason */
    tr_decision_t d;
    rc = tr_risk_evaluate(&cfg->trader.risk, &cfg->trader.exits, run->risk, &req, &in, &d);
    if (rc != RT_OK) {
        bt_errf(run->err, run->cap, "%s: risk manager failed: %s", s->series->symbol,
                rt_strerror(rc));
        return rc;
    }
    if (cfg->record) {
        rc =
            bt_push_signal(run, i, sig, d.verdict == TR_VERDICT_ACCEPT ? TR_REASON_NONE : d.reason);
        if (rc != RT_OK)
            return rc;
    }
    if (d.verdict != TR_VERDICT_ACCEPT) {
        run->res->skipped++;
        if (d.reason <= TR_REASON_FILTER_PRICE)
            run->res->refused[d.reason]++;
        return RT_OK; /* a HALT verdict is acted on at the bar's end (bt_halt) */
    }
    if (cfg->fill_model == BT_FILL_NEXT_OPEN) {
        s->pending = true;
        s->order = d.order;
        size_t idn = strnlen(sig->id, sizeof s->signal_id - 1); /* snprintf's cost, per signal */
        memcpy(s->signal_id, sig->id, idn);
        s->signal_id[idn] = '\0';
        return RT_OK;
    }
    return bt_fill_order(run, i, &d.order, sig->id, sig->price, now);
}

static int bt_candle(bt_run_t *run, size_t i, const rt_candle_t *c)
{
    bt_sym_t *s = &run->syms[i];
    int rc;
    /* 1. the order accepted on the previous candle fills at this open */
    if (s->pending) {
        s->pending = false;
        rc = bt_fill_order(run, i, &s->order, s->signal_id, c->open, c->open_time);
        if (rc != RT_OK)
            return rc;
    }
    /* 2. exits on this candle's range */
    if (bt_is_open(run, i)) {
        rc = bt_exits(run, i, c);
        if (rc != RT_OK)
            return rc;
    }
    s->last_close = c->close;
    /* 3. the strategy on the closed candle */
    an_candle_t kc;
    an_candle_of(&kc, c);
    rt_signal_t sig;
    rc = run->cfg->strategy->on_candle(s->strat, &kc, &sig);
    if (rc < 0) {
        bt_errf(run->err, run->cap, "%s: strategy %s failed at %lld: %s", s->series->symbol,
                run->cfg->strategy->name, (long long)c->open_time, rt_strerror(rc));
        return rc;
    }
    if (rc == 0)
        return RT_OK;
    run->res->signals++;
    return bt_signal(run, i, &sig, c->close_time);
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
    if (cfg->cash <= 0) {
        bt_errf(err, cap, "cash must be > 0");
        return RT_EINVAL;
    }
    char why[AN_ERR_CAP];
    why[0] = '\0';
    if (tr_settings_check(&cfg->trader, why, sizeof why) != RT_OK) {
        bt_errf(err, cap, "%s", why);
        return RT_EINVAL;
    }
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
        if (strcmp(s->candles[0].symbol, s->symbol) != 0) {
            /* the strategies name their signals after the candle's symbol */
            bt_errf(err, cap, "%s: its candles are %s's", s->symbol, s->candles[0].symbol);
            return RT_EINVAL;
        }
        if (strcmp(s->quote_asset, series[0].quote_asset) != 0) {
            bt_errf(err, cap, "%s is quoted in %s, %s in %s: one quote asset per run", s->symbol,
                    s->quote_asset, series[0].symbol, series[0].quote_asset);
            return RT_EINVAL;
        }
        const tr_filters_t *f = s->filters;
        if (f != NULL &&
            (strcmp(f->symbol, s->symbol) != 0 || strcmp(f->base_asset, s->base_asset) != 0 ||
             strcmp(f->quote_asset, s->quote_asset) != 0)) {
            /* the books keep balances by the filters' assets: they must be the run's */
            bt_errf(err, cap, "%s (%s/%s): the exchange filters given are %s's (%s/%s)", s->symbol,
                    s->base_asset, s->quote_asset, f->symbol, f->base_asset, f->quote_asset);
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

/* The halt (HALT_EQUITY_RATIO): sell everything at the last close, no more entries. */
static int bt_halt(bt_run_t *run, int64_t now, const char *why)
{
    tr_risk_halt(run->risk, why);
    run->res->halted = true;
    for (size_t i = 0; i < run->nsyms; i++) {
        run->syms[i].pending = false;
        if (!bt_is_open(run, i))
            continue;
        tr_exit_t ex;
        int rc = tr_position_halt(&run->pos[i], &run->syms[i].filters, &ex);
        if (rc == RT_OK)
            rc = tr_position_settle(&run->pos[i], true);
        if (rc == RT_OK)
            rc = bt_sell(run, i, run->pos[i].quantity, run->syms[i].last_close, now, BT_REASON_EXIT,
                         TR_EXIT_HALT, NULL);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

static int bt_finish_bar(bt_run_t *run, bt_stats_t *st, int64_t t, int64_t now, size_t *exposed)
{
    rt_money_t e;
    int rc = bt_equity(run, &e);
    if (rc != RT_OK)
        return rc;
    if (!run->risk->halted) {
        char why[160];
        rc = tr_risk_observe(run->risk, now, e);
        if (rc != RT_OK)
            return rc;
        bool low = e < run->halt_low;
        if (low)
            run->halt_low = e;
        if (low && tr_risk_halt_due(&run->cfg->trader.risk, run->risk, e, why, sizeof why)) {
            rc = bt_halt(run, now, why);
            if (rc == RT_OK)
                rc = bt_equity(run, &e);
            if (rc != RT_OK)
                return rc;
        }
    }
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
    if (err != NULL && cap > 0)
        err[0] = '\0';
    int rc = bt_check_inputs(cfg, series, nseries, err, cap);
    if (rc != RT_OK)
        return rc;
    bt_result_t res;
    memset(&res, 0, sizeof res);
    bt_sym_t syms[BT_SYMBOLS_MAX];
    tr_position_t pos[BT_SYMBOLS_MAX];
    memset(syms, 0, sizeof syms);
    memset(pos, 0, sizeof pos);
    tr_risk_state_t *risk = malloc(sizeof *risk); /* ~16 KiB: not on a worker's stack */
    bt_run_t run = {.cfg = cfg,
                    .res = &res,
                    .syms = syms,
                    .pos = pos,
                    .nsyms = nseries,
                    .risk = risk,
                    .cash = cfg->cash,
                    .halt_low = RT_MONEY_MAX,
                    .quote = series[0].quote_asset,
                    .err = err,
                    .cap = cap};
    if (risk == NULL) {
        rc = RT_ENOMEM;
        goto out;
    }
    rc = tr_risk_state_init(risk, &cfg->trader.risk, cfg->cash, series[0].candles[0].open_time);
    if (rc != RT_OK)
        goto out;
    rc = tr_books_new(&run.books);
    if (rc != RT_OK)
        goto out;
    rc = tr_books_deposit(run.books, run.quote, cfg->cash);
    if (rc != RT_OK)
        goto out;
    for (size_t i = 0; i < nseries; i++) {
        bt_sym_t *s = &syms[i];
        s->series = &series[i];
        if (series[i].filters != NULL) {
            s->filters = *series[i].filters; /* checked by bt_check_inputs */
        } else {
            tr_filters_init(&s->filters);
            snprintf(s->filters.symbol, sizeof s->filters.symbol, "%s", series[i].symbol);
            snprintf(s->filters.base_asset, sizeof s->filters.base_asset, "%s",
                     series[i].base_asset);
            snprintf(s->filters.quote_asset, sizeof s->filters.quote_asset, "%s",
                     series[i].quote_asset);
            s->filters.trading = true;
        }
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
    int64_t bar = INT64_MIN, bar_end = 0;
    for (;;) {
        /* the symbol whose next candle is earliest (series order on equal times) */
        size_t si = nseries;
        for (size_t i = 0; i < nseries; i++)
            if (syms[i].next < series[i].count &&
                (si == nseries || series[i].candles[syms[i].next].open_time <
                                      series[si].candles[syms[si].next].open_time))
                si = i;
        if (si == nseries)
            break;
        bt_sym_t *s = &syms[si];
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
                rc = bt_finish_bar(&run, &st, bar, bar_end, &exposed);
                if (rc != RT_OK)
                    goto out;
            } else {
                res.first_ms = c->open_time;
            }
            bar = c->open_time;
        }
        bar_end = c->close_time;
        res.candles++;
        rc = bt_candle(&run, si, c);
        if (rc != RT_OK)
            goto out;
    }
    rc = bt_finish_bar(&run, &st, bar, bar_end, &exposed);
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
    free(risk);
    bt_result_cleanup(&res);
    if (rc != RT_OK && err != NULL && cap > 0 && err[0] == '\0')
        bt_errf(err, cap, "backtest failed: %s", rt_strerror(rc));
    return rc;
}
