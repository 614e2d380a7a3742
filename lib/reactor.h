/* reactor.h - the event loop under every exchange: an event backend (backend.h), a timer heap, and a
 * curl multi handle driven through its socket and timer callbacks.
 *
 * It knows nothing of clients, tasks or money: it runs transfers it is given and reports each one's
 * end (and the socket failures curl cannot see) through one callback, and fires timers when due. */
#ifndef MODELLIX_REACTOR_H
#define MODELLIX_REACTOR_H

#include "backend.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

/* A timer in the reactor's heap. `fire` runs inside mx_reactor_step when `due` (monotonic ms) has
   passed. Timers due at the same time fire in the order they were armed. */
typedef struct mx_timer {
    int64_t due;
    uint64_t seq;
    size_t idx; /* position in the heap; SIZE_MAX when not armed */
    void (*fire)(struct mx_timer *t);
} mx_timer;

/* A transfer ended: res is curl's result, or, when curl never saw a failure (the backend refused
   the transfer's socket), CURLE_SEND_ERROR with `why` describing it; why is NULL otherwise. The
   easy handle is still in the multi: the callback removes it (mx_reactor_remove). */
typedef void (*mx_done_fn)(void *ud, CURL *easy, CURLcode res, const char *why);

typedef struct mx_reactor {
    CURLM *multi;
    mx_backend *be;
    int64_t curl_due; /* when curl wants its timeout action; -1 none */
    mx_timer **heap;
    size_t nheap, capheap;
    uint64_t seq;
    uint64_t drives; /* how many times curl was driven (socket actions): an attempt added since the
                        last one has provably sent nothing yet */
    mx_done_fn done;
    void *done_ud;
    CURL **refused;  /* transfers whose socket the backend refused, reported at the next step */
    size_t nrefused, caprefused;
    char refused_why[128];
    CURLMcode mcode; /* the first failure a curl_multi_* call reported since mx_reactor_take_error */
} mx_reactor;

void mx_timer_init(mx_timer *t, void (*fire)(mx_timer *));
int mx_timer_armed(const mx_timer *t);
/* Arm (or re-arm) t at due. Returns 0, or ENOMEM (the timer is then not armed). */
int mx_reactor_arm(mx_reactor *x, mx_timer *t, int64_t due);
void mx_reactor_disarm(mx_reactor *x, mx_timer *t);
/* The earliest armed timer, or NULL. */
mx_timer *mx_reactor_first(const mx_reactor *x);

/* Returns 0, or an errno value (ENOMEM when curl could not make its multi handle). */
int mx_reactor_init(mx_reactor *x, mx_done_fn done, void *done_ud);
void mx_reactor_cleanup(mx_reactor *x);

/* Add a configured transfer; returns curl's code. The end is reported through the done callback. */
CURLMcode mx_reactor_add(mx_reactor *x, CURL *easy);
/* Take a transfer out (ended or not). */
void mx_reactor_remove(mx_reactor *x, CURL *easy);

/* The first failure a curl_multi_* call (socket action, removal) reported since the last call, and
   forget it; CURLM_OK if none. Events for a socket curl has already let go (CURLM_BAD_SOCKET) are not
   failures. */
CURLMcode mx_reactor_take_error(mx_reactor *x);

/* Wake a blocked step (any thread). */
void mx_reactor_wake(mx_reactor *x);
/* The descriptor an application polls (see mx_backend_fd). */
int mx_reactor_fd(mx_reactor *x);
/* Milliseconds until the reactor has timed work (0 = now, -1 = none). */
int64_t mx_reactor_timeout(const mx_reactor *x, int64_t now);
/* Wait at most wait_ms for socket activity, then do all ready work: I/O, completions, timers. */
void mx_reactor_step(mx_reactor *x, int wait_ms);

#endif
