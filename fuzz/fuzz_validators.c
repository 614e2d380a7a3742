/* fuzz_validators.c - fuzz the validators of what users and servers hand the library: API keys, base
 * URLs, model slugs, task ids, request bodies, safe text, loopback URLs and download URLs.
 *
 * Input: byte 0 picks the validator (its value modulo 8, in the order of the `which` enum: '0' key,
 * '1' base URL, '2' slug, '3' task id, '4' body, '5' safe text, '6' loopback URL, '7' download URL;
 * for the download URL, bit 3 of byte 0 sets allow_http and bit 4 loopback_ok: 'G' neither, 'O'
 * allow_http, 'W' and '7' loopback_ok, '_' both). The rest is the argument: a NUL-terminated copy
 * for the string validators, the raw bytes for body and safe text. */
#include "fuzz_util.h"

#include "netpolicy.h"
#include "validate.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <modellix/errors.h>

enum which { W_KEY, W_BASE_URL, W_SLUG, W_TASK_ID, W_BODY, W_SAFE_TEXT, W_LOOPBACK, W_DOWNLOAD_URL };

static void check_rc(int rc, const char *err)
{
    FUZZ_CHECK(rc == MODELLIX_OK || rc == MODELLIX_EINVAL || rc == MODELLIX_ENOMEM);
    if (rc == MODELLIX_EINVAL) /* err is only written on failure */
        FUZZ_CHECK(fuzz_err_terminated(err) && err[0] != '\0');
}

static void fuzz_key(const char *s)
{
    char *out = (char *)1, err[FUZZ_ERRCAP];
    fuzz_err_reset(err);
    int rc = mx_validate_api_key(s, &out, err, sizeof err);
    check_rc(rc, err);
    if (rc != MODELLIX_OK) {
        FUZZ_CHECK(out == NULL);
        /* the key is never echoed (a key with a space could collide with the wording of a message) */
        FUZZ_CHECK(strlen(s) < 8 || strchr(s, ' ') || strstr(err, s) == NULL);
        return;
    }
    FUZZ_CHECK(out != NULL);
    size_t n = strlen(out);
    FUZZ_CHECK(n >= 1 && n <= MX_KEY_MAX);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)out[i] >= 0x21 && (unsigned char)out[i] <= 0x7E);
    FUZZ_CHECK(strstr(s, out) != NULL); /* a trimmed copy */
    free(out);
}

static char *url_part(const char *s, CURLUPart part)
{
    CURLU *u = curl_url();
    char *p = NULL, *res = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, s, 0) == CURLUE_OK && curl_url_get(u, part, &p, 0) == CURLUE_OK) {
        res = malloc(strlen(p) + 1);
        if (res)
            strcpy(res, p);
    }
    curl_free(p);
    curl_url_cleanup(u);
    return res;
}

/* An independent, strict reading of "this host is loopback": localhost (any case), a dotted-quad IPv4
 * address in 127.0.0.0/8 as inet_pton reads it (no signs, no overflow), or [::1]. */
static int strictly_loopback_host(const char *host)
{
    static const char lh[] = "localhost";
    unsigned char a[16];
    size_t n = strlen(host);
    if (n == sizeof lh - 1) {
        size_t i = 0;
        while (i < n && (host[i] | 0x20) == lh[i])
            i++;
        if (i == n)
            return 1;
    }
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
        char inner[64];
        if (n - 2 >= sizeof inner)
            return 0;
        memcpy(inner, host + 1, n - 2);
        inner[n - 2] = '\0';
        static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        return inet_pton(AF_INET6, inner, a) == 1 && memcmp(a, one, 16) == 0;
    }
    return 0;
}

/* Whenever the library calls a URL loopback, its host really is. */
static void check_loopback_sound(const char *url)
{
    char *host = url_part(url, CURLUPART_HOST);
    FUZZ_CHECK(host != NULL);
    FUZZ_CHECK(strictly_loopback_host(host));
    free(host);
}

static void fuzz_base_url(const char *s)
{
    char *out = (char *)1, err[FUZZ_ERRCAP];
    fuzz_err_reset(err);
    int rc = mx_validate_base_url(s, &out, err, sizeof err);
    check_rc(rc, err);
    if (rc != MODELLIX_OK) {
        FUZZ_CHECK(out == NULL);
        return;
    }
    FUZZ_CHECK(out != NULL);
    int https = strncmp(out, "https://", 8) == 0;
    FUZZ_CHECK(https || strncmp(out, "http://", 7) == 0);
    if (!https) /* plain http only for loopback */
        check_loopback_sound(out);
    FUZZ_CHECK(!fuzz_has_ascii_control(out));
    /* The normalised origin is itself a valid base URL, and a fixed point. */
    char *again = NULL;
    fuzz_err_reset(err);
    int rc2 = mx_validate_base_url(out, &again, err, sizeof err);
    FUZZ_CHECK(rc2 == MODELLIX_OK || rc2 == MODELLIX_ENOMEM);
    if (rc2 == MODELLIX_OK)
        FUZZ_CHECK(strcmp(out, again) == 0);
    free(again);
    free(out);
}

static void check_slug_part(const char *p)
{
    FUZZ_CHECK(p != NULL);
    FUZZ_CHECK(p[0] != '\0');
    FUZZ_CHECK(strchr(p, '/') == NULL);
    FUZZ_CHECK(fuzz_trimmed(p));
    FUZZ_CHECK(fuzz_safe_text(p));
}

static void fuzz_slug(const char *s)
{
    char *type = (char *)1, *provider = (char *)1, *model = (char *)1, err[FUZZ_ERRCAP];
    fuzz_err_reset(err);
    int rc = mx_validate_slug(s, &type, &provider, &model, err, sizeof err);
    check_rc(rc, err);
    if (rc != MODELLIX_OK) {
        FUZZ_CHECK(type == NULL && provider == NULL && model == NULL);
        return;
    }
    check_slug_part(provider);
    check_slug_part(model);
    if (type) {
        static const char *const types[] = {"text-to-image", "image-to-image", "text-to-video", "image-to-video",
                                            "video-to-video"};
        int known = 0;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            known |= strcmp(type, types[i]) == 0;
        FUZZ_CHECK(known);
    }
    FUZZ_CHECK(strlen(provider) + strlen(model) + (type ? strlen(type) : 0) <= MX_SLUG_MAX);
    free(type);
    free(provider);
    free(model);
}

static void fuzz_task_id(const char *s)
{
    char *out = (char *)1, err[FUZZ_ERRCAP];
    fuzz_err_reset(err);
    int rc = mx_validate_task_id(s, &out, err, sizeof err);
    check_rc(rc, err);
    if (rc != MODELLIX_OK) {
        FUZZ_CHECK(out == NULL);
        return;
    }
    FUZZ_CHECK(out != NULL);
    size_t n = strlen(out);
    FUZZ_CHECK(n >= 1 && n <= MX_TASK_ID_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   strchr("._~:/+@=-", c) != NULL);
    }
    /* validating the result again gives the same id */
    char *again = NULL;
    FUZZ_CHECK(mx_validate_task_id(out, &again, err, sizeof err) != MODELLIX_EINVAL);
    FUZZ_CHECK(!again || strcmp(again, out) == 0);
    free(again);
    free(out);
}

static void fuzz_body(const char *b, size_t n)
{
    char err[FUZZ_ERRCAP];
    fuzz_err_reset(err);
    int rc = mx_validate_body(b, n, err, sizeof err);
    check_rc(rc, err);
    if (rc == MODELLIX_OK) {
        /* a JSON object: after leading white space the text starts with '{' */
        size_t i = 0;
        while (i < n && fuzz_is_space(b[i]))
            i++;
        FUZZ_CHECK(i < n && b[i] == '{');
    }
}

static void fuzz_safe_text_raw(const char *s, size_t n)
{
    int r = mx_safe_text(s, n);
    FUZZ_CHECK(r == 0 || r == 1);
    FUZZ_CHECK(r == fuzz_safe_text_n(s, n)); /* agrees with the independent check */
}

static void fuzz_loopback(const char *s)
{
    int r = mx_url_is_loopback(s);
    FUZZ_CHECK(r == 0 || r == 1);
    if (r)
        check_loopback_sound(s);
}

/* The URL as curl re-serialises it, with the query (if keep_query is 0) removed; NULL if unparsable. */
static char *reserialise(const char *s, int keep_query)
{
    CURLU *u = curl_url();
    char *url = NULL, *res = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, s, 0) == CURLUE_OK &&
        (keep_query || curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK) &&
        curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK) {
        res = malloc(strlen(url) + 1);
        if (res)
            strcpy(res, url);
    }
    curl_free(url);
    curl_url_cleanup(u);
    return res;
}

static void fuzz_download_url(const char *s, int allow_http, int loopback_ok)
{
    char err[FUZZ_ERRCAP];
    fuzz_err_reset(err);
    int rc = mx_check_download_url(s, allow_http, loopback_ok, err, sizeof err);
    FUZZ_CHECK(rc == MODELLIX_OK || rc == MODELLIX_EUNSAFE || rc == MODELLIX_ENOMEM);
    if (rc == MODELLIX_EUNSAFE)
        FUZZ_CHECK(fuzz_err_terminated(err) && err[0] != '\0');

    if (rc == MODELLIX_OK) {
        char *scheme = url_part(s, CURLUPART_SCHEME);
        FUZZ_CHECK(scheme != NULL);
        int http = strcmp(scheme, "http") == 0;
        FUZZ_CHECK(http || strcmp(scheme, "https") == 0);
        FUZZ_CHECK(!http || allow_http || (loopback_ok && mx_url_is_loopback(s)));
        free(scheme);
    }

    /* Neither the verdict nor the message depends on the query (signed parameters are never echoed). */
    char *with = reserialise(s, 1), *without = reserialise(s, 0);
    if (with && without) {
        char err_with[FUZZ_ERRCAP], err_without[FUZZ_ERRCAP];
        fuzz_err_reset(err_with);
        fuzz_err_reset(err_without);
        int rc_with = mx_check_download_url(with, allow_http, loopback_ok, err_with, sizeof err_with);
        int rc_without = mx_check_download_url(without, allow_http, loopback_ok, err_without, sizeof err_without);
        FUZZ_CHECK(rc_with == rc_without);
        FUZZ_CHECK(rc_with != MODELLIX_EUNSAFE || strcmp(err_with, err_without) == 0);
    }
    free(with);
    free(without);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    const char *raw = (const char *)data + 1;
    size_t n = size - 1;
    switch ((enum which)(sel % 8)) {
    case W_BODY:
        fuzz_body(raw, n);
        return 0;
    case W_SAFE_TEXT:
        fuzz_safe_text_raw(raw, n);
        return 0;
    default:
        break;
    }
    char *s = fuzz_cstr(data + 1, n);
    switch ((enum which)(sel % 8)) {
    case W_KEY:
        fuzz_key(s);
        break;
    case W_BASE_URL:
        fuzz_base_url(s);
        break;
    case W_SLUG:
        fuzz_slug(s);
        break;
    case W_TASK_ID:
        fuzz_task_id(s);
        break;
    case W_LOOPBACK:
        fuzz_loopback(s);
        break;
    case W_DOWNLOAD_URL:
        fuzz_download_url(s, (sel >> 3) & 1, (sel >> 4) & 1);
        break;
    default:
        break;
    }
    free(s);
    return 0;
}
