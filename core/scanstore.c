#include "scanstore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <magic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"

#define CHUNK_BYTES 65536 /* read and written at a time; the first decides the type */
#define TEMP_PREFIX ".tmp-"
#define OCTET_STREAM "application/octet-stream"

/* libmagic, opened on first use. */
static magic_t magic_cookie;

static magic_t magic_get(void)
{
    if (magic_cookie)
        return magic_cookie;
    /* No decompression: a scan is never read through gzip and friends. */
    magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
    if (!m) {
        log_error("scan store: magic_open failed: %s", strerror(errno));
        return NULL;
    }
    if (magic_load(m, NULL) != 0) {
        log_error("scan store: magic_load failed: %s", magic_error(m));
        magic_close(m);
        return NULL;
    }
    magic_cookie = m;
    return m;
}

void scanstore_shutdown(void)
{
    if (magic_cookie)
        magic_close(magic_cookie);
    magic_cookie = NULL;
}

bool scanstore_detect(const void *buf, size_t len, char out[SCANSTORE_MIME_MAX])
{
    snprintf(out, SCANSTORE_MIME_MAX, "%s", OCTET_STREAM);
    magic_t m = magic_get();
    const char *type = m ? magic_buffer(m, buf, len) : NULL;
    if (!type)
        return false;
    snprintf(out, SCANSTORE_MIME_MAX, "%s", type);
    return true;
}

bool scanstore_sha_valid(const char *sha)
{
    if (!sha)
        return false;
    size_t i = 0;
    for (; sha[i]; i++)
        if (!((sha[i] >= '0' && sha[i] <= '9') || (sha[i] >= 'a' && sha[i] <= 'f')))
            return false;
    return i == SCANSTORE_SHA_HEX - 1;
}

bool scanstore_accel_path(const char *sha, char out[SCANSTORE_PATH_MAX])
{
    out[0] = '\0';
    if (!scanstore_sha_valid(sha))
        return false;
    snprintf(out, SCANSTORE_PATH_MAX, "/_scans/%.2s/%s", sha, sha);
    return true;
}

char *scanstore_file_path(const char *dir, const char *sha)
{
    if (!scanstore_sha_valid(sha))
        return NULL;
    size_t size = strlen(dir) + SCANSTORE_SHA_HEX + 8;
    char *path = malloc(size);
    if (path)
        snprintf(path, size, "%s/%.2s/%s", dir, sha, sha);
    return path;
}

const char *scanstore_status_text(scanstore_status_t status)
{
    switch (status) {
    case SCANSTORE_OK: return "stored";
    case SCANSTORE_EMPTY: return "empty";
    case SCANSTORE_TOO_LARGE: return "too large";
    case SCANSTORE_WRONG_TYPE: return "wrong type";
    case SCANSTORE_READ_ERROR: return "read error";
    case SCANSTORE_IO_ERROR: return "write error";
    case SCANSTORE_NO_SPACE: return "no space left";
    }
    return "unknown";
}

/* Reads from the source until want bytes or its end; *got is set. 0 or -1. */
static int fill(scanstore_read_fn read, void *ctx, char *buf, size_t want, size_t *got)
{
    *got = 0;
    while (*got < want) {
        int n = read(ctx, buf + *got, (int)(want - *got));
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        *got += (size_t)n;
    }
    return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The status of a failed write to the store, from its errno: a full file
 * system is worth telling apart (the client may try again later). */
static scanstore_status_t io_status(int e)
{
    return e == ENOSPC || e == EDQUOT ? SCANSTORE_NO_SPACE : SCANSTORE_IO_ERROR;
}

/* How much to read next: a chunk, but never more than one byte past the
 * limit, so that an oversized body is noticed without reading it all. */
static size_t next_want(long long total, long long limit)
{
    long long left = limit + 1 - total;
    return left < CHUNK_BYTES ? (size_t)left : CHUNK_BYTES;
}

/* Renames the finished temporary file dir/tmp to dir/<sha[0:2]>/<sha>
 * unless that name exists already (equal bytes; the caller then removes
 * the temporary file). *renamed tells whether tmp is gone. 0, or the
 * errno of the failure (logged). */
static int publish(int dirfd, const char *dir, const char *tmp, const char *sha, bool *renamed)
{
    int rc = EIO;
    int subfd = -1;
    char sub[3] = {sha[0], sha[1], '\0'};

    if (mkdirat(dirfd, sub, 0750) == 0) {
        if (fsync(dirfd) != 0) {
            rc = errno;
            log_error("scan store: fsync %s: %s", dir, strerror(rc));
            goto cleanup;
        }
    } else if (errno != EEXIST) {
        rc = errno;
        log_error("scan store: mkdir %s/%s: %s", dir, sub, strerror(rc));
        goto cleanup;
    }
    subfd = openat(dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (subfd < 0) {
        rc = errno;
        log_error("scan store: open %s/%s: %s", dir, sub, strerror(rc));
        goto cleanup;
    }
    struct stat st;
    if (fstatat(subfd, sha, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        /* The same bytes are stored already. */
        rc = 0;
        goto cleanup;
    }
    if (errno != ENOENT) {
        rc = errno;
        log_error("scan store: stat %s/%s/%s: %s", dir, sub, sha, strerror(rc));
        goto cleanup;
    }
    /* A racing put of the same bytes may rename first; renaming over its
     * file replaces equal bytes with equal bytes, atomically. */
    if (renameat(dirfd, tmp, subfd, sha) != 0) {
        rc = errno;
        log_error("scan store: rename to %s/%s/%s: %s", dir, sub, sha, strerror(rc));
        goto cleanup;
    }
    *renamed = true;
    if (fsync(subfd) != 0) {
        rc = errno;
        log_error("scan store: fsync %s/%s: %s", dir, sub, strerror(rc));
        goto cleanup;
    }
    rc = 0;

cleanup:
    if (subfd >= 0)
        close(subfd);
    return rc;
}

scanstore_status_t scanstore_put(const char *dir, scanstore_read_fn read, void *ctx, long long limit,
                                 const char *expect_mime, scanstore_result_t *out)
{
    scanstore_status_t status = SCANSTORE_IO_ERROR;
    int dirfd = -1, fd = -1;
    char tmp[sizeof TEMP_PREFIX + 32] = ""; /* set while the temporary file exists */
    char *buf = malloc(CHUNK_BYTES);
    long long total = 0;
    size_t got = 0;
    crypto_hash_sha256_state hash;

    memset(out, 0, sizeof *out);
    if (limit < 0)
        limit = 0;
    if (!buf)
        goto cleanup;

    /* The first chunk decides the type before anything is written. */
    if (fill(read, ctx, buf, next_want(0, limit), &got) != 0) {
        status = SCANSTORE_READ_ERROR;
        goto cleanup;
    }
    if (got == 0) {
        status = SCANSTORE_EMPTY;
        goto cleanup;
    }
    if ((long long)got > limit) {
        status = SCANSTORE_TOO_LARGE;
        goto cleanup;
    }
    scanstore_detect(buf, got, out->mime);
    if (expect_mime && strcmp(out->mime, expect_mime) != 0) {
        status = SCANSTORE_WRONG_TYPE;
        goto cleanup;
    }

    dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        log_error("scan store: open %s: %s", dir, strerror(errno));
        goto cleanup;
    }
    char random[17];
    token_random_hex(random, 8);
    snprintf(tmp, sizeof tmp, TEMP_PREFIX "%s", random);
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;
        log_error("scan store: create %s/%s: %s", dir, tmp, strerror(e));
        status = io_status(e);
        tmp[0] = '\0';
        goto cleanup;
    }

    crypto_hash_sha256_init(&hash);
    while (got > 0) {
        crypto_hash_sha256_update(&hash, (const unsigned char *)buf, got);
        if (write_all(fd, buf, got) != 0) {
            int e = errno;
            log_error("scan store: write %s/%s: %s", dir, tmp, strerror(e));
            status = io_status(e);
            goto cleanup;
        }
        total += (long long)got;
        if (fill(read, ctx, buf, next_want(total, limit), &got) != 0) {
            status = SCANSTORE_READ_ERROR;
            goto cleanup;
        }
        if (total + (long long)got > limit) {
            status = SCANSTORE_TOO_LARGE;
            goto cleanup;
        }
    }
    /* Closed whether or not fsync worked: a worker lives long, and a full
     * file system must not cost it a descriptor per refused upload. */
    int synced = fsync(fd) == 0 ? 0 : errno;
    int closed = close(fd) == 0 ? 0 : errno;
    fd = -1;
    if (synced || closed) {
        int e = synced ? synced : closed;
        log_error("scan store: fsync %s/%s: %s", dir, tmp, strerror(e));
        status = io_status(e);
        goto cleanup;
    }

    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&hash, digest);
    sodium_bin2hex(out->sha256, sizeof out->sha256, digest, sizeof digest);
    out->bytes = total;
    bool renamed = false;
    int published = publish(dirfd, dir, tmp, out->sha256, &renamed);
    if (renamed)
        tmp[0] = '\0';
    if (published != 0) {
        status = io_status(published);
        goto cleanup;
    }
    out->created = renamed;
    status = SCANSTORE_OK;

cleanup:
    if (fd >= 0)
        close(fd);
    if (tmp[0] && unlinkat(dirfd, tmp, 0) != 0)
        log_error("scan store: remove %s/%s: %s", dir, tmp, strerror(errno));
    if (dirfd >= 0)
        close(dirfd);
    free(buf);
    if (status != SCANSTORE_OK) {
        out->sha256[0] = '\0';
        out->bytes = 0;
        out->created = false;
    }
    return status;
}

static int fd_read(void *ctx, char *buf, int n)
{
    int fd = *(int *)ctx;
    for (;;) {
        ssize_t got = read(fd, buf, (size_t)n);
        if (got >= 0)
            return (int)got;
        if (errno != EINTR)
            return -1;
    }
}

scanstore_status_t scanstore_put_fd(const char *dir, int fd, long long limit, const char *expect_mime,
                                    scanstore_result_t *out)
{
    return scanstore_put(dir, fd_read, &fd, limit, expect_mime, out);
}

long scanstore_remove_stale_temps(const char *dir, int max_age_seconds)
{
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = dirfd >= 0 ? fdopendir(dirfd) : NULL;
    if (!d) {
        log_error("scan store: open %s: %s", dir, strerror(errno));
        if (dirfd >= 0)
            close(dirfd);
        return -1;
    }
    long removed = 0;
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (strncmp(e->d_name, TEMP_PREFIX, sizeof TEMP_PREFIX - 1) != 0 ||
            fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
            now - st.st_mtime < max_age_seconds)
            continue;
        if (unlinkat(dirfd, e->d_name, 0) == 0)
            removed++;
        else if (errno != ENOENT)
            log_error("scan store: remove %s/%s: %s", dir, e->d_name, strerror(errno));
    }
    closedir(d); /* closes dirfd */
    return removed;
}
