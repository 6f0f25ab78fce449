/* esurat export, esurat fixity, esurat retention: the records office's
 * commands (core/export.h, core/fixity.h, core/retention.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "export.h"
#include "fixity.h"
#include "retention.h"
#include "scanstore.h"

/* ------------------------------------------------------------------------
 * A progress bar on stderr, only when it is a terminal. */

typedef struct {
    bool on;
    double last;
    const char *what;
} progress_t;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(long long bytes, char out[32])
{
    if (bytes >= 1024LL * 1024 * 1024)
        snprintf(out, 32, "%.1f GiB", (double)bytes / (1024.0 * 1024 * 1024));
    else if (bytes >= 1024 * 1024)
        snprintf(out, 32, "%.1f MiB", (double)bytes / (1024.0 * 1024));
    else if (bytes >= 1024)
        snprintf(out, 32, "%.1f KiB", (double)bytes / 1024.0);
    else
        snprintf(out, 32, "%lld B", bytes);
}

static void progress_draw(progress_t *p, long long done, long long total, long long bytes, bool final)
{
    if (!p->on)
        return;
    double t = mono();
    if (!final && t - p->last < 0.1)
        return;
    p->last = t;
    int width = 30, filled = total > 0 ? (int)(done * width / total) : width;
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    char size[32];
    human(bytes, size);
    fprintf(stderr, "\r[%s] %3d%% %lld/%lld %s, %s ", bar, total > 0 ? (int)(done * 100 / total) : 100, done, total,
            p->what, size);
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

/* ------------------------------------------------------------------------
 * esurat export */

typedef struct {
    int fd;
    progress_t progress;
} export_out_t;

static int write_fd(void *ctx, const void *buf, size_t len)
{
    export_out_t *o = ctx;
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(o->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void export_progress(void *ctx, const export_stats_t *s)
{
    export_out_t *o = ctx;
    progress_draw(&o->progress, s->letters_done, s->letters, s->bytes_out, false);
}

/* The id of an active user, or NULL (printed). Caller frees. */
static char *user_id_of(db_t *db, const char *username)
{
    const char *params[] = {username};
    PGresult *res = db_query(db, "SELECT id FROM users WHERE username = $1 AND active", 1, params);
    if (!res) {
        cli_db_error(db, "could not look up the user");
        return NULL;
    }
    char *id = PQntuples(res) == 1 ? strdup(db_get(res, 0, "id")) : NULL;
    if (PQntuples(res) != 1)
        cli_error("no active user \"%s\"", username);
    PQclear(res);
    return id;
}

int cmd_export(const struct cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'}, {"to", required_argument, NULL, 't'},
        {"out", required_argument, NULL, 'o'},  {"format", required_argument, NULL, 'F'},
        {"as", required_argument, NULL, 'a'},   {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
    };
    const char *from = NULL, *to = NULL, *out = NULL, *format = "zip", *as = NULL;
    bool quiet = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'o': out = optarg; break;
        case 'F': format = optarg; break;
        case 'a': as = optarg; break;
        case 'q': quiet = true; break;
        case 'h': return cli_help(cmd);
        default: return cli_try_help(cmd);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (!out)
        return cli_usage_error(cmd, "--out FILE is required");
    const char *field;
    const char *why = export_period_check(from, to, &field);
    if (why)
        return cli_usage_error(cmd, "--%s: %s", field, why);
    if (strcmp(format, "zip") != 0 && strcmp(format, "tar") != 0)
        return cli_usage_error(cmd, "--format: expected zip or tar");

    int rc = CLI_FAIL;
    char *user_id = NULL, *part = NULL;
    export_out_t o = {.fd = -1, .progress = {.on = !quiet && isatty(STDERR_FILENO), .what = "surat"}};
    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    if (as && !(user_id = user_id_of(db, as)))
        goto cleanup;

    /* Every export is on the record, before its first byte. */
    json_t *detail = cli_audit_object();
    if (!detail || json_object_set_new(detail, "from", json_string(from)) != 0 ||
        json_object_set_new(detail, "to", json_string(to)) != 0 ||
        json_object_set_new(detail, "format", json_string(format)) != 0 ||
        json_object_set_new(detail, "as", as ? json_string(as) : json_null()) != 0) {
        json_decref(detail);
        cli_error("out of memory");
        goto cleanup;
    }
    if (db_begin(db) != 0 || cli_audit(db, "export.create", "export", NULL, detail) != 0 || db_commit(db) != 0) {
        cli_db_error(db, "could not record the export");
        goto cleanup;
    }

    bool to_stdout = strcmp(out, "-") == 0;
    if (to_stdout) {
        o.fd = STDOUT_FILENO;
    } else {
        /* Written under a temporary name, renamed when complete. */
        size_t n = strlen(out) + 8;
        part = malloc(n);
        if (!part) {
            cli_error("out of memory");
            goto cleanup;
        }
        snprintf(part, n, "%s.part", out);
        o.fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (o.fd < 0) {
            cli_error("could not create \"%s\": %s", part, strerror(errno));
            goto cleanup;
        }
    }

    export_params_t p = {
        .db = db,
        .scan_dir = config_str("ESURAT_SCAN_DIR", "scans"),
        .tmpdir = config_str("ESURAT_TMPDIR", NULL),
        .from = from,
        .to = to,
        .user_id = user_id,
        .exported_by = as ? as : "esurat export (CLI)",
        .organization = config_str("ESURAT_ORGANIZATION", NULL),
        .format = strcmp(format, "tar") == 0 ? BAG_TAR : BAG_ZIP,
        .write = write_fd,
        .write_ctx = &o,
        .on_progress = export_progress,
        .cb_ctx = &o,
    };
    export_stats_t st;
    export_status_t s = export_run(&p, &st);
    progress_draw(&o.progress, st.letters_done, st.letters, st.bytes_out, true);
    if (s != EXPORT_OK) {
        if (s == EXPORT_DB_ERROR)
            cli_db_error(db, "export failed");
        else
            cli_error("export failed: could not write the archive or read the scan store");
        goto cleanup;
    }
    if (!to_stdout) {
        if (fsync(o.fd) != 0 || close(o.fd) != 0) {
            o.fd = -1;
            cli_error("could not write \"%s\": %s", part, strerror(errno));
            goto cleanup;
        }
        o.fd = -1;
        if (rename(part, out) != 0) {
            cli_error("could not rename \"%s\" to \"%s\": %s", part, out, strerror(errno));
            goto cleanup;
        }
        free(part);
        part = NULL;
    }
    char size[32];
    human(st.bytes_out, size);
    fprintf(to_stdout ? stderr : stdout,
            "exported %lld letters (%lld withheld as confidential), %lld scans, %s to %s\n", st.letters_done,
            st.withheld, st.scans - st.missing, size, to_stdout ? "standard output" : out);
    rc = CLI_OK;
    if (st.missing || st.damaged) {
        cli_error("%lld scan files missing and %lld damaged in the scan store", st.missing, st.damaged);
        cli_detail("bag-info.txt names them; the bag holds everything else");
        cli_hint("run \"esurat fixity\" and restore the scan store from a backup");
        rc = CLI_FAIL;
    }
cleanup:
    if (o.fd >= 0 && o.fd != STDOUT_FILENO)
        close(o.fd);
    if (part)
        unlink(part);
    free(user_id);
    db_close(db);
    return rc;
}

/* ------------------------------------------------------------------------
 * esurat fixity */

static const char PROBLEMS_SQL[] =
    "SELECT f.sha256, f.status, f.actual_sha256, f.actual_bytes, f.problem_since,"
    "  string_agg('scan ' || s.id || ' (surat ' || s.letter_id || ')', ', ' ORDER BY s.id) AS scans "
    "FROM scan_fixity f JOIN scans s ON s.sha256 = f.sha256 "
    "WHERE f.status <> 'ok' GROUP BY f.sha256 ORDER BY f.status, f.sha256";

typedef struct {
    progress_t progress;
    long long total;
} fixity_ctx_t;

static void fixity_file(void *ctx, const char *sha, fixity_status_t s, const fixity_totals_t *t)
{
    (void)sha;
    (void)s;
    fixity_ctx_t *f = ctx;
    progress_draw(&f->progress, t->checked, f->total, t->bytes, false);
}

int cmd_fixity(const struct cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool quiet = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        if (c == 'q')
            quiet = true;
        else
            return c == 'h' ? cli_help(cmd) : cli_try_help(cmd);
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);

    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    int rc = CLI_FAIL;
    PGresult *res = db_query(db,
                             "SELECT now()::text AS start,"
                             " (SELECT count(*) FROM scan_fixity f"
                             "   WHERE EXISTS (SELECT 1 FROM scans s WHERE s.sha256 = f.sha256)) AS files",
                             0, NULL);
    if (!res) {
        cli_db_error(db, "could not read the scans");
        goto cleanup;
    }
    char start[64];
    snprintf(start, sizeof start, "%s", db_get(res, 0, "start"));
    fixity_ctx_t ctx = {.progress = {.on = !quiet && isatty(STDERR_FILENO), .what = "berkas"},
                        .total = atoll(db_get(res, 0, "files"))};
    PQclear(res);
    res = NULL;

    const char *scan_dir = config_str("ESURAT_SCAN_DIR", "scans");
    fixity_totals_t t = {0};
    fixity_batch_t b = {.scan_dir = scan_dir, .before = start, .limit = 500, .on_file = fixity_file, .ctx = &ctx};
    long n;
    while ((n = fixity_check_due(db, &b, &t)) > 0) {
    }
    progress_draw(&ctx.progress, t.checked, ctx.total, t.bytes, true);
    if (n < 0 || fixity_refresh_health(db, true) != 0) {
        cli_db_error(db, "could not record the checks");
        goto cleanup;
    }
    res = db_query(db, PROBLEMS_SQL, 0, NULL);
    if (!res) {
        cli_db_error(db, "could not read the results");
        goto cleanup;
    }
    char size[32];
    human(t.bytes, size);
    printf("checked %lld files (%s) in %s: %lld ok, %lld missing, %lld changed\n", t.checked, size, scan_dir, t.ok,
           t.missing, t.changed);
    for (int i = 0; i < PQntuples(res); i++) {
        char *path = scanstore_file_path(scan_dir, db_get(res, i, "sha256"));
        const char *status = db_get(res, i, "status");
        printf("%-8s %s  %s", status, path ? path : db_get(res, i, "sha256"), db_get(res, i, "scans"));
        if (strcmp(status, "changed") == 0 && db_get(res, i, "actual_sha256"))
            printf("; now sha256 %s, %s bytes", db_get(res, i, "actual_sha256"),
                   db_get(res, i, "actual_bytes") ? db_get(res, i, "actual_bytes") : "?");
        printf("; since %s\n", db_get(res, i, "problem_since"));
        free(path);
    }
    if (PQntuples(res) > 0) {
        cli_error("%d scan files are missing or changed", PQntuples(res));
        cli_hint("restore them from a backup (scripts/restore, docs/operations.md)");
    } else {
        rc = CLI_OK;
    }
cleanup:
    PQclear(res);
    db_close(db);
    return rc;
}

/* ------------------------------------------------------------------------
 * esurat retention */

int cmd_retention(const struct cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"as-of", required_argument, NULL, 'd'},
        {"action", required_argument, NULL, 'a'},
        {"csv", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *as_of = NULL, *actions = NULL;
    bool csv = false;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': as_of = optarg; break;
        case 'a': actions = optarg; break;
        case 'c': csv = true; break;
        case 'h': return cli_help(cmd);
        default: return cli_try_help(cmd);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    const char *field;
    if (as_of && export_period_check(as_of, as_of, &field))
        return cli_usage_error(cmd, "--as-of: expected YYYY-MM-DD, a date that exists");
    textbuf_t list = TEXTBUF_INIT, row = TEXTBUF_INIT;
    const char *bad;
    if (!retention_actions_param(actions, &list, &bad)) {
        tb_free(&list);
        return cli_usage_error(cmd, "--action: unknown action \"%s\"; expected a list of %s", bad ? bad : "",
                               "inaktif, musnah, permanen, dinilai_kembali, aktif, tanpa_jra");
    }
    db_t *db = cli_connect();
    if (!db) {
        tb_free(&list);
        return CLI_FAIL;
    }
    int rc = CLI_FAIL;
    PGresult *res = NULL;
    char day[16];
    if (!as_of) {
        res = db_query(db, "SELECT current_date::text AS d", 0, NULL);
        if (!res) {
            cli_db_error(db, "could not read the date");
            goto cleanup;
        }
        snprintf(day, sizeof day, "%s", db_get(res, 0, "d"));
        PQclear(res);
        res = NULL;
        as_of = day;
    }
    if (csv) {
        fputs(CSV_BOM, stdout);
        retention_csv_header(&row);
        fwrite(row.data, 1, row.len, stdout);
    } else {
        const char *p[] = {as_of, NULL};
        res = db_query(db, RETENTION_COUNTS_SQL, 2, p);
        if (!res) {
            cli_db_error(db, "could not count");
            goto cleanup;
        }
        printf("Retensi arsip per %s\n", as_of);
        for (int i = 0; i < PQntuples(res); i++)
            printf("  %-42s %s\n", retention_action_label(db_get(res, i, "action")), db_get(res, i, "visible"));
        printf("\n");
        PQclear(res);
        res = NULL;
    }
    char after_due[16] = "", after_id[24] = "";
    bool have_after = false;
    for (;;) {
        const char *p[] = {
            as_of, NULL, list.data, have_after && after_due[0] ? after_due : NULL, have_after ? after_id : NULL, "500"};
        res = db_query(db, RETENTION_PAGE_SQL, 6, p);
        if (!res) {
            cli_db_error(db, "could not read the report");
            goto cleanup;
        }
        int n = PQntuples(res);
        if (csv) {
            for (int i = 0; i < n; i++) {
                tb_reset(&row);
                retention_csv_row(&row, res, i);
                fwrite(row.data, 1, row.len, stdout);
            }
        } else if (n > 0) {
            const char *cols[] = {"id",        "agenda_number",  "agenda_year",
                                  "unit_code", "classification", "registered_on",
                                  "action",    "due_on",         "subject"};
            const char *heads[] = {"id",         "agenda",   "tahun", "unit",   "klasifikasi",
                                   "registrasi", "tindakan", "sejak", "perihal"};
            cli_print_table(res, 9, cols, heads);
        }
        if (n > 0) {
            const char *due = db_get(res, n - 1, "due_on");
            snprintf(after_due, sizeof after_due, "%s", due ? due : "");
            snprintf(after_id, sizeof after_id, "%s", db_get(res, n - 1, "id"));
            have_after = true;
        }
        PQclear(res);
        res = NULL;
        if (n < 500)
            break;
    }
    if (tb_oom(&row)) {
        cli_error("out of memory");
        goto cleanup;
    }
    fflush(stdout);
    rc = CLI_OK;
cleanup:
    PQclear(res);
    tb_free(&list);
    tb_free(&row);
    db_close(db);
    return rc;
}
