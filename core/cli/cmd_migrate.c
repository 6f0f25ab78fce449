/* esurat migrate: applies the numbered SQL files (NNN_name.sql) of a
 * directory in name order, each in its own transaction together with its
 * row in schema_migrations, under an advisory lock so that concurrent runs
 * wait for each other. An applied file whose sha256 changed is refused
 * before anything is applied. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"

#define MIGRATION_MAX_BYTES (64u * 1024 * 1024)

struct migration {
    char *name;
    char *sql;
    size_t len;
    char sha256[65];
};

static void migrations_free(struct migration *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(m[i].name);
        free(m[i].sql);
    }
    free(m);
}

/* NNN_anything.sql: one or more digits, an underscore, ".sql" at the end. */
static bool is_migration_name(const char *name)
{
    size_t len = strlen(name), digits = strspn(name, "0123456789");
    return digits > 0 && name[digits] == '_' && len > digits + 5 && strcmp(name + len - 4, ".sql") == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct migration *)a)->name, ((const struct migration *)b)->name);
}

/* Reads every migration of dir, sorted by name. CLI_OK or CLI_FAIL (printed). */
static int load_migrations(const char *dir, struct migration **out, size_t *count)
{
    struct migration *m = NULL;
    size_t n = 0, cap = 0;
    int rc = CLI_FAIL;
    DIR *d = opendir(dir);
    if (!d) {
        cli_error("could not open migrations directory \"%s\": %s", dir, strerror(errno));
        return CLI_FAIL;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_migration_name(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            struct migration *grown = realloc(m, cap * sizeof *m);
            if (!grown) {
                cli_error("out of memory");
                goto cleanup;
            }
            m = grown;
        }
        memset(&m[n], 0, sizeof m[n]);
        m[n].name = strdup(e->d_name);
        if (!m[n].name) {
            cli_error("out of memory");
            goto cleanup;
        }
        n++;
    }
    qsort(m, n, sizeof *m, by_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, m[i].name) >= sizeof path) {
            cli_error("path too long: %s/%s", dir, m[i].name);
            goto cleanup;
        }
        m[i].sql = cli_read_file(path, MIGRATION_MAX_BYTES, &m[i].len);
        if (!m[i].sql) {
            cli_error("could not read \"%s\": %s", path, strerror(errno));
            goto cleanup;
        }
        if (strlen(m[i].sql) != m[i].len) {
            cli_error("\"%s\" contains a NUL byte", path);
            goto cleanup;
        }
        sha256_hex(m[i].sql, m[i].len, m[i].sha256);
    }
    rc = CLI_OK;
cleanup:
    closedir(d);
    if (rc == CLI_OK) {
        *out = m;
        *count = n;
    } else {
        migrations_free(m, n);
    }
    return rc;
}

static const char *LOCK_SQL = "SELECT pg_advisory_xact_lock($1::bigint)";

/* Takes the schema lock in the open transaction; 0 or -1. */
static int take_lock(db_t *db)
{
    const char *key[] = {CLI_SCHEMA_LOCK_KEY};
    PGresult *r = db_query(db, LOCK_SQL, 1, key);
    PQclear(r);
    return r ? 0 : -1;
}

/* Compares the applied migrations with the files: CLI_OK, or CLI_FAIL
 * after naming every changed file. applied gets the result (caller
 * PQclears it). */
static int check_applied(db_t *db, struct migration *m, size_t n, PGresult **applied)
{
    int rc = CLI_FAIL;
    *applied = NULL;
    if (db_begin(db) != 0 || take_lock(db) != 0) {
        cli_db_error(db, "could not lock the schema");
        goto cleanup;
    }
    if (db_exec(db,
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY,"
                " sha256 text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                0, NULL) < 0) {
        cli_db_error(db, "could not create schema_migrations");
        goto cleanup;
    }
    *applied = db_query(db, "SELECT name, sha256 FROM schema_migrations ORDER BY name", 0, NULL);
    if (!*applied) {
        cli_db_error(db, "could not read schema_migrations");
        goto cleanup;
    }
    if (db_commit(db) != 0) {
        cli_db_error(db, "could not create schema_migrations");
        goto cleanup;
    }
    rc = CLI_OK;
    for (int r = 0; r < PQntuples(*applied); r++) {
        const char *name = db_get(*applied, r, "name");
        const char *sha = db_get(*applied, r, "sha256");
        struct migration key = {.name = (char *)name};
        struct migration *f = bsearch(&key, m, n, sizeof *m, by_name);
        if (!f) {
            cli_warn("applied migration \"%s\" is not in the directory", name);
        } else if (strcmp(f->sha256, sha) != 0) {
            cli_error("migration \"%s\" was changed after it was applied", name);
            cli_detail("applied sha256 %s, file now %s", sha, f->sha256);
            cli_hint("restore the file and put the change in a new migration");
            rc = CLI_FAIL;
        }
    }
cleanup:
    cli_rollback(db);
    return rc;
}

static bool is_applied(const PGresult *applied, const char *name)
{
    for (int r = 0; r < PQntuples(applied); r++)
        if (strcmp(db_get(applied, r, "name"), name) == 0)
            return true;
    return false;
}

/* Migrations applied before the audit log could record them. */
struct unaudited {
    const struct migration **m;
    size_t n;
};

static int audit_applied(db_t *db, const struct migration *m)
{
    json_t *detail = cli_audit_object();
    if (!detail || json_object_set_new(detail, "sha256", json_string(m->sha256)) != 0) {
        json_decref(detail);
        cli_error("out of memory");
        return -1;
    }
    return cli_audit(db, "migration.apply", "migration", m->name, detail) != 0 ? -1 : 0;
}

/* Applies one file in its own transaction. 1 applied, 0 already applied
 * by a concurrent run, -1 failed (printed). */
static int apply_one(db_t *db, const struct migration *m, struct unaudited *pending)
{
    int rc = -1;
    PGresult *r = NULL;
    const char *p[] = {m->name, m->sha256};

    if (db_begin(db) != 0 || take_lock(db) != 0) {
        cli_db_error(db, "could not lock the schema");
        goto cleanup;
    }
    /* Another run may have applied it while we waited for the lock. */
    r = db_query(db, "SELECT sha256 FROM schema_migrations WHERE name = $1", 1, p);
    if (!r) {
        cli_db_error(db, "could not read schema_migrations");
        goto cleanup;
    }
    if (PQntuples(r) == 1) {
        if (strcmp(db_get(r, 0, "sha256"), m->sha256) != 0) {
            cli_error("migration \"%s\" was changed after it was applied", m->name);
            goto cleanup;
        }
        rc = 0;
        goto cleanup;
    }
    if (cli_exec_script(db, m->name, m->sql) != 0)
        goto cleanup;
    if (db_exec(db, "INSERT INTO schema_migrations (name, sha256) VALUES ($1, $2)", 2, p) != 1) {
        cli_db_error(db, "could not record the migration");
        goto cleanup;
    }
    /* The audit log records each migration: from the one that creates
     * audit_append (014) on, with those applied before it in this run. */
    PQclear(r);
    r = db_query(db, "SELECT to_regprocedure('audit_append(bigint,text,text,text,jsonb)') IS NOT NULL AS has_audit", 0,
                 NULL);
    if (!r) {
        cli_db_error(db, "could not look for the audit log");
        goto cleanup;
    }
    bool audited = strcmp(db_get(r, 0, "has_audit"), "t") == 0;
    if (audited) {
        /* Those applied before it first, in their order. */
        for (size_t i = 0; i < pending->n; i++)
            if (audit_applied(db, pending->m[i]) != 0)
                goto cleanup;
        if (audit_applied(db, m) != 0)
            goto cleanup;
    }
    if (db_commit(db) != 0) {
        cli_db_error(db, m->name);
        goto cleanup;
    }
    if (audited)
        pending->n = 0;
    else
        pending->m[pending->n++] = m;
    rc = 1;
cleanup:
    PQclear(r);
    cli_rollback(db);
    return rc;
}

int cmd_migrate(const struct cli_command *cmd, int argc, char **argv)
{
    const char *dir_opt = NULL;
    int parsed = cli_parse_dir_option(cmd, argc, argv, &dir_opt);
    if (parsed >= 0)
        return parsed;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);

    const char *dir = cli_sql_dir(dir_opt);
    struct migration *m = NULL;
    size_t n = 0;
    if (load_migrations(dir, &m, &n) != CLI_OK)
        return CLI_FAIL;
    if (n == 0) {
        cli_error("no migrations (NNN_name.sql) in \"%s\"", dir);
        migrations_free(m, n);
        return CLI_FAIL;
    }

    int rc = CLI_FAIL;
    PGresult *applied = NULL;
    db_t *db = cli_connect();
    if (!db)
        goto cleanup;
    if (check_applied(db, m, n, &applied) != CLI_OK)
        goto cleanup;

    struct unaudited pending = {calloc(n, sizeof *pending.m), 0};
    if (!pending.m) {
        cli_error("out of memory");
        goto cleanup;
    }
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_applied(applied, m[i].name))
            continue;
        int done = apply_one(db, &m[i], &pending);
        if (done < 0) {
            free(pending.m);
            goto cleanup;
        }
        if (done > 0) {
            printf("applied %s\n", m[i].name);
            fflush(stdout);
            count++;
        }
    }
    free(pending.m);
    if (count == 0)
        printf("nothing to apply\n");
    rc = CLI_OK;
cleanup:
    PQclear(applied);
    db_close(db);
    migrations_free(m, n);
    return rc;
}
