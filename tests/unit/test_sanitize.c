/* Unit tests: the one sanitizer for network text (redact, then clean, then bound), the number
 * taming that lets jansson read answers with out-of-range numbers, and the acceptance rule of
 * submit answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_tame.h"
#include "protocol.h"
#include "sanitize.h"

#include <modellix/errors.h>
#include <modellix/task.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY "sk-live-SENTINEL-7f3a9c1e5b0123456789"

/* 1 if s holds the key, or ends with a cut-off start of it of MX_REDACT_MIN_FRAGMENT bytes or more. */
static int leaks(const char *s)
{
    if (strstr(s, KEY))
        return 1;
    size_t n = strlen(s), kl = strlen(KEY);
    for (size_t f = MX_REDACT_MIN_FRAGMENT; f < kl && f <= n; f++)
        if (memcmp(s + n - f, KEY, f) == 0)
            return 1;
    return 0;
}

static void test_redacts_every_occurrence(void **state)
{
    (void)state;
    const char *in = "bad key " KEY " (" KEY ")";
    char *s = mx_sanitize(KEY, in, strlen(in), 1000, MX_SAN_TEXT);
    assert_string_equal(s, "bad key [REDACTED] ([REDACTED])");
    free(s);
    /* raw mode keeps bytes (a JSON body stays JSON) */
    const char *json = "{\"message\":\"key " KEY "\\n\"}";
    s = mx_sanitize(KEY, json, strlen(json), 1000, MX_SAN_RAW);
    assert_string_equal(s, "{\"message\":\"key [REDACTED]\\n\"}");
    free(s);
}

/* The 1.0 leak: a message cut at 300 bytes before redaction kept the start of the key. Every cut
   position across the key must leave no fragment. */
static void test_cut_never_leaves_a_key_prefix(void **state)
{
    (void)state;
    char in[600];
    for (size_t lead = 250; lead < 320; lead++) {
        memset(in, 'a', lead);
        snprintf(in + lead, sizeof in - lead, "%s tail", KEY);
        for (size_t max = 240; max < 340; max += 7) {
            char *s = mx_sanitize(KEY, in, strlen(in), max, MX_SAN_TEXT);
            assert_non_null(s);
            assert_true(strlen(s) <= max);
            assert_false(leaks(s));
            free(s);
        }
    }
}

/* Inside a body, a key the server cut short ("Bearer sk-...") or a middle piece of it is redacted too:
   its first 8 bytes or more, or 12 bytes or more from anywhere in it. */
static void test_pieces_inside_a_body(void **state)
{
    (void)state;
    char in[300];
    snprintf(in, sizeof in, "{\"message\":\"Bearer %.10s\",\"x\":\"..%.14s..\",\"ok\":\"%.7s\"}", KEY, &KEY[9], KEY);
    char *s = mx_sanitize(KEY, in, strlen(in), 1000, MX_SAN_RAW);
    assert_non_null(s);
    char want[300];
    snprintf(want, sizeof want, "{\"message\":\"Bearer [REDACTED]\",\"x\":\"..[REDACTED]..\",\"ok\":\"%.7s\"}", KEY);
    assert_string_equal(s, want); /* 7 bytes of the start give nothing away: kept */
    free(s);
}

/* Found by fuzzing: a start of the key (too short to redact inside a text) that the cleaning makes
   the end of the string ("sk-fuz" + a control character, trimmed) is dropped too. */
static void test_cleaning_makes_no_key_end(void **state)
{
    (void)state;
    char in[64];
    snprintf(in, sizeof in, "abc %.6s\x7f\x7f  ", KEY);
    char *s = mx_sanitize(KEY, in, strlen(in), 100, MX_SAN_TEXT);
    assert_string_equal(s, "abc");
    free(s);
    snprintf(in, sizeof in, "abcdefgh %.6sxyz", KEY); /* a cut right after the start of the key */
    s = mx_sanitize(KEY, in, strlen(in), 15, MX_SAN_TEXT);
    assert_string_equal(s, "abcdefgh");
    free(s);
}

/* A string that arrived already cut (a fixed-size header buffer) loses a trailing key fragment. */
static void test_arrived_cut(void **state)
{
    (void)state;
    char in[64];
    snprintf(in, sizeof in, "req-%.*s", 12, KEY);
    char out[129];
    mx_sanitize_into(KEY, in, strlen(in), out, sizeof out, MX_SAN_TEXT);
    assert_string_equal(out, "req-");
    assert_false(leaks(out));
}

/* The redaction rule by brute force, as the spec states it: from the left, at each position take the
   longest run equal to the key from some offset (the first offset on ties); redact it when it is the
   whole key, a start of 8+ bytes or a piece of 12+ bytes, else keep one byte and move on. */
static size_t oracle_redact(const char *s, size_t n, char *out)
{
    const size_t kl = strlen(KEY);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t best = 0, best_off = 0;
        for (size_t off = 0; off < kl; off++) {
            size_t l = 0;
            while (off + l < kl && i + l < n && s[i + l] == KEY[off + l])
                l++;
            if (l > best) {
                best = l;
                best_off = off;
            }
        }
        if (best == kl || (best_off == 0 && best >= MX_REDACT_MIN_PREFIX) || best >= MX_REDACT_MIN_PIECE) {
            memcpy(out + o, "[REDACTED]", 10);
            o += 10;
            i += best;
        } else {
            out[o++] = s[i++];
        }
    }
    out[o] = '\0';
    return o;
}

/* The sanitizer skips text that cannot hold a piece of the key (stretches of key bytes shorter than
   8): against the brute-force rule on 20 000 seeded strings of key pieces, key bytes and other
   bytes, the results are byte for byte the same. Each string ends in '#' (not a key byte) so that no
   trailing fragment is dropped (test_arrived_cut covers that). */
static void test_redaction_matches_the_rule(void **state)
{
    (void)state;
    const size_t kl = strlen(KEY);
    static const char other[] = "\"{}:, xyz#";
    unsigned seed = 12345;
    char in[400], want[4400];
    int redacted = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = 0;
        while (n < 300) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 8) % 100;
            if (r < 30) { /* a piece of the key */
                size_t off = (seed >> 4) % kl, len = 1 + (seed >> 12) % (kl - off);
                memcpy(in + n, &KEY[off], len);
                n += len;
            } else if (r < 70) {
                in[n++] = KEY[(seed >> 4) % kl];
            } else {
                in[n++] = other[(seed >> 4) % (sizeof other - 1)];
            }
        }
        in[n++] = '#';
        in[n] = '\0';
        size_t wl = oracle_redact(in, n, want);
        char *got = mx_sanitize(KEY, in, n, sizeof want, MX_SAN_RAW);
        assert_non_null(got);
        assert_string_equal(got, want);
        assert_int_equal(strlen(got), wl);
        redacted += strstr(got, "[REDACTED]") != NULL;
        free(got);
    }
    assert_true(redacted > 1000); /* the strings did exercise the redaction */
}

static void test_cleans_and_bounds(void **state)
{
    (void)state;
    const char *ctl = "  a\x07" "b\xe2\x80\xae" "c\n ";
    char *s = mx_sanitize(NULL, ctl, strlen(ctl), 100, MX_SAN_TEXT);
    assert_string_equal(s, "a b c");
    free(s);
    /* the bound counts the space a bad character became, and what follows it */
    s = mx_sanitize(NULL, "a\x07" "bcd", 5, 3, MX_SAN_TEXT);
    assert_string_equal(s, "a b");
    free(s);
    s = mx_sanitize(NULL, "ab\x07" "\x07" "cd", 6, 5, MX_SAN_TEXT);
    assert_string_equal(s, "ab  c");
    free(s);
    /* a 3-byte character straddling the limit is dropped whole */
    char euro[320];
    memset(euro, 'a', 298);
    memcpy(euro + 298, "\xe2\x82\xac", 4);
    s = mx_sanitize(NULL, euro, strlen(euro), 300, MX_SAN_TEXT);
    assert_int_equal(strlen(s), 298);
    free(s);
    /* invalid UTF-8 becomes spaces; nothing left is NULL */
    s = mx_sanitize(NULL, "\xff\xfe", 2, 100, MX_SAN_TEXT);
    assert_null(s);
    /* a short key is not a credential: not redacted (it would mangle words) */
    s = mx_sanitize("abc", "abcabc", 6, 100, MX_SAN_TEXT);
    assert_string_equal(s, "abcabc");
    free(s);
    char buf[16];
    memcpy(buf, "x ", 2);
    memcpy(buf + 2, KEY, sizeof buf - 3); /* cut inside the key */
    buf[sizeof buf - 1] = '\0';
    mx_sanitize_inplace(KEY, buf, sizeof buf);
    assert_string_equal(buf, "x");
}

static void test_tame_numbers(void **state)
{
    (void)state;
    char a[] = "{\"seed\":18446744073709551615,\"r\":1e400,\"n\":-9223372036854775809,\"ok\":9223372036854775807,"
               "\"s\":\"99999999999999999999999\",\"f\":1.5e307,\"z\":0e999999,\"big\":12.5E+308}";
    size_t before = strlen(a);
    assert_int_equal(mx_json_tame_numbers(a, strlen(a)), 4);
    assert_int_equal(strlen(a), before);
    assert_non_null(strstr(a, "\"seed\":0 "));
    assert_non_null(strstr(a, "\"ok\":9223372036854775807"));
    assert_non_null(strstr(a, "\"s\":\"99999999999999999999999\"")); /* strings untouched */
    assert_non_null(strstr(a, "\"f\":1.5e307"));
    assert_non_null(strstr(a, "\"z\":0e999999"));
    char b[] = "{\"x\":\"\\\"12345678901234567890123\"}";
    assert_int_equal(mx_json_tame_numbers(b, strlen(b)), 0);
}

static int parse_submit(const char *body, mx_task_info *ti, mx_parse_report *rep)
{
    return mx_parse_task_response(body, strlen(body), NULL, ti, rep);
}

/* The acceptance rule: a 2xx submit answer with a valid id is an accepted task; the 1.0 refusals
   (issue 12 item 3) become warnings. */
static void test_acceptance_rule(void **state)
{
    (void)state;
    static const char *const odd[] = {
        "{\"data\":{\"task_id\":\"task-1\",\"status\":\"pending\",\"seed\":18446744073709551615}}",
        "{\"data\":{\"task_id\":\"task-1\",\"status\":\"pending\",\"x\":1e400}}",
        "{\"data\":{\"task_id\":\"task-1\",\"status\":\"\"}}",
        "{\"data\":{\"task_id\":\"task-1\",\"status\":42}}",
        "{\"data\":{\"task_id\":\"task-1\",\"status\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}",
        "{\"data\":{\"task_id\":\"task-1\",\"result\":{\"resources\":[{\"url\":\"file:///etc/passwd\"}]}}}",
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        mx_task_info ti;
        mx_parse_report rep;
        assert_int_equal(parse_submit(odd[i], &ti, &rep), MODELLIX_OK);
        assert_string_equal(ti.task_id, "task-1");
        assert_int_equal(ti.status, i < 2 ? MODELLIX_TASK_PENDING : MODELLIX_TASK_PENDING);
        if (i >= 2)
            assert_true(rep.warn[0] != '\0');
        mx_task_info_free(&ti);
    }
    /* nesting over the limit: the id alone */
    char deep[2000];
    size_t n = (size_t)snprintf(deep, sizeof deep, "{\"data\":{\"task_id\":\"task-2\",\"x\":");
    for (int d = 0; d < 120; d++)
        deep[n++] = '[';
    for (int d = 0; d < 120; d++)
        deep[n++] = ']';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "}}");
    mx_task_info ti;
    mx_parse_report rep;
    assert_int_equal(parse_submit(deep, &ti, &rep), MODELLIX_OK);
    assert_string_equal(ti.task_id, "task-2");
    assert_non_null(strstr(rep.warn, "depth"));
    mx_task_info_free(&ti);
    /* the same depth in a poll answer is refused, as JSON of a wrong shape (not "no JSON") */
    assert_int_equal(mx_parse_task_response(deep, strlen(deep), "task-2", &ti, &rep), MODELLIX_EPROTOCOL);
    assert_int_equal(rep.not_json, 0);
    /* no valid id: not accepted */
    assert_int_equal(parse_submit("{\"data\":{\"task_id\":\"../x y\"}}", &ti, &rep), MODELLIX_EPROTOCOL);
    assert_int_equal(parse_submit("{\"data\":{\"task_id\":\"ab", &ti, &rep), MODELLIX_EPROTOCOL);
    assert_int_equal(rep.not_json, 1);
    /* a poll answer with a 64-bit seed is read, not refused */
    const char *poll = "{\"data\":{\"task_id\":\"t\",\"status\":\"processing\",\"seed\":18446744073709551615}}";
    assert_int_equal(mx_parse_task_response(poll, strlen(poll), "t", &ti, &rep), MODELLIX_OK);
    assert_int_equal(ti.status, MODELLIX_TASK_PROCESSING);
    mx_task_info_free(&ti);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redacts_every_occurrence),
        cmocka_unit_test(test_cut_never_leaves_a_key_prefix),
        cmocka_unit_test(test_arrived_cut),
        cmocka_unit_test(test_pieces_inside_a_body),
        cmocka_unit_test(test_redaction_matches_the_rule),
        cmocka_unit_test(test_cleaning_makes_no_key_end),
        cmocka_unit_test(test_cleans_and_bounds),
        cmocka_unit_test(test_tame_numbers),
        cmocka_unit_test(test_acceptance_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
