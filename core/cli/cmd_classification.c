/* esurat classification import | list
 *
 * Import reads a region's classification table (codes with their
 * retention schedule) from CSV with libcsv, checks every row, and upserts
 * all of them in one transaction, or none when any row is wrong. Parents
 * are derived from the codes: the nearest existing ancestor. */
#include <csv.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cli.h"
#include "crypto.h"

#define CSV_MAX_BYTES (64u * 1024 * 1024)
#define MAX_FIELDS 32
#define TITLE_MAX_CHARS 500
#define CODE_MAX_BYTES 64
#define YEARS_MAX 1000

enum column { COL_CODE, COL_TITLE, COL_ACTIVE, COL_INACTIVE, COL_FINAL, NCOLUMNS };

static const char *const column_names[NCOLUMNS] = {
    "code", "title", "retention_active_years", "retention_inactive_years", "final_disposition",
};

struct row {
    long line;
    const char *code;
    const char *title;
    const char *years[2]; /* active, inactive; NULL when empty */
    const char *final;    /* NULL when empty */
};

struct problem {
    long line;
    long seq; /* keeps problems of one line in the order found */
    char *message;
};

struct import {
    const char *file;
    arena_t *arena;
    bool oom;
    bool stop;  /* the header is unusable: ignore the rest */
    long line;  /* physical line being fed to the parser */
    long start; /* first line of the record being read, 0 between records */
    /* The record being read. */
    char *fields[MAX_FIELDS];
    size_t nfields;
    bool too_many;
    /* The header. */
    bool have_header;
    size_t ncols;
    int col[NCOLUMNS]; /* field index of each column, -1 when absent */
    /* Results. */
    struct row *rows;
    size_t nrows, cap;
    struct problem *problems;
    size_t nproblems, pcap;
};

static void problem(struct import *im, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(struct import *im, long line, const char *fmt, ...)
{
    if (im->nproblems == im->pcap) {
        size_t cap = im->pcap ? 2 * im->pcap : 16;
        struct problem *grown = realloc(im->problems, cap * sizeof *grown);
        if (!grown) {
            im->oom = true;
            return;
        }
        im->problems = grown;
        im->pcap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = arena_vprintf(im->arena, fmt, ap);
    va_end(ap);
    if (!msg) {
        im->oom = true;
        return;
    }
    im->problems[im->nproblems] = (struct problem){line, (long)im->nproblems, msg};
    im->nproblems++;
}

/* A copy of s[0..n) without leading and trailing blanks, and with every
 * run of blanks and line breaks inside made one space (titles exported
 * from spreadsheets carry line breaks). */
static char *clean_text(arena_t *a, const char *s, size_t n)
{
    char *out = arena_alloc(a, n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    bool blank = false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            blank = o > 0;
            continue;
        }
        if (blank)
            out[o++] = ' ';
        blank = false;
        out[o++] = ch;
    }
    out[o] = '\0';
    return out;
}

static void on_field(void *data, size_t len, void *ctx)
{
    struct import *im = ctx;
    if (im->stop || im->oom)
        return;
    if (im->nfields == MAX_FIELDS) {
        im->too_many = true;
        return;
    }
    char *f = arena_strndup(im->arena, data ? data : "", data ? len : 0);
    if (!f) {
        im->oom = true;
        return;
    }
    im->fields[im->nfields++] = f;
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* Code: digits and dots, "000", "000.1.5", "005". */
static bool valid_code(const char *s)
{
    size_t n = strlen(s);
    if (n < 3 || n > CODE_MAX_BYTES || strspn(s, "0123456789") < 3)
        return false;
    s += 3;
    while (*s) {
        if (*s != '.')
            return false;
        size_t d = strspn(s + 1, "0123456789");
        if (d < 1 || d > 4)
            return false;
        s += 1 + d;
    }
    return true;
}

static void read_header(struct import *im, long line)
{
    for (int c = 0; c < NCOLUMNS; c++)
        im->col[c] = -1;
    for (size_t i = 0; i < im->nfields; i++) {
        char *name = clean_text(im->arena, im->fields[i], strlen(im->fields[i]));
        if (!name) {
            im->oom = true;
            return;
        }
        for (char *p = name; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (!*name)
            continue; /* spreadsheets add empty columns: ignore them */
        int found = -1;
        for (int c = 0; c < NCOLUMNS; c++)
            if (strcmp(name, column_names[c]) == 0)
                found = c;
        if (found < 0)
            problem(im, line, "unknown column \"%s\" (expected %s, %s, %s, %s, %s)", name, column_names[0],
                    column_names[1], column_names[2], column_names[3], column_names[4]);
        else if (im->col[found] >= 0)
            problem(im, line, "column \"%s\" appears twice", name);
        else
            im->col[found] = (int)i;
    }
    if (im->col[COL_CODE] < 0 || im->col[COL_TITLE] < 0)
        problem(im, line, "the header must name the columns code and title");
    im->ncols = im->nfields;
    im->have_header = true;
    if (im->nproblems > 0)
        im->stop = true;
}

/* Empty → NULL (ok); a whole number 0..YEARS_MAX → its digits; else
 * problem reported, returns NULL and sets *bad. */
static const char *read_years(struct import *im, long line, int col, bool *bad)
{
    if (im->col[col] < 0)
        return NULL;
    char *v = clean_text(im->arena, im->fields[im->col[col]], strlen(im->fields[im->col[col]]));
    if (!v) {
        im->oom = true;
        return NULL;
    }
    if (!*v)
        return NULL;
    size_t n = strlen(v);
    if (strspn(v, "0123456789") != n || n > 4 || strtol(v, NULL, 10) > YEARS_MAX) {
        problem(im, line, "%s must be a whole number of years (0 to %d) or empty, not \"%s\"", column_names[col],
                YEARS_MAX, v);
        *bad = true;
        return NULL;
    }
    while (v[0] == '0' && v[1]) /* "05" → "5" */
        v++;
    return v;
}

static void read_row(struct import *im, long line)
{
    if (im->too_many || im->nfields != im->ncols) {
        problem(im, line, "expected %zu fields, found %s%zu", im->ncols, im->too_many ? "more than " : "", im->nfields);
        return;
    }
    for (size_t i = 0; i < im->nfields; i++) {
        if (!utf8_valid(im->fields[i], strlen(im->fields[i]))) {
            problem(im, line, "field %zu is not valid UTF-8", i + 1);
            return;
        }
    }
    struct row r = {.line = line};
    bool bad = false;

    const char *raw = im->fields[im->col[COL_CODE]];
    char *code = clean_text(im->arena, raw, strlen(raw));
    if (!code) {
        im->oom = true;
        return;
    }
    if (!*code) {
        problem(im, line, "code is empty");
        bad = true;
    } else if (!valid_code(code)) {
        problem(im, line,
                "invalid code \"%s\": expected three digits and dot-separated numbers, "
                "like 000.1.5",
                code);
        bad = true;
    }
    r.code = code;

    raw = im->fields[im->col[COL_TITLE]];
    char *title = clean_text(im->arena, raw, strlen(raw));
    if (!title) {
        im->oom = true;
        return;
    }
    if (!*title) {
        problem(im, line, "title is empty");
        bad = true;
    } else if (has_control(title)) {
        problem(im, line, "title contains control characters");
        bad = true;
    } else if (utf8_length(title) > TITLE_MAX_CHARS) {
        problem(im, line, "title is longer than %d characters", TITLE_MAX_CHARS);
        bad = true;
    }
    r.title = title;

    r.years[0] = read_years(im, line, COL_ACTIVE, &bad);
    r.years[1] = read_years(im, line, COL_INACTIVE, &bad);

    if (im->col[COL_FINAL] >= 0) {
        raw = im->fields[im->col[COL_FINAL]];
        char *fd = clean_text(im->arena, raw, strlen(raw));
        if (!fd) {
            im->oom = true;
            return;
        }
        /* "Dinilai Kembali" as written in JRA tables → dinilai_kembali. */
        for (char *p = fd; *p; p++)
            *p = *p == ' ' ? '_' : (char)tolower((unsigned char)*p);
        if (*fd) {
            if (strcmp(fd, "musnah") != 0 && strcmp(fd, "permanen") != 0 && strcmp(fd, "dinilai_kembali") != 0) {
                problem(im, line,
                        "final_disposition must be musnah, permanen or dinilai_kembali, or "
                        "empty, not \"%s\"",
                        raw);
                bad = true;
            }
            r.final = fd;
        }
    }
    if (bad || im->oom)
        return;
    if (im->nrows == im->cap) {
        size_t cap = im->cap ? 2 * im->cap : 256;
        struct row *grown = realloc(im->rows, cap * sizeof *grown);
        if (!grown) {
            im->oom = true;
            return;
        }
        im->rows = grown;
        im->cap = cap;
    }
    im->rows[im->nrows++] = r;
}

static void on_record(int term, void *ctx)
{
    (void)term;
    struct import *im = ctx;
    long line = im->start ? im->start : im->line;
    if (!im->stop && !im->oom) {
        if (!im->have_header)
            read_header(im, line);
        else
            read_row(im, line);
    }
    im->nfields = 0;
    im->too_many = false;
    im->start = 0;
}

static int by_line(const void *a, const void *b)
{
    const struct problem *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int row_by_code(const void *a, const void *b)
{
    const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;
    int c = strcmp(x->code, y->code);
    if (c)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Parses and checks the whole file into im. 0 when it could be read (the
 * problems, if any, are in im), -1 on a fatal error (printed). */
static int parse_file(struct import *im, const char *data, size_t len)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        cli_error("out of memory");
        return -1;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    /* Spreadsheets set to an Indonesian locale save CSV with semicolons:
     * a header without commas but with semicolons means that. */
    size_t head = strcspn(data, "\n");
    if (!memchr(data, ',', head) && memchr(data, ';', head))
        csv_set_delim(&p, ';');
    /* Feed line by line to know where each record starts. */
    size_t off = 0;
    while (off < len && !im->stop && !im->oom) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (data + off)) + 1 : len - off;
        im->line++;
        if (!im->start) {
            for (size_t i = 0; i < n; i++) {
                char ch = data[off + i];
                if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                    im->start = im->line;
                    break;
                }
            }
        }
        if (csv_parse(&p, data + off, n, on_field, on_record, im) != n) {
            int err = csv_error(&p);
            if (err == CSV_ENOMEM || err == CSV_ETOOBIG)
                im->oom = true;
            else
                problem(im, im->line, "malformed CSV (a quote in the wrong place?)");
            im->stop = true;
        }
        off += n;
    }
    if (!im->stop && !im->oom && csv_fini(&p, on_field, on_record, im) != 0)
        problem(im, im->line, "malformed CSV: a quoted field is not closed");
    csv_free(&p);
    if (im->oom) {
        cli_error("out of memory");
        return -1;
    }
    if (!im->have_header && im->nproblems == 0)
        problem(im, 1, "the file is empty: expected a header line");

    /* Duplicate codes: the later line is wrong. */
    if (im->nrows > 1) {
        const struct row **sorted = malloc(im->nrows * sizeof *sorted);
        if (!sorted) {
            cli_error("out of memory");
            return -1;
        }
        for (size_t i = 0; i < im->nrows; i++)
            sorted[i] = &im->rows[i];
        qsort(sorted, im->nrows, sizeof *sorted, row_by_code);
        for (size_t i = 1; i < im->nrows; i++)
            if (strcmp(sorted[i]->code, sorted[i - 1]->code) == 0)
                problem(im, sorted[i]->line, "code \"%s\" appears again (first on line %ld)", sorted[i]->code,
                        sorted[i - 1]->line);
        free(sorted);
    }
    return im->oom ? -1 : 0;
}

/* The ancestors of code, nearest first: the dotted prefixes ("800.1.11"
 * "800.1" "800" for "800.1.11.1"), then for older three-digit codes the
 * decimal ones ("010" "000" for "011"). Writes at most max pointers into
 * out, allocated in a; returns how many. */
static size_t code_ancestors(arena_t *a, const char *code, const char **out, size_t max)
{
    size_t n = 0;
    size_t len = strlen(code);
    while (n < max) {
        const char *dot = NULL;
        for (const char *p = code; p < code + len; p++)
            if (*p == '.')
                dot = p;
        if (!dot)
            break;
        len = (size_t)(dot - code);
        out[n++] = arena_strndup(a, code, len);
    }
    char base[4];
    memcpy(base, code, 3);
    base[3] = '\0';
    if (n < max && base[2] != '0') {
        char up[4] = {base[0], base[1], '0', '\0'};
        out[n++] = arena_strdup(a, up);
    }
    if (n < max && base[1] != '0') {
        char up[4] = {base[0], '0', '0', '\0'};
        out[n++] = arena_strdup(a, up);
    }
    for (size_t i = 0; i < n; i++)
        if (!out[i])
            return 0;
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sets every classification's parent to its nearest existing ancestor.
 * The number of rows changed, or -1 (printed). */
static long reparent_all(db_t *db, arena_t *a)
{
    long changed = -1;
    const char **codes = NULL;
    char *text = NULL;
    json_t *changes = json_array();
    PGresult *r = db_query(db, "SELECT code, parent_code FROM classifications ORDER BY code", 0, NULL);
    if (!r || !changes) {
        cli_db_error(db, "could not read the classifications");
        goto cleanup;
    }
    int n = PQntuples(r);
    codes = malloc(((size_t)n + 1) * sizeof *codes);
    if (!codes) {
        cli_error("out of memory");
        goto cleanup;
    }
    for (int i = 0; i < n; i++)
        codes[i] = db_get(r, i, "code");
    /* ORDER BY code under the database's collation may differ from
     * strcmp: sort again for bsearch. */
    qsort(codes, (size_t)n, sizeof *codes, cmp_str);
    for (int i = 0; i < n; i++) {
        const char *code = db_get(r, i, "code");
        const char *old = db_get(r, i, "parent_code");
        const char *anc[CODE_MAX_BYTES];
        size_t k = code_ancestors(a, code, anc, CODE_MAX_BYTES);
        const char *parent = NULL;
        for (size_t j = 0; j < k && !parent; j++)
            if (bsearch(&anc[j], codes, (size_t)n, sizeof *codes, cmp_str))
                parent = anc[j];
        if ((old == NULL) != (parent == NULL) || (old && strcmp(old, parent) != 0)) {
            json_t *o = json_pack("{s:s, s:s?}", "code", code, "parent", parent);
            if (!o || json_array_append_new(changes, o) != 0) {
                cli_error("out of memory");
                goto cleanup;
            }
        }
    }
    if (json_array_size(changes) == 0) {
        changed = 0;
        goto cleanup;
    }
    text = json_dumps(changes, JSON_COMPACT);
    if (!text) {
        cli_error("out of memory");
        goto cleanup;
    }
    const char *p[] = {text};
    changed = db_exec(db,
                      "UPDATE classifications c SET parent_code = x.parent "
                      "FROM jsonb_to_recordset($1::jsonb) AS x (code text, parent text) "
                      "WHERE c.code = x.code",
                      1, p);
    if (changed < 0)
        cli_db_error(db, "could not set the parents");
cleanup:
    free(text);
    free(codes);
    json_decref(changes);
    PQclear(r);
    return changed;
}

/* The rows as a JSON array for jsonb_to_recordset; malloc'd, NULL on OOM. */
static char *rows_json(const struct import *im)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < im->nrows; i++) {
        const struct row *r = &im->rows[i];
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:s?}", "code", r->code, "title", r->title, "ra",
                              r->years[0] ? json_integer(atoi(r->years[0])) : json_null(), "ri",
                              r->years[1] ? json_integer(atoi(r->years[1])) : json_null(), "fd", r->final);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

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
    char *data = NULL, *json = NULL;
    db_t *db = NULL;
    PGresult *r = NULL;
    struct import im = {.file = file};
    im.arena = arena_new(0);
    if (!im.arena) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    data = cli_read_file(file, CSV_MAX_BYTES, &len);
    if (!data) {
        cli_error("could not read \"%s\": %s", file, errno == EFBIG ? "file too large" : strerror(errno));
        goto cleanup;
    }
    if (parse_file(&im, data, len) != 0)
        goto cleanup;
    if (im.nproblems > 0) {
        qsort(im.problems, im.nproblems, sizeof *im.problems, by_line);
        for (size_t i = 0; i < im.nproblems; i++)
            fprintf(stderr, "%s:%ld: %s\n", file, im.problems[i].line, im.problems[i].message);
        cli_error("%zu problem%s in \"%s\"; nothing imported", im.nproblems, im.nproblems == 1 ? "" : "s", file);
        goto cleanup;
    }

    json = rows_json(&im);
    if (!json) {
        cli_error("out of memory");
        goto cleanup;
    }
    db = cli_connect();
    if (!db)
        goto cleanup;
    if (db_begin(db) != 0) {
        cli_db_error(db, "could not begin");
        goto cleanup;
    }
    /* A column missing from the header keeps the stored values; an empty
     * field sets NULL. */
    const char *p[] = {json, im.col[COL_ACTIVE] >= 0 ? "t" : "f", im.col[COL_INACTIVE] >= 0 ? "t" : "f",
                       im.col[COL_FINAL] >= 0 ? "t" : "f"};
    r = db_query(db,
                 "INSERT INTO classifications AS c (code, title, retention_active_years,"
                 "  retention_inactive_years, final_disposition) "
                 "SELECT x.code, x.title, x.ra, x.ri, x.fd "
                 "FROM jsonb_to_recordset($1::jsonb) AS x (code text, title text, ra int, "
                 "  ri int, fd text) "
                 "ON CONFLICT (code) DO UPDATE SET "
                 "  title = EXCLUDED.title, "
                 "  retention_active_years = CASE WHEN $2::boolean "
                 "    THEN EXCLUDED.retention_active_years ELSE c.retention_active_years END, "
                 "  retention_inactive_years = CASE WHEN $3::boolean "
                 "    THEN EXCLUDED.retention_inactive_years ELSE c.retention_inactive_years END, "
                 "  final_disposition = CASE WHEN $4::boolean "
                 "    THEN EXCLUDED.final_disposition ELSE c.final_disposition END "
                 "WHERE (c.title, c.retention_active_years, c.retention_inactive_years, "
                 "       c.final_disposition) IS DISTINCT FROM "
                 "      (EXCLUDED.title, "
                 "       CASE WHEN $2::boolean THEN EXCLUDED.retention_active_years "
                 "            ELSE c.retention_active_years END, "
                 "       CASE WHEN $3::boolean THEN EXCLUDED.retention_inactive_years "
                 "            ELSE c.retention_inactive_years END, "
                 "       CASE WHEN $4::boolean THEN EXCLUDED.final_disposition "
                 "            ELSE c.final_disposition END) "
                 "RETURNING (xmax = 0) AS inserted",
                 4, p);
    if (!r) {
        cli_db_error(db, "could not import the classifications");
        goto cleanup;
    }
    long added = 0, updated = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(db_get(r, i, "inserted"), "t") == 0)
            added++;
        else
            updated++;
    }
    long unchanged = (long)im.nrows - added - updated;
    long reparented = reparent_all(db, im.arena);
    if (reparented < 0)
        goto cleanup;

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
    json_object_set_new(detail, "rows", json_integer((json_int_t)im.nrows));
    json_object_set_new(detail, "new", json_integer(added));
    json_object_set_new(detail, "updated", json_integer(updated));
    json_object_set_new(detail, "unchanged", json_integer(unchanged));
    json_object_set_new(detail, "parents_changed", json_integer(reparented));
    if (cli_audit(db, "classification.import", "classification", NULL, detail) != 0)
        goto cleanup;
    if (db_commit(db) != 0) {
        cli_db_error(db, "could not commit");
        goto cleanup;
    }
    printf("imported %zu classification%s from %s: %ld new, %ld updated, %ld unchanged\n", im.nrows,
           im.nrows == 1 ? "" : "s", file, added, updated, unchanged);
    rc = CLI_OK;

cleanup:
    PQclear(r);
    if (db)
        cli_rollback(db);
    db_close(db);
    free(json);
    free(data);
    free(im.rows);
    free(im.problems);
    arena_free(im.arena);
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
