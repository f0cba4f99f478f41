/* Closed-candle bookkeeping of the gateway (pure: no I/O, no clock).
 *
 * Downstream must see every closed candle of a symbol exactly once and in order, although the
 * exchange's stream repeats itself after a reconnect, loses what was sent while we were away,
 * and a backfill over REST overlaps with the stream. Per symbol we keep one number, `settled`:
 * the open time of the next closed candle we owe downstream (every candle that opened before
 * it was published, or is known not to exist on the exchange). Each kline event is checked
 * against it:
 *
 *   closed, open <  settled  -> DUPLICATE (already published: drop)
 *   update, open <  settled  -> STALE     (an update of a candle already closed: drop)
 *   any,    open == settled  -> PUBLISH   (then gw_candles_commit once it is out)
 *   any,    open >  settled  -> GAP       [settled, open - 1] closed candles were missed:
 *                                         backfill them over REST, then offer the event again
 *
 * A gap is seen on the first event after a reconnect (the forming candle is ahead of what we
 * published) or when a closing kline got lost. The event that reveals it needs no clock: the
 * candles before a candle the stream is sending have all closed. Before the first event of a
 * symbol nothing is owed (the gateway does not replay history at start; consumers warm up
 * over REST themselves). */
#ifndef GW_CANDLES_H
#define GW_CANDLES_H

#include <stdbool.h>
#include <stdint.h>

#include "rt/types.h"

/** "Nothing known yet" for gw_candle_state_t.settled. */
#define GW_TIME_NONE INT64_MIN

/** A Binance kline interval: a fixed length in ms (1s .. 1w), or calendar months (1M). */
typedef struct {
    int64_t ms; /* length of a fixed interval; 0 for months */
    int months; /* 1 for "1M"; 0 for a fixed interval */
    char name[RT_INTERVAL_CAP];
} gw_interval_t;

/** Parses a Binance interval name: 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M (case
 *  matters: 1m is a minute, 1M a month). Returns 0 or RT_EINVAL; *out only on success. */
int gw_interval_parse(const char *name, gw_interval_t *out);

/** Open time of the candle after the one that opened at open_time (UTC calendar months for
 *  1M). Returns GW_TIME_NONE when the result would overflow. */
int64_t gw_interval_next(const gw_interval_t *iv, int64_t open_time);

/** Per-symbol state. Zero it with gw_candle_state_init. */
typedef struct {
    int64_t settled;     /* open time of the next closed candle owed; GW_TIME_NONE at start */
    int64_t last_closed; /* open time of the last closed candle published; GW_TIME_NONE */
} gw_candle_state_t;

typedef enum {
    GW_CANDLE_PUBLISH = 0,
    GW_CANDLE_DUPLICATE, /* a closed candle already published */
    GW_CANDLE_STALE,     /* an update of a candle that has closed already */
    GW_CANDLE_GAP,       /* closed candles are missing before this one: backfill first */
} gw_verdict_t;

/** Closed candles to fetch: open times from..to, both inclusive. */
typedef struct {
    int64_t from;
    int64_t to;
} gw_range_t;

/** Starts a symbol with nothing owed. */
void gw_candle_state_init(gw_candle_state_t *st);

/** What to do with a kline event c (closed or an update) of this symbol. For GW_CANDLE_GAP
 *  writes the missing open times to *gap. Pure; c and st are only read. */
gw_verdict_t gw_candles_check(const gw_candle_state_t *st, const gw_interval_t *iv,
                              const rt_candle_t *c, gw_range_t *gap);

/** Records that c went out (call after a successful publish of a PUBLISH verdict, or of a
 *  backfilled candle accepted by gw_candles_accept): a closed candle moves `settled` past it;
 *  the first update of a symbol sets `settled` to its open time (from then on, that candle's
 *  close is owed). Returns 0, or RT_ERANGE when the next open time overflows (st unchanged). */
int gw_candles_commit(gw_candle_state_t *st, const gw_interval_t *iv, const rt_candle_t *c);

/** Whether a closed candle b returned by a backfill of gap should be published: true when
 *  settled <= b.open_time <= gap.to (the exchange may skip candles: maintenance windows have
 *  none, and that is no reason to refuse the next one). */
bool gw_candles_accept(const gw_candle_state_t *st, const gw_range_t *gap, const rt_candle_t *b);

/** Marks a backfilled gap as settled (after the REST replies were all handled, whether or not
 *  they held candles): `settled` becomes at least gap.to + 1, so the event that revealed the
 *  gap is published next. Also used to give a gap up when the exchange cannot be reached for
 *  too long. */
void gw_candles_settle(gw_candle_state_t *st, const gw_range_t *gap);

#endif
