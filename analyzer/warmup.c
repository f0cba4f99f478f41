/* Warm-up at start (service.h an_warm_up): the exchange's REST klines, fed without emitting,
 * so that the first live candle can already signal. Kept apart from service.c, which speaks
 * the bus messages, because it speaks the exchange's. */
#include <stdlib.h>

#include "analyzer/service.h"
#include "rt/err.h"
#include "rt/exchange.h"
#include "rt/exparse.h"
#include "rt/exrest.h"
#include "rt/log.h"
#include "rt/sig.h"
#include "rt/time.h"

#define MOD "warmup"

/* ---- warm-up --------------------------------------------------------------------------- */

void an_warm_up(an_service_t *svc)
{
    size_t need = an_engine_warmup(svc->engine) + 2;
    if (need < 300)
        need = 300;
    if (svc->cfg.warmup_candles > 0)
        need = (size_t)svc->cfg.warmup_candles;
    if (need > 1000)
        need = 1000;
    char url[sizeof svc->cfg.rest_url] = "";
    int rc = rt_exchange_urls((rt_exchange_t)svc->cfg.exchange, svc->cfg.sim_port,
                              svc->cfg.rest_url, NULL, url, sizeof url, NULL, 0);
    rt_exrest_config_t xc = {.base_url = url, .timeout_ms = 10000};
    rt_exrest_t *x = NULL;
    if (rc == RT_OK)
        rc = rt_exrest_new(&xc, &x);
    if (rc != RT_OK) {
        rt_log_warn(MOD, "warm-up skipped url=%s err=%s", xc.base_url, rt_strerror(rc));
        return;
    }
    rt_exrest_response_t resp;
    rt_exrest_response_init(&resp);
    for (size_t s = 0; s < svc->cfg.symbols.count && !rt_sig_stopping(); s++) {
        const char *sym = svc->cfg.symbols.items[s];
        rt_exrest_params_t q;
        rt_exrest_params_init(&q);
        rt_exrest_params_add(&q, "symbol", sym);
        rt_exrest_params_add(&q, "interval", svc->cfg.interval);
        rt_exrest_params_add_i64(&q, "limit", (int64_t)need);
        rc = rt_exrest_get(x, "/api/v3/klines", &q, false, &resp);
        rt_exrest_params_cleanup(&q);
        rt_candle_t *k = NULL;
        size_t n = 0;
        if (rc == RT_OK)
            rc = rt_exparse_klines(resp.body, resp.body_len, sym, svc->cfg.interval,
                                   rt_time_now_ms(), &k, &n);
        if (rc != RT_OK) {
            rt_log_warn(MOD, "warm-up failed symbol=%s url=%s status=%ld err=%s", sym, xc.base_url,
                        resp.status, rt_strerror(rc));
            continue;
        }
        size_t fed = 0;
        pthread_mutex_lock(&svc->lock);
        for (size_t i = 0; i < n; i++)
            if (k[i].closed &&
                an_engine_candle(svc->engine, &k[i], false, NULL, NULL) == AN_CANDLE_FED)
                fed++;
        pthread_mutex_unlock(&svc->lock);
        free(k);
        rt_log_info(MOD, "warm-up done symbol=%s candles=%zu", sym, fed);
    }
    rt_exrest_response_cleanup(&resp);
    rt_exrest_free(x);
}
