/* Test helper for test_rt_env.sh: prints how the config module reads a .env file, so that the
 * test can compare it with ./rt's own reader.
 *   rt_env_dump FILE NAME...   one line per name: "NAME hex:<bytes in hex>" or "NAME unset";
 *                              exit 0, or 1 when the file is rejected (report on stderr).
 * Run it with an empty environment: the environment wins over the file. */
#include <stdio.h>

#include "rt/config.h"
#include "rt/err.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rt_env_dump FILE NAME...\n");
        return 2;
    }
    rt_config_t *cfg = NULL;
    rt_config_report_t report;
    int rc = rt_config_new(argv[1], &cfg, &report);
    if (rc != 0) {
        char buf[4096];
        if (rt_config_report_format(&report, buf, sizeof buf) != RT_EINVAL)
            fprintf(stderr, "%s", buf);
        fprintf(stderr, "rt_env_dump: %s\n", rt_strerror(rc));
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        if (rt_config_get(cfg, argv[i], &v) != 0) {
            printf("%s unset\n", argv[i]);
            continue;
        }
        printf("%s hex:", argv[i]);
        for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++)
            printf("%02x", *p);
        printf("\n");
    }
    rt_config_free(cfg);
    return 0;
}
