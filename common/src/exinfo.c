#include "rt/exinfo.h"

#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {
    [RT_SYMBOL_TRADING] = "TRADING",
    [RT_SYMBOL_END_OF_DAY] = "END_OF_DAY",
    [RT_SYMBOL_HALT] = "HALT",
    [RT_SYMBOL_BREAK] = "BREAK",
    [RT_SYMBOL_CANCEL_ONLY] = "CANCEL_ONLY",
    [RT_SYMBOL_STATUS_OTHER] = "OTHER",
};

void rt_exinfo_cleanup(rt_exinfo_t *info)
{
    if (info == NULL)
        return;
    free(info->symbols);
    memset(info, 0, sizeof *info);
}

const rt_symbol_info_t *rt_exinfo_find(const rt_exinfo_t *info, const char *symbol)
{
    if (info == NULL || symbol == NULL)
        return NULL;
    for (size_t i = 0; i < info->count; i++) {
        if (strcmp(info->symbols[i].symbol, symbol) == 0)
            return &info->symbols[i];
    }
    return NULL;
}

const char *rt_symbol_status_name(rt_symbol_status_t status)
{
    if ((unsigned)status > RT_SYMBOL_STATUS_OTHER)
        return "OTHER";
    return status_names[status];
}

rt_symbol_status_t rt_symbol_status_parse(const char *s)
{
    if (s == NULL)
        return RT_SYMBOL_STATUS_OTHER;
    for (int i = RT_SYMBOL_TRADING; i < RT_SYMBOL_STATUS_OTHER; i++) {
        if (strcmp(s, status_names[i]) == 0)
            return (rt_symbol_status_t)i;
    }
    return RT_SYMBOL_STATUS_OTHER;
}
