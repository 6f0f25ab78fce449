/* URL, query-string and cookie decoding against hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "http.h"

static arena_t *arena;

static int setup(void **state)
{
    (void)state;
    arena = arena_new(0);
    return arena ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(arena);
    return 0;
}

static http_status_t decode(const char *in, bool plus, char **out)
{
    return url_decode(arena, in, strlen(in), plus, out);
}

static void test_url_decode_good(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(decode("Dinas%20Pendidikan", false, &out), HTTP_OK);
    assert_string_equal(out, "Dinas Pendidikan");
    assert_int_equal(decode("a+b", true, &out), HTTP_OK);
    assert_string_equal(out, "a b");
    assert_int_equal(decode("a+b", false, &out), HTTP_OK);
    assert_string_equal(out, "a+b");
    assert_int_equal(decode("005%2F123%2fDisdik", false, &out), HTTP_OK);
    assert_string_equal(out, "005/123/Disdik");
    assert_int_equal(decode("%C3%A9", false, &out), HTTP_OK); /* é */
    assert_string_equal(out, "\xC3\xA9");
    assert_int_equal(decode("", false, &out), HTTP_OK);
    assert_string_equal(out, "");
}

static void test_url_decode_hostile(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        http_status_t want;
    } cases[] = {
        {"%", HTTP_BAD_ESCAPE},          {"%2", HTTP_BAD_ESCAPE},   {"abc%", HTTP_BAD_ESCAPE}, {"%zz", HTTP_BAD_ESCAPE},
        {"%g0", HTTP_BAD_ESCAPE},        {"%0", HTTP_BAD_ESCAPE},   {"%00", HTTP_NUL},         {"a%00b", HTTP_NUL},
        {"%C3", HTTP_BAD_UTF8},          {"%C0%AF", HTTP_BAD_UTF8}, /* overlong '/' */
        {"%ED%A0%80", HTTP_BAD_UTF8},                               /* surrogate */
        {"%F4%90%80%80", HTTP_BAD_UTF8},                            /* above U+10FFFF */
        {"%FF", HTTP_BAD_UTF8},          {"\xC3(", HTTP_BAD_UTF8},  {"%E2%82", HTTP_BAD_UTF8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        http_status_t got = decode(cases[i].in, true, &out);
        if (got != cases[i].want)
            fail_msg("url_decode(\"%s\") = %d, want %d", cases[i].in, got, cases[i].want);
    }
}

static void test_query_parse(void **state)
{
    (void)state;
    http_param_t *p;
    size_t n;
    assert_int_equal(query_parse(arena, "q=surat+undangan&limit=20&&flag&number=005%2F1", &p, &n), HTTP_OK);
    assert_int_equal(n, 4);
    assert_string_equal(p[0].name, "q");
    assert_string_equal(p[0].value, "surat undangan");
    assert_string_equal(p[1].value, "20");
    assert_string_equal(p[2].name, "flag");
    assert_string_equal(p[2].value, "");
    assert_string_equal(p[3].value, "005/1");
    /* Repeated names are all kept, in order; the dispatcher decides. */
    assert_int_equal(query_parse(arena, "a=1&a=2", &p, &n), HTTP_OK);
    assert_int_equal(n, 2);
    assert_string_equal(p[1].value, "2");
    assert_int_equal(query_parse(arena, "", &p, &n), HTTP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(query_parse(arena, NULL, &p, &n), HTTP_OK);
    assert_int_equal(query_parse(arena, "=x", &p, &n), HTTP_OK);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].name, "");
}

static void test_query_parse_hostile(void **state)
{
    (void)state;
    http_param_t *p;
    size_t n;
    assert_int_equal(query_parse(arena, "a=%zz", &p, &n), HTTP_BAD_ESCAPE);
    assert_int_equal(query_parse(arena, "a%00=1", &p, &n), HTTP_NUL);
    assert_int_equal(query_parse(arena, "a=%FF%FE", &p, &n), HTTP_BAD_UTF8);
    char many[HTTP_MAX_PARAMS * 4 + 8] = "";
    for (int i = 0; i <= HTTP_MAX_PARAMS; i++)
        strcat(many, "x=1&");
    assert_int_equal(query_parse(arena, many, &p, &n), HTTP_TOO_MANY);
    static char longq[HTTP_MAX_QUERY_LEN + 16];
    memset(longq, 'a', sizeof longq - 1);
    assert_int_equal(query_parse(arena, longq, &p, &n), HTTP_TOO_LONG);
}

static void test_cookie_get(void **state)
{
    (void)state;
    assert_string_equal(cookie_get(arena, "esurat_session=abc123", "esurat_session"), "abc123");
    assert_string_equal(cookie_get(arena, "theme=dark; esurat_session=xyz ;other=1", "esurat_session"), "xyz");
    assert_string_equal(cookie_get(arena, "x_esurat_session=bad; esurat_session=good", "esurat_session"), "good");
    assert_string_equal(cookie_get(arena, "esurat_session=\"quoted\"", "esurat_session"), "quoted");
    /* The first of repeated cookies wins. */
    assert_string_equal(cookie_get(arena, "esurat_session=one; esurat_session=two", "esurat_session"), "one");
    assert_string_equal(cookie_get(arena, "esurat_session=", "esurat_session"), "");
    assert_null(cookie_get(arena, "esurat_sessionx=1", "esurat_session"));
    assert_null(cookie_get(arena, "esurat_session", "esurat_session"));
    assert_null(cookie_get(arena, "", "esurat_session"));
    assert_null(cookie_get(arena, NULL, "esurat_session"));
    assert_null(cookie_get(arena, ";;;;", "esurat_session"));
    static char huge[HTTP_MAX_COOKIE_LEN + 32];
    memset(huge, 'a', sizeof huge - 1);
    memcpy(huge, "esurat_session=", 15);
    assert_null(cookie_get(arena, huge, "esurat_session"));
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(utf8_valid("Perihal: undangan", 17));
    assert_true(utf8_valid("\xF0\x9F\x93\x9C", 4)); /* scroll emoji */
    assert_false(utf8_valid("\xF0\x9F\x93", 3));
    assert_false(utf8_valid("\xE0\x80\xAF", 3)); /* overlong */
    assert_false(utf8_valid("\x80", 1));
    assert_false(utf8_valid("\xED\xA0\x80", 3));     /* a surrogate */
    assert_false(utf8_valid("\xF4\x90\x80\x80", 4)); /* above U+10FFFF */
}

/* Error messages quote what arrived and may be cut anywhere by their
 * buffer (a path of %FF bytes, the 4-byte character of a bad JSON escape
 * cut after 2): what is left must be UTF-8, or no JSON answer at all. */
static void test_utf8_scrub(void **state)
{
    (void)state;
    char cut[] = "no such resource: /api/\xFF\xFE; invalid escape near '\\\xF3\x8E'";
    utf8_scrub(cut);
    assert_string_equal(cut, "no such resource: /api/??; invalid escape near '\\?"
                             "?'");
    char good[] = "Perihal: \xF0\x9F\x93\x9C undangan \xC3\xA9";
    utf8_scrub(good);
    assert_string_equal(good, "Perihal: \xF0\x9F\x93\x9C undangan \xC3\xA9");
    char surrogate[] = "a\xED\xA0\x80"
                       "b";
    utf8_scrub(surrogate);
    assert_string_equal(surrogate, "a???b");
    assert_int_equal(utf8_sequence("\xE2\x80\x94", 3), 3);
    assert_int_equal(utf8_sequence("\xE2\x80\x94", 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_decode_good), cmocka_unit_test(test_url_decode_hostile),
        cmocka_unit_test(test_query_parse),     cmocka_unit_test(test_query_parse_hostile),
        cmocka_unit_test(test_cookie_get),      cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_scrub),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
