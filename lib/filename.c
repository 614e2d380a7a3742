/* filename.c - sanitising file names taken from result URLs (reference section 8, item 5). */
#include "filename.h"

#include "util.h"
#include "validate.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *url_basename(const char *url)
{
    CURLU *u = curl_url();
    char *path = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        int n = 0;
        char *dec = curl_easy_unescape(NULL, base, 0, &n);
        if (dec && !memchr(dec, '\0', (size_t)n))
            out = mx_strndup(dec, (size_t)n);
        else
            out = mx_strdup(base); /* undecodable: keep the raw text */
        curl_free(dec);
    } else {
        out = mx_strdup("");
    }
    curl_free(path);
    curl_url_cleanup(u);
    return out;
}

static char *clean_chars(const char *s)
{
    mx_buf b = {0};
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0;
    if (mx_buf_append(&b, "", 0))
        return NULL;
    while (i < n) {
        uint32_t cp;
        size_t l = mx_utf8_next(p + i, n - i, &cp);
        int bad = !l || mx_unsafe_codepoint(cp) || (cp < 128 && strchr("<>:\"/\\|?*", (int)cp));
        if (bad) {
            if (mx_buf_append(&b, "-", 1))
                goto oom;
            i += l ? l : 1;
        } else {
            if (mx_buf_append(&b, p + i, l))
                goto oom;
            i += l;
        }
    }
    return mx_buf_take(&b);
oom:
    mx_buf_free(&b);
    return NULL;
}

static int is_device_name(const char *s)
{
    static const char *const names[] = {"con", "prn", "aux", "nul"};
    size_t stem = strcspn(s, ".");
    for (size_t i = 0; i < 4; i++)
        if (stem == 3 && strncasecmp(s, names[i], 3) == 0)
            return 1;
    if (stem == 4 && (strncasecmp(s, "com", 3) == 0 || strncasecmp(s, "lpt", 3) == 0) && s[3] >= '1' && s[3] <= '9')
        return 1;
    return 0;
}

/* Cut to at most `max` bytes on a UTF-8 boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

char *mx_safe_filename(const char *url, size_t index)
{
    char *raw = url_basename(url);
    if (!raw)
        return NULL;
    char *s = clean_chars(raw);
    free(raw);
    if (!s)
        return NULL;
    char *start = s;
    while (*start == '.')
        start++;
    size_t len = strlen(start);
    while (len && (start[len - 1] == '.' || start[len - 1] == ' '))
        len--;
    mx_buf b = {0};
    int ok = 1;
    if (!len) {
        char tmp[48];
        mx_fmt(tmp, sizeof tmp, "resource-%zu", index + 1);
        ok = !mx_buf_append(&b, tmp, strlen(tmp));
    } else {
        char *name = mx_strndup(start, len);
        ok = name != NULL;
        if (ok && is_device_name(name))
            ok = !mx_buf_append(&b, "resource-", 9);
        if (ok)
            ok = !mx_buf_append(&b, name, len);
        free(name);
    }
    free(s);
    if (!ok) {
        mx_buf_free(&b);
        return NULL;
    }
    if (b.len > MX_FILENAME_MAX_BYTES) {
        const char *dot = strrchr(b.data, '.');
        size_t ext = dot && dot != b.data ? strlen(dot) : 0;
        if (ext > MX_FILENAME_EXT_MAX)
            ext = 0;
        size_t stem = utf8_cut(b.data, b.len - ext, MX_FILENAME_MAX_BYTES - ext);
        memmove(b.data + stem, b.data + b.len - ext, ext);
        b.len = stem + ext;
        b.data[b.len] = '\0';
        /* the cut may leave a trailing dot or space (an extension too long to keep): strip again */
        while (b.len && (b.data[b.len - 1] == '.' || b.data[b.len - 1] == ' '))
            b.data[--b.len] = '\0';
        if (!b.len) {
            char tmp[48];
            mx_fmt(tmp, sizeof tmp, "resource-%zu", index + 1);
            if (mx_buf_append(&b, tmp, strlen(tmp))) {
                mx_buf_free(&b);
                return NULL;
            }
        }
    }
    return mx_buf_take(&b);
}
