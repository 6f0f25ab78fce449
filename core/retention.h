/* The retention report (JRA): which letters are due for transfer to the
 * records centre (inaktif), destruction (musnah), transfer to the archive
 * institution (permanen) or review (dinilai_kembali) on a given day, from
 * each classification's active and inactive years and final disposition
 * (letter_retention() in sql/010_export.sql). Shared by GET
 * /api/retention and `esurat retention`. */
#ifndef ESURAT_RETENTION_H
#define ESURAT_RETENTION_H

#include <stdbool.h>

#include "db.h"
#include "textbuf.h"

/* Every action, and the ones the report lists by default (those due). */
extern const char *const RETENTION_ACTIONS[];     /* NULL-terminated */
extern const char *const RETENTION_DUE_ACTIONS[]; /* NULL-terminated */
/* The Indonesian label of an action ("Usul musnah"), or the code. */
const char *retention_action_label(const char *action);

/* Counts per action: rows (action, visible, withheld). $1 as-of day,
 * $2 the user whose visibility applies (NULL: all). */
extern const char RETENTION_COUNTS_SQL[];

/* One page of the report, ordered by (due_on, letter id). $1 as-of day,
 * $2 user (NULL: all), $3 actions as a text array literal ("{musnah}"),
 * $4/$5 the keyset after (due_on or NULL for none, id) or both NULL,
 * $6 the page size. */
extern const char RETENTION_PAGE_SQL[];

/* "{a,b}" for $3 from a comma-separated list of actions; false when one
 * is unknown (*bad names it). list NULL or "": the due actions. */
bool retention_actions_param(const char *list, textbuf_t *out, const char **bad);

/* The CSV header and a row of RETENTION_PAGE_SQL's result. */
void retention_csv_header(textbuf_t *b);
void retention_csv_row(textbuf_t *b, const PGresult *res, int row);

#endif
