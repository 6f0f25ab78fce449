/* GET /api/health and GET /metrics (Prometheus text, localhost only by nginx). */
#ifndef ESURAT_HEALTH_H
#define ESURAT_HEALTH_H

#include "request.h"

void health_get(request_t *req);
void metrics_get(request_t *req);

#endif
