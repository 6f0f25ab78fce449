/* A master that owns the listening Unix socket and supervises N prefork
 * worker processes: it respawns a worker that dies, stops gracefully on
 * SIGTERM/SIGINT and replaces its workers on SIGHUP. The worker's listening
 * socket is fd 0, as libfcgi expects.
 *
 * Workers all accept() on the shared socket (no accept mutex: with
 * fastcgi_keep_conn it stalls; see DESIGN.md). */
#ifndef ESURAT_PREFORK_H
#define ESURAT_PREFORK_H

#include <stdbool.h>

typedef struct {
    const char *socket_path; /* created with mode 0660; a stale socket is replaced */
    int workers;             /* > 0 */
    /* Runs in each worker with the listening socket; returns the exit
     * status. It should poll prefork_stopping() between requests. */
    int (*worker_main)(int listen_fd, void *arg);
    void *arg;
} prefork_config_t;

/* Opens the socket, runs the workers until SIGTERM or SIGINT, removes the
 * socket. Returns the process exit status. */
int prefork_run(const prefork_config_t *config);

/* In a worker: true once asked to stop. */
bool prefork_stopping(void);

/* The number of online processors (at least 1). */
int prefork_default_workers(void);

#endif
