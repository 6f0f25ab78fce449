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

/* Who may see a scan ($1 scan id, $2 user id): whoever may see its
 * letter, and for a draft (no letter yet) its uploader only. */
#define SCAN_VISIBLE                                                                                          \
    "FROM scans s LEFT JOIN letters l ON l.id = s.letter_id "                                                 \
    "WHERE s.id = $1 AND CASE WHEN s.letter_id IS NULL THEN s.uploaded_by = $2::bigint "                       \
    "                    ELSE letter_visible(l.id, l.security, l.unit_id, $2) END"

/* A scan the caller may see; $1 scan id, $2 user id. */
static const char SCAN_FILE_SQL[] = "SELECT s.id, s.letter_id, s.sha256, s.mime,"
                                    "  coalesce(l.security IN ('rahasia', 'sangat_rahasia'), false) AS confidential "
                                    SCAN_VISIBLE;

static const char SCAN_TEXT_SQL[] =
    "SELECT s.id, s.letter_id,"
    "  coalesce(l.security IN ('rahasia', 'sangat_rahasia'), false) AS confidential,"
    "  (jsonb_build_object("
    "     'ocr_status', coalesce(j.status, 'queued'),"
    "     'pages', coalesce((SELECT jsonb_agg(jsonb_build_object("
    "                                  'page', p.page, 'text', p.text, 'confidence', p.confidence)"
    "                                ORDER BY p.page)"
    "                         FROM page_texts p WHERE p.scan_id = s.id), '[]'::jsonb))"
    "   || CASE WHEN j.error IS NULL THEN '{}'::jsonb"
    "           ELSE jsonb_strip_nulls(jsonb_build_object('error', j.error, 'error_code', j.error_code)) END"
    "  )::text AS body "
    "FROM scans s LEFT JOIN letters l ON l.id = s.letter_id "
    "LEFT JOIN ocr_jobs j ON j.scan_id = s.id "
    "WHERE s.id = $1 AND CASE WHEN s.letter_id IS NULL THEN s.uploaded_by = $2::bigint "
    "                    ELSE letter_visible(l.id, l.security, l.unit_id, $2) END";

/* The suggestions read from a scan's first page. */
static const char SCAN_SUGGESTIONS_SQL[] =
    "SELECT s.id, s.letter_id,"
    "  coalesce(l.security IN ('rahasia', 'sangat_rahasia'), false) AS confidential,"
    "  jsonb_build_object('ocr_status', coalesce(j.status, 'queued'),"
    "    'suggestions', coalesce(jsonb_strip_nulls(jsonb_build_object("
    "        'letter_number', g.letter_number, 'letter_date', g.letter_date,"
    "        'subject', g.subject, 'sender', g.sender)), '{}'::jsonb))::text AS body "
    "FROM scans s LEFT JOIN letters l ON l.id = s.letter_id "
    "LEFT JOIN ocr_jobs j ON j.scan_id = s.id "
    "LEFT JOIN scan_suggestions g ON g.scan_id = s.id "
    "WHERE s.id = $1 AND CASE WHEN s.letter_id IS NULL THEN s.uploaded_by = $2::bigint "
    "                    ELSE letter_visible(l.id, l.security, l.unit_id, $2) END";

/* A failed job queued again, its attempts counted from zero; the workers
 * are woken at commit. No row when the scan's job has not failed. */
static const char SCAN_RETRY_SQL[] =
    "UPDATE ocr_jobs SET status = 'queued', attempts = 0, run_after = now(), lease_until = NULL,"
    "  error = NULL, error_code = NULL, finished_at = NULL "
    "WHERE scan_id = $1::bigint AND status = 'failed' "
    "RETURNING id, pg_notify('ocr_jobs', scan_id::text)";

/* A draft scan: no letter yet; its job goes first (someone waits for its
 * suggestions). No row when the caller has a draft of these bytes. */
static const char DRAFT_INSERT_SQL[] = "WITH scan AS ("
                                       "  INSERT INTO scans (letter_id, sha256, bytes, mime, original_name, uploaded_by)"
                                       "  SELECT NULL, $1, $2::bigint, $3, $4, $5::bigint"
                                       "  WHERE NOT EXISTS (SELECT 1 FROM scans WHERE letter_id IS NULL"
                                       "                     AND uploaded_by = $5::bigint AND sha256 = $1)"
                                       "  RETURNING id"
                                       "), job AS ("
                                       "  INSERT INTO ocr_jobs (scan_id, priority) SELECT id, 1 FROM scan"
                                       ")"
                                       "SELECT id, pg_notify('ocr_jobs', id::text) FROM scan";

static const char DRAFT_EXISTING_SQL[] =
    "SELECT s.id, s.sha256, s.bytes, s.mime, coalesce(j.status, 'queued') AS ocr_status "
    "FROM scans s LEFT JOIN ocr_jobs j ON j.scan_id = s.id "
    "WHERE s.letter_id IS NULL AND s.uploaded_by = $1::bigint AND s.sha256 = $2";

/* Attaches the caller's draft $2 to letter $1 (and tells the index), unless
 * the letter has these bytes already. */
static const char DRAFT_ATTACH_SQL[] =
    "WITH scan AS ("
    "  UPDATE scans d SET letter_id = $1::bigint"
    "   WHERE d.id = $2::bigint AND d.letter_id IS NULL AND d.uploaded_by = $3::bigint"
    "     AND NOT EXISTS (SELECT 1 FROM scans o WHERE o.letter_id = $1::bigint AND o.sha256 = d.sha256)"
    "  RETURNING d.id, d.sha256, d.bytes, d.mime, d.original_name"
    "), outbox AS ("
    "  INSERT INTO index_outbox (letter_id) SELECT $1::bigint FROM scan"
    ")"
    "SELECT scan.*, coalesce(j.status, 'queued') AS ocr_status FROM scan LEFT JOIN ocr_jobs j ON j.scan_id = scan.id";

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
    case SCANSTORE_NO_SPACE:
        /* Nothing was stored; the client may send the file again later. */
        reply_error(req, 507, "insufficient_storage", NULL, "the scan store is full; try again later");
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

/* The checks before storing an upload's bytes: its type, size and name.
 * false after replying. */
static bool upload_checks(request_t *req, const char **mime, const char **name)
{
    *mime = scan_type(req->content_type);
    if (!*mime) {
        reply_error(req, 415, "unsupported_media_type", NULL,
                    "Content-Type must be application/pdf, image/tiff, image/png or image/jpeg");
        return false;
    }
    if (req->content_length > req->config->max_scan_bytes) {
        reply_error(req, 413, "too_large", NULL, "scan larger than %ld bytes", req->config->max_scan_bytes);
        return false;
    }
    if (req->content_length <= 0) {
        reply_error(req, 400, "empty_body", NULL, "the request body is empty; send the file's bytes");
        return false;
    }
    return file_name(req, name);
}

static bool is_json(const char *content_type)
{
    if (!content_type)
        return false;
    size_t len = strcspn(content_type, ";");
    while (len > 0 && (content_type[len - 1] == ' ' || content_type[len - 1] == '\t'))
        len--;
    return len == 16 && strncasecmp(content_type, "application/json", 16) == 0;
}

static void attach_draft(request_t *req);

void scans_upload(request_t *req)
{
    if (is_json(req->content_type)) {
        attach_draft(req);
        return;
    }
    const char *mime, *name;
    if (!upload_checks(req, &mime, &name))
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

/* POST /api/letters/{id}/scans with {"scan_id"}: the caller's draft scan
 * becomes the letter's. */
static void attach_draft(request_t *req)
{
    json_t *body = req_json_body(req);
    if (!body)
        return;
    json_t *sid = json_object_get(body, "scan_id");
    if (!json_is_integer(sid) || json_integer_value(sid) <= 0) {
        reply_error(req, 400, "invalid_field", "scan_id", "scan_id: expected the id of a draft scan");
        return;
    }
    const char *letter_id = req->args[0];
    const char *user_id = arena_printf(req->arena, "%lld", req->user->id);
    const char *scan_id = arena_printf(req->arena, "%lld", (long long)json_integer_value(sid));
    const char *visible_params[] = {letter_id, user_id};
    PGresult *res = req_sql(req, LETTER_VISIBLE_SQL, 2, visible_params);
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        reply_error(req, 404, "not_found", NULL, "no such letter");
        return;
    }
    if (!req_begin(req))
        return;
    const char *params[] = {letter_id, scan_id, user_id};
    res = req_sql(req, DRAFT_ATTACH_SQL, 3, params);
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        reply_error(req, 409, "conflict", "scan_id",
                    "scan_id: not a draft scan of yours, or the letter has this file already");
        return;
    }
    json_t *detail = json_pack("{s:I, s:s, s:s?}", "letter_id", (json_int_t)strtoll(letter_id, NULL, 10), "sha256",
                               db_get(res, 0, "sha256"), "original_name", db_get(res, 0, "original_name"));
    if (!req_audit(req, NULL, "scan.attach", "scan", scan_id, detail))
        return;
    if (!req_commit(req))
        return;
    reply_scan(req, 200, res);
}

void scans_upload_draft(request_t *req)
{
    const char *mime, *name;
    if (!upload_checks(req, &mime, &name))
        return;
    scanstore_result_t stored;
    if (!store_body(req, mime, &stored))
        return;
    const char *user_id = arena_printf(req->arena, "%lld", req->user->id);
    const char *bytes = arena_printf(req->arena, "%lld", stored.bytes);
    if (!req_begin(req))
        return;
    const char *insert_params[] = {stored.sha256, bytes, mime, name, user_id};
    PGresult *res = req_sql(req, DRAFT_INSERT_SQL, 5, insert_params);
    if (!res)
        return;
    if (PQntuples(res) == 0) {
        const char *existing_params[] = {user_id, stored.sha256};
        res = req_sql(req, DRAFT_EXISTING_SQL, 2, existing_params);
        if (!res || !req_commit(req))
            return;
        if (PQntuples(res) != 1) {
            reply_error(req, 409, "conflict", NULL, "the same file is being uploaded; try again");
            return;
        }
        reply_scan(req, 200, res);
        return;
    }
    const char *scan_id = arena_strdup(req->arena, db_get(res, 0, "id"));
    json_t *detail = json_pack("{s:s, s:I, s:s, s:s?, s:b}", "sha256", stored.sha256, "bytes",
                               (json_int_t)stored.bytes, "mime", mime, "original_name", name, "draft", 1);
    if (!req_audit(req, NULL, "scan.upload", "scan", scan_id, detail))
        return;
    if (!req_commit(req))
        return;
    reply_json(req, 201,
               json_pack("{s:I, s:s, s:I, s:s, s:s}", "id", (json_int_t)strtoll(scan_id, NULL, 10), "sha256",
                         stored.sha256, "bytes", (json_int_t)stored.bytes, "mime", mime, "ocr_status", "queued"));
}

void scans_suggestions(request_t *req)
{
    PGresult *res = visible_scan(req, SCAN_SUGGESTIONS_SQL);
    if (!res)
        return;
    if (!audit_view(req, res, "suggestions"))
        return;
    reply_raw_json(req, 200, db_get(res, 0, "body"));
}

void scans_ocr_retry(request_t *req)
{
    PGresult *res = visible_scan(req, SCAN_FILE_SQL);
    if (!res)
        return;
    const char *scan_id = arena_strdup(req->arena, db_get(res, 0, "id"));
    const char *letter_id = db_get(res, 0, "letter_id");
    json_t *detail = letter_id ? json_pack("{s:I}", "letter_id", (json_int_t)strtoll(letter_id, NULL, 10))
                               : json_object();
    if (!req_begin(req))
        return;
    const char *params[] = {scan_id};
    res = req_sql(req, SCAN_RETRY_SQL, 1, params);
    if (!res) {
        json_decref(detail);
        return;
    }
    if (PQntuples(res) != 1) {
        json_decref(detail);
        reply_error(req, 409, "conflict", NULL, "the scan's OCR has not failed; nothing to retry");
        return;
    }
    if (!req_audit(req, NULL, "scan.ocr_retry", "scan", scan_id, detail))
        return;
    if (!req_commit(req))
        return;
    reply_json(req, 200, json_pack("{s:s}", "ocr_status", "queued"));
}
