/* harness.h - shared fixture for the HTTP tests: an in-process mock server on loopback, a client
 * pointed at it, a log capture that fails the test if the API key ever appears, and helpers. */
#ifndef MODELLIX_TEST_HARNESS_H
#define MODELLIX_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "child_tie.h" /* fx_tie_to_parent */
#include "mock.h"

#include <modellix/modellix.h>

/* A key that must never show up in a log line, an error message or a file. */
#define FX_KEY "sk-test-SENTINEL-7f3a9c1e5b"
#define FX_SLUG "bytedance/seedream-4.5-t2i"
#define FX_BODY "{\"prompt\":\"a red fox in the snow\"}"

typedef struct fixture {
    mock_server *m;
    modellix_client *c;
    char log[65536];
    size_t log_len;
    int log_lines;
} fixture;

/* Fixture knobs for fx_client(). */
typedef struct fx_opts {
    int64_t timeout_ms;      /* 0 = 5000 */
    int64_t call_timeout_ms; /* 0 = 10000 */
    int fast_retries;        /* 1 = a custom policy: 4 attempts, 5 ms apart (default behaviour, no waiting) */
    modellix_retry_policy *policy; /* used when set */
    const char *base_url;    /* NULL = the mock's */
    int32_t submit_path;
    const char *ca_file;     /* NULL = the system store */
    int32_t max_in_flight;   /* 0 = the library's default */
    modellix_attempt_fn on_attempt; /* with on_attempt_ud; NULL = none */
    void *on_attempt_ud;
    const char *proxy;       /* modellix_options_set_proxy when set */
    const char *no_proxy;    /* modellix_options_set_no_proxy when set */
    int no_env_proxy;        /* 1 = modellix_options_set_proxy_from_env(0) */
} fx_opts;

/* Group-level: start the mock (tasks take `duration_ms`; no concurrency limit). */
int fx_setup(void **state);
int fx_teardown(void **state);
/* Per-test: reset counters and faults, make a fresh client with `o` (NULL = defaults + fast retries). */
void fx_client(fixture *f, const fx_opts *o);
/* Per-test teardown: free the client and check the captured log holds no key. */
int fx_test_teardown(void **state);
int fx_test_setup(void **state);

/* Add a fault quickly. */
void fx_fault(fixture *f, int32_t route, const char *method, int32_t kind, int32_t status, int32_t count);
void fx_fault_full(fixture *f, const mock_fault *flt);
/* The next `count` POSTs on `route` (0: all of them) create their task, so the service charged it,
 * and then meet fault `kind` (with `status` for MOCK_FAULT_STATUS): the answer is lost or wrong. */
void fx_fault_charged(fixture *f, int32_t route, int32_t kind, int32_t status, int32_t count);

int64_t fx_requests(fixture *f, int32_t route);
int64_t fx_tasks_created(fixture *f);
int64_t fx_ms(void);
/* 1 if the client's error message, the log and `extra` are free of the key. */
void fx_assert_no_key(fixture *f, const char *extra);

/* A fresh directory under /tmp (release with fx_remove_dir), the number of entries in one, and its
 * removal with the files in it (it also frees the string). */
char *fx_make_dir(void);
int fx_count_entries(const char *dir);
/* On client c: submit a task with n result files (the mock's mock_resources), wait for its success,
 * download each file into memory and check it is a PNG. */
void fx_task_with_files(modellix_client *c, size_t n);
/* Open descriptors of this process (/proc/self/fd, without the descriptor that reads it). */
int fx_fd_count(void);
void fx_remove_dir(char *dir);

/* 1 when the test runs under valgrind (its preload is in LD_PRELOAD): valgrind's own memory is in the
 * process's RSS and every instruction costs 20-50 times more. */
int fx_under_valgrind(void);

/* The custom fast policy's callback (also used directly by tests). */
int64_t fx_fast_policy(const modellix_attempt *a, void *ud);

#endif
