#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rt/config.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/money.h"
#include "rt/str.h"
#include "rt/types.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static char g_dir[64]; /* the temp dir of this run (test fixture state, not library state) */

static int make_dir(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/rt_test_config_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes content to g_dir/name and returns the path in buf. */
static const char *write_env(char *buf, size_t cap, const char *name, const char *content)
{
    int n = snprintf(buf, cap, "%s/%s", g_dir, name);
    assert_true(n > 0 && (size_t)n < cap);
    FILE *f = fopen(buf, "wb");
    assert_non_null(f);
    size_t len = strlen(content);
    assert_int_equal(fwrite(content, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return buf;
}

/* Asserts that report line i is want, printing both. */
static void expect_line(const rt_config_report_t *r, size_t i, const char *want)
{
    if (i >= r->count || strcmp(r->line[i], want) != 0)
        fail_msg("report line %zu:\n   got: %s\n  want: %s", i,
                 i < r->count ? r->line[i] : "(none)", want);
}

/* Runs fn(arg) with stderr sent to a temp file; returns what was written in out. */
static void capture_stderr(void (*fn)(const void *), const void *arg, char *out, size_t cap)
{
    char path[] = "/tmp/rt_test_config_err_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn(arg);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, out, cap - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
}

/* ---- one variable of each type, good and bad ---- */

static const char *const modes[] = {"demo", "live", NULL};
static const char *const intervals[] = {"1m", "1M", "1h", NULL};
static const char *const redis_schemes[] = {"redis", NULL};

/* Every type's storage, filled through .ptr. */
typedef struct {
    char str[16];
    char url[32];
    int64_t i;
    double d;
    rt_money_t m;
    bool b;
    int e;
    int port;
    rt_config_list_t list;
} scratch_t;

enum {
    R_STR,
    R_STR_LEN,
    R_SYM,
    R_INT,
    R_INT_ANY,
    R_INT_MIN,
    R_DBL,
    R_DBL_ANY,
    R_MONEY,
    R_MONEY_ANY,
    R_MONEY_MIN,
    R_BOOL,
    R_ENUM,
    R_ENUM_CASE,
    R_LIST,
    R_LIST_ANY,
    R_URL,
    R_URL_REDIS,
    R_PORT,
    R_SECRET,
    R_COUNT
};

/* The row for kind k named RTT_V, storing into s. */
static rt_config_var_t row_of(int k, scratch_t *s)
{
    rt_config_var_t v = {.name = "RTT_V", .help = "a test variable"};
    switch (k) {
    case R_STR:
        v.type = RT_CONFIG_STRING;
        v.ptr = s->str;
        v.size = sizeof s->str;
        break;
    case R_STR_LEN:
        v.type = RT_CONFIG_STRING;
        v.ptr = s->str;
        v.size = sizeof s->str;
        v.min = 4;
        v.max = 8;
        break;
    case R_SYM:
        v.type = RT_CONFIG_STRING;
        v.ptr = s->str;
        v.size = sizeof s->str;
        v.check = &rt_config_check_symbol;
        break;
    case R_INT:
        v.type = RT_CONFIG_INT;
        v.ptr = &s->i;
        v.size = sizeof s->i;
        v.min = 2;
        v.max = 1000;
        break;
    case R_INT_ANY:
        v.type = RT_CONFIG_INT;
        v.ptr = &s->i;
        v.size = sizeof s->i;
        break;
    case R_INT_MIN:
        v.type = RT_CONFIG_INT;
        v.ptr = &s->i;
        v.size = sizeof s->i;
        v.min = 0;
        v.max = INT64_MAX;
        break;
    case R_DBL:
        v.type = RT_CONFIG_DOUBLE;
        v.ptr = &s->d;
        v.size = sizeof s->d;
        v.min_d = 0.5;
        v.max_d = 5;
        break;
    case R_DBL_ANY:
        v.type = RT_CONFIG_DOUBLE;
        v.ptr = &s->d;
        v.size = sizeof s->d;
        break;
    case R_MONEY:
        v.type = RT_CONFIG_MONEY;
        v.ptr = &s->m;
        v.size = sizeof s->m;
        v.min_m = 1;
        v.max_m = RT_MONEY_UNITS(1000);
        break;
    case R_MONEY_ANY:
        v.type = RT_CONFIG_MONEY;
        v.ptr = &s->m;
        v.size = sizeof s->m;
        break;
    case R_MONEY_MIN:
        v.type = RT_CONFIG_MONEY;
        v.ptr = &s->m;
        v.size = sizeof s->m;
        v.min_m = 0;
        v.max_m = RT_MONEY_MAX;
        break;
    case R_BOOL:
        v.type = RT_CONFIG_BOOL;
        v.ptr = &s->b;
        v.size = sizeof s->b;
        break;
    case R_ENUM:
        v.type = RT_CONFIG_ENUM;
        v.ptr = &s->e;
        v.size = sizeof s->e;
        v.choices = modes;
        break;
    case R_ENUM_CASE:
        v.type = RT_CONFIG_ENUM;
        v.ptr = &s->e;
        v.size = sizeof s->e;
        v.choices = intervals;
        break;
    case R_LIST:
        v.type = RT_CONFIG_LIST;
        v.ptr = &s->list;
        v.size = sizeof s->list;
        v.min = 1;
        v.max = 3;
        v.check = &rt_config_check_symbol;
        break;
    case R_LIST_ANY:
        v.type = RT_CONFIG_LIST;
        v.ptr = &s->list;
        v.size = sizeof s->list;
        break;
    case R_URL:
        v.type = RT_CONFIG_URL;
        v.ptr = s->url;
        v.size = sizeof s->url;
        break;
    case R_URL_REDIS:
        v.type = RT_CONFIG_URL;
        v.ptr = s->url;
        v.size = sizeof s->url;
        v.choices = redis_schemes;
        break;
    case R_PORT:
        v.type = RT_CONFIG_PORT;
        v.ptr = &s->port;
        v.size = sizeof s->port;
        break;
    case R_SECRET:
        v.type = RT_CONFIG_STRING;
        v.ptr = s->str;
        v.size = sizeof s->str;
        v.min = 8;
        v.max = 15;
        v.secret = true;
        break;
    default:
        fail_msg("no row %d", k);
    }
    return v;
}

/* The stored value as text, to compare with a case's expectation. */
static void stored(int k, const scratch_t *s, char *buf, size_t cap)
{
    switch (k) {
    case R_INT:
    case R_INT_ANY:
    case R_INT_MIN:
        snprintf(buf, cap, "%lld", (long long)s->i);
        break;
    case R_DBL:
    case R_DBL_ANY:
        snprintf(buf, cap, "%.17g", s->d);
        break;
    case R_MONEY:
    case R_MONEY_ANY:
    case R_MONEY_MIN:
        rt_money_format(s->m, buf, cap);
        break;
    case R_BOOL:
        snprintf(buf, cap, "%s", s->b ? "true" : "false");
        break;
    case R_ENUM:
    case R_ENUM_CASE:
        snprintf(buf, cap, "%d", s->e);
        break;
    case R_PORT:
        snprintf(buf, cap, "%d", s->port);
        break;
    case R_URL:
    case R_URL_REDIS:
        snprintf(buf, cap, "%s", s->url);
        break;
    case R_LIST:
    case R_LIST_ANY: {
        size_t len = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < s->list.count; i++) {
            int n = snprintf(buf + len, cap - len, "%s%s", i ? "|" : "", s->list.items[i]);
            assert_true(n >= 0 && (size_t)n < cap - len);
            len += (size_t)n;
        }
        break;
    }
    default:
        snprintf(buf, cap, "%s", s->str);
        break;
    }
}

static void test_types(void **state)
{
    (void)state;
    static const struct {
        int kind;
        const char *text;
        const char *want; /* stored value, or the report line */
    } cases[] = {
        /* strings */
        {R_STR, "localhost", "localhost"},
        {R_STR, " keeps spaces ", " keeps spaces "},
        {R_STR, "caf\xc3\xa9", "caf\xc3\xa9"},
        {R_STR, "0123456789abcdef", "RTT_V=\"0123456789abcdef\": must be text of at most 15 bytes"},
        {R_STR, "bad\x01", "RTT_V=\"bad\\x01\": must be UTF-8 text without control characters"},
        {R_STR, "bad\xc3", "RTT_V=\"bad\\xc3\": must be UTF-8 text without control characters"},
        {R_STR_LEN, "abcd", "abcd"},
        {R_STR_LEN, "abc", "RTT_V=\"abc\": must be text of 4 to 8 bytes"},
        {R_STR_LEN, "abcdefghi", "RTT_V=\"abcdefghi\": must be text of 4 to 8 bytes"},
        {R_SYM, "btcUSDC", "BTCUSDC"},
        {R_SYM, "BTC-USDC", "RTT_V=\"BTC-USDC\": must be a symbol: 1 to 20 letters or digits"},
        {R_SYM, "ABCDEFGHIJKLMNOPQRSTU",
         "RTT_V=\"ABCDEFGHIJKLMNOPQRSTU\": must be a symbol: 1 to 20 letters or digits"},
        /* integers */
        {R_INT, "14", "14"},
        {R_INT, " 14 ", "14"},
        {R_INT, "2", "2"},
        {R_INT, "1000", "1000"},
        {R_INT, "1", "RTT_V=\"1\": must be an integer from 2 to 1000"},
        {R_INT, "1001", "RTT_V=\"1001\": must be an integer from 2 to 1000"},
        {R_INT, "14.5", "RTT_V=\"14.5\": must be an integer from 2 to 1000"},
        {R_INT, "abc", "RTT_V=\"abc\": must be an integer from 2 to 1000"},
        {R_INT, "99999999999999999999",
         "RTT_V=\"99999999999999999999\": must be an integer from 2 to 1000"},
        {R_INT_ANY, "-9223372036854775808", "-9223372036854775808"},
        {R_INT_ANY, "0x10", "RTT_V=\"0x10\": must be an integer"},
        {R_INT_MIN, "0", "0"},
        {R_INT_MIN, "-1", "RTT_V=\"-1\": must be an integer of at least 0"},
        /* doubles */
        {R_DBL, "2.0", "2"},
        {R_DBL, "0.5", "0.5"},
        {R_DBL, "5", "5"},
        {R_DBL, "5.01", "RTT_V=\"5.01\": must be a number from 0.5 to 5"},
        {R_DBL, "nan", "RTT_V=\"nan\": must be a number from 0.5 to 5"},
        {R_DBL, "2,5", "RTT_V=\"2,5\": must be a number from 0.5 to 5"},
        {R_DBL_ANY, "-1e3", "-1000"},
        {R_DBL_ANY, "inf", "RTT_V=\"inf\": must be a number"},
        {R_DBL_ANY, "1e999", "RTT_V=\"1e999\": must be a number"},
        /* money */
        {R_MONEY, "0.00017", "0.00017"},
        {R_MONEY, "0.00000001", "0.00000001"},
        {R_MONEY, "1000", "1000"},
        {R_MONEY, "0",
         "RTT_V=\"0\": must be a decimal number from 0.00000001 to 1000 with at most 8 decimals"},
        {R_MONEY, "0.000000001",
         "RTT_V=\"0.000000001\": must be a decimal number from 0.00000001 to 1000 with at most 8 "
         "decimals"},
        {R_MONEY, "1e-3",
         "RTT_V=\"1e-3\": must be a decimal number from 0.00000001 to 1000 with at most 8 "
         "decimals"},
        {R_MONEY_ANY, "-12.5", "-12.5"},
        {R_MONEY_ANY, "99999999999",
         "RTT_V=\"99999999999\": must be a decimal number with at most 8 decimals"},
        {R_MONEY_MIN, "0", "0"},
        {R_MONEY_MIN, "-0.1",
         "RTT_V=\"-0.1\": must be a decimal number of at least 0 with at most 8 decimals"},
        /* booleans */
        {R_BOOL, "true", "true"},
        {R_BOOL, "TRUE", "true"},
        {R_BOOL, "1", "true"},
        {R_BOOL, "yes", "true"},
        {R_BOOL, "On", "true"},
        {R_BOOL, "false", "false"},
        {R_BOOL, "0", "false"},
        {R_BOOL, "no", "false"},
        {R_BOOL, "off", "false"},
        {R_BOOL, "maybe", "RTT_V=\"maybe\": must be one of true, false, 1, 0, yes, no, on, off"},
        {R_BOOL, "2", "RTT_V=\"2\": must be one of true, false, 1, 0, yes, no, on, off"},
        /* enums */
        {R_ENUM, "demo", "0"},
        {R_ENUM, "live", "1"},
        {R_ENUM, "LIVE", "1"},
        {R_ENUM, "paper", "RTT_V=\"paper\": must be one of demo, live"},
        {R_ENUM_CASE, "1m", "0"},
        {R_ENUM_CASE, "1M", "1"}, /* exact match first: month, not minute */
        {R_ENUM_CASE, "1H", "2"},
        {R_ENUM_CASE, "2h", "RTT_V=\"2h\": must be one of 1m, 1M, 1h"},
        /* lists */
        {R_LIST, "BTCUSDC", "BTCUSDC"},
        {R_LIST, " btcusdc , ETHUSDC,solusdc ", "BTCUSDC|ETHUSDC|SOLUSDC"},
        {R_LIST, "A,B,C,D",
         "RTT_V=\"A,B,C,D\": must be a comma-separated list of 1 to 3 items, each a symbol: 1 to "
         "20 letters or digits"},
        {R_LIST, "BTCUSDC,eth-usdc",
         "RTT_V=\"BTCUSDC,eth-usdc\": item \"eth-usdc\" must be a symbol: 1 to 20 letters or "
         "digits"},
        {R_LIST, "BTCUSDC,,ETHUSDC", "RTT_V=\"BTCUSDC,,ETHUSDC\": item 2 is empty"},
        {R_LIST, "BTCUSDC,", "RTT_V=\"BTCUSDC,\": item 2 is empty"},
        {R_LIST, "btcusdc,BTCUSDC", "RTT_V=\"btcusdc,BTCUSDC\": item \"BTCUSDC\" is repeated"},
        {R_LIST_ANY, "a b,c", "a b|c"},
        {R_LIST_ANY, "x,0123456789012345678901234567890123456789",
         "RTT_V=\"x,0123456789012345678901234567890123456789\": item "
         "\"0123456789012345678901234567890123456789\" is longer than 39 bytes"},
        /* URLs */
        {R_URL, "http://localhost:9090", "http://localhost:9090"},
        {R_URL, "wss://[::1]:9/ws?x=1", "wss://[::1]:9/ws?x=1"},
        {R_URL, "HTTPS://h", "HTTPS://h"},
        {R_URL, "ftp://host",
         "RTT_V=\"ftp://host\": must be a URL scheme://host[:port][/path] with scheme http, https, "
         "ws, wss"},
        {R_URL, "http://",
         "RTT_V=\"http://\": must be a URL scheme://host[:port][/path] with scheme http, https, "
         "ws, wss"},
        {R_URL, "http://h:0",
         "RTT_V=\"http://h:0\": must be a URL scheme://host[:port][/path] with scheme http, https, "
         "ws, wss"},
        {R_URL, "http://h:99999",
         "RTT_V=\"http://h:99999\": must be a URL scheme://host[:port][/path] with scheme http, "
         "https, ws, wss"},
        {R_URL, "http://h/a b",
         "RTT_V=\"http://h/a b\": must be a URL scheme://host[:port][/path] with scheme http, "
         "https, ws, wss"},
        {R_URL, "http://u:p@h",
         "RTT_V=\"http://u:p@h\": must be a URL scheme://host[:port][/path] with scheme http, "
         "https, ws, wss"},
        {R_URL, "localhost:9090",
         "RTT_V=\"localhost:9090\": must be a URL scheme://host[:port][/path] with scheme http, "
         "https, ws, wss"},
        {R_URL, "http://a.example.com:1/longer/path",
         "RTT_V=\"http://a.example.com:1/longer/path\": must be a URL scheme://host[:port][/path] "
         "with scheme http, https, ws, wss, of at most 31 bytes"},
        /* only blanks: no URL (an empty URL was let through; found by fuzz_config) */
        {R_URL, " ",
         "RTT_V=\" \": must be a URL scheme://host[:port][/path] with scheme http, https, ws, "
         "wss"},
        {R_URL, "  http://h:1  ", "http://h:1"},
        {R_URL_REDIS, "redis://h:6379", "redis://h:6379"},
        {R_URL_REDIS, "http://h",
         "RTT_V=\"http://h\": must be a URL scheme://host[:port][/path] with scheme redis"},
        /* ports */
        {R_PORT, "5432", "5432"},
        {R_PORT, "1", "1"},
        {R_PORT, "65535", "65535"},
        {R_PORT, "abc", "RTT_V=\"abc\": must be an integer from 1 to 65535"},
        {R_PORT, "0", "RTT_V=\"0\": must be an integer from 1 to 65535"},
        {R_PORT, "65536", "RTT_V=\"65536\": must be an integer from 1 to 65535"},
        /* secrets: never echoed, even when malformed */
        {R_SECRET, "s3cret-token", "s3cret-token"},
        {R_SECRET, "hunter2", "RTT_V=***: must be text of 8 to 15 bytes"},
        {R_SECRET, "hunter2\x01xx", "RTT_V=***: must be UTF-8 text without control characters"},
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        scratch_t s;
        memset(&s, 0xAB, sizeof s);
        scratch_t before = s;
        rt_config_var_t row = row_of(cases[i].kind, &s);
        assert_int_equal(setenv("RTT_V", cases[i].text, 1), 0);
        rt_config_report_t r;
        int rc = rt_config_fill(NULL, &row, 1, NULL, &r);
        bool want_ok = strncmp(cases[i].want, "RTT_V", 5) != 0;
        if (want_ok) {
            if (rc != RT_OK)
                fail_msg("case %zu (%s): rc %d, report: %s", i, cases[i].text, rc,
                         r.count ? r.line[0] : "");
            char got[256];
            stored(cases[i].kind, &s, got, sizeof got);
            if (strcmp(got, cases[i].want) != 0)
                fail_msg("case %zu (%s): stored \"%s\", want \"%s\"", i, cases[i].text, got,
                         cases[i].want);
        } else {
            if (rc != RT_EINVAL || r.count != 1)
                fail_msg("case %zu (%s): rc %d count %zu, want RT_EINVAL and one line", i,
                         cases[i].text, rc, r.count);
            if (strcmp(r.line[0], cases[i].want) != 0)
                fail_msg("case %zu:\n   got: %s\n  want: %s", i, r.line[0], cases[i].want);
            if (memcmp(&s, &before, sizeof s) != 0)
                fail_msg("case %zu (%s): storage written on error", i, cases[i].text);
        }
    }
    unsetenv("RTT_V");
}

/* ---- a service-like table ---- */

typedef struct {
    char pghost[64];
    int pgport;
    int mode;
    int64_t rsi_window;
    double bb_std;
    rt_money_t quantity;
    bool paper_fills;
    rt_config_list_t symbols;
    char exchange_url[128];
    char api_token[64];
    char secret_key[80];
} svc_config_t;

static const rt_config_var_t svc_vars[] = {
    {"RTT_PGHOST", RT_CONFIG_STRING, "localhost", "PostgreSQL host",
     RT_CONFIG_AT(svc_config_t, pghost)},
    {"RTT_PGPORT", RT_CONFIG_PORT, "5432", "PostgreSQL port", RT_CONFIG_AT(svc_config_t, pgport)},
    {"RTT_TRADING_MODE", RT_CONFIG_ENUM, "demo", "demo or live", RT_CONFIG_AT(svc_config_t, mode),
     .choices = modes},
    {"RTT_RSI_WINDOW", RT_CONFIG_INT, "14", "RSI period", RT_CONFIG_AT(svc_config_t, rsi_window),
     .min = 2, .max = 500},
    {"RTT_BB_STD", RT_CONFIG_DOUBLE, "2.0", "Bollinger width", RT_CONFIG_AT(svc_config_t, bb_std),
     .min_d = 0.1, .max_d = 10},
    {"RTT_TRADE_QUANTITY", RT_CONFIG_MONEY, "0.00017", "order quantity",
     RT_CONFIG_AT(svc_config_t, quantity), .min_m = 1, .max_m = RT_MONEY_UNITS(1000000)},
    {"RTT_PAPER", RT_CONFIG_BOOL, "yes", "simulate fills", RT_CONFIG_AT(svc_config_t, paper_fills)},
    {"RTT_SYMBOLS", RT_CONFIG_LIST, "BTCUSDC,ETHUSDC", "symbols to follow",
     RT_CONFIG_AT(svc_config_t, symbols), .check = &rt_config_check_symbol},
    {"RTT_EXCHANGE_URL", RT_CONFIG_URL, "", "override of the exchange URL",
     RT_CONFIG_AT(svc_config_t, exchange_url)},
    {"RTT_API_TOKEN", RT_CONFIG_STRING, NULL, "bearer token for writes",
     RT_CONFIG_AT(svc_config_t, api_token), .secret = true, .min = 16, .max = 63},
    {"RTT_SECRET_KEY", RT_CONFIG_STRING, "", "exchange secret",
     RT_CONFIG_AT(svc_config_t, secret_key), .secret = true},
};

static void clear_svc_env(void)
{
    for (size_t i = 0; i < COUNT(svc_vars); i++)
        unsetenv(svc_vars[i].name);
}

static void test_defaults_and_required(void **state)
{
    (void)state;
    clear_svc_env();
    char path[128];
    snprintf(path, sizeof path, "%s/does-not-exist.env", g_dir);
    svc_config_t c;
    memset(&c, 0, sizeof c);
    rt_config_report_t r;
    /* only the required token is missing */
    assert_int_equal(rt_config_load(svc_vars, COUNT(svc_vars), &c, path, &r), RT_EINVAL);
    assert_int_equal(r.count, 1);
    expect_line(&r, 0, "RTT_API_TOKEN: required, not set");

    setenv("RTT_API_TOKEN", "0123456789abcdef", 1);
    assert_int_equal(rt_config_load(svc_vars, COUNT(svc_vars), &c, path, &r), RT_OK);
    assert_int_equal(r.count, 0);
    assert_string_equal(c.pghost, "localhost");
    assert_int_equal(c.pgport, 5432);
    assert_int_equal(c.mode, 0);
    assert_int_equal(c.rsi_window, 14);
    assert_true(c.bb_std == 2.0);
    assert_int_equal(c.quantity, 17000);
    assert_true(c.paper_fills);
    assert_int_equal(c.symbols.count, 2);
    assert_string_equal(c.symbols.items[1], "ETHUSDC");
    assert_string_equal(c.exchange_url, "");
    assert_string_equal(c.api_token, "0123456789abcdef");
    assert_string_equal(c.secret_key, "");
    clear_svc_env();
}

static void test_every_bad_variable_at_once(void **state)
{
    (void)state;
    clear_svc_env();
    setenv("RTT_PGPORT", "abc", 1);
    setenv("RTT_TRADING_MODE", "paper", 1);
    setenv("RTT_RSI_WINDOW", "1", 1);
    setenv("RTT_SYMBOLS", "BTCUSDC,eth/usdc", 1);
    setenv("RTT_SECRET_KEY", "\x01topsecret", 1);
    setenv("RTT_PGHOST", "db", 1); /* a good one among them */
    svc_config_t c;
    memset(&c, 0x5A, sizeof c);
    svc_config_t before = c;
    rt_config_report_t r;
    assert_int_equal(rt_config_load(svc_vars, COUNT(svc_vars), &c, "/nonexistent/.env", &r),
                     RT_EINVAL);
    assert_int_equal(r.count, 6);
    expect_line(&r, 0, "RTT_PGPORT=\"abc\": must be an integer from 1 to 65535");
    expect_line(&r, 1, "RTT_TRADING_MODE=\"paper\": must be one of demo, live");
    expect_line(&r, 2, "RTT_RSI_WINDOW=\"1\": must be an integer from 2 to 500");
    expect_line(&r, 3,
                "RTT_SYMBOLS=\"BTCUSDC,eth/usdc\": item \"eth/usdc\" must be a symbol: 1 "
                "to 20 letters or digits");
    expect_line(&r, 4, "RTT_API_TOKEN: required, not set");
    expect_line(&r, 5, "RTT_SECRET_KEY=***: must be UTF-8 text without control characters");
    /* nothing stored, not even the good value */
    assert_memory_equal(&c, &before, sizeof c);

    char text[4096];
    assert_int_equal(rt_config_report_format(&r, text, sizeof text), RT_OK);
    assert_non_null(strstr(text, "config: 6 invalid variables:\n  RTT_PGPORT=\"abc\": "));
    assert_null(strstr(text, "topsecret"));
    assert_int_equal(rt_config_report_format(&r, text, 40), RT_ETOOBIG);
    clear_svc_env();
}

/* ---- .env syntax ---- */

static void test_env_syntax(void **state)
{
    (void)state;
    static const char file[] = "# a full-line comment\n"
                               "   # an indented comment\n"
                               "\n"
                               "PLAIN=value\n"
                               "SPACED = spaced value   \n"
                               "export EXPORTED=yes\n"
                               "export\tTABBED=tab\n"
                               "TRAIL=abc # a comment\n"
                               "TRAIL_TAB=abc\t# a comment\n"
                               "HASH=abc#not-a-comment\n"
                               "LEAD_HASH=#x\n"
                               "ONLY_COMMENT= # nothing\n"
                               "SQ='single # kept \\n raw \"x\"'\n"
                               "SQ_COMMENT='v' # comment\n"
                               "DQ=\"double \\\"q\\\" \\\\ back\\nnl\\ttab\"\n"
                               "DQ_COMMENT=\"x y\"   # comment\n"
                               "DQ_HASH=\"a # b\"\n"
                               "EMPTY=\n"
                               "EMPTY_Q=\"\"\n"
                               "LATE=first\n"
                               "LATE=second\n"
                               "UNSET_LATER=x\n"
                               "UNSET_LATER=\n"
                               "CRLF=crlf\r\n"
                               "lower_case=ok\n"
                               "EQUALS=a=b=c\n"
                               "UTF8=caf\xc3\xa9\n"
                               "NO_NEWLINE=last";
    static const struct {
        const char *name;
        const char *want; /* NULL: not set */
    } cases[] = {
        {"PLAIN", "value"},
        {"SPACED", "spaced value"},
        {"EXPORTED", "yes"},
        {"TABBED", "tab"},
        {"TRAIL", "abc"},
        {"TRAIL_TAB", "abc"},
        {"HASH", "abc#not-a-comment"},
        {"LEAD_HASH", "#x"},
        {"ONLY_COMMENT", NULL},
        {"SQ", "single # kept \\n raw \"x\""},
        {"SQ_COMMENT", "v"},
        {"DQ", "double \"q\" \\ back\nnl\ttab"},
        {"DQ_COMMENT", "x y"},
        {"DQ_HASH", "a # b"},
        {"EMPTY", NULL},
        {"EMPTY_Q", NULL},
        {"LATE", "second"},
        {"UNSET_LATER", NULL},
        {"CRLF", "crlf"},
        {"lower_case", "ok"},
        {"EQUALS", "a=b=c"},
        {"UTF8", "caf\xc3\xa9"},
        {"NO_NEWLINE", "last"},
        {"NOT_THERE", NULL},
        {"export", NULL},
    };
    char path[128];
    write_env(path, sizeof path, "syntax.env", file);
    rt_config_t *cfg = NULL;
    rt_config_report_t r;
    int rc = rt_config_new(path, &cfg, &r);
    if (rc != RT_OK)
        fail_msg("rt_config_new: %d, first problem: %s", rc, r.count ? r.line[0] : "");
    for (size_t i = 0; i < COUNT(cases); i++) {
        unsetenv(cases[i].name);
        const char *got = NULL;
        rc = rt_config_get(cfg, cases[i].name, &got);
        if (cases[i].want == NULL) {
            if (rc != RT_ENOTFOUND)
                fail_msg("%s: rc %d (\"%s\"), want RT_ENOTFOUND", cases[i].name, rc,
                         got ? got : "");
        } else if (rc != RT_OK || strcmp(got, cases[i].want) != 0) {
            fail_msg("%s: rc %d, got \"%s\", want \"%s\"", cases[i].name, rc, got ? got : "",
                     cases[i].want);
        }
    }
    /* the file never touches the process environment */
    assert_null(getenv("PLAIN"));
    rt_config_free(cfg);
    rt_config_free(NULL);
}

static void test_env_malformed_lines(void **state)
{
    (void)state;
    static const char file[] = "GOOD=1\n"             /* 1 */
                               "no equals here\n"     /* 2 */
                               "=value\n"             /* 3 */
                               "BAD=\"unterminated\n" /* 4 */
                               "SQ='open\n"           /* 5 */
                               "ESC=\"a\\qb\"\n"      /* 6 */
                               "AFTER=\"x\" y\n"      /* 7 */
                               "9KEY=1\n"             /* 8 */
                               "PASSWORD=\"hunter2\n" /* 9 */
                               "   # fine\n"          /* 10 */
                               "KEY-DASH=1\n"         /* 11 */
                               "TRAILING=\"a\\\n"     /* 12 */
                               "ALSO_GOOD=2\n";       /* 13 */
    char path[128];
    write_env(path, sizeof path, "bad.env", file);
    char want[RT_CONFIG_REPORT_LINES][RT_CONFIG_LINE_CAP];
    const struct {
        int line;
        const char *msg;
    } cases[] = {
        {2, "no: expected '=' after the name"},
        {3, "expected NAME=VALUE"},
        {4, "BAD: unterminated double quote (values are one line)"},
        {5, "SQ: unterminated single quote (values are one line)"},
        {6, "ESC: unknown escape in double quotes (allowed: \\\" \\\\ \\n \\r \\t)"},
        {7, "AFTER: unexpected text after the closing quote"},
        {8, "expected NAME=VALUE"},
        {9, "PASSWORD: unterminated double quote (values are one line)"},
        {11, "KEY: expected '=' after the name"},
        {12, "TRAILING: unterminated double quote (values are one line)"},
    };
    rt_config_t *cfg = NULL;
    rt_config_report_t r;
    assert_int_equal(rt_config_new(path, &cfg, &r), RT_EINVAL);
    assert_null(cfg); /* written only on success */
    assert_int_equal(r.count, COUNT(cases));
    for (size_t i = 0; i < COUNT(cases); i++) {
        snprintf(want[i], sizeof want[i], "%s:%d: %s", path, cases[i].line, cases[i].msg);
        expect_line(&r, i, want[i]);
    }
    char text[8192];
    assert_int_equal(rt_config_report_format(&r, text, sizeof text), RT_OK);
    assert_null(strstr(text, "hunter2"));

    /* rt_config_load reports the file's lines and the variables together */
    static const rt_config_var_t vars[] = {
        {"RTT_MISSING", RT_CONFIG_STRING, NULL, "required", .offset = 0, .size = 8},
    };
    char storage[8];
    unsetenv("RTT_MISSING");
    assert_int_equal(rt_config_load(vars, 1, storage, path, &r), RT_EINVAL);
    assert_int_equal(r.count, COUNT(cases) + 1);
    expect_line(&r, COUNT(cases), "RTT_MISSING: required, not set");
}

/* rt_config_parse: the same parser over text in memory (not NUL-terminated), reports named
 * by the label, nothing written on error. */
static void test_parse_from_memory(void **state)
{
    (void)state;
    static const char text[] = "RTT_MEM_A=1\r\nexport RTT_MEM_B = \"x\\ty\" # note\nRTT_MEM_C='q'XX";
    rt_config_t *cfg = NULL;
    rt_config_report_t r;
    unsetenv("RTT_MEM_A");
    unsetenv("RTT_MEM_B");
    unsetenv("RTT_MEM_C");
    /* the last two bytes "XX" are outside len: the text need not end with a NUL */
    assert_int_equal(rt_config_parse(text, sizeof text - 3, NULL, &cfg, &r), RT_OK);
    assert_int_equal(r.count, 0);
    const char *v = NULL;
    assert_int_equal(rt_config_get(cfg, "RTT_MEM_A", &v), RT_OK);
    assert_string_equal(v, "1");
    assert_int_equal(rt_config_get(cfg, "RTT_MEM_B", &v), RT_OK);
    assert_string_equal(v, "x\ty");
    assert_int_equal(rt_config_get(cfg, "RTT_MEM_C", &v), RT_OK);
    assert_string_equal(v, "q");
    rt_config_free(cfg);

    /* empty text: an empty handle */
    cfg = NULL;
    assert_int_equal(rt_config_parse(NULL, 0, "empty", &cfg, &r), RT_OK);
    assert_non_null(cfg);
    assert_int_equal(rt_config_get(cfg, "RTT_MEM_A", &v), RT_ENOTFOUND);
    rt_config_free(cfg);

    /* malformed lines: named by the label, *out untouched */
    rt_config_t *const sentinel = (rt_config_t *)&r;
    cfg = sentinel;
    static const char bad[] = "OK=1\nBAD=\"open\n=x\n";
    assert_int_equal(rt_config_parse(bad, sizeof bad - 1, "mem.env", &cfg, &r), RT_EINVAL);
    assert_ptr_equal(cfg, sentinel);
    assert_int_equal(r.count, 2);
    expect_line(&r, 0, "mem.env:2: BAD: unterminated double quote (values are one line)");
    expect_line(&r, 1, "mem.env:3: expected NAME=VALUE");
    /* a NUL inside the text is a malformed line, not the end of the text */
    static const char nul[] = "A=1\nB=2\0x\n";
    assert_int_equal(rt_config_parse(nul, sizeof nul - 1, "nul", &cfg, &r), RT_EINVAL);
    expect_line(&r, 0, "nul:2: contains a NUL byte");

    /* bad arguments */
    assert_int_equal(rt_config_parse(NULL, 1, NULL, &cfg, &r), RT_EINVAL);
    assert_int_equal(rt_config_parse(text, 1, NULL, NULL, &r), RT_EINVAL);
    assert_ptr_equal(cfg, sentinel);
}

static void test_env_unreadable_and_missing(void **state)
{
    (void)state;
    rt_config_t *cfg = NULL;
    rt_config_report_t r;
    /* a directory cannot be read as a file */
    assert_int_equal(rt_config_new(g_dir, &cfg, &r), RT_EINVAL);
    assert_int_equal(r.count, 1);
    char want[256];
    snprintf(want, sizeof want, "%s: cannot read: Is a directory", g_dir);
    expect_line(&r, 0, want);
    /* a missing file is an empty one */
    char path[128];
    snprintf(path, sizeof path, "%s/missing.env", g_dir);
    assert_int_equal(rt_config_new(path, &cfg, &r), RT_OK);
    const char *v;
    assert_int_equal(rt_config_get(cfg, "RTT_ANYTHING", &v), RT_ENOTFOUND);
    rt_config_free(cfg);
    /* a file with a NUL byte */
    snprintf(path, sizeof path, "%s/nul.env", g_dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("A=1\nB=x\0y\n", 1, 10, f);
    fclose(f);
    assert_int_equal(rt_config_new(path, &cfg, &r), RT_EINVAL);
    snprintf(want, sizeof want, "%s:2: contains a NUL byte", path);
    expect_line(&r, 0, want);
    assert_int_equal(rt_config_get(NULL, NULL, &v), RT_EINVAL);
}

static void test_priority(void **state)
{
    (void)state;
    char path[128];
    write_env(path, sizeof path, "prio.env", "RTT_A=file\nRTT_B=file\nRTT_D=\nRTT_E=file\n");
    static const rt_config_var_t vars[] = {
        {"RTT_A", RT_CONFIG_STRING, "default", "", .offset = 0, .size = 16},
        {"RTT_B", RT_CONFIG_STRING, "default", "", .offset = 16, .size = 16},
        {"RTT_C", RT_CONFIG_STRING, "default", "", .offset = 32, .size = 16},
        {"RTT_D", RT_CONFIG_STRING, "default", "", .offset = 48, .size = 16},
        {"RTT_E", RT_CONFIG_STRING, "default", "", .offset = 64, .size = 16},
    };
    static const struct {
        const char *name;
        const char *env; /* NULL: unset */
        const char *want;
    } cases[] = {
        {"RTT_A", "env", "env"},    /* env beats file */
        {"RTT_B", NULL, "file"},    /* file beats default */
        {"RTT_C", NULL, "default"}, /* neither: default */
        {"RTT_D", NULL, "default"}, /* empty in the file: not set */
        {"RTT_E", "", "file"},      /* empty in the env: not set */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        if (cases[i].env)
            setenv(cases[i].name, cases[i].env, 1);
        else
            unsetenv(cases[i].name);
    }
    char base[80];
    rt_config_report_t r;
    assert_int_equal(rt_config_load(vars, COUNT(vars), base, path, &r), RT_OK);
    for (size_t i = 0; i < COUNT(cases); i++) {
        const char *got = base + 16 * i;
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].name, got, cases[i].want);
        unsetenv(cases[i].name);
    }
    /* the same priority for ad-hoc lookups; a NULL handle reads the environment only */
    rt_config_t *cfg = NULL;
    assert_int_equal(rt_config_new(path, &cfg, NULL), RT_OK);
    setenv("RTT_A", "env", 1);
    const char *v;
    assert_int_equal(rt_config_get(cfg, "RTT_A", &v), RT_OK);
    assert_string_equal(v, "env");
    assert_int_equal(rt_config_get(cfg, "RTT_B", &v), RT_OK);
    assert_string_equal(v, "file");
    assert_int_equal(rt_config_get(NULL, "RTT_B", &v), RT_ENOTFOUND);
    /* rt_config_fill on a handle, for tables built at run time (e.g. strategy parameters) */
    double window = 0;
    rt_config_var_t row = {"RTT_B", RT_CONFIG_DOUBLE, "3", "", RT_CONFIG_PTR(window)};
    assert_int_equal(rt_config_fill(cfg, &row, 1, NULL, &r), RT_EINVAL);
    expect_line(&r, 0, "RTT_B=\"file\": must be a number");
    row.name = "RTT_C";
    assert_int_equal(rt_config_fill(cfg, &row, 1, NULL, &r), RT_OK);
    assert_true(window == 3.0);
    unsetenv("RTT_A");
    rt_config_free(cfg);
}

/* Random files made of the characters the parser cares about: every one is either parsed or
 * reported, never read out of bounds (the sanitizer build checks that). */
static void test_env_random_input(void **state)
{
    (void)state;
    static const char alphabet[] = "AB_9=\"'\\# \t\r\nnxe";
    static const char *const words[] = {"export ", "KEY=", "\"", "'", "\\", " #", "\n", "\r\n"};
    uint32_t seed = 12345; /* fixed: the same files every run */
    char path[128];
    snprintf(path, sizeof path, "%s/random.env", g_dir);
    for (int round = 0; round < 3000; round++) {
        char content[96];
        size_t len = 0;
        while (len < sizeof content - 8) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 16;
            if (r % 4 == 0) {
                const char *w = words[(r / 4) % COUNT(words)];
                memcpy(content + len, w, strlen(w));
                len += strlen(w);
            } else {
                content[len++] = alphabet[(r / 4) % (sizeof alphabet - 1)];
            }
            if (r % 23 == 0)
                break;
        }
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(content, 1, len, f), len);
        assert_int_equal(fclose(f), 0);
        rt_config_t *cfg = NULL;
        rt_config_report_t r;
        int rc = rt_config_new(path, &cfg, &r);
        if (rc == RT_OK) {
            const char *v;
            rt_config_get(cfg, "KEY", &v);
            rt_config_free(cfg);
        } else if (rc != RT_EINVAL || r.count == 0) {
            fail_msg("round %d: rc %d with %zu problems", round, rc, r.count);
        }
    }
}

/* ---- the table itself ---- */

static void test_table_errors(void **state)
{
    (void)state;
    typedef struct {
        int64_t i;
        int small;
        char s[8];
        int e;
    } t_config_t;
    static const rt_config_var_t vars[] = {
        {"RTT_I", RT_CONFIG_INT, "1", "", RT_CONFIG_AT(t_config_t, small)},
        {"rtt_lower", RT_CONFIG_INT, "1", "", RT_CONFIG_AT(t_config_t, i)},
        {"RTT_E", RT_CONFIG_ENUM, "a", "", RT_CONFIG_AT(t_config_t, e)},
        {"RTT_S", RT_CONFIG_STRING, "x", "", RT_CONFIG_AT(t_config_t, s)},
        {"RTT_S", RT_CONFIG_STRING, "x", "", RT_CONFIG_AT(t_config_t, s)},
        {"RTT_DEF", RT_CONFIG_INT, "ten", "", RT_CONFIG_AT(t_config_t, i)},
        {"RTT_RANGE", RT_CONFIG_INT, "1", "", RT_CONFIG_AT(t_config_t, i), .min = 5},
        {"RTT_LONG", RT_CONFIG_STRING, "too long for it", "", RT_CONFIG_AT(t_config_t, s)},
    };
    for (size_t i = 0; i < COUNT(vars); i++)
        unsetenv(vars[i].name);
    t_config_t c;
    rt_config_report_t r;
    assert_int_equal(rt_config_fill(NULL, vars, COUNT(vars), &c, &r), RT_EINVAL);
    assert_int_equal(r.count, 7);
    expect_line(&r, 0, "RTT_I: table error: storage is 4 bytes, the type needs 8");
    expect_line(&r, 1, "row 2 (rtt_lower): table error: name must be [A-Z_][A-Z0-9_]*");
    expect_line(&r, 2, "RTT_E: table error: an enum needs choices");
    expect_line(&r, 3, "RTT_S: table error: listed twice");
    expect_line(&r, 4, "RTT_DEF=\"ten\" (default): must be an integer");
    expect_line(&r, 5, "RTT_RANGE: table error: min is above max (set both, or neither)");
    expect_line(&r, 6, "RTT_LONG=\"too long for it\" (default): must be text of at most 7 bytes");
    /* no storage at all */
    rt_config_var_t nowhere = {"RTT_X", RT_CONFIG_INT, "1", "", .size = sizeof(int64_t)};
    assert_int_equal(rt_config_fill(NULL, &nowhere, 1, NULL, &r), RT_EINVAL);
    expect_line(&r, 0, "RTT_X: table error: no storage (base is NULL and the row has no ptr)");
}

static void test_report_overflow(void **state)
{
    (void)state;
    enum { N = RT_CONFIG_REPORT_LINES + 8 };
    char names[N][16];
    rt_config_var_t vars[N];
    int64_t values[N];
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "RTT_R%02zu", i);
        unsetenv(names[i]);
        vars[i] = (rt_config_var_t){names[i], RT_CONFIG_INT, NULL, "", RT_CONFIG_PTR(values[i])};
    }
    rt_config_report_t r;
    assert_int_equal(rt_config_fill(NULL, vars, N, NULL, &r), RT_EINVAL);
    assert_int_equal(r.count, N);
    expect_line(&r, RT_CONFIG_REPORT_LINES - 1, "RTT_R31: required, not set");
    char text[16384];
    assert_int_equal(rt_config_report_format(&r, text, sizeof text), RT_OK);
    assert_non_null(strstr(text, "config: 40 invalid variables:\n  RTT_R00: required, not set\n"));
    assert_non_null(strstr(text, "  RTT_R31: required, not set\n  ... and 8 more\n"));
}

/* ---- logging and exiting ---- */

static void log_svc(const void *arg)
{
    rt_config_log(svc_vars, COUNT(svc_vars), arg);
}

static void test_log_masks_secrets(void **state)
{
    (void)state;
    clear_svc_env();
    setenv("RTT_API_TOKEN", "tok-0123456789abcdef", 1);
    setenv("RTT_PGHOST", "db \"main\"", 1);
    setenv("RTT_SYMBOLS", "btcusdc,ETHUSDC,solusdc", 1);
    setenv("RTT_TRADING_MODE", "LIVE", 1);
    svc_config_t c;
    rt_config_report_t r;
    assert_int_equal(rt_config_load(svc_vars, COUNT(svc_vars), &c, "/nonexistent", &r), RT_OK);
    rt_log_init("unittest", RT_LOG_INFO);
    char out[8192];
    capture_stderr(log_svc, &c, out, sizeof out);
    static const char *const want[] = {
        " config: RTT_PGHOST=\"db \\\"main\\\"\"\n",
        " config: RTT_PGPORT=5432\n",
        " config: RTT_TRADING_MODE=live\n",
        " config: RTT_RSI_WINDOW=14\n",
        " config: RTT_BB_STD=2\n",
        " config: RTT_TRADE_QUANTITY=0.00017\n",
        " config: RTT_PAPER=true\n",
        " config: RTT_SYMBOLS=\"BTCUSDC,ETHUSDC,SOLUSDC\"\n",
        " config: RTT_EXCHANGE_URL=\"\"\n",
        " config: RTT_API_TOKEN=***\n",
        " config: RTT_SECRET_KEY=(not set)\n",
    };
    for (size_t i = 0; i < COUNT(want); i++) {
        if (strstr(out, want[i]) == NULL)
            fail_msg("log lacks \"%s\"; it was:\n%s", want[i], out);
    }
    assert_null(strstr(out, "tok-0123456789abcdef"));
    assert_non_null(strstr(out, " INFO  unittest config: "));
    clear_svc_env();
}

static void test_load_or_exit(void **state)
{
    (void)state;
    clear_svc_env();
    setenv("RTT_PGPORT", "abc", 1);
    setenv("RTT_TRADING_MODE", "paper", 1);
    setenv("RTT_API_TOKEN", "short-secret", 1);
    char errpath[256];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", g_dir);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        FILE *f = freopen(errpath, "w", stderr);
        if (f == NULL)
            _exit(99);
        svc_config_t c;
        rt_config_load_or_exit(svc_vars, COUNT(svc_vars), &c, "/nonexistent");
        _exit(0); /* not reached */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 2);
    char *text = NULL;
    FILE *f = fopen(errpath, "rb");
    assert_non_null(f);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    text = buf;
    assert_string_equal(text, "config: 3 invalid variables:\n"
                              "  RTT_PGPORT=\"abc\": must be an integer from 1 to 65535\n"
                              "  RTT_TRADING_MODE=\"paper\": must be one of demo, live\n"
                              "  RTT_API_TOKEN=***: must be text of 16 to 63 bytes\n");

    /* and returns when all is well */
    clear_svc_env();
    setenv("RTT_API_TOKEN", "0123456789abcdef", 1);
    svc_config_t c;
    rt_config_load_or_exit(svc_vars, COUNT(svc_vars), &c, "/nonexistent");
    assert_int_equal(c.pgport, 5432);
    clear_svc_env();
}

/* A renamed variable set under its old name (environment or .env) is refused with a line that
 * names the new one; unset or empty, or with a table that lacks the new name, it is not. */
static void test_renamed_refused(void **state)
{
    (void)state;
    typedef struct {
        char bind[64];
    } gw_t;
    static const rt_config_var_t gw_vars[] = {
        {"GATEWAY_BIND", RT_CONFIG_STRING, "127.0.0.1", "bind address", RT_CONFIG_AT(gw_t, bind)},
    };
    static const rt_config_var_t other_vars[] = {
        {"RTT_OTHER", RT_CONFIG_STRING, "x", "unrelated", RT_CONFIG_AT(gw_t, bind)},
    };
    static const char *const refused = "GATEWAY_HOST: renamed GATEWAY_BIND, the old name is no "
                                       "longer read: set GATEWAY_BIND instead";
    static const struct {
        const char *env_old, *env_new, *dotenv; /* NULL: unset */
        const rt_config_var_t *table;
        int rc;
        const char *line; /* the report's first line, or the stored value when rc is 0 */
    } cases[] = {
        {NULL, NULL, NULL, gw_vars, RT_OK, "127.0.0.1"},
        {NULL, "0.0.0.0", NULL, gw_vars, RT_OK, "0.0.0.0"},
        {"", NULL, NULL, gw_vars, RT_OK, "127.0.0.1"},                       /* empty = not set */
        {"0.0.0.0", NULL, NULL, gw_vars, RT_EINVAL, refused},                /* environment */
        {NULL, NULL, "GATEWAY_HOST=0.0.0.0\n", gw_vars, RT_EINVAL, refused}, /* .env */
        {"0.0.0.0", "0.0.0.0", NULL, gw_vars, RT_EINVAL, refused}, /* both: still refused */
        {"0.0.0.0", NULL, NULL, other_vars, RT_OK, "x"},           /* not this program's */
    };
    for (size_t i = 0; i < COUNT(cases); i++) {
        unsetenv("GATEWAY_HOST");
        unsetenv("GATEWAY_BIND");
        if (cases[i].env_old)
            setenv("GATEWAY_HOST", cases[i].env_old, 1);
        if (cases[i].env_new)
            setenv("GATEWAY_BIND", cases[i].env_new, 1);
        const char *text = cases[i].dotenv ? cases[i].dotenv : "";
        rt_config_t *cfg = NULL;
        rt_config_report_t r;
        assert_int_equal(rt_config_parse(text, strlen(text), "t.env", &cfg, &r), RT_OK);
        gw_t g = {"unset"};
        int rc = rt_config_fill(cfg, cases[i].table, 1, &g, &r);
        rt_config_free(cfg);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, expected %d", i, rc, cases[i].rc);
        if (rc == RT_OK) {
            assert_string_equal(g.bind, cases[i].line);
        } else {
            assert_int_equal(r.count, 1);
            expect_line(&r, 0, cases[i].line);
            assert_string_equal(g.bind, "unset"); /* nothing stored */
        }
    }
    unsetenv("GATEWAY_HOST");
    unsetenv("GATEWAY_BIND");
}

static void test_help(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    rt_config_help(svc_vars, COUNT(svc_vars), f);
    fclose(f);
    static const char *const want[] = {
        "RTT_PGPORT=5432\n    PostgreSQL port. An integer from 1 to 65535.\n",
        "RTT_TRADING_MODE=demo\n    demo or live. One of demo, live.\n",
        "RTT_API_TOKEN=  (required)  (secret)\n    bearer token for writes. Text of 16 to 63 "
        "bytes.\n",
        "RTT_SYMBOLS=BTCUSDC,ETHUSDC\n    symbols to follow. A comma-separated list of at most "
        "512 items, each a symbol: 1 to 20 letters or digits.\n",
    };
    for (size_t i = 0; i < COUNT(want); i++) {
        if (strstr(text, want[i]) == NULL)
            fail_msg("help lacks:\n%s\nit was:\n%s", want[i], text);
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_defaults_and_required),
        cmocka_unit_test(test_every_bad_variable_at_once),
        cmocka_unit_test(test_env_syntax),
        cmocka_unit_test(test_env_malformed_lines),
        cmocka_unit_test(test_env_unreadable_and_missing),
        cmocka_unit_test(test_parse_from_memory),
        cmocka_unit_test(test_env_random_input),
        cmocka_unit_test(test_priority),
        cmocka_unit_test(test_table_errors),
        cmocka_unit_test(test_report_overflow),
        cmocka_unit_test(test_renamed_refused),
        cmocka_unit_test(test_log_masks_secrets),
        cmocka_unit_test(test_load_or_exit),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
