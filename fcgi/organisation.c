#include "organisation.h"

#include <string.h>

#include "validate.h"

/* PostgreSQL builds these small lists as JSON itself: one round trip, and
 * the text goes out as it comes. The shapes are sql/011_admin.sql's
 * position_json() and classification_json(), shared with the admin API. */
static const char POSITIONS_SQL[] = "SELECT coalesce(json_agg(position_json(p) ORDER BY p.id), '[]')::text AS list "
                                    "FROM positions p WHERE p.active OR $1::boolean";

const char *const positions_list_params[] = {"all", NULL};

/* A prefix is matched literally: LIKE's own wildcards are escaped. */
static const char CLASSIFICATIONS_SQL[] =
    "SELECT coalesce(json_agg(classification_json(c) ORDER BY c.code), '[]')::text AS list "
    "FROM classifications c "
    "WHERE c.code LIKE replace(replace(replace($1, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'";

static void reply_list(request_t *req, const char *sql, int n, const char *const *params)
{
    PGresult *res = req_sql(req, sql, n, params);
    if (res)
        reply_raw_json(req, 200, db_get(res, 0, "list"));
}

void positions_list(request_t *req)
{
    const char *all = q_param(req, "all");
    if (all && strcmp(all, "true") != 0 && strcmp(all, "false") != 0) {
        q_fail(req, "all", "expected true or false");
        return;
    }
    const char *params[] = {all && strcmp(all, "true") == 0 ? "true" : "false"};
    reply_list(req, POSITIONS_SQL, 1, params);
}

void classifications_list(request_t *req)
{
    const char *prefix = req_param(req, "prefix");
    if (prefix && strlen(prefix) > 64) {
        reply_error(req, 400, "invalid_query", "prefix", "prefix: at most 64 characters");
        return;
    }
    const char *params[] = {prefix ? prefix : ""};
    reply_list(req, CLASSIFICATIONS_SQL, 1, params);
}
