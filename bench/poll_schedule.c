/* poll_schedule.c - poll-schedule simulation benchmark.
 *
 * Runs on a virtual clock (nothing sleeps) and compares, over populations of simulated generation
 * tasks (images uniform 3-10 s, videos uniform 30-120 s, and a 50/50 mix):
 *
 *   default    the library's own schedule, the real mx_poll_delay() from libmodellix_internal,
 *              called exactly as the engine calls it: after a successful submit the first poll is at
 *              submit + mx_poll_delay(0, 0, rng) (task.c); after each non-terminal poll at time t the
 *              next is at t + mx_poll_delay(t - submit, polls_so_far, rng) (wait.c schedule_next,
 *              where t->polls has already been incremented for the poll that just finished). One rng
 *              is shared by all tasks of a population, as the client's rng is.
 *   fixed-2s   the official CLI: immediate first poll, then every 2 s (0, 2, 4, ...).
 *   seed       the seed script: sleep before every poll, 1 s then 2, 4, 8, capped at 10 s
 *              (polls at 1, 3, 7, 15, 25, 35, ...).
 *   proposal-MIN/MAX/FRAC
 *              candidate constants for lib/schedule.c (minimum s, maximum s, fraction of the age),
 *              simulated with a local copy of its formula and its +-10 % jitter. The row with the
 *              current constants (2/15/0.20) is a sanity check: it must reproduce "default" exactly.
 *
 * A task of duration D is detected by the first poll at a time >= D; polls are instantaneous. The
 * goal (design.md section 5): fewer requests per task than fixed-2s AND mean delay <= 10 % of the
 * task's duration + 1 s, evaluated on the population as mean(delay) <= 0.1 * mean(D) + 1 s; the
 * fraction of tasks with delay_i <= 0.1 * D_i + 1 s is reported alongside.
 *
 * A second table measures jitter: 1000 tasks submitted at the same instant with the same duration,
 * and the largest number of polls that land in any single 100 ms window (over all polls, and over
 * all polls except each task's first, to show that later rounds drift further apart).
 *
 * Output: readable tables plus one machine-readable line per row, starting with "RESULT" or
 * "JITTER" (key=value pairs). Always exits 0. Usage: poll_schedule [tasks-per-population [seed]]. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schedules -------------------------------------------------------------------------------- */

typedef struct sched sched;
/* Delay before the next poll, given the task's age at the moment of scheduling and the number of
 * polls done so far (0 right after submit). */
typedef int64_t (*delay_fn)(const sched *s, int64_t age_ms, int32_t polls, mx_rng *rng);

struct sched {
    const char *name;
    delay_fn delay;
    /* Parameters of the proposal formula (unused by the others). */
    int64_t min_ms, max_ms;
    int64_t age_num, age_den; /* wait age * num / den */
};

static int64_t delay_default(const sched *s, int64_t age_ms, int32_t polls, mx_rng *rng)
{
    (void)s;
    return mx_poll_delay(age_ms, polls, rng);
}

static int64_t delay_fixed2s(const sched *s, int64_t age_ms, int32_t polls, mx_rng *rng)
{
    (void)s;
    (void)age_ms;
    (void)rng;
    return polls == 0 ? 0 : 2000;
}

static int64_t delay_seed(const sched *s, int64_t age_ms, int32_t polls, mx_rng *rng)
{
    (void)s;
    (void)age_ms;
    (void)rng;
    if (polls >= 4)
        return 10000;
    int64_t d = (int64_t)1000 << polls; /* 1, 2, 4, 8 s */
    return d > 10000 ? 10000 : d;
}

/* The formula of lib/schedule.c with other constants: age * num / den, clamped to [min, max],
 * +-10 % jitter drawn the same way. */
static int64_t delay_proposal(const sched *s, int64_t age_ms, int32_t polls, mx_rng *rng)
{
    (void)polls;
    int64_t d = age_ms * s->age_num / s->age_den;
    if (d < s->min_ms)
        d = s->min_ms;
    if (d > s->max_ms)
        d = s->max_ms;
    int64_t span = d / 5;
    return d - span / 2 + mx_rng_upto(rng, span);
}

/* ---- populations ------------------------------------------------------------------------------ */

typedef struct population {
    const char *name;
    size_t n;
    int64_t *dur_ms;
} population;

static int64_t uniform_ms(mx_rng *r, int64_t lo, int64_t hi)
{
    return lo + mx_rng_upto(r, hi - lo);
}

static void make_population(population *p, const char *name, size_t n, int kind, uint64_t seed)
{
    mx_rng r;
    mx_rng_seed(&r, seed);
    p->name = name;
    p->n = n;
    p->dur_ms = malloc(n * sizeof *p->dur_ms);
    if (!p->dur_ms) {
        fprintf(stderr, "out of memory\n");
        exit(0);
    }
    for (size_t i = 0; i < n; i++) {
        int video = kind == 1 || (kind == 2 && (mx_rng_next(&r) & 1));
        p->dur_ms[i] = video ? uniform_ms(&r, 30000, 120000) : uniform_ms(&r, 3000, 10000);
    }
}

/* ---- simulation ------------------------------------------------------------------------------- */

typedef struct result {
    double mean_req;
    int64_t max_req;
    double mean_delay_s, p95_delay_s, max_delay_s;
    double mean_dur_s;
    double frac_of_mean_d;  /* mean(delay) / mean(D) */
    double mean_frac;       /* mean(delay_i / D_i) */
    double ok_tasks;        /* fraction of tasks with delay_i <= 0.1 D_i + 1 s */
    int delay_goal;         /* mean(delay) <= 0.1 mean(D) + 1 s */
} result;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Poll one task from submit (time 0) until detection; returns the number of requests and stores the
 * detecting poll's time. */
static int64_t run_task(const sched *s, int64_t dur_ms, mx_rng *rng, int64_t *detect_ms)
{
    int64_t t = 0 + s->delay(s, 0, 0, rng); /* first poll after submit */
    int32_t polls = 0;
    for (;;) {
        polls++;
        if (t >= dur_ms)
            break;
        t = t + s->delay(s, t - 0, polls, rng); /* schedule_next: now + delay(now - born, polls) */
    }
    *detect_ms = t;
    return polls;
}

static void simulate(const sched *s, const population *p, uint64_t seed, result *res)
{
    mx_rng rng;
    mx_rng_seed(&rng, seed);
    int64_t *delay = malloc(p->n * sizeof *delay);
    if (!delay) {
        fprintf(stderr, "out of memory\n");
        exit(0);
    }
    double req = 0, sum_delay = 0, sum_dur = 0, sum_frac = 0;
    size_t ok = 0;
    memset(res, 0, sizeof *res);
    for (size_t i = 0; i < p->n; i++) {
        int64_t at;
        int64_t k = run_task(s, p->dur_ms[i], &rng, &at);
        int64_t d = at - p->dur_ms[i];
        delay[i] = d;
        req += (double)k;
        if (k > res->max_req)
            res->max_req = k;
        sum_delay += (double)d;
        sum_dur += (double)p->dur_ms[i];
        sum_frac += (double)d / (double)p->dur_ms[i];
        if (d * 10 <= p->dur_ms[i] + 10000) /* d <= 0.1 D + 1 s */
            ok++;
    }
    qsort(delay, p->n, sizeof *delay, cmp_i64);
    size_t i95 = (p->n * 95 + 99) / 100; /* nearest-rank p95 */
    if (i95 > 0)
        i95--;
    double n = (double)p->n;
    res->mean_req = req / n;
    res->mean_delay_s = sum_delay / n / 1000.0;
    res->p95_delay_s = (double)delay[i95] / 1000.0;
    res->max_delay_s = (double)delay[p->n - 1] / 1000.0;
    res->mean_dur_s = sum_dur / n / 1000.0;
    res->frac_of_mean_d = sum_delay / sum_dur;
    res->mean_frac = sum_frac / n;
    res->ok_tasks = (double)ok / n;
    res->delay_goal = res->mean_delay_s <= 0.1 * res->mean_dur_s + 1.0;
    free(delay);
}

/* ---- jitter ----------------------------------------------------------------------------------- */

/* All polls of `n` tasks submitted together at time 0, all of duration dur_ms; returns the largest
 * number of polls in any window [x, x + 100 ms) and the total number of polls. */
static size_t max_window(const int64_t *times, size_t len, int64_t *where_ms)
{
    size_t best = 0, j = 0;
    *where_ms = 0;
    for (size_t i = 0; i < len; i++) {
        while (j < len && times[j] < times[i] + 100)
            j++;
        if (j - i > best) {
            best = j - i;
            *where_ms = times[i];
        }
    }
    return best;
}

/* Also returns, in *later, the same figure over every poll except each task's first. */
static size_t burst(const sched *s, size_t n, int64_t dur_ms, uint64_t seed, size_t *total,
                    int64_t *where_ms, size_t *later)
{
    mx_rng rng;
    mx_rng_seed(&rng, seed);
    size_t cap = 1024, len = 0, len2 = 0;
    int64_t *times = malloc(cap * sizeof *times);
    int64_t *times2 = malloc(cap * sizeof *times2);
    int64_t *next = malloc(n * sizeof *next);
    int32_t *polls = calloc(n, sizeof *polls);
    unsigned char *done = calloc(n, 1);
    if (!times || !times2 || !next || !polls || !done) {
        fprintf(stderr, "out of memory\n");
        exit(0);
    }
    /* Submits in order, then the engine fires polls in time order; the shared rng is drawn in the
     * order the engine would draw it (submit order first, then completion order). */
    for (size_t i = 0; i < n; i++)
        next[i] = s->delay(s, 0, 0, &rng);
    size_t left = n;
    while (left) {
        size_t k = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (!done[i] && (k == SIZE_MAX || next[i] < next[k]))
                k = i;
        int64_t t = next[k];
        if (len == cap) {
            cap *= 2;
            int64_t *nt = realloc(times, cap * sizeof *times);
            int64_t *nt2 = nt ? realloc(times2, cap * sizeof *times2) : NULL;
            if (!nt || !nt2) {
                fprintf(stderr, "out of memory\n");
                exit(0);
            }
            times = nt;
            times2 = nt2;
        }
        times[len++] = t;
        if (polls[k] > 0)
            times2[len2++] = t;
        polls[k]++;
        if (t >= dur_ms) {
            done[k] = 1;
            left--;
        } else {
            next[k] = t + s->delay(s, t, polls[k], &rng);
        }
    }
    qsort(times, len, sizeof *times, cmp_i64);
    qsort(times2, len2, sizeof *times2, cmp_i64);
    size_t best = max_window(times, len, where_ms);
    int64_t ignored;
    *later = max_window(times2, len2, &ignored);
    *total = len;
    free(times);
    free(times2);
    free(next);
    free(polls);
    free(done);
    return best;
}

/* ---- main ------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    size_t n = 20000;
    uint64_t seed = 20260716;
    if (argc > 1) {
        long v = strtol(argv[1], NULL, 10);
        if (v > 0)
            n = (size_t)v;
    }
    if (argc > 2) {
        unsigned long long v = strtoull(argv[2], NULL, 10);
        if (v > 0)
            seed = (uint64_t)v;
    }

    const sched scheds[] = {
        {"default", delay_default, 0, 0, 0, 0},
        {"fixed-2s", delay_fixed2s, 0, 0, 0, 0},
        {"seed", delay_seed, 0, 0, 0, 0},
        /* Sanity row: the proposal formula with the current constants must reproduce "default". */
        {"proposal-2/15/0.20", delay_proposal, 2000, 15000, 1, 5},
        {"proposal-2/10/0.20", delay_proposal, 2000, 10000, 1, 5},
        {"proposal-2/10/0.30", delay_proposal, 2000, 10000, 3, 10},
    };
    enum { NS = sizeof scheds / sizeof scheds[0], FIXED = 1 };

    population pops[3];
    make_population(&pops[0], "images", n, 0, seed + 1);
    make_population(&pops[1], "videos", n, 1, seed + 2);
    make_population(&pops[2], "mixed", n, 2, seed + 3);

    printf("Poll schedule simulation (virtual clock, %zu tasks per population, seed %llu)\n", n,
           (unsigned long long)seed);
    printf("images: D uniform 3-10 s; videos: D uniform 30-120 s; mixed: 50/50 images and videos\n");
    printf("goal: req/task < fixed-2s AND mean(delay) <= 0.1*mean(D) + 1 s\n\n");
    printf("%-7s %-19s %7s %5s %8s %8s %8s %8s %8s %8s %8s  %-6s %-6s %s\n", "pop", "schedule",
           "req/task", "max", "delay_s", "p95_s", "max_s", "limit_s", "d/mean_D", "mean_d/D", "ok_tasks",
           "req<2s", "delay", "GOAL");

    result res[3][NS];
    for (size_t p = 0; p < 3; p++) {
        for (size_t s = 0; s < NS; s++)
            simulate(&scheds[s], &pops[p], seed + 100 + p, &res[p][s]);
        for (size_t s = 0; s < NS; s++) {
            const result *r = &res[p][s];
            double limit = 0.1 * r->mean_dur_s + 1.0;
            int fewer = r->mean_req < res[p][FIXED].mean_req;
            int goal = fewer && r->delay_goal;
            printf("%-7s %-19s %8.2f %5lld %8.2f %8.2f %8.2f %8.2f %7.1f%% %7.1f%% %7.1f%%  %-6s %-6s %s\n",
                   pops[p].name, scheds[s].name, r->mean_req, (long long)r->max_req, r->mean_delay_s,
                   r->p95_delay_s, r->max_delay_s, limit, 100.0 * r->frac_of_mean_d,
                   100.0 * r->mean_frac, 100.0 * r->ok_tasks, fewer ? "yes" : "no",
                   r->delay_goal ? "yes" : "no", goal ? "MET" : "missed");
        }
        printf("\n");
    }

    for (size_t p = 0; p < 3; p++)
        for (size_t s = 0; s < NS; s++) {
            const result *r = &res[p][s];
            int fewer = r->mean_req < res[p][FIXED].mean_req;
            printf("RESULT population=%s schedule=%s tasks=%zu mean_requests=%.4f max_requests=%lld "
                   "mean_delay_s=%.4f p95_delay_s=%.4f max_delay_s=%.4f mean_duration_s=%.4f "
                   "delay_limit_s=%.4f delay_over_mean_duration=%.4f mean_delay_over_duration=%.4f "
                   "tasks_within_limit=%.4f fewer_requests_than_fixed2s=%d delay_goal=%d goal=%d\n",
                   pops[p].name, scheds[s].name, pops[p].n, r->mean_req, (long long)r->max_req,
                   r->mean_delay_s, r->p95_delay_s, r->max_delay_s, r->mean_dur_s,
                   0.1 * r->mean_dur_s + 1.0, r->frac_of_mean_d, r->mean_frac, r->ok_tasks, fewer,
                   r->delay_goal, fewer && r->delay_goal);
        }

    /* Jitter: a batch submitted at the same instant. */
    const size_t batch = 1000;
    const int64_t jd[] = {8000, 60000, 100000};
    const size_t js[] = {0, FIXED, 2};
    printf("\nJitter: %zu tasks submitted at the same instant with the same duration;\n"
           "largest number of polls in any 100 ms window (and where it starts)\n\n",
           batch);
    printf("%-10s %-10s %12s %10s %22s %12s\n", "duration", "schedule", "max/100ms", "at_s",
           "max/100ms (not 1st)", "total polls");
    for (size_t d = 0; d < sizeof jd / sizeof jd[0]; d++)
        for (size_t k = 0; k < sizeof js / sizeof js[0]; k++) {
            size_t total, later;
            int64_t where;
            size_t m = burst(&scheds[js[k]], batch, jd[d], seed + 7, &total, &where, &later);
            printf("%8.0f s %-10s %12zu %10.2f %22zu %12zu\n", (double)jd[d] / 1000.0, scheds[js[k]].name,
                   m, (double)where / 1000.0, later, total);
            printf("JITTER duration_s=%.0f schedule=%s tasks=%zu max_polls_per_100ms=%zu at_s=%.3f "
                   "max_polls_per_100ms_after_first=%zu total_polls=%zu\n",
                   (double)jd[d] / 1000.0, scheds[js[k]].name, batch, m, (double)where / 1000.0, later,
                   total);
        }

    for (size_t p = 0; p < 3; p++)
        free(pops[p].dur_ms);
    return 0;
}
