/* Outgoing letter numbers from a unit's template (number_templates).
 *
 * A pure module (no database, no request): the caller takes the sequence
 * from the counter row and hands the values in. Linked into esurat_http so
 * that the unit tests and the fuzzer reach it.
 *
 * Placeholders:
 *   {klasifikasi}   classification code ("005", "000.8.3.3")
 *   {urut}          the sequence, no padding ("124")
 *   {unit}          the unit's code ("Setda")
 *   {tahun}         the year, four digits ("2015")
 *   {bulan}         the month, two digits ("01".."12")
 *   {bulan_romawi}  the month in Roman numerals ("I".."XII")
 *   {sifat}         the security letter: biasa B, terbatas T, rahasia R,
 *                   sangat_rahasia SR
 * Everything else is copied as it is. */
#ifndef ESURAT_NUMBERING_H
#define ESURAT_NUMBERING_H

#include <stddef.h>

#define NUMBER_DEFAULT_TEMPLATE "{klasifikasi}/{urut}/{unit}/{tahun}"
/* The longest number produced (the schema allows 200-byte templates). */
#define NUMBER_MAX_LEN 255

typedef struct {
    const char *classification; /* NULL when the letter has none */
    long sequence;              /* > 0 */
    const char *unit_code;
    int year;             /* 1900..9999 */
    int month;            /* 1..12 */
    const char *security; /* "biasa", ...; NULL counts as biasa */
} number_values_t;

typedef enum {
    NUMBER_OK = 0,
    NUMBER_UNKNOWN_PLACEHOLDER, /* "{foo}" */
    NUMBER_UNBALANCED_BRACE,    /* "{urut" or a lone "}" */
    NUMBER_NO_SEQUENCE,         /* no {urut}: numbers would repeat */
    NUMBER_BAD_CHARACTER,       /* a control byte in the template */
    NUMBER_MISSING_VALUE,       /* {klasifikasi} without a classification */
    NUMBER_BAD_VALUE,           /* a value out of range (month 13, ...) */
    NUMBER_TOO_LONG,            /* the result does not fit */
} number_status_t;

/* Formats tmpl (NULL or "": the default) with v into out (size bytes,
 * NUL-terminated; at most NUMBER_MAX_LEN characters are ever written).
 * On any error out holds "" and nothing partial. */
number_status_t number_format(const char *tmpl, const number_values_t *v, char *out, size_t size);

/* A short lower-case description of a status ("unknown placeholder"). */
const char *number_status_text(number_status_t st);

/* "I".."XII" for 1..12, else NULL. */
const char *number_roman_month(int month);

/* "B", "T", "R", "SR" for the four security levels, else NULL. */
const char *number_security_letter(const char *security);

#endif
