#include "fixity.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "scanstore.h"

#define CHUNK 65536

static const char DUE_SQL[] = "SELECT f.sha256, (SELECT max(s.bytes) FROM scans s WHERE s.sha256 = f.sha256) AS bytes "
                              "FROM scan_fixity f "
                              "WHERE (f.checked_at IS NULL OR f.checked_at < $1::timestamptz)"
                              "  AND EXISTS (SELECT 1 FROM scans s WHERE s.sha256 = f.sha256) "
                              "ORDER BY f.checked_at NULLS FIRST, f.sha256 LIMIT $2::int";

static const char RECORD_SQL[] = "SELECT fixity_record($1, $2, $3, $4::bigint)";

const char *fixity_status_text(fixity_status_t s)
{
    switch (s) {
    case FIXITY_OK: return "ok";
    case FIXITY_MISSING: return "missing";
    case FIXITY_CHANGED: return "changed";
    }
    return "unknown";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

fixity_status_t fixity_check_file(const char *dir, const char *sha, long long expect_bytes, char actual[65],
                                  long long *actual_bytes, long long max_bytes_per_s, volatile sig_atomic_t *stop)
{
    actual[0] = '\0';
    *actual_bytes = -1;
    char *path = scanstore_file_path(dir, sha);
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        free(path);
        return FIXITY_MISSING;
    }
    unsigned char *buf = malloc(CHUNK);
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    long long total = 0;
    double start = now_s();
    bool failed = buf == NULL;
    while (!failed) {
        if (stop && *stop) {
            close(fd);
            free(buf);
            free(path);
            return FIXITY_OK; /* actual "": not a result */
        }
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_warn("fixity: read %s: %s", path, strerror(errno));
            failed = true;
            break;
        }
        if (n == 0)
            break;
        crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
        total += n;
        if (max_bytes_per_s > 0) {
            double ahead = (double)total / (double)max_bytes_per_s - (now_s() - start);
            if (ahead > 0.001) {
                struct timespec ts = {(time_t)ahead, (long)((ahead - (double)(time_t)ahead) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
    }
    close(fd);
    free(buf);
    free(path);
    *actual_bytes = total;
    if (failed) {
        snprintf(actual, 65, "%s", "");
        return FIXITY_CHANGED; /* unreadable bytes are not the stored bytes */
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, digest);
    sodium_bin2hex(actual, 65, digest, sizeof digest);
    if (strcmp(actual, sha) != 0 || (expect_bytes >= 0 && total != expect_bytes))
        return FIXITY_CHANGED;
    return FIXITY_OK;
}

long fixity_check_due(db_t *db, const fixity_batch_t *b, fixity_totals_t *t)
{
    char limit[24];
    snprintf(limit, sizeof limit, "%ld", b->limit);
    const char *params[] = {b->before, limit};
    PGresult *res = db_query(db, DUE_SQL, 2, params);
    if (!res)
        return -1;
    long done = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        if (b->stop && *b->stop)
            break;
        const char *sha = db_get(res, i, "sha256");
        const char *bytes = db_get(res, i, "bytes");
        char actual[65];
        long long actual_bytes;
        fixity_status_t s = fixity_check_file(b->scan_dir, sha, bytes ? atoll(bytes) : -1, actual, &actual_bytes,
                                              b->max_bytes_per_s, b->stop);
        if (b->stop && *b->stop && s == FIXITY_OK && !actual[0])
            break;
        char nbytes[24];
        snprintf(nbytes, sizeof nbytes, "%lld", actual_bytes);
        const char *rec[] = {sha, fixity_status_text(s), s == FIXITY_CHANGED && actual[0] ? actual : NULL,
                             actual_bytes >= 0 ? nbytes : NULL};
        PGresult *r = db_query(db, RECORD_SQL, 4, rec);
        if (!r) {
            PQclear(res);
            return -1;
        }
        PQclear(r);
        t->checked++;
        t->bytes += actual_bytes > 0 ? actual_bytes : 0;
        if (s == FIXITY_OK)
            t->ok++;
        else if (s == FIXITY_MISSING)
            t->missing++;
        else
            t->changed++;
        if (s != FIXITY_OK)
            log_warn("fixity: scan file %s is %s", sha, fixity_status_text(s));
        if (b->on_file)
            b->on_file(b->ctx, sha, s, t);
        done++;
    }
    PQclear(res);
    return done;
}

int fixity_refresh_health(db_t *db, bool full_pass)
{
    const char *params[] = {full_pass ? "true" : "false"};
    PGresult *r = db_query(db, "SELECT fixity_refresh_health($1::boolean)", 1, params);
    PQclear(r);
    return r ? 0 : -1;
}
