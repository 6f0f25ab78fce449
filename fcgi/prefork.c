#include "prefork.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "listen_addr.h"
#include "log.h"

#define MAX_WORKERS 256
#define MAX_LISTENERS 2
#define STOP_GRACE_SECONDS 10

/* ---- worker side ---- */

static volatile sig_atomic_t worker_stop;
/* This worker's copies of the listening sockets (fd 0 first). */
static volatile sig_atomic_t worker_listen_fds[MAX_LISTENERS] = {-1, -1};
static int worker_listen_count;

/* A stop signal never drops a request: the handler is installed with
 * SA_RESTART, so an interrupted read of a request goes on, and it only
 * closes this process's copies of the listening sockets, so that accept()
 * (restarted) fails with EBADF and the loop ends (poll() is never
 * restarted: it returns EINTR). A worker waiting on a
 * kept-alive connection serves what comes on it and ends when nginx closes
 * it. (Shutting that connection down from here would race with libfcgi
 * reusing its descriptor number for the next connection.) */
static void worker_on_stop(int sig)
{
    (void)sig;
    worker_stop = 1;
    for (int i = 0; i < MAX_LISTENERS; i++) {
        if (worker_listen_fds[i] >= 0) {
            close(worker_listen_fds[i]);
            worker_listen_fds[i] = -1;
        }
    }
}

int prefork_next_listener(void)
{
    if (worker_listen_count < 2)
        return worker_stop ? -1 : worker_listen_fds[0];
    for (;;) {
        if (worker_stop)
            return -1;
        struct pollfd pfd[MAX_LISTENERS];
        for (int i = 0; i < worker_listen_count; i++)
            pfd[i] = (struct pollfd){.fd = worker_listen_fds[i], .events = POLLIN};
        int n = poll(pfd, (nfds_t)worker_listen_count, -1);
        if (n < 0 && errno != EINTR)
            return -1;
        for (int i = 0; n > 0 && i < worker_listen_count; i++) {
            if (pfd[i].revents & (POLLNVAL | POLLERR))
                return -1;
            if (pfd[i].revents & POLLIN)
                return pfd[i].fd;
        }
    }
}

bool prefork_stopping(void)
{
    return worker_stop;
}

int prefork_default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* ---- master side ---- */

typedef struct {
    pid_t pid;
    unsigned generation;
    time_t started;
} child_t;

static int open_unix_socket(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        log_error("socket path too long: %s", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("%s exists and is not a socket", path);
            return -1;
        }
        unlink(path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_error("socket: %s", strerror(errno));
        return -1;
    }
    /* Created 0660 from the start: no moment where others may connect. */
    mode_t old = umask(0117);
    int rc = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    umask(old);
    if (rc < 0 || chmod(path, 0660) < 0 || listen(fd, 1024) < 0) {
        log_error("cannot listen on %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* A TCP socket on addr (checked by listen_addr_check), or -1 (logged). */
static int open_tcp_socket(const char *spec, bool allow_public)
{
    listen_addr_t addr;
    char err[256];
    if (!listen_addr_check(spec, allow_public, &addr, err, sizeof err)) {
        log_error("cannot listen on %s", err);
        return -1;
    }
    int fd = socket(addr.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_error("socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (addr.addr.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&addr.addr, addr.len) < 0 || listen(fd, 1024) < 0) {
        log_error("cannot listen on %s: %s", spec, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static pid_t spawn(const prefork_config_t *config, const int *fds, int nfds, const sigset_t *old_mask)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork: %s", strerror(errno));
        return -1;
    }
    if (pid > 0)
        return pid;
    /* The worker: ends with its master, stops on SIGTERM / SIGINT. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    struct sigaction sa = {.sa_handler = worker_on_stop, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    sigprocmask(SIG_SETMASK, old_mask, NULL);
    if (getppid() == 1)
        _exit(0);
    /* Accept on fd 0 is what libfcgi expects of a FastCGI application;
     * a second socket keeps the descriptor the master opened. */
    if (dup2(fds[0], 0) < 0)
        _exit(1);
    worker_listen_fds[0] = 0;
    for (int i = 1; i < nfds; i++) {
        int flags = fcntl(fds[i], F_GETFD);
        if (flags < 0 || fcntl(fds[i], F_SETFD, flags & ~FD_CLOEXEC) < 0)
            _exit(1);
        worker_listen_fds[i] = fds[i];
    }
    if (fds[0] != 0)
        close(fds[0]);
    worker_listen_count = nfds;
    _exit(config->worker_main(0, config->arg));
}

static int live_children(const child_t *children, int n)
{
    int live = 0;
    for (int i = 0; i < n; i++)
        live += children[i].pid > 0;
    return live;
}

static void signal_all(child_t *children, int n, int sig, unsigned generation, bool only_older)
{
    for (int i = 0; i < n; i++)
        if (children[i].pid > 0 && (!only_older || children[i].generation < generation))
            kill(children[i].pid, sig);
}

/* Starts workers of the current generation into free slots until there are
 * config->workers of them. */
static void fill(const prefork_config_t *config, const int *fds, int nfds, child_t *children, unsigned generation,
                 const sigset_t *old_mask)
{
    int current = 0;
    for (int i = 0; i < MAX_WORKERS; i++)
        current += children[i].pid > 0 && children[i].generation == generation;
    for (int i = 0; i < MAX_WORKERS && current < config->workers; i++) {
        if (children[i].pid > 0)
            continue;
        pid_t pid = spawn(config, fds, nfds, old_mask);
        if (pid < 0)
            return;
        children[i] = (child_t){.pid = pid, .generation = generation, .started = time(NULL)};
        current++;
    }
}

int prefork_run(const prefork_config_t *config)
{
    if (config->workers < 1 || config->workers > MAX_WORKERS / 2) {
        log_error("workers must be between 1 and %d", MAX_WORKERS / 2);
        return 2;
    }
    int fds[MAX_LISTENERS], nfds = 0;
    if (config->socket_path) {
        fds[nfds] = open_unix_socket(config->socket_path);
        if (fds[nfds] < 0)
            return 1;
        nfds++;
    }
    if (config->listen_tcp) {
        fds[nfds] = open_tcp_socket(config->listen_tcp, config->listen_public);
        if (fds[nfds] < 0) {
            if (nfds)
                close(fds[0]);
            return 1;
        }
        nfds++;
    }
    if (nfds == 0) {
        log_error("nothing to listen on (a socket path or a TCP address is needed)");
        return 2;
    }
    /* Two sockets: workers wait in poll() and may lose the race for a
     * connection, so accept() must not block on the other socket. */
    for (int i = 0; nfds > 1 && i < nfds; i++)
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);

    sigset_t mask, old_mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigprocmask(SIG_BLOCK, &mask, &old_mask);
    signal(SIGPIPE, SIG_IGN);

    static child_t children[MAX_WORKERS];
    unsigned generation = 1;
    bool stopping = false;
    time_t stop_deadline = 0;
    int quick_deaths = 0;
    log_info("listening on %s%s%s with %d workers", config->socket_path ? config->socket_path : "",
             nfds > 1 ? " and " : "", config->listen_tcp ? config->listen_tcp : "", config->workers);
    fill(config, fds, nfds, children, generation, &old_mask);

    for (;;) {
        struct timespec timeout = {.tv_sec = 1};
        siginfo_t info;
        int sig = sigtimedwait(&mask, &info, &timeout);
        if (sig == SIGTERM || sig == SIGINT) {
            if (!stopping) {
                log_info("stopping");
                stopping = true;
                stop_deadline = time(NULL) + STOP_GRACE_SECONDS;
                signal_all(children, MAX_WORKERS, SIGTERM, generation, false);
            }
        } else if (sig == SIGHUP && !stopping) {
            log_info("reloading: replacing the workers");
            generation++;
            fill(config, fds, nfds, children, generation, &old_mask);
            signal_all(children, MAX_WORKERS, SIGTERM, generation, true);
        }
        /* Reap whatever ended, whichever signal woke us. */
        pid_t pid;
        int status;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (int i = 0; i < MAX_WORKERS; i++) {
                if (children[i].pid != pid)
                    continue;
                bool current = children[i].generation == generation;
                if (!stopping && current) {
                    if (WIFSIGNALED(status))
                        log_warn("worker %d killed by signal %d; replacing it", (int)pid, WTERMSIG(status));
                    else
                        log_warn("worker %d exited with status %d; replacing it", (int)pid, WEXITSTATUS(status));
                    quick_deaths = time(NULL) - children[i].started < 1 ? quick_deaths + 1 : 0;
                }
                children[i].pid = 0;
            }
        }
        if (stopping) {
            if (live_children(children, MAX_WORKERS) == 0)
                break;
            if (time(NULL) >= stop_deadline) {
                log_warn("workers did not stop in %d s; killing them", STOP_GRACE_SECONDS);
                signal_all(children, MAX_WORKERS, SIGKILL, generation, false);
                stop_deadline = time(NULL) + 60;
            }
            continue;
        }
        /* A worker that dies at once (bad configuration) is not respawned in
         * a tight loop. */
        if (quick_deaths > 3) {
            struct timespec pause = {.tv_sec = 1};
            nanosleep(&pause, NULL);
        }
        fill(config, fds, nfds, children, generation, &old_mask);
    }
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    if (config->socket_path)
        unlink(config->socket_path);
    log_info("stopped");
    return 0;
}
