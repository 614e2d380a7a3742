/* latency_proxy.c - see latency_proxy.h. One thread, one poll() loop: each connection pair has a
 * queue of chunks per direction, each with the time it may leave; the loop sleeps until the next
 * chunk is due or a socket is ready. A side that closes is closed on the other side once its
 * queued chunks have left. */
#define _GNU_SOURCE 1
#include "latency_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LP_MAX_PAIRS 512
#define LP_CHUNK 65536

typedef struct chunk {
    struct chunk *next;
    int64_t due;
    size_t len, off;
    char data[];
} chunk;

typedef struct side {
    int fd;
    int eof;               /* read 0: nothing more comes from it */
    chunk *head, *tail;    /* what it sent, waiting to be written to the other side */
} side;

typedef struct pair {
    side s[2]; /* 0: the client, 1: the server */
    int used;
    int64_t open_at; /* when the client's first bytes may leave: a TCP handshake's round trip later */
} pair;

struct lp_proxy {
    int lfd, wake[2];
    uint16_t port, target;
    int delay_ms;
    atomic_llong conns;
    atomic_int stop;
    pthread_t th;
    pair pairs[LP_MAX_PAIRS];
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_target(uint16_t port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) != 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(s, F_SETFL, O_NONBLOCK);
    return s;
}

static void close_pair(pair *p)
{
    for (int i = 0; i < 2; i++) {
        if (p->s[i].fd >= 0)
            close(p->s[i].fd);
        while (p->s[i].head) {
            chunk *c = p->s[i].head;
            p->s[i].head = c->next;
            free(c);
        }
        p->s[i].fd = -1;
        p->s[i].tail = NULL;
        p->s[i].eof = 0;
    }
    p->used = 0;
}

static void accept_one(lp_proxy *x)
{
    int c = accept4(x->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0)
        return;
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int s = connect_target(x->target);
    pair *p = NULL;
    for (int i = 0; i < LP_MAX_PAIRS && !p; i++)
        if (!x->pairs[i].used)
            p = &x->pairs[i];
    if (s < 0 || !p) {
        close(c);
        if (s >= 0)
            close(s);
        return;
    }
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->s[0].fd = c;
    p->s[1].fd = s;
    p->open_at = now_ms() + 2 * (int64_t)x->delay_ms;
    atomic_fetch_add(&x->conns, 1);
}

/* Read what side i has, queued to leave delay_ms from now. */
static int read_side(lp_proxy *x, pair *p, int i)
{
    chunk *c = malloc(sizeof *c + LP_CHUNK);
    if (!c)
        return -1;
    ssize_t n = read(p->s[i].fd, c->data, LP_CHUNK);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        free(c);
        return 0;
    }
    if (n <= 0) {
        free(c);
        p->s[i].eof = 1;
        return 0;
    }
    c->next = NULL;
    c->len = (size_t)n;
    c->off = 0;
    int64_t from = now_ms();
    if (i == 0 && from < p->open_at)
        from = p->open_at; /* the connection is not up yet on a real link */
    c->due = from + x->delay_ms;
    if (p->s[i].tail)
        p->s[i].tail->next = c;
    else
        p->s[i].head = c;
    p->s[i].tail = c;
    return 0;
}

/* Write side i's due chunks to the other side. -1 when the pair is finished. */
static int flush_side(pair *p, int i, int64_t now)
{
    side *from = &p->s[i];
    int to = p->s[1 - i].fd;
    while (from->head && from->head->due <= now) {
        chunk *c = from->head;
        ssize_t w = write(to, c->data + c->off, c->len - c->off);
        if (w < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (w <= 0)
            return -1;
        c->off += (size_t)w;
        if (c->off < c->len)
            return 0;
        from->head = c->next;
        if (!from->head)
            from->tail = NULL;
        free(c);
    }
    if (from->eof && !from->head)
        return -1; /* everything it sent has left: close both */
    return 0;
}

static void *run(void *arg)
{
    lp_proxy *x = arg;
    struct pollfd fds[2 + 2 * LP_MAX_PAIRS];
    int owner[2 + 2 * LP_MAX_PAIRS];
    while (!atomic_load(&x->stop)) {
        int64_t now = now_ms(), next = -1;
        size_t n = 0;
        fds[n++] = (struct pollfd){x->lfd, POLLIN, 0};
        fds[n++] = (struct pollfd){x->wake[0], POLLIN, 0};
        for (int k = 0; k < LP_MAX_PAIRS; k++) {
            pair *p = &x->pairs[k];
            if (!p->used)
                continue;
            for (int i = 0; i < 2; i++) {
                short ev = p->s[i].eof ? 0 : POLLIN;
                chunk *h = p->s[1 - i].head; /* what waits to be written to side i */
                if (h && h->due <= now)
                    ev |= POLLOUT;
                if (h && h->due > now && (next < 0 || h->due < next))
                    next = h->due;
                owner[n] = k * 2 + i;
                fds[n++] = (struct pollfd){p->s[i].fd, ev, 0};
            }
        }
        int timeout = next < 0 ? 1000 : (int)(next - now);
        if (poll(fds, n, timeout) < 0 && errno != EINTR)
            break;
        if (fds[0].revents & POLLIN)
            accept_one(x);
        for (size_t j = 2; j < n; j++) {
            pair *p = &x->pairs[owner[j] / 2];
            int i = owner[j] % 2;
            if (p->used && (fds[j].revents & (POLLIN | POLLHUP | POLLERR)) && !p->s[i].eof)
                read_side(x, p, i);
        }
        now = now_ms();
        for (int k = 0; k < LP_MAX_PAIRS; k++) {
            pair *p = &x->pairs[k];
            if (p->used && (flush_side(p, 0, now) < 0 || flush_side(p, 1, now) < 0))
                close_pair(p);
        }
    }
    return NULL;
}

lp_proxy *lp_start(uint16_t target_port, int delay_ms)
{
    lp_proxy *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    for (int k = 0; k < LP_MAX_PAIRS; k++)
        x->pairs[k].s[0].fd = x->pairs[k].s[1].fd = -1;
    x->target = target_port;
    x->delay_ms = delay_ms;
    x->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    if (x->lfd < 0 || pipe2(x->wake, O_CLOEXEC) != 0 || bind(x->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
        listen(x->lfd, 256) != 0 || getsockname(x->lfd, (struct sockaddr *)&a, &l) != 0) {
        free(x);
        return NULL;
    }
    x->port = ntohs(a.sin_port);
    if (pthread_create(&x->th, NULL, run, x) != 0) {
        close(x->lfd);
        free(x);
        return NULL;
    }
    return x;
}

uint16_t lp_port(const lp_proxy *p)
{
    return p->port;
}

int64_t lp_connections(const lp_proxy *p)
{
    return atomic_load(&((lp_proxy *)p)->conns);
}

void lp_stop(lp_proxy *x)
{
    if (!x)
        return;
    atomic_store(&x->stop, 1);
    if (write(x->wake[1], "x", 1) < 0) {
        /* the loop wakes within a second anyway */
    }
    pthread_join(x->th, NULL);
    for (int k = 0; k < LP_MAX_PAIRS; k++)
        if (x->pairs[k].used)
            close_pair(&x->pairs[k]);
    close(x->lfd);
    close(x->wake[0]);
    close(x->wake[1]);
    free(x);
}
