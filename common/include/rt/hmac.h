/* HMAC-SHA256 as Binance signs requests: the hex digest of HMAC(secret, payload), and a
 * constant-time comparison of hex signatures for whoever verifies them (the simulator). */
#ifndef RT_HMAC_H
#define RT_HMAC_H

#include <stdbool.h>
#include <stddef.h>

/** Length of a hex SHA-256 digest, and the buffer it needs with its NUL. */
#define RT_HMAC_HEX_LEN 64
#define RT_HMAC_HEX_CAP 65

/** Writes the lower-case hex HMAC-SHA256 of data[0..len) under key[0..keylen) into out
 *  (RT_HMAC_HEX_CAP bytes, NUL-terminated). key may be NULL only when keylen is 0, data only
 *  when len is 0. Nothing is kept: the caller owns key, data and out.
 *  Returns 0, RT_EINVAL for a NULL out or pointer/length mismatch or a key longer than
 *  INT_MAX, RT_EIO when OpenSSL fails. out is written only on success. */
int rt_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
                       char out[RT_HMAC_HEX_CAP]);

/** True when a[0..alen) and b[0..blen) are hex strings of the same non-zero even length (at
 *  most 128 digits) naming the same bytes; case does not matter (Binance accepts either).
 *  The bytes are compared in constant time (CRYPTO_memcmp). False for NULL, odd length or a
 *  non-hex digit. */
bool rt_hmac_hex_equal(const char *a, size_t alen, const char *b, size_t blen);

/** Recomputes HMAC-SHA256(key, data) and compares it with sig_hex[0..sig_len) in constant
 *  time. Returns 0 when it matches, RT_EAUTH when it does not (or sig_hex is not 64 hex
 *  digits), RT_EINVAL / RT_EIO as rt_hmac_sha256_hex. */
int rt_hmac_sha256_verify(const void *key, size_t keylen, const void *data, size_t len,
                          const char *sig_hex, size_t sig_len);

#endif
