#include "health.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* esurat-worker writes the queue's counts and the index lag into one row
 * at every heartbeat; health reads that row rather than counting the
 * queue on every call (it is polled often). */
/* The scan store's fixity (sql/010_export.sql): one row, kept by
 * `esurat fixity` and esurat-worker's fixity thread. */
#define FIXITY_COLUMNS                                                                                                 \
    "  (SELECT row(f.files, f.unchecked, f.missing, f.changed,"                                                     \
    "              coalesce(extract(epoch FROM now() - f.last_check_at)::bigint, -1),"                              \
    "              coalesce(extract(epoch FROM now() - f.oldest_check_at)::bigint, -1))::text"                      \
    "     FROM fixity_health f) AS fixity"

static const char HEARTBEAT_SQL[] =
    "SELECT queued, running, failed, index_lag_s,"
    "  extract(epoch FROM now() - updated_at)::bigint AS worker_seen_s," FIXITY_COLUMNS " FROM queue_health";

/* When no worker reports (or none lately), the same figures counted here. */
static const char COUNT_SQL[] = "SELECT"
                                "  (SELECT count(*) FROM ocr_jobs WHERE status = 'queued') AS queued,"
                                "  (SELECT count(*) FROM ocr_jobs WHERE status = 'running') AS running,"
                                "  (SELECT count(*) FROM ocr_jobs WHERE status = 'failed') AS failed,"
                                "  (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint"
                                "     FROM index_outbox WHERE processed_at IS NULL) AS index_lag_s,"
                                "  (SELECT coalesce(extract(epoch FROM now() - max(seen_at)), -1)::bigint"
                                "     FROM worker_heartbeats) AS worker_seen_s," FIXITY_COLUMNS;

/* A heartbeat older than this means the worker is gone or stuck. */
#define WORKER_SEEN_OK_S 60
/* An index lag beyond this many seconds means the indexer is behind. */
#define INDEX_LAG_OK_S 60
/* Every scan file is to be checked again within a month. */
#define FIXITY_AGE_OK_S (31LL * 86400)

typedef struct {
    long long files, unchecked, missing, changed, last_check_s, oldest_check_s;
} fixity_t;

typedef struct {
    long long queued, running, failed, index_lag_s, worker_seen_s;
    fixity_t fixity;
} health_t;

/* "(files,unchecked,missing,changed,last_s,oldest_s)"; zeros and -1 when
 * no check has run yet. */
static fixity_t fixity_parse(const char *text)
{
    fixity_t f = {0, 0, 0, 0, -1, -1};
    if (text)
        sscanf(text, "(%lld,%lld,%lld,%lld,%lld,%lld)", &f.files, &f.unchecked, &f.missing, &f.changed,
               &f.last_check_s, &f.oldest_check_s);
    return f;
}

static bool fixity_ok(const fixity_t *f)
{
    return f->missing == 0 && f->changed == 0 && f->oldest_check_s <= FIXITY_AGE_OK_S;
}

static long long col(const PGresult *res, const char *name)
{
    const char *v = db_get(res, 0, name);
    return v ? strtoll(v, NULL, 10) : 0;
}

/* 0, or -1 when the database did not answer. */
static int health_read(request_t *req, health_t *h)
{
    PGresult *res = db_query(req->db, HEARTBEAT_SQL, 0, NULL);
    if (res && (PQntuples(res) == 0 || col(res, "worker_seen_s") > WORKER_SEEN_OK_S)) {
        PQclear(res);
        res = db_query(req->db, COUNT_SQL, 0, NULL);
    }
    if (!res)
        return -1;
    *h = (health_t){col(res, "queued"), col(res, "running"), col(res, "failed"), col(res, "index_lag_s"),
                    PQntuples(res) ? col(res, "worker_seen_s") : -1,
                    fixity_parse(PQntuples(res) ? db_get(res, 0, "fixity") : NULL)};
    PQclear(res);
    return 0;
}

void health_get(request_t *req)
{
    health_t h;
    if (health_read(req, &h) < 0) {
        reply_json(req, 503, json_pack("{s:s, s:s}", "status", "unavailable", "db", "down"));
        return;
    }
    /* Only integers and booleans: formatted directly, this endpoint is
     * polled often and serves as the benchmark of the request path. */
    char body[512];
    const fixity_t *f = &h.fixity;
    snprintf(body, sizeof body,
             "{\"status\":\"ok\",\"db\":\"ok\",\"index\":{\"ok\":%s,\"lag_s\":%lld},"
             "\"ocr\":{\"queued\":%lld,\"running\":%lld,\"failed\":%lld},\"worker\":{\"ok\":%s,\"seen_s\":%lld},"
             "\"fixity\":{\"ok\":%s,\"files\":%lld,\"unchecked\":%lld,\"missing\":%lld,\"changed\":%lld,"
             "\"last_check_s\":%lld,\"oldest_check_s\":%lld}}",
             h.index_lag_s <= INDEX_LAG_OK_S ? "true" : "false", h.index_lag_s, h.queued, h.running, h.failed,
             h.worker_seen_s >= 0 && h.worker_seen_s <= WORKER_SEEN_OK_S ? "true" : "false", h.worker_seen_s,
             fixity_ok(f) ? "true" : "false", f->files, f->unchecked, f->missing, f->changed, f->last_check_s,
             f->oldest_check_s);
    reply_raw_json(req, 200, body);
}

void metrics_get(request_t *req)
{
    health_t h;
    PGresult *sessions = NULL;
    if (health_read(req, &h) < 0 ||
        !(sessions = db_query(req->db, "SELECT count(*) AS n FROM sessions WHERE expires_at > now()", 0, NULL))) {
        reply_text(req, 200, "text/plain; version=0.0.4",
                   "# HELP esurat_db_up PostgreSQL reachable.\n# TYPE esurat_db_up gauge\nesurat_db_up 0\n");
        return;
    }
    long long active_sessions = col(sessions, "n");
    PQclear(sessions);
    char *text = arena_printf(req->arena,
                              "# HELP esurat_db_up PostgreSQL reachable.\n"
                              "# TYPE esurat_db_up gauge\n"
                              "esurat_db_up 1\n"
                              "# HELP esurat_ocr_jobs OCR jobs by state.\n"
                              "# TYPE esurat_ocr_jobs gauge\n"
                              "esurat_ocr_jobs{state=\"queued\"} %lld\n"
                              "esurat_ocr_jobs{state=\"running\"} %lld\n"
                              "esurat_ocr_jobs{state=\"failed\"} %lld\n"
                              "# HELP esurat_index_lag_seconds Age of the oldest change not yet indexed.\n"
                              "# TYPE esurat_index_lag_seconds gauge\n"
                              "esurat_index_lag_seconds %lld\n"
                              "# HELP esurat_worker_heartbeat_age_seconds Since an esurat-worker last reported.\n"
                              "# TYPE esurat_worker_heartbeat_age_seconds gauge\n"
                              "esurat_worker_heartbeat_age_seconds %lld\n"
                              "# HELP esurat_sessions Sessions not yet expired.\n"
                              "# TYPE esurat_sessions gauge\n"
                              "esurat_sessions %lld\n"
                              "# HELP esurat_fixity_files Stored scan files by their last fixity check.\n"
                              "# TYPE esurat_fixity_files gauge\n"
                              "esurat_fixity_files{state=\"ok\"} %lld\n"
                              "esurat_fixity_files{state=\"missing\"} %lld\n"
                              "esurat_fixity_files{state=\"changed\"} %lld\n"
                              "esurat_fixity_files{state=\"unchecked\"} %lld\n"
                              "# HELP esurat_fixity_last_check_age_seconds Since a scan file was last checked (-1: never).\n"
                              "# TYPE esurat_fixity_last_check_age_seconds gauge\n"
                              "esurat_fixity_last_check_age_seconds %lld\n"
                              "# HELP esurat_fixity_oldest_check_age_seconds Age of the oldest check of a checked file (-1: none).\n"
                              "# TYPE esurat_fixity_oldest_check_age_seconds gauge\n"
                              "esurat_fixity_oldest_check_age_seconds %lld\n",
                              h.queued, h.running, h.failed, h.index_lag_s, h.worker_seen_s, active_sessions,
                              h.fixity.files - h.fixity.unchecked - h.fixity.missing - h.fixity.changed,
                              h.fixity.missing, h.fixity.changed, h.fixity.unchecked, h.fixity.last_check_s,
                              h.fixity.oldest_check_s);
    reply_text(req, 200, "text/plain; version=0.0.4", text ? text : "");
}
