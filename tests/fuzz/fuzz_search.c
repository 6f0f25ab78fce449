/* libFuzzer target: the search query handling (search/search.h) on a
 * small real index. The input is split at NUL bytes into q, number,
 * sender, classification, from and to; any text must give results or
 * none (SEARCH_OK), never a crash, an exception or a leak. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "search.h"

static search_reader_t *reader;
static char dir[PATH_MAX];

static void remove_index(void)
{
    char gen[PATH_MAX], link[PATH_MAX + 16];
    search_reader_close(reader);
    reader = NULL;
    if (search_dir_current(dir, gen, sizeof gen) == 0)
        search_dir_remove(gen);
    snprintf(link, sizeof link, "%s/current", dir);
    unlink(link);
    rmdir(dir);
}

static void build_index(void)
{
    snprintf(dir, sizeof dir, "/tmp/esurat-fuzz-search-%d", (int)getpid());
    char gen[PATH_MAX];
    search_error_t err;
    if (search_dir_new_generation(dir, gen, sizeof gen) != 0)
        abort();
    search_writer_t *w = search_writer_open(gen, true, true, &err);
    if (!w)
        abort();
    static const char *const texts[] = {
        "Dengan hormat, kami mengundang Bapak pada rapat koordinasi pelaksanaan anggaran.",
        "Laporan kegiatan yang dilaksanakan; <b>perjalanan</b> dinas & rapat \"khusus\".",
        "Surat keputusan mutasi pejabat eselon III tahun 2015.",
    };
    for (int i = 0; i < 3; i++) {
        search_page_t page = {.scan_id = i + 1, .page = 1, .text = texts[i]};
        char number[64];
        snprintf(number, sizeof number, "00%d/1%d/Disdik/201%d", i, i, i + 3);
        search_letter_t l = {.id = i + 1,
                             .direction = i ? "out" : "in",
                             .letter_number = number,
                             .sender = "Dinas Pendidikan",
                             .recipient = "Walikota",
                             .subject = texts[(i + 1) % 3],
                             .summary = texts[(i + 2) % 3],
                             .classification = i == 2 ? "800.1.11" : "005",
                             .registered = i ? "20150101120000" : "20141231080000",
                             .groups = i == 2 ? "admin" : "all",
                             .pages = &page,
                             .npages = 1};
        if (search_writer_put(w, &l, &err) != SEARCH_OK)
            abort();
    }
    if (search_writer_commit(w, &err) != SEARCH_OK)
        abort();
    search_writer_close(w);
    if (search_dir_publish(dir, gen) != 0)
        abort();
    reader = search_reader_open(dir, &err);
    if (!reader)
        abort();
    atexit(remove_index);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!reader)
        build_index();
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    /* Fields separated by NUL bytes. */
    const char *fields[6] = {NULL};
    size_t nf = 0, start = 0;
    for (size_t i = 0; i <= size && nf < 6; i++)
        if (buf[i] == '\0') {
            fields[nf++] = buf + start;
            start = i + 1;
        }
    search_query_t q = {.q = fields[0],
                        .number = fields[1],
                        .sender = fields[2],
                        .classification = fields[3],
                        .from = fields[4],
                        .to = fields[5],
                        .groups = "all admin",
                        .limit = 10,
                        .facets = true,
                        .snippets = true,
                        .sort = size % 2 ? SEARCH_SORT_DATE : SEARCH_SORT_RELEVANCE};
    search_result_t res;
    search_error_t err;
    if (search_run(reader, &q, &res, &err) != SEARCH_OK) {
        fprintf(stderr, "search_run: %s\n", err.message);
        abort();
    }
    for (size_t i = 0; i < res.nhits; i++)
        if (!res.hits[i].snippet)
            abort();
    search_result_free(&res);
    char desc[1024];
    if (search_describe(&q, desc, sizeof desc, &err) != SEARCH_OK)
        abort();
    free(buf);
    return 0;
}
