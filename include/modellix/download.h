/**
 * @file modellix/download.h
 * @brief Fetching the result files of a successful task, safely.
 *
 * Result URLs are signed and expire about 24 hours after the task ends. The safety rules, checked on
 * the first URL and again on every redirect (at most 5):
 * - HTTPS only. Plain HTTP is refused with ::MODELLIX_EUNSAFE unless the host is loopback and the
 *   client's own API origin is loopback too (a local test server), or ::MODELLIX_DOWNLOAD_ALLOW_HTTP
 *   is given.
 * - No private, loopback, link-local, shared, multicast or reserved address, checked on the address
 *   a connection is actually opened to (after DNS, before any byte is sent), unless
 *   ::MODELLIX_DOWNLOAD_ALLOW_PRIVATE is given or the API origin itself is loopback and the address is
 *   loopback.
 * - No user name or password in a URL; only http and https schemes.
 * - The API key is never sent to a file host.
 * - At most 1 GiB per file and 2 GiB per task, 10 minutes per file (checked from Content-Length
 *   first, and while receiving); see modellix_options_set_download_limits().
 *
 * Result URLs are signed and expire. When the file host answers 403 or 404, the task is queried
 * once more for fresh URLs and the file is fetched again, once, if the task still lists it.
 *
 * Threads: as for the task (client.h).
 */
#ifndef MODELLIX_DOWNLOAD_H
#define MODELLIX_DOWNLOAD_H

#include "common.h"

MODELLIX_BEGIN_DECLS

/** Flags for modellix_task_download() and modellix_task_download_mem(); combine with |. */
enum modellix_download_flags {
    MODELLIX_DOWNLOAD_OVERWRITE = 1u << 0,     /**< replace an existing file of the same name */
    MODELLIX_DOWNLOAD_ALLOW_HTTP = 1u << 1,    /**< allow plain http:// file URLs */
    MODELLIX_DOWNLOAD_ALLOW_PRIVATE = 1u << 2, /**< allow private and reserved addresses */
    MODELLIX_DOWNLOAD_RENAME = 1u << 3         /**< on a name collision pick "name-2.ext", "name-3.ext"...
                                                    instead of failing with ::MODELLIX_EEXIST */
};

/**
 * Progress of a download: called on the thread inside the download call, repeatedly while data
 * arrives.
 *
 * @param t         the task (borrowed).
 * @param index     the resource being downloaded.
 * @param received  bytes received so far.
 * @param total     the file's size if the host said it, else -1.
 * @param user_data the pointer given at registration.
 * @return 0 to go on; anything else aborts the download with ::MODELLIX_EUSER.
 */
typedef int (*modellix_progress_fn)(const modellix_task *t, size_t index, int64_t received, int64_t total,
                                    void *user_data);

/**
 * Register a download progress callback (see ::modellix_progress_fn). Registration and release of
 * @p user_data work as for modellix_options_set_log_callback(). fn NULL removes it.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_progress_callback(modellix_options *o, modellix_progress_fn fn,
                                                                          void *user_data,
                                                                          modellix_destroy_fn user_data_free);

/**
 * Set the download limits: the largest file, the most bytes downloaded for one task in all, and the
 * time one file may take (its retries and redirects included).
 *
 * @param max_file_bytes 1 to 2^40; default 1 GiB.
 * @param max_task_bytes 1 to 2^42; default 2 GiB.
 * @param timeout_ms     1 to 86 400 000; default 600 000 (10 minutes).
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_download_limits(modellix_options *o, int64_t max_file_bytes,
                                                                        int64_t max_task_bytes, int64_t timeout_ms);

/**
 * Download resource @p i of a successful task into directory @p dir.
 *
 * The data goes to a private temporary file in @p dir (mode 0600) that is renamed into place only
 * when complete, so a partial file never appears under the final name. The name comes from the
 * URL's path (the query is ignored), percent-decoded and made safe: no path separators or control
 * characters, no leading dots, at most 160 bytes, extension kept; an empty name becomes
 * "resource-<i+1>". Without ::MODELLIX_DOWNLOAD_OVERWRITE an existing file is never replaced: the
 * call fails with ::MODELLIX_EEXIST.
 *
 * The transfer has the client's per-exchange time limit (modellix_options_set_timeout_ms()) and is
 * retried under the retry policy on transient failures.
 *
 * @param t        a task in state ::MODELLIX_TASK_SUCCESS.
 * @param i        resource index, < modellix_task_resource_count().
 * @param dir      an existing directory (copied). NULL means the current directory.
 * @param flags    ::modellix_download_flags.
 * @param[out] path_out if not NULL, receives the final path (release with modellix_free()), or NULL
 *                 on error.
 * @return ::MODELLIX_OK; ::MODELLIX_EINVAL; ::MODELLIX_ESTATE (the task has not succeeded);
 *         ::MODELLIX_EUNSAFE; ::MODELLIX_EEXIST; ::MODELLIX_ETOOLARGE; ::MODELLIX_EIO (with errno text
 *         in the message); ::MODELLIX_ENOTFOUND / ::MODELLIX_EAUTH (the file host answered 404 / 403:
 *         the URL may have expired); ::MODELLIX_ENETWORK; ::MODELLIX_ETLS; ::MODELLIX_ETIMEOUT; ::MODELLIX_ECANCELED;
 *         ::MODELLIX_EHTTP; ::MODELLIX_ENOMEM. Nothing is left in @p dir on error.
 * @example
 *     for (size_t i = 0; i < modellix_task_resource_count(task); i++) {
 *         char *path = NULL;
 *         int rc = modellix_task_download(task, i, "output", 0, &path);
 *         if (rc == MODELLIX_OK)
 *             printf("saved %s\n", path);
 *         else // the files stay downloadable by the task's id for about 24 hours
 *             fprintf(stderr, "task %s: %s\n", modellix_task_id(task), modellix_strerror(rc));
 *         modellix_free(path);
 *     }
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_download(modellix_task *t, size_t i, const char *dir,
                                                          uint32_t flags, char **path_out);

/**
 * Download every resource of a successful task into directory @p dir, one after another, with
 * ::MODELLIX_DOWNLOAD_RENAME implied unless ::MODELLIX_DOWNLOAD_OVERWRITE is given (two results
 * named alike never clash). Each file's outcome is kept on the task:
 * modellix_task_download_path() and modellix_task_download_errcode().
 *
 * @param[out] n_ok_out if not NULL, receives how many files were downloaded.
 * @return ::MODELLIX_OK when every file was downloaded; else the first file's error (the others were
 *         still attempted), or an error of modellix_task_download() that concerns the whole call
 *         (::MODELLIX_EINVAL, ::MODELLIX_ESTATE).
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_download_all(modellix_task *t, const char *dir, uint32_t flags,
                                                              size_t *n_ok_out);

/**
 * Where resource @p i was last saved by modellix_task_download() or modellix_task_download_all(),
 * or NULL if it was not (yet). Borrowed: valid until the task is freed or the resource is saved
 * again.
 * @since 1.0
 */
MODELLIX_API const char *modellix_task_download_path(const modellix_task *t, size_t i);

/**
 * The result of the last download of resource @p i to a directory (::MODELLIX_OK, or its error
 * code); ::MODELLIX_ESTATE if it was never attempted.
 * @since 1.0
 */
MODELLIX_API int32_t modellix_task_download_errcode(const modellix_task *t, size_t i);

/**
 * Download resource @p i of a successful task into memory, with the same rules as
 * modellix_task_download() (::MODELLIX_DOWNLOAD_OVERWRITE is ignored).
 *
 * @param[out] data_out receives the bytes (release with modellix_free()), or NULL on error. A
 *             zero-length file gives a non-NULL pointer and length 0.
 * @param[out] len_out  receives the length.
 * @return as modellix_task_download(), without ::MODELLIX_EEXIST and ::MODELLIX_EIO.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_download_mem(modellix_task *t, size_t i, uint32_t flags,
                                                              uint8_t **data_out, size_t *len_out);

MODELLIX_END_DECLS

#endif /* MODELLIX_DOWNLOAD_H */
