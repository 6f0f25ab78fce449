#include "fixity_loop.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "fixity.h"
#include "log.h"

typedef struct {
    const char *database_url;
    const char *scan_dir;
    long interval_s;
    long cycle_s;
    long long max_bytes_per_s;
} fixity_config_t;

static pthread_t thread;
static bool running;
static volatile sig_atomic_t stop_flag;
static fixity_config_t cfg;

/* Sleeps up to seconds, waking early when asked to stop. */
static void nap(long seconds)
{
    for (long i = 0; i < seconds * 5 && !stop_flag; i++) {
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* One round: the share of the files that keeps every file within the
 * cycle, oldest check first. */
static void round_once(db_t *db)
{
    char half_cycle[24];
    snprintf(half_cycle, sizeof half_cycle, "%ld", cfg.cycle_s / 2);
    const char *params[] = {half_cycle};
    PGresult *res = db_query(db,
                             "SELECT (now() - $1::bigint * interval '1 second')::text AS before,"
                             " (SELECT count(*) FROM scan_fixity) AS files",
                             1, params);
    if (!res)
        return;
    char before[64];
    snprintf(before, sizeof before, "%s", db_get(res, 0, "before"));
    long long files = atoll(db_get(res, 0, "files"));
    PQclear(res);
    long long share = (files * cfg.interval_s + cfg.cycle_s - 1) / cfg.cycle_s;
    if (share < 4)
        share = 4;
    if (share > 100000)
        share = 100000;
    fixity_totals_t t = {0};
    fixity_batch_t b = {.scan_dir = cfg.scan_dir,
                        .before = before,
                        .limit = (long)share,
                        .max_bytes_per_s = cfg.max_bytes_per_s,
                        .stop = &stop_flag};
    long n = fixity_check_due(db, &b, &t);
    if (n > 0 && fixity_refresh_health(db, false) == 0 && (t.missing || t.changed))
        log_warn("fixity: %lld of %lld files checked are missing, %lld changed (esurat fixity names them)", t.missing,
                 t.checked, t.changed);
}

static void *fixity_main(void *arg)
{
    (void)arg;
    db_t *db = db_open(cfg.database_url);
    if (!db)
        return NULL;
    log_info("fixity: checking %s, every file within %ld days, at most %lld MB/s", cfg.scan_dir, cfg.cycle_s / 86400,
             cfg.max_bytes_per_s / 1000000);
    while (!stop_flag) {
        if (db_ready(db))
            round_once(db);
        nap(cfg.interval_s);
    }
    db_close(db);
    return NULL;
}

int fixity_loop_start(void)
{
    cfg.database_url = config_database_url();
    cfg.scan_dir = config_str("ESURAT_SCAN_DIR", "scans");
    cfg.interval_s = config_long("ESURAT_FIXITY_SECONDS", 60, 0, 86400);
    cfg.cycle_s = config_long("ESURAT_FIXITY_DAYS", 7, 1, 30) * 86400;
    cfg.max_bytes_per_s = config_long("ESURAT_FIXITY_MBPS", 8, 1, 10000) * 1000000LL;
    if (cfg.interval_s == 0) {
        log_info("fixity: off (ESURAT_FIXITY_SECONDS=0)");
        return 0;
    }
    if (crypto_init() != 0) {
        log_error("fixity: cannot initialise libsodium");
        return -1;
    }
    /* Signals stay with the main thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&thread, NULL, fixity_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        log_error("fixity: cannot start its thread: %s", strerror(rc));
        return -1;
    }
    running = true;
    return 0;
}

void fixity_loop_stop(void)
{
    if (!running)
        return;
    stop_flag = 1;
    pthread_join(thread, NULL);
    running = false;
}
