/* esurat-hello: the hello-world FastCGI responder that benchmarks compare
 * the API with. Same prefork master, no database, no routing. */
#include <fcgiapp.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "prefork.h"

static int hello_worker(int listen_fd, void *arg)
{
    (void)arg;
    FCGX_Init();
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    while (!prefork_stopping() && FCGX_Accept_r(&request) >= 0) {
        FCGX_PutS("Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world\n",
                  request.out);
        FCGX_Finish_r(&request);
    }
    return 0;
}

int main(int argc, char **argv)
{
    log_init("esurat-hello");
    prefork_config_t config = {.workers = prefork_default_workers(), .worker_main = hello_worker};
    static const struct option options[] = {
        {"socket", required_argument, NULL, 's'},
        {"workers", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "s:w:", options, NULL)) != -1) {
        if (opt == 's')
            config.socket_path = optarg;
        else if (opt == 'w')
            config.workers = atoi(optarg);
        else
            return 2;
    }
    if (!config.socket_path) {
        fprintf(stderr, "usage: esurat-hello --socket PATH [--workers N]\n");
        return 2;
    }
    return prefork_run(&config);
}
