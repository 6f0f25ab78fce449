/* esurat-bench-search: latency of queries straight through the search
 * library (no HTTP), and of the same queries on PostgreSQL full-text
 * search, for scripts/bench-search.
 *
 *   esurat-bench-search INDEX_DIR QUERIES REPS [CONNINFO PG_REPS]
 *
 * QUERIES: lines "class<TAB>q<TAB>year" (year empty: no filter). Groups:
 * "all" (an employee without special rights). Prints one line per query
 * and engine: engine, class, q, year, p50 ms, p99 ms, total. PostgreSQL:
 * ts_rank top 20 over the precomputed tsvector column bench_fts.tsv (GIN),
 * websearch_to_tsquery('indonesian', q). */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "search.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    int i = (int)(p * (n - 1) + 0.5);
    return v[i];
}

static const char PG_SQL[] =
    "SELECT letter_id, ts_rank(tsv, q) AS r FROM bench_fts, websearch_to_tsquery('indonesian', $1) q "
    "WHERE tsv @@ q AND ($2::int IS NULL OR year = $2::int) ORDER BY r DESC LIMIT 20";

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 6) {
        fprintf(stderr, "usage: esurat-bench-search INDEX_DIR QUERIES REPS [CONNINFO PG_REPS]\n");
        return 2;
    }
    int reps = atoi(argv[3]), pg_reps = argc == 6 ? atoi(argv[5]) : 0;
    search_error_t err;
    search_reader_t *r = search_reader_open(argv[1], &err);
    if (!r) {
        fprintf(stderr, "cannot open %s: %s\n", argv[1], err.message);
        return 1;
    }
    PGconn *pg = NULL;
    if (pg_reps > 0) {
        pg = PQconnectdb(argv[4]);
        if (PQstatus(pg) != CONNECTION_OK) {
            fprintf(stderr, "%s", PQerrorMessage(pg));
            return 1;
        }
        PQclear(PQprepare(pg, "fts", PG_SQL, 2, NULL));
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    char line[1024];
    double *t = calloc((size_t)(reps > pg_reps ? reps : pg_reps) + 1, sizeof *t);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *cls = strtok(line, "\t"), *q = strtok(NULL, "\t"), *year = strtok(NULL, "\t");
        if (!cls || !q)
            continue;
        char from[16] = "", to[16] = "";
        if (year && *year) {
            snprintf(from, sizeof from, "%.4s-01-01", year);
            snprintf(to, sizeof to, "%.4s-12-31", year);
        }
        search_query_t sq = {.q = q,
                             .from = from[0] ? from : NULL,
                             .to = to[0] ? to : NULL,
                             .groups = "all",
                             .limit = 20,
                             .facets = !getenv("BENCH_NO_FACETS"),
                             .snippets = !getenv("BENCH_NO_SNIPPETS")};
        long long total = 0;
        for (int i = 0; i < reps; i++) {
            search_result_t res;
            double t0 = now_ms();
            if (search_run(r, &sq, &res, &err) != SEARCH_OK) {
                fprintf(stderr, "search: %s\n", err.message);
                return 1;
            }
            t[i] = now_ms() - t0;
            total = res.total;
            search_result_free(&res);
        }
        printf("xapian\t%s\t%s\t%s\t%.3f\t%.3f\t%lld\n", cls, q, year ? year : "", pct(t, reps, 0.5),
               pct(t, reps, 0.99), total);
        fflush(stdout);
        if (!pg)
            continue;
        int rows = 0;
        for (int i = 0; i < pg_reps; i++) {
            const char *params[] = {q, year && *year ? year : NULL};
            double t0 = now_ms();
            PGresult *res = PQexecPrepared(pg, "fts", 2, params, NULL, NULL, 0);
            t[i] = now_ms() - t0;
            if (PQresultStatus(res) != PGRES_TUPLES_OK) {
                fprintf(stderr, "postgresql: %s", PQerrorMessage(pg));
                return 1;
            }
            rows = PQntuples(res);
            PQclear(res);
        }
        printf("postgresql\t%s\t%s\t%s\t%.3f\t%.3f\t%d\n", cls, q, year ? year : "", pct(t, pg_reps, 0.5),
               pct(t, pg_reps, 0.99), rows);
        fflush(stdout);
    }
    fclose(f);
    free(t);
    PQfinish(pg);
    search_reader_close(r);
    return 0;
}
