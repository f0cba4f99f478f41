#include "server.h"

#include <libwebsockets.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "faults.h"
#include "payload.h"
#include "rest.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/str.h"
#include "rt/time.h"
#include "stream.h"

#define MOD "server"
#define TICK_MS 50                          /* how often the market advances */
#define TICKER_MS 1000                      /* miniTicker period (Binance: 1000 ms) */
#define KLINE_1S_UPDATE_MS 1000             /* 1s klines update every second (Binance) */
#define CHUNK 16384                         /* HTTP body bytes per write */
#define MAX_QUEUED_BYTES ((size_t)16 << 20) /* a client this far behind is dropped */
#define URL_CAP 65536                       /* request line room (1024 streams fit) */
#define MAX_HTTP_BODY 65536

/* One queued WebSocket message, with LWS_PRE bytes of room in front of the payload. */
typedef struct msg {
    struct msg *next;
    size_t len;
    unsigned char data[];
} msg_t;

/* A WebSocket connection. */
typedef struct conn {
    struct conn *prev, *next;
    struct lws *wsi;
    sim_ws_session_t session;
    msg_t *head, *tail;
    size_t queued;
    char *rx; /* a text message being received in fragments */
    size_t rx_len;
    bool ping_due;
    uint64_t ping_seq;        /* payload of the last ping sent */
    int64_t next_ping;        /* monotonic ms */
    int64_t unanswered_since; /* monotonic ms of the oldest unanswered ping; 0: none */
    bool closing;
    enum lws_close_status close_status;
    const char *close_reason;
    char peer[48];
} conn_t;

/* An HTTP transaction. */
typedef struct {
    sim_rest_resp_t resp;
    size_t sent;
    size_t body_seen;
    sim_buf_t body; /* the raw request body: signatures cover it as sent */
    sim_http_method_t method;
    char path[256];
} http_t;

enum { PSS_NONE = 0, PSS_HTTP, PSS_WS };

/* lws's per-session data: one protocol serves both HTTP and WebSocket. */
typedef struct {
    int kind;
    union {
        conn_t ws;
        http_t http;
    } u;
} pss_t;

struct sim_server {
    sim_server_config_t cfg;
    char bind[64];
    sim_market_t *market;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    int port;
    lws_sorted_usec_list_t sul;
    conn_t *conns;
    sim_stats_t stats;
    sim_weights_t weights;
    sim_faults_t faults; /* order fault switches (/admin/order-fault) and counters */
    sim_params_t params;
    int64_t mono_start;
    int64_t sim_now;
    int64_t mute_until;   /* monotonic ms; pings muted before it */
    int64_t refuse_until; /* monotonic ms; upgrades refused before it */
    bool was_muted;
    bool replay_done; /* logged that the replayed file ran out */
    int64_t next_ticker;
    uint64_t ping_seq;
    sim_buf_t out, wrapped;
    sim_buf_t query; /* the request's query text, re-encoded from lws's decoded pairs */
    char path[1024];
    char url[URL_CAP];
    unsigned char chunk[LWS_PRE + CHUNK];
};

static sim_server_t *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

/* ---- sending ----------------------------------------------------------------------------- */

/* Drops a connection at once, without a close frame (a broken network, for the client). */
static void kill_conn(sim_server_t *s, conn_t *c, const char *why)
{
    if (c->closing && c->close_reason == NULL)
        return; /* already being killed */
    rt_log_info(MOD, "ws: dropping peer=%s reason=%s", c->peer, why);
    s->stats.dropped_total++;
    c->closing = true;
    c->close_reason = NULL;
    int fd = lws_get_socket_fd(c->wsi);
    if (fd >= 0)
        (void)shutdown(fd, SHUT_RDWR);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

/* Closes a connection with a close frame once its queue has been sent. */
static void close_conn(sim_server_t *s, conn_t *c, enum lws_close_status status, const char *why)
{
    if (c->closing)
        return;
    rt_log_info(MOD, "ws: closing peer=%s status=%d reason=%s", c->peer, (int)status, why);
    if (status != LWS_CLOSE_STATUS_GOINGAWAY)
        s->stats.dropped_total++;
    c->closing = true;
    c->close_status = status;
    c->close_reason = why;
    lws_callback_on_writable(c->wsi);
}

static void enqueue(sim_server_t *s, conn_t *c, const char *data, size_t len)
{
    if (c->closing)
        return;
    if (c->queued + len > MAX_QUEUED_BYTES) {
        kill_conn(s, c, "slow consumer");
        return;
    }
    msg_t *m = malloc(sizeof *m + LWS_PRE + len);
    if (m == NULL) {
        kill_conn(s, c, "out of memory");
        return;
    }
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, data, len);
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->queued += len;
    lws_callback_on_writable(c->wsi);
}

/* Sends an event payload (s->out) on one stream of c, wrapped when the connection is combined. */
static void send_event(sim_server_t *s, conn_t *c, const char *stream)
{
    if (!c->session.combined) {
        enqueue(s, c, sim_buf_str(&s->out), s->out.len);
        return;
    }
    sim_buf_reset(&s->wrapped);
    if (sim_payload_combined(&s->wrapped, stream, sim_buf_str(&s->out), s->out.len) == RT_OK)
        enqueue(s, c, sim_buf_str(&s->wrapped), s->wrapped.len);
}

static void free_queue(conn_t *c)
{
    while (c->head) {
        msg_t *m = c->head;
        c->head = m->next;
        free(m);
    }
    c->tail = NULL;
    c->queued = 0;
}

/* ---- market events and periodic streams -------------------------------------------------- */

static void on_event(void *ud, const sim_event_t *ev)
{
    sim_server_t *s = ud;
    const char *symbol = sim_market_spec(s->market, ev->symbol)->symbol;
    sim_stream_kind_t kind = ev->kind == SIM_EVENT_TRADE ? SIM_STREAM_TRADE : SIM_STREAM_KLINE;
    bool built = false;
    if (ev->kind == SIM_EVENT_KLINE_CLOSED)
        s->stats.candles_closed++;
    for (conn_t *c = s->conns; c; c = c->next) {
        for (size_t i = 0; i < c->session.count; i++) {
            sim_stream_t *st = &c->session.items[i];
            if (st->sym != (long)ev->symbol || st->kind != kind ||
                (kind == SIM_STREAM_KLINE && st->interval != ev->interval))
                continue;
            if (!built) {
                sim_buf_reset(&s->out);
                int rc = kind == SIM_STREAM_TRADE
                             ? sim_payload_trade(&s->out, symbol, ev->trade, ev->trade->time)
                             : sim_payload_kline(&s->out, symbol, ev->interval, ev->kline, true,
                                                 ev->kline->close_time + 1);
                if (rc != RT_OK)
                    return;
                built = true;
            }
            send_event(s, c, st->name);
        }
    }
}

/* Forming klines (x:false) that changed, at most every kline_update_ms per stream. */
static void send_kline_updates(sim_server_t *s, int64_t now)
{
    for (conn_t *c = s->conns; c; c = c->next) {
        for (size_t i = 0; i < c->session.count && !c->closing; i++) {
            sim_stream_t *st = &c->session.items[i];
            if (st->kind != SIM_STREAM_KLINE || st->sym < 0)
                continue;
            int64_t period =
                st->interval == SIM_IV_1S ? KLINE_1S_UPDATE_MS : s->cfg.kline_update_ms;
            if (now - st->last_sent < period)
                continue;
            const sim_klines_t *k = sim_market_klines(s->market, (size_t)st->sym);
            const sim_series_t *series = &k->series[st->interval];
            if (!series->active || series->rev == st->last_rev)
                continue;
            sim_buf_reset(&s->out);
            if (sim_payload_kline(&s->out, sim_market_spec(s->market, (size_t)st->sym)->symbol,
                                  st->interval, &series->forming, false, s->sim_now) != RT_OK)
                continue;
            st->last_rev = series->rev;
            st->last_sent = now;
            send_event(s, c, st->name);
        }
    }
}

static void send_tickers(sim_server_t *s)
{
    for (conn_t *c = s->conns; c; c = c->next) {
        for (size_t i = 0; i < c->session.count && !c->closing; i++) {
            sim_stream_t *st = &c->session.items[i];
            sim_ticker24_t t;
            if (st->kind != SIM_STREAM_MINI_TICKER || st->sym < 0 ||
                sim_market_ticker24(s->market, (size_t)st->sym, &t) != RT_OK)
                continue;
            sim_buf_reset(&s->out);
            if (sim_payload_mini_ticker(&s->out,
                                        sim_market_spec(s->market, (size_t)st->sym)->symbol, &t,
                                        s->sim_now) == RT_OK)
                send_event(s, c, st->name);
        }
    }
}

static void check_pings(sim_server_t *s, int64_t now)
{
    bool muted = now < s->mute_until;
    if (s->was_muted && !muted) {
        rt_log_info(MOD, "pings: resumed");
        for (conn_t *c = s->conns; c; c = c->next) {
            c->unanswered_since = 0;
            c->next_ping = now;
        }
    }
    s->was_muted = muted;
    s->stats.pings_muted = muted;
    if (muted)
        return;
    for (conn_t *c = s->conns; c; c = c->next) {
        if (c->closing)
            continue;
        if (c->unanswered_since && now - c->unanswered_since > s->cfg.pong_timeout_ms) {
            kill_conn(s, c, "no pong");
            continue;
        }
        if (now >= c->next_ping) {
            c->ping_due = true;
            c->ping_seq = ++s->ping_seq;
            if (c->unanswered_since == 0)
                c->unanswered_since = now;
            c->next_ping = now + s->cfg.ping_interval_ms;
            lws_callback_on_writable(c->wsi);
        }
    }
}

static void tick(sim_server_t *s)
{
    int64_t now = rt_time_mono_ms();
    s->sim_now = s->cfg.sim_start_ms + (now - s->mono_start) * s->cfg.speed;
    if (sim_market_advance(s->market, s->sim_now, on_event, s) != RT_OK)
        rt_log_warn(MOD, "market: a kline was lost (out of memory)");
    if (s->cfg.account)
        sim_account_match(s->cfg.account, s->market, s->sim_now);
    send_kline_updates(s, now);
    if (now >= s->next_ticker) {
        send_tickers(s);
        s->next_ticker = now + TICKER_MS;
    }
    check_pings(s, now);
    s->stats.refusing = now < s->refuse_until;
    for (size_t i = 0; i < sim_market_count(s->market) && !s->replay_done; i++) {
        if (sim_market_replay_done(s->market, i)) {
            s->replay_done = true;
            rt_log_info(MOD, "replay: the file is over symbol=%s (no more %s klines)",
                        sim_market_spec(s->market, i)->symbol,
                        sim_market_spec(s->market, i)->symbol);
        }
    }
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    sim_server_t *s = lws_container_of(sul, sim_server_t, sul);
    tick(s);
    lws_sul_schedule(s->ctx, 0, &s->sul, on_tick, TICK_MS * LWS_US_PER_MS);
}

/* ---- admin actions ----------------------------------------------------------------------- */

static void do_action(sim_server_t *s, sim_admin_action_t action, int64_t seconds)
{
    int64_t now = rt_time_mono_ms();
    switch (action) {
    case SIM_ADMIN_DROP:
        rt_log_info(MOD, "admin: dropping every WebSocket connection");
        for (conn_t *c = s->conns; c; c = c->next)
            kill_conn(s, c, "admin drop");
        break;
    case SIM_ADMIN_MUTE_PINGS:
        rt_log_info(MOD, "admin: pings muted seconds=%lld", (long long)seconds);
        s->mute_until = seconds > 0 ? now + seconds * 1000 : 0;
        check_pings(s, now);
        break;
    case SIM_ADMIN_REFUSE:
        rt_log_info(MOD, "admin: refusing connections seconds=%lld", (long long)seconds);
        s->refuse_until = seconds > 0 ? now + seconds * 1000 : 0;
        s->stats.refusing = seconds > 0;
        break;
    case SIM_ADMIN_SHUTDOWN_EVENT:
        rt_log_info(MOD, "admin: serverShutdown to every connection");
        sim_buf_reset(&s->out);
        if (sim_payload_shutdown(&s->out, s->sim_now) != RT_OK)
            break;
        for (conn_t *c = s->conns; c; c = c->next) {
            send_event(s, c, "!serverShutdown");
            close_conn(s, c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutdown");
        }
        break;
    case SIM_ADMIN_NONE:
    default:
        break;
    }
}

/* ---- HTTP -------------------------------------------------------------------------------- */

static bool is_loopback(const char *ip)
{
    return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
           strncmp(ip, "::ffff:127.", 11) == 0;
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

static int respond(sim_server_t *s, struct lws *wsi, http_t *h);

/* Answers the request: runs the handler, then writes the headers and schedules the body (at
 * once, or after the reply's delay). Returns what the lws callback returns. */
static int answer(sim_server_t *s, struct lws *wsi, http_t *h)
{
    sim_params_init(&s->params);
    bool too_many = false;
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, s->url, (int)sizeof s->url, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0)
            break;
        if (sim_params_add_pair(&s->params, s->url, (size_t)n) != RT_OK)
            too_many = true;
    }
    /* lws hands the query over decoded; the signature covers it encoded, as the client sent
     * it. Clients encode RFC 3986 unreserved characters as they are and the rest as %XX, so
     * encoding the pairs that way again gives the signed text back. Form body pairs follow
     * the query's, so that a parameter in both has the query's value (Binance's rule). */
    sim_buf_reset(&s->query);
    if (sim_params_encode(&s->params, 0, s->params.count, &s->query) != RT_OK)
        too_many = true;
    if (h->body.len > 0 && sim_params_parse_query(&s->params, h->body.data, h->body.len) != RT_OK)
        too_many = true;
    char peer[48] = "";
    lws_get_peer_simple(wsi, peer, sizeof peer);
    char key[128];
    int kn = lws_hdr_custom_copy(wsi, key, (int)sizeof key, "x-mbx-apikey:", 13);
    sim_rest_req_t req = {.method = h->method,
                          .path = h->path,
                          .params = &s->params,
                          .peer = peer,
                          .peer_loopback = is_loopback(peer),
                          .api_key = kn >= 0 ? key : NULL,
                          .query = s->query.data,
                          .query_len = s->query.len,
                          .body = h->body.data,
                          .body_len = h->body.len};
    sim_rest_ctx_t ctx = {.market = s->market,
                          .weights = &s->weights,
                          .stats = &s->stats,
                          .sim_now_ms = s->sim_now,
                          .real_now_ms = rt_time_now_ms(),
                          .account = s->cfg.account,
                          .faults = &s->faults};
    sim_rest_resp_t *r = &h->resp;
    s->stats.rest_requests++;
    if (too_many) {
        sim_buf_reset(&r->body);
        sim_buf_puts(&r->body, "{\"code\":-1101,\"msg\":\"Too many parameters sent for this "
                               "endpoint.\"}");
        r->status = 400;
        r->content_type = "application/json;charset=UTF-8";
        r->used_weight = 1;
    } else if (sim_rest_handle(&ctx, &req, r) != RT_OK) {
        sim_buf_reset(&r->body);
        sim_buf_puts(&r->body, "{\"code\":-1000,\"msg\":\"An unknown error occurred while "
                               "processing the request.\"}");
        r->status = 500;
    }
    rt_log_debug(MOD, "http: %s status=%d weight=%d bytes=%zu", h->path, r->status, r->used_weight,
                 r->body.len);
    if (r->delay_ms > 0) {
        /* an order fault: executed, the reply held back (the client may give up first) */
        rt_log_info(MOD, "http: %s reply held back %lld ms (order fault)", h->path,
                    (long long)r->delay_ms);
        lws_set_timer_usecs(wsi, (lws_usec_t)r->delay_ms * LWS_US_PER_MS);
        return 0;
    }
    return respond(s, wsi, h);
}

/* Writes the response's headers and schedules its body. Returns what the lws callback
 * returns. */
static int respond(sim_server_t *s, struct lws *wsi, http_t *h)
{
    sim_rest_resp_t *r = &h->resp;
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
    char num[32];
    snprintf(num, sizeof num, "%d", r->used_weight);
    if (lws_add_http_common_headers(wsi, (unsigned int)r->status, r->content_type,
                                    (lws_filepos_t)r->body.len, &p, end) ||
        add_header(wsi, "x-mbx-used-weight:", num, &p, end) ||
        add_header(wsi, "x-mbx-used-weight-1m:", num, &p, end))
        return 1;
    if (r->retry_after > 0) {
        snprintf(num, sizeof num, "%d", r->retry_after);
        if (add_header(wsi, "retry-after:", num, &p, end))
            return 1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    sim_admin_action_t action = r->action;
    int64_t seconds = r->action_seconds;
    h->sent = 0;
    if (r->body.len > 0)
        lws_callback_on_writable(wsi);
    do_action(s, action, seconds);
    if (r->body.len == 0)
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    return 0;
}

static int write_body(sim_server_t *s, struct lws *wsi, http_t *h)
{
    size_t left = h->resp.body.len - h->sent;
    size_t n = left > CHUNK ? CHUNK : left;
    bool last = n == left;
    memcpy(s->chunk + LWS_PRE, h->resp.body.data + h->sent, n);
    if (lws_write(wsi, s->chunk + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) <
        (int)n)
        return -1;
    h->sent += n;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void http_cleanup(pss_t *pss)
{
    if (pss && pss->kind == PSS_HTTP) {
        sim_rest_resp_cleanup(&pss->u.http.resp);
        sim_buf_cleanup(&pss->u.http.body);
        pss->kind = PSS_NONE;
    }
}

static sim_http_method_t method_of(struct lws *wsi)
{
    char *uri;
    int len;
    switch (lws_http_get_uri_and_method(wsi, &uri, &len)) {
    case LWSHUMETH_GET:
        return SIM_HTTP_GET;
    case LWSHUMETH_POST:
        return SIM_HTTP_POST;
    case LWSHUMETH_PUT:
        return SIM_HTTP_PUT;
    case LWSHUMETH_DELETE:
        return SIM_HTTP_DELETE;
    default:
        return SIM_HTTP_OTHER;
    }
}

static int64_t content_length(struct lws *wsi)
{
    char v[32];
    int64_t n = 0;
    if (lws_hdr_copy(wsi, v, (int)sizeof v, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0 ||
        rt_str_parse_int64(v, &n) != RT_OK)
        return 0;
    return n;
}

/* ---- WebSocket --------------------------------------------------------------------------- */

/* Reads the upgrade request's path and ?streams= into s->path and returns the streams (or
 * NULL). */
static const char *request_target(sim_server_t *s, struct lws *wsi)
{
    if (lws_hdr_copy(wsi, s->path, (int)sizeof s->path, WSI_TOKEN_GET_URI) < 0)
        s->path[0] = '\0';
    return lws_get_urlarg_by_name(wsi, "streams=", s->url, (int)sizeof s->url);
}

static int ws_filter(sim_server_t *s, struct lws *wsi)
{
    char peer[48] = "";
    lws_get_peer_simple(wsi, peer, sizeof peer);
    if (rt_time_mono_ms() < s->refuse_until) {
        s->stats.refused_total++;
        rt_log_info(MOD, "ws: refused peer=%s (fault switch)", peer);
        return 1;
    }
    const char *streams = request_target(s, wsi);
    sim_ws_session_t probe;
    sim_ws_session_init(&probe, s->market, false);
    int rc = sim_ws_session_open(&probe, s->path, streams);
    sim_ws_session_cleanup(&probe);
    if (rc != RT_OK) {
        s->stats.refused_total++;
        char shown[96];
        rt_str_escape(shown, sizeof shown, s->path, strlen(s->path));
        rt_log_info(MOD, "ws: refused peer=%s path=\"%s\" error=%s", peer, shown, rt_strerror(rc));
        return 1;
    }
    return 0;
}

static int ws_established(sim_server_t *s, struct lws *wsi, pss_t *pss)
{
    memset(&pss->u.ws, 0, sizeof pss->u.ws);
    conn_t *c = &pss->u.ws;
    c->wsi = wsi;
    lws_get_peer_simple(wsi, c->peer, sizeof c->peer);
    sim_ws_session_init(&c->session, s->market, false);
    const char *streams = request_target(s, wsi);
    if (sim_ws_session_open(&c->session, s->path, streams) != RT_OK) {
        sim_ws_session_cleanup(&c->session);
        return -1;
    }
    pss->kind = PSS_WS;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    int64_t now = rt_time_mono_ms();
    c->next_ping = now + s->cfg.ping_interval_ms;
    s->stats.connections++;
    s->stats.connects_total++;
    rt_log_info(MOD, "ws: connected peer=%s streams=%zu combined=%s", c->peer, c->session.count,
                c->session.combined ? "true" : "false");
    return 0;
}

static void ws_closed(sim_server_t *s, pss_t *pss)
{
    if (pss == NULL || pss->kind != PSS_WS)
        return;
    conn_t *c = &pss->u.ws;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free_queue(c);
    free(c->rx);
    sim_ws_session_cleanup(&c->session);
    s->stats.connections--;
    rt_log_info(MOD, "ws: closed peer=%s", c->peer);
    pss->kind = PSS_NONE;
}

static int ws_receive(sim_server_t *s, struct lws *wsi, conn_t *c, const void *in, size_t len)
{
    if (c->closing)
        return 0;
    if (c->rx_len + len > SIM_WS_MAX_MSG) {
        close_conn(s, c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
        return 0;
    }
    char *p = realloc(c->rx, c->rx_len + len + 1);
    if (p == NULL)
        return -1;
    c->rx = p;
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return 0;
    size_t n = c->rx_len;
    c->rx_len = 0;
    if (sim_ws_rate_exceeded(&c->session, rt_time_mono_ms())) {
        close_conn(s, c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too many messages");
        return 0;
    }
    if (lws_frame_is_binary(wsi))
        return 0; /* nothing to do with binary frames; they still count */
    sim_buf_reset(&s->out);
    bool must_close = false;
    int rc = sim_ws_handle(&c->session, c->rx, n, &s->out, &must_close);
    if (must_close) {
        close_conn(s, c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too many streams");
        return 0;
    }
    if (rc == RT_OK)
        enqueue(s, c, sim_buf_str(&s->out), s->out.len);
    return 0;
}

static void ws_pong(sim_server_t *s, conn_t *c, const char *in, size_t len)
{
    if (sim_ws_rate_exceeded(&c->session, rt_time_mono_ms())) {
        close_conn(s, c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too many messages");
        return;
    }
    if (rt_time_mono_ms() < s->mute_until)
        return; /* muted: pongs are not looked at */
    char text[24];
    int64_t seq;
    if (rt_str_copy_n(text, sizeof text, in, len) == RT_OK &&
        rt_str_parse_int64(text, &seq) == RT_OK && seq > 0 && (uint64_t)seq <= c->ping_seq)
        c->unanswered_since = 0; /* a pong that answers one of our pings */
}

static int ws_writeable(sim_server_t *s, struct lws *wsi, conn_t *c)
{
    if (c->closing && c->close_reason == NULL)
        return -1; /* killed */
    if (c->ping_due) {
        unsigned char buf[LWS_PRE + 32];
        int n = snprintf((char *)buf + LWS_PRE, 32, "%llu", (unsigned long long)c->ping_seq);
        c->ping_due = false;
        if (n <= 0 || lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_PING) < n)
            return -1;
        if (c->head || c->closing)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (c->head) {
        msg_t *m = c->head;
        c->head = m->next;
        if (c->head == NULL)
            c->tail = NULL;
        c->queued -= m->len;
        int n = lws_write(wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
        bool ok = n >= (int)m->len;
        free(m);
        if (!ok)
            return -1;
        s->stats.messages_sent++;
        if (c->head || c->closing || c->ping_due)
            lws_callback_on_writable(wsi);
        return 0;
    }
    if (c->closing) {
        lws_close_reason(wsi, c->close_status, (unsigned char *)(uintptr_t)c->close_reason,
                         strlen(c->close_reason));
        return -1;
    }
    return 0;
}

/* ---- the protocol callback --------------------------------------------------------------- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    sim_server_t *s = server_of(wsi);
    pss_t *pss = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (pss == NULL)
            return -1;
        http_cleanup(pss);
        memset(&pss->u.http, 0, sizeof pss->u.http);
        sim_rest_resp_init(&pss->u.http.resp);
        sim_buf_init(&pss->u.http.body);
        pss->kind = PSS_HTTP;
        pss->u.http.method = method_of(wsi);
        if (rt_str_copy(pss->u.http.path, sizeof pss->u.http.path, in ? (const char *)in : "") !=
            RT_OK)
            pss->u.http.path[0] = '\0'; /* too long: answered 404 */
        if (pss->u.http.method != SIM_HTTP_GET && content_length(wsi) > 0)
            return 0; /* answered once the body is in */
        return answer(s, wsi, &pss->u.http);
    case LWS_CALLBACK_HTTP_BODY:
        if (pss == NULL || pss->kind != PSS_HTTP)
            return -1;
        pss->u.http.body_seen += len;
        if (pss->u.http.body_seen > MAX_HTTP_BODY)
            return -1;
        return sim_buf_append(&pss->u.http.body, in, len) == RT_OK ? 0 : -1;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (pss == NULL || pss->kind != PSS_HTTP)
            return -1;
        return answer(s, wsi, &pss->u.http);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (pss == NULL || pss->kind != PSS_HTTP)
            return -1;
        return write_body(s, wsi, &pss->u.http);
    case LWS_CALLBACK_TIMER: /* a held-back reply is due */
        if (pss == NULL || pss->kind != PSS_HTTP)
            return 0;
        return respond(s, wsi, &pss->u.http);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        http_cleanup(pss);
        break;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return ws_filter(s, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        return ws_established(s, wsi, pss);
    case LWS_CALLBACK_RECEIVE:
        if (pss == NULL || pss->kind != PSS_WS)
            return -1;
        return ws_receive(s, wsi, &pss->u.ws, in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        if (pss && pss->kind == PSS_WS)
            ws_pong(s, &pss->u.ws, in, len);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (pss == NULL || pss->kind != PSS_WS)
            return 0;
        return ws_writeable(s, wsi, &pss->u.ws);
    case LWS_CALLBACK_CLOSED:
        ws_closed(s, pss);
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols protocols[] = {
    {"binance", callback, sizeof(pss_t), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- lifecycle --------------------------------------------------------------------------- */

int sim_server_new(const sim_server_config_t *cfg, sim_market_t *market, sim_server_t **out)
{
    if (cfg == NULL || market == NULL || out == NULL || cfg->speed < 1 || cfg->port < 0 ||
        cfg->port > 65535)
        return RT_EINVAL;
    int rc = RT_OK;
    sim_server_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RT_ENOMEM;
    s->cfg = *cfg;
    s->market = market;
    sim_buf_init(&s->out);
    sim_buf_init(&s->wrapped);
    sim_buf_init(&s->query);
    if (rt_str_copy(s->bind, sizeof s->bind, cfg->bind ? cfg->bind : "127.0.0.1") != RT_OK) {
        rc = RT_EINVAL;
        goto out;
    }
    s->cfg.bind = s->bind;

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    info.user = s;
    info.max_http_header_data = 32768;
    s->ctx = lws_create_context(&info);
    if (s->ctx == NULL) {
        rc = RT_ENOMEM;
        goto out;
    }
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = s->bind;
    info.protocols = protocols;
    info.vhost_name = "sim";
    info.max_http_header_data = 32768;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    s->vh = lws_create_vhost(s->ctx, &info);
    if (s->vh == NULL) {
        rt_log_error(MOD, "cannot listen on %s:%d", s->bind, cfg->port);
        rc = RT_EIO;
        goto out;
    }
    s->port = lws_get_vhost_listen_port(s->vh);
    *out = s;
    s = NULL;
out:
    sim_server_free(s);
    return rc;
}

int sim_server_port(const sim_server_t *s)
{
    return s->port;
}

int sim_server_run(sim_server_t *s)
{
    s->mono_start = rt_time_mono_ms();
    s->sim_now = s->cfg.sim_start_ms;
    s->stats.speed = s->cfg.speed;
    if (s->cfg.fault_mute_pings_s > 0)
        do_action(s, SIM_ADMIN_MUTE_PINGS, s->cfg.fault_mute_pings_s);
    if (s->cfg.fault_refuse_s > 0)
        do_action(s, SIM_ADMIN_REFUSE, s->cfg.fault_refuse_s);
    s->next_ticker = s->mono_start + TICKER_MS;
    lws_sul_schedule(s->ctx, 0, &s->sul, on_tick, TICK_MS * LWS_US_PER_MS);
    int rc = RT_OK;
    while (!rt_sig_stopping()) {
        if (lws_service(s->ctx, 0) < 0) {
            rc = RT_EIO;
            break;
        }
    }
    lws_sul_cancel(&s->sul);
    return rc;
}

void sim_server_free(sim_server_t *s)
{
    if (s == NULL)
        return;
    if (s->ctx)
        lws_context_destroy(s->ctx); /* closes every connection (CLOSED frees each) */
    sim_buf_cleanup(&s->out);
    sim_buf_cleanup(&s->wrapped);
    sim_buf_cleanup(&s->query);
    free(s);
}
