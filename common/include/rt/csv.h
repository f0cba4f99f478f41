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

#include <stdbool.h>
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

/** Reads the CSV text of an open descriptor (a pipe, a socket, a file) to its end and parses it
 *  as rt_csv_candles_parse does; name stands for the input in messages. The caller keeps and
 *  closes fd. Returns as rt_csv_candles_load. */
int rt_csv_candles_read_fd(int fd, const char *name, const char *symbol, const char *interval,
                           rt_candle_t **out, size_t *count, size_t *err_line, char *why,
                           size_t why_cap);

/** A candle CSV read in pieces (rt_csv_candles_load feeds it a file chunk by chunk): the
 *  same rows, candles and errors as rt_csv_candles_parse on the whole text. */
typedef struct rt_csv_reader rt_csv_reader_t;

/** Starts a reader of `symbol`'s candles of `interval` (both as rt_csv_candles_parse).
 *  size_hint is the input's expected size in bytes (0 when unknown): the candle array is
 *  sized from it once. err_line, why and why_cap receive any later error as in
 *  rt_csv_candles_parse and must stay valid while the reader is used. Returns 0 with *out
 *  (the caller frees it with rt_csv_reader_free); RT_EINVAL (bad symbol, interval or
 *  argument; why says which) or RT_ENOMEM, *out untouched. */
int rt_csv_reader_new(const char *symbol, const char *interval, size_t size_hint, size_t *err_line,
                      char *why, size_t why_cap, rt_csv_reader_t **out);

/** Reads every complete line ('\n'-terminated) at the start of text[len] and sets *used to
 *  the bytes taken; the rest is an unfinished line the caller passes again, followed by more
 *  text, or to rt_csv_reader_finish. Returns 0, or the error rt_csv_candles_parse would give
 *  for these lines (why and err_line set); after an error every call returns it again.
 *  RT_EINVAL on NULL arguments. */
int rt_csv_reader_feed(rt_csv_reader_t *r, const char *text, size_t len, size_t *used);

/** Ends the input: tail[tail_len] is its last line without a line end (may be empty). Returns
 *  0 with *out (the caller frees it with free(); NULL when there is no row) and *count, the
 *  reader then empty; or the error rt_csv_candles_parse would give for the whole text, *out
 *  and *count untouched. */
int rt_csv_reader_finish(rt_csv_reader_t *r, const char *tail, size_t tail_len, rt_candle_t **out,
                         size_t *count);

/** Frees r and any candles it still holds (NULL is fine). */
void rt_csv_reader_free(rt_csv_reader_t *r);

#endif
