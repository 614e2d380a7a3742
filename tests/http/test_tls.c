/* HTTP tests over TLS: the mock serves HTTPS with certificates from a throw-away test CA made at
 * build time (tests/certs). Verification is always on: a certificate that does not chain to the
 * trusted store or does not name the host is refused with MODELLIX_ETLS, before any request is sent,
 * and is never retried. The directory of the certificates comes in MX_TEST_CERTS. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char ca_pem[4096];
static mock_server *wrong_host; /* serves a CA-signed certificate for another host name */

static void cert_path(char *buf, size_t n, const char *name)
{
    const char *dir = getenv("MX_TEST_CERTS");
    assert_non_null(dir);
    assert_true((size_t)snprintf(buf, n, "%s/%s", dir, name) < n);
}

static int start_tls_mock(mock_server **out, const char *name)
{
    char cert[4096], key[4096];
    cert_path(cert, sizeof cert, name);
    snprintf(key, sizeof key, "%.*s.key", (int)(strlen(cert) - 4), cert);
    mock_config cfg;
    mock_config_init(&cfg);
    cfg.duration_ms = 50;
    cfg.max_running = 0;
    cfg.tls_cert_file = cert;
    cfg.tls_key_file = key;
    return mock_server_start(out, &cfg);
}

static int group_setup(void **state)
{
    cert_path(ca_pem, sizeof ca_pem, "ca.pem");
    fixture *f = calloc(1, sizeof *f);
    if (!f || start_tls_mock(&f->m, "server.pem") != 0 || start_tls_mock(&wrong_host, "wrong-host.pem") != 0) {
        if (f)
            mock_server_stop(f->m);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int group_teardown(void **state)
{
    mock_server_stop(wrong_host);
    return fx_teardown(state);
}

static int test_setup(void **state)
{
    fixture *f = *state;
    mock_server_clear_faults(f->m);
    mock_server_reset_counters(f->m);
    mock_server_reset_counters(wrong_host);
    return 0;
}

static int attempts;
static void count_attempt(const modellix_attempt *a, int64_t delay_ms, void *ud)
{
    (void)a;
    (void)delay_ms;
    (void)ud;
    attempts++;
}

static void tls_client(fixture *f, const char *base_url, const char *ca_file)
{
    attempts = 0;
    fx_opts o = {.fast_retries = 1, .base_url = base_url, .ca_file = ca_file, .on_attempt = count_attempt};
    fx_client(f, &o);
}

/* With the test CA trusted, the whole path works over HTTPS: submit, wait, download. */
static void test_trusted_ca_submit_wait_download(void **state)
{
    fixture *f = *state;
    assert_memory_equal(mock_server_url(f->m), "https://127.0.0.1:", 18);
    tls_client(f, NULL, ca_pem);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_true(modellix_task_resource_count(t) >= 1);
    assert_memory_equal(modellix_task_resource_url(t, 0), "https://127.0.0.1:", 18);

    char *dir = fx_make_dir();
    char *path = NULL;
    assert_int_equal(modellix_task_download(t, 0, dir, 0, &path), MODELLIX_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 8);
    FILE *fp = fopen(path, "rb");
    unsigned char sig[8];
    assert_int_equal(fread(sig, 1, 8, fp), 8);
    fclose(fp);
    assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
    modellix_free(path);
    fx_remove_dir(dir);
    assert_int_equal(fx_tasks_created(f), 1);
    assert_int_equal(attempts, 0);
    modellix_task_free(t);
}

/* The system store does not know the test CA: refused before the request, once, nothing charged. */
static void test_untrusted_certificate_is_refused_unsent(void **state)
{
    fixture *f = *state;
    tls_client(f, NULL, NULL);
    modellix_task *t = (modellix_task *)1;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_ETLS);
    assert_null(t);
    assert_int_equal(modellix_client_errcode(f->c), MODELLIX_ETLS);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "certificate"));
    assert_non_null(strstr(modellix_client_errmsg(f->c), "not sent"));
    assert_int_equal(attempts, 1);                             /* seen once, not retried */
    assert_int_equal(fx_requests(f, MOCK_ROUTE_ANY), 0);       /* no HTTP request reached the server */
    assert_int_equal(fx_tasks_created(f), 0);                  /* nothing charged */

    /* polls and account calls are refused the same way */
    assert_int_equal(modellix_task_attach(&t, f->c, "task-tls-0001"), MODELLIX_OK);
    assert_int_equal(modellix_task_poll(t), MODELLIX_ETLS);
    assert_int_equal(modellix_task_errcode(t), MODELLIX_ETLS);
    modellix_task_free(t);
    int32_t valid = -1;
    assert_int_equal(modellix_client_validate_key(f->c, &valid), MODELLIX_ETLS);
}

/* A certificate from the trusted CA but for another host name is refused. */
static void test_wrong_host_name_is_refused(void **state)
{
    fixture *f = *state;
    tls_client(f, mock_server_url(wrong_host), ca_pem);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_ETLS);
    assert_int_equal(attempts, 1);
    assert_int_equal(mock_server_counter(wrong_host, MOCK_CTR_REQUESTS, MOCK_ROUTE_ANY), 0);
    assert_int_equal(mock_server_counter(wrong_host, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY), 0);
}

/* A CA file that cannot be read fails every call with ETLS instead of falling back to anything. */
static void test_unreadable_ca_file_is_refused(void **state)
{
    fixture *f = *state;
    tls_client(f, NULL, "/nonexistent/modellix-test-ca.pem");
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_ETLS);
    assert_int_equal(attempts, 1);
    assert_int_equal(fx_tasks_created(f), 0);
    assert_true(strlen(modellix_client_errmsg(f->c)) > 0);
}

/* A file URL redirected to a host whose certificate does not match is refused; no file is left. */
static void test_download_redirect_to_bad_certificate(void **state)
{
    fixture *f = *state;
    tls_client(f, NULL, ca_pem);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);

    char location[256];
    snprintf(location, sizeof location, "%s{path}", mock_server_url(wrong_host));
    mock_fault flt = {.route = MOCK_ROUTE_FILE, .kind = MOCK_FAULT_REDIRECT, .location = location};
    fx_fault_full(f, &flt);
    char *dir = fx_make_dir();
    char *path = (char *)1;
    assert_int_equal(modellix_task_download(t, 0, dir, 0, &path), MODELLIX_ETLS);
    assert_null(path);
    assert_int_equal(fx_count_entries(dir), 0);
    assert_int_equal(mock_server_counter(wrong_host, MOCK_CTR_REQUESTS, MOCK_ROUTE_ANY), 0);
    fx_remove_dir(dir);
    modellix_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trusted_ca_submit_wait_download, test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_untrusted_certificate_is_refused_unsent, test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_host_name_is_refused, test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_ca_file_is_refused, test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_download_redirect_to_bad_certificate, test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("tls", tests, group_setup, group_teardown);
}
