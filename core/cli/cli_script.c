/* Running a trusted SQL file (a migration, the demo organisation). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The line of the character at 1-based position pos (PostgreSQL counts
 * characters, not bytes) in sql. */
static long line_of(const char *sql, long pos)
{
    long line = 1, chars = 0;
    for (const char *p = sql; *p && chars < pos - 1; p++) {
        if (((unsigned char)*p & 0xC0) == 0x80)
            continue; /* a continuation byte: same character */
        chars++;
        if (*p == '\n')
            line++;
    }
    return line;
}

static void print_script_error(const char *name, const char *sql, const PGresult *r, PGconn *conn)
{
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
    if (!msg) {
        /* No server error: the connection failed. Keep the first line. */
        msg = PQerrorMessage(conn);
    }
    size_t len = strcspn(msg, "\n");
    if (pos)
        cli_error("%s:%ld: %.*s", name, line_of(sql, strtol(pos, NULL, 10)), (int)len, msg);
    else
        cli_error("%s: %.*s", name, (int)len, msg);
    const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
    const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
    const char *context = r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;
    if (detail)
        cli_detail("%s", detail);
    if (hint)
        cli_hint("%s", hint);
    if (context)
        fprintf(stderr, "CONTEXT:  %s\n", context);
}

int cli_exec_script(db_t *db, const char *name, const char *sql)
{
    PGconn *conn = db_conn(db);
    PGresult *r = PQexec(conn, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT) {
        /* COPY with the client's standard streams has no place in a file
         * run this way: end it, which fails the statement. */
        if (st == PGRES_COPY_IN) {
            PQputCopyEnd(conn, "COPY FROM STDIN is not supported in SQL files");
        } else {
            char *buf;
            while (PQgetCopyData(conn, &buf, 0) > 0)
                PQfreemem(buf);
        }
        PQclear(r);
        r = NULL;
        PGresult *next;
        while ((next = PQgetResult(conn))) {
            PQclear(r);
            r = next;
        }
        st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK)
            st = PGRES_FATAL_ERROR; /* COPY TO STDOUT "worked": still refused */
    }
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
        if (!r || PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY))
            print_script_error(name, sql, r, conn);
        else
            cli_error("%s: COPY to or from the client is not supported in SQL files", name);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
        cli_error("%s: the file ended the transaction", name);
        cli_hint("SQL files run inside a transaction: remove BEGIN, COMMIT and ROLLBACK");
        return -1;
    }
    return 0;
}
