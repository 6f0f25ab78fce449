/* esurat-worker's main loop: heartbeat, queue health, housekeeping. It
 * waits on LISTEN ocr_jobs (NOTIFY from the registry) with the heartbeat
 * interval as timeout, and survives PostgreSQL restarts. */
#ifndef ESURAT_WORKER_LOOP_H
#define ESURAT_WORKER_LOOP_H

#include <signal.h>

typedef struct {
    const char *database_url;
    int heartbeat_seconds;
    volatile sig_atomic_t *stop; /* set by a signal handler to end the loop */
} worker_loop_config_t;

/* Runs until *config->stop is set; returns the exit status. */
int worker_loop_run(const worker_loop_config_t *config);

#endif
