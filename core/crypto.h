/* Password hashes, random tokens and digests (libsodium). */
#ifndef ESURAT_CRYPTO_H
#define ESURAT_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

/* Call once per process before anything below; 0 or -1. */
int crypto_init(void);

/* Length of an argon2id hash string including its NUL. */
#define PASSWORD_HASH_MAX 128

/* argon2id hash of password in out (PASSWORD_HASH_MAX bytes); 0 or -1. */
int password_hash(const char *password, char out[PASSWORD_HASH_MAX]);

/* true when password matches hash (a crypto_pwhash_str string). */
bool password_verify(const char *hash, const char *password);

/* Spends the time of one verification, so that an unknown user name
 * answers as slowly as a wrong password. */
void password_verify_dummy(const char *password);

/* nbytes random bytes as lower-case hex into out (2 * nbytes + 1 bytes). */
void token_random_hex(char *out, size_t nbytes);

/* sha256 of data as lower-case hex (64 characters and a NUL). */
void sha256_hex(const void *data, size_t len, char out[65]);

/* Compares two NUL-terminated strings in time independent of content. */
bool secure_streq(const char *a, const char *b);

#endif
