/* schedule.c - the default poll schedule.
 *
 * Generation tasks take seconds (images, 3-10 s) to minutes (videos, 30-120 s). Polling at a fixed
 * short interval wastes requests on long tasks; polling on a fixed doubling curve detects short tasks
 * late. This schedule waits 30 % of the task's current age, never less than 2 s and never more than
 * 10 s, with +-10 % jitter so that a batch of tasks submitted together does not poll in lock-step.
 * bench/poll_schedule.c measures it against the official CLI's fixed 2 s and the seed script's
 * 1-2-4-8-10 s on a virtual clock: images (3-10 s) 3.7 requests per task and 1.05 s mean detection
 * delay (fixed 2 s: 4.7 and 0.92 s); videos (30-120 s) 14.2 requests and 5.0 s (fixed 2 s: 39.1 and
 * 1.0 s). Of the constants swept, these cut requests the most while keeping the mean delay under
 * 10 % of the duration + 1 s for both kinds. */
#include "internal.h"

#define POLL_MIN_MS 2000
#define POLL_MAX_MS 10000

int64_t mx_poll_delay(int64_t age_ms, int32_t polls, mx_rng *rng)
{
    (void)polls;
    int64_t d = age_ms * 3 / 10;
    if (d < POLL_MIN_MS)
        d = POLL_MIN_MS;
    if (d > POLL_MAX_MS)
        d = POLL_MAX_MS;
    int64_t span = d / 5; /* +-10 % */
    return d - span / 2 + mx_rng_upto(rng, span);
}

int64_t mx_client_poll_delay(modellix_client *c, int64_t age_ms, int32_t polls)
{
    if (!c->poll_schedule)
        return mx_poll_delay(age_ms, polls, &c->rng);
    int64_t d = ((modellix_poll_fn)c->poll_schedule->fn)(age_ms, polls, c->poll_schedule->user_data);
    return d < 10 ? 10 : d > 3600000 ? 3600000 : d;
}
