/* The price model of one symbol: a seeded, deterministic geometric Brownian motion with regime
 * switches (trend up, trend down, range, and sudden drops or spikes), stepped once per
 * simulated second, with a few trades in each second at prices snapped to the tick.
 *
 * Determinism: everything is integer arithmetic (no libm, no double), and the random numbers
 * come from our own xoshiro256** seeded through splitmix64 with the seed and the symbol, so
 * the same seed, symbol and start time give the same trades on every machine. The model never
 * reads a clock: the caller says up to which simulated time it wants ticks. */
#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"
#include "spec.h"

/** xoshiro256** state. */
typedef struct {
    uint64_t s[4];
} sim_rng_t;

/** Seeds the generator through splitmix64 (any seed, 0 included, gives a valid state). */
void sim_rng_seed(sim_rng_t *r, uint64_t seed);

/** Next 64 random bits. */
uint64_t sim_rng_next(sim_rng_t *r);

/** Uniform integer in [0, n), n > 0 (n == 0 gives 0), without modulo bias. */
uint64_t sim_rng_below(sim_rng_t *r, uint64_t n);

/** The seed of one symbol's generator: the run's seed mixed with the symbol's name. */
uint64_t sim_seed_for_symbol(uint64_t seed, const char *symbol);

/** One price event of a symbol. A trade when is_trade; otherwise a price mark without volume
 *  (only replay produces those, for candles with zero volume). */
typedef struct {
    int64_t time; /* simulated ms since the epoch */
    rt_money_t price;
    rt_money_t qty;
    bool buyer_maker; /* true: the seller took the bid */
    bool is_trade;
} sim_tick_t;

typedef enum {
    SIM_REGIME_TREND_UP = 0,
    SIM_REGIME_TREND_DOWN,
    SIM_REGIME_RANGE,
    SIM_REGIME_SHOCK, /* a sudden drop or spike, then a few minutes of high volatility */
    SIM_REGIME_COUNT,
} sim_regime_t;

/** Name of a regime ("trend_up", ...). */
const char *sim_regime_name(sim_regime_t r);

#define SIM_MODEL_MAX_TICKS_PER_S 8

/** A model's state; plain struct, caller-owned, no resources (no cleanup needed). Fields are
 *  private except the read-only statistics at the end. */
typedef struct {
    sim_spec_t spec;
    sim_rng_t rng;
    int64_t pu;       /* mid price in micro-ticks (tick / 1e6) */
    int64_t pu_start; /* the start price, for the long-run pull toward it */
    int64_t pu_max;   /* ceiling (maxPrice / 2) */
    int64_t second;   /* next simulated second to generate */
    sim_regime_t regime;
    int64_t regime_end; /* first second of the next regime */
    int64_t drift_ppb;  /* per second (trends) */
    int64_t anchor_pu;  /* range: the level the price reverts to */
    int64_t tau_s;      /* range: reversion time constant */
    int sigma_pct;      /* volatility multiplier of the regime, percent */
    sim_tick_t pending[SIM_MODEL_MAX_TICKS_PER_S];
    size_t npending, next;
    /* statistics */
    uint64_t regimes_entered[SIM_REGIME_COUNT];
    uint64_t seconds;
} sim_model_t;

/** Starts a model of spec at simulated time start_ms (its first second is the first whole
 *  second at or after start_ms), with the generator seeded by sim_seed_for_symbol(seed,
 *  spec->symbol). Returns 0, RT_EINVAL when the spec has no positive tick, step or price. */
int sim_model_init(sim_model_t *m, const sim_spec_t *spec, uint64_t seed, int64_t start_ms);

/** The next tick if its time is <= until_ms: returns 0 and writes *out; RT_EAGAIN when the
 *  next tick comes later (call again with a later time). Ticks come in time order. */
int sim_model_next(sim_model_t *m, int64_t until_ms, sim_tick_t *out);

/** The current mid price, on the tick (for tests and logs). */
rt_money_t sim_model_price(const sim_model_t *m);

#endif
