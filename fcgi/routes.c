#include "routes.h"

#include "admin.h"
#include "auth.h"
#include "dispositions.h"
#include "records.h"
#include "health.h"
#include "instructions.h"
#include "letters.h"
#include "organisation.h"
#include "scans.h"
#include "search_api.h"
#include "track.h"

/* Declared query parameters; any others are dropped by the dispatcher. */
static const char *const classification_params[] = {"prefix", NULL};

const route_t routes[] = {
    {"/api/health", METHOD_GET, ROLE_PUBLIC, NULL, health_get},
    {"/metrics", METHOD_GET, ROLE_PUBLIC, NULL, metrics_get},
    {"/api/auth/login", METHOD_POST, ROLE_PUBLIC, NULL, auth_login},
    {"/api/auth/logout", METHOD_POST, ROLE_SIGNED_IN, NULL, auth_logout},
    {"/api/me", METHOD_GET, ROLE_SIGNED_IN, NULL, auth_me},
    {"/api/letters", METHOD_GET, ROLE_SIGNED_IN, letters_list_params, letters_list},
    {"/api/letters", METHOD_POST, ROLE_FRONT_DESK | ROLE_OFFICIAL, NULL, letters_create},
    {"/api/letters/{id}", METHOD_GET, ROLE_SIGNED_IN, NULL, letters_get},
    {"/api/letters/{id}", METHOD_PATCH, ROLE_SIGNED_IN, NULL, letters_patch},
    {"/api/numbering/preview", METHOD_GET, ROLE_FRONT_DESK | ROLE_OFFICIAL, numbering_preview_params,
     numbering_preview},
    {"/api/track/{code}", METHOD_GET, ROLE_PUBLIC, NULL, track_get},
    {"/api/positions", METHOD_GET, ROLE_SIGNED_IN, positions_list_params, positions_list},
    {"/api/classifications", METHOD_GET, ROLE_SIGNED_IN, classification_params, classifications_list},
    {"/api/instructions", METHOD_GET, ROLE_SIGNED_IN, instructions_list_params, instructions_list},
    {"/api/instructions", METHOD_POST, ROLE_ADMIN, NULL, instructions_create},
    {"/api/instructions/{code}", METHOD_PATCH, ROLE_ADMIN, NULL, instructions_patch},
    {"/api/letters/{id}/scans", METHOD_POST, ROLE_FRONT_DESK | ROLE_OFFICIAL, NULL, scans_upload},
    {"/api/scans/{id}/file", METHOD_GET, ROLE_SIGNED_IN, NULL, scans_file},
    {"/api/scans/{id}/text", METHOD_GET, ROLE_SIGNED_IN, NULL, scans_text},
    /* Dispositions: the rights are the positions one holds, decided in SQL. */
    {"/api/inbox", METHOD_GET, ROLE_SIGNED_IN, inbox_params, inbox_list},
    {"/api/inbox/counts", METHOD_GET, ROLE_SIGNED_IN, NULL, inbox_counts},
    {"/api/letters/{id}/dispositions", METHOD_POST, ROLE_SIGNED_IN, NULL, dispositions_create},
    {"/api/dispositions/{id}", METHOD_GET, ROLE_SIGNED_IN, NULL, dispositions_get},
    {"/api/dispositions/{id}/complete", METHOD_POST, ROLE_SIGNED_IN, NULL, dispositions_complete},
    {"/api/scans", METHOD_POST, ROLE_FRONT_DESK | ROLE_OFFICIAL, NULL, scans_upload_draft},
    {"/api/scans/{id}/suggestions", METHOD_GET, ROLE_SIGNED_IN, NULL, scans_suggestions},
    {"/api/scans/{id}/ocr/retry", METHOD_POST, ROLE_FRONT_DESK | ROLE_ADMIN, NULL, scans_ocr_retry},
    {"/api/export", METHOD_GET, ROLE_ARCHIVIST | ROLE_RECORDS | ROLE_ADMIN, export_params, export_get},
    {"/api/retention", METHOD_GET, ROLE_RECORDS | ROLE_ADMIN, retention_params, retention_get},
    {"/api/search", METHOD_GET, ROLE_SIGNED_IN, search_params, search_get},
    /* The administrator's: users, units, positions and who holds them,
     * classification codes (admin.h). */
    {"/api/users", METHOD_GET, ROLE_ADMIN, admin_users_params, admin_users_list},
    {"/api/users", METHOD_POST, ROLE_ADMIN, NULL, admin_users_create},
    {"/api/users/{id}", METHOD_GET, ROLE_ADMIN, NULL, admin_users_get},
    {"/api/users/{id}", METHOD_PATCH, ROLE_ADMIN, NULL, admin_users_patch},
    {"/api/units", METHOD_GET, ROLE_ADMIN, NULL, admin_units_list},
    {"/api/units", METHOD_POST, ROLE_ADMIN, NULL, admin_units_create},
    {"/api/units/{id}", METHOD_PATCH, ROLE_ADMIN, NULL, admin_units_patch},
    {"/api/numbering/template-preview", METHOD_GET, ROLE_ADMIN, admin_template_preview_params, admin_template_preview},
    {"/api/positions", METHOD_POST, ROLE_ADMIN, NULL, admin_positions_create},
    {"/api/positions/{id}", METHOD_PATCH, ROLE_ADMIN, NULL, admin_positions_patch},
    {"/api/positions/{id}/holders", METHOD_GET, ROLE_ADMIN, NULL, admin_holders_list},
    {"/api/positions/{id}/holders", METHOD_POST, ROLE_ADMIN, NULL, admin_holders_create},
    {"/api/positions/{id}/holders/{id}", METHOD_PATCH, ROLE_ADMIN, NULL, admin_holders_patch},
    {"/api/positions/{id}/holders/{id}", METHOD_DELETE, ROLE_ADMIN, NULL, admin_holders_end},
    {"/api/classifications", METHOD_POST, ROLE_ADMIN, NULL, admin_classifications_create},
    /* Before {code}: "import" is a token too. */
    {"/api/classifications/import", METHOD_POST, ROLE_ADMIN, NULL, admin_classifications_import},
    {"/api/classifications/{code}", METHOD_PATCH, ROLE_ADMIN, NULL, admin_classifications_patch},
};

const size_t routes_count = sizeof routes / sizeof routes[0];
