/* libFuzzer target for the analyzer's strategy settings (analyzer/settings.h), the outside
 * input of PUT /strategies/{name} and of the config:strategies hash and channel. The first
 * byte picks the strategy, the rest is the JSON body. Properties: never a crash; on error
 * nothing is written; what is accepted formats to a text that is accepted again unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analyzer/settings.h"
#include "rt/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t n = 0;
    const an_strategy_t *const *all = an_registry_all(&n);
    const an_strategy_t *s = all[data[0] % n];
    json_t *obj = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (obj == NULL)
        return 0;
    an_params_t p, before;
    an_params_defaults(&p, s);
    before = p;
    bool en = true;
    char why[AN_ERR_CAP];
    int rc = an_settings_apply(s, obj, &en, &p, why, sizeof why);
    json_decref(obj);
    if (rc != RT_OK) {
        if (!en || memcmp(&p, &before, sizeof p) != 0 || why[0] == '\0')
            abort();
        return 0;
    }
    rt_jsonw_t w;
    rt_jsonw_init(&w);
    if (an_settings_format(&w, s, en, &p, "fuzz") != RT_OK || rt_jsonw_finish(&w) != RT_OK)
        abort();
    json_t *again = json_loadb(rt_jsonw_data(&w), rt_jsonw_len(&w), 0, NULL);
    an_params_t q;
    an_params_defaults(&q, s);
    bool en2 = !en;
    if (again == NULL || an_settings_apply(s, again, &en2, &q, why, sizeof why) != RT_OK ||
        en2 != en || memcmp(&p, &q, sizeof p) != 0)
        abort();
    json_decref(again);
    rt_jsonw_cleanup(&w);
    return 0;
}
