/* bench_util.h - helpers shared by the "many tasks" benchmarks (throughput, baseline_curl, memory):
 * starting a standalone modellix-mock process, reading its counters, clocks, key=value arguments.
 *
 * Loopback only: a target is either the path of the modellix-mock program (started here with
 * --port 0, so it listens on 127.0.0.1) or an already running mock's base URL, which must be
 * http://127.x.x.x:PORT, http://localhost:PORT or http://[::1]:PORT. Nothing else is accepted. */
#ifndef MODELLIX_BENCH_UTIL_H
#define MODELLIX_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A mock process (or an external mock when pid is -1). */
typedef struct bu_mock {
    pid_t pid;     /* the child, or -1 for an external mock given by URL */
    int out_fd;    /* read end of the child's stdout, kept open so the child never gets SIGPIPE */
    char url[256]; /* base URL, no trailing slash */
} bu_mock;

/* Start `target` (a program path) with "--port 0" followed by the NULL-terminated extra flags, and
 * read its first stdout line (the base URL) within 20 s; or, if target is a loopback http:// URL,
 * use that mock as it is (extra flags are then ignored: it must have been started with them).
 * Returns 0, or -1 with a message on stderr. */
int bu_mock_start(bu_mock *m, const char *target, const char *const *extra_flags);
/* SIGTERM the child by its PID, wait for it up to 5 s, then SIGKILL. Safe on a failed start. */
void bu_mock_stop(bu_mock *m);

/* The mock's counters (GET /_mock/counters; /_mock/ requests themselves are not counted). */
typedef struct bu_counters {
    int64_t req_any, req_submit, req_task;
    int64_t connections, tasks_created, max_concurrent;
} bu_counters;
/* Returns 0 or -1. Uses a libcurl easy handle of its own (curl_global_init must have been called). */
int bu_mock_counters(const char *url, bu_counters *out);

/* Clear the proxy variables and set no_proxy=*, so that nothing is ever sent through a proxy. Call
 * first thing in main(), before any libcurl or libmodellix call. */
void bu_no_proxy(void);

/* Monotonic seconds. */
double bu_now_s(void);
/* User + system CPU seconds of this process. */
double bu_cpu_s(void);
/* Peak resident set size of this process, KiB. */
long bu_maxrss_kib(void);

/* Arguments of the form key=value. Returns the value of `key`, or `def` if absent or malformed. */
long bu_arg_long(int argc, char **argv, int first, const char *key, long def);

/* The task count: argv[2] when it is all digits, overridden by n=VALUE, else `def`. */
long bu_arg_count(int argc, char **argv, long def);

/* The figures of repeated runs, and their medians. */
typedef struct bu_runs {
    double *wall_s, *exchanges_per_s, *tasks_per_s, *cpu_us; /* one entry per run */
    size_t done, cap, not_success;
} bu_runs;
/* Room for `repeats` runs. Returns 0 or -1. */
int bu_runs_init(bu_runs *r, long repeats);
void bu_runs_add(bu_runs *r, double wall_s, double xps, double tps, double cpu_us, size_t not_success);
/* The medians, as a human line and a machine line "MEDIAN <label> runs=... tasks=... ...". */
void bu_runs_print(const bu_runs *r, const char *label, long tasks, long inflight);
void bu_runs_free(bu_runs *r);

/* Median of n doubles (sorts a copy). */
double bu_median(const double *v, size_t n);

#endif
