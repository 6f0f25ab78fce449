/* esurat ocr retry: failed OCR jobs queued again, each with an audit row,
 * and the workers woken (NOTIFY ocr_jobs) at commit. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_chain.h"
#include "cli.h"

static const char RETRY_SQL[] =
    "UPDATE ocr_jobs j SET status = 'queued', attempts = 0, run_after = now(), lease_until = NULL,"
    "  error = NULL, error_code = NULL, finished_at = NULL "
    "FROM scans s "
    "WHERE s.id = j.scan_id AND j.status = 'failed' AND ($1::bigint IS NULL OR j.scan_id = $1::bigint) "
    "RETURNING j.scan_id, s.letter_id, pg_notify('ocr_jobs', j.scan_id::text)";

int cmd_ocr_retry(const struct cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'},
                                         {"all-failed", no_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    bool all = false;
    int c;
    opterr = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h')
            return cli_help(cmd);
        if (c == 'a')
            all = true;
        else
            return cli_try_help(cmd);
    }
    const char *scan = NULL;
    if (optind < argc) {
        scan = argv[optind++];
        if (strspn(scan, "0123456789") != strlen(scan) || !*scan || strlen(scan) > 18)
            return cli_usage_error(cmd, "SCAN_ID must be a number, not \"%s\"", scan);
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (!scan == !all)
        return cli_usage_error(cmd, "name one SCAN_ID or --all-failed");

    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    int rc = CLI_FAIL;
    const char *params[] = {scan};
    if (db_begin(db) < 0) {
        cli_db_error(db, "could not start a transaction");
        goto done;
    }
    PGresult *res = db_query(db, RETRY_SQL, 1, params);
    if (!res) {
        cli_db_error(db, "could not queue the jobs again");
        db_rollback(db);
        goto done;
    }
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        const char *letter = db_get(res, i, "letter_id");
        char detail[96];
        if (letter)
            snprintf(detail, sizeof detail, "{\"letter_id\": %s, \"by\": \"cli\"}", letter);
        else
            snprintf(detail, sizeof detail, "{\"by\": \"cli\"}");
        if (audit_chain_append(db, NULL, "scan.ocr_retry", "scan", db_get(res, i, "scan_id"), detail) < 0) {
            cli_db_error(db, "could not append to the audit log");
            PQclear(res);
            db_rollback(db);
            goto done;
        }
    }
    if (db_commit(db) < 0) {
        cli_db_error(db, "could not commit");
        PQclear(res);
        goto done;
    }
    if (scan && n == 0) {
        cli_error("scan %s has no failed OCR job", scan);
        cli_hint("only failed jobs are retried; see GET /api/scans/%s/text", scan);
    } else {
        for (int i = 0; i < n; i++)
            printf("scan %s: queued again\n", db_get(res, i, "scan_id"));
        printf("%d OCR job%s queued again\n", n, n == 1 ? "" : "s");
        rc = CLI_OK;
    }
    PQclear(res);
done:
    db_close(db);
    return rc;
}
