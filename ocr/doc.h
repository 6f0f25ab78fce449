/* The pages of a scan file: PNG, JPEG, TIFF (one or many pages) or PDF.
 *
 * The type comes from the bytes, never from a name or a declared type.
 * A PDF page that carries a text layer gives its text (and the boxes of
 * its words) and no image; a scanned PDF page gives the image stored in
 * it, at its own resolution, without rendering; any other PDF page is
 * rendered with poppler and cairo at lim->render_dpi. Every page comes out
 * as an 8 bpp grayscale Pix with its resolution set (lim->default_dpi
 * when the file names none or an implausible one).
 *
 * Limits (pages, pixels, bytes, smallest side) are checked as early as the
 * format allows: pages and image sizes from the headers, before decoding. */
#ifndef ESURAT_OCR_DOC_H
#define ESURAT_OCR_DOC_H

#include <stddef.h>

#include <jansson.h>

#include "ocr.h"

struct Pix;
typedef struct doc doc_t;

typedef struct {
    struct Pix *pix; /* 8 bpp gray, or NULL for a text-layer page */
    int dpi;
    char *text;      /* a PDF text layer (malloc'ed), or NULL */
    json_t *words;   /* the text layer's word boxes, or NULL */
    int width, height; /* of pix, or of the page at lim->render_dpi */
} doc_page_t;

/* Opens the len bytes at data, which must stay valid until doc_close.
 * NULL with *err set when the file is not a scan we read, is damaged, or
 * exceeds a limit. */
doc_t *doc_open(const unsigned char *data, size_t len, const ocr_limits_t *lim, ocr_error_t *err);

/* The number of pages (at least 1). */
int doc_page_count(const doc_t *doc);

/* "PNG", "JPEG", "TIFF" or "PDF". */
const char *doc_type(const doc_t *doc);

/* Page index (0-based) into *out: 0, or -1 with *err set. Free the page's
 * contents with doc_page_free. */
int doc_get_page(doc_t *doc, int index, doc_page_t *out, ocr_error_t *err);
void doc_page_free(doc_page_t *page);

void doc_close(doc_t *doc);

#endif
