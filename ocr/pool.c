#define _GNU_SOURCE 1 /* pipe2 */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"

struct pool {
    pool_config_t cfg;
    pthread_mutex_t mu;
    pthread_cond_t cv;       /* work or stop */
    pthread_cond_t ready_cv; /* engines created */
    pool_job_t *todo_head, *todo_tail;
    pool_job_t *done_head, *done_tail;
    pool_job_t **running; /* per thread */
    int in_flight;
    int ready, failed;
    ocr_error_t init_err;
    bool stop;
    atomic_int cancel;
    int pipe_rd, pipe_wr;
    pthread_t *tids;
    int nthreads;
};

typedef struct {
    pool_t *pool;
    int index;
} thread_arg_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The whole file, at most limit bytes; 0 or -1 with *err set. */
static int read_file(const char *path, long long limit, unsigned char **data, size_t *len, ocr_error_t *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ocr_fail(err, errno != ENOENT, errno == ENOENT ? "missing" : "unreadable",
                        errno == ENOENT ? "the scan file is missing from the store"
                                        : "the scan file could not be opened");
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return ocr_fail(err, false, "unreadable", "the scan file could not be read");
    }
    if (st.st_size > limit) {
        close(fd);
        return ocr_fail(err, true, "too_large", "the file has %lld bytes; at most %lld are read",
                        (long long)st.st_size, limit);
    }
    size_t size = (size_t)st.st_size;
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return ocr_fail(err, false, "internal", "out of memory");
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != size) {
        free(buf);
        return ocr_fail(err, false, "unreadable", "the scan file could not be read");
    }
    *data = buf;
    *len = size;
    return 0;
}

static void finish(pool_t *pool, pool_job_t *job)
{
    pthread_mutex_lock(&pool->mu);
    job->next = NULL;
    if (pool->done_tail)
        pool->done_tail->next = job;
    else
        pool->done_head = job;
    pool->done_tail = job;
    pthread_mutex_unlock(&pool->mu);
    char b = 1;
    ssize_t w = write(pool->pipe_wr, &b, 1);
    (void)w; /* a full pipe already wakes the reader */
}

static void run_job(pool_t *pool, engine_t *eng, pool_job_t *job)
{
    double t0 = now_s();
    unsigned char *data = NULL;
    size_t len = 0;
    job->rc = read_file(job->path, pool->cfg.limits.max_bytes, &data, &len, &job->err);
    if (job->rc == 0)
        job->rc = pipeline_run(eng, data, len, &pool->cfg.limits, &pool->cfg.steps, &pool->cancel, &job->result,
                               &job->err);
    free(data);
    job->seconds = now_s() - t0;
}

static void *thread_main(void *p)
{
    thread_arg_t *arg = p;
    pool_t *pool = arg->pool;
    int index = arg->index;
    free(arg);
    ocr_error_t err = {0};
    engine_t *eng = engine_create(pool->cfg.langs, pool->cfg.steps.orient, &err);
    pthread_mutex_lock(&pool->mu);
    if (!eng) {
        pool->failed++;
        pool->init_err = err;
    } else {
        pool->ready++;
    }
    pthread_cond_broadcast(&pool->ready_cv);
    while (eng) {
        while (!pool->stop && !pool->todo_head)
            pthread_cond_wait(&pool->cv, &pool->mu);
        if (!pool->todo_head)
            break; /* stopping, nothing left */
        pool_job_t *job = pool->todo_head;
        pool->todo_head = job->next;
        if (!pool->todo_head)
            pool->todo_tail = NULL;
        bool cancelled = atomic_load(&pool->cancel) != 0;
        pool->running[index] = job;
        pthread_mutex_unlock(&pool->mu);
        if (cancelled) {
            job->rc = ocr_fail(&job->err, false, "cancelled", "reading stopped: the worker is shutting down");
        } else {
            run_job(pool, eng, job);
        }
        pthread_mutex_lock(&pool->mu);
        pool->running[index] = NULL;
        pthread_mutex_unlock(&pool->mu);
        finish(pool, job);
        pthread_mutex_lock(&pool->mu);
    }
    pthread_mutex_unlock(&pool->mu);
    engine_destroy(eng);
    return NULL;
}

pool_t *pool_create(const pool_config_t *cfg, ocr_error_t *err)
{
    pool_t *pool = calloc(1, sizeof *pool);
    if (!pool) {
        ocr_fail(err, false, "internal", "out of memory");
        return NULL;
    }
    pool->cfg = *cfg;
    pool->nthreads = cfg->threads < 1 ? 1 : cfg->threads;
    pool->pipe_rd = pool->pipe_wr = -1;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    pthread_cond_init(&pool->ready_cv, NULL);
    atomic_init(&pool->cancel, 0);
    int fds[2];
    pool->tids = calloc((size_t)pool->nthreads, sizeof *pool->tids);
    pool->running = calloc((size_t)pool->nthreads, sizeof *pool->running);
    if (!pool->tids || !pool->running || pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        ocr_fail(err, false, "internal", "out of memory or descriptors");
        free(pool->tids);
        free(pool->running);
        free(pool);
        return NULL;
    }
    pool->pipe_rd = fds[0];
    pool->pipe_wr = fds[1];
    int started = 0;
    for (int i = 0; i < pool->nthreads; i++) {
        thread_arg_t *arg = malloc(sizeof *arg);
        if (!arg)
            break;
        arg->pool = pool;
        arg->index = i;
        if (pthread_create(&pool->tids[i], NULL, thread_main, arg) != 0) {
            free(arg);
            break;
        }
        started++;
    }
    pthread_mutex_lock(&pool->mu);
    while (pool->ready + pool->failed < started)
        pthread_cond_wait(&pool->ready_cv, &pool->mu);
    bool ok = started == pool->nthreads && pool->failed == 0;
    if (!ok && err)
        *err = pool->failed ? pool->init_err : (ocr_error_t){false, "internal", "could not start the OCR threads"};
    pthread_mutex_unlock(&pool->mu);
    if (!ok) {
        pool->nthreads = started;
        pool_destroy(pool);
        return NULL;
    }
    return pool;
}

void pool_submit(pool_t *pool, pool_job_t *job)
{
    job->next = NULL;
    pthread_mutex_lock(&pool->mu);
    if (pool->todo_tail)
        pool->todo_tail->next = job;
    else
        pool->todo_head = job;
    pool->todo_tail = job;
    pool->in_flight++;
    pthread_cond_signal(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
}

int pool_in_flight(pool_t *pool)
{
    pthread_mutex_lock(&pool->mu);
    int n = pool->in_flight;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

int pool_threads(const pool_t *pool)
{
    return pool->nthreads;
}

pool_job_t *pool_take(pool_t *pool)
{
    char buf[64];
    while (read(pool->pipe_rd, buf, sizeof buf) > 0)
        ;
    pthread_mutex_lock(&pool->mu);
    pool_job_t *job = pool->done_head;
    if (job) {
        pool->done_head = job->next;
        if (!pool->done_head)
            pool->done_tail = NULL;
        pool->in_flight--;
        job->next = NULL;
    }
    bool more = pool->done_head != NULL;
    pthread_mutex_unlock(&pool->mu);
    if (more) {
        char b = 1;
        ssize_t w = write(pool->pipe_wr, &b, 1);
        (void)w;
    }
    return job;
}

int pool_fd(const pool_t *pool)
{
    return pool->pipe_rd;
}

int pool_job_ids(pool_t *pool, long long *ids, int max)
{
    int n = 0;
    pthread_mutex_lock(&pool->mu);
    for (pool_job_t *j = pool->todo_head; j && n < max; j = j->next)
        ids[n++] = j->job_id;
    for (int i = 0; i < pool->nthreads && n < max; i++)
        if (pool->running[i])
            ids[n++] = pool->running[i]->job_id;
    for (pool_job_t *j = pool->done_head; j && n < max; j = j->next)
        ids[n++] = j->job_id;
    pthread_mutex_unlock(&pool->mu);
    return n;
}

void pool_cancel(pool_t *pool)
{
    atomic_store(&pool->cancel, 1);
}

void pool_destroy(pool_t *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mu);
    pool->stop = true;
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 0; i < pool->nthreads; i++)
        pthread_join(pool->tids[i], NULL);
    for (pool_job_t *j = pool->todo_head, *next; j; j = next) {
        next = j->next;
        pool_job_free(j);
    }
    for (pool_job_t *j = pool->done_head, *next; j; j = next) {
        next = j->next;
        pool_job_free(j);
    }
    close(pool->pipe_rd);
    close(pool->pipe_wr);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    pthread_cond_destroy(&pool->ready_cv);
    free(pool->tids);
    free(pool->running);
    free(pool);
}

void pool_job_free(pool_job_t *job)
{
    if (!job)
        return;
    scan_result_free(&job->result);
    free(job->path);
    free(job);
}
