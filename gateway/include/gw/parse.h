/* Parsing of the exchange's market-stream frames (Binance Spot's combined stream, and the raw
 * payloads of /ws/<stream>): kline and miniTicker events, serverShutdown, replies to
 * SUBSCRIBE and error replies. Pure: no I/O, no clock.
 *
 * Validation is strict: prices and quantities must be decimal strings (parsed exactly with
 * rt_money_parse), times integers, the stream name must agree with the payload (symbol,
 * interval, event type), the symbol must be one we follow, and the candle must make sense
 * (rt_msg_candle_validate). Every way a frame can be wrong is one gw_bad_t kind, which the
 * gateway counts (label `kind` of gw_parse_errors_total) and logs once with a sample. */
#ifndef GW_PARSE_H
#define GW_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/candles.h"
#include "rt/types.h"

/** Largest frame accepted (Binance's kline frames are about 600 bytes). */
#define GW_FRAME_MAX ((size_t)64 * 1024)
/** Room for an exchange error message with its NUL (longer ones are cut). */
#define GW_MSG_TEXT_CAP 128
/** Room for the reason a frame was refused (field and why). */
#define GW_REASON_CAP 128

/* ---- the symbols we follow ---- */

/** A sorted lookup table of symbols (upper case, as in SYMBOLS), each with its index in the
 *  caller's order. Caller-owned: gw_symtab_init ... gw_symtab_cleanup. */
typedef struct {
    size_t count;
    struct gw_sym {
        char name[RT_SYMBOL_CAP];  /* "BTCUSDC" */
        char lower[RT_SYMBOL_CAP]; /* "btcusdc", as in stream names */
        size_t index;              /* position in the list given to gw_symtab_init */
    } * sorted;
    size_t *at; /* at[index] = position of that symbol in sorted */
} gw_symtab_t;

/** Builds the table from n symbols (1..20 upper-case letters or digits each, no repeats).
 *  Returns 0, RT_EINVAL (a bad or repeated symbol, n 0), RT_ENOMEM. *tab is written only on
 *  success. */
int gw_symtab_init(gw_symtab_t *tab, const char *const *symbols, size_t n);

/** Frees the table. NULL is a no-op. */
void gw_symtab_cleanup(gw_symtab_t *tab);

/** The symbol at index i (caller's order), borrowed; "" when out of range. */
const char *gw_symtab_name(const gw_symtab_t *tab, size_t i);

/** Index (caller's order) of the symbol s[0..n), matched exactly (upper case) or, with
 *  lower true, against the lower-case form used in stream names. -1 when unknown. */
long gw_symtab_find(const gw_symtab_t *tab, const char *s, size_t n, bool lower);

/* ---- frames ---- */

/** Why a frame was refused. The names (gw_bad_name) are the counter labels. */
typedef enum {
    GW_BAD_NONE = 0,
    GW_BAD_OVERSIZED, /* "oversized": over GW_FRAME_MAX, or empty */
    GW_BAD_JSON,      /* "bad_json": not JSON (invalid UTF-8 and trailing bytes included) */
    GW_BAD_SHAPE,     /* "bad_shape": not an object, or an envelope without stream/data */
    GW_BAD_MISSING,   /* "missing_field": a required field is absent */
    GW_BAD_TYPE,      /* "wrong_type": a field of the wrong JSON type */
    GW_BAD_VALUE,     /* "bad_value": a malformed amount or an impossible candle */
    GW_BAD_SYMBOL,    /* "unknown_symbol": a symbol we do not follow */
    GW_BAD_STREAM,    /* "unknown_stream": a stream or event we did not ask for */
    GW_BAD_MISMATCH,  /* "mismatch": stream name and payload disagree */
    GW_BAD_COUNT
} gw_bad_t;

/** Counter label of a kind ("bad_json"); "unknown" out of range. */
const char *gw_bad_name(gw_bad_t kind);

typedef enum {
    GW_EV_KLINE = 1, /* .candle (closed says whether final), .sym, .event_time */
    GW_EV_TICKER,    /* .ticker (price = miniTicker close), .sym, .event_time */
    GW_EV_SHUTDOWN,  /* serverShutdown: the server is about to close the connection */
    GW_EV_REPLY,     /* {"result":..., "id":...}: a reply to SUBSCRIBE & co; .reply_id */
    GW_EV_ERROR,     /* {"code":..., "msg":...}: the server refused a request of ours */
} gw_ev_kind_t;

/** One parsed frame. A plain value (no pointers): it can be queued as is. */
typedef struct {
    gw_ev_kind_t kind;
    size_t sym;         /* index of the symbol (KLINE, TICKER) in the caller's order */
    int64_t event_time; /* "E": when the exchange emitted it (ms); 0 when absent (REPLY) */
    rt_candle_t candle;
    rt_ticker_t ticker;
    int64_t reply_id;                /* REPLY: the id if it was an integer, else -1 */
    int error_code;                  /* ERROR: "code" */
    char error_msg[GW_MSG_TEXT_CAP]; /* ERROR: "msg", cut to fit */
} gw_event_t;

/** What the parser needs to know: the symbols we follow and the kline interval. */
typedef struct {
    const gw_symtab_t *symbols;    /* borrowed */
    const gw_interval_t *interval; /* borrowed */
} gw_parser_t;

/** Parses one text frame data[0..len) (need not be NUL-terminated). On success returns 0 and
 *  fills *ev. On a malformed frame returns RT_ETOOBIG (oversized) or RT_EINVAL, writes the
 *  kind to *bad and a short reason (field and why, never the frame itself) to reason
 *  (reason_cap bytes; may be NULL), and leaves *ev unspecified. RT_ENOMEM when jansson runs
 *  out of memory (bad = GW_BAD_JSON). */
int gw_parse_frame(const gw_parser_t *p, const char *data, size_t len, gw_event_t *ev,
                   gw_bad_t *bad, char *reason, size_t reason_cap);

#endif
