/* esurat audit verify: recomputes the audit log's hash chain. */
#include <getopt.h>
#include <stdio.h>

#include "audit_chain.h"
#include "cli.h"

int cmd_audit_verify(const struct cli_command *cmd, int argc, char **argv)
{
    int parsed = cli_parse_help_only(cmd, argc, argv);
    if (parsed >= 0)
        return parsed;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);

    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    struct audit_chain_report report;
    int ok = audit_chain_verify(db, &report);
    int rc = CLI_FAIL;
    if (ok < 0) {
        cli_db_error(db, "could not read the audit log");
    } else if (ok == 0) {
        if (report.bad_id[0])
            cli_error("audit chain broken at row %s", report.bad_id);
        else
            cli_error("audit chain broken after row %ld", report.rows);
        cli_detail("%s; the %ld rows before it are intact", report.problem, report.rows);
    } else {
        printf("audit chain intact: %ld row%s, head %s\n", report.rows, report.rows == 1 ? "" : "s", report.head_hash);
        rc = CLI_OK;
    }
    db_close(db);
    return rc;
}
