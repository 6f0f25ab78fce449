/* libFuzzer target: any bytes as OCR text must give suggestions whose
 * fields are NUL-terminated within their buffers and valid UTF-8 (they
 * prefill the registration form, whose checks refuse anything else), a
 * date that is empty or a day the API accepts (date_valid), and any bytes
 * as a date must parse to a valid day or not at all; never a crash or an
 * out-of-bounds access. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "suggest.h"
#include "utf8.h"

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
    if (!utf8_valid(s.letter_number, strlen(s.letter_number)) || !utf8_valid(s.subject, strlen(s.subject)) ||
        !utf8_valid(s.sender, strlen(s.sender)))
        abort();
    if (strnlen(s.letter_date, sizeof s.letter_date) == sizeof s.letter_date ||
        (s.letter_date[0] && !date_valid(s.letter_date)))
        abort();
    char out[11];
    size_t n = idate_parse(text, size, out);
    if (n > size || (n > 0 && !date_valid(out)))
        abort();
    free(text);
    return 0;
}
