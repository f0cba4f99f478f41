/* A small JSON writer into a growable buffer.
 *
 * Why our own: jansson prints numbers only from doubles, which would corrupt money; parsing
 * stays with jansson. Money goes out as an exact JSON number ("55445.8"), never through double.
 *
 *   rt_jsonw_t w;
 *   rt_jsonw_init(&w);
 *   rt_jsonw_object_begin(&w);
 *   rt_jsonw_kv_string(&w, "symbol", "BTCUSDC");
 *   rt_jsonw_kv_money(&w, "price", price);
 *   rt_jsonw_object_end(&w);
 *   if (rt_jsonw_finish(&w) == 0)
 *       publish(rt_jsonw_data(&w), rt_jsonw_len(&w));
 *   rt_jsonw_reset(&w);   // next message reuses the buffer
 *   ...
 *   rt_jsonw_cleanup(&w);
 *
 * Commas and colons are written automatically. Errors are sticky: the first one is kept, every
 * later call does nothing and returns it, so a caller may check once at the end (finish). Once
 * the buffer has grown to the size of a message, writing allocates nothing.
 *
 * Not thread-safe: one writer per thread. No I/O. */
#ifndef RT_JSONW_H
#define RT_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt/money.h"

/** Deepest nesting of objects and arrays a writer accepts. */
#define RT_JSONW_DEPTH_MAX 32

/** A writer. Caller-owned (usually on the stack or in a context struct); the fields are
 *  private: use the functions below. */
typedef struct {
    char *buf;      /* owned; NUL-terminated once anything is written */
    size_t len;     /* bytes written, without the NUL */
    size_t cap;     /* bytes allocated */
    int err;        /* first error (sticky), 0 if none */
    unsigned depth; /* open containers */
    bool after_key; /* a key was written, its value is due */
    bool done;      /* a complete top-level value was written */
    bool is_object[RT_JSONW_DEPTH_MAX];
    bool nonempty[RT_JSONW_DEPTH_MAX];
} rt_jsonw_t;

/** Initialises an empty writer (allocates nothing yet). Never fails. */
void rt_jsonw_init(rt_jsonw_t *w);

/** Frees the buffer; the writer may be initialised again. NULL is a no-op. */
void rt_jsonw_cleanup(rt_jsonw_t *w);

/** Empties the writer for the next document, keeping its buffer (no allocation on reuse) and
 *  clearing any error. */
void rt_jsonw_reset(rt_jsonw_t *w);

/** The text written so far, NUL-terminated (borrowed: valid until the next write, reset or
 *  cleanup). "" when nothing was written. */
const char *rt_jsonw_data(const rt_jsonw_t *w);

/** Length of the text written so far, without the NUL. */
size_t rt_jsonw_len(const rt_jsonw_t *w);

/** Returns 0 when the writer holds one complete JSON value and no error happened; the sticky
 *  error otherwise, or RT_ESTATE when a container is still open or nothing was written. */
int rt_jsonw_finish(const rt_jsonw_t *w);

/* Every writing function below returns 0, or the writer's (sticky) error:
 *   RT_ESTATE  misuse: a value in an object without a key, a key outside an object, a
 *              mismatched end, a second top-level value;
 *   RT_ETOOBIG nesting deeper than RT_JSONW_DEPTH_MAX, or a buffer over SIZE_MAX/2;
 *   RT_ENOMEM  allocation failed;
 *   RT_EINVAL  NULL argument. */

/** Opens an object: '{'. */
int rt_jsonw_object_begin(rt_jsonw_t *w);

/** Closes the innermost object: '}'. RT_ESTATE if it is not an object or a value is due. */
int rt_jsonw_object_end(rt_jsonw_t *w);

/** Opens an array: '['. */
int rt_jsonw_array_begin(rt_jsonw_t *w);

/** Closes the innermost array: ']'. RT_ESTATE if it is not an array. */
int rt_jsonw_array_end(rt_jsonw_t *w);

/** Writes an object key (NUL-terminated, escaped like a string) and the colon. */
int rt_jsonw_key(rt_jsonw_t *w, const char *key);

/** Writes a string value (NUL-terminated). Escapes '"', '\\' and control characters (as
 *  \u00XX); each byte that is not part of valid UTF-8 is written as \ufffd, so the output is
 *  always valid JSON. */
int rt_jsonw_string(rt_jsonw_t *w, const char *s);

/** rt_jsonw_string over exactly n bytes (which may include NUL bytes, written as \u0000). */
int rt_jsonw_string_n(rt_jsonw_t *w, const char *s, size_t n);

/** Writes an integer. */
int rt_jsonw_int(rt_jsonw_t *w, int64_t v);

/** Writes true or false. */
int rt_jsonw_bool(rt_jsonw_t *w, bool v);

/** Writes null. */
int rt_jsonw_null(rt_jsonw_t *w);

/** Writes money as an exact JSON number, shortest form (55445.8, 0, -0.001): never through
 *  double. */
int rt_jsonw_money(rt_jsonw_t *w, rt_money_t v);

/** Writes a double as the shortest of %.15g/%.16g/%.17g that reads back equal (28.5, 0.1,
 *  1e+21); -0 as 0; NaN and infinities as null. Assumes the C locale's '.' (the services
 *  never call setlocale). */
int rt_jsonw_double(rt_jsonw_t *w, double v);

/** Writes n bytes of pre-formatted JSON as one value, unchecked: the caller guarantees it is
 *  one valid JSON value. */
int rt_jsonw_raw(rt_jsonw_t *w, const char *json, size_t n);

/* Key and value in one call: rt_jsonw_key followed by the value function. */

/** key: string. */
int rt_jsonw_kv_string(rt_jsonw_t *w, const char *key, const char *s);
/** key: integer. */
int rt_jsonw_kv_int(rt_jsonw_t *w, const char *key, int64_t v);
/** key: true|false. */
int rt_jsonw_kv_bool(rt_jsonw_t *w, const char *key, bool v);
/** key: null. */
int rt_jsonw_kv_null(rt_jsonw_t *w, const char *key);
/** key: exact money number. */
int rt_jsonw_kv_money(rt_jsonw_t *w, const char *key, rt_money_t v);
/** key: double (null when not finite). */
int rt_jsonw_kv_double(rt_jsonw_t *w, const char *key, double v);

#endif
