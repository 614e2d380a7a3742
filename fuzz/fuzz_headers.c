/* fuzz_headers.c - fuzz the parsers of response header values: Retry-After (delta seconds or an
 * HTTP date), X-RateLimit-Reset and plain integers.
 *
 * Input: the header value (a NUL-terminated copy; an embedded NUL ends it). Each parser runs at two
 * clock readings, so that answers can be compared. */
#include "fuzz_util.h"

#include "protocol.h"

#define NOW_FIXTURE INT64_C(1710000000) /* the reference's x-ratelimit-reset fixture */
#define NOW_LATER INT64_C(4102444800)   /* 2100-01-01 */

/* An independent reading of [ \t]*[0-9]+[ \t\r\n]*: the value (saturated at INT64_MAX), or -1. */
static int64_t plain_int(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    int64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v > (INT64_MAX - (*s - '0')) / 10 ? INT64_MAX : v * 10 + (*s - '0');
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s ? -1 : v;
}

static int64_t ms(int64_t secs)
{
    return secs > INT64_MAX / 1000 ? INT64_MAX : secs * 1000;
}

static void check_header_int(const char *v, int64_t h)
{
    int64_t want = plain_int(v);
    FUZZ_CHECK(h >= -1);
    if (h >= 0)
        FUZZ_CHECK(h == want); /* accepted only what is a plain integer, read correctly */
    else if (want >= 0)
        FUZZ_CHECK(want > INT64_C(1000000000000000000)); /* refused only when near overflow */
}

static void check_retry_after(int64_t h, int64_t early, int64_t late)
{
    FUZZ_CHECK(early >= -1 && late >= -1);
    FUZZ_CHECK((early < 0) == (late < 0));
    if (h >= 0) {
        FUZZ_CHECK(early == ms(h) && late == ms(h)); /* delta seconds do not depend on the clock */
    } else if (early >= 0) {
        FUZZ_CHECK(early >= late); /* an HTTP date is nearer when the clock is later */
        FUZZ_CHECK(early % 1000 == 0 || early == INT64_MAX); /* whole seconds, or saturated */
        FUZZ_CHECK(late % 1000 == 0 || late == INT64_MAX);
    }
}

static void check_ratelimit_reset(int64_t h, int64_t now, int64_t r)
{
    if (h < 0) {
        FUZZ_CHECK(r == -1);
    } else if (h < 1000000000) {
        FUZZ_CHECK(r == ms(h)); /* seconds from now */
    } else {
        /* a Unix time whose unit its magnitude tells: seconds, ms, us or ns */
        int64_t at = h < INT64_C(100000000000)           ? h * 1000
                     : h < INT64_C(100000000000000)      ? h
                     : h < INT64_C(100000000000000000)   ? h / 1000
                                                         : h / 1000000;
        FUZZ_CHECK(r == (at <= ms(now) ? 0 : at - ms(now)));
        FUZZ_CHECK(r >= 0 && r <= INT64_C(9223372036854775807) / 1000); /* a ns stamp is no further than 292 years in ms */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = fuzz_cstr(data, size);

    int64_t h = mx_parse_header_int(v);
    check_header_int(v, h);

    int64_t ra_early = mx_parse_retry_after(v, NOW_FIXTURE);
    int64_t ra_late = mx_parse_retry_after(v, NOW_LATER);
    check_retry_after(h, ra_early, ra_late);

    check_ratelimit_reset(h, NOW_FIXTURE, mx_parse_ratelimit_reset(v, NOW_FIXTURE));
    check_ratelimit_reset(h, NOW_LATER, mx_parse_ratelimit_reset(v, NOW_LATER));

    free(v);
    return 0;
}
