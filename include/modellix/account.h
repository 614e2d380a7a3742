/**
 * @file modellix/account.h
 * @brief Account calls (key validation, team balance) and the model catalogue.
 *
 * Each network call here is one GET under the client's call deadline
 * (modellix_options_set_call_timeout_ms()), retried on transient failures (network, 429, 5xx) by the
 * client's retry policy as operation ::MODELLIX_OP_ACCOUNT. None of them costs money. Failure details
 * are on the client: modellix_client_errmsg(), modellix_client_http_status(),
 * modellix_client_request_id().
 *
 * The catalogue is fetched once and then filtered and searched locally, as the official CLI does:
 *
 *     modellix_models *all, *videos;
 *     if (modellix_models_list(&all, client) == MODELLIX_OK
 *         && modellix_models_filter(&videos, all, "text-to-video", NULL, NULL, 0) == MODELLIX_OK) {
 *         for (size_t i = 0; i < modellix_models_count(videos); i++)
 *             printf("%s  %s\n", modellix_models_slug(videos, i), modellix_models_docs_url(videos, i));
 *         modellix_models_free(videos);
 *     }
 *     modellix_models_free(all);
 *
 * Threads: the network calls follow the client's thread rule (client.h). A ::modellix_models object is
 * immutable once made: it may be read from several threads at once, and it does not depend on the
 * client (it may outlive it).
 */
#ifndef MODELLIX_ACCOUNT_H
#define MODELLIX_ACCOUNT_H

#include "common.h"

MODELLIX_BEGIN_DECLS

/** A list of models from the catalogue (GET /api/v1/models), in the service's order. */
typedef struct modellix_models modellix_models;

/* ---------------------------------------------------------------------------------------------- */
/* Account                                                                                          */

/**
 * Ask the service whether the client's API key is valid (GET /api/v1/apikey/validate).
 *
 * A key the service rejects can be reported either way: as an answer with is_valid false (the call
 * succeeds and sets *valid_out to 0) or as HTTP 401/403 (::MODELLIX_EAUTH).
 *
 * @param c              the client.
 * @param[out] valid_out receives 1 if the key is valid, 0 if not (0 also on error).
 * @return ::MODELLIX_OK; ::MODELLIX_EINVAL (a NULL argument); ::MODELLIX_EAUTH (HTTP 401 or 403);
 *         ::MODELLIX_EPROTOCOL (not JSON, or data.is_valid missing or not a boolean);
 *         ::MODELLIX_ETOOLARGE (over 16 MiB); ::MODELLIX_ERATELIMIT, ::MODELLIX_ESERVER (still failing
 *         after the retries); ::MODELLIX_EHTTP; ::MODELLIX_ENOTFOUND; ::MODELLIX_ENETWORK;
 *         ::MODELLIX_ETIMEOUT; ::MODELLIX_ECANCELED; ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_validate_key(modellix_client *c, int32_t *valid_out);

/**
 * Read the team's balance (GET /api/v1/team/balance).
 *
 * @param c                the client.
 * @param[out] balance_out receives data.balance, a finite number (US dollars in the service's
 *                         examples), or 0 on error.
 * @return ::MODELLIX_OK; ::MODELLIX_EINVAL (a NULL argument); ::MODELLIX_EPROTOCOL (not JSON, or
 *         data.balance missing or not a finite number); ::MODELLIX_EAUTH; ::MODELLIX_ETOOLARGE;
 *         ::MODELLIX_ERATELIMIT; ::MODELLIX_ESERVER; ::MODELLIX_EHTTP; ::MODELLIX_ENOTFOUND;
 *         ::MODELLIX_ENETWORK; ::MODELLIX_ETIMEOUT; ::MODELLIX_ECANCELED; ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_balance(modellix_client *c, double *balance_out);

/* ---------------------------------------------------------------------------------------------- */
/* Model catalogue                                                                                  */

/**
 * Fetch the model catalogue (GET /api/v1/models, a top-level {"models":[...]} without the usual
 * envelope).
 *
 * Every entry must be an object with a string "slug" that is, once trimmed, non-empty text of at
 * most 256 characters without control or bidirectional-override characters; otherwise the whole
 * answer is refused. Other fields are free-form: they are read when they have the expected type and
 * are always available through modellix_models_json().
 *
 * @param[out] out receives the list (free it with modellix_models_free()), or NULL on error.
 * @param c        the client.
 * @return ::MODELLIX_OK; ::MODELLIX_EINVAL (a NULL argument); ::MODELLIX_EPROTOCOL (not JSON, past the
 *         JSON depth or size limits, no "models" array, or "every model must include a string
 *         slug"); ::MODELLIX_ETOOLARGE (over 16 MiB); ::MODELLIX_EAUTH; ::MODELLIX_ERATELIMIT;
 *         ::MODELLIX_ESERVER; ::MODELLIX_EHTTP; ::MODELLIX_ENOTFOUND; ::MODELLIX_ENETWORK;
 *         ::MODELLIX_ETIMEOUT; ::MODELLIX_ECANCELED; ::MODELLIX_ENOMEM.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_models_list(modellix_models **out, modellix_client *c);

/**
 * Select models locally, as the official CLI's model list filters do. A NULL or empty (after
 * trimming) filter matches every model; the others must all match. Comparisons ignore ASCII case.
 *
 * @param[out] out receives a new list holding copies of the matching entries, in their order (free
 *                 it with modellix_models_free()), or NULL on error. It may be empty.
 * @param m        the list to select from (not changed).
 * @param type     the exact type, e.g. "text-to-image", or NULL. Models without a type never match it.
 * @param provider the exact provider, as modellix_models_provider() gives it, or NULL.
 * @param search   a substring of the slug, a newline and the description, or NULL.
 * @param limit    keep at most this many matches; 0 means no limit.
 * @return ::MODELLIX_OK; ::MODELLIX_EINVAL (@p out or @p m NULL); ::MODELLIX_ENOMEM. No client is
 *         involved: errors are reported by the return code only. Thread-safe for distinct @p out.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_models_filter(modellix_models **out, const modellix_models *m,
                                                          const char *type, const char *provider,
                                                          const char *search, size_t limit);

/**
 * Find a model by its slug (trimmed, ASCII case-insensitive), as the CLI's "model describe" does.
 *
 * @param m              the list.
 * @param slug           the slug to look for.
 * @param[out] index_out receives the index of the first match, for the accessors below; may be NULL
 *                       to test for presence only.
 * @return ::MODELLIX_OK; ::MODELLIX_ENOTFOUND (no such model); ::MODELLIX_EINVAL (@p m or @p slug
 *         NULL). Errors are reported by the return code only. Thread-safe.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_models_find(const modellix_models *m, const char *slug,
                                                        size_t *index_out);

/** Free a model list (its strings become invalid). NULL is ignored. @since 1.0 */
MODELLIX_API void modellix_models_free(modellix_models *m);

/* Accessors: borrowed strings live as long as the list. Out-of-range indexes give NULL. */

/** The number of models in the list (0 for NULL). @since 1.0 */
MODELLIX_API size_t modellix_models_count(const modellix_models *m);

/** Model @p i's slug, e.g. "google/nano-banana-2", trimmed. Never NULL for a valid index. @since 1.0 */
MODELLIX_API const char *modellix_models_slug(const modellix_models *m, size_t i);

/** Model @p i's type ("text-to-image", "image-to-video", ...), trimmed, or NULL if absent or not safe text.
 * @since 1.0 */
MODELLIX_API const char *modellix_models_type(const modellix_models *m, size_t i);

/**
 * Model @p i's provider: "provider", "providerSlug" or "provider_slug" (the first usable one; each may
 * be a string or an object with "slug", "name" or "id"), trimmed; otherwise the slug's part before
 * its first '/'. NULL if there is neither.
 * @since 1.0
 */
MODELLIX_API const char *modellix_models_provider(const modellix_models *m, size_t i);

/** Model @p i's description as sent (UTF-8, may contain line breaks), or NULL if absent or not a string. @since 1.0 */
MODELLIX_API const char *modellix_models_description(const modellix_models *m, size_t i);

/** Model @p i's documentation page (docs_url: an http or https URL, trimmed), or NULL if absent or invalid.
 * @since 1.0 */
MODELLIX_API const char *modellix_models_docs_url(const modellix_models *m, size_t i);

/**
 * Model @p i's whole catalogue entry as compact JSON (keys in the order received), for the fields
 * this API has no accessor for. The slug in it is as sent (not trimmed).
 * @since 1.0
 */
MODELLIX_API const char *modellix_models_json(const modellix_models *m, size_t i);

/**
 * The whole answer the list was made from (GET /api/v1/models), as received, so that a program can
 * keep the answer's other top-level fields (a `code`, a `message`, ...): the official CLI prints
 * `{...answer, "models": filtered}`. A list made by modellix_models_filter() carries the answer of
 * the list it was filtered from. Borrowed: lives as long as @p m. NULL if @p m is NULL. Like every
 * string from the network, the API key in it is redacted.
 * @since 1.1
 */
MODELLIX_API const char *modellix_models_response_json(const modellix_models *m);

MODELLIX_END_DECLS

#endif /* MODELLIX_ACCOUNT_H */
