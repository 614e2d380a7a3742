/* mock_ceiling.c - how many task queries per second the in-process mock answers.
 *
 * usage: mock_ceiling [connections (default 32)] [requests (default 50000)] [server threads (default 2)]
 *
 * Starts a mock, stores one finished task, then drives GET /api/v1/tasks/{id} over `connections`
 * keep-alive connections with curl multi until `requests` answers arrived (or 60 s passed), and prints
 * the rate. Loopback only; bounded in count and time. Exit status 1 if any answer was not 200. */
#include "mock.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long conns = argc > 1 ? strtol(argv[1], NULL, 10) : 32;
    long total = argc > 2 ? strtol(argv[2], NULL, 10) : 50000;
    long threads = argc > 3 ? strtol(argv[3], NULL, 10) : 2;
    if (conns < 1 || conns > 1024 || total < 1 || total > 10000000 || threads < 1 || threads > 64) {
        fprintf(stderr, "usage: mock_ceiling [connections 1-1024] [requests] [threads 1-64]\n");
        return 2;
    }
    mock_config cfg;
    mock_config_init(&cfg);
    cfg.threads = (int32_t)threads;
    mock_server *m = NULL;
    if (mock_server_start(&m, &cfg) != 0 || mock_server_put_task(m, "task-ceiling", "bytedance/seedream-4.5-t2i",
                                                                   "success", 1) != 0) {
        fprintf(stderr, "mock_ceiling: cannot start the mock\n");
        return 1;
    }
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/tasks/task-ceiling", mock_server_url(m));

    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURLM *multi = curl_multi_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Authorization: Bearer ceiling-key");
    CURL **easy = calloc((size_t)conns, sizeof *easy);
    long issued = 0, done = 0, bad = 0;
    for (long i = 0; i < conns && issued < total; i++, issued++) {
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy[i], CURLOPT_NOPROXY, "*");
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 30L);
        curl_multi_add_handle(multi, easy[i]);
    }
    double t0 = now_s();
    int running = 1;
    while (done < total && now_s() - t0 < 60.0) {
        curl_multi_perform(multi, &running);
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL *e = msg->easy_handle;
            long status = 0;
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
            if (msg->data.result != CURLE_OK || status != 200)
                bad++;
            done++;
            curl_multi_remove_handle(multi, e);
            if (issued < total) {
                issued++;
                curl_multi_add_handle(multi, e); /* same handle: its connection is reused */
            }
        }
        if (done < total)
            curl_multi_poll(multi, NULL, 0, 100, NULL);
    }
    double secs = now_s() - t0;
    long conn_count = (long)mock_server_counter(m, MOCK_CTR_CONNECTIONS, MOCK_ROUTE_ANY);
    printf("mock_ceiling: %ld requests over %ld connections (%ld opened) with %ld server threads in %.3f s: "
           "%.0f requests/s, %ld failed\n",
           done, conns, conn_count, threads, secs, secs > 0 ? (double)done / secs : 0.0, bad);
    for (long i = 0; i < conns; i++) {
        if (easy[i] != NULL) {
            curl_multi_remove_handle(multi, easy[i]);
            curl_easy_cleanup(easy[i]);
        }
    }
    free(easy);
    curl_slist_free_all(hdr);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    mock_server_stop(m);
    return bad == 0 && done == total ? 0 : 1;
}
