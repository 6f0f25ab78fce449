/* esurat-worker's main loop: the OCR queue (queue.h, driving the OCR
 * threads of pool.h), the heartbeat, the queue's health, housekeeping.
 * It waits on LISTEN ocr_jobs (NOTIFY from the registry and from
 * retries), on the OCR threads' finished jobs and, as a fallback, a slow
 * poll; it survives PostgreSQL restarts. */
#ifndef ESURAT_WORKER_LOOP_H
#define ESURAT_WORKER_LOOP_H

#include <signal.h>

#include "pool.h"
#include "queue.h"

typedef struct {
    const char *database_url;
    int heartbeat_seconds;
    int poll_seconds;        /* ESURAT_OCR_POLL_SECONDS: look at the queue at least this often */
    int draft_hours;         /* ESURAT_DRAFT_SCAN_HOURS: unattached draft scans are removed after */
    const char *scan_dir;    /* ESURAT_SCAN_DIR: the scan store */
    int temp_seconds;        /* ESURAT_SCAN_TEMP_SECONDS: temporary files of killed uploads removed after */
    const pool_config_t *ocr; /* threads 0: no OCR */
    const queue_config_t *queue;
    volatile sig_atomic_t *stop; /* set by a signal handler to end the loop */
} worker_loop_config_t;

/* Runs until *config->stop is set; returns the exit status. */
int worker_loop_run(const worker_loop_config_t *config);

#endif
