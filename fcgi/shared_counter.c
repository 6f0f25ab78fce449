#include "shared_counter.h"

#include <sys/mman.h>
#include <time.h>

#include "log.h"

_Atomic unsigned long *shared_counter_map(const char *why_alone)
{
    _Atomic unsigned long *p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        log_warn("no shared memory: %s", why_alone);
        return NULL;
    }
    atomic_init(p, 0);
    return p;
}

long long monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
