/* catalog.c - the model catalogue (GET /api/v1/models) and the account answers (key validation,
 * balance): parsing, client-side filters and lookup, following the official CLI (model-data.ts). */
#include "catalog.h"

#include "json_limits.h"
#include "protocol.h"
#include "util.h"
#include "validate.h"

#include <jansson.h>
#include <math.h>
#include <modellix/errors.h>
#include <stdlib.h>
#include <string.h>

#define NOMEM (-1)

static json_t *load_body(const char *body, size_t len, int *not_json, char *err, size_t errcap)
{
    *not_json = 0;
    if (!len) {
        *not_json = 1;
        mx_fmt(err, errcap, "expected a JSON response, got an empty body");
        return NULL;
    }
    json_error_t jerr;
    json_t *root = len <= MX_RESPONSE_MAX ? json_loadb(body, len, 0, &jerr) : NULL;
    if (!root) {
        *not_json = 1;
        mx_fmt(err, errcap, "the response is not valid JSON");
        return NULL;
    }
    if (!mx_json_within_limits(root, MX_JSON_MAX_DEPTH, MX_JSON_MAX_NODES)) {
        json_decref(root);
        mx_fmt(err, errcap, "the response breaks the JSON depth or size limits");
        return NULL;
    }
    return root;
}

/* Number of code points in s (valid UTF-8 here: mx_safe_text checked it). */
static size_t count_chars(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; k++) {
        uint32_t cp;
        size_t l = mx_utf8_next((const unsigned char *)s + i, n - i, &cp);
        i += l ? l : 1;
    }
    return k;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* If v is a string that is, once trimmed, non-empty safe text of at most max characters, *out receives
 * a malloc'd copy; otherwise *out is NULL. Returns 0, or NOMEM. */
static int safe_string(const json_t *v, size_t max, char **out)
{
    *out = NULL;
    if (!json_is_string(v))
        return 0;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    while (n && is_space(*s)) {
        s++;
        n--;
    }
    while (n && is_space(s[n - 1]))
        n--;
    if (!n || memchr(s, '\0', n) || !mx_safe_text(s, n) || count_chars(s, n) > max)
        return 0;
    *out = mx_strndup(s, n);
    return *out ? 0 : NOMEM;
}

/* provider, providerSlug, provider_slug (a string, or an object's slug, name or id), else the slug's
 * prefix before '/' (NULL when there is none). */
static int provider_of(const json_t *entry, const char *slug, char **out)
{
    static const char *const keys[] = {"provider", "providerSlug", "provider_slug"};
    static const char *const nested[] = {"slug", "name", "id"};
    *out = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *v = json_object_get(entry, keys[i]);
        if (safe_string(v, MX_MODEL_PROVIDER_MAX, out))
            return NOMEM;
        for (size_t j = 0; !*out && json_is_object(v) && j < sizeof nested / sizeof nested[0]; j++)
            if (safe_string(json_object_get(v, nested[j]), MX_MODEL_PROVIDER_MAX, out))
                return NOMEM;
        if (*out)
            return 0;
    }
    const char *slash = strchr(slug, '/');
    if (!slash || slash == slug)
        return 0;
    *out = mx_strndup(slug, (size_t)(slash - slug));
    return *out ? 0 : NOMEM;
}

static int docs_url_of(const json_t *entry, char **out)
{
    if (safe_string(json_object_get(entry, "docs_url"), MX_MODEL_DOCS_URL_MAX, out))
        return NOMEM;
    if (*out && strncmp(*out, "https://", 8) != 0 && strncmp(*out, "http://", 7) != 0) {
        free(*out);
        *out = NULL;
    }
    return 0;
}

static int description_of(const json_t *entry, char **out)
{
    const json_t *v = json_object_get(entry, "description");
    *out = NULL;
    if (!json_is_string(v) || json_string_length(v) > MX_MODEL_DESCRIPTION_MAX ||
        memchr(json_string_value(v), '\0', json_string_length(v)))
        return 0;
    *out = mx_strndup(json_string_value(v), json_string_length(v));
    return *out ? 0 : NOMEM;
}

static void model_free(mx_model *e)
{
    free(e->slug);
    free(e->type);
    free(e->provider);
    free(e->description);
    free(e->docs_url);
    free(e->json);
    memset(e, 0, sizeof *e);
}

void mx_models_free(struct modellix_models *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        model_free(&m->items[i]);
    free(m->items);
    free(m->response);
    free(m);
}

/* Fill e from a catalogue entry. Returns MODELLIX_OK, MODELLIX_EPROTOCOL (no usable slug) or
 * MODELLIX_ENOMEM; on error e holds nothing. */
static int parse_entry(const json_t *v, mx_model *e)
{
    memset(e, 0, sizeof *e);
    const json_t *slug = json_object_get(v, "slug");
    if (!json_is_object(v) || !json_is_string(slug))
        return MODELLIX_EPROTOCOL;
    if (safe_string(slug, MX_SLUG_MAX, &e->slug))
        return MODELLIX_ENOMEM;
    if (!e->slug)
        return MODELLIX_EPROTOCOL;
    if (safe_string(json_object_get(v, "type"), MX_MODEL_TYPE_MAX, &e->type) ||
        provider_of(v, e->slug, &e->provider) || description_of(v, &e->description) ||
        docs_url_of(v, &e->docs_url) || !(e->json = json_dumps(v, JSON_COMPACT))) {
        model_free(e);
        return MODELLIX_ENOMEM;
    }
    return MODELLIX_OK;
}

int mx_parse_models(const char *body, size_t len, struct modellix_models **out, int *not_json, char *err,
                    size_t errcap)
{
    *out = NULL;
    json_t *root = load_body(body, len, not_json, err, errcap);
    if (!root)
        return MODELLIX_EPROTOCOL;
    int rc = MODELLIX_OK;
    struct modellix_models *m = NULL;
    const json_t *list = json_object_get(root, "models");
    if (!json_is_array(list)) {
        mx_fmt(err, errcap, "expected models to be an array");
        rc = MODELLIX_EPROTOCOL;
        goto done;
    }
    size_t n = json_array_size(list);
    m = calloc(1, sizeof *m);
    if (!m || (n && !(m->items = calloc(n, sizeof *m->items)))) {
        mx_fmt(err, errcap, "out of memory");
        rc = MODELLIX_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        rc = parse_entry(json_array_get(list, i), &m->items[i]);
        if (rc != MODELLIX_OK) {
            if (rc == MODELLIX_EPROTOCOL)
                mx_fmt(err, errcap, "every model must include a string slug (entry %zu has no valid one)", i + 1);
            else
                mx_fmt(err, errcap, "out of memory");
            goto done;
        }
        m->n++;
    }
done:
    json_decref(root);
    if (rc != MODELLIX_OK) {
        mx_models_free(m);
        return rc;
    }
    *out = m;
    return MODELLIX_OK;
}

/* ASCII case-insensitive substring test. */
static int contains_ci(const char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn > hn)
        return 0;
    for (size_t i = 0; i + nn <= hn; i++)
        if (mx_ascii_ncaseeq(hay + i, needle, nn))
            return 1;
    return 0;
}

/* Match of a (trimmed) filter: NULL and "" match everything. */
static int eq_filter(const char *value, const char *filter)
{
    if (!filter || !*filter)
        return 1;
    return value && mx_ascii_casecmp(value, filter) == 0;
}

static int search_match(const mx_model *e, const char *search)
{
    if (!search || !*search)
        return 1;
    size_t ns = strlen(search);
    if (contains_ci(e->slug, strlen(e->slug), search, ns))
        return 1;
    const char *d = e->description ? e->description : "";
    size_t sl = strlen(e->slug), dl = strlen(d);
    /* the needle may span the "\n" between slug and description */
    if (memchr(search, '\n', ns)) {
        char *joined = malloc(sl + 1 + dl + 1);
        if (!joined)
            return -1;
        memcpy(joined, e->slug, sl);
        joined[sl] = '\n';
        memcpy(joined + sl + 1, d, dl + 1);
        int r = contains_ci(joined, sl + 1 + dl, search, ns);
        free(joined);
        return r;
    }
    return contains_ci(d, dl, search, ns);
}

static int copy_entry(mx_model *dst, const mx_model *src)
{
    memset(dst, 0, sizeof *dst);
    dst->slug = mx_strdup(src->slug);
    dst->json = mx_strdup(src->json);
    int bad = !dst->slug || !dst->json;
#define DUP_OPT(f)                                                                                         \
    if (src->f && !(dst->f = mx_strdup(src->f)))                                                           \
        bad = 1;
    DUP_OPT(type)
    DUP_OPT(provider)
    DUP_OPT(description)
    DUP_OPT(docs_url)
#undef DUP_OPT
    if (bad) {
        model_free(dst);
        return MODELLIX_ENOMEM;
    }
    return MODELLIX_OK;
}

int mx_models_filter(const struct modellix_models *m, const char *type, const char *provider, const char *search,
                     size_t limit, struct modellix_models **out)
{
    *out = NULL;
    char *t = type ? mx_strdup_trimmed(type) : NULL, *p = provider ? mx_strdup_trimmed(provider) : NULL,
         *s = search ? mx_strdup_trimmed(search) : NULL;
    struct modellix_models *r = calloc(1, sizeof *r);
    int rc = MODELLIX_OK;
    if (!r || (type && !t) || (provider && !p) || (search && !s) ||
        (m->n && !(r->items = calloc(m->n, sizeof *r->items))) || (m->response && !(r->response = mx_strdup(m->response)))) {
        rc = MODELLIX_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < m->n && (limit == 0 || r->n < limit); i++) {
        const mx_model *e = &m->items[i];
        if (!eq_filter(e->type, t) || !eq_filter(e->provider, p))
            continue;
        int sm = search_match(e, s);
        if (sm < 0) {
            rc = MODELLIX_ENOMEM;
            goto done;
        }
        if (!sm)
            continue;
        rc = copy_entry(&r->items[r->n], e);
        if (rc != MODELLIX_OK)
            goto done;
        r->n++;
    }
done:
    free(t);
    free(p);
    free(s);
    if (rc != MODELLIX_OK) {
        mx_models_free(r);
        return rc;
    }
    *out = r;
    return MODELLIX_OK;
}

size_t mx_models_find(const struct modellix_models *m, const char *slug)
{
    size_t n = strlen(slug);
    while (n && is_space(*slug)) {
        slug++;
        n--;
    }
    while (n && is_space(slug[n - 1]))
        n--;
    for (size_t i = 0; n && i < m->n; i++)
        if (strlen(m->items[i].slug) == n && contains_ci(m->items[i].slug, n, slug, n))
            return i;
    return SIZE_MAX;
}

/* The "data" object of an account answer, or NULL with a message. */
static const json_t *data_of(const json_t *root, char *err, size_t errcap)
{
    const json_t *data = json_object_get(root, "data");
    if (!json_is_object(data))
        mx_fmt(err, errcap, "the response has no \"data\" object");
    return json_is_object(data) ? data : NULL;
}

int mx_parse_key_valid(const char *body, size_t len, int32_t *valid, int *not_json, char *err, size_t errcap)
{
    *valid = 0;
    json_t *root = load_body(body, len, not_json, err, errcap);
    if (!root)
        return MODELLIX_EPROTOCOL;
    int rc = MODELLIX_EPROTOCOL;
    const json_t *data = data_of(root, err, errcap);
    const json_t *v = data ? json_object_get(data, "is_valid") : NULL;
    if (json_is_boolean(v)) {
        *valid = json_is_true(v) ? 1 : 0;
        rc = MODELLIX_OK;
    } else if (data) {
        mx_fmt(err, errcap, "expected data.is_valid to be a boolean");
    }
    json_decref(root);
    return rc;
}

int mx_parse_balance(const char *body, size_t len, double *balance, int *not_json, char *err, size_t errcap)
{
    *balance = 0;
    json_t *root = load_body(body, len, not_json, err, errcap);
    if (!root)
        return MODELLIX_EPROTOCOL;
    int rc = MODELLIX_EPROTOCOL;
    const json_t *data = data_of(root, err, errcap);
    const json_t *v = data ? json_object_get(data, "balance") : NULL;
    if (json_is_number(v) && isfinite(json_number_value(v))) {
        *balance = json_number_value(v);
        rc = MODELLIX_OK;
    } else if (data) {
        mx_fmt(err, errcap, "expected data.balance to be a finite number");
    }
    json_decref(root);
    return rc;
}
