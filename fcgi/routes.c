#include "routes.h"

#include "auth.h"
#include "health.h"

const route_t routes[] = {
    {"/api/health", METHOD_GET, ROLE_PUBLIC, NULL, health_get},
    {"/metrics", METHOD_GET, ROLE_PUBLIC, NULL, metrics_get},
    {"/api/auth/login", METHOD_POST, ROLE_PUBLIC, NULL, auth_login},
    {"/api/auth/logout", METHOD_POST, ROLE_SIGNED_IN, NULL, auth_logout},
    {"/api/me", METHOD_GET, ROLE_SIGNED_IN, NULL, auth_me},
};

const size_t routes_count = sizeof routes / sizeof routes[0];
