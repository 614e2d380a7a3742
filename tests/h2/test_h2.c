/* HTTP/2 + TLS tests (issue 15, deliverable 2): the library behind Debian's nginx on loopback, a TLS
 * edge that negotiates HTTP/2 (ALPN) and proxies to the mock, as a production edge does. Each test
 * reads nginx's access log (connection serial, protocol) and the mock's counters: requests over
 * HTTP/2, TLS connections opened, tasks created. */
#include "harness.h"
#include "nginx_edge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct h2fx {
    fixture *f;
    nginx_edge edge;
} h2fx;

static fixture *g_fx;      /* the group's mock */
static nginx_edge g_edge;  /* the current test's edge, stopped by its teardown even when it fails */

static int start_edge(nginx_edge *e, int keepalive_requests)
{
    edge_opts o = {.upstream_port = mock_server_port(g_fx->m), .keepalive_requests = keepalive_requests};
    return nginx_edge_start(e, &o);
}

static int group_setup(void **state)
{
    if (fx_setup(state) != 0)
        return -1;
    g_fx = *state;
    return 0;
}

static int test_teardown(void **state)
{
    nginx_edge_stop(&g_edge);
    return fx_test_teardown(state);
}

/* The access log once nginx has written a line for each of the `want` requests the mock answered
   (it writes a line when a request ends; allow it a moment). */
static void read_log_settled(nginx_edge *e, edge_log *l, int64_t want)
{
    int64_t t0 = fx_ms();
    do {
        assert_int_equal(nginx_edge_read_log(e, l), 0);
        if ((int64_t)l->requests >= want)
            break;
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
    } while (fx_ms() - t0 < 2000);
}

static int64_t fast_polls(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms, (void)polls, (void)ud;
    return 50;
}

/* A client of the edge: the test CA, fast polls, every submission sent at once. */
static modellix_client *edge_client(const nginx_edge *e, int continue_on_unknown)
{
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, e->url), MODELLIX_OK);
    assert_int_equal(modellix_options_set_ca_file(o, e->ca_file), MODELLIX_OK);
    assert_int_equal(modellix_options_set_max_in_flight(o, 1000), MODELLIX_OK);
    assert_int_equal(modellix_options_set_continue_on_unknown(o, continue_on_unknown), MODELLIX_OK);
    assert_int_equal(modellix_options_set_poll_schedule(o, fast_polls, NULL, NULL), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    return c;
}

static void test_submit_and_wait_over_h2(void **state)
{
    fixture *f = *state;
    nginx_edge *const e = &g_edge;
    assert_int_equal(start_edge(e, 0), 0);
    fx_opts o = {.base_url = e->url, .ca_file = e->ca_file, .fast_retries = 1};
    fx_client(f, &o);
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_non_null(modellix_task_id(t));
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_int_equal(fx_tasks_created(f), 1);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 1);
    modellix_task_free(t);
    modellix_client_free(f->c); /* ends the connection: nginx logs every request by then */
    f->c = NULL;
    edge_log l;
    read_log_settled(e, &l, fx_requests(f, MOCK_ROUTE_ANY));
    printf("# %zu requests, %zu over HTTP/2, %zu TLS connection(s)\n", l.requests, l.h2_requests, l.connections);
    assert_true(l.requests >= 2); /* the submit and at least one poll */
    assert_int_equal(l.h2_requests, l.requests);
    assert_int_equal(l.connections, 1);
    assert_int_equal((int64_t)l.requests, fx_requests(f, MOCK_ROUTE_ANY));
    nginx_edge_stop(e);
}

/* 200 tasks through submit_async and wait_all: every request over HTTP/2, on at most 4 TLS
   connections (1.0: one per submission, 200). */
static void test_200_tasks_over_few_connections(void **state)
{
    fixture *f = *state;
    enum { N = 200 };
    nginx_edge *const e = &g_edge;
    assert_int_equal(start_edge(e, 0), 0);
    modellix_client *c = edge_client(e, 0);
    modellix_task *ts[N];
    int64_t t0 = fx_ms();
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_client_wait_all(c, ts, N, 60000), MODELLIX_OK);
    int64_t took = fx_ms() - t0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(modellix_task_status(ts[i]), MODELLIX_TASK_SUCCESS);
        modellix_task_free(ts[i]);
    }
    modellix_client_free(c);
    assert_int_equal(fx_tasks_created(f), N);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), N);
    edge_log l;
    read_log_settled(e, &l, fx_requests(f, MOCK_ROUTE_ANY));
    printf("# %d tasks in %lld ms: %zu requests, %zu over HTTP/2, %zu TLS connection(s)\n", N, (long long)took,
           l.requests, l.h2_requests, l.connections);
    assert_int_equal(l.h2_requests, l.requests);
    assert_int_equal((int64_t)l.requests, fx_requests(f, MOCK_ROUTE_ANY));
    assert_true(l.connections >= 1 && l.connections <= 4);
    nginx_edge_stop(e);
}

/* The edge reads the whole submission and passes it on; the mock creates the task and closes
   without answering. nginx does not retry a POST upstream and answers 502: the submission's outcome
   is unknown, one task exists, nothing was sent twice. */
static void test_upstream_dies_after_post(void **state)
{
    fixture *f = *state;
    nginx_edge *const e = &g_edge;
    assert_int_equal(start_edge(e, 0), 0);
    fx_opts o = {.base_url = e->url, .ca_file = e->ca_file, .fast_retries = 1};
    fx_client(f, &o);
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK); /* opens the connection */
    modellix_task_free(t);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_SUBMIT;
    flt.method = "POST";
    flt.kind = MOCK_FAULT_RESET_BEFORE;
    flt.after_create = 1;
    flt.count = 1;
    fx_fault_full(f, &flt);
    t = (modellix_task *)1;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_EOUTCOME_UNKNOWN);
    assert_null(t);
    assert_int_equal(modellix_client_http_status(f->c), 502);
    assert_int_equal(fx_tasks_created(f), 2);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 2);
    modellix_client_free(f->c);
    f->c = NULL;
    edge_log l;
    assert_int_equal(nginx_edge_read_log(e, &l), 0);
    assert_int_equal(l.requests, 2);
    assert_int_equal(l.status_5xx, 1);
    assert_int_equal(l.connections, 1); /* the second submit went out on the reused TLS connection */
    nginx_edge_stop(e);
}

/* nginx ends each client connection with GOAWAY after 10 requests (keepalive_requests), while up to
   16 streams are in flight: streams above GOAWAY's last stream id are refused. Nothing may be sent
   twice and no charged task may be lost: every task the mock created is either accepted or
   reported with an unknown outcome. */
static void test_goaway_every_10_requests(void **state)
{
    fixture *f = *state;
    enum { N = 100 };
    nginx_edge *const e = &g_edge;
    assert_int_equal(start_edge(e, 10), 0);
    modellix_client *c = edge_client(e, 1);
    modellix_task *ts[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, FX_BODY), MODELLIX_OK);
    int rc = modellix_client_wait_all(c, ts, N, 60000);
    int accepted = 0, unknown = 0, other = 0;
    for (int i = 0; i < N; i++) {
        if (modellix_task_id(ts[i]))
            accepted++;
        else if (modellix_task_errcode(ts[i]) == MODELLIX_EOUTCOME_UNKNOWN)
            unknown++;
        else
            other++;
        modellix_task_free(ts[i]);
    }
    modellix_client_free(c);
    edge_log l;
    assert_int_equal(nginx_edge_read_log(e, &l), 0);
    int64_t created = fx_tasks_created(f), sent = fx_requests(f, MOCK_ROUTE_SUBMIT);
    printf("# wait_all %d; %d accepted, %d unknown, %d other; mock: %lld created from %lld submits; edge: %zu "
           "requests over %zu connections\n",
           rc, accepted, unknown, other, (long long)created, (long long)sent, l.requests, l.connections);
    assert_int_equal(other, 0);
    assert_int_equal(created, sent);             /* no submission reached the mock twice */
    assert_true(created >= accepted && created <= accepted + unknown); /* no lost id */
    assert_true(l.connections >= l.requests / 10); /* GOAWAY did end the connections */
    assert_int_equal(l.h2_requests, l.requests);
    nginx_edge_stop(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_submit_and_wait_over_h2, fx_test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_200_tasks_over_few_connections, fx_test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_upstream_dies_after_post, fx_test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_goaway_every_10_requests, fx_test_setup, test_teardown),
    };
    return cmocka_run_group_tests_name("h2", tests, group_setup, fx_teardown);
}
