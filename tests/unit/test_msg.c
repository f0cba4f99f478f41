/* Bus message codecs: recorded examples (parse -> expected struct -> format -> exact text),
 * round trips (format -> parse -> equal), and a table of bad inputs per message kind with the
 * expected error code and field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "rt/err.h"
#include "rt/jsonw.h"
#include "rt/msg.h"
#include "rt_test.h"

/* ---- comparing with both values printed -------------------------------------------------- */

#define EQ_I64(what, got, want)                                                                    \
    do {                                                                                           \
        long long g_ = (long long)(got), w_ = (long long)(want);                                   \
        if (g_ != w_)                                                                              \
            fail_msg("%s: got %lld, want %lld", what, g_, w_);                                     \
    } while (0)
#define EQ_STR(what, got, want)                                                                    \
    do {                                                                                           \
        if (strcmp((got), (want)) != 0)                                                            \
            fail_msg("%s: got \"%s\", want \"%s\"", what, (got), (want));                          \
    } while (0)

static void candle_eq(const rt_candle_t *g, const rt_candle_t *w)
{
    EQ_STR("symbol", g->symbol, w->symbol);
    EQ_STR("interval", g->interval, w->interval);
    EQ_I64("open_time", g->open_time, w->open_time);
    EQ_I64("close_time", g->close_time, w->close_time);
    EQ_I64("open", g->open, w->open);
    EQ_I64("high", g->high, w->high);
    EQ_I64("low", g->low, w->low);
    EQ_I64("close", g->close, w->close);
    EQ_I64("volume", g->volume, w->volume);
    EQ_I64("closed", g->closed, w->closed);
}

static void ticker_eq(const rt_ticker_t *g, const rt_ticker_t *w)
{
    EQ_STR("symbol", g->symbol, w->symbol);
    EQ_I64("price", g->price, w->price);
    EQ_I64("event_time", g->event_time, w->event_time);
}

static void signal_eq(const rt_signal_t *g, const rt_signal_t *w)
{
    EQ_STR("id", g->id, w->id);
    EQ_STR("strategy", g->strategy, w->strategy);
    EQ_STR("symbol", g->symbol, w->symbol);
    EQ_STR("interval", g->interval, w->interval);
    EQ_I64("side", g->side, w->side);
    EQ_I64("timestamp", g->timestamp, w->timestamp);
    EQ_I64("price", g->price, w->price);
    EQ_I64("stop_loss", g->stop_loss, w->stop_loss);
    EQ_I64("take_profit", g->take_profit, w->take_profit);
    EQ_I64("meta_count", g->meta_count, w->meta_count);
    for (size_t i = 0; i < w->meta_count; i++) {
        EQ_STR("meta key", g->meta[i].key, w->meta[i].key);
        if (g->meta[i].value != w->meta[i].value)
            fail_msg("meta %s: got %.17g, want %.17g", w->meta[i].key, g->meta[i].value,
                     w->meta[i].value);
    }
}

static void order_eq(const rt_order_t *g, const rt_order_t *w)
{
    EQ_I64("id", g->id, w->id);
    EQ_STR("client_order_id", g->client_order_id, w->client_order_id);
    EQ_I64("exchange_order_id", g->exchange_order_id, w->exchange_order_id);
    EQ_STR("symbol", g->symbol, w->symbol);
    EQ_I64("side", g->side, w->side);
    EQ_I64("type", g->type, w->type);
    EQ_I64("status", g->status, w->status);
    EQ_I64("quantity", g->quantity, w->quantity);
    EQ_I64("quote_quantity", g->quote_quantity, w->quote_quantity);
    EQ_I64("price", g->price, w->price);
    EQ_I64("filled_quantity", g->filled_quantity, w->filled_quantity);
    EQ_I64("filled_quote_quantity", g->filled_quote_quantity, w->filled_quote_quantity);
    EQ_I64("avg_price", g->avg_price, w->avg_price);
    EQ_I64("source", g->source, w->source);
    EQ_STR("strategy", g->strategy, w->strategy);
    EQ_STR("signal_id", g->signal_id, w->signal_id);
    EQ_I64("position_id", g->position_id, w->position_id);
    EQ_STR("reason", g->reason, w->reason);
    EQ_STR("error", g->error, w->error);
    EQ_I64("demo", g->demo, w->demo);
    EQ_I64("created_at", g->created_at, w->created_at);
    EQ_I64("updated_at", g->updated_at, w->updated_at);
}

static void trade_eq(const rt_trade_t *g, const rt_trade_t *w)
{
    EQ_I64("id", g->id, w->id);
    EQ_I64("order_id", g->order_id, w->order_id);
    EQ_STR("client_order_id", g->client_order_id, w->client_order_id);
    EQ_STR("symbol", g->symbol, w->symbol);
    EQ_I64("side", g->side, w->side);
    EQ_I64("status", g->status, w->status);
    EQ_I64("price", g->price, w->price);
    EQ_I64("quantity", g->quantity, w->quantity);
    EQ_I64("quote_quantity", g->quote_quantity, w->quote_quantity);
    EQ_I64("fee", g->fee, w->fee);
    EQ_STR("fee_asset", g->fee_asset, w->fee_asset);
    EQ_I64("role", g->role, w->role);
    EQ_STR("strategy", g->strategy, w->strategy);
    EQ_I64("position_id", g->position_id, w->position_id);
    EQ_I64("exchange_trade_id", g->exchange_trade_id, w->exchange_trade_id);
    EQ_I64("demo", g->demo, w->demo);
    EQ_I64("timestamp", g->timestamp, w->timestamp);
}

static void position_eq(const rt_position_t *g, const rt_position_t *w)
{
    EQ_I64("id", g->id, w->id);
    EQ_STR("symbol", g->symbol, w->symbol);
    EQ_STR("strategy", g->strategy, w->strategy);
    EQ_I64("status", g->status, w->status);
    EQ_I64("entry_price", g->entry_price, w->entry_price);
    EQ_I64("quantity", g->quantity, w->quantity);
    EQ_I64("initial_quantity", g->initial_quantity, w->initial_quantity);
    EQ_I64("stop_loss", g->stop_loss, w->stop_loss);
    EQ_I64("take_profit", g->take_profit, w->take_profit);
    EQ_I64("trailing_active", g->trailing_active, w->trailing_active);
    EQ_I64("highest_price", g->highest_price, w->highest_price);
    EQ_I64("trailing_stop", g->trailing_stop, w->trailing_stop);
    EQ_I64("partial_taken", g->partial_taken, w->partial_taken);
    EQ_I64("breakeven_armed", g->breakeven_armed, w->breakeven_armed);
    EQ_I64("exit_price", g->exit_price, w->exit_price);
    EQ_I64("realized_pnl", g->realized_pnl, w->realized_pnl);
    EQ_I64("fees", g->fees, w->fees);
    EQ_I64("demo", g->demo, w->demo);
    EQ_I64("opened_at", g->opened_at, w->opened_at);
    EQ_I64("closed_at", g->closed_at, w->closed_at);
    EQ_STR("exit_reason", g->exit_reason, w->exit_reason);
    EQ_I64("updated_at", g->updated_at, w->updated_at);
}

static void risk_eq(const rt_risk_t *g, const rt_risk_t *w)
{
    EQ_I64("paused", g->paused, w->paused);
    EQ_I64("halted", g->halted, w->halted);
    EQ_STR("reason", g->reason, w->reason);
}

static void event_eq(const rt_event_t *g, const rt_event_t *w)
{
    EQ_I64("event type", g->type, w->type);
    switch (w->type) {
    case RT_EVENT_ORDER:
        order_eq(&g->u.order, &w->u.order);
        break;
    case RT_EVENT_TRADE:
        trade_eq(&g->u.trade, &w->u.trade);
        break;
    case RT_EVENT_POSITION:
        position_eq(&g->u.position, &w->u.position);
        break;
    case RT_EVENT_RISK:
        risk_eq(&g->u.risk, &w->u.risk);
        break;
    }
}

static void balance_eq(const rt_balance_t *g, const rt_balance_t *w)
{
    EQ_STR("asset", g->asset, w->asset);
    EQ_I64("free", g->free, w->free);
    EQ_I64("locked", g->locked, w->locked);
    EQ_I64("total", g->total, w->total);
    EQ_I64("quote_value", g->quote_value, w->quote_value);
}

static void total_eq(const rt_total_balance_t *g, const rt_total_balance_t *w)
{
    EQ_I64("total_quote", g->total_quote, w->total_quote);
    EQ_STR("asset", g->asset, w->asset);
}

static void logline_eq(const rt_logline_t *g, const rt_logline_t *w)
{
    EQ_I64("ts", g->ts, w->ts);
    EQ_STR("service", g->service, w->service);
    EQ_I64("level", g->level, w->level);
    EQ_STR("module", g->module, w->module);
    EQ_STR("msg", g->msg, w->msg);
}

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    int rc = rt_money_parse(s, &v);
    if (rc != RT_OK)
        fail_msg("test bug: bad amount %s", s);
    return v;
}

static void expect_text(const rt_jsonw_t *w, int rc, const char *want)
{
    if (rc != RT_OK)
        fail_msg("format: rc=%d (%s)", rc, rt_strerror(rc));
    assert_int_equal(rt_jsonw_finish(w), RT_OK);
    if (strcmp(rt_jsonw_data(w), want) != 0)
        fail_msg("format:\n got  %s\n want %s", rt_jsonw_data(w), want);
}

/* ---- one dispatcher over every kind ------------------------------------------------------ */

/* The four trader:events kinds share one codec; they are separate here for their bases. */
typedef enum {
    K_CANDLE,
    K_TICKER,
    K_SIGNAL,
    K_ORDER,
    K_TRADE,
    K_POSITION,
    K_RISK,
    K_BALANCES,
    K_TOTAL,
    K_LOGLINE,
    K_COUNT
} kind_t;

static const char *const kind_names[] = {"candle",   "ticker", "signal",   "order", "trade",
                                         "position", "risk",   "balances", "total", "logline"};

#define BALANCES_CAP 8

typedef union {
    rt_candle_t candle;
    rt_ticker_t ticker;
    rt_signal_t signal;
    rt_event_t event;
    struct {
        rt_balance_t items[BALANCES_CAP];
        size_t count;
    } balances;
    rt_total_balance_t total;
    rt_logline_t logline;
} any_t;

static int parse_any(kind_t k, const char *json, size_t len, any_t *out, rt_msg_error_t *err)
{
    switch (k) {
    case K_CANDLE:
        return rt_msg_candle_parse(json, len, &out->candle, err);
    case K_TICKER:
        return rt_msg_ticker_parse(json, len, &out->ticker, err);
    case K_SIGNAL:
        return rt_msg_signal_parse(json, len, &out->signal, err);
    case K_ORDER:
    case K_TRADE:
    case K_POSITION:
    case K_RISK:
        return rt_msg_event_parse(json, len, &out->event, err);
    case K_BALANCES:
        return rt_msg_balances_parse(json, len, out->balances.items, BALANCES_CAP,
                                     &out->balances.count, err);
    case K_TOTAL:
        return rt_msg_total_balance_parse(json, len, &out->total, err);
    case K_LOGLINE:
        return rt_msg_logline_parse(json, len, &out->logline, err);
    case K_COUNT:
        break;
    }
    return RT_EINVAL;
}

static int format_any(kind_t k, rt_jsonw_t *w, const any_t *v)
{
    switch (k) {
    case K_CANDLE:
        return rt_msg_candle_format(w, &v->candle);
    case K_TICKER:
        return rt_msg_ticker_format(w, &v->ticker);
    case K_SIGNAL:
        return rt_msg_signal_format(w, &v->signal);
    case K_ORDER:
    case K_TRADE:
    case K_POSITION:
    case K_RISK:
        return rt_msg_event_format(w, &v->event);
    case K_BALANCES:
        return rt_msg_balances_format(w, v->balances.items, v->balances.count);
    case K_TOTAL:
        return rt_msg_total_balance_format(w, &v->total);
    case K_LOGLINE:
        return rt_msg_logline_format(w, &v->logline);
    case K_COUNT:
        break;
    }
    return RT_EINVAL;
}

static void any_eq(kind_t k, const any_t *g, const any_t *w)
{
    switch (k) {
    case K_CANDLE:
        candle_eq(&g->candle, &w->candle);
        break;
    case K_TICKER:
        ticker_eq(&g->ticker, &w->ticker);
        break;
    case K_SIGNAL:
        signal_eq(&g->signal, &w->signal);
        break;
    case K_ORDER:
    case K_TRADE:
    case K_POSITION:
    case K_RISK:
        event_eq(&g->event, &w->event);
        break;
    case K_BALANCES:
        EQ_I64("count", g->balances.count, w->balances.count);
        for (size_t i = 0; i < w->balances.count; i++)
            balance_eq(&g->balances.items[i], &w->balances.items[i]);
        break;
    case K_TOTAL:
        total_eq(&g->total, &w->total);
        break;
    case K_LOGLINE:
        logline_eq(&g->logline, &w->logline);
        break;
    case K_COUNT:
        break;
    }
}

/* Parses text that must be valid; fails the test with the codec's reason otherwise. */
static void parse_ok(kind_t k, const char *json, size_t len, any_t *out)
{
    rt_msg_error_t err = {{0}, {0}};
    int rc = parse_any(k, json, len, out, &err);
    if (rc != RT_OK)
        fail_msg("%s: parse rc=%d (%s) field='%s' text='%s'\n  input: %.300s", kind_names[k], rc,
                 rt_strerror(rc), err.field, err.text, json);
}

/* format -> parse -> the same values, and format again -> the same text. */
static void round_trip(kind_t k, const any_t *v)
{
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    int rc = format_any(k, &w, v);
    if (rc != RT_OK)
        fail_msg("%s: format rc=%d (%s)", kind_names[k], rc, rt_strerror(rc));
    assert_int_equal(rt_jsonw_finish(&w), RT_OK);
    any_t *back = calloc(1, sizeof *back);
    assert_non_null(back);
    parse_ok(k, rt_jsonw_data(&w), rt_jsonw_len(&w), back);
    any_eq(k, back, v);
    rt_jsonw_t w2;
    rt_jsonw_init(&w2);
    assert_int_equal(format_any(k, &w2, back), RT_OK);
    EQ_STR("second format", rt_jsonw_data(&w2), rt_jsonw_data(&w));
    rt_jsonw_cleanup(&w2);
    free(back);
    rt_jsonw_cleanup(&w);
}

/* ---- recorded examples ------------------------------------------------------------------- */

static char *read_fixture(const char *name, size_t *len)
{
    char rel[128], path[1024];
    snprintf(rel, sizeof rel, "tests/fixtures/msg/%s", name);
    return rt_test_read_file(rt_test_source_path(path, sizeof path, rel), len);
}

/* parse(fixture) == want; format(want) == text; round trip. */
static void check_fixture(kind_t k, const char *name, const any_t *want, const char *text)
{
    size_t len;
    char *json = read_fixture(name, &len);
    any_t *got = calloc(1, sizeof *got);
    assert_non_null(got);
    parse_ok(k, json, len, got);
    any_eq(k, got, want);
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    expect_text(&w, format_any(k, &w, got), text);
    rt_jsonw_cleanup(&w);
    round_trip(k, want);
    free(got);
    free(json);
}

static void test_fixture_candle(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    rt_candle_t *c = &want.candle;
    snprintf(c->symbol, sizeof c->symbol, "BTCUSDC");
    snprintf(c->interval, sizeof c->interval, "1m");
    c->open_time = 1616554800000;
    c->close_time = 1616554859999;
    c->open = M("55432.10");
    c->high = M("55450");
    c->low = M("55421.2");
    c->close = M("55445.8");
    c->volume = M("2.34567");
    c->closed = true;
    check_fixture(K_CANDLE, "candle.json", &want,
                  "{\"symbol\":\"BTCUSDC\",\"interval\":\"1m\",\"startTime\":1616554800000,"
                  "\"closeTime\":1616554859999,\"open\":55432.1,\"high\":55450,\"low\":55421.2,"
                  "\"close\":55445.8,\"volume\":2.34567,\"closed\":true}");
}

static void test_fixture_ticker(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    snprintf(want.ticker.symbol, sizeof want.ticker.symbol, "ETHBTC");
    want.ticker.price = M("0.081234");
    want.ticker.event_time = 1672515782136;
    check_fixture(K_TICKER, "ticker.json", &want,
                  "{\"symbol\":\"ETHBTC\",\"price\":0.081234,\"event_time\":1672515782136}");
}

static void test_fixture_signal(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    rt_signal_t *s = &want.signal;
    snprintf(s->id, sizeof s->id, "RSI_Strategy:BTCUSDC:1m:1616554800000");
    snprintf(s->strategy, sizeof s->strategy, "RSI_Strategy");
    snprintf(s->symbol, sizeof s->symbol, "BTCUSDC");
    snprintf(s->interval, sizeof s->interval, "1m");
    s->side = RT_SIDE_BUY;
    s->timestamp = 1616554800000;
    s->price = M("55445.8");
    s->stop_loss = M("55000");
    s->take_profit = M("57000");
    s->meta_count = 2;
    snprintf(s->meta[0].key, sizeof s->meta[0].key, "rsi");
    s->meta[0].value = 28.5;
    snprintf(s->meta[1].key, sizeof s->meta[1].key, "rsi_prev");
    s->meta[1].value = 31.25;
    check_fixture(K_SIGNAL, "signal.json", &want,
                  "{\"id\":\"RSI_Strategy:BTCUSDC:1m:1616554800000\",\"strategy\":\"RSI_Strategy\","
                  "\"symbol\":\"BTCUSDC\",\"interval\":\"1m\",\"side\":\"BUY\","
                  "\"timestamp\":1616554800000,\"price\":55445.8,\"stop_loss\":55000,"
                  "\"take_profit\":57000,\"metadata\":{\"rsi\":28.5,\"rsi_prev\":31.25}}");
}

static void test_fixture_order(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    want.event.type = RT_EVENT_ORDER;
    rt_order_t *o = &want.event.u.order;
    o->id = 42;
    snprintf(o->client_order_id, sizeof o->client_order_id, "rt-RSI-1616554800000-1");
    o->exchange_order_id = 28;
    snprintf(o->symbol, sizeof o->symbol, "BTCUSDC");
    o->side = RT_SIDE_BUY;
    o->type = RT_ORDER_MARKET;
    o->status = RT_ORDER_FILLED;
    o->quantity = M("0.00017");
    o->filled_quantity = M("0.00017");
    o->filled_quote_quantity = M("9.425786");
    o->avg_price = M("55445.8");
    o->source = RT_SOURCE_STRATEGY;
    snprintf(o->strategy, sizeof o->strategy, "RSI_Strategy");
    snprintf(o->signal_id, sizeof o->signal_id, "RSI_Strategy:BTCUSDC:1m:1616554800000");
    o->position_id = 7;
    snprintf(o->reason, sizeof o->reason, "entry");
    o->demo = true;
    o->created_at = 1616554860012;
    o->updated_at = 1616554860150;
    check_fixture(K_ORDER, "event_order.json", &want,
                  "{\"type\":\"order\",\"data\":{\"id\":42,\"client_order_id\":"
                  "\"rt-RSI-1616554800000-1\",\"exchange_order_id\":28,\"symbol\":\"BTCUSDC\","
                  "\"side\":\"BUY\",\"type\":\"MARKET\",\"status\":\"FILLED\",\"quantity\":0.00017,"
                  "\"quote_quantity\":null,\"price\":null,\"filled_quantity\":0.00017,"
                  "\"filled_quote_quantity\":9.425786,\"avg_price\":55445.8,"
                  "\"source\":\"strategy\",\"strategy\":\"RSI_Strategy\",\"signal_id\":"
                  "\"RSI_Strategy:BTCUSDC:1m:1616554800000\",\"position_id\":7,"
                  "\"reason\":\"entry\",\"error\":null,\"demo\":true,"
                  "\"created_at\":1616554860012,\"updated_at\":1616554860150}}");
}

static void test_fixture_trade(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    want.event.type = RT_EVENT_TRADE;
    rt_trade_t *t = &want.event.u.trade;
    t->id = 56;
    t->order_id = 42;
    snprintf(t->client_order_id, sizeof t->client_order_id, "rt-RSI-1616554800000-1");
    snprintf(t->symbol, sizeof t->symbol, "BTCUSDC");
    t->side = RT_SIDE_BUY;
    t->status = RT_ORDER_FILLED;
    t->price = M("55445.8");
    t->quantity = M("0.00017");
    t->quote_quantity = M("9.425786");
    t->fee = M("0.00942579");
    snprintf(t->fee_asset, sizeof t->fee_asset, "USDC");
    t->role = RT_ROLE_TAKER;
    snprintf(t->strategy, sizeof t->strategy, "RSI_Strategy");
    t->position_id = 7;
    t->demo = true;
    t->timestamp = 1616554860150;
    check_fixture(
        K_ORDER, "event_trade.json", &want,
        "{\"type\":\"trade\",\"data\":{\"id\":56,\"order_id\":42,\"client_order_id\":"
        "\"rt-RSI-1616554800000-1\",\"symbol\":\"BTCUSDC\",\"side\":\"BUY\","
        "\"status\":\"FILLED\",\"price\":55445.8,\"quantity\":0.00017,\"quote_quantity\":9.425786,"
        "\"fee\":0.00942579,\"fee_asset\":\"USDC\",\"role\":\"taker\","
        "\"strategy\":\"RSI_Strategy\",\"position_id\":7,\"exchange_trade_id\":null,"
        "\"demo\":true,\"timestamp\":1616554860150}}");
}

static void test_fixture_position(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    want.event.type = RT_EVENT_POSITION;
    rt_position_t *p = &want.event.u.position;
    p->id = 7;
    snprintf(p->symbol, sizeof p->symbol, "BTCUSDC");
    snprintf(p->strategy, sizeof p->strategy, "RSI_Strategy");
    p->status = RT_POSITION_CLOSED;
    p->entry_price = M("55445.8");
    p->quantity = 0;
    p->initial_quantity = M("0.00017");
    p->stop_loss = M("55000");
    p->take_profit = M("57000");
    p->highest_price = M("57012.5");
    p->breakeven_armed = true;
    p->exit_price = M("55000");
    p->realized_pnl = M("-0.07581");
    p->fees = M("0.01877579");
    p->demo = true;
    p->opened_at = 1616554860150;
    p->closed_at = 1616558460000;
    snprintf(p->exit_reason, sizeof p->exit_reason, "stop_loss");
    p->updated_at = 1616558460000;
    check_fixture(K_ORDER, "event_position.json", &want,
                  "{\"type\":\"position\",\"data\":{\"id\":7,\"symbol\":\"BTCUSDC\","
                  "\"strategy\":\"RSI_Strategy\",\"status\":\"closed\",\"entry_price\":55445.8,"
                  "\"quantity\":0,\"initial_quantity\":0.00017,\"stop_loss\":55000,"
                  "\"take_profit\":57000,\"trailing_active\":false,\"highest_price\":57012.5,"
                  "\"trailing_stop\":null,\"partial_taken\":false,\"breakeven_armed\":true,"
                  "\"exit_price\":55000,\"realized_pnl\":-0.07581,\"fees\":0.01877579,"
                  "\"demo\":true,\"opened_at\":1616554860150,\"closed_at\":1616558460000,"
                  "\"exit_reason\":\"stop_loss\",\"updated_at\":1616558460000}}");
}

static void test_fixture_risk(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    want.event.type = RT_EVENT_RISK;
    want.event.u.risk.halted = true;
    snprintf(want.event.u.risk.reason, sizeof want.event.u.risk.reason,
             "daily loss limit reached: -5.2%% <= -5%%");
    check_fixture(K_ORDER, "event_risk.json", &want,
                  "{\"type\":\"risk\",\"data\":{\"paused\":false,\"halted\":true,"
                  "\"reason\":\"daily loss limit reached: -5.2% <= -5%\"}}");
}

static void test_fixture_balances(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    want.balances.count = 2;
    rt_balance_t *b = want.balances.items;
    snprintf(b[0].asset, sizeof b[0].asset, "BTC");
    b[0].free = M("0.00445841");
    b[0].total = M("0.00445841");
    b[0].quote_value = M("330.96");
    snprintf(b[1].asset, sizeof b[1].asset, "USDC");
    b[1].free = M("66.8915");
    b[1].locked = M("10");
    b[1].total = M("76.8915");
    b[1].quote_value = M("76.8915");
    check_fixture(K_BALANCES, "balances.json", &want,
                  "[{\"asset\":\"BTC\",\"free\":0.00445841,\"locked\":0,\"total\":0.00445841,"
                  "\"quote_value\":330.96},{\"asset\":\"USDC\",\"free\":66.8915,\"locked\":10,"
                  "\"total\":76.8915,\"quote_value\":76.8915}]");
}

static void test_fixture_total_balance(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    want.total.total_quote = M("407.8515");
    snprintf(want.total.asset, sizeof want.total.asset, "USDC");
    check_fixture(K_TOTAL, "total_balance.json", &want,
                  "{\"total_quote\":407.8515,\"asset\":\"USDC\"}");
}

static void test_fixture_logline(void **state)
{
    (void)state;
    any_t want;
    memset(&want, 0, sizeof want);
    want.logline.ts = 1616554860150;
    snprintf(want.logline.service, sizeof want.logline.service, "trader");
    want.logline.level = RT_LOG_WARN;
    snprintf(want.logline.module, sizeof want.logline.module, "exec");
    snprintf(want.logline.msg, sizeof want.logline.msg,
             "order rejected: symbol=BTCUSDC reason=\"min notional\" \xc3\xa9");
    check_fixture(K_LOGLINE, "logline.json", &want,
                  "{\"ts\":1616554860150,\"service\":\"trader\",\"level\":\"WARN\","
                  "\"module\":\"exec\",\"msg\":\"order rejected: symbol=BTCUSDC reason=\\\"min "
                  "notional\\\" \xc3\xa9\"}");
}

/* ---- round trips at the edges ------------------------------------------------------------ */

static void test_round_trip_edges(void **state)
{
    (void)state;
    any_t *v = calloc(1, sizeof *v);
    assert_non_null(v);

    /* the smallest amount, large ones, the longest strings (amounts beyond 15 significant
     * digits do not survive a JSON number: test_large_amounts) */
    rt_candle_t *c = &v->candle;
    snprintf(c->symbol, sizeof c->symbol, "ABCDEFGHIJ0123456789");
    snprintf(c->interval, sizeof c->interval, "1M");
    c->open_time = 0;
    c->close_time = INT64_MAX;
    c->low = 1;
    c->open = 1;
    c->close = M("33554432.1234567");
    c->high = RT_MONEY_UNITS(INT64_C(92233720368));
    c->volume = M("12345678901.2345");
    round_trip(K_CANDLE, v);

    memset(v, 0, sizeof *v);
    rt_signal_t *s = &v->signal;
    memset(s->id, 'x', RT_SIGNAL_ID_MAX);
    memset(s->strategy, 'S', sizeof s->strategy - 1);
    snprintf(s->symbol, sizeof s->symbol, "ETHBTC");
    s->side = RT_SIDE_SELL;
    s->price = M("0.00000001");
    s->meta_count = RT_SIGNAL_META_MAX;
    for (size_t i = 0; i < RT_SIGNAL_META_MAX; i++) {
        snprintf(s->meta[i].key, sizeof s->meta[i].key, "k%zu_%s", i, "abcdefghijklmnopqrstuvwxyz");
        s->meta[i].value = (double)i / 3.0 - 1e-300 * (double)i + (i == 5 ? 1e300 : 0.0);
    }
    s->meta[0].value = -0.0;
    s->meta[1].value = 5e-324;
    round_trip(K_SIGNAL, v);

    /* an order at its most minimal: nothing optional */
    memset(v, 0, sizeof *v);
    v->event.type = RT_EVENT_ORDER;
    rt_order_t *o = &v->event.u.order;
    o->id = INT64_MAX;
    memset(o->client_order_id, 'a', 36);
    snprintf(o->symbol, sizeof o->symbol, "BTCUSDC");
    o->type = RT_ORDER_LIMIT;
    o->status = RT_ORDER_PENDING;
    o->quantity = 1;
    o->price = RT_MONEY_UNITS(INT64_C(92233720368));
    memset(o->error, '!', sizeof o->error - 1);
    round_trip(K_ORDER, v);

    memset(v, 0, sizeof *v);
    v->event.type = RT_EVENT_POSITION;
    rt_position_t *p = &v->event.u.position;
    p->id = 1;
    snprintf(p->symbol, sizeof p->symbol, "BTCUSDC");
    p->entry_price = M("50000");
    p->quantity = M("0.5");
    p->initial_quantity = M("0.5");
    p->realized_pnl = M("-12345678901.2345");
    round_trip(K_ORDER, v);

    memset(v, 0, sizeof *v);
    v->event.type = RT_EVENT_RISK;
    round_trip(K_ORDER, v);

    memset(v, 0, sizeof *v);
    v->balances.count = 0;
    round_trip(K_BALANCES, v);
    v->balances.count = BALANCES_CAP;
    for (size_t i = 0; i < BALANCES_CAP; i++) {
        rt_balance_t *b = &v->balances.items[i];
        snprintf(b->asset, sizeof b->asset, "A%zuBCDEFGHIJKLMN", i);
        b->free = (rt_money_t)i;
        b->locked = M("99999999.9999999") - (rt_money_t)i * 10;
        b->total = M("99999999.9999999");
        b->quote_value = RT_MONEY_UNITS(INT64_C(92233720368));
    }
    round_trip(K_BALANCES, v);

    /* a log message full of control characters, quotes and invalid UTF-8 is still published
     * as valid JSON; invalid bytes come back as U+FFFD */
    memset(v, 0, sizeof *v);
    v->logline.ts = 1;
    snprintf(v->logline.service, sizeof v->logline.service, "-");
    v->logline.level = RT_LOG_ERROR;
    snprintf(v->logline.msg, sizeof v->logline.msg, "a\"b\\c\n\t\x01 ok");
    round_trip(K_LOGLINE, v);
    snprintf(v->logline.msg, sizeof v->logline.msg, "bad \xff byte");
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    assert_int_equal(rt_msg_logline_format(&w, &v->logline), RT_OK);
    rt_logline_t back;
    assert_int_equal(rt_msg_logline_parse(rt_jsonw_data(&w), rt_jsonw_len(&w), &back, NULL), RT_OK);
    EQ_STR("msg", back.msg, "bad \xef\xbf\xbd byte");
    rt_jsonw_cleanup(&w);
    free(v);
}

/* A JSON number is a double to jansson. Every amount of at most 15 significant digits (and
 * every amount below 2^25 with its 8 decimals) comes back exact; longer ones are read to the
 * nearest value a double holds (send a decimal string for those), and the very top of the
 * range rounds beyond it. Property test over random amounts, deterministic seed. */
static void test_large_amounts(void **state)
{
    (void)state;
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* 15 significant digits at a random scale, or any amount below 2^25 */
        rt_money_t v;
        if (i % 2 == 0) {
            v = (rt_money_t)(x % UINT64_C(1000000000000000));
            for (uint64_t k = (x >> 60) % 4; k > 0; k--)
                v *= 10;
        } else {
            v = (rt_money_t)(x % (UINT64_C(33554432) * (uint64_t)RT_MONEY_SCALE));
        }
        if (x & 0x100)
            v = -v;
        rt_ticker_t t = {"BTCUSDC", v > 0 ? v : (v < 0 ? -v : 1), 1};
        rt_jsonw_reset(&w);
        assert_int_equal(rt_msg_ticker_format(&w, &t), RT_OK);
        rt_ticker_t back;
        rt_msg_error_t err;
        int rc = rt_msg_ticker_parse(rt_jsonw_data(&w), rt_jsonw_len(&w), &back, &err);
        if (rc != RT_OK || back.price != t.price)
            fail_msg("%s: rc=%d %s, read %lld, want %lld", rt_jsonw_data(&w), rc, err.text,
                     (long long)back.price, (long long)t.price);
    }
    rt_jsonw_cleanup(&w);

    static const struct {
        const char *json;
        int rc;
        const char *want;
    } cases[] = {
        {"{\"symbol\":\"X\",\"price\":50000000.12345678,\"event_time\":1}", RT_OK,
         "50000000.12345678"}, /* 16 digits: the nearest a double holds, 50000000.1234568 */
        {"{\"symbol\":\"X\",\"price\":\"50000000.12345678\",\"event_time\":1}", RT_OK,
         "50000000.12345678"}, /* as a string: exact */
        {"{\"symbol\":\"X\",\"price\":92233720368,\"event_time\":1}", RT_OK, "92233720368"},
        {"{\"symbol\":\"X\",\"price\":92233720368.54775807,\"event_time\":1}", RT_ERANGE, NULL},
        {"{\"symbol\":\"X\",\"price\":\"92233720368.54775807\",\"event_time\":1}", RT_OK,
         "92233720368.54775807"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_ticker_t t;
        rt_msg_error_t err;
        int rc = rt_msg_ticker_parse(cases[i].json, strlen(cases[i].json), &t, &err);
        EQ_I64(cases[i].json, rc, cases[i].rc);
        if (rc != RT_OK)
            continue;
        rt_money_t want = M(cases[i].want);
        if (i == 0) {
            /* within a double's precision (2^-27 ~ 7.5e-9) of the text */
            if (t.price - want > 1 || want - t.price > 1)
                fail_msg("%s: read %lld, want about %lld", cases[i].json, (long long)t.price,
                         (long long)want);
        } else {
            EQ_I64(cases[i].json, t.price, want);
        }
    }
}

/* Every candle of a real data file (small ETH/BTC prices: all 8 decimals matter) survives
 * format -> parse exactly. */
static void test_round_trip_shared_candles(void **state)
{
    (void)state;
    char path[1024];
    size_t len;
    char *csv = rt_test_read_file(
        rt_test_shared_path(path, sizeof path, "data/ethbtc_5m_2018-01-10_2018-01-30.csv"), &len);
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    size_t rows = 0;
    char *line = strchr(csv, '\n'); /* skip the header */
    while (line != NULL && line[1] != '\0') {
        line++;
        char *end = strchr(line, '\n');
        size_t n = end != NULL ? (size_t)(end - line) : strlen(line);
        /* open_time_ms,open,high,low,close,volume */
        const char *f[6];
        size_t fl[6];
        size_t nf = 0, start = 0;
        for (size_t i = 0; i <= n && nf < 6; i++) {
            if (i == n || line[i] == ',' || line[i] == '\r') {
                f[nf] = line + start;
                fl[nf] = i - start;
                nf++;
                start = i + 1;
            }
        }
        assert_int_equal(nf, 6);
        rt_candle_t c;
        memset(&c, 0, sizeof c);
        snprintf(c.symbol, sizeof c.symbol, "ETHBTC");
        snprintf(c.interval, sizeof c.interval, "5m");
        char *endp;
        c.open_time = strtoll(f[0], &endp, 10);
        c.close_time = c.open_time + 299999;
        rt_money_t *dst[5] = {&c.open, &c.high, &c.low, &c.close, &c.volume};
        for (int i = 0; i < 5; i++)
            assert_int_equal(rt_money_parse_n(f[i + 1], fl[i + 1], dst[i]), RT_OK);
        c.closed = true;
        rt_jsonw_reset(&w);
        assert_int_equal(rt_msg_candle_format(&w, &c), RT_OK);
        rt_candle_t back;
        rt_msg_error_t err;
        int rc = rt_msg_candle_parse(rt_jsonw_data(&w), rt_jsonw_len(&w), &back, &err);
        if (rc != RT_OK)
            fail_msg("row %zu: %s (%s)", rows, err.text, rt_jsonw_data(&w));
        candle_eq(&back, &c);
        rows++;
        line = end;
    }
    assert_int_equal(rows, 5760);
    rt_jsonw_cleanup(&w);
    free(csv);
}

/* ---- bad inputs -------------------------------------------------------------------------- */

/* Valid messages, written with ' for " to stay readable. */
static const char *const bases[] = {
    [K_CANDLE] = "{'symbol':'BTCUSDC','interval':'1m','startTime':1616554800000,"
                 "'closeTime':1616554859999,'open':100.5,'high':110,'low':90,'close':'105.25',"
                 "'volume':2.5,'closed':false}",
    [K_TICKER] = "{'symbol':'BTCUSDC','price':55445.8,'event_time':1672515782136}",
    [K_SIGNAL] = "{'id':'s-1','strategy':'RSI_Strategy','symbol':'BTCUSDC','side':'SELL',"
                 "'timestamp':1616554800000,'price':55445.8,'stop_loss':56000,"
                 "'metadata':{'rsi':71.5}}",
    [K_ORDER] = "{'type':'order','data':{'id':1,'client_order_id':'c-1',"
                "'exchange_order_id':null,'symbol':'BTCUSDC','side':'BUY','type':'LIMIT',"
                "'status':'NEW','quantity':'0.5','quote_quantity':null,'price':'50000',"
                "'filled_quantity':0,'filled_quote_quantity':0,'avg_price':null,"
                "'source':'manual','strategy':null,'signal_id':null,'position_id':null,"
                "'reason':null,'error':null,'demo':false,'created_at':1000,'updated_at':1000}}",
    [K_TRADE] = "{'type':'trade','data':{'id':1,'order_id':1,'client_order_id':'c-1',"
                "'symbol':'BTCUSDC','side':'SELL','status':'FILLED','price':'50000',"
                "'quantity':'0.5','quote_quantity':'25000','fee':'25','fee_asset':'USDC',"
                "'role':'maker','strategy':null,'position_id':null,'exchange_trade_id':null,"
                "'demo':false,'timestamp':1000}}",
    [K_POSITION] = "{'type':'position','data':{'id':3,'symbol':'BTCUSDC',"
                   "'strategy':'EMA_Cross','status':'open','entry_price':'50000',"
                   "'quantity':'0.5','initial_quantity':'1','stop_loss':'49000',"
                   "'take_profit':null,'trailing_active':true,'highest_price':'50500',"
                   "'trailing_stop':'49500','partial_taken':true,'breakeven_armed':false,"
                   "'exit_price':null,'realized_pnl':0,'fees':'0.5','demo':false,"
                   "'opened_at':1000,'closed_at':null,'exit_reason':null,'updated_at':1000}}",
    [K_RISK] = "{'type':'risk','data':{'paused':true,'halted':false,'reason':'operator'}}",
    [K_BALANCES] = "[{'asset':'BTC','free':'1','locked':'0.5','total':'1.5',"
                   "'quote_value':'75000'},{'asset':'USDC','free':100,'locked':0,'total':100,"
                   "'quote_value':100}]",
    [K_TOTAL] = "{'total_quote':'75100','asset':'USDC'}",
    [K_LOGLINE] = "{'ts':1000,'service':'gateway','level':'INFO','module':'ws','msg':'connected'}",
};

typedef struct {
    kind_t kind;
    const char *from; /* text of the base to replace (once); NULL: `to` is the whole message */
    const char *to;
    int rc;
    const char *field;
} bad_t;

static const bad_t bad_cases[] = {
    /* candle */
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':12", RT_EINVAL, "symbol"},
    {K_CANDLE, "'volume':2.5,", "", RT_EINVAL, "volume"},
    {K_CANDLE, "'volume':2.5", "'volume':null", RT_EINVAL, "volume"},
    {K_CANDLE, "'open':100.5", "'open':NaN", RT_EINVAL, ""},
    {K_CANDLE, "'open':100.5", "'open':1e999", RT_ERANGE, ""},
    {K_CANDLE, "'open':100.5", "'open':-1e999", RT_ERANGE, ""},
    {K_CANDLE, "'open':100.5", "'open':'NaN'", RT_EINVAL, "open"},
    {K_CANDLE, "'open':100.5", "'open':'Infinity'", RT_EINVAL, "open"},
    {K_CANDLE, "'open':100.5", "'open':'1e3'", RT_EINVAL, "open"},
    {K_CANDLE, "'open':100.5", "'open':''", RT_EINVAL, "open"},
    {K_CANDLE, "'open':100.5", "'open':true", RT_EINVAL, "open"},
    {K_CANDLE, "'open':100.5", "'open':[100.5]", RT_EINVAL, "open"},
    {K_CANDLE, "'volume':2.5", "'volume':-1", RT_EINVAL, "volume"},
    {K_CANDLE, "'volume':2.5", "'volume':'-0.00000001'", RT_EINVAL, "volume"},
    {K_CANDLE, "'close':'105.25'", "'close':'105.250000001'", RT_EINVAL, "close"},
    {K_CANDLE, "'open':100.5", "'open':100.000000001", RT_EINVAL, "open"},
    {K_CANDLE, "'volume':2.5", "'volume':'92233720368.54775808'", RT_ERANGE, "volume"},
    {K_CANDLE, "'volume':2.5", "'volume':92233720369", RT_ERANGE, "volume"},
    {K_CANDLE, "'volume':2.5", "'volume':1e12", RT_ERANGE, "volume"},
    {K_CANDLE, "'low':90", "'low':0", RT_EINVAL, "low"},
    {K_CANDLE, "'high':110", "'high':80", RT_EINVAL, "high"},
    {K_CANDLE, "'open':100.5", "'open':120", RT_EINVAL, "open"},
    {K_CANDLE, "'close':'105.25'", "'close':'89.99999999'", RT_EINVAL, "close"},
    {K_CANDLE, "'closeTime':1616554859999", "'closeTime':1616554800000", RT_EINVAL, "closeTime"},
    {K_CANDLE, "'startTime':1616554800000", "'startTime':-5", RT_EINVAL, "startTime"},
    {K_CANDLE, "'startTime':1616554800000", "'startTime':1616554800000.0", RT_EINVAL, "startTime"},
    {K_CANDLE, "'startTime':1616554800000", "'startTime':'1616554800000'", RT_EINVAL, "startTime"},
    {K_CANDLE, "'startTime':1616554800000", "'startTime':99999999999999999999", RT_ERANGE, ""},
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':'btcusdc'", RT_EINVAL, "symbol"},
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':'BTC-USDC'", RT_EINVAL, "symbol"},
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':''", RT_EINVAL, "symbol"},
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':'ABCDEFGHIJKLMNOPQRSTU'", RT_EINVAL, "symbol"},
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':'ABCDEFGHIJKLMNOPQRSTUVWXYZ'", RT_ETOOBIG, "symbol"},
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':'BTC\\u0000'", RT_EINVAL, ""},
    {K_CANDLE, "'interval':'1m'", "'interval':'7m'", RT_EINVAL, "interval"},
    {K_CANDLE, "'interval':'1m'", "'interval':'1mm'", RT_EINVAL, "interval"},
    {K_CANDLE, "'closed':false", "'closed':0", RT_EINVAL, "closed"},
    {K_CANDLE, "'closed':false", "'closed':'false'", RT_EINVAL, "closed"},
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':'BTC\xff'", RT_EINVAL, ""},
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':'BTC\xc0\xaf'", RT_EINVAL, ""},
    {K_CANDLE, "'symbol':'BTCUSDC'", "'symbol':'BTC\xed\xa0\x80'", RT_EINVAL, ""},
    {K_CANDLE, "'closed':false", "'closed':false,'x':\xff", RT_EINVAL, ""},
    {K_CANDLE, "'closed':false", "'closed':false,'closed':true", RT_EINVAL, ""},
    {K_CANDLE, "'closed':false}", "'closed':false} x", RT_EINVAL, ""},
    {K_CANDLE, "'closed':false}", "'closed':false}}", RT_EINVAL, ""},
    {K_CANDLE, "'closed':false}", "'closed':false}{}", RT_EINVAL, ""},
    {K_CANDLE, "'closed':false}", "'closed':false", RT_EINVAL, ""},
    {K_CANDLE, NULL, "{}", RT_EINVAL, "symbol"},
    {K_CANDLE, NULL, "[]", RT_EINVAL, ""},
    {K_CANDLE, NULL, "42", RT_EINVAL, ""},
    {K_CANDLE, NULL, "'BTCUSDC'", RT_EINVAL, ""},
    {K_CANDLE, NULL, "null", RT_EINVAL, ""},
    {K_CANDLE, NULL, "", RT_EINVAL, ""},
    {K_CANDLE, NULL, "   ", RT_EINVAL, ""},
    {K_CANDLE, NULL, "{", RT_EINVAL, ""},
    /* unknown fields are ignored, whitespace is fine */
    {K_CANDLE, "'closed':false", "'closed':false,'x':{'y':[1,2]},'E':1", RT_OK, ""},
    {K_CANDLE, "'closed':false}", "'closed':false}\n \t", RT_OK, ""},

    /* ticker */
    {K_TICKER, "'price':55445.8", "'price':'55445.8'", RT_OK, ""},
    {K_TICKER, "'price':55445.8", "'price':55445", RT_OK, ""},
    {K_TICKER, "'price':55445.8", "'price':{}", RT_EINVAL, "price"},
    {K_TICKER, "'price':55445.8,", "", RT_EINVAL, "price"},
    {K_TICKER, "'price':55445.8", "'price':NaN", RT_EINVAL, ""},
    {K_TICKER, "'price':55445.8", "'price':1e999", RT_ERANGE, ""},
    {K_TICKER, "'price':55445.8", "'price':-1", RT_EINVAL, "price"},
    {K_TICKER, "'price':55445.8", "'price':0", RT_EINVAL, "price"},
    {K_TICKER, "'price':55445.8", "'price':'0.000000001'", RT_EINVAL, "price"},
    {K_TICKER, "'event_time':1672515782136", "'event_time':null", RT_EINVAL, "event_time"},
    {K_TICKER, "'symbol':'BTCUSDC'", "'symbol':'\xe2\x82'", RT_EINVAL, ""},
    {K_TICKER, NULL, "{}", RT_EINVAL, "symbol"},
    {K_TICKER, NULL, "[1]", RT_EINVAL, ""},
    {K_TICKER, "1672515782136}", "1672515782136}]", RT_EINVAL, ""},

    /* signal */
    {K_SIGNAL, "'side':'SELL'", "'side':'sell'", RT_EINVAL, "side"},
    {K_SIGNAL, "'side':'SELL'", "'side':'HOLD'", RT_EINVAL, "side"},
    {K_SIGNAL, "'side':'SELL'", "'side':1", RT_EINVAL, "side"},
    {K_SIGNAL, "'id':'s-1',", "", RT_EINVAL, "id"},
    {K_SIGNAL, "'id':'s-1'", "'id':''", RT_EINVAL, "id"},
    {K_SIGNAL, "'id':'s-1'", "'id':'has space'", RT_EINVAL, "id"},
    {K_SIGNAL, "'id':'s-1'",
     "'id':'0123456789012345678901234567890123456789012345678901234567890123'", RT_OK, ""},
    {K_SIGNAL, "'id':'s-1'",
     "'id':'01234567890123456789012345678901234567890123456789012345678901234'", RT_EINVAL, "id"},
    {K_SIGNAL, "'id':'s-1'",
     "'id':'012345678901234567890123456789012345678901234567890123456789012345678901'", RT_ETOOBIG,
     "id"},
    {K_SIGNAL, "'strategy':'RSI_Strategy'", "'strategy':'RSI Strategy'", RT_EINVAL, "strategy"},
    {K_SIGNAL, "'price':55445.8", "'price':NaN", RT_EINVAL, ""},
    {K_SIGNAL, "'price':55445.8", "'price':1e999", RT_ERANGE, ""},
    {K_SIGNAL, "'price':55445.8", "'price':-55445.8", RT_EINVAL, "price"},
    {K_SIGNAL, "'stop_loss':56000", "'stop_loss':-1", RT_EINVAL, "stop_loss"},
    {K_SIGNAL, "'stop_loss':56000", "'stop_loss':0", RT_EINVAL, "stop_loss"},
    {K_SIGNAL, "'stop_loss':56000", "'stop_loss':null", RT_OK, ""},
    {K_SIGNAL, "'stop_loss':56000", "'stop_loss':'56000.123456789'", RT_EINVAL, "stop_loss"},
    {K_SIGNAL, "'stop_loss':56000", "'take_profit':'x'", RT_EINVAL, "take_profit"},
    {K_SIGNAL, "'stop_loss':56000", "'interval':'5m'", RT_OK, ""},
    {K_SIGNAL, "'stop_loss':56000", "'interval':'5x'", RT_EINVAL, "interval"},
    {K_SIGNAL, "'stop_loss':56000", "'interval':5", RT_EINVAL, "interval"},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':null", RT_OK, ""},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':{}", RT_OK, ""},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':[71.5]", RT_EINVAL, "metadata"},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':{'rsi':'71.5'}", RT_EINVAL, "metadata.rsi"},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':{'rsi':null}", RT_EINVAL, "metadata.rsi"},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':{'rsi':NaN}", RT_EINVAL, ""},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':{'rsi':1e999}", RT_ERANGE, ""},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':{'rsi':1,'rsi':2}", RT_EINVAL, ""},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':{'bad key':1}", RT_EINVAL, "metadata"},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':{'':1}", RT_EINVAL, "metadata"},
    {K_SIGNAL, "'metadata':{'rsi':71.5}", "'metadata':{'abcdefghijklmnopqrstuvwxyz0123456':1}",
     RT_ETOOBIG, "metadata.abcdefghijklmnopqrstuvwxyz0123456"},
    {K_SIGNAL, "'metadata':{'rsi':71.5}",
     "'metadata':{'a':1,'b':2,'c':3,'d':4,'e':5,'f':6,'g':7,'h':8,'i':9,'j':10,'k':11,'l':12,"
     "'m':13,'n':14,'o':15,'p':16,'q':17}",
     RT_ETOOBIG, "metadata"},
    {K_SIGNAL, "'metadata':{'rsi':71.5}",
     "'metadata':{'a':1,'b':2,'c':3,'d':4,'e':5,'f':6,'g':7,'h':8,'i':9,'j':10,'k':11,'l':12,"
     "'m':13,'n':14,'o':15,'p':16}",
     RT_OK, ""},
    {K_SIGNAL, "'rsi'", "'rs\xff'", RT_EINVAL, ""},
    {K_SIGNAL, NULL, "{}", RT_EINVAL, "id"},
    {K_SIGNAL, NULL, "['BUY']", RT_EINVAL, ""},
    {K_SIGNAL, "{'rsi':71.5}}", "{'rsi':71.5}},", RT_EINVAL, ""},

    /* trader:events: envelope and order */
    {K_ORDER, "{'type':'order'", "{'type':'fill'", RT_EINVAL, "type"},
    {K_ORDER, "{'type':'order'", "{'type':null", RT_EINVAL, "type"},
    {K_ORDER, "{'type':'order'", "{'type':['order']", RT_EINVAL, "type"},
    {K_ORDER, "'data':{", "'data':5,'x':{", RT_EINVAL, "data"},
    {K_ORDER, "'data':{", "'datum':{", RT_EINVAL, "data"},
    {K_ORDER, NULL, "{'type':'order','data':{}}", RT_EINVAL, "data.id"},
    {K_ORDER, NULL, "{'type':'order','data':null}", RT_EINVAL, "data"},
    {K_ORDER, "'id':1,", "'id':'1',", RT_EINVAL, "data.id"},
    {K_ORDER, "'id':1,", "'id':0,", RT_EINVAL, "data.id"},
    {K_ORDER, "'id':1,", "", RT_EINVAL, "data.id"},
    {K_ORDER, "'client_order_id':'c-1'", "'client_order_id':'c 1'", RT_EINVAL,
     "data.client_order_id"},
    {K_ORDER, "'client_order_id':'c-1'",
     "'client_order_id':'0123456789012345678901234567890123456'", RT_EINVAL,
     "data.client_order_id"},
    {K_ORDER, "'exchange_order_id':null", "'exchange_order_id':0", RT_EINVAL,
     "data.exchange_order_id"},
    {K_ORDER, "'exchange_order_id':null", "'exchange_order_id':28", RT_OK, ""},
    {K_ORDER, "'type':'LIMIT'", "'type':'STOP'", RT_EINVAL, "data.type"},
    {K_ORDER, "'status':'NEW'", "'status':'DONE'", RT_EINVAL, "data.status"},
    {K_ORDER, "'source':'manual'", "'source':'auto'", RT_EINVAL, "data.source"},
    {K_ORDER, "'source':'manual'", "'source':'strategy'", RT_EINVAL, "data.strategy"},
    {K_ORDER, "'quantity':'0.5'", "'quantity':'-0.5'", RT_EINVAL, "data.quantity"},
    {K_ORDER, "'quantity':'0.5'", "'quantity':0", RT_EINVAL, "data.quantity"},
    {K_ORDER, "'quantity':'0.5'", "'quantity':NaN", RT_EINVAL, ""},
    {K_ORDER, "'quantity':'0.5'", "'quantity':1e999", RT_ERANGE, ""},
    {K_ORDER, "'quantity':'0.5'", "'quantity':'0.500000001'", RT_EINVAL, "data.quantity"},
    {K_ORDER, "'filled_quantity':0", "'filled_quantity':'0.6'", RT_EINVAL, "data.filled_quantity"},
    {K_ORDER, "'filled_quantity':0", "'filled_quantity':'0.1'", RT_EINVAL, "data.avg_price"},
    {K_ORDER, "'filled_quantity':0,", "", RT_EINVAL, "data.filled_quantity"},
    {K_ORDER, "'price':'50000'", "'price':0", RT_EINVAL, "data.price"},
    {K_ORDER, "'price':'50000'", "'price':null", RT_EINVAL, "data.price"},
    {K_ORDER,
     "'type':'LIMIT','status':'NEW','quantity':'0.5','quote_quantity':null,'price':'50000'",
     "'type':'MARKET','status':'NEW','quantity':null,'quote_quantity':'100','price':null", RT_OK,
     ""},
    {K_ORDER, "'quantity':'0.5'", "'quantity':null", RT_EINVAL, "data.quantity"},
    {K_ORDER, "'quote_quantity':null", "'quote_quantity':-5", RT_EINVAL, "data.quote_quantity"},
    {K_ORDER, "'signal_id':null",
     "'signal_id':'01234567890123456789012345678901234567890123456789012345678901234'", RT_EINVAL,
     "data.signal_id"},
    {K_ORDER, "'position_id':null", "'position_id':0", RT_EINVAL, "data.position_id"},
    {K_ORDER, "'demo':false,", "", RT_EINVAL, "data.demo"},
    {K_ORDER, "'updated_at':1000", "'updated_at':999", RT_EINVAL, "data.updated_at"},
    {K_ORDER, "'error':null", "'error':'\xf0\x9f'", RT_EINVAL, ""},
    {K_ORDER, "'error':null", "'error':'insufficient balance'", RT_OK, ""},
    {K_ORDER, "'signal_id':null", "'signal_id':''", RT_OK, ""},
    {K_ORDER, NULL, "{}", RT_EINVAL, "type"},
    {K_ORDER, NULL, "[{'type':'order'}]", RT_EINVAL, ""},
    {K_ORDER, "1000}}", "1000}} 1", RT_EINVAL, ""},
    /* trade */
    {K_TRADE, "'role':'maker'", "'role':'MAKER'", RT_EINVAL, "data.role"},
    {K_TRADE, "'status':'FILLED'", "'status':'NEW'", RT_EINVAL, "data.status"},
    {K_TRADE, "'status':'FILLED'", "'status':'PARTIALLY_FILLED'", RT_OK, ""},
    {K_TRADE, "'order_id':1", "'order_id':'1'", RT_EINVAL, "data.order_id"},
    {K_TRADE, "'exchange_trade_id':null", "'exchange_trade_id':57", RT_OK, ""},
    {K_TRADE, "'quantity':'0.5'", "'quantity':'-0.5'", RT_EINVAL, "data.quantity"},
    {K_TRADE, "'fee':'25'", "'fee':-1", RT_EINVAL, "data.fee"},
    {K_TRADE, "'fee_asset':'USDC'", "'fee_asset':null", RT_EINVAL, "data.fee_asset"},
    {K_TRADE, "'demo':false", "'demo':'no'", RT_EINVAL, "data.demo"},
    {K_TRADE, "'position_id':null", "'position_id':-3", RT_EINVAL, "data.position_id"},
    {K_TRADE, "'timestamp':1000", "'timestamp':'2023-01-15T14:30:00Z'", RT_EINVAL,
     "data.timestamp"},
    /* position */
    {K_POSITION, "'status':'open'", "'status':'OPEN'", RT_EINVAL, "data.status"},
    {K_POSITION, "'closed_at':null", "'closed_at':2000", RT_EINVAL, "data.closed_at"},
    {K_POSITION, "'status':'open'", "'status':'closed'", RT_EINVAL, "data.closed_at"},
    {K_POSITION, "'entry_price':'50000'", "'entry_price':0", RT_EINVAL, "data.entry_price"},
    {K_POSITION, "'quantity':'0.5'", "'quantity':-0.5", RT_EINVAL, "data.quantity"},
    {K_POSITION, "'quantity':'0.5'", "'quantity':'1.00000001'", RT_EINVAL, "data.quantity"},
    {K_POSITION, "'initial_quantity':'1'", "'initial_quantity':0", RT_EINVAL,
     "data.initial_quantity"},
    {K_POSITION, "'fees':'0.5'", "'fees':'-0.5'", RT_EINVAL, "data.fees"},
    {K_POSITION, "'partial_taken':true", "'partial_taken':null", RT_EINVAL, "data.partial_taken"},
    {K_POSITION, "'exit_reason':null",
     "'exit_reason':'01234567890123456789012345678901234567890123456789012345678901234'",
     RT_ETOOBIG, "data.exit_reason"},
    {K_POSITION, "'realized_pnl':0", "'realized_pnl':'-12.5'", RT_OK, ""},
    {K_POSITION, "'trailing_stop':'49500'", "'trailing_stop':0", RT_EINVAL, "data.trailing_stop"},
    {K_POSITION, "'highest_price':'50500'", "'highest_price':NaN", RT_EINVAL, ""},
    /* risk */
    {K_RISK, "'paused':true", "'paused':1", RT_EINVAL, "data.paused"},
    {K_RISK, "'halted':false,", "", RT_EINVAL, "data.halted"},
    {K_RISK, "'reason':'operator'", "'reason':null", RT_OK, ""},

    /* balances */
    {K_BALANCES, NULL, "[]", RT_OK, ""},
    {K_BALANCES, "'asset':'BTC'", "'asset':'btc'", RT_EINVAL, "[0].asset"},
    {K_BALANCES, "'asset':'USDC'", "'asset':'BTC'", RT_EINVAL, "[1].asset"},
    {K_BALANCES, "'asset':'USDC'", "'asset':7", RT_EINVAL, "[1].asset"},
    {K_BALANCES, "'free':100,", "", RT_EINVAL, "[1].free"},
    {K_BALANCES, "'free':'1'", "'free':'-1'", RT_EINVAL, "[0].free"},
    {K_BALANCES, "'locked':0", "'locked':-0.5", RT_EINVAL, "[1].locked"},
    {K_BALANCES, "'total':'1.5'", "'total':'-1.5'", RT_EINVAL, "[0].total"},
    {K_BALANCES, "'free':'1'", "'free':'1.000000001'", RT_EINVAL, "[0].free"},
    {K_BALANCES, "'free':100", "'free':NaN", RT_EINVAL, ""},
    {K_BALANCES, "'free':100", "'free':1e999", RT_ERANGE, ""},
    {K_BALANCES, "'asset':'USDC'", "'asset':'US\xff'", RT_EINVAL, ""},
    {K_BALANCES, NULL, "[{}]", RT_EINVAL, "[0].asset"},
    {K_BALANCES, NULL, "[1]", RT_EINVAL, "[0]"},
    {K_BALANCES, NULL, "{}", RT_EINVAL, ""},
    {K_BALANCES, NULL, "{'asset':'BTC'}", RT_EINVAL, ""},
    {K_BALANCES, "'quote_value':100}]", "'quote_value':100}],", RT_EINVAL, ""},
    {K_BALANCES, NULL,
     "[{'asset':'A','free':0,'locked':0,'total':0,'quote_value':0},"
     "{'asset':'B','free':0,'locked':0,'total':0,'quote_value':0},"
     "{'asset':'C','free':0,'locked':0,'total':0,'quote_value':0},"
     "{'asset':'D','free':0,'locked':0,'total':0,'quote_value':0},"
     "{'asset':'E','free':0,'locked':0,'total':0,'quote_value':0},"
     "{'asset':'F','free':0,'locked':0,'total':0,'quote_value':0},"
     "{'asset':'G','free':0,'locked':0,'total':0,'quote_value':0},"
     "{'asset':'H','free':0,'locked':0,'total':0,'quote_value':0},"
     "{'asset':'I','free':0,'locked':0,'total':0,'quote_value':0}]",
     RT_ETOOBIG, ""},

    /* total balance */
    {K_TOTAL, "'total_quote':'75100'", "'total_quote':false", RT_EINVAL, "total_quote"},
    {K_TOTAL, "'total_quote':'75100',", "", RT_EINVAL, "total_quote"},
    {K_TOTAL, "'total_quote':'75100'", "'total_quote':NaN", RT_EINVAL, ""},
    {K_TOTAL, "'total_quote':'75100'", "'total_quote':1e999", RT_ERANGE, ""},
    {K_TOTAL, "'total_quote':'75100'", "'total_quote':-1", RT_EINVAL, "total_quote"},
    {K_TOTAL, "'total_quote':'75100'", "'total_quote':'75100.000000001'", RT_EINVAL, "total_quote"},
    {K_TOTAL, "'asset':'USDC'", "'asset':'USDCUSDCUSDCUSDC'", RT_OK, ""},
    {K_TOTAL, "'asset':'USDC'", "'asset':'USDCUSDCUSDCUSDCX'", RT_EINVAL, "asset"},
    {K_TOTAL, "'asset':'USDC'", "'asset':'USDCUSDCUSDCUSDCUSDCUSDCX'", RT_ETOOBIG, "asset"},
    {K_TOTAL, "'asset':'USDC'", "'asset':'\xc3('", RT_EINVAL, ""},
    {K_TOTAL, NULL, "{}", RT_EINVAL, "total_quote"},
    {K_TOTAL, NULL, "[]", RT_EINVAL, ""},
    {K_TOTAL, "'USDC'}", "'USDC'}'", RT_EINVAL, ""},

    /* log line */
    {K_LOGLINE, "'level':'INFO'", "'level':'info'", RT_EINVAL, "level"},
    {K_LOGLINE, "'level':'INFO'", "'level':'WARNING'", RT_EINVAL, "level"},
    {K_LOGLINE, "'level':'INFO'", "'level':'DEBUG'", RT_OK, ""},
    {K_LOGLINE, "'level':'INFO'", "'level':'ERROR'", RT_OK, ""},
    {K_LOGLINE, "'ts':1000", "'ts':-1", RT_EINVAL, "ts"},
    {K_LOGLINE, "'ts':1000", "'ts':1000.5", RT_EINVAL, "ts"},
    {K_LOGLINE, "'ts':1000", "'ts':NaN", RT_EINVAL, ""},
    {K_LOGLINE, "'ts':1000", "'ts':1e999", RT_ERANGE, ""},
    {K_LOGLINE, "'msg':'connected'", "'msg':5", RT_EINVAL, "msg"},
    {K_LOGLINE, ",'msg':'connected'", "", RT_EINVAL, "msg"},
    {K_LOGLINE, "'msg':'connected'", "'msg':''", RT_OK, ""},
    {K_LOGLINE, "'msg':'connected'", "'msg':'\\n\\t\\u00e9'", RT_OK, ""},
    {K_LOGLINE, "'msg':'connected'", "'msg':'bad \xff'", RT_EINVAL, ""},
    {K_LOGLINE, "'service':'gateway'", "'service':''", RT_EINVAL, "service"},
    {K_LOGLINE, "'service':'gateway'", "'service':'a b'", RT_EINVAL, "service"},
    {K_LOGLINE, "'service':'gateway'", "'service':'gw#2'", RT_OK, ""},
    {K_LOGLINE, "'service':'gateway'",
     "'service':'01234567890123456789012345678901234567890123456789012345678901234'", RT_ETOOBIG,
     "service"},
    {K_LOGLINE, "'module':'ws'", "'module':null", RT_OK, ""},
    /* docs/BUS.md's example of what rt_bus_log_attach publishes */
    {K_LOGLINE, NULL,
     "{'ts':1616554800123,'service':'gateway','level':'INFO','module':'ws',"
     "'msg':'connected host=localhost port=9090'}",
     RT_OK, ""},
    {K_LOGLINE, "'module':'ws',", "", RT_OK, ""},
    {K_LOGLINE, "'module':'ws'", "'module':5", RT_EINVAL, "module"},
    {K_LOGLINE, NULL, "{}", RT_EINVAL, "ts"},
    {K_LOGLINE, NULL, "'connected'", RT_EINVAL, ""},
};

/* The kind's base with `from` replaced once by `to` (or `to` alone when from is NULL), and
 * every ' turned into " (caller frees). */
static char *make_input(const bad_t *c)
{
    char *out;
    if (c->from == NULL) {
        out = strdup(c->to);
        assert_non_null(out);
    } else {
        const char *src = bases[c->kind];
        const char *at = strstr(src, c->from);
        if (at == NULL)
            fail_msg("test bug: '%s' not in the %s base", c->from, kind_names[c->kind]);
        size_t pre = (size_t)(at - src), fl = strlen(c->from), tl = strlen(c->to);
        out = malloc(strlen(src) - fl + tl + 1);
        assert_non_null(out);
        memcpy(out, src, pre);
        memcpy(out + pre, c->to, tl);
        memcpy(out + pre + tl, at + fl, strlen(at + fl) + 1);
    }
    for (char *p = out; *p != '\0'; p++) {
        if (*p == '\'')
            *p = '"';
    }
    return out;
}

static void test_bases_are_valid(void **state)
{
    (void)state;
    any_t *v = calloc(1, sizeof *v);
    assert_non_null(v);
    for (size_t k = 0; k < K_COUNT; k++) {
        bad_t c = {(kind_t)k, NULL, bases[k], RT_OK, ""};
        char *json = make_input(&c);
        parse_ok((kind_t)k, json, strlen(json), v);
        round_trip((kind_t)k, v);
        free(json);
    }
    free(v);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    any_t *v = malloc(sizeof *v);
    any_t *untouched = malloc(sizeof *untouched);
    assert_non_null(v);
    assert_non_null(untouched);
    memset(untouched, 0xA5, sizeof *untouched);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_t *c = &bad_cases[i];
        char *json = make_input(c);
        size_t len = strlen(json);
        memset(v, 0xA5, sizeof *v);
        rt_msg_error_t err;
        memset(&err, 0, sizeof err);
        int rc = parse_any(c->kind, json, len, v, &err);
        if (rc != c->rc || strcmp(err.field, c->field) != 0)
            fail_msg("case %zu (%s) %s\n  got rc=%d (%s) field='%s' text='%s'\n  want rc=%d "
                     "(%s) field='%s'",
                     i, kind_names[c->kind], json, rc, rt_strerror(rc), err.field, err.text, c->rc,
                     rt_strerror(c->rc), c->field);
        if (rc != RT_OK) {
            /* the output is written only on success; the text names the field */
            if (memcmp(v, untouched, sizeof *v) != 0)
                fail_msg("case %zu: output written on failure", i);
            if (err.text[0] == '\0')
                fail_msg("case %zu: no error text", i);
            if (c->field[0] != '\0') {
                char want[RT_MSG_ERROR_CAP];
                snprintf(want, sizeof want, "field '%s': ", c->field);
                if (strncmp(err.text, want, strlen(want)) != 0)
                    fail_msg("case %zu: text '%s' does not start with \"%s\"", i, err.text, want);
            }
        }
        /* without an error struct, the same code */
        assert_int_equal(parse_any(c->kind, json, len, v, NULL), c->rc);
        free(json);
    }
    free(untouched);
    free(v);
}

/* A NUL byte inside the given length is garbage, not the end of the message. */
static void test_embedded_nul(void **state)
{
    (void)state;
    const char json[] = "{\"ts\":1,\"service\":\"x\",\"level\":\"INFO\",\"msg\":\"m\"}\0junk";
    rt_logline_t l;
    rt_msg_error_t err;
    assert_int_equal(rt_msg_logline_parse(json, sizeof json - 1, &l, &err), RT_EINVAL);
    EQ_STR("field", err.field, "");
    assert_int_equal(rt_msg_logline_parse(json, strlen(json), &l, &err), RT_OK);
    /* the length is honoured: no NUL terminator needed */
    assert_int_equal(rt_msg_logline_parse(json, strlen(json) - 1, &l, &err), RT_EINVAL);
}

/* A 10 MB string is refused before jansson reads it; a big one under the limit is refused as
 * longer than its field. */
static void test_huge_messages(void **state)
{
    (void)state;
    const size_t big = 10u * 1024u * 1024u;
    char *json = malloc(big + 64);
    assert_non_null(json);
    for (kind_t k = K_CANDLE; k < K_COUNT; k++) {
        size_t n = 0;
        if (k == K_BALANCES)
            json[n++] = '[';
        memcpy(json + n, "{\"symbol\":\"", 11);
        n += 11;
        memset(json + n, 'A', big);
        n += big;
        memcpy(json + n, "\"}", 2);
        n += 2;
        if (k == K_BALANCES)
            json[n++] = ']';
        any_t *v = malloc(sizeof *v);
        rt_msg_error_t err;
        int rc = parse_any(k, json, n, v, &err);
        if (rc != RT_ETOOBIG || err.field[0] != '\0')
            fail_msg("%s: 10 MB: rc=%d field='%s' text='%s'", kind_names[k], rc, err.field,
                     err.text);
        free(v);
    }
    /* exactly at the limit it is read, and the long string is refused by its field */
    const size_t at = RT_MSG_MAX_LEN;
    size_t n = 0;
    memcpy(json, "{\"symbol\":\"", 11);
    n = 11;
    memset(json + n, 'A', at - 13);
    n += at - 13;
    memcpy(json + n, "\"}", 2);
    n += 2;
    assert_int_equal(n, at);
    rt_candle_t c;
    rt_msg_error_t err;
    assert_int_equal(rt_msg_candle_parse(json, n, &c, &err), RT_ETOOBIG);
    EQ_STR("field", err.field, "symbol");
    json[n] = ' ';
    assert_int_equal(rt_msg_candle_parse(json, n + 1, &c, &err), RT_ETOOBIG);
    EQ_STR("field", err.field, "");
    assert_int_equal(rt_msg_candle_parse(NULL, 5, &c, &err), RT_EINVAL);
    free(json);
}

/* Deep nesting is refused by jansson's depth limit, without a crash. */
static void test_deep_nesting(void **state)
{
    (void)state;
    const size_t depth = 30000;
    char *json = malloc(2 * depth + 1);
    assert_non_null(json);
    memset(json, '[', depth);
    memset(json + depth, ']', depth);
    rt_candle_t c;
    rt_msg_error_t err;
    assert_int_equal(rt_msg_candle_parse(json, 2 * depth, &c, &err), RT_EINVAL);
    free(json);
}

/* ---- validate and format refuse what parse would refuse ---------------------------------- */

static void test_format_refuses_invalid(void **state)
{
    (void)state;
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    rt_msg_error_t err;

    rt_candle_t c;
    memset(&c, 0, sizeof c);
    snprintf(c.symbol, sizeof c.symbol, "BTCUSDC");
    snprintf(c.interval, sizeof c.interval, "1m");
    c.open_time = 0;
    c.close_time = 59999;
    c.open = c.high = c.low = c.close = M("1");
    assert_int_equal(rt_msg_candle_validate(&c, &err), RT_OK);
    c.volume = -1;
    assert_int_equal(rt_msg_candle_format(&w, &c), RT_EINVAL);
    assert_int_equal(rt_jsonw_len(&w), 0); /* nothing written */
    assert_int_equal(rt_msg_candle_validate(&c, &err), RT_EINVAL);
    EQ_STR("field", err.field, "volume");
    EQ_STR("text", err.text, "field 'volume': must be >= 0");
    c.volume = 0;
    memset(c.symbol, 'A', sizeof c.symbol); /* not terminated */
    assert_int_equal(rt_msg_candle_validate(&c, &err), RT_EINVAL);
    EQ_STR("field", err.field, "symbol");
    snprintf(c.symbol, sizeof c.symbol, "BTCUSDC");
    c.close = RT_MONEY_MIN - 1;
    assert_int_equal(rt_msg_candle_validate(&c, &err), RT_EINVAL);
    EQ_STR("field", err.field, "close");
    assert_int_equal(rt_msg_candle_validate(NULL, &err), RT_EINVAL);
    assert_int_equal(rt_msg_candle_format(&w, NULL), RT_EINVAL);

    rt_signal_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "x");
    snprintf(s.strategy, sizeof s.strategy, "S");
    snprintf(s.symbol, sizeof s.symbol, "BTCUSDC");
    s.price = 1;
    s.side = (rt_side_t)7;
    assert_int_equal(rt_msg_signal_validate(&s, &err), RT_EINVAL);
    EQ_STR("field", err.field, "side");
    s.side = RT_SIDE_BUY;
    s.meta_count = 1;
    snprintf(s.meta[0].key, sizeof s.meta[0].key, "rsi");
    s.meta[0].value = NAN;
    assert_int_equal(rt_msg_signal_validate(&s, &err), RT_EINVAL);
    EQ_STR("field", err.field, "metadata.rsi");
    s.meta[0].value = 1;
    s.meta_count = 2;
    snprintf(s.meta[1].key, sizeof s.meta[1].key, "rsi");
    assert_int_equal(rt_msg_signal_validate(&s, &err), RT_EINVAL);
    EQ_STR("field", err.field, "metadata");
    s.meta_count = RT_SIGNAL_META_MAX + 1;
    assert_int_equal(rt_msg_signal_validate(&s, &err), RT_ETOOBIG);
    assert_int_equal(rt_msg_signal_format(&w, &s), RT_EINVAL);

    rt_event_t ev;
    memset(&ev, 0, sizeof ev);
    ev.type = (rt_event_type_t)9;
    assert_int_equal(rt_msg_event_validate(&ev, &err), RT_EINVAL);
    EQ_STR("field", err.field, "type");
    ev.type = RT_EVENT_TRADE;
    assert_int_equal(rt_msg_event_validate(&ev, &err), RT_EINVAL);
    EQ_STR("field", err.field, "data.id");

    rt_balance_t b[2];
    memset(b, 0, sizeof b);
    snprintf(b[0].asset, sizeof b[0].asset, "BTC");
    snprintf(b[1].asset, sizeof b[1].asset, "BTC");
    assert_int_equal(rt_msg_balances_validate(b, 1, &err), RT_OK);
    assert_int_equal(rt_msg_balances_validate(b, 2, &err), RT_EINVAL);
    EQ_STR("field", err.field, "[1].asset");
    b[0].total = -1;
    assert_int_equal(rt_msg_balances_validate(b, 1, &err), RT_EINVAL);
    EQ_STR("field", err.field, "[0].total");
    assert_int_equal(rt_msg_balances_validate(NULL, 0, &err), RT_OK);
    assert_int_equal(rt_msg_balances_validate(NULL, 1, &err), RT_EINVAL);

    rt_logline_t l;
    memset(&l, 0, sizeof l);
    snprintf(l.service, sizeof l.service, "x");
    l.level = (rt_log_level_t)4;
    assert_int_equal(rt_msg_logline_validate(&l, &err), RT_EINVAL);
    EQ_STR("field", err.field, "level");

    rt_total_balance_t t = {0, "usdc"};
    assert_int_equal(rt_msg_total_balance_validate(&t, &err), RT_EINVAL);
    EQ_STR("field", err.field, "asset");

    rt_ticker_t tk = {"BTCUSDC", 0, 1};
    assert_int_equal(rt_msg_ticker_validate(&tk, &err), RT_EINVAL);
    EQ_STR("field", err.field, "price");

    /* a writer already in error passes its error on */
    rt_jsonw_reset(&w);
    rt_jsonw_object_begin(&w);
    tk.price = 1;
    assert_int_equal(rt_msg_ticker_format(&w, &tk), RT_ESTATE); /* a value without a key */
    rt_jsonw_cleanup(&w);
}

/* Formats nest: a candle inside a larger document. */
static void test_format_nests(void **state)
{
    (void)state;
    rt_ticker_t t = {"BTCUSDC", M("1.5"), 7};
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    rt_jsonw_object_begin(&w);
    rt_jsonw_kv_string(&w, "event", "ticker");
    rt_jsonw_key(&w, "data");
    rt_msg_ticker_format(&w, &t);
    rt_jsonw_object_end(&w);
    expect_text(&w, RT_OK,
                "{\"event\":\"ticker\",\"data\":{\"symbol\":\"BTCUSDC\",\"price\":1.5,"
                "\"event_time\":7}}");
    rt_jsonw_cleanup(&w);
}

static void test_balances_cap(void **state)
{
    (void)state;
    const char *json =
        "[{\"asset\":\"BTC\",\"free\":1,\"locked\":0,\"total\":1,\"quote_value\":1}]";
    rt_balance_t b[1];
    size_t n = 99;
    rt_msg_error_t err;
    assert_int_equal(rt_msg_balances_parse(json, strlen(json), b, 0, &n, &err), RT_ETOOBIG);
    assert_int_equal(n, 99);
    assert_int_equal(rt_msg_balances_parse(json, strlen(json), b, 1, &n, &err), RT_OK);
    assert_int_equal(n, 1);
    EQ_STR("asset", b[0].asset, "BTC");
    assert_int_equal(rt_msg_balances_parse("[]", 2, NULL, 0, &n, &err), RT_OK);
    assert_int_equal(n, 0);
}

/* ---- names ------------------------------------------------------------------------------- */

static void test_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int value;
        int kind; /* 0 side, 1 type, 2 status, 3 source, 4 role, 5 position status */
    } cases[] = {
        {"BUY", RT_SIDE_BUY, 0},
        {"SELL", RT_SIDE_SELL, 0},
        {"MARKET", RT_ORDER_MARKET, 1},
        {"LIMIT", RT_ORDER_LIMIT, 1},
        {"NEW", RT_ORDER_NEW, 2},
        {"PARTIALLY_FILLED", RT_ORDER_PARTIALLY_FILLED, 2},
        {"FILLED", RT_ORDER_FILLED, 2},
        {"CANCELED", RT_ORDER_CANCELED, 2},
        {"REJECTED", RT_ORDER_REJECTED, 2},
        {"EXPIRED", RT_ORDER_EXPIRED, 2},
        {"PENDING", RT_ORDER_PENDING, 2},
        {"manual", RT_SOURCE_MANUAL, 3},
        {"strategy", RT_SOURCE_STRATEGY, 3},
        {"maker", RT_ROLE_MAKER, 4},
        {"taker", RT_ROLE_TAKER, 4},
        {"open", RT_POSITION_OPEN, 5},
        {"closed", RT_POSITION_CLOSED, 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *name = "";
        int parsed = -1, rc = RT_EINVAL;
        switch (cases[i].kind) {
        case 0: {
            rt_side_t v;
            name = rt_side_name((rt_side_t)cases[i].value);
            rc = rt_side_parse(cases[i].name, &v);
            parsed = (int)v;
            break;
        }
        case 1: {
            rt_order_type_t v;
            name = rt_order_type_name((rt_order_type_t)cases[i].value);
            rc = rt_order_type_parse(cases[i].name, &v);
            parsed = (int)v;
            break;
        }
        case 2: {
            rt_order_status_t v;
            name = rt_order_status_name((rt_order_status_t)cases[i].value);
            rc = rt_order_status_parse(cases[i].name, &v);
            parsed = (int)v;
            break;
        }
        case 3: {
            rt_order_source_t v;
            name = rt_order_source_name((rt_order_source_t)cases[i].value);
            rc = rt_order_source_parse(cases[i].name, &v);
            parsed = (int)v;
            break;
        }
        case 4: {
            rt_trade_role_t v;
            name = rt_trade_role_name((rt_trade_role_t)cases[i].value);
            rc = rt_trade_role_parse(cases[i].name, &v);
            parsed = (int)v;
            break;
        }
        default: {
            rt_position_status_t v;
            name = rt_position_status_name((rt_position_status_t)cases[i].value);
            rc = rt_position_status_parse(cases[i].name, &v);
            parsed = (int)v;
            break;
        }
        }
        EQ_STR("name", name, cases[i].name);
        EQ_I64(cases[i].name, rc, RT_OK);
        EQ_I64(cases[i].name, parsed, cases[i].value);
    }
    rt_side_t side = RT_SIDE_SELL;
    assert_int_equal(rt_side_parse("buy", &side), RT_EINVAL);
    assert_int_equal(rt_side_parse("", &side), RT_EINVAL);
    assert_int_equal(rt_side_parse(NULL, &side), RT_EINVAL);
    assert_int_equal(side, RT_SIDE_SELL);
    EQ_STR("bad side", rt_side_name((rt_side_t)5), "?");
    EQ_STR("bad status", rt_order_status_name((rt_order_status_t)-1), "?");
    EQ_STR("event", rt_event_type_name(RT_EVENT_POSITION), "position");

    assert_true(rt_msg_symbol_valid("BTCUSDC"));
    assert_true(rt_msg_symbol_valid("1INCHUSDT"));
    assert_true(rt_msg_symbol_valid("ABCDEFGHIJKLMNOPQRST"));
    assert_false(rt_msg_symbol_valid("ABCDEFGHIJKLMNOPQRSTU"));
    assert_false(rt_msg_symbol_valid(""));
    assert_false(rt_msg_symbol_valid("btcusdc"));
    assert_false(rt_msg_symbol_valid(NULL));
    static const char *const intervals[] = {"1s", "1m", "3m", "5m",  "15m", "30m", "1h", "2h",
                                            "4h", "6h", "8h", "12h", "1d",  "3d",  "1w", "1M"};
    for (size_t i = 0; i < sizeof intervals / sizeof intervals[0]; i++)
        assert_true(rt_msg_interval_valid(intervals[i]));
    assert_false(rt_msg_interval_valid("1d "));
    assert_false(rt_msg_interval_valid("1h1"));
    assert_false(rt_msg_interval_valid(""));
    assert_false(rt_msg_interval_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_candle),
        cmocka_unit_test(test_fixture_ticker),
        cmocka_unit_test(test_fixture_signal),
        cmocka_unit_test(test_fixture_order),
        cmocka_unit_test(test_fixture_trade),
        cmocka_unit_test(test_fixture_position),
        cmocka_unit_test(test_fixture_risk),
        cmocka_unit_test(test_fixture_balances),
        cmocka_unit_test(test_fixture_total_balance),
        cmocka_unit_test(test_fixture_logline),
        cmocka_unit_test(test_round_trip_edges),
        cmocka_unit_test(test_large_amounts),
        cmocka_unit_test(test_round_trip_shared_candles),
        cmocka_unit_test(test_bases_are_valid),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_embedded_nul),
        cmocka_unit_test(test_huge_messages),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_format_refuses_invalid),
        cmocka_unit_test(test_format_nests),
        cmocka_unit_test(test_balances_cap),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
