/* Unit tests: file names from result URLs, and the download address and URL rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "filename.h"
#include "netpolicy.h"

#include <arpa/inet.h>
#include <modellix/errors.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static void expect_name(const char *url, size_t index, const char *want)
{
    char *n = mx_safe_filename(url, index);
    assert_non_null(n);
    assert_string_equal(n, want);
    free(n);
}

static void test_names(void **state)
{
    (void)state;
    expect_name("https://cdn.example.com/images/abc123.png?signature=xyz", 0, "abc123.png");
    expect_name("https://cdn.example.com/%2e%2e%2foutside.png", 0, "-outside.png");
    expect_name("https://cdn.example.com/a/..%2F..%2Fetc%2Fpasswd", 0, "-..-etc-passwd");
    expect_name("https://cdn.example.com/.hidden", 0, "hidden");
    expect_name("https://cdn.example.com/name...", 0, "name");
    expect_name("https://cdn.example.com/", 2, "resource-3");
    expect_name("https://cdn.example.com", 0, "resource-1");
    expect_name("https://cdn.example.com/...", 0, "resource-1");
    expect_name("https://cdn.example.com/con.png", 0, "resource-con.png");
    expect_name("https://cdn.example.com/LPT1", 0, "resource-LPT1");
    expect_name("https://cdn.example.com/a%0Ab%00c.png", 0, "a%0Ab%00c.png"); /* NUL: raw text kept */
    expect_name("https://cdn.example.com/a%0Ab.png", 0, "a-b.png");
    expect_name("https://cdn.example.com/a%3Cb%3E%7C.png", 0, "a-b--.png");
    expect_name("https://cdn.example.com/x%E2%80%AEgnp.exe", 0, "x-gnp.exe");
    expect_name("https://cdn.example.com/%FF%FE.png", 0, "--.png");
    expect_name("https://cdn.example.com/caf%C3%A9.png", 0, "caf\xc3\xa9.png");
}

static void test_long_names(void **state)
{
    (void)state;
    char url[1024] = "https://cdn.example.com/";
    size_t n = strlen(url);
    for (int i = 0; i < 300; i++)
        url[n++] = 'a';
    strcpy(url + n, ".jpeg");
    char *name = mx_safe_filename(url, 0);
    assert_int_equal(strlen(name), MX_FILENAME_MAX_BYTES);
    assert_string_equal(name + strlen(name) - 5, ".jpeg");
    free(name);
    /* multi-byte characters are never cut in half */
    n = strlen("https://cdn.example.com/");
    url[n] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(url, "%C3%A9");
    name = mx_safe_filename(url, 0);
    assert_true(strlen(name) <= MX_FILENAME_MAX_BYTES);
    assert_int_equal(strlen(name) % 2, 0);
    free(name);
}

static void test_cut_never_ends_in_dot_or_space(void **state)
{
    (void)state;
    /* found by fuzzing: an extension too long to keep used to leave "aaa...a." after the cut */
    for (int k = 0; k < 2; k++) {
        char url[512] = "https://cdn.example.com/";
        size_t n = strlen(url);
        for (int i = 0; i < 159; i++)
            url[n++] = 'a';
        url[n++] = k ? ' ' : '.';
        if (k) {
            memcpy(url + n - 1, "%20", 3);
            n += 2;
        }
        for (int i = 0; i < 21; i++)
            url[n++] = 'b';
        url[n] = '\0';
        char *name = mx_safe_filename(url, 0);
        size_t len = strlen(name);
        assert_true(len > 0 && len <= MX_FILENAME_MAX_BYTES);
        assert_true(name[len - 1] != '.' && name[len - 1] != ' ');
        free(name);
    }
}

static int blocked4(const char *ip)
{
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return mx_addr_blocked((struct sockaddr *)&a);
}

static int blocked6(const char *ip)
{
    struct sockaddr_in6 a = {0};
    a.sin6_family = AF_INET6;
    assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    return mx_addr_blocked((struct sockaddr *)&a);
}

static void test_addresses(void **state)
{
    (void)state;
    static const char *const bad4[] = {"0.1.2.3",     "10.0.0.1",    "127.0.0.1",    "100.64.0.1",  "169.254.169.254",
                                       "172.16.0.1",  "172.31.255.1", "192.0.0.8",   "192.0.2.1",   "192.88.99.1",
                                       "192.168.1.1", "198.18.0.1",  "198.19.255.1", "198.51.100.1", "203.0.113.9",
                                       "224.0.0.1",   "255.255.255.255"};
    for (size_t i = 0; i < sizeof bad4 / sizeof bad4[0]; i++)
        assert_true(blocked4(bad4[i]));
    static const char *const good4[] = {"8.8.8.8", "203.0.1.1", "172.32.0.1", "100.128.0.1", "198.20.0.1"};
    for (size_t i = 0; i < sizeof good4 / sizeof good4[0]; i++)
        assert_false(blocked4(good4[i]));
    static const char *const bad6[] = {"::", "::1", "::ffff:8.8.8.8", "fe80::1", "fc00::1", "ff02::1",
                                       "2001:db8::1", "2001::1", "2002::1", "3fff::1"};
    for (size_t i = 0; i < sizeof bad6 / sizeof bad6[0]; i++)
        assert_true(blocked6(bad6[i]));
    assert_false(blocked6("2606:4700::1111"));
    struct sockaddr_in lo = {0};
    lo.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.2", &lo.sin_addr);
    assert_true(mx_addr_loopback((struct sockaddr *)&lo));
}

static void test_url_rules(void **state)
{
    (void)state;
    char err[400];
    assert_int_equal(mx_check_download_url("https://cdn.example.com/a.png?sig=1", 0, 0, err, sizeof err), MODELLIX_OK);
    assert_int_equal(mx_check_download_url("http://cdn.example.com/a.png?sig=SECRET", 0, 0, err, sizeof err),
                     MODELLIX_EUNSAFE);
    assert_null(strstr(err, "SECRET")); /* signed query strings never reach a message */
    assert_int_equal(mx_check_download_url("http://cdn.example.com/a.png", 1, 0, err, sizeof err), MODELLIX_OK);
    assert_int_equal(mx_check_download_url("http://127.0.0.1:9/a.png", 0, 1, err, sizeof err), MODELLIX_OK);
    assert_int_equal(mx_check_download_url("http://127.0.0.1:9/a.png", 0, 0, err, sizeof err), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_download_url("file:///etc/passwd", 1, 1, err, sizeof err), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_download_url("ftp://x.test/a", 1, 1, err, sizeof err), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_download_url("https://u:p@x.test/a", 1, 1, err, sizeof err), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_download_url("https://u@x.test/a", 1, 1, err, sizeof err), MODELLIX_EUNSAFE);
    assert_int_equal(mx_check_download_url("::not a url", 1, 1, err, sizeof err), MODELLIX_EUNSAFE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_cut_never_ends_in_dot_or_space),
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_url_rules),
    };
    return cmocka_run_group_tests_name("download_rules", tests, NULL, NULL);
}
