/* The organisation as the portal reads it: positions (the hierarchy that
 * dispositions flow down), classification codes. The disposition
 * instructions are in instructions.h. */
#ifndef ESURAT_ORGANISATION_H
#define ESURAT_ORGANISATION_H

#include "request.h"

/* GET /api/positions, GET /api/classifications?prefix= */
void positions_list(request_t *req);
void classifications_list(request_t *req);

#endif
