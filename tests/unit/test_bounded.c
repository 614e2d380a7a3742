/* Unit tests: the JSON value count taken while an answer is read (json_limits.h), and the caps by
 * kind of answer (protocol.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_limits.h"
#include "protocol.h"

#include <modellix/retry.h>
#include <string.h>

static size_t count_whole(const char *s)
{
    mx_json_count k;
    mx_json_count_reset(&k);
    assert_true(mx_json_count_feed(&k, s, strlen(s), (size_t)-1));
    return k.values;
}

/* The same count whatever the chunks: byte by byte. */
static size_t count_bytewise(const char *s)
{
    mx_json_count k;
    mx_json_count_reset(&k);
    for (size_t i = 0; s[i]; i++)
        assert_true(mx_json_count_feed(&k, s + i, 1, (size_t)-1));
    return k.values;
}

static void test_counts(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t values;
    } cases[] = {
        {"[0,0,0]", 4},
        {"{\"a\":1}", 3},                         /* object, key, value */
        {"{\"a\\\"],[{\":[true,false,null]}", 6}, /* brackets inside a string do not count */
        {"\"\\\\\"", 1},                          /* an escaped backslash ends before the quote */
        {"[-12.5e+3, 7 ,\"x\"]", 4},
        {"{\"code\":0,\"data\":{\"task_id\":\"t\",\"status\":\"success\"}}", 9},
        {"   ", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(count_whole(cases[i].text), cases[i].values);
        assert_int_equal(count_bytewise(cases[i].text), cases[i].values);
    }
}

static void test_stops_at_the_budget(void **state)
{
    (void)state;
    mx_json_count k;
    mx_json_count_reset(&k);
    assert_true(mx_json_count_feed(&k, "[0,0,", 5, 3));
    assert_false(mx_json_count_feed(&k, "0]", 2, 3)); /* the 4th value */
    mx_json_count_reset(&k);
    assert_int_equal(k.values, 0);
    assert_true(mx_json_count_feed(&k, "[0,0]", 5, 3));
}

static void test_caps(void **state)
{
    (void)state;
    assert_int_equal(mx_response_cap(MODELLIX_OP_SUBMIT), 1024 * 1024);
    assert_int_equal(mx_response_cap(MODELLIX_OP_POLL), 1024 * 1024);
    assert_int_equal(mx_response_cap(MODELLIX_OP_ACCOUNT), 8 * 1024 * 1024);
    assert_int_equal(MX_RESPONSE_VALUES(mx_response_cap(MODELLIX_OP_POLL)), 65536);
    assert_true(MX_ERROR_RESPONSE_MAX <= 64 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_stops_at_the_budget),
        cmocka_unit_test(test_caps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
