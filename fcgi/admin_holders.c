/* Appointments: who holds a position, definitively or as acting official
 * (Plt for a vacancy, Plh for an absence), for a period (see admin.h). */
#include "admin.h"

#include <stdlib.h>
#include <string.h>

#include "validate.h"

static const char *const KINDS[] = {"definitif", "plt", "plh", NULL};
static const char *const APPOINTMENT_AUDITED[] = {"from", "until", NULL};

static const char HOLDERS_SQL[] =
    "SELECT (SELECT coalesce(json_agg(appointment_json(h) ORDER BY h.valid_from DESC, h.id DESC), '[]')"
    "          FROM position_holders h WHERE h.position_id = p.id)::text AS list "
    "FROM positions p WHERE p.id = $1::bigint";

/* Whether the position and the user may take an appointment. */
static const char APPOINT_CHECK_SQL[] =
    "SELECT p.active AS position_active, (SELECT u.active FROM users u WHERE u.id = $2::bigint) AS user_active"
    " FROM positions p WHERE p.id = $1::bigint";

static const char APPOINT_SQL[] = "INSERT INTO position_holders AS h (position_id, user_id, kind, valid_from, valid_to)"
                                  " VALUES ($1::bigint, $2::bigint, $3, coalesce($4::date, current_date), $5::date)"
                                  " RETURNING h.id, appointment_json(h)::text AS appointment";

/* The appointment, locked; whether it has not begun before today (ending
 * it then removes it) and whether it ended before today already. */
static const char APPOINTMENT_LOCK_SQL[] =
    "SELECT appointment_json(h)::text AS appointment, h.valid_from >= current_date AS not_begun,"
    "  (h.valid_to IS NOT NULL AND h.valid_to < current_date) AS ended"
    " FROM position_holders h WHERE h.id = $2::bigint AND h.position_id = $1::bigint FOR UPDATE";

static const char APPOINTMENT_UPDATE_SQL[] =
    "UPDATE position_holders h SET valid_from = coalesce($3::date, valid_from),"
    "  valid_to = CASE WHEN $4::boolean THEN $5::date ELSE valid_to END"
    " WHERE h.id = $2::bigint AND h.position_id = $1::bigint RETURNING appointment_json(h)::text AS appointment";

static const char APPOINTMENT_END_SQL[] =
    "UPDATE position_holders SET valid_to = current_date - 1 WHERE id = $1::bigint";
static const char APPOINTMENT_CANCEL_SQL[] = "DELETE FROM position_holders WHERE id = $1::bigint";

static bool appointment_refused(request_t *req)
{
    if (req_violation(req, "23514", "position_holders_check")) {
        db_rollback(req->db);
        reply_error(req, 400, "invalid_field", "until", "until: before from");
        return true;
    }
    if (req_violation(req, "23503", "position_holders_user_id_fkey")) {
        db_rollback(req->db);
        reply_error(req, 400, "invalid_field", "user_id", "user_id: no such user");
        return true;
    }
    /* (sql/001's unique index on open-ended definitive holders is never
     * reached: 011's trigger runs first and names the appointment.) */
    return admin_refusal(req, "23P01", "position_holders_no_overlap", 409, NULL);
}

void admin_holders_list(request_t *req)
{
    const char *params[] = {req->args[0]};
    PGresult *res = req_sql(req, HOLDERS_SQL, 1, params);
    if (!res)
        return;
    if (PQntuples(res) != 1)
        reply_error(req, 404, "not_found", NULL, "no such position: %s", req->args[0]);
    else
        reply_raw_json(req, 200, db_get(res, 0, "list"));
}

void admin_holders_create(request_t *req)
{
    static const char *const known[] = {"user_id", "kind", "from", "until", NULL};
    const char *position = req->args[0];
    json_t *body = req_json_body(req);
    const char *user, *kind, *from, *until;
    if (!body || !v_known_fields(req, body, known) || !v_id(req, body, "user_id", V_REQUIRED, &user) ||
        !v_enum(req, body, "kind", KINDS, NULL, &kind) || !v_date(req, body, "from", 0, &from) ||
        !v_date(req, body, "until", 0, &until) || !req_begin(req))
        return;
    const char *check[] = {position, user};
    PGresult *ok = req_sql(req, APPOINT_CHECK_SQL, 2, check);
    if (!ok)
        return;
    if (PQntuples(ok) != 1) {
        db_rollback(req->db);
        reply_error(req, 404, "not_found", NULL, "no such position: %s", position);
        return;
    }
    const char *user_active = db_get(ok, 0, "user_active");
    if (!user_active) {
        db_rollback(req->db);
        reply_error(req, 400, "invalid_field", "user_id", "user_id: no such user");
        return;
    }
    if (strcmp(user_active, "t") != 0 || strcmp(db_get(ok, 0, "position_active"), "t") != 0) {
        db_rollback(req->db);
        bool user_off = strcmp(user_active, "t") != 0;
        reply_error(req, 409, "conflict", user_off ? "user_id" : NULL, "%s is inactive: activate it first",
                    user_off ? "user_id: the user" : "the position");
        return;
    }
    const char *params[] = {position, user, kind, from, until};
    PGresult *res = req_sql_try(req, APPOINT_SQL, 5, params);
    if (!res) {
        if (!appointment_refused(req))
            admin_failed(req);
        return;
    }
    const char *answer = db_get(res, 0, "appointment");
    json_t *detail = admin_json(req, answer);
    if (detail)
        admin_finish(req, "position.appoint", "position", position, detail, 201, answer);
}

void admin_holders_patch(request_t *req)
{
    static const char *const known[] = {"from", "until", NULL};
    json_t *body = admin_patch_body(req, known, NULL, NULL);
    const char *from, *until;
    if (!body)
        return;
    if ((v_present(body, "from") && !v_date(req, body, "from", V_REQUIRED, &from)) ||
        !v_date(req, body, "until", 0, &until) || !req_begin(req))
        return;
    if (!v_present(body, "from"))
        from = NULL;
    const char *lock[] = {req->args[0], req->args[1]};
    PGresult *old = admin_lock(req, APPOINTMENT_LOCK_SQL, 2, lock, "appointment", req->args[1]);
    if (!old)
        return;
    const char *params[] = {req->args[0], req->args[1], from, v_present(body, "until") ? "true" : "false", until};
    PGresult *res = req_sql_try(req, APPOINTMENT_UPDATE_SQL, 5, params);
    if (!res) {
        if (!appointment_refused(req))
            admin_failed(req);
        return;
    }
    admin_finish_update(req, db_get(old, 0, "appointment"), db_get(res, 0, "appointment"), APPOINTMENT_AUDITED, false,
                        json_pack("{s:I}", "appointment_id", (json_int_t)atoll(req->args[1])),
                        "position.appointment_update", "position", req->args[0]);
}

/* DELETE ends an appointment today: it held until yesterday; one that had
 * not begun before today is removed (the audit row keeps it). */
void admin_holders_end(request_t *req)
{
    if (!req_begin(req))
        return;
    const char *lock[] = {req->args[0], req->args[1]};
    PGresult *old = admin_lock(req, APPOINTMENT_LOCK_SQL, 2, lock, "appointment", req->args[1]);
    if (!old)
        return;
    if (strcmp(db_get(old, 0, "ended"), "t") == 0) {
        db_rollback(req->db);
        reply_empty(req, 204);
        return;
    }
    bool cancel = strcmp(db_get(old, 0, "not_begun"), "t") == 0;
    const char *params[] = {req->args[1]};
    if (!req_sql(req, cancel ? APPOINTMENT_CANCEL_SQL : APPOINTMENT_END_SQL, 1, params))
        return;
    json_t *detail = admin_json(req, db_get(old, 0, "appointment"));
    if (!detail)
        return;
    if (req_audit_commit(req, NULL, cancel ? "position.appointment_cancel" : "position.appointment_end", "position",
                         req->args[0], json_pack("{s:o}", "appointment", detail)))
        reply_empty(req, 204);
}
