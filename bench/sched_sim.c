/* sched_sim.c - see sched_sim.h. */
#include "sched_sim.h"

#include <stdlib.h>
#include <string.h>

modellix_client *sim_client(modellix_options *opts)
{
    modellix_options *o = opts ? opts : NULL;
    if (!o && modellix_options_new(&o) != MODELLIX_OK)
        return NULL;
    modellix_client *c = NULL;
    if (modellix_options_set_api_key(o, "simulation") != MODELLIX_OK ||
        modellix_options_set_base_url(o, "http://127.0.0.1:9") != MODELLIX_OK ||
        modellix_options_set_random_seed(o, 20261201) != MODELLIX_OK || modellix_client_new(&c, o) != MODELLIX_OK)
        c = NULL;
    if (!opts)
        modellix_options_free(o);
    return c;
}

int sim_task(modellix_client *c, const char *slug, int64_t dur_ms, int report_duration, sim_result *out)
{
    modellix_task *t = mx_task_new(c);
    if (!t || (slug && !(t->slug = mx_strdup(slug)))) {
        modellix_task_free(t);
        return MODELLIX_ENOMEM;
    }
    /* accepted at virtual time 0, as task.c / queue.c do: born, then the first poll */
    t->submitted = 1;
    t->state = MX_TS_WATCHING; /* accepted */
    t->status = MODELLIX_TASK_PENDING;
    t->born_ms = 0;
    t->next_poll_ms = 0;
    t->next_poll_ms = t->born_ms + mx_sched_next_delay(c, t, t->born_ms);
    out->requests = 0;
    for (;;) {
        int64_t now = t->next_poll_ms;
        int32_t before = t->status;
        out->requests++;
        /* the answer, applied as poll_accept does (status and duration, polls++, the running age),
           then the lifecycle's transition into SUCCESS, which records the duration */
        int done = now >= dur_ms;
        t->status = done ? MODELLIX_TASK_SUCCESS : MODELLIX_TASK_PROCESSING;
        t->info.duration_ms = done && report_duration ? dur_ms : -1;
        t->polls++;
        mx_sched_running(t, now);
        if (done && before != MODELLIX_TASK_SUCCESS) {
            t->state = MX_TS_SUCCESS;
            mx_sched_observe(c, t, now);
        }
        if (done) {
            out->detect_ms = now;
            break;
        }
        /* watch.c schedule_next */
        t->next_poll_ms = now + mx_sched_next_delay(c, t, now);
    }
    modellix_task_free(t);
    return MODELLIX_OK;
}
