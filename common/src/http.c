/* HTTP server helper over libmicrohttpd 0.9.75.
 *
 * Request flow. libmicrohttpd calls on_request several times per request: first when the
 * headers are in (we route, authorize and check Content-Length there, so a 404/405/401/413
 * is decided before any body is kept; see request_answer_now for when it is sent), then once
 * per piece of body, then a last time with no data (we run the handler and queue the
 * response). on_completed runs once per request, whatever happened, and frees our state.
 *
 * Streams (Server-Sent Events). The response reads from the stream's ring buffer through a
 * content reader callback. When the buffer is empty the reader suspends the connection (so
 * libmicrohttpd does not poll it in a busy loop) and a writer resumes it. A writer that finds
 * no room drops the client: the stream is marked dropped and the socket shut down, so the
 * connection ends at once even if the client stopped reading. A ticker thread writes a
 * keep-alive comment on idle streams. Lock order: server lock, then stream lock; callbacks
 * of the owner (on_close) run with neither held. */
#include "rt/http.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "rt/err.h"
#include "rt/log.h"
#include "rt/str.h"
#include "rt/time.h"

#define MOD "http"
#define MAX_SEGS 16
#define MAX_METHOD 16
#define MAX_PARAM_NAME 32
#define MAX_HEADERS 16
#define MAX_QUERY_ARGS 64
#define MAX_THREADS 64
#define DRAIN_MAX (4u * 1024u * 1024u) /* body bytes discarded past the limit before we hang up */
#define SSE_EVENT_NAME_MAX 64
#define SSE_BLOCK 4096
#define SSE_MIN_BUFFER 256
#define DETAIL_MAX 512
#define CONTENT_TYPE_JSON "application/json"
#define CONTENT_TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"

struct route {
    char method[MAX_METHOD];
    char *pattern;
    size_t nseg;
    char *seg[MAX_SEGS]; /* literal text, or the parameter's name */
    bool param[MAX_SEGS];
    unsigned flags;
    rt_http_handler_fn fn;
    void *ud;
};

struct header {
    char *name;
    char *value;
};

struct rt_http_response {
    rt_http_server_t *srv;
    bool set;
    bool sse; /* the current response is the stream below */
    unsigned status;
    char content_type[64];
    char *body;
    size_t len;
    struct header hdr[MAX_HEADERS];
    size_t nhdr;
    rt_http_stream_t *stream; /* the request's reference, finished in on_completed */
};

enum stream_state {
    ST_PENDING, /* created by the handler, response not queued yet */
    ST_OPEN,    /* delivering */
    ST_CLOSING, /* server side asked to end: flush, then end */
    ST_DROPPED, /* client too slow: end now */
    ST_DONE,    /* the request completed */
};

struct rt_http_stream {
    pthread_mutex_t lock;
    atomic_int refs;
    enum stream_state state;
    struct MHD_Connection *conn; /* set while the connection lives */
    int fd;
    bool suspended;
    char *buf; /* ring buffer */
    size_t cap;
    size_t head;
    size_t len;
    int64_t last_ms;
    rt_http_stream_close_fn on_close;
    void *on_close_ud;
    rt_http_stream_t *prev; /* the server's list of live streams (server lock) */
    rt_http_stream_t *next;
    bool listed;
};

struct rt_http_request {
    rt_http_server_t *srv;
    struct MHD_Connection *conn;
    int64_t start_ns;
    char method[MAX_METHOD];
    char *path;
    char *segbuf;
    size_t nseg; /* MAX_SEGS + 1 when the path has too many segments to match anything */
    const char *seg[MAX_SEGS];
    const struct route *route;
    char *body;
    size_t body_len;
    size_t body_cap;
    int64_t content_length; /* -1 when not given */
    bool chunked;           /* a body of unknown length follows */
    bool expect_continue;   /* the client waits for our go before sending its body */
    bool too_big;
    bool discard; /* the answer is decided: read the body and throw it away */
    size_t discarded;
    unsigned sent_status;
    struct rt_http_response res;
};

struct rt_http_server {
    char service[32];
    struct sockaddr_storage addr;
    socklen_t addrlen;
    bool ipv6;
    uint16_t port;
    uint16_t bound_port;
    bool has_token;
    unsigned char token_digest[SHA256_DIGEST_LENGTH];
    size_t max_body;
    unsigned threads;
    unsigned max_connections;
    unsigned timeout_s;
    size_t sse_buffer;
    int64_t keepalive_ms;
    int64_t grace_ms;
    rt_metrics_t *metrics;
    rt_metric_t *m_requests; /* http_requests_total{code} */
    rt_series_t *m_duration; /* http_request_duration_seconds */
    rt_series_t *m_sse;      /* http_sse_clients */
    rt_http_health_fn health;
    void *health_ud;

    struct route *routes;
    size_t nroutes;
    size_t route_cap;

    struct MHD_Daemon *daemon;
    int64_t started_ms;
    atomic_bool mhd_loud; /* libmicrohttpd's messages at WARN while starting, DEBUG after */

    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC: in-flight count dropped, ticker stop */
    bool stopping;
    size_t inflight;
    rt_http_stream_t *streams;
    size_t nstreams;
    pthread_t ticker;
    bool ticker_running;
    bool ticker_stop;
};

/* ---- small helpers ---- */

static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool valid_token(const char *s, size_t max)
{
    size_t n = 0;
    if (s == NULL || s[0] == '\0')
        return false;
    for (; s[n]; n++) {
        if (!is_tchar(s[n]))
            return false;
    }
    return n < max;
}

static bool valid_header_value(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

static void timespec_after_ms(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static const char *status_error_name(unsigned status)
{
    switch (status) {
    case 400:
        return "bad_request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not_found";
    case 405:
        return "method_not_allowed";
    case 409:
        return "conflict";
    case 413:
        return "payload_too_large";
    case 429:
        return "too_many_requests";
    case 502:
        return "bad_gateway";
    case 503:
        return "unavailable";
    case 504:
        return "timeout";
    default:
        return status >= 500 ? "internal" : "error";
    }
}

static unsigned err_status(int rc)
{
    switch (rc) {
    case RT_EINVAL:
        return 400;
    case RT_EAUTH:
        return 401;
    case RT_ENOTFOUND:
        return 404;
    case RT_EEXIST:
    case RT_ESTATE:
        return 409;
    case RT_ETOOBIG:
        return 413;
    case RT_ERATELIMIT:
        return 429;
    case RT_EEXCHANGE:
    case RT_EUNKNOWN:
        return 502;
    case RT_ECONN:
    case RT_EDB:
    case RT_EAGAIN:
        return 503;
    case RT_ETIMEDOUT:
        return 504;
    default:
        return 500;
    }
}

/* ---- responses ---- */

static void response_clear_body(rt_http_response_t *res)
{
    free(res->body);
    res->body = NULL;
    res->len = 0;
}

/* The stream set by rt_http_respond_sse is replaced by another response: it will never be
 * read, so it ends now (its close callback still runs when the request completes). */
static void response_abandon_stream(rt_http_response_t *res)
{
    if (!res->sse)
        return;
    res->sse = false;
    rt_http_stream_t *s = res->stream;
    pthread_mutex_lock(&s->lock);
    if (s->state == ST_PENDING || s->state == ST_OPEN)
        s->state = ST_DROPPED;
    pthread_mutex_unlock(&s->lock);
}

static int response_set(rt_http_response_t *res, unsigned status, const char *content_type,
                        const char *body, size_t len)
{
    if (res == NULL || status < 100 || status > 599 || body == NULL)
        return RT_EINVAL;
    if (content_type == NULL)
        content_type = "text/plain; charset=utf-8";
    size_t ctlen = strlen(content_type);
    if (ctlen >= sizeof res->content_type || !valid_header_value(content_type))
        return RT_EINVAL;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return RT_ENOMEM;
    memcpy(copy, body, len);
    copy[len] = '\0';
    response_abandon_stream(res);
    response_clear_body(res);
    res->body = copy;
    res->len = len;
    memcpy(res->content_type, content_type, ctlen + 1);
    res->status = status;
    res->set = true;
    return RT_OK;
}

int rt_http_respond_json(rt_http_response_t *res, unsigned status, const char *body)
{
    if (body == NULL)
        return RT_EINVAL;
    return response_set(res, status, CONTENT_TYPE_JSON, body, strlen(body));
}

int rt_http_respond_jsonv(rt_http_response_t *res, unsigned status, json_t *value)
{
    int rc = RT_ENOMEM;
    char *text = NULL;
    if (res == NULL || status < 100 || status > 599) {
        rc = RT_EINVAL;
        goto out;
    }
    if (value == NULL)
        goto out;
    text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text == NULL)
        goto out;
    rc = response_set(res, status, CONTENT_TYPE_JSON, text, strlen(text));
out:
    free(text);
    json_decref(value);
    return rc;
}

int rt_http_respond_error(rt_http_response_t *res, unsigned status, const char *error,
                          const char *detail)
{
    if (error == NULL)
        return RT_EINVAL;
    json_t *body = json_object();
    if (body == NULL || json_object_set_new(body, "error", json_string(error)) != 0 ||
        json_object_set_new(body, "detail", json_string(detail ? detail : "")) != 0) {
        json_decref(body);
        return RT_ENOMEM;
    }
    return rt_http_respond_jsonv(res, status, body);
}

int rt_http_respond_errorf(rt_http_response_t *res, unsigned status, const char *error,
                           const char *fmt, ...)
{
    char detail[DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    if (n < 0)
        detail[0] = '\0';
    return rt_http_respond_error(res, status, error, detail);
}

int rt_http_respond_text(rt_http_response_t *res, unsigned status, const char *content_type,
                         const char *body, size_t len)
{
    return response_set(res, status, content_type, body, len);
}

int rt_http_respond_header(rt_http_response_t *res, const char *name, const char *value)
{
    if (res == NULL || !valid_token(name, 64) || value == NULL || !valid_header_value(value))
        return RT_EINVAL;
    if (res->nhdr == MAX_HEADERS)
        return RT_ERANGE;
    char *n = strdup(name);
    char *v = strdup(value);
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        return RT_ENOMEM;
    }
    res->hdr[res->nhdr].name = n;
    res->hdr[res->nhdr].value = v;
    res->nhdr++;
    return RT_OK;
}

/* ---- streams ---- */

static void stream_release_internal(rt_http_stream_t *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    pthread_mutex_destroy(&s->lock);
    free(s->buf);
    free(s);
}

void rt_http_stream_release(rt_http_stream_t *s)
{
    if (s != NULL)
        stream_release_internal(s);
}

/* Wakes the connection if the reader parked it. Stream lock held. */
static void stream_kick(rt_http_stream_t *s)
{
    if (s->suspended && s->conn != NULL) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    }
}

/* Stream lock held. The caller logs after unlocking (a log sink may write to streams). */
static void stream_drop(rt_http_stream_t *s)
{
    s->state = ST_DROPPED;
    if (s->fd >= 0)
        shutdown(s->fd, SHUT_RDWR); /* the connection fails now, not at the idle timeout */
    stream_kick(s);
}

static void ring_put(rt_http_stream_t *s, const char *p, size_t n)
{
    while (n > 0) {
        size_t tail = (s->head + s->len) % s->cap;
        size_t chunk = s->cap - tail;
        if (chunk > n)
            chunk = n;
        memcpy(s->buf + tail, p, chunk);
        s->len += chunk;
        p += chunk;
        n -= chunk;
    }
}

static size_t ring_get(rt_http_stream_t *s, char *dst, size_t max)
{
    size_t done = 0;
    while (done < max && s->len > 0) {
        size_t chunk = s->cap - s->head;
        if (chunk > s->len)
            chunk = s->len;
        if (chunk > max - done)
            chunk = max - done;
        memcpy(dst + done, s->buf + s->head, chunk);
        s->head = (s->head + chunk) % s->cap;
        s->len -= chunk;
        done += chunk;
    }
    return done;
}

/* Walks data line by line (split at CR, LF, CRLF): with s NULL it only counts the bytes. */
static size_t sse_encode(rt_http_stream_t *s, const char *event, const char *data)
{
    size_t n = 0;
    if (event != NULL) {
        size_t el = strlen(event);
        if (s) {
            ring_put(s, "event: ", 7);
            ring_put(s, event, el);
            ring_put(s, "\n", 1);
        }
        n += 7 + el + 1;
    }
    const char *p = data;
    for (;;) {
        size_t l = strcspn(p, "\r\n");
        if (s) {
            ring_put(s, "data: ", 6);
            ring_put(s, p, l);
            ring_put(s, "\n", 1);
        }
        n += 6 + l + 1;
        p += l;
        if (*p == '\0')
            break;
        p += (p[0] == '\r' && p[1] == '\n') ? 2 : 1;
    }
    if (s)
        ring_put(s, "\n", 1);
    return n + 1;
}

int rt_http_stream_send(rt_http_stream_t *s, const char *event, const char *data)
{
    if (s == NULL)
        return RT_EINVAL;
    if (event != NULL &&
        (strnlen(event, SSE_EVENT_NAME_MAX + 1) > SSE_EVENT_NAME_MAX || strpbrk(event, "\r\n")))
        return RT_EINVAL;
    if (data == NULL)
        data = "";
    size_t need = sse_encode(NULL, event, data);
    int rc;
    bool dropped = false;
    size_t backlog = 0;
    pthread_mutex_lock(&s->lock);
    if (s->state != ST_PENDING && s->state != ST_OPEN) {
        rc = RT_ECONN;
    } else if (need > s->cap) {
        rc = RT_ETOOBIG;
    } else if (need > s->cap - s->len) {
        backlog = s->len;
        stream_drop(s);
        dropped = true;
        rc = RT_ECONN;
    } else {
        sse_encode(s, event, data);
        s->last_ms = rt_time_mono_ms();
        stream_kick(s);
        rc = RT_OK;
    }
    pthread_mutex_unlock(&s->lock);
    if (dropped)
        rt_log_warn(MOD, "sse: client too slow, dropped backlog=%zu need=%zu", backlog, need);
    return rc;
}

bool rt_http_stream_is_open(rt_http_stream_t *s)
{
    if (s == NULL)
        return false;
    pthread_mutex_lock(&s->lock);
    bool open = s->state == ST_PENDING || s->state == ST_OPEN;
    pthread_mutex_unlock(&s->lock);
    return open;
}

/* Stream lock held. */
static void stream_close_locked(rt_http_stream_t *s)
{
    if (s->state == ST_PENDING || s->state == ST_OPEN)
        s->state = ST_CLOSING;
    stream_kick(s);
}

void rt_http_stream_close(rt_http_stream_t *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    stream_close_locked(s);
    pthread_mutex_unlock(&s->lock);
}

/* Keep-alive from the ticker (server lock held). A comment that does not fit means the client
 * is far behind: it is dropped like for an event. */
static void stream_keepalive(rt_http_stream_t *s, int64_t now_ms, int64_t keepalive_ms)
{
    static const char comment[] = ":\n\n";
    bool dropped = false;
    pthread_mutex_lock(&s->lock);
    if (s->state == ST_OPEN && now_ms - s->last_ms >= keepalive_ms) {
        if (sizeof comment - 1 > s->cap - s->len) {
            stream_drop(s);
            dropped = true;
        } else {
            ring_put(s, comment, sizeof comment - 1);
            s->last_ms = now_ms;
            stream_kick(s);
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (dropped)
        rt_log_warn(MOD, "sse: client too slow, dropped at keep-alive");
}

/* libmicrohttpd's content reader: hands out what is buffered, parks the connection when there
 * is nothing, ends the body on close or drop. */
static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    rt_http_stream_t *s = cls;
    ssize_t ret;
    (void)pos;
    pthread_mutex_lock(&s->lock);
    if (s->state == ST_DROPPED || s->state == ST_DONE || s->conn == NULL) {
        ret = MHD_CONTENT_READER_END_WITH_ERROR;
    } else if (s->len > 0) {
        ret = (ssize_t)ring_get(s, buf, max);
    } else if (s->state == ST_CLOSING) {
        ret = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        s->suspended = true;
        MHD_suspend_connection(s->conn);
        ret = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static void sse_response_free(void *cls)
{
    stream_release_internal(cls);
}

static void gauge_streams(rt_http_server_t *srv)
{
    if (srv->m_sse)
        rt_gauge_set(srv->m_sse, (double)srv->nstreams);
}

/* The SSE response is about to be queued on conn: the stream goes live. */
static void stream_activate(rt_http_server_t *srv, rt_http_stream_t *s, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    pthread_mutex_lock(&srv->lock);
    pthread_mutex_lock(&s->lock);
    if (s->state == ST_PENDING)
        s->state = srv->stopping ? ST_CLOSING : ST_OPEN;
    s->conn = conn;
    s->fd = ci ? ci->connect_fd : -1;
    s->last_ms = rt_time_mono_ms();
    pthread_mutex_unlock(&s->lock);
    s->prev = NULL;
    s->next = srv->streams;
    if (srv->streams)
        srv->streams->prev = s;
    srv->streams = s;
    s->listed = true;
    srv->nstreams++;
    gauge_streams(srv);
    pthread_mutex_unlock(&srv->lock);
}

/* The request that carried the stream completed: the stream ends, its owner hears of it, the
 * request's reference goes. */
static void stream_finish(rt_http_server_t *srv, rt_http_stream_t *s)
{
    pthread_mutex_lock(&s->lock);
    s->state = ST_DONE;
    s->conn = NULL;
    s->fd = -1;
    s->suspended = false;
    rt_http_stream_close_fn fn = s->on_close;
    void *ud = s->on_close_ud;
    s->on_close = NULL;
    pthread_mutex_unlock(&s->lock);

    pthread_mutex_lock(&srv->lock);
    if (s->listed) {
        if (s->prev)
            s->prev->next = s->next;
        else
            srv->streams = s->next;
        if (s->next)
            s->next->prev = s->prev;
        s->listed = false;
        srv->nstreams--;
        gauge_streams(srv);
    }
    pthread_mutex_unlock(&srv->lock);

    if (fn)
        fn(ud, s);
    stream_release_internal(s);
}

int rt_http_respond_sse(rt_http_response_t *res, rt_http_stream_close_fn on_close, void *ud,
                        rt_http_stream_t **out)
{
    static const char hello[] = ":ok\n\n"; /* gets headers and a first byte out at once */
    if (res == NULL || out == NULL)
        return RT_EINVAL;
    if (res->stream != NULL)
        return RT_EEXIST;
    rt_http_server_t *srv = res->srv;
    pthread_mutex_lock(&srv->lock);
    bool stopping = srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    if (stopping) {
        rt_http_respond_error(res, 503, "unavailable", "the server is stopping");
        return RT_ESTATE;
    }
    rt_http_stream_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return RT_ENOMEM;
    s->buf = malloc(srv->sse_buffer);
    if (s->buf == NULL || pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s->buf);
        free(s);
        return RT_ENOMEM;
    }
    atomic_init(&s->refs, 2); /* the request's and the caller's */
    s->state = ST_PENDING;
    s->fd = -1;
    s->cap = srv->sse_buffer;
    s->on_close = on_close;
    s->on_close_ud = ud;
    ring_put(s, hello, sizeof hello - 1);
    s->last_ms = rt_time_mono_ms();
    response_clear_body(res);
    res->stream = s;
    res->sse = true;
    res->set = true;
    res->status = 200;
    *out = s;
    return RT_OK;
}

/* ---- requests ---- */

const char *rt_http_method(const rt_http_request_t *req)
{
    return req->method;
}

const char *rt_http_path(const rt_http_request_t *req)
{
    return req->path;
}

const char *rt_http_param(const rt_http_request_t *req, const char *name)
{
    const struct route *r = req->route;
    if (r == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < r->nseg; i++) {
        if (r->param[i] && strcmp(r->seg[i], name) == 0)
            return req->seg[i];
    }
    return NULL;
}

struct query_find {
    const char *name;
    bool found;
    const char *value;
};

static enum MHD_Result query_find_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    struct query_find *q = cls;
    (void)kind;
    (void)key_size;
    (void)value_size;
    if (key != NULL && strcmp(key, q->name) == 0) {
        q->found = true;
        q->value = value ? value : "";
        return MHD_NO; /* first occurrence wins */
    }
    return MHD_YES;
}

bool rt_http_query(const rt_http_request_t *req, const char *name, const char **value)
{
    if (req == NULL || name == NULL)
        return false;
    struct query_find q = {.name = name};
    MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, query_find_cb, &q);
    if (q.found && value)
        *value = q.value;
    return q.found;
}

int rt_http_query_int(const rt_http_request_t *req, rt_http_response_t *res, const char *name,
                      int64_t min, int64_t max, int64_t dflt, int64_t *out)
{
    const char *v;
    if (!rt_http_query(req, name, &v)) {
        *out = dflt;
        return RT_OK;
    }
    int64_t n;
    if (rt_str_parse_int64(v, &n) != RT_OK || n < min || n > max) {
        rt_http_respond_errorf(res, 400, "bad_request",
                               "query parameter %s must be an integer in [%lld, %lld]", name,
                               (long long)min, (long long)max);
        return RT_EINVAL;
    }
    *out = n;
    return RT_OK;
}

const char *rt_http_header(const rt_http_request_t *req, const char *name)
{
    if (req == NULL || name == NULL)
        return NULL;
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *rt_http_body(const rt_http_request_t *req, size_t *len)
{
    if (len)
        *len = req->body ? req->body_len : 0;
    return req->body ? req->body : "";
}

int rt_http_body_json(const rt_http_request_t *req, rt_http_response_t *res, json_t **out)
{
    if (req->body == NULL || req->body_len == 0) {
        rt_http_respond_error(res, 400, "bad_request", "empty body: a JSON object is expected");
        return RT_EINVAL;
    }
    json_error_t err;
    json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL) {
        rt_http_respond_errorf(res, 400, "bad_request", "invalid JSON at line %d column %d: %s",
                               err.line, err.column, err.text);
        return RT_EINVAL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        rt_http_respond_error(res, 400, "bad_request", "the body must be a JSON object");
        return RT_EINVAL;
    }
    *out = j;
    return RT_OK;
}

static void request_free(rt_http_request_t *req)
{
    if (req == NULL)
        return;
    free(req->path);
    free(req->segbuf);
    free(req->body);
    free(req->res.body);
    for (size_t i = 0; i < req->res.nhdr; i++) {
        free(req->res.hdr[i].name);
        free(req->res.hdr[i].value);
    }
    free(req);
}

/* Splits "/a/b" into segments ("/" has none). Empty segments are kept (they match nothing). */
static void request_split(rt_http_request_t *req)
{
    req->nseg = 0;
    if (req->path[0] != '/') {
        req->nseg = MAX_SEGS + 1;
        return;
    }
    if (req->path[1] == '\0')
        return;
    char *p = req->segbuf;
    for (;;) {
        if (req->nseg == MAX_SEGS) {
            req->nseg = MAX_SEGS + 1;
            return;
        }
        req->seg[req->nseg++] = p;
        char *slash = strchr(p, '/');
        if (slash == NULL)
            return;
        *slash = '\0';
        p = slash + 1;
    }
}

static int request_new(rt_http_server_t *srv, struct MHD_Connection *conn, const char *url,
                       const char *method, rt_http_request_t **out)
{
    rt_http_request_t *req = calloc(1, sizeof *req);
    if (req == NULL)
        return RT_ENOMEM;
    req->srv = srv;
    req->conn = conn;
    req->res.srv = srv;
    req->start_ns = rt_time_mono_ns();
    snprintf(req->method, sizeof req->method, "%s", method ? method : "");
    req->path = strdup(url ? url : "");
    req->segbuf = strdup(url && url[0] == '/' ? url + 1 : "");
    if (req->path == NULL || req->segbuf == NULL) {
        request_free(req);
        return RT_ENOMEM;
    }
    request_split(req);
    *out = req;
    return RT_OK;
}

static bool route_matches_path(const struct route *r, const rt_http_request_t *req)
{
    if (r->nseg != req->nseg)
        return false;
    for (size_t i = 0; i < r->nseg; i++) {
        if (r->param[i] ? req->seg[i][0] == '\0' : strcmp(r->seg[i], req->seg[i]) != 0)
            return false;
    }
    return true;
}

/* a wins over b when, at the first position where they differ, a has the literal. */
static bool route_more_specific(const struct route *a, const struct route *b)
{
    for (size_t i = 0; i < a->nseg; i++) {
        if (a->param[i] != b->param[i])
            return !a->param[i];
    }
    return false;
}

struct query_check {
    size_t count;
    bool nul;
};

static enum MHD_Result query_check_cb(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_size, const char *value, size_t value_size)
{
    struct query_check *q = cls;
    (void)kind;
    q->count++;
    if (key == NULL || strlen(key) != key_size || (value && strlen(value) != value_size))
        q->nul = true;
    return MHD_YES;
}

static bool bearer_ok(const rt_http_server_t *srv, const char *h, const char **why)
{
    if (h == NULL) {
        *why = "missing bearer token";
        return false;
    }
    if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t')) {
        *why = "the Authorization scheme must be Bearer";
        return false;
    }
    const char *t = h + 6;
    while (*t == ' ' || *t == '\t')
        t++;
    size_t n = strlen(t);
    while (n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    /* Compare digests: constant time whatever the lengths, and the token is never kept. */
    unsigned char d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)t, n, d);
    bool ok = srv->has_token && n > 0 && CRYPTO_memcmp(d, srv->token_digest, sizeof d) == 0;
    OPENSSL_cleanse(d, sizeof d);
    if (!ok)
        *why = "invalid token";
    return ok;
}

/* First call: everything that can be decided from the request line and headers. Sets an early
 * response, or leaves req->res unset to go on with the body. */
static void request_begin(rt_http_request_t *req)
{
    rt_http_server_t *srv = req->srv;
    rt_http_response_t *res = &req->res;

    pthread_mutex_lock(&srv->lock);
    bool stopping = srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    if (stopping) {
        rt_http_respond_error(res, 503, "unavailable", "the server is stopping");
        rt_http_respond_header(res, "Connection", "close");
        return;
    }

    struct query_check qc = {0};
    MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, query_check_cb, &qc);
    if (qc.nul || qc.count > MAX_QUERY_ARGS) {
        rt_http_respond_error(res, 400, "bad_request",
                              qc.nul ? "a query parameter contains a NUL byte"
                                     : "too many query parameters");
        return;
    }

    const struct route *best = NULL;
    bool path_known = false;
    for (size_t i = 0; i < srv->nroutes; i++) {
        const struct route *r = &srv->routes[i];
        if (!route_matches_path(r, req))
            continue;
        path_known = true;
        if (strcmp(r->method, req->method) == 0 && (best == NULL || route_more_specific(r, best)))
            best = r;
    }
    if (best == NULL && !path_known) {
        rt_http_respond_errorf(res, 404, "not_found", "no route for %s %.200s", req->method,
                               req->path);
        return;
    }
    if (best == NULL) {
        char allow[128] = "";
        size_t used = 0;
        for (size_t i = 0; i < srv->nroutes; i++) {
            const struct route *r = &srv->routes[i];
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = strcmp(srv->routes[j].method, r->method) == 0 &&
                       route_matches_path(&srv->routes[j], req);
            if (seen || !route_matches_path(r, req))
                continue;
            int n =
                snprintf(allow + used, sizeof allow - used, "%s%s", used ? ", " : "", r->method);
            if (n < 0 || (size_t)n >= sizeof allow - used)
                break; /* a shorter Allow list is still a valid one */
            used += (size_t)n;
        }
        rt_http_respond_errorf(res, 405, "method_not_allowed", "%s is not allowed on %.200s",
                               req->method, req->path);
        rt_http_respond_header(res, "Allow", allow);
        return;
    }
    req->route = best;

    if (best->flags & RT_HTTP_AUTH) {
        const char *why = NULL;
        if (!bearer_ok(srv,
                       MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION),
                       &why)) {
            rt_http_respond_error(res, 401, "unauthorized", why);
            rt_http_respond_header(res, "WWW-Authenticate", "Bearer");
            return;
        }
    }

    if (req->content_length > (int64_t)srv->max_body) {
        rt_http_respond_errorf(res, 413, "payload_too_large", "the body is larger than %zu bytes",
                               srv->max_body);
        return;
    }
}

/* What the headers say of the body to come. */
static void request_body_headers(rt_http_request_t *req)
{
    req->content_length = -1;
    const char *cl =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end != cl && *end == '\0' && cl[0] != '-')
            req->content_length = (errno == ERANGE || n > INT64_MAX) ? INT64_MAX : (int64_t)n;
    }
    req->chunked = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
    const char *expect =
        MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    req->expect_continue = expect != NULL && strcasecmp(expect, "100-continue") == 0;
}

/* An answer decided from the headers goes out at once if no body follows, or if the client
 * waits for a go (Expect: 100-continue) or announced more than we would read. Otherwise the
 * body is read and thrown away first: answering while the client is still sending makes the
 * close reset the connection, and the client may never see the answer. */
static bool request_answer_now(const rt_http_request_t *req)
{
    int64_t drain = (int64_t)req->srv->max_body + DRAIN_MAX;
    if (req->expect_continue)
        return true;
    if (req->chunked)
        return false;
    return req->content_length <= 0 || req->content_length > drain;
}

/* A piece of body. Past the limit (a chunked upload: a Content-Length was checked first), or
 * when the answer is already decided, the body is read and thrown away; past DRAIN_MAX more
 * than the limit we hang up. */
static int request_take_body(rt_http_request_t *req, const char *data, size_t n)
{
    rt_http_server_t *srv = req->srv;
    if (req->sent_status != 0)
        return RT_OK;
    if (!req->discard && n > srv->max_body - req->body_len) {
        req->too_big = true;
        req->discard = true;
        req->discarded = req->body_len;
        free(req->body);
        req->body = NULL;
        req->body_len = 0;
    }
    if (req->discard) {
        req->discarded += n;
        return req->discarded > srv->max_body + DRAIN_MAX ? RT_ETOOBIG : RT_OK;
    }
    if (req->body_len + n + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : 1024;
        while (cap < req->body_len + n + 1)
            cap *= 2;
        if (cap > srv->max_body + 1)
            cap = srv->max_body + 1;
        char *p = realloc(req->body, cap);
        if (p == NULL)
            return RT_ENOMEM;
        req->body = p;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, n);
    req->body_len += n;
    req->body[req->body_len] = '\0';
    return RT_OK;
}

static void request_run(rt_http_request_t *req)
{
    rt_http_response_t *res = &req->res;
    const struct route *r = req->route;
    if (req->too_big) {
        rt_http_respond_errorf(res, 413, "payload_too_large", "the body is larger than %zu bytes",
                               req->srv->max_body);
        return;
    }
    if (r == NULL) { /* cannot happen: unrouted requests were answered on the first call */
        rt_http_respond_error(res, 500, "internal", "no route");
        return;
    }
    int rc = r->fn(r->ud, req, res);
    if (!res->set) {
        unsigned status = rc < 0 ? err_status(rc) : 500;
        rt_http_respond_error(res, status, status_error_name(status),
                              rc < 0 ? rt_strerror(rc) : "the handler sent no response");
        if (rc == 0)
            rt_log_warn(MOD, "handler sent no response route=\"%s %s\"", r->method, r->pattern);
    }
    if (rc < 0 && res->status >= 500)
        rt_log_warn(MOD, "handler failed route=\"%s %s\" status=%u err=%s", r->method, r->pattern,
                    res->status, rt_strerror(rc));
}

/* Turns req->res into a libmicrohttpd response and queues it. */
static enum MHD_Result request_send(rt_http_request_t *req)
{
    rt_http_response_t *res = &req->res;
    rt_http_stream_t *s = res->sse ? res->stream : NULL;
    struct MHD_Response *mr;
    if (s != NULL) {
        atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed); /* the response's */
        mr = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, sse_read, s,
                                               sse_response_free);
        if (mr == NULL) {
            stream_release_internal(s);
            return MHD_NO;
        }
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(mr, "X-Accel-Buffering", "no"); /* nginx: do not buffer */
    } else {
        if (res->body == NULL && response_set(res, res->status, res->content_type, "", 0) < 0)
            return MHD_NO;
        mr = MHD_create_response_from_buffer(res->len, res->body, MHD_RESPMEM_MUST_COPY);
        if (mr == NULL)
            return MHD_NO;
        MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    }
    for (size_t i = 0; i < res->nhdr; i++) {
        if (MHD_add_response_header(mr, res->hdr[i].name, res->hdr[i].value) != MHD_YES)
            rt_log_warn(MOD, "response header refused name=%s", res->hdr[i].name);
    }
    if (s != NULL)
        stream_activate(req->srv, s, req->conn);
    enum MHD_Result ret = MHD_queue_response(req->conn, res->status, mr);
    MHD_destroy_response(mr);
    if (ret == MHD_YES)
        req->sent_status = res->status;
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    rt_http_server_t *srv = cls;
    rt_http_request_t *req = *con_cls;
    (void)version;
    if (req == NULL) {
        if (request_new(srv, conn, url, method, &req) < 0)
            return MHD_NO;
        *con_cls = req;
        pthread_mutex_lock(&srv->lock);
        srv->inflight++;
        pthread_mutex_unlock(&srv->lock);
        request_body_headers(req);
        request_begin(req);
        if (!req->res.set)
            return MHD_YES;
        if (request_answer_now(req))
            return request_send(req);
        req->discard = true;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        int rc = request_take_body(req, upload_data, n);
        if (rc < 0)
            rt_log_warn(MOD, "body refused, connection closed path=%.200s err=%s", req->path,
                        rt_strerror(rc));
        return rc == 0 ? MHD_YES : MHD_NO;
    }
    if (req->sent_status != 0)
        return MHD_YES;
    if (!req->res.set) /* else: decided from the headers, body thrown away */
        request_run(req);
    return request_send(req);
}

static const char *termination_name(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return "ok";
    case MHD_REQUEST_TERMINATED_WITH_ERROR:
        return "error";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "shutdown";
    case MHD_REQUEST_TERMINATED_READ_ERROR:
        return "read_error";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client_abort";
    }
    return "?";
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    rt_http_server_t *srv = cls;
    rt_http_request_t *req = *con_cls;
    (void)conn;
    if (req == NULL)
        return;
    *con_cls = NULL;
    if (req->res.stream != NULL)
        stream_finish(srv, req->res.stream);

    int64_t ns = rt_time_mono_ns() - req->start_ns;
    unsigned status = req->sent_status;
    if (status >= 500)
        rt_log_warn(MOD, "%s %.200s status=%u ms=%.3f end=%s", req->method, req->path, status,
                    (double)ns / 1e6, termination_name(toe));
    else
        rt_log_debug(MOD, "%s %.200s status=%u ms=%.3f end=%s", req->method, req->path, status,
                     (double)ns / 1e6, termination_name(toe));
    if (srv->m_requests) {
        char code[8];
        rt_series_t *s;
        snprintf(code, sizeof code, "%u", status);
        if (rt_metric_series(srv->m_requests, (const char *[]){code}, &s) == RT_OK)
            rt_counter_inc(s);
    }
    if (srv->m_duration)
        rt_histogram_observe(srv->m_duration, (double)ns / 1e9);
    request_free(req);

    pthread_mutex_lock(&srv->lock);
    srv->inflight--;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    rt_http_server_t *srv = cls;
    char msg[512];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        return;
    size_t len = strlen(msg);
    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = '\0';
    rt_log_level_t level = atomic_load(&srv->mhd_loud) ? RT_LOG_WARN : RT_LOG_DEBUG;
    RT_LOG(level, MOD, "libmicrohttpd: %s", msg);
}

/* ---- built-in routes ---- */

static int health_handler(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    rt_http_server_t *srv = ud;
    (void)req;
    json_t *details = json_object();
    if (details == NULL)
        return RT_ENOMEM;
    int rc = srv->health ? srv->health(srv->health_ud, details) : RT_OK;
    json_t *body = json_object();
    if (body == NULL) {
        json_decref(details);
        return RT_ENOMEM;
    }
    json_object_set_new(body, "status", json_string(rc == RT_OK ? "ok" : "unavailable"));
    json_object_set_new(body, "service", json_string(srv->service));
    json_object_set_new(body, "uptime_s",
                        json_integer((json_int_t)((rt_time_mono_ms() - srv->started_ms) / 1000)));
    if (rc != RT_OK)
        json_object_set_new(body, "detail", json_string(rt_strerror(rc)));
    json_object_set_new(body, "details", details);
    return rt_http_respond_jsonv(res, rc == RT_OK ? 200 : 503, body);
}

static int metrics_handler(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    rt_http_server_t *srv = ud;
    char *text = NULL;
    size_t len = 0;
    (void)req;
    if (srv->metrics) {
        int rc = rt_metrics_render(srv->metrics, &text, &len);
        if (rc < 0)
            return rc;
    }
    int rc = rt_http_respond_text(res, 200, CONTENT_TYPE_METRICS, text ? text : "", len);
    free(text);
    return rc;
}

/* ---- server ---- */

static void route_cleanup(struct route *r)
{
    free(r->pattern);
    for (size_t i = 0; i < r->nseg; i++)
        free(r->seg[i]);
}

static bool valid_param_name(const char *s, size_t n)
{
    if (n == 0 || n >= MAX_PARAM_NAME)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

static bool valid_literal(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || strchr("{}?#%\"<>\\^`|", c) != NULL)
            return false;
    }
    return true;
}

/* Parses pattern into r (segments owned by r). */
static int route_parse(struct route *r, const char *pattern)
{
    if (pattern == NULL || pattern[0] != '/')
        return RT_EINVAL;
    r->pattern = strdup(pattern);
    if (r->pattern == NULL)
        return RT_ENOMEM;
    if (pattern[1] == '\0')
        return RT_OK;
    const char *p = pattern + 1;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || r->nseg == MAX_SEGS)
            return RT_EINVAL;
        bool param = p[0] == '{';
        if (param) {
            if (n < 3 || p[n - 1] != '}' || !valid_param_name(p + 1, n - 2))
                return RT_EINVAL;
            for (size_t i = 0; i < r->nseg; i++) {
                if (r->param[i] && strlen(r->seg[i]) == n - 2 &&
                    memcmp(r->seg[i], p + 1, n - 2) == 0)
                    return RT_EINVAL;
            }
        } else if (!valid_literal(p, n)) {
            return RT_EINVAL;
        }
        char *seg = param ? strndup(p + 1, n - 2) : strndup(p, n);
        if (seg == NULL)
            return RT_ENOMEM;
        r->seg[r->nseg] = seg;
        r->param[r->nseg] = param;
        r->nseg++;
        if (slash == NULL)
            return RT_OK;
        p = slash + 1;
    }
}

static bool route_same_shape(const struct route *a, const struct route *b)
{
    if (a->nseg != b->nseg || strcmp(a->method, b->method) != 0)
        return false;
    for (size_t i = 0; i < a->nseg; i++) {
        if (a->param[i] != b->param[i])
            return false;
        if (!a->param[i] && strcmp(a->seg[i], b->seg[i]) != 0)
            return false;
    }
    return true;
}

int rt_http_server_route(rt_http_server_t *srv, const char *method, const char *pattern,
                         unsigned flags, rt_http_handler_fn fn, void *ud)
{
    int rc = RT_EINVAL;
    struct route r = {0};
    if (srv == NULL || fn == NULL || (flags & ~RT_HTTP_AUTH) != 0 || method == NULL)
        goto out;
    size_t ml = strlen(method);
    if (ml == 0 || ml >= MAX_METHOD)
        goto out;
    for (size_t i = 0; i < ml; i++) {
        if (method[i] < 'A' || method[i] > 'Z')
            goto out;
    }
    if (srv->daemon != NULL) {
        rc = RT_ESTATE;
        goto out;
    }
    memcpy(r.method, method, ml + 1);
    rc = route_parse(&r, pattern);
    if (rc < 0)
        goto out;
    r.flags = flags;
    r.fn = fn;
    r.ud = ud;
    for (size_t i = 0; i < srv->nroutes; i++) {
        if (route_same_shape(&srv->routes[i], &r)) {
            rc = RT_EEXIST;
            goto out;
        }
    }
    if (srv->nroutes == srv->route_cap) {
        size_t cap = srv->route_cap ? srv->route_cap * 2 : 16;
        struct route *p = realloc(srv->routes, cap * sizeof *p);
        if (p == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
        srv->routes = p;
        srv->route_cap = cap;
    }
    srv->routes[srv->nroutes++] = r;
    memset(&r, 0, sizeof r);
    rc = RT_OK;
out:
    route_cleanup(&r);
    return rc;
}

static int resolve_host(rt_http_server_t *srv, const char *host)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, NULL, &hints, &res);
    if (gai != 0 || res == NULL) {
        rt_log_error(MOD, "cannot resolve host=%s: %s", host, gai_strerror(gai));
        return RT_EINVAL;
    }
    int rc = RT_EINVAL;
    if ((res->ai_family == AF_INET || res->ai_family == AF_INET6) &&
        res->ai_addrlen <= sizeof srv->addr) {
        memcpy(&srv->addr, res->ai_addr, res->ai_addrlen);
        srv->addrlen = res->ai_addrlen;
        srv->ipv6 = res->ai_family == AF_INET6;
        rc = RT_OK;
    }
    freeaddrinfo(res);
    return rc;
}

static void register_metrics(rt_http_server_t *srv)
{
    static const double buckets[] = {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5};
    rt_metric_t *m;
    if (srv->metrics == NULL)
        return;
    if (rt_metrics_counter(srv->metrics, "http_requests_total", "HTTP requests by status code.",
                           "code", 32, &m) == RT_OK)
        srv->m_requests = m;
    if (rt_metrics_histogram(srv->metrics, "http_request_duration_seconds",
                             "HTTP request duration (streams: their lifetime).", NULL, 0, buckets,
                             sizeof buckets / sizeof buckets[0], &m) == RT_OK)
        (void)rt_metric_series(m, NULL, &srv->m_duration);
    if (rt_metrics_gauge(srv->metrics, "http_sse_clients", "Open Server-Sent Events streams.", NULL,
                         0, &m) == RT_OK)
        (void)rt_metric_series(m, NULL, &srv->m_sse);
    if (srv->m_requests == NULL || srv->m_duration == NULL || srv->m_sse == NULL)
        rt_log_warn(MOD, "http metrics not all registered (already in the registry?)");
}

int rt_http_server_new(const rt_http_config_t *cfg, rt_http_server_t **out)
{
    int rc = RT_EINVAL;
    rt_http_server_t *srv = NULL;
    bool lock_ok = false, cond_ok = false;
    pthread_condattr_t ca;
    if (cfg == NULL || out == NULL)
        goto out;
    if (cfg->api_token != NULL && cfg->api_token[0] != '\0') {
        for (const char *t = cfg->api_token; *t; t++) {
            if (*t < 0x21 || *t > 0x7e) {
                rt_log_error(MOD, "api token must be visible ASCII without spaces");
                goto out;
            }
        }
    }
    if (cfg->threads > MAX_THREADS || cfg->sse_keepalive_ms < 0 || cfg->stop_grace_ms < 0 ||
        (cfg->sse_buffer != 0 && cfg->sse_buffer < SSE_MIN_BUFFER) || cfg->max_body > SIZE_MAX / 2)
        goto out;
    rc = RT_ENOMEM;
    srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        goto out;
    snprintf(srv->service, sizeof srv->service, "%s", cfg->service ? cfg->service : "-");
    rc = resolve_host(srv, cfg->host ? cfg->host : "127.0.0.1");
    if (rc < 0)
        goto out;
    srv->port = cfg->port;
    if (cfg->api_token != NULL && cfg->api_token[0] != '\0') {
        SHA256((const unsigned char *)cfg->api_token, strlen(cfg->api_token), srv->token_digest);
        srv->has_token = true;
    }
    srv->max_body = cfg->max_body ? cfg->max_body : RT_HTTP_DEFAULT_MAX_BODY;
    srv->threads = cfg->threads ? cfg->threads : 4;
    srv->max_connections = cfg->max_connections ? cfg->max_connections : 256;
    srv->timeout_s = cfg->timeout_s ? cfg->timeout_s : 30;
    srv->sse_buffer = cfg->sse_buffer ? cfg->sse_buffer : RT_HTTP_DEFAULT_SSE_BUFFER;
    srv->keepalive_ms = cfg->sse_keepalive_ms ? cfg->sse_keepalive_ms : 15000;
    srv->grace_ms = cfg->stop_grace_ms ? cfg->stop_grace_ms : 5000;
    srv->metrics = cfg->metrics;
    srv->health = cfg->health;
    srv->health_ud = cfg->health_ud;
    atomic_init(&srv->mhd_loud, true);

    rc = RT_ENOMEM;
    if (pthread_mutex_init(&srv->lock, NULL) != 0)
        goto out;
    lock_ok = true;
    if (pthread_condattr_init(&ca) != 0)
        goto out;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    cond_ok = pthread_cond_init(&srv->cond, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!cond_ok)
        goto out;

    rc = rt_http_server_route(srv, "GET", "/health", 0, health_handler, srv);
    if (rc < 0)
        goto out;
    rc = rt_http_server_route(srv, "GET", "/metrics", 0, metrics_handler, srv);
    if (rc < 0)
        goto out;
    register_metrics(srv);
    *out = srv;
    srv = NULL;
    rc = RT_OK;
out:
    if (srv != NULL) {
        for (size_t i = 0; i < srv->nroutes; i++)
            route_cleanup(&srv->routes[i]);
        free(srv->routes);
        if (cond_ok)
            pthread_cond_destroy(&srv->cond);
        if (lock_ok)
            pthread_mutex_destroy(&srv->lock);
        OPENSSL_cleanse(srv->token_digest, sizeof srv->token_digest);
        free(srv);
    }
    return rc;
}

static void *ticker_main(void *arg)
{
    rt_http_server_t *srv = arg;
    int64_t period = srv->keepalive_ms / 2;
    if (period < 20)
        period = 20;
    if (period > 1000)
        period = 1000;
    pthread_mutex_lock(&srv->lock);
    while (!srv->ticker_stop) {
        struct timespec ts;
        timespec_after_ms(&ts, period);
        pthread_cond_timedwait(&srv->cond, &srv->lock, &ts);
        if (srv->ticker_stop)
            break;
        int64_t now = rt_time_mono_ms();
        for (rt_http_stream_t *s = srv->streams; s; s = s->next)
            stream_keepalive(s, now, srv->keepalive_ms);
    }
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

int rt_http_server_start(rt_http_server_t *srv)
{
    if (srv == NULL)
        return RT_EINVAL;
    if (srv->daemon != NULL)
        return RT_ESTATE;
    for (size_t i = 0; i < srv->nroutes; i++) {
        if ((srv->routes[i].flags & RT_HTTP_AUTH) && !srv->has_token) {
            rt_log_error(MOD, "route \"%s %s\" needs a token and the server has none",
                         srv->routes[i].method, srv->routes[i].pattern);
            return RT_EINVAL;
        }
    }
    if (srv->ipv6)
        ((struct sockaddr_in6 *)&srv->addr)->sin6_port = htons(srv->port);
    else
        ((struct sockaddr_in *)&srv->addr)->sin_port = htons(srv->port);

    pthread_mutex_lock(&srv->lock);
    srv->stopping = false;
    srv->ticker_stop = false;
    pthread_mutex_unlock(&srv->lock);
    srv->started_ms = rt_time_mono_ms();
    atomic_store(&srv->mhd_loud, true);
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (srv->ipv6)
        flags |= MHD_USE_IPv6;
    // clang-format off
    /* one option per line */
    srv->daemon = MHD_start_daemon(
        flags, srv->port, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv, /* first, to catch every message */
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&srv->addr,
        MHD_OPTION_THREAD_POOL_SIZE, srv->threads,
        MHD_OPTION_CONNECTION_LIMIT, srv->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, srv->timeout_s,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_END);
    // clang-format on
    if (srv->daemon == NULL) {
        rt_log_error(MOD, "cannot listen service=%s port=%u", srv->service, srv->port);
        return RT_EIO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->bound_port = di ? di->port : srv->port;
    if (pthread_create(&srv->ticker, NULL, ticker_main, srv) != 0) {
        rt_log_error(MOD, "cannot start the stream ticker thread");
        MHD_stop_daemon(srv->daemon);
        srv->daemon = NULL;
        srv->bound_port = 0;
        return RT_EIO;
    }
    srv->ticker_running = true;
    atomic_store(&srv->mhd_loud, false);
    rt_log_info(MOD, "listening service=%s port=%u threads=%u", srv->service, srv->bound_port,
                srv->threads);
    return RT_OK;
}

uint16_t rt_http_server_port(const rt_http_server_t *srv)
{
    return srv && srv->daemon ? srv->bound_port : 0;
}

void rt_http_server_stop(rt_http_server_t *srv)
{
    if (srv == NULL || srv->daemon == NULL)
        return;
    MHD_socket lfd = MHD_quiesce_daemon(srv->daemon);

    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    for (rt_http_stream_t *s = srv->streams; s; s = s->next)
        rt_http_stream_close(s);
    struct timespec deadline;
    timespec_after_ms(&deadline, srv->grace_ms);
    while (srv->inflight > 0) {
        if (pthread_cond_timedwait(&srv->cond, &srv->lock, &deadline) == ETIMEDOUT)
            break;
    }
    if (srv->inflight > 0)
        rt_log_warn(MOD, "stop: closing requests still in flight count=%zu", srv->inflight);
    /* libmicrohttpd must not be stopped with a suspended connection: wake any left. */
    for (rt_http_stream_t *s = srv->streams; s; s = s->next)
        rt_http_stream_close(s);
    srv->ticker_stop = true;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
    if (srv->ticker_running) {
        pthread_join(srv->ticker, NULL);
        srv->ticker_running = false;
    }
    MHD_stop_daemon(srv->daemon);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    srv->daemon = NULL;
    srv->bound_port = 0;
    rt_log_info(MOD, "stopped service=%s", srv->service);
}

void rt_http_server_free(rt_http_server_t *srv)
{
    if (srv == NULL)
        return;
    rt_http_server_stop(srv);
    for (size_t i = 0; i < srv->nroutes; i++)
        route_cleanup(&srv->routes[i]);
    free(srv->routes);
    pthread_cond_destroy(&srv->cond);
    pthread_mutex_destroy(&srv->lock);
    OPENSSL_cleanse(srv->token_digest, sizeof srv->token_digest);
    free(srv);
}
