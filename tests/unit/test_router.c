/* The route table: patterns with {id} and {name}, methods, 404 vs 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "router.h"

static void h_list(request_t *r)
{
    (void)r;
}
static void h_one(request_t *r)
{
    (void)r;
}
static void h_scan(request_t *r)
{
    (void)r;
}
static void h_track(request_t *r)
{
    (void)r;
}

static const route_t table[] = {
    {"/api/letters", METHOD_GET | METHOD_POST, ROLE_SIGNED_IN, NULL, h_list},
    {"/api/letters/{id}", METHOD_GET | METHOD_PATCH, ROLE_SIGNED_IN, NULL, h_one},
    {"/api/letters/{id}/scans/{id}", METHOD_GET, ROLE_SIGNED_IN, NULL, h_scan},
    {"/api/track/{code}", METHOD_GET, ROLE_PUBLIC, NULL, h_track},
};
#define N (sizeof table / sizeof table[0])

typedef struct {
    route_result_t result;
    const route_t *route;
    const char *args[ROUTER_MAX_ARGS];
    size_t nargs;
    unsigned allowed;
    char copy[512];
} match_t;

/* Static storage: args point into copy, which must outlive the call. */
static match_t m;

static void match(const char *method, const char *path)
{
    memset(&m, 0, sizeof m);
    m.result = router_match(table, N, router_method_bit(method), path, m.copy, &m.route, m.args, &m.nargs, &m.allowed);
}

static void test_exact_and_id(void **state)
{
    (void)state;
    match("GET", "/api/letters");
    assert_int_equal(m.result, ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_list);
    match("PATCH", "/api/letters/42");
    assert_int_equal(m.result, ROUTE_FOUND);
    assert_ptr_equal(m.route->handler, h_one);
    assert_int_equal(m.nargs, 1);
    assert_string_equal(m.args[0], "42");
    match("GET", "/api/letters/7/scans/99");
    assert_int_equal(m.result, ROUTE_FOUND);
    assert_int_equal(m.nargs, 2);
    assert_string_equal(m.args[0], "7");
    assert_string_equal(m.args[1], "99");
    match("GET", "/api/track/AB7-KQ2.x_9");
    assert_int_equal(m.result, ROUTE_FOUND);
    assert_string_equal(m.args[0], "AB7-KQ2.x_9");
}

static void test_bad_ids_are_not_found(void **state)
{
    (void)state;
    const char *paths[] = {
        "/api/letters/0",
        "/api/letters/007",
        "/api/letters/-1",
        "/api/letters/1e3",
        "/api/letters/abc",
        "/api/letters/1234567890123456789",
        "/api/letters/",
        "/api/letters//",
        "/api/letters/1/",
        "/api/letters/%31",
        "/api/track/a b",
        "/api/track/../etc",
        "/api/letters/1;drop",
        "",
        "/",
        "/api",
        "/api/letterss",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        match("GET", paths[i]);
        if (m.result != ROUTE_NOT_FOUND)
            fail_msg("%s matched", paths[i]);
    }
    /* "../etc" is a token of dots and letters only if no slash: the slash
     * splits it, so it is two segments and does not match. */
}

static void test_wrong_method_is_405_with_allow(void **state)
{
    (void)state;
    match("DELETE", "/api/letters/5");
    assert_int_equal(m.result, ROUTE_BAD_METHOD);
    char allow[64];
    router_allow_header(m.allowed, allow, sizeof allow);
    assert_string_equal(allow, "GET, PATCH, HEAD");
    match("BREW", "/api/letters");
    assert_int_equal(m.result, ROUTE_BAD_METHOD);
    match("HEAD", "/api/letters");
    assert_int_equal(m.result, ROUTE_FOUND);
}

static void test_roles_by_name(void **state)
{
    (void)state;
    assert_int_equal(router_role_bit("front_desk"), ROLE_FRONT_DESK);
    assert_int_equal(router_role_bit("records"), ROLE_RECORDS);
    assert_int_equal(router_role_bit("root"), 0);
    assert_int_equal(router_role_bit(NULL), 0);
    assert_int_equal(router_method_bit(NULL), 0);
    assert_int_equal(router_method_bit("get"), 0); /* methods are case-sensitive */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_and_id),
        cmocka_unit_test(test_bad_ids_are_not_found),
        cmocka_unit_test(test_wrong_method_is_405_with_allow),
        cmocka_unit_test(test_roles_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
