/* HTTP tests: client creation from options and the environment, key and origin rules, version,
 * result codes, and option argument checks. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* fd 0 is still open and still the same file, and no descriptor was opened or closed. */
static void assert_fds_intact(ino_t ino0, int n_fds)
{
    struct stat st;
    assert_int_equal(fstat(0, &st), 0);
    assert_true(st.st_ino == ino0);
    assert_int_equal(fx_fd_count(), n_fds);
}

static void test_missing_key(void **state)
{
    (void)state;
    /* A failed modellix_client_new must not touch the caller's descriptors: make fd 0 one end of a
       pipe (a descriptor an engine whose fields start at 0 would close) and watch it. */
    int saved0 = dup(0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(dup2(p[0], 0), 0);
    struct stat st;
    assert_int_equal(fstat(0, &st), 0);
    ino_t ino0 = st.st_ino;
    int n_fds = fx_fd_count();

    unsetenv("MODELLIX_API_KEY");
    unsetenv("MODELLIX_BASE_URL");
    modellix_client *c = (modellix_client *)1;
    assert_int_equal(modellix_client_new(&c, NULL), MODELLIX_ENOKEY);
    assert_null(c);
    assert_fds_intact(ino0, n_fds);
    setenv("MODELLIX_API_KEY", "   ", 1);
    assert_int_equal(modellix_client_new(&c, NULL), MODELLIX_ENOKEY);
    assert_fds_intact(ino0, n_fds);
    setenv("MODELLIX_API_KEY", "bad key with spaces", 1);
    assert_int_equal(modellix_client_new(&c, NULL), MODELLIX_EINVAL);
    assert_fds_intact(ino0, n_fds);
    /* a good key with a bad base URL from the environment */
    setenv("MODELLIX_API_KEY", FX_KEY, 1);
    setenv("MODELLIX_BASE_URL", "ftp://example.com", 1);
    assert_int_equal(modellix_client_new(&c, NULL), MODELLIX_EINVAL);
    assert_null(c);
    assert_fds_intact(ino0, n_fds);
    unsetenv("MODELLIX_BASE_URL");
    unsetenv("MODELLIX_API_KEY");
    assert_int_equal(modellix_client_new(NULL, NULL), MODELLIX_EINVAL);
    assert_fds_intact(ino0, n_fds);

    dup2(saved0, 0);
    close(saved0);
    close(p[0]);
    close(p[1]);
}

static char new_log[2048];
static void log_into(int32_t level, const char *message, void *ud)
{
    (void)ud;
    assert_int_equal(level, MODELLIX_LOG_ERROR);
    snprintf(new_log, sizeof new_log, "%s", message);
}

/* modellix_client_new has no object for a message: the reason goes to the options' log sink, and
 * names the setting or variable but never the key. */
static void test_new_failure_reason_is_logged(void **state)
{
    (void)state;
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_callback(o, log_into, NULL, NULL), MODELLIX_OK);
    modellix_client *c;

    unsetenv("MODELLIX_API_KEY");
    new_log[0] = '\0';
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_ENOKEY);
    assert_non_null(strstr(new_log, "MODELLIX_API_KEY"));

    setenv("MODELLIX_API_KEY", FX_KEY " with\ta tab", 1);
    new_log[0] = '\0';
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_EINVAL);
    assert_non_null(strstr(new_log, "MODELLIX_API_KEY"));
    assert_null(strstr(new_log, "SENTINEL"));

    setenv("MODELLIX_API_KEY", FX_KEY, 1);
    setenv("MODELLIX_BASE_URL", "ftp://api.example.test", 1);
    new_log[0] = '\0';
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_EINVAL);
    assert_non_null(strstr(new_log, "MODELLIX_BASE_URL"));
    assert_null(strstr(new_log, "SENTINEL"));

    unsetenv("MODELLIX_BASE_URL");
    new_log[0] = '\0';
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    assert_string_equal(new_log, "");
    modellix_client_free(c);
    unsetenv("MODELLIX_API_KEY");
    modellix_options_free(o);
}

static void test_environment(void **state)
{
    fixture *f = *state;
    setenv("MODELLIX_API_KEY", FX_KEY, 1);
    setenv("MODELLIX_BASE_URL", mock_server_url(f->m), 1);
    modellix_client *c;
    assert_int_equal(modellix_client_new(&c, NULL), MODELLIX_OK);
    assert_string_equal(modellix_client_base_url(c), mock_server_url(f->m));
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    char auth[256];
    mock_server_last_authorization(f->m, MOCK_ROUTE_SUBMIT, auth, sizeof auth);
    assert_string_equal(auth, "Bearer " FX_KEY);
    modellix_task_free(t);
    modellix_client_free(c);

    /* options win over the environment */
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, "https://api.modellix.ai/"), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    assert_string_equal(modellix_client_base_url(c), "https://api.modellix.ai");
    modellix_client_free(c);
    modellix_options_free(o);

    /* an empty MODELLIX_BASE_URL means the default origin */
    setenv("MODELLIX_BASE_URL", "", 1);
    assert_int_equal(modellix_client_new(&c, NULL), MODELLIX_OK);
    assert_string_equal(modellix_client_base_url(c), "https://api.modellix.ai");
    modellix_client_free(c);

    /* a bad one is refused, not silently replaced */
    setenv("MODELLIX_BASE_URL", "http://api.example.test", 1);
    assert_int_equal(modellix_client_new(&c, NULL), MODELLIX_EINVAL);
    setenv("MODELLIX_BASE_URL", "https://gw.example/api", 1);
    assert_int_equal(modellix_client_new(&c, NULL), MODELLIX_EINVAL);
    unsetenv("MODELLIX_BASE_URL");
    unsetenv("MODELLIX_API_KEY");
}

static void test_base_url_option(void **state)
{
    (void)state;
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    static const char *const bad[] = {"http://api.example.test", "https://gw.example/api", "https://u:p@x.test",
                                      "https://x.test?q=1", "https://x.test#f", "ftp://x.test", "::", "https://"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(modellix_options_set_base_url(o, bad[i]), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_base_url(o, "http://127.0.0.1:8787"), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(NULL, "https://x.test"), MODELLIX_EINVAL);
    modellix_options_free(o);
}

static void test_option_arguments(void **state)
{
    (void)state;
    modellix_options *o;
    assert_int_equal(modellix_options_new(NULL), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, "has space"), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_api_key(o, NULL), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_timeout_ms(o, 0), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_timeout_ms(o, -5), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_call_timeout_ms(o, 86400001), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_max_in_flight(o, 0), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_max_in_flight(o, 3), MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_level(o, 9), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_user_agent(o, "bad\nagent"), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_user_agent(o, "myapp/1.0"), MODELLIX_OK);
    assert_int_equal(modellix_options_set_submit_path(o, 7), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_ca_file(o, ""), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_ca_file(o, "/etc/ssl/certs/ca-certificates.crt"), MODELLIX_OK);
    assert_int_equal(modellix_options_set_retry_policy(o, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_callback(o, NULL, NULL, NULL), MODELLIX_OK);
    modellix_options_free(o);
    modellix_options_free(NULL);
    modellix_client_free(NULL);
    modellix_task_free(NULL);
    modellix_retry_policy_free(NULL);
    modellix_free(NULL);
}

static void test_short_key_does_not_mangle_messages(void **state)
{
    fixture *f = *state;
    /* a one-letter key is not redacted: doing so would cut words apart and show where the key is */
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, "a"), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    modellix_task *t;
    assert_int_equal(modellix_task_attach(&t, c, "bad id"), MODELLIX_EINVAL);
    assert_non_null(strstr(modellix_client_errmsg(c), "contains unsupported characters"));
    assert_null(strstr(modellix_client_errmsg(c), "[REDACTED]"));
    modellix_client_free(c);
}

/* The User-Agent the mock received: "libmodellix/<version>" alone by default, the application's product
 * token first when one is set; on the submit, the poll and the file host alike. The key travels in no
 * header but Authorization and in no path. */
static void test_user_agent_sent(void **state)
{
    fixture *f = *state;
    char ua[512], path[256];
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, "{\"prompt\":\"ua\",\"mock_duration_ms\":0}"),
                     MODELLIX_OK);
    assert_int_equal(mock_server_last_user_agent(f->m, MOCK_ROUTE_SUBMIT, ua, sizeof ua), 0);
    assert_string_equal(ua, "libmodellix/" MODELLIX_VERSION_STRING);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    assert_int_equal(mock_server_last_user_agent(f->m, MOCK_ROUTE_TASK, ua, sizeof ua), 0);
    assert_string_equal(ua, "libmodellix/" MODELLIX_VERSION_STRING);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    uint8_t *data;
    size_t len;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    modellix_free(data);
    assert_int_equal(mock_server_last_user_agent(f->m, MOCK_ROUTE_FILE, ua, sizeof ua), 0);
    assert_string_equal(ua, "libmodellix/" MODELLIX_VERSION_STRING);
    assert_int_equal(mock_server_last_path(f->m, MOCK_ROUTE_SUBMIT, path, sizeof path), 0);
    assert_null(strstr(path, FX_KEY));
    modellix_task_free(t);

    /* an application's product token comes first */
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_options_set_user_agent(o, "myapp/2.1"), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(mock_server_last_user_agent(f->m, MOCK_ROUTE_SUBMIT, ua, sizeof ua), 0);
    assert_string_equal(ua, "myapp/2.1 libmodellix/" MODELLIX_VERSION_STRING);
    assert_null(strstr(ua, FX_KEY));
    modellix_task_free(t);
    modellix_client_free(c);
}

static void test_version_and_codes(void **state)
{
    (void)state;
    assert_int_equal(modellix_version_num(), MODELLIX_VERSION_NUM);
    assert_string_equal(modellix_version_string(), MODELLIX_VERSION_STRING);
    assert_true(MODELLIX_AT_LEAST_VERSION(1, 0, 0));
    assert_false(MODELLIX_AT_LEAST_VERSION(2, 0, 0));
    for (int code = 0; code >= MODELLIX_ETLS; code--) {
        const char *s = modellix_strerror(code);
        assert_non_null(s);
        assert_string_not_equal(s, "unknown error code");
    }
    assert_string_equal(modellix_strerror(-999), "unknown error code");
    assert_string_equal(modellix_strerror(5), "unknown error code");
    int r1 = modellix_global_init();
    assert_true(r1 > 0);
    int r2 = modellix_global_init();
    assert_int_equal(r2, r1 + 1);
    modellix_global_cleanup();
    modellix_global_cleanup();
}

static int log_freed;
static void count_free(void *ud)
{
    (void)ud;
    log_freed++;
}
static void noop_log(int32_t level, const char *m, void *ud)
{
    (void)level;
    (void)m;
    (void)ud;
}

static void test_log_user_data_lifetime(void **state)
{
    fixture *f = *state;
    modellix_options *o;
    modellix_client *c;
    log_freed = 0;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_callback(o, noop_log, &log_freed, count_free), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    assert_int_equal(log_freed, 0); /* the client still uses it */
    modellix_client_free(c);
    assert_int_equal(log_freed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_key),
        cmocka_unit_test(test_new_failure_reason_is_logged),
        cmocka_unit_test_setup_teardown(test_environment, fx_test_setup, fx_test_teardown),
        cmocka_unit_test(test_base_url_option),
        cmocka_unit_test(test_option_arguments),
        cmocka_unit_test_setup_teardown(test_user_agent_sent, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_short_key_does_not_mangle_messages, fx_test_setup, fx_test_teardown),
        cmocka_unit_test(test_version_and_codes),
        cmocka_unit_test_setup_teardown(test_log_user_data_lifetime, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("client", tests, fx_setup, fx_teardown);
}
