/* The fault matrix: every fault kind of the mock x {submit, poll, download}, with the code the
 * classification table (design.md section 5) says each must produce, and for submissions the number
 * of tasks created (the duplicate-charge check). Crashes and leaks are caught by the sanitizer and
 * valgrind runs of this same program. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct row {
    const char *name;
    int32_t kind, status, count; /* count 0 = every request */
    int submit_rc;
    int64_t submit_created; /* tasks the service created for one submit call */
    int poll_rc;
    int download_rc;
} row;

#define U MODELLIX_EOUTCOME_UNKNOWN
static const row matrix[] = {
    /* name              kind                      status count  submit                  created poll               download */
    {"status 500",      MOCK_FAULT_STATUS,        500, 0, U, 1, MODELLIX_ESERVER, MODELLIX_ESERVER},
    {"status 503 once", MOCK_FAULT_STATUS,        503, 1, U, 1, MODELLIX_OK, MODELLIX_OK},
    {"status 400",      MOCK_FAULT_STATUS,        400, 0, MODELLIX_EHTTP, 0, MODELLIX_EHTTP, MODELLIX_EHTTP},
    {"status 401",      MOCK_FAULT_STATUS,        401, 0, MODELLIX_EAUTH, 0, MODELLIX_EAUTH, MODELLIX_EAUTH},
    {"status 402",      MOCK_FAULT_STATUS,        402, 0, MODELLIX_EPAYMENT, 0, MODELLIX_EPAYMENT, MODELLIX_EPAYMENT},
    {"status 429 once", MOCK_FAULT_STATUS,        429, 1, MODELLIX_OK, 1, MODELLIX_OK, MODELLIX_OK},
    {"status 408",      MOCK_FAULT_STATUS,        408, 0, U, 1, MODELLIX_EHTTP, MODELLIX_EHTTP},
    {"reset before",    MOCK_FAULT_RESET_BEFORE,  0,   0, U, 1, MODELLIX_ENETWORK, MODELLIX_ENETWORK},
    {"reset midway",    MOCK_FAULT_RESET_MIDWAY,  200, 0, U, 1, MODELLIX_ENETWORK, MODELLIX_ENETWORK},
    {"stall",           MOCK_FAULT_STALL,         0,   0, U, 1, MODELLIX_ENETWORK, MODELLIX_ENETWORK},
    {"garbage",         MOCK_FAULT_GARBAGE,       0,   0, U, 1, MODELLIX_EPROTOCOL, MODELLIX_OK},
    {"truncated",       MOCK_FAULT_TRUNCATED,     0,   0, U, 1, MODELLIX_EPROTOCOL, MODELLIX_OK},
    {"huge",            MOCK_FAULT_HUGE,          0,   0, U, 1, MODELLIX_ETOOLARGE, MODELLIX_OK},
    {"empty",           MOCK_FAULT_EMPTY,         0,   0, U, 1, MODELLIX_EPROTOCOL, MODELLIX_OK},
    {"no task id",      MOCK_FAULT_NO_TASK_ID,    0,   0, U, 1, MODELLIX_EPROTOCOL, MODELLIX_OK},
    {"wrong task id",   MOCK_FAULT_WRONG_TASK_ID, 0,   0, MODELLIX_OK, 0, MODELLIX_EPROTOCOL, MODELLIX_OK},
    {"redirect",        MOCK_FAULT_REDIRECT,      0,   0, U, 1, MODELLIX_EHTTP, MODELLIX_EUNSAFE},
};
#undef U

/* Notes on the expectations:
 * - a submit answered with a "definitely rejected" status creates nothing; every fault after the
 *   service may have created the task (after_create) ends in outcome-unknown with exactly one task;
 *   a submit answer naming an id the service never stored cannot be told apart: it is accepted
 *   (its first poll then gets 404), and nothing was charged;
 * - a file is any bytes: garbage, truncated (with a matching length), empty or 17 MiB bodies are
 *   valid downloads; a redirect on every request (both listeners) is a loop, refused after 5 hops;
 * - a stall longer than the per-exchange timeout (300 ms here) is a failed, retried attempt. */

static void add(fixture *f, const row *r, int32_t route, int after_create)
{
    mock_fault flt = {0};
    flt.route = route;
    flt.kind = r->kind;
    flt.status = r->status;
    flt.count = r->count;
    flt.stall_ms = 1500;
    flt.after_create = after_create;
    if (r->status == 429)
        flt.headers = "Retry-After: 0\n";
    fx_fault_full(f, &flt);
}

static void test_matrix(void **state)
{
    fixture *f = *state;
    /* under valgrind a 17 MiB body takes longer than 300 ms to stream: 1200 ms is still below the stall */
    fx_opts o = {.fast_retries = 1, .timeout_ms = fx_under_valgrind() ? 1200 : 300};
    fx_client(f, &o);
    modellix_task *done;
    assert_int_equal(modellix_task_submit(&done, f->c, FX_SLUG, "{\"prompt\":\"m\",\"mock_duration_ms\":20}"),
                     MODELLIX_OK);
    assert_int_equal(modellix_task_wait(done, 10000), MODELLIX_OK);
    int failures = 0;
    for (size_t i = 0; i < sizeof matrix / sizeof matrix[0]; i++) {
        const row *r = &matrix[i];
        /* submit, with the default policy's rule on unknown outcomes */
        mock_server_clear_faults(f->m);
        mock_server_reset_counters(f->m);
        /* the service creates the task before the fault only where its outcome would be unknown */
        add(f, r, MOCK_ROUTE_SUBMIT, r->submit_rc == MODELLIX_EOUTCOME_UNKNOWN);
        modellix_task *t = NULL;
        int rc = modellix_task_submit(&t, f->c, FX_SLUG, FX_BODY);
        int64_t created = fx_tasks_created(f);
        modellix_task_free(t);
        /* poll */
        mock_server_clear_faults(f->m);
        modellix_task *p;
        char id[64];
        snprintf(id, sizeof id, "task-matrix-%zu", i);
        assert_int_equal(mock_server_put_task(f->m, id, FX_SLUG, "processing", 1), 0);
        assert_int_equal(modellix_task_attach(&p, f->c, id), MODELLIX_OK);
        add(f, r, MOCK_ROUTE_TASK, 0);
        int prc = modellix_task_poll(p);
        modellix_task_free(p);
        /* download */
        mock_server_clear_faults(f->m);
        add(f, r, MOCK_ROUTE_FILE, 0);
        uint8_t *data = NULL;
        size_t len = 0;
        int drc = modellix_task_download_mem(done, 0, 0, &data, &len);
        modellix_free(data);
        int ok = rc == r->submit_rc && created == r->submit_created && prc == r->poll_rc && drc == r->download_rc;
        printf("# %-16s submit %3d (%lld created) poll %3d download %3d %s\n", r->name, rc, (long long)created, prc,
               drc, ok ? "ok" : "UNEXPECTED");
        failures += !ok;
    }
    modellix_task_free(done);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_matrix, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("fault_matrix", tests, fx_setup, fx_teardown);
}
