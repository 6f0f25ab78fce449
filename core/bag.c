#include "bag.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "textbuf.h"

#define CHUNK 65536

struct bag {
    struct archive *a;
    bag_format_t format;
    char name[128];
    bag_write_fn write;
    void *ctx;
    FILE *manifest; /* spooled "sha  data/path" lines */
    textbuf_t tags; /* tagmanifest lines (three) */
    long long payload_bytes, payload_files, out_bytes;
    time_t now;
    bool failed, finished;
    bool discard; /* abandoned: the output gets nothing more */
    char error[256];
    char *chunk;
};

static void bag_fail(bag_t *b, const char *what)
{
    b->failed = true;
    snprintf(b->error, sizeof b->error, "%s: %s", what,
             b->a && archive_error_string(b->a) ? archive_error_string(b->a) : strerror(errno));
    log_error("bag %s: %s", b->name, b->error);
}

static la_ssize_t bag_out(struct archive *a, void *client, const void *buf, size_t len)
{
    (void)a;
    bag_t *b = client;
    if (b->discard)
        return (la_ssize_t)len;
    if (b->write(b->ctx, buf, len) != 0) {
        archive_set_error(a, EIO, "the output was closed");
        return -1;
    }
    b->out_bytes += (long long)len;
    return (la_ssize_t)len;
}

static void hex(const unsigned char *digest, char out[65])
{
    sodium_bin2hex(out, 65, digest, crypto_hash_sha256_BYTES);
}

/* Writes one entry's header; 0 or -1. */
static int entry_header(bag_t *b, const char *path, long long size, bool compress)
{
    if (b->failed)
        return -1;
    char full[1024];
    if ((size_t)snprintf(full, sizeof full, "%s/%s", b->name, path) >= sizeof full) {
        errno = ENAMETOOLONG;
        bag_fail(b, path);
        return -1;
    }
    if (b->format == BAG_ZIP) {
        if (compress)
            archive_write_zip_set_compression_deflate(b->a);
        else
            archive_write_zip_set_compression_store(b->a);
    }
    struct archive_entry *e = archive_entry_new();
    if (!e) {
        bag_fail(b, "out of memory");
        return -1;
    }
    archive_entry_set_pathname(e, full);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, b->now, 0);
    int r = archive_write_header(b->a, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK) {
        bag_fail(b, full);
        return -1;
    }
    return 0;
}

static int entry_data(bag_t *b, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        la_ssize_t n = archive_write_data(b->a, p, len);
        if (n <= 0) {
            bag_fail(b, "write");
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int entry_end(bag_t *b)
{
    if (archive_write_finish_entry(b->a) != ARCHIVE_OK) {
        bag_fail(b, "finish entry");
        return -1;
    }
    return 0;
}

/* A whole file from memory; its sha256 into sha. */
static int add_mem(bag_t *b, const char *path, const void *buf, size_t len, bool compress, char sha[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, buf, len);
    hex(digest, sha);
    if (entry_header(b, path, (long long)len, compress) != 0 || entry_data(b, buf, len) != 0 || entry_end(b) != 0)
        return -1;
    return 0;
}

/* A whole file from fd; its sha256 into sha. */
static int add_fd(bag_t *b, const char *path, int fd, long long size, bool compress, char sha[65])
{
    if (entry_header(b, path, size, compress) != 0)
        return -1;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    long long left = size;
    while (left > 0) {
        size_t want = left < CHUNK ? (size_t)left : CHUNK;
        ssize_t n = read(fd, b->chunk, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            bag_fail(b, "read");
            return -1;
        }
        crypto_hash_sha256_update(&st, (const unsigned char *)b->chunk, (unsigned long long)n);
        if (entry_data(b, b->chunk, (size_t)n) != 0)
            return -1;
        left -= n;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, digest);
    hex(digest, sha);
    return entry_end(b);
}

static int add_tag_mem(bag_t *b, const char *name, const char *text)
{
    char sha[65];
    if (add_mem(b, name, text, strlen(text), true, sha) != 0)
        return -1;
    tb_printf(&b->tags, "%s  %s\n", sha, name);
    return 0;
}

bag_t *bag_open(bag_format_t format, const char *name, const char *tmpdir, bag_write_fn write, void *ctx)
{
    bag_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->format = format;
    b->write = write;
    b->ctx = ctx;
    b->now = time(NULL);
    snprintf(b->name, sizeof b->name, "%s", name);
    b->chunk = malloc(CHUNK);
    if (!tmpdir || !*tmpdir)
        tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir)
        tmpdir = "/tmp";
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/esurat-bag-XXXXXX", tmpdir);
    int fd = mkstemp(tmpl);
    if (fd >= 0) {
        unlink(tmpl);
        b->manifest = fdopen(fd, "w+");
        if (!b->manifest)
            close(fd);
    }
    b->a = archive_write_new();
    if (!b->chunk || !b->manifest || !b->a) {
        log_error("bag %s: cannot start (temporary file in %s: %s)", name, tmpdir, strerror(errno));
        bag_free(b);
        return NULL;
    }
    int r = format == BAG_ZIP ? archive_write_set_format_zip(b->a) : archive_write_set_format_pax_restricted(b->a);
    if (r == ARCHIVE_OK)
        r = archive_write_set_bytes_in_last_block(b->a, 1);
    if (r == ARCHIVE_OK)
        r = archive_write_open2(b->a, b, NULL, bag_out, NULL, NULL);
    if (r != ARCHIVE_OK) {
        log_error("bag %s: cannot start: %s", name, archive_error_string(b->a));
        bag_free(b);
        return NULL;
    }
    if (add_tag_mem(b, "bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n") != 0) {
        bag_free(b);
        return NULL;
    }
    return b;
}

static int manifest_line(bag_t *b, const char *sha, const char *path, long long size)
{
    if (fprintf(b->manifest, "%s  data/%s\n", sha, path) < 0) {
        bag_fail(b, "manifest spool");
        return -1;
    }
    b->payload_bytes += size;
    b->payload_files++;
    return 0;
}

int bag_add_data(bag_t *b, const char *path, const void *buf, size_t len, bool compress)
{
    char sha[65], full[1024];
    if ((size_t)snprintf(full, sizeof full, "data/%s", path) >= sizeof full ||
        add_mem(b, full, buf, len, compress, sha))
        return -1;
    return manifest_line(b, sha, path, (long long)len);
}

int bag_add_data_fd(bag_t *b, const char *path, int fd, long long size, bool compress, char *sha_out)
{
    char sha[65], full[1024];
    if ((size_t)snprintf(full, sizeof full, "data/%s", path) >= sizeof full ||
        add_fd(b, full, fd, size, compress, sha) != 0)
        return -1;
    if (sha_out)
        memcpy(sha_out, sha, 65);
    return manifest_line(b, sha, path, size);
}

int bag_finish(bag_t *b, const char *info)
{
    if (b->failed)
        return -1;
    textbuf_t text = TEXTBUF_INIT;
    tb_puts(&text, info);
    tb_printf(&text, "Payload-Oxum: %lld.%lld\n", b->payload_bytes, b->payload_files);
    int rc = tb_oom(&text) ? -1 : add_tag_mem(b, "bag-info.txt", text.data);
    tb_free(&text);
    if (rc != 0)
        return -1;

    if (fflush(b->manifest) != 0) {
        bag_fail(b, "manifest spool");
        return -1;
    }
    long size = ftell(b->manifest);
    char sha[65];
    if (size < 0 || fseek(b->manifest, 0, SEEK_SET) != 0 ||
        add_fd(b, "manifest-sha256.txt", fileno(b->manifest), size, true, sha) != 0) {
        if (!b->failed)
            bag_fail(b, "manifest spool");
        return -1;
    }
    tb_printf(&b->tags, "%s  manifest-sha256.txt\n", sha);
    if (tb_oom(&b->tags)) {
        bag_fail(b, "out of memory");
        return -1;
    }
    char tag_sha[65];
    if (add_mem(b, "tagmanifest-sha256.txt", b->tags.data, b->tags.len, true, tag_sha) != 0)
        return -1;
    if (archive_write_close(b->a) != ARCHIVE_OK) {
        bag_fail(b, "close");
        return -1;
    }
    b->finished = true;
    return 0;
}

long long bag_payload_bytes(const bag_t *b)
{
    return b->payload_bytes;
}

long long bag_payload_files(const bag_t *b)
{
    return b->payload_files;
}

long long bag_bytes_out(const bag_t *b)
{
    return b->out_bytes;
}

const char *bag_error(const bag_t *b)
{
    return b->error;
}

void bag_free(bag_t *b)
{
    if (!b)
        return;
    if (b->a) {
        /* An unfinished bag stays unfinished: its end goes nowhere. Closing
         * (rather than archive_write_fail) frees libarchive's output
         * buffer, which archive_write_free skips in the FATAL state. */
        if (!b->finished) {
            b->discard = true;
            archive_write_close(b->a);
        }
        archive_write_free(b->a);
    }
    if (b->manifest)
        fclose(b->manifest);
    tb_free(&b->tags);
    free(b->chunk);
    free(b);
}
