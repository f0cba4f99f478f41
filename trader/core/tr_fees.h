/* Commissions valued in the quote asset, for the books. Binance charges a fill's commission in
 * the asset received (base for a BUY, quote for a SELL), or in BNB when the account pays fees
 * with BNB. The books (tr_books.h, and the positions of rt-trader) keep fees in the quote
 * asset, so a commission in the base asset is valued at the fill's price and one in a third
 * asset at the latest price of <asset><quote> the caller knows. Pure: no I/O, no clock. */
#ifndef TR_FEES_H
#define TR_FEES_H

#include "rt/money.h"

/** The commission fee, paid in fee_asset, of a fill of base/quote at price, valued in quote:
 *  - fee_asset == quote: fee itself;
 *  - fee_asset == base: fee x price, rounded up to 1e-8;
 *  - another asset (BNB): fee x other_price, rounded up, where other_price is the latest price
 *    of <fee_asset><quote> the caller knows (<= 0: none).
 *  A fee of 0 is worth 0 whatever its asset. Returns 0 and *out; RT_ENOTFOUND when the fee is
 *  in a third asset and other_price <= 0 (unvalued: the caller must not guess); RT_EINVAL on
 *  NULL, an empty asset name, a negative fee, or price <= 0 for a base-asset fee; RT_ERANGE on
 *  overflow. *out is written only on success. */
int tr_fee_value(rt_money_t fee, const char *fee_asset, const char *base, const char *quote,
                 rt_money_t price, rt_money_t other_price, rt_money_t *out);

#endif
