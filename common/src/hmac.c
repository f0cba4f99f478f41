/* HMAC-SHA256 through OpenSSL's one-shot HMAC() (not deprecated in 3.0, unlike HMAC_CTX). */
#include "rt/hmac.h"

#include <limits.h>
#include <stdint.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "rt/err.h"

#define HEX_MAX_BYTES 64

int rt_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
                       char out[RT_HMAC_HEX_CAP])
{
    static const char digits[] = "0123456789abcdef";
    static const unsigned char empty[1] = {0};
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int rc = RT_OK;

    if (out == NULL || (key == NULL && keylen != 0) || (data == NULL && len != 0) ||
        keylen > (size_t)INT_MAX)
        return RT_EINVAL;
    const unsigned char *res =
        HMAC(EVP_sha256(), key ? key : empty, (int)keylen, data ? data : empty, len, md, &md_len);
    if (res == NULL || md_len != RT_HMAC_HEX_LEN / 2) {
        rc = RT_EIO;
        goto out;
    }
    for (unsigned int i = 0; i < md_len; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 0x0f];
    }
    out[RT_HMAC_HEX_LEN] = '\0';
out:
    OPENSSL_cleanse(md, sizeof md);
    return rc;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes hex into bytes; returns the byte count, or 0 when the text is not even-length hex
 * of at most HEX_MAX_BYTES bytes. */
static size_t hex_decode(const char *s, size_t n, unsigned char *bytes)
{
    if (s == NULL || n == 0 || n % 2 != 0 || n / 2 > HEX_MAX_BYTES)
        return 0;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        bytes[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    return n / 2;
}

bool rt_hmac_hex_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char ab[HEX_MAX_BYTES], bb[HEX_MAX_BYTES];
    size_t an = hex_decode(a, alen, ab);
    size_t bn = hex_decode(b, blen, bb);
    return an != 0 && an == bn && CRYPTO_memcmp(ab, bb, an) == 0;
}

int rt_hmac_sha256_verify(const void *key, size_t keylen, const void *data, size_t len,
                          const char *sig_hex, size_t sig_len)
{
    char want[RT_HMAC_HEX_CAP];
    int rc = rt_hmac_sha256_hex(key, keylen, data, len, want);
    if (rc != RT_OK)
        return rc;
    if (sig_len != RT_HMAC_HEX_LEN || !rt_hmac_hex_equal(want, RT_HMAC_HEX_LEN, sig_hex, sig_len))
        rc = RT_EAUTH;
    OPENSSL_cleanse(want, sizeof want);
    return rc;
}
