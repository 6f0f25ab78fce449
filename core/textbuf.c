#include "textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool tb_reserve(textbuf_t *b, size_t extra)
{
    if (b->oom)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) {
        if (cap > (size_t)-1 / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void tb_append(textbuf_t *b, const char *s, size_t n)
{
    if (!tb_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void tb_puts(textbuf_t *b, const char *s)
{
    tb_append(b, s, strlen(s));
}

void tb_printf(textbuf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if (!tb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void tb_reset(textbuf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void tb_free(textbuf_t *b)
{
    free(b->data);
    *b = (textbuf_t)TEXTBUF_INIT;
}

void csv_field(textbuf_t *b, const char *value, bool last)
{
    const char *v = value ? value : "";
    bool formula = v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r';
    bool quote = formula || strpbrk(v, ",\"\r\n;") != NULL;
    if (quote)
        tb_append(b, "\"", 1);
    if (formula)
        tb_append(b, "'", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            tb_append(b, "\"\"", 2);
        else
            tb_append(b, p, 1);
    }
    if (quote)
        tb_append(b, "\"", 1);
    tb_append(b, last ? "\r\n" : ",", last ? 2 : 1);
}
