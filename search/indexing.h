/* Keeping the search index in step with PostgreSQL: what the indexer
 * thread of esurat-worker and `esurat reindex` share.
 *
 * Every change that must reach the index writes an index_outbox row in
 * the same transaction (sql/001, 005, 008). The indexer drains the
 * pending rows in batches: it reads each letter as it is now, writes its
 * document (or removes it), commits the Xapian database, then marks the
 * rows processed. A crash in between only makes it do a batch again.
 *
 * A rebuild reads every letter from one REPEATABLE READ snapshot into a
 * new generation (bounded memory: pages of INDEXING_PAGE letters, a
 * Xapian commit every INDEXING_COMMIT_EVERY). With several cores
 * (ESURAT_INDEX_BUILD_THREADS, default one per core up to 4, from 20 000
 * letters on) threads build disjoint id ranges on the exported snapshot
 * (pg_export_snapshot) into parts that are merged with their ids kept.
 * It then applies the rows
 * processed since that snapshot (changes the snapshot did not see, which
 * the previous generation's writer took meanwhile), and publishes the
 * generation. The indexer, seeing the link move, does the same catch-up
 * once more on the new generation and carries on.
 *
 * Metadata kept in the index: schema (SEARCH_SCHEMA_VERSION), db_uuid
 * (search_state.db_uuid), outbox_id (highest outbox row applied),
 * snapshot_at (the rebuild's snapshot, PostgreSQL time). */
#ifndef ESURAT_INDEXING_H
#define ESURAT_INDEXING_H

#include <signal.h>
#include <stddef.h>

#include "db.h"
#include "search.h"

#define INDEXING_PAGE 1000
/* A commit every 1 000 letters cost about a third less CPU a letter than
 * every 10 000 (Xapian's flush of a few hundred thousand distinct terms at
 * once is cache-hostile), but the 1 000 000-letter rebuild with it failed
 * at 488 000 letters with "DatabaseCorruptError: Too few chunks of
 * compressed data" on commit (Xapian 1.4.22, glass; docs/benchmarks.md):
 * until that is understood, the interval every earlier rebuild used. */
#define INDEXING_COMMIT_EVERY 10000
/* Outbox rows taken per batch. */
#define INDEXING_BATCH 500

typedef struct {
    char message[512]; /* what went wrong, for the log */
} indexing_error_t;

/* Called after each page of a rebuild: letters done so far, and the
 * number in the snapshot. */
typedef void (*indexing_progress_fn)(void *ctx, long long done, long long total);

/* Builds a new generation of index_dir from db and publishes it. stop,
 * when set, aborts (the new generation is removed). The new generation's
 * path goes to gen_out. 0, or -1 with *err set. */
int indexing_rebuild(db_t *db, const char *index_dir, indexing_progress_fn progress, void *ctx,
                     const volatile sig_atomic_t *stop, char *gen_out, size_t gen_size, indexing_error_t *err);

/* Applies up to max pending outbox rows to w, commits, marks them
 * processed. The number of rows applied (0: nothing pending), or -1. */
long indexing_drain(db_t *db, search_writer_t *w, int max, indexing_error_t *err);

/* Applies again every row processed at or after the generation's
 * snapshot_at (see above) and commits. 0 or -1. */
int indexing_catch_up(db_t *db, search_writer_t *w, indexing_error_t *err);

/* Compares w's index with PostgreSQL: 0 when it is in step, 1 when it is
 * stale (the reason in err->message: another schema, another database,
 * outbox rows applied elsewhere, a different number of letters), -1 when
 * the database could not be asked. Drains the pending rows first. */
int indexing_check(db_t *db, search_writer_t *w, indexing_error_t *err);

/* What indexing_verify found. */
#define INDEXING_VERIFY_SHOWN 10
typedef struct {
    long long letters;   /* in the database */
    long long documents; /* in the index */
    long long missing;   /* letters without their document */
    long long extra;     /* documents without their letter */
    long long differ;    /* documents unlike their letter today */
    long long pending;   /* outbox rows not yet applied (changes on their way) */
    char first[INDEXING_VERIFY_SHOWN][256]; /* the first problems, "letter 12: ..." */
    int nfirst;
} indexing_verify_t;

/* Compares the live index of index_dir, read only, document by document
 * with what the indexer would write for each letter of one snapshot of
 * the database (search_reader_compare), and the other way round. Meant
 * for a quiet system: a letter changed while it runs, or still in the
 * outbox (v->pending), may show as different. 0 with *v filled, or -1
 * with *err set (the index or the database could not be read). */
int indexing_verify(db_t *db, const char *index_dir, indexing_verify_t *v, indexing_error_t *err);

/* Removes processed outbox rows older than days. */
long indexing_prune(db_t *db, int days);

#endif
