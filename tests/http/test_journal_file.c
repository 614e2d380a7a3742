/* The task journal's file, without a server: torn and corrupted records, owner-only modes, several
 * processes appending at once (with and without compaction racing them), compaction keeping every
 * unfinished entry, clearing, and no descriptor left by a failed open. Uses the writer directly
 * (lib/journal.h) through the internal static library. */
#include "../../lib/journal.h" /* the internal one (modellix/journal.h has the same name) */
#include "journal_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE "http://127.0.0.1:9"
#define SLUG "bytedance/seedream-4.5-t2i"

static char dir[256];
static char path[400];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/modellix-journal-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/journal", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ju_rm_tree(dir);
    return 0;
}

static mx_journal *wopen(int64_t max_bytes, int32_t keep)
{
    mx_journal_conf conf = {path, "p", MODELLIX_JOURNAL_SYNC_NONE, max_bytes, keep};
    mx_journal *j = NULL;
    char err[300];
    assert_int_equal(mx_journal_open(&j, &conf, err, sizeof err), MODELLIX_OK);
    return j;
}

/* One submission's records: intent, then accepted ("t-<tag>") unless state is INTENT or a state
   without a task, then final for finished states. */
static void entry(mx_journal *j, const char *tag, int32_t state)
{
    char err[300], task[64], *id;
    snprintf(task, sizeof task, "t-%s", tag);
    assert_int_equal(mx_journal_intent(j, BASE, SLUG, &id, err, sizeof err), MODELLIX_OK);
    int has_task = state == MODELLIX_JOURNAL_ACCEPTED || state == MODELLIX_JOURNAL_SUCCESS ||
                   state == MODELLIX_JOURNAL_FAILED;
    if (has_task)
        assert_int_equal(mx_journal_accepted(j, id, task, err, sizeof err), MODELLIX_OK);
    if (mx_journal_is_finished(state))
        assert_int_equal(mx_journal_final(j, has_task && state == MODELLIX_JOURNAL_SUCCESS ? NULL : id,
                                          has_task ? task : NULL, state, err, sizeof err),
                         MODELLIX_OK);
    free(id);
}

static modellix_journal *snap(size_t count, size_t skipped)
{
    modellix_journal *s = NULL;
    assert_int_equal(modellix_journal_open(&s, path), MODELLIX_OK);
    assert_int_equal(modellix_journal_count(s), count);
    assert_int_equal(modellix_journal_skipped(s), skipped);
    return s;
}

static void append_raw(const char *bytes)
{
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, strlen(bytes)), (ssize_t)strlen(bytes));
    close(fd);
}

static void test_states_and_fields(void **state)
{
    (void)state;
    mx_journal *j = wopen(0, -1);
    entry(j, "a", MODELLIX_JOURNAL_INTENT);
    entry(j, "b", MODELLIX_JOURNAL_ACCEPTED);
    entry(j, "c", MODELLIX_JOURNAL_SUCCESS); /* final found by task id */
    entry(j, "d", MODELLIX_JOURNAL_FAILED);
    entry(j, "e", MODELLIX_JOURNAL_REJECTED);
    entry(j, "f", MODELLIX_JOURNAL_UNKNOWN);
    /* a final for a task the journal never saw (attached from elsewhere) changes nothing */
    char err[300];
    assert_int_equal(mx_journal_final(j, NULL, "t-elsewhere", MODELLIX_JOURNAL_SUCCESS, err, sizeof err), MODELLIX_OK);
    assert_int_equal(mx_journal_final(j, NULL, NULL, MODELLIX_JOURNAL_SUCCESS, err, sizeof err), MODELLIX_EINVAL);
    assert_int_equal(mx_journal_final(j, "x", NULL, MODELLIX_JOURNAL_ACCEPTED, err, sizeof err), MODELLIX_EINVAL);
    mx_journal_close(j);
    modellix_journal *s = snap(6, 0);
    const int32_t want[] = {MODELLIX_JOURNAL_INTENT,  MODELLIX_JOURNAL_ACCEPTED, MODELLIX_JOURNAL_SUCCESS,
                            MODELLIX_JOURNAL_FAILED,  MODELLIX_JOURNAL_REJECTED, MODELLIX_JOURNAL_UNKNOWN};
    const char *tasks[] = {NULL, "t-b", "t-c", "t-d", NULL, NULL};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(modellix_journal_entry_state(s, i), want[i]);
        if (tasks[i])
            assert_string_equal(modellix_journal_entry_task_id(s, i), tasks[i]);
        else
            assert_null(modellix_journal_entry_task_id(s, i));
        assert_string_equal(modellix_journal_entry_profile(s, i), "p");
        assert_string_equal(modellix_journal_entry_base_url(s, i), BASE);
        assert_string_equal(modellix_journal_entry_model_slug(s, i), SLUG);
        assert_int_equal(modellix_journal_entry_pid(s, i), getpid());
        for (size_t k = 0; k < i; k++) /* intent ids are unique */
            assert_string_not_equal(modellix_journal_entry_intent_id(s, k), modellix_journal_entry_intent_id(s, i));
    }
    modellix_journal_free(s);
}

static void test_torn_and_corrupted_records(void **state)
{
    (void)state;
    mx_journal *j = wopen(0, -1);
    entry(j, "a", MODELLIX_JOURNAL_ACCEPTED);
    entry(j, "b", MODELLIX_JOURNAL_ACCEPTED);
    entry(j, "c", MODELLIX_JOURNAL_ACCEPTED);
    modellix_journal_free(snap(3, 0));
    /* a record cut short by a crash: half of a real one, without its newline */
    size_t len;
    char *bytes = ju_slurp(path, &len);
    char *second = strchr(bytes, '\n') + 1;
    char half[200];
    snprintf(half, sizeof half, "%.*s", (int)((strchr(second, '\n') - second) / 2), second);
    free(bytes);
    append_raw(half);
    modellix_journal *s = snap(3, 1); /* the torn record is ignored */
    modellix_journal_free(s);
    /* the next append starts on a fresh line, and both survive */
    entry(j, "d", MODELLIX_JOURNAL_ACCEPTED);
    s = snap(4, 1);
    assert_string_equal(modellix_journal_entry_task_id(s, 3), "t-d");
    modellix_journal_free(s);
    bytes = ju_slurp(path, &len);
    assert_int_equal(bytes[len - 1], '\n');
    free(bytes);

    /* a flipped byte inside a record fails its checksum: that record alone is skipped */
    bytes = ju_slurp(path, &len);
    char *p = strstr(bytes, "t-b");
    assert_non_null(p);
    p[2] = 'X';
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, len, fp), len);
    fclose(fp);
    free(bytes);
    s = snap(4, 2);
    assert_int_equal(modellix_journal_entry_state(s, 1), MODELLIX_JOURNAL_INTENT); /* its accepted record was lost */
    assert_null(modellix_journal_entry_task_id(s, 1));
    modellix_journal_free(s);
    /* garbage lines are skipped too */
    append_raw("not a record\n\n0000000z {}\n");
    modellix_journal_free(snap(4, 4));
    mx_journal_close(j);
}

static void test_modes(void **state)
{
    (void)state;
    mode_t old = umask(0);
    snprintf(path, sizeof path, "%s/a/b/journal", dir);
    mx_journal *j = wopen(0, -1);
    umask(old);
    assert_int_equal(ju_mode(path), 0600);
    char d[500];
    snprintf(d, sizeof d, "%s/a/b", dir);
    assert_int_equal(ju_mode(d), 0700);
    snprintf(d, sizeof d, "%s/a", dir);
    assert_int_equal(ju_mode(d), 0700);
    entry(j, "a", MODELLIX_JOURNAL_SUCCESS);
    mx_journal_close(j);
    assert_int_equal(ju_mode(path), 0600);
    snprintf(path, sizeof path, "%s/journal", dir);
}

/* Readers refuse what is not a regular file of this user (mx_journal_check_lock): a directory, and a
   file another user owns (checked when the test can make one: as root). */
static void test_reader_refuses_foreign_and_non_regular(void **state)
{
    (void)state;
    modellix_journal *s = (modellix_journal *)&s;
    int before = ju_fd_count();
    assert_int_equal(modellix_journal_open(&s, dir), MODELLIX_EUNSAFE);
    assert_null(s);
    char p[500];
    snprintf(p, sizeof p, "%s/theirs", dir);
    close(open(p, O_CREAT | O_WRONLY, 0600));
    if (geteuid() == 0) {
        assert_int_equal(chown(p, 65534, 65534), 0);
        assert_int_equal(modellix_journal_open(&s, p), MODELLIX_EUNSAFE);
        assert_null(s);
        assert_int_equal(chown(p, 0, 0), 0);
    }
    assert_int_equal(modellix_journal_open(&s, p), MODELLIX_OK); /* the same file, ours: read */
    assert_int_equal(modellix_journal_count(s), 0);
    modellix_journal_free(s);
    unlink(p);
    assert_int_equal(ju_fd_count(), before);
}

static void test_open_failure_leaves_no_descriptor(void **state)
{
    (void)state;
    char p[500], err[300];
    int before = ju_fd_count();
    mx_journal *j = (mx_journal *)&j;
    snprintf(p, sizeof p, "%s/file", dir);
    close(open(p, O_CREAT | O_WRONLY, 0600));
    assert_int_equal(chmod(p, 0620), 0);
    mx_journal_conf conf = {p, NULL, 0, 0, -1};
    assert_int_equal(mx_journal_open(&j, &conf, err, sizeof err), MODELLIX_EUNSAFE);
    assert_null(j);
    assert_non_null(strstr(err, "writable by other users"));
    snprintf(p, sizeof p, "%s/file/sub", dir);
    assert_int_equal(mx_journal_open(&j, &conf, err, sizeof err), MODELLIX_EIO);
    conf.path = dir;
    assert_int_equal(mx_journal_open(&j, &conf, err, sizeof err), MODELLIX_EIO);
    assert_int_equal(ju_fd_count(), before);
    /* readers: missing = empty, a symbolic link refused */
    modellix_journal *s;
    snprintf(p, sizeof p, "%s/missing", dir);
    assert_int_equal(modellix_journal_open(&s, p), MODELLIX_OK);
    assert_int_equal(modellix_journal_count(s), 0);
    modellix_journal_free(s);
    snprintf(p, sizeof p, "%s/link", dir);
    char target[500];
    snprintf(target, sizeof target, "%s/file", dir);
    assert_int_equal(symlink(target, p), 0);
    assert_int_equal(modellix_journal_open(&s, p), MODELLIX_EUNSAFE);
    assert_int_equal(modellix_journal_clear(p), MODELLIX_EUNSAFE);
    assert_int_equal(ju_fd_count(), before);
}

static void test_clear(void **state)
{
    (void)state;
    mx_journal *j = wopen(0, -1);
    entry(j, "a", MODELLIX_JOURNAL_ACCEPTED);
    entry(j, "b", MODELLIX_JOURNAL_SUCCESS);
    modellix_journal_free(snap(2, 0));
    assert_int_equal(modellix_journal_clear(path), MODELLIX_OK);
    modellix_journal_free(snap(0, 0));
    entry(j, "c", MODELLIX_JOURNAL_ACCEPTED); /* the open writer goes on in the emptied file */
    modellix_journal *s = snap(1, 0);
    assert_string_equal(modellix_journal_entry_task_id(s, 0), "t-c");
    modellix_journal_free(s);
    mx_journal_close(j);
    char p[500];
    snprintf(p, sizeof p, "%s/never", dir);
    assert_int_equal(modellix_journal_clear(p), MODELLIX_OK);
}

/* Compaction: every unfinished entry stays, the newest `keep` finished ones stay, the file shrinks. */
static void test_compaction_keeps_unfinished(void **state)
{
    (void)state;
    enum { N = 300, KEEP = 10 };
    struct stat st;
    /* the same records without compaction, for comparison */
    off_t uncompacted = 0;
    for (int pass = 0; pass < 2; pass++) {
        mx_journal *j = wopen(pass ? 8192 : (int64_t)1 << 40, KEEP);
        for (int i = 0; i < N; i++) {
            char tag[32];
            snprintf(tag, sizeof tag, "%d", i);
            entry(j, tag, i % 10 == 0 ? MODELLIX_JOURNAL_ACCEPTED : i % 10 == 1 ? MODELLIX_JOURNAL_INTENT
                                                                                 : MODELLIX_JOURNAL_SUCCESS);
        }
        mx_journal_close(j);
        if (!pass) {
            assert_int_equal(stat(path, &st), 0);
            uncompacted = st.st_size;
            unlink(path);
        }
    }
    modellix_journal *s = NULL;
    assert_int_equal(modellix_journal_open(&s, path), MODELLIX_OK);
    assert_int_equal(modellix_journal_skipped(s), 0);
    size_t accepted = 0, intents = 0, finished = 0;
    char seen[N] = {0};
    for (size_t i = 0; i < modellix_journal_count(s); i++) {
        int32_t st = modellix_journal_entry_state(s, i);
        accepted += st == MODELLIX_JOURNAL_ACCEPTED;
        intents += st == MODELLIX_JOURNAL_INTENT;
        finished += st == MODELLIX_JOURNAL_SUCCESS;
        const char *t = modellix_journal_entry_task_id(s, i);
        if (t)
            seen[atoi(t + 2)] = 1;
        if (i > 0) /* journal order kept */
            assert_true(modellix_journal_entry_created_ms(s, i) >= modellix_journal_entry_created_ms(s, i - 1));
    }
    assert_int_equal(accepted, N / 10);
    assert_int_equal(intents, N / 10);
    for (int i = 0; i < N; i += 10)
        assert_true(seen[i]);
    assert_true(seen[N - 1]); /* the newest finished entry */
    /* the finished ones were dropped down to KEEP at the last compaction, plus those written since */
    assert_true(finished >= KEEP && finished < N * 8 / 10);
    modellix_journal_free(s);
    assert_int_equal(stat(path, &st), 0);
    printf("# compaction: %lld bytes instead of %lld, %zu finished entries kept of %d\n", (long long)st.st_size,
           (long long)uncompacted, finished, N * 8 / 10);
    assert_true(st.st_size < uncompacted / 2);
    assert_int_equal(ju_mode(path), 0600);
    /* no temporary file left behind */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
}

/* Several processes append at once; with a small bound they also compact under each other. */
static void run_writers(int64_t max_bytes, int32_t keep)
{
    enum { KIDS = 6, M = 150 };
    pid_t kids[KIDS];
    for (int k = 0; k < KIDS; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            mx_journal_conf conf = {path, "p", MODELLIX_JOURNAL_SYNC_NONE, max_bytes, keep};
            mx_journal *j = NULL;
            char err[300], task[64], *id;
            if (mx_journal_open(&j, &conf, err, sizeof err) != MODELLIX_OK)
                _exit(10);
            for (int i = 0; i < M; i++) {
                snprintf(task, sizeof task, "t-%d-%d", k, i);
                if (mx_journal_intent(j, BASE, SLUG, &id, err, sizeof err) != MODELLIX_OK ||
                    mx_journal_accepted(j, id, task, err, sizeof err) != MODELLIX_OK)
                    _exit(11);
                if (i % 2 && mx_journal_final(j, id, task, MODELLIX_JOURNAL_SUCCESS, err, sizeof err) != MODELLIX_OK)
                    _exit(12);
                free(id);
            }
            mx_journal_close(j);
            _exit(0);
        }
    }
    for (int k = 0; k < KIDS; k++) {
        int status;
        assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    modellix_journal *s = NULL;
    assert_int_equal(modellix_journal_open(&s, path), MODELLIX_OK);
    assert_int_equal(modellix_journal_skipped(s), 0);
    static char seen[KIDS][M];
    memset(seen, 0, sizeof seen);
    size_t unfinished = 0, finished = 0;
    for (size_t i = 0; i < modellix_journal_count(s); i++) {
        int k, n;
        assert_int_equal(sscanf(modellix_journal_entry_task_id(s, i), "t-%d-%d", &k, &n), 2);
        assert_int_equal(seen[k][n], 0);
        seen[k][n] = 1;
        int32_t st = modellix_journal_entry_state(s, i);
        assert_int_equal(st, n % 2 ? MODELLIX_JOURNAL_SUCCESS : MODELLIX_JOURNAL_ACCEPTED);
        unfinished += st == MODELLIX_JOURNAL_ACCEPTED;
        finished += st == MODELLIX_JOURNAL_SUCCESS;
    }
    /* every unfinished entry of every process is there */
    assert_int_equal(unfinished, KIDS * M / 2);
    if (keep < 0)
        assert_int_equal(finished, KIDS * M / 2);
    else
        assert_true(finished < KIDS * M / 2);
    printf("# %d processes x %d submissions: %zu entries (%zu unfinished, %zu finished), 0 damaged\n", KIDS, M,
           modellix_journal_count(s), unfinished, finished);
    modellix_journal_free(s);
}

static void test_concurrent_writers(void **state)
{
    (void)state;
    run_writers(0, -1);
}

static void test_concurrent_writers_with_compaction(void **state)
{
    (void)state;
    run_writers(16384, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_states_and_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_and_corrupted_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reader_refuses_foreign_and_non_regular, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_failure_leaves_no_descriptor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compaction_keeps_unfinished, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_with_compaction, setup, teardown),
    };
    return cmocka_run_group_tests_name("journal_file", tests, NULL, NULL);
}
