/* The per-request arena: alignment, growth, oversized blocks, cleanups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"

static void test_alloc_is_aligned_and_zeroed(void **state)
{
    (void)state;
    arena_t *a = arena_new(64);
    for (size_t n = 1; n < 200; n += 7) {
        unsigned char *p = arena_alloc(a, n);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(p[i], 0);
        memset(p, 0xAB, n);
    }
    arena_free(a);
}

static void test_grows_past_chunk_and_keeps_data(void **state)
{
    (void)state;
    arena_t *a = arena_new(128);
    char *first = arena_strdup(a, "pertama");
    char *big = arena_alloc(a, 100000); /* larger than a chunk */
    assert_non_null(big);
    memset(big, 'x', 100000);
    char *later = arena_printf(a, "%s-%d", "surat", 42);
    assert_string_equal(first, "pertama");
    assert_string_equal(later, "surat-42");
    assert_true(arena_used(a) >= 100000);
    arena_reset(a);
    assert_int_equal(arena_used(a), 0);
    assert_string_equal(arena_strndup(a, "abcdef", 3), "abc");
    arena_free(a);
}

static void test_overflowing_size_fails(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    assert_null(arena_alloc(a, SIZE_MAX));
    assert_null(arena_alloc(a, SIZE_MAX - 8));
    assert_non_null(arena_alloc(a, 8)); /* still usable */
    arena_free(a);
}

static int order[4];
static int calls;
static void record(void *arg)
{
    order[calls++] = (int)(intptr_t)arg;
}

static void test_cleanups_run_in_reverse_at_reset(void **state)
{
    (void)state;
    arena_t *a = arena_new(0);
    calls = 0;
    arena_on_reset(a, record, (void *)1);
    arena_on_reset(a, record, (void *)2);
    arena_on_reset(a, record, (void *)3);
    assert_int_equal(calls, 0);
    arena_reset(a);
    assert_int_equal(calls, 3);
    assert_int_equal(order[0], 3);
    assert_int_equal(order[2], 1);
    arena_reset(a); /* nothing runs twice */
    assert_int_equal(calls, 3);
    arena_on_reset(a, record, (void *)4);
    arena_free(a); /* free runs pending cleanups */
    assert_int_equal(calls, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_is_aligned_and_zeroed),
        cmocka_unit_test(test_grows_past_chunk_and_keeps_data),
        cmocka_unit_test(test_overflowing_size_fails),
        cmocka_unit_test(test_cleanups_run_in_reverse_at_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
