#include "organisation.h"

#include <string.h>

/* PostgreSQL builds these small lists as JSON itself: one round trip, and
 * the text goes out as it comes. */
static const char POSITIONS_SQL[] =
    "SELECT coalesce(json_agg(json_build_object("
    "    'id', p.id, 'title', p.title, 'parent_id', p.parent_id, 'is_entry_point', p.is_entry_point,"
    "    'unit', json_build_object('id', u.id, 'code', u.code, 'name', u.name),"
    "    'holder', (SELECT json_build_object('id', us.id, 'name', us.name, 'acting', nullif(h.kind, 'definitif'))"
    "               FROM current_position_holders h JOIN users us ON us.id = h.user_id"
    "               WHERE h.position_id = p.id ORDER BY h.kind = 'definitif' DESC, h.id LIMIT 1))"
    "  ORDER BY p.id), '[]')::text AS list "
    "FROM positions p JOIN units u ON u.id = p.unit_id WHERE p.active";

/* A prefix is matched literally: LIKE's own wildcards are escaped. */
static const char CLASSIFICATIONS_SQL[] =
    "SELECT coalesce(json_agg(json_build_object("
    "    'code', c.code, 'title', c.title, 'parent_code', c.parent_code,"
    "    'retention_active_years', c.retention_active_years,"
    "    'retention_inactive_years', c.retention_inactive_years,"
    "    'final_disposition', c.final_disposition) ORDER BY c.code), '[]')::text AS list "
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
    reply_list(req, POSITIONS_SQL, 0, NULL);
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
