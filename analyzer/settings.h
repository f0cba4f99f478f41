/* A strategy's settings (enabled flag and parameters) as JSON: what PUT /strategies/{name}
 * accepts and answers, and what the config:strategies hash and channel carry. Pure: no I/O. */
#ifndef AN_SETTINGS_H
#define AN_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "analyzer/strategy.h"
#include "rt/jsonw.h"

/** Writes a strategy's settings as the API and the config:strategies hash carry them:
 *  {"strategy":"RSI_Strategy","enabled":true,"params":{"RSI_WINDOW":"14",...}}, plus
 *  "instance" when instance is not NULL (who made the change). Returns 0 or the writer's
 *  error. */
int an_settings_format(rt_jsonw_t *w, const an_strategy_t *s, bool enabled, const an_params_t *p,
                       const char *instance);

/** Applies a settings object (borrowed) onto *enabled and *p: "enabled" (bool) and "params"
 *  (an object of NAME: number, numeric string, boolean or choice text), both optional;
 *  "strategy" and "instance" are ignored, any other field is refused. Every parameter is
 *  validated against its range and the strategy's rules. Returns 0 with *enabled and *p
 *  written; on error neither is written and why (cap bytes) says what is wrong, naming the
 *  parameter: RT_EINVAL (not an object, wrong type, unknown field or parameter, a rule between
 *  parameters), RT_ERANGE (out of range, with the allowed range). */
int an_settings_apply(const an_strategy_t *s, json_t *obj, bool *enabled, an_params_t *p, char *why,
                      size_t cap);

#endif
