/* Suggestions for the front desk, from the OCR text of a letter's first
 * page: its number (the Nomor line), its date (Indonesian, "27 Januari
 * 2015", usually after the place), its subject (Perihal or Hal) and its
 * sender (the letterhead's last line, the unit that writes). Plain C, no
 * allocation: every field is a fixed buffer, empty when nothing was found.
 * Any bytes are valid input (the fuzz target feeds it anything). */
#ifndef ESURAT_OCR_SUGGEST_H
#define ESURAT_OCR_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

#define SUGGEST_FIELD_MAX 256

typedef struct {
    char letter_number[SUGGEST_FIELD_MAX];
    char letter_date[11]; /* YYYY-MM-DD */
    char subject[SUGGEST_FIELD_MAX];
    char sender[SUGGEST_FIELD_MAX];
} suggest_t;

/* Fills *out from the len bytes of text (UTF-8; invalid bytes are
 * tolerated and never copied into a field). */
void suggest_extract(const char *text, size_t len, suggest_t *out);

/* Parses an Indonesian date at the start of s (len bytes): "27 Januari
 * 2015", "1 Agt 2020", "27 JANUARI 2015", with the month's full name or
 * its usual abbreviation, any case. On success writes YYYY-MM-DD to
 * out[11] and returns the bytes consumed; 0 when s does not start with a
 * valid date (31 Februari is not one). */
size_t idate_parse(const char *s, size_t len, char out[11]);

#endif
