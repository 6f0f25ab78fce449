/* The admin CLI `esurat`: what its commands share.
 *
 * Each command group lives in its own file (cmd_migrate.c, cmd_seed.c,
 * cmd_user.c, cmd_classification.c, cmd_audit.c); main.c holds the table
 * that dispatches to them and the help texts.
 *
 * Exit codes: CLI_OK (0) success, CLI_FAIL (1) failure, CLI_USAGE (2) the
 * command line is wrong. Messages go to stderr in PostgreSQL's style:
 * "esurat: error: short, factual, lower case", then DETAIL/HINT lines. */
#ifndef ESURAT_CLI_H
#define ESURAT_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "db.h"
#include "utf8.h"

#define CLI_OK 0
#define CLI_FAIL 1
#define CLI_USAGE 2

/* Advisory lock key (pg_advisory_xact_lock) taken by migrate and
 * seed-demo, so that two runs never interleave: "esurat" in ASCII. */
#define CLI_SCHEMA_LOCK_KEY "111546566074740"

struct cli_command;

/* A command receives argv with argv[0] = its full name ("esurat user add")
 * and the options and arguments after it. Returns an exit code. */
typedef int (*cli_fn)(const struct cli_command *cmd, int argc, char **argv);

struct cli_command {
    const char *group; /* "user", or NULL for a top-level command */
    const char *name;  /* "add", "migrate" */
    cli_fn fn;
    const char *usage;   /* "esurat user add USERNAME --name NAME ..." */
    const char *summary; /* one line */
    const char *help;    /* the options, one per line, or NULL */
};

/* Commands (one file per group). */
int cmd_migrate(const struct cli_command *cmd, int argc, char **argv);
int cmd_seed_demo(const struct cli_command *cmd, int argc, char **argv);
int cmd_user_add(const struct cli_command *cmd, int argc, char **argv);
int cmd_user_passwd(const struct cli_command *cmd, int argc, char **argv);
int cmd_user_deactivate(const struct cli_command *cmd, int argc, char **argv);
int cmd_user_list(const struct cli_command *cmd, int argc, char **argv);
int cmd_classification_import(const struct cli_command *cmd, int argc, char **argv);
int cmd_classification_list(const struct cli_command *cmd, int argc, char **argv);
int cmd_audit_verify(const struct cli_command *cmd, int argc, char **argv);
int cmd_ocr_retry(const struct cli_command *cmd, int argc, char **argv);
int cmd_export(const struct cli_command *cmd, int argc, char **argv);
int cmd_fixity(const struct cli_command *cmd, int argc, char **argv);
int cmd_retention(const struct cli_command *cmd, int argc, char **argv);
int cmd_reindex(const struct cli_command *cmd, int argc, char **argv);
int cmd_index_check(const struct cli_command *cmd, int argc, char **argv);

/* Prints the usage and help of cmd to stdout; returns CLI_OK. */
int cli_help(const struct cli_command *cmd);

/* "esurat: error: ..." on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "esurat: warning: ..." on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "DETAIL:  ..." and "HINT:  ..." lines after an error. */
void cli_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "<cmd usage name>: message" and the line pointing to the help of
 * cmd; returns CLI_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints only the line pointing to the help of cmd (after getopt has
 * complained); returns CLI_USAGE. */
int cli_try_help(const struct cli_command *cmd);

/* Parses the options of a command whose only option is --help. Returns
 * -1 when the command should go on (its arguments start at optind), else
 * the exit code to return (help shown, or a usage error). */
int cli_parse_help_only(const struct cli_command *cmd, int argc, char **argv);

/* The same for a command whose options are --dir DIR and --help; *dir is
 * set when --dir is given. */
int cli_parse_dir_option(const struct cli_command *cmd, int argc, char **argv, const char **dir);

/* Prints "esurat: error: what: <the database's message>"; returns CLI_FAIL. */
int cli_db_error(db_t *db, const char *what);

/* Connects to config_database_url() with client_encoding UTF8 and the
 * TimeZone $ESURAT_TIMEZONE (default Asia/Jakarta). NULL (and
 * the error printed) when the server cannot be reached. Free with
 * db_close. */
db_t *cli_connect(void);

/* Rolls back when a transaction is open; for error paths. */
void cli_rollback(db_t *db);

/* Runs a trusted SQL file's text (any number of statements) in the open
 * transaction: PQexec of file content is the one non-parameterised call
 * the CLI makes. name labels errors ("name:LINE: message"). The script may
 * not end the transaction. 0, or -1 with the error printed. */
int cli_exec_script(db_t *db, const char *name, const char *sql);

/* The migrations directory: dir_opt if given, else ESURAT_SQL_DIR, else
 * ESURAT_SOURCE_DIR "/sql". Static or caller's storage; do not free. */
const char *cli_sql_dir(const char *dir_opt);

/* Reads the whole file into a NUL-terminated malloc'd buffer (its length
 * in *len). NULL with errno set on failure; EFBIG when larger than max. */
char *cli_read_file(const char *path, size_t max, size_t *len);

/* A new JSON object for an audit row's detail: {"via":"cli","os_user":...};
 * the caller adds its own keys. NULL on OOM. */
json_t *cli_audit_object(void);

/* Appends an audit row for a CLI action (user_id NULL) in the open
 * transaction; steals the reference to detail (may be NULL). 0, or -1 with
 * the error printed. */
int cli_audit(db_t *db, const char *action, const char *object_type, const char *object_id, json_t *detail);

/* Reads a password: from the terminal (asked twice, no echo) when stdin
 * is one, else the first line of stdin. At least 8 characters (code
 * points), at most 1024 bytes. Returns CLI_OK with out filled, or
 * CLI_FAIL with the error printed. who names the user in the prompt. */
#define CLI_PASSWORD_MAX 1024
int cli_read_password(const char *who, char out[CLI_PASSWORD_MAX + 1]);

/* Prints rows of res as an aligned table: ncols (at most 16) columns named cols[i],
 * headed headers[i]; NULL values print as empty. */
void cli_print_table(const PGresult *res, int ncols, const char *const *cols, const char *const *headers);

#endif
