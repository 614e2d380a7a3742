/* reactor.c - event backend, timer heap and the curl multi handle's socket and timer callbacks. */
#include "reactor.h"

#include "sockets.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------- */
/* Timer heap (binary min-heap on (due, seq); seq keeps equal deadlines first-in first-out).        */

static int timer_less(const mx_timer *a, const mx_timer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_swap(mx_reactor *x, size_t i, size_t j)
{
    mx_timer *t = x->heap[i];
    x->heap[i] = x->heap[j];
    x->heap[j] = t;
    x->heap[i]->idx = i;
    x->heap[j]->idx = j;
}

static void heap_up(mx_reactor *x, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!timer_less(x->heap[i], x->heap[p]))
            break;
        heap_swap(x, i, p);
        i = p;
    }
}

static void heap_down(mx_reactor *x, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < x->nheap && timer_less(x->heap[l], x->heap[m]))
            m = l;
        if (r < x->nheap && timer_less(x->heap[r], x->heap[m]))
            m = r;
        if (m == i)
            return;
        heap_swap(x, i, m);
        i = m;
    }
}

void mx_timer_init(mx_timer *t, void (*fire)(mx_timer *))
{
    t->due = 0;
    t->seq = 0;
    t->idx = SIZE_MAX;
    t->fire = fire;
}

int mx_timer_armed(const mx_timer *t)
{
    return t->idx != SIZE_MAX;
}

void mx_reactor_disarm(mx_reactor *x, mx_timer *t)
{
    if (t->idx == SIZE_MAX)
        return;
    size_t i = t->idx;
    t->idx = SIZE_MAX;
    x->nheap--;
    if (i == x->nheap)
        return;
    x->heap[i] = x->heap[x->nheap];
    x->heap[i]->idx = i;
    heap_down(x, i);
    heap_up(x, i);
}

int mx_reactor_arm(mx_reactor *x, mx_timer *t, int64_t due)
{
    mx_reactor_disarm(x, t);
    if (x->nheap == x->capheap) {
        size_t cap = x->capheap ? x->capheap * 2 : 64;
        mx_timer **h = realloc(x->heap, cap * sizeof *h);
        if (!h)
            return ENOMEM;
        x->heap = h;
        x->capheap = cap;
    }
    t->due = due;
    t->seq = ++x->seq;
    t->idx = x->nheap;
    x->heap[x->nheap++] = t;
    heap_up(x, t->idx);
    return 0;
}

mx_timer *mx_reactor_first(const mx_reactor *x)
{
    return x->nheap ? x->heap[0] : NULL;
}

/* ---------------------------------------------------------------------------------------------- */
/* curl's callbacks                                                                                 */

/* A socket the backend refused: its transfer would wait for an event that never comes. It is
   reported as failed at the next step (curl's callbacks must not remove transfers themselves). */
static void refuse(mx_reactor *x, CURL *easy, curl_socket_t s, int err)
{
    if (!easy)
        return;
    for (size_t i = 0; i < x->nrefused; i++)
        if (x->refused[i] == easy)
            return;
    if (x->nrefused == x->caprefused) {
        size_t cap = x->caprefused ? x->caprefused * 2 : 4;
        CURL **p = realloc(x->refused, cap * sizeof *p);
        if (!p)
            return; /* the transfer's own time-out still ends it */
        x->refused = p;
        x->caprefused = cap;
    }
    x->refused[x->nrefused++] = easy;
    snprintf(x->refused_why, sizeof x->refused_why, "the %s event backend refused socket %d: %s",
             mx_backend_name(), (int)s, strerror(err));
}

/* curl tells which sockets to watch for what. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    mx_reactor *x = userp;
    if (what == CURL_POLL_REMOVE) { /* curl forgets the socket's assigned pointer itself */
        mx_backend_unwatch(x->be, (int)s); /* a refused removal leaves nothing waiting on it */
        return 0;
    }
    int ev = (what & CURL_POLL_IN ? MX_EV_IN : 0) | (what & CURL_POLL_OUT ? MX_EV_OUT : 0);
    /* a socket this reactor watches carries a non-NULL pointer (curl_multi_assign), so the backend
       knows whether to add it or change it */
    int err = mx_backend_watch(x->be, (int)s, ev, socketp != NULL);
    if (err)
        refuse(x, easy, s, err);
    else if (!socketp)
        (void)curl_multi_assign(x->multi, s, x); /* had it failed: the next change tries an addition
                                                    first, which the backend turns into a change */
    return 0;
}

/* curl's own timer (timeouts, connection steps): -1 deletes it. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    mx_reactor *x = userp;
    (void)multi;
    x->curl_due = timeout_ms < 0 ? -1 : mx_now_ms() + timeout_ms;
    return 0;
}

int mx_reactor_init(mx_reactor *x, mx_done_fn done, void *done_ud)
{
    memset(x, 0, sizeof *x);
    x->curl_due = -1;
    x->done = done;
    x->done_ud = done_ud;
    if (!(x->be = mx_backend_new()))
        return errno ? errno : EIO;
    if (!(x->multi = mx_multi_new())) /* curl_multi_init with its wake-up pair close-on-exec */
        return ENOMEM;
    if (curl_multi_setopt(x->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
        curl_multi_setopt(x->multi, CURLMOPT_SOCKETDATA, x) != CURLM_OK ||
        curl_multi_setopt(x->multi, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
        curl_multi_setopt(x->multi, CURLMOPT_TIMERDATA, x) != CURLM_OK)
        return EINVAL;
    return 0;
}

void mx_reactor_cleanup(mx_reactor *x)
{
    if (x->multi)
        curl_multi_cleanup(x->multi);
    mx_backend_free(x->be);
    free(x->heap);
    free(x->refused);
    memset(x, 0, sizeof *x);
    x->curl_due = -1;
}

CURLMcode mx_reactor_add(mx_reactor *x, CURL *easy)
{
    return curl_multi_add_handle(x->multi, easy);
}

void mx_reactor_remove(mx_reactor *x, CURL *easy)
{
    for (size_t i = 0; i < x->nrefused; i++)
        if (x->refused[i] == easy) {
            x->refused[i] = x->refused[--x->nrefused];
            break;
        }
    CURLMcode rc = curl_multi_remove_handle(x->multi, easy);
    if (rc != CURLM_OK && x->mcode == CURLM_OK)
        x->mcode = rc;
}

CURLMcode mx_reactor_take_error(mx_reactor *x)
{
    CURLMcode rc = x->mcode;
    x->mcode = CURLM_OK;
    return rc;
}

void mx_reactor_wake(mx_reactor *x)
{
    if (x->be)
        mx_backend_wake(x->be);
}

int mx_reactor_fd(mx_reactor *x)
{
    return x->be ? mx_backend_fd(x->be) : -1;
}

int64_t mx_reactor_timeout(const mx_reactor *x, int64_t now)
{
    if (x->nrefused)
        return 0;
    int64_t due = x->curl_due;
    if (x->nheap && (due < 0 || x->heap[0]->due < due))
        due = x->heap[0]->due;
    if (due < 0)
        return -1;
    return due > now ? due - now : 0;
}

static void drive(mx_reactor *x, curl_socket_t s, int flags)
{
    int running = 0;
    x->drives++;
    CURLMcode rc = curl_multi_socket_action(x->multi, s, flags, &running);
    if (rc != CURLM_OK && rc != CURLM_BAD_SOCKET && x->mcode == CURLM_OK)
        x->mcode = rc;
}

static void drain_completions(mx_reactor *x)
{
    CURLMsg *m;
    int q;
    while ((m = curl_multi_info_read(x->multi, &q))) {
        if (m->msg == CURLMSG_DONE)
            x->done(x->done_ud, m->easy_handle, m->data.result, NULL);
    }
    /* the callback removes each one, which takes it off the list */
    while (x->nrefused) {
        CURL *easy = x->refused[0];
        x->done(x->done_ud, easy, CURLE_SEND_ERROR, x->refused_why);
        if (x->nrefused && x->refused[0] == easy)
            mx_reactor_remove(x, easy); /* the callback left it: take it out anyway */
    }
}

static void curl_timeout_if_due(mx_reactor *x)
{
    if (x->curl_due >= 0 && x->curl_due <= mx_now_ms()) {
        x->curl_due = -1;
        drive(x, CURL_SOCKET_TIMEOUT, 0);
        drain_completions(x);
    }
}

void mx_reactor_step(mx_reactor *x, int wait_ms)
{
    mx_event evs[64];
    if (x->nrefused)
        wait_ms = 0;
    int n = mx_backend_wait(x->be, evs, 64, wait_ms);
    for (int i = 0; i < n; i++) {
        int flags = (evs[i].what & MX_EV_IN ? CURL_CSELECT_IN : 0) | (evs[i].what & MX_EV_OUT ? CURL_CSELECT_OUT : 0) |
                    (evs[i].what & MX_EV_ERR ? CURL_CSELECT_ERR : 0);
        drive(x, evs[i].fd, flags);
    }
    curl_timeout_if_due(x);
    drain_completions(x);
    int64_t now = mx_now_ms();
    while (x->nheap && x->heap[0]->due <= now) {
        mx_timer *t = x->heap[0];
        mx_reactor_disarm(x, t);
        t->fire(t);
    }
    /* a timer may have added transfers: let curl start them at once */
    curl_timeout_if_due(x);
}
