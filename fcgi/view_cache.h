/* A worker's short memory of the pages it answered, so that reading a
 * letter or an inbox again costs no PostgreSQL round trip (a round trip
 * costs more than the rest of such a request; docs/benchmarks.md).
 *
 * What is remembered: the page of a letter that is not confidential (a
 * confidential one is read from PostgreSQL every time, since each reading
 * is put on the record), as kept in letter_docs; each user's inbox pages
 * and counts; letters' summaries and users' access groups for the search;
 * the unit a registrar registers for.
 * An entry serves for at most ESURAT_VIEW_CACHE_MS
 * milliseconds (default 1000; 0 turns the cache off), and is forgotten
 * earlier
 *   - when PostgreSQL notifies channel esurat_views (sql/013_view_notify.sql,
 *     for changes from any host, the OCR worker and the CLI included):
 *     "L<id>" when what letter <id>'s page shows changed, "I<id>" when
 *     what its inbox entries show changed too (dispositions, the letter's
 *     fields), "*" when names, positions or holders changed; the worker
 *     reads notifications before each request, without a round trip;
 *   - access groups, when PostgreSQL notifies esurat_sessions (a user's
 *     roles changed) or "*";
 *   - at once, when a worker of this esurat-fcgi commits a change that a
 *     page may show (view_cache_changed(): a counter in memory shared by
 *     the workers), so that a user's next request sees their change
 *     whichever worker answers it. */
#ifndef ESURAT_VIEW_CACHE_H
#define ESURAT_VIEW_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "db.h"

/* In the prefork master, before the workers start: the shared counter.
 * Without it (tests), each process counts alone. */
void view_cache_share(void);

/* In a worker, once: LISTEN on db's connection, entries live ttl_ms. */
void view_cache_attach(db_t *db, long ttl_ms);

/* The shared counter: read it before asking PostgreSQL, and hand it to
 * the put functions, so that a page changed meanwhile is not kept. */
unsigned long view_cache_generation(void);

/* What a page is; each kind is forgotten on the notifications that can
 * change it (see view_cache.c). */
typedef enum {
    VIEW_LETTER,  /* GET /api/letters/{id}, by letter id */
    VIEW_INBOX,   /* a page of /api/inbox or its counts, by user id and query */
    VIEW_SUMMARY, /* a letter's summary (letter_json), as lists show it, by letter id */
    VIEW_GROUPS,  /* a user's search access groups, by user id */
    VIEW_UNIT,    /* a registrar's unit, template and checks (fcgi/letters.c), by user id and question */
} view_kind_t;

/* The page of kind for id (and key, "" when the id says all), copied into
 * arena, when remembered and fresh; NULL otherwise. Only what every user
 * who may ask for it may see is put: a letter's page or summary only when
 * the letter is not confidential. */
const char *view_cache_get(arena_t *arena, view_kind_t kind, long long id, const char *key);
/* The same without the copy (a page of tens of KB is answered straight from
 * here): valid until the next call of a view_cache function or
 * db_ready(), which delivers the notifications; *len its length. */
const char *view_cache_peek(view_kind_t kind, long long id, const char *key, size_t *len);
void view_cache_put(view_kind_t kind, long long id, const char *key, const char *page, unsigned long generation);

/* Forgets every page in every worker of this esurat-fcgi: called after a
 * commit that changed something a page may show. */
void view_cache_changed(void);

#endif
