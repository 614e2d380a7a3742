/* tcp_relay.h - a loopback TCP forwarder for tests that can cut every connection it carries with a
 * TCP reset, as a middlebox or a crashed edge host would: the client reads ECONNRESET on a
 * connection its requests already went out on (the case where libcurl wants to send them again). */
#ifndef MODELLIX_TEST_TCP_RELAY_H
#define MODELLIX_TEST_TCP_RELAY_H

#include <stdint.h>

typedef struct tcp_relay tcp_relay;

/* Listen on 127.0.0.1 (a free port) and forward every connection, both ways, to
   127.0.0.1:target_port, in a thread of its own. NULL on failure. */
tcp_relay *tcp_relay_start(uint16_t target_port);
uint16_t tcp_relay_port(const tcp_relay *r);
/* Connections accepted so far. */
int64_t tcp_relay_connections(tcp_relay *r);
/* Reset (RST, SO_LINGER 0) every client connection open now and close its upstream side; returns
   how many were cut, once the relay has done it. New connections are forwarded as before. */
int tcp_relay_reset_all(tcp_relay *r);
void tcp_relay_stop(tcp_relay *r);

#endif
