#include "clock.h"

#include <stdbool.h>
#include <stdlib.h>

#include "log.h"

const char *clock_test_now(void)
{
    static bool read;
    static const char *value;
    if (!read) {
        value = getenv("ESURAT_TEST_NOW");
        if (value && !*value)
            value = NULL;
        if (value)
            log_warn("ESURAT_TEST_NOW=%s: the registry's clock is a test clock", value);
        read = true;
    }
    return value;
}
