/* The simulated market: every symbol's price source (the model, or a replayed file for one
 * symbol), its trades and its klines, advanced together to a simulated time.
 *
 * History and live data are one thing: the shell builds the history by advancing from the
 * start time to "now" with nobody listening, then keeps advancing as simulated time runs, with
 * listeners. So `klines` over REST serves the very candles the streams sent. Pure: no I/O and
 * no clock (time is an argument); not thread-safe (one owner). */
#ifndef SIM_MARKET_H
#define SIM_MARKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "klines.h"
#include "model.h"
#include "replay.h"
#include "spec.h"

#define SIM_MAX_SYMBOLS 512

typedef struct {
    const char *const *symbols; /* names, any case (stored upper case); no duplicates */
    size_t nsymbols;            /* 1..SIM_MAX_SYMBOLS */
    uint64_t seed;
    int64_t start_ms;           /* simulated time where the models start (the history's start) */
    int64_t live_ms;            /* simulated time where the history ends (the replay is placed so
                                   that `history` of its candles come before it) */
    size_t history;             /* replay: candles played before live_ms */
    size_t ring_max;            /* closed klines kept per symbol and interval (>= 1) */
    const sim_replay_t *replay; /* NULL: every symbol follows the model (borrowed; must outlive
                                   the market) */
    const char *replay_symbol;  /* the symbol that replays (one of symbols) */
} sim_market_config_t;

typedef struct sim_market sim_market_t;

/** One trade (the @trade stream). */
typedef struct {
    int64_t id;
    int64_t time;
    rt_money_t price, qty;
    bool buyer_maker;
} sim_trade_t;

typedef enum {
    SIM_EVENT_TRADE,
    SIM_EVENT_KLINE_CLOSED,
} sim_event_kind_t;

/** What advancing produced. Pointers are borrowed: valid during the callback only. */
typedef struct {
    sim_event_kind_t kind;
    size_t symbol;            /* index (sim_market_spec) */
    sim_interval_t interval;  /* KLINE_CLOSED */
    const sim_kline_t *kline; /* KLINE_CLOSED */
    const sim_trade_t *trade; /* TRADE */
} sim_event_t;

typedef void (*sim_event_fn)(void *ud, const sim_event_t *ev);

/** 24 h rolling figures of a symbol (the miniTicker). */
typedef struct {
    rt_money_t open, high, low, close, volume, quote_volume;
} sim_ticker24_t;

/** Creates a market; nothing is generated until sim_market_advance. Returns 0 and *out
 *  (free with sim_market_free), RT_EINVAL with the reason in why (may be NULL) for a bad
 *  config (bad or duplicate symbol, replay symbol not listed, ...), RT_ENOMEM. */
int sim_market_new(const sim_market_config_t *cfg, sim_market_t **out, char *why, size_t cap);

/** Frees the market. NULL is a no-op. */
void sim_market_free(sim_market_t *m);

/** Generates every tick up to now_ms (inclusive) and closes the klines that end before it,
 *  reporting each trade and each closed kline to fn (may be NULL: history). A time before
 *  the current one does nothing. Returns 0, or RT_ENOMEM when a kline ring could not grow
 *  (that kline is lost; the market goes on). */
int sim_market_advance(sim_market_t *m, int64_t now_ms, sim_event_fn fn, void *ud);

/** The simulated time the market has been advanced to. */
int64_t sim_market_now(const sim_market_t *m);

/** Number of symbols. */
size_t sim_market_count(const sim_market_t *m);

/** The spec of symbol i (borrowed), NULL when out of range. */
const sim_spec_t *sim_market_spec(const sim_market_t *m, size_t i);

/** Index of a symbol by its exact upper-case name: 0, or RT_ENOTFOUND. */
int sim_market_find(const sim_market_t *m, const char *symbol, size_t *out);

/** The klines of symbol i (borrowed; valid until the next advance), NULL when out of range. */
const sim_klines_t *sim_market_klines(const sim_market_t *m, size_t i);

/** True when symbol i produces klines of interval iv (a replay serves only multiples of its
 *  file's interval). */
bool sim_market_serves(const sim_market_t *m, size_t i, sim_interval_t iv);

/** The last traded price of symbol i: 0, or RT_ENOTFOUND before the first tick. */
int sim_market_last_price(const sim_market_t *m, size_t i, rt_money_t *out);

/** The rolling 24 h figures of symbol i at the market's time, from its smallest served
 *  interval of at least 1m: 0, or RT_ENOTFOUND before the first tick. */
int sim_market_ticker24(const sim_market_t *m, size_t i, sim_ticker24_t *out);

/** True when symbol i replays a file and the file is exhausted. */
bool sim_market_replay_done(const sim_market_t *m, size_t i);

/** Trades generated so far, all symbols. */
uint64_t sim_market_trades(const sim_market_t *m);

/** The model of symbol i (for tests and statistics), NULL for a replayed symbol. */
const sim_model_t *sim_market_model(const sim_market_t *m, size_t i);

#endif
