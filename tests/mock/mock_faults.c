/* mock_faults.c - the fault list: add, clear, match (first live match wins; skip, then count), names. */
#include "mock_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const route_names[MOCK_ROUTE_COUNT_] = {"any", "submit", "task", "models",
                                                           "validate", "balance", "file", "other"};

static const char *const kind_names[MOCK_FAULT_KIND_COUNT_] = {
    NULL, "status", "reset_before", "reset_midway", "stall", "garbage", "truncated",
    "huge", "wrong_task_id", "redirect", "empty", "no_task_id", "close_after"};

const char *mk_route_name(int32_t route)
{
    if (route < 0 || route >= MOCK_ROUTE_COUNT_)
        return "?";
    return route_names[route];
}

int32_t mk_fault_route_from_name(const char *name)
{
    for (int32_t i = 0; i < MOCK_ROUTE_COUNT_; i++) {
        if (strcasecmp(name, route_names[i]) == 0)
            return i;
    }
    return -1;
}

int32_t mk_fault_kind_from_name(const char *name)
{
    for (int32_t i = 1; i < MOCK_FAULT_KIND_COUNT_; i++) {
        if (strcasecmp(name, kind_names[i]) == 0)
            return i;
    }
    return -1;
}

int mk_faults_init(mk_faults *fs)
{
    memset(fs, 0, sizeof *fs);
    atomic_init(&fs->live_hint, 0);
    return pthread_mutex_init(&fs->lock, NULL) == 0 ? 0 : -1;
}

void mk_fault_copy_free(mock_fault *f)
{
    free((char *)f->method);
    free((char *)f->headers);
    free((char *)f->body);
    free((char *)f->location);
    memset(f, 0, sizeof *f);
}

static int deep_copy(mock_fault *dst, const mock_fault *src)
{
    *dst = *src;
    dst->method = mk_strdup(src->method);
    dst->headers = mk_strdup(src->headers);
    dst->body = mk_strdup(src->body);
    dst->location = mk_strdup(src->location);
    if ((src->method && !dst->method) || (src->headers && !dst->headers) || (src->body && !dst->body) ||
        (src->location && !dst->location)) {
        mk_fault_copy_free(dst);
        return -1;
    }
    return 0;
}

void mk_faults_clear(mk_faults *fs)
{
    pthread_mutex_lock(&fs->lock);
    for (size_t i = 0; i < fs->n; i++)
        mk_fault_copy_free(&fs->v[i].f);
    fs->n = 0;
    atomic_store(&fs->live_hint, 0);
    pthread_mutex_unlock(&fs->lock);
}

void mk_faults_destroy(mk_faults *fs)
{
    mk_faults_clear(fs);
    free(fs->v);
    pthread_mutex_destroy(&fs->lock);
}

int mk_faults_add(mk_faults *fs, const mock_fault *f)
{
    if (f == NULL || f->route < 0 || f->route >= MOCK_ROUTE_COUNT_ || f->kind < MOCK_FAULT_STATUS ||
        f->kind >= MOCK_FAULT_KIND_COUNT_ || f->stall_ms < 0 || f->huge_bytes < 0 || f->skip < 0)
        return -1;
    if (f->kind == MOCK_FAULT_STATUS && (f->status < 100 || f->status > 599))
        return -1;
    if (f->status != 0 && (f->status < 100 || f->status > 599))
        return -1;
    mk_fault_slot slot = {0};
    if (deep_copy(&slot.f, f) != 0)
        return -1;
    pthread_mutex_lock(&fs->lock);
    if (fs->n == fs->cap) {
        size_t nc = fs->cap ? fs->cap * 2 : 8;
        mk_fault_slot *nv = realloc(fs->v, nc * sizeof *nv);
        if (nv == NULL) {
            pthread_mutex_unlock(&fs->lock);
            mk_fault_copy_free(&slot.f);
            return -1;
        }
        fs->v = nv;
        fs->cap = nc;
    }
    fs->v[fs->n++] = slot;
    atomic_fetch_add(&fs->live_hint, 1);
    pthread_mutex_unlock(&fs->lock);
    return 0;
}

bool mk_faults_match(mk_faults *fs, int32_t route, const char *method, mock_fault *out)
{
    if (atomic_load(&fs->live_hint) == 0)
        return false;
    bool hit = false;
    pthread_mutex_lock(&fs->lock);
    for (size_t i = 0; i < fs->n; i++) {
        mk_fault_slot *s = &fs->v[i];
        if (s->f.route != MOCK_ROUTE_ANY && s->f.route != route)
            continue;
        if (s->f.method != NULL && strcasecmp(s->f.method, method) != 0)
            continue;
        if (s->f.count > 0 && s->used >= s->f.count)
            continue; /* exhausted */
        if (s->skipped < s->f.skip) {
            s->skipped++; /* this request is let through, untouched */
            break;
        }
        s->used++;
        hit = deep_copy(out, &s->f) == 0;
        break;
    }
    pthread_mutex_unlock(&fs->lock);
    return hit;
}
