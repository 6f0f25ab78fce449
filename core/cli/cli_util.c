/* Helpers shared by the CLI commands: messages, connection, files,
 * UTF-8, passwords, tables, audit rows. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "audit_chain.h"
#include "config.h"

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("esurat: error: ", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("esurat: warning: ", fmt, ap);
    va_end(ap);
}

void cli_detail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("DETAIL:  ", fmt, ap);
    va_end(ap);
}

void cli_hint(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("HINT:  ", fmt, ap);
    va_end(ap);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cmd && cmd->group)
        fprintf(stderr, "esurat %s %s: ", cmd->group, cmd->name);
    else if (cmd)
        fprintf(stderr, "esurat %s: ", cmd->name);
    else
        fputs("esurat: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return cli_try_help(cmd);
}

int cli_try_help(const struct cli_command *cmd)
{
    if (cmd && cmd->group)
        fprintf(stderr, "Try \"esurat help %s %s\" for more information.\n", cmd->group, cmd->name);
    else if (cmd)
        fprintf(stderr, "Try \"esurat help %s\" for more information.\n", cmd->name);
    else
        fputs("Try \"esurat --help\" for more information.\n", stderr);
    return CLI_USAGE;
}

int cli_db_error(db_t *db, const char *what)
{
    const char *msg = db_error(db);
    cli_error("%s: %s", what, msg && *msg ? msg : "unknown database error");
    return CLI_FAIL;
}

db_t *cli_connect(void)
{
    db_t *db = db_open(config_database_url());
    if (!db) {
        cli_error("out of memory");
        return NULL;
    }
    PGconn *conn = db_conn(db);
    if (!conn || PQstatus(conn) != CONNECTION_OK) {
        cli_error("could not connect to the database: %s", db_error(db));
        cli_hint("set ESURAT_DATABASE_URL to a libpq connection string");
        db_close(db);
        return NULL;
    }
    return db;
}

void cli_rollback(db_t *db)
{
    if (db_in_transaction(db))
        db_rollback(db);
}

const char *cli_sql_dir(const char *dir_opt)
{
    if (dir_opt && *dir_opt)
        return dir_opt;
    return config_str("ESURAT_SQL_DIR", ESURAT_SOURCE_DIR "/sql");
}

char *cli_read_file(const char *path, size_t max, size_t *len)
{
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0)
        goto fail;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto fail;
    }
    if ((unsigned long long)st.st_size > max) {
        errno = EFBIG;
        goto fail;
    }
    size_t size = (size_t)st.st_size, got = 0;
    buf = malloc(size + 1);
    if (!buf)
        goto fail;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        if (n == 0)
            break; /* the file shrank: take what is there */
        got += (size_t)n;
    }
    buf[got] = '\0';
    *len = got;
    close(fd);
    return buf;
fail:;
    int saved = errno;
    free(buf);
    close(fd);
    errno = saved;
    return NULL;
}

json_t *cli_audit_object(void)
{
    const char *os_user = NULL;
    struct passwd *pw = getpwuid(geteuid());
    if (pw && pw->pw_name)
        os_user = pw->pw_name;
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (json_object_set_new(o, "via", json_string("cli")) != 0 ||
        json_object_set_new(o, "os_user", os_user ? json_string(os_user) : json_null()) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int cli_audit(db_t *db, const char *action, const char *object_type, const char *object_id, json_t *detail)
{
    char *text = detail ? json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(detail);
    if (detail && !text) {
        cli_error("out of memory");
        return -1;
    }
    long id = audit_chain_append(db, NULL, action, object_type, object_id, text);
    free(text);
    if (id < 0) {
        cli_db_error(db, "could not append to the audit log");
        return -1;
    }
    return 0;
}

/* Reads one line from fp into buf (cap bytes including the NUL), without
 * its line end. 1 read, 0 end of input, -1 too long. */
static int read_line(FILE *fp, char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, fp))
        return 0;
    size_t n = strlen(buf);
    if (n > 0 && buf[n - 1] == '\n') {
        buf[--n] = '\0';
    } else if (n == cap - 1 && !feof(fp)) {
        /* No line end within the buffer: too long. Drain the rest. */
        int c;
        while ((c = fgetc(fp)) != EOF && c != '\n')
            ;
        explicit_bzero(buf, cap);
        return -1;
    }
    if (n > 0 && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 1;
}

static int read_tty_password(const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    bool restore = false;
    fputs(prompt, stderr);
    fflush(stderr);
    if (tcgetattr(STDIN_FILENO, &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
    int rc = read_line(stdin, buf, cap);
    if (restore)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    else
        fputc('\n', stderr);
    return rc;
}

int cli_read_password(const char *who, char out[CLI_PASSWORD_MAX + 1])
{
    /* Room for the line end and one byte more, to notice a line too long. */
    char line[CLI_PASSWORD_MAX + 3];
    int rc = CLI_FAIL, got;

    if (isatty(STDIN_FILENO)) {
        char prompt[160];
        char again[CLI_PASSWORD_MAX + 3];
        snprintf(prompt, sizeof prompt, "New password for %s: ", who);
        got = read_tty_password(prompt, line, sizeof line);
        if (got == 1) {
            int got2 = read_tty_password("Enter it again: ", again, sizeof again);
            if (got2 == 1 && strcmp(line, again) != 0) {
                cli_error("passwords do not match");
                explicit_bzero(again, sizeof again);
                goto cleanup;
            }
            if (got2 != 1)
                got = got2;
            explicit_bzero(again, sizeof again);
        }
    } else {
        got = read_line(stdin, line, sizeof line);
    }
    if (got == 0) {
        cli_error("no password given");
        cli_hint("write the password on standard input, one line");
        goto cleanup;
    }
    size_t len = got > 0 ? strlen(line) : 0;
    if (got < 0 || len > CLI_PASSWORD_MAX) {
        cli_error("password too long");
        cli_detail("at most %d bytes", CLI_PASSWORD_MAX);
        goto cleanup;
    }
    if (!utf8_valid(line, len)) {
        cli_error("password is not valid UTF-8");
        goto cleanup;
    }
    if (utf8_length(line) < 8) {
        cli_error("password too short");
        cli_detail("at least 8 characters");
        goto cleanup;
    }
    memcpy(out, line, len + 1);
    rc = CLI_OK;
cleanup:
    explicit_bzero(line, sizeof line);
    return rc;
}

void cli_print_table(const PGresult *res, int ncols, const char *const *cols, const char *const *headers)
{
    size_t width[16] = {0};
    int idx[16];
    if (ncols > 16)
        ncols = 16;
    int rows = PQntuples(res);
    for (int c = 0; c < ncols; c++) {
        idx[c] = PQfnumber(res, cols[c]);
        width[c] = utf8_length(headers[c]);
        for (int r = 0; r < rows && idx[c] >= 0; r++) {
            size_t w = utf8_length(PQgetvalue(res, r, idx[c]));
            if (w > width[c])
                width[c] = w;
        }
    }
    for (int r = -2; r < rows; r++) {
        /* No padding after the last non-empty value: no trailing blanks. */
        int last = ncols - 1;
        while (r >= 0 && last > 0 && (idx[last] < 0 || !*PQgetvalue(res, r, idx[last])))
            last--;
        for (int c = 0; c <= last; c++) {
            const char *v;
            char dashes[256];
            if (r == -2) {
                v = headers[c];
            } else if (r == -1) {
                size_t n = width[c] < sizeof dashes - 1 ? width[c] : sizeof dashes - 1;
                memset(dashes, '-', n);
                dashes[n] = '\0';
                v = dashes;
            } else {
                v = idx[c] >= 0 ? PQgetvalue(res, r, idx[c]) : "";
            }
            fputs(v, stdout);
            if (c < last) {
                for (size_t pad = utf8_length(v); pad < width[c] + 2; pad++)
                    fputc(' ', stdout);
            }
        }
        fputc('\n', stdout);
    }
}

int cli_parse_help_only(const struct cli_command *cmd, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 0;
    int c = getopt_long(argc, argv, "h", opts, NULL);
    if (c == -1)
        return -1;
    return c == 'h' ? cli_help(cmd) : cli_try_help(cmd);
}

int cli_parse_dir_option(const struct cli_command *cmd, int argc, char **argv, const char **dir)
{
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
        if (c != 'd')
            return c == 'h' ? cli_help(cmd) : cli_try_help(cmd);
        *dir = optarg;
    }
    return -1;
}
