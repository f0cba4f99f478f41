/* rt-trader's loop: signals from the `signals` stream (group `trader`) -> recorded once ->
 * risk decision -> order row committed -> demo fill -> trades, position and balances committed
 * -> XACK -> trader:events. At start: orders left PENDING are resolved, then entries a crashed
 * run left pending are claimed again. Resting LIMIT orders: demo ones are tried on every price
 * of their symbol, live ones followed at the exchange every 2 s; either way a fill is booked
 * in one transaction under the order row's lock (docs/TRADER.md, "LIMIT orders"). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/hmac.h"
#include "rt/jsonw.h"
#include "rt/log.h"
#include "rt/msg.h"
#include "rt/sig.h"
#include "rt/str.h"
#include "rt/time.h"
#include "tr_fees.h"
#include "tr_svc.h"

#define READ_COUNT 16
#define READ_BLOCK_MS 100
#define PENDING_MAX 256

/* ---- signal parsing --------------------------------------------------------------------- */

/* The signal's metadata as a JSON object text for signals.metadata. */
static int meta_json(const rt_signal_t *s, rt_jsonw_t *w)
{
    rt_jsonw_reset(w);
    rt_jsonw_object_begin(w);
    for (size_t i = 0; i < s->meta_count; i++)
        rt_jsonw_kv_double(w, s->meta[i].key, s->meta[i].value);
    rt_jsonw_object_end(w);
    return rt_jsonw_finish(w);
}

/* ---- events ------------------------------------------------------------------------------ */

static void publish(tr_io_t *io, const char *channel, const char *text, size_t len)
{
    int rc = rt_bus_publish(io->bus, channel, text, len);
    if (rc < 0)
        rt_log_warn("service", "publish failed channel=%s err=%s", channel, rt_strerror(rc));
}

static void publish_event(tr_io_t *io, const rt_event_t *ev)
{
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    int rc = rt_msg_event_format(&w, ev);
    if (rc == 0)
        rc = rt_jsonw_finish(&w);
    if (rc == 0)
        publish(io, TR_SVC_EVENTS, rt_jsonw_data(&w), rt_jsonw_len(&w));
    else
        rt_log_warn("service", "event not published type=%s err=%s", rt_event_type_name(ev->type),
                    rt_strerror(rc));
    rt_jsonw_cleanup(&w);
}

/* Publishes the order's row, and with fills its trades and position, as stored. */
static void publish_order(tr_io_t *io, int64_t order_id, bool fills)
{
    rt_event_t *ev = calloc(1, sizeof *ev);
    rt_trade_t *trades = calloc(8, sizeof *trades);
    size_t n = 0;
    if (!ev || !trades)
        goto out;
    ev->type = RT_EVENT_ORDER;
    if (tr_store_order_get(io->db, order_id, &ev->u.order) != 0)
        goto out;
    int64_t position_id = ev->u.order.position_id;
    publish_event(io, ev);
    if (!fills || tr_store_trades_of_order(io->db, order_id, trades, 8, &n) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        ev->type = RT_EVENT_TRADE;
        ev->u.trade = trades[i];
        publish_event(io, ev);
    }
    ev->type = RT_EVENT_POSITION;
    if (position_id > 0 && tr_store_position_get(io->db, position_id, &ev->u.position) == 0)
        publish_event(io, ev);
out:
    free(trades);
    free(ev);
}

void tr_svc_publish_risk(tr_svc_t *svc, tr_io_t *io, const char *reason)
{
    rt_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = RT_EVENT_RISK;
    ev.u.risk.paused = atomic_load(&svc->paused);
    rt_str_copy(ev.u.risk.reason, sizeof ev.u.risk.reason, reason);
    publish_event(io, &ev);
}

int tr_svc_price(tr_svc_t *svc, const char *symbol, rt_money_t *out)
{
    int rc = RT_ENOTFOUND;
    pthread_mutex_lock(&svc->prices.lock);
    for (size_t i = 0; i < svc->prices.n; i++)
        if (strcmp(svc->prices.at[i].symbol, symbol) == 0) {
            *out = svc->prices.at[i].price;
            rc = RT_OK;
            break;
        }
    pthread_mutex_unlock(&svc->prices.lock);
    return rc;
}

static void price_set(tr_svc_t *svc, const char *symbol, rt_money_t price, int64_t time_ms)
{
    pthread_mutex_lock(&svc->prices.lock);
    size_t i = 0;
    while (i < svc->prices.n && strcmp(svc->prices.at[i].symbol, symbol) != 0)
        i++;
    if (i == svc->prices.n && svc->prices.n < TR_PRICES_MAX) {
        svc->prices.n++;
        rt_str_copy(svc->prices.at[i].symbol, sizeof svc->prices.at[i].symbol, symbol);
    }
    if (i < svc->prices.n) {
        svc->prices.at[i].price = price;
        svc->prices.at[i].time_ms = time_ms;
    }
    pthread_mutex_unlock(&svc->prices.lock);
}

static bool is_quote_asset(const char *asset)
{
    static const char *const quotes[] = {"USDC", "USDT", "FDUSD", "BUSD"};
    for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++)
        if (strcmp(asset, quotes[i]) == 0)
            return true;
    return false;
}

/* account:balances and account:total_balance, valued in the quote asset at the latest prices
 * (an asset with no known price counts 0). */
static void publish_balances(tr_svc_t *svc, tr_io_t *io)
{
    rt_balance_t b[64];
    size_t n = 0;
    int rc = tr_store_balances(io->db, b, 64, &n);
    if (rc != 0) {
        rt_log_warn("service", "balances not published err=%s", rt_strerror(rc));
        return;
    }
    rt_money_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_quote_asset(b[i].asset)) {
            b[i].quote_value = b[i].total;
        } else {
            char sym[RT_SYMBOL_CAP];
            rt_money_t px = 0;
            int k = snprintf(sym, sizeof sym, "%s%s", b[i].asset, svc->cfg.quote_asset);
            if (k > 0 && (size_t)k < sizeof sym && tr_svc_price(svc, sym, &px) == 0 &&
                rt_money_mul(b[i].total, px, RT_ROUND_DOWN, &b[i].quote_value) != 0)
                b[i].quote_value = 0;
        }
        if (rt_money_add(total, b[i].quote_value, &total) != 0)
            total = RT_MONEY_MAX;
    }
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    if (rt_msg_balances_format(&w, b, n) == 0 && rt_jsonw_finish(&w) == 0)
        publish(io, "account:balances", rt_jsonw_data(&w), rt_jsonw_len(&w));
    rt_total_balance_t tb = {.total_quote = total};
    rt_str_copy(tb.asset, sizeof tb.asset, svc->cfg.quote_asset);
    rt_jsonw_reset(&w);
    if (rt_msg_total_balance_format(&w, &tb) == 0 && rt_jsonw_finish(&w) == 0)
        publish(io, "account:total_balance", rt_jsonw_data(&w), rt_jsonw_len(&w));
    rt_jsonw_cleanup(&w);
}

/* ---- decisions ----------------------------------------------------------------------------- */

static void reject(tr_svc_decision_t *d, const char *code, const char *reason)
{
    d->accept = false;
    snprintf(d->code, sizeof d->code, "%s", code);
    snprintf(d->reason, sizeof d->reason, "%s", reason);
}

/* A client order id: Binance allows ^[.A-Z:/a-z0-9_-]{1,36}$; ours is "rt" + 32 hex digits of
 * HMAC-SHA256(seed), so a signal (seed = its id) can never make two orders. */
static int coid_for(const char *seed, char *out, size_t cap)
{
    char hex[RT_HMAC_HEX_CAP];
    static const char key[] = "rt-client-order-id";
    int rc = rt_hmac_sha256_hex(key, sizeof key - 1, seed, strlen(seed), hex);
    if (rc != 0)
        return rc;
    int n = snprintf(out, cap, "rt%.32s", hex);
    return n > 0 && (size_t)n < cap ? RT_OK : RT_ETOOBIG;
}

/* The decision, inside the caller's transaction: the shell's own checks (a known quote asset,
 * a price), then the trader core's risk manager (tr_core_decide). */
static int decide(tr_svc_t *svc, tr_io_t *io, const tr_svc_intent_t *in, tr_svc_decision_t *d)
{
    int rc;
    memset(d, 0, sizeof *d);
    tr_svc_order_t *o = &d->order;
    char base[TR_ASSET_NAME_CAP], quote[TR_ASSET_NAME_CAP];
    if (tr_exec_split_symbol(in->symbol, base, sizeof base, quote, sizeof quote) != 0) {
        reject(d, "unknown_symbol", "the symbol has no known quote asset");
        return RT_OK;
    }
    rt_str_copy(o->symbol, sizeof o->symbol, in->symbol);
    rt_str_copy(o->strategy, sizeof o->strategy, in->strategy);
    rt_str_copy(o->signal_id, sizeof o->signal_id, in->signal_id);
    rt_str_copy(o->reason, sizeof o->reason, in->reason);
    o->side = in->side;
    o->ref_price = in->ref_price;
    o->limit = in->limit;
    o->stop_loss = in->stop_loss;
    o->take_profit = in->take_profit;
    if (in->signal_id[0]) {
        rc = coid_for(in->signal_id, o->client_order_id, sizeof o->client_order_id);
    } else {
        char seed[96];
        snprintf(seed, sizeof seed, "manual:%lld:%lld:%llu", (long long)rt_time_now_ms(),
                 (long long)rt_time_mono_ns(),
                 (unsigned long long)atomic_fetch_add(&svc->manual_seq, 1));
        rc = coid_for(seed, o->client_order_id, sizeof o->client_order_id);
    }
    if (rc != 0)
        return rc;
    if (o->ref_price <= 0) {
        reject(d, "no_price", "no price known for the symbol yet");
        return RT_OK;
    }
    bool done = false;
    if ((rc = tr_core_decide(svc, io, in, d, &done)) != 0)
        return rc;
    return done ? RT_OK : RT_ESTATE; /* the core is set up at start: never here */
}

/* ---- execution ----------------------------------------------------------------------------- */

static void fault_point(const tr_svc_t *svc, const char *where)
{
    if (strcmp(svc->cfg.fault, where) == 0) {
        rt_log_warn("service", "fault injected at=%s: killing myself", where);
        raise(SIGKILL);
    }
}

/* Books a SELL fill against its position: realized PnL is proceeds less fee less the sold
 * part's cost (entry value plus its share of the buy fee). */
static int book_sell(tr_io_t *io, const tr_svc_order_t *o, const tr_exec_fill_t *f, int64_t *pid)
{
    tr_store_position_t pos;
    int rc = tr_store_position_open_get(io->db, o->symbol, o->strategy, &pos);
    if (rc != 0)
        return rc;
    rt_money_t gross = 0, fee_share = 0, cost = 0, proceeds = 0, realized = 0;
    if ((rc = rt_money_mul(pos.entry_price, f->quantity, RT_ROUND_UP, &gross)) != 0 ||
        (rc = rt_money_mul_frac(pos.fees, f->quantity, pos.initial_quantity, RT_ROUND_UP,
                                &fee_share)) != 0 ||
        (rc = rt_money_add(gross, fee_share, &cost)) != 0 ||
        (rc = rt_money_sub(f->quote_quantity, f->fee, &proceeds)) != 0 ||
        (rc = rt_money_sub(proceeds, cost, &realized)) != 0)
        return rc;
    *pid = pos.id;
    return tr_store_position_reduce(io->db, pos.id, f, realized,
                                    o->reason[0] ? o->reason : "signal");
}

/* Fills a committed PENDING order in demo mode and commits trades, position, balances and the
 * order's new status in one transaction. */
static int execute_demo_tx(tr_svc_t *svc, tr_io_t *io, tr_svc_order_t *o)
{
    int rc;
    tr_exec_fill_t f;
    int64_t position_id = o->position_id, t0 = rt_time_mono_ns();
    char base[TR_ASSET_NAME_CAP], quote[TR_ASSET_NAME_CAP];
    bool failed = false;
    char error[TR_REASON_CAP] = "";
    rc = tr_exec_split_symbol(o->symbol, base, sizeof base, quote, sizeof quote);
    if (rc == 0)
        rc = tr_exec_demo_fill(svc, o, &f);
    if (rc == RT_EAGAIN)
        return rc; /* no exchange filters yet: stays PENDING, resolved at the next start */
    if (rc != 0) {
        failed = true;
        snprintf(error, sizeof error, "demo fill impossible: %s", rt_strerror(rc));
    }
    if ((rc = rt_db_begin(io->db)) != 0)
        return rc;
    if (!failed) {
        rt_money_t amount;
        if (o->side == RT_SIDE_BUY)
            rc = rt_money_add(f.quote_quantity, f.fee, &amount);
        else
            rc = rt_money_sub(f.quote_quantity, f.fee, &amount);
        if (rc != 0)
            goto fail;
        rc = tr_store_balance_add(io->db, quote, o->side == RT_SIDE_BUY ? -amount : amount);
        if (rc == 0)
            rc = tr_store_balance_add(io->db, base,
                                      o->side == RT_SIDE_BUY ? f.quantity : -f.quantity);
        if (rc == RT_EINVAL) {
            /* a balance would go negative (the table refuses it): the order fails and
               nothing else changes */
            rt_db_rollback(io->db);
            if ((rc = rt_db_begin(io->db)) != 0)
                return rc;
            failed = true;
            snprintf(error, sizeof error, "insufficient balance at fill time");
        } else if (rc != 0) {
            goto fail;
        }
    }
    if (!failed) {
        if (o->side == RT_SIDE_BUY) {
            rc = tr_exits_entry_levels(svc, o, f.price, f.quantity, &o->stop_loss, &o->take_profit);
            if (rc != 0) /* the signal's own levels stay; the position is still recorded */
                rt_log_warn("service", "exit levels not set coid=%s err=%s", o->client_order_id,
                            rt_strerror(rc));
            rc = tr_store_position_open(io->db, o, &f, &position_id);
        } else {
            rc = book_sell(io, o, &f, &position_id);
        }
        if (rc == 0)
            rc = tr_store_trade_insert(io->db, o, &f, position_id);
        if (rc == 0)
            rc = tr_store_order_filled(io->db, o, &f, position_id);
    } else {
        rc = tr_store_order_failed(io->db, o->id, error);
    }
    if (rc != 0)
        goto fail;
    if ((rc = rt_db_commit(io->db)) != 0)
        return rc;
    rt_histogram_observe(svc->m.order_to_commit, (double)(rt_time_mono_ns() - t0) / 1e9);
    if (failed) {
        rt_counter_inc(svc->m.orders_failed);
        rt_log_warn("service", "order failed coid=%s why=%s", o->client_order_id, error);
        publish_order(io, o->id, false);
        return RT_OK;
    }
    tr_core_observe(svc, io);
    rt_counter_inc(svc->m.orders_filled);
    rt_counter_inc(svc->m.fills);
    char px[RT_MONEY_FMT_MAX], q[RT_MONEY_FMT_MAX];
    rt_money_format(f.price, px, sizeof px);
    rt_money_format(f.quantity, q, sizeof q);
    rt_log_info("service", "order filled coid=%s symbol=%s side=%s qty=%s price=%s demo=1",
                o->client_order_id, o->symbol, rt_side_name(o->side), q, px);
    publish_order(io, o->id, true);
    publish_balances(svc, io);
    return RT_OK;
fail:
    rt_db_rollback(io->db);
    return rc;
}

static bool transient(int rc)
{
    return rc == RT_ECONN || rc == RT_ETIMEDOUT || rc == RT_EAGAIN || rc == RT_ENOMEM;
}

/* Applies the core's balance changes (free and locked deltas) inside the caller's
 * transaction. RT_EINVAL when a balance would go negative. */
static int apply_changes(tr_io_t *io, const tr_exec_limit_t *x)
{
    int rc = RT_OK;
    for (size_t i = 0; rc == 0 && i < x->n; i++)
        rc = tr_store_balance_change(io->db, x->changes[i].asset, x->changes[i].free,
                                     x->changes[i].locked);
    return rc;
}

/* Places a committed PENDING demo LIMIT order: its funds locked and the row NEW in one
 * transaction, or REJECTED when the funds are not there. */
static int place_limit_demo_tx(tr_svc_t *svc, tr_io_t *io, tr_svc_order_t *o)
{
    tr_exec_limit_t x;
    char error[TR_REASON_CAP] = "";
    int rc = tr_exec_demo_limit_place(svc, o, &x);
    if (rc == RT_EAGAIN)
        return rc; /* no filters yet: stays PENDING, resolved at the next start */
    if (rc != 0)
        snprintf(error, sizeof error, "demo LIMIT not placed: %s", rt_strerror(rc));
    if ((rc = rt_db_begin(io->db)) != 0)
        return rc;
    if (!error[0]) {
        rc = apply_changes(io, &x);
        if (rc == RT_EINVAL) {
            rt_db_rollback(io->db);
            if ((rc = rt_db_begin(io->db)) != 0)
                return rc;
            snprintf(error, sizeof error, "insufficient balance to lock for the LIMIT order");
        } else if (rc == 0) {
            rc = tr_store_order_resting(io->db, o);
        }
    }
    if (rc == 0 && error[0])
        rc = tr_store_order_failed(io->db, o->id, error);
    if (rc != 0) {
        rt_db_rollback(io->db);
        return rc;
    }
    if ((rc = rt_db_commit(io->db)) != 0)
        return rc;
    if (error[0]) {
        rt_counter_inc(svc->m.orders_failed);
        rt_log_warn("service", "order failed coid=%s why=%s", o->client_order_id, error);
        publish_order(io, o->id, false);
        return RT_OK;
    }
    atomic_fetch_add(&svc->limit_placed, 1); /* after the commit: limit_on_price looks again */
    char px[RT_MONEY_FMT_MAX], q[RT_MONEY_FMT_MAX], l[RT_MONEY_FMT_MAX];
    rt_money_format(o->price, px, sizeof px);
    rt_money_format(o->quantity, q, sizeof q);
    rt_money_format(o->locked, l, sizeof l);
    rt_log_info("service",
                "limit order resting coid=%s symbol=%s side=%s qty=%s price=%s "
                "locked=%s %s demo=1",
                o->client_order_id, o->symbol, rt_side_name(o->side), q, px, l, o->locked_asset);
    publish_order(io, o->id, false);
    publish_balances(svc, io);
    return RT_OK;
}

/* Books a fill of the resting order o (locked by the caller's transaction): balances, the
 * position (opened with the order's levels, or reduced), one MAKER trade, the order FILLED. */
static int book_limit_fill(tr_svc_t *svc, tr_io_t *io, tr_svc_order_t *o, const tr_exec_limit_t *x,
                           int64_t *position_id)
{
    const tr_exec_fill_t *f = &x->fill;
    int64_t pid = o->position_id;
    int rc = apply_changes(io, x);
    if (rc != 0)
        return rc;
    if (o->side == RT_SIDE_BUY) {
        rc = tr_exits_entry_levels(svc, o, f->price, f->quantity, &o->stop_loss, &o->take_profit);
        if (rc != 0)
            rt_log_warn("service", "exit levels not set coid=%s err=%s", o->client_order_id,
                        rt_strerror(rc));
        rc = tr_store_position_open(io->db, o, f, &pid);
    } else {
        rc = book_sell(io, o, f, &pid);
        if (rc == RT_ENOTFOUND) { /* the position went meanwhile: the sale is still booked */
            rt_log_warn("service", "limit SELL filled without an open position coid=%s",
                        o->client_order_id);
            pid = 0;
            rc = RT_OK;
        }
    }
    if (rc == 0)
        rc = tr_store_trade_insert(io->db, o, f, pid);
    if (rc == 0)
        rc = tr_store_order_filled(io->db, o, f, pid);
    if (rc == 0)
        *position_id = pid;
    return rc;
}

#define RESTING_MAX 64

/* The loop's state of symbol (created on first use); NULL when the table is full. */
static tr_sym_state_t *sym_state(tr_svc_t *svc, const char *symbol)
{
    size_t i = 0;
    while (i < svc->seen_n && strcmp(svc->seen[i].symbol, symbol) != 0)
        i++;
    if (i == svc->seen_n) {
        if (i == TR_PRICES_MAX)
            return NULL;
        memset(&svc->seen[i], 0, sizeof svc->seen[i]);
        rt_str_copy(svc->seen[i].symbol, sizeof svc->seen[i].symbol, symbol);
        svc->seen[i].open_time = INT64_MIN;
        svc->seen_n++;
    }
    return &svc->seen[i];
}

/* Tries the demo's resting LIMIT orders of symbol against the range [low, high] (loop
 * thread): each that the market reached is filled and booked in its own transaction. */
static void limit_on_price(tr_svc_t *svc, const char *symbol, rt_money_t low, rt_money_t high)
{
    if (svc->cfg.trading_mode != TR_MODE_DEMO)
        return;
    /* Nothing rested here at the last look and no LIMIT order was placed since (the count
       grows after a placement's commit, so one committed after that look changes it): no
       query. Fills and cancels only remove orders. */
    tr_sym_state_t *st = sym_state(svc, symbol);
    uint64_t placed = atomic_load(&svc->limit_placed);
    if (st != NULL && st->no_resting && st->no_resting_at == placed)
        return;
    tr_io_t *io = &svc->io;
    tr_svc_order_t *rest = calloc(RESTING_MAX, sizeof *rest);
    size_t n = 0;
    int rc =
        rest ? tr_store_resting_orders(io->db, symbol, true, rest, RESTING_MAX, &n) : RT_ENOMEM;
    if (st != NULL) {
        st->no_resting = rc == 0 && n == 0;
        st->no_resting_at = placed;
    }
    if (rc != 0)
        rt_log_warn("service", "resting orders not loaded symbol=%s err=%s", symbol,
                    rt_strerror(rc));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        tr_exec_limit_t x;
        /* a quick look first: most prices reach no order */
        int trc = tr_exec_demo_limit_try(svc, &rest[i], low, high, &x);
        if (trc == RT_EAGAIN)
            continue;
        if (trc != 0) {
            rt_log_warn("service", "resting order not tried coid=%s err=%s",
                        rest[i].client_order_id, rt_strerror(trc));
            continue;
        }
        tr_svc_order_t o;
        char status[24];
        int64_t pid = 0;
        if ((trc = rt_db_begin(io->db)) != 0) {
            rc = trc;
            break;
        }
        /* again under the row's lock: a cancel or another fill may have come first */
        trc = tr_store_order_lock(io->db, rest[i].id, &o, status, sizeof status);
        if (trc == 0 && strcmp(status, "NEW") != 0 && strcmp(status, "PARTIALLY_FILLED") != 0) {
            rt_db_rollback(io->db);
            continue;
        }
        if (trc == 0)
            trc = tr_exec_demo_limit_try(svc, &o, low, high, &x);
        if (trc == 0)
            trc = book_limit_fill(svc, io, &o, &x, &pid);
        fault_point(svc, "before_limit_fill_commit");
        if (trc == 0)
            trc = rt_db_commit(io->db);
        else
            rt_db_rollback(io->db);
        if (trc != 0) {
            rt_log_error("service",
                         "limit fill not booked coid=%s err=%s: tried again on the "
                         "next price",
                         rest[i].client_order_id, rt_strerror(trc));
            continue;
        }
        tr_core_observe(svc, io);
        rt_counter_inc(svc->m.orders_filled);
        rt_counter_inc(svc->m.fills);
        char px[RT_MONEY_FMT_MAX], q[RT_MONEY_FMT_MAX];
        rt_money_format(x.fill.price, px, sizeof px);
        rt_money_format(x.fill.quantity, q, sizeof q);
        rt_log_info("service",
                    "limit order filled coid=%s symbol=%s side=%s qty=%s price=%s "
                    "demo=1",
                    o.client_order_id, o.symbol, rt_side_name(o.side), q, px);
        publish_order(io, o.id, true);
        publish_balances(svc, io);
    }
    free(rest);
}

static int live_follow(tr_svc_t *svc, tr_io_t *io, const tr_svc_order_t *o,
                       const tr_live_state_t *known);

static bool resting(const char *status)
{
    return strcmp(status, "NEW") == 0 || strcmp(status, "PARTIALLY_FILLED") == 0;
}

/* Live cancel: DELETE at the exchange, then the order followed to its end (fills made before
 * the cancel recorded, the position booked, CANCELED). */
static int live_cancel(tr_svc_t *svc, tr_io_t *io, tr_svc_order_t *o, char *status,
                       size_t status_cap)
{
    tr_live_state_t st;
    int rc = tr_live_cancel(svc, o, &st);
    if (rc == RT_ENOTFOUND) { /* not open at the exchange any more: say what it became */
        int frc = live_follow(svc, io, o, NULL);
        rt_order_t row;
        if (frc == 0 && tr_store_order_get(io->db, o->id, &row) == 0)
            rt_str_copy(status, status_cap, rt_order_status_name(row.status));
        else
            rt_str_copy(status, status_cap, "not open at the exchange");
        return RT_ESTATE;
    }
    if (rc != 0)
        return rc;
    rt_log_info("service", "limit order canceled at the exchange coid=%s symbol=%s demo=0",
                o->client_order_id, o->symbol);
    return live_follow(svc, io, o, &st);
}

int tr_svc_cancel(tr_svc_t *svc, tr_io_t *io, int64_t id, char *status, size_t status_cap)
{
    tr_svc_order_t o;
    tr_exec_limit_t x;
    char st[24];
    int rc = rt_db_begin(io->db);
    if (rc != 0)
        return rc;
    if ((rc = tr_store_order_lock(io->db, id, &o, st, sizeof st)) != 0)
        goto fail;
    if (!o.limit || !resting(st)) {
        rt_str_copy(status, status_cap, st);
        rc = RT_ESTATE;
        goto fail;
    }
    if (svc->cfg.trading_mode == TR_MODE_LIVE) {
        rt_db_rollback(io->db); /* no row lock held across the exchange's answer */
        return live_cancel(svc, io, &o, status, status_cap);
    }
    if ((rc = tr_exec_demo_limit_cancel(svc, &o, &x)) != 0 || (rc = apply_changes(io, &x)) != 0 ||
        (rc = tr_store_order_canceled(io->db, o.id)) != 0)
        goto fail;
    if ((rc = rt_db_commit(io->db)) != 0)
        return rc;
    rt_log_info("service", "limit order canceled coid=%s symbol=%s demo=1", o.client_order_id,
                o.symbol);
    publish_order(io, o.id, false);
    publish_balances(svc, io);
    return RT_OK;
fail:
    rt_db_rollback(io->db);
    return rc;
}

/* Executes o; a failure that would fail again (bad data, a refused row) ends the order as
 * REJECTED with the error, so it never stays pending; a transient one (database away) leaves
 * it PENDING for the next start to resolve. */
static int execute_demo(tr_svc_t *svc, tr_io_t *io, tr_svc_order_t *o)
{
    int rc = o->limit ? place_limit_demo_tx(svc, io, o) : execute_demo_tx(svc, io, o);
    if (rc == 0 || transient(rc))
        return rc;
    char error[TR_REASON_CAP];
    snprintf(error, sizeof error, "execution failed: %s", rt_strerror(rc));
    rt_log_error("service", "order failed coid=%s why=%s", o->client_order_id, error);
    int rc2 = tr_store_order_failed(io->db, o->id, error);
    if (rc2 != 0)
        return rc2;
    rt_counter_inc(svc->m.orders_failed);
    publish_order(io, o->id, false);
    return RT_OK;
}

/* ---- live execution -------------------------------------------------------------------------- */

/* Reads the exchange account, mirrors it into the balances table and publishes it. */
static int live_sync_balances(tr_svc_t *svc, tr_io_t *io)
{
    rt_balance_t b[64];
    size_t n = 0;
    int rc = tr_live_balances(svc, b, 64, &n);
    if (rc != 0)
        return rc;
    if ((rc = rt_db_begin(io->db)) != 0)
        return rc;
    if ((rc = tr_store_balances_replace(io->db, b, n)) != 0) {
        rt_db_rollback(io->db);
        rt_log_warn("service", "live balances not stored err=%s", rt_strerror(rc));
        return rc;
    }
    if ((rc = rt_db_commit(io->db)) != 0)
        return rc;
    publish_balances(svc, io);
    return RT_OK;
}

/* A commission in a third asset (BNB) valued in the quote asset at the latest price of
 * <asset><quote> the trader knows (market:ticker / market:data). Without one the fill is
 * marked unvalued (warned, counted) and its fee stays out of the books: never guessed. */
static int live_third_fee(tr_svc_t *svc, const tr_svc_order_t *o, const char *base,
                          const char *quote, tr_live_fill_t *x, rt_money_t *value)
{
    char sym[RT_SYMBOL_CAP];
    rt_money_t px = 0;
    int n = snprintf(sym, sizeof sym, "%s%s", x->f.fee_asset, quote);
    if (n < 0 || (size_t)n >= sizeof sym || tr_svc_price(svc, sym, &px) != 0)
        px = 0;
    int rc = tr_fee_value(x->f.fee, x->f.fee_asset, base, quote, 0, px, value);
    if (rc != RT_ENOTFOUND)
        return rc;
    char fee[RT_MONEY_FMT_MAX];
    rt_money_format(x->f.fee, fee, sizeof fee);
    rt_log_warn("service",
                "commission not valued coid=%s fee=%s %s: no %s price known yet; the trade keeps "
                "it, the position's fees and PnL leave it out",
                o->client_order_id, fee, x->f.fee_asset, sym);
    x->fee_unvalued = true;
    *value = 0;
    return RT_OK;
}

/* The exchange's fills as one fill for the books: gross quantity and quote, average price,
 * the fees valued in the quote asset (a commission in the base asset at the average price,
 * one in a third asset such as BNB at its latest known price: live_third_fee). *net gets the
 * base quantity received (a BUY's base commission taken off). */
static int live_aggregate(tr_svc_t *svc, const tr_svc_order_t *o, tr_live_result_t *res,
                          tr_exec_fill_t *agg, rt_money_t *net)
{
    char base[TR_ASSET_NAME_CAP], quote[TR_ASSET_NAME_CAP];
    int rc = tr_exec_split_symbol(o->symbol, base, sizeof base, quote, sizeof quote);
    if (rc != 0)
        return rc;
    rt_money_t qty = 0, qq = 0, fee_quote = 0, fee_base = 0;
    for (size_t i = 0; i < res->n; i++) {
        tr_live_fill_t *x = &res->fills[i];
        const tr_exec_fill_t *f = &x->f;
        x->fee_unvalued = false;
        if ((rc = rt_money_add(qty, f->quantity, &qty)) != 0 ||
            (rc = rt_money_add(qq, f->quote_quantity, &qq)) != 0)
            return rc;
        if (strcmp(f->fee_asset, quote) == 0) {
            rc = rt_money_add(fee_quote, f->fee, &fee_quote);
        } else if (strcmp(f->fee_asset, base) == 0) {
            rc = rt_money_add(fee_base, f->fee, &fee_base);
        } else if (f->fee > 0) {
            rt_money_t v = 0;
            if ((rc = live_third_fee(svc, o, base, quote, x, &v)) == 0)
                rc = rt_money_add(fee_quote, v, &fee_quote);
        }
        if (rc != 0)
            return rc;
    }
    if (qty <= 0)
        return RT_EPROTO;
    memset(agg, 0, sizeof *agg);
    agg->quantity = qty;
    agg->quote_quantity = qq;
    rt_money_t fee_base_quote = 0;
    if ((rc = rt_money_div(qq, qty, RT_ROUND_NEAREST, &agg->price)) != 0 ||
        (rc = rt_money_mul(fee_base, agg->price, RT_ROUND_UP, &fee_base_quote)) != 0 ||
        (rc = rt_money_add(fee_quote, fee_base_quote, &agg->fee)) != 0 ||
        (rc = rt_money_sub(qty, o->side == RT_SIDE_BUY ? fee_base : 0, net)) != 0)
        return rc;
    return rt_str_copy(agg->fee_asset, sizeof agg->fee_asset, quote);
}

/* Books a live FILLED result: exchange order id, position, one trade per exchange fill, the
 * order FILLED, in one transaction. */
static int live_book_tx(tr_svc_t *svc, tr_io_t *io, tr_svc_order_t *o, tr_live_result_t *res)
{
    tr_exec_fill_t agg, pos_fill;
    rt_money_t net = 0;
    int64_t position_id = o->position_id;
    int rc = live_aggregate(svc, o, res, &agg, &net);
    if (rc != 0)
        return rc;
    pos_fill = agg;
    pos_fill.quantity = net;
    if ((rc = rt_db_begin(io->db)) != 0)
        return rc;
    if (res->exchange_order_id > 0 &&
        (rc = tr_store_order_exchange_id(io->db, o->id, res->exchange_order_id)) != 0)
        goto fail;
    if (o->side == RT_SIDE_BUY) {
        rc = tr_exits_entry_levels(svc, o, agg.price, net, &o->stop_loss, &o->take_profit);
        if (rc != 0)
            rt_log_warn("service", "exit levels not set coid=%s err=%s", o->client_order_id,
                        rt_strerror(rc));
        rc = tr_store_position_open(io->db, o, &pos_fill, &position_id);
        if (rc == 0)
            rc = tr_store_position_live(io->db, position_id);
    } else {
        rc = book_sell(io, o, &agg, &position_id);
    }
    for (size_t i = 0; rc == 0 && i < res->n; i++) {
        rc = tr_store_trade_insert_live(io->db, o, &res->fills[i].f, position_id,
                                        res->fills[i].trade_id);
        if (rc == 0 && res->fills[i].fee_unvalued)
            rc = tr_store_trade_fee_unvalued(io->db, o->id, res->fills[i].trade_id);
    }
    if (rc == 0)
        rc = tr_store_order_filled(io->db, o, &agg, position_id);
    if (rc != 0)
        goto fail;
    return rt_db_commit(io->db);
fail:
    rt_db_rollback(io->db);
    return rc;
}

/* Live execution of a committed PENDING order: sent (or, when lookup, only looked up by its
 * client order id), then booked. A fate still unknown leaves it PENDING for the next start.
 * An exchange rejection sets d's code "exchange_rejected" and reason (when d is given). */
static int execute_live(tr_svc_t *svc, tr_io_t *io, tr_svc_order_t *o, bool lookup,
                        tr_svc_decision_t *d)
{
    int64_t t0 = rt_time_mono_ns();
    tr_live_result_t *res = calloc(1, sizeof *res);
    if (!res)
        return RT_ENOMEM;
    int rc = lookup ? tr_live_lookup(svc, o, res) : tr_live_send(svc, o, res);
    fault_point(svc, "after_send");
    if (rc != 0) {
        rt_log_error("service",
                     "order left PENDING coid=%s: its fate at the exchange is unknown (%s); "
                     "the next start looks it up",
                     o->client_order_id, rt_strerror(rc));
        rc = RT_OK;
        goto out;
    }
    if (res->outcome == TR_LIVE_REJECTED) {
        if ((rc = tr_store_order_failed(io->db, o->id, res->reason)) != 0)
            goto out;
        rt_counter_inc(svc->m.orders_failed);
        rt_log_warn("service", "order rejected coid=%s why=%s", o->client_order_id, res->reason);
        if (d) {
            snprintf(d->code, sizeof d->code, "exchange_rejected");
            snprintf(d->reason, sizeof d->reason, "%s", res->reason);
        }
        publish_order(io, o->id, false);
        goto out;
    }
    if (lookup && o->limit && res->outcome == TR_LIVE_FILLED) {
        /* a LIMIT that executed while we were away: the lookup has only its totals; followed
           like a resting order, its fills come from myTrades (price, commission, role) */
        res->outcome = TR_LIVE_RESTING;
    }
    if (res->outcome == TR_LIVE_RESTING) {
        if ((rc = rt_db_begin(io->db)) != 0)
            goto out;
        if ((rc = tr_store_order_live_resting(io->db, o->id, res->exchange_order_id)) != 0 ||
            (rc = rt_db_commit(io->db)) != 0) {
            rt_db_rollback(io->db);
            rt_log_error("service",
                         "resting order not recorded coid=%s err=%s: left PENDING, "
                         "the next start looks it up",
                         o->client_order_id, rt_strerror(rc));
            goto out;
        }
        rt_log_info("service",
                    "limit order resting coid=%s symbol=%s exchange_order_id=%lld "
                    "demo=0",
                    o->client_order_id, o->symbol, (long long)res->exchange_order_id);
        publish_order(io, o->id, false);
        if ((rc = live_follow(svc, io, o, NULL)) != 0) /* fills that came at once */
            rt_log_warn("service", "resting order not followed yet coid=%s err=%s",
                        o->client_order_id, rt_strerror(rc));
        rc = RT_OK;
        goto out;
    }
    if ((rc = live_book_tx(svc, io, o, res)) != 0) {
        rt_log_error("service",
                     "order FILLED at the exchange but not booked coid=%s exchange_order_id=%lld "
                     "err=%s: left PENDING, the next start books it",
                     o->client_order_id, (long long)res->exchange_order_id, rt_strerror(rc));
        goto out;
    }
    rt_histogram_observe(svc->m.order_to_commit, (double)(rt_time_mono_ns() - t0) / 1e9);
    tr_core_observe(svc, io);
    rt_counter_inc(svc->m.orders_filled);
    rt_counter_inc(svc->m.fills);
    for (size_t i = 0; i < res->n; i++)
        if (res->fills[i].fee_unvalued)
            rt_counter_inc(svc->m.fees_unvalued);
    rt_log_info("service", "order filled coid=%s symbol=%s side=%s exchange_order_id=%lld fills=%zu "
                           "demo=0",
                o->client_order_id, o->symbol, rt_side_name(o->side),
                (long long)res->exchange_order_id, res->n);
    publish_order(io, o->id, true);
    if (live_sync_balances(svc, io) != 0)
        publish_balances(svc, io);
out:
    free(res);
    return rc;
}

/* Our status for the exchange's final ones; NULL while the order is open. */
static const char *live_final_status(const char *st)
{
    if (strcmp(st, "FILLED") == 0)
        return "FILLED";
    if (strcmp(st, "CANCELED") == 0)
        return "CANCELED";
    if (strcmp(st, "REJECTED") == 0)
        return "REJECTED";
    if (strcmp(st, "EXPIRED") == 0 || strcmp(st, "EXPIRED_IN_MATCH") == 0)
        return "EXPIRED";
    return NULL;
}

/* Books the position of a finished live LIMIT order from all its recorded trades (inside the
 * caller's transaction) and points the trades at it. */
static int live_book_final(tr_svc_t *svc, tr_io_t *io, tr_svc_order_t *o, int64_t *position_id)
{
    rt_trade_t *t = calloc(TR_LIVE_FILLS_MAX, sizeof *t);
    tr_live_result_t *res = calloc(1, sizeof *res);
    size_t n = 0;
    int rc =
        t && res ? tr_store_trades_of_order(io->db, o->id, t, TR_LIVE_FILLS_MAX, &n) : RT_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        tr_exec_fill_t *f = &res->fills[i].f;
        f->price = t[i].price;
        f->quantity = t[i].quantity;
        f->quote_quantity = t[i].quote_quantity;
        f->fee = t[i].fee;
        f->maker = t[i].role == RT_ROLE_MAKER;
        rc = rt_str_copy(f->fee_asset, sizeof f->fee_asset, t[i].fee_asset);
    }
    res->n = n;
    tr_exec_fill_t agg, pos_fill;
    rt_money_t net = 0;
    int64_t pid = o->position_id;
    if (rc == 0)
        rc = live_aggregate(svc, o, res, &agg, &net);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (res->fills[i].fee_unvalued)
            rc = tr_store_trade_fee_unvalued(io->db, o->id, t[i].exchange_trade_id);
    if (rc == 0 && o->side == RT_SIDE_BUY) {
        pos_fill = agg;
        pos_fill.quantity = net;
        if (tr_exits_entry_levels(svc, o, agg.price, net, &o->stop_loss, &o->take_profit) != 0)
            rt_log_warn("service", "exit levels not set coid=%s", o->client_order_id);
        rc = tr_store_position_open(io->db, o, &pos_fill, &pid);
        if (rc == 0)
            rc = tr_store_position_live(io->db, pid);
    } else if (rc == 0) {
        rc = book_sell(io, o, &agg, &pid);
        if (rc == RT_ENOTFOUND) {
            rt_log_warn("service", "limit SELL filled without an open position coid=%s",
                        o->client_order_id);
            pid = 0;
            rc = RT_OK;
        }
    }
    if (rc == 0 && pid > 0)
        rc = tr_store_trades_set_position(io->db, o->id, pid);
    if (rc == 0)
        *position_id = pid;
    free(res);
    free(t);
    return rc;
}

/* Follows a live resting LIMIT order: reads its state (or takes known), records each new fill
 * once (myTrades, keyed by trade id), and when the exchange says it is finished books the
 * position from all its fills and sets the final status, in one transaction under the order
 * row's lock (the loop and a cancel may follow the same order). */
static int live_follow(tr_svc_t *svc, tr_io_t *io, const tr_svc_order_t *given,
                       const tr_live_state_t *known)
{
    tr_live_state_t st;
    tr_live_fill_t *fills = NULL;
    size_t nf = 0;
    rt_money_t have = 0, have_quote = 0;
    int rc = known ? RT_OK : tr_live_state(svc, given, &st);
    if (known)
        st = *known;
    if (rc == 0)
        rc = tr_store_order_fill_totals(io->db, given->id, &have, &have_quote);
    if (rc != 0)
        return rc;
    const char *final = live_final_status(st.status);
    if (st.executed_qty > have) {
        fills = calloc(TR_LIVE_FILLS_MAX, sizeof *fills);
        rc = fills ? tr_live_trades(svc, given->symbol, st.exchange_order_id, fills,
                                    TR_LIVE_FILLS_MAX, &nf)
                   : RT_ENOMEM;
        if (rc != 0)
            goto out;
    } else if (!final) {
        goto out; /* nothing new */
    }
    tr_svc_order_t o;
    char status[24];
    int64_t pid = 0;
    rt_money_t q = 0, qq = 0, avg = 0;
    if ((rc = rt_db_begin(io->db)) != 0)
        goto out;
    if ((rc = tr_store_order_lock(io->db, given->id, &o, status, sizeof status)) != 0)
        goto fail;
    if (!resting(status)) { /* finished by someone else meanwhile */
        rt_db_rollback(io->db);
        goto out;
    }
    if (st.exchange_order_id > 0 &&
        (rc = tr_store_order_exchange_id(io->db, o.id, st.exchange_order_id)) != 0)
        goto fail;
    for (size_t i = 0; rc == 0 && i < nf; i++)
        rc = tr_store_trade_insert_live(io->db, &o, &fills[i].f, 0, fills[i].trade_id);
    if (rc == 0)
        rc = tr_store_order_fill_totals(io->db, o.id, &q, &qq);
    if (rc != 0)
        goto fail;
    if (final && q < st.executed_qty) {
        rt_log_warn("service",
                    "order %s at the exchange but its trades are not all listed yet "
                    "coid=%s: finished on a later poll",
                    st.status, o.client_order_id);
        final = NULL;
    }
    if (q > 0 && (rc = rt_money_div(qq, q, RT_ROUND_NEAREST, &avg)) != 0)
        goto fail;
    if (final && q > 0 && (rc = live_book_final(svc, io, &o, &pid)) != 0)
        goto fail;
    if ((rc = tr_store_order_progress(io->db, o.id,
                                      final   ? final
                                      : q > 0 ? "PARTIALLY_FILLED"
                                              : "NEW",
                                      q, qq, avg, pid)) != 0)
        goto fail;
    fault_point(svc, "before_live_follow_commit");
    if ((rc = rt_db_commit(io->db)) != 0)
        goto out;
    if (final || nf > 0) {
        char fq[RT_MONEY_FMT_MAX];
        rt_money_format(q, fq, sizeof fq);
        rt_log_info("service", "live order %s coid=%s filled=%s new_fills=%zu demo=0",
                    final ? final : "PARTIALLY_FILLED", o.client_order_id, fq, nf);
        if (final && strcmp(final, "FILLED") == 0)
            rt_counter_inc(svc->m.orders_filled);
        if (nf > 0) {
            rt_counter_inc(svc->m.fills);
            tr_core_observe(svc, io);
        }
        publish_order(io, o.id, true);
        if (live_sync_balances(svc, io) != 0)
            publish_balances(svc, io);
    }
    goto out;
fail:
    rt_db_rollback(io->db);
out:
    free(fills);
    return rc;
}

/* Live: follows every resting LIMIT order (loop thread, every few seconds). */
static void live_follow_all(tr_svc_t *svc)
{
    tr_svc_order_t *rest = calloc(RESTING_MAX, sizeof *rest);
    size_t n = 0;
    int rc =
        rest ? tr_store_resting_orders(svc->io.db, "", false, rest, RESTING_MAX, &n) : RT_ENOMEM;
    if (rc != 0)
        rt_log_warn("service", "resting orders not loaded err=%s", rt_strerror(rc));
    for (size_t i = 0; rc == 0 && i < n && !rt_sig_stopping(); i++) {
        int frc = live_follow(svc, &svc->io, &rest[i], NULL);
        if (frc != 0)
            rt_log_warn("service", "resting order not followed coid=%s err=%s: tried again",
                        rest[i].client_order_id, rt_strerror(frc));
    }
    free(rest);
}

/* Executes a committed PENDING order in the configured mode. */
static int execute(tr_svc_t *svc, tr_io_t *io, tr_svc_order_t *o, tr_svc_decision_t *d)
{
    if (svc->cfg.trading_mode == TR_MODE_LIVE)
        return execute_live(svc, io, o, false, d);
    return execute_demo(svc, io, o);
}

int tr_svc_place(tr_svc_t *svc, tr_io_t *io, const tr_svc_intent_t *intent, tr_svc_decision_t *d)
{
    int rc;
    if ((rc = rt_db_begin(io->db)) != 0)
        return rc;
    if ((rc = decide(svc, io, intent, d)) != 0)
        goto fail;
    if (!d->accept) {
        rt_db_rollback(io->db); /* a refused manual order writes nothing */
        return RT_OK;
    }
    if ((rc = tr_store_order_insert(io->db, &d->order,
                                    svc->cfg.trading_mode == TR_MODE_DEMO)) != 0)
        goto fail;
    if ((rc = rt_db_commit(io->db)) != 0)
        return rc;
    publish_order(io, d->order.id, false);
    fault_point(svc, "after_order_commit");
    return execute(svc, io, &d->order, d);
fail:
    rt_db_rollback(io->db);
    return rc;
}

/* ---- one signal ----------------------------------------------------------------------------- */

/* Handles one stream entry. Returns 0 when it may be acknowledged (done, duplicate, malformed),
 * a negative code when it must stay pending (database down...). */
static int handle_entry(tr_svc_t *svc, const rt_bus_entry_t *e)
{
    int rc;
    tr_io_t *io = &svc->io;
    int64_t t0 = rt_time_mono_ns();
    rt_signal_t s;
    rt_msg_error_t err;
    if (e->nfields == 0)
        return RT_OK; /* trimmed while pending */
    memset(&err, 0, sizeof err);
    if (!e->data || rt_msg_signal_parse(e->data, e->data_len, &s, &err) != 0) {
        /* not recordable in `signals` (its columns need a valid id, symbol and price):
           logged loudly and acknowledged, never retried */
        const char *field = e->data ? err.field : "data";
        const char *why = e->data ? err.text : "the entry has no data field";
        rc = tr_store_malformed(io->db, svc->cfg.stream, e->id, e->data, e->data_len, field, why);
        if (transient(rc))
            return rc; /* the database is away: keep it pending, record it later */
        if (rc != 0)
            rt_log_error("service", "malformed signal not recorded entry=%s err=%s", e->id,
                         rt_strerror(rc));
        rt_counter_inc(svc->m.signals_malformed);
        rt_log_warn("service", "malformed signal rejected entry=%s field=%s why=%s", e->id, field,
                    why);
        return RT_OK;
    }
    rt_jsonw_t mw;
    rt_jsonw_init(&mw);
    bool demo = svc->cfg.trading_mode == TR_MODE_DEMO;
    tr_svc_intent_t in;
    tr_svc_decision_t d;
    memset(&in, 0, sizeof in);
    if ((rc = meta_json(&s, &mw)) != 0)
        goto out;
    if ((rc = rt_db_begin(io->db)) != 0)
        goto out;
    bool inserted = false;
    if ((rc = tr_store_signal_insert(io->db, &s, rt_jsonw_data(&mw), demo, &inserted)) != 0)
        goto fail;
    if (!inserted) {
        rt_db_rollback(io->db);
        rt_counter_inc(svc->m.signals_duplicate);
        rt_log_info("service", "duplicate signal ignored id=%s entry=%s", s.id, e->id);
        goto out;
    }
    rt_str_copy(in.symbol, sizeof in.symbol, s.symbol);
    rt_str_copy(in.strategy, sizeof in.strategy, s.strategy);
    rt_str_copy(in.signal_id, sizeof in.signal_id, s.id);
    in.side = s.side;
    in.ref_price = s.price;
    in.stop_loss = s.stop_loss;
    in.take_profit = s.take_profit;
    rt_str_copy(in.reason, sizeof in.reason, s.side == RT_SIDE_BUY ? "entry" : "exit");
    if ((rc = decide(svc, io, &in, &d)) != 0)
        goto fail;
    if (d.accept) {
        if ((rc = tr_store_order_insert(io->db, &d.order, demo)) != 0)
            goto fail;
        rc = tr_store_signal_outcome(io->db, s.id, "accepted", NULL, NULL, d.order.client_order_id);
    } else {
        rc = tr_store_signal_outcome(io->db, s.id, "rejected", d.code, d.reason, NULL);
    }
    if (rc != 0)
        goto fail;
    if ((rc = rt_db_commit(io->db)) != 0)
        goto out;
    if (!d.accept) {
        rt_counter_inc(svc->m.signals_rejected);
        rt_log_info("service", "signal rejected id=%s code=%s", s.id, d.code);
        goto out;
    }
    rt_counter_inc(svc->m.signals_accepted);
    rt_histogram_observe(svc->m.signal_to_order, (double)(rt_time_mono_ns() - t0) / 1e9);
    publish_order(io, d.order.id, false);
    fault_point(svc, "after_order_commit");
    rc = execute(svc, io, &d.order, NULL);
    goto out;
fail:
    rt_db_rollback(io->db);
out:
    rt_jsonw_cleanup(&mw);
    return rc;
}

static void handle_batch(tr_svc_t *svc, rt_bus_entry_t *entries, size_t n)
{
    for (size_t i = 0; i < n && !rt_sig_stopping(); i++) {
        int rc = handle_entry(svc, &entries[i]);
        if (rc != 0) {
            rt_log_error("service", "signal left pending entry=%s err=%s", entries[i].id,
                         rt_strerror(rc));
            continue; /* claimed again by the periodic reclaim or the next start */
        }
        fault_point(svc, "before_ack");
        const char *ids[] = {entries[i].id};
        rc = rt_bus_xack(svc->io.bus, svc->cfg.stream, TR_SVC_GROUP, ids, 1);
        if (rc < 0)
            rt_log_warn("service", "xack failed entry=%s err=%s", entries[i].id, rt_strerror(rc));
    }
}

/* ---- market data ----------------------------------------------------------------------------- */

/* The range of prices a candle update proves traded since the previous update of its symbol:
 * a candle's low and high cover its whole life, so a low already seen says nothing new, and a
 * resting order must not fill on a price traded before it was placed. A new low or high was
 * traded since the last update; otherwise only the close is known to be new. The first update
 * of a new candle: its range (all of it came after the previous candle's last update). The
 * first update seen of a symbol: the close only; an older candle: false (skip). */
static bool candle_news(tr_svc_t *svc, const rt_candle_t *c, rt_money_t *lo, rt_money_t *hi)
{
    tr_sym_state_t *e = sym_state(svc, c->symbol);
    if (e == NULL || e->open_time == INT64_MIN) {
        *lo = *hi = c->close;
    } else if (c->open_time < e->open_time) {
        return false;
    } else if (c->open_time > e->open_time) {
        *lo = c->low;
        *hi = c->high;
    } else {
        *lo = c->low < e->low ? c->low : c->close;
        *hi = c->high > e->high ? c->high : c->close;
    }
    if (e != NULL) {
        e->open_time = c->open_time;
        e->low = c->low;
        e->high = c->high;
    }
    return true;
}

static void on_market(void *ud, const char *pattern, const char *channel, const char *payload,
                      size_t len)
{
    tr_svc_t *svc = ud;
    (void)pattern;
    rt_msg_error_t err;
    if (strncmp(channel, "market:ticker:", 14) == 0) {
        rt_ticker_t t;
        if (rt_msg_ticker_parse(payload, len, &t, &err) != 0) {
            rt_log_warn("service", "malformed ticker dropped channel=%s why=%s", channel, err.text);
            return;
        }
        price_set(svc, t.symbol, t.price, t.event_time);
        limit_on_price(svc, t.symbol, t.price, t.price);
        tr_exits_on_price(svc, t.symbol, t.price, t.price, t.price, t.event_time);
    } else if (strncmp(channel, "market:data:", 12) == 0) {
        rt_candle_t c;
        if (rt_msg_candle_parse(payload, len, &c, &err) != 0) {
            rt_log_warn("service", "malformed candle dropped channel=%s why=%s", channel, err.text);
            return;
        }
        price_set(svc, c.symbol, c.close, c.close_time);
        rt_money_t lo, hi;
        if (candle_news(svc, &c, &lo, &hi))
            limit_on_price(svc, c.symbol, lo, hi);
        tr_exits_on_price(svc, c.symbol, c.high, c.low, c.close, c.close_time);
    }
}

/* ---- recovery -------------------------------------------------------------------------------- */

static int resolve_pending_orders(tr_svc_t *svc)
{
    tr_svc_order_t *pending = calloc(PENDING_MAX, sizeof *pending);
    size_t n = 0;
    if (!pending)
        return RT_ENOMEM;
    bool live = svc->cfg.trading_mode == TR_MODE_LIVE;
    int rc = tr_store_pending_orders(svc->io.db, !live, pending, PENDING_MAX, &n);
    /* a demo order left PENDING fills by the exchange's filters: give the loader a moment
       (an order still without them stays PENDING for the next start) */
    if (rc == 0 && n > 0 && !live && !tr_exfilters_wait(svc, 10000))
        rt_log_warn("service", "exchange filters not loaded yet: orders left pending wait for "
                               "the next start");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rt_log_warn("service", "resolving order left pending coid=%s%s",
                    pending[i].client_order_id, live ? " (looked up at the exchange)" : "");
        if (live) { /* never resent: only what the exchange says it did is booked */
            rc = execute_live(svc, &svc->io, &pending[i], true, NULL);
            continue;
        }
        if (pending[i].ref_price <= 0)
            tr_svc_price(svc, pending[i].symbol, &pending[i].ref_price);
        rc = execute_demo(svc, &svc->io, &pending[i]);
        if (rc == RT_EAGAIN) { /* no exchange filters yet: the next start tries again */
            rt_log_warn("service", "order left PENDING coid=%s: no exchange filters for %s yet",
                        pending[i].client_order_id, pending[i].symbol);
            rc = RT_OK;
        }
    }
    free(pending);
    return rc;
}

static int claim_pending(tr_svc_t *svc)
{
    char cursor[RT_BUS_ID_CAP] = "0-0";
    for (int round = 0; round < 1000 && !rt_sig_stopping(); round++) {
        rt_bus_entry_t *entries = NULL;
        size_t n = 0;
        char next[RT_BUS_ID_CAP];
        int rc = rt_bus_xautoclaim(svc->io.bus, svc->cfg.stream, TR_SVC_GROUP, svc->cfg.consumer, 0,
                                   cursor, 100, &entries, &n, next, sizeof next);
        if (rc != 0)
            return rc;
        if (n > 0)
            rt_log_info("service", "claimed %zu pending signals", n);
        handle_batch(svc, entries, n);
        rt_bus_entries_free(entries);
        if (strcmp(next, "0-0") == 0)
            break;
        rt_str_copy(cursor, sizeof cursor, next);
    }
    return RT_OK;
}

int tr_svc_run(tr_svc_t *svc)
{
    int rc;
    if ((rc = rt_bus_group_create(svc->io.bus, svc->cfg.stream, TR_SVC_GROUP, "0")) != 0)
        return rc;
    if ((rc = rt_bus_sub_psubscribe(svc->sub, "market:ticker:*")) != 0 ||
        (rc = rt_bus_sub_psubscribe(svc->sub, "market:data:*")) != 0)
        return rc;
    if (svc->cfg.trading_mode == TR_MODE_DEMO &&
        (rc = tr_store_seed_balances(svc->io.db, svc->cfg.demo_balances)) != 0)
        return rc;
    if (svc->cfg.trading_mode == TR_MODE_LIVE && (rc = live_sync_balances(svc, &svc->io)) != 0) {
        rt_log_error("service", "live: the exchange account cannot be read err=%s",
                     rt_strerror(rc));
        return rc;
    }
    if ((rc = tr_exits_init(svc)) != 0)
        return rc;
    bool paused = false;
    if ((rc = tr_store_risk_state_get(svc->io.db, &paused)) != 0)
        return rc;
    atomic_store(&svc->paused, paused);
    if (paused)
        rt_log_warn("service", "trading is paused (as left by an operator): POST /control/resume");
    if ((rc = resolve_pending_orders(svc)) != 0)
        return rc;
    if ((rc = claim_pending(svc)) != 0)
        return rc;
    if (svc->cfg.trading_mode != TR_MODE_LIVE)
        publish_balances(svc, &svc->io);
    atomic_store(&svc->db_ok, true);
    atomic_store(&svc->redis_ok, true);
    rt_log_info("service", "consuming stream=%s group=%s consumer=%s", svc->cfg.stream,
                TR_SVC_GROUP, svc->cfg.consumer);
    int64_t start = rt_time_mono_ms(), last_claim = start, last_balances = start,
            last_follow = start;
    while (!rt_sig_stopping()) {
        if (svc->cfg.run_seconds > 0 && rt_time_mono_ms() - start > svc->cfg.run_seconds * 1000)
            break;
        if (atomic_exchange(&svc->halt_sell, false))
            tr_core_halt_sell(svc);
        rc = rt_bus_sub_poll(svc->sub, 20, on_market, svc);
        if (rc < 0)
            rt_log_warn("service", "market data poll failed err=%s", rt_strerror(rc));
        rt_bus_entry_t *entries = NULL;
        size_t n = 0;
        rc = rt_bus_xreadgroup(svc->io.bus, svc->cfg.stream, TR_SVC_GROUP, svc->cfg.consumer, ">",
                               READ_COUNT, READ_BLOCK_MS, &entries, &n);
        if (rc == RT_ENOTFOUND) /* stream deleted under us: make the group again */
            rc = rt_bus_group_create(svc->io.bus, svc->cfg.stream, TR_SVC_GROUP, "0");
        atomic_store(&svc->redis_ok, rc == 0);
        if (rc != 0) {
            rt_log_warn("service", "xreadgroup failed err=%s", rt_strerror(rc));
            rt_time_sleep_ms(200);
            continue;
        }
        handle_batch(svc, entries, n);
        rt_bus_entries_free(entries);
        if (svc->cfg.trading_mode == TR_MODE_LIVE && rt_time_mono_ms() - last_follow > 2000) {
            last_follow = rt_time_mono_ms();
            live_follow_all(svc);
        }
        if (svc->cfg.trading_mode == TR_MODE_LIVE &&
            rt_time_mono_ms() - last_balances > svc->cfg.balance_seconds * 1000) {
            last_balances = rt_time_mono_ms();
            if ((rc = live_sync_balances(svc, &svc->io)) != 0)
                rt_log_warn("service", "live balances not refreshed err=%s", rt_strerror(rc));
        }
        if (rt_time_mono_ms() - last_claim > 30000) {
            /* entries this run left pending after a database error: try them again */
            last_claim = rt_time_mono_ms();
            if ((rc = claim_pending(svc)) != 0)
                rt_log_warn("service", "reclaim failed err=%s", rt_strerror(rc));
        }
    }
    return RT_OK;
}
