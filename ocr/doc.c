#include "doc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <leptonica/allheaders.h>
#include <poppler.h>

#include "utf8.h"

typedef enum { DOC_IMAGE, DOC_TIFF, DOC_PDF } doc_kind_t;

struct doc {
    doc_kind_t kind;
    int format; /* Leptonica's IFF_* for images */
    const unsigned char *data;
    size_t len;
    int pages;
    const ocr_limits_t *lim;
    PopplerDocument *pdf;
    GBytes *bytes;
};

/* A page of fewer characters than this in its text layer is read as an
 * image (a stray page number, a scanner's stamp). */
#define TEXT_LAYER_MIN_CHARS 16

static int plausible_dpi(int dpi, const ocr_limits_t *lim)
{
    return (dpi >= 100 && dpi <= 1200) ? dpi : lim->default_dpi;
}

/* Checks a page's size against the limits; 0 or -1 with *err set. */
static int check_size(const ocr_limits_t *lim, int page, long long w, long long h, ocr_error_t *err)
{
    if (w * h > lim->max_pixels)
        return ocr_fail(err, true, "too_many_pixels",
                        "page %d is %lld × %lld pixels; at most %lld megapixels are read", page, w, h,
                        lim->max_pixels / 1000000);
    if (w < lim->min_side || h < lim->min_side)
        return ocr_fail(err, true, "too_small", "page %d is %lld × %lld pixels, too small to hold text (at least %d × %d)",
                        page, w, h, lim->min_side, lim->min_side);
    return 0;
}

static bool is_pdf(const unsigned char *data, size_t len)
{
    size_t n = len < 1024 ? len : 1024;
    for (size_t i = 0; i + 5 <= n; i++)
        if (memcmp(data + i, "%PDF-", 5) == 0)
            return true;
    return false;
}

/* A PDF ends with %%EOF (perhaps followed by a little whitespace or junk);
 * poppler repairs a cut file quietly, so its absence is checked here. */
static bool pdf_complete(const unsigned char *data, size_t len)
{
    size_t start = len > 1024 ? len - 1024 : 0;
    for (size_t i = len >= 5 ? len - 5 : 0; i + 1 > start; i--) {
        if (memcmp(data + i, "%%EOF", 5) == 0)
            return true;
        if (i == 0)
            break;
    }
    return false;
}

static int open_pdf(doc_t *doc, ocr_error_t *err)
{
    if (!pdf_complete(doc->data, doc->len))
        return ocr_fail(err, true, "truncated", "the PDF is truncated (it does not end with %%%%EOF)");
    doc->bytes = g_bytes_new_static(doc->data, doc->len);
    GError *gerr = NULL;
    doc->pdf = poppler_document_new_from_bytes(doc->bytes, NULL, &gerr);
    if (!doc->pdf) {
        ocr_fail(err, true, "unreadable", "the PDF could not be read: %s", gerr ? gerr->message : "unknown error");
        if (gerr)
            g_error_free(gerr);
        return -1;
    }
    doc->pages = poppler_document_get_n_pages(doc->pdf);
    if (doc->pages < 1)
        return ocr_fail(err, true, "unreadable", "the PDF has no pages");
    return 0;
}

static int open_image(doc_t *doc, ocr_error_t *err)
{
    l_int32 format = IFF_UNKNOWN;
    if (doc->len < 12 || findFileFormatBuffer(doc->data, &format) != 0 ||
        !(format == IFF_PNG || format == IFF_JFIF_JPEG || L_FORMAT_IS_TIFF(format)))
        return ocr_fail(err, true, "unsupported", "the file is not a PNG, JPEG, TIFF or PDF");
    doc->format = format;
    l_int32 w = 0, h = 0, bps = 0, spp = 0, cmap = 0, f2 = 0;
    if (pixReadHeaderMem(doc->data, doc->len, &f2, &w, &h, &bps, &spp, &cmap) != 0)
        return ocr_fail(err, true, "unreadable", "the image could not be decoded (damaged or incomplete file)");
    if (check_size(doc->lim, 1, w, h, err) < 0)
        return -1;
    doc->pages = 1;
    if (L_FORMAT_IS_TIFF(format)) {
        doc->kind = DOC_TIFF;
        FILE *f = fmemopen((void *)doc->data, doc->len, "rb");
        l_int32 n = 0;
        if (!f || tiffGetCount(f, &n) != 0 || n < 1) {
            if (f)
                fclose(f);
            return ocr_fail(err, true, "unreadable", "the TIFF could not be read (damaged or incomplete file)");
        }
        fclose(f);
        doc->pages = n;
    }
    return 0;
}

doc_t *doc_open(const unsigned char *data, size_t len, const ocr_limits_t *lim, ocr_error_t *err)
{
    if ((long long)len > lim->max_bytes) {
        ocr_fail(err, true, "too_large", "the file has %zu bytes; at most %lld are read", len, lim->max_bytes);
        return NULL;
    }
    doc_t *doc = calloc(1, sizeof *doc);
    if (!doc) {
        ocr_fail(err, false, "internal", "out of memory");
        return NULL;
    }
    doc->data = data;
    doc->len = len;
    doc->lim = lim;
    doc->kind = DOC_IMAGE;
    int rc;
    if (is_pdf(data, len)) {
        doc->kind = DOC_PDF;
        rc = open_pdf(doc, err);
    } else {
        rc = open_image(doc, err);
    }
    if (rc == 0 && doc->pages > lim->max_pages) {
        rc = ocr_fail(err, true, "too_many_pages", "the file has %d pages; at most %d are read", doc->pages,
                      lim->max_pages);
    }
    if (rc < 0) {
        doc_close(doc);
        return NULL;
    }
    return doc;
}

int doc_page_count(const doc_t *doc)
{
    return doc->pages;
}

const char *doc_type(const doc_t *doc)
{
    switch (doc->kind) {
    case DOC_PDF: return "PDF";
    case DOC_TIFF: return "TIFF";
    case DOC_IMAGE: return doc->format == IFF_PNG ? "PNG" : "JPEG";
    }
    return "?";
}

/* 8 bpp gray from any Pix; consumes pix. */
static PIX *to_gray(PIX *pix)
{
    if (!pix)
        return NULL;
    PIX *g = pixGetDepth(pix) == 8 && !pixGetColormap(pix) ? pixClone(pix) : pixConvertTo8(pix, 0);
    if (g)
        pixCopyResolution(g, pix);
    pixDestroy(&pix);
    return g;
}

static int image_page(doc_t *doc, int index, doc_page_t *out, ocr_error_t *err)
{
    PIX *pix;
    if (doc->kind == DOC_TIFF) {
        pix = pixReadMemTiff(doc->data, doc->len, index);
    } else if (doc->format == IFF_JFIF_JPEG) {
        l_int32 warnings = 0;
        pix = pixReadMemJpeg(doc->data, doc->len, 0, 1, &warnings, L_JPEG_READ_LUMINANCE);
    } else {
        pix = pixReadMem(doc->data, doc->len);
    }
    if (!pix)
        return ocr_fail(err, true, "unreadable", "page %d could not be decoded (damaged or incomplete file)",
                        index + 1);
    if (check_size(doc->lim, index + 1, pixGetWidth(pix), pixGetHeight(pix), err) < 0) {
        pixDestroy(&pix);
        return -1;
    }
    int dpi = plausible_dpi(pixGetXRes(pix), doc->lim);
    pix = to_gray(pix);
    if (!pix)
        return ocr_fail(err, true, "unreadable", "page %d has an image type that cannot be read", index + 1);
    pixSetResolution(pix, dpi, dpi);
    out->pix = pix;
    out->dpi = dpi;
    out->width = pixGetWidth(pix);
    out->height = pixGetHeight(pix);
    return 0;
}

/* The image surface as 8 bpp gray, composed over white; NULL for formats
 * other than ARGB32 / RGB24. */
static PIX *surface_to_pix(cairo_surface_t *s)
{
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || cairo_surface_get_type(s) != CAIRO_SURFACE_TYPE_IMAGE)
        return NULL;
    cairo_surface_flush(s);
    cairo_format_t fmt = cairo_image_surface_get_format(s);
    if (fmt != CAIRO_FORMAT_ARGB32 && fmt != CAIRO_FORMAT_RGB24)
        return NULL;
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    if (!data || w < 1 || h < 1)
        return NULL;
    PIX *pix = pixCreate(w, h, 8);
    if (!pix)
        return NULL;
    l_uint32 *pd = pixGetData(pix);
    int wpl = pixGetWpl(pix);
    for (int y = 0; y < h; y++) {
        const uint32_t *src = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        l_uint32 *line = pd + (size_t)y * (size_t)wpl;
        for (int x = 0; x < w; x++) {
            uint32_t v = src[x];
            int a = fmt == CAIRO_FORMAT_ARGB32 ? (int)(v >> 24) : 255;
            int r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
            int gray = ((r * 77 + g * 150 + b * 29) >> 8) + (255 - a); /* premultiplied over white */
            SET_DATA_BYTE(line, x, gray > 255 ? 255 : gray);
        }
    }
    return pix;
}

/* Pixels for pt points at scale, bounded: a MediaBox may say anything
 * (1e300, NaN), and a double out of range of the integer it is cast to
 * is undefined behaviour (found by tests/fuzz/fuzz_image). */
static long long page_pixels(double pt, double scale)
{
    double v = pt * scale + 0.5;
    if (!(v >= 0))
        return 0;
    return v > 1e9 ? 1000000000LL : (long long)v;
}

/* The words of a text layer with their boxes (in pixels at dpi). */
static json_t *text_layer_words(PopplerPage *page, const char *text, double scale)
{
    PopplerRectangle *rects = NULL;
    guint n = 0;
    if (!poppler_page_get_text_layout(page, &rects, &n) || !rects)
        return NULL;
    json_t *words = json_array();
    const char *p = text, *word = NULL;
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    for (guint i = 0; words; i++) {
        gunichar c = *p ? g_utf8_get_char(p) : 0;
        bool space = c == 0 || g_unichar_isspace(c);
        if (!space && i < n) {
            PopplerRectangle *r = &rects[i];
            if (!word) {
                word = p;
                x0 = r->x1, y0 = r->y1, x1 = r->x2, y1 = r->y2;
            } else {
                x0 = r->x1 < x0 ? r->x1 : x0, y0 = r->y1 < y0 ? r->y1 : y0;
                x1 = r->x2 > x1 ? r->x2 : x1, y1 = r->y2 > y1 ? r->y2 : y1;
            }
        } else if (word) {
            json_array_append_new(
                words, json_pack("{s:s%, s:f, s:[i,i,i,i]}", "text", word, (size_t)(p - word), "conf", 100.0,
                                 "bbox", (int)page_pixels(x0, scale), (int)page_pixels(y0, scale),
                                 (int)page_pixels(x1, scale), (int)page_pixels(y1, scale)));
            word = NULL;
        }
        if (!*p)
            break;
        p = g_utf8_next_char(p);
    }
    g_free(rects);
    return words;
}

static bool has_text(const char *text)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)text; p && *p; p++)
        if (!isspace(*p))
            n++;
    return n >= TEXT_LAYER_MIN_CHARS;
}

static int pdf_page(doc_t *doc, int index, doc_page_t *out, ocr_error_t *err)
{
    PopplerPage *page = poppler_document_get_page(doc->pdf, index);
    if (!page)
        return ocr_fail(err, true, "unreadable", "page %d of the PDF could not be read", index + 1);
    int rc = -1;
    double wpt = 0, hpt = 0;
    poppler_page_get_size(page, &wpt, &hpt);
    int dpi = doc->lim->render_dpi;
    double scale = dpi / 72.0;
    char *text = poppler_page_get_text(page);
    if (has_text(text) && utf8_valid(text, strlen(text))) {
        out->text = strdup(text);
        out->words = text_layer_words(page, text, scale);
        out->dpi = dpi;
        out->width = (int)page_pixels(wpt, scale);
        out->height = (int)page_pixels(hpt, scale);
        rc = out->text ? 0 : ocr_fail(err, false, "internal", "out of memory");
        goto cleanup;
    }
    /* A scanned page: one image covering (nearly) the whole page. */
    GList *maps = poppler_page_get_image_mapping(page);
    if (maps && !maps->next) {
        PopplerImageMapping *m = maps->data;
        double aw = m->area.x2 - m->area.x1, ah = m->area.y2 - m->area.y1;
        if (aw < 0)
            aw = -aw;
        if (ah < 0)
            ah = -ah;
        if (aw * ah >= 0.85 * wpt * hpt && aw > 0) {
            cairo_surface_t *s = poppler_page_get_image(page, m->image_id);
            if (s) {
                out->pix = surface_to_pix(s);
                if (out->pix)
                    out->dpi = plausible_dpi((int)page_pixels(cairo_image_surface_get_width(s), 72.0 / aw),
                                             doc->lim);
                cairo_surface_destroy(s);
            }
        }
    }
    poppler_page_free_image_mapping(maps);
    if (!out->pix) {
        /* Rendered: text drawn as vectors, several images, a mask. */
        long long w = page_pixels(wpt, scale), h = page_pixels(hpt, scale);
        if (check_size(doc->lim, index + 1, w, h, err) < 0)
            goto cleanup;
        cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)w, (int)h);
        cairo_t *cr = cairo_create(s);
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        cairo_scale(cr, scale, scale);
        poppler_page_render_for_printing(page, cr);
        cairo_destroy(cr);
        out->pix = surface_to_pix(s);
        out->dpi = dpi;
        cairo_surface_destroy(s);
        if (!out->pix) {
            ocr_fail(err, false, "internal", "page %d could not be rendered", index + 1);
            goto cleanup;
        }
    }
    if (check_size(doc->lim, index + 1, pixGetWidth(out->pix), pixGetHeight(out->pix), err) < 0)
        goto cleanup;
    pixSetResolution(out->pix, out->dpi, out->dpi);
    out->width = pixGetWidth(out->pix);
    out->height = pixGetHeight(out->pix);
    rc = 0;
cleanup:
    g_free(text);
    g_object_unref(page);
    if (rc < 0)
        doc_page_free(out);
    return rc;
}

int doc_get_page(doc_t *doc, int index, doc_page_t *out, ocr_error_t *err)
{
    memset(out, 0, sizeof *out);
    if (index < 0 || index >= doc->pages)
        return ocr_fail(err, false, "internal", "no page %d", index + 1);
    return doc->kind == DOC_PDF ? pdf_page(doc, index, out, err) : image_page(doc, index, out, err);
}

void doc_page_free(doc_page_t *page)
{
    if (page->pix)
        pixDestroy(&page->pix);
    free(page->text);
    page->text = NULL;
    if (page->words)
        json_decref(page->words);
    page->words = NULL;
}

void doc_close(doc_t *doc)
{
    if (!doc)
        return;
    if (doc->pdf)
        g_object_unref(doc->pdf);
    if (doc->bytes)
        g_bytes_unref(doc->bytes);
    free(doc);
}
