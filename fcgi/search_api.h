/* GET /api/search: the archive searched through the Xapian index
 * (search/search.h), rights before ranking. Each esurat-fcgi worker holds
 * one read handle on ESURAT_INDEX_DIR, opened at its first search and
 * brought to the latest revision (or generation) at each search. */
#ifndef ESURAT_SEARCH_API_H
#define ESURAT_SEARCH_API_H

#include "request.h"

extern const char *const search_params[];

void search_get(request_t *req); /* GET /api/search */

/* Closes the worker's read handle (at the worker's exit). */
void search_api_close(void);

#endif
