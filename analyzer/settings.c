/* A strategy's settings as JSON (settings.h). */
#include "analyzer/settings.h"

#include <stdio.h>
#include <string.h>

#include "rt/err.h"

int an_settings_format(rt_jsonw_t *w, const an_strategy_t *s, bool enabled, const an_params_t *p,
                       const char *instance)
{
    char v[64];
    rt_jsonw_object_begin(w);
    rt_jsonw_kv_string(w, "strategy", s->name);
    if (instance != NULL)
        rt_jsonw_kv_string(w, "instance", instance);
    rt_jsonw_kv_bool(w, "enabled", enabled);
    rt_jsonw_key(w, "params");
    rt_jsonw_object_begin(w);
    for (size_t i = 0; i < s->param_count; i++) {
        if (an_param_format(&s->params[i], p->v[i], v, sizeof v) == 0)
            return RT_ETOOBIG;
        rt_jsonw_kv_string(w, s->params[i].name, v);
    }
    rt_jsonw_object_end(w);
    return rt_jsonw_object_end(w);
}

int an_settings_apply(const an_strategy_t *s, json_t *obj, bool *enabled, an_params_t *p, char *why,
                      size_t cap)
{
    bool en = *enabled;
    an_params_t np = *p;
    if (!json_is_object(obj)) {
        snprintf(why, cap, "the body must be a JSON object");
        return RT_EINVAL;
    }
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        if (strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(val)) {
                snprintf(why, cap, "enabled: must be true or false");
                return RT_EINVAL;
            }
            en = json_is_true(val);
        } else if (strcmp(key, "params") == 0) {
            if (!json_is_object(val)) {
                snprintf(why, cap, "params: must be an object of NAME: value");
                return RT_EINVAL;
            }
            const char *name;
            json_t *pv;
            json_object_foreach(val, name, pv)
            {
                char text[64];
                int n = -1;
                if (json_is_string(pv))
                    n = snprintf(text, sizeof text, "%s", json_string_value(pv));
                else if (json_is_integer(pv))
                    n = snprintf(text, sizeof text, "%lld", (long long)json_integer_value(pv));
                else if (json_is_real(pv))
                    n = snprintf(text, sizeof text, "%.17g", json_real_value(pv));
                else if (json_is_boolean(pv))
                    n = snprintf(text, sizeof text, "%s", json_is_true(pv) ? "true" : "false");
                if (n < 0 || (size_t)n >= sizeof text) {
                    snprintf(why, cap, "%s: must be a number, a boolean or a short string", name);
                    return RT_EINVAL;
                }
                char err[AN_ERR_CAP];
                int rc = an_params_set(&np, name, text, err, sizeof err);
                if (rc == RT_ENOTFOUND) {
                    snprintf(why, cap, "%s: unknown parameter; %s", name, err);
                    return RT_EINVAL;
                }
                if (rc != RT_OK) {
                    snprintf(why, cap, "%s", err); /* it names the parameter */
                    return rc;
                }
            }
        } else if (strcmp(key, "strategy") != 0 && strcmp(key, "instance") != 0) {
            snprintf(why, cap, "%s: unknown field (allowed: enabled, params)", key);
            return RT_EINVAL;
        }
    }
    char err[AN_ERR_CAP] = "";
    if (s->check != NULL && s->check(&np, err, sizeof err) != RT_OK) {
        snprintf(why, cap, "%s", err);
        return RT_EINVAL;
    }
    *enabled = en;
    *p = np;
    return RT_OK;
}
