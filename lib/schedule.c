/* schedule.c - the poll schedule: the default grid, the schedule learned per model from the
 * durations of its finished tasks, and the statistics behind it (kept per client, exportable).
 *
 * Default. The official CLI polls at once after the submit and then every 2 s. On a duration grid of
 * uniformly spread finishing times, no schedule can have both fewer requests and a mean detection
 * delay no greater than the CLI's in every duration window: a window of W seconds holding n polls has
 * a mean delay of at least W / 2n (equal gaps are best), so matching the CLI's 1 s needs the CLI's
 * density of one poll per 2 s, and every poll saved before a duration is a delay added there (see
 * bench/README.md, "Poll schedule"). The default therefore polls exactly like the CLI where most tasks
 * finish and the CLI's spacing is worth its cost (ages 0-20 s: at once, then every 2 s, the same
 * detection delay at every duration), and widens the gaps to 10 % of the age (at most 10 s) after
 * that, where a 1 s delay is under 5 % of the duration: the mean delay stays at about 5 % of the
 * duration while a 2-minute task costs 31 requests instead of 61.
 *
 * Learned. Once MX_SCHED_LEARN_MIN tasks of a model have finished, its polls are spread evenly over
 * the range its recent durations cover (a little widened), spaced so that the mean detection delay is
 * about 5 % of the mean duration + 0.3 s, and skip stretches where no recent task finished; a
 * task slower than all of them is then polled every 10 % of its age (at most 10 s, or that spacing
 * for longer tasks). Tasks of a model whose durations vary by +-15 % then cost 1.5 to 2.5 requests.
 *
 * Statistics: per client, for at most MX_SCHED_MODELS slugs, the last MX_SCHED_SAMPLES durations.
 * A client is used from one thread at a time, so they need no lock. */
#include "internal.h"
#include "json_limits.h"
#include "validate.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define GRID_STEP_MS 2000      /* the CLI's interval: the gap up to 20 s of age */
#define GRID_MAX_MS 10000      /* the widest gap */
#define MIN_GAP_MS 250         /* a poll is never scheduled less than this after the previous one */
#define LEARN_PAD_PCT 3        /* the learned range is widened by 3 % (at least 100 ms) on each side */
#define LEARN_PAD_MIN_MS 100
#define CUSTOM_MIN_MS 10       /* an application's schedule is clamped to 10 ms .. 1 h */
#define CUSTOM_MAX_MS 3600000

typedef struct mx_sched_model {
    char *slug;
    int64_t ms[MX_SCHED_SAMPLES]; /* a ring: the oldest at `next` once full */
    int32_t n, next;
    uint64_t used; /* when last observed (the stats' tick): the least recent is evicted */
} mx_sched_model;

typedef struct mx_sched_stats {
    mx_sched_model m[MX_SCHED_MODELS];
    int32_t n;
    uint64_t tick;
} mx_sched_stats;

/* ---- the default grid ------------------------------------------------------------------------- */

static int64_t grid_gap(int64_t p)
{
    int64_t g = p / 10;
    return g < GRID_STEP_MS ? GRID_STEP_MS : g > GRID_MAX_MS ? GRID_MAX_MS : g;
}

/* The jitter allowed for a grid point reached by a gap of `gap`: none where the grid is the CLI's. */
static int64_t grid_jitter_max(int64_t gap)
{
    return gap > GRID_STEP_MS ? gap / 10 : 0;
}

/* The first grid point p >= from whose earliest jittered time is still after `age`; its gap in *gap. */
static int64_t grid_point(int64_t from, int64_t age, int64_t *gap)
{
    int64_t p = 0, g = 0;
    for (;;) {
        if (p >= from && p - grid_jitter_max(g) > age - (p == 0))
            break;
        int64_t ng = grid_gap(p);
        if (ng == GRID_MAX_MS && p + ng < from) { /* from here on the grid is arithmetic */
            int64_t k = (from - p) / ng;
            p += k * ng;
            g = ng;
            continue;
        }
        p += ng;
        g = ng;
    }
    *gap = g;
    return p;
}

int64_t mx_poll_delay(int64_t age_ms, int32_t polls, mx_rng *rng)
{
    if (age_ms < 0)
        age_ms = 0;
    if (age_ms > MX_SCHED_DURATION_MAX)
        return GRID_MAX_MS;
    int64_t from = polls > 0 ? age_ms + MIN_GAP_MS : age_ms, gap;
    int64_t p = grid_point(from, age_ms, &gap);
    int64_t j = grid_jitter_max(gap);
    if (j > 0) {
        j = mx_rng_upto(rng, j + 1);
        if (p - j < from)
            j = p - from;
    }
    return p - j - age_ms;
}

/* ---- the learned schedule --------------------------------------------------------------------- */

/* A task slower than every recent one: 10 % of its age, from 0.5 s to 10 s or, for a model whose
   tasks take longer, to the learned gap (2 x budget). */
static int64_t tail_gap(int64_t age, int64_t budget)
{
    int64_t g = age / 10, max = 2 * budget > GRID_MAX_MS ? 2 * budget : GRID_MAX_MS;
    return g < 500 ? 500 : g > max ? max : g;
}

int64_t mx_sched_learned_delay(const int64_t *s, int32_t n, int64_t age_ms)
{
    if (age_ms < 0)
        age_ms = 0;
    int64_t lo = s[0], hi = s[n - 1], sum = 0;
    for (int32_t i = 0; i < n; i++)
        sum += s[i];
    int64_t pad_lo = lo * LEARN_PAD_PCT / 100, pad_hi = hi * LEARN_PAD_PCT / 100;
    lo -= pad_lo < LEARN_PAD_MIN_MS ? LEARN_PAD_MIN_MS : pad_lo;
    hi += pad_hi < LEARN_PAD_MIN_MS ? LEARN_PAD_MIN_MS : pad_hi;
    if (lo < 0)
        lo = 0;
    /* equal gaps g over [lo, hi] give a mean delay of about g / 2: aim g / 2 at 95 % of
       5 % of the mean duration + 0.3 s */
    int64_t budget = (sum / n / 20 + 300) * 95 / 100;
    int64_t span = hi - lo, k = (span + 2 * budget - 1) / (2 * budget);
    if (k < 1)
        k = 1;
    int64_t from = age_ms + MIN_GAP_MS;
    if (age_ms == 0)
        from = 0;
    for (int64_t j = 1; j <= k; j++) {
        int64_t p = lo + span * j / k, prev = lo + span * (j - 1) / k, g = p - prev;
        if (p < from)
            continue;
        /* skip a point when no recent task finished anywhere near its stretch (prev, p]: a model
           whose durations come in separate clusters is not polled between them */
        int64_t w = 2 * g > p / 8 ? 2 * g : p / 8;
        int used = j == k;
        for (int32_t i = 0; i < n && !used; i++)
            used = s[i] > prev - w && s[i] <= p + w;
        if (used)
            return p - age_ms;
    }
    int64_t d = tail_gap(age_ms, budget);
    return age_ms + d < from ? from - age_ms : d;
}

/* ---- statistics ------------------------------------------------------------------------------- */

static mx_sched_model *find_model(const mx_sched_stats *st, const char *slug)
{
    if (!st || !slug)
        return NULL;
    for (int32_t i = 0; i < st->n; i++)
        if (strcmp(st->m[i].slug, slug) == 0)
            return (mx_sched_model *)&st->m[i];
    return NULL;
}

static void model_add(mx_sched_model *m, int64_t ms)
{
    m->ms[m->next] = ms;
    m->next = (m->next + 1) % MX_SCHED_SAMPLES;
    if (m->n < MX_SCHED_SAMPLES)
        m->n++;
}

/* The samples oldest first. */
static int32_t model_samples(const mx_sched_model *m, int64_t *out)
{
    int32_t first = m->n < MX_SCHED_SAMPLES ? 0 : m->next;
    for (int32_t i = 0; i < m->n; i++)
        out[i] = m->ms[(first + i) % MX_SCHED_SAMPLES];
    return m->n;
}

/* The model's slot, made (evicting the least recently observed model when full) if absent. */
static mx_sched_model *model_slot(mx_sched_stats *st, const char *slug)
{
    mx_sched_model *m = find_model(st, slug);
    if (m)
        return m;
    char *copy = mx_strdup(slug);
    if (!copy)
        return NULL;
    if (st->n < MX_SCHED_MODELS) {
        m = &st->m[st->n++];
    } else {
        m = &st->m[0];
        for (int32_t i = 1; i < st->n; i++)
            if (st->m[i].used < m->used)
                m = &st->m[i];
        free(m->slug);
    }
    memset(m, 0, sizeof *m);
    m->slug = copy;
    return m;
}

static void stats_free(mx_sched_stats *st)
{
    if (!st)
        return;
    for (int32_t i = 0; i < st->n; i++)
        free(st->m[i].slug);
    free(st);
}

void mx_sched_free(modellix_client *c)
{
    stats_free(c->sched);
    c->sched = NULL;
}

int32_t mx_sched_samples(const modellix_client *c, const char *slug, int64_t *out)
{
    const mx_sched_model *m = find_model(c->sched, slug);
    return m ? model_samples(m, out) : 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* ---- the hooks -------------------------------------------------------------------------------- */

static int64_t clamp_custom(int64_t d)
{
    return d < CUSTOM_MIN_MS ? CUSTOM_MIN_MS : d > CUSTOM_MAX_MS ? CUSTOM_MAX_MS : d;
}

int64_t mx_sched_next_delay(modellix_client *c, const modellix_task *t, int64_t now_ms)
{
    int64_t age = now_ms - t->born_ms;
    if (age < 0)
        age = 0;
    const mx_cb *cb = c->poll_schedule;
    if (cb && cb->kind == MX_CB_POLL_TASK)
        return clamp_custom(((modellix_poll_task_fn)cb->fn)(t, age, t->polls, cb->user_data));
    if (cb)
        return clamp_custom(((modellix_poll_fn)cb->fn)(age, t->polls, cb->user_data));
    /* a poll was scheduled before (next_poll_ms set): not the first, even when none was answered */
    int32_t polls = t->polls > 0 ? t->polls : t->next_poll_ms != 0;
    const mx_sched_model *m = t->slug ? find_model(c->sched, t->slug) : NULL;
    if (m && m->n >= MX_SCHED_LEARN_MIN) {
        int64_t s[MX_SCHED_SAMPLES];
        int32_t n = model_samples(m, s);
        qsort(s, (size_t)n, sizeof *s, cmp_i64);
        return mx_sched_learned_delay(s, n, polls == 0 ? 0 : age > 0 ? age : 1);
    }
    return mx_poll_delay(age, polls, &c->rng);
}

void mx_sched_running(modellix_task *t, int64_t now_ms)
{
    if (t->status == MODELLIX_TASK_SUCCESS || t->status == MODELLIX_TASK_FAILED)
        return;
    int64_t age = now_ms - t->born_ms;
    t->seen_running = 1;
    t->running_age_ms = age < 0 ? 0 : age;
}

void mx_sched_observe(modellix_client *c, modellix_task *t, int64_t now_ms)
{
    /* only tasks submitted here: their age is their duration so far (an attached task's is not) */
    if (!t->slug || modellix_task_submit_state(t) != MODELLIX_SUBMIT_ACCEPTED)
        return;
    int64_t age = now_ms - t->born_ms;
    if (age < 0)
        age = 0;
    /* it finished in (lower, age] */
    int64_t lower = t->seen_running && t->running_age_ms <= age ? t->running_age_ms : 0;
    int64_t tol = age / 20 > 1000 ? age / 20 : 1000, d = t->info.duration_ms, first, second = -1;
    const mx_sched_model *known = find_model(c->sched, t->slug);
    if (d >= 0 && d + tol >= lower && d <= age + tol)
        first = d < lower ? lower : d > age ? age : d;
    else if (known && known->n >= MX_SCHED_LEARN_MIN)
        /* from the polls alone, only under the default schedule, whose windows are as narrow for
           every task: under the learned one only the tasks slower than all before would be seen
           precisely, and would drag the durations up */
        return;
    else if (age - lower <= 2 * (age / 20 + 300))
        first = lower + (age - lower) / 2; /* within the precision the learned schedule aims at */
    else if (age - lower <= (age / 10 + 600 > 2500 ? age / 10 + 600 : 2500)) {
        /* coarser than that (the default's 2 s gaps on a short task): both ends of the window, so
           that the learned range covers it */
        first = lower;
        second = age;
    } else {
        return; /* known only roughly: it would mislead more than teach */
    }
    if (first > MX_SCHED_DURATION_MAX || second > MX_SCHED_DURATION_MAX)
        return;
    if (!c->sched && !(c->sched = calloc(1, sizeof *c->sched)))
        return; /* learning is an optimisation: without memory the default schedule stays */
    mx_sched_model *m = model_slot(c->sched, t->slug);
    if (!m)
        return;
    m->used = ++c->sched->tick;
    model_add(m, first);
    if (second >= 0)
        model_add(m, second);
}

/* ---- export and import ------------------------------------------------------------------------ */

#define STATS_VERSION 1
#define STATS_JSON_MAX ((size_t)256 * 1024)

int modellix_client_poll_stats_export(char **json_out, modellix_client *c)
{
    if (!json_out)
        return MODELLIX_EINVAL;
    *json_out = NULL;
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    json_t *root = json_object(), *models = json_array();
    int ok = root && models && json_object_set_new(root, "version", json_integer(STATS_VERSION)) == 0;
    if (ok) {
        ok = json_object_set(root, "models", models) == 0;
    }
    const mx_sched_stats *st = c->sched;
    for (int32_t i = 0; ok && st && i < st->n; i++) {
        int64_t s[MX_SCHED_SAMPLES];
        int32_t n = model_samples(&st->m[i], s);
        json_t *m = json_object(), *list = json_array();
        ok = m && list && json_object_set_new(m, "slug", json_string(st->m[i].slug)) == 0 &&
             json_object_set(m, "durations_ms", list) == 0 && json_array_append(models, m) == 0;
        for (int32_t k = 0; ok && k < n; k++)
            ok = json_array_append_new(list, json_integer((json_int_t)s[k])) == 0;
        json_decref(list);
        json_decref(m);
    }
    char *text = ok ? json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(models);
    json_decref(root);
    if (text) {
        *json_out = mx_strdup(text); /* modellix_free releases it, whatever allocator jansson uses */
        free(text);
    }
    if (!*json_out)
        return mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    return MODELLIX_OK;
}

/* The import's checks; on failure a message in err and NULL. */
static mx_sched_stats *parse_stats(const char *json, size_t len, char *err, size_t errcap)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    mx_sched_stats *st = NULL;
    if (!root || !mx_json_within_limits(root, 4, 4 + MX_SCHED_MODELS * (4 + MX_SCHED_SAMPLES))) {
        mx_fmt(err, errcap, "poll statistics: not valid JSON, or too large or deep");
        goto fail;
    }
    const json_t *version = json_object_get(root, "version"), *models = json_object_get(root, "models");
    if (!json_is_object(root) || json_object_size(root) != 2 || !json_is_integer(version) ||
        json_integer_value(version) != STATS_VERSION || !json_is_array(models)) {
        mx_fmt(err, errcap, "poll statistics: expected {\"version\":%d,\"models\":[...]}", STATS_VERSION);
        goto fail;
    }
    if (json_array_size(models) > MX_SCHED_MODELS) {
        mx_fmt(err, errcap, "poll statistics: more than %d models", MX_SCHED_MODELS);
        goto fail;
    }
    if (!(st = calloc(1, sizeof *st))) {
        mx_fmt(err, errcap, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(models); i++) {
        const json_t *m = json_array_get(models, i);
        const json_t *slug = json_object_get(m, "slug"), *list = json_object_get(m, "durations_ms");
        if (!json_is_object(m) || json_object_size(m) != 2 || !json_is_string(slug) || !json_is_array(list) ||
            json_array_size(list) < 1 || json_array_size(list) > MX_SCHED_SAMPLES) {
            mx_fmt(err, errcap, "poll statistics: model %zu is not {\"slug\":\"...\",\"durations_ms\":[1 to %d integers]}",
                   i + 1, MX_SCHED_SAMPLES);
            goto fail;
        }
        const char *text = json_string_value(slug);
        char *type = NULL, *provider = NULL, *model = NULL, verr[200];
        int valid = strlen(text) == json_string_length(slug) &&
                    mx_validate_slug(text, &type, &provider, &model, verr, sizeof verr) == MODELLIX_OK;
        free(type);
        free(provider);
        free(model);
        char *trimmed = valid ? mx_strdup_trimmed(text) : NULL;
        valid = trimmed && strcmp(trimmed, text) == 0;
        free(trimmed);
        if (!valid || find_model(st, text)) {
            mx_fmt(err, errcap, "poll statistics: model %zu has an invalid or repeated slug", i + 1);
            goto fail;
        }
        mx_sched_model *sm = model_slot(st, text);
        if (!sm) {
            mx_fmt(err, errcap, "out of memory");
            goto fail;
        }
        sm->used = ++st->tick;
        for (size_t k = 0; k < json_array_size(list); k++) {
            const json_t *v = json_array_get(list, k);
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > MX_SCHED_DURATION_MAX) {
                mx_fmt(err, errcap, "poll statistics: model %zu: durations must be integers from 0 to %lld ms",
                       i + 1, (long long)MX_SCHED_DURATION_MAX);
                goto fail;
            }
            model_add(sm, (int64_t)json_integer_value(v));
        }
    }
    json_decref(root);
    return st;
fail:
    json_decref(root);
    stats_free(st);
    return NULL;
}

int modellix_client_poll_stats_import(modellix_client *c, const char *json)
{
    if (!c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    if (!json)
        return mx_fail(c, NULL, MODELLIX_EINVAL, 0, NULL, "poll statistics: NULL text");
    size_t len = strnlen(json, STATS_JSON_MAX + 1);
    if (len > STATS_JSON_MAX)
        return mx_fail(c, NULL, MODELLIX_ETOOLARGE, 0, NULL, "poll statistics: larger than %zu bytes",
                       STATS_JSON_MAX);
    char err[200];
    mx_sched_stats *st = parse_stats(json, len, err, sizeof err);
    if (!st)
        return mx_fail(c, NULL, strcmp(err, "out of memory") == 0 ? MODELLIX_ENOMEM : MODELLIX_EINVAL, 0, NULL,
                       "%s", err);
    stats_free(c->sched);
    c->sched = st;
    return MODELLIX_OK;
}
