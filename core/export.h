/* The archive of a period as a BagIt bag (bag.h): every letter registered
 * from `from` to `to` (calendar days, inclusive, in the connection's time
 * zone) that the exporting user may see, with
 *
 *   data/register.csv                     one row per letter (UTF-8, BOM)
 *   data/letters/<year>/<folder>/letter.json   the letter page's JSON:
 *                                         metadata, scans, disposition log,
 *                                         history (letter_doc_build)
 *   data/letters/<year>/<folder>/scan-N.<ext>  the original scans, byte for byte
 *   data/letters/<year>/<folder>/ocr.txt       the OCR text of every page
 *
 * <year> is the agenda year; <folder> is the agenda number qualified by
 * the registering unit and the direction, since agenda numbers count per
 * unit and direction: "Umum-masuk-00123". bag-info.txt says the period,
 * the counts and how many letters were left out as confidential.
 *
 * One implementation for GET /api/export and `esurat export`: both give
 * the same payload for the same data and user. Reads in one REPEATABLE
 * READ READ ONLY transaction (a consistent snapshot), 20 letters at a
 * time; memory stays constant whatever the period's size. */
#ifndef ESURAT_EXPORT_H
#define ESURAT_EXPORT_H

#include <stdbool.h>

#include "bag.h"
#include "db.h"

typedef struct {
    long long letters;      /* in the bag */
    long long withheld;     /* in the period but confidential to the exporter */
    long long scans;        /* scan files of the letters in the bag */
    long long scan_bytes;   /* their bytes (an estimate of the bag's size) */
    long long letters_done; /* written so far */
    long long bytes_out;    /* archive bytes written so far */
    long long missing;      /* scan files not found in the store (left out) */
    long long damaged;      /* scan files whose sha256 is not the stored one */
} export_stats_t;

typedef struct {
    db_t *db;                 /* outside a transaction */
    const char *scan_dir;     /* the scan store */
    const char *tmpdir;       /* for the spooled manifest and register; NULL: $TMPDIR, /tmp */
    const char *from, *to;    /* YYYY-MM-DD, checked with export_period_check */
    const char *user_id;      /* letters this user may see (letter_visible); NULL: all */
    const char *exported_by;  /* who, for bag-info.txt */
    const char *organization; /* Source-Organization; NULL: the root unit's name */
    bag_format_t format;
    bag_write_fn write;
    void *write_ctx;
    /* Called once the counts are known, before the first byte is
     * written (an HTTP handler sends its headers there); a non-zero
     * return stops the export. May be NULL. */
    int (*on_start)(void *ctx, const export_stats_t *stats);
    /* Called after each letter. May be NULL. */
    void (*on_progress)(void *ctx, const export_stats_t *stats);
    void *cb_ctx;
} export_params_t;

typedef enum {
    EXPORT_OK = 0,
    EXPORT_DB_ERROR, /* before anything was written, or during the stream */
    EXPORT_IO_ERROR, /* the output or the scan store failed */
    EXPORT_STOPPED,  /* on_start asked to stop */
} export_status_t;

/* Runs the export. stats (may be NULL) gets the figures. The transaction
 * is ended whatever happens. */
export_status_t export_run(const export_params_t *p, export_stats_t *stats);

/* Checks a period: both YYYY-MM-DD days that exist (years 1900..9999),
 * from not after to. NULL when good, else what is wrong, naming the field
 * in *field ("from" or "to"). */
const char *export_period_check(const char *from, const char *to, const char **field);

/* The bag's name for a period: "esurat-arsip-<from>_<to>". */
void export_bag_name(const char *from, const char *to, char out[64]);

#endif
