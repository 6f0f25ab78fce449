/* Fixity of the scan store: each stored file is read again and its
 * sha256 compared with its name (the scan store names files by their
 * sha256), its size with the scans' bytes. Results go to scan_fixity and
 * the summary to fixity_health (sql/010_export.sql), where /api/health
 * and /metrics read it.
 *
 * Used by `esurat fixity` (every file, now) and by esurat-worker's fixity
 * thread (ocr/fixity_loop.c: the oldest few at a time, at a low rate). */
#ifndef ESURAT_FIXITY_H
#define ESURAT_FIXITY_H

#include <signal.h>
#include <stdbool.h>

#include "db.h"

typedef enum { FIXITY_OK, FIXITY_MISSING, FIXITY_CHANGED } fixity_status_t;

/* "ok", "missing", "changed". */
const char *fixity_status_text(fixity_status_t s);

/* Reads dir/<sha[0:2]>/<sha> and compares. actual (65 bytes) gets the
 * sha256 found ("" when missing), *actual_bytes its size (-1 when
 * missing). max_bytes_per_s > 0 paces the reading (sleeping between
 * chunks); stop (may be NULL) ends it early, as FIXITY_OK with *actual
 * "" (not recorded by the callers). */
fixity_status_t fixity_check_file(const char *dir, const char *sha, long long expect_bytes, char actual[65],
                                  long long *actual_bytes, long long max_bytes_per_s, volatile sig_atomic_t *stop);

typedef struct {
    long long checked, ok, missing, changed, bytes;
} fixity_totals_t;

typedef struct {
    const char *scan_dir;
    /* Files whose last check is before this timestamp (timestamptz
     * text), or never checked, are due. */
    const char *before;
    long limit;                /* at most this many files */
    long long max_bytes_per_s; /* 0: as fast as the disk goes */
    volatile sig_atomic_t *stop;
    /* Called for each file checked (may be NULL). */
    void (*on_file)(void *ctx, const char *sha, fixity_status_t status, const fixity_totals_t *totals);
    void *ctx;
} fixity_batch_t;

/* Checks up to b->limit due files, oldest check first (never checked
 * first of all), records each result, adds to *t. Returns the number of
 * files checked (0: none due), or -1 on a database error (logged). */
long fixity_check_due(db_t *db, const fixity_batch_t *b, fixity_totals_t *t);

/* Recomputes fixity_health; full_pass: a pass over every file just ended.
 * 0 or -1. */
int fixity_refresh_health(db_t *db, bool full_pass);

#endif
