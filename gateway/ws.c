#include "ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "rt/err.h"
#include "rt/log.h"
#include "rt/str.h"
#include "rt/time.h"

#define MOD "ws"
#define WS_CONN_MAX 64
#define WS_SEND_MAX ((size_t)64 * 1024)
/* libwebsockets 4.1's client cuts longer paths (see GW_PATH_BUDGET). */
#define WS_PATH_MAX ((size_t)1900)
#define WS_REASON_CAP 256

typedef enum { C_IDLE = 0, C_CONNECTING, C_OPEN, C_CLOSING } cstate_t;

/* A message waiting for the socket to become writable (lws needs LWS_PRE bytes before it). */
typedef struct out_msg {
    struct out_msg *next;
    size_t len;
    unsigned char buf[];
} out_msg_t;

typedef struct {
    gw_ws_t *ws;
    size_t idx;
    struct lws *wsi;
    cstate_t state;
    bool reported;  /* on_close was called for the current attempt */
    char *path;     /* of the current attempt (owned) */
    char *rx;       /* reassembly of a fragmented message (max_message bytes) */
    size_t rx_len;  /* bytes of the current message so far (may exceed max when dropped) */
    bool rx_active; /* a message is being reassembled */
    out_msg_t *out_head, *out_tail;
    char close_why[WS_REASON_CAP]; /* ours, when we asked for the close */
    char peer_why[WS_REASON_CAP];  /* the server's close frame */
} conn_t;

struct gw_ws {
    struct lws_context *ctx;
    gw_endpoint_t ep;
    gw_ws_handlers_t h;
    size_t nconn;
    size_t max_message;
    bool freeing; /* handlers are not called while the context is destroyed */
    conn_t *conns;
    lws_sorted_usec_list_t tick;
};

static void lws_emit(int level, const char *line)
{
    char buf[512];
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    rt_str_escape(buf, sizeof buf, line, n);
    if (level & LLL_ERR)
        rt_log_warn("lws", "%s", buf);
    else
        rt_log_debug("lws", "%s", buf);
}

static void out_clear(conn_t *c)
{
    while (c->out_head != NULL) {
        out_msg_t *m = c->out_head;
        c->out_head = m->next;
        free(m);
    }
    c->out_tail = NULL;
}

/* The connection is gone (or never came up): tell the owner once. */
static void report_close(conn_t *c, const char *why)
{
    c->state = C_IDLE;
    c->wsi = NULL;
    c->rx_active = false;
    c->rx_len = 0;
    out_clear(c);
    free(c->path);
    c->path = NULL;
    if (c->reported)
        return;
    c->reported = true;
    gw_ws_t *ws = c->ws;
    if (!ws->freeing && ws->h.on_close != NULL)
        ws->h.on_close(ws->h.ud, c->idx, why);
}

/* The server's close frame: a 2-byte code in network order, then a UTF-8 reason. */
static void note_peer_close(conn_t *c, const unsigned char *in, size_t len)
{
    if (len < 2) {
        rt_str_copy(c->peer_why, sizeof c->peer_why, "server closed without a code");
        return;
    }
    unsigned code = ((unsigned)in[0] << 8) | in[1];
    char reason[160];
    rt_str_escape(reason, sizeof reason, (const char *)in + 2, len - 2);
    snprintf(c->peer_why, sizeof c->peer_why, "server closed: code %u reason \"%s\"", code, reason);
}

static void on_receive(conn_t *c, struct lws *wsi, const char *in, size_t len)
{
    gw_ws_t *ws = c->ws;
    if (!c->rx_active) {
        c->rx_active = true;
        c->rx_len = 0;
    }
    if (c->rx_len <= ws->max_message && len <= ws->max_message - c->rx_len)
        memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return;
    c->rx_active = false;
    if (ws->freeing)
        return;
    if (c->rx_len > ws->max_message) {
        if (ws->h.on_oversized != NULL)
            ws->h.on_oversized(ws->h.ud, c->idx, c->rx_len);
    } else if (ws->h.on_message != NULL) {
        ws->h.on_message(ws->h.ud, c->idx, c->rx, c->rx_len, rt_time_mono_ns());
    }
}

static int on_writable(conn_t *c, struct lws *wsi)
{
    if (c->state == C_CLOSING) {
        size_t n = strlen(c->close_why);
        if (n > 123) /* a close frame's payload is at most 125 bytes, 2 of them the code */
            n = 123;
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, (unsigned char *)c->close_why, n);
        return -1;
    }
    out_msg_t *m = c->out_head;
    if (m == NULL)
        return 0;
    int w = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    c->out_head = m->next;
    if (c->out_head == NULL)
        c->out_tail = NULL;
    free(m);
    if (w < 0) {
        snprintf(c->close_why, sizeof c->close_why, "write failed");
        return -1;
    }
    if (c->out_head != NULL)
        lws_callback_on_writable(wsi);
    return 0;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    conn_t *c = user;
    if (c == NULL)
        return 0; /* context- and vhost-level events */
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        if (c->state == C_IDLE)
            break;
        char why[WS_REASON_CAP];
        snprintf(why, sizeof why, "connect failed: %s",
                 in != NULL ? (const char *)in : "(no reason)");
        report_close(c, why);
        break;
    }
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->state = C_OPEN;
        c->wsi = wsi;
        if (!c->ws->freeing && c->ws->h.on_open != NULL)
            c->ws->h.on_open(c->ws->h.ud, c->idx);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        on_receive(c, wsi, in, len);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writable(c, wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        note_peer_close(c, in, len);
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c->state == C_IDLE)
            break;
        report_close(c, c->peer_why[0]    ? c->peer_why
                        : c->close_why[0] ? c->close_why
                                          : "connection closed by the peer or the network");
        break;
    case LWS_CALLBACK_WSI_DESTROY:
        if (c->wsi == wsi && c->state != C_IDLE)
            report_close(c, c->close_why[0] ? c->close_why : "connection dropped");
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols protocols[] = {
    {"gw-market", ws_callback, 0, 16384, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int gw_ws_new(const gw_endpoint_t *ep, size_t nconn, size_t max_message, const gw_ws_handlers_t *h,
              gw_ws_t **out)
{
    if (ep == NULL || h == NULL || out == NULL || nconn == 0 || nconn > WS_CONN_MAX ||
        max_message == 0)
        return RT_EINVAL;
    int rc = RT_ENOMEM;
    gw_ws_t *ws = calloc(1, sizeof *ws);
    if (ws == NULL)
        return RT_ENOMEM;
    ws->ep = *ep;
    ws->h = *h;
    ws->nconn = nconn;
    ws->max_message = max_message;
    ws->conns = calloc(nconn, sizeof *ws->conns);
    if (ws->conns == NULL)
        goto out;
    for (size_t i = 0; i < nconn; i++) {
        ws->conns[i].ws = ws;
        ws->conns[i].idx = i;
        ws->conns[i].rx = malloc(max_message);
        if (ws->conns[i].rx == NULL)
            goto out;
    }
    lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = ep->tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
    info.user = ws;
    /* Room for a long /stream?streams=... request line: lws keeps the path among the
     * connection's headers (4 KiB by default) and writes the request in pt_serv_buf. */
    info.max_http_header_data = 16 * 1024;
    info.pt_serv_buf_size = 32 * 1024;
    info.fd_limit_per_thread = (unsigned)(16 + 2 * nconn);
    info.timeout_secs = 10;
    info.connect_timeout_secs = 10;
    ws->ctx = lws_create_context(&info);
    if (ws->ctx == NULL) {
        rt_log_error(MOD, "cannot create the libwebsockets context");
        rc = RT_EIO;
        goto out;
    }
    *out = ws;
    return RT_OK;
out:
    gw_ws_free(ws);
    return rc;
}

void gw_ws_free(gw_ws_t *ws)
{
    if (ws == NULL)
        return;
    ws->freeing = true;
    if (ws->ctx != NULL)
        lws_context_destroy(ws->ctx);
    if (ws->conns != NULL) {
        for (size_t i = 0; i < ws->nconn; i++) {
            out_clear(&ws->conns[i]);
            free(ws->conns[i].rx);
            free(ws->conns[i].path);
        }
        free(ws->conns);
    }
    free(ws);
}

int gw_ws_connect(gw_ws_t *ws, size_t conn, const char *path)
{
    if (ws == NULL || conn >= ws->nconn || path == NULL || path[0] != '/' ||
        strlen(path) > WS_PATH_MAX)
        return RT_EINVAL;
    conn_t *c = &ws->conns[conn];
    if (c->state != C_IDLE)
        return RT_ESTATE;
    c->path = strdup(path);
    if (c->path == NULL)
        return RT_ENOMEM;
    c->state = C_CONNECTING;
    c->reported = false;
    c->close_why[0] = '\0';
    c->peer_why[0] = '\0';
    c->rx_active = false;
    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = ws->ctx;
    i.address = ws->ep.host;
    i.port = ws->ep.port;
    i.ssl_connection = ws->ep.tls ? LCCSCF_USE_SSL : 0;
    i.path = c->path;
    i.host = ws->ep.host;
    i.origin = ws->ep.host;
    i.protocol = NULL; /* no Sec-WebSocket-Protocol: the exchange speaks none */
    i.local_protocol_name = protocols[0].name;
    i.userdata = c;
    i.pwsi = &c->wsi;
    struct lws *wsi = lws_client_connect_via_info(&i);
    if (wsi == NULL && !c->reported)
        report_close(c, "connect failed: could not start the connection");
    return RT_OK;
}

int gw_ws_send(gw_ws_t *ws, size_t conn, const char *text)
{
    if (ws == NULL || conn >= ws->nconn || text == NULL)
        return RT_EINVAL;
    conn_t *c = &ws->conns[conn];
    if (c->state != C_OPEN || c->wsi == NULL)
        return RT_ESTATE;
    size_t n = strlen(text);
    if (n > WS_SEND_MAX)
        return RT_ETOOBIG;
    out_msg_t *m = malloc(sizeof *m + LWS_PRE + n);
    if (m == NULL)
        return RT_ENOMEM;
    m->next = NULL;
    m->len = n;
    memcpy(m->buf + LWS_PRE, text, n);
    if (c->out_tail != NULL)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    lws_callback_on_writable(c->wsi);
    return RT_OK;
}

void gw_ws_close(gw_ws_t *ws, size_t conn, const char *why)
{
    if (ws == NULL || conn >= ws->nconn)
        return;
    conn_t *c = &ws->conns[conn];
    if (c->wsi == NULL || c->state == C_IDLE || c->state == C_CLOSING)
        return;
    rt_str_copy(c->close_why, sizeof c->close_why, why ? why : "closed by the gateway");
    if (c->state == C_OPEN) {
        c->state = C_CLOSING;
        lws_callback_on_writable(c->wsi);
    } else {
        /* still connecting: no close frame to send, drop the socket */
        c->state = C_CLOSING;
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

bool gw_ws_is_open(const gw_ws_t *ws, size_t conn)
{
    return ws != NULL && conn < ws->nconn && ws->conns[conn].state == C_OPEN;
}

bool gw_ws_is_active(const gw_ws_t *ws, size_t conn)
{
    return ws != NULL && conn < ws->nconn && ws->conns[conn].state != C_IDLE;
}

static void tick_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul; /* only there to wake lws_service up */
}

int gw_ws_service(gw_ws_t *ws, int timeout_ms)
{
    if (ws == NULL)
        return RT_EINVAL;
    if (timeout_ms < 1)
        timeout_ms = 1;
    if (timeout_ms > 1000)
        timeout_ms = 1000;
    lws_sul_schedule(ws->ctx, 0, &ws->tick, tick_cb, (lws_usec_t)timeout_ms * LWS_US_PER_MS);
    int n = lws_service(ws->ctx, 0);
    lws_sul_cancel(&ws->tick);
    return n < 0 ? RT_EIO : RT_OK;
}
