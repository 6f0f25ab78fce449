#include "queue.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "log.h"
#include "scanstore.h"

#define MAX_IN_HAND 256

struct queue {
    db_t *db;
    pool_t *pool;
    char worker[160];
    queue_config_t cfg;
    pool_job_t *pending; /* finished, not yet written (database away) */
    double next_renew;
    bool stopping;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char CLAIM_SQL[] =
    "UPDATE ocr_jobs j"
    "   SET status = 'running', attempts = j.attempts + 1, worker = $1,"
    "       lease_until = now() + make_interval(secs => $2::int), started_at = now()"
    "  FROM (SELECT id, status FROM ocr_jobs"
    "         WHERE (status = 'queued' AND run_after <= now())"
    "            OR (status = 'running' AND lease_until < now())"
    "         ORDER BY priority DESC, id"
    "         LIMIT 1 FOR UPDATE SKIP LOCKED) c, scans s"
    " WHERE j.id = c.id AND s.id = j.scan_id"
    " RETURNING j.id, j.scan_id, j.attempts, s.sha256, c.status AS was";

static const char RENEW_SQL[] = "UPDATE ocr_jobs SET lease_until = now() + make_interval(secs => $3::int)"
                                " WHERE id = ANY($1::bigint[]) AND worker = $2 AND status = 'running'";

static const char OWN_SQL[] = "SELECT s.letter_id FROM ocr_jobs j JOIN scans s ON s.id = j.scan_id"
                              " WHERE j.id = $1 AND j.attempts = $2 AND j.worker = $3 AND j.status = 'running'"
                              " FOR UPDATE OF j";

static const char DELETE_PAGES_SQL[] = "DELETE FROM page_texts WHERE scan_id = $1";

static const char INSERT_PAGES_SQL[] =
    "INSERT INTO page_texts (scan_id, page, text, confidence, words, width, height, dpi, rotation, skew, source)"
    " SELECT $1::bigint, p.page, p.text, p.confidence, p.words, p.width, p.height, p.dpi, p.rotation, p.skew,"
    "        p.source"
    "   FROM jsonb_to_recordset($2::jsonb) AS p(page int, text text, confidence real, words jsonb, width int,"
    "        height int, dpi int, rotation smallint, skew real, source text)";

static const char SUGGESTIONS_SQL[] =
    "INSERT INTO scan_suggestions (scan_id, letter_number, letter_date, subject, sender)"
    " VALUES ($1::bigint, $2, $3::date, $4, $5)"
    " ON CONFLICT (scan_id) DO UPDATE SET letter_number = excluded.letter_number,"
    "   letter_date = excluded.letter_date, subject = excluded.subject, sender = excluded.sender,"
    "   created_at = now()";

static const char DONE_SQL[] =
    "WITH job AS ("
    "  UPDATE ocr_jobs SET status = 'done', lease_until = NULL, finished_at = now(), error = NULL,"
    "         error_code = NULL"
    "   WHERE id = $1::bigint RETURNING scan_id"
    "), scan AS ("
    "  UPDATE scans SET pages = $2::int WHERE id = (SELECT scan_id FROM job) RETURNING letter_id"
    ")"
    " INSERT INTO index_outbox (letter_id) SELECT letter_id FROM scan WHERE letter_id IS NOT NULL";

static const char FAIL_SQL[] =
    "UPDATE ocr_jobs SET"
    "   status = CASE WHEN $4::bool OR attempts >= $5::int THEN 'failed' ELSE 'queued' END,"
    "   run_after = now() + make_interval(secs => $6::int * power(2, greatest(attempts - 1, 0))::int),"
    "   lease_until = NULL, error = $7, error_code = $8,"
    "   finished_at = CASE WHEN $4::bool OR attempts >= $5::int THEN now() END"
    " WHERE id = $1::bigint AND attempts = $2::int AND worker = $3 AND status = 'running'"
    " RETURNING status";

static const char RELEASE_SQL[] =
    "WITH released AS ("
    "  UPDATE ocr_jobs SET status = 'queued', attempts = greatest(attempts - 1, 0), lease_until = NULL,"
    "         run_after = now()"
    "   WHERE id = ANY($1::bigint[]) AND worker = $2 AND status = 'running' RETURNING id"
    ") SELECT count(*) AS n, pg_notify('ocr_jobs', 'released') FROM released";

queue_t *queue_create(db_t *db, pool_t *pool, const char *worker, const queue_config_t *cfg)
{
    queue_t *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->db = db;
    q->pool = pool;
    snprintf(q->worker, sizeof q->worker, "%s", worker);
    q->cfg = *cfg;
    q->next_renew = now_s() + cfg->lease_seconds / 3.0;
    return q;
}

void queue_destroy(queue_t *q)
{
    if (!q)
        return;
    for (pool_job_t *j = q->pending, *next; j; j = next) {
        next = j->next;
        pool_job_free(j);
    }
    free(q);
}

static void fmt_ll(char *buf, size_t n, long long v)
{
    snprintf(buf, n, "%lld", v);
}

/* "{1,2,3}" of the ids in hand. */
static char *ids_array(queue_t *q, int *count)
{
    long long ids[MAX_IN_HAND];
    int n = pool_job_ids(q->pool, ids, MAX_IN_HAND);
    for (pool_job_t *j = q->pending; j && n < MAX_IN_HAND; j = j->next)
        ids[n++] = j->job_id;
    *count = n;
    char *s = malloc((size_t)n * 21 + 3);
    if (!s)
        return NULL;
    size_t off = 0;
    s[off++] = '{';
    for (int i = 0; i < n; i++)
        off += (size_t)sprintf(s + off, "%s%lld", i ? "," : "", ids[i]);
    s[off++] = '}';
    s[off] = '\0';
    return s;
}

static void renew(queue_t *q)
{
    int n = 0;
    char *ids = ids_array(q, &n);
    if (ids && n > 0) {
        char lease[16];
        snprintf(lease, sizeof lease, "%d", q->cfg.lease_seconds);
        const char *params[] = {ids, q->worker, lease};
        db_exec(q->db, RENEW_SQL, 3, params);
    }
    free(ids);
    q->next_renew = now_s() + q->cfg.lease_seconds / 3.0;
}

/* Writes a result; true when done with the job (written, refused by the
 * fence, or failed for good), false to keep it for later (database away). */
static bool write_failed(queue_t *q, pool_job_t *job);

static bool write_done(queue_t *q, pool_job_t *job)
{
    char id[24], token[16], npages[16];
    fmt_ll(id, sizeof id, job->job_id);
    snprintf(token, sizeof token, "%d", job->token);
    snprintf(npages, sizeof npages, "%d", job->result.npages);
    char scan[24];
    fmt_ll(scan, sizeof scan, job->scan_id);
    json_t *pages = scan_result_pages_json(&job->result);
    char *pages_text = pages ? json_dumps(pages, JSON_COMPACT) : NULL;
    json_decref(pages);
    if (!pages_text) {
        log_error("ocr job %s: out of memory encoding its pages", id);
        return false;
    }
    const suggest_t *sg = &job->result.suggestions;
    bool ok = false, lost = false;
    if (db_begin(q->db) < 0)
        goto cleanup;
    const char *own_params[] = {id, token, q->worker};
    PGresult *res = db_query(q->db, OWN_SQL, 3, own_params);
    if (!res)
        goto rollback;
    if (PQntuples(res) != 1) {
        PQclear(res);
        lost = true;
        goto rollback;
    }
    PQclear(res);
    const char *scan_params[] = {scan};
    const char *page_params[] = {scan, pages_text};
    const char *sugg_params[] = {scan, sg->letter_number[0] ? sg->letter_number : NULL,
                                 sg->letter_date[0] ? sg->letter_date : NULL, sg->subject[0] ? sg->subject : NULL,
                                 sg->sender[0] ? sg->sender : NULL};
    const char *done_params[] = {id, npages};
    if (db_exec(q->db, DELETE_PAGES_SQL, 1, scan_params) < 0 || db_exec(q->db, INSERT_PAGES_SQL, 2, page_params) < 0 ||
        db_exec(q->db, SUGGESTIONS_SQL, 5, sugg_params) < 0 || db_exec(q->db, DONE_SQL, 2, done_params) < 0)
        goto rollback;
    if (db_commit(q->db) < 0)
        goto cleanup;
    ok = true;
    log_info("ocr job %s (scan %s): %d pages read in %.1f s", id, scan, job->result.npages, job->seconds);
    goto cleanup;
rollback:
    db_rollback(q->db);
cleanup:
    free(pages_text);
    if (lost)
        log_warn("ocr job %s: its lease was lost (another worker has it); result dropped", id);
    if (ok || lost)
        return true;
    if (db_unavailable(q->db))
        return false;
    /* PostgreSQL refused the result itself: recorded as a failure. */
    job->rc = ocr_fail(&job->err, false, "internal", "the text could not be stored: %s", db_error(q->db));
    return write_failed(q, job);
}

static bool write_failed(queue_t *q, pool_job_t *job)
{
    char id[24], token[16], max[16], retry[16];
    fmt_ll(id, sizeof id, job->job_id);
    snprintf(token, sizeof token, "%d", job->token);
    snprintf(max, sizeof max, "%d", q->cfg.max_attempts);
    snprintf(retry, sizeof retry, "%d", q->cfg.retry_seconds);
    const char *params[] = {id, token, q->worker, job->err.permanent ? "true" : "false", max, retry,
                            job->err.message, job->err.code};
    PGresult *res = db_query(q->db, FAIL_SQL, 8, params);
    if (!res)
        return !db_unavailable(q->db);
    if (PQntuples(res) == 1)
        log_warn("ocr job %s (scan %lld): %s: %s (%s)", id, job->scan_id, job->err.code, job->err.message,
                 strcmp(db_get(res, 0, "status"), "failed") == 0 ? "failed" : "will be tried again");
    else
        log_warn("ocr job %s: its lease was lost; failure not recorded", id);
    PQclear(res);
    return true;
}

static bool write_result(queue_t *q, pool_job_t *job)
{
    if (job->rc == 0)
        return write_done(q, job);
    return write_failed(q, job);
}

void queue_collect(queue_t *q)
{
    pool_job_t *job;
    while ((job = pool_take(q->pool))) {
        job->next = q->pending;
        q->pending = job;
    }
}

/* Writes what is pending; stops at the first that must wait. */
static void flush(queue_t *q)
{
    queue_collect(q);
    pool_job_t **pp = &q->pending;
    while (*pp) {
        pool_job_t *job = *pp;
        if (job->rc != 0 && strcmp(job->err.code, "cancelled") == 0) {
            pp = &job->next; /* released at shutdown */
            continue;
        }
        if (!write_result(q, job))
            return;
        *pp = job->next;
        pool_job_free(job);
    }
}

/* Claims one job and hands it to the pool; true when one was claimed. */
static bool claim(queue_t *q)
{
    char lease[16];
    snprintf(lease, sizeof lease, "%d", q->cfg.lease_seconds);
    const char *params[] = {q->worker, lease};
    PGresult *res = db_query(q->db, CLAIM_SQL, 2, params);
    if (!res || PQntuples(res) != 1) {
        PQclear(res);
        return false;
    }
    pool_job_t *job = calloc(1, sizeof *job);
    if (!job) {
        PQclear(res);
        return false;
    }
    job->job_id = strtoll(db_get(res, 0, "id"), NULL, 10);
    job->scan_id = strtoll(db_get(res, 0, "scan_id"), NULL, 10);
    job->token = (int)strtol(db_get(res, 0, "attempts"), NULL, 10);
    bool stale = strcmp(db_get(res, 0, "was"), "running") == 0;
    job->path = scanstore_file_path(q->cfg.scan_dir, db_get(res, 0, "sha256"));
    PQclear(res);
    if (stale && job->token > q->cfg.max_attempts) {
        /* Its workers died on it again and again: do not try once more. */
        job->rc = ocr_fail(&job->err, true, "worker_lost", "the worker stopped while reading this scan %d times",
                           job->token - 1);
        write_failed(q, job);
        pool_job_free(job);
        return true;
    }
    if (!job->path) {
        job->rc = ocr_fail(&job->err, true, "internal", "the scan has an invalid file name");
        write_failed(q, job);
        pool_job_free(job);
        return true;
    }
    if (stale)
        log_warn("ocr job %lld: its worker's lease ran out; taken over (attempt %d)", job->job_id, job->token);
    pool_submit(q->pool, job);
    return true;
}

void queue_step(queue_t *q)
{
    flush(q);
    if (now_s() >= q->next_renew)
        renew(q);
    while (!q->stopping && pool_in_flight(q->pool) < pool_threads(q->pool) && claim(q))
        ;
}

int queue_next_due_ms(queue_t *q)
{
    if (pool_in_flight(q->pool) == 0 && !q->pending)
        return -1;
    double ms = (q->next_renew - now_s()) * 1000.0;
    return ms < 0 ? 0 : (int)ms + 1;
}

void queue_shutdown(queue_t *q)
{
    q->stopping = true;
    double deadline = now_s() + q->cfg.stop_grace_seconds;
    int waiting = pool_in_flight(q->pool);
    if (waiting > 0)
        log_info("stopping: waiting up to %d s for %d ocr jobs in hand", q->cfg.stop_grace_seconds, waiting);
    while (pool_in_flight(q->pool) > 0 && now_s() < deadline) {
        struct pollfd p = {.fd = pool_fd(q->pool), .events = POLLIN};
        poll(&p, 1, 200);
        if (db_ready(q->db)) {
            flush(q);
            if (now_s() >= q->next_renew)
                renew(q);
        } else {
            queue_collect(q);
        }
    }
    if (pool_in_flight(q->pool) > 0) {
        pool_cancel(q->pool);
        while (pool_in_flight(q->pool) > 0) {
            struct pollfd p = {.fd = pool_fd(q->pool), .events = POLLIN};
            poll(&p, 1, 200);
            queue_collect(q);
        }
    }
    if (db_ready(q->db))
        flush(q);
    /* What is left: cancelled jobs, and results the database did not take. */
    int n = 0;
    char *ids = ids_array(q, &n);
    if (ids && n > 0 && db_ready(q->db)) {
        const char *params[] = {ids, q->worker};
        PGresult *res = db_query(q->db, RELEASE_SQL, 2, params);
        if (res)
            log_info("released %s ocr jobs to the queue", db_get(res, 0, "n"));
        PQclear(res);
    }
    free(ids);
}
