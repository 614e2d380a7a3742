/* proxy.h - which proxy a request goes through: the client's own setting, else the environment as
 * libcurl reads it (http_proxy, https_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY, no_proxy/NO_PROXY).
 * The library decides, then tells libcurl exactly (CURLOPT_PROXY, with CURLOPT_NOPROXY ""), so that
 * the download rules know whether a connection goes to the file host or to a proxy. */
#ifndef MODELLIX_PROXY_H
#define MODELLIX_PROXY_H

#include <curl/curl.h>
#include <stdint.h>

typedef struct mx_proxy_cfg {
    char *url;        /* the proxy set by the application, or NULL */
    char *no_proxy;   /* the hosts that bypass it as set by the application, or NULL */
    int32_t from_env; /* 1: without url / no_proxy, read the environment; 0: never (no proxy unless set) */
} mx_proxy_cfg;

/* Validate a proxy URL: scheme http, https, socks4, socks4a, socks5 or socks5h, a host, printable
   ASCII only, at most 2048 bytes. Returns MODELLIX_OK or MODELLIX_EINVAL. */
int mx_proxy_url_valid(const char *url);
/* dst = a copy of src. MODELLIX_OK or MODELLIX_ENOMEM (dst then empty). */
int mx_proxy_cfg_copy(mx_proxy_cfg *dst, const mx_proxy_cfg *src);
void mx_proxy_cfg_free(mx_proxy_cfg *c);

/* 1 if `host` (a name, an IPv4 or an IPv6 literal, brackets allowed) is in the no-proxy list:
   entries separated by commas or spaces; "*" matches every host; a name matches itself and its
   subdomains (a leading dot is ignored); an IP literal matches an address or a CIDR range. */
int mx_no_proxy_match(const char *list, const char *host);

/* The proxy a request to `url` goes through, malloc'd in *out, or *out = NULL for a direct
   connection. Returns MODELLIX_OK or MODELLIX_ENOMEM. */
int mx_proxy_for(const mx_proxy_cfg *cfg, const char *url, char **out);

/* Set h's CURLOPT_PROXY to `proxy` ("" = none: the environment is not consulted again) and
   CURLOPT_NOPROXY to "" (the decision is already made). */
void mx_proxy_setopt(CURL *h, const char *proxy);

#endif
