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
 * It runs one task with this policy. The API key comes from MODELLIX_API_KEY and the server from
 * MODELLIX_BASE_URL (default: the real service). To watch the policy at work, run it against
 * modellix-mock with faults injected (tests/mock/README.md), as its test does: one 429 on the
 * submission and two 503s on status queries are retried; a submission whose answer is lost (a 503
 * after the task was created) is reported as an unknown outcome and not re-sent (exit status 3).
 *
 * Exit status: 0 the task succeeded, 3 the submission's outcome is unknown, 1 any other failure. */
#include <modellix/modellix.h>

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
    if (modellix_options_new(&o) != MODELLIX_OK)
        goto done;

    /* The options keep their own reference to the policy: ours is released right away. The
     * user_data is NULL, so there is nothing for a destroy function to release. */
    if (modellix_retry_policy_new_custom(&policy, my_policy, NULL, NULL) != MODELLIX_OK)
        goto done;
    int rc = modellix_options_set_retry_policy(o, policy);
    modellix_retry_policy_free(policy);
    if (rc != MODELLIX_OK || modellix_options_set_attempt_callback(o, observe, NULL, NULL) != MODELLIX_OK)
        goto done;
    rc = modellix_client_new(&c, o); /* the options set no key: MODELLIX_API_KEY, MODELLIX_BASE_URL */
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "creating the client failed: %s\n", modellix_strerror(rc));
        if (rc == MODELLIX_ENOKEY)
            fprintf(stderr, "Set MODELLIX_API_KEY (and MODELLIX_BASE_URL to use another server, such as a local "
                            "modellix-mock).\n");
        goto done;
    }

    char body[1024];
    snprintf(body, sizeof body, "{\"prompt\":\"%s\"}", prompt);

    printf("Task:\n");
    rc = run_task(c, model, body);
    status = rc == MODELLIX_OK ? 0 : rc == MODELLIX_EOUTCOME_UNKNOWN ? 3 : 1;

done:
    modellix_client_free(c);
    modellix_options_free(o);
    modellix_global_cleanup();
    return status;
}
