#include "rt_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

static const char *join(char *buf, size_t cap, const char *base, const char *rel)
{
    int n = snprintf(buf, cap, "%s/%s", base, rel);
    if (n < 0 || (size_t)n >= cap)
        fail_msg("path too long: %s/%s", base, rel);
    struct stat st;
    if (stat(buf, &st) != 0)
        fail_msg("missing file: %s", buf);
    return buf;
}

const char *rt_test_shared_path(char *buf, size_t cap, const char *rel)
{
    const char *base = getenv("RT_SHARED_DIR");
    return join(buf, cap, base ? base : "../shared", rel);
}

const char *rt_test_source_path(char *buf, size_t cap, const char *rel)
{
    const char *base = getenv("RT_SOURCE_DIR");
    return join(buf, cap, base ? base : ".", rel);
}

const char *rt_test_require_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0')
        fail_msg("%s is not set: integration tests need the servers started by ./rt test "
                 "(or tests/harness.sh run)", name);
    return v;
}

char *rt_test_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    if (fseek(f, 0, SEEK_END) != 0)
        fail_msg("cannot seek %s", path);
    long n = ftell(f);
    if (n < 0)
        fail_msg("cannot size %s", path);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL)
        fail_msg("out of memory reading %s", path);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n)
        fail_msg("short read on %s", path);
    fclose(f);
    buf[n] = '\0';
    if (len_out)
        *len_out = (size_t)n;
    return buf;
}
