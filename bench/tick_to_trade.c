/* tick_to_trade: the one observer of bench/tick_to_trade.sh. It watches every hop of a running
 * stack from one process, so that every arrival is stamped by one wall clock:
 *
 *   tick_to_trade REDIS_PORT SIM_PORT SYMBOLS INTERVAL SECONDS
 *
 * - a WebSocket connection of its own to rt-exchange-sim on 127.0.0.1:SIM_PORT, subscribed to
 *   the kline streams of SYMBOLS (comma-separated) at INTERVAL: the exchange's events, as a
 *   second client beside rt-gateway receives them;
 * - a Redis connection on 127.0.0.1:REDIS_PORT, PSUBSCRIBEd to market:data:*, analyze:signal
 *   and trader:events: what the gateway, the analyzer and the trader publish.
 *
 * For SECONDS it prints one line per message received, stamped on arrival with CLOCK_REALTIME
 * in microseconds:
 *   <us> ws <the exchange's event JSON>
 *   <us> <channel> <payload>
 * and nothing else on stdout; bench/tick_to_trade.py pairs the lines up. Server pings are
 * answered, so the connection outlives the simulator's pong timeout. Exits 0 after SECONDS,
 * 1 when a connection fails (the reason on stderr), 2 on bad arguments. Loopback only; the
 * simulator is trusted (this is a bench, not a parser of outside input: frames over 1 MiB or
 * malformed ones end the run with an error rather than being recovered from). */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rt/str.h"

#define WS_BUF_CAP (1u << 20)
#define REQ_CAP 8192

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_port(const char *s, int *out)
{
    int64_t v;
    if (rt_str_parse_int64(s, &v) != 0 || v < 1 || v > 65535)
        return -1;
    *out = (int)v;
    return 0;
}

static int send_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Opens the combined kline stream; returns the socket or -1 (reason on stderr). */
static int ws_open(int port, const char *symbols, const char *interval)
{
    char path[REQ_CAP / 2], req[REQ_CAP];
    size_t k = 0;
    path[0] = '\0';
    for (const char *p = symbols; *p && k + 32 < sizeof path;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (k > 0)
            path[k++] = '/';
        for (size_t i = 0; i < n && k + 1 < sizeof path; i++)
            path[k++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
        int w = snprintf(path + k, sizeof path - k, "@kline_%s", interval);
        if (w < 0 || (size_t)w >= sizeof path - k)
            return -1;
        k += (size_t)w;
        p = e ? e + 1 : p + n;
    }
    int w = snprintf(req, sizeof req,
                     "GET /stream?streams=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     path, port);
    if (w < 0 || (size_t)w >= sizeof req)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        send_all(fd, (const unsigned char *)req, (size_t)w) != 0) {
        fprintf(stderr, "tick_to_trade: cannot connect to the simulator on port %d\n", port);
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends a masked client frame (pong) with payload p. */
static int ws_send(int fd, int opcode, const unsigned char *p, size_t n)
{
    unsigned char f[4 + 4 + 125];
    if (n > 125)
        n = 125;
    f[0] = (unsigned char)(0x80 | opcode);
    f[1] = (unsigned char)(0x80 | n);
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < n; i++)
        f[6 + i] = p[i] ^ mask[i % 4];
    return send_all(fd, f, 6 + n);
}

typedef struct {
    int fd;
    unsigned char *buf;
    size_t len;
    int upgraded;
} ws_t;

/* Consumes what is buffered: the handshake answer, then whole frames. Returns 0, or -1 when
 * the connection is unusable. */
static int ws_drain(ws_t *ws, int64_t stamp)
{
    if (!ws->upgraded) {
        unsigned char *end = NULL;
        for (size_t i = 3; i < ws->len; i++)
            if (memcmp(ws->buf + i - 3, "\r\n\r\n", 4) == 0) {
                end = ws->buf + i + 1;
                break;
            }
        if (!end)
            return 0;
        if (ws->len < 12 || memcmp(ws->buf + 9, "101", 3) != 0) {
            fprintf(stderr, "tick_to_trade: the simulator refused the WebSocket upgrade\n");
            return -1;
        }
        size_t used = (size_t)(end - ws->buf);
        memmove(ws->buf, end, ws->len - used);
        ws->len -= used;
        ws->upgraded = 1;
    }
    for (;;) {
        if (ws->len < 2)
            return 0;
        int opcode = ws->buf[0] & 0x0f;
        uint64_t n = ws->buf[1] & 0x7f;
        size_t h = 2;
        if (n == 126) {
            if (ws->len < 4)
                return 0;
            n = ((uint64_t)ws->buf[2] << 8) | ws->buf[3];
            h = 4;
        } else if (n == 127) {
            if (ws->len < 10)
                return 0;
            n = 0;
            for (int i = 0; i < 8; i++)
                n = (n << 8) | ws->buf[2 + i];
            h = 10;
        }
        if (ws->buf[1] & 0x80 || n > WS_BUF_CAP - 16) {
            fprintf(stderr, "tick_to_trade: unexpected frame from the simulator\n");
            return -1;
        }
        if (ws->len < h + n)
            return 0;
        const unsigned char *p = ws->buf + h;
        if (opcode == 1 || opcode == 0)
            printf("%" PRId64 " ws %.*s\n", stamp, (int)n, (const char *)p);
        else if (opcode == 9 && ws_send(ws->fd, 10, p, (size_t)n) != 0)
            return -1;
        else if (opcode == 8) {
            fprintf(stderr, "tick_to_trade: the simulator closed the stream\n");
            return -1;
        }
        memmove(ws->buf, ws->buf + h + n, ws->len - h - (size_t)n);
        ws->len -= h + (size_t)n;
    }
}

/* Prints every buffered pmessage; returns 0 or -1 on a broken connection. */
static int redis_drain(redisContext *c, int64_t stamp)
{
    for (;;) {
        void *r = NULL;
        if (redisReaderGetReply(c->reader, &r) != REDIS_OK)
            return -1;
        if (!r)
            return 0;
        redisReply *rep = r;
        if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 4 &&
            rep->element[0]->type == REDIS_REPLY_STRING &&
            strcmp(rep->element[0]->str, "pmessage") == 0)
            printf("%" PRId64 " %s %.*s\n", stamp, rep->element[2]->str, (int)rep->element[3]->len,
                   rep->element[3]->str);
        freeReplyObject(rep);
    }
}

int main(int argc, char **argv)
{
    int redis_port, sim_port, rc = 1;
    int64_t seconds;
    if (argc != 6 || parse_port(argv[1], &redis_port) != 0 || parse_port(argv[2], &sim_port) != 0 ||
        rt_str_parse_int64(argv[5], &seconds) != 0 || seconds < 1 || seconds > 86400) {
        fprintf(stderr, "usage: tick_to_trade REDIS_PORT SIM_PORT SYMBOLS INTERVAL SECONDS\n");
        return 2;
    }
    ws_t ws = {.fd = -1, .buf = malloc(WS_BUF_CAP)};
    struct timeval tv = {5, 0};
    redisContext *rc_ctx = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
    if (!ws.buf || !rc_ctx || rc_ctx->err) {
        fprintf(stderr, "tick_to_trade: cannot connect to redis on port %d\n", redis_port);
        goto out;
    }
    redisReply *rep = redisCommand(rc_ctx, "PSUBSCRIBE market:data:* analyze:signal trader:events");
    if (!rep) {
        fprintf(stderr, "tick_to_trade: PSUBSCRIBE failed\n");
        goto out;
    }
    freeReplyObject(rep);
    if ((ws.fd = ws_open(sim_port, argv[3], argv[4])) < 0)
        goto out;
    int64_t deadline = mono_ms() + seconds * 1000;
    for (;;) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            break;
        struct pollfd pf[2] = {{.fd = ws.fd, .events = POLLIN},
                               {.fd = rc_ctx->fd, .events = POLLIN}};
        int n = poll(pf, 2, (int)(left > 1000 ? 1000 : left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto out;
        int64_t stamp = wall_us();
        if (pf[0].revents) {
            ssize_t r = recv(ws.fd, ws.buf + ws.len, WS_BUF_CAP - ws.len, 0);
            if (r <= 0) {
                fprintf(stderr, "tick_to_trade: the simulator's stream ended\n");
                goto out;
            }
            ws.len += (size_t)r;
            if (ws_drain(&ws, stamp) != 0)
                goto out;
        }
        if (pf[1].revents) {
            if (redisBufferRead(rc_ctx) != REDIS_OK || redis_drain(rc_ctx, stamp) != 0) {
                fprintf(stderr, "tick_to_trade: the redis connection broke\n");
                goto out;
            }
        }
        fflush(stdout);
    }
    rc = 0;
out:
    fflush(stdout);
    if (ws.fd >= 0)
        close(ws.fd);
    free(ws.buf);
    if (rc_ctx)
        redisFree(rc_ctx);
    return rc;
}
