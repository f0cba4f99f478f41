/* Small string helpers the services share: bounded copies that report truncation, strict number
 * parsing, slices (trim, split without touching the input), ASCII case-insensitive compare,
 * UTF-8 validation, hex encoding, constant-time compare, and escaping of outside text before it
 * goes into a message or a log line. Nothing here allocates; nothing depends on the locale. */
#ifndef RT_STR_H
#define RT_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A borrowed piece of a string: p points into someone else's buffer, n bytes, no NUL needed. */
typedef struct {
    const char *p;
    size_t n;
} rt_str_slice_t;

/** Copies the NUL-terminated src into dst (cap bytes, NUL included). Returns 0, RT_EINVAL when
 *  an argument is NULL or cap is 0, RT_ETOOBIG when src does not fit: then dst is left as it
 *  was (never a silently cut copy). */
int rt_str_copy(char *dst, size_t cap, const char *src);

/** Copies n bytes of src and a NUL into dst (cap bytes). Same returns as rt_str_copy; src need
 *  not be NUL-terminated (a slice). */
int rt_str_copy_n(char *dst, size_t cap, const char *src, size_t n);

/** Parses the whole of s as a decimal int64: optional sign, digits, nothing else (no spaces,
 *  no hex, no empty string). Returns 0, RT_EINVAL when malformed, RT_ERANGE on overflow.
 *  *out is written only on success. */
int rt_str_parse_int64(const char *s, int64_t *out);

/** Parses the whole of s as a finite decimal number ("2", "-0.5", "1e-3", ".5"): no spaces, no
 *  hex, no inf/nan. Returns 0, RT_EINVAL when malformed, RT_ERANGE when it overflows or
 *  underflows a double. *out is written only on success. Not for money (see rt/money.h). */
int rt_str_parse_double(const char *s, double *out);

/** The slice s[0..n) without leading and trailing spaces, tabs, CR and LF (borrowed). */
rt_str_slice_t rt_str_trim(const char *s, size_t n);

/** True when a and b are equal ignoring ASCII case (locale-independent); false if either is
 *  NULL. */
bool rt_str_ieq(const char *a, const char *b);

/** True when the n bytes at s equal the NUL-terminated lit ignoring ASCII case. */
bool rt_str_ieq_n(const char *s, size_t n, const char *lit);

/** Upper-cases the ASCII letters of s in place (other bytes untouched). */
void rt_str_upper(char *s);

/** Splits s[0..n) on delim into slots (borrowed slices of s; s is not modified): "a,,b" gives
 *  "a", "", "b"; an empty s gives one empty slice. Returns 0 and the number of parts in *count,
 *  RT_EINVAL on a NULL argument, RT_ETOOBIG when there are more than max parts (then *count and
 *  slots are not to be used). */
int rt_str_split(const char *s, size_t n, char delim, rt_str_slice_t *slots, size_t max,
                 size_t *count);

/** True when s[0..n) is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
 *  NUL bytes count as valid (U+0000); check for them separately if they matter. */
bool rt_str_utf8_valid(const char *s, size_t n);

/** Writes the n bytes of data as lower-case hex and a NUL into dst (needs 2n+1 bytes).
 *  Returns 0, RT_EINVAL on NULL, RT_ETOOBIG when cap is too small (dst untouched). */
int rt_str_hex_encode(const void *data, size_t n, char *dst, size_t cap);

/** Compares a value given by a client with the expected secret (e.g. an API token) in time that
 *  depends only on given_n, never on where the bytes differ. Returns true when equal. */
bool rt_str_ct_equal(const void *given, size_t given_n, const void *expected, size_t expected_n);

/** Writes s[0..n) as safe printable ASCII for a message or a log line: `"` and `\` escaped,
 *  \n \r \t as such, any other byte outside 0x20..0x7e as \xNN. When it does not fit in cap,
 *  it is cut at an escape boundary and ends with "...". Always NUL-terminates when cap > 0.
 *  Returns the length written (0 when cap is 0). */
size_t rt_str_escape(char *dst, size_t cap, const char *s, size_t n);

#endif
