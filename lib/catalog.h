/* catalog.h - the model catalogue and the account answers as pure functions: parsing
 * GET /api/v1/models, /api/v1/apikey/validate and /api/v1/team/balance bodies, filtering and lookup.
 * jansson stays inside catalog.c. No I/O. */
#ifndef MODELLIX_CATALOG_H
#define MODELLIX_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#define MX_MODEL_TYPE_MAX 128
#define MX_MODEL_PROVIDER_MAX 256
#define MX_MODEL_DOCS_URL_MAX 2048
#define MX_MODEL_DESCRIPTION_MAX 65536

/* One catalogue entry; every string is malloc'd and owned by the entry. */
typedef struct mx_model {
    char *slug;        /* trimmed, safe text, at most 256 characters */
    char *type;        /* safe text or NULL */
    char *provider;    /* provider / providerSlug / provider_slug, else the slug's prefix before '/';
                          NULL for a one-part slug with none of those fields */
    char *description; /* the string as sent (no NUL inside) or NULL */
    char *docs_url;    /* an http(s) URL in safe text, or NULL */
    char *json;        /* the entry serialised compactly */
} mx_model;

struct modellix_models {
    mx_model *items;
    size_t n;
    char *response; /* the whole answer the list came from (redacted), or NULL */
};

/* Parse a models list body ({"models":[...]}, no envelope) into *out (calloc'd; release with
 * mx_models_free). Returns MODELLIX_OK, MODELLIX_EPROTOCOL (message in err; *not_json set to 1 when
 * the body is not JSON at all, which may be a transient fault) or MODELLIX_ENOMEM. */
int mx_parse_models(const char *body, size_t len, struct modellix_models **out, int *not_json, char *err,
                    size_t errcap);
void mx_models_free(struct modellix_models *m);

/* Copy the entries of m that pass the filters (NULL = any; limit 0 = no limit) into *out. */
int mx_models_filter(const struct modellix_models *m, const char *type, const char *provider, const char *search,
                     size_t limit, struct modellix_models **out);
/* The index of the entry whose slug equals `slug` (trimmed, ASCII case-insensitive), or SIZE_MAX. */
size_t mx_models_find(const struct modellix_models *m, const char *slug);

/* data.is_valid of a key validation answer (0 or 1) in *valid. Same returns as mx_parse_models. */
int mx_parse_key_valid(const char *body, size_t len, int32_t *valid, int *not_json, char *err, size_t errcap);
/* data.balance of a balance answer (finite) in *balance. Same returns as mx_parse_models. */
int mx_parse_balance(const char *body, size_t len, double *balance, int *not_json, char *err, size_t errcap);

#endif
