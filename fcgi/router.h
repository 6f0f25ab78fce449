/* The route table: path pattern, methods, required role, declared query
 * parameters, handler. The dispatcher answers 404 / 405 / 401 / 403 / 400
 * before a handler runs (cgit's cmd.c, kore's route params). */
#ifndef ESURAT_ROUTER_H
#define ESURAT_ROUTER_H

#include <stddef.h>

typedef struct request request_t;
typedef void (*handler_fn)(request_t *req);

enum {
    METHOD_GET = 1 << 0,
    METHOD_POST = 1 << 1,
    METHOD_PUT = 1 << 2,
    METHOD_PATCH = 1 << 3,
    METHOD_DELETE = 1 << 4,
    METHOD_HEAD = 1 << 5,
};

/* Roles as bits. A route's roles: ROLE_PUBLIC (no session needed),
 * ROLE_SIGNED_IN (any signed-in user), or any of the named roles. */
enum {
    ROLE_ADMIN = 1 << 0,
    ROLE_FRONT_DESK = 1 << 1,
    ROLE_OFFICIAL = 1 << 2,
    ROLE_ARCHIVIST = 1 << 3,
    ROLE_RECORDS = 1 << 4,
    ROLE_SIGNED_IN = 1 << 30,
    ROLE_PUBLIC = 0,
};

#define ROUTER_MAX_ARGS 4

typedef struct {
    const char *pattern;       /* "/api/letters/{id}"; {id}: positive integer, {name}: a token */
    unsigned methods;          /* METHOD_* bits */
    unsigned roles;            /* ROLE_* bits */
    const char *const *params; /* declared query parameters, NULL-terminated; NULL: none */
    handler_fn handler;
} route_t;

typedef enum { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD } route_result_t;

/* The METHOD_* bit of an HTTP method name, or 0 for one we do not serve. */
unsigned router_method_bit(const char *method);

/* The bit of a role name ("front_desk"), or 0. */
unsigned router_role_bit(const char *name);

/* Writes "GET, POST" for methods into buf. */
void router_allow_header(unsigned methods, char *buf, size_t size);

/* Finds the route for method and path in table[0..n). On ROUTE_FOUND,
 * *route is set and args[0..*nargs) point into path_copy (a writable copy
 * of path the caller provides, at least strlen(path)+1 bytes). On
 * ROUTE_BAD_METHOD, *allowed holds the methods the path does accept. */
route_result_t router_match(const route_t *table, size_t n, unsigned method, const char *path, char *path_copy,
                            const route_t **route, const char *args[ROUTER_MAX_ARGS], size_t *nargs, unsigned *allowed);

#endif
