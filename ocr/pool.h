/* The OCR threads: N threads, each with its own engine (Tesseract handles
 * created once when the thread starts), taking jobs from one queue and
 * putting finished ones on another. The caller (the queue's loop, or the
 * file mode) polls pool_fd() and collects them with pool_take(). Only the
 * caller touches the database; the threads only read files and compute. */
#ifndef ESURAT_OCR_POOL_H
#define ESURAT_OCR_POOL_H

#include <stdbool.h>

#include "ocr.h"
#include "pipeline.h"
#include "prep.h"

typedef struct pool pool_t;

typedef struct pool_job {
    /* in */
    long long job_id, scan_id;
    int token;  /* the job's attempt number: fences its completion */
    char *path; /* malloc'ed; freed by pool_job_free */
    /* out */
    int rc; /* 0: result filled; -1: err set */
    scan_result_t result;
    ocr_error_t err;
    double seconds;
    struct pool_job *next;
} pool_job_t;

typedef struct {
    int threads;
    const char *langs; /* "ind+eng" */
    ocr_limits_t limits;
    prep_steps_t steps;
} pool_config_t;

/* Starts cfg->threads threads and waits until each has its engine. NULL
 * with *err set when an engine could not be created. */
pool_t *pool_create(const pool_config_t *cfg, ocr_error_t *err);

/* Queues job (the pool owns it until pool_take returns it). */
void pool_submit(pool_t *pool, pool_job_t *job);

/* Jobs submitted and not yet taken back. */
int pool_in_flight(pool_t *pool);
int pool_threads(const pool_t *pool);

/* A finished job, or NULL. Non-blocking. */
pool_job_t *pool_take(pool_t *pool);

/* Readable while finished jobs wait (pool_take drains it). */
int pool_fd(const pool_t *pool);

/* Ids of the jobs in flight, into ids (at most max); the count. */
int pool_job_ids(pool_t *pool, long long *ids, int max);

/* Asks running recognitions to stop now (they finish with the error code
 * "cancelled"); jobs not started are returned unprocessed, "cancelled". */
void pool_cancel(pool_t *pool);

/* Stops the threads (each finishes the job in hand) and frees the pool;
 * jobs never taken are freed. */
void pool_destroy(pool_t *pool);

void pool_job_free(pool_job_t *job);

#endif
