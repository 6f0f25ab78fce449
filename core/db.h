/* One libpq connection that survives PostgreSQL restarts, with its
 * statements prepared on first use.
 *
 * Only parameterised statements: SQL is a constant string, values travel
 * as text parameters (PQexecParams). A failed statement is logged with its
 * detail; callers see NULL / -1 and may ask db_sqlstate() what happened. */
#ifndef ESURAT_DB_H
#define ESURAT_DB_H

#include <libpq-fe.h>
#include <stdbool.h>

typedef struct db db_t;

/* Connects with conninfo (a libpq string or URL). Returns a handle even
 * when the server is down (db_ready() tries again); NULL only on OOM.
 * Free with db_close. */
db_t *db_open(const char *conninfo);
void db_close(db_t *db);

/* Makes sure the connection is usable: notices a connection the server
 * closed (restart, idle kill) and reconnects. true when usable; false when
 * PostgreSQL cannot be reached (the caller answers 503). Cheap when the
 * connection is healthy (one poll, no round trip). */
bool db_ready(db_t *db);

/* Runs sql with n text parameters (NULL entries are SQL NULL). Returns the
 * result (caller PQclears it) for PGRES_TUPLES_OK / PGRES_COMMAND_OK, else
 * NULL with the error logged. */
PGresult *db_query(db_t *db, const char *sql, int n, const char *const *params);

/* Like db_query, and COMMIT in the same round trip (a transaction's last
 * statement); NULL when either failed, after which the transaction is
 * rolled back or still to be rolled back (db_rollback). */
PGresult *db_query_commit(db_t *db, const char *sql, int n, const char *const *params);

/* Like db_query_commit, and then, still in the same round trip, read_sql
 * (no parameters) in a transaction of its own: its result, or NULL when
 * anything failed. For what the commit itself adds (work of deferred
 * triggers: a registration's agenda number). */
PGresult *db_query_commit_read(db_t *db, const char *sql, int n, const char *const *params, const char *read_sql);

/* Like db_query for statements without rows: the number of rows affected,
 * or -1 on error. */
long db_exec(db_t *db, const char *sql, int n, const char *const *params);

/* Transactions; 0 or -1. BEGIN is sent with the next statement, in the
 * same round trip. db_rollback does nothing outside a transaction. */
int db_begin(db_t *db);
int db_commit(db_t *db);
int db_rollback(db_t *db);

/* Marks the open transaction as one that holds a lock every writer waits
 * for (the audit chain's head, a number counter). Its COMMIT then releases
 * the locks before the commit reaches the disk (synchronous_commit off),
 * and waits for the disk afterwards, in the same round trip: the caller
 * still learns of the commit only once it is durable, but the next writer
 * need not wait for this one's disk write, and writers share flushes. A
 * crash in between loses the transaction whole, and every later one with
 * it (the WAL is written in order): nothing acknowledged, no gap in a
 * counter. Others may read its rows in that moment. */
void db_release_before_flush(db_t *db);

/* true between db_begin and the end of the transaction. */
bool db_in_transaction(db_t *db);

/* SQLSTATE of the last failed statement ("" when none; "08006" when the
 * connection was lost), and its primary message. */
const char *db_sqlstate(const db_t *db);
const char *db_error(const db_t *db);

/* true when the last failure was a lost or refused connection. */
bool db_unavailable(const db_t *db);

/* Called with each notification (channel, payload) that db_ready() finds,
 * and with channel NULL after a reconnection, when some may be lost. */
typedef void (*db_notify_fn)(void *arg, const char *channel, const char *payload);

/* LISTEN on channel (a plain lower-case name) now and after every
 * reconnection; its notifications go to fn. Up to DB_LISTENERS_MAX
 * channels per handle, each with its own fn. */
#define DB_LISTENERS_MAX 4
void db_listen(db_t *db, const char *channel, db_notify_fn fn, void *arg);

/* The underlying connection, for LISTEN/NOTIFY and COPY. */
PGconn *db_conn(db_t *db);

/* Value of column name in row, or NULL when the column is missing or the
 * value is SQL NULL. */
const char *db_get(const PGresult *res, int row, const char *name);

#endif
