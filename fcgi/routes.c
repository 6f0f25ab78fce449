#include "routes.h"

#include "auth.h"
#include "health.h"
#include "organisation.h"

/* Declared query parameters; any others are dropped by the dispatcher. */
static const char *const classification_params[] = {"prefix", NULL};

const route_t routes[] = {
    {"/api/health", METHOD_GET, ROLE_PUBLIC, NULL, health_get},
    {"/metrics", METHOD_GET, ROLE_PUBLIC, NULL, metrics_get},
    {"/api/auth/login", METHOD_POST, ROLE_PUBLIC, NULL, auth_login},
    {"/api/auth/logout", METHOD_POST, ROLE_SIGNED_IN, NULL, auth_logout},
    {"/api/me", METHOD_GET, ROLE_SIGNED_IN, NULL, auth_me},
    {"/api/positions", METHOD_GET, ROLE_SIGNED_IN, NULL, positions_list},
    {"/api/classifications", METHOD_GET, ROLE_SIGNED_IN, classification_params, classifications_list},
    {"/api/instructions", METHOD_GET, ROLE_SIGNED_IN, NULL, instructions_list},
};

const size_t routes_count = sizeof routes / sizeof routes[0];
