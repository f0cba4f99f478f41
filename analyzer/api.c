/* The analyzer's HTTP API: GET /strategies, PUT /strategies/{name} (service.h). Handlers run
 * on server threads: they read the engine under the service lock and queue changes for the
 * loop thread, which applies them before the next candle. */
#include <jansson.h>
#include <string.h>

#include "analyzer/service.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/msg.h"

#define MOD "api"

static void param_json(rt_jsonw_t *w, const an_param_def_t *d, double v)
{
    switch (d->type) {
    case AN_PARAM_BOOL:
        rt_jsonw_bool(w, v != 0.0);
        break;
    case AN_PARAM_ENUM: {
        size_t i = (size_t)v;
        rt_jsonw_string(w, d->choices != NULL ? d->choices[i] : "?");
        break;
    }
    case AN_PARAM_INT:
        rt_jsonw_int(w, (int64_t)v);
        break;
    case AN_PARAM_DOUBLE:
        rt_jsonw_double(w, v);
        break;
    }
}

static const char *type_name(an_param_type_t t)
{
    switch (t) {
    case AN_PARAM_INT:
        return "int";
    case AN_PARAM_DOUBLE:
        return "double";
    case AN_PARAM_BOOL:
        return "bool";
    case AN_PARAM_ENUM:
        return "enum";
    }
    return "?";
}

/* One strategy's entry of GET /strategies; called with the lock held. */
static int strategy_json(rt_jsonw_t *w, const an_service_t *svc, size_t i)
{
    const an_engine_t *e = svc->engine;
    const an_strategy_t *s = an_engine_strategy(e, i);
    const an_params_t *p = &svc->desired[i];
    char text[160];
    rt_jsonw_object_begin(w);
    rt_jsonw_kv_string(w, "name", s->name);
    rt_jsonw_kv_bool(w, "enabled", svc->desired_enabled[i]);
    rt_jsonw_kv_string(w, "rule", s->rule != NULL ? s->rule : "");
    rt_jsonw_kv_int(w, "warmup", (int64_t)s->warmup(p));
    rt_jsonw_kv_int(w, "signals", (int64_t)an_engine_signals(e, i));
    rt_jsonw_key(w, "params");
    rt_jsonw_array_begin(w);
    for (size_t k = 0; k < s->param_count; k++) {
        const an_param_def_t *d = &s->params[k];
        rt_jsonw_object_begin(w);
        rt_jsonw_kv_string(w, "name", d->name);
        rt_jsonw_kv_string(w, "type", type_name(d->type));
        rt_jsonw_key(w, "value");
        param_json(w, d, p->v[k]);
        rt_jsonw_key(w, "default");
        param_json(w, d, d->def);
        if (d->type == AN_PARAM_INT || d->type == AN_PARAM_DOUBLE) {
            rt_jsonw_key(w, "min");
            param_json(w, d, d->min);
            rt_jsonw_key(w, "max");
            param_json(w, d, d->max);
        }
        if (d->type == AN_PARAM_ENUM && d->choices != NULL) {
            rt_jsonw_key(w, "choices");
            rt_jsonw_array_begin(w);
            for (size_t c = 0; c <= (size_t)d->max && d->choices[c] != NULL; c++)
                rt_jsonw_string(w, d->choices[c]);
            rt_jsonw_array_end(w);
        }
        if (an_param_describe(d, text, sizeof text) > 0)
            rt_jsonw_kv_string(w, "allowed", text);
        rt_jsonw_kv_bool(w, "structural", d->structural);
        rt_jsonw_kv_string(w, "help", d->help != NULL ? d->help : "");
        rt_jsonw_object_end(w);
    }
    rt_jsonw_array_end(w);
    rt_jsonw_key(w, "last_signal");
    rt_jsonw_object_begin(w);
    for (size_t sy = 0; sy < an_engine_symbol_count(e); sy++) {
        rt_jsonw_key(w, an_engine_symbol(e, sy));
        const rt_signal_t *sig = an_engine_last_signal(e, i, sy);
        if (sig != NULL)
            rt_msg_signal_format(w, sig);
        else
            rt_jsonw_null(w);
    }
    rt_jsonw_object_end(w);
    return rt_jsonw_object_end(w);
}

static int get_strategies(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    an_service_t *svc = ud;
    (void)req;
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    rt_jsonw_object_begin(&w);
    pthread_mutex_lock(&svc->lock);
    const an_engine_t *e = svc->engine;
    rt_jsonw_kv_string(&w, "interval", svc->cfg.interval);
    rt_jsonw_key(&w, "strategies");
    rt_jsonw_array_begin(&w);
    for (size_t i = 0; i < an_engine_strategy_count(e); i++)
        strategy_json(&w, svc, i);
    rt_jsonw_array_end(&w);
    rt_jsonw_key(&w, "forming");
    rt_jsonw_object_begin(&w);
    for (size_t sy = 0; sy < an_engine_symbol_count(e); sy++) {
        rt_jsonw_key(&w, an_engine_symbol(e, sy));
        const rt_candle_t *c = an_engine_forming(e, sy);
        if (c != NULL)
            rt_msg_candle_format(&w, c);
        else
            rt_jsonw_null(&w);
    }
    rt_jsonw_object_end(&w);
    pthread_mutex_unlock(&svc->lock);
    rt_jsonw_object_end(&w);
    int rc = rt_jsonw_finish(&w);
    if (rc == RT_OK)
        rc = rt_http_respond_json(res, 200, rt_jsonw_data(&w));
    rt_jsonw_cleanup(&w);
    return rc;
}

static int put_strategy(void *ud, const rt_http_request_t *req, rt_http_response_t *res)
{
    an_service_t *svc = ud;
    const char *name = rt_http_param(req, "name");
    json_t *body = NULL;
    int rc = rt_http_body_json(req, res, &body);
    if (rc != RT_OK)
        return rc;
    char why[AN_ERR_CAP] = "";
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    pthread_mutex_lock(&svc->lock);
    int slot = an_engine_find(svc->engine, name);
    if (slot < 0) {
        pthread_mutex_unlock(&svc->lock);
        rc = rt_http_respond_errorf(res, 404, "not_found", "no strategy named %s", name);
        goto out;
    }
    const an_strategy_t *s = an_engine_strategy(svc->engine, (size_t)slot);
    bool en = svc->desired_enabled[slot];
    an_params_t p = svc->desired[slot];
    rc = an_settings_apply(s, body, &en, &p, why, sizeof why);
    if (rc == RT_OK && svc->nchanges == AN_CHANGES_MAX)
        rc = RT_EAGAIN;
    if (rc == RT_OK) {
        svc->changes[svc->nchanges++] =
            (an_change_t){.slot = (size_t)slot, .enabled = en, .params = p};
        svc->desired_enabled[slot] = en;
        svc->desired[slot] = p;
        an_settings_format(&w, s, en, &p, NULL);
    }
    pthread_mutex_unlock(&svc->lock);
    if (rc == RT_EAGAIN) {
        rc = rt_http_respond_error(res, 503, "busy", "too many pending changes, retry");
        goto out;
    }
    if (rc != RT_OK) {
        rc = rt_http_respond_error(res, 400, "bad_request", why);
        goto out;
    }
    rc = rt_jsonw_finish(&w);
    if (rc == RT_OK)
        rc = rt_http_respond_json(res, 200, rt_jsonw_data(&w));
    rt_log_info(MOD, "strategy change queued strategy=%s enabled=%s", s->name,
                en ? "true" : "false");
out:
    rt_jsonw_cleanup(&w);
    json_decref(body);
    return rc;
}

int an_api_register(an_service_t *svc)
{
    int rc = rt_http_server_route(svc->http, "GET", "/strategies", 0, get_strategies, svc);
    if (rc == RT_OK)
        rc = rt_http_server_route(svc->http, "PUT", "/strategies/{name}", RT_HTTP_AUTH,
                                  put_strategy, svc);
    return rc;
}
