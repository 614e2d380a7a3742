/**
 * @file modellix/common.h
 * @brief Export macro, C++ guards and the opaque handle types shared by every libmodellix header.
 *
 * Every header of libmodellix includes this one; users normally include only <modellix/modellix.h>.
 * Nothing from libcurl or jansson is visible here or in any other public header.
 */
#ifndef MODELLIX_COMMON_H
#define MODELLIX_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) || defined(__CYGWIN__)
#  if defined(MODELLIX_BUILDING)
#    define MODELLIX_API __declspec(dllexport)
#  else
#    define MODELLIX_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define MODELLIX_API __attribute__((visibility("default")))
#else
#  define MODELLIX_API
#endif

/* Fallible functions warn when their result is ignored. Define MODELLIX_NO_NODISCARD to silence. */
#if !defined(MODELLIX_NO_NODISCARD) && defined(__GNUC__) && __GNUC__ >= 4
#  define MODELLIX_NODISCARD __attribute__((warn_unused_result))
#else
#  define MODELLIX_NODISCARD
#endif

#ifdef __cplusplus
#  define MODELLIX_BEGIN_DECLS extern "C" {
#  define MODELLIX_END_DECLS }
#else
#  define MODELLIX_BEGIN_DECLS
#  define MODELLIX_END_DECLS
#endif

MODELLIX_BEGIN_DECLS

/** Settings for a client; built with modellix_options_new(), copied by modellix_client_new(). */
typedef struct modellix_options modellix_options;
/** A connection to the Modellix API: credentials, connection pool, scheduler and error state. */
typedef struct modellix_client modellix_client;
/** One generation task: its id, last known state, result and error detail. */
typedef struct modellix_task modellix_task;
/** A retry policy: decides whether and when a failed exchange is tried again. */
typedef struct modellix_retry_policy modellix_retry_policy;
/** The record of one failed exchange, handed to a retry policy callback (read-only, borrowed). */
typedef struct modellix_attempt modellix_attempt;

/** Releases a callback's user_data; called exactly once when the registration ends. */
typedef void (*modellix_destroy_fn)(void *user_data);

MODELLIX_END_DECLS

#endif /* MODELLIX_COMMON_H */
