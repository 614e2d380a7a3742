/*
 * mock_internal.h - types shared by the mock server's translation units (not part of mock.h's contract).
 *
 * Layout of the sources:
 *   mock_util.c       clocks, hashing, ids, percent coding, ISO-8601 time
 *   mock_catalogue.c  the built-in model catalogue
 *   mock_tasks.c      task store (hash table + running-task heap) and task/submit JSON
 *   mock_media.c      PNG and MP4 generation
 *   mock_files.c      the /files/ route: signed URLs, expiry, serving
 *   mock_faults.c     fault list and matching
 *   mock_reply.c      replies -> MHD responses, fault-shaped responses (huge, midway, ...)
 *   mock_stall.c      timer thread that resumes suspended (stalled) connections
 *   mock_stats.c      counters, last Authorization / path per route
 *   mock_ratelimit.c  fixed-window per-minute rate limiter
 *   mock_api.c        the /api/v1/ routes (auth, submit, task, models, validate, balance)
 *   mock_control.c    the /_mock/ control interface
 *   mock_server.c     daemons, per-request state, dispatch, the public mock.h functions
 *   mock_main.c       the standalone modellix-mock program
 */
#ifndef MODELLIX_TESTS_MOCK_INTERNAL_H
#define MODELLIX_TESTS_MOCK_INTERNAL_H

#include "mock.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MK_MAX_SUBMIT_BODY ((size_t)64 * 1024 * 1024) /* submit bodies above this get 413 */
#define MK_MAX_CONTROL_BODY ((size_t)1024 * 1024)     /* /_mock/ bodies above this get 413 */
#define MK_MAX_API_KEY 16384
#define MK_MAX_TASK_ID 512
#define MK_MAX_RESOURCES 100
#define MK_MAX_DURATION_MS ((int64_t)7 * 24 * 3600 * 1000)
#define MK_DEFAULT_HUGE_BYTES ((int64_t)17 * 1024 * 1024)
#define MK_UNLIMITED_RATE 1000000 /* X-RateLimit-Limit advertised when rate_limit == 0 */
#define MK_IMAGE_W 256
#define MK_IMAGE_H 256
#define MK_VIDEO_W 320
#define MK_VIDEO_H 240

/* ---- mock_util.c ---- */
int64_t mk_now_ms(void);  /* monotonic clock */
int64_t mk_wall_ms(void); /* CLOCK_REALTIME in ms */
void mk_iso8601(int64_t wall_ms, char out[32]);
uint64_t mk_hash64(const void *data, size_t n, uint64_t seed);
uint64_t mk_mix64(uint64_t x);
/* Percent-decode n bytes; NULL on a bad escape or an embedded NUL. Result is malloc'd and NUL-terminated. */
char *mk_pct_decode(const char *s, size_t n);
/* Percent-encode everything except unreserved characters (RFC 3986), malloc'd. */
char *mk_pct_encode(const char *s);
/* Case-insensitive ASCII prefix test. */
bool mk_has_prefix_ci(const char *s, const char *prefix);
/* Value of `name` in a raw query string ("a=1&b=2"), percent-decoded and malloc'd, or NULL. */
char *mk_query_param(const char *query, const char *name);
char *mk_strdup(const char *s); /* NULL-safe */

/* ---- mock_catalogue.c ---- */
typedef struct mk_model {
    const char *slug;        /* provider/model */
    const char *type;        /* text-to-image, ... */
    int64_t duration_ms;     /* default task duration */
    bool video;              /* produces mp4 instead of png */
    const char *description;
} mk_model;
const mk_model *mk_catalogue_find(const char *slug);
bool mk_catalogue_type_valid(const char *type);
json_t *mk_catalogue_json(void); /* {"models":[...]} */

/* ---- mock_tasks.c ---- */
typedef struct mk_task {
    struct mk_task *next;   /* hash chain */
    char *id;
    char *slug;             /* provider/model */
    const char *model_id;   /* points into slug, after the '/' (or the whole slug) */
    bool video;
    bool failed;            /* terminal outcome */
    char *word;             /* terminal status word on the wire, NULL = "success"/"failed" */
    int64_t created_ms;     /* monotonic */
    int64_t created_wall_ms;
    int64_t duration_ms;
    int32_t n_resources;
    uint64_t seed;          /* from the prompt: drives the generated pictures */
    char request_id[32];
    char *error_message;    /* data.error.message of a failed task; NULL = the standard one */
    bool paid;              /* created by a submission (not by mock_server_put_task) */
} mk_task;

enum mk_phase { MK_PENDING, MK_PROCESSING, MK_TERMINAL };

typedef struct mk_store {
    pthread_rwlock_t lock;
    mk_task **buckets;
    size_t n_buckets, n_tasks;
    int64_t *running;       /* min-heap of end times (monotonic ms) of counted, maybe unfinished tasks */
    size_t n_running, cap_running;
} mk_store;

/* A task created now with one resource; NULL when out of memory. */
mk_task *mk_task_create(const char *id, const char *slug, bool video, int64_t duration_ms);
int mk_store_init(mk_store *s);
void mk_store_destroy(mk_store *s);
void mk_task_free(mk_task *t);
/* Admission of a new task under the team concurrency limit (0 = unlimited).
   Returns 0 (inserted if commit, ownership taken), 1 (over the limit; *retry_after_s set), 2 (duplicate id),
   -1 (out of memory). Only 0 with commit takes ownership of t. */
int mk_store_admit(mk_store *s, mk_task *t, int32_t max_running, bool commit, bool counted, int64_t now,
                   int64_t *retry_after_s);
/* Calls fn with the id of every task created by a submission (paid), under the read lock; fn must not
   call into the store. Returns how many. */
size_t mk_store_each_paid(mk_store *s, void (*fn)(const char *id, void *ud), void *ud);
/* Tasks are never removed while the server runs, so the pointer stays valid until mk_store_destroy. */
const mk_task *mk_store_find(mk_store *s, const char *id);
int64_t mk_task_end_ms(const mk_task *t);
enum mk_phase mk_task_phase(const mk_task *t, int64_t now);
const char *mk_task_status_word(const mk_task *t, int64_t now);

/* ---- mock_media.c ---- */
/* A w x h RGB PNG (stored deflate blocks, hand-made CRC32/Adler32), pattern derived from seed. */
unsigned char *mk_png_make(uint32_t w, uint32_t h, uint64_t seed, size_t *len);
/* A small MP4 (ftyp, moov with one empty video track of w x h, mdat). */
unsigned char *mk_mp4_make(uint32_t w, uint32_t h, uint64_t seed, size_t *len);
uint32_t mk_crc32(const unsigned char *p, size_t n, uint32_t crc);

/* ---- mock_faults.c ---- */
typedef struct mk_fault_slot {
    mock_fault f;           /* strings owned */
    int32_t skipped, used;
} mk_fault_slot;

typedef struct mk_faults {
    pthread_mutex_t lock;
    mk_fault_slot *v;
    size_t n, cap;
    atomic_size_t live_hint; /* number of faults added since the last clear (fast path when 0) */
} mk_faults;

int mk_faults_init(mk_faults *fs);
void mk_faults_destroy(mk_faults *fs);
int mk_faults_add(mk_faults *fs, const mock_fault *f);
void mk_faults_clear(mk_faults *fs);
/* First live fault matching route/method; consumes skip/count. On a strike *out is a deep copy
   (free with mk_fault_copy_free) and true is returned. */
bool mk_faults_match(mk_faults *fs, int32_t route, const char *method, mock_fault *out);
void mk_fault_copy_free(mock_fault *f);
int32_t mk_fault_route_from_name(const char *name);  /* -1 if unknown */
int32_t mk_fault_kind_from_name(const char *name);   /* -1 if unknown */
const char *mk_route_name(int32_t route);

/* ---- mock_stats.c ---- */
#define MK_STATUS_SLOTS 600
typedef struct mk_stats {
    _Atomic int64_t requests[MOCK_ROUTE_COUNT_];
    _Atomic int64_t bytes[MOCK_ROUTE_COUNT_];
    _Atomic int64_t faults[MOCK_ROUTE_COUNT_];
    _Atomic int64_t status[MOCK_ROUTE_COUNT_][MK_STATUS_SLOTS];
    _Atomic int64_t connections, open, max_open, tasks_created;
    pthread_mutex_t lock;   /* guards the strings below */
    char *last_auth[MOCK_ROUTE_COUNT_];
    char *last_path[MOCK_ROUTE_COUNT_];
    char *last_ua[MOCK_ROUTE_COUNT_];
} mk_stats;

int mk_stats_init(mk_stats *st);
void mk_stats_destroy(mk_stats *st);
void mk_stats_reset(mk_stats *st);
void mk_stats_request(mk_stats *st, int32_t route, const char *authorization, const char *path,
                      const char *user_agent);
void mk_stats_status(mk_stats *st, int32_t route, unsigned status); /* status 0 = connection reset */
void mk_stats_bytes(mk_stats *st, int32_t route, int64_t n);
void mk_stats_fault(mk_stats *st, int32_t route);
void mk_stats_conn_open(mk_stats *st);
void mk_stats_conn_close(mk_stats *st);
int64_t mk_stats_counter(mk_stats *st, int32_t counter, int32_t route);
int64_t mk_stats_status_count(mk_stats *st, int32_t route, int32_t status);
enum mk_last { MK_LAST_AUTH, MK_LAST_PATH, MK_LAST_UA };
int mk_stats_last(mk_stats *st, enum mk_last which, int32_t route, char *buf, size_t buflen);
json_t *mk_stats_json(mk_stats *st);

/* ---- mock_ratelimit.c ---- */
typedef struct mk_rate_info {
    int64_t limit, remaining, reset_unix, retry_after_s;
    bool exceeded;
} mk_rate_info;
typedef struct mk_rate {
    pthread_mutex_t lock;
    int64_t window_end_s, count;
} mk_rate;
int mk_rate_init(mk_rate *r);
void mk_rate_destroy(mk_rate *r);
/* Count one API request against a per-minute limit (0 = unlimited) and describe the window. */
void mk_rate_hit(mk_rate *r, int32_t limit, int64_t now_unix_s, mk_rate_info *out);

/* ---- mock_stall.c ---- */
typedef struct mk_stall_entry {
    struct mk_stall_entry *next;
    struct MHD_Connection *conn;
    int64_t deadline;
} mk_stall_entry;
typedef struct mk_stall {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    mk_stall_entry *head;   /* sorted by deadline */
    bool stop, started;
} mk_stall;
int mk_stall_start(mk_stall *s);
/* The connection must already be suspended. It is resumed at `deadline` (monotonic ms), or at once if
   the timer has been stopped. */
void mk_stall_add(mk_stall *s, struct MHD_Connection *conn, int64_t deadline);
/* Resume everything still waiting and join the thread; later adds resume at once. */
void mk_stall_stop(mk_stall *s);
/* Free the lock and condition variable, once no server thread can call mk_stall_add any more. */
void mk_stall_destroy(mk_stall *s);

/* ---- the server (mock_server.c) ---- */
typedef struct mk_listener {
    struct mock_server *srv;
    bool other;
} mk_listener;

struct mock_server {
    struct MHD_Daemon *daemon, *other_daemon;
    mk_listener main_l, other_l;
    char url[80], other_url[80];
    char *tls_cert, *tls_key; /* PEM text while serving HTTPS, else NULL */
    uint16_t port, other_port;
    char **api_keys;
    size_t n_api_keys;
    _Atomic int64_t duration_ms;
    _Atomic int64_t result_ttl_ms;
    _Atomic int32_t max_running;
    _Atomic int32_t rate_limit;
    uint64_t secret;        /* signs file URLs */
    uint32_t nonce;         /* distinguishes ids of servers started at different times */
    _Atomic uint64_t seq;   /* ids */
    atomic_bool stopping;
    mk_store store;
    mk_faults faults;
    mk_stats stats;
    mk_rate rate;
    mk_stall stall;
};

/* Fresh unique id with a prefix ("task-", "req-"), written into out. */
void mk_new_id(mock_server *m, const char *prefix, char *out, size_t outlen);
int64_t mk_task_duration_for(mock_server *m, const mk_model *model);

/* ---- mock_reply.c ---- */
typedef struct mk_reply {
    unsigned status;
    json_t *json;               /* owned; body when non-NULL */
    unsigned char *raw;         /* owned; body when json == NULL */
    size_t raw_len;
    const char *content_type;   /* static string */
    char *headers;              /* owned extra "Name: value\n" lines */
    int64_t retry_after_s;      /* > 0: Retry-After */
} mk_reply;

/* Per-request state, created by the URI log callback and freed when the request completes. */
typedef struct mk_req {
    mock_server *srv;
    bool other;                 /* arrived on the second listener */
    bool started, control, api, too_large;
    int32_t route;
    char *uri;                  /* raw request target, path + query */
    char *path;                 /* raw path (no query), still percent-encoded */
    const char *query;          /* raw query inside uri, or "" */
    const char *method;
    char *body;
    size_t body_len, body_cap, body_limit;
    struct MHD_Response *pending; /* a stalled response waiting for its timer */
    unsigned pending_status;
    int64_t pending_bytes;
    mk_rate_info rl;            /* filled for API requests */
    bool have_rl;
    char request_id[40];
    bool close_after;           /* MOCK_FAULT_CLOSE_AFTER: close the connection once answered */
} mk_req;

void mk_reply_init(mk_reply *r);
void mk_reply_clear(mk_reply *r);
/* A JSON error envelope {"code":status,"message":message}. */
void mk_reply_error(mk_reply *r, unsigned status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void mk_reply_json(mk_reply *r, unsigned status, json_t *json); /* takes json */
/* "<Category>: injected fault" style category for a status. */
const char *mk_status_category(unsigned status);
/* Serialise the body (JSON is dumped compactly); malloc'd, *len set. */
unsigned char *mk_reply_body(const mk_reply *r, size_t *len);
/* Build the MHD response with the standard headers (X-Request-Id, X-RateLimit-* for API requests,
   Content-Type, Retry-After, extra headers). Body bytes are taken over. NULL on failure. */
struct MHD_Response *mk_response_buffer(mk_req *q, const mk_reply *r, unsigned char *body, size_t len);
/* Streamed responses for the HUGE and RESET_MIDWAY faults. */
struct MHD_Response *mk_response_huge(mk_req *q, int64_t n_bytes);
struct MHD_Response *mk_response_midway(mk_req *q, const mk_reply *r, unsigned char *body, size_t len);
/* Add a header block "Name: value\n..." to a response. Returns 0, or -1 on a malformed block. */
int mk_apply_header_block(struct MHD_Response *resp, const char *block);
bool mk_header_block_has(const char *block, const char *name);

/* ---- mock_api.c ---- */
/* Route of an API/file request from method and raw path (MOCK_ROUTE_OTHER when nothing matches). */
int32_t mk_classify(const char *method, const char *path);
/* Answer an API request normally. commit = false: a valid submit is answered as usual but no task is
   stored or counted (the fault that replaces the answer loses it). */
void mk_api_process(mk_req *q, struct MHD_Connection *conn, bool commit, mk_reply *out);

/* ---- mock_files.c ---- */
/* "/files/<encoded id>/<n>.<ext>?expires=..&signature=..", full URL with the server origin, malloc'd. */
char *mk_file_url(mock_server *m, const mk_task *t, int32_t n);
void mk_files_process(mk_req *q, mk_reply *out);

/* ---- mock_control.c ---- */
void mk_control_process(mk_req *q, mk_reply *out);
json_t *mk_counters_json(mock_server *m);

#endif
