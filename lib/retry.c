/* retry.c - built-in and custom retry policies, and the attempt record's accessors. */
#include "internal.h"

#include <stdlib.h>

#define DEFAULT_ATTEMPTS 4
#define DEFAULT_BASE_MS 500
#define DEFAULT_CAP_MS 10000
#define HINT_CAP_MS 60000
#define SEED_ATTEMPTS 4 /* the first try and 3 retries */

static int policy_new(modellix_retry_policy **out, int kind)
{
    if (!out)
        return MODELLIX_EINVAL;
    *out = NULL;
    modellix_retry_policy *p = calloc(1, sizeof *p);
    if (!p)
        return MODELLIX_ENOMEM;
    atomic_init(&p->refs, 1);
    p->kind = kind;
    p->max_attempts = kind == MX_POLICY_NONE ? 1 : kind == MX_POLICY_SEED ? SEED_ATTEMPTS : DEFAULT_ATTEMPTS;
    p->resubmit_unknown = kind == MX_POLICY_SEED;
    *out = p;
    return MODELLIX_OK;
}

int modellix_retry_policy_new_default(modellix_retry_policy **out)
{
    return policy_new(out, MX_POLICY_DEFAULT);
}

int modellix_retry_policy_new_seed(modellix_retry_policy **out)
{
    return policy_new(out, MX_POLICY_SEED);
}

int modellix_retry_policy_new_none(modellix_retry_policy **out)
{
    return policy_new(out, MX_POLICY_NONE);
}

int modellix_retry_policy_new_custom(modellix_retry_policy **out, modellix_retry_fn fn, void *user_data,
                                     void (*user_data_free)(void *))
{
    if (!fn) {
        if (out)
            *out = NULL;
        return MODELLIX_EINVAL;
    }
    int rc = policy_new(out, MX_POLICY_CUSTOM);
    if (rc != MODELLIX_OK)
        return rc;
    (*out)->fn = fn;
    (*out)->user_data = user_data;
    (*out)->user_data_free = user_data_free;
    return MODELLIX_OK;
}

int modellix_retry_policy_set_resubmit_unknown(modellix_retry_policy *p, int32_t allow)
{
    if (!p || (allow != 0 && allow != 1))
        return MODELLIX_EINVAL;
    p->resubmit_unknown = allow;
    return MODELLIX_OK;
}

int modellix_retry_policy_set_max_attempts(modellix_retry_policy *p, int32_t n)
{
    if (!p || n < 1 || n > 100)
        return MODELLIX_EINVAL;
    p->max_attempts = n;
    return MODELLIX_OK;
}

modellix_retry_policy *mx_policy_ref(modellix_retry_policy *p)
{
    if (p)
        atomic_fetch_add(&p->refs, 1);
    return p;
}

void mx_policy_unref(modellix_retry_policy *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    if (p->user_data_free)
        p->user_data_free(p->user_data);
    free(p);
}

void modellix_retry_policy_free(modellix_retry_policy *p)
{
    mx_policy_unref(p);
}

/* Exponential backoff with full jitter; a server hint replaces it. */
static int64_t default_delay(const modellix_attempt *a, int32_t max_attempts, mx_rng *rng)
{
    if (a->number >= max_attempts)
        return -1;
    if (a->retry_after_ms >= 0)
        return a->retry_after_ms > HINT_CAP_MS ? HINT_CAP_MS : a->retry_after_ms;
    int64_t ceiling = DEFAULT_BASE_MS;
    for (int32_t i = 1; i < a->number && ceiling < DEFAULT_CAP_MS; i++)
        ceiling *= 2;
    if (ceiling > DEFAULT_CAP_MS)
        ceiling = DEFAULT_CAP_MS;
    return mx_rng_upto(rng, ceiling);
}

/* The documents' advice: 429, 500 and 503 (and failures before sending), 1 s doubling to 10 s. */
static int64_t seed_delay(const modellix_attempt *a, int32_t max_attempts)
{
    if (a->number >= max_attempts)
        return -1;
    int s = a->http_status;
    if (a->fault != MODELLIX_FAULT_NOT_SENT && s != 429 && s != 500 && s != 503)
        return -1;
    int64_t d = 1000;
    for (int32_t i = 1; i < a->number && d < 10000; i++)
        d *= 2;
    return d > 10000 ? 10000 : d;
}

int64_t mx_policy_decide(const modellix_retry_policy *p, modellix_attempt *a, mx_rng *rng)
{
    a->default_delay_ms = default_delay(a, DEFAULT_ATTEMPTS, rng);
    switch (p->kind) {
    case MX_POLICY_NONE:
        return -1;
    case MX_POLICY_SEED:
        return seed_delay(a, p->max_attempts);
    case MX_POLICY_CUSTOM:
        return p->fn(a, p->user_data);
    default:
        return p->max_attempts == DEFAULT_ATTEMPTS ? a->default_delay_ms : default_delay(a, p->max_attempts, rng);
    }
}

int32_t modellix_attempt_number(const modellix_attempt *a) { return a ? a->number : 0; }
int32_t modellix_attempt_operation(const modellix_attempt *a) { return a ? a->op : 0; }
int32_t modellix_attempt_fault(const modellix_attempt *a) { return a ? a->fault : 0; }
int32_t modellix_attempt_http_status(const modellix_attempt *a) { return a ? a->http_status : 0; }
int32_t modellix_attempt_was_sent(const modellix_attempt *a) { return a ? a->was_sent : 0; }
int64_t modellix_attempt_retry_after_ms(const modellix_attempt *a) { return a ? a->retry_after_ms : -1; }
int64_t modellix_attempt_elapsed_ms(const modellix_attempt *a) { return a ? a->elapsed_ms : 0; }
int64_t modellix_attempt_remaining_ms(const modellix_attempt *a) { return a ? a->remaining_ms : 0; }
int32_t modellix_attempt_errcode(const modellix_attempt *a) { return a ? a->errcode : 0; }
int64_t modellix_attempt_default_delay_ms(const modellix_attempt *a) { return a ? a->default_delay_ms : -1; }
