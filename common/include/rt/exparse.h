/* Strict parsers for the exchange's REST replies (Binance spot and our simulator): klines,
 * exchangeInfo, server time and the {code,msg} error body. Pure: no I/O, no clock (the
 * present comes in as an argument), so they are tested on recorded payloads.
 *
 * Strict means: prices and quantities must be JSON strings of decimal text (parsed with
 * rt_money_parse, never through double); times and counts must be JSON integers; a missing
 * field, a wrong type or an impossible value fails the whole reply with RT_EINVAL, and the
 * reason (field, row, symbol) is logged at WARN under the module "exparse". Fields we do not
 * use are ignored, so additions by the exchange do not break us. */
#ifndef RT_EXPARSE_H
#define RT_EXPARSE_H

#include <stddef.h>
#include <stdint.h>

#include "rt/exinfo.h"
#include "rt/types.h"

/** Largest reply any parser accepts (a full exchangeInfo is a few megabytes). */
#define RT_EXPARSE_MAX_INPUT ((size_t)64 * 1024 * 1024)
/** Most klines accepted in one reply (Binance's own limit is 1000). */
#define RT_EXPARSE_MAX_KLINES 10000
/** Room for an exchange error message with its NUL (longer messages are cut). */
#define RT_EXPARSE_MSG_CAP 256

/** Parses GET /api/v3/klines (an array of arrays of at least 12 elements: open time, open,
 *  high, low, close, volume, close time, ...) into a new array of *count candles for
 *  symbol/interval (copied into each candle; they must fit RT_SYMBOL_CAP / RT_INTERVAL_CAP).
 *  A candle is marked closed when its close time is before now_ms. Rows must be in strictly
 *  increasing open time, with close time > open time, low <= open, close <= high and no
 *  negative price or volume.
 *  Returns 0, RT_EINVAL for malformed input or arguments, RT_ETOOBIG beyond
 *  RT_EXPARSE_MAX_INPUT bytes or RT_EXPARSE_MAX_KLINES rows, RT_ERANGE for a value outside
 *  rt_money_t, RT_ENOMEM. On success *out is new (caller frees with free(); NULL when the
 *  array is empty) and *count is set; on error neither is written. */
int rt_exparse_klines(const char *json, size_t len, const char *symbol, const char *interval,
                      int64_t now_ms, rt_candle_t **out, size_t *count);

/** Parses GET /api/v3/exchangeInfo into *out: serverTime and, for every symbol whose name and
 *  assets are 1..20 upper-case ASCII letters or digits, its status, assets, precisions and
 *  the PRICE_FILTER, LOT_SIZE, MARKET_LOT_SIZE, NOTIONAL and MIN_NOTIONAL filters (other
 *  filter types are ignored; a symbol without one has present = false). Symbols with other
 *  names (the exchange lists some non-ASCII ones) are counted in out->skipped, not failed.
 *  Every documented field of a parsed filter is required.
 *  Returns 0, RT_EINVAL, RT_ETOOBIG, RT_ERANGE (a minimum or step outside rt_money_t),
 *  RT_ENOMEM. On success *out is filled (free with rt_exinfo_cleanup); on error it is not
 *  written. */
int rt_exparse_exchange_info(const char *json, size_t len, rt_exinfo_t *out);

/** Parses GET /api/v3/time ({"serverTime": ms}); the time must be a positive integer.
 *  Returns 0 or RT_EINVAL / RT_ETOOBIG; *out is written only on success. */
int rt_exparse_server_time(const char *json, size_t len, int64_t *out);

/** Parses an error body {"code": int, "msg": string}. The message is copied into msg (cap
 *  bytes, cut if longer, always NUL-terminated). Returns 0, or RT_EINVAL when the body is not
 *  such an object (code and msg are then not written). */
int rt_exparse_error(const char *json, size_t len, int *code, char *msg, size_t cap);

#endif
