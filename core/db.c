#include "db.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

/* Statements are prepared on first use and kept per connection: planning
 * a statement often costs more than running it (measured: the health query
 * ran 6 times faster prepared). SQL comes as constant strings, so the
 * pointer finds the entry; the stored copy of the text guards against a
 * caller that reuses a buffer. */
#define DB_PREPARED_MAX 128

typedef struct {
    const char *key; /* the caller's pointer */
    char *sql;       /* a copy of the text */
} prepared_t;

struct db {
    PGconn *conn;
    char *conninfo;
    char sqlstate[6];
    char error[256];
    prepared_t prepared[DB_PREPARED_MAX];
    int nprepared;
    bool begin_pending; /* db_begin() called, BEGIN not yet sent */
    bool broken;        /* a pipeline went wrong: reconnect */
    bool idle;          /* no transaction was open after the last statement */
    bool release_first; /* db_release_before_flush() in this transaction */
    struct {
        char channel[64];
        db_notify_fn fn;
        void *arg;
    } listeners[DB_LISTENERS_MAX];
    int nlisteners;
};

static void db_forget_prepared(db_t *db)
{
    for (int i = 0; i < db->nprepared; i++)
        free(db->prepared[i].sql);
    db->nprepared = 0;
}

static void db_set_error(db_t *db, const char *state, const char *msg)
{
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
    snprintf(db->error, sizeof db->error, "%s", msg ? msg : "");
    /* libpq messages end with a newline; keep log lines single. */
    char *nl = strchr(db->error, '\n');
    if (nl)
        *nl = '\0';
}

static void db_quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static bool db_connect(db_t *db)
{
    db_forget_prepared(db);
    db->begin_pending = false;
    db->broken = false;
    if (db->conn)
        PQfinish(db->conn);
    db->conn = PQconnectdb(db->conninfo);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        db_set_error(db, "08006", PQerrorMessage(db->conn));
        return false;
    }
    PQsetNoticeProcessor(db->conn, db_quiet_notice, NULL);
    /* UTF-8 text, and calendar days (current_date, valid_from) in the
     * region's time zone, on every connection and reconnection. Generic
     * plans for our prepared statements: they look rows up by key, and a
     * custom plan per execution re-planned every letter read (bench:
     * most of PostgreSQL's time went to the planner). */
    const char *tz[] = {config_str("ESURAT_TIMEZONE", "Asia/Jakarta")};
    PGresult *res = PQexecParams(db->conn,
                                 "SELECT set_config('TimeZone', $1, false),"
                                 " set_config('plan_cache_mode', 'force_generic_plan', false)",
                                 1, NULL, tz, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQsetClientEncoding(db->conn, "UTF8") == 0;
    if (!ok)
        db_set_error(db, "22023", PQresultErrorMessage(res));
    PQclear(res);
    if (!ok)
        return false;
    for (int i = 0; i < db->nlisteners; i++) {
        char sql[80];
        snprintf(sql, sizeof sql, "LISTEN %s", db->listeners[i].channel);
        res = PQexec(db->conn, sql);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            db_set_error(db, "08006", PQresultErrorMessage(res));
        PQclear(res);
        if (!ok)
            return false;
    }
    /* Notifications sent while there was no connection are lost. */
    for (int i = 0; i < db->nlisteners; i++)
        db->listeners[i].fn(db->listeners[i].arg, NULL, NULL);
    db_set_error(db, "", "");
    db->idle = true;
    return true;
}

void db_listen(db_t *db, const char *channel, db_notify_fn fn, void *arg)
{
    /* An identifier we write ourselves; checked rather than quoted. */
    size_t len = strspn(channel, "abcdefghijklmnopqrstuvwxyz_");
    if (len == 0 || channel[len] != '\0' || len >= sizeof db->listeners[0].channel) {
        log_error("db_listen: bad channel name \"%s\"", channel);
        return;
    }
    if (db->nlisteners == DB_LISTENERS_MAX) {
        log_error("db_listen: more than %d channels", DB_LISTENERS_MAX);
        return;
    }
    memcpy(db->listeners[db->nlisteners].channel, channel, len + 1);
    db->listeners[db->nlisteners].fn = fn;
    db->listeners[db->nlisteners].arg = arg;
    db->nlisteners++;
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        db_connect(db); /* simplest way to LISTEN with the same error handling */
}

/* Hands queued notifications to the listener (or drops them); true when
 * there were any. */
static bool db_deliver_notifies(db_t *db)
{
    bool any = false;
    PGnotify *n;
    while ((n = PQnotifies(db->conn))) {
        any = true;
        for (int i = 0; i < db->nlisteners; i++)
            if (strcmp(db->listeners[i].channel, n->relname) == 0)
                db->listeners[i].fn(db->listeners[i].arg, n->relname, n->extra);
        PQfreemem(n);
    }
    return any;
}

db_t *db_open(const char *conninfo)
{
    db_t *db = calloc(1, sizeof(*db));
    if (!db)
        return NULL;
    db->conninfo = strdup(conninfo);
    if (!db->conninfo) {
        free(db);
        return NULL;
    }
    if (!db_connect(db))
        log_warn("database unavailable: %s", db->error);
    return db;
}

void db_close(db_t *db)
{
    if (!db)
        return;
    if (db->conn)
        PQfinish(db->conn);
    db_forget_prepared(db);
    free(db->conninfo);
    free(db);
}

bool db_ready(db_t *db)
{
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK && !db->broken) {
        /* An idle connection has nothing to read but notifications. Any
         * other input is the server's goodbye (restart, idle kill), perhaps
         * without the EOF yet: reconnect rather than fail the next query.
         * A notification can arrive just before a goodbye, so after taking
         * notifications look again (a few times, as more may follow). */
        for (int round = 0; round < 4; round++) {
            struct pollfd p = {.fd = PQsocket(db->conn), .events = POLLIN};
            if (p.fd < 0)
                break;
            if (poll(&p, 1, 0) == 0) {
                /* Some may have come with the last results. */
                db_deliver_notifies(db);
                return true;
            }
            if (!PQconsumeInput(db->conn) || PQstatus(db->conn) != CONNECTION_OK || !db_deliver_notifies(db))
                break;
        }
        log_warn("database connection lost; reconnecting");
    }
    return db_connect(db);
}

/* The slot of sql's prepared statement, preparing it when new; -1 when
 * the cache is full or preparing failed (the caller then runs it unprepared,
 * which reports any error in the statement itself). */
static int db_prepare(db_t *db, const char *sql, int n)
{
    for (int i = 0; i < db->nprepared; i++)
        if (db->prepared[i].key == sql && strcmp(db->prepared[i].sql, sql) == 0)
            return i;
    if (db->nprepared == DB_PREPARED_MAX || PQtransactionStatus(db->conn) == PQTRANS_INERROR)
        return -1;
    int slot = db->nprepared;
    char name[16];
    snprintf(name, sizeof name, "s%d", slot);
    PGresult *res = PQprepare(db->conn, name, sql, n, NULL);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok)
        return -1;
    db->prepared[slot].key = sql;
    db->prepared[slot].sql = strdup(sql);
    if (!db->prepared[slot].sql) {
        /* Unusable without its text; the name stays taken on the server. */
        return -1;
    }
    db->nprepared++;
    return slot;
}

static void db_failed(db_t *db, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(db->conn) != CONNECTION_OK || (db->broken && !state)) {
        db_set_error(db, "08006", PQerrorMessage(db->conn));
    } else {
        db_set_error(db, res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : "XX000",
                     res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : PQerrorMessage(db->conn));
    }
    log_error("query failed (%s): %s", db->sqlstate, db->error);
}

static bool db_result_ok(const PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

static int db_send(db_t *db, int slot, const char *sql, int n, const char *const *params)
{
    if (slot < 0)
        return PQsendQueryParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
    char name[16];
    snprintf(name, sizeof name, "s%d", slot);
    return PQsendQueryPrepared(db->conn, name, n, params, NULL, NULL, 0);
}

/* Written after a transaction that committed with synchronous_commit off:
 * a transactional WAL record of its own (no table, no lock), so that this
 * one-statement transaction's commit waits for the disk to hold the WAL up
 * to it, the earlier commit included. Concurrent ones share a flush
 * (PostgreSQL's group commit). */
static const char FLUSH_SQL[] = "SELECT pg_logical_emit_message(true, 'esurat.flush', '')";

/* BEGIN (when pending), the statement (when sql) and COMMIT (when commit)
 * in one round trip, with libpq's pipeline mode: the server runs them in
 * order and skips the rest after an error. A transaction marked by
 * db_release_before_flush() commits with synchronous_commit off, which
 * releases its locks at once, and FLUSH_SQL then waits for the disk in the
 * same round trip. Returns the statement's result (or the COMMIT's when
 * there is no statement), NULL when any command failed (the error of the
 * first that did). */
static PGresult *db_pipeline(db_t *db, bool begin, int slot, const char *sql, int n, const char *const *params,
                             bool commit, int read_slot, const char *read_sql)
{
    /* Prepared once per connection, as it travels with every such commit. */
    int flush_slot = commit && db->release_first ? db_prepare(db, FLUSH_SQL, 0) : -1;
    enum { MAX_CMDS = 6 };
    int ncmds = 0, stmt = -1, commit_at = -1, read_at = -1;
    bool release_first = commit && db->release_first;
    if (commit)
        db->release_first = false;
    bool sent = PQenterPipelineMode(db->conn) == 1;
    if (sent && begin) {
        sent = PQsendQueryParams(db->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) == 1;
        ncmds++;
    }
    if (sent && sql) {
        sent = db_send(db, slot, sql, n, params) == 1;
        stmt = ncmds++;
    }
    if (sent && release_first) {
        sent = PQsendQueryParams(db->conn, "SET LOCAL synchronous_commit TO off", 0, NULL, NULL, NULL, NULL, 0) == 1;
        ncmds++;
    }
    if (sent && commit) {
        sent = PQsendQueryParams(db->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1;
        commit_at = ncmds++;
    }
    if (sent && release_first) {
        sent = db_send(db, flush_slot, FLUSH_SQL, 0, NULL) == 1;
        ncmds++;
    }
    if (sent && read_sql) {
        sent = db_send(db, read_slot, read_sql, 0, NULL) == 1;
        read_at = ncmds++;
    }
    if (!sent || PQpipelineSync(db->conn) != 1) {
        db->broken = true; /* first: db_failed reports a lost connection */
        db_failed(db, NULL);
        return NULL;
    }
    /* Each command's results end with a NULL; then the sync point. */
    PGresult *results[MAX_CMDS] = {NULL};
    bool ok = true;
    for (int i = 0; i < ncmds; i++) {
        PGresult *r = PQgetResult(db->conn);
        if (!r) {
            ok = false;
            break;
        }
        results[i] = r;
        while ((r = PQgetResult(db->conn)))
            PQclear(r);
    }
    PGresult *sync = ok ? PQgetResult(db->conn) : NULL;
    if (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC || PQexitPipelineMode(db->conn) != 1)
        db->broken = true;
    PQclear(sync);

    PGresult *failed = NULL;
    bool good = !db->broken;
    for (int i = 0; i < ncmds && good; i++)
        if (!db_result_ok(results[i])) {
            failed = results[i];
            good = false;
        }
    /* A COMMIT of a transaction that had already failed answers ROLLBACK. */
    if (good && commit && strcmp(PQcmdStatus(results[commit_at]), "COMMIT") != 0) {
        db_set_error(db, "40000", "the transaction was rolled back");
        log_error("query failed (%s): %s", db->sqlstate, db->error);
        good = false;
    } else if (!good) {
        db_failed(db, failed);
    }
    int keep = read_at >= 0 ? read_at : stmt >= 0 ? stmt : commit_at;
    PGresult *out = good && keep >= 0 ? results[keep] : NULL;
    for (int i = 0; i < ncmds; i++)
        if (results[i] != out)
            PQclear(results[i]);
    return out;
}

static PGresult *db_run_once(db_t *db, const char *sql, int n, const char *const *params, bool commit,
                             const char *read_sql)
{
    if (!db->conn || db->broken) {
        db_set_error(db, "08006", "no connection");
        return NULL;
    }
    int slot = db_prepare(db, sql, n);
    /* A connection found dead before the statement ran (by an earlier
     * statement, or by preparing this one, after a PostgreSQL restart
     * that db_ready() could not see yet) is made again, unless a
     * transaction was open on it: nothing of this statement ran yet (a
     * pending BEGIN is not sent yet either, and stays pending). */
    if (PQstatus(db->conn) != CONNECTION_OK && db->idle) {
        bool pending = db->begin_pending;
        log_warn("database connection lost; reconnecting");
        if (!db_connect(db))
            return NULL;
        db->begin_pending = pending;
        slot = db_prepare(db, sql, n);
    }
    int read_slot = read_sql ? db_prepare(db, read_sql, 0) : -1;
    bool begin = db->begin_pending;
    db->begin_pending = false;
    if (begin || commit)
        return db_pipeline(db, begin, slot, sql, n, params, commit, read_slot, read_sql);
    PGresult *res;
    if (slot >= 0) {
        char name[16];
        snprintf(name, sizeof name, "s%d", slot);
        res = PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0);
    } else {
        res = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
    }
    if (db_result_ok(res))
        return res;
    db_failed(db, res);
    PQclear(res);
    return NULL;
}

static PGresult *db_run(db_t *db, const char *sql, int n, const char *const *params, bool commit,
                        const char *read_sql)
{
    PGresult *res = db_run_once(db, sql, n, params, commit, read_sql);
    db->idle = db->conn && PQtransactionStatus(db->conn) == PQTRANS_IDLE && !db->begin_pending;
    return res;
}

PGresult *db_query(db_t *db, const char *sql, int n, const char *const *params)
{
    return db_run(db, sql, n, params, false, NULL);
}

PGresult *db_query_commit(db_t *db, const char *sql, int n, const char *const *params)
{
    return db_run(db, sql, n, params, true, NULL);
}

PGresult *db_query_commit_read(db_t *db, const char *sql, int n, const char *const *params, const char *read_sql)
{
    return db_run(db, sql, n, params, true, read_sql);
}

long db_exec(db_t *db, const char *sql, int n, const char *const *params)
{
    PGresult *res = db_query(db, sql, n, params);
    if (!res)
        return -1;
    const char *t = PQcmdTuples(res);
    long rows = *t ? strtol(t, NULL, 10) : 0;
    PQclear(res);
    return rows;
}

/* BEGIN travels with the transaction's first statement (one round trip
 * less); db_conn() sends it first for callers that use libpq directly. */
int db_begin(db_t *db)
{
    if (!db->conn || db->broken || PQstatus(db->conn) != CONNECTION_OK) {
        db_set_error(db, "08006", "no connection");
        return -1;
    }
    if (db->begin_pending || PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        db_set_error(db, "25001", "a transaction is already open");
        log_error("db_begin: %s", db->error);
        return -1;
    }
    db->begin_pending = true;
    return 0;
}

int db_commit(db_t *db)
{
    if (db->begin_pending) { /* nothing was done */
        db->begin_pending = false;
        db->release_first = false;
        return 0;
    }
    if (!db->release_first)
        return db_exec(db, "COMMIT", 0, NULL) < 0 ? -1 : 0;
    if (!db->conn || db->broken) {
        db_set_error(db, "08006", "no connection");
        return -1;
    }
    PGresult *res = db_pipeline(db, false, -1, NULL, 0, NULL, true, -1, NULL);
    db->idle = db->conn && PQtransactionStatus(db->conn) == PQTRANS_IDLE;
    PQclear(res);
    return res ? 0 : -1;
}

void db_release_before_flush(db_t *db)
{
    if (db_in_transaction(db))
        db->release_first = true;
}

int db_rollback(db_t *db)
{
    db->begin_pending = false;
    db->release_first = false;
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK || db->broken)
        return -1;
    if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        return 0;
    return db_exec(db, "ROLLBACK", 0, NULL) < 0 ? -1 : 0;
}

bool db_in_transaction(db_t *db)
{
    return db->begin_pending || (db->conn && PQtransactionStatus(db->conn) != PQTRANS_IDLE);
}

const char *db_sqlstate(const db_t *db)
{
    return db->sqlstate;
}

const char *db_error(const db_t *db)
{
    return db->error;
}

bool db_unavailable(const db_t *db)
{
    /* broken: a pipeline lost its way, which only a lost connection does
     * (libpq's own error then has no SQLSTATE, and the status may still
     * read CONNECTION_OK). */
    return strncmp(db->sqlstate, "08", 2) == 0 || strncmp(db->sqlstate, "57P", 3) == 0 || !db->conn || db->broken ||
           PQstatus(db->conn) != CONNECTION_OK;
}

PGconn *db_conn(db_t *db)
{
    if (db->begin_pending && db->conn) {
        db->begin_pending = false;
        PGresult *res = PQexec(db->conn, "BEGIN");
        if (!db_result_ok(res))
            db_failed(db, res);
        PQclear(res);
    }
    return db->conn;
}

const char *db_get(const PGresult *res, int row, const char *name)
{
    int col = PQfnumber(res, name);
    if (col < 0 || row >= PQntuples(res) || PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}
