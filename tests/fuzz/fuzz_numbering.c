/* libFuzzer target: any template, with any values, must give NUMBER_OK
 * and a NUL-terminated number of at most NUMBER_MAX_LEN bytes without
 * control characters, or an error and an empty output, never a crash or
 * an out-of-bounds access. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numbering.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const securities[] = {"biasa", "terbatas", "rahasia", "sangat_rahasia", "x", NULL};
    /* The first bytes choose the values, the rest is the template. */
    if (size < 4)
        return 0;
    number_values_t v = {
        .classification = data[0] & 1 ? "000.8.3.3" : NULL,
        .sequence = (long)(data[1] * 1000 + data[2]) - 50,
        .unit_code = data[0] & 2 ? "Setda" : "",
        .year = 1890 + data[3] * 40,
        .month = data[2] % 14,
        .security = securities[data[0] % 6],
    };
    char *tmpl = malloc(size - 4 + 1);
    if (!tmpl)
        return 0;
    memcpy(tmpl, data + 4, size - 4);
    tmpl[size - 4] = '\0';

    /* A buffer of exactly the size asked for, so that ASan sees overruns. */
    size_t cap = (data[0] >> 3) ? (size_t)(data[0] >> 3) * 8 : NUMBER_MAX_LEN + 1;
    char *out = malloc(cap);
    if (out) {
        number_status_t st = number_format(tmpl, &v, out, cap);
        size_t len = strnlen(out, cap);
        if (len == cap || len > NUMBER_MAX_LEN)
            abort();
        if (st != NUMBER_OK && len != 0)
            abort();
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)out[i] < 0x20)
                abort();
        if (st == NUMBER_OK && len == 0)
            abort();
        (void)number_status_text(st);
        free(out);
    }
    free(tmpl);
    return 0;
}
