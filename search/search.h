/* The archive's search index: Xapian behind a small C API.
 *
 * search.cc is the project's one C++ file: every function below catches
 * every exception at the boundary and reports it as a search_status_t with
 * a message in search_error_t. Nothing else sees C++.
 *
 * An index directory (ESURAT_INDEX_DIR) holds generations of the Xapian
 * database (gen-*) and a symbolic link `current` naming the live one; a
 * rebuild writes a new generation and swaps the link (index_dir.c).
 *
 * The document of a letter (docid = letter id):
 *   text    number, subject and sender weighted SEARCH_WDF_HIGH, recipient
 *           SEARCH_WDF_MID, summary, disposition notes and OCR text 1;
 *           Indonesian stems (Z prefix) and unstemmed terms with
 *           positions (phrases, wildcards); spelling data
 *   N...    the letter number normalised (lower case, no spaces) whole
 *           and every run of its '/'-separated parts: N123/disdik
 *   XD...   direction (in, out)
 *   XC...   every prefix of the classification code (0, 00, 005)
 *   Y, M, D registration year, month, day (Y2015, M201501, D20150127)
 *   G...    access groups (Gall, Gadmin, Gfd:UNIT, Gpos:POSITION)
 *   XS...   the sender's words, for the sender filter
 *   values  0 registration time YYYYMMDDHHMMSS (sort), 1 year, 2 code
 *   data    the texts snippets are cut from, page by page
 *
 * Threads: a reader or writer handle is used by one thread at a time. */
#ifndef ESURAT_SEARCH_H
#define ESURAT_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bump when the terms or values change: an index of another version is
 * rebuilt at the worker's start. */
#define SEARCH_SCHEMA_VERSION "1"

#define SEARCH_WDF_HIGH 3
#define SEARCH_WDF_MID 2

/* Longest q searched, in bytes; the rest is ignored (cut at a character). */
#define SEARCH_MAX_QUERY_BYTES 2048

typedef enum {
    SEARCH_OK = 0,
    SEARCH_MISSING, /* no index at that place (yet) */
    SEARCH_CORRUPT, /* the files are damaged or of another format */
    SEARCH_LOCKED,  /* another writer holds the index */
    SEARCH_IO,      /* the file system failed */
    SEARCH_INVALID, /* bad argument (an id beyond 2^32, a NULL) */
    SEARCH_NOMEM,   /* out of memory */
    SEARCH_FAILED,  /* any other Xapian error */
} search_status_t;

typedef struct {
    search_status_t status;
    char message[256]; /* "DatabaseOpeningError: ..." */
} search_error_t;

/* ------------------------------------------------------------------ writing */

typedef struct search_writer search_writer_t;

/* Opens the Xapian database at path (a generation directory) for writing,
 * creating it when create is true (an existing one is then overwritten).
 * bulk: a rebuild (no fsync per commit; search_writer_sync at the end).
 * NULL on failure, with *err set. Close with search_writer_close. */
search_writer_t *search_writer_open(const char *path, bool create, bool bulk, search_error_t *err);

typedef struct {
    long long scan_id; /* 0: not from a scan (the summary) */
    int page;
    const char *text;
} search_page_t;

typedef struct {
    long long id;              /* the letter id, 1 .. 2^32-1 */
    const char *direction;     /* "in" or "out" */
    const char *letter_number; /* may be NULL */
    const char *sender, *recipient, *subject;
    const char *summary;        /* may be NULL */
    const char *classification; /* may be NULL */
    const char *registered;     /* "YYYYMMDDHHMMSS", local time */
    const char *groups;         /* access groups, separated by spaces */
    const char *notes;          /* disposition notes and reports, may be NULL */
    const search_page_t *pages; /* OCR text, page by page */
    size_t npages;
} search_letter_t;

/* Adds or replaces the document of a letter. Not visible to readers
 * before search_writer_commit. */
search_status_t search_writer_put(search_writer_t *w, const search_letter_t *letter, search_error_t *err);

/* Removes a letter's document; not an error when there is none. */
search_status_t search_writer_delete(search_writer_t *w, long long id, search_error_t *err);

/* Sets (value NULL or "": removes) a metadata entry; committed with the
 * documents. */
search_status_t search_writer_set_meta(search_writer_t *w, const char *key, const char *value, search_error_t *err);

/* The metadata entry key into buf ("" when unset). */
search_status_t search_writer_get_meta(search_writer_t *w, const char *key, char *buf, size_t size,
                                       search_error_t *err);

/* Makes every change since the last commit visible to readers, at once
 * (readers see the letter before or after, never half of it). */
search_status_t search_writer_commit(search_writer_t *w, search_error_t *err);

/* Number of documents (committed or not). */
long long search_writer_doccount(search_writer_t *w);

/* Closes (uncommitted changes are lost); NULL is a no-op. */
void search_writer_close(search_writer_t *w);

/* Merges the databases at shards[0..n) (built in parallel from disjoint
 * ranges of letters) into a new database at out, keeping every docid
 * (letter id) and the spelling data. */
search_status_t search_compact(const char *const *shards, size_t n, const char *out, search_error_t *err);

/* ------------------------------------------------------------------ reading */

typedef struct search_reader search_reader_t;

/* Opens the live generation of index_dir for reading. NULL with *err set
 * (SEARCH_MISSING when there is none yet). */
search_reader_t *search_reader_open(const char *index_dir, search_error_t *err);

/* Brings the reader to the latest committed revision, following the link
 * to a new generation. Returns SEARCH_OK (moved or not) or an error, in
 * which case the reader keeps what it had. */
search_status_t search_reader_refresh(search_reader_t *r, search_error_t *err);

/* The metadata entry key into buf ("" when unset). */
search_status_t search_reader_get_meta(search_reader_t *r, const char *key, char *buf, size_t size,
                                       search_error_t *err);

long long search_reader_doccount(search_reader_t *r);

/* The ids of every document (letter) of the reader's revision, ascending,
 * into *ids (malloc'ed, the caller frees; NULL when there are none) and
 * *n. */
search_status_t search_reader_ids(search_reader_t *r, long long **ids, size_t *n, search_error_t *err);

/* Compares the document of letter l->id in the reader's revision with the
 * one search_writer_put would write for l: its text, terms (with counts
 * and positions) and values. why gets "" when they are equal, else the
 * first difference ("not in the index", "term \"Zrapat\" missing from the
 * index", ...). */
search_status_t search_reader_compare(search_reader_t *r, const search_letter_t *l, char *why, size_t size,
                                      search_error_t *err);

void search_reader_close(search_reader_t *r);

typedef enum { SEARCH_SORT_RELEVANCE, SEARCH_SORT_DATE } search_sort_t;

typedef struct {
    const char *q;              /* the user's words, any text; NULL or "": every letter */
    const char *number;         /* whole letter number or a run of its parts */
    const char *from, *to;      /* registration days YYYY-MM-DD, inclusive */
    const char *sender;         /* words of the sender, all required */
    const char *classification; /* code prefix: 0, 00, 005, 000.8 */
    const char *direction;      /* "in", "out" */
    const char *groups;         /* the caller's access groups, separated by spaces (required) */
    unsigned offset, limit;     /* limit 0..1000 */
    search_sort_t sort;
    bool facets;   /* count registration years, and classifications one
                      level below the classification asked for (main
                      classes 0..9 without one) */
    bool snippets; /* cut snippets with <mark> */
} search_query_t;

typedef struct {
    long long id;
    double score;
    char *snippet;     /* HTML-escaped, matches in <mark>…</mark>; "" when none */
    long long scan_id; /* where the snippet stands (0: the summary) */
    int page;
} search_hit_t;

typedef struct {
    char *value;
    long long count;
} search_facet_t;

typedef struct {
    search_hit_t *hits;
    size_t nhits;
    long long total;       /* Xapian's estimate of the matches */
    bool total_exact;      /* the estimate is the exact count */
    search_facet_t *years; /* newest year first */
    size_t nyears;
    search_facet_t *classes;
    size_t nclasses;
    bool facets_exact; /* every count is exact (else some are estimates) */
    char *suggestion;  /* the query with misspelt words corrected, or NULL */
    bool plain_words;  /* q could not be parsed and was searched as plain words */
} search_result_t;

/* Runs query; *out is filled (free with search_result_free, also after an
 * error). Words the query language cannot parse are searched as plain
 * words; so any q gives results or none, and errors mean the index is
 * unusable (SEARCH_MISSING, SEARCH_CORRUPT, SEARCH_IO, ...). */
search_status_t search_run(search_reader_t *r, const search_query_t *query, search_result_t *out, search_error_t *err);

void search_result_free(search_result_t *res);

/* Builds the Xapian query for query and writes its description
 * ("Query((Zundang@1 AND ...))") into buf: for tests and the fuzzer, which
 * need no index. */
search_status_t search_describe(const search_query_t *query, char *buf, size_t size, search_error_t *err);

/* A readable name of a status ("index missing"). */
const char *search_status_text(search_status_t status);

/* ------------------------------------------------------------------ directory (index_dir.c) */

/* The absolute path of the live generation into out; -1 when there is
 * none (no link, or it names nothing). */
int search_dir_current(const char *index_dir, char *out, size_t size);

/* Creates index_dir when missing and names a new generation directory in
 * it (not created: Xapian does) into out. 0 or -1 (errno). */
int search_dir_new_generation(const char *index_dir, char *out, size_t size);

/* Makes gen_path the live generation: fsyncs its files, points the link
 * at it atomically, fsyncs the directory. 0 or -1 (errno). */
int search_dir_publish(const char *index_dir, const char *gen_path);

/* Removes every generation but the live one and keep (may be NULL). */
void search_dir_remove_old(const char *index_dir, const char *keep);

/* Removes one generation directory and its files. */
void search_dir_remove(const char *gen_path);

/* Gives gen_path and its files to the owner of index_dir (a root CLI
 * building for the unprivileged worker). 0 or -1. */
int search_dir_chown_like_parent(const char *index_dir, const char *gen_path);

#ifdef __cplusplus
}
#endif

#endif
