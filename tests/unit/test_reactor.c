/* Unit tests of the reactor (lib/reactor.c) and the connection gate (lib/gate.h): timer order
 * (ties, re-arming, disarming, many timers), the gate's first-come first-served line, its limit and
 * a deadline that ends a wait, and a socket the event backend refuses. No client is involved. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gate.h"
#include "reactor.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Timers that record the order they fired in. */
typedef struct rec_timer {
    mx_timer t;
    int id;
} rec_timer;

static int fired[4096];
static size_t nfired;

static void rec_fire(mx_timer *t)
{
    fired[nfired++] = MX_CONTAINER(t, rec_timer, t)->id;
}

static void no_done(void *ud, CURL *easy, CURLcode res, const char *why)
{
    (void)ud, (void)easy, (void)res, (void)why;
    fail_msg("no transfer was started");
}

static void setup_reactor(mx_reactor *x)
{
    assert_int_equal(mx_reactor_init(x, no_done, NULL), 0);
    nfired = 0;
}

static void test_timer_order_and_ties(void **state)
{
    (void)state;
    mx_reactor x;
    setup_reactor(&x);
    rec_timer t[6];
    for (int i = 0; i < 6; i++) {
        mx_timer_init(&t[i].t, rec_fire);
        t[i].id = i;
        assert_false(mx_timer_armed(&t[i].t));
    }
    int64_t now = mx_now_ms();
    /* due times out of order, with ties at now-10 (armed as 1, 3, 5) */
    assert_int_equal(mx_reactor_arm(&x, &t[0].t, now - 5), 0);
    assert_int_equal(mx_reactor_arm(&x, &t[1].t, now - 10), 0);
    assert_int_equal(mx_reactor_arm(&x, &t[2].t, now - 20), 0);
    assert_int_equal(mx_reactor_arm(&x, &t[3].t, now - 10), 0);
    assert_int_equal(mx_reactor_arm(&x, &t[4].t, now + 60000), 0);
    assert_int_equal(mx_reactor_arm(&x, &t[5].t, now - 10), 0);
    assert_ptr_equal(mx_reactor_first(&x), &t[2].t);
    /* re-arming 1 at the same time puts it after the other ties */
    assert_int_equal(mx_reactor_arm(&x, &t[1].t, now - 10), 0);
    /* disarming 0 means it never fires; disarming twice is harmless */
    mx_reactor_disarm(&x, &t[0].t);
    mx_reactor_disarm(&x, &t[0].t);
    assert_false(mx_timer_armed(&t[0].t));
    assert_int_equal(x.nheap, 5);
    /* the earliest pending timer decides the time-out: 0 now */
    assert_int_equal(mx_reactor_timeout(&x, mx_now_ms()), 0);
    mx_reactor_step(&x, 0);
    int want[] = {2, 3, 5, 1};
    assert_int_equal(nfired, 4);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(fired[i], want[i]);
    assert_true(mx_timer_armed(&t[4].t));
    int64_t left = mx_reactor_timeout(&x, mx_now_ms());
    assert_true(left > 59000 && left <= 60000);
    mx_reactor_disarm(&x, &t[4].t);
    assert_int_equal(mx_reactor_timeout(&x, mx_now_ms()), -1);
    mx_reactor_cleanup(&x);
}

static void test_many_timers(void **state)
{
    (void)state;
    mx_reactor x;
    setup_reactor(&x);
    enum { N = 3000 };
    rec_timer *t = calloc(N, sizeof *t);
    int64_t *due = calloc(N, sizeof *due);
    int *live = calloc(N, sizeof *live);
    uint64_t *order = calloc(N, sizeof *order);
    assert_non_null(t);
    int64_t base = mx_now_ms() - 100000;
    unsigned seed = 12345;
    uint64_t armed_seq = 0;
    for (int i = 0; i < N; i++) {
        mx_timer_init(&t[i].t, rec_fire);
        t[i].id = i;
        seed = seed * 1103515245u + 12345u;
        due[i] = base + (int64_t)((seed >> 8) % 50); /* many ties */
        assert_int_equal(mx_reactor_arm(&x, &t[i].t, due[i]), 0);
        order[i] = ++armed_seq;
        live[i] = 1;
    }
    /* re-arm every 7th at a new time (it goes after its new ties), disarm every 5th */
    for (int i = 0; i < N; i += 7) {
        due[i] = base + (i % 50);
        assert_int_equal(mx_reactor_arm(&x, &t[i].t, due[i]), 0);
        order[i] = ++armed_seq;
    }
    for (int i = 0; i < N; i += 5) {
        mx_reactor_disarm(&x, &t[i].t);
        live[i] = 0;
    }
    size_t nlive = 0;
    for (int i = 0; i < N; i++)
        nlive += (size_t)live[i];
    assert_int_equal(x.nheap, nlive);
    mx_reactor_step(&x, 0);
    assert_int_equal(nfired, nlive);
    for (size_t k = 0; k < nfired; k++) {
        int i = fired[k];
        assert_true(live[i]);
        live[i] = 2; /* fired once */
        if (k > 0) {
            int p = fired[k - 1];
            assert_true(due[p] < due[i] || (due[p] == due[i] && order[p] < order[i]));
        }
    }
    assert_int_equal(x.nheap, 0);
    mx_reactor_cleanup(&x);
    free(t);
    free(due);
    free(live);
    free(order);
}

/* ---------------------------------------------------------------------------------------------- */
/* The gate                                                                                         */

typedef struct waiter {
    mx_link link;
    mx_timer deadline;
    mx_gate *g;
    int id;
    int timed_out;
} waiter;

static void deadline_fire(mx_timer *t)
{
    waiter *w = MX_CONTAINER(t, waiter, deadline);
    w->timed_out = mx_gate_unqueue(w->g, &w->link);
}

static int next_id(mx_gate *g)
{
    mx_link *k = mx_gate_next(g);
    return k ? MX_CONTAINER(k, waiter, link)->id : -1;
}

static void test_gate_fifo_and_limit(void **state)
{
    (void)state;
    mx_gate g;
    mx_gate_init(&g, 2);
    waiter w[6];
    memset(w, 0, sizeof w);
    for (int i = 0; i < 6; i++)
        w[i].id = i;
    /* two enter at once, the third finds the gate full */
    assert_true(mx_gate_may_enter(&g, 0));
    mx_gate_enter(&g);
    assert_true(mx_gate_may_enter(&g, 0));
    mx_gate_enter(&g);
    assert_false(mx_gate_may_enter(&g, 0));
    assert_false(mx_gate_may_enter(&g, 1)); /* the limit holds even for the head of the line */
    for (int i = 0; i < 5; i++)
        mx_gate_queue(&g, &w[i].link);
    assert_false(mx_gate_open(&g));
    assert_int_equal(next_id(&g), -1); /* full: nobody is let in */
    mx_gate_leave(&g);
    /* a slot is free, but a newcomer must not overtake the line; the head may enter */
    assert_false(mx_gate_may_enter(&g, 0));
    assert_true(mx_gate_open(&g));
    assert_int_equal(next_id(&g), 0);
    assert_true(mx_gate_may_enter(&g, 1));
    mx_gate_enter(&g);
    assert_int_equal(next_id(&g), -1);
    /* one in the middle leaves the line (its deadline); the order of the rest holds */
    assert_true(mx_gate_unqueue(&g, &w[2].link));
    assert_false(mx_gate_unqueue(&g, &w[2].link));
    mx_gate_leave(&g);
    mx_gate_leave(&g);
    assert_int_equal(next_id(&g), 1);
    mx_gate_enter(&g);
    assert_int_equal(next_id(&g), 3);
    mx_gate_enter(&g);
    assert_int_equal(next_id(&g), -1);
    mx_gate_leave(&g);
    mx_gate_queue(&g, &w[5].link);
    assert_int_equal(next_id(&g), 4);
    mx_gate_enter(&g);
    mx_gate_leave(&g);
    assert_int_equal(next_id(&g), 5);
    assert_int_equal(g.waiting.n, 0);
    assert_true(mx_gate_may_enter(&g, 0));
}

/* Waiters whose deadline comes while the gate is full leave the line at their deadline, in deadline
   order, and not before; the others keep their places. */
static void test_gate_deadline_while_waiting(void **state)
{
    (void)state;
    mx_reactor x;
    setup_reactor(&x);
    mx_gate g;
    mx_gate_init(&g, 1);
    mx_gate_enter(&g); /* the only slot is taken for the whole test */
    waiter w[4];
    memset(w, 0, sizeof w);
    int64_t t0 = mx_now_ms();
    int64_t deadlines[4] = {t0 + 60000, t0 + 80, t0 + 60000, t0 + 40};
    for (int i = 0; i < 4; i++) {
        w[i].id = i;
        w[i].g = &g;
        mx_timer_init(&w[i].deadline, deadline_fire);
        mx_gate_queue(&g, &w[i].link);
        assert_int_equal(mx_reactor_arm(&x, &w[i].deadline, deadlines[i]), 0);
    }
    int64_t left = mx_reactor_timeout(&x, mx_now_ms());
    assert_true(left > 0 && left <= 40);
    int64_t ended[4] = {0};
    while (mx_now_ms() < t0 + 200) {
        int64_t tmo = mx_reactor_timeout(&x, mx_now_ms());
        mx_reactor_step(&x, tmo < 0 || tmo > 20 ? 20 : (int)tmo);
        for (int i = 0; i < 4; i++)
            if (w[i].timed_out && !ended[i])
                ended[i] = mx_now_ms();
    }
    assert_true(w[3].timed_out && w[1].timed_out);
    assert_false(w[0].timed_out || w[2].timed_out);
    assert_true(ended[3] >= t0 + 40 && ended[3] < t0 + 40 + 30);
    assert_true(ended[1] >= t0 + 80 && ended[1] < t0 + 80 + 30);
    assert_int_equal(g.waiting.n, 2);
    mx_gate_leave(&g);
    assert_int_equal(next_id(&g), 0);
    mx_gate_enter(&g);
    mx_gate_leave(&g);
    assert_int_equal(next_id(&g), 2);
    mx_reactor_disarm(&x, &w[0].deadline);
    mx_reactor_disarm(&x, &w[2].deadline);
    mx_reactor_cleanup(&x);
}

/* ---------------------------------------------------------------------------------------------- */
/* A socket the backend refuses ends its transfer at the next step instead of leaving it waiting.   */

typedef struct done_rec {
    int calls;
    CURLcode res;
    char why[256];
    mx_reactor *x;
} done_rec;

static void rec_done(void *ud, CURL *easy, CURLcode res, const char *why)
{
    done_rec *d = ud;
    d->calls++;
    d->res = res;
    snprintf(d->why, sizeof d->why, "%s", why ? why : "");
    mx_reactor_remove(d->x, easy);
}

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
    (void)p, (void)ud;
    return s * n;
}

static void test_refused_socket_fails_fast(void **state)
{
    (void)state;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(ls >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(ls, 4), 0);
    assert_int_equal(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", (int)ntohs(a.sin_port));

    done_rec d = {0};
    mx_reactor x;
    assert_int_equal(mx_reactor_init(&x, rec_done, &d), 0);
    d.x = &x;
    CURL *h = curl_easy_init();
    assert_non_null(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    mx_backend_inject_watch_error(x.be, ENOSPC);
    assert_int_equal(mx_reactor_add(&x, h), CURLM_OK);
    int64_t t0 = mx_now_ms();
    while (!d.calls && mx_now_ms() < t0 + 6000) {
        int64_t tmo = mx_reactor_timeout(&x, mx_now_ms());
        mx_reactor_step(&x, tmo < 0 || tmo > 100 ? 100 : (int)tmo);
    }
    int64_t took = mx_now_ms() - t0;
    assert_int_equal(d.calls, 1);
    assert_int_equal(d.res, CURLE_SEND_ERROR);
    assert_non_null(strstr(d.why, "event backend refused socket"));
    assert_non_null(strstr(d.why, strerror(ENOSPC)));
    assert_true(took < 1000); /* not the transfer's 5 s time-out */
    assert_int_equal(x.nrefused, 0);
    /* the reactor goes on: nothing left to do, no stale report */
    mx_reactor_step(&x, 0);
    assert_int_equal(d.calls, 1);
    curl_easy_cleanup(h);
    mx_reactor_cleanup(&x);
    close(ls);
}

/* ---------------------------------------------------------------------------------------------- */
/* The backend's descriptor (modellix_client_backend_fd): readable exactly while the reactor has     */
/* something to do, with either backend.                                                            */

static int readable(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

static void test_backend_fd_contract(void **state)
{
    (void)state;
    mx_backend *b = mx_backend_new();
    assert_non_null(b);
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(mx_backend_watch(b, sv[0], MX_EV_IN, 0), 0);
    int fd = mx_backend_fd(b);
    assert_true(fd >= 0);
    assert_int_equal(mx_backend_fd(b), fd); /* one descriptor for the backend's life */
    mx_event ev[4];
    assert_int_equal(mx_backend_wait(b, ev, 4, 0), 0);
    assert_false(readable(fd, 50));

    /* a watched socket turns ready: the descriptor turns readable, and the wait reports it */
    int64_t t0 = mx_now_ms();
    assert_int_equal(write(sv[1], "a", 1), 1);
    assert_true(readable(fd, 1000));
    assert_true(mx_now_ms() - t0 < 500);
    int n = mx_backend_wait(b, ev, 4, 0);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].fd, sv[0]);
    assert_true(ev[0].what & MX_EV_IN);
    char c;
    assert_int_equal(read(sv[0], &c, 1), 1);
    assert_int_equal(mx_backend_wait(b, ev, 4, 0), 0);
    assert_false(readable(fd, 50)); /* handled: quiet again */

    /* a wake-up from another thread: readable, the wait returns at once with no event, then quiet */
    mx_backend_wake(b);
    assert_true(readable(fd, 1000));
    t0 = mx_now_ms();
    assert_int_equal(mx_backend_wait(b, ev, 4, 5000), 0);
    assert_true(mx_now_ms() - t0 < 100);
    assert_false(readable(fd, 50));

    /* unwatched, the socket's readiness is nobody's business */
    assert_int_equal(mx_backend_unwatch(b, sv[0]), 0);
    assert_int_equal(write(sv[1], "b", 1), 1);
    assert_false(readable(fd, 100));
    assert_int_equal(mx_backend_wait(b, ev, 4, 0), 0);
    /* watching for output: a socket with room is ready at once */
    assert_int_equal(mx_backend_watch(b, sv[1], MX_EV_OUT, 0), 0);
    assert_true(readable(fd, 1000));
    n = mx_backend_wait(b, ev, 4, 0);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].fd, sv[1]);
    assert_true(ev[0].what & MX_EV_OUT);
    assert_false(ev[0].what & MX_EV_IN);

    /* the `known` hint is only a hint: wrong either way, the set still ends up right */
    assert_int_equal(mx_backend_watch(b, sv[1], MX_EV_IN, 0), 0); /* watched, said new: now input only */
    assert_int_equal(mx_backend_wait(b, ev, 4, 0), 0);             /* no output readiness any more */
    assert_int_equal(mx_backend_unwatch(b, sv[1]), 0);
    assert_int_equal(mx_backend_watch(b, sv[0], MX_EV_IN, 1), 0); /* new, said known: added */
    n = mx_backend_wait(b, ev, 4, 0); /* "b" from above is still unread */
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].fd, sv[0]);
    assert_true(ev[0].what & MX_EV_IN);
    printf("# backend: %s\n", mx_backend_name());
    mx_backend_free(b);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timer_order_and_ties),
        cmocka_unit_test(test_many_timers),
        cmocka_unit_test(test_gate_fifo_and_limit),
        cmocka_unit_test(test_gate_deadline_while_waiting),
        cmocka_unit_test(test_refused_socket_fails_fast),
        cmocka_unit_test(test_backend_fd_contract),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
