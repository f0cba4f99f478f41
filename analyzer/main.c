/* rt-analyzer: candles in (market:data:*), signals out (analyze:signal and the signals
 * stream), strategy settings over HTTP. `--replay FILE.csv ...` runs without Redis
 * (replay.h). */
#include <stdlib.h>
#include <string.h>

#include "analyzer/replay.h"
#include "analyzer/service.h"
#include "rt/err.h"
#include "rt/exrest.h"
#include "rt/log.h"
#include "rt/sig.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--replay") == 0)
            return an_replay_main(argc, argv, stdout, stderr);
    if (argc > 1) {
        fprintf(stderr,
                "usage: rt-analyzer            (service; configured by env and .env)\n"
                "       rt-analyzer --replay FILE.csv [options]   (see docs/ANALYZER.md)\n");
        return 2;
    }

    an_service_t *svc = calloc(1, sizeof *svc); /* large: the symbol list */
    bool enabled[AN_STRATEGIES_MAX];
    an_params_t params[AN_STRATEGIES_MAX];
    if (svc == NULL)
        return 1;
    if (an_config_load(NULL, &svc->cfg, enabled, params) != RT_OK) {
        free(svc);
        return 2;
    }
    rt_log_level_t level = RT_LOG_INFO;
    rt_log_level_parse(svc->cfg.log_level, &level);
    rt_log_init("analyzer", level);
    an_config_log(&svc->cfg);
    if (rt_sig_install() != RT_OK || rt_exrest_global_init() != RT_OK) {
        free(svc);
        return 1;
    }

    rt_bus_log_t *sink = NULL;
    if (rt_bus_log_attach(svc->cfg.redis_host, svc->cfg.redis_port, "analyzer", &sink) != RT_OK)
        rt_log_warn("main", "log sink not attached");
    int status = 1;
    if (an_service_init(svc, enabled, params) == RT_OK) {
        an_service_run(svc);
        status = 0;
    }
    rt_log_info("main", "stopping");
    an_service_cleanup(svc);
    free(svc);
    rt_bus_log_detach(sink);
    return status;
}
