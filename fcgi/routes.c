#include "routes.h"

#include "auth.h"
#include "health.h"
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
    {"/api/positions", METHOD_GET, ROLE_SIGNED_IN, NULL, positions_list},
    {"/api/classifications", METHOD_GET, ROLE_SIGNED_IN, classification_params, classifications_list},
    {"/api/instructions", METHOD_GET, ROLE_SIGNED_IN, NULL, instructions_list},
    {"/api/letters/{id}/scans", METHOD_POST, ROLE_FRONT_DESK | ROLE_OFFICIAL, NULL, scans_upload},
    {"/api/scans/{id}/file", METHOD_GET, ROLE_SIGNED_IN, NULL, scans_file},
    {"/api/scans/{id}/text", METHOD_GET, ROLE_SIGNED_IN, NULL, scans_text},
    {"/api/search", METHOD_GET, ROLE_SIGNED_IN, search_params, search_get},
};

const size_t routes_count = sizeof routes / sizeof routes[0];
