#include "rest.h"

#include <inttypes.h>
#include <string.h>

#include "rt/err.h"
#include "rt/exparse.h"
#include "rt/exrest.h"
#include "rt/log.h"
#include "rt/str.h"

#define MOD "gateway"

int gw_rest_new(const char *base_url, rt_exrest_t **out)
{
    rt_exrest_config_t cfg = {
        .base_url = base_url, .connect_timeout_ms = 3000, .timeout_ms = 10000};
    int rc = rt_exrest_new(&cfg, out);
    if (rc != RT_OK)
        rt_log_error(MOD, "REST client for %s: %s", base_url, rt_strerror(rc));
    return rc;
}

void gw_rest_free(rt_exrest_t *rest)
{
    rt_exrest_free(rest);
}

int gw_rest_klines(rt_exrest_t *rest, const char *symbol, const char *interval, int64_t from,
                   int64_t to, int limit, rt_candle_t **out, size_t *n)
{
    rt_exrest_params_t params;
    rt_exrest_params_init(&params);
    rt_exrest_params_add(&params, "symbol", symbol);
    rt_exrest_params_add(&params, "interval", interval);
    rt_exrest_params_add_i64(&params, "startTime", from);
    rt_exrest_params_add_i64(&params, "endTime", to);
    rt_exrest_params_add_i64(&params, "limit", limit);
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);
    int rc = rt_exrest_get(rest, "/api/v3/klines", &params, false, &resp);
    if (rc != RT_OK) {
        char msg[RT_EXPARSE_MSG_CAP * 4];
        rt_str_escape(msg, sizeof msg, resp.exchange_msg, strlen(resp.exchange_msg));
        rt_log_warn(MOD,
                    "backfill request failed symbol=%s startTime=%" PRId64 " endTime=%" PRId64
                    ": %s status=%ld code=%d msg=\"%s\"",
                    symbol, from, to, rt_strerror(rc), resp.status, resp.exchange_code, msg);
        goto out;
    }
    /* INT64_MAX as "now": every row is marked closed (the caller asked for closed ones). */
    rc = rt_exparse_klines(resp.body, resp.body_len, symbol, interval, INT64_MAX, out, n);
    if (rc != RT_OK)
        rt_log_warn(MOD, "backfill reply not understood symbol=%s: %s", symbol, rt_strerror(rc));
out:
    rt_exrest_response_cleanup(&resp);
    rt_exrest_params_cleanup(&params);
    return rc;
}
