/* The analyzer's engine: every registered strategy with its parameters and enabled flag, one
 * state per (strategy, symbol), the last closed candles of each symbol (a ring, to re-warm a
 * strategy whose parameters change) and the filter that keeps duplicated, out-of-order and
 * foreign candles away from the strategies. Pure: no I/O, no clock, no locks (the service
 * serializes calls). The service and replay mode drive it the same way, so both produce the
 * same signals from the same candles. */
#ifndef AN_ENGINE_H
#define AN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/strategy.h"
#include "rt/types.h"

/** Most symbols one engine follows. */
#define AN_SYMBOLS_MAX 512
/** Default and largest number of closed candles kept per symbol. */
#define AN_HISTORY_DEFAULT 1000
#define AN_HISTORY_MAX 100000

typedef struct an_engine an_engine_t;

/** What happened to a candle given to an_engine_candle. */
typedef enum {
    AN_CANDLE_FED = 0,        /* closed, new: fed to every enabled strategy */
    AN_CANDLE_FORMING,        /* an update of the forming candle: kept as the symbol's view */
    AN_CANDLE_UNKNOWN_SYMBOL, /* not one of the engine's symbols */
    AN_CANDLE_OTHER_INTERVAL, /* not the engine's interval */
    AN_CANDLE_DUPLICATE,      /* closed, same open time as the last one fed */
    AN_CANDLE_OUT_OF_ORDER,   /* closed, older than the last one fed (or a stale update) */
    AN_CANDLE_RESULT_COUNT
} an_candle_result_t;

/** Short names of the results ("fed", "forming", "unknown_symbol", ...), for metrics. */
const char *an_candle_result_name(an_candle_result_t r);

/** Called for each signal (borrowed, valid during the call). */
typedef void (*an_emit_fn)(void *ud, const rt_signal_t *sig);

/** Creates an engine for these symbols (1..AN_SYMBOLS_MAX, each copied; duplicates refused)
 *  and interval (copied), keeping `history` closed candles per symbol (1..AN_HISTORY_MAX).
 *  Every registered strategy starts disabled with its defaults. Returns 0, RT_EINVAL (bad
 *  argument), RT_ENOMEM; *out (new, an_engine_free) only on success. */
int an_engine_new(const char *const *symbols, size_t nsymbols, const char *interval, size_t history,
                  an_engine_t **out);

/** Frees the engine and every state. NULL is a no-op. */
void an_engine_free(an_engine_t *e);

/** Number of strategy slots (every registered strategy, registry order). */
size_t an_engine_strategy_count(const an_engine_t *e);

/** The strategy of slot i, or NULL when i is out of range. */
const an_strategy_t *an_engine_strategy(const an_engine_t *e, size_t i);

/** The slot of a strategy by name (case-insensitive), or RT_ENOTFOUND. */
int an_engine_find(const an_engine_t *e, const char *name);

/** Whether slot i is enabled (false when out of range). */
bool an_engine_enabled(const an_engine_t *e, size_t i);

/** The parameters of slot i (borrowed, valid until the next an_engine_configure), or NULL. */
const an_params_t *an_engine_params(const an_engine_t *e, size_t i);

/** Sets the enabled flag and parameters of slot i (p must belong to its strategy and pass its
 *  checks). The slot's states are rebuilt from the candles kept for each symbol (without
 *  emitting), so the change takes effect on the next candle as if the strategy had always run
 *  with these parameters over that history. Returns 0, RT_EINVAL (bad slot or parameters),
 *  RT_ENOMEM (the slot is then disabled). */
int an_engine_configure(an_engine_t *e, size_t i, bool enabled, const an_params_t *p);

/** Feeds one candle. Forming updates are kept as the symbol's view; a new closed candle is kept
 *  in the history and fed to every enabled strategy, and each signal goes to fn(ud, sig) when
 *  emit is true (warm-up passes false; fn may then be NULL). Returns an an_candle_result_t
 *  (>= 0) or RT_EINVAL (NULL argument). A strategy's own error is counted
 *  (an_engine_strategy_errors) and does not stop the others. */
int an_engine_candle(an_engine_t *e, const rt_candle_t *c, bool emit, an_emit_fn fn, void *ud);

/** Number of symbols, and symbol i (NULL when out of range). */
size_t an_engine_symbol_count(const an_engine_t *e);
const char *an_engine_symbol(const an_engine_t *e, size_t i);

/** The last signal of slot i for symbol s emitted since start (borrowed), or NULL. */
const rt_signal_t *an_engine_last_signal(const an_engine_t *e, size_t i, size_t s);

/** The latest forming candle of symbol s (borrowed), or NULL when none has come. */
const rt_candle_t *an_engine_forming(const an_engine_t *e, size_t s);

/** Closed candles kept for symbol s (oldest first in an_engine_history_at). */
size_t an_engine_history_len(const an_engine_t *e, size_t s);
const rt_candle_t *an_engine_history_at(const an_engine_t *e, size_t s, size_t k);

/** Signals emitted by slot i since start; strategy errors (negative on_candle results). */
uint64_t an_engine_signals(const an_engine_t *e, size_t i);
uint64_t an_engine_strategy_errors(const an_engine_t *e);

/** Closed candles the enabled strategies need before they can signal: the largest warmup of
 *  the enabled slots (0 when none is enabled). */
size_t an_engine_warmup(const an_engine_t *e);

#endif
