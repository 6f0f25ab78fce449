#include "instructions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

#define MAX_LABEL 200
#define MAX_SORT_ORDER 1000000

const char *const instructions_list_params[] = {"all", NULL};

#define INSTRUCTION_JSON "json_build_object('code', code, 'label', label, 'sort_order', sort_order, 'active', active)"

static const char LIST_SQL[] = "SELECT coalesce(json_agg(" INSTRUCTION_JSON " ORDER BY sort_order, code), '[]')::text"
                               " AS list FROM instructions WHERE active OR $1::boolean";

/* A new instruction goes last unless sort_order says otherwise. */
static const char INSERT_SQL[] =
    "INSERT INTO instructions (code, label, sort_order)"
    " VALUES ($1, $2, coalesce($3::int, (SELECT coalesce(max(sort_order), 0) + 10 FROM instructions)))"
    " ON CONFLICT (code) DO NOTHING"
    " RETURNING " INSTRUCTION_JSON "::text AS instruction";

static const char LOCK_SQL[] = "SELECT label, sort_order, active, " INSTRUCTION_JSON "::text AS instruction"
                               " FROM instructions WHERE code = $1 FOR UPDATE";

static const char UPDATE_SQL[] = "UPDATE instructions SET label = coalesce($2, label),"
                                 " sort_order = coalesce($3::int, sort_order), active = coalesce($4::boolean, active)"
                                 " WHERE code = $1 RETURNING " INSTRUCTION_JSON "::text AS instruction";

void instructions_list(request_t *req)
{
    const char *all = req_param(req, "all");
    bool with_retired = false;
    if (all && *all) {
        if (strcmp(all, "true") == 0 || strcmp(all, "1") == 0)
            with_retired = true;
        else if (strcmp(all, "false") != 0 && strcmp(all, "0") != 0) {
            reply_error(req, 400, "invalid_query", "all", "all: expected true or false");
            return;
        }
    }
    const char *params[] = {with_retired ? "true" : "false"};
    PGresult *res = req_sql(req, LIST_SQL, 1, params);
    if (res)
        reply_raw_json(req, 200, db_get(res, 0, "list"));
}

static bool code_valid(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 64 && s[0] >= 'a' && s[0] <= 'z' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* "sort_order": an integer 0..MAX_SORT_ORDER, as text, or NULL. */
static bool read_sort_order(request_t *req, json_t *body, const char **out)
{
    json_t *v = json_object_get(body, "sort_order");
    *out = NULL;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MAX_SORT_ORDER) {
        reply_error(req, 400, "invalid_field", "sort_order", "sort_order: expected an integer from 0 to %d",
                    MAX_SORT_ORDER);
        return false;
    }
    *out = arena_printf(req->arena, "%lld", (long long)json_integer_value(v));
    return true;
}

void instructions_create(request_t *req)
{
    static const char *const known[] = {"code", "label", "sort_order", NULL};
    json_t *body = req_json_body(req);
    if (!body)
        return;
    const char *code, *label, *sort_order;
    if (!v_known_fields(req, body, known) || !v_text(req, body, "code", 64, V_REQUIRED, &code))
        return;
    if (!code_valid(code)) {
        reply_error(req, 400, "invalid_field", "code",
                    "code: a lower-case letter, then lower-case letters, digits or _ (at most 64)");
        return;
    }
    if (!v_text(req, body, "label", MAX_LABEL, V_REQUIRED, &label) || !read_sort_order(req, body, &sort_order))
        return;
    if (!req_begin(req))
        return;
    const char *params[] = {code, label, sort_order};
    PGresult *res = req_sql(req, INSERT_SQL, 3, params);
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        db_rollback(req->db);
        reply_error(req, 409, "conflict", "code", "code: the instruction %s exists already", code);
        return;
    }
    const char *instruction = db_get(res, 0, "instruction");
    json_t *detail = json_loads(instruction, 0, NULL);
    if (!req_audit(req, NULL, "instruction.add", "instruction", code, detail) || !req_commit(req))
        return;
    reply_raw_json(req, 201, instruction);
}

void instructions_patch(request_t *req)
{
    static const char *const known[] = {"label", "sort_order", "active", NULL};
    const char *code = req->args[0];
    json_t *body = req_json_body(req);
    if (!body)
        return;
    if (json_object_get(body, "code")) {
        reply_error(req, 400, "invalid_field", "code",
                    "code: an instruction keeps its code (dispositions refer to it); add a new one instead");
        return;
    }
    if (!v_known_fields(req, body, known))
        return;
    if (json_object_size(body) == 0) {
        reply_error(req, 400, "invalid_json", NULL, "nothing to change: name label, sort_order or active");
        return;
    }
    const char *label = NULL, *sort_order = NULL, *active = NULL;
    if (json_object_get(body, "label") && !v_text(req, body, "label", MAX_LABEL, V_REQUIRED, &label))
        return;
    if (!read_sort_order(req, body, &sort_order))
        return;
    json_t *a = json_object_get(body, "active");
    if (a && !json_is_null(a)) {
        if (!json_is_boolean(a)) {
            reply_error(req, 400, "invalid_field", "active", "active: expected true or false");
            return;
        }
        active = json_is_true(a) ? "true" : "false";
    }
    if (!req_begin(req))
        return;
    const char *lock[] = {code};
    PGresult *old = req_sql(req, LOCK_SQL, 1, lock);
    if (!old)
        return;
    if (PQntuples(old) != 1) {
        db_rollback(req->db);
        reply_error(req, 404, "not_found", NULL, "no such instruction: %s", code);
        return;
    }
    /* What really changes, with the old and the new value for the audit. */
    json_t *changes = json_object();
    const char *old_label = db_get(old, 0, "label"), *old_order = db_get(old, 0, "sort_order");
    bool old_active = strcmp(db_get(old, 0, "active"), "t") == 0;
    if (label && strcmp(label, old_label) != 0)
        json_object_set_new(changes, "label", json_pack("{s:s, s:s}", "old", old_label, "new", label));
    if (sort_order && strcmp(sort_order, old_order) != 0)
        json_object_set_new(
            changes, "sort_order",
            json_pack("{s:I, s:I}", "old", (json_int_t)atoll(old_order), "new", (json_int_t)atoll(sort_order)));
    if (active && (strcmp(active, "true") == 0) != old_active)
        json_object_set_new(changes, "active", json_pack("{s:b, s:b}", "old", old_active, "new", !old_active));
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        db_rollback(req->db);
        reply_raw_json(req, 200, db_get(old, 0, "instruction"));
        return;
    }
    const char *params[] = {code, label, sort_order, active};
    PGresult *res = req_sql(req, UPDATE_SQL, 4, params);
    if (!res) {
        json_decref(changes);
        return;
    }
    json_t *detail = json_pack("{s:o}", "changes", changes);
    if (!req_audit(req, NULL, "instruction.update", "instruction", code, detail) || !req_commit(req))
        return;
    reply_raw_json(req, 200, db_get(res, 0, "instruction"));
}
