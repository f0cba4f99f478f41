/* libFuzzer target for what the exchange simulator reads from its clients: REST query strings
 * (sim_params_parse_query) handled by sim_rest_handle on every endpoint (the order-fault
 * admin endpoints included), WebSocket control
 * messages (sim_ws_handle: SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS...), upgrade paths
 * with ?streams= (sim_ws_session_open), and the signed account and order requests
 * (sim/account.h: the harness adds the timestamp and a valid signature, so the fuzzed
 * parameters reach the order checks). Built only with clang; see CMakeLists.txt.
 *
 * Input: one selector byte, one index byte, then the text. Properties, for any input: no
 * crash, leak or undefined behaviour; every REST answer has a status 100..599 and, when it is
 * JSON and not empty (404 and 405 are), a body that is valid JSON; every WebSocket reply is one
 * JSON object; a session never holds more than SIM_WS_MAX_STREAMS streams. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/hmac.h"
#include "rt/log.h"
#include "sim/account.h"
#include "sim/buf.h"
#include "sim/faults.h"
#include "sim/market.h"
#include "sim/rest.h"
#include "sim/stream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define START INT64_C(1700000040000)
#define NOW (START + INT64_C(3600000) + 30000)
#define TEXT_MAX (SIM_WS_MAX_MSG + 16)

static sim_market_t *g_market; /* built once at start, read-only afterwards (fuzzer fixture) */

static void die(const char *what)
{
    fprintf(stderr, "fuzz_simreq: %s\n", what);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    rt_log_init("fuzz", RT_LOG_ERROR);
    static const char *const syms[] = {"BTCUSDC", "ETHUSDC"};
    sim_market_config_t c = {.symbols = syms,
                             .nsymbols = 2,
                             .seed = 5,
                             .start_ms = START,
                             .live_ms = NOW,
                             .ring_max = 200};
    if (sim_market_new(&c, &g_market, NULL, 0) != RT_OK ||
        sim_market_advance(g_market, NOW, NULL, NULL) != RT_OK)
        die("market setup failed");
    return 0;
}

static void rest(unsigned idx, const char *text, size_t n)
{
    static const char *const paths[] = {
        "/api/v3/klines",
        "/api/v3/exchangeInfo",
        "/api/v3/ticker/price",
        "/api/v3/time",
        "/api/v3/ping",
        "/health",
        "/metrics",
        "/admin/mute-pings",
        "/admin/refuse",
        "/admin/drop",
        "/admin/closed",
        "/admin/shutdown-event",
        "/admin/order-fault",
        "/admin/order-requests",
        "/api/v3/nope",
        "/",
    };
    static sim_params_t params; /* 8 KiB arena: not on the stack */
    static sim_weights_t weights;
    static sim_faults_t faults; /* armed and counted across inputs, as in the server */
    sim_params_init(&params);
    int rc = sim_params_parse_query(&params, text, n);
    if (rc != RT_OK) {
        if (rc != RT_EINVAL && rc != RT_ETOOBIG)
            die("query: unexpected error code");
        return;
    }
    if (params.count > SIM_PARAMS_MAX || params.used > SIM_PARAMS_ARENA)
        die("query: table or arena overflow");
    for (size_t i = 0; i < params.count; i++)
        if (params.name[i] < params.arena || params.name[i] >= params.arena + params.used ||
            params.value[i] < params.arena || params.value[i] >= params.arena + params.used)
            die("query: a name or value outside the arena");
    memset(&weights, 0, sizeof weights);
    const sim_stats_t stats = {.speed = 60};
    const sim_rest_ctx_t ctx = {.market = g_market,
                                .weights = &weights,
                                .stats = &stats,
                                .sim_now_ms = NOW,
                                .real_now_ms = NOW,
                                .faults = &faults};
    const sim_rest_req_t req = {.method = (idx & 0x80) ? SIM_HTTP_POST : SIM_HTTP_GET,
                                .path = paths[(idx & 0x7f) % (sizeof paths / sizeof paths[0])],
                                .params = &params,
                                .peer = "127.0.0.1",
                                .peer_loopback = (idx & 0x40) == 0};
    sim_rest_resp_t resp;
    sim_rest_resp_init(&resp);
    rc = sim_rest_handle(&ctx, &req, &resp);
    if (rc == RT_OK) {
        if (resp.status < 100 || resp.status > 599)
            die("rest: status outside 100..599");
        /* 404 and 405 have an empty body (docs/SIM.md) */
        if (resp.content_type != NULL && strstr(resp.content_type, "json") != NULL &&
            resp.body.len > 0) {
            json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len,
                                   JSON_DECODE_ANY, NULL);
            if (j == NULL)
                die("rest: a JSON answer that is not JSON");
            json_decref(j);
        }
    } else if (rc != RT_ENOMEM && rc != RT_ETOOBIG) {
        die("rest: unexpected error code");
    }
    sim_rest_resp_cleanup(&resp);
}

static void ws_message(unsigned idx, const char *text, size_t n)
{
    sim_ws_session_t s;
    sim_ws_session_init(&s, g_market, (idx & 1) != 0);
    if ((idx & 2) != 0 && sim_ws_session_open(&s, "/ws/btcusdc@kline_1m", NULL) != RT_OK)
        die("ws: a valid path refused");
    sim_buf_t reply;
    sim_buf_init(&reply);
    bool close = false;
    int rc = sim_ws_handle(&s, text, n, &reply, &close);
    if (rc == RT_OK && !close) {
        json_t *j = json_loadb(reply.data ? reply.data : "", reply.len, 0, NULL);
        if (!json_is_object(j))
            die("ws: the reply is not one JSON object");
        json_decref(j);
    }
    if (s.count > SIM_WS_MAX_STREAMS)
        die("ws: more streams than SIM_WS_MAX_STREAMS");
    sim_buf_cleanup(&reply);
    sim_ws_session_cleanup(&s);
}

static void ws_open(const char *text)
{
    char path[TEXT_MAX + 1];
    snprintf(path, sizeof path, "%s", text);
    char *q = strchr(path, '?');
    const char *streams = NULL;
    if (q != NULL) {
        *q = '\0';
        streams = q + 1;
    }
    sim_ws_session_t s;
    sim_ws_session_init(&s, g_market, false);
    int rc = sim_ws_session_open(&s, path, streams);
    if (rc != RT_OK && rc != RT_ENOTFOUND && rc != RT_EINVAL && rc != RT_ETOOBIG)
        die("open: unexpected error code");
    if (s.count > SIM_WS_MAX_STREAMS)
        die("open: more streams than SIM_WS_MAX_STREAMS");
    for (size_t i = 0; i < s.count; i++)
        if (memchr(s.items[i].name, '\0', sizeof s.items[i].name) == NULL)
            die("open: a stream name not terminated");
    sim_ws_session_cleanup(&s);
    sim_stream_t st;
    (void)sim_stream_parse(text, strlen(text), &st);
}

/* A signed request of an account route: the text as parameters, then timestamp and a valid
 * signature; a fresh account each time (deterministic runs). */
static void signed_req(unsigned idx, const char *text)
{
    static const char *const paths[] = {"/api/v3/order", "/api/v3/order/test", "/api/v3/account",
                                        "/api/v3/openOrders"};
    static const sim_http_method_t methods[] = {SIM_HTTP_GET, SIM_HTTP_POST, SIM_HTTP_DELETE};
    static char full[TEXT_MAX + 256];
    static sim_params_t params;
    static sim_weights_t weights;
    int n =
        snprintf(full, sizeof full, "%s%stimestamp=%lld", text, text[0] ? "&" : "", (long long)NOW);
    if (n < 0 || (size_t)n >= sizeof full - 100)
        return;
    char sig[RT_HMAC_HEX_CAP];
    if (rt_exrest_signature("fuzz-secret", 11, full, (size_t)n, "", 0, sig) != RT_OK)
        die("signature failed");
    n += snprintf(full + n, sizeof full - (size_t)n, "&signature=%s", sig);
    sim_params_init(&params);
    if (sim_params_parse_query(&params, full, (size_t)n) != RT_OK)
        return;
    sim_account_config_t ac = {.api_key = "fuzz-key",
                               .secret_key = "fuzz-secret",
                               .balances = "USDC=10000,BTC=1,ETH=10",
                               .taker_fee = RT_MONEY_UNITS(1) / 1000,
                               .maker_fee = RT_MONEY_UNITS(1) / 1000};
    sim_account_t *a = NULL;
    if (sim_account_new(&ac, &a, NULL, 0) != RT_OK)
        die("account setup failed");
    memset(&weights, 0, sizeof weights);
    const sim_rest_ctx_t ctx = {.market = g_market,
                                .weights = &weights,
                                .sim_now_ms = NOW,
                                .real_now_ms = NOW,
                                .account = a};
    sim_http_method_t method = methods[(idx >> 2) % 3];
    bool in_body = method == SIM_HTTP_POST;
    const sim_rest_req_t req = {.method = method,
                                .path = paths[idx % 4],
                                .params = &params,
                                .peer = "127.0.0.1",
                                .peer_loopback = true,
                                .api_key = "fuzz-key",
                                .query = in_body ? NULL : full,
                                .query_len = in_body ? 0 : (size_t)n,
                                .body = in_body ? full : NULL,
                                .body_len = in_body ? (size_t)n : 0};
    sim_rest_resp_t resp;
    sim_rest_resp_init(&resp);
    int rc = sim_rest_handle(&ctx, &req, &resp);
    if (rc == RT_OK) {
        if (resp.status < 100 || resp.status > 599)
            die("signed: status outside 100..599");
        if (resp.body.len > 0) {
            json_t *j = json_loadb(resp.body.data, resp.body.len, JSON_DECODE_ANY, NULL);
            if (j == NULL)
                die("signed: a JSON answer that is not JSON");
            json_decref(j);
        }
    } else if (rc != RT_ENOMEM && rc != RT_ETOOBIG) {
        die("signed: unexpected error code");
    }
    sim_rest_resp_cleanup(&resp);
    sim_account_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size - 2 > TEXT_MAX)
        return 0;
    static char text[TEXT_MAX + 1];
    size_t n = size - 2;
    memcpy(text, data + 2, n);
    text[n] = '\0';
    switch (data[0] % 4) {
    case 0:
        rest(data[1], text, n);
        break;
    case 1:
        ws_message(data[1], text, n);
        break;
    case 2:
        ws_open(text);
        break;
    default:
        signed_req(data[1], text);
        break;
    }
    return 0;
}
