#include "indexing.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

/* A letter's document as the indexer reads it; registration time in the
 * connection's time zone (Asia/Jakarta). */
#define LETTER_COLUMNS                                                                                                 \
    "SELECT l.id, l.direction, l.letter_number, l.sender, l.recipient, l.subject, l.summary, l.classification,"        \
    "  to_char(l.created_at, 'YYYYMMDDHH24MISS') AS registered,"                                                       \
    "  letter_search_groups(l.id, l.security, l.unit_id) AS groups,"                                                   \
    "  (SELECT string_agg(concat_ws(' ', d.note, d.report), E'\\n' ORDER BY d.id)"                                     \
    "     FROM dispositions d WHERE d.letter_id = l.id) AS notes "                                                     \
    "FROM letters l "

static const char LETTERS_BY_ID_SQL[] = LETTER_COLUMNS "WHERE l.id = ANY($1::bigint[]) ORDER BY l.id";
/* A rebuild's page: the letters after $1 with their OCR pages in one
 * column ("scan<US>page<US>text", pages separated by RS), so that one
 * query per page can be in flight while the previous page is indexed. */
static const char LETTERS_PAGE_SQL[] =
    "SELECT l.id, l.direction, l.letter_number, l.sender, l.recipient, l.subject, l.summary, l.classification,"
    "  to_char(l.created_at, 'YYYYMMDDHH24MISS') AS registered,"
    "  letter_search_groups(l.id, l.security, l.unit_id) AS groups,"
    "  (SELECT string_agg(concat_ws(' ', d.note, d.report), E'\\n' ORDER BY d.id)"
    "     FROM dispositions d WHERE d.letter_id = l.id) AS notes,"
    "  (SELECT string_agg(p.scan_id || E'\\x1f' || p.page || E'\\x1f' || translate(p.text, E'\\x1e\\x1f', '  '),"
    "                     E'\\x1e' ORDER BY p.scan_id, p.page)"
    "     FROM scans s JOIN page_texts p ON p.scan_id = s.id WHERE s.letter_id = l.id) AS pages "
    "FROM letters l WHERE l.id > $1::bigint AND l.id <= $3::bigint ORDER BY l.id LIMIT $2::int";

static const char PAGES_BY_ID_SQL[] =
    "SELECT s.letter_id, p.scan_id, p.page, p.text FROM scans s JOIN page_texts p ON p.scan_id = s.id "
    "WHERE s.letter_id = ANY($1::bigint[]) ORDER BY s.letter_id, p.scan_id, p.page";

static const char PENDING_SQL[] =
    "SELECT id, letter_id FROM index_outbox WHERE processed_at IS NULL ORDER BY id LIMIT $1::int";
/* clock_timestamp(), not now(): a row is marked after its change
 * committed and after the indexer read it, which catch-up relies on. */
static const char MARK_SQL[] = "UPDATE index_outbox SET processed_at = clock_timestamp() WHERE id = ANY($1::bigint[])";
static const char SINCE_SQL[] = "SELECT DISTINCT letter_id FROM index_outbox "
                                "WHERE processed_at >= $1::timestamptz ORDER BY letter_id";
static const char SINCE_MAX_SQL[] =
    "SELECT coalesce(max(id), 0) AS max FROM index_outbox WHERE processed_at >= $1::timestamptz";

static const char SNAPSHOT_SQL[] = "SELECT now()::text AS snapshot_at, pg_export_snapshot() AS snapshot_id,"
                                   "  (SELECT db_uuid FROM search_state) AS db_uuid,"
                                   "  (SELECT coalesce(max(id), 0) FROM index_outbox) AS outbox_id,"
                                   "  (SELECT count(*) FROM letters) AS letters,"
                                   "  (SELECT coalesce(min(id), 0) FROM letters) AS min_id,"
                                   "  (SELECT coalesce(max(id), 0) FROM letters) AS max_id";

static const char CHECK_SQL[] =
    "SELECT (SELECT db_uuid FROM search_state) AS db_uuid,"
    "  (SELECT coalesce(max(id), 0) FROM index_outbox WHERE processed_at IS NOT NULL) AS processed_max,"
    "  (SELECT count(*) FROM letters) AS letters,"
    "  (SELECT count(*) FROM index_outbox WHERE processed_at IS NULL) AS pending";

static void fail(indexing_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(indexing_error_t *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

/* A growing "{1,2,3}" array literal. */
typedef struct {
    char *buf;
    size_t len, cap;
    int n;
} id_list_t;

static int ids_add(id_list_t *l, const char *id)
{
    size_t need = l->len + strlen(id) + 3;
    if (need > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        while (cap < need)
            cap *= 2;
        char *b = realloc(l->buf, cap);
        if (!b)
            return -1;
        l->buf = b;
        l->cap = cap;
    }
    l->len += (size_t)sprintf(l->buf + l->len, "%s%s", l->n ? "," : "{", id);
    l->n++;
    return 0;
}

static const char *ids_text(id_list_t *l)
{
    if (!l->n)
        return "{}";
    l->buf[l->len] = '}';
    l->buf[l->len + 1] = '\0';
    return l->buf;
}

static void ids_clear(id_list_t *l)
{
    l->len = 0;
    l->n = 0;
}

/* Writes the documents of the letters in `letters` (LETTER_COLUMNS rows,
 * ordered by id) with their pages (rows of PAGES_*, ordered by letter).
 * Returns the number written, or -1. */
static long write_letters(search_writer_t *w, PGresult *letters, PGresult *pages, indexing_error_t *err)
{
    int nl = PQntuples(letters), np = pages ? PQntuples(pages) : 0;
    int p = 0;
    search_page_t *buf = NULL;
    size_t cap = 0;
    long written = 0;
    for (int i = 0; i < nl; i++) {
        long long id = strtoll(db_get(letters, i, "id"), NULL, 10);
        while (p < np && strtoll(db_get(pages, p, "letter_id"), NULL, 10) < id)
            p++;
        size_t n = 0;
        for (int q = p; q < np && strtoll(db_get(pages, q, "letter_id"), NULL, 10) == id; q++) {
            if (n == cap) {
                size_t c = cap ? cap * 2 : 16;
                search_page_t *b = realloc(buf, c * sizeof *b);
                if (!b) {
                    free(buf);
                    fail(err, "out of memory");
                    return -1;
                }
                buf = b;
                cap = c;
            }
            buf[n].scan_id = strtoll(db_get(pages, q, "scan_id"), NULL, 10);
            buf[n].page = atoi(db_get(pages, q, "page"));
            buf[n].text = db_get(pages, q, "text");
            n++;
        }
        search_letter_t l = {
            .id = id,
            .direction = db_get(letters, i, "direction"),
            .letter_number = db_get(letters, i, "letter_number"),
            .sender = db_get(letters, i, "sender"),
            .recipient = db_get(letters, i, "recipient"),
            .subject = db_get(letters, i, "subject"),
            .summary = db_get(letters, i, "summary"),
            .classification = db_get(letters, i, "classification"),
            .registered = db_get(letters, i, "registered"),
            .groups = db_get(letters, i, "groups"),
            .notes = db_get(letters, i, "notes"),
            .pages = buf,
            .npages = n,
        };
        search_error_t e;
        if (search_writer_put(w, &l, &e) != SEARCH_OK) {
            free(buf);
            fail(err, "letter %lld: %s", id, e.message);
            return -1;
        }
        written++;
    }
    free(buf);
    return written;
}

static int set_meta(search_writer_t *w, const char *key, const char *value, indexing_error_t *err)
{
    search_error_t e;
    if (search_writer_set_meta(w, key, value, &e) != SEARCH_OK) {
        fail(err, "metadata %s: %s", key, e.message);
        return -1;
    }
    return 0;
}

static long long meta_ll(search_writer_t *w, const char *key)
{
    char buf[64];
    search_error_t e;
    if (search_writer_get_meta(w, key, buf, sizeof buf, &e) != SEARCH_OK)
        return 0;
    return strtoll(buf, NULL, 10);
}

/* outbox_id = max(outbox_id, id). */
static int raise_outbox_id(search_writer_t *w, long long id, indexing_error_t *err)
{
    if (id <= meta_ll(w, "outbox_id"))
        return 0;
    char v[32];
    snprintf(v, sizeof v, "%lld", id);
    return set_meta(w, "outbox_id", v, err);
}

static int commit(search_writer_t *w, indexing_error_t *err)
{
    search_error_t e;
    if (search_writer_commit(w, &e) != SEARCH_OK) {
        fail(err, "commit: %s", e.message);
        return -1;
    }
    return 0;
}

/* Writes the letters of ids as they are now; a letter that is gone is
 * removed. Does not commit. 0 or -1. */
static int apply_letters(db_t *db, search_writer_t *w, id_list_t *ids, indexing_error_t *err)
{
    if (!ids->n)
        return 0;
    const char *params[] = {ids_text(ids)};
    /* Both reads from one snapshot: a letter and its pages as one commit
     * left them (read apart, a transaction that changed both could commit
     * in between, and a half-changed letter would be searchable until its
     * outbox row came round). */
    bool own = !db_in_transaction(db);
    if (own && db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) < 0) {
        fail(err, "reading letters: %s", db_error(db));
        return -1;
    }
    PGresult *letters = db_query(db, LETTERS_BY_ID_SQL, 1, params);
    PGresult *pages = letters ? db_query(db, PAGES_BY_ID_SQL, 1, params) : NULL;
    if (own)
        db_rollback(db); /* read only: nothing to keep */
    if (!letters || !pages) {
        PQclear(letters);
        fail(err, "reading letters: %s", db_error(db));
        return -1;
    }
    int rc = write_letters(w, letters, pages, err) < 0 ? -1 : 0;
    /* The ids asked for but not found: deleted letters. */
    if (rc == 0) {
        int nl = PQntuples(letters), i = 0;
        char *save = NULL;
        char *list = strdup(ids->buf + 1); /* skip '{', ends with '}' */
        if (!list) {
            rc = -1;
        } else {
            list[strlen(list) - 1] = '\0';
            for (char *tok = strtok_r(list, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
                long long id = strtoll(tok, NULL, 10);
                bool found = false;
                for (i = 0; i < nl && !found; i++)
                    found = strtoll(db_get(letters, i, "id"), NULL, 10) == id;
                search_error_t e;
                if (!found && search_writer_delete(w, id, &e) != SEARCH_OK) {
                    fail(err, "removing letter %lld: %s", id, e.message);
                    rc = -1;
                }
            }
            free(list);
        }
    }
    PQclear(letters);
    PQclear(pages);
    return rc;
}

long indexing_drain(db_t *db, search_writer_t *w, int max, indexing_error_t *err)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", max);
    const char *params[] = {limit};
    PGresult *res = db_query(db, PENDING_SQL, 1, params);
    if (!res) {
        fail(err, "reading the outbox: %s", db_error(db));
        return -1;
    }
    int n = PQntuples(res);
    if (n == 0) {
        PQclear(res);
        return 0;
    }
    id_list_t rows = {0}, letters = {0};
    long long max_id = 0;
    long rc = 0;
    for (int i = 0; i < n && rc == 0; i++) {
        const char *letter = db_get(res, i, "letter_id");
        bool seen = false;
        /* Each letter once per batch (a registration, its scan and its
         * disposition each queue it). */
        for (int j = 0; j < i && !seen; j++)
            seen = strcmp(db_get(res, j, "letter_id"), letter) == 0;
        if (ids_add(&rows, db_get(res, i, "id")) != 0 || (!seen && ids_add(&letters, letter) != 0))
            rc = -1;
        long long id = strtoll(db_get(res, i, "id"), NULL, 10);
        if (id > max_id)
            max_id = id;
    }
    if (rc != 0)
        fail(err, "out of memory");
    if (rc == 0 &&
        (apply_letters(db, w, &letters, err) != 0 || raise_outbox_id(w, max_id, err) != 0 || commit(w, err) != 0))
        rc = -1;
    if (rc == 0) {
        const char *mark[] = {ids_text(&rows)};
        if (db_exec(db, MARK_SQL, 1, mark) < 0) {
            fail(err, "marking the outbox: %s", db_error(db));
            rc = -1;
        }
    }
    PQclear(res);
    free(rows.buf);
    free(letters.buf);
    return rc == 0 ? n : -1;
}

int indexing_catch_up(db_t *db, search_writer_t *w, indexing_error_t *err)
{
    char since[64];
    search_error_t e;
    if (search_writer_get_meta(w, "snapshot_at", since, sizeof since, &e) != SEARCH_OK) {
        fail(err, "metadata snapshot_at: %s", e.message);
        return -1;
    }
    if (!since[0])
        return 0;
    const char *params[] = {since};
    PGresult *res = db_query(db, SINCE_SQL, 1, params);
    PGresult *max = res ? db_query(db, SINCE_MAX_SQL, 1, params) : NULL;
    if (!res || !max) {
        PQclear(res);
        fail(err, "reading the outbox: %s", db_error(db));
        return -1;
    }
    int rc = 0;
    id_list_t ids = {0};
    int n = PQntuples(res);
    for (int i = 0; i < n && rc == 0; i++) {
        if (ids_add(&ids, db_get(res, i, "letter_id")) != 0) {
            fail(err, "out of memory");
            rc = -1;
        } else if (ids.n == INDEXING_BATCH || i == n - 1) {
            rc = apply_letters(db, w, &ids, err);
            ids_clear(&ids);
        }
    }
    if (rc == 0)
        rc = raise_outbox_id(w, strtoll(db_get(max, 0, "max"), NULL, 10), err);
    if (rc == 0)
        rc = commit(w, err);
    if (rc == 0 && n > 0)
        log_info("index: %d letters changed during the rebuild applied again", n);
    free(ids.buf);
    PQclear(res);
    PQclear(max);
    return rc;
}

int indexing_check(db_t *db, search_writer_t *w, indexing_error_t *err)
{
    char schema[32], uuid[64];
    search_error_t e;
    if (search_writer_get_meta(w, "schema", schema, sizeof schema, &e) != SEARCH_OK ||
        search_writer_get_meta(w, "db_uuid", uuid, sizeof uuid, &e) != SEARCH_OK) {
        fail(err, "unreadable metadata: %s", e.message);
        return 1;
    }
    if (strcmp(schema, SEARCH_SCHEMA_VERSION) != 0) {
        fail(err, "index schema %s, this program writes %s", schema[0] ? schema : "(none)", SEARCH_SCHEMA_VERSION);
        return 1;
    }
    /* Twice at most: letters registered between the drain and the count. */
    for (int attempt = 0;; attempt++) {
        while (true) {
            long n = indexing_drain(db, w, INDEXING_BATCH, err);
            if (n < 0)
                return -1;
            if (n < INDEXING_BATCH)
                break;
        }
        PGresult *res = db_query(db, CHECK_SQL, 0, NULL);
        if (!res) {
            fail(err, "checking the index: %s", db_error(db));
            return -1;
        }
        const char *db_uuid = db_get(res, 0, "db_uuid");
        long long processed = strtoll(db_get(res, 0, "processed_max"), NULL, 10);
        long long letters = strtoll(db_get(res, 0, "letters"), NULL, 10);
        long long pending = strtoll(db_get(res, 0, "pending"), NULL, 10);
        long long docs = search_writer_doccount(w);
        long long applied = meta_ll(w, "outbox_id");
        int verdict = 0;
        if (!db_uuid || strcmp(db_uuid, uuid) != 0) {
            fail(err, "index built from another database (%s, this one is %s)", uuid[0] ? uuid : "none",
                 db_uuid ? db_uuid : "unknown");
            verdict = 1;
        } else if (processed > applied) {
            fail(err, "outbox rows up to %lld were processed, the index holds changes up to %lld", processed, applied);
            verdict = 1;
        } else if (docs != letters) {
            fail(err, "index holds %lld letters, the database %lld", docs, letters);
            verdict = pending > 0 && attempt == 0 ? 2 : 1;
        }
        PQclear(res);
        if (verdict != 2)
            return verdict;
    }
}

/* Called for each letter of a page; 0, or -1 with *err set. */
typedef int (*letter_fn)(void *ctx, const search_letter_t *l, indexing_error_t *err);

/* Calls fn for each letter of a LETTERS_PAGE_SQL result, its OCR pages
 * unpacked. Returns the number of letters, or -1. */
static long each_letter(PGresult *res, letter_fn fn, void *ctx, indexing_error_t *err)
{
    int n = PQntuples(res);
    search_page_t *pages = NULL;
    size_t cap = 0;
    long done = 0;
    for (int i = 0; i < n; i++) {
        const char *blob = db_get(res, i, "pages");
        char *copy = blob ? strdup(blob) : NULL;
        size_t np = 0;
        if (blob && !copy) {
            fail(err, "out of memory");
            done = -1;
            break;
        }
        for (char *save = NULL, *rec = copy ? strtok_r(copy, "\x1e", &save) : NULL; rec;
             rec = strtok_r(NULL, "\x1e", &save)) {
            char *a = strchr(rec, '\x1f'), *b = a ? strchr(a + 1, '\x1f') : NULL;
            if (!b)
                continue;
            if (np == cap) {
                size_t c = cap ? cap * 2 : 16;
                search_page_t *grown = realloc(pages, c * sizeof *grown);
                if (!grown) {
                    done = -1;
                    break;
                }
                pages = grown;
                cap = c;
            }
            *a = *b = '\0';
            pages[np++] = (search_page_t){.scan_id = strtoll(rec, NULL, 10), .page = atoi(a + 1), .text = b + 1};
        }
        search_letter_t l = {
            .id = strtoll(db_get(res, i, "id"), NULL, 10),
            .direction = db_get(res, i, "direction"),
            .letter_number = db_get(res, i, "letter_number"),
            .sender = db_get(res, i, "sender"),
            .recipient = db_get(res, i, "recipient"),
            .subject = db_get(res, i, "subject"),
            .summary = db_get(res, i, "summary"),
            .classification = db_get(res, i, "classification"),
            .registered = db_get(res, i, "registered"),
            .groups = db_get(res, i, "groups"),
            .notes = db_get(res, i, "notes"),
            .pages = pages,
            .npages = np,
        };
        if (done >= 0 && fn(ctx, &l, err) != 0)
            done = -1;
        free(copy);
        if (done < 0) {
            if (!err->message[0])
                fail(err, "out of memory");
            break;
        }
        done++;
    }
    free(pages);
    return done;
}

static int put_letter(void *ctx, const search_letter_t *l, indexing_error_t *err)
{
    search_error_t e;
    if (search_writer_put(ctx, l, &e) == SEARCH_OK)
        return 0;
    fail(err, "letter %lld: %s", l->id, e.message);
    return -1;
}

/* Writes the letters of a LETTERS_PAGE_SQL result. Returns the number
 * written, or -1. */
static long write_page(search_writer_t *w, PGresult *res, indexing_error_t *err)
{
    return each_letter(res, put_letter, w, err);
}

/* Sends the query for the page after id `after`, up to id `hi` (the
 * answer is taken by take_page); false on failure. */
static bool send_page(db_t *db, long long after, long long hi, indexing_error_t *err)
{
    char a[32], limit[16], h[32];
    snprintf(a, sizeof a, "%lld", after);
    snprintf(limit, sizeof limit, "%d", INDEXING_PAGE);
    snprintf(h, sizeof h, "%lld", hi);
    const char *params[] = {a, limit, h};
    if (!PQsendQueryParams(db_conn(db), LETTERS_PAGE_SQL, 3, NULL, params, NULL, NULL, 0)) {
        fail(err, "reading letters: %s", PQerrorMessage(db_conn(db)));
        return false;
    }
    return true;
}

/* The answer of send_page, or NULL (error set). */
static PGresult *take_page(db_t *db, indexing_error_t *err)
{
    PGresult *res = NULL, *r;
    while ((r = PQgetResult(db_conn(db)))) {
        if (!res && PQresultStatus(r) == PGRES_TUPLES_OK) {
            res = r;
        } else {
            if (PQresultStatus(r) != PGRES_TUPLES_OK)
                fail(err, "reading letters: %s", PQresultErrorMessage(r));
            PQclear(r);
        }
    }
    return res;
}

/* Indexes the letters with ids in (lo, hi] from db's open snapshot into
 * w, one page in flight in PostgreSQL while the previous one is indexed;
 * *done counts them (atomically: a progress reader may be another
 * thread). 0 or -1. */
static int build_range(db_t *db, search_writer_t *w, long long lo, long long hi, long long *done,
                       const volatile sig_atomic_t *stop, indexing_progress_fn progress, void *ctx, long long total,
                       indexing_error_t *err)
{
    long since_commit = 0;
    if (!send_page(db, lo, hi, err))
        return -1;
    for (;;) {
        PGresult *page = take_page(db, err);
        if (!page)
            return -1;
        int rows = PQntuples(page);
        bool more = rows == INDEXING_PAGE && !(stop && *stop);
        if (more && !send_page(db, strtoll(db_get(page, rows - 1, "id"), NULL, 10), hi, err)) {
            PQclear(page);
            return -1;
        }
        long n = write_page(w, page, err);
        PQclear(page);
        if (n >= 0 && stop && *stop) {
            fail(err, "stopped");
            n = -1;
        }
        if (n < 0) {
            if (more)
                PQclear(take_page(db, err));
            return -1;
        }
        long long sum = __atomic_add_fetch(done, n, __ATOMIC_RELAXED);
        since_commit += n;
        if (since_commit >= INDEXING_COMMIT_EVERY) {
            if (commit(w, err) != 0)
                return -1;
            since_commit = 0;
        }
        if (progress)
            progress(ctx, sum, total);
        if (!more)
            return commit(w, err);
    }
}

/* One part of a parallel rebuild: its own connection on the exported
 * snapshot, its own Xapian database. */
typedef struct {
    pthread_t thread;
    const char *conninfo;
    const char *snapshot;
    long long lo, hi;
    char path[PATH_MAX];
    const volatile sig_atomic_t *stop;
    long long done;
    int finished; /* set (atomically) as the thread ends */
    int rc;
    indexing_error_t err;
} shard_t;

static bool exec_plain(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
}

static void *shard_main(void *arg)
{
    shard_t *s = arg;
    s->rc = -1;
    s->err.message[0] = '\0';
    search_error_t e;
    search_writer_t *w = NULL;
    db_t *db = db_open(s->conninfo);
    char sql[128];
    snprintf(sql, sizeof sql, "SET TRANSACTION SNAPSHOT '%s'", s->snapshot);
    if (!db || !db_ready(db) || !exec_plain(db_conn(db), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") ||
        !exec_plain(db_conn(db), sql)) {
        fail(&s->err, "cannot join the rebuild's snapshot: %s", db ? PQerrorMessage(db_conn(db)) : "out of memory");
    } else if (!(w = search_writer_open(s->path, true, true, &e))) {
        fail(&s->err, "cannot create %s: %s", s->path, e.message);
    } else {
        s->rc = build_range(db, w, s->lo, s->hi, &s->done, s->stop, NULL, NULL, 0, &s->err);
    }
    if (db && db_conn(db))
        exec_plain(db_conn(db), "ROLLBACK");
    search_writer_close(w);
    db_close(db);
    __atomic_store_n(&s->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* How many threads build: ESURAT_INDEX_BUILD_THREADS, else one per core
 * (at most 4), and one for a small archive, where merging costs more. */
static int build_threads(long long letters)
{
    if (config_str("ESURAT_INDEX_BUILD_THREADS", NULL))
        return (int)config_long("ESURAT_INDEX_BUILD_THREADS", 1, 1, 16);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return letters < 20000 || cores < 2 ? 1 : (int)(cores > 4 ? 4 : cores);
}

/* Builds the letters of the open snapshot into gen_out with nthreads
 * shards merged at the end. 0 or -1. */
static int build_parallel(PGresult *snap, const char *gen_out, int nthreads, indexing_progress_fn progress, void *ctx,
                          const volatile sig_atomic_t *stop, indexing_error_t *err)
{
    const char *snapshot = db_get(snap, 0, "snapshot_id");
    if (!snapshot || strspn(snapshot, "0123456789ABCDEFabcdef-") != strlen(snapshot) || strlen(snapshot) > 64) {
        fail(err, "unexpected snapshot id");
        return -1;
    }
    long long total = strtoll(db_get(snap, 0, "letters"), NULL, 10);
    long long lo = strtoll(db_get(snap, 0, "min_id"), NULL, 10) - 1, hi = strtoll(db_get(snap, 0, "max_id"), NULL, 10);
    shard_t *shards = calloc((size_t)nthreads, sizeof *shards);
    const char **paths = calloc((size_t)nthreads, sizeof *paths);
    if (!shards || !paths) {
        free(shards);
        free(paths);
        fail(err, "out of memory");
        return -1;
    }
    int started = 0, rc = 0;
    for (int i = 0; i < nthreads; i++) {
        shard_t *s = &shards[i];
        s->conninfo = config_database_url();
        s->snapshot = snapshot;
        s->lo = lo + (hi - lo) * i / nthreads;
        s->hi = i == nthreads - 1 ? hi : lo + (hi - lo) * (i + 1) / nthreads;
        s->stop = stop;
        snprintf(s->path, sizeof s->path, "%s.part%d", gen_out, i);
        paths[i] = s->path;
        if (pthread_create(&s->thread, NULL, shard_main, s) != 0) {
            fail(err, "cannot start a build thread");
            rc = -1;
            break;
        }
        started++;
    }
    /* Progress while they work. */
    for (bool running = started > 0; running;) {
        struct timespec ts = {0, 250 * 1000000L};
        nanosleep(&ts, NULL);
        long long done = 0;
        running = false;
        for (int i = 0; i < started; i++) {
            done += __atomic_load_n(&shards[i].done, __ATOMIC_RELAXED);
            running = running || !__atomic_load_n(&shards[i].finished, __ATOMIC_ACQUIRE);
        }
        if (progress && running)
            progress(ctx, done, total);
    }
    long long done = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(shards[i].thread, NULL);
        done += shards[i].done;
        if (shards[i].rc != 0 && rc == 0) {
            *err = shards[i].err;
            rc = -1;
        }
    }
    if (rc == 0) {
        search_error_t e;
        if (search_compact(paths, (size_t)nthreads, gen_out, &e) != SEARCH_OK) {
            fail(err, "merging the parts: %s", e.message);
            rc = -1;
        } else if (progress) {
            progress(ctx, done, total);
        }
    }
    for (int i = 0; i < nthreads; i++)
        search_dir_remove(shards[i].path);
    free(shards);
    free(paths);
    return rc;
}

int indexing_rebuild(db_t *db, const char *index_dir, indexing_progress_fn progress, void *ctx,
                     const volatile sig_atomic_t *stop, char *gen_out, size_t gen_size, indexing_error_t *err)
{
    err->message[0] = '\0';
    if (search_dir_new_generation(index_dir, gen_out, gen_size) != 0) {
        fail(err, "cannot create a generation in %s: %s", index_dir, strerror(errno));
        return -1;
    }
    search_error_t e;
    search_writer_t *w = NULL;
    int rc = -1;
    PGresult *snap = NULL;
    bool in_tx = false;
    if (db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) < 0) {
        fail(err, "cannot start the snapshot: %s", db_error(db));
        goto cleanup;
    }
    in_tx = true;
    snap = db_query(db, SNAPSHOT_SQL, 0, NULL);
    if (!snap) {
        fail(err, "cannot read the snapshot: %s", db_error(db));
        goto cleanup;
    }
    long long total = strtoll(db_get(snap, 0, "letters"), NULL, 10), done = 0;
    int nthreads = build_threads(total);
    if (progress)
        progress(ctx, 0, total);
    if (nthreads > 1) {
        /* The exported snapshot lives as long as this transaction. */
        if (build_parallel(snap, gen_out, nthreads, progress, ctx, stop, err) != 0)
            goto cleanup;
        if (!(w = search_writer_open(gen_out, false, true, &e))) {
            fail(err, "cannot open %s: %s", gen_out, e.message);
            goto cleanup;
        }
    } else {
        if (!(w = search_writer_open(gen_out, true, true, &e))) {
            fail(err, "cannot create %s: %s", gen_out, e.message);
            goto cleanup;
        }
        if (build_range(db, w, 0, strtoll(db_get(snap, 0, "max_id"), NULL, 10), &done, stop, progress, ctx, total,
                        err) != 0)
            goto cleanup;
    }
    db_exec(db, "COMMIT", 0, NULL);
    in_tx = false;
    if (set_meta(w, "schema", SEARCH_SCHEMA_VERSION, err) != 0 ||
        set_meta(w, "db_uuid", db_get(snap, 0, "db_uuid"), err) != 0 ||
        set_meta(w, "outbox_id", db_get(snap, 0, "outbox_id"), err) != 0 ||
        set_meta(w, "snapshot_at", db_get(snap, 0, "snapshot_at"), err) != 0 || commit(w, err) != 0)
        goto cleanup;
    /* Changes the snapshot missed, taken meanwhile by the live index's writer. */
    if (indexing_catch_up(db, w, err) != 0)
        goto cleanup;
    search_writer_close(w);
    w = NULL;
    if (search_dir_chown_like_parent(index_dir, gen_out) != 0)
        log_warn("index: cannot give %s to the owner of %s: %s", gen_out, index_dir, strerror(errno));
    if (search_dir_publish(index_dir, gen_out) != 0) {
        fail(err, "cannot publish %s: %s", gen_out, strerror(errno));
        goto cleanup;
    }
    rc = 0;
cleanup:
    if (in_tx)
        db_rollback(db);
    PQclear(snap);
    search_writer_close(w);
    if (rc != 0)
        search_dir_remove(gen_out);
    return rc;
}

long indexing_prune(db_t *db, int days)
{
    char d[16];
    snprintf(d, sizeof d, "%d", days);
    const char *params[] = {d};
    return db_exec(db, "DELETE FROM index_outbox WHERE processed_at < now() - make_interval(days => $1::int)", 1,
                   params);
}

/* ------------------------------------------------------------------ verify */

typedef struct {
    search_reader_t *reader;
    indexing_verify_t *v;
    const long long *ids; /* the index's documents, ascending */
    size_t nids, next;    /* ids[next] is the first not yet matched */
} verify_state_t;

static void note(indexing_verify_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(indexing_verify_t *v, const char *fmt, ...)
{
    if (v->nfirst >= INDEXING_VERIFY_SHOWN)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->first[v->nfirst++], sizeof v->first[0], fmt, ap);
    va_end(ap);
}

/* Documents before `upto` that no letter claimed are extra. */
static void extra_until(verify_state_t *st, long long upto)
{
    for (; st->next < st->nids && st->ids[st->next] < upto; st->next++) {
        st->v->extra++;
        note(st->v, "letter %lld: in the index, not in the database", st->ids[st->next]);
    }
}

static int verify_letter(void *ctx, const search_letter_t *l, indexing_error_t *err)
{
    verify_state_t *st = ctx;
    extra_until(st, l->id);
    if (st->next < st->nids && st->ids[st->next] == l->id)
        st->next++;
    st->v->letters++;
    char why[200];
    search_error_t e;
    if (search_reader_compare(st->reader, l, why, sizeof why, &e) != SEARCH_OK) {
        fail(err, "letter %lld: %s", l->id, e.message);
        return -1;
    }
    if (!why[0])
        return 0;
    if (strcmp(why, "not in the index") == 0)
        st->v->missing++;
    else
        st->v->differ++;
    note(st->v, "letter %lld: %s", l->id, why);
    return 0;
}

static const char VERIFY_PENDING_SQL[] = "SELECT count(*) AS n FROM index_outbox WHERE processed_at IS NULL";

int indexing_verify(db_t *db, const char *index_dir, indexing_verify_t *v, indexing_error_t *err)
{
    memset(v, 0, sizeof *v);
    err->message[0] = '\0';
    search_error_t e;
    search_reader_t *r = search_reader_open(index_dir, &e);
    if (!r) {
        fail(err, "%s", e.message);
        return -1;
    }
    int rc = -1;
    long long *ids = NULL;
    size_t nids = 0;
    PGresult *res = NULL;
    /* One snapshot of the database for the whole comparison. */
    if (db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) < 0) {
        fail(err, "reading letters: %s", db_error(db));
        goto cleanup;
    }
    if (search_reader_ids(r, &ids, &nids, &e) != SEARCH_OK) {
        fail(err, "%s", e.message);
        goto cleanup;
    }
    v->documents = (long long)nids;
    res = db_query(db, VERIFY_PENDING_SQL, 0, NULL);
    if (!res) {
        fail(err, "reading the outbox: %s", db_error(db));
        goto cleanup;
    }
    v->pending = strtoll(db_get(res, 0, "n"), NULL, 10);
    PQclear(res);
    res = NULL;
    verify_state_t st = {.reader = r, .v = v, .ids = ids, .nids = nids};
    char after[32] = "0", limit[16], hi[32];
    snprintf(limit, sizeof limit, "%d", INDEXING_PAGE);
    snprintf(hi, sizeof hi, "%lld", LLONG_MAX);
    for (;;) {
        const char *params[] = {after, limit, hi};
        res = db_query(db, LETTERS_PAGE_SQL, 3, params);
        if (!res) {
            fail(err, "reading letters: %s", db_error(db));
            goto cleanup;
        }
        int n = PQntuples(res);
        if (n == 0)
            break;
        if (each_letter(res, verify_letter, &st, err) < 0)
            goto cleanup;
        snprintf(after, sizeof after, "%s", db_get(res, n - 1, "id"));
        PQclear(res);
        res = NULL;
    }
    extra_until(&st, LLONG_MAX);
    rc = 0;

cleanup:
    PQclear(res);
    if (db_in_transaction(db))
        db_rollback(db);
    free(ids);
    search_reader_close(r);
    return rc;
}
