#include "numbering.h"

#include <stdio.h>
#include <string.h>

/* The longest placeholder name we know is "bulan_romawi" (12): a brace
 * left open longer than this is an error, not a name. */
#define MAX_NAME 32

const char *number_roman_month(int month)
{
    static const char *const roman[] = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"};
    return month >= 1 && month <= 12 ? roman[month - 1] : NULL;
}

const char *number_security_letter(const char *security)
{
    if (!security || strcmp(security, "biasa") == 0)
        return "B";
    if (strcmp(security, "terbatas") == 0)
        return "T";
    if (strcmp(security, "rahasia") == 0)
        return "R";
    if (strcmp(security, "sangat_rahasia") == 0)
        return "SR";
    return NULL;
}

const char *number_status_text(number_status_t st)
{
    switch (st) {
    case NUMBER_OK: return "ok";
    case NUMBER_UNKNOWN_PLACEHOLDER: return "unknown placeholder";
    case NUMBER_UNBALANCED_BRACE: return "unbalanced brace";
    case NUMBER_NO_SEQUENCE: return "the template has no {urut}";
    case NUMBER_BAD_CHARACTER: return "control character in the template";
    case NUMBER_MISSING_VALUE: return "the template needs a classification";
    case NUMBER_BAD_VALUE: return "value out of range";
    case NUMBER_TOO_LONG: return "the number would be too long";
    }
    return "unknown error";
}

/* Appends s to out at *len; sticky: does nothing once *st is set. */
static void put(char *out, size_t size, size_t *len, const char *s, size_t n, number_status_t *st)
{
    if (*st != NUMBER_OK)
        return;
    if (n > size - 1 - *len || *len + n > NUMBER_MAX_LEN) {
        *st = NUMBER_TOO_LONG;
        return;
    }
    memcpy(out + *len, s, n);
    *len += n;
}

/* The text of placeholder name (n bytes), or NULL with *st set. buf holds
 * numbers formatted here. */
static const char *value_of(const char *name, size_t n, const number_values_t *v, char *buf, size_t bufsize,
                            number_status_t *st)
{
#define IS(lit) (n == sizeof lit - 1 && memcmp(name, lit, n) == 0)
    if (IS("klasifikasi")) {
        if (!v->classification || !*v->classification)
            *st = NUMBER_MISSING_VALUE;
        return v->classification;
    }
    if (IS("urut")) {
        if (v->sequence <= 0) {
            *st = NUMBER_BAD_VALUE;
            return NULL;
        }
        snprintf(buf, bufsize, "%ld", v->sequence);
        return buf;
    }
    if (IS("unit")) {
        if (!v->unit_code || !*v->unit_code)
            *st = NUMBER_MISSING_VALUE;
        return v->unit_code;
    }
    if (IS("tahun")) {
        if (v->year < 1900 || v->year > 9999) {
            *st = NUMBER_BAD_VALUE;
            return NULL;
        }
        snprintf(buf, bufsize, "%04d", v->year);
        return buf;
    }
    if (IS("bulan") || IS("bulan_romawi")) {
        if (v->month < 1 || v->month > 12) {
            *st = NUMBER_BAD_VALUE;
            return NULL;
        }
        if (IS("bulan_romawi"))
            return number_roman_month(v->month);
        snprintf(buf, bufsize, "%02d", v->month);
        return buf;
    }
    if (IS("sifat")) {
        const char *s = number_security_letter(v->security);
        if (!s)
            *st = NUMBER_BAD_VALUE;
        return s;
    }
#undef IS
    *st = NUMBER_UNKNOWN_PLACEHOLDER;
    return NULL;
}

number_status_t number_format(const char *tmpl, const number_values_t *v, char *out, size_t size)
{
    if (!out || size == 0)
        return NUMBER_TOO_LONG;
    out[0] = '\0';
    if (!tmpl || !*tmpl)
        tmpl = NUMBER_DEFAULT_TEMPLATE;
    number_status_t st = NUMBER_OK;
    size_t len = 0;
    int sequences = 0;
    for (const char *p = tmpl; *p && st == NUMBER_OK;) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            st = NUMBER_BAD_CHARACTER;
        } else if (*p == '}') {
            st = NUMBER_UNBALANCED_BRACE;
        } else if (*p == '{') {
            const char *name = p + 1;
            size_t n = strcspn(name, "{}");
            if (name[n] != '}' || n > MAX_NAME) {
                st = NUMBER_UNBALANCED_BRACE;
                break;
            }
            char buf[24];
            const char *value = value_of(name, n, v, buf, sizeof buf, &st);
            if (st == NUMBER_OK) {
                if (n == 4 && memcmp(name, "urut", 4) == 0)
                    sequences++;
                put(out, size, &len, value, strlen(value), &st);
            }
            p = name + n + 1;
        } else {
            /* Plain text up to the next brace or control byte (the
             * first byte passed the checks above, so plain >= 1). */
            size_t n = strcspn(p, "{}");
            size_t plain = 0;
            while (plain < n && (unsigned char)p[plain] >= 0x20 && p[plain] != 0x7f)
                plain++;
            put(out, size, &len, p, plain, &st);
            p += plain;
        }
    }
    if (st == NUMBER_OK && sequences == 0)
        st = NUMBER_NO_SEQUENCE;
    out[st == NUMBER_OK ? len : 0] = '\0';
    return st;
}
