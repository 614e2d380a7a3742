/* proxy.c - choosing the proxy of a request (see proxy.h). */
#include "proxy.h"

#include "util.h"

#include <arpa/inet.h>
#include <modellix/errors.h>
#include <stdlib.h>
#include <string.h>

#define MX_PROXY_URL_MAX 2048

int mx_proxy_url_valid(const char *url)
{
    static const char *const schemes[] = {"http", "https", "socks4", "socks4a", "socks5", "socks5h"};
    size_t n = url ? strlen(url) : 0;
    if (!n || n > MX_PROXY_URL_MAX)
        return MODELLIX_EINVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7F)
            return MODELLIX_EINVAL;
    CURLU *u = curl_url();
    if (!u)
        return MODELLIX_ENOMEM;
    char *scheme = NULL, *host = NULL;
    int ok = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && *host && strstr(url, "://");
    int known = 0;
    for (size_t i = 0; ok && i < sizeof schemes / sizeof schemes[0]; i++)
        known |= mx_ascii_casecmp(scheme, schemes[i]) == 0;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok && known ? MODELLIX_OK : MODELLIX_EINVAL;
}

static int dup_or_null(char **dst, const char *src)
{
    *dst = NULL;
    return src && !(*dst = mx_strdup(src)) ? MODELLIX_ENOMEM : MODELLIX_OK;
}

int mx_proxy_cfg_copy(mx_proxy_cfg *dst, const mx_proxy_cfg *src)
{
    dst->from_env = src->from_env;
    if (dup_or_null(&dst->url, src->url) != MODELLIX_OK || dup_or_null(&dst->no_proxy, src->no_proxy) != MODELLIX_OK) {
        mx_proxy_cfg_free(dst);
        return MODELLIX_ENOMEM;
    }
    return MODELLIX_OK;
}

void mx_proxy_cfg_free(mx_proxy_cfg *c)
{
    free(c->url);
    free(c->no_proxy);
    c->url = c->no_proxy = NULL;
}

/* An address and a prefix length from "a.b.c.d", "a.b.c.d/n", "v6" or "v6/n" (brackets allowed);
   0 if it is none of these. */
static int parse_ip(const char *s, size_t n, unsigned char addr[16], int *family, int *bits)
{
    char buf[64];
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *slash = strchr(buf, '/');
    *bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        long b = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || b < 0 || b > 128)
            return 0;
        *bits = (int)b;
    }
    char *h = buf;
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = '\0';
        h++;
    }
    if (inet_pton(AF_INET, h, addr) == 1) {
        *family = AF_INET;
        if (*bits < 0)
            *bits = 32;
        return *bits <= 32;
    }
    if (inet_pton(AF_INET6, h, addr) == 1) {
        *family = AF_INET6;
        if (*bits < 0)
            *bits = 128;
        return 1;
    }
    return 0;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return 0;
    if (!rest)
        return 1;
    unsigned char mask = (unsigned char)(0xFF << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

static int name_match(const char *host, size_t hl, const char *e, size_t el)
{
    while (el && *e == '.') {
        e++;
        el--;
    }
    while (el && e[el - 1] == '.')
        el--;
    if (!el || el > hl)
        return 0;
    const char *tail = host + hl - el;
    return mx_ascii_ncaseeq(tail, e, el) && (el == hl || tail[-1] == '.');
}

int mx_no_proxy_match(const char *list, const char *host)
{
    if (!list || !host || !*host)
        return 0;
    size_t hl = strlen(host);
    while (hl && host[hl - 1] == '.')
        hl--;
    unsigned char haddr[16];
    int hfam = 0, hbits;
    int host_is_ip = parse_ip(host, hl, haddr, &hfam, &hbits) && hbits == (hfam == AF_INET ? 32 : 128);
    const char *p = list;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        size_t el = strcspn(p, ", \t");
        if (!el)
            break;
        if (el == 1 && *p == '*')
            return 1;
        if (host_is_ip) {
            unsigned char eaddr[16];
            int efam, ebits;
            if (parse_ip(p, el, eaddr, &efam, &ebits) && efam == hfam && prefix_equal(haddr, eaddr, ebits))
                return 1;
        } else if (name_match(host, hl, p, el)) {
            return 1;
        }
        p += el;
    }
    return 0;
}

/* The environment's proxy for a scheme, as libcurl reads it: http_proxy (lower case only) for
   http, https_proxy then HTTPS_PROXY for https; then all_proxy, ALL_PROXY. */
static const char *env_proxy(const char *scheme)
{
    const char *v = NULL;
    if (strcmp(scheme, "http") == 0) {
        v = getenv("http_proxy");
    } else if (strcmp(scheme, "https") == 0) {
        v = getenv("https_proxy");
        if (!v)
            v = getenv("HTTPS_PROXY");
    }
    if (!v)
        v = getenv("all_proxy");
    if (!v)
        v = getenv("ALL_PROXY");
    return v;
}

int mx_proxy_for(const mx_proxy_cfg *cfg, const char *url, char **out)
{
    *out = NULL;
    CURLU *u = curl_url();
    if (!u)
        return MODELLIX_ENOMEM;
    char *scheme = NULL, *host = NULL;
    int rc = MODELLIX_OK;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        const char *proxy = cfg->url ? cfg->url : cfg->from_env ? env_proxy(scheme) : NULL;
        const char *skip = cfg->no_proxy ? cfg->no_proxy : cfg->from_env ? getenv("no_proxy") : NULL;
        if (!skip && !cfg->no_proxy && cfg->from_env)
            skip = getenv("NO_PROXY");
        if (proxy && *proxy && !mx_no_proxy_match(skip, host) && !(*out = mx_strdup(proxy)))
            rc = MODELLIX_ENOMEM;
    }
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

void mx_proxy_setopt(CURL *h, const char *proxy)
{
    curl_easy_setopt(h, CURLOPT_PROXY, proxy ? proxy : "");
    curl_easy_setopt(h, CURLOPT_NOPROXY, "");
}
