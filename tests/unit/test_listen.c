/* The TCP address check of esurat-fcgi (ESURAT_FCGI_LISTEN): private
 * addresses are accepted, the wildcard and public ones refused unless
 * overridden, anything but a numeric ADDRESS:PORT is refused; and a real
 * bind on an accepted address works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "listen_addr.h"

static bool check(const char *spec, bool allow_public)
{
    listen_addr_t a;
    char err[256] = "";
    bool ok = listen_addr_check(spec, allow_public, &a, err, sizeof err);
    if (!ok)
        assert_true(strlen(err) > 0); /* a refusal always says why */
    return ok;
}

static void test_private_addresses_are_accepted(void **state)
{
    (void)state;
    const char *good[] = {
        "127.0.0.1:9000",  "127.8.9.10:1",        "10.0.0.2:9000",     "10.255.255.255:65535",
        "172.16.0.1:9000", "172.31.255.254:9000", "192.168.1.20:9000", "[::1]:9000",
        "[fd00::2]:9000",  "[fc12:3456::1]:80",   "[fe80::1]:9000",    "[::ffff:10.1.2.3]:9000",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!check(good[i], false))
            fail_msg("refused %s", good[i]);
    }
}

static void test_world_addresses_are_refused(void **state)
{
    (void)state;
    const char *world[] = {
        "0.0.0.0:9000",     "[::]:9000",          "8.8.8.8:9000",          "172.15.255.255:9000",
        "172.32.0.1:9000",  "192.169.0.1:9000",   "11.0.0.1:9000",         "100.64.0.1:9000",
        "169.254.1.1:9000", "[2001:db8::1]:9000", "[::ffff:8.8.8.8]:9000", "255.255.255.255:9000",
        "224.0.0.1:9000",   "[fec0::1]:9000",
    };
    for (size_t i = 0; i < sizeof world / sizeof world[0]; i++) {
        if (check(world[i], false))
            fail_msg("accepted %s without the override", world[i]);
        /* ... and the override lets a well-formed one through. */
        if (!check(world[i], true))
            fail_msg("refused %s with the override", world[i]);
    }
}

static void test_malformed_is_refused_even_with_override(void **state)
{
    (void)state;
    const char *bad[] = {
        "",
        "10.0.0.2",
        "10.0.0.2:",
        ":9000",
        "10.0.0.2:0",
        "10.0.0.2:65536",
        "10.0.0.2:90x",
        "10.0.0.2:-1",
        "10.0.0.2:+80",
        "10.0.0.2: 80",
        "10.1:9000",
        "010.0.0.2:9000",
        "localhost:9000",
        "web1.local:9000",
        "fd00::2:9000",
        "[fd00::2]9000",
        "[fd00::2:9000",
        "[]:9000",
        "[10.0.0.2]:9000",
        "10.0.0.2:9000:1",
        "10.0.0.256:9000",
        "unix:/tmp/x.sock",
        "10.0.0.2:123456",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (check(bad[i], true))
            fail_msg("accepted malformed %s", bad[i]);
    }
    listen_addr_t a;
    assert_false(listen_addr_parse(NULL, &a, NULL, 0));
}

static void test_parsed_address_binds(void **state)
{
    (void)state;
    listen_addr_t a;
    char err[256];
    assert_true(listen_addr_check("127.0.0.1:1", false, &a, err, sizeof err));
    assert_int_equal(a.addr.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&a.addr)->sin_port), 1);
    /* Port 0 is refused by the parser; bind a real free port by hand. */
    ((struct sockaddr_in *)&a.addr)->sin_port = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a.addr, a.len), 0);
    close(fd);
    assert_true(listen_addr_check("[fd00::2]:9000", false, &a, err, sizeof err));
    assert_int_equal(a.addr.ss_family, AF_INET6);
    assert_int_equal(a.len, sizeof(struct sockaddr_in6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_private_addresses_are_accepted),
        cmocka_unit_test(test_world_addresses_are_refused),
        cmocka_unit_test(test_malformed_is_refused_even_with_override),
        cmocka_unit_test(test_parsed_address_binds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
