/* netpolicy.h - which addresses and URLs a result download may reach. Pure functions, except
 * mx_check_file_host, which resolves a name. */
#ifndef MODELLIX_NETPOLICY_H
#define MODELLIX_NETPOLICY_H

#include <stdint.h>
#include <sys/socket.h>

/* 1 if the address is private, loopback, link-local, shared, documentation, multicast or otherwise
   reserved (IPv4 and IPv6, IPv4-mapped included); 0 for a public unicast address. */
int mx_addr_blocked(const struct sockaddr *sa);
/* 1 if the address is loopback (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
int mx_addr_loopback(const struct sockaddr *sa);

/* Check a download URL before any connection: http or https, no credentials, plain http only when
   allow_http or (loopback_ok and the host is loopback). Returns MODELLIX_OK, MODELLIX_EUNSAFE or
   MODELLIX_ENOMEM, with a message (host and path only, never the query) in err. */
int mx_check_download_url(const char *url, int allow_http, int loopback_ok, char *err, size_t errcap);

/* May a download's connection go to this address? `via_proxy`: the connection is to the proxy,
   which the application chose: any address. Otherwise a public address, or any with allow_private,
   or a loopback one when the API origin is loopback (base_loopback). */
int mx_connect_allowed(const struct sockaddr *sa, int via_proxy, int allow_private, int base_loopback);

/* Before a download asks a proxy for `url`: resolve its host (a literal needs no lookup) and check
   every address with mx_connect_allowed(., 0, 0, base_loopback), since the proxy, not this process,
   opens the connection. Returns MODELLIX_OK, MODELLIX_EUNSAFE (an address is refused),
   MODELLIX_ENETWORK (the name does not resolve here) or MODELLIX_ENOMEM, with a message (host only)
   in err. On success `pin` (if not NULL, pincap >= 48) receives the first address checked, as a
   literal for a URL host ("192.0.2.1", "[2001:db8::1]"), so that a tunnel can be asked for exactly
   the address that was checked. */
int mx_check_file_host(const char *url, int base_loopback, char *err, size_t errcap, char *pin, size_t pincap);

#endif
