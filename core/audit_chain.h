/* The audit chain: an append-only log (table audit_log) whose rows carry
 * the hash of the row before them, so that a changed, removed or inserted
 * row is detected by audit_chain_verify().
 *
 * Every change in e-Surat appends one row here, in the same transaction as
 * the change. Used by the CLI and esurat-fcgi.
 *
 * The hash of a row:
 *
 *   hash = sha256_hex(prev_hash || C)
 *
 * prev_hash: the previous row's hash as 64 lower-case hex digits (64 '0'
 * for the first row, the value audit_head starts with); C: the netstrings
 * ("<length in bytes, decimal>:<bytes>,"; SQL NULL is written "~,") of
 *
 *   id           decimal
 *   at           UTC with microseconds, "YYYY-MM-DDTHH:MM:SS.ffffffZ"
 *   user_id      decimal, or NULL
 *   action       "user.add"
 *   object_type  "user"
 *   object_id    text, or NULL
 *   detail       PostgreSQL's text form of the jsonb value (detail::text)
 *
 * in that order. The table audit_head (one row) holds the last id and hash:
 * appends lock it, which serialises them, and verification checks that
 * the chain ends where the head says (a removed tail is detected). */
#ifndef ESURAT_AUDIT_CHAIN_H
#define ESURAT_AUDIT_CHAIN_H

#include "db.h"

#define AUDIT_HASH_HEX 65 /* 64 hex digits and a NUL */

/* Appends one row inside the caller's open transaction.
 *
 * user_id: the acting user's id as decimal text, or NULL (the system, the
 * CLI). action: "object.verb" in lower case ("user.add", "letter.create").
 * object_type: "user", "letter", ...; object_id: its key as text, or NULL.
 * detail_json: the text of a JSON object, or NULL for {}. For an event
 * about a letter whose object is not the letter (a disposition, a scan),
 * put "letter_id" (a number) in detail: the letter's history finds it.
 *
 * Locks the chain head until the transaction ends: append as the last
 * statement before COMMIT to keep the lock short. Meant for READ COMMITTED
 * transactions; under REPEATABLE READ a concurrent append makes it fail
 * with SQLSTATE 40001 (retry the transaction).
 *
 * Returns the new row's id (> 0), or -1 on error (logged; db_sqlstate()
 * and db_error() tell when a statement failed): roll the transaction back. */
long audit_chain_append(db_t *db, const char *user_id, const char *action, const char *object_type,
                        const char *object_id, const char *detail_json);

/* audit_chain_append, then COMMIT in the same round trip as the row's
 * insert: the head is locked for one round trip less. The transaction
 * is over when it returns > 0; on -1, roll back. */
long audit_chain_append_commit(db_t *db, const char *user_id, const char *action, const char *object_type,
                               const char *object_id, const char *detail_json);

/* Computes the hash of one row (see above) into out. The values are the
 * texts described above; user_id and object_id may be NULL.
 * Returns 0, or -1 when out of memory. */
int audit_chain_row_hash(const char *prev_hash, const char *id, const char *at, const char *user_id, const char *action,
                         const char *object_type, const char *object_id, const char *detail, char out[AUDIT_HASH_HEX]);

struct audit_chain_report {
    long rows;                      /* rows checked */
    char bad_id[24];                /* id of the first bad row, "" when none */
    char head_hash[AUDIT_HASH_HEX]; /* hash of the last row (or the genesis) */
    char problem[256];              /* what is wrong, "" when intact */
};

/* Verifies the whole chain: each row's prev_hash is the hash of the row
 * before it, each hash is recomputed, and the head names the last row.
 * Opens and ends its own REPEATABLE READ READ ONLY transaction: call it
 * outside a transaction. Reads the log through a cursor, 1000 rows at a
 * time. Returns 1 when intact, 0 when broken (report says where and why),
 * -1 on a database error. */
int audit_chain_verify(db_t *db, struct audit_chain_report *report);

#endif
