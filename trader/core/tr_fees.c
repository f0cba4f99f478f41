#include "tr_fees.h"

#include <stddef.h>
#include <string.h>

#include "rt/err.h"

int tr_fee_value(rt_money_t fee, const char *fee_asset, const char *base, const char *quote,
                 rt_money_t price, rt_money_t other_price, rt_money_t *out)
{
    if (fee_asset == NULL || base == NULL || quote == NULL || out == NULL || base[0] == '\0' ||
        quote[0] == '\0' || fee < 0)
        return RT_EINVAL;
    if (fee == 0) {
        *out = 0;
        return RT_OK;
    }
    if (fee_asset[0] == '\0')
        return RT_EINVAL;
    if (strcmp(fee_asset, quote) == 0) {
        *out = fee;
        return RT_OK;
    }
    rt_money_t p = other_price;
    if (strcmp(fee_asset, base) == 0) {
        if (price <= 0)
            return RT_EINVAL;
        p = price;
    } else if (other_price <= 0) {
        return RT_ENOTFOUND;
    }
    rt_money_t v;
    int rc = rt_money_mul(fee, p, RT_ROUND_UP, &v);
    if (rc != RT_OK)
        return rc;
    *out = v;
    return RT_OK;
}
