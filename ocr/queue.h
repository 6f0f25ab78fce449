/* The OCR job queue in PostgreSQL (table ocr_jobs), driven from the
 * worker's main loop, which alone talks to the database:
 *
 *   claim    one job at a time while an OCR thread is free, with
 *            FOR UPDATE SKIP LOCKED (workers on many hosts share the
 *            queue), priority first (drafts: someone waits at the desk),
 *            then oldest; a running job whose lease ran out (its worker
 *            died) is claimed again;
 *   renew    the leases of the jobs in hand, every third of a lease;
 *   complete the pages, the suggestions, the page count, the job's state
 *            and an index-outbox row, in one transaction, fenced by the
 *            attempt number: a worker that lost its lease writes nothing;
 *   fail     at once for what retrying cannot mend (a damaged file, a
 *            limit), else queued again with a growing delay until the
 *            attempts run out;
 *   release  on SIGTERM, the jobs not finished in time go back to the
 *            queue (their attempt not counted) and the others are told.
 *
 * Results that cannot be written while PostgreSQL is away wait in memory
 * and are written when it is back. */
#ifndef ESURAT_OCR_QUEUE_H
#define ESURAT_OCR_QUEUE_H

#include <stdbool.h>

#include "db.h"
#include "pool.h"

typedef struct {
    int lease_seconds;      /* ESURAT_OCR_LEASE_SECONDS (60) */
    int max_attempts;       /* ESURAT_OCR_MAX_ATTEMPTS (3) */
    int retry_seconds;      /* ESURAT_OCR_RETRY_SECONDS (10): first retry delay, doubled each time */
    int stop_grace_seconds; /* ESURAT_OCR_STOP_GRACE_SECONDS (15): SIGTERM waits this long for jobs in hand */
    const char *scan_dir;   /* ESURAT_SCAN_DIR */
} queue_config_t;

typedef struct queue queue_t;

queue_t *queue_create(db_t *db, pool_t *pool, const char *worker, const queue_config_t *cfg);
void queue_destroy(queue_t *q);

/* Writes finished jobs, renews leases when due, claims jobs while threads
 * are free. Call when woken (notification, finished job, timeout) and the
 * database is ready. */
void queue_step(queue_t *q);

/* Keeps finished jobs in memory while the database is away. */
void queue_collect(queue_t *q);

/* Milliseconds until the next lease renewal is due (-1: nothing held). */
int queue_next_due_ms(queue_t *q);

/* SIGTERM: claims nothing more, waits up to the grace period for the jobs
 * in hand (writing their results), then stops the rest and gives them
 * back to the queue. */
void queue_shutdown(queue_t *q);

#endif
