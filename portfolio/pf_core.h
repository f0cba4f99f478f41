/* The pure core of rt-portfolio: the latest price and the forming candle of each symbol, the
 * per-symbol throttle of the live stream, and the checks of query parameters. No I/O, no
 * clock (time comes in as an argument), no locks: the caller serializes access to a pf_market_t. */
#ifndef PF_CORE_H
#define PF_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"
#include "rt/types.h"

/** Most symbols one portfolio follows; updates for further symbols are refused. */
#define PF_MARKET_MAX 128

typedef struct {
    char symbol[RT_SYMBOL_CAP];
    rt_money_t price;       /* latest trade price (ticker or candle close); 0 = none yet */
    int64_t price_time;     /* ms of that price */
    bool has_forming;       /* a forming (not yet closed) candle is held */
    rt_candle_t forming;
    int64_t candle_sent_ms; /* last time a forming candle went to the stream; 0 = never */
    int64_t ticker_sent_ms; /* last time a ticker went to the stream; 0 = never */
} pf_symbol_t;

/** What the portfolio knows of the market. Caller-owned; zero it with pf_market_init. */
typedef struct {
    size_t count;
    int64_t throttle_ms; /* least time between two stream updates of one symbol */
    pf_symbol_t sym[PF_MARKET_MAX];
} pf_market_t;

/** Empties m and sets the stream throttle (ms, >= 0; 0 relays every update). */
void pf_market_init(pf_market_t *m, int64_t throttle_ms);

/** Takes in one candle update at now_ms. The close becomes the symbol's price (unless a newer
 *  ticker price is held); a forming candle replaces the one held when it is the same or a later
 *  one (an older update is ignored, a closed one clears a forming candle of the same open time).
 *  *relay (may be NULL) says whether the update should go to the live stream: always for a
 *  closed candle, at most once per throttle_ms for forming ones.
 *  Returns 0, RT_EINVAL (NULL, invalid symbol), RT_ERANGE (PF_MARKET_MAX symbols held). */
int pf_market_candle(pf_market_t *m, const rt_candle_t *c, int64_t now_ms, bool *relay);

/** Takes in one ticker price at now_ms; *relay (may be NULL) as for candles, throttled.
 *  Returns 0, RT_EINVAL, RT_ERANGE as pf_market_candle. */
int pf_market_ticker(pf_market_t *m, const rt_ticker_t *t, int64_t now_ms, bool *relay);

/** Sets a symbol's price when none is held yet (prices read from the database at start).
 *  Returns 0, RT_EINVAL, RT_ERANGE. */
int pf_market_seed_price(pf_market_t *m, const char *symbol, rt_money_t price, int64_t time_ms);

/** The latest price of symbol into *out. Returns 0 or RT_ENOTFOUND (none yet), RT_EINVAL. */
int pf_market_price(const pf_market_t *m, const char *symbol, rt_money_t *out);

/** The forming candle of symbol for interval into *out. Returns 0, RT_ENOTFOUND, RT_EINVAL. */
int pf_market_forming(const pf_market_t *m, const char *symbol, const char *interval,
                      rt_candle_t *out);

/** Checks a symbol parameter: 2..20 letters or digits, lower case accepted and upper-cased
 *  into out (cap >= RT_SYMBOL_CAP). Returns 0 or RT_EINVAL (out untouched). */
int pf_param_symbol(const char *s, char *out, size_t cap);

/** Checks a strategy name parameter: 1..64 of [A-Za-z0-9_.-]. Returns 0 or RT_EINVAL. */
int pf_param_strategy(const char *s);

/** Checks an interval parameter against the exchange's kline intervals (1s 1m 3m 5m 15m 30m
 *  1h 2h 4h 6h 8h 12h 1d 3d 1w 1M). Returns 0 or RT_EINVAL. */
int pf_param_interval(const char *s);

/** Escapes a libpq connection-string value: writes 'value' with \ and ' backslash-escaped into
 *  out. Returns 0, RT_ETOOBIG (out too small; out then holds ""), RT_EINVAL. */
int pf_conninfo_quote(const char *value, char *out, size_t cap);

#endif
