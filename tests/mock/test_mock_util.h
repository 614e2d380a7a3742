/* test_mock_util.h - libcurl helpers shared by the mock server's cmocka tests. */
#ifndef MODELLIX_TEST_MOCK_UTIL_H
#define MODELLIX_TEST_MOCK_UTIL_H

#include "mock.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tm_resp {
    long status;          /* 0 when no response */
    CURLcode rc;          /* transfer result */
    char *body;           /* NUL-terminated (may contain NULs before body_len) */
    size_t body_len;
    char *headers;        /* raw header block */
    json_t *json;         /* parsed body, or NULL */
} tm_resp;

/* One request on a fresh connection. headers: NULL-terminated list of "Name: value" (may be NULL).
   body: NULL for none. Redirects are not followed. */
int tm_request(const char *method, const char *url, const char *const *headers, const char *body, tm_resp *out);
/* Same, reusing a caller-owned easy handle (keep-alive), following redirects when follow != 0. */
int tm_request_on(CURL *h, const char *method, const char *url, const char *const *headers, const char *body,
                  int follow, tm_resp *out);
void tm_resp_free(tm_resp *r);
/* Header value (case-insensitive name) copied into buf; returns buf or NULL. */
const char *tm_header(const tm_resp *r, const char *name, char *buf, size_t buflen);
/* data.<field> as a string, or NULL. */
const char *tm_data_str(const tm_resp *r, const char *field);

/* Start a server with the given duration (-1 = per model) and defaults otherwise. */
mock_server *tm_start(int64_t duration_ms);
/* URL helpers: base + path into a static-per-call buffer owned by the caller. */
void tm_url(mock_server *m, const char *path, char *buf, size_t buflen);
/* Authorised GET/POST shorthands. */
int tm_get(mock_server *m, const char *path, tm_resp *out);
int tm_post(mock_server *m, const char *path, const char *body, tm_resp *out);
/* Submit {"prompt":"p", extra...} to the newest path for slug; returns the task id (malloc'd) or NULL. */
char *tm_submit(mock_server *m, const char *slug, const char *extra_json_fields);
/* Poll a task until its status is terminal (or ~10 s pass); the final response is left in out. */
int tm_wait_terminal(mock_server *m, const char *task_id, tm_resp *out);
void tm_sleep_ms(long ms);

extern const char *const tm_auth[]; /* {"Authorization: Bearer test-key", "Content-Type: application/json", NULL} */

#endif
