/* UTF-8 validation: all text from outside (request bodies, query strings,
 * CSV files) is checked before it reaches PostgreSQL or a JSON answer. */
#ifndef ESURAT_UTF8_H
#define ESURAT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* true when the n bytes at s are valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool utf8_valid(const char *s, size_t n);

/* Number of code points of a valid UTF-8 string (its width in a table,
 * its length in characters). */
size_t utf8_length(const char *s);

#endif
