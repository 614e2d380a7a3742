/* journal_cost - what the task journal costs per submission: the three records of one paid submission
 * (intent, accepted, final) appended by the library's own writer, under each sync policy, in a
 * directory on the disk to measure (default: the current directory; fsync on tmpfs costs nothing).
 *
 * usage: journal_cost [DIR] [N]      (N submissions per policy, default 2000 for NONE, 300 with fsync)
 *
 * Prints, per policy, the median, mean and 99th percentile in microseconds of one submission's three
 * records, and of the intent alone (the part that delays the POST). Always exits 0. */
#include "../lib/journal.h" /* the internal writer (modellix/journal.h has the same name) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void stats(const char *what, int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += (double)v[i];
    printf("  %-28s median %8.1f us   mean %8.1f us   p99 %8.1f us\n", what, (double)v[n / 2] / 1000.0,
           sum / n / 1000.0, (double)v[(n * 99) / 100] / 1000.0);
}

static int run(const char *dir, int32_t sync, const char *name, int n)
{
    char path[4096], err[300], task[64], *id;
    snprintf(path, sizeof path, "%s/journal-cost-%ld", dir, (long)getpid());
    unlink(path);
    /* the default bound (1 MiB): compactions happen as they would in use, and are part of the cost */
    mx_journal_conf conf = {path, "bench", sync, 0, -1};
    mx_journal *j;
    if (mx_journal_open(&j, &conf, err, sizeof err) != MODELLIX_OK) {
        printf("journal_cost: %s\n", err);
        return -1;
    }
    int64_t *all = malloc((size_t)n * sizeof *all), *intent = malloc((size_t)n * sizeof *intent);
    if (!all || !intent)
        return -1;
    int done = 0;
    for (int i = 0; i < n; i++, done++) {
        snprintf(task, sizeof task, "task-%08x%08x", (unsigned)getpid(), (unsigned)i);
        int64_t t0 = now_ns();
        if (mx_journal_intent(j, "https://api.modellix.ai", "bytedance/seedream-4.5-t2i", &id, err, sizeof err) !=
            MODELLIX_OK)
            break;
        int64_t t1 = now_ns();
        if (mx_journal_accepted(j, id, task, err, sizeof err) != MODELLIX_OK ||
            mx_journal_final(j, id, task, MODELLIX_JOURNAL_SUCCESS, err, sizeof err) != MODELLIX_OK) {
            free(id);
            break;
        }
        all[i] = now_ns() - t0;
        intent[i] = t1 - t0;
        free(id);
    }
    mx_journal_close(j);
    if (done < n)
        printf("journal_cost: stopped after %d: %s\n", done, err);
    printf("%s (%d submissions):\n", name, done);
    if (done > 0) {
        stats("intent + accepted + final", all, done);
        stats("intent alone", intent, done);
    }
    free(all);
    free(intent);
    unlink(path);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : ".";
    int n = argc > 2 ? atoi(argv[2]) : 0;
    printf("journal_cost: records appended in %s\n", dir);
    run(dir, MODELLIX_JOURNAL_SYNC_NONE, "MODELLIX_JOURNAL_SYNC_NONE", n > 0 ? n : 2000);
    run(dir, MODELLIX_JOURNAL_SYNC_MONEY, "MODELLIX_JOURNAL_SYNC_MONEY (default)", n > 0 ? n : 300);
    run(dir, MODELLIX_JOURNAL_SYNC_ALL, "MODELLIX_JOURNAL_SYNC_ALL", n > 0 ? n : 300);
    return 0;
}
