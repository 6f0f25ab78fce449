/* esurat reindex: rebuilds the search index from PostgreSQL into a new
 * generation of ESURAT_INDEX_DIR and publishes it (search/indexing.h).
 * The running indexer of esurat-worker keeps writing the live generation
 * meanwhile and follows the new one once it is published; searches go on
 * on the old one until then. Memory stays bounded: letters are read a
 * page at a time and the index is committed every few thousand. */
#include <dirent.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "indexing.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct {
    struct timespec t0;
    double last_shown;
    bool tty;
} progress_t;

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void show_progress(void *ctx, long long done, long long total)
{
    progress_t *p = ctx;
    double s = elapsed(&p->t0);
    if (done != total && s - p->last_shown < (p->tty ? 0.5 : 5.0))
        return;
    p->last_shown = s;
    double rate = s > 0 ? (double)done / s : 0;
    int pct = total > 0 ? (int)(done * 100 / total) : 100;
    fprintf(stderr, "%sindexed %lld of %lld letters (%d%%), %.0f letters/s%s", p->tty ? "\r" : "", done, total, pct,
            rate, p->tty ? "   " : "\n");
    fflush(stderr);
}

static long long dir_bytes(const char *dir)
{
    long long total = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_MAX];
        struct stat st;
        if (e->d_name[0] != '.' && snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path &&
            stat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (long long)st.st_size;
    }
    closedir(d);
    return total;
}

int cmd_reindex(const struct cli_command *cmd, int argc, char **argv)
{
    int parsed = cli_parse_help_only(cmd, argc, argv);
    if (parsed >= 0)
        return parsed;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    const char *index_dir = config_str("ESURAT_INDEX_DIR", "index");
    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    progress_t p = {.tty = isatty(STDERR_FILENO)};
    clock_gettime(CLOCK_MONOTONIC, &p.t0);
    char gen[PATH_MAX];
    indexing_error_t err;
    int rc = indexing_rebuild(db, index_dir, show_progress, &p, &interrupted, gen, sizeof gen, &err);
    if (p.tty)
        fputc('\n', stderr);
    if (rc != 0) {
        cli_error("reindex failed: %s", err.message);
        db_close(db);
        return CLI_FAIL;
    }
    double s = elapsed(&p.t0);
    search_error_t e;
    long long docs = -1;
    search_reader_t *r = search_reader_open(index_dir, &e);
    if (r)
        docs = search_reader_doccount(r);
    search_reader_close(r);
    printf("reindexed %lld letters in %.1f s (%.0f letters/s); index %.1f MiB in %s\n", docs, s,
           s > 0 ? (double)docs / s : 0.0, (double)dir_bytes(gen) / (1024.0 * 1024.0), gen);
    printf("the indexer of esurat-worker follows the new index within a second and removes the old one\n");
    db_close(db);
    return CLI_OK;
}
