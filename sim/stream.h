/* The WebSocket side of the protocol, without sockets: stream names, a connection's
 * subscriptions, the control methods (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS,
 * SET_PROPERTY, GET_PROPERTY) with Binance's replies and error replies, and the limits
 * (5 incoming messages a second, 1024 streams a connection). The shell feeds it the request
 * path and each text message and sends what it writes. Pure: time is an argument.
 *
 * Stream names are Binance's: "<symbol>@kline_<interval>", "<symbol>@miniTicker",
 * "<symbol>@trade" are served; other well-formed Binance streams (aggTrade, depth, bookTicker,
 * ticker, avgPrice, the "!..." all-market ones, the "@+08:00" klines) and unknown symbols
 * are accepted and listed but send nothing, as Binance does for a symbol it does not list.
 * Symbols in stream names are lower case; anything malformed is "Invalid request: invalid
 * stream" (code 2). */
#ifndef SIM_STREAM_H
#define SIM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "klines.h"
#include "market.h"
#include "rt/types.h"

#define SIM_STREAM_NAME_CAP 64
#define SIM_WS_MAX_STREAMS 1024
#define SIM_WS_MAX_MSGS_PER_S 5
/** Largest control message accepted (a SUBSCRIBE of 1024 streams fits). */
#define SIM_WS_MAX_MSG (96 * 1024)

typedef enum {
    SIM_STREAM_KLINE,
    SIM_STREAM_MINI_TICKER,
    SIM_STREAM_TRADE,
    SIM_STREAM_OTHER, /* well-formed, never sent */
} sim_stream_kind_t;

/** One subscription. */
typedef struct {
    char name[SIM_STREAM_NAME_CAP]; /* as subscribed ("btcusdc@kline_1m") */
    char symbol[RT_SYMBOL_CAP];     /* upper case; "" for all-market streams */
    sim_stream_kind_t kind;
    sim_interval_t interval; /* KLINE */
    long sym;                /* index in the market, -1 when not served */
    uint64_t last_rev;       /* shell's: the forming kline's rev last sent */
    int64_t last_sent;       /* shell's: when it was sent (monotonic ms) */
} sim_stream_t;

/** Parses a stream name of n bytes. Returns 0 (sym is left -1; see sim_ws_session_add), or
 *  RT_EINVAL for a malformed name. */
int sim_stream_parse(const char *s, size_t n, sim_stream_t *out);

/** One connection's state. Caller-owned: init/cleanup. */
typedef struct {
    const sim_market_t *market; /* borrowed */
    sim_stream_t *items;
    size_t count, cap;
    bool combined; /* events wrapped as {"stream","data"} */
    int64_t window_start;
    int window_count;
} sim_ws_session_t;

/** Initialises an empty session over market (borrowed). combined: /stream (true) or /ws. */
void sim_ws_session_init(sim_ws_session_t *s, const sim_market_t *market, bool combined);

/** Frees the subscriptions. NULL is a no-op. */
void sim_ws_session_cleanup(sim_ws_session_t *s);

/** Adds a subscription (a name already there is kept once). Returns 0, RT_ETOOBIG beyond
 *  SIM_WS_MAX_STREAMS, RT_ENOMEM. */
int sim_ws_session_add(sim_ws_session_t *s, const sim_stream_t *st);

/** Removes a subscription by name; a name not there is fine. */
void sim_ws_session_remove(sim_ws_session_t *s, const char *name, size_t n);

/** Sets up a session from the upgrade request: path "/ws", "/ws/<stream>[/<stream>...]" (raw)
 *  or "/stream" (combined) with streams_arg the decoded value of ?streams= ("a/b/c", may be
 *  NULL or empty). Returns 0, RT_ENOTFOUND for another path, RT_EINVAL for a malformed
 *  stream, RT_ETOOBIG for more than SIM_WS_MAX_STREAMS, RT_ENOMEM. The session must have
 *  been initialised; on error it may hold some of the streams (clean it up). */
int sim_ws_session_open(sim_ws_session_t *s, const char *path, const char *streams_arg);

/** Counts one incoming message (text, binary, ping or pong) at now_ms; true when this makes
 *  more than SIM_WS_MAX_MSGS_PER_S within one second: the connection must be dropped. */
bool sim_ws_rate_exceeded(sim_ws_session_t *s, int64_t now_ms);

/** Handles one text message. Writes the reply (one JSON object) into reply, or, when *close is
 *  set, nothing: the connection must be dropped (a SUBSCRIBE past SIM_WS_MAX_STREAMS).
 *  Returns 0, or RT_ENOMEM / the buffer's error. */
int sim_ws_handle(sim_ws_session_t *s, const char *msg, size_t n, sim_buf_t *reply, bool *close);

#endif
