#include "engine.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <leptonica/allheaders.h>
#include <tesseract/capi.h>

#include "utf8.h"

struct engine {
    TessBaseAPI *api;
    TessBaseAPI *osd; /* NULL without the orientation model */
};

engine_t *engine_create(const char *langs, bool with_osd, ocr_error_t *err)
{
    engine_t *eng = calloc(1, sizeof *eng);
    if (!eng) {
        ocr_fail(err, false, "internal", "out of memory");
        return NULL;
    }
    eng->api = TessBaseAPICreate();
    if (!eng->api || TessBaseAPIInit2(eng->api, NULL, langs, OEM_LSTM_ONLY) != 0) {
        ocr_fail(err, false, "internal", "tesseract could not load the models for %s (tesseract-ocr-ind, -eng)",
                 langs);
        engine_destroy(eng);
        return NULL;
    }
    /* After Init the default is a single block; letters have many. */
    TessBaseAPISetPageSegMode(eng->api, PSM_AUTO);
    if (with_osd) {
        eng->osd = TessBaseAPICreate();
        if (!eng->osd || TessBaseAPIInit2(eng->osd, NULL, "osd", OEM_TESSERACT_ONLY) != 0) {
            ocr_fail(err, false, "internal", "tesseract could not load the orientation model (tesseract-ocr-osd)");
            engine_destroy(eng);
            return NULL;
        }
        TessBaseAPISetPageSegMode(eng->osd, PSM_OSD_ONLY);
    }
    return eng;
}

void engine_destroy(engine_t *eng)
{
    if (!eng)
        return;
    if (eng->api) {
        TessBaseAPIEnd(eng->api);
        TessBaseAPIDelete(eng->api);
    }
    if (eng->osd) {
        TessBaseAPIEnd(eng->osd);
        TessBaseAPIDelete(eng->osd);
    }
    free(eng);
}

int engine_orientation(engine_t *eng, PIX *gray, int dpi)
{
    if (!eng->osd)
        return 0;
    TessBaseAPISetImage2(eng->osd, gray);
    TessBaseAPISetSourceResolution(eng->osd, dpi);
    int deg = 0;
    float conf = 0, script_conf = 0;
    const char *script = NULL; /* points into the model: not ours to free */
    BOOL ok = TessBaseAPIDetectOrientationScript(eng->osd, &deg, &conf, &script, &script_conf);
    TessBaseAPIClear(eng->osd);
    /* Below this confidence OSD guesses (measured: upright pages of
     * letters score well above it). */
    if (!ok || conf < 2.0f)
        return 0;
    /* OSD names the page's rotation counterclockwise; the correction turns
     * it back clockwise (checked with pages turned by 90, 180 and 270). */
    deg = (360 - ((deg % 360) + 360) % 360) % 360;
    return deg == 90 || deg == 180 || deg == 270 ? deg : 0;
}

typedef struct {
    const atomic_int *cancel;
} cancel_ctx_t;

static bool should_cancel(void *ctx, int words)
{
    (void)words;
    const cancel_ctx_t *c = ctx;
    return c->cancel && atomic_load(c->cancel) != 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* The words with their confidence and box. */
static json_t *collect_words(TessBaseAPI *api)
{
    json_t *words = json_array();
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    if (!it)
        return words;
    const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
    do {
        char *w = TessResultIteratorGetUTF8Text(it, RIL_WORD);
        int x0, y0, x1, y1;
        if (w && *w && utf8_valid(w, strlen(w)) && TessPageIteratorBoundingBox(pit, RIL_WORD, &x0, &y0, &x1, &y1)) {
            float conf = TessResultIteratorConfidence(it, RIL_WORD);
            json_array_append_new(words, json_pack("{s:s, s:f, s:[i,i,i,i]}", "text", w, "conf",
                                                   (double)((int)(conf * 10.0f + 0.5f)) / 10.0, "bbox", x0, y0, x1,
                                                   y1));
        }
        if (w)
            TessDeleteText(w);
    } while (TessResultIteratorNext(it, RIL_WORD));
    TessResultIteratorDelete(it);
    return words;
}

int engine_read(engine_t *eng, PIX *gray, int dpi, int deadline_ms, const atomic_int *cancel, engine_result_t *out,
                ocr_error_t *err)
{
    memset(out, 0, sizeof *out);
    TessBaseAPISetImage2(eng->api, gray);
    TessBaseAPISetSourceResolution(eng->api, dpi);
    ETEXT_DESC *monitor = TessMonitorCreate();
    cancel_ctx_t ctx = {cancel};
    TessMonitorSetCancelFunc(monitor, should_cancel);
    TessMonitorSetCancelThis(monitor, &ctx);
    TessMonitorSetDeadlineMSecs(monitor, deadline_ms);
    double t0 = now_ms();
    int rc = TessBaseAPIRecognize(eng->api, monitor);
    double spent = now_ms() - t0;
    TessMonitorDelete(monitor);
    int result = -1;
    if (cancel && atomic_load(cancel)) {
        ocr_fail(err, false, "cancelled", "reading stopped: the worker is shutting down");
    } else if (spent >= deadline_ms) {
        ocr_fail(err, true, "timeout", "a page took longer than %d s to read", deadline_ms / 1000);
    } else if (rc != 0) {
        ocr_fail(err, true, "unreadable", "tesseract could not read the page");
    } else {
        char *text = TessBaseAPIGetUTF8Text(eng->api);
        out->text = strdup(text && utf8_valid(text, strlen(text)) ? text : "");
        if (text)
            TessDeleteText(text);
        int conf = TessBaseAPIMeanTextConf(eng->api);
        out->confidence = conf < 0 ? 0.0f : conf > 100 ? 100.0f : (float)conf;
        out->words = collect_words(eng->api);
        if (!out->text || !out->words) {
            engine_result_free(out);
            ocr_fail(err, false, "internal", "out of memory");
        } else {
            result = 0;
        }
    }
    TessBaseAPIClear(eng->api);
    return result;
}

void engine_result_free(engine_result_t *res)
{
    free(res->text);
    res->text = NULL;
    if (res->words)
        json_decref(res->words);
    res->words = NULL;
}
