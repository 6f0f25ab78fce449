/* Public tracking of an incoming letter by the code on its receipt. */
#ifndef ESURAT_TRACK_H
#define ESURAT_TRACK_H

#include "request.h"

/* GET /api/track/{code}: status and times, nothing of the content. */
void track_get(request_t *req);

/* Writes a new random tracking code (TRACKING_CODE_LEN characters of an
 * alphabet without look-alikes: no 0/O, 1/I/L) and a NUL into out. */
#define TRACKING_CODE_LEN 12
void tracking_code_new(char out[TRACKING_CODE_LEN + 1]);

#endif
