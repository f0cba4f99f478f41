/* The bus against a real redis-server (RT_TEST_REDIS_HOST / RT_TEST_REDIS_PORT from the
 * harness): pub/sub, patterns, surviving CLIENT KILL, the capped stream, consumer groups with
 * a simulated crash and a claim, and the log sink (reachable and not). Keys and channels carry
 * the pid so runs sharing one server do not meet. Every wait is bounded. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "rt/bus.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"
#include "rt_test.h"

#define WAIT_MS 5000

static const char *g_host;
static int g_port;
static char g_prefix[32]; /* "t<pid>" */

static void name(char *buf, size_t cap, const char *suffix)
{
    int n = snprintf(buf, cap, "%s:%s", g_prefix, suffix);
    assert_true(n > 0 && (size_t)n < cap);
}

static void opts(rt_bus_opts_t *o, const char *client_name)
{
    rt_bus_opts_init(o);
    o->host = g_host;
    o->port = g_port;
    o->client_name = client_name;
    o->connect_attempts = 3;
    o->backoff_base_ms = 20;
    o->backoff_max_ms = 200;
}

/* ---- what a subscriber received ---- */

#define MSG_MAX 16
typedef struct {
    int n;
    struct {
        char pattern[128]; /* "" for a plain SUBSCRIBE delivery */
        char channel[128];
        char payload[4096];
        size_t len;
    } m[MSG_MAX];
} inbox_t;

static void on_msg(void *ud, const char *pattern, const char *channel, const char *payload,
                   size_t len)
{
    inbox_t *in = ud;
    if (in->n >= MSG_MAX)
        return;
    snprintf(in->m[in->n].pattern, sizeof in->m[in->n].pattern, "%s", pattern ? pattern : "");
    snprintf(in->m[in->n].channel, sizeof in->m[in->n].channel, "%s", channel);
    size_t keep = len < sizeof in->m[in->n].payload ? len : sizeof in->m[in->n].payload;
    memcpy(in->m[in->n].payload, payload, keep);
    in->m[in->n].len = len;
    in->n++;
}

/* Polls until the inbox holds `want` messages or WAIT_MS passed. */
static void poll_until(rt_bus_sub_t *sub, inbox_t *in, int want)
{
    int64_t end = rt_time_mono_ms() + WAIT_MS;
    while (in->n < want && rt_time_mono_ms() < end) {
        int rc = rt_bus_sub_poll(sub, 200, on_msg, in);
        assert_true(rc >= 0 || rc == RT_ECONN);
    }
    if (in->n < want)
        fail_msg("received %d messages in %d ms, want %d", in->n, WAIT_MS, want);
}

/* ---- an admin connection of the test's own ---- */

static redisContext *admin(void)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout(g_host, g_port, tv);
    assert_non_null(c);
    if (c->err)
        fail_msg("admin connect %s:%d: %s", g_host, g_port, c->errstr);
    redisSetTimeout(c, tv);
    return c;
}

/* The CLIENT LIST id of the connection named `client_name`, or -1. */
static long long client_id(redisContext *c, const char *client_name)
{
    redisReply *r = redisCommand(c, "CLIENT LIST");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    char needle[160];
    snprintf(needle, sizeof needle, " name=%s ", client_name);
    long long id = -1;
    const char *hit = strstr(r->str, needle);
    if (hit != NULL) {
        const char *line = hit;
        while (line > r->str && line[-1] != '\n')
            line--;
        assert_memory_equal(line, "id=", 3);
        char *end = NULL;
        errno = 0;
        id = strtoll(line + 3, &end, 10);
        assert_true(errno == 0 && end != line + 3);
    }
    freeReplyObject(r);
    return id;
}

static void kill_client(const char *client_name)
{
    redisContext *c = admin();
    long long id = client_id(c, client_name);
    if (id < 0)
        fail_msg("no connection named %s in CLIENT LIST", client_name);
    /* By id rather than TYPE pubsub: other tests may share this server. */
    redisReply *r = redisCommand(c, "CLIENT KILL ID %lld", id);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    redisFree(c);
}

/* ---- tests ---- */

static void test_pubsub_binary_roundtrip(void **state)
{
    (void)state;
    char chan[64], subname[64];
    name(chan, sizeof chan, "bin");
    snprintf(subname, sizeof subname, "%s-sub-bin", g_prefix);
    rt_bus_opts_t o;
    opts(&o, subname);
    rt_bus_sub_t *sub = NULL;
    assert_int_equal(rt_bus_sub_new(&o, &sub), RT_OK);
    assert_int_equal(rt_bus_sub_subscribe(sub, chan), RT_OK);
    assert_int_equal(rt_bus_sub_subscribe(sub, chan), RT_OK); /* twice is harmless */
    assert_true(rt_bus_sub_connected(sub));

    rt_bus_t *bus = NULL;
    opts(&o, NULL);
    assert_int_equal(rt_bus_new(&o, &bus), RT_OK);
    assert_int_equal(rt_bus_ping(bus), RT_OK);
    static const char payload[] = {'a', '\0', 'b', (char)0xff, '\r', '\n', '%', 's'};
    assert_int_equal(rt_bus_publish(bus, chan, payload, sizeof payload), 1);
    assert_int_equal(rt_bus_publish(bus, chan, NULL, 0), 1); /* empty payload */

    inbox_t in = {0};
    poll_until(sub, &in, 2);
    assert_string_equal(in.m[0].channel, chan);
    assert_string_equal(in.m[0].pattern, "");
    assert_int_equal(in.m[0].len, sizeof payload);
    assert_memory_equal(in.m[0].payload, payload, sizeof payload);
    assert_int_equal(in.m[1].len, 0);

    /* Nothing more: a poll waits its timeout and returns 0. */
    int64_t t0 = rt_time_mono_ms();
    assert_int_equal(rt_bus_sub_poll(sub, 150, on_msg, &in), 0);
    int64_t took = rt_time_mono_ms() - t0;
    if (took < 140 || took > 1000)
        fail_msg("poll(150) took %lld ms", (long long)took);
    assert_int_equal(rt_bus_sub_reconnects(sub), 0);
    rt_bus_free(bus);
    rt_bus_sub_free(sub);
}

static void test_pattern_subscribe(void **state)
{
    (void)state;
    char pattern[64], btc[64], eth[64], other[64];
    name(pattern, sizeof pattern, "market:data:*");
    name(btc, sizeof btc, "market:data:BTCUSDC");
    name(eth, sizeof eth, "market:data:ETHUSDC");
    name(other, sizeof other, "market:ticker:BTCUSDC");
    rt_bus_opts_t o;
    opts(&o, NULL);
    rt_bus_sub_t *sub = NULL;
    rt_bus_t *bus = NULL;
    assert_int_equal(rt_bus_sub_new(&o, &sub), RT_OK);
    assert_int_equal(rt_bus_sub_psubscribe(sub, pattern), RT_OK);
    assert_int_equal(rt_bus_new(&o, &bus), RT_OK);
    assert_int_equal(rt_bus_publish(bus, other, "x", 1), 0); /* matches nothing */
    assert_int_equal(rt_bus_publish(bus, btc, "{\"close\":1}", 11), 1);
    assert_int_equal(rt_bus_publish(bus, eth, "{\"close\":2}", 11), 1);
    inbox_t in = {0};
    poll_until(sub, &in, 2);
    assert_int_equal(in.n, 2);
    assert_string_equal(in.m[0].pattern, pattern);
    assert_string_equal(in.m[0].channel, btc);
    assert_string_equal(in.m[0].payload, "{\"close\":1}");
    assert_string_equal(in.m[1].channel, eth);
    rt_bus_free(bus);
    rt_bus_sub_free(sub);
}

static void test_subscriber_survives_client_kill(void **state)
{
    (void)state;
    char chan[64], pattern[64], pchan[64], subname[64];
    name(chan, sizeof chan, "events");
    name(pattern, sizeof pattern, "ticker:*");
    name(pchan, sizeof pchan, "ticker:BTCUSDC");
    snprintf(subname, sizeof subname, "%s-sub-kill", g_prefix);
    rt_bus_opts_t o;
    opts(&o, subname);
    rt_bus_sub_t *sub = NULL;
    rt_bus_t *bus = NULL;
    assert_int_equal(rt_bus_sub_new(&o, &sub), RT_OK);
    assert_int_equal(rt_bus_sub_subscribe(sub, chan), RT_OK);
    assert_int_equal(rt_bus_sub_psubscribe(sub, pattern), RT_OK);
    opts(&o, NULL);
    assert_int_equal(rt_bus_new(&o, &bus), RT_OK);

    kill_client(subname);

    /* Publish until both subscriptions deliver again: what is published before the
     * resubscription is lost (pub/sub), what comes after arrives. */
    inbox_t in = {0};
    bool got_chan = false, got_pattern = false;
    int64_t end = rt_time_mono_ms() + WAIT_MS;
    while (!(got_chan && got_pattern) && rt_time_mono_ms() < end) {
        assert_true(rt_bus_publish(bus, chan, "after", 5) >= 0);
        assert_true(rt_bus_publish(bus, pchan, "after-p", 7) >= 0);
        in.n = 0;
        int rc = rt_bus_sub_poll(sub, 100, on_msg, &in);
        assert_true(rc >= 0 || rc == RT_ECONN);
        for (int i = 0; i < in.n; i++) {
            if (strcmp(in.m[i].channel, chan) == 0 && strcmp(in.m[i].payload, "after") == 0)
                got_chan = true;
            if (strcmp(in.m[i].channel, pchan) == 0 && strcmp(in.m[i].pattern, pattern) == 0)
                got_pattern = true;
        }
    }
    if (!got_chan || !got_pattern)
        fail_msg("after CLIENT KILL: channel=%d pattern=%d within %d ms", got_chan, got_pattern,
                 WAIT_MS);
    assert_int_equal(rt_bus_sub_reconnects(sub), 1);
    assert_true(rt_bus_sub_connected(sub));
    /* The client name came back with the new connection. */
    redisContext *c = admin();
    assert_true(client_id(c, subname) >= 0);
    redisFree(c);
    rt_bus_free(bus);
    rt_bus_sub_free(sub);
}

static void test_command_connection_survives_client_kill(void **state)
{
    (void)state;
    char cmdname[64], chan[64];
    snprintf(cmdname, sizeof cmdname, "%s-cmd-kill", g_prefix);
    name(chan, sizeof chan, "nobody");
    rt_bus_opts_t o;
    opts(&o, cmdname);
    rt_bus_t *bus = NULL;
    assert_int_equal(rt_bus_new(&o, &bus), RT_OK);
    assert_int_equal(rt_bus_ping(bus), RT_OK);
    kill_client(cmdname);
    /* The next command finds the connection dead, reconnects and is sent again. */
    assert_int_equal(rt_bus_publish(bus, chan, "x", 1), 0);
    assert_int_equal(rt_bus_reconnects(bus), 1);
    kill_client(cmdname);
    assert_int_equal(rt_bus_ping(bus), RT_OK);
    assert_int_equal(rt_bus_reconnects(bus), 2);
    rt_bus_free(bus);
}

static void test_xadd_maxlen_caps_stream(void **state)
{
    (void)state;
    char stream[64];
    name(stream, sizeof stream, "capped");
    rt_bus_opts_t o;
    opts(&o, NULL);
    rt_bus_t *bus = NULL;
    assert_int_equal(rt_bus_new(&o, &bus), RT_OK);
    char prev[RT_BUS_ID_CAP] = "";
    for (int i = 0; i < 1000; i++) {
        char json[64], id[RT_BUS_ID_CAP];
        int n = snprintf(json, sizeof json, "{\"i\":%d}", i);
        assert_int_equal(rt_bus_xadd(bus, stream, 50, json, (size_t)n, id, sizeof id), RT_OK);
        assert_non_null(strchr(id, '-'));
        assert_string_not_equal(id, prev);
        memcpy(prev, id, sizeof id);
    }
    int64_t len = -1;
    assert_int_equal(rt_bus_xlen(bus, stream, &len), RT_OK);
    /* "~" trims whole nodes (100 entries by default): at least 50, far below 1000. */
    if (len < 50 || len > 200)
        fail_msg("XLEN after 1000 XADD MAXLEN ~ 50 is %lld", (long long)len);
    char missing[64];
    name(missing, sizeof missing, "no-such-stream");
    assert_int_equal(rt_bus_xlen(bus, missing, &len), RT_OK);
    assert_int_equal(len, 0);
    rt_bus_free(bus);
}

static void test_consumer_group_flow(void **state)
{
    (void)state;
    char stream[64];
    name(stream, sizeof stream, "signals");
    rt_bus_opts_t o;
    opts(&o, NULL);
    rt_bus_t *bus = NULL;
    assert_int_equal(rt_bus_new(&o, &bus), RT_OK);

    /* Every service creates the group at start: the second time is success too. */
    assert_int_equal(rt_bus_group_create(bus, stream, "trader", "$"), RT_OK);
    assert_int_equal(rt_bus_group_create(bus, stream, "trader", "$"), RT_OK);

    rt_bus_entry_t *e = NULL;
    size_t n = 0;
    assert_int_equal(rt_bus_xreadgroup(bus, stream, "nogroup", "c1", ">", 10, 0, &e, &n),
                     RT_ENOTFOUND);

    char ids[3][RT_BUS_ID_CAP];
    for (int i = 0; i < 3; i++) {
        char json[64];
        int len = snprintf(json, sizeof json, "{\"id\":\"s%d\",\"side\":\"BUY\"}", i);
        assert_int_equal(rt_bus_xadd(bus, stream, 10000, json, (size_t)len, ids[i], sizeof ids[i]),
                         RT_OK);
    }

    /* Consumer c1 reads the three new entries and "crashes" before acknowledging. */
    assert_int_equal(rt_bus_xreadgroup(bus, stream, "trader", "c1", ">", 10, 100, &e, &n), RT_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++) {
        char want[64];
        snprintf(want, sizeof want, "{\"id\":\"s%zu\",\"side\":\"BUY\"}", i);
        assert_string_equal(e[i].id, ids[i]);
        assert_int_equal(e[i].nfields, 1);
        assert_string_equal(e[i].fields[0].field, "data");
        assert_string_equal(e[i].data, want);
        assert_int_equal(e[i].data_len, strlen(want));
    }
    rt_bus_entries_free(e);
    rt_bus_free(bus);

    /* Its successor (a new object, a new connection, the same consumer name) reads its pending
     * entries with "0". */
    assert_int_equal(rt_bus_new(&o, &bus), RT_OK);
    assert_int_equal(rt_bus_xreadgroup(bus, stream, "trader", "c1", "0", 10, 0, &e, &n), RT_OK);
    assert_int_equal(n, 3);
    assert_string_equal(e[0].id, ids[0]);
    assert_string_equal(e[2].id, ids[2]);
    rt_bus_entries_free(e);
    int64_t pending = -1;
    assert_int_equal(rt_bus_xpending_count(bus, stream, "trader", &pending), RT_OK);
    assert_int_equal(pending, 3);

    /* It handles the first one and acknowledges it (twice: the second counts 0). */
    const char *ack[] = {ids[0]};
    assert_int_equal(rt_bus_xack(bus, stream, "trader", ack, 1), 1);
    assert_int_equal(rt_bus_xack(bus, stream, "trader", ack, 1), 0);
    assert_int_equal(rt_bus_xpending_count(bus, stream, "trader", &pending), RT_OK);
    assert_int_equal(pending, 2);

    /* Nothing new: BLOCK runs out and gives no entries. */
    int64_t t0 = rt_time_mono_ms();
    e = (rt_bus_entry_t *)(uintptr_t)1;
    assert_int_equal(rt_bus_xreadgroup(bus, stream, "trader", "c1", ">", 10, 150, &e, &n), RT_OK);
    assert_null(e);
    assert_int_equal(n, 0);
    assert_true(rt_time_mono_ms() - t0 >= 140);

    /* c1 dies for good; after the idle time c2 claims the other two. */
    char next[RT_BUS_ID_CAP];
    assert_int_equal(
        rt_bus_xautoclaim(bus, stream, "trader", "c2", 60000, "0-0", 10, &e, &n, next, sizeof next),
        RT_OK);
    assert_int_equal(n, 0); /* not idle long enough yet */
    rt_time_sleep_ms(300);
    assert_int_equal(
        rt_bus_xautoclaim(bus, stream, "trader", "c2", 250, "0-0", 10, &e, &n, next, sizeof next),
        RT_OK);
    assert_int_equal(n, 2);
    assert_string_equal(next, "0-0");
    assert_string_equal(e[0].id, ids[1]);
    assert_string_equal(e[1].id, ids[2]);
    assert_string_equal(e[1].data, "{\"id\":\"s2\",\"side\":\"BUY\"}");
    const char *ack2[] = {e[0].id, e[1].id};
    assert_int_equal(rt_bus_xack(bus, stream, "trader", ack2, 2), 2);
    rt_bus_entries_free(e);
    assert_int_equal(rt_bus_xpending_count(bus, stream, "trader", &pending), RT_OK);
    assert_int_equal(pending, 0);
    assert_int_equal(rt_bus_xreadgroup(bus, stream, "trader", "c1", "0", 10, 0, &e, &n), RT_OK);
    assert_int_equal(n, 0);

    /* A pending entry trimmed away comes back without fields, to be acknowledged. */
    char id[RT_BUS_ID_CAP];
    assert_int_equal(rt_bus_xadd(bus, stream, 0, "{}", 2, id, sizeof id), RT_OK);
    assert_int_equal(rt_bus_xreadgroup(bus, stream, "trader", "c3", ">", 10, 0, &e, &n), RT_OK);
    assert_int_equal(n, 1);
    rt_bus_entries_free(e);
    redisContext *c = admin();
    redisReply *r = redisCommand(c, "XTRIM %s MAXLEN 0", stream);
    assert_non_null(r);
    freeReplyObject(r);
    redisFree(c);
    assert_int_equal(rt_bus_xreadgroup(bus, stream, "trader", "c3", "0", 10, 0, &e, &n), RT_OK);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].id, id);
    assert_int_equal(e[0].nfields, 0);
    assert_null(e[0].data);
    rt_bus_entries_free(e);
    const char *ack3[] = {id};
    assert_int_equal(rt_bus_xack(bus, stream, "trader", ack3, 1), 1);
    rt_bus_free(bus);
}

static void test_log_sink_publishes(void **state)
{
    (void)state;
    char service[48], chan[64];
    snprintf(service, sizeof service, "%ssvc", g_prefix);
    snprintf(chan, sizeof chan, "logs:%s", service);
    rt_bus_opts_t o;
    opts(&o, NULL);
    rt_bus_sub_t *sub = NULL;
    assert_int_equal(rt_bus_sub_new(&o, &sub), RT_OK);
    assert_int_equal(rt_bus_sub_subscribe(sub, chan), RT_OK);

    rt_bus_log_t *lg = NULL;
    assert_int_equal(rt_bus_log_attach(g_host, g_port, service, &lg), RT_OK);
    rt_log_debug("test", "below the level, not published");
    rt_log_info("test", "hello from the sink n=%d quote=\"%s\"", 42, "q");
    rt_log_warn("test", "second line");

    inbox_t in = {0};
    poll_until(sub, &in, 2);
    json_error_t err;
    json_t *j = json_loadb(in.m[0].payload, in.m[0].len, 0, &err);
    if (j == NULL)
        fail_msg("log line is not JSON: %s (%.*s)", err.text, (int)in.m[0].len, in.m[0].payload);
    assert_true(json_integer_value(json_object_get(j, "ts")) > 1600000000000LL);
    assert_string_equal(json_string_value(json_object_get(j, "service")), service);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "INFO");
    assert_string_equal(json_string_value(json_object_get(j, "module")), "test");
    assert_string_equal(json_string_value(json_object_get(j, "msg")),
                        "hello from the sink n=42 quote=\"q\"");
    json_decref(j);
    assert_non_null(strstr(in.m[1].payload, "\"level\":\"WARN\""));
    assert_true(rt_bus_log_published(lg) >= 2);
    assert_int_equal(rt_bus_log_dropped(lg), 0);

    /* Killed, the sink loses at most a line and comes back by itself. */
    char logname[64];
    snprintf(logname, sizeof logname, "%s-log", service);
    kill_client(logname);
    int64_t end = rt_time_mono_ms() + WAIT_MS;
    bool back = false;
    while (!back && rt_time_mono_ms() < end) {
        rt_log_info("test", "after kill");
        in.n = 0;
        assert_true(rt_bus_sub_poll(sub, 100, on_msg, &in) >= 0);
        for (int i = 0; i < in.n; i++)
            back = back || strstr(in.m[i].payload, "after kill") != NULL;
    }
    assert_true(back);

    rt_bus_log_detach(lg);
    rt_log_info("test", "after detach");
    /* Late "after kill" lines may still come; "after detach" must not. */
    int64_t until = rt_time_mono_ms() + 300;
    while (rt_time_mono_ms() < until) {
        in.n = 0;
        assert_true(rt_bus_sub_poll(sub, 100, on_msg, &in) >= 0);
        for (int i = 0; i < in.n; i++)
            assert_null(strstr(in.m[i].payload, "after detach"));
    }
    rt_bus_sub_free(sub);
}

static int closed_port(void)
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

static void test_log_sink_unreachable_does_not_block(void **state)
{
    (void)state;
    rt_bus_log_t *lg = NULL;
    assert_int_equal(rt_bus_log_attach("127.0.0.1", closed_port(), "deadsink", &lg), RT_OK);
    int64_t t0 = rt_time_mono_ms();
    for (int i = 0; i < 50; i++)
        rt_log_info("test", "line %d to nowhere", i);
    int64_t took = rt_time_mono_ms() - t0;
    if (took > 1000)
        fail_msg("50 lines with redis down took %lld ms", (long long)took);
    assert_int_equal(rt_bus_log_dropped(lg), 50);
    assert_int_equal(rt_bus_log_published(lg), 0);
    rt_bus_log_detach(lg);
}

static void test_sub_poll_reconnects_within_timeout(void **state)
{
    (void)state;
    /* A subscriber cut off reconnects inside one poll and still returns within its timeout. */
    char subname[64], chan[64];
    snprintf(subname, sizeof subname, "%s-sub-down", g_prefix);
    name(chan, sizeof chan, "down");
    rt_bus_opts_t o;
    opts(&o, subname);
    rt_bus_sub_t *sub = NULL;
    assert_int_equal(rt_bus_sub_new(&o, &sub), RT_OK);
    assert_int_equal(rt_bus_sub_subscribe(sub, chan), RT_OK);
    kill_client(subname);
    inbox_t in = {0};
    int64_t t0 = rt_time_mono_ms();
    int rc = rt_bus_sub_poll(sub, 300, on_msg, &in);
    int64_t took = rt_time_mono_ms() - t0;
    assert_int_equal(rc, 0); /* reconnected within the call, nothing published */
    assert_true(took <= 1000);
    assert_int_equal(rt_bus_sub_reconnects(sub), 1);
    rt_bus_sub_free(sub);
}

static int setup(void **state)
{
    (void)state;
    g_host = rt_test_require_env("RT_TEST_REDIS_HOST");
    const char *port = rt_test_require_env("RT_TEST_REDIS_PORT");
    char *end = NULL;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (errno != 0 || end == port || *end != '\0' || p < 1 || p > 65535)
        fail_msg("RT_TEST_REDIS_PORT is not a port: %s", port);
    g_port = (int)p;
    snprintf(g_prefix, sizeof g_prefix, "t%ld", (long)getpid());
    rt_log_init("bustest", RT_LOG_INFO);
    if (rt_sig_install() != 0) /* ignores SIGPIPE, as every service does */
        fail_msg("rt_sig_install failed");
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pubsub_binary_roundtrip),
        cmocka_unit_test(test_pattern_subscribe),
        cmocka_unit_test(test_subscriber_survives_client_kill),
        cmocka_unit_test(test_command_connection_survives_client_kill),
        cmocka_unit_test(test_xadd_maxlen_caps_stream),
        cmocka_unit_test(test_consumer_group_flow),
        cmocka_unit_test(test_log_sink_publishes),
        cmocka_unit_test(test_log_sink_unreachable_does_not_block),
        cmocka_unit_test(test_sub_poll_reconnects_within_timeout),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
