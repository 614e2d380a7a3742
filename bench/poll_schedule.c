/* poll_schedule.c - poll-schedule simulation benchmark, on a virtual clock (nothing sleeps).
 *
 * Schedules compared:
 *   cli      the official CLI: a poll at once after the submit, then every 2 s (0, 2, 4, ...).
 *   seed     the seed script: sleep before every poll, 1 s then 2, 4, 8, capped at 10 s
 *            (polls at 1, 3, 7, 15, 25, 35, ...).
 *   v1.0     libmodellix 1.0's default: first poll 2 s (+-10 %) after the submit, then 30 % of the age
 *            clamped to 2-10 s, +-10 % jitter (its formula, copied here: the library no longer has it).
 *   default  the library's default now, through its own hooks (mx_sched_next_delay, mx_sched_observe, ...,
 *            bench/sched_sim.c) for tasks of no known model.
 *   learned  the library's learned schedule, through the same hooks: per class, one model whose tasks
 *            spread over the whole class; 5 tasks teach it, then the class's tasks are measured (the
 *            model keeps learning). The answers carry data.duration.
 *
 * A task of duration D is detected by the first poll at a time >= D; polls are instantaneous.
 * Detection delay = detecting poll - D. Duration classes (D uniform in each): fast 0-3 s, image 3-10 s
 * (the image population), mid 10-30 s, video 30-120 s (the video population),
 * long 120-600 s.
 *
 * Tables: (1) per class and schedule: requests per task, mean and max delay; (2) every duration:
 * per 2 s bucket over 0-600 s, the default against the CLI; (3) the learned schedule per model, for
 * models whose durations vary by +-15 % and +-30 %, with and without data.duration; (4) jitter: 1000
 * tasks submitted together. Machine-readable lines start with CLASS, BUCKETS, MODEL or JITTER.
 *
 * Usage: poll_schedule [tasks-per-class [frontier.dat]]; with a second argument, the (delay, requests)
 * points of table 1, and those of the +-15 % models of table 3 learned from data.duration, are
 * written there for bench/poll_frontier.gp. Always exits 0. */
#include "sched_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what)
{
    fprintf(stderr, "poll_schedule: %s\n", what);
    exit(0);
}

/* ---- the schedules outside the library --------------------------------------------------------- */

static void cli(int64_t d, sim_result *r)
{
    int64_t k = d <= 0 ? 0 : (d + 1999) / 2000;
    r->requests = 1 + k;
    r->detect_ms = 2000 * k;
}

static void seed_script(int64_t d, sim_result *r)
{
    int64_t t = 0, wait = 1000;
    r->requests = 0;
    for (;;) {
        t += wait;
        r->requests++;
        if (t >= d)
            break;
        wait = wait * 2 > 10000 ? 10000 : wait * 2;
    }
    r->detect_ms = t;
}

/* 1.0's mx_poll_delay */
static int64_t v10_delay(int64_t age_ms, mx_rng *rng)
{
    int64_t d = age_ms * 3 / 10;
    d = d < 2000 ? 2000 : d > 10000 ? 10000 : d;
    int64_t span = d / 5;
    return d - span / 2 + mx_rng_upto(rng, span);
}

static void v10(int64_t d, mx_rng *rng, sim_result *r)
{
    int64_t t = v10_delay(0, rng);
    r->requests = 1;
    while (t < d) {
        t += v10_delay(t, rng);
        r->requests++;
    }
    r->detect_ms = t;
}

/* ---- table 1: per class -------------------------------------------------------------------------- */

enum { S_CLI, S_SEED, S_V10, S_DEFAULT, S_LEARNED, NS };
static const char *const sname[NS] = {"cli", "seed", "v1.0", "default", "learned"};

typedef struct cls {
    const char *name;
    int64_t lo, hi;
} cls;

static const cls classes[] = {
    {"fast 0-3s", 0, 3000},       {"image 3-10s", 3000, 10000},    {"mid 10-30s", 10000, 30000},
    {"video 30-120s", 30000, 120000}, {"long 120-600s", 120000, 600000},
};
enum { NC = sizeof classes / sizeof classes[0] };

typedef struct stat {
    double req, delay, max_delay;
} stat;

static int64_t draw(mx_rng *r, int64_t lo, int64_t hi)
{
    return lo + mx_rng_upto(r, hi - lo);
}

static void measure_class(const cls *k, int s, size_t n, uint64_t seed, stat *out)
{
    mx_rng durs, jit;
    mx_rng_seed(&durs, seed);
    mx_rng_seed(&jit, seed + 1);
    modellix_client *c = NULL;
    if (s == S_DEFAULT || s == S_LEARNED) {
        if (!(c = sim_client(NULL)))
            die("cannot make a client");
    }
    sim_result r;
    if (s == S_LEARNED)
        for (int i = 0; i < MX_SCHED_LEARN_MIN; i++)
            if (sim_task(c, "bench/model", draw(&durs, k->lo, k->hi), 1, &r) != MODELLIX_OK)
                die("out of memory");
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        int64_t d = draw(&durs, k->lo, k->hi);
        switch (s) {
        case S_CLI: cli(d, &r); break;
        case S_SEED: seed_script(d, &r); break;
        case S_V10: v10(d, &jit, &r); break;
        default:
            if (sim_task(c, s == S_LEARNED ? "bench/model" : NULL, d, 1, &r) != MODELLIX_OK)
                die("out of memory");
        }
        double delay = (double)(r.detect_ms - d) / 1000.0;
        out->req += (double)r.requests;
        out->delay += delay;
        if (delay > out->max_delay)
            out->max_delay = delay;
    }
    out->req /= (double)n;
    out->delay /= (double)n;
    modellix_client_free(c);
}

/* ---- table 2: every duration ------------------------------------------------------------------- */

static void buckets(void)
{
    modellix_client *c = sim_client(NULL);
    if (!c)
        die("cannot make a client");
    int same = 0, worse = 0, fewer = 0, total = 0;
    double worst_pct = 0, worst_at = 0, max_ratio = 0;
    for (int64_t b = 0; b < 600000; b += 2000, total++) {
        double sum = 0, sum_cli = 0, req = 0, req_cli = 0;
        int n = 0;
        for (int64_t d = b + 5; d < b + 2000; d += 10, n++) {
            sim_result a, k;
            if (sim_task(c, NULL, d, 1, &a) != MODELLIX_OK)
                die("out of memory");
            cli(d, &k);
            sum += (double)(a.detect_ms - d);
            sum_cli += (double)(k.detect_ms - d);
            req += (double)a.requests;
            req_cli += (double)k.requests;
        }
        same += sum == sum_cli && req == req_cli;
        worse += sum > sum_cli;
        fewer += req < req_cli;
        double pct = sum / n / (double)(b + 1000);
        if (b >= 20000 && pct > worst_pct) {
            worst_pct = pct;
            worst_at = (double)b / 1000.0;
        }
        if (sum / sum_cli > max_ratio)
            max_ratio = sum / sum_cli;
    }
    printf("\nEvery duration, 0-600 s in 2 s buckets (200 durations each), default against cli:\n");
    printf("  %d of %d buckets identical (delays and requests: all of 0-20 s); %d with a larger mean delay,\n"
           "  %d with fewer requests; largest mean delay over a bucket: %.2f x the CLI's; past 20 s the mean\n"
           "  delay is at most %.1f %% of the bucket's middle duration (worst at %.0f-%.0f s)\n",
           same, total, worse, fewer, max_ratio, 100 * worst_pct, worst_at, worst_at + 2);
    printf("BUCKETS total=%d identical=%d larger_mean_delay=%d fewer_requests=%d max_delay_ratio=%.3f "
           "max_delay_pct_after_20s=%.2f\n",
           total, same, worse, fewer, max_ratio, 100 * worst_pct);
    modellix_client_free(c);
}

/* ---- table 3: learned, per model ---------------------------------------------------------------- */

static size_t class_of(int64_t d)
{
    for (size_t k = 0; k < NC; k++)
        if (d >= classes[k].lo && d < classes[k].hi)
            return k;
    return NC - 1;
}

/* dat, if not NULL: the +-15 % models learned from data.duration go into the frontier file too. */
static void models(size_t n, FILE *dat)
{
    static const int64_t med[] = {3000, 8000, 30000, 60000, 120000, 300000, 600000};
    static const int pct[] = {15, 30};
    printf("\nLearned schedule per model: durations uniform in median +-15 %% or +-30 %%; 5 tasks teach, then\n"
           "%zu tasks are measured (learning goes on). Goal: <= 2.5 requests and mean delay <= 5 %% of the\n"
           "mean duration + 0.3 s. \"dur\": answers carry data.duration; \"polls\": they do not.\n\n",
           n);
    printf("%-8s %6s %-6s %9s %9s %9s %9s  %s\n", "median", "spread", "source", "req/task", "delay_s", "limit_s",
           "cli_req", "goal");
    for (size_t p = 0; p < 2; p++)
        for (int report = 1; report >= 0; report--)
            for (size_t i = 0; i < sizeof med / sizeof med[0]; i++) {
                modellix_client *c = sim_client(NULL);
                if (!c)
                    die("cannot make a client");
                mx_rng r;
                mx_rng_seed(&r, 1000 + i);
                int64_t lo = med[i] * (100 - pct[p]) / 100, hi = med[i] * (100 + pct[p]) / 100;
                sim_result s;
                for (int k = 0; k < MX_SCHED_LEARN_MIN; k++)
                    if (sim_task(c, "bench/model", draw(&r, lo, hi), report, &s) != MODELLIX_OK)
                        die("out of memory");
                int64_t samples[MX_SCHED_SAMPLES];
                int learned = mx_sched_samples(c, "bench/model", samples) >= MX_SCHED_LEARN_MIN;
                double req = 0, delay = 0, dur = 0, req_cli = 0;
                for (size_t k = 0; k < n; k++) {
                    int64_t d = draw(&r, lo, hi);
                    sim_result k2;
                    if (sim_task(c, "bench/model", d, report, &s) != MODELLIX_OK)
                        die("out of memory");
                    cli(d, &k2);
                    req += (double)s.requests;
                    req_cli += (double)k2.requests;
                    delay += (double)(s.detect_ms - d);
                    dur += (double)d;
                }
                req /= (double)n;
                req_cli /= (double)n;
                delay /= (double)n * 1000.0;
                double limit = 0.05 * dur / (double)n / 1000.0 + 0.3;
                int goal = req <= 2.5 && delay <= limit;
                printf("%6.0f s  +-%2d%% %-6s %9.2f %9.2f %9.2f %9.2f  %s\n", (double)med[i] / 1000.0, pct[p],
                       report ? "dur" : "polls", req, delay, limit, req_cli,
                       !learned ? "not learned (default)" : goal ? "met" : "missed");
                printf("MODEL median_s=%.0f spread_pct=%d source=%s learned=%d req=%.3f delay_s=%.3f limit_s=%.3f "
                       "cli_req=%.3f goal=%d\n",
                       (double)med[i] / 1000.0, pct[p], report ? "duration" : "polls", learned, req, delay, limit,
                       req_cli, goal);
                if (dat && p == 0 && report)
                    fprintf(dat, "%d %zu %.4f %.4f \"learned, one model +-15%%\" \"%s\"\n", NS, class_of(med[i]),
                            delay, req, classes[class_of(med[i])].name);
                modellix_client_free(c);
            }
}

/* ---- table 4: jitter ---------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The largest number of polls in any 100 ms window, over the polls of `n` tasks of duration dur_ms
   submitted at the same instant; the client's one rng drawn in the engine's order. */
static size_t burst(int s, size_t n, int64_t dur_ms, size_t *total)
{
    mx_rng rng;
    mx_rng_seed(&rng, 7);
    size_t cap = 4096, len = 0;
    int64_t *times = malloc(cap * sizeof *times), *next = malloc(n * sizeof *next);
    int32_t *polls = calloc(n, sizeof *polls);
    unsigned char *done = calloc(n, 1);
    if (!times || !next || !polls || !done)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        next[i] = s == S_CLI ? 0 : s == S_V10 ? v10_delay(0, &rng) : mx_poll_delay(0, 0, &rng);
    for (size_t left = n; left;) {
        size_t k = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (!done[i] && (k == SIZE_MAX || next[i] < next[k]))
                k = i;
        int64_t t = next[k];
        if (len == cap) {
            int64_t *nt = realloc(times, 2 * cap * sizeof *times);
            if (!nt)
                die("out of memory");
            times = nt;
            cap *= 2;
        }
        times[len++] = t;
        polls[k]++;
        if (t >= dur_ms) {
            done[k] = 1;
            left--;
        } else {
            next[k] = t + (s == S_CLI ? 2000 : s == S_V10 ? v10_delay(t, &rng) : mx_poll_delay(t, polls[k], &rng));
        }
    }
    qsort(times, len, sizeof *times, cmp_i64);
    size_t best = 0;
    for (size_t i = 0, j = 0; i < len; i++) {
        while (j < len && times[j] < times[i] + 100)
            j++;
        if (j - i > best)
            best = j - i;
    }
    *total = len;
    free(times);
    free(next);
    free(polls);
    free(done);
    return best;
}

/* ---- main --------------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    size_t n = 4000;
    if (argc > 1) {
        long v = strtol(argv[1], NULL, 10);
        if (v > 0)
            n = (size_t)v;
    }
    FILE *dat = NULL;
    if (argc > 2 && !(dat = fopen(argv[2], "w")))
        die("cannot write the frontier file");

    printf("Poll schedule simulation (virtual clock, %zu tasks per class, D uniform in the class)\n\n", n);
    printf("%-14s %-8s %9s %9s %9s\n", "class", "schedule", "req/task", "delay_s", "max_s");
    stat st[NC][NS];
    for (size_t k = 0; k < NC; k++) {
        for (int s = 0; s < NS; s++) {
            measure_class(&classes[k], s, n, 500 + k, &st[k][s]);
            printf("%-14s %-8s %9.2f %9.2f %9.2f\n", classes[k].name, sname[s], st[k][s].req, st[k][s].delay,
                   st[k][s].max_delay);
            if (dat)
                fprintf(dat, "%d %zu %.4f %.4f \"%s\" \"%s\"\n", s, k, st[k][s].delay, st[k][s].req, sname[s],
                        classes[k].name);
        }
        printf("\n");
    }
    buckets();
    models(n / 4 > 100 ? n / 4 : 100, dat);
    if (dat)
        fclose(dat);

    printf("\n");
    for (size_t k = 0; k < NC; k++)
        for (int s = 0; s < NS; s++)
            printf("CLASS class=%s schedule=%s tasks=%zu req=%.3f mean_delay_s=%.3f max_delay_s=%.3f "
                   "fewer_req_than_cli=%d mean_delay_le_cli=%d\n",
                   classes[k].name, sname[s], n, st[k][s].req, st[k][s].delay, st[k][s].max_delay,
                   st[k][s].req < st[k][S_CLI].req, st[k][s].delay <= st[k][S_CLI].delay);

    printf("\nJitter: 1000 tasks submitted at the same instant with the same duration; the largest number\n"
           "of polls in any 100 ms window\n\n%-10s %-8s %10s %12s\n",
           "duration", "schedule", "max/100ms", "total polls");
    const int64_t jd[] = {8000, 60000};
    const int js[] = {S_CLI, S_V10, S_DEFAULT};
    for (size_t d = 0; d < 2; d++)
        for (size_t k = 0; k < 3; k++) {
            size_t total, m = burst(js[k], 1000, jd[d], &total);
            printf("%8.0f s %-8s %10zu %12zu\n", (double)jd[d] / 1000.0, sname[js[k]], m, total);
            printf("JITTER duration_s=%.0f schedule=%s tasks=1000 max_polls_per_100ms=%zu total_polls=%zu\n",
                   (double)jd[d] / 1000.0, sname[js[k]], m, total);
        }
    return 0;
}
