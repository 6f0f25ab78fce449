#include "prep.h"

#include <string.h>

#include <leptonica/allheaders.h>

void prep_steps_default(prep_steps_t *steps)
{
    steps->normalize = steps->despeckle = steps->deskew = steps->orient = true;
}

bool prep_steps_parse(const char *list, prep_steps_t *steps)
{
    memset(steps, 0, sizeof *steps);
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 9 && strncmp(p, "normalize", n) == 0)
            steps->normalize = true;
        else if (n == 9 && strncmp(p, "despeckle", n) == 0)
            steps->despeckle = true;
        else if (n == 6 && strncmp(p, "deskew", n) == 0)
            steps->deskew = true;
        else if (n == 6 && strncmp(p, "orient", n) == 0)
            steps->orient = true;
        else if (!(n == 4 && strncmp(p, "none", n) == 0) && n > 0)
            return false;
        p += n;
        if (*p == ',')
            p++;
    }
    return true;
}

/* Paints out (white) every dark connected component of bin no larger than
 * max_side in either direction that has no other dark pixel within margin
 * of its box: a speck, not the dot of an i, a period or a colon, which all
 * have ink beside them. Returns the number painted out. */
static int paint_out_specks(PIX *gray, PIX *bin, int max_side, int margin, int tiny)
{
    BOXA *boxes = pixConnCompBB(bin, 8);
    if (!boxes)
        return 0;
    int n = boxaGetCount(boxes), painted = 0;
    int W = pixGetWidth(bin), H = pixGetHeight(bin);
    l_int32 *tab = makePixelSumTab8();
    for (int i = 0; i < n; i++) {
        l_int32 x, y, w, h;
        boxaGetBoxGeometry(boxes, i, &x, &y, &w, &h);
        if (w > max_side || h > max_side)
            continue;
        if (w <= tiny && h <= tiny) {
            /* Smaller than any mark of type: a speck wherever it lies. */
            BOX *own = boxCreate(x, y, w, h);
            pixSetInRect(gray, own);
            boxDestroy(&own);
            painted++;
            continue;
        }
        int x0 = x - margin < 0 ? 0 : x - margin, y0 = y - margin < 0 ? 0 : y - margin;
        int x1 = x + w + margin > W ? W : x + w + margin, y1 = y + h + margin > H ? H : y + h + margin;
        BOX *around = boxCreate(x0, y0, x1 - x0, y1 - y0);
        BOX *own = boxCreate(x, y, w, h);
        l_int32 all = 0, self = 0;
        pixCountPixelsInRect(bin, around, &all, tab);
        pixCountPixelsInRect(bin, own, &self, tab);
        if (all == self) {
            pixSetInRect(gray, own); /* 8 bpp: all ones is white */
            painted++;
        }
        boxDestroy(&around);
        boxDestroy(&own);
    }
    LEPT_FREE(tab);
    boxaDestroy(&boxes);
    return painted;
}

PIX *prep_clean(PIX *gray, int dpi, const prep_steps_t *steps, int *specks)
{
    *specks = 0;
    /* pixBackgroundNormSimple's parameters, but the paper made white
     * (255, not 200): measured slightly fewer errors on shaded pages; and
     * pixels darker than 60, not 100, taken for ink: on the dark side of
     * a shaded page the paper itself is darker than 100 (down to 70), its
     * tiles were taken for ink and that side stayed gray, with an edge
     * where deskewing brings in white (measured on heavy pages: 0.085 %
     * -> 0.040 % character errors; ink is darker than 60 even there). */
    int bgval = 255, ink_below = 60;
    PIX *pix = steps->normalize ? pixBackgroundNorm(gray, NULL, NULL, 10, 15, ink_below, 50, bgval, 2, 1)
                                : pixCopy(NULL, gray);
    if (!pix)
        return NULL;
    pixCopyResolution(pix, gray);
    if (steps->despeckle) {
        /* The dot of an i in 10–12 pt type is about 0.5 mm: 6 px at 300 dpi. */
        int max_side = dpi / 40 > 2 ? dpi / 40 : 2;
        int margin = dpi / 15 > 4 ? dpi / 15 : 4;
        /* After normalization the paper is near 200 and ink far below. */
        PIX *bin = pixThresholdToBinary(pix, steps->normalize ? bgval * 7 / 10 : 128);
        if (bin) {
            /* Type has no mark smaller than 0.25 mm (3 px at 300 dpi): a
             * speck that size goes even beside a letter (measured: heavy
             * pages 0.38 % -> 0.05 % errors). */
            int tiny = dpi / 100;
            *specks = paint_out_specks(pix, bin, max_side, margin, tiny);
            pixDestroy(&bin);
        }
    }
    return pix;
}

PIX *prep_deskew(PIX *gray, float *angle)
{
    l_float32 a = 0, conf = 0;
    *angle = 0;
    PIX *out = pixFindSkewAndDeskew(gray, 2, &a, &conf);
    if (out) {
        pixCopyResolution(out, gray);
        /* pixFindSkewAndDeskew rotates only when it is confident. */
        if (conf >= 3.0f && (a > 0.1f || a < -0.1f))
            *angle = a;
    }
    return out;
}
