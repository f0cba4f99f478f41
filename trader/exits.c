/* The position manager's shell: on every ticker and candle of a symbol with open positions, the
 * trader core's position manager (tr_position.h: stop, target, trailing, partial take-profit,
 * breakeven) says whether to sell; this file loads the positions, persists their exit state and
 * places the SELL through the same path as every order (tr_svc_place).
 *
 * The core lives on another branch until it lands on main: without it (no tr_position.h in the
 * build), exits are off and rt-trader says so at start; entries keep the signal's own levels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include("tr_position.h") && __has_include("tr_settings.h")
#define TR_EXITS_CORE 1
#endif
#endif

#ifdef TR_EXITS_CORE
#include "rt/config.h"
#include "tr_position.h"
#include "tr_settings.h"
/* rt/exinfo.h (through tr_filters.h) and rt/msg.h both define RT_ASSET_CAP, as 24 and 17: the
 * core's types are declared above with exinfo's; msg's types below get msg's. Nothing here
 * uses the macro itself. (Reported: one of the two names should change in common/.) */
#undef RT_ASSET_CAP
#endif

#include "rt/err.h"
#include "rt/log.h"
#include "rt/str.h"
#include "tr_svc.h"

#ifdef TR_EXITS_CORE

#define EXIT_POSITIONS_MAX 64

_Static_assert(sizeof(tr_exit_config_t) <= TR_EXIT_CFG_SIZE, "tr_svc_t.exit_cfg too small");

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
    if (rc == 0) {
        memcpy(svc->exit_cfg, &s->exits, sizeof s->exits);
        svc->exits_on = true;
        rt_log_info("exits", "position manager on (stop, target, trailing, partial, breakeven)");
    } else {
        rt_log_error("exits", "exit settings refused: %s", report);
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

void tr_exits_on_price(tr_svc_t *svc, const char *symbol, rt_money_t high, rt_money_t low,
                       rt_money_t close)
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
    for (size_t i = 0; i < n; i++) {
        tr_position_t p, before;
        tr_exit_t ex;
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

#else /* no trader core in this build */

int tr_exits_init(tr_svc_t *svc)
{
    svc->exits_on = false;
    rt_log_warn("exits", "position exits are OFF: this build has no trader core (tr_position.h); "
                         "positions close only by a SELL signal or POST /positions/{id}/close");
    return RT_OK;
}

void tr_exits_on_price(tr_svc_t *svc, const char *symbol, rt_money_t high, rt_money_t low,
                       rt_money_t close)
{
    (void)svc;
    (void)symbol;
    (void)high;
    (void)low;
    (void)close;
}

int tr_exits_entry_levels(tr_svc_t *svc, const tr_svc_order_t *o, rt_money_t fill_price,
                          rt_money_t qty, rt_money_t *stop, rt_money_t *target)
{
    (void)svc;
    (void)o;
    (void)fill_price;
    (void)qty;
    (void)stop;
    (void)target;
    return RT_OK;
}

#endif
