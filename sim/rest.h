/* The simulator's HTTP endpoints as pure functions: a request (method, path, decoded
 * parameters, peer) goes in, a response (status, body, weight header, an admin action for the
 * shell to carry out) comes out. The lws shell only moves bytes.
 *
 *   GET  /api/v3/ping, /api/v3/time, /api/v3/exchangeInfo, /api/v3/klines,
 *        /api/v3/ticker/price                      Binance's shapes, weights and {code,msg}
 *   POST/GET/DELETE /api/v3/order, POST /api/v3/order/test, GET /api/v3/account,
 *        GET /api/v3/openOrders                    SIGNED: account.h answers them
 *   GET  /health, /metrics                          the service's own
 *   POST /admin/drop, /admin/mute-pings?seconds=N, /admin/refuse?seconds=N,
 *        /admin/shutdown-event; GET /admin/closed   fault switches, loopback clients only
 *   POST /admin/order-fault, GET /admin/order-requests  order faults and counters (faults.h)
 *
 * Every response carries X-MBX-USED-WEIGHT-1M (the caller's weight in the current minute;
 * over 6000 gives 429 with -1003 and Retry-After). The signed endpoints' state (balances,
 * orders) is behind ctx->account. */
#ifndef SIM_REST_H
#define SIM_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "market.h"

typedef enum {
    SIM_HTTP_GET,
    SIM_HTTP_POST,
    SIM_HTTP_PUT,
    SIM_HTTP_DELETE,
    SIM_HTTP_OTHER,
} sim_http_method_t;

#define SIM_PARAMS_MAX 32
#define SIM_PARAMS_ARENA 8192

/** Decoded request parameters (query string, and later form bodies). Values point into the
 *  struct's own arena: do not copy a filled sim_params_t. */
typedef struct {
    size_t count;
    const char *name[SIM_PARAMS_MAX];
    const char *value[SIM_PARAMS_MAX];
    size_t used;
    char arena[SIM_PARAMS_ARENA];
} sim_params_t;

/** Empties p. */
void sim_params_init(sim_params_t *p);

/** Adds one decoded "name=value" pair (a pair without '=' has an empty value). Returns 0,
 *  RT_ETOOBIG when the table or arena is full, RT_EINVAL on NULL. */
int sim_params_add_pair(sim_params_t *p, const char *pair, size_t n);

/** Adds every pair of a raw query string ("a=1&b=%5B%22X%22%5D"), percent-decoding names and
 *  values ('+' is a space). Returns 0, RT_EINVAL for a bad escape, RT_ETOOBIG. */
int sim_params_parse_query(sim_params_t *p, const char *qs, size_t n);

/** The first value of name (borrowed), NULL when absent. */
const char *sim_params_get(const sim_params_t *p, const char *name);

/** Appends the pairs [first, first + n) of p as a query string ("a=1&b=%5B%22X%22%5D"),
 *  percent-encoding names and values as clients do before signing: RFC 3986 unreserved
 *  characters as they are, every other byte as %XX in upper case. This is how the server
 *  gets back the signed text from the decoded pairs lws hands over. Returns 0, RT_EINVAL on
 *  NULL or a range past the table, RT_ENOMEM. */
int sim_params_encode(const sim_params_t *p, size_t first, size_t n, sim_buf_t *out);

/** Request weight per client address and minute (Binance's REQUEST_WEIGHT 6000/min). */
#define SIM_WEIGHT_LIMIT 6000
#define SIM_WEIGHT_SLOTS 64
typedef struct {
    struct {
        char ip[48];
        int64_t minute;
        int used;
    } slot[SIM_WEIGHT_SLOTS];
} sim_weights_t;

/** Counters the shell keeps, shown by /health and /metrics. */
typedef struct {
    uint64_t connections;    /* open WebSocket connections */
    uint64_t connects_total; /* accepted WebSocket connections */
    uint64_t refused_total;  /* refused upgrades (fault switch, bad path) */
    uint64_t dropped_total;  /* connections the server dropped (limits, pong timeout, drop) */
    uint64_t messages_sent;  /* WebSocket messages sent */
    uint64_t candles_closed; /* klines closed since the start (history excluded) */
    uint64_t rest_requests;
    int64_t speed;
    bool pings_muted;
    bool refusing;
} sim_stats_t;

typedef struct {
    const sim_market_t *market;
    sim_weights_t *weights;
    const sim_stats_t *stats;
    int64_t sim_now_ms;  /* serverTime: the simulated clock */
    int64_t real_now_ms; /* wall clock, for the weight minutes */
    void *account;       /* sim_account_t (account.h); NULL: signed endpoints answer -2015 */
    struct sim_faults *faults; /* order fault switches and counters (faults.h); NULL: none */
} sim_rest_ctx_t;

typedef struct {
    sim_http_method_t method;
    const char *path; /* without the query string */
    const sim_params_t *params;
    const char *peer;    /* client address, for the weight table */
    bool peer_loopback;  /* admin endpoints answer loopback clients only */
    const char *api_key; /* X-MBX-APIKEY, NULL when absent (for the account module) */
    /* What a signature covers: the query text as sent (percent-encoded, without '?') and the
     * raw body. Either may be NULL when empty. */
    const char *query;
    size_t query_len;
    const char *body;
    size_t body_len;
} sim_rest_req_t;

typedef enum {
    SIM_ADMIN_NONE,
    SIM_ADMIN_DROP,
    SIM_ADMIN_MUTE_PINGS,
    SIM_ADMIN_REFUSE,
    SIM_ADMIN_SHUTDOWN_EVENT,
} sim_admin_action_t;

typedef struct {
    int status;
    const char *content_type; /* static string */
    sim_buf_t body;
    int used_weight; /* value of X-MBX-USED-WEIGHT-1M */
    int retry_after; /* seconds; 0: no Retry-After */
    int64_t delay_ms; /* hold the reply back this long (an order fault); 0: answer now */
    sim_admin_action_t action;
    int64_t action_seconds;
} sim_rest_resp_t;

/** Initialises an empty response (status 0). */
void sim_rest_resp_init(sim_rest_resp_t *r);

/** Frees the body. NULL is a no-op. */
void sim_rest_resp_cleanup(sim_rest_resp_t *r);

/** Writes Binance's error body {"code":code,"msg":"..."} with the HTTP status. The message
 *  must be JSON-safe text (constants, checked names). Returns 0 or the body's error. */
int sim_rest_error(sim_rest_resp_t *r, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Marks the body written so far as a JSON answer with the HTTP status. Returns 0 or the
 *  body's error. */
int sim_rest_json(sim_rest_resp_t *r, int status);

/** Answers one request into resp (initialised; reset first). Returns 0 with any HTTP status in
 *  resp, or RT_ENOMEM / RT_ETOOBIG when the body could not be written (answer 500). */
int sim_rest_handle(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *resp);

#endif
