/* journal_child - the victim of the kill -9 test (test_journal_kill.c): submits a batch with the task
 * journal on and waits for it, until it is killed.
 *
 * usage: journal_child BASE_URL JOURNAL_PATH N MAX_IN_FLIGHT
 * Exit status: 0 when the whole batch ended, 2 on a usage or set-up error. */
#include <modellix/modellix.h>

#include <stdio.h>
#include <stdlib.h>

static int64_t fast_polls(int64_t age_ms, int32_t polls, void *ud)
{
    (void)age_ms;
    (void)polls;
    (void)ud;
    return 40;
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return 2;
    int n = atoi(argv[3]);
    modellix_options *o;
    modellix_client *c;
    if (n < 1 || n > 1000 || modellix_options_new(&o) != MODELLIX_OK ||
        modellix_options_set_api_key(o, "sk-test-SENTINEL-7f3a9c1e5b") != MODELLIX_OK ||
        modellix_options_set_base_url(o, argv[1]) != MODELLIX_OK ||
        modellix_options_set_journal_path(o, argv[2]) != MODELLIX_OK ||
        modellix_options_set_max_in_flight(o, atoi(argv[4])) != MODELLIX_OK ||
        modellix_options_set_poll_schedule(o, fast_polls, NULL, NULL) != MODELLIX_OK ||
        modellix_options_set_continue_on_unknown(o, 1) != MODELLIX_OK || modellix_client_new(&c, o) != MODELLIX_OK)
        return 2;
    modellix_options_free(o);
    modellix_task **ts = calloc((size_t)n, sizeof *ts);
    if (!ts)
        return 2;
    for (int i = 0; i < n; i++)
        if (modellix_task_submit_async(&ts[i], c, "bytedance/seedream-4.5-t2i",
                                       "{\"prompt\":\"kill me\",\"mock_duration_ms\":120}") != MODELLIX_OK)
            return 2;
    int rc = modellix_client_wait_all(c, ts, (size_t)n, 60000);
    for (int i = 0; i < n; i++)
        modellix_task_free(ts[i]);
    free(ts);
    modellix_client_free(c);
    return rc == MODELLIX_OK ? 0 : 1;
}
