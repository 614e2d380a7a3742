/* submit_loop.c - N blocking submissions one after the other: libmodellix's modellix_task_submit
 * against a raw libcurl loop doing the same POSTs on one kept-alive easy handle (the yardstick of
 * issue 15: "1000 loopback submits within 0.9x of a keep-alive raw libcurl loop"; the loop takes
 * data.task_id from each answer with jansson, as an application must), alternated over several
 * rounds (which side goes first alternates too), with the connections each side opened (the mock's
 * counter, less the one its counter query itself opens).
 *
 * usage: submit_loop MOCK|URL [N=1000] [rounds=7] [fresh=0]
 *   MOCK, URL   as for throughput (a modellix-mock program started here, or a loopback mock's URL).
 *   fresh=1     the raw loop opens a fresh connection for every POST, as libmodellix 1.0 did.
 * Output: one line per round and side, then
 *   MEDIAN submit_loop n=N libmodellix_ms=... raw_ms=... ratio=... libmodellix_conns=... raw_conns=...
 *   where ratio is the median over rounds of (raw time / libmodellix time): >= 0.9 is the goal.
 * Exits 0, or 1 when a submission failed. */
#include "bench_util.h"

#include <curl/curl.h>
#include <jansson.h>
#include <modellix/modellix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLUG "bytedance/seedream-4.5-t2i"
#define BODY "{\"prompt\":\"a red fox in the snow\"}"
#define KEY "bench-key-0123456789abcdef"

typedef struct rbuf {
    char data[4096];
    size_t len;
} rbuf;

static size_t sink(char *p, size_t s, size_t n, void *ud)
{
    rbuf *b = ud;
    size_t k = s * n;
    if (b->len + k >= sizeof b->data)
        return 0;
    memcpy(b->data + b->len, p, k);
    b->len += k;
    return k;
}

/* What an application does with the answer: take data.task_id (jansson, as libmodellix). */
static int has_task_id(const rbuf *b)
{
    json_t *root = json_loadb(b->data, b->len, 0, NULL);
    json_t *id = json_object_get(json_object_get(root, "data"), "task_id");
    int ok = json_is_string(id) && json_string_length(id) > 0;
    json_decref(root);
    return ok;
}

/* The raw loop: one easy handle, the same headers and body, status checked. Returns ms or -1. */
static double raw_loop(const char *base, long n, int fresh)
{
    char url[512];
    snprintf(url, sizeof url, "%s/api/v1/%s", base, SLUG);
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Authorization: Bearer " KEY);
    hd = curl_slist_append(hd, "Content-Type: application/json");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, BODY);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
    rbuf b;
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, (long)fresh);
    double t0 = bu_now_s();
    for (long i = 0; i < n; i++) {
        long status = 0;
        b.len = 0;
        if (curl_easy_perform(h) != CURLE_OK || curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
            status != 200 || !has_task_id(&b)) {
            fprintf(stderr, "raw POST %ld failed (HTTP %ld)\n", i, status);
            t0 = -1;
            break;
        }
    }
    double ms = t0 < 0 ? -1 : (bu_now_s() - t0) * 1000.0;
    curl_slist_free_all(hd);
    curl_easy_cleanup(h);
    return ms;
}

static double lib_loop(const char *base, long n)
{
    modellix_options *o;
    modellix_client *c;
    if (modellix_options_new(&o) != MODELLIX_OK || modellix_options_set_api_key(o, KEY) != MODELLIX_OK ||
        modellix_options_set_base_url(o, base) != MODELLIX_OK || modellix_client_new(&c, o) != MODELLIX_OK) {
        fprintf(stderr, "client set-up failed\n");
        return -1;
    }
    modellix_options_free(o);
    double t0 = bu_now_s();
    for (long i = 0; i < n; i++) {
        modellix_task *t;
        int rc = modellix_task_submit(&t, c, SLUG, BODY);
        if (rc != MODELLIX_OK) {
            fprintf(stderr, "submit %ld: %s\n", i, modellix_client_errmsg(c));
            t0 = -1;
            break;
        }
        modellix_task_free(t);
    }
    double ms = t0 < 0 ? -1 : (bu_now_s() - t0) * 1000.0;
    modellix_client_free(c);
    return ms;
}

int main(int argc, char **argv)
{
    bu_no_proxy();
    if (argc < 2) {
        fprintf(stderr, "usage: submit_loop MOCK|URL [N=1000] [rounds=7] [fresh=0]\n");
        return 2;
    }
    long n = bu_arg_count(argc, argv, 1000);
    long rounds = bu_arg_long(argc, argv, 2, "rounds", 7);
    int fresh = (int)bu_arg_long(argc, argv, 2, "fresh", 0);
    if (modellix_global_init() <= 0) { /* the reference count, or an error code */
        fprintf(stderr, "submit_loop: modellix_global_init failed\n");
        return 1;
    }
    bu_mock m;
    /* tasks stay pending (only submissions are measured) and no team limit refuses them */
    const char *flags[] = {"--duration-ms", "600000", "--max-running", "0", NULL};
    if (bu_mock_start(&m, argv[1], flags) != 0)
        return 1;
    double *lib = calloc((size_t)rounds, sizeof *lib), *raw = calloc((size_t)rounds, sizeof *raw);
    double *ratio = calloc((size_t)rounds, sizeof *ratio);
    int64_t lib_conns = 0, raw_conns = 0;
    int failed = 0;
    for (long r = 0; r < rounds && !failed; r++) {
        bu_counters a, b, c;
        bu_mock_counters(m.url, &a);
        if (r % 2 == 0) {
            lib[r] = lib_loop(m.url, n);
            bu_mock_counters(m.url, &b);
            raw[r] = raw_loop(m.url, n, fresh);
            bu_mock_counters(m.url, &c);
            lib_conns = b.connections - a.connections - 1;
            raw_conns = c.connections - b.connections - 1;
        } else {
            raw[r] = raw_loop(m.url, n, fresh);
            bu_mock_counters(m.url, &b);
            lib[r] = lib_loop(m.url, n);
            bu_mock_counters(m.url, &c);
            raw_conns = b.connections - a.connections - 1;
            lib_conns = c.connections - b.connections - 1;
        }
        failed = lib[r] < 0 || raw[r] < 0;
        ratio[r] = failed ? 0 : raw[r] / lib[r];
        printf("round %ld: libmodellix %.1f ms (%lld connections), raw libcurl %.1f ms (%lld connections)\n", r + 1,
               lib[r], (long long)lib_conns, raw[r], (long long)raw_conns);
    }
    if (!failed) {
        double ml = bu_median(lib, (size_t)rounds), mr = bu_median(raw, (size_t)rounds);
        printf("MEDIAN submit_loop n=%ld rounds=%ld fresh=%d libmodellix_ms=%.1f raw_ms=%.1f ratio=%.3f "
               "libmodellix_conns=%lld raw_conns=%lld\n",
               n, rounds, fresh, ml, mr, bu_median(ratio, (size_t)rounds), (long long)lib_conns,
               (long long)raw_conns);
    }
    free(lib);
    free(raw);
    free(ratio);
    bu_mock_stop(&m);
    modellix_global_cleanup();
    return failed;
}
