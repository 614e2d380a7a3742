/* sched_sim.h - one task's polls on a virtual clock, through the library's own schedule hooks
 * (mx_sched_next_delay, mx_sched_running, mx_sched_observe) called the way the engine calls them. Shared by
 * bench/poll_schedule and tests/unit/test_schedule. */
#ifndef SCHED_SIM_H
#define SCHED_SIM_H

#include "internal.h"

/* A client for simulations (no request is ever sent: loopback origin, dummy key). NULL on failure.
   opts may be NULL; otherwise it is used (its key and origin are overwritten). */
modellix_client *sim_client(modellix_options *opts);

typedef struct sim_result {
    int64_t requests;  /* status queries, the detecting one included */
    int64_t detect_ms; /* age of the poll that saw the task done */
} sim_result;

/* Submit-to-detection of a task of `slug` (NULL: a task of no known model, which teaches nothing) that finishes dur_ms after its acceptance. Polls are
   instantaneous; the answer that sees it done carries data.duration = dur_ms when report_duration is
   1, none when 0. The task is observed (learning) as the library would observe it. */
int sim_task(modellix_client *c, const char *slug, int64_t dur_ms, int report_duration, sim_result *out);

#endif
