/* lifecycle.c - a task's life: the one function that moves a task from state to state, and the only
 * code that writes a task's state, the service's status and the task's error.
 *
 *   NEW --submit--> SENDING --accepted--> IDLE (blocking submit) or WATCHING (async)
 *   QUEUED --slot--> SENDING --refused--> REJECTED, --no answer--> UNKNOWN
 *   QUEUED --halted or freed--> SKIPPED
 *   attach --> IDLE <--watch/unwatch--> WATCHING --> SUCCESS | FAILED | POLL_FAILED
 *   POLL_FAILED --poll, watch or wait--> IDLE or WATCHING
 *
 * SUCCESS, FAILED, REJECTED, UNKNOWN, SKIPPED and POLL_FAILED are "done" (mx_task_done): nothing more
 * happens to the task without a new call. Background work (queue, watch) ends by a transition and
 * never writes the client's error slot: that slot belongs to the application's last call. */
#include "internal.h"
#include "journal.h"
#include "sanitize.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#define MX_TASK_MSG_MAX 1024

static const char *const state_names[] = {"new",     "idle",   "queued",   "sending", "watching",   "success",
                                          "failed",  "rejected", "unknown", "skipped", "poll-failed"};

int mx_task_done(const modellix_task *t)
{
    return t->state >= MX_TS_SUCCESS;
}

static const char *key_of(const modellix_task *t)
{
    return t->c ? t->c->key : NULL;
}

void mx_task_record_error(modellix_task *t, const mx_error *e)
{
    const char *key = key_of(t);
    t->errcode = e->code;
    t->http_status = e->http_status;
    free(t->errmsg);
    t->errmsg = e->msg ? mx_sanitize(key, e->msg, strlen(e->msg), MX_TASK_MSG_MAX, MX_SAN_TEXT) : NULL;
    if (e->request_id && *e->request_id) {
        free(t->request_id);
        t->request_id = mx_sanitize(key, e->request_id, strlen(e->request_id), 128, MX_SAN_TEXT);
    }
}

static void clear_error(modellix_task *t)
{
    t->errcode = MODELLIX_OK;
    free(t->errmsg);
    t->errmsg = NULL;
}

static char *clean(const modellix_task *t, char *s, size_t max)
{
    if (!s)
        return NULL;
    char *c = mx_sanitize(key_of(t), s, strlen(s), max, MX_SAN_TEXT);
    free(s);
    return c;
}

/* Every string of an answer passes the sanitizer before the task keeps it. */
static void clean_info(const modellix_task *t, mx_task_info *info)
{
    info->status_word = clean(t, info->status_word, MX_SAFE_TEXT_STATUS_MAX);
    info->error_message = clean(t, info->error_message, MX_TASK_MSG_MAX);
    info->request_id = clean(t, info->request_id, 256);
    for (size_t i = 0; i < info->n_resources; i++) {
        mx_resource *r = &info->resources[i];
        char *url = mx_sanitize(key_of(t), r->url, strlen(r->url), 65536, MX_SAN_RAW);
        if (url && strcmp(url, r->url) != 0) {
            /* a URL that quotes the key: kept redacted, so it cannot be fetched by mistake */
            free(r->url);
            r->url = url;
        } else {
            free(url);
        }
        r->type = clean(t, r->type, 128);
        r->format = clean(t, r->format, 128);
        r->role = clean(t, r->role, 128);
    }
}

void mx_task_take_answer(modellix_task *t, mx_task_info *info, mx_buf *body, const char *request_id,
                         const char *warning)
{
    clean_info(t, info);
    if (!t->id && info->task_id) {
        /* an accepted submission: the id is the one thing never dropped */
        if (mx_task_set_id(t, info->task_id) == MODELLIX_OK)
            info->task_id = NULL;
    }
    t->status = info->status;
    mx_task_info_free(&t->info);
    t->info = *info;
    memset(info, 0, sizeof *info);
    free(t->json);
    t->json = body->len ? mx_sanitize(key_of(t), body->data, body->len, body->len, MX_SAN_RAW) : NULL;
    mx_buf_reset(body);
    t->http_status = 200;
    const char *rid = request_id && *request_id ? request_id : t->info.request_id;
    free(t->request_id);
    t->request_id = rid ? mx_sanitize(key_of(t), rid, strlen(rid), 128, MX_SAN_TEXT) : NULL;
    if (warning && *warning) {
        free(t->warning);
        t->warning = mx_sanitize(key_of(t), warning, strlen(warning), MX_TASK_MSG_MAX, MX_SAN_TEXT);
    }
}

void mx_task_settle(modellix_task *t)
{
    if (t->status == MODELLIX_TASK_SUCCESS && t->state != MX_TS_SUCCESS) {
        mx_task_transition(t, MX_TS_SUCCESS, NULL);
    } else if (t->status == MODELLIX_TASK_FAILED && t->state != MX_TS_FAILED) {
        mx_error e = {MODELLIX_ETASK_FAILED, 200, NULL,
                      t->info.error_message ? t->info.error_message : "the task failed"};
        mx_task_transition(t, MX_TS_FAILED, &e);
    }
}

mx_error mx_req_error(const mx_req *r, char *buf, size_t cap)
{
    const char *msg = r->msg[0] ? r->msg : modellix_strerror(r->rc);
    if (r->rc == MODELLIX_EOUTCOME_UNKNOWN)
        mx_fmt(buf, cap, "%s. The paid submission's outcome is unknown: do not submit the same request again "
               "until you verify whether a task was created", msg);
    else
        mx_fmt(buf, cap, "%s", msg);
    return (mx_error){r->rc, r->http_status, r->request_id, buf};
}

/* (2) the record of a change: the log, and the task journal's records: the id on acceptance and the
   final state when done. (The intent is written by the sender before it moves a task to SENDING:
   unlike a transition, it can fail, and then nothing is sent.) */
static void record(modellix_task *t, int32_t from, int32_t to)
{
    modellix_client *c = t->c;
    if (from == MX_TS_SENDING && t->id)
        mx_journal_task_accepted(t);
    if (to >= MX_TS_SUCCESS)
        mx_journal_task_settled(t);
    if ((to == MX_TS_SUCCESS || to == MX_TS_FAILED) && from != to)
        mx_sched_observe(c, t, mx_now_ms()); /* the poll schedule learns the model's durations */
    const char *what = t->id ? t->id : t->sub_path ? t->sub_path : "(no id)";
    int32_t level = to == MX_TS_UNKNOWN || to == MX_TS_POLL_FAILED ? MODELLIX_LOG_WARN : MODELLIX_LOG_DEBUG;
    if (to == MX_TS_REJECTED)
        level = MODELLIX_LOG_INFO;
    if (t->errmsg && to > MX_TS_FAILED)
        mx_log(c, level, "task %s: %s -> %s: %s", what, state_names[from], state_names[to], t->errmsg);
    else
        mx_log(c, level, "task %s: %s -> %s", what, state_names[from], state_names[to]);
}

static int background(int32_t s)
{
    return s == MX_TS_QUEUED || s == MX_TS_SENDING || s == MX_TS_WATCHING;
}

void mx_task_transition(modellix_task *t, int32_t to, const mx_error *e)
{
    modellix_client *c = t->c;
    int32_t from = t->state;

    /* (1) state and error */
    t->state = to;
    if (e)
        mx_task_record_error(t, e);
    else if (to == MX_TS_SUCCESS)
        clear_error(t);

    /* (2) record */
    record(t, from, to);

    /* (3) let go of what the old state held */
    if (from == MX_TS_QUEUED && to != MX_TS_QUEUED)
        mx_list_unlink(&c->queue, &t->q_link);
    if (to != MX_TS_WATCHING)
        mx_timer_disarm(&c->eng, &t->poll_timer);
    if (background(to)) {
        if (!mx_list_has(&c->active, &t->a_link))
            mx_list_push(&c->active, &t->a_link);
    } else {
        mx_list_unlink(&c->active, &t->a_link);
    }
    int done = to >= MX_TS_SUCCESS;
    int held = t->counted; /* an async submission's slot */
    int moved = 0;
    /* the slot stands for a task running on the service while this client follows it: it is let go
       when the task is done, and when nobody follows it any more (unwatched or freed) */
    if (held && (done || to == MX_TS_IDLE)) {
        t->counted = 0;
        c->running--;
        moved = 1;
    }
    if (to == MX_TS_UNKNOWN && held && !c->continue_on_unknown) {
        c->halted = 1;
        moved = 1;
    }
    if (!done || t->freeing) {
        /* an unwatch or a free sends nothing itself: the queue moves on at the next step (or now, if
           the timer cannot be armed for want of memory) */
        if (moved && mx_timer_arm(&c->eng, &c->pump_timer, mx_now_ms()) != MODELLIX_OK)
            mx_queue_pump(c);
        return;
    }

    /* (4) the wait it is part of */
    if (t->waiter) {
        t->waiter->done++;
        t->waiter = NULL; /* counted once; the wait keeps its own list */
    }
    /* (5) the completion callback: a submission whose outcome is unknown is reported before the
       queued ones it causes to be skipped. t may be freed from here on. */
    if (t->handed_out && c->on_task_done)
        ((modellix_task_fn)c->on_task_done->fn)(t, c->on_task_done->user_data);
    /* (6) the queue moves on */
    if (moved)
        mx_queue_pump(c);
}
