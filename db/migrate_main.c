/* rt-migrate [--dir DIR]: brings the database up to date with DIR (default db/migrations).
 * The connection comes from libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD,
 * PGDATABASE). Prints one line per migration applied, or "up to date"; exits 0 on success,
 * 1 with the reason on stderr otherwise. */
#include <stdio.h>
#include <string.h>

#include "rt/db.h"
#include "rt/db_migrate.h"
#include "rt/err.h"
#include "rt/log.h"
#include "rt/sig.h"

#define DEFAULT_DIR "db/migrations"

static void usage(FILE *f)
{
    fprintf(f, "usage: rt-migrate [--dir DIR]\n"
               "Applies DIR/NNN_name.sql (default " DEFAULT_DIR ") to the database named by\n"
               "PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE.\n");
}

static void print_applied(void *ud, int version, const char *file)
{
    int *count = ud;
    (*count)++;
    printf("applied %s (version %d)\n", file, version);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *dir = DEFAULT_DIR;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "rt-migrate: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 1;
        }
    }

    rt_log_init("migrate", RT_LOG_WARN);
    if (rt_sig_install() != RT_OK) {
        fprintf(stderr, "rt-migrate: failed: cannot install signal handlers\n");
        return 1;
    }

    rt_db_t *db = NULL;
    rt_db_opts_t opts = {.application_name = "rt-migrate"};
    int rc = rt_db_connect(NULL, &opts, &db);
    if (rc != RT_OK) {
        fprintf(stderr,
                "rt-migrate: failed: cannot connect to the database (%s); check PGHOST, "
                "PGPORT, PGUSER, PGDATABASE\n",
                rt_strerror(rc));
        return 1;
    }
    char why[512] = "";
    int applied = 0;
    rc = rt_db_migrate(db, dir, print_applied, &applied, why, sizeof why);
    rt_db_close(db);
    if (rc != RT_OK) {
        fprintf(stderr, "rt-migrate: failed: %s\n", why[0] ? why : rt_strerror(rc));
        return 1;
    }
    if (applied == 0)
        printf("up to date\n");
    return 0;
}
