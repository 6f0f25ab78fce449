/* libFuzzer target: URL, query-string and cookie decoding must never
 * crash, read out of bounds or hand back invalid UTF-8, whatever arrives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static arena_t *arena;
    if (!arena)
        arena = arena_new(0);
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    char *decoded;
    if (url_decode(arena, text, size, size & 1, &decoded) == HTTP_OK && !utf8_valid(decoded, strlen(decoded)))
        abort();
    http_param_t *params;
    size_t count;
    if (query_parse(arena, text, &params, &count) == HTTP_OK) {
        for (size_t i = 0; i < count; i++)
            if (!utf8_valid(params[i].name, strlen(params[i].name)) ||
                !utf8_valid(params[i].value, strlen(params[i].value)))
                abort();
    }
    (void)cookie_get(arena, text, "esurat_session");
    arena_reset(arena);
    free(text);
    return 0;
}
