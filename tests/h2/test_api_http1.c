/* modellix_options_set_api_http1 through Debian's nginx (TLS, HTTP/2 by ALPN) in front of the mock:
 * API requests over HTTP/1.1, so that no submission is in flight on a connection the edge ends.
 * nginx's access log gives each request's method, protocol and connection; the mock counts the
 * tasks it created and the submissions it received. */
#include "harness.h"
#include "nginx_edge.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static fixture *g_fx;     /* the group's mock */
static nginx_edge g_edge; /* the current test's edge, stopped by its teardown even when it fails */

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

static int64_t fast_polls(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms, (void)polls, (void)ud;
    return 50;
}

/* A client of the edge: the test CA, fast polls, every submission sent at once, the batch going on
   after an unknown outcome, API requests over HTTP/1.1 when h1 is 1. */
static modellix_client *edge_client_at(const nginx_edge *e, const char *url, int32_t h1)
{
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, url), MODELLIX_OK);
    assert_int_equal(modellix_options_set_ca_file(o, e->ca_file), MODELLIX_OK);
    assert_int_equal(modellix_options_set_max_in_flight(o, 1000), MODELLIX_OK);
    assert_int_equal(modellix_options_set_continue_on_unknown(o, 1), MODELLIX_OK);
    assert_int_equal(modellix_options_set_poll_schedule(o, fast_polls, NULL, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_http1(o, h1), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    return c;
}

static modellix_client *edge_client(const nginx_edge *e, int32_t h1)
{
    return edge_client_at(e, e->url, h1);
}

static void test_option_values(void **state)
{
    (void)state;
    modellix_options *o;
    assert_int_equal(modellix_options_set_api_http1(NULL, 1), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_http1(o, 2), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_api_http1(o, -1), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_api_http1(o, 1), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_http1(o, 0), MODELLIX_OK);
    modellix_options_free(o);
}

/* nginx ends each connection after 10 requests: HTTP/2 ones with GOAWAY while up to 16 streams are
   in flight (test_h2.c test_goaway_every_10_requests: some submissions end unknown there), HTTP/1.1
   ones with "Connection: close" in the 10th answer. With the option no submission is ever in flight
   on a connection nginx is ending: every one is accepted, each created once, every request (the
   submissions, the polls and the model list) over HTTP/1.1, on at most 16 connections at a time. A
   blocking submit, its wait and the model list come first, on the handles the batch then reuses. */
static void test_goaway_every_10_requests_api_http1(void **state)
{
    fixture *f = *state;
    enum { N = 100 };
    nginx_edge *const e = &g_edge;
    edge_opts eo = {.upstream_port = mock_server_port(g_fx->m), .keepalive_requests = 10};
    assert_int_equal(nginx_edge_start(e, &eo), 0);
    modellix_client *c = edge_client(e, 1);

    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    modellix_task_free(t);
    modellix_models *ms = NULL;
    assert_int_equal(modellix_models_list(&ms, c), MODELLIX_OK);
    modellix_models_free(ms);

    modellix_task *ts[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG, FX_BODY), MODELLIX_OK);
    int rc = modellix_client_wait_all(c, ts, N, 60000);
    int accepted = 0, unknown = 0, success = 0;
    for (int i = 0; i < N; i++) {
        accepted += modellix_task_id(ts[i]) != NULL;
        unknown += modellix_task_errcode(ts[i]) == MODELLIX_EOUTCOME_UNKNOWN;
        success += modellix_task_status(ts[i]) == MODELLIX_TASK_SUCCESS;
        modellix_task_free(ts[i]);
    }
    modellix_client_free(c); /* ends the connections: nginx logs every request by then */
    int64_t created = fx_tasks_created(f), sent = fx_requests(f, MOCK_ROUTE_SUBMIT);
    int64_t polls = fx_requests(f, MOCK_ROUTE_TASK), models = fx_requests(f, MOCK_ROUTE_MODELS);
    int64_t any = fx_requests(f, MOCK_ROUTE_ANY);
    edge_log l;
    assert_int_equal(nginx_edge_read_log_settled(e, &l, any), 0);
    printf("# wait_all %d; %d accepted, %d unknown, %d succeeded; mock: %lld created from %lld submits, %lld polls; "
           "edge: %zu requests (POST %zu, %zu over HTTP/2; GET %zu, %zu over HTTP/2) on %zu connections (%zu HTTP/2, "
           "%zu resumed)\n",
           rc, accepted, unknown, success, (long long)created, (long long)sent, (long long)polls, l.requests, l.posts,
           l.posts_h2, l.gets, l.gets_h2, l.connections, l.h2_connections, l.resumed);
    assert_int_equal(rc, MODELLIX_OK);
    assert_int_equal(unknown, 0);
    assert_int_equal(accepted, N);
    assert_int_equal(success, N);
    assert_int_equal(created, N + 1);
    assert_int_equal(sent, N + 1); /* nothing sent twice */
    assert_int_equal(models, 1);
    assert_int_equal((int64_t)l.requests, any);
    assert_int_equal((int64_t)l.posts, sent);
    assert_int_equal((int64_t)l.gets, polls + 1); /* the polls and the model list */
    assert_int_equal(l.posts + l.gets, l.requests);
    assert_int_equal(l.h2_requests, 0); /* every request over HTTP/1.1 */
    assert_int_equal(l.h2_connections, 0);
    assert_true(l.connections >= (l.requests + 9) / 10); /* nginx ended them after 10 requests */
    nginx_edge_stop(e);
}

/* Downloads keep the default. The API is https://localhost:PORT and the files (the mock's result
   URLs rewritten to the edge) https://127.0.0.1:PORT, as a file host apart from the API: the API
   requests go over HTTP/1.1, the downloads over HTTP/2. (From the API's own host, a download may
   reuse an idle HTTP/1.1 API connection: libcurl takes any idle connection of the host.) */
static void test_downloads_keep_http2(void **state)
{
    fixture *f = *state;
    enum { N = 2 };
    nginx_edge *const e = &g_edge;
    edge_opts eo = {.upstream_port = mock_server_port(g_fx->m), .file_host = 1};
    assert_int_equal(nginx_edge_start(e, &eo), 0);
    char api[64];
    snprintf(api, sizeof api, "https://localhost:%u", (unsigned)e->port);
    modellix_client *c = edge_client_at(e, api, 1);
    fx_task_with_files(c, N);
    modellix_client_free(c);
    edge_log l;
    assert_int_equal(nginx_edge_read_log_settled(e, &l, fx_requests(f, MOCK_ROUTE_ANY)), 0);
    printf("# %zu requests: %zu downloads (%zu over HTTP/2), %zu API requests over HTTP/2\n", l.requests,
           l.file_requests, l.file_h2, l.h2_requests - l.file_h2);
    assert_int_equal(fx_tasks_created(f), 1);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_FILE), N);
    assert_int_equal((int64_t)l.requests, fx_requests(f, MOCK_ROUTE_ANY));
    assert_int_equal(l.file_requests, N);
    assert_int_equal(l.file_h2, N);           /* the downloads over HTTP/2 */
    assert_int_equal(l.h2_requests, l.file_h2); /* the submit and the polls over HTTP/1.1 */
    assert_true(l.requests > N + 1);          /* the submit, at least one poll, the downloads */
    nginx_edge_stop(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_option_values),
        cmocka_unit_test_setup_teardown(test_goaway_every_10_requests_api_http1, fx_test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_downloads_keep_http2, fx_test_setup, test_teardown),
    };
    return cmocka_run_group_tests_name("api_http1", tests, group_setup, fx_teardown);
}
