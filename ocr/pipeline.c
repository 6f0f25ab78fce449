#include "pipeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>

#include "doc.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_ms(void)
{
    return now_s() * 1000.0;
}

/* The page turned clockwise by rotation degrees (a clone for 0) and
 * deskewed when asked, its skew in *skew; NULL when out of memory. */
static PIX *upright_straight(PIX *clean, int rotation, const prep_steps_t *steps, float *skew)
{
    *skew = 0;
    /* pixRotateOrth turns clockwise by quarter turns. */
    PIX *upright = rotation ? pixRotateOrth(clean, rotation / 90) : pixClone(clean);
    if (!upright)
        return NULL;
    pixCopyResolution(upright, clean);
    PIX *straight = steps->deskew ? prep_deskew(upright, skew) : NULL;
    if (!straight)
        straight = pixClone(upright);
    pixDestroy(&upright);
    return straight;
}

static void debug_dump(PIX *pix)
{
    const char *debug_dir = getenv("ESURAT_OCR_DEBUG_DIR");
    if (!debug_dir)
        return;
    /* What Tesseract is given, for a look (development only). */
    char path[4096];
    static atomic_int seq;
    snprintf(path, sizeof path, "%s/page-%03d.png", debug_dir, atomic_fetch_add(&seq, 1));
    pixWrite(path, pix, IFF_PNG);
}

/* Reads one image page into *pr; 0 or -1 with *err set.
 *
 * The page is read as it comes (deskewed); the orientation model looks
 * at it only when that reading is doubtful (engine_result_doubtful), and
 * a page it finds turned is turned upright and read again. Orientation
 * detection costs about a third of a reading, and almost every page comes
 * upright: measured by scripts/bench-ocr. */
static int read_image(engine_t *eng, doc_page_t *dp, const ocr_limits_t *lim, const prep_steps_t *steps,
                      const atomic_int *cancel, page_result_t *pr, ocr_error_t *err)
{
    int specks = 0, rc = -1;
    double t0 = now_ms();
    PIX *clean = prep_clean(dp->pix, dp->dpi, steps, &specks);
    if (!clean)
        return ocr_fail(err, false, "internal", "page %d: preprocessing failed", pr->page);
    PIX *straight = upright_straight(clean, 0, steps, &pr->skew);
    engine_result_t er = {0};
    if (!straight) {
        ocr_fail(err, false, "internal", "out of memory");
        goto cleanup;
    }
    debug_dump(straight);
    if (engine_read(eng, straight, dp->dpi, lim->page_deadline_ms, cancel, &er, err) != 0)
        goto failed;
    if (steps->orient && engine_result_doubtful(&er)) {
        int rotation = engine_orientation(eng, clean, dp->dpi);
        int left_ms = lim->page_deadline_ms - (int)(now_ms() - t0);
        if (rotation && left_ms > 0) {
            float skew = 0;
            PIX *turned = upright_straight(clean, rotation, steps, &skew);
            engine_result_t again = {0};
            if (!turned) {
                engine_result_free(&er);
                ocr_fail(err, false, "internal", "out of memory");
                goto cleanup;
            }
            debug_dump(turned);
            if (engine_read(eng, turned, dp->dpi, left_ms, cancel, &again, err) != 0) {
                pixDestroy(&turned);
                if (strcmp(err->code, "timeout") != 0) {
                    engine_result_free(&er);
                    goto failed;
                }
                /* Out of time for a second reading: the first stands. */
                memset(err, 0, sizeof *err);
            } else if (!engine_result_doubtful(&again) || again.confidence > er.confidence) {
                /* The orientation model can be wrong too: a turned page
                 * that reads worse stays as it came. */
                engine_result_free(&er);
                er = again;
                pixDestroy(&straight);
                straight = turned;
                pr->rotation = rotation;
                pr->skew = skew;
            } else {
                engine_result_free(&again);
                pixDestroy(&turned);
            }
        }
    }
    pr->text = er.text;
    pr->words = er.words;
    pr->confidence = er.confidence;
    pr->width = pixGetWidth(straight);
    pr->height = pixGetHeight(straight);
    pr->source = "ocr";
    rc = 0;
    goto cleanup;
failed:
    if (strcmp(err->code, "timeout") == 0)
        ocr_fail(err, true, "timeout", "page %d took longer than %d s to read", pr->page,
                 lim->page_deadline_ms / 1000);
cleanup:
    pixDestroy(&straight);
    pixDestroy(&clean);
    return rc;
}

int pipeline_run(engine_t *eng, const unsigned char *data, size_t len, const ocr_limits_t *lim,
                 const prep_steps_t *steps, const atomic_int *cancel, scan_result_t *out, ocr_error_t *err)
{
    memset(out, 0, sizeof *out);
    doc_t *doc = doc_open(data, len, lim, err);
    if (!doc)
        return -1;
    int n = doc_page_count(doc);
    out->type = doc_type(doc);
    out->pages = calloc((size_t)n, sizeof *out->pages);
    if (!out->pages) {
        doc_close(doc);
        return ocr_fail(err, false, "internal", "out of memory");
    }
    int rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        double t0 = now_s();
        page_result_t *pr = &out->pages[i];
        pr->page = i + 1;
        pr->confidence = -1;
        doc_page_t dp;
        if (doc_get_page(doc, i, &dp, err) < 0) {
            rc = -1;
            break;
        }
        out->npages = i + 1;
        pr->dpi = dp.dpi;
        if (dp.text) {
            pr->text = dp.text;
            pr->words = dp.words;
            dp.text = NULL;
            dp.words = NULL;
            pr->width = dp.width;
            pr->height = dp.height;
            pr->source = "text_layer";
        } else {
            rc = read_image(eng, &dp, lim, steps, cancel, pr, err);
        }
        doc_page_free(&dp);
        pr->seconds = now_s() - t0;
    }
    doc_close(doc);
    if (rc < 0) {
        scan_result_free(out);
        return -1;
    }
    if (out->npages > 0 && out->pages[0].text)
        suggest_extract(out->pages[0].text, strlen(out->pages[0].text), &out->suggestions);
    return 0;
}

void scan_result_free(scan_result_t *res)
{
    for (int i = 0; i < res->npages; i++) {
        free(res->pages[i].text);
        if (res->pages[i].words)
            json_decref(res->pages[i].words);
    }
    free(res->pages);
    memset(res, 0, sizeof *res);
}

json_t *scan_result_pages_json(const scan_result_t *res)
{
    json_t *arr = json_array();
    for (int i = 0; arr && i < res->npages; i++) {
        const page_result_t *p = &res->pages[i];
        json_t *o = json_pack("{s:i, s:s, s:O?, s:i, s:i, s:i, s:i, s:f, s:s}", "page", p->page, "text",
                              p->text ? p->text : "", "words", p->words, "width", p->width, "height", p->height,
                              "dpi", p->dpi, "rotation", p->rotation, "skew", (double)p->skew, "source",
                              p->source ? p->source : "ocr");
        if (!o) {
            json_decref(arr);
            return NULL;
        }
        json_object_set_new(o, "confidence", p->confidence < 0 ? json_null() : json_real(p->confidence));
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t *suggest_json(const suggest_t *s)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (s->letter_number[0])
        json_object_set_new(o, "letter_number", json_string(s->letter_number));
    if (s->letter_date[0])
        json_object_set_new(o, "letter_date", json_string(s->letter_date));
    if (s->subject[0])
        json_object_set_new(o, "subject", json_string(s->subject));
    if (s->sender[0])
        json_object_set_new(o, "sender", json_string(s->sender));
    return o;
}
