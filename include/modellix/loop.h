/**
 * @file modellix/loop.h
 * @brief Driving a client from an application's own event loop (poll, epoll, libuv, GLib, ...).
 *
 * Background work (submissions queued with modellix_task_submit_async(), tasks watched with
 * modellix_task_watch(), and their retries) advances whenever the client is driven: by any blocking
 * call, or without blocking by modellix_client_step(). An event loop waits until the backend
 * descriptor is readable or the backend timeout passes, then steps:
 *
 *     struct pollfd p = {modellix_client_backend_fd(c), POLLIN, 0};
 *     size_t active;
 *     do {
 *         poll(&p, 1, (int)modellix_client_backend_timeout(c));
 *         modellix_client_step(c, &active);
 *     } while (active > 0);
 *
 * Threads: as for the client (client.h); the descriptor may be watched from any thread.
 */
#ifndef MODELLIX_LOOP_H
#define MODELLIX_LOOP_H

#include "common.h"

MODELLIX_BEGIN_DECLS

/**
 * Do all the client's work that is ready, without blocking: network I/O, retries that are due,
 * submissions that may start, polls that are due, and completions (which call the task callback,
 * see modellix_options_set_task_callback()).
 *
 * @param[out] active_out if not NULL, receives the number of tasks with background work left
 *                        (queued, being submitted, or watched).
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL. Failures of individual tasks are on the tasks.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_step(modellix_client *c, size_t *active_out);

/**
 * A file descriptor that becomes readable when modellix_client_step() has network work to do. It
 * belongs to the client: never read, write or close it. Valid until modellix_client_free().
 *
 * @return the descriptor, or -1 if c is NULL.
 * @since 1.0
 */
MODELLIX_API int32_t modellix_client_backend_fd(const modellix_client *c);

/**
 * How long the event loop may wait on the backend descriptor before it must call
 * modellix_client_step() anyway (a retry or poll falls due, or a transfer times out).
 *
 * @return milliseconds (0 = step now), or -1 when nothing is scheduled (wait on the descriptor alone).
 * @since 1.0
 */
MODELLIX_API int64_t modellix_client_backend_timeout(const modellix_client *c);

MODELLIX_END_DECLS

#endif /* MODELLIX_LOOP_H */
