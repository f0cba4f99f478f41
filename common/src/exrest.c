/* Binance-style REST client over one libcurl easy handle. The handle is reset before every
 * request (curl_easy_reset keeps the connection cache, so keep-alive survives) and the
 * options are set afresh, so no option of one request leaks into the next. */
#include "rt/exrest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "rt/err.h"
#include "rt/log.h"
#include "rt/time.h"

#define MOD "exrest"
#define USER_AGENT_DEFAULT "roottrading-c/0.1"
#define URL_MAX 512
#define PATH_MAX_LEN 256
#define KEY_MAX 256
#define SECRET_MAX 1024
#define TIMEOUT_MAX_MS (10 * 60 * 1000)
#define BACKOFF_MAX_MS ((int64_t)3 * 24 * 3600 * 1000) /* the longest ban Binance documents */
#define TIME_PATH "/api/v3/time"
#define ERR_TIMESTAMP (-1021)

struct rt_exrest {
    CURL *curl;
    char *base_url;
    char *api_key;
    unsigned char *secret; /* wiped on free */
    size_t secret_len;
    char *user_agent;
    struct curl_slist *signed_headers;
    struct curl_slist *plain_headers;
    int64_t recv_window_ms;
    int64_t connect_timeout_ms;
    int64_t timeout_ms;
    size_t max_body;
    int64_t time_offset_ms;
    int64_t blocked_until_mono_ms; /* refuse requests until then (429/418) */
    rt_exrest_stats_t stats;
    char errbuf[CURL_ERROR_SIZE];
};

/* ---- small growing string -------------------------------------------------------------- */

struct sbuf {
    char *p;
    size_t len;
    size_t cap;
};

static int sbuf_append(struct sbuf *b, const char *s, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        return RT_ENOMEM;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return RT_ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return RT_OK;
}

static int sbuf_appends(struct sbuf *b, const char *s)
{
    return sbuf_append(b, s, strlen(s));
}

/* ---- parameters ------------------------------------------------------------------------ */

static bool unreserved(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

/* Percent-encodes s into b (RFC 3986: unreserved as is, every other byte %XX upper case). */
static int encode_into(struct sbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        char enc[3];
        size_t n = 1;
        if (unreserved(*u)) {
            enc[0] = (char)*u;
        } else {
            enc[0] = '%';
            enc[1] = hex[*u >> 4];
            enc[2] = hex[*u & 0x0f];
            n = 3;
        }
        int rc = sbuf_append(b, enc, n);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

void rt_exrest_params_init(rt_exrest_params_t *p)
{
    if (p != NULL)
        memset(p, 0, sizeof *p);
}

void rt_exrest_params_cleanup(rt_exrest_params_t *p)
{
    if (p == NULL)
        return;
    free(p->buf);
    memset(p, 0, sizeof *p);
}

int rt_exrest_params_add(rt_exrest_params_t *p, const char *key, const char *value)
{
    if (p == NULL)
        return RT_EINVAL;
    if (p->err != RT_OK)
        return p->err;
    struct sbuf b = {p->buf, p->len, p->cap};
    int rc = RT_OK;
    if (key == NULL || key[0] == '\0' || value == NULL) {
        rc = RT_EINVAL;
        goto out;
    }
    if ((p->len > 0 && (rc = sbuf_append(&b, "&", 1)) != RT_OK) ||
        (rc = encode_into(&b, key)) != RT_OK || (rc = sbuf_append(&b, "=", 1)) != RT_OK ||
        (rc = encode_into(&b, value)) != RT_OK)
        goto out;
    if (b.len > RT_EXREST_PARAMS_MAX) {
        rc = RT_ETOOBIG;
        goto out;
    }
    p->count++;
out:
    /* the buffer may have moved; on failure the text is cut back to what it was */
    p->buf = b.p;
    p->cap = b.cap;
    if (rc == RT_OK) {
        p->len = b.len;
    } else {
        if (p->buf != NULL)
            p->buf[p->len] = '\0';
        p->err = rc;
    }
    return rc;
}

int rt_exrest_params_add_i64(rt_exrest_params_t *p, const char *key, int64_t value)
{
    char num[24];
    snprintf(num, sizeof num, "%lld", (long long)value);
    return rt_exrest_params_add(p, key, num);
}

int rt_exrest_params_add_money(rt_exrest_params_t *p, const char *key, rt_money_t value)
{
    char num[RT_MONEY_FMT_MAX];
    if (rt_money_format(value, num, sizeof num) == 0) {
        if (p != NULL && p->err == RT_OK)
            p->err = RT_EINVAL;
        return RT_EINVAL;
    }
    return rt_exrest_params_add(p, key, num);
}

const char *rt_exrest_params_str(const rt_exrest_params_t *p)
{
    return (p != NULL && p->buf != NULL) ? p->buf : "";
}

/* True when the encoded text holds the parameter name (a name without reserved bytes). */
static bool has_param(const char *encoded, const char *name)
{
    size_t n = strlen(name);
    const char *s = encoded;
    while (s != NULL && *s != '\0') {
        if (strncmp(s, name, n) == 0 && s[n] == '=')
            return true;
        s = strchr(s, '&');
        if (s != NULL)
            s++;
    }
    return false;
}

/* ---- responses ------------------------------------------------------------------------- */

void rt_exrest_response_init(rt_exrest_response_t *r)
{
    if (r == NULL)
        return;
    memset(r, 0, sizeof *r);
    r->used_weight_1m = -1;
}

void rt_exrest_response_cleanup(rt_exrest_response_t *r)
{
    if (r == NULL)
        return;
    free(r->body);
    rt_exrest_response_init(r);
}

/* ---- signing --------------------------------------------------------------------------- */

int rt_exrest_signature(const char *secret, size_t secret_len, const char *query, size_t qlen,
                        const char *body, size_t blen, char out[RT_HMAC_HEX_CAP])
{
    if (secret == NULL || secret_len == 0 || (query == NULL && qlen != 0) ||
        (body == NULL && blen != 0) || out == NULL)
        return RT_EINVAL;
    struct sbuf payload = {0};
    int rc;
    if ((rc = sbuf_append(&payload, query ? query : "", qlen)) != RT_OK ||
        (rc = sbuf_append(&payload, body ? body : "", blen)) != RT_OK)
        goto out;
    rc = rt_hmac_sha256_hex(secret, secret_len, payload.p, payload.len, out);
out:
    free(payload.p);
    return rc;
}

/* ---- client ---------------------------------------------------------------------------- */

int rt_exrest_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? RT_OK : RT_EIO;
}

static bool printable(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++) {
        if ((unsigned char)s[n] < 0x21 || (unsigned char)s[n] > 0x7e || n >= max)
            return false;
    }
    return n > 0;
}

/* Text that may go into a header value: printable ASCII and spaces, no CR/LF. */
static bool header_text(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++) {
        if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e || n >= max)
            return false;
    }
    return n > 0;
}

static bool valid_base_url(const char *u)
{
    return u != NULL && printable(u, URL_MAX) && strpbrk(u, "?#") == NULL &&
           ((strncmp(u, "http://", 7) == 0 && u[7] != '\0') ||
            (strncmp(u, "https://", 8) == 0 && u[8] != '\0'));
}

static int config_error(const char *what)
{
    rt_log_error(MOD, "bad configuration: %s", what);
    return RT_EINVAL;
}

static int64_t or_default(int64_t v, int64_t def)
{
    return v == 0 ? def : v;
}

int rt_exrest_new(const rt_exrest_config_t *cfg, rt_exrest_t **out)
{
    rt_exrest_t *c = NULL;
    int rc = RT_OK;

    if (cfg == NULL || out == NULL)
        return RT_EINVAL;
    if (!valid_base_url(cfg->base_url))
        return config_error("base_url must be http(s)://host[:port], printable, no query");
    bool has_key = cfg->api_key != NULL && cfg->api_key[0] != '\0';
    bool has_secret = cfg->secret_key != NULL && cfg->secret_key[0] != '\0';
    if (has_key != has_secret)
        return config_error("api_key and secret_key go together");
    if (has_key && !printable(cfg->api_key, KEY_MAX))
        return config_error("api_key must be printable ASCII without spaces");
    if (has_secret && strlen(cfg->secret_key) > SECRET_MAX)
        return config_error("secret_key is too long");
    if (cfg->recv_window_ms < 0 || cfg->recv_window_ms > RT_EXREST_RECV_WINDOW_MAX)
        return config_error("recv_window_ms must be 1..60000 (0 = 5000)");
    if (cfg->connect_timeout_ms < 0 || cfg->connect_timeout_ms > TIMEOUT_MAX_MS ||
        cfg->timeout_ms < 0 || cfg->timeout_ms > TIMEOUT_MAX_MS)
        return config_error("timeouts must be 0..600000 ms (0 = default)");
    if (cfg->user_agent != NULL && !header_text(cfg->user_agent, KEY_MAX))
        return config_error("user_agent must be printable ASCII");

    c = calloc(1, sizeof *c);
    if (c == NULL)
        return RT_ENOMEM;
    c->recv_window_ms = or_default(cfg->recv_window_ms, RT_EXREST_RECV_WINDOW_DEFAULT);
    c->connect_timeout_ms = or_default(cfg->connect_timeout_ms, RT_EXREST_CONNECT_TIMEOUT_DEFAULT);
    c->timeout_ms = or_default(cfg->timeout_ms, RT_EXREST_TIMEOUT_DEFAULT);
    c->max_body = cfg->max_body ? cfg->max_body : RT_EXPARSE_MAX_INPUT;
    c->stats.used_weight_1m = -1;

    c->base_url = strdup(cfg->base_url);
    c->user_agent = strdup(cfg->user_agent ? cfg->user_agent : USER_AGENT_DEFAULT);
    if (c->base_url == NULL || c->user_agent == NULL) {
        rc = RT_ENOMEM;
        goto out;
    }
    size_t n = strlen(c->base_url);
    while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';

    /* "Expect:" stops curl from waiting for 100-continue before a larger POST body */
    c->plain_headers = curl_slist_append(NULL, "Expect:");
    c->signed_headers = curl_slist_append(NULL, "Expect:");
    if (c->plain_headers == NULL || c->signed_headers == NULL) {
        rc = RT_ENOMEM;
        goto out;
    }
    if (has_key) {
        char header[KEY_MAX + 32];
        snprintf(header, sizeof header, "X-MBX-APIKEY: %s", cfg->api_key);
        struct curl_slist *l = curl_slist_append(c->signed_headers, header);
        OPENSSL_cleanse(header, sizeof header);
        c->api_key = strdup(cfg->api_key);
        c->secret_len = strlen(cfg->secret_key);
        c->secret = malloc(c->secret_len);
        if (l == NULL || c->api_key == NULL || c->secret == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
        c->signed_headers = l;
        memcpy(c->secret, cfg->secret_key, c->secret_len);
    }
    c->curl = curl_easy_init();
    if (c->curl == NULL) {
        rt_log_error(MOD, "curl_easy_init failed");
        rc = RT_EIO;
        goto out;
    }
    rt_log_info(MOD, "client ready base_url=%s signed=%s recv_window=%lld timeout_ms=%lld",
                c->base_url, has_key ? "yes" : "no", (long long)c->recv_window_ms,
                (long long)c->timeout_ms);
    *out = c;
    c = NULL;
out:
    rt_exrest_free(c);
    return rc;
}

void rt_exrest_free(rt_exrest_t *c)
{
    if (c == NULL)
        return;
    if (c->curl != NULL)
        curl_easy_cleanup(c->curl);
    curl_slist_free_all(c->signed_headers); /* holds a copy of the API key */
    curl_slist_free_all(c->plain_headers);
    if (c->secret != NULL) {
        OPENSSL_cleanse(c->secret, c->secret_len);
        free(c->secret);
    }
    if (c->api_key != NULL) {
        OPENSSL_cleanse(c->api_key, strlen(c->api_key));
        free(c->api_key);
    }
    free(c->base_url);
    free(c->user_agent);
    OPENSSL_cleanse(c, sizeof *c);
    free(c);
}

int64_t rt_exrest_time_offset(const rt_exrest_t *c)
{
    return c ? c->time_offset_ms : 0;
}

int64_t rt_exrest_used_weight(const rt_exrest_t *c)
{
    return c ? c->stats.used_weight_1m : -1;
}

int64_t rt_exrest_blocked_ms(const rt_exrest_t *c)
{
    if (c == NULL)
        return 0;
    int64_t left = c->blocked_until_mono_ms - rt_time_mono_ms();
    return left > 0 ? left : 0;
}

void rt_exrest_stats(const rt_exrest_t *c, rt_exrest_stats_t *out)
{
    if (c != NULL && out != NULL)
        *out = c->stats;
}

/* ---- one request ----------------------------------------------------------------------- */

struct body_sink {
    struct sbuf b;
    size_t max;
    bool too_big;
    bool no_memory;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct body_sink *s = ud;
    size_t n = size * nmemb;
    if (n > s->max || s->b.len > s->max - n) {
        s->too_big = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (sbuf_append(&s->b, data, n) != RT_OK) {
        s->no_memory = true;
        return 0;
    }
    return n;
}

static const char *method_name(rt_http_method_t m)
{
    switch (m) {
    case RT_HTTP_GET:
        return "GET";
    case RT_HTTP_POST:
        return "POST";
    case RT_HTTP_DELETE:
        return "DELETE";
    default:
        return "?";
    }
}

static bool valid_path(const char *path)
{
    return path != NULL && path[0] == '/' && printable(path, PATH_MAX_LEN) &&
           strpbrk(path, "?#") == NULL;
}

/* Reads a header of the last reply as a non-negative integer; -1 when absent or malformed. */
static int64_t header_int(CURL *curl, const char *name)
{
    struct curl_header *h = NULL;
    if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h == NULL)
        return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(h->value, &end, 10);
    if (errno != 0 || end == h->value || *end != '\0' || v < 0)
        return -1;
    return (int64_t)v;
}

static bool has_header(CURL *curl, const char *name)
{
    struct curl_header *h = NULL;
    return curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK;
}

/* Builds the encoded parameters of a request: the caller's, then for a signed request
 * recvWindow, timestamp and the signature over exactly those bytes. */
static int build_payload(rt_exrest_t *c, const rt_exrest_params_t *params, bool sign,
                         struct sbuf *payload)
{
    const char *given = rt_exrest_params_str(params);
    int rc = sbuf_appends(payload, given);
    if (rc != RT_OK || !sign)
        return rc;
    char tail[96];
    int n =
        snprintf(tail, sizeof tail, "%srecvWindow=%lld&timestamp=%lld", payload->len > 0 ? "&" : "",
                 (long long)c->recv_window_ms, (long long)(rt_time_now_ms() + c->time_offset_ms));
    if (n < 0 || (size_t)n >= sizeof tail)
        return RT_ERANGE;
    if ((rc = sbuf_append(payload, tail, (size_t)n)) != RT_OK)
        return rc;
    /* all parameters travel in one place, so query + body is just the payload */
    char sig[RT_HMAC_HEX_CAP];
    if ((rc = rt_exrest_signature((const char *)c->secret, c->secret_len, payload->p, payload->len,
                                  NULL, 0, sig)) != RT_OK)
        return rc;
    if ((rc = sbuf_appends(payload, "&signature=")) != RT_OK)
        return rc;
    return sbuf_append(payload, sig, RT_HMAC_HEX_LEN);
}

static int transport_error(rt_exrest_t *c, rt_http_method_t method, const char *path, CURLcode cc,
                           bool too_big, rt_exrest_response_t *resp)
{
    long sent = 0;
    curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &sent);
    /* bytes of a write went out: the exchange may have acted on them */
    resp->outcome_unknown = method != RT_HTTP_GET && sent > 0 && !too_big;
    c->stats.transport_errors++;
    int rc = too_big ? RT_ETOOBIG : cc == CURLE_OPERATION_TIMEDOUT ? RT_ETIMEDOUT : RT_ECONN;
    if (too_big) {
        rt_log_warn(MOD, "%s %s: reply larger than max_body=%zu", method_name(method), path,
                    c->max_body);
    } else {
        rt_log_warn(MOD, "%s %s failed: %s (curl %d: %s) outcome_unknown=%s", method_name(method),
                    path, rt_strerror(rc), (int)cc,
                    c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc),
                    resp->outcome_unknown ? "yes" : "no");
    }
    return rc;
}

/* Turns a received reply into our code, updating the rate-limit state. */
static int map_status(rt_exrest_t *c, rt_http_method_t method, const char *path, bool sign,
                      rt_exrest_response_t *resp)
{
    long st = resp->status;
    if (st >= 200 && st < 300)
        return RT_OK;
    if (resp->body != NULL &&
        rt_exparse_error(resp->body, resp->body_len, &resp->exchange_code, resp->exchange_msg,
                         sizeof resp->exchange_msg) != RT_OK) {
        resp->exchange_code = 0;
        resp->exchange_msg[0] = '\0';
    }
    if (st == 429 || st == 418) {
        int64_t wait = RT_EXREST_BACKOFF_DEFAULT_MS;
        curl_off_t secs = 0;
        if (has_header(c->curl, "Retry-After") &&
            curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &secs) == CURLE_OK && secs >= 0)
            wait = secs > BACKOFF_MAX_MS / 1000 ? BACKOFF_MAX_MS : (int64_t)secs * 1000;
        c->blocked_until_mono_ms = rt_time_mono_ms() + wait;
        resp->retry_after_ms = wait;
        c->stats.rate_limited++;
        rt_log_warn(MOD, "%s %s: HTTP %ld rate limited, no request for %lld ms code=%d msg=%s",
                    method_name(method), path, st, (long long)wait, resp->exchange_code,
                    resp->exchange_msg);
        return RT_ERATELIMIT;
    }
    if (st >= 500 && st < 600) {
        resp->outcome_unknown = method != RT_HTTP_GET;
        c->stats.unknown_outcomes++;
        rt_log_warn(MOD, "%s %s: HTTP %ld, execution status unknown code=%d msg=%s",
                    method_name(method), path, st, resp->exchange_code, resp->exchange_msg);
        return RT_EUNKNOWN;
    }
    if (st >= 400 && st < 500) {
        c->stats.exchange_errors++;
        rt_log_warn(MOD, "%s %s: HTTP %ld code=%d msg=%s", method_name(method), path, st,
                    resp->exchange_code, resp->exchange_msg);
        if (sign && resp->exchange_code == ERR_TIMESTAMP) {
            /* our clock drifted from the server's: measure it again, once */
            resp->time_resynced = rt_exrest_sync_time(c) == RT_OK;
        }
        return RT_EEXCHANGE;
    }
    rt_log_warn(MOD, "%s %s: unexpected HTTP %ld", method_name(method), path, st);
    return RT_EPROTO;
}

int rt_exrest_request(rt_exrest_t *c, rt_http_method_t method, const char *path,
                      const rt_exrest_params_t *params, bool sign, rt_exrest_response_t *resp)
{
    struct sbuf url = {0}, payload = {0};
    struct body_sink sink = {.max = 0};
    int rc;

    if (resp == NULL)
        return RT_EINVAL;
    rt_exrest_response_cleanup(resp);
    if (c == NULL || !valid_path(path) ||
        (method != RT_HTTP_GET && method != RT_HTTP_POST && method != RT_HTTP_DELETE))
        return RT_EINVAL;
    if (params != NULL && params->err != RT_OK)
        return params->err;
    if (sign && c->secret == NULL) {
        rt_log_warn(MOD, "%s %s: signed request without API key", method_name(method), path);
        return RT_EAUTH;
    }
    if (sign && (has_param(rt_exrest_params_str(params), "recvWindow") ||
                 has_param(rt_exrest_params_str(params), "timestamp") ||
                 has_param(rt_exrest_params_str(params), "signature")))
        return RT_EINVAL;
    int64_t blocked = rt_exrest_blocked_ms(c);
    if (blocked > 0) {
        resp->throttled = true;
        resp->retry_after_ms = blocked;
        c->stats.throttled++;
        rt_log_debug(MOD, "%s %s refused: rate limited for %lld ms more", method_name(method), path,
                     (long long)blocked);
        return RT_ERATELIMIT;
    }

    if ((rc = build_payload(c, params, sign, &payload)) != RT_OK ||
        (rc = sbuf_appends(&url, c->base_url)) != RT_OK || (rc = sbuf_appends(&url, path)) != RT_OK)
        goto out;
    bool in_query = method != RT_HTTP_POST;
    if (in_query && payload.len > 0 &&
        ((rc = sbuf_append(&url, "?", 1)) != RT_OK ||
         (rc = sbuf_append(&url, payload.p, payload.len)) != RT_OK))
        goto out;

    CURL *h = c->curl;
    curl_easy_reset(h);
    c->errbuf[0] = '\0';
    sink.max = c->max_body;
    curl_easy_setopt(h, CURLOPT_URL, url.p);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, sign ? c->signed_headers : c->plain_headers);
    if (method == RT_HTTP_POST) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)payload.len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.p ? payload.p : "");
    } else if (method == RT_HTTP_DELETE) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }

    int64_t t0 = rt_time_mono_ms();
    c->stats.requests++;
    CURLcode cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
    if (cc != CURLE_OK && sink.no_memory) {
        rc = RT_ENOMEM;
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = transport_error(c, method, path, cc, sink.too_big, resp);
        goto out;
    }
    if ((rc = sbuf_append(&sink.b, "", 0)) != RT_OK) /* a body even when empty */
        goto out;
    resp->body = sink.b.p;
    resp->body_len = sink.b.len;
    sink.b.p = NULL;
    resp->used_weight_1m = header_int(h, "X-MBX-USED-WEIGHT-1M");
    if (resp->used_weight_1m >= 0)
        c->stats.used_weight_1m = resp->used_weight_1m;
    rt_log_debug(MOD, "%s %s status=%ld ms=%lld bytes=%zu weight=%lld", method_name(method), path,
                 resp->status, (long long)(rt_time_mono_ms() - t0), resp->body_len,
                 (long long)resp->used_weight_1m);
    rc = map_status(c, method, path, sign, resp);
out:
    free(sink.b.p);
    free(url.p);
    free(payload.p);
    return rc;
}

int rt_exrest_get(rt_exrest_t *c, const char *path, const rt_exrest_params_t *params, bool sign,
                  rt_exrest_response_t *resp)
{
    return rt_exrest_request(c, RT_HTTP_GET, path, params, sign, resp);
}

int rt_exrest_post(rt_exrest_t *c, const char *path, const rt_exrest_params_t *params, bool sign,
                   rt_exrest_response_t *resp)
{
    return rt_exrest_request(c, RT_HTTP_POST, path, params, sign, resp);
}

int rt_exrest_delete(rt_exrest_t *c, const char *path, const rt_exrest_params_t *params, bool sign,
                     rt_exrest_response_t *resp)
{
    return rt_exrest_request(c, RT_HTTP_DELETE, path, params, sign, resp);
}

int rt_exrest_sync_time(rt_exrest_t *c)
{
    rt_exrest_response_t resp;
    int64_t server = 0;
    int rc;

    if (c == NULL)
        return RT_EINVAL;
    rt_exrest_response_init(&resp);
    int64_t t0 = rt_time_now_ms();
    rc = rt_exrest_get(c, TIME_PATH, NULL, false, &resp);
    int64_t t1 = rt_time_now_ms();
    if (rc != RT_OK)
        goto out;
    if (rt_exparse_server_time(resp.body, resp.body_len, &server) != RT_OK) {
        rc = RT_EPROTO;
        goto out;
    }
    c->time_offset_ms = server - (t0 + (t1 - t0) / 2);
    c->stats.time_syncs++;
    rt_log_info(MOD, "server time synced offset_ms=%lld rtt_ms=%lld", (long long)c->time_offset_ms,
                (long long)(t1 - t0));
out:
    rt_exrest_response_cleanup(&resp);
    return rc;
}
