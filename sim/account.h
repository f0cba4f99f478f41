/* The simulator's account and order endpoints (Binance's SIGNED ones), as pure functions over
 * one account's state: balances, open and past orders, fills against the simulated price.
 *
 *   POST   /api/v3/order        MARKET (quantity or quoteOrderQty), LIMIT GTC (rests)
 *   POST   /api/v3/order/test   the same checks, nothing executed: {}
 *   GET    /api/v3/order        by orderId or origClientOrderId
 *   DELETE /api/v3/order        cancels a resting LIMIT order
 *   GET    /api/v3/account      balances (free, locked), commission rates
 *   GET    /api/v3/openOrders   optionally one symbol
 *
 * Every one needs X-MBX-APIKEY (-2014 absent or malformed, -2015 not ours), a signature over
 * the percent-encoded query text followed by the raw body, without the signature pair itself
 * (-1022), and a timestamp inside the window (-1021):
 *   too old:   timestamp < wall clock - recvWindow
 *   too new:   timestamp > simulated clock + 1000
 * At SIM_SPEED=1 both clocks are the same, which is Binance's rule. At higher speeds a client
 * that synced with /api/v3/time stamps with a clock that runs at 1x from a simulated instant,
 * so its timestamps sit between the wall clock and the simulated one: both bounds hold.
 *
 * Fills (the trader's pure core, trader/core/tr_fill.h and tr_filters.h):
 *   MARKET  at once, whole, as taker, at sim_market_last_price (no slippage).
 *   LIMIT   crossing the price when placed (BUY at or above it, SELL at or below): fills at
 *           once as taker at the last price. Otherwise rests (BUY locks quantity * price in
 *           the quote asset, SELL locks the quantity) and fills whole at its price as maker
 *           once the market trades at or through it: the low (BUY) or high (SELL) of the 1s
 *           klines since the last check, or the last price (sim_account_match, called every
 *           market step and before every signed request).
 *   Commission is Binance's rule without BNB: charged in the asset received, the base asset
 *   for a BUY (quantity * rate, rounded up) and the quote asset for a SELL (quote * rate,
 *   rounded up). A BUY spends exactly quantity * price (rounded up).
 *
 * One account per simulator: the API key and secret of SIM_API_KEY / SIM_SECRET_KEY, with the
 * starting balances of SIM_BALANCES. Not thread-safe (the server has one thread). */
#ifndef SIM_ACCOUNT_H
#define SIM_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "market.h"
#include "rest.h"
#include "rt/money.h"

/** The most assets an account holds, and orders it remembers (the oldest finished ones are
 *  forgotten first; open orders are never dropped: a new one is refused when all are open). */
#define SIM_ACCOUNT_ASSETS 64
#define SIM_ACCOUNT_ORDERS 4096

typedef struct sim_account sim_account_t;

typedef struct {
    const char *api_key;    /* X-MBX-APIKEY accepted; copied */
    const char *secret_key; /* HMAC key; copied, wiped on free */
    const char *balances;   /* "USDC=10000,BTC=0.5": starting free balances */
    rt_money_t taker_fee;   /* fraction: 0.001 = 0.1 % (RT_MONEY_UNITS scale) */
    rt_money_t maker_fee;
    /* NULL or "": commissions in the asset received (Binance without BNB). "BNB" (any asset
     * name): the commission is charged in that asset instead, valued at the last price of
     * <asset><quote>, when the symbol is listed and the account holds enough free of it;
     * otherwise in the asset received (Binance's "pay fees with BNB"). */
    const char *fee_asset;
} sim_account_config_t;

/** Creates the account. Returns 0 and *out (free with sim_account_free), RT_EINVAL for an
 *  empty key or secret, a bad balance list (why says which entry, when why is not NULL) or
 *  a fee outside [0, 1), a fee_asset that is not 1-15 of A-Z0-9, RT_ENOMEM. */
int sim_account_new(const sim_account_config_t *cfg, sim_account_t **out, char *why, size_t cap);

/** Wipes the secret and frees the account. NULL is a no-op. */
void sim_account_free(sim_account_t *a);

/** The balance of asset (0 and 0 for an asset never held). Returns 0, RT_EINVAL on NULL. */
int sim_account_balance(const sim_account_t *a, const char *asset, rt_money_t *free_out,
                        rt_money_t *locked_out);

/** Tries every resting order against what its symbol traded since the order's last check
 *  (the 1s klines' low and high, and the last price); those reached fill (as maker, at their
 *  price) at now_ms. Returns how many filled. */
size_t sim_account_match(sim_account_t *a, const sim_market_t *m, int64_t now_ms);

/** Answers one signed request (the routes above) into resp, as sim_rest_handle does for the
 *  public ones: 0 with any status in resp, RT_ENOMEM / RT_ETOOBIG when the body could not be
 *  written. a may be NULL (no keys configured): every request then gets -2015. */
int sim_account_handle(sim_account_t *a, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                       sim_rest_resp_t *resp);

#endif
