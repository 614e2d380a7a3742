/**
 * @file modellix/retry.h
 * @brief Retry policies: which failed exchanges are tried again, and after how long.
 *
 * Every failed exchange is first classified:
 *
 * | fault                     | examples                                          | GET (poll, account, download) | paid submit |
 * |---------------------------|---------------------------------------------------|-------------------------------|-------------|
 * | ::MODELLIX_FAULT_NOT_SENT | DNS failure, connection refused, TLS handshake    | policy decides                | policy decides |
 * | rejected                  | 400 401 402 403 404 405 413 415 422               | stop                          | stop |
 * | ::MODELLIX_FAULT_THROTTLED| 429 (+ Retry-After, X-RateLimit-Reset)            | policy decides                | policy decides |
 * | ::MODELLIX_FAULT_UNKNOWN  | timeout or reset after sending, 408 409 3xx 5xx, 2xx that is not valid JSON or has no task id | policy decides | stop with ::MODELLIX_EOUTCOME_UNKNOWN, unless the policy opts in |
 *
 * Rejected faults never reach a policy. An unknown-outcome submit reaches it only when
 * modellix_retry_policy_set_resubmit_unknown() was set, because re-sending it may create (and charge)
 * a second task. Whatever a policy answers, no wait goes past the deadline of the call.
 *
 * Policies are immutable once given to modellix_options_set_retry_policy() (the options take their
 * own reference), so one policy may serve many clients on many threads; a custom callback is then
 * called from each of those threads and must be thread-safe itself.
 */
#ifndef MODELLIX_RETRY_H
#define MODELLIX_RETRY_H

#include "common.h"

MODELLIX_BEGIN_DECLS

/** What kind of exchange an attempt was (modellix_attempt_operation()). */
enum modellix_operation {
    MODELLIX_OP_SUBMIT = 1,   /**< paid POST of a task */
    MODELLIX_OP_POLL = 2,     /**< GET /api/v1/tasks/{id} */
    MODELLIX_OP_DOWNLOAD = 3, /**< GET of a result file */
    MODELLIX_OP_ACCOUNT = 4   /**< models, key validation, balance */
};

/** How an attempt failed (modellix_attempt_fault()). */
enum modellix_fault {
    MODELLIX_FAULT_NOT_SENT = 1,  /**< the request never reached the server: safe to send again */
    MODELLIX_FAULT_THROTTLED = 2, /**< HTTP 429: the server refused it, safe to send again later */
    MODELLIX_FAULT_UNKNOWN = 3,   /**< the request may have been processed */
    MODELLIX_FAULT_REJECTED = 4   /**< refused for good (400 401 402 403 404 405 413 415 422, a wrong task
                                       id, an oversized answer): never retried; seen only by an attempt
                                       observer (modellix_options_set_attempt_callback()) */
};

/**
 * A custom retry decision.
 *
 * @param a         the failed attempt (borrowed, valid during the call).
 * @param user_data the pointer given to modellix_retry_policy_new_custom().
 * @return the delay in milliseconds before the next attempt (>= 0), or a negative value to stop and
 *         return the attempt's error (modellix_attempt_errcode()).
 */
typedef int64_t (*modellix_retry_fn)(const modellix_attempt *a, void *user_data);

/**
 * The default policy: up to 4 attempts in all; exponential backoff with full jitter (a random delay
 * in [0, min(10 s, 500 ms * 2^(n-1))]); a server hint (Retry-After as seconds or HTTP date,
 * X-RateLimit-Reset on a 429) replaces the backoff, capped at 60 s; unknown-outcome submits are never
 * re-sent.
 *
 * @param[out] out receives the policy; free it with modellix_retry_policy_free().
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_retry_policy_new_default(modellix_retry_policy **out);

/**
 * The policy the Modellix documents advise: retry HTTP 429, 500 and 503 up to 3 times with
 * exponential backoff (1 s, 2 s, 4 s, capped at 10 s), submissions included. Because it re-sends
 * submissions whose outcome is unknown (500, 503), it RISKS DUPLICATE CHARGES: use it only if you
 * accept that. Transport failures before sending are retried too.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_retry_policy_new_seed(modellix_retry_policy **out);

/** A policy that never retries. @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM. @since 1.0 */
MODELLIX_API MODELLIX_NODISCARD int modellix_retry_policy_new_none(modellix_retry_policy **out);

/**
 * A policy that asks @p fn. @p user_data_free, if not NULL, is called once with @p user_data when the
 * last reference to the policy is released (the caller's and those of options and clients that use
 * it).
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL (fn is NULL) or ::MODELLIX_ENOMEM. On error
 *         @p user_data_free is not called.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_retry_policy_new_custom(modellix_retry_policy **out, modellix_retry_fn fn,
                                                                    void *user_data,
                                                                    modellix_destroy_fn user_data_free);

/**
 * Let unknown-outcome submissions (::MODELLIX_FAULT_UNKNOWN on ::MODELLIX_OP_SUBMIT) reach this
 * policy, so they can be re-sent. Off by default (on for the seed policy). Turning it on accepts the
 * risk of a second, charged task for one submit call.
 *
 * @param allow 1 to allow, 0 to refuse.
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_retry_policy_set_resubmit_unknown(modellix_retry_policy *p, int32_t allow);

/**
 * Set the largest number of attempts (the first one included) of a built-in policy; custom policies
 * ignore it. @param n 1 to 100. @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_retry_policy_set_max_attempts(modellix_retry_policy *p, int32_t n);

/** Release the caller's reference to a policy. NULL is ignored. @since 1.0 */
MODELLIX_API void modellix_retry_policy_free(modellix_retry_policy *p);

/**
 * An observer of failed attempts, called after the retry decision, before any wait: every retry is
 * visible. Called on the thread inside the libmodellix call; it must not call into the same client.
 *
 * @param a         the failed attempt (borrowed, valid during the call).
 * @param delay_ms  the delay chosen before the next attempt, or -1 if the exchange stops here.
 * @param user_data the pointer given at registration.
 */
typedef void (*modellix_attempt_fn)(const modellix_attempt *a, int64_t delay_ms, void *user_data);

/**
 * Register an observer of failed attempts (see ::modellix_attempt_fn). Registration and release of
 * @p user_data work as for modellix_options_set_log_callback(). fn NULL removes it.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_attempt_callback(modellix_options *o, modellix_attempt_fn fn,
                                                                         void *user_data,
                                                                         modellix_destroy_fn user_data_free);

/* ---------------------------------------------------------------------------------------------- */
/* The attempt record                                                                               */

/** 1 for the first attempt, 2 for the first retry, ... @since 1.0 */
MODELLIX_API int32_t modellix_attempt_number(const modellix_attempt *a);
/** One of ::modellix_operation. @since 1.0 */
MODELLIX_API int32_t modellix_attempt_operation(const modellix_attempt *a);
/** One of ::modellix_fault. @since 1.0 */
MODELLIX_API int32_t modellix_attempt_fault(const modellix_attempt *a);
/** The HTTP status received, or 0 if none. @since 1.0 */
MODELLIX_API int32_t modellix_attempt_http_status(const modellix_attempt *a);
/** 1 if the request may have reached the server, 0 if it certainly did not. @since 1.0 */
MODELLIX_API int32_t modellix_attempt_was_sent(const modellix_attempt *a);
/** The server's hint (Retry-After, or X-RateLimit-Reset on a 429) in ms from now, or -1 if none. @since 1.0 */
MODELLIX_API int64_t modellix_attempt_retry_after_ms(const modellix_attempt *a);
/** Milliseconds since the call began. @since 1.0 */
MODELLIX_API int64_t modellix_attempt_elapsed_ms(const modellix_attempt *a);
/** Milliseconds left before the call's deadline (>= 0). @since 1.0 */
MODELLIX_API int64_t modellix_attempt_remaining_ms(const modellix_attempt *a);
/** The result code the call returns if this attempt is not retried. @since 1.0 */
MODELLIX_API int32_t modellix_attempt_errcode(const modellix_attempt *a);
/** The delay the default policy would choose for this attempt (>= 0), or -1 if it would stop. @since 1.0 */
MODELLIX_API int64_t modellix_attempt_default_delay_ms(const modellix_attempt *a);

MODELLIX_END_DECLS

#endif /* MODELLIX_RETRY_H */
