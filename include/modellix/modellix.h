/**
 * @file modellix/modellix.h
 * @brief libmodellix: the C SDK for the Modellix image and video generation API.
 *
 * The only header users need. It includes every topic header:
 * - modellix/version.h  compile-time version macros
 * - modellix/errors.h   result codes and modellix_strerror()
 * - modellix/client.h   global set-up, options, log sink, client, cancellation
 * - modellix/retry.h    retry policies and the attempt record
 * - modellix/task.h     submit, attach, poll, wait (one and many), results
 * - modellix/download.h safe downloads of result files
 * - modellix/loop.h     driving a client from an application's event loop
 * - modellix/account.h  key validation, team balance and the model catalogue
 * - modellix/media.h    input media (images, video, audio) as data: URIs
 * - modellix/journal.h  the task journal: a durable record of paid submissions (since 1.1)
 *
 * Conventions: every fallible function returns MODELLIX_OK (0) or a negative MODELLIX_E* code;
 * out-parameters come first; inputs are copied before a call returns; borrowed strings live as long
 * as their parent object; memory the library hands out is released with modellix_free(); every
 * _free() accepts NULL.
 *
 * Threads: a client and its tasks may be used from any thread, one thread at a time; distinct clients
 * are independent; modellix_client_cancel() is safe from another thread.
 *
 * ABI: the soname libmodellix.so.1 never changes within major version 1; symbols are versioned
 * (MODELLIX_1.0, then one node per release), only ever added.
 */
#ifndef MODELLIX_MODELLIX_H
#define MODELLIX_MODELLIX_H

#include "common.h"
#include "version.h"
#include "errors.h"
#include "client.h"
#include "retry.h"
#include "task.h"
#include "download.h"
#include "loop.h"
#include "account.h"
#include "media.h"
#include "journal.h"

#endif /* MODELLIX_MODELLIX_H */
