/* mock_tasks.c - task store (hash table keyed by id, rwlock) and the time-driven task lifecycle.
 *
 * A task never changes after insertion: its status is a pure function of the monotonic clock
 * (pending for the first 25% of its duration, then processing, then terminal). The store also keeps a
 * min-heap of the end times of counted (submitted) tasks, so the team concurrency limit is checked in
 * O(log n) even with tens of thousands of tasks.
 */
#include "mock_internal.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_BUCKETS 1024

int mk_store_init(mk_store *s)
{
    memset(s, 0, sizeof *s);
    s->buckets = calloc(INITIAL_BUCKETS, sizeof *s->buckets);
    if (s->buckets == NULL)
        return -1;
    s->n_buckets = INITIAL_BUCKETS;
    if (pthread_rwlock_init(&s->lock, NULL) != 0) {
        free(s->buckets);
        return -1;
    }
    return 0;
}

mk_task *mk_task_create(const char *id, const char *slug, bool video, int64_t duration_ms)
{
    mk_task *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->id = mk_strdup(id);
    t->slug = mk_strdup(slug);
    if (t->id == NULL || t->slug == NULL) {
        mk_task_free(t);
        return NULL;
    }
    const char *slash = strchr(t->slug, '/');
    t->model_id = slash ? slash + 1 : t->slug;
    t->video = video;
    t->duration_ms = duration_ms;
    t->created_ms = mk_now_ms();
    t->created_wall_ms = mk_wall_ms();
    t->n_resources = 1;
    return t;
}

void mk_task_free(mk_task *t)
{
    if (t == NULL)
        return;
    free(t->id);
    free(t->slug);
    free(t->word);
    free(t->error_message);
    free(t);
}

void mk_store_destroy(mk_store *s)
{
    for (size_t i = 0; i < s->n_buckets; i++) {
        mk_task *t = s->buckets[i];
        while (t != NULL) {
            mk_task *next = t->next;
            mk_task_free(t);
            t = next;
        }
    }
    free(s->buckets);
    free(s->running);
    pthread_rwlock_destroy(&s->lock);
    memset(s, 0, sizeof *s);
}

static size_t bucket_of(const char *id, size_t n_buckets)
{
    return (size_t)(mk_hash64(id, strlen(id), 0) & (n_buckets - 1));
}

static const mk_task *find_locked(mk_store *s, const char *id)
{
    for (mk_task *t = s->buckets[bucket_of(id, s->n_buckets)]; t != NULL; t = t->next) {
        if (strcmp(t->id, id) == 0)
            return t;
    }
    return NULL;
}

static void grow_locked(mk_store *s)
{
    size_t nb = s->n_buckets * 2;
    mk_task **b = calloc(nb, sizeof *b);
    if (b == NULL)
        return; /* keep the old table: longer chains, still correct */
    for (size_t i = 0; i < s->n_buckets; i++) {
        mk_task *t = s->buckets[i];
        while (t != NULL) {
            mk_task *next = t->next;
            size_t k = bucket_of(t->id, nb);
            t->next = b[k];
            b[k] = t;
            t = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->n_buckets = nb;
}

/* ---- min-heap of end times ---- */

static void heap_pop(mk_store *s)
{
    int64_t *h = s->running;
    h[0] = h[--s->n_running];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n_running && h[l] < h[m])
            m = l;
        if (r < s->n_running && h[r] < h[m])
            m = r;
        if (m == i)
            break;
        int64_t tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

static int heap_push(mk_store *s, int64_t v)
{
    if (s->n_running == s->cap_running) {
        size_t nc = s->cap_running ? s->cap_running * 2 : 64;
        int64_t *nh = realloc(s->running, nc * sizeof *nh);
        if (nh == NULL)
            return -1;
        s->running = nh;
        s->cap_running = nc;
    }
    size_t i = s->n_running++;
    s->running[i] = v;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->running[p] <= s->running[i])
            break;
        int64_t tmp = s->running[p];
        s->running[p] = s->running[i];
        s->running[i] = tmp;
        i = p;
    }
    return 0;
}

int mk_store_admit(mk_store *s, mk_task *t, int32_t max_running, bool commit, bool counted, int64_t now,
                   int64_t *retry_after_s)
{
    int rc = 0;
    pthread_rwlock_wrlock(&s->lock);
    while (s->n_running > 0 && s->running[0] <= now)
        heap_pop(s);
    if (counted && max_running > 0 && s->n_running >= (size_t)max_running) {
        int64_t wait = s->running[0] - now;
        *retry_after_s = wait <= 1000 ? 1 : (wait + 999) / 1000;
        rc = 1;
    } else if (find_locked(s, t->id) != NULL) {
        rc = 2;
    } else if (commit) {
        if (counted && mk_task_end_ms(t) > now && heap_push(s, mk_task_end_ms(t)) != 0) {
            rc = -1;
        } else {
            if (s->n_tasks >= s->n_buckets)
                grow_locked(s);
            size_t k = bucket_of(t->id, s->n_buckets);
            t->next = s->buckets[k];
            s->buckets[k] = t;
            s->n_tasks++;
        }
    }
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

size_t mk_store_each_paid(mk_store *s, void (*fn)(const char *id, void *ud), void *ud)
{
    size_t n = 0;
    pthread_rwlock_rdlock(&s->lock);
    for (size_t i = 0; i < s->n_buckets; i++) {
        for (const mk_task *t = s->buckets[i]; t != NULL; t = t->next) {
            if (!t->paid)
                continue;
            n++;
            if (fn != NULL)
                fn(t->id, ud);
        }
    }
    pthread_rwlock_unlock(&s->lock);
    return n;
}

const mk_task *mk_store_find(mk_store *s, const char *id)
{
    pthread_rwlock_rdlock(&s->lock);
    const mk_task *t = find_locked(s, id);
    pthread_rwlock_unlock(&s->lock);
    return t;
}

int64_t mk_task_end_ms(const mk_task *t)
{
    return t->created_ms + t->duration_ms;
}

enum mk_phase mk_task_phase(const mk_task *t, int64_t now)
{
    int64_t age = now - t->created_ms;
    if (age >= t->duration_ms)
        return MK_TERMINAL;
    if (age * 4 < t->duration_ms)
        return MK_PENDING;
    return MK_PROCESSING;
}

const char *mk_task_status_word(const mk_task *t, int64_t now)
{
    switch (mk_task_phase(t, now)) {
    case MK_PENDING:
        return "pending";
    case MK_PROCESSING:
        return "processing";
    default:
        break;
    }
    if (t->word != NULL)
        return t->word;
    return t->failed ? "failed" : "success";
}
