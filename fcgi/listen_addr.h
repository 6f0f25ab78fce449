/* TCP addresses esurat-fcgi may listen on (ESURAT_FCGI_LISTEN).
 *
 * FastCGI has no authentication and libfcgi 2.4.2 still aborts on some
 * crafted records (DESIGN.md), so the TCP socket must only be reachable
 * from the web hosts' nginx: an address of a private network, never the
 * wildcard or a public address, unless the operator says so explicitly
 * (ESURAT_FCGI_LISTEN_PUBLIC=1, for a host behind its own firewall).
 *
 * Accepted forms: "10.0.0.2:9000", "[fd00::2]:9000". Only numeric
 * addresses: a name could resolve to anything. */
#ifndef ESURAT_LISTEN_ADDR_H
#define ESURAT_LISTEN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

typedef struct {
    struct sockaddr_storage addr;
    socklen_t len;
} listen_addr_t;

/* Parses spec into *out. false, with a reason in err, for anything but a
 * numeric IPv4 "A.B.C.D:PORT" or IPv6 "[ADDR]:PORT" with a port 1-65535. */
bool listen_addr_parse(const char *spec, listen_addr_t *out, char *err, size_t errsize);

/* true for addresses no one outside the site can reach: IPv4 loopback
 * 127/8, RFC 1918 (10/8, 172.16/12, 192.168/16); IPv6 loopback ::1,
 * unique local fc00::/7, link-local fe80::/10, and IPv4-mapped private
 * IPv4. false for the wildcard (0.0.0.0, ::) and everything else. */
bool listen_addr_is_private(const listen_addr_t *a);

/* parse, then the private check unless allow_public. false with a reason
 * in err. */
bool listen_addr_check(const char *spec, bool allow_public, listen_addr_t *out, char *err, size_t errsize);

#endif
