/* GET /api/export (the archive of a period as a BagIt bag, streamed while
 * it is built; core/export.h) and GET /api/retention (the JRA report, as
 * JSON pages or one streamed CSV; core/retention.h). */
#ifndef ESURAT_RECORDS_H
#define ESURAT_RECORDS_H

#include "request.h"

extern const char *const export_params[];
extern const char *const retention_params[];

void export_get(request_t *req);    /* GET /api/export?from=&to=&format=zip|tar */
void retention_get(request_t *req); /* GET /api/retention?as_of=&action=&format=json|csv&limit=&cursor= */

#endif
