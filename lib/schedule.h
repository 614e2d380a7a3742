/* schedule.h - when to poll a task next, and what finished tasks teach about a model's durations.
 * The two hooks are called from the places that schedule a poll (acceptance of a submission and the
 * end of each background poll) and from the place that applies a poll answer. Never installed. */
#ifndef MODELLIX_SCHEDULE_H
#define MODELLIX_SCHEDULE_H

#include <stdint.h>

#include <modellix/modellix.h>

#include "util.h"

/* Bounds of the per-client statistics (memory: at most MX_SCHED_MODELS x (slug + 16 samples)). */
#define MX_SCHED_MODELS 64          /* models remembered; the least recently observed one is evicted */
#define MX_SCHED_SAMPLES 16         /* durations kept per model: the most recent ones */
#define MX_SCHED_LEARN_MIN 5        /* finished tasks of a model before its own schedule is used */
#define MX_SCHED_DURATION_MAX ((int64_t)7 * 24 * 3600 * 1000) /* 7 days, the longest wait the CLI allows */

/* The default schedule, with no knowledge of the model: the delay in ms before the next poll of a task
 * whose age (ms since acceptance) is age_ms. Ages on a grid: 0 (at once), then every 2 s up to 20 s,
 * then 10 % of the age up to 10 s between polls; polls in the widening part come up to 10 % of their
 * interval early (jitter from rng, never late). polls is unused (kept for the 1.0 callback's shape). */
int64_t mx_poll_delay(int64_t age_ms, int32_t polls, mx_rng *rng);

/* The schedule learned from sorted durations s[0..n-1] (n >= 1): the delay before the next poll at
 * age_ms. Pure function (no jitter). */
int64_t mx_sched_learned_delay(const int64_t *sorted_ms, int32_t n, int64_t age_ms);

/* The delay before t's next poll, asked at monotonic time now_ms: the application's schedule if it
 * registered one (clamped to 10 ms .. 1 h), else the model's learned schedule once MX_SCHED_LEARN_MIN
 * of its tasks finished, else the default. */
int64_t mx_sched_next_delay(modellix_client *c, const modellix_task *t, int64_t now_ms);

/* A poll answer was just applied to t at now_ms: when it says the task is not done yet, remember the
 * age at which it was last seen running (the start of the window in which it will have finished). */
void mx_sched_running(modellix_task *t, int64_t now_ms);

/* t has just entered SUCCESS or FAILED (the lifecycle's transition, at now_ms): record its duration
 * under its model slug: data.duration when it lies within the window in which the task is known to
 * have finished; else, while the model has fewer than MX_SCHED_LEARN_MIN durations, the window's
 * middle when it is narrow, or both its ends when it is as wide as the default's gaps. Tasks this
 * client did not submit (attached ones) teach nothing. */
void mx_sched_observe(modellix_client *c, modellix_task *t, int64_t now_ms);

/* The statistics of a model slug: its samples oldest first into out (capacity MX_SCHED_SAMPLES);
 * returns their number (0 if the model is unknown). For tests and the benchmark. */
int32_t mx_sched_samples(const modellix_client *c, const char *slug, int64_t *out);

/* Release the client's statistics. */
void mx_sched_free(modellix_client *c);

#endif
