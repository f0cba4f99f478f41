/* The HTTP helper against itself: each test starts a server on an ephemeral loopback port and
 * talks to it with libcurl (or a raw socket where a misbehaving client is the point). Every
 * wait is bounded. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "rt/err.h"
#include "rt/http.h"
#include "rt/log.h"
#include "rt/metrics.h"
#include "rt/time.h"

#define TOKEN "s3cret-token-for-tests"
#define WAIT_MS 5000

/* ---- client side ---- */

struct reply {
    long status;
    char *body;
    size_t len;
    char headers[4096];
    size_t hlen;
    CURLcode code;
};

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t add = size * n;
    char *b = realloc(r->body, r->len + add + 1);
    assert_non_null(b);
    memcpy(b + r->len, p, add);
    r->body = b;
    r->len += add;
    r->body[r->len] = '\0';
    return add;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct reply *r = ud;
    size_t add = size * n;
    if (r->hlen + add < sizeof r->headers) {
        memcpy(r->headers + r->hlen, p, add);
        r->hlen += add;
        r->headers[r->hlen] = '\0';
    }
    return add;
}

struct upload {
    size_t left;
};

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
    struct upload *u = ud;
    size_t give = size * n < u->left ? size * n : u->left;
    memset(p, 'x', give);
    u->left -= give;
    return give;
}

struct call {
    const char *method;
    const char *path;
    const char *auth;    /* full Authorization header value, or NULL */
    const char *body;    /* NULL: no body */
    size_t body_len;     /* 0 with body set: strlen */
    size_t chunked_len;  /* >0: upload this many bytes chunked instead of body */
    int expect;          /* 0: curl decides, 1: no Expect header, 2: Expect: 100-continue */
    curl_off_t uploaded; /* out: body bytes curl sent */
};

static void http_call(uint16_t port, struct call *c, struct reply *r)
{
    memset(r, 0, sizeof *r);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%u%s", port, c->path);
    struct curl_slist *hdrs = NULL;
    char auth[256];
    if (c->auth) {
        snprintf(auth, sizeof auth, "Authorization: %s", c->auth);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (c->expect == 1)
        hdrs = curl_slist_append(hdrs, "Expect:");
    if (c->expect == 2)
        hdrs = curl_slist_append(hdrs, "Expect: 100-continue");
    struct upload up = {.left = c->chunked_len};
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    if (c->chunked_len > 0) {
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
    } else if (c->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(c->body_len ? c->body_len : strlen(c->body)));
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    if (hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    r->code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &c->uploaded);
    if (r->body == NULL) {
        r->body = calloc(1, 1);
        assert_non_null(r->body);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
}

static long get(uint16_t port, const char *path, struct reply *r)
{
    struct call c = {.method = "GET", .path = path};
    http_call(port, &c, r);
    return r->status;
}

#define assert_contains(hay, needle)                                                               \
    do {                                                                                           \
        if (strstr((hay), (needle)) == NULL)                                                       \
            fail_msg("expected to find '%s' in '%s'", (needle), (hay));                            \
    } while (0)

static bool header_has(const struct reply *r, const char *line)
{
    return strcasestr(r->headers, line) != NULL;
}

static int connect_raw(uint16_t port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    if (rcvbuf > 0)
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf), 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        assert_true(w > 0);
        s += w;
        n -= (size_t)w;
    }
}

/* ---- server side ---- */

struct ctx {
    atomic_int healthy;
    atomic_int calls;
    atomic_int active;
    atomic_int max_active;
    atomic_int slow_entered;
    atomic_int slow_done;
    pthread_mutex_t lock;
    rt_http_stream_t *stream;
    atomic_int closes;
    bool keep_ref; /* the close callback leaves the caller's reference to the test */
};

static void ctx_init(struct ctx *c)
{
    memset(c, 0, sizeof *c);
    atomic_init(&c->healthy, 1);
    pthread_mutex_init(&c->lock, NULL);
}

static int h_echo(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    struct ctx *c = ud;
    atomic_fetch_add(&c->calls, 1);
    json_t *o = json_object();
    json_object_set_new(o, "method", json_string(rt_http_method(req)));
    json_object_set_new(o, "path", json_string(rt_http_path(req)));
    const char *names[] = {"id", "name"};
    for (size_t i = 0; i < 2; i++) {
        const char *v = rt_http_param(req, names[i]);
        if (v)
            json_object_set_new(o, names[i], json_string(v));
    }
    const char *qs[] = {"symbol", "flag", "empty", "missing", "dup", "plus", "Symbol"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        const char *v;
        if (rt_http_query(req, qs[i], &v)) {
            char key[32];
            snprintf(key, sizeof key, "q_%s", qs[i]);
            json_object_set_new(o, key, json_string(v));
        }
    }
    size_t len;
    rt_http_body(req, &len);
    json_object_set_new(o, "body_len", json_integer((json_int_t)len));
    const char *ua = rt_http_header(req, "x-test");
    if (ua)
        json_object_set_new(o, "x_test", json_string(ua));
    return rt_http_respond_jsonv(res, 200, o);
}

static int h_literal(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)ud;
    (void)req;
    return rt_http_respond_json(res, 200, "{\"literal\":true}");
}

static int h_limit(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)ud;
    int64_t limit, page;
    int rc = rt_http_query_int(req, res, "limit", 1, 1000, 50, &limit);
    if (rc < 0)
        return rc;
    rc = rt_http_query_int(req, res, "page", 1, INT64_MAX, 1, &page);
    if (rc < 0)
        return rc;
    return rt_http_respond_jsonv(
        res, 200, json_pack("{s:I,s:I}", "limit", (json_int_t)limit, "page", (json_int_t)page));
}

static int h_json(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)ud;
    json_t *in;
    int rc = rt_http_body_json(req, res, &in);
    if (rc < 0)
        return rc;
    return rt_http_respond_jsonv(res, 201, json_pack("{s:o}", "got", in));
}

static int h_err(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)ud;
    const char *kind = rt_http_param(req, "kind");
    if (strcmp(kind, "notfound") == 0)
        return RT_ENOTFOUND;
    if (strcmp(kind, "db") == 0)
        return RT_EDB;
    if (strcmp(kind, "none") == 0)
        return RT_OK; /* forgot to respond */
    if (strcmp(kind, "ratelimit") == 0) {
        assert_int_equal(rt_http_respond_header(res, "Retry-After", "5"), RT_OK);
        assert_int_equal(rt_http_respond_header(res, "X-MBX-USED-WEIGHT-1M", "1201"), RT_OK);
        assert_int_equal(rt_http_respond_header(res, "Bad Name", "x"), RT_EINVAL);
        assert_int_equal(rt_http_respond_header(res, "X-Bad", "a\r\nInjected: 1"), RT_EINVAL);
        assert_int_equal(rt_http_respond_error(res, 999, "x", "y"), RT_EINVAL);
        return rt_http_respond_errorf(res, 429, "too_many_requests", "weight %d over %d", 1201,
                                      1200);
    }
    if (strcmp(kind, "text") == 0)
        return rt_http_respond_text(res, 200, NULL, "plain\n", 6);
    return rt_http_respond_error(res, 418, "teapot", NULL);
}

static int h_slow(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    struct ctx *c = ud;
    (void)req;
    int now = atomic_fetch_add(&c->active, 1) + 1;
    int max = atomic_load(&c->max_active);
    while (now > max && !atomic_compare_exchange_weak(&c->max_active, &max, now)) {
    }
    atomic_store(&c->slow_entered, 1);
    int64_t sleep_ms = 0;
    assert_int_equal(rt_http_query_int(req, res, "ms", 0, 1000, 20, &sleep_ms), RT_OK);
    usleep((useconds_t)(sleep_ms * 1000));
    atomic_fetch_sub(&c->active, 1);
    atomic_store(&c->slow_done, 1);
    return rt_http_respond_json(res, 200, "{\"slow\":true}");
}

static void on_stream_close(void *ud, rt_http_stream_t *s)
{
    struct ctx *c = ud;
    pthread_mutex_lock(&c->lock);
    if (c->stream == s)
        c->stream = NULL;
    bool keep = c->keep_ref;
    pthread_mutex_unlock(&c->lock);
    atomic_fetch_add(&c->closes, 1);
    if (!keep)
        rt_http_stream_release(s);
}

static int h_events(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    struct ctx *c = ud;
    rt_http_stream_t *s;
    (void)req;
    int rc = rt_http_respond_sse(res, on_stream_close, c, &s);
    if (rc < 0)
        return rc;
    assert_int_equal(rt_http_respond_sse(res, on_stream_close, c, &s), RT_EEXIST);
    assert_int_equal(rt_http_stream_send(s, "hello", "sent-before-return"), RT_OK);
    pthread_mutex_lock(&c->lock);
    c->stream = s;
    pthread_mutex_unlock(&c->lock);
    return RT_OK;
}

static int health_cb(void *ud, json_t *details)
{
    struct ctx *c = ud;
    json_object_set_new(details, "redis", json_string(atomic_load(&c->healthy) ? "ok" : "down"));
    return atomic_load(&c->healthy) ? RT_OK : RT_ECONN;
}

struct fixture {
    struct ctx ctx;
    rt_metrics_t *reg;
    rt_http_server_t *srv;
    uint16_t port;
};

static void fixture_start(struct fixture *f, const rt_http_config_t *over)
{
    ctx_init(&f->ctx);
    assert_int_equal(rt_metrics_new(&f->reg), RT_OK);
    rt_http_config_t cfg = {.service = "test",
                            .host = "127.0.0.1",
                            .port = 0,
                            .api_token = TOKEN,
                            .metrics = f->reg,
                            .health = health_cb,
                            .health_ud = &f->ctx,
                            .sse_keepalive_ms = 100,
                            .stop_grace_ms = 2000};
    if (over) {
        cfg.max_body = over->max_body;
        cfg.sse_buffer = over->sse_buffer;
        cfg.threads = over->threads;
    }
    assert_int_equal(rt_http_server_new(&cfg, &f->srv), RT_OK);
    struct {
        const char *method, *pattern;
        unsigned flags;
        rt_http_handler_fn fn;
    } routes[] = {
        {"GET", "/orders/{id}", 0, h_echo},
        {"DELETE", "/orders/{id}", RT_HTTP_AUTH, h_echo},
        {"POST", "/positions/{id}/close", RT_HTTP_AUTH, h_echo},
        {"GET", "/positions/{id}", 0, h_echo},
        {"GET", "/positions/open", 0, h_literal},
        {"GET", "/strategies/{name}", 0, h_echo},
        {"PUT", "/strategies/{name}", RT_HTTP_AUTH, h_json},
        {"GET", "/echo", 0, h_echo},
        {"POST", "/echo", 0, h_echo},
        {"POST", "/json", 0, h_json},
        {"GET", "/trades", 0, h_limit},
        {"GET", "/err/{kind}", 0, h_err},
        {"GET", "/slow", 0, h_slow},
        {"GET", "/events", 0, h_events},
        {"GET", "/", 0, h_literal},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        assert_int_equal(rt_http_server_route(f->srv, routes[i].method, routes[i].pattern,
                                              routes[i].flags, routes[i].fn, &f->ctx),
                         RT_OK);
    assert_int_equal(rt_http_server_port(f->srv), 0);
    assert_int_equal(rt_http_server_start(f->srv), RT_OK);
    f->port = rt_http_server_port(f->srv);
    assert_true(f->port > 0);
}

static void fixture_stop(struct fixture *f)
{
    rt_http_server_free(f->srv);
    pthread_mutex_lock(&f->ctx.lock);
    rt_http_stream_t *left = f->ctx.stream;
    pthread_mutex_unlock(&f->ctx.lock);
    assert_null(left); /* every stream's close callback ran */
    rt_metrics_free(f->reg);
    pthread_mutex_destroy(&f->ctx.lock);
}

/* ---- tests ---- */

struct route_case {
    const char *method;
    const char *path;
    long status;
    const char *body_has;
};

static void test_routing(void **state)
{
    (void)state;
    static const struct route_case cases[] = {
        {"GET", "/orders/42", 200, "\"id\":\"42\""},
        {"GET", "/orders/abc%20def", 200, "\"id\":\"abc def\""},
        {"GET", "/positions/open", 200, "{\"literal\":true}"},
        {"GET", "/positions/7", 200, "\"id\":\"7\""},
        {"GET", "/strategies/RSI_Strategy", 200, "\"name\":\"RSI_Strategy\""},
        {"GET", "/", 200, "literal"},
        {"GET", "/orders/", 404,
         "{\"error\":\"not_found\",\"detail\":\"no route for GET /orders/\"}"},
        {"GET", "/orders", 404, "\"error\":\"not_found\""},
        {"GET", "/orders/1/2", 404, "\"error\":\"not_found\""},
        {"GET", "/nope", 404, "\"error\":\"not_found\""},
        {"GET", "//orders/1", 404, "\"error\":\"not_found\""},
        {"GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s", 404, "not_found"},
        {"POST", "/orders/42", 405,
         "{\"error\":\"method_not_allowed\",\"detail\":\"POST is not allowed on /orders/42\"}"},
        {"PATCH", "/health", 405, "method_not_allowed"},
        {"HEAD", "/orders/1", 405, ""},
    };
    struct fixture f;
    fixture_start(&f, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct route_case *c = &cases[i];
        struct reply r;
        struct call call = {.method = c->method, .path = c->path};
        http_call(f.port, &call, &r);
        if (r.status != c->status)
            fail_msg("%s %s: status %ld, want %ld (body %s)", c->method, c->path, r.status,
                     c->status, r.body);
        assert_contains(r.body, c->body_has);
        if (c->status != 200 && strcmp(c->method, "HEAD") != 0)
            assert_true(header_has(&r, "Content-Type: application/json"));
        if (c->status == 405 && strcmp(c->path, "/orders/42") == 0)
            assert_true(header_has(&r, "Allow: GET, DELETE"));
        if (c->status == 405 && strcmp(c->path, "/health") == 0)
            assert_true(header_has(&r, "Allow: GET"));
        free(r.body);
    }
    fixture_stop(&f);
}

struct bad_route {
    const char *method;
    const char *pattern;
    int expect;
};

static int h_never(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    (void)ud;
    (void)req;
    (void)res;
    fail_msg("never routed");
    return RT_OK;
}

static void test_route_registration(void **state)
{
    (void)state;
    static const struct bad_route cases[] = {
        {"GET", "", RT_EINVAL},
        {"GET", NULL, RT_EINVAL},
        {"GET", "orders", RT_EINVAL},
        {"GET", "/orders/", RT_EINVAL},
        {"GET", "//x", RT_EINVAL},
        {"GET", "/{}", RT_EINVAL},
        {"GET", "/{id", RT_EINVAL},
        {"GET", "/x{id}", RT_EINVAL},
        {"GET", "/x/{a}/{a}", RT_EINVAL},
        {"GET", "/{1x}", RT_EINVAL},
        {"GET", "/a b", RT_EINVAL},
        {"GET", "/a?b", RT_EINVAL},
        {"get", "/lower", RT_EINVAL},
        {"", "/empty", RT_EINVAL},
        {"VERYLONGMETHODNAME", "/x", RT_EINVAL},
        {"GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", RT_EINVAL},
        {"GET", "/health", RT_EEXIST},
        {"GET", "/metrics", RT_EEXIST},
        {"GET", "/orders/{id}", RT_OK},
        {"GET", "/orders/{other}", RT_EEXIST},
        {"DELETE", "/orders/{other}", RT_OK},
        {"GET", "/orders/{id}/fills", RT_OK},
    };
    rt_http_config_t cfg = {.service = "t"};
    rt_http_server_t *srv;
    assert_int_equal(rt_http_server_new(&cfg, &srv), RT_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = rt_http_server_route(srv, cases[i].method, cases[i].pattern, 0, h_never, NULL);
        if (rc != cases[i].expect)
            fail_msg("%s %s: %d, want %d", cases[i].method ? cases[i].method : "(null)",
                     cases[i].pattern ? cases[i].pattern : "(null)", rc, cases[i].expect);
    }
    assert_int_equal(rt_http_server_route(srv, "GET", "/x", 0, NULL, NULL), RT_EINVAL);
    assert_int_equal(rt_http_server_route(srv, "GET", "/x", 0x80, h_never, NULL), RT_EINVAL);
    /* A write route without a token: refused at start, not served open. */
    assert_int_equal(rt_http_server_route(srv, "POST", "/trade", RT_HTTP_AUTH, h_never, NULL),
                     RT_OK);
    assert_int_equal(rt_http_server_start(srv), RT_EINVAL);
    rt_http_server_free(srv);

    /* After start no route may be added; start twice is refused. */
    struct fixture f;
    fixture_start(&f, NULL);
    assert_int_equal(rt_http_server_route(f.srv, "GET", "/late", 0, h_never, NULL), RT_ESTATE);
    assert_int_equal(rt_http_server_start(f.srv), RT_ESTATE);
    fixture_stop(&f);

    rt_http_config_t bad = {.api_token = "has space"};
    srv = NULL;
    assert_int_equal(rt_http_server_new(&bad, &srv), RT_EINVAL);
    assert_null(srv);
    rt_http_config_t badhost = {.host = "not an address"};
    assert_int_equal(rt_http_server_new(&badhost, &srv), RT_EINVAL);
    rt_http_config_t tiny = {.sse_buffer = 10};
    assert_int_equal(rt_http_server_new(&tiny, &srv), RT_EINVAL);
    rt_http_server_free(NULL);
    rt_http_server_stop(NULL);
}

static void test_query(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    struct reply r;
    assert_int_equal(
        get(f.port, "/echo?symbol=BTC%2FUSDC&flag&empty=&dup=1&dup=2&plus=a+b%2Bc", &r), 200);
    assert_contains(r.body, "\"q_symbol\":\"BTC/USDC\"");
    assert_contains(r.body, "\"q_flag\":\"\"");
    assert_contains(r.body, "\"q_empty\":\"\"");
    assert_contains(r.body, "\"q_dup\":\"1\"");
    assert_contains(r.body, "\"q_plus\":\"a b+c\""); /* form encoding: '+' is a space */
    assert_null(strstr(r.body, "q_missing"));
    assert_null(strstr(r.body, "q_Symbol")); /* names are case-sensitive */
    free(r.body);

    struct {
        const char *path;
        long status;
        const char *has;
    } cases[] = {
        {"/trades", 200, "{\"limit\":50,\"page\":1}"},
        {"/trades?limit=5&page=3", 200, "{\"limit\":5,\"page\":3}"},
        {"/trades?limit=1000", 200, "\"limit\":1000"},
        {"/trades?limit=0", 400, "query parameter limit must be an integer in [1, 1000]"},
        {"/trades?limit=1001", 400, "in [1, 1000]"},
        {"/trades?limit=abc", 400, "\"error\":\"bad_request\""},
        {"/trades?limit=5x", 400, "bad_request"},
        {"/trades?limit=", 400, "bad_request"},
        {"/trades?limit=%205", 400, "bad_request"},
        {"/trades?limit=99999999999999999999999", 400, "bad_request"},
        {"/trades?page=-1", 400, "query parameter page"},
        {"/echo?symbol=%00evil", 400, "NUL"},
        {"/echo?sym%00bol=x", 400, "NUL"},
        {"/echo?symbol=%ZZ&x=%", 200, "\"q_symbol\":\"%ZZ\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long st = get(f.port, cases[i].path, &r);
        if (st != cases[i].status)
            fail_msg("%s: %ld, want %ld (%s)", cases[i].path, st, cases[i].status, r.body);
        assert_contains(r.body, cases[i].has);
        free(r.body);
    }
    /* Too many parameters. */
    char path[2048];
    size_t used = (size_t)snprintf(path, sizeof path, "/echo?");
    for (int i = 0; i < 70; i++) {
        int n = snprintf(path + used, sizeof path - used, "k%d=v&", i);
        assert_true(n > 0 && (size_t)n < sizeof path - used);
        used += (size_t)n;
    }
    assert_int_equal(get(f.port, path, &r), 400);
    assert_contains(r.body, "too many query parameters");
    free(r.body);
    fixture_stop(&f);
}

static void test_json_bodies(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    struct {
        const char *body;
        size_t len;
        long status;
        const char *has;
    } cases[] = {
        {"{\"symbol\":\"BTCUSDC\",\"quantity\":0.01}", 0, 201,
         "{\"got\":{\"symbol\":\"BTCUSDC\",\"quantity\":0.01}}"},
        {"{\"a\":", 0, 400, "invalid JSON at line 1"},
        {"[1,2]", 0, 400, "the body must be a JSON object"},
        {"", 0, 400, "empty body"},
        {"{\"a\":1,\"a\":2}", 0, 400, "duplicate"},
        {"{\"a\":\"\0\"}", 9, 400, "invalid JSON"},
        {"\xff\xfe{}", 0, 400, "invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct reply r;
        struct call c = {
            .method = "POST", .path = "/json", .body = cases[i].body, .body_len = cases[i].len};
        if (cases[i].body[0] == '\0' && cases[i].len == 0)
            c.body = "", c.body_len = 0;
        http_call(f.port, &c, &r);
        if (r.status != cases[i].status)
            fail_msg("case %zu: %ld, want %ld (%s)", i, r.status, cases[i].status, r.body);
        assert_contains(r.body, cases[i].has);
        assert_true(header_has(&r, "Content-Type: application/json"));
        free(r.body);
    }
    fixture_stop(&f);
}

static void test_body_limit(void **state)
{
    (void)state;
    rt_http_config_t over = {.max_body = 64 * 1024};
    struct fixture f;
    fixture_start(&f, &over);
    size_t big = 1024 * 1024;
    char *body = malloc(big + 1);
    assert_non_null(body);
    memset(body, 'x', big);
    body[big] = '\0';
    struct reply r;

    /* Exactly at the limit: accepted. */
    struct call at = {.method = "POST", .path = "/echo", .body = body, .body_len = 64 * 1024};
    http_call(f.port, &at, &r);
    assert_int_equal(r.status, 200);
    assert_contains(r.body, "\"body_len\":65536");
    free(r.body);

    /* 1 MB with Content-Length. Without Expect the body is read and thrown away (never kept),
     * then 413: answering mid-upload would reset the connection under the client. With
     * Expect: 100-continue the 413 goes out from the headers and the body is never sent. */
    for (int expect = 1; expect <= 2; expect++) {
        int calls = atomic_load(&f.ctx.calls);
        struct call c = {
            .method = "POST", .path = "/echo", .body = body, .body_len = big, .expect = expect};
        http_call(f.port, &c, &r);
        if (r.status != 413)
            fail_msg("expect=%d: %ld, want 413 (curl: %s)", expect, r.status,
                     curl_easy_strerror(r.code));
        assert_contains(r.body, "{\"error\":\"payload_too_large\",\"detail\":\"the body is "
                                "larger than 65536 bytes\"}");
        assert_int_equal(atomic_load(&f.ctx.calls), calls);
        if (expect == 2 && c.uploaded >= (curl_off_t)big)
            fail_msg("with Expect the body was sent anyway (%lld bytes)", (long long)c.uploaded);
        free(r.body);
    }
    /* 1 MB chunked (no length known up front): read and thrown away, then 413. */
    struct call chunked = {.method = "POST", .path = "/echo", .chunked_len = big};
    http_call(f.port, &chunked, &r);
    assert_int_equal(r.status, 413);
    assert_contains(r.body, "payload_too_large");
    free(r.body);
    /* A small chunked body is fine. */
    struct call small = {.method = "POST", .path = "/echo", .chunked_len = 1000};
    http_call(f.port, &small, &r);
    assert_int_equal(r.status, 200);
    assert_contains(r.body, "\"body_len\":1000");
    free(r.body);
    /* 8 MB chunked: past the drain allowance the connection is cut (curl saw 100 Continue and
     * then a send failure), or the 413 arrived first. */
    struct call huge = {.method = "POST", .path = "/echo", .chunked_len = 8 * big};
    http_call(f.port, &huge, &r);
    if (r.status == 200 || (r.code == CURLE_OK && r.status != 413))
        fail_msg("8 MB chunked: status %ld (curl: %s)", r.status, curl_easy_strerror(r.code));
    free(r.body);
    free(body);
    /* The server is still fine. */
    assert_int_equal(get(f.port, "/health", &r), 200);
    free(r.body);
    fixture_stop(&f);
}

static void test_auth(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    struct {
        const char *method;
        const char *path;
        const char *auth;
        long status;
        const char *has;
    } cases[] = {
        {"DELETE", "/orders/9", NULL, 401,
         "{\"error\":\"unauthorized\",\"detail\":\"missing bearer token\"}"},
        {"DELETE", "/orders/9", "Bearer wrong", 401, "invalid token"},
        {"DELETE", "/orders/9", "Bearer " TOKEN "x", 401, "invalid token"},
        {"DELETE", "/orders/9", "Bearer s3cret", 401, "invalid token"},
        {"DELETE", "/orders/9", "Bearer ", 401, "unauthorized"},
        {"DELETE", "/orders/9", "Basic " TOKEN, 401, "scheme must be Bearer"},
        {"DELETE", "/orders/9", "Bearer" TOKEN, 401, "scheme must be Bearer"},
        {"DELETE", "/orders/9", "Bearer " TOKEN, 200, "\"id\":\"9\""},
        {"DELETE", "/orders/9", "bearer   " TOKEN "  ", 200, "\"id\":\"9\""},
        {"POST", "/positions/3/close", "Bearer " TOKEN, 200, "\"id\":\"3\""},
        {"POST", "/positions/3/close", NULL, 401, "unauthorized"},
        {"GET", "/orders/9", NULL, 200, "\"id\":\"9\""}, /* reads need no token */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct reply r;
        struct call c = {.method = cases[i].method, .path = cases[i].path, .auth = cases[i].auth};
        http_call(f.port, &c, &r);
        if (r.status != cases[i].status)
            fail_msg("case %zu: %ld, want %ld (%s)", i, r.status, cases[i].status, r.body);
        assert_contains(r.body, cases[i].has);
        if (r.status == 401)
            assert_true(header_has(&r, "WWW-Authenticate: Bearer"));
        free(r.body);
    }
    /* A write refused for auth never reads its body nor reaches the handler. */
    int calls = atomic_load(&f.ctx.calls);
    struct reply r;
    struct call put = {.method = "PUT", .path = "/strategies/RSI", .body = "{\"enabled\":true}"};
    http_call(f.port, &put, &r);
    assert_int_equal(r.status, 401);
    assert_int_equal(atomic_load(&f.ctx.calls), calls);
    free(r.body);
    put.auth = "Bearer " TOKEN;
    http_call(f.port, &put, &r);
    assert_int_equal(r.status, 201);
    assert_contains(r.body, "{\"got\":{\"enabled\":true}}");
    free(r.body);
    fixture_stop(&f);
}

static void test_errors_and_headers(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    struct {
        const char *path;
        long status;
        const char *body;
    } cases[] = {
        {"/err/notfound", 404, "{\"error\":\"not_found\",\"detail\":\"not found\"}"},
        {"/err/db", 503, "{\"error\":\"unavailable\",\"detail\":\"database error\"}"},
        {"/err/none", 500, "{\"error\":\"internal\",\"detail\":\"the handler sent no response\"}"},
        {"/err/ratelimit", 429,
         "{\"error\":\"too_many_requests\",\"detail\":\"weight 1201 over 1200\"}"},
        {"/err/other", 418, "{\"error\":\"teapot\",\"detail\":\"\"}"},
        {"/err/text", 200, "plain\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct reply r;
        get(f.port, cases[i].path, &r);
        if (r.status != cases[i].status || strcmp(r.body, cases[i].body) != 0)
            fail_msg("%s: %ld '%s', want %ld '%s'", cases[i].path, r.status, r.body,
                     cases[i].status, cases[i].body);
        if (i == 3) {
            assert_true(header_has(&r, "Retry-After: 5\r\n"));
            assert_true(header_has(&r, "X-MBX-USED-WEIGHT-1M: 1201\r\n"));
            assert_false(header_has(&r, "Injected"));
        }
        if (i == 5)
            assert_true(header_has(&r, "Content-Type: text/plain; charset=utf-8"));
        free(r.body);
    }
    fixture_stop(&f);
}

static void test_health_and_metrics(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    rt_metric_t *m;
    rt_series_t *s;
    assert_int_equal(rt_metrics_counter(f.reg, "test_widgets_total", "Widgets.", NULL, 0, &m),
                     RT_OK);
    assert_int_equal(rt_metric_series(m, NULL, &s), RT_OK);
    rt_counter_add(s, 3);

    struct reply r;
    assert_int_equal(get(f.port, "/health", &r), 200);
    assert_contains(r.body, "\"status\":\"ok\"");
    assert_contains(r.body, "\"service\":\"test\"");
    assert_contains(r.body, "\"uptime_s\":");
    assert_contains(r.body, "\"details\":{\"redis\":\"ok\"}");
    assert_true(header_has(&r, "Content-Type: application/json"));
    free(r.body);
    atomic_store(&f.ctx.healthy, 0);
    assert_int_equal(get(f.port, "/health", &r), 503);
    assert_contains(r.body, "\"status\":\"unavailable\"");
    assert_contains(r.body, "\"details\":{\"redis\":\"down\"}");
    free(r.body);

    get(f.port, "/nope", &r);
    free(r.body);
    /* A request is counted when libmicrohttpd reports it completed, which may come just after
     * the client has its response: wait (at most 2 s) until the registry shows all three. */
    for (int tries = 0; tries < 100; tries++) {
        char *text = NULL;
        size_t tlen = 0;
        assert_int_equal(rt_metrics_render(f.reg, &text, &tlen), RT_OK);
        int done = strstr(text, "http_request_duration_seconds_count 3\n") != NULL;
        free(text);
        if (done)
            break;
        rt_time_sleep_ms(20);
    }
    assert_int_equal(get(f.port, "/metrics", &r), 200);
    assert_true(header_has(&r, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
    assert_contains(r.body, "# TYPE http_requests_total counter\n");
    assert_contains(r.body, "http_requests_total{code=\"200\"} 1\n");
    assert_contains(r.body, "http_requests_total{code=\"503\"} 1\n");
    assert_contains(r.body, "http_requests_total{code=\"404\"} 1\n");
    assert_contains(r.body, "# TYPE http_request_duration_seconds histogram\n");
    assert_contains(r.body, "http_request_duration_seconds_count 3\n");
    assert_contains(r.body, "http_sse_clients 0\n");
    assert_contains(r.body, "# HELP test_widgets_total Widgets.\n");
    assert_contains(r.body, "test_widgets_total 3\n");
    free(r.body);
    fixture_stop(&f);

    /* Without a registry /metrics answers empty text. */
    rt_http_config_t cfg = {.port = 0};
    rt_http_server_t *srv;
    assert_int_equal(rt_http_server_new(&cfg, &srv), RT_OK);
    assert_int_equal(rt_http_server_start(srv), RT_OK);
    assert_int_equal(get(rt_http_server_port(srv), "/metrics", &r), 200);
    assert_string_equal(r.body, "");
    free(r.body);
    assert_int_equal(get(rt_http_server_port(srv), "/health", &r), 200);
    assert_contains(r.body, "\"details\":{}");
    free(r.body);
    rt_http_server_free(srv);
}

struct client_arg {
    uint16_t port;
    const char *path;
    int n;
    atomic_int ok;
};

static void *client_main(void *arg)
{
    struct client_arg *a = arg;
    for (int i = 0; i < a->n; i++) {
        struct reply r;
        if (get(a->port, a->path, &r) == 200)
            atomic_fetch_add(&a->ok, 1);
        free(r.body);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    enum { CLIENTS = 8, EACH = 10 };
    struct client_arg a = {.port = f.port, .path = "/slow?ms=20", .n = EACH};
    atomic_init(&a.ok, 0);
    pthread_t th[CLIENTS];
    int64_t t0 = rt_time_mono_ms();
    for (int i = 0; i < CLIENTS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, client_main, &a), 0);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(th[i], NULL);
    int64_t took = rt_time_mono_ms() - t0;
    assert_int_equal(atomic_load(&a.ok), CLIENTS * EACH);
    /* Handlers ran side by side on the pool: faster than one after the other. */
    if (atomic_load(&f.ctx.max_active) < 2)
        fail_msg("max concurrent handlers %d, took %lld ms", atomic_load(&f.ctx.max_active),
                 (long long)took);
    assert_true(took < CLIENTS * EACH * 20);
    fixture_stop(&f);
}

/* ---- Server-Sent Events ---- */

static rt_http_stream_t *wait_stream(struct ctx *c)
{
    for (int64_t t0 = rt_time_mono_ms(); rt_time_mono_ms() - t0 < WAIT_MS;) {
        pthread_mutex_lock(&c->lock);
        rt_http_stream_t *s = c->stream;
        pthread_mutex_unlock(&c->lock);
        if (s)
            return s;
        usleep(5000);
    }
    fail_msg("no stream within %d ms", WAIT_MS);
    return NULL;
}

static void wait_closes(struct ctx *c, int n)
{
    for (int64_t t0 = rt_time_mono_ms(); rt_time_mono_ms() - t0 < WAIT_MS;) {
        if (atomic_load(&c->closes) >= n)
            return;
        usleep(5000);
    }
    fail_msg("close callbacks %d, want %d within %d ms", atomic_load(&c->closes), n, WAIT_MS);
}

struct sse_client {
    uint16_t port;
    char buf[8192];
    size_t len;
    const char *until; /* stop reading once this text arrived */
    long status;
    char headers[2048];
    size_t hlen;
    CURLcode code;
};

static size_t sse_on_body(char *p, size_t size, size_t n, void *ud)
{
    struct sse_client *c = ud;
    size_t add = size * n;
    if (c->len + add >= sizeof c->buf)
        return 0;
    memcpy(c->buf + c->len, p, add);
    c->len += add;
    c->buf[c->len] = '\0';
    if (c->until && strstr(c->buf, c->until))
        return 0; /* got it: hang up */
    return add;
}

static size_t sse_on_header(char *p, size_t size, size_t n, void *ud)
{
    struct sse_client *c = ud;
    size_t add = size * n;
    if (c->hlen + add < sizeof c->headers) {
        memcpy(c->headers + c->hlen, p, add);
        c->hlen += add;
        c->headers[c->hlen] = '\0';
    }
    return add;
}

static void *sse_client_main(void *arg)
{
    struct sse_client *c = arg;
    CURL *h = curl_easy_init();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/events", c->port);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sse_on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, sse_on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
    c->code = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
    curl_easy_cleanup(h);
    return NULL;
}

static void test_sse_delivery(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    f.ctx.keep_ref = true;
    struct sse_client c = {.port = f.port, .until = "data: line2\n\n"};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sse_client_main, &c), 0);
    rt_http_stream_t *s = wait_stream(&f.ctx);
    usleep(250 * 1000); /* idle for a while: keep-alive comments flow, nothing breaks */
    assert_int_equal(rt_http_stream_send(s, "trade", "{\"id\":1,\"symbol\":\"BTCUSDC\"}"), RT_OK);
    assert_int_equal(rt_http_stream_send(s, NULL, "line1\r\nline2"), RT_OK);
    assert_int_equal(rt_http_stream_send(s, "bad\nname", "x"), RT_EINVAL);
    pthread_join(th, NULL);
    assert_int_equal(c.status, 200);
    assert_true(strcasestr(c.headers, "Content-Type: text/event-stream") != NULL);
    assert_true(strcasestr(c.headers, "Cache-Control: no-cache") != NULL);
    assert_true(strcasestr(c.headers, "X-Accel-Buffering: no") != NULL);
    const char *start = ":ok\n\nevent: hello\ndata: sent-before-return\n\n";
    if (strncmp(c.buf, start, strlen(start)) != 0)
        fail_msg("stream starts '%.60s', want '%s'", c.buf, start);
    assert_contains(c.buf, ":\n\n"); /* a keep-alive came while idle */
    assert_contains(c.buf, "event: trade\ndata: {\"id\":1,\"symbol\":\"BTCUSDC\"}\n\n");
    assert_contains(c.buf, "data: line1\ndata: line2\n\n");
    /* The client hung up: found at the next keep-alive, the owner is told. */
    wait_closes(&f.ctx, 1);
    assert_int_equal(rt_http_stream_send(s, NULL, "late"), RT_ECONN);
    assert_false(rt_http_stream_is_open(s));
    rt_http_stream_close(s); /* harmless after the end */
    rt_http_stream_release(s);
    fixture_stop(&f);
}

static void test_sse_close_and_too_big(void **state)
{
    (void)state;
    rt_http_config_t over = {.sse_buffer = 1024};
    struct fixture f;
    fixture_start(&f, &over);
    struct sse_client c = {.port = f.port};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sse_client_main, &c), 0);
    rt_http_stream_t *s = wait_stream(&f.ctx);
    pthread_mutex_lock(&f.ctx.lock); /* the close callback cannot release s meanwhile */
    char big[2048];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(rt_http_stream_send(s, NULL, big), RT_ETOOBIG); /* alone too big: kept */
    assert_true(rt_http_stream_is_open(s));
    assert_int_equal(rt_http_stream_send(s, "bye", "last"), RT_OK);
    rt_http_stream_close(s);
    rt_http_stream_close(s);
    pthread_mutex_unlock(&f.ctx.lock);
    pthread_join(th, NULL); /* the server ended the body: curl returns */
    assert_int_equal(c.code, CURLE_OK);
    assert_int_equal(c.status, 200);
    assert_contains(c.buf, "event: bye\ndata: last\n\n");
    wait_closes(&f.ctx, 1);
    fixture_stop(&f);
}

static void test_sse_slow_client_dropped(void **state)
{
    (void)state;
    rt_http_config_t over = {.sse_buffer = 4096};
    struct fixture f;
    fixture_start(&f, &over);
    int fd = connect_raw(f.port, 4096);
    send_all(fd, "GET /events HTTP/1.1\r\nHost: test\r\n\r\n");
    rt_http_stream_t *s = wait_stream(&f.ctx);
    char event[1024];
    memset(event, 'z', sizeof event - 1);
    event[sizeof event - 1] = '\0';
    int rc = RT_OK;
    int sent = 0;
    /* The client reads nothing: kernel buffers fill, then ours, then it is dropped. A healthy
     * client would keep up with this pace (1 KiB per ms). */
    for (int64_t t0 = rt_time_mono_ms(); rt_time_mono_ms() - t0 < 10000 && rc == RT_OK;) {
        pthread_mutex_lock(&f.ctx.lock);
        if (f.ctx.stream == s)
            rc = rt_http_stream_send(s, "tick", event);
        else
            rc = RT_ECONN; /* already closed and released */
        pthread_mutex_unlock(&f.ctx.lock);
        if (rc == RT_OK)
            sent++;
        usleep(1000);
    }
    assert_int_equal(rc, RT_ECONN);
    assert_true(sent > 3);
    wait_closes(&f.ctx, 1);
    /* The server closed the connection: reading drains what was sent, then hits the end. */
    char buf[65536];
    ssize_t n;
    size_t total = 0;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
        total += (size_t)n;
    assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
    assert_true(total > 0);
    close(fd);
    struct reply r;
    assert_int_equal(get(f.port, "/health", &r), 200);
    free(r.body);
    fixture_stop(&f);
}

static void test_stop_with_stream_open(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    struct sse_client c = {.port = f.port};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sse_client_main, &c), 0);
    rt_http_stream_t *s = wait_stream(&f.ctx);
    assert_int_equal(rt_http_stream_send(s, "x", "before-stop"), RT_OK);
    usleep(50 * 1000);
    rt_http_server_stop(f.srv);
    assert_int_equal(atomic_load(&f.ctx.closes), 1); /* callbacks ran before stop returned */
    pthread_join(th, NULL);
    assert_contains(c.buf, "data: before-stop\n\n");
    fixture_stop(&f);
}

struct slow_arg {
    uint16_t port;
    long status;
    char body[64];
};

static void *slow_client(void *arg)
{
    struct slow_arg *a = arg;
    struct reply r;
    a->status = get(a->port, "/slow?ms=300", &r);
    snprintf(a->body, sizeof a->body, "%s", r.body);
    free(r.body);
    return NULL;
}

static void test_stop_in_flight(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    struct slow_arg a = {.port = f.port};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, slow_client, &a), 0);
    for (int64_t t0 = rt_time_mono_ms();
         !atomic_load(&f.ctx.slow_entered) && rt_time_mono_ms() - t0 < WAIT_MS;)
        usleep(2000);
    assert_true(atomic_load(&f.ctx.slow_entered));
    int64_t t0 = rt_time_mono_ms();
    rt_http_server_stop(f.srv);
    int64_t took = rt_time_mono_ms() - t0;
    assert_true(atomic_load(&f.ctx.slow_done)); /* stop waited for the handler */
    assert_true(took < 2000);
    pthread_join(th, NULL);
    assert_int_equal(a.status, 200); /* and its answer still went out */
    assert_string_equal(a.body, "{\"slow\":true}");
    assert_int_equal(rt_http_server_port(f.srv), 0);
    /* Nobody listens any more. */
    struct reply r;
    struct call c = {.method = "GET", .path = "/health"};
    http_call(a.port, &c, &r);
    assert_int_equal(r.code, CURLE_COULDNT_CONNECT);
    free(r.body);
    rt_http_server_stop(f.srv); /* twice is fine */
    /* And it can start again (ephemeral port: may differ). */
    assert_int_equal(rt_http_server_start(f.srv), RT_OK);
    assert_int_equal(get(rt_http_server_port(f.srv), "/health", &r), 200);
    free(r.body);
    fixture_stop(&f);
}

static void test_garbage_requests(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, NULL);
    static const char *garbage[] = {
        "GARBAGE\r\n\r\n",
        "GET\r\n\r\n",
        "GET /orders/1 HTTP/9.9\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /orders/%00 HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /orders/\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET http://x/health HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        int fd = connect_raw(f.port, 0);
        send_all(fd, garbage[i]);
        shutdown(fd, SHUT_WR);
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
            buf[n] = '\0';
            /* Whatever the answer, never a server error (505 aside: a fair answer to 9.9). */
            if (strncmp(buf, "HTTP/1.", 7) != 0 ||
                (buf[9] == '5' && strncmp(buf + 9, "505", 3) != 0))
                fail_msg("garbage %zu got '%.40s'", i, buf);
        }
        close(fd);
    }
    /* A header section larger than the connection's memory. */
    int fd = connect_raw(f.port, 0);
    send_all(fd, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ");
    char chunk[1024];
    memset(chunk, 'a', sizeof chunk - 1);
    chunk[sizeof chunk - 1] = '\0';
    for (int i = 0; i < 64; i++) {
        if (send(fd, chunk, strlen(chunk), MSG_NOSIGNAL) <= 0)
            break;
    }
    close(fd);
    struct reply r;
    assert_int_equal(get(f.port, "/health", &r), 200);
    free(r.body);
    fixture_stop(&f);
}

int main(void)
{
    rt_log_init("test_http", RT_LOG_WARN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_route_registration),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_json_bodies),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_errors_and_headers),
        cmocka_unit_test(test_health_and_metrics),
        cmocka_unit_test(test_concurrent),
        cmocka_unit_test(test_sse_delivery),
        cmocka_unit_test(test_sse_close_and_too_big),
        cmocka_unit_test(test_sse_slow_client_dropped),
        cmocka_unit_test(test_stop_with_stream_open),
        cmocka_unit_test(test_stop_in_flight),
        cmocka_unit_test(test_garbage_requests),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
