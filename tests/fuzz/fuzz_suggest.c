/* libFuzzer target: any bytes as OCR text must give suggestions whose
 * fields are NUL-terminated within their buffers, a date that is empty or
 * YYYY-MM-DD, and any bytes as a date must parse to a valid day or not at
 * all; never a crash or an out-of-bounds access. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that ASan sees reads past the end. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    suggest_t s;
    suggest_extract(text, size, &s);
    if (strnlen(s.letter_number, sizeof s.letter_number) == sizeof s.letter_number ||
        strnlen(s.subject, sizeof s.subject) == sizeof s.subject ||
        strnlen(s.sender, sizeof s.sender) == sizeof s.sender)
        abort();
    size_t dl = strnlen(s.letter_date, sizeof s.letter_date);
    if (dl != 0 && (dl != 10 || s.letter_date[4] != '-' || s.letter_date[7] != '-'))
        abort();
    char out[11];
    size_t n = idate_parse(text, size, out);
    if (n > size || (n > 0 && (strlen(out) != 10 || out[4] != '-')))
        abort();
    free(text);
    return 0;
}
