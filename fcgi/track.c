#include "track.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

/* 31 symbols: 12 of them give about 59 bits, too many to guess. */
static const char ALPHABET[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";

void tracking_code_new(char out[TRACKING_CODE_LEN + 1])
{
    for (int i = 0; i < TRACKING_CODE_LEN; i++)
        out[i] = ALPHABET[randombytes_uniform(sizeof ALPHABET - 1)];
    out[TRACKING_CODE_LEN] = '\0';
}

/* Only these columns: the citizen learns where the letter is, nothing of
 * what it says. */
static const char TRACK_SQL[] = "SELECT json_build_object('tracking_code', tracking_code, 'status', status,"
                                "  'received_at', received_at, 'updated_at', updated_at)::text AS track "
                                "FROM letters WHERE tracking_code = $1";

void track_get(request_t *req)
{
    /* Codes are printed in capitals; accept what a citizen types. */
    const char *arg = req->args[0];
    size_t n = strlen(arg);
    char code[41];
    bool ok = n >= 6 && n < sizeof code;
    for (size_t i = 0; ok && i < n; i++) {
        ok = isalnum((unsigned char)arg[i]) || arg[i] == '-';
        code[i] = (char)toupper((unsigned char)arg[i]);
    }
    if (!ok) {
        reply_error(req, 404, "not_found", NULL, "no letter with this tracking code");
        return;
    }
    code[n] = '\0';
    const char *params[] = {code};
    PGresult *res = req_sql(req, TRACK_SQL, 1, params);
    if (!res)
        return;
    if (PQntuples(res) != 1) {
        reply_error(req, 404, "not_found", NULL, "no letter with this tracking code");
        return;
    }
    reply_raw_json(req, 200, db_get(res, 0, "track"));
}
