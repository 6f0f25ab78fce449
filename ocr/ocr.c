#include "ocr.h"

#include <stdarg.h>
#include <stdio.h>

void ocr_limits_default(ocr_limits_t *lim)
{
    lim->max_pages = 200;
    lim->max_pixels = 80LL * 1000 * 1000;
    lim->max_bytes = 50LL * 1000 * 1000;
    lim->min_side = 32;
    lim->page_deadline_ms = 60000;
    lim->default_dpi = 300;
    lim->render_dpi = 300;
}

int ocr_fail(ocr_error_t *err, bool permanent, const char *code, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->permanent = permanent;
    snprintf(err->code, sizeof err->code, "%s", code);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}
