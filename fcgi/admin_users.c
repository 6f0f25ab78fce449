/* Users: GET/POST /api/users, GET/PATCH /api/users/{id} (see admin.h). */
#include "admin.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "utf8.h"
#include "validate.h"

#define MAX_NAME 200
#define MAX_QUERY 100
#define PASSWORD_MIN_CHARS 8 /* as `esurat user passwd` */
#define PASSWORD_MAX_BYTES 1024

const char *const admin_users_params[] = {"q", "active", "limit", "cursor", NULL};

static const char *const ROLES[] = {"admin", "front_desk", "official", "archivist", "records", NULL};

/* What an audit row of a change compares. */
static const char *const AUDITED[] = {"username", "name", "nip", "active", "roles", NULL};

/* A page of users by user name, after the cursor (the last name of the
 * page before); $1 matches user name, name or NIP. One row more than
 * asked tells whether there is a next page. */
static const char LIST_SQL[] =
    "WITH page AS ("
    "  SELECT u, row_number() OVER (ORDER BY u.username) AS n FROM users u"
    "  WHERE ($1::text IS NULL OR strpos(lower(u.username), lower($1)) > 0"
    "         OR strpos(lower(u.name), lower($1)) > 0 OR strpos(u.nip, $1) > 0)"
    "    AND ($2::boolean IS NULL OR u.active = $2::boolean)"
    "    AND ($3::text IS NULL OR u.username > $3)"
    "  ORDER BY u.username LIMIT $4::int + 1) "
    "SELECT coalesce(json_agg(user_admin_json(u) ORDER BY n) FILTER (WHERE n <= $4::int), '[]')::text AS items,"
    "  CASE WHEN count(*) > $4::int THEN min((u).username) FILTER (WHERE n = $4::int) END AS next_cursor "
    "FROM page";

static const char GET_SQL[] = "SELECT user_admin_json(u)::text AS user FROM users u WHERE u.id = $1::bigint";

static const char LOCK_SQL[] =
    "SELECT user_admin_json(u)::text AS user FROM users u WHERE u.id = $1::bigint FOR NO KEY UPDATE";

static const char INSERT_SQL[] = "WITH u AS (INSERT INTO users (username, name, nip, password_hash)"
                                 "           VALUES ($1, $2, $3, $4) RETURNING id),"
                                 " r AS (INSERT INTO user_roles (user_id, role)"
                                 "       SELECT u.id, x FROM u, unnest($5::text[]) x)"
                                 "SELECT id FROM u";

/* One statement for every change: the roles replaced when given ($6); the
 * sessions ended when the user is deactivated or gets a new password,
 * except the one asking ($8); a new password also lifts a lockout of the
 * name. The session caches of the workers forget on the NOTIFY of the
 * triggers of sql/009_letter_docs.sql. */
static const char UPDATE_SQL[] =
    "WITH u AS ("
    "  UPDATE users SET name = coalesce($2, name), nip = CASE WHEN $3::boolean THEN $4 ELSE nip END,"
    "    active = coalesce($5::boolean, active), password_hash = coalesce($7, password_hash)"
    "  WHERE id = $1::bigint RETURNING id, username),"
    " gone AS (DELETE FROM user_roles WHERE $6::text[] IS NOT NULL AND user_id = $1::bigint"
    "          AND role <> ALL ($6::text[])),"
    " added AS (INSERT INTO user_roles (user_id, role) SELECT $1::bigint, x FROM unnest($6::text[]) x"
    "           ON CONFLICT DO NOTHING),"
    " ended AS (DELETE FROM sessions WHERE user_id = $1::bigint"
    "           AND ($5::boolean IS FALSE OR $7 IS NOT NULL) AND token_hash <> $8 RETURNING 1),"
    " unlocked AS (DELETE FROM login_throttle WHERE $7 IS NOT NULL AND username = (SELECT username FROM u))"
    "SELECT (SELECT count(*) FROM ended) AS sessions_ended";

/* ------------------------------------------------------------------------
 * Fields */

/* "username": 1..64 of a-z 0-9 . _ -; upper case is taken as lower case,
 * as at sign-in. */
static bool read_username(request_t *req, json_t *body, const char **out)
{
    if (!v_text(req, body, "username", 64, V_REQUIRED, out))
        return false;
    char *name = arena_strdup(req->arena, *out);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(name)) {
        reply_error(req, 400, "invalid_field", "username", "username: letters a-z, digits, '.', '_' and '-' only");
        return false;
    }
    *out = name;
    return true;
}

/* "nip": 18 digits, blanks between them dropped; null or "" clears it. */
static bool read_nip(request_t *req, json_t *body, const char **out)
{
    const char *text;
    if (!v_text(req, body, "nip", 40, 0, &text))
        return false;
    *out = NULL;
    if (!text)
        return true;
    char *nip = arena_alloc(req->arena, strlen(text) + 1);
    size_t n = 0;
    for (const char *p = text; *p; p++)
        if (*p != ' ')
            nip[n++] = *p;
    if (n != 18 || strspn(nip, "0123456789") != 18) {
        reply_error(req, 400, "invalid_field", "nip", "nip: expected 18 digits (Nomor Induk Pegawai)");
        return false;
    }
    *out = nip;
    return true;
}

/* "roles": a list of role names, as a PostgreSQL array literal (the names
 * are checked against ROLES, so they need no quoting). NULL when absent. */
static bool read_roles(request_t *req, json_t *body, const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(body, "roles");
    if (!v || json_is_null(v))
        return true;
    if (!json_is_array(v)) {
        reply_error(req, 400, "invalid_field", "roles", "roles: expected a list of role names");
        return false;
    }
    const char *list = "";
    unsigned seen = 0; /* a role named twice is one role */
    size_t i;
    json_t *r;
    json_array_foreach(v, i, r)
    {
        if (!json_is_string(r) || !enum_valid(json_string_value(r), ROLES)) {
            reply_error(req, 400, "invalid_field", "roles",
                        "roles: expected admin, front_desk, official, archivist or records");
            return false;
        }
        unsigned bit = router_role_bit(json_string_value(r));
        if (seen & bit)
            continue;
        seen |= bit;
        list = arena_printf(req->arena, "%s%s%s", list, *list ? "," : "", json_string_value(r));
    }
    *out = arena_printf(req->arena, "{%s}", list);
    return true;
}

/* "password": 8 characters or more, at most 1024 bytes, hashed (argon2id)
 * into *hash. Not trimmed: blanks count. */
static bool read_password(request_t *req, json_t *body, bool required, char hash[PASSWORD_HASH_MAX], bool *given)
{
    json_t *v = json_object_get(body, "password");
    *given = false;
    if (!v || json_is_null(v)) {
        if (required)
            reply_error(req, 400, "invalid_field", "password", "password: required");
        return !required;
    }
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
        reply_error(req, 400, "invalid_field", "password", "password: expected a string without NUL");
        return false;
    }
    const char *pw = json_string_value(v);
    if (utf8_length(pw) < PASSWORD_MIN_CHARS || json_string_length(v) > PASSWORD_MAX_BYTES) {
        reply_error(req, 400, "invalid_field", "password", "password: %d characters or more, at most %d bytes",
                    PASSWORD_MIN_CHARS, PASSWORD_MAX_BYTES);
        return false;
    }
    if (password_hash(pw, hash) != 0) {
        reply_error(req, 503, "busy", NULL, "could not hash the password, try again");
        return false;
    }
    *given = true;
    return true;
}

/* Replies 409 for a taken user name or NIP after a failed statement;
 * false when the failure was something else. */
static bool taken(request_t *req, const char *username, const char *nip)
{
    if (req_violation(req, "23505", "users_username_key")) {
        db_rollback(req->db);
        reply_error(req, 409, "conflict", "username", "username: %s is taken", username ? username : "");
        return true;
    }
    if (req_violation(req, "23505", "users_nip_key")) {
        db_rollback(req->db);
        reply_error(req, 409, "conflict", "nip", "nip: %s belongs to another user", nip ? nip : "");
        return true;
    }
    return false;
}

/* ------------------------------------------------------------------------
 * Handlers */

void admin_users_list(request_t *req)
{
    const char *q = q_param(req, "q"), *active = q_param(req, "active"), *cursor = q_param(req, "cursor");
    long limit;
    if (q && utf8_length(q) > MAX_QUERY) {
        q_fail(req, "q", "at most 100 characters");
        return;
    }
    if (active && strcmp(active, "true") != 0 && strcmp(active, "false") != 0) {
        q_fail(req, "active", "expected true or false");
        return;
    }
    if (cursor &&
        (strlen(cursor) > 64 || strspn(cursor, "abcdefghijklmnopqrstuvwxyz0123456789._-") != strlen(cursor))) {
        q_fail(req, "cursor", "not a cursor this server gave (use next_cursor as it is)");
        return;
    }
    if (!q_limit(req, &limit))
        return;
    const char *params[] = {q, active, cursor, arena_printf(req->arena, "%ld", limit)};
    PGresult *res = req_sql(req, LIST_SQL, 4, params);
    if (!res)
        return;
    const char *next = db_get(res, 0, "next_cursor");
    json_t *next_json = next ? json_string(next) : json_null();
    char *next_text = json_dumps(next_json, JSON_ENCODE_ANY);
    json_decref(next_json);
    if (!next_text) {
        reply_error(req, 500, "internal", NULL, "internal error");
        return;
    }
    /* The items go out as PostgreSQL wrote them. */
    reply_raw_json(req, 200,
                   arena_printf(req->arena, "{\"items\":%s,\"next_cursor\":%s}", db_get(res, 0, "items"), next_text));
    free(next_text);
}

void admin_users_get(request_t *req)
{
    const char *params[] = {req->args[0]};
    PGresult *res = req_sql(req, GET_SQL, 1, params);
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        reply_error(req, 404, "not_found", NULL, "no such user: %s", req->args[0]);
        return;
    }
    reply_raw_json(req, 200, db_get(res, 0, "user"));
}

void admin_users_create(request_t *req)
{
    static const char *const known[] = {"username", "name", "nip", "roles", "password", NULL};
    json_t *body = req_json_body(req);
    const char *username, *name, *nip, *roles;
    char hash[PASSWORD_HASH_MAX];
    bool given;
    if (!body || !v_known_fields(req, body, known) || !read_username(req, body, &username) ||
        !v_text(req, body, "name", MAX_NAME, V_REQUIRED, &name) || !read_nip(req, body, &nip) ||
        !read_roles(req, body, &roles) || !read_password(req, body, true, hash, &given))
        return;
    if (!req_begin(req))
        return;
    const char *params[] = {username, name, nip, hash, roles ? roles : "{}"};
    PGresult *res = req_sql_try(req, INSERT_SQL, 5, params);
    explicit_bzero(hash, sizeof hash);
    if (!res) {
        if (!taken(req, username, nip))
            admin_failed(req);
        return;
    }
    const char *id = db_get(res, 0, "id");
    const char *get[] = {id};
    PGresult *user = req_sql(req, GET_SQL, 1, get);
    if (!user)
        return;
    json_t *detail = admin_json(req, db_get(user, 0, "user"));
    if (detail)
        admin_finish(req, "user.add", "user", id, detail, 201, db_get(user, 0, "user"));
}

void admin_users_patch(request_t *req)
{
    static const char *const known[] = {"name", "nip", "roles", "active", "password", NULL};
    const char *id = req->args[0];
    json_t *body = admin_patch_body(req, known, "username", "a user keeps the name they sign in with");
    if (!body)
        return;
    const char *name = NULL, *nip, *roles, *active;
    char hash[PASSWORD_HASH_MAX] = "";
    bool new_password;
    if ((v_present(body, "name") && !v_text(req, body, "name", MAX_NAME, V_REQUIRED, &name)) ||
        !read_nip(req, body, &nip) || !read_roles(req, body, &roles) || !v_bool(req, body, "active", &active))
        return;
    /* An administrator does not lock themselves out. */
    bool self = strtoll(id, NULL, 10) == req->user->id;
    if (self && active && strcmp(active, "false") == 0) {
        reply_error(req, 409, "conflict", "active", "active: you cannot deactivate your own account");
        return;
    }
    if (self && roles && !strstr(roles, "admin")) {
        reply_error(req, 409, "conflict", "roles", "roles: you cannot take the admin role from yourself");
        return;
    }
    if (!read_password(req, body, false, hash, &new_password) || !req_begin(req))
        return;
    const char *lock[] = {id};
    PGresult *old = admin_lock(req, LOCK_SQL, 1, lock, "user", id);
    if (!old)
        return;
    const char *params[] = {id,
                            name,
                            v_present(body, "nip") ? "true" : "false",
                            nip,
                            active,
                            roles,
                            new_password ? hash : NULL,
                            req->user->token_hash};
    PGresult *res = req_sql_try(req, UPDATE_SQL, 8, params);
    explicit_bzero(hash, sizeof hash);
    if (!res) {
        if (!taken(req, NULL, nip))
            admin_failed(req);
        return;
    }
    long ended = atol(db_get(res, 0, "sessions_ended"));
    PGresult *now = req_sql(req, GET_SQL, 1, lock);
    if (!now)
        return;
    /* A new password is a change even when nothing shown changed. */
    admin_finish_update(req, db_get(old, 0, "user"), db_get(now, 0, "user"), AUDITED, new_password,
                        json_pack("{s:b, s:I}", "password_reset", new_password, "sessions_ended", (json_int_t)ended),
                        "user.update", "user", id);
}
