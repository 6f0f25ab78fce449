/* What the OCR side of esurat-worker shares: limits, errors.
 *
 * An error is permanent when trying again cannot help (the file is
 * damaged, over a limit, not a scan at all): the job fails at once with
 * the message. Otherwise (the store unreachable, out of memory) the job is
 * tried again later, up to the configured number of attempts. */
#ifndef ESURAT_OCR_H
#define ESURAT_OCR_H

#include <stdbool.h>

typedef struct {
    int max_pages;            /* pages per file */
    long long max_pixels;     /* pixels per page */
    long long max_bytes;      /* bytes per file */
    int min_side;             /* pixels: a smaller page has nothing to read */
    int page_deadline_ms;     /* the longest one page may be read */
    int default_dpi;          /* when the file names none (or a silly one) */
    int render_dpi;           /* PDF pages rendered by poppler and cairo */
} ocr_limits_t;

/* Defaults: 200 pages, 80 megapixels, 50 MB, 32 px, 60 s, 300 dpi, 300 dpi. */
void ocr_limits_default(ocr_limits_t *lim);

typedef struct {
    bool permanent;
    char code[32];     /* too_many_pages, too_many_pixels, too_large, too_small,
                          unreadable, truncated, timeout, unsupported,
                          worker_lost, internal, cancelled */
    char message[256]; /* for people: short, factual, lower case */
} ocr_error_t;

/* Sets err (when not NULL) and returns -1. */
int ocr_fail(ocr_error_t *err, bool permanent, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
