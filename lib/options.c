/* options.c - the options object and its setters. */
#include "internal.h"
#include "journal.h"
#include "validate.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_CALL_TIMEOUT_MS 120000
#define MAX_TIMEOUT_MS 86400000

int modellix_options_new(modellix_options **out)
{
    if (!out)
        return MODELLIX_EINVAL;
    modellix_options *o = calloc(1, sizeof *o);
    if (!o) {
        *out = NULL;
        return MODELLIX_ENOMEM;
    }
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->call_timeout_ms = DEFAULT_CALL_TIMEOUT_MS;
    o->max_in_flight = 3;
    o->log_level = MODELLIX_LOG_INFO;
    o->submit_path = MODELLIX_SUBMIT_PATH_DEFAULT;
    o->dl_max_file = (int64_t)1 << 30;
    o->dl_max_task = (int64_t)2 << 30;
    o->dl_timeout_ms = 600000;
    o->journal_sync = MODELLIX_JOURNAL_SYNC_MONEY;
    o->journal_max_bytes = MX_JOURNAL_DEFAULT_MAX_BYTES;
    o->journal_keep = MX_JOURNAL_DEFAULT_KEEP;
    o->proxy.from_env = 1;
    *out = o;
    return MODELLIX_OK;
}

static void wipe_free(char *s)
{
    if (!s)
        return;
    volatile char *v = s;
    while (*v)
        *v++ = 0;
    free(s);
}

void modellix_options_free(modellix_options *o)
{
    if (!o)
        return;
    wipe_free(o->api_key);
    free(o->base_url);
    free(o->user_agent);
    free(o->ca_file);
    free(o->journal_path);
    free(o->journal_profile);
    mx_proxy_cfg_free(&o->proxy);
    mx_policy_unref(o->policy);
    mx_cb_unref(o->log);
    mx_cb_unref(o->poll_schedule);
    mx_cb_unref(o->on_attempt);
    mx_cb_unref(o->on_task_done);
    mx_cb_unref(o->on_progress);
    free(o);
}

int modellix_options_set_api_key(modellix_options *o, const char *key)
{
    if (!o)
        return MODELLIX_EINVAL;
    char err[128], *k;
    int rc = mx_validate_api_key(key, &k, err, sizeof err);
    if (rc != MODELLIX_OK)
        return rc;
    wipe_free(o->api_key);
    o->api_key = k;
    return MODELLIX_OK;
}

int modellix_options_set_base_url(modellix_options *o, const char *origin)
{
    if (!o)
        return MODELLIX_EINVAL;
    char *u = NULL;
    if (origin && *origin) {
        char err[160];
        int rc = mx_validate_base_url(origin, &u, err, sizeof err);
        if (rc != MODELLIX_OK)
            return rc;
    }
    free(o->base_url);
    o->base_url = u;
    return MODELLIX_OK;
}

int modellix_options_set_timeout_ms(modellix_options *o, int64_t ms)
{
    if (!o || ms < 1 || ms > MAX_TIMEOUT_MS)
        return MODELLIX_EINVAL;
    o->timeout_ms = ms;
    return MODELLIX_OK;
}

int modellix_options_set_call_timeout_ms(modellix_options *o, int64_t ms)
{
    if (!o || ms < 1 || ms > MAX_TIMEOUT_MS)
        return MODELLIX_EINVAL;
    o->call_timeout_ms = ms;
    return MODELLIX_OK;
}

int modellix_options_set_max_in_flight(modellix_options *o, int32_t n)
{
    if (!o || n < 1 || n > 10000)
        return MODELLIX_EINVAL;
    o->max_in_flight = n;
    return MODELLIX_OK;
}

int modellix_options_set_retry_policy(modellix_options *o, const modellix_retry_policy *p)
{
    if (!o)
        return MODELLIX_EINVAL;
    /* The options share the policy (reference-counted); policies are not changed once shared. */
    modellix_retry_policy *np = mx_policy_ref((modellix_retry_policy *)p);
    mx_policy_unref(o->policy);
    o->policy = np;
    return MODELLIX_OK;
}

int modellix_options_set_log_callback(modellix_options *o, modellix_log_fn fn, void *user_data,
                                      void (*user_data_free)(void *))
{
    if (!o)
        return MODELLIX_EINVAL;
    return mx_cb_set(&o->log, (mx_anyfn)fn, user_data, user_data_free);
}

int modellix_options_set_log_level(modellix_options *o, int32_t level)
{
    if (!o || level < MODELLIX_LOG_ERROR || level > MODELLIX_LOG_DEBUG)
        return MODELLIX_EINVAL;
    o->log_level = level;
    return MODELLIX_OK;
}

int modellix_options_set_user_agent(modellix_options *o, const char *product)
{
    if (!o)
        return MODELLIX_EINVAL;
    char *p = NULL;
    if (product) {
        size_t n = strlen(product);
        if (n == 0 || n > 256)
            return MODELLIX_EINVAL;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)product[i] < 0x20 || (unsigned char)product[i] > 0x7E)
                return MODELLIX_EINVAL;
        if (!(p = mx_strdup(product)))
            return MODELLIX_ENOMEM;
    }
    free(o->user_agent);
    o->user_agent = p;
    return MODELLIX_OK;
}

int modellix_options_set_submit_path(modellix_options *o, int32_t form)
{
    if (!o || (form != MODELLIX_SUBMIT_PATH_DEFAULT && form != MODELLIX_SUBMIT_PATH_ASYNC))
        return MODELLIX_EINVAL;
    o->submit_path = form;
    return MODELLIX_OK;
}

int modellix_options_set_ca_file(modellix_options *o, const char *path)
{
    if (!o || (path && !*path))
        return MODELLIX_EINVAL;
    char *p = NULL;
    if (path && !(p = mx_strdup(path)))
        return MODELLIX_ENOMEM;
    free(o->ca_file);
    o->ca_file = p;
    return MODELLIX_OK;
}

int modellix_options_set_poll_schedule(modellix_options *o, modellix_poll_fn fn, void *user_data,
                                       void (*user_data_free)(void *))
{
    if (!o)
        return MODELLIX_EINVAL;
    return mx_cb_set(&o->poll_schedule, (mx_anyfn)fn, user_data, user_data_free);
}

int modellix_options_set_poll_schedule_task(modellix_options *o, modellix_poll_task_fn fn, void *user_data,
                                            void (*user_data_free)(void *))
{
    if (!o)
        return MODELLIX_EINVAL;
    int rc = mx_cb_set(&o->poll_schedule, (mx_anyfn)fn, user_data, user_data_free);
    if (rc == MODELLIX_OK && o->poll_schedule)
        o->poll_schedule->kind = MX_CB_POLL_TASK;
    return rc;
}

int modellix_options_set_attempt_callback(modellix_options *o, modellix_attempt_fn fn, void *user_data,
                                          void (*user_data_free)(void *))
{
    if (!o)
        return MODELLIX_EINVAL;
    return mx_cb_set(&o->on_attempt, (mx_anyfn)fn, user_data, user_data_free);
}

int modellix_options_set_random_seed(modellix_options *o, uint64_t seed)
{
    if (!o)
        return MODELLIX_EINVAL;
    o->random_seed = seed;
    return MODELLIX_OK;
}

int modellix_options_set_continue_on_unknown(modellix_options *o, int32_t yes)
{
    if (!o || (yes != 0 && yes != 1))
        return MODELLIX_EINVAL;
    o->continue_on_unknown = yes;
    return MODELLIX_OK;
}

int modellix_options_set_api_http1(modellix_options *o, int32_t yes)
{
    if (!o || (yes != 0 && yes != 1))
        return MODELLIX_EINVAL;
    o->api_http1 = yes;
    return MODELLIX_OK;
}

int modellix_options_set_task_callback(modellix_options *o, modellix_task_fn fn, void *user_data,
                                       void (*user_data_free)(void *))
{
    if (!o)
        return MODELLIX_EINVAL;
    return mx_cb_set(&o->on_task_done, (mx_anyfn)fn, user_data, user_data_free);
}

int modellix_options_set_progress_callback(modellix_options *o, modellix_progress_fn fn, void *user_data,
                                           void (*user_data_free)(void *))
{
    if (!o)
        return MODELLIX_EINVAL;
    return mx_cb_set(&o->on_progress, (mx_anyfn)fn, user_data, user_data_free);
}

int modellix_options_set_download_limits(modellix_options *o, int64_t max_file_bytes, int64_t max_task_bytes,
                                         int64_t timeout_ms)
{
    if (!o || max_file_bytes < 1 || max_file_bytes > ((int64_t)1 << 40) || max_task_bytes < 1 ||
        max_task_bytes > ((int64_t)1 << 42) || timeout_ms < 1 || timeout_ms > MAX_TIMEOUT_MS)
        return MODELLIX_EINVAL;
    o->dl_max_file = max_file_bytes;
    o->dl_max_task = max_task_bytes;
    o->dl_timeout_ms = timeout_ms;
    return MODELLIX_OK;
}

int modellix_options_set_journal_path(modellix_options *o, const char *path)
{
    if (!o || (path && !*path))
        return MODELLIX_EINVAL;
    char *p = NULL;
    if (path && !(p = mx_strdup(path)))
        return MODELLIX_ENOMEM;
    free(o->journal_path);
    o->journal_path = p;
    return MODELLIX_OK;
}

int modellix_options_set_journal_profile(modellix_options *o, const char *label)
{
    if (!o)
        return MODELLIX_EINVAL;
    char *p = NULL;
    if (label) {
        size_t n = strlen(label);
        if (n > 256)
            return MODELLIX_EINVAL;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)label[i] < 0x20 || label[i] == 0x7F)
                return MODELLIX_EINVAL;
        if (!(p = mx_strdup(label)))
            return MODELLIX_ENOMEM;
    }
    free(o->journal_profile);
    o->journal_profile = p;
    return MODELLIX_OK;
}

int modellix_options_set_journal_sync(modellix_options *o, int32_t mode)
{
    if (!o || mode < MODELLIX_JOURNAL_SYNC_NONE || mode > MODELLIX_JOURNAL_SYNC_ALL)
        return MODELLIX_EINVAL;
    o->journal_sync = mode;
    return MODELLIX_OK;
}

int modellix_options_set_journal_compaction(modellix_options *o, int64_t max_bytes, int32_t keep_finished)
{
    if (!o || max_bytes < 4096 || max_bytes > ((int64_t)1 << 40) || keep_finished < 0 || keep_finished > 10000000)
        return MODELLIX_EINVAL;
    o->journal_max_bytes = max_bytes;
    o->journal_keep = keep_finished;
    return MODELLIX_OK;
}

/* Proxies (MODELLIX_1.1) */

int modellix_options_set_proxy(modellix_options *o, const char *url)
{
    if (!o)
        return MODELLIX_EINVAL;
    char *p = NULL;
    if (url) {
        int rc = mx_proxy_url_valid(url);
        if (rc != MODELLIX_OK)
            return rc;
        if (!(p = mx_strdup(url)))
            return MODELLIX_ENOMEM;
    }
    free(o->proxy.url);
    o->proxy.url = p;
    return MODELLIX_OK;
}

int modellix_options_set_no_proxy(modellix_options *o, const char *hosts)
{
    if (!o || (hosts && *hosts && (strlen(hosts) > 4096 || !mx_safe_text(hosts, strlen(hosts)))))
        return MODELLIX_EINVAL;
    char *p = NULL;
    if (hosts && !(p = mx_strdup(hosts)))
        return MODELLIX_ENOMEM;
    free(o->proxy.no_proxy);
    o->proxy.no_proxy = p;
    return MODELLIX_OK;
}

int modellix_options_set_proxy_from_env(modellix_options *o, int32_t use_env)
{
    if (!o || (use_env != 0 && use_env != 1))
        return MODELLIX_EINVAL;
    o->proxy.from_env = use_env;
    return MODELLIX_OK;
}
