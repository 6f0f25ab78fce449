#include "letters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "numbering.h"
#include "track.h"
#include "validate.h"
#include "view_cache.h"

/* Field limits, in characters. */
#define MAX_NUMBER 100
#define MAX_PARTY 300 /* sender, recipient */
#define MAX_SUBJECT 500
#define MAX_SUMMARY 5000

#define LIST_DEFAULT 50
#define LIST_MAX 200

/* Attempts at a registration whose tracking code collided. */
#define REGISTER_ATTEMPTS 3

const char *const letters_list_params[] = {"direction", "number", "sender", "classification", "from",
                                           "to",        "status", "limit",  "cursor",         NULL};
const char *const numbering_preview_params[] = {"unit_id", "classification", "security", NULL};

/* true when the last statement broke the unique index or constraint name. */
static bool unique_violation(request_t *req, const char *name)
{
    return req_violation(req, "23505", name);
}

static void json_cleanup(void *json)
{
    json_decref(json);
}

static const char *user_id_text(request_t *req)
{
    return arena_printf(req->arena, "%lld", req->user->id);
}

/* ------------------------------------------------------------------------
 * The registering unit */

typedef struct {
    const char *unit_id, *unit_code, *unit_name;
    const char *template;
    const char *target; /* "entry", "inner", "inactive" or NULL (unknown) */
    bool classification_ok;
} unit_info_t;

/* The unit of a position the caller holds today ($4: the one asked for,
 * else a definitive appointment before an acting one), with its number
 * template, and whether the classification $2 and position $3 exist. */
static const char UNIT_SQL[] =
    "SELECT u.id AS unit_id, u.code AS unit_code, u.name AS unit_name,"
    "  coalesce(t.template, '" NUMBER_DEFAULT_TEMPLATE "') AS template,"
    "  ($2::text IS NULL OR EXISTS (SELECT 1 FROM classifications c WHERE c.code = $2)) AS class_ok,"
    "  (SELECT CASE WHEN NOT p.active THEN 'inactive' WHEN p.is_entry_point THEN 'entry' ELSE 'inner' END"
    "     FROM positions p WHERE p.id = $3::bigint) AS target "
    "FROM (SELECT p.unit_id FROM current_position_holders h JOIN positions p ON p.id = h.position_id"
    "       WHERE h.user_id = $1 AND ($4::bigint IS NULL OR p.unit_id = $4::bigint)"
    "       ORDER BY h.kind = 'definitif' DESC, p.id LIMIT 1) mine "
    "JOIN units u ON u.id = mine.unit_id "
    "LEFT JOIN number_templates t ON t.unit_id = u.id";

/* Every registration asks for its unit, which changes only through the
 * admin pages: the answer is kept like a page (view_cache.h: forgotten at
 * once on any change made through this host, and on PostgreSQL's "*"), by
 * user and question, its six fields separated by US. */
#define UNIT_SEP '\x1f'

static void unit_remember(request_t *req, const char *key, const unit_info_t *info, unsigned long generation)
{
    const char *fields[] = {info->unit_id, info->unit_code, info->unit_name, info->template,
                            info->target ? info->target : ""};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (strchr(fields[i], UNIT_SEP))
            return;
    const char *page = arena_printf(req->arena, "%s%c%s%c%s%c%s%c%s%c%c", fields[0], UNIT_SEP, fields[1], UNIT_SEP,
                                    fields[2], UNIT_SEP, fields[3], UNIT_SEP, fields[4], UNIT_SEP,
                                    info->classification_ok ? 't' : 'f');
    view_cache_put(VIEW_UNIT, req->user->id, key, page, generation);
}

static bool unit_recall(request_t *req, const char *key, unit_info_t *info)
{
    const char *page = view_cache_get(req->arena, VIEW_UNIT, req->user->id, key);
    if (!page)
        return false;
    char *fields[6], *p = (char *)page;
    for (int i = 0; i < 6; i++) {
        fields[i] = p;
        p = strchr(p, UNIT_SEP);
        if (!p != (i == 5))
            return false;
        if (p)
            *p++ = '\0';
    }
    *info = (unit_info_t){.unit_id = fields[0],
                          .unit_code = fields[1],
                          .unit_name = fields[2],
                          .template = fields[3],
                          .target = *fields[4] ? fields[4] : NULL,
                          .classification_ok = strcmp(fields[5], "t") == 0};
    return true;
}

/* Fills *info; false after replying (403 when the caller holds no position
 * in the unit asked for, or in any unit). */
static bool caller_unit(request_t *req, const char *unit_id, const char *classification, const char *position_id,
                        unit_info_t *info)
{
    bool cacheable = !clock_test_now();
    const char *key = arena_printf(req->arena, "%s|%s|%s", unit_id ? unit_id : "",
                                   classification ? classification : "", position_id ? position_id : "");
    if (cacheable && unit_recall(req, key, info))
        return true;
    unsigned long generation = view_cache_generation();
    const char *params[] = {user_id_text(req), classification, position_id, unit_id};
    PGresult *res = req_sql(req, UNIT_SQL, 4, params);
    if (!res)
        return false;
    if (PQntuples(res) != 1) {
        if (unit_id)
            reply_error(req, 403, "forbidden", "unit_id", "unit_id: you hold no position in unit %s today", unit_id);
        else
            reply_error(req, 403, "forbidden", NULL,
                        "you hold no position in a unit today; a letter is registered "
                        "by the unit of its registrar");
        return false;
    }
    info->unit_id = db_get(res, 0, "unit_id");
    info->unit_code = db_get(res, 0, "unit_code");
    info->unit_name = db_get(res, 0, "unit_name");
    info->template = db_get(res, 0, "template");
    info->target = db_get(res, 0, "target");
    info->classification_ok = strcmp(db_get(res, 0, "class_ok"), "t") == 0;
    if (cacheable)
        unit_remember(req, key, info, generation);
    return true;
}

/* Formats an outgoing number; false after replying. */
static bool format_number(request_t *req, const unit_info_t *unit, const char *classification, const char *security,
                          long seq, int year, int month, const char *field_code, char out[NUMBER_MAX_LEN + 1])
{
    number_values_t v = {.classification = classification,
                         .sequence = seq,
                         .unit_code = unit->unit_code,
                         .year = year,
                         .month = month,
                         .security = security};
    number_status_t st = number_format(unit->template, &v, out, NUMBER_MAX_LEN + 1);
    if (st == NUMBER_OK)
        return true;
    if (st == NUMBER_MISSING_VALUE)
        reply_error(req, 400, field_code, "classification",
                    "classification: required, the number template of unit %s contains {klasifikasi}", unit->unit_code);
    else
        reply_error(req, 409, "conflict", NULL,
                    "the number template of unit %s is unusable (%s); an administrator "
                    "must correct it",
                    unit->unit_code, number_status_text(st));
    return false;
}

/* ------------------------------------------------------------------------
 * POST /api/letters */

typedef struct {
    const char *direction, *letter_number, *letter_date, *sender, *recipient, *subject, *summary;
    const char *classification, *security, *urgency, *to_position_id, *unit_id;
} letter_input_t;

static bool read_letter_input(request_t *req, json_t *body, letter_input_t *in)
{
    static const char *const known[] = {
        "direction",      "letter_number", "letter_date", "sender",         "recipient", "subject", "summary",
        "classification", "security",      "urgency",     "to_position_id", "unit_id",   NULL};
    if (!v_known_fields(req, body, known) || !v_enum(req, body, "direction", V_DIRECTIONS, NULL, &in->direction))
        return false;
    bool out = strcmp(in->direction, "out") == 0;
    if (out && json_object_get(body, "letter_number") && !json_is_null(json_object_get(body, "letter_number"))) {
        reply_error(req, 400, "invalid_field", "letter_number",
                    "letter_number: an outgoing letter's number is given by the registry");
        return false;
    }
    if (!v_text(req, body, "letter_number", MAX_NUMBER, 0, &in->letter_number) ||
        !v_date(req, body, "letter_date", 0, &in->letter_date) ||
        /* An outgoing letter's sender is by default its unit. */
        !v_text(req, body, "sender", MAX_PARTY, out ? 0 : V_REQUIRED, &in->sender) ||
        !v_text(req, body, "recipient", MAX_PARTY, V_REQUIRED, &in->recipient) ||
        !v_text(req, body, "subject", MAX_SUBJECT, V_REQUIRED, &in->subject) ||
        !v_text(req, body, "summary", MAX_SUMMARY, V_MULTILINE, &in->summary) ||
        !v_text(req, body, "classification", 64, 0, &in->classification) ||
        !v_enum(req, body, "security", V_SECURITIES, "biasa", &in->security) ||
        !v_enum(req, body, "urgency", V_URGENCIES, "biasa", &in->urgency) ||
        !v_id(req, body, "to_position_id", 0, &in->to_position_id) || !v_id(req, body, "unit_id", 0, &in->unit_id))
        return false;
    if (in->classification && !classification_code_valid(in->classification)) {
        reply_error(req, 400, "invalid_field", "classification",
                    "classification: expected a code such as 005 or 000.8.3.3");
        return false;
    }
    return true;
}

/* Takes the next number of the counter row (unit, kind, year) inside the
 * open transaction: the row stays locked until COMMIT, so concurrent
 * registrations queue here and a rollback gives the number back. */
static const char TAKE_NUMBER_SQL[] =
    "INSERT INTO number_counters AS c (unit_id, kind, year, last_value)"
    " VALUES ($1, $2, extract(year FROM coalesce($3::timestamptz, now()))::int, 1)"
    " ON CONFLICT (unit_id, kind, year) DO UPDATE SET last_value = c.last_value + 1"
    " RETURNING c.last_value, c.year, extract(month FROM coalesce($3::timestamptz, now()))::int AS month";

/* The letter, its first disposition (the routing by the registry), its
 * index outbox row in one statement, and the audit row when the letter has
 * its agenda number already: an outgoing letter, whose number ($3, $4:
 * sequence and year, from TAKE_NUMBER_SQL) is formatted into its letter
 * number. An incoming letter is inserted without one: the deferred trigger
 * Letters_agenda_number (sql/015, 019) takes it and appends the audit row at
 * COMMIT, so that the unit's counter row and the audit chain's head are
 * held for those few rows only, not for the whole registration. */
#define INSERT_LETTER_CTE                                                                                              \
    "WITH l AS ("                                                                                                      \
    "  INSERT INTO letters (direction, unit_id, agenda_number, agenda_year, letter_number, letter_date,"               \
    "    received_at, sender, recipient, subject, summary, classification, security, urgency, status,"                 \
    "    tracking_code, created_by)"                                                                                   \
    "  VALUES ($1::text, $2, $3::int, coalesce($4::int, extract(year FROM coalesce($17::timestamptz, now()))::int),"   \
    "    $5, $6::date, CASE WHEN $1::text = 'in' THEN now() END, $7, $8, $9, $10, $11, $12,"                          \
    "    $13, CASE WHEN $14::bigint IS NULL THEN 'baru' ELSE 'didisposisi' END, $15, $16)"                             \
    "  RETURNING letters.id, letters.agenda_number, letters.agenda_year"                                               \
    "), o AS ("                                                                                                        \
    "  INSERT INTO index_outbox (letter_id) SELECT id FROM l"                                                          \
    ")"
#define ROUTE_LETTER_CTE                                                                                               \
    ", d AS ("                                                                                                         \
    "  INSERT INTO dispositions (letter_id, to_position_id, created_by)"                                               \
    "  SELECT id, $14::bigint, $16 FROM l WHERE $14::bigint IS NOT NULL"                                               \
    ")"
/* The parts a statement leaves out are not even started by the executor:
 * each variant has only what its letters need. */
static const char INSERT_INCOMING_SQL[] = INSERT_LETTER_CTE "SELECT id FROM l";
static const char INSERT_ROUTED_SQL[] = INSERT_LETTER_CTE ROUTE_LETTER_CTE "SELECT id FROM l";
static const char INSERT_OUTGOING_SQL[] =
    INSERT_LETTER_CTE ROUTE_LETTER_CTE
    ", a AS ("
    "  SELECT audit_append($16, 'letter.register', 'letter', l.id::text, jsonb_strip_nulls(jsonb_build_object("
    "    'letter_id', l.id, 'direction', $1::text, 'agenda_number', l.agenda_number, 'agenda_year', l.agenda_year,"
    "    'letter_number', $5, 'unit_id', $2::bigint, 'to_position_id', $14::bigint))) AS audit_id"
    "  FROM l"
    ")"
    "SELECT id, (SELECT audit_id FROM a) AS audit_id FROM l";

/* What the registration gave the letter, read after the COMMIT that gave
 * it its number, in the same round trip; the reply is made from these and
 * the request (registered_letter_json). */
static const char REGISTERED_LETTER_SQL[] =
    "SELECT l.id, l.agenda_number, l.agenda_year, l.status, to_json(l.created_at)::text AS created_at "
    "FROM letters l WHERE l.id = (SELECT currval('letters_id_seq'))";

/* The registered letter as letter_json (sql/005) shows it, made here: the
 * server's part (id, number, year, status, the time, which is also the
 * receipt and update time) from REGISTERED_LETTER_SQL's row, the rest as
 * it was stored. Building it in PostgreSQL was a tenth of a registration's
 * cost there; test_letters checks the reply against GET /api/letters/{id}. */
static json_t *registered_letter_json(request_t *req, PGresult *row, const letter_input_t *in,
                                      const unit_info_t *unit, const char *letter_number, const char *sender,
                                      const char *tracking)
{
    json_t *at = json_loads(db_get(row, 0, "created_at"), JSON_DECODE_ANY, NULL);
    json_t *letter = json_pack(
        "{s:I, s:s, s:{s:I, s:s, s:s}, s:I, s:I, s:s?, s:s?, s:O?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?,"
        " s:s?, s:I, s:O?, s:O?}",
        "id", (json_int_t)atoll(db_get(row, 0, "id")), "direction", in->direction, "unit", "id",
        (json_int_t)atoll(unit->unit_id), "code", unit->unit_code, "name", unit->unit_name, "agenda_number",
        (json_int_t)atoll(db_get(row, 0, "agenda_number")), "agenda_year",
        (json_int_t)atoll(db_get(row, 0, "agenda_year")), "letter_number", letter_number, "letter_date",
        in->letter_date, "received_at", strcmp(in->direction, "in") == 0 ? at : NULL, "sender", sender, "recipient",
        in->recipient, "subject", in->subject, "summary", in->summary, "classification", in->classification,
        "security", in->security, "urgency", in->urgency, "status", db_get(row, 0, "status"), "tracking_code",
        tracking, "created_by", (json_int_t)req->user->id, "created_at", at, "updated_at", at);
    json_decref(at);
    return letter;
}

typedef enum { REG_DONE, REG_RETRY, REG_REPLIED } reg_result_t;

/* One attempt: takes the number, inserts, audits, commits, replies 201. */
static reg_result_t register_once(request_t *req, const letter_input_t *in, const unit_info_t *unit)
{
    bool out = strcmp(in->direction, "out") == 0;
    const char *user_id = user_id_text(req);
    if (!req_begin(req))
        return REG_REPLIED;
    const char *seq = NULL, *year = NULL;
    const char *letter_number = in->letter_number;
    char number[NUMBER_MAX_LEN + 1];
    char code[TRACKING_CODE_LEN + 1];
    const char *tracking = NULL;
    if (out) {
        const char *take[] = {unit->unit_id, in->direction, clock_test_now()};
        PGresult *res = req_sql(req, TAKE_NUMBER_SQL, 3, take);
        if (!res)
            return REG_REPLIED;
        seq = db_get(res, 0, "last_value");
        year = db_get(res, 0, "year");
        if (!format_number(req, unit, in->classification, in->security, atol(seq), atoi(year),
                           atoi(db_get(res, 0, "month")), "invalid_field", number))
            return REG_REPLIED;
        letter_number = number;
    } else {
        tracking_code_new(code);
        tracking = code;
    }
    const char *params[] = {in->direction,
                            unit->unit_id,
                            seq,
                            year,
                            letter_number,
                            in->letter_date,
                            in->sender ? in->sender : unit->unit_name,
                            in->recipient,
                            in->subject,
                            in->summary,
                            in->classification,
                            in->security,
                            in->urgency,
                            in->to_position_id,
                            tracking,
                            user_id,
                            clock_test_now()};
    /* One round trip: the letter with all that comes with it, COMMIT (where
     * an incoming letter gets its number), and the letter read back. */
    const char *sql = out ? INSERT_OUTGOING_SQL : in->to_position_id ? INSERT_ROUTED_SQL : INSERT_INCOMING_SQL;
    PGresult *res = req_try_audited_commit(req, in->to_position_id != NULL, sql, 17, params, REGISTERED_LETTER_SQL);
    if (!res) {
        if (unique_violation(req, "tracking_code")) {
            db_rollback(req->db);
            return REG_RETRY;
        }
        if (unique_violation(req, "letters_in_sender_number_key"))
            reply_error(req, 409, "conflict", "letter_number",
                        "letter_number: a letter numbered %s from %s is already registered", in->letter_number,
                        in->sender);
        else if (unique_violation(req, "letters_out_unit_number_key"))
            reply_error(req, 409, "conflict", NULL,
                        "the number %s is already used in unit %s (does the template lack {tahun}?)", letter_number,
                        unit->unit_code);
        else
            reply_db_error(req);
        db_rollback(req->db);
        return REG_REPLIED;
    }
    reply_json(req, 201, registered_letter_json(req, res, in, unit, letter_number, params[6], tracking));
    return REG_DONE;
}

void letters_create(request_t *req)
{
    json_t *body = req_json_body(req);
    if (!body)
        return;
    letter_input_t in;
    if (!read_letter_input(req, body, &in))
        return;
    bool out = strcmp(in.direction, "out") == 0;
    if (!out && !(req->user->roles & ROLE_FRONT_DESK)) {
        reply_error(req, 403, "forbidden", NULL, "only the front desk registers incoming letters");
        return;
    }
    unit_info_t unit;
    if (!caller_unit(req, in.unit_id, in.classification, in.to_position_id, &unit))
        return;
    if (!unit.classification_ok) {
        reply_error(req, 400, "invalid_field", "classification", "classification: no such code: %s", in.classification);
        return;
    }
    if (in.to_position_id) {
        if (!unit.target || strcmp(unit.target, "inactive") == 0) {
            reply_error(req, 400, "invalid_field", "to_position_id", "to_position_id: no such position: %s",
                        in.to_position_id);
            return;
        }
        if (!out && strcmp(unit.target, "entry") != 0) {
            reply_error(req, 403, "forbidden", "to_position_id",
                        "to_position_id: the front desk routes new letters only to entry points (the leaders)");
            return;
        }
    }
    for (int attempt = 0; attempt < REGISTER_ATTEMPTS; attempt++)
        if (register_once(req, &in, &unit) != REG_RETRY)
            return;
    log_error("tracking code collided %d times in a row", REGISTER_ATTEMPTS);
    reply_error(req, 503, "busy", NULL, "could not register the letter, try again");
}

/* ------------------------------------------------------------------------
 * GET /api/numbering/preview */

static const char PREVIEW_SQL[] =
    "SELECT coalesce((SELECT c.last_value FROM number_counters c"
    "                  WHERE c.unit_id = $1 AND c.kind = 'out'"
    "                    AND c.year = extract(year FROM coalesce($2::timestamptz, now()))::int), 0) + 1 AS seq,"
    "  extract(year FROM coalesce($2::timestamptz, now()))::int AS year,"
    "  extract(month FROM coalesce($2::timestamptz, now()))::int AS month";

void numbering_preview(request_t *req)
{
    const char *unit_id = req_param(req, "unit_id");
    const char *classification = req_param(req, "classification");
    const char *security = req_param(req, "security");
    if (unit_id && *unit_id && !id_valid(unit_id)) {
        q_fail(req, "unit_id", "expected a positive integer id");
        return;
    }
    if (classification && *classification && !classification_code_valid(classification)) {
        q_fail(req, "classification", "expected a code such as 005 or 000.8.3.3");
        return;
    }
    if (security && *security && !enum_valid(security, V_SECURITIES)) {
        q_fail(req, "security", "expected biasa, terbatas, rahasia or sangat_rahasia");
        return;
    }
    unit_id = unit_id && *unit_id ? unit_id : NULL;
    classification = classification && *classification ? classification : NULL;
    security = security && *security ? security : "biasa";
    unit_info_t unit;
    if (!caller_unit(req, unit_id, classification, NULL, &unit))
        return;
    if (!unit.classification_ok) {
        q_fail(req, "classification", "no such code");
        return;
    }
    const char *params[] = {unit.unit_id, clock_test_now()};
    PGresult *res = req_sql(req, PREVIEW_SQL, 2, params);
    if (!res)
        return;
    long seq = atol(db_get(res, 0, "seq"));
    int year = atoi(db_get(res, 0, "year"));
    char number[NUMBER_MAX_LEN + 1];
    if (!format_number(req, &unit, classification, security, seq, year, atoi(db_get(res, 0, "month")), "invalid_query",
                       number))
        return;
    reply_json(req, 200,
               json_pack("{s:s, s:I, s:i, s:s, s:{s:I, s:s, s:s}}", "letter_number", number, "sequence",
                         (json_int_t)seq, "year", year, "template", unit.template, "unit", "id",
                         (json_int_t)atoll(unit.unit_id), "code", unit.unit_code, "name", unit.unit_name));
}

/* ------------------------------------------------------------------------
 * GET /api/letters */

/* Only letters the caller may see; every filter is optional ($n IS NULL).
 * Pagination by keyset (created_at, id), newest first; one row more than
 * asked tells whether there is a next page. */
static const char LIST_SQL[] = "SELECT letter_json(l)::text AS letter, l.id,"
                               "  (extract(epoch FROM l.created_at) * 1000000)::bigint AS epoch_us "
                               "FROM letters l "
                               "WHERE letter_visible(l.id, l.security, l.unit_id, $1)"
                               "  AND ($2::text IS NULL OR l.direction = $2)"
                               "  AND ($3::text IS NULL OR l.letter_number ILIKE '%' || $3 || '%')"
                               "  AND ($4::text IS NULL OR l.sender ILIKE '%' || $4 || '%')"
                               "  AND ($5::text IS NULL OR l.classification LIKE $5 || '%')"
                               "  AND ($6::date IS NULL OR l.created_at >= $6::date::timestamptz)"
                               "  AND ($7::date IS NULL OR l.created_at < ($7::date + 1)::timestamptz)"
                               "  AND ($8::text IS NULL OR l.status = $8)"
                               "  AND ($9::bigint IS NULL OR (l.created_at, l.id) <"
                               "       ('epoch'::timestamptz + $9::bigint * interval '1 microsecond', $10::bigint)) "
                               "ORDER BY l.created_at DESC, l.id DESC LIMIT $11::int + 1";

/* s with LIKE's metacharacters (\ % _) escaped, so that the user's text
 * matches literally. */
static const char *like_escape(request_t *req, const char *s)
{
    char *out = arena_alloc(req->arena, 2 * strlen(s) + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (; *s; s++) {
        if (*s == '\\' || *s == '%' || *s == '_')
            *o++ = '\\';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

/* "<epoch microseconds>.<id>" from a previous page's next_cursor. */
static bool parse_cursor(const char *cursor, char epoch[24], char id[24])
{
    const char *dot = strchr(cursor, '.');
    if (!dot)
        return false;
    size_t n = (size_t)(dot - cursor);
    const char *digits = cursor[0] == '-' ? cursor + 1 : cursor;
    size_t ndigits = (size_t)(dot - digits);
    if (ndigits == 0 || ndigits > 17 || strspn(digits, "0123456789") != ndigits || !id_valid(dot + 1))
        return false;
    memcpy(epoch, cursor, n);
    epoch[n] = '\0';
    snprintf(id, 24, "%s", dot + 1);
    return true;
}

void letters_list(request_t *req)
{
    const char *direction = q_param(req, "direction"), *number = q_param(req, "number"),
               *sender = q_param(req, "sender");
    const char *classification = q_param(req, "classification"), *from = q_param(req, "from"), *to = q_param(req, "to");
    const char *status = q_param(req, "status"), *limit_text = q_param(req, "limit"), *cursor = q_param(req, "cursor");
    if (direction && !enum_valid(direction, V_DIRECTIONS)) {
        q_fail(req, "direction", "expected in or out");
        return;
    }
    if (number && utf8_chars(number) > MAX_NUMBER) {
        q_fail(req, "number", "too long");
        return;
    }
    if (sender && utf8_chars(sender) > MAX_PARTY) {
        q_fail(req, "sender", "too long");
        return;
    }
    if (classification &&
        (strlen(classification) > 64 || strspn(classification, "0123456789.") != strlen(classification))) {
        q_fail(req, "classification", "expected the start of a code, digits and dots");
        return;
    }
    if (from && !date_valid(from)) {
        q_fail(req, "from", "expected YYYY-MM-DD, a date that exists");
        return;
    }
    if (to && !date_valid(to)) {
        q_fail(req, "to", "expected YYYY-MM-DD, a date that exists");
        return;
    }
    if (from && to && strcmp(from, to) > 0) {
        q_fail(req, "to", "before from");
        return;
    }
    if (status && !enum_valid(status, V_STATUSES)) {
        q_fail(req, "status", "expected baru, didisposisi, selesai or diarsipkan");
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
    char epoch[24] = "", after_id[24] = "";
    if (cursor && !parse_cursor(cursor, epoch, after_id)) {
        q_fail(req, "cursor", "not a cursor this server gave (use next_cursor as it is)");
        return;
    }
    char limit_buf[8];
    snprintf(limit_buf, sizeof limit_buf, "%ld", limit);
    const char *params[] = {user_id_text(req),
                            direction,
                            number ? like_escape(req, number) : NULL,
                            sender ? like_escape(req, sender) : NULL,
                            classification ? like_escape(req, classification) : NULL,
                            from,
                            to,
                            status,
                            cursor ? epoch : NULL,
                            cursor ? after_id : NULL,
                            limit_buf};
    /* Planned for these filters (the connection's default is a generic
     * plan): a filter left out ($n IS NULL) then costs nothing, and the
     * page is read backwards from letters_created_at_idx; the generic plan
     * scanned and sorted the whole table (38 ms at 18 000 letters, 2.6 ms
     * planned for the values). */
    if (!req_begin(req) || !req_sql(req, "SELECT set_config('plan_cache_mode', 'force_custom_plan', true)", 0, NULL))
        return;
    PGresult *res = req_sql(req, LIST_SQL, 11, params);
    if (!res || !req_commit(req))
        return;
    int rows = PQntuples(res);
    int shown = rows > limit ? (int)limit : rows;
    json_t *items = json_array();
    for (int i = 0; i < shown; i++)
        json_array_append_new(items, json_loads(db_get(res, i, "letter"), 0, NULL));
    json_t *next = json_null();
    if (rows > limit)
        next = json_string(
            arena_printf(req->arena, "%s.%s", db_get(res, shown - 1, "epoch_us"), db_get(res, shown - 1, "id")));
    reply_json(req, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next));
}

/* ------------------------------------------------------------------------
 * GET /api/letters/{id} */

/* The letter's page as JSON (scans, disposition tree with overdue branches
 * as of today ($3, the test clock), history), kept in letter_docs by
 * sql/009_letter_docs.sql: one row looked up by key; no row when the letter
 * does not exist or the caller may not see it, a NULL doc when it is to be
 * built (LETTER_DOC_FILL_SQL). Visibility is spelled out for the common
 * case so that most reads call no function. */
static const char GET_SQL[] =
    "SELECT d.security, CASE WHEN d.doc_date = coalesce($3::timestamptz, now())::date"
    "  AND d.doc_generation = (SELECT generation FROM letter_docs_generation) THEN d.doc END AS letter "
    "FROM letter_docs d "
    "WHERE d.letter_id = $1 AND (d.security IN ('biasa', 'terbatas') OR "
    "letter_visible(d.letter_id, d.security, d.unit_id, $2))";
static const char LETTER_DOC_FILL_SQL[] =
    "SELECT letter_doc_fill($1, coalesce($2::timestamptz, now())::date) AS letter";

static void reply_no_letter(request_t *req)
{
    reply_error(req, 404, "not_found", NULL, "no such letter");
}

static bool confidential(const char *security)
{
    return strcmp(security, "rahasia") == 0 || strcmp(security, "sangat_rahasia") == 0;
}

void letters_get(request_t *req)
{
    const char *letter_id = req->args[0];
    /* Not under the test clock: the page shows overdue branches as of today. */
    bool cacheable = id_valid(letter_id) && !clock_test_now();
    if (cacheable) {
        size_t len;
        const char *page = view_cache_peek(VIEW_LETTER, atoll(letter_id), "", &len);
        if (page) {
            reply_raw_json_n(req, 200, page, len);
            return;
        }
    }
    unsigned long generation = view_cache_generation();
    const char *params[] = {letter_id, user_id_text(req), clock_test_now()};
    PGresult *res = req_sql(req, GET_SQL, 3, params);
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        reply_no_letter(req);
        return;
    }
    const char *security = db_get(res, 0, "security");
    /* Kept only as letter_docs holds it: a change then finds the document
     * there and notifies (sql/013_view_notify.sql). */
    if (cacheable && db_get(res, 0, "letter") && !confidential(security))
        view_cache_put(VIEW_LETTER, atoll(letter_id), "", db_get(res, 0, "letter"), generation);
    if (!db_get(res, 0, "letter")) {
        const char *fill_params[] = {letter_id, clock_test_now()};
        PGresult *built = req_sql(req, LETTER_DOC_FILL_SQL, 2, fill_params);
        if (!built)
            return;
        if (PQntuples(built) != 1 || !db_get(built, 0, "letter")) {
            reply_no_letter(req);
            return;
        }
        res = built;
    }
    /* Every reading of a confidential letter is on the record. */
    if (confidential(security)) {
        if (!req_begin(req) || !req_audit_commit(req, NULL, "letter.view", "letter", letter_id,
                                                 json_pack("{s:I}", "letter_id", (json_int_t)atoll(letter_id))))
            return;
    }
    reply_raw_json(req, 200, db_get(res, 0, "letter"));
}

/* ------------------------------------------------------------------------
 * PATCH /api/letters/{id} */

/* The correctable fields, in the order of API.md. */
static const char *const PATCH_FIELDS[] = {"sender",  "recipient",      "letter_number", "letter_date", "subject",
                                           "summary", "classification", "security",      "urgency",     NULL};

/* Locks the letter; its correctable fields as they are, and whether the
 * caller may correct it (an admin, or the front desk of its unit). */
static const char PATCH_LOCK_SQL[] =
    "SELECT l.direction, letter_json(l)::text AS letter,"
    "  jsonb_build_object('sender', l.sender, 'recipient', l.recipient, 'letter_number', l.letter_number,"
    "    'letter_date', l.letter_date, 'subject', l.subject, 'summary', l.summary,"
    "    'classification', l.classification, 'security', l.security, 'urgency', l.urgency)::text AS old,"
    "  (EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = $2 AND r.role = 'admin')"
    "   OR EXISTS (SELECT 1 FROM user_roles r JOIN current_position_holders h ON h.user_id = r.user_id"
    "              JOIN positions p ON p.id = h.position_id"
    "              WHERE r.user_id = $2 AND r.role = 'front_desk' AND p.unit_id = l.unit_id)) AS may_edit,"
    "  ($3::text IS NULL OR EXISTS (SELECT 1 FROM classifications c WHERE c.code = $3)) AS class_ok "
    "FROM letters l WHERE l.id = $1 AND letter_visible(l.id, l.security, l.unit_id, $2) "
    "FOR UPDATE OF l";

/* $2: the changed fields as a JSON object; the others stay. */
static const char PATCH_SQL[] =
    "WITH p AS (SELECT $2::jsonb AS j), u AS ("
    "  UPDATE letters l SET"
    "    sender = CASE WHEN p.j ? 'sender' THEN p.j ->> 'sender' ELSE l.sender END,"
    "    recipient = CASE WHEN p.j ? 'recipient' THEN p.j ->> 'recipient' ELSE l.recipient END,"
    "    letter_number = CASE WHEN p.j ? 'letter_number' THEN p.j ->> 'letter_number' ELSE l.letter_number END,"
    "    letter_date = CASE WHEN p.j ? 'letter_date' THEN (p.j ->> 'letter_date')::date ELSE l.letter_date END,"
    "    subject = CASE WHEN p.j ? 'subject' THEN p.j ->> 'subject' ELSE l.subject END,"
    "    summary = CASE WHEN p.j ? 'summary' THEN p.j ->> 'summary' ELSE l.summary END,"
    "    classification = CASE WHEN p.j ? 'classification' THEN p.j ->> 'classification'"
    "                     ELSE l.classification END,"
    "    security = CASE WHEN p.j ? 'security' THEN p.j ->> 'security' ELSE l.security END,"
    "    urgency = CASE WHEN p.j ? 'urgency' THEN p.j ->> 'urgency' ELSE l.urgency END"
    "  FROM p WHERE l.id = $1"
    "  RETURNING l.id, letter_json(l) AS letter"
    "), o AS (INSERT INTO index_outbox (letter_id) SELECT id FROM u)"
    "SELECT letter::text AS letter FROM u";

/* The validated corrections as a JSON object (null clears a field that
 * may be empty); NULL after replying. */
static json_t *read_patch(request_t *req, json_t *body)
{
    if (!v_known_fields(req, body, PATCH_FIELDS))
        return NULL;
    if (json_object_size(body) == 0) {
        reply_error(req, 400, "invalid_json", NULL, "nothing to correct: name at least one field");
        return NULL;
    }
    json_t *patch = json_object();
    arena_on_reset(req->arena, json_cleanup, patch);
    struct {
        const char *field;
        size_t max;
        unsigned flags;
    } texts[] = {{"sender", MAX_PARTY, V_REQUIRED},     {"recipient", MAX_PARTY, V_REQUIRED},
                 {"letter_number", MAX_NUMBER, 0},      {"subject", MAX_SUBJECT, V_REQUIRED},
                 {"summary", MAX_SUMMARY, V_MULTILINE}, {"classification", 64, 0}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (!json_object_get(body, texts[i].field))
            continue;
        const char *v;
        if (!v_text(req, body, texts[i].field, texts[i].max, texts[i].flags, &v))
            return NULL;
        json_object_set_new(patch, texts[i].field, v ? json_string(v) : json_null());
    }
    const char *v;
    if (json_object_get(body, "letter_date")) {
        if (!v_date(req, body, "letter_date", 0, &v))
            return NULL;
        json_object_set_new(patch, "letter_date", v ? json_string(v) : json_null());
    }
    if (json_object_get(body, "security")) {
        if (!v_enum(req, body, "security", V_SECURITIES, NULL, &v))
            return NULL;
        json_object_set_new(patch, "security", json_string(v));
    }
    if (json_object_get(body, "urgency")) {
        if (!v_enum(req, body, "urgency", V_URGENCIES, NULL, &v))
            return NULL;
        json_object_set_new(patch, "urgency", json_string(v));
    }
    const char *code = json_string_value(json_object_get(patch, "classification"));
    if (code && !classification_code_valid(code)) {
        reply_error(req, 400, "invalid_field", "classification",
                    "classification: expected a code such as 005 or 000.8.3.3");
        return NULL;
    }
    return patch;
}

/* PATCH bodies are checked before the letter is looked at, so a caller
 * learns nothing about letters it may not see from a 400: only well-formed
 * requests reach the 404. */
void letters_patch(request_t *req)
{
    const char *letter_id = req->args[0];
    json_t *body = req_json_body(req);
    if (!body)
        return;
    /* Whether letter_number may be corrected depends on the direction:
     * checked below, once the letter is known. */
    json_t *patch = read_patch(req, body);
    if (!patch)
        return;
    const char *classification = json_string_value(json_object_get(patch, "classification"));
    const char *lock[] = {letter_id, user_id_text(req), classification};
    if (!req_begin(req))
        return;
    PGresult *res = req_sql(req, PATCH_LOCK_SQL, 3, lock);
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        reply_no_letter(req);
        return;
    }
    if (strcmp(db_get(res, 0, "may_edit"), "t") != 0) {
        reply_error(req, 403, "forbidden", NULL,
                    "only the front desk of the registering unit or an admin corrects "
                    "a letter");
        return;
    }
    if (strcmp(db_get(res, 0, "direction"), "out") == 0 && json_object_get(patch, "letter_number")) {
        reply_error(req, 400, "invalid_field", "letter_number",
                    "letter_number: an outgoing letter's number is given by the registry");
        return;
    }
    if (strcmp(db_get(res, 0, "class_ok"), "t") != 0) {
        reply_error(req, 400, "invalid_field", "classification", "classification: no such code: %s", classification);
        return;
    }
    /* What really changes, with the old and the new value for the audit. */
    json_t *old = json_loads(db_get(res, 0, "old"), 0, NULL);
    json_t *changes = json_object();
    const char *key;
    json_t *value;
    json_object_foreach(patch, key, value)
    {
        json_t *was = json_object_get(old, key);
        if (!json_equal(was, value))
            json_object_set_new(changes, key, json_pack("{s:O, s:O}", "old", was, "new", value));
    }
    json_decref(old);
    if (json_object_size(changes) == 0) {
        json_decref(changes);
        db_rollback(req->db);
        reply_raw_json(req, 200, db_get(res, 0, "letter"));
        return;
    }
    /* Only the changed fields go to the UPDATE. */
    json_t *update = json_object();
    json_object_foreach(changes, key, value) json_object_set(update, key, json_object_get(value, "new"));
    char *update_text = json_dumps(update, JSON_COMPACT);
    json_decref(update);
    const char *params[] = {letter_id, update_text ? arena_strdup(req->arena, update_text) : "{}"};
    free(update_text);
    PGresult *done = req_sql_try(req, PATCH_SQL, 2, params);
    if (!done) {
        if (unique_violation(req, "letters_in_sender_number_key"))
            reply_error(req, 409, "conflict", "letter_number",
                        "letter_number: another letter from this sender has this number");
        else
            reply_db_error(req);
        json_decref(changes);
        db_rollback(req->db);
        return;
    }
    json_t *detail = json_pack("{s:I, s:o}", "letter_id", (json_int_t)atoll(letter_id), "changes", changes);
    if (!req_audit_commit(req, NULL, "letter.update", "letter", letter_id, detail))
        return;
    reply_raw_json(req, 200, db_get(done, 0, "letter"));
}
