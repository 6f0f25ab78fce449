#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"

const char *config_str(const char *name, const char *def)
{
    const char *v = getenv(name);
    return (v && *v) ? v : def;
}

long config_long(const char *name, long def, long min, long max)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < min || n > max) {
        log_warn("%s=%s is not a number in [%ld, %ld]; using %ld", name, v, min, max, def);
        return def;
    }
    return n;
}

const char *config_database_url(void)
{
    return config_str("ESURAT_DATABASE_URL", "dbname=esurat");
}
