#include "model.h"

#include <string.h>

#include "rt/err.h"

__extension__ typedef __int128 i128;

#define MICRO 1000000     /* micro-ticks per tick */
#define PPB 1000000000    /* parts per billion */
#define Z_BITS 20         /* fixed-point normals: 1.0 == 1 << Z_BITS */
#define SQRT3_PPM 1732051 /* sqrt(3) * 1e6 */
#define MIN_TICKS 10      /* the price never goes below 10 ticks */

/* ---- random numbers ---------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void sim_rng_seed(sim_rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sim_rng_below(sim_rng_t *r, uint64_t n)
{
    if (n == 0)
        return 0;
    /* Rejection sampling: draw until the value falls below the largest multiple of n. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = sim_rng_next(r);
    } while (x >= limit);
    return x % n;
}

/* Uniform in [lo, hi]. */
static int64_t rng_range(sim_rng_t *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)sim_rng_below(r, (uint64_t)(hi - lo) + 1);
}

uint64_t sim_seed_for_symbol(uint64_t seed, const char *symbol)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = symbol; p && *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ull;
    }
    uint64_t x = seed ^ h;
    return splitmix64(&x);
}

/* A standard normal approximated by the sum of 4 uniforms (Irwin-Hall), in 1/2^Z_BITS units:
 * bounded to +-3.46, variance 1. Fat tails come from the shock regime instead. */
static int64_t normal_fp(sim_rng_t *r)
{
    int64_t sum = 0;
    for (int i = 0; i < 4; i++)
        sum += (int64_t)(sim_rng_next(r) >> (64 - Z_BITS));
    sum -= (int64_t)2 << Z_BITS;
    return sum * SQRT3_PPM / 1000000;
}

/* ---- regimes ----------------------------------------------------------------------------- */

const char *sim_regime_name(sim_regime_t r)
{
    switch (r) {
    case SIM_REGIME_TREND_UP:
        return "trend_up";
    case SIM_REGIME_TREND_DOWN:
        return "trend_down";
    case SIM_REGIME_RANGE:
        return "range";
    case SIM_REGIME_SHOCK:
        return "shock";
    default:
        return "?";
    }
}

/* Trend drift: 0.2 % to 1 % an hour, in ppb per second. */
#define TREND_MIN_PPB 556
#define TREND_MAX_PPB 2778

static void enter_regime(sim_model_t *m)
{
    /* Weights: up, down, range, shock; trends lean back toward the start price once the
     * price has wandered far from it, so long runs stay realistic. */
    int64_t w[SIM_REGIME_COUNT] = {30, 30, 34, 6};
    i128 ratio_pct = (i128)m->pu * 100 / m->pu_start;
    if (ratio_pct > 150) {
        w[SIM_REGIME_TREND_UP] = 10;
        w[SIM_REGIME_TREND_DOWN] = 50;
    } else if (ratio_pct > 115) {
        w[SIM_REGIME_TREND_UP] = 20;
        w[SIM_REGIME_TREND_DOWN] = 40;
    } else if (ratio_pct < 67) {
        w[SIM_REGIME_TREND_UP] = 50;
        w[SIM_REGIME_TREND_DOWN] = 10;
    } else if (ratio_pct < 87) {
        w[SIM_REGIME_TREND_UP] = 40;
        w[SIM_REGIME_TREND_DOWN] = 20;
    }
    int64_t total = 0;
    for (int i = 0; i < SIM_REGIME_COUNT; i++)
        total += w[i];
    int64_t pick = (int64_t)sim_rng_below(&m->rng, (uint64_t)total);
    sim_regime_t r = SIM_REGIME_TREND_UP;
    for (int i = 0; i < SIM_REGIME_COUNT; i++) {
        if (pick < w[i]) {
            r = (sim_regime_t)i;
            break;
        }
        pick -= w[i];
    }

    m->regime = r;
    m->regimes_entered[r]++;
    m->drift_ppb = 0;
    m->sigma_pct = 100;
    int64_t duration;
    switch (r) {
    case SIM_REGIME_TREND_UP:
    case SIM_REGIME_TREND_DOWN:
        m->drift_ppb = rng_range(&m->rng, TREND_MIN_PPB, TREND_MAX_PPB);
        if (r == SIM_REGIME_TREND_DOWN)
            m->drift_ppb = -m->drift_ppb;
        duration = rng_range(&m->rng, 20 * 60, 180 * 60);
        break;
    case SIM_REGIME_RANGE:
        m->anchor_pu = m->pu;
        m->tau_s = rng_range(&m->rng, 300, 900);
        m->sigma_pct = 80;
        duration = rng_range(&m->rng, 30 * 60, 240 * 60);
        break;
    case SIM_REGIME_SHOCK:
    default: {
        /* A drop of 2-5 % (60 %) or a spike of 1.5-4 %, at once. */
        int64_t jump_ppm = sim_rng_below(&m->rng, 10) < 6 ? -rng_range(&m->rng, 20000, 50000)
                                                          : rng_range(&m->rng, 15000, 40000);
        m->pu += (int64_t)((i128)m->pu * jump_ppm / 1000000);
        m->sigma_pct = 250;
        duration = rng_range(&m->rng, 60, 300);
        break;
    }
    }
    m->regime_end = m->second + duration;
}

/* ---- the model --------------------------------------------------------------------------- */

int sim_model_init(sim_model_t *m, const sim_spec_t *spec, uint64_t seed, int64_t start_ms)
{
    if (spec == NULL || spec->tick <= 0 || spec->step <= 0 || spec->start_price <= 0 ||
        spec->trade_notional <= 0)
        return RT_EINVAL;
    memset(m, 0, sizeof *m);
    m->spec = *spec;
    sim_rng_seed(&m->rng, sim_seed_for_symbol(seed, spec->symbol));
    int64_t ticks = spec->start_price / spec->tick;
    if (ticks < MIN_TICKS * 10)
        ticks = MIN_TICKS * 10;
    m->pu = ticks * MICRO;
    m->pu_start = m->pu;
    int64_t max_ticks = spec->max_price / spec->tick / 2;
    if (max_ticks > INT64_MAX / MICRO / 4)
        max_ticks = INT64_MAX / MICRO / 4;
    if (max_ticks < ticks * 2)
        max_ticks = ticks * 2;
    m->pu_max = max_ticks * MICRO;
    m->second = start_ms >= 0 ? (start_ms + 999) / 1000 : -((-start_ms) / 1000);
    enter_regime(m);
    return RT_OK;
}

rt_money_t sim_model_price(const sim_model_t *m)
{
    return m->pu / MICRO * m->spec.tick;
}

/* How many trades a second holds: 0..5, 2.5 on average (weights in percent). */
static int trades_this_second(sim_model_t *m)
{
    static const int weights[] = {10, 20, 25, 20, 15, 10};
    int64_t pick = (int64_t)sim_rng_below(&m->rng, 100);
    int n = 0;
    for (; n < (int)(sizeof weights / sizeof weights[0]) - 1; n++) {
        if (pick < weights[n])
            break;
        pick -= weights[n];
    }
    if (m->regime == SIM_REGIME_SHOCK)
        n += 2;
    return n;
}

/* A trade's quantity: a notional of trade_notional * (1 + 1000 * u1*u2*u3), which is skewed
 * toward small trades (about 126 times trade_notional on average), over the price, rounded
 * down to the step, at least one step. */
static rt_money_t trade_qty(sim_model_t *m, rt_money_t price)
{
    int64_t u = 1;
    for (int i = 0; i < 3; i++)
        u *= (int64_t)(sim_rng_next(&m->rng) >> 48); /* 16 bits each: < 2^48 */
    const int64_t one = (int64_t)1 << 48;
    i128 scaled = (i128)m->spec.trade_notional * (one + (i128)u * 1000) / one;
    rt_money_t notional = scaled > (i128)RT_MONEY_MAX ? RT_MONEY_MAX : (rt_money_t)scaled;
    rt_money_t qty, stepped;
    if (rt_money_div(notional, price, RT_ROUND_DOWN, &qty) != RT_OK ||
        rt_money_round_step(qty, m->spec.step, RT_ROUND_DOWN, &stepped) != RT_OK)
        stepped = m->spec.step;
    if (stepped < m->spec.step)
        stepped = m->spec.step;
    if (stepped > m->spec.max_qty && m->spec.max_qty > 0)
        stepped = m->spec.max_qty;
    return stepped;
}

static void generate_second(sim_model_t *m)
{
    if (m->second >= m->regime_end)
        enter_regime(m);

    /* One GBM step: r = drift + sigma * Z (ppb), p += p * r. */
    int64_t drift = m->drift_ppb;
    if (m->regime == SIM_REGIME_RANGE && m->anchor_pu > 0)
        drift = (int64_t)(-((i128)(m->pu - m->anchor_pu) * PPB / m->anchor_pu / m->tau_s));
    int64_t sigma = m->spec.sigma_ppb * m->sigma_pct / 100;
    int64_t r_ppb = drift + (int64_t)((i128)sigma * normal_fp(&m->rng) >> Z_BITS);
    int64_t before = m->pu;
    int64_t after = before + (int64_t)((i128)before * r_ppb / PPB);
    if (after < (int64_t)MIN_TICKS * MICRO)
        after = (int64_t)MIN_TICKS * MICRO;
    if (after > m->pu_max)
        after = m->pu_max;
    m->pu = after;

    /* The second's trades, spread along the path from before to after. */
    int n = trades_this_second(m);
    int64_t offsets[SIM_MODEL_MAX_TICKS_PER_S];
    for (int i = 0; i < n; i++) {
        int64_t o = (int64_t)sim_rng_below(&m->rng, 1000);
        int j = i;
        for (; j > 0 && offsets[j - 1] > o; j--)
            offsets[j] = offsets[j - 1];
        offsets[j] = o;
    }
    m->npending = 0;
    m->next = 0;
    for (int i = 0; i < n; i++) {
        int64_t mid = before + (int64_t)((i128)(after - before) * (i + 1) / n);
        int64_t bid = mid / MICRO;
        bool buyer_maker = (sim_rng_next(&m->rng) >> 63) != 0;
        int64_t ticks = buyer_maker ? bid : bid + 1;
        sim_tick_t *t = &m->pending[m->npending++];
        t->time = m->second * 1000 + offsets[i];
        t->price = ticks * m->spec.tick;
        t->qty = trade_qty(m, t->price);
        t->buyer_maker = buyer_maker;
        t->is_trade = true;
    }
    m->second++;
    m->seconds++;
}

int sim_model_next(sim_model_t *m, int64_t until_ms, sim_tick_t *out)
{
    while (m->next >= m->npending) {
        if (m->second * 1000 > until_ms)
            return RT_EAGAIN;
        generate_second(m);
    }
    if (m->pending[m->next].time > until_ms)
        return RT_EAGAIN;
    *out = m->pending[m->next++];
    return RT_OK;
}
