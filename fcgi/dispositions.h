/* Dispositions (API.md "Dispositions"): the inbox of the positions one
 * holds, disposing a letter down the hierarchy, opening a disposition
 * (the recipient's first open marks it read), completing it with a report.
 *
 * The rights are decided in SQL (sql/006_dispositions.sql:
 * disposition_create, disposition_open, disposition_complete); this file
 * checks the shape of each request, runs the function in a transaction,
 * appends the audit rows and answers. A refusal changes nothing: the
 * transaction is rolled back and nothing is audited. */
#ifndef ESURAT_DISPOSITIONS_H
#define ESURAT_DISPOSITIONS_H

#include "request.h"

/* Declared query parameters of GET /api/inbox. */
extern const char *const inbox_params[];

void inbox_list(request_t *req);            /* GET /api/inbox?status=&limit=&cursor= */
void inbox_counts(request_t *req);          /* GET /api/inbox/counts */
void dispositions_create(request_t *req);   /* POST /api/letters/{id}/dispositions */
void dispositions_get(request_t *req);      /* GET /api/dispositions/{id} */
void dispositions_complete(request_t *req); /* POST /api/dispositions/{id}/complete */

#endif
