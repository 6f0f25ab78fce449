#include "search_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "search.h"
#include "textbuf.h"
#include "validate.h"
#include "view_cache.h"

#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_LIMIT 100
#define SEARCH_MAX_OFFSET 10000
#define MAX_NUMBER 100
#define MAX_SENDER 300

const char *const search_params[] = {"q",         "number", "from",   "to",   "sender", "classification",
                                     "direction", "limit",  "offset", "sort", NULL};

/* The caller's access groups (sql/008_search.sql). */
static const char GROUPS_SQL[] = "SELECT user_search_groups($1::bigint) AS groups";

/* The letters of the hits, each checked once more with letter_visible():
 * an index a moment behind a change of rights still shows nothing the
 * caller may not see. By primary key (= ANY keeps the index scan in the
 * generic plan); the index's order is restored in C. */
static const char LETTERS_SQL[] = "SELECT l.id, l.security, letter_json(l)::text AS letter FROM letters l "
                                  "WHERE l.id = ANY($1::bigint[]) "
                                  "AND letter_visible(l.id, l.security, l.unit_id, $2::bigint)";

static search_reader_t *reader;

void search_api_close(void)
{
    search_reader_close(reader);
    reader = NULL;
}

static void result_cleanup(void *res)
{
    search_result_free(res);
}

/* The worker's read handle at the latest revision; NULL after replying 503. */
static search_reader_t *read_handle(request_t *req)
{
    search_error_t err;
    if (reader && search_reader_refresh(reader, &err) != SEARCH_OK) {
        log_warn("search: refreshing the index failed: %s", err.message);
        search_api_close();
    }
    if (!reader) {
        reader = search_reader_open(config_str("ESURAT_INDEX_DIR", "index"), &err);
        if (!reader) {
            if (err.status != SEARCH_MISSING)
                log_error("search: cannot open the index: %s", err.message);
            reply_error(req, 503, "index_unavailable", NULL, "the search index is being built; try again shortly");
            return NULL;
        }
    }
    return reader;
}

static bool bad(request_t *req, const char *field, const char *why)
{
    reply_error(req, 400, "invalid_query", field, "%s: %s", field, why);
    return false;
}

static bool small_number(const char *s, long max, long *out)
{
    if (strlen(s) > 6 || strspn(s, "0123456789") != strlen(s))
        return false;
    *out = atol(s);
    return *out <= max;
}

/* The query from the parameters; false after replying 400. */
static bool read_query(request_t *req, search_query_t *q)
{
    memset(q, 0, sizeof *q);
    q->q = q_param(req, "q");
    q->number = q_param(req, "number");
    q->from = q_param(req, "from");
    q->to = q_param(req, "to");
    q->sender = q_param(req, "sender");
    q->classification = q_param(req, "classification");
    q->direction = q_param(req, "direction");
    const char *limit = q_param(req, "limit"), *offset = q_param(req, "offset"), *sort = q_param(req, "sort");
    if (q->number && utf8_chars(q->number) > MAX_NUMBER)
        return bad(req, "number", "too long");
    if (q->sender && utf8_chars(q->sender) > MAX_SENDER)
        return bad(req, "sender", "too long");
    if (q->classification &&
        (strlen(q->classification) > 64 || strspn(q->classification, "0123456789.") != strlen(q->classification)))
        return bad(req, "classification", "expected the start of a code, digits and dots");
    if (q->direction && !enum_valid(q->direction, V_DIRECTIONS))
        return bad(req, "direction", "expected in or out");
    if (q->from && !date_valid(q->from))
        return bad(req, "from", "expected YYYY-MM-DD, a date that exists");
    if (q->to && !date_valid(q->to))
        return bad(req, "to", "expected YYYY-MM-DD, a date that exists");
    if (q->from && q->to && strcmp(q->from, q->to) > 0)
        return bad(req, "to", "before from");
    long n = SEARCH_DEFAULT_LIMIT;
    if (limit && (!small_number(limit, SEARCH_MAX_LIMIT, &n) || n < 1))
        return bad(req, "limit", "expected 1 to 100");
    q->limit = (unsigned)n;
    n = 0;
    if (offset && !small_number(offset, SEARCH_MAX_OFFSET, &n))
        return bad(req, "offset", "expected 0 to 10000");
    q->offset = (unsigned)n;
    if (sort && strcmp(sort, "relevance") != 0 && strcmp(sort, "date") != 0)
        return bad(req, "sort", "expected relevance or date");
    q->sort = sort && strcmp(sort, "date") == 0 ? SEARCH_SORT_DATE : SEARCH_SORT_RELEVANCE;
    q->facets = q->offset == 0; /* the first page carries them */
    q->snippets = true;
    return true;
}

static json_t *facets_json(const search_facet_t *f, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, f[i].value, json_integer(f[i].count));
    return o;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static bool confidential(const char *security)
{
    return strcmp(security, "rahasia") == 0 || strcmp(security, "sangat_rahasia") == 0;
}

/* The summary (letter_json text) of each hit's letter, NULL for a letter
 * the caller may not see (any more): from the worker's memory, else from
 * PostgreSQL, asked once for all the others. NULL after replying. */
static const char **letter_summaries(request_t *req, const search_result_t *res, const char *user_id,
                                     unsigned long generation)
{
    const char **out = arena_alloc(req->arena, (res->nhits + 1) * sizeof *out);
    /* The others' ids as "{1,2,3}". */
    char *ids = arena_alloc(req->arena, res->nhits * 21 + 3);
    if (!out || !ids) {
        reply_error(req, 503, "busy", NULL, "out of memory, try again");
        return NULL;
    }
    size_t len = 0, missing = 0;
    ids[len++] = '{';
    for (size_t i = 0; i < res->nhits; i++) {
        out[i] = view_cache_get(req->arena, VIEW_SUMMARY, res->hits[i].id, "");
        if (!out[i])
            len += (size_t)sprintf(ids + len, "%s%lld", missing++ ? "," : "", res->hits[i].id);
    }
    ids[len++] = '}';
    ids[len] = '\0';
    if (missing == 0)
        return out;
    const char *lp[] = {ids, user_id};
    PGresult *letters = req_sql(req, LETTERS_SQL, 2, lp);
    if (!letters)
        return NULL;
    for (int k = 0; k < PQntuples(letters); k++) {
        long long id = strtoll(db_get(letters, k, "id"), NULL, 10);
        const char *summary = db_get(letters, k, "letter");
        if (!confidential(db_get(letters, k, "security")))
            view_cache_put(VIEW_SUMMARY, id, "", summary, generation);
        for (size_t i = 0; i < res->nhits; i++)
            if (res->hits[i].id == id && !out[i])
                out[i] = summary;
    }
    return out;
}

/* A JSON value's text appended to b; the value is freed. */
static void append_json(textbuf_t *b, json_t *value)
{
    char *text = value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6)) : NULL;
    json_decref(value);
    if (!text) {
        b->oom = true;
        return;
    }
    tb_puts(b, text);
    free(text);
}

/* The answer, written as text around the summaries PostgreSQL (or the
 * worker's memory) gave, which are not parsed again. */
static void reply_results(request_t *req, const search_result_t *res, const char **summaries, const struct timespec *t0)
{
    textbuf_t b = TEXTBUF_INIT;
    tb_printf(&b, "{\"total\":%lld,\"total_exact\":%s,\"items\":[", (long long)res->total,
              res->total_exact ? "true" : "false");
    bool first = true;
    for (size_t i = 0; i < res->nhits; i++) {
        const search_hit_t *hit = &res->hits[i];
        if (!summaries[i])
            continue; /* not visible any more */
        tb_puts(&b, first ? "{\"letter\":" : ",{\"letter\":");
        first = false;
        tb_puts(&b, summaries[i]);
        tb_puts(&b, ",\"score\":");
        append_json(&b, json_real(hit->score));
        tb_puts(&b, ",\"snippet\":");
        append_json(&b, json_string(hit->snippet ? hit->snippet : ""));
        if (hit->scan_id > 0)
            tb_printf(&b, ",\"scan_id\":%lld,\"page\":%d", (long long)hit->scan_id, (int)hit->page);
        tb_puts(&b, "}");
    }
    tb_puts(&b, "],\"facets\":{\"year\":");
    append_json(&b, facets_json(res->years, res->nyears));
    tb_puts(&b, ",\"classification\":");
    append_json(&b, facets_json(res->classes, res->nclasses));
    tb_printf(&b, "},\"facets_exact\":%s,\"suggestion\":", res->facets_exact ? "true" : "false");
    append_json(&b, res->suggestion ? json_string(res->suggestion) : json_null());
    tb_printf(&b, ",\"plain_words\":%s,\"took_ms\":", res->plain_words ? "true" : "false");
    append_json(&b, json_real(ms_since(t0)));
    tb_puts(&b, "}");
    if (tb_oom(&b))
        reply_error(req, 503, "busy", NULL, "out of memory, try again");
    else
        reply_raw_json(req, 200, b.data);
    tb_free(&b);
}

void search_get(request_t *req)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    search_query_t q;
    if (!read_query(req, &q))
        return;
    const char *user_id = arena_printf(req->arena, "%lld", req->user->id);
    unsigned long generation = view_cache_generation();
    q.groups = view_cache_get(req->arena, VIEW_GROUPS, req->user->id, "");
    if (!q.groups) {
        const char *gp[] = {user_id};
        PGresult *groups = req_sql(req, GROUPS_SQL, 1, gp);
        if (!groups)
            return;
        q.groups = db_get(groups, 0, "groups");
        view_cache_put(VIEW_GROUPS, req->user->id, "", q.groups, generation);
    }
    search_reader_t *r = read_handle(req);
    if (!r)
        return;
    search_result_t *res = arena_alloc(req->arena, sizeof *res);
    if (!res) {
        reply_error(req, 503, "busy", NULL, "out of memory, try again");
        return;
    }
    search_error_t err;
    search_status_t st = search_run(r, &q, res, &err);
    arena_on_reset(req->arena, result_cleanup, res);
    if (st != SEARCH_OK) {
        log_error("search: %s", err.message);
        search_api_close(); /* reopened by the next search */
        reply_error(req, 503, "index_unavailable", NULL, "the search index is unavailable; try again shortly");
        return;
    }

    const char **summaries = letter_summaries(req, res, user_id, generation);
    if (!summaries)
        return;
    reply_results(req, res, summaries, &t0);
}
