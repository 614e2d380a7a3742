/* harness.c - the HTTP tests' shared fixture. */
#include "harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void capture(int32_t level, const char *message, void *ud)
{
    fixture *f = ud;
    (void)level;
    size_t n = strlen(message);
    if (f->log_len + n + 2 < sizeof f->log) {
        memcpy(f->log + f->log_len, message, n);
        f->log_len += n;
        f->log[f->log_len++] = '\n';
        f->log[f->log_len] = '\0';
    }
    f->log_lines++;
    /* the key never appears in a log line, whatever happened */
    assert_null(strstr(message, FX_KEY));
}

int64_t fx_fast_policy(const modellix_attempt *a, void *ud)
{
    (void)ud;
    return modellix_attempt_number(a) >= 4 ? -1 : 5;
}

int64_t fx_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int fx_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    mock_config cfg;
    mock_config_init(&cfg);
    cfg.duration_ms = 150;
    cfg.max_running = 0;
    if (mock_server_start(&f->m, &cfg) != 0) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

int fx_teardown(void **state)
{
    fixture *f = *state;
    if (f) {
        modellix_client_free(f->c);
        mock_server_stop(f->m);
        free(f);
    }
    return 0;
}

void fx_client(fixture *f, const fx_opts *o)
{
    fx_opts d = {0};
    d.fast_retries = 1;
    if (!o)
        o = &d;
    modellix_client_free(f->c);
    f->c = NULL;
    f->log_len = 0;
    f->log[0] = '\0';
    f->log_lines = 0;
    modellix_options *opts;
    assert_int_equal(modellix_options_new(&opts), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(opts, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(opts, o->base_url ? o->base_url : mock_server_url(f->m)), MODELLIX_OK);
    /* the defaults leave room for valgrind, which runs the in-process mock (TLS included) slowly too */
    int64_t scale = fx_under_valgrind() ? 3 : 1;
    assert_int_equal(modellix_options_set_timeout_ms(opts, o->timeout_ms ? o->timeout_ms : 5000 * scale), MODELLIX_OK);
    assert_int_equal(
        modellix_options_set_call_timeout_ms(opts, o->call_timeout_ms ? o->call_timeout_ms : 10000 * scale),
        MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_callback(opts, capture, f, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_level(opts, MODELLIX_LOG_DEBUG), MODELLIX_OK);
    assert_int_equal(modellix_options_set_submit_path(opts, o->submit_path), MODELLIX_OK);
    if (o->ca_file)
        assert_int_equal(modellix_options_set_ca_file(opts, o->ca_file), MODELLIX_OK);
    if (o->proxy)
        assert_int_equal(modellix_options_set_proxy(opts, o->proxy), MODELLIX_OK);
    if (o->no_proxy)
        assert_int_equal(modellix_options_set_no_proxy(opts, o->no_proxy), MODELLIX_OK);
    if (o->no_env_proxy)
        assert_int_equal(modellix_options_set_proxy_from_env(opts, 0), MODELLIX_OK);
    if (o->max_in_flight)
        assert_int_equal(modellix_options_set_max_in_flight(opts, o->max_in_flight), MODELLIX_OK);
    if (o->on_attempt)
        assert_int_equal(modellix_options_set_attempt_callback(opts, o->on_attempt, o->on_attempt_ud, NULL),
                         MODELLIX_OK);
    if (o->policy) {
        assert_int_equal(modellix_options_set_retry_policy(opts, o->policy), MODELLIX_OK);
    } else if (o->fast_retries) {
        modellix_retry_policy *p;
        assert_int_equal(modellix_retry_policy_new_custom(&p, fx_fast_policy, NULL, NULL), MODELLIX_OK);
        assert_int_equal(modellix_options_set_retry_policy(opts, p), MODELLIX_OK);
        modellix_retry_policy_free(p);
    }
    assert_int_equal(modellix_client_new(&f->c, opts), MODELLIX_OK);
    modellix_options_free(opts);
}

int fx_test_setup(void **state)
{
    fixture *f = *state;
    mock_server_clear_faults(f->m);
    mock_server_set_duration_ms(f->m, 150);
    mock_server_set_max_running(f->m, 0);
    mock_server_set_rate_limit(f->m, 0);
    mock_server_reset_counters(f->m);
    fx_client(f, NULL);
    return 0;
}

void fx_assert_no_key(fixture *f, const char *extra)
{
    assert_null(strstr(f->log, FX_KEY));
    if (f->c)
        assert_null(strstr(modellix_client_errmsg(f->c), FX_KEY));
    if (extra)
        assert_null(strstr(extra, FX_KEY));
}

int fx_test_teardown(void **state)
{
    fixture *f = *state;
    fx_assert_no_key(f, NULL);
    modellix_client_free(f->c);
    f->c = NULL;
    mock_server_clear_faults(f->m);
    return 0;
}

void fx_fault_full(fixture *f, const mock_fault *flt)
{
    assert_int_equal(mock_server_add_fault(f->m, flt), 0);
}

static void add_fault(fixture *f, int32_t route, const char *method, int32_t kind, int32_t status, int32_t count,
                      int after_create)
{
    mock_fault flt = {0};
    flt.route = route;
    flt.method = method;
    flt.kind = kind;
    flt.status = status;
    flt.count = count;
    flt.after_create = after_create;
    fx_fault_full(f, &flt);
}

void fx_fault_charged(fixture *f, int32_t route, int32_t kind, int32_t status, int32_t count)
{
    add_fault(f, route, "POST", kind, status, count, 1);
}

void fx_fault(fixture *f, int32_t route, const char *method, int32_t kind, int32_t status, int32_t count)
{
    add_fault(f, route, method, kind, status, count, 0);
}

int64_t fx_requests(fixture *f, int32_t route)
{
    return mock_server_counter(f->m, MOCK_CTR_REQUESTS, route);
}

int64_t fx_tasks_created(fixture *f)
{
    return mock_server_counter(f->m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY);
}

char *fx_make_dir(void)
{
    char tmpl[] = "/tmp/modellix-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

int fx_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

void fx_task_with_files(modellix_client *c, size_t n)
{
    char body[96];
    snprintf(body, sizeof body, "{\"prompt\":\"a fox\",\"mock_resources\":%zu}", n);
    modellix_task *t = NULL;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, body), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_int_equal(modellix_task_resource_count(t), n);
    for (size_t i = 0; i < n; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        assert_int_equal(modellix_task_download_mem(t, i, 0, &data, &len), MODELLIX_OK);
        assert_true(len > 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0);
        modellix_free(data);
    }
    modellix_task_free(t);
}

int fx_fd_count(void)
{
    return fx_count_entries("/proc/self/fd") - 1;
}

void fx_remove_dir(char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
    free(dir);
}

int fx_under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}
