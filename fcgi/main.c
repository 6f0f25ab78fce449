/* esurat-fcgi: the API behind nginx. Parses options and runs the prefork
 * master; see server.c for a worker's loop. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "prefork.h"
#include "server.h"
#include "session_cache.h"
#include "view_cache.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: esurat-fcgi [--socket PATH] [--listen ADDR:PORT] [--workers N]\n"
                 "  --socket PATH       Unix socket to create (mode 0660); env ESURAT_FCGI_SOCKET\n"
                 "  --listen ADDR:PORT  also (or only) TCP on a private address, 10.0.0.2:9000 or\n"
                 "                      [fd00::2]:9000, for nginx on other hosts; env ESURAT_FCGI_LISTEN.\n"
                 "                      A public or wildcard address is refused unless\n"
                 "                      ESURAT_FCGI_LISTEN_PUBLIC=1. libfcgi's FCGI_WEB_SERVER_ADDRS\n"
                 "                      (comma-separated IPv4 addresses) limits who may connect\n"
                 "                      (IPv4 clients only).\n"
                 "  --workers N         worker processes (default: one per core); env ESURAT_WORKERS\n"
                 "At least one of --socket and --listen. The database comes from ESURAT_DATABASE_URL.\n");
}

int main(int argc, char **argv)
{
    log_init("esurat-fcgi");
    prefork_config_t config = {
        .socket_path = config_str("ESURAT_FCGI_SOCKET", NULL),
        .listen_tcp = config_str("ESURAT_FCGI_LISTEN", NULL),
        .listen_public = config_long("ESURAT_FCGI_LISTEN_PUBLIC", 0, 0, 1) == 1,
        .workers = (int)config_long("ESURAT_WORKERS", prefork_default_workers(), 1, 128),
        .worker_main = server_worker_main,
    };
    static const struct option options[] = {
        {"socket", required_argument, NULL, 's'},
        {"listen", required_argument, NULL, 'l'},
        {"workers", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "s:l:w:h", options, NULL)) != -1) {
        switch (opt) {
        case 's': config.socket_path = optarg; break;
        case 'l': config.listen_tcp = optarg; break;
        case 'w': config.workers = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if ((!config.socket_path && !config.listen_tcp) || optind != argc) {
        usage(stderr);
        return 2;
    }
    session_cache_share();
    view_cache_share();
    return prefork_run(&config);
}
