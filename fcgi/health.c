#include "health.h"

#include <stdlib.h>
#include <string.h>

/* One round trip: the OCR queue by state, the index outbox lag and the
 * last heartbeat of an esurat-worker. */
static const char HEALTH_SQL[] = "SELECT"
                                 "  (SELECT count(*) FROM ocr_jobs WHERE status = 'queued') AS queued,"
                                 "  (SELECT count(*) FROM ocr_jobs WHERE status = 'running') AS running,"
                                 "  (SELECT count(*) FROM ocr_jobs WHERE status = 'failed') AS failed,"
                                 "  (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint"
                                 "     FROM index_outbox WHERE processed_at IS NULL) AS index_lag_s,"
                                 "  (SELECT coalesce(extract(epoch FROM now() - max(seen_at)), -1)::bigint"
                                 "     FROM worker_heartbeats) AS worker_seen_s,"
                                 "  (SELECT count(*) FROM sessions WHERE expires_at > now()) AS sessions";

/* An index lag beyond this many seconds means the indexer is behind. */
#define INDEX_LAG_OK_S 60

static long long col(const PGresult *res, const char *name)
{
    const char *v = db_get(res, 0, name);
    return v ? strtoll(v, NULL, 10) : 0;
}

void health_get(request_t *req)
{
    PGresult *res = db_query(req->db, HEALTH_SQL, 0, NULL);
    if (!res) {
        reply_json(req, 503, json_pack("{s:s, s:s}", "status", "unavailable", "db", "down"));
        return;
    }
    long long lag = col(res, "index_lag_s"), seen = col(res, "worker_seen_s");
    json_t *body = json_pack("{s:s, s:s, s:{s:b, s:I}, s:{s:I, s:I, s:I}, s:{s:b, s:I}}", "status", "ok", "db", "ok",
                             "index", "ok", lag <= INDEX_LAG_OK_S, "lag_s", lag, "ocr", "queued", col(res, "queued"),
                             "running", col(res, "running"), "failed", col(res, "failed"), "worker", "ok",
                             seen >= 0 && seen <= 60, "seen_s", seen);
    PQclear(res);
    reply_json(req, 200, body);
}

void metrics_get(request_t *req)
{
    PGresult *res = db_query(req->db, HEALTH_SQL, 0, NULL);
    if (!res) {
        reply_text(req, 200, "text/plain; version=0.0.4",
                   "# HELP esurat_db_up PostgreSQL reachable.\n"
                   "# TYPE esurat_db_up gauge\nesurat_db_up 0\n");
        return;
    }
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
                              "esurat_sessions %lld\n",
                              col(res, "queued"), col(res, "running"), col(res, "failed"), col(res, "index_lag_s"),
                              col(res, "worker_seen_s"), col(res, "sessions"));
    PQclear(res);
    reply_text(req, 200, "text/plain; version=0.0.4", text ? text : "");
}
