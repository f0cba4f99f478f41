/* Klines: Binance's intervals, and the aggregation of one symbol's ticks into a forming kline
 * and a ring of closed klines per interval.
 *
 * A kline opens with the first tick inside its interval and closes once simulated time has
 * passed its close time (open + length - 1); in "fill" mode, an interval without ticks still
 * gets a kline (open = high = low = close = the previous close, no volume, no trades, as
 * Binance shows quiet minutes), otherwise it is skipped (a gap, as in a replayed file with
 * gaps). Each kline closes exactly once, whichever comes first: a later tick or
 * sim_klines_advance. Pure: no I/O, time comes in as an argument. */
#ifndef SIM_KLINES_H
#define SIM_KLINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "rt/money.h"

typedef enum {
    SIM_IV_1S = 0,
    SIM_IV_1M,
    SIM_IV_3M,
    SIM_IV_5M,
    SIM_IV_15M,
    SIM_IV_30M,
    SIM_IV_1H,
    SIM_IV_2H,
    SIM_IV_4H,
    SIM_IV_6H,
    SIM_IV_8H,
    SIM_IV_12H,
    SIM_IV_1D,
    SIM_IV_3D,
    SIM_IV_1W,
    SIM_IV_1MO, /* "1M": calendar months */
    SIM_IV_COUNT,
} sim_interval_t;

/** All intervals enabled (the mask of sim_klines_init). */
#define SIM_IV_ALL ((1u << SIM_IV_COUNT) - 1)

/** Parses an interval name of n bytes ("1s", "1m", ..., "1w", "1M"; case-sensitive, as
 *  Binance). Returns 0, RT_EINVAL for anything else. */
int sim_interval_parse(const char *s, size_t n, sim_interval_t *out);

/** The interval's name ("1m"); "?" for an invalid value. */
const char *sim_interval_name(sim_interval_t iv);

/** Nominal length in ms (1M: 30 days; only for comparisons and spans). */
int64_t sim_interval_ms(sim_interval_t iv);

/** Open time of the interval that contains t (UTC; weeks start on Monday, months on the 1st). */
int64_t sim_interval_open(sim_interval_t iv, int64_t t);

/** Open time of the interval after the one opening at open. */
int64_t sim_interval_next(sim_interval_t iv, int64_t open);

/** One kline, forming or closed. Times are simulated ms since the epoch. */
typedef struct {
    int64_t open_time, close_time;
    rt_money_t open, high, low, close;
    rt_money_t volume;       /* base asset */
    rt_money_t quote_volume; /* sum of price * qty */
    rt_money_t taker_base;   /* taker buy base volume (trades whose buyer took the ask) */
    rt_money_t taker_quote;
    int64_t trades;
    int64_t first_id, last_id; /* -1 when there were no trades */
} sim_kline_t;

/** One interval's klines of one symbol: the forming one and the closed ring (oldest first). */
typedef struct {
    sim_kline_t forming;
    bool active;  /* forming holds a kline */
    bool touched; /* the forming kline has seen a tick (else it is an empty fill) */
    uint64_t rev; /* changes whenever the forming kline does (never reused) */
    sim_kline_t *ring;
    size_t cap, max, head, count;
} sim_series_t;

/** All intervals of one symbol. Caller-owned; init/cleanup. */
typedef struct {
    sim_series_t series[SIM_IV_COUNT];
    unsigned enabled; /* bit per sim_interval_t */
    bool fill;
    bool has_price;
    rt_money_t last_price;
    uint64_t closed_total; /* klines closed, all intervals */
} sim_klines_t;

/** Called for every kline that closes (borrowed: valid during the call). */
typedef void (*sim_kline_close_fn)(void *ud, sim_interval_t iv, const sim_kline_t *k);

/** Initialises empty series for the intervals in enabled (bits of sim_interval_t), each ring
 *  keeping up to ring_max closed klines (>= 1; memory grows as they come). fill: see the top
 *  of this file. Returns 0, RT_EINVAL. */
int sim_klines_init(sim_klines_t *k, size_t ring_max, unsigned enabled, bool fill);

/** Frees the rings. NULL is a no-op. */
void sim_klines_cleanup(sim_klines_t *k);

/** Adds a tick (trade_id: its id, ignored for price marks). Klines that end before the tick's
 *  time close first (fn may be NULL). Ticks must come in time order: RT_EINVAL for a tick
 *  older than a forming kline. RT_ENOMEM when a ring cannot grow (the kline is dropped, the
 *  state stays consistent). */
int sim_klines_add(sim_klines_t *k, const sim_tick_t *t, int64_t trade_id, sim_kline_close_fn fn,
                   void *ud);

/** Closes every kline whose close time is before now_ms (fn may be NULL), filling quiet
 *  intervals in fill mode. Returns 0 or RT_ENOMEM. */
int sim_klines_advance(sim_klines_t *k, int64_t now_ms, sim_kline_close_fn fn, void *ud);

/** Number of klines of interval iv in order: the closed ones, then the forming one if any. */
size_t sim_klines_count(const sim_klines_t *k, sim_interval_t iv);

/** Number of closed klines kept for iv. */
size_t sim_klines_closed_count(const sim_klines_t *k, sim_interval_t iv);

/** The i-th kline of iv in the order of sim_klines_count (borrowed; valid until the next add
 *  or advance); NULL when out of range. *closed (may be NULL) says whether it is closed. */
const sim_kline_t *sim_klines_get(const sim_klines_t *k, sim_interval_t iv, size_t i, bool *closed);

/** Selects klines as Binance's GET /api/v3/klines does: with start (has_start), the first
 *  `limit` whose open time is in [start, end]; with only end, the last `limit` whose open time
 *  is <= end; with neither, the last `limit`. closed_only leaves out the forming kline.
 *  Writes the index range into *first and *n (indices of sim_klines_get). */
void sim_klines_select(const sim_klines_t *k, sim_interval_t iv, bool has_start, int64_t start,
                       bool has_end, int64_t end, size_t limit, bool closed_only, size_t *first,
                       size_t *n);

#endif
