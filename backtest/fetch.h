/* Candles for a backtest from the exchange's REST klines (the simulator by default), and the
 * exchange filters of its symbols from exchangeInfo (the exchange's reply, or a saved copy). */
#ifndef BT_FETCH_H
#define BT_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "rt/exinfo.h"
#include "rt/types.h"
#include "tr_filters.h"

/** Most candles one fetch returns. */
#define BT_FETCH_MAX ((size_t)20000000)

/** Fetches the closed candles of symbol/interval with open times in [since_ms, until_ms) from
 *  base_url (e.g. "http://127.0.0.1:9090"), 1000 per request. Closed means closed by the
 *  exchange's clock (GET /api/v3/time; ours when it does not answer): a fast simulator's
 *  clock runs ahead of ours. Returns 0 with *out (new,
 *  caller frees; NULL when none) and *count; RT_EINVAL for bad arguments, the REST client's
 *  error (RT_ECONN, RT_EEXCHANGE, ...) or RT_ETOOBIG past BT_FETCH_MAX, with the reason in
 *  err. */
int bt_fetch_klines(const char *base_url, const char *symbol, const char *interval,
                    int64_t since_ms, int64_t until_ms, rt_candle_t **out, size_t *count, char *err,
                    size_t cap);

/** Fetches GET /api/v3/exchangeInfo?symbols=[...] for the n symbols (1..16, each 1..20
 *  upper-case letters or digits) from base_url and parses it (rt_exparse_exchange_info).
 *  Returns 0 with *out filled (free with rt_exinfo_cleanup); RT_EINVAL for bad arguments,
 *  the REST client's error or the parser's, with the reason in err; *out untouched then. */
int bt_fetch_exchange_info(const char *base_url, const char *const *symbols, size_t n,
                           rt_exinfo_t *out, char *err, size_t cap);

/** bt_fetch_exchange_info's reply unparsed: *body (NUL-terminated, caller frees) and *len
 *  (rt-backtest-fetch prints it for rt-backtest). Returns as bt_fetch_exchange_info but for
 *  the parser's errors. */
int bt_fetch_exchange_info_json(const char *base_url, const char *const *symbols, size_t n,
                                char **body, size_t *len, char *err, size_t cap);

/** Parses an exchangeInfo reply from `from` (a URL, for the message). Returns 0 with *out
 *  filled (free with rt_exinfo_cleanup), or the parser's error with "exchangeInfo: unreadable
 *  reply from FROM: ..." in err. */
int bt_parse_exchange_info(const char *json, size_t len, const char *from, rt_exinfo_t *out,
                           char *err, size_t cap);

/** Reads a saved exchangeInfo reply (a JSON file, at most RT_EXPARSE_MAX_INPUT bytes) and
 *  parses it. Returns 0 with *out filled (free with rt_exinfo_cleanup); RT_EIO when the file
 *  cannot be read, RT_ETOOBIG, or the parser's error, with the reason in err. */
int bt_load_exchange_info(const char *path, rt_exinfo_t *out, char *err, size_t cap);

/** The trader's filters of symbol from a parsed exchangeInfo (tr_filters_from_symbol_info).
 *  Returns 0 with *out written; RT_ENOTFOUND when info does not list the symbol, RT_EINVAL
 *  otherwise, with the reason in err. */
int bt_filters_for(const rt_exinfo_t *info, const char *symbol, tr_filters_t *out, char *err,
                   size_t cap);

/** Parses a time for --since/--until: milliseconds since the epoch, or a UTC date
 *  "YYYY-MM-DD" optionally followed by "THH:MM" or " HH:MM" (and ":SS"). Returns 0 or
 *  RT_EINVAL. */
int bt_parse_time(const char *s, int64_t *out);

#endif
