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

/* Characters (not bytes) of a valid UTF-8 string. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* A page's words and text lines as Tesseract found them. */
typedef struct {
    char *text; /* malloc'ed, valid UTF-8 */
    float conf;
    int x0, y0, x1, y1;
} word_t;

typedef struct {
    int x0, y0, x1, y1;
    int first, count; /* its words in layout_t.words */
} line_t;

typedef struct {
    word_t *words;
    int nwords, cap_words;
    line_t *lines;
    int nlines, cap_lines;
} layout_t;

static void layout_free(layout_t *lay)
{
    for (int i = 0; i < lay->nwords; i++)
        free(lay->words[i].text);
    free(lay->words);
    free(lay->lines);
    memset(lay, 0, sizeof *lay);
}

static int words_reserve(layout_t *lay, int more)
{
    if (lay->nwords + more <= lay->cap_words)
        return 0;
    int cap = lay->cap_words ? lay->cap_words * 2 : 256;
    while (cap < lay->nwords + more)
        cap *= 2;
    word_t *w = realloc(lay->words, (size_t)cap * sizeof *w);
    if (!w)
        return -1;
    lay->words = w;
    lay->cap_words = cap;
    return 0;
}

/* The words (with a text) and their lines, in reading order; -1 when out
 * of memory. */
static int layout_collect(TessBaseAPI *api, layout_t *lay)
{
    TessResultIterator *it = TessBaseAPIGetIterator(api);
    if (!it)
        return 0;
    const TessPageIterator *pit = TessResultIteratorGetPageIteratorConst(it);
    int rc = 0;
    do {
        if (TessPageIteratorIsAtBeginningOf(pit, RIL_TEXTLINE)) {
            if (lay->nlines == lay->cap_lines) {
                int cap = lay->cap_lines ? lay->cap_lines * 2 : 64;
                line_t *l = realloc(lay->lines, (size_t)cap * sizeof *l);
                if (!l) {
                    rc = -1;
                    break;
                }
                lay->lines = l;
                lay->cap_lines = cap;
            }
            line_t *ln = &lay->lines[lay->nlines++];
            memset(ln, 0, sizeof *ln);
            ln->first = lay->nwords;
            TessPageIteratorBoundingBox(pit, RIL_TEXTLINE, &ln->x0, &ln->y0, &ln->x1, &ln->y1);
        }
        char *w = TessResultIteratorGetUTF8Text(it, RIL_WORD);
        int x0, y0, x1, y1;
        if (lay->nlines > 0 && w && *w && utf8_valid(w, strlen(w)) &&
            TessPageIteratorBoundingBox(pit, RIL_WORD, &x0, &y0, &x1, &y1)) {
            char *copy = strdup(w);
            if (!copy || words_reserve(lay, 1) < 0) {
                free(copy);
                TessDeleteText(w);
                rc = -1;
                break;
            }
            lay->words[lay->nwords++] =
                (word_t){copy, TessResultIteratorConfidence(it, RIL_WORD), x0, y0, x1, y1};
            lay->lines[lay->nlines - 1].count++;
        }
        if (w)
            TessDeleteText(w);
    } while (TessResultIteratorNext(it, RIL_WORD));
    TessResultIteratorDelete(it);
    return rc;
}

/* The words as JSON, with their confidence and box; counts the long words
 * and the long words standing on end into *out. NULL when out of memory. */
static json_t *layout_words_json(const layout_t *lay, engine_result_t *out)
{
    json_t *words = json_array();
    for (int i = 0; words && i < lay->nwords; i++) {
        const word_t *w = &lay->words[i];
        if (utf8_chars(w->text) >= 4) {
            out->long_words++;
            if (w->y1 - w->y0 > w->x1 - w->x0)
                out->tall_words++;
        }
        json_t *o = json_pack("{s:s, s:f, s:[i,i,i,i]}", "text", w->text, "conf",
                              (double)((int)(w->conf * 10.0f + 0.5f)) / 10.0, "bbox", w->x0, w->y0, w->x1, w->y1);
        if (!o || json_array_append_new(words, o) != 0) {
            json_decref(words);
            return NULL;
        }
    }
    return words;
}

/* The words of line ln joined by single spaces, as GetUTF8Text writes a
 * line; malloc'ed, NULL when out of memory. */
static char *line_text(const layout_t *lay, const line_t *ln)
{
    size_t n = 1;
    for (int i = 0; i < ln->count; i++)
        n += strlen(lay->words[ln->first + i].text) + 1;
    char *s = malloc(n), *p = s;
    if (!s)
        return NULL;
    for (int i = 0; i < ln->count; i++)
        p += sprintf(p, "%s%s", i ? " " : "", lay->words[ln->first + i].text);
    *p = '\0';
    return s;
}

/* The band y0..y1 of gray from x0 to x1, with every run of blank columns
 * wider than max_gap narrowed to max_gap and pad white pixels around;
 * map[i] is the page column of the strip's column i (pad included), and
 * strip_ink[i] whether that column has ink (both malloc'ed). NULL when out
 * of memory. */
static PIX *strip_closing_gaps(PIX *gray, int x0, int x1, int y0, int y1, int pad, int max_gap, int **map,
                               unsigned char **strip_ink)
{
    int w = x1 - x0, h = y1 - y0, wpl = pixGetWpl(gray);
    l_uint32 *data = pixGetData(gray);
    unsigned char *ink = calloc((size_t)w, 1);
    int *m = malloc(((size_t)w + 2 * (size_t)pad) * sizeof *m);
    PIX *strip = NULL;
    if (!ink || !m)
        goto cleanup;
    for (int y = y0; y < y1; y++) {
        const l_uint32 *row = data + (size_t)y * wpl;
        for (int x = 0; x < w; x++)
            if (!ink[x] && GET_DATA_BYTE(row, x0 + x) < 128)
                ink[x] = 1;
    }
    /* The kept columns, in order. */
    int n = 0;
    for (int i = 0; i < pad; i++)
        m[n++] = x0;
    for (int x = 0; x < w;) {
        int end = x;
        while (end < w && ink[end] == ink[x])
            end++;
        int keep = !ink[x] && end - x > max_gap ? max_gap : end - x;
        for (int i = 0; i < keep; i++)
            m[n++] = x0 + x + i;
        x = end;
    }
    for (int i = 0; i < pad; i++)
        m[n++] = x1 - 1;
    unsigned char *sink = calloc((size_t)n, 1);
    strip = sink ? pixCreate(n, h + 2 * pad, 8) : NULL;
    if (!strip) {
        free(sink);
        goto cleanup;
    }
    for (int i = pad; i < n - pad; i++)
        sink[i] = ink[m[i] - x0];
    *strip_ink = sink;
    pixSetAll(strip);
    pixCopyResolution(strip, gray);
    /* Copies runs of consecutive page columns at once. */
    for (int i = pad; i < n - pad;) {
        int j = i + 1;
        while (j < n - pad && m[j] == m[j - 1] + 1)
            j++;
        pixRasterop(strip, i, pad, j - i, h, PIX_SRC, gray, m[i], y0);
        i = j;
    }
    *map = m;
    m = NULL;
cleanup:
    free(ink);
    free(m);
    return strip;
}

/* Shrinks w's box to the ink (pixels darker than 128) inside it, if any:
 * the boxes of a line read by itself span its gaps and its whole height. */
static void ink_box(PIX *gray, word_t *w)
{
    int wpl = pixGetWpl(gray), bx0 = w->x1, by0 = w->y1, bx1 = w->x0, by1 = w->y0;
    const l_uint32 *data = pixGetData(gray);
    for (int y = w->y0; y < w->y1; y++) {
        const l_uint32 *row = data + (size_t)y * wpl;
        for (int x = w->x0; x < w->x1; x++) {
            if (GET_DATA_BYTE(row, x) < 128) {
                bx0 = x < bx0 ? x : bx0;
                bx1 = x + 1 > bx1 ? x + 1 : bx1;
                by0 = y < by0 ? y : by0;
                by1 = y + 1 > by1 ? y + 1 : by1;
            }
        }
    }
    if (bx0 < bx1 && by0 < by1) {
        w->x0 = bx0;
        w->y0 = by0;
        w->x1 = bx1;
        w->y1 = by1;
    }
}

/* Narrows the strip columns [*x0, *x1) to the runs of ink whose middle
 * lies inside (the boxes of a line read by itself are loose and may
 * start in the gap before a word); to the nearest run when none does. */
static void ink_span(const unsigned char *ink, int n, int *x0, int *x1)
{
    int lo = -1, hi = -1, best = -1, best_hi = -1, best_d = n + 1, mid = (*x0 + *x1) / 2;
    for (int i = 0; i < n;) {
        if (!ink[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < n && ink[j])
            j++;
        int c = (i + j) / 2;
        if (c >= *x0 && c < *x1) {
            lo = lo < 0 ? i : lo;
            hi = j;
        }
        int d = c > mid ? c - mid : mid - c;
        if (d < best_d) {
            best_d = d;
            best = i;
            best_hi = j;
        }
        i = j;
    }
    if (lo >= 0) {
        *x0 = lo;
        *x1 = hi;
    } else if (best >= 0) {
        *x0 = best;
        *x1 = best_hi;
    }
}

/* Below this confidence a word that stands alone after a wide gap (a
 * value after a tab: "Lampiran<tab>: -") is read again with the word
 * before it. Tesseract cuts a line into pieces at gaps wider than twice
 * the line's height and reads each piece alone; a piece of a few marks,
 * such as ": -", has no context, and the fast ind/eng models misread it
 * ("De", "1 -", "ve"; measured on every generated letter that has one).
 * Read as one piece with the gap narrowed, the same marks read right. */
#define REREAD_BELOW_CONF 70.0f
#define REREAD_MIN_CONF 70.0f
#define REREAD_MAX_LINES 16

/* Reads again the isolated doubtful pieces of the page's lines (see
 * above) and puts the better readings into lay and *text. Stops at
 * deadline_at (now_ms() time) or on cancel. Returns the lines changed. */
static int reread_isolated(TessBaseAPI *api, PIX *gray, int dpi, layout_t *lay, char **text, double deadline_at,
                           const atomic_int *cancel)
{
    if (pixGetDepth(gray) != 8 || pixGetColormap(gray))
        return 0;
    int changed = 0, tried = 0;
    size_t cursor = 0; /* where the next line's text is looked for */
    for (int li = 0; li < lay->nlines && tried < REREAD_MAX_LINES; li++) {
        line_t *ln = &lay->lines[li];
        int lh = ln->y1 - ln->y0, k = -1;
        for (int i = ln->first + 1; i < ln->first + ln->count; i++) {
            if (lay->words[i].conf < REREAD_BELOW_CONF && lay->words[i].x0 - lay->words[i - 1].x1 > lh) {
                k = i;
                break;
            }
        }
        if (k < 0 || lh < 8)
            continue;
        if (now_ms() >= deadline_at || (cancel && atomic_load(cancel)))
            break;
        tried++;
        const word_t *left = &lay->words[k - 1];
        int end = ln->first + ln->count; /* the piece: words k..end-1 */
        int x1 = ln->x1 > lay->words[end - 1].x1 ? ln->x1 : lay->words[end - 1].x1;
        int W = pixGetWidth(gray), H = pixGetHeight(gray);
        if (x1 > W)
            x1 = W;
        if (left->x0 < 0 || left->x0 >= x1 || ln->y0 < 0 || ln->y1 > H)
            continue;
        int *map = NULL;
        unsigned char *sink = NULL;
        int pad = lh / 2;
        PIX *strip = strip_closing_gaps(gray, left->x0, x1, ln->y0, ln->y1, pad, lh / 2, &map, &sink);
        if (!strip)
            break;
        TessBaseAPISetImage2(api, strip);
        TessBaseAPISetSourceResolution(api, dpi);
        TessBaseAPISetPageSegMode(api, PSM_SINGLE_LINE);
        ETEXT_DESC *monitor = TessMonitorCreate();
        TessMonitorSetDeadlineMSecs(monitor, (int)(deadline_at - now_ms()) > 1 ? (int)(deadline_at - now_ms()) : 1);
        int rc = TessBaseAPIRecognize(api, monitor);
        TessMonitorDelete(monitor);
        layout_t again = {0};
        if (rc == 0 && now_ms() < deadline_at && layout_collect(api, &again) < 0)
            rc = -1;
        TessBaseAPISetPageSegMode(api, PSM_AUTO);
        TessBaseAPIClear(api);
        /* The better reading: the word before read alike, the piece more
         * surely than before. */
        float old_conf = 0, new_conf = 0;
        for (int i = k; i < end; i++)
            old_conf += lay->words[i].conf / (float)(end - k);
        for (int i = 1; i < again.nwords; i++)
            new_conf += again.words[i].conf / (float)(again.nwords - 1);
        char *old_line = NULL, *new_line = NULL, *found = NULL;
        if (rc == 0 && again.nwords >= 2 && strcmp(again.words[0].text, left->text) == 0 &&
            new_conf >= REREAD_MIN_CONF && new_conf > old_conf && (old_line = line_text(lay, ln)) &&
            (found = strstr(*text + cursor, old_line)) && words_reserve(lay, again.nwords) == 0) {
            /* The new words take the piece's place, their boxes back in
             * the page's coordinates. */
            int add = again.nwords - 1, removed = end - k, n = pixGetWidth(strip);
            for (int i = 0; i < removed; i++)
                free(lay->words[k + i].text);
            memmove(&lay->words[k + add], &lay->words[end], (size_t)(lay->nwords - end) * sizeof *lay->words);
            for (int i = 0; i < add; i++) {
                word_t *w = &again.words[i + 1];
                int sx0 = w->x0 < 0 ? 0 : w->x0 >= n ? n - 1 : w->x0;
                int sx1 = w->x1 <= sx0 ? sx0 + 1 : w->x1 > n ? n : w->x1;
                ink_span(sink, n, &sx0, &sx1);
                word_t nw = {w->text, w->conf, map[sx0], ln->y0, map[sx1 - 1] + 1, ln->y1};
                ink_box(gray, &nw);
                lay->words[k + i] = nw;
                w->text = NULL; /* now lay's */
            }
            lay->nwords += add - removed;
            ln->count += add - removed;
            for (int j = li + 1; j < lay->nlines; j++)
                lay->lines[j].first += add - removed;
            new_line = line_text(lay, ln);
            size_t at = (size_t)(found - *text), old_len = strlen(old_line);
            char *patched = new_line ? malloc(strlen(*text) - old_len + strlen(new_line) + 1) : NULL;
            if (patched) {
                memcpy(patched, *text, at);
                strcpy(patched + at, new_line);
                strcat(patched + at, *text + at + old_len);
                free(*text);
                *text = patched;
                cursor = at + strlen(new_line);
                changed++;
            }
        }
        free(old_line);
        free(new_line);
        layout_free(&again);
        free(map);
        free(sink);
        pixDestroy(&strip);
    }
    return changed;
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
        layout_t lay = {0};
        int lrc = layout_collect(eng->api, &lay);
        if (lrc == 0 && out->text)
            reread_isolated(eng->api, gray, dpi, &lay, &out->text, t0 + deadline_ms, cancel);
        out->words = lrc == 0 ? layout_words_json(&lay, out) : NULL;
        layout_free(&lay);
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

bool engine_result_doubtful(const engine_result_t *res)
{
    if (res->confidence < 70.0f)
        return true;
    return res->long_words >= 4 && res->tall_words * 2 > res->long_words;
}

void engine_result_free(engine_result_t *res)
{
    free(res->text);
    res->text = NULL;
    if (res->words)
        json_decref(res->words);
    res->words = NULL;
}
