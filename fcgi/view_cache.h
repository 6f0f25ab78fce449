/* A worker's short memory of the pages it answered, so that reading a
 * letter or an inbox again costs no PostgreSQL round trip (a round trip
 * costs more than the rest of such a request; docs/benchmarks.md).
 *
 * What is remembered: the page of a letter that is not confidential (a
 * confidential one is read from PostgreSQL every time, since each reading
 * is put on the record), as kept in letter_docs; and each user's inbox
 * pages and counts. An entry serves for at most ESURAT_VIEW_CACHE_MS
 * milliseconds (default 1000; 0 turns the cache off), and is forgotten
 * earlier
 *   - when PostgreSQL notifies channel esurat_views (sql/013_view_notify.sql,
 *     for changes from any host, the OCR worker and the CLI included):
 *     "L<id>" when what letter <id>'s page shows changed, "I<id>" when
 *     what its inbox entries show changed too (dispositions, the letter's
 *     fields), "*" when names, positions or holders changed; the worker
 *     reads notifications before each request, without a round trip;
 *   - at once, when a worker of this esurat-fcgi commits a change that a
 *     page may show (view_cache_changed(): a counter in memory shared by
 *     the workers), so that a user's next request sees their change
 *     whichever worker answers it. */
#ifndef ESURAT_VIEW_CACHE_H
#define ESURAT_VIEW_CACHE_H

#include <stdbool.h>

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

/* The page of letter letter_id, copied into arena, when remembered and
 * fresh; NULL otherwise. */
const char *view_cache_letter(arena_t *arena, long long letter_id);
void view_cache_put_letter(long long letter_id, const char *page, unsigned long generation);

/* A page of user_id's inbox, keyed by what the request asked (kind and
 * parameters, in a fixed order), copied into arena; NULL otherwise. */
const char *view_cache_inbox(arena_t *arena, long long user_id, const char *key);
void view_cache_put_inbox(long long user_id, const char *key, const char *page, unsigned long generation);

/* Forgets every page in every worker of this esurat-fcgi: called after a
 * commit that changed something a page may show. */
void view_cache_changed(void);

#endif
