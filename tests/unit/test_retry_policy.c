/* Unit tests: the built-in retry policies' decisions and the attempt record, on exact inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

static modellix_attempt attempt(int32_t n, int32_t op, int32_t fault, int32_t status, int64_t hint)
{
    modellix_attempt a = {.number = n, .op = op, .fault = fault, .http_status = status, .was_sent = 1,
                          .errcode = MODELLIX_ESERVER, .retry_after_ms = hint, .elapsed_ms = 10,
                          .remaining_ms = 100000};
    return a;
}

static void test_default(void **state)
{
    (void)state;
    modellix_retry_policy *p;
    assert_int_equal(modellix_retry_policy_new_default(&p), MODELLIX_OK);
    assert_int_equal(p->resubmit_unknown, 0);
    mx_rng rng;
    mx_rng_seed(&rng, 42);
    for (int32_t n = 1; n <= 3; n++) {
        for (int k = 0; k < 200; k++) {
            modellix_attempt a = attempt(n, MODELLIX_OP_POLL, MODELLIX_FAULT_UNKNOWN, 503, -1);
            int64_t d = mx_policy_decide(p, &a, &rng);
            int64_t ceiling = 500LL << (n - 1);
            assert_true(d >= 0 && d <= ceiling); /* full jitter under the exponential ceiling */
        }
    }
    modellix_attempt a = attempt(4, MODELLIX_OP_POLL, MODELLIX_FAULT_UNKNOWN, 503, -1);
    assert_true(mx_policy_decide(p, &a, &rng) < 0); /* 4 attempts in all */
    a = attempt(1, MODELLIX_OP_POLL, MODELLIX_FAULT_THROTTLED, 429, 7000);
    assert_int_equal(mx_policy_decide(p, &a, &rng), 7000); /* the hint replaces the backoff */
    a = attempt(1, MODELLIX_OP_POLL, MODELLIX_FAULT_THROTTLED, 429, 3600000);
    assert_int_equal(mx_policy_decide(p, &a, &rng), 60000); /* capped */
    assert_int_equal(modellix_retry_policy_set_max_attempts(p, 2), MODELLIX_OK);
    a = attempt(2, MODELLIX_OP_POLL, MODELLIX_FAULT_NOT_SENT, 0, -1);
    assert_true(mx_policy_decide(p, &a, &rng) < 0);
    assert_int_equal(modellix_retry_policy_set_max_attempts(p, 0), MODELLIX_EINVAL);
    modellix_retry_policy_free(p);
}

static void test_seed(void **state)
{
    (void)state;
    modellix_retry_policy *p;
    assert_int_equal(modellix_retry_policy_new_seed(&p), MODELLIX_OK);
    assert_int_equal(p->resubmit_unknown, 1);
    mx_rng rng;
    mx_rng_seed(&rng, 1);
    static const int64_t want[] = {1000, 2000, 4000};
    for (int32_t n = 1; n <= 3; n++) {
        modellix_attempt a = attempt(n, MODELLIX_OP_SUBMIT, MODELLIX_FAULT_UNKNOWN, 500, -1);
        assert_int_equal(mx_policy_decide(p, &a, &rng), want[n - 1]);
    }
    modellix_attempt a = attempt(4, MODELLIX_OP_SUBMIT, MODELLIX_FAULT_UNKNOWN, 503, -1);
    assert_true(mx_policy_decide(p, &a, &rng) < 0);
    a = attempt(1, MODELLIX_OP_SUBMIT, MODELLIX_FAULT_UNKNOWN, 502, -1);
    assert_true(mx_policy_decide(p, &a, &rng) < 0); /* only 429, 500, 503 */
    a = attempt(1, MODELLIX_OP_SUBMIT, MODELLIX_FAULT_THROTTLED, 429, -1);
    assert_int_equal(mx_policy_decide(p, &a, &rng), 1000);
    modellix_retry_policy_free(p);
}

static int64_t custom_fn(const modellix_attempt *a, void *ud)
{
    int *calls = ud;
    (*calls)++;
    assert_int_equal(modellix_attempt_number(a), 2);
    assert_int_equal(modellix_attempt_operation(a), MODELLIX_OP_DOWNLOAD);
    assert_int_equal(modellix_attempt_fault(a), MODELLIX_FAULT_NOT_SENT);
    assert_int_equal(modellix_attempt_http_status(a), 0);
    assert_int_equal(modellix_attempt_was_sent(a), 1);
    assert_int_equal(modellix_attempt_retry_after_ms(a), -1);
    assert_int_equal(modellix_attempt_elapsed_ms(a), 10);
    assert_int_equal(modellix_attempt_remaining_ms(a), 100000);
    assert_int_equal(modellix_attempt_errcode(a), MODELLIX_ESERVER);
    assert_true(modellix_attempt_default_delay_ms(a) >= 0);
    return 123;
}

static int freed;
static void free_ud(void *ud)
{
    (void)ud;
    freed++;
}

static void test_custom(void **state)
{
    (void)state;
    modellix_retry_policy *p;
    assert_int_equal(modellix_retry_policy_new_custom(&p, NULL, NULL, NULL), MODELLIX_EINVAL);
    assert_null(p);
    int calls = 0;
    freed = 0;
    assert_int_equal(modellix_retry_policy_new_custom(&p, custom_fn, &calls, free_ud), MODELLIX_OK);
    mx_rng rng;
    mx_rng_seed(&rng, 1);
    modellix_attempt a = attempt(2, MODELLIX_OP_DOWNLOAD, MODELLIX_FAULT_NOT_SENT, 0, -1);
    assert_int_equal(mx_policy_decide(p, &a, &rng), 123);
    assert_int_equal(calls, 1);
    /* shared by options: user_data is released once, when the last reference goes */
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_retry_policy(o, p), MODELLIX_OK);
    modellix_retry_policy_free(p);
    assert_int_equal(freed, 0);
    modellix_options_free(o);
    assert_int_equal(freed, 1);
    assert_int_equal(modellix_attempt_number(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_seed),
        cmocka_unit_test(test_custom),
    };
    return cmocka_run_group_tests_name("retry_policy", tests, NULL, NULL);
}
