/* Candles from CSV files in the shared-data format (the analyzer's replay mode, the backtester):
 *
 *   open_time_ms,open,high,low,close,volume
 *   1672677900000,16727.3,16728.8,16726,16726.1,691.508
 *
 * LF or CRLF line ends, the last line's end optional. Every row is checked: six fields, an
 * integer open time, decimal prices parsed straight to fixed-point (rt_money_parse, at most 8
 * decimals), prices > 0, volume >= 0, low <= open, close <= high, open times strictly
 * increasing (gaps are fine; a duplicate or an earlier time is an error). */
#ifndef RT_CSV_H
#define RT_CSV_H

#include <stddef.h>

#include "rt/types.h"

/** The exact header line. */
#define RT_CSV_CANDLE_HEADER "open_time_ms,open,high,low,close,volume"
/** Largest file rt_csv_candles_load reads (RT_ETOOBIG beyond). */
#define RT_CSV_MAX_BYTES ((size_t)1 << 30)

/** Parses `len` bytes of CSV text into a new array of closed candles of `symbol` (1..20
 *  upper-case letters or digits) and `interval` (a Binance interval: 1s, 1m, 3m, 5m, 15m, 30m,
 *  1h, 2h, 4h, 6h, 8h, 12h, 1d, 3d, 1w, 1M). With interval NULL or "", the interval is inferred
 *  as the smallest step between two open times (it must be one of those; needs two rows).
 *  close_time is open_time + interval - 1 ms (calendar months for 1M).
 *
 *  Returns 0 with *out (caller frees with free(); NULL when there is no row) and *count.
 *  On error returns RT_EINVAL (bad symbol/interval argument, malformed row, header, order),
 *  RT_ERANGE (a number out of range) or RT_ENOMEM, leaves *out and *count untouched, and (when
 *  not NULL) sets *err_line to the 1-based line at fault (0 when no line is) and writes the
 *  reason into why[why_cap] (e.g. "line 12: high 10.5 is below low 11"). */
int rt_csv_candles_parse(const char *text, size_t len, const char *symbol, const char *interval,
                         rt_candle_t **out, size_t *count, size_t *err_line, char *why,
                         size_t why_cap);

/** Reads the file at `path` and parses it as rt_csv_candles_parse does. Adds RT_EIO (cannot
 *  open or read; why names the path and the system's reason) and RT_ETOOBIG (larger than
 *  RT_CSV_MAX_BYTES). */
int rt_csv_candles_load(const char *path, const char *symbol, const char *interval,
                        rt_candle_t **out, size_t *count, size_t *err_line, char *why,
                        size_t why_cap);

#endif
