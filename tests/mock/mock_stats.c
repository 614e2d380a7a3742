/* mock_stats.c - the counters of mock.h (lock-free atomics) and the last Authorization/path/User-Agent per route. */
#include "mock_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mk_stats_init(mk_stats *st)
{
    memset(st, 0, sizeof *st);
    return pthread_mutex_init(&st->lock, NULL) == 0 ? 0 : -1;
}

void mk_stats_destroy(mk_stats *st)
{
    for (int i = 0; i < MOCK_ROUTE_COUNT_; i++) {
        free(st->last_auth[i]);
        free(st->last_path[i]);
        free(st->last_ua[i]);
    }
    pthread_mutex_destroy(&st->lock);
}

void mk_stats_reset(mk_stats *st)
{
    for (int r = 0; r < MOCK_ROUTE_COUNT_; r++) {
        atomic_store(&st->requests[r], 0);
        atomic_store(&st->bytes[r], 0);
        atomic_store(&st->faults[r], 0);
        for (int s = 0; s < MK_STATUS_SLOTS; s++)
            atomic_store(&st->status[r][s], 0);
    }
    atomic_store(&st->connections, 0);
    atomic_store(&st->tasks_created, 0);
    /* the connections open right now are the new high-water mark */
    atomic_store(&st->max_open, atomic_load(&st->open));
    pthread_mutex_lock(&st->lock);
    for (int i = 0; i < MOCK_ROUTE_COUNT_; i++) {
        free(st->last_auth[i]);
        free(st->last_path[i]);
        free(st->last_ua[i]);
        st->last_auth[i] = st->last_path[i] = st->last_ua[i] = NULL;
    }
    pthread_mutex_unlock(&st->lock);
}

static bool route_ok(int32_t route)
{
    return route >= 0 && route < MOCK_ROUTE_COUNT_;
}

static void replace(char **slot, const char *value)
{
    char *copy = mk_strdup(value);
    free(*slot);
    *slot = copy;
}

void mk_stats_request(mk_stats *st, int32_t route, const char *authorization, const char *path,
                      const char *user_agent)
{
    if (!route_ok(route))
        return;
    atomic_fetch_add(&st->requests[MOCK_ROUTE_ANY], 1);
    if (route != MOCK_ROUTE_ANY)
        atomic_fetch_add(&st->requests[route], 1);
    pthread_mutex_lock(&st->lock);
    replace(&st->last_auth[MOCK_ROUTE_ANY], authorization ? authorization : "");
    replace(&st->last_path[MOCK_ROUTE_ANY], path);
    replace(&st->last_auth[route], authorization ? authorization : "");
    replace(&st->last_path[route], path);
    replace(&st->last_ua[MOCK_ROUTE_ANY], user_agent ? user_agent : "");
    replace(&st->last_ua[route], user_agent ? user_agent : "");
    pthread_mutex_unlock(&st->lock);
}

void mk_stats_status(mk_stats *st, int32_t route, unsigned status)
{
    if (!route_ok(route) || status >= MK_STATUS_SLOTS)
        return;
    atomic_fetch_add(&st->status[MOCK_ROUTE_ANY][status], 1);
    if (route != MOCK_ROUTE_ANY)
        atomic_fetch_add(&st->status[route][status], 1);
}

void mk_stats_bytes(mk_stats *st, int32_t route, int64_t n)
{
    if (!route_ok(route) || n <= 0)
        return;
    atomic_fetch_add(&st->bytes[MOCK_ROUTE_ANY], n);
    if (route != MOCK_ROUTE_ANY)
        atomic_fetch_add(&st->bytes[route], n);
}

void mk_stats_fault(mk_stats *st, int32_t route)
{
    if (!route_ok(route))
        return;
    atomic_fetch_add(&st->faults[MOCK_ROUTE_ANY], 1);
    if (route != MOCK_ROUTE_ANY)
        atomic_fetch_add(&st->faults[route], 1);
}

void mk_stats_conn_open(mk_stats *st)
{
    atomic_fetch_add(&st->connections, 1);
    int64_t now_open = atomic_fetch_add(&st->open, 1) + 1;
    int64_t max = atomic_load(&st->max_open);
    while (now_open > max && !atomic_compare_exchange_weak(&st->max_open, &max, now_open)) {
    }
}

void mk_stats_conn_close(mk_stats *st)
{
    atomic_fetch_sub(&st->open, 1);
}

int64_t mk_stats_counter(mk_stats *st, int32_t counter, int32_t route)
{
    if (!route_ok(route))
        return -1;
    switch (counter) {
    case MOCK_CTR_REQUESTS:
        return atomic_load(&st->requests[route]);
    case MOCK_CTR_CONNECTIONS:
        return atomic_load(&st->connections);
    case MOCK_CTR_MAX_CONCURRENT:
        return atomic_load(&st->max_open);
    case MOCK_CTR_TASKS_CREATED:
        return atomic_load(&st->tasks_created);
    case MOCK_CTR_BYTES_SERVED:
        return atomic_load(&st->bytes[route]);
    case MOCK_CTR_FAULTS_APPLIED:
        return atomic_load(&st->faults[route]);
    default:
        return -1;
    }
}

int64_t mk_stats_status_count(mk_stats *st, int32_t route, int32_t status)
{
    if (!route_ok(route) || status < 0 || status >= MK_STATUS_SLOTS)
        return 0;
    return atomic_load(&st->status[route][status]);
}

int mk_stats_last(mk_stats *st, enum mk_last which, int32_t route, char *buf, size_t buflen)
{
    if (buf == NULL || buflen == 0 || !route_ok(route))
        return -1;
    int rc = 0;
    pthread_mutex_lock(&st->lock);
    const char *v = which == MK_LAST_PATH ? st->last_path[route]
                    : which == MK_LAST_UA ? st->last_ua[route]
                                          : st->last_auth[route];
    if (v == NULL)
        v = "";
    size_t n = strlen(v);
    if (n + 1 > buflen) {
        buf[0] = '\0';
        rc = -1;
    } else {
        memcpy(buf, v, n + 1);
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

static json_t *per_route(_Atomic int64_t *v)
{
    json_t *o = json_object();
    for (int r = 0; r < MOCK_ROUTE_COUNT_; r++)
        json_object_set_new(o, mk_route_name(r), json_integer(atomic_load(&v[r])));
    return o;
}

json_t *mk_stats_json(mk_stats *st)
{
    json_t *status = json_object();
    for (int r = 0; r < MOCK_ROUTE_COUNT_; r++) {
        json_t *codes = json_object();
        for (int s = 0; s < MK_STATUS_SLOTS; s++) {
            int64_t n = atomic_load(&st->status[r][s]);
            if (n > 0) {
                char key[8];
                snprintf(key, sizeof key, "%d", s);
                json_object_set_new(codes, key, json_integer(n));
            }
        }
        json_object_set_new(status, mk_route_name(r), codes);
    }
    return json_pack("{s:o, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "requests", per_route(st->requests),
                     "connections", (json_int_t)atomic_load(&st->connections), "open_connections",
                     (json_int_t)atomic_load(&st->open), "max_concurrent", (json_int_t)atomic_load(&st->max_open),
                     "tasks_created", (json_int_t)atomic_load(&st->tasks_created), "bytes_served",
                     per_route(st->bytes), "faults_applied", per_route(st->faults), "status", status);
}
