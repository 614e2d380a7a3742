/* pace.c - pacing API requests by the server's rate-limit headers, before it has to answer 429.
 *
 * Every API response may carry X-RateLimit-Limit (requests per window), X-RateLimit-Remaining and
 * X-RateLimit-Reset (when the window ends). When the remaining budget runs low, requests are spread
 * evenly over what is left of the window; when it is spent, they wait for the reset. Each request
 * started spends one unit of the local estimate, so a batch started in one step does not overrun it.
 *
 * No header makes a request wait more than MX_PACE_MAX_MS (a minute, like the retry policy's cap on
 * Retry-After): a reset time in an unexpected unit or simply wrong would otherwise hold every later
 * call back for as long as it says. A window that really is longer costs one more 429 a minute. */
#include "internal.h"

#include <time.h>

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t bounded(int64_t ms)
{
    return ms > MX_PACE_MAX_MS ? MX_PACE_MAX_MS : ms;
}

/* Below this many remaining requests, spacing begins: a tenth of the limit, at least 2. */
static int64_t low_water(const modellix_client *c)
{
    int64_t lw = c->rl_limit > 0 ? c->rl_limit / 10 : 0;
    return lw < 2 ? 2 : lw;
}

int64_t mx_pace_delay(modellix_client *c, int64_t now_ms)
{
    if (c->rl_remaining < 0 || c->rl_reset_ms <= 0)
        return 0;
    int64_t window = c->rl_reset_ms - now_ms;
    if (window <= 0) {
        c->rl_remaining = -1; /* the window has reset: nothing is known any more */
        return 0;
    }
    if (c->rl_remaining == 0)
        return window;
    if (c->rl_remaining > low_water(c))
        return 0;
    int64_t gap = window / (c->rl_remaining + 1);
    int64_t next = c->rl_last_start_ms + gap;
    return next > now_ms ? next - now_ms : 0;
}

void mx_pace_started(modellix_client *c, int64_t now_ms)
{
    c->rl_last_start_ms = now_ms;
    if (c->rl_remaining > 0)
        c->rl_remaining--;
}

void mx_pace_update(modellix_client *c, int64_t remaining, int64_t limit, const char *reset,
                    const char *retry_after, int64_t now_ms)
{
    int64_t ra = retry_after && *retry_after ? mx_parse_retry_after(retry_after, wall_ms() / 1000) : -1;
    if (ra >= 0 && remaining <= 0) {
        /* the response's own Retry-After is the most specific word on when to send again; a 429 that
           still reports requests remaining is about something else (the team's concurrency limit)
           and must not hold back other requests */
        c->rl_remaining = ra > 0 ? 0 : -1;
        c->rl_limit = limit;
        c->rl_reset_ms = now_ms + bounded(ra);
        return;
    }
    if (remaining < 0)
        return;
    int64_t in_ms = reset && *reset ? mx_parse_ratelimit_reset_ms(reset, wall_ms()) : -1;
    if (in_ms < 0)
        return; /* without a reset time, a remaining count cannot be paced */
    c->rl_remaining = remaining;
    c->rl_limit = limit;
    c->rl_reset_ms = now_ms + bounded(in_ms);
}
