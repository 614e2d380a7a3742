/* Unit tests: reading X-RateLimit-Reset in every unit servers use, and the bound on pacing waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOW_S INT64_C(1710000000)
#define NOW_MS (NOW_S * 1000 + 250)

static void test_reset_units(void **state)
{
    (void)state;
    /* seconds from now */
    assert_int_equal(mx_parse_ratelimit_reset_ms("12", NOW_MS), 12000);
    assert_int_equal(mx_parse_ratelimit_reset_ms("0", NOW_MS), 0);
    /* a Unix time in seconds, milliseconds, microseconds, nanoseconds: all 5 s ahead, read to the ms */
    assert_int_equal(mx_parse_ratelimit_reset_ms("1710000005", NOW_MS), 4750);
    assert_int_equal(mx_parse_ratelimit_reset_ms("1710000005250", NOW_MS), 5000);
    assert_int_equal(mx_parse_ratelimit_reset_ms("1710000005250999", NOW_MS), 5000);
    assert_int_equal(mx_parse_ratelimit_reset_ms("1710000005250999999", NOW_MS), 5000);
    /* in the past, in any unit: the window is over */
    assert_int_equal(mx_parse_ratelimit_reset_ms("1700000000", NOW_MS), 0);
    assert_int_equal(mx_parse_ratelimit_reset_ms("1700000000000", NOW_MS), 0);
    assert_int_equal(mx_parse_ratelimit_reset_ms("1700000000000000", NOW_MS), 0);
    /* not a number */
    assert_int_equal(mx_parse_ratelimit_reset_ms("x", NOW_MS), -1);
    assert_int_equal(mx_parse_ratelimit_reset_ms("-5", NOW_MS), -1);
    assert_int_equal(mx_parse_ratelimit_reset_ms("99999999999999999999999", NOW_MS), -1);
    /* the seconds form of the clock gives the same reading, to the second */
    assert_int_equal(mx_parse_ratelimit_reset("1710000005000", NOW_S), 5000);
    assert_int_equal(mx_parse_ratelimit_reset("1710000005", NOW_S), 5000);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static modellix_client *fresh(void)
{
    modellix_client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->rl_remaining = c->rl_limit = -1;
    return c;
}

/* The wait after a "used up" answer whose reset header reads `reset` (and Retry-After `ra`). */
static int64_t wait_after(const char *reset, const char *ra)
{
    modellix_client *c = fresh();
    int64_t now = 1000000; /* the monotonic clock: any value */
    mx_pace_update(c, 0, 60, reset, ra, now);
    int64_t d = mx_pace_delay(c, now);
    free(c);
    return d;
}

static void test_wait_is_read_in_every_unit(void **state)
{
    (void)state;
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)(wall_ms() + 3000)); /* epoch ms, 3 s ahead */
    int64_t d = wait_after(v, NULL);
    printf("# epoch ms 3 s ahead: wait %lld ms\n", (long long)d);
    assert_true(d >= 2500 && d <= 3000);
    snprintf(v, sizeof v, "%lld", (long long)(wall_ms() / 1000 + 3)); /* epoch seconds */
    d = wait_after(v, NULL);
    assert_true(d >= 2000 && d <= 3000);
    d = wait_after("3", NULL); /* seconds from now */
    assert_int_equal(d, 3000);
}

static void test_wait_is_bounded(void **state)
{
    (void)state;
    char v[32];
    /* an hour ahead, in seconds and in milliseconds; absurd values; a long Retry-After */
    snprintf(v, sizeof v, "%lld", (long long)(wall_ms() / 1000 + 3600));
    assert_int_equal(wait_after(v, NULL), MX_PACE_MAX_MS);
    snprintf(v, sizeof v, "%lld", (long long)(wall_ms() + 3600000));
    assert_int_equal(wait_after(v, NULL), MX_PACE_MAX_MS);
    assert_int_equal(wait_after("999999999", NULL), MX_PACE_MAX_MS);
    assert_int_equal(wait_after("99999999999999", NULL), MX_PACE_MAX_MS);
    assert_int_equal(wait_after("4000000000000000000", NULL), MX_PACE_MAX_MS);
    assert_int_equal(wait_after("9223372036854775807", NULL), 0); /* unreadable (at overflow): no pacing */
    assert_int_equal(wait_after(NULL, "86400"), MX_PACE_MAX_MS);
    assert_int_equal(MX_PACE_MAX_MS, 60000);
    /* a window that has passed leaves nothing to wait for, and nothing known */
    modellix_client *c = fresh();
    mx_pace_update(c, 0, 60, "1", NULL, 0);
    assert_int_equal(mx_pace_delay(c, 0), 1000);
    assert_int_equal(mx_pace_delay(c, 1000), 0);
    assert_int_equal(c->rl_remaining, -1);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset_units),
        cmocka_unit_test(test_wait_is_read_in_every_unit),
        cmocka_unit_test(test_wait_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
