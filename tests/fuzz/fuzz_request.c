/* libFuzzer target: the input checks of every route, as esurat-fcgi runs
 * them, without a database. The path goes through the real route table
 * (fcgi/routes.c), the query string through the dispatcher's declared
 * parameters (req_take_params), and the handler runs with the body on its
 * input stream: req_json_body, then the handler's own checks of every JSON
 * field and query parameter (validate.c and the handlers). A request the
 * checks accept reaches the database, which is unreachable here: 503.
 *
 * Whatever arrives, the answer is one reply: 2xx/4xx, or 503 for a request
 * that passed every check; a 4xx in the API's error shape
 * {"error":{"code","message"}} (with "field" for invalid_field), valid
 * JSON and valid UTF-8; never a 500, a crash or a leak.
 *
 * Input, lines separated by '\n':
 *   METHOD PATH
 *   QUERY STRING (as nginx passes it, undecoded)
 *   CONTENT-TYPE (empty: none)
 *   X-FILE-NAME (empty: none)
 *   BODY (the rest, any bytes)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <fcgiapp.h>
#include <jansson.h>

#include "crypto.h"
#include "log.h"
#include "request.h"
#include "routes.h"
#include "scans.h"

#define MAX_JSON_BYTES 4096 /* small, so that 413 is within reach */

/* The reply, collected from the output stream. */
static unsigned char out_buf[4096];
static char *reply;
static size_t reply_len, reply_cap;

static void out_flush(FCGX_Stream *s, int do_close)
{
    (void)do_close;
    size_t n = (size_t)(s->wrNext - out_buf);
    if (reply_len + n + 1 > reply_cap) {
        reply_cap = (reply_len + n + 1) * 2;
        reply = realloc(reply, reply_cap);
        if (!reply)
            abort();
    }
    memcpy(reply + reply_len, out_buf, n);
    reply_len += n;
    reply[reply_len] = '\0';
    s->wrNext = out_buf;
}

static void in_fill(FCGX_Stream *s)
{
    s->isClosed = 1; /* the body is all there is */
}

/* The next '\n'-terminated line of data[*at..size) as a NUL-terminated
 * copy (NULL when it holds a NUL byte: no header or query can). */
static char *next_line(arena_t *a, const uint8_t *data, size_t size, size_t *at)
{
    const uint8_t *start = data + *at;
    const uint8_t *nl = memchr(start, '\n', size - *at);
    size_t len = nl ? (size_t)(nl - start) : size - *at;
    *at += len + (nl ? 1 : 0);
    if (memchr(start, '\0', len))
        return NULL;
    return arena_strndup(a, (const char *)start, len);
}

static bool is_scan_type(const char *ct)
{
    return ct && (strncasecmp(ct, "image/", 6) == 0 || strncasecmp(ct, "application/pdf", 15) == 0);
}

/* The checks on the reply (see the top of the file). */
static void check_reply(const request_t *req)
{
    if (!req->replied || req->status < 200)
        abort();
    if (req->status >= 500 && req->status != 503)
        abort(); /* a 500 for input: the bug this target is for */
    const char *body = reply ? strstr(reply, "\r\n\r\n") : NULL;
    if (!body)
        abort();
    body += 4;
    size_t len = reply_len - (size_t)(body - reply);
    if (!utf8_valid(body, len))
        abort();
    if (req->method_bit == METHOD_HEAD) {
        if (len != 0)
            abort();
        return;
    }
    const char *type = strstr(reply, "\r\nContent-Type: application/json");
    if (!type || type > body)
        return; /* no body (204), /metrics (text) */
    json_error_t error;
    json_t *j = json_loadb(body, len, 0, &error);
    if (!j)
        abort();
    json_t *err = json_object_get(j, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *message = json_string_value(json_object_get(err, "message"));
    if (req->status >= 400 && !(req->status == 503 && json_is_string(json_object_get(j, "status")))) {
        /* The error shape (GET /api/health answers 503 with its own). */
        if (!code || !message || !*message)
            abort();
        if (strcmp(code, "invalid_field") == 0 && !json_is_string(json_object_get(err, "field")))
            abort();
        if (req->status == 503 && strcmp(code, "database_unavailable") != 0 && strcmp(code, "index_unavailable") != 0)
            abort();
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static arena_t *arena;
    static db_t *db;
    static app_config_t config;
    if (!arena) {
        log_set_stream(NULL);
        if (crypto_init() != 0)
            abort();
        arena = arena_new(0);
        /* A socket directory that does not exist: every query fails at
         * once, as when PostgreSQL is down. */
        db = db_open("host=/nonexistent/esurat-fuzz dbname=esurat connect_timeout=1");
        app_config_load(&config);
        config.max_json_bytes = MAX_JSON_BYTES;
        config.max_scan_bytes = 1 << 20;
        config.scan_dir = "/nonexistent/esurat-fuzz";
        if (!arena || !db)
            abort();
    }

    size_t at = 0;
    char *line = next_line(arena, data, size, &at);
    char *query = at < size ? next_line(arena, data, size, &at) : arena_strdup(arena, "");
    char *content_type = at < size ? next_line(arena, data, size, &at) : arena_strdup(arena, "");
    char *file_name = at < size ? next_line(arena, data, size, &at) : arena_strdup(arena, "");
    char *space = line ? strchr(line, ' ') : NULL;
    if (!space || !query || !content_type || !file_name) {
        arena_reset(arena);
        return 0;
    }
    *space = '\0';
    const char *method = line, *path = space + 1;
    /* As the dispatcher: nginx gives an absolute path, at most 2048 bytes here. */
    if (path[0] != '/' || strlen(path) > 2048) {
        arena_reset(arena);
        return 0;
    }

    request_t req = {.arena = arena, .db = db, .config = &config};
    req.method = method;
    req.method_bit = router_method_bit(method);
    req.path = path;
    req.query_string = query;
    req.content_type = *content_type ? content_type : NULL;
    unsigned allowed;
    char *path_copy = arena_alloc(arena, strlen(path) + 1);
    if (!path_copy || router_match(routes, routes_count, req.method_bit, path, path_copy, &req.route, req.args,
                                   &req.nargs, &allowed) != ROUTE_FOUND) {
        arena_reset(arena);
        return 0;
    }
    /* Raw drafts go to the scan store before any query: its own tests
     * (tests/unit/test_scanstore.c) cover that. */
    if (req.route->handler == scans_upload_draft && is_scan_type(req.content_type)) {
        arena_reset(arena);
        return 0;
    }

    const unsigned char *body = data + at;
    size_t body_len = size - at;
    req.content_length = (long long)body_len;
    FCGX_Stream in = {.rdNext = (unsigned char *)body,
                      .wrNext = (unsigned char *)body + body_len,
                      .stop = (unsigned char *)body + body_len,
                      .stopUnget = (unsigned char *)body,
                      .isReader = 1,
                      .fillBuffProc = in_fill};
    FCGX_Stream out = {
        .rdNext = out_buf, .wrNext = out_buf, .stop = out_buf + sizeof out_buf, .emptyBuffProc = out_flush};
    char *env[] = {*file_name ? arena_printf(arena, "HTTP_X_FILE_NAME=%s", file_name) : NULL, NULL};
    FCGX_Request fcgx = {.in = &in, .out = &out, .envp = env};
    req.fcgx = &fcgx;

    /* Signed in with every role, for routes that need a session: what
     * the dispatcher checks before the handler is not the input here. */
    user_t user = {.id = 1,
                   .username = "fuzz",
                   .name = "Fuzz",
                   .roles = ROLE_ADMIN | ROLE_FRONT_DESK | ROLE_OFFICIAL | ROLE_ARCHIVIST | ROLE_RECORDS,
                   .csrf_token = "0",
                   .token_hash = "0"};
    if (req.route->roles != ROLE_PUBLIC)
        req.user = &user;

    reply_len = 0;
    if (req_take_params(&req))
        req.route->handler(&req);
    out_flush(&out, 0);
    check_reply(&req);
    if (db_in_transaction(db))
        db_rollback(db);
    arena_reset(arena);
    return 0;
}
