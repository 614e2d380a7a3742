/**
 * @file modellix/errors.h
 * @brief Result codes and modellix_strerror().
 *
 * Every fallible function returns `int`: ::MODELLIX_OK (0) or one of the negative codes below.
 * The numeric values are permanent: a code is never renumbered or reused. The details of a failure
 * (message, HTTP status, server request id) live on the object that failed: see
 * modellix_client_errmsg() and modellix_task_errmsg().
 */
#ifndef MODELLIX_ERRORS_H
#define MODELLIX_ERRORS_H

#include "common.h"

MODELLIX_BEGIN_DECLS

enum modellix_result {
    MODELLIX_OK = 0,                /**< success */
    MODELLIX_EINVAL = -1,           /**< a bad argument: NULL, malformed slug, task id, key, URL, body */
    MODELLIX_ENOMEM = -2,           /**< out of memory */
    MODELLIX_ENOKEY = -3,           /**< no API key: none set and MODELLIX_API_KEY is empty or unset */
    MODELLIX_ENETWORK = -4,         /**< the request could not be sent or the connection failed */
    MODELLIX_ETIMEOUT = -5,         /**< the call's deadline passed; the task keeps its id and last state */
    MODELLIX_ECANCELED = -6,        /**< modellix_client_cancel() was called */
    MODELLIX_EAUTH = -7,            /**< HTTP 401 or 403: the key is missing, wrong or not allowed */
    MODELLIX_EPAYMENT = -8,         /**< HTTP 402: the team's balance is insufficient */
    MODELLIX_ENOTFOUND = -9,        /**< HTTP 404: no such model or task (or the task has expired) */
    MODELLIX_ERATELIMIT = -10,      /**< HTTP 429 that retries did not get past */
    MODELLIX_ESERVER = -11,         /**< HTTP 5xx that retries did not get past */
    MODELLIX_EHTTP = -12,           /**< any other unexpected HTTP status */
    MODELLIX_EPROTOCOL = -13,       /**< a response that is not valid JSON, has the wrong shape, or names another task */
    MODELLIX_ETOOLARGE = -14,       /**< a response, body or file over its size limit */
    MODELLIX_EOUTCOME_UNKNOWN = -15,/**< a paid submission was sent but its result is unknown: a task may
                                         exist and be charged. It is never re-sent silently. Check your
                                         account activity before submitting the same request again. */
    MODELLIX_ETASK_FAILED = -16,    /**< the service reports that the task failed */
    MODELLIX_EUSER = -17,           /**< a user callback asked to stop */
    MODELLIX_EUNSAFE = -18,         /**< a download refused by the safety rules (plain HTTP, private
                                         address, too many redirects, credentials in the URL); since 1.1
                                         also a task journal file that is not safe to use (another
                                         user's, writable by others, a symbolic link) */
    MODELLIX_EEXIST = -19,          /**< the download target exists and overwriting was not asked for */
    MODELLIX_EIO = -20,             /**< a local file could not be created, read, written or renamed */
    MODELLIX_ESTATE = -21,          /**< the object is not in a state that allows the call (for example,
                                         downloading from a task that has not succeeded) */
    MODELLIX_EINIT = -22,           /**< global initialisation failed (libcurl could not start) */
    MODELLIX_ETLS = -23             /**< the server's TLS certificate was not trusted or does not match
                                         the host name, or the CA file could not be used; never retried */
};

/**
 * A short English description of a result code.
 *
 * @param code any value; unknown values give "unknown error code".
 * @return a static string, never NULL. Thread-safe.
 * @since 1.0
 */
MODELLIX_API const char *modellix_strerror(int code);

MODELLIX_END_DECLS

#endif /* MODELLIX_ERRORS_H */
