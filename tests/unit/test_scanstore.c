/* The scan store in a temporary directory: equal bytes stored once, the
 * limit, the type check, read errors, names that are only hex, no
 * temporary file left behind on any path, and the temporary files of
 * killed uploads removed once old. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "scanstore.h"

/* The signature and IHDR chunk of a 1×1 PNG: enough for libmagic. */
static const unsigned char PNG_HEAD[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0,    0,    0,
                                         13,   'I', 'H', 'D', 'R',  0,    0,    0,    1,    0,    0,
                                         0,    1,   8,   0,   0,    0,    0,    0x3a, 0x7e, 0x9b, 0x55};

/* A byte source in memory that hands out at most step bytes per read and
 * fails (-1) once fail_at bytes were given (when fail_at > 0). */
typedef struct {
    const unsigned char *data;
    size_t len, pos, step, fail_at;
} source_t;

static int source_read(void *ctx, char *buf, int n)
{
    source_t *s = ctx;
    if (s->fail_at && s->pos >= s->fail_at)
        return -1;
    size_t take = s->len - s->pos;
    if (take > (size_t)n)
        take = (size_t)n;
    if (s->step && take > s->step)
        take = s->step;
    memcpy(buf, s->data + s->pos, take);
    s->pos += take;
    return (int)take;
}

/* A PNG-looking body of len bytes (len ≥ sizeof PNG_HEAD), the rest from seed. */
static unsigned char *png_body(size_t len, unsigned seed)
{
    unsigned char *b = malloc(len);
    assert_non_null(b);
    memcpy(b, PNG_HEAD, sizeof PNG_HEAD);
    for (size_t i = sizeof PNG_HEAD; i < len; i++)
        b[i] = (unsigned char)((i * 31 + seed) & 0xff);
    return b;
}

static scanstore_status_t put(const char *dir, const unsigned char *data, size_t len, long long limit,
                              const char *expect, scanstore_result_t *out)
{
    source_t s = {.data = data, .len = len, .step = 1000};
    return scanstore_put(dir, source_read, &s, limit, expect, out);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    char *dir = strdup("/tmp/esurat-scanstore-XXXXXX");
    if (!dir || !mkdtemp(dir))
        return -1;
    *state = dir;
    return 0;
}

static int teardown(void **state)
{
    nftw(*state, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(*state);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    return crypto_init();
}

static int group_teardown(void **state)
{
    (void)state;
    scanstore_shutdown();
    return 0;
}

/* Counts the entries of the store: fan-out directories and files; fails
 * the test on any name that is not hex in its place. */
static void count_store(const char *dir, int *dirs, int *files)
{
    *dirs = *files = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        assert_int_equal(strlen(e->d_name), 2);
        assert_int_equal(strspn(e->d_name, "0123456789abcdef"), 2);
        (*dirs)++;
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
        DIR *sd = opendir(sub);
        assert_non_null(sd);
        struct dirent *f;
        while ((f = readdir(sd))) {
            if (strcmp(f->d_name, ".") == 0 || strcmp(f->d_name, "..") == 0)
                continue;
            assert_true(scanstore_sha_valid(f->d_name));
            assert_memory_equal(f->d_name, e->d_name, 2);
            (*files)++;
        }
        closedir(sd);
    }
    closedir(d);
}

static void assert_store_empty(const char *dir)
{
    int dirs, files;
    count_store(dir, &dirs, &files);
    assert_int_equal(dirs, 0);
    assert_int_equal(files, 0);
}

/* The file at path holds exactly the len bytes of body. */
static void assert_file_holds(const char *path, const unsigned char *body, size_t len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *back = malloc(len + 1);
    assert_int_equal(fread(back, 1, len + 1, f), len);
    assert_memory_equal(back, body, len);
    fclose(f);
    free(back);
}

static void test_equal_bytes_are_stored_once(void **state)
{
    const char *dir = *state;
    size_t len = 200000; /* several chunks */
    unsigned char *body = png_body(len, 1);
    scanstore_result_t a, b;
    assert_int_equal(put(dir, body, len, 1 << 20, "image/png", &a), SCANSTORE_OK);
    assert_true(a.created);
    assert_int_equal(a.bytes, (long long)len);
    assert_string_equal(a.mime, "image/png");
    char expect[65];
    sha256_hex(body, len, expect);
    assert_string_equal(a.sha256, expect);

    assert_int_equal(put(dir, body, len, 1 << 20, NULL, &b), SCANSTORE_OK);
    assert_false(b.created);
    assert_string_equal(b.sha256, a.sha256);

    int dirs, files;
    count_store(dir, &dirs, &files);
    assert_int_equal(dirs, 1);
    assert_int_equal(files, 1);

    /* The stored bytes are the bytes given. */
    char *path = scanstore_file_path(dir, a.sha256);
    assert_non_null(path);
    assert_file_holds(path, body, len);
    free(path);
    free(body);
}

/* The store shared by several hosts (a mounted folder): writer processes
 * put the same bytes and their own bytes at the same moment, again and
 * again, while a reader keeps opening the shared file's final name. Every
 * put succeeds, the same bytes end as one file with exactly those bytes,
 * the reader never sees a partial file, no temporary file is left. */
#define RACE_WRITERS 6
#define RACE_ROUNDS 15

/* A child's whole life: 0 when every put went right. */
static int race_writer(const char *dir, int id, int gate, const unsigned char *shared, size_t len,
                       const char *shared_sha)
{
    char c;
    if (read(gate, &c, 1) != 0) /* the gate opens when the parent closes it */
        return 10;
    unsigned char *own = png_body(len / 3, 100 + (unsigned)id);
    for (int round = 0; round < RACE_ROUNDS; round++) {
        scanstore_result_t r;
        /* Small reads: the writers' temporary files grow side by side. */
        source_t s = {.data = shared, .len = len, .step = 4096};
        if (scanstore_put(dir, source_read, &s, 1 << 22, "image/png", &r) != SCANSTORE_OK ||
            strcmp(r.sha256, shared_sha) != 0)
            return 1;
        source_t o = {.data = own, .len = len / 3, .step = 4096};
        if (scanstore_put(dir, source_read, &o, 1 << 22, NULL, &r) != SCANSTORE_OK)
            return 2;
    }
    free(own);
    return 0;
}

/* Opens the final name whenever it exists: its length is always whole. */
static int race_reader(const char *path, size_t len, int gate)
{
    char c;
    if (read(gate, &c, 1) != 0)
        return 10;
    unsigned char *buf = malloc(len + 1);
    int seen = 0;
    for (int i = 0; i < 20000; i++) {
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        size_t n = fread(buf, 1, len + 1, f);
        fclose(f);
        if (n != len)
            return 3;
        if (++seen > 50)
            break;
    }
    free(buf);
    return 0;
}

static void test_several_writers_at_once(void **state)
{
    const char *dir = *state;
    size_t len = 300000;
    unsigned char *shared = png_body(len, 7);
    char sha[65];
    sha256_hex(shared, len, sha);
    char *path = scanstore_file_path(dir, sha);
    assert_non_null(path);
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t pids[RACE_WRITERS + 1];
    for (int i = 0; i <= RACE_WRITERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            close(gate[1]);
            _exit(i < RACE_WRITERS ? race_writer(dir, i, gate[0], shared, len, sha) : race_reader(path, len, gate[0]));
        }
    }
    close(gate[0]);
    close(gate[1]); /* all start together */
    for (int i = 0; i <= RACE_WRITERS; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != 0)
            fail_msg("%s %d failed with %d", i < RACE_WRITERS ? "writer" : "reader", i, WEXITSTATUS(status));
    }
    /* One file for the shared bytes, one per writer's own, nothing else
     * (count_store fails on a temporary file left at the top). */
    int dirs, files;
    count_store(dir, &dirs, &files);
    assert_int_equal(files, 1 + RACE_WRITERS);
    assert_file_holds(path, shared, len);
    free(path);
    free(shared);
}

static void test_put_fd(void **state)
{
    const char *dir = *state;
    unsigned char *body = png_body(5000, 2);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], body, 5000), 5000);
    close(fds[1]);
    scanstore_result_t r;
    assert_int_equal(scanstore_put_fd(dir, fds[0], 5000, "image/png", &r), SCANSTORE_OK);
    close(fds[0]);
    assert_int_equal(r.bytes, 5000);
    free(body);
}

static void test_limit(void **state)
{
    const char *dir = *state;
    unsigned char *body = png_body(150000, 3);
    scanstore_result_t r;
    /* Over the limit in the first chunk, and only in a later chunk. */
    assert_int_equal(put(dir, body, 150000, 100, NULL, &r), SCANSTORE_TOO_LARGE);
    assert_int_equal(put(dir, body, 150000, 149999, NULL, &r), SCANSTORE_TOO_LARGE);
    assert_string_equal(r.sha256, "");
    assert_store_empty(dir);
    /* Exactly the limit is fine. */
    assert_int_equal(put(dir, body, 150000, 150000, NULL, &r), SCANSTORE_OK);
    free(body);
}

static void test_limit_stops_reading(void **state)
{
    const char *dir = *state;
    unsigned char *body = png_body(1 << 20, 4);
    source_t s = {.data = body, .len = 1 << 20};
    scanstore_result_t r;
    assert_int_equal(scanstore_put(dir, source_read, &s, 4096, NULL, &r), SCANSTORE_TOO_LARGE);
    assert_int_equal(s.pos, 4097);
    assert_store_empty(dir);
    free(body);
}

static void test_wrong_type_stores_nothing(void **state)
{
    const char *dir = *state;
    unsigned char *body = png_body(3000, 5);
    scanstore_result_t r;
    assert_int_equal(put(dir, body, 3000, 1 << 20, "application/pdf", &r), SCANSTORE_WRONG_TYPE);
    assert_string_equal(r.mime, "image/png");
    assert_store_empty(dir);
    free(body);
}

static void test_empty_and_read_error(void **state)
{
    const char *dir = *state;
    scanstore_result_t r;
    assert_int_equal(put(dir, (const unsigned char *)"", 0, 100, NULL, &r), SCANSTORE_EMPTY);
    unsigned char *body = png_body(300000, 6);
    /* Fails after the first chunk was written to the temporary file. */
    source_t s = {.data = body, .len = 300000, .fail_at = 100000};
    assert_int_equal(scanstore_put(dir, source_read, &s, 1 << 20, NULL, &r), SCANSTORE_READ_ERROR);
    assert_store_empty(dir);
    free(body);
}

static void test_missing_dir_is_an_io_error(void **state)
{
    (void)state;
    unsigned char *body = png_body(100, 7);
    scanstore_result_t r;
    assert_int_equal(put("/nonexistent/esurat-scans", body, 100, 1000, NULL, &r), SCANSTORE_IO_ERROR);
    free(body);
}

/* Creates dir/name with a few bytes, last changed age seconds ago. */
static void make_file(const char *dir, const char *name, int age)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("half an upload", f);
    assert_int_equal(fclose(f), 0);
    struct timespec t[2] = {{.tv_sec = time(NULL) - age}, {.tv_sec = time(NULL) - age}};
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static bool exists(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void test_stale_temps_removed(void **state)
{
    const char *dir = *state;
    unsigned char *body = png_body(100, 9);
    scanstore_result_t r;
    assert_int_equal(put(dir, body, 100, 1000, NULL, &r), SCANSTORE_OK);
    free(body);
    make_file(dir, ".tmp-0123456789abcdef", 7200); /* a killed upload's */
    make_file(dir, ".tmp-fedcba9876543210", 10);   /* an upload under way */
    make_file(dir, "ballast", 7200);               /* not the store's to touch */
    assert_int_equal(scanstore_remove_stale_temps(dir, 3600), 1);
    assert_false(exists(dir, ".tmp-0123456789abcdef"));
    assert_true(exists(dir, ".tmp-fedcba9876543210"));
    assert_true(exists(dir, "ballast"));
    char stored[8 + SCANSTORE_SHA_HEX];
    snprintf(stored, sizeof stored, "%.2s/%s", r.sha256, r.sha256);
    assert_true(exists(dir, stored));
    assert_int_equal(scanstore_remove_stale_temps(dir, 5), 1);
    assert_false(exists(dir, ".tmp-fedcba9876543210"));
    assert_int_equal(scanstore_remove_stale_temps("/nonexistent/esurat-scans", 5), -1);
}

static void test_names_are_only_hex(void **state)
{
    const char *dir = *state;
    for (unsigned i = 0; i < 20; i++) {
        unsigned char *body = png_body(100 + i, i);
        scanstore_result_t r;
        assert_int_equal(put(dir, body, 100 + i, 1000, NULL, &r), SCANSTORE_OK);
        assert_true(scanstore_sha_valid(r.sha256));
        free(body);
    }
    int dirs, files;
    count_store(dir, &dirs, &files); /* asserts every name */
    assert_int_equal(files, 20);
}

static void test_accel_path_and_names(void **state)
{
    (void)state;
    char path[SCANSTORE_PATH_MAX];
    const char *sha = "3fa4c0ffee000000000000000000000000000000000000000000000000000001";
    assert_true(scanstore_accel_path(sha, path));
    assert_string_equal(path, "/_scans/3f/3fa4c0ffee000000000000000000000000000000000000000000000000000001");
    const char *bad[] = {"",
                         "3fa4",
                         "../../etc/passwd",
                         "3FA4C0FFEE000000000000000000000000000000000000000000000000000001",
                         "3fa4c0ffee00000000000000000000000000000000000000000000000000000/",
                         "3fa4c0ffee0000000000000000000000000000000000000000000000000000011"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(scanstore_sha_valid(bad[i]));
        assert_false(scanstore_accel_path(bad[i], path));
        assert_string_equal(path, "");
        assert_null(scanstore_file_path("/tmp", bad[i]));
    }
    assert_false(scanstore_sha_valid(NULL));
}

static void test_detect(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        const char *mime;
    } cases[] = {
        {"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", 29, "application/pdf"},
        {"II*\0\x08\0\0\0\0\0\0\0", 12, "image/tiff"},
        {"MM\0*\0\0\0\x08\0\0\0\0", 12, "image/tiff"},
        {"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 20, "image/jpeg"},
        {"hello, world\n", 13, "text/plain"},
    };
    char mime[SCANSTORE_MIME_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_true(scanstore_detect(cases[i].bytes, cases[i].len, mime));
        assert_string_equal(mime, cases[i].mime);
    }
    assert_true(scanstore_detect(PNG_HEAD, sizeof PNG_HEAD, mime));
    assert_string_equal(mime, "image/png");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_equal_bytes_are_stored_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_fd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_writers_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_limit_stops_reading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_type_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_read_error, setup, teardown),
        cmocka_unit_test(test_missing_dir_is_an_io_error),
        cmocka_unit_test_setup_teardown(test_names_are_only_hex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_temps_removed, setup, teardown),
        cmocka_unit_test(test_accel_path_and_names),
        cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
