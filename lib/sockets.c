/* sockets.c - close-on-exec descriptors for libcurl's connections and its multi handle's wake-up
 * pair (libcurl 7.88 opens both without the flag). */
#include "sockets.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>

curl_socket_t mx_socket_for(const struct curl_sockaddr *a)
{
    int s = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    return s < 0 ? CURL_SOCKET_BAD : s;
}

curl_socket_t mx_open_socket(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)ctx;
    (void)purpose;
    return mx_socket_for(a);
}

typedef struct fdset {
    int *fd;
    size_t n, cap;
} fdset;

/* The open descriptors (the directory's own excluded); 0, or -1 if they cannot be listed. */
static int list_fds(fdset *s)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int self = dirfd(d), rc = 0;
    struct dirent *e;
    s->n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        int fd = atoi(e->d_name);
        if (fd == self)
            continue;
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 64;
            int *p = realloc(s->fd, cap * sizeof *p);
            if (!p) {
                rc = -1;
                break;
            }
            s->fd = p;
            s->cap = cap;
        }
        s->fd[s->n++] = fd;
    }
    closedir(d);
    return rc;
}

static int has_fd(const fdset *s, int fd)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->fd[i] == fd)
            return 1;
    return 0;
}

static int unix_stream(int fd)
{
    struct sockaddr_storage a;
    int type = 0;
    socklen_t l1 = sizeof a, l2 = sizeof type;
    return getsockname(fd, (struct sockaddr *)&a, &l1) == 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l2) == 0 &&
           a.ss_family == AF_UNIX && type == SOCK_STREAM;
}

CURLM *mx_multi_new(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (v->version_num >= 0x080800) /* 8.8.0 opens the pair close-on-exec itself */
        return curl_multi_init();
    fdset before = {0}, after = {0};
    int listed = list_fds(&before) == 0;
    CURLM *m = curl_multi_init();
    if (m && listed && list_fds(&after) == 0) {
        int pair[2], n = 0;
        for (size_t i = 0; i < after.n; i++) {
            int fd = after.fd[i];
            if (!has_fd(&before, fd) && unix_stream(fd)) {
                if (n < 2)
                    pair[n] = fd;
                n++;
            }
        }
        for (int i = 0; n == 2 && i < 2; i++) {
            int fl = fcntl(pair[i], F_GETFD);
            if (fl >= 0 && !(fl & FD_CLOEXEC))
                fcntl(pair[i], F_SETFD, fl | FD_CLOEXEC);
        }
    }
    free(before.fd);
    free(after.fd);
    return m;
}
