/* tcp_relay.c - see tcp_relay.h. One thread polls the listener, a command pipe and every pair of
 * sockets; a chunk read from one side is written whole to the other (blocking; loopback). */
#include "tcp_relay.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { MAX_PAIRS = 64 };

struct tcp_relay {
    int lfd;
    int cmd[2];  /* test thread -> relay: 'r' = reset all, 'q' = quit */
    int done[2]; /* relay -> test thread: one int, connections cut */
    uint16_t port, target;
    pthread_t thread;
    pthread_mutex_t mu;
    int64_t accepted;
    int client[MAX_PAIRS], upstream[MAX_PAIRS]; /* -1 = free slot */
};

static int connect_target(uint16_t port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        close(s);
        s = -1;
    }
    return s;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static void close_pair(tcp_relay *r, int i, int reset)
{
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(r->client[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(r->client[i]);
    close(r->upstream[i]);
    r->client[i] = r->upstream[i] = -1;
}

static void *relay_main(void *ud)
{
    tcp_relay *r = ud;
    struct pollfd pf[2 + 2 * MAX_PAIRS];
    int slot[2 + 2 * MAX_PAIRS];
    char buf[16384];
    for (;;) {
        int n = 0;
        pf[n++] = (struct pollfd){.fd = r->lfd, .events = POLLIN};
        pf[n++] = (struct pollfd){.fd = r->cmd[0], .events = POLLIN};
        for (int i = 0; i < MAX_PAIRS; i++) {
            if (r->client[i] < 0)
                continue;
            slot[n] = i;
            pf[n++] = (struct pollfd){.fd = r->client[i], .events = POLLIN};
            slot[n] = i;
            pf[n++] = (struct pollfd){.fd = r->upstream[i], .events = POLLIN};
        }
        if (poll(pf, (nfds_t)n, -1) < 0)
            continue;
        if (pf[1].revents) {
            char c = 'q';
            if (read(r->cmd[0], &c, 1) != 1 || c == 'q')
                break;
            int cut = 0;
            for (int i = 0; i < MAX_PAIRS; i++)
                if (r->client[i] >= 0) {
                    close_pair(r, i, 1);
                    cut++;
                }
            if (write(r->done[1], &cut, sizeof cut) != (ssize_t)sizeof cut)
                break;
            continue; /* the poll set is stale */
        }
        if (pf[0].revents) {
            int c = accept(r->lfd, NULL, NULL);
            int u = c >= 0 ? connect_target(r->target) : -1;
            int i = 0;
            while (i < MAX_PAIRS && r->client[i] >= 0)
                i++;
            if (c >= 0 && u >= 0 && i < MAX_PAIRS) {
                r->client[i] = c;
                r->upstream[i] = u;
                pthread_mutex_lock(&r->mu);
                r->accepted++;
                pthread_mutex_unlock(&r->mu);
            } else {
                if (c >= 0)
                    close(c);
                if (u >= 0)
                    close(u);
            }
        }
        for (int k = 2; k < n; k++) {
            int i = slot[k];
            if (!pf[k].revents || r->client[i] < 0)
                continue;
            int from = pf[k].fd, to = from == r->client[i] ? r->upstream[i] : r->client[i];
            ssize_t got = read(from, buf, sizeof buf);
            if (got <= 0 || write_all(to, buf, (size_t)got) != 0)
                close_pair(r, i, 0);
        }
    }
    return NULL;
}

tcp_relay *tcp_relay_start(uint16_t target_port)
{
    tcp_relay *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    for (int i = 0; i < MAX_PAIRS; i++)
        r->client[i] = r->upstream[i] = -1;
    r->target = target_port;
    r->cmd[0] = r->cmd[1] = r->done[0] = r->done[1] = -1;
    pthread_mutex_init(&r->mu, NULL);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    r->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (r->lfd < 0 || bind(r->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(r->lfd, 64) != 0 ||
        getsockname(r->lfd, (struct sockaddr *)&a, &l) != 0 || pipe(r->cmd) != 0 || pipe(r->done) != 0 ||
        pthread_create(&r->thread, NULL, relay_main, r) != 0) {
        int fds[] = {r->lfd, r->cmd[0], r->cmd[1], r->done[0], r->done[1]};
        for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        pthread_mutex_destroy(&r->mu);
        free(r);
        return NULL;
    }
    r->port = ntohs(a.sin_port);
    return r;
}

uint16_t tcp_relay_port(const tcp_relay *r)
{
    return r->port;
}

int64_t tcp_relay_connections(tcp_relay *r)
{
    pthread_mutex_lock(&r->mu);
    int64_t n = r->accepted;
    pthread_mutex_unlock(&r->mu);
    return n;
}

int tcp_relay_reset_all(tcp_relay *r)
{
    int cut = -1;
    if (write(r->cmd[1], "r", 1) != 1 || read(r->done[0], &cut, sizeof cut) != (ssize_t)sizeof cut)
        return -1;
    return cut;
}

void tcp_relay_stop(tcp_relay *r)
{
    if (!r)
        return;
    if (write(r->cmd[1], "q", 1) == 1)
        pthread_join(r->thread, NULL);
    for (int i = 0; i < MAX_PAIRS; i++)
        if (r->client[i] >= 0)
            close_pair(r, i, 0);
    close(r->lfd);
    close(r->cmd[0]);
    close(r->cmd[1]);
    close(r->done[0]);
    close(r->done[1]);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
