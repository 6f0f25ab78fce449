/* esurat classification import | list
 *
 * Import reads a region's classification table (codes with their
 * retention schedule) from CSV (core/classification.h describes the file),
 * checks every row, and upserts all of them in one transaction, or none
 * when any row is wrong. Parents are derived from the codes: the nearest
 * existing ancestor. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "classification.h"
#include "cli.h"
#include "crypto.h"

#define CSV_MAX_BYTES (64u * 1024 * 1024)

int cmd_classification_import(const struct cli_command *cmd, int argc, char **argv)
{
    int parsed = cli_parse_help_only(cmd, argc, argv);
    if (parsed >= 0)
        return parsed;
    if (optind >= argc)
        return cli_usage_error(cmd, "no CSV file given");
    if (optind + 1 < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind + 1]);
    const char *file = argv[optind];

    int rc = CLI_FAIL;
    size_t len = 0;
    char *data = NULL;
    db_t *db = NULL;
    class_table_t table;
    class_import_counts_t counts;
    arena_t *arena = arena_new(0);
    if (!arena) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    data = cli_read_file(file, CSV_MAX_BYTES, &len);
    if (!data) {
        cli_error("could not read \"%s\": %s", file, errno == EFBIG ? "file too large" : strerror(errno));
        goto cleanup;
    }
    if (class_csv_parse(arena, data, len, &table) != 0) {
        cli_error("out of memory");
        goto cleanup;
    }
    if (table.nproblems > 0) {
        for (size_t i = 0; i < table.nproblems; i++)
            fprintf(stderr, "%s:%ld: %s\n", file, table.problems[i].line, table.problems[i].message);
        cli_error("%zu problem%s in \"%s\"; nothing imported", table.nproblems, table.nproblems == 1 ? "" : "s", file);
        goto cleanup;
    }

    db = cli_connect();
    if (!db)
        goto cleanup;
    if (db_begin(db) != 0) {
        cli_db_error(db, "could not begin");
        goto cleanup;
    }
    if (class_import(db, arena, &table, &counts) != 0) {
        cli_db_error(db, "could not import the classifications");
        goto cleanup;
    }

    char sha[65];
    sha256_hex(data, len, sha);
    const char *base = strrchr(file, '/');
    json_t *detail = cli_audit_object();
    if (!detail) {
        cli_error("out of memory");
        goto cleanup;
    }
    json_object_set_new(detail, "file", json_string(base ? base + 1 : file));
    json_object_set_new(detail, "sha256", json_string(sha));
    json_object_set_new(detail, "rows", json_integer((json_int_t)table.nrows));
    json_object_set_new(detail, "new", json_integer(counts.added));
    json_object_set_new(detail, "updated", json_integer(counts.updated));
    json_object_set_new(detail, "unchanged", json_integer(counts.unchanged));
    json_object_set_new(detail, "parents_changed", json_integer(counts.reparented));
    if (cli_audit(db, "classification.import", "classification", NULL, detail) != 0)
        goto cleanup;
    if (db_commit(db) != 0) {
        cli_db_error(db, "could not commit");
        goto cleanup;
    }
    printf("imported %zu classification%s from %s: %ld new, %ld updated, %ld unchanged\n", table.nrows,
           table.nrows == 1 ? "" : "s", file, counts.added, counts.updated, counts.unchanged);
    rc = CLI_OK;

cleanup:
    if (db)
        cli_rollback(db);
    db_close(db);
    free(data);
    arena_free(arena);
    return rc;
}

int cmd_classification_list(const struct cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"prefix", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *prefix = NULL;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': prefix = optarg; break;
        case 'h': return cli_help(cmd);
        default: return cli_try_help(cmd);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (prefix && strspn(prefix, "0123456789.") != strlen(prefix))
        return cli_usage_error(cmd, "--prefix takes digits and dots, not \"%s\"", prefix);

    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    const char *p[] = {prefix};
    PGresult *r = db_query(db,
                           "SELECT code, title, "
                           "  coalesce(retention_active_years::text, '') AS active, "
                           "  coalesce(retention_inactive_years::text, '') AS inactive, "
                           "  coalesce(final_disposition, '') AS final, "
                           "  coalesce(parent_code, '') AS parent "
                           "FROM classifications "
                           "WHERE $1::text IS NULL OR left(code, length($1)) = $1 "
                           "ORDER BY string_to_array(code, '.')::int[]",
                           1, p);
    int rc = CLI_FAIL;
    if (!r) {
        cli_db_error(db, "could not list the classifications");
    } else {
        static const char *const cols[] = {"code", "title", "active", "inactive", "final", "parent"};
        static const char *const heads[] = {"code",  "title", "active_years", "inactive_years", "final_disposition",
                                            "parent"};
        cli_print_table(r, 6, cols, heads);
        rc = CLI_OK;
    }
    PQclear(r);
    db_close(db);
    return rc;
}
