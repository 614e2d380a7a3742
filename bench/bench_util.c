/* bench_util.c - see bench_util.h. */
#include "bench_util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bu_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

long bu_maxrss_kib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ru.ru_maxrss;
}

void bu_no_proxy(void)
{
    static const char *const vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                                       "ALL_PROXY"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    setenv("no_proxy", "*", 1);
    setenv("NO_PROXY", "*", 1);
}

long bu_arg_long(int argc, char **argv, int first, const char *key, long def)
{
    size_t kl = strlen(key);
    for (int i = first; i < argc; i++) {
        if (strncmp(argv[i], key, kl) == 0 && argv[i][kl] == '=') {
            char *end = NULL;
            errno = 0;
            long v = strtol(argv[i] + kl + 1, &end, 10);
            if (errno == 0 && end != argv[i] + kl + 1 && *end == '\0')
                return v;
            fprintf(stderr, "ignoring malformed argument '%s'\n", argv[i]);
        }
    }
    return def;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bu_median(const double *v, size_t n)
{
    if (n == 0)
        return 0;
    double *c = malloc(n * sizeof *c);
    if (!c)
        return v[0];
    memcpy(c, v, n * sizeof *c);
    qsort(c, n, sizeof *c, cmp_double);
    double m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return m;
}

/* http://127.x.x.x:PORT, http://localhost:PORT or http://[::1]:PORT (an optional trailing '/'). */
static int loopback_url(const char *u)
{
    if (strncmp(u, "http://", 7) != 0)
        return 0;
    const char *h = u + 7, *p;
    if (strncmp(h, "127.", 4) == 0) {
        p = h + 4;
        while ((*p >= '0' && *p <= '9') || *p == '.')
            p++;
    } else if (strncmp(h, "localhost", 9) == 0) {
        p = h + 9;
    } else if (strncmp(h, "[::1]", 5) == 0) {
        p = h + 5;
    } else {
        return 0;
    }
    if (*p != ':')
        return 0;
    p++;
    const char *digits = p;
    while (*p >= '0' && *p <= '9')
        p++;
    if (p == digits || p - digits > 5)
        return 0;
    return *p == '\0' || (p[0] == '/' && p[1] == '\0');
}

static int set_url(bu_mock *m, const char *u)
{
    size_t n = strlen(u);
    while (n > 0 && (u[n - 1] == '\n' || u[n - 1] == '\r' || u[n - 1] == ' '))
        n--;
    if (n == 0 || n >= sizeof m->url) {
        fprintf(stderr, "bench: bad mock URL\n");
        return -1;
    }
    memcpy(m->url, u, n);
    m->url[n] = '\0';
    if (!loopback_url(m->url)) {
        fprintf(stderr, "bench: refusing a non-loopback mock URL '%s'\n", m->url);
        return -1;
    }
    if (m->url[n - 1] == '/')
        m->url[n - 1] = '\0';
    return 0;
}

int bu_mock_start(bu_mock *m, const char *target, const char *const *extra_flags)
{
    m->pid = -1;
    m->out_fd = -1;
    m->url[0] = '\0';
    if (strncmp(target, "http://", 7) == 0)
        return set_url(m, target);

    const char *args[32];
    size_t na = 0;
    args[na++] = target;
    args[na++] = "--port";
    args[na++] = "0";
    for (size_t i = 0; extra_flags && extra_flags[i] && na < sizeof args / sizeof args[0] - 1; i++)
        args[na++] = extra_flags[i];
    args[na] = NULL;

    int fds[2];
    if (pipe(fds) != 0) {
        perror("bench: pipe");
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        /* The mock dies with us even if we are killed before bu_mock_stop. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            close(devnull);
        }
        execv(target, (char *const *)args);
        fprintf(stderr, "bench: cannot run %s: %s\n", target, strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    m->pid = pid;
    m->out_fd = fds[0];

    char line[256];
    size_t len = 0;
    double deadline = bu_now_s() + 20.0;
    for (;;) {
        double left = deadline - bu_now_s();
        if (left <= 0) {
            fprintf(stderr, "bench: the mock printed no URL within 20 s\n");
            bu_mock_stop(m);
            return -1;
        }
        struct pollfd p = {m->out_fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char ch;
        ssize_t k = read(m->out_fd, &ch, 1);
        if (k <= 0) {
            fprintf(stderr, "bench: the mock exited before printing its URL\n");
            bu_mock_stop(m);
            return -1;
        }
        if (ch == '\n')
            break;
        if (len + 1 >= sizeof line) {
            fprintf(stderr, "bench: the mock's first line is too long\n");
            bu_mock_stop(m);
            return -1;
        }
        line[len++] = ch;
    }
    line[len] = '\0';
    if (set_url(m, line) != 0) {
        bu_mock_stop(m);
        return -1;
    }
    return 0;
}

void bu_mock_stop(bu_mock *m)
{
    if (m->pid > 0) {
        kill(m->pid, SIGTERM);
        double deadline = bu_now_s() + 5.0;
        int status;
        for (;;) {
            pid_t w = waitpid(m->pid, &status, WNOHANG);
            if (w == m->pid || (w < 0 && errno != EINTR))
                break;
            if (bu_now_s() > deadline) {
                kill(m->pid, SIGKILL);
                waitpid(m->pid, &status, 0);
                break;
            }
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    m->pid = -1;
    if (m->out_fd >= 0)
        close(m->out_fd);
    m->out_fd = -1;
}

typedef struct membuf {
    char *data;
    size_t len, cap;
} membuf;

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    membuf *b = ud;
    size_t len = size * n;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + len + 1)
            cap *= 2;
        if (cap > (size_t)1 << 24)
            return 0;
        char *d = realloc(b->data, cap);
        if (!d)
            return 0;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = '\0';
    return len;
}

static int64_t int_at(json_t *o, const char *a, const char *b)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

int bu_mock_counters(const char *url, bu_counters *out)
{
    memset(out, 0, sizeof *out);
    if (!loopback_url(url))
        return -1;
    char full[320];
    snprintf(full, sizeof full, "%s/_mock/counters", url);
    CURL *h = curl_easy_init();
    if (!h)
        return -1;
    membuf b = {0};
    curl_easy_setopt(h, CURLOPT_URL, full);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode cr = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    int rc = -1;
    if (cr == CURLE_OK && status == 200 && b.data) {
        json_error_t err;
        json_t *root = json_loadb(b.data, b.len, 0, &err);
        json_t *d = json_object_get(root, "data");
        if (!d)
            d = root;
        if (json_is_object(d)) {
            out->req_any = int_at(d, "requests", "any");
            out->req_submit = int_at(d, "requests", "submit");
            out->req_task = int_at(d, "requests", "task");
            out->connections = int_at(d, "connections", NULL);
            out->tasks_created = int_at(d, "tasks_created", NULL);
            out->max_concurrent = int_at(d, "max_concurrent", NULL);
            rc = 0;
        }
        json_decref(root);
    }
    free(b.data);
    if (rc != 0)
        fprintf(stderr, "bench: cannot read the mock's counters\n");
    return rc;
}

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

long bu_arg_count(int argc, char **argv, long def)
{
    long n = argc > 2 && all_digits(argv[2]) ? strtol(argv[2], NULL, 10) : def;
    return bu_arg_long(argc, argv, 2, "n", n);
}

int bu_runs_init(bu_runs *r, long repeats)
{
    size_t n = repeats > 0 ? (size_t)repeats : 1;
    r->wall_s = calloc(n, sizeof *r->wall_s);
    r->exchanges_per_s = calloc(n, sizeof *r->exchanges_per_s);
    r->tasks_per_s = calloc(n, sizeof *r->tasks_per_s);
    r->cpu_us = calloc(n, sizeof *r->cpu_us);
    r->done = r->not_success = 0;
    r->cap = n;
    return r->wall_s && r->exchanges_per_s && r->tasks_per_s && r->cpu_us ? 0 : -1;
}

void bu_runs_add(bu_runs *r, double wall_s, double xps, double tps, double cpu_us, size_t not_success)
{
    r->not_success += not_success;
    if (r->done == r->cap)
        return;
    r->wall_s[r->done] = wall_s;
    r->exchanges_per_s[r->done] = xps;
    r->tasks_per_s[r->done] = tps;
    r->cpu_us[r->done] = cpu_us;
    r->done++;
}

void bu_runs_print(const bu_runs *r, const char *label, long tasks, long inflight)
{
    if (!r->done)
        return;
    double w = bu_median(r->wall_s, r->done), x = bu_median(r->exchanges_per_s, r->done);
    double t = bu_median(r->tasks_per_s, r->done), u = bu_median(r->cpu_us, r->done);
    printf("median of %zu: wall %.3f s, %.0f exchanges/s, %.0f tasks/s, %.1f us CPU/exchange; "
           "tasks not SUCCESS over all runs: %zu\n",
           r->done, w, x, t, u, r->not_success);
    printf("MEDIAN %s runs=%zu tasks=%ld max_in_flight=%ld wall_s=%.4f exchanges_per_s=%.1f tasks_per_s=%.1f "
           "cpu_us_per_exchange=%.2f not_success_total=%zu\n",
           label, r->done, tasks, inflight, w, x, t, u, r->not_success);
}

void bu_runs_free(bu_runs *r)
{
    free(r->wall_s);
    free(r->exchanges_per_s);
    free(r->tasks_per_s);
    free(r->cpu_us);
    r->wall_s = r->exchanges_per_s = r->tasks_per_s = r->cpu_us = NULL;
}
