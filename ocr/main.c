/* esurat-worker: the background worker. It reads the scans in the OCR
 * queue (queue.h, pool.h, pipeline.h), keeps the queue's health for
 * /api/health, and does the housekeeping (expired sessions, abandoned
 * draft scans). `esurat-worker --read FILE...` runs the OCR pipeline on
 * files without a database (scripts/bench-ocr). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leptonica/allheaders.h>

#include "config.h"
#include "fixity_loop.h"
#include "indexer.h"
#include "log.h"
#include "readfiles.h"
#include "worker_loop.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static const char USAGE[] =
    "usage: esurat-worker [--threads N] [--steps LIST]\n"
    "       esurat-worker --read [--threads N] [--steps LIST] FILE...\n"
    "Reads the scans of the OCR queue. The database comes from ESURAT_DATABASE_URL, the scan\n"
    "store from ESURAT_SCAN_DIR. --read reads files instead and prints one JSON object per file.\n"
    "  --threads N    OCR threads (ESURAT_OCR_THREADS; default one per core)\n"
    "  --steps LIST   preprocessing steps, normalize,despeckle,deskew,orient or none\n"
    "                 (ESURAT_OCR_STEPS; default all)\n"
    "Other settings (environment): ESURAT_HEARTBEAT_SECONDS (5), ESURAT_OCR_POLL_SECONDS (10),\n"
    "ESURAT_OCR_LEASE_SECONDS (60), ESURAT_OCR_MAX_ATTEMPTS (3), ESURAT_OCR_RETRY_SECONDS (10),\n"
    "ESURAT_OCR_STOP_GRACE_SECONDS (15), ESURAT_OCR_PAGE_SECONDS (60), ESURAT_OCR_MAX_PAGES (200),\n"
    "ESURAT_OCR_MAX_MEGAPIXELS (80), ESURAT_MAX_SCAN_BYTES (50 MiB), ESURAT_OCR_LANGS (ind+eng),\n"
    "ESURAT_DRAFT_SCAN_HOURS (24), ESURAT_SCAN_TEMP_SECONDS (3600),\n"
    "ESURAT_INDEXER (1; 0: no indexer thread on this host).\n";

/* libgomp reads OMP_THREAD_LIMIT once, when it is loaded, before main:
 * the limit is set and the program started again. One thread per page
 * and N pages in parallel beat OpenMP's threads inside one page. */
static void one_omp_thread(char **argv)
{
    if (getenv("OMP_THREAD_LIMIT"))
        return;
    setenv("OMP_THREAD_LIMIT", "1", 1);
    execv("/proc/self/exe", argv);
    log_warn("could not restart with OMP_THREAD_LIMIT=1; OCR threads may compete");
}

int main(int argc, char **argv)
{
    log_init("esurat-worker");
    one_omp_thread(argv);
    /* Leptonica's own messages about damaged files would repeat ours. */
    setMsgSeverity(L_SEVERITY_NONE);

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pool_config_t ocr = {
        .threads = (int)config_long("ESURAT_OCR_THREADS", cores > 0 ? cores : 1, 0, 256),
        .langs = config_str("ESURAT_OCR_LANGS", "ind+eng"),
    };
    ocr_limits_default(&ocr.limits);
    ocr.limits.max_pages = (int)config_long("ESURAT_OCR_MAX_PAGES", ocr.limits.max_pages, 1, 100000);
    ocr.limits.max_pixels = config_long("ESURAT_OCR_MAX_MEGAPIXELS", 80, 1, 10000) * 1000000LL;
    ocr.limits.max_bytes = config_long("ESURAT_MAX_SCAN_BYTES", 50L * 1024 * 1024, 1024, 1L << 40);
    ocr.limits.page_deadline_ms = (int)config_long("ESURAT_OCR_PAGE_SECONDS", 60, 1, 3600) * 1000;
    if (!prep_steps_parse(config_str("ESURAT_OCR_STEPS", "normalize,despeckle,deskew,orient"), &ocr.steps)) {
        log_error("ESURAT_OCR_STEPS: unknown step");
        return 2;
    }

    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"read", no_argument, NULL, 'r'},
                                         {"threads", required_argument, NULL, 't'},
                                         {"steps", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    bool read_mode = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(USAGE, stdout); return 0;
        case 'r': read_mode = true; break;
        case 't': ocr.threads = atoi(optarg); break;
        case 's':
            if (!prep_steps_parse(optarg, &ocr.steps)) {
                fprintf(stderr, "esurat-worker: unknown step in --steps %s\n", optarg);
                return 2;
            }
            break;
        default: fputs(USAGE, stderr); return 2;
        }
    }
    if (read_mode) {
        if (optind >= argc || ocr.threads < 1) {
            fputs(USAGE, stderr);
            return 2;
        }
        return readfiles_run(&ocr, argv + optind, argc - optind);
    }
    if (optind < argc) {
        fputs(USAGE, stderr);
        return 2;
    }

    struct sigaction sa = {.sa_handler = on_stop};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    queue_config_t queue = {
        .lease_seconds = (int)config_long("ESURAT_OCR_LEASE_SECONDS", 60, 2, 86400),
        .max_attempts = (int)config_long("ESURAT_OCR_MAX_ATTEMPTS", 3, 1, 100),
        .retry_seconds = (int)config_long("ESURAT_OCR_RETRY_SECONDS", 10, 0, 86400),
        .stop_grace_seconds = (int)config_long("ESURAT_OCR_STOP_GRACE_SECONDS", 15, 0, 3600),
        .scan_dir = config_str("ESURAT_SCAN_DIR", "scans"),
    };
    worker_loop_config_t config = {
        .database_url = config_database_url(),
        .heartbeat_seconds = (int)config_long("ESURAT_HEARTBEAT_SECONDS", 5, 1, 3600),
        .poll_seconds = (int)config_long("ESURAT_OCR_POLL_SECONDS", 10, 1, 3600),
        .draft_hours = (int)config_long("ESURAT_DRAFT_SCAN_HOURS", 24, 1, 24 * 365),
        .scan_dir = queue.scan_dir,
        .temp_seconds = (int)config_long("ESURAT_SCAN_TEMP_SECONDS", 3600, 1, 86400 * 30),
        .ocr = &ocr,
        .queue = &queue,
        .stop = &stop_requested,
    };
    fixity_loop_start();
    /* ESURAT_INDEXER=0: an OCR-only host of a cluster (docs/scaling.md). */
    indexer_t *indexer =
        config_long("ESURAT_INDEXER", 1, 0, 1) ? indexer_start(config.database_url, &stop_requested) : NULL;
    int status = worker_loop_run(&config);
    indexer_join(indexer);
    fixity_loop_stop();
    return status;
}
