/* exchange.h - exchanges: one logical HTTP request with its retries under one deadline, on top of the
 * reactor (reactor.h). This layer knows the client: it classifies each attempt's end, keeps the money
 * rule (a paid submission whose outcome is unknown is never sent again without the policy's opt-in),
 * paces requests to the server's rate limit, asks the retry policy, gates API attempts to the
 * connections curl may use, and pools easy handles and exchange records.
 *
 * Every network exchange of the library goes through here. Blocking calls start exchanges and then
 * drive the engine (mx_engine_run) until their condition holds, their deadline passes or the client
 * is cancelled; before returning they abort what they started, so nothing runs between calls. */
#ifndef MODELLIX_EXCHANGE_H
#define MODELLIX_EXCHANGE_H

#include "gate.h"
#include "json_limits.h"
#include "list.h"
#include "reactor.h"
#include "util.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

struct modellix_client;

/* One client's engine: its reactor, and what the exchange layer keeps across exchanges. */
typedef struct mx_engine {
    mx_reactor rx;
    CURL **pool; /* idle easy handles, reused so their connections and buffers are */
    size_t npool, cappool;
    size_t running; /* easy handles in the multi */
    mx_gate gate;   /* API attempts: at most MX_HOST_CONNECTIONS hold a handle; the rest wait */
    mx_timer gate_timer; /* armed "now" when a slot frees while attempts wait */
    struct mx_req *req_free[64]; /* exchange records kept for reuse (each is ~1.3 KB) */
    size_t nreq_free;
    CURLSH *share; /* TLS sessions of every easy handle (exchange.c: mx_engine_init); NULL without */
} mx_engine;

/* Timers of the engine's reactor (reactor.h); MODELLIX_OK or MODELLIX_ENOMEM. */
int mx_timer_arm(mx_engine *e, mx_timer *t, int64_t due);
void mx_timer_disarm(mx_engine *e, mx_timer *t);

/* Returns MODELLIX_OK, or an error code (the engine is then safe to clean up). */
int mx_engine_init(mx_engine *e);
void mx_engine_cleanup(mx_engine *e);

/* Wake a blocked step (any thread). */
void mx_engine_wake(mx_engine *e);
/* Milliseconds until the engine has timed work (0 = now, -1 = none). */
int64_t mx_engine_timeout(const mx_engine *e, int64_t now);
/* Wait at most wait_ms for socket activity, then do all ready work: I/O, completions, timers. */
void mx_engine_step(mx_engine *e, int wait_ms);
/* The descriptor an application polls (modellix_client_backend_fd). */
int mx_engine_fd(mx_engine *e);

/* Drive the client's engine until done(ctx) returns non-zero (MODELLIX_OK), the deadline passes
 * (MODELLIX_ETIMEOUT) or the client is cancelled (MODELLIX_ECANCELED). */
int mx_engine_run(struct modellix_client *c, int64_t deadline_ms, int (*done)(void *ctx), void *ctx);

/* ---------------------------------------------------------------------------------------------- */

typedef struct mx_req mx_req;

/* Called on a 2xx answer to turn the body into a result. Returns MODELLIX_OK or an error code; sets
 * *retryable to 1 when the failure may be transient (for example, a body that is not JSON). */
typedef int (*mx_accept_fn)(mx_req *r, int *retryable, void *ctx);
/* Called once when the exchange ends (success, final failure or abort). */
typedef void (*mx_finish_fn)(mx_req *r, void *ctx);
/* Called to adjust each attempt's easy handle (downloads: sinks, socket checks). Returns 0 or an error code. */
typedef int (*mx_configure_fn)(mx_req *r, CURL *easy, void *ctx);

struct mx_req {
    struct modellix_client *c;
    int32_t op;     /* MODELLIX_OP_* */
    int is_post;
    char *url;      /* owned, absolute */
    const char *log_path; /* borrowed: what the log shows for this request (never a query string) */
    const char *body; /* borrowed */
    size_t body_len;
    int send_auth;
    size_t max_bytes; /* response cap (protocol.h: by kind of answer), with one JSON value per 16 bytes */
    int64_t start_ms, deadline_ms;
    int32_t attempt;
    int paced; /* the current attempt is waiting for the rate-limit window */
    int unknown_seen; /* an attempt whose outcome is unknown happened */
    int sink_rc;      /* set by a sink that refused data */
    /* a POST's body goes out through a read callback (exchange.c on_read), never twice per attempt */
    size_t body_off;      /* bytes of the body handed to curl in this attempt */
    int rewind_refused;   /* curl asked to rewind a body that had left: it wanted to send it again */
    uint64_t drives_at_add; /* the reactor's drive count when this attempt was handed to curl */

    /* the current attempt */
    CURL *easy;
    struct curl_slist *hdrs;
    mx_buf resp;
    mx_json_count jcount; /* values in resp so far (a 2xx answer) */
    int too_large;        /* 1: more bytes than max_bytes; 2: more JSON values than it allows */
    long status;
    char request_id[129];
    char retry_after[65];
    char rl_reset[33];
    int64_t rl_remaining;
    int64_t rl_limit;
    char errbuf[CURL_ERROR_SIZE];

    mx_timer retry_timer;
    mx_link gate_link;   /* on the engine's gate while waiting for a connection */
    int active, finished;
    int rc;
    int32_t http_status; /* of the final attempt */
    int outcome_unknown; /* the final attempt failed in the "unknown" class (no valid answer) */
    char msg[400];       /* message of the final failure */

    mx_accept_fn accept;
    mx_finish_fn finish;
    mx_configure_fn configure;
    void *ctx;
    int redirects_ok;   /* a 3xx ends the exchange successfully, with its target in redirect_url */
    char *redirect_url; /* malloc'd */
    /* a download's sink: receives body bytes instead of `resp` when set */
    size_t (*sink)(const char *p, size_t n, void *ctx);
};

/* A heap-allocated exchange record, from the engine's free list when it has one; and its release
   (cleanup, then back to the list or freed). Background polls and queued submissions use these. */
mx_req *mx_req_new(mx_engine *e);
void mx_req_delete(mx_engine *e, mx_req *r);

/* Prepare an exchange (url is taken over: freed by mx_req_cleanup). */
void mx_req_init(mx_req *r, struct modellix_client *c, int32_t op, char *url, const char *log_path);
/* Start the first attempt now. Returns 0, or an error code with r finished. */
int mx_req_start(mx_req *r, int64_t deadline_ms);
/* Stop the exchange if it is still running: rc becomes `rc` unless it already finished. */
void mx_req_abort(mx_req *r, int rc);
void mx_req_cleanup(mx_req *r);

#endif /* MODELLIX_EXCHANGE_H */
