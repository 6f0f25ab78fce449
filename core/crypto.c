#include "crypto.h"

#include <sodium.h>
#include <string.h>

/* Interactive limits: about 0.1 s and 64 MiB per hash on this hardware. */
#define PWHASH_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PWHASH_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

_Static_assert(crypto_pwhash_STRBYTES <= PASSWORD_HASH_MAX, "hash buffer too small");

int crypto_init(void)
{
    return sodium_init() < 0 ? -1 : 0;
}

int password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
    memset(out, 0, PASSWORD_HASH_MAX);
    return crypto_pwhash_str(out, password, strlen(password), PWHASH_OPS, PWHASH_MEM) == 0 ? 0 : -1;
}

bool password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void password_verify_dummy(const char *password)
{
    static char dummy[PASSWORD_HASH_MAX];
    if (!dummy[0] && password_hash("esurat-dummy-password", dummy) != 0)
        return;
    (void)password_verify(dummy, password);
}

void token_random_hex(char *out, size_t nbytes)
{
    unsigned char buf[64];
    while (nbytes > 0) {
        size_t n = nbytes < sizeof buf ? nbytes : sizeof buf;
        randombytes_buf(buf, n);
        sodium_bin2hex(out, 2 * n + 1, buf, n);
        out += 2 * n;
        nbytes -= n;
    }
    *out = '\0';
}

void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    sodium_bin2hex(out, 65, digest, sizeof digest);
}

bool secure_streq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la != lb)
        return false;
    return sodium_memcmp(a, b, la) == 0;
}
