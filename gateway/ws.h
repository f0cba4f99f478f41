/* The gateway's WebSocket client over libwebsockets 4.1 (TLS through OpenSSL for wss://).
 *
 * One lws context holds nconn client connections to one endpoint. Everything runs on the
 * caller's thread: gw_ws_service() runs one round of lws's event loop (at most timeout_ms) and
 * the handlers are called from inside it. The lws callback only reassembles fragmented
 * messages and hands each complete text message to on_message; it never blocks.
 *
 * Pings: lws answers every ping frame with a pong carrying the same payload by itself (RFC
 * 6455 5.5.3, as Binance requires); nothing to do here. A connection that stops delivering
 * anything is the caller's to close (see service.c's stale timer). */
#ifndef GW_WS_H
#define GW_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw/streams.h"

typedef struct gw_ws gw_ws_t;

/** What the client tells its owner. Called on the thread running gw_ws_service (or
 *  gw_ws_connect, for a connection that fails at once). Pointers are valid during the call. */
typedef struct {
    /** A complete text message of len bytes (no NUL guaranteed), arrived at arrival_ns
     *  (rt_time_mono_ns when its last fragment came in). */
    void (*on_message)(void *ud, size_t conn, const char *data, size_t len, int64_t arrival_ns);
    /** A message over max_message bytes was dropped (len: how much arrived before giving up). */
    void (*on_oversized)(void *ud, size_t conn, size_t len);
    /** The WebSocket handshake completed. */
    void (*on_open)(void *ud, size_t conn);
    /** The connection is gone, or never came up: reason says why (lws's text, or the close
     *  code and reason the server sent). Called once per gw_ws_connect. */
    void (*on_close)(void *ud, size_t conn, const char *reason);
    void *ud;
} gw_ws_handlers_t;

/** Creates the client: an lws context for nconn (1..64) connections to ep, none connected.
 *  max_message: the largest message accepted (larger ones go to on_oversized).
 *  Returns 0, RT_EINVAL, RT_ENOMEM, RT_EIO (lws could not create its context; logged).
 *  *out (free with gw_ws_free) only on success. ep and h are copied. */
int gw_ws_new(const gw_endpoint_t *ep, size_t nconn, size_t max_message, const gw_ws_handlers_t *h,
              gw_ws_t **out);

/** Closes every connection at once and frees the client. NULL is a no-op. */
void gw_ws_free(gw_ws_t *ws);

/** Starts connecting connection conn to path (e.g. "/stream?streams=..."; at most 1900 bytes:
 *  libwebsockets 4.1 cuts longer ones). The outcome comes later through on_open or on_close
 *  (on_close may be called before this returns). Returns 0, RT_EINVAL (bad conn or path),
 *  RT_ESTATE (conn is not closed), RT_ENOMEM. */
int gw_ws_connect(gw_ws_t *ws, size_t conn, const char *path);

/** Queues a text message (copied) on an open connection; it is written when the socket is
 *  writable. Returns 0, RT_ESTATE (not open), RT_ENOMEM, RT_ETOOBIG (over 64 KiB). */
int gw_ws_send(gw_ws_t *ws, size_t conn, const char *text);

/** Asks for a connection to close (a normal close frame with reason why, then the socket);
 *  on_close follows from gw_ws_service. A no-op when it is not open or connecting. */
void gw_ws_close(gw_ws_t *ws, size_t conn, const char *why);

/** True while conn's handshake has completed and it has not closed. */
bool gw_ws_is_open(const gw_ws_t *ws, size_t conn);

/** True while conn is connecting or open (on_close not yet called). */
bool gw_ws_is_active(const gw_ws_t *ws, size_t conn);

/** Runs lws's event loop once: waits at most timeout_ms (1..1000) for activity, handles it
 *  (calling the handlers), returns. Returns 0, or RT_EIO when lws failed. */
int gw_ws_service(gw_ws_t *ws, int timeout_ms);

#endif
