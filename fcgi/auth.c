#include "auth.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "log.h"
#include "session_cache.h"

#define TOKEN_BYTES 32 /* 256 random bits */

/* The signed-in user as API.md shows it: roles and the positions held
 * today, definitively or as acting official (Plt/Plh). */
static const char USER_JSON_SQL[] =
    "SELECT json_build_object("
    "  'id', u.id, 'username', u.username, 'name', u.name, 'nip', u.nip,"
    "  'roles', coalesce((SELECT json_agg(r.role ORDER BY r.role) FROM user_roles r"
    "                     WHERE r.user_id = u.id), '[]'::json),"
    "  'positions', coalesce((SELECT json_agg(json_build_object("
    "        'id', p.id, 'title', p.title, 'acting', nullif(ph.kind, 'definitif'),"
    "        'unit', json_build_object('id', un.id, 'code', un.code, 'name', un.name)) ORDER BY p.id)"
    "      FROM position_holders ph JOIN positions p ON p.id = ph.position_id"
    "      JOIN units un ON un.id = p.unit_id"
    "      WHERE ph.user_id = u.id AND ph.valid_from <= current_date"
    "        AND (ph.valid_to IS NULL OR ph.valid_to >= current_date)), '[]'::json)"
    ")::text AS user FROM users u WHERE u.id = $1";

/* A live session of an active user; marks it used at most every 30 s so
 * that reads stay reads. */
static const char SESSION_SQL[] =
    "WITH s AS ("
    "  SELECT s.id, s.user_id, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id"
    "  WHERE s.token_hash = $1 AND u.active AND s.expires_at > now()"
    "    AND s.last_seen_at > now() - make_interval(mins => $2::int)"
    "), touch AS ("
    "  UPDATE sessions SET last_seen_at = now()"
    "  WHERE id = (SELECT id FROM s) AND last_seen_at < now() - interval '30 seconds'"
    ")"
    "SELECT u.id, u.username, u.name, s.csrf_token,"
    "  (SELECT string_agg(r.role, ',') FROM user_roles r WHERE r.user_id = u.id) AS roles "
    "FROM s JOIN users u ON u.id = s.user_id";

static bool is_hex_token(const char *s)
{
    if (!s || strlen(s) != 2 * TOKEN_BYTES)
        return false;
    for (const char *p = s; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return false;
    return true;
}

/* sha256 of the cookie's token, or NULL when there is no well-formed one. */
static const char *session_hash_from_cookie(request_t *req)
{
    const char *token = cookie_get(req->arena, req->cookie_header, SESSION_COOKIE);
    if (!is_hex_token(token))
        return NULL;
    char *hash = arena_alloc(req->arena, 65);
    if (hash)
        sha256_hex(token, strlen(token), hash);
    return hash;
}

static unsigned roles_from_list(const char *list)
{
    unsigned bits = 0;
    char name[32];
    while (list && *list) {
        size_t len = strcspn(list, ",");
        if (len < sizeof name) {
            memcpy(name, list, len);
            name[len] = '\0';
            bits |= router_role_bit(name);
        }
        list += len;
        if (*list == ',')
            list++;
    }
    return bits;
}

int auth_load_session(request_t *req)
{
    req->user = NULL;
    const char *hash = session_hash_from_cookie(req);
    if (!hash)
        return 0;
    req->user = session_cache_get(req->arena, hash);
    if (req->user)
        return 0;
    unsigned long generation = session_cache_generation();
    char idle[24];
    snprintf(idle, sizeof idle, "%ld", req->config->session_idle_minutes);
    const char *params[] = {hash, idle};
    PGresult *res = db_query(req->db, SESSION_SQL, 2, params);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        user_t *u = arena_alloc(req->arena, sizeof *u);
        if (u) {
            u->id = strtoll(db_get(res, 0, "id"), NULL, 10);
            u->username = arena_strdup(req->arena, db_get(res, 0, "username"));
            u->name = arena_strdup(req->arena, db_get(res, 0, "name"));
            u->csrf_token = arena_strdup(req->arena, db_get(res, 0, "csrf_token"));
            u->roles = roles_from_list(db_get(res, 0, "roles"));
            u->token_hash = hash;
            req->user = u;
            if (u->username && u->name && u->csrf_token)
                session_cache_put(hash, u, generation);
        }
    }
    PQclear(res);
    return 0;
}

/* The user object of API.md, or NULL after replying. */
static json_t *user_json(request_t *req, long long id)
{
    char idbuf[24];
    snprintf(idbuf, sizeof idbuf, "%lld", id);
    const char *params[] = {idbuf};
    PGresult *res = req_sql(req, USER_JSON_SQL, 1, params);
    if (!res)
        return NULL;
    if (PQntuples(res) != 1) {
        reply_error(req, 401, "unauthenticated", NULL, "not signed in or the session has expired");
        return NULL;
    }
    json_t *user = json_loads(db_get(res, 0, "user"), 0, NULL);
    if (!user)
        reply_error(req, 500, "internal", NULL, "internal error");
    return user;
}

static void set_session_cookie(request_t *req, const char *token, bool clear)
{
    req_add_header(req, "Set-Cookie",
                   arena_printf(req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", SESSION_COOKIE,
                                clear ? "" : token, clear ? "; Max-Age=0" : "", req->https ? "; Secure" : ""));
}

/* Seconds the name is still locked for, 0 when not locked, -1 on error. */
static long login_locked_seconds(request_t *req, const char *username)
{
    const char *params[] = {username};
    PGresult *res = db_query(req->db,
                             "SELECT ceil(extract(epoch FROM locked_until - now()))::bigint AS wait "
                             "FROM login_throttle WHERE username = $1 AND locked_until > now()",
                             1, params);
    if (!res)
        return -1;
    long wait = PQntuples(res) ? strtol(db_get(res, 0, "wait"), NULL, 10) : 0;
    PQclear(res);
    return wait < 0 ? 1 : wait;
}

/* Counts a failure for the name (a window of login_lock_seconds) and
 * locks it when the count reaches login_max_failures. */
static int login_count_failure(request_t *req, const char *username)
{
    char max[24], window[24];
    snprintf(max, sizeof max, "%ld", req->config->login_max_failures);
    snprintf(window, sizeof window, "%ld", req->config->login_lock_seconds);
    const char *count_params[] = {username, window};
    if (db_exec(req->db,
                "INSERT INTO login_throttle AS t (username, failures, first_failure_at) "
                "VALUES ($1, 1, now()) "
                "ON CONFLICT (username) DO UPDATE SET "
                "  failures = CASE WHEN t.first_failure_at < now() - make_interval(secs => $2::int)"
                "             OR t.locked_until IS NOT NULL THEN 1 ELSE t.failures + 1 END,"
                "  first_failure_at = CASE WHEN t.first_failure_at < now() - make_interval(secs => $2::int)"
                "             OR t.locked_until IS NOT NULL THEN now() ELSE t.first_failure_at END,"
                "  locked_until = NULL",
                2, count_params) < 0)
        return -1;
    const char *lock_params[] = {username, max, window};
    return db_exec(req->db,
                   "UPDATE login_throttle SET locked_until = now() + make_interval(secs => $3::int) "
                   "WHERE username = $1 AND failures >= $2::int",
                   3, lock_params) < 0
               ? -1
               : 0;
}

static void reply_locked(request_t *req, long wait)
{
    req_add_header(req, "Retry-After", arena_printf(req->arena, "%ld", wait));
    reply_error(req, 429, "too_many_requests", NULL,
                "too many failed sign-ins for this user name; try again in %ld seconds", wait);
}

/* A string member of body of 1..max bytes, or NULL after replying. */
static const char *body_string(request_t *req, json_t *body, const char *field, size_t max)
{
    json_t *v = json_object_get(body, field);
    if (!json_is_string(v) || json_string_length(v) == 0) {
        reply_error(req, 400, "invalid_field", field, "%s: required, a non-empty string", field);
        return NULL;
    }
    if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v)) {
        reply_error(req, 400, "invalid_field", field, "%s: at most %zu bytes, no NUL", field, max);
        return NULL;
    }
    return json_string_value(v);
}

void auth_login(request_t *req)
{
    json_t *body = req_json_body(req);
    if (!body)
        return;
    const char *typed = body_string(req, body, "username", 256);
    if (!typed)
        return;
    const char *password = body_string(req, body, "password", 1024);
    if (!password)
        return;
    char *username = arena_strdup(req->arena, typed);
    for (char *p = username; *p; p++)
        *p = (char)tolower((unsigned char)*p);

    long wait = login_locked_seconds(req, username);
    if (wait < 0) {
        reply_db_error(req);
        return;
    }
    if (wait > 0) {
        reply_locked(req, wait);
        return;
    }

    const char *params[] = {username};
    PGresult *res = req_sql(req, "SELECT id, password_hash FROM users WHERE username = $1 AND active", 1, params);
    if (!res)
        return;
    bool ok;
    if (PQntuples(res) == 1) {
        ok = password_verify(db_get(res, 0, "password_hash"), password);
    } else {
        password_verify_dummy(password);
        ok = false;
    }
    if (!ok) {
        if (login_count_failure(req, username) < 0) {
            reply_db_error(req);
            return;
        }
        log_info("failed sign-in for \"%s\" from %s", username, req->remote_addr ? req->remote_addr : "?");
        {
            reply_error(req, 401, "invalid_credentials", NULL, "wrong user name or password");
            return;
        }
    }
    const char *user_id = db_get(res, 0, "id");

    char token[2 * TOKEN_BYTES + 1], csrf[2 * TOKEN_BYTES + 1], hash[65], hours[24];
    token_random_hex(token, TOKEN_BYTES);
    token_random_hex(csrf, TOKEN_BYTES);
    sha256_hex(token, strlen(token), hash);
    snprintf(hours, sizeof hours, "%ld", req->config->session_max_hours);
    /* A session token presented at login is dropped: no fixation. */
    const char *old = session_hash_from_cookie(req);
    const char *insert[] = {hash, user_id, csrf, hours, req->remote_addr, req->user_agent, old, username};
    if (!req_begin(req) ||
        !req_sql(req,
                 "WITH gone AS (DELETE FROM sessions WHERE token_hash = $7),"
                 " unthrottle AS (DELETE FROM login_throttle WHERE username = $8)"
                 "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at, ip, user_agent) "
                 "VALUES ($1, $2, $3, now() + make_interval(hours => $4::int), $5, left($6, 256))",
                 8, insert) ||
        !req_audit_commit(req, user_id, "auth.login", "user", user_id, json_pack("{s:s?}", "ip", req->remote_addr)))
        return;
    if (old)
        session_cache_forget_all();
    json_t *user = user_json(req, strtoll(user_id, NULL, 10));
    if (!user)
        return;
    set_session_cookie(req, token, false);
    reply_json(req, 200, json_pack("{s:o, s:s}", "user", user, "csrf_token", csrf));
}

void auth_logout(request_t *req)
{
    const char *params[] = {req->user->token_hash};
    const char *user_id = arena_printf(req->arena, "%lld", req->user->id);
    if (!req_begin(req) || !req_sql(req, "DELETE FROM sessions WHERE token_hash = $1", 1, params) ||
        !req_audit_commit(req, NULL, "auth.logout", "user", user_id, NULL))
        return;
    session_cache_forget_all();
    set_session_cookie(req, NULL, true);
    reply_empty(req, 204);
}

void auth_me(request_t *req)
{
    json_t *user = user_json(req, req->user->id);
    if (!user)
        return;
    json_object_set_new(user, "csrf_token", json_string(req->user->csrf_token));
    reply_json(req, 200, user);
}
