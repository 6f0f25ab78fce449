#include "request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit_chain.h"
#include "auth.h"
#include "crypto.h"
#include "config.h"
#include "log.h"
#include "view_cache.h"

void app_config_load(app_config_t *c)
{
    c->max_json_bytes = config_long("ESURAT_MAX_JSON_BYTES", 1048576, 1024, 64L * 1024 * 1024);
    c->session_idle_minutes = config_long("ESURAT_SESSION_IDLE_MINUTES", 30, 1, 24 * 60);
    c->session_max_hours = config_long("ESURAT_SESSION_MAX_HOURS", 12, 1, 24 * 30);
    c->login_max_failures = config_long("ESURAT_LOGIN_MAX_FAILURES", 5, 1, 1000);
    c->login_lock_seconds = config_long("ESURAT_LOGIN_LOCK_SECONDS", 900, 1, 86400);
    c->session_cache_ms = config_long("ESURAT_SESSION_CACHE_MS", 1000, 0, 60000);
    c->view_cache_ms = config_long("ESURAT_VIEW_CACHE_MS", 1000, 0, 60000);
    c->max_scan_bytes = config_long("ESURAT_MAX_SCAN_BYTES", 50L * 1024 * 1024, 1024, 1024L * 1024 * 1024);
    c->scan_dir = config_str("ESURAT_SCAN_DIR", "scans");
}

static const char *status_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    default: return status >= 500 ? "Internal Server Error" : "Error";
    }
}

/* Writes the status line and headers; body follows. */
static void write_head(request_t *req, int status, const char *content_type, size_t length)
{
    FCGX_Stream *out = req->fcgx->out;
    /* libfcgi's own printf knows no %zu: format here. */
    char head[256];
    int n = snprintf(head, sizeof head, "Status: %d %s\r\n", status, status_reason(status));
    if (content_type && n > 0 && (size_t)n < sizeof head)
        snprintf(head + n, sizeof head - (size_t)n, "Content-Type: %s\r\nContent-Length: %zu\r\n", content_type,
                 length);
    FCGX_PutS(head, out);
    FCGX_PutS("Cache-Control: no-store\r\n", out);
    if (req->extra_headers)
        FCGX_PutS(req->extra_headers, out);
    FCGX_PutS("\r\n", out);
    req->replied = true;
    req->status = status;
}

static void reply_body(request_t *req, int status, const char *content_type, const char *body, size_t len)
{
    if (req->replied) {
        log_error("second reply to %s %s ignored", req->method, req->path);
        return;
    }
    write_head(req, status, content_type, len);
    if (req->method_bit != METHOD_HEAD && len)
        FCGX_PutStr(body, (int)len, req->fcgx->out);
}

void reply_raw_json(request_t *req, int status, const char *json_text)
{
    reply_raw_json_n(req, status, json_text, strlen(json_text));
}

void reply_raw_json_n(request_t *req, int status, const char *json_text, size_t len)
{
    reply_body(req, status, "application/json; charset=utf-8", json_text, len);
}

void reply_json(request_t *req, int status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (!text) {
        reply_body(req, 500, "application/json; charset=utf-8",
                   "{\"error\":{\"code\":\"internal\",\"message\":\"internal error\"}}", 56);
        return;
    }
    reply_raw_json(req, status, text);
    free(text);
}

void reply_text(request_t *req, int status, const char *content_type, const char *body)
{
    reply_body(req, status, content_type, body, strlen(body));
}

void reply_empty(request_t *req, int status)
{
    if (req->replied)
        return;
    write_head(req, status, NULL, 0);
}

void reply_error(request_t *req, int status, const char *code, const char *field, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    /* Messages quote what arrived (a path nginx decoded from %FF, jansson's
     * view of a bad body), and the buffer may cut a character in two: not
     * UTF-8, the message would be no JSON string, and the answer a 500. */
    utf8_scrub(message);
    json_t *err = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (err && field)
        json_object_set_new(err, "field", json_string(field));
    reply_json(req, status, json_pack("{s:o}", "error", err));
}

void reply_db_error(request_t *req)
{
    if (db_unavailable(req->db))
        reply_error(req, 503, "database_unavailable", NULL, "database unavailable, try again shortly");
    else
        reply_error(req, 500, "internal", NULL, "internal error");
}

void req_add_header(request_t *req, const char *name, const char *value)
{
    if (strpbrk(value, "\r\n"))
        return;
    req->extra_headers =
        arena_printf(req->arena, "%s%s: %s\r\n", req->extra_headers ? req->extra_headers : "", name, value);
}

const char *req_param(const request_t *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

long long req_arg_id(const request_t *req, size_t i)
{
    return i < req->nargs ? strtoll(req->args[i], NULL, 10) : 0;
}

int req_read(request_t *req, char *buf, int n)
{
    return FCGX_GetStr(buf, n, req->fcgx->in);
}

static void pqclear_cleanup(void *res)
{
    PQclear(res);
}

PGresult *req_sql_try(request_t *req, const char *sql, int n, const char *const *params)
{
    PGresult *res = db_query(req->db, sql, n, params);
    if (res)
        arena_on_reset(req->arena, pqclear_cleanup, res);
    return res;
}

PGresult *req_sql(request_t *req, const char *sql, int n, const char *const *params)
{
    PGresult *res = req_sql_try(req, sql, n, params);
    if (!res)
        reply_db_error(req);
    return res;
}

bool req_violation(request_t *req, const char *sqlstate, const char *name)
{
    return strcmp(db_sqlstate(req->db), sqlstate) == 0 && strstr(db_error(req->db), name) != NULL;
}

bool req_begin(request_t *req)
{
    if (db_begin(req->db) == 0)
        return true;
    reply_db_error(req);
    return false;
}

/* After a commit: a change that pages may show is forgotten by every
 * worker before the caller hears of it (fcgi/view_cache.h). */
static void committed(request_t *req)
{
    if (req->views_changed)
        view_cache_changed();
    req->views_changed = false;
}

bool req_commit(request_t *req)
{
    if (db_commit(req->db) == 0) {
        committed(req);
        return true;
    }
    reply_db_error(req);
    return false;
}

PGresult *req_try_audited_commit(request_t *req, bool changes_views, const char *sql, int n, const char *const *params,
                                 const char *read_sql)
{
    db_release_before_flush(req->db);
    PGresult *res = read_sql ? db_query_commit_read(req->db, sql, n, params, read_sql)
                             : db_query_commit(req->db, sql, n, params);
    if (!res)
        return NULL;
    arena_on_reset(req->arena, pqclear_cleanup, res);
    if (changes_views)
        req->views_changed = true;
    committed(req);
    return res;
}

/* Whether an audited action changes what a cached page shows: not a
 * sign-in or a reading, nor a new letter nobody was sent yet. */
static bool changes_views(const char *action, json_t *detail)
{
    static const char *const unseen[] = {"auth.login", "auth.logout",   "letter.view",
                                         "scan.view",  "export.create", NULL};
    for (int i = 0; unseen[i]; i++)
        if (strcmp(action, unseen[i]) == 0)
            return false;
    if (strcmp(action, "letter.register") == 0)
        return json_object_get(detail, "to_position_id") != NULL;
    return true;
}

static bool audit(request_t *req, const char *user_id, const char *action, const char *object_type,
                  const char *object_id, json_t *detail, bool commit)
{
    if (changes_views(action, detail))
        req->views_changed = true;
    char *detail_text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    if (!user_id && req->user)
        user_id = arena_printf(req->arena, "%lld", req->user->id);
    long id = commit ? audit_chain_append_commit(req->db, user_id, action, object_type, object_id, detail_text)
                     : audit_chain_append(req->db, user_id, action, object_type, object_id, detail_text);
    free(detail_text);
    if (id > 0) {
        if (commit)
            committed(req);
        return true;
    }
    reply_db_error(req);
    return false;
}

bool req_audit(request_t *req, const char *user_id, const char *action, const char *object_type, const char *object_id,
               json_t *detail)
{
    return audit(req, user_id, action, object_type, object_id, detail, false);
}

bool req_audit_commit(request_t *req, const char *user_id, const char *action, const char *object_type,
                      const char *object_id, json_t *detail)
{
    return audit(req, user_id, action, object_type, object_id, detail, true);
}

static void json_cleanup(void *json)
{
    json_decref(json);
}

bool req_type_is(const request_t *req, const char *type)
{
    size_t n = strlen(type);
    const char *have = req->content_type;
    if (!have || strncasecmp(have, type, n) != 0)
        return false;
    return have[n] == '\0' || have[n] == ';' || have[n] == ' ';
}

/* Reads and discards what is left of the body, so that a kept-alive
 * connection stays in step. */
static void drain_body(request_t *req)
{
    char buf[8192];
    while (FCGX_GetStr(buf, sizeof buf, req->fcgx->in) > 0) {
    }
}

const char *req_body(request_t *req, long max, const char *code, size_t *len)
{
    if (req->content_length > max) {
        reply_error(req, 413, "too_large", NULL, "request body larger than %ld bytes", max);
        return NULL;
    }
    if (req->content_length <= 0) {
        reply_error(req, 400, code, NULL, "request body is empty");
        return NULL;
    }
    *len = (size_t)req->content_length;
    char *buf = arena_alloc(req->arena, *len + 1);
    if (!buf) {
        reply_error(req, 413, "too_large", NULL, "request body too large");
        return NULL;
    }
    int got = FCGX_GetStr(buf, (int)*len, req->fcgx->in);
    if (got < 0 || (size_t)got != *len) {
        reply_error(req, 400, code, NULL, "request body shorter than its Content-Length");
        return NULL;
    }
    return buf;
}

json_t *req_json_body(request_t *req)
{
    if (req->content_length > req->config->max_json_bytes) {
        reply_error(req, 413, "too_large", NULL, "request body larger than %ld bytes", req->config->max_json_bytes);
        return NULL;
    }
    if (req->content_length <= 0) {
        reply_error(req, 400, "invalid_json", NULL, "request body is empty; a JSON object is expected");
        return NULL;
    }
    if (!req_type_is(req, "application/json")) {
        reply_error(req, 415, "unsupported_media_type", NULL, "Content-Type must be application/json");
        return NULL;
    }
    size_t len;
    const char *buf = req_body(req, req->config->max_json_bytes, "invalid_json", &len);
    if (!buf)
        return NULL;
    if (!utf8_valid(buf, len)) {
        reply_error(req, 400, "invalid_json", NULL, "request body is not valid UTF-8");
        return NULL;
    }
    json_error_t error;
    json_t *body = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &error);
    if (!body) {
        /* jansson names its own flag for \u0000; say what is wrong instead. */
        const char *why = strstr(error.text, "JSON_ALLOW_NUL") ? "\\u0000 is not allowed in strings" : error.text;
        reply_error(req, 400, "invalid_json", NULL, "invalid JSON at line %d, column %d: %s", error.line, error.column,
                    why);
        return NULL;
    }
    arena_on_reset(req->arena, json_cleanup, body);
    if (!json_is_object(body)) {
        reply_error(req, 400, "invalid_json", NULL, "a JSON object is expected");
        return NULL;
    }
    return body;
}

static const char *env_copy(request_t *req, const char *name)
{
    const char *v = FCGX_GetParam(name, req->fcgx->envp);
    return v ? arena_strdup(req->arena, v) : NULL;
}

/* A declared parameter given twice is an error (which of the two would
 * the caller mean?). */
bool req_take_params(request_t *req)
{
    /* A route without parameters ignores the query string altogether. */
    if (!req->route->params)
        return true;
    http_param_t *all;
    size_t count;
    http_status_t st = query_parse(req->arena, req->query_string, &all, &count);
    if (st != HTTP_OK) {
        reply_error(req, 400, "invalid_query", NULL, "query string: %s", http_status_text(st));
        return false;
    }
    req->params = all;
    req->nparams = 0;
    const char *const *declared = req->route->params;
    for (size_t i = 0; i < count; i++) {
        bool known = false;
        for (size_t d = 0; declared && declared[d]; d++)
            known = known || strcmp(declared[d], all[i].name) == 0;
        if (!known)
            continue;
        if (req_param(req, all[i].name)) {
            reply_error(req, 400, "invalid_query", all[i].name, "%s: given more than once", all[i].name);
            return false;
        }
        all[req->nparams++] = all[i];
    }
    return true;
}

static void dispatch(request_t *req, const route_t *table, size_t n)
{
    req->method_bit = router_method_bit(req->method);
    if (!req->path || req->path[0] != '/' || strlen(req->path) > 2048) {
        reply_error(req, 404, "not_found", NULL, "no such resource");
        return;
    }
    char *path_copy = arena_alloc(req->arena, strlen(req->path) + 1);
    unsigned allowed;
    route_result_t r =
        router_match(table, n, req->method_bit, req->path, path_copy, &req->route, req->args, &req->nargs, &allowed);
    if (r == ROUTE_NOT_FOUND) {
        reply_error(req, 404, "not_found", NULL, "no such resource: %s", req->path);
        return;
    }
    if (r == ROUTE_BAD_METHOD) {
        char allow[64];
        router_allow_header(allowed, allow, sizeof allow);
        req_add_header(req, "Allow", allow);
        reply_error(req, 405, "method_not_allowed", NULL, "%s is not allowed here; allowed: %s",
                    req->method_bit ? req->method : "this method", allow);
        return;
    }
    if (!req_take_params(req))
        return;
    if (!db_ready(req->db)) {
        reply_error(req, 503, "database_unavailable", NULL, "database unavailable, try again shortly");
        return;
    }
    if (req->route->roles != ROLE_PUBLIC) {
        if (auth_load_session(req) < 0) {
            reply_db_error(req);
            return;
        }
        if (!req->user) {
            reply_error(req, 401, "unauthenticated", NULL, "not signed in or the session has expired");
            return;
        }
        unsigned need = req->route->roles & ~(unsigned)ROLE_SIGNED_IN;
        if (need && !(req->user->roles & need)) {
            reply_error(req, 403, "forbidden", NULL, "your role does not allow this");
            return;
        }
        bool changes_state = !(req->method_bit & (METHOD_GET | METHOD_HEAD));
        if (changes_state && (!req->csrf_header || !secure_streq(req->csrf_header, req->user->csrf_token))) {
            reply_error(req, 403, "csrf", NULL, "missing or wrong X-CSRF-Token header");
            return;
        }
    }
    req->route->handler(req);
    if (!req->replied) {
        log_error("handler for %s %s did not reply", req->method, req->path);
        reply_error(req, 500, "internal", NULL, "internal error");
    }
}

void request_handle(FCGX_Request *fcgx, arena_t *arena, db_t *db, const app_config_t *config, const route_t *table,
                    size_t n)
{
    request_t req = {.fcgx = fcgx, .arena = arena, .db = db, .config = config};
    req.method = env_copy(&req, "REQUEST_METHOD");
    /* DOCUMENT_URI is nginx's decoded, normalised path without the query. */
    req.path = env_copy(&req, "DOCUMENT_URI");
    if (!req.path)
        req.path = env_copy(&req, "SCRIPT_NAME");
    req.query_string = env_copy(&req, "QUERY_STRING");
    req.content_type = env_copy(&req, "CONTENT_TYPE");
    const char *length = FCGX_GetParam("CONTENT_LENGTH", fcgx->envp);
    req.content_length = length && *length ? strtoll(length, NULL, 10) : 0;
    req.remote_addr = env_copy(&req, "REMOTE_ADDR");
    req.user_agent = env_copy(&req, "HTTP_USER_AGENT");
    req.cookie_header = env_copy(&req, "HTTP_COOKIE");
    req.csrf_header = env_copy(&req, "HTTP_X_CSRF_TOKEN");
    const char *https = FCGX_GetParam("HTTPS", fcgx->envp);
    req.https = https && strcmp(https, "on") == 0;
    if (!req.method)
        req.method = "GET";

    dispatch(&req, table, n);
    drain_body(&req);
    /* A transaction a handler left open must not leak into the next request. */
    if (db_in_transaction(db))
        db_rollback(db);
}
