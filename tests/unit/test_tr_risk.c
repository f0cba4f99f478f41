/* The risk manager: sizing, every limit, the halt, the drawdown brake, table-driven. */
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
#include "tr_risk.h"

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

#define NOW INT64_C(1700000000000)
#define DAY INT64_C(86400000)

/* The world a decision sees: 10000 USDC, nothing held, BTCUSDC at 50000. */
typedef struct {
    tr_risk_config_t cfg;
    tr_exit_config_t exits;
    bool no_exits;
    tr_risk_state_t st;
    tr_filters_t f;
    tr_balance_t bal[4];
    tr_position_t pos[4];
    tr_risk_input_t in;
    tr_request_t req;
} fx_t;

static void set_balance(fx_t *x, const char *asset, const char *free_, const char *locked)
{
    for (size_t i = 0; i < x->in.balance_count; i++)
        if (strcmp(x->bal[i].asset, asset) == 0) {
            x->bal[i].free = M(free_);
            x->bal[i].locked = M(locked);
            return;
        }
    tr_balance_t *b = &x->bal[x->in.balance_count++];
    (void)snprintf(b->asset, sizeof b->asset, "%s", asset);
    b->free = M(free_);
    b->locked = M(locked);
}

/* An open position of strategy on symbol: quantity at entry, with `entries` entries. */
static tr_position_t *add_position(fx_t *x, const char *symbol, const char *strategy,
                                   const char *qty, const char *entry, int entries)
{
    tr_position_t *p = &x->pos[x->in.position_count++];
    tr_entry_t e = {M(entry), M(qty), 0, 0, 0, NOW - DAY};
    assert_int_equal(tr_position_open(p, &x->exits, symbol, strategy, &e), RT_OK);
    p->entries = entries;
    p->id = (int64_t)x->in.position_count;
    return p;
}

static void fx_init(fx_t *x)
{
    memset(x, 0, sizeof *x);
    tr_risk_config_default(&x->cfg);
    x->cfg.trade_quantity = M("0.001");
    tr_exit_config_default(&x->exits);
    tr_filters_init(&x->f);
    (void)snprintf(x->f.symbol, sizeof x->f.symbol, "BTCUSDC");
    (void)snprintf(x->f.base_asset, sizeof x->f.base_asset, "BTC");
    (void)snprintf(x->f.quote_asset, sizeof x->f.quote_asset, "USDC");
    x->f.trading = true;
    x->f.tick_size = M("0.01");
    x->f.min_price = M("0.01");
    x->f.max_price = M("1000000");
    x->f.step_size = M("0.00001");
    x->f.min_qty = M("0.00001");
    x->f.max_qty = M("9000");
    x->f.min_notional = M("5");
    x->f.apply_min_to_market = true;
    x->in.filters = &x->f;
    x->in.balances = x->bal;
    x->in.positions = x->pos;
    set_balance(x, "USDC", "10000", "0");
    x->in.equity = M("10000");
    x->in.now_ms = NOW;
    (void)snprintf(x->req.symbol, sizeof x->req.symbol, "BTCUSDC");
    (void)snprintf(x->req.strategy, sizeof x->req.strategy, "RSI_Strategy");
    x->req.source = TR_SOURCE_STRATEGY;
    x->req.side = RT_SIDE_BUY;
    x->req.type = TR_ORDER_MARKET;
    x->req.price = M("50000");
}

/* Builds the state (after the tweak: the config may have changed) and decides. */
static tr_decision_t fx_decide(fx_t *x)
{
    tr_decision_t d;
    memset(&d, 0x5c, sizeof d);
    int rc = tr_risk_evaluate(&x->cfg, x->no_exits ? NULL : &x->exits, &x->st, &x->req, &x->in, &d);
    if (rc != RT_OK)
        fail_msg("evaluate rc=%d", rc);
    /* every case also decides the same without the text (the backtester's no_text) */
    tr_risk_input_t quiet = x->in;
    quiet.no_text = true;
    tr_decision_t q;
    memset(&q, 0x5c, sizeof q);
    rc = tr_risk_evaluate(&x->cfg, x->no_exits ? NULL : &x->exits, &x->st, &x->req, &quiet, &q);
    if (rc != RT_OK)
        fail_msg("evaluate (no_text) rc=%d", rc);
    assert_int_equal(q.verdict, d.verdict);
    assert_int_equal(q.reason, d.reason);
    assert_memory_equal(&q.order, &d.order, sizeof q.order);
    assert_memory_equal(&q.filter, &d.filter, sizeof q.filter);
    assert_string_equal(q.text, "");
    return d;
}

/* ---- tweaks: one per case ---------------------------------------------------------------- */

static void t_none(fx_t *x)
{
    (void)x;
}
static void t_empty_symbol(fx_t *x)
{
    x->req.symbol[0] = '\0';
}
static void t_price_zero(fx_t *x)
{
    x->req.price = 0;
}
static void t_both_quantities(fx_t *x)
{
    x->req.quantity = M("0.001");
    x->req.quote_quantity = M("50");
}
static void t_negative_qty(fx_t *x)
{
    x->req.quantity = -1;
}
static void t_limit_no_price(fx_t *x)
{
    x->req.type = TR_ORDER_LIMIT;
}
static void t_market_with_limit(fx_t *x)
{
    x->req.limit_price = M("50000");
}
static void t_sell_quote(fx_t *x)
{
    x->req.side = RT_SIDE_SELL;
    x->req.quote_quantity = M("10");
}
static void t_stop_above(fx_t *x)
{
    x->req.stop_loss = M("50000");
}
static void t_target_below(fx_t *x)
{
    x->req.take_profit = M("49999");
}
static void t_other_filters(fx_t *x)
{
    (void)snprintf(x->f.symbol, sizeof x->f.symbol, "ETHUSDC");
}
static void t_bad_side(fx_t *x)
{
    x->req.side = (rt_side_t)3;
}
static void t_halted(fx_t *x)
{
    tr_risk_halt(&x->st, "equity fell to half");
}
static void t_halt_due(fx_t *x)
{
    x->in.equity = M("5000");
}
static void t_halt_not_yet(fx_t *x)
{
    x->in.equity = M("5000.00000001");
    x->cfg.max_drawdown_pct = 0;
}
static void t_halt_off(fx_t *x)
{
    x->in.equity = M("100");
    x->cfg.halt_equity_ratio = 0;
    x->cfg.max_drawdown_pct = 0;
    x->cfg.max_exposure_pct = 0;
}
static void t_paused(fx_t *x)
{
    tr_risk_pause(&x->st, "operator");
}
static void t_halted_and_sell(fx_t *x)
{
    t_halted(x);
    x->req.side = RT_SIDE_SELL;
}
static void t_not_trading(fx_t *x)
{
    x->f.trading = false;
}
/* SELL */
static void t_sell_nothing(fx_t *x)
{
    x->req.side = RT_SIDE_SELL;
}
static void t_sell_other_strategy(fx_t *x)
{
    x->req.side = RT_SIDE_SELL;
    add_position(x, "BTCUSDC", "MACD", "0.01", "49000", 1);
    set_balance(x, "BTC", "0.01", "0");
}
static void t_sell_close(fx_t *x)
{
    x->req.side = RT_SIDE_SELL;
    add_position(x, "BTCUSDC", "RSI_Strategy", "0.01", "49000", 1);
    set_balance(x, "BTC", "0.01", "0");
}
static void t_sell_close_dust(fx_t *x)
{
    x->req.side = RT_SIDE_SELL;
    add_position(x, "BTCUSDC", "RSI_Strategy", "0.012345", "49000", 1);
    set_balance(x, "BTC", "0.012345", "0");
}
static void t_sell_part(fx_t *x)
{
    t_sell_close(x);
    x->req.source = TR_SOURCE_MANUAL;
    x->req.quantity = M("0.004");
}
static void t_sell_too_much(fx_t *x)
{
    t_sell_close(x);
    x->req.quantity = M("0.02");
}
static void t_sell_dust_only(fx_t *x)
{
    x->req.side = RT_SIDE_SELL;
    x->f.min_qty = M("0.0001");
    add_position(x, "BTCUSDC", "RSI_Strategy", "0.00005", "49000", 1);
    set_balance(x, "BTC", "0.00005", "0");
}
static void t_sell_pending(fx_t *x)
{
    t_sell_close(x);
    x->pos[0].pending = TR_EXIT_STOP_LOSS;
}
static void t_sell_no_coins(fx_t *x)
{
    t_sell_close(x);
    set_balance(x, "BTC", "0", "0.01");
}
static void t_sell_fewer_coins(fx_t *x)
{
    t_sell_close(x);
    set_balance(x, "BTC", "0.006", "0");
}
static void t_sell_in_cooldown_and_drawdown(fx_t *x)
{
    t_sell_close(x);
    x->in.last_trade_ms = NOW - 1000;
    x->in.equity = M("9000"); /* 10% under the peak */
}
static void t_sell_notional(fx_t *x)
{
    t_sell_close(x);
    x->req.price = M("400"); /* 0.01 x 400 = 4 < 5 */
}
static void t_sell_limit(fx_t *x)
{
    t_sell_close(x);
    x->req.type = TR_ORDER_LIMIT;
    x->req.limit_price = M("51000.001"); /* rounded up for a SELL */
}
/* BUY: drawdown brake */
static void t_brake(fx_t *x)
{
    x->in.equity = M("9500"); /* peak 10000 (init), -5% exactly */
}
static void t_brake_recovered(fx_t *x)
{
    x->in.equity = M("9500.01");
}
static void t_brake_expired(fx_t *x)
{
    /* the peak is 8 days old: outside the 7-day window */
    assert_int_equal(tr_risk_state_init(&x->st, &x->cfg, M("10000"), NOW - 8 * DAY), RT_OK);
    assert_int_equal(tr_risk_observe(&x->st, NOW - DAY, M("9400")), RT_OK);
    x->in.equity = M("9000");
}
static void t_brake_resumed(fx_t *x)
{
    x->in.equity = M("9000");
    assert_int_equal(tr_risk_resume(&x->st, NOW, M("9000")), RT_OK);
}
static void t_brake_off(fx_t *x)
{
    x->in.equity = M("9000");
    x->cfg.max_drawdown_pct = 0;
}
/* BUY: one position per symbol and strategy */
static void t_in_position(fx_t *x)
{
    add_position(x, "BTCUSDC", "RSI_Strategy", "0.001", "49000", 1);
    set_balance(x, "BTC", "0.001", "0");
}
static void t_other_strategy_holds(fx_t *x)
{
    add_position(x, "BTCUSDC", "MACD", "0.001", "49000", 1);
    set_balance(x, "BTC", "0.001", "0");
}
static void t_pyramid_winner(fx_t *x)
{
    x->cfg.max_entries = 3;
    t_in_position(x);
}
static void t_pyramid_loser(fx_t *x)
{
    x->cfg.max_entries = 3;
    t_in_position(x);
    x->req.price = M("49000");
}
static void t_pyramid_full(fx_t *x)
{
    x->cfg.max_entries = 3;
    t_in_position(x);
    x->pos[0].entries = 3;
}
static void t_pyramid_pending(fx_t *x)
{
    t_pyramid_winner(x);
    x->pos[0].pending = TR_EXIT_PARTIAL_TP;
}
static void t_max_open(fx_t *x)
{
    x->cfg.max_open_positions = 2;
    add_position(x, "ETHUSDC", "RSI_Strategy", "1", "2000", 1);
    add_position(x, "BNBUSDC", "RSI_Strategy", "1", "300", 1);
}
static void t_max_open_closed_ignored(fx_t *x)
{
    t_max_open(x);
    x->pos[1].quantity = 0; /* closed */
}
static void t_max_open_add_allowed(fx_t *x)
{
    t_max_open(x);
    x->cfg.max_entries = 2;
    add_position(x, "BTCUSDC", "RSI_Strategy", "0.001", "49000", 1);
    set_balance(x, "BTC", "0.001", "0");
}
static void t_max_open_off(fx_t *x)
{
    t_max_open(x);
    x->cfg.max_open_positions = 0;
}
/* BUY: cooldown */
static void t_cooldown(fx_t *x)
{
    x->in.last_trade_ms = NOW - 30000;
}
static void t_cooldown_over(fx_t *x)
{
    x->in.last_trade_ms = NOW - 60000;
}
static void t_cooldown_manual(fx_t *x)
{
    t_cooldown(x);
    x->req.source = TR_SOURCE_MANUAL;
    (void)snprintf(x->req.strategy, sizeof x->req.strategy, TR_MANUAL_STRATEGY);
    x->req.quantity = M("0.002");
}
/* BUY: sizing and balance */
static void t_poor(fx_t *x)
{
    set_balance(x, "USDC", "50", "0"); /* 0.001 x 50000 = 50, plus fees */
}
static void t_just_enough(fx_t *x)
{
    set_balance(x, "USDC", "50.075", "0"); /* 50 x 1.0015 */
}
static void t_manual_qty(fx_t *x)
{
    x->req.source = TR_SOURCE_MANUAL;
    (void)snprintf(x->req.strategy, sizeof x->req.strategy, TR_MANUAL_STRATEGY);
    x->req.quantity = M("0.0012345");
}
static void t_manual_qty_too_big(fx_t *x)
{
    t_manual_qty(x);
    x->req.quantity = M("0.2");
}
static void t_quote(fx_t *x)
{
    x->req.quote_quantity = M("100");
}
static void t_quote_too_big(fx_t *x)
{
    x->req.quote_quantity = M("10000.01");
}
static void t_cfg_quote(fx_t *x)
{
    x->cfg.trade_quote_quantity = M("100"); /* wins over TRADE_QUANTITY 0.001 */
}
static void t_cfg_quote_too_big(fx_t *x)
{
    x->cfg.trade_quote_quantity = M("10000.01");
}
static void t_cfg_quote_manual_wins(fx_t *x)
{
    t_manual_qty(x);
    x->cfg.trade_quote_quantity = M("100");
}
static void t_cfg_quote_risk_wins(fx_t *x)
{
    x->cfg.trade_quote_quantity = M("100");
    x->cfg.risk_per_trade = M("0.01");
}
static void t_risk_sized(fx_t *x)
{
    x->cfg.risk_per_trade = M("0.01"); /* 100 at risk; stop 3% = 1500 away -> 0.0666; cap 10% */
}
static void t_risk_sized_uncapped(fx_t *x)
{
    t_risk_sized(x);
    x->cfg.max_position_pct = M("1");
    x->cfg.max_exposure_pct = M("0.5");
}
static void t_risk_signal_stop(fx_t *x)
{
    t_risk_sized_uncapped(x);
    x->req.stop_loss = M("49000"); /* 1000 away: 0.1 */
    x->cfg.max_exposure_pct = M("0.6");
}
static void t_risk_atr_stop(fx_t *x)
{
    t_risk_sized_uncapped(x);
    x->exits.atr_stop_mult = M("2");
    x->req.atr = M("300"); /* stop 49400, 600 away: 0.16666666 */
    x->cfg.max_exposure_pct = M("1");
}
static void t_risk_poor(fx_t *x)
{
    t_risk_sized(x);
    set_balance(x, "USDC", "100", "0");
}
static void t_risk_broke(fx_t *x)
{
    t_risk_sized(x);
    set_balance(x, "USDC", "0.1", "0");
}
static void t_risk_no_stop(fx_t *x)
{
    t_risk_sized(x);
    x->no_exits = true;
}
/* BUY: exposure */
static void t_exposure_at_limit(fx_t *x)
{
    set_balance(x, "BTC", "0.029", "0.01"); /* 0.039 + 0.001 = 0.04 x 50000 = 2000 = 20% */
}
static void t_exposure_over(fx_t *x)
{
    set_balance(x, "BTC", "0.03", "0.01");
}
static void t_exposure_off(fx_t *x)
{
    t_exposure_over(x);
    x->cfg.max_exposure_pct = 0;
}
/* BUY: filters */
static void t_lot_rounds_to_zero(fx_t *x)
{
    t_manual_qty(x);
    x->req.quantity = M("0.000001");
}
static void t_lot_max(fx_t *x)
{
    t_manual_qty(x);
    x->req.quantity = M("9000.00001");
    x->req.price = M("0.01");
    x->cfg.max_exposure_pct = 0;
}
static void t_notional(fx_t *x)
{
    t_manual_qty(x);
    x->req.quantity = M("0.00009"); /* 4.5 < 5 */
}
static void t_market_lot(fx_t *x)
{
    x->f.market_min_qty = M("0.01");
    x->f.market_step_size = M("0.001");
}
static void t_limit_buy(fx_t *x)
{
    x->req.type = TR_ORDER_LIMIT;
    x->req.limit_price = M("49999.999"); /* rounded down for a BUY */
}
static void t_limit_price_low(fx_t *x)
{
    x->req.type = TR_ORDER_LIMIT;
    x->req.limit_price = M("0.001");
    x->req.price = 0;
    x->req.quantity = M("5000");
}
static void t_limit_only_price(fx_t *x)
{
    x->req.type = TR_ORDER_LIMIT;
    x->req.limit_price = M("40000");
    x->req.price = 0;
}

typedef struct {
    const char *name;
    void (*tweak)(fx_t *x);
    tr_verdict_t verdict;
    tr_reason_t reason;
    const char *qty;  /* accepted: the order's quantity */
    int action;       /* accepted: tr_pos_action_t */
    const char *text; /* a piece the sentence must hold (NULL: not checked) */
} risk_case_t;

#define ACCEPT TR_VERDICT_ACCEPT, TR_REASON_NONE
#define REJECT(r) TR_VERDICT_REJECT, r, NULL, 0

static const risk_case_t cases[] = {
    {"fixed size", t_none, ACCEPT, "0.001", TR_POS_OPEN, "TRADE_QUANTITY"},
    /* invalid requests */
    {"empty symbol", t_empty_symbol, REJECT(TR_REASON_INVALID), "symbol"},
    {"price 0", t_price_zero, REJECT(TR_REASON_INVALID), "reference price"},
    {"both quantities", t_both_quantities, REJECT(TR_REASON_INVALID), "exclusive"},
    {"negative quantity", t_negative_qty, REJECT(TR_REASON_INVALID), "negative"},
    {"limit without price", t_limit_no_price, REJECT(TR_REASON_INVALID), "limit price"},
    {"market with limit price", t_market_with_limit, REJECT(TR_REASON_INVALID), "no limit"},
    {"sell with quote", t_sell_quote, REJECT(TR_REASON_INVALID), "BUY orders"},
    {"stop above price", t_stop_above, REJECT(TR_REASON_INVALID), "stop_loss 50000"},
    {"target below price", t_target_below, REJECT(TR_REASON_INVALID), "take_profit 49999"},
    {"filters of another symbol", t_other_filters, REJECT(TR_REASON_INVALID), "filters"},
    {"bad side", t_bad_side, REJECT(TR_REASON_INVALID), "side"},
    /* halt and pause */
    {"halted", t_halted, REJECT(TR_REASON_HALTED), "equity fell to half"},
    {"halted refuses sells too", t_halted_and_sell, REJECT(TR_REASON_HALTED), NULL},
    {"halt due", t_halt_due, TR_VERDICT_HALT, TR_REASON_HALTED, NULL, 0,
     "equity 5000 is at or below HALT_EQUITY_RATIO 0.5 of the initial equity 10000"},
    {"halt not yet", t_halt_not_yet, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    {"halt off", t_halt_off, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    {"paused", t_paused, REJECT(TR_REASON_PAUSED), "operator"},
    {"not trading", t_not_trading, REJECT(TR_REASON_SYMBOL_NOT_TRADING), "not TRADING"},
    /* SELL: spot only */
    {"sell without position", t_sell_nothing, REJECT(TR_REASON_NO_POSITION), "never short"},
    {"sell another strategy's", t_sell_other_strategy, REJECT(TR_REASON_NO_POSITION), NULL},
    {"sell closes", t_sell_close, ACCEPT, "0.01", TR_POS_CLOSE, "closes"},
    {"sell closes, dust left", t_sell_close_dust, ACCEPT, "0.01234", TR_POS_CLOSE, "dust 0.000005"},
    {"manual partial sell", t_sell_part, ACCEPT, "0.004", TR_POS_REDUCE, "reduces"},
    {"sell more than held", t_sell_too_much, REJECT(TR_REASON_INSUFFICIENT_BALANCE),
     "holds only 0.01"},
    {"sell dust only", t_sell_dust_only, REJECT(TR_REASON_FILTER_LOT_SIZE), "is dust"},
    {"sell while an exit is pending", t_sell_pending, REJECT(TR_REASON_EXIT_PENDING), "stop_loss"},
    {"sell with no free coins", t_sell_no_coins, REJECT(TR_REASON_INSUFFICIENT_BALANCE),
     "no free BTC"},
    {"sell what is there", t_sell_fewer_coins, ACCEPT, "0.006", TR_POS_REDUCE,
     "only 0.006 BTC free of the 0.01"},
    {"exits ignore cooldown and brake", t_sell_in_cooldown_and_drawdown, ACCEPT, "0.01",
     TR_POS_CLOSE, NULL},
    {"sell below notional", t_sell_notional, REJECT(TR_REASON_FILTER_NOTIONAL),
     "notional 4 below minNotional 5"},
    {"sell limit rounds up", t_sell_limit, ACCEPT, "0.01", TR_POS_CLOSE, "51000.01"},
    /* BUY: drawdown brake */
    {"drawdown brake", t_brake, REJECT(TR_REASON_DRAWDOWN_BRAKE), "above 9500"},
    {"drawdown recovered", t_brake_recovered, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    {"drawdown peak out of window", t_brake_expired, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    {"drawdown resumed", t_brake_resumed, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    {"drawdown off", t_brake_off, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    /* BUY: one position per symbol and strategy */
    {"already in position", t_in_position, REJECT(TR_REASON_ALREADY_IN_POSITION), "MAX_ENTRIES 1"},
    {"another strategy's position", t_other_strategy_holds, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    {"pyramid on a winner", t_pyramid_winner, ACCEPT, "0.001", TR_POS_ADD, "adds"},
    {"no pyramid on a loser", t_pyramid_loser, REJECT(TR_REASON_ALREADY_IN_POSITION), "winning"},
    {"pyramid full", t_pyramid_full, REJECT(TR_REASON_MAX_ENTRIES), "3 entries"},
    {"pyramid while selling", t_pyramid_pending, REJECT(TR_REASON_EXIT_PENDING), NULL},
    /* BUY: open positions */
    {"max open positions", t_max_open, REJECT(TR_REASON_MAX_OPEN_POSITIONS), "2 positions open"},
    {"closed positions do not count", t_max_open_closed_ignored, ACCEPT, "0.001", TR_POS_OPEN,
     NULL},
    {"adding opens nothing new", t_max_open_add_allowed, ACCEPT, "0.001", TR_POS_ADD, NULL},
    {"max open off", t_max_open_off, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    /* BUY: cooldown */
    {"cooldown", t_cooldown, REJECT(TR_REASON_COOLDOWN), "wait 30000 ms"},
    {"cooldown over", t_cooldown_over, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    {"manual orders cool down too", t_cooldown_manual, REJECT(TR_REASON_COOLDOWN), NULL},
    /* BUY: sizing and balance */
    {"fixed size unaffordable", t_poor, REJECT(TR_REASON_INSUFFICIENT_BALANCE),
     "costs ~50.075 USDC with fees, 50 USDC free"},
    {"fixed size just affordable", t_just_enough, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    {"manual quantity rounded down", t_manual_qty, ACCEPT, "0.00123", TR_POS_OPEN,
     "requested quantity"},
    {"manual quantity unaffordable", t_manual_qty_too_big, REJECT(TR_REASON_INSUFFICIENT_BALANCE),
     NULL},
    {"quote amount, fees included", t_quote, ACCEPT, "0.00199", TR_POS_OPEN, "quote_quantity"},
    {"quote amount above balance", t_quote_too_big, REJECT(TR_REASON_INSUFFICIENT_BALANCE),
     "only 10000 USDC free"},
    {"TRADE_QUOTE_QUANTITY, fees included", t_cfg_quote, ACCEPT, "0.00199", TR_POS_OPEN,
     "TRADE_QUOTE_QUANTITY"},
    {"TRADE_QUOTE_QUANTITY above balance", t_cfg_quote_too_big,
     REJECT(TR_REASON_INSUFFICIENT_BALANCE), "(TRADE_QUOTE_QUANTITY): only 10000 USDC free"},
    {"a requested quantity wins over TRADE_QUOTE_QUANTITY", t_cfg_quote_manual_wins, ACCEPT,
     "0.00123", TR_POS_OPEN, "requested quantity"},
    {"RISK_PER_TRADE wins over TRADE_QUOTE_QUANTITY", t_cfg_quote_risk_wins, ACCEPT, "0.02",
     TR_POS_OPEN, "RISK_PER_TRADE"},
    {"risk sized, capped by MAX_POSITION_PCT", t_risk_sized, ACCEPT, "0.02", TR_POS_OPEN,
     "RISK_PER_TRADE"},
    {"risk sized by the percent stop", t_risk_sized_uncapped, ACCEPT, "0.06666", TR_POS_OPEN, NULL},
    {"risk sized by the signal's stop", t_risk_signal_stop, ACCEPT, "0.1", TR_POS_OPEN, NULL},
    {"risk sized by the ATR stop", t_risk_atr_stop, ACCEPT, "0.16666", TR_POS_OPEN, NULL},
    {"risk sized, capped by the balance", t_risk_poor, ACCEPT, "0.00199", TR_POS_OPEN,
     "capped by the free balance"},
    {"risk sized, nothing affordable", t_risk_broke, REJECT(TR_REASON_INSUFFICIENT_BALANCE),
     "0.1 USDC free"},
    {"risk sized without a stop", t_risk_no_stop, REJECT(TR_REASON_INVALID), "needs a stop"},
    /* BUY: exposure */
    {"exposure at the limit", t_exposure_at_limit, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    {"exposure over", t_exposure_over, REJECT(TR_REASON_MAX_EXPOSURE),
     "worth 2050 USDC (20.5% of equity 10000), above MAX_EXPOSURE_PCT 20% (2000)"},
    {"exposure off", t_exposure_off, ACCEPT, "0.001", TR_POS_OPEN, NULL},
    /* BUY: filters */
    {"rounds to nothing", t_lot_rounds_to_zero, REJECT(TR_REASON_FILTER_LOT_SIZE),
     "quantity 0.000001 rounds to 0 at stepSize 0.00001"},
    {"above maxQty", t_lot_max, REJECT(TR_REASON_FILTER_LOT_SIZE),
     "Filter failure: LOT_SIZE (quantity 9000.00001 above maxQty 9000)"},
    {"below notional", t_notional, REJECT(TR_REASON_FILTER_NOTIONAL),
     "Filter failure: NOTIONAL (notional 4.5 below minNotional 5)"},
    {"market lot size", t_market_lot, REJECT(TR_REASON_FILTER_LOT_SIZE),
     "Filter failure: MARKET_LOT_SIZE"},
    {"limit buy rounds down", t_limit_buy, ACCEPT, "0.001", TR_POS_OPEN, "49999.99"},
    {"limit price below minPrice", t_limit_price_low, REJECT(TR_REASON_FILTER_PRICE),
     "Filter failure: PRICE_FILTER"},
    {"limit sized at its own price", t_limit_only_price, ACCEPT, "0.001", TR_POS_OPEN, "at ~40000"},
};

static void test_decisions(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const risk_case_t *c = &cases[i];
        fx_t x;
        fx_init(&x);
        assert_int_equal(tr_risk_state_init(&x.st, &x.cfg, M("10000"), NOW - 1000), RT_OK);
        c->tweak(&x);
        tr_decision_t d = fx_decide(&x);
        if (d.verdict != c->verdict || d.reason != c->reason)
            fail_msg("%s: verdict %d reason %s, want %d %s: %s", c->name, (int)d.verdict,
                     tr_reason_name(d.reason), (int)c->verdict, tr_reason_name(c->reason), d.text);
        if (c->text != NULL && strstr(d.text, c->text) == NULL)
            fail_msg("%s: text \"%s\" lacks \"%s\"", c->name, d.text, c->text);
        if (d.verdict != TR_VERDICT_ACCEPT)
            continue;
        if (d.order.quantity != M(c->qty)) {
            char g[RT_MONEY_FMT_MAX];
            rt_money_format(d.order.quantity, g, sizeof g);
            fail_msg("%s: quantity %s, want %s (%s)", c->name, g, c->qty, d.text);
        }
        if ((int)d.order.action != c->action)
            fail_msg("%s: action %s, want %s", c->name, tr_pos_action_name(d.order.action),
                     tr_pos_action_name((tr_pos_action_t)c->action));
        /* every accepted order passes the filters it was checked against */
        rt_money_t px = d.order.type == TR_ORDER_LIMIT ? d.order.price : d.order.reference_price;
        tr_filter_reject_t fr;
        if (tr_filters_check(&x.f, d.order.type, d.order.quantity, px, &fr) != RT_OK)
            fail_msg("%s: accepted order fails %s: %s", c->name, fr.msg, fr.detail);
        assert_string_equal(d.order.symbol, x.req.symbol);
        assert_string_equal(d.order.strategy, x.req.strategy);
        assert_int_equal(d.order.side, x.req.side);
    }
}

static void test_order_details(void **state)
{
    (void)state;
    fx_t x;
    fx_init(&x);
    assert_int_equal(tr_risk_state_init(&x.st, &x.cfg, M("10000"), NOW), RT_OK);
    /* a SELL that leaves dust says which position it closes and how much stays */
    t_sell_close_dust(&x);
    tr_decision_t d = fx_decide(&x);
    assert_int_equal(d.verdict, TR_VERDICT_ACCEPT);
    assert_int_equal(d.order.position_id, 1);
    assert_int_equal(d.order.dust, M("0.000005"));
    assert_int_equal(d.order.price, 0);
    assert_int_equal(d.order.reference_price, M("50000"));
    /* a BUY carries the signal's exits for the position */
    fx_init(&x);
    assert_int_equal(tr_risk_state_init(&x.st, &x.cfg, M("10000"), NOW), RT_OK);
    x.req.stop_loss = M("49000");
    x.req.take_profit = M("52000");
    x.req.type = TR_ORDER_LIMIT;
    x.req.limit_price = M("49999.999");
    d = fx_decide(&x);
    assert_int_equal(d.verdict, TR_VERDICT_ACCEPT);
    assert_int_equal(d.order.stop_loss, M("49000"));
    assert_int_equal(d.order.take_profit, M("52000"));
    assert_int_equal(d.order.price, M("49999.99"));
    assert_int_equal(d.order.position_id, 0);
    /* filter refusals keep the exchange's words */
    fx_init(&x);
    assert_int_equal(tr_risk_state_init(&x.st, &x.cfg, M("10000"), NOW), RT_OK);
    t_notional(&x);
    d = fx_decide(&x);
    assert_int_equal(d.filter.filter, TR_FILTER_NOTIONAL);
    assert_string_equal(d.filter.msg, "Filter failure: NOTIONAL");
    assert_string_equal(d.filter.detail, "notional 4.5 below minNotional 5");
    /* NULL arguments are errors, not decisions */
    assert_int_equal(tr_risk_evaluate(&x.cfg, NULL, &x.st, &x.req, &x.in, NULL), RT_EINVAL);
    assert_int_equal(tr_risk_evaluate(NULL, NULL, &x.st, &x.req, &x.in, &d), RT_EINVAL);
    x.cfg.max_entries = 0;
    assert_int_equal(tr_risk_evaluate(&x.cfg, NULL, &x.st, &x.req, &x.in, &d), RT_EINVAL);
}

static void test_signal_request(void **state)
{
    (void)state;
    rt_signal_t s;
    memset(&s, 0, sizeof s);
    (void)snprintf(s.id, sizeof s.id, "a1b2");
    (void)snprintf(s.strategy, sizeof s.strategy, "RSI_Strategy");
    (void)snprintf(s.symbol, sizeof s.symbol, "BTCUSDC");
    s.side = RT_SIDE_BUY;
    s.price = M("55445.8");
    s.stop_loss = M("55000");
    s.take_profit = M("57000");
    tr_request_t r;
    assert_int_equal(tr_request_from_signal(&s, &r), RT_OK);
    assert_string_equal(r.symbol, "BTCUSDC");
    assert_string_equal(r.strategy, "RSI_Strategy");
    assert_int_equal(r.source, TR_SOURCE_STRATEGY);
    assert_int_equal(r.type, TR_ORDER_MARKET);
    assert_int_equal(r.quantity, 0);
    assert_int_equal(r.price, M("55445.8"));
    assert_int_equal(r.stop_loss, M("55000"));
    assert_int_equal(r.take_profit, M("57000"));
    s.strategy[0] = '\0';
    assert_int_equal(tr_request_from_signal(&s, &r), RT_EINVAL);
    assert_string_equal(tr_source_name(TR_SOURCE_MANUAL), "manual");
    static const char *const names[] = {
        "accepted",
        "invalid",
        "halted",
        "paused",
        "symbol_not_trading",
        "no_position",
        "exit_pending",
        "already_in_position",
        "max_entries",
        "insufficient_balance",
        "max_exposure",
        "max_open_positions",
        "cooldown",
        "drawdown_brake",
        "filter_lot_size",
        "filter_notional",
        "filter_price",
    };
    for (int i = TR_REASON_NONE; i <= TR_REASON_FILTER_PRICE; i++)
        assert_string_equal(tr_reason_name((tr_reason_t)i), names[i]);
    assert_string_equal(tr_reason_name((tr_reason_t)99), "unknown");
}

static void test_equity_window(void **state)
{
    (void)state;
    tr_equity_window_t w;
    rt_money_t peak = 0;
    assert_int_equal(tr_equity_window_init(&w, 7 * DAY), RT_OK);
    assert_int_equal(tr_equity_window_peak(&w, NOW, &peak), RT_ENOTFOUND);
    /* one sample a minute over 10 days; the peak (day 1) leaves after 7 days + a bucket */
    for (int64_t t = 0; t <= 10 * DAY; t += 60000) {
        rt_money_t eq = M("10000");
        if (t == DAY)
            eq = M("12000");
        if (t == 5 * DAY)
            eq = M("11000");
        assert_int_equal(tr_equity_window_push(&w, NOW + t, eq), RT_OK);
        if (t == 7 * DAY) {
            assert_int_equal(tr_equity_window_peak(&w, NOW + t, &peak), RT_OK);
            assert_int_equal(peak, M("12000"));
        }
    }
    assert_int_equal(tr_equity_window_peak(&w, NOW + 8 * DAY + DAY / 2, &peak), RT_OK);
    assert_int_equal(peak, M("11000"));
    assert_int_equal(tr_equity_window_peak(&w, NOW + 10 * DAY, &peak), RT_OK);
    assert_int_equal(peak, M("11000"));
    assert_int_equal(tr_equity_window_peak(&w, NOW + 13 * DAY, &peak), RT_OK);
    assert_int_equal(peak, M("10000"));
    /* a sample older than the window is ignored */
    assert_int_equal(tr_equity_window_push(&w, NOW, M("99999")), RT_OK);
    assert_int_equal(tr_equity_window_peak(&w, NOW + 10 * DAY, &peak), RT_OK);
    assert_int_equal(peak, M("11000"));
    tr_equity_window_reset(&w);
    assert_int_equal(tr_equity_window_peak(&w, NOW + 10 * DAY, &peak), RT_ENOTFOUND);
    /* the sample at the very start of the window survives until the window has passed it */
    assert_int_equal(tr_equity_window_init(&w, 1024), RT_OK);
    assert_int_equal(tr_equity_window_push(&w, 0, M("100")), RT_OK);
    for (int64_t t = 1; t <= 1024; t++)
        assert_int_equal(tr_equity_window_push(&w, t, M("50")), RT_OK);
    assert_int_equal(tr_equity_window_peak(&w, 1024, &peak), RT_OK);
    assert_int_equal(peak, M("100"));
    assert_int_equal(tr_equity_window_peak(&w, 1026, &peak), RT_OK);
    assert_int_equal(peak, M("50"));
    assert_int_equal(tr_equity_window_push(&w, -1, 1), RT_EINVAL);
    assert_int_equal(tr_equity_window_push(&w, 1, -1), RT_EINVAL);
    assert_int_equal(tr_equity_window_init(&w, 0), RT_EINVAL);
}

/* The monotonic queue answers exactly as the ring scan does: windows and steps of every shape,
 * questions at and after the last sample, then samples out of order (the ring takes over). */
static void test_equity_window_queue_matches_ring(void **state)
{
    (void)state;
    static const struct {
        int64_t window_ms;
        int64_t max_step_ms; /* steps are 0..max_step_ms */
    } shapes[] = {
        {1024, 3},
        {1000, 7},
        {3, 2},
        {7 * DAY, 60000},
        {7 * DAY, 6 * 3600000},
        {12 * 3600000, 60000},
    };
    static tr_equity_window_t w, ring; /* 32 KiB each: off the stack */
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        assert_int_equal(tr_equity_window_init(&w, shapes[k].window_ms), RT_OK);
        int64_t t = (int64_t)(k * 12345);
        for (int i = 0; i < 4000; i++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            t += (int64_t)((seed >> 33) % (uint64_t)(shapes[k].max_step_ms + 1));
            rt_money_t eq = M("9000") + (rt_money_t)((seed >> 13) % 200000) * 1000000;
            assert_int_equal(tr_equity_window_push(&w, t, eq), RT_OK);
            ring = w;
            ring.ordered = false;
            for (int64_t ahead = 0; ahead <= 2 * shapes[k].window_ms;
                 ahead += shapes[k].window_ms / 3 + 1) {
                rt_money_t a = -1, b = -1;
                int ra = tr_equity_window_peak(&w, t + ahead, &a);
                int rb = tr_equity_window_peak(&ring, t + ahead, &b);
                assert_int_equal(ra, rb);
                assert_int_equal(a, b);
            }
        }
        assert_true(w.ordered);
        /* a sample earlier than the last: the ring answers from then on */
        assert_int_equal(tr_equity_window_push(&w, t - 1, M("1")), RT_OK);
        assert_false(w.ordered);
    }
}

static void test_halt_resume_status(void **state)
{
    (void)state;
    tr_risk_config_t cfg;
    tr_risk_config_default(&cfg);
    tr_risk_state_t st;
    assert_int_equal(tr_risk_state_init(&st, &cfg, M("10000"), NOW), RT_OK);
    char why[200];
    assert_false(tr_risk_halt_due(&cfg, &st, M("5000.00000001"), why, sizeof why));
    assert_true(tr_risk_halt_due(&cfg, &st, M("5000"), why, sizeof why));
    assert_non_null(strstr(why, "(5000)"));
    tr_risk_halt(&st, why);
    assert_true(st.halted);
    assert_true(st.paused);
    assert_false(tr_risk_halt_due(&cfg, &st, M("4000"), NULL, 0)); /* already halted */
    tr_risk_status_t s;
    assert_int_equal(tr_risk_status(&cfg, &st, NOW + 1000, M("4000"), &s), RT_OK);
    assert_true(s.halted);
    assert_int_equal(s.peak, M("10000"));
    assert_int_equal(s.drawdown, M("0.6"));
    assert_int_equal(s.brake_level, M("9500"));
    assert_true(s.brake_active);
    assert_int_equal(s.halt_level, M("5000"));
    /* resuming after a halt rebases the initial equity and the drawdown history */
    assert_int_equal(tr_risk_resume(&st, NOW + 2000, M("4000")), RT_OK);
    assert_false(st.halted);
    assert_false(st.paused);
    assert_int_equal(st.initial_equity, M("4000"));
    assert_false(tr_risk_halt_due(&cfg, &st, M("3000"), NULL, 0));
    assert_true(tr_risk_halt_due(&cfg, &st, M("2000"), NULL, 0));
    assert_int_equal(tr_risk_status(&cfg, &st, NOW + 3000, M("4000"), &s), RT_OK);
    assert_false(s.brake_active);
    assert_int_equal(s.drawdown, 0);
    assert_int_equal(s.halt_level, M("2000"));
    /* a pause keeps its reason and is lifted by resume, keeping the initial equity */
    tr_risk_pause(&st, NULL);
    assert_true(st.paused);
    assert_string_equal(st.reason, "paused by an operator");
    assert_int_equal(tr_risk_resume(&st, NOW + 4000, M("3900")), RT_OK);
    assert_int_equal(st.initial_equity, M("4000"));
    assert_string_equal(st.reason, "");
}

static void test_config_check(void **state)
{
    (void)state;
    tr_risk_config_t d;
    tr_risk_config_default(&d);
    assert_int_equal(tr_risk_config_check(&d), RT_OK);
    assert_int_equal(d.trade_quantity, M("0.00017"));
    assert_int_equal(d.max_exposure_pct, M("0.2"));
    assert_int_equal(d.max_drawdown_pct, M("0.05"));
    assert_int_equal(d.drawdown_window_ms, 7 * DAY);
    assert_int_equal(d.halt_equity_ratio, M("0.5"));
    assert_int_equal(d.max_entries, 1);
    tr_risk_config_t c = d;
    c.max_entries = 0;
    assert_int_equal(tr_risk_config_check(&c), RT_EINVAL);
    c = d;
    c.max_exposure_pct = M("1.01");
    assert_int_equal(tr_risk_config_check(&c), RT_EINVAL);
    c = d;
    c.max_drawdown_pct = M("1");
    assert_int_equal(tr_risk_config_check(&c), RT_EINVAL);
    c = d;
    c.halt_equity_ratio = M("1");
    assert_int_equal(tr_risk_config_check(&c), RT_EINVAL);
    c = d;
    c.drawdown_window_ms = 0;
    assert_int_equal(tr_risk_config_check(&c), RT_EINVAL);
    c = d;
    c.cooldown_ms = -1;
    assert_int_equal(tr_risk_config_check(&c), RT_EINVAL);
    c = d;
    c.trade_quantity = 0;
    assert_int_equal(tr_risk_config_check(&c), RT_EINVAL);
    c.trade_quote_quantity = M("20"); /* a value per entry sizes too */
    assert_int_equal(tr_risk_config_check(&c), RT_OK);
    c.trade_quote_quantity = -1;
    assert_int_equal(tr_risk_config_check(&c), RT_EINVAL);
    c.trade_quote_quantity = 0;
    c.risk_per_trade = M("0.01");
    assert_int_equal(tr_risk_config_check(&c), RT_OK);
    c.max_open_positions = -1;
    assert_int_equal(tr_risk_config_check(&c), RT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decisions),
        cmocka_unit_test(test_order_details),
        cmocka_unit_test(test_signal_request),
        cmocka_unit_test(test_equity_window),
        cmocka_unit_test(test_equity_window_queue_matches_ring),
        cmocka_unit_test(test_halt_resume_status),
        cmocka_unit_test(test_config_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
