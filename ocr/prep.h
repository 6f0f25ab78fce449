/* Leptonica preprocessing of a page before Tesseract reads it. Each step
 * was kept because it lowered the character error rate measured by
 * scripts/bench-ocr (docs/benchmarks.md has the figures):
 *
 *   normalize  pixBackgroundNormSimple: shaded, yellowed, unevenly lit
 *              paper becomes an even background (Tesseract's global Otsu
 *              threshold otherwise blackens the dark side of the page);
 *   despeckle  isolated dark specks no larger than the dot of an i at the
 *              page's resolution are painted out, and specks smaller than
 *              any mark of type (0.25 mm) wherever they are;
 *   deskew     pixFindSkewAndDeskew (it binarizes internally).
 *
 * The page stays grayscale: binarizing before Tesseract, or scaling
 * 200-dpi pages up, made the error rate worse. Orientation (pages scanned
 * sideways or upside down) needs Tesseract's OSD model (engine.h), asked
 * only when a first reading of the page is doubtful (pipeline.c);
 * Leptonica's pixOrientDetect was tried and is not sure enough on these
 * letters (upright pages scored 0.3-8, below its own threshold of 8). */
#ifndef ESURAT_OCR_PREP_H
#define ESURAT_OCR_PREP_H

#include <stdbool.h>

struct Pix;

typedef struct {
    bool normalize, despeckle, deskew, orient;
} prep_steps_t;

/* Every step on. */
void prep_steps_default(prep_steps_t *steps);

/* Parses a comma-separated list ("normalize,despeckle,deskew,orient",
 * "none"); false on an unknown word. */
bool prep_steps_parse(const char *list, prep_steps_t *steps);

/* Background normalization and speck removal on an 8 bpp page; a new Pix
 * (the caller destroys it), NULL on failure. *specks counts the specks
 * painted out. */
struct Pix *prep_clean(struct Pix *gray, int dpi, const prep_steps_t *steps, int *specks);

/* The page deskewed (a new Pix, or a clone when no skew was found), the
 * angle applied in *angle (degrees); NULL on failure. */
struct Pix *prep_deskew(struct Pix *gray, float *angle);

#endif
