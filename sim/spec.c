#include "spec.h"

#include <stdbool.h>
#include <string.h>

#include "rt/err.h"

/* A coin's usual dollar price, the dollar tick Binance uses for it against stablecoins, its
 * lot step, and its annual volatility (0.60 = 60 %). Prices are decimal text so that they
 * are exact. */
typedef struct {
    const char *asset;
    const char *usd;
    const char *usd_tick; /* NULL: derived */
    const char *step;     /* NULL: derived */
    int vol_pct;
} coin_t;

static const coin_t coins[] = {
    {"BTC", "60000", "0.01", "0.00001", 60},     {"ETH", "3000", "0.01", "0.0001", 75},
    {"SOL", "150", "0.01", "0.001", 100},        {"BNB", "600", "0.01", "0.001", 60},
    {"XRP", "0.6", "0.0001", "0.1", 90},         {"ADA", "0.45", "0.0001", "0.1", 90},
    {"DOGE", "0.15", "0.00001", "1", 100},       {"LTC", "80", "0.01", "0.001", 80},
    {"DOT", "7", "0.001", "0.01", 90},           {"LINK", "15", "0.01", "0.01", 90},
    {"AVAX", "35", "0.01", "0.01", 100},         {"TRX", "0.12", "0.0001", "0.1", 70},
    {"SHIB", "0.00002", "0.00000001", "1", 110}, {"PEPE", "0.00001", "0.00000001", "1", 130},
    {"UNI", "8", "0.001", "0.01", 100},          {"ATOM", "9", "0.001", "0.01", 90},
    {"NEAR", "5", "0.001", "0.1", 100},          {"APT", "9", "0.01", "0.01", 100},
    {"ARB", "1", "0.0001", "0.1", 100},          {"OP", "2.5", "0.001", "0.01", 100},
    {"SUI", "1.5", "0.0001", "0.1", 110},        {"TON", "6", "0.001", "0.01", 90},
    {"XLM", "0.11", "0.0001", "1", 80},          {"BCH", "400", "0.1", "0.001", 80},
    {"ETC", "25", "0.01", "0.01", 90},           {"FIL", "5", "0.001", "0.01", 100},
    {"AAVE", "100", "0.01", "0.001", 100},       {"POL", "0.5", "0.0001", "0.1", 100},
};

/* Quote assets by length (longest suffix first) and their dollar value. */
typedef struct {
    const char *asset;
    const char *usd;
} quote_t;

static const quote_t quotes[] = {
    {"FDUSD", "1"},    {"USDC", "1"},    {"USDT", "1"},   {"BUSD", "1"},   {"TUSD", "1"},
    {"USDP", "1"},     {"DAI", "1"},     {"EUR", "1.08"}, {"TRY", "0.03"}, {"BRL", "0.18"},
    {"JPY", "0.0067"}, {"BTC", "60000"}, {"ETH", "3000"}, {"BNB", "600"},
};

/* Dollar prices for coins we do not know: a spread of realistic levels. */
static const char *const unknown_usd[] = {"0.05", "0.2", "0.8", "2.5", "9", "30", "120"};

#define DEFAULT_VOL_PCT 90
#define TRADE_USD "20"
#define MIN_NOTIONAL_USD "5"
#define MAX_NOTIONAL_USD "9000000"
/* 1 / sqrt(seconds in a year) in parts per billion: a volatility of 100 % a year is this
 * much per sqrt(second). */
#define PPB_PER_VOL_UNIT 178073

static rt_money_t money_lit(const char *s)
{
    rt_money_t v = 0;
    (void)rt_money_parse(s, &v); /* table literals: always valid */
    return v;
}

/* 10^e as money, e in -8..10. */
static rt_money_t pow10_money(int e)
{
    rt_money_t v = 1;
    for (int i = -8; i < e; i++)
        v *= 10;
    return v;
}

/* floor(log10(v)) for v > 0. */
static int floor_log10(rt_money_t v)
{
    int digits = 0;
    for (rt_money_t x = v; x > 0; x /= 10)
        digits++;
    return digits - 9;
}

static rt_money_t clamp(rt_money_t v, rt_money_t lo, rt_money_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static const coin_t *find_coin(const char *asset)
{
    for (size_t i = 0; i < sizeof coins / sizeof coins[0]; i++)
        if (strcmp(coins[i].asset, asset) == 0)
            return &coins[i];
    return NULL;
}

/* a / b rounded to nearest, or RT_MONEY_MAX on overflow; b > 0. */
static rt_money_t div_sat(rt_money_t a, rt_money_t b)
{
    rt_money_t r;
    if (rt_money_div(a, b, RT_ROUND_NEAREST, &r) != RT_OK)
        return RT_MONEY_MAX;
    return r;
}

int sim_spec_for_symbol(const char *symbol, sim_spec_t *out)
{
    if (symbol == NULL)
        return RT_EINVAL;
    size_t n = strlen(symbol);
    if (n < 2 || n > 20)
        return RT_EINVAL;
    sim_spec_t s;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < n; i++) {
        char c = symbol[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return RT_EINVAL;
        s.symbol[i] = c;
    }

    /* Base and quote. */
    const char *quote_usd = "1";
    size_t qlen = 0;
    for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
        size_t l = strlen(quotes[i].asset);
        if (l < n && memcmp(s.symbol + n - l, quotes[i].asset, l) == 0) {
            qlen = l;
            quote_usd = quotes[i].usd;
            break;
        }
    }
    if (qlen == 0)
        qlen = n > 3 ? 3 : 1;
    memcpy(s.quote, s.symbol + n - qlen, qlen);
    memcpy(s.base, s.symbol, n - qlen);

    const coin_t *coin = find_coin(s.base);
    rt_money_t base_usd =
        money_lit(coin ? coin->usd
                       : unknown_usd[fnv1a(s.base) % (sizeof unknown_usd / sizeof unknown_usd[0])]);
    rt_money_t q_usd = money_lit(quote_usd);
    bool stable_quote = q_usd == RT_MONEY_SCALE;

    /* Price and tick: Binance keeps about 5 significant digits. */
    rt_money_t price = div_sat(base_usd, q_usd);
    price = clamp(price, 100, RT_MONEY_UNITS(10000000));
    if (coin && coin->usd_tick && stable_quote)
        s.tick = money_lit(coin->usd_tick);
    else
        s.tick = clamp(pow10_money(floor_log10(price) - 4), 1, RT_MONEY_SCALE / 100);
    if (rt_money_round_step(price, s.tick, RT_ROUND_NEAREST, &s.start_price) != RT_OK ||
        s.start_price < s.tick)
        s.start_price = s.tick * 100;
    int max_e = floor_log10(s.start_price) + 2; /* at least 10x the start */
    s.max_price = max_e > 10 ? RT_MONEY_UNITS(10000000000LL) : pow10_money(max_e);
    if (s.max_price < RT_MONEY_UNITS(1000))
        s.max_price = RT_MONEY_UNITS(1000);

    /* Lot step by the coin's dollar value: a step is worth at most about $1. */
    if (coin && coin->step)
        s.step = money_lit(coin->step);
    else
        s.step = clamp(pow10_money(-(floor_log10(base_usd) + 1)), 1, RT_MONEY_SCALE);
    /* maxQty: about $540M worth (BTC: 9000), within the money range. */
    rt_money_t max_qty = div_sat(RT_MONEY_UNITS(540000000), base_usd);
    max_qty = clamp(max_qty, s.step, RT_MONEY_UNITS(90000000000LL));
    (void)rt_money_round_step(max_qty, s.step, RT_ROUND_DOWN, &s.max_qty);
    rt_money_t mmax = clamp(max_qty / 90, s.step, s.max_qty);
    (void)rt_money_round_step(mmax, s.step, RT_ROUND_DOWN, &s.market_max_qty);

    /* Notional limits and trade sizes in the quote asset. */
    s.min_notional = clamp(div_sat(money_lit(MIN_NOTIONAL_USD), q_usd), 1, RT_MONEY_MAX);
    s.max_notional = clamp(div_sat(money_lit(MAX_NOTIONAL_USD), q_usd), 1, RT_MONEY_MAX);
    s.trade_notional = clamp(div_sat(money_lit(TRADE_USD), q_usd), 1, RT_MONEY_MAX);
    s.sigma_ppb = (int64_t)(coin ? coin->vol_pct : DEFAULT_VOL_PCT) * PPB_PER_VOL_UNIT / 100;

    *out = s;
    return RT_OK;
}
