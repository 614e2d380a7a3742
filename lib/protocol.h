/* protocol.h - the Modellix wire protocol as pure functions: paths, status words, response parsing,
 * header hints and HTTP status classification. jansson stays inside protocol.c. No I/O. */
#ifndef MODELLIX_PROTOCOL_H
#define MODELLIX_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

/* The most an answer may hold, by kind, enforced while it is read (a larger one ends the attempt with
 * MODELLIX_ETOOLARGE; on a submit, with an unknown outcome): task answers (submit, query) are about
 * 1 KB; the models list is the largest answer; an error envelope is kept up to its own cap and the
 * rest dropped (its status decides, not its body). Values are bounded too, one per 16 bytes of the
 * cap, so that a parse allocates a small multiple of the cap (~50 bytes per value in jansson). */
#define MX_RESPONSE_MAX ((size_t)8 * 1024 * 1024)
#define MX_TASK_RESPONSE_MAX ((size_t)1024 * 1024)
#define MX_ERROR_RESPONSE_MAX ((size_t)64 * 1024)
#define MX_RESPONSE_VALUES(cap) ((cap) / 16)
/* The cap of an operation's answers (MODELLIX_OP_*). */
size_t mx_response_cap(int32_t op);
#define MX_RESOURCES_MAX 1000
#define MX_MESSAGE_RAW_MAX 65536

/* Paths (malloc'd; NULL on out of memory). Dynamic segments are percent-encoded like
 * encodeURIComponent: only A-Za-z0-9 and -._~ stay as they are. */
char *mx_path_submit(const char *type, const char *provider, const char *model, int async_suffix);
char *mx_path_task(const char *task_id);

/* MODELLIX_TASK_* for a status word (case-insensitive); PROCESSING for unknown non-terminal words. */
int32_t mx_status_from_word(const char *word);

/* The fault class of an HTTP status for an operation, following design.md section 5. */
enum mx_class { MX_CLASS_OK = 0, MX_CLASS_NOT_SENT, MX_CLASS_REJECTED, MX_CLASS_THROTTLED, MX_CLASS_UNKNOWN };
int mx_classify_status(long status, int is_submit);
/* The result code for a failed HTTP status (GET semantics; submits map UNKNOWN to OUTCOME_UNKNOWN). */
int mx_code_for_status(long status, int is_submit);

/* A parsed resource; strings are malloc'd. */
typedef struct mx_resource {
    char *url;
    char *type;
    char *format;
    char *role;
    int64_t width;
    int64_t height;
} mx_resource;

/* What a task response says. */
typedef struct mx_task_info {
    char *task_id;
    char *status_word;   /* as sent */
    int32_t status;      /* MODELLIX_TASK_* */
    char *error_message; /* detail of a failed task, if any, as sent (not yet sanitized) */
    char *request_id;    /* result.metadata.request_id, if any */
    mx_resource *resources;
    size_t n_resources;
    int64_t duration_ms; /* data.duration (milliseconds), -1 if absent or not a number in 0 .. 2^40 */
} mx_task_info;

void mx_task_info_free(mx_task_info *ti);

/* What a parse of a task answer found besides the result. */
typedef struct mx_parse_report {
    int mismatch;   /* the answer names another task than the one asked about */
    int not_json;   /* the body is no JSON document at all (empty, cut short, garbage): maybe transient */
    char err[200];  /* why the answer was refused */
    char warn[200]; /* a submit answer: what was odd without stopping its acceptance ("" if nothing) */
} mx_parse_report;

/* Parse a 2xx body of a task query about expected_id, or (expected_id NULL) of a submission.
 *
 * A query's answer must be whole: the asked-for data.task_id, a valid data.status, resources within
 * the limits; else MODELLIX_EPROTOCOL with rep->err (and rep->mismatch / rep->not_json set).
 *
 * A submission's answer follows the acceptance rule: when it carries a valid data.task_id the task
 * exists and is accepted, whatever else is odd (an invalid status reads as pending, invalid resources
 * as none, a document beyond the depth or node limits as an id alone); each oddity is described in
 * rep->warn. Without a valid id it is MODELLIX_EPROTOCOL.
 *
 * Numbers beyond int64 or double are read as 0 instead of failing the document (json_tame.h).
 * On error *out is left empty. */
int mx_parse_task_response(const char *body, size_t len, const char *expected_id, mx_task_info *out,
                           mx_parse_report *rep);

/* The "message" of an error envelope as sent (at most MX_MESSAGE_RAW_MAX bytes, else NULL), or NULL.
 * Not sanitized: it goes through mx_sanitize() (sanitize.h) before it is stored or shown. */
char *mx_parse_error_message(const char *body, size_t len);

/* Retry-After: delta-seconds or an HTTP date, in ms from now (now_unix: current wall-clock seconds).
 * Returns -1 if absent or malformed. Large values are returned as they are (callers cap them). */
int64_t mx_parse_retry_after(const char *value, int64_t now_unix);
/* X-RateLimit-Reset, in ms from now (now_unix_ms: current wall-clock milliseconds); 0 if past, -1 if
 * malformed. Below 1e9 it is seconds from now; above, a Unix time in seconds (< 1e11), milliseconds
 * (< 1e14), microseconds (< 1e17) or nanoseconds. Large values are returned as they are (callers cap
 * them: pacing never waits more than MX_PACE_MAX_MS). */
int64_t mx_parse_ratelimit_reset_ms(const char *value, int64_t now_unix_ms);
/* The same with the clock in whole seconds. */
int64_t mx_parse_ratelimit_reset(const char *value, int64_t now_unix);
/* A non-negative integer header value, or -1. */
int64_t mx_parse_header_int(const char *value);

#endif
