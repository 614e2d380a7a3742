/* retry_policy.c - a custom retry policy, and an observer that shows every retry decision.
 *
 *   retry_policy [--model SLUG] [PROMPT]
 *
 * The policy (my_policy below, about twenty lines):
 *   - throttled (HTTP 429) and not-sent faults (the request never left: connection refused, DNS, TLS)
 *     are retried up to 5 times, after the server's hint (Retry-After / X-RateLimit-Reset) when it
 *     gave one, else after an exponential backoff of 250 ms, 500 ms, 1 s, ...;
 *   - unknown outcomes (timeout after sending, 5xx, ...) of a status query or a download, which are
 *     plain GETs and free to repeat, are retried the same way;
 *   - an unknown outcome of a paid submission is never re-sent (a second send could create and charge
 *     a second task). The library already stops those before asking a policy unless
 *     modellix_retry_policy_set_resubmit_unknown() is set; the policy says no anyway.
 *
 * With MODELLIX_API_KEY set, it runs one task against the real service (or MODELLIX_BASE_URL) with
 * this policy. Without it, it starts the embedded mock server and injects faults to show the policy
 * at work: one 429 on the submission, then two 503s on status queries; then a submission whose
 * answer is lost (503 after the task was created), which is reported as an unknown outcome, not re-sent. */
#include <modellix/modellix.h>

#include "mock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The policy: return the delay before the next attempt in ms, or -1 to stop with the attempt's error. */
static int64_t my_policy(const modellix_attempt *a, void *user_data)
{
    (void)user_data;
    int32_t fault = modellix_attempt_fault(a);
    int32_t n = modellix_attempt_number(a); /* 1 = the first attempt failed */
    if (n > 5)
        return -1; /* 5 retries: 6 attempts in all */
    if (fault == MODELLIX_FAULT_UNKNOWN && modellix_attempt_operation(a) == MODELLIX_OP_SUBMIT)
        return -1; /* never re-send a paid submission that may have been processed */
    if (fault != MODELLIX_FAULT_THROTTLED && fault != MODELLIX_FAULT_NOT_SENT && fault != MODELLIX_FAULT_UNKNOWN)
        return -1;
    int64_t hint = modellix_attempt_retry_after_ms(a); /* -1 if the server gave none */
    if (hint >= 0)
        return hint; /* the library never waits past the call's deadline, whatever we answer */
    return 250LL << (n - 1);
}

static const char *op_name(int32_t op)
{
    switch (op) {
    case MODELLIX_OP_SUBMIT: return "submit";
    case MODELLIX_OP_POLL: return "poll";
    case MODELLIX_OP_DOWNLOAD: return "download";
    case MODELLIX_OP_ACCOUNT: return "account";
    default: return "?";
    }
}

static const char *fault_name(int32_t fault)
{
    switch (fault) {
    case MODELLIX_FAULT_NOT_SENT: return "not sent";
    case MODELLIX_FAULT_THROTTLED: return "throttled";
    case MODELLIX_FAULT_UNKNOWN: return "outcome unknown";
    case MODELLIX_FAULT_REJECTED: return "rejected";
    default: return "?";
    }
}

/* The observer: called after every failed attempt with the decision taken (delay, or -1 = stop),
 * before any wait. It must not call into the client. */
static void observe(const modellix_attempt *a, int64_t delay_ms, void *user_data)
{
    (void)user_data;
    printf("  attempt %d of %s failed: %s", (int)modellix_attempt_number(a), op_name(modellix_attempt_operation(a)),
           fault_name(modellix_attempt_fault(a)));
    if (modellix_attempt_http_status(a))
        printf(" (HTTP %d)", (int)modellix_attempt_http_status(a));
    if (modellix_attempt_retry_after_ms(a) >= 0)
        printf(", server hint %lld ms", (long long)modellix_attempt_retry_after_ms(a));
    if (delay_ms >= 0)
        printf(" -> retry in %lld ms\n", (long long)delay_ms);
    else
        printf(" -> give up: %s\n", modellix_strerror(modellix_attempt_errcode(a)));
}

/* Submit, wait, report. Returns the result code. */
static int run_task(modellix_client *c, const char *model, const char *body)
{
    modellix_task *t = NULL;
    int rc = modellix_task_submit(&t, c, model, body);
    if (rc == MODELLIX_OK) {
        printf("  task %s accepted, waiting ...\n", modellix_task_id(t));
        rc = modellix_task_wait(t, 5 * 60 * 1000);
    }
    if (rc == MODELLIX_OK)
        printf("  task %s: %s, %zu result(s)\n", modellix_task_id(t), modellix_task_status_text(t),
               modellix_task_resource_count(t));
    else if (rc == MODELLIX_EOUTCOME_UNKNOWN)
        printf("  submit: outcome unknown (%s); not re-sent. A task may exist and be charged.\n",
               modellix_client_errmsg(c));
    else
        printf("  failed: %s: %s\n", modellix_strerror(rc), t ? modellix_task_errmsg(t) : modellix_client_errmsg(c));
    modellix_task_free(t);
    return rc;
}

int main(int argc, char **argv)
{
    const char *model = "bytedance/seedream-4.5-t2i";
    const char *prompt = "A paper boat on a rainy street";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            model = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--model SLUG] [PROMPT]\n", argv[0]);
            return 2;
        } else
            prompt = argv[i];
    }
    if (strchr(prompt, '"') || strchr(prompt, '\\')) { /* keep the hand-made JSON below valid */
        fprintf(stderr, "please use a prompt without quotes or backslashes\n");
        return 2;
    }
    if (modellix_global_init() < 0)
        return 1;

    int status = 1;
    modellix_options *o = NULL;
    modellix_retry_policy *policy = NULL;
    modellix_client *c = NULL;
    mock_server *mock = NULL;
    if (modellix_options_new(&o) != MODELLIX_OK)
        goto done;

    const char *key = getenv("MODELLIX_API_KEY");
    int against_mock = !key || !*key;
    if (against_mock) {
        mock_config cfg;
        mock_config_init(&cfg);
        cfg.duration_ms = 300; /* every task takes 300 ms */
        if (mock_server_start(&mock, &cfg) != 0) {
            fprintf(stderr, "could not start the embedded mock server\n");
            goto done;
        }
        printf("No MODELLIX_API_KEY set: using the embedded mock server at %s\n", mock_server_url(mock));
        if (modellix_options_set_api_key(o, "demo-key") != MODELLIX_OK ||
            modellix_options_set_base_url(o, mock_server_url(mock)) != MODELLIX_OK)
            goto done;
    }

    /* The options keep their own reference to the policy: ours is released right away. The
     * user_data is NULL, so there is nothing for a destroy function to release. */
    if (modellix_retry_policy_new_custom(&policy, my_policy, NULL, NULL) != MODELLIX_OK)
        goto done;
    int rc = modellix_options_set_retry_policy(o, policy);
    modellix_retry_policy_free(policy);
    if (rc != MODELLIX_OK || modellix_options_set_attempt_callback(o, observe, NULL, NULL) != MODELLIX_OK)
        goto done;
    rc = modellix_client_new(&c, o);
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "creating the client failed: %s\n", modellix_strerror(rc));
        goto done;
    }

    char body[1024];
    snprintf(body, sizeof body, "{\"prompt\":\"%s\"}", prompt);

    if (against_mock) {
        /* The submission is throttled once; the server says when to come back (1 s). */
        mock_fault f429 = {0};
        f429.route = MOCK_ROUTE_SUBMIT;
        f429.kind = MOCK_FAULT_STATUS;
        f429.status = 429;
        f429.headers = "Retry-After: 1\n";
        f429.count = 1;
        /* The first two status queries fail with 503 (unknown outcome: harmless for a GET). */
        mock_fault f503 = {0};
        f503.route = MOCK_ROUTE_TASK;
        f503.kind = MOCK_FAULT_STATUS;
        f503.status = 503;
        f503.count = 2;
        if (mock_server_add_fault(mock, &f429) != 0 || mock_server_add_fault(mock, &f503) != 0)
            goto done;
        printf("Injected: one 429 on the submission, two 503s on status queries.\n");
    }
    printf("Task 1:\n");
    rc = run_task(c, model, body);
    if (rc != MODELLIX_OK)
        goto done;

    if (against_mock) {
        /* A submission that reaches the service, creates (and would charge) a task, and whose answer
         * is lost in a 503: the policy must not send it again. */
        mock_fault lost = {0};
        lost.route = MOCK_ROUTE_SUBMIT;
        lost.kind = MOCK_FAULT_STATUS;
        lost.status = 503;
        lost.count = 1;
        lost.after_create = 1;
        if (mock_server_add_fault(mock, &lost) != 0)
            goto done;
        printf("Task 2 (injected: its submission's answer is lost in a 503):\n");
        rc = run_task(c, model, body);
        int64_t created = mock_server_counter(mock, MOCK_CTR_TASKS_CREATED, MOCK_ROUTE_ANY);
        printf("  the mock created %lld tasks in all: the lost one was sent once, not twice\n", (long long)created);
        if (rc != MODELLIX_EOUTCOME_UNKNOWN || created != 2)
            goto done;
    }
    status = 0;

done:
    modellix_client_free(c);
    modellix_options_free(o);
    mock_server_stop(mock);
    modellix_global_cleanup();
    return status;
}
