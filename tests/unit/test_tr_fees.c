/* Commissions valued in the quote asset (tr_fees.h): quote as is, base at the fill's price,
 * a third asset (BNB) at its own price, and unvalued (never guessed) without that price. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rt/err.h"
#include "rt/money.h"
#include "tr_fees.h"

static rt_money_t M(const char *s)
{
    rt_money_t v = 0;
    if (rt_money_parse(s, &v) != RT_OK)
        fail_msg("bad money literal %s", s);
    return v;
}

static void test_fee_value_table(void **state)
{
    (void)state;
    static const struct {
        const char *fee, *asset, *price, *other;
        int rc;
        const char *want;
    } cases[] = {
        {"0.06", "USDC", "60000", "0", RT_OK, "0.06"},              /* quote: as is */
        {"0.000001", "BTC", "60000", "0", RT_OK, "0.06"},           /* base at the fill price */
        {"0.00000001", "BTC", "60000.5", "0", RT_OK, "0.00060001"}, /* rounded up */
        {"0.0001", "BNB", "60000", "600", RT_OK, "0.06"},           /* BNB at BNBUSDC */
        {"0.00000003", "BNB", "60000", "612.34", RT_OK, "0.00001838"},
        {"0.0001", "BNB", "60000", "0", RT_ENOTFOUND, NULL}, /* no BNB price: unvalued */
        {"0.0001", "BNB", "60000", "-1", RT_ENOTFOUND, NULL},
        {"0", "BNB", "60000", "0", RT_OK, "0"}, /* nothing to value */
        {"0", "", "60000", "0", RT_OK, "0"},
        {"0.0001", "", "60000", "600", RT_EINVAL, NULL},
        {"-0.0001", "USDC", "60000", "0", RT_EINVAL, NULL},
        {"0.000001", "BTC", "0", "600", RT_EINVAL, NULL},
        {"90000000000", "BNB", "60000", "90000000000", RT_ERANGE, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rt_money_t out = M("123");
        int rc = tr_fee_value(M(cases[i].fee), cases[i].asset, "BTC", "USDC", M(cases[i].price),
                              M(cases[i].other), &out);
        if (rc != cases[i].rc)
            fail_msg("case %zu: rc %d, want %d", i, rc, cases[i].rc);
        if (cases[i].want) {
            if (out != M(cases[i].want))
                fail_msg("case %zu: value %lld, want %s", i, (long long)out, cases[i].want);
        } else if (out != M("123")) {
            fail_msg("case %zu: out written on failure", i);
        }
    }
    rt_money_t out;
    assert_int_equal(tr_fee_value(1, NULL, "BTC", "USDC", 1, 1, &out), RT_EINVAL);
    assert_int_equal(tr_fee_value(1, "BNB", "", "USDC", 1, 1, &out), RT_EINVAL);
    assert_int_equal(tr_fee_value(1, "BNB", "BTC", "USDC", 1, 1, NULL), RT_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fee_value_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
