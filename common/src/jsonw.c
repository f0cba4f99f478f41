/* JSON writer: see rt/jsonw.h. */
#include "rt/jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

#define JSONW_MIN_CAP 256
#define JSONW_MAX_CAP (SIZE_MAX / 2)

static int set_err(rt_jsonw_t *w, int err)
{
    if (w->err == 0)
        w->err = err;
    return w->err;
}

/* Makes room for n more bytes plus the NUL. */
static int reserve(rt_jsonw_t *w, size_t n)
{
    if (n < w->cap - w->len)
        return RT_OK;
    if (n >= JSONW_MAX_CAP - w->len)
        return set_err(w, RT_ETOOBIG);
    size_t need = w->len + n + 1;
    size_t cap = w->cap < JSONW_MIN_CAP ? JSONW_MIN_CAP : w->cap;
    while (cap < need)
        cap *= 2;
    char *p = realloc(w->buf, cap);
    if (p == NULL)
        return set_err(w, RT_ENOMEM);
    w->buf = p;
    w->cap = cap;
    return RT_OK;
}

/* Appends bytes already reserved. */
static void put(rt_jsonw_t *w, const char *s, size_t n)
{
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static int append(rt_jsonw_t *w, const char *s, size_t n)
{
    if (reserve(w, n) != RT_OK)
        return w->err;
    put(w, s, n);
    return RT_OK;
}

static int append_char(rt_jsonw_t *w, char c)
{
    return append(w, &c, 1);
}

/* Everything due before a value: the state check and the comma in an array. */
static int before_value(rt_jsonw_t *w)
{
    if (w->err != 0)
        return w->err;
    if (w->depth == 0)
        return w->done ? set_err(w, RT_ESTATE) : RT_OK;
    unsigned top = w->depth - 1;
    if (w->is_object[top]) {
        if (!w->after_key)
            return set_err(w, RT_ESTATE);
        w->after_key = false;
        return RT_OK;
    }
    if (w->nonempty[top] && append_char(w, ',') != RT_OK)
        return w->err;
    w->nonempty[top] = true;
    return RT_OK;
}

/* After a scalar (or a closed container) at the top level, the document is complete. */
static int after_value(rt_jsonw_t *w)
{
    if (w->err == 0 && w->depth == 0)
        w->done = true;
    return w->err;
}

void rt_jsonw_init(rt_jsonw_t *w)
{
    memset(w, 0, sizeof *w);
}

void rt_jsonw_cleanup(rt_jsonw_t *w)
{
    if (w == NULL)
        return;
    free(w->buf);
    memset(w, 0, sizeof *w);
}

void rt_jsonw_reset(rt_jsonw_t *w)
{
    char *buf = w->buf;
    size_t cap = w->cap;
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    if (buf != NULL)
        buf[0] = '\0';
}

const char *rt_jsonw_data(const rt_jsonw_t *w)
{
    return w->buf != NULL ? w->buf : "";
}

size_t rt_jsonw_len(const rt_jsonw_t *w)
{
    return w->len;
}

int rt_jsonw_finish(const rt_jsonw_t *w)
{
    if (w->err != 0)
        return w->err;
    if (w->depth != 0 || !w->done)
        return RT_ESTATE;
    return RT_OK;
}

static int open_container(rt_jsonw_t *w, bool is_object)
{
    if (before_value(w) != RT_OK)
        return w->err;
    if (w->depth >= RT_JSONW_DEPTH_MAX)
        return set_err(w, RT_ETOOBIG);
    if (append_char(w, is_object ? '{' : '[') != RT_OK)
        return w->err;
    w->is_object[w->depth] = is_object;
    w->nonempty[w->depth] = false;
    w->depth++;
    return RT_OK;
}

static int close_container(rt_jsonw_t *w, bool is_object)
{
    if (w->err != 0)
        return w->err;
    if (w->depth == 0 || w->is_object[w->depth - 1] != is_object || w->after_key)
        return set_err(w, RT_ESTATE);
    if (append_char(w, is_object ? '}' : ']') != RT_OK)
        return w->err;
    w->depth--;
    return after_value(w);
}

int rt_jsonw_object_begin(rt_jsonw_t *w)
{
    return open_container(w, true);
}

int rt_jsonw_object_end(rt_jsonw_t *w)
{
    return close_container(w, true);
}

int rt_jsonw_array_begin(rt_jsonw_t *w)
{
    return open_container(w, false);
}

int rt_jsonw_array_end(rt_jsonw_t *w)
{
    return close_container(w, false);
}

/* Length of the valid UTF-8 sequence at s (n bytes left, s[0] >= 0x80), 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF are invalid, as in RFC 3629). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] > 0x9F)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xF4 && s[1] > 0x8F)
            return 0; /* above U+10FFFF */
        return 4;
    }
    return 0;
}

/* Writes s[0..n) as a quoted, escaped JSON string. */
static int write_string(rt_jsonw_t *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    /* Worst case is 6 output bytes per input byte ("\u00XX" or "\ufffd"): reserving that up
     * front keeps the loop free of checks. */
    if (n > (JSONW_MAX_CAP - 2) / 6)
        return set_err(w, RT_ETOOBIG);
    if (reserve(w, n * 6 + 2) != RT_OK)
        return w->err;
    char *out = w->buf + w->len;
    *out++ = '"';
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\')
            run++;
        if (run > i) {
            memcpy(out, s + i, run - i);
            out += run - i;
            i = run;
            continue;
        }
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            *out++ = '\\';
            *out++ = (char)c;
            i++;
        } else if (c < 0x20) {
            memcpy(out, "\\u00", 4);
            out[4] = hex[c >> 4];
            out[5] = hex[c & 0xF];
            out += 6;
            i++;
        } else {
            size_t len = utf8_seq_len(u + i, n - i);
            if (len == 0) {
                memcpy(out, "\\ufffd", 6);
                out += 6;
                i++;
            } else {
                memcpy(out, s + i, len);
                out += len;
                i += len;
            }
        }
    }
    *out++ = '"';
    *out = '\0';
    w->len = (size_t)(out - w->buf);
    return RT_OK;
}

int rt_jsonw_key(rt_jsonw_t *w, const char *key)
{
    if (w->err != 0)
        return w->err;
    if (key == NULL)
        return set_err(w, RT_EINVAL);
    if (w->depth == 0 || !w->is_object[w->depth - 1] || w->after_key)
        return set_err(w, RT_ESTATE);
    unsigned top = w->depth - 1;
    if (w->nonempty[top] && append_char(w, ',') != RT_OK)
        return w->err;
    w->nonempty[top] = true;
    if (write_string(w, key, strlen(key)) != RT_OK || append_char(w, ':') != RT_OK)
        return w->err;
    w->after_key = true;
    return RT_OK;
}

int rt_jsonw_string_n(rt_jsonw_t *w, const char *s, size_t n)
{
    if (w->err == 0 && s == NULL)
        return set_err(w, RT_EINVAL);
    if (before_value(w) != RT_OK || write_string(w, s, n) != RT_OK)
        return w->err;
    return after_value(w);
}

int rt_jsonw_string(rt_jsonw_t *w, const char *s)
{
    if (w->err == 0 && s == NULL)
        return set_err(w, RT_EINVAL);
    return rt_jsonw_string_n(w, s, s != NULL ? strlen(s) : 0);
}

static int write_scalar(rt_jsonw_t *w, const char *text, size_t n)
{
    if (before_value(w) != RT_OK || append(w, text, n) != RT_OK)
        return w->err;
    return after_value(w);
}

int rt_jsonw_int(rt_jsonw_t *w, int64_t v)
{
    char tmp[24];
    size_t pos = sizeof tmp;
    /* The magnitude as unsigned, so INT64_MIN has no overflow. */
    uint64_t mag = v < 0 ? (uint64_t)(-(v + 1)) + 1u : (uint64_t)v;
    do {
        tmp[--pos] = (char)('0' + mag % 10);
        mag /= 10;
    } while (mag > 0);
    if (v < 0)
        tmp[--pos] = '-';
    return write_scalar(w, tmp + pos, sizeof tmp - pos);
}

int rt_jsonw_bool(rt_jsonw_t *w, bool v)
{
    return v ? write_scalar(w, "true", 4) : write_scalar(w, "false", 5);
}

int rt_jsonw_null(rt_jsonw_t *w)
{
    return write_scalar(w, "null", 4);
}

int rt_jsonw_money(rt_jsonw_t *w, rt_money_t v)
{
    char tmp[RT_MONEY_FMT_MAX];
    size_t n = rt_money_format(v, tmp, sizeof tmp);
    if (n == 0)
        return set_err(w, RT_ERANGE); /* cannot happen: RT_MONEY_FMT_MAX fits every value */
    return write_scalar(w, tmp, n);
}

int rt_jsonw_double(rt_jsonw_t *w, double v)
{
    if (!isfinite(v))
        return rt_jsonw_null(w);
    if (v == 0.0)
        return write_scalar(w, "0", 1); /* -0 too: it reads back as 0 anyway */
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.15g", v);
    if (n > 0 && (size_t)n < sizeof tmp && strtod(tmp, NULL) != v)
        n = snprintf(tmp, sizeof tmp, "%.16g", v);
    if (n > 0 && (size_t)n < sizeof tmp && strtod(tmp, NULL) != v)
        n = snprintf(tmp, sizeof tmp, "%.17g", v); /* always reads back equal */
    if (n <= 0 || (size_t)n >= sizeof tmp)
        return set_err(w, RT_ERANGE); /* cannot happen: %.17g of a finite double fits */
    return write_scalar(w, tmp, (size_t)n);
}

int rt_jsonw_raw(rt_jsonw_t *w, const char *json, size_t n)
{
    if (w->err == 0 && (json == NULL || n == 0))
        return set_err(w, RT_EINVAL);
    return write_scalar(w, json, n);
}

int rt_jsonw_kv_string(rt_jsonw_t *w, const char *key, const char *s)
{
    if (rt_jsonw_key(w, key) != RT_OK)
        return w->err;
    return rt_jsonw_string(w, s);
}

int rt_jsonw_kv_int(rt_jsonw_t *w, const char *key, int64_t v)
{
    if (rt_jsonw_key(w, key) != RT_OK)
        return w->err;
    return rt_jsonw_int(w, v);
}

int rt_jsonw_kv_bool(rt_jsonw_t *w, const char *key, bool v)
{
    if (rt_jsonw_key(w, key) != RT_OK)
        return w->err;
    return rt_jsonw_bool(w, v);
}

int rt_jsonw_kv_null(rt_jsonw_t *w, const char *key)
{
    if (rt_jsonw_key(w, key) != RT_OK)
        return w->err;
    return rt_jsonw_null(w);
}

int rt_jsonw_kv_money(rt_jsonw_t *w, const char *key, rt_money_t v)
{
    if (rt_jsonw_key(w, key) != RT_OK)
        return w->err;
    return rt_jsonw_money(w, v);
}

int rt_jsonw_kv_double(rt_jsonw_t *w, const char *key, double v)
{
    if (rt_jsonw_key(w, key) != RT_OK)
        return w->err;
    return rt_jsonw_double(w, v);
}
