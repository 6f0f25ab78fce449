#include "http.h"

#include <string.h>

const char *http_status_text(http_status_t status)
{
    switch (status) {
    case HTTP_OK: return "ok";
    case HTTP_BAD_ESCAPE: return "malformed percent-encoding";
    case HTTP_NUL: return "encoded NUL byte";
    case HTTP_BAD_UTF8: return "invalid UTF-8";
    case HTTP_TOO_LONG: return "too long";
    case HTTP_TOO_MANY: return "too many parameters";
    case HTTP_OOM: return "out of memory";
    }
    return "unknown error";
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

http_status_t url_decode(arena_t *a, const char *in, size_t n, bool plus_is_space, char **out)
{
    char *buf = arena_alloc(a, n + 1);
    if (!buf)
        return HTTP_OOM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '%') {
            if (n - i < 3)
                return HTTP_BAD_ESCAPE;
            int h = hex_value(in[i + 1]), l = hex_value(in[i + 2]);
            if (h < 0 || l < 0)
                return HTTP_BAD_ESCAPE;
            c = (char)(h * 16 + l);
            if (c == '\0')
                return HTTP_NUL;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (c == '\0') {
            return HTTP_NUL;
        }
        buf[o++] = c;
    }
    buf[o] = '\0';
    if (!utf8_valid(buf, o))
        return HTTP_BAD_UTF8;
    *out = buf;
    return HTTP_OK;
}

http_status_t query_parse(arena_t *a, const char *qs, http_param_t **params, size_t *count)
{
    *params = NULL;
    *count = 0;
    if (!qs || !*qs)
        return HTTP_OK;
    size_t total = strlen(qs);
    if (total > HTTP_MAX_QUERY_LEN)
        return HTTP_TOO_LONG;
    http_param_t *list = arena_alloc(a, sizeof(*list) * HTTP_MAX_PARAMS);
    if (!list)
        return HTTP_OOM;
    size_t used = 0;
    const char *p = qs;
    while (*p) {
        size_t len = strcspn(p, "&");
        if (len > 0) {
            if (used == HTTP_MAX_PARAMS)
                return HTTP_TOO_MANY;
            const char *eq = memchr(p, '=', len);
            size_t name_len = eq ? (size_t)(eq - p) : len;
            char *name, *value;
            http_status_t st = url_decode(a, p, name_len, true, &name);
            if (st != HTTP_OK)
                return st;
            if (eq)
                st = url_decode(a, eq + 1, len - name_len - 1, true, &value);
            else
                value = arena_strdup(a, ""), st = value ? HTTP_OK : HTTP_OOM;
            if (st != HTTP_OK)
                return st;
            list[used].name = name;
            list[used].value = value;
            used++;
        }
        p += len;
        if (*p == '&')
            p++;
    }
    *params = list;
    *count = used;
    return HTTP_OK;
}

const char *cookie_get(arena_t *a, const char *header, const char *name)
{
    if (!header || strlen(header) > HTTP_MAX_COOKIE_LEN)
        return NULL;
    size_t name_len = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        size_t len = strcspn(p, ";");
        const char *eq = memchr(p, '=', len);
        if (eq && (size_t)(eq - p) == name_len && memcmp(p, name, name_len) == 0) {
            const char *v = eq + 1;
            size_t vlen = len - name_len - 1;
            while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"')
                v++, vlen -= 2;
            return arena_strndup(a, v, vlen);
        }
        p += len;
    }
    return NULL;
}
