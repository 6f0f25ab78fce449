/* One FastCGI request: what arrived, who sent it, and the answer.
 *
 * All memory comes from req->arena and lives until the response is
 * finished. Handlers answer through exactly one reply_* call. */
#ifndef ESURAT_REQUEST_H
#define ESURAT_REQUEST_H

#include <fcgiapp.h>
#include <jansson.h>
#include <stdbool.h>

#include "arena.h"
#include "db.h"
#include "http.h"
#include "router.h"

typedef struct {
    long long id;
    const char *username;
    const char *name;
    unsigned roles; /* ROLE_* bits */
    const char *csrf_token;
    const char *token_hash; /* of the session in use */
} user_t;

/* Limits and timeouts read once at start-up. */
typedef struct {
    long max_json_bytes;
    long session_idle_minutes;
    long session_max_hours;
    long login_max_failures;
    long login_lock_seconds;
    long session_cache_ms; /* see session_cache.h */
    long view_cache_ms;    /* see view_cache.h */
    long max_scan_bytes;   /* largest scan upload (413 beyond) */
    const char *scan_dir;  /* the scan store (ESURAT_SCAN_DIR) */
} app_config_t;

struct request {
    FCGX_Request *fcgx;
    arena_t *arena;
    db_t *db;
    const app_config_t *config;

    /* Copied from the FastCGI environment (libfcgi frees it at finish). */
    const char *method;
    unsigned method_bit;
    const char *path;
    const char *query_string;
    const char *content_type;
    long long content_length;
    const char *remote_addr;
    const char *user_agent;
    const char *cookie_header;
    const char *csrf_header;
    bool https;

    const route_t *route;
    const char *args[ROUTER_MAX_ARGS]; /* the {…} segments of the path */
    size_t nargs;
    http_param_t *params; /* declared query parameters only */
    size_t nparams;

    user_t *user;              /* NULL unless signed in */
    const char *extra_headers; /* "Name: value\r\n" lines added to the reply */
    bool replied;
    int status;         /* of the reply, for the access log */
    bool views_changed; /* an audited change a cached page may show, not yet committed */
};

/* Reads the request from fcgx, routes it through table[0..n), checks the
 * session, role and CSRF token, and runs the handler. Always replies. */
void request_handle(FCGX_Request *fcgx, arena_t *arena, db_t *db, const app_config_t *config, const route_t *table,
                    size_t n);

/* Reads app_config_t from the environment (ESURAT_*). */
void app_config_load(app_config_t *config);

/* Decodes req->query_string and keeps in req->params the parameters
 * req->route declares (the dispatcher does this before the handler runs).
 * false after replying 400 invalid_query. */
bool req_take_params(request_t *req);

/* The value of declared query parameter name, or NULL. */
const char *req_param(const request_t *req, const char *name);

/* Path argument i as an id (the router guarantees digits for {id}). */
long long req_arg_id(const request_t *req, size_t i);

/* The body parsed as a JSON object, owned by the arena. On failure it
 * has replied (400 invalid_json, 413 too_large, 415) and returns NULL. */
json_t *req_json_body(request_t *req);

/* Whether the body's Content-Type is type ("text/csv"), parameters such
 * as "; charset=utf-8" aside. */
bool req_type_is(const request_t *req, const char *type);

/* The whole body, of at most max bytes, NUL-terminated in the arena, its
 * length in *len. On failure it has replied (413 too_large; 400 with
 * error code code when empty or short) and returns NULL. */
const char *req_body(request_t *req, long max, const char *code, size_t *len);

/* Reads up to n bytes of the request body into buf; the number read, 0
 * at its end, -1 on error. For raw uploads; JSON uses req_json_body. */
int req_read(request_t *req, char *buf, int n);

/* Runs SQL through db_query; the result is cleared with the arena. On
 * failure it has replied (503 database_unavailable, else 500) and
 * returns NULL. */
PGresult *req_sql(request_t *req, const char *sql, int n, const char *const *params);

/* Like req_sql, but does not reply on failure, so that the caller can
 * turn a refusal of the database (req_violation) into a 409 first. */
PGresult *req_sql_try(request_t *req, const char *sql, int n, const char *const *params);

/* true when the last statement failed with sqlstate ("23505": unique
 * violation) and the error names name (a constraint, index or rule). */
bool req_violation(request_t *req, const char *sqlstate, const char *name);

/* Transactions that reply (503 / 500) on failure and return false. A
 * transaction left open by a handler is rolled back after the reply. */
bool req_begin(request_t *req);
bool req_commit(request_t *req);

/* Appends to the audit chain inside the open transaction, as the signed-in
 * user (or user_id when given, e.g. at login). detail is a JSON object or
 * NULL, and is consumed. Replies on failure and returns false. */
bool req_audit(request_t *req, const char *user_id, const char *action, const char *object_type, const char *object_id,
               json_t *detail);

/* Runs sql, a statement that appends to the audit chain itself (SQL's
 * audit_append, directly or through a deferred trigger), as the
 * transaction's last, with COMMIT in the same round trip: the chain's head
 * is released before the disk flush (see db_release_before_flush), and,
 * when changes_views, the pages workers remember are forgotten before the
 * caller replies. With read_sql, that is run after the commit, in the same
 * round trip (db_query_commit_read), and its result is returned instead.
 * The result (freed with the arena), or NULL without a reply: the caller
 * answers, asking db_sqlstate() what failed, and rolls back. */
PGresult *req_try_audited_commit(request_t *req, bool changes_views, const char *sql, int n, const char *const *params,
                                 const char *read_sql);

/* req_audit and req_commit in one: the transaction's last step, its audit
 * row and COMMIT in one round trip. */
bool req_audit_commit(request_t *req, const char *user_id, const char *action, const char *object_type,
                      const char *object_id, json_t *detail);

/* Adds a response header line ("Set-Cookie: …"), no CR/LF inside. */
void req_add_header(request_t *req, const char *name, const char *value);

/* Replies. reply_json takes ownership of body (NULL → "null"). */
void reply_json(request_t *req, int status, json_t *body);
void reply_raw_json(request_t *req, int status, const char *json_text);
/* json_text of len bytes, written out before it returns (a cached page). */
void reply_raw_json_n(request_t *req, int status, const char *json_text, size_t len);
void reply_text(request_t *req, int status, const char *content_type, const char *body);
void reply_empty(request_t *req, int status);
/* {"error":{"code","message","field"?}}; field may be NULL. */
void reply_error(request_t *req, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The common errors, worded once. */
void reply_db_error(request_t *req);

#endif
