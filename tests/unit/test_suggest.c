/* The front desk's suggestions (ocr/suggest.h): Indonesian dates, and the
 * number, date, subject and sender of letters as scripts/gen-letters makes
 * them and as Tesseract reads them (with its usual slips), plus a table of
 * hostile inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "suggest.h"
#include "utf8.h"

static void assert_date(const char *in, const char *want)
{
    char out[11] = "";
    size_t n = idate_parse(in, strlen(in), out);
    if (want) {
        assert_true(n > 0);
        assert_string_equal(out, want);
    } else {
        assert_int_equal(n, 0);
    }
}

static void test_dates(void **state)
{
    (void)state;
    assert_date("27 Januari 2015", "2015-01-27");
    assert_date("1 Mei 2020", "2020-05-01");
    assert_date("01 DESEMBER 1999", "1999-12-01");
    assert_date("29 Februari 2016", "2016-02-29");
    assert_date("17 Agt 2021", "2021-08-17");
    assert_date("17 Agustus 1945", "1945-08-17");
    assert_date("3 Nopember 2010", "2010-11-03");
    assert_date("3 Sept. 2010", "2010-09-03");
    assert_date("29 Februari 2015", NULL);
    assert_date("31 April 2015", NULL);
    assert_date("0 Maret 2015", NULL);
    assert_date("32 Maret 2015", NULL);
    assert_date("123 Maret 2015", NULL);
    assert_date("12 Maretan 2015", NULL);
    assert_date("12 Maret 15", NULL);
    assert_date("12 Maret 20155", NULL);
    assert_date("12Maret 2015", NULL);
    assert_date("Maret 2015", NULL);
    assert_date("", NULL);
}

/* As gen-letters writes it (the ground truth). */
static const char LETTER[] = "PEMERINTAH KOTA PEKANBARU\n"
                             "DINAS PENDIDIKAN\n"
                             "Jalan Jenderal Sudirman Nomor 212, Pekanbaru 28116, Telepon (0761) 44120\n"
                             "Pekanbaru, 27 Januari 2015\n"
                             "Nomor : 005/123/Disdik/2015\n"
                             "Sifat : Segera\n"
                             "Lampiran : 1 (satu) berkas\n"
                             "Perihal : Undangan Rapat Koordinasi\n"
                             "Kepada\n"
                             "Yth. Walikota Pekanbaru\n"
                             "di\n"
                             "Pekanbaru\n"
                             "Sehubungan dengan pelaksanaan program kerja tanggal 15 bulan depan.\n";

/* As Tesseract read a heavily degraded one: blank lines between blocks,
 * a split number, a colon lost, a stray mark. */
static const char OCR[] = "PEMERINTAH KOTA PEKANBARU\n\n"
                          "BADAN KEPEGAWAIAN DAERAH\n"
                          "Jalan Arifin Achmad Nomor 14, Pekanbaru 28291, Telepon (0761) 5521\n\n"
                          "“ Pekanbaru, 12 Juli 2009\n\n"
                          "Nomor : 000.1.5/ 845 /BKD/2009\n"
                          "Sifat Biasa\n"
                          "Lampiran : -\n"
                          "Perihal : Permohonan Izin Penggunaan\n"
                          "Gedung Olahraga\n\n"
                          "Kepada\n"
                          "Yth. Sekretaris Daerah Kota Pekanbaru\n"
                          "Hal ini kami sampaikan pada 1 Januari 2010.\n";

static void test_letters(void **state)
{
    (void)state;
    suggest_t s;
    suggest_extract(LETTER, strlen(LETTER), &s);
    assert_string_equal(s.letter_number, "005/123/Disdik/2015");
    assert_string_equal(s.letter_date, "2015-01-27");
    assert_string_equal(s.subject, "Undangan Rapat Koordinasi");
    assert_string_equal(s.sender, "Dinas Pendidikan");

    suggest_extract(OCR, strlen(OCR), &s);
    assert_string_equal(s.letter_number, "000.1.5/845/BKD/2009");
    assert_string_equal(s.letter_date, "2009-07-12");
    assert_string_equal(s.subject, "Permohonan Izin Penggunaan Gedung Olahraga");
    assert_string_equal(s.sender, "Badan Kepegawaian Daerah");

    static const char HAL[] = "KECAMATAN TAMPAN\nNo. 800/12/Kec/2020\nHal: Laporan\n\nTampan, 3 Mar 2020\n";
    suggest_extract(HAL, strlen(HAL), &s);
    assert_string_equal(s.letter_number, "800/12/Kec/2020");
    assert_string_equal(s.subject, "Laporan");
    assert_string_equal(s.letter_date, "2020-03-03");
    assert_string_equal(s.sender, "Kecamatan Tampan");

    /* "Hal ini" starts a sentence, not a subject; DPRD stays an acronym. */
    static const char BODY[] = "SEKRETARIAT DPRD KOTA PEKANBARU\nHal ini perlu.\nNomor tanpa angka\n";
    suggest_extract(BODY, strlen(BODY), &s);
    assert_string_equal(s.subject, "");
    assert_string_equal(s.letter_number, "");
    assert_string_equal(s.sender, "Sekretariat DPRD Kota Pekanbaru");
}

static void test_hostile(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
    } cases[] = {
        {"", 0},
        {"\n\n\n", 3},
        {"Nomor :", 7},
        {"Perihal:", 8},
        {"Nomor : \xff\xfe/1", 11},
        {"Perihal : caf\xc3\xa9 \xc3", 16},
        {"Perihal : \xe2\x82", 12},
        {"Nomor : 002/213/D\xf4\x97\x8c\x9bk/2015", 27}, /* above U+10FFFF (fuzz_suggest) */
        {"Perihal : \xed\xa0\x80 surat", 19},            /* a surrogate */
        {"Perihal : \xe0\x80\xaf", 13},                  /* an overlong '/' */
        {"31 Desember 9999", 16},
        {"Nomor : 1\0/2", 12},
        {"AAAA\nAAAA\nAAAA\nAAAA\nAAAA\nAAAA\nAAAA\nAAAA\nAAAA", 44},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        suggest_t s;
        suggest_extract(cases[i].text, cases[i].len, &s);
        assert_true(strlen(s.letter_number) < sizeof s.letter_number);
        assert_true(strlen(s.subject) < sizeof s.subject);
        assert_true(s.letter_date[0] == '\0' || strlen(s.letter_date) == 10);
        /* Invalid bytes are left out: the fields are stored in PostgreSQL. */
        assert_true(utf8_valid(s.letter_number, strlen(s.letter_number)));
        assert_true(utf8_valid(s.subject, strlen(s.subject)));
        assert_true(utf8_valid(s.sender, strlen(s.sender)));
    }
    /* A very long subject is cut to the field, never past it. */
    char big[4096];
    memcpy(big, "Perihal : ", 10);
    memset(big + 10, 'x', sizeof big - 10);
    suggest_t s;
    suggest_extract(big, sizeof big, &s);
    assert_int_equal(strlen(s.subject), SUGGEST_FIELD_MAX - 1);
    suggest_extract(NULL, 0, &s);
    assert_string_equal(s.sender, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_letters),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
