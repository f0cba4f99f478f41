/* Bus message codecs: see rt/msg.h and docs/MESSAGES.md.
 *
 * Each message's plain fields are described once, in a table (key, kind, offset): the same
 * table drives parsing and formatting, so the two cannot drift apart. The rules between fields
 * (high >= low, filled <= quantity, ...) live in the validate functions, which parse calls on
 * the decoded struct and format calls before writing. */
#include "rt/msg.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"

/* Enums are stored through int: their size must match. */
_Static_assert(sizeof(rt_side_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rt_order_type_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rt_order_status_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rt_order_source_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rt_trade_role_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rt_position_status_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rt_event_type_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rt_log_level_t) == sizeof(int), "enum size");

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Below 2^25, a double holds every 8-decimal amount: the text is recovered exactly. */
#define MONEY_EXACT_LIMIT 33554432.0
/* Largest whole number of units an rt_money_t holds. */
#define MONEY_MAX_UNITS INT64_C(92233720368)

/* ---- enums ------------------------------------------------------------------------------- */

typedef struct {
    const char *const *names;
    size_t n;
} names_t;

static const char *const side_names[] = {"BUY", "SELL"};
static const char *const order_type_names[] = {"MARKET", "LIMIT"};
static const char *const order_status_names[] = {
    "NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "REJECTED", "EXPIRED", "PENDING"};
static const char *const source_names[] = {"manual", "strategy"};
static const char *const role_names[] = {"maker", "taker"};
static const char *const position_status_names[] = {"open", "closed"};
static const char *const event_type_names[] = {"order", "trade", "position", "risk"};
static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};

/* clang-format off */
#define NAMES(a) {a, COUNT(a)}
/* clang-format on */
static const names_t SIDES = NAMES(side_names);
static const names_t ORDER_TYPES = NAMES(order_type_names);
static const names_t ORDER_STATUSES = NAMES(order_status_names);
static const names_t SOURCES = NAMES(source_names);
static const names_t ROLES = NAMES(role_names);
static const names_t POSITION_STATUSES = NAMES(position_status_names);
static const names_t EVENT_TYPES = NAMES(event_type_names);
static const names_t LEVELS = NAMES(level_names);

static const char *name_of(const names_t *t, int v)
{
    return v >= 0 && (size_t)v < t->n ? t->names[v] : "?";
}

static int index_of(const names_t *t, const char *s, size_t len)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strlen(t->names[i]) == len && memcmp(t->names[i], s, len) == 0)
            return (int)i;
    }
    return -1;
}

static int parse_name(const names_t *t, const char *s, int *out)
{
    if (s == NULL)
        return RT_EINVAL;
    int i = index_of(t, s, strlen(s));
    if (i < 0)
        return RT_EINVAL;
    *out = i;
    return RT_OK;
}

const char *rt_side_name(rt_side_t v)
{
    return name_of(&SIDES, (int)v);
}

const char *rt_order_type_name(rt_order_type_t v)
{
    return name_of(&ORDER_TYPES, (int)v);
}

const char *rt_order_status_name(rt_order_status_t v)
{
    return name_of(&ORDER_STATUSES, (int)v);
}

const char *rt_order_source_name(rt_order_source_t v)
{
    return name_of(&SOURCES, (int)v);
}

const char *rt_trade_role_name(rt_trade_role_t v)
{
    return name_of(&ROLES, (int)v);
}

const char *rt_position_status_name(rt_position_status_t v)
{
    return name_of(&POSITION_STATUSES, (int)v);
}

const char *rt_event_type_name(rt_event_type_t v)
{
    return name_of(&EVENT_TYPES, (int)v);
}

/* The public parse functions write their enum type, through a local int. */
#define DEFINE_ENUM_PARSE(fn, type, table)                                                         \
    int fn(const char *s, type *out)                                                               \
    {                                                                                              \
        int v;                                                                                     \
        if (parse_name(&table, s, &v) != RT_OK)                                                    \
            return RT_EINVAL;                                                                      \
        *out = (type)v;                                                                            \
        return RT_OK;                                                                              \
    }
DEFINE_ENUM_PARSE(rt_side_parse, rt_side_t, SIDES)
DEFINE_ENUM_PARSE(rt_order_type_parse, rt_order_type_t, ORDER_TYPES)
DEFINE_ENUM_PARSE(rt_order_status_parse, rt_order_status_t, ORDER_STATUSES)
DEFINE_ENUM_PARSE(rt_order_source_parse, rt_order_source_t, SOURCES)
DEFINE_ENUM_PARSE(rt_trade_role_parse, rt_trade_role_t, ROLES)
DEFINE_ENUM_PARSE(rt_position_status_parse, rt_position_status_t, POSITION_STATUSES)

/* ---- character classes ------------------------------------------------------------------- */

static bool is_upper_alnum(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static bool is_name_char(char ch)
{
    return is_upper_alnum(ch) || (ch >= 'a' && ch <= 'z') || ch == '_' || ch == '.' || ch == '-';
}

static bool is_client_id_char(char ch)
{
    return is_name_char(ch) || ch == ':' || ch == '/';
}

static bool is_printable(char ch)
{
    return ch > ' ' && ch < 0x7f;
}

static bool is_id_char(char ch)
{
    return is_printable(ch) && ch != '"' && ch != '\\';
}

/* True when s has 1..max characters, all of class ok. */
static bool all_of(const char *s, size_t max, bool (*ok)(char))
{
    size_t i = 0;
    for (; s[i] != '\0'; i++) {
        if (i >= max || !ok(s[i]))
            return false;
    }
    return i > 0;
}

bool rt_msg_symbol_valid(const char *s)
{
    return s != NULL && all_of(s, 20, is_upper_alnum);
}

static const char *const intervals[] = {"1s", "1m", "3m", "5m",  "15m", "30m", "1h", "2h",
                                        "4h", "6h", "8h", "12h", "1d",  "3d",  "1w", "1M"};

bool rt_msg_interval_valid(const char *s)
{
    if (s == NULL)
        return false;
    for (size_t i = 0; i < COUNT(intervals); i++) {
        if (strcmp(s, intervals[i]) == 0)
            return true;
    }
    return false;
}

/* ---- errors ------------------------------------------------------------------------------ */

/* Where errors go, and the path of the object being read ("", "data.", "[3]."). */
typedef struct {
    rt_msg_error_t *err;
    const char *prefix;
} ctx_t;

/* Records why a message is refused and returns code. field "" = the message as a whole. */
__attribute__((format(printf, 4, 5))) static int fail(const ctx_t *c, int code, const char *field,
                                                      const char *fmt, ...)
{
    if (c->err == NULL)
        return code;
    /* Short enough that "field '<field>': <reason>" always fits the text. */
    char reason[RT_MSG_ERROR_CAP - RT_MSG_FIELD_CAP - 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    rt_msg_error_t *e = c->err;
    if (field[0] == '\0' && c->prefix[0] == '\0') {
        e->field[0] = '\0';
        snprintf(e->text, sizeof e->text, "%s", reason);
        return code;
    }
    /* A prefix ends with '.', which an error on the object itself drops ("[3]", "data"). */
    int n = snprintf(e->field, sizeof e->field, "%s%s", c->prefix, field);
    if (field[0] == '\0' && n > 0 && (size_t)n < sizeof e->field && e->field[n - 1] == '.')
        e->field[n - 1] = '\0';
    snprintf(e->text, sizeof e->text, "field '%s': %s", e->field, reason);
    return code;
}

/* ---- field tables ------------------------------------------------------------------------ */

typedef enum {
    F_STR,   /* char[cap]; optional: "" = none */
    F_MONEY, /* rt_money_t; optional: 0 = none, a present value must be > 0 */
    F_INT,   /* int64_t; optional: 0 = none, a present value must be > 0 */
    F_BOOL,  /* bool */
    F_ENUM,  /* an enum stored as int, wire names in `names` */
} fkind_t;

typedef struct {
    const char *key;
    fkind_t kind;
    bool optional; /* absent or null = none */
    size_t off;
    size_t cap;           /* F_STR: buffer size */
    const names_t *names; /* F_ENUM */
} field_t;

/* clang-format off */
#define FSTR(k, type, m) {k, F_STR, false, offsetof(type, m), sizeof(((type *)0)->m), NULL}
#define FSTR_OPT(k, type, m) {k, F_STR, true, offsetof(type, m), sizeof(((type *)0)->m), NULL}
#define FMONEY(k, type, m) {k, F_MONEY, false, offsetof(type, m), 0, NULL}
#define FMONEY_OPT(k, type, m) {k, F_MONEY, true, offsetof(type, m), 0, NULL}
#define FINT(k, type, m) {k, F_INT, false, offsetof(type, m), 0, NULL}
#define FINT_OPT(k, type, m) {k, F_INT, true, offsetof(type, m), 0, NULL}
#define FBOOL(k, type, m) {k, F_BOOL, false, offsetof(type, m), 0, NULL}
#define FENUM(k, type, m, t) {k, F_ENUM, false, offsetof(type, m), 0, &t}
/* clang-format on */

/* Reads a JSON amount: an integer, a real (at most 8 decimals below 2^25) or a decimal
 * string. */
static int read_money(const ctx_t *c, const char *key, const json_t *v, rt_money_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i > MONEY_MAX_UNITS || i < -MONEY_MAX_UNITS)
            return fail(c, RT_ERANGE, key, "amount out of range");
        *out = (rt_money_t)i * RT_MONEY_SCALE;
        return RT_OK;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (fabs(d) < MONEY_EXACT_LIMIT) {
            /* Fast path, no printf: below 2^25 two 8-decimal amounts never share a double, so
             * an m whose double is d is the text d was written as. When d*1e8 rounded to the
             * wrong neighbour, the slow path below decides. */
            rt_money_t m = (rt_money_t)llround(d * (double)RT_MONEY_SCALE);
            if ((double)m / (double)RT_MONEY_SCALE == d) {
                *out = m;
                return RT_OK;
            }
        }
        rt_money_t m;
        int rc = rt_money_from_double(d, &m);
        if (rc == RT_ERANGE)
            return fail(c, RT_ERANGE, key, "amount out of range");
        if (rc != RT_OK)
            return fail(c, RT_EINVAL, key, "must be a finite number");
        if (fabs(d) < MONEY_EXACT_LIMIT) {
            /* m is the text the number was written as, when it had at most 8 decimals */
            if ((double)m / (double)RT_MONEY_SCALE != d)
                return fail(c, RT_EINVAL, key, "more than 8 decimals");
        } else {
            /* A double no longer holds 8 decimals here, but any text of at most 15 significant
             * digits (DBL_DIG) comes back from %.15g: 1234567890.12345 stays exact. Longer
             * texts keep the nearest value above. */
            char buf[40];
            int n = snprintf(buf, sizeof buf, "%.15g", d);
            rt_money_t exact;
            if (n > 0 && (size_t)n < sizeof buf && strtod(buf, NULL) == d &&
                rt_money_parse_n(buf, (size_t)n, &exact) == RT_OK)
                m = exact;
        }
        *out = m;
        return RT_OK;
    }
    if (json_is_string(v)) {
        rt_money_t m;
        int rc = rt_money_parse_n(json_string_value(v), json_string_length(v), &m);
        if (rc == RT_ERANGE)
            return fail(c, RT_ERANGE, key, "amount out of range");
        if (rc != RT_OK)
            return fail(c, RT_EINVAL, key, "must be a decimal amount with at most 8 decimals");
        *out = m;
        return RT_OK;
    }
    return fail(c, RT_EINVAL, key, "must be a number or a decimal string");
}

static int read_field(const ctx_t *c, json_t *obj, const field_t *f, char *base)
{
    void *dst = base + f->off;
    json_t *v = json_object_get(obj, f->key);
    if (v == NULL || json_is_null(v)) {
        if (!f->optional)
            return fail(c, RT_EINVAL, f->key, "is required");
        return RT_OK; /* the struct was zeroed: none */
    }
    switch (f->kind) {
    case F_STR: {
        if (!json_is_string(v))
            return fail(c, RT_EINVAL, f->key, "must be a string");
        size_t n = json_string_length(v);
        if (n >= f->cap)
            return fail(c, RT_ETOOBIG, f->key, "longer than %zu bytes", f->cap - 1);
        memcpy(dst, json_string_value(v), n);
        ((char *)dst)[n] = '\0';
        return RT_OK;
    }
    case F_MONEY: {
        rt_money_t m = 0;
        int rc = read_money(c, f->key, v, &m);
        if (rc != RT_OK)
            return rc;
        if (f->optional && m <= 0)
            return fail(c, RT_EINVAL, f->key, "must be > 0 (null or absent for none)");
        memcpy(dst, &m, sizeof m);
        return RT_OK;
    }
    case F_INT: {
        if (!json_is_integer(v))
            return fail(c, RT_EINVAL, f->key, "must be an integer");
        int64_t i = json_integer_value(v);
        if (f->optional && i <= 0)
            return fail(c, RT_EINVAL, f->key, "must be > 0 (null or absent for none)");
        memcpy(dst, &i, sizeof i);
        return RT_OK;
    }
    case F_BOOL: {
        if (!json_is_boolean(v))
            return fail(c, RT_EINVAL, f->key, "must be true or false");
        bool b = json_is_true(v);
        memcpy(dst, &b, sizeof b);
        return RT_OK;
    }
    case F_ENUM: {
        if (!json_is_string(v))
            return fail(c, RT_EINVAL, f->key, "must be a string");
        int i = index_of(f->names, json_string_value(v), json_string_length(v));
        if (i < 0)
            return fail(c, RT_EINVAL, f->key, "unknown value '%.32s'", json_string_value(v));
        memcpy(dst, &i, sizeof i);
        return RT_OK;
    }
    }
    return fail(c, RT_EINVAL, f->key, "unknown field kind");
}

/* Reads every field of the table from obj into the (zeroed) struct at base. */
static int read_fields(const ctx_t *c, json_t *obj, const field_t *f, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        int rc = read_field(c, obj, &f[i], base);
        if (rc != RT_OK)
            return rc;
    }
    return RT_OK;
}

/* Writes every field of the table as key/value pairs. A none value is omitted (omit_none) or
 * written as null. */
static int write_fields(rt_jsonw_t *w, const field_t *f, size_t n, const void *base, bool omit_none)
{
    const char *b = base;
    for (size_t i = 0; i < n; i++) {
        const void *src = b + f[i].off;
        switch (f[i].kind) {
        case F_STR: {
            const char *s = src;
            if (f[i].optional && s[0] == '\0') {
                if (!omit_none)
                    rt_jsonw_kv_null(w, f[i].key);
            } else {
                rt_jsonw_kv_string(w, f[i].key, s);
            }
            break;
        }
        case F_MONEY: {
            rt_money_t m;
            memcpy(&m, src, sizeof m);
            if (f[i].optional && m == 0) {
                if (!omit_none)
                    rt_jsonw_kv_null(w, f[i].key);
            } else {
                rt_jsonw_kv_money(w, f[i].key, m);
            }
            break;
        }
        case F_INT: {
            int64_t v;
            memcpy(&v, src, sizeof v);
            if (f[i].optional && v == 0) {
                if (!omit_none)
                    rt_jsonw_kv_null(w, f[i].key);
            } else {
                rt_jsonw_kv_int(w, f[i].key, v);
            }
            break;
        }
        case F_BOOL: {
            bool v;
            memcpy(&v, src, sizeof v);
            rt_jsonw_kv_bool(w, f[i].key, v);
            break;
        }
        case F_ENUM: {
            int v;
            memcpy(&v, src, sizeof v);
            rt_jsonw_kv_string(w, f[i].key, name_of(f[i].names, v));
            break;
        }
        }
    }
    return w->err;
}

/* Reads a whole message: size limit first (so a huge input costs nothing), then jansson on
 * exactly len bytes. Duplicate keys are refused (which one would count is a guess), as are
 * trailing garbage, invalid UTF-8 and NUL characters (jansson's defaults). */
static int load(const ctx_t *c, const char *json, size_t len, json_t **out)
{
    if (json == NULL || len == 0)
        return fail(c, RT_EINVAL, "", "empty message");
    if (len > RT_MSG_MAX_LEN)
        return fail(c, RT_ETOOBIG, "", "message of %zu bytes is over the limit of %d bytes", len,
                    RT_MSG_MAX_LEN);
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        int code = RT_EINVAL;
        switch (json_error_code(&je)) {
        case json_error_out_of_memory:
            code = RT_ENOMEM;
            break;
        case json_error_numeric_overflow:
            code = RT_ERANGE;
            break;
        default:
            break;
        }
        return fail(c, code, "", "invalid JSON at line %d column %d: %s", je.line, je.column,
                    je.text);
    }
    *out = root;
    return RT_OK;
}

static int load_object(const ctx_t *c, const char *json, size_t len, json_t **out)
{
    json_t *root = NULL;
    int rc = load(c, json, len, &root);
    if (rc != RT_OK)
        return rc;
    if (!json_is_object(root)) {
        json_decref(root);
        return fail(c, RT_EINVAL, "", "message must be a JSON object");
    }
    *out = root;
    return RT_OK;
}

/* ---- validation helpers ------------------------------------------------------------------ */

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static int check_term(const ctx_t *c, const char *key, const char *s, size_t cap)
{
    if (!terminated(s, cap))
        return fail(c, RT_EINVAL, key, "not NUL-terminated within its %zu bytes", cap);
    return RT_OK;
}

static int check_symbol(const ctx_t *c, const char *key, const char *s, size_t cap)
{
    if (!terminated(s, cap) || !rt_msg_symbol_valid(s))
        return fail(c, RT_EINVAL, key, "must be 1..20 characters of A-Z 0-9");
    return RT_OK;
}

static int check_asset(const ctx_t *c, const char *key, const char *s, size_t cap)
{
    if (!terminated(s, cap) || !all_of(s, RT_ASSET_MAX_LEN, is_upper_alnum))
        return fail(c, RT_EINVAL, key, "must be 1..%d characters of A-Z 0-9", RT_ASSET_MAX_LEN);
    return RT_OK;
}

/* A strategy or service name: 1..cap-1 of [A-Za-z0-9_.-]; "" allowed when optional. */
static int check_name(const ctx_t *c, const char *key, const char *s, size_t cap, bool optional)
{
    if (!terminated(s, cap))
        return fail(c, RT_EINVAL, key, "not NUL-terminated within its %zu bytes", cap);
    if (optional && s[0] == '\0')
        return RT_OK;
    if (!all_of(s, cap - 1, is_name_char))
        return fail(c, RT_EINVAL, key, "must be 1..%zu characters of A-Z a-z 0-9 _ . -", cap - 1);
    return RT_OK;
}

/* A signal id: an id of at most RT_SIGNAL_ID_MAX characters (signals.id is VARCHAR(64)). */
static int check_signal_id(const ctx_t *c, const char *key, const char *s, size_t cap,
                           bool optional)
{
    if (!terminated(s, cap))
        return fail(c, RT_EINVAL, key, "not NUL-terminated within its %zu bytes", cap);
    if (optional && s[0] == '\0')
        return RT_OK;
    if (!all_of(s, RT_SIGNAL_ID_MAX, is_id_char))
        return fail(c, RT_EINVAL, key,
                    "must be 1..%d printable ASCII characters without space, quote or backslash",
                    RT_SIGNAL_ID_MAX);
    return RT_OK;
}

/* 1..cap-1 printable ASCII characters without spaces (a service name). */
static int check_printable(const ctx_t *c, const char *key, const char *s, size_t cap)
{
    if (!terminated(s, cap) || !all_of(s, cap - 1, is_printable))
        return fail(c, RT_EINVAL, key, "must be 1..%zu printable ASCII characters, no space",
                    cap - 1);
    return RT_OK;
}

static int check_client_id(const ctx_t *c, const char *key, const char *s, size_t cap)
{
    if (!terminated(s, cap) || !all_of(s, 36, is_client_id_char))
        return fail(c, RT_EINVAL, key, "must be 1..36 characters of A-Z a-z 0-9 . : / _ -");
    return RT_OK;
}

static int check_enum(const ctx_t *c, const char *key, int v, const names_t *t)
{
    if (v < 0 || (size_t)v >= t->n)
        return fail(c, RT_EINVAL, key, "unknown value %d", v);
    return RT_OK;
}

/* Money within rt_money_t's symmetric range (INT64_MIN is not an amount). */
static int check_money(const ctx_t *c, const char *key, rt_money_t v)
{
    if (v < RT_MONEY_MIN)
        return fail(c, RT_ERANGE, key, "amount out of range");
    return RT_OK;
}

static int check_pos(const ctx_t *c, const char *key, rt_money_t v)
{
    if (v <= 0)
        return fail(c, RT_EINVAL, key, "must be > 0");
    return RT_OK;
}

static int check_nonneg(const ctx_t *c, const char *key, rt_money_t v)
{
    if (v < 0)
        return fail(c, RT_EINVAL, key, "must be >= 0");
    return RT_OK;
}

static int check_time(const ctx_t *c, const char *key, int64_t v)
{
    if (v < 0)
        return fail(c, RT_EINVAL, key, "must be >= 0 (ms since the epoch)");
    return RT_OK;
}

static int check_row_id(const ctx_t *c, const char *key, int64_t v)
{
    if (v <= 0)
        return fail(c, RT_EINVAL, key, "must be > 0");
    return RT_OK;
}

/* Runs checks in order, stopping at the first failure. */
#define CHECK(expr)                                                                                \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != RT_OK)                                                                          \
            return rc_;                                                                            \
    } while (0)

/* ---- candle ------------------------------------------------------------------------------ */

static const field_t candle_fields[] = {
    FSTR("symbol", rt_candle_t, symbol),       FSTR("interval", rt_candle_t, interval),
    FINT("startTime", rt_candle_t, open_time), FINT("closeTime", rt_candle_t, close_time),
    FMONEY("open", rt_candle_t, open),         FMONEY("high", rt_candle_t, high),
    FMONEY("low", rt_candle_t, low),           FMONEY("close", rt_candle_t, close),
    FMONEY("volume", rt_candle_t, volume),     FBOOL("closed", rt_candle_t, closed),
};

static int candle_check(const ctx_t *c, const rt_candle_t *k)
{
    CHECK(check_symbol(c, "symbol", k->symbol, sizeof k->symbol));
    if (!terminated(k->interval, sizeof k->interval) || !rt_msg_interval_valid(k->interval))
        return fail(c, RT_EINVAL, "interval",
                    "unknown interval (1s 1m 3m 5m 15m 30m 1h 2h 4h "
                    "6h 8h 12h 1d 3d 1w 1M)");
    CHECK(check_time(c, "startTime", k->open_time));
    if (k->close_time <= k->open_time)
        return fail(c, RT_EINVAL, "closeTime", "must be > startTime");
    CHECK(check_pos(c, "open", k->open));
    CHECK(check_pos(c, "high", k->high));
    CHECK(check_pos(c, "low", k->low));
    CHECK(check_pos(c, "close", k->close));
    CHECK(check_nonneg(c, "volume", k->volume));
    if (k->high < k->low)
        return fail(c, RT_EINVAL, "high", "must be >= low");
    if (k->open < k->low || k->open > k->high)
        return fail(c, RT_EINVAL, "open", "must lie within [low, high]");
    if (k->close < k->low || k->close > k->high)
        return fail(c, RT_EINVAL, "close", "must lie within [low, high]");
    return RT_OK;
}

int rt_msg_candle_validate(const rt_candle_t *k, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    if (k == NULL)
        return fail(&c, RT_EINVAL, "", "no candle");
    return candle_check(&c, k);
}

int rt_msg_candle_parse(const char *json, size_t len, rt_candle_t *out, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    json_t *root = NULL;
    rt_candle_t k;
    memset(&k, 0, sizeof k);
    int rc = load_object(&c, json, len, &root);
    if (rc != RT_OK)
        goto out;
    rc = read_fields(&c, root, candle_fields, COUNT(candle_fields), &k);
    if (rc != RT_OK)
        goto out;
    rc = candle_check(&c, &k);
    if (rc != RT_OK)
        goto out;
    *out = k;
out:
    json_decref(root);
    return rc;
}

int rt_msg_candle_format(rt_jsonw_t *w, const rt_candle_t *k)
{
    if (rt_msg_candle_validate(k, NULL) != RT_OK)
        return RT_EINVAL;
    rt_jsonw_object_begin(w);
    write_fields(w, candle_fields, COUNT(candle_fields), k, false);
    return rt_jsonw_object_end(w);
}

/* ---- ticker ------------------------------------------------------------------------------ */

static const field_t ticker_fields[] = {
    FSTR("symbol", rt_ticker_t, symbol),
    FMONEY("price", rt_ticker_t, price),
    FINT("event_time", rt_ticker_t, event_time),
};

static int ticker_check(const ctx_t *c, const rt_ticker_t *t)
{
    CHECK(check_symbol(c, "symbol", t->symbol, sizeof t->symbol));
    CHECK(check_pos(c, "price", t->price));
    CHECK(check_time(c, "event_time", t->event_time));
    return RT_OK;
}

int rt_msg_ticker_validate(const rt_ticker_t *t, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    if (t == NULL)
        return fail(&c, RT_EINVAL, "", "no ticker");
    return ticker_check(&c, t);
}

int rt_msg_ticker_parse(const char *json, size_t len, rt_ticker_t *out, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    json_t *root = NULL;
    rt_ticker_t t;
    memset(&t, 0, sizeof t);
    int rc = load_object(&c, json, len, &root);
    if (rc != RT_OK)
        goto out;
    rc = read_fields(&c, root, ticker_fields, COUNT(ticker_fields), &t);
    if (rc != RT_OK)
        goto out;
    rc = ticker_check(&c, &t);
    if (rc != RT_OK)
        goto out;
    *out = t;
out:
    json_decref(root);
    return rc;
}

int rt_msg_ticker_format(rt_jsonw_t *w, const rt_ticker_t *t)
{
    if (rt_msg_ticker_validate(t, NULL) != RT_OK)
        return RT_EINVAL;
    rt_jsonw_object_begin(w);
    write_fields(w, ticker_fields, COUNT(ticker_fields), t, false);
    return rt_jsonw_object_end(w);
}

/* ---- signal ------------------------------------------------------------------------------ */

static const field_t signal_fields[] = {
    FSTR("id", rt_signal_t, id),
    FSTR("strategy", rt_signal_t, strategy),
    FSTR("symbol", rt_signal_t, symbol),
    FSTR_OPT("interval", rt_signal_t, interval),
    FENUM("side", rt_signal_t, side, SIDES),
    FINT("timestamp", rt_signal_t, timestamp),
    FMONEY("price", rt_signal_t, price),
    FMONEY_OPT("stop_loss", rt_signal_t, stop_loss),
    FMONEY_OPT("take_profit", rt_signal_t, take_profit),
};

static int signal_check(const ctx_t *c, const rt_signal_t *s)
{
    CHECK(check_signal_id(c, "id", s->id, sizeof s->id, false));
    CHECK(check_name(c, "strategy", s->strategy, sizeof s->strategy, false));
    CHECK(check_symbol(c, "symbol", s->symbol, sizeof s->symbol));
    if (!terminated(s->interval, sizeof s->interval) ||
        (s->interval[0] != '\0' && !rt_msg_interval_valid(s->interval)))
        return fail(c, RT_EINVAL, "interval", "unknown interval");
    CHECK(check_enum(c, "side", (int)s->side, &SIDES));
    CHECK(check_time(c, "timestamp", s->timestamp));
    CHECK(check_pos(c, "price", s->price));
    CHECK(check_nonneg(c, "stop_loss", s->stop_loss));
    CHECK(check_nonneg(c, "take_profit", s->take_profit));
    if (s->meta_count > RT_SIGNAL_META_MAX)
        return fail(c, RT_ETOOBIG, "metadata", "more than %d entries", RT_SIGNAL_META_MAX);
    for (size_t i = 0; i < s->meta_count; i++) {
        const rt_meta_t *m = &s->meta[i];
        if (!terminated(m->key, sizeof m->key) ||
            !all_of(m->key, RT_META_KEY_CAP - 1, is_name_char))
            return fail(c, RT_EINVAL, "metadata",
                        "entry %zu: name must be 1..%d characters of A-Z a-z 0-9 _ . -", i,
                        RT_META_KEY_CAP - 1);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(s->meta[j].key, m->key) == 0)
                return fail(c, RT_EINVAL, "metadata", "name '%s' appears twice", m->key);
        }
        if (!isfinite(m->value)) {
            char field[RT_MSG_FIELD_CAP];
            snprintf(field, sizeof field, "metadata.%s", m->key);
            return fail(c, RT_EINVAL, field, "must be a finite number");
        }
    }
    return RT_OK;
}

/* metadata: absent or null = none; else an object of name -> number. */
static int read_meta(const ctx_t *c, json_t *root, rt_signal_t *s)
{
    json_t *obj = json_object_get(root, "metadata");
    if (obj == NULL || json_is_null(obj))
        return RT_OK;
    if (!json_is_object(obj))
        return fail(c, RT_EINVAL, "metadata", "must be an object of name -> number");
    if (json_object_size(obj) > RT_SIGNAL_META_MAX)
        return fail(c, RT_ETOOBIG, "metadata", "more than %d entries", RT_SIGNAL_META_MAX);
    const char *key;
    json_t *v;
    size_t n = 0;
    json_object_foreach(obj, key, v)
    {
        char field[RT_MSG_FIELD_CAP];
        snprintf(field, sizeof field, "metadata.%s", key);
        size_t klen = strlen(key);
        if (klen >= RT_META_KEY_CAP)
            return fail(c, RT_ETOOBIG, field, "name longer than %d bytes", RT_META_KEY_CAP - 1);
        if (!json_is_number(v))
            return fail(c, RT_EINVAL, field, "must be a number");
        memcpy(s->meta[n].key, key, klen + 1);
        s->meta[n].value = json_number_value(v);
        n++;
    }
    s->meta_count = n;
    return RT_OK;
}

int rt_msg_signal_validate(const rt_signal_t *s, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    if (s == NULL)
        return fail(&c, RT_EINVAL, "", "no signal");
    return signal_check(&c, s);
}

int rt_msg_signal_parse(const char *json, size_t len, rt_signal_t *out, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    json_t *root = NULL;
    rt_signal_t s;
    memset(&s, 0, sizeof s);
    int rc = load_object(&c, json, len, &root);
    if (rc != RT_OK)
        goto out;
    rc = read_fields(&c, root, signal_fields, COUNT(signal_fields), &s);
    if (rc != RT_OK)
        goto out;
    rc = read_meta(&c, root, &s);
    if (rc != RT_OK)
        goto out;
    rc = signal_check(&c, &s);
    if (rc != RT_OK)
        goto out;
    *out = s;
out:
    json_decref(root);
    return rc;
}

int rt_msg_signal_format(rt_jsonw_t *w, const rt_signal_t *s)
{
    if (rt_msg_signal_validate(s, NULL) != RT_OK)
        return RT_EINVAL;
    rt_jsonw_object_begin(w);
    write_fields(w, signal_fields, COUNT(signal_fields), s, true);
    if (s->meta_count > 0) {
        rt_jsonw_key(w, "metadata");
        rt_jsonw_object_begin(w);
        for (size_t i = 0; i < s->meta_count; i++)
            rt_jsonw_kv_double(w, s->meta[i].key, s->meta[i].value);
        rt_jsonw_object_end(w);
    }
    return rt_jsonw_object_end(w);
}

/* ---- trader:events ----------------------------------------------------------------------- */

/* Field order: the columns of db/migrations/001_init.sql. */
static const field_t order_fields[] = {
    FINT("id", rt_order_t, id),
    FSTR("client_order_id", rt_order_t, client_order_id),
    FINT_OPT("exchange_order_id", rt_order_t, exchange_order_id),
    FSTR("symbol", rt_order_t, symbol),
    FENUM("side", rt_order_t, side, SIDES),
    FENUM("type", rt_order_t, type, ORDER_TYPES),
    FENUM("status", rt_order_t, status, ORDER_STATUSES),
    FMONEY_OPT("quantity", rt_order_t, quantity),
    FMONEY_OPT("quote_quantity", rt_order_t, quote_quantity),
    FMONEY_OPT("price", rt_order_t, price),
    FMONEY("filled_quantity", rt_order_t, filled_quantity),
    FMONEY("filled_quote_quantity", rt_order_t, filled_quote_quantity),
    FMONEY_OPT("avg_price", rt_order_t, avg_price),
    FENUM("source", rt_order_t, source, SOURCES),
    FSTR_OPT("strategy", rt_order_t, strategy),
    FSTR_OPT("signal_id", rt_order_t, signal_id),
    FINT_OPT("position_id", rt_order_t, position_id),
    FSTR_OPT("reason", rt_order_t, reason),
    FSTR_OPT("error", rt_order_t, error),
    FBOOL("demo", rt_order_t, demo),
    FINT("created_at", rt_order_t, created_at),
    FINT("updated_at", rt_order_t, updated_at),
};

static const field_t trade_fields[] = {
    FINT("id", rt_trade_t, id),
    FINT_OPT("order_id", rt_trade_t, order_id),
    FSTR("client_order_id", rt_trade_t, client_order_id),
    FSTR("symbol", rt_trade_t, symbol),
    FENUM("side", rt_trade_t, side, SIDES),
    FENUM("status", rt_trade_t, status, ORDER_STATUSES),
    FMONEY("price", rt_trade_t, price),
    FMONEY("quantity", rt_trade_t, quantity),
    FMONEY("quote_quantity", rt_trade_t, quote_quantity),
    FMONEY("fee", rt_trade_t, fee),
    FSTR_OPT("fee_asset", rt_trade_t, fee_asset),
    FENUM("role", rt_trade_t, role, ROLES),
    FSTR_OPT("strategy", rt_trade_t, strategy),
    FINT_OPT("position_id", rt_trade_t, position_id),
    FINT_OPT("exchange_trade_id", rt_trade_t, exchange_trade_id),
    FBOOL("demo", rt_trade_t, demo),
    FINT("timestamp", rt_trade_t, timestamp),
};

static const field_t position_fields[] = {
    FINT("id", rt_position_t, id),
    FSTR("symbol", rt_position_t, symbol),
    FSTR_OPT("strategy", rt_position_t, strategy),
    FENUM("status", rt_position_t, status, POSITION_STATUSES),
    FMONEY("entry_price", rt_position_t, entry_price),
    FMONEY("quantity", rt_position_t, quantity),
    FMONEY("initial_quantity", rt_position_t, initial_quantity),
    FMONEY_OPT("stop_loss", rt_position_t, stop_loss),
    FMONEY_OPT("take_profit", rt_position_t, take_profit),
    FBOOL("trailing_active", rt_position_t, trailing_active),
    FMONEY_OPT("highest_price", rt_position_t, highest_price),
    FMONEY_OPT("trailing_stop", rt_position_t, trailing_stop),
    FBOOL("partial_taken", rt_position_t, partial_taken),
    FBOOL("breakeven_armed", rt_position_t, breakeven_armed),
    FMONEY_OPT("exit_price", rt_position_t, exit_price),
    FMONEY("realized_pnl", rt_position_t, realized_pnl),
    FMONEY("fees", rt_position_t, fees),
    FBOOL("demo", rt_position_t, demo),
    FINT("opened_at", rt_position_t, opened_at),
    FINT_OPT("closed_at", rt_position_t, closed_at),
    FSTR_OPT("exit_reason", rt_position_t, exit_reason),
    FINT("updated_at", rt_position_t, updated_at),
};

static const field_t risk_fields[] = {
    FBOOL("paused", rt_risk_t, paused),
    FBOOL("halted", rt_risk_t, halted),
    FSTR_OPT("reason", rt_risk_t, reason),
};

static int check_opt_row_id(const ctx_t *c, const char *key, int64_t v)
{
    if (v < 0)
        return fail(c, RT_EINVAL, key, "must be > 0 (0 for none)");
    return RT_OK;
}

static int order_check(const ctx_t *c, const rt_order_t *o)
{
    CHECK(check_row_id(c, "id", o->id));
    CHECK(check_client_id(c, "client_order_id", o->client_order_id, sizeof o->client_order_id));
    CHECK(check_opt_row_id(c, "exchange_order_id", o->exchange_order_id));
    CHECK(check_symbol(c, "symbol", o->symbol, sizeof o->symbol));
    CHECK(check_enum(c, "side", (int)o->side, &SIDES));
    CHECK(check_enum(c, "type", (int)o->type, &ORDER_TYPES));
    CHECK(check_enum(c, "status", (int)o->status, &ORDER_STATUSES));
    CHECK(check_nonneg(c, "quantity", o->quantity));
    CHECK(check_nonneg(c, "quote_quantity", o->quote_quantity));
    if (o->quantity == 0 && o->quote_quantity == 0)
        return fail(c, RT_EINVAL, "quantity", "quantity or quote_quantity is required");
    CHECK(check_nonneg(c, "price", o->price));
    if (o->type == RT_ORDER_LIMIT && o->price == 0)
        return fail(c, RT_EINVAL, "price", "is required for a LIMIT order");
    CHECK(check_nonneg(c, "filled_quantity", o->filled_quantity));
    if (o->quantity > 0 && o->filled_quantity > o->quantity)
        return fail(c, RT_EINVAL, "filled_quantity", "must be <= quantity");
    CHECK(check_nonneg(c, "filled_quote_quantity", o->filled_quote_quantity));
    CHECK(check_nonneg(c, "avg_price", o->avg_price));
    if (o->filled_quantity > 0 && o->avg_price == 0)
        return fail(c, RT_EINVAL, "avg_price", "is required once something is filled");
    CHECK(check_enum(c, "source", (int)o->source, &SOURCES));
    CHECK(check_name(c, "strategy", o->strategy, sizeof o->strategy,
                     o->source != RT_SOURCE_STRATEGY));
    CHECK(check_signal_id(c, "signal_id", o->signal_id, sizeof o->signal_id, true));
    CHECK(check_opt_row_id(c, "position_id", o->position_id));
    CHECK(check_term(c, "reason", o->reason, sizeof o->reason));
    CHECK(check_term(c, "error", o->error, sizeof o->error));
    CHECK(check_time(c, "created_at", o->created_at));
    if (o->updated_at < o->created_at)
        return fail(c, RT_EINVAL, "updated_at", "must be >= created_at");
    return RT_OK;
}

static int trade_check(const ctx_t *c, const rt_trade_t *t)
{
    CHECK(check_row_id(c, "id", t->id));
    CHECK(check_opt_row_id(c, "order_id", t->order_id));
    CHECK(check_client_id(c, "client_order_id", t->client_order_id, sizeof t->client_order_id));
    CHECK(check_symbol(c, "symbol", t->symbol, sizeof t->symbol));
    CHECK(check_enum(c, "side", (int)t->side, &SIDES));
    if (t->status != RT_ORDER_PARTIALLY_FILLED && t->status != RT_ORDER_FILLED)
        return fail(c, RT_EINVAL, "status", "must be PARTIALLY_FILLED or FILLED");
    CHECK(check_pos(c, "price", t->price));
    CHECK(check_pos(c, "quantity", t->quantity));
    CHECK(check_nonneg(c, "quote_quantity", t->quote_quantity));
    CHECK(check_nonneg(c, "fee", t->fee));
    if (t->fee_asset[0] != '\0' || t->fee > 0)
        CHECK(check_asset(c, "fee_asset", t->fee_asset, sizeof t->fee_asset));
    CHECK(check_enum(c, "role", (int)t->role, &ROLES));
    CHECK(check_name(c, "strategy", t->strategy, sizeof t->strategy, true));
    CHECK(check_opt_row_id(c, "position_id", t->position_id));
    CHECK(check_opt_row_id(c, "exchange_trade_id", t->exchange_trade_id));
    CHECK(check_time(c, "timestamp", t->timestamp));
    return RT_OK;
}

static int position_check(const ctx_t *c, const rt_position_t *p)
{
    CHECK(check_row_id(c, "id", p->id));
    CHECK(check_symbol(c, "symbol", p->symbol, sizeof p->symbol));
    CHECK(check_name(c, "strategy", p->strategy, sizeof p->strategy, true));
    CHECK(check_enum(c, "status", (int)p->status, &POSITION_STATUSES));
    CHECK(check_pos(c, "entry_price", p->entry_price));
    CHECK(check_nonneg(c, "quantity", p->quantity));
    CHECK(check_pos(c, "initial_quantity", p->initial_quantity));
    if (p->quantity > p->initial_quantity)
        return fail(c, RT_EINVAL, "quantity", "must be <= initial_quantity");
    CHECK(check_nonneg(c, "stop_loss", p->stop_loss));
    CHECK(check_nonneg(c, "take_profit", p->take_profit));
    CHECK(check_nonneg(c, "highest_price", p->highest_price));
    CHECK(check_nonneg(c, "trailing_stop", p->trailing_stop));
    CHECK(check_nonneg(c, "exit_price", p->exit_price));
    CHECK(check_money(c, "realized_pnl", p->realized_pnl));
    CHECK(check_nonneg(c, "fees", p->fees));
    CHECK(check_time(c, "opened_at", p->opened_at));
    if (p->status == RT_POSITION_OPEN && p->closed_at != 0)
        return fail(c, RT_EINVAL, "closed_at", "must be null while the position is open");
    if (p->status == RT_POSITION_CLOSED && (p->closed_at <= 0 || p->closed_at < p->opened_at))
        return fail(c, RT_EINVAL, "closed_at", "is required, >= opened_at, once closed");
    CHECK(check_term(c, "exit_reason", p->exit_reason, sizeof p->exit_reason));
    CHECK(check_time(c, "updated_at", p->updated_at));
    return RT_OK;
}

static int risk_check(const ctx_t *c, const rt_risk_t *r)
{
    return check_term(c, "reason", r->reason, sizeof r->reason);
}

static int event_check(const ctx_t *top, const rt_event_t *ev)
{
    const ctx_t c = {top->err, "data."};
    switch (ev->type) {
    case RT_EVENT_ORDER:
        return order_check(&c, &ev->u.order);
    case RT_EVENT_TRADE:
        return trade_check(&c, &ev->u.trade);
    case RT_EVENT_POSITION:
        return position_check(&c, &ev->u.position);
    case RT_EVENT_RISK:
        return risk_check(&c, &ev->u.risk);
    }
    return fail(top, RT_EINVAL, "type", "unknown value %d", (int)ev->type);
}

/* The field table of an event type (n = 0 for an unknown type). */
static const field_t *event_fields(rt_event_type_t type, size_t *n)
{
    switch (type) {
    case RT_EVENT_ORDER:
        *n = COUNT(order_fields);
        return order_fields;
    case RT_EVENT_TRADE:
        *n = COUNT(trade_fields);
        return trade_fields;
    case RT_EVENT_POSITION:
        *n = COUNT(position_fields);
        return position_fields;
    case RT_EVENT_RISK:
        *n = COUNT(risk_fields);
        return risk_fields;
    }
    *n = 0;
    return NULL;
}

int rt_msg_event_validate(const rt_event_t *ev, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    if (ev == NULL)
        return fail(&c, RT_EINVAL, "", "no event");
    return event_check(&c, ev);
}

int rt_msg_event_parse(const char *json, size_t len, rt_event_t *out, rt_msg_error_t *err)
{
    static const field_t type_field[] = {FENUM("type", rt_event_t, type, EVENT_TYPES)};
    const ctx_t c = {err, ""};
    const ctx_t data_ctx = {err, "data."};
    json_t *root = NULL;
    rt_event_t ev;
    memset(&ev, 0, sizeof ev);
    int rc = load_object(&c, json, len, &root);
    if (rc != RT_OK)
        goto out;
    rc = read_fields(&c, root, type_field, COUNT(type_field), &ev);
    if (rc != RT_OK)
        goto out;
    json_t *data = json_object_get(root, "data");
    if (data == NULL || json_is_null(data)) {
        rc = fail(&c, RT_EINVAL, "data", "is required");
        goto out;
    }
    if (!json_is_object(data)) {
        rc = fail(&c, RT_EINVAL, "data", "must be an object");
        goto out;
    }
    size_t n;
    const field_t *fields = event_fields(ev.type, &n);
    rc = read_fields(&data_ctx, data, fields, n, &ev.u);
    if (rc != RT_OK)
        goto out;
    rc = event_check(&c, &ev);
    if (rc != RT_OK)
        goto out;
    *out = ev;
out:
    json_decref(root);
    return rc;
}

int rt_msg_event_format(rt_jsonw_t *w, const rt_event_t *ev)
{
    if (rt_msg_event_validate(ev, NULL) != RT_OK)
        return RT_EINVAL;
    size_t n;
    const field_t *fields = event_fields(ev->type, &n);
    rt_jsonw_object_begin(w);
    rt_jsonw_kv_string(w, "type", rt_event_type_name(ev->type));
    rt_jsonw_key(w, "data");
    rt_jsonw_object_begin(w);
    write_fields(w, fields, n, &ev->u, false);
    rt_jsonw_object_end(w);
    return rt_jsonw_object_end(w);
}

/* ---- balances ---------------------------------------------------------------------------- */

static const field_t balance_fields[] = {
    FSTR("asset", rt_balance_t, asset),
    FMONEY("free", rt_balance_t, free),
    FMONEY("locked", rt_balance_t, locked),
    FMONEY("total", rt_balance_t, total),
    FMONEY("quote_value", rt_balance_t, quote_value),
};

static int balance_check(const ctx_t *c, const rt_balance_t *b)
{
    CHECK(check_asset(c, "asset", b->asset, sizeof b->asset));
    CHECK(check_nonneg(c, "free", b->free));
    CHECK(check_nonneg(c, "locked", b->locked));
    /* total is free + locked as the publisher computed it; not re-checked here, because a JSON
     * number beyond 15 significant digits reaches us rounded and the sum would not match */
    CHECK(check_nonneg(c, "total", b->total));
    CHECK(check_nonneg(c, "quote_value", b->quote_value));
    return RT_OK;
}

/* Checks entry i (prefix "[i].") and that its asset did not appear before. */
static int balance_check_at(rt_msg_error_t *err, const rt_balance_t *all, size_t i)
{
    char prefix[32];
    snprintf(prefix, sizeof prefix, "[%zu].", i);
    const ctx_t c = {err, prefix};
    CHECK(balance_check(&c, &all[i]));
    for (size_t j = 0; j < i; j++) {
        if (strcmp(all[j].asset, all[i].asset) == 0)
            return fail(&c, RT_EINVAL, "asset", "'%s' appears twice", all[i].asset);
    }
    return RT_OK;
}

int rt_msg_balances_validate(const rt_balance_t *b, size_t n, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    if (b == NULL && n > 0)
        return fail(&c, RT_EINVAL, "", "no balances");
    for (size_t i = 0; i < n; i++)
        CHECK(balance_check_at(err, b, i));
    return RT_OK;
}

int rt_msg_balances_parse(const char *json, size_t len, rt_balance_t *out, size_t cap,
                          size_t *count, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    json_t *root = NULL;
    int rc = load(&c, json, len, &root);
    if (rc != RT_OK)
        goto out;
    if (!json_is_array(root)) {
        rc = fail(&c, RT_EINVAL, "", "message must be a JSON array");
        goto out;
    }
    size_t n = json_array_size(root);
    if (n > cap) {
        rc = fail(&c, RT_ETOOBIG, "", "%zu balances, room for %zu", n, cap);
        goto out;
    }
    /* Two passes so that out is written only on success: the first reads each entry into a
     * local and checks it, the second (which cannot fail) stores them. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            char prefix[32];
            snprintf(prefix, sizeof prefix, "[%zu].", i);
            const ctx_t ec = {err, prefix};
            json_t *item = json_array_get(root, i);
            if (!json_is_object(item)) {
                rc = fail(&ec, RT_EINVAL, "", "must be an object");
                goto out;
            }
            rt_balance_t b;
            memset(&b, 0, sizeof b);
            rc = read_fields(&ec, item, balance_fields, COUNT(balance_fields), &b);
            if (rc != RT_OK)
                goto out;
            if (pass == 0) {
                rc = balance_check(&ec, &b);
                if (rc != RT_OK)
                    goto out;
                /* duplicates: the earlier entries passed, so their assets are strings */
                for (size_t j = 0; j < i; j++) {
                    const json_t *a = json_object_get(json_array_get(root, j), "asset");
                    if (strcmp(json_string_value(a), b.asset) == 0) {
                        rc = fail(&ec, RT_EINVAL, "asset", "'%s' appears twice", b.asset);
                        goto out;
                    }
                }
            } else {
                out[i] = b;
            }
        }
    }
    *count = n;
out:
    json_decref(root);
    return rc;
}

int rt_msg_balances_format(rt_jsonw_t *w, const rt_balance_t *b, size_t n)
{
    if (rt_msg_balances_validate(b, n, NULL) != RT_OK)
        return RT_EINVAL;
    rt_jsonw_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        rt_jsonw_object_begin(w);
        write_fields(w, balance_fields, COUNT(balance_fields), &b[i], false);
        rt_jsonw_object_end(w);
    }
    return rt_jsonw_array_end(w);
}

/* ---- total balance ----------------------------------------------------------------------- */

static const field_t total_fields[] = {
    FMONEY("total_quote", rt_total_balance_t, total_quote),
    FSTR("asset", rt_total_balance_t, asset),
};

static int total_check(const ctx_t *c, const rt_total_balance_t *t)
{
    CHECK(check_nonneg(c, "total_quote", t->total_quote));
    CHECK(check_asset(c, "asset", t->asset, sizeof t->asset));
    return RT_OK;
}

int rt_msg_total_balance_validate(const rt_total_balance_t *t, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    if (t == NULL)
        return fail(&c, RT_EINVAL, "", "no total balance");
    return total_check(&c, t);
}

int rt_msg_total_balance_parse(const char *json, size_t len, rt_total_balance_t *out,
                               rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    json_t *root = NULL;
    rt_total_balance_t t;
    memset(&t, 0, sizeof t);
    int rc = load_object(&c, json, len, &root);
    if (rc != RT_OK)
        goto out;
    rc = read_fields(&c, root, total_fields, COUNT(total_fields), &t);
    if (rc != RT_OK)
        goto out;
    rc = total_check(&c, &t);
    if (rc != RT_OK)
        goto out;
    *out = t;
out:
    json_decref(root);
    return rc;
}

int rt_msg_total_balance_format(rt_jsonw_t *w, const rt_total_balance_t *t)
{
    if (rt_msg_total_balance_validate(t, NULL) != RT_OK)
        return RT_EINVAL;
    rt_jsonw_object_begin(w);
    write_fields(w, total_fields, COUNT(total_fields), t, false);
    return rt_jsonw_object_end(w);
}

/* ---- log line ---------------------------------------------------------------------------- */

static const field_t logline_fields[] = {
    FINT("ts", rt_logline_t, ts),
    FSTR("service", rt_logline_t, service),
    FENUM("level", rt_logline_t, level, LEVELS),
    FSTR_OPT("module", rt_logline_t, module),
    FSTR("msg", rt_logline_t, msg),
};

static int logline_check(const ctx_t *c, const rt_logline_t *l)
{
    CHECK(check_time(c, "ts", l->ts));
    CHECK(check_printable(c, "service", l->service, sizeof l->service));
    CHECK(check_enum(c, "level", (int)l->level, &LEVELS));
    CHECK(check_term(c, "module", l->module, sizeof l->module));
    CHECK(check_term(c, "msg", l->msg, sizeof l->msg));
    return RT_OK;
}

int rt_msg_logline_validate(const rt_logline_t *l, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    if (l == NULL)
        return fail(&c, RT_EINVAL, "", "no log line");
    return logline_check(&c, l);
}

int rt_msg_logline_parse(const char *json, size_t len, rt_logline_t *out, rt_msg_error_t *err)
{
    const ctx_t c = {err, ""};
    json_t *root = NULL;
    /* rt_logline_t is over 1 KiB: still fine on any thread's stack. */
    rt_logline_t l;
    memset(&l, 0, sizeof l);
    int rc = load_object(&c, json, len, &root);
    if (rc != RT_OK)
        goto out;
    rc = read_fields(&c, root, logline_fields, COUNT(logline_fields), &l);
    if (rc != RT_OK)
        goto out;
    rc = logline_check(&c, &l);
    if (rc != RT_OK)
        goto out;
    *out = l;
out:
    json_decref(root);
    return rc;
}

int rt_msg_logline_format(rt_jsonw_t *w, const rt_logline_t *l)
{
    if (rt_msg_logline_validate(l, NULL) != RT_OK)
        return RT_EINVAL;
    rt_jsonw_object_begin(w);
    write_fields(w, logline_fields, COUNT(logline_fields), l, false);
    return rt_jsonw_object_end(w);
}
