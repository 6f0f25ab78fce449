/* esurat-worker: the background worker. Until the OCR issue lands its loop
 * serves the health of the queue: a heartbeat that /api/health reports,
 * the queue's counts in the log when they change, and the removal of
 * expired sessions. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "indexer.h"
#include "log.h"
#include "worker_loop.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char **argv)
{
    log_init("esurat-worker");
    if (argc > 1) {
        fprintf(strcmp(argv[1], "--help") == 0 ? stdout : stderr,
                "usage: esurat-worker\nThe database comes from ESURAT_DATABASE_URL; "
                "ESURAT_HEARTBEAT_SECONDS sets the heartbeat interval (default 5).\n");
        return strcmp(argv[1], "--help") == 0 ? 0 : 2;
    }
    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    worker_loop_config_t config = {
        .database_url = config_database_url(),
        .heartbeat_seconds = (int)config_long("ESURAT_HEARTBEAT_SECONDS", 5, 1, 3600),
        .stop = &stop_requested,
    };
    indexer_t *indexer = indexer_start(config.database_url, &stop_requested);
    int rc = worker_loop_run(&config);
    indexer_join(indexer);
    return rc;
}
