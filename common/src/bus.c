/* The bus's command connection: options, connect with bounded retry, transparent reconnect,
 * PING and PUBLISH. Streams are in bus_stream.c, the subscriber in bus_sub.c, the log sink in
 * bus_log.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "bus_internal.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"

#define MOD "bus"

struct rt_bus {
    rt_bus__cfg_t cfg;
    redisContext *ctx; /* NULL while disconnected: the next command reconnects */
    uint64_t reconnects;
    uint64_t rng;
    int failed_attempts;     /* reconnects failed in a row */
    int64_t next_attempt_ms; /* monotonic; before it, commands fail fast with RT_ECONN */
};

void rt_bus_opts_init(rt_bus_opts_t *o)
{
    if (o == NULL)
        return;
    *o = (rt_bus_opts_t){
        .host = "127.0.0.1",
        .port = 6379,
        .client_name = NULL,
        .connect_timeout_ms = 2000,
        .command_timeout_ms = 2000,
        .connect_attempts = 5,
        .backoff_base_ms = 100,
        .backoff_max_ms = 5000,
    };
}

static bool in_range(int v, int lo, int hi)
{
    return v >= lo && v <= hi;
}

int rt_bus_opts_validate(const rt_bus_opts_t *o)
{
    const char *bad = NULL;
    if (o == NULL) {
        rt_log_error(MOD, "options missing");
        return RT_EINVAL;
    }
    if (o->host == NULL || o->host[0] == '\0' || strlen(o->host) > RT_BUS_HOST_MAX)
        bad = "host (1..255 bytes)";
    else if (!in_range(o->port, 1, 65535))
        bad = "port (1..65535)";
    else if (o->client_name != NULL && !rt_bus__valid_client_name(o->client_name, RT_BUS_NAME_MAX))
        bad = "client_name (1..255 printable ASCII bytes, no spaces)";
    else if (!in_range(o->connect_timeout_ms, 1, 60000))
        bad = "connect_timeout_ms (1..60000)";
    else if (!in_range(o->command_timeout_ms, 1, 60000))
        bad = "command_timeout_ms (1..60000)";
    else if (!in_range(o->connect_attempts, 1, 1000))
        bad = "connect_attempts (1..1000)";
    else if (!in_range(o->backoff_base_ms, 1, 60000))
        bad = "backoff_base_ms (1..60000)";
    else if (!in_range(o->backoff_max_ms, o->backoff_base_ms, 600000))
        bad = "backoff_max_ms (backoff_base_ms..600000)";
    if (bad != NULL) {
        rt_log_error(MOD, "invalid option: %s", bad);
        return RT_EINVAL;
    }
    return RT_OK;
}

int rt_bus__cfg_from_opts(const rt_bus_opts_t *opts, rt_bus__cfg_t *cfg)
{
    int rc = rt_bus_opts_validate(opts);
    if (rc != RT_OK)
        return rc;
    rt_bus__cfg_t c = {0};
    memcpy(c.host, opts->host, strlen(opts->host) + 1);
    c.port = opts->port;
    if (opts->client_name != NULL)
        memcpy(c.name, opts->client_name, strlen(opts->client_name) + 1);
    c.connect_timeout_ms = opts->connect_timeout_ms;
    c.command_timeout_ms = opts->command_timeout_ms;
    c.connect_attempts = opts->connect_attempts;
    c.backoff_base_ms = opts->backoff_base_ms;
    c.backoff_max_ms = opts->backoff_max_ms;
    *cfg = c;
    return RT_OK;
}

bool rt_bus__valid_name(const char *s)
{
    if (s == NULL)
        return false;
    size_t n = strnlen(s, RT_BUS_NAME_MAX + 1);
    return n >= 1 && n <= RT_BUS_NAME_MAX;
}

bool rt_bus__valid_client_name(const char *s, size_t max)
{
    if (s == NULL || s[0] == '\0')
        return false;
    size_t n = 0;
    for (; s[n] != '\0'; n++) {
        if (n >= max || s[n] < '!' || s[n] > '~')
            return false;
    }
    return true;
}

uint64_t rt_bus__seed(const void *p)
{
    uint64_t s =
        (uint64_t)rt_time_mono_ns() ^ ((uint64_t)(uintptr_t)p << 7) ^ ((uint64_t)getpid() << 32);
    return s != 0 ? s : 1;
}

int64_t rt_bus_backoff_ms(int attempt, int base_ms, int max_ms, uint64_t *rng)
{
    if (base_ms <= 0)
        return 0;
    if (max_ms < base_ms)
        max_ms = base_ms;
    int64_t d = base_ms;
    for (int i = 0; i < attempt && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    if (rng == NULL)
        return d;
    uint64_t x = *rng != 0 ? *rng : 0x9E3779B97F4A7C15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    int64_t half = d / 2;
    return half + (int64_t)(x % (uint64_t)(d - half + 1));
}

static struct timeval ms_to_tv(int ms)
{
    return (struct timeval){.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
}

int rt_bus__set_timeout(redisContext *c, int ms)
{
    if (redisSetTimeout(c, ms_to_tv(ms)) != REDIS_OK) {
        rt_log_warn(MOD, "cannot set socket timeout err=%s", c->errstr);
        return RT_ECONN;
    }
    return RT_OK;
}

int rt_bus__ctx_error(const redisContext *c, int saved_errno)
{
    switch (c->err) {
    case REDIS_ERR_IO:
        if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK || saved_errno == ETIMEDOUT)
            return RT_ETIMEDOUT;
        return RT_ECONN;
    case REDIS_ERR_EOF:
        return RT_ECONN;
    case REDIS_ERR_OOM:
        return RT_ENOMEM;
    case REDIS_ERR_PROTOCOL:
        return RT_EPROTO;
    default:
        return RT_ECONN;
    }
}

int rt_bus__reply_error(const char *cmd, const char *key, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ERROR) {
        rt_log_warn(MOD, "unexpected reply cmd=%s key=%s type=%d", cmd, key ? key : "-", r->type);
        return RT_EPROTO;
    }
    int len = r->len > 200 ? 200 : (int)r->len;
    rt_log_warn(MOD, "redis error cmd=%s key=%s err=%.*s", cmd, key ? key : "-", len, r->str);
    if (r->len >= 7 && memcmp(r->str, "NOGROUP", 7) == 0)
        return RT_ENOTFOUND;
    return RT_EPROTO;
}

int rt_bus__connect_once(const rt_bus__cfg_t *cfg, const char *role, int attempt, int attempts,
                         redisContext **out)
{
    int rc = RT_OK;
    redisReply *reply = NULL;
    redisContext *c =
        redisConnectWithTimeout(cfg->host, cfg->port, ms_to_tv(cfg->connect_timeout_ms));
    if (c == NULL)
        return RT_ENOMEM;
    if (c->err) {
        if (attempts > 0)
            rt_log_warn(MOD, "connect failed role=%s host=%s port=%d attempt=%d/%d err=%s", role,
                        cfg->host, cfg->port, attempt, attempts, c->errstr);
        else
            rt_log_warn(MOD, "connect failed role=%s host=%s port=%d err=%s", role, cfg->host,
                        cfg->port, c->errstr);
        rc = RT_ECONN;
        goto out;
    }
    rc = rt_bus__set_timeout(c, cfg->command_timeout_ms);
    if (rc != RT_OK)
        goto out;
    if (redisEnableKeepAlive(c) != REDIS_OK)
        rt_log_debug(MOD, "keepalive not enabled role=%s err=%s", role, c->errstr);
    if (cfg->name[0] != '\0') {
        const char *argv[] = {"CLIENT", "SETNAME", cfg->name};
        errno = 0;
        reply = redisCommandArgv(c, 3, argv, NULL);
        if (reply == NULL) {
            rc = rt_bus__ctx_error(c, errno);
            rt_log_warn(MOD, "CLIENT SETNAME failed role=%s host=%s port=%d err=%s", role,
                        cfg->host, cfg->port, c->errstr);
            goto out;
        }
        if (reply->type != REDIS_REPLY_STATUS) {
            rc = rt_bus__reply_error("CLIENT SETNAME", cfg->name, reply);
            goto out;
        }
    }
    *out = c;
    c = NULL;
out:
    if (reply != NULL)
        freeReplyObject(reply);
    if (c != NULL)
        redisFree(c);
    return rc;
}

int rt_bus__connect_retry(const rt_bus__cfg_t *cfg, const char *role, uint64_t *rng,
                          redisContext **out)
{
    int rc = RT_ECONN;
    for (int i = 0; i < cfg->connect_attempts; i++) {
        if (i > 0) {
            int64_t pause =
                rt_bus_backoff_ms(i - 1, cfg->backoff_base_ms, cfg->backoff_max_ms, rng);
            rt_log_info(MOD, "retrying connect role=%s in_ms=%lld", role, (long long)pause);
            rt_time_sleep_ms(pause);
            if (rt_sig_stopping())
                return RT_ECONN;
        }
        rc = rt_bus__connect_once(cfg, role, i + 1, cfg->connect_attempts, out);
        if (rc == RT_OK || rc == RT_ENOMEM)
            return rc;
    }
    return RT_ECONN;
}

int rt_bus_new(const rt_bus_opts_t *opts, rt_bus_t **out)
{
    int rc;
    rt_bus_t *bus = NULL;
    if (out == NULL)
        return RT_EINVAL;
    bus = calloc(1, sizeof *bus);
    if (bus == NULL)
        return RT_ENOMEM;
    rc = rt_bus__cfg_from_opts(opts, &bus->cfg);
    if (rc != RT_OK)
        goto out;
    bus->rng = rt_bus__seed(bus);
    rc = rt_bus__connect_retry(&bus->cfg, "command", &bus->rng, &bus->ctx);
    if (rc != RT_OK)
        goto out;
    rt_log_info(MOD, "connected role=command host=%s port=%d", bus->cfg.host, bus->cfg.port);
    *out = bus;
    bus = NULL;
out:
    rt_bus_free(bus);
    return rc;
}

void rt_bus_free(rt_bus_t *bus)
{
    if (bus == NULL)
        return;
    if (bus->ctx != NULL)
        redisFree(bus->ctx);
    free(bus);
}

uint64_t rt_bus_reconnects(const rt_bus_t *bus)
{
    return bus != NULL ? bus->reconnects : 0;
}

static int bus_ensure_connected(rt_bus_t *bus)
{
    if (bus->ctx != NULL)
        return RT_OK;
    /* After a failed reconnect, wait out a backoff pause before the next one: a hot loop
     * neither hammers a Redis that is down nor waits a connect timeout on every command. */
    int64_t now = rt_time_mono_ms();
    if (now < bus->next_attempt_ms)
        return RT_ECONN;
    int rc = rt_bus__connect_once(&bus->cfg, "command", 0, 0, &bus->ctx);
    if (rc != RT_OK) {
        bus->next_attempt_ms =
            rt_time_mono_ms() + rt_bus_backoff_ms(bus->failed_attempts++, bus->cfg.backoff_base_ms,
                                                  bus->cfg.backoff_max_ms, &bus->rng);
        return rc == RT_ENOMEM ? rc : RT_ECONN;
    }
    bus->failed_attempts = 0;
    bus->reconnects++;
    rt_log_info(MOD, "reconnected role=command host=%s port=%d reconnects=%llu", bus->cfg.host,
                bus->cfg.port, (unsigned long long)bus->reconnects);
    return RT_OK;
}

static void bus_drop(rt_bus_t *bus)
{
    if (bus->ctx != NULL)
        redisFree(bus->ctx);
    bus->ctx = NULL;
}

int rt_bus__command(rt_bus_t *bus, int argc, const char **argv, const size_t *lens,
                    int extra_timeout_ms, redisReply **out)
{
    int rc = RT_ECONN;
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = bus_ensure_connected(bus);
        if (rc != RT_OK)
            return rc;
        if (extra_timeout_ms > 0) {
            rc = rt_bus__set_timeout(bus->ctx, bus->cfg.command_timeout_ms + extra_timeout_ms);
            if (rc != RT_OK) {
                bus_drop(bus);
                continue;
            }
        }
        errno = 0;
        redisReply *r = redisCommandArgv(bus->ctx, argc, argv, lens);
        int saved_errno = errno;
        if (r != NULL) {
            if (extra_timeout_ms > 0 &&
                rt_bus__set_timeout(bus->ctx, bus->cfg.command_timeout_ms) != RT_OK)
                bus_drop(bus); /* the reply is good; the next command reconnects */
            *out = r;
            return RT_OK;
        }
        rc = rt_bus__ctx_error(bus->ctx, saved_errno);
        rt_log_warn(MOD, "command failed cmd=%s host=%s port=%d err=%s (%s)", argv[0],
                    bus->cfg.host, bus->cfg.port, bus->ctx->errstr, rt_strerror(rc));
        bus_drop(bus);
        if (rc != RT_ECONN)
            return rc; /* a timeout's outcome is unknown: do not send it twice */
    }
    return rc;
}

int rt_bus_ping(rt_bus_t *bus)
{
    if (bus == NULL)
        return RT_EINVAL;
    const char *argv[] = {"PING"};
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, 1, argv, NULL, 0, &r);
    if (rc != RT_OK)
        return rc;
    if (r->type != REDIS_REPLY_STATUS)
        rc = rt_bus__reply_error("PING", NULL, r);
    freeReplyObject(r);
    return rc;
}

int rt_bus_publish(rt_bus_t *bus, const char *channel, const void *data, size_t len)
{
    if (bus == NULL || !rt_bus__valid_name(channel) || (data == NULL && len > 0))
        return RT_EINVAL;
    const char *argv[] = {"PUBLISH", channel, data != NULL ? (const char *)data : ""};
    size_t lens[] = {7, strlen(channel), len};
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, 3, argv, lens, 0, &r);
    if (rc != RT_OK)
        return rc;
    if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
        rc = r->integer > INT32_MAX ? INT32_MAX : (int)r->integer;
    else
        rc = rt_bus__reply_error("PUBLISH", channel, r);
    freeReplyObject(r);
    return rc;
}
