/* internal.h - the library's objects (options, client, task, retry policy, attempt record) and the
 * helpers the modules share. Never installed. */
#ifndef MODELLIX_INTERNAL_H
#define MODELLIX_INTERNAL_H

#include "exchange.h"
#include "protocol.h"
#include "proxy.h"
#include "schedule.h"
#include "util.h"

#include <modellix/modellix.h>
#include <stdatomic.h>

#define MX_DEFAULT_ORIGIN "https://api.modellix.ai"
#define MX_ERRMSG_MAX 512

/* A callback registration (function, user_data, destroy function) shared by an options object and
   the clients made from it; user_data is released once, with the last reference. `fn` is stored as
   the generic function type and cast back to its real type at the call site. */
typedef void (*mx_anyfn)(void);
typedef struct mx_cb {
    atomic_int refs;
    mx_anyfn fn;
    void *user_data;
    void (*user_data_free)(void *);
    int32_t kind; /* what fn is, where one slot holds two shapes (MX_CB_*) */
} mx_cb;

enum { MX_CB_PLAIN = 0, MX_CB_POLL_TASK = 1 }; /* poll_schedule: modellix_poll_fn or modellix_poll_task_fn */

mx_cb *mx_cb_new(mx_anyfn fn, void *ud, void (*ud_free)(void *));
mx_cb *mx_cb_ref(mx_cb *r);
void mx_cb_unref(mx_cb *r);
/* Replace *slot with a new registration of fn (NULL fn clears it). MODELLIX_OK or MODELLIX_ENOMEM. */
int mx_cb_set(mx_cb **slot, mx_anyfn fn, void *ud, void (*ud_free)(void *));

enum mx_policy_kind { MX_POLICY_DEFAULT = 0, MX_POLICY_SEED, MX_POLICY_NONE, MX_POLICY_CUSTOM };

struct modellix_retry_policy {
    atomic_int refs;
    int kind;
    int32_t max_attempts;
    int32_t resubmit_unknown;
    modellix_retry_fn fn;
    void *user_data;
    void (*user_data_free)(void *);
};

modellix_retry_policy *mx_policy_ref(modellix_retry_policy *p);
void mx_policy_unref(modellix_retry_policy *p);

struct modellix_attempt {
    int32_t number, op, fault, http_status, was_sent, errcode;
    int64_t retry_after_ms, elapsed_ms, remaining_ms;
    int64_t default_delay_ms;
};

/* The decision for a failed attempt: a delay in ms, or -1 to stop. */
int64_t mx_policy_decide(const modellix_retry_policy *p, modellix_attempt *a, mx_rng *rng);

struct modellix_options {
    char *api_key;
    char *base_url;
    int64_t timeout_ms;
    int64_t call_timeout_ms;
    int32_t max_in_flight;
    modellix_retry_policy *policy; /* NULL = default */
    mx_cb *log;
    mx_cb *poll_schedule;
    mx_cb *on_attempt;
    int32_t log_level;
    char *user_agent;
    int32_t submit_path;
    char *ca_file;
    mx_proxy_cfg proxy; /* proxy settings (MODELLIX_1.1) */
    uint64_t random_seed; /* 0 = from the clock */
    int continue_on_unknown;
    int api_http1; /* API requests over HTTP/1.1 (MODELLIX_1.1) */
    mx_cb *on_task_done;
    mx_cb *on_progress;
    int64_t dl_max_file, dl_max_task, dl_timeout_ms;
    /* the task journal (journal.c) */
    char *journal_path; /* NULL = none */
    char *journal_profile;
    int32_t journal_sync;
    int64_t journal_max_bytes;
    int32_t journal_keep;
};

struct modellix_client {
    char *base_url;
    int base_is_loopback;
    struct curl_slist *auth_header; /* GET headers; the only place the key lives after client_new */
    struct curl_slist *post_headers; /* the same plus Content-Type for submissions */
    const char *key;                /* points into auth_header, for redaction only */
    char *user_agent;
    int64_t timeout_ms;
    int64_t call_timeout_ms;
    int32_t max_in_flight;
    int32_t submit_path;
    char *ca_file;
    mx_proxy_cfg proxy; /* as set in the options */
    char *api_proxy;    /* the proxy of API requests (NULL: direct), decided at creation */
    modellix_retry_policy *policy;
    mx_cb *log;
    mx_cb *poll_schedule;
    mx_cb *on_attempt;
    int32_t log_level;

    /* what the server said of its rate limit, for pacing requests before it has to answer 429 */
    int64_t rl_remaining; /* -1 unknown */
    int64_t rl_limit;     /* -1 unknown */
    int64_t rl_reset_ms;  /* monotonic time the window resets; 0 unknown */
    int64_t rl_last_start_ms;

    mx_engine eng;
    int engine_up; /* eng was set up (modellix_client_new got that far) */
    mx_rng rng;
    atomic_int cancel_requested;

    /* background tasks */
    mx_list queue;                  /* of modellix_task.q_link: async submissions waiting for a slot */
    mx_list active;                 /* of modellix_task.a_link: queued, sending or watched tasks */
    int32_t running;                /* async submissions sent and not yet done */
    int halted;                     /* an outcome-unknown submission stopped the queue */
    mx_timer pump_timer;            /* moves the queue on at the next step (after a free) */
    int continue_on_unknown;
    int api_http1;                  /* API requests over HTTP/1.1 (exchange.c start_attempt) */
    mx_cb *on_task_done;
    mx_cb *on_progress;
    int64_t dl_max_file, dl_max_task, dl_timeout_ms;
    struct mx_journal *journal; /* NULL = none (journal.c) */
    struct mx_sched_stats *sched; /* durations of finished tasks per model (schedule.c), lazily made */

    int32_t errcode;
    int32_t http_status;
    char errmsg[MX_ERRMSG_MAX];
    char request_id[129];
};

/* A task's life (lifecycle.c). The state is written only by mx_task_transition(). */
enum mx_task_state {
    MX_TS_NEW = 0,     /* made by a submit call, nothing sent yet */
    MX_TS_IDLE,        /* has an id (attached, or accepted by a blocking submit); nothing running */
    MX_TS_QUEUED,      /* an async submission waiting for one of the client's slots */
    MX_TS_SENDING,     /* a submission on the wire */
    MX_TS_WATCHING,    /* has an id; polled in the background */
    /* done (mx_task_done): nothing more happens without a new call */
    MX_TS_SUCCESS,     /* the service says it succeeded */
    MX_TS_FAILED,      /* the service says it failed */
    MX_TS_REJECTED,    /* the submission was refused: no task was created */
    MX_TS_UNKNOWN,     /* the submission's outcome is unknown: a task may exist and be charged */
    MX_TS_SKIPPED,     /* never sent (an earlier outcome was unknown, or the task was freed queued) */
    MX_TS_POLL_FAILED  /* background polling ended on a failure; a new poll, watch or wait resumes it */
};

/* A failure to record on a task: code, HTTP status, server request id and message, all as they
   came (the lifecycle sanitizes them). */
typedef struct mx_error {
    int code;
    int32_t http_status;
    const char *request_id;
    const char *msg;
} mx_error;

/* The blocking wait a task is part of counts its tasks that became done here. */
typedef struct mx_waiter {
    size_t done;
} mx_waiter;

struct modellix_task {
    modellix_client *c;
    char *id;
    char *slug;
    char *path; /* /api/v1/tasks/{id}, encoded */
    int32_t state;     /* enum mx_task_state */
    int submitted;     /* made by a submit call of this client (else attached) */
    int handed_out;    /* the application holds it (callbacks and waits are about such tasks only) */
    int freeing;       /* modellix_task_free is ending it: no callback, no waiter */
    int32_t status;    /* the service's last word: MODELLIX_TASK_* */
    mx_task_info info;
    char *json;
    char *warning;     /* what was odd in the answer that accepted it, or NULL */

    int32_t errcode;
    int32_t http_status;
    char *errmsg;
    char *request_id;

    int64_t born_ms;     /* when submitted or attached (monotonic) */
    int64_t next_poll_ms;
    int32_t polls;
    int32_t seen_running;     /* a poll answer said it was not done yet, at age running_age_ms */
    int64_t running_age_ms;
    int32_t bad_answers; /* identical invalid poll answers in a row (see MX_BAD_ANSWERS_MAX) */
    char *bad_answer;    /* the last one's message */
    int answer_invalid;  /* set by the poll answer check: a JSON answer that can never be valid */

    /* background work: submission queue and watch (driven by steps and blocking calls) */
    char *body;          /* an async submission's body until it is sent */
    size_t body_len;
    char *sub_path;      /* its path, for the log */
    mx_req *sub;         /* the async submission in flight */
    mx_req *poll;        /* the background status query in flight */
    mx_timer poll_timer;
    int counted;         /* holds one of the client's max_in_flight slots */
    mx_link q_link;      /* on the client's submission queue */
    mx_link a_link;      /* on the client's active tasks (queued, sending or watched) */

    /* downloads: bytes so far (for the per-task limit) and the last outcome per resource */
    uint64_t dl_bytes;
    char **dl_paths;
    int32_t *dl_codes;
    size_t dl_n;

    void *user_data; /* the application's, never read */

    /* the task journal (journal.c): the intent id of its submission, and whether its final record
       was written */
    char *j_intent;
    int j_settled;

    mx_waiter *waiter; /* the blocking wait it is part of */
    int wait_started;  /* that wait started its watch (and stops it on return) */
};

/* Identical invalid poll answers in a row after which a watch ends (MX_TS_POLL_FAILED). */
#define MX_BAD_ANSWERS_MAX 3

/* Logging (redacted by construction: callers pass only method, path, status and numbers). */
void mx_log(modellix_client *c, int32_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Record the failure of the API call being made on the client (and on the task, if given: the
   operation failed on it). Only API entry points call this: background work reports on its task
   (mx_task_transition). The message is sanitized. Returns code. */
int mx_fail(modellix_client *c, modellix_task *t, int code, int32_t http_status, const char *request_id,
            const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
/* Record the failure an exchange of the current API call ended with. Returns r->rc. */
int mx_fail_req(modellix_client *c, modellix_task *t, const mx_req *r);
/* The start of an API call on the client: its error slot now describes this call. */
void mx_clear_error(modellix_client *c);

/* Global init used by clients (reference-counted). */
int mx_global_acquire(void);
void mx_global_release(void);

/* Poll schedule and duration statistics: schedule.h */

/* Rate-limit pacing: how long an API request should wait before it starts (0 = now), given what
   the server said in X-RateLimit-Remaining / -Limit / -Reset. Never more than MX_PACE_MAX_MS. */
#define MX_PACE_MAX_MS 60000
int64_t mx_pace_delay(modellix_client *c, int64_t now_ms);
/* Record that an API request starts now (spends one of the remaining requests). */
void mx_pace_started(modellix_client *c, int64_t now_ms);
/* Update the pacing state from a response's headers (a Retry-After, when present, decides). */
void mx_pace_update(modellix_client *c, int64_t remaining, int64_t limit, const char *reset,
                    const char *retry_after, int64_t now_ms);

/* Drive one started exchange to its end within its deadline; the result is in r->rc. */
void mx_run_exchange(modellix_client *c, mx_req *r);

/* lifecycle.c: the one writer of a task's state, status and error. */
/* 1 when nothing more happens to the task without a new call (its state is one of the done ones). */
int mx_task_done(const modellix_task *t);
/* Move t to `to`. In this order: (1) the state and the error e (sanitized; NULL keeps the error,
   except that SUCCESS clears it), (2) the record of the change (log; the journal's hook), (3) what
   the old state held is let go: queue place, poll timer, active list, the max_in_flight slot, (4) the
   wait t is part of is told, (5) the completion callback runs, (6) the queue moves on. After a move to
   a done state the caller must not touch t again (the callback may have freed it). */
void mx_task_transition(modellix_task *t, int32_t to, const mx_error *e);
/* Record a failed operation's error on t without changing its state (sanitized). */
void mx_task_record_error(modellix_task *t, const mx_error *e);
/* Take a valid answer about t: status, result, raw body (redacted), request id and, for an accepted
   submission, its id and warning. No state change: mx_task_settle() follows. */
void mx_task_take_answer(modellix_task *t, mx_task_info *info, mx_buf *body, const char *request_id,
                         const char *warning);
/* Move t to SUCCESS or FAILED if the service says it is there; else nothing. */
void mx_task_settle(modellix_task *t);
/* The error of an exchange r, as a mx_error (its message composed in buf, the rest borrowed from r). */
mx_error mx_req_error(const mx_req *r, char *buf, size_t cap);

/* Task internals shared by task.c, watch.c, queue.c, wait.c and download.c */
void mx_task_apply(modellix_task *t, mx_task_info *info, mx_buf *body);
modellix_task *mx_task_new(modellix_client *c);
/* The start of both submit calls: check the slug and body, and make the task (slug copied, request
   path in sub_path, state SUBMITTING) with the body's length; records a failure on the client. */
int mx_submission_prepare(modellix_client *c, const char *model_slug, const char *body_json, modellix_task **t_out,
                          size_t *body_len_out);
int mx_task_set_id(modellix_task *t, char *id);
char *mx_join_url(const char *base, const char *path);
/* Start a status query of t into r (initialised here); finish is called when it ends. */
int mx_task_poll_start(modellix_task *t, mx_req *r, int64_t deadline_ms, mx_finish_fn finish);
/* Prepare r as t's paid POST of body (borrowed) to url (taken over); the caller sets finish. */
void mx_submission_request(mx_req *r, modellix_task *t, char *url, const char *body, size_t body_len);

/* watch.c: background polling. Start: t has an id and is IDLE or POLL_FAILED (else nothing). Stop:
   a WATCHING task goes back to IDLE, its query in flight abandoned. */
void mx_watch_start(modellix_task *t);
void mx_watch_stop(modellix_task *t);

/* queue.c: async submissions. Send queued ones while slots are free (or skip them all while the
   client is halted by an unknown outcome). */
void mx_queue_pump(modellix_client *c);
/* The client's pump_timer: the queue moves on at the next step. */
void mx_queue_timer_fire(mx_timer *tm);
/* watch.c: arm a WATCHING task's poll timer for t->next_poll_ms. */
void mx_watch_arm(modellix_task *t);
/* task.c: a submission's exchange r ended: accepted (state accepted_state: IDLE for a blocking
   submit, WATCHING for an async one, then SUCCESS or FAILED if the answer says so), else REJECTED
   or UNKNOWN. t may be freed when this returns (a completion callback). */
void mx_submission_ended(modellix_task *t, const mx_req *r, int32_t accepted_state);

#endif
