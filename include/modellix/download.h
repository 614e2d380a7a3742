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
 * - At most 1 GiB per file (checked from Content-Length first, and while receiving).
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
    MODELLIX_DOWNLOAD_ALLOW_PRIVATE = 1u << 2  /**< allow private and reserved addresses */
};

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
 *         the URL may have expired); ::MODELLIX_ENETWORK; ::MODELLIX_ETIMEOUT; ::MODELLIX_ECANCELED;
 *         ::MODELLIX_EHTTP; ::MODELLIX_ENOMEM. Nothing is left in @p dir on error.
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_download(modellix_task *t, size_t i, const char *dir,
                                                          uint32_t flags, char **path_out);

/**
 * Download resource @p i of a successful task into memory, with the same rules as
 * modellix_task_download() (::MODELLIX_DOWNLOAD_OVERWRITE is ignored).
 *
 * @param[out] data_out receives the bytes (release with modellix_free()), or NULL on error. A
 *             zero-length file gives a non-NULL pointer and length 0.
 * @param[out] len_out  receives the length.
 * @return as modellix_task_download(), without ::MODELLIX_EEXIST and ::MODELLIX_EIO.
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_task_download_mem(modellix_task *t, size_t i, uint32_t flags,
                                                              uint8_t **data_out, size_t *len_out);

MODELLIX_END_DECLS

#endif /* MODELLIX_DOWNLOAD_H */
