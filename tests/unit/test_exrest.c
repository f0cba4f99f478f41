/* The REST client against a tiny Binance-like server run in the test (libmicrohttpd on an
 * ephemeral loopback port). The server records every request as received (raw query and
 * body), checks the signature over exactly those bytes, the API key header and the timestamp
 * window as Binance does (-1022, -1021), and otherwise answers what the test scripted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "rt/err.h"
#include "rt/exparse.h"
#include "rt/exrest.h"
#include "rt/hmac.h"
#include "rt/log.h"
#include "rt/time.h"
#include "rt_test.h"

#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
#define APIKEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define TEXT_CAP 16384

/* ---- the test server ------------------------------------------------------------------- */

struct script {
    unsigned status;
    char body[8192];
    const char *retry_after; /* Retry-After header, NULL for none */
    const char *weight;      /* X-MBX-USED-WEIGHT-1M header, NULL for none */
    int delay_ms;            /* sleep before answering */
};

struct seen {
    char method[16];
    char path[256];
    char query[TEXT_CAP];
    char body[TEXT_CAP];
    char apikey[128];
    char content_type[128];
    char user_agent[128];
    bool signed_request;
    bool sig_ok;
    bool ts_ok;
};

struct server {
    struct MHD_Daemon *d;
    uint16_t port;
    pthread_mutex_t lock;
    int64_t skew_ms; /* the server's clock is the local one plus this */
    struct script script;
    struct seen last;
    int requests; /* requests other than /api/v3/time */
    int time_requests;
    int connections;
};

struct req {
    char uri[TEXT_CAP];
    char body[TEXT_CAP];
    size_t body_len;
    bool started;
};

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    (void)cls;
    (void)con;
    struct req *r = calloc(1, sizeof *r);
    if (r != NULL)
        snprintf(r->uri, sizeof r->uri, "%s", uri);
    return r;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)con;
    (void)toe;
    free(*req_cls);
    *req_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    (void)con;
    (void)socket_context;
    struct server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&s->lock);
        s->connections++;
        pthread_mutex_unlock(&s->lock);
    }
}

/* Removes "[&]signature=<hex>" from the end of text; returns the hex or NULL. */
static char *cut_signature(char *text)
{
    char *p = strstr(text, "signature=");
    if (p == NULL || (p != text && p[-1] != '&'))
        return NULL;
    char *sig = p + strlen("signature=");
    if (p != text)
        p--;
    *p = '\0';
    return sig;
}

static bool param_i64(const char *text, const char *name, int64_t *out)
{
    size_t n = strlen(name);
    for (const char *s = text; s != NULL && *s;) {
        if (strncmp(s, name, n) == 0 && s[n] == '=') {
            char *end;
            errno = 0;
            long long v = strtoll(s + n + 1, &end, 10);
            if (errno != 0 || end == s + n + 1 || (*end != '\0' && *end != '&'))
                return false;
            *out = v;
            return true;
        }
        s = strchr(s, '&');
        s = s ? s + 1 : NULL;
    }
    return false;
}

/* Binance's checks on a signed request, over the bytes received. */
static void verify(struct server *s, struct seen *seen)
{
    char q[TEXT_CAP], b[TEXT_CAP];
    snprintf(q, sizeof q, "%s", seen->query);
    snprintf(b, sizeof b, "%s", seen->body);
    char *qsig = cut_signature(q), *bsig = cut_signature(b);
    seen->signed_request = qsig != NULL || bsig != NULL;
    if (!seen->signed_request)
        return;
    const char *sig = qsig ? qsig : bsig;
    char payload[2 * TEXT_CAP];
    snprintf(payload, sizeof payload, "%s%s", q, b);
    seen->sig_ok = strcmp(seen->apikey, APIKEY) == 0 &&
                   rt_hmac_sha256_verify(SECRET, strlen(SECRET), payload, strlen(payload), sig,
                                         strlen(sig)) == RT_OK;
    int64_t ts = 0, window = 5000;
    bool has_ts = param_i64(q, "timestamp", &ts) || param_i64(b, "timestamp", &ts);
    if (!param_i64(q, "recvWindow", &window))
        param_i64(b, "recvWindow", &window);
    int64_t now = rt_time_now_ms() + s->skew_ms;
    seen->ts_ok = has_ts && ts < now + 1000 && now - ts <= window;
}

static enum MHD_Result reply(struct MHD_Connection *con, unsigned status, const char *body,
                             const char *retry_after, const char *weight)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
                                                             MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (retry_after != NULL)
        MHD_add_response_header(r, "Retry-After", retry_after);
    if (weight != NULL)
        MHD_add_response_header(r, "X-MBX-USED-WEIGHT-1M", weight);
    enum MHD_Result ret = MHD_queue_response(con, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void copy_header(struct MHD_Connection *con, const char *name, char *dst, size_t cap)
{
    const char *v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, name);
    snprintf(dst, cap, "%s", v ? v : "");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)version;
    struct server *s = cls;
    struct req *r = *req_cls;
    if (r == NULL)
        return MHD_NO;
    if (!r->started) {
        r->started = true;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        if (r->body_len + n >= sizeof r->body)
            return MHD_NO;
        memcpy(r->body + r->body_len, upload_data, n);
        r->body_len += n;
        *upload_data_size = 0;
        return MHD_YES;
    }

    char body[64];
    if (strcmp(url, "/api/v3/time") == 0) {
        pthread_mutex_lock(&s->lock);
        s->time_requests++;
        snprintf(body, sizeof body, "{\"serverTime\":%lld}",
                 (long long)(rt_time_now_ms() + s->skew_ms));
        pthread_mutex_unlock(&s->lock);
        return reply(con, 200, body, NULL, "1");
    }

    struct seen seen = {0};
    snprintf(seen.method, sizeof seen.method, "%s", method);
    snprintf(seen.path, sizeof seen.path, "%s", url);
    const char *q = strchr(r->uri, '?');
    snprintf(seen.query, sizeof seen.query, "%s", q ? q + 1 : "");
    snprintf(seen.body, sizeof seen.body, "%.*s", (int)r->body_len, r->body);
    copy_header(con, "X-MBX-APIKEY", seen.apikey, sizeof seen.apikey);
    copy_header(con, "Content-Type", seen.content_type, sizeof seen.content_type);
    copy_header(con, "User-Agent", seen.user_agent, sizeof seen.user_agent);

    pthread_mutex_lock(&s->lock);
    verify(s, &seen);
    s->last = seen;
    s->requests++;
    struct script sc = s->script;
    pthread_mutex_unlock(&s->lock);

    if (sc.delay_ms > 0)
        usleep((useconds_t)sc.delay_ms * 1000);
    if (seen.signed_request && !seen.sig_ok)
        return reply(con, 400,
                     "{\"code\":-1022,\"msg\":\"Signature for this request is not valid.\"}", NULL,
                     sc.weight);
    if (seen.signed_request && !seen.ts_ok)
        return reply(con, 400,
                     "{\"code\":-1021,\"msg\":\"Timestamp for this request is outside of the "
                     "recvWindow.\"}",
                     NULL, sc.weight);
    return reply(con, sc.status, sc.body, sc.retry_after, sc.weight);
}

static struct server *server_start(void)
{
    struct server *s = calloc(1, sizeof *s);
    assert_non_null(s);
    pthread_mutex_init(&s->lock, NULL);
    s->script.status = 200;
    snprintf(s->script.body, sizeof s->script.body, "{}");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
        NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)10, MHD_OPTION_END);
    assert_non_null(s->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    s->port = info->port;
    assert_true(s->port > 0);
    return s;
}

static void server_stop(struct server *s)
{
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static void server_script(struct server *s, unsigned status, const char *body,
                          const char *retry_after, const char *weight, int delay_ms)
{
    pthread_mutex_lock(&s->lock);
    s->script.status = status;
    snprintf(s->script.body, sizeof s->script.body, "%s", body);
    s->script.retry_after = retry_after;
    s->script.weight = weight;
    s->script.delay_ms = delay_ms;
    pthread_mutex_unlock(&s->lock);
}

static struct seen server_last(struct server *s, int *requests)
{
    pthread_mutex_lock(&s->lock);
    struct seen seen = s->last;
    if (requests != NULL)
        *requests = s->requests;
    pthread_mutex_unlock(&s->lock);
    return seen;
}

static rt_exrest_t *client_for(struct server *s, bool with_key, int64_t timeout_ms, size_t max_body)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/", (unsigned)s->port); /* '/' is trimmed */
    rt_exrest_config_t cfg = {
        .base_url = url,
        .api_key = with_key ? APIKEY : NULL,
        .secret_key = with_key ? SECRET : NULL,
        .timeout_ms = timeout_ms,
        .connect_timeout_ms = 2000,
        .max_body = max_body,
    };
    rt_exrest_t *c = NULL;
    assert_int_equal(rt_exrest_new(&cfg, &c), RT_OK);
    assert_non_null(c);
    return c;
}

/* ---- pure parts ------------------------------------------------------------------------ */

static void test_params_encoding(void **state)
{
    (void)state;
    rt_exrest_params_t p;
    rt_exrest_params_init(&p);
    assert_string_equal(rt_exrest_params_str(&p), "");
    /* R2: the symbol １２３４５６ as UTF-8, percent-encoded upper case, then signed */
    assert_int_equal(rt_exrest_params_add(&p, "symbol",
                                          "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93"
                                          "\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96"),
                     RT_OK);
    rt_exrest_params_add(&p, "side", "BUY");
    rt_exrest_params_add(&p, "type", "LIMIT");
    rt_exrest_params_add(&p, "timeInForce", "GTC");
    rt_exrest_params_add_i64(&p, "quantity", 1);
    rt_money_t price;
    assert_int_equal(rt_money_parse("0.10000000", &price), RT_OK);
    rt_exrest_params_add_money(&p, "price", price);
    rt_exrest_params_add_i64(&p, "recvWindow", 5000);
    assert_int_equal(rt_exrest_params_add_i64(&p, "timestamp", 1499827319559), RT_OK);
    const char *r2 = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&"
                     "type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
                     "timestamp=1499827319559";
    assert_string_equal(rt_exrest_params_str(&p), r2);
    assert_int_equal(p.count, 8);
    char sig[RT_HMAC_HEX_CAP];
    assert_int_equal(rt_exrest_signature(SECRET, strlen(SECRET), p.buf, p.len, NULL, 0, sig),
                     RT_OK);
    assert_string_equal(sig, "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3");
    rt_exrest_params_cleanup(&p);
    assert_null(p.buf);

    static const struct {
        const char *key, *value, *want;
    } cases[] = {
        {"symbols", "[\"BTCUSDT\",\"ETHBTC\"]", "symbols=%5B%22BTCUSDT%22%2C%22ETHBTC%22%5D"},
        {"a b", "x&y=z+w", "a%20b=x%26y%3Dz%2Bw"},
        {"unreserved", "AZaz09-_.~", "unreserved=AZaz09-_.~"},
        {"percent", "100%/?#", "percent=100%25%2F%3F%23"},
        {"empty", "", "empty="},
        {"newClientOrderId", "x-R4BD3S82", "newClientOrderId=x-R4BD3S82"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_exrest_params_init(&p);
        int rc = rt_exrest_params_add(&p, cases[i].key, cases[i].value);
        if (rc != RT_OK || strcmp(rt_exrest_params_str(&p), cases[i].want) != 0)
            fail_msg("encode %s=%s: rc=%d got %s want %s", cases[i].key, cases[i].value, rc,
                     rt_exrest_params_str(&p), cases[i].want);
        rt_exrest_params_cleanup(&p);
    }
}

static void test_params_errors(void **state)
{
    (void)state;
    rt_exrest_params_t p;
    rt_exrest_params_init(&p);
    assert_int_equal(rt_exrest_params_add(&p, "symbol", "BTCUSDT"), RT_OK);
    assert_int_equal(rt_exrest_params_add(&p, "", "x"), RT_EINVAL);
    /* sticky: later adds fail with the first error and change nothing */
    assert_int_equal(rt_exrest_params_add(&p, "side", "BUY"), RT_EINVAL);
    assert_string_equal(rt_exrest_params_str(&p), "symbol=BTCUSDT");
    assert_int_equal(p.err, RT_EINVAL);
    rt_exrest_params_cleanup(&p);

    rt_exrest_params_init(&p);
    assert_int_equal(rt_exrest_params_add(&p, NULL, "x"), RT_EINVAL);
    rt_exrest_params_cleanup(&p);
    rt_exrest_params_init(&p);
    assert_int_equal(rt_exrest_params_add(&p, "k", NULL), RT_EINVAL);
    rt_exrest_params_cleanup(&p);
    assert_int_equal(rt_exrest_params_add(NULL, "k", "v"), RT_EINVAL);

    /* too long: every byte of the value becomes %XX */
    size_t n = RT_EXREST_PARAMS_MAX / 3 + 10;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, '"', n);
    big[n] = '\0';
    rt_exrest_params_init(&p);
    rt_exrest_params_add(&p, "a", "1");
    assert_int_equal(rt_exrest_params_add(&p, "big", big), RT_ETOOBIG);
    assert_string_equal(rt_exrest_params_str(&p), "a=1");
    rt_exrest_params_cleanup(&p);
    free(big);
}

static void test_signature_vectors(void **state)
{
    (void)state;
    static const char *r1 = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&"
                            "price=0.1&recvWindow=5000&timestamp=1499827319559";
    static const char *r3q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
    static const char *r3b = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    const char *r1hex = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
    char sig[RT_HMAC_HEX_CAP];
    size_t sl = strlen(SECRET);
    assert_int_equal(rt_exrest_signature(SECRET, sl, r1, strlen(r1), "", 0, sig), RT_OK);
    assert_string_equal(sig, r1hex);
    assert_int_equal(rt_exrest_signature(SECRET, sl, NULL, 0, r1, strlen(r1), sig), RT_OK);
    assert_string_equal(sig, r1hex); /* all in the body signs the same */
    assert_int_equal(rt_exrest_signature(SECRET, sl, r3q, strlen(r3q), r3b, strlen(r3b), sig),
                     RT_OK);
    assert_string_equal(sig, "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77");
    assert_int_equal(rt_exrest_signature(NULL, 0, r1, strlen(r1), NULL, 0, sig), RT_EINVAL);
    assert_int_equal(rt_exrest_signature(SECRET, sl, NULL, 3, NULL, 0, sig), RT_EINVAL);
}

static void test_config_validation(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        rt_exrest_config_t cfg;
    } bad[] = {
        {"no url", {.base_url = NULL}},
        {"ftp url", {.base_url = "ftp://127.0.0.1"}},
        {"no host", {.base_url = "http://"}},
        {"query in url", {.base_url = "http://127.0.0.1:9090?x=1"}},
        {"space in url", {.base_url = "http://127.0.0.1 :9090"}},
        {"key without secret", {.base_url = "http://127.0.0.1:9090", .api_key = APIKEY}},
        {"secret without key", {.base_url = "http://127.0.0.1:9090", .secret_key = SECRET}},
        {"key with CRLF",
         {.base_url = "http://127.0.0.1:9090", .api_key = "ab\r\nX-Evil: 1", .secret_key = "s"}},
        {"recvWindow 60001", {.base_url = "http://127.0.0.1:9090", .recv_window_ms = 60001}},
        {"recvWindow negative", {.base_url = "http://127.0.0.1:9090", .recv_window_ms = -1}},
        {"negative timeout", {.base_url = "http://127.0.0.1:9090", .timeout_ms = -5}},
        {"user agent with newline",
         {.base_url = "http://127.0.0.1:9090", .user_agent = "rt\nX-Evil: 1"}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rt_exrest_t *c = (rt_exrest_t *)(uintptr_t)1;
        int rc = rt_exrest_new(&bad[i].cfg, &c);
        if (rc != RT_EINVAL || c != (rt_exrest_t *)(uintptr_t)1)
            fail_msg("%s: rc=%d want RT_EINVAL (out must stay untouched)", bad[i].name, rc);
    }
    rt_exrest_config_t ok = {.base_url = "https://testnet.binance.vision",
                             .recv_window_ms = 60000,
                             .user_agent = "roottrading-c test"};
    rt_exrest_t *c = NULL;
    assert_int_equal(rt_exrest_new(&ok, &c), RT_OK);
    assert_int_equal(rt_exrest_time_offset(c), 0);
    assert_int_equal(rt_exrest_used_weight(c), -1);
    assert_int_equal(rt_exrest_blocked_ms(c), 0);
    /* a public client cannot sign: refused before anything is sent */
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);
    assert_int_equal(rt_exrest_get(c, "/api/v3/account", NULL, true, &resp), RT_EAUTH);
    assert_int_equal(rt_exrest_get(c, "api/v3/time", NULL, false, &resp), RT_EINVAL);
    assert_int_equal(rt_exrest_get(c, "/api/v3/time?x=1", NULL, false, &resp), RT_EINVAL);
    assert_int_equal(rt_exrest_request(c, (rt_http_method_t)7, "/x", NULL, false, &resp),
                     RT_EINVAL);
    rt_exrest_stats_t st;
    rt_exrest_stats(c, &st);
    assert_int_equal(st.requests, 0);
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    rt_exrest_free(NULL);
}

/* ---- against the server ---------------------------------------------------------------- */

static void test_signed_post(void **state)
{
    (void)state;
    struct server *s = server_start();
    rt_exrest_t *c = client_for(s, true, 0, 0);
    server_script(s, 200, "{\"symbol\":\"LTCBTC\",\"orderId\":28}", NULL, "17", 0);

    rt_exrest_params_t p;
    rt_exrest_params_init(&p);
    rt_exrest_params_add(&p, "symbol", "LTCBTC");
    rt_exrest_params_add(&p, "side", "BUY");
    rt_exrest_params_add(&p, "type", "LIMIT");
    rt_exrest_params_add(&p, "timeInForce", "GTC");
    rt_exrest_params_add(&p, "quantity", "1");
    rt_exrest_params_add(&p, "price", "0.1");
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);
    int rc = rt_exrest_post(c, "/api/v3/order", &p, true, &resp);
    if (rc != RT_OK)
        fail_msg("post: rc=%d (%s) status=%ld", rc, rt_strerror(rc), resp.status);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "{\"symbol\":\"LTCBTC\",\"orderId\":28}");
    assert_int_equal(resp.body_len, strlen(resp.body));
    assert_int_equal(resp.used_weight_1m, 17);
    assert_int_equal(rt_exrest_used_weight(c), 17);

    struct seen seen = server_last(s, NULL);
    assert_string_equal(seen.method, "POST");
    assert_string_equal(seen.path, "/api/v3/order");
    assert_string_equal(seen.query, ""); /* POST: everything in the body */
    const char *prefix = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&"
                         "price=0.1&recvWindow=5000&timestamp=";
    if (strncmp(seen.body, prefix, strlen(prefix)) != 0)
        fail_msg("body %s does not start with %s", seen.body, prefix);
    assert_string_equal(seen.apikey, APIKEY);
    assert_string_equal(seen.content_type, "application/x-www-form-urlencoded");
    assert_non_null(strstr(seen.user_agent, "roottrading-c"));
    assert_true(seen.signed_request);
    assert_true(seen.sig_ok);
    assert_true(seen.ts_ok);

    /* the caller may not smuggle in what the client adds */
    rt_exrest_params_add_i64(&p, "timestamp", 1);
    assert_int_equal(rt_exrest_post(c, "/api/v3/order", &p, true, &resp), RT_EINVAL);
    rt_exrest_params_cleanup(&p);
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    server_stop(s);
}

static void test_signed_get_delete_and_public(void **state)
{
    (void)state;
    struct server *s = server_start();
    rt_exrest_t *c = client_for(s, true, 0, 0);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);

    /* signed GET without parameters: only recvWindow, timestamp, signature */
    assert_int_equal(rt_exrest_get(c, "/api/v3/account", NULL, true, &resp), RT_OK);
    struct seen seen = server_last(s, NULL);
    assert_string_equal(seen.method, "GET");
    assert_string_equal(seen.body, "");
    assert_true(strncmp(seen.query, "recvWindow=5000&timestamp=", 26) == 0);
    assert_true(seen.sig_ok && seen.ts_ok);

    /* signed DELETE: parameters in the query string */
    rt_exrest_params_t p;
    rt_exrest_params_init(&p);
    rt_exrest_params_add(&p, "symbol", "LTCUSDT");
    rt_exrest_params_add_i64(&p, "orderId", 464950);
    assert_int_equal(rt_exrest_delete(c, "/api/v3/order", &p, true, &resp), RT_OK);
    seen = server_last(s, NULL);
    assert_string_equal(seen.method, "DELETE");
    assert_true(strncmp(seen.query, "symbol=LTCUSDT&orderId=464950&recvWindow=5000&", 46) == 0);
    assert_string_equal(seen.body, "");
    assert_true(seen.sig_ok && seen.ts_ok);
    rt_exrest_params_cleanup(&p);

    /* public GET: no key, no signature, the query exactly as built (non-ASCII encoded) */
    rt_exrest_params_init(&p);
    rt_exrest_params_add(&p, "symbols", "[\"BTCUSDT\",\"\xef\xbc\x91\"]");
    assert_int_equal(rt_exrest_get(c, "/api/v3/exchangeInfo", &p, false, &resp), RT_OK);
    seen = server_last(s, NULL);
    assert_string_equal(seen.query, "symbols=%5B%22BTCUSDT%22%2C%22%EF%BC%91%22%5D");
    assert_string_equal(seen.apikey, "");
    assert_false(seen.signed_request);
    rt_exrest_params_cleanup(&p);

    /* one connection carried all of it (keep-alive) */
    pthread_mutex_lock(&s->lock);
    int conns = s->connections;
    pthread_mutex_unlock(&s->lock);
    assert_int_equal(conns, 1);

    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    server_stop(s);
}

static void test_klines_through_client(void **state)
{
    (void)state;
    char path[1024];
    size_t len;
    char *json = rt_test_read_file(
        rt_test_source_path(path, sizeof path, "tests/fixtures/binance/klines_btcusdt_1m.json"),
        &len);
    struct server *s = server_start();
    server_script(s, 200, json, NULL, "2", 0);
    rt_exrest_t *c = client_for(s, false, 0, 0);
    rt_exrest_params_t p;
    rt_exrest_params_init(&p);
    rt_exrest_params_add(&p, "symbol", "BTCUSDT");
    rt_exrest_params_add(&p, "interval", "1m");
    rt_exrest_params_add_i64(&p, "limit", 5);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);
    assert_int_equal(rt_exrest_get(c, "/api/v3/klines", &p, false, &resp), RT_OK);
    assert_string_equal(server_last(s, NULL).query, "symbol=BTCUSDT&interval=1m&limit=5");
    rt_candle_t *candles = NULL;
    size_t n = 0;
    assert_int_equal(
        rt_exparse_klines(resp.body, resp.body_len, "BTCUSDT", "1m", 1700000300000, &candles, &n),
        RT_OK);
    assert_int_equal(n, 5);
    assert_false(candles[4].closed);
    free(candles);
    rt_exrest_params_cleanup(&p);
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    server_stop(s);
    free(json);
}

static void test_time_sync_and_1021(void **state)
{
    (void)state;
    struct server *s = server_start();
    s->skew_ms = 3600000; /* the server runs an hour ahead (set before any request) */
    rt_exrest_t *c = client_for(s, true, 0, 0);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);

    /* not synced: the timestamp is an hour late -> -1021, and the client re-syncs once */
    assert_int_equal(rt_exrest_get(c, "/api/v3/account", NULL, true, &resp), RT_EEXCHANGE);
    assert_int_equal(resp.status, 400);
    assert_int_equal(resp.exchange_code, -1021);
    assert_true(resp.time_resynced);
    int64_t off = rt_exrest_time_offset(c);
    if (off < 3600000 - 500 || off > 3600000 + 500)
        fail_msg("offset %lld, want about 3600000", (long long)off);
    /* the rejected request can now be sent again */
    assert_int_equal(rt_exrest_get(c, "/api/v3/account", NULL, true, &resp), RT_OK);
    assert_false(resp.time_resynced);
    assert_true(server_last(s, NULL).ts_ok);

    /* an explicit sync measures the same offset */
    assert_int_equal(rt_exrest_sync_time(c), RT_OK);
    off = rt_exrest_time_offset(c);
    assert_true(off > 3600000 - 500 && off < 3600000 + 500);
    rt_exrest_stats_t st;
    rt_exrest_stats(c, &st);
    assert_int_equal(st.time_syncs, 2);
    assert_int_equal(st.exchange_errors, 1);
    rt_exrest_free(c);
    server_stop(s);
    rt_exrest_response_cleanup(&resp);
}

static void test_bad_signature(void **state)
{
    (void)state;
    struct server *s = server_start();
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)s->port);
    rt_exrest_config_t cfg = {.base_url = url, .api_key = APIKEY, .secret_key = "not-the-secret"};
    rt_exrest_t *c = NULL;
    assert_int_equal(rt_exrest_new(&cfg, &c), RT_OK);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);
    assert_int_equal(rt_exrest_get(c, "/api/v3/account", NULL, true, &resp), RT_EEXCHANGE);
    assert_int_equal(resp.exchange_code, -1022);
    assert_string_equal(resp.exchange_msg, "Signature for this request is not valid.");
    assert_false(resp.time_resynced);
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    server_stop(s);
}

static void test_exchange_errors(void **state)
{
    (void)state;
    struct server *s = server_start();
    rt_exrest_t *c = client_for(s, true, 0, 0);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);

    server_script(s, 400,
                  "{\"code\":-2010,\"msg\":\"Account has insufficient balance for requested "
                  "action.\"}",
                  NULL, "9", 0);
    assert_int_equal(rt_exrest_post(c, "/api/v3/order", NULL, true, &resp), RT_EEXCHANGE);
    assert_int_equal(resp.status, 400);
    assert_int_equal(resp.exchange_code, -2010);
    assert_string_equal(resp.exchange_msg,
                        "Account has insufficient balance for requested action.");
    assert_false(resp.outcome_unknown); /* a 4xx is a definite rejection */
    assert_int_equal(resp.used_weight_1m, 9);

    /* a 4xx without {code,msg}: a WAF page */
    server_script(s, 403, "<html>Forbidden</html>", NULL, NULL, 0);
    assert_int_equal(rt_exrest_get(c, "/api/v3/klines", NULL, false, &resp), RT_EEXCHANGE);
    assert_int_equal(resp.status, 403);
    assert_int_equal(resp.exchange_code, 0);
    assert_string_equal(resp.exchange_msg, "");
    assert_string_equal(resp.body, "<html>Forbidden</html>");
    assert_int_equal(resp.used_weight_1m, -1);
    assert_int_equal(rt_exrest_used_weight(c), 9); /* the last one seen stays */

    /* 5xx: the order may exist */
    server_script(s, 503,
                  "{\"code\":-1001,\"msg\":\"Internal error; unable to process your "
                  "request. Please try again.\"}",
                  NULL, NULL, 0);
    assert_int_equal(rt_exrest_post(c, "/api/v3/order", NULL, true, &resp), RT_EUNKNOWN);
    assert_int_equal(resp.status, 503);
    assert_true(resp.outcome_unknown);
    assert_int_equal(resp.exchange_code, -1001);
    assert_int_equal(rt_exrest_get(c, "/api/v3/klines", NULL, false, &resp), RT_EUNKNOWN);
    assert_false(resp.outcome_unknown); /* a GET changes nothing */

    /* a redirect is not followed */
    server_script(s, 302, "", NULL, NULL, 0);
    assert_int_equal(rt_exrest_get(c, "/api/v3/klines", NULL, false, &resp), RT_EPROTO);
    assert_int_equal(resp.status, 302);

    rt_exrest_stats_t st;
    rt_exrest_stats(c, &st);
    assert_int_equal(st.requests, 5);
    assert_int_equal(st.exchange_errors, 2);
    assert_int_equal(st.unknown_outcomes, 2);
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    server_stop(s);
}

static void test_rate_limit(void **state)
{
    (void)state;
    struct server *s = server_start();
    rt_exrest_t *c = client_for(s, true, 0, 0);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);
    static const unsigned statuses[] = {429, 418};
    for (size_t i = 0; i < 2; i++) {
        server_script(s, statuses[i],
                      "{\"code\":-1003,\"msg\":\"Too much request weight used; current limit is "
                      "6000 request weight per 1 MINUTE.\"}",
                      "1", "6001", 0);
        int before = 0, after = 0;
        server_last(s, &before);
        assert_int_equal(rt_exrest_get(c, "/api/v3/klines", NULL, false, &resp), RT_ERATELIMIT);
        assert_int_equal(resp.status, statuses[i]);
        assert_int_equal(resp.exchange_code, -1003);
        assert_int_equal(resp.retry_after_ms, 1000);
        assert_false(resp.throttled);
        assert_int_equal(resp.used_weight_1m, 6001);

        /* refused at once, nothing sent, signed or not */
        server_script(s, 200, "{}", NULL, NULL, 0);
        int64_t t0 = rt_time_mono_ms();
        assert_int_equal(rt_exrest_post(c, "/api/v3/order", NULL, true, &resp), RT_ERATELIMIT);
        assert_true(resp.throttled);
        assert_int_equal(resp.status, 0);
        assert_true(resp.retry_after_ms > 0 && resp.retry_after_ms <= 1000);
        assert_int_equal(rt_exrest_sync_time(c), RT_ERATELIMIT);
        assert_true(rt_time_mono_ms() - t0 < 100);
        server_last(s, &after);
        assert_int_equal(after, before + 1);
        int64_t left = rt_exrest_blocked_ms(c);
        assert_true(left > 0 && left <= 1000);

        rt_time_sleep_ms(left + 20);
        assert_int_equal(rt_exrest_blocked_ms(c), 0);
        assert_int_equal(rt_exrest_get(c, "/api/v3/klines", NULL, false, &resp), RT_OK);
        server_last(s, &after);
        assert_int_equal(after, before + 2);
    }
    rt_exrest_stats_t st;
    rt_exrest_stats(c, &st);
    assert_int_equal(st.rate_limited, 2);
    assert_int_equal(st.throttled, 4);

    /* no Retry-After: the default back-off */
    server_script(s, 429, "{}", NULL, NULL, 0);
    assert_int_equal(rt_exrest_get(c, "/api/v3/klines", NULL, false, &resp), RT_ERATELIMIT);
    assert_int_equal(resp.retry_after_ms, RT_EXREST_BACKOFF_DEFAULT_MS);
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    server_stop(s);
}

static void test_connection_refused(void **state)
{
    (void)state;
    /* a bound socket that does not listen: connects to it are refused, and nobody else can
     * take the port meanwhile */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t alen = sizeof addr;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
    rt_exrest_config_t cfg = {.base_url = url, .api_key = APIKEY, .secret_key = SECRET};
    rt_exrest_t *c = NULL;
    assert_int_equal(rt_exrest_new(&cfg, &c), RT_OK);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);
    assert_int_equal(rt_exrest_post(c, "/api/v3/order", NULL, true, &resp), RT_ECONN);
    assert_int_equal(resp.status, 0);
    assert_null(resp.body);
    assert_false(resp.outcome_unknown); /* nothing left this process */
    assert_int_equal(rt_exrest_sync_time(c), RT_ECONN);
    assert_int_equal(rt_exrest_time_offset(c), 0);
    rt_exrest_stats_t st;
    rt_exrest_stats(c, &st);
    assert_int_equal(st.transport_errors, 2);
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    close(fd);
}

static void test_timeout_and_size(void **state)
{
    (void)state;
    struct server *s = server_start();
    rt_exrest_t *c = client_for(s, true, 300, 1000);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);

    server_script(s, 200, "{}", NULL, NULL, 1200);
    int64_t t0 = rt_time_mono_ms();
    assert_int_equal(rt_exrest_post(c, "/api/v3/order", NULL, true, &resp), RT_ETIMEDOUT);
    int64_t took = rt_time_mono_ms() - t0;
    if (took < 250 || took > 1000)
        fail_msg("timed out after %lld ms, want about 300", (long long)took);
    assert_true(resp.outcome_unknown); /* the order was sent: it may exist */
    assert_int_equal(rt_exrest_get(c, "/api/v3/klines", NULL, false, &resp), RT_ETIMEDOUT);
    assert_false(resp.outcome_unknown);

    /* a reply beyond max_body */
    char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    server_script(s, 200, big, NULL, NULL, 0);
    assert_int_equal(rt_exrest_get(c, "/api/v3/exchangeInfo", NULL, false, &resp), RT_ETOOBIG);
    assert_null(resp.body);
    /* and the client still works afterwards */
    server_script(s, 200, "{}", NULL, NULL, 0);
    assert_int_equal(rt_exrest_get(c, "/api/v3/ping", NULL, false, &resp), RT_OK);
    assert_string_equal(resp.body, "{}");
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    server_stop(s);
}

/* Runs signed requests through every outcome with DEBUG logging into a file, then checks that
 * neither the secret nor any signature reached the log. */
static void test_secrets_not_logged(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/test_exrest_log_XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    unlink(tmpl);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    dup2(fd, STDERR_FILENO);
    rt_log_init("test", RT_LOG_DEBUG);

    struct server *s = server_start();
    s->skew_ms = 3600000;
    rt_exrest_t *c = client_for(s, true, 300, 0);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);
    rt_exrest_params_t p;
    rt_exrest_params_init(&p);
    rt_exrest_params_add(&p, "symbol", "LTCBTC");
    int rcs[4];
    rcs[0] = rt_exrest_post(c, "/api/v3/order", &p, true, &resp); /* -1021 and re-sync */
    rcs[1] = rt_exrest_post(c, "/api/v3/order", &p, true, &resp); /* ok */
    server_script(s, 503, "{}", NULL, NULL, 0);
    rcs[2] = rt_exrest_post(c, "/api/v3/order", &p, true, &resp);
    server_script(s, 200, "{}", NULL, NULL, 800);
    rcs[3] = rt_exrest_post(c, "/api/v3/order", &p, true, &resp);
    rt_exrest_params_cleanup(&p);
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(c);
    server_stop(s);

    rt_log_init("test", RT_LOG_INFO);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char log[65536];
    ssize_t n = pread(fd, log, sizeof log - 1, 0);
    close(fd);
    assert_true(n > 0);
    log[n] = '\0';
    fputs(log, stderr); /* keep it visible in the test output */
    assert_int_equal(rcs[0], RT_EEXCHANGE);
    assert_int_equal(rcs[1], RT_OK);
    assert_int_equal(rcs[2], RT_EUNKNOWN);
    assert_int_equal(rcs[3], RT_ETIMEDOUT);
    assert_non_null(strstr(log, "POST /api/v3/order"));
    assert_null(strstr(log, SECRET));
    assert_null(strstr(log, APIKEY));
    assert_null(strstr(log, "signature="));
    assert_null(strstr(log, "timestamp="));
}

int main(void)
{
    if (rt_exrest_global_init() != RT_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_encoding),
        cmocka_unit_test(test_params_errors),
        cmocka_unit_test(test_signature_vectors),
        cmocka_unit_test(test_config_validation),
        cmocka_unit_test(test_signed_post),
        cmocka_unit_test(test_signed_get_delete_and_public),
        cmocka_unit_test(test_klines_through_client),
        cmocka_unit_test(test_time_sync_and_1021),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_exchange_errors),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_timeout_and_size),
        cmocka_unit_test(test_secrets_not_logged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
