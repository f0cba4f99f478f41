/* rt-gateway against a real redis-server, as a real process.
 *
 * test_scripted_exchange: a scripted exchange inside this test (a libwebsockets server for
 * the combined stream, libmicrohttpd for REST klines) makes every fault happen at a known
 * moment: klines and tickers, malformed frames, a ping whose pong must echo its payload, a
 * dropped connection while candles close, a serverShutdown, and REST answers that overlap
 * what the stream already sent. The closed candles on market:data:BTCUSDC must be exactly
 * the exchange's, once each and in order, with the exchange's values, and so must the
 * market:candles:BTCUSDC stream.
 *
 * test_sim_*: the same against the real rt-exchange-sim (build/bin), started on a free port
 * with a high SIM_SPEED; its fault switches drop the connection and send serverShutdown, and
 * its REST klines are the reference. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <microhttpd.h>

#include "rt/bus.h"
#include "rt/err.h"
#include "rt/money.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "rt/time.h"
#include "rt/types.h"
#include "rt_test.h"

#define T0 INT64_C(1716219780000) /* a minute boundary */
#define MINUTE INT64_C(60000)
#define MAX_CANDLES 4096

/* ---------------------------------------------------------------------------------------- */
/* helpers: ports, processes, HTTP, Redis                                                    */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

typedef struct {
    pid_t pid;
    char dir[64];
    char log[512];
} proc_t;

/* Removes the process's working directory and log (after a test that passed). */
static void proc_cleanup(proc_t *p)
{
    if (p->dir[0] == '\0')
        return;
    unlink(p->log);
    rmdir(p->dir);
    p->dir[0] = '\0';
}

/* Starts bin with the given environment (NULL-terminated "K=V" list) in a fresh temporary
 * working directory (so no .env of the repo is read); stdout and stderr go to proc->log. */
static void proc_start(proc_t *p, const char *bin, char *const env[])
{
    char dir[] = "/tmp/rt-gw-test.XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(p->dir, sizeof p->dir, "%s", dir);
    snprintf(p->log, sizeof p->log, "%s/out.log", dir);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        char prog[1024];
        snprintf(prog, sizeof prog, "%s", bin);
        char *const argv[] = {prog, NULL};
        execve(prog, argv, env);
        _exit(127);
    }
}

static void proc_dump(const proc_t *p, const char *what)
{
    FILE *f = fopen(p->log, "r");
    if (f == NULL)
        return;
    fprintf(stderr, "---- %s log (%s) ----\n", what, p->log);
    char line[1024];
    while (fgets(line, sizeof line, f) != NULL)
        fputs(line, stderr);
    fprintf(stderr, "---- end of %s log ----\n", what);
    fclose(f);
}

/* SIGTERM, then waits up to ms for the exit; SIGKILL after that. Returns the exit status, or
 * -1 when it had to be killed. */
static int proc_stop(proc_t *p, int64_t ms)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    int64_t until = rt_time_mono_ms() + ms;
    int status = 0;
    while (rt_time_mono_ms() < until) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(20000);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
    p->pid = 0;
    return -1;
}

static const char *bin_path(char *buf, size_t cap, const char *name)
{
    const char *dir = getenv("RT_BINARY_DIR");
    snprintf(buf, cap, "%s/bin/%s", dir ? dir : "build", name);
    if (access(buf, X_OK) != 0)
        fail_msg("%s is not built (or not executable)", buf);
    return buf;
}

typedef struct {
    char *data;
    size_t len;
} body_t;

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    body_t *b = ud;
    size_t n = size * nmemb;
    char *p = realloc(b->data, b->len + n + 1);
    if (p == NULL)
        return 0;
    memcpy(p + b->len, ptr, n);
    b->data = p;
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* GET or POST url; returns the status (0 when unreachable) and the body in *out (caller
 * frees; may be NULL). */
static long http_call(const char *method, const char *url, char **out)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    body_t b = {NULL, 0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (out != NULL)
        *out = b.data;
    else
        free(b.data);
    return status;
}

/* The value of a metric sample line "name value" in a /metrics text; -1 when absent. */
static double metric(const char *text, const char *sample)
{
    size_t n = strlen(sample);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, sample, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    }
    return -1;
}

/* RT_TEST_REDIS_PORT as a port number; fails the test when it is not one. */
static int redis_port(void)
{
    int64_t v;
    const char *s = rt_test_require_env("RT_TEST_REDIS_PORT");
    if (rt_str_parse_int64(s, &v) != RT_OK || v < 1 || v > 65535)
        fail_msg("RT_TEST_REDIS_PORT=%s is not a port", s);
    return (int)v;
}

static redisContext *redis_connect(void)
{
    const char *host = rt_test_require_env("RT_TEST_REDIS_HOST");
    int port = redis_port();
    redisContext *r = redisConnect(host, port);
    assert_non_null(r);
    if (r->err)
        fail_msg("redis %s:%d: %s", host, port, r->errstr);
    return r;
}

static void redis_del(const char *key)
{
    redisContext *r = redis_connect();
    redisReply *rep = redisCommand(r, "DEL %s", key);
    freeReplyObject(rep);
    redisFree(r);
}

/* Every entry of a stream, parsed as candles, into out (at most cap); returns the count. */
static size_t redis_stream_candles(const char *key, rt_candle_t *out, size_t cap)
{
    redisContext *r = redis_connect();
    redisReply *rep = redisCommand(r, "XRANGE %s - +", key);
    assert_non_null(rep);
    assert_int_equal(rep->type, REDIS_REPLY_ARRAY);
    size_t n = 0;
    for (size_t i = 0; i < rep->elements && n < cap; i++) {
        redisReply *fields = rep->element[i]->element[1];
        for (size_t j = 0; j + 1 < fields->elements; j += 2) {
            if (strcmp(fields->element[j]->str, "data") != 0)
                continue;
            rt_msg_error_t err;
            if (rt_msg_candle_parse(fields->element[j + 1]->str, fields->element[j + 1]->len,
                                    &out[n], &err) != RT_OK)
                fail_msg("stream entry is not a candle: %s", err.text);
            n++;
        }
    }
    freeReplyObject(rep);
    redisFree(r);
    return n;
}

/* ---------------------------------------------------------------------------------------- */
/* what a subscriber to market:data / market:ticker saw                                      */

typedef struct {
    rt_candle_t closed[MAX_CANDLES];
    size_t nclosed;
    size_t nupdates;
    size_t ntickers;
    size_t bad; /* messages that did not parse */
    char last_bad[256];
    rt_ticker_t last_ticker;
} seen_t;

static void on_bus(void *ud, const char *pattern, const char *channel, const char *payload,
                   size_t len)
{
    (void)pattern;
    seen_t *s = ud;
    rt_msg_error_t err;
    if (strncmp(channel, "market:data:", 12) == 0) {
        rt_candle_t c;
        if (rt_msg_candle_parse(payload, len, &c, &err) != RT_OK) {
            s->bad++;
            snprintf(s->last_bad, sizeof s->last_bad, "%s: %s", channel, err.text);
            return;
        }
        if (c.closed && s->nclosed < MAX_CANDLES)
            s->closed[s->nclosed++] = c;
        else if (!c.closed)
            s->nupdates++;
    } else if (strncmp(channel, "market:ticker:", 14) == 0) {
        rt_ticker_t t;
        if (rt_msg_ticker_parse(payload, len, &t, &err) != RT_OK) {
            s->bad++;
            snprintf(s->last_bad, sizeof s->last_bad, "%s: %s", channel, err.text);
            return;
        }
        s->ntickers++;
        s->last_ticker = t;
    }
}

static rt_bus_sub_t *subscribe(const char *symbol)
{
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.host = rt_test_require_env("RT_TEST_REDIS_HOST");
    o.port = redis_port();
    rt_bus_sub_t *sub = NULL;
    assert_int_equal(rt_bus_sub_new(&o, &sub), RT_OK);
    char ch[64];
    snprintf(ch, sizeof ch, "market:data:%s", symbol);
    assert_int_equal(rt_bus_sub_subscribe(sub, ch), RT_OK);
    snprintf(ch, sizeof ch, "market:ticker:%s", symbol);
    assert_int_equal(rt_bus_sub_subscribe(sub, ch), RT_OK);
    return sub;
}

/* Exactly once and in order: strictly increasing open times, each one interval after the one
 * before (the scripted exchange has no holes). */
static void check_sequence(const rt_candle_t *c, size_t n, const char *what)
{
    for (size_t i = 1; i < n; i++)
        if (c[i].open_time != c[i - 1].open_time + MINUTE)
            fail_msg("%s: candle %zu opens at %" PRId64 " after %" PRId64
                     " (duplicate, gap or disorder)",
                     what, i, c[i].open_time, c[i - 1].open_time);
}

/* ---------------------------------------------------------------------------------------- */
/* the scripted exchange                                                                     */

/* Candle i of the scripted BTCUSDC: prices from i, so a wrong candle is easy to spot. */
static void script_candle(int i, bool closed, rt_candle_t *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->symbol, sizeof c->symbol, "BTCUSDC");
    snprintf(c->interval, sizeof c->interval, "1m");
    c->open_time = T0 + i * MINUTE;
    c->close_time = c->open_time + MINUTE - 1;
    c->open = RT_MONEY_UNITS(60000 + i);
    c->high = c->open + RT_MONEY_UNITS(5);
    c->low = c->open - RT_MONEY_UNITS(3);
    c->close = c->open + (closed ? RT_MONEY_UNITS(2) : RT_MONEY_UNITS(1));
    c->volume = closed ? RT_MONEY_UNITS(3) / 2 : RT_MONEY_UNITS(1) / 2;
    c->closed = closed;
}

static void fmt8(char *buf, size_t cap, rt_money_t v)
{
    rt_money_format_fixed(v, 8, RT_ROUND_DOWN, buf, cap);
}

static void kline_frame(char *buf, size_t cap, int i, bool closed)
{
    rt_candle_t c;
    script_candle(i, closed, &c);
    char o[32], h[32], l[32], cl[32], v[32];
    fmt8(o, sizeof o, c.open);
    fmt8(h, sizeof h, c.high);
    fmt8(l, sizeof l, c.low);
    fmt8(cl, sizeof cl, c.close);
    fmt8(v, sizeof v, c.volume);
    snprintf(buf, cap,
             "{\"stream\":\"btcusdc@kline_1m\",\"data\":{\"e\":\"kline\",\"E\":%" PRId64
             ",\"s\":\"BTCUSDC\",\"k\":{\"t\":%" PRId64 ",\"T\":%" PRId64
             ",\"s\":\"BTCUSDC\",\"i\":\"1m\",\"f\":1,\"L\":2,\"o\":\"%s\",\"c\":\"%s\",\"h\":"
             "\"%s\",\"l\":\"%s\",\"v\":\"%s\",\"n\":2,\"x\":%s,\"q\":\"1.00000000\",\"V\":"
             "\"0.50000000\",\"Q\":\"0.50000000\",\"B\":\"0\"}}}",
             c.open_time + (closed ? MINUTE : MINUTE / 2), c.open_time, c.close_time, o, cl, h, l,
             v, closed ? "true" : "false");
}

typedef enum {
    A_TEXT,
    A_BIG_VALID, /* a valid frame padded with spaces to ~40 KB: arrives in fragments */
    A_BIG_BAD,   /* a 70 KB frame: over the gateway's 64 KiB limit */
    A_PING,
    A_WAIT_PONG,
    A_DROP,
    A_SHUTDOWN,
    A_IDLE
} act_kind_t;

typedef struct {
    act_kind_t kind;
    char text[1024];
} act_t;

#define SCRIPT_MAX 64

typedef struct {
    pthread_t thread;
    pthread_mutex_t mu;
    atomic_bool stop;
    struct lws_context *ctx;
    int ws_port;
    struct MHD_Daemon *mhd;
    int rest_port;
    lws_sorted_usec_list_t sul;
    /* the connection being served (one at a time) */
    struct lws *wsi;
    act_t script[SCRIPT_MAX];
    int nscript, pos;
    int64_t wait_until;
    /* what the test checks (under mu) */
    int connections;
    char pong[64];
    int rest_requests;
    int forming;             /* index of the candle forming now: REST serves only older ones */
    bool subscribe_scenario; /* every connection idles; streams and SUBSCRIBEs are recorded */
    char *streams;           /* names from the URL and SUBSCRIBE requests, ",a,b,...," */
    size_t streams_len, streams_cap;
    int subscribes; /* SUBSCRIBE requests received */
    int64_t subscribe_ms[16];
    char reply[16][64]; /* replies waiting to be sent */
    int nreply;
    char rx[65536]; /* a request being reassembled (server thread only) */
    size_t rx_len;
} fake_t;

/* Appends ",name" to the recorded streams (under mu). */
static void record_stream(fake_t *f, const char *name, size_t n)
{
    if (f->streams_len + n + 3 > f->streams_cap) {
        size_t cap = f->streams_cap ? f->streams_cap * 2 : 65536;
        while (cap < f->streams_len + n + 3)
            cap *= 2;
        char *p = realloc(f->streams, cap);
        assert_non_null(p);
        f->streams = p;
        f->streams_cap = cap;
    }
    if (f->streams_len == 0)
        f->streams[f->streams_len++] = ',';
    memcpy(f->streams + f->streams_len, name, n);
    f->streams_len += n;
    f->streams[f->streams_len++] = ',';
    f->streams[f->streams_len] = '\0';
}

static void add(fake_t *f, act_kind_t kind, const char *text)
{
    assert_true(f->nscript < SCRIPT_MAX);
    act_t *a = &f->script[f->nscript++];
    a->kind = kind;
    snprintf(a->text, sizeof a->text, "%s", text ? text : "");
}

static void add_kline(fake_t *f, int i, bool closed)
{
    char buf[1024];
    kline_frame(buf, sizeof buf, i, closed);
    add(f, A_TEXT, buf);
}

static void add_ticker(fake_t *f, int i)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"stream\":\"btcusdc@miniTicker\",\"data\":{\"e\":\"24hrMiniTicker\",\"E\":%" PRId64
             ",\"s\":\"BTCUSDC\",\"c\":\"%d.50000000\",\"o\":\"60000.00000000\",\"h\":"
             "\"61000.00000000\",\"l\":\"59000.00000000\",\"v\":\"10.00000000\",\"q\":"
             "\"600000.00000000\"}}",
             T0 + i * MINUTE + 1000, 60000 + i);
    add(f, A_TEXT, buf);
}

/* The script of the n-th connection (1-based). */
static void build_script(fake_t *f, int n)
{
    f->nscript = 0;
    f->pos = 0;
    if (f->subscribe_scenario) {
        add(f, A_IDLE, NULL);
    } else if (n == 1) {
        for (int i = 0; i <= 4; i++) {
            add_kline(f, i, false);
            add_ticker(f, i);
            add_kline(f, i, true);
        }
        add(f, A_TEXT, "{\"stream\":\"btcusdc@kline_1m\",\"data\":{\"e\":"); /* bad JSON */
        add(f, A_TEXT,
            "{\"stream\":\"dogeusdc@miniTicker\",\"data\":{\"e\":\"24hrMiniTicker\",\"E\":1,"
            "\"s\":\"DOGEUSDC\",\"c\":\"0.1\"}}"); /* a symbol not followed */
        add(f, A_TEXT, "{\"result\":null,\"id\":1}");
        add(f, A_BIG_BAD, NULL);
        add(f, A_BIG_VALID, NULL);
        add(f, A_PING, "gw-ping-42");
        add(f, A_WAIT_PONG, NULL);
        add_kline(f, 5, false);
        add(f, A_DROP, NULL); /* 5, 6 and 7 close while the gateway is away */
    } else if (n == 2) {
        add_kline(f, 8, false); /* reveals the gap 5..7 */
        add_kline(f, 8, true);
        add_kline(f, 9, false);
        add(f, A_SHUTDOWN, NULL); /* 9 closes, 10 forms while it is away */
    } else if (n == 3) {
        add_kline(f, 11, false); /* reveals the gap 9..10 */
        add_kline(f, 10, true);  /* a late close of a backfilled candle: a duplicate */
        add_kline(f, 11, true);
        add(f, A_IDLE, NULL);
    } else {
        add(f, A_IDLE, NULL);
    }
}

static void fake_tick(lws_sorted_usec_list_t *sul)
{
    fake_t *f = lws_container_of(sul, fake_t, sul);
    if (f->wsi != NULL)
        lws_callback_on_writable(f->wsi);
    lws_sul_schedule(f->ctx, 0, &f->sul, fake_tick, 5 * LWS_US_PER_MS);
}

/* A frame of n bytes: an update of candle 5 padded with spaces when valid, else 'x's. */
static int write_big(struct lws *wsi, size_t n, bool valid)
{
    unsigned char *buf = malloc(LWS_PRE + n);
    assert_non_null(buf);
    char *p = (char *)buf + LWS_PRE;
    memset(p, valid ? ' ' : 'x', n);
    if (valid) {
        char frame[1024];
        kline_frame(frame, sizeof frame, 4, true); /* a repeat of a published close */
        memcpy(p, frame, strlen(frame));
    }
    int w = lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT);
    free(buf);
    return w < (int)n ? -1 : 0;
}

static int fake_writable(fake_t *f, struct lws *wsi)
{
    pthread_mutex_lock(&f->mu);
    if (f->nreply > 0) {
        unsigned char rb[LWS_PRE + 64];
        size_t n = strlen(f->reply[0]);
        memcpy(rb + LWS_PRE, f->reply[0], n);
        memmove(f->reply[0], f->reply[1], sizeof f->reply[0] * (size_t)(f->nreply - 1));
        f->nreply--;
        pthread_mutex_unlock(&f->mu);
        return lws_write(wsi, rb + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n ? -1 : 0;
    }
    pthread_mutex_unlock(&f->mu);
    if (f->pos >= f->nscript)
        return 0;
    act_t *a = &f->script[f->pos];
    unsigned char buf[LWS_PRE + 1100];
    size_t n = strlen(a->text);
    switch (a->kind) {
    case A_TEXT:
        memcpy(buf + LWS_PRE, a->text, n);
        if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
            return -1;
        f->pos++;
        if (strstr(a->text, "\"x\":true") != NULL || strstr(a->text, "\"x\":false") != NULL) {
            /* the candle forming is the one of this frame (or the next, once it closed) */
            const char *t = strstr(a->text, "\"t\":");
            int64_t open = strtoll(t + 4, NULL, 10);
            int idx = (int)((open - T0) / MINUTE) + (strstr(a->text, "\"x\":true") ? 1 : 0);
            pthread_mutex_lock(&f->mu);
            if (idx > f->forming)
                f->forming = idx;
            pthread_mutex_unlock(&f->mu);
        }
        return 0;
    case A_BIG_VALID:
        f->pos++;
        return write_big(wsi, 40000, true);
    case A_BIG_BAD:
        f->pos++;
        return write_big(wsi, 70000, false);
    case A_PING:
        memcpy(buf + LWS_PRE, a->text, n);
        if (lws_write(wsi, buf + LWS_PRE, n, LWS_WRITE_PING) < (int)n)
            return -1;
        f->pos++;
        f->wait_until = rt_time_mono_ms() + 3000;
        return 0;
    case A_WAIT_PONG: {
        pthread_mutex_lock(&f->mu);
        bool got = f->pong[0] != '\0';
        pthread_mutex_unlock(&f->mu);
        if (got || rt_time_mono_ms() > f->wait_until)
            f->pos++;
        return 0;
    }
    case A_DROP:
        f->pos++;
        pthread_mutex_lock(&f->mu);
        f->forming = 8; /* 5, 6, 7 closed meanwhile */
        pthread_mutex_unlock(&f->mu);
        return -1;
    case A_SHUTDOWN: {
        char sd[128];
        int k = snprintf(sd, sizeof sd,
                         "{\"stream\":\"!serverShutdown\",\"data\":{\"e\":\"serverShutdown\","
                         "\"E\":%" PRId64 "}}",
                         T0 + 9 * MINUTE + 30000);
        memcpy(buf + LWS_PRE, sd, (size_t)k);
        lws_write(wsi, buf + LWS_PRE, (size_t)k, LWS_WRITE_TEXT);
        f->pos++;
        pthread_mutex_lock(&f->mu);
        f->forming = 11;
        pthread_mutex_unlock(&f->mu);
        unsigned char why[] = "shutdown";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, why, sizeof why - 1);
        return -1;
    }
    case A_IDLE:
        return 0;
    }
    return 0;
}

static int fake_ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                      size_t len)
{
    (void)user;
    fake_t *f = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED: {
        char args[16384] = "";
        lws_hdr_copy_fragment(wsi, args, sizeof args, WSI_TOKEN_HTTP_URI_ARGS, 0);
        pthread_mutex_lock(&f->mu);
        int n = ++f->connections;
        if (f->subscribe_scenario && strncmp(args, "streams=", 8) == 0) {
            for (char *p = args + 8, *slash; *p; p = slash ? slash + 1 : p + strlen(p)) {
                slash = strchr(p, '/');
                record_stream(f, p, slash ? (size_t)(slash - p) : strlen(p));
            }
        }
        pthread_mutex_unlock(&f->mu);
        f->wsi = wsi;
        build_script(f, n);
        break;
    }
    case LWS_CALLBACK_RECEIVE: {
        /* SUBSCRIBE requests (reassembled: they may come in pieces): record the names, queue
         * the reply */
        if (f->rx_len + len > sizeof f->rx) {
            f->rx_len = 0;
            break;
        }
        memcpy(f->rx + f->rx_len, in, len);
        f->rx_len += len;
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
            break;
        json_t *req = json_loadb(f->rx, f->rx_len, 0, NULL);
        f->rx_len = 0;
        json_t *params = json_object_get(req, "params");
        pthread_mutex_lock(&f->mu);
        if (f->subscribes < 16)
            f->subscribe_ms[f->subscribes] = rt_time_mono_ms();
        f->subscribes++;
        for (size_t i = 0; i < json_array_size(params); i++) {
            const char *name = json_string_value(json_array_get(params, i));
            if (name != NULL)
                record_stream(f, name, strlen(name));
        }
        if (f->nreply < 16)
            snprintf(f->reply[f->nreply++], sizeof f->reply[0], "{\"result\":null,\"id\":%lld}",
                     (long long)json_integer_value(json_object_get(req, "id")));
        pthread_mutex_unlock(&f->mu);
        json_decref(req);
        lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (wsi != f->wsi)
            return 0;
        return fake_writable(f, wsi);
    case LWS_CALLBACK_RECEIVE_PONG:
        pthread_mutex_lock(&f->mu);
        snprintf(f->pong, sizeof f->pong, "%.*s", (int)(len < 60 ? len : 60), (const char *)in);
        pthread_mutex_unlock(&f->mu);
        break;
    case LWS_CALLBACK_CLOSED:
        if (wsi == f->wsi)
            f->wsi = NULL;
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols fake_protocols[] = {
    {"fake-exchange", fake_ws_cb, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *fake_thread(void *arg)
{
    fake_t *f = arg;
    while (!atomic_load(&f->stop))
        lws_service(f->ctx, 0);
    return NULL;
}

/* GET /api/v3/klines: the scripted candles older than the one forming, from two candles
 * before startTime (an overlap the gateway must drop) to endTime. */
static enum MHD_Result fake_rest(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_size;
    (void)con_cls;
    fake_t *f = cls;
    char body[65536];
    unsigned status = 200;
    if (strcmp(method, "GET") != 0 || strcmp(url, "/api/v3/klines") != 0) {
        status = 404;
        snprintf(body, sizeof body, "{\"code\":-1,\"msg\":\"not here\"}");
    } else {
        const char *st = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "startTime");
        const char *et = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "endTime");
        const char *sym = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "symbol");
        int64_t start = st ? strtoll(st, NULL, 10) : T0;
        int64_t end = et ? strtoll(et, NULL, 10) : INT64_MAX;
        pthread_mutex_lock(&f->mu);
        f->rest_requests++;
        int forming = f->forming;
        pthread_mutex_unlock(&f->mu);
        size_t len = (size_t)snprintf(body, sizeof body, "[");
        bool first = true;
        for (int i = 0; sym && strcmp(sym, "BTCUSDC") == 0 && i < forming; i++) {
            rt_candle_t c;
            script_candle(i, true, &c);
            if (c.open_time < start - 2 * MINUTE || c.open_time > end)
                continue;
            char o[32], h[32], l[32], cl[32], v[32];
            fmt8(o, sizeof o, c.open);
            fmt8(h, sizeof h, c.high);
            fmt8(l, sizeof l, c.low);
            fmt8(cl, sizeof cl, c.close);
            fmt8(v, sizeof v, c.volume);
            len += (size_t)snprintf(body + len, sizeof body - len,
                                    "%s[%" PRId64 ",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",%" PRId64
                                    ",\"1.0\",2,\"0.5\",\"0.5\",\"0\"]",
                                    first ? "" : ",", c.open_time, o, h, l, cl, v, c.close_time);
            first = false;
        }
        snprintf(body + len, sizeof body - len, "]");
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "X-MBX-USED-WEIGHT-1M", "2");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void fake_start(fake_t *f, bool subscribe_scenario)
{
    memset(f, 0, sizeof *f);
    f->subscribe_scenario = subscribe_scenario;
    pthread_mutex_init(&f->mu, NULL);
    atomic_init(&f->stop, false);
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = 0;
    info.iface = "127.0.0.1";
    info.protocols = fake_protocols;
    info.user = f;
    info.max_http_header_data = 32 * 1024;
    f->ctx = lws_create_context(&info);
    assert_non_null(f->ctx);
    f->ws_port = lws_get_vhost_listen_port(lws_get_vhost_by_name(f->ctx, "default"));
    assert_true(f->ws_port > 0);
    lws_sul_schedule(f->ctx, 0, &f->sul, fake_tick, 5 * LWS_US_PER_MS);
    assert_int_equal(pthread_create(&f->thread, NULL, fake_thread, f), 0);
    f->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                              fake_rest, f, MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
    assert_non_null(f->mhd);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(f->mhd, MHD_DAEMON_INFO_BIND_PORT);
    f->rest_port = di->port;
}

static void fake_stop(fake_t *f)
{
    atomic_store(&f->stop, true);
    lws_cancel_service(f->ctx);
    pthread_join(f->thread, NULL);
    lws_sul_cancel(&f->sul);
    lws_context_destroy(f->ctx);
    MHD_stop_daemon(f->mhd);
    pthread_mutex_destroy(&f->mu);
    free(f->streams);
}

/* ---------------------------------------------------------------------------------------- */
/* the gateway process                                                                       */

typedef struct {
    proc_t proc;
    int http_port;
    char env[24][8192];
    char *envp[25];
    size_t nenv;
} gateway_t;

static void genv(gateway_t *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void genv(gateway_t *g, const char *fmt, ...)
{
    assert_true(g->nenv < 24);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->env[g->nenv], sizeof g->env[0], fmt, ap);
    va_end(ap);
    g->envp[g->nenv] = g->env[g->nenv];
    g->nenv++;
    g->envp[g->nenv] = NULL;
}

static void gateway_env_common(gateway_t *g, const char *symbols)
{
    g->nenv = 0;
    g->http_port = free_port();
    genv(g, "REDIS_HOST=%s", rt_test_require_env("RT_TEST_REDIS_HOST"));
    genv(g, "REDIS_PORT=%s", rt_test_require_env("RT_TEST_REDIS_PORT"));
    genv(g, "GATEWAY_PORT=%d", g->http_port);
    genv(g, "SYMBOLS=%s", symbols);
    genv(g, "INTERVAL=1m");
    genv(g, "LOG_LEVEL=info");
    genv(g, "GATEWAY_BACKOFF_MIN_MS=100");
    genv(g, "GATEWAY_BACKOFF_MAX_MS=1000");
    const char *v = getenv("ASAN_OPTIONS");
    if (v != NULL)
        genv(g, "ASAN_OPTIONS=%s", v);
    v = getenv("UBSAN_OPTIONS");
    if (v != NULL)
        genv(g, "UBSAN_OPTIONS=%s", v);
}

static void gateway_start(gateway_t *g)
{
    char bin[1024];
    proc_start(&g->proc, bin_path(bin, sizeof bin, "rt-gateway"), g->envp);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/health", g->http_port);
    int64_t until = rt_time_mono_ms() + 10000;
    while (http_call("GET", url, NULL) == 0) {
        if (rt_time_mono_ms() > until) {
            proc_dump(&g->proc, "rt-gateway");
            fail_msg("rt-gateway did not answer %s within 10 s", url);
        }
        usleep(50000);
    }
}

static char *gateway_get(gateway_t *g, const char *path, long *status)
{
    char url[128], *body = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", g->http_port, path);
    *status = http_call("GET", url, &body);
    return body;
}

/* ---------------------------------------------------------------------------------------- */
/* test: the scripted exchange                                                               */

static void test_scripted_exchange(void **state)
{
    (void)state;
    fake_t *f = calloc(1, sizeof *f);
    seen_t *seen = calloc(1, sizeof *seen);
    assert_non_null(f);
    assert_non_null(seen);
    fake_start(f, false);
    redis_del("market:candles:BTCUSDC");
    rt_bus_sub_t *sub = subscribe("BTCUSDC");

    gateway_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    gateway_env_common(g, "BTCUSDC,ETHUSDC");
    genv(g, "EXCHANGE=binance"); /* overridden one by one below */
    genv(g, "EXCHANGE_WS_URL=ws://127.0.0.1:%d/ws", f->ws_port);
    genv(g, "EXCHANGE_REST_URL=http://127.0.0.1:%d", f->rest_port);
    gateway_start(g);

    /* Until candle 11 closed (plus a moment for anything repeated), at most 20 s. */
    int64_t until = rt_time_mono_ms() + 20000, settle = 0;
    while (rt_time_mono_ms() < until) {
        rt_bus_sub_poll(sub, 200, on_bus, seen);
        if (settle == 0 && seen->nclosed > 0 &&
            seen->closed[seen->nclosed - 1].open_time >= T0 + 11 * MINUTE)
            settle = rt_time_mono_ms() + 500;
        if (settle != 0 && rt_time_mono_ms() > settle)
            break;
    }
    long st_health, st_metrics;
    char *health = gateway_get(g, "/health", &st_health);
    char *metrics = gateway_get(g, "/metrics", &st_metrics);
    int code = proc_stop(&g->proc, 5000);
    rt_bus_sub_free(sub);

    pthread_mutex_lock(&f->mu);
    int connections = f->connections, rest_requests = f->rest_requests;
    char pong[64];
    memcpy(pong, f->pong, sizeof pong);
    pthread_mutex_unlock(&f->mu);
    fake_stop(f);

    bool ok = false;
    do {
        if (seen->bad != 0) {
            fprintf(stderr, "malformed bus message: %s\n", seen->last_bad);
            break;
        }
        if (seen->nclosed != 12) {
            fprintf(stderr, "closed candles received: %zu, want 12\n", seen->nclosed);
            break;
        }
        ok = true;
    } while (0);
    if (!ok)
        proc_dump(&g->proc, "rt-gateway");
    assert_true(ok);
    /* exactly the exchange's candles 0..11, once each, in order, with its values */
    for (int i = 0; i < 12; i++) {
        rt_candle_t want;
        script_candle(i, true, &want);
        const rt_candle_t *got = &seen->closed[i];
        if (memcmp(got, &want, sizeof want) != 0 &&
            (got->open_time != want.open_time || got->close_time != want.close_time ||
             got->open != want.open || got->high != want.high || got->low != want.low ||
             got->close != want.close || got->volume != want.volume ||
             strcmp(got->symbol, want.symbol) != 0 || strcmp(got->interval, want.interval) != 0))
            fail_msg("closed candle %d: got open_time %" PRId64 " close %" PRId64 ", want %" PRId64
                     " %" PRId64,
                     i, got->open_time, got->close, want.open_time, want.close);
    }
    check_sequence(seen->closed, seen->nclosed, "market:data:BTCUSDC");
    assert_true(seen->nupdates >= 5);
    assert_true(seen->ntickers >= 5);
    assert_string_equal(seen->last_ticker.symbol, "BTCUSDC");
    /* the late joiners' stream holds the same candles */
    rt_candle_t *stream = calloc(MAX_CANDLES, sizeof *stream);
    assert_non_null(stream);
    size_t ns = redis_stream_candles("market:candles:BTCUSDC", stream, MAX_CANDLES);
    assert_int_equal(ns, 12);
    for (size_t i = 0; i < ns; i++)
        assert_int_equal(stream[i].open_time, seen->closed[i].open_time);
    free(stream);
    /* the pong echoed the ping's payload */
    assert_string_equal(pong, "gw-ping-42");
    assert_int_equal(connections, 3);
    assert_true(rest_requests >= 2);
    /* health and metrics */
    assert_int_equal(st_health, 200);
    assert_non_null(strstr(health, "\"connected\":true"));
    assert_non_null(strstr(health, "\"BTCUSDC\":"));
    assert_int_equal(st_metrics, 200);
    assert_true(metric(metrics, "gw_parse_errors_total{kind=\"bad_json\"}") == 1);
    assert_true(metric(metrics, "gw_parse_errors_total{kind=\"unknown_symbol\"}") == 1);
    assert_true(metric(metrics, "gw_reconnects_total") == 2);
    assert_true(metric(metrics, "gw_backfilled_candles_total") == 5);
    assert_true(metric(metrics, "gw_parse_errors_total{kind=\"oversized\"}") == 1);
    /* the 40 KB frame came in fragments and parsed: a repeat of candle 4's close */
    assert_true(metric(metrics, "gw_dropped_total{reason=\"duplicate\"}") >= 2);
    assert_true(metric(metrics, "gw_ws_to_redis_seconds_count") >= 10);
    assert_true(metric(metrics, "gw_frames_total") >= 20);
    free(health);
    free(metrics);
    assert_int_equal(code, 0);
    proc_cleanup(&g->proc);
    free(seen);
    free(g);
    free(f);
}

/* ---------------------------------------------------------------------------------------- */
/* tests: the real rt-exchange-sim                                                           */

typedef struct {
    proc_t proc;
    int port;
    char env[16][256];
    char *envp[17];
} sim_t;

static void sim_start(sim_t *m)
{
    memset(m, 0, sizeof *m);
    m->port = free_port();
    const char *vars[] = {"SYMBOLS=BTCUSDC,ETHUSDC",
                          "SIM_SPEED=60",
                          "SIM_HISTORY=30",
                          "SIM_SEED=7",
                          "SIM_PING_INTERVAL_MS=300",
                          "SIM_PONG_TIMEOUT_MS=1500",
                          "SIM_KLINE_UPDATE_MS=250",
                          "INTERVAL=1m",
                          "LOG_LEVEL=info"};
    size_t n = 0;
    snprintf(m->env[n++], sizeof m->env[0], "SIM_PORT=%d", m->port);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        snprintf(m->env[n++], sizeof m->env[0], "%s", vars[i]);
    if (getenv("ASAN_OPTIONS") != NULL)
        snprintf(m->env[n++], sizeof m->env[0], "ASAN_OPTIONS=%s", getenv("ASAN_OPTIONS"));
    for (size_t i = 0; i < n; i++)
        m->envp[i] = m->env[i];
    m->envp[n] = NULL;
    char bin[1024];
    proc_start(&m->proc, bin_path(bin, sizeof bin, "rt-exchange-sim"), m->envp);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v3/ping", m->port);
    int64_t until = rt_time_mono_ms() + 10000;
    while (http_call("GET", url, NULL) != 200) {
        if (rt_time_mono_ms() > until) {
            proc_dump(&m->proc, "rt-exchange-sim");
            fail_msg("rt-exchange-sim did not answer %s within 10 s", url);
        }
        usleep(50000);
    }
}

static void sim_admin(const sim_t *m, const char *what)
{
    char url[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/admin/%s", m->port, what);
    long st = http_call("POST", url, NULL);
    if (st != 200)
        fail_msg("POST %s: status %ld", url, st);
}

/* Polls until at least want closed candles arrived; false after ms. */
static bool wait_closed(rt_bus_sub_t *sub, seen_t *seen, size_t want, int64_t ms)
{
    int64_t until = rt_time_mono_ms() + ms;
    while (seen->nclosed < want && rt_time_mono_ms() < until)
        rt_bus_sub_poll(sub, 100, on_bus, seen);
    return seen->nclosed >= want;
}

/* The sim's REST klines of BTCUSDC opening in [from, to], parsed (strings, exactly). */
static size_t sim_klines(const sim_t *m, int64_t from, int64_t to, rt_candle_t *out, size_t cap)
{
    char url[256], *body = NULL;
    snprintf(url, sizeof url,
             "http://127.0.0.1:%d/api/v3/klines?symbol=BTCUSDC&interval=1m&startTime=%" PRId64
             "&endTime=%" PRId64 "&limit=1000",
             m->port, from, to);
    long st = http_call("GET", url, &body);
    if (st != 200)
        fail_msg("GET %s: %ld %s", url, st, body ? body : "");
    json_error_t err;
    json_t *rows = json_loads(body, 0, &err);
    if (!json_is_array(rows))
        fail_msg("klines reply is not an array: %s", err.text);
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(rows) && n < cap; i++) {
        json_t *r = json_array_get(rows, i);
        rt_candle_t *c = &out[n++];
        memset(c, 0, sizeof *c);
        c->open_time = json_integer_value(json_array_get(r, 0));
        c->close_time = json_integer_value(json_array_get(r, 6));
        rt_money_t *dst[] = {&c->open, &c->high, &c->low, &c->close, &c->volume};
        for (size_t k = 0; k < 5; k++)
            if (rt_money_parse(json_string_value(json_array_get(r, k + 1)), dst[k]) != RT_OK)
                fail_msg("klines row %zu: field %zu is not a decimal string", i, k + 1);
    }
    json_decref(rows);
    free(body);
    return n;
}

/* Drop, refused reconnects (a real gap), serverShutdown: the closed candles published equal
 * the sim's klines for the same period, none missing, none twice, in order; and with the
 * sim pinging every 300 ms and dropping clients silent for 1.5 s, nothing is dropped before
 * the faults start (the pongs go back). */
static void test_sim_faults(void **state)
{
    (void)state;
    sim_t *m = calloc(1, sizeof *m);
    seen_t *seen = calloc(1, sizeof *seen);
    assert_non_null(m);
    assert_non_null(seen);
    sim_start(m);
    redis_del("market:candles:BTCUSDC");
    rt_bus_sub_t *sub = subscribe("BTCUSDC");
    gateway_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    gateway_env_common(g, "BTCUSDC,ETHUSDC");
    genv(g, "EXCHANGE=sim");
    genv(g, "SIM_PORT=%d", m->port);
    gateway_start(g);

    bool ok = true;
    const char *stage = "";
    long st;
    char *metrics = NULL;
    /* 1. four seconds without faults: candles flow, pings are answered */
    stage = "steady";
    ok = wait_closed(sub, seen, 3, 8000);
    int64_t until = rt_time_mono_ms() + 2500;
    while (ok && rt_time_mono_ms() < until)
        rt_bus_sub_poll(sub, 100, on_bus, seen);
    metrics = gateway_get(g, "/metrics", &st);
    double steady_drops = metrics ? metric(metrics, "gw_disconnects_total") : -1;
    free(metrics);
    /* 2. the sim drops the connection */
    if (ok) {
        stage = "drop";
        sim_admin(m, "drop");
        ok = wait_closed(sub, seen, seen->nclosed + 3, 8000);
    }
    /* 3. dropped and refused for 3 s: about 3 candles close while the gateway is away */
    if (ok) {
        stage = "refuse";
        sim_admin(m, "refuse?seconds=3");
        sim_admin(m, "drop");
        ok = wait_closed(sub, seen, seen->nclosed + 6, 12000);
    }
    /* 4. serverShutdown */
    if (ok) {
        stage = "shutdown";
        sim_admin(m, "shutdown-event");
        ok = wait_closed(sub, seen, seen->nclosed + 3, 8000);
    }
    /* a moment for anything repeated */
    until = rt_time_mono_ms() + 300;
    while (rt_time_mono_ms() < until)
        rt_bus_sub_poll(sub, 100, on_bus, seen);
    metrics = gateway_get(g, "/metrics", &st);
    int code = proc_stop(&g->proc, 5000);
    rt_bus_sub_free(sub);
    if (!ok || seen->bad != 0 || code != 0) {
        proc_dump(&g->proc, "rt-gateway");
        proc_dump(&m->proc, "rt-exchange-sim");
        fail_msg("stage %s: closed candles %zu, bad messages %zu (%s), gateway exit %d", stage,
                 seen->nclosed, seen->bad, seen->last_bad, code);
    }
    /* no gap, no duplicate, in order */
    check_sequence(seen->closed, seen->nclosed, "market:data:BTCUSDC");
    /* the very candles the sim has for that period */
    rt_candle_t *ref = calloc(MAX_CANDLES, sizeof *ref);
    assert_non_null(ref);
    size_t nref = sim_klines(m, seen->closed[0].open_time,
                             seen->closed[seen->nclosed - 1].open_time, ref, MAX_CANDLES);
    if (nref != seen->nclosed)
        fail_msg("the sim has %zu klines from %" PRId64 " to %" PRId64
                 ", the gateway published %zu",
                 nref, seen->closed[0].open_time, seen->closed[seen->nclosed - 1].open_time,
                 seen->nclosed);
    for (size_t i = 0; i < nref; i++) {
        const rt_candle_t *a = &seen->closed[i], *b = &ref[i];
        if (a->open_time != b->open_time || a->close_time != b->close_time || a->open != b->open ||
            a->high != b->high || a->low != b->low || a->close != b->close ||
            a->volume != b->volume)
            fail_msg("candle %zu at %" PRId64 " differs from the sim's (close %" PRId64
                     " vs %" PRId64 ", volume %" PRId64 " vs %" PRId64 ")",
                     i, a->open_time, a->close, b->close, a->volume, b->volume);
        assert_string_equal(a->symbol, "BTCUSDC");
        assert_string_equal(a->interval, "1m");
    }
    free(ref);
    /* the late joiners' stream: the same candles */
    rt_candle_t *stream = calloc(MAX_CANDLES, sizeof *stream);
    assert_non_null(stream);
    size_t ns = redis_stream_candles("market:candles:BTCUSDC", stream, MAX_CANDLES);
    assert_int_equal(ns, seen->nclosed);
    for (size_t i = 0; i < ns; i++)
        assert_int_equal(stream[i].open_time, seen->closed[i].open_time);
    free(stream);
    assert_true(seen->ntickers > 0);
    /* pings answered: no drop before the faults; then three reconnects and a backfill */
    assert_true(steady_drops == 0);
    assert_non_null(metrics);
    assert_true(metric(metrics, "gw_reconnects_total") >= 3);
    assert_true(metric(metrics, "gw_backfilled_candles_total") >= 1);
    free(metrics);
    assert_int_equal(proc_stop(&m->proc, 5000), 0);
    proc_cleanup(&g->proc);
    proc_cleanup(&m->proc);
    free(seen);
    free(g);
    free(m);
}

/* ---------------------------------------------------------------------------------------- */
/* test: more streams than a URL should carry                                                */

/* 300 symbols = 600 streams: the URL carries what fits in 1500 bytes, SUBSCRIBE requests the rest,
 * at most 4 a second (the exchange allows 5); every stream exactly once. */
static void test_subscribe_requests(void **state)
{
    (void)state;
    enum { NSYM = 300 };
    fake_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    fake_start(f, true);
    char *list = calloc(NSYM, 16);
    assert_non_null(list);
    size_t len = 0;
    for (int i = 0; i < NSYM; i++)
        len +=
            (size_t)snprintf(list + len, (size_t)NSYM * 16 - len, "%sS%03dUSDC", i ? "," : "", i);
    gateway_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    gateway_env_common(g, list);
    genv(g, "EXCHANGE_WS_URL=ws://127.0.0.1:%d", f->ws_port);
    genv(g, "EXCHANGE_REST_URL=http://127.0.0.1:%d", f->rest_port);
    gateway_start(g);
    int64_t until = rt_time_mono_ms() + 10000;
    int subs = 0;
    while (rt_time_mono_ms() < until) {
        size_t recorded = 0;
        pthread_mutex_lock(&f->mu);
        for (const char *p = f->streams; p && *p; p++)
            recorded += *p == ',';
        pthread_mutex_unlock(&f->mu);
        if (recorded >= 2 * NSYM + 1)
            break;
        usleep(50000);
    }
    usleep(600000); /* anything more would come now */
    int code = proc_stop(&g->proc, 5000);
    pthread_mutex_lock(&f->mu);
    subs = f->subscribes;
    int connections = f->connections;
    int64_t t[16];
    memcpy(t, f->subscribe_ms, sizeof t);
    char *streams = f->streams ? strdup(f->streams) : NULL;
    pthread_mutex_unlock(&f->mu);
    fake_stop(f);
    if (subs < 2 || streams == NULL || code != 0) {
        proc_dump(&g->proc, "rt-gateway");
        fail_msg("SUBSCRIBE requests: %d, gateway exit %d", subs, code);
    }
    assert_int_equal(connections, 1);
    for (int i = 1; i < subs && i < 16; i++)
        if (t[i] - t[i - 1] < 200)
            fail_msg("SUBSCRIBE %d came %" PRId64 " ms after the one before", i, t[i] - t[i - 1]);
    size_t count = 0;
    for (const char *p = streams; *p; p++)
        count += *p == ',';
    assert_int_equal(count - 1, 2 * NSYM);
    for (int i = 0; i < NSYM; i++) {
        char want[48];
        snprintf(want, sizeof want, ",s%03dusdc@kline_1m,", i);
        const char *at = strstr(streams, want);
        if (at == NULL || strstr(at + 1, want) != NULL)
            fail_msg("stream %s subscribed %s", want, at ? "twice" : "never");
        snprintf(want, sizeof want, ",s%03dusdc@miniTicker,", i);
        at = strstr(streams, want);
        if (at == NULL || strstr(at + 1, want) != NULL)
            fail_msg("stream %s subscribed %s", want, at ? "twice" : "never");
    }
    proc_cleanup(&g->proc);
    free(streams);
    free(list);
    free(g);
    free(f);
}

/* ---------------------------------------------------------------------------------------- */
/* test: /health when the exchange cannot be reached                                         */

static void test_health_when_down(void **state)
{
    (void)state;
    gateway_t *g = calloc(1, sizeof *g);
    assert_non_null(g);
    gateway_env_common(g, "BTCUSDC");
    int closed_port = free_port(); /* nobody listens there */
    genv(g, "EXCHANGE_WS_URL=ws://127.0.0.1:%d", closed_port);
    genv(g, "EXCHANGE_REST_URL=http://127.0.0.1:%d", closed_port);
    genv(g, "GATEWAY_HEALTH_MAX_DOWN_S=1");
    gateway_start(g);
    long st;
    char *body = gateway_get(g, "/health", &st);
    long first = st;
    free(body);
    usleep(1600000);
    body = gateway_get(g, "/health", &st);
    char *metrics = gateway_get(g, "/metrics", &(long){0});
    int code = proc_stop(&g->proc, 5000);
    if (first != 200 || st != 503 || code != 0) {
        proc_dump(&g->proc, "rt-gateway");
        fail_msg("health %ld then %ld (want 200 then 503), exit %d: %s", first, st, code,
                 body ? body : "");
    }
    assert_non_null(strstr(body, "\"connected\":false"));
    assert_non_null(strstr(body, "\"BTCUSDC\":null"));
    /* it kept trying, backing off */
    double tries = metric(metrics, "gw_disconnects_total");
    assert_true(tries >= 2 && tries <= 12);
    free(body);
    free(metrics);
    proc_cleanup(&g->proc);
    free(g);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scripted_exchange),
        cmocka_unit_test(test_subscribe_requests),
        cmocka_unit_test(test_health_when_down),
        cmocka_unit_test(test_sim_faults),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
