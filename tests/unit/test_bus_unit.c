/* What the bus does without a Redis server: backoff and jitter, option and argument checks,
 * failing fast on a closed port, and the stream-entry parser fed with recorded RESP bytes. */
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

#include "../../common/src/bus_internal.h"
#include "rt/bus.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/time.h"

/* A loopback port nobody listens on (bound, read, closed). */
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

static void test_backoff_bounds(void **state)
{
    (void)state;
    static const struct {
        int attempt, base, max;
        int64_t lo, hi; /* the pause lies in [lo, hi] */
    } cases[] = {
        {0, 100, 5000, 50, 100},
        {1, 100, 5000, 100, 200},
        {2, 100, 5000, 200, 400},
        {5, 100, 5000, 1600, 3200},
        {6, 100, 5000, 2500, 5000},
        {60, 100, 5000, 2500, 5000},
        {1000000, 100, 5000, 2500, 5000},
        {-3, 100, 5000, 50, 100},
        {3, 100, 50, 50, 100},
        {0, 1, 1, 0, 1},
        {4, 0, 5000, 0, 0},
        {4, -5, 5000, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t rng = 12345 + i;
        for (int k = 0; k < 200; k++) {
            int64_t d = rt_bus_backoff_ms(cases[i].attempt, cases[i].base, cases[i].max, &rng);
            if (d < cases[i].lo || d > cases[i].hi)
                fail_msg("case %zu: pause %lld not in [%lld, %lld]", i, (long long)d,
                         (long long)cases[i].lo, (long long)cases[i].hi);
        }
    }
}

static void test_backoff_jitter(void **state)
{
    (void)state;
    /* Without a generator: the plain capped exponential. */
    assert_int_equal(rt_bus_backoff_ms(3, 100, 5000, NULL), 800);
    assert_int_equal(rt_bus_backoff_ms(10, 100, 5000, NULL), 5000);
    /* Same seed, same sequence; a seed of 0 still works; values spread over the range. */
    uint64_t a = 42, b = 42, z = 0;
    int64_t min = INT64_MAX, max = INT64_MIN;
    for (int k = 0; k < 500; k++) {
        int64_t da = rt_bus_backoff_ms(4, 100, 5000, &a);
        assert_int_equal(da, rt_bus_backoff_ms(4, 100, 5000, &b));
        int64_t dz = rt_bus_backoff_ms(4, 100, 5000, &z);
        assert_true(dz >= 800 && dz <= 1600);
        min = da < min ? da : min;
        max = da > max ? da : max;
    }
    assert_true(z != 0);
    if (max - min < 400)
        fail_msg("jitter too narrow: min=%lld max=%lld", (long long)min, (long long)max);
}

static void test_opts_validate(void **state)
{
    (void)state;
    rt_bus_opts_t ok;
    rt_bus_opts_init(&ok);
    assert_int_equal(rt_bus_opts_validate(&ok), RT_OK);
    assert_string_equal(ok.host, "127.0.0.1");
    assert_int_equal(ok.port, 6379);
    assert_int_equal(rt_bus_opts_validate(NULL), RT_EINVAL);

    char long_host[300];
    memset(long_host, 'h', sizeof long_host - 1);
    long_host[sizeof long_host - 1] = '\0';
    static const struct {
        const char *what;
        int field; /* which one to break */
    } cases[] = {
        {"host NULL", 0},
        {"host empty", 1},
        {"host too long", 2},
        {"port 0", 3},
        {"port 65536", 4},
        {"name with space", 5},
        {"name empty", 6},
        {"name with newline", 7},
        {"connect timeout 0", 8},
        {"command timeout 0", 9},
        {"command timeout big", 10},
        {"attempts 0", 11},
        {"backoff base 0", 12},
        {"backoff max < base", 13},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_bus_opts_t o = ok;
        switch (cases[i].field) {
        case 0:
            o.host = NULL;
            break;
        case 1:
            o.host = "";
            break;
        case 2:
            o.host = long_host;
            break;
        case 3:
            o.port = 0;
            break;
        case 4:
            o.port = 65536;
            break;
        case 5:
            o.client_name = "my service";
            break;
        case 6:
            o.client_name = "";
            break;
        case 7:
            o.client_name = "svc\n";
            break;
        case 8:
            o.connect_timeout_ms = 0;
            break;
        case 9:
            o.command_timeout_ms = 0;
            break;
        case 10:
            o.command_timeout_ms = 60001;
            break;
        case 11:
            o.connect_attempts = 0;
            break;
        case 12:
            o.backoff_base_ms = 0;
            break;
        case 13:
            o.backoff_base_ms = 200;
            o.backoff_max_ms = 100;
            break;
        default:
            fail();
        }
        int rc = rt_bus_opts_validate(&o);
        if (rc != RT_EINVAL)
            fail_msg("%s: got %d (%s), want RT_EINVAL", cases[i].what, rc, rt_strerror(rc));
    }
    rt_bus_opts_t named = ok;
    named.client_name = "trader-1";
    assert_int_equal(rt_bus_opts_validate(&named), RT_OK);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    rt_bus_t *bus = (rt_bus_t *)(uintptr_t)1; /* never dereferenced: the checks come first */
    rt_bus_t *untouched = NULL;
    rt_bus_opts_t bad;
    rt_bus_opts_init(&bad);
    bad.port = -1;
    assert_int_equal(rt_bus_new(&bad, &untouched), RT_EINVAL);
    assert_null(untouched);
    assert_int_equal(rt_bus_new(NULL, &untouched), RT_EINVAL);
    assert_int_equal(rt_bus_publish(NULL, "c", "x", 1), RT_EINVAL);
    assert_int_equal(rt_bus_publish(bus, NULL, "x", 1), RT_EINVAL);
    assert_int_equal(rt_bus_publish(bus, "", "x", 1), RT_EINVAL);
    assert_int_equal(rt_bus_publish(bus, "c", NULL, 3), RT_EINVAL);
    char id[RT_BUS_ID_CAP];
    assert_int_equal(rt_bus_xadd(bus, "s", -1, "{}", 2, id, sizeof id), RT_EINVAL);
    assert_int_equal(rt_bus_xadd(bus, "s", 10, "{}", 2, id, 8), RT_EINVAL);
    rt_bus_entry_t *e = NULL;
    size_t n = 0;
    assert_int_equal(rt_bus_xreadgroup(bus, "s", "g", "c", ">", 0, 0, &e, &n), RT_EINVAL);
    assert_int_equal(rt_bus_xreadgroup(bus, "s", "g", "c", ">", 10, -1, &e, &n), RT_EINVAL);
    assert_int_equal(
        rt_bus_xreadgroup(bus, "s", "g", "c", ">", 10, RT_BUS_BLOCK_MAX_MS + 1, &e, &n), RT_EINVAL);
    assert_int_equal(rt_bus_xreadgroup(bus, "s", "g", "c", "", 10, 0, &e, &n), RT_EINVAL);
    const char *ids[] = {"1-0"};
    assert_int_equal(rt_bus_xack(bus, "s", "g", ids, 0), RT_EINVAL);
    assert_int_equal(rt_bus_xack(bus, "s", "g", NULL, 1), RT_EINVAL);
    assert_int_equal(rt_bus_xautoclaim(bus, "s", "g", "c", -1, "0-0", 10, &e, &n, NULL, 0),
                     RT_EINVAL);
    int64_t cnt = 0;
    assert_int_equal(rt_bus_xpending_count(bus, "s", NULL, &cnt), RT_EINVAL);
    assert_int_equal(rt_bus_group_create(bus, "s", "g", NULL), RT_EINVAL);
    assert_int_equal(rt_bus_sub_poll(NULL, 100, NULL, NULL), RT_EINVAL);
    assert_int_equal(rt_bus_sub_subscribe(NULL, "c"), RT_EINVAL);
    assert_int_equal(rt_bus_ping(NULL), RT_EINVAL);
    rt_bus_log_t *lg = NULL;
    assert_int_equal(rt_bus_log_attach("127.0.0.1", 6379, "two words", &lg), RT_EINVAL);
    assert_int_equal(rt_bus_log_attach("127.0.0.1", 0, "svc", &lg), RT_EINVAL);
    assert_null(lg);
    /* free(NULL)-style no-ops */
    rt_bus_free(NULL);
    rt_bus_sub_free(NULL);
    rt_bus_log_detach(NULL);
    rt_bus_entries_free(NULL);
    assert_int_equal(rt_bus_reconnects(NULL), 0);
    assert_false(rt_bus_sub_connected(NULL));
}

static void test_closed_port_fails_fast(void **state)
{
    (void)state;
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.port = closed_port();
    o.connect_attempts = 3;
    o.backoff_base_ms = 10;
    o.backoff_max_ms = 20;
    int64_t t0 = rt_time_mono_ms();
    rt_bus_t *bus = NULL;
    assert_int_equal(rt_bus_new(&o, &bus), RT_ECONN);
    assert_null(bus);
    rt_bus_sub_t *sub = NULL;
    assert_int_equal(rt_bus_sub_new(&o, &sub), RT_ECONN);
    assert_null(sub);
    int64_t took = rt_time_mono_ms() - t0;
    if (took > 2000)
        fail_msg("connect retries took %lld ms", (long long)took);
}

/* A loopback listener that never accepts nor answers: connects succeed (the kernel completes
 * them from the backlog), replies never come. Returns the fd; *port gets its port. */
static int silent_server(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_silent_server_times_out(void **state)
{
    (void)state;
    int port = 0;
    int fd = silent_server(&port);
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.port = port;
    o.command_timeout_ms = 100;
    o.connect_attempts = 1;
    rt_bus_t *bus = NULL;
    assert_int_equal(rt_bus_new(&o, &bus), RT_OK); /* no client name: nothing to answer yet */

    int64_t t0 = rt_time_mono_ms();
    assert_int_equal(rt_bus_publish(bus, "c", "x", 1), RT_ETIMEDOUT);
    int64_t took = rt_time_mono_ms() - t0;
    if (took < 90 || took > 1000)
        fail_msg("a 100 ms command timeout took %lld ms", (long long)took);

    /* XREADGROUP's BLOCK is added to the command timeout, not cut by it. */
    rt_bus_entry_t *e = NULL;
    size_t n = 0;
    t0 = rt_time_mono_ms();
    assert_int_equal(rt_bus_xreadgroup(bus, "s", "g", "c", ">", 10, 300, &e, &n), RT_ETIMEDOUT);
    took = rt_time_mono_ms() - t0;
    if (took < 390 || took > 1500)
        fail_msg("BLOCK 300 + timeout 100 gave up after %lld ms", (long long)took);
    assert_null(e);
    assert_int_equal(rt_bus_reconnects(bus), 1); /* the timed-out connection was replaced */

    /* The server goes away: the reconnect fails, and commands then fail fast. */
    close(fd); /* resets the queued connections too */
    assert_int_equal(rt_bus_ping(bus), RT_ECONN);
    t0 = rt_time_mono_ms();
    assert_int_equal(rt_bus_ping(bus), RT_ECONN);
    assert_true(rt_time_mono_ms() - t0 < 50);
    rt_bus_free(bus);
}

static void count_msg(void *ud, const char *pattern, const char *channel, const char *payload,
                      size_t len)
{
    (void)pattern;
    (void)channel;
    (void)payload;
    (void)len;
    (*(int *)ud)++;
}

static void test_silent_server_subscriber(void **state)
{
    (void)state;
    int port = 0;
    int fd = silent_server(&port);
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.port = port;
    o.command_timeout_ms = 100;
    o.connect_attempts = 1;
    rt_bus_sub_t *sub = NULL;
    assert_int_equal(rt_bus_sub_new(&o, &sub), RT_OK);
    /* No confirmation comes: the subscribe gives up, keeps the channel, drops the connection. */
    assert_int_equal(rt_bus_sub_subscribe(sub, "c"), RT_ETIMEDOUT);
    assert_false(rt_bus_sub_connected(sub));
    /* poll reconnects at once and waits again for the confirmation, in vain: it gives up
     * with RT_ECONN, late by at most one command timeout. */
    int calls = 0;
    int64_t t0 = rt_time_mono_ms();
    assert_int_equal(rt_bus_sub_poll(sub, 250, count_msg, &calls), RT_ECONN);
    int64_t took = rt_time_mono_ms() - t0;
    if (took < 240 || took > 250 + 100 + 300)
        fail_msg("poll(250) with a silent server took %lld ms", (long long)took);
    assert_int_equal(calls, 0);
    assert_int_equal(rt_bus_sub_reconnects(sub), 0);
    assert_int_equal(rt_bus_sub_poll(sub, 100, NULL, NULL), RT_EINVAL); /* fn is required */
    rt_bus_sub_free(sub);
    close(fd);
}

static void test_log_sink_silent_server(void **state)
{
    (void)state;
    /* A hung Redis (connects, never answers) costs one timeout, then lines are dropped at once
     * until the backoff pause has passed. */
    int port = 0;
    int fd = silent_server(&port);
    rt_log_init("unittest", RT_LOG_INFO);
    rt_bus_log_t *lg = NULL;
    assert_int_equal(rt_bus_log_attach("127.0.0.1", port, "hung", &lg), RT_OK);
    int64_t t0 = rt_time_mono_ms();
    for (int i = 0; i < 20; i++)
        rt_log_info("test", "line %d to a hung redis", i);
    int64_t took = rt_time_mono_ms() - t0;
    rt_bus_log_detach(lg);
    rt_log_init("unittest", RT_LOG_ERROR);
    close(fd);
    if (took > 900)
        fail_msg("20 lines to a hung redis took %lld ms", (long long)took);
}

/* Feeds RESP bytes through hiredis's reader and returns the reply (caller frees). */
static redisReply *resp_n(const char *bytes, size_t len)
{
    redisReader *rd = redisReaderCreate();
    assert_non_null(rd);
    assert_int_equal(redisReaderFeed(rd, bytes, len), REDIS_OK);
    void *r = NULL;
    assert_int_equal(redisReaderGetReply(rd, &r), REDIS_OK);
    assert_non_null(r);
    redisReaderFree(rd);
    return r;
}

static redisReply *resp(const char *bytes)
{
    return resp_n(bytes, strlen(bytes));
}

/* For literals that hold NULs. */
#define RESP_LIT(lit) resp_n(lit, sizeof(lit) - 1)

static void test_parse_entries(void **state)
{
    (void)state;
    /* Two entries (the second with two fields, one holding a NUL), a deleted one, a nil. */
    redisReply *r =
        RESP_LIT("*4\r\n"
                 "*2\r\n$3\r\n1-0\r\n*2\r\n$4\r\ndata\r\n$7\r\n{\"a\":1}\r\n"
                 "*2\r\n$3\r\n2-5\r\n*4\r\n$1\r\nk\r\n$3\r\na\0b\r\n$4\r\ndata\r\n$2\r\n{}\r\n"
                 "*2\r\n$3\r\n3-0\r\n*-1\r\n"
                 "*-1\r\n");
    rt_bus_entry_t *e = NULL;
    size_t n = 0;
    assert_int_equal(rt_bus__parse_entries(r, &e, &n), RT_OK);
    freeReplyObject(r); /* the entries own copies */
    assert_int_equal(n, 3);
    assert_string_equal(e[0].id, "1-0");
    assert_int_equal(e[0].nfields, 1);
    assert_int_equal(e[0].data_len, 7);
    assert_string_equal(e[0].data, "{\"a\":1}");
    assert_string_equal(e[1].id, "2-5");
    assert_int_equal(e[1].nfields, 2);
    assert_string_equal(e[1].fields[0].field, "k");
    assert_int_equal(e[1].fields[0].value_len, 3);
    assert_memory_equal(e[1].fields[0].value, "a\0b", 4);
    assert_string_equal(e[1].data, "{}");
    assert_string_equal(e[2].id, "3-0");
    assert_int_equal(e[2].nfields, 0);
    assert_null(e[2].data);
    rt_bus_entries_free(e);

    r = resp("*0\r\n");
    e = (rt_bus_entry_t *)(uintptr_t)1;
    assert_int_equal(rt_bus__parse_entries(r, &e, &n), RT_OK);
    assert_null(e);
    assert_int_equal(n, 0);
    freeReplyObject(r);
}

static void test_parse_entries_malformed(void **state)
{
    (void)state;
    static const char *cases[] = {
        ":1\r\n",                                              /* not an array */
        "*1\r\n:5\r\n",                                        /* entry not an array */
        "*1\r\n*1\r\n$3\r\n1-0\r\n",                           /* entry without fields */
        "*1\r\n*2\r\n:1\r\n*0\r\n",                            /* id not a string */
        "*1\r\n*2\r\n$0\r\n\r\n*0\r\n",                        /* empty id */
        "*1\r\n*2\r\n$3\r\n1-0\r\n*1\r\n$4\r\ndata\r\n",       /* odd field count */
        "*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$4\r\ndata\r\n:1\r\n", /* value not a string */
        "*1\r\n*2\r\n$3\r\n1-0\r\n$4\r\ndata\r\n",             /* fields not an array */
        "*1\r\n*2\r\n$60\r\n123456789012345678901234567890123456789012345678901234567890\r\n*0\r\n",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        redisReply *r = resp(cases[i]);
        rt_bus_entry_t *e = NULL;
        size_t n = 99;
        int rc = rt_bus__parse_entries(r, &e, &n);
        freeReplyObject(r);
        if (rc != RT_EPROTO)
            fail_msg("case %zu: got %d (%s), want RT_EPROTO", i, rc, rt_strerror(rc));
        assert_null(e);
        assert_int_equal(n, 99); /* out-parameters untouched on error */
    }
}

int main(void)
{
    rt_log_init("unittest", RT_LOG_ERROR); /* the failure lines are expected here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_bounds),
        cmocka_unit_test(test_backoff_jitter),
        cmocka_unit_test(test_opts_validate),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_closed_port_fails_fast),
        cmocka_unit_test(test_silent_server_times_out),
        cmocka_unit_test(test_silent_server_subscriber),
        cmocka_unit_test(test_log_sink_silent_server),
        cmocka_unit_test(test_parse_entries),
        cmocka_unit_test(test_parse_entries_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
