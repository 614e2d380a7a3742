/* HTTP tests: downloading result files to a directory and to memory, and the safety rules. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static modellix_task *finished_task(fixture *f)
{
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, "{\"prompt\":\"download\",\"mock_duration_ms\":50}"),
                     MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    return t;
}

static void test_download_to_dir(void **state)
{
    fixture *f = *state;
    modellix_task *t = finished_task(f);
    char *dir = fx_make_dir();
    char *path = NULL;
    assert_int_equal(modellix_task_download(t, 0, dir, 0, &path), MODELLIX_OK);
    assert_non_null(path);
    assert_true(strncmp(path, dir, strlen(dir)) == 0);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char head[8];
    assert_int_equal(fread(head, 1, 8, fp), 8);
    fclose(fp);
    assert_memory_equal(head, png_sig, 8);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    mode_t mask = umask(022);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask); /* staged 0600, installed like any new file */
    assert_int_equal(fx_count_entries(dir), 1); /* no staging file left behind */
    /* the file host never sees the key */
    char auth[256];
    assert_int_equal(mock_server_last_authorization(f->m, MOCK_ROUTE_FILE, auth, sizeof auth), 0);
    assert_string_equal(auth, "");

    /* the same again: the existing file is kept */
    char *again = (char *)1;
    assert_int_equal(modellix_task_download(t, 0, dir, 0, &again), MODELLIX_EEXIST);
    assert_null(again);
    assert_int_equal(fx_count_entries(dir), 1);
    assert_int_equal(modellix_task_download(t, 0, dir, MODELLIX_DOWNLOAD_OVERWRITE, &again), MODELLIX_OK);
    assert_string_equal(again, path);
    assert_int_equal(fx_count_entries(dir), 1);
    modellix_free(again);

    /* to memory: the same bytes */
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    assert_int_equal(len, (size_t)st.st_size);
    assert_memory_equal(data, png_sig, 8);
    modellix_free(data);
    modellix_free(path);
    fx_remove_dir(dir);
    modellix_task_free(t);
}

static void test_download_refusals(void **state)
{
    fixture *f = *state;
    modellix_task *t;
    assert_int_equal(modellix_task_attach(&t, f->c, "task-x"), MODELLIX_OK);
    uint8_t *data;
    size_t len;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_ESTATE);
    modellix_task_free(t);
    t = finished_task(f);
    assert_int_equal(modellix_task_download_mem(t, 5, 0, &data, &len), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_download(t, 0, "/nonexistent/dir", 0, NULL), MODELLIX_EINVAL);
    assert_int_equal(modellix_task_download_mem(NULL, 0, 0, &data, &len), MODELLIX_EINVAL);
    modellix_task_free(t);
}

static int redirect_to(fixture *f, const char *location, int32_t count, uint32_t flags)
{
    mock_server_clear_faults(f->m);
    modellix_task *t = finished_task(f);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_FILE;
    flt.kind = MOCK_FAULT_REDIRECT;
    flt.location = location;
    flt.count = count;
    fx_fault_full(f, &flt);
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = modellix_task_download_mem(t, 0, flags, &data, &len);
    if (rc == MODELLIX_OK)
        assert_memory_equal(data, png_sig, 8);
    else
        assert_null(data);
    modellix_free(data);
    modellix_task_free(t);
    mock_server_clear_faults(f->m);
    return rc;
}

static void test_redirects(void **state)
{
    fixture *f = *state;
    /* another loopback port, while the API itself is on loopback: allowed */
    assert_int_equal(redirect_to(f, "{other}{path}", 1, 0), MODELLIX_OK);
    /* plain http to a non-loopback host: refused before any connection */
    assert_int_equal(redirect_to(f, "http://files.example.test/a.png", 1, 0), MODELLIX_EUNSAFE);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "plain http"));
    /* a private address: refused at connection time, before any byte is sent */
    assert_int_equal(redirect_to(f, "https://10.255.255.1/a.png", 1, 0), MODELLIX_EUNSAFE);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "private"));
    assert_int_equal(redirect_to(f, "https://169.254.169.254/latest/meta-data", 1, 0), MODELLIX_EUNSAFE);
    /* other schemes and credentials */
    assert_int_equal(redirect_to(f, "file:///etc/passwd", 1, 0), MODELLIX_EUNSAFE);
    assert_int_equal(redirect_to(f, "https://user:pw@files.example.test/a.png", 1, 0), MODELLIX_EUNSAFE);
    /* a redirect loop: at most 5 hops */
    assert_int_equal(redirect_to(f, "{self}{path}", 0, 0), MODELLIX_EUNSAFE);
    assert_non_null(strstr(modellix_client_errmsg(f->c), "redirects"));
    /* exactly 5 hops are fine */
    assert_int_equal(redirect_to(f, "{self}{path}", 5, 0), MODELLIX_OK);
}

static void test_expired_file(void **state)
{
    fixture *f = *state;
    modellix_task *t = finished_task(f);
    fx_fault(f, MOCK_ROUTE_FILE, "GET", MOCK_FAULT_STATUS, 404, 0);
    uint8_t *data = NULL;
    size_t len;
    mock_server_reset_counters(f->m);
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_ENOTFOUND);
    /* one refresh of the task, one more try, then the error */
    assert_int_equal(fx_requests(f, MOCK_ROUTE_FILE), 2);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    char *dir = fx_make_dir();
    assert_int_equal(modellix_task_download(t, 0, dir, 0, NULL), MODELLIX_ENOTFOUND);
    assert_int_equal(fx_count_entries(dir), 0); /* nothing partial at the final path, no staging file */
    mock_server_clear_faults(f->m);
    fx_fault(f, MOCK_ROUTE_FILE, "GET", MOCK_FAULT_RESET_MIDWAY, 200, 0);
    assert_int_equal(modellix_task_download(t, 0, dir, 0, NULL), MODELLIX_ENETWORK);
    assert_int_equal(fx_count_entries(dir), 0);
    fx_remove_dir(dir);
    /* the signed query string never reaches a message or a log line */
    const char *url = modellix_task_resource_url(t, 0);
    const char *q = strchr(url, '?');
    assert_non_null(q);
    assert_null(strstr(f->log, q));
    assert_null(strstr(modellix_client_errmsg(f->c), q));
    modellix_task_free(t);
}

static void test_expired_url_is_refreshed_once(void **state)
{
    fixture *f = *state;
    modellix_task *t = finished_task(f);
    fx_fault(f, MOCK_ROUTE_FILE, "GET", MOCK_FAULT_STATUS, 403, 1);
    mock_server_reset_counters(f->m);
    uint8_t *data = NULL;
    size_t len;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    assert_memory_equal(data, png_sig, 8);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_FILE), 2);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    assert_non_null(strstr(f->log, "refreshing its URL once"));
    modellix_free(data);
    modellix_task_free(t);
}

typedef struct progress {
    int calls;
    int64_t last, total;
    int64_t abort_after;
} progress;

static int on_progress(const modellix_task *t, size_t index, int64_t received, int64_t total, void *ud)
{
    progress *p = ud;
    (void)t;
    assert_int_equal(index, 0);
    p->calls++;
    p->last = received;
    p->total = total;
    return p->abort_after >= 0 && received > p->abort_after;
}

static modellix_client *client_with_limits(fixture *f, progress *p, int64_t max_file, int64_t max_task)
{
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    if (p)
        assert_int_equal(modellix_options_set_progress_callback(o, on_progress, p, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_download_limits(o, max_file, max_task, 60000), MODELLIX_OK);
    assert_int_equal(modellix_options_set_download_limits(o, 0, 1, 1), MODELLIX_EINVAL);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    return c;
}

static modellix_task *finished_on(modellix_client *c, const char *body)
{
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, body), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    return t;
}

static void test_progress_and_abort(void **state)
{
    fixture *f = *state;
    progress p = {0, 0, 0, -1};
    modellix_client *c = client_with_limits(f, &p, (int64_t)1 << 30, (int64_t)1 << 31);
    modellix_task *t = finished_on(c, "{\"prompt\":\"p\",\"mock_duration_ms\":50}");
    uint8_t *data;
    size_t len;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    assert_true(p.calls > 0);
    assert_int_equal(p.last, (int64_t)len);
    assert_int_equal(p.total, (int64_t)len);
    modellix_free(data);
    /* a callback that says stop: MODELLIX_EUSER and nothing at the final path */
    p.abort_after = 1000;
    char *dir = fx_make_dir();
    assert_int_equal(modellix_task_download(t, 0, dir, 0, NULL), MODELLIX_EUSER);
    assert_int_equal(fx_count_entries(dir), 0);
    assert_int_equal(modellix_task_download_errcode(t, 0), MODELLIX_EUSER);
    assert_null(modellix_task_download_path(t, 0));
    fx_remove_dir(dir);
    modellix_task_free(t);
    modellix_client_free(c);
}

static void test_size_limits(void **state)
{
    fixture *f = *state;
    modellix_client *c = client_with_limits(f, NULL, 1000, (int64_t)1 << 31);
    modellix_task *t = finished_on(c, "{\"prompt\":\"s\",\"mock_duration_ms\":50}");
    uint8_t *data;
    size_t len;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_ETOOLARGE);
    modellix_task_free(t);
    modellix_client_free(c);
    /* a per-task budget that fits one image but not two */
    c = client_with_limits(f, NULL, (int64_t)1 << 30, 300000);
    t = finished_on(c, "{\"prompt\":\"s\",\"mock_duration_ms\":50}");
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    modellix_free(data);
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_ETOOLARGE);
    modellix_task_free(t);
    modellix_client_free(c);
}

static void test_download_all_and_rename(void **state)
{
    fixture *f = *state;
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, "{\"prompt\":\"all\",\"mock_duration_ms\":50,\"mock_resources\":3}"),
                     MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    assert_int_equal(modellix_task_resource_count(t), 3);
    char *dir = fx_make_dir();
    size_t ok = 0;
    assert_int_equal(modellix_task_download_all(t, dir, 0, &ok), MODELLIX_OK);
    assert_int_equal(ok, 3);
    assert_int_equal(fx_count_entries(dir), 3);
    char first[1024];
    snprintf(first, sizeof first, "%s", modellix_task_download_path(t, 0));
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(modellix_task_download_errcode(t, i), MODELLIX_OK);
        assert_non_null(modellix_task_download_path(t, i));
    }
    assert_null(modellix_task_download_path(t, 3));
    assert_int_equal(modellix_task_download_errcode(t, 3), MODELLIX_ESTATE);
    /* again: nothing is overwritten, the new files get "-2" */
    assert_int_equal(modellix_task_download_all(t, dir, 0, &ok), MODELLIX_OK);
    assert_int_equal(fx_count_entries(dir), 6);
    const char *second = modellix_task_download_path(t, 0);
    assert_string_not_equal(second, first);
    assert_non_null(strstr(second, "-2.png"));
    /* a single download with RENAME picks "-3" */
    char *third = NULL;
    assert_int_equal(modellix_task_download(t, 0, dir, MODELLIX_DOWNLOAD_RENAME, &third), MODELLIX_OK);
    assert_non_null(strstr(third, "-3.png"));
    modellix_free(third);
    fx_remove_dir(dir);
    modellix_task_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_download_to_dir, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_download_refusals, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_redirects, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_expired_file, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_expired_url_is_refreshed_once, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_progress_and_abort, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_size_limits, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_download_all_and_rename, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("download", tests, fx_setup, fx_teardown);
}
