/* validate.h - pure validators for what users and servers hand the library. No I/O.
 *
 * Each returns 0 when valid, or MODELLIX_EINVAL with a message in err (never echoing a key). */
#ifndef MODELLIX_VALIDATE_H
#define MODELLIX_VALIDATE_H

#include <stddef.h>
#include <stdint.h>

#define MX_KEY_MAX 16384
#define MX_SLUG_MAX 256
#define MX_TASK_ID_MAX 512
#define MX_SAFE_TEXT_STATUS_MAX 64
#define MX_BODY_MAX ((size_t)64 * 1024 * 1024)
#define MX_JSON_MAX_DEPTH 100
#define MX_JSON_MAX_NODES 250000

/* Decode one UTF-8 sequence of at most n bytes: its length, or 0 if malformed. */
size_t mx_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);
/* 1 for C0/C1 controls and bidirectional-override characters. */
int mx_unsafe_codepoint(uint32_t cp);

/* Text free of C0/C1 controls and bidirectional-override characters (UTF-8). Non-empty. */
int mx_safe_text(const char *s, size_t n);

/* API key: trimmed copy in *out (malloc'd) when valid. */
int mx_validate_api_key(const char *key, char **out, char *err, size_t errcap);

/* Base URL: normalised origin "scheme://host[:port]" in *out when valid. */
int mx_validate_base_url(const char *url, char **out, char *err, size_t errcap);

/* 1 if the host of a normalised origin or URL is loopback (localhost, 127.0.0.0/8, ::1). */
int mx_url_is_loopback(const char *url);

/* Model slug "provider/model" or "type/provider/model": trimmed parts copied into *type (NULL for
   two parts), *provider and *model (malloc'd). */
int mx_validate_slug(const char *slug, char **type, char **provider, char **model, char *err, size_t errcap);

/* Task id: trimmed copy in *out (malloc'd) when valid. */
int mx_validate_task_id(const char *id, char **out, char *err, size_t errcap);

/* Request body: a JSON object within the size, depth and node limits, finite numbers. */
int mx_validate_body(const char *body, size_t len, char *err, size_t errcap);

#endif
