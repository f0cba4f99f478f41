/* libFuzzer target for the .env parser and the typed loader (rt/config.h): the input is the
 * text of a .env file, read with rt_config_parse, then loaded into a table with a variable of
 * every type. Built only with clang; see CMakeLists.txt.
 *
 * Properties, for any input: no crash, leak or undefined behaviour; a rejected file leaves
 * *out untouched and reports at least one line; for an accepted file, every value of the
 * names below, written back double-quoted with escapes, reads back the same; the loader
 * either stores every value within its declared range or stores nothing, and what it stores
 * is what the text says (integers as strtoll reads the trimmed text, booleans and the enum by
 * their words, URLs with one of the allowed schemes). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rt/config.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/money.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_config: %s (%s)\n", what, detail ? detail : "");
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rt_log_init("fuzz", RT_LOG_ERROR);
    return 0;
}

typedef struct {
    char str[16];
    int64_t i;
    double d;
    rt_money_t m;
    bool b;
    int e;
    rt_config_list_t list;
    char url[64];
    int port;
    char sym[24];
} fz_config_t;

static const char *const modes[] = {"demo", "live", NULL};

static const rt_config_var_t vars[] = {
    {"FZ_STR", RT_CONFIG_STRING, "x", "string", RT_CONFIG_AT(fz_config_t, str), .min = 1,
     .max = 12},
    {"FZ_INT", RT_CONFIG_INT, "5", "int", RT_CONFIG_AT(fz_config_t, i), .min = -10, .max = 1000},
    {"FZ_DBL", RT_CONFIG_DOUBLE, "2.5", "double", RT_CONFIG_AT(fz_config_t, d), .min_d = 0.5,
     .max_d = 10.0},
    {"FZ_MONEY", RT_CONFIG_MONEY, "1", "money", RT_CONFIG_AT(fz_config_t, m),
     .min_m = RT_MONEY_UNITS(0), .max_m = RT_MONEY_UNITS(100)},
    {"FZ_BOOL", RT_CONFIG_BOOL, "false", "bool", RT_CONFIG_AT(fz_config_t, b)},
    {"FZ_ENUM", RT_CONFIG_ENUM, "demo", "enum", RT_CONFIG_AT(fz_config_t, e), .choices = modes},
    {"FZ_LIST", RT_CONFIG_LIST, "BTCUSDC", "list", RT_CONFIG_AT(fz_config_t, list), .min = 1,
     .max = 8, .check = &rt_config_check_symbol},
    {"FZ_URL", RT_CONFIG_URL, "http://localhost:1", "url", RT_CONFIG_AT(fz_config_t, url)},
    {"FZ_PORT", RT_CONFIG_PORT, "80", "port", RT_CONFIG_AT(fz_config_t, port)},
    {"FZ_SYM", RT_CONFIG_STRING, "BTCUSDC", "symbol", RT_CONFIG_AT(fz_config_t, sym),
     .check = &rt_config_check_symbol},
};

/* Names whose values are written back: the table's and two short ones the fuzzer finds fast. */
static const char *const names[] = {"A",       "KEY",      "FZ_STR",  "FZ_INT",
                                    "FZ_DBL",  "FZ_MONEY", "FZ_BOOL", "FZ_ENUM",
                                    "FZ_LIST", "FZ_URL",   "FZ_PORT", "FZ_SYM"};
#define N_NAMES (sizeof names / sizeof names[0])

/* Appends NAME="value" with the parser's escapes; returns the new length. */
static size_t put_line(char *buf, size_t len, const char *name, const char *value)
{
    size_t n = strlen(name);
    memcpy(buf + len, name, n);
    len += n;
    buf[len++] = '=';
    buf[len++] = '"';
    for (const char *p = value; *p; p++) {
        char esc = 0;
        switch (*p) {
        case '"':
            esc = '"';
            break;
        case '\\':
            esc = '\\';
            break;
        case '\n':
            esc = 'n';
            break;
        case '\r':
            esc = 'r';
            break;
        case '\t':
            esc = 't';
            break;
        default:
            break;
        }
        if (esc) {
            buf[len++] = '\\';
            buf[len++] = esc;
        } else {
            buf[len++] = *p;
        }
    }
    buf[len++] = '"';
    buf[len++] = '\n';
    return len;
}

/* The value text of name in cfg with spaces, tabs, CR and LF trimmed, into buf; false when
 * not set. */
static bool trimmed(const rt_config_t *cfg, const char *name, char *buf, size_t cap)
{
    const char *v;
    if (rt_config_get(cfg, name, &v) != RT_OK)
        return false;
    size_t n = strlen(v);
    while (n > 0 && strchr(" \t\r\n", v[n - 1]) != NULL)
        n--;
    while (n > 0 && strchr(" \t\r\n", v[0]) != NULL) {
        v++;
        n--;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    return true;
}

static bool word_in(const char *s, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++)
        if (strcasecmp(s, words[i]) == 0)
            return true;
    return false;
}

/* What an accepted fill stored is what the text says. */
static void check_values(const rt_config_t *cfg, const fz_config_t *c)
{
    static const char *const yes[] = {"true", "1", "yes", "on", NULL};
    static const char *const no[] = {"false", "0", "no", "off", NULL};
    char t[300];
    if (trimmed(cfg, "FZ_INT", t, sizeof t)) {
        char *end;
        errno = 0;
        long long x = strtoll(t, &end, 10);
        if (errno != 0 || *end != '\0' || end == t || x != c->i)
            die("FZ_INT stored a value its text does not say", t);
    }
    if (trimmed(cfg, "FZ_PORT", t, sizeof t)) {
        char *end;
        errno = 0;
        long long x = strtoll(t, &end, 10);
        if (errno != 0 || *end != '\0' || end == t || x != c->port)
            die("FZ_PORT stored a value its text does not say", t);
    }
    if (trimmed(cfg, "FZ_BOOL", t, sizeof t) && !(c->b ? word_in(t, yes) : word_in(t, no)))
        die("FZ_BOOL stored a value its text does not say", t);
    if (trimmed(cfg, "FZ_ENUM", t, sizeof t) && strcasecmp(t, modes[c->e]) != 0)
        die("FZ_ENUM stored a value its text does not say", t);
    static const char *const schemes[] = {"http://", "https://", "ws://", "wss://"};
    bool scheme = false;
    for (size_t i = 0; i < 4; i++)
        scheme = scheme || strncasecmp(c->url, schemes[i], strlen(schemes[i])) == 0;
    size_t sn = strcspn(c->url, ":");
    if (!scheme || c->url[sn + 3] == '\0' || c->url[sn + 3] == '/' || c->url[sn + 3] == ':')
        die("FZ_URL stored without an allowed scheme or a host", c->url);
}

static void check_fill(const rt_config_t *cfg)
{
    fz_config_t c, before;
    memset(&c, 0x5a, sizeof c);
    before = c;
    rt_config_report_t r;
    int rc = rt_config_fill(cfg, vars, sizeof vars / sizeof vars[0], &c, &r);
    if (rc != RT_OK) {
        if (rc != RT_EINVAL || r.count == 0)
            die("fill failed without a report", NULL);
        if (memcmp(&c, &before, sizeof c) != 0)
            die("fill failed but stored something", r.line[0]);
        char text[RT_CONFIG_REPORT_LINES * RT_CONFIG_LINE_CAP + 256];
        if (rt_config_report_format(&r, text, sizeof text) != RT_OK)
            die("report does not format", NULL);
        return;
    }
    size_t sn = strlen(c.str);
    if (sn < 1 || sn > 12)
        die("FZ_STR length outside 1..12", c.str);
    if (c.i < -10 || c.i > 1000)
        die("FZ_INT outside -10..1000", NULL);
    if (!(c.d >= 0.5 && c.d <= 10.0))
        die("FZ_DBL outside 0.5..10", NULL);
    if (c.m < 0 || c.m > RT_MONEY_UNITS(100))
        die("FZ_MONEY outside 0..100", NULL);
    if (c.e < 0 || c.e > 1)
        die("FZ_ENUM outside its choices", NULL);
    if (c.list.count < 1 || c.list.count > 8)
        die("FZ_LIST count outside 1..8", NULL);
    for (size_t i = 0; i < c.list.count; i++) {
        size_t n = strnlen(c.list.items[i], RT_CONFIG_ITEM_CAP);
        if (n < 1 || n > 20)
            die("FZ_LIST item length outside 1..20", NULL);
    }
    if (c.port < 1 || c.port > 65535)
        die("FZ_PORT outside 1..65535", NULL);
    if (memchr(c.url, '\0', sizeof c.url) == NULL || memchr(c.sym, '\0', sizeof c.sym) == NULL)
        die("a string is not terminated", NULL);
    check_values(cfg, &c);
    rt_config_log(vars, sizeof vars / sizeof vars[0], &c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rt_config_t *const sentinel = (rt_config_t *)(uintptr_t)0x1;
    rt_config_t *cfg = sentinel;
    rt_config_report_t r;
    int rc = rt_config_parse((const char *)data, size, "fuzz.env", &cfg, &r);
    if (rc != RT_OK) {
        if (cfg != sentinel)
            die("rejected file wrote *out", NULL);
        if (rc != RT_EINVAL || r.count == 0)
            die("rejected file without a report", NULL);
        for (size_t i = 0; i < r.count && i < RT_CONFIG_REPORT_LINES; i++)
            if (memchr(r.line[i], '\0', RT_CONFIG_LINE_CAP) == NULL)
                die("report line not terminated", NULL);
        return 0;
    }
    /* every value, written back double-quoted, reads back the same */
    const char *vals[N_NAMES];
    size_t cap = 1;
    for (size_t i = 0; i < N_NAMES; i++) {
        if (rt_config_get(cfg, names[i], &vals[i]) != RT_OK)
            vals[i] = NULL;
        else
            cap += strlen(names[i]) + 2 * strlen(vals[i]) + 4;
    }
    char *text = malloc(cap);
    if (text == NULL)
        die("out of memory", NULL);
    size_t len = 0;
    for (size_t i = 0; i < N_NAMES; i++)
        if (vals[i] != NULL)
            len = put_line(text, len, names[i], vals[i]);
    rt_config_t *back = NULL;
    if (rt_config_parse(text, len, "back.env", &back, &r) != RT_OK)
        die("written-back file refused", r.count ? r.line[0] : NULL);
    for (size_t i = 0; i < N_NAMES; i++) {
        const char *v = NULL;
        rc = rt_config_get(back, names[i], &v);
        if ((vals[i] == NULL) != (rc != RT_OK) || (vals[i] != NULL && strcmp(vals[i], v) != 0))
            die("written-back value differs", names[i]);
    }
    rt_config_free(back);
    free(text);

    check_fill(cfg);
    rt_config_free(cfg);
    return 0;
}
