/* schedule.c - the default poll schedule.
 *
 * Generation tasks take seconds (images, 3-10 s) to minutes (videos, 30-120 s). Polling at a fixed
 * short interval wastes requests on long tasks; polling on a fixed doubling curve detects short tasks
 * late. This schedule waits a fifth of the task's current age (the expected detection delay is then
 * about a tenth of the task's duration), never less than 2 s and never more than 15 s, with +-10 %
 * jitter so that a batch of tasks submitted together does not poll in lock-step.
 * bench/poll_schedule.c measures it against the official CLI's fixed 2 s and the seed script's
 * 1-2-4-8-10 s. */
#include "internal.h"

#define POLL_MIN_MS 2000
#define POLL_MAX_MS 15000

int64_t mx_poll_delay(int64_t age_ms, int32_t polls, mx_rng *rng)
{
    (void)polls;
    int64_t d = age_ms / 5;
    if (d < POLL_MIN_MS)
        d = POLL_MIN_MS;
    if (d > POLL_MAX_MS)
        d = POLL_MAX_MS;
    int64_t span = d / 5; /* +-10 % */
    return d - span / 2 + mx_rng_upto(rng, span);
}
