/* esurat seed-demo: the demo organisation of Pemko Pekanbaru
 * (sql/demo/organisation.sql) and the demo users of API.md, in one
 * transaction, only when there are no users yet. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "crypto.h"

struct demo_user {
    const char *username;
    const char *name;
    const char *nip; /* NULL: none (elected official, system account) */
    const char *roles[3];
    const char *unit_code; /* the position held, by unit and title; NULL: none */
    const char *position;
};

/* Fictitious people; NIPs follow the real layout: birth date, month of
 * appointment, sex (1 male, 2 female), serial. */
static const struct demo_user demo_users[] = {
    {"admin", "Administrator e-Surat", NULL, {"admin"}, NULL, NULL},
    {"umum", "Rina Marlina, S.Sos.", "198203152006042011", {"front_desk"}, "Umum", "Kepala Bagian Umum"},
    {"walikota", "H. Muhammad Rizal, S.E., M.M.", NULL, {"official"}, "Pemko", "Walikota Pekanbaru"},
    {"sekda", "Dr. Hendra Saputra, M.Si.", "196805101993031005", {"official"}, "Setda", "Sekretaris Daerah"},
    {"asisten1", "Ir. Yusri Hasan, M.T.", "197106221998031003", {"official"}, "AsPem", "Asisten Pemerintahan"},
    {"kabag.hukum",
     "Dewi Kartika Sari, S.H., M.H.",
     "198011042005012007",
     {"official"},
     "Hukum",
     "Kepala Bagian Hukum"},
    {"arsiparis", "Budi Santoso, A.Md.", "198707192010011004", {"archivist", "records"}, NULL, NULL},
};

#define NDEMO (sizeof demo_users / sizeof demo_users[0])

/* The day from which the demo officials hold their positions. */
#define DEMO_VALID_FROM "2014-01-01"

/* Number of users, or -1 when the schema is missing (printed) or on error. */
static long count_users(db_t *db)
{
    PGresult *r = db_query(db,
                           "SELECT to_regclass('users') IS NOT NULL AS has_users, "
                           "       to_regclass('audit_head') IS NOT NULL AS has_audit",
                           0, NULL);
    if (!r) {
        cli_db_error(db, "could not inspect the schema");
        return -1;
    }
    bool ok = strcmp(db_get(r, 0, "has_users"), "t") == 0 && strcmp(db_get(r, 0, "has_audit"), "t") == 0;
    PQclear(r);
    if (!ok) {
        cli_error("the e-Surat schema is missing");
        cli_hint("run \"esurat migrate\" first");
        return -1;
    }
    r = db_query(db, "SELECT count(*) AS n FROM users", 0, NULL);
    if (!r) {
        cli_db_error(db, "could not count users");
        return -1;
    }
    long n = strtol(db_get(r, 0, "n"), NULL, 10);
    PQclear(r);
    return n;
}

static int insert_user(db_t *db, const struct demo_user *u, const char *hash)
{
    int rc = -1;
    PGresult *r = NULL;
    const char *p[] = {u->username, u->name, u->nip, hash};
    json_t *roles = json_array();
    json_t *detail = cli_audit_object();
    if (!roles || !detail) {
        cli_error("out of memory");
        goto cleanup;
    }

    r = db_query(db,
                 "INSERT INTO users (username, name, nip, password_hash) "
                 "VALUES ($1, $2, $3, $4) RETURNING id::text AS id",
                 4, p);
    if (!r) {
        cli_db_error(db, u->username);
        goto cleanup;
    }
    const char *id = db_get(r, 0, "id");
    for (size_t i = 0; i < 3 && u->roles[i]; i++) {
        const char *rp[] = {id, u->roles[i]};
        if (db_exec(db, "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)", 2, rp) != 1) {
            cli_db_error(db, u->username);
            goto cleanup;
        }
        json_array_append_new(roles, json_string(u->roles[i]));
    }
    json_object_set_new(detail, "username", json_string(u->username));
    json_object_set_new(detail, "name", json_string(u->name));
    json_object_set_new(detail, "nip", u->nip ? json_string(u->nip) : json_null());
    json_object_set(detail, "roles", roles);
    json_object_set_new(detail, "demo", json_true());
    if (u->position) {
        const char *pp[] = {id, u->unit_code, u->position, DEMO_VALID_FROM};
        long n = db_exec(db,
                         "INSERT INTO position_holders (position_id, user_id, kind, valid_from) "
                         "SELECT p.id, $1, 'definitif', $4::date "
                         "FROM positions p JOIN units un ON un.id = p.unit_id "
                         "WHERE un.code = $2 AND p.title = $3",
                         4, pp);
        if (n != 1) {
            if (n == 0)
                cli_error("position \"%s\" of unit \"%s\" not found", u->position, u->unit_code);
            else
                cli_db_error(db, u->username);
            cli_hint("check demo/organisation.sql");
            goto cleanup;
        }
        json_object_set_new(detail, "position", json_string(u->position));
        json_object_set_new(detail, "kind", json_string("definitif"));
    }
    rc = cli_audit(db, "user.add", "user", id, detail);
    detail = NULL;
cleanup:
    json_decref(roles);
    json_decref(detail);
    PQclear(r);
    return rc;
}

int cmd_seed_demo(const struct cli_command *cmd, int argc, char **argv)
{
    const char *dir_opt = NULL;
    int parsed = cli_parse_dir_option(cmd, argc, argv, &dir_opt);
    if (parsed >= 0)
        return parsed;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);

    int rc = CLI_FAIL;
    char *org_sql = NULL;
    char(*hashes)[PASSWORD_HASH_MAX] = NULL;
    db_t *db = NULL;

    const char *password = config_str("ESURAT_DEMO_PASSWORD", NULL);
    if (!password) {
        cli_error("ESURAT_DEMO_PASSWORD is not set");
        cli_hint("set it to the password the demo users should have");
        return CLI_FAIL;
    }
    if (utf8_length(password) < 8) {
        cli_error("ESURAT_DEMO_PASSWORD is too short");
        cli_detail("at least 8 characters");
        return CLI_FAIL;
    }

    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/demo/organisation.sql", cli_sql_dir(dir_opt)) >= sizeof path) {
        cli_error("path too long");
        return CLI_FAIL;
    }
    size_t len;
    org_sql = cli_read_file(path, 1024 * 1024, &len);
    if (!org_sql) {
        cli_error("could not read \"%s\": %s", path, strerror(errno));
        return CLI_FAIL;
    }

    db = cli_connect();
    if (!db)
        goto cleanup;
    long users = count_users(db);
    if (users < 0)
        goto cleanup;
    if (users > 0) {
        printf("demo already seeded: %ld users exist; nothing to do\n", users);
        rc = CLI_OK;
        goto cleanup;
    }

    /* Hash before taking locks: each hash takes a tenth of a second. */
    hashes = calloc(NDEMO, sizeof *hashes);
    if (!hashes) {
        cli_error("out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < NDEMO; i++) {
        if (password_hash(password, hashes[i]) != 0) {
            cli_error("could not hash the password (out of memory?)");
            goto cleanup;
        }
    }

    const char *key[] = {CLI_SCHEMA_LOCK_KEY};
    PGresult *lock = NULL;
    if (db_begin(db) != 0 || !(lock = db_query(db, "SELECT pg_advisory_xact_lock($1::bigint)", 1, key))) {
        cli_db_error(db, "could not lock the schema");
        goto cleanup;
    }
    PQclear(lock);
    /* A concurrent seed-demo may have won the race. */
    users = count_users(db);
    if (users < 0)
        goto cleanup;
    if (users > 0) {
        printf("demo already seeded: %ld users exist; nothing to do\n", users);
        rc = CLI_OK;
        goto cleanup;
    }
    if (cli_exec_script(db, "demo/organisation.sql", org_sql) != 0)
        goto cleanup;
    for (size_t i = 0; i < NDEMO; i++)
        if (insert_user(db, &demo_users[i], hashes[i]) != 0)
            goto cleanup;

    json_t *detail = cli_audit_object();
    json_t *names = json_array();
    if (!detail || !names) {
        json_decref(detail);
        json_decref(names);
        cli_error("out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < NDEMO; i++)
        json_array_append_new(names, json_string(demo_users[i].username));
    json_object_set_new(detail, "users", names);
    if (cli_audit(db, "demo.seed", "organisation", NULL, detail) != 0)
        goto cleanup;
    if (db_commit(db) != 0) {
        cli_db_error(db, "could not commit");
        goto cleanup;
    }
    printf("seeded the demo organisation of Pemko Pekanbaru and %zu users:", NDEMO);
    for (size_t i = 0; i < NDEMO; i++)
        printf(" %s", demo_users[i].username);
    printf("\n");
    rc = CLI_OK;

cleanup:
    if (db)
        cli_rollback(db);
    db_close(db);
    free(org_sql);
    free(hashes);
    return rc;
}
