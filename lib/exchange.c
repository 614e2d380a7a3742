/* exchange.c - exchanges with retries: attempts, their classification, the money rule, pacing, the
 * retry policy, the connection gate and the pools of easy handles and exchange records. The event
 * loop itself is the reactor's (reactor.c). */
#include "exchange.h"

#include "internal.h"
#include "sanitize.h"
#include "sockets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MX_HOST_CONNECTIONS 16 /* parallel connections to one host (CURLMOPT_MAX_HOST_CONNECTIONS) */

static void req_done(void *ud, CURL *easy, CURLcode res, const char *why);
static void gate_fire(mx_timer *t);

int mx_timer_arm(mx_engine *e, mx_timer *t, int64_t due)
{
    return mx_reactor_arm(&e->rx, t, due) == 0 ? MODELLIX_OK : MODELLIX_ENOMEM;
}

void mx_timer_disarm(mx_engine *e, mx_timer *t)
{
    mx_reactor_disarm(&e->rx, t);
}

/* TLS session resumption. Every easy handle of a client, API exchanges and downloads alike, keeps its
   TLS sessions in one curl share handle: a connection opened after GOAWAY, an idle time-out or a
   maximum connection age, or to the file host again, resumes the session another handle's connection
   got instead of a full handshake (no certificate chain sent or verified; with TLS 1.2 also one
   round trip less; bench/README.md has the figures). Without it, each handle had a cache of its own,
   and a pooled handle that had not made a connection before, or any download's new handle, started
   from scratch. curl reuses a session only for the same host, port and TLS settings (CA file,
   verification), so nothing is resumed that a full handshake would refuse. (libcurl 7.88 closes an
   HTTP/2 connection without a close_notify and OpenSSL then drops its session: over HTTP/2 only a
   connection opened while another is open resumes; README, design notes.)
   Only sessions are shared: connections stay in the multi handle's own pool (the gate and the money
   rule count on it), and DNS answers are already shared by every handle of the one multi handle.
   No lock callbacks: all easy handles of a client run in its one multi handle, on the thread inside
   a call on the client, one thread at a time (client.h), and curl's resolver threads never touch the
   share. */
static CURLSH *share_new(void)
{
    CURLSH *sh = curl_share_init();
    if (sh && curl_share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        curl_share_cleanup(sh);
        sh = NULL;
    }
    return sh;
}

int mx_engine_init(mx_engine *e)
{
    memset(e, 0, sizeof *e);
    mx_gate_init(&e->gate, MX_HOST_CONNECTIONS);
    mx_timer_init(&e->gate_timer, gate_fire);
    int err = mx_reactor_init(&e->rx, req_done, e);
    if (err)
        return err == ENOMEM ? MODELLIX_ENOMEM : MODELLIX_EIO;
    if (!(e->share = share_new()))
        return MODELLIX_ENOMEM;
    /* Bound parallel connections per host: connections are reused, transfers beyond this queue. */
    if (curl_multi_setopt(e->rx.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)MX_HOST_CONNECTIONS) != CURLM_OK ||
        curl_multi_setopt(e->rx.multi, CURLMOPT_MAXCONNECTS, 32L) != CURLM_OK)
        return MODELLIX_EIO;
    return MODELLIX_OK;
}

void mx_engine_cleanup(mx_engine *e)
{
    for (size_t i = 0; i < e->nreq_free; i++)
        free(e->req_free[i]);
    /* easy handles go before the multi handle, which closes the connections they shared */
    for (size_t i = 0; i < e->npool; i++)
        curl_easy_cleanup(e->pool[i]);
    free(e->pool);
    mx_reactor_cleanup(&e->rx);
    /* last: curl refuses to free a share an easy handle still uses (CURLSHE_IN_USE) */
    if (e->share)
        curl_share_cleanup(e->share);
    memset(e, 0, sizeof *e);
}

void mx_engine_wake(mx_engine *e)
{
    mx_reactor_wake(&e->rx);
}

int mx_engine_fd(mx_engine *e)
{
    return mx_reactor_fd(&e->rx);
}

int64_t mx_engine_timeout(const mx_engine *e, int64_t now)
{
    return mx_reactor_timeout(&e->rx, now);
}

void mx_engine_step(mx_engine *e, int wait_ms)
{
    mx_reactor_step(&e->rx, wait_ms);
    CURLMcode rc = mx_reactor_take_error(&e->rx);
    if (rc != CURLM_OK) /* transfers it affected end through their own time-outs */
        mx_log(MX_CONTAINER(e, modellix_client, eng), MODELLIX_LOG_WARN, "libcurl's multi interface failed: %s",
               curl_multi_strerror(rc));
}

static CURL *pool_get(mx_engine *e)
{
    return e->npool ? e->pool[--e->npool] : NULL;
}

/* Idle handles kept for reuse. A batch may start thousands of transfers at once (curl queues them
   behind its connection limit); keeping every handle afterwards cost ~8 KB per task. */
#define MX_POOL_MAX 32

static void pool_put(mx_engine *e, CURL *h)
{
    if (e->npool >= MX_POOL_MAX) {
        curl_easy_cleanup(h);
        return;
    }
    if (e->npool == e->cappool) {
        size_t cap = e->cappool ? e->cappool * 2 : 16;
        CURL **p = realloc(e->pool, cap * sizeof *p);
        if (!p) {
            curl_easy_cleanup(h);
            return;
        }
        e->pool = p;
        e->cappool = cap;
    }
    e->pool[e->npool++] = h;
}

static void req_complete(mx_req *r, CURLcode cres, const char *why);
static int attempt_sent(CURL *h, CURLcode cres);
static void attempt_or_finish(mx_req *r, int admitted);

/* The gate: at most MX_HOST_CONNECTIONS API exchanges hold an easy handle at once, as many as curl
   runs to the API host. curl would park the rest itself, but each parked handle holds its buffers
   (~21 KB): 10 000 polls falling due together held 150 MB, and the allocator kept that burst's pages
   afterwards. API attempts beyond the limit wait in the gate (gate.h), first come first served, with
   no handle, and start as slots free up: a slot freed while attempts wait arms the gate timer "now",
   and the timer admits them (so the reactor's time-out is 0 while the gate is open). Their deadline
   timer runs while they wait. Downloads are not gated: they go to other hosts, and a client runs at
   most one at a time. */
static void gate_fire(mx_timer *t)
{
    mx_engine *e = MX_CONTAINER(t, mx_engine, gate_timer);
    mx_link *k;
    while ((k = mx_gate_next(&e->gate))) {
        mx_req *r = MX_CONTAINER(k, mx_req, gate_link);
        mx_timer_disarm(e, &r->retry_timer); /* its deadline timer */
        attempt_or_finish(r, 1);
    }
}

static void gate_leave(mx_engine *e)
{
    mx_gate_leave(&e->gate);
    if (mx_gate_open(&e->gate) && !mx_timer_armed(&e->gate_timer) &&
        mx_timer_arm(e, &e->gate_timer, mx_now_ms()) != MODELLIX_OK) {
        /* no memory for the heap: the waiters' deadline timers still end them */
    }
}

static void req_done(void *ud, CURL *easy, CURLcode res, const char *why)
{
    mx_engine *e = ud;
    mx_req *r = NULL;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
    if (r)
        req_complete(r, res, why);
    else
        mx_reactor_remove(&e->rx, easy);
}

int mx_engine_run(modellix_client *c, int64_t deadline_ms, int (*done)(void *ctx), void *ctx)
{
    mx_engine *e = &c->eng;
    int wait = 0;
    for (;;) {
        if (done(ctx))
            return MODELLIX_OK;
        if (atomic_exchange(&c->cancel_requested, 0))
            return MODELLIX_ECANCELED;
        int64_t now = mx_now_ms();
        if (now >= deadline_ms)
            return MODELLIX_ETIMEOUT;
        mx_engine_step(e, wait);
        if (done(ctx))
            return MODELLIX_OK;
        if (atomic_exchange(&c->cancel_requested, 0))
            return MODELLIX_ECANCELED;
        now = mx_now_ms();
        int64_t w = deadline_ms - now;
        int64_t t = mx_engine_timeout(e, now);
        if (t >= 0 && t < w)
            w = t;
        if (w < 0)
            w = 0;
        if (w > 1000)
            w = 1000;
        wait = (int)w;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Exchanges                                                                                        */

static void retry_fire(mx_timer *t);

void mx_req_init(mx_req *r, modellix_client *c, int32_t op, char *url, const char *log_path)
{
    memset(r, 0, sizeof *r);
    r->c = c;
    r->op = op;
    r->url = url;
    r->log_path = log_path;
    r->max_bytes = mx_response_cap(op);
    r->rl_remaining = r->rl_limit = -1;
    mx_timer_init(&r->retry_timer, retry_fire);
}

mx_req *mx_req_new(mx_engine *e)
{
    return e->nreq_free ? e->req_free[--e->nreq_free] : malloc(sizeof(mx_req));
}

void mx_req_delete(mx_engine *e, mx_req *r)
{
    if (!r)
        return;
    mx_req_cleanup(r);
    if (e->nreq_free < sizeof e->req_free / sizeof e->req_free[0])
        e->req_free[e->nreq_free++] = r;
    else
        free(r);
}

void mx_req_cleanup(mx_req *r)
{
    mx_req_abort(r, MODELLIX_ECANCELED);
    free(r->url);
    r->url = NULL;
    free(r->redirect_url);
    r->redirect_url = NULL;
    mx_buf_free(&r->resp);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    mx_req *r = ud;
    size_t len = size * n;
    if (r->sink)
        return r->sink(p, len, r->ctx);
    if (!r->resp.len)
        mx_json_count_reset(&r->jcount);
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
        /* an error envelope: its head is kept for the message, the rest dropped (the status decides) */
        size_t room = r->resp.len < MX_ERROR_RESPONSE_MAX ? MX_ERROR_RESPONSE_MAX - r->resp.len : 0;
        return room && mx_buf_append(&r->resp, p, len < room ? len : room) ? 0 : len;
    }
    /* an answer: bounded in bytes and in JSON values while it is read, so no parse ever sees more */
    if (r->resp.len + len > r->max_bytes) {
        r->too_large = 1;
        return 0;
    }
    if (!mx_json_count_feed(&r->jcount, p, len, MX_RESPONSE_VALUES(r->max_bytes))) {
        r->too_large = 2;
        return 0;
    }
    return mx_buf_append(&r->resp, p, len) ? 0 : len;
}

/* Copy a header's value (trimmed, printable ASCII only, bounded) if its name matches. */
static int header_value(const char *line, size_t n, const char *name, char *dst, size_t cap)
{
    size_t nl = strlen(name);
    if (n <= nl || line[nl] != ':')
        return 0;
    if (!mx_ascii_ncaseeq(line, name, nl))
        return 0;
    const char *v = line + nl + 1, *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t k = 0;
    for (; v < end && k + 1 < cap; v++)
        if ((unsigned char)*v >= 0x20 && (unsigned char)*v < 0x7F)
            dst[k++] = *v;
    dst[k] = '\0';
    return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    mx_req *r = ud;
    size_t len = size * n;
    char tmp[32];
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* a new response (after a 100 Continue, say): forget the previous one's headers */
        r->request_id[0] = r->retry_after[0] = r->rl_reset[0] = '\0';
        r->rl_remaining = r->rl_limit = -1;
    } else if (len < 12 || ((p[0] | 0x20) != 'x' && (p[0] | 0x20) != 'r')) {
        /* only x-request-id, x-ratelimit-* and retry-after are read */
    } else if (header_value(p, len, "x-request-id", r->request_id, sizeof r->request_id) ||
               header_value(p, len, "retry-after", r->retry_after, sizeof r->retry_after) ||
               header_value(p, len, "x-ratelimit-reset", r->rl_reset, sizeof r->rl_reset)) {
    } else if (header_value(p, len, "x-ratelimit-remaining", tmp, sizeof tmp)) {
        r->rl_remaining = mx_parse_header_int(tmp);
    } else if (header_value(p, len, "x-ratelimit-limit", tmp, sizeof tmp)) {
        r->rl_limit = mx_parse_header_int(tmp);
    }
    return len;
}

/* A POST's body is handed to curl through this callback rather than CURLOPT_POSTFIELDS, so that it
   can leave at most once per attempt. libcurl (lib/transfer.c Curl_retry_request, 7.x and 8.x) sends
   a request again, on a fresh connection, when a reused connection ended before any byte of an
   answer (or an HTTP/2 stream was refused); it rewinds the body first when some had been written
   (Curl_readrewind), and for CURLOPT_POSTFIELDS that rewind is free, so a paid submission could be
   made twice. Here the rewind goes to on_seek, which refuses once any byte left: curl then fails the
   attempt with CURLE_SEND_FAIL_REWIND, and the exchange reports the outcome as unknown (the server
   may have created the task). A request whose body never left may be sent again: that is how a
   connection found dead before the request is replaced without anyone noticing.
   Over HTTP/2, libcurl 7.88.1 restarts a refused stream (RST_STREAM(REFUSED_STREAM), or above a
   GOAWAY's last stream id: never processed, RFC 9113 8.7) the same way, and it ends unknown too,
   because nothing in the public API tells it from a stream the server did process (read in
   7.88.1-10+deb12u15): http2.c http2_handle_stream_close marks the refusal only in internal state
   (state.refused_stream) and calls no failf; Curl_retry_request takes its "reused connection" branch
   first, so even its "REFUSED_STREAM" info line is not written; and cf_h2_recv ends a stream the
   server reset after taking it, when a clean TLS close (close_notify, no GOAWAY) follows the
   RST_STREAM, as "end of stream" with no byte and no failf, which reaches the same retry, the same
   info lines and the same rewind (tests/h2 test_stream_reset_then_tls_close: allowing a rewind
   when no error was reported sends that POST twice). (An HTTP/1.1 connection closed after the POST also rewinds with no
   failf, and CURLINFO_HTTP_VERSION is set only from an answer.) Neither the error buffer, the
   verbose lines, the errno nor the HTTP version can separate them, so a refused stream is not sent
   again: an unknown outcome is the safe side (tests/h2 measures how often). */
static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    mx_req *r = ud;
    size_t left = r->body_len - r->body_off, cap = size * n;
    if (left == 0)
        /* the whole body is out and curl asks again: it restarted the request without rewinding
           (nothing it counted as written); refuse rather than send a body-less copy */
        return r->body_len ? CURL_READFUNC_ABORT : 0;
    size_t k = left < cap ? left : cap;
    memcpy(buf, r->body + r->body_off, k);
    r->body_off += k;
    return k;
}

static int on_seek(void *ud, curl_off_t offset, int origin)
{
    mx_req *r = ud;
    if (r->body_off == 0 && offset == 0 && origin == SEEK_SET)
        return CURL_SEEKFUNC_OK; /* nothing left yet: a restart sends it for the first time */
    r->rewind_refused = 1;
    return CURL_SEEKFUNC_FAIL;
}

/* Could this attempt have reached the server? Decided from the current attempt only (a pooled
   handle's CURLINFO_* still describe its previous transfer until curl starts the new one). A POST
   reached it once any byte of its body was handed to curl: without its whole body no request is
   acted on. Other requests: not if curl was never driven since the attempt was added, else what
   curl reports (attempt_sent). */
static int attempt_left(const mx_req *r, CURL *h, CURLcode cres)
{
    if (r->is_post)
        return r->body_off > 0;
    if (r->drives_at_add == r->c->eng.rx.drives)
        return 0;
    return attempt_sent(h, cres);
}

static const char *method_name(const mx_req *r)
{
    return r->is_post ? "POST" : "GET";
}

/* Options that are the same for every exchange of a client: set once per handle. */
static void set_constant_options(const modellix_client *c, CURL *h)
{
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, mx_open_socket); /* close-on-exec sockets */
    curl_easy_setopt(h, CURLOPT_SHARE, c->eng.share); /* TLS sessions (mx_engine_init) */
    /* over HTTP/2, wait for the connection being set up rather than open one per request: a batch
       then multiplexes its requests on one connection (CURLMOPT_PIPELINING is multiplex by default) */
    curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    mx_proxy_setopt(h, c->api_proxy); /* decided once, at creation (a download sets its own) */
    if (c->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
}

/* Start an attempt, or queue it at the gate (admitted = it comes from the head of the gate). */
static int start_attempt(mx_req *r, int admitted)
{
    modellix_client *c = r->c;
    int64_t now = mx_now_ms();
    int64_t left = r->deadline_ms - now;
    if (left <= 0)
        return MODELLIX_ETIMEOUT;
    if (!r->configure && !mx_gate_may_enter(&c->eng.gate, admitted)) {
        mx_gate_queue(&c->eng.gate, &r->gate_link);
        mx_log(c, MODELLIX_LOG_DEBUG, "%s %s: waiting for one of the %d connections", method_name(r), r->log_path,
               MX_HOST_CONNECTIONS);
        if (mx_timer_arm(&c->eng, &r->retry_timer, r->deadline_ms) != MODELLIX_OK) {
            mx_gate_unqueue(&c->eng.gate, &r->gate_link);
            return MODELLIX_ENOMEM;
        }
        return MODELLIX_OK;
    }
    if (r->op != MODELLIX_OP_DOWNLOAD) {
        int64_t wait = mx_pace_delay(c, now);
        if (wait >= left) {
            mx_fmt(r->msg, sizeof r->msg,
                   "%s %s: the server's rate limit is used up for the next %lld ms, past the deadline; not sent",
                   method_name(r), r->log_path, (long long)wait);
            return MODELLIX_ERATELIMIT;
        }
        if (wait > 0) {
            mx_log(c, MODELLIX_LOG_INFO, "pacing %s %s by %lld ms: the rate limit is nearly used up", method_name(r),
                   r->log_path, (long long)wait);
            r->paced = 1;
            return mx_timer_arm(&c->eng, &r->retry_timer, now + wait);
        }
        mx_pace_started(c, now);
    }
    r->paced = 0;
    /* API exchanges reuse pooled handles whose constant options are set once; a download gets a
       handle of its own, because its hooks (socket checks, sinks, progress) change options. */
    int pooled = !r->configure;
    CURL *h = pooled ? pool_get(&c->eng) : NULL;
    if (!h) {
        if (!(h = curl_easy_init()))
            return MODELLIX_ENOMEM;
        set_constant_options(c, h);
    }
    r->attempt++;
    r->easy = h;
    r->status = 0;
    r->too_large = 0;
    r->sink_rc = 0;
    r->body_off = 0;
    r->rewind_refused = 0;
    r->errbuf[0] = '\0';
    r->request_id[0] = r->retry_after[0] = r->rl_reset[0] = '\0';
    r->rl_remaining = r->rl_limit = -1;
    mx_buf_reset(&r->resp);

    int64_t tmo = c->timeout_ms < left ? c->timeout_ms : left;
    /* what changes from one exchange to the next; every option a pooled handle's previous use may
       have set is set again here */
    curl_easy_setopt(h, CURLOPT_URL, r->url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, (char *)r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(tmo > 0 ? tmo : 1));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(tmo < 10000 ? (tmo > 0 ? tmo : 1) : 10000));
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
    /* the Authorization header lives only in the client's lists; it is never copied anywhere else */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, r->send_auth ? (r->hdrs ? r->hdrs : c->auth_header) : NULL);
    /* modellix_options_set_api_http1: API requests over HTTP/1.1, where a server ends a connection
       only inside an answer ("Connection: close"), never with a submission in flight as an HTTP/2
       GOAWAY can. All of them: with libcurl 7.88.1, every HTTP/1.1 answer marks the host's connection
       bundle "no multiplexing" until the next HTTP/2 handshake, so submissions over HTTP/1.1 beside
       polls over HTTP/2 sent the polls to new connections, evicting and reopening ~0.5 TLS
       connections per task at 16 requests in flight (bench/README.md, "GOAWAY"). Set on every attempt
       (a download's handle is configured after this and keeps the default). */
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
                     (long)(c->api_http1 && r->op != MODELLIX_OP_DOWNLOAD ? CURL_HTTP_VERSION_1_1
                                                                          : CURL_HTTP_VERSION_2TLS));
    if (r->is_post) {
        /* the body leaves through on_read, at most once: a reused connection is then safe for a
           paid submission (see on_read) */
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, r);
        curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, r);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    if (r->configure) {
        int rc = r->configure(r, h, r->ctx);
        if (rc != MODELLIX_OK) {
            r->easy = NULL;
            curl_easy_cleanup(h);
            return rc;
        }
    }
    if (mx_reactor_add(&c->eng.rx, h) != CURLM_OK) {
        r->easy = NULL;
        if (pooled)
            pool_put(&c->eng, h);
        else
            curl_easy_cleanup(h);
        return MODELLIX_ENOMEM;
    }
    r->active = 1;
    r->drives_at_add = c->eng.rx.drives;
    c->eng.running++;
    if (pooled)
        mx_gate_enter(&c->eng.gate);
    return MODELLIX_OK;
}

static void release_easy(mx_req *r)
{
    if (!r->active)
        return;
    mx_reactor_remove(&r->c->eng.rx, r->easy);
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, NULL);
    if (r->configure)
        curl_easy_cleanup(r->easy); /* a download's handle carries its hooks: never reused */
    else
        pool_put(&r->c->eng, r->easy);
    r->easy = NULL;
    r->active = 0;
    r->c->eng.running--;
    if (!r->configure)
        gate_leave(&r->c->eng);
}

/* Did this attempt possibly reach the server? Conservative: yes unless it provably did not. */
static int attempt_sent(CURL *h, CURLcode cres)
{
    long reqsize = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &reqsize);
    if (reqsize > 0)
        return 1;
    switch (cres) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return 0;
    default:
        break;
    }
    curl_off_t pre = 0;
    curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre);
    return pre > 0;
}

/* The peer's certificate or our trust anchors were refused: a setting to fix, not a fault to retry. */
static int tls_refused(CURLcode cres)
{
    switch (cres) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return 1;
    default:
        return 0;
    }
}

static void finish(mx_req *r, int rc)
{
    if (r->finished)
        return;
    if (rc != MODELLIX_OK && r->op == MODELLIX_OP_SUBMIT && r->unknown_seen && rc != MODELLIX_EOUTCOME_UNKNOWN) {
        size_t l = strlen(r->msg);
        mx_fmt(r->msg + l, sizeof r->msg - l, " (an earlier attempt's outcome is unknown)");
        rc = MODELLIX_EOUTCOME_UNKNOWN;
    }
    r->finished = 1;
    r->rc = rc;
    mx_timer_disarm(&r->c->eng, &r->retry_timer);
    if (r->finish)
        r->finish(r, r->ctx);
}

static int64_t now_unix(void)
{
    return (int64_t)time(NULL);
}

static int64_t server_hint_ms(const mx_req *r)
{
    int64_t ra = mx_parse_retry_after(r->retry_after[0] ? r->retry_after : NULL, now_unix());
    if (ra < 0 && r->status == 429 && r->rl_reset[0])
        ra = mx_parse_ratelimit_reset(r->rl_reset, now_unix());
    return ra;
}

static void set_http_message(mx_req *r)
{
    /* the key is redacted before the message is cut to fit (sanitize.h) */
    char *raw = mx_parse_error_message(r->resp.data, r->resp.len);
    char *server = raw ? mx_sanitize(r->c->key, raw, strlen(raw), 300, MX_SAN_TEXT) : NULL;
    free(raw);
    if (server)
        mx_fmt(r->msg, sizeof r->msg, "%s %s: HTTP %ld: %s", method_name(r), r->log_path, r->status, server);
    else
        mx_fmt(r->msg, sizeof r->msg, "%s %s: HTTP %ld", method_name(r), r->log_path, r->status);
    free(server);
}

static void req_complete(mx_req *r, CURLcode cres, const char *why)
{
    modellix_client *c = r->c;
    if (why)
        mx_fmt(r->errbuf, sizeof r->errbuf, "%s", why);
    CURL *h = r->easy;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    int sent = status > 0 || attempt_left(r, h, cres);
    curl_off_t total_us = 0;
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
    int redirected = r->redirects_ok && cres == CURLE_OK && status >= 300 && status < 400;
    if (redirected) {
        char *loc = NULL;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &loc);
        free(r->redirect_url);
        r->redirect_url = loc ? mx_strdup(loc) : NULL;
    }
    if (cres == CURLE_FILESIZE_EXCEEDED)
        r->too_large = 1;
    release_easy(r);
    r->status = status;
    r->http_status = (int32_t)status;
    int64_t now = mx_now_ms();
    int is_submit = r->op == MODELLIX_OP_SUBMIT;
    int cls, rc;

    if (r->too_large) {
        cls = MX_CLASS_REJECTED;
        rc = is_submit ? MODELLIX_EOUTCOME_UNKNOWN : MODELLIX_ETOOLARGE;
        if (is_submit)
            r->unknown_seen = 1;
        if (r->too_large == 2)
            mx_fmt(r->msg, sizeof r->msg, "%s %s: the response holds more than %zu JSON values", method_name(r),
                   r->log_path, MX_RESPONSE_VALUES(r->max_bytes));
        else
            mx_fmt(r->msg, sizeof r->msg, "%s %s: the response is larger than %zu bytes", method_name(r),
                   r->log_path, r->max_bytes);
    } else if (r->sink_rc) {
        cls = MX_CLASS_REJECTED;
        rc = r->sink_rc;
        if (!r->msg[0])
            mx_fmt(r->msg, sizeof r->msg, "%s %s: %s", method_name(r), r->log_path, modellix_strerror(rc));
    } else if (cres != CURLE_OK && !sent && tls_refused(cres)) {
        cls = MX_CLASS_REJECTED;
        rc = MODELLIX_ETLS;
        mx_fmt(r->msg, sizeof r->msg, "%s %s: %s (the request was not sent)", method_name(r), r->log_path,
               r->errbuf[0] ? r->errbuf : curl_easy_strerror(cres));
    } else if (cres != CURLE_OK) {
        int timed_out = cres == CURLE_OPERATION_TIMEDOUT;
        int at_deadline = timed_out && now >= r->deadline_ms - 2;
        if (!sent) {
            cls = MX_CLASS_NOT_SENT;
            rc = at_deadline ? MODELLIX_ETIMEOUT : MODELLIX_ENETWORK;
        } else {
            cls = MX_CLASS_UNKNOWN;
            rc = is_submit ? MODELLIX_EOUTCOME_UNKNOWN : at_deadline ? MODELLIX_ETIMEOUT : MODELLIX_ENETWORK;
        }
        if (r->rewind_refused)
            mx_fmt(r->msg, sizeof r->msg,
                   "%s %s: the connection ended without an answer after the request was sent; it was not "
                   "sent again on another connection",
                   method_name(r), r->log_path);
        else
            mx_fmt(r->msg, sizeof r->msg, "%s %s: %s%s", method_name(r), r->log_path,
                   r->errbuf[0] ? r->errbuf : curl_easy_strerror(cres),
                   sent ? " (after the request was sent)" : " (the request was not sent)");
    } else if (redirected) {
        cls = r->redirect_url ? MX_CLASS_OK : MX_CLASS_REJECTED;
        rc = r->redirect_url ? MODELLIX_OK : MODELLIX_EPROTOCOL;
        if (!r->redirect_url)
            mx_fmt(r->msg, sizeof r->msg, "%s %s: HTTP %ld without a Location", method_name(r), r->log_path, status);
    } else if (status >= 200 && status < 300) {
        int retryable = 0;
        rc = r->accept ? r->accept(r, &retryable, r->ctx) : MODELLIX_OK;
        cls = rc == MODELLIX_OK ? MX_CLASS_OK : retryable ? MX_CLASS_UNKNOWN : MX_CLASS_REJECTED;
    } else {
        cls = mx_classify_status(status, is_submit);
        rc = mx_code_for_status(status, is_submit);
        set_http_message(r);
    }
    if (cls == MX_CLASS_UNKNOWN && is_submit)
        r->unknown_seen = 1;
    r->outcome_unknown = cls == MX_CLASS_UNKNOWN;
    if (r->op != MODELLIX_OP_DOWNLOAD)
        mx_pace_update(c, r->rl_remaining, r->rl_limit, r->rl_reset, r->retry_after, now);

    mx_log(c, MODELLIX_LOG_DEBUG, "%s %s -> %ld (attempt %d, %lld ms)", method_name(r), r->log_path, status,
           (int)r->attempt, (long long)(total_us / 1000));

    if (rc == MODELLIX_OK || cls == MX_CLASS_OK) {
        finish(r, rc);
        return;
    }
    modellix_attempt a = {
        .number = r->attempt,
        .op = r->op,
        .fault = cls == MX_CLASS_NOT_SENT    ? MODELLIX_FAULT_NOT_SENT
                 : cls == MX_CLASS_THROTTLED ? MODELLIX_FAULT_THROTTLED
                 : cls == MX_CLASS_REJECTED  ? MODELLIX_FAULT_REJECTED
                                             : MODELLIX_FAULT_UNKNOWN,
        .http_status = (int32_t)status,
        .was_sent = sent,
        .errcode = rc,
        .retry_after_ms = server_hint_ms(r),
        .elapsed_ms = now - r->start_ms,
        .remaining_ms = r->deadline_ms > now ? r->deadline_ms - now : 0,
        .default_delay_ms = -1,
    };
    int64_t delay = -1;
    if (cls == MX_CLASS_REJECTED || now >= r->deadline_ms) {
        /* refused for good, or no time left: stop */
    } else if (is_submit && cls == MX_CLASS_UNKNOWN && !c->policy->resubmit_unknown) {
        rc = a.errcode = MODELLIX_EOUTCOME_UNKNOWN; /* never re-sent without the policy's opt-in */
    } else {
        delay = mx_policy_decide(c->policy, &a, &c->rng);
        if (delay >= r->deadline_ms - now) {
            size_t l = strlen(r->msg);
            mx_fmt(r->msg + l, sizeof r->msg - l, " (no time left for a retry)");
            delay = -1;
        }
    }
    if (c->on_attempt)
        ((modellix_attempt_fn)c->on_attempt->fn)(&a, delay, c->on_attempt->user_data);
    if (delay < 0) {
        finish(r, rc);
        return;
    }
    if (is_submit && a.fault == MODELLIX_FAULT_UNKNOWN)
        mx_log(c, MODELLIX_LOG_WARN,
               "re-sending a paid submission whose outcome is unknown, as the retry policy allows: %s %s may be "
               "charged twice",
               method_name(r), r->log_path);
    mx_log(c, MODELLIX_LOG_INFO, "retrying %s %s in %lld ms (attempt %d: %s)", method_name(r), r->log_path,
           (long long)delay, (int)r->attempt,
           a.fault == MODELLIX_FAULT_NOT_SENT    ? "not sent"
           : a.fault == MODELLIX_FAULT_THROTTLED ? "throttled"
                                                 : "outcome unknown");
    if (mx_timer_arm(&c->eng, &r->retry_timer, now + delay) != MODELLIX_OK)
        finish(r, MODELLIX_ENOMEM);
}

/* A retry or pacing delay is over; or the deadline of an attempt waiting at the gate has come (it is
   taken out of the gate, and start_attempt reports the deadline). */
static void retry_fire(mx_timer *t)
{
    mx_req *r = (mx_req *)((char *)t - offsetof(mx_req, retry_timer));
    int admitted = mx_gate_unqueue(&r->c->eng.gate, &r->gate_link);
    attempt_or_finish(r, admitted);
}

/* Start the next attempt of r (or queue it at the gate); end the exchange if it cannot start. */
static void attempt_or_finish(mx_req *r, int admitted)
{
    int rc = start_attempt(r, admitted);
    if (rc != MODELLIX_OK) {
        if (rc == MODELLIX_ETIMEOUT)
            mx_fmt(r->msg, sizeof r->msg, "%s %s: the deadline passed before the next attempt", method_name(r),
                   r->log_path);
        finish(r, rc);
    }
}

int mx_req_start(mx_req *r, int64_t deadline_ms)
{
    r->start_ms = mx_now_ms();
    r->deadline_ms = deadline_ms;
    r->finished = 0;
    r->rc = MODELLIX_OK;
    r->outcome_unknown = 0;
    r->attempt = 0;
    r->unknown_seen = 0;
    r->msg[0] = '\0';
    r->http_status = 0;
    int rc = start_attempt(r, 0);
    if (rc != MODELLIX_OK) {
        if (!r->msg[0])
            mx_fmt(r->msg, sizeof r->msg, "%s %s: %s", method_name(r), r->log_path, modellix_strerror(rc));
        finish(r, rc);
    }
    return rc;
}

void mx_req_abort(mx_req *r, int rc)
{
    if (!r->c)
        return; /* never initialised */
    if (r->active) {
        CURL *h = r->easy;
        int sent = attempt_left(r, h, CURLE_OK);
        release_easy(r);
        if (r->op == MODELLIX_OP_SUBMIT && sent)
            r->unknown_seen = 1;
        if (!r->finished)
            mx_fmt(r->msg, sizeof r->msg, "%s %s: %s while the request was in flight", method_name(r), r->log_path,
                   modellix_strerror(rc));
    } else if (!r->finished) {
        mx_fmt(r->msg, sizeof r->msg, "%s %s: %s", method_name(r), r->log_path, modellix_strerror(rc));
    }
    mx_timer_disarm(&r->c->eng, &r->retry_timer);
    mx_gate_unqueue(&r->c->eng.gate, &r->gate_link);
    if (!r->finished) {
        r->finish = NULL; /* an aborted exchange does not call back: the caller is the one ending it */
        finish(r, rc);
    }
}
