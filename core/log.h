/* Logging to stderr: one line per event, with time, program, pid and level.
 * Messages follow PostgreSQL's style: short, factual, lower case. */
#ifndef ESURAT_LOG_H
#define ESURAT_LOG_H

#include <stdio.h>

/* Names the program in every line (a static string; not copied). */
void log_init(const char *program);

/* Sends the lines to f instead of stderr; NULL drops them (the fuzz
 * targets, which run handlers without a database, millions of times). */
void log_set_stream(FILE *f);

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
