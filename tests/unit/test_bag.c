/* CSV fields for spreadsheets (textbuf.h) and the BagIt writer (bag.h):
 * a tar bag written to memory holds bagit.txt first, the payload, and
 * bag-info.txt, the manifest and the tag manifest with the right sums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bag.h"
#include "crypto.h"
#include "textbuf.h"

static void test_csv_fields(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain,"},
        {NULL, ","},
        {"", ","},
        {"a,b", "\"a,b\","},
        {"say \"hi\"", "\"say \"\"hi\"\"\","},
        {"two\nlines", "\"two\nlines\","},
        {"x;y", "\"x;y\","},
        {"=SUM(A1)", "\"'=SUM(A1)\","},
        {"+62 812", "\"'+62 812\","},
        {"-1", "\"'-1\","},
        {"@cmd", "\"'@cmd\","},
        {"Surat \xe2\x80\x94 Disdik", "Surat \xe2\x80\x94 Disdik,"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        textbuf_t b = TEXTBUF_INIT;
        csv_field(&b, cases[i].in, false);
        assert_string_equal(b.data, cases[i].out);
        tb_free(&b);
    }
    textbuf_t b = TEXTBUF_INIT;
    csv_field(&b, "a", false);
    csv_field(&b, "b", true);
    assert_string_equal(b.data, "a,b\r\n");
    tb_free(&b);
}

typedef struct {
    char *data;
    size_t len, cap;
} mem_t;

static int mem_write(void *ctx, const void *buf, size_t len)
{
    mem_t *m = ctx;
    if (m->len + len > m->cap) {
        m->cap = (m->len + len) * 2;
        m->data = realloc(m->data, m->cap);
    }
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    return 0;
}

/* The content of member name (base directory included) of a ustar/pax
 * archive, or NULL; *len its size. */
static const char *tar_find(const mem_t *m, const char *name, size_t *len)
{
    size_t off = 0;
    while (off + 512 <= m->len && m->data[off]) {
        const char *h = m->data + off;
        size_t size = strtoul(h + 124, NULL, 8);
        char type = h[156];
        if (type != 'x' && type != 'g' && strncmp(h, name, 100) == 0) {
            *len = size;
            return h + 512;
        }
        off += 512 + (size + 511) / 512 * 512;
    }
    return NULL;
}

static void test_tar_bag(void **state)
{
    (void)state;
    assert_int_equal(crypto_init(), 0);
    mem_t m = {0};
    bag_t *b = bag_open(BAG_TAR, "bag", NULL, mem_write, &m);
    assert_non_null(b);
    assert_int_equal(bag_add_data(b, "letters/a.txt", "hello\n", 6, true), 0);
    char path[] = "/tmp/wt7-test-bag-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    lseek(fd, 0, SEEK_SET);
    char sha[65];
    assert_int_equal(bag_add_data_fd(b, "scan.bin", fd, 10, false, sha), 0);
    close(fd);
    char expect[65];
    sha256_hex("0123456789", 10, expect);
    assert_string_equal(sha, expect);
    assert_int_equal(bag_payload_bytes(b), 16);
    assert_int_equal(bag_payload_files(b), 2);
    assert_int_equal(bag_finish(b, "Source-Organization: Uji\n"), 0);
    bag_free(b);

    size_t len;
    const char *text = tar_find(&m, "bag/bagit.txt", &len);
    assert_non_null(text);
    assert_memory_equal(text, "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n", len);
    text = tar_find(&m, "bag/bag-info.txt", &len);
    assert_non_null(text);
    assert_memory_equal(text, "Source-Organization: Uji\nPayload-Oxum: 16.2\n", len);
    text = tar_find(&m, "bag/manifest-sha256.txt", &len);
    assert_non_null(text);
    char hello[65], line[256];
    sha256_hex("hello\n", 6, hello);
    snprintf(line, sizeof line, "%s  data/letters/a.txt\n%s  data/scan.bin\n", hello, expect);
    assert_int_equal(len, strlen(line));
    assert_memory_equal(text, line, len);
    char manifest_sha[65];
    sha256_hex(text, len, manifest_sha);
    text = tar_find(&m, "bag/tagmanifest-sha256.txt", &len);
    assert_non_null(text);
    char *tags = strndup(text, len);
    assert_non_null(strstr(tags, manifest_sha));
    assert_non_null(strstr(tags, "  bagit.txt\n"));
    assert_non_null(strstr(tags, "  bag-info.txt\n"));
    free(tags);
    assert_non_null(tar_find(&m, "bag/data/scan.bin", &len));
    assert_int_equal(len, 10);
    free(m.data);
}

static int failing_write(void *ctx, const void *buf, size_t len)
{
    (void)ctx, (void)buf, (void)len;
    return -1;
}

static void test_output_failure_fails_the_bag(void **state)
{
    (void)state;
    bag_t *b = bag_open(BAG_ZIP, "bag", NULL, failing_write, NULL);
    /* libarchive may buffer bagit.txt; the failure shows by the end. */
    if (b) {
        static char big[300000];
        int rc = bag_add_data(b, "big.bin", big, sizeof big, false);
        if (rc == 0)
            rc = bag_finish(b, "");
        assert_int_equal(rc, -1);
        assert_true(bag_error(b)[0] != '\0');
        bag_free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_fields),
        cmocka_unit_test(test_tar_bag),
        cmocka_unit_test(test_output_failure_fails_the_bag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
