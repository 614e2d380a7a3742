/* mock_reply.c - replies (status + JSON or raw body) turned into MHD responses with the standard
 * headers, and the streamed responses used by the HUGE and RESET_MIDWAY faults. */
#include "mock_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void mk_reply_init(mk_reply *r)
{
    memset(r, 0, sizeof *r);
}

void mk_reply_clear(mk_reply *r)
{
    json_decref(r->json);
    free(r->raw);
    free(r->headers);
    mk_reply_init(r);
}

const char *mk_status_category(unsigned status)
{
    switch (status) {
    case 400:
        return "Invalid parameters";
    case 401:
        return "Authentication failed";
    case 402:
        return "Insufficient balance";
    case 403:
        return "Access denied";
    case 404:
        return "Resource not found";
    case 405:
        return "Method not allowed";
    case 408:
        return "Request timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Payload too large";
    case 422:
        return "Invalid format";
    case 429:
        return "Rate limit exceeded";
    case 502:
        return "Bad gateway";
    case 503:
        return "Service unavailable";
    case 504:
        return "Gateway timeout";
    default:
        return status >= 500 ? "Internal error" : status >= 400 ? "Request error" : "Status";
    }
}

void mk_reply_json(mk_reply *r, unsigned status, json_t *json)
{
    mk_reply_clear(r);
    r->status = status;
    r->json = json;
    r->content_type = "application/json";
}

void mk_reply_error(mk_reply *r, unsigned status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    for (char *c = msg; *c; c++) {
        if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
            *c = '?'; /* keeps the message valid UTF-8 whatever the client sent */
    }
    mk_reply_json(r, status, json_pack("{s:i, s:s}", "code", (int)status, "message", msg));
}

unsigned char *mk_reply_body(const mk_reply *r, size_t *len)
{
    if (r->json != NULL) {
        char *s = json_dumps(r->json, JSON_COMPACT | JSON_REAL_PRECISION(15));
        if (s == NULL)
            return NULL;
        *len = strlen(s);
        return (unsigned char *)s;
    }
    unsigned char *copy = malloc(r->raw_len ? r->raw_len : 1);
    if (copy != NULL && r->raw_len > 0)
        memcpy(copy, r->raw, r->raw_len);
    *len = r->raw_len;
    return copy;
}

/* ---- headers ---- */

/* Walk a "Name: value\n" block; cb returns false to stop. Returns -1 on a malformed line. */
static int each_header(const char *block, bool (*cb)(void *, const char *, size_t, const char *, size_t),
                       void *arg)
{
    const char *p = block;
    while (p != NULL && *p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (len > 0) {
            const char *colon = memchr(p, ':', len);
            if (colon == NULL || colon == p)
                return -1;
            size_t nl = (size_t)(colon - p);
            while (nl > 0 && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
                nl--;
            const char *v = colon + 1;
            size_t vl = len - (size_t)(v - p);
            while (vl > 0 && (*v == ' ' || *v == '\t')) {
                v++;
                vl--;
            }
            while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            if (!cb(arg, p, nl, v, vl))
                return 0;
        }
        p = eol ? eol + 1 : NULL;
    }
    return 0;
}

struct has_arg {
    const char *name;
    bool found;
};

static bool has_cb(void *arg, const char *n, size_t nl, const char *v, size_t vl)
{
    struct has_arg *h = arg;
    (void)v;
    (void)vl;
    if (strlen(h->name) == nl && strncasecmp(h->name, n, nl) == 0) {
        h->found = true;
        return false;
    }
    return true;
}

bool mk_header_block_has(const char *block, const char *name)
{
    struct has_arg h = {name, false};
    if (block != NULL)
        each_header(block, has_cb, &h);
    return h.found;
}

static bool add_cb(void *arg, const char *n, size_t nl, const char *v, size_t vl)
{
    char name[256], value[4096];
    if (nl >= sizeof name || vl >= sizeof value)
        return true; /* silently skip absurd headers */
    memcpy(name, n, nl);
    name[nl] = '\0';
    memcpy(value, v, vl);
    value[vl] = '\0';
    MHD_add_response_header(arg, name, value);
    return true;
}

int mk_apply_header_block(struct MHD_Response *resp, const char *block)
{
    return block == NULL ? 0 : each_header(block, add_cb, resp);
}

static void add_standard_headers(mk_req *q, struct MHD_Response *resp, const char *content_type,
                                 int64_t retry_after_s, const char *extra)
{
    char v[32];
    if (!mk_header_block_has(extra, "X-Request-Id"))
        MHD_add_response_header(resp, "X-Request-Id", q->request_id);
    if (content_type != NULL && !mk_header_block_has(extra, "Content-Type"))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (q->have_rl) {
        static const char *const names[3] = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"};
        const int64_t vals[3] = {q->rl.limit, q->rl.remaining, q->rl.reset_unix};
        for (int i = 0; i < 3; i++) {
            if (!mk_header_block_has(extra, names[i])) {
                snprintf(v, sizeof v, "%lld", (long long)vals[i]);
                MHD_add_response_header(resp, names[i], v);
            }
        }
    }
    if (retry_after_s > 0 && !mk_header_block_has(extra, "Retry-After")) {
        snprintf(v, sizeof v, "%lld", (long long)retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, v);
    }
    mk_apply_header_block(resp, extra);
}

struct MHD_Response *mk_response_buffer(mk_req *q, const mk_reply *r, unsigned char *body, size_t len)
{
    struct MHD_Response *resp;
    if (len == 0) {
        free(body);
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (resp == NULL)
            free(body);
    }
    if (resp != NULL)
        add_standard_headers(q, resp, r->content_type, r->retry_after_s, r->headers);
    return resp;
}

/* ---- streamed responses ---- */

struct stream_ctx {
    mk_stats *stats;
    int32_t route;
    uint64_t total;         /* bytes produced before the stream ends (HUGE) or breaks (RESET_MIDWAY) */
    unsigned char *body;    /* RESET_MIDWAY: the body being cut */
};

static const char huge_prefix[] = "{\"code\":0,\"message\":\"success\",\"data\":{\"padding\":\"";
static const char huge_suffix[] = "\"}}";

static ssize_t huge_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream_ctx *c = cls;
    if (pos >= c->total)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = c->total - pos < max ? (size_t)(c->total - pos) : max;
    const uint64_t pre = sizeof huge_prefix - 1, suf = sizeof huge_suffix - 1;
    bool framed = c->total >= pre + suf;
    memset(buf, 'x', n);
    if (framed) {
        const uint64_t s0 = c->total - suf;
        for (uint64_t at = pos; at < pos + n && at < pre; at++)
            buf[at - pos] = huge_prefix[at];
        for (uint64_t at = pos > s0 ? pos : s0; at < pos + n; at++)
            buf[at - pos] = huge_suffix[at - s0];
    }
    mk_stats_bytes(c->stats, c->route, (int64_t)n);
    return (ssize_t)n;
}

static ssize_t midway_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream_ctx *c = cls;
    if (pos >= c->total)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* the connection is closed mid-body */
    size_t n = c->total - pos < max ? (size_t)(c->total - pos) : max;
    memcpy(buf, c->body + pos, n);
    mk_stats_bytes(c->stats, c->route, (int64_t)n);
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream_ctx *c = cls;
    free(c->body);
    free(c);
}

struct MHD_Response *mk_response_huge(mk_req *q, int64_t n_bytes)
{
    struct stream_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return NULL;
    c->stats = &q->srv->stats;
    c->route = q->route;
    c->total = (uint64_t)n_bytes;
    struct MHD_Response *resp = MHD_create_response_from_callback((uint64_t)n_bytes, 64 * 1024, huge_reader, c,
                                                                  stream_free);
    if (resp == NULL) {
        stream_free(c);
        return NULL;
    }
    add_standard_headers(q, resp, "application/json", 0, NULL);
    return resp;
}

struct MHD_Response *mk_response_midway(mk_req *q, const mk_reply *r, unsigned char *body, size_t len)
{
    static const char fallback[] = "{\"code\":0,\"message\":\"success\",\"data\":{}}";
    if (len < 2) {
        free(body);
        len = sizeof fallback - 1;
        body = malloc(len);
        if (body == NULL)
            return NULL;
        memcpy(body, fallback, len);
    }
    struct stream_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        free(body);
        return NULL;
    }
    c->stats = &q->srv->stats;
    c->route = q->route;
    c->body = body;
    c->total = len / 2;
    /* Content-Length announces the whole body; only the first half is ever sent. */
    struct MHD_Response *resp = MHD_create_response_from_callback(len, 4096, midway_reader, c, stream_free);
    if (resp == NULL) {
        stream_free(c);
        return NULL;
    }
    add_standard_headers(q, resp, r->content_type, r->retry_after_s, r->headers);
    return resp;
}
