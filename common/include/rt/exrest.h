/* REST client for Binance spot and servers that speak its protocol (Binance testnet, our
 * simulator), over one reused libcurl easy handle (keep-alive).
 *
 * Signed requests (SIGNED endpoints: orders, account) get recvWindow and timestamp (local
 * time + the server offset measured by rt_exrest_sync_time) appended to the caller's
 * parameters, then signature = hex HMAC-SHA256(secret, exact encoded query string followed by
 * the exact encoded body, no '&' between them), and the X-MBX-APIKEY header. GET and DELETE
 * send every parameter in the query string; POST sends them in an
 * application/x-www-form-urlencoded body (as ccxt does). The client signs exactly the bytes
 * it sends.
 *
 * Error mapping (the return value of every call; details on the response):
 *   2xx                        -> 0
 *   4xx (other than 418/429)   -> RT_EEXCHANGE; exchange_code/exchange_msg from {code,msg}
 *                                 (0 and "" when the body has none, e.g. a WAF's 403).
 *                                 A -1021 (timestamp outside recvWindow) on a signed request
 *                                 makes the client re-sync its clock once (time_resynced);
 *                                 the request was rejected, so the caller may send it again.
 *   429, 418                   -> RT_ERATELIMIT; the client then refuses every request until
 *                                 Retry-After has passed (60 s when absent), returning
 *                                 RT_ERATELIMIT at once without sending (throttled = true,
 *                                 retry_after_ms = the remaining wait).
 *   5xx                        -> RT_EUNKNOWN: the exchange may or may not have executed it.
 *                                 Look the order up (by client order id); never resend blindly.
 *   connect failure, reset...  -> RT_ECONN; timeout -> RT_ETIMEDOUT (curl's text is logged).
 *                                 outcome_unknown says whether a POST/DELETE may have reached
 *                                 the exchange anyway (then it is as uncertain as a 5xx).
 *   other statuses (1xx, 3xx)  -> RT_EPROTO; a reply larger than max_body -> RT_ETOOBIG.
 *
 * Threads: a client is not thread-safe; use one per thread (they share nothing). Call
 * rt_exrest_global_init once from main before starting threads.
 *
 * Secrets: the secret key is copied into the client, used only to sign, wiped with
 * OPENSSL_cleanse on free, and never logged nor put into an error text. Log lines name the
 * method and path only, never the query (it carries the signature). */
#ifndef RT_EXREST_H
#define RT_EXREST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/exparse.h"
#include "rt/hmac.h"
#include "rt/money.h"

#define RT_EXREST_RECV_WINDOW_DEFAULT 5000
#define RT_EXREST_RECV_WINDOW_MAX 60000
#define RT_EXREST_CONNECT_TIMEOUT_DEFAULT 5000
#define RT_EXREST_TIMEOUT_DEFAULT 10000
/** Wait imposed by a 429/418 that carries no Retry-After. */
#define RT_EXREST_BACKOFF_DEFAULT_MS 60000
/** Longest encoded parameter string a request may carry. */
#define RT_EXREST_PARAMS_MAX 65536

typedef struct rt_exrest rt_exrest_t;

typedef enum { RT_HTTP_GET, RT_HTTP_POST, RT_HTTP_DELETE } rt_http_method_t;

/** How to reach the exchange. Strings are copied by rt_exrest_new; zero means the default. */
typedef struct {
    /** "http://127.0.0.1:9090" (sim), "https://testnet.binance.vision",
     *  "https://api.binance.com": scheme, host and port; paths start with /api/v3/. */
    const char *base_url;
    const char *api_key;        /* NULL or "" for a client of public endpoints only */
    const char *secret_key;     /* given together with api_key */
    int64_t recv_window_ms;     /* 1..60000; 0 = 5000 */
    int64_t connect_timeout_ms; /* 0 = 5000 */
    int64_t timeout_ms;         /* whole request, connect included; 0 = 10000 */
    const char *user_agent;     /* NULL = "roottrading-c/<version>" */
    size_t max_body;            /* largest reply accepted; 0 = RT_EXPARSE_MAX_INPUT */
} rt_exrest_config_t;

/** Query or body parameters in the caller's order, kept percent-encoded ("k=v&k2=v2"; RFC
 *  3986 unreserved characters as they are, every other byte of the UTF-8 text as %XX in upper
 *  case). Caller-owned: rt_exrest_params_init ... rt_exrest_params_cleanup. The first failed
 *  add is remembered in err and fails the request that uses the params, so a caller may chain
 *  adds and check once. */
typedef struct {
    char *buf; /* NUL-terminated encoded text, NULL while empty (owned) */
    size_t len;
    size_t cap;
    size_t count;
    int err;
} rt_exrest_params_t;

/** What came back from one request. Caller-owned: rt_exrest_response_init once,
 *  rt_exrest_response_cleanup once at the end; every request resets it first (freeing the
 *  previous body), then fills it whatever the outcome, so on an error the fields below say
 *  why (this is the one out-parameter written on failure too). */
typedef struct {
    long status; /* HTTP status; 0 when no reply came back */
    char *body;  /* the reply body, NUL-terminated, owned; NULL when no reply */
    size_t body_len;
    int64_t used_weight_1m; /* X-MBX-USED-WEIGHT-1M of this reply; -1 when absent */
    int exchange_code;      /* {code} of an error body (-1121, -2010...); 0 when none */
    char exchange_msg[RT_EXPARSE_MSG_CAP]; /* {msg} of an error body; "" when none */
    int64_t retry_after_ms; /* with RT_ERATELIMIT: how long before the next request */
    bool throttled;         /* refused locally because of an earlier 429/418: nothing sent */
    bool outcome_unknown;   /* a POST/DELETE that may have been executed: look it up */
    bool time_resynced;     /* a -1021 made the client re-sync its clock (successfully) */
} rt_exrest_response_t;

/** Counters for /metrics (monotonic since rt_exrest_new) and the last used weight. */
typedef struct {
    uint64_t requests;         /* requests sent (throttled ones not counted) */
    uint64_t exchange_errors;  /* RT_EEXCHANGE */
    uint64_t rate_limited;     /* 429/418 received */
    uint64_t throttled;        /* requests refused locally while rate limited */
    uint64_t unknown_outcomes; /* 5xx */
    uint64_t transport_errors; /* RT_ECONN, RT_ETIMEDOUT, RT_ETOOBIG */
    uint64_t time_syncs;       /* successful rt_exrest_sync_time, -1021 re-syncs included */
    int64_t used_weight_1m;    /* last X-MBX-USED-WEIGHT-1M seen; -1 before any */
} rt_exrest_stats_t;

/** Initializes libcurl (curl_global_init). Call once from main before threads start.
 *  Returns 0 or RT_EIO. */
int rt_exrest_global_init(void);

/** Creates a client. Validates the configuration: base_url http:// or https:// without query,
 *  api_key printable ASCII (it becomes a header), key and secret both or neither, timeouts
 *  >= 0, recv window 0..60000. Returns 0, RT_EINVAL (the reason is logged, never the secret),
 *  RT_ENOMEM, RT_EIO (curl). *out (new, free with rt_exrest_free) is written only on success. */
int rt_exrest_new(const rt_exrest_config_t *cfg, rt_exrest_t **out);

/** Closes the connection, wipes the secret and frees the client. NULL is a no-op. */
void rt_exrest_free(rt_exrest_t *c);

/** Sends method path?params; signs when sign is true (needs the key and secret: RT_EAUTH
 *  without sending otherwise; params must not already hold recvWindow, timestamp or
 *  signature: RT_EINVAL). path starts with '/' and is printable ASCII without '?' or '#'.
 *  params may be NULL. Returns 0 or the error mapped as the header says, also RT_EINVAL for
 *  bad arguments (or params->err), RT_ENOMEM. resp (borrowed, must be initialized) is reset
 *  and filled; it owns the body. */
int rt_exrest_request(rt_exrest_t *c, rt_http_method_t method, const char *path,
                      const rt_exrest_params_t *params, bool sign, rt_exrest_response_t *resp);

/** rt_exrest_request with GET (parameters in the query string). */
int rt_exrest_get(rt_exrest_t *c, const char *path, const rt_exrest_params_t *params, bool sign,
                  rt_exrest_response_t *resp);

/** rt_exrest_request with POST (parameters in a form-encoded body). */
int rt_exrest_post(rt_exrest_t *c, const char *path, const rt_exrest_params_t *params, bool sign,
                   rt_exrest_response_t *resp);

/** rt_exrest_request with DELETE (parameters in the query string). */
int rt_exrest_delete(rt_exrest_t *c, const char *path, const rt_exrest_params_t *params, bool sign,
                     rt_exrest_response_t *resp);

/** GET /api/v3/time and keep offset = serverTime - the local midpoint of the call; signed
 *  requests then stamp local time + offset. Returns 0, an error of rt_exrest_request, or
 *  RT_EPROTO when the reply is not {"serverTime": ms}. The offset changes only on success. */
int rt_exrest_sync_time(rt_exrest_t *c);

/** Current server-time offset in ms (0 until the first sync). */
int64_t rt_exrest_time_offset(const rt_exrest_t *c);

/** Last X-MBX-USED-WEIGHT-1M the exchange reported; -1 before any. */
int64_t rt_exrest_used_weight(const rt_exrest_t *c);

/** Milliseconds the client will keep refusing requests after a 429/418; 0 when free. */
int64_t rt_exrest_blocked_ms(const rt_exrest_t *c);

/** Copies the counters into *out. */
void rt_exrest_stats(const rt_exrest_t *c, rt_exrest_stats_t *out);

/** Hex HMAC-SHA256 of query[0..qlen) immediately followed by body[0..blen) under the secret:
 *  Binance's REST signature (either part may be empty). Returns 0, RT_EINVAL, RT_ENOMEM or
 *  RT_EIO; out (RT_HMAC_HEX_CAP bytes) is written only on success. */
int rt_exrest_signature(const char *secret, size_t secret_len, const char *query, size_t qlen,
                        const char *body, size_t blen, char out[RT_HMAC_HEX_CAP]);

/** Starts an empty parameter list. */
void rt_exrest_params_init(rt_exrest_params_t *p);

/** Frees the list and leaves it empty (and reusable). */
void rt_exrest_params_cleanup(rt_exrest_params_t *p);

/** Appends key=value, both percent-encoded (value is UTF-8 text, e.g. a JSON array for
 *  exchangeInfo's symbols). Returns 0, RT_EINVAL for a NULL or empty key or a NULL value,
 *  RT_ETOOBIG past RT_EXREST_PARAMS_MAX bytes, RT_ENOMEM; or the earlier error of the list
 *  (after a failure nothing more is appended). */
int rt_exrest_params_add(rt_exrest_params_t *p, const char *key, const char *value);

/** Appends key=<decimal integer>. Errors as rt_exrest_params_add. */
int rt_exrest_params_add_i64(rt_exrest_params_t *p, const char *key, int64_t value);

/** Appends key=<shortest exact decimal of a fixed-point amount> ("0.001", "55445.8").
 *  Errors as rt_exrest_params_add. */
int rt_exrest_params_add_money(rt_exrest_params_t *p, const char *key, rt_money_t value);

/** The encoded text, borrowed ("" when empty). */
const char *rt_exrest_params_str(const rt_exrest_params_t *p);

/** Starts an empty response. */
void rt_exrest_response_init(rt_exrest_response_t *r);

/** Frees the body and resets the response to empty. NULL is a no-op. */
void rt_exrest_response_cleanup(rt_exrest_response_t *r);

#endif
