/* Strategy settings as JSON (analyzer/settings.h): what PUT /strategies/{name} accepts, table
 * driven, and the round trip through the format the config:strategies hash stores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analyzer/settings.h"
#include "rt/err.h"

static const struct {
    const char *strategy;
    const char *body;
    int rc;
    const char *why; /* a piece of the message, or NULL */
    bool enabled;    /* after success */
    const char *param;
    double value; /* of param after success */
} cases[] = {
    {"RSI_Strategy", "{}", 0, NULL, true, "RSI_WINDOW", 14},
    {"RSI_Strategy", "{\"enabled\":false}", 0, NULL, false, "RSI_WINDOW", 14},
    {"RSI_Strategy", "{\"params\":{\"RSI_WINDOW\":7}}", 0, NULL, true, "RSI_WINDOW", 7},
    {"RSI_Strategy", "{\"params\":{\"RSI_WINDOW\":\"9\"}}", 0, NULL, true, "RSI_WINDOW", 9},
    {"RSI_Strategy", "{\"params\":{\"RSI_OVERSOLD\":25.5}}", 0, NULL, true, "RSI_OVERSOLD", 25.5},
    {"RSI_Strategy", "{\"strategy\":\"RSI_Strategy\",\"instance\":\"x\"}", 0, NULL, true,
     "RSI_WINDOW", 14},
    {"SimpleMA_Cross", "{\"params\":{\"MA_TYPE\":\"ema\"}}", 0, NULL, true, "MA_TYPE", 1},
    {"SimpleMA_Cross", "{\"params\":{\"USE_RSI_FILTER\":true}}", 0, NULL, true, "USE_RSI_FILTER",
     1},
    {"RSI_Strategy", "{\"params\":{\"RSI_WINDOW\":1}}", RT_ERANGE, "RSI_WINDOW", true, NULL, 0},
    {"RSI_Strategy", "{\"params\":{\"RSI_WINDOW\":2.5}}", RT_EINVAL, "RSI_WINDOW", true, NULL, 0},
    {"RSI_Strategy", "{\"params\":{\"RSI_WINDOW\":\"abc\"}}", RT_EINVAL, "RSI_WINDOW", true, NULL,
     0},
    {"RSI_Strategy", "{\"params\":{\"RSI_WINDOW\":null}}", RT_EINVAL, "RSI_WINDOW", true, NULL, 0},
    {"RSI_Strategy", "{\"params\":{\"BB_STD\":2}}", RT_EINVAL, "BB_STD", true, NULL, 0},
    {"RSI_Strategy", "{\"params\":[1]}", RT_EINVAL, "params", true, NULL, 0},
    {"RSI_Strategy", "{\"enabled\":\"yes\"}", RT_EINVAL, "enabled", true, NULL, 0},
    {"RSI_Strategy", "{\"other\":1}", RT_EINVAL, "other", true, NULL, 0},
    {"SimpleMA_Cross", "{\"params\":{\"SHORT_WINDOW\":30,\"LONG_WINDOW\":20}}", RT_EINVAL, NULL,
     true, NULL, 0},
    {"SimpleMA_Cross", "{\"params\":{\"MA_TYPE\":\"wma\"}}", RT_EINVAL, "MA_TYPE", true, NULL, 0},
    {"RSI_Strategy", "[]", RT_EINVAL, "object", true, NULL, 0},
};

static void test_apply_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const an_strategy_t *s = an_registry_find(cases[i].strategy);
        assert_non_null(s);
        an_params_t p, before;
        an_params_defaults(&p, s);
        before = p;
        bool en = true;
        json_error_t jerr;
        json_t *obj = json_loads(cases[i].body, 0, &jerr);
        assert_non_null(obj);
        char why[AN_ERR_CAP] = "";
        int rc = an_settings_apply(s, obj, &en, &p, why, sizeof why);
        json_decref(obj);
        if (rc != cases[i].rc)
            fail_msg("case %zu (%s): rc %d (%s), want %d", i, cases[i].body, rc, why, cases[i].rc);
        if (rc != RT_OK) {
            assert_memory_equal(&p, &before, sizeof p); /* untouched */
            assert_true(en);
            assert_true(why[0] != '\0');
            if (cases[i].why != NULL && strstr(why, cases[i].why) == NULL)
                fail_msg("case %zu: '%s' does not mention %s", i, why, cases[i].why);
            continue;
        }
        assert_int_equal(en, cases[i].enabled);
        int k = an_param_index(s, cases[i].param);
        assert_true(k >= 0);
        if (p.v[k] != cases[i].value)
            fail_msg("case %zu: %s = %g, want %g", i, cases[i].param, p.v[k], cases[i].value);
    }
}

static void test_format_roundtrip(void **state)
{
    (void)state;
    size_t n = 0;
    const an_strategy_t *const *all = an_registry_all(&n);
    for (size_t i = 0; i < n; i++) {
        an_params_t p, q;
        an_params_defaults(&p, all[i]);
        an_params_defaults(&q, all[i]);
        /* Move every numeric parameter off its default where the range allows. */
        for (size_t k = 0; k < all[i]->param_count; k++)
            if (all[i]->params[k].type == AN_PARAM_BOOL)
                p.v[k] = 1;
        rt_jsonw_t w;
        rt_jsonw_init(&w);
        assert_int_equal(an_settings_format(&w, all[i], false, &p, "inst-1"), 0);
        assert_int_equal(rt_jsonw_finish(&w), 0);
        json_t *obj = json_loads(rt_jsonw_data(&w), 0, NULL);
        assert_non_null(obj);
        assert_string_equal(json_string_value(json_object_get(obj, "strategy")), all[i]->name);
        assert_string_equal(json_string_value(json_object_get(obj, "instance")), "inst-1");
        bool en = true;
        char why[AN_ERR_CAP] = "";
        if (an_settings_apply(all[i], obj, &en, &q, why, sizeof why) != RT_OK)
            fail_msg("%s: %s", all[i]->name, why);
        assert_false(en);
        assert_memory_equal(&p, &q, sizeof p);
        json_decref(obj);
        rt_jsonw_cleanup(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply_table),
        cmocka_unit_test(test_format_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
