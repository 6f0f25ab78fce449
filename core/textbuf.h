/* A growable text buffer with a sticky out-of-memory flag (SQLite's
 * fts5_buffer style: after a failed allocation every call does nothing
 * and tb_oom() tells), and the writers of CSV fields for spreadsheets. */
#ifndef ESURAT_TEXTBUF_H
#define ESURAT_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data; /* NUL-terminated while not oom; malloc'ed, free with tb_free */
    size_t len;
    size_t cap;
    bool oom;
} textbuf_t;

#define TEXTBUF_INIT                                                                                                   \
    {                                                                                                                  \
        NULL, 0, 0, false                                                                                              \
    }

void tb_append(textbuf_t *b, const char *s, size_t n);
void tb_puts(textbuf_t *b, const char *s);
void tb_printf(textbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empties the buffer, keeping its memory. */
void tb_reset(textbuf_t *b);
void tb_free(textbuf_t *b);
static inline bool tb_oom(const textbuf_t *b)
{
    return b->oom;
}

/* The UTF-8 byte-order mark that makes spreadsheets read a CSV as UTF-8. */
#define CSV_BOM "\xEF\xBB\xBF"

/* Appends one CSV field (RFC 4180): quoted when it holds a comma, quote,
 * CR or LF, quotes doubled; NULL is an empty field. A text that a
 * spreadsheet would run as a formula (starting with = + - @, tab or CR)
 * gets a leading apostrophe (OWASP's advice against CSV injection).
 * last: ends the row with CRLF, else a comma follows. */
void csv_field(textbuf_t *b, const char *value, bool last);

#endif
