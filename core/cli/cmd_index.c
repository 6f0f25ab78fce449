/* esurat index check: compares the search index with PostgreSQL, letter by
 * letter (search/indexing.h, indexing_verify), without writing either. */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "indexing.h"

int cmd_index_check(const struct cli_command *cmd, int argc, char **argv)
{
    int parsed = cli_parse_help_only(cmd, argc, argv);
    if (parsed >= 0)
        return parsed;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
    const char *index_dir = config_str("ESURAT_INDEX_DIR", "index");
    db_t *db = cli_connect();
    if (!db)
        return CLI_FAIL;
    indexing_verify_t v;
    indexing_error_t err;
    int rc = CLI_FAIL;
    if (indexing_verify(db, index_dir, &v, &err) != 0) {
        cli_error("could not compare the index with the database: %s", err.message);
    } else if (v.missing || v.extra || v.differ || v.pending) {
        cli_error("the index is not in step with the database: %lld letters, %lld documents; %lld missing, "
                  "%lld extra, %lld different, %lld changes not yet indexed",
                  v.letters, v.documents, v.missing, v.extra, v.differ, v.pending);
        for (int i = 0; i < v.nfirst; i++)
            cli_detail("%s", v.first[i]);
        if (v.pending)
            cli_hint("esurat-worker indexes pending changes within a second; run the check again once the outbox "
                     "is empty");
        else
            cli_hint("esurat reindex rebuilds the index from the database");
    } else {
        printf("index in step with the database: %lld letters, each indexed as the database has it now\n",
               v.letters);
        rc = CLI_OK;
    }
    db_close(db);
    return rc;
}
