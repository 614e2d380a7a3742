/* validate.c - validators for keys, origins, slugs, task ids and request bodies. */
#include "validate.h"

#include "json_limits.h"
#include "util.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <modellix/errors.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errcap, const char *msg)
{
    mx_fmt(err, errcap, "%s", msg);
    return MODELLIX_EINVAL;
}

/* Decode one UTF-8 sequence; returns its length, or 0 if malformed. */
size_t mx_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2;
        v = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        v = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

int mx_unsafe_codepoint(uint32_t cp)
{
    return cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
           (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

int mx_safe_text(const char *s, size_t n)
{
    if (!n)
        return 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t l = mx_utf8_next(p + i, n - i, &cp);
        if (!l || mx_unsafe_codepoint(cp))
            return 0;
        i += l;
    }
    return 1;
}

int mx_validate_api_key(const char *key, char **out, char *err, size_t errcap)
{
    *out = NULL;
    if (!key)
        return fail(err, errcap, "the API key is NULL");
    char *k = mx_strdup_trimmed(key);
    if (!k)
        return MODELLIX_ENOMEM;
    size_t n = strlen(k);
    const char *why = NULL;
    if (n == 0)
        why = "the API key is empty";
    else if (n > MX_KEY_MAX)
        why = "the API key is too long (more than 16384 characters)";
    for (size_t i = 0; !why && i < n; i++)
        if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7E)
            why = "the API key contains unsupported characters (only printable ASCII is allowed)";
    if (why) {
        free(k);
        return fail(err, errcap, why);
    }
    *out = k;
    return MODELLIX_OK;
}

static int host_is_loopback(const char *host)
{
    if (!host)
        return 0;
    if (mx_ascii_casecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0)
        return 1;
    /* 127.0.0.0/8, strictly as a dotted quad: "4294967423.0.0.1" or signed octets are DNS names */
    unsigned char a[4];
    return inet_pton(AF_INET, host, a) == 1 && a[0] == 127;
}

/* A host name of ASCII letters, digits, '-', '.' and '_', or a bracketed IPv6 literal. Percent
   escapes (which curl decodes) and anything else are refused, so the host validated is the host used. */
static int host_chars_ok(const char *h)
{
    size_t n = strlen(h);
    if (!n || n > 253 + 2)
        return 0;
    if (h[0] == '[')
        return n > 2 && h[n - 1] == ']' && strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
    return strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") == n;
}

/* The origin we built must name the same host when curl parses it again (numeric forms such as
   "66633" are re-read as IPv4 addresses). */
static int same_host_on_reparse(const char *origin, const char *host)
{
    CURLU *u = curl_url();
    char *h = NULL;
    int same = u && curl_url_set(u, CURLUPART_URL, origin, 0) == CURLUE_OK &&
               curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && mx_ascii_casecmp(h, host) == 0;
    curl_free(h);
    curl_url_cleanup(u);
    return same;
}

int mx_url_is_loopback(const char *url)
{
    CURLU *u = curl_url();
    if (!u)
        return 0;
    char *host = NULL;
    int r = 0;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        r = host_is_loopback(host);
    curl_free(host);
    curl_url_cleanup(u);
    return r;
}

int mx_validate_base_url(const char *url, char **out, char *err, size_t errcap)
{
    *out = NULL;
    if (!url)
        return fail(err, errcap, "the base URL is NULL");
    char *t = mx_strdup_trimmed(url);
    if (!t)
        return MODELLIX_ENOMEM;
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *user = NULL, *pass = NULL, *query = NULL,
         *frag = NULL;
    int rc = MODELLIX_OK;
    if (!u) {
        rc = MODELLIX_ENOMEM;
        goto done;
    }
    if (!mx_safe_text(t, strlen(t)) || curl_url_set(u, CURLUPART_URL, t, 0) != CURLUE_OK) {
        rc = fail(err, errcap, "invalid Modellix API base URL");
        goto done;
    }
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    curl_url_get(u, CURLUPART_HOST, &host, 0);
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    curl_url_get(u, CURLUPART_USER, &user, 0);
    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
    if (!scheme || !host || !*host) {
        rc = fail(err, errcap, "invalid Modellix API base URL");
    } else if (!host_chars_ok(host)) {
        rc = fail(err, errcap, "the Modellix API base URL's host name has unsupported characters");
    } else if (strcmp(scheme, "https") != 0 && !(strcmp(scheme, "http") == 0 && host_is_loopback(host))) {
        rc = fail(err, errcap, "the Modellix API base URL must use https (http only for localhost, 127.0.0.1 or [::1])");
    } else if (user || pass) {
        rc = fail(err, errcap, "the Modellix API base URL must not contain a user name or password");
    } else if (query || frag) {
        rc = fail(err, errcap, "the Modellix API base URL must not contain a query or fragment");
    } else if (path && strcmp(path, "/") != 0 && strcmp(path, "") != 0) {
        rc = fail(err, errcap, "the Modellix API base URL must be an origin without a path");
    } else {
        size_t cap = strlen(scheme) + strlen(host) + (port ? strlen(port) : 0) + 8;
        char *o = malloc(cap);
        if (!o) {
            rc = MODELLIX_ENOMEM;
        } else {
            int default_port = !port || (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0) ||
                               (strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0);
            if (default_port)
                mx_fmt(o, cap, "%s://%s", scheme, host);
            else
                mx_fmt(o, cap, "%s://%s:%s", scheme, host, port);
            if (!same_host_on_reparse(o, host)) {
                free(o);
                rc = fail(err, errcap, "invalid Modellix API base URL (its host does not survive normalisation)");
            } else {
                *out = o;
            }
        }
    }
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(user);
    curl_free(pass);
    curl_free(query);
    curl_free(frag);
    curl_url_cleanup(u);
    free(t);
    return rc;
}

/* 1 if [s, s+n) is "." or "..": a path segment that URL normalisation (curl's, a proxy's, the
   server's) folds into another path, so that a request would reach another resource. */
static int dot_segment(const char *s, size_t n)
{
    return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int mx_validate_slug(const char *slug, char **type, char **provider, char **model, char *err, size_t errcap)
{
    *type = *provider = *model = NULL;
    if (!slug)
        return fail(err, errcap, "the model slug is NULL");
    char *s = mx_strdup_trimmed(slug);
    if (!s)
        return MODELLIX_ENOMEM;
    size_t n = strlen(s);
    int rc = MODELLIX_OK;
    char *parts[3] = {NULL, NULL, NULL};
    size_t nparts = 0;
    if (n == 0) {
        rc = fail(err, errcap, "the model slug is empty");
        goto done;
    }
    if (n > MX_SLUG_MAX) {
        rc = fail(err, errcap, "the model slug is too long (more than 256 characters)");
        goto done;
    }
    if (!mx_safe_text(s, n)) {
        rc = fail(err, errcap, "the model slug contains control or unsupported characters");
        goto done;
    }
    const char *p = s;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (nparts == 3) {
            rc = fail(err, errcap, "the model slug must have the form provider/model");
            goto done;
        }
        char *raw = mx_strndup(p, len);
        if (!raw) {
            rc = MODELLIX_ENOMEM;
            goto done;
        }
        parts[nparts] = mx_strdup_trimmed(raw);
        free(raw);
        if (!parts[nparts]) {
            rc = MODELLIX_ENOMEM;
            goto done;
        }
        if (!*parts[nparts]) {
            rc = fail(err, errcap, "the model slug must have the form provider/model with non-empty parts");
            goto done;
        }
        if (dot_segment(parts[nparts], strlen(parts[nparts]))) {
            rc = fail(err, errcap, "a part of the model slug is \".\" or \"..\" (it would name another path)");
            goto done;
        }
        nparts++;
        if (!slash)
            break;
        p = slash + 1;
    }
    if (nparts < 2) {
        rc = fail(err, errcap, "the model slug must have the form provider/model");
        goto done;
    }
    if (nparts == 3) {
        static const char *const types[] = {"text-to-image", "image-to-image", "text-to-video", "image-to-video",
                                            "video-to-video"};
        int known = 0;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            known |= strcmp(parts[0], types[i]) == 0;
        if (!known) {
            rc = fail(err, errcap, "a three-part model slug must start with a model type such as text-to-image");
            goto done;
        }
        *type = parts[0];
        *provider = parts[1];
        *model = parts[2];
    } else {
        *provider = parts[0];
        *model = parts[1];
    }
    free(s);
    return MODELLIX_OK;
done:
    for (size_t i = 0; i < 3; i++)
        free(parts[i]);
    free(s);
    return rc;
}

int mx_validate_task_id(const char *id, char **out, char *err, size_t errcap)
{
    *out = NULL;
    if (!id)
        return fail(err, errcap, "the task id is NULL");
    char *t = mx_strdup_trimmed(id);
    if (!t)
        return MODELLIX_ENOMEM;
    size_t n = strlen(t);
    const char *why = NULL;
    if (n == 0)
        why = "the task id is empty";
    else if (n > MX_TASK_ID_MAX)
        why = "the task id is too long (more than 512 characters)";
    for (size_t i = 0; !why && i < n; i++) {
        unsigned char c = (unsigned char)t[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("._~:/+@=-", c)))
            why = "the task id contains unsupported characters";
    }
    for (size_t i = 0; !why && i < n;) {
        size_t j = i;
        while (j < n && t[j] != '/')
            j++;
        if (dot_segment(t + i, j - i))
            why = "the task id is, or has a part that is, \".\" or \"..\" (it would name another path)";
        i = j + 1;
    }
    if (why) {
        free(t);
        return fail(err, errcap, why);
    }
    *out = t;
    return MODELLIX_OK;
}

int mx_validate_body(const char *body, size_t len, char *err, size_t errcap)
{
    if (!body)
        return fail(err, errcap, "the request body is NULL");
    if (len > MX_BODY_MAX)
        return MODELLIX_ETOOLARGE;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY, &jerr);
    if (!root)
        return fail(err, errcap, "the request body is not valid JSON");
    int rc = MODELLIX_OK;
    if (!json_is_object(root))
        rc = fail(err, errcap, "the request body must be a JSON object");
    else if (!mx_json_within_limits(root, MX_JSON_MAX_DEPTH, MX_JSON_MAX_NODES))
        rc = fail(err, errcap, "the request body is nested too deeply or has too many values");
    json_decref(root);
    return rc;
}
