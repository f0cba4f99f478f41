#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"

struct capture {
    int calls;
    char last[256];
    char module[32];
};

static void sink(void *ud, int64_t ts_ms, rt_log_level_t level, const char *service,
                 const char *module, const char *msg)
{
    struct capture *c = ud;
    (void)level;
    assert_true(ts_ms > 0);
    assert_string_equal(service, "unittest");
    c->calls++;
    snprintf(c->last, sizeof c->last, "%s", msg);
    snprintf(c->module, sizeof c->module, "%s", module);
    /* A sink that logs is not re-entered for its own line. */
    rt_log_info("sink", "inside the sink");
}

/* Runs fn with stderr redirected to a temporary file and returns what was written. */
static void capture_stderr(void (*fn)(void), char *out, size_t cap)
{
    char path[] = "/tmp/rt_test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
}

static void emit_lines(void)
{
    rt_log_debug("mod", "hidden value=%d", 1);
    rt_log_info("mod", "connected host=%s port=%d", "localhost", 9090);
    rt_log_error("db", "two\nlines");
}

static void test_format_and_level(void **state)
{
    (void)state;
    rt_log_init("unittest", RT_LOG_INFO);
    char out[2048];
    capture_stderr(emit_lines, out, sizeof out);
    assert_null(strstr(out, "hidden"));
    const char *info = strstr(out, " INFO  unittest mod: connected host=localhost port=9090\n");
    assert_non_null(info);
    /* the line starts with an ISO UTC timestamp with milliseconds */
    assert_int_equal(out[4], '-');
    assert_int_equal(out[10], 'T');
    assert_int_equal(out[19], '.');
    assert_int_equal(out[23], 'Z');
    assert_non_null(strstr(out, " ERROR unittest db: two lines\n"));
}

static void test_sink(void **state)
{
    (void)state;
    struct capture c = {0};
    rt_log_init("unittest", RT_LOG_DEBUG);
    rt_log_set_sink(sink, &c);
    char out[2048];
    capture_stderr(emit_lines, out, sizeof out);
    rt_log_set_sink(NULL, NULL);
    assert_non_null(strstr(out, "hidden value=1")); /* debug now written to stderr */
    assert_non_null(strstr(out, "inside the sink"));
    assert_int_equal(c.calls, 2); /* INFO and ERROR, not DEBUG, not the sink's own lines */
    assert_string_equal(c.last, "two lines");
    assert_string_equal(c.module, "db");
}

static void long_line(void)
{
    char big[8000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    rt_log_warn("big", "%s", big);
}

static void test_long_line_is_cut(void **state)
{
    (void)state;
    rt_log_init("unittest", RT_LOG_INFO);
    char out[16384];
    capture_stderr(long_line, out, sizeof out);
    size_t len = strlen(out);
    assert_true(len < 4300);
    assert_int_equal(out[len - 1], '\n');
    assert_non_null(strstr(out, "x...\n"));
}

static void test_level_parse(void **state)
{
    (void)state;
    rt_log_level_t l;
    assert_int_equal(rt_log_level_parse("DEBUG", &l), RT_OK);
    assert_int_equal(l, RT_LOG_DEBUG);
    assert_int_equal(rt_log_level_parse("warning", &l), RT_OK);
    assert_int_equal(l, RT_LOG_WARN);
    assert_int_equal(rt_log_level_parse("loud", &l), RT_EINVAL);
    assert_int_equal(rt_log_level_parse(NULL, &l), RT_EINVAL);
    assert_string_equal(rt_log_level_name(RT_LOG_ERROR), "ERROR");
}

static void test_time(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(rt_time_format_iso(1616554800123, buf, sizeof buf), 24);
    assert_string_equal(buf, "2021-03-24T03:00:00.123Z");
    assert_int_equal(rt_time_format_iso(-1, buf, sizeof buf), 24);
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    assert_int_equal(rt_time_format_iso(0, buf, 10), 0);
    int64_t a = rt_time_mono_ms();
    rt_time_sleep_ms(20);
    assert_true(rt_time_mono_ms() - a >= 20);
    assert_true(rt_time_now_ms() > 1700000000000);
    rt_sig_request_stop();
    assert_true(rt_sig_stopping());
    a = rt_time_mono_ms();
    rt_time_sleep_ms(5000); /* returns at once while stopping */
    assert_true(rt_time_mono_ms() - a < 1000);
    rt_sig_reset();
    assert_false(rt_sig_stopping());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_level), cmocka_unit_test(test_sink),
        cmocka_unit_test(test_long_line_is_cut), cmocka_unit_test(test_level_parse),
        cmocka_unit_test(test_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
