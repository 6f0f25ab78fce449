/* A master that owns the listening sockets (a Unix socket, a TCP address
 * on a private network, or both) and supervises N prefork worker
 * processes: it respawns a worker that dies, stops gracefully on
 * SIGTERM/SIGINT and replaces its workers on SIGHUP. The worker's first
 * listening socket is fd 0, as libfcgi expects.
 *
 * Workers all accept() on the shared sockets (no accept mutex: with
 * fastcgi_keep_conn it stalls; see DESIGN.md). With one socket a worker
 * blocks in accept() as libfcgi does; with two, both are non-blocking and
 * a worker waits in poll() for either (prefork_next_listener). */
#ifndef ESURAT_PREFORK_H
#define ESURAT_PREFORK_H

#include <stdbool.h>

typedef struct {
    const char *socket_path; /* created with mode 0660; a stale socket is replaced; may be NULL */
    const char *listen_tcp;  /* "ADDR:PORT" (listen_addr.h), may be NULL; one of the two is needed */
    bool listen_public;      /* allow a TCP address that is not private */
    int workers;             /* > 0 */
    /* Runs in each worker with the (first) listening socket; returns the
     * exit status. It should poll prefork_stopping() between requests and,
     * when it serves two sockets, take the one prefork_next_listener()
     * names before each accept. */
    int (*worker_main)(int listen_fd, void *arg);
    void *arg;
} prefork_config_t;

/* Opens the socket, runs the workers until SIGTERM or SIGINT, removes the
 * socket. Returns the process exit status. */
int prefork_run(const prefork_config_t *config);

/* In a worker: the listening socket on which a connection waits (with a
 * single socket: that socket at once, the caller then blocks in accept).
 * -1 once asked to stop. An accept on the socket returned may still find
 * nothing (EAGAIN: another worker was faster); then ask again. */
int prefork_next_listener(void);

/* In a worker: true once asked to stop. */
bool prefork_stopping(void);

/* The number of online processors (at least 1). */
int prefork_default_workers(void);

#endif
