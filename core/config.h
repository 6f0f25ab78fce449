/* Configuration from the environment (ESURAT_*), with defaults and bounds. */
#ifndef ESURAT_CONFIG_H
#define ESURAT_CONFIG_H

/* The value of environment variable name, or def when unset or empty. */
const char *config_str(const char *name, const char *def);

/* The integer value of name, or def when unset, empty, not a number, or
 * outside [min, max] (a warning is logged in the last two cases). */
long config_long(const char *name, long def, long min, long max);

/* libpq connection string: ESURAT_DATABASE_URL, or "dbname=esurat".
 * Every connection sets TimeZone to ESURAT_TIMEZONE (Asia/Jakarta). */
const char *config_database_url(void);

#endif
