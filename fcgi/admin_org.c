/* Units with their number templates, and positions (see admin.h); who
 * holds a position is admin_holders.c. */
#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "numbering.h"
#include "validate.h"

#define MAX_UNIT_NAME 200
#define MAX_TITLE 200
#define MAX_TEMPLATE 200 /* the schema's CHECK */
/* The example a template is shown with. */
#define SAMPLE_CLASSIFICATION "005"

const char *const admin_template_preview_params[] = {"template", "unit_id", "unit_code", "classification", NULL};

static const char *const UNIT_AUDITED[] = {"code", "name", "parent_id", "number_template", NULL};
static const char *const POSITION_AUDITED[] = {"title", "unit", "parent_id", "is_entry_point", "active", NULL};

/* ------------------------------------------------------------------------
 * Units */

/* A unit, with what its next outgoing number is made of ($1: the test
 * clock): the template in use, the next sequence of the year, the month. */
#define UNIT_SELECT                                                                                                    \
    "SELECT json_build_object('id', u.id, 'code', u.code, 'name', u.name, 'parent_id', u.parent_id,"                   \
    "    'number_template', coalesce(t.template, '" NUMBER_DEFAULT_TEMPLATE "'),"                                      \
    "    'number_template_default', t.unit_id IS NULL)::text AS unit,"                                                 \
    "  u.code, coalesce(t.template, '" NUMBER_DEFAULT_TEMPLATE "') AS template,"                                       \
    "  coalesce((SELECT c.last_value FROM number_counters c WHERE c.unit_id = u.id AND c.kind = 'out'"                 \
    "      AND c.year = extract(year FROM coalesce($1::timestamptz, now()))::int), 0) + 1 AS seq,"                     \
    "  extract(year FROM coalesce($1::timestamptz, now()))::int AS year,"                                              \
    "  extract(month FROM coalesce($1::timestamptz, now()))::int AS month "                                            \
    "FROM units u LEFT JOIN number_templates t ON t.unit_id = u.id "

static const char UNITS_SQL[] = UNIT_SELECT "ORDER BY u.code";
static const char UNIT_SQL[] = UNIT_SELECT "WHERE u.id = $2::bigint";
static const char UNIT_LOCK_SQL[] = UNIT_SELECT "WHERE u.id = $2::bigint FOR NO KEY UPDATE OF u";

static const char UNIT_INSERT_SQL[] =
    "WITH u AS (INSERT INTO units (code, name, parent_id) VALUES ($1, $2, $3::bigint) RETURNING id),"
    " t AS (INSERT INTO number_templates (unit_id, template) SELECT id, $4::text FROM u WHERE $4::text IS NOT NULL)"
    "SELECT id FROM u";

/* $5: whether parent_id was given ($6, null: the top); $7: whether the
 * template was given ($8, null: back to the default). */
static const char UNIT_UPDATE_SQL[] =
    "WITH u AS (UPDATE units SET code = coalesce($2, code), name = coalesce($3, name),"
    "             parent_id = CASE WHEN $4::boolean THEN $5::bigint ELSE parent_id END"
    "           WHERE id = $1::bigint RETURNING id),"
    " dropped AS (DELETE FROM number_templates WHERE $6::boolean AND $7::text IS NULL AND unit_id = $1::bigint),"
    " kept AS (INSERT INTO number_templates (unit_id, template) SELECT $1::bigint, $7::text WHERE $6::boolean"
    "          AND $7::text IS NOT NULL ON CONFLICT (unit_id) DO UPDATE SET template = EXCLUDED.template)"
    "SELECT count(*) FROM u";

/* The number tmpl gives for these values, or "" with *st set. */
static const char *format_sample(request_t *req, const char *tmpl, const char *unit_code, const char *classification,
                                 long seq, int year, int month, number_status_t *st)
{
    number_values_t v = {.classification = classification,
                         .sequence = seq,
                         .unit_code = unit_code,
                         .year = year,
                         .month = month,
                         .security = "biasa"};
    char *out = arena_alloc(req->arena, NUMBER_MAX_LEN + 1);
    *st = number_format(tmpl, &v, out, NUMBER_MAX_LEN + 1);
    return out;
}

/* The unit of row i of res as JSON, with "number_preview": the next
 * outgoing number of the unit, for a letter classified 005. */
static json_t *unit_json(request_t *req, PGresult *res, int i)
{
    json_t *unit = admin_json(req, db_get(res, i, "unit"));
    if (!unit)
        return NULL;
    number_status_t st;
    const char *number =
        format_sample(req, db_get(res, i, "template"), db_get(res, i, "code"), SAMPLE_CLASSIFICATION,
                      atol(db_get(res, i, "seq")), atoi(db_get(res, i, "year")), atoi(db_get(res, i, "month")), &st);
    /* A template stored before the API checked it may be unusable: say so. */
    json_object_set_new(unit, "number_preview", st == NUMBER_OK ? json_string(number) : json_null());
    if (st != NUMBER_OK)
        json_object_set_new(unit, "number_template_error", json_string(number_status_text(st)));
    return unit;
}

/* "number_template": NULL for the default (absent, null or blank), else
 * checked by formatting a sample number. */
static bool read_template(request_t *req, json_t *body, const char *unit_code, const char **out)
{
    if (!v_text(req, body, "number_template", MAX_TEMPLATE, 0, out))
        return false;
    if (!*out)
        return true;
    number_status_t st;
    format_sample(req, *out, unit_code && *unit_code ? unit_code : "Unit", SAMPLE_CLASSIFICATION, 1, 2015, 1, &st);
    if (st != NUMBER_OK) {
        reply_error(req, 400, "invalid_field", "number_template", "number_template: %s", number_status_text(st));
        return false;
    }
    return true;
}

/* "code": as the schema's CHECK, 1..32 of letters, digits, '.', '_', '-',
 * starting with a letter or digit. */
static bool read_unit_code(request_t *req, json_t *body, unsigned flags, const char **out)
{
    if (!v_text(req, body, "code", 32, flags, out))
        return false;
    if (!*out)
        return true;
    const char *c = *out;
    bool ok = ((c[0] >= 'A' && c[0] <= 'Z') || (c[0] >= 'a' && c[0] <= 'z') || (c[0] >= '0' && c[0] <= '9')) &&
              strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(c);
    if (!ok) {
        reply_error(req, 400, "invalid_field", "code",
                    "code: letters, digits, '.', '_' and '-' (at most 32), starting with a letter or digit");
        return false;
    }
    return true;
}

/* Replies for a refused unit write; false when the failure was not the
 * client's doing. */
static bool unit_refused(request_t *req, const char *code)
{
    if (req_violation(req, "23505", "units_code_key")) {
        db_rollback(req->db);
        reply_error(req, 409, "conflict", "code", "code: unit %s exists already", code ? code : "");
        return true;
    }
    if (req_violation(req, "23503", "units_parent_id_fkey")) {
        db_rollback(req->db);
        reply_error(req, 400, "invalid_field", "parent_id", "parent_id: no such unit");
        return true;
    }
    return admin_refusal(req, "23514", "units_no_cycle", 409, "parent_id");
}

/* The unit id as the answer: JSON text, or NULL after replying. */
static const char *unit_answer(request_t *req, const char *sql, const char *id, bool *found)
{
    const char *params[] = {clock_test_now(), id};
    PGresult *res = req_sql(req, sql, 2, params);
    if (!res)
        return NULL;
    *found = PQntuples(res) == 1;
    if (!*found)
        return "";
    json_t *unit = unit_json(req, res, 0);
    if (!unit)
        return NULL;
    char *text = json_dumps(unit, JSON_COMPACT);
    json_decref(unit);
    const char *copy = text ? arena_strdup(req->arena, text) : NULL;
    free(text);
    if (!copy)
        reply_error(req, 500, "internal", NULL, "internal error");
    return copy;
}

void admin_units_list(request_t *req)
{
    const char *params[] = {clock_test_now()};
    PGresult *res = req_sql(req, UNITS_SQL, 1, params);
    if (!res)
        return;
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *unit = unit_json(req, res, i);
        if (!unit) {
            json_decref(list);
            return;
        }
        json_array_append_new(list, unit);
    }
    reply_json(req, 200, list);
}

void admin_units_create(request_t *req)
{
    static const char *const known[] = {"code", "name", "parent_id", "number_template", NULL};
    json_t *body = req_json_body(req);
    const char *code, *name, *parent, *tmpl;
    if (!body || !v_known_fields(req, body, known) || !read_unit_code(req, body, V_REQUIRED, &code) ||
        !v_text(req, body, "name", MAX_UNIT_NAME, V_REQUIRED, &name) || !v_id(req, body, "parent_id", 0, &parent) ||
        !read_template(req, body, code, &tmpl) || !req_begin(req))
        return;
    const char *params[] = {code, name, parent, tmpl};
    PGresult *res = req_sql_try(req, UNIT_INSERT_SQL, 4, params);
    if (!res) {
        if (!unit_refused(req, code))
            admin_failed(req);
        return;
    }
    const char *id = db_get(res, 0, "id");
    bool found;
    const char *answer = unit_answer(req, UNIT_SQL, id, &found);
    json_t *detail = answer ? admin_json(req, answer) : NULL;
    if (detail)
        admin_finish(req, "unit.add", "unit", id, detail, 201, answer);
}

void admin_units_patch(request_t *req)
{
    static const char *const known[] = {"code", "name", "parent_id", "number_template", NULL};
    const char *id = req->args[0];
    json_t *body = admin_patch_body(req, known, NULL, NULL);
    if (!body)
        return;
    const char *code, *name = NULL, *parent, *tmpl;
    if (!read_unit_code(req, body, v_present(body, "code") ? V_REQUIRED : 0, &code) ||
        (v_present(body, "name") && !v_text(req, body, "name", MAX_UNIT_NAME, V_REQUIRED, &name)) ||
        !v_id(req, body, "parent_id", 0, &parent) || !read_template(req, body, code, &tmpl) || !req_begin(req))
        return;
    bool found;
    const char *before = unit_answer(req, UNIT_LOCK_SQL, id, &found);
    if (!before)
        return;
    if (!found) {
        db_rollback(req->db);
        reply_error(req, 404, "not_found", NULL, "no such unit: %s", id);
        return;
    }
    const char *params[] = {id,     code,
                            name,   v_present(body, "parent_id") ? "true" : "false",
                            parent, v_present(body, "number_template") ? "true" : "false",
                            tmpl};
    if (!req_sql_try(req, UNIT_UPDATE_SQL, 7, params)) {
        if (!unit_refused(req, code))
            admin_failed(req);
        return;
    }
    const char *after = unit_answer(req, UNIT_SQL, id, &found);
    if (after)
        admin_finish_update(req, before, after, UNIT_AUDITED, false, NULL, "unit.update", "unit", id);
}

/* GET /api/numbering/template-preview?template=&unit_id=&unit_code=&classification=
 * The number a template would give: what the unit form shows while the
 * administrator types. */
void admin_template_preview(request_t *req)
{
    const char *tmpl = q_param(req, "template"), *unit_id = q_param(req, "unit_id");
    const char *unit_code = q_param(req, "unit_code"), *classification = q_param(req, "classification");
    if (!tmpl)
        tmpl = NUMBER_DEFAULT_TEMPLATE;
    if (strlen(tmpl) > MAX_TEMPLATE) {
        q_fail(req, "template", "at most 200 characters");
        return;
    }
    if (unit_id && !id_valid(unit_id)) {
        q_fail(req, "unit_id", "expected a positive integer id");
        return;
    }
    if (classification && !classification_code_valid(classification)) {
        q_fail(req, "classification", "expected a code such as 005 or 000.8.3.3");
        return;
    }
    if (unit_code && strlen(unit_code) > 32) {
        q_fail(req, "unit_code", "at most 32 characters");
        return;
    }
    long seq = 1;
    int year, month;
    const char *params[] = {clock_test_now(), unit_id ? unit_id : "0"};
    PGresult *res =
        req_sql(req,
                "SELECT coalesce((SELECT c.last_value FROM number_counters c WHERE c.unit_id = $2::bigint"
                "    AND c.kind = 'out' AND c.year = extract(year FROM coalesce($1::timestamptz, now()))::int),"
                "    0) + 1 AS seq, (SELECT code FROM units WHERE id = $2::bigint) AS code,"
                "  extract(year FROM coalesce($1::timestamptz, now()))::int AS year,"
                "  extract(month FROM coalesce($1::timestamptz, now()))::int AS month",
                2, params);
    if (!res)
        return;
    seq = atol(db_get(res, 0, "seq"));
    year = atoi(db_get(res, 0, "year"));
    month = atoi(db_get(res, 0, "month"));
    if (!unit_code)
        unit_code = db_get(res, 0, "code") ? db_get(res, 0, "code") : "Unit";
    number_status_t st;
    const char *number = format_sample(req, tmpl, unit_code, classification ? classification : SAMPLE_CLASSIFICATION,
                                       seq, year, month, &st);
    if (st != NUMBER_OK) {
        q_fail(req, "template", number_status_text(st));
        return;
    }
    reply_json(req, 200,
               json_pack("{s:s, s:s, s:I, s:i}", "letter_number", number, "template", tmpl, "sequence", (json_int_t)seq,
                         "year", year));
}

/* ------------------------------------------------------------------------
 * Positions */

static const char POSITION_SQL[] = "SELECT position_json(p)::text AS position FROM positions p WHERE p.id = $1::bigint";
static const char POSITION_LOCK_SQL[] =
    "SELECT position_json(p)::text AS position FROM positions p WHERE p.id = $1::bigint FOR NO KEY UPDATE";

static const char POSITION_INSERT_SQL[] =
    "INSERT INTO positions (unit_id, title, parent_id, is_entry_point)"
    " VALUES ($1::bigint, $2, $3::bigint, coalesce($4::boolean, false)) RETURNING id";

/* $4: whether parent_id was given ($5, null: the top). */
static const char POSITION_UPDATE_SQL[] =
    "UPDATE positions SET title = coalesce($2, title), unit_id = coalesce($3::bigint, unit_id),"
    "  parent_id = CASE WHEN $4::boolean THEN $5::bigint ELSE parent_id END,"
    "  is_entry_point = coalesce($6::boolean, is_entry_point), active = coalesce($7::boolean, active)"
    " WHERE id = $1::bigint";

static bool position_refused(request_t *req)
{
    if (req_violation(req, "23503", "positions_unit_id_fkey")) {
        db_rollback(req->db);
        reply_error(req, 400, "invalid_field", "unit_id", "unit_id: no such unit");
        return true;
    }
    if (req_violation(req, "23503", "positions_parent_id_fkey")) {
        db_rollback(req->db);
        reply_error(req, 400, "invalid_field", "parent_id", "parent_id: no such position");
        return true;
    }
    return admin_refusal(req, "23514", "positions_no_cycle", 409, "parent_id");
}

/* The position as JSON text (sql), or NULL after replying; "" when there
 * is no such position. */
static const char *position_text(request_t *req, const char *sql, const char *id)
{
    const char *params[] = {id};
    PGresult *res = req_sql(req, sql, 1, params);
    if (!res)
        return NULL;
    return PQntuples(res) == 1 ? db_get(res, 0, "position") : "";
}

void admin_positions_create(request_t *req)
{
    static const char *const known[] = {"title", "unit_id", "parent_id", "is_entry_point", NULL};
    json_t *body = req_json_body(req);
    const char *title, *unit, *parent, *entry;
    if (!body || !v_known_fields(req, body, known) || !v_text(req, body, "title", MAX_TITLE, V_REQUIRED, &title) ||
        !v_id(req, body, "unit_id", V_REQUIRED, &unit) || !v_id(req, body, "parent_id", 0, &parent) ||
        !v_bool(req, body, "is_entry_point", &entry) || !req_begin(req))
        return;
    const char *params[] = {unit, title, parent, entry};
    PGresult *res = req_sql_try(req, POSITION_INSERT_SQL, 4, params);
    if (!res) {
        if (!position_refused(req))
            admin_failed(req);
        return;
    }
    const char *id = db_get(res, 0, "id");
    const char *answer = position_text(req, POSITION_SQL, id);
    json_t *detail = answer ? admin_json(req, answer) : NULL;
    if (detail)
        admin_finish(req, "position.add", "position", id, detail, 201, answer);
}

void admin_positions_patch(request_t *req)
{
    static const char *const known[] = {"title", "unit_id", "parent_id", "is_entry_point", "active", NULL};
    const char *id = req->args[0];
    json_t *body = admin_patch_body(req, known, NULL, NULL);
    if (!body)
        return;
    const char *title = NULL, *unit, *parent, *entry, *active;
    if ((v_present(body, "title") && !v_text(req, body, "title", MAX_TITLE, V_REQUIRED, &title)) ||
        !v_id(req, body, "unit_id", 0, &unit) || !v_id(req, body, "parent_id", 0, &parent) ||
        !v_bool(req, body, "is_entry_point", &entry) || !v_bool(req, body, "active", &active) || !req_begin(req))
        return;
    const char *before = position_text(req, POSITION_LOCK_SQL, id);
    if (!before)
        return;
    if (!*before) {
        db_rollback(req->db);
        reply_error(req, 404, "not_found", NULL, "no such position: %s", id);
        return;
    }
    const char *params[] = {id, title, unit, v_present(body, "parent_id") ? "true" : "false", parent, entry, active};
    if (!req_sql_try(req, POSITION_UPDATE_SQL, 7, params)) {
        if (!position_refused(req))
            admin_failed(req);
        return;
    }
    const char *after = position_text(req, POSITION_SQL, id);
    if (after)
        admin_finish_update(req, before, after, POSITION_AUDITED, false, NULL, "position.update", "position", id);
}
