/* The strategy interface of the analyzer's pure core (rt_strategies): no I/O, no clock, no
 * Redis. The analyzer service, the backtester and the benchmarks drive it the same way:
 *
 *   const an_strategy_t *s = an_registry_find("RSI_Strategy");
 *   an_params_t p;
 *   an_params_defaults(&p, s);                    // then an_params_load / an_params_set
 *   void *st;
 *   s->state_new(&p, &st);                        // one state per symbol
 *   for each closed candle c of that symbol:
 *       an_candle_t k;
 *       an_candle_of(&k, &c);                     // once, for every strategy
 *       rt_signal_t sig;
 *       if (s->on_candle(st, &k, &sig) == 1) publish(&sig);
 *   s->state_free(st);
 *
 * A state borrows its parameter block: p must outlive it, and changes made with an_params_set
 * take effect on the next candle. Parameters marked `structural` (window lengths, the MA type)
 * are read once by state_new: after changing one, free the states and make new ones (they warm
 * up again, e.g. by replaying the last an_strategy_t.warmup candles).
 *
 * Adding a strategy: one file in analyzer/strategies/ defining a `const an_strategy_t`, one
 * line in analyzer/registry.c (see docs/STRATEGIES.md). */
#ifndef AN_STRATEGY_H
#define AN_STRATEGY_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rt/err.h"
#include "rt/ind.h"
#include "rt/money.h"
#include "rt/signal_id.h"
#include "rt/types.h"

/** Most parameters a strategy may have, and most strategies the registry may hold. */
#define AN_PARAMS_MAX 16
#define AN_STRATEGIES_MAX 32
/** Room for an error text of the functions below (they truncate to what they are given). */
#define AN_ERR_CAP 512

typedef enum {
    AN_PARAM_INT,    /* whole numbers in [min, max] */
    AN_PARAM_DOUBLE, /* finite numbers in [min, max] */
    AN_PARAM_BOOL,   /* 0 or 1; text true/false, 1/0, yes/no, on/off (any case) */
    AN_PARAM_ENUM,   /* an index into choices; text is the choice's name (any case) */
} an_param_type_t;

/** One parameter of a strategy. Values of every type are held as double (exact for the
 *  integers, booleans and enum indexes used here). */
typedef struct {
    const char *name;           /* the .env name, e.g. "RSI_WINDOW" */
    an_param_type_t type;
    double def, min, max;       /* enum: min 0, max = number of choices - 1 */
    const char *const *choices; /* enum only: the names, lower case */
    bool structural;            /* read by state_new only: changing it needs new states */
    const char *help;           /* one line for docs and the API */
} an_param_def_t;

typedef struct an_strategy an_strategy_t;

/** One closed candle as the strategies read it: the candle and its prices as doubles for the
 *  indicators, converted once (an_candle_of) for every strategy that reads it rather than by
 *  each (a division per price), and, from a driver that keeps an an_shared_t for the symbol
 *  (an_shared_next), the indicators several strategies would otherwise each compute. */
typedef struct {
    const rt_candle_t *c; /* borrowed: the candle itself (money, times, symbol) */
    double high, low, close, volume; /* the candle's, money / RT_MONEY_SCALE: always finite
                                        and within RT_IND_INPUT_MAX, so strategies give them to
                                        the indicators' unchecked updates */
    const rt_rsi_t *rsi; /* the symbol's shared RSI after this candle; NULL when none */
    int rsi_rc;          /* what its update returned for this candle */
    int64_t seq;         /* candles the shared indicators had seen before this one */
} an_candle_t;

_Static_assert(INT64_MAX / RT_MONEY_SCALE < (int64_t)RT_IND_INPUT_MAX,
               "every money amount is a valid indicator input");

/** Fills k for the closed candle c, without shared indicators (borrowed: c must outlive the
 *  uses of k). Cannot fail: a price is a finite double whatever its value. */
static inline void an_candle_of(an_candle_t *k, const rt_candle_t *c)
{
    /* rt_money_to_double inlined (the same correctly rounded quotient) */
    k->c = c;
    k->high = (double)c->high / (double)RT_MONEY_SCALE;
    k->low = (double)c->low / (double)RT_MONEY_SCALE;
    k->close = (double)c->close / (double)RT_MONEY_SCALE;
    k->volume = (double)c->volume / (double)RT_MONEY_SCALE;
    k->rsi = NULL;
    k->rsi_rc = RT_EAGAIN;
    k->seq = -1;
}

/** RSI_WINDOW's default: the period of the RSI the drivers share between strategies. */
#define AN_SHARED_RSI_PERIOD 14

/** Indicators several strategies compute alike (today an RSI of the closes: RSI_Strategy and
 *  RSI_Divergence with the same RSI_WINDOW), kept once per symbol by a driver that gives every
 *  candle of the symbol to it and to the strategies (the engine, the benchmark). A strategy
 *  reads a shared indicator only when its own would be identical: same period, and the shared
 *  one has seen exactly the candles the strategy's state has (both started together, see
 *  an_rsi_step); otherwise it keeps its own. A plain value: no allocation, no cleanup. */
typedef struct {
    rt_rsi_t rsi;
    int64_t seq; /* candles fed */
} an_shared_t;

/** Starts sh with no candles and an RSI of rsi_period (2..RT_IND_PERIOD_MAX): 0, or RT_EINVAL
 *  (sh is then unusable). */
int an_shared_init(an_shared_t *sh, int rsi_period);

/** Feeds the closed candle c to sh and fills k for it as an_candle_of does, with the shared
 *  indicators after c (k borrows c and sh: valid until the next call). Cannot fail (prices
 *  from money are always valid indicator inputs). */
static inline void an_shared_next(an_shared_t *sh, const rt_candle_t *c, an_candle_t *k)
{
    an_candle_of(k, c);
    k->rsi_rc = rt_rsi_update_unchecked(&sh->rsi, k->close);
    k->rsi = &sh->rsi;
    k->seq = sh->seq++;
}

/** A strategy's RSI: its own, or the candles' shared one when that is the same. */
typedef struct {
    rt_rsi_t own;  /* initialized by the strategy (its period decides the match) */
    int source;    /* 0 until the state's first candle, then AN_RSI_OWN or AN_RSI_SHARED */
    int64_t fed;   /* candles read from the shared RSI */
} an_rsi_t;

enum { AN_RSI_OWN = 1, AN_RSI_SHARED = 2 };

/** One candle's RSI step for a strategy state: the shared RSI (k->rsi) when, on the state's
 *  first candle, it had the same period and had seen no candle yet (so it sees exactly this
 *  state's candles), else the state's own, updated with k->close. Sets *r to the RSI to read
 *  and returns its update's result for this candle (0, RT_EAGAIN while warming up, or an input
 *  error); RT_ESTATE (*r untouched) when a state reading the shared RSI gets a candle without
 *  it or out of step with it (a driver that does not feed both the same candles). */
static inline int an_rsi_step(an_rsi_t *x, const an_candle_t *k, const rt_rsi_t **r)
{
    if (x->source == 0)
        x->source = k->rsi != NULL && k->seq == 0 && k->rsi->period == x->own.period
                        ? AN_RSI_SHARED
                        : AN_RSI_OWN;
    if (x->source == AN_RSI_OWN) {
        *r = &x->own;
        return rt_rsi_update_unchecked(&x->own, k->close);
    }
    if (k->rsi == NULL || k->seq != x->fed || k->rsi->period != x->own.period)
        return RT_ESTATE;
    x->fed++;
    *r = k->rsi;
    return k->rsi_rc;
}

/** The parameter values of one strategy (a plain value: copy it freely). */
typedef struct {
    const an_strategy_t *strategy;
    double v[AN_PARAMS_MAX]; /* in the order of strategy->params */
} an_params_t;

struct an_strategy {
    const char *name; /* e.g. "RSI_Strategy": the STRATEGIES name, and the signals' strategy */
    const char *rule; /* one line: what makes it signal */
    const an_param_def_t *params;
    size_t param_count;
    /** Rules between parameters (e.g. short window < long window): 0, or RT_EINVAL with a
     *  message in err. NULL when there are none. */
    int (*check)(const an_params_t *p, char *err, size_t cap);
    /** Closed candles that bring a new state to full strength with these parameters: every
     *  indicator has a value and the rules' longest look-back is filled (what a service
     *  replays or fetches at start; EMAs keep converging after it, so fetching more is fine). */
    size_t (*warmup)(const an_params_t *p);
    /** New per-symbol state (borrows p, see above) into *out: 0, RT_ENOMEM, or RT_EINVAL if p
     *  belongs to another strategy or fails its checks. Free with state_free. */
    int (*state_new)(const an_params_t *p, void **out);
    /** Frees a state (NULL is a no-op). */
    void (*state_free)(void *state);
    /** Feeds one closed candle of the state's symbol, k as an_candle_of or an_shared_next
     *  fill it (the caller filters out forming candles, duplicates and out-of-order ones).
     *  Returns 1 with *out filled (id, strategy, symbol, interval, side, timestamp = candle
     *  open time, price = close, stop_loss/take_profit or 0, metadata = the indicator values),
     *  0 when there is no signal (*out untouched), or a negative RT_E* code (*out untouched;
     *  the state stays usable, except after RT_ESTATE: k's shared indicators out of step with
     *  a state that reads them, see an_rsi_step). No allocation and no formatting unless a
     *  signal fires. */
    int (*on_candle)(void *state, const an_candle_t *k, rt_signal_t *out);
};

/* ---- parameters ------------------------------------------------------------------------ */

/** Fills p with the strategy's defaults. */
void an_params_defaults(an_params_t *p, const an_strategy_t *s);

/** Index of the parameter `name` (exact .env name) in s->params, or RT_ENOTFOUND. */
int an_param_index(const an_strategy_t *s, const char *name);

/** Sets one parameter from text (an .env value or an API value): "14", "2.5", "true", "ema".
 *  Returns 0; RT_ENOTFOUND for an unknown name (err lists the strategy's parameters);
 *  RT_EINVAL for text that is not of the parameter's type (err says what is expected) or a
 *  value that breaks a rule between parameters; RT_ERANGE for a value out of range (err gives
 *  the allowed range). On error p is unchanged. err may be NULL. */
int an_params_set(an_params_t *p, const char *name, const char *text, char *err, size_t cap);

/** Looks up a name in the environment (or a .env table): the value, or NULL when not set. */
typedef const char *(*an_lookup_fn)(void *ud, const char *name);

/** Sets every parameter that lookup finds with a non-blank value (the others keep theirs; an
 *  rt_config_get adapter fits), then checks the rules
 *  between parameters. Returns 0 or the first error's code; err lists every bad variable with
 *  its value and what is allowed ("RSI_WINDOW=abc: an integer in 2..500"). On error p is
 *  unchanged. */
int an_params_load(an_params_t *p, an_lookup_fn lookup, void *ud, char *err, size_t cap);

/** Writes the value as text ("14", "2.5", "true", "ema") into buf; returns the length, 0 when
 *  cap is too small. */
size_t an_param_format(const an_param_def_t *d, double v, char *buf, size_t cap);

/** Writes what the parameter accepts ("an integer in 2..500", "one of sma, ema") into buf;
 *  returns the length, 0 when cap is too small. */
size_t an_param_describe(const an_param_def_t *d, char *buf, size_t cap);

/* ---- registry (analyzer/registry.c) ---------------------------------------------------- */

/** Every strategy, in registry order; *count is set. The array is static. */
const an_strategy_t *const *an_registry_all(size_t *count);

/** The strategy with this name (case-insensitive), or NULL. */
const an_strategy_t *an_registry_find(const char *name);

/** Picks the enabled strategies from a STRATEGIES value: names separated by commas, spaces
 *  around them ignored, case-insensitive, duplicates kept once, "all" for every strategy.
 *  Writes up to cap pointers into out (AN_STRATEGIES_MAX is always enough) in the order given
 *  and sets *count. Returns 0; RT_EINVAL for an unknown name (err names it and lists the valid
 *  ones) or an empty list; RT_ETOOBIG when cap is too small. out and *count are written only
 *  on success. */
int an_registry_select(const char *list, const an_strategy_t **out, size_t cap, size_t *count,
                       char *err, size_t err_cap);

/** Writes the names joined by ", " (for "Strategies loaded: ..."); returns the length, 0 when
 *  cap is too small. */
size_t an_strategy_names(const an_strategy_t *const *list, size_t n, char *buf, size_t cap);

/* ---- helpers for strategy files -------------------------------------------------------- */

/** Starts a signal from a candle: id (rt_signal_make_id_candle with the state's cache ids, or
 *  rt_signal_make_id when ids is NULL), strategy, symbol, interval, side,
 *  timestamp = open time, price = close, no stop/target, no metadata (the meta slots past
 *  meta_count are not cleared). Returns 0 or the id's error (RT_EINVAL, RT_ETOOBIG); on error
 *  *sig is untouched. */
int an_signal_begin(rt_signal_t *sig, rt_signal_id_cache_t *ids, const char *strategy,
                    const rt_candle_t *c, rt_side_t side);

/** Appends one metadata value under a key of len bytes (cut to RT_META_KEY_CAP - 1); skipped
 *  when full, or when v is not finite (JSON has no NaN). */
static inline void an_signal_meta_n(rt_signal_t *sig, const char *key, size_t len, double v)
{
    if (sig->meta_count >= RT_SIGNAL_META_MAX || !isfinite(v))
        return;
    rt_meta_t *m = &sig->meta[sig->meta_count++];
    if (len >= sizeof m->key)
        len = sizeof m->key - 1;
    memcpy(m->key, key, len);
    m->key[len] = '\0';
    m->value = v;
}

/** an_signal_meta_n for a string literal key (the length is known at compile time). */
#define an_signal_meta(sig, key, v) an_signal_meta_n((sig), "" key "", sizeof(key) - 1, (v))

/** Converts a computed price or distance (double) to money, rounded to 8 decimals. Returns 0;
 *  RT_ERANGE when it is not finite or out of money's range. */
int an_money_of(double v, rt_money_t *out);

/** A crossing detector for a difference a - b: remembers the sign of the last non-zero
 *  difference. Touching zero and coming back is no cross. */
typedef struct {
    int sign; /* -1, 0 (nothing seen yet), +1 */
} an_cross_t;

/** +1 when diff turned positive after being negative, -1 when it turned negative after being
 *  positive, 0 otherwise (including the very first non-zero difference). */
static inline int an_cross_update(an_cross_t *c, double diff)
{
    /* without branches: the sign of a difference of prices is a coin toss for a predictor */
    int s = (diff > 0.0) - (diff < 0.0); /* 0 for 0 and NaN */
    int crossed = s * ((c->sign != 0) & (s != c->sign));
    c->sign = s != 0 ? s : c->sign;
    return crossed;
}

#endif
