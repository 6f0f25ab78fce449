/* What the workers' caches (session_cache.c, view_cache.c) share: a
 * counter in memory that every prefork worker sees, by which one worker
 * tells the others to forget what they remember, and the clock entries
 * age by. */
#ifndef ESURAT_SHARED_COUNTER_H
#define ESURAT_SHARED_COUNTER_H

#include <stdatomic.h>

/* In the prefork master, before the workers fork: a counter at 0 in
 * shared memory, or NULL (logged with why_alone, the consequence) when
 * there is none; the caller then keeps counting in its own process. */
_Atomic unsigned long *shared_counter_map(const char *why_alone);

/* Milliseconds of CLOCK_MONOTONIC. */
long long monotonic_ms(void);

#endif
