/* Classification codes: POST /api/classifications, PATCH
 * /api/classifications/{code}, POST /api/classifications/import (see
 * admin.h; the CSV file is described in core/classification.h). */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classification.h"
#include "crypto.h"
#include "validate.h"

/* A region's whole table is about 2 400 rows, some 200 KiB. */
#define CSV_MAX_BYTES (8L * 1024 * 1024)
/* Problems listed in a 422 answer; the count says how many there were. */
#define MAX_PROBLEMS_SHOWN 100

static const char *const FINAL_DISPOSITIONS[] = {"musnah", "permanen", "dinilai_kembali", NULL};
static const char *const AUDITED[] = {"title", "retention_active_years", "retention_inactive_years",
                                      "final_disposition", NULL};

static const char GET_SQL[] =
    "SELECT classification_json(c)::text AS classification FROM classifications c WHERE c.code = $1";
static const char LOCK_SQL[] =
    "SELECT classification_json(c)::text AS classification FROM classifications c WHERE c.code = $1 FOR UPDATE";

static const char INSERT_SQL[] =
    "INSERT INTO classifications (code, title, retention_active_years, retention_inactive_years, final_disposition)"
    " VALUES ($1, $2, $3::int, $4::int, $5) ON CONFLICT (code) DO NOTHING RETURNING code";

/* $3, $5, $7: whether the optional value was given (null clears it). */
static const char UPDATE_SQL[] =
    "UPDATE classifications SET title = coalesce($2, title),"
    "  retention_active_years = CASE WHEN $3::boolean THEN $4::int ELSE retention_active_years END,"
    "  retention_inactive_years = CASE WHEN $5::boolean THEN $6::int ELSE retention_inactive_years END,"
    "  final_disposition = CASE WHEN $7::boolean THEN $8 ELSE final_disposition END"
    " WHERE code = $1";

/* The retention fields of body; all optional. */
static bool read_retention(request_t *req, json_t *body, const char **active, const char **inactive, const char **final)
{
    *final = NULL;
    if (!v_int(req, body, "retention_active_years", 0, CLASS_YEARS_MAX, active) ||
        !v_int(req, body, "retention_inactive_years", 0, CLASS_YEARS_MAX, inactive))
        return false;
    json_t *f = json_object_get(body, "final_disposition");
    return !f || json_is_null(f) || v_enum(req, body, "final_disposition", FINAL_DISPOSITIONS, NULL, final);
}

/* The classification as JSON text, or NULL after replying. */
static const char *classification_text(request_t *req, const char *code)
{
    const char *params[] = {code};
    PGresult *res = req_sql(req, GET_SQL, 1, params);
    return res ? db_get(res, 0, "classification") : NULL;
}

/* Every code's parent is its nearest existing ancestor: a new code may
 * become the parent of others. false after replying. */
static bool reparent(request_t *req)
{
    if (class_reparent_all(req->db, req->arena) >= 0)
        return true;
    admin_failed(req);
    return false;
}

void admin_classifications_create(request_t *req)
{
    static const char *const known[] = {
        "code", "title", "retention_active_years", "retention_inactive_years", "final_disposition", NULL};
    json_t *body = req_json_body(req);
    const char *code, *title, *active, *inactive, *final;
    if (!body || !v_known_fields(req, body, known) ||
        !v_text(req, body, "code", CLASS_CODE_MAX_BYTES, V_REQUIRED, &code))
        return;
    if (!class_code_valid(code)) {
        reply_error(req, 400, "invalid_field", "code",
                    "code: three digits, then dot-separated numbers of 1 to 4 digits (005, 000.1.5)");
        return;
    }
    if (!v_text(req, body, "title", CLASS_TITLE_MAX_CHARS, V_REQUIRED, &title) ||
        !read_retention(req, body, &active, &inactive, &final) || !req_begin(req))
        return;
    const char *params[] = {code, title, active, inactive, final};
    PGresult *res = req_sql(req, INSERT_SQL, 5, params);
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        db_rollback(req->db);
        reply_error(req, 409, "conflict", "code", "code: %s exists already", code);
        return;
    }
    if (!reparent(req))
        return;
    const char *answer = classification_text(req, code);
    json_t *detail = answer ? admin_json(req, answer) : NULL;
    if (detail)
        admin_finish(req, "classification.add", "classification", code, detail, 201, answer);
}

void admin_classifications_patch(request_t *req)
{
    static const char *const known[] = {"title", "retention_active_years", "retention_inactive_years",
                                        "final_disposition", NULL};
    const char *code = req->args[0];
    json_t *body = admin_patch_body(req, known, "code",
                                    "a classification keeps its code (letters refer to it); add a new one instead");
    if (!body)
        return;
    const char *title = NULL, *active, *inactive, *final;
    if ((v_present(body, "title") && !v_text(req, body, "title", CLASS_TITLE_MAX_CHARS, V_REQUIRED, &title)) ||
        !read_retention(req, body, &active, &inactive, &final) || !req_begin(req))
        return;
    const char *lock[] = {code};
    PGresult *old = admin_lock(req, LOCK_SQL, 1, lock, "classification", code);
    if (!old)
        return;
    const char *params[] = {code,
                            title,
                            v_present(body, "retention_active_years") ? "true" : "false",
                            active,
                            v_present(body, "retention_inactive_years") ? "true" : "false",
                            inactive,
                            v_present(body, "final_disposition") ? "true" : "false",
                            final};
    if (!req_sql(req, UPDATE_SQL, 8, params))
        return;
    const char *answer = classification_text(req, code);
    if (answer)
        admin_finish_update(req, db_get(old, 0, "classification"), answer, AUDITED, false, NULL,
                            "classification.update", "classification", code);
}

/* 422 with the first problem as the error and the list of them. */
static void reply_problems(request_t *req, const class_table_t *t)
{
    json_t *list = json_array();
    for (size_t i = 0; i < t->nproblems && i < MAX_PROBLEMS_SHOWN; i++)
        json_array_append_new(
            list, json_pack("{s:I, s:s}", "line", (json_int_t)t->problems[i].line, "message", t->problems[i].message));
    const class_problem_t *first = &t->problems[0];
    char *message = arena_printf(req->arena, "line %ld: %s (%zu problem%s; nothing imported)", first->line,
                                 first->message, t->nproblems, t->nproblems == 1 ? "" : "s");
    reply_json(req, 422,
               json_pack("{s:{s:s, s:s, s:I}, s:o, s:I}", "error", "code", "invalid_csv", "message",
                         message ? message : first->message, "line", (json_int_t)first->line, "problems", list,
                         "problem_count", (json_int_t)t->nproblems));
}

void admin_classifications_import(request_t *req)
{
    if (req->content_length > 0 && !req_type_is(req, "text/csv")) {
        reply_error(req, 415, "unsupported_media_type", NULL, "Content-Type must be text/csv");
        return;
    }
    size_t len;
    const char *data = req_body(req, CSV_MAX_BYTES, "invalid_csv", &len);
    if (!data)
        return;
    class_table_t table;
    if (class_csv_parse(req->arena, data, len, &table) != 0) {
        reply_error(req, 413, "too_large", NULL, "the file is too large to read");
        return;
    }
    if (table.nproblems > 0) {
        reply_problems(req, &table);
        return;
    }
    class_import_counts_t counts;
    if (!req_begin(req))
        return;
    if (class_import(req->db, req->arena, &table, &counts) != 0) {
        admin_failed(req);
        return;
    }
    char sha[65];
    sha256_hex(data, len, sha);
    json_t *detail =
        json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "sha256", sha, "bytes", (json_int_t)len, "rows",
                  (json_int_t)table.nrows, "new", (json_int_t)counts.added, "updated", (json_int_t)counts.updated,
                  "unchanged", (json_int_t)counts.unchanged, "parents_changed", (json_int_t)counts.reparented);
    if (!req_audit_commit(req, NULL, "classification.import", "classification", NULL, detail))
        return;
    reply_json(req, 200,
               json_pack("{s:I, s:I, s:I, s:I, s:I}", "rows", (json_int_t)table.nrows, "created",
                         (json_int_t)counts.added, "updated", (json_int_t)counts.updated, "unchanged",
                         (json_int_t)counts.unchanged, "parents_changed", (json_int_t)counts.reparented));
}
