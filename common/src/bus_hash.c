/* The bus's hashes: HSET one field, HGETALL a whole hash (the analyzer keeps its live strategy
 * settings in config:strategies so that a restart finds them). */
#include <string.h>

#include "bus_internal.h"
#include "rt/err.h"
#include "rt/log.h"

#define MOD "bus"

int rt_bus_hset(rt_bus_t *bus, const char *key, const char *field, const void *value, size_t len)
{
    if (bus == NULL || !rt_bus__valid_name(key) || !rt_bus__valid_name(field) ||
        (value == NULL && len > 0))
        return RT_EINVAL;
    const char *argv[] = {"HSET", key, field, value != NULL ? (const char *)value : ""};
    size_t lens[] = {4, strlen(key), strlen(field), len};
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, 4, argv, lens, 0, &r);
    if (rc != RT_OK)
        return rc;
    if (r->type != REDIS_REPLY_INTEGER)
        rc = rt_bus__reply_error("HSET", key, r);
    freeReplyObject(r);
    return rc;
}

int rt_bus_hgetall(rt_bus_t *bus, const char *key, rt_bus_hash_fn fn, void *ud)
{
    if (bus == NULL || !rt_bus__valid_name(key) || fn == NULL)
        return RT_EINVAL;
    const char *argv[] = {"HGETALL", key};
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, 2, argv, NULL, 0, &r);
    if (rc != RT_OK)
        return rc;
    /* RESP2 answers a flat array: field, value, ... */
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
        rc = rt_bus__reply_error("HGETALL", key, r);
        goto out;
    }
    for (size_t i = 0; i < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            rc = rt_bus__reply_error("HGETALL", key, r);
            goto out;
        }
    }
    for (size_t i = 0; i < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        fn(ud, f->str, f->len, v->str, v->len);
    }
    rc = (int)(r->elements / 2 > INT32_MAX ? INT32_MAX : r->elements / 2);
out:
    freeReplyObject(r);
    return rc;
}
