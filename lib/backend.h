/* backend.h - the event backend: a set of sockets to watch, a wait, a wake-up from any thread, and
 * one descriptor an application can poll. Two implementations, chosen at build time (meson option
 * event_backend): backend_epoll.c (Linux) and backend_poll.c (poll(2) and pipes, any POSIX system).
 *
 * Knows nothing of curl, clients or exchanges. Every call but mx_backend_wake and mx_backend_fd is
 * made from the thread driving the reactor. */
#ifndef MODELLIX_BACKEND_H
#define MODELLIX_BACKEND_H

enum { MX_EV_IN = 1, MX_EV_OUT = 2, MX_EV_ERR = 4 };

typedef struct mx_event {
    int fd;
    int what; /* MX_EV_* */
} mx_event;

typedef struct mx_backend mx_backend;

/* "epoll" or "poll". */
const char *mx_backend_name(void);

/* A new backend, or NULL with errno set. Its descriptors are close-on-exec. */
mx_backend *mx_backend_new(void);
void mx_backend_free(mx_backend *b);

/* Watch fd for `what` (MX_EV_IN and/or MX_EV_OUT), replacing what it was watched for. `known` is a
   hint: 1 when the caller watched fd before and has not unwatched it since (the backend then tries a
   change first, else an addition first; a wrong hint costs one more system call, never a wrong
   set). Returns 0 or an errno value (the fd is then not watched). */
int mx_backend_watch(mx_backend *b, int fd, int what, int known);
/* Stop watching fd (closed descriptors included). Returns 0 or an errno value. */
int mx_backend_unwatch(mx_backend *b, int fd);

/* Wait at most timeout_ms (-1 = no limit) for readiness or a wake-up, then report up to max ready
   sockets in evs. Returns how many (0 on time-out or wake-up), or -1 with errno on failure. */
int mx_backend_wait(mx_backend *b, mx_event *evs, int max, int timeout_ms);

/* Make a wait in progress (or the next one) return at once, and the descriptor readable. Any thread;
   takes no lock. */
void mx_backend_wake(mx_backend *b);

/* A descriptor that becomes readable when a watched socket is ready or the backend was woken: what
   modellix_client_backend_fd() gives an application to poll. Stays valid until mx_backend_free. */
int mx_backend_fd(mx_backend *b);

/* Tests only: make the next mx_backend_watch of a descriptor not yet watched fail with err. */
void mx_backend_inject_watch_error(mx_backend *b, int err);

#endif
