/* Per-request arena: bump allocation from chunks, freed all at once.
 *
 * Request memory comes from one arena that is reset after the response is
 * finished (FCGX_Finish_r). Cleanups (PQclear, json_decref, ...) registered
 * with arena_on_reset run in reverse order of registration at reset. */
#ifndef ESURAT_ARENA_H
#define ESURAT_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct arena arena_t;

/* A new arena whose chunks hold at least chunk_size bytes (0: 16 KiB).
 * Returns NULL when out of memory. Free with arena_free. */
arena_t *arena_new(size_t chunk_size);

/* n bytes, zeroed, aligned for any type; NULL when out of memory or when
 * n is so large that it overflows. Valid until the next arena_reset. */
void *arena_alloc(arena_t *a, size_t n);

/* Copies of s (NUL-terminated) and of the first n bytes of s; NULL on OOM. */
char *arena_strdup(arena_t *a, const char *s);
char *arena_strndup(arena_t *a, const char *s, size_t n);

/* printf into the arena; NULL on OOM or format error. */
char *arena_printf(arena_t *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(arena_t *a, const char *fmt, va_list ap);

/* Registers fn(arg) to run at the next reset (or free). 0, or -1 on OOM,
 * in which case fn(arg) is run at once so that nothing leaks. */
int arena_on_reset(arena_t *a, void (*fn)(void *), void *arg);

/* Runs the cleanups (last registered first), keeps the first chunk and
 * frees the others. */
void arena_reset(arena_t *a);

/* Bytes handed out since the last reset (for tests and metrics). */
size_t arena_used(const arena_t *a);

void arena_free(arena_t *a);

#endif
