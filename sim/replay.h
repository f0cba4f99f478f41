/* Replay of a candles CSV (the ../shared/data format: a header line
 * "open_time_ms,open,high,low,close,volume", then one candle per line) as ticks, so that the
 * replayed candles go through the same kline aggregation, streams and REST as the model's.
 *
 * Each candle becomes up to four ticks inside its interval: the open at its start, the two
 * extremes at 1/4 and 1/2 (low first when the candle closes up, high first otherwise) and the
 * close at 3/4, each carrying a quarter of the volume, so the aggregated kline has exactly the
 * file's open, high, low, close and volume (and 4 trades). A candle with zero volume gives
 * price marks without trades. Gaps in the file stay gaps. Files are read with rt/csv.h. Pure
 * (sim_replay_parse takes the text; main reads the file). */
#ifndef SIM_REPLAY_H
#define SIM_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "klines.h"
#include "model.h"
#include "rt/money.h"
#include "rt/types.h"

/** A parsed file. Caller-owned; free with sim_replay_cleanup. */
typedef struct {
    rt_candle_t *rows;
    size_t count;
    sim_interval_t interval;
    int price_decimals; /* most decimals any price of the file uses (for the tick) */
} sim_replay_t;

/** Takes over rows[0..count) (closed candles in time order, as rt_csv_candles_parse gives
 *  them; freed with free() by sim_replay_cleanup, also on error) and checks what a replay
 *  needs: at least one row, a replayable interval (not 1M), every open time on an interval
 *  boundary. Returns 0 and *out, RT_EINVAL with the reason in why (may be NULL). */
int sim_replay_adopt(rt_candle_t *rows, size_t count, sim_replay_t *out, char *why, size_t why_cap);

/** Parses text[0..n) with rt_csv_candles_parse (symbol: the replayed symbol; interval: its
 *  name, or NULL to infer it) and adopts the rows. Returns 0 and *out, RT_EINVAL / RT_ERANGE
 *  with the first problem ("line 7: ...") in why, RT_ENOMEM. */
int sim_replay_parse(const char *text, size_t n, const char *symbol, const char *interval,
                     sim_replay_t *out, char *why, size_t why_cap);

/** Frees the rows. NULL is a no-op. */
void sim_replay_cleanup(sim_replay_t *r);

/** Bitmask of the intervals (sim_interval_t bits) a replay of this interval can serve: those
 *  that are whole multiples of it. */
unsigned sim_replay_intervals(sim_interval_t interval);

/** A position in a replay: rows are played with their open times shifted by shift ms. */
typedef struct {
    const sim_replay_t *replay;
    int64_t shift;
    size_t row;
    int phase;
} sim_replay_cursor_t;

/** Starts at the first row. shift must keep the rows on the interval's boundaries (a multiple
 *  of its length; months are not checked). */
void sim_replay_cursor_init(sim_replay_cursor_t *c, const sim_replay_t *r, int64_t shift);

/** The next tick if its (shifted) time is <= until_ms: 0 and *out; RT_EAGAIN when it comes
 *  later; RT_ENOTFOUND when the file is exhausted. */
int sim_replay_next(sim_replay_cursor_t *c, int64_t until_ms, sim_tick_t *out);

/** True when every row has been played. */
bool sim_replay_done(const sim_replay_cursor_t *c);

#endif
