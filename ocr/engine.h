/* Tesseract through its C API, one engine per OCR thread, created once
 * (loading the models costs far more than reading a page):
 *
 *   - a handle on "ind+eng" (LSTM, the fast integer models of Debian's
 *     tesseract-ocr-ind and -eng), page segmentation PSM_AUTO; a doubtful
 *     piece that Tesseract cut off a line at a wide gap (the value after
 *     a tab, "Lampiran<tab>: -") is read again on the same handle with
 *     the word before it, the gap narrowed (engine.c, reread_isolated);
 *   - a handle on "osd" (legacy engine, PSM_OSD_ONLY) for the orientation
 *     of pages scanned sideways or upside down; on the ind+eng handle
 *     orientation detection answers nonsense.
 *
 * Not thread-safe: one engine per thread. */
#ifndef ESURAT_OCR_ENGINE_H
#define ESURAT_OCR_ENGINE_H

#include <stdatomic.h>
#include <stdbool.h>

#include <jansson.h>

#include "ocr.h"

struct Pix;
typedef struct engine engine_t;

/* Loads the models for langs ("ind+eng") and, when with_osd, the
 * orientation model. NULL with *err set when a model is missing. */
engine_t *engine_create(const char *langs, bool with_osd, ocr_error_t *err);
void engine_destroy(engine_t *eng);

/* The clockwise rotation in degrees (0, 90, 180, 270) that makes the page
 * upright, 0 when unsure or without the OSD model. Costs about a third of
 * a reading: the pipeline asks only about doubtful pages
 * (engine_result_doubtful). */
int engine_orientation(engine_t *eng, struct Pix *gray, int dpi);

typedef struct {
    char *text;       /* UTF-8, malloc'ed */
    float confidence; /* mean word confidence, 0..100 */
    json_t *words;    /* [{"text","conf","bbox":[x0,y0,x1,y1]}] */
    int long_words;   /* words of four characters or more */
    int tall_words;   /* of those, the ones whose box is taller than wide:
                         text running up or down the page */
} engine_result_t;

/* True when the page may not have been upright: a low mean confidence
 * (upside-down or sideways text reads as low-confidence junk; measured:
 * upright generated letters 92-95, turned ones 46-49), or most long words
 * standing on end (Tesseract reads one sideways direction by itself, with
 * its boxes on end). Such a page deserves the orientation model's look. */
bool engine_result_doubtful(const engine_result_t *res);

/* Reads one page. deadline_ms bounds the time spent; *cancel (may be
 * NULL) stops the reading when it becomes non-zero. 0, or -1 with *err
 * set (code "timeout" or "cancelled", or an engine failure). */
int engine_read(engine_t *eng, struct Pix *gray, int dpi, int deadline_ms, const atomic_int *cancel,
                engine_result_t *out, ocr_error_t *err);
void engine_result_free(engine_result_t *res);

#endif
