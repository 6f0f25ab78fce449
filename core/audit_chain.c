#include "audit_chain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"

/* The canonical form of a timestamp in the chain; the same expression on
 * append and on verify. */
#define AUDIT_AT_SQL(expr) "to_char((" expr ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* Appends the netstring of s (or "~," for NULL) at *pos of buf; buf is large
 * enough (sized by netstring_len). */
static size_t netstring_len(const char *s)
{
    if (!s)
        return 2;
    return 21 + 1 + strlen(s) + 1; /* digits of a size_t, ':', bytes, ',' */
}

static void netstring_put(char *buf, size_t *pos, const char *s)
{
    if (!s) {
        memcpy(buf + *pos, "~,", 2);
        *pos += 2;
        return;
    }
    size_t n = strlen(s);
    *pos += (size_t)sprintf(buf + *pos, "%zu:", n);
    memcpy(buf + *pos, s, n);
    *pos += n;
    buf[(*pos)++] = ',';
}

int audit_chain_row_hash(const char *prev_hash, const char *id, const char *at, const char *user_id, const char *action,
                         const char *object_type, const char *object_id, const char *detail, char out[AUDIT_HASH_HEX])
{
    const char *fields[] = {id, at, user_id, action, object_type, object_id, detail};
    size_t nfields = sizeof fields / sizeof fields[0];
    size_t cap = strlen(prev_hash) + 1;
    for (size_t i = 0; i < nfields; i++)
        cap += netstring_len(fields[i]);
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    size_t pos = strlen(prev_hash);
    memcpy(buf, prev_hash, pos);
    for (size_t i = 0; i < nfields; i++)
        netstring_put(buf, &pos, fields[i]);
    sha256_hex(buf, pos, out);
    free(buf);
    return 0;
}

/* One round trip: audit_append (sql/014_audit_append.sql) locks the head,
 * computes the row's hash as audit_chain_row_hash does, and writes the row
 * and the head; `esurat audit verify` recomputes every hash here in C. */
static long append(db_t *db, const char *user_id, const char *action, const char *object_type, const char *object_id,
                   const char *detail_json, bool commit)
{
    static const char APPEND_SQL[] = "SELECT audit_append($1::bigint, $2, $3, $4, $5::jsonb)::text AS id";
    const char *params[] = {user_id, action, object_type, object_id, detail_json ? detail_json : "{}"};
    /* The head's lock is held to the end of the transaction. */
    db_release_before_flush(db);
    PGresult *row = commit ? db_query_commit(db, APPEND_SQL, 5, params) : db_query(db, APPEND_SQL, 5, params);
    const char *text = row && PQntuples(row) == 1 ? db_get(row, 0, "id") : NULL;
    long id = text ? strtol(text, NULL, 10) : -1;
    PQclear(row);
    return id > 0 ? id : -1;
}

long audit_chain_append(db_t *db, const char *user_id, const char *action, const char *object_type,
                        const char *object_id, const char *detail_json)
{
    return append(db, user_id, action, object_type, object_id, detail_json, false);
}

long audit_chain_append_commit(db_t *db, const char *user_id, const char *action, const char *object_type,
                               const char *object_id, const char *detail_json)
{
    return append(db, user_id, action, object_type, object_id, detail_json, true);
}

static void report_problem(struct audit_chain_report *r, const char *id, const char *fmt, const char *a, const char *b)
{
    snprintf(r->bad_id, sizeof r->bad_id, "%s", id ? id : "");
    snprintf(r->problem, sizeof r->problem, fmt, a, b);
}

int audit_chain_verify(db_t *db, struct audit_chain_report *r)
{
    int rc = -1;
    bool in_tx = false;
    PGresult *head = NULL, *batch = NULL;
    char expected[AUDIT_HASH_HEX] = GENESIS_HASH;
    char last_id[24] = "";

    memset(r, 0, sizeof *r);
    if (db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL) < 0)
        goto cleanup;
    in_tx = true;
    head = db_query(db, "SELECT last_id::text AS last_id, last_hash FROM audit_head WHERE id = 1", 0, NULL);
    if (!head)
        goto cleanup;
    if (db_exec(db,
                "DECLARE audit_chain_cursor NO SCROLL CURSOR FOR "
                "SELECT id::text AS id, " AUDIT_AT_SQL(
                    "at") " AS at, user_id::text AS user_id, "
                          "       action, object_type, object_id, detail::text AS detail, prev_hash, hash "
                          "FROM audit_log ORDER BY audit_log.id",
                0, NULL) < 0)
        goto cleanup;

    rc = 1;
    for (;;) {
        PQclear(batch);
        batch = db_query(db, "FETCH 1000 FROM audit_chain_cursor", 0, NULL);
        if (!batch) {
            rc = -1;
            goto cleanup;
        }
        int n = PQntuples(batch);
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            const char *id = db_get(batch, i, "id");
            const char *prev = db_get(batch, i, "prev_hash");
            const char *hash = db_get(batch, i, "hash");
            char computed[AUDIT_HASH_HEX];
            if (strcmp(prev, expected) != 0) {
                report_problem(r, id, "prev_hash %s is not the hash of the row before (%s)", prev, expected);
                rc = 0;
                goto cleanup;
            }
            if (audit_chain_row_hash(prev, id, db_get(batch, i, "at"), db_get(batch, i, "user_id"),
                                     db_get(batch, i, "action"), db_get(batch, i, "object_type"),
                                     db_get(batch, i, "object_id"), db_get(batch, i, "detail"), computed) != 0) {
                rc = -1;
                goto cleanup;
            }
            if (strcmp(computed, hash) != 0) {
                report_problem(r, id, "stored hash %s does not match its content (%s)", hash, computed);
                rc = 0;
                goto cleanup;
            }
            snprintf(expected, sizeof expected, "%s", hash);
            snprintf(last_id, sizeof last_id, "%s", id);
            r->rows++;
        }
    }

    const char *head_id = PQntuples(head) == 1 ? db_get(head, 0, "last_id") : NULL;
    const char *head_hash = PQntuples(head) == 1 ? db_get(head, 0, "last_hash") : NULL;
    if (!head_hash) {
        report_problem(r, NULL, "the chain head (audit_head) is missing%s%s", "", "");
        rc = 0;
    } else if (strcmp(head_hash, expected) != 0 || strcmp(head_id ? head_id : "", last_id) != 0) {
        report_problem(r, NULL, "the chain head names row %s but the log ends at row %s", head_id ? head_id : "(none)",
                       last_id[0] ? last_id : "(none)");
        rc = 0;
    }
    snprintf(r->head_hash, sizeof r->head_hash, "%s", expected);

cleanup:
    PQclear(head);
    PQclear(batch);
    if (in_tx) {
        if (rc < 0)
            db_rollback(db);
        else if (db_commit(db) != 0)
            rc = -1;
    }
    return rc;
}
