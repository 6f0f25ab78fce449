/* The life of one esurat-fcgi worker: a database connection, an arena,
 * and the accept loop over the route table. */
#ifndef ESURAT_SERVER_H
#define ESURAT_SERVER_H

/* prefork worker_main for esurat-fcgi; arg is unused. */
int server_worker_main(int listen_fd, void *arg);

#endif
