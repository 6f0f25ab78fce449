/* The route table of esurat-fcgi: every endpoint, its methods, roles and
 * declared query parameters, in one place. */
#ifndef ESURAT_ROUTES_H
#define ESURAT_ROUTES_H

#include <stddef.h>

#include "router.h"

extern const route_t routes[];
extern const size_t routes_count;

#endif
