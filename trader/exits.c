/* The position manager's shell: on every ticker and candle of a symbol with open positions, the
 * trader core's position manager (tr_position.h: stop, target, trailing, partial take-profit,
 * breakeven) says whether to sell; this file loads the positions, persists their exit state and
 * places the SELL through the same path as every order (tr_svc_place).
 *
 * The same file holds the rest of the glue to the core: its settings (docs/RISK.md) and its
 * risk manager (tr_risk_evaluate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/config.h"
#include "rt/time.h"
#include "tr_fill.h"
#include "tr_position.h"
#include "tr_risk.h"
#include "tr_settings.h"

#include "rt/err.h"
#include "rt/jsonw.h"
#include "rt/log.h"
#include "rt/str.h"
#include "tr_svc.h"

#define EXIT_POSITIONS_MAX 64

_Static_assert(sizeof(tr_exit_config_t) <= TR_EXIT_CFG_SIZE, "tr_svc_t.exit_cfg too small");
_Static_assert(sizeof(tr_fill_config_t) <= TR_FILL_CFG_SIZE, "tr_svc_t.fill_cfg too small");

static int risk_init(tr_svc_t *svc, const tr_settings_t *s);

static int settings_get(void *ctx, const char *name, const char **value)
{
    return rt_config_get(ctx, name, value);
}

int tr_exits_init(tr_svc_t *svc)
{
    rt_config_t *cfg = NULL;
    rt_config_report_t rep;
    char report[1024] = "";
    tr_settings_t *s = calloc(1, sizeof *s);
    int rc = s ? rt_config_new(NULL, &cfg, &rep) : RT_ENOMEM;
    if (rc == 0)
        rc = tr_settings_load(s, settings_get, cfg, report, sizeof report);
    if (rc == 0)
        rc = risk_init(svc, s);
    if (rc == 0) {
        memcpy(svc->exit_cfg, &s->exits, sizeof s->exits);
        memcpy(svc->fill_cfg, &s->fill, sizeof s->fill);
        svc->exits_on = true;
        rt_log_info("exits", "trader core on: risk manager and position manager (stop, target, "
                             "trailing, partial, breakeven)");
    } else {
        rt_log_error("exits", "trader core settings refused: %s",
                     report[0] ? report : rt_strerror(rc));
    }
    rt_config_free(cfg);
    free(s);
    return rc;
}

static void to_core(const rt_position_t *row, tr_position_t *p)
{
    memset(p, 0, sizeof *p);
    p->id = row->id;
    rt_str_copy(p->symbol, sizeof p->symbol, row->symbol);
    rt_str_copy(p->strategy, sizeof p->strategy,
                row->strategy[0] ? row->strategy : TR_MANUAL_STRATEGY);
    p->entry = row->entry_price;
    p->quantity = row->quantity;
    p->initial_quantity = row->initial_quantity;
    p->entries = 1;
    p->opened_ms = row->opened_at;
    p->highest = row->highest_price > 0 ? row->highest_price : row->entry_price;
    p->stop = row->stop_loss;
    p->target = row->take_profit;
    p->trailing_armed = row->trailing_active;
    p->trailing_stop = row->trailing_stop;
    p->partial_taken = row->partial_taken;
    p->breakeven_armed = row->breakeven_armed;
    p->pending = TR_EXIT_NONE;
}

static bool state_changed(const tr_position_t *a, const tr_position_t *b)
{
    return a->highest != b->highest || a->stop != b->stop ||
           a->trailing_armed != b->trailing_armed || a->trailing_stop != b->trailing_stop ||
           a->partial_taken != b->partial_taken || a->breakeven_armed != b->breakeven_armed;
}

static int save_state(tr_io_t *io, rt_position_t *row, const tr_position_t *p)
{
    row->highest_price = p->highest;
    row->stop_loss = p->stop;
    row->trailing_active = p->trailing_armed;
    row->trailing_stop = p->trailing_stop;
    row->partial_taken = p->partial_taken;
    row->breakeven_armed = p->breakeven_armed;
    return tr_store_position_exit_state(io->db, row);
}

/* Milliseconds of a Binance interval ("1m"); 0 when unknown. */
static int64_t interval_ms(const char *iv)
{
    static const struct {
        const char *name;
        int64_t ms;
    } t[] = {{"1s", 1000},     {"1m", 60000},     {"3m", 180000},   {"5m", 300000},
             {"15m", 900000},  {"30m", 1800000},  {"1h", 3600000},  {"2h", 7200000},
             {"4h", 14400000}, {"6h", 21600000},  {"8h", 28800000}, {"12h", 43200000},
             {"1d", 86400000}, {"3d", 259200000}, {"1w", 604800000}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(iv, t[i].name) == 0)
            return t[i].ms;
    return 0;
}

/* Whether a price of market time until_ms came before position id was entered: its signal's
 * candle (open time + interval) had not ended yet. The trader reads candles and tickers on one
 * connection and signals on another, so the candle a signal was made of (or a ticker inside it)
 * can be read after the entry that signal caused; checked against the entry it would sell on a
 * low that came before the buy (the backtest, docs/BACKTEST.md, checks a position entered at a
 * close from the next candle on). Manual positions and unknown intervals: never stale. */
static bool stale_for(tr_svc_t *svc, int64_t id, int64_t until_ms)
{
    if (until_ms <= 0)
        return false;
    size_t slot = (size_t)((uint64_t)id % TR_ENTRY_CACHE);
    if (svc->entry_from[slot].id != id) {
        int64_t open_ms = 0, from = 0;
        char iv[8];
        int rc = tr_store_position_entry_signal(svc->io.db, id, &open_ms, iv, sizeof iv);
        if (rc == RT_OK && interval_ms(iv) > 0)
            from = open_ms + interval_ms(iv);
        if (rc != RT_OK && rc != RT_ENOTFOUND)
            return false; /* not known this time: asked again on the next price */
        svc->entry_from[slot].id = id;
        svc->entry_from[slot].from_ms = from;
    }
    return until_ms < svc->entry_from[slot].from_ms;
}

void tr_exits_on_price(tr_svc_t *svc, const char *symbol, rt_money_t high, rt_money_t low,
                       rt_money_t close, int64_t until_ms)
{
    if (!svc->exits_on)
        return;
    const tr_exit_config_t *cfg = (const tr_exit_config_t *)(const void *)svc->exit_cfg;
    rt_position_t rows[EXIT_POSITIONS_MAX];
    size_t n = 0;
    int rc = tr_store_open_positions_of(svc->io.db, symbol, rows, EXIT_POSITIONS_MAX, &n);
    if (rc != 0) {
        rt_log_warn("exits", "open positions not loaded symbol=%s err=%s", symbol, rt_strerror(rc));
        return;
    }
    if (n > 0)
        tr_core_observe(svc, &svc->io); /* equity moves with the price: brake and halt */
    for (size_t i = 0; i < n; i++) {
        tr_position_t p, before;
        tr_exit_t ex;
        if (stale_for(svc, rows[i].id, until_ms))
            continue;
        to_core(&rows[i], &p);
        before = p;
        if (high == low && low == close)
            rc = tr_position_on_price(&p, cfg, NULL, close, &ex);
        else
            rc = tr_position_on_candle(&p, cfg, NULL, high, low, close, &ex);
        if (rc != 0) {
            rt_log_warn("exits", "position %lld not evaluated err=%s", (long long)rows[i].id,
                        rt_strerror(rc));
            continue;
        }
        if (state_changed(&before, &p) && (rc = save_state(&svc->io, &rows[i], &p)) != 0) {
            rt_log_warn("exits", "exit state not saved position=%lld err=%s", (long long)rows[i].id,
                        rt_strerror(rc));
            continue; /* evaluated again on the next price */
        }
        if (ex.reason == TR_EXIT_NONE || ex.quantity <= 0)
            continue;
        tr_svc_intent_t in;
        tr_svc_decision_t d;
        memset(&in, 0, sizeof in);
        rt_str_copy(in.symbol, sizeof in.symbol, rows[i].symbol);
        rt_str_copy(in.strategy, sizeof in.strategy, rows[i].strategy);
        rt_str_copy(in.reason, sizeof in.reason, tr_exit_reason_name(ex.reason));
        in.side = RT_SIDE_SELL;
        in.position_id = rows[i].id;
        in.quantity = ex.full ? 0 : ex.quantity;
        in.ref_price = close;
        char lv[RT_MONEY_FMT_MAX], q[RT_MONEY_FMT_MAX];
        rt_money_format(ex.level, lv, sizeof lv);
        rt_money_format(ex.quantity, q, sizeof q);
        rt_log_info("exits", "exit position=%lld reason=%s level=%s qty=%s", (long long)rows[i].id,
                    tr_exit_reason_name(ex.reason), lv, q);
        rc = tr_svc_place(svc, &svc->io, &in, &d);
        if (rc != 0 || !d.accept)
            rt_log_warn("exits", "exit not placed position=%lld err=%s why=%s",
                        (long long)rows[i].id, rt_strerror(rc), rc == 0 ? d.reason : "-");
    }
}

int tr_exits_entry_levels(tr_svc_t *svc, const tr_svc_order_t *o, rt_money_t fill_price,
                          rt_money_t qty, rt_money_t *stop, rt_money_t *target)
{
    if (!svc->exits_on)
        return RT_OK; /* the signal's own levels stay */
    const tr_exit_config_t *cfg = (const tr_exit_config_t *)(const void *)svc->exit_cfg;
    tr_position_t p;
    tr_entry_t e = {.price = fill_price,
                    .quantity = qty,
                    .stop_loss = o->stop_loss,
                    .take_profit = o->take_profit};
    int rc =
        tr_position_open(&p, cfg, o->symbol, o->strategy[0] ? o->strategy : TR_MANUAL_STRATEGY, &e);
    if (rc == 0) {
        *stop = p.stop;
        *target = p.target;
    }
    return rc;
}

/* ---- risk: the core's tr_risk_evaluate ---------------------------------------------------- */

typedef struct {
    pthread_mutex_t lock; /* decisions run on the loop and on the API threads */
    tr_risk_config_t cfg;
    tr_risk_state_t st;
} core_risk_t;

#define RISK_POSITIONS_MAX 256
#define RISK_BALANCES_MAX 64

/* Equity in the quote asset: quote balances plus every other asset at its latest price (the
 * request's symbol at px when given); an asset with no price yet is left out. */
static int equity_now(tr_svc_t *svc, tr_io_t *io, const char *symbol, rt_money_t px,
                      tr_balance_t *bals, size_t *nb, rt_money_t *equity)
{
    rt_balance_t rows[RISK_BALANCES_MAX];
    size_t n = 0;
    int rc = tr_store_balances(io->db, rows, RISK_BALANCES_MAX, &n);
    if (rc != 0)
        return rc;
    rt_money_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (bals) {
            memset(&bals[i], 0, sizeof bals[i]);
            rt_str_copy(bals[i].asset, sizeof bals[i].asset, rows[i].asset);
            bals[i].free = rows[i].free;
            bals[i].locked = rows[i].locked;
        }
        rt_money_t value = 0, price = 0;
        if (strcmp(rows[i].asset, svc->cfg.quote_asset) == 0) {
            value = rows[i].total;
        } else {
            char sym[RT_SYMBOL_CAP];
            int k = snprintf(sym, sizeof sym, "%s%s", rows[i].asset, svc->cfg.quote_asset);
            if (k > 0 && (size_t)k < sizeof sym) {
                if (symbol && px > 0 && strcmp(sym, symbol) == 0)
                    price = px;
                else if (tr_svc_price(svc, sym, &price) != 0)
                    price = 0;
            }
            if (price > 0 && (rc = rt_money_mul(rows[i].total, price, RT_ROUND_DOWN, &value)) != 0)
                return rc;
        }
        if ((rc = rt_money_add(total, value, &total)) != 0)
            return rc;
    }
    if (nb)
        *nb = n;
    *equity = total;
    return RT_OK;
}

static int risk_init(tr_svc_t *svc, const tr_settings_t *s)
{
    core_risk_t *r = calloc(1, sizeof *r);
    if (!r)
        return RT_ENOMEM;
    r->cfg = s->risk;
    rt_money_t equity = 0;
    bool paused = false;
    int rc = equity_now(svc, &svc->io, NULL, 0, NULL, NULL, &equity);
    if (rc == 0)
        rc = tr_risk_state_init(&r->st, &r->cfg, equity, rt_time_now_ms());
    if (rc == 0)
        rc = tr_store_risk_state_get(svc->io.db, &paused);
    if (rc != 0) {
        free(r);
        return rc;
    }
    if (paused)
        tr_risk_pause(&r->st, "paused by an operator");
    pthread_mutex_init(&r->lock, NULL);
    svc->core_risk = r;
    return RT_OK;
}

void tr_core_free(tr_svc_t *svc)
{
    core_risk_t *r = svc->core_risk;
    if (r) {
        pthread_mutex_destroy(&r->lock);
        free(r);
        svc->core_risk = NULL;
    }
}

void tr_core_set_paused(tr_svc_t *svc, tr_io_t *io, bool paused)
{
    core_risk_t *r = svc->core_risk;
    if (!r)
        return;
    rt_money_t equity = 0;
    if (!paused && equity_now(svc, io, NULL, 0, NULL, NULL, &equity) != 0)
        equity = r->st.initial_equity;
    pthread_mutex_lock(&r->lock);
    if (paused)
        tr_risk_pause(&r->st, "paused by an operator");
    else
        tr_risk_resume(&r->st, rt_time_now_ms(), equity);
    pthread_mutex_unlock(&r->lock);
}

/* The halt: the core's state says halted, new entries stop at once; the loop then sells every
 * open position (tr_core_halt_sell) outside any transaction. */
static void halt_now(tr_svc_t *svc, core_risk_t *r, const char *why)
{
    pthread_mutex_lock(&r->lock);
    if (!r->st.halted)
        tr_risk_halt(&r->st, why);
    pthread_mutex_unlock(&r->lock);
    atomic_store(&svc->paused, true);
    atomic_store(&svc->halt_sell, true);
}

void tr_core_observe(tr_svc_t *svc, tr_io_t *io)
{
    core_risk_t *r = svc->core_risk;
    rt_money_t equity = 0;
    if (!r || equity_now(svc, io, NULL, 0, NULL, NULL, &equity) != 0)
        return;
    char why[160] = "";
    pthread_mutex_lock(&r->lock);
    tr_risk_observe(&r->st, rt_time_now_ms(), equity);
    bool halt = tr_risk_halt_due(&r->cfg, &r->st, equity, why, sizeof why);
    pthread_mutex_unlock(&r->lock);
    if (halt)
        halt_now(svc, r, why);
}

/* The halt cancels every resting LIMIT order first: no BUY fills after it, and what a SELL
 * locked is free again for the market sale. */
static void cancel_resting(tr_svc_t *svc, tr_io_t *io)
{
    tr_svc_order_t *open = calloc(RISK_POSITIONS_MAX, sizeof *open);
    size_t n = 0;
    int rc = open ? tr_store_resting_orders(io->db, "", svc->cfg.trading_mode == TR_MODE_DEMO, open,
                                            RISK_POSITIONS_MAX, &n)
                  : RT_ENOMEM;
    if (rc != 0)
        rt_log_error("risk", "resting orders not loaded for the halt err=%s", rt_strerror(rc));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char status[24] = "";
        int crc = tr_svc_cancel(svc, io, open[i].id, status, sizeof status);
        if (crc != 0 && crc != RT_ESTATE)
            rt_log_error("risk", "halt: resting order not canceled coid=%s err=%s",
                         open[i].client_order_id, rt_strerror(crc));
    }
    free(open);
}

void tr_core_halt_sell(tr_svc_t *svc)
{
    core_risk_t *r = svc->core_risk;
    tr_io_t *io = &svc->io;
    char why[sizeof r->st.reason];
    rt_position_t *rows = calloc(RISK_POSITIONS_MAX, sizeof *rows);
    size_t n = 0;
    if (!r || !rows) {
        free(rows);
        return;
    }
    pthread_mutex_lock(&r->lock);
    memcpy(why, r->st.reason, sizeof why);
    pthread_mutex_unlock(&r->lock);
    why[sizeof why - 1] = '\0';
    rt_log_error("risk",
                 "HALT: %s; selling every open position, new entries refused until "
                 "POST /control/resume",
                 why);
    int rc = tr_store_risk_state_set(io->db, true, why);
    if (rc != 0)
        rt_log_error("risk", "halt not persisted err=%s", rt_strerror(rc));
    tr_svc_publish_risk(svc, io, why);
    cancel_resting(svc, io);
    rc = tr_store_open_positions(io->db, rows, RISK_POSITIONS_MAX, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        tr_svc_intent_t in;
        tr_svc_decision_t d;
        memset(&in, 0, sizeof in);
        rt_str_copy(in.symbol, sizeof in.symbol, rows[i].symbol);
        rt_str_copy(in.strategy, sizeof in.strategy, rows[i].strategy);
        rt_str_copy(in.reason, sizeof in.reason, "halt");
        in.side = RT_SIDE_SELL;
        in.position_id = rows[i].id;
        if (tr_svc_price(svc, rows[i].symbol, &in.ref_price) != 0)
            in.ref_price = rows[i].entry_price; /* no price seen since start: the entry's */
        int prc = tr_svc_place(svc, io, &in, &d);
        if (prc != 0 || !d.accept)
            rt_log_error("risk", "halt sale not placed position=%lld err=%s why=%s",
                         (long long)rows[i].id, rt_strerror(prc), prc == 0 ? d.reason : "-");
    }
    if (rc != 0)
        rt_log_error("risk", "open positions not loaded for the halt err=%s", rt_strerror(rc));
    free(rows);
}

/* The halt's own sales bypass the risk manager (which refuses everything once halted): the
 * core's tr_position_halt says what to sell. */
static int decide_halt_sale(tr_svc_t *svc, tr_io_t *io, const tr_svc_intent_t *in,
                            tr_svc_decision_t *d)
{
    rt_position_t row;
    tr_position_t p;
    tr_exit_t ex;
    (void)svc;
    int rc = tr_store_position_get(io->db, in->position_id, &row);
    if (rc == RT_ENOTFOUND || (rc == 0 && row.status != RT_POSITION_OPEN)) {
        rt_str_copy(d->code, sizeof d->code, "no_position");
        rt_str_copy(d->reason, sizeof d->reason, "the position is not open any more");
        return RT_OK;
    }
    if (rc != 0)
        return rc;
    to_core(&row, &p);
    if ((rc = tr_position_halt(&p, NULL, &ex)) != 0)
        return rc;
    if (ex.reason == TR_EXIT_NONE || ex.quantity <= 0) {
        rt_str_copy(d->code, sizeof d->code, "no_position");
        rt_str_copy(d->reason, sizeof d->reason, "nothing left to sell");
        return RT_OK;
    }
    d->accept = true;
    d->order.quantity = ex.quantity;
    d->order.position_id = row.id;
    return RT_OK;
}

int tr_core_decide(tr_svc_t *svc, tr_io_t *io, const tr_svc_intent_t *in, tr_svc_decision_t *d,
                   bool *done)
{
    core_risk_t *r = svc->core_risk;
    *done = false;
    if (!r)
        return RT_OK;
    if (in->side == RT_SIDE_SELL && strcmp(in->reason, "halt") == 0) {
        *done = true;
        return decide_halt_sale(svc, io, in, d);
    }
    tr_filters_t f; /* the exchange's (exchangeInfo), both modes */
    tr_filters_init(&f);
    int rc = tr_svc_filters(svc, in->symbol, &f);
    if (rc == RT_EAGAIN || rc == RT_ENOTFOUND) {
        d->accept = false;
        rt_str_copy(d->code, sizeof d->code,
                    rc == RT_EAGAIN ? "filters_not_loaded" : "unknown_symbol");
        snprintf(d->reason, sizeof d->reason,
                 rc == RT_EAGAIN
                     ? "exchange filters not loaded: %s cannot be rounded to the exchange's "
                       "tick and step yet (the exchange is unreachable; retrying)"
                     : "unknown_symbol: %s is not among SYMBOLS or unknown to the exchange",
                 in->symbol);
        *done = true;
        return RT_OK;
    }
    if (rc != 0)
        return rc;
    if (in->limit) { /* a limit price off the tick is refused, never moved */
        rt_money_t on_tick = 0;
        if ((rc = tr_filters_round_price(&f, in->limit_price, RT_ROUND_DOWN, &on_tick)) != 0)
            return rc;
        if (on_tick != in->limit_price) {
            char px[RT_MONEY_FMT_MAX], tick[RT_MONEY_FMT_MAX], off[RT_MONEY_FMT_MAX];
            rt_money_format(in->limit_price, px, sizeof px);
            rt_money_format(f.tick_size, tick, sizeof tick);
            rt_money_format(in->limit_price - on_tick, off, sizeof off);
            d->accept = false;
            rt_str_copy(d->code, sizeof d->code, "filter_price");
            snprintf(d->reason, sizeof d->reason,
                     "Filter failure: PRICE_FILTER: price %s is not a multiple of tickSize %s "
                     "(%s over the tick below)",
                     px, tick, off);
            *done = true;
            return RT_OK;
        }
    }
    rc = RT_ENOMEM;
    tr_balance_t *bals = calloc(RISK_BALANCES_MAX, sizeof *bals);
    rt_position_t *rows = calloc(RISK_POSITIONS_MAX, sizeof *rows);
    tr_position_t *pos = calloc(RISK_POSITIONS_MAX, sizeof *pos);
    tr_decision_t *out = calloc(1, sizeof *out);
    size_t nb = 0, np = 0;
    bool out_halt = false;
    if (!bals || !rows || !pos || !out)
        goto done;
    tr_request_t req;
    memset(&req, 0, sizeof req);
    rt_str_copy(req.symbol, sizeof req.symbol, in->symbol);
    rt_str_copy(req.strategy, sizeof req.strategy,
                in->strategy[0] ? in->strategy : TR_MANUAL_STRATEGY);
    req.source = in->strategy[0] ? TR_SOURCE_STRATEGY : TR_SOURCE_MANUAL;
    req.side = in->side;
    req.type = in->limit ? TR_ORDER_LIMIT : TR_ORDER_MARKET;
    req.limit_price = in->limit ? in->limit_price : 0;
    req.quantity = in->quantity;
    req.quote_quantity = in->quote_quantity;
    req.price = in->limit ? in->limit_price : in->ref_price; /* a LIMIT is sized at its price */
    req.stop_loss = in->stop_loss;
    req.take_profit = in->take_profit;
    tr_risk_input_t ri;
    memset(&ri, 0, sizeof ri);
    if ((rc = equity_now(svc, io, in->symbol, in->ref_price, bals, &nb, &ri.equity)) != 0 ||
        (rc = tr_store_open_positions(io->db, rows, RISK_POSITIONS_MAX, &np)) != 0 ||
        (rc = tr_store_last_trade_ms(io->db, in->symbol, &ri.last_trade_ms)) != 0)
        goto done;
    for (size_t i = 0; i < np; i++)
        to_core(&rows[i], &pos[i]);
    /* resting BUYs of the symbol count in its exposure as if filled (their quote is already
       locked, out of the free balance): two resting orders cannot pass the cap together */
    rt_money_t resting = 0;
    if ((rc = tr_store_resting_buy_qty(io->db, in->symbol, &resting)) != 0)
        goto done;
    if (resting > 0) {
        size_t i = 0;
        while (i < nb && strcmp(bals[i].asset, f.base_asset) != 0)
            i++;
        if (i == nb && nb < RISK_BALANCES_MAX) {
            memset(&bals[nb], 0, sizeof bals[nb]);
            rt_str_copy(bals[nb].asset, sizeof bals[nb].asset, f.base_asset);
            nb++;
        }
        if (i < nb && (rc = rt_money_add(bals[i].locked, resting, &bals[i].locked)) != 0)
            goto done;
    }
    ri.filters = &f;
    ri.balances = bals;
    ri.balance_count = nb;
    ri.positions = pos;
    ri.position_count = np;
    ri.now_ms = rt_time_now_ms();
    const tr_exit_config_t *exits = (const tr_exit_config_t *)(const void *)svc->exit_cfg;
    pthread_mutex_lock(&r->lock);
    rc = tr_risk_evaluate(&r->cfg, exits, &r->st, &req, &ri, out);
    pthread_mutex_unlock(&r->lock);
    if (rc != 0)
        goto done;
    /* a SELL of a given position (a manual close, an exit) must sell that one */
    if (out->verdict == TR_VERDICT_ACCEPT && in->position_id > 0 &&
        out->order.position_id != in->position_id) {
        out->verdict = TR_VERDICT_REJECT;
        out->reason = TR_REASON_NO_POSITION;
        snprintf(out->text, sizeof out->text, "no_position: position %lld is not the one held",
                 (long long)in->position_id);
    }
    if (out->verdict == TR_VERDICT_ACCEPT) {
        d->accept = true;
        d->order.quantity = out->order.quantity;
        d->order.position_id = out->order.side == RT_SIDE_SELL ? out->order.position_id : 0;
        d->order.stop_loss = out->order.stop_loss;
        d->order.take_profit = out->order.take_profit;
        d->order.price = out->order.type == TR_ORDER_LIMIT ? out->order.price : 0;
    } else {
        d->accept = false;
        out_halt = out->verdict == TR_VERDICT_HALT;
        rt_str_copy(d->code, sizeof d->code,
                    out->verdict == TR_VERDICT_HALT ? "halted" : tr_reason_name(out->reason));
        rt_str_copy(d->reason, sizeof d->reason, out->text);
    }
    *done = true;
done:
    free(out);
    free(pos);
    free(rows);
    free(bals);
    if (rc == 0 && out_halt)
        halt_now(svc, r, d->reason); /* the loop sells everything, outside this transaction */
    return rc;
}

int tr_core_risk_write(tr_svc_t *svc, tr_io_t *io, rt_jsonw_t *w)
{
    core_risk_t *r = svc->core_risk;
    rt_money_t equity = 0;
    tr_risk_status_t st;
    if (!r)
        return RT_ESTATE;
    int rc = equity_now(svc, io, NULL, 0, NULL, NULL, &equity);
    if (rc != 0)
        return rc;
    pthread_mutex_lock(&r->lock);
    rc = tr_risk_status(&r->cfg, &r->st, rt_time_now_ms(), equity, &st);
    tr_risk_config_t c = r->cfg;
    char reason[sizeof r->st.reason];
    memcpy(reason, r->st.reason, sizeof reason);
    pthread_mutex_unlock(&r->lock);
    if (rc != 0)
        return rc;
    reason[sizeof reason - 1] = '\0';
    rt_jsonw_kv_bool(w, "paused", st.paused);
    rt_jsonw_kv_bool(w, "halted", st.halted);
    rt_jsonw_kv_string(w, "reason", st.paused || st.halted ? reason : "");
    rt_jsonw_key(w, "limits");
    rt_jsonw_object_begin(w);
    rt_jsonw_kv_money(w, "trade_quantity", c.trade_quantity);
    rt_jsonw_kv_money(w, "trade_quote_quantity", c.trade_quote_quantity);
    rt_jsonw_kv_money(w, "risk_per_trade", c.risk_per_trade);
    rt_jsonw_kv_money(w, "max_position_pct", c.max_position_pct);
    rt_jsonw_kv_int(w, "max_entries", c.max_entries);
    rt_jsonw_kv_money(w, "max_exposure_pct", c.max_exposure_pct);
    rt_jsonw_kv_int(w, "max_open_positions", c.max_open_positions);
    rt_jsonw_kv_int(w, "cooldown_seconds", c.cooldown_ms / 1000);
    rt_jsonw_kv_money(w, "max_drawdown_pct", c.max_drawdown_pct);
    rt_jsonw_kv_int(w, "drawdown_window_seconds", c.drawdown_window_ms / 1000);
    rt_jsonw_kv_money(w, "halt_equity_ratio", c.halt_equity_ratio);
    rt_jsonw_object_end(w);
    rt_jsonw_key(w, "status");
    rt_jsonw_object_begin(w);
    rt_jsonw_kv_string(w, "quote_asset", svc->cfg.quote_asset);
    rt_jsonw_kv_money(w, "equity", st.equity);
    rt_jsonw_kv_money(w, "peak", st.peak);
    rt_jsonw_kv_money(w, "drawdown", st.drawdown);
    rt_jsonw_kv_money(w, "brake_level", st.brake_level);
    rt_jsonw_kv_bool(w, "brake_active", st.brake_active);
    rt_jsonw_kv_money(w, "halt_level", st.halt_level);
    rt_jsonw_object_end(w);
    return RT_OK;
}
