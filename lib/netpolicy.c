/* netpolicy.c - address ranges and URL rules for downloads (reference section 8, item 3). */
#include "netpolicy.h"

#include "util.h"
#include "validate.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <curl/curl.h>
#include <modellix/errors.h>
#include <netinet/in.h>
#include <string.h>

static int v4_blocked(uint32_t a)
{
    static const struct {
        uint32_t net;
        int bits;
    } ranges[] = {
        {0x00000000u, 8},  {0x0A000000u, 8},  {0x7F000000u, 8},  {0x64400000u, 10}, {0xA9FE0000u, 16},
        {0xAC100000u, 12}, {0xC0000000u, 24}, {0xC0000200u, 24}, {0xC0586300u, 24}, {0xC0A80000u, 16},
        {0xC6120000u, 15}, {0xC6336400u, 24}, {0xCB007100u, 24}, {0xE0000000u, 3},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        uint32_t mask = ranges[i].bits ? 0xFFFFFFFFu << (32 - ranges[i].bits) : 0;
        if ((a & mask) == ranges[i].net)
            return 1;
    }
    return 0;
}

static int v6_blocked(const unsigned char *b)
{
    static const unsigned char zero[16] = {0};
    if (memcmp(b, zero, 16) == 0)
        return 1; /* :: */
    if (memcmp(b, zero, 15) == 0 && b[15] == 1)
        return 1; /* ::1 */
    if (memcmp(b, zero, 10) == 0 && b[10] == 0xFF && b[11] == 0xFF)
        return 1; /* ::ffff:0:0/96, IPv4-mapped: refused outright like the official CLI */
    if ((b[0] & 0xE0) != 0x20)
        return 1; /* outside 2000::/3 */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02)
        return 1; /* 2001:0000::/23 */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return 1; /* 2001:db8::/32 */
    if (b[0] == 0x20 && b[1] == 0x02)
        return 1; /* 2002::/16 */
    if (b[0] == 0x3f && b[1] == 0xff && b[2] < 0x10)
        return 1; /* 3fff::/20 */
    return 0;
}

int mx_addr_blocked(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return v4_blocked(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return v6_blocked(in6->sin6_addr.s6_addr);
    }
    return 1;
}

int mx_addr_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const unsigned char *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        static const unsigned char zero[16] = {0};
        if (memcmp(b, zero, 15) == 0 && b[15] == 1)
            return 1;
        return memcmp(b, zero, 10) == 0 && b[10] == 0xFF && b[11] == 0xFF && b[12] == 127;
    }
    return 0;
}

int mx_check_download_url(const char *url, int allow_http, int loopback_ok, char *err, size_t errcap)
{
    CURLU *u = curl_url();
    if (!u)
        return MODELLIX_ENOMEM;
    char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL, *path = NULL;
    int rc = MODELLIX_EUNSAFE;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        mx_fmt(err, errcap, "the file URL is not a valid URL");
        goto done;
    }
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    int has_user = curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK;
    int has_pass = curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK;
    if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
        mx_fmt(err, errcap, "the file URL's scheme %.16s is not http or https", scheme);
    } else if (has_user || has_pass) {
        mx_fmt(err, errcap, "the file URL for %.200s contains credentials", host);
    } else if (strcmp(scheme, "http") == 0 && !allow_http && !(loopback_ok && mx_url_is_loopback(url))) {
        mx_fmt(err, errcap, "refusing plain http for %.200s%.200s (https is required; see MODELLIX_DOWNLOAD_ALLOW_HTTP)",
               host, path ? path : "");
    } else {
        rc = MODELLIX_OK;
    }
done:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(pass);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

int mx_connect_allowed(const struct sockaddr *sa, int via_proxy, int allow_private, int base_loopback)
{
    return via_proxy || allow_private || (base_loopback && mx_addr_loopback(sa)) || !mx_addr_blocked(sa);
}

int mx_check_file_host(const char *url, int base_loopback, char *err, size_t errcap, char *pin, size_t pincap)
{
    if (pin && pincap)
        pin[0] = '\0';
    CURLU *u = curl_url();
    char *host = NULL;
    if (!u)
        return MODELLIX_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK || curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        curl_url_cleanup(u);
        mx_fmt(err, errcap, "the file URL is not a valid URL");
        return MODELLIX_EUNSAFE;
    }
    curl_url_cleanup(u);
    char name[256];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
        mx_fmt(name, sizeof name, "%.*s", (int)(n - 2), host + 1);
    else
        mx_fmt(name, sizeof name, "%s", host);
    curl_free(host);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(name, NULL, &hints, &res);
    if (g != 0) {
        mx_fmt(err, errcap,
               "cannot resolve the file host %.200s to check its addresses before asking the proxy (%s; see "
               "MODELLIX_DOWNLOAD_ALLOW_PRIVATE)",
               name, gai_strerror(g));
        return g == EAI_MEMORY ? MODELLIX_ENOMEM : MODELLIX_ENETWORK;
    }
    int rc = MODELLIX_OK;
    for (const struct addrinfo *a = res; a && rc == MODELLIX_OK; a = a->ai_next) {
        if (!mx_connect_allowed(a->ai_addr, 0, 0, base_loopback)) {
            mx_fmt(err, errcap,
                   "the file host %.200s is (or resolves to) a private or reserved address: not asking the proxy for it "
                   "(see MODELLIX_DOWNLOAD_ALLOW_PRIVATE)",
                   name);
            rc = MODELLIX_EUNSAFE;
        }
    }
    if (rc == MODELLIX_OK && pin && pincap >= 48 && res) {
        char a[INET6_ADDRSTRLEN];
        if (res->ai_family == AF_INET &&
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr, a, sizeof a))
            mx_fmt(pin, pincap, "%s", a);
        else if (res->ai_family == AF_INET6 &&
                 inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)res->ai_addr)->sin6_addr, a, sizeof a))
            mx_fmt(pin, pincap, "[%s]", a);
    }
    freeaddrinfo(res);
    return rc;
}
