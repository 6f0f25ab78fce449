/* The administrator's API (role admin): users and their roles, units and
 * their number templates, positions and who holds them (definitive
 * appointments and acting officials, Plt/Plh), classification codes and
 * the import of a region's table. docs/api.md describes every call.
 *
 * Every change is one transaction that ends with its row in the audit
 * chain. Bad fields answer 400 with the field named, unknown ids 404,
 * duplicates and broken rules (a cycle in the hierarchy, overlapping
 * definitive holders) 409, a bad CSV file 422 with its line. The rules
 * themselves live in SQL (sql/011_admin.sql), so that the CLI and psql
 * obey them too.
 *
 * admin_users.c    users
 * admin_org.c      units, number templates, positions
 * admin_holders.c  appointments to positions
 * admin_class.c    classification codes
 * admin.c          the helpers below, shared by them */
#ifndef ESURAT_ADMIN_H
#define ESURAT_ADMIN_H

#include "request.h"

/* Declared query parameters. */
extern const char *const admin_users_params[];
extern const char *const admin_template_preview_params[];

void admin_users_list(request_t *req);   /* GET /api/users?q=&active=&limit=&cursor= */
void admin_users_create(request_t *req); /* POST /api/users */
void admin_users_get(request_t *req);    /* GET /api/users/{id} */
void admin_users_patch(request_t *req);  /* PATCH /api/users/{id} */

void admin_units_list(request_t *req);       /* GET /api/units */
void admin_units_create(request_t *req);     /* POST /api/units */
void admin_units_patch(request_t *req);      /* PATCH /api/units/{id} */
void admin_template_preview(request_t *req); /* GET /api/numbering/template-preview */

void admin_positions_create(request_t *req); /* POST /api/positions */
void admin_positions_patch(request_t *req);  /* PATCH /api/positions/{id} */
void admin_holders_list(request_t *req);     /* GET /api/positions/{id}/holders */
void admin_holders_create(request_t *req);   /* POST /api/positions/{id}/holders */
void admin_holders_patch(request_t *req);    /* PATCH /api/positions/{id}/holders/{id} */
void admin_holders_end(request_t *req);      /* DELETE /api/positions/{id}/holders/{id} */

void admin_classifications_create(request_t *req); /* POST /api/classifications */
void admin_classifications_patch(request_t *req);  /* PATCH /api/classifications/{code} */
void admin_classifications_import(request_t *req); /* POST /api/classifications/import */

/* ------------------------------------------------------------------------
 * Helpers of the admin_*.c files */

/* {"key":{"old","new"}} for each of keys (NULL-terminated) whose value
 * differs between the objects old and now: the audit detail of a change.
 * A new reference (NULL on OOM). */
json_t *admin_diff(json_t *old, json_t *now, const char *const *keys);

/* The body of a PATCH: a JSON object naming at least one of known
 * (NULL-terminated), and not fixed (a member that never changes: 400
 * "fixed: why"). NULL after replying. */
json_t *admin_patch_body(request_t *req, const char *const *known, const char *fixed, const char *why);

/* text parsed as JSON (a new reference), or NULL after replying 500. */
json_t *admin_json(request_t *req, const char *text);

/* When the last statement failed with sqlstate and its message names
 * rule (sql/011_admin.sql's refusals, unique constraints), rolls back,
 * replies status {"code":"conflict","field"} with the rule's message, and
 * returns true. */
bool admin_refusal(request_t *req, const char *sqlstate, const char *rule, int status, const char *field);

/* After a statement failed for no reason the client caused: rolls back,
 * replies 503 / 500. */
void admin_failed(request_t *req);

/* Runs sql (a SELECT … FOR UPDATE of one object) in the open transaction;
 * the row, or NULL after replying (404 "no such what: id" when there is
 * none, rolled back). */
PGresult *admin_lock(request_t *req, const char *sql, int n, const char *const *params, const char *what,
                     const char *id);

/* The end of a PATCH. before and after are the object's JSON, read under
 * the lock and after the update; the audit row action holds their
 * differences in keys ({"changes":{…}}) and extra's members (consumed,
 * may be NULL). When nothing changed and not force, rolls back and
 * answers 200 before; else commits and answers 200 after. */
void admin_finish_update(request_t *req, const char *before, const char *after, const char *const *keys, bool force,
                         json_t *extra, const char *action, const char *object_type, const char *object_id);

/* Appends the audit row (detail consumed), commits, and replies status
 * with answer (JSON text). false when it replied with an error instead. */
bool admin_finish(request_t *req, const char *action, const char *object_type, const char *object_id, json_t *detail,
                  int status, const char *answer);

#endif
