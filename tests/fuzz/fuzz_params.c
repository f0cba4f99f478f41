/* libFuzzer target for the short texts services take from outside: the trader's settings
 * (env values: percents, basis points, durations, balances, every tr_setting_vars entry), the
 * portfolio API's query parameters (symbol, strategy, interval), the analyzer's strategy
 * parameters (env values and PUT /strategies/{name} values) and STRATEGIES lists, the
 * gateway's exchange URL, the simulator's symbols, and the common number, log level and symbol
 * status texts. Built only with clang; see CMakeLists.txt.
 *
 * Input: one selector byte, one index byte, then the text (cut at its first NUL).
 * Properties, for any input: no crash, leak or undefined behaviour; a refused text leaves its
 * output untouched; balances and exchange URLs written back parse to the same values; an analyzer
 * parameter's formatted value is read back to the same formatted value. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/strategy.h"
#include "gw/streams.h"
#include "pf_core.h"
#include "rt/err.h"
#include "rt/exinfo.h"
#include "rt/log.h"
#include "rt/money.h"
#include "rt/str.h"
#include "sim/spec.h"
#include "tr_settings.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TEXT_MAX 4096

static void die(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_params: %s: \"%.200s\"\n", what, text ? text : "");
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rt_log_init("fuzz", RT_LOG_ERROR);
    return 0;
}

static void trader_setting(unsigned idx, const char *text)
{
    static tr_settings_t s, before; /* large: not on the stack */
    memset(&s, 0, sizeof s);
    tr_settings_default(&s);
    before = s;
    const char *name = tr_setting_vars[idx % tr_setting_var_count].name;
    char why[256];
    int rc = tr_settings_set(&s, name, text, why, sizeof why);
    if (rc != RT_OK) {
        if (memcmp(&s, &before, sizeof s) != 0)
            die("tr_settings_set refused but changed the settings", text);
        if (memchr(why, '\0', sizeof why) == NULL)
            die("tr_settings_set: reason not terminated", text);
        return;
    }
    (void)tr_settings_check(&s, why, sizeof why);
}

static void trader_units(const char *text)
{
    rt_money_t m = 77;
    if (tr_parse_pct(text, &m) != RT_OK && m != 77)
        die("tr_parse_pct refused but wrote", text);
    m = 77;
    if (tr_parse_bps(text, &m) != RT_OK && m != 77)
        die("tr_parse_bps refused but wrote", text);
    int64_t ms = 77;
    int rc = tr_parse_duration_ms(text, &ms);
    if (rc != RT_OK && ms != 77)
        die("tr_parse_duration_ms refused but wrote", text);
    if (rc == RT_OK && ms < 0)
        die("tr_parse_duration_ms gave a negative duration", text);
}

static void trader_balances(const char *text)
{
    tr_balance_t b[TR_DEMO_BALANCES_MAX], before[TR_DEMO_BALANCES_MAX];
    memset(b, 0x5a, sizeof b);
    memcpy(before, b, sizeof b);
    size_t count = 77;
    int rc = tr_parse_balances(text, b, TR_DEMO_BALANCES_MAX, &count);
    if (rc != RT_OK) {
        if (count != 77)
            die("tr_parse_balances refused but wrote the count", text);
        return;
    }
    if (count > TR_DEMO_BALANCES_MAX)
        die("tr_parse_balances: count beyond max", text);
    char back[TR_DEMO_BALANCES_MAX * (TR_ASSET_CAP + RT_MONEY_FMT_MAX + 2) + 1];
    size_t len = 0;
    for (size_t i = 0; i < count; i++) {
        if (b[i].free < 0)
            die("tr_parse_balances: negative amount", text);
        char amount[RT_MONEY_FMT_MAX];
        rt_money_format(b[i].free, amount, sizeof amount);
        int n =
            snprintf(back + len, sizeof back - len, "%s%s=%s", i ? "," : "", b[i].asset, amount);
        if (n < 0 || (size_t)n >= sizeof back - len)
            die("balances: written-back text too long", text);
        len += (size_t)n;
    }
    if (count == 0)
        return;
    tr_balance_t b2[TR_DEMO_BALANCES_MAX];
    size_t count2 = 0;
    if (tr_parse_balances(back, b2, TR_DEMO_BALANCES_MAX, &count2) != RT_OK || count2 != count)
        die("balances: written-back text refused", back);
    for (size_t i = 0; i < count; i++)
        if (strcmp(b[i].asset, b2[i].asset) != 0 || b[i].free != b2[i].free ||
            b[i].locked != b2[i].locked)
            die("balances: written-back text parses differently", back);
}

static void portfolio_params(const char *text)
{
    char sym[RT_SYMBOL_CAP];
    memset(sym, 'x', sizeof sym);
    if (pf_param_symbol(text, sym, sizeof sym) == RT_OK) {
        size_t n = strnlen(sym, sizeof sym);
        if (n < 2 || n > 20)
            die("pf_param_symbol: accepted length outside 2..20", text);
        for (size_t i = 0; i < n; i++)
            if (!((sym[i] >= 'A' && sym[i] <= 'Z') || (sym[i] >= '0' && sym[i] <= '9')))
                die("pf_param_symbol: not upper-case letters or digits", text);
    } else if (sym[0] != 'x') {
        die("pf_param_symbol refused but wrote", text);
    }
    (void)pf_param_strategy(text);
    (void)pf_param_interval(text);
}

static void analyzer_param(unsigned idx, const char *text)
{
    size_t n = 0;
    const an_strategy_t *const *all = an_registry_all(&n);
    if (n == 0)
        return;
    const an_strategy_t *s = all[idx % n];
    if (s->param_count == 0)
        return;
    const an_param_def_t *d = &s->params[(idx / n) % s->param_count];
    an_params_t p, before;
    memset(&p, 0, sizeof p);
    an_params_defaults(&p, s);
    before = p;
    char err[AN_ERR_CAP];
    int rc = an_params_set(&p, d->name, text, err, sizeof err);
    if (rc != RT_OK) {
        if (memcmp(&p, &before, sizeof p) != 0)
            die("an_params_set refused but changed the parameters", text);
        return;
    }
    size_t i = (size_t)an_param_index(s, d->name);
    double v = p.v[i];
    if (!(v >= d->min && v <= d->max))
        die("an_params_set: accepted value outside its range", text);
    char shown[64], again[64];
    if (an_param_format(d, v, shown, sizeof shown) == 0)
        die("an_param_format failed", text);
    an_params_t q = p;
    if (an_params_set(&q, d->name, shown, err, sizeof err) != RT_OK)
        die("an_params_set refused its own formatted value", shown);
    if (an_param_format(d, q.v[i], again, sizeof again) == 0 || strcmp(shown, again) != 0)
        die("an_param_format -> an_params_set -> an_param_format differs", shown);
}

static void analyzer_select(const char *text)
{
    const an_strategy_t *out[AN_STRATEGIES_MAX];
    out[0] = NULL;
    size_t count = 77;
    char err[AN_ERR_CAP];
    if (an_registry_select(text, out, AN_STRATEGIES_MAX, &count, err, sizeof err) != RT_OK) {
        if (count != 77 || out[0] != NULL)
            die("an_registry_select refused but wrote", text);
        return;
    }
    if (count == 0 || count > AN_STRATEGIES_MAX)
        die("an_registry_select: count outside 1..max", text);
    for (size_t i = 0; i < count; i++)
        for (size_t j = i + 1; j < count; j++)
            if (out[i] == out[j])
                die("an_registry_select: a strategy twice", text);
    char names[AN_STRATEGIES_MAX * 64];
    (void)an_strategy_names(out, count, names, sizeof names);
}

/* rt_str_parse_int64 as its header says: [+-]digits, nothing else, in range; and
 * rt_str_parse_double accepts only decimal text that strtod reads whole, to the same value. */
static void check_numbers(const char *text)
{
    int64_t i = 77;
    int rc = rt_str_parse_int64(text, &i);
    size_t k = (text[0] == '+' || text[0] == '-') ? 1 : 0;
    bool digits = text[k] != '\0' && strspn(text + k, "0123456789") == strlen(text + k);
    int want = RT_EINVAL;
    long long x = 0;
    if (digits) {
        errno = 0;
        x = strtoll(text, NULL, 10);
        want = errno == ERANGE ? RT_ERANGE : RT_OK;
    }
    if (rc != want || (rc == RT_OK && i != x) || (rc != RT_OK && i != 77))
        die("rt_str_parse_int64 disagrees with its grammar", text);

    double d = 77.0;
    rc = rt_str_parse_double(text, &d);
    if (rc != RT_OK) {
        if (d != 77.0)
            die("rt_str_parse_double refused but wrote", text);
        return;
    }
    char *end;
    double y = strtod(text, &end);
    if (strspn(text, "0123456789+-.eE") != strlen(text) || *end != '\0' || y != d || !isfinite(d))
        die("rt_str_parse_double accepted what strtod does not read the same", text);
}

/* The gateway's EXCHANGE_WS_URL: accepted URLs have a host and a port, and written back
 * parse to the same endpoint. */
static void gateway_endpoint(const char *text)
{
    gw_endpoint_t e, before;
    memset(&e, 0x5a, sizeof e);
    before = e;
    if (gw_endpoint_parse(text, &e) != RT_OK) {
        if (memcmp(&e, &before, sizeof e) != 0)
            die("gw_endpoint_parse refused but wrote", text);
        return;
    }
    if (e.host[0] == '\0' || e.port < 1 || e.port > 65535)
        die("gw_endpoint_parse: no host or a bad port", text);
    size_t pn = strlen(e.prefix);
    if (pn > 0 && e.prefix[pn - 1] == '/')
        die("gw_endpoint_parse: prefix with a trailing '/'", text);
    char url[GW_HOST_CAP + GW_PREFIX_CAP + 32];
    bool v6 = strchr(e.host, ':') != NULL;
    /* as the gateway uses it: <prefix>/stream (a prefix may itself end in /stream or /ws) */
    snprintf(url, sizeof url, "%s://%s%s%s:%d%s%s/stream", e.tls ? "wss" : "ws", v6 ? "[" : "",
             e.host, v6 ? "]" : "", e.port, (pn > 0 && e.prefix[0] != '/') ? "/" : "", e.prefix);
    gw_endpoint_t back;
    if (gw_endpoint_parse(url, &back) != RT_OK || back.tls != e.tls || back.port != e.port ||
        strcmp(back.host, e.host) != 0 || strcmp(back.prefix, e.prefix) != 0)
        die("gw_endpoint_parse: written-back URL differs", url);
}

/* The simulator's SYMBOLS: a spec only for a well-formed symbol, never written otherwise. */
static void sim_symbol(const char *text)
{
    sim_spec_t sp, before;
    memset(&sp, 0x5a, sizeof sp);
    before = sp;
    if (sim_spec_for_symbol(text, &sp) != RT_OK) {
        if (memcmp(&sp, &before, sizeof sp) != 0)
            die("sim_spec_for_symbol refused but wrote", text);
        return;
    }
    if (sp.tick <= 0 || sp.step <= 0 || sp.start_price <= 0 || sp.symbol[0] == '\0')
        die("sim_spec_for_symbol: a spec without tick, step or price", text);
}

static void common_texts(const char *text)
{
    check_numbers(text);
    rt_log_level_t level = RT_LOG_ERROR;
    if (rt_log_level_parse(text, &level) == RT_OK && rt_log_level_name(level) == NULL)
        die("rt_log_level_parse: a level without a name", text);
    (void)rt_symbol_status_name(rt_symbol_status_parse(text));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size - 2 > TEXT_MAX)
        return 0;
    unsigned sel = data[0], idx = data[1];
    char text[TEXT_MAX + 1];
    memcpy(text, data + 2, size - 2);
    text[size - 2] = '\0';
    switch (sel % 9) {
    case 0:
        trader_setting(idx, text);
        break;
    case 1:
        trader_units(text);
        break;
    case 2:
        trader_balances(text);
        break;
    case 3:
        portfolio_params(text);
        break;
    case 4:
        analyzer_param(idx, text);
        break;
    case 5:
        analyzer_select(text);
        break;
    case 6:
        gateway_endpoint(text);
        break;
    case 7:
        sim_symbol(text);
        break;
    default:
        common_texts(text);
        break;
    }
    return 0;
}
