#include "readfiles.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_t *job_json(const pool_job_t *job)
{
    json_t *o = json_pack("{s:s, s:b, s:f}", "file", job->path, "ok", job->rc == 0, "seconds", job->seconds);
    if (job->rc == 0) {
        json_t *pages = scan_result_pages_json(&job->result);
        /* Per-page timing, and no word boxes (they are for the database). */
        for (size_t i = 0; i < json_array_size(pages); i++) {
            json_t *pg = json_array_get(pages, i);
            json_object_del(pg, "words");
            json_object_set_new(pg, "seconds", json_real(job->result.pages[i].seconds));
        }
        json_object_set_new(o, "type", json_string(job->result.type));
        json_object_set_new(o, "pages", pages);
        json_object_set_new(o, "suggestions", suggest_json(&job->result.suggestions));
    } else {
        json_object_set_new(o, "error", json_pack("{s:s, s:s, s:b}", "code", job->err.code, "message",
                                                  job->err.message, "permanent", job->err.permanent));
    }
    return o;
}

int readfiles_run(const pool_config_t *cfg, char **files, int n)
{
    ocr_error_t err = {0};
    double t0 = now_s();
    pool_t *pool = pool_create(cfg, &err);
    if (!pool) {
        fprintf(stderr, "esurat-worker: error: %s\n", err.message);
        return 1;
    }
    double t_ready = now_s();
    json_t **out = calloc((size_t)n, sizeof *out);
    pool_job_t **jobs = calloc((size_t)n, sizeof *jobs);
    int status = 0, done = 0;
    for (int i = 0; i < n && jobs; i++) {
        jobs[i] = calloc(1, sizeof **jobs);
        if (!jobs[i])
            break;
        jobs[i]->job_id = i;
        jobs[i]->path = strdup(files[i]);
        pool_submit(pool, jobs[i]);
    }
    /* Results are printed in order, as soon as all before them are in. */
    int next = 0;
    while (out && done < n) {
        struct pollfd p = {.fd = pool_fd(pool), .events = POLLIN};
        poll(&p, 1, 1000);
        pool_job_t *job;
        while ((job = pool_take(pool))) {
            out[job->job_id] = job_json(job);
            if (job->rc != 0)
                status = 1;
            pool_job_free(job);
            done++;
        }
        while (next < n && out[next]) {
            char *s = json_dumps(out[next], JSON_COMPACT | JSON_ENSURE_ASCII);
            if (s) {
                puts(s);
                free(s);
            }
            json_decref(out[next]);
            next++;
        }
        fflush(stdout);
    }
    double t_end = now_s();
    pool_destroy(pool);
    fprintf(stderr, "esurat-worker: %d files in %.2f s with %d threads (engines loaded in %.2f s)\n", n,
            t_end - t_ready, cfg->threads, t_ready - t0);
    free(out);
    free(jobs);
    return status;
}
