#include "server.h"

#include <errno.h>
#include <fcgiapp.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "prefork.h"
#include "request.h"
#include "routes.h"
#include "session_cache.h"
#include "view_cache.h"
#include "search_api.h"

int server_worker_main(int listen_fd, void *arg)
{
    (void)arg;
    if (FCGX_Init() != 0 || crypto_init() != 0) {
        log_error("cannot initialise libfcgi or libsodium");
        return 1;
    }
    app_config_t config;
    app_config_load(&config);
    arena_t *arena = arena_new(0);
    /* A worker never exits for want of a database: requests get 503 and
     * the connection is retried on the next one. */
    db_t *db = db_open(config_database_url());
    if (!arena || !db)
        return 1;
    session_cache_attach(db, config.session_cache_ms);
    view_cache_attach(db, config.view_cache_ms);

    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    while (!prefork_stopping()) {
        /* A kept-alive connection (ipcFd) is served before anything new;
         * otherwise accept on the socket where a connection waits. */
        if (request.ipcFd < 0) {
            int fd = prefork_next_listener();
            if (fd < 0)
                break;
            request.listen_sock = fd;
        }
        int rc = FCGX_Accept_r(&request);
        if (rc == -EAGAIN || rc == -EWOULDBLOCK)
            continue; /* another worker took the connection */
        if (rc < 0)
            break;
        request_handle(&request, arena, db, &config, routes, routes_count);
        FCGX_Finish_r(&request);
        arena_reset(arena);
    }
    search_api_close();
    db_close(db);
    arena_free(arena);
    return 0;
}
