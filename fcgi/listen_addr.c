#include "listen_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool fail(char *err, size_t errsize, const char *spec, const char *why)
{
    if (err && errsize)
        snprintf(err, errsize, "%s: %s", spec ? spec : "(null)", why);
    return false;
}

/* "1".."65535", digits only. */
static bool parse_port(const char *s, unsigned short *port)
{
    if (!*s || strlen(s) > 5)
        return false;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    long n = strtol(s, NULL, 10);
    if (n < 1 || n > 65535)
        return false;
    *port = (unsigned short)n;
    return true;
}

bool listen_addr_parse(const char *spec, listen_addr_t *out, char *err, size_t errsize)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec)
        return fail(err, errsize, spec, "empty address");
    char host[64];
    const char *port_text;
    bool v6 = spec[0] == '[';
    if (v6) {
        const char *close = strchr(spec, ']');
        if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof host)
            return fail(err, errsize, spec, "expected [IPv6]:PORT");
        memcpy(host, spec + 1, (size_t)(close - spec - 1));
        host[close - spec - 1] = '\0';
        port_text = close + 2;
    } else {
        const char *colon = strrchr(spec, ':');
        if (!colon || (size_t)(colon - spec) >= sizeof host)
            return fail(err, errsize, spec, "expected ADDRESS:PORT");
        memcpy(host, spec, (size_t)(colon - spec));
        host[colon - spec] = '\0';
        port_text = colon + 1;
    }
    unsigned short port;
    if (!parse_port(port_text, &port))
        return fail(err, errsize, spec, "the port must be a number from 1 to 65535");
    if (v6) {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&out->addr;
        if (inet_pton(AF_INET6, host, &sa->sin6_addr) != 1)
            return fail(err, errsize, spec, "not a numeric IPv6 address");
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(port);
        out->len = sizeof *sa;
    } else {
        struct sockaddr_in *sa = (struct sockaddr_in *)&out->addr;
        /* inet_pton takes only the dotted quad (no "10.1", no octal). */
        if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
            return fail(err, errsize, spec, "not a numeric IPv4 address (names are not accepted)");
        sa->sin_family = AF_INET;
        sa->sin_port = htons(port);
        out->len = sizeof *sa;
    }
    return true;
}

static bool ipv4_private(uint32_t a)
{
    return (a >> 24) == 127 ||             /* 127.0.0.0/8 loopback */
           (a >> 24) == 10 ||              /* 10.0.0.0/8 */
           (a >> 20) == (172u << 4 | 1) || /* 172.16.0.0/12 */
           (a >> 16) == (192u << 8 | 168); /* 192.168.0.0/16 */
}

bool listen_addr_is_private(const listen_addr_t *a)
{
    if (a->addr.ss_family == AF_INET) {
        const struct sockaddr_in *sa = (const struct sockaddr_in *)&a->addr;
        return ipv4_private(ntohl(sa->sin_addr.s_addr));
    }
    if (a->addr.ss_family == AF_INET6) {
        const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)&a->addr;
        const unsigned char *b = sa->sin6_addr.s6_addr;
        if (IN6_IS_ADDR_LOOPBACK(&sa->sin6_addr))
            return true;
        if ((b[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
            return true;
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr)) {
            uint32_t v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
            return ipv4_private(v4);
        }
    }
    return false;
}

bool listen_addr_check(const char *spec, bool allow_public, listen_addr_t *out, char *err, size_t errsize)
{
    if (!listen_addr_parse(spec, out, err, errsize))
        return false;
    if (!allow_public && !listen_addr_is_private(out))
        return fail(err, errsize, spec,
                    "not a private address (FastCGI must not be reachable from outside; "
                    "ESURAT_FCGI_LISTEN_PUBLIC=1 overrides)");
    return true;
}
