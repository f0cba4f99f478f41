/* Configuration: a .env parser, lookups with env > file > default, and a table-driven loader
 * that checks every row before storing anything and reports every problem at once. */
#include "rt/config.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/log.h"
#include "rt/str.h"

#define ENV_FILE_MAX (1024 * 1024)
#define SHOWN_VALUE_CAP 100 /* bytes of an echoed value in a report line */
#define CHECK_CAP 256       /* bytes a check function sees */

struct entry {
    const char *key;
    const char *value;
};

struct rt_config {
    char *buf;             /* the file's bytes; keys and values are decoded in place */
    struct entry *entries; /* in file order; the last one of a key wins */
    size_t count;
};

/* ---- report ---- */

static void report_clear(rt_config_report_t *r)
{
    r->count = 0;
    r->line[0][0] = '\0';
}

static void report_add(rt_config_report_t *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void report_add(rt_config_report_t *r, const char *fmt, ...)
{
    if (r->count < RT_CONFIG_REPORT_LINES) {
        char *line = r->line[r->count];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, RT_CONFIG_LINE_CAP, fmt, ap);
        va_end(ap);
        if (n < 0)
            snprintf(line, RT_CONFIG_LINE_CAP, "(unformattable message)");
        else if ((size_t)n >= RT_CONFIG_LINE_CAP)
            memcpy(line + RT_CONFIG_LINE_CAP - 4, "...", 4); /* keep the line, mark the cut */
    }
    r->count++;
}

int rt_config_report_format(const rt_config_report_t *report, char *buf, size_t cap)
{
    if (report == NULL || buf == NULL || cap == 0)
        return RT_EINVAL;
    size_t len = 0;
    buf[0] = '\0';
    int n = snprintf(buf, cap, "config: %zu invalid variable%s:\n", report->count,
                     report->count == 1 ? "" : "s");
    if (n < 0 || (size_t)n >= cap)
        return RT_ETOOBIG;
    len = (size_t)n;
    size_t kept = report->count < RT_CONFIG_REPORT_LINES ? report->count : RT_CONFIG_REPORT_LINES;
    for (size_t i = 0; i < kept; i++) {
        n = snprintf(buf + len, cap - len, "  %s\n", report->line[i]);
        if (n < 0 || (size_t)n >= cap - len)
            return RT_ETOOBIG;
        len += (size_t)n;
    }
    if (report->count > kept) {
        n = snprintf(buf + len, cap - len, "  ... and %zu more\n", report->count - kept);
        if (n < 0 || (size_t)n >= cap - len)
            return RT_ETOOBIG;
    }
    return RT_OK;
}

/* ---- .env parsing ---- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_key_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
    return is_key_start(c) || (c >= '0' && c <= '9');
}

/* Parses one line [p, e) in place. Returns NULL and the key/value (both NULL for a blank or
 * comment line), or what is wrong, with *key and *key_n the (unterminated) key when one was
 * read, so the message can name it; never the value, which may be a secret. */
static const char *parse_line(char *p, char *e, char **key, char **value, size_t *key_n)
{
    *key = *value = NULL;
    *key_n = 0;
    if (e <= p)
        return NULL; /* an empty line */
    if (memchr(p, '\0', (size_t)(e - p)) != NULL)
        return "contains a NUL byte";
    while (p < e && is_blank(*p))
        p++;
    if (p == e || *p == '#')
        return NULL;
    if (e - p > 7 && memcmp(p, "export", 6) == 0 && is_blank(p[6])) {
        p += 7;
        while (p < e && is_blank(*p))
            p++;
    }
    char *k = p;
    if (p == e || !is_key_start(*p))
        return "expected NAME=VALUE";
    while (p < e && is_key_char(*p))
        p++;
    char *k_end = p;
    *key = k;
    *key_n = (size_t)(k_end - k);
    while (p < e && is_blank(*p))
        p++;
    if (p == e || *p != '=')
        return "expected '=' after the name";
    p++;
    while (p < e && is_blank(*p))
        p++;

    char *v = p, *v_end;
    if (p < e && *p == '\'') {
        v = p + 1;
        v_end = memchr(v, '\'', (size_t)(e - v));
        if (v_end == NULL)
            return "unterminated single quote (values are one line)";
        p = v_end + 1;
    } else if (p < e && *p == '"') {
        v = p + 1;
        char *w = v; /* decoded bytes are written behind the reader: never overtakes */
        p = v;
        for (;;) {
            if (p == e)
                return "unterminated double quote (values are one line)";
            if (*p == '"')
                break;
            if (*p == '\\') {
                if (p + 1 == e)
                    return "unterminated double quote (values are one line)";
                switch (p[1]) {
                case '"':
                    *w++ = '"';
                    break;
                case '\\':
                    *w++ = '\\';
                    break;
                case 'n':
                    *w++ = '\n';
                    break;
                case 'r':
                    *w++ = '\r';
                    break;
                case 't':
                    *w++ = '\t';
                    break;
                default:
                    return "unknown escape in double quotes (allowed: \\\" \\\\ \\n \\r \\t)";
                }
                p += 2;
                continue;
            }
            *w++ = *p++;
        }
        v_end = w;
        p++; /* past the closing quote */
    } else {
        /* Unquoted: up to a '#' that follows a blank (a comment), without trailing blanks. */
        v_end = e;
        for (char *c = p; c < e; c++) {
            if (*c == '#' && is_blank(c[-1])) {
                v_end = c;
                break;
            }
        }
        while (v_end > v && is_blank(v_end[-1]))
            v_end--;
        p = e;
    }
    while (p < e && is_blank(*p))
        p++;
    if (p < e && *p != '#')
        return "unexpected text after the closing quote";
    *k_end = '\0';
    *v_end = '\0';
    *value = v;
    return NULL;
}

static int read_file(const char *path, char **out, size_t *len_out, rt_config_report_t *r)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT)
            return RT_ENOTFOUND;
        char why[128];
        if (strerror_r(errno, why, sizeof why) != 0)
            snprintf(why, sizeof why, "error %d", errno);
        report_add(r, "%s: cannot open: %s", path, why);
        return RT_EINVAL;
    }
    int rc = RT_OK;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    if (buf == NULL) {
        rc = RT_ENOMEM;
        goto out;
    }
    for (;;) {
        if (len == cap) {
            if (cap > ENV_FILE_MAX) {
                report_add(r, "%s: larger than 1 MiB", path);
                rc = RT_EINVAL;
                goto out;
            }
            char *bigger = realloc(buf, 2 * cap + 1);
            if (bigger == NULL) {
                rc = RT_ENOMEM;
                goto out;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        char why[128];
        if (strerror_r(errno, why, sizeof why) != 0)
            snprintf(why, sizeof why, "error %d", errno);
        report_add(r, "%s: cannot read: %s", path, why);
        rc = RT_EINVAL;
        goto out;
    }
    if (len > ENV_FILE_MAX) {
        report_add(r, "%s: larger than 1 MiB", path);
        rc = RT_EINVAL;
        goto out;
    }
    buf[len] = '\0';
    *out = buf;
    *len_out = len;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return rc;
}

/* Splits c->buf (len bytes, NUL-terminated, may be NULL when len is 0) into entries, adding
 * every malformed line to r as name:line. Returns 0 or RT_ENOMEM. */
static int parse_buffer(rt_config_t *c, size_t len, const char *name, rt_config_report_t *r)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += c->buf[i] == '\n';
    c->entries = calloc(lines, sizeof *c->entries);
    if (c->entries == NULL)
        return RT_ENOMEM;
    char *p = c->buf, *end = c->buf ? c->buf + len : NULL; /* no buffer: no lines */
    for (size_t lineno = 1; p != NULL && p < end; lineno++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *e = nl ? nl : end;
        char *next = nl ? nl + 1 : end;
        if (e > p && e[-1] == '\r')
            e--;
        char *key, *value;
        size_t key_n;
        const char *err = parse_line(p, e, &key, &value, &key_n);
        if (err != NULL && key_n > 0)
            report_add(r, "%s:%zu: %.*s: %s", name, lineno, (int)key_n, key, err);
        else if (err != NULL)
            report_add(r, "%s:%zu: %s", name, lineno, err);
        else if (key != NULL)
            c->entries[c->count++] = (struct entry){key, value};
        p = next;
    }
    return RT_OK;
}

/* Builds a handle from the file at path, adding every problem of the file to r. Returns 0 (a
 * handle, maybe with problems reported) or RT_ENOMEM. */
static int config_open(const char *path, rt_config_t **out, rt_config_report_t *r)
{
    if (path == NULL)
        path = ".env";
    rt_config_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return RT_ENOMEM;
    size_t len = 0;
    int rc = read_file(path, &c->buf, &len, r);
    if (rc == RT_ENOTFOUND || rc == RT_EINVAL) {
        len = 0; /* missing: an empty file; unreadable: reported, read as empty */
        rc = RT_OK;
    }
    if (rc != RT_OK)
        goto out;
    rc = parse_buffer(c, len, path, r);
    if (rc != RT_OK)
        goto out;
    *out = c;
    c = NULL;
out:
    rt_config_free(c);
    return rc;
}

int rt_config_new(const char *path, rt_config_t **out, rt_config_report_t *report)
{
    if (out == NULL)
        return RT_EINVAL;
    rt_config_report_t local;
    rt_config_report_t *r = report ? report : &local;
    report_clear(r);
    rt_config_t *c = NULL;
    int rc = config_open(path, &c, r);
    if (rc != RT_OK)
        return rc;
    if (r->count > 0) {
        rt_config_free(c);
        return RT_EINVAL;
    }
    *out = c;
    return RT_OK;
}

int rt_config_parse(const char *text, size_t len, const char *name, rt_config_t **out,
                    rt_config_report_t *report)
{
    if (out == NULL || (text == NULL && len > 0))
        return RT_EINVAL;
    rt_config_report_t local;
    rt_config_report_t *r = report ? report : &local;
    report_clear(r);
    if (name == NULL)
        name = "(text)";
    if (len > ENV_FILE_MAX) {
        report_add(r, "%s: larger than 1 MiB", name);
        return RT_EINVAL;
    }
    int rc = RT_OK;
    rt_config_t *c = calloc(1, sizeof *c);
    if (c == NULL)
        return RT_ENOMEM;
    c->buf = malloc(len + 1);
    if (c->buf == NULL) {
        rc = RT_ENOMEM;
        goto out;
    }
    if (len > 0)
        memcpy(c->buf, text, len);
    c->buf[len] = '\0';
    rc = parse_buffer(c, len, name, r);
    if (rc != RT_OK)
        goto out;
    if (r->count > 0) {
        rc = RT_EINVAL;
        goto out;
    }
    *out = c;
    c = NULL;
out:
    rt_config_free(c);
    return rc;
}

void rt_config_free(rt_config_t *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->entries);
    free(cfg->buf);
    free(cfg);
}

int rt_config_get(const rt_config_t *cfg, const char *name, const char **out)
{
    if (name == NULL || out == NULL)
        return RT_EINVAL;
    const char *v = getenv(name);
    if (v != NULL && v[0] != '\0') {
        *out = v;
        return RT_OK;
    }
    if (cfg == NULL)
        return RT_ENOTFOUND;
    for (size_t i = cfg->count; i-- > 0;) {
        if (strcmp(cfg->entries[i].key, name) == 0) {
            if (cfg->entries[i].value[0] == '\0')
                return RT_ENOTFOUND;
            *out = cfg->entries[i].value;
            return RT_OK;
        }
    }
    return RT_ENOTFOUND;
}

/* ---- checks ---- */

static bool symbol_fn(char *value)
{
    size_t n = strlen(value);
    if (n < 1 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = value[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    rt_str_upper(value);
    return true;
}

const rt_config_check_t rt_config_check_symbol = {"a symbol: 1 to 20 letters or digits", symbol_fn};

/* ---- describing what a row allows ---- */

static const char *const bool_true[] = {"true", "1", "yes", "on", NULL};
static const char *const bool_false[] = {"false", "0", "no", "off", NULL};
static const char *const default_schemes[] = {"http", "https", "ws", "wss", NULL};

static bool has_range(int64_t lo, int64_t hi)
{
    return !(lo == 0 && hi == 0);
}

/* Appends to buf[cap] at *len (cut silently: descriptions are for people). */
static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    if (*len >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

static void append_choices(char *buf, size_t cap, size_t *len, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        append(buf, cap, len, "%s%s", i ? ", " : "", list[i]);
}

/* Length bounds of a STRING row, in bytes. */
static void string_bounds(const rt_config_var_t *v, size_t *lo, size_t *hi)
{
    *lo = 0;
    *hi = v->size > 0 ? v->size - 1 : 0;
    if (has_range(v->min, v->max)) {
        *lo = v->min > 0 ? (size_t)v->min : 0;
        if (v->max >= 0 && (size_t)v->max < *hi)
            *hi = (size_t)v->max;
    }
}

/* The phrase that follows "must be": "an integer from 1 to 65535". */
static void describe(const rt_config_var_t *v, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    switch (v->type) {
    case RT_CONFIG_STRING: {
        if (v->check) {
            append(buf, cap, &len, "%s", v->check->what);
            break;
        }
        size_t lo, hi;
        string_bounds(v, &lo, &hi);
        if (lo > 0)
            append(buf, cap, &len, "text of %zu to %zu bytes", lo, hi);
        else
            append(buf, cap, &len, "text of at most %zu bytes", hi);
        break;
    }
    case RT_CONFIG_INT:
        if (!has_range(v->min, v->max))
            append(buf, cap, &len, "an integer");
        else if (v->max == INT64_MAX)
            append(buf, cap, &len, "an integer of at least %lld", (long long)v->min);
        else if (v->min == INT64_MIN)
            append(buf, cap, &len, "an integer of at most %lld", (long long)v->max);
        else
            append(buf, cap, &len, "an integer from %lld to %lld", (long long)v->min,
                   (long long)v->max);
        break;
    case RT_CONFIG_PORT:
        append(buf, cap, &len, "an integer from 1 to 65535");
        break;
    case RT_CONFIG_DOUBLE: {
        bool lo = v->min_d > -DBL_MAX, hi = v->max_d < DBL_MAX;
        if (v->min_d == 0 && v->max_d == 0)
            lo = hi = false;
        if (lo && hi)
            append(buf, cap, &len, "a number from %.15g to %.15g", v->min_d, v->max_d);
        else if (lo)
            append(buf, cap, &len, "a number of at least %.15g", v->min_d);
        else if (hi)
            append(buf, cap, &len, "a number of at most %.15g", v->max_d);
        else
            append(buf, cap, &len, "a number");
        break;
    }
    case RT_CONFIG_MONEY: {
        append(buf, cap, &len, "a decimal number");
        if (has_range(v->min_m, v->max_m)) {
            char lo[RT_MONEY_FMT_MAX], hi[RT_MONEY_FMT_MAX];
            rt_money_format(v->min_m, lo, sizeof lo);
            rt_money_format(v->max_m, hi, sizeof hi);
            if (v->max_m == RT_MONEY_MAX)
                append(buf, cap, &len, " of at least %s", lo);
            else
                append(buf, cap, &len, " from %s to %s", lo, hi);
        }
        append(buf, cap, &len, " with at most 8 decimals");
        break;
    }
    case RT_CONFIG_BOOL:
        append(buf, cap, &len, "one of true, false, 1, 0, yes, no, on, off");
        break;
    case RT_CONFIG_ENUM:
        append(buf, cap, &len, "one of ");
        append_choices(buf, cap, &len, v->choices);
        break;
    case RT_CONFIG_LIST:
        append(buf, cap, &len, "a comma-separated list of ");
        if (has_range(v->min, v->max))
            append(buf, cap, &len, "%lld to %lld items", (long long)v->min,
                   (long long)(v->max < RT_CONFIG_LIST_MAX ? v->max : RT_CONFIG_LIST_MAX));
        else
            append(buf, cap, &len, "at most %d items", RT_CONFIG_LIST_MAX);
        if (v->check)
            append(buf, cap, &len, ", each %s", v->check->what);
        break;
    case RT_CONFIG_URL:
        append(buf, cap, &len, "a URL scheme://host[:port][/path] with scheme ");
        append_choices(buf, cap, &len, v->choices ? v->choices : default_schemes);
        break;
    }
}

/* ---- converting one value ---- */

static bool in_list(const char *s, size_t n, const char *const *list, size_t *index)
{
    for (size_t i = 0; list && list[i]; i++) {
        if (strlen(list[i]) == n && memcmp(s, list[i], n) == 0) {
            *index = i;
            return true;
        }
    }
    for (size_t i = 0; list && list[i]; i++) {
        if (rt_str_ieq_n(s, n, list[i])) {
            *index = i;
            return true;
        }
    }
    return false;
}

static bool is_text(const char *s, size_t n)
{
    if (!rt_str_utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

static bool url_valid(const char *s, size_t n, const char *const *schemes)
{
    const char *sep = NULL;
    for (size_t i = 0; i + 2 < n; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            sep = s + i;
            break;
        }
    }
    size_t dummy;
    if (sep == NULL || !in_list(s, (size_t)(sep - s), schemes, &dummy))
        return false;
    const char *p = sep + 3, *end = s + n;
    if (p < end && *p == '[') { /* IPv6 literal */
        const char *q = p + 1;
        while (q < end && *q != ']') {
            if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
                  (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.'))
                return false;
            q++;
        }
        if (q == end || q == p + 1)
            return false;
        p = q + 1;
    } else {
        const char *h = p;
        while (p < end && is_host_char(*p))
            p++;
        if (p == h)
            return false;
    }
    if (p < end && *p == ':') {
        const char *d = ++p;
        long port = 0;
        while (p < end && *p >= '0' && *p <= '9' && port <= 65535)
            port = port * 10 + (*p++ - '0');
        if (p == d || port < 1 || port > 65535)
            return false;
    }
    if (p < end && *p != '/' && *p != '?' && *p != '#')
        return false;
    for (; p < end; p++) {
        if (*p <= 0x20 || *p == 0x7f)
            return false; /* no spaces, no control characters, no raw non-ASCII */
    }
    return true;
}

/* Sets the reason of a failed conversion (cut to cap: it ends up in a report line anyway). */
static void set_why(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    if (n < 0)
        why[0] = '\0';
}

/* Checks text against the row and, when dst is not NULL, stores the value there. Returns true,
 * or false with why (what follows "NAME=value: ") filled in. */
static bool convert_list(const rt_config_var_t *v, const char *text, rt_config_list_t *dst,
                         char *why, size_t cap, char *what)
{
    rt_config_list_t scratch;
    rt_config_list_t *out = dst ? dst : &scratch;
    rt_str_slice_t parts[RT_CONFIG_LIST_MAX];
    size_t count = 0;
    rt_str_slice_t all = rt_str_trim(text, strlen(text));
    if (all.n > 0 && rt_str_split(all.p, all.n, ',', parts, RT_CONFIG_LIST_MAX, &count) != RT_OK) {
        set_why(why, cap, "must be %s", what);
        return false;
    }
    int64_t lo = 0, hi = RT_CONFIG_LIST_MAX;
    if (has_range(v->min, v->max)) {
        lo = v->min;
        hi = v->max < RT_CONFIG_LIST_MAX ? v->max : RT_CONFIG_LIST_MAX;
    }
    if ((int64_t)count < lo || (int64_t)count > hi) {
        set_why(why, cap, "must be %s", what);
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        rt_str_slice_t item = rt_str_trim(parts[i].p, parts[i].n);
        char shown[48];
        rt_str_escape(shown, sizeof shown, item.p, item.n);
        if (item.n == 0) {
            set_why(why, cap, "item %zu is empty", i + 1);
            return false;
        }
        if (rt_str_copy_n(out->items[i], RT_CONFIG_ITEM_CAP, item.p, item.n) != RT_OK) {
            set_why(why, cap, "item \"%s\" is longer than %d bytes", shown, RT_CONFIG_ITEM_CAP - 1);
            return false;
        }
        bool ok = v->check ? v->check->fn(out->items[i]) : is_text(item.p, item.n);
        if (!ok) {
            set_why(why, cap, "item \"%s\" must be %s", shown,
                    v->check ? v->check->what : "text without control characters");
            return false;
        }
        for (size_t k = 0; k < i; k++) {
            if (strcmp(out->items[k], out->items[i]) == 0) {
                set_why(why, cap, "item \"%s\" is repeated", shown);
                return false;
            }
        }
    }
    out->count = count;
    return true;
}

static bool convert(const rt_config_var_t *v, const char *text, void *dst, char *why, size_t cap)
{
    char what[RT_CONFIG_LINE_CAP];
    describe(v, what, sizeof what);
    size_t text_n = strlen(text);
    rt_str_slice_t t = rt_str_trim(text, text_n);
    char num[64]; /* the trimmed text of a number, bool or enum */
    bool have_num = rt_str_copy_n(num, sizeof num, t.p, t.n) == RT_OK;

    switch (v->type) {
    case RT_CONFIG_STRING: {
        if (!is_text(text, text_n)) {
            set_why(why, cap, "must be UTF-8 text without control characters");
            return false;
        }
        size_t lo, hi;
        string_bounds(v, &lo, &hi);
        if (text_n < lo || text_n > hi) {
            set_why(why, cap, "must be %s", what);
            return false;
        }
        if (v->check) {
            char tmp[CHECK_CAP];
            if (rt_str_copy_n(tmp, sizeof tmp, text, text_n) != RT_OK || !v->check->fn(tmp)) {
                set_why(why, cap, "must be %s", what);
                return false;
            }
            if (dst)
                rt_str_copy(dst, v->size, tmp); /* a check never makes it longer */
        } else if (dst) {
            rt_str_copy_n(dst, v->size, text, text_n);
        }
        return true;
    }
    case RT_CONFIG_URL: {
        /* An empty URL (only possible as a default: an empty value counts as not set) means
         * "none"; a value of only blanks is no URL. */
        if (text_n > 0 &&
            (t.n >= v->size || !url_valid(t.p, t.n, v->choices ? v->choices : default_schemes))) {
            if (t.n >= v->size)
                set_why(why, cap, "must be %s, of at most %zu bytes", what, v->size - 1);
            else
                set_why(why, cap, "must be %s", what);
            return false;
        }
        if (dst)
            rt_str_copy_n(dst, v->size, t.p, t.n);
        return true;
    }
    case RT_CONFIG_INT:
    case RT_CONFIG_PORT: {
        int64_t x;
        int64_t lo = INT64_MIN, hi = INT64_MAX;
        if (v->type == RT_CONFIG_PORT) {
            lo = 1;
            hi = 65535;
        } else if (has_range(v->min, v->max)) {
            lo = v->min;
            hi = v->max;
        }
        if (!have_num || rt_str_parse_int64(num, &x) != RT_OK || x < lo || x > hi) {
            set_why(why, cap, "must be %s", what);
            return false;
        }
        if (dst && v->type == RT_CONFIG_PORT) {
            int port = (int)x;
            memcpy(dst, &port, sizeof port);
        } else if (dst) {
            memcpy(dst, &x, sizeof x);
        }
        return true;
    }
    case RT_CONFIG_DOUBLE: {
        double x;
        bool ranged = !(v->min_d == 0 && v->max_d == 0);
        if (!have_num || rt_str_parse_double(num, &x) != RT_OK ||
            (ranged && (x < v->min_d || x > v->max_d))) {
            set_why(why, cap, "must be %s", what);
            return false;
        }
        if (dst)
            memcpy(dst, &x, sizeof x);
        return true;
    }
    case RT_CONFIG_MONEY: {
        rt_money_t x;
        if (!have_num || rt_money_parse(num, &x) != RT_OK ||
            (has_range(v->min_m, v->max_m) && (x < v->min_m || x > v->max_m))) {
            set_why(why, cap, "must be %s", what);
            return false;
        }
        if (dst)
            memcpy(dst, &x, sizeof x);
        return true;
    }
    case RT_CONFIG_BOOL: {
        size_t i;
        bool x;
        if (have_num && in_list(num, t.n, bool_true, &i))
            x = true;
        else if (have_num && in_list(num, t.n, bool_false, &i))
            x = false;
        else {
            set_why(why, cap, "must be %s", what);
            return false;
        }
        if (dst)
            memcpy(dst, &x, sizeof x);
        return true;
    }
    case RT_CONFIG_ENUM: {
        size_t i;
        if (!have_num || !in_list(num, t.n, v->choices, &i)) {
            set_why(why, cap, "must be %s", what);
            return false;
        }
        int x = (int)i;
        if (dst)
            memcpy(dst, &x, sizeof x);
        return true;
    }
    case RT_CONFIG_LIST:
        return convert_list(v, text, dst, why, cap, what);
    }
    set_why(why, cap, "unknown type");
    return false;
}

/* ---- the table ---- */

static bool name_valid(const char *name)
{
    if (name == NULL || !((name[0] >= 'A' && name[0] <= 'Z') || name[0] == '_'))
        return false;
    for (const char *p = name; *p; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    }
    return true;
}

/* Size a row's storage must have, 0 for char arrays (any size > 0). */
static size_t storage_size(rt_config_type_t type)
{
    switch (type) {
    case RT_CONFIG_INT:
        return sizeof(int64_t);
    case RT_CONFIG_DOUBLE:
        return sizeof(double);
    case RT_CONFIG_MONEY:
        return sizeof(rt_money_t);
    case RT_CONFIG_BOOL:
        return sizeof(bool);
    case RT_CONFIG_ENUM:
        return sizeof(int);
    case RT_CONFIG_PORT:
        return sizeof(int);
    case RT_CONFIG_LIST:
        return sizeof(rt_config_list_t);
    case RT_CONFIG_STRING:
    case RT_CONFIG_URL:
        return 0;
    }
    return 0;
}

/* Reports what is wrong with a row itself (a programming mistake); true when it is usable. */
static bool row_valid(const rt_config_var_t *table, size_t i, const void *base,
                      rt_config_report_t *r)
{
    const rt_config_var_t *v = &table[i];
    const char *name = v->name ? v->name : "(null)";
    if (!name_valid(v->name)) {
        report_add(r, "row %zu (%s): table error: name must be [A-Z_][A-Z0-9_]*", i + 1, name);
        return false;
    }
    if ((unsigned)v->type > RT_CONFIG_PORT) {
        report_add(r, "%s: table error: unknown type %d", name, (int)v->type);
        return false;
    }
    if (v->ptr == NULL && base == NULL) {
        report_add(r, "%s: table error: no storage (base is NULL and the row has no ptr)", name);
        return false;
    }
    size_t want = storage_size(v->type);
    if ((want == 0 && v->size == 0) || (want != 0 && v->size != want)) {
        report_add(r, "%s: table error: storage is %zu bytes, the type needs %zu", name, v->size,
                   want ? want : (size_t)1);
        return false;
    }
    if (v->type == RT_CONFIG_ENUM && (v->choices == NULL || v->choices[0] == NULL)) {
        report_add(r, "%s: table error: an enum needs choices", name);
        return false;
    }
    if ((v->min > v->max) || (v->min_d > v->max_d) || (v->min_m > v->max_m)) {
        report_add(r, "%s: table error: min is above max (set both, or neither)", name);
        return false;
    }
    if (v->check && (v->check->fn == NULL || v->check->what == NULL)) {
        report_add(r, "%s: table error: a check needs fn and what", name);
        return false;
    }
    for (size_t k = 0; k < i; k++) {
        if (table[k].name && strcmp(table[k].name, v->name) == 0) {
            report_add(r, "%s: table error: listed twice", name);
            return false;
        }
    }
    return true;
}

static void *storage(const rt_config_var_t *v, void *base)
{
    return v->ptr ? v->ptr : (char *)base + v->offset;
}

/* The text a row gets (NULL when required and not set) and whether it is the default. */
static const char *row_text(const rt_config_t *cfg, const rt_config_var_t *v, bool *is_default)
{
    const char *text;
    *is_default = false;
    if (rt_config_get(cfg, v->name, &text) == RT_OK)
        return text;
    *is_default = true;
    return v->def;
}

/* Variables that were renamed: a row named new_name refuses a setting of old_name, with an
 * error that names the new one. A stale name silently ignored would leave its setting unused
 * (a service bound to 127.0.0.1 in a container, unreachable); a refusal says what to change.
 * docs/CONFIGURATION.md lists them ("Renamed variables"), and ./rt refuses them too. */
static const struct {
    const char *old_name, *new_name;
} renamed[] = {
    {"GATEWAY_HOST", "GATEWAY_BIND"},
    {"ANALYZER_HOST", "ANALYZER_BIND"},
};

static void check_renamed(const rt_config_t *cfg, const rt_config_var_t *v, rt_config_report_t *r)
{
    for (size_t i = 0; i < sizeof renamed / sizeof renamed[0]; i++) {
        const char *text;
        if (strcmp(v->name, renamed[i].new_name) == 0 &&
            rt_config_get(cfg, renamed[i].old_name, &text) == RT_OK)
            report_add(r, "%s: renamed %s, the old name is no longer read: set %s instead",
                       renamed[i].old_name, renamed[i].new_name, renamed[i].new_name);
    }
}

/* Checks every row, adding each problem to r; stores all values only when r holds no problem
 * at all (not even one of the .env file found before). */
static int fill(const rt_config_t *cfg, const rt_config_var_t *table, size_t n, void *base,
                rt_config_report_t *r)
{
    for (size_t i = 0; i < n; i++) {
        const rt_config_var_t *v = &table[i];
        if (!row_valid(table, i, base, r))
            continue;
        check_renamed(cfg, v, r);
        bool is_default;
        const char *text = row_text(cfg, v, &is_default);
        if (text == NULL) {
            report_add(r, "%s: required, not set", v->name);
            continue;
        }
        char why[RT_CONFIG_LINE_CAP];
        if (convert(v, text, NULL, why, sizeof why))
            continue;
        if (v->secret) {
            report_add(r, "%s=***%s: %s", v->name, is_default ? " (default)" : "", why);
        } else {
            char shown[SHOWN_VALUE_CAP];
            rt_str_escape(shown, sizeof shown, text, strlen(text));
            report_add(r, "%s=\"%s\"%s: %s", v->name, shown, is_default ? " (default)" : "", why);
        }
    }
    if (r->count > 0)
        return RT_EINVAL;
    for (size_t i = 0; i < n; i++) {
        bool is_default;
        const char *text = row_text(cfg, &table[i], &is_default);
        char why[RT_CONFIG_LINE_CAP];
        convert(&table[i], text, storage(&table[i], base), why, sizeof why);
    }
    return RT_OK;
}

int rt_config_fill(const rt_config_t *cfg, const rt_config_var_t *table, size_t n, void *base,
                   rt_config_report_t *report)
{
    rt_config_report_t local;
    rt_config_report_t *r = report ? report : &local;
    report_clear(r);
    if (table == NULL && n > 0) {
        report_add(r, "table error: no table");
        return RT_EINVAL;
    }
    return fill(cfg, table, n, base, r);
}

int rt_config_load(const rt_config_var_t *table, size_t n, void *base, const char *path,
                   rt_config_report_t *report)
{
    rt_config_report_t local;
    rt_config_report_t *r = report ? report : &local;
    report_clear(r);
    if (table == NULL && n > 0) {
        report_add(r, "table error: no table");
        return RT_EINVAL;
    }
    rt_config_t *cfg = NULL;
    int rc = config_open(path, &cfg, r);
    if (rc != RT_OK)
        return rc;
    rc = fill(cfg, table, n, base, r); /* reports the variables too, even after file problems */
    rt_config_free(cfg);
    return rc;
}

void rt_config_load_or_exit(const rt_config_var_t *table, size_t n, void *base, const char *path)
{
    rt_config_report_t report;
    int rc = rt_config_load(table, n, base, path, &report);
    if (rc == RT_OK)
        return;
    if (rc != RT_EINVAL) {
        fprintf(stderr, "config: %s\n", rt_strerror(rc));
        exit(2);
    }
    char text[RT_CONFIG_REPORT_LINES * (RT_CONFIG_LINE_CAP + 4) + 64];
    rt_config_report_format(&report, text, sizeof text);
    fputs(text, stderr);
    fflush(stderr);
    exit(2);
}

/* ---- showing the configuration ---- */

static const void *const_storage(const rt_config_var_t *v, const void *base)
{
    return v->ptr ? v->ptr : (const char *)base + v->offset;
}

/* The stored value as text for a log line; secrets show only whether they are set. */
static void format_value(const rt_config_var_t *v, const void *src, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    if (v->secret) {
        bool set = true;
        if (v->type == RT_CONFIG_STRING || v->type == RT_CONFIG_URL)
            set = ((const char *)src)[0] != '\0';
        append(buf, cap, &len, "%s", set ? "***" : "(not set)");
        return;
    }
    switch (v->type) {
    case RT_CONFIG_STRING:
    case RT_CONFIG_URL: {
        char shown[512];
        const char *s = src;
        rt_str_escape(shown, sizeof shown, s, strnlen(s, v->size));
        append(buf, cap, &len, "\"%s\"", shown);
        break;
    }
    case RT_CONFIG_INT: {
        int64_t x;
        memcpy(&x, src, sizeof x);
        append(buf, cap, &len, "%lld", (long long)x);
        break;
    }
    case RT_CONFIG_PORT:
    case RT_CONFIG_ENUM: {
        int x;
        memcpy(&x, src, sizeof x);
        if (v->type == RT_CONFIG_PORT) {
            append(buf, cap, &len, "%d", x);
            break;
        }
        size_t k = 0;
        while (v->choices && v->choices[k] && (int)k != x)
            k++;
        append(buf, cap, &len, "%s", v->choices && v->choices[k] ? v->choices[k] : "?");
        break;
    }
    case RT_CONFIG_DOUBLE: {
        double x;
        memcpy(&x, src, sizeof x);
        append(buf, cap, &len, "%.15g", x);
        break;
    }
    case RT_CONFIG_MONEY: {
        rt_money_t x;
        memcpy(&x, src, sizeof x);
        char m[RT_MONEY_FMT_MAX];
        rt_money_format(x, m, sizeof m);
        append(buf, cap, &len, "%s", m);
        break;
    }
    case RT_CONFIG_BOOL: {
        bool x;
        memcpy(&x, src, sizeof x);
        append(buf, cap, &len, "%s", x ? "true" : "false");
        break;
    }
    case RT_CONFIG_LIST: {
        const rt_config_list_t *l = src;
        append(buf, cap, &len, "\"");
        for (size_t i = 0; i < l->count && i < RT_CONFIG_LIST_MAX; i++) {
            char item[RT_CONFIG_ITEM_CAP * 4];
            rt_str_escape(item, sizeof item, l->items[i], strnlen(l->items[i], RT_CONFIG_ITEM_CAP));
            if (len + strlen(item) + 8 > cap) {
                append(buf, cap, &len, ",...");
                break;
            }
            append(buf, cap, &len, "%s%s", i ? "," : "", item);
        }
        append(buf, cap, &len, "\"");
        break;
    }
    }
}

void rt_config_log(const rt_config_var_t *table, size_t n, const void *base)
{
    if (table == NULL || !rt_log_enabled(RT_LOG_INFO))
        return;
    for (size_t i = 0; i < n; i++) {
        const rt_config_var_t *v = &table[i];
        if (v->name == NULL || (v->ptr == NULL && base == NULL))
            continue;
        char value[1024];
        format_value(v, const_storage(v, base), value, sizeof value);
        rt_log_info("config", "%s=%s", v->name, value);
    }
}

void rt_config_help(const rt_config_var_t *table, size_t n, FILE *out)
{
    if (table == NULL || out == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        const rt_config_var_t *v = &table[i];
        if (v->name == NULL)
            continue;
        char what[RT_CONFIG_LINE_CAP];
        describe(v, what, sizeof what);
        if (what[0] >= 'a' && what[0] <= 'z')
            what[0] = (char)(what[0] - 'a' + 'A');
        char def[SHOWN_VALUE_CAP] = "";
        if (v->def)
            rt_str_escape(def, sizeof def, v->def, strlen(v->def));
        fprintf(out, "%s=%s%s%s\n    %s%s%s.\n", v->name, def, v->def ? "" : "  (required)",
                v->secret ? "  (secret)" : "", v->help ? v->help : "", v->help ? ". " : "", what);
    }
}
