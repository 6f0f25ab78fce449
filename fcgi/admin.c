/* Helpers shared by the admin_*.c files (see admin.h). */
#include "admin.h"

#include <string.h>

#include "log.h"
#include "validate.h"

json_t *admin_diff(json_t *old, json_t *now, const char *const *keys)
{
    json_t *changes = json_object();
    for (size_t i = 0; changes && keys[i]; i++) {
        json_t *a = json_object_get(old, keys[i]), *b = json_object_get(now, keys[i]);
        if (!a)
            a = json_null();
        if (!b)
            b = json_null();
        if (!json_equal(a, b))
            json_object_set_new(changes, keys[i], json_pack("{s:O, s:O}", "old", a, "new", b));
    }
    return changes;
}

json_t *admin_patch_body(request_t *req, const char *const *known, const char *fixed, const char *why)
{
    json_t *body = req_json_body(req);
    if (!body)
        return NULL;
    if (fixed && json_object_get(body, fixed)) {
        reply_error(req, 400, "invalid_field", fixed, "%s: %s", fixed, why);
        return NULL;
    }
    if (!v_known_fields(req, body, known))
        return NULL;
    if (json_object_size(body) == 0) {
        const char *list = "";
        for (size_t i = 0; known[i]; i++)
            list = arena_printf(req->arena, "%s%s%s", list, i == 0 ? "" : known[i + 1] ? ", " : " or ", known[i]);
        reply_error(req, 400, "invalid_json", NULL, "nothing to change: name %s", list);
        return NULL;
    }
    return body;
}

json_t *admin_json(request_t *req, const char *text)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (!v) {
        log_error("%s %s: the database gave no usable JSON", req->method, req->path);
        reply_error(req, 500, "internal", NULL, "internal error");
    }
    return v;
}

bool admin_refusal(request_t *req, const char *sqlstate, const char *rule, int status, const char *field)
{
    if (!req_violation(req, sqlstate, rule))
        return false;
    /* The rule's own message (sql/011_admin.sql) says what and why. */
    const char *message = strstr(db_error(req->db), rule) + strlen(rule);
    if (message[0] == ':')
        message++;
    message += strspn(message, " ");
    db_rollback(req->db);
    reply_error(req, status, "conflict", field, "%s%s%s", field ? field : "", field ? ": " : "", message);
    return true;
}

void admin_failed(request_t *req)
{
    db_rollback(req->db);
    reply_db_error(req);
}

PGresult *admin_lock(request_t *req, const char *sql, int n, const char *const *params, const char *what,
                     const char *id)
{
    PGresult *res = req_sql(req, sql, n, params);
    if (res && PQntuples(res) != 1) {
        db_rollback(req->db);
        reply_error(req, 404, "not_found", NULL, "no such %s: %s", what, id);
        return NULL;
    }
    return res;
}

void admin_finish_update(request_t *req, const char *before, const char *after, const char *const *keys, bool force,
                         json_t *extra, const char *action, const char *object_type, const char *object_id)
{
    json_t *old = admin_json(req, before);
    json_t *now = old ? admin_json(req, after) : NULL;
    json_t *changes = now ? admin_diff(old, now, keys) : NULL;
    json_decref(old);
    json_decref(now);
    if (!changes) {
        json_decref(extra);
        return;
    }
    if (json_object_size(changes) == 0 && !force) {
        json_decref(changes);
        json_decref(extra);
        db_rollback(req->db);
        reply_raw_json(req, 200, before);
        return;
    }
    json_t *detail = extra ? extra : json_object();
    json_object_set_new(detail, "changes", changes);
    admin_finish(req, action, object_type, object_id, detail, 200, after);
}

bool admin_finish(request_t *req, const char *action, const char *object_type, const char *object_id, json_t *detail,
                  int status, const char *answer)
{
    if (!req_audit_commit(req, NULL, action, object_type, object_id, detail))
        return false;
    reply_raw_json(req, status, answer);
    return true;
}
