/* HTTP server helper over libmicrohttpd: routing, auth, JSON responses, /health, /metrics,
 * Server-Sent Events. Conventions in ARCHITECTURE.md section 7; how-to in docs/HTTP.md.
 *
 *     rt_http_config_t cfg = {.service = "trader", .host = "0.0.0.0", .port = 8001,
 *                             .api_token = token, .metrics = reg,
 *                             .health = tr_health, .health_ud = ctx};
 *     rt_http_server_t *srv;
 *     rt_http_server_new(&cfg, &srv);
 *     rt_http_server_route(srv, "GET", "/orders/{id}", 0, tr_order_get, ctx);
 *     rt_http_server_route(srv, "POST", "/trade", RT_HTTP_AUTH, tr_trade, ctx);
 *     rt_http_server_start(srv);
 *     ... main loop ...
 *     rt_http_server_free(srv);   (stops first)
 *
 * THREADS. The server runs libmicrohttpd's internal polling threads as a small pool
 * (cfg.threads, default 4). Handlers, the health callback and stream close callbacks run on
 * those threads, several at once: everything they touch must be thread-safe (their own lock,
 * atomics, or a per-thread connection). A handler that blocks holds up the other connections
 * of its thread, so keep handlers short (one database round trip is fine, a long poll is not:
 * use a stream for that).
 *
 * Built in for every server: GET /health, GET /metrics, JSON 404/405/401/413 errors, an
 * access log line at DEBUG per request (method, path, status, duration; never bodies, query
 * values or tokens) and a WARN line per 5xx. */
#ifndef RT_HTTP_H
#define RT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rt/metrics.h"

typedef struct rt_http_server rt_http_server_t;
typedef struct rt_http_request rt_http_request_t;   /* valid during the handler call only */
typedef struct rt_http_response rt_http_response_t; /* valid during the handler call only */
typedef struct rt_http_stream rt_http_stream_t;     /* reference counted, see below */

/** Route flag: the route changes state and needs "Authorization: Bearer <api_token>".
 *  Without it (or with a wrong token) the answer is 401 with WWW-Authenticate: Bearer. */
#define RT_HTTP_AUTH 0x1u

/** Default body limit (bytes) when cfg.max_body is 0. */
#define RT_HTTP_DEFAULT_MAX_BODY (64u * 1024u)
/** Default per-client Server-Sent Events buffer (bytes) when cfg.sse_buffer is 0. */
#define RT_HTTP_DEFAULT_SSE_BUFFER (64u * 1024u)

/** A route handler. It reads the request and fills the response with one of the
 *  rt_http_respond_* calls, then returns 0. It may instead return a negative rt_err code
 *  without responding: the server then answers with the matching status and
 *  {"error","detail"} (RT_EINVAL 400, RT_EAUTH 401, RT_ENOTFOUND 404, RT_EEXIST and RT_ESTATE
 *  409, RT_ETOOBIG 413, RT_ERATELIMIT 429, RT_EEXCHANGE and RT_EUNKNOWN 502, RT_ECONN,
 *  RT_EDB and RT_EAGAIN 503, RT_ETIMEDOUT 504, anything else 500). If it responded and still
 *  returns an error, its response is sent (so `return rt_http_body_json(...)` works). */
typedef int (*rt_http_handler_fn)(void *ud, const rt_http_request_t *req, rt_http_response_t *res);

/** The service's health check behind GET /health: adds what it wants to show to details
 *  (borrowed; e.g. {"redis":"ok","db":"down"}) and returns 0 when healthy, a negative rt_err
 *  code when not (the answer is then 503 with "status":"unavailable"). Runs on a server
 *  thread: keep it quick (report state kept up to date elsewhere, do not connect here). */
typedef int (*rt_http_health_fn)(void *ud, json_t *details);

/** Called once when a stream ends, whatever the reason (client gone, client too slow,
 *  rt_http_stream_close, server stopping), on a server thread and without any lock of the
 *  server or the stream held: it may call rt_http_stream_release. */
typedef void (*rt_http_stream_close_fn)(void *ud, rt_http_stream_t *stream);

/** Server settings. Zero or NULL fields take the defaults shown. Strings are copied. */
typedef struct {
    const char *service;      /* name shown in /health and logs; "-" */
    const char *host;         /* numeric address or name to bind; "127.0.0.1" */
    uint16_t port;            /* 0 = an ephemeral port (see rt_http_server_port) */
    const char *api_token;    /* bearer token for RT_HTTP_AUTH routes (visible ASCII). Start
                                 fails if such a route exists and no token is set. */
    size_t max_body;          /* request body limit; RT_HTTP_DEFAULT_MAX_BODY */
    unsigned threads;         /* server threads; 4 (at most 64) */
    unsigned max_connections; /* open connections at once; 256 */
    unsigned timeout_s;       /* idle connection timeout in seconds; 30 */
    size_t sse_buffer;        /* bytes buffered per stream client; RT_HTTP_DEFAULT_SSE_BUFFER */
    int64_t sse_keepalive_ms; /* comment sent on an idle stream after this long; 15000 */
    int64_t stop_grace_ms;    /* how long stop waits for requests in flight; 5000 */
    rt_metrics_t *metrics;    /* borrowed, must outlive the server: rendered at GET /metrics,
                                 and the server adds http_requests_total{code},
                                 http_request_duration_seconds and http_sse_clients to it */
    rt_http_health_fn health; /* NULL: always healthy */
    void *health_ud;
} rt_http_config_t;

/* ---- server ---- */

/** Creates a server (not yet listening) with GET /health and GET /metrics routed. Returns
 *  RT_EINVAL (bad host, token or limits), RT_ENOMEM. *out (new; rt_http_server_free) is
 *  written only on success. */
int rt_http_server_new(const rt_http_config_t *cfg, rt_http_server_t **out);

/** Adds a route before start. method: upper-case token ("GET", "POST", "PUT", "DELETE"...);
 *  pattern: "/" or "/seg/seg..." where a whole segment "{name}" is a parameter matching any
 *  non-empty segment (read it with rt_http_param). When several routes match a path, the one
 *  with a literal segment where the other has a parameter wins at the first difference
 *  ("/positions/open" over "/positions/{id}"). flags: 0 or RT_HTTP_AUTH. ud is passed to fn.
 *  Returns RT_EINVAL (bad method or pattern, NULL fn), RT_EEXIST (same method and same shape
 *  already routed), RT_ESTATE (server started), RT_ENOMEM. */
int rt_http_server_route(rt_http_server_t *srv, const char *method, const char *pattern,
                         unsigned flags, rt_http_handler_fn fn, void *ud);

/** Starts listening (threads running on return). Returns RT_EINVAL (an RT_HTTP_AUTH route and
 *  no token), RT_ESTATE (already started), RT_EIO (cannot listen: the log says why). */
int rt_http_server_start(rt_http_server_t *srv);

/** The port the server listens on (the real one when cfg.port was 0); 0 if not started. */
uint16_t rt_http_server_port(const rt_http_server_t *srv);

/** Stops: no new connections, new requests on open ones get 503, streams are closed (what
 *  they hold is still sent), then waits up to cfg.stop_grace_ms for requests in flight to
 *  finish, then closes every connection and joins the threads. Every stream's close
 *  callback has run when it returns. A no-op if not started. Call from a thread of your own,
 *  never from a handler. */
void rt_http_server_stop(rt_http_server_t *srv);

/** Stops (if needed) and frees the server. NULL is a no-op. Streams still referenced by their
 *  owners stay valid (closed) until released. */
void rt_http_server_free(rt_http_server_t *srv);

/* ---- request (inside a handler) ---- */

/** The method ("GET"). */
const char *rt_http_method(const rt_http_request_t *req);

/** The path as received, percent-decoded by libmicrohttpd, without the query ("/orders/42"). */
const char *rt_http_path(const rt_http_request_t *req);

/** The path parameter of the matched route by name ("id" for "/orders/{id}"): non-empty
 *  text borrowed from the request, or NULL if the route has no such parameter. */
const char *rt_http_param(const rt_http_request_t *req, const char *name);

/** A query parameter by name (case-sensitive), decoded as a form: "%2B" is '+', a bare '+'
 *  is a space (so a timestamp offset must be sent as %2B). Returns true if present
 *  and sets *value (may be NULL when only presence matters) to its text, "" for "?name" or
 *  "?name=". The first occurrence wins. Borrowed from the request. */
bool rt_http_query(const rt_http_request_t *req, const char *name, const char **value);

/** An integer query parameter in [min, max]; absent gives dflt. Returns RT_EINVAL when it is
 *  present but not a base-10 integer in range, after setting a 400 response naming the
 *  parameter and the range on res (so a handler can `return rc;`). *out is written only on
 *  success. */
int rt_http_query_int(const rt_http_request_t *req, rt_http_response_t *res, const char *name,
                      int64_t min, int64_t max, int64_t dflt, int64_t *out);

/** A request header by name (case-insensitive), borrowed, or NULL. */
const char *rt_http_header(const rt_http_request_t *req, const char *name);

/** The body: bytes borrowed from the request, NUL-terminated for convenience (it may hold
 *  NULs of its own: use len), "" with len 0 when there is none. len may be NULL. */
const char *rt_http_body(const rt_http_request_t *req, size_t *len);

/** Decodes the body as a JSON object (duplicate keys rejected). Returns RT_EINVAL after
 *  setting a 400 response that says what is wrong (empty body, bad JSON with line and
 *  column, not an object). *out (new reference, caller json_decref) only on success. */
int rt_http_body_json(const rt_http_request_t *req, rt_http_response_t *res, json_t **out);

/* ---- response (inside a handler) ----
 * A later respond call replaces an earlier one; headers accumulate. status: 100..599. */

/** Responds with a JSON text (copied as is: the caller makes sure it is JSON) and
 *  Content-Type application/json. Returns RT_EINVAL, RT_ENOMEM. */
int rt_http_respond_json(rt_http_response_t *res, unsigned status, const char *body);

/** Responds with value dumped as compact JSON. Steals the reference (also on error, and value
 *  NULL is accepted so `rt_http_respond_jsonv(res, 200, json_pack(...))` needs no check).
 *  Returns RT_EINVAL (bad status), RT_ENOMEM (value NULL or dump failed). */
int rt_http_respond_jsonv(rt_http_response_t *res, unsigned status, json_t *value);

/** Responds with {"error": error, "detail": detail} (detail NULL gives ""), e.g.
 *  (400, "bad_request", "quantity must be positive"). Returns RT_EINVAL, RT_ENOMEM. */
int rt_http_respond_error(rt_http_response_t *res, unsigned status, const char *error,
                          const char *detail);

/** Same with a printf-style detail (truncated at 512 bytes). */
int rt_http_respond_errorf(rt_http_response_t *res, unsigned status, const char *error,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** Responds with len bytes of text (copied) and the given Content-Type (NULL gives
 *  "text/plain; charset=utf-8"). Returns RT_EINVAL, RT_ENOMEM. */
int rt_http_respond_text(rt_http_response_t *res, unsigned status, const char *content_type,
                         const char *body, size_t len);

/** Adds a response header (copied), e.g. ("Retry-After", "5") or ("X-MBX-USED-WEIGHT-1M",
 *  "12"). Name: an HTTP token; value: no control characters. At most 16 per response.
 *  Returns RT_EINVAL, RT_ERANGE (too many), RT_ENOMEM. */
int rt_http_respond_header(rt_http_response_t *res, const char *name, const char *value);

/* ---- Server-Sent Events ----
 * A handler calls rt_http_respond_sse and returns 0: the client gets 200 with
 * text/event-stream, then whatever is sent on the stream, from any thread, until the stream
 * ends. Each client has a bounded buffer (cfg.sse_buffer): a client that falls so far behind
 * that an event does not fit is dropped (its connection is closed), never buffered without
 * bound. An idle stream gets a comment line every cfg.sse_keepalive_ms, which also finds
 * clients that went away. The stream is reference counted: the handler gets one reference
 * (release it when done, typically from on_close), the server holds its own while the
 * connection lives. */

/** Turns the response into an event stream. on_close (may be NULL) is called exactly once,
 *  when the stream ends, even if the handler then fails. *out is a new reference (caller
 *  rt_http_stream_release). Events may be sent at once; they go out after the handler
 *  returns. Returns RT_ESTATE (server stopping: a 503 response is set, so the handler can
 *  `return rc;`), RT_EEXIST (already a stream), RT_ENOMEM. */
int rt_http_respond_sse(rt_http_response_t *res, rt_http_stream_close_fn on_close, void *ud,
                        rt_http_stream_t **out);

/** Queues one event: "event: <event>" if event is not NULL, then data split into
 *  "data:" lines at CR, LF or CRLF, then a blank line. Thread-safe, never blocks on the
 *  network. Returns RT_EINVAL (event name with CR/LF or longer than 64 bytes), RT_ETOOBIG
 *  (the event alone exceeds the client buffer; the stream stays open), RT_ECONN (the stream
 *  has ended, or this event did not fit and the client was dropped). */
int rt_http_stream_send(rt_http_stream_t *s, const char *event, const char *data);

/** True until the stream has ended or been dropped. */
bool rt_http_stream_is_open(rt_http_stream_t *s);

/** Ends the stream from the server side once what is queued has been sent. Idempotent. */
void rt_http_stream_close(rt_http_stream_t *s);

/** Drops the caller's reference. NULL is a no-op. */
void rt_http_stream_release(rt_http_stream_t *s);

#endif
