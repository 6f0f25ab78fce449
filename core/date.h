/* Calendar days as the API writes them. */
#ifndef ESURAT_DATE_H
#define ESURAT_DATE_H

#include <stdbool.h>

/* s is YYYY-MM-DD, a day that exists, years 1900..9999. */
bool date_valid(const char *s);

#endif
