#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classification.h"
#include "utf8.h"

const char *const V_DIRECTIONS[] = {"in", "out", NULL};
const char *const V_SECURITIES[] = {"biasa", "terbatas", "rahasia", "sangat_rahasia", NULL};
const char *const V_URGENCIES[] = {"biasa", "segera", "sangat_segera", NULL};
const char *const V_STATUSES[] = {"baru", "didisposisi", "selesai", "diarsipkan", NULL};

static bool fail(request_t *req, const char *field, const char *why)
{
    reply_error(req, 400, "invalid_field", field, "%s: %s", field, why);
    return false;
}

size_t utf8_chars(const char *s)
{
    return utf8_length(s);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool v_text(request_t *req, json_t *obj, const char *field, size_t max_chars, unsigned flags, const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v)) {
        if (flags & V_REQUIRED)
            return fail(req, field, "required");
        return true;
    }
    if (!json_is_string(v))
        return fail(req, field, "expected a string");
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len)
        return fail(req, field, "NUL is not allowed");
    while (len && is_space(*s))
        s++, len--;
    while (len && is_space(s[len - 1]))
        len--;
    if (len == 0) {
        if (flags & V_REQUIRED)
            return fail(req, field, "required, must not be blank");
        return true;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool allowed_ws = (flags & V_MULTILINE) && (c == '\n' || c == '\t' || c == '\r');
        if ((c < 0x20 || c == 0x7f) && !allowed_ws)
            return fail(req, field, "control characters are not allowed");
    }
    char *copy = arena_strndup(req->arena, s, len);
    if (!copy) {
        reply_error(req, 413, "too_large", field, "%s: too large", field);
        return false;
    }
    if (utf8_chars(copy) > max_chars) {
        reply_error(req, 400, "invalid_field", field, "%s: at most %zu characters", field, max_chars);
        return false;
    }
    *out = copy;
    return true;
}

bool enum_valid(const char *s, const char *const *allowed)
{
    for (size_t i = 0; s && allowed[i]; i++)
        if (strcmp(s, allowed[i]) == 0)
            return true;
    return false;
}

bool v_enum(request_t *req, json_t *obj, const char *field, const char *const *allowed, const char *dflt,
            const char **out)
{
    *out = dflt;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v)) {
        if (!dflt)
            return fail(req, field, "required");
        return true;
    }
    if (!json_is_string(v) || !enum_valid(json_string_value(v), allowed)) {
        char list[256] = "";
        for (size_t i = 0; allowed[i]; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", allowed[i]);
        reply_error(req, 400, "invalid_field", field, "%s: expected one of %s", field, list);
        return false;
    }
    *out = json_string_value(v);
    return true;
}

bool v_date(request_t *req, json_t *obj, const char *field, unsigned flags, const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v)) {
        if (flags & V_REQUIRED)
            return fail(req, field, "required, expected YYYY-MM-DD");
        return true;
    }
    if (!json_is_string(v) || !date_valid(json_string_value(v)))
        return fail(req, field, "expected YYYY-MM-DD, a date that exists");
    *out = json_string_value(v);
    return true;
}

bool id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 18 || s[0] == '0')
        return false;
    return strspn(s, "0123456789") == n;
}

bool v_id(request_t *req, json_t *obj, const char *field, unsigned flags, const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v)) {
        if (flags & V_REQUIRED)
            return fail(req, field, "required");
        return true;
    }
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *out = arena_printf(req->arena, "%lld", (long long)json_integer_value(v));
        return true;
    }
    if (json_is_string(v) && id_valid(json_string_value(v))) {
        *out = json_string_value(v);
        return true;
    }
    return fail(req, field, "expected a positive integer id");
}

bool v_known_fields(request_t *req, json_t *obj, const char *const *known)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        (void)value;
        if (!enum_valid(key, known)) {
            reply_error(req, 400, "invalid_field", key, "%s: unknown field", key);
            return false;
        }
    }
    return true;
}

bool classification_code_valid(const char *s)
{
    return class_code_valid(s);
}

bool v_bool(request_t *req, json_t *obj, const char *field, const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_boolean(v))
        return fail(req, field, "expected true or false");
    *out = json_is_true(v) ? "true" : "false";
    return true;
}

bool v_int(request_t *req, json_t *obj, const char *field, long long min, long long max, const char **out)
{
    *out = NULL;
    json_t *v = json_object_get(obj, field);
    if (!v || json_is_null(v))
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        reply_error(req, 400, "invalid_field", field, "%s: expected a whole number from %lld to %lld", field, min, max);
        return false;
    }
    *out = arena_printf(req->arena, "%lld", (long long)json_integer_value(v));
    return true;
}

bool v_present(json_t *obj, const char *field)
{
    return json_object_get(obj, field) != NULL;
}

const char *q_param(request_t *req, const char *name)
{
    const char *v = req_param(req, name);
    return v && *v ? v : NULL;
}

bool q_fail(request_t *req, const char *field, const char *why)
{
    reply_error(req, 400, "invalid_query", field, "%s: %s", field, why);
    return false;
}

bool q_limit(request_t *req, long *out)
{
    const char *text = q_param(req, "limit");
    *out = Q_LIMIT_DEFAULT;
    if (!text)
        return true;
    size_t n = strlen(text);
    long v = strspn(text, "0123456789") == n && n <= 4 ? atol(text) : 0;
    if (v < 1 || v > Q_LIMIT_MAX)
        return q_fail(req, "limit", "expected 1 to 200");
    *out = v;
    return true;
}
