/* sockets.h - the sockets the library opens: close-on-exec from their first instant, so a program
 * that forks and execs in another thread never hands them to the child. */
#ifndef MODELLIX_SOCKETS_H
#define MODELLIX_SOCKETS_H

#include <curl/curl.h>

/* socket(2) with SOCK_CLOEXEC for this address; CURL_SOCKET_BAD (errno set) on failure. */
curl_socket_t mx_socket_for(const struct curl_sockaddr *a);
/* A CURLOPT_OPENSOCKETFUNCTION that opens every connection's socket with mx_socket_for. */
curl_socket_t mx_open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *a);

/* curl_multi_init, with the wake-up socket pair libcurl before 8.8 opens in it (without CLOEXEC)
   made close-on-exec: the AF_UNIX stream sockets that appeared during the call, when there are
   exactly two of them and they are not close-on-exec yet. Another thread opening unix sockets at
   the same moment makes the count differ, and then nothing is changed (the pair stays as libcurl
   made it). Needs /proc/self/fd; without it, nothing is changed either. NULL on failure. */
CURLM *mx_multi_new(void);

#endif
