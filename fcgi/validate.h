/* Input checks for JSON bodies and query strings, with the 400 answers of
 * API.md: {"error":{"code":"invalid_field","field":…}} for a body field,
 * "invalid_query" for a query parameter.
 *
 * The v_* functions read one member of a JSON object, reply 400 and return
 * false when it is bad, and otherwise set *out (arena memory, or NULL for
 * an optional member that is absent or null) and return true. */
#ifndef ESURAT_VALIDATE_H
#define ESURAT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "date.h" /* date_valid */
#include "request.h"

enum {
    V_REQUIRED = 1 << 0,  /* absent, null or blank: 400 */
    V_MULTILINE = 1 << 1, /* allow newlines and tabs (summaries) */
};

/* A string, trimmed of surrounding white space, of at most max_chars
 * characters, without control characters (but see V_MULTILINE). An
 * optional string that is blank after trimming counts as absent. */
bool v_text(request_t *req, json_t *obj, const char *field, size_t max_chars, unsigned flags, const char **out);

/* One of allowed (NULL-terminated); absent or null gives dflt. */
bool v_enum(request_t *req, json_t *obj, const char *field, const char *const *allowed, const char *dflt,
            const char **out);

/* A calendar date "YYYY-MM-DD" that exists. */
bool v_date(request_t *req, json_t *obj, const char *field, unsigned flags, const char **out);

/* A positive integer id (a JSON integer, or its decimal text), as text. */
bool v_id(request_t *req, json_t *obj, const char *field, unsigned flags, const char **out);

/* true or false, as the text "true" / "false" for a $n::boolean. */
bool v_bool(request_t *req, json_t *obj, const char *field, const char **out);

/* A JSON integer min..max, as its decimal text. */
bool v_int(request_t *req, json_t *obj, const char *field, long long min, long long max, const char **out);

/* Whether obj names field at all (null included): in a PATCH, an absent
 * member keeps the stored value and null clears it. */
bool v_present(json_t *obj, const char *field);

/* 400 for the first member of obj not named in known (NULL-terminated). */
bool v_known_fields(request_t *req, json_t *obj, const char *const *known);

/* The pure checks behind them. */
bool id_valid(const char *s); /* 1..18 digits, not 0 */
bool enum_valid(const char *s, const char *const *allowed);
bool classification_code_valid(const char *s); /* "005", "000.8.3.3" */
size_t utf8_chars(const char *s);              /* code points of valid UTF-8 */

/* The enumerations of API.md. */
extern const char *const V_DIRECTIONS[];
extern const char *const V_SECURITIES[];
extern const char *const V_URGENCIES[];
extern const char *const V_STATUSES[];

/* A query parameter, NULL when absent or empty. */
const char *q_param(request_t *req, const char *name);

/* Replies 400 invalid_query "field: why" and returns false. */
bool q_fail(request_t *req, const char *field, const char *why);

/* The list size of API.md: ?limit= 1..Q_LIMIT_MAX, by default
 * Q_LIMIT_DEFAULT; false after replying 400. */
#define Q_LIMIT_DEFAULT 50
#define Q_LIMIT_MAX 200
bool q_limit(request_t *req, long *out);

#endif
