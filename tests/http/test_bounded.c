/* HTTP tests: bounded answers (issue 15, deliverable 4). Each kind of answer has a size cap and a
 * JSON value budget enforced while it is read, so a hostile answer costs memory in proportion to the
 * cap, never to what the server sends: the 15 MiB "[0,0,0,...]" poll answer that cost 1.0.0 about
 * 450 MiB is refused with the process's peak RSS under 64 MiB.
 *
 * The mock runs in a child process (its 15 MiB fault bodies must not count in this process's RSS),
 * driven over a pipe: "A <bytes>" adds a one-shot 200 poll answer "[0,0,...]" of that size,
 * "H <bytes>" a one-shot huge 2xx submit answer after the task is created, "E <status> <bytes>" a
 * one-shot error envelope of that size on the poll route, "C <route>" reads a request counter, "T"
 * the tasks created, "R" resets the counters. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;
static FILE *to_mock, *from_mock;
static char mock_url[128];

static char *json_array_of(size_t bytes)
{
    char *b = malloc(bytes + 1);
    if (!b)
        return NULL;
    b[0] = '[';
    size_t i = 1;
    while (i + 3 < bytes) {
        b[i++] = '0';
        b[i++] = ',';
    }
    b[i++] = '0';
    b[i++] = ']';
    b[i] = '\0';
    return b;
}

static void serve(int in, int out)
{
    mock_server *m = NULL;
    mock_config cfg;
    mock_config_init(&cfg);
    cfg.duration_ms = 50;
    cfg.max_running = 0;
    FILE *rd = fdopen(in, "r"), *wr = fdopen(out, "w");
    if (!rd || !wr || mock_server_start(&m, &cfg) != 0)
        _exit(1);
    fprintf(wr, "%s\n", mock_server_url(m));
    fflush(wr);
    char line[128];
    while (fgets(line, sizeof line, rd)) {
        long long a = 0, b = 0;
        mock_fault f = {0};
        f.count = 1;
        long long reply = 0;
        char *body = NULL;
        if (sscanf(line, "A %lld", &a) == 1) {
            body = json_array_of((size_t)a);
            f.route = MOCK_ROUTE_TASK;
            f.kind = MOCK_FAULT_STATUS;
            f.status = 200;
            f.body = body;
            reply = body ? mock_server_add_fault(m, &f) : -1;
        } else if (sscanf(line, "H %lld", &a) == 1) {
            f.route = MOCK_ROUTE_SUBMIT;
            f.kind = MOCK_FAULT_HUGE;
            f.huge_bytes = a;
            f.after_create = 1;
            reply = mock_server_add_fault(m, &f);
        } else if (sscanf(line, "E %lld %lld", &a, &b) == 2) {
            body = malloc((size_t)b + 1);
            if (body) {
                memset(body, ' ', (size_t)b);
                memcpy(body, "{\"code\":503,\"message\":\"Service unavailable: busy\"}", 50);
                body[b] = '\0';
            }
            f.route = MOCK_ROUTE_TASK;
            f.kind = MOCK_FAULT_STATUS;
            f.status = (int32_t)a;
            f.body = body;
            reply = body ? mock_server_add_fault(m, &f) : -1;
        } else if (sscanf(line, "C %lld", &a) == 1) {
            reply = mock_server_counter(m, MOCK_CTR_REQUESTS, (int32_t)a);
        } else if (line[0] == 'T') {
            reply = mock_server_counter(m, MOCK_CTR_TASKS_CREATED, 0);
        } else if (line[0] == 'R') {
            mock_server_reset_counters(m);
        } else if (sscanf(line, "P %127s", line) == 1) {
            reply = mock_server_put_task(m, line, FX_SLUG, "processing", 1);
        }
        free(body);
        fprintf(wr, "%lld\n", reply);
        fflush(wr);
    }
    mock_server_stop(m);
    _exit(0);
}

static long long ask(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(to_mock, fmt, ap);
    va_end(ap);
    fputc('\n', to_mock);
    fflush(to_mock);
    char line[64];
    assert_non_null(fgets(line, sizeof line, from_mock));
    return atoll(line);
}

static int group_setup(void **state)
{
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0)
        return -1;
    child = fork(); /* before any thread: the child starts the mock's */
    if (child < 0)
        return -1;
    if (child == 0) {
        close(down[1]);
        close(up[0]);
        serve(down[0], up[1]);
    }
    close(down[0]);
    close(up[1]);
    to_mock = fdopen(down[1], "w");
    from_mock = fdopen(up[0], "r");
    if (!to_mock || !from_mock || !fgets(mock_url, sizeof mock_url, from_mock))
        return -1;
    mock_url[strcspn(mock_url, "\n")] = '\0';
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    fixture *f = *state;
    modellix_client_free(f->c);
    free(f);
    fclose(to_mock); /* the child's loop ends, it stops the mock */
    fclose(from_mock);
    waitpid(child, NULL, 0);
    return 0;
}

static int test_setup(void **state)
{
    fixture *f = *state;
    fx_opts o = {.fast_retries = 1, .base_url = mock_url};
    fx_client(f, &o);
    ask("R");
    return 0;
}

static int test_teardown(void **state)
{
    fixture *f = *state;
    fx_assert_no_key(f, NULL);
    modellix_client_free(f->c);
    f->c = NULL;
    return 0;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static modellix_task *watched_task(fixture *f, const char *id)
{
    assert_int_equal(ask("P %s", id), 0);
    modellix_task *t;
    assert_int_equal(modellix_task_attach(&t, f->c, id), MODELLIX_OK);
    return t;
}

/* The 15 MiB array answer to a poll: refused while it is read, not retried, in bounded memory. */
static void test_huge_array_answer(void **state)
{
    fixture *f = *state;
    modellix_task *t = watched_task(f, "task-bounded-1");
    long before = peak_rss_kib();
    assert_int_equal(ask("A %lld", 15LL * 1024 * 1024), 0);
    int64_t t0 = fx_ms();
    int rc = modellix_task_poll(t);
    int64_t took = fx_ms() - t0;
    long after = peak_rss_kib();
    printf("# 15 MiB [0,0,...] poll answer: %s (%lld ms); peak RSS %ld KiB before, %ld KiB after\n",
           modellix_client_errmsg(f->c), (long long)took, before, after);
    assert_int_equal(rc, MODELLIX_ETOOLARGE);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "more than"));
    if (!fx_under_valgrind()) /* valgrind's own memory counts in the RSS; the growth below still holds */
        assert_true(after < 64 * 1024);
    assert_true(after - before < 8 * 1024); /* what the answer cost: a few MiB at most */
    assert_int_equal(ask("C %d", MOCK_ROUTE_TASK), 1); /* refused for good: not asked again */
    /* the next answer is a normal one, and is read normally */
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    assert_int_equal(ask("C %d", MOCK_ROUTE_TASK), 2);
    modellix_task_free(t);
}

/* Under the byte cap but with more values than it allows: refused before any parse. */
static void test_many_values_under_the_byte_cap(void **state)
{
    fixture *f = *state;
    modellix_task *t = watched_task(f, "task-bounded-2");
    assert_int_equal(ask("A %lld", 900LL * 1024), 0);
    long before = peak_rss_kib();
    int rc = modellix_task_poll(t);
    long after = peak_rss_kib();
    printf("# 900 KiB [0,0,...]: %s; peak RSS %ld -> %ld KiB\n", modellix_client_errmsg(f->c), before, after);
    assert_int_equal(rc, MODELLIX_ETOOLARGE);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "JSON values"));
    assert_true(after - before < 4 * 1024);
    assert_int_equal(ask("C %d", MOCK_ROUTE_TASK), 1);
    modellix_task_free(t);
}

/* A huge 2xx answer to a paid submit: the task was created, the answer cannot be read: unknown
   outcome, and the body is not sent again. */
static void test_huge_submit_answer_is_unknown(void **state)
{
    fixture *f = *state;
    assert_int_equal(ask("H %lld", 4LL * 1024 * 1024), 0);
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_EOUTCOME_UNKNOWN);
    assert_int_equal(ask("T"), 1);
    assert_int_equal(ask("C %d", MOCK_ROUTE_SUBMIT), 1);
    modellix_task_free(t);
}

/* A big error envelope: its head is kept, the rest dropped, and its status still decides (a 503 is
   retried, and the retry succeeds). */
static void test_big_error_envelope(void **state)
{
    fixture *f = *state;
    modellix_task *t = watched_task(f, "task-bounded-3");
    assert_int_equal(ask("E 503 %lld", 4LL * 1024 * 1024), 0);
    long before = peak_rss_kib();
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    long after = peak_rss_kib();
    printf("# 4 MiB 503 envelope, then a normal answer: peak RSS %ld -> %ld KiB\n", before, after);
    assert_int_equal(ask("C %d", MOCK_ROUTE_TASK), 2);
    assert_true(after - before < 2 * 1024);
    modellix_task_free(t); /* before its client */
    /* once more, without a retry left: the status and the envelope's message are reported */
    fx_opts o = {.policy = NULL, .base_url = mock_url};
    modellix_retry_policy *none;
    assert_int_equal(modellix_retry_policy_new_none(&none), MODELLIX_OK);
    o.policy = none;
    fx_client(f, &o);
    modellix_retry_policy_free(none);
    assert_int_equal(modellix_task_attach(&t, f->c, "task-bounded-3"), MODELLIX_OK);
    assert_int_equal(ask("E 503 %lld", 4LL * 1024 * 1024), 0);
    assert_int_equal(modellix_task_poll(t), MODELLIX_ESERVER);
    assert_int_equal(modellix_client_http_status(f->c), 503);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "busy"));
    modellix_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_huge_array_answer, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_many_values_under_the_byte_cap, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_huge_submit_answer_is_unknown, test_setup, test_teardown),
        cmocka_unit_test_setup_teardown(test_big_error_envelope, test_setup, test_teardown),
    };
    return cmocka_run_group_tests_name("bounded", tests, group_setup, group_teardown);
}
