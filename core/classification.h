/* The classification table (kode klasifikasi, with the retention schedule
 * of each code): the shape of a code, a region's table read from CSV, and
 * that table written into the database. Shared by `esurat classification
 * import` and POST /api/classifications/import, so that both accept the
 * same files and write them the same way.
 *
 * The CSV file:
 *   - a header line naming the columns, in any order, case-insensitive:
 *       code                      required: "005", "000.1.5"
 *       title                     required: 1..500 characters
 *       retention_active_years    optional: 0..1000, or empty
 *       retention_inactive_years  optional: 0..1000, or empty
 *       final_disposition         optional: musnah, permanen,
 *                                 dinilai_kembali ("Dinilai Kembali"), or empty
 *     Empty header fields (spreadsheets add them) are ignored, any other
 *     name is an error.
 *   - separated by commas, or by semicolons when the header line has
 *     semicolons and no comma (spreadsheets in an Indonesian locale);
 *     RFC 4180 quoting; a UTF-8 byte order mark is skipped; blank lines are
 *     skipped; line breaks inside titles become spaces.
 *   - a code appears once.
 * A column left out of the header keeps the stored values of existing
 * codes; an empty field stores NULL. */
#ifndef ESURAT_CLASSIFICATION_H
#define ESURAT_CLASSIFICATION_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "db.h"

#define CLASS_CODE_MAX_BYTES 64
#define CLASS_TITLE_MAX_CHARS 500
#define CLASS_YEARS_MAX 1000

typedef struct {
    long line;            /* where the row starts in the file */
    const char *code;     /* valid */
    const char *title;    /* cleaned: single spaces, no line breaks */
    const char *years[2]; /* active, inactive: digits, or NULL */
    const char *final;    /* musnah | permanen | dinilai_kembali, or NULL */
} class_row_t;

typedef struct {
    long line;
    const char *message; /* "final_disposition must be …" */
} class_problem_t;

typedef struct {
    class_row_t *rows;
    size_t nrows;
    class_problem_t *problems; /* in the order of their lines */
    size_t nproblems;
    /* Which optional columns the header names. */
    bool has_active, has_inactive, has_final;
} class_table_t;

typedef struct {
    long added, updated, unchanged, reparented;
} class_import_counts_t;

/* A code as the schema's CHECK wants it: three digits, then dot-separated
 * groups of 1 to 4 digits, at most CLASS_CODE_MAX_BYTES bytes. */
bool class_code_valid(const char *s);

/* Reads the CSV file data[0..len) into *t, every row checked. Returns 0
 * when the file could be read (t->nproblems says whether it is usable),
 * -1 when out of memory. All memory, *t's included, comes from a. */
int class_csv_parse(arena_t *a, const char *data, size_t len, class_table_t *t);

/* In db's open transaction: inserts t's new codes, updates the changed
 * ones (see the header comment for missing columns), then sets every
 * code's parent to its nearest existing ancestor. Returns 0 with *counts
 * filled, or -1 (db_error(db) or out of memory; the caller rolls back). */
int class_import(db_t *db, arena_t *a, const class_table_t *t, class_import_counts_t *counts);

/* Sets every classification's parent_code to its nearest existing
 * ancestor (000.1.5 → 000.1 → 000; the older decimal codes 011 → 010 →
 * 000). The number of rows changed, or -1 (db_error(db), or OOM). */
long class_reparent_all(db_t *db, arena_t *a);

#endif
