/* rt_bus_hset / rt_bus_hgetall against a real redis-server (RT_TEST_REDIS_* from the harness):
 * a missing hash, fields set and overwritten, a binary value, and bad arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt/bus.h"
#include "rt/err.h"
#include "rt/str.h"
#include "rt_test.h"

typedef struct {
    size_t n;
    char field[4][32];
    char value[4][32];
    size_t value_len[4];
} seen_t;

static void collect(void *ud, const char *field, size_t flen, const char *value, size_t vlen)
{
    seen_t *s = ud;
    assert_true(s->n < 4);
    assert_int_equal(rt_str_copy_n(s->field[s->n], sizeof s->field[0], field, flen), 0);
    assert_true(vlen < sizeof s->value[0]);
    memcpy(s->value[s->n], value, vlen);
    s->value_len[s->n] = vlen;
    s->n++;
}

static const char *find(const seen_t *s, const char *field, size_t *len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->field[i], field) == 0) {
            *len = s->value_len[i];
            return s->value[i];
        }
    return NULL;
}

static void test_hash_roundtrip(void **state)
{
    (void)state;
    rt_bus_opts_t o;
    rt_bus_opts_init(&o);
    o.host = rt_test_require_env("RT_TEST_REDIS_HOST");
    int64_t port = 0;
    assert_int_equal(rt_str_parse_int64(rt_test_require_env("RT_TEST_REDIS_PORT"), &port), 0);
    o.port = (int)port;
    rt_bus_t *bus = NULL;
    assert_int_equal(rt_bus_new(&o, &bus), 0);

    char key[64];
    snprintf(key, sizeof key, "t%ld:hash", (long)getpid());
    seen_t s = {0};
    assert_int_equal(rt_bus_hgetall(bus, key, collect, &s), 0);
    assert_int_equal(s.n, 0);

    assert_int_equal(rt_bus_hset(bus, key, "a", "1", 1), 0);
    assert_int_equal(rt_bus_hset(bus, key, "b", "x\0y", 3), 0);
    assert_int_equal(rt_bus_hset(bus, key, "a", "22", 2), 0); /* overwrite */
    assert_int_equal(rt_bus_hset(bus, key, "c", NULL, 0), 0);
    assert_int_equal(rt_bus_hgetall(bus, key, collect, &s), 3);
    assert_int_equal(s.n, 3);
    size_t len = 0;
    const char *v = find(&s, "a", &len);
    assert_non_null(v);
    assert_int_equal(len, 2);
    assert_memory_equal(v, "22", 2);
    v = find(&s, "b", &len);
    assert_non_null(v);
    assert_int_equal(len, 3);
    assert_memory_equal(v, "x\0y", 3);
    v = find(&s, "c", &len);
    assert_non_null(v);
    assert_int_equal(len, 0);

    assert_int_equal(rt_bus_hset(NULL, key, "a", "1", 1), RT_EINVAL);
    assert_int_equal(rt_bus_hset(bus, key, "", "1", 1), RT_EINVAL);
    assert_int_equal(rt_bus_hset(bus, key, "a", NULL, 1), RT_EINVAL);
    assert_int_equal(rt_bus_hgetall(bus, key, NULL, NULL), RT_EINVAL);
    /* A key of another type is a Redis error, reported as RT_EPROTO. */
    assert_int_equal(rt_bus_publish(bus, key, "x", 1) >= 0, 1);
    char skey[80];
    snprintf(skey, sizeof skey, "%s:stream", key);
    assert_int_equal(rt_bus_xadd(bus, skey, 10, "{}", 2, NULL, 0), 0);
    assert_int_equal(rt_bus_hset(bus, skey, "a", "1", 1), RT_EPROTO);
    assert_int_equal(rt_bus_hgetall(bus, skey, collect, &s), RT_EPROTO);
    rt_bus_free(bus);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_hash_roundtrip)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
