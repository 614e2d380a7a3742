/**
 * @file modellix/client.h
 * @brief Library set-up, the options object, the log sink and the client.
 *
 * Threads: a client, and every task made from it, may be used from any thread but from one thread at
 * a time. Distinct clients are independent and may be used from different threads at once.
 * modellix_client_cancel() is the one call that is safe from another thread while the client is in
 * use. The options object follows the same one-thread-at-a-time rule.
 *
 * Errors: the client's error slot (modellix_client_errcode(), _errmsg(), _http_status(),
 * _request_id()) describes the last call the application made on the client or one of its tasks,
 * as sqlite3_errmsg() does: a call that succeeds clears it. Work done in the background (queued
 * submissions, watched tasks) never writes it: its failures stay on their task
 * (modellix_task_errcode()) and go to the log.
 *
 * fork(): a client is not usable in a child process. The child shares the parent's connections and,
 * on Linux, its epoll set: a child must neither use nor free a client made before the fork (freeing
 * it would remove the parent's registrations); let it exit or exec, or make its own client. Global
 * state (modellix_global_init()) follows libcurl's rules for fork.
 */
#ifndef MODELLIX_CLIENT_H
#define MODELLIX_CLIENT_H

#include "common.h"

MODELLIX_BEGIN_DECLS

/* ---------------------------------------------------------------------------------------------- */
/* Library                                                                                          */

/**
 * Initialise the library's global state (libcurl's). Reference-counted: every successful call must be
 * matched by one modellix_global_cleanup(). Optional, because modellix_client_new() initialises on
 * first use, but recommended from main() before any thread is started (libcurl's advice).
 *
 * @return the new reference count (> 0), or ::MODELLIX_EINIT if libcurl could not be initialised
 *         or lacks thread-safe initialisation. Thread-safe.
 * @since 1.0
 */
MODELLIX_API int modellix_global_init(void);

/**
 * Release one reference taken by modellix_global_init(); the last one releases libcurl's global
 * state. Call it only after every client is freed. Thread-safe. Extra calls are ignored.
 * @since 1.0
 */
MODELLIX_API void modellix_global_cleanup(void);

/** The run-time library version, e.g. "1.0.0". Static string. Thread-safe. @since 1.0 */
MODELLIX_API const char *modellix_version_string(void);

/** The run-time library version as MAJOR*10000 + MINOR*100 + PATCH. Thread-safe. @since 1.0 */
MODELLIX_API int32_t modellix_version_num(void);

/**
 * Release memory that libmodellix handed to the caller (downloaded data, file paths). Never use
 * free() on it: the library and the caller may use different heaps (FFI hosts). Accepts NULL.
 * @since 1.0
 */
MODELLIX_API void modellix_free(void *p);

/* ---------------------------------------------------------------------------------------------- */
/* Logging                                                                                          */

/** Log levels passed to a ::modellix_log_fn. A client logs only at or above its threshold. */
enum modellix_log_level {
    MODELLIX_LOG_ERROR = 0,
    MODELLIX_LOG_WARN = 1,
    MODELLIX_LOG_INFO = 2,
    MODELLIX_LOG_DEBUG = 3
};

/**
 * A log sink. Called synchronously on the thread that is inside a libmodellix call.
 *
 * @param level     one of ::modellix_log_level.
 * @param message   one line, no trailing newline, valid only during the call. It is redacted by
 *                  construction: it never contains an API key, a request or response body, or the
 *                  query string of a signed result URL.
 * @param user_data the pointer given at registration.
 */
typedef void (*modellix_log_fn)(int32_t level, const char *message, void *user_data);

/**
 * A custom poll schedule: how long to wait before the next status query of a running task.
 * Called on the thread inside the libmodellix call.
 *
 * @param age_ms    milliseconds since the task was submitted (or attached).
 * @param polls     status queries answered so far for this task.
 * @param user_data the pointer given at registration.
 * @return the delay in milliseconds; values are clamped to 10 ms .. 3 600 000 ms.
 */
typedef int64_t (*modellix_poll_fn)(int64_t age_ms, int32_t polls, void *user_data);

/**
 * A custom poll schedule that is told which task it schedules (the 1.0 ::modellix_poll_fn is not).
 * Called on the thread inside the libmodellix call, each time a poll of @p task is scheduled: when
 * its submission is accepted (@p age_ms 0, @p polls 0) and after each background poll.
 *
 * @param task      the task, valid only during the call; read it with the modellix_task_* accessors
 *                  (modellix_task_id(), modellix_task_status(), ...). Do not free, wait on, poll or
 *                  watch it from inside the callback.
 * @param age_ms    milliseconds since the task was accepted (or attached).
 * @param polls     status queries answered so far for this task.
 * @param user_data the pointer given at registration.
 * @return the delay in milliseconds; values are clamped to 10 ms .. 3 600 000 ms.
 * @since 1.1
 */
typedef int64_t (*modellix_poll_task_fn)(const modellix_task *task, int64_t age_ms, int32_t polls,
                                         void *user_data);

/* ---------------------------------------------------------------------------------------------- */
/* Options                                                                                          */

/** Which submit path form to use (modellix_options_set_submit_path()). */
enum modellix_submit_path {
    MODELLIX_SUBMIT_PATH_DEFAULT = 0, /**< POST /api/v1/{provider}/{model} (newest API) */
    MODELLIX_SUBMIT_PATH_ASYNC = 1    /**< POST /api/v1/{provider}/{model}/async (older deployments) */
};

/**
 * Create an options object holding the defaults: no key (the client then reads MODELLIX_API_KEY),
 * no base URL (the client then reads MODELLIX_BASE_URL, else https://api.modellix.ai), 30 s per HTTP
 * exchange, 120 s per call without its own timeout, 3 submissions in flight, the default retry
 * policy, no log sink.
 *
 * @param[out] out receives the object; release it with modellix_options_free().
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL (out is NULL) or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_new(modellix_options **out);

/** Free an options object (and release its log user_data through its destroy function). NULL is ignored. @since 1.0 */
MODELLIX_API void modellix_options_free(modellix_options *o);

/**
 * Set the API key (copied). Leading and trailing white space is trimmed; the rest must be 1 to 16384
 * printable ASCII characters (0x21-0x7E). The key is only ever sent in the Authorization header of API
 * requests; it is never logged, never put into an error message and never sent to a file host.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL (bad key: the message never echoes it), ::MODELLIX_ENOMEM.
 *         On error the previous key is kept.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_api_key(modellix_options *o, const char *key);

/**
 * Set the API origin (copied), e.g. "https://api.modellix.ai". Trimmed; it must be an origin only:
 * scheme https (http only for localhost, 127.0.0.1 or [::1]), no user or password, no path other than
 * "/", no query, no fragment. It is normalised to scheme://host[:port] without a trailing slash.
 * NULL or "" restores the default behaviour (MODELLIX_BASE_URL, then https://api.modellix.ai).
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM. On error the previous value is kept.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_base_url(modellix_options *o, const char *origin);

/**
 * Set the time limit of one HTTP exchange (connect, send, receive), in milliseconds.
 * Each exchange also ends at the deadline of the call it belongs to, whichever is earlier.
 *
 * @param ms 1 to 86 400 000 (24 h). Default 30 000.
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_timeout_ms(modellix_options *o, int64_t ms);

/**
 * Set the deadline of calls that take no timeout argument (modellix_task_submit(),
 * modellix_task_attach(), modellix_task_poll()): everything the call does, retries and their waits
 * included, ends by then.
 *
 * @param ms 1 to 86 400 000. Default 120 000.
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_call_timeout_ms(modellix_options *o, int64_t ms);

/**
 * Set how many submissions may be running (submitted and not terminal) at once through this client,
 * the team's concurrency limit. Default 3.
 *
 * @param n 1 to 10 000.
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_max_in_flight(modellix_options *o, int32_t n);

/**
 * Use this retry policy (the options object keeps its own reference; the caller may free @p p right
 * after). NULL restores the default policy (see modellix_retry_policy_new_default()).
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_retry_policy(modellix_options *o,
                                                                     const modellix_retry_policy *p);

/**
 * Register a log sink. @p user_data_free, if not NULL, is called exactly once with @p user_data when
 * the registration is replaced or the options object is freed. A client made from these options
 * holds its own registration: its copy of @p user_data is released by the client (through the same
 * @p user_data_free) only when the last of the options object and the clients made from it is freed.
 * fn NULL removes the sink.
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_log_callback(modellix_options *o, modellix_log_fn fn,
                                                                     void *user_data,
                                                                     modellix_destroy_fn user_data_free);

/**
 * Set the most detailed level passed to the log sink. Default ::MODELLIX_LOG_INFO.
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL (not a ::modellix_log_level).
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_log_level(modellix_options *o, int32_t level);

/**
 * Set the User-Agent product token sent to the API (copied), e.g. "myapp/2.1". libmodellix appends
 * its own "libmodellix/x.y.z". Printable ASCII, at most 256 characters. NULL restores the default.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_user_agent(modellix_options *o, const char *product);

/**
 * Choose the submit path form: one of ::modellix_submit_path. A slug of three parts
 * ("text-to-image/provider/model") always uses the oldest typed form
 * /api/v1/{type}/{provider}/{model}/async whatever this says.
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_submit_path(modellix_options *o, int32_t form);

/**
 * Use a PEM file of CA certificates (copied path) to verify the API's and file hosts' TLS
 * certificates instead of the system store. Certificate verification (chain and host name) is always
 * on; there is no setting, option or environment variable that turns it off. NULL restores the
 * system store.
 *
 * The file is read when a connection is made: if it cannot be read, or the server's certificate does
 * not chain to it or does not match the host name, the call fails with ::MODELLIX_ETLS before any
 * request is sent, and is not retried.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_ca_file(modellix_options *o, const char *path);

/**
 * Replace the default poll schedule by @p fn. Registration and release of @p user_data work as for
 * modellix_options_set_log_callback(). fn NULL restores the default. This call and
 * modellix_options_set_poll_schedule_task() share one setting: the last call decides.
 *
 * The default (since 1.1): the first poll at once when a submission is accepted, then one every
 * 2 s up to an age of 20 s (the official CLI's schedule, so the same detection delay), then gaps of
 * 10 % of the task's age, at most 10 s, each poll up to 10 % of its gap early (jitter, so that tasks
 * submitted together drift apart). Once 5 tasks of a model (slug) have finished on the client, that
 * model's tasks are polled on a schedule learned from the durations of its recent tasks (see
 * modellix_client_poll_stats_export()). A schedule set here replaces both; the statistics are still
 * gathered. (1.0's default: 30 % of the task's age, between 2 s and 10 s, +-10 % jitter, the first
 * poll 2 s after the submission.)
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_poll_schedule(modellix_options *o, modellix_poll_fn fn,
                                                                      void *user_data,
                                                                      modellix_destroy_fn user_data_free);

/**
 * Replace the default poll schedule by @p fn, which is told the task it schedules (for instance to
 * poll by model, or by a duration the application expects). Otherwise as
 * modellix_options_set_poll_schedule(), with which it shares one setting: the last call decides.
 * fn NULL restores the default.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL (o NULL) or ::MODELLIX_ENOMEM (the previous setting is
 *         then kept).
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_poll_schedule_task(modellix_options *o,
                                                                           modellix_poll_task_fn fn,
                                                                           void *user_data,
                                                                           modellix_destroy_fn user_data_free);

/**
 * Seed the client's random source (retry and poll jitter), for reproducible tests. 0 (the default)
 * seeds from the clock.
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_random_seed(modellix_options *o, uint64_t seed);

/**
 * Keep sending queued submissions (modellix_task_submit_async()) after one of them ends with an
 * unknown outcome. Off by default, as in the official CLI's batch: after an unknown outcome the rest
 * of the queue is skipped, so that a failing service does not get a batch charged twice over.
 *
 * @param yes 1 to continue, 0 to stop (default).
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_continue_on_unknown(modellix_options *o, int32_t yes);

/**
 * Send the client's API requests (submissions, polls, the model list, account calls) over HTTP/1.1,
 * so that no paid submission is ever lost to an HTTP/2 GOAWAY. Downloads keep the default (HTTP/2
 * when the file host offers it; a file on the API's own host may reuse an idle HTTP/1.1 connection of
 * the client). Off by default: over https the client then speaks HTTP/2 when the server offers it,
 * one connection for a whole batch.
 *
 * Why: an HTTP/2 edge ends its connections with GOAWAY (nginx after 1000 requests by default), and
 * libcurl gives no way to tell a submission the server left unprocessed from one it took: such a
 * submission ends ::MODELLIX_EOUTCOME_UNKNOWN although nothing was charged, and by default the queue
 * halts (modellix_options_set_continue_on_unknown()). Measured through nginx (bench/goaway): about 1
 * in 6000 submissions at nginx's default of 1000 requests per connection; at 100 requests per
 * connection 2 in 1000 with 3 in flight, 14-22 in 1000 with 16. An HTTP/1.1 server ends a connection
 * only inside an answer ("Connection: close"), so none is in flight on a connection it is ending: with
 * this option, unknown outcomes come only from real failures (a time-out or reset after sending, a
 * 5xx).
 *
 * The cost: no multiplexing. Each request in flight needs a connection of its own, up to 16 per
 * client (as over plain http), kept alive and reused; a reconnect resumes the TLS session of an
 * earlier connection where the server allows. Polls go over HTTP/1.1 too: with libcurl 7.88 an
 * HTTP/1.1 answer stops multiplexing on the host's other connections until their next handshake, so
 * HTTP/1.1 submissions beside HTTP/2 polls opened far more connections than either alone. Nothing
 * changes over plain http or when the server offers only HTTP/1.1.
 *
 * @param yes 1 for HTTP/1.1, 0 for the default.
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL (o is NULL, or yes is neither 0 nor 1).
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_api_http1(modellix_options *o, int32_t yes);

/**
 * A completion callback: called once each time a task becomes done (see modellix_task_done()):
 * terminal, submission failed, or background polling failed for good. Called on the thread driving
 * the client, from inside modellix_client_step() or a blocking call. It may read the task; it must
 * not free it or call a function that drives the same client.
 */
typedef void (*modellix_task_fn)(modellix_task *t, void *user_data);

/**
 * Register a completion callback (see ::modellix_task_fn). Registration and release of
 * @p user_data work as for modellix_options_set_log_callback(). fn NULL removes it.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_task_callback(modellix_options *o, modellix_task_fn fn,
                                                                      void *user_data,
                                                                      modellix_destroy_fn user_data_free);

/* ---------------------------------------------------------------------------------------------- */
/* Proxies (since 1.1)                                                                              */

/**
 * Send every request (API calls and downloads) through a proxy.
 *
 * By default (and with @p url NULL) the proxy comes from the environment as libcurl reads it:
 * `http_proxy` for http (lower case only), `https_proxy` or `HTTPS_PROXY` for https, then
 * `all_proxy` / `ALL_PROXY`, with the hosts in `no_proxy` / `NO_PROXY` reached directly; see
 * modellix_options_set_proxy_from_env(). The library reads these when the client is made (API
 * requests) and when a download starts (each file host), and tells libcurl its decision.
 *
 * Downloads through a proxy keep their address rules for the file host, never for the proxy: the
 * file host's name is resolved here and every address it has must be public (or loopback, when the
 * API origin is loopback) before the proxy is asked, a private or reserved literal is refused
 * outright (::MODELLIX_EUNSAFE), and a proxy on a loopback or private address is fine. An https
 * file goes through a tunnel to the address that was checked (CONNECT to the address, the name
 * still verified by TLS); a plain-http file (::MODELLIX_DOWNLOAD_ALLOW_HTTP) is fetched by the
 * proxy, which resolves the name again itself, so a name whose addresses change in between is not
 * caught there. If the name cannot be resolved here (a network where only the proxy resolves
 * names), the download fails with ::MODELLIX_ENETWORK unless ::MODELLIX_DOWNLOAD_ALLOW_PRIVATE is
 * given.
 *
 * @param url  "scheme://[user:password@]host[:port]" with scheme http, https, socks4, socks4a,
 *             socks5 or socks5h (at most 2048 printable ASCII characters; copied); NULL restores
 *             the default. The URL may hold credentials: it is never logged.
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_proxy(modellix_options *o, const char *url);

/**
 * The hosts reached without the proxy, like libcurl's `NO_PROXY`: entries separated by commas or
 * spaces; "*" means every host; a name matches itself and its subdomains (a leading dot is
 * ignored); an IP address or CIDR range (e.g. "10.0.0.0/8", "::1") matches the literal addresses
 * in it (names are not resolved for this). "" means no exceptions; NULL (the default) means the
 * environment's `no_proxy` / `NO_PROXY` when modellix_options_set_proxy_from_env() allows it.
 *
 * @param hosts at most 4096 printable characters (copied), or NULL.
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_no_proxy(modellix_options *o, const char *hosts);

/**
 * Whether the environment's proxy variables are read (see modellix_options_set_proxy()).
 *
 * @param use_env 1 (the default): without a proxy or no-proxy list set here, use the environment's;
 *                0: never read them: no proxy unless one is set here, and only the no-proxy list
 *                set here.
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_options_set_proxy_from_env(modellix_options *o, int32_t use_env);

/* ---------------------------------------------------------------------------------------------- */
/* Client                                                                                           */

/**
 * Create a client. The options are copied, so @p opts may be freed or changed afterwards.
 *
 * With @p opts NULL, or with no key in it, the key comes from the environment variable
 * MODELLIX_API_KEY; with no base URL in it, the origin comes from MODELLIX_BASE_URL, else
 * https://api.modellix.ai. Both are validated as in modellix_options_set_api_key() and
 * modellix_options_set_base_url(). No network traffic happens here.
 *
 * @param[out] out receives the client, or NULL on error. Free it with modellix_client_free().
 * On failure there is no client to carry a message, so the reason (naming the setting or the
 * environment variable, never the key) goes to the log sink of @p opts at ::MODELLIX_LOG_ERROR;
 * except for ::MODELLIX_EINIT and an ::MODELLIX_ENOMEM before the client exists, which have no
 * more to say than their code.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL (bad base URL or key, from @p opts or the environment),
 *         ::MODELLIX_ENOKEY (no key anywhere), ::MODELLIX_ENOMEM, ::MODELLIX_EINIT.
 * @example
 *     modellix_client *client;
 *     int rc = modellix_client_new(&client, NULL); // key and origin from the environment
 *     if (rc != MODELLIX_OK) {
 *         fprintf(stderr, "client: %s\n", modellix_strerror(rc)); // MODELLIX_ENOKEY: no key set
 *         return 1;
 *     }
 *     // ... submit, wait, download ...
 *     modellix_client_free(client);
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_new(modellix_client **out, const modellix_options *opts);

/**
 * Free a client: stop its transfers, close its connections and release its resources. Every task made
 * from the client must be freed first (a task outliving its client is a use-after-free). NULL is
 * ignored.
 * @since 1.0
 */
MODELLIX_API void modellix_client_free(modellix_client *c);

/**
 * Ask the blocking call running on @p c (in another thread) to return ::MODELLIX_ECANCELED as soon as
 * possible (well within 100 ms). If no call is running, the next blocking call returns
 * ::MODELLIX_ECANCELED at once; the request is consumed by the call that returns it. A submission
 * already on the wire is not undone: such a submit returns ::MODELLIX_EOUTCOME_UNKNOWN instead.
 *
 * This is the only function that may be called from another thread while @p c is in use. It is
 * async-signal-safe (an atomic store and a write(2) to the engine's wake-up descriptor; no lock, no
 * allocation), so a SIGINT or SIGTERM handler may call it to end a wait and report what was paid for.
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL (c is NULL).
 * @since 1.0
 */
MODELLIX_API int modellix_client_cancel(modellix_client *c);

/**
 * The client's poll statistics as JSON, so that a program (and the CLI) can keep what it learned
 * between runs and give it back with modellix_client_poll_stats_import():
 * {"version":1,"models":[{"slug":"bytedance/seedream-4.5-t2i","durations_ms":[5120,4980,...]}]}.
 *
 * The client records, per model slug, the durations of the last 16 tasks it submitted that finished
 * (SUCCESS or FAILED) as seen by its polls: the answer's data.duration (milliseconds) when it lies
 * within the time in which the task is known to have finished; else, only while the model has fewer
 * than 5 durations, the middle of that time when it is within 2 x (5 % of the task's age + 0.3 s),
 * or both its ends when it is within the default schedule's gaps. At most 64 models are kept; the least
 * recently observed one makes room for a new one. Once a model has 5 durations, its tasks are polled
 * on a schedule learned from them (spread over the range they cover), unless the application set
 * its own schedule. Nothing else is exported: no task ids, no keys, no times of day.
 *
 * @param json_out receives a NUL-terminated string, freed with modellix_free(); set to NULL on
 *                 failure.
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL (a NULL argument) or ::MODELLIX_ENOMEM.
 * Threads: as any call on @p c.
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_poll_stats_export(char **json_out, modellix_client *c);

/**
 * Replace the client's poll statistics by those in @p json (as made by
 * modellix_client_poll_stats_export()). The text is checked as untrusted input and taken whole or
 * not at all: at most 256 KiB; exactly the keys "version" (1) and "models" (an array of at most 64
 * objects with exactly the keys "slug", a valid model slug given once, and "durations_ms", 1 to 16
 * integers from 0 to 604 800 000); no duplicate keys. On any failure the previous statistics stay
 * and the client's error message says what was wrong.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL (a NULL argument or invalid text), ::MODELLIX_ETOOLARGE
 *         (over 256 KiB) or ::MODELLIX_ENOMEM.
 * Threads: as any call on @p c.
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_poll_stats_import(modellix_client *c, const char *json);

/**
 * Let queued submissions go out again after one ended with an unknown outcome. By default
 * (modellix_options_set_continue_on_unknown()) such an outcome halts the client's submission queue:
 * the queued tasks end ::MODELLIX_SUBMIT_SKIPPED and later modellix_task_submit_async() calls are
 * skipped too, until the application has decided what to do (typically: checked whether the
 * unknown task exists, with its model and the time) and calls this.
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_resume(modellix_client *c);

/**
 * 1 while the submission queue is halted by an unknown outcome (see modellix_client_resume()), else 0.
 * @since 1.1
 */
MODELLIX_API int32_t modellix_client_halted(const modellix_client *c);

/**
 * The number of the client's submissions not yet answered: queued by modellix_task_submit_async()
 * or on the wire.
 * @since 1.1
 */
MODELLIX_API size_t modellix_client_pending_count(const modellix_client *c);

/**
 * The result code of the last call on @p c or on a task of @p c (::MODELLIX_OK if it succeeded).
 * Background failures are not reported here but on their task (see the thread and error rules above).
 * @since 1.0
 */
MODELLIX_API int32_t modellix_client_errcode(const modellix_client *c);

/**
 * A message for the last call on @p c or on one of its tasks, if it failed: "" if it succeeded,
 * never NULL.
 * Borrowed: valid until the next call on the client or its tasks. Never contains the API key.
 * @since 1.0
 */
MODELLIX_API const char *modellix_client_errmsg(const modellix_client *c);

/** The HTTP status of the response behind the last failure on @p c, or 0 if there was none. @since 1.0 */
MODELLIX_API int32_t modellix_client_http_status(const modellix_client *c);

/**
 * The server's request id (X-Request-Id header, or "request_id" in the body) of the response behind
 * the last failure, or NULL. Borrowed like modellix_client_errmsg(). Quote it to Modellix support.
 * @since 1.0
 */
MODELLIX_API const char *modellix_client_request_id(const modellix_client *c);

/** The API origin this client talks to, e.g. "https://api.modellix.ai". Borrowed (client lifetime). @since 1.0 */
MODELLIX_API const char *modellix_client_base_url(const modellix_client *c);

MODELLIX_END_DECLS

#endif /* MODELLIX_CLIENT_H */
