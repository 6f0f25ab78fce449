/* Helpers shared by the admin_*.c files (see admin.h). */
#include "admin.h"

#include <string.h>

#include "log.h"

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

bool admin_finish(request_t *req, const char *action, const char *object_type, const char *object_id,
                  json_t *detail, int status, const char *answer)
{
    if (!req_audit_commit(req, NULL, action, object_type, object_id, detail))
        return false;
    reply_raw_json(req, status, answer);
    return true;
}
