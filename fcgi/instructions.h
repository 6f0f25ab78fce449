/* The standard disposition instructions (the ticks of the disposition
 * sheet): everyone reads them, an admin adds, renames, reorders and
 * retires them. An instruction is never deleted: dispositions refer to it;
 * a retired one (active false) is no longer offered nor accepted. */
#ifndef ESURAT_INSTRUCTIONS_H
#define ESURAT_INSTRUCTIONS_H

#include "request.h"

/* Declared query parameters of GET /api/instructions. */
extern const char *const instructions_list_params[];

void instructions_list(request_t *req);   /* GET /api/instructions?all= */
void instructions_create(request_t *req); /* POST /api/instructions (admin) */
void instructions_patch(request_t *req);  /* PATCH /api/instructions/{code} (admin) */

#endif
