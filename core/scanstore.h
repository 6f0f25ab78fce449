/* The scan store: files named by the sha256 of their bytes.
 *
 *   <dir>/<sha[0:2]>/<sha>        e.g. scans/3f/3fa4…e1
 *
 * A file is streamed into a temporary file in <dir> (O_EXCL, mode 0640),
 * hashed and counted on the way, fsynced, renamed to its final name and
 * the directory fsynced. A final name therefore only ever holds complete
 * bytes, equal bytes are stored once, and no temporary file outlives a
 * failed put. nginx serves the files (location /_scans/, internal) after
 * esurat-fcgi answered with X-Accel-Redirect: scanstore_accel_path().
 *
 * Type detection uses libmagic, opened once per process on first use; the
 * store is meant for single-threaded processes (the prefork workers). */
#ifndef ESURAT_SCANSTORE_H
#define ESURAT_SCANSTORE_H

#include <stdbool.h>
#include <stddef.h>

#define SCANSTORE_SHA_HEX 65  /* 64 hex digits and a NUL */
#define SCANSTORE_MIME_MAX 64 /* a detected MIME type and its NUL */
#define SCANSTORE_PATH_MAX 80 /* "/_scans/aa/<sha>" and its NUL */

typedef enum {
    SCANSTORE_OK = 0,
    SCANSTORE_EMPTY,      /* the source gave no bytes */
    SCANSTORE_TOO_LARGE,  /* more than the limit; reading stopped there */
    SCANSTORE_WRONG_TYPE, /* the bytes are not of the expected type */
    SCANSTORE_READ_ERROR, /* the source failed */
    SCANSTORE_IO_ERROR,   /* the store could not be written (logged) */
    SCANSTORE_NO_SPACE,   /* the store's file system is full (ENOSPC, EDQUOT; logged) */
} scanstore_status_t;

/* What a put stored. */
typedef struct {
    char sha256[SCANSTORE_SHA_HEX]; /* lower-case hex */
    long long bytes;
    char mime[SCANSTORE_MIME_MAX]; /* detected from the first bytes */
    bool created;                  /* false: the same bytes were there already */
} scanstore_result_t;

/* A byte source: reads up to n bytes into buf; the number read, 0 at the
 * end, -1 on error. Short reads are fine. */
typedef int (*scanstore_read_fn)(void *ctx, char *buf, int n);

/* Stores the bytes read from read(ctx) in the store at dir (which must
 * exist). At most limit bytes are accepted: one more and the put stops
 * reading and fails with SCANSTORE_TOO_LARGE. When expect_mime is not
 * NULL, the type detected from the first bytes must equal it, else
 * SCANSTORE_WRONG_TYPE before anything is written (out->mime then holds
 * the detected type). On SCANSTORE_OK, *out describes the stored file,
 * which is durable (fsynced file and directory). No error leaves a
 * temporary file behind, and a final name only ever holds complete bytes.
 * Needs crypto_init() (libsodium) first. */
scanstore_status_t scanstore_put(const char *dir, scanstore_read_fn read, void *ctx, long long limit,
                                 const char *expect_mime, scanstore_result_t *out);

/* scanstore_put reading from the file descriptor fd (not closed). */
scanstore_status_t scanstore_put_fd(const char *dir, int fd, long long limit, const char *expect_mime,
                                    scanstore_result_t *out);

/* Removes the temporary files in dir left by puts that never finished
 * (their process was killed) and unchanged for max_age_seconds: a put
 * writes its file without pause and renames it at once, so an old one is
 * nobody's. The number removed, or -1 when dir cannot be read (logged). */
long scanstore_remove_stale_temps(const char *dir, int max_age_seconds);

/* true when sha is 64 lower-case hex digits, i.e. a name of the store. */
bool scanstore_sha_valid(const char *sha);

/* The nginx path of a stored file, "/_scans/<sha[0:2]>/<sha>", in out.
 * false (out empty) when sha is not a valid name. */
bool scanstore_accel_path(const char *sha, char out[SCANSTORE_PATH_MAX]);

/* The file's path in the store, "<dir>/<sha[0:2]>/<sha>", malloc'ed (the
 * caller frees), or NULL when sha is not a valid name or on OOM. */
char *scanstore_file_path(const char *dir, const char *sha);

/* The MIME type libmagic finds in the first len bytes of buf, copied to
 * out; false (out "application/octet-stream") when libmagic fails. */
bool scanstore_detect(const void *buf, size_t len, char out[SCANSTORE_MIME_MAX]);

/* Closes libmagic (for leak checkers at exit); the next use opens it again. */
void scanstore_shutdown(void);

/* A short English word for a status, for logs and messages. */
const char *scanstore_status_text(scanstore_status_t status);

#endif
