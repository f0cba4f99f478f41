/* The bus's streams: XADD with an approximate cap, consumer groups, XREADGROUP, XACK,
 * XAUTOCLAIM, XPENDING. Entries come back packed into one allocation (rt_bus_entries_free). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_internal.h"
#include "rt/err.h"
#include "rt/log.h"

#define MOD "bus"
#define COUNT_MAX 10000
#define ACK_MAX 1000

static bool valid_id(const char *id)
{
    if (id == NULL)
        return false;
    size_t n = strnlen(id, RT_BUS_ID_CAP);
    return n >= 1 && n < RT_BUS_ID_CAP;
}

/* Adds b to *total, failing on overflow. */
static bool add_size(size_t *total, size_t b)
{
    if (b > SIZE_MAX - *total)
        return false;
    *total += b;
    return true;
}

static bool is_str(const redisReply *r)
{
    return r != NULL && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* Checks one entry's shape and adds what it needs to *nfields and *bytes. */
static int measure_entry(const redisReply *e, size_t *nfields, size_t *bytes)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !is_str(e->element[0]))
        return RT_EPROTO;
    if (e->element[0]->len == 0 || e->element[0]->len >= RT_BUS_ID_CAP)
        return RT_EPROTO;
    const redisReply *f = e->element[1];
    if (f == NULL)
        return RT_EPROTO;
    if (f->type == REDIS_REPLY_NIL)
        return RT_OK;
    if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0)
        return RT_EPROTO;
    for (size_t i = 0; i < f->elements; i++) {
        if (!is_str(f->element[i]))
            return RT_EPROTO;
        if (!add_size(bytes, f->element[i]->len) || !add_size(bytes, 1))
            return RT_ERANGE;
    }
    if (!add_size(nfields, f->elements / 2))
        return RT_ERANGE;
    return RT_OK;
}

/* Copies a reply string into the string area and NUL-terminates it. */
static const char *put_str(char **area, const redisReply *s)
{
    char *p = *area;
    memcpy(p, s->str, s->len);
    p[s->len] = '\0';
    *area = p + s->len + 1;
    return p;
}

int rt_bus__parse_entries(const redisReply *list, rt_bus_entry_t **out, size_t *n)
{
    if (list == NULL || list->type != REDIS_REPLY_ARRAY)
        return RT_EPROTO;
    size_t nentries = 0, nfields = 0, bytes = 0;
    for (size_t i = 0; i < list->elements; i++) {
        const redisReply *e = list->element[i];
        if (e == NULL)
            return RT_EPROTO;
        if (e->type == REDIS_REPLY_NIL)
            continue;
        int rc = measure_entry(e, &nfields, &bytes);
        if (rc != RT_OK)
            return rc;
        nentries++;
    }
    if (nentries == 0) {
        *out = NULL;
        *n = 0;
        return RT_OK;
    }
    /* One block: the entries, then every entry's fields, then the strings. */
    size_t total = 0;
    if (nentries > SIZE_MAX / sizeof(rt_bus_entry_t) || nfields > SIZE_MAX / sizeof(rt_bus_field_t))
        return RT_ERANGE;
    if (!add_size(&total, nentries * sizeof(rt_bus_entry_t)) ||
        !add_size(&total, nfields * sizeof(rt_bus_field_t)) || !add_size(&total, bytes))
        return RT_ERANGE;
    char *block = malloc(total);
    if (block == NULL)
        return RT_ENOMEM;
    rt_bus_entry_t *entries = (rt_bus_entry_t *)(void *)block;
    rt_bus_field_t *fields = (rt_bus_field_t *)(void *)(block + nentries * sizeof(rt_bus_entry_t));
    char *area = (char *)(fields + nfields);

    size_t k = 0;
    for (size_t i = 0; i < list->elements; i++) {
        const redisReply *e = list->element[i];
        if (e->type == REDIS_REPLY_NIL)
            continue;
        rt_bus_entry_t *en = &entries[k++];
        memset(en, 0, sizeof *en);
        memcpy(en->id, e->element[0]->str, e->element[0]->len);
        en->id[e->element[0]->len] = '\0';
        const redisReply *f = e->element[1];
        if (f->type == REDIS_REPLY_NIL || f->elements == 0)
            continue;
        en->fields = fields;
        en->nfields = f->elements / 2;
        for (size_t j = 0; j < en->nfields; j++) {
            const redisReply *name = f->element[2 * j], *value = f->element[2 * j + 1];
            fields[j].field = put_str(&area, name);
            fields[j].field_len = name->len;
            fields[j].value = put_str(&area, value);
            fields[j].value_len = value->len;
            if (en->data == NULL && name->len == 4 && memcmp(name->str, "data", 4) == 0) {
                en->data = fields[j].value;
                en->data_len = value->len;
            }
        }
        fields += en->nfields;
    }
    *out = entries;
    *n = nentries;
    return RT_OK;
}

void rt_bus_entries_free(rt_bus_entry_t *entries)
{
    free(entries);
}

static int copy_id(const redisReply *s, char *dst, size_t cap)
{
    if (!is_str(s) || s->len == 0 || s->len >= RT_BUS_ID_CAP)
        return RT_EPROTO;
    if (dst != NULL) {
        if (s->len >= cap)
            return RT_ERANGE;
        memcpy(dst, s->str, s->len);
        dst[s->len] = '\0';
    }
    return RT_OK;
}

int rt_bus_xadd(rt_bus_t *bus, const char *stream, int64_t maxlen, const char *json, size_t len,
                char *id_out, size_t id_cap)
{
    if (bus == NULL || !rt_bus__valid_name(stream) || maxlen < 0 || (json == NULL && len > 0) ||
        (id_out != NULL && id_cap < RT_BUS_ID_CAP))
        return RT_EINVAL;
    char cap[24];
    snprintf(cap, sizeof cap, "%lld", (long long)maxlen); /* fits: at most 20 bytes */
    const char *argv[] = {"XADD", stream, "MAXLEN", "~", cap, "*", "data", json ? json : ""};
    size_t lens[] = {4, strlen(stream), 6, 1, strlen(cap), 1, 4, len};
    redisReply *r = NULL;
    int rc;
    if (maxlen > 0) {
        rc = rt_bus__command(bus, 8, argv, lens, 0, &r);
    } else {
        const char *argv2[] = {argv[0], argv[1], argv[5], argv[6], argv[7]};
        size_t lens2[] = {lens[0], lens[1], lens[5], lens[6], lens[7]};
        rc = rt_bus__command(bus, 5, argv2, lens2, 0, &r);
    }
    if (rc != RT_OK)
        return rc;
    if (r->type == REDIS_REPLY_STRING)
        rc = copy_id(r, id_out, id_cap);
    else
        rc = rt_bus__reply_error("XADD", stream, r);
    freeReplyObject(r);
    return rc;
}

int rt_bus_xlen(rt_bus_t *bus, const char *stream, int64_t *out)
{
    if (bus == NULL || !rt_bus__valid_name(stream) || out == NULL)
        return RT_EINVAL;
    const char *argv[] = {"XLEN", stream};
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, 2, argv, NULL, 0, &r);
    if (rc != RT_OK)
        return rc;
    if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
        *out = r->integer;
    else
        rc = rt_bus__reply_error("XLEN", stream, r);
    freeReplyObject(r);
    return rc;
}

int rt_bus_group_create(rt_bus_t *bus, const char *stream, const char *group, const char *start_id)
{
    if (bus == NULL || !rt_bus__valid_name(stream) || !rt_bus__valid_name(group) ||
        !valid_id(start_id))
        return RT_EINVAL;
    const char *argv[] = {"XGROUP", "CREATE", stream, group, start_id, "MKSTREAM"};
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, 6, argv, NULL, 0, &r);
    if (rc != RT_OK)
        return rc;
    if (r->type == REDIS_REPLY_STATUS) {
        rt_log_info(MOD, "group created stream=%s group=%s start=%s", stream, group, start_id);
    } else if (r->type == REDIS_REPLY_ERROR && r->len >= 9 && memcmp(r->str, "BUSYGROUP", 9) == 0) {
        rt_log_debug(MOD, "group exists stream=%s group=%s", stream, group);
    } else {
        rc = rt_bus__reply_error("XGROUP CREATE", stream, r);
    }
    freeReplyObject(r);
    return rc;
}

int rt_bus_xreadgroup(rt_bus_t *bus, const char *stream, const char *group, const char *consumer,
                      const char *id, int count, int block_ms, rt_bus_entry_t **entries, size_t *n)
{
    if (bus == NULL || !rt_bus__valid_name(stream) || !rt_bus__valid_name(group) ||
        !rt_bus__valid_name(consumer) || !valid_id(id) || count < 1 || count > COUNT_MAX ||
        block_ms < 0 || block_ms > RT_BUS_BLOCK_MAX_MS || entries == NULL || n == NULL)
        return RT_EINVAL;
    char cnt[16], blk[16];
    snprintf(cnt, sizeof cnt, "%d", count);
    snprintf(blk, sizeof blk, "%d", block_ms);
    const char *argv[11];
    int argc = 0;
    argv[argc++] = "XREADGROUP";
    argv[argc++] = "GROUP";
    argv[argc++] = group;
    argv[argc++] = consumer;
    argv[argc++] = "COUNT";
    argv[argc++] = cnt;
    if (block_ms > 0) {
        argv[argc++] = "BLOCK";
        argv[argc++] = blk;
    }
    argv[argc++] = "STREAMS";
    argv[argc++] = stream;
    argv[argc++] = id;
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, argc, argv, NULL, block_ms, &r);
    if (rc != RT_OK)
        return rc;
    if (r->type == REDIS_REPLY_NIL) { /* BLOCK ran out */
        *entries = NULL;
        *n = 0;
    } else if (r->type == REDIS_REPLY_ARRAY) {
        /* [[stream, [entries...]]] */
        const redisReply *s = r->elements == 1 ? r->element[0] : NULL;
        if (s == NULL || s->type != REDIS_REPLY_ARRAY || s->elements != 2) {
            rc = rt_bus__reply_error("XREADGROUP", stream, r);
        } else {
            rc = rt_bus__parse_entries(s->element[1], entries, n);
            if (rc != RT_OK)
                rt_log_warn(MOD, "malformed XREADGROUP reply stream=%s (%s)", stream,
                            rt_strerror(rc));
        }
    } else {
        rc = rt_bus__reply_error("XREADGROUP", stream, r);
    }
    freeReplyObject(r);
    return rc;
}

int rt_bus_xack(rt_bus_t *bus, const char *stream, const char *group, const char *const *ids,
                size_t n)
{
    if (bus == NULL || !rt_bus__valid_name(stream) || !rt_bus__valid_name(group) || ids == NULL ||
        n < 1 || n > ACK_MAX)
        return RT_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!valid_id(ids[i]))
            return RT_EINVAL;
    }
    const char **argv = malloc((n + 3) * sizeof *argv);
    if (argv == NULL)
        return RT_ENOMEM;
    argv[0] = "XACK";
    argv[1] = stream;
    argv[2] = group;
    for (size_t i = 0; i < n; i++)
        argv[3 + i] = ids[i];
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, (int)(n + 3), argv, NULL, 0, &r);
    if (rc != RT_OK)
        goto out;
    if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
        rc = r->integer > INT32_MAX ? INT32_MAX : (int)r->integer;
    else
        rc = rt_bus__reply_error("XACK", stream, r);
    freeReplyObject(r);
out:
    free(argv);
    return rc;
}

int rt_bus_xautoclaim(rt_bus_t *bus, const char *stream, const char *group, const char *consumer,
                      int64_t min_idle_ms, const char *start_id, int count,
                      rt_bus_entry_t **entries, size_t *n, char *next_id, size_t next_cap)
{
    if (bus == NULL || !rt_bus__valid_name(stream) || !rt_bus__valid_name(group) ||
        !rt_bus__valid_name(consumer) || min_idle_ms < 0 || !valid_id(start_id) || count < 1 ||
        count > COUNT_MAX || entries == NULL || n == NULL ||
        (next_id != NULL && next_cap < RT_BUS_ID_CAP))
        return RT_EINVAL;
    char idle[24], cnt[16];
    snprintf(idle, sizeof idle, "%lld", (long long)min_idle_ms);
    snprintf(cnt, sizeof cnt, "%d", count);
    const char *argv[] = {"XAUTOCLAIM", stream, group, consumer, idle, start_id, "COUNT", cnt};
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, 8, argv, NULL, 0, &r);
    if (rc != RT_OK)
        return rc;
    /* Redis 7: [next-id, [entries...], [deleted ids...]]; 6.2: without the third. */
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 || !is_str(r->element[0])) {
        rc = rt_bus__reply_error("XAUTOCLAIM", stream, r);
        goto out;
    }
    char next[RT_BUS_ID_CAP];
    rc = copy_id(r->element[0], next, sizeof next);
    if (rc != RT_OK) {
        rt_log_warn(MOD, "malformed XAUTOCLAIM cursor stream=%s", stream);
        goto out;
    }
    rt_bus_entry_t *got = NULL;
    size_t ngot = 0;
    rc = rt_bus__parse_entries(r->element[1], &got, &ngot);
    if (rc != RT_OK) {
        rt_log_warn(MOD, "malformed XAUTOCLAIM reply stream=%s (%s)", stream, rt_strerror(rc));
        goto out;
    }
    if (r->elements >= 3 && r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements > 0)
        rt_log_info(MOD, "claimed entries were deleted stream=%s group=%s count=%zu", stream, group,
                    r->element[2]->elements);
    if (next_id != NULL)
        memcpy(next_id, next, strlen(next) + 1);
    *entries = got;
    *n = ngot;
out:
    freeReplyObject(r);
    return rc;
}

int rt_bus_xpending_count(rt_bus_t *bus, const char *stream, const char *group, int64_t *count)
{
    if (bus == NULL || !rt_bus__valid_name(stream) || !rt_bus__valid_name(group) || count == NULL)
        return RT_EINVAL;
    const char *argv[] = {"XPENDING", stream, group};
    redisReply *r = NULL;
    int rc = rt_bus__command(bus, 3, argv, NULL, 0, &r);
    if (rc != RT_OK)
        return rc;
    /* [count, smallest id, greatest id, [[consumer, count]...]] */
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
        r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer >= 0)
        *count = r->element[0]->integer;
    else
        rc = rt_bus__reply_error("XPENDING", stream, r);
    freeReplyObject(r);
    return rc;
}
