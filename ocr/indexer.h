/* The indexer: a thread of esurat-worker, the only writer of the search
 * index (ESURAT_INDEX_DIR). It checks the index against PostgreSQL at
 * start (rebuilding it when missing, corrupt or stale), then drains the
 * index outbox every ESURAT_INDEX_POLL_MS (default 200) so that a change
 * is searchable within a second of its commit, and follows a generation
 * published by `esurat reindex`. See search/indexing.h.
 *
 * Of the indexers of all esurat-worker hosts, one writes: the holder of a
 * PostgreSQL advisory lock; the others wait and one takes over when the
 * writer's database session ends. ESURAT_INDEXER=0 starts none (an OCR-only
 * host). A cluster's web hosts read replicas of the writer's index
 * (xapian-replicate, docs/scaling.md). */
#ifndef ESURAT_INDEXER_H
#define ESURAT_INDEXER_H

#include <signal.h>

typedef struct indexer indexer_t;

/* Starts the thread with its own database connection. stop is polled
 * (the worker's SIGTERM flag). NULL when the thread cannot start. */
indexer_t *indexer_start(const char *database_url, const volatile sig_atomic_t *stop);

/* Waits for the thread to end (after *stop was set) and frees it. */
void indexer_join(indexer_t *ix);

#endif
