/* Schema migrations: db/migrations/NNN_name.sql applied in numeric order, each once.
 *
 * Rules (docs/DATABASE.md says more):
 *   - a file name is digits, '_', a name of [A-Za-z0-9_-], ".sql"; other *.sql names are an
 *     error, files not ending in ".sql" (a README) are ignored;
 *   - versions run 1, 2, 3, ... with no gap and no duplicate (001_a.sql and 1_b.sql clash);
 *   - each migration runs in its own transaction together with its row in schema_migrations
 *     (version, name, checksum = SHA-256 of the file, applied_at): it is applied whole or not
 *     at all, so a file must not contain BEGIN/COMMIT (nor statements that cannot run in a
 *     transaction, such as CREATE INDEX CONCURRENTLY);
 *   - an applied migration is never run again; if its file changed since (checksum), was
 *     renamed, or is missing, nothing is applied and the error names it;
 *   - runners on several machines or processes are safe: a session advisory lock serialises
 *     them (a runner waits up to 60 s for another to finish). */
#ifndef RT_DB_MIGRATE_H
#define RT_DB_MIGRATE_H

#include <stddef.h>

#include "rt/db.h"

/** Called after each migration is committed: its version and file name ("001_init.sql"),
 *  both borrowed for the call. */
typedef void (*rt_db_migrate_fn)(void *ud, int version, const char *file);

/** Brings the database of db up to date with the migrations in dir. on_applied (may be NULL)
 *  hears of each migration applied, in order; none means the database was up to date.
 *  db must not be inside a transaction.
 *  Returns 0; RT_EINVAL for bad arguments or a bad set of files (name, gap, duplicate, empty
 *  dir, NUL byte), RT_EIO when dir or a file cannot be read, RT_ETOOBIG for a file over 16 MiB,
 *  RT_ESTATE when the database disagrees with the files (changed, renamed or missing applied
 *  migration; a migration that ended its own transaction), RT_ETIMEDOUT when another runner
 *  held the lock for 60 s, or the rt_db error of a failing migration (which is rolled back;
 *  the ones before it stay applied). On failure, when why is not NULL, a one-line reason
 *  naming the file is written to why (cap bytes, truncated); it is also logged. */
int rt_db_migrate(rt_db_t *db, const char *dir, rt_db_migrate_fn on_applied, void *ud, char *why,
                  size_t why_cap);

#endif
