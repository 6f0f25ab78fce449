/* libFuzzer target: the classification table's CSV reader
 * (core/classification.c), which reads files uploaded to POST
 * /api/classifications/import. Any bytes give rows that pass the checks
 * the database relies on, or problems naming lines of the file, in order;
 * never a crash, a leak or an out-of-bounds access. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "classification.h"
#include "utf8.h"

static bool digits(const char *s)
{
    return s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 4 && atoi(s) <= CLASS_YEARS_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static arena_t *arena;
    if (!arena && !(arena = arena_new(0)))
        abort();
    arena_reset(arena);
    class_table_t t;
    if (class_csv_parse(arena, (const char *)data, size, &t) != 0)
        return 0; /* out of memory */
    long lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    for (size_t i = 0; i < t.nproblems; i++) {
        const class_problem_t *p = &t.problems[i];
        if (p->line < 1 || p->line > lines || !p->message || !*p->message)
            abort();
        if (i && p->line < t.problems[i - 1].line)
            abort();
    }
    for (size_t i = 0; i < t.nrows; i++) {
        const class_row_t *r = &t.rows[i];
        if (!class_code_valid(r->code) || !r->title || !*r->title || !utf8_valid(r->title, strlen(r->title)))
            abort();
        if (utf8_length(r->title) > CLASS_TITLE_MAX_CHARS || strpbrk(r->title, "\r\n\t"))
            abort();
        for (int k = 0; k < 2; k++)
            if (r->years[k] && !digits(r->years[k]))
                abort();
        if (r->final && strcmp(r->final, "musnah") != 0 && strcmp(r->final, "permanen") != 0 &&
            strcmp(r->final, "dinilai_kembali") != 0)
            abort();
        if (r->line < 1 || r->line > lines)
            abort();
    }
    return 0;
}
