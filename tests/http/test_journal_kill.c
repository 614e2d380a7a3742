/* kill -9 at random moments: a child process (journal_child) submits a batch with the task journal
 * on, against the in-process mock in this process over loopback; the parent SIGKILLs it at a seeded
 * random moment, then checks that the journal accounts for every task the mock created:
 *
 *   - every task id in the journal names a task the mock has (polled here), each at most once;
 *   - every created task without an id in the journal is covered by an intent whose outcome is
 *     unknown (state INTENT: killed between the intent and the answer; or UNKNOWN);
 *   so lost = created - (ids) - (unknown intents) must be <= 0, over every trial.
 *
 * Submissions are answered late (a 25 ms stall after the task is created) so that kills often land
 * between the service creating a task and the accepted record: those must show up as INTENT.
 *
 * usage: test_journal_kill CHILD_PROGRAM [SEED] */
#include "harness.h"
#include "journal_util.h"

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *child_prog;
static unsigned long seed = 20261201;

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

typedef struct totals {
    int trials, killed;
    int64_t created, with_id, unknown_intents, accounted, lost, finished;
} totals;

static void one_trial(fixture *f, const char *dir, int trial, int64_t kill_after_ms, totals *tot)
{
    char path[600];
    snprintf(path, sizeof path, "%s/journal-%d", dir, trial);
    mock_server_reset_counters(f->m);
    mock_server_clear_faults(f->m);
    mock_fault stall = {0};
    stall.route = MOCK_ROUTE_SUBMIT;
    stall.kind = MOCK_FAULT_STALL;
    stall.stall_ms = 25; /* the task exists from the arrival on; the answer comes 25 ms later */
    fx_fault_full(f, &stall);

    char *argv[] = {(char *)child_prog, (char *)mock_server_url(f->m), path, "20", "4", NULL};
    pid_t pid;
    assert_int_equal(posix_spawn(&pid, child_prog, NULL, NULL, argv, environ), 0);
    sleep_ms(kill_after_ms);
    int status;
    int killed = kill(pid, SIGKILL) == 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    killed = killed && WIFSIGNALED(status);
    if (!killed) { /* it finished first: it must have finished well */
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    sleep_ms(60); /* submissions that reached the mock before the kill are created by now */

    int64_t created = mock_server_counter(f->m, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY);
    modellix_journal *j = NULL;
    assert_int_equal(modellix_journal_open(&j, path), MODELLIX_OK);
    size_t n = modellix_journal_count(j);
    int64_t with_id = 0, unknown = 0, finished = 0;
    for (size_t i = 0; i < n; i++) {
        const char *id = modellix_journal_entry_task_id(j, i);
        int32_t st = modellix_journal_entry_state(j, i);
        assert_int_equal(modellix_journal_entry_pid(j, i), pid);
        if (id) {
            /* a real task of the mock, journalled once */
            for (size_t k = 0; k < i; k++)
                if (modellix_journal_entry_task_id(j, k))
                    assert_string_not_equal(modellix_journal_entry_task_id(j, k), id);
            modellix_task *t;
            assert_int_equal(modellix_task_attach(&t, f->c, id), MODELLIX_OK);
            assert_int_equal(modellix_task_poll(t), MODELLIX_OK);
            modellix_task_free(t);
            with_id++;
            finished += st == MODELLIX_JOURNAL_SUCCESS;
            assert_true(st == MODELLIX_JOURNAL_ACCEPTED || st == MODELLIX_JOURNAL_SUCCESS);
        } else {
            assert_true(st == MODELLIX_JOURNAL_INTENT || st == MODELLIX_JOURNAL_UNKNOWN);
            unknown++;
        }
    }
    modellix_journal_free(j);
    /* no journal entry without a submission, none beyond the batch */
    assert_true(n <= 20);
    assert_true(with_id <= created);
    int64_t lost = created - with_id - unknown;
    if (lost < 0)
        lost = 0;
    printf("# trial %2d: kill after %3lld ms%s: created %2lld, journal: %2lld with id (%lld finished), %lld intents "
           "of unknown outcome, lost %lld\n",
           trial, (long long)kill_after_ms, killed ? "" : " (finished first)", (long long)created,
           (long long)with_id, (long long)finished, (long long)unknown, (long long)lost);
    tot->trials++;
    tot->killed += killed;
    tot->created += created;
    tot->with_id += with_id;
    tot->unknown_intents += unknown;
    tot->finished += finished;
    tot->accounted += created - lost;
    tot->lost += lost;
}

static void test_kill_9_loses_no_task(void **state)
{
    fixture *f = *state;
    enum { TRIALS = 14 };
    char *dir = fx_make_dir();
    srand((unsigned)seed);
    totals tot = {0};
    int64_t t0 = fx_ms();
    for (int i = 0; i < TRIALS; i++) {
        int64_t after = 5 + rand() % 900; /* from start-up to the end of the batch */
        one_trial(f, dir, i, after, &tot);
    }
    int64_t took = fx_ms() - t0;
    printf("# kill -9: seed %lu, %d trials (%d killed mid-run), %lld tasks created, %lld accounted for "
           "(%lld by task id, %lld covered by intents of unknown outcome), %lld lost, %lld ms\n",
           seed, tot.trials, tot.killed, (long long)tot.created, (long long)tot.accounted, (long long)tot.with_id,
           (long long)(tot.accounted - tot.with_id), (long long)tot.lost, (long long)took);
    assert_int_equal(tot.lost, 0);
    assert_true(tot.killed >= TRIALS / 2); /* the moments did land mid-run */
    assert_true(tot.created > 0);
    assert_true(took < 30000);
    fx_remove_dir(dir);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CHILD_PROGRAM [SEED]\n", argv[0]);
        return 2;
    }
    child_prog = argv[1];
    if (argc > 2)
        seed = strtoul(argv[2], NULL, 10);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_9_loses_no_task, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("journal_kill", tests, fx_setup, fx_teardown);
}
