/*
 * mock.h - in-process Modellix mock server (libmicrohttpd) for tests, examples and benchmarks.
 *
 * The mock speaks the Modellix wire protocol described in shared/reference/modellix-api.md:
 *
 *   POST /api/v1/{provider}/{model}                 submit (newest form)
 *   POST /api/v1/{provider}/{model}/async           submit (intermediate form)
 *   POST /api/v1/{type}/{provider}/{model}/async    submit (oldest, typed form)
 *   GET  /api/v1/tasks/{task_id}                    query ({task_id} percent-decoded, %2F included)
 *   GET  /api/v1/models                             catalogue, top-level {"models":[...]}
 *   GET  /api/v1/apikey/validate                    {"data":{"is_valid":true}}
 *   GET  /api/v1/team/balance                       {"data":{"balance":12.3456}}
 *   GET  /files/{task_id}/{n}.{png|mp4}?expires=..&signature=..   result files served by the mock
 *   /_mock/...                                      control interface (see README.md)
 *
 * Every API response carries X-RateLimit-Limit/Remaining/Reset and X-Request-Id (files and /_mock/ answers carry
 * X-Request-Id only; with rate_limit 0 the advertised Limit is 1000000). Success envelopes are
 * {"code":0,"message":"success","data":{...}}; errors are {"code":<http status>,"message":"Category: detail"}.
 *
 * Request body fields the mock reads on submit (besides "prompt"):
 *   "mock_duration_ms": N   this task takes N ms from submit to terminal (overrides every default)
 *   "mock_outcome": "failed" the task ends failed instead of success
 *   "mock_status_word": "succeeded"   the terminal word used on the wire (to test synonyms)
 *   "mock_resources": N     number of result files (default 1)
 *   "mock_error_message": "..."  data.error.message of the task when it fails (default: a fixed text)
 *
 * Threads: the server runs its own threads; every function here is safe to call from the test thread
 * while clients talk to the server.
 */
#ifndef MODELLIX_TESTS_MOCK_H
#define MODELLIX_TESTS_MOCK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mock_server mock_server;

/* Configuration. Zero-initialise, then call mock_config_init() for the defaults. */
typedef struct mock_config {
    uint16_t port;               /* 0 = any free port (default) */
    const char *bind_address;    /* default "127.0.0.1"; only loopback addresses are accepted */
    const char *const *api_keys; /* accepted keys; NULL/0 = any well-formed Bearer key */
    size_t n_api_keys;
    int64_t duration_ms;         /* task duration for every model; -1 = per-model default (default) */
    int32_t max_running;         /* team concurrency limit; default 3; 0 = unlimited */
    int32_t rate_limit;          /* requests per minute; default 0 = unlimited */
    int64_t result_ttl_ms;       /* result files expire this long after the task ends; default 24 h */
    int32_t threads;             /* server threads; default 2 */
    const char *tls_cert_file;   /* with tls_key_file: serve HTTPS with this PEM certificate (chain), and
                                    every URL the mock gives out is https://; NULL = plain HTTP (default) */
    const char *tls_key_file;    /* the certificate's PEM private key (read at start) */
} mock_config;

void mock_config_init(mock_config *cfg);

/* Start a server; *out receives it. Returns 0 or -1 (errno-like failure: port busy, bad config). */
int mock_server_start(mock_server **out, const mock_config *cfg);
/* Stop and free. Accepts NULL. */
void mock_server_stop(mock_server *m);

/* "http://127.0.0.1:PORT" (no trailing slash). Borrowed, lives as long as the server. */
const char *mock_server_url(const mock_server *m);
uint16_t mock_server_port(const mock_server *m);

/* Routes, for faults and counters. */
enum mock_route {
    MOCK_ROUTE_ANY = 0,
    MOCK_ROUTE_SUBMIT,
    MOCK_ROUTE_TASK,
    MOCK_ROUTE_MODELS,
    MOCK_ROUTE_VALIDATE,
    MOCK_ROUTE_BALANCE,
    MOCK_ROUTE_FILE,
    MOCK_ROUTE_OTHER,
    MOCK_ROUTE_COUNT_
};

/* Fault kinds. */
enum mock_fault_kind {
    MOCK_FAULT_STATUS = 1,     /* answer `status` with `headers` and `body` (body NULL = standard error envelope) */
    MOCK_FAULT_RESET_BEFORE,   /* close the connection without any response */
    MOCK_FAULT_RESET_MIDWAY,   /* send the status line, headers and part of the body, then close */
    MOCK_FAULT_STALL,          /* wait stall_ms, then answer normally (other connections are not blocked);
                                  `headers` are added to the normal answer (an X-Request-Id replaces the mock's) */
    MOCK_FAULT_GARBAGE,        /* 200 with a body that is not JSON */
    MOCK_FAULT_TRUNCATED,      /* 200 with a JSON body cut in half (Content-Length matches the cut body) */
    MOCK_FAULT_HUGE,           /* 200 with a body of huge_bytes bytes (default 17 MiB), streamed */
    MOCK_FAULT_WRONG_TASK_ID,  /* normal answer but data.task_id is another id */
    MOCK_FAULT_REDIRECT,       /* 302 to `location` (may use the tokens {self} = this server's origin,
                                  {other} = a second listener's origin on another port, {path} = the
                                  original path and query). location NULL = "{other}{path}"; a `status`
                                  of 300-399 replaces 302 */
    MOCK_FAULT_EMPTY,          /* 200 with an empty body */
    MOCK_FAULT_NO_TASK_ID,     /* normal 200 envelope whose data has no task_id */
    MOCK_FAULT_CLOSE_AFTER,    /* the normal answer (keep-alive, no "Connection: close"), then the server
                                  closes the connection, as an idle keep-alive time-out would */
    MOCK_FAULT_KIND_COUNT_
};

typedef struct mock_fault {
    int32_t route;          /* enum mock_route; MOCK_ROUTE_ANY matches every route */
    const char *method;     /* "GET", "POST" or NULL for any */
    int32_t kind;           /* enum mock_fault_kind */
    int32_t status;         /* for MOCK_FAULT_STATUS (and the status of RESET_MIDWAY, default 200) */
    const char *headers;    /* extra response headers, "Name: value\n" lines, or NULL */
    const char *body;       /* body for MOCK_FAULT_STATUS, or NULL */
    int64_t stall_ms;       /* for MOCK_FAULT_STALL */
    int64_t huge_bytes;     /* for MOCK_FAULT_HUGE */
    const char *location;   /* for MOCK_FAULT_REDIRECT */
    int32_t count;          /* how many matching requests it applies to; <= 0 = forever */
    int32_t skip;           /* let this many matching requests through first */
    int32_t after_create;   /* submit only: 1 = the task is created (charged) before the fault strikes,
                               i.e. the response is lost; 0 = nothing is created (TRUNCATED, RESET_MIDWAY,
                               WRONG_TASK_ID and NO_TASK_ID then answer with a well-formed but unstored
                               task). STALL answers normally, so it always creates the task. */
} mock_fault;

/* Add a fault (copied). Faults are matched in the order added; the first live match applies (a fault
   still skipping lets the request through untouched). Returns 0 or -1 (bad route/kind, STATUS without a
   100-599 status). */
int mock_server_add_fault(mock_server *m, const mock_fault *f);
void mock_server_clear_faults(mock_server *m);

/* Counters (all monotonic since start or the last reset). */
enum mock_counter {
    MOCK_CTR_REQUESTS = 0,      /* requests on a route (route argument; ANY = all) */
    MOCK_CTR_CONNECTIONS,       /* connections accepted, on both listeners, /_mock/ ones included (route ignored) */
    MOCK_CTR_MAX_CONCURRENT,    /* most connections open at once (route ignored) */
    MOCK_CTR_TASKS_CREATED,     /* tasks created = paid submissions (route ignored) */
    MOCK_CTR_BYTES_SERVED,      /* response body bytes sent (route argument) */
    MOCK_CTR_FAULTS_APPLIED,    /* faults that struck (route argument) */
    MOCK_CTR_COUNT_
};
int64_t mock_server_counter(mock_server *m, int32_t counter, int32_t route);
/* Requests on `route` answered with HTTP `status` (status 0 = closed without an answer). /_mock/ requests
   are never counted. */
int64_t mock_server_count_status(mock_server *m, int32_t route, int32_t status);
void mock_server_reset_counters(mock_server *m);

/* The Authorization header value of the most recent request on `route` copied into buf (NUL-terminated,
   "" if none). Returns 0, or -1 if buf is too small. Lets tests prove a file host never sees the key. */
int mock_server_last_authorization(mock_server *m, int32_t route, char *buf, size_t buflen);
/* The most recent request path (with query) on `route`, copied like the above. */
int mock_server_last_path(mock_server *m, int32_t route, char *buf, size_t buflen);
/* The User-Agent header of the most recent request on `route` ("" if none), copied like the above. */
int mock_server_last_user_agent(mock_server *m, int32_t route, char *buf, size_t buflen);

/* Calls fn (if not NULL) with the id of every task created by a paid submission since the server
   started (tasks of mock_server_put_task() are not listed; counter resets do not forget tasks), in no
   particular order. fn must not call into the server. Returns how many there are. */
size_t mock_server_task_ids(mock_server *m, void (*fn)(const char *id, void *ud), void *ud);

/* Change the settings of a running server (tests use these between cases). */
void mock_server_set_duration_ms(mock_server *m, int64_t duration_ms);
void mock_server_set_max_running(mock_server *m, int32_t max_running);
void mock_server_set_rate_limit(mock_server *m, int32_t per_minute);
void mock_server_set_result_ttl_ms(mock_server *m, int64_t ttl_ms);

/* Create a task directly (as if submitted long ago), for attach tests; status one of "pending",
   "processing", "success", "failed". The id is copied. Returns 0 or -1. Counts as no paid submission.
   A "pending" or "processing" task then moves on like a submitted one (duration: the server's
   duration_ms, else the model's default), and does not count against max_running. Unknown slugs are
   allowed (image results). -1 also for a duplicate id. */
int mock_server_put_task(mock_server *m, const char *task_id, const char *model_slug, const char *status,
                         int32_t n_resources);

#ifdef __cplusplus
}
#endif

#endif
