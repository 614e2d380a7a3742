/* fuzz_task_response.c - fuzz the parsers of server bodies: task responses (submit and query) and
 * error envelopes.
 *
 * Input: byte 0 picks the expected task id (its value modulo 4: '0' none, as for a submit; '1'
 * "task-abc123"; '2' "t"; '3' "folder/task:1+x@y=z"); the rest is the HTTP body. The corpus files
 * are therefore a digit followed by JSON. */
#include "fuzz_util.h"

#include "protocol.h"
#include "sanitize.h"
#include "validate.h"

#include <modellix/errors.h>
#include <modellix/task.h>

static const char *const expected_ids[4] = {NULL, "task-abc123", "t", "folder/task:1+x@y=z"};

static int task_id_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("._~:/+@=-", c));
}

/* A server message as sent (1..MX_MESSAGE_RAW_MAX bytes), and what the sanitizer makes of it:
   1..300 bytes of UTF-8 without ASCII control characters, without the key or a cut-off start of it. */
static void check_message(const char *m)
{
    static const char key[] = "sk-fuzz-SENTINEL-0123456789";
    size_t n = strlen(m);
    FUZZ_CHECK(n >= 1 && n <= MX_MESSAGE_RAW_MAX);
    char *s = mx_sanitize(key, m, n, 300, MX_SAN_TEXT);
    if (!s)
        return;
    size_t sn = strlen(s);
    FUZZ_CHECK(sn >= 1 && sn <= 300);
    FUZZ_CHECK(!fuzz_has_ascii_control(s));
    FUZZ_CHECK(fuzz_utf8_valid(s, sn));
    FUZZ_CHECK(!strstr(s, key));
    FUZZ_CHECK(sn < MX_REDACT_MIN_FRAGMENT || !fuzz_ends_with_prefix_of(s, key, MX_REDACT_MIN_FRAGMENT));
    free(s);
}

static void check_optional_text(const char *s, size_t max)
{
    if (!s)
        return;
    FUZZ_CHECK(strlen(s) <= max);
    FUZZ_CHECK(fuzz_safe_text(s));
}

static void check_success(const mx_task_info *ti, const char *expected, int mismatch)
{
    FUZZ_CHECK(mismatch == 0);
    FUZZ_CHECK(ti->task_id != NULL);
    size_t n = strlen(ti->task_id);
    FUZZ_CHECK(n >= 1 && n <= MX_TASK_ID_MAX);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(task_id_char((unsigned char)ti->task_id[i]));
    if (expected) {
        FUZZ_CHECK(strcmp(ti->task_id, expected) == 0);
        FUZZ_CHECK(ti->status_word != NULL); /* a query answer must carry a status */
    }
    FUZZ_CHECK(ti->status == MODELLIX_TASK_PENDING || ti->status == MODELLIX_TASK_PROCESSING ||
               ti->status == MODELLIX_TASK_SUCCESS || ti->status == MODELLIX_TASK_FAILED);
    if (ti->status_word) {
        FUZZ_CHECK(strlen(ti->status_word) <= MX_SAFE_TEXT_STATUS_MAX);
        FUZZ_CHECK(fuzz_safe_text(ti->status_word));
        FUZZ_CHECK(fuzz_trimmed(ti->status_word));
        FUZZ_CHECK(mx_status_from_word(ti->status_word) == ti->status);
    } else {
        FUZZ_CHECK(ti->status == MODELLIX_TASK_PENDING);
    }
    if (ti->error_message) {
        FUZZ_CHECK(ti->status == MODELLIX_TASK_FAILED);
        check_message(ti->error_message);
    }
    check_optional_text(ti->request_id, 256);
    FUZZ_CHECK(ti->n_resources <= MX_RESOURCES_MAX);
    FUZZ_CHECK((ti->n_resources == 0) == (ti->resources == NULL));
    for (size_t i = 0; i < ti->n_resources; i++) {
        const mx_resource *r = &ti->resources[i];
        FUZZ_CHECK(r->url != NULL);
        FUZZ_CHECK(strncmp(r->url, "https://", 8) == 0 || strncmp(r->url, "http://", 7) == 0);
        FUZZ_CHECK(!fuzz_has_ascii_control(r->url));
        check_optional_text(r->type, 128);
        check_optional_text(r->format, 128);
        check_optional_text(r->role, 128);
        FUZZ_CHECK(r->width >= 0 && r->height >= 0);
    }
}

static void check_failure(const mx_task_info *ti, int rc, const char *expected, int mismatch, const char *err)
{
    FUZZ_CHECK(rc == MODELLIX_EPROTOCOL || rc == MODELLIX_ENOMEM);
    FUZZ_CHECK(ti->task_id == NULL && ti->status_word == NULL && ti->error_message == NULL &&
               ti->request_id == NULL && ti->resources == NULL && ti->n_resources == 0);
    FUZZ_CHECK(mismatch == 0 || mismatch == 1);
    FUZZ_CHECK(!mismatch || expected);
    if (rc == MODELLIX_EPROTOCOL)
        FUZZ_CHECK(memchr(err, 0, sizeof ((mx_parse_report *)0)->err) && err[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *expected = expected_ids[data[0] % 4];
    const char *body = (const char *)data + 1;
    size_t len = size - 1;

    mx_task_info ti;
    mx_parse_report rep;
    memset(&rep, 0x5a, sizeof rep);
    int rc = mx_parse_task_response(body, len, expected, &ti, &rep);
    FUZZ_CHECK(memchr(rep.warn, 0, sizeof rep.warn) && memchr(rep.err, 0, sizeof rep.err));
    if (rc == MODELLIX_OK)
        check_success(&ti, expected, rep.mismatch);
    else
        check_failure(&ti, rc, expected, rep.mismatch, rep.err);
    mx_task_info_free(&ti);

    char *m = mx_parse_error_message(body, len);
    if (m)
        check_message(m);
    free(m);
    return 0;
}
