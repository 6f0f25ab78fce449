/* esurat: the administrator's command line.
 *
 * Parses the command name, finds it in the table and runs it; the
 * commands live one group per file (cmd_*.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "log.h"

static const struct cli_command commands[] = {
    {NULL, "migrate", cmd_migrate, "esurat migrate [--dir DIR]", "apply the SQL migrations not yet applied",
     "  --dir DIR   directory of NNN_*.sql files (default: $ESURAT_SQL_DIR, else the\n"
     "              source tree's sql/)\n\n"
     "Each file runs in its own transaction together with its row in\n"
     "schema_migrations; an applied file whose content changed is refused."},
    {NULL, "seed-demo", cmd_seed_demo, "esurat seed-demo [--dir DIR]",
     "create the demo organisation of Pemko Pekanbaru and its users",
     "  --dir DIR   directory holding demo/organisation.sql (as for migrate)\n\n"
     "The users' password is $ESURAT_DEMO_PASSWORD (required). Does nothing when\n"
     "any user exists."},
    {"user", "add", cmd_user_add,
     "esurat user add USERNAME --name NAME [--nip NIP] [--role ROLE]...\n"
     "                [--position POSITION_ID [--acting plt|plh --until YYYY-MM-DD]]",
     "create a user; the password is read from standard input",
     "  --name NAME          display name\n"
     "  --nip NIP            18-digit NIP (spaces are ignored)\n"
     "  --role ROLE          admin, front_desk, official, archivist or records;\n"
     "                       repeat for several\n"
     "  --position ID        the position the user holds (definitif unless --acting)\n"
     "  --acting plt|plh     hold it as acting official (Plt/Plh) ...\n"
     "  --until YYYY-MM-DD   ... until this day, inclusive\n\n"
     "The password is one line on standard input, or asked twice on a terminal;\n"
     "at least 8 characters."},
    {"user", "passwd", cmd_user_passwd, "esurat user passwd USERNAME",
     "set a user's password (from standard input) and end their sessions", NULL},
    {"user", "deactivate", cmd_user_deactivate, "esurat user deactivate USERNAME",
     "disable a user's login and end their sessions", NULL},
    {"user", "list", cmd_user_list, "esurat user list", "list users, their roles and state", NULL},
    {"classification", "import", cmd_classification_import, "esurat classification import FILE.csv",
     "insert or update classification codes from a CSV file",
     "The file is UTF-8 CSV with the header\n"
     "  code,title,retention_active_years,retention_inactive_years,final_disposition\n"
     "(only code and title are required; a column left out keeps the stored\n"
     "values). Fields may be quoted; a byte-order mark and semicolons as the\n"
     "separator (spreadsheets in an Indonesian locale) are accepted.\n"
     "final_disposition is musnah, permanen or dinilai_kembali (\"Dinilai Kembali\"\n"
     "is accepted). Every row is checked first: when any is wrong nothing is\n"
     "imported and each problem is printed as FILE:LINE: message. Each code's\n"
     "parent is its nearest existing ancestor (000.1.5 -> 000.1, else 000)."},
    {"classification", "list", cmd_classification_list, "esurat classification list [--prefix P]",
     "list classification codes", "  --prefix P   only codes starting with P"},
    {"audit", "verify", cmd_audit_verify, "esurat audit verify",
     "check the audit log's hash chain from its first row to its head", NULL},
    {"ocr", "retry", cmd_ocr_retry, "esurat ocr retry SCAN_ID | --all-failed",
     "queue failed OCR jobs again (attempts counted from zero)",
     "  --all-failed   every failed job, instead of one scan's"},
    {NULL, "export", cmd_export,
     "esurat export --from YYYY-MM-DD --to YYYY-MM-DD --out FILE [--format zip|tar]\n"
     "              [--as USERNAME] [--quiet]",
     "write the archive of a period as a BagIt bag",
     "  --from, --to DAY   the period: letters registered on these days and between\n"
     "  --out FILE         the bag (zip or tar); \"-\" writes to standard output\n"
     "  --format FORMAT    zip (default) or tar\n"
     "  --as USERNAME      only the letters this user may see (default: every letter)\n"
     "  --quiet            no progress bar (shown on a terminal)\n\n"
     "The bag holds bagit.txt, bag-info.txt, manifest-sha256.txt,\n"
     "tagmanifest-sha256.txt, data/register.csv and, per letter,\n"
     "data/letters/<year>/<unit>-<masuk|keluar>-<agenda number>/ with letter.json,\n"
     "the scans and ocr.txt. Exit status 1 also when scan files were missing.\n"
     "ESURAT_SCAN_DIR names the scan store, ESURAT_ORGANIZATION the\n"
     "Source-Organization (default: the top unit's name)."},
    {NULL, "fixity", cmd_fixity, "esurat fixity [--quiet]",
     "re-hash every stored scan file and report missing and changed ones",
     "  --quiet   no progress bar (shown on a terminal)\n\n"
     "Each file of the scan store ($ESURAT_SCAN_DIR) named by a scan is read\n"
     "again and its sha256 compared with its name. Results go to the database\n"
     "(GET /api/health, /metrics). Exit status 1 when any file is missing or\n"
     "changed; each is printed with the scans and letters that name it."},
    {NULL, "retention", cmd_retention, "esurat retention [--as-of YYYY-MM-DD] [--action LIST] [--csv]",
     "list the letters due for transfer, review or destruction (JRA)",
     "  --as-of DAY     the day to judge by (default today)\n"
     "  --action LIST   comma-separated: inaktif, musnah, permanen, dinilai_kembali,\n"
     "                  aktif, tanpa_jra (default: the first four, the ones due)\n"
     "  --csv           CSV for spreadsheets (UTF-8 with a byte-order mark)\n\n"
     "Years count from the day a letter was registered; a classification\n"
     "without its own schedule takes its nearest ancestor's."},
    {NULL, "reindex", cmd_reindex, "esurat reindex", "rebuild the search index from the database",
     "Reads every letter from one snapshot of the database into a new index\n"
     "beside the live one in $ESURAT_INDEX_DIR (default ./index), showing\n"
     "progress, then publishes it. Searches use the old index until then;\n"
     "esurat-worker's indexer follows the new one and applies the changes made\n"
     "during the rebuild. Memory stays bounded whatever the archive's size."},
    {"index", "check", cmd_index_check, "esurat index check",
     "compare the search index with the database, letter by letter",
     "Reads the live index of $ESURAT_INDEX_DIR (default ./index) without writing\n"
     "it, and every letter from one snapshot of the database: each letter must\n"
     "have its document, exactly as esurat-worker's indexer would write it now\n"
     "(text, OCR pages, disposition notes, filters, access groups), and each\n"
     "document its letter. Exit status 1 when a letter is missing, extra or\n"
     "different, or changes are still waiting in the index outbox (run it again\n"
     "on a quiet system: a letter changed while it runs may show as different)."},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_overview(FILE *out)
{
    fputs("esurat administers an e-Surat installation.\n\n"
          "Usage:\n  esurat COMMAND [OPTION]... [ARGUMENT]...\n\nCommands:\n",
          out);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char name[64];
        if (commands[i].group)
            snprintf(name, sizeof name, "%s %s", commands[i].group, commands[i].name);
        else
            snprintf(name, sizeof name, "%s", commands[i].name);
        fprintf(out, "  %-24s %s\n", name, commands[i].summary);
    }
    fputs("  help [COMMAND]           show help for a command\n\n"
          "Environment:\n"
          "  ESURAT_DATABASE_URL   libpq connection string (default \"dbname=esurat\")\n"
          "  ESURAT_SQL_DIR        directory of the SQL migrations\n"
          "  ESURAT_DEMO_PASSWORD  password of the demo users (seed-demo)\n"
          "  ESURAT_TIMEZONE       time zone of calendar days (default Asia/Jakarta)\n"
          "  ESURAT_INDEX_DIR      the search index (reindex; default ./index)\n\n"
          "Exit status: 0 success, 1 failure, 2 wrong usage.\n",
          out);
}

int cli_help(const struct cli_command *cmd)
{
    printf("%s\n\nUsage:\n  %s\n", cmd->summary, cmd->usage);
    if (cmd->help)
        printf("\n%s\n", cmd->help);
    return CLI_OK;
}

static bool is_group(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (commands[i].group && strcmp(commands[i].group, name) == 0)
            return true;
    return false;
}

static void print_group(FILE *out, const char *group)
{
    fprintf(out, "Usage:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (commands[i].group && strcmp(commands[i].group, group) == 0)
            fprintf(out, "  %s\n", commands[i].usage);
    fprintf(out, "\nTry \"esurat help %s SUBCOMMAND\" for details.\n", group);
}

/* The command named by words[0] (and words[1] for a group), or NULL. */
static const struct cli_command *find_command(int n, char **words)
{
    if (n < 1)
        return NULL;
    for (size_t i = 0; i < NCOMMANDS; i++) {
        const struct cli_command *c = &commands[i];
        if (!c->group && strcmp(c->name, words[0]) == 0)
            return c;
        if (c->group && n >= 2 && strcmp(c->group, words[0]) == 0 && strcmp(c->name, words[1]) == 0)
            return c;
    }
    return NULL;
}

static int help(int argc, char **argv)
{
    if (argc == 0) {
        print_overview(stdout);
        return CLI_OK;
    }
    const struct cli_command *c = find_command(argc, argv);
    if (c)
        return cli_help(c);
    if (argc == 1 && is_group(argv[0])) {
        print_group(stdout, argv[0]);
        return CLI_OK;
    }
    return cli_usage_error(NULL, "unknown command \"%s%s%s\"", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
}

int main(int argc, char **argv)
{
    log_init("esurat");
    if (argc < 2)
        return cli_usage_error(NULL, "no command given");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return help(0, NULL);
    if (strcmp(argv[1], "--version") == 0) {
        printf("esurat %s\n", ESURAT_VERSION);
        return CLI_OK;
    }
    if (strcmp(argv[1], "help") == 0)
        return help(argc - 2, argv + 2);

    const struct cli_command *c = find_command(argc - 1, argv + 1);
    if (!c) {
        if (is_group(argv[1])) {
            if (argc == 2) {
                fprintf(stderr, "esurat %s: no subcommand given\n", argv[1]);
                print_group(stderr, argv[1]);
                return CLI_USAGE;
            }
            return cli_usage_error(NULL, "unknown command \"%s %s\"", argv[1], argv[2]);
        }
        return cli_usage_error(NULL, "unknown command \"%s\"", argv[1]);
    }
    if (crypto_init() != 0) {
        cli_error("could not initialise libsodium");
        return CLI_FAIL;
    }

    /* The command sees argv[0] = its full name, as getopt's messages use it. */
    char name[64];
    int skip = c->group ? 2 : 1;
    if (c->group)
        snprintf(name, sizeof name, "esurat %s %s", c->group, c->name);
    else
        snprintf(name, sizeof name, "esurat %s", c->name);
    argv[skip] = name;
    return c->fn(c, argc - skip, argv + skip);
}
