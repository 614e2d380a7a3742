/**
 * @file modellix/task.h
 * @brief Submitting tasks, polling and waiting for them, and reading their results.
 *
 * A task is submitted once (a paid request) and then polled until it is terminal:
 *
 *     modellix_task *t;
 *     if (modellix_task_submit(&t, client, "bytedance/seedream-4.5-t2i", "{\"prompt\":\"a fox\"}") == MODELLIX_OK
 *         && modellix_task_wait(t, 120000) == MODELLIX_OK)
 *         puts(modellix_task_resource_url(t, 0));
 *     modellix_task_free(t);
 *
 * Tasks belong to the client they were made from and follow its thread rule (client.h). Free every
 * task before its client. Strings returned by the accessors are borrowed: they live until the task is
 * freed or its next poll, whichever comes first. A task polled in the background (queued with
 * modellix_task_submit_async() or watched) may be polled by any call that drives its client,
 * including waits on other tasks and modellix_client_step(): copy what you keep across such calls.
 */
#ifndef MODELLIX_TASK_H
#define MODELLIX_TASK_H

#include "common.h"

MODELLIX_BEGIN_DECLS

/** Task states, as returned by modellix_task_status(). */
enum modellix_task_state {
    MODELLIX_TASK_UNKNOWN = 0,    /**< attached but not yet queried */
    MODELLIX_TASK_SUBMITTING = 1, /**< the submission has not been answered yet */
    MODELLIX_TASK_PENDING = 2,    /**< queued by the service */
    MODELLIX_TASK_PROCESSING = 3, /**< running (any non-terminal status word other than "pending") */
    MODELLIX_TASK_SUCCESS = 4,    /**< "success", "succeeded" or "completed": results are available */
    MODELLIX_TASK_FAILED = 5      /**< "failed", "error", "canceled" or "cancelled" */
};

/**
 * Submit a paid generation task and wait for the service to accept it (not for it to finish).
 *
 * Sends POST /api/v1/{provider}/{model} (see modellix_options_set_submit_path()). A slug
 * "type/provider/model" selects the legacy typed path /api/v1/{type}/{provider}/{model}/async.
 * The submission is sent once. Only a failure that proves the request was not processed (not sent,
 * or HTTP 429) is retried, within the client's call deadline. A failure after the request may have
 * reached the service (timeout, reset, 5xx, 408, 409, 3xx, an answer without a task id) is never
 * re-sent unless the retry policy opts in (modellix_retry_policy_set_resubmit_unknown()): the call
 * returns ::MODELLIX_EOUTCOME_UNKNOWN.
 *
 * @param[out] out   receives the new task in state ::MODELLIX_TASK_PENDING (or what the service
 *                   said), or NULL on error. Free it with modellix_task_free().
 * @param c          the client.
 * @param model_slug "provider/model" (or "type/provider/model"), copied; trimmed; at most 256
 *                   characters; no control or bidirectional-override characters; no part "." or
 *                   ".." (::MODELLIX_EINVAL since 1.1: such a path would reach another model).
 * @param body_json  the request body, copied: a JSON object, at most 64 MiB, nesting at most 100
 *                   levels, finite numbers. Sent as given (not re-serialised).
 * @return ::MODELLIX_OK; ::MODELLIX_EINVAL (bad slug or body: nothing was sent); ::MODELLIX_EAUTH,
 *         ::MODELLIX_EPAYMENT, ::MODELLIX_ENOTFOUND, ::MODELLIX_EHTTP (rejected: no task was
 *         created); ::MODELLIX_ERATELIMIT (still throttled at the deadline: no task was created);
 *         ::MODELLIX_ENETWORK (could not connect: nothing was sent); ::MODELLIX_ETLS (certificate refused:
 *         nothing was sent); ::MODELLIX_EOUTCOME_UNKNOWN;
 *         ::MODELLIX_ETIMEOUT or ::MODELLIX_ECANCELED before anything was sent; ::MODELLIX_ENOMEM.
 *         Details: modellix_client_errmsg(), modellix_client_http_status(),
 *         modellix_client_request_id().
 * @example
 *     modellix_task *task = NULL;
 *     int rc = modellix_task_submit(&task, client, "bytedance/seedream-4.5-t2i",
 *                                   "{\"prompt\":\"a red fox in the snow\"}");
 *     if (rc == MODELLIX_EOUTCOME_UNKNOWN)
 *         fprintf(stderr, "a task may have been created and charged: check before submitting again\n");
 *     else if (rc != MODELLIX_OK)
 *         fprintf(stderr, "submit: %s: %s\n", modellix_strerror(rc), modellix_client_errmsg(client));
 *     else
 *         printf("accepted: task %s\n", modellix_task_id(task)); // keep the id: the task is paid
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_submit(modellix_task **out, modellix_client *c,
                                                        const char *model_slug, const char *body_json);

/** Where a task's submission stands, as returned by modellix_task_submit_state(). */
enum modellix_submit_state {
    MODELLIX_SUBMIT_NONE = 0,     /**< an attached task: submitted elsewhere */
    MODELLIX_SUBMIT_QUEUED = 1,   /**< waiting for one of the client's max_in_flight slots */
    MODELLIX_SUBMIT_SENDING = 2,  /**< sent, not answered yet */
    MODELLIX_SUBMIT_ACCEPTED = 3, /**< the service created the task (it has an id) */
    MODELLIX_SUBMIT_REJECTED = 4, /**< refused: no task was created (see modellix_task_errcode()) */
    MODELLIX_SUBMIT_UNKNOWN = 5,  /**< sent, outcome unknown: a task may exist and be charged */
    MODELLIX_SUBMIT_SKIPPED = 6   /**< never sent, because an earlier submission's outcome is unknown */
};

/**
 * Queue a paid submission without waiting: it is sent when fewer than the client's max_in_flight
 * (modellix_options_set_max_in_flight(), the team's concurrency limit, default 3) of its queued
 * submissions are running, and once accepted the task is polled in the background until it is
 * terminal, which frees its slot for the next one. Work happens while the application drives the
 * client: modellix_client_step() from its own event loop, or any blocking call such as
 * modellix_client_wait_all(). Submissions beyond the limit wait in the queue instead of drawing 429s.
 *
 * The money rules of modellix_task_submit() apply. In addition, after one submission ends with an
 * unknown outcome no further queued submission is sent (they end ::MODELLIX_SUBMIT_SKIPPED with
 * ::MODELLIX_ECANCELED), unless modellix_options_set_continue_on_unknown() says otherwise.
 *
 * @param[out] out   receives the task in state ::MODELLIX_TASK_SUBMITTING (submit state
 *                   ::MODELLIX_SUBMIT_QUEUED); modellix_task_id() is NULL until it is accepted.
 * @param model_slug as for modellix_task_submit() (copied).
 * @param body_json  as for modellix_task_submit() (copied).
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL (bad slug or body; nothing queued), ::MODELLIX_ETOOLARGE,
 *         ::MODELLIX_ENOMEM. The submission's own result is reported on the task later
 *         (modellix_task_submit_state(), modellix_task_errcode()).
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_submit_async(modellix_task **out, modellix_client *c,
                                                              const char *model_slug, const char *body_json);

/** Where the task's submission stands: one of ::modellix_submit_state. @since 1.0 */
MODELLIX_API int32_t modellix_task_submit_state(const modellix_task *t);

/**
 * Poll the task in the background, on the client's schedule, until it is terminal or a poll fails
 * for good: a refusal (404, 401, an answer about another task), or the same invalid answer (valid
 * JSON of a wrong shape: a status that is not a string, a resource URL that is not http(s), over
 * 1000 resources, nesting beyond the limits) three times in a row. A poll that fails after the retry
 * policy's attempts in a way it retries (no connection, 429, 5xx, no valid answer) is logged and
 * the task is polled again later. The work happens in modellix_client_step() and in blocking calls
 * on the client. Tasks
 * queued with modellix_task_submit_async() are watched once accepted without this call. A watched
 * task cannot be polled with modellix_task_poll().
 *
 * @return ::MODELLIX_OK (also if already watched or done), ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_watch(modellix_task *t);

/**
 * 1 when nothing more will happen to the task without a new call: it is terminal, its submission
 * failed (rejected, unknown or skipped), or a background poll failed for good (the error is in
 * modellix_task_errcode()); else 0.
 * @since 1.0
 */
MODELLIX_API int32_t modellix_task_done(const modellix_task *t);

/**
 * Make a task object for a task submitted earlier (by this or another process), to poll, wait for and
 * download it. No network traffic: the state is ::MODELLIX_TASK_UNKNOWN until the first poll.
 *
 * @param[out] out receives the task, or NULL on error.
 * @param task_id  copied; trimmed; 1 to 512 characters from [A-Za-z0-9._~:/+@=-]; neither it nor a
 *                 '/'-separated part of it may be "." or ".." (::MODELLIX_EINVAL since 1.1).
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_attach(modellix_task **out, modellix_client *c,
                                                        const char *task_id);

/**
 * Query the task's status once (GET /api/v1/tasks/{id}), retrying transient failures (network, 429,
 * 5xx) under the retry policy within the client's call deadline. On success the task's state, result
 * and raw JSON are updated.
 *
 * @return ::MODELLIX_OK whatever the task's state (check modellix_task_status()); an error code if the
 *         query failed: ::MODELLIX_EPROTOCOL (bad JSON, wrong shape, or the answer names another
 *         task), ::MODELLIX_ETOOLARGE (over 16 MiB), ::MODELLIX_ENOTFOUND, ::MODELLIX_EAUTH,
 *         ::MODELLIX_ERATELIMIT, ::MODELLIX_ESERVER, ::MODELLIX_ENETWORK, ::MODELLIX_ETLS,
 *         ::MODELLIX_ETIMEOUT, ::MODELLIX_ECANCELED...; ::MODELLIX_ESTATE for a task that is queued, being submitted or
 *         watched in the background. The task keeps its previous state on error; details are on the
 *         task (modellix_task_errmsg()) and on the client.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_poll(modellix_task *t);

/**
 * Poll the task on the client's adaptive schedule until it is terminal, the timeout passes or the
 * client is cancelled. A poll that fails transiently even after its retries (network, 429, 5xx) does
 * not end the wait; any other failure does.
 *
 * @param timeout_ms the deadline of the whole call, > 0.
 * @return ::MODELLIX_OK (state ::MODELLIX_TASK_SUCCESS), ::MODELLIX_ETASK_FAILED (state
 *         ::MODELLIX_TASK_FAILED; the service's detail is in modellix_task_errmsg() and
 *         modellix_task_json()), ::MODELLIX_ETIMEOUT (the task keeps its id and last state: wait again
 *         or attach later), ::MODELLIX_ECANCELED, or a poll error as in modellix_task_poll().
 * @example
 *     int rc = modellix_task_wait(task, 5 * 60 * 1000); // up to 5 minutes
 *     if (rc == MODELLIX_ETIMEOUT)
 *         printf("task %s still running: wait again later\n", modellix_task_id(task));
 *     else if (rc == MODELLIX_ETASK_FAILED)
 *         printf("task %s failed: %s\n", modellix_task_id(task), modellix_task_errmsg(task));
 *     else if (rc == MODELLIX_OK)
 *         printf("%zu result file(s)\n", modellix_task_resource_count(task));
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_wait(modellix_task *t, int64_t timeout_ms);

/**
 * Wait until every task in @p tasks is terminal, polling them together on one schedule over shared
 * connections. Each task's own result and error are on the task. All tasks must belong to @p c.
 * NULL entries are skipped.
 *
 * A task whose poll fails for good (for example 404, or an expired task) stops being polled and
 * keeps its error (modellix_task_errcode()) while the others go on. A task that failed on the
 * service is not an error of this call: it is terminal, with ::MODELLIX_TASK_FAILED.
 *
 * @return ::MODELLIX_OK when every task is terminal (successful or failed: check each);
 *         ::MODELLIX_ETIMEOUT (finished tasks keep their results, the others their ids and last
 *         state); ::MODELLIX_ECANCELED; ::MODELLIX_EINVAL (a task of another client, listed twice
 *         or already in another wait, timeout_ms <= 0).
 *         Any other code is a task's: once no task is left to poll, the error of the first task
 *         in array order that ended with one (the same code as its modellix_task_errcode()): a
 *         poll that failed for good, or, for a task of modellix_task_submit_async(), a submission
 *         that was rejected, skipped or whose outcome is unknown (also one that ended before this
 *         call). The other tasks are finished.
 * @example
 *     modellix_task *tasks[3] = {NULL, NULL, NULL};
 *     int rc = MODELLIX_OK;
 *     for (int i = 0; i < 3 && rc == MODELLIX_OK; i++) // queued: sent as slots free up
 *         rc = modellix_task_submit_async(&tasks[i], client, slug, bodies[i]);
 *     if (rc == MODELLIX_OK)
 *         rc = modellix_client_wait_all(client, tasks, 3, 10 * 60 * 1000);
 *     if (rc != MODELLIX_OK) // a bad input, a timeout, or the first task error
 *         fprintf(stderr, "wait_all: %s\n", modellix_strerror(rc));
 *     for (int i = 0; i < 3 && tasks[i]; i++) // each task tells its own outcome
 *         printf("%s: %s\n", modellix_task_id(tasks[i]) ? modellix_task_id(tasks[i]) : "(not accepted)",
 *                modellix_strerror(modellix_task_errcode(tasks[i])));
 *     for (int i = 0; i < 3; i++)
 *         modellix_task_free(tasks[i]);
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_wait_all(modellix_client *c, modellix_task *const *tasks,
                                                            size_t n, int64_t timeout_ms);

/**
 * Wait until at least one task in @p tasks is terminal (or failed to poll for good).
 *
 * @param[out] index_out receives the index of a finished task (the lowest index among those that
 *             finished in the same step). Tasks already terminal on entry count at once.
 * @return ::MODELLIX_OK, ::MODELLIX_ETIMEOUT, ::MODELLIX_ECANCELED, ::MODELLIX_EINVAL (no non-NULL
 *         task, or a task of another client).
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_wait_any(modellix_client *c, modellix_task *const *tasks,
                                                            size_t n, int64_t timeout_ms, size_t *index_out);

/**
 * Wait until every task in @p tasks is done, like modellix_client_wait_all(), but report only what
 * happened to the call itself; what happened to each task is on the task.
 *
 * A task is done when it succeeded or failed on the service, its submission was rejected, skipped
 * or has an unknown outcome, or its polling failed for good (modellix_task_done()). A task whose
 * polling failed earlier is polled again. NULL entries are skipped.
 *
 * @param[out] failed_out receives the number of done tasks that did not succeed (failed on the
 *             service, or any of the other ends above), also on ::MODELLIX_ETIMEOUT and
 *             ::MODELLIX_ECANCELED; 0 on ::MODELLIX_EINVAL. May be NULL.
 * @param timeout_ms the deadline of the whole call, > 0.
 * @return ::MODELLIX_OK (every task is done: check each, or *failed_out), ::MODELLIX_ETIMEOUT,
 *         ::MODELLIX_ECANCELED, ::MODELLIX_EINVAL (a task of another client, a task listed twice or
 *         already in another wait, timeout_ms <= 0), ::MODELLIX_ENOMEM. Never a task's own code.
 *         Details of a failure of the call: modellix_client_errmsg().
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_wait_all_report(size_t *failed_out, modellix_client *c,
                                                                   modellix_task *const *tasks, size_t n,
                                                                   int64_t timeout_ms);

/**
 * Stop polling a task in the background (the reverse of modellix_task_watch()) without freeing it.
 * The task keeps its id and last state; a query in flight is abandoned. A task that is queued or
 * being submitted is not affected (it is watched once accepted), nor is a done task.
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_unwatch(modellix_task *t);

/**
 * What was odd in the answer that accepted the task's submission, or NULL if nothing was.
 *
 * The acceptance rule: an answer (HTTP 2xx) that names a valid task id means the service created
 * the task, and the task is returned as accepted whatever else is wrong with the answer: a status
 * that is not a valid word (read as pending), invalid resources (read as none), a document beyond
 * the depth or node limits (only the id is read). Numbers too large for int64 or double anywhere in
 * an answer are read as 0 and never refuse it. Borrowed; never contains the API key.
 * @since 1.1
 */
MODELLIX_API const char *modellix_task_warning(const modellix_task *t);

/**
 * Attach an application pointer to the task, for example to find the prompt behind a task in a
 * completion callback. libmodellix never reads or frees it. Default NULL.
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API int modellix_task_set_user_data(modellix_task *t, void *user_data);

/** The pointer given to modellix_task_set_user_data(), or NULL. @since 1.0 */
MODELLIX_API void *modellix_task_user_data(const modellix_task *t);

/**
 * Free a task (its strings become invalid). The task on the service is not affected. A queued
 * submission is dropped unsent; one that is being sent is abandoned (its outcome is unknown, and is
 * logged as such). NULL is ignored.
 * @since 1.0
 */
MODELLIX_API void modellix_task_free(modellix_task *t);

/* ---------------------------------------------------------------------------------------------- */
/* Results: borrowed strings live until the task is freed or polled again.                         */

/**
 * The task id given by the service (or to modellix_task_attach()). NULL for a task queued with
 * modellix_task_submit_async() until its submission is accepted (and for good if it never is).
 * @since 1.0
 */
MODELLIX_API const char *modellix_task_id(const modellix_task *t);

/** The model slug given to modellix_task_submit(), or NULL for an attached task. @since 1.0 */
MODELLIX_API const char *modellix_task_model_slug(const modellix_task *t);

/** The last known state: one of ::modellix_task_state. @since 1.0 */
MODELLIX_API int32_t modellix_task_status(const modellix_task *t);

/** The status word exactly as the service sent it last (e.g. "processing"), or NULL before any. @since 1.0 */
MODELLIX_API const char *modellix_task_status_text(const modellix_task *t);

/**
 * The result code of the task's last failed operation (::MODELLIX_OK if none). A failed task reports
 * ::MODELLIX_ETASK_FAILED.
 * @since 1.0
 */
MODELLIX_API int32_t modellix_task_errcode(const modellix_task *t);

/**
 * A message for the task's last failure: for a failed task, the service's error detail when it sent
 * one (data.error.message, data.error or data.message); "" if none. Never NULL. Never contains a key.
 * @since 1.0
 */
MODELLIX_API const char *modellix_task_errmsg(const modellix_task *t);

/** The HTTP status of the task's last response, or 0 if there was none. @since 1.0 */
MODELLIX_API int32_t modellix_task_http_status(const modellix_task *t);

/** The server request id of the task's last response (X-Request-Id or result.metadata.request_id), or NULL.
 * @since 1.0 */
MODELLIX_API const char *modellix_task_request_id(const modellix_task *t);

/**
 * The raw body of the last successful response about this task (the submit answer, then each poll
 * answer), as received, NUL-terminated; NULL before any. Use it for fields this API has no accessor
 * for (metadata, extensions, model-specific data).
 * @since 1.0
 */
MODELLIX_API const char *modellix_task_json(const modellix_task *t);

/** The number of result resources (0 unless the task succeeded). At most 1000. @since 1.0 */
MODELLIX_API size_t modellix_task_resource_count(const modellix_task *t);

/** Resource @p i's URL (signed, expires about 24 h after the task ends), or NULL if i is out of range. @since 1.0 */
MODELLIX_API const char *modellix_task_resource_url(const modellix_task *t, size_t i);

/** Resource @p i's type ("image", "video", ...) or NULL if absent or out of range. @since 1.0 */
MODELLIX_API const char *modellix_task_resource_type(const modellix_task *t, size_t i);

/** Resource @p i's format ("png", "mp4", ...) or NULL if absent or out of range. @since 1.0 */
MODELLIX_API const char *modellix_task_resource_format(const modellix_task *t, size_t i);

/** Resource @p i's role ("primary", ...) or NULL if absent or out of range. @since 1.0 */
MODELLIX_API const char *modellix_task_resource_role(const modellix_task *t, size_t i);

/** Resource @p i's width in pixels, or 0 if absent, not a positive integer, or out of range. @since 1.0 */
MODELLIX_API int64_t modellix_task_resource_width(const modellix_task *t, size_t i);

/** Resource @p i's height in pixels, or 0 if absent, not a positive integer, or out of range. @since 1.0 */
MODELLIX_API int64_t modellix_task_resource_height(const modellix_task *t, size_t i);

MODELLIX_END_DECLS

#endif /* MODELLIX_TASK_H */
