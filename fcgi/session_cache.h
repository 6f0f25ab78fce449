/* A worker's short memory of the sessions PostgreSQL confirmed, so that
 * most authenticated requests make one round trip less (each round trip
 * costs about as much as the whole rest of a simple request; see
 * docs/benchmarks.md).
 *
 * An entry serves for at most ESURAT_SESSION_CACHE_MS milliseconds (default
 * 1000; 0 turns the cache off) after PostgreSQL confirmed the session, and
 * every entry is forgotten at once
 *   - when a worker of this esurat-fcgi ends a session (logout, a login
 *     that replaces one): a counter in memory shared by the workers;
 *   - when PostgreSQL notifies channel esurat_sessions, which triggers on
 *     sessions, users and user_roles do for any change that can end a
 *     session or change a user's rights, from any host or the CLI
 *     (sql/009_letter_docs.sql); the worker reads the notifications before
 *     each request, without a round trip. */
#ifndef ESURAT_SESSION_CACHE_H
#define ESURAT_SESSION_CACHE_H

#include <stdbool.h>

#include "arena.h"
#include "db.h"
#include "request.h"

/* In the prefork master, before the workers start: the shared counter.
 * Without it (tests), each process counts alone. */
void session_cache_share(void);

/* In a worker, once: LISTEN on db's connection, entries live ttl_ms. */
void session_cache_attach(db_t *db, long ttl_ms);

/* The user of session token_hash, copied into arena, when remembered and
 * fresh; NULL otherwise. */
user_t *session_cache_get(arena_t *arena, const char *token_hash);

/* The shared counter: read it before asking PostgreSQL, and hand it to
 * session_cache_put, so that a session ended meanwhile is not remembered. */
unsigned long session_cache_generation(void);

/* Remembers u as the user of session token_hash, which PostgreSQL confirmed
 * after session_cache_generation() returned generation. */
void session_cache_put(const char *token_hash, const user_t *u, unsigned long generation);

/* Forgets every session in every worker of this esurat-fcgi. */
void session_cache_forget_all(void);

#endif
