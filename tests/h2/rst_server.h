/* rst_server.h - starts tests/h2/rst_close_server.py (python3-h2) for a test: a TLS HTTP/2 server
 * that answers POSTs with a submit envelope and ends one chosen POST, after reading it whole, with
 * RST_STREAM and a clean TLS close. Its event lines ("post N", "reset N", "conn N") go to a file
 * the test reads back. */
#ifndef MODELLIX_TEST_RST_SERVER_H
#define MODELLIX_TEST_RST_SERVER_H

#include <stdint.h>
#include <sys/types.h>

typedef struct rst_server {
    pid_t pid;
    char out[64]; /* its output file */
    uint16_t port;
    char url[64]; /* "https://127.0.0.1:PORT" */
} rst_server;

/* Start it ($MX_PYTHON_H2: a python3 with the h2 module; $MX_RST_SERVER: the script;
   $MX_TEST_CERTS: the certificates) so that POST number reset_post is reset. Returns 0, or -1 with
   the reason as a TAP comment. */
int rst_server_start(rst_server *s, int reset_post);
/* How many lines of the output start with `kind` ("post", "reset", "conn") so far. */
int rst_server_count(const rst_server *s, const char *kind);
void rst_server_stop(rst_server *s);

#endif
