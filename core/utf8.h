/* UTF-8 validation: all text from outside (request bodies, query strings,
 * CSV files) is checked before it reaches PostgreSQL or a JSON answer. */
#ifndef ESURAT_UTF8_H
#define ESURAT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* true when the n bytes at s are valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool utf8_valid(const char *s, size_t n);

/* The length (1-4) of the valid UTF-8 sequence that starts the n bytes at
 * s, or 0 when they do not start with one. */
size_t utf8_sequence(const char *s, size_t n);

/* Replaces, in the NUL-terminated s, every byte that is not part of a
 * valid sequence with '?': text that quotes what arrived (cut anywhere by
 * a buffer, perhaps) becomes valid UTF-8 for a JSON answer. */
void utf8_scrub(char *s);

/* Number of code points of a valid UTF-8 string (its width in a table,
 * its length in characters). */
size_t utf8_length(const char *s);

#endif
