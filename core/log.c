#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static const char *log_program = "esurat";
static FILE *log_stream;
static int log_dropped; /* log_set_stream(NULL) was called */

void log_init(const char *program)
{
    log_program = program;
}

void log_set_stream(FILE *f)
{
    log_stream = f;
    log_dropped = f == NULL;
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
    if (log_dropped)
        return;
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* Build the line first so that concurrent processes do not interleave. */
    char line[2048];
    int n = snprintf(line, sizeof line, "%s %s[%d] %s: ", stamp, log_program, (int)getpid(), level);
    if (n < 0)
        return;
    if ((size_t)n < sizeof line)
        vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    fprintf(log_stream ? log_stream : stderr, "%s\n", line);
}

#define LOG_FN(name, level)                                                                                            \
    void name(const char *fmt, ...)                                                                                    \
    {                                                                                                                  \
        va_list ap;                                                                                                    \
        va_start(ap, fmt);                                                                                             \
        log_line(level, fmt, ap);                                                                                      \
        va_end(ap);                                                                                                    \
    }

LOG_FN(log_info, "info")
LOG_FN(log_warn, "warning")
LOG_FN(log_error, "error")
