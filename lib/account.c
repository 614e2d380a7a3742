/* account.c - key validation, team balance and the model catalogue: one GET exchange each, through the
 * engine, under the client's call deadline and retry policy (MODELLIX_OP_ACCOUNT). */
#include "catalog.h"
#include "internal.h"
#include "sanitize.h"

#include <stdlib.h>
#include <string.h>

#define PATH_MODELS "/api/v1/models"
#define PATH_VALIDATE "/api/v1/apikey/validate"
#define PATH_BALANCE "/api/v1/team/balance"

/* What one account call wants from its answer. */
typedef struct account_call {
    int kind; /* ACC_* */
    int32_t valid;
    double balance;
    modellix_models *models;
} account_call;

enum { ACC_VALIDATE = 1, ACC_BALANCE, ACC_MODELS };

/* Every string of the catalogue came from the network: each passes the sanitizer (sanitize.h), and
   the whole answer is kept the same way. */
static void sanitize_field(const char *key, char **f, int mode)
{
    if (!*f)
        return;
    size_t n = strlen(*f); /* already bounded by the parser: redacted, never cut */
    char *c = mx_sanitize(key, *f, n, 2 * n + 16, mode);
    free(*f);
    *f = c ? c : mx_strdup(""); /* nothing left (an empty provider, say) stays an empty string */
}

static int sanitize_models(const char *key, modellix_models *m, const char *body, size_t len)
{
    for (size_t i = 0; i < m->n; i++) {
        mx_model *e = &m->items[i];
        sanitize_field(key, &e->type, MX_SAN_TEXT);
        sanitize_field(key, &e->provider, MX_SAN_TEXT);
        sanitize_field(key, &e->description, MX_SAN_RAW);
        sanitize_field(key, &e->docs_url, MX_SAN_RAW);
        sanitize_field(key, &e->json, MX_SAN_RAW);
        sanitize_field(key, &e->slug, MX_SAN_TEXT);
        if (!e->slug || !e->json)
            return MODELLIX_ENOMEM; /* a valid entry has both: only memory can take them away */
    }
    m->response = mx_sanitize(key, body, len, len, MX_SAN_RAW);
    return m->response ? MODELLIX_OK : MODELLIX_ENOMEM;
}

static int account_accept(mx_req *r, int *retryable, void *ctx)
{
    account_call *a = ctx;
    char err[200];
    int not_json = 0, rc;
    switch (a->kind) {
    case ACC_VALIDATE:
        rc = mx_parse_key_valid(r->resp.data, r->resp.len, &a->valid, &not_json, err, sizeof err);
        break;
    case ACC_BALANCE:
        rc = mx_parse_balance(r->resp.data, r->resp.len, &a->balance, &not_json, err, sizeof err);
        break;
    default: {
        modellix_models *m = NULL;
        rc = mx_parse_models(r->resp.data, r->resp.len, &m, &not_json, err, sizeof err);
        if (rc == MODELLIX_OK)
            rc = sanitize_models(r->c->key, m, r->resp.data, r->resp.len);
        if (rc == MODELLIX_OK) {
            mx_models_free(a->models);
            a->models = m;
        } else {
            mx_models_free(m);
            if (rc == MODELLIX_ENOMEM)
                mx_fmt(err, sizeof err, "out of memory");
        }
        break;
    }
    }
    if (rc != MODELLIX_OK) {
        /* A body that is not JSON at all may be a cut-off answer: worth another attempt. A well-formed
           answer of the wrong shape would only come back the same. */
        *retryable = rc == MODELLIX_EPROTOCOL && not_json;
        mx_fmt(r->msg, sizeof r->msg, "GET %s: %s", r->log_path, rc == MODELLIX_ENOMEM ? "out of memory" : err);
    }
    return rc;
}

/* One GET of `path`; on failure the error is recorded on the client. */
static int account_get(modellix_client *c, const char *path, account_call *a)
{
    size_t n = strlen(c->base_url) + strlen(path) + 1;
    char *url = malloc(n);
    if (!url)
        return mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    mx_fmt(url, n, "%s%s", c->base_url, path);
    mx_req r;
    mx_req_init(&r, c, MODELLIX_OP_ACCOUNT, url, path);
    r.send_auth = 1;
    r.max_bytes = MX_RESPONSE_MAX;
    r.accept = account_accept;
    r.ctx = a;
    if (mx_req_start(&r, mx_add_ms(mx_now_ms(), c->call_timeout_ms)) == MODELLIX_OK)
        mx_run_exchange(c, &r);
    int rc = r.rc;
    if (rc != MODELLIX_OK)
        mx_fail_req(c, NULL, &r);
    mx_req_cleanup(&r);
    return rc;
}

int modellix_client_validate_key(modellix_client *c, int32_t *valid_out)
{
    if (valid_out)
        *valid_out = 0;
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    if (!valid_out)
        return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "valid_out is NULL");
    account_call a = {.kind = ACC_VALIDATE};
    int rc = account_get(c, PATH_VALIDATE, &a);
    if (rc == MODELLIX_OK) {
        *valid_out = a.valid;
        mx_log(c, MODELLIX_LOG_DEBUG, "the API key is %s", a.valid ? "valid" : "not valid");
    }
    return rc;
}

int modellix_client_balance(modellix_client *c, double *balance_out)
{
    if (balance_out)
        *balance_out = 0;
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    if (!balance_out)
        return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "balance_out is NULL");
    account_call a = {.kind = ACC_BALANCE};
    int rc = account_get(c, PATH_BALANCE, &a);
    if (rc == MODELLIX_OK)
        *balance_out = a.balance;
    return rc;
}

int modellix_models_list(modellix_models **out, modellix_client *c)
{
    if (!out)
        return MODELLIX_EINVAL;
    *out = NULL;
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    account_call a = {.kind = ACC_MODELS};
    int rc = account_get(c, PATH_MODELS, &a);
    if (rc == MODELLIX_OK) {
        mx_log(c, MODELLIX_LOG_DEBUG, "the catalogue lists %zu models", a.models->n);
        *out = a.models;
    } else {
        mx_models_free(a.models);
    }
    return rc;
}

int modellix_models_filter(modellix_models **out, const modellix_models *m, const char *type, const char *provider,
                           const char *search, size_t limit)
{
    if (!out)
        return MODELLIX_EINVAL;
    *out = NULL;
    if (!m)
        return MODELLIX_EINVAL;
    return mx_models_filter(m, type, provider, search, limit, out);
}

int modellix_models_find(const modellix_models *m, const char *slug, size_t *index_out)
{
    if (index_out)
        *index_out = SIZE_MAX;
    if (!m || !slug)
        return MODELLIX_EINVAL;
    size_t i = mx_models_find(m, slug);
    if (i == SIZE_MAX)
        return MODELLIX_ENOTFOUND;
    if (index_out)
        *index_out = i;
    return MODELLIX_OK;
}

void modellix_models_free(modellix_models *m)
{
    mx_models_free(m);
}

static const mx_model *entry(const modellix_models *m, size_t i)
{
    return m && i < m->n ? &m->items[i] : NULL;
}

size_t modellix_models_count(const modellix_models *m) { return m ? m->n : 0; }

const char *modellix_models_slug(const modellix_models *m, size_t i)
{
    const mx_model *e = entry(m, i);
    return e ? e->slug : NULL;
}

const char *modellix_models_type(const modellix_models *m, size_t i)
{
    const mx_model *e = entry(m, i);
    return e ? e->type : NULL;
}

const char *modellix_models_provider(const modellix_models *m, size_t i)
{
    const mx_model *e = entry(m, i);
    return e ? e->provider : NULL;
}

const char *modellix_models_description(const modellix_models *m, size_t i)
{
    const mx_model *e = entry(m, i);
    return e ? e->description : NULL;
}

const char *modellix_models_docs_url(const modellix_models *m, size_t i)
{
    const mx_model *e = entry(m, i);
    return e ? e->docs_url : NULL;
}

const char *modellix_models_json(const modellix_models *m, size_t i)
{
    const mx_model *e = entry(m, i);
    return e ? e->json : NULL;
}

const char *modellix_models_response_json(const modellix_models *m)
{
    return m ? m->response : NULL;
}
