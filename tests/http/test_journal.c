/* HTTP tests: the task journal written by a client against the mock - the records of accepted,
 * failed, rejected and outcome-unknown submissions (sync and async), a submission refused unsent when
 * the intent cannot be written, an accepted task kept when its accepted record cannot be, opening
 * failures without a leaked descriptor, resuming unfinished tasks, and the key and body never in
 * the file. */
#include "harness.h"
#include "journal_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PROMPT "a red fox in the snow"

typedef struct jfx {
    char *dir;
    char path[512];
    char log[65536];
    size_t log_len;
} jfx;

static jfx J;

static void capture(int32_t level, const char *message, void *ud)
{
    (void)level;
    jfx *x = ud;
    assert_null(strstr(message, FX_KEY));
    size_t n = strlen(message);
    if (x->log_len + n + 2 < sizeof x->log) {
        memcpy(x->log + x->log_len, message, n);
        x->log_len += n;
        x->log[x->log_len++] = '\n';
        x->log[x->log_len] = '\0';
    }
}

static int64_t fast_polls(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms;
    (void)polls;
    (void)ud;
    return 20;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A client on the mock with the journal at `path` (profile may be NULL); returns the result of
   modellix_client_new (the client in *out). */
static int jclient(modellix_client **out, fixture *f, const char *path, const char *profile, int32_t max_in_flight)
{
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_callback(o, capture, &J, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_log_level(o, MODELLIX_LOG_DEBUG), MODELLIX_OK);
    assert_int_equal(modellix_options_set_poll_schedule(o, fast_polls, NULL, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_max_in_flight(o, max_in_flight), MODELLIX_OK);
    modellix_retry_policy *p;
    assert_int_equal(modellix_retry_policy_new_custom(&p, fx_fast_policy, NULL, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_retry_policy(o, p), MODELLIX_OK);
    modellix_retry_policy_free(p);
    assert_int_equal(modellix_options_set_journal_path(o, path), MODELLIX_OK);
    assert_int_equal(modellix_options_set_journal_profile(o, profile), MODELLIX_OK);
    int rc = modellix_client_new(out, o);
    modellix_options_free(o);
    return rc;
}

static modellix_client *jc(fixture *f, const char *profile, int32_t max_in_flight)
{
    modellix_client *c = NULL;
    assert_int_equal(jclient(&c, f, J.path, profile, max_in_flight), MODELLIX_OK);
    return c;
}

static modellix_journal *jread(void)
{
    modellix_journal *j = NULL;
    assert_int_equal(modellix_journal_open(&j, J.path), MODELLIX_OK);
    assert_non_null(j);
    assert_int_equal(modellix_journal_skipped(j), 0);
    return j;
}

/* The index of the entry with this task id, or -1. */
static long find_task(const modellix_journal *j, const char *id)
{
    for (size_t i = 0; i < modellix_journal_count(j); i++)
        if (modellix_journal_entry_task_id(j, i) && !strcmp(modellix_journal_entry_task_id(j, i), id))
            return (long)i;
    return -1;
}

/* Neither the key nor anything of the body is in the file. */
static void assert_file_clean(void)
{
    char *bytes = ju_slurp(J.path, NULL);
    assert_null(strstr(bytes, FX_KEY));
    assert_null(strstr(bytes, "SENTINEL"));
    assert_null(strstr(bytes, PROMPT));
    assert_null(strstr(bytes, "prompt"));
    assert_null(strstr(bytes, "mock_"));
    free(bytes);
}

static int setup(void **state)
{
    fx_test_setup(state);
    J.dir = fx_make_dir();
    snprintf(J.path, sizeof J.path, "%s/state/modellix/journal", J.dir);
    J.log_len = 0;
    J.log[0] = '\0';
    return 0;
}

static int teardown(void **state)
{
    struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
    setrlimit(RLIMIT_FSIZE, &rl);
    signal(SIGXFSZ, SIG_DFL);
    ju_rm_tree(J.dir);
    free(J.dir);
    J.dir = NULL;
    return fx_test_teardown(state);
}

static void test_sync_submit_then_success(void **state)
{
    fixture *f = *state;
    int64_t before = wall_ms();
    modellix_client *c = jc(f, "work", 3);
    /* the directories and the file exist, owner-only, before anything is submitted */
    assert_int_equal(ju_mode(J.path), 0600);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/state/modellix", J.dir);
    assert_int_equal(ju_mode(sub), 0700);
    snprintf(sub, sizeof sub, "%s/state", J.dir);
    assert_int_equal(ju_mode(sub), 0700);

    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, "{\"prompt\":\"" PROMPT "\",\"mock_duration_ms\":80}"),
                     MODELLIX_OK);
    int64_t after = wall_ms();
    modellix_journal *j = jread();
    assert_int_equal(modellix_journal_count(j), 1);
    assert_int_equal(modellix_journal_entry_state(j, 0), MODELLIX_JOURNAL_ACCEPTED);
    assert_string_equal(modellix_journal_entry_task_id(j, 0), modellix_task_id(t));
    assert_string_equal(modellix_journal_entry_model_slug(j, 0), FX_SLUG);
    assert_string_equal(modellix_journal_entry_base_url(j, 0), mock_server_url(f->m));
    assert_string_equal(modellix_journal_entry_profile(j, 0), "work");
    assert_int_equal(modellix_journal_entry_pid(j, 0), getpid());
    assert_true(modellix_journal_entry_created_ms(j, 0) >= before);
    assert_true(modellix_journal_entry_updated_ms(j, 0) >= modellix_journal_entry_created_ms(j, 0));
    assert_true(modellix_journal_entry_updated_ms(j, 0) <= after);
    assert_non_null(modellix_journal_entry_intent_id(j, 0));
    char intent[128];
    snprintf(intent, sizeof intent, "%s", modellix_journal_entry_intent_id(j, 0));
    /* out of range */
    assert_null(modellix_journal_entry_task_id(j, 1));
    assert_int_equal(modellix_journal_entry_state(j, 1), 0);
    modellix_journal_free(j);

    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    j = jread();
    assert_int_equal(modellix_journal_count(j), 1);
    assert_int_equal(modellix_journal_entry_state(j, 0), MODELLIX_JOURNAL_SUCCESS);
    assert_string_equal(modellix_journal_entry_intent_id(j, 0), intent);
    assert_string_equal(modellix_journal_entry_task_id(j, 0), modellix_task_id(t));
    modellix_journal_free(j);

    /* three records: intent, accepted, final; one paid task on the mock */
    char *bytes = ju_slurp(J.path, NULL);
    assert_int_equal(ju_count_lines(bytes), 3);
    assert_non_null(strstr(bytes, "\"r\":\"intent\""));
    assert_non_null(strstr(bytes, "\"r\":\"accepted\""));
    assert_non_null(strstr(bytes, "\"state\":\"success\""));
    free(bytes);
    assert_int_equal(fx_tasks_created(f), 1);
    assert_file_clean();
    modellix_task_free(t);
    modellix_client_free(c);
    assert_int_equal(ju_mode(J.path), 0600);
}

/* The final record also comes from a manual poll, and closes an entry by task id for a task attached
   with modellix_task_attach (how a program resumes ids read with modellix_journal_open). */
static void test_final_from_poll_and_plain_attach(void **state)
{
    fixture *f = *state;
    modellix_client *c = jc(f, NULL, 3);
    modellix_task *t, *u;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, "{\"prompt\":\"p\",\"mock_duration_ms\":40}"), MODELLIX_OK);
    assert_int_equal(modellix_task_submit(&u, c, FX_SLUG, "{\"prompt\":\"p\",\"mock_duration_ms\":40}"), MODELLIX_OK);
    int64_t t0 = fx_ms();
    while (modellix_task_status(t) != MODELLIX_TASK_SUCCESS && fx_ms() - t0 < 5000) {
        assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(modellix_task_status(t), MODELLIX_TASK_SUCCESS);
    assert_int_equal(modellix_task_poll(t), MODELLIX_OK); /* once terminal, no second final record */
    char uid[128];
    snprintf(uid, sizeof uid, "%s", modellix_task_id(u));
    modellix_task_free(u);
    modellix_client_free(c);

    c = jc(f, NULL, 3);
    assert_int_equal(modellix_task_attach(&u, c, uid), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(u, 5000), MODELLIX_OK);
    modellix_journal *j = jread();
    assert_int_equal(modellix_journal_count(j), 2);
    assert_int_equal(modellix_journal_entry_state(j, (size_t)find_task(j, modellix_task_id(t))),
                     MODELLIX_JOURNAL_SUCCESS);
    assert_int_equal(modellix_journal_entry_state(j, (size_t)find_task(j, uid)), MODELLIX_JOURNAL_SUCCESS);
    modellix_journal_free(j);
    char *bytes = ju_slurp(J.path, NULL);
    assert_int_equal(ju_count_lines(bytes), 6); /* 2 intents, 2 accepted, 2 finals */
    free(bytes);
    modellix_task_free(t);
    modellix_task_free(u);
    modellix_client_free(c);
}

static void test_async_batch_success_and_failure(void **state)
{
    fixture *f = *state;
    enum { N = 6 };
    modellix_client *c = jc(f, NULL, 2);
    modellix_task *ts[N];
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_task_submit_async(&ts[i], c, FX_SLUG,
                                                    i % 2 ? "{\"prompt\":\"" PROMPT "\",\"mock_outcome\":\"failed\","
                                                            "\"mock_duration_ms\":60}"
                                                          : "{\"prompt\":\"" PROMPT "\",\"mock_duration_ms\":60}"),
                         MODELLIX_OK);
    assert_int_equal(modellix_client_wait_all(c, ts, N, 20000), MODELLIX_OK); /* failed tasks are done */
    modellix_journal *j = jread();
    assert_int_equal(modellix_journal_count(j), N);
    for (int i = 0; i < N; i++) {
        assert_non_null(modellix_task_id(ts[i]));
        long k = find_task(j, modellix_task_id(ts[i]));
        assert_true(k >= 0);
        assert_int_equal(modellix_journal_entry_state(j, (size_t)k),
                         i % 2 ? MODELLIX_JOURNAL_FAILED : MODELLIX_JOURNAL_SUCCESS);
        assert_int_equal(modellix_task_status(ts[i]), i % 2 ? MODELLIX_TASK_FAILED : MODELLIX_TASK_SUCCESS);
        assert_null(modellix_journal_entry_profile(j, (size_t)k));
    }
    modellix_journal_free(j);
    assert_int_equal(fx_tasks_created(f), N);
    char *bytes = ju_slurp(J.path, NULL);
    assert_int_equal(ju_count_lines(bytes), 3 * N);
    free(bytes);
    assert_file_clean();
    for (int i = 0; i < N; i++)
        modellix_task_free(ts[i]);
    modellix_client_free(c);
}

static void test_rejected_submissions(void **state)
{
    fixture *f = *state;
    modellix_client *c = jc(f, NULL, 3);
    fx_fault(f, MOCK_ROUTE_SUBMIT, "POST", MOCK_FAULT_STATUS, 400, 2);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_EHTTP);
    assert_null(t);
    assert_int_equal(modellix_task_submit_async(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 5000), MODELLIX_EHTTP);
    assert_int_equal(modellix_task_submit_state(t), MODELLIX_SUBMIT_REJECTED);
    modellix_task_free(t);
    modellix_journal *j = jread();
    assert_int_equal(modellix_journal_count(j), 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(modellix_journal_entry_state(j, i), MODELLIX_JOURNAL_REJECTED);
        assert_null(modellix_journal_entry_task_id(j, i));
    }
    modellix_journal_free(j);
    assert_int_equal(fx_tasks_created(f), 0);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 2);
    assert_file_clean();
    modellix_client_free(c);
}

static void test_unknown_outcomes(void **state)
{
    fixture *f = *state;
    modellix_client *c = jc(f, NULL, 3);
    /* the task is created and charged; the answer is lost */
    fx_fault_charged(f, MOCK_ROUTE_SUBMIT, MOCK_FAULT_RESET_BEFORE, 0, 2);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_EOUTCOME_UNKNOWN);
    assert_int_equal(modellix_task_submit_async(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 5000), MODELLIX_EOUTCOME_UNKNOWN);
    assert_int_equal(modellix_task_submit_state(t), MODELLIX_SUBMIT_UNKNOWN);
    modellix_task_free(t);
    modellix_journal *j = jread();
    assert_int_equal(modellix_journal_count(j), 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(modellix_journal_entry_state(j, i), MODELLIX_JOURNAL_UNKNOWN);
        assert_null(modellix_journal_entry_task_id(j, i));
    }
    modellix_journal_free(j);
    /* two tasks exist on the service, and the journal says two submissions may have created one */
    assert_int_equal(fx_tasks_created(f), 2);
    assert_file_clean();
    modellix_client_free(c);
}

/* The file cannot grow (RLIMIT_FSIZE at its size): the intent fails, so nothing is sent. */
static void test_intent_failure_sends_nothing(void **state)
{
    fixture *f = *state;
    modellix_client *c = jc(f, NULL, 3);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {0, RLIM_INFINITY};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_EIO);
    assert_null(t);
    assert_int_equal(modellix_client_errcode(c), MODELLIX_EIO);
    assert_non_null(strstr(modellix_client_errmsg(c), "not sent, because the task journal could not record it"));
    assert_int_equal(modellix_task_submit_async(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 5000), MODELLIX_EIO);
    assert_int_equal(modellix_task_submit_state(t), MODELLIX_SUBMIT_REJECTED);
    assert_int_equal(modellix_task_errcode(t), MODELLIX_EIO);
    assert_null(modellix_task_id(t));
    modellix_task_free(t);
    rl.rlim_cur = RLIM_INFINITY;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    /* nothing left the process */
    assert_int_equal(fx_requests(f, MOCK_ROUTE_SUBMIT), 0);
    assert_int_equal(fx_tasks_created(f), 0);
    modellix_journal *j = jread();
    assert_int_equal(modellix_journal_count(j), 0);
    modellix_journal_free(j);
    /* and it works again once the file can grow */
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    modellix_task_free(t);
    assert_int_equal(fx_tasks_created(f), 1);
    modellix_client_free(c);
}

/* Room for the intent only: the accepted record fails, the task is still returned accepted, and
   the journal shows an intent whose outcome is unknown (never a lost task). */
static void test_accepted_failure_keeps_the_task(void **state)
{
    fixture *f = *state;
    modellix_client *c = jc(f, NULL, 3);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    modellix_task_free(t);
    size_t len;
    char *bytes = ju_slurp(J.path, &len);
    size_t intent_len = (size_t)(strchr(bytes, '\n') - bytes) + 1; /* the next intent has the same length */
    free(bytes);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {(rlim_t)(len + intent_len), RLIM_INFINITY};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    J.log_len = 0;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, FX_BODY), MODELLIX_OK);
    rl.rlim_cur = RLIM_INFINITY;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
    assert_non_null(modellix_task_id(t));
    assert_non_null(strstr(J.log, "was accepted but the task journal could not record it"));
    modellix_journal *j = jread();
    assert_int_equal(modellix_journal_count(j), 2);
    assert_int_equal(modellix_journal_entry_state(j, 1), MODELLIX_JOURNAL_INTENT);
    assert_null(modellix_journal_entry_task_id(j, 1));
    modellix_journal_free(j);
    assert_int_equal(fx_tasks_created(f), 2);
    modellix_task_free(t);
    modellix_client_free(c);
}

static void expect_open_failure(fixture *f, const char *path, int code, const char *words)
{
    int before = ju_fd_count();
    J.log_len = 0;
    J.log[0] = '\0';
    modellix_client *c = (modellix_client *)&c;
    assert_int_equal(jclient(&c, f, path, NULL, 3), code);
    assert_null(c);
    assert_int_equal(ju_fd_count(), before);
    assert_non_null(strstr(J.log, "the task journal"));
    assert_non_null(strstr(J.log, words));
}

static void test_open_failures_leave_no_descriptor(void **state)
{
    fixture *f = *state;
    char p[700];
    /* writable by others: refused, not fixed */
    snprintf(p, sizeof p, "%s/shared", J.dir);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_int_equal(chmod(p, 0666), 0);
    expect_open_failure(f, p, MODELLIX_EUNSAFE, "writable by other users");
    assert_int_equal(ju_mode(p), 0666);
    /* a symbolic link */
    char link[720];
    snprintf(link, sizeof link, "%s/link", J.dir);
    assert_int_equal(symlink(p, link), 0);
    expect_open_failure(f, link, MODELLIX_EUNSAFE, "symbolic link");
    /* a directory */
    expect_open_failure(f, J.dir, MODELLIX_EIO, "cannot open");
    /* under a regular file */
    snprintf(link, sizeof link, "%s/shared/journal", J.dir);
    expect_open_failure(f, link, MODELLIX_EIO, "cannot");
    /* readable by others: made owner-only */
    assert_int_equal(chmod(p, 0644), 0);
    int before = ju_fd_count();
    modellix_client *c;
    assert_int_equal(jclient(&c, f, p, NULL, 3), MODELLIX_OK);
    assert_int_equal(ju_mode(p), 0600);
    assert_int_equal(ju_fds_on(p), 1);
    modellix_client_free(c);
    assert_int_equal(ju_fds_on(p), 0); /* the journal's descriptor closed with the client */
    assert_int_equal(ju_fd_count(), before);
    assert_int_equal(fx_requests(f, MOCK_ROUTE_ANY), 0);
}

static void test_attach_pending_resumes_unfinished(void **state)
{
    fixture *f = *state;
    enum { N = 3 };
    char ids[N][128];
    modellix_client *a = jc(f, "work", 3);
    for (int i = 0; i < N; i++) {
        modellix_task *t;
        assert_int_equal(modellix_task_submit(&t, a, FX_SLUG, "{\"prompt\":\"p\",\"mock_duration_ms\":200}"),
                         MODELLIX_OK);
        snprintf(ids[i], sizeof ids[i], "%s", modellix_task_id(t));
        modellix_task_free(t); /* forgotten: only the journal knows it now */
    }
    modellix_client_free(a);
    modellix_client *other = jc(f, "other", 3);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, other, FX_SLUG, "{\"prompt\":\"p\",\"mock_duration_ms\":200}"),
                     MODELLIX_OK);
    char other_id[128];
    snprintf(other_id, sizeof other_id, "%s", modellix_task_id(t));
    modellix_task_free(t);
    modellix_client_free(other);

    modellix_client *b = jc(f, "work", 3);
    modellix_task **ts;
    size_t n;
    assert_int_equal(modellix_client_attach_pending(&ts, &n, b), MODELLIX_OK);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++)
        assert_string_equal(modellix_task_id(ts[i]), ids[i]);
    int64_t polls = fx_requests(f, MOCK_ROUTE_TASK);
    assert_int_equal(modellix_client_wait_all(b, ts, n, 10000), MODELLIX_OK);
    assert_true(fx_requests(f, MOCK_ROUTE_TASK) >= polls + N);
    for (size_t i = 0; i < n; i++)
        modellix_task_free(ts[i]);
    modellix_free(ts);

    modellix_journal *j = jread();
    assert_int_equal(modellix_journal_count(j), N + 1);
    for (int i = 0; i < N; i++)
        assert_int_equal(modellix_journal_entry_state(j, (size_t)find_task(j, ids[i])), MODELLIX_JOURNAL_SUCCESS);
    assert_int_equal(modellix_journal_entry_state(j, (size_t)find_task(j, other_id)), MODELLIX_JOURNAL_ACCEPTED);
    modellix_journal_free(j);
    /* nothing more to resume for this profile; the submissions were paid once each */
    assert_int_equal(modellix_client_attach_pending(&ts, &n, b), MODELLIX_OK);
    assert_int_equal(n, 0);
    assert_null(ts);
    assert_int_equal(fx_tasks_created(f), N + 1);
    modellix_client_free(b);

    /* a client without a journal */
    assert_int_equal(modellix_client_attach_pending(&ts, &n, f->c), MODELLIX_ESTATE);
    assert_int_equal(modellix_client_attach_pending(NULL, &n, f->c), MODELLIX_EINVAL);
}

/* The size bound set on the options reaches the client's journal: past it the file is rewritten,
   unfinished entries kept. */
static void test_compaction_option(void **state)
{
    fixture *f = *state;
    enum { DONE = 24, OPEN = 3, KEEP = 2 };
    modellix_options *o;
    modellix_client *c;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    assert_int_equal(modellix_options_set_base_url(o, mock_server_url(f->m)), MODELLIX_OK);
    assert_int_equal(modellix_options_set_poll_schedule(o, fast_polls, NULL, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_journal_path(o, J.path), MODELLIX_OK);
    assert_int_equal(modellix_options_set_journal_sync(o, MODELLIX_JOURNAL_SYNC_NONE), MODELLIX_OK);
    assert_int_equal(modellix_options_set_journal_compaction(o, 4096, KEEP), MODELLIX_OK);
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    char open_ids[OPEN][128];
    for (int i = 0; i < DONE + OPEN; i++) {
        modellix_task *t;
        assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, "{\"prompt\":\"p\",\"mock_duration_ms\":0}"), MODELLIX_OK);
        if (i < OPEN)
            snprintf(open_ids[i], sizeof open_ids[i], "%s", modellix_task_id(t)); /* never waited for */
        else
            assert_int_equal(modellix_task_wait(t, 5000), MODELLIX_OK);
        modellix_task_free(t);
    }
    modellix_client_free(c);
    modellix_journal *j = jread();
    size_t finished = 0;
    for (size_t i = 0; i < modellix_journal_count(j); i++)
        finished += modellix_journal_entry_state(j, i) == MODELLIX_JOURNAL_SUCCESS;
    for (int i = 0; i < OPEN; i++) {
        long k = find_task(j, open_ids[i]);
        assert_true(k >= 0);
        assert_int_equal(modellix_journal_entry_state(j, (size_t)k), MODELLIX_JOURNAL_ACCEPTED);
    }
    /* ~420 bytes per finished entry: 4096 bytes hold about 9; fewer than DONE are left */
    assert_true(finished >= KEEP && finished < DONE / 2);
    modellix_journal_free(j);
    size_t len;
    free(ju_slurp(J.path, &len));
    assert_true(len < 2 * 4096 + 1024);
    assert_int_equal(ju_mode(J.path), 0600);
    assert_int_equal(fx_tasks_created(f), DONE + OPEN);
}

static void test_option_arguments(void **state)
{
    (void)state;
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_journal_path(o, ""), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_journal_path(NULL, "x"), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_journal_path(o, NULL), MODELLIX_OK);
    assert_int_equal(modellix_options_set_journal_profile(o, "a\nb"), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_journal_sync(o, 3), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_journal_sync(o, MODELLIX_JOURNAL_SYNC_NONE), MODELLIX_OK);
    assert_int_equal(modellix_options_set_journal_compaction(o, 4095, 1), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_journal_compaction(o, 4096, -1), MODELLIX_EINVAL);
    assert_int_equal(modellix_options_set_journal_compaction(o, 4096, 0), MODELLIX_OK);
    modellix_options_free(o);
    modellix_journal *j = (modellix_journal *)&j;
    assert_int_equal(modellix_journal_open(&j, NULL), MODELLIX_EINVAL);
    assert_null(j);
    assert_int_equal(modellix_journal_count(NULL), 0);
    assert_int_equal(modellix_journal_clear(NULL), MODELLIX_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sync_submit_then_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_final_from_poll_and_plain_attach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_batch_success_and_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected_submissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_outcomes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_intent_failure_sends_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accepted_failure_keeps_the_task, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_failures_leave_no_descriptor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach_pending_resumes_unfinished, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_option_arguments, setup, teardown),
    };
    return cmocka_run_group_tests_name("journal", tests, fx_setup, fx_teardown);
}
