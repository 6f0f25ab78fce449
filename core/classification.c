#include "classification.h"

#include <csv.h>
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define MAX_FIELDS 32

enum column { COL_CODE, COL_TITLE, COL_ACTIVE, COL_INACTIVE, COL_FINAL, NCOLUMNS };

static const char *const column_names[NCOLUMNS] = {
    "code", "title", "retention_active_years", "retention_inactive_years", "final_disposition",
};

struct problem {
    class_problem_t p;
    long seq; /* keeps problems of one line in the order found */
};

struct import {
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
    /* Results, grown in the arena. */
    class_row_t *rows;
    size_t nrows, cap;
    struct problem *problems;
    size_t nproblems, pcap;
};

bool class_code_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 3 || n > CLASS_CODE_MAX_BYTES || strspn(s, "0123456789") < 3)
        return false;
    for (const char *p = s + 3; *p;) {
        if (*p != '.')
            return false;
        size_t digits = strspn(p + 1, "0123456789");
        if (digits < 1 || digits > 4)
            return false;
        p += 1 + digits;
    }
    return true;
}

/* Makes room for one more element of size bytes in *array (count used,
 * *cap allocated), copying into a larger arena block; false on OOM. */
static bool grow(arena_t *a, void **array, size_t count, size_t *cap, size_t size)
{
    if (count < *cap)
        return true;
    size_t ncap = *cap ? 2 * *cap : 64;
    void *bigger = arena_alloc(a, ncap * size);
    if (!bigger)
        return false;
    if (count)
        memcpy(bigger, *array, count * size);
    *array = bigger;
    *cap = ncap;
    return true;
}

static void problem(struct import *im, long line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void problem(struct import *im, long line, const char *fmt, ...)
{
    if (!grow(im->arena, (void **)&im->problems, im->nproblems, &im->pcap, sizeof *im->problems)) {
        im->oom = true;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = arena_vprintf(im->arena, fmt, ap);
    va_end(ap);
    if (!msg) {
        im->oom = true;
        return;
    }
    im->problems[im->nproblems] = (struct problem){{line, msg}, (long)im->nproblems};
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
            problem(im, line, "unknown column \"%s\" (expected %s, %s, %s, %s, %s)",
                    utf8_valid(name, strlen(name)) ? name : "?", column_names[0], column_names[1], column_names[2],
                    column_names[3], column_names[4]);
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

/* Empty → NULL (ok); a whole number 0..CLASS_YEARS_MAX → its digits; else
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
    if (strspn(v, "0123456789") != n || n > 4 || strtol(v, NULL, 10) > CLASS_YEARS_MAX) {
        problem(im, line, "%s must be a whole number of years (0 to %d) or empty, not \"%s\"", column_names[col],
                CLASS_YEARS_MAX, v);
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
    class_row_t r = {.line = line};
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
    } else if (!class_code_valid(code)) {
        problem(im, line, "invalid code \"%s\": expected three digits and dot-separated numbers, like 000.1.5", code);
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
    } else if (utf8_length(title) > CLASS_TITLE_MAX_CHARS) {
        problem(im, line, "title is longer than %d characters", CLASS_TITLE_MAX_CHARS);
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
                problem(im, line, "final_disposition must be musnah, permanen or dinilai_kembali, or empty, not \"%s\"",
                        raw);
                bad = true;
            }
            r.final = fd;
        }
    }
    if (bad || im->oom)
        return;
    if (!grow(im->arena, (void **)&im->rows, im->nrows, &im->cap, sizeof *im->rows)) {
        im->oom = true;
        return;
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
    if (x->p.line != y->p.line)
        return x->p.line < y->p.line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int row_by_code(const void *a, const void *b)
{
    const class_row_t *x = *(const class_row_t *const *)a, *y = *(const class_row_t *const *)b;
    int c = strcmp(x->code, y->code);
    if (c)
        return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Duplicate codes: the later line is wrong. */
static void find_duplicates(struct import *im)
{
    if (im->nrows < 2)
        return;
    const class_row_t **sorted = arena_alloc(im->arena, im->nrows * sizeof *sorted);
    if (!sorted) {
        im->oom = true;
        return;
    }
    for (size_t i = 0; i < im->nrows; i++)
        sorted[i] = &im->rows[i];
    qsort(sorted, im->nrows, sizeof *sorted, row_by_code);
    for (size_t i = 1; i < im->nrows; i++)
        if (strcmp(sorted[i]->code, sorted[i - 1]->code) == 0)
            problem(im, sorted[i]->line, "code \"%s\" appears again (first on line %ld)", sorted[i]->code,
                    sorted[i - 1]->line);
}

int class_csv_parse(arena_t *a, const char *data, size_t len, class_table_t *t)
{
    memset(t, 0, sizeof *t);
    struct import im = {.arena = a};
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
        return -1;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    /* A NUL byte would cut a field short unseen: the file is binary (a
     * spreadsheet's own format?), not CSV. */
    const char *nul = memchr(data, '\0', len);
    if (nul) {
        long line = 1;
        for (const char *c = data; c < nul; c++)
            line += *c == '\n';
        problem(&im, line, "a NUL byte: this is not a CSV text file (save the table as CSV)");
        im.stop = true;
    }
    /* Spreadsheets set to an Indonesian locale save CSV with semicolons:
     * a header without commas but with semicolons means that. */
    const char *eol = memchr(data, '\n', len);
    size_t head = eol ? (size_t)(eol - data) : len;
    if (!memchr(data, ',', head) && memchr(data, ';', head))
        csv_set_delim(&p, ';');
    /* Feed line by line to know where each record starts. */
    size_t off = 0;
    while (off < len && !im.stop && !im.oom) {
        const char *nl = memchr(data + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (data + off)) + 1 : len - off;
        im.line++;
        if (!im.start) {
            for (size_t i = 0; i < n; i++) {
                char ch = data[off + i];
                if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                    im.start = im.line;
                    break;
                }
            }
        }
        if (csv_parse(&p, data + off, n, on_field, on_record, &im) != n) {
            int err = csv_error(&p);
            if (err == CSV_ENOMEM || err == CSV_ETOOBIG)
                im.oom = true;
            else
                problem(&im, im.line, "malformed CSV (a quote in the wrong place?)");
            im.stop = true;
        }
        off += n;
    }
    if (!im.stop && !im.oom && csv_fini(&p, on_field, on_record, &im) != 0)
        problem(&im, im.line, "malformed CSV: a quoted field is not closed");
    csv_free(&p);
    if (!im.oom && !im.have_header && im.nproblems == 0)
        problem(&im, 1, "the file is empty: expected a header line");
    if (!im.oom)
        find_duplicates(&im);
    if (im.oom)
        return -1;

    if (im.nproblems) {
        qsort(im.problems, im.nproblems, sizeof *im.problems, by_line);
        t->problems = arena_alloc(a, im.nproblems * sizeof *t->problems);
        if (!t->problems)
            return -1;
        for (size_t i = 0; i < im.nproblems; i++)
            t->problems[i] = im.problems[i].p;
    }
    t->nproblems = im.nproblems;
    t->rows = im.rows;
    t->nrows = im.nrows;
    t->has_active = im.have_header && im.col[COL_ACTIVE] >= 0;
    t->has_inactive = im.have_header && im.col[COL_INACTIVE] >= 0;
    t->has_final = im.have_header && im.col[COL_FINAL] >= 0;
    return 0;
}

/* ------------------------------------------------------------------------
 * Parents */

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

long class_reparent_all(db_t *db, arena_t *a)
{
    long changed = -1;
    const char **codes = NULL;
    char *text = NULL;
    json_t *changes = json_array();
    PGresult *r = db_query(db, "SELECT code, parent_code FROM classifications ORDER BY code", 0, NULL);
    if (!r || !changes)
        goto cleanup;
    int n = PQntuples(r);
    codes = malloc(((size_t)n + 1) * sizeof *codes);
    if (!codes)
        goto cleanup;
    for (int i = 0; i < n; i++)
        codes[i] = db_get(r, i, "code");
    /* ORDER BY code under the database's collation may differ from
     * strcmp: sort again for bsearch. */
    qsort(codes, (size_t)n, sizeof *codes, cmp_str);
    for (int i = 0; i < n; i++) {
        const char *code = db_get(r, i, "code");
        const char *old = db_get(r, i, "parent_code");
        const char *anc[CLASS_CODE_MAX_BYTES];
        size_t k = code_ancestors(a, code, anc, CLASS_CODE_MAX_BYTES);
        const char *parent = NULL;
        for (size_t j = 0; j < k && !parent; j++)
            if (bsearch(&anc[j], codes, (size_t)n, sizeof *codes, cmp_str))
                parent = anc[j];
        if ((old == NULL) != (parent == NULL) || (old && strcmp(old, parent) != 0)) {
            json_t *o = json_pack("{s:s, s:s?}", "code", code, "parent", parent);
            if (!o || json_array_append_new(changes, o) != 0)
                goto cleanup;
        }
    }
    if (json_array_size(changes) == 0) {
        changed = 0;
        goto cleanup;
    }
    text = json_dumps(changes, JSON_COMPACT);
    if (!text)
        goto cleanup;
    const char *p[] = {text};
    changed = db_exec(db,
                      "UPDATE classifications c SET parent_code = x.parent "
                      "FROM jsonb_to_recordset($1::jsonb) AS x (code text, parent text) "
                      "WHERE c.code = x.code",
                      1, p);
cleanup:
    free(text);
    free(codes);
    json_decref(changes);
    PQclear(r);
    return changed;
}

/* ------------------------------------------------------------------------
 * Writing */

/* The rows as a JSON array for jsonb_to_recordset; malloc'd, NULL on OOM. */
static char *rows_json(const class_table_t *t)
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (size_t i = 0; i < t->nrows; i++) {
        const class_row_t *r = &t->rows[i];
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

/* Inserts new codes and updates changed ones; a column missing from the
 * file ($2..$4 false) keeps the stored value. One row back per code
 * written, unchanged ones are left alone. */
static const char UPSERT_SQL[] =
    "INSERT INTO classifications AS c (code, title, retention_active_years,"
    "  retention_inactive_years, final_disposition) "
    "SELECT x.code, x.title, x.ra, x.ri, x.fd "
    "FROM jsonb_to_recordset($1::jsonb) AS x (code text, title text, ra int, ri int, fd text) "
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
    "RETURNING (xmax = 0) AS inserted";

int class_import(db_t *db, arena_t *a, const class_table_t *t, class_import_counts_t *counts)
{
    memset(counts, 0, sizeof *counts);
    char *json = rows_json(t);
    if (!json)
        return -1;
    const char *p[] = {json, t->has_active ? "t" : "f", t->has_inactive ? "t" : "f", t->has_final ? "t" : "f"};
    PGresult *r = db_query(db, UPSERT_SQL, 4, p);
    free(json);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        if (strcmp(db_get(r, i, "inserted"), "t") == 0)
            counts->added++;
        else
            counts->updated++;
    }
    PQclear(r);
    counts->unchanged = (long)t->nrows - counts->added - counts->updated;
    counts->reparented = class_reparent_all(db, a);
    return counts->reparented < 0 ? -1 : 0;
}
