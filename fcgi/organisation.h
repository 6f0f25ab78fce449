/* The organisation as the portal reads it: positions (the hierarchy that
 * dispositions flow down), classification codes. The disposition
 * instructions are in instructions.h. */
#ifndef ESURAT_ORGANISATION_H
#define ESURAT_ORGANISATION_H

#include "request.h"

/* Declared query parameters of GET /api/positions. */
extern const char *const positions_list_params[];

/* GET /api/positions?all= (all=true: the inactive ones too),
 * GET /api/classifications?prefix= */
void positions_list(request_t *req);
void classifications_list(request_t *req);

#endif
