/* The registry of API.md: incoming and outgoing letters, their numbers,
 * the registry list, one letter with its scans, dispositions and history,
 * corrections. Every query that lists, reads or counts letters goes
 * through letter_visible() (sql/004_letter_visibility.sql).
 *
 * Test hook: when the environment variable ESURAT_TEST_NOW holds a
 * timestamp ("2015-12-31T23:59:59+07:00"), it replaces now() for the
 * agenda year, the {tahun}/{bulan} of outgoing numbers and the overdue
 * marks of the disposition tree (clock.h). For tests only
 * (tests/integration/test_letters.py). */
#ifndef ESURAT_LETTERS_H
#define ESURAT_LETTERS_H

#include "request.h"

/* Declared query parameters of the routes below. */
extern const char *const letters_list_params[];
extern const char *const numbering_preview_params[];

void letters_create(request_t *req);    /* POST /api/letters */
void letters_list(request_t *req);      /* GET /api/letters */
void letters_get(request_t *req);       /* GET /api/letters/{id} */
void letters_patch(request_t *req);     /* PATCH /api/letters/{id} */
void numbering_preview(request_t *req); /* GET /api/numbering/preview */

#endif
