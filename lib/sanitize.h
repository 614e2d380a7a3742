/* sanitize.h - the one choke point for text that came from the network.
 *
 * Every string the library keeps from a response (a body, a server message, a failed task's detail,
 * a status word, a resource field, a header such as X-Request-Id) passes here before it is stored or
 * logged, in this order: redact the API key, then clean, then bound. Redacting first means a cut can
 * never leave part of a key behind; and a string that arrives already cut (a fixed-size header
 * buffer) loses any trailing fragment that begins the key. */
#ifndef MODELLIX_SANITIZE_H
#define MODELLIX_SANITIZE_H

#include <stddef.h>

/* Keys shorter than this are not real credentials (Modellix keys are long): they are not redacted,
   since replacing a short word everywhere would mangle messages and reveal the key by where the
   marks land. */
#define MX_REDACT_MIN_KEY 8
/* A trailing fragment of at least this many bytes that begins the key is dropped (a string that
   arrived cut short inside the key). */
#define MX_REDACT_MIN_FRAGMENT 4
/* Anywhere in a string, a piece of the key is redacted when it is its first MX_REDACT_MIN_PREFIX
   bytes or more, or MX_REDACT_MIN_PIECE bytes or more from anywhere in it. */
#define MX_REDACT_MIN_PREFIX 8
#define MX_REDACT_MIN_PIECE 12

enum mx_san_mode {
    MX_SAN_RAW = 0, /* redact only: bytes kept as received (a JSON body stays valid JSON) */
    MX_SAN_TEXT = 1 /* redact, then control, bidirectional-override and invalid UTF-8 characters
                       become spaces, leading and trailing white space is dropped */
};

/* A malloc'd sanitized copy of [s, s+n) (key may be NULL: nothing to redact), at most max bytes
 * (cut between whole characters), or NULL when nothing is left or memory ran out. */
char *mx_sanitize(const char *key, const char *s, size_t n, size_t max, int mode);

/* The same into out[cap] (always terminated); returns the length written. */
size_t mx_sanitize_into(const char *key, const char *s, size_t n, char *out, size_t cap, int mode);

/* Sanitize a NUL-terminated string held in buf[cap] in place (MX_SAN_TEXT). */
void mx_sanitize_inplace(const char *key, char *buf, size_t cap);

#endif
