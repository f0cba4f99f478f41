#include "account.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt/err.h"
#include "rt/hmac.h"
#include "rt/str.h"
#include "tr_fill.h"
#include "tr_filters.h"

#define KEY_CAP 129
#define CLIENT_ID_CAP 37 /* ^[a-zA-Z0-9-_]{1,36}$ */
#define RECV_WINDOW_DEFAULT 5000
#define RECV_WINDOW_MAX 60000
#define AHEAD_MAX_MS 1000

typedef enum { ST_NEW, ST_FILLED, ST_CANCELED } order_status_t;
typedef enum { RESP_ACK, RESP_RESULT, RESP_FULL } resp_type_t;

typedef struct {
    int64_t order_id;
    char client_id[CLIENT_ID_CAP];
    size_t sym; /* market index */
    char symbol[RT_SYMBOL_CAP];
    rt_side_t side;
    tr_order_type_t type;
    rt_money_t price; /* LIMIT price; 0 for MARKET */
    rt_money_t orig_qty;
    rt_money_t orig_quote_qty; /* quoteOrderQty, 0 when not used */
    rt_money_t executed_qty;
    rt_money_t cum_quote;
    order_status_t status;
    int64_t time;
    int64_t update_time;
    tr_limit_order_t lim; /* a resting LIMIT order's lock (tr_fill) */
    int64_t checked_ms;   /* a resting order has seen the market's trades up to here */
    bool has_fill;
    tr_fill_t fill;
    int64_t trade_id;
} order_t;

typedef struct {
    char asset[RT_ASSET_CAP];
    rt_money_t free;
    rt_money_t locked;
} balance_t;

struct sim_account {
    char api_key[KEY_CAP];
    char secret[KEY_CAP];
    size_t secret_len;
    rt_money_t taker_fee;
    rt_money_t maker_fee;
    char fee_asset[RT_ASSET_CAP]; /* "" : the asset received; else e.g. "BNB" */
    size_t nbal;
    balance_t bal[SIM_ACCOUNT_ASSETS];
    order_t *orders; /* SIM_ACCOUNT_ORDERS, in placement order (oldest first) */
    size_t norders;
    int64_t next_order_id;
    int64_t next_trade_id;
    int64_t update_time;
};

/* ---- balances ----------------------------------------------------------------------------- */

static balance_t *find_bal(sim_account_t *a, const char *asset, bool create)
{
    for (size_t i = 0; i < a->nbal; i++)
        if (strcmp(a->bal[i].asset, asset) == 0)
            return &a->bal[i];
    if (!create || a->nbal == SIM_ACCOUNT_ASSETS)
        return NULL;
    balance_t *b = &a->bal[a->nbal];
    if (rt_str_copy(b->asset, sizeof b->asset, asset) != RT_OK)
        return NULL;
    b->free = 0;
    b->locked = 0;
    a->nbal++;
    return b;
}

/* True when every change leaves free and locked >= 0 (and there is room for new assets). */
static bool changes_fit(sim_account_t *a, const tr_fill_result_t *r)
{
    size_t fresh = 0;
    for (size_t i = 0; i < r->change_count; i++) {
        const tr_balance_change_t *c = &r->changes[i];
        balance_t *b = find_bal(a, c->asset, false);
        rt_money_t f = b ? b->free : 0, l = b ? b->locked : 0;
        if (b == NULL)
            fresh++;
        if (rt_money_add(f, c->free, &f) != RT_OK || rt_money_add(l, c->locked, &l) != RT_OK ||
            f < 0 || l < 0)
            return false;
    }
    return a->nbal + fresh <= SIM_ACCOUNT_ASSETS;
}

/* Applies changes checked by changes_fit. */
static void apply_changes(sim_account_t *a, const tr_fill_result_t *r, int64_t now)
{
    for (size_t i = 0; i < r->change_count; i++) {
        balance_t *b = find_bal(a, r->changes[i].asset, true);
        if (b == NULL)
            continue; /* not reached: changes_fit counted the room */
        b->free += r->changes[i].free;
        b->locked += r->changes[i].locked;
    }
    a->update_time = now;
}

/* Binance's rule for a BUY: the commission comes out of the base asset received. tr_fill ran
 * with a zero fee for the BUY; this charges quantity * rate (rounded up) in the base asset. */
static int buy_fee_in_base(tr_fill_result_t *r, rt_money_t rate, const char *base)
{
    tr_fill_t *f = &r->fills[0];
    rt_money_t fee;
    int rc = rt_money_mul(f->quantity, rate, RT_ROUND_UP, &fee);
    if (rc != RT_OK)
        return rc;
    f->fee = fee;
    if (rt_str_copy(f->fee_asset, sizeof f->fee_asset, base) != RT_OK)
        return RT_EINVAL;
    for (size_t i = 0; i < r->change_count; i++)
        if (strcmp(r->changes[i].asset, base) == 0)
            return rt_money_sub(r->changes[i].free, fee, &r->changes[i].free);
    return RT_EINVAL;
}

/* Pays the commission of r's fill in the account's fee asset (BNB) instead of the asset
 * received, as Binance does for an account that pays fees with BNB: rate x the fill's quote
 * amount, valued in the fee asset at the last price of <fee asset><quote> (rounded up). It
 * applies only when that symbol is listed, the fee asset is neither the base nor the quote,
 * and the account holds enough of it free; otherwise r is left as it is (the commission in the
 * asset received, already charged). Returns 0, or an error of the arithmetic (r unchanged). */
static int pay_fee_in_asset(const sim_account_t *a, const sim_market_t *m, tr_fill_result_t *r,
                            rt_money_t rate, const char *base, const char *quote)
{
    if (a->fee_asset[0] == '\0' || r->fill_count != 1 || r->change_count >= TR_CHANGES_MAX ||
        strcmp(a->fee_asset, base) == 0 || strcmp(a->fee_asset, quote) == 0)
        return RT_OK;
    char sym[RT_SYMBOL_CAP];
    size_t idx;
    rt_money_t px, fee_quote, fee;
    int n = snprintf(sym, sizeof sym, "%s%s", a->fee_asset, quote);
    if (n < 0 || (size_t)n >= sizeof sym || sim_market_find(m, sym, &idx) != RT_OK ||
        sim_market_last_price(m, idx, &px) != RT_OK || px <= 0)
        return RT_OK;
    tr_fill_t *f = &r->fills[0];
    int rc = rt_money_mul(f->quote_quantity, rate, RT_ROUND_UP, &fee_quote);
    if (rc == RT_OK)
        rc = rt_money_div(fee_quote, px, RT_ROUND_UP, &fee);
    if (rc != RT_OK)
        return rc;
    const balance_t *held = NULL;
    for (size_t i = 0; i < a->nbal; i++)
        if (strcmp(a->bal[i].asset, a->fee_asset) == 0)
            held = &a->bal[i];
    if (held == NULL || held->free < fee)
        return RT_OK; /* not enough BNB: charged in the asset received */
    /* give back the commission already taken from the asset received */
    const char *received = f->fee_asset;
    tr_fill_result_t out = *r;
    for (size_t i = 0; f->fee > 0 && i < out.change_count; i++)
        if (strcmp(out.changes[i].asset, received) == 0 &&
            (rc = rt_money_add(out.changes[i].free, f->fee, &out.changes[i].free)) != RT_OK)
            return rc;
    tr_balance_change_t *c = &out.changes[out.change_count++];
    memset(c, 0, sizeof *c);
    if (rt_str_copy(c->asset, sizeof c->asset, a->fee_asset) != RT_OK ||
        rt_str_copy(out.fills[0].fee_asset, sizeof out.fills[0].fee_asset, a->fee_asset) != RT_OK)
        return RT_EINVAL;
    c->free = -fee;
    out.fills[0].fee = fee;
    *r = out;
    return RT_OK;
}

/* ---- life --------------------------------------------------------------------------------- */

static void say(char *why, size_t cap, const char *text, const char *item)
{
    if (why && cap)
        snprintf(why, cap, "%s%s%s", text, item ? ": " : "", item ? item : "");
}

static int parse_balances(sim_account_t *a, const char *list, char *why, size_t cap)
{
    rt_str_slice_t items[SIM_ACCOUNT_ASSETS];
    size_t n = 0;
    if (list == NULL || list[0] == '\0')
        return RT_OK;
    if (rt_str_split(list, strlen(list), ',', items, SIM_ACCOUNT_ASSETS, &n) != RT_OK) {
        say(why, cap, "SIM_BALANCES: too many assets", NULL);
        return RT_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char item[96];
        rt_str_slice_t t = rt_str_trim(items[i].p, items[i].n);
        if (t.n == 0)
            continue;
        if (rt_str_copy_n(item, sizeof item, t.p, t.n) != RT_OK) {
            say(why, cap, "SIM_BALANCES: entry too long", NULL);
            return RT_EINVAL;
        }
        char *eq = strchr(item, '=');
        rt_money_t v;
        if (eq == NULL || eq == item || (size_t)(eq - item) >= RT_ASSET_CAP ||
            rt_money_parse(eq + 1, &v) != RT_OK || v < 0) {
            say(why, cap, "SIM_BALANCES: expected ASSET=amount", item);
            return RT_EINVAL;
        }
        *eq = '\0';
        for (const char *c = item; *c; c++) {
            if (!((*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9'))) {
                say(why, cap, "SIM_BALANCES: asset names are upper-case letters and digits", item);
                return RT_EINVAL;
            }
        }
        balance_t *b = find_bal(a, item, true);
        if (b == NULL) {
            say(why, cap, "SIM_BALANCES: too many assets", NULL);
            return RT_EINVAL;
        }
        b->free = v;
    }
    return RT_OK;
}

int sim_account_new(const sim_account_config_t *cfg, sim_account_t **out, char *why, size_t cap)
{
    if (cfg == NULL || out == NULL || cfg->api_key == NULL || cfg->secret_key == NULL ||
        cfg->api_key[0] == '\0' || cfg->secret_key[0] == '\0') {
        say(why, cap, "an API key and a secret are needed", NULL);
        return RT_EINVAL;
    }
    if (cfg->taker_fee < 0 || cfg->taker_fee >= RT_MONEY_SCALE || cfg->maker_fee < 0 ||
        cfg->maker_fee >= RT_MONEY_SCALE) {
        say(why, cap, "fee rates must be in [0, 1)", NULL);
        return RT_EINVAL;
    }
    int rc = RT_OK;
    sim_account_t *a = calloc(1, sizeof *a);
    if (a == NULL)
        return RT_ENOMEM;
    a->orders = calloc(SIM_ACCOUNT_ORDERS, sizeof *a->orders);
    if (a->orders == NULL) {
        rc = RT_ENOMEM;
        goto out;
    }
    if (rt_str_copy(a->api_key, sizeof a->api_key, cfg->api_key) != RT_OK ||
        rt_str_copy(a->secret, sizeof a->secret, cfg->secret_key) != RT_OK) {
        say(why, cap, "API key and secret are at most 128 characters", NULL);
        rc = RT_EINVAL;
        goto out;
    }
    a->secret_len = strlen(a->secret);
    a->taker_fee = cfg->taker_fee;
    a->maker_fee = cfg->maker_fee;
    if (cfg->fee_asset && cfg->fee_asset[0]) {
        size_t n = strlen(cfg->fee_asset);
        bool ok = n < sizeof a->fee_asset;
        for (size_t i = 0; ok && i < n; i++)
            ok = (cfg->fee_asset[i] >= 'A' && cfg->fee_asset[i] <= 'Z') ||
                 (cfg->fee_asset[i] >= '0' && cfg->fee_asset[i] <= '9');
        if (!ok) {
            say(why, cap, "the fee asset must be 1 to 15 of A-Z and 0-9", NULL);
            rc = RT_EINVAL;
            goto out;
        }
        memcpy(a->fee_asset, cfg->fee_asset, n + 1);
    }
    a->next_order_id = 1;
    a->next_trade_id = 1;
    rc = parse_balances(a, cfg->balances, why, cap);
    if (rc != RT_OK)
        goto out;
    *out = a;
    a = NULL;
out:
    sim_account_free(a);
    return rc;
}

void sim_account_free(sim_account_t *a)
{
    if (a == NULL)
        return;
    OPENSSL_cleanse(a->secret, sizeof a->secret);
    free(a->orders);
    free(a);
}

int sim_account_balance(const sim_account_t *a, const char *asset, rt_money_t *free_out,
                        rt_money_t *locked_out)
{
    if (a == NULL || asset == NULL || free_out == NULL || locked_out == NULL)
        return RT_EINVAL;
    rt_money_t f = 0, l = 0;
    for (size_t i = 0; i < a->nbal; i++) {
        if (strcmp(a->bal[i].asset, asset) == 0) {
            f = a->bal[i].free;
            l = a->bal[i].locked;
        }
    }
    *free_out = f;
    *locked_out = l;
    return RT_OK;
}

/* ---- orders ------------------------------------------------------------------------------- */

static void fill_cfg(const sim_account_t *a, rt_side_t side, tr_fill_config_t *c)
{
    /* A BUY runs fee-free through tr_fill; buy_fee_in_base then charges the base asset. */
    c->slippage = 0;
    c->taker_fee = side == RT_SIDE_BUY ? 0 : a->taker_fee;
    c->maker_fee = side == RT_SIDE_BUY ? 0 : a->maker_fee;
}

static void filters_of(const sim_spec_t *s, tr_filters_t *f)
{
    tr_filters_init(f);
    (void)rt_str_copy(f->symbol, sizeof f->symbol, s->symbol);
    (void)rt_str_copy(f->base_asset, sizeof f->base_asset, s->base);
    (void)rt_str_copy(f->quote_asset, sizeof f->quote_asset, s->quote);
    f->trading = true;
    f->tick_size = s->tick;
    f->min_price = s->tick;
    f->max_price = s->max_price;
    f->step_size = s->step;
    f->min_qty = s->step;
    f->max_qty = s->max_qty;
    f->market_max_qty = s->market_max_qty;
    f->min_notional = s->min_notional;
    f->max_notional = s->max_notional;
    f->apply_min_to_market = true;
    f->apply_max_to_market = false;
}

static rt_money_t last_price(const sim_market_t *m, size_t i)
{
    rt_money_t p;
    if (sim_market_last_price(m, i, &p) != RT_OK)
        p = sim_market_spec(m, i)->start_price;
    return p;
}

/* A slot for a new order: the next free one, else the oldest finished order's (later ones
 * move down). NULL when every remembered order is open. */
static order_t *new_slot(sim_account_t *a)
{
    if (a->norders < SIM_ACCOUNT_ORDERS)
        return &a->orders[a->norders++];
    for (size_t i = 0; i < a->norders; i++) {
        if (a->orders[i].status != ST_NEW) {
            memmove(&a->orders[i], &a->orders[i + 1], (a->norders - i - 1) * sizeof(order_t));
            return &a->orders[a->norders - 1];
        }
    }
    return NULL;
}

static order_t *find_order(sim_account_t *a, size_t sym, bool by_id, int64_t id,
                           const char *client_id)
{
    for (size_t i = a->norders; i-- > 0;) {
        order_t *o = &a->orders[i];
        if (o->sym != sym)
            continue;
        if (by_id ? o->order_id == id : strcmp(o->client_id, client_id) == 0)
            return o;
    }
    return NULL;
}

/* Records r's single fill on o. */
static void record_fill(sim_account_t *a, order_t *o, const tr_fill_result_t *r, int64_t now)
{
    o->has_fill = true;
    o->fill = r->fills[0];
    o->trade_id = a->next_trade_id++;
    o->executed_qty = r->fills[0].quantity;
    o->cum_quote = r->fills[0].quote_quantity;
    o->status = ST_FILLED;
    o->update_time = now;
}

/* The range the market traded in since since_ms: the 1s klines that opened after the second
 * of since_ms (the forming one included), and the last price. A resting order that this range
 * reaches fills, even when the price went through it and back between two market steps. A
 * symbol without 1s klines (a replayed file) has the last price only. */
static void range_since(const sim_market_t *m, size_t sym, int64_t since_ms, rt_money_t *low,
                        rt_money_t *high)
{
    rt_money_t p = last_price(m, sym);
    *low = p;
    *high = p;
    if (!sim_market_serves(m, sym, SIM_IV_1S))
        return;
    const sim_klines_t *k = sim_market_klines(m, sym);
    size_t first, n;
    int64_t from = since_ms - since_ms % 1000 + 1000;
    sim_klines_select(k, SIM_IV_1S, true, from, false, 0, SIZE_MAX, false, &first, &n);
    for (size_t i = 0; i < n; i++) {
        const sim_kline_t *kl = sim_klines_get(k, SIM_IV_1S, first + i, NULL);
        if (kl == NULL || kl->trades == 0)
            continue;
        if (kl->low < *low)
            *low = kl->low;
        if (kl->high > *high)
            *high = kl->high;
    }
}

size_t sim_account_match(sim_account_t *a, const sim_market_t *m, int64_t now_ms)
{
    size_t filled = 0;
    if (a == NULL || m == NULL)
        return 0;
    for (size_t i = 0; i < a->norders; i++) {
        order_t *o = &a->orders[i];
        if (o->status != ST_NEW)
            continue;
        rt_money_t low, high;
        range_since(m, o->sym, o->checked_ms, &low, &high);
        o->checked_ms = now_ms > o->checked_ms ? now_ms : o->checked_ms;
        tr_fill_config_t c;
        fill_cfg(a, o->side, &c);
        tr_fill_result_t r;
        if (tr_fill_limit_match(&c, &o->lim, low, high, &r) != RT_OK)
            continue;
        if (o->side == RT_SIDE_BUY && buy_fee_in_base(&r, a->maker_fee, o->lim.base_asset) != RT_OK)
            continue;
        if (pay_fee_in_asset(a, m, &r, a->maker_fee, o->lim.base_asset, o->lim.quote_asset) !=
            RT_OK)
            continue;
        if (!changes_fit(a, &r))
            continue; /* not reached: the lock covers the fill */
        apply_changes(a, &r, now_ms);
        record_fill(a, o, &r, now_ms);
        filled++;
    }
    return filled;
}

/* ---- responses ---------------------------------------------------------------------------- */

static const char *status_name(order_status_t s)
{
    return s == ST_NEW ? "NEW" : s == ST_FILLED ? "FILLED" : "CANCELED";
}

static const char *side_name(rt_side_t s)
{
    return s == RT_SIDE_BUY ? "BUY" : "SELL";
}

static const char *type_name(tr_order_type_t t)
{
    return t == TR_ORDER_LIMIT ? "LIMIT" : "MARKET";
}

/* The fields from "price" to "side" that the order responses share. */
static void write_amounts(sim_buf_t *b, const order_t *o, bool quote_first)
{
    sim_buf_puts(b, ",\"price\":");
    sim_buf_money(b, o->price);
    sim_buf_puts(b, ",\"origQty\":");
    sim_buf_money(b, o->orig_qty);
    sim_buf_puts(b, ",\"executedQty\":");
    sim_buf_money(b, o->executed_qty);
    if (quote_first) {
        sim_buf_puts(b, ",\"origQuoteOrderQty\":");
        sim_buf_money(b, o->orig_quote_qty);
    }
    sim_buf_puts(b, ",\"cummulativeQuoteQty\":");
    sim_buf_money(b, o->cum_quote);
    sim_buf_printf(b, ",\"status\":\"%s\",\"timeInForce\":\"GTC\",\"type\":\"%s\",\"side\":\"%s\"",
                   status_name(o->status), type_name(o->type), side_name(o->side));
}

static void write_new_order(sim_buf_t *b, const order_t *o, resp_type_t rt)
{
    sim_buf_printf(b,
                   "{\"symbol\":\"%s\",\"orderId\":%lld,\"orderListId\":-1,"
                   "\"clientOrderId\":\"%s\",\"transactTime\":%lld",
                   o->symbol, (long long)o->order_id, o->client_id, (long long)o->time);
    if (rt != RESP_ACK) {
        write_amounts(b, o, true);
        sim_buf_printf(b, ",\"workingTime\":%lld,\"selfTradePreventionMode\":\"NONE\"",
                       (long long)o->time);
    }
    if (rt == RESP_FULL) {
        sim_buf_puts(b, ",\"fills\":[");
        if (o->has_fill) {
            sim_buf_puts(b, "{\"price\":");
            sim_buf_money(b, o->fill.price);
            sim_buf_puts(b, ",\"qty\":");
            sim_buf_money(b, o->fill.quantity);
            sim_buf_puts(b, ",\"commission\":");
            sim_buf_money(b, o->fill.fee);
            sim_buf_printf(b, ",\"commissionAsset\":\"%s\",\"tradeId\":%lld}", o->fill.fee_asset,
                           (long long)o->trade_id);
        }
        sim_buf_puts(b, "]");
    }
    sim_buf_puts(b, "}");
}

static void write_query_order(sim_buf_t *b, const order_t *o)
{
    sim_buf_printf(b,
                   "{\"symbol\":\"%s\",\"orderId\":%lld,\"orderListId\":-1,"
                   "\"clientOrderId\":\"%s\"",
                   o->symbol, (long long)o->order_id, o->client_id);
    write_amounts(b, o, false);
    sim_buf_puts(b, ",\"stopPrice\":");
    sim_buf_money(b, 0);
    sim_buf_puts(b, ",\"icebergQty\":");
    sim_buf_money(b, 0);
    sim_buf_printf(b,
                   ",\"time\":%lld,\"updateTime\":%lld,\"isWorking\":true,\"workingTime\":%lld,"
                   "\"origQuoteOrderQty\":",
                   (long long)o->time, (long long)o->update_time, (long long)o->time);
    sim_buf_money(b, o->orig_quote_qty);
    sim_buf_puts(b, ",\"selfTradePreventionMode\":\"NONE\"}");
}

/* ---- request checks ----------------------------------------------------------------------- */

static int mandatory(sim_rest_resp_t *r, const char *param)
{
    return sim_rest_error(r, 400, -1102,
                          "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
                          param);
}

#define DECIMAL_RANGE "^([0-9]{1,20})(\\\\.[0-9]{1,20})?$"

/* Reads an optional decimal parameter. Returns 0 with *present (and *out), or the error
 * written in r (RT_EINVAL). */
static int opt_money(const sim_rest_req_t *req, sim_rest_resp_t *r, const char *name, bool *present,
                     rt_money_t *out)
{
    const char *v = sim_params_get(req->params, name);
    *present = false;
    if (v == NULL || v[0] == '\0')
        return RT_OK;
    for (const char *c = v; *c; c++) {
        if (!((*c >= '0' && *c <= '9') || *c == '.')) {
            sim_rest_error(r, 400, -1100,
                           "Illegal characters found in parameter '%s'; legal range is '%s'.", name,
                           DECIMAL_RANGE);
            return RT_EINVAL;
        }
    }
    if (rt_money_parse(v, out) != RT_OK || *out < 0) {
        sim_rest_error(r, 400, -1100,
                       "Illegal characters found in parameter '%s'; legal range is '%s'.", name,
                       DECIMAL_RANGE);
        return RT_EINVAL;
    }
    *present = true;
    return RT_OK;
}

static int opt_int(const sim_rest_req_t *req, sim_rest_resp_t *r, const char *name, bool *present,
                   int64_t *out)
{
    const char *v = sim_params_get(req->params, name);
    *present = false;
    if (v == NULL || v[0] == '\0')
        return RT_OK;
    bool digits = strlen(v) <= 20;
    for (const char *c = v; *c && digits; c++)
        digits = *c >= '0' && *c <= '9';
    if (!digits || rt_str_parse_int64(v, out) != RT_OK) {
        sim_rest_error(
            r, 400, -1100,
            "Illegal characters found in parameter '%s'; legal range is '^[0-9]{1,20}$'.", name);
        return RT_EINVAL;
    }
    *present = true;
    return RT_OK;
}

static bool client_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= CLIENT_ID_CAP)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

static int need_symbol(const sim_rest_ctx_t *ctx, const sim_rest_req_t *req, sim_rest_resp_t *r,
                       size_t *idx)
{
    const char *s = sim_params_get(req->params, "symbol");
    if (s == NULL || s[0] == '\0') {
        mandatory(r, "symbol");
        return RT_EINVAL;
    }
    if (sim_market_find(ctx->market, s, idx) != RT_OK) {
        sim_rest_error(r, 400, -1121, "Invalid symbol.");
        return RT_EINVAL;
    }
    return RT_OK;
}

/* Copies text[0..n) into out without its "signature=..." pair. */
static int strip_signature(const char *text, size_t n, sim_buf_t *out)
{
    size_t pos = 0;
    bool first = true;
    while (pos < n) {
        const char *s = text + pos;
        const char *amp = memchr(s, '&', n - pos);
        size_t len = amp ? (size_t)(amp - s) : n - pos;
        pos += len + (amp ? 1 : 0);
        if (len >= 10 && memcmp(s, "signature=", 10) == 0)
            continue;
        if (!first)
            sim_buf_append(out, "&", 1);
        sim_buf_append(out, s, len);
        first = false;
    }
    return sim_buf_err(out);
}

/* Key, signature and timestamp. Returns 0, or RT_EAUTH with the error in r, or RT_ENOMEM. */
static int authenticate(const sim_account_t *a, const sim_rest_ctx_t *ctx,
                        const sim_rest_req_t *req, sim_rest_resp_t *r)
{
    const char *key = req->api_key;
    if (key == NULL || key[0] == '\0' || strlen(key) >= KEY_CAP) {
        sim_rest_error(r, 401, -2014, "API-key format invalid.");
        return RT_EAUTH;
    }
    if (a == NULL || strcmp(key, a->api_key) != 0) {
        sim_rest_error(r, 401, -2015, "Invalid API-key, IP, or permissions for action.");
        return RT_EAUTH;
    }
    const char *sig = sim_params_get(req->params, "signature");
    if (sig == NULL || sig[0] == '\0') {
        mandatory(r, "signature");
        return RT_EAUTH;
    }
    bool has_ts, has_rw;
    int64_t ts = 0, rw = RECV_WINDOW_DEFAULT;
    if (opt_int(req, r, "timestamp", &has_ts, &ts) != RT_OK)
        return RT_EAUTH;
    if (!has_ts) {
        mandatory(r, "timestamp");
        return RT_EAUTH;
    }
    const char *rws = sim_params_get(req->params, "recvWindow");
    if (rws && strchr(rws, '.')) {
        /* up to 3 decimals (microseconds); the whole milliseconds are what count here */
        char whole[24];
        const char *dot = strchr(rws, '.');
        size_t n = (size_t)(dot - rws), decimals = strlen(dot + 1);
        bool digits = decimals >= 1 && decimals <= 3;
        for (const char *c = dot + 1; *c && digits; c++)
            digits = *c >= '0' && *c <= '9';
        if (!digits || n == 0 || rt_str_copy_n(whole, sizeof whole, rws, n) != RT_OK ||
            rt_str_parse_int64(whole, &rw) != RT_OK || rw < 0) {
            sim_rest_error(r, 400, -1100,
                           "Illegal characters found in parameter 'recvWindow'; legal range is "
                           "'^[0-9]{1,20}(\\\\.[0-9]{1,3})?$'.");
            return RT_EAUTH;
        }
    } else if (opt_int(req, r, "recvWindow", &has_rw, &rw) != RT_OK) {
        return RT_EAUTH;
    } else if (!has_rw) {
        rw = RECV_WINDOW_DEFAULT;
    }
    if (rw > RECV_WINDOW_MAX) {
        sim_rest_error(r, 400, -1131, "recvWindow must be less than 60000");
        return RT_EAUTH;
    }

    sim_buf_t payload;
    sim_buf_init(&payload);
    int rc =
        strip_signature(req->query ? req->query : "", req->query ? req->query_len : 0, &payload);
    sim_buf_t body;
    sim_buf_init(&body);
    if (rc == RT_OK)
        rc = strip_signature(req->body ? req->body : "", req->body ? req->body_len : 0, &body);
    if (rc == RT_OK)
        rc = sim_buf_append(&payload, body.data ? body.data : "", body.len);
    if (rc == RT_OK) {
        rc = rt_hmac_sha256_verify(a->secret, a->secret_len, payload.data ? payload.data : "",
                                   payload.len, sig, strlen(sig));
        if (rc == RT_EAUTH) {
            sim_rest_error(r, 400, -1022, "Signature for this request is not valid.");
        } else if (rc != RT_OK) {
            rc = RT_ENOMEM; /* answered 500 */
        }
    }
    sim_buf_cleanup(&payload);
    sim_buf_cleanup(&body);
    if (rc != RT_OK)
        return rc;

    if (ts > ctx->sim_now_ms + AHEAD_MAX_MS) {
        sim_rest_error(r, 400, -1021,
                       "Timestamp for this request was 1000ms ahead of the server's time.");
        return RT_EAUTH;
    }
    if (ts < ctx->real_now_ms - rw) {
        sim_rest_error(r, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
        return RT_EAUTH;
    }
    return RT_OK;
}

/* ---- handlers ----------------------------------------------------------------------------- */

static int filter_error(sim_rest_resp_t *r, const tr_filter_reject_t *rej)
{
    if (rej->filter == TR_FILTER_INVALID)
        return sim_rest_error(r, 400, -1013, "Invalid quantity.");
    if (rej->filter == TR_FILTER_NOT_TRADING)
        return sim_rest_error(r, 400, -1013, "Market is closed.");
    return sim_rest_error(r, 400, -1013, "%s", rej->msg);
}

static int insufficient(sim_rest_resp_t *r)
{
    return sim_rest_error(r, 400, -2010, "Account has insufficient balance for requested action.");
}

static int h_new_order(sim_account_t *a, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                       sim_rest_resp_t *r, bool test)
{
    size_t sym;
    if (need_symbol(ctx, req, r, &sym) != RT_OK)
        return sim_buf_err(&r->body);
    const char *side_s = sim_params_get(req->params, "side");
    const char *type_s = sim_params_get(req->params, "type");
    if (side_s == NULL || side_s[0] == '\0')
        return mandatory(r, "side");
    if (type_s == NULL || type_s[0] == '\0')
        return mandatory(r, "type");
    rt_side_t side;
    if (strcmp(side_s, "BUY") == 0)
        side = RT_SIDE_BUY;
    else if (strcmp(side_s, "SELL") == 0)
        side = RT_SIDE_SELL;
    else
        return sim_rest_error(r, 400, -1117, "Invalid side.");
    tr_order_type_t type;
    if (strcmp(type_s, "MARKET") == 0)
        type = TR_ORDER_MARKET;
    else if (strcmp(type_s, "LIMIT") == 0)
        type = TR_ORDER_LIMIT;
    else if (strcmp(type_s, "LIMIT_MAKER") == 0 || strncmp(type_s, "STOP_LOSS", 9) == 0 ||
             strncmp(type_s, "TAKE_PROFIT", 11) == 0)
        return sim_rest_error(r, 400, -1014, "Unsupported order combination.");
    else
        return sim_rest_error(r, 400, -1116, "Invalid orderType.");

    bool has_qty, has_quote, has_price;
    rt_money_t qty = 0, quote_qty = 0, price = 0;
    if (opt_money(req, r, "quantity", &has_qty, &qty) != RT_OK ||
        opt_money(req, r, "quoteOrderQty", &has_quote, &quote_qty) != RT_OK ||
        opt_money(req, r, "price", &has_price, &price) != RT_OK)
        return sim_buf_err(&r->body);
    const char *tif = sim_params_get(req->params, "timeInForce");
    if (type == TR_ORDER_MARKET) {
        if (has_qty && has_quote)
            return sim_rest_error(r, 400, -1106,
                                  "Parameter 'quoteOrderQty' sent when not required.");
        if (!has_qty && !has_quote)
            return sim_rest_error(
                r, 400, -1102,
                "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
        if (has_price)
            return sim_rest_error(r, 400, -1106, "Parameter 'price' sent when not required.");
        if (tif && tif[0])
            return sim_rest_error(r, 400, -1106, "Parameter 'timeInForce' sent when not required.");
    } else {
        if (tif == NULL || tif[0] == '\0')
            return mandatory(r, "timeInForce");
        if (!has_qty)
            return mandatory(r, "quantity");
        if (!has_price)
            return mandatory(r, "price");
        if (has_quote)
            return sim_rest_error(r, 400, -1106,
                                  "Parameter 'quoteOrderQty' sent when not required.");
        if (strcmp(tif, "GTC") != 0)
            return sim_rest_error(r, 400, -1115, "Invalid timeInForce.");
    }
    resp_type_t rt = RESP_FULL;
    const char *rts = sim_params_get(req->params, "newOrderRespType");
    if (rts && rts[0]) {
        if (strcmp(rts, "ACK") == 0)
            rt = RESP_ACK;
        else if (strcmp(rts, "RESULT") == 0)
            rt = RESP_RESULT;
        else if (strcmp(rts, "FULL") == 0)
            rt = RESP_FULL;
        else
            return sim_rest_error(r, 400, -1130,
                                  "Data sent for parameter 'newOrderRespType' is not valid.");
    }
    const char *cid = sim_params_get(req->params, "newClientOrderId");
    if (cid && cid[0] && !client_id_ok(cid))
        return sim_rest_error(r, 400, -1100,
                              "Illegal characters found in parameter 'newClientOrderId'; legal "
                              "range is '^[a-zA-Z0-9-_]{1,36}$'.");
    if (cid && cid[0]) {
        const order_t *dup = find_order(a, sym, false, 0, cid);
        if (dup && dup->status == ST_NEW)
            return sim_rest_error(r, 400, -2010, "Duplicate order sent.");
    }

    const sim_spec_t *spec = sim_market_spec(ctx->market, sym);
    tr_filters_t f;
    filters_of(spec, &f);
    rt_money_t last = last_price(ctx->market, sym);
    if (type == TR_ORDER_MARKET && has_quote) {
        /* as much base as quoteOrderQty buys (or sells for) at the last price, to the step */
        rt_money_t q;
        if (rt_money_div(quote_qty, last, RT_ROUND_DOWN, &q) != RT_OK ||
            tr_filters_round_qty(&f, type, q, &qty) != RT_OK)
            return sim_rest_error(r, 400, -1013, "Invalid quantity.");
    }
    tr_filter_reject_t rej;
    if (tr_filters_check(&f, type, qty, type == TR_ORDER_LIMIT ? price : last, &rej) != RT_OK)
        return filter_error(r, &rej);

    /* What it does: fill now (MARKET, or a LIMIT through the price) or rest. */
    bool crosses = type == TR_ORDER_MARKET || (side == RT_SIDE_BUY ? price >= last : price <= last);
    tr_fill_config_t c;
    fill_cfg(a, side, &c);
    tr_fill_result_t res;
    tr_limit_order_t lim;
    memset(&lim, 0, sizeof lim);
    int rc = crosses ? tr_fill_market(&c, &f, side, qty, last, &res)
                     : tr_fill_limit_place(&c, &f, side, qty, price, &lim, &res);
    if (rc == RT_OK && crosses && side == RT_SIDE_BUY)
        rc = buy_fee_in_base(&res, a->taker_fee, f.base_asset);
    if (rc == RT_OK && crosses)
        rc = pay_fee_in_asset(a, ctx->market, &res, a->taker_fee, f.base_asset, f.quote_asset);
    if (rc != RT_OK)
        return sim_rest_error(r, 400, -1013, "Invalid quantity.");
    if (!changes_fit(a, &res))
        return insufficient(r);
    if (test) {
        sim_buf_puts(&r->body, "{}");
        return sim_rest_json(r, 200);
    }
    order_t *o = new_slot(a);
    if (o == NULL)
        return sim_rest_error(r, 400, -2010, "Too many open orders.");
    memset(o, 0, sizeof *o);
    o->order_id = a->next_order_id++;
    if (cid && cid[0])
        (void)rt_str_copy(o->client_id, sizeof o->client_id, cid);
    else
        snprintf(o->client_id, sizeof o->client_id, "sim-%lld", (long long)o->order_id);
    o->sym = sym;
    (void)rt_str_copy(o->symbol, sizeof o->symbol, spec->symbol);
    o->side = side;
    o->type = type;
    o->price = type == TR_ORDER_LIMIT ? price : 0;
    o->orig_qty = qty;
    o->orig_quote_qty = has_quote ? quote_qty : 0;
    o->status = ST_NEW;
    o->time = ctx->sim_now_ms;
    o->update_time = ctx->sim_now_ms;
    apply_changes(a, &res, ctx->sim_now_ms);
    if (crosses)
        record_fill(a, o, &res, ctx->sim_now_ms);
    else
        o->lim = lim;
    o->checked_ms = ctx->sim_now_ms;
    write_new_order(&r->body, o, rt);
    return sim_rest_json(r, 200);
}

/* Finds the order named by orderId or origClientOrderId. Returns it, or NULL with the error
 * (missing parameter, or code/msg when unknown) written in r. */
static order_t *named_order(sim_account_t *a, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                            sim_rest_resp_t *r, int code, const char *msg)
{
    size_t sym;
    if (need_symbol(ctx, req, r, &sym) != RT_OK)
        return NULL;
    bool has_id;
    int64_t id = 0;
    if (opt_int(req, r, "orderId", &has_id, &id) != RT_OK)
        return NULL;
    const char *cid = sim_params_get(req->params, "origClientOrderId");
    if (!has_id && (cid == NULL || cid[0] == '\0')) {
        mandatory(r, "orderId");
        return NULL;
    }
    order_t *o = find_order(a, sym, has_id, id, cid ? cid : "");
    if (o && has_id && cid && cid[0] && strcmp(o->client_id, cid) != 0)
        o = NULL;
    if (o == NULL)
        sim_rest_error(r, 400, code, "%s", msg);
    return o;
}

static int h_get_order(sim_account_t *a, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                       sim_rest_resp_t *r)
{
    const order_t *o = named_order(a, ctx, req, r, -2013, "Order does not exist.");
    if (o == NULL)
        return sim_buf_err(&r->body);
    write_query_order(&r->body, o);
    return sim_rest_json(r, 200);
}

static int h_cancel(sim_account_t *a, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                    sim_rest_resp_t *r)
{
    order_t *o = named_order(a, ctx, req, r, -2011, "Unknown order sent.");
    if (o == NULL)
        return sim_buf_err(&r->body);
    if (o->status != ST_NEW)
        return sim_rest_error(r, 400, -2011, "Unknown order sent.");
    const char *ncid = sim_params_get(req->params, "newClientOrderId");
    if (ncid && ncid[0] && !client_id_ok(ncid))
        return sim_rest_error(r, 400, -1100,
                              "Illegal characters found in parameter 'newClientOrderId'; legal "
                              "range is '^[a-zA-Z0-9-_]{1,36}$'.");
    tr_fill_result_t res;
    if (tr_fill_limit_cancel(&o->lim, &res) != RT_OK || !changes_fit(a, &res))
        return sim_rest_error(r, 400, -2011, "Unknown order sent.");
    apply_changes(a, &res, ctx->sim_now_ms);
    o->status = ST_CANCELED;
    o->update_time = ctx->sim_now_ms;
    char cancel_id[CLIENT_ID_CAP];
    if (ncid && ncid[0])
        (void)rt_str_copy(cancel_id, sizeof cancel_id, ncid);
    else
        snprintf(cancel_id, sizeof cancel_id, "sim-cancel-%lld", (long long)o->order_id);
    sim_buf_printf(&r->body,
                   "{\"symbol\":\"%s\",\"origClientOrderId\":\"%s\",\"orderId\":%lld,"
                   "\"orderListId\":-1,\"clientOrderId\":\"%s\",\"transactTime\":%lld",
                   o->symbol, o->client_id, (long long)o->order_id, cancel_id,
                   (long long)ctx->sim_now_ms);
    write_amounts(&r->body, o, true);
    sim_buf_puts(&r->body, ",\"selfTradePreventionMode\":\"NONE\"}");
    return sim_rest_json(r, 200);
}

static int h_account(sim_account_t *a, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                     sim_rest_resp_t *r)
{
    (void)ctx;
    const char *omit_s = sim_params_get(req->params, "omitZeroBalances");
    bool omit = omit_s && strcmp(omit_s, "true") == 0;
    sim_buf_t *b = &r->body;
    sim_buf_printf(b,
                   "{\"makerCommission\":%lld,\"takerCommission\":%lld,\"buyerCommission\":0,"
                   "\"sellerCommission\":0,\"commissionRates\":{\"maker\":",
                   (long long)(a->maker_fee / 10000), (long long)(a->taker_fee / 10000));
    sim_buf_money(b, a->maker_fee);
    sim_buf_puts(b, ",\"taker\":");
    sim_buf_money(b, a->taker_fee);
    sim_buf_puts(b, ",\"buyer\":");
    sim_buf_money(b, 0);
    sim_buf_puts(b, ",\"seller\":");
    sim_buf_money(b, 0);
    sim_buf_printf(b,
                   "},\"canTrade\":true,\"canWithdraw\":false,\"canDeposit\":false,"
                   "\"brokered\":false,\"requireSelfTradePrevention\":false,\"preventSor\":false,"
                   "\"updateTime\":%lld,\"accountType\":\"SPOT\",\"balances\":[",
                   (long long)a->update_time);
    bool first = true;
    for (size_t i = 0; i < a->nbal; i++) {
        const balance_t *x = &a->bal[i];
        if (omit && x->free == 0 && x->locked == 0)
            continue;
        sim_buf_printf(b, "%s{\"asset\":\"%s\",\"free\":", first ? "" : ",", x->asset);
        sim_buf_money(b, x->free);
        sim_buf_puts(b, ",\"locked\":");
        sim_buf_money(b, x->locked);
        sim_buf_puts(b, "}");
        first = false;
    }
    sim_buf_puts(b, "],\"permissions\":[\"SPOT\"],\"uid\":1}");
    return sim_rest_json(r, 200);
}

static int h_open_orders(sim_account_t *a, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                         sim_rest_resp_t *r)
{
    size_t sym = 0;
    bool one = sim_params_get(req->params, "symbol") != NULL;
    if (one && need_symbol(ctx, req, r, &sym) != RT_OK)
        return sim_buf_err(&r->body);
    sim_buf_puts(&r->body, "[");
    bool first = true;
    for (size_t i = 0; i < a->norders; i++) {
        const order_t *o = &a->orders[i];
        if (o->status != ST_NEW || (one && o->sym != sym))
            continue;
        if (!first)
            sim_buf_puts(&r->body, ",");
        write_query_order(&r->body, o);
        first = false;
    }
    sim_buf_puts(&r->body, "]");
    return sim_rest_json(r, 200);
}

/* GET /api/v3/myTrades: the account's trades on symbol (one per filled order here: the sim
 * fills an order whole), oldest first; orderId narrows to one order, fromId to ids >= it,
 * limit (default 500, max 1000) to the first ones. */
static int h_my_trades(sim_account_t *a, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                       sim_rest_resp_t *r)
{
    size_t sym;
    if (need_symbol(ctx, req, r, &sym) != RT_OK)
        return sim_buf_err(&r->body);
    bool has_oid, has_from, has_limit;
    int64_t oid = 0, from = 0, limit = 500;
    if (opt_int(req, r, "orderId", &has_oid, &oid) != RT_OK ||
        opt_int(req, r, "fromId", &has_from, &from) != RT_OK ||
        opt_int(req, r, "limit", &has_limit, &limit) != RT_OK)
        return sim_buf_err(&r->body);
    if (has_limit && (limit < 1 || limit > 1000))
        return sim_rest_error(r, 400, -1100,
                              "Illegal characters found in parameter 'limit'; legal range is "
                              "'1..1000'.");
    sim_buf_t *b = &r->body;
    sim_buf_puts(b, "[");
    int64_t n = 0;
    for (size_t i = 0; i < a->norders && n < limit; i++) {
        const order_t *o = &a->orders[i];
        if (!o->has_fill || o->sym != sym || (has_oid && o->order_id != oid) ||
            (has_from && o->trade_id < from))
            continue;
        sim_buf_printf(b,
                       "%s{\"symbol\":\"%s\",\"id\":%lld,\"orderId\":%lld,\"orderListId\":-1,"
                       "\"price\":",
                       n ? "," : "", o->symbol, (long long)o->trade_id, (long long)o->order_id);
        sim_buf_money(b, o->fill.price);
        sim_buf_puts(b, ",\"qty\":");
        sim_buf_money(b, o->fill.quantity);
        sim_buf_puts(b, ",\"quoteQty\":");
        sim_buf_money(b, o->fill.quote_quantity);
        sim_buf_puts(b, ",\"commission\":");
        sim_buf_money(b, o->fill.fee);
        sim_buf_printf(b,
                       ",\"commissionAsset\":\"%s\",\"time\":%lld,\"isBuyer\":%s,"
                       "\"isMaker\":%s,\"isBestMatch\":true}",
                       o->fill.fee_asset, (long long)o->update_time,
                       o->side == RT_SIDE_BUY ? "true" : "false",
                       o->fill.role == TR_ROLE_MAKER ? "true" : "false");
        n++;
    }
    sim_buf_puts(b, "]");
    return sim_rest_json(r, 200);
}

int sim_account_handle(sim_account_t *a, const sim_rest_ctx_t *ctx, const sim_rest_req_t *req,
                       sim_rest_resp_t *resp)
{
    int rc = authenticate(a, ctx, req, resp);
    if (rc == RT_EAUTH)
        return sim_buf_err(&resp->body);
    if (rc != RT_OK)
        return rc;
    /* resting orders see the latest price before anyone looks at them */
    sim_account_match(a, ctx->market, ctx->sim_now_ms);
    const char *path = req->path ? req->path : "";
    if (strcmp(path, "/api/v3/order") == 0) {
        if (req->method == SIM_HTTP_POST)
            return h_new_order(a, ctx, req, resp, false);
        if (req->method == SIM_HTTP_GET)
            return h_get_order(a, ctx, req, resp);
        if (req->method == SIM_HTTP_DELETE)
            return h_cancel(a, ctx, req, resp);
    } else if (strcmp(path, "/api/v3/order/test") == 0 && req->method == SIM_HTTP_POST) {
        return h_new_order(a, ctx, req, resp, true);
    } else if (strcmp(path, "/api/v3/account") == 0 && req->method == SIM_HTTP_GET) {
        return h_account(a, ctx, req, resp);
    } else if (strcmp(path, "/api/v3/openOrders") == 0 && req->method == SIM_HTTP_GET) {
        return h_open_orders(a, ctx, req, resp);
    } else if (strcmp(path, "/api/v3/myTrades") == 0 && req->method == SIM_HTTP_GET) {
        return h_my_trades(a, ctx, req, resp);
    }
    resp->status = 404;
    return RT_OK;
}
