/* backend_epoll.c - the event backend on Linux: an epoll set (itself pollable, so it is the
 * application's descriptor) and an eventfd for wake-ups. */
#include "backend.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct mx_backend {
    int epfd;
    int wakefd;
    int inject; /* errno for the next new watch (tests) */
};

const char *mx_backend_name(void)
{
    return "epoll";
}

mx_backend *mx_backend_new(void)
{
    mx_backend *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    b->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {0};
    ev.events = EPOLLIN;
    ev.data.fd = b->wakefd;
    if (b->epfd < 0 || b->wakefd < 0 || epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->wakefd, &ev) != 0) {
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
    if (b->epfd >= 0)
        close(b->epfd);
    if (b->wakefd >= 0)
        close(b->wakefd);
    free(b);
}

int mx_backend_watch(mx_backend *b, int fd, int what, int known)
{
    struct epoll_event ev = {0};
    ev.events = (what & MX_EV_IN ? EPOLLIN : 0u) | (what & MX_EV_OUT ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    if (known) {
        if (epoll_ctl(b->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
            return 0;
        if (errno != ENOENT)
            return errno;
    }
    if (b->inject) {
        int err = b->inject;
        b->inject = 0;
        return err;
    }
    if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
        return 0;
    if (known || errno != EEXIST)
        return errno;
    return epoll_ctl(b->epfd, EPOLL_CTL_MOD, fd, &ev) == 0 ? 0 : errno;
}

int mx_backend_unwatch(mx_backend *b, int fd)
{
    /* curl may report a socket it already closed: the kernel then dropped it from the set itself */
    if (epoll_ctl(b->epfd, EPOLL_CTL_DEL, fd, NULL) == 0 || errno == ENOENT || errno == EBADF)
        return 0;
    return errno;
}

int mx_backend_wait(mx_backend *b, mx_event *evs, int max, int timeout_ms)
{
    struct epoll_event raw[64];
    if (max > 64)
        max = 64;
    int n = epoll_wait(b->epfd, raw, max, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (raw[i].data.fd == b->wakefd) {
            uint64_t v;
            while (read(b->wakefd, &v, sizeof v) > 0) {
            }
            continue;
        }
        evs[k].fd = raw[i].data.fd;
        evs[k].what = (raw[i].events & EPOLLIN ? MX_EV_IN : 0) | (raw[i].events & EPOLLOUT ? MX_EV_OUT : 0) |
                      (raw[i].events & (EPOLLERR | EPOLLHUP) ? MX_EV_ERR : 0);
        k++;
    }
    return k;
}

void mx_backend_wake(mx_backend *b)
{
    uint64_t one = 1;
    if (write(b->wakefd, &one, sizeof one) < 0) {
        /* the counter is saturated: the backend is already due to wake */
    }
}

int mx_backend_fd(mx_backend *b)
{
    return b->epfd;
}

void mx_backend_inject_watch_error(mx_backend *b, int err)
{
    b->inject = err;
}
