/* mock_ratelimit.c - fixed 60 s window request counter behind the X-RateLimit-* headers and 429s. */
#include "mock_internal.h"

#include <string.h>

int mk_rate_init(mk_rate *r)
{
    memset(r, 0, sizeof *r);
    return pthread_mutex_init(&r->lock, NULL) == 0 ? 0 : -1;
}

void mk_rate_destroy(mk_rate *r)
{
    pthread_mutex_destroy(&r->lock);
}

void mk_rate_hit(mk_rate *r, int32_t limit, int64_t now_unix_s, mk_rate_info *out)
{
    pthread_mutex_lock(&r->lock);
    if (now_unix_s >= r->window_end_s) {
        r->window_end_s = now_unix_s + 60;
        r->count = 0;
    }
    r->count++;
    int64_t count = r->count, end = r->window_end_s;
    pthread_mutex_unlock(&r->lock);

    out->limit = limit > 0 ? limit : MK_UNLIMITED_RATE;
    out->remaining = out->limit - count > 0 ? out->limit - count : 0;
    out->reset_unix = end;
    out->exceeded = limit > 0 && count > limit;
    out->retry_after_s = end - now_unix_s > 1 ? end - now_unix_s : 1;
}
