/* rt-exchange-sim as a real process, talked to with libwebsockets (client) and libcurl:
 * the combined stream delivers klines and miniTickers of two symbols, the closed klines equal
 * REST klines of the same period, SUBSCRIBE adds a stream, the drop switch closes the socket,
 * refused connections fail, serverShutdown arrives wrapped before the close, a client that
 * never answers pings is dropped (unless pings are muted), and a sixth message within a second
 * closes the connection.
 * Bounded in time: the simulator runs at SIM_SPEED=120 (a 1m candle every half second) and
 * every wait has a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt/str.h"
#include "rt/time.h"
#include "rt_test.h"

#define MAX_MSGS 20000

/* ---- the simulator process --------------------------------------------------------------- */

static pid_t child = -1;
static int port;

static int start_sim(void **state)
{
    (void)state;
    static const char *const settings[] = {"SIM_PORT=0",
                                           "SIM_BIND=127.0.0.1",
                                           "SYMBOLS=BTCUSDC,ETHUSDC",
                                           "SIM_SPEED=120",
                                           "SIM_SEED=7",
                                           "SIM_HISTORY=300",
                                           "SIM_KLINE_UPDATE_MS=200",
                                           "SIM_PING_INTERVAL_MS=300",
                                           "SIM_PONG_TIMEOUT_MS=3000",
                                           "LOG_LEVEL=warn"};
    return rt_test_sim_start(settings, sizeof settings / sizeof settings[0], &child, &port);
}

static int stop_sim(void **state)
{
    (void)state;
    return rt_test_proc_stop(&child, 5000); /* it should stop on SIGTERM */
}

/* ---- HTTP -------------------------------------------------------------------------------- */

typedef struct {
    char *data;
    size_t len;
} body_t;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    body_t *b = ud;
    char *q = realloc(b->data, b->len + size * n + 1);
    if (q == NULL)
        return 0;
    memcpy(q + b->len, p, size * n);
    b->data = q;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

/* GET or POST path?query; returns the status and the body (caller frees). */
static long http(const char *method, const char *path_query, char **body)
{
    char url[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path_query);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    body_t b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, url, curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    *body = b.data ? b.data : strdup("");
    return status;
}

/* ---- a WebSocket client ------------------------------------------------------------------ */

typedef struct {
    struct lws_context *ctx;
    struct lws *wsi;
    bool established, closed, failed;
    char *rx;
    size_t rx_len;
    char *msgs[MAX_MSGS];
    size_t count;
    char pending[512]; /* a text message to send */
} client_t;

static int client_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
    (void)user;
    client_t *c = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->established = true;
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        char *p = realloc(c->rx, c->rx_len + len + 1);
        if (p == NULL)
            return -1;
        c->rx = p;
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
            c->rx[c->rx_len] = '\0';
            if (c->count < MAX_MSGS)
                c->msgs[c->count++] = c->rx;
            else
                free(c->rx);
            c->rx = NULL;
            c->rx_len = 0;
        }
        break;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (c->pending[0]) {
            unsigned char buf[LWS_PRE + sizeof c->pending];
            size_t n = strlen(c->pending);
            memcpy(buf + LWS_PRE, c->pending, n);
            c->pending[0] = '\0';
            if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
                return -1;
        }
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        c->failed = true;
        c->wsi = NULL;
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        c->closed = true;
        c->wsi = NULL;
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols client_protocols[] = {
    {"sim-test", client_cb, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void client_open(client_t *c, const char *path)
{
    memset(c, 0, sizeof *c);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = client_protocols;
    info.user = c;
    c->ctx = lws_create_context(&info);
    assert_non_null(c->ctx);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = c->ctx;
    ci.address = "127.0.0.1";
    ci.port = port;
    ci.path = path;
    ci.host = "127.0.0.1";
    ci.origin = "127.0.0.1";
    ci.local_protocol_name = "sim-test";
    ci.pwsi = &c->wsi;
    assert_non_null(lws_client_connect_via_info(&ci));
}

/* Services the client until done(c) or the deadline; returns done(c). */
static bool client_until(client_t *c, int64_t ms, bool (*done)(const client_t *))
{
    int64_t deadline = rt_time_mono_ms() + ms;
    while (rt_time_mono_ms() < deadline) {
        if (done && done(c))
            return true;
        lws_service(c->ctx, 50);
    }
    return done ? done(c) : true;
}

static void client_send(client_t *c, const char *text)
{
    snprintf(c->pending, sizeof c->pending, "%s", text);
    lws_callback_on_writable(c->wsi);
}

static void client_close(client_t *c)
{
    lws_context_destroy(c->ctx);
    for (size_t i = 0; i < c->count; i++)
        free(c->msgs[i]);
    free(c->rx);
    memset(c, 0, sizeof *c);
}

static bool is_established(const client_t *c)
{
    return c->established || c->failed || c->closed;
}

static bool is_gone(const client_t *c)
{
    return c->closed || c->failed;
}

/* ---- checks ------------------------------------------------------------------------------ */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A Binance money string: digits, a dot, exactly 8 decimals. */
static bool money8(const json_t *v)
{
    const char *s = json_string_value(v);
    if (s == NULL)
        return false;
    const char *dot = strchr(s, '.');
    return dot && dot != s && strlen(dot + 1) == 8 && strspn(s, "0123456789.") == strlen(s);
}

typedef struct {
    int closed[2], updates[2], tickers[2];
} counts_t;

static const char *const symbols[] = {"BTCUSDC", "ETHUSDC"};

static int sym_index(const char *s)
{
    return strcmp(s, "BTCUSDC") == 0 ? 0 : strcmp(s, "ETHUSDC") == 0 ? 1 : -1;
}

static bool enough(const client_t *c)
{
    counts_t n = {0};
    for (size_t i = 0; i < c->count; i++) {
        json_t *m = json_loads(c->msgs[i], 0, NULL);
        const json_t *d = json_object_get(m, "data");
        const char *e = json_string_value(json_object_get(d, "e"));
        int s = sym_index(json_string_value(json_object_get(d, "s")));
        if (e && s >= 0 && strcmp(e, "kline") == 0) {
            if (json_is_true(json_object_get(json_object_get(d, "k"), "x")))
                n.closed[s]++;
            else
                n.updates[s]++;
        } else if (e && s >= 0 && strcmp(e, "24hrMiniTicker") == 0) {
            n.tickers[s]++;
        }
        json_decref(m);
    }
    for (int s = 0; s < 2; s++)
        if (n.closed[s] < 4 || n.updates[s] < 1 || n.tickers[s] < 2)
            return false;
    return true;
}

static void test_streams_and_rest(void **state)
{
    (void)state;
    client_t c;
    client_open(&c, "/stream?streams=btcusdc@kline_1m/ethusdc@kline_1m/btcusdc@miniTicker/"
                    "ethusdc@miniTicker");
    assert_true(client_until(&c, 5000, is_established));
    assert_true(c.established);
    /* Klines (updates and closes) and miniTickers of both symbols, within a few seconds. */
    if (!client_until(&c, 10000, enough))
        fail_msg("not enough events after 10 s (%zu messages)", c.count);

    /* Every closed kline: Binance's shape, once each, one after the other. */
    json_t *closed[2];
    closed[0] = json_array();
    closed[1] = json_array();
    for (size_t i = 0; i < c.count; i++) {
        json_t *m = json_loads(c.msgs[i], JSON_PRESERVE_ORDER, NULL);
        assert_non_null(m);
        const char *stream = json_string_value(json_object_get(m, "stream"));
        const json_t *d = json_object_get(m, "data");
        assert_non_null(stream);
        assert_true(json_is_integer(json_object_get(d, "E")));
        const char *e = json_string_value(json_object_get(d, "e"));
        int s = sym_index(json_string_value(json_object_get(d, "s")));
        assert_true(s >= 0);
        if (strcmp(e, "kline") == 0) {
            const json_t *k = json_object_get(d, "k");
            char want_stream[64];
            snprintf(want_stream, sizeof want_stream, "%s@kline_1m",
                     s == 0 ? "btcusdc" : "ethusdc");
            assert_string_equal(stream, want_stream);
            static const char *const money_keys[] = {"o", "c", "h", "l", "v", "q", "V", "Q"};
            for (size_t j = 0; j < 8; j++)
                if (!money8(json_object_get(k, money_keys[j])))
                    fail_msg("%s: %s is not an 8-decimal string", c.msgs[i], money_keys[j]);
            assert_true(json_is_integer(json_object_get(k, "t")));
            assert_true(json_is_integer(json_object_get(k, "n")));
            assert_string_equal(json_string_value(json_object_get(k, "i")), "1m");
            if (json_is_true(json_object_get(k, "x")))
                json_array_append(closed[s], (json_t *)(uintptr_t)k);
        } else {
            assert_string_equal(e, "24hrMiniTicker");
            assert_true(money8(json_object_get(d, "c")) && money8(json_object_get(d, "q")));
        }
        json_decref(m);
    }
    for (int s = 0; s < 2; s++) {
        size_t n = json_array_size(closed[s]);
        for (size_t i = 1; i < n; i++) {
            int64_t prev_T =
                json_integer_value(json_object_get(json_array_get(closed[s], i - 1), "T"));
            int64_t t = json_integer_value(json_object_get(json_array_get(closed[s], i), "t"));
            if (t != prev_T + 1)
                fail_msg("%s: closed kline %zu opens at %lld, the previous closed at %lld",
                         symbols[s], i, (long long)t, (long long)prev_T);
        }
    }

    /* The same period over REST: the very same candles. */
    for (int s = 0; s < 2; s++) {
        size_t n = json_array_size(closed[s]);
        const json_t *first = json_array_get(closed[s], 0);
        const json_t *last = json_array_get(closed[s], n - 1);
        char q[256];
        snprintf(q, sizeof q, "/api/v3/klines?symbol=%s&interval=1m&startTime=%lld&endTime=%lld",
                 symbols[s], (long long)json_integer_value(json_object_get(first, "t")),
                 (long long)json_integer_value(json_object_get(last, "t")));
        char *body = NULL;
        assert_int_equal(http("GET", q, &body), 200);
        json_t *rows = json_loads(body, 0, NULL);
        assert_non_null(rows);
        assert_int_equal(json_array_size(rows), n);
        for (size_t i = 0; i < n; i++) {
            const json_t *k = json_array_get(closed[s], i);
            const json_t *row = json_array_get(rows, i);
            static const char *const keys[] = {"t", "o", "h", "l", "c", "v",
                                               "T", "q", "n", "V", "Q"};
            for (size_t j = 0; j < 11; j++) {
                if (!json_equal(json_object_get(k, keys[j]), json_array_get(row, j)))
                    fail_msg("%s kline %zu: %s differs between the stream and REST", symbols[s], i,
                             keys[j]);
            }
        }
        json_decref(rows);
        free(body);
        /* /admin/closed has them too. */
        snprintf(q, sizeof q, "/admin/closed?symbol=%s&interval=1m&startTime=%lld&limit=%zu",
                 symbols[s], (long long)json_integer_value(json_object_get(first, "t")), n);
        assert_int_equal(http("GET", q, &body), 200);
        rows = json_loads(body, 0, NULL);
        assert_int_equal(json_array_size(rows), n);
        json_decref(rows);
        free(body);
        /* History for warm-up: 300 candles before the stream started, and more since. */
        snprintf(q, sizeof q, "/api/v3/klines?symbol=%s&interval=1m&limit=1000", symbols[s]);
        assert_int_equal(http("GET", q, &body), 200);
        rows = json_loads(body, 0, NULL);
        assert_true(json_array_size(rows) > 300);
        json_decref(rows);
        free(body);
    }
    json_decref(closed[0]);
    json_decref(closed[1]);

    /* SUBSCRIBE adds a stream: the reply, then trades. */
    size_t before = c.count;
    client_send(&c, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdc@trade\"],\"id\":7}");
    int64_t deadline = rt_time_mono_ms() + 5000;
    bool replied = false, trade = false;
    while (rt_time_mono_ms() < deadline && !(replied && trade)) {
        lws_service(c.ctx, 50);
        for (size_t i = before; i < c.count; i++) {
            if (strcmp(c.msgs[i], "{\"result\":null,\"id\":7}") == 0)
                replied = true;
            if (starts_with(c.msgs[i], "{\"stream\":\"btcusdc@trade\",\"data\":{\"e\":\"trade\""))
                trade = replied; /* after the reply */
        }
    }
    assert_true(replied);
    assert_true(trade);

    /* The drop switch closes the socket. */
    char *body = NULL;
    assert_int_equal(http("POST", "/admin/drop", &body), 200);
    free(body);
    assert_true(client_until(&c, 5000, is_gone));
    client_close(&c);

    /* The server is still there, and counted what happened. */
    assert_int_equal(http("GET", "/metrics", &body), 200);
    assert_non_null(strstr(body, "sim_ws_dropped_total 1"));
    free(body);
}

static void test_refuse_and_shutdown(void **state)
{
    (void)state;
    char *body = NULL;
    int64_t refused_at = rt_time_mono_ms();
    assert_int_equal(http("POST", "/admin/refuse?seconds=2", &body), 200);
    free(body);
    client_t c;
    client_open(&c, "/ws/btcusdc@kline_1m");
    assert_true(client_until(&c, 1500, is_established));
    assert_false(c.established); /* refused */
    client_close(&c);
    /* Bad stream names are refused at the handshake too. */
    client_open(&c, "/ws/BTCUSDC@kline_1m");
    assert_true(client_until(&c, 5000, is_established));
    assert_false(c.established);
    client_close(&c);
    while (rt_time_mono_ms() < refused_at + 2300) /* until the 2 s are over */
        usleep(50 * 1000);

    client_open(&c, "/stream?streams=btcusdc@kline_1m");
    assert_true(client_until(&c, 5000, is_established));
    assert_true(c.established);
    assert_int_equal(http("POST", "/admin/shutdown-event", &body), 200);
    free(body);
    assert_true(client_until(&c, 5000, is_gone));
    assert_true(c.count > 0);
    const char *last = c.msgs[c.count - 1];
    if (!starts_with(last,
                     "{\"stream\":\"!serverShutdown\",\"data\":{\"e\":\"serverShutdown\",\"E\":"))
        fail_msg("last message before the close: %s", last);
    client_close(&c);

    /* A raw connection gets the bare event. */
    client_open(&c, "/ws/ethusdc@kline_1m");
    assert_true(client_until(&c, 5000, is_established));
    assert_int_equal(http("POST", "/admin/shutdown-event", &body), 200);
    free(body);
    assert_true(client_until(&c, 5000, is_gone));
    assert_true(c.count > 0);
    assert_true(starts_with(c.msgs[c.count - 1], "{\"e\":\"serverShutdown\",\"E\":"));
    client_close(&c);
}

/* ---- a raw WebSocket client (one that never answers pings) -------------------------------- */

static int raw_connect(const char *path)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path);
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    /* The 101 response, byte by byte up to the blank line. */
    char resp[1024];
    size_t len = 0;
    int64_t deadline = rt_time_mono_ms() + 5000;
    while (len + 1 < sizeof resp && rt_time_mono_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        if (recv(fd, resp + len, 1, 0) != 1)
            break;
        len++;
        if (len >= 4 && memcmp(resp + len - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    resp[len] = '\0';
    if (strncmp(resp, "HTTP/1.1 101", 12) != 0)
        fail_msg("upgrade of %s: %s", path, resp);
    return fd;
}

/* Reads exactly n bytes before the deadline: 1, 0 on timeout, -1 when the peer closed. */
static int read_exact(int fd, unsigned char *buf, size_t n, int64_t deadline)
{
    size_t got = 0;
    while (got < n) {
        int64_t left = deadline - rt_time_mono_ms();
        if (left <= 0)
            return 0;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, (int)(left < 100 ? left : 100)) <= 0)
            continue;
        ssize_t r = recv(fd, buf + got, n - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 1;
}

/* One frame from the server (unmasked): 1 with its opcode and payload, 0 on timeout, -1 when
 * the connection is gone. */
static int raw_frame(int fd, int64_t deadline, int *opcode, unsigned char *payload, size_t cap,
                     size_t *plen)
{
    unsigned char h[8];
    int r = read_exact(fd, h, 2, deadline);
    if (r <= 0)
        return r;
    *opcode = h[0] & 0x0f;
    uint64_t len = h[1] & 0x7f;
    if (len == 126 || len == 127) {
        size_t k = len == 126 ? 2 : 8;
        if (read_exact(fd, h, k, deadline + 5000) != 1)
            return -1;
        len = 0;
        for (size_t i = 0; i < k; i++)
            len = len << 8 | h[i];
    }
    unsigned char sink[4096];
    size_t keep = 0;
    while (len > 0) {
        size_t chunk = len > sizeof sink ? sizeof sink : (size_t)len;
        if (read_exact(fd, sink, chunk, deadline + 5000) != 1)
            return -1;
        if (keep < cap) {
            size_t c = chunk < cap - keep ? chunk : cap - keep;
            memcpy(payload + keep, sink, c);
            keep += c;
        }
        len -= chunk;
    }
    *plen = keep;
    return 1;
}

static void raw_send_text(int fd, const char *text)
{
    unsigned char f[256];
    size_t n = strlen(text);
    assert_true(n < 126);
    const unsigned char mask[4] = {1, 2, 3, 4};
    f[0] = 0x81;
    f[1] = (unsigned char)(0x80 | n);
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < n; i++)
        f[6 + i] = (unsigned char)text[i] ^ mask[i % 4];
    assert_int_equal(send(fd, f, n + 6, 0), (ssize_t)(n + 6));
}

static void test_pings(void **state)
{
    (void)state;
    char *body = NULL;
    /* Muted: no pings, and a client that never answers stays. */
    assert_int_equal(http("POST", "/admin/mute-pings?seconds=30", &body), 200);
    free(body);
    int fd = raw_connect("/ws/btcusdc@kline_1m");
    int64_t until = rt_time_mono_ms() + 1500;
    int pings = 0, texts = 0, op = 0, r;
    unsigned char payload[4096];
    size_t plen;
    while ((r = raw_frame(fd, until, &op, payload, sizeof payload, &plen)) == 1) {
        pings += op == 0x9;
        texts += op == 0x1;
    }
    assert_int_equal(r, 0); /* still open */
    assert_int_equal(pings, 0);
    assert_true(texts > 0);

    /* Unmuted: pings every 300 ms, and the client that never pongs is dropped once a ping has
     * waited SIM_PONG_TIMEOUT_MS (3 s). */
    int64_t unmuted = rt_time_mono_ms();
    assert_int_equal(http("POST", "/admin/mute-pings?seconds=0", &body), 200);
    free(body);
    until = unmuted + 8000;
    pings = 0;
    while ((r = raw_frame(fd, until, &op, payload, sizeof payload, &plen)) == 1)
        pings += op == 0x9;
    int64_t gone = rt_time_mono_ms() - unmuted;
    assert_int_equal(r, -1);
    assert_true(pings >= 5);
    if (gone < 2900 || gone > 5000)
        fail_msg("dropped %lld ms after the first ping, want about 3000", (long long)gone);
    close(fd);
}

static void test_message_rate(void **state)
{
    (void)state;
    int fd = raw_connect("/ws");
    for (int i = 0; i < 6; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":%d}", i);
        raw_send_text(fd, msg);
    }
    int64_t until = rt_time_mono_ms() + 3000;
    int replies = 0, op = 0, r;
    unsigned char payload[4096];
    size_t plen;
    bool close_frame = false;
    while ((r = raw_frame(fd, until, &op, payload, sizeof payload, &plen)) == 1) {
        replies += op == 0x1;
        if (op == 0x8) {
            close_frame = true;
            assert_true(plen >= 2);
            assert_int_equal(payload[0] << 8 | payload[1], 1008);
            break;
        }
    }
    assert_true(close_frame);
    assert_int_equal(replies, 5);
    close(fd);
}

/* At SIM_SPEED=1 the simulated clock is the wall clock: the start-up (here ~2 s of history)
 * does not leave it behind, so candle times are real times (ARCHITECTURE.md section 1). */
static void test_clock_is_wall_clock_at_speed_1(void **state)
{
    (void)state;
    static const char *const settings[] = {
        "SIM_PORT=0",  "SIM_BIND=127.0.0.1", "SYMBOLS=BTCUSDC,ETHUSDC,SOLUSDC",
        "SIM_SPEED=1", "SIM_HISTORY=10000",  "LOG_LEVEL=warn"};
    pid_t pid = -1;
    int own_port = 0, main_port = port;
    assert_int_equal(
        rt_test_sim_start(settings, sizeof settings / sizeof settings[0], &pid, &own_port), 0);
    port = own_port;
    for (int i = 0; i < 3; i++) {
        char *body = NULL;
        int64_t before = rt_time_now_ms();
        assert_int_equal(http("GET", "/api/v3/time", &body), 200);
        int64_t after = rt_time_now_ms();
        json_t *j = json_loads(body, 0, NULL);
        assert_non_null(j);
        int64_t t = json_integer_value(json_object_get(j, "serverTime"));
        json_decref(j);
        free(body);
        /* the clock is read on the simulator's ticks (every 50 ms): a little slack */
        if (t < before - 250 || t > after + 250)
            fail_msg("serverTime %lld, wall clock %lld..%lld: %lld ms apart", (long long)t,
                     (long long)before, (long long)after, (long long)(t - before));
        rt_time_sleep_ms(200);
    }
    port = main_port;
    assert_int_equal(rt_test_proc_stop(&pid, 5000), 0);
}

int main(void)
{
    lws_set_log_level(LLL_ERR, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streams_and_rest),
        cmocka_unit_test(test_refuse_and_shutdown),
        cmocka_unit_test(test_pings),
        cmocka_unit_test(test_message_rate),
        cmocka_unit_test(test_clock_is_wall_clock_at_speed_1),
    };
    int rc = cmocka_run_group_tests(tests, start_sim, stop_sim);
    curl_global_cleanup();
    return rc;
}
