/*
 * test_invariants.c - a seeded, model-based test of the public API against the in-process mock with
 * random faults (issue 12, deliverable 8).
 *
 * Each seed drives sequences of random public calls: a client with random options is made, then
 * submit, submit_async, poll, wait, wait_all, wait_any, task_free, download, download_mem, step, a
 * new fault on the mock, and modellix_client_cancel() from another thread at a random moment; then
 * every task and the client are freed. After EVERY step the model checks:
 *
 *   money     the ids the library handed out (modellix_task_id() of a submitted task) are ids the mock
 *             created, none twice; the tasks the mock created that have no such id are at most the
 *             outcomes reported unknown (a submit returning MODELLIX_EOUTCOME_UNKNOWN, an async task in
 *             MODELLIX_SUBMIT_UNKNOWN, a task freed while MODELLIX_SUBMIT_SENDING) plus the async
 *             submissions on the wire right now. The id sets are compared, not just counts.
 *   fds       /proc/self/fd stays within the client's own allowance while it lives, and is back to
 *             the baseline once the client is freed.
 *   key       neither the key, nor a prefix of it of 8 characters or more, nor 12 consecutive characters
 *             of it is in a string the library returned (client and task messages, request ids, task
 *             JSON, status text, ids, resource URLs, download paths) or logged. Faults echo the key in
 *             bodies, messages cut around byte 300 or cut inside the key, X-Request-Id headers and
 *             failed tasks' data.error.message. "key" is the whole key or a fragment ending a string; "key-fragment"
 *             a fragment followed by more text.
 *   deadline  every blocking call returns within its deadline + 50 ms (the timeout argument for waits,
 *             the client's call timeout for submit and poll, the download limit plus one refresh poll
 *             for downloads), measured on CLOCK_MONOTONIC; a stall of the process seen by a monitor
 *             thread, or the calling thread's wait for a CPU (schedstat), during the call (a loaded
 *             machine) is added to the 50 ms; under valgrind deadlines are reported, not enforced.
 *   slot      after a call that returned OK, modellix_client_errcode() is MODELLIX_OK; after one that
 *             returned E, it is E with a non-empty message; nothing changes it between calls.
 *   cancel    a cancel that arrived after the call it was aimed at returned is consumed by the next
 *             blocking call, which returns MODELLIX_ECANCELED (a submit sending nothing).
 *   dup       wait_all with a task listed twice returns MODELLIX_EINVAL at once.
 *   contract  wait_any's index names a finished task; nothing is left in a download directory but
 *             the files downloaded.
 *
 * Environment: MODELLIX_INVARIANT_SEED (one seed or a comma-separated list; default a fixed list),
 * MODELLIX_INVARIANT_SECONDS (time budget, default 20), MODELLIX_INVARIANT_VERBOSE=1 (print every step),
 * MODELLIX_INVARIANT_UNGATE=1 (enforce the checks gated below as known bugs). On failure the seed, the
 * sequence and its step history are printed; the key is masked in everything printed.
 */
#include "harness.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- checks ---------------------------------------------------------------------------------------- */

enum check { CK_MONEY, CK_FD, CK_KEY, CK_KEY_FRAGMENT, CK_DEADLINE, CK_SLOT, CK_CANCEL, CK_DUP, CK_CONTRACT,
             CK_COUNT_ };
static const char *const check_name[CK_COUNT_] = {"money", "fds",    "key", "key-fragment", "deadline",
                                                  "slot",  "cancel", "dup", "contract"};

/* A check failing on main because of a known library bug: counted and reported, not fatal, until the fix
 * lands (then set it to 0). MODELLIX_INVARIANT_UNGATE=1 enforces it.
 * KNOWN_BUG_KEY_FRAGMENT_IN_BODY (found by this test, not yet an issue item): a prefix of the key that
 * the server cut short inside a body (a JSON message ending "Bearer sk-...") survives in
 * modellix_task_json(): the sanitizer drops a key fragment only at the end of what it is given. */
#define KNOWN_BUG_KEY_FRAGMENT_IN_BODY 0 /* fixed: sanitize.c redacts pieces of the key anywhere */
static int gated[CK_COUNT_] = {[CK_KEY_FRAGMENT] = KNOWN_BUG_KEY_FRAGMENT_IN_BODY};
static int64_t gated_hits[CK_COUNT_];

/* ---- figures ---------------------------------------------------------------------------------------- */

enum op { OP_SUBMIT, OP_SUBMIT_ASYNC, OP_POLL, OP_WAIT, OP_WAIT_ALL, OP_WAIT_ANY, OP_FREE, OP_DOWNLOAD,
          OP_DOWNLOAD_MEM, OP_STEP, OP_FAULT, OP_COUNT_ };
static const char *const op_name[OP_COUNT_] = {"submit", "submit_async", "poll", "wait", "wait_all", "wait_any",
                                                "free", "download", "download_mem", "step", "fault"};

static struct {
    int64_t seeds, sequences, steps, faults, cancels, pending_checked, ops[OP_COUNT_];
    int64_t created, accepted, unknown, max_over_ms, max_lag_ms, excused, max_step_ms, max_fd_above;
} fig;

/* ---- random ----------------------------------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1)); }
static int chance(int percent) { return (int)(rnd() % 100) < percent; }

/* ---- a set of strings (open addressing) ------------------------------------------------------------- */

typedef struct strset {
    char **v;
    size_t cap, n;
} strset;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int set_has(const strset *s, const char *k)
{
    if (!s->cap)
        return 0;
    for (size_t i = hash_str(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->v[i])
            return 0;
        if (!strcmp(s->v[i], k))
            return 1;
    }
}

/* 1 if added, 0 if it was there. */
static int set_add(strset *s, const char *k)
{
    if (set_has(s, k))
        return 0;
    if ((s->n + 1) * 2 > s->cap) {
        strset g = {calloc(s->cap ? s->cap * 2 : 256, sizeof(char *)), s->cap ? s->cap * 2 : 256, 0};
        if (!g.v)
            abort();
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i]) {
                size_t j = hash_str(s->v[i]) & (g.cap - 1);
                while (g.v[j])
                    j = (j + 1) & (g.cap - 1);
                g.v[j] = s->v[i];
                g.n++;
            }
        free(s->v);
        *s = g;
    }
    size_t i = hash_str(k) & (s->cap - 1);
    while (s->v[i])
        i = (i + 1) & (s->cap - 1);
    s->v[i] = strdup(k);
    s->n++;
    return 1;
}

static void set_clear(strset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* ---- the model -------------------------------------------------------------------------------------- */

#define MAX_TASKS 48
#define HIST 48
#define FD_ALLOWANCE 32 /* the client's connections, and the mock's ends of them, while a client lives */

typedef struct mtask {
    modellix_task *t;
    int async;
    int counted; /* the submission is in the money books: accepted or unknown */
    int64_t serial;
} mtask;

static struct {
    mock_server *m;
    modellix_client *c;
    mtask tasks[MAX_TASKS];
    size_t n;
    strset before;   /* ids the mock created before this sequence */
    strset accepted; /* ids handed out in this sequence */
    int64_t unknown; /* unknown outcomes in this sequence */
    int64_t call_timeout_ms, download_timeout_ms;
    int fd_base, fd_client;
    char *dir;
    int n_files;
    uint64_t seed;
    int64_t seq, step, serial;
    char hist[HIST][320];
    int n_hist;
    char log_leak[320]; /* first log line with the key, masked */
    int log_leak_kind;
    int cancel_pending; /* a cancel arrived after the call it was aimed at had returned */
    int32_t slot_code;  /* the error slot as the last call left it */
    char slot_msg[1024];
} M;

/* The key is found, and masked in anything we print (CI greps test output for it), as its prefixes of
 * 8 characters or more and as any 12 consecutive characters of it (a cut at the front). */
#define KEY_LEN (sizeof FX_KEY - 1)
static size_t key_match_at(const char *p)
{
    size_t best = 0;
    for (size_t k = 0; k < KEY_LEN; k++) {
        size_t l = 0;
        while (k + l < KEY_LEN && p[l] == FX_KEY[k + l])
            l++;
        if (l > best && ((k == 0 && l >= 8) || l >= 12))
            best = l;
    }
    return best;
}

/* 0: no part of the key; 1: only fragments of it followed by other text (cut short inside a longer
 * string); 2: the whole key, or a fragment that ends the string. */
static int leaks(const char *s)
{
    int kind = 0;
    if (s && strstr(s, FX_KEY))
        return 2;
    for (; s && *s; s++) {
        size_t l = key_match_at(s);
        if (l && !s[l])
            return 2;
        if (l)
            kind = 1;
    }
    return kind;
}

static void masked(const char *s, char *out, size_t n)
{
    snprintf(out, n, "%s", s ? s : "(null)");
    for (char *p = out; *p; p++) {
        size_t l = key_match_at(p);
        for (size_t i = 0; i < l; i++)
            p[i] = '#';
    }
}

static int verbose; /* MODELLIX_INVARIANT_VERBOSE=1: print every step as it happens */

static void history(const char *fmt, ...)
{
    char line[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    masked(line, M.hist[M.n_hist % HIST], sizeof M.hist[0]);
    if (verbose)
        printf("#   [%llu/%lld] %s\n", (unsigned long long)M.seed, (long long)M.seq, M.hist[M.n_hist % HIST]);
    M.n_hist++;
}

static void print_history(void)
{
    printf("# replay: MODELLIX_INVARIANT_SEED=%llu (sequence %lld, step %lld)\n", (unsigned long long)M.seed,
           (long long)M.seq, (long long)M.step);
    int first = M.n_hist > HIST ? M.n_hist - HIST : 0;
    for (int i = first; i < M.n_hist; i++)
        printf("#   %s\n", M.hist[i % HIST]);
}

static void violation(enum check ck, const char *fmt, ...)
{
    char what[600], shown[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    masked(what, shown, sizeof shown);
    if (gated[ck]) {
        if (++gated_hits[ck] <= 3)
            printf("# known bug (gated) '%s': %s [seed %llu sequence %lld step %lld]\n", check_name[ck], shown,
                   (unsigned long long)M.seed, (long long)M.seq, (long long)M.step);
        return;
    }
    printf("not ok 1 - invariant '%s' broken: %s\n", check_name[ck], shown);
    print_history();
    fflush(stdout);
    exit(1);
}

/* ---- observation helpers ---------------------------------------------------------------------------- */

static void on_log(int32_t level, const char *message, void *ud)
{
    (void)level;
    (void)ud;
    int kind = leaks(message);
    if (kind > M.log_leak_kind) { /* keep the worst line of the step */
        masked(message, M.log_leak, sizeof M.log_leak);
        M.log_leak_kind = kind;
    }
}

static void collect_id(const char *id, void *ud)
{
    set_add(ud, id);
}

static void check_string(const char *what, const char *s)
{
    int kind = leaks(s);
    if (kind)
        violation(kind == 2 ? CK_KEY : CK_KEY_FRAGMENT, "%s holds %s: %s", what,
                  kind == 2 ? "the key" : "a fragment of the key", s);
}

static void check_task_strings(const mtask *mt)
{
    const modellix_task *t = mt->t;
    char what[64];
    snprintf(what, sizeof what, "task #%lld errmsg", (long long)mt->serial);
    check_string(what, modellix_task_errmsg(t));
    snprintf(what, sizeof what, "task #%lld json", (long long)mt->serial);
    check_string(what, modellix_task_json(t));
    snprintf(what, sizeof what, "task #%lld request id", (long long)mt->serial);
    check_string(what, modellix_task_request_id(t));
    snprintf(what, sizeof what, "task #%lld status text", (long long)mt->serial);
    check_string(what, modellix_task_status_text(t));
    snprintf(what, sizeof what, "task #%lld id", (long long)mt->serial);
    check_string(what, modellix_task_id(t));
    size_t n = modellix_task_resource_count(t);
    for (size_t i = 0; i < n; i++) {
        snprintf(what, sizeof what, "task #%lld resource %zu url", (long long)mt->serial, i);
        check_string(what, modellix_task_resource_url(t, i));
        snprintf(what, sizeof what, "task #%lld download path %zu", (long long)mt->serial, i);
        check_string(what, modellix_task_download_path(t, i));
    }
}

/* Put what an async task's submission became into the books (once). Freeing a task that is being
 * sent counts as unknown: the request may have reached the service. */
static void account(mtask *mt, int freeing)
{
    if (mt->counted)
        return;
    const char *id = modellix_task_id(mt->t);
    int32_t st = modellix_task_submit_state(mt->t);
    if (id) {
        mt->counted = 1;
        if (!set_add(&M.accepted, id))
            violation(CK_MONEY, "id %s handed out twice (task #%lld)", id, (long long)mt->serial);
        fig.accepted++;
    } else if (st == MODELLIX_SUBMIT_UNKNOWN || (freeing && st == MODELLIX_SUBMIT_SENDING)) {
        mt->counted = 1;
        M.unknown++;
        fig.unknown++;
    }
}

/* The money books against the mock's list of created tasks. `final`: nothing may be on the wire. */
static void check_money(int final)
{
    int64_t sending = 0;
    for (size_t i = 0; i < M.n; i++) {
        account(&M.tasks[i], 0);
        if (!M.tasks[i].counted && modellix_task_submit_state(M.tasks[i].t) == MODELLIX_SUBMIT_SENDING)
            sending++;
    }
    strset created = {0};
    mock_server_task_ids(M.m, collect_id, &created);
    int64_t unaccounted = 0;
    for (size_t i = 0; i < created.cap; i++) {
        const char *id = created.v[i];
        if (id && !set_has(&M.before, id) && !set_has(&M.accepted, id))
            unaccounted++;
    }
    for (size_t i = 0; i < M.accepted.cap; i++)
        if (M.accepted.v[i] && !set_has(&created, M.accepted.v[i]))
            violation(CK_MONEY, "id %s handed out but the mock never created it", M.accepted.v[i]);
    if (unaccounted > M.unknown + (final ? 0 : sending))
        violation(CK_MONEY, "%lld created tasks have no id handed out, but only %lld outcomes were unknown "
                            "and %lld submissions are on the wire (lost ids)",
                  (long long)unaccounted, (long long)M.unknown, (long long)sending);
    set_clear(&created);
}

static void check_after_step(void)
{
    check_money(0);
    int fds = fx_fd_count();
    if (fds - M.fd_client > fig.max_fd_above)
        fig.max_fd_above = fds - M.fd_client;
    if (fds > M.fd_client + FD_ALLOWANCE)
        violation(CK_FD, "%d descriptors open, %d right after the client was made", fds, M.fd_client);
    if (M.log_leak[0]) {
        violation(M.log_leak_kind == 2 ? CK_KEY : CK_KEY_FRAGMENT, "logged: %s", M.log_leak);
        M.log_leak[0] = '\0';
        M.log_leak_kind = 0;
    }
    check_string("client errmsg", modellix_client_errmsg(M.c));
    check_string("client request id", modellix_client_request_id(M.c));
    for (size_t i = 0; i < M.n; i++)
        check_task_strings(&M.tasks[i]);
    if (M.dir && fx_count_entries(M.dir) != M.n_files)
        violation(CK_CONTRACT, "the download directory holds %d entries, %d files were downloaded",
                  fx_count_entries(M.dir), M.n_files);
}

/* The error slot after a call on the client that returned rc. */
static void check_slot(const char *call, int rc)
{
    int32_t code = modellix_client_errcode(M.c);
    const char *msg = modellix_client_errmsg(M.c);
    if (rc == MODELLIX_OK && code != MODELLIX_OK)
        violation(CK_SLOT, "%s returned OK but the client's error slot says %d (%s)", call, code, msg);
    if (rc != MODELLIX_OK && (code != rc || !msg[0]))
        violation(CK_SLOT, "%s returned %d but the client's error slot says %d with message '%s'", call, rc, code,
                  msg);
    M.slot_code = code;
    snprintf(M.slot_msg, sizeof M.slot_msg, "%s", msg);
}

static void check_slot_unchanged(void)
{
    if (modellix_client_errcode(M.c) != M.slot_code || strcmp(modellix_client_errmsg(M.c), M.slot_msg) != 0)
        violation(CK_SLOT, "the error slot changed between calls: %d -> %d", M.slot_code,
                  modellix_client_errcode(M.c));
}

/* The machine's own stalls: a thread sleeping 5 ms at a time records how late it woke up, and the calling
 * thread's run-queue wait is read before and after the call. A call that overran its deadline while this
 * process or thread was not being run (a loaded CI machine) is not the library's fault, so the slack is
 * 50 ms plus the larger of the two, seen during the call. */
static _Atomic int64_t lag_max;
static atomic_int lag_stop;
static void *lag_monitor(void *arg)
{
    (void)arg;
    while (!atomic_load(&lag_stop)) {
        int64_t before = fx_ms();
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
        int64_t late = fx_ms() - before - 5;
        if (late > atomic_load(&lag_max))
            atomic_store(&lag_max, late);
    }
    return NULL;
}

/* How long this thread has waited, runnable, for a CPU (ns): the second field of its schedstat. The part of
 * a call spent so is the machine's doing, not the library's. 0 if the kernel does not say. */
static int64_t runqueue_wait_ns(void)
{
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    unsigned long long run = 0, wait = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &run, &wait) != 2)
        wait = 0;
    fclose(f);
    return (int64_t)wait;
}

/* Under valgrind every instruction costs 20-50 times more, so the time a call spends computing (parsing a
 * large answer, for example) says nothing about the library: deadlines are then measured and reported,
 * and not enforced. Memcheck is what that run is for. */
static int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

static int64_t thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void check_deadline(const char *call, int64_t took, int64_t deadline, int64_t lag, int64_t cpu)
{
    if (took - deadline > fig.max_over_ms)
        fig.max_over_ms = took - deadline;
    if (lag > fig.max_lag_ms)
        fig.max_lag_ms = lag;
    if (took > deadline + 50 + lag && under_valgrind()) {
        fig.excused++;
        return;
    }
    if (took > deadline + 50 + lag)
        violation(CK_DEADLINE,
                  "%s took %lld ms, deadline %lld ms (meanwhile the process stalled, or the thread waited for a "
                  "CPU, %lld ms at most; the thread computed for %lld ms)",
                  call, (long long)took, (long long)deadline, (long long)lag, (long long)cpu);
    if (took > deadline + 50)
        fig.excused++;
}

/* ---- the canceller thread --------------------------------------------------------------------------- */

typedef struct canceller {
    pthread_t th;
    int armed;
    int64_t delay_ms, at;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *k = arg;
    struct timespec ts = {(time_t)(k->delay_ms / 1000), (long)(k->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    k->at = fx_ms();
    if (modellix_client_cancel(M.c) != MODELLIX_OK)
        abort();
    return NULL;
}

/* ---- faults ----------------------------------------------------------------------------------------- */

/* A message of `pad` filler bytes and then the key, so that a cut at a fixed length can fall inside it. */
static void key_echo(char *out, size_t n, int variant)
{
    switch (variant) {
    case 0:
        snprintf(out, n, "Authentication failed: bad header 'Authorization: Bearer %s'", FX_KEY);
        break;
    case 1: {
        int pad = (int)rnd_in(270, 300);
        snprintf(out, n, "%.*s %s trailing", pad, "Rejected:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", FX_KEY);
        break;
    }
    case 2:
        snprintf(out, n, "%s", FX_KEY);
        break;
    case 3: /* a message the server cut inside the key: it ends with a prefix of it */
        snprintf(out, n, "Authentication failed for Bearer %.*s", (int)rnd_in(8, (int64_t)KEY_LEN - 1), FX_KEY);
        break;
    default:
        snprintf(out, n, "key=%s; again: %s", FX_KEY, FX_KEY);
        break;
    }
}

static void add_fault(void)
{
    static const int32_t kinds[] = {MOCK_FAULT_STATUS,    MOCK_FAULT_STATUS,   MOCK_FAULT_RESET_BEFORE,
                                    MOCK_FAULT_RESET_MIDWAY, MOCK_FAULT_STALL, MOCK_FAULT_STALL,
                                    MOCK_FAULT_GARBAGE,   MOCK_FAULT_TRUNCATED, MOCK_FAULT_HUGE,
                                    MOCK_FAULT_WRONG_TASK_ID, MOCK_FAULT_REDIRECT, MOCK_FAULT_EMPTY,
                                    MOCK_FAULT_NO_TASK_ID};
    static const int32_t statuses[] = {200, 400, 401, 402, 403, 404, 408, 409, 413, 429, 500, 502, 503, 504};
    static const int32_t routes[] = {MOCK_ROUTE_SUBMIT, MOCK_ROUTE_SUBMIT, MOCK_ROUTE_TASK, MOCK_ROUTE_TASK,
                                     MOCK_ROUTE_FILE, MOCK_ROUTE_ANY};
    char msg[600], body[800], headers[200];
    mock_fault f = {0};
    f.route = routes[rnd() % (sizeof routes / sizeof routes[0])];
    f.method = f.route == MOCK_ROUTE_SUBMIT ? "POST" : f.route == MOCK_ROUTE_ANY ? NULL : "GET";
    f.kind = kinds[rnd() % (sizeof kinds / sizeof kinds[0])];
    f.status = statuses[rnd() % (sizeof statuses / sizeof statuses[0])];
    f.count = (int32_t)rnd_in(1, 3);
    f.skip = chance(30) ? (int32_t)rnd_in(1, 2) : 0;
    f.after_create = chance(50);
    f.stall_ms = rnd_in(0, 900);
    f.huge_bytes = chance(5) ? 17 * 1024 * 1024 : rnd_in(10, 300000);
    const char *echo = "";
    if (chance(50)) {
        int variant = (int)rnd_in(0, 4);
        key_echo(msg, sizeof msg, variant);
        if (chance(70)) {
            snprintf(body, sizeof body, "{\"code\":%d,\"message\":\"%s\"}", (int)f.status, msg);
        } else {
            snprintf(body, sizeof body, "%s", msg);
        }
        f.body = body;
        echo = " body echoes the key";
    }
    if (chance(40)) {
        snprintf(headers, sizeof headers, "X-Request-Id: %s%.*s\n", chance(50) ? "" : "req-",
                 chance(50) ? (int)KEY_LEN : (int)rnd_in(8, (int64_t)KEY_LEN - 1), FX_KEY);
        f.headers = headers;
    }
    if (f.kind == MOCK_FAULT_WRONG_TASK_ID && f.route != MOCK_ROUTE_TASK) {
        /* on a submit it is the server lying about which task it created (the mock then stores none, or
           another): no client can tell, so it says nothing about the library */
        f.route = MOCK_ROUTE_TASK;
        f.method = "GET";
    }
    if (f.kind == MOCK_FAULT_STATUS && f.status >= 400 && f.status < 500 && f.status != 408 && f.status != 409)
        f.after_create = 0; /* a 4xx refusal (but 408, 409) proves nothing was created: charging and then
                               refusing would be the server lying */
    if (f.kind == MOCK_FAULT_STATUS && f.status == 200 && f.route != MOCK_ROUTE_SUBMIT)
        f.status = 503; /* a 200 with an error body on a poll is a protocol fault; keep it to submit */
    if (mock_server_add_fault(M.m, &f) != 0)
        abort();
    fig.faults++;
    history("fault route=%d method=%s kind=%d status=%d count=%d skip=%d after_create=%d stall=%lld huge=%lld%s%s",
            (int)f.route, f.method ? f.method : "*", (int)f.kind, (int)f.status, (int)f.count, (int)f.skip,
            (int)f.after_create, (long long)f.stall_ms, (long long)f.huge_bytes, echo,
            f.headers ? " X-Request-Id echoes the key" : "");
}

/* ---- the steps -------------------------------------------------------------------------------------- */

static void make_body(char *out, size_t n)
{
    char msg[600] = "";
    int failed = chance(30);
    if (failed && chance(70)) {
        key_echo(msg, sizeof msg, (int)rnd_in(0, 4));
    }
    snprintf(out, n,
             "{\"prompt\":\"invariant %lld\",\"mock_duration_ms\":%lld,\"mock_resources\":%lld%s%s%s%s}",
             (long long)M.serial, (long long)rnd_in(0, 400), (long long)(chance(10) ? 0 : rnd_in(1, 2)),
             failed ? ",\"mock_outcome\":\"failed\"" : "", msg[0] ? ",\"mock_error_message\":\"" : "", msg,
             msg[0] ? "\"" : "");
}

static size_t pick(void)
{
    return (size_t)(rnd() % M.n);
}

static void remember(modellix_task *t, int async)
{
    if (!t)
        return;
    if (M.n == MAX_TASKS) { /* the model is full: the new task is freed at once */
        mtask tmp = {t, async, 0, ++M.serial};
        account(&tmp, 1);
        modellix_task_free(t);
        return;
    }
    M.tasks[M.n] = (mtask){t, async, 0, ++M.serial};
    account(&M.tasks[M.n], 0);
    M.n++;
}

static void forget(size_t i)
{
    account(&M.tasks[i], 1);
    modellix_task_free(M.tasks[i].t);
    M.tasks[i] = M.tasks[--M.n];
}

/* Is a blocking call on this task certain to reach the cancel check (no argument or state refusal)? */
static int cancellable_task(const mtask *mt)
{
    return !mt->async && !modellix_task_done(mt->t);
}

static void one_step(void)
{
    /* weights: submissions and waits most, so that tasks get to finish and have results to download */
    static const int weight[OP_COUNT_] = {[OP_SUBMIT] = 6, [OP_SUBMIT_ASYNC] = 6, [OP_POLL] = 4, [OP_WAIT] = 6,
                                          [OP_WAIT_ALL] = 4, [OP_WAIT_ANY] = 4, [OP_FREE] = 3, [OP_DOWNLOAD] = 4,
                                          [OP_DOWNLOAD_MEM] = 4, [OP_STEP] = 4, [OP_FAULT] = 4};
    enum op op;
    for (;;) {
        int total = 0, r;
        for (int i = 0; i < OP_COUNT_; i++)
            total += weight[i];
        r = (int)(rnd() % (uint64_t)total);
        for (op = 0; r >= weight[op]; op++)
            r -= weight[op];
        if (M.n > 0 || op == OP_SUBMIT || op == OP_SUBMIT_ASYNC || op == OP_STEP || op == OP_FAULT)
            break;
    }
    if (op == OP_SUBMIT_ASYNC && M.n >= MAX_TASKS - 4)
        op = OP_STEP;
    fig.ops[op]++;
    M.step++;
    fig.steps++;
    if (op == OP_FAULT) {
        add_fault();
        return;
    }
    check_slot_unchanged();

    canceller k = {0};
    if (chance(12)) {
        k.armed = 1;
        k.delay_ms = rnd_in(0, 300);
        fig.cancels++;
        if (pthread_create(&k.th, NULL, cancel_later, &k) != 0)
            abort();
    }
    int was_pending = M.cancel_pending;
    int expect_cancel = 0; /* the call is certain to consume a pending cancel */
    int rc = MODELLIX_OK, slot = 1, dup_call = 0;
    int64_t deadline = -1;
    int64_t submits_before = mock_server_counter(M.m, MOCK_CTR_REQUESTS, MOCK_ROUTE_SUBMIT);
    char args[200] = "";
    atomic_store(&lag_max, 0);
    int64_t rq0 = runqueue_wait_ns(), cpu0 = thread_cpu_ms();
    int64_t t0 = fx_ms();
    switch (op) {
    case OP_SUBMIT:
    case OP_SUBMIT_ASYNC: {
        char body[1200];
        make_body(body, sizeof body);
        modellix_task *t = NULL;
        if (op == OP_SUBMIT) {
            rc = modellix_task_submit(&t, M.c, FX_SLUG, body);
            deadline = M.call_timeout_ms;
            expect_cancel = 1;
            if (rc == MODELLIX_EOUTCOME_UNKNOWN && !t) {
                M.unknown++;
                fig.unknown++;
            }
        } else {
            rc = modellix_task_submit_async(&t, M.c, FX_SLUG, body);
        }
        remember(t, op == OP_SUBMIT_ASYNC);
        snprintf(args, sizeof args, "-> task #%lld%s", (long long)(t ? M.serial : 0),
                 strstr(body, "failed") ? " (to fail)" : "");
        break;
    }
    case OP_POLL: {
        size_t i = pick();
        expect_cancel = cancellable_task(&M.tasks[i]);
        snprintf(args, sizeof args, "task #%lld", (long long)M.tasks[i].serial);
        rc = modellix_task_poll(M.tasks[i].t);
        deadline = M.call_timeout_ms;
        break;
    }
    case OP_WAIT: {
        size_t i = pick();
        int64_t to = rnd_in(10, 400);
        expect_cancel = cancellable_task(&M.tasks[i]);
        snprintf(args, sizeof args, "task #%lld timeout %lld", (long long)M.tasks[i].serial, (long long)to);
        rc = modellix_task_wait(M.tasks[i].t, to);
        deadline = to;
        break;
    }
    case OP_WAIT_ALL:
    case OP_WAIT_ANY: {
        modellix_task *ts[8];
        size_t n = (size_t)rnd_in(1, M.n < 6 ? (int64_t)M.n : 6), used = 0;
        int dup = op == OP_WAIT_ALL && n >= 1 && chance(15);
        size_t start = pick();
        int all_open = 1;
        int pos = snprintf(args, sizeof args, "tasks");
        for (size_t j = 0; j < n; j++) {
            const mtask *mt = &M.tasks[(start + j) % M.n];
            if (modellix_task_done(mt->t) || mt->async)
                all_open = 0;
            ts[used++] = mt->t;
            pos += snprintf(args + pos, sizeof args - (size_t)pos, " #%lld", (long long)mt->serial);
            if (chance(10) && used < 8) {
                ts[used++] = NULL;
                pos += snprintf(args + pos, sizeof args - (size_t)pos, " NULL");
            }
        }
        if (dup && used < 8) {
            ts[used++] = ts[0];
            pos += snprintf(args + pos, sizeof args - (size_t)pos, " (first again)");
        }
        int64_t to = rnd_in(10, 400);
        snprintf(args + pos, sizeof args - (size_t)pos, " timeout %lld", (long long)to);
        size_t index = (size_t)-1;
        expect_cancel = all_open && !dup;
        if (op == OP_WAIT_ALL)
            rc = modellix_client_wait_all(M.c, ts, used, to);
        else
            rc = modellix_client_wait_any(M.c, ts, used, to, &index);
        deadline = to;
        dup_call = dup;
        if (op == OP_WAIT_ANY && rc == MODELLIX_OK && (index >= used || !ts[index] || !modellix_task_done(ts[index])))
            violation(CK_CONTRACT, "wait_any returned OK with index %zu, which is not a finished task", index);
        break;
    }
    case OP_FREE: {
        size_t i = pick();
        snprintf(args, sizeof args, "task #%lld (submit state %d)", (long long)M.tasks[i].serial,
                 (int)modellix_task_submit_state(M.tasks[i].t));
        forget(i);
        slot = 0;
        break;
    }
    case OP_DOWNLOAD:
    case OP_DOWNLOAD_MEM: {
        size_t i = pick();
        for (size_t j = 0; j < M.n && chance(80); j++) /* mostly a task that has results */
            if (modellix_task_status(M.tasks[(i + j) % M.n].t) == MODELLIX_TASK_SUCCESS) {
                i = (i + j) % M.n;
                break;
            }
        modellix_task *t = M.tasks[i].t;
        size_t n = modellix_task_resource_count(t);
        size_t r = chance(10) ? n : (n ? (size_t)rnd_in(0, (int64_t)n - 1) : 0);
        int ok_state = modellix_task_status(t) == MODELLIX_TASK_SUCCESS && r < n;
        expect_cancel = ok_state;
        snprintf(args, sizeof args, "task #%lld resource %zu of %zu", (long long)M.tasks[i].serial, r, n);
        if (op == OP_DOWNLOAD) {
            char *path = NULL;
            rc = modellix_task_download(t, r, M.dir, MODELLIX_DOWNLOAD_RENAME, &path);
            if (rc == MODELLIX_OK) {
                M.n_files++;
                check_string("download path", path);
            }
            modellix_free(path);
        } else {
            uint8_t *data = NULL;
            size_t len = 0;
            rc = modellix_task_download_mem(t, r, 0, &data, &len);
            modellix_free(data);
        }
        deadline = M.download_timeout_ms + M.call_timeout_ms;
        break;
    }
    case OP_STEP: {
        size_t active = 0;
        rc = modellix_client_step(M.c, &active);
        snprintf(args, sizeof args, "-> %zu active", active);
        break;
    }
    default:
        abort();
    }
    int64_t t1 = fx_ms();
    int64_t took = t1 - t0;
    int64_t lag = atomic_load(&lag_max), rq = (runqueue_wait_ns() - rq0) / 1000000;
    if (rq > lag)
        lag = rq;
    if (k.armed) {
        pthread_join(k.th, NULL);
        snprintf(args + strlen(args), sizeof args - strlen(args), " [cancel at +%lld ms]", (long long)(k.at - t0));
    }
    history("%lld %s %s = %d (%s) in %lld ms", (long long)M.step, op_name[op], args, rc, modellix_strerror(rc),
            (long long)took);

    if (deadline >= 0)
        check_deadline(op_name[op], took, deadline, lag, thread_cpu_ms() - cpu0);
    if (dup_call && (rc != MODELLIX_EINVAL || took > 50 + lag))
        violation(CK_DUP, "wait_all with a task listed twice returned %d after %lld ms (EINVAL at once expected)", rc,
                  (long long)took);
    if (op == OP_STEP && took > fig.max_step_ms)
        fig.max_step_ms = took;
    if (slot) {
        check_slot(op_name[op], rc);
    } else { /* task_free returns nothing: the slot after it is not specified, only kept from then on */
        M.slot_code = modellix_client_errcode(M.c);
        snprintf(M.slot_msg, sizeof M.slot_msg, "%s", modellix_client_errmsg(M.c));
    }
    if (was_pending && op != OP_SUBMIT_ASYNC && op != OP_FREE) {
        /* the pending cancel belongs to this call; step may or may not take it */
        fig.pending_checked += expect_cancel;
        if (expect_cancel && rc != MODELLIX_ECANCELED)
            violation(CK_CANCEL, "a cancel made while no call ran did not end the next %s (it returned %d)",
                      op_name[op], rc);
        if (op == OP_SUBMIT && mock_server_counter(M.m, MOCK_CTR_REQUESTS, MOCK_ROUTE_SUBMIT) != submits_before)
            violation(CK_CANCEL, "a submit cancelled before it began sent its request");
        if (op == OP_SUBMIT && rc == MODELLIX_EOUTCOME_UNKNOWN)
            violation(CK_CANCEL, "a submit cancelled before it began reports an unknown outcome");
        M.cancel_pending = 0;
    }
    if (k.armed && k.at > t1)
        M.cancel_pending = 1; /* arrived after the call returned: kept for the next blocking call */
    check_after_step();
}

/* ---- sequences -------------------------------------------------------------------------------------- */

/* A fast poll schedule (the default waits 2 s before the first poll, longer than a whole sequence). */
static int64_t poll_every(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms;
    (void)polls;
    return (int64_t)(intptr_t)ud;
}

static void make_client(void)
{
    modellix_options *o;
    modellix_retry_policy *p;
    M.call_timeout_ms = rnd_in(250, 1200);
    M.download_timeout_ms = rnd_in(300, 1500);
    int64_t exchange = rnd_in(100, 1000);
    int32_t in_flight = (int32_t)rnd_in(1, 4);
    int cont = chance(50);
    int64_t poll_ms = chance(10) ? 0 : rnd_in(10, 120);
    int http1 = chance(50); /* modellix_options_set_api_http1: every request then asks for HTTP/1.1 */
    if (modellix_options_new(&o) || modellix_options_set_api_key(o, FX_KEY) ||
        modellix_options_set_base_url(o, mock_server_url(M.m)) || modellix_options_set_timeout_ms(o, exchange) ||
        modellix_options_set_call_timeout_ms(o, M.call_timeout_ms) ||
        modellix_options_set_log_callback(o, on_log, NULL, NULL) ||
        modellix_options_set_log_level(o, MODELLIX_LOG_DEBUG) || modellix_options_set_max_in_flight(o, in_flight) ||
        modellix_options_set_continue_on_unknown(o, cont) || modellix_options_set_random_seed(o, rnd() | 1) ||
        modellix_options_set_api_http1(o, http1) ||
        modellix_options_set_download_limits(o, 1 << 20, 1 << 22, M.download_timeout_ms) ||
        modellix_retry_policy_new_custom(&p, fx_fast_policy, NULL, NULL))
        abort();
    if (poll_ms && modellix_options_set_poll_schedule(o, poll_every, (void *)(intptr_t)poll_ms, NULL))
        abort();
    if (modellix_options_set_retry_policy(o, p) || modellix_client_new(&M.c, o))
        abort();
    modellix_retry_policy_free(p);
    modellix_options_free(o);
    history("client: call timeout %lld ms, exchange %lld ms, download %lld ms, in flight %d, continue_on_unknown %d, "
            "poll every %lld ms (0: default schedule), api_http1 %d",
            (long long)M.call_timeout_ms, (long long)exchange, (long long)M.download_timeout_ms, (int)in_flight, cont,
            (long long)poll_ms, http1);
}

/* Let submissions still travelling to the mock arrive, so the next sequence starts with settled books. */
static void settle(void)
{
    int64_t last = -1, now;
    for (int i = 0; i < 40; i++) {
        now = mock_server_counter(M.m, MOCK_CTR_REQUESTS, MOCK_ROUTE_SUBMIT);
        if (now == last && fx_fd_count() <= M.fd_base)
            return;
        last = now;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void run_sequence(void)
{
    M.seq++;
    fig.sequences++;
    M.step = 0;
    M.n_hist = 0;
    M.n = 0;
    M.unknown = 0;
    M.cancel_pending = 0;
    M.log_leak[0] = '\0';
    M.log_leak_kind = 0;
    mock_server_clear_faults(M.m);
    set_clear(&M.accepted);
    make_client();
    M.slot_code = modellix_client_errcode(M.c);
    snprintf(M.slot_msg, sizeof M.slot_msg, "%s", modellix_client_errmsg(M.c));
    M.fd_client = fx_fd_count();
    M.dir = fx_make_dir();
    M.n_files = 0;
    int64_t steps = rnd_in(8, 40);
    for (int64_t s = 0; s < steps; s++)
        one_step();
    while (M.n > 0) {
        history("end: free task #%lld (submit state %d)", (long long)M.tasks[M.n - 1].serial,
                (int)modellix_task_submit_state(M.tasks[M.n - 1].t));
        forget(M.n - 1);
    }
    modellix_client_free(M.c);
    M.c = NULL;
    if (M.log_leak[0])
        violation(M.log_leak_kind == 2 ? CK_KEY : CK_KEY_FRAGMENT, "logged: %s", M.log_leak);
    mock_server_clear_faults(M.m);
    settle();
    check_money(1);
    int fds = fx_fd_count();
    if (fds != M.fd_base)
        violation(CK_FD, "%d descriptors open after the client was freed, %d before it was made", fds, M.fd_base);
    fx_remove_dir(M.dir);
    M.dir = NULL;
    strset created = {0};
    mock_server_task_ids(M.m, collect_id, &created);
    for (size_t i = 0; i < created.cap; i++)
        if (created.v[i] && set_add(&M.before, created.v[i]))
            fig.created++;
    set_clear(&created);
}

int main(void)
{
    const char *ungate = getenv("MODELLIX_INVARIANT_UNGATE");
    if (ungate && *ungate == '1')
        memset(gated, 0, sizeof gated);
    const char *verb = getenv("MODELLIX_INVARIANT_VERBOSE");
    verbose = verb && *verb == '1';
    const char *secs = getenv("MODELLIX_INVARIANT_SECONDS");
    int64_t budget_ms = (secs && *secs ? strtoll(secs, NULL, 10) : 20) * 1000;
    uint64_t seeds[64] = {1, 2, 3, 0x5eed};
    size_t n_seeds = 4;
    const char *env_seed = getenv("MODELLIX_INVARIANT_SEED");
    if (env_seed && *env_seed) {
        n_seeds = 0;
        for (const char *p = env_seed; *p && n_seeds < 64;) {
            char *end;
            seeds[n_seeds++] = strtoull(p, &end, 0);
            p = *end == ',' ? end + 1 : end + strlen(end);
        }
    }
    printf("1..1\n");
    mock_config cfg;
    mock_config_init(&cfg);
    cfg.duration_ms = 150;
    cfg.max_running = 0;
    if (mock_server_start(&M.m, &cfg) != 0) {
        printf("not ok 1 - the mock server did not start\n");
        return 1;
    }
    if (modellix_global_init() <= 0)
        abort();
    pthread_t lag_th;
    if (pthread_create(&lag_th, NULL, lag_monitor, NULL) != 0)
        abort();
    if (under_valgrind())
        printf("# under valgrind: deadline overruns are counted as excused, not enforced\n");
    M.fd_base = fx_fd_count();
    int64_t start = fx_ms();
    for (size_t s = 0; s < n_seeds; s++) {
        M.seed = seeds[s];
        rng_state = seeds[s];
        M.seq = 0;
        fig.seeds++;
        int64_t until = start + budget_ms * (int64_t)(s + 1) / (int64_t)n_seeds;
        do
            run_sequence();
        while (fx_ms() < until);
    }
    printf("# seeds %lld, sequences %lld, steps %lld, faults injected %lld, cancels %lld (%lld pending ones "
           "checked on the next call), in %lld ms\n",
           (long long)fig.seeds, (long long)fig.sequences, (long long)fig.steps, (long long)fig.faults,
           (long long)fig.cancels, (long long)fig.pending_checked, (long long)(fx_ms() - start));
    printf("# tasks created by the mock %lld, ids handed out %lld, unknown outcomes %lld\n", (long long)fig.created,
           (long long)fig.accepted, (long long)fig.unknown);
    printf("# most descriptors open above the client's own after a step: %lld (allowed %d: connections and the "
           "mock's ends of them)\n", (long long)fig.max_fd_above, FD_ALLOWANCE);
    printf("# calls:");
    for (int i = 0; i < OP_COUNT_; i++)
        printf(" %s %lld", op_name[i], (long long)fig.ops[i]);
    printf("\n# largest overrun of a deadline: %lld ms; longest stall of the process or wait for a CPU during a call: %lld ms; "
           "overruns beyond 50 ms excused (a stall, or valgrind): %lld; longest modellix_client_step: %lld ms\n",
           (long long)fig.max_over_ms, (long long)fig.max_lag_ms, (long long)fig.excused, (long long)fig.max_step_ms);
    for (int i = 0; i < CK_COUNT_; i++)
        if (gated[i])
            printf("# gated check '%s' (known bug): %lld violations%s\n", check_name[i], (long long)gated_hits[i],
                   gated_hits[i] ? "" : " - the gate may come off");
    atomic_store(&lag_stop, 1);
    pthread_join(lag_th, NULL);
    set_clear(&M.before);
    set_clear(&M.accepted);
    mock_server_stop(M.m);
    modellix_global_cleanup();
    printf("ok 1 - invariants held\n");
    return 0;
}
