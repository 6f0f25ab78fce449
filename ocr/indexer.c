#include "indexer.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "indexing.h"
#include "log.h"
#include "search.h"

/* Processed outbox rows are kept this long (rebuild catch-up needs only
 * the rows since the rebuild started). */
#define PRUNE_DAYS 7
#define PRUNE_EVERY_S 3600
/* After an error, wait this long before trying again. */
#define RETRY_S 5
/* The session-level advisory lock that makes one indexer of all the
 * esurat-worker hosts the writer (an arbitrary constant: "esurIX"). */
#define WRITER_LOCK_KEY "111533454928984"
/* The indexer thread's nice value (see indexer_main). */
#define INDEXER_NICE 19

struct indexer {
    pthread_t thread;
    char *database_url;
    char *index_dir;
    long poll_ms;
    const volatile sig_atomic_t *stop;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Sleeps seconds, waking early when asked to stop. */
static void pause_s(const indexer_t *ix, int seconds)
{
    for (int i = 0; i < seconds * 10 && !*ix->stop; i++)
        sleep_ms(100);
}

static void progress(void *ctx, long long done, long long total)
{
    time_t *last = ctx;
    time_t now = time(NULL);
    if (done == total || now - *last >= 10) {
        log_info("index: rebuilt %lld of %lld letters", done, total);
        *last = now;
    }
}

/* A new generation from PostgreSQL; opens it for writing into *w and *gen. */
static bool rebuild(indexer_t *ix, db_t *db, search_writer_t **w, char *gen, size_t size)
{
    indexing_error_t err;
    time_t last = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    search_writer_close(*w);
    *w = NULL;
    if (indexing_rebuild(db, ix->index_dir, progress, &last, ix->stop, gen, size, &err) != 0) {
        log_error("index: rebuild failed: %s", err.message);
        return false;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    log_info("index: rebuilt in %.1f s (%s)", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, gen);
    search_dir_remove_old(ix->index_dir, NULL);
    return true;
}

/* Opens the live generation for writing; on a rebuild (when it is missing,
 * unreadable or, with check, stale) builds one first. */
static search_writer_t *open_live(indexer_t *ix, db_t *db, bool check, char *gen, size_t size)
{
    search_writer_t *w = NULL;
    search_error_t e;
    bool built = false;
    if (search_dir_current(ix->index_dir, gen, size) != 0) {
        log_info("index: none in %s; building it", ix->index_dir);
        if (!rebuild(ix, db, &w, gen, size))
            return NULL;
        built = true;
    }
    w = search_writer_open(gen, false, false, &e);
    if (!w && e.status != SEARCH_LOCKED && !built) {
        log_warn("index: %s unusable (%s); rebuilding it", gen, e.message);
        if (!rebuild(ix, db, &w, gen, size))
            return NULL;
        built = true;
        w = search_writer_open(gen, false, false, &e);
    }
    if (!w) {
        log_error("index: cannot open %s for writing: %s", gen, e.message);
        return NULL;
    }
    indexing_error_t err;
    if (built || !check) {
        /* Changes made since the generation's snapshot. */
        if (indexing_catch_up(db, w, &err) != 0) {
            log_error("index: %s", err.message);
            search_writer_close(w);
            return NULL;
        }
        return w;
    }
    int verdict = indexing_check(db, w, &err);
    if (verdict < 0) {
        log_error("index: %s", err.message);
        search_writer_close(w);
        return NULL;
    }
    if (verdict > 0) {
        log_warn("index: stale (%s); rebuilding it", err.message);
        if (!rebuild(ix, db, &w, gen, size))
            return NULL;
        return open_live(ix, db, false, gen, size);
    }
    log_info("index: %s in step with the database (%lld letters)", gen, search_writer_doccount(w));
    return w;
}

/* Whether this indexer is the one writer: it holds the advisory lock on
 * its current connection. The lock goes with the session, so after a
 * reconnection (another backend) it is taken again, or not. Several
 * workers may run an indexer; the others wait, and one takes over when
 * the writer's session ends (its host gone: PostgreSQL's TCP keepalives
 * end the session). Each keeps its own index directory. */
static bool hold_writer_lock(db_t *db, int *locked_backend, bool *said_waiting)
{
    int backend = PQbackendPID(db_conn(db));
    if (backend != 0 && backend == *locked_backend)
        return true;
    *locked_backend = 0;
    const char *params[] = {WRITER_LOCK_KEY};
    PGresult *res = db_query(db, "SELECT pg_try_advisory_lock($1::bigint) AS locked", 1, params);
    const char *v = res ? db_get(res, 0, "locked") : NULL;
    bool got = v && strcmp(v, "t") == 0;
    if (res)
        PQclear(res);
    if (got) {
        *locked_backend = backend;
        if (*said_waiting)
            log_info("index: this indexer is now the writer");
        *said_waiting = false;
    } else if (res && !*said_waiting) {
        log_info("index: another indexer is the writer; this one waits");
        *said_waiting = true;
    }
    return got;
}

static void *indexer_main(void *arg)
{
    indexer_t *ix = arg;
    /* Background work: when the cores are busy, requests go first (a burst
     * of registrations is indexed moments later, in bigger batches). On
     * Linux a thread's nice value is its own. */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), INDEXER_NICE) != 0)
        log_warn("index: cannot lower the indexer's priority: %s", strerror(errno));
    db_t *db = db_open(ix->database_url);
    if (!db) {
        log_error("index: out of memory");
        return NULL;
    }
    char gen[PATH_MAX] = "", now_gen[PATH_MAX];
    search_writer_t *w = NULL;
    time_t last_prune = 0;
    int locked_backend = 0;
    bool said_waiting = false;
    while (!*ix->stop) {
        if (!db_ready(db)) {
            pause_s(ix, RETRY_S);
            continue;
        }
        if (!hold_writer_lock(db, &locked_backend, &said_waiting)) {
            /* Not (or no longer) the writer: nothing uncommitted is kept. */
            search_writer_close(w);
            w = NULL;
            pause_s(ix, RETRY_S);
            continue;
        }
        if (!w) {
            /* The first open checks the index against the database. */
            w = open_live(ix, db, true, gen, sizeof gen);
            if (!w) {
                pause_s(ix, RETRY_S);
                continue;
            }
        }
        /* A generation published by `esurat reindex`, or the index gone. */
        if (search_dir_current(ix->index_dir, now_gen, sizeof now_gen) != 0 || strcmp(now_gen, gen) != 0) {
            if (search_dir_current(ix->index_dir, now_gen, sizeof now_gen) == 0)
                log_info("index: new generation %s published; following it", now_gen);
            else
                log_warn("index: %s is gone", gen);
            search_writer_close(w);
            w = open_live(ix, db, false, gen, sizeof gen);
            if (w)
                search_dir_remove_old(ix->index_dir, NULL);
            continue;
        }
        indexing_error_t err;
        long n = indexing_drain(db, w, INDEXING_BATCH, &err);
        if (n < 0) {
            log_error("index: %s", err.message);
            /* A damaged index is rebuilt by the next open. */
            search_writer_close(w);
            w = NULL;
            pause_s(ix, 1);
            continue;
        }
        if (time(NULL) - last_prune >= PRUNE_EVERY_S) {
            indexing_prune(db, PRUNE_DAYS);
            last_prune = time(NULL);
        }
        if (n < INDEXING_BATCH)
            sleep_ms(ix->poll_ms);
    }
    search_writer_close(w);
    db_close(db);
    return NULL;
}

indexer_t *indexer_start(const char *database_url, const volatile sig_atomic_t *stop)
{
    indexer_t *ix = calloc(1, sizeof *ix);
    if (!ix)
        return NULL;
    ix->database_url = strdup(database_url);
    ix->index_dir = strdup(config_str("ESURAT_INDEX_DIR", "index"));
    ix->poll_ms = config_long("ESURAT_INDEX_POLL_MS", 200, 10, 10000);
    ix->stop = stop;
    /* Signals go to the main thread, whose loop waits in poll(). */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    int started = ix->database_url && ix->index_dir && pthread_create(&ix->thread, NULL, indexer_main, ix) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!started) {
        free(ix->database_url);
        free(ix->index_dir);
        free(ix);
        return NULL;
    }
    log_info("index: indexer started on %s", ix->index_dir);
    return ix;
}

void indexer_join(indexer_t *ix)
{
    if (!ix)
        return;
    pthread_join(ix->thread, NULL);
    free(ix->database_url);
    free(ix->index_dir);
    free(ix);
}
