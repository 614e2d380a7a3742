/* backend_poll.c - the portable event backend: poll(2), pipes and one helper thread (POSIX only).
 *
 * The reactor waits with poll(2) on the watched sockets and the read end of a notification pipe.
 * That read end is also the descriptor an application polls (modellix_client_backend_fd), which must
 * become readable when a socket is ready; poll(2) has no pollable set (epoll's descriptor, kqueue's),
 * so a watcher thread polls the sockets for it and writes one byte to the pipe when one is ready.
 * The watcher starts the first time the descriptor is asked for: clients driven only by blocking
 * calls never have one. After it has signalled, it waits until the reactor's next wait has run
 * (which handles the readiness) before it polls again, so a ready socket costs one byte, not a spin.
 * Wake-ups (cancellation) write the same pipe, without a lock. */
#include "backend.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mx_backend {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct pollfd *set; /* the watched sockets; guarded by mu (the watcher reads it) */
    size_t n, cap;
    int notify[2];      /* [0]: the application's descriptor; readable = work for the reactor */
    int ctl[2];         /* interrupts the watcher's poll when the set changes or it must stop */
    atomic_int notified; /* a byte is (about to be) in notify: no second one */
    pthread_t th;
    int th_started, th_failed;
    int stop;
    int armed; /* the watcher may poll (set again after each reactor wait) */
    unsigned gen; /* bumped when the set changes */
    int inject;
};

const char *mx_backend_name(void)
{
    return "poll";
}

static int pipe_cloexec_nonblock(int p[2])
{
    if (pipe(p) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (fcntl(p[i], F_SETFD, FD_CLOEXEC) != 0 || fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK) != 0) {
            int err = errno;
            close(p[0]);
            close(p[1]);
            p[0] = p[1] = -1;
            errno = err;
            return -1;
        }
    }
    return 0;
}

static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

static void poke(int fd)
{
    if (write(fd, "x", 1) < 0) {
        /* the pipe is full: it is readable already */
    }
}

static void notify(mx_backend *b)
{
    if (!atomic_exchange(&b->notified, 1))
        poke(b->notify[1]);
}

mx_backend *mx_backend_new(void)
{
    mx_backend *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->notify[0] = b->notify[1] = b->ctl[0] = b->ctl[1] = -1;
    atomic_init(&b->notified, 0);
    if (pthread_mutex_init(&b->mu, NULL) != 0) {
        free(b);
        errno = ENOMEM;
        return NULL;
    }
    if (pthread_cond_init(&b->cv, NULL) != 0) {
        pthread_mutex_destroy(&b->mu);
        free(b);
        errno = ENOMEM;
        return NULL;
    }
    if (pipe_cloexec_nonblock(b->notify) != 0 || pipe_cloexec_nonblock(b->ctl) != 0) {
        int err = errno;
        mx_backend_free(b);
        errno = err;
        return NULL;
    }
    return b;
}

void mx_backend_free(mx_backend *b)
{
    if (!b)
        return;
    if (b->th_started) {
        pthread_mutex_lock(&b->mu);
        b->stop = 1;
        pthread_cond_signal(&b->cv);
        pthread_mutex_unlock(&b->mu);
        poke(b->ctl[1]);
        pthread_join(b->th, NULL);
    }
    for (int i = 0; i < 2; i++) {
        if (b->notify[i] >= 0)
            close(b->notify[i]);
        if (b->ctl[i] >= 0)
            close(b->ctl[i]);
    }
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    free(b->set);
    free(b);
}

/* The watcher must see a changed set: interrupt its poll. Called with mu held. */
static void set_changed(mx_backend *b)
{
    b->gen++;
    if (b->th_started)
        poke(b->ctl[1]);
}

int mx_backend_watch(mx_backend *b, int fd, int what, int known)
{
    (void)known; /* the set is searched either way */
    short ev = (short)((what & MX_EV_IN ? POLLIN : 0) | (what & MX_EV_OUT ? POLLOUT : 0));
    int err = 0;
    pthread_mutex_lock(&b->mu);
    size_t i = 0;
    while (i < b->n && b->set[i].fd != fd)
        i++;
    if (i == b->n) {
        if (b->inject) {
            err = b->inject;
            b->inject = 0;
        } else if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 16;
            struct pollfd *s = realloc(b->set, cap * sizeof *s);
            if (!s)
                err = ENOMEM;
            else {
                b->set = s;
                b->cap = cap;
            }
        }
        if (!err)
            b->set[b->n++].fd = fd;
    }
    if (!err) {
        b->set[i].events = ev;
        b->set[i].revents = 0;
        set_changed(b);
    }
    pthread_mutex_unlock(&b->mu);
    return err;
}

int mx_backend_unwatch(mx_backend *b, int fd)
{
    pthread_mutex_lock(&b->mu);
    for (size_t i = 0; i < b->n; i++)
        if (b->set[i].fd == fd) {
            b->set[i] = b->set[--b->n];
            set_changed(b);
            break;
        }
    pthread_mutex_unlock(&b->mu);
    return 0;
}

/* A copy of the set after `first` (a pipe's read end) at index 0; *n receives the count. */
static struct pollfd *snapshot(mx_backend *b, int first, size_t *n)
{
    struct pollfd *p = malloc((b->n + 1) * sizeof *p);
    if (!p)
        return NULL;
    p[0].fd = first;
    p[0].events = POLLIN;
    p[0].revents = 0;
    if (b->n) /* (set may still be NULL) */
        memcpy(p + 1, b->set, b->n * sizeof *p);
    for (size_t i = 1; i <= b->n; i++)
        p[i].revents = 0;
    *n = b->n + 1;
    return p;
}

static void *watcher(void *arg)
{
    mx_backend *b = arg;
    pthread_mutex_lock(&b->mu);
    while (!b->stop) {
        if (!b->armed) {
            pthread_cond_wait(&b->cv, &b->mu);
            continue;
        }
        size_t n = 0;
        struct pollfd *p = snapshot(b, b->ctl[0], &n);
        unsigned gen = b->gen;
        pthread_mutex_unlock(&b->mu);
        int r = p ? poll(p, (nfds_t)n, -1) : -1;
        pthread_mutex_lock(&b->mu);
        if (!p) {
            /* no memory for the copy: wake the reactor, which polls the set itself */
            b->armed = 0;
            notify(b);
            continue;
        }
        if (r > 0 && p[0].revents)
            drain(b->ctl[0]);
        /* a set changed meanwhile is polled again: what it saw may be of a socket no longer watched */
        for (size_t i = 1; r > 0 && gen == b->gen && i < n; i++)
            if (p[i].revents) {
                b->armed = 0; /* until the reactor's next wait has handled it */
                notify(b);
                break;
            }
        free(p);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

int mx_backend_wait(mx_backend *b, mx_event *evs, int max, int timeout_ms)
{
    pthread_mutex_lock(&b->mu);
    size_t n = 0;
    struct pollfd *p = snapshot(b, b->notify[0], &n);
    pthread_mutex_unlock(&b->mu);
    if (!p) {
        errno = ENOMEM;
        return -1;
    }
    int r = poll(p, (nfds_t)n, timeout_ms);
    int err = errno;
    if (r > 0 && p[0].revents) {
        atomic_store(&b->notified, 0); /* before draining: a byte written after it is not lost */
        drain(b->notify[0]);
    }
    int k = 0;
    for (size_t i = 1; r > 0 && i < n && k < max; i++) {
        short re = p[i].revents;
        if (!re)
            continue;
        evs[k].fd = p[i].fd;
        evs[k].what = (re & POLLIN ? MX_EV_IN : 0) | (re & POLLOUT ? MX_EV_OUT : 0) |
                      (re & (POLLERR | POLLHUP | POLLNVAL) ? MX_EV_ERR : 0);
        k++;
    }
    free(p);
    pthread_mutex_lock(&b->mu);
    if (b->th_started && !b->armed) {
        b->armed = 1;
        pthread_cond_signal(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    if (r < 0) {
        if (err == EINTR)
            return 0;
        errno = err;
        return -1;
    }
    return k;
}

void mx_backend_wake(mx_backend *b)
{
    notify(b);
}

int mx_backend_fd(mx_backend *b)
{
    pthread_mutex_lock(&b->mu);
    if (!b->th_started && !b->th_failed) {
        b->armed = 1;
        if (pthread_create(&b->th, NULL, watcher, b) == 0)
            b->th_started = 1;
        else
            b->th_failed = 1; /* the descriptor then only turns readable on wake-ups */
    }
    pthread_mutex_unlock(&b->mu);
    return b->notify[0];
}

void mx_backend_inject_watch_error(mx_backend *b, int err)
{
    pthread_mutex_lock(&b->mu);
    b->inject = err;
    pthread_mutex_unlock(&b->mu);
}
