/* test_mock_util.c - libcurl helpers shared by the mock server's cmocka tests. */
#include "test_mock_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *const tm_auth[] = {"Authorization: Bearer test-key", "Content-Type: application/json", NULL};

typedef struct sink {
    char *p;
    size_t n, cap;
} sink;

/* Grows by doubling: a 17 MiB body in 16 KiB chunks would otherwise copy gigabytes (minutes under
   a sanitizer). */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;
    if (s->n + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->n + n + 1)
            cap *= 2;
        char *np = realloc(s->p, cap);
        if (np == NULL)
            return 0;
        s->p = np;
        s->cap = cap;
    }
    memcpy(s->p + s->n, ptr, n);
    s->n += n;
    s->p[s->n] = '\0';
    return n;
}

int tm_request_on(CURL *h, const char *method, const char *url, const char *const *headers, const char *body,
                  int follow, tm_resp *out)
{
    memset(out, 0, sizeof *out);
    sink b = {0}, hd = {0};
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        list = curl_slist_append(list, headers[i]);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    } else {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
    out->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(list);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    out->body = b.p ? b.p : calloc(1, 1);
    out->body_len = b.n;
    out->headers = hd.p ? hd.p : calloc(1, 1);
    json_error_t err;
    out->json = b.n > 0 ? json_loadb(out->body, out->body_len, 0, &err) : NULL;
    return out->rc == CURLE_OK ? 0 : -1;
}

int tm_request(const char *method, const char *url, const char *const *headers, const char *body, tm_resp *out)
{
    CURL *h = curl_easy_init();
    if (h == NULL)
        return -1;
    int rc = tm_request_on(h, method, url, headers, body, 0, out);
    curl_easy_cleanup(h);
    return rc;
}

void tm_resp_free(tm_resp *r)
{
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

const char *tm_header(const tm_resp *r, const char *name, char *buf, size_t buflen)
{
    size_t nl = strlen(name);
    const char *p = r->headers;
    const char *found = NULL;
    while (p != NULL && *p) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':')
            found = p + nl + 1; /* keep the last one (after redirects) */
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (found == NULL)
        return NULL;
    while (*found == ' ')
        found++;
    size_t n = strcspn(found, "\r\n");
    if (n + 1 > buflen)
        return NULL;
    memcpy(buf, found, n);
    buf[n] = '\0';
    return buf;
}

const char *tm_data_str(const tm_resp *r, const char *field)
{
    return json_string_value(json_object_get(json_object_get(r->json, "data"), field));
}

mock_server *tm_start(int64_t duration_ms)
{
    mock_config cfg;
    mock_config_init(&cfg);
    cfg.duration_ms = duration_ms;
    mock_server *m = NULL;
    if (mock_server_start(&m, &cfg) != 0)
        return NULL;
    return m;
}

void tm_url(mock_server *m, const char *path, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s%s", mock_server_url(m), path);
}

int tm_get(mock_server *m, const char *path, tm_resp *out)
{
    char url[2048];
    tm_url(m, path, url, sizeof url);
    return tm_request("GET", url, tm_auth, NULL, out);
}

int tm_post(mock_server *m, const char *path, const char *body, tm_resp *out)
{
    char url[2048];
    tm_url(m, path, url, sizeof url);
    return tm_request("POST", url, tm_auth, body, out);
}

char *tm_submit(mock_server *m, const char *slug, const char *extra)
{
    char path[512], body[1024];
    snprintf(path, sizeof path, "/api/v1/%s", slug);
    snprintf(body, sizeof body, "{\"prompt\":\"a fox\"%s%s}", extra ? "," : "", extra ? extra : "");
    tm_resp r;
    tm_post(m, path, body, &r);
    const char *id = r.status == 200 ? tm_data_str(&r, "task_id") : NULL;
    char *copy = id ? strdup(id) : NULL;
    tm_resp_free(&r);
    return copy;
}

static int terminal(const char *s)
{
    static const char *const words[] = {"success", "succeeded", "completed", "failed",
                                        "error",   "canceled",  "cancelled"};
    for (size_t i = 0; s != NULL && i < sizeof words / sizeof words[0]; i++) {
        if (strcmp(s, words[i]) == 0)
            return 1;
    }
    return 0;
}

int tm_wait_terminal(mock_server *m, const char *task_id, tm_resp *out)
{
    char path[1024];
    char *enc = curl_easy_escape(NULL, task_id, 0);
    snprintf(path, sizeof path, "/api/v1/tasks/%s", enc);
    curl_free(enc);
    for (int i = 0; i < 1000; i++) {
        tm_get(m, path, out);
        if (out->status != 200 || terminal(tm_data_str(out, "status")))
            return out->status == 200 ? 0 : -1;
        tm_resp_free(out);
        tm_sleep_ms(10);
    }
    return -1;
}

void tm_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
