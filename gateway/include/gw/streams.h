/* Where the gateway connects and what it subscribes to (pure: no I/O).
 *
 * One combined-stream connection carries kline_<INTERVAL> and miniTicker of every symbol, up
 * to the exchange's 1024 streams per connection; past that, one more connection per 1024
 * streams. The stream names go into the URL (/stream?streams=a/b/c) while the path stays
 * within a budget (servers cap the request line); the rest are sent after connect as
 * SUBSCRIBE requests, at most GW_SUBSCRIBE_MAX names each (the exchange allows 5 incoming
 * messages a second: the shell paces them). */
#ifndef GW_STREAMS_H
#define GW_STREAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "gw/candles.h"

/** Streams per connection (Binance's limit). */
#define GW_STREAMS_PER_CONN 1024
/** Streams per symbol: kline and miniTicker. */
#define GW_STREAMS_PER_SYMBOL 2
/** Default budget of the URL path (bytes). libwebsockets 4.1's client cuts a path at about
 *  2 KiB (it writes a NUL into the request line: seen on the wire), so stay well under. */
#define GW_PATH_BUDGET 1500
/** Stream names in one SUBSCRIBE request. */
#define GW_SUBSCRIBE_MAX 200
/** Room for a host name and a path prefix. */
#define GW_HOST_CAP 256
#define GW_PREFIX_CAP 256

/** A WebSocket endpoint: ws://host[:port][/prefix] or wss://... */
typedef struct {
    bool tls;
    char host[GW_HOST_CAP];     /* without the brackets of an IPv6 literal */
    int port;                   /* 80 / 443 when the URL has none */
    char prefix[GW_PREFIX_CAP]; /* path before /stream, "" usually; no trailing '/' */
} gw_endpoint_t;

/** Parses a ws:// or wss:// URL. A trailing "/ws" or "/stream" (as the exchange documents its
 *  base URLs) is dropped: the gateway always uses <prefix>/stream?streams=... A query or
 *  fragment, credentials, an empty host or a bad port are RT_EINVAL. *out only on success. */
int gw_endpoint_parse(const char *url, gw_endpoint_t *out);

/** The markets EXCHANGE names (the order of the config's choices). */
typedef enum { GW_EXCHANGE_SIM = 0, GW_EXCHANGE_BINANCE, GW_EXCHANGE_TESTNET } gw_exchange_t;

/** Room for a URL. */
#define GW_URL_CAP 512

/** The WebSocket and REST base URLs of a market: sim ws://127.0.0.1:<sim_port> and
 *  http://127.0.0.1:<sim_port>; binance wss://stream.binance.com:9443 and
 *  https://api.binance.com; testnet wss://stream.testnet.binance.vision and
 *  https://testnet.binance.vision. A non-empty override replaces its URL (copied as is).
 *  ws and rest need GW_URL_CAP bytes. Returns 0 or RT_EINVAL (unknown exchange, a bad
 *  sim_port, an override too long). */
int gw_exchange_urls(gw_exchange_t ex, int sim_port, const char *ws_override,
                     const char *rest_override, char *ws, char *rest);

/** What one connection carries. */
typedef struct {
    size_t first_sym; /* symbols [first_sym, first_sym + nsym) of the caller's list */
    size_t nsym;
    char *path;     /* "<prefix>/stream?streams=a/b/c" (owned) */
    size_t in_path; /* streams named in the path; the others are in sub */
    size_t nsub;    /* SUBSCRIBE requests to send once connected */
    char **sub;     /* their JSON texts (owned) */
} gw_conn_plan_t;

/** Plans the connections for n symbols (upper case, as in SYMBOLS) at interval iv: stream
 *  names "<lower>@kline_<iv>" and "<lower>@miniTicker", 512 symbols per connection, names in
 *  the path up to path_budget bytes (0 = GW_PATH_BUDGET; at least the first symbol's two
 *  always go in the path), the others in SUBSCRIBE requests with ids 1, 2, ...
 *  Returns 0, RT_EINVAL (n 0, a bad symbol, a prefix over budget), RT_ENOMEM. On success *out
 *  is a new array of *nconn plans (free with gw_plan_free). */
int gw_plan_build(const char *const *symbols, size_t n, const gw_interval_t *iv, const char *prefix,
                  size_t path_budget, gw_conn_plan_t **out, size_t *nconn);

/** Frees plans from gw_plan_build. NULL is a no-op. */
void gw_plan_free(gw_conn_plan_t *plans, size_t nconn);

#endif
