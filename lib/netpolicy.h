/* netpolicy.h - which addresses and URLs a result download may reach. Pure functions. */
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

#endif
