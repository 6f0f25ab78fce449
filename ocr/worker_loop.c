#include "worker_loop.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "scanstore.h"

typedef struct {
    long long queued, running, failed;
} queue_counts_t;

/* The heartbeat of this worker, and the queue's health in the one row
 * that /api/health reads instead of counting the queue on every call.
 * Rows of workers gone for a day are dropped. */
static int heartbeat(db_t *db, const char *host, queue_counts_t *c)
{
    char pid[24];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    const char *params[] = {host, pid};
    if (db_exec(db,
                "INSERT INTO worker_heartbeats (worker, host, pid) VALUES ('queue', $1, $2::int) "
                "ON CONFLICT (worker, host, pid) DO UPDATE SET seen_at = now()",
                2, params) < 0 ||
        db_exec(db, "DELETE FROM worker_heartbeats WHERE seen_at < now() - interval '1 day'", 0, NULL) < 0)
        return -1;
    PGresult *res = db_query(db,
                             "INSERT INTO queue_health AS h (id, queued, running, failed, index_lag_s) "
                             "SELECT 1, count(*) FILTER (WHERE status = 'queued'),"
                             "  count(*) FILTER (WHERE status = 'running'),"
                             "  count(*) FILTER (WHERE status = 'failed'),"
                             "  (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::bigint"
                             "     FROM index_outbox WHERE processed_at IS NULL) "
                             "FROM ocr_jobs WHERE status <> 'done' "
                             "ON CONFLICT (id) DO UPDATE SET queued = excluded.queued, running = excluded.running,"
                             "  failed = excluded.failed, index_lag_s = excluded.index_lag_s, updated_at = now() "
                             "RETURNING h.queued, h.running, h.failed",
                             0, NULL);
    if (!res)
        return -1;
    c->queued = strtoll(db_get(res, 0, "queued"), NULL, 10);
    c->running = strtoll(db_get(res, 0, "running"), NULL, 10);
    c->failed = strtoll(db_get(res, 0, "failed"), NULL, 10);
    PQclear(res);
    return 0;
}

/* Sessions past their absolute expiry are of no use to anyone. */
static void remove_expired_sessions(db_t *db)
{
    long n = db_exec(db, "DELETE FROM sessions WHERE expires_at < now() - interval '1 day'", 0, NULL);
    if (n > 0)
        log_info("removed %ld expired sessions", n);
}

/* Draft scans (uploaded before their letter was registered) that no
 * letter took within the configured hours: their rows go (pages, job and
 * suggestions with them); the file stays in the store, which other scans
 * may share. */
static void remove_stale_drafts(db_t *db, int hours)
{
    char h[16];
    snprintf(h, sizeof h, "%d", hours);
    const char *params[] = {h};
    long n = db_exec(db,
                     "DELETE FROM scans WHERE letter_id IS NULL"
                     " AND uploaded_at < now() - make_interval(hours => $1::int)",
                     1, params);
    if (n > 0)
        log_info("removed %ld draft scans no letter took", n);
}

/* Temporary files of uploads whose esurat-fcgi worker was killed in the
 * middle: nothing else would ever remove them. */
static void remove_stale_temps(const worker_loop_config_t *config)
{
    if (!config->scan_dir)
        return;
    long n = scanstore_remove_stale_temps(config->scan_dir, config->temp_seconds);
    if (n > 0)
        log_info("removed %ld temporary files of unfinished uploads from the scan store", n);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps until a notification arrives, an OCR job finishes, the timeout
 * passes or a signal interrupts; drains the notifications. */
static void wait_for_work(db_t *db, int pool_fd, int timeout_ms)
{
    PGconn *conn = db_conn(db);
    struct pollfd p[2] = {{.fd = conn ? PQsocket(conn) : -1, .events = POLLIN}, {.fd = pool_fd, .events = POLLIN}};
    if (poll(p, 2, timeout_ms) > 0 && p[0].fd >= 0 && (p[0].revents & POLLIN) && PQconsumeInput(conn)) {
        PGnotify *n;
        while ((n = PQnotifies(conn)))
            PQfreemem(n);
    }
}

int worker_loop_run(const worker_loop_config_t *config)
{
    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);
    char worker[160];
    snprintf(worker, sizeof worker, "%s:%d", host, (int)getpid());

    db_t *db = db_open(config->database_url);
    if (!db)
        return 1;
    pool_t *pool = NULL;
    queue_t *queue = NULL;
    if (config->ocr && config->ocr->threads > 0) {
        ocr_error_t err = {0};
        pool = pool_create(config->ocr, &err);
        queue = pool ? queue_create(db, pool, worker, config->queue) : NULL;
        if (!queue) {
            log_error("ocr: %s", pool ? "out of memory" : err.message);
            pool_destroy(pool);
            db_close(db);
            return 1;
        }
    }
    queue_counts_t last = {-1, -1, -1};
    bool listening = false, was_down = false;
    double next_beat = 0, next_poll = 0;
    log_info("started on %s with %d ocr threads", host, pool ? pool_threads(pool) : 0);
    while (!*config->stop) {
        if (!db_ready(db)) {
            if (!was_down)
                log_warn("database unavailable; retrying every %d s", config->heartbeat_seconds);
            was_down = true;
            listening = false;
            if (queue)
                queue_collect(queue);
            wait_for_work(db, pool ? pool_fd(pool) : -1, config->heartbeat_seconds * 1000);
            continue;
        }
        if (was_down)
            log_info("database reachable again");
        was_down = false;
        if (!listening)
            listening = db_exec(db, "LISTEN ocr_jobs", 0, NULL) >= 0;
        double now = now_s();
        if (now >= next_beat) {
            queue_counts_t counts;
            if (heartbeat(db, host, &counts) == 0 && memcmp(&counts, &last, sizeof counts) != 0) {
                log_info("ocr queue: %lld queued, %lld running, %lld failed", counts.queued, counts.running,
                         counts.failed);
                last = counts;
            }
            remove_expired_sessions(db);
            remove_stale_drafts(db, config->draft_hours);
            remove_stale_temps(config);
            next_beat = now + config->heartbeat_seconds;
        }
        /* Every wake-up looks at the queue: a notification may have been
         * consumed by db_ready, and the slow poll finds leases run out and
         * retries come due. */
        if (queue) {
            queue_step(queue);
            next_poll = now_s() + config->poll_seconds;
        }
        double until = next_beat < next_poll || !queue ? next_beat : next_poll;
        int timeout = (int)((until - now_s()) * 1000.0) + 1;
        int due = queue ? queue_next_due_ms(queue) : -1;
        if (due >= 0 && due < timeout)
            timeout = due;
        wait_for_work(db, pool ? pool_fd(pool) : -1, timeout < 0 ? 0 : timeout);
    }
    if (queue)
        queue_shutdown(queue);
    queue_destroy(queue);
    pool_destroy(pool);
    char pid[24];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    const char *params[] = {host, pid};
    db_exec(db, "DELETE FROM worker_heartbeats WHERE worker = 'queue' AND host = $1 AND pid = $2::int", 2, params);
    db_close(db);
    log_info("stopped");
    return 0;
}
