/* Unit tests: the proxy decision (settings, environment, no-proxy lists) and the download address
 * rules with a proxy (the file host is checked, the proxy is not). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"
#include "netpolicy.h"
#include "proxy.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static void test_no_proxy_lists(void **state)
{
    (void)state;
    assert_true(mx_no_proxy_match("*", "api.modellix.ai"));
    assert_true(mx_no_proxy_match("example.com", "example.com"));
    assert_true(mx_no_proxy_match("example.com", "files.Example.COM"));
    assert_true(mx_no_proxy_match(".example.com", "files.example.com"));
    assert_true(mx_no_proxy_match("a.test, example.com", "example.com."));
    assert_false(mx_no_proxy_match("example.com", "badexample.com"));
    assert_false(mx_no_proxy_match("example.com", "exbmple.com")); /* same length, one letter off */
    assert_false(mx_no_proxy_match("a.test", "b.test"));
    assert_true(mx_ascii_ncaseeq("X-Request-Id", "x-request-id", 12));
    assert_false(mx_ascii_ncaseeq("X-Request-Id", "x-request-ix", 12));
    assert_true(mx_ascii_ncaseeq("abcX", "ABCy", 3));
    assert_false(mx_no_proxy_match("files.example.com", "example.com"));
    assert_true(mx_no_proxy_match("localhost 127.0.0.0/8", "127.1.2.3"));
    assert_true(mx_no_proxy_match("10.0.0.1", "10.0.0.1"));
    assert_false(mx_no_proxy_match("10.0.0.1", "10.0.0.2"));
    assert_true(mx_no_proxy_match("fd00::/8", "[fd12::1]"));
    assert_true(mx_no_proxy_match("::1", "[::1]"));
    assert_false(mx_no_proxy_match("::1", "127.0.0.1"));
    assert_false(mx_no_proxy_match("127.0.0.0/8", "localhost")); /* names are not resolved */
    assert_false(mx_no_proxy_match("", "example.com"));
    assert_false(mx_no_proxy_match(NULL, "example.com"));
    assert_false(mx_no_proxy_match("10.0.0.0/33", "10.0.0.1"));
}

static char *proxy_for(const mx_proxy_cfg *cfg, const char *url)
{
    char *p = (char *)1;
    assert_int_equal(mx_proxy_for(cfg, url, &p), MODELLIX_OK);
    return p;
}

static void test_decision(void **state)
{
    (void)state;
    unsetenv("http_proxy");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("all_proxy");
    unsetenv("ALL_PROXY");
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    mx_proxy_cfg env = {NULL, NULL, 1}, none = {NULL, NULL, 0};
    assert_null(proxy_for(&env, "https://api.modellix.ai/api/v1/models"));

    setenv("HTTP_PROXY", "http://upper:1", 1); /* never read, as by libcurl */
    setenv("https_proxy", "http://sec:3128", 1);
    setenv("ALL_PROXY", "socks5h://all:1080", 1);
    char *p = proxy_for(&env, "http://files.test/a.png");
    assert_string_equal(p, "socks5h://all:1080"); /* http: only http_proxy, then all_proxy */
    free(p);
    p = proxy_for(&env, "https://api.modellix.ai/x");
    assert_string_equal(p, "http://sec:3128");
    free(p);
    assert_null(proxy_for(&none, "https://api.modellix.ai/x")); /* the environment refused */

    setenv("NO_PROXY", ".modellix.ai", 1);
    assert_null(proxy_for(&env, "https://api.modellix.ai/x"));
    p = proxy_for(&env, "https://cdn.test/x");
    assert_string_equal(p, "http://sec:3128");
    free(p);

    /* a proxy set on the options wins; its own list replaces the environment's */
    mx_proxy_cfg set = {"http://10.1.2.3:8080", NULL, 1};
    p = proxy_for(&set, "https://cdn.test/x");
    assert_string_equal(p, "http://10.1.2.3:8080");
    free(p);
    assert_null(proxy_for(&set, "https://api.modellix.ai/x")); /* the environment's NO_PROXY still applies */
    set.no_proxy = "";
    p = proxy_for(&set, "https://api.modellix.ai/x");
    assert_non_null(p);
    free(p);
    set.no_proxy = "cdn.test";
    assert_null(proxy_for(&set, "https://cdn.test/x"));
    set.no_proxy = NULL;
    set.from_env = 0; /* the environment's list is not read either */
    p = proxy_for(&set, "https://api.modellix.ai/x");
    assert_non_null(p);
    free(p);
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("ALL_PROXY");
    unsetenv("NO_PROXY");
}

static void test_options(void **state)
{
    (void)state;
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_proxy(o, "http://127.0.0.1:3128"), MODELLIX_OK);
    assert_int_equal(modellix_options_set_proxy(o, "socks5h://user:pw@proxy.test:1080"), MODELLIX_OK);
    assert_int_equal(modellix_options_set_proxy(o, "https://[::1]:8443"), MODELLIX_OK);
    assert_int_equal(modellix_options_set_proxy(o, "ftp://proxy.test"), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_proxy(o, "proxy.test:3128"), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_proxy(o, ""), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_proxy(o, "http://proxy.test:3128\r\nX: y"), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_proxy(NULL, "http://proxy.test"), MODELLIX_EINVAL);
    assert_string_equal(o->proxy.url, "https://[::1]:8443"); /* a refused value changes nothing */
    assert_int_equal(modellix_options_set_proxy(o, NULL), MODELLIX_OK);
    assert_null(o->proxy.url);
    assert_int_equal(modellix_options_set_no_proxy(o, "localhost, 10.0.0.0/8"), MODELLIX_OK);
    assert_string_equal(o->proxy.no_proxy, "localhost, 10.0.0.0/8");
    assert_int_equal(modellix_options_set_no_proxy(o, "a\x01"), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_no_proxy(o, ""), MODELLIX_OK); /* "" = no exceptions, as documented */
    assert_string_equal(o->proxy.no_proxy, "");
    assert_int_equal(o->proxy.from_env, 1);
    assert_int_equal(modellix_options_set_proxy_from_env(o, 0), MODELLIX_OK);
    assert_int_equal(o->proxy.from_env, 0);
    assert_int_equal(modellix_options_set_proxy_from_env(o, 2), MODELLIX_EINVAL);
    assert_int_equal(o->proxy.from_env, 0);
    modellix_options_free(o);
}

static struct sockaddr_in v4(const char *s)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, s, &a.sin_addr), 1);
    return a;
}

static void test_address_rules(void **state)
{
    (void)state;
    struct sockaddr_in priv = v4("10.1.2.3"), lo = v4("127.0.0.1"), pub = v4("93.184.216.34");
    /* direct: the file host's address decides */
    assert_false(mx_connect_allowed((struct sockaddr *)&priv, 0, 0, 0));
    assert_false(mx_connect_allowed((struct sockaddr *)&priv, 0, 0, 1));
    assert_false(mx_connect_allowed((struct sockaddr *)&lo, 0, 0, 0));
    assert_true(mx_connect_allowed((struct sockaddr *)&lo, 0, 0, 1));
    assert_true(mx_connect_allowed((struct sockaddr *)&pub, 0, 0, 0));
    assert_true(mx_connect_allowed((struct sockaddr *)&priv, 0, 1, 0));
    /* to the proxy: wherever the application put it */
    assert_true(mx_connect_allowed((struct sockaddr *)&priv, 1, 0, 0));
    assert_true(mx_connect_allowed((struct sockaddr *)&lo, 1, 0, 0));

    /* the file host behind a proxy, resolved here (literals and /etc/hosts only: no DNS traffic) */
    char err[400];
    char pin[64];
    assert_int_equal(mx_check_file_host("https://10.0.0.1/r.png", 1, err, sizeof err, pin, sizeof pin), MODELLIX_EUNSAFE);
    assert_string_equal(pin, "");
    assert_non_null(strstr(err, "10.0.0.1"));
    assert_int_equal(mx_check_file_host("https://192.168.1.1/r.png", 0, err, sizeof err, NULL, 0), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_file_host("https://[::ffff:10.0.0.1]/r.png", 0, err, sizeof err, NULL, 0), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_file_host("https://169.254.169.254/latest", 0, err, sizeof err, NULL, 0), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_file_host("https://localhost/r.png", 0, err, sizeof err, NULL, 0), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_file_host("http://127.0.0.1:8080/r.png", 0, err, sizeof err, NULL, 0), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_file_host("http://127.0.0.1:8080/r.png", 1, err, sizeof err, NULL, 0), MODELLIX_OK);
    assert_int_equal(mx_check_file_host("https://93.184.216.34/r.png", 0, err, sizeof err, pin, sizeof pin), MODELLIX_OK);
    assert_string_equal(pin, "93.184.216.34");
    assert_int_equal(mx_check_file_host("https://[::1]:8443/r.png", 1, err, sizeof err, pin, sizeof pin), MODELLIX_OK);
    assert_string_equal(pin, "[::1]");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_proxy_lists),
        cmocka_unit_test(test_decision),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_address_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
