/* libFuzzer target: URL, query-string and cookie decoding must never
 * crash, read out of bounds or hand back invalid UTF-8, whatever arrives;
 * the router must match only what its patterns allow ({id}: 1-18 digits,
 * {name}: a token) and capture nothing else. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "router.h"

static void handler(request_t *req)
{
    (void)req;
}

/* The shapes of fcgi/routes.c: fixed paths, {id} and {name} segments. */
static const route_t table[] = {
    {"/api/letters", METHOD_GET | METHOD_POST, 0, NULL, handler},
    {"/api/letters/{id}", METHOD_GET | METHOD_PATCH, 0, NULL, handler},
    {"/api/letters/{id}/scans", METHOD_POST, 0, NULL, handler},
    {"/api/track/{code}", METHOD_GET, 0, NULL, handler},
    {"/api/positions/{id}/holders/{id}", METHOD_DELETE, 0, NULL, handler},
};

static bool is_token(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n >= 1 && n <= max && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static void check_route(arena_t *arena, const char *text, size_t size)
{
    const char *space = memchr(text, ' ', size);
    if (!space)
        return;
    char *method = arena_strndup(arena, text, (size_t)(space - text));
    const char *path = space + 1;
    char *copy = arena_alloc(arena, strlen(path) + 1);
    if (!method || !copy)
        return;
    unsigned bit = router_method_bit(method);
    const route_t *route;
    const char *args[ROUTER_MAX_ARGS];
    size_t nargs;
    unsigned allowed;
    route_result_t r =
        router_match(table, sizeof table / sizeof table[0], bit, path, copy, &route, args, &nargs, &allowed);
    if (r != ROUTE_FOUND) {
        if (route || nargs || (r == ROUTE_BAD_METHOD) != (allowed != 0))
            abort();
        return;
    }
    if (!(route->methods & bit) && !(bit == METHOD_HEAD && (route->methods & METHOD_GET)))
        abort();
    /* One capture per placeholder, each a token ({id}: 1-18 digits, no
     * leading zero) found in the path. */
    size_t k = 0;
    for (const char *p = strchr(route->pattern, '{'); p; p = strchr(p + 1, '{'), k++) {
        if (k >= nargs || !is_token(args[k], 64) || !strstr(path, args[k]))
            abort();
        if (strncmp(p, "{id}", 4) == 0 &&
            (!is_token(args[k], 18) || args[k][0] == '0' || strspn(args[k], "0123456789") != strlen(args[k])))
            abort();
    }
    if (k != nargs)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static arena_t *arena;
    if (!arena)
        arena = arena_new(0);
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    char *decoded;
    if (url_decode(arena, text, size, size & 1, &decoded) == HTTP_OK && !utf8_valid(decoded, strlen(decoded)))
        abort();
    http_param_t *params;
    size_t count;
    if (query_parse(arena, text, &params, &count) == HTTP_OK) {
        for (size_t i = 0; i < count; i++)
            if (!utf8_valid(params[i].name, strlen(params[i].name)) ||
                !utf8_valid(params[i].value, strlen(params[i].value)))
                abort();
    }
    (void)cookie_get(arena, text, "esurat_session");
    check_route(arena, text, strlen(text));
    arena_reset(arena);
    free(text);
    return 0;
}
