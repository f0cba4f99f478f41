/* rt-analyzer against a real redis-server (RT_TEST_REDIS_* from the harness), run as a
 * subprocess (build/bin/rt-analyzer) with its own environment and no warm-up:
 *  - candles of the shared 5m file published on market:data:BTCUSDC come out as signals on
 *    analyze:signal AND in the signals stream, with the ids the engine computes in-process;
 *  - malformed messages, duplicates, out-of-order and foreign candles do not stop it;
 *  - PUT /strategies/{name} (token, validation, 404) takes effect on the next candle;
 *  - after a kill and a restart, the same candles give the same ids, and the changed
 *    parameters survive (config:strategies);
 *  - replay mode: --indicators matches the TA-Lib reference file on every row, and the
 *    signal lines equal the engine's.
 * Every wait is bounded; the subprocess is always killed. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>

#include "analyzer/engine.h"
#include "rt/bus.h"
#include "rt/csv.h"
#include "rt/err.h"
#include "rt/http.h"
#include "rt/jsonw.h"
#include "rt/msg.h"
#include "rt/str.h"
#include "rt/time.h"
#include "rt_test.h"

#define TOKEN "test-token-0123456789abcdef"
#define WAIT_MS 15000
#define PHASE1 200
#define PHASE2 300
#define MAX_SIGNALS 512
#define DATA_FILE "data/btcusdt_5m_2023-01-02_2023-02-09.csv"
#define REF_FILE "data/reference/btcusdt_5m_2023-01-02_2023-02-09.talib.csv"

static const char *g_host;
static int g_port;
static char g_bin[1024];
static rt_candle_t *g_candles;
static size_t g_ncandles;
static pid_t g_child; /* the running rt-analyzer, killed by the teardown if a test fails */

typedef struct {
    size_t n;
    char id[MAX_SIGNALS][RT_ID_CAP];
} idlist_t;

/* ---- helpers --------------------------------------------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static redisContext *redis(void)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout(g_host, g_port, tv);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    redisSetTimeout(c, tv);
    return c;
}

static void redis_cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
    freeReplyObject(r);
}

/* The id of the newest entry of the signals stream ("0-0" when empty). */
static void stream_last_id(redisContext *c, char *buf, size_t cap)
{
    redisReply *r = redisCommand(c, "XREVRANGE signals + - COUNT 1");
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    if (r->elements == 0)
        rt_str_copy(buf, cap, "0-0");
    else
        rt_str_copy(buf, cap, r->element[0]->element[0]->str);
    freeReplyObject(r);
}

/* Signal ids in the stream after entry `after`, for BTCUSDC 5m only, in order. */
static void stream_ids(redisContext *c, const char *after, idlist_t *out)
{
    out->n = 0;
    redisReply *r = redisCommand(c, "XRANGE signals (%s + COUNT 100000", after);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *fields = r->element[i]->element[1];
        assert_int_equal(fields->elements, 2);
        assert_string_equal(fields->element[0]->str, "data");
        rt_signal_t s;
        rt_msg_error_t e;
        int rc = rt_msg_signal_parse(fields->element[1]->str, fields->element[1]->len, &s, &e);
        if (rc != RT_OK)
            fail_msg("stream entry does not parse: %s (%s)", e.text, fields->element[1]->str);
        if (strcmp(s.symbol, "BTCUSDC") != 0 || strcmp(s.interval, "5m") != 0)
            continue; /* another test's signal on the shared server */
        assert_true(out->n < MAX_SIGNALS);
        rt_str_copy(out->id[out->n++], RT_ID_CAP, s.id);
    }
    freeReplyObject(r);
}

static void assert_same_ids(const idlist_t *got, const idlist_t *want, const char *what)
{
    if (got->n != want->n)
        fail_msg("%s: %zu signals, expected %zu", what, got->n, want->n);
    for (size_t i = 0; i < want->n; i++)
        if (strcmp(got->id[i], want->id[i]) != 0)
            fail_msg("%s: signal %zu is %s, expected %s", what, i, got->id[i], want->id[i]);
}

/* The value of one series in a /metrics text ("name{labels} value"), or -1 when absent. */
static int64_t metric(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *p = strstr(text, series); p != NULL; p = strstr(p + 1, series)) {
        if ((p != text && p[-1] != '\n') || p[n] != ' ')
            continue;
        int64_t v = -1;
        char num[32];
        size_t k = 0;
        for (const char *q = p + n + 1; *q >= '0' && *q <= '9' && k + 1 < sizeof num; q++)
            num[k++] = *q;
        num[k] = '\0';
        if (rt_str_parse_int64(num, &v) != RT_OK)
            return -1;
        return v;
    }
    return -1;
}

/* ---- the expected signals, from the engine in-process ----------------------------------- */

static void collect_id(void *ud, const rt_signal_t *sig)
{
    idlist_t *l = ud;
    assert_true(l->n < MAX_SIGNALS);
    rt_str_copy(l->id[l->n++], RT_ID_CAP, sig->id);
}

typedef struct {
    const char *strategy;
    const char *params[4]; /* NAME=VALUE, NULL-terminated */
} setting_t;

static void configure(an_engine_t *e, const setting_t *s)
{
    int slot = an_engine_find(e, s->strategy);
    assert_true(slot >= 0);
    an_params_t p = *an_engine_params(e, (size_t)slot);
    for (size_t k = 0; k < 4 && s->params[k] != NULL; k++) {
        char name[64];
        const char *eq = strchr(s->params[k], '=');
        assert_non_null(eq);
        assert_int_equal(
            rt_str_copy_n(name, sizeof name, s->params[k], (size_t)(eq - s->params[k])), 0);
        assert_int_equal(an_params_set(&p, name, eq + 1, NULL, 0), 0);
    }
    assert_int_equal(an_engine_configure(e, (size_t)slot, true, &p), 0);
}

static const setting_t RSI_DEFAULT = {"RSI_Strategy", {NULL}};
static const setting_t BB_DEFAULT = {"Bollinger_Bands", {NULL}};
static const setting_t RSI_CHANGED = {
    "RSI_Strategy", {"RSI_WINDOW=7", "RSI_OVERSOLD=40", "RSI_OVERBOUGHT=60", NULL}};

/* Signals of candles [from, to) when the strategies start with `first` and switch to `second`
 * (when not NULL) at candle `switch_at`, as the service does on a PUT. */
static void expected(const setting_t *first, const setting_t *second, size_t switch_at, size_t from,
                     size_t to, idlist_t *out)
{
    const char *sym = "BTCUSDC";
    an_engine_t *e = NULL;
    assert_int_equal(an_engine_new(&sym, 1, "5m", AN_HISTORY_DEFAULT, &e), 0);
    configure(e, first);
    configure(e, &BB_DEFAULT);
    idlist_t skip = {0};
    out->n = 0;
    for (size_t i = 0; i < to; i++) {
        if (second != NULL && i == switch_at)
            configure(e, second);
        skip.n = 0;
        assert_true(an_engine_candle(e, &g_candles[i], true, collect_id, i >= from ? out : &skip) >=
                    0);
    }
    an_engine_free(e);
}

/* A writable copy of a NULL-terminated list of strings (exec wants char *const[]). */
static char **dupv(const char *const *v)
{
    size_t n = 0;
    while (v[n] != NULL)
        n++;
    char **out = calloc(n + 1, sizeof *out);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        out[i] = strdup(v[i]);
        assert_non_null(out[i]);
    }
    return out;
}

static void freev(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
        free(v[i]);
    free(v);
}

/* ---- the subprocess -------------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    int http_port;
    char base[64];
} proc_t;

/* One HTTP request; returns the status (0 when no answer) and the body in *body (malloc). */
static long http(const proc_t *p, const char *method, const char *path, const char *token,
                 const char *body, char **reply)
{
    CURL *c = curl_easy_init();
    assert_non_null(c);
    char url[256], auth[128];
    snprintf(url, sizeof url, "%s%s", p->base, path);
    struct curl_slist *h = NULL;
    if (token != NULL) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    h = curl_slist_append(h, "Content-Type: application/json");
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
    if (body != NULL)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    fclose(mem);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (reply != NULL)
        *reply = buf;
    else
        free(buf);
    return status;
}

static void start_env(proc_t *p, const char *extra1, const char *extra2)
{
    p->http_port = free_port();
    snprintf(p->base, sizeof p->base, "http://127.0.0.1:%d", p->http_port);
    char redis_port[16], http_port[16], e_host[300], e_port[32], e_http[32];
    snprintf(redis_port, sizeof redis_port, "%d", g_port);
    snprintf(http_port, sizeof http_port, "%d", p->http_port);
    snprintf(e_host, sizeof e_host, "REDIS_HOST=%s", g_host);
    snprintf(e_port, sizeof e_port, "REDIS_PORT=%s", redis_port);
    snprintf(e_http, sizeof e_http, "ANALYZER_PORT=%s", http_port);
    /* Only what the test chooses: no .env (the working directory is /), no inherited values. */
    const char *env[] = {e_host,
                         e_port,
                         e_http,
                         "API_TOKEN=" TOKEN,
                         "SYMBOLS=BTCUSDC",
                         "INTERVAL=5m",
                         "STRATEGIES=RSI_Strategy,Bollinger_Bands",
                         "LOG_LEVEL=warn",
                         extra1,
                         extra2,
                         NULL};
    char **envp = dupv(env);
    const char *args[] = {g_bin, NULL};
    char **argv = dupv(args);
    p->pid = fork();
    assert_true(p->pid >= 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives the test */
        if (chdir("/") != 0)
            _exit(126);
        execve(g_bin, argv, envp);
        _exit(127);
    }
    g_child = p->pid;
    freev(envp);
    freev(argv);
    int64_t deadline = rt_time_mono_ms() + WAIT_MS;
    while (http(p, "GET", "/health", NULL, NULL, NULL) != 200) {
        int st;
        if (waitpid(p->pid, &st, WNOHANG) == p->pid)
            fail_msg("rt-analyzer exited at start (status %d)", st);
        if (rt_time_mono_ms() > deadline)
            fail_msg("rt-analyzer not healthy within %d ms", WAIT_MS);
        rt_time_sleep_ms(50);
    }
}

static void start(proc_t *p)
{
    start_env(p, "ANALYZER_WARMUP=0", NULL);
}

/* SIGTERM, then SIGKILL after a bound; returns the exit status (-1 when it had to be killed). */
static int stop(proc_t *p, int sig)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    int64_t deadline = rt_time_mono_ms() + 10000;
    int st = 0;
    while (waitpid(p->pid, &st, WNOHANG) != p->pid) {
        if (rt_time_mono_ms() > deadline) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &st, 0);
            p->pid = g_child = 0;
            return -1;
        }
        rt_time_sleep_ms(20);
    }
    p->pid = g_child = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- publishing and receiving ---------------------------------------------------------- */

static void publish_text(rt_bus_t *bus, const char *channel, const char *text)
{
    assert_true(rt_bus_publish(bus, channel, text, strlen(text)) >= 0);
}

static void publish_candle(rt_bus_t *bus, const rt_candle_t *c)
{
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    assert_int_equal(rt_msg_candle_format(&w, c), 0);
    assert_int_equal(rt_jsonw_finish(&w), 0);
    assert_true(rt_bus_publish(bus, "market:data:BTCUSDC", rt_jsonw_data(&w), rt_jsonw_len(&w)) >=
                1);
    rt_jsonw_cleanup(&w);
}

/* Waits until the analyzer's PSUBSCRIBE is live: a malformed message it must drop is
 * published until one subscriber receives it. */
static void wait_subscribed(rt_bus_t *bus)
{
    int64_t deadline = rt_time_mono_ms() + WAIT_MS;
    while (rt_bus_publish(bus, "market:data:BTCUSDC", "not json", 8) < 1) {
        if (rt_time_mono_ms() > deadline)
            fail_msg("rt-analyzer never subscribed");
        rt_time_sleep_ms(20);
    }
}

static void on_signal(void *ud, const char *pattern, const char *channel, const char *payload,
                      size_t len)
{
    (void)pattern;
    (void)channel;
    idlist_t *l = ud;
    rt_signal_t s;
    rt_msg_error_t e;
    if (rt_msg_signal_parse(payload, len, &s, &e) != RT_OK)
        fail_msg("analyze:signal message does not parse: %s", e.text);
    if (strcmp(s.symbol, "BTCUSDC") != 0 || strcmp(s.interval, "5m") != 0)
        return; /* another test's signal on the shared server */
    assert_true(l->n < MAX_SIGNALS);
    rt_str_copy(l->id[l->n++], RT_ID_CAP, s.id);
}

/* Receives on analyze:signal until `want` ids came (or WAIT_MS passed), then a little longer
 * to catch extra ones. */
static void receive(rt_bus_sub_t *sub, size_t want, idlist_t *got)
{
    int64_t deadline = rt_time_mono_ms() + WAIT_MS;
    while (got->n < want && rt_time_mono_ms() < deadline)
        rt_bus_sub_poll(sub, 100, on_signal, got);
    int64_t extra = rt_time_mono_ms() + 300;
    while (rt_time_mono_ms() < extra)
        rt_bus_sub_poll(sub, 50, on_signal, got);
}

/* ---- tests ----------------------------------------------------------------------------- */

static int setup(void **state)
{
    (void)state;
    g_host = rt_test_require_env("RT_TEST_REDIS_HOST");
    int64_t port = 0;
    assert_int_equal(rt_str_parse_int64(rt_test_require_env("RT_TEST_REDIS_PORT"), &port), 0);
    g_port = (int)port;
    snprintf(g_bin, sizeof g_bin, "%s/bin/rt-analyzer", rt_test_require_env("RT_BINARY_DIR"));
    char path[1024];
    assert_non_null(rt_test_shared_path(path, sizeof path, DATA_FILE));
    assert_int_equal(
        rt_csv_candles_load(path, "BTCUSDC", "5m", &g_candles, &g_ncandles, NULL, NULL, 0), 0);
    assert_true(g_ncandles >= PHASE2);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* After each test, pass or fail: no rt-analyzer is left running. */
static int kill_child(void **state)
{
    (void)state;
    if (g_child > 0) {
        kill(g_child, SIGKILL);
        waitpid(g_child, NULL, 0);
        g_child = 0;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g_candles);
    curl_global_cleanup();
    return 0;
}

static void test_service(void **state)
{
    (void)state;
    redisContext *rc = redis();
    redis_cmd(rc, "DEL config:strategies");
    char start_id[64];
    stream_last_id(rc, start_id, sizeof start_id);

    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.host = g_host;
    o.port = g_port;
    rt_bus_t *bus = NULL;
    rt_bus_sub_t *sub = NULL;
    assert_int_equal(rt_bus_new(&o, &bus), 0);
    assert_int_equal(rt_bus_sub_new(&o, &sub), 0);
    assert_int_equal(rt_bus_sub_subscribe(sub, "analyze:signal"), 0);

    proc_t p = {0};
    start(&p);
    wait_subscribed(bus);

    /* Phase 1: candles 0..PHASE1-1, with noise in between that must change nothing. */
    idlist_t want1, got1 = {0};
    expected(&RSI_DEFAULT, NULL, 0, 0, PHASE1, &want1);
    assert_true(want1.n > 0);
    for (size_t i = 0; i < PHASE1; i++) {
        publish_candle(bus, &g_candles[i]);
        if (i % 50 == 10) {
            publish_text(bus, "market:data:BTCUSDC", "{\"symbol\":\"BTCUSDC\",\"open\":");
            publish_text(bus, "market:data:BTCUSDC", "[1,2,3]");
            publish_candle(bus, &g_candles[i]);     /* duplicate */
            publish_candle(bus, &g_candles[i - 5]); /* out of order */
            rt_candle_t other = g_candles[i];
            rt_str_copy(other.symbol, sizeof other.symbol, "ETHUSDC");
            rt_jsonw_t w;
            rt_jsonw_init(&w);
            assert_int_equal(rt_msg_candle_format(&w, &other), 0);
            assert_true(rt_bus_publish(bus, "market:data:ETHUSDC", rt_jsonw_data(&w),
                                       rt_jsonw_len(&w)) >= 1); /* unknown symbol */
            rt_jsonw_cleanup(&w);
            rt_candle_t forming = g_candles[i + 1];
            forming.closed = false;
            publish_candle(bus, &forming);
        }
    }
    receive(sub, want1.n, &got1);
    print_message("phase 1: %zu signals expected, %zu received\n", want1.n, got1.n);
    assert_same_ids(&got1, &want1, "phase 1 on analyze:signal");
    idlist_t st = {0};
    stream_ids(rc, start_id, &st);
    assert_same_ids(&st, &want1, "phase 1 in the signals stream");

    /* The API: token, validation, unknown strategy, then a live change. */
    char *reply = NULL;
    assert_int_equal(http(&p, "PUT", "/strategies/RSI_Strategy", NULL, "{\"enabled\":true}", NULL),
                     401);
    assert_int_equal(http(&p, "PUT", "/strategies/RSI_Strategy", TOKEN,
                          "{\"params\":{\"RSI_WINDOW\":1}}", &reply),
                     400);
    assert_non_null(strstr(reply, "RSI_WINDOW"));
    free(reply);
    assert_int_equal(
        http(&p, "PUT", "/strategies/RSI_Strategy", TOKEN, "{\"params\":{\"NO_SUCH\":1}}", &reply),
        400);
    assert_non_null(strstr(reply, "NO_SUCH"));
    free(reply);
    assert_int_equal(http(&p, "PUT", "/strategies/No_Such", TOKEN, "{}", NULL), 404);
    assert_int_equal(http(&p, "PUT", "/strategies/RSI_Strategy", TOKEN,
                          "{\"enabled\":true,\"params\":{\"RSI_WINDOW\":7,\"RSI_OVERSOLD\":\"40\","
                          "\"RSI_OVERBOUGHT\":60}}",
                          &reply),
                     200);
    assert_non_null(strstr(reply, "\"RSI_WINDOW\":\"7\""));
    free(reply);

    /* Phase 2: the change applies from the next candle on. */
    idlist_t want2, got2 = {0};
    expected(&RSI_DEFAULT, &RSI_CHANGED, PHASE1, PHASE1, PHASE2, &want2);
    assert_true(want2.n > 0);
    for (size_t i = PHASE1; i < PHASE2; i++)
        publish_candle(bus, &g_candles[i]);
    receive(sub, want2.n, &got2);
    print_message("phase 2: %zu signals expected, %zu received\n", want2.n, got2.n);
    assert_same_ids(&got2, &want2, "phase 2 (after PUT) on analyze:signal");

    assert_int_equal(http(&p, "GET", "/strategies", NULL, NULL, &reply), 200);
    assert_non_null(strstr(reply, "\"last_signal\""));
    assert_non_null(strstr(reply, "\"BTCUSDC\":{\"id\""));
    free(reply);
    assert_int_equal(http(&p, "GET", "/metrics", NULL, NULL, &reply), 200);
    /* Exact where only this test can add (BTCUSDC 5m); at least where other tests sharing the
     * server publish too (other symbols, malformed messages). */
    assert_int_equal(metric(reply, "analyzer_candles_total{result=\"fed\"}"), 300);
    assert_int_equal(metric(reply, "analyzer_candles_total{result=\"duplicate\"}"), 4);
    assert_int_equal(metric(reply, "analyzer_candles_total{result=\"out_of_order\"}"), 4);
    assert_true(metric(reply, "analyzer_candles_total{result=\"unknown_symbol\"}") >= 4);
    assert_true(metric(reply, "analyzer_candles_total{result=\"forming\"}") >= 4);
    assert_true(metric(reply, "analyzer_malformed_messages_total") >= 9);
    assert_int_equal(metric(reply, "analyzer_candle_processing_seconds_count"), 300);
    assert_int_equal(metric(reply, "analyzer_signals_total{strategy=\"RSI_Strategy\"}") +
                         metric(reply, "analyzer_signals_total{strategy=\"Bollinger_Bands\"}"),
                     (int64_t)(want1.n + want2.n));
    free(reply);

    /* Kill (no clean stop), restart, replay every candle: the same ids for what did not
     * change, and the RSI settings came back from config:strategies. */
    assert_int_equal(stop(&p, SIGKILL), 128 + SIGKILL);
    stream_last_id(rc, start_id, sizeof start_id);
    start(&p);
    assert_int_equal(http(&p, "GET", "/strategies", NULL, NULL, &reply), 200);
    assert_non_null(strstr(reply, "{\"name\":\"RSI_WINDOW\",\"type\":\"int\",\"value\":7,"));
    free(reply);
    wait_subscribed(bus);
    idlist_t want3, got3 = {0};
    expected(&RSI_CHANGED, NULL, 0, 0, PHASE2, &want3);
    for (size_t i = 0; i < PHASE2; i++)
        publish_candle(bus, &g_candles[i]);
    receive(sub, want3.n, &got3);
    print_message("restart: %zu signals expected, %zu received\n", want3.n, got3.n);
    assert_same_ids(&got3, &want3, "after restart on analyze:signal");
    stream_ids(rc, start_id, &st);
    assert_same_ids(&st, &want3, "after restart in the signals stream");
    /* Bollinger's ids (unchanged parameters) are exactly those of the first run. */
    idlist_t bb_before = {0}, bb_after = {0};
    for (size_t i = 0; i < want1.n + want2.n; i++) {
        const char *id = i < want1.n ? want1.id[i] : want2.id[i - want1.n];
        if (strncmp(id, "Bollinger_Bands:", 16) == 0)
            rt_str_copy(bb_before.id[bb_before.n++], RT_ID_CAP, id);
    }
    for (size_t i = 0; i < got3.n; i++)
        if (strncmp(got3.id[i], "Bollinger_Bands:", 16) == 0)
            rt_str_copy(bb_after.id[bb_after.n++], RT_ID_CAP, got3.id[i]);
    assert_true(bb_before.n > 0);
    assert_same_ids(&bb_after, &bb_before, "Bollinger ids across the restart");

    assert_int_equal(stop(&p, SIGTERM), 0);
    redis_cmd(rc, "DEL config:strategies");
    rt_bus_sub_free(sub);
    rt_bus_free(bus);
    redisFree(rc);
}

/* Runs the binary with args, stdout into a new buffer. Returns the exit status. */
static int run_capture(const char *const args[], char **out, size_t *len)
{
    char **argv = dupv(args);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(g_bin, argv);
        _exit(127);
    }
    close(fds[1]);
    freev(argv);
    FILE *mem = open_memstream(out, len);
    char buf[65536];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, mem);
    fclose(mem);
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_replay_indicators(void **state)
{
    (void)state;
    char data[1024], ref_path[1024];
    assert_non_null(rt_test_shared_path(data, sizeof data, DATA_FILE));
    assert_non_null(rt_test_shared_path(ref_path, sizeof ref_path, REF_FILE));
    const char *argv[] = {g_bin, "--replay", data, "--indicators", NULL};
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(run_capture(argv, &out, &len), 0);
    size_t ref_len = 0;
    char *ref = rt_test_read_file(ref_path, &ref_len);
    assert_non_null(ref);
    char *sa = NULL, *sb = NULL;
    char *la = strtok_r(out, "\n", &sa), *lb = strtok_r(ref, "\n", &sb);
    assert_non_null(la);
    assert_string_equal(la, "open_time_ms,sma20,ema20,rsi14,macd,macd_signal,macd_hist,"
                            "bb_upper,bb_middle,bb_lower,atr14");
    assert_string_equal(la, lb);
    size_t rows = 0, values = 0;
    for (;;) {
        la = strtok_r(NULL, "\n", &sa);
        lb = strtok_r(NULL, "\n", &sb);
        if (la == NULL || lb == NULL) {
            assert_true(la == NULL && lb == NULL);
            break;
        }
        rows++;
        rt_str_slice_t fa[16], fb[16];
        size_t na = 0, nb = 0;
        assert_int_equal(rt_str_split(la, strlen(la), ',', fa, 16, &na), 0);
        assert_int_equal(rt_str_split(lb, strlen(lb), ',', fb, 16, &nb), 0);
        assert_int_equal(na, 11);
        assert_int_equal(nb, 11);
        for (size_t k = 0; k < 11; k++) {
            char ta[64] = "", tb[64] = "";
            assert_int_equal(rt_str_copy_n(ta, sizeof ta, fa[k].p, fa[k].n), 0);
            assert_int_equal(rt_str_copy_n(tb, sizeof tb, fb[k].p, fb[k].n), 0);
            if (ta[0] == '\0' || tb[0] == '\0') {
                if (ta[0] != tb[0])
                    fail_msg("row %zu column %zu: got '%s', reference '%s'", rows, k, ta, tb);
                continue;
            }
            double a = 0, b = 0;
            assert_int_equal(rt_str_parse_double(ta, &a), 0);
            assert_int_equal(rt_str_parse_double(tb, &b), 0);
            /* The reference holds 10 significant digits: compare to its own precision. */
            if (fabs(a - b) > 1e-9 * fabs(b) + 1e-12)
                fail_msg("row %zu column %zu: got %.17g, reference %.17g", rows, k, a, b);
            values++;
        }
    }
    assert_true(rows >= 10000);
    assert_true(values > rows * 9);
    free(out);
    free(ref);
}

static void test_replay_signals(void **state)
{
    (void)state;
    char data[1024];
    assert_non_null(rt_test_shared_path(data, sizeof data, DATA_FILE));
    const char *argv[] = {g_bin,
                          "--replay",
                          data,
                          "--symbol",
                          "BTCUSDC",
                          "--interval",
                          "5m",
                          "--strategies",
                          "RSI_Strategy,Bollinger_Bands",
                          "--param",
                          "RSI_WINDOW=7",
                          "--param",
                          "RSI_OVERSOLD=40",
                          "--param",
                          "RSI_OVERBOUGHT=60",
                          NULL};
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(run_capture(argv, &out, &len), 0);
    /* The first PHASE2 candles' signals, as the engine computes them. */
    idlist_t want;
    expected(&RSI_CHANGED, NULL, 0, 0, PHASE2, &want);
    int64_t limit = g_candles[PHASE2].open_time;
    size_t n = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        rt_signal_t s;
        rt_msg_error_t e;
        if (rt_msg_signal_parse(line, strlen(line), &s, &e) != RT_OK)
            fail_msg("replay line does not parse: %s: %s", e.text, line);
        if (s.timestamp >= limit)
            continue;
        assert_true(n < want.n);
        assert_string_equal(s.id, want.id[n]);
        n++;
    }
    assert_int_equal(n, want.n);
    free(out);

    const char *bad[] = {g_bin, "--replay", data, "--param", "RSI_WINDOW=1", NULL};
    assert_int_equal(run_capture(bad, &out, &len), 2);
    free(out);
    const char *missing[] = {g_bin, "--replay", "/nonexistent.csv", NULL};
    assert_int_equal(run_capture(missing, &out, &len), 2);
    free(out);
}

/* ---- warm-up from a tiny exchange (GET /api/v3/klines) --------------------------------- */

#define WARM 250 /* candles the fake exchange serves */

typedef struct {
    int requests;
    char symbol[32];
    char interval[16];
} fake_exchange_t;

static int klines(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    fake_exchange_t *x = ud; /* one request at a time in this test */
    const char *sym = NULL, *iv = NULL;
    x->requests++;
    if (rt_http_query(req, "symbol", &sym))
        rt_str_copy(x->symbol, sizeof x->symbol, sym);
    if (rt_http_query(req, "interval", &iv))
        rt_str_copy(x->interval, sizeof x->interval, iv);
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    rt_jsonw_array_begin(&w);
    for (size_t i = 0; i < WARM; i++) {
        const rt_candle_t *c = &g_candles[i];
        char t[RT_MONEY_FMT_MAX];
        rt_jsonw_array_begin(&w);
        rt_jsonw_int(&w, c->open_time);
        const rt_money_t v[] = {c->open, c->high, c->low, c->close, c->volume};
        for (size_t k = 0; k < 5; k++) {
            rt_money_format(v[k], t, sizeof t);
            rt_jsonw_string(&w, t);
        }
        rt_jsonw_int(&w, c->close_time);
        rt_jsonw_string(&w, "0");
        rt_jsonw_int(&w, 1);
        rt_jsonw_string(&w, "0");
        rt_jsonw_string(&w, "0");
        rt_jsonw_string(&w, "0");
        rt_jsonw_array_end(&w);
    }
    rt_jsonw_array_end(&w);
    int rc = rt_jsonw_finish(&w);
    if (rc == RT_OK)
        rc = rt_http_respond_json(res, 200, rt_jsonw_data(&w));
    rt_jsonw_cleanup(&w);
    return rc;
}

/* With warm-up from the exchange, the first live candle can already signal: the live candles
 * after the served ones give exactly the signals of a run over all of them, and none of the
 * warm-up candles emits. */
static void test_warmup(void **state)
{
    (void)state;
    fake_exchange_t x = {0};
    rt_http_config_t hc = {.service = "fake-exchange", .port = 0};
    rt_http_server_t *srv = NULL;
    assert_int_equal(rt_http_server_new(&hc, &srv), 0);
    assert_int_equal(rt_http_server_route(srv, "GET", "/api/v3/klines", 0, klines, &x), 0);
    assert_int_equal(rt_http_server_start(srv), 0);
    char url[96];
    snprintf(url, sizeof url, "EXCHANGE_REST_URL=http://127.0.0.1:%u",
             (unsigned)rt_http_server_port(srv));

    redisContext *rc = redis();
    redis_cmd(rc, "DEL config:strategies");
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.host = g_host;
    o.port = g_port;
    rt_bus_t *bus = NULL;
    rt_bus_sub_t *sub = NULL;
    assert_int_equal(rt_bus_new(&o, &bus), 0);
    assert_int_equal(rt_bus_sub_new(&o, &sub), 0);
    assert_int_equal(rt_bus_sub_subscribe(sub, "analyze:signal"), 0);

    proc_t p = {0};
    start_env(&p, url, "ANALYZER_WARMUP=1");
    assert_int_equal(x.requests, 1);
    assert_string_equal(x.symbol, "BTCUSDC");
    assert_string_equal(x.interval, "5m");
    wait_subscribed(bus);
    idlist_t want, got = {0};
    expected(&RSI_DEFAULT, NULL, 0, WARM, PHASE2, &want);
    assert_true(want.n > 0);
    /* The first live candle repeats the last served one: a duplicate, no signal. */
    for (size_t i = WARM - 1; i < PHASE2; i++)
        publish_candle(bus, &g_candles[i]);
    receive(sub, want.n, &got);
    print_message("warm-up: %zu signals expected, %zu received\n", want.n, got.n);
    assert_same_ids(&got, &want, "after warm-up on analyze:signal");
    char *reply = NULL;
    assert_int_equal(http(&p, "GET", "/metrics", NULL, NULL, &reply), 200);
    assert_int_equal(metric(reply, "analyzer_candles_total{result=\"duplicate\"}"), 1);
    free(reply);

    /* A change made by another instance (config:strategies) is applied here too. */
    const char *other = "{\"strategy\":\"Bollinger_Bands\",\"instance\":\"other-1\","
                        "\"enabled\":false,\"params\":{\"BB_STD\":\"2.5\"}}";
    publish_text(bus, "config:strategies", other);
    int64_t deadline = rt_time_mono_ms() + WAIT_MS;
    bool applied = false;
    while (!applied && rt_time_mono_ms() < deadline) {
        assert_int_equal(http(&p, "GET", "/strategies", NULL, NULL, &reply), 200);
        json_t *root = json_loads(reply, 0, NULL);
        free(reply);
        assert_non_null(root);
        json_t *list = json_object_get(root, "strategies");
        for (size_t i = 0; i < json_array_size(list); i++) {
            json_t *st = json_array_get(list, i);
            if (strcmp(json_string_value(json_object_get(st, "name")), "Bollinger_Bands") != 0)
                continue;
            json_t *bb_std = json_array_get(json_object_get(st, "params"), 1);
            applied = json_is_false(json_object_get(st, "enabled")) &&
                      json_real_value(json_object_get(bb_std, "value")) == 2.5;
        }
        json_decref(root);
        if (!applied)
            rt_time_sleep_ms(50);
    }
    assert_true(applied);
    assert_int_equal(stop(&p, SIGTERM), 0);
    rt_http_server_free(srv);
    rt_bus_sub_free(sub);
    rt_bus_free(bus);
    redisFree(rc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_indicators),
        cmocka_unit_test(test_replay_signals),
        cmocka_unit_test_teardown(test_service, kill_child),
        cmocka_unit_test_teardown(test_warmup, kill_child),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
