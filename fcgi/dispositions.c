#include "dispositions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "validate.h"
#include "view_cache.h"

#define MAX_RECIPIENTS 50
#define MAX_INSTRUCTIONS 20
#define MAX_NOTE 2000
#define MAX_REPORT 5000

#define LIST_DEFAULT 50
#define LIST_MAX 200

const char *const inbox_params[] = {"status", "limit", "cursor", NULL};

static const char *const INBOX_STATUSES[] = {"unread", "open", "done", "all", NULL};

static const char *user_id_text(request_t *req)
{
    return arena_printf(req->arena, "%lld", req->user->id);
}

static void json_cleanup(void *json)
{
    json_decref(json);
}

/* Runs sql, whose one row's column "result" is JSON text, and parses it;
 * the value belongs to the arena. NULL after replying. */
static json_t *sql_json(request_t *req, const char *sql, int n, const char *const *params)
{
    PGresult *res = req_sql(req, sql, n, params);
    if (!res)
        return NULL;
    const char *text = PQntuples(res) == 1 ? db_get(res, 0, "result") : NULL;
    json_t *value = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (!value) {
        log_error("%s %s: the database answered no JSON", req->method, req->path);
        reply_error(req, 500, "internal", NULL, "internal error");
        return NULL;
    }
    arena_on_reset(req->arena, json_cleanup, value);
    return value;
}

/* When result is a refusal ({"error": {status, code, field?, message}}),
 * rolls back, replies with it and returns true. */
static bool refused(request_t *req, json_t *result)
{
    json_t *err = json_object_get(result, "error");
    if (!err)
        return false;
    db_rollback(req->db);
    int status = (int)json_integer_value(json_object_get(err, "status"));
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *field = json_string_value(json_object_get(err, "field"));
    const char *message = json_string_value(json_object_get(err, "message"));
    reply_error(req, status >= 400 && status < 500 ? status : 500, code ? code : "internal", field, "%s",
                message ? message : "internal error");
    return true;
}

/* A copy of obj's member, or null. */
static json_t *member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v ? json_incref(v) : json_null();
}

/* Adds "acting": "plt"|"plh" to an audit detail when the user acted as
 * an acting official. */
static void add_acting(json_t *detail, json_t *result)
{
    json_t *acting = json_object_get(result, "acting");
    if (json_is_string(acting))
        json_object_set(detail, "acting", acting);
}

/* ------------------------------------------------------------------------
 * GET /api/inbox, GET /api/inbox/counts */

/* The positions the caller holds today (also acting), then one page of
 * what came to them, unread first, then read, then done, newest first in
 * each; and the counts over every open disposition. One statement.
 *
 * Each status is its own branch, and within it each held position its own
 * LATERAL top-N read newest first from dispositions_inbox_idx: a page costs
 * (positions x page size) index entries however many done ones pile up. A
 * branch before the cursor's rank is skipped, the cursor's own continues
 * after it ($4 rank, $5 epoch microseconds, $6 id), the bound written as
 * one row comparison so that the index seeks to it. The letters are joined
 * for the page only. No letter_visible() here: a disposition to a position
 * the caller holds today is exactly what makes its letter visible to them.
 * The counts are an index-only scan of dispositions_open_idx.
 *
 * Each item is a summary (docs/api.md, "GET /api/inbox"): what the inbox
 * shows, built with plain joins. The full letter_json() and
 * disposition_detail_json() cost about 0.25 ms an item in PL/pgSQL calls
 * (8 ms for 30 items, paid by each worker once a second under load) and
 * made a page of 30 items 34 KB; the letter and disposition pages have
 * the rest. */
#define INBOX_BRANCH(RANK, STATUS, WANTED)                                                                             \
    "(SELECT x.d, " #RANK " AS rank FROM held h CROSS JOIN LATERAL ("                                                  \
    "   SELECT d FROM dispositions d WHERE d.to_position_id = h.position_id AND d.status = '" STATUS "'"               \
    "     AND (d.created_at, d.id) < ("                                                                                \
    "       CASE WHEN $4::int = " #RANK " THEN 'epoch'::timestamptz + $5::bigint * interval '1 microsecond'"           \
    "            ELSE 'infinity'::timestamptz END,"                                                                    \
    "       CASE WHEN $4::int = " #RANK " THEN $6::bigint ELSE 9223372036854775807 END)"                               \
    "   ORDER BY d.created_at DESC, d.id DESC LIMIT $7::int + 1) x"                                                    \
    "  WHERE $3::text IN (" WANTED ") AND ($4::int IS NULL OR $4::int <= " #RANK "))"

#define INBOX_UNREAD INBOX_BRANCH(0, "unread", "'all', 'unread', 'open'")
#define INBOX_READ INBOX_BRANCH(1, "read", "'all', 'open'")
#define INBOX_DONE INBOX_BRANCH(2, "done", "'all', 'done'")

static const char INBOX_SQL[] =
    "WITH held AS MATERIALIZED ("
    "  SELECT DISTINCT h.position_id FROM current_position_holders h WHERE h.user_id = $1"
    "), day AS (SELECT coalesce($2::timestamptz, now())::date AS today"
    "), page AS ("
    "  SELECT b.d, b.rank, (b.d).created_at, (b.d).id,"
    "    (extract(epoch FROM (b.d).created_at) * 1000000)::bigint AS epoch_us"
    "  FROM (" INBOX_UNREAD " UNION ALL " INBOX_READ " UNION ALL " INBOX_DONE ") b"
    "  ORDER BY b.rank, (b.d).created_at DESC, (b.d).id DESC"
    "  LIMIT $7::int + 1"
    ")"
    "SELECT"
    " (SELECT json_build_object('unread', count(*) FILTER (WHERE o.status = 'unread'), 'open', count(*),"
    "         'overdue', count(*) FILTER (WHERE o.deadline < (SELECT today FROM day)))"
    "    FROM dispositions o"
    "   WHERE o.to_position_id IN (SELECT position_id FROM held) AND o.status <> 'done')::text AS counts,"
    " (SELECT coalesce(json_agg(json_build_object("
    "      'disposition', json_build_object("
    "        'id', (p.d).id, 'letter_id', (p.d).letter_id, 'parent_id', (p.d).parent_id,"
    "        'from_position', CASE WHEN fp.id IS NOT NULL THEN json_build_object('id', fp.id, 'title', fp.title) END,"
    "        'to_position', json_build_object('id', tp.id, 'title', tp.title),"
    "        'instructions', coalesce((SELECT json_agg(di.instruction_code ORDER BY i.sort_order, i.code)"
    "                                    FROM disposition_instructions di"
    "                                    JOIN instructions i ON i.code = di.instruction_code"
    "                                   WHERE di.disposition_id = (p.d).id), '[]'::json),"
    "        'note', (p.d).note, 'deadline', (p.d).deadline,"
    "        'overdue', (p.d).status <> 'done' AND (p.d).deadline IS NOT NULL"
    "                   AND (p.d).deadline < (SELECT today FROM day),"
    "        'status', (p.d).status, 'read_at', (p.d).read_at, 'done_at', (p.d).done_at,"
    "        'created_by', json_build_object('id', cu.id, 'name', cu.name), 'created_at', (p.d).created_at),"
    "      'letter', json_build_object("
    "        'id', l.id, 'direction', l.direction, 'unit', json_build_object('id', lu.id, 'name', lu.name),"
    "        'agenda_number', l.agenda_number, 'agenda_year', l.agenda_year, 'letter_number', l.letter_number,"
    "        'letter_date', l.letter_date, 'received_at', l.received_at, 'sender', l.sender,"
    "        'subject', l.subject, 'security', l.security, 'urgency', l.urgency, 'status', l.status),"
    "      'cursor', p.rank || '.' || p.epoch_us || '.' || p.id)"
    "    ORDER BY p.rank, p.created_at DESC, p.id DESC), '[]'::json)"
    "    FROM page p"
    "    JOIN letters l ON l.id = (p.d).letter_id JOIN units lu ON lu.id = l.unit_id"
    "    JOIN positions tp ON tp.id = (p.d).to_position_id"
    "    LEFT JOIN positions fp ON fp.id = (p.d).from_position_id"
    "    JOIN users cu ON cu.id = (p.d).created_by)::text AS result";

static const char COUNTS_SQL[] =
    "SELECT json_build_object('unread', count(*) FILTER (WHERE o.status = 'unread'), 'open', count(*),"
    "  'overdue', count(*) FILTER (WHERE o.deadline < coalesce($2::timestamptz, now())::date))::text AS counts "
    "FROM dispositions o "
    "WHERE o.to_position_id IN (SELECT h.position_id FROM current_position_holders h WHERE h.user_id = $1)"
    "  AND o.status <> 'done'";

/* "<rank>.<epoch microseconds>.<id>" from a previous page's next_cursor. */
static bool parse_cursor(const char *cursor, char rank[2], char epoch[24], char id[24])
{
    if (!(cursor[0] >= '0' && cursor[0] <= '2') || cursor[1] != '.')
        return false;
    const char *e = cursor + 2, *dot = strchr(e, '.');
    if (!dot)
        return false;
    const char *digits = *e == '-' ? e + 1 : e;
    size_t ndigits = (size_t)(dot - digits);
    if (ndigits == 0 || ndigits > 17 || strspn(digits, "0123456789") != ndigits || !id_valid(dot + 1))
        return false;
    rank[0] = cursor[0];
    rank[1] = '\0';
    memcpy(epoch, e, (size_t)(dot - e));
    epoch[dot - e] = '\0';
    snprintf(id, 24, "%s", dot + 1);
    return true;
}

void inbox_list(request_t *req)
{
    const char *status = q_param(req, "status"), *limit_text = q_param(req, "limit"), *cursor = q_param(req, "cursor");
    if (status && !enum_valid(status, INBOX_STATUSES)) {
        q_fail(req, "status", "expected unread, open, done or all");
        return;
    }
    long limit = LIST_DEFAULT;
    if (limit_text) {
        limit =
            strspn(limit_text, "0123456789") == strlen(limit_text) && strlen(limit_text) <= 4 ? atol(limit_text) : 0;
        if (limit < 1 || limit > LIST_MAX) {
            q_fail(req, "limit", "expected 1 to 200");
            return;
        }
    }
    char rank[2] = "", epoch[24] = "", after_id[24] = "";
    if (cursor && !parse_cursor(cursor, rank, epoch, after_id)) {
        q_fail(req, "cursor", "not a cursor this server gave (use next_cursor as it is)");
        return;
    }
    char limit_buf[8];
    snprintf(limit_buf, sizeof limit_buf, "%ld", limit);
    /* Not under the test clock: the page shows what is overdue today. */
    const char *key = clock_test_now() ? NULL
                                       : arena_printf(req->arena, "list %s %ld %s", status ? status : "all", limit,
                                                      cursor ? cursor : "");
    if (key) {
        size_t len;
        const char *page = view_cache_peek(VIEW_INBOX, req->user->id, key, &len);
        if (page) {
            reply_raw_json_n(req, 200, page, len);
            return;
        }
    }
    unsigned long generation = view_cache_generation();
    const char *params[] = {user_id_text(req),
                            clock_test_now(),
                            status ? status : "all",
                            cursor ? rank : NULL,
                            cursor ? epoch : NULL,
                            cursor ? after_id : NULL,
                            limit_buf};
    PGresult *res = req_sql(req, INBOX_SQL, 7, params);
    if (!res)
        return;
    json_t *counts = json_loads(db_get(res, 0, "counts"), 0, NULL);
    json_t *items = json_loads(db_get(res, 0, "result"), 0, NULL);
    if (!counts || !json_is_array(items)) {
        json_decref(counts);
        json_decref(items);
        reply_error(req, 500, "internal", NULL, "internal error");
        return;
    }
    json_t *next = json_null();
    if (json_array_size(items) > (size_t)limit) {
        json_array_remove(items, (size_t)limit);
        next = json_incref(json_object_get(json_array_get(items, (size_t)limit - 1), "cursor"));
    }
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) json_object_del(item, "cursor");
    json_t *answer = json_pack("{s:o, s:o, s:o}", "items", items, "counts", counts, "next_cursor", next);
    char *page = answer ? json_dumps(answer, JSON_COMPACT) : NULL;
    json_decref(answer);
    if (!page) {
        reply_error(req, 500, "internal", NULL, "internal error");
        return;
    }
    if (key)
        view_cache_put(VIEW_INBOX, req->user->id, key, page, generation);
    reply_raw_json(req, 200, page);
    free(page);
}

void inbox_counts(request_t *req)
{
    bool cacheable = !clock_test_now();
    if (cacheable) {
        size_t len;
        const char *page = view_cache_peek(VIEW_INBOX, req->user->id, "counts", &len);
        if (page) {
            reply_raw_json_n(req, 200, page, len);
            return;
        }
    }
    unsigned long generation = view_cache_generation();
    const char *params[] = {user_id_text(req), clock_test_now()};
    PGresult *res = req_sql(req, COUNTS_SQL, 2, params);
    if (!res)
        return;
    const char *page = arena_printf(req->arena, "{\"counts\":%s}", db_get(res, 0, "counts"));
    if (cacheable)
        view_cache_put(VIEW_INBOX, req->user->id, "counts", page, generation);
    reply_raw_json(req, 200, page);
}

/* ------------------------------------------------------------------------
 * POST /api/letters/{id}/dispositions */

static const char CREATE_SQL[] = "SELECT disposition_create($1, $2, $3, $4::bigint[], $5::text[], $6, $7::date,"
                                 " coalesce($8::timestamptz, now())::date)::text AS result";

static bool field_fail(request_t *req, const char *field, const char *fmt, const char *arg)
{
    char why[160];
    snprintf(why, sizeof why, fmt, arg);
    reply_error(req, 400, "invalid_field", field, "%s: %s", field, why);
    return false;
}

/* "to": 1..MAX_RECIPIENTS position ids (integers or their decimal text),
 * none twice, as a PostgreSQL array literal "{3,4}". */
static bool read_recipients(request_t *req, json_t *body, const char **out)
{
    json_t *to = json_object_get(body, "to");
    if (!to || json_is_null(to))
        return field_fail(req, "to", "required, %s", "a list of position ids");
    if (!json_is_array(to))
        return field_fail(req, "to", "expected %s", "a list of position ids");
    size_t n = json_array_size(to);
    if (n == 0)
        return field_fail(req, "to", "%s", "name at least one position");
    if (n > MAX_RECIPIENTS)
        return field_fail(req, "to", "%s", "at most 50 positions");
    long long *ids = arena_alloc(req->arena, n * sizeof *ids);
    char *list = arena_alloc(req->arena, n * 20 + 3);
    if (!ids || !list) {
        reply_error(req, 413, "too_large", "to", "to: too large");
        return false;
    }
    size_t used = 0;
    list[used++] = '{';
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(to, i);
        long long id = 0;
        if (json_is_integer(v) && json_integer_value(v) > 0)
            id = (long long)json_integer_value(v);
        else if (json_is_string(v) && id_valid(json_string_value(v)))
            id = strtoll(json_string_value(v), NULL, 10);
        if (id <= 0 || id > 999999999999999999LL)
            return field_fail(req, "to", "%s", "expected positive integer position ids");
        for (size_t j = 0; j < i; j++)
            if (ids[j] == id) {
                char num[24];
                snprintf(num, sizeof num, "%lld", id);
                return field_fail(req, "to", "position %s is named twice", num);
            }
        ids[i] = id;
        used += (size_t)snprintf(list + used, 21, "%s%lld", i ? "," : "", id);
    }
    list[used++] = '}';
    list[used] = '\0';
    *out = list;
    return true;
}

/* An instruction code as the schema allows it: ^[a-z][a-z0-9_]{0,63}$. */
static bool instruction_code_valid(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= 64 && s[0] >= 'a' && s[0] <= 'z' && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* "instructions": 0..MAX_INSTRUCTIONS codes, as "{ketahui,hadiri}" (the
 * codes' characters need no quoting). Whether they exist is the SQL's. */
static bool read_instructions(request_t *req, json_t *body, const char **out)
{
    json_t *list = json_object_get(body, "instructions");
    *out = "{}";
    if (!list || json_is_null(list))
        return true;
    if (!json_is_array(list))
        return field_fail(req, "instructions", "expected %s", "a list of instruction codes");
    size_t n = json_array_size(list);
    if (n > MAX_INSTRUCTIONS)
        return field_fail(req, "instructions", "%s", "at most 20 instructions");
    char *text = arena_alloc(req->arena, n * 66 + 3);
    if (!text) {
        reply_error(req, 413, "too_large", "instructions", "instructions: too large");
        return false;
    }
    size_t used = 0;
    text[used++] = '{';
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(list, i);
        const char *code = json_string_value(v);
        if (!code || strlen(code) != json_string_length(v))
            return field_fail(req, "instructions", "expected %s", "instruction codes (strings)");
        if (!instruction_code_valid(code))
            return field_fail(req, "instructions", "no such instruction: %.64s", code);
        used += (size_t)snprintf(text + used, 67, "%s%s", i ? "," : "", code);
    }
    text[used++] = '}';
    text[used] = '\0';
    *out = text;
    return true;
}

/* Bodies are checked before the letter is looked at: a caller learns
 * nothing about letters it may not see from a 400. */
void dispositions_create(request_t *req)
{
    static const char *const known[] = {"to", "instructions", "note", "deadline", "parent_id", NULL};
    const char *letter_id = req->args[0];
    json_t *body = req_json_body(req);
    if (!body)
        return;
    const char *to, *instructions, *note, *deadline, *parent_id;
    if (!v_known_fields(req, body, known) || !read_recipients(req, body, &to) ||
        !read_instructions(req, body, &instructions) || !v_text(req, body, "note", MAX_NOTE, V_MULTILINE, &note) ||
        !v_date(req, body, "deadline", 0, &deadline) || !v_id(req, body, "parent_id", 0, &parent_id))
        return;
    if (!req_begin(req))
        return;
    const char *params[] = {user_id_text(req), letter_id, parent_id, to,
                            instructions,      note,      deadline,  clock_test_now()};
    json_t *result = sql_json(req, CREATE_SQL, 8, params);
    if (!result || refused(req, result))
        return;
    json_t *items = json_object_get(result, "items");
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        json_t *to_position = json_object_get(item, "to_position");
        json_t *detail = json_pack(
            "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "letter_id", member(item, "letter_id"), "parent_id",
            member(result, "parent_id"), "from_position_id", member(result, "from_position_id"), "to_position_id",
            member(to_position, "id"), "to_position", member(to_position, "title"), "instructions",
            member(item, "instructions"), "note", member(item, "note"), "deadline", member(item, "deadline"));
        if (detail)
            add_acting(detail, result);
        const char *id = arena_printf(req->arena, "%lld", (long long)json_integer_value(json_object_get(item, "id")));
        if (!req_audit(req, NULL, "disposition.create", "disposition", id, detail))
            return;
    }
    if (!req_commit(req))
        return;
    reply_json(req, 201, json_pack("{s:O}", "items", items));
}

/* ------------------------------------------------------------------------
 * GET /api/dispositions/{id} */

static const char OPEN_SQL[] =
    "SELECT disposition_open($1, $2, coalesce($3::timestamptz, now())::date)::text AS result";

static bool confidential(const char *security)
{
    return security && (strcmp(security, "rahasia") == 0 || strcmp(security, "sangat_rahasia") == 0);
}

void dispositions_get(request_t *req)
{
    const char *id = req->args[0];
    if (!req_begin(req))
        return;
    const char *params[] = {user_id_text(req), id, clock_test_now()};
    json_t *result = sql_json(req, OPEN_SQL, 3, params);
    if (!result || refused(req, result))
        return;
    json_t *disposition = json_object_get(result, "disposition");
    json_t *letter_id = json_object_get(disposition, "letter_id");
    if (json_is_true(json_object_get(result, "first_read"))) {
        json_t *detail = json_pack("{s:O}", "letter_id", letter_id);
        if (detail)
            add_acting(detail, result);
        if (!req_audit(req, NULL, "disposition.read", "disposition", id, detail))
            return;
    } else if (confidential(json_string_value(json_object_get(result, "security")))) {
        /* Every reading of a confidential letter is on the record. */
        json_t *detail = json_pack("{s:O, s:I}", "letter_id", letter_id, "disposition_id", (json_int_t)atoll(id));
        if (!req_audit(req, NULL, "letter.view", "letter",
                       arena_printf(req->arena, "%lld", (long long)json_integer_value(letter_id)), detail))
            return;
    }
    if (!req_commit(req))
        return;
    reply_json(req, 200, json_incref(disposition));
}

/* ------------------------------------------------------------------------
 * POST /api/dispositions/{id}/complete */

static const char COMPLETE_SQL[] =
    "SELECT disposition_complete($1, $2, $3, coalesce($4::timestamptz, now())::date)::text AS result";

void dispositions_complete(request_t *req)
{
    static const char *const known[] = {"report", NULL};
    const char *id = req->args[0];
    json_t *body = req_json_body(req);
    if (!body)
        return;
    const char *report;
    if (!v_known_fields(req, body, known) ||
        !v_text(req, body, "report", MAX_REPORT, V_REQUIRED | V_MULTILINE, &report))
        return;
    if (!req_begin(req))
        return;
    const char *params[] = {user_id_text(req), id, report, clock_test_now()};
    json_t *result = sql_json(req, COMPLETE_SQL, 4, params);
    if (!result || refused(req, result))
        return;
    json_t *disposition = json_object_get(result, "disposition");
    json_t *letter_id = json_object_get(disposition, "letter_id");
    json_t *detail = json_pack("{s:O, s:s, s:O}", "letter_id", letter_id, "report", report, "letter_status",
                               json_object_get(result, "letter_status"));
    if (detail)
        add_acting(detail, result);
    if (!req_audit(req, NULL, "disposition.complete", "disposition", id, detail))
        return;
    if (json_is_true(json_object_get(result, "letter_finished"))) {
        /* The last open branch closed: the letter is done. */
        const char *lid = arena_printf(req->arena, "%lld", (long long)json_integer_value(letter_id));
        json_t *finish = json_pack("{s:O, s:s, s:I}", "letter_id", letter_id, "status", "selesai", "disposition_id",
                                   (json_int_t)atoll(id));
        if (!req_audit(req, NULL, "letter.finish", "letter", lid, finish))
            return;
    }
    if (!req_commit(req))
        return;
    reply_json(req, 200, json_incref(disposition));
}
