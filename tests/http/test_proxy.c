/* HTTP tests: proxies (issue 15, deliverable 3), through Debian's tinyproxy on loopback.
 *
 * The test starts its own tinyproxy (non-daemon, config and log in a temporary directory, a free
 * loopback port) and counts the request lines in its log: what the library asked the proxy for.
 * The proxy also carries a filter that refuses 10.0.0.0/8 and 192.168.0.0/16: if the library ever
 * asked for such a target, the log would show the request and the proxy still would not connect. */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct proxy {
    pid_t pid;
    char *dir;
    char log[512];
    char url[64];
} proxy;

static proxy px;
static mock_server *tls_mock; /* HTTPS, certificate for 127.0.0.1, ::1 and localhost (MX_TEST_CERTS) */
static char ca_file[4096];

static uint16_t free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &l) != 0) {
        if (s >= 0)
            close(s);
        return 0;
    }
    close(s);
    return ntohs(a.sin_port);
}

static int accepts(uint16_t port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0)
        close(s);
    return ok;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int start_tinyproxy(void)
{
    char conf[512], filter[512];
    snprintf(conf, sizeof conf, "%s/tinyproxy.conf", px.dir);
    snprintf(filter, sizeof filter, "%s/filter", px.dir);
    snprintf(px.log, sizeof px.log, "%s/tinyproxy.log", px.dir);
    FILE *fp = fopen(filter, "w");
    if (!fp)
        return -1;
    fputs("^10\\.\n^192\\.168\\.\n", fp);
    fclose(fp);
    for (int tries = 0; tries < 5; tries++) {
        uint16_t port = free_port();
        if (!port)
            return -1;
        if (!(fp = fopen(conf, "w")))
            return -1;
        fprintf(fp,
                "Port %u\nListen 127.0.0.1\nTimeout 30\nMaxClients 64\nLogFile \"%s\"\nLogLevel Info\n"
                "Filter \"%s\"\nFilterType ere\nFilterURLs Off\n",
                (unsigned)port, px.log, filter);
        fclose(fp);
        char *argv[] = {"tinyproxy", "-d", "-c", conf, NULL};
        pid_t parent = getpid(), pid = fork();
        if (pid == 0) {
            fx_tie_to_parent(parent);
            int dn = open("/dev/null", O_RDWR);
            dup2(dn, 0);
            dup2(dn, 1);
            dup2(dn, 2);
            execvp("tinyproxy", argv);
            _exit(127);
        }
        if (pid < 0)
            return -1;
        for (int i = 0; i < 100; i++) {
            if (accepts(port)) {
                px.pid = pid;
                snprintf(px.url, sizeof px.url, "http://127.0.0.1:%u", (unsigned)port);
                return 0;
            }
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid)
                break; /* it exited: the port was taken meanwhile, or no tinyproxy */
            sleep_ms(50);
        }
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return -1;
}

static int group_teardown(void **state);

static int group_setup(void **state)
{
    if (fx_setup(state) != 0)
        return -1;
    char tmpl[] = "/tmp/modellix-proxy-XXXXXX";
    if (!mkdtemp(tmpl) || !(px.dir = strdup(tmpl))) {
        group_teardown(state);
        return -1;
    }
    if (start_tinyproxy() != 0) {
        fprintf(stderr, "# cannot start tinyproxy (apt-get install tinyproxy)\n");
        group_teardown(state); /* cmocka does not call it after a failed set-up */
        return -1;
    }
    const char *certs = getenv("MX_TEST_CERTS");
    char cert[4096], key[4096];
    if (!certs || snprintf(cert, sizeof cert, "%s/server.pem", certs) >= (int)sizeof cert) {
        fprintf(stderr, "# MX_TEST_CERTS is not set\n");
        group_teardown(state);
        return -1;
    }
    snprintf(key, sizeof key, "%s/server.key", certs);
    snprintf(ca_file, sizeof ca_file, "%s/ca.pem", certs);
    mock_config cfg;
    mock_config_init(&cfg);
    cfg.duration_ms = 20;
    cfg.max_running = 0;
    cfg.tls_cert_file = cert;
    cfg.tls_key_file = key;
    if (mock_server_start(&tls_mock, &cfg) != 0) {
        group_teardown(state);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    if (px.pid > 0) {
        kill(px.pid, SIGTERM);
        waitpid(px.pid, NULL, 0);
        px.pid = 0;
    }
    if (px.dir)
        fx_remove_dir(px.dir);
    px.dir = NULL;
    mock_server_stop(tls_mock);
    tls_mock = NULL;
    int rc = fx_teardown(state);
    *state = NULL;
    return rc;
}

/* Request lines in the proxy's log that contain `needle` (NULL: all of them). */
static int proxied(const char *needle)
{
    FILE *fp = fopen(px.log, "r");
    if (!fp)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, fp)) {
        const char *req = strstr(line, "]: Request (");
        if (req && (!needle || strstr(req, needle)))
            n++;
        assert_null(strstr(line, FX_KEY)); /* the key never reaches a proxy log */
    }
    fclose(fp);
    return n;
}

/* The proxy writes its log as it goes: wait (at most 2 s) until `needle` has been seen `want` times. */
static int proxied_at_least(const char *needle, int want)
{
    int n = 0;
    for (int i = 0; i < 40 && (n = proxied(needle)) < want; i++)
        sleep_ms(50);
    return n;
}

static void proxy_client(fixture *f, const char *no_proxy)
{
    fx_opts o = {.fast_retries = 1, .proxy = px.url, .no_proxy = no_proxy, .no_env_proxy = 1};
    fx_client(f, &o);
}

static void origin_needle(fixture *f, char *buf, size_t cap, const char *what)
{
    snprintf(buf, cap, "%s %s/", what, mock_server_url(f->m));
}

/* Every request, API and download, goes through the proxy (a proxy on a loopback address). */
static void test_api_and_downloads_through_the_proxy(void **state)
{
    fixture *f = *state;
    proxy_client(f, NULL);
    mock_server_reset_counters(f->m);
    int before = proxied(NULL);
    char post[128], get[128];
    origin_needle(f, post, sizeof post, "POST");
    origin_needle(f, get, sizeof get, "GET");
    int posts0 = proxied(post), gets0 = proxied(get);

    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, "{\"prompt\":\"proxy\",\"mock_duration_ms\":20}"),
                     MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    assert_true(len > 8);
    modellix_free(data);
    char *dir = fx_make_dir();
    char *path = NULL;
    assert_int_equal(modellix_task_download(t, 0, dir, 0, &path), MODELLIX_OK);
    assert_non_null(path);
    modellix_free(path);
    fx_remove_dir(dir);

    int64_t served = mock_server_counter(f->m, MOCK_CTR_REQUESTS, MOCK_ROUTE_ANY);
    int64_t files = fx_requests(f, MOCK_ROUTE_FILE);
    assert_int_equal(fx_tasks_created(f), 1);
    assert_int_equal(files, 2);
    /* every request the mock served was asked of the proxy, and nothing else was */
    int total = proxied_at_least(NULL, before + (int)served) - before;
    printf("# through the proxy: %d request(s); the mock served %lld (%lld file GETs)\n", total, (long long)served,
           (long long)files);
    assert_int_equal(total, (int)served);
    assert_int_equal(proxied(post) - posts0, 1);
    char files_needle[128];
    snprintf(files_needle, sizeof files_needle, "GET %s/files/", mock_server_url(f->m));
    assert_int_equal(proxied(files_needle), 2);
    assert_true(proxied(get) - gets0 >= 3); /* at least one poll and the two files */
    modellix_task_free(t);
}

/* A successful task whose only resource is at `url`. */
static modellix_task *task_with_resource(fixture *f, const char *id, const char *url)
{
    static char body[512];
    snprintf(body, sizeof body,
             "{\"code\":0,\"message\":\"success\",\"data\":{\"task_id\":\"%s\",\"status\":\"success\","
             "\"result\":{\"resources\":[{\"url\":\"%s\",\"type\":\"image\"}]}}}",
             id, url);
    assert_int_equal(mock_server_put_task(f->m, id, FX_SLUG, "success", 1), 0);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_TASK;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 200;
    flt.body = body;
    flt.count = 1;
    fx_fault_full(f, &flt);
    modellix_task *t;
    assert_int_equal(modellix_task_attach(&t, f->c, id), MODELLIX_OK);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_string_equal(modellix_task_resource_url(t, 0), url);
    return t;
}

/* Private targets are refused before the proxy is asked: as the result URL, and as a redirect. */
static void test_private_target_refused_before_the_proxy(void **state)
{
    fixture *f = *state;
    proxy_client(f, NULL);
    static const struct {
        const char *url;
        uint32_t flags;
    } cases[] = {
        {"https://10.0.0.1/files/r.png", 0},
        {"http://192.168.1.1/files/r.png", MODELLIX_DOWNLOAD_ALLOW_HTTP},
        {"https://[fd00::1]/files/r.png", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char id[32];
        snprintf(id, sizeof id, "task-px-private-%zu", i);
        modellix_task *t = task_with_resource(f, id, cases[i].url);
        int asked = proxied(NULL);
        uint8_t *data = (uint8_t *)1;
        size_t len = 1;
        assert_int_equal(modellix_task_download_mem(t, 0, cases[i].flags, &data, &len), MODELLIX_EUNSAFE);
        assert_null(data);
        assert_int_equal(len, 0);
        printf("# %s: %s\n", cases[i].url, modellix_client_errmsg(f->c));
        assert_non_null(strstr(modellix_client_errmsg(f->c), "not asking the proxy"));
        modellix_task_free(t);
        sleep_ms(100); /* anything the proxy was asked would be in its log by now */
        assert_int_equal(proxied(NULL), asked);
    }
    assert_int_equal(proxied("10.0.0.1"), 0);
    assert_int_equal(proxied("192.168.1.1"), 0);
    assert_int_equal(proxied("fd00"), 0);

    /* the file host redirects to a private address: the first hop goes through, the second is refused */
    mock_server_reset_counters(f->m);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, "{\"prompt\":\"redirect\",\"mock_duration_ms\":20}"),
                     MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_FILE;
    flt.kind = MOCK_FAULT_REDIRECT;
    flt.location = "http://10.0.0.1/files/r.png";
    flt.count = 1;
    fx_fault_full(f, &flt);
    char files_needle[128];
    snprintf(files_needle, sizeof files_needle, "GET %s/files/", mock_server_url(f->m));
    int files0 = proxied(files_needle);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(modellix_task_download_mem(t, 0, MODELLIX_DOWNLOAD_ALLOW_HTTP, &data, &len), MODELLIX_EUNSAFE);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_FILE), 1);
    assert_int_equal(proxied_at_least(files_needle, files0 + 1), files0 + 1);
    sleep_ms(100);
    assert_int_equal(proxied("10.0.0.1"), 0);
    modellix_task_free(t);
}

/* The environment's proxy is used by default, and ignored when refused; no-proxy lists apply. */
static void test_environment_proxy(void **state)
{
    fixture *f = *state;
    assert_int_equal(setenv("http_proxy", px.url, 1), 0);
    modellix_task *t;
    int n0 = proxied(NULL);

    /* default: the environment's proxy */
    fx_client(f, NULL);
    assert_int_equal(mock_server_put_task(f->m, "task-px-env", FX_SLUG, "processing", 1), 0);
    assert_int_equal(modellix_task_attach(&t, f->c, "task-px-env"), MODELLIX_OK);
    mock_server_reset_counters(f->m);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    modellix_task_free(t);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    assert_int_equal(proxied_at_least("/api/v1/tasks/task-px-env", 1), 1);
    assert_int_equal(proxied(NULL), n0 + 1);

    /* refused: straight to the server */
    fx_opts o = {.fast_retries = 1, .no_env_proxy = 1};
    fx_client(f, &o);
    assert_int_equal(modellix_task_attach(&t, f->c, "task-px-env"), MODELLIX_OK);
    mock_server_reset_counters(f->m);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    modellix_task_free(t);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    sleep_ms(100);
    assert_int_equal(proxied(NULL), n0 + 1);

    /* the environment's NO_PROXY, and a no-proxy list set on the options, bypass it */
    assert_int_equal(setenv("NO_PROXY", "localhost,127.0.0.1", 1), 0);
    fx_client(f, NULL);
    assert_int_equal(modellix_task_attach(&t, f->c, "task-px-env"), MODELLIX_OK);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    modellix_task_free(t);
    assert_int_equal(unsetenv("NO_PROXY"), 0);
    proxy_client(f, "127.0.0.0/8");
    assert_int_equal(modellix_task_attach(&t, f->c, "task-px-env"), MODELLIX_OK);
    mock_server_reset_counters(f->m);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    modellix_task_free(t);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_TASK), 1);
    sleep_ms(100);
    assert_int_equal(proxied(NULL), n0 + 1);
    assert_int_equal(unsetenv("http_proxy"), 0);
}

/* An https file through the proxy: the tunnel is asked for the address that was checked, never for
   the name (which the proxy would resolve again, maybe elsewhere). */
static void test_https_tunnel_pinned_to_the_checked_address(void **state)
{
    fixture *f = *state;
    fx_opts o = {.fast_retries = 1, .base_url = mock_server_url(tls_mock), .ca_file = ca_file, .proxy = px.url,
                 .no_env_proxy = 1};
    fx_client(f, &o);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, f->c, FX_SLUG, "{\"prompt\":\"tunnel\",\"mock_duration_ms\":10}"),
                     MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    const char *url0 = modellix_task_resource_url(t, 0);
    const char *origin = mock_server_url(tls_mock); /* https://127.0.0.1:PORT */
    assert_true(strncmp(url0, origin, strlen(origin)) == 0);
    /* the same file, named by host name: https://localhost:PORT/files/... */
    char url1[1024], id[128], body[1400];
    snprintf(url1, sizeof url1, "https://localhost:%u%s", (unsigned)mock_server_port(tls_mock), url0 + strlen(origin));
    snprintf(id, sizeof id, "%s", modellix_task_id(t));
    snprintf(body, sizeof body,
             "{\"code\":0,\"message\":\"success\",\"data\":{\"task_id\":\"%s\",\"status\":\"success\","
             "\"result\":{\"resources\":[{\"url\":\"%s\",\"type\":\"image\"}]}}}",
             id, url1);
    modellix_task_free(t);
    mock_fault flt = {0};
    flt.route = MOCK_ROUTE_TASK;
    flt.kind = MOCK_FAULT_STATUS;
    flt.status = 200;
    flt.body = body;
    flt.count = 1;
    assert_int_equal(mock_server_add_fault(tls_mock, &flt), 0);
    assert_int_equal(modellix_task_attach(&t, f->c, id), MODELLIX_OK);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
    assert_string_equal(modellix_task_resource_url(t, 0), url1);

    char pinned[64];
    snprintf(pinned, sizeof pinned, "CONNECT 127.0.0.1:%u ", (unsigned)mock_server_port(tls_mock));
    int tunnels0 = proxied(pinned);
    int64_t files0 = mock_server_counter(tls_mock, MOCK_CTR_REQUESTS, MOCK_ROUTE_FILE);
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    assert_true(len > 8);
    modellix_free(data);
    assert_int_equal(mock_server_counter(tls_mock, MOCK_CTR_REQUESTS, MOCK_ROUTE_FILE), files0 + 1);
    int tunnels = proxied_at_least(pinned, tunnels0 + 1) - tunnels0;
    printf("# tunnels to %s: %d; to localhost: %d\n", pinned, tunnels, proxied("CONNECT localhost"));
    assert_true(tunnels >= 1);
    assert_int_equal(proxied("CONNECT localhost"), 0);
    assert_int_equal(proxied("localhost"), 0);
    modellix_task_free(t);
    mock_server_clear_faults(tls_mock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_api_and_downloads_through_the_proxy, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_private_target_refused_before_the_proxy, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_environment_proxy, fx_test_setup, fx_test_teardown),
        cmocka_unit_test_setup_teardown(test_https_tunnel_pinned_to_the_checked_address, fx_test_setup,
                                        fx_test_teardown),
    };
    return cmocka_run_group_tests_name("proxy", tests, group_setup, group_teardown);
}
