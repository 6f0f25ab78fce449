#include "scans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "scanstore.h"

#define FILE_NAME_MAX 255 /* bytes of X-File-Name, after decoding */

/* The types a scan may have, with the extension of its download name. */
static const struct {
    const char *mime;
    const char *ext;
} SCAN_TYPES[] = {
    {"application/pdf", "pdf"},
    {"image/tiff", "tif"},
    {"image/png", "png"},
    {"image/jpeg", "jpg"},
};

#define NTYPES (sizeof SCAN_TYPES / sizeof SCAN_TYPES[0])

/* The letter, if the caller may see it. */
static const char LETTER_VISIBLE_SQL[] = "SELECT l.id FROM letters l "
                                         "WHERE l.id = $1 AND letter_visible(l.id, l.security, l.unit_id, $2)";

/* The scan row, its OCR job, its turn in the index outbox and the wake-up
 * of the OCR workers (delivered at commit), in one statement. No row when
 * the letter has these bytes already. */
static const char SCAN_INSERT_SQL[] = "WITH scan AS ("
                                      "  INSERT INTO scans (letter_id, sha256, bytes, mime, original_name, uploaded_by)"
                                      "  VALUES ($1::bigint, $2, $3::bigint, $4, $5, $6::bigint)"
                                      "  ON CONFLICT (letter_id, sha256) DO NOTHING"
                                      "  RETURNING id"
                                      "), job AS ("
                                      "  INSERT INTO ocr_jobs (scan_id) SELECT id FROM scan"
                                      "), outbox AS ("
                                      "  INSERT INTO index_outbox (letter_id) SELECT $1::bigint FROM scan"
                                      ")"
                                      "SELECT id, pg_notify('ocr_jobs', id::text) FROM scan";

static const char SCAN_EXISTING_SQL[] =
    "SELECT s.id, s.sha256, s.bytes, s.mime, coalesce(j.status, 'queued') AS ocr_status "
    "FROM scans s LEFT JOIN ocr_jobs j ON j.scan_id = s.id "
    "WHERE s.letter_id = $1 AND s.sha256 = $2";

/* A scan the caller may see; $1 scan id, $2 user id. */
static const char SCAN_FILE_SQL[] = "SELECT s.id, s.letter_id, s.sha256, s.mime,"
                                    "  l.security IN ('rahasia', 'sangat_rahasia') AS confidential "
                                    "FROM scans s JOIN letters l ON l.id = s.letter_id "
                                    "WHERE s.id = $1 AND letter_visible(l.id, l.security, l.unit_id, $2)";

static const char SCAN_TEXT_SQL[] =
    "SELECT s.id, s.letter_id,"
    "  l.security IN ('rahasia', 'sangat_rahasia') AS confidential,"
    "  (jsonb_build_object("
    "     'ocr_status', coalesce(j.status, 'queued'),"
    "     'pages', coalesce((SELECT jsonb_agg(jsonb_build_object("
    "                                  'page', p.page, 'text', p.text, 'confidence', p.confidence)"
    "                                ORDER BY p.page)"
    "                         FROM page_texts p WHERE p.scan_id = s.id), '[]'::jsonb))"
    "   || CASE WHEN j.error IS NULL THEN '{}'::jsonb"
    "           ELSE jsonb_build_object('error', j.error) END)::text AS body "
    "FROM scans s JOIN letters l ON l.id = s.letter_id "
    "LEFT JOIN ocr_jobs j ON j.scan_id = s.id "
    "WHERE s.id = $1 AND letter_visible(l.id, l.security, l.unit_id, $2)";

/* The scan type named by a Content-Type header (parameters ignored), as
 * its canonical string, or NULL when it is not one we store. */
static const char *scan_type(const char *content_type)
{
    if (!content_type)
        return NULL;
    size_t len = strcspn(content_type, ";");
    while (len > 0 && (content_type[len - 1] == ' ' || content_type[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < NTYPES; i++)
        if (strlen(SCAN_TYPES[i].mime) == len && strncasecmp(content_type, SCAN_TYPES[i].mime, len) == 0)
            return SCAN_TYPES[i].mime;
    return NULL;
}

static const char *scan_ext(const char *mime)
{
    for (size_t i = 0; i < NTYPES; i++)
        if (strcmp(mime, SCAN_TYPES[i].mime) == 0)
            return SCAN_TYPES[i].ext;
    return "bin";
}

/* The optional X-File-Name header: percent-encoded UTF-8 (the portal sends
 * encodeURIComponent(file.name)), at most FILE_NAME_MAX bytes decoded, no
 * control characters. Kept as text only, never used as a path. Sets *name
 * (NULL when absent); false after replying 400. */
static bool file_name(request_t *req, const char **name)
{
    *name = NULL;
    const char *raw = FCGX_GetParam("HTTP_X_FILE_NAME", req->fcgx->envp);
    if (!raw || !*raw)
        return true;
    char *decoded = NULL;
    bool ok = strlen(raw) <= 3 * FILE_NAME_MAX &&
              url_decode(req->arena, raw, strlen(raw), false, &decoded) == HTTP_OK && strlen(decoded) <= FILE_NAME_MAX;
    for (const unsigned char *p = (const unsigned char *)decoded; ok && *p; p++)
        ok = *p >= 0x20 && *p != 0x7f;
    if (!ok) {
        reply_error(req, 400, "invalid_field", "X-File-Name",
                    "X-File-Name: percent-encoded UTF-8, at most %d bytes, no control characters", FILE_NAME_MAX);
        return false;
    }
    *name = decoded;
    return true;
}

static int body_read(void *ctx, char *buf, int n)
{
    return req_read(ctx, buf, n);
}

/* Streams the body into the scan store as type mime; false after replying. */
static bool store_body(request_t *req, const char *mime, scanstore_result_t *stored)
{
    scanstore_status_t st =
        scanstore_put(req->config->scan_dir, body_read, req, req->config->max_scan_bytes, mime, stored);
    switch (st) {
    case SCANSTORE_OK: return true;
    case SCANSTORE_EMPTY:
        reply_error(req, 400, "empty_body", NULL, "the request body is empty; send the file's bytes");
        return false;
    case SCANSTORE_TOO_LARGE:
        reply_error(req, 413, "too_large", NULL, "scan larger than %ld bytes", req->config->max_scan_bytes);
        return false;
    case SCANSTORE_WRONG_TYPE:
        reply_error(req, 415, "unsupported_media_type", NULL, "the file is %s, not %s as declared", stored->mime, mime);
        return false;
    case SCANSTORE_READ_ERROR:
        reply_error(req, 400, "invalid_body", NULL, "the request body could not be read");
        return false;
    case SCANSTORE_IO_ERROR: break;
    }
    reply_error(req, 500, "internal", NULL, "internal error");
    return false;
}

/* {"id","sha256","bytes","mime","ocr_status"} from row 0 of res. */
static void reply_scan(request_t *req, int status, PGresult *res)
{
    reply_json(req, status,
               json_pack("{s:I, s:s, s:I, s:s, s:s}", "id", (json_int_t)strtoll(db_get(res, 0, "id"), NULL, 10),
                         "sha256", db_get(res, 0, "sha256"), "bytes",
                         (json_int_t)strtoll(db_get(res, 0, "bytes"), NULL, 10), "mime", db_get(res, 0, "mime"),
                         "ocr_status", db_get(res, 0, "ocr_status")));
}

void scans_upload(request_t *req)
{
    const char *mime = scan_type(req->content_type);
    if (!mime) {
        reply_error(req, 415, "unsupported_media_type", NULL,
                    "Content-Type must be application/pdf, image/tiff, image/png or image/jpeg");
        return;
    }
    if (req->content_length > req->config->max_scan_bytes) {
        reply_error(req, 413, "too_large", NULL, "scan larger than %ld bytes", req->config->max_scan_bytes);
        return;
    }
    if (req->content_length <= 0) {
        reply_error(req, 400, "empty_body", NULL, "the request body is empty; send the file's bytes");
        return;
    }
    const char *name;
    if (!file_name(req, &name))
        return;
    const char *letter_id = req->args[0];
    const char *user_id = arena_printf(req->arena, "%lld", req->user->id);
    const char *visible_params[] = {letter_id, user_id};
    PGresult *res = req_sql(req, LETTER_VISIBLE_SQL, 2, visible_params);
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        reply_error(req, 404, "not_found", NULL, "no such letter");
        return;
    }

    /* The file is durable before the transaction that names it commits. */
    scanstore_result_t stored;
    if (!store_body(req, mime, &stored))
        return;
    const char *bytes = arena_printf(req->arena, "%lld", stored.bytes);

    if (!req_begin(req))
        return;
    const char *insert_params[] = {letter_id, stored.sha256, bytes, mime, name, user_id};
    res = req_sql(req, SCAN_INSERT_SQL, 6, insert_params);
    if (!res)
        return;
    if (PQntuples(res) == 0) {
        /* The same bytes again: the scan the letter has already. */
        const char *existing_params[] = {letter_id, stored.sha256};
        res = req_sql(req, SCAN_EXISTING_SQL, 2, existing_params);
        if (!res)
            return;
        if (PQntuples(res) != 1) {
            log_error("scan %s of letter %s: inserted nor found", stored.sha256, letter_id);
            reply_error(req, 500, "internal", NULL, "internal error");
            return;
        }
        if (!req_commit(req))
            return;
        reply_scan(req, 200, res);
        return;
    }
    const char *scan_id = arena_strdup(req->arena, db_get(res, 0, "id"));
    json_t *detail =
        json_pack("{s:I, s:s, s:I, s:s, s:s?}", "letter_id", (json_int_t)strtoll(letter_id, NULL, 10), "sha256",
                  stored.sha256, "bytes", (json_int_t)stored.bytes, "mime", mime, "original_name", name);
    if (!req_audit_commit(req, NULL, "scan.upload", "scan", scan_id, detail))
        return;
    reply_json(req, 201,
               json_pack("{s:I, s:s, s:I, s:s, s:s}", "id", (json_int_t)strtoll(scan_id, NULL, 10), "sha256",
                         stored.sha256, "bytes", (json_int_t)stored.bytes, "mime", mime, "ocr_status", "queued"));
}

/* Runs sql ($1 the scan id of the path, $2 the caller) for a scan the
 * caller may see; NULL after replying 404 (or a database error). */
static PGresult *visible_scan(request_t *req, const char *sql)
{
    const char *params[] = {req->args[0], arena_printf(req->arena, "%lld", req->user->id)};
    PGresult *res = req_sql(req, sql, 2, params);
    if (res && PQntuples(res) != 1) {
        reply_error(req, 404, "not_found", NULL, "no such scan");
        return NULL;
    }
    return res;
}

/* Appends 'scan.view' when the scan's letter is confidential; false after
 * replying. */
static bool audit_view(request_t *req, PGresult *res, const char *part)
{
    if (strcmp(db_get(res, 0, "confidential"), "t") != 0)
        return true;
    json_t *detail =
        json_pack("{s:I, s:s}", "letter_id", (json_int_t)strtoll(db_get(res, 0, "letter_id"), NULL, 10), "part", part);
    return req_begin(req) && req_audit_commit(req, NULL, "scan.view", "scan", db_get(res, 0, "id"), detail);
}

void scans_file(request_t *req)
{
    PGresult *res = visible_scan(req, SCAN_FILE_SQL);
    if (!res)
        return;
    char accel[SCANSTORE_PATH_MAX];
    if (!scanstore_accel_path(db_get(res, 0, "sha256"), accel)) {
        log_error("scan %s: bad sha256 in the database", db_get(res, 0, "id"));
        reply_error(req, 500, "internal", NULL, "internal error");
        return;
    }
    if (!audit_view(req, res, "file"))
        return;
    const char *mime = db_get(res, 0, "mime");
    req_add_header(req, "X-Accel-Redirect", accel);
    req_add_header(req, "Content-Type", mime);
    req_add_header(req, "Content-Disposition",
                   arena_printf(req->arena, "inline; filename=\"scan-%s.%s\"", db_get(res, 0, "id"), scan_ext(mime)));
    reply_empty(req, 200);
}

void scans_text(request_t *req)
{
    PGresult *res = visible_scan(req, SCAN_TEXT_SQL);
    if (!res)
        return;
    if (!audit_view(req, res, "text"))
        return;
    reply_raw_json(req, 200, db_get(res, 0, "body"));
}
