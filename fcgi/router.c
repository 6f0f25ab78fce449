#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned bit;
} methods[] = {
    {"GET", METHOD_GET},     {"POST", METHOD_POST},     {"PUT", METHOD_PUT},
    {"PATCH", METHOD_PATCH}, {"DELETE", METHOD_DELETE}, {"HEAD", METHOD_HEAD},
};

static const struct {
    const char *name;
    unsigned bit;
} roles[] = {
    {"admin", ROLE_ADMIN},         {"front_desk", ROLE_FRONT_DESK}, {"official", ROLE_OFFICIAL},
    {"archivist", ROLE_ARCHIVIST}, {"records", ROLE_RECORDS},
};

unsigned router_method_bit(const char *method)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (method && strcmp(method, methods[i].name) == 0)
            return methods[i].bit;
    return 0;
}

unsigned router_role_bit(const char *name)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (name && strcmp(name, roles[i].name) == 0)
            return roles[i].bit;
    return 0;
}

void router_allow_header(unsigned allowed, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (!(allowed & methods[i].bit))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", methods[i].name);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

/* A positive integer of at most 18 digits, without leading zeros. */
static bool is_id(const char *s, size_t n)
{
    if (n == 0 || n > 18 || s[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Letters, digits, '.', '_' and '-', at most 64 characters. */
static bool is_token(const char *s, size_t n)
{
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-'))
            return false;
    }
    return true;
}

/* Matches path against pattern segment by segment; captures {…} segments
 * as offsets into path. */
static bool pattern_match(const char *pattern, const char *path, size_t starts[ROUTER_MAX_ARGS],
                          size_t lens[ROUTER_MAX_ARGS], size_t *nargs)
{
    const char *p = pattern, *s = path;
    *nargs = 0;
    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++, s++;
        size_t plen = strcspn(p, "/"), slen = strcspn(s, "/");
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            bool numeric = plen == 4 && memcmp(p, "{id}", 4) == 0;
            if (numeric ? !is_id(s, slen) : !is_token(s, slen))
                return false;
            if (*nargs == ROUTER_MAX_ARGS)
                return false;
            starts[*nargs] = (size_t)(s - path);
            lens[*nargs] = slen;
            (*nargs)++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return false;
        }
        p += plen, s += slen;
    }
    return *p == '\0' && *s == '\0';
}

route_result_t router_match(const route_t *table, size_t n, unsigned method, const char *path, char *path_copy,
                            const route_t **route, const char *args[ROUTER_MAX_ARGS], size_t *nargs, unsigned *allowed)
{
    *allowed = 0;
    *route = NULL;
    *nargs = 0;
    size_t starts[ROUTER_MAX_ARGS], lens[ROUTER_MAX_ARGS], count;
    for (size_t i = 0; i < n; i++) {
        if (!pattern_match(table[i].pattern, path, starts, lens, &count))
            continue;
        unsigned accepted = table[i].methods;
        if (accepted & METHOD_GET)
            accepted |= METHOD_HEAD;
        *allowed |= accepted;
        if (!(accepted & method) || *route)
            continue;
        *route = &table[i];
        strcpy(path_copy, path);
        for (size_t k = 0; k < count; k++) {
            path_copy[starts[k] + lens[k]] = '\0';
            args[k] = path_copy + starts[k];
        }
        *nargs = count;
    }
    if (*route)
        return ROUTE_FOUND;
    return *allowed ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}
