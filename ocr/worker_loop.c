#include "worker_loop.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "log.h"

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

/* Sleeps until a notification arrives, the timeout passes or a signal
 * interrupts; drains the notifications. */
static void wait_for_work(db_t *db, int seconds)
{
    PGconn *conn = db_conn(db);
    int fd = conn ? PQsocket(conn) : -1;
    if (fd < 0) {
        sleep((unsigned)seconds);
        return;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, seconds * 1000) > 0 && PQconsumeInput(conn)) {
        PGnotify *n;
        while ((n = PQnotifies(conn)))
            PQfreemem(n);
    }
}

int worker_loop_run(const worker_loop_config_t *config)
{
    char host[128] = "localhost";
    gethostname(host, sizeof host - 1);

    db_t *db = db_open(config->database_url);
    if (!db)
        return 1;
    queue_counts_t last = {-1, -1, -1};
    bool listening = false, was_down = false;
    log_info("started on %s", host);
    while (!*config->stop) {
        if (!db_ready(db)) {
            if (!was_down)
                log_warn("database unavailable; retrying every %d s", config->heartbeat_seconds);
            was_down = true;
            listening = false;
            sleep((unsigned)config->heartbeat_seconds);
            continue;
        }
        if (was_down)
            log_info("database reachable again");
        was_down = false;
        if (!listening)
            listening = db_exec(db, "LISTEN ocr_jobs", 0, NULL) >= 0;
        queue_counts_t now;
        if (heartbeat(db, host, &now) == 0 && memcmp(&now, &last, sizeof now) != 0) {
            log_info("ocr queue: %lld queued, %lld running, %lld failed", now.queued, now.running, now.failed);
            last = now;
        }
        remove_expired_sessions(db);
        wait_for_work(db, config->heartbeat_seconds);
    }
    char pid[24];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    const char *params[] = {host, pid};
    db_exec(db, "DELETE FROM worker_heartbeats WHERE worker = 'queue' AND host = $1 AND pid = $2::int", 2, params);
    db_close(db);
    log_info("stopped");
    return 0;
}
