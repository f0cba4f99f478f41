/* HMAC-SHA256: Binance's documented vectors (binance-spot.md section 3) and RFC 4231. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/hmac.h"

#define SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
#define APIKEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"

static const struct {
    const char *name;
    const char *key;
    const char *payload;
    const char *hex;
} vectors[] = {
    {"R1", SECRET,
     "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
     "timestamp=1499827319559",
     "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"},
    {"R2", SECRET,
     "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"
     "timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
     "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"},
    /* query "...timeInForce=GTC" + body "quantity=1...", no '&' between them */
    {"R3", SECRET,
     "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&"
     "timestamp=1499827319559",
     "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"},
    {"W1", SECRET,
     "apiKey=" APIKEY "&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&"
     "symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT",
     "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"},
    {"W2", SECRET,
     "apiKey=" APIKEY "&price=0.10000000&quantity=1.00000000&recvWindow=5000&side=BUY&"
     "symbol=\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96&"
     "timeInForce=GTC&timestamp=1645423376532&type=LIMIT",
     "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd"},
    {"W3", SECRET, "apiKey=" APIKEY "&timestamp=1649729878532",
     "1cf54395b336b0a9727ef27d5d98987962bc47aca6e13fe978612d0adee066ed"},
    {"RFC4231-2", "Jefe", "what do ya want for nothing?",
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
};

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        char out[RT_HMAC_HEX_CAP];
        int rc = rt_hmac_sha256_hex(vectors[i].key, strlen(vectors[i].key), vectors[i].payload,
                                    strlen(vectors[i].payload), out);
        if (rc != RT_OK || strcmp(out, vectors[i].hex) != 0)
            fail_msg("%s: rc=%d got %s want %s", vectors[i].name, rc, rc == RT_OK ? out : "-",
                     vectors[i].hex);
        rc = rt_hmac_sha256_verify(vectors[i].key, strlen(vectors[i].key), vectors[i].payload,
                                   strlen(vectors[i].payload), vectors[i].hex, RT_HMAC_HEX_LEN);
        if (rc != RT_OK)
            fail_msg("%s: verify rc=%d", vectors[i].name, rc);
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char out[RT_HMAC_HEX_CAP] = "untouched";
    assert_int_equal(rt_hmac_sha256_hex(NULL, 3, "x", 1, out), RT_EINVAL);
    assert_int_equal(rt_hmac_sha256_hex("k", 1, NULL, 1, out), RT_EINVAL);
    assert_int_equal(rt_hmac_sha256_hex("k", 1, "x", 1, NULL), RT_EINVAL);
    assert_string_equal(out, "untouched");
    /* empty key and empty data are valid HMAC inputs (RFC 2104) */
    assert_int_equal(rt_hmac_sha256_hex(NULL, 0, NULL, 0, out), RT_OK);
    assert_string_equal(out, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

static void test_hex_equal(void **state)
{
    (void)state;
    const char *r1 = vectors[0].hex;
    char upper[RT_HMAC_HEX_CAP];
    for (size_t i = 0; i < RT_HMAC_HEX_CAP; i++)
        upper[i] = (r1[i] >= 'a' && r1[i] <= 'f') ? (char)(r1[i] - 'a' + 'A') : r1[i];
    char flipped[RT_HMAC_HEX_CAP];
    memcpy(flipped, r1, sizeof flipped);
    flipped[63] = flipped[63] == '1' ? '0' : '1';
    char nonhex[RT_HMAC_HEX_CAP];
    memcpy(nonhex, r1, sizeof nonhex);
    nonhex[10] = 'g';

    static const char *secret = SECRET;
    static const char *payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&"
                                 "price=0.1&recvWindow=5000&timestamp=1499827319559";
    const struct {
        const char *name;
        const char *b;
        size_t blen;
        bool equal;
    } cases[] = {
        {"same", r1, 64, true},
        {"upper case", upper, 64, true},
        {"one digit off", flipped, 64, false},
        {"non-hex digit", nonhex, 64, false},
        {"shorter", r1, 62, false},
        {"odd length", r1, 63, false},
        {"empty", r1, 0, false},
        {"NULL", NULL, 64, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool got = rt_hmac_hex_equal(r1, 64, cases[i].b, cases[i].blen);
        if (got != cases[i].equal)
            fail_msg("%s: equal=%d want %d", cases[i].name, got, cases[i].equal);
        int rc = rt_hmac_sha256_verify(secret, strlen(secret), payload, strlen(payload), cases[i].b,
                                       cases[i].blen);
        if (rc != (cases[i].equal ? RT_OK : RT_EAUTH))
            fail_msg("%s: verify rc=%d", cases[i].name, rc);
    }
    /* the same bytes, shorter than a SHA-256 digest: equal to each other, not a signature */
    assert_true(rt_hmac_hex_equal("00ff", 4, "00FF", 4));
    assert_int_equal(rt_hmac_sha256_verify("k", 1, "x", 1, "00ff", 4), RT_EAUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_hex_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
