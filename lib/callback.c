/* callback.c - reference-counted callback registrations shared by options and clients. */
#include "internal.h"

#include <stdlib.h>

mx_cb *mx_cb_new(mx_anyfn fn, void *ud, void (*ud_free)(void *))
{
    mx_cb *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    atomic_init(&r->refs, 1);
    r->fn = fn;
    r->user_data = ud;
    r->user_data_free = ud_free;
    return r;
}

mx_cb *mx_cb_ref(mx_cb *r)
{
    if (r)
        atomic_fetch_add(&r->refs, 1);
    return r;
}

void mx_cb_unref(mx_cb *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    if (r->user_data_free)
        r->user_data_free(r->user_data);
    free(r);
}

int mx_cb_set(mx_cb **slot, mx_anyfn fn, void *ud, void (*ud_free)(void *))
{
    mx_cb *r = NULL;
    if (fn && !(r = mx_cb_new(fn, ud, ud_free)))
        return MODELLIX_ENOMEM;
    mx_cb_unref(*slot);
    *slot = r;
    return MODELLIX_OK;
}
