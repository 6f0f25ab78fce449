/* Outgoing letter numbers from templates: the Permendagri forms, every
 * placeholder, and hostile templates (unknown placeholders, unbalanced
 * braces, control bytes, output too long for the buffer or the limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "numbering.h"

static const number_values_t base = {
    .classification = "005", .sequence = 124, .unit_code = "Setda", .year = 2015, .month = 4, .security = "biasa"};

static char out[NUMBER_MAX_LEN + 1];

static number_status_t fmt(const char *tmpl)
{
    return number_format(tmpl, &base, out, sizeof out);
}

static void test_default_template(void **state)
{
    (void)state;
    assert_int_equal(fmt(NULL), NUMBER_OK);
    assert_string_equal(out, "005/124/Setda/2015");
    assert_int_equal(fmt(""), NUMBER_OK);
    assert_string_equal(out, "005/124/Setda/2015");
    assert_int_equal(fmt(NUMBER_DEFAULT_TEMPLATE), NUMBER_OK);
    assert_string_equal(out, "005/124/Setda/2015");
}

static void test_every_placeholder(void **state)
{
    (void)state;
    assert_int_equal(fmt("{sifat}-{urut}/{klasifikasi}/{unit}/{bulan}/{bulan_romawi}/{tahun}"), NUMBER_OK);
    assert_string_equal(out, "B-124/005/Setda/04/IV/2015");
    /* Newer form without year (Permendagri 83/2022). */
    number_values_t v = base;
    v.classification = "000.8.3.3";
    v.sequence = 15;
    v.unit_code = "OR";
    assert_int_equal(number_format("{klasifikasi}/{urut}/{unit}", &v, out, sizeof out), NUMBER_OK);
    assert_string_equal(out, "000.8.3.3/15/OR");
    /* No padding of the sequence. */
    v.sequence = 1;
    assert_int_equal(number_format("{urut}", &v, out, sizeof out), NUMBER_OK);
    assert_string_equal(out, "1");
}

static void test_months_and_security(void **state)
{
    (void)state;
    const char *roman[] = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"};
    for (int m = 1; m <= 12; m++)
        assert_string_equal(number_roman_month(m), roman[m - 1]);
    assert_null(number_roman_month(0));
    assert_null(number_roman_month(13));
    assert_string_equal(number_security_letter("biasa"), "B");
    assert_string_equal(number_security_letter("terbatas"), "T");
    assert_string_equal(number_security_letter("rahasia"), "R");
    assert_string_equal(number_security_letter("sangat_rahasia"), "SR");
    assert_null(number_security_letter("geheim"));

    number_values_t v = base;
    v.month = 12;
    v.security = "sangat_rahasia";
    assert_int_equal(number_format("{sifat}.{urut}/{bulan}/{bulan_romawi}", &v, out, sizeof out), NUMBER_OK);
    assert_string_equal(out, "SR.124/12/XII");
    v.month = 13;
    assert_int_equal(number_format("{urut}/{bulan}", &v, out, sizeof out), NUMBER_BAD_VALUE);
    assert_string_equal(out, "");
    v.month = 1;
    v.security = "geheim";
    assert_int_equal(number_format("{sifat}{urut}", &v, out, sizeof out), NUMBER_BAD_VALUE);
}

static void test_hostile_templates(void **state)
{
    (void)state;
    static const struct {
        const char *tmpl;
        number_status_t want;
    } cases[] = {
        {"{urut}/{foo}", NUMBER_UNKNOWN_PLACEHOLDER},
        {"{URUT}", NUMBER_UNKNOWN_PLACEHOLDER},
        {"{urut }", NUMBER_UNKNOWN_PLACEHOLDER},
        {"{}{urut}", NUMBER_UNKNOWN_PLACEHOLDER},
        {"{urut}/{tahun", NUMBER_UNBALANCED_BRACE},
        {"{urut}/{", NUMBER_UNBALANCED_BRACE},
        {"{urut}}", NUMBER_UNBALANCED_BRACE},
        {"}{urut}", NUMBER_UNBALANCED_BRACE},
        {"{{urut}}", NUMBER_UNBALANCED_BRACE},
        {"{urut{tahun}}", NUMBER_UNBALANCED_BRACE},
        {"{klasifikasi}/{unit}/{tahun}", NUMBER_NO_SEQUENCE},
        {"no placeholders", NUMBER_NO_SEQUENCE},
        {"{urut}\n", NUMBER_BAD_CHARACTER},
        {"\x1b[31m{urut}", NUMBER_BAD_CHARACTER},
        {"{urut}\x7f", NUMBER_BAD_CHARACTER},
        {"%s%n{urut}", NUMBER_OK}, /* copied, never a format string */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        strcpy(out, "garbage");
        number_status_t st = fmt(cases[i].tmpl);
        if (st != cases[i].want)
            fail_msg("template %zu \"%s\": got %d (%s), want %d", i, cases[i].tmpl, st, number_status_text(st),
                     cases[i].want);
        if (st != NUMBER_OK)
            assert_string_equal(out, "");
    }
    assert_int_equal(fmt("%s%n{urut}"), NUMBER_OK);
    assert_string_equal(out, "%s%n124");
    /* A long name inside braces is not searched for ever. */
    char open[300];
    memset(open, 'a', sizeof open - 1);
    open[0] = '{';
    open[sizeof open - 1] = '\0';
    assert_int_equal(fmt(open), NUMBER_UNBALANCED_BRACE);
}

static void test_missing_values(void **state)
{
    (void)state;
    number_values_t v = base;
    v.classification = NULL;
    assert_int_equal(number_format(NULL, &v, out, sizeof out), NUMBER_MISSING_VALUE);
    assert_string_equal(out, "");
    assert_int_equal(number_format("{urut}/{unit}", &v, out, sizeof out), NUMBER_OK);
    v.classification = "";
    assert_int_equal(number_format(NULL, &v, out, sizeof out), NUMBER_MISSING_VALUE);
    v = base;
    v.sequence = 0;
    assert_int_equal(number_format(NULL, &v, out, sizeof out), NUMBER_BAD_VALUE);
    v = base;
    v.year = 99999;
    assert_int_equal(number_format(NULL, &v, out, sizeof out), NUMBER_BAD_VALUE);
}

static void test_too_long(void **state)
{
    (void)state;
    /* 20 sequences of 10 bytes: 200 is fine, a long classification is not. */
    char tmpl[512] = "";
    for (int i = 0; i < 25; i++)
        strcat(tmpl, "{urut}/{unit}/");
    number_values_t v = base;
    v.sequence = 1234567890;
    assert_int_equal(number_format(tmpl, &v, out, sizeof out), NUMBER_TOO_LONG);
    assert_string_equal(out, "");
    /* The buffer's size is respected, exactly. */
    char small[4];
    assert_int_equal(number_format("{urut}", &base, small, sizeof small), NUMBER_OK);
    assert_string_equal(small, "124");
    assert_int_equal(number_format("{urut}/", &base, small, sizeof small), NUMBER_TOO_LONG);
    assert_string_equal(small, "");
    assert_int_equal(number_format("{urut}", &base, small, 0), NUMBER_TOO_LONG);
    /* Plain text alone beyond NUMBER_MAX_LEN. */
    char big[NUMBER_MAX_LEN + 16];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "{urut}", 6);
    char large[1024];
    assert_int_equal(number_format(big, &base, large, sizeof large), NUMBER_TOO_LONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_template),    cmocka_unit_test(test_every_placeholder),
        cmocka_unit_test(test_months_and_security), cmocka_unit_test(test_hostile_templates),
        cmocka_unit_test(test_missing_values),      cmocka_unit_test(test_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
