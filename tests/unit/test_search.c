/* The search wrapper (search/search.h) on a real Xapian database in a
 * temporary directory: terms and filters, rights, snippets, hostile
 * queries, generations. */
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "search.h"

static char dir[PATH_MAX];
static search_reader_t *reader;

static void put(search_writer_t *w, long long id, const char *number, const char *subject, const char *code,
                const char *registered, const char *groups, const char *ocr)
{
    search_page_t page = {.scan_id = id * 10, .page = 1, .text = ocr};
    search_letter_t l = {.id = id,
                         .direction = id % 2 ? "in" : "out",
                         .letter_number = number,
                         .sender = id % 2 ? "Dinas Pendidikan" : "Bagian Umum",
                         .recipient = "Walikota Pekanbaru",
                         .subject = subject,
                         .summary = "Ringkasan surat.",
                         .classification = code,
                         .registered = registered,
                         .groups = groups,
                         .notes = id == 3 ? "Segera koordinasikan dengan camat" : NULL,
                         .pages = ocr ? &page : NULL,
                         .npages = ocr ? 1 : 0};
    search_error_t err;
    assert_int_equal(search_writer_put(w, &l, &err), SEARCH_OK);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/esurat-test-search-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char gen[PATH_MAX];
    assert_int_equal(search_dir_new_generation(dir, gen, sizeof gen), 0);
    search_error_t err;
    search_writer_t *w = search_writer_open(gen, true, true, &err);
    assert_non_null(w);
    put(w, 1, "005/123/Disdik/2015", "Undangan Rapat Koordinasi", "005", "20150120100000", "all",
        "Dengan hormat, kami mengundang Bapak pada pelaksanaan rapat <penting> & mendesak.");
    put(w, 2, "090/7/Setda/2014", "Laporan kegiatan yang dilaksanakan", "090", "20141231235959", "all",
        "Kegiatan perjalanan dinas telah dilaksanakan sesuai jadwal.");
    put(w, 3, "R-800/9/BKD/2015", "Usulan mutasi rahasia", "800.1.11.1", "20150301080000", "admin fd:4 pos:1",
        "Daftar pejabat yang diusulkan untuk mutasi.");
    put(w, 4, "000.8.3.3/15/OR", "Pemberitahuan perbaikan jalan", "000.8.3.3", "20150201090000", "all", NULL);
    assert_int_equal(search_writer_set_meta(w, "schema", SEARCH_SCHEMA_VERSION, &err), SEARCH_OK);
    assert_int_equal(search_writer_commit(w, &err), SEARCH_OK);
    assert_int_equal(search_writer_doccount(w), 4);
    search_writer_close(w);
    assert_int_equal(search_dir_publish(dir, gen), 0);
    reader = search_reader_open(dir, &err);
    assert_non_null(reader);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    search_reader_close(reader);
    char gen[PATH_MAX];
    if (search_dir_current(dir, gen, sizeof gen) == 0)
        search_dir_remove(gen);
    char link[PATH_MAX + 16];
    snprintf(link, sizeof link, "%s/current", dir);
    unlink(link);
    rmdir(dir);
    return 0;
}

/* The ids found, as "1,3" (in rank order), for groups "all". */
static const char *found(search_query_t q)
{
    static char buf[256];
    if (!q.groups)
        q.groups = "all";
    if (!q.limit)
        q.limit = 20;
    search_result_t res;
    search_error_t err;
    assert_int_equal(search_run(reader, &q, &res, &err), SEARCH_OK);
    buf[0] = '\0';
    for (size_t i = 0; i < res.nhits; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%lld", i ? "," : "", res.hits[i].id);
    search_result_free(&res);
    return buf;
}

static void test_stemming_and_words(void **state)
{
    (void)state;
    assert_string_equal(found((search_query_t){.q = "undangan"}), "1");
    assert_string_equal(found((search_query_t){.q = "mengundang"}), "1");
    assert_string_equal(found((search_query_t){.q = "pelaksanaan", .sort = SEARCH_SORT_DATE}), "1,2");
    assert_string_equal(found((search_query_t){.q = "koordin*"}), "1");
    assert_string_equal(found((search_query_t){.q = "\"rapat koordinasi\""}), "1");
    assert_string_equal(found((search_query_t){.q = "camat"}), ""); /* only in letter 3's notes, not for "all" */
    assert_string_equal(found((search_query_t){.q = "camat", .groups = "all admin"}), "3");
}

static void test_numbers(void **state)
{
    (void)state;
    assert_string_equal(found((search_query_t){.number = "005/123/Disdik/2015"}), "1");
    assert_string_equal(found((search_query_t){.number = "123/Disdik"}), "1");
    assert_string_equal(found((search_query_t){.number = " disdik / 2015 "}), "1");
    assert_string_equal(found((search_query_t){.number = "2015"}), "1");
    assert_string_equal(found((search_query_t){.number = "000.8.3.3/15"}), "4");
    assert_string_equal(found((search_query_t){.number = "124/Disdik"}), "");
    assert_string_equal(found((search_query_t){.q = "123/Disdik"}), "1");
}

static void test_filters(void **state)
{
    (void)state;
    assert_string_equal(found((search_query_t){.classification = "0", .sort = SEARCH_SORT_DATE}), "4,1,2");
    assert_string_equal(found((search_query_t){.classification = "00"}), "4,1");
    assert_string_equal(found((search_query_t){.classification = "000.8."}), "4");
    assert_string_equal(found((search_query_t){.classification = "8", .groups = "admin"}), "3");
    assert_string_equal(found((search_query_t){.from = "2015-01-01", .to = "2015-01-31"}), "1");
    assert_string_equal(found((search_query_t){.from = "2014-12-31", .to = "2014-12-31"}), "2");
    assert_string_equal(found((search_query_t){.from = "2015-01-21"}), "4");
    assert_string_equal(found((search_query_t){.to = "2015-01-20"}), "1,2");
    assert_string_equal(found((search_query_t){.direction = "out"}), "4,2");
    assert_string_equal(found((search_query_t){.sender = "dinas"}), "1");
    assert_string_equal(found((search_query_t){.groups = ""}), "");
}

static void test_rights_in_totals_and_facets(void **state)
{
    (void)state;
    search_query_t q = {.q = "mutasi OR rapat", .groups = "all pos:2", .limit = 20, .facets = true};
    search_result_t res;
    search_error_t err;
    assert_int_equal(search_run(reader, &q, &res, &err), SEARCH_OK);
    assert_int_equal(res.total, 1);
    assert_int_equal(res.nclasses, 1);
    assert_string_equal(res.classes[0].value, "0");
    search_result_free(&res);
    /* One level below the classification asked for. */
    q.classification = "0";
    assert_int_equal(search_run(reader, &q, &res, &err), SEARCH_OK);
    assert_int_equal(res.nclasses, 1);
    assert_string_equal(res.classes[0].value, "00");
    search_result_free(&res);
    q.classification = NULL;
    q.groups = "all pos:1";
    assert_int_equal(search_run(reader, &q, &res, &err), SEARCH_OK);
    assert_int_equal(res.total, 2);
    assert_int_equal(res.nclasses, 2);
    assert_int_equal(res.nyears, 1);
    assert_string_equal(res.years[0].value, "2015");
    assert_int_equal(res.years[0].count, 2);
    search_result_free(&res);
}

static void test_snippets_escaped(void **state)
{
    (void)state;
    search_query_t q = {.q = "mendesak", .groups = "all", .limit = 5, .snippets = true};
    search_result_t res;
    search_error_t err;
    assert_int_equal(search_run(reader, &q, &res, &err), SEARCH_OK);
    assert_int_equal(res.nhits, 1);
    assert_non_null(strstr(res.hits[0].snippet, "<mark>mendesak</mark>"));
    assert_non_null(strstr(res.hits[0].snippet, "&lt;penting&gt; &amp;"));
    assert_int_equal(res.hits[0].scan_id, 10);
    assert_int_equal(res.hits[0].page, 1);
    search_result_free(&res);
}

static void test_spelling(void **state)
{
    (void)state;
    search_query_t q = {.q = "kordinasi", .groups = "all", .limit = 5};
    search_result_t res;
    search_error_t err;
    assert_int_equal(search_run(reader, &q, &res, &err), SEARCH_OK);
    assert_non_null(res.suggestion);
    assert_string_equal(res.suggestion, "koordinasi");
    search_result_free(&res);
    /* "usulan" stands only in letter 3, which group "all" may not see: a
     * near miss gets no suggestion there (it would name the word). */
    q.q = "usulaan";
    assert_int_equal(search_run(reader, &q, &res, &err), SEARCH_OK);
    assert_null(res.suggestion);
    search_result_free(&res);
    q.groups = "admin";
    assert_int_equal(search_run(reader, &q, &res, &err), SEARCH_OK);
    assert_non_null(res.suggestion);
    assert_string_equal(res.suggestion, "usulan");
    search_result_free(&res);
}

static void test_hostile_queries(void **state)
{
    (void)state;
    static char long_q[12000];
    memset(long_q, 'a', sizeof long_q - 1);
    const char *hostile[] = {
        "\"",  "*",        "NEAR(",        "AND OR",  "((((", "-",    "a* b* c*",  "\x01\x7f", "\xc3\xa9t\xc3\xa9",
        "NOT", "OR rapat", "rapat NEAR/2", "\"rapat", long_q, "''''", "subject:x", "\xe2\x80"};
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        search_query_t q = {.q = hostile[i], .groups = "all", .limit = 10, .facets = true, .snippets = true};
        search_result_t res;
        search_error_t err;
        assert_int_equal(search_run(reader, &q, &res, &err), SEARCH_OK);
        search_result_free(&res);
        char desc[4096];
        assert_int_equal(search_describe(&q, desc, sizeof desc, &err), SEARCH_OK);
    }
}

static void test_describe_date_terms(void **state)
{
    (void)state;
    char desc[8192];
    search_error_t err;
    search_query_t q = {.groups = "all", .from = "2014-12-30", .to = "2016-02-02"};
    assert_int_equal(search_describe(&q, desc, sizeof desc, &err), SEARCH_OK);
    assert_non_null(strstr(desc, "D20141230"));
    assert_non_null(strstr(desc, "D20141231"));
    assert_non_null(strstr(desc, "Y2015"));
    assert_non_null(strstr(desc, "M201601"));
    assert_non_null(strstr(desc, "D20160202"));
    assert_null(strstr(desc, "M201412"));
}

static void test_refresh_and_missing(void **state)
{
    (void)state;
    search_error_t err;
    assert_int_equal(search_reader_refresh(reader, &err), SEARCH_OK);
    assert_null(search_reader_open("/nonexistent/esurat-index", &err));
    assert_int_equal(err.status, SEARCH_MISSING);
    assert_null(search_writer_open("/nonexistent/esurat-index/gen", false, false, &err));
    assert_int_not_equal(err.status, SEARCH_OK);
    assert_true(strlen(err.message) > 0);
    /* A directory that holds no database. */
    char junk[PATH_MAX + 8];
    snprintf(junk, sizeof junk, "%s/junk", dir);
    assert_int_equal(mkdir(junk, 0700), 0);
    FILE *f = fopen(strcat(strcpy((char[PATH_MAX + 32]){0}, junk), "/iamglass"), "w");
    if (f) {
        fputs("garbage", f);
        fclose(f);
    }
    assert_null(search_writer_open(junk, false, false, &err));
    search_dir_remove(junk);
}

/* Writers in parallel threads (a parallel rebuild), merged keeping ids. */
typedef struct {
    char path[PATH_MAX + 16];
    long long first;
    search_status_t st;
} part_t;

static void *write_part(void *arg)
{
    part_t *p = arg;
    search_error_t err;
    search_writer_t *w = search_writer_open(p->path, true, true, &err);
    p->st = w ? SEARCH_OK : err.status;
    static const char *const words[] = {"mengundang", "pelaksanaan", "dilaksanakan", "pembangunan", "dikeluarkan",
                                        "koordinasi", "perjalanan",  "kepegawaian",  "keuangan",    "pemberitahuan"};
    for (long long i = 0; w && p->st == SEARCH_OK && i < 1500; i++) {
        char text[512];
        snprintf(text, sizeof text, "Surat %lld tentang %s, %s dan %s yang diberitahukan kepada para pejabat.", i,
                 words[i % 10], words[(i * 7) % 10], words[(i * 3) % 10]);
        search_page_t page = {.scan_id = 1, .page = 1, .text = text};
        search_letter_t l = {.id = p->first + i,
                             .direction = "in",
                             .sender = "Dinas",
                             .recipient = "Walikota",
                             .subject = text,
                             .registered = "20200101000000",
                             .groups = "all",
                             .pages = &page,
                             .npages = 1};
        p->st = search_writer_put(w, &l, &err);
    }
    if (w && p->st == SEARCH_OK)
        p->st = search_writer_commit(w, &err);
    search_writer_close(w);
    return NULL;
}

static void test_parallel_writers_and_merge(void **state)
{
    (void)state;
    part_t parts[3];
    pthread_t threads[3];
    const char *paths[3];
    for (int i = 0; i < 3; i++) {
        snprintf(parts[i].path, sizeof parts[i].path, "%s/part%d", dir, i);
        parts[i].first = 1000 + i * 10000;
        paths[i] = parts[i].path;
        assert_int_equal(pthread_create(&threads[i], NULL, write_part, &parts[i]), 0);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(parts[i].st, SEARCH_OK);
    }
    char merged[PATH_MAX + 16];
    snprintf(merged, sizeof merged, "%s/merged", dir);
    search_error_t err;
    assert_int_equal(search_compact(paths, 3, merged, &err), SEARCH_OK);
    search_writer_t *w = search_writer_open(merged, false, false, &err);
    assert_non_null(w);
    assert_int_equal(search_writer_doccount(w), 4500);
    /* The ids are the letters' ids still: replacing one does not add one. */
    search_letter_t l = {.id = 21499,
                         .direction = "out",
                         .sender = "x",
                         .recipient = "y",
                         .subject = "ganti",
                         .registered = "20200101000000",
                         .groups = "all"};
    assert_int_equal(search_writer_put(w, &l, &err), SEARCH_OK);
    assert_int_equal(search_writer_commit(w, &err), SEARCH_OK);
    assert_int_equal(search_writer_doccount(w), 4500);
    search_writer_close(w);
    for (int i = 0; i < 3; i++)
        search_dir_remove(parts[i].path);
    search_dir_remove(merged);
}

/* ------------------------------------------------------------ ranking of common words */

#define COMMON_N 2600

/* Letter id's registration: five months of 2021, in an order unlike the
 * ids (the listing must follow the time, not the id). */
static void common_registered(int id, char *buf, size_t size)
{
    int k = (id * 7919) % COMMON_N; /* a permutation of 0..COMMON_N-1 */
    snprintf(buf, size, "2021%02d%02d%02d%02d%02d", 1 + k / 520, 1 + k % 520 / 20, k % 20, k % 60, id % 60);
}

static int cmp_desc(const void *a, const void *b)
{
    return strcmp(*(const char *const *)b, *(const char *const *)a);
}

/* "umum" stands in every letter, "jembatan" in three (twice in 1300):
 * a word in half of the letters or more weighs nothing (docs/api.md,
 * "Ranking"), so "umum" lists its letters newest first, and the other
 * words of a query rank. */
static void test_common_words_newest_first(void **state)
{
    (void)state;
    char cdir[PATH_MAX + 16], gen[PATH_MAX];
    snprintf(cdir, sizeof cdir, "%s/common", dir);
    assert_int_equal(mkdir(cdir, 0700), 0);
    assert_int_equal(search_dir_new_generation(cdir, gen, sizeof gen), 0);
    search_error_t err;
    search_writer_t *w = search_writer_open(gen, true, true, &err);
    assert_non_null(w);
    static char regs[COMMON_N + 1][16];
    for (int id = 1; id <= COMMON_N; id++) {
        common_registered(id, regs[id], sizeof regs[id]);
        const char *text = id == 1300   ? "Surat umum tentang jembatan, jembatan baru."
                           : id == 7 || id == 2001 ? "Surat umum tentang jembatan."
                                                   : "Surat umum tentang kegiatan dinas.";
        put(w, id, NULL, "Perihal", "005", regs[id], "all", text);
    }
    assert_int_equal(search_writer_commit(w, &err), SEARCH_OK);
    search_writer_close(w);
    assert_int_equal(search_dir_publish(cdir, gen), 0);
    search_reader_t *r = search_reader_open(cdir, &err);
    assert_non_null(r);

    /* The expected order: registration time, newest first. */
    static const char *order[COMMON_N];
    for (int id = 1; id <= COMMON_N; id++)
        order[id - 1] = regs[id];
    qsort(order, COMMON_N, sizeof *order, cmp_desc);
    const unsigned offsets[] = {0, 510, COMMON_N - 5};
    for (size_t o = 0; o < sizeof offsets / sizeof *offsets; o++) {
        search_query_t q = {.q = "umum", .groups = "all", .limit = 20, .offset = offsets[o], .snippets = true};
        search_result_t res;
        assert_int_equal(search_run(r, &q, &res, &err), SEARCH_OK);
        assert_int_equal(res.total, COMMON_N);
        assert_true(res.total_exact);
        assert_int_equal(res.nhits, offsets[o] + 20 <= COMMON_N ? 20 : COMMON_N - offsets[o]);
        for (size_t i = 0; i < res.nhits; i++) {
            assert_string_equal(regs[res.hits[i].id], order[offsets[o] + i]);
            /* The word is marked though it weighs nothing. */
            assert_non_null(strstr(res.hits[i].snippet, "<mark>umum</mark>"));
        }
        search_result_free(&res);
    }
    /* A date range: the newest letters of February. */
    search_query_t feb = {.q = "umum", .groups = "all", .limit = 5, .from = "2021-02-01", .to = "2021-02-28"};
    search_result_t res;
    assert_int_equal(search_run(r, &feb, &res, &err), SEARCH_OK);
    int first_feb = 0;
    while (strncmp(order[first_feb], "202102", 6) != 0)
        first_feb++;
    assert_int_equal(res.nhits, 5);
    for (size_t i = 0; i < res.nhits; i++)
        assert_string_equal(regs[res.hits[i].id], order[first_feb + (int)i]);
    search_result_free(&res);
    /* With a word that ranks: by its weight (1300 has it twice). */
    search_query_t both = {.q = "umum jembatan", .groups = "all", .limit = 20};
    assert_int_equal(search_run(r, &both, &res, &err), SEARCH_OK);
    assert_int_equal(res.nhits, 3);
    assert_int_equal(res.hits[0].id, 1300);
    assert_true(res.hits[0].score > res.hits[1].score);
    assert_true(res.hits[2].score > 0);
    search_result_free(&res);
    /* The rights filter holds in the walk: a group with no letter. */
    search_query_t none = {.q = "umum", .groups = "admin", .limit = 20};
    assert_int_equal(search_run(r, &none, &res, &err), SEARCH_OK);
    assert_int_equal(res.nhits, 0);
    search_result_free(&res);
    search_reader_close(r);
    search_dir_remove(gen);
    char link[PATH_MAX + 32];
    snprintf(link, sizeof link, "%s/current", cdir);
    unlink(link);
    rmdir(cdir);
}

/* ------------------------------------------------------------ replicas */

/* A free TCP port on 127.0.0.1. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* One pass of xapian-replicate from the server on port into replica;
 * retried while the server is still starting. */
static void replicate_once(int port, const char *replica)
{
    char cmd[PATH_MAX + 200];
    snprintf(cmd, sizeof cmd, "xapian-replicate -q -o -r 0 -h 127.0.0.1 -p %d -m current '%s' 2>/dev/null", port,
             replica);
    for (int i = 0; i < 100; i++) {
        if (system(cmd) == 0)
            return;
        usleep(100 * 1000);
    }
    fail_msg("xapian-replicate never succeeded: %s", cmd);
}

/* A generation of master with letters 1..n, published. */
static void master_generation(const char *master, int n)
{
    char gen[PATH_MAX];
    search_error_t err;
    assert_int_equal(search_dir_new_generation(master, gen, sizeof gen), 0);
    search_writer_t *w = search_writer_open(gen, true, false, &err);
    assert_non_null(w);
    for (int id = 1; id <= n; id++)
        put(w, id, NULL, id == n ? "Surat terakhir generasi baru" : "Surat lama", "005", "20150120100000", "all", NULL);
    assert_int_equal(search_writer_commit(w, &err), SEARCH_OK);
    search_writer_close(w);
    assert_int_equal(search_dir_publish(master, gen), 0);
}

/* The index of a web host as xapian-replicate keeps it: changesets
 * reach the reader by refresh, a full copy (a new master generation) by
 * the stub file XAPIANDB moving to the other copy, which the reader
 * follows like a new generation; the old copy's files are gone by then. */
static void test_replica_follows_changesets_and_full_copies(void **state)
{
    (void)state;
    char root[] = "/tmp/esurat-test-replica-XXXXXX";
    assert_non_null(mkdtemp(root));
    char master[PATH_MAX], replica[PATH_MAX];
    snprintf(master, sizeof master, "%s/master", root);
    snprintf(replica, sizeof replica, "%s/replica", root);
    /* The master keeps changesets (the indexer's environment in a cluster). */
    setenv("XAPIAN_MAX_CHANGESETS", "20", 1);
    master_generation(master, 1);

    int port = free_port();
    char port_text[16];
    snprintf(port_text, sizeof port_text, "%d", port);
    pid_t server = fork();
    assert_true(server >= 0);
    if (server == 0) {
        /* Its SIGTERM handler signals its whole process group. */
        setpgid(0, 0);
        execlp("xapian-replicate-server", "xapian-replicate-server", "-I", "127.0.0.1", "-p", port_text, master,
               (char *)NULL);
        _exit(127);
    }
    replicate_once(port, replica);

    search_error_t err;
    search_reader_t *r = search_reader_open(replica, &err);
    assert_non_null(r);
    assert_int_equal(search_reader_doccount(r), 1);
    char first[PATH_MAX];
    assert_int_equal(search_dir_current(replica, first, sizeof first), 0);

    /* A change on the master arrives as a changeset into the same copy. */
    char gen[PATH_MAX];
    assert_int_equal(search_dir_current(master, gen, sizeof gen), 0);
    search_writer_t *w = search_writer_open(gen, false, false, &err);
    assert_non_null(w);
    put(w, 2, "7/Disdik", "Undangan kedua", "005", "20150121100000", "all", NULL);
    assert_int_equal(search_writer_commit(w, &err), SEARCH_OK);
    search_writer_close(w);
    replicate_once(port, replica);
    assert_int_equal(search_reader_refresh(r, &err), SEARCH_OK);
    assert_int_equal(search_reader_doccount(r), 2);
    char now[PATH_MAX];
    assert_int_equal(search_dir_current(replica, now, sizeof now), 0);
    assert_string_equal(now, first);

    /* A new master generation (a rebuild) comes as a full copy. */
    master_generation(master, 3);
    replicate_once(port, replica);
    assert_int_equal(search_dir_current(replica, now, sizeof now), 0);
    assert_string_not_equal(now, first);
    struct stat st;
    assert_int_not_equal(stat(first, &st), 0); /* the old copy is gone */
    assert_int_equal(search_reader_refresh(r, &err), SEARCH_OK);
    assert_int_equal(search_reader_doccount(r), 3);
    search_query_t q = {.q = "generasi", .groups = "all", .limit = 10};
    search_result_t res;
    assert_int_equal(search_run(r, &q, &res, &err), SEARCH_OK);
    assert_int_equal(res.nhits, 1);
    assert_int_equal(res.hits[0].id, 3);
    search_result_free(&res);
    search_reader_close(r);

    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    unsetenv("XAPIAN_MAX_CHANGESETS");
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    assert_int_equal(system(cmd), 0);
}

/* A stub that is not xapian-replicate's: never followed out of the
 * directory, never to a remote database. */
static void test_replica_stub_is_checked(void **state)
{
    (void)state;
    char root[] = "/tmp/esurat-test-stub-XXXXXX";
    assert_non_null(mkdtemp(root));
    char sub[PATH_MAX], stub[PATH_MAX], out[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/replica_0", root);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(stub, sizeof stub, "%s/XAPIANDB", root);
    const char *bad[] = {
        "auto ../etc\n", "auto /etc\n", "remote 10.0.0.1:9000\n", "auto\n", "auto ..\n", "glass replica_0\n", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(stub, "w");
        assert_non_null(f);
        fputs("# Automatically generated by Xapian::DatabaseReplica v1.4.22.\n", f);
        fputs(bad[i], f);
        fclose(f);
        if (search_dir_current(root, out, sizeof out) == 0)
            fail_msg("followed the stub \"%s\" to %s", bad[i], out);
    }
    FILE *f = fopen(stub, "w");
    assert_non_null(f);
    fputs("# comment\nauto replica_0\n", f);
    fclose(f);
    assert_int_equal(search_dir_current(root, out, sizeof out), 0);
    assert_string_equal(out, sub);
    unlink(stub);
    rmdir(sub);
    rmdir(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stemming_and_words),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_rights_in_totals_and_facets),
        cmocka_unit_test(test_snippets_escaped),
        cmocka_unit_test(test_spelling),
        cmocka_unit_test(test_hostile_queries),
        cmocka_unit_test(test_describe_date_terms),
        cmocka_unit_test(test_refresh_and_missing),
        cmocka_unit_test(test_parallel_writers_and_merge),
        cmocka_unit_test(test_common_words_newest_first),
        cmocka_unit_test(test_replica_follows_changesets_and_full_copies),
        cmocka_unit_test(test_replica_stub_is_checked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
