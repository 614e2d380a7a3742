/* latency_proxy.h - a loopback TCP forwarder that delays every chunk by a fixed time in each
 * direction, to measure the library as if the server were far away (bench/wan.c). */
#ifndef MODELLIX_BENCH_LATENCY_PROXY_H
#define MODELLIX_BENCH_LATENCY_PROXY_H

#include <stdint.h>

typedef struct lp_proxy lp_proxy;

/* Listen on 127.0.0.1 (a free port) and forward every connection to 127.0.0.1:target_port, holding
 * each chunk read from either side for delay_ms before writing it on (so a round trip costs
 * 2 x delay_ms more; bytes stay in order). A new connection's first bytes leave one round trip
 * later, as after a TCP handshake over the same link. Runs in a thread of its own. Returns NULL on
 * failure. */
lp_proxy *lp_start(uint16_t target_port, int delay_ms);
uint16_t lp_port(const lp_proxy *p);
/* Connections accepted so far. */
int64_t lp_connections(const lp_proxy *p);
void lp_stop(lp_proxy *p);

#endif
