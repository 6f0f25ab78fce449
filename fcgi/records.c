#include "records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "export.h"
#include "config.h"
#include "log.h"
#include "retention.h"
#include "textbuf.h"
#include "validate.h"

const char *const export_params[] = {"from", "to", "format", NULL};
const char *const retention_params[] = {"as_of", "action", "format", "limit", "cursor", NULL};

#define RETENTION_DEFAULT 100
#define RETENTION_MAX 1000

static const char *user_id_text(request_t *req)
{
    return arena_printf(req->arena, "%lld", req->user->id);
}

/* ------------------------------------------------------------------------
 * GET /api/export */

typedef struct {
    request_t *req;
    const char *format;
    const char *from, *to;
    bool started;
} stream_t;

static int fcgi_write(void *ctx, const void *buf, size_t len)
{
    stream_t *s = ctx;
    FCGX_Stream *out = s->req->fcgx->out;
    const char *p = buf;
    while (len > 0) {
        int n = len > (1 << 20) ? (1 << 20) : (int)len;
        if (FCGX_PutStr(p, n, out) != n || FCGX_GetError(out) != 0)
            return -1; /* the client went away */
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The head of the answer, once the counts are known. */
static int stream_start(void *ctx, const export_stats_t *st)
{
    stream_t *s = ctx;
    request_t *req = s->req;
    bool zip = strcmp(s->format, "zip") == 0;
    char head[1024];
    snprintf(head, sizeof head,
             "Status: 200 OK\r\n"
             "Content-Type: %s\r\n"
             "Content-Disposition: attachment; filename=\"esurat-arsip-%s_%s.%s\"\r\n"
             "Cache-Control: no-store\r\n"
             /* nginx must pass the bytes on as they come, not spool them. */
             "X-Accel-Buffering: no\r\n"
             "X-Esurat-Letters: %lld\r\n"
             "X-Esurat-Withheld: %lld\r\n"
             "X-Esurat-Scan-Bytes: %lld\r\n"
             "\r\n",
             zip ? "application/zip" : "application/x-tar", s->from, s->to, zip ? "zip" : "tar", st->letters,
             st->withheld, st->scan_bytes);
    FCGX_PutS(head, req->fcgx->out);
    req->replied = true;
    req->status = 200;
    s->started = true;
    FCGX_FFlush(req->fcgx->out);
    return req->method_bit == METHOD_HEAD ? 1 : 0;
}

/* A response whose head is out cannot become an error any more, and
 * ending it normally would let nginx close the chunked body as if it were
 * complete (found by scripts/soak: a browser keeps the cut archive as a
 * finished download). FastCGI has no record for "this response failed",
 * and nginx takes the connection's end as the response's end; but it takes
 * a record it does not expect in a response as the upstream failing, and
 * then drops the client's connection without the last chunk, which every
 * HTTP client reports as a failed transfer. So: what was written goes out,
 * then an FCGI_UNKNOWN_TYPE record (a management record, request id 0),
 * then the connection is shut (libfcgi's END_REQUEST then goes nowhere). */
static void cut_off(request_t *req)
{
    static const unsigned char unknown_type[16] = {1, 11, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    FCGX_FFlush(req->fcgx->out);
    int fd = req->fcgx->ipcFd;
    if (fd < 0)
        return;
    if (write(fd, unknown_type, sizeof unknown_type) < 0)
        log_warn("export: cutting the response off: %s", strerror(errno));
    shutdown(fd, SHUT_RDWR);
}

void export_get(request_t *req)
{
    const char *from = q_param(req, "from"), *to = q_param(req, "to"), *format = q_param(req, "format");
    const char *field;
    const char *why = export_period_check(from, to, &field);
    if (why) {
        reply_error(req, 400, "invalid_query", field, "%s: %s", field, why);
        return;
    }
    if (!format)
        format = "zip";
    if (strcmp(format, "zip") != 0 && strcmp(format, "tar") != 0) {
        reply_error(req, 400, "invalid_query", "format", "format: expected zip or tar");
        return;
    }
    /* Every export is on the record, before its first byte. */
    json_t *detail = json_pack("{s:s, s:s, s:s}", "from", from, "to", to, "format", format);
    if (!req_begin(req) || !req_audit_commit(req, NULL, "export.create", "export", NULL, detail))
        return;

    stream_t s = {.req = req, .format = format, .from = from, .to = to};
    export_params_t p = {
        .db = req->db,
        .scan_dir = req->config->scan_dir,
        .tmpdir = config_str("ESURAT_TMPDIR", NULL),
        .from = from,
        .to = to,
        .user_id = user_id_text(req),
        .exported_by = req->user->username,
        .organization = config_str("ESURAT_ORGANIZATION", NULL),
        .format = strcmp(format, "tar") == 0 ? BAG_TAR : BAG_ZIP,
        .write = fcgi_write,
        .write_ctx = &s,
        .on_start = stream_start,
        .cb_ctx = &s,
    };
    export_stats_t st;
    export_status_t status = export_run(&p, &st);
    if (!s.started) {
        if (status == EXPORT_DB_ERROR)
            reply_db_error(req);
        else
            reply_error(req, 500, "internal", NULL, "internal error");
        return;
    }
    if (status == EXPORT_OK || status == EXPORT_STOPPED)
        log_info("export %s..%s by %s: %lld letters (%lld withheld), %lld bytes", from, to, req->user->username,
                 st.letters_done, st.withheld, st.bytes_out);
    else {
        log_warn("export %s..%s by %s ended after %lld letters, %lld bytes: %s; response cut off", from, to,
                 req->user->username, st.letters_done, st.bytes_out,
                 status == EXPORT_DB_ERROR ? "database error" : "the client went away or a file failed");
        cut_off(req);
    }
}

/* ------------------------------------------------------------------------
 * GET /api/retention */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *int_or_null(const char *s)
{
    return s ? json_integer(atoll(s)) : json_null();
}

static json_t *item_json(const PGresult *res, int i)
{
    json_t *letter = json_pack(
        "{s:I, s:o, s:o, s:{s:s}, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:o}", "id",
        (json_int_t)atoll(db_get(res, i, "id")), "agenda_number", int_or_null(db_get(res, i, "agenda_number")),
        "agenda_year", int_or_null(db_get(res, i, "agenda_year")), "unit", "code", db_get(res, i, "unit_code"),
        "direction", db_get(res, i, "direction"), "letter_number", str_or_null(db_get(res, i, "letter_number")),
        "letter_date", str_or_null(db_get(res, i, "letter_date")), "sender", str_or_null(db_get(res, i, "sender")),
        "subject", str_or_null(db_get(res, i, "subject")), "classification",
        str_or_null(db_get(res, i, "classification")), "security", db_get(res, i, "security"), "registered_on",
        str_or_null(db_get(res, i, "registered_on")));
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:o}", "letter", letter, "rule_code",
                     str_or_null(db_get(res, i, "rule_code")), "active_years",
                     int_or_null(db_get(res, i, "active_years")), "inactive_years",
                     int_or_null(db_get(res, i, "inactive_years")), "final_disposition",
                     str_or_null(db_get(res, i, "final_disposition")), "active_until",
                     str_or_null(db_get(res, i, "active_until")), "inactive_until",
                     str_or_null(db_get(res, i, "inactive_until")), "action", db_get(res, i, "action"), "action_label",
                     retention_action_label(db_get(res, i, "action")), "due_on", str_or_null(db_get(res, i, "due_on")));
}

/* "<due_on or ->.<id>" */
static bool parse_cursor(request_t *req, const char *cursor, const char **due, const char **id)
{
    const char *dot = strrchr(cursor, '.');
    if (!dot || strlen(dot + 1) == 0 || strlen(dot + 1) > 18 || strspn(dot + 1, "0123456789") != strlen(dot + 1))
        return false;
    size_t n = (size_t)(dot - cursor);
    const char *field;
    char *d = arena_strndup(req->arena, cursor, n);
    if (!d)
        return false;
    if (strcmp(d, "-") == 0) {
        *due = NULL;
    } else if (export_period_check(d, d, &field)) {
        return false;
    } else {
        *due = d;
    }
    *id = dot + 1;
    return true;
}

static void retention_csv(request_t *req, const char *as_of, const char *user_id, const char *actions)
{
    FCGX_Stream *out = req->fcgx->out;
    char head[512];
    snprintf(head, sizeof head,
             "Status: 200 OK\r\nContent-Type: text/csv; charset=utf-8\r\n"
             "Content-Disposition: attachment; filename=\"esurat-retensi-%s.csv\"\r\n"
             "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n\r\n",
             as_of);
    /* One snapshot for the whole report. */
    if (!req_begin(req))
        return;
    if (db_exec(req->db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL) < 0) {
        reply_db_error(req);
        return;
    }
    textbuf_t b = TEXTBUF_INIT;
    tb_puts(&b, CSV_BOM);
    retention_csv_header(&b);
    bool started = false;
    char after_due[16] = "", after_id[24] = "";
    bool have_after = false;
    for (;;) {
        const char *p[] = {
            as_of, user_id, actions, have_after && after_due[0] ? after_due : NULL, have_after ? after_id : NULL,
            "500"};
        PGresult *res = db_query(req->db, RETENTION_PAGE_SQL, 6, p);
        if (!res) {
            if (!started)
                reply_db_error(req);
            break;
        }
        if (!started) {
            FCGX_PutS(head, out);
            req->replied = true;
            req->status = 200;
            started = true;
        }
        int n = PQntuples(res);
        for (int i = 0; i < n; i++)
            retention_csv_row(&b, res, i);
        if (n > 0) {
            const char *due = db_get(res, n - 1, "due_on");
            snprintf(after_due, sizeof after_due, "%s", due ? due : "");
            snprintf(after_id, sizeof after_id, "%s", db_get(res, n - 1, "id"));
            have_after = true;
        }
        PQclear(res);
        if (req->method_bit != METHOD_HEAD && !tb_oom(&b))
            FCGX_PutStr(b.data, (int)b.len, out);
        tb_reset(&b);
        if (n < 500 || FCGX_GetError(out) != 0)
            break;
    }
    tb_free(&b);
    db_rollback(req->db);
}

void retention_get(request_t *req)
{
    const char *as_of = q_param(req, "as_of"), *action = q_param(req, "action"), *format = q_param(req, "format");
    const char *limit_text = q_param(req, "limit"), *cursor = q_param(req, "cursor");
    const char *field;
    if (as_of && export_period_check(as_of, as_of, &field)) {
        q_fail(req, "as_of", "expected YYYY-MM-DD, a date that exists");
        return;
    }
    textbuf_t list = TEXTBUF_INIT;
    const char *bad;
    bool ok = retention_actions_param(action, &list, &bad);
    const char *actions = ok && !tb_oom(&list) ? arena_strdup(req->arena, list.data) : NULL;
    tb_free(&list);
    if (!actions) {
        q_fail(req, "action",
               "expected a comma-separated list of inaktif, musnah, permanen, dinilai_kembali, "
               "aktif, tanpa_jra");
        return;
    }
    if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
        q_fail(req, "format", "expected json or csv");
        return;
    }
    long limit = RETENTION_DEFAULT;
    if (limit_text) {
        limit =
            strspn(limit_text, "0123456789") == strlen(limit_text) && strlen(limit_text) <= 5 ? atol(limit_text) : 0;
        if (limit < 1 || limit > RETENTION_MAX) {
            q_fail(req, "limit", "expected 1 to 1000");
            return;
        }
    }
    const char *after_due = NULL, *after_id = NULL;
    if (cursor && !parse_cursor(req, cursor, &after_due, &after_id)) {
        q_fail(req, "cursor", "not a cursor this server gave (use next_cursor as it is)");
        return;
    }
    if (!as_of) {
        PGresult *today = req_sql(req, "SELECT current_date::text AS d", 0, NULL);
        if (!today)
            return;
        as_of = db_get(today, 0, "d");
    }
    const char *user_id = user_id_text(req);
    if (format && strcmp(format, "csv") == 0) {
        retention_csv(req, as_of, user_id, actions);
        return;
    }

    const char *count_params[] = {as_of, user_id};
    PGresult *counts = req_sql(req, RETENTION_COUNTS_SQL, 2, count_params);
    if (!counts)
        return;
    char limit_buf[16];
    snprintf(limit_buf, sizeof limit_buf, "%ld", limit + 1);
    const char *page_params[] = {as_of, user_id, actions, after_due, after_id, limit_buf};
    PGresult *res = req_sql(req, RETENTION_PAGE_SQL, 6, page_params);
    if (!res)
        return;
    json_t *c = json_object();
    long long withheld = 0;
    for (size_t i = 0; RETENTION_ACTIONS[i]; i++)
        json_object_set_new(c, RETENTION_ACTIONS[i], json_integer(0));
    for (int i = 0; i < PQntuples(counts); i++) {
        json_object_set_new(c, db_get(counts, i, "action"), json_integer(atoll(db_get(counts, i, "visible"))));
        withheld += atoll(db_get(counts, i, "withheld"));
    }
    int rows = PQntuples(res);
    int shown = rows > limit ? (int)limit : rows;
    json_t *items = json_array();
    for (int i = 0; i < shown; i++)
        json_array_append_new(items, item_json(res, i));
    json_t *next = json_null();
    if (rows > limit) {
        const char *due = db_get(res, shown - 1, "due_on");
        next = json_string(arena_printf(req->arena, "%s.%s", due ? due : "-", db_get(res, shown - 1, "id")));
    }
    reply_json(req, 200,
               json_pack("{s:s, s:o, s:I, s:o, s:o}", "as_of", as_of, "counts", c, "withheld", (json_int_t)withheld,
                         "items", items, "next_cursor", next));
}
