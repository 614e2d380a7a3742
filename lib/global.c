/* global.c - reference-counted global init, version queries, modellix_free and modellix_strerror. */
#include "internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_refs;

int mx_global_acquire(void)
{
    pthread_mutex_lock(&g_lock);
    int rc;
    if (g_refs == 0) {
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        if (!(v->features & CURL_VERSION_THREADSAFE) || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            pthread_mutex_unlock(&g_lock);
            return MODELLIX_EINIT;
        }
    }
    rc = ++g_refs;
    pthread_mutex_unlock(&g_lock);
    return rc;
}

void mx_global_release(void)
{
    pthread_mutex_lock(&g_lock);
    if (g_refs > 0 && --g_refs == 0)
        curl_global_cleanup();
    pthread_mutex_unlock(&g_lock);
}

int modellix_global_init(void)
{
    return mx_global_acquire();
}

void modellix_global_cleanup(void)
{
    mx_global_release();
}

const char *modellix_version_string(void)
{
    return MODELLIX_VERSION_STRING;
}

int32_t modellix_version_num(void)
{
    return MODELLIX_VERSION_NUM;
}

void modellix_free(void *p)
{
    free(p);
}

const char *modellix_strerror(int code)
{
    switch (code) {
    case MODELLIX_OK: return "success";
    case MODELLIX_EINVAL: return "invalid argument";
    case MODELLIX_ENOMEM: return "out of memory";
    case MODELLIX_ENOKEY: return "no API key (set MODELLIX_API_KEY or modellix_options_set_api_key)";
    case MODELLIX_ENETWORK: return "network failure";
    case MODELLIX_ETIMEOUT: return "timed out";
    case MODELLIX_ECANCELED: return "canceled";
    case MODELLIX_EAUTH: return "authentication failed (HTTP 401/403)";
    case MODELLIX_EPAYMENT: return "payment required: insufficient balance (HTTP 402)";
    case MODELLIX_ENOTFOUND: return "not found (HTTP 404)";
    case MODELLIX_ERATELIMIT: return "rate limited (HTTP 429)";
    case MODELLIX_ESERVER: return "server error (HTTP 5xx)";
    case MODELLIX_EHTTP: return "unexpected HTTP status";
    case MODELLIX_EPROTOCOL: return "invalid response from the server";
    case MODELLIX_ETOOLARGE: return "too large";
    case MODELLIX_EOUTCOME_UNKNOWN:
        return "the paid submission's outcome is unknown: do not submit it again before checking whether a task "
               "was created";
    case MODELLIX_ETASK_FAILED: return "the task failed";
    case MODELLIX_EUSER: return "stopped by a callback";
    case MODELLIX_EUNSAFE: return "refused by the download safety rules";
    case MODELLIX_EEXIST: return "the target file exists";
    case MODELLIX_EIO: return "local file error";
    case MODELLIX_ESTATE: return "not allowed in the object's current state";
    case MODELLIX_EINIT: return "global initialisation failed";
    case MODELLIX_ETLS: return "TLS certificate verification failed";
    default: return "unknown error code";
    }
}
