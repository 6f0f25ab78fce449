/* libFuzzer target: any bytes as a scan file (PNG, JPEG, TIFF, PDF) must
 * be opened and its first page loaded, or refused with an error code and
 * a message; never a crash, a leak or an out-of-bounds access in our
 * loader (ocr/doc.c). Small limits keep each run short. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <leptonica/allheaders.h>

#include "doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        setMsgSeverity(L_SEVERITY_NONE);
        quiet = 1;
    }
    ocr_limits_t lim;
    ocr_limits_default(&lim);
    lim.max_pages = 4;
    lim.max_pixels = 2000000;
    lim.render_dpi = 50;
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    ocr_error_t err = {0};
    doc_t *doc = doc_open(copy, size, &lim, &err);
    if (!doc) {
        if (!err.code[0] || !err.message[0])
            abort();
    } else {
        int n = doc_page_count(doc);
        if (n < 1 || n > lim.max_pages)
            abort();
        doc_page_t page;
        if (doc_get_page(doc, 0, &page, &err) == 0) {
            if (!page.pix && !page.text)
                abort();
            if (page.pix && (long long)pixGetWidth(page.pix) * pixGetHeight(page.pix) > lim.max_pixels)
                abort();
            doc_page_free(&page);
        } else if (!err.code[0]) {
            abort();
        }
        doc_close(doc);
    }
    free(copy);
    return 0;
}
