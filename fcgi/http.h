/* Decoding what arrives in a request: percent-encoding, query strings,
 * cookies. Pure functions over the arena; everything here is hostile
 * input, so every function bounds its work and rejects rather than guesses. */
#ifndef ESURAT_HTTP_H
#define ESURAT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "utf8.h"

#define HTTP_MAX_QUERY_LEN 65536 /* a search for a pasted page of text */
#define HTTP_MAX_PARAMS 64
#define HTTP_MAX_COOKIE_LEN 8192

typedef struct {
    const char *name;
    const char *value;
} http_param_t;

typedef enum {
    HTTP_OK = 0,
    HTTP_BAD_ESCAPE, /* '%' not followed by two hex digits */
    HTTP_NUL,        /* %00 */
    HTTP_BAD_UTF8,   /* the decoded bytes are not valid UTF-8 */
    HTTP_TOO_LONG,   /* over HTTP_MAX_QUERY_LEN / HTTP_MAX_COOKIE_LEN */
    HTTP_TOO_MANY,   /* over HTTP_MAX_PARAMS pairs */
    HTTP_OOM,
} http_status_t;

/* A short lower-case description of status, for error messages. */
const char *http_status_text(http_status_t status);

/* Percent-decodes the n bytes at in into a NUL-terminated arena string in
 * *out. With plus_is_space, '+' becomes ' ' (form encoding). Rejects bad
 * escapes, %00 and invalid UTF-8. */
http_status_t url_decode(arena_t *a, const char *in, size_t n, bool plus_is_space, char **out);

/* Splits a query string ("a=1&b=x%20y") into decoded pairs, in order,
 * repeated names kept. Empty pieces ("a=1&&b") are skipped; a name without
 * '=' has value "". *params is an arena array of *count pairs. */
http_status_t query_parse(arena_t *a, const char *qs, http_param_t **params, size_t *count);

/* The value of the first cookie called name in a Cookie header, as an
 * arena string (not decoded: our cookies are hex), or NULL. */
const char *cookie_get(arena_t *a, const char *header, const char *name);

#endif
