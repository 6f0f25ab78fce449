/* libFuzzer target: the two date parsers against each other.
 *
 * - idate_parse (ocr/suggest.c), the Indonesian dates of letters
 *   ("Pekanbaru, 27 Januari 2015"): any bytes give a day the API accepts
 *   (date_valid) or nothing, and never more bytes than it was given.
 * - date_valid (core/date.c), the API's YYYY-MM-DD: a day it accepts,
 *   written the Indonesian way with the month's name or its abbreviation
 *   in any case, is read back as the same day by idate_parse (whose years
 *   stop at 2199), and a day it refuses is never produced by idate_parse.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "suggest.h"

static const char *const MONTHS[12][2] = {
    {"Januari", "Jan"},   {"Februari", "Feb"}, {"Maret", "Mar"},    {"April", "Apr"},
    {"Mei", "Mei"},       {"Juni", "Jun"},     {"Juli", "Jul"},     {"Agustus", "Agt"},
    {"September", "Sep"}, {"Oktober", "Okt"},  {"November", "Nov"}, {"Desember", "Des"},
};

static void check_parsed(const char *text, size_t size)
{
    char out[11] = "";
    size_t n = idate_parse(text, size, out);
    if (n > size)
        abort();
    if (n > 0 && (!date_valid(out) || strncmp(out, "2200", 4) >= 0))
        abort();
}

/* A day date_valid accepts, in the forms idate_parse promises to read. */
static void check_round_trip(const char *iso, unsigned variant)
{
    int y = atoi(iso), m = atoi(iso + 5), d = atoi(iso + 8);
    if (y > 2199)
        return;
    char text[64], out[11] = "";
    const char *month = MONTHS[m - 1][variant & 1];
    int n = snprintf(text, sizeof text, "%d %s%s %d", d, month, (variant & 1) && (variant & 4) ? "." : "", y);
    if (variant & 2)
        for (char *p = text; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
    if (idate_parse(text, (size_t)n, out) != (size_t)n || strcmp(out, iso) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that ASan sees reads past the end. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    check_parsed(text, size);
    free(text);

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (date_valid(s)) {
        for (unsigned v = 0; v < 8; v++)
            check_round_trip(s, v);
    }
    free(s);
    return 0;
}
