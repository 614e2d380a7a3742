/* Unit tests: validators for keys, origins, slugs, task ids and bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "validate.h"

#include <modellix/errors.h>
#include <stdlib.h>
#include <string.h>

static void test_api_key(void **state)
{
    (void)state;
    char err[200], *k;
    assert_int_equal(mx_validate_api_key("  abc-DEF_123  ", &k, err, sizeof err), MODELLIX_OK);
    assert_string_equal(k, "abc-DEF_123");
    free(k);
    assert_int_equal(mx_validate_api_key("", &k, err, sizeof err), MODELLIX_EINVAL);
    assert_null(k);
    assert_int_equal(mx_validate_api_key("   ", &k, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_validate_api_key("ab cd", &k, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_validate_api_key("abc\r\nX-Evil: 1", &k, err, sizeof err), MODELLIX_EINVAL);
    /* the message never echoes the key */
    assert_null(strstr(err, "X-Evil"));
    assert_int_equal(mx_validate_api_key("caf\xc3\xa9", &k, err, sizeof err), MODELLIX_EINVAL);
    char *big = malloc(16386);
    memset(big, 'k', 16385);
    big[16385] = '\0';
    assert_int_equal(mx_validate_api_key(big, &k, err, sizeof err), MODELLIX_EINVAL);
    big[16384] = '\0';
    assert_int_equal(mx_validate_api_key(big, &k, err, sizeof err), MODELLIX_OK);
    free(k);
    free(big);
}

static void expect_origin(const char *in, const char *want)
{
    char err[200], *o;
    int rc = mx_validate_base_url(in, &o, err, sizeof err);
    if (want) {
        assert_int_equal(rc, MODELLIX_OK);
        assert_string_equal(o, want);
        free(o);
    } else {
        assert_int_equal(rc, MODELLIX_EINVAL);
        assert_null(o);
        assert_true(strlen(err) > 0);
    }
}

static void test_base_url(void **state)
{
    (void)state;
    expect_origin("https://api.modellix.ai", "https://api.modellix.ai");
    expect_origin("  https://api.modellix.ai/  ", "https://api.modellix.ai");
    expect_origin("https://api.modellix.ai:443", "https://api.modellix.ai");
    expect_origin("https://gw.example:8443", "https://gw.example:8443");
    expect_origin("http://127.0.0.1:8787", "http://127.0.0.1:8787");
    expect_origin("http://localhost:1", "http://localhost:1");
    expect_origin("http://[::1]:9", "http://[::1]:9");
    expect_origin("http://api.example.test", NULL);
    expect_origin("https://gw.example/api", NULL);
    expect_origin("https://api.modellix.ai/api/v1", NULL);
    expect_origin("https://user:pw@api.modellix.ai", NULL);
    expect_origin("https://api.modellix.ai?x=1", NULL);
    expect_origin("https://api.modellix.ai#frag", NULL);
    expect_origin("ftp://api.modellix.ai", NULL);
    expect_origin("not a url", NULL);
    expect_origin("", NULL);
    expect_origin("https://api.modellix.ai\r\nHost: evil", NULL);
    /* found by fuzzing: percent escapes in the host, numeric hosts that change meaning, and
       out-of-range "IPv4" names that must not count as loopback */
    expect_origin("https://a%ff", NULL);
    expect_origin("https://666%333", NULL);
    expect_origin("http://4294967423.0.0.1", NULL);
    expect_origin("http://127.0.0.-4294967295", NULL);
    expect_origin("http://127.1.2.3:9", "http://127.1.2.3:9");
}

static void expect_slug(const char *in, const char *type, const char *prov, const char *model)
{
    char err[200], *t, *p, *m;
    int rc = mx_validate_slug(in, &t, &p, &m, err, sizeof err);
    if (!prov) {
        assert_int_equal(rc, MODELLIX_EINVAL);
        assert_null(p);
        return;
    }
    assert_int_equal(rc, MODELLIX_OK);
    if (type)
        assert_string_equal(t, type);
    else
        assert_null(t);
    assert_string_equal(p, prov);
    assert_string_equal(m, model);
    free(t);
    free(p);
    free(m);
}

static void test_slug(void **state)
{
    (void)state;
    expect_slug("bytedance/seedream-4.5-t2i", NULL, "bytedance", "seedream-4.5-t2i");
    expect_slug("  alibaba / qwen-image-plus ", NULL, "alibaba", "qwen-image-plus");
    expect_slug("text-to-image/alibaba/qwen-image", "text-to-image", "alibaba", "qwen-image");
    expect_slug("provider/model/extra", NULL, NULL, NULL);
    expect_slug("a/b/c/d", NULL, NULL, NULL);
    expect_slug("noslash", NULL, NULL, NULL);
    expect_slug("/model", NULL, NULL, NULL);
    expect_slug("provider/", NULL, NULL, NULL);
    expect_slug("provider/ ", NULL, NULL, NULL);
    expect_slug("", NULL, NULL, NULL);
    expect_slug("prov\r\nider/model", NULL, NULL, NULL);
    static const char bidi[] = {'p', '/', 'm', 'o', (char)0xe2, (char)0x80, (char)0xae, 'd', 'e', 'l', 0};
    expect_slug(bidi, NULL, NULL, NULL); /* U+202E, a bidirectional override */
    char big[300];
    memset(big, 'a', sizeof big);
    big[5] = '/';
    big[299] = '\0';
    expect_slug(big, NULL, NULL, NULL);
}

static void test_task_id(void **state)
{
    (void)state;
    char err[200], *id;
    assert_int_equal(mx_validate_task_id(" task-abc123 ", &id, err, sizeof err), MODELLIX_OK);
    assert_string_equal(id, "task-abc123");
    free(id);
    assert_int_equal(mx_validate_task_id("folder/task:1+2@x=y~z.w_v", &id, err, sizeof err), MODELLIX_OK);
    free(id);
    assert_int_equal(mx_validate_task_id("", &id, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_validate_task_id("task\r\n", &id, err, sizeof err), MODELLIX_OK); /* trimmed */
    free(id);
    assert_int_equal(mx_validate_task_id("ta\r\nsk", &id, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_validate_task_id("task id", &id, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_validate_task_id("task?x=1", &id, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_validate_task_id("task#1", &id, err, sizeof err), MODELLIX_EINVAL);
    char big[600];
    memset(big, 'a', 513);
    big[513] = '\0';
    assert_int_equal(mx_validate_task_id(big, &id, err, sizeof err), MODELLIX_EINVAL);
    big[512] = '\0';
    assert_int_equal(mx_validate_task_id(big, &id, err, sizeof err), MODELLIX_OK);
    free(id);
}

/* {"a":[[...]]} with `levels` containers in all */
static char *nested(int levels)
{
    char *s = malloc((size_t)levels * 2 + 8);
    size_t n = 0;
    memcpy(s, "{\"a\":", 5);
    n = 5;
    for (int i = 1; i < levels; i++)
        s[n++] = '[';
    for (int i = 1; i < levels; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void test_body(void **state)
{
    (void)state;
    char err[200];
    assert_int_equal(mx_validate_body("{\"prompt\":\"a fox\"}", 18, err, sizeof err), MODELLIX_OK);
    assert_int_equal(mx_validate_body("[1,2]", 5, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_validate_body("\"x\"", 3, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_validate_body("{", 1, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_validate_body("{\"n\":1e400}", 11, err, sizeof err), MODELLIX_EINVAL);
    /* 100 levels of containers are accepted, 101 are not */
    char *ok = nested(100), *deep = nested(101);
    assert_int_equal(mx_validate_body(ok, strlen(ok), err, sizeof err), MODELLIX_OK);
    assert_int_equal(mx_validate_body(deep, strlen(deep), err, sizeof err), MODELLIX_EINVAL);
    free(ok);
    free(deep);
}

static void test_safe_text(void **state)
{
    (void)state;
    assert_true(mx_safe_text("hello", 5));
    assert_true(mx_safe_text("caf\xc3\xa9", 5));
    assert_false(mx_safe_text("", 0));
    assert_false(mx_safe_text("a\x01", 2));
    assert_false(mx_safe_text("a\xc2\x85", 3)); /* U+0085, a C1 control */
    assert_false(mx_safe_text("\xff\xfe", 2));  /* not UTF-8 */
    static const char lri[] = {(char)0xe2, (char)0x81, (char)0xa6, 'x', 0};
    assert_false(mx_safe_text(lri, 4)); /* U+2066 */
    assert_false(mx_safe_text("\xc0\xaf", 2));  /* overlong */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_key), cmocka_unit_test(test_base_url), cmocka_unit_test(test_slug),
        cmocka_unit_test(test_task_id), cmocka_unit_test(test_body),     cmocka_unit_test(test_safe_text),
    };
    return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
