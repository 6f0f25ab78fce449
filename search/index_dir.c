/* The index directory: generations of the Xapian database (gen-*) and the
 * link `current` to the live one. A rebuild writes a new generation beside
 * the live one and swaps the link with rename(2), so readers and the
 * writer move from one whole index to the other, never to half of one.
 *
 * On a web host of a cluster the index directory is instead a replica
 * kept by xapian-replicate (docs/scaling.md): a directory holding the stub
 * file XAPIANDB ("auto replica_0") that names the live copy; a full copy
 * is written to the other name and goes live when the stub is replaced
 * with rename(2). The copy the stub names is the generation: readers move
 * to a new full copy exactly as to a new generation. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "search.h"

#define LINK_NAME "current"
#define STUB_NAME "XAPIANDB"

/* When dir holds a replica's stub file, the copy it names into out:
 * 1 when followed, 0 when there is no stub, -1 when the stub is not one
 * xapian-replicate writes (a single "auto NAME" line besides comments,
 * NAME a plain file name). */
static int follow_replica_stub(const char *dir, char *out, size_t size)
{
    char stub[PATH_MAX];
    if (snprintf(stub, sizeof stub, "%s/" STUB_NAME, dir) >= (int)sizeof stub)
        return -1;
    FILE *f = fopen(stub, "re");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char line[512], name[256] = "";
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "auto %255s", name) != 1)
            name[0] = '\0';
        break;
    }
    fclose(f);
    if (!name[0] || strcmp(name, ".") == 0 || strstr(name, "..") || strchr(name, '/'))
        return -1;
    int w = snprintf(out, size, "%s/%s", dir, name);
    return w < 0 || (size_t)w >= size ? -1 : 1;
}

int search_dir_current(const char *index_dir, char *out, size_t size)
{
    char link[PATH_MAX], target[PATH_MAX], gen[PATH_MAX];
    if (snprintf(link, sizeof link, "%s/" LINK_NAME, index_dir) >= (int)sizeof link)
        return -1;
    ssize_t n = readlink(link, target, sizeof target - 1);
    int w;
    if (n > 0) {
        target[n] = '\0';
        /* The link is relative (gen-...), so that the directory may move. */
        w = target[0] == '/' ? snprintf(gen, sizeof gen, "%s", target)
                             : snprintf(gen, sizeof gen, "%s/%s", index_dir, target);
    } else {
        /* No link: the directory may be a replica itself. */
        w = snprintf(gen, sizeof gen, "%s", index_dir);
    }
    if (w < 0 || (size_t)w >= sizeof gen)
        return -1;
    int followed = follow_replica_stub(gen, out, size);
    if (followed < 0 || (followed == 0 && n <= 0))
        return -1;
    if (followed == 0) {
        w = snprintf(out, size, "%s", gen);
        if (w < 0 || (size_t)w >= size)
            return -1;
    }
    struct stat st;
    return stat(out, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int search_dir_new_generation(const char *index_dir, char *out, size_t size)
{
    if (mkdir_p(index_dir) != 0)
        return -1;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int w = snprintf(out, size, "%s/gen-%lld%03ld-%d", index_dir, (long long)ts.tv_sec, ts.tv_nsec / 1000000,
                     (int)getpid());
    if (w < 0 || (size_t)w >= size) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

static int fsync_path(const char *path, int flags)
{
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* fsync of every file in a generation (a bulk build skips the fsyncs). */
static int fsync_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && fsync_path(path, O_RDONLY) != 0)
            rc = -1;
    }
    closedir(d);
    if (fsync_path(dir, O_RDONLY | O_DIRECTORY) != 0)
        rc = -1;
    return rc;
}

int search_dir_publish(const char *index_dir, const char *gen_path)
{
    if (fsync_tree(gen_path) != 0)
        return -1;
    const char *name = strrchr(gen_path, '/');
    name = name ? name + 1 : gen_path;
    char tmp[PATH_MAX], link[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s/." LINK_NAME ".%d", index_dir, (int)getpid()) >= (int)sizeof tmp ||
        snprintf(link, sizeof link, "%s/" LINK_NAME, index_dir) >= (int)sizeof link) {
        errno = ENAMETOOLONG;
        return -1;
    }
    unlink(tmp);
    if (symlink(name, tmp) != 0)
        return -1;
    if (rename(tmp, link) != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return fsync_path(index_dir, O_RDONLY | O_DIRECTORY);
}

void search_dir_remove(const char *gen_path)
{
    DIR *d = opendir(gen_path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char path[PATH_MAX];
            if (snprintf(path, sizeof path, "%s/%s", gen_path, e->d_name) < (int)sizeof path)
                unlink(path);
        }
        closedir(d);
    }
    rmdir(gen_path);
}

void search_dir_remove_old(const char *index_dir, const char *keep)
{
    char current[PATH_MAX] = "";
    search_dir_current(index_dir, current, sizeof current);
    const char *cur_name = strrchr(current, '/');
    cur_name = cur_name ? cur_name + 1 : "";
    const char *keep_name = keep ? strrchr(keep, '/') : NULL;
    keep_name = keep_name ? keep_name + 1 : (keep ? keep : "");
    DIR *d = opendir(index_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "gen-", 4) != 0 || strcmp(e->d_name, cur_name) == 0 || strcmp(e->d_name, keep_name) == 0)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", index_dir, e->d_name) < (int)sizeof path)
            search_dir_remove(path);
    }
    closedir(d);
}

int search_dir_chown_like_parent(const char *index_dir, const char *gen_path)
{
    struct stat parent;
    if (stat(index_dir, &parent) != 0)
        return -1;
    if (geteuid() != 0 || parent.st_uid == geteuid())
        return 0;
    int rc = chown(gen_path, parent.st_uid, parent.st_gid);
    DIR *d = opendir(gen_path);
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s/%s", gen_path, e->d_name) < (int)sizeof path &&
            lchown(path, parent.st_uid, parent.st_gid) != 0)
            rc = -1;
    }
    closedir(d);
    return rc;
}
