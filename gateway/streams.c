#include "gw/streams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/exchange.h"
#include "rt/jsonw.h"
#include "rt/str.h"

/* ---- endpoint ---- */

/* A host name or IPv4 address ([A-Za-z0-9._-]), or with literal the inside of an IPv6
 * literal's brackets (hex digits, ':' and '.'). */
static bool host_ok(const char *h, size_t n, bool literal)
{
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        bool ok = literal ? hex || c == ':' || c == '.'
                          : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

int gw_endpoint_parse(const char *url, gw_endpoint_t *out)
{
    if (url == NULL || out == NULL)
        return RT_EINVAL;
    gw_endpoint_t ep;
    memset(&ep, 0, sizeof ep);
    const char *p;
    if (strncmp(url, "wss://", 6) == 0) {
        ep.tls = true;
        p = url + 6;
    } else if (strncmp(url, "ws://", 5) == 0) {
        p = url + 5;
    } else {
        return RT_EINVAL;
    }
    if (strpbrk(url, "?#@ \t\r\n") != NULL)
        return RT_EINVAL;
    const char *slash = strchr(p, '/');
    size_t hostport_n = slash ? (size_t)(slash - p) : strlen(p);
    const char *host = p, *port = NULL;
    size_t host_n = hostport_n;
    if (hostport_n > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', hostport_n);
        if (close == NULL)
            return RT_EINVAL;
        host = p + 1;
        host_n = (size_t)(close - host);
        size_t rest = hostport_n - (size_t)(close + 1 - p);
        if (rest > 0) {
            if (close[1] != ':')
                return RT_EINVAL;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(p, ':', hostport_n);
        if (colon != NULL) {
            host_n = (size_t)(colon - p);
            port = colon + 1;
        }
    }
    if (host_n == 0 || !host_ok(host, host_n, host != p) ||
        rt_str_copy_n(ep.host, sizeof ep.host, host, host_n) != RT_OK)
        return RT_EINVAL;
    ep.port = ep.tls ? 443 : 80;
    if (port != NULL) {
        size_t port_n = hostport_n - (size_t)(port - p);
        char buf[8];
        int64_t v;
        if (port_n == 0 || rt_str_copy_n(buf, sizeof buf, port, port_n) != RT_OK ||
            rt_str_parse_int64(buf, &v) != RT_OK || v < 1 || v > 65535 || buf[0] == '+' ||
            buf[0] == '-')
            return RT_EINVAL;
        ep.port = (int)v;
    }
    if (slash != NULL) {
        size_t n = strlen(slash);
        while (n > 0 && slash[n - 1] == '/')
            n--;
        if (ends_with(slash, n, "/stream"))
            n -= strlen("/stream");
        else if (ends_with(slash, n, "/ws"))
            n -= strlen("/ws");
        while (n > 0 && slash[n - 1] == '/')
            n--;
        if (rt_str_copy_n(ep.prefix, sizeof ep.prefix, slash, n) != RT_OK)
            return RT_EINVAL;
    }
    *out = ep;
    return RT_OK;
}

int gw_exchange_urls(gw_exchange_t ex, int sim_port, const char *ws_override,
                     const char *rest_override, char *ws, char *rest)
{
    if (ws == NULL || rest == NULL)
        return RT_EINVAL;
    int rc = rt_exchange_urls((rt_exchange_t)ex, sim_port, rest_override, ws_override, rest,
                              GW_URL_CAP, ws, GW_URL_CAP);
    return rc == RT_OK ? RT_OK : RT_EINVAL;
}

/* ---- plan ---- */

/* "<lower>@kline_<iv>" or "<lower>@miniTicker" into buf; 0 or RT_EINVAL (bad symbol). */
static int stream_name(char *buf, size_t cap, const char *symbol, const char *iv, bool kline)
{
    size_t n = strlen(symbol);
    if (n == 0 || n > 20)
        return RT_EINVAL;
    char lower[RT_SYMBOL_CAP];
    for (size_t i = 0; i < n; i++) {
        char c = symbol[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!(c >= '0' && c <= '9'))
            return RT_EINVAL;
        lower[i] = c;
    }
    lower[n] = '\0';
    int w = kline ? snprintf(buf, cap, "%s@kline_%s", lower, iv)
                  : snprintf(buf, cap, "%s@miniTicker", lower);
    return (w < 0 || (size_t)w >= cap) ? RT_EINVAL : RT_OK;
}

/* A growable string. */
typedef struct {
    char *p;
    size_t len, cap;
} sbuf_t;

static int sbuf_add(sbuf_t *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL)
            return RT_ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return RT_OK;
}

void gw_plan_free(gw_conn_plan_t *plans, size_t nconn)
{
    if (plans == NULL)
        return;
    for (size_t i = 0; i < nconn; i++) {
        free(plans[i].path);
        for (size_t j = 0; j < plans[i].nsub; j++)
            free(plans[i].sub[j]);
        free(plans[i].sub);
    }
    free(plans);
}

/* The SUBSCRIBE requests for names[0..n) into plan->sub. */
static int plan_subscribes(gw_conn_plan_t *plan, char (*names)[64], size_t n)
{
    size_t nsub = (n + GW_SUBSCRIBE_MAX - 1) / GW_SUBSCRIBE_MAX;
    if (nsub == 0)
        return RT_OK;
    plan->sub = calloc(nsub, sizeof *plan->sub);
    if (plan->sub == NULL)
        return RT_ENOMEM;
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    int rc = RT_OK;
    for (size_t s = 0; s < nsub; s++) {
        rt_jsonw_reset(&w);
        rt_jsonw_object_begin(&w);
        rt_jsonw_kv_string(&w, "method", "SUBSCRIBE");
        rt_jsonw_key(&w, "params");
        rt_jsonw_array_begin(&w);
        for (size_t i = s * GW_SUBSCRIBE_MAX; i < n && i < (s + 1) * GW_SUBSCRIBE_MAX; i++)
            rt_jsonw_string(&w, names[i]);
        rt_jsonw_array_end(&w);
        rt_jsonw_kv_int(&w, "id", (int64_t)s + 1);
        rt_jsonw_object_end(&w);
        rc = rt_jsonw_finish(&w);
        if (rc != RT_OK)
            goto out;
        plan->sub[s] = strdup(rt_jsonw_data(&w));
        if (plan->sub[s] == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
        plan->nsub = s + 1;
    }
out:
    rt_jsonw_cleanup(&w);
    return rc;
}

int gw_plan_build(const char *const *symbols, size_t n, const gw_interval_t *iv, const char *prefix,
                  size_t path_budget, gw_conn_plan_t **out, size_t *nconn)
{
    if (symbols == NULL || n == 0 || iv == NULL || out == NULL || nconn == NULL)
        return RT_EINVAL;
    if (prefix == NULL)
        prefix = "";
    if (path_budget == 0)
        path_budget = GW_PATH_BUDGET;
    const size_t per_conn = GW_STREAMS_PER_CONN / GW_STREAMS_PER_SYMBOL;
    size_t count = (n + per_conn - 1) / per_conn;
    gw_conn_plan_t *plans = calloc(count, sizeof *plans);
    char(*names)[64] = calloc(GW_STREAMS_PER_CONN, sizeof *names);
    sbuf_t path = {0};
    int rc = RT_ENOMEM;
    if (plans == NULL || names == NULL)
        goto out;
    for (size_t c = 0; c < count; c++) {
        gw_conn_plan_t *plan = &plans[c];
        plan->first_sym = c * per_conn;
        plan->nsym = n - plan->first_sym < per_conn ? n - plan->first_sym : per_conn;
        path.len = 0;
        rc = sbuf_add(&path, prefix, strlen(prefix));
        if (rc == RT_OK)
            rc = sbuf_add(&path, "/stream?streams=", strlen("/stream?streams="));
        if (rc != RT_OK)
            goto out;
        size_t nnames = 0, in_path = 0;
        for (size_t i = 0; i < plan->nsym; i++) {
            const char *sym = symbols[plan->first_sym + i];
            if (sym == NULL) {
                rc = RT_EINVAL;
                goto out;
            }
            rc = stream_name(names[nnames++], sizeof names[0], sym, iv->name, true);
            if (rc == RT_OK)
                rc = stream_name(names[nnames++], sizeof names[0], sym, iv->name, false);
            if (rc != RT_OK)
                goto out;
        }
        /* Names go into the path while it stays within budget (the first two always). */
        for (; in_path < nnames; in_path++) {
            size_t k = strlen(names[in_path]) + (in_path > 0);
            if (in_path >= GW_STREAMS_PER_SYMBOL && path.len + k > path_budget)
                break;
            if (in_path > 0 && (rc = sbuf_add(&path, "/", 1)) != RT_OK)
                goto out;
            if ((rc = sbuf_add(&path, names[in_path], strlen(names[in_path]))) != RT_OK)
                goto out;
        }
        if (path.len > path_budget) {
            rc = RT_EINVAL;
            goto out;
        }
        plan->in_path = in_path;
        plan->path = strdup(path.p);
        if (plan->path == NULL) {
            rc = RT_ENOMEM;
            goto out;
        }
        rc = plan_subscribes(plan, names + in_path, nnames - in_path);
        if (rc != RT_OK)
            goto out;
    }
    *out = plans;
    *nconn = count;
    plans = NULL;
    rc = RT_OK;
out:
    gw_plan_free(plans, count);
    free(names);
    free(path.p);
    return rc;
}
