/* One scan file, read: every page loaded (doc.h), cleaned (prep.h),
 * turned upright, deskewed and recognized (engine.h), and the front
 * desk's suggestions taken from the first page (suggest.h). */
#ifndef ESURAT_OCR_PIPELINE_H
#define ESURAT_OCR_PIPELINE_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>

#include "engine.h"
#include "ocr.h"
#include "prep.h"
#include "suggest.h"

typedef struct {
    int page;          /* 1-based */
    char *text;        /* malloc'ed */
    float confidence;  /* < 0: none (a text layer) */
    json_t *words;     /* word boxes, in the coordinates of the upright, deskewed page */
    int width, height; /* of that page, in pixels */
    int dpi;
    int rotation;      /* degrees turned clockwise to make it upright */
    float skew;        /* degrees deskewed */
    const char *source; /* "ocr" or "text_layer" */
    double seconds;    /* spent on this page */
} page_result_t;

typedef struct {
    page_result_t *pages;
    int npages;
    suggest_t suggestions;
    const char *type; /* "PNG", "JPEG", "TIFF", "PDF" */
} scan_result_t;

/* Reads the len bytes at data. 0 with *out filled (free it with
 * scan_result_free), or -1 with *err set and *out empty. */
int pipeline_run(engine_t *eng, const unsigned char *data, size_t len, const ocr_limits_t *lim,
                 const prep_steps_t *steps, const atomic_int *cancel, scan_result_t *out, ocr_error_t *err);
void scan_result_free(scan_result_t *res);

/* The pages as a JSON array of objects (page, text, confidence, words,
 * width, height, dpi, rotation, skew, source): a new reference. */
json_t *scan_result_pages_json(const scan_result_t *res);

/* The suggestions as a JSON object (empty fields left out). */
json_t *suggest_json(const suggest_t *s);

#endif
