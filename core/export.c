#include "export.h"

#include "date.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "scanstore.h"
#include "textbuf.h"

#define BATCH "20"

/* The figures of the period, in the export's snapshot. $1 from, $2 to,
 * $3 the exporting user (NULL: every letter), $4 the organisation. */
static const char COUNT_SQL[] =
    "SELECT count(*) FILTER (WHERE x.vis) AS letters, count(*) FILTER (WHERE NOT x.vis) AS withheld,"
    "  coalesce(sum(x.nscans) FILTER (WHERE x.vis), 0) AS scans,"
    "  coalesce(sum(x.nbytes) FILTER (WHERE x.vis), 0) AS scan_bytes,"
    "  coalesce($4::text, (SELECT name FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1), 'e-Surat')"
    "    AS organization,"
    "  to_char(now(), 'YYYY-MM-DD') AS today "
    "FROM (SELECT ($3::bigint IS NULL OR letter_visible(l.id, l.security, l.unit_id, $3::bigint)) AS vis,"
    "        (SELECT count(*) FROM scans s WHERE s.letter_id = l.id) AS nscans,"
    "        (SELECT coalesce(sum(s.bytes), 0) FROM scans s WHERE s.letter_id = l.id) AS nbytes"
    "      FROM letters l"
    "     WHERE l.created_at >= $1::date::timestamptz AND l.created_at < ($2::date + 1)::timestamptz) x";

/* The next letters of the period after the keyset ($4 epoch microseconds
 * of created_at, $5 id; NULL for the first batch). */
static const char BATCH_SQL[] =
    "SELECT l.id, l.agenda_year, l.agenda_number, l.direction, u.code AS unit_code,"
    "  (extract(epoch FROM l.created_at) * 1000000)::bigint AS epoch_us,"
    "  l.letter_number, l.letter_date, l.received_at, l.sender, l.recipient, l.subject, l.classification,"
    "  l.security, l.urgency, l.status, l.created_at,"
    "  jsonb_pretty(letter_doc_build(l.id, now()::date)::jsonb) AS doc,"
    "  (SELECT string_agg(f.name || E'\\t' || f.sha256 || E'\\t' || f.bytes, E'\\n' ORDER BY f.id)"
    "     FROM export_scan_files f WHERE f.letter_id = l.id) AS scans,"
    "  letter_ocr_text(l.id) AS ocr "
    "FROM letters l JOIN units u ON u.id = l.unit_id "
    "WHERE l.created_at >= $1::date::timestamptz AND l.created_at < ($2::date + 1)::timestamptz"
    "  AND ($3::bigint IS NULL OR letter_visible(l.id, l.security, l.unit_id, $3::bigint))"
    "  AND ($4::bigint IS NULL OR (l.created_at, l.id) >"
    "       ('epoch'::timestamptz + $4::bigint * interval '1 microsecond', $5::bigint)) "
    "ORDER BY l.created_at, l.id LIMIT " BATCH;

static const char *REGISTER_COLUMNS[] = {
    "folder",         "id",          "agenda_year", "agenda_number", "unit",      "direction",
    "letter_number",  "letter_date", "received_at", "sender",        "recipient", "subject",
    "classification", "security",    "urgency",     "status",        "scans",     "created_at",
};
#define NCOLUMNS (sizeof REGISTER_COLUMNS / sizeof REGISTER_COLUMNS[0])

const char *export_period_check(const char *from, const char *to, const char **field)
{
    *field = NULL;
    if (!from || !*from) {
        *field = "from";
        return "required, expected YYYY-MM-DD";
    }
    if (!to || !*to) {
        *field = "to";
        return "required, expected YYYY-MM-DD";
    }
    if (!date_valid(from)) {
        *field = "from";
        return "expected YYYY-MM-DD, a date that exists";
    }
    if (!date_valid(to)) {
        *field = "to";
        return "expected YYYY-MM-DD, a date that exists";
    }
    if (strcmp(from, to) > 0) {
        *field = "to";
        return "before from";
    }
    return NULL;
}

void export_bag_name(const char *from, const char *to, char out[64])
{
    snprintf(out, 64, "esurat-arsip-%.10s_%.10s", from, to);
}

/* bag-info.txt values are one line each. */
static void info_line(textbuf_t *b, const char *label, const char *value)
{
    tb_puts(b, label);
    tb_puts(b, ": ");
    for (const char *p = value ? value : ""; *p; p++)
        tb_append(b, (*p == '\r' || *p == '\n') ? " " : p, 1);
    tb_puts(b, "\n");
}

typedef struct {
    const export_params_t *p;
    export_stats_t *st;
    bag_t *bag;
    FILE *reg;          /* register.csv, spooled */
    textbuf_t row;      /* one register row */
    textbuf_t problems; /* bag-info lines naming missing or damaged scans */
} run_t;

/* Adds one stored scan to the folder; 0, or -1 when the bag failed. A
 * scan the store has lost is left out and counted. */
static int add_scan(run_t *r, const char *folder, char *line)
{
    char *name = line, *sha = strchr(line, '\t');
    if (!sha)
        return 0;
    *sha++ = '\0';
    char *bytes = strchr(sha, '\t');
    if (!bytes)
        return 0;
    *bytes++ = '\0';
    char path[512];
    snprintf(path, sizeof path, "%s/%s", folder, name);

    char *file = scanstore_file_path(r->p->scan_dir, sha);
    int fd = file ? open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        log_warn("export: scan file %s of %s is missing: %s", file ? file : sha, path, strerror(errno));
        r->st->missing++;
        tb_printf(&r->problems, "Esurat-Scan-Missing: data/%s\n", path);
        if (fd >= 0)
            close(fd);
        free(file);
        return 0;
    }
    char got[65] = "";
    int rc = bag_add_data_fd(r->bag, path, fd, (long long)sb.st_size, false, got);
    close(fd);
    if (rc == 0 && (strcmp(got, sha) != 0 || (long long)sb.st_size != atoll(bytes))) {
        log_warn("export: scan file %s of %s has changed (sha256 %s)", file, path, got);
        r->st->damaged++;
        tb_printf(&r->problems, "Esurat-Scan-Damaged: data/%s\n", path);
    }
    free(file);
    return rc;
}

static int add_letter(run_t *r, PGresult *res, int i)
{
    char folder[256];
    const char *dir = strcmp(db_get(res, i, "direction"), "out") == 0 ? "keluar" : "masuk";
    snprintf(folder, sizeof folder, "letters/%s/%s-%s-%05d", db_get(res, i, "agenda_year"), db_get(res, i, "unit_code"),
             dir, atoi(db_get(res, i, "agenda_number")));
    char path[512];
    const char *doc = db_get(res, i, "doc");
    snprintf(path, sizeof path, "%s/letter.json", folder);
    textbuf_t json = TEXTBUF_INIT;
    tb_puts(&json, doc ? doc : "null");
    tb_puts(&json, "\n");
    int rc = tb_oom(&json) ? -1 : bag_add_data(r->bag, path, json.data, json.len, true);
    tb_free(&json);
    if (rc != 0)
        return -1;

    long long nscans = 0;
    const char *scans = db_get(res, i, "scans");
    if (scans) {
        char *copy = strdup(scans), *save = NULL;
        if (!copy)
            return -1;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            nscans++;
            if (add_scan(r, folder, line) != 0) {
                free(copy);
                return -1;
            }
        }
        free(copy);
    }
    const char *ocr = db_get(res, i, "ocr");
    snprintf(path, sizeof path, "%s/ocr.txt", folder);
    if (bag_add_data(r->bag, path, ocr ? ocr : "", ocr ? strlen(ocr) : 0, true) != 0)
        return -1;

    /* The register's row, in REGISTER_COLUMNS' order. */
    char count[24], where[300];
    snprintf(count, sizeof count, "%lld", nscans);
    snprintf(where, sizeof where, "data/%s", folder);
    const char *values[NCOLUMNS] = {
        where,
        db_get(res, i, "id"),
        db_get(res, i, "agenda_year"),
        db_get(res, i, "agenda_number"),
        db_get(res, i, "unit_code"),
        db_get(res, i, "direction"),
        db_get(res, i, "letter_number"),
        db_get(res, i, "letter_date"),
        db_get(res, i, "received_at"),
        db_get(res, i, "sender"),
        db_get(res, i, "recipient"),
        db_get(res, i, "subject"),
        db_get(res, i, "classification"),
        db_get(res, i, "security"),
        db_get(res, i, "urgency"),
        db_get(res, i, "status"),
        count,
        db_get(res, i, "created_at"),
    };
    tb_reset(&r->row);
    for (size_t c = 0; c < NCOLUMNS; c++)
        csv_field(&r->row, values[c], c + 1 == NCOLUMNS);
    if (tb_oom(&r->row) || fwrite(r->row.data, 1, r->row.len, r->reg) != r->row.len)
        return -1;
    return 0;
}

/* A temporary file in dir, already unlinked; NULL on failure. */
static FILE *spool(const char *dir)
{
    if (!dir || !*dir)
        dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/esurat-export-XXXXXX", dir);
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return NULL;
    unlink(tmpl);
    FILE *f = fdopen(fd, "w+");
    if (!f)
        close(fd);
    return f;
}

static int bag_write(void *ctx, const void *buf, size_t len)
{
    run_t *r = ctx;
    int rc = r->p->write(r->p->write_ctx, buf, len);
    if (rc == 0)
        r->st->bytes_out += (long long)len;
    return rc;
}

export_status_t export_run(const export_params_t *p, export_stats_t *stats)
{
    export_stats_t local;
    export_stats_t *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    export_status_t status = EXPORT_DB_ERROR;
    run_t r = {.p = p, .st = st, .row = TEXTBUF_INIT, .problems = TEXTBUF_INIT};
    PGresult *res = NULL;
    char *organization = NULL, *today = NULL;

    if (db_begin(p->db) != 0 ||
        db_exec(p->db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL) < 0)
        goto cleanup;
    const char *count_params[] = {p->from, p->to, p->user_id, p->organization};
    res = db_query(p->db, COUNT_SQL, 4, count_params);
    if (!res)
        goto cleanup;
    st->letters = atoll(db_get(res, 0, "letters"));
    st->withheld = atoll(db_get(res, 0, "withheld"));
    st->scans = atoll(db_get(res, 0, "scans"));
    st->scan_bytes = atoll(db_get(res, 0, "scan_bytes"));
    organization = strdup(db_get(res, 0, "organization"));
    today = strdup(db_get(res, 0, "today"));
    PQclear(res);
    res = NULL;
    if (!organization || !today)
        goto cleanup;

    status = EXPORT_IO_ERROR;
    r.reg = spool(p->tmpdir);
    if (!r.reg) {
        log_error("export: cannot create a temporary file: %s", strerror(errno));
        goto cleanup;
    }
    fputs(CSV_BOM, r.reg);
    for (size_t c = 0; c < NCOLUMNS; c++)
        csv_field(&r.row, REGISTER_COLUMNS[c], c + 1 == NCOLUMNS);
    fwrite(r.row.data, 1, r.row.len, r.reg);

    if (p->on_start && p->on_start(p->cb_ctx, st) != 0) {
        status = EXPORT_STOPPED;
        goto cleanup;
    }
    char name[64];
    export_bag_name(p->from, p->to, name);
    r.bag = bag_open(p->format, name, p->tmpdir, bag_write, &r);
    if (!r.bag)
        goto cleanup;

    char epoch[24] = "", after[24] = "";
    for (;;) {
        const char *params[] = {p->from, p->to, p->user_id, epoch[0] ? epoch : NULL, after[0] ? after : NULL};
        res = db_query(p->db, BATCH_SQL, 5, params);
        if (!res) {
            status = EXPORT_DB_ERROR;
            goto cleanup;
        }
        int n = PQntuples(res);
        for (int i = 0; i < n; i++) {
            if (add_letter(&r, res, i) != 0)
                goto cleanup;
            st->letters_done++;
            if (p->on_progress)
                p->on_progress(p->cb_ctx, st);
        }
        if (n > 0) {
            snprintf(epoch, sizeof epoch, "%s", db_get(res, n - 1, "epoch_us"));
            snprintf(after, sizeof after, "%s", db_get(res, n - 1, "id"));
        }
        PQclear(res);
        res = NULL;
        if (n < atoi(BATCH))
            break;
    }

    /* The register, from its spool. */
    if (fflush(r.reg) != 0)
        goto cleanup;
    long size = ftell(r.reg);
    if (size < 0 || fseek(r.reg, 0, SEEK_SET) != 0 ||
        bag_add_data_fd(r.bag, "register.csv", fileno(r.reg), size, true, NULL) != 0)
        goto cleanup;

    textbuf_t info = TEXTBUF_INIT;
    char num[32];
    info_line(&info, "Source-Organization", organization);
    info_line(&info, "Bagging-Date", today);
    info_line(&info, "Bag-Software-Agent", "e-Surat");
    tb_printf(&info, "External-Description: Arsip surat yang diregistrasi %s s.d. %s\n", p->from, p->to);
    info_line(&info, "Esurat-Period-From", p->from);
    info_line(&info, "Esurat-Period-To", p->to);
    snprintf(num, sizeof num, "%lld", st->letters_done);
    info_line(&info, "Esurat-Letters", num);
    snprintf(num, sizeof num, "%lld", st->withheld);
    info_line(&info, "Esurat-Letters-Withheld", num);
    snprintf(num, sizeof num, "%lld", st->scans - st->missing);
    info_line(&info, "Esurat-Scans", num);
    snprintf(num, sizeof num, "%lld", st->missing);
    info_line(&info, "Esurat-Scans-Missing", num);
    snprintf(num, sizeof num, "%lld", st->damaged);
    info_line(&info, "Esurat-Scans-Damaged", num);
    if (r.problems.len)
        tb_append(&info, r.problems.data, r.problems.len);
    if (p->exported_by)
        info_line(&info, "Esurat-Exported-By", p->exported_by);
    int rc = tb_oom(&info) ? -1 : bag_finish(r.bag, info.data);
    tb_free(&info);
    if (rc != 0)
        goto cleanup;
    status = EXPORT_OK;

cleanup:
    PQclear(res);
    if (db_in_transaction(p->db))
        db_rollback(p->db); /* read only: nothing to keep */
    bag_free(r.bag);
    if (r.reg)
        fclose(r.reg);
    tb_free(&r.row);
    tb_free(&r.problems);
    free(organization);
    free(today);
    return status;
}
