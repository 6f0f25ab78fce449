/* A BagIt bag (RFC 8493) written as a zip or tar stream while it is built,
 * in constant memory whatever its size (libarchive; the zip format's
 * central directory is the one thing that grows, by about 100 bytes per
 * file).
 *
 *   <name>/bagit.txt                first
 *   <name>/data/...                 the payload, in the order added
 *   <name>/bag-info.txt             at the end: Payload-Oxum is known then
 *   <name>/manifest-sha256.txt      at the end, spooled to a temporary file
 *   <name>/tagmanifest-sha256.txt   last
 *
 * Each payload file's sha256 is computed while its bytes go out. The
 * output goes to a callback (a FastCGI stream, a file). */
#ifndef ESURAT_BAG_H
#define ESURAT_BAG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { BAG_ZIP, BAG_TAR } bag_format_t;

/* Writes len bytes; 0, or -1 when the output failed (the bag is then
 * abandoned). */
typedef int (*bag_write_fn)(void *ctx, const void *buf, size_t len);

typedef struct bag bag_t;

/* Starts a bag named name (its base directory in the archive; letters,
 * digits, '.', '_', '-') and writes bagit.txt. The manifest is spooled in
 * a temporary file in tmpdir (NULL: $TMPDIR or /tmp), removed at once.
 * NULL on failure (logged). Free with bag_free. */
bag_t *bag_open(bag_format_t format, const char *name, const char *tmpdir, bag_write_fn write, void *ctx);

/* Adds the payload file data/<path> with the bytes buf[0..len).
 * compress: deflate it (zip only; scans are stored as they are). 0 or -1. */
int bag_add_data(bag_t *b, const char *path, const void *buf, size_t len, bool compress);

/* Adds data/<path> with size bytes read from fd (from its current
 * offset); sha_out (65 bytes, may be NULL) gets the sha256 of what was
 * written. When fd gives fewer bytes than size (a file that shrank), the
 * bag is failed: -1. 0 or -1. */
int bag_add_data_fd(bag_t *b, const char *path, int fd, long long size, bool compress, char *sha_out);

/* Ends the bag: bag-info.txt (info, lines "Label: value\n", followed by
 * Payload-Oxum), manifest-sha256.txt, tagmanifest-sha256.txt, and the
 * archive's end. 0 or -1. */
int bag_finish(bag_t *b, const char *info);

/* Payload bytes and files so far (Payload-Oxum), and bytes written out. */
long long bag_payload_bytes(const bag_t *b);
long long bag_payload_files(const bag_t *b);
long long bag_bytes_out(const bag_t *b);

/* What went wrong last ("" when nothing). */
const char *bag_error(const bag_t *b);

/* Frees the bag; an unfinished one is abandoned (the output is incomplete,
 * and an incomplete zip or tar is recognisably so). */
void bag_free(bag_t *b);

#endif
