/* download.c - fetching result files to a directory (atomically) or to memory, under the safety
 * rules of download.h: URL checks on every hop, address checks on every connection, size limits,
 * no API key sent. */
#define _GNU_SOURCE 1 /* mkostemp */

#include "filename.h"
#include "internal.h"
#include "netpolicy.h"
#include "sockets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MX_DOWNLOAD_MAX_REDIRECTS 5

typedef struct dl {
    modellix_client *c;
    modellix_task *t;
    size_t index;
    int32_t host_status; /* the file host's last HTTP status, when the fetch failed */
    uint32_t flags;
    int fd;       /* -1: to memory */
    mx_buf mem;
    uint64_t got, limit;
    int saved_errno;
    mx_req *r;
    char *proxy; /* the proxy of the current hop (malloc'd), or NULL: direct */
    char pin[64]; /* through a proxy: the file host's address that was checked ("" = none) */
    struct curl_slist *connect_to; /* the tunnel's target pinned to it (an https hop) */
} dl;

static size_t dl_sink(const char *p, size_t n, void *ctx)
{
    dl *d = ctx;
    if (d->got + n > d->limit) {
        d->r->too_large = 1;
        return 0;
    }
    d->got += n;
    if (d->fd < 0) {
        if (mx_buf_append(&d->mem, p, n)) {
            d->r->sink_rc = MODELLIX_ENOMEM;
            return 0;
        }
        return n;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(d->fd, p + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            d->saved_errno = errno;
            d->r->sink_rc = MODELLIX_EIO;
            mx_fmt(d->r->msg, sizeof d->r->msg, "writing the download failed: %s", strerror(errno));
            return 0;
        }
        off += (size_t)w;
    }
    return n;
}

static int dl_progress(void *ctx, curl_off_t total, curl_off_t now, curl_off_t ut, curl_off_t un)
{
    dl *d = ctx;
    (void)ut;
    (void)un;
    modellix_client *c = d->c;
    if (((modellix_progress_fn)c->on_progress->fn)(d->t, d->index, (int64_t)now, total > 0 ? (int64_t)total : -1,
                                                    c->on_progress->user_data) != 0) {
        d->r->sink_rc = MODELLIX_EUSER;
        mx_fmt(d->r->msg, sizeof d->r->msg, "GET %s: stopped by the progress callback", d->r->log_path);
        return 1;
    }
    return 0;
}

/* Every connection a download opens is checked here, after DNS and before any packet is sent: the
   file host's address when direct; through a proxy, the connection is to the proxy (the file host
   was checked before, in fetch_once), which may be anywhere. */
static curl_socket_t dl_open(void *ctx, curlsocktype purpose, struct curl_sockaddr *a)
{
    dl *d = ctx;
    (void)purpose;
    if (!mx_connect_allowed(&a->addr, d->proxy != NULL, (d->flags & MODELLIX_DOWNLOAD_ALLOW_PRIVATE) != 0,
                            d->c->base_is_loopback)) {
        d->r->sink_rc = MODELLIX_EUNSAFE;
        mx_fmt(d->r->msg, sizeof d->r->msg,
               "GET %s: refusing to connect to a private or reserved address (see MODELLIX_DOWNLOAD_ALLOW_PRIVATE)",
               d->r->log_path);
        return CURL_SOCKET_BAD;
    }
    return mx_socket_for(a);
}

static int dl_configure(mx_req *r, CURL *h, void *ctx)
{
    dl *d = ctx;
    d->got = 0;
    r->msg[0] = '\0';
    if (d->fd < 0) {
        mx_buf_reset(&d->mem);
    } else if (ftruncate(d->fd, 0) != 0 || lseek(d->fd, 0, SEEK_SET) != 0) {
        mx_fmt(r->msg, sizeof r->msg, "resetting the temporary file failed: %s", strerror(errno));
        return MODELLIX_EIO;
    }
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, dl_open);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, d);
    mx_proxy_setopt(h, d->proxy);
    /* an https file through a proxy goes through a tunnel (CONNECT): ask for the address checked,
       so that the proxy's own lookup of the name cannot lead somewhere else */
    curl_slist_free_all(d->connect_to);
    d->connect_to = NULL;
    if (d->proxy && d->pin[0] && strncmp(r->url, "https:", 6) == 0) {
        char entry[96];
        mx_fmt(entry, sizeof entry, "::%s:", d->pin);
        if (!(d->connect_to = curl_slist_append(NULL, entry)))
            return MODELLIX_ENOMEM;
        curl_easy_setopt(h, CURLOPT_HTTPPROXYTUNNEL, 1L);
    }
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, d->connect_to);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)d->limit);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, NULL);
    if (d->c->on_progress) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, dl_progress);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, d);
    }
    return MODELLIX_OK;
}

/* "host/path" of a URL for logs and messages: never the query, where the signature lives. */
static char *log_form(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL, *path = NULL, *out = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
        size_t n = strlen(host) + strlen(path) + 1;
        if ((out = malloc(n)))
            mx_fmt(out, n, "%s%s", host, path);
    }
    curl_free(host);
    curl_free(path);
    curl_url_cleanup(u);
    return out ? out : mx_strdup("(file)");
}

static int check_task(modellix_task *t, size_t i)
{
    modellix_client *c = t->c;
    mx_clear_error(c);
    if (t->status != MODELLIX_TASK_SUCCESS)
        return mx_fail(c, t, MODELLIX_ESTATE, 0, NULL, "task %s has not succeeded (status %s)", t->id,
                       t->info.status_word ? t->info.status_word : "unknown");
    if (i >= t->info.n_resources)
        return mx_fail(c, t, MODELLIX_EINVAL, 0, NULL, "task %s has %zu resource(s); index %zu is out of range", t->id,
                       t->info.n_resources, i);
    return MODELLIX_OK;
}

/* Fetch resource i into d once, following at most 5 redirects, each checked. */
static int fetch_once(modellix_task *t, size_t i, dl *d)
{
    modellix_client *c = t->c;
    uint64_t left = t->dl_bytes >= (uint64_t)c->dl_max_task ? 0 : (uint64_t)c->dl_max_task - t->dl_bytes;
    d->limit = (uint64_t)c->dl_max_file < left ? (uint64_t)c->dl_max_file : left;
    d->host_status = 0;
    if (!d->limit)
        return mx_fail(c, t, MODELLIX_ETOOLARGE, 0, NULL, "task %s has used up its download limit of %lld bytes",
                       t->id, (long long)c->dl_max_task);
    char *url = mx_strdup(t->info.resources[i].url);
    if (!url)
        return mx_fail(c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    int64_t deadline = mx_add_ms(mx_now_ms(), c->dl_timeout_ms);
    for (int hops = 0;; hops++) {
        char err[400];
        int rc = mx_check_download_url(url, (d->flags & MODELLIX_DOWNLOAD_ALLOW_HTTP) != 0, c->base_is_loopback, err,
                                       sizeof err);
        free(d->proxy);
        d->proxy = NULL;
        d->pin[0] = '\0';
        if (rc == MODELLIX_OK)
            rc = mx_proxy_for(&c->proxy, url, &d->proxy);
        /* through a proxy, the file host's addresses are checked here: the proxy connects, not us */
        if (rc == MODELLIX_OK && d->proxy && !(d->flags & MODELLIX_DOWNLOAD_ALLOW_PRIVATE))
            rc = mx_check_file_host(url, c->base_is_loopback, err, sizeof err, d->pin, sizeof d->pin);
        if (rc != MODELLIX_OK) {
            free(url);
            free(d->proxy);
            d->proxy = NULL;
            return mx_fail(c, t, rc, 0, NULL, "%s",
                           rc == MODELLIX_EUNSAFE || rc == MODELLIX_ENETWORK ? err : modellix_strerror(rc));
        }
        char *shown = log_form(url);
        mx_req r;
        mx_req_init(&r, c, MODELLIX_OP_DOWNLOAD, url, shown ? shown : "(file)");
        r.sink = dl_sink;
        r.configure = dl_configure;
        r.ctx = d;
        r.redirects_ok = 1;
        d->r = &r;
        if (mx_req_start(&r, deadline) == MODELLIX_OK)
            mx_run_exchange(c, &r);
        rc = r.rc;
        if (rc == MODELLIX_ETOOLARGE)
            mx_fmt(r.msg, sizeof r.msg, "GET %s: the file is larger than the limit of %llu bytes", r.log_path,
                   (unsigned long long)d->limit);
        if (rc != MODELLIX_OK) {
            d->host_status = r.http_status;
            mx_fail_req(c, t, &r);
        } else if (r.redirect_url) {
            if (hops == MX_DOWNLOAD_MAX_REDIRECTS) {
                rc = mx_fail(c, t, MODELLIX_EUNSAFE, (int32_t)r.status, NULL, "GET %s: more than %d redirects",
                             r.log_path, MX_DOWNLOAD_MAX_REDIRECTS);
            } else {
                url = r.redirect_url;
                r.redirect_url = NULL;
                mx_log(c, MODELLIX_LOG_DEBUG, "following a redirect from %s", r.log_path);
            }
        }
        int again = rc == MODELLIX_OK && url != r.url;
        mx_req_cleanup(&r); /* frees r.url */
        free(shown);
        curl_slist_free_all(d->connect_to); /* the handle that used it is gone */
        d->connect_to = NULL;
        if (!again) {
            free(d->proxy);
            d->proxy = NULL;
            if (rc == MODELLIX_OK)
                t->dl_bytes += d->got;
            return rc;
        }
    }
}

/* Fetch resource i; a 403 or 404 from the file host (an expired signed URL) makes one fresh status
   query and, if the task still lists the resource, one more fetch with its current URL. */
static int fetch(modellix_task *t, size_t i, dl *d)
{
    modellix_client *c = t->c;
    d->t = t;
    d->index = i;
    int rc = fetch_once(t, i, d);
    if (!(rc == MODELLIX_ENOTFOUND || rc == MODELLIX_EAUTH) || (d->host_status != 403 && d->host_status != 404))
        return rc;
    mx_log(c, MODELLIX_LOG_INFO, "the file host answered %d for resource %zu of task %s: refreshing its URL once",
           (int)d->host_status, i, t->id);
    mx_req r;
    if (mx_task_poll_start(t, &r, mx_add_ms(mx_now_ms(), c->call_timeout_ms), NULL) == MODELLIX_OK)
        mx_run_exchange(c, &r);
    int prc = r.rc;
    mx_req_cleanup(&r);
    if (prc != MODELLIX_OK || t->status != MODELLIX_TASK_SUCCESS || i >= t->info.n_resources)
        return rc; /* keep the download's own error */
    return fetch_once(t, i, d);
}

int modellix_task_download_mem(modellix_task *t, size_t i, uint32_t flags, uint8_t **data_out, size_t *len_out)
{
    if (data_out)
        *data_out = NULL;
    if (len_out)
        *len_out = 0;
    if (!t || !data_out || !len_out)
        return MODELLIX_EINVAL;
    int rc = check_task(t, i);
    if (rc != MODELLIX_OK)
        return rc;
    dl d = {.c = t->c, .flags = flags, .fd = -1};
    rc = fetch(t, i, &d);
    if (rc != MODELLIX_OK) {
        mx_buf_free(&d.mem);
        return rc;
    }
    size_t len = d.mem.len;
    char *p = mx_buf_take(&d.mem);
    if (!p)
        return mx_fail(t->c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    *data_out = (uint8_t *)p;
    *len_out = len;
    return MODELLIX_OK;
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        mx_fmt(p, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    return p;
}

/* The process umask, read without changing it (umask() would race with other threads). */
static mode_t current_umask(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[128];
    unsigned mask = 022;
    if (fp) {
        while (fgets(line, sizeof line, fp))
            if (sscanf(line, "Umask: %o", &mask) == 1)
                break;
        fclose(fp);
    }
    return (mode_t)(mask & 0777);
}

/* "dir/name.ext" -> "dir/name-k.ext" (malloc'd). */
static char *suffixed(const char *target, unsigned k)
{
    const char *base = strrchr(target, '/');
    base = base ? base + 1 : target;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - target) : strlen(target);
    size_t n = strlen(target) + 16;
    char *p = malloc(n);
    if (p)
        mx_fmt(p, n, "%.*s-%u%s", (int)stem, target, k, target + stem);
    return p;
}

/* Put the finished temporary file at `target`: never over an existing file unless asked. */
static int install_at(modellix_client *c, modellix_task *t, const char *tmp, const char *target, uint32_t flags)
{
    if (flags & MODELLIX_DOWNLOAD_OVERWRITE) {
        struct stat st;
        if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode))
            return mx_fail(c, t, MODELLIX_EEXIST, 0, NULL, "%s exists and is not a regular file", target);
        if (rename(tmp, target) != 0)
            return mx_fail(c, t, MODELLIX_EIO, 0, NULL, "renaming the download to %s failed: %s", target,
                           strerror(errno));
        return MODELLIX_OK;
    }
    /* link() fails if the target exists, so the check and the install are one atomic step */
    if (link(tmp, target) != 0)
        return errno == EEXIST ? MODELLIX_EEXIST
                               : mx_fail(c, t, MODELLIX_EIO, 0, NULL, "installing the download as %s failed: %s",
                                         target, strerror(errno));
    unlink(tmp);
    return MODELLIX_OK;
}

/* Install at *target, or with MODELLIX_DOWNLOAD_RENAME at the first free "name-2.ext",
   "name-3.ext", ... (then *target is replaced by the name used). */
static int install(modellix_client *c, modellix_task *t, const char *tmp, char **target, uint32_t flags)
{
    int rc = install_at(c, t, tmp, *target, flags);
    int rename_ok = (flags & MODELLIX_DOWNLOAD_RENAME) && !(flags & MODELLIX_DOWNLOAD_OVERWRITE);
    for (unsigned k = 2; rc == MODELLIX_EEXIST && rename_ok && k < 10000; k++) {
        char *candidate = suffixed(*target, k);
        if (!candidate)
            return mx_fail(c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory");
        rc = install_at(c, t, tmp, candidate, flags);
        if (rc == MODELLIX_OK) {
            free(*target);
            *target = candidate;
        } else {
            free(candidate);
        }
    }
    if (rc == MODELLIX_EEXIST)
        return mx_fail(c, t, rc, 0, NULL, "%s already exists (pass MODELLIX_DOWNLOAD_OVERWRITE or _RENAME)", *target);
    return rc;
}

/* Download resource i into dir; on success *path_out is the final path (malloc'd). */
static int download_one(modellix_task *t, size_t i, const char *dir, uint32_t flags, char **path_out)
{
    modellix_client *c = t->c;
    int rc;
    if (!dir)
        dir = ".";
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return mx_fail(c, t, MODELLIX_EINVAL, 0, NULL, "%s is not a directory", dir);
    char *name = mx_safe_filename(t->info.resources[i].url, i);
    char *target = name ? join_path(dir, name) : NULL;
    char *tmp = join_path(dir, ".modellix-download-XXXXXX");
    free(name);
    if (!target || !tmp) {
        free(target);
        free(tmp);
        return mx_fail(c, t, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    }
    if (!(flags & (MODELLIX_DOWNLOAD_OVERWRITE | MODELLIX_DOWNLOAD_RENAME)) && lstat(target, &st) == 0) {
        rc = mx_fail(c, t, MODELLIX_EEXIST, 0, NULL, "%s already exists (pass MODELLIX_DOWNLOAD_OVERWRITE)", target);
        free(target);
        free(tmp);
        return rc;
    }
    int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600, O_EXCL, not inherited by a child that execs */
    if (fd < 0) {
        rc = mx_fail(c, t, MODELLIX_EIO, 0, NULL, "creating a temporary file in %s failed: %s", dir, strerror(errno));
        free(target);
        free(tmp);
        return rc;
    }
    dl d = {.c = c, .flags = flags, .fd = fd};
    rc = fetch(t, i, &d);
    /* staged privately (0600); installed with the mode a newly created file would get */
    if (rc == MODELLIX_OK && (fchmod(fd, 0666 & ~current_umask()) != 0 || fsync(fd) != 0 || close(fd) != 0)) {
        fd = -1;
        rc = mx_fail(c, t, MODELLIX_EIO, 0, NULL, "writing the download failed: %s", strerror(errno));
    } else if (rc == MODELLIX_OK) {
        fd = -1;
    }
    if (fd >= 0)
        close(fd);
    if (rc == MODELLIX_OK)
        rc = install(c, t, tmp, &target, flags);
    unlink(tmp); /* a no-op after a rename; removes the staging file otherwise */
    free(tmp);
    if (rc == MODELLIX_OK) {
        mx_log(c, MODELLIX_LOG_INFO, "downloaded resource %zu of task %s to %s (%llu bytes)", i, t->id, target,
               (unsigned long long)d.got);
        *path_out = target;
        target = NULL;
    }
    free(target);
    return rc;
}

/* Keep the outcome of resource i's download on the task (the download summary). */
static void record(modellix_task *t, size_t i, int rc, const char *path)
{
    if (i >= t->dl_n) {
        size_t n = t->info.n_resources > i ? t->info.n_resources : i + 1;
        char **p = realloc(t->dl_paths, n * sizeof *p);
        if (p)
            t->dl_paths = p;
        int32_t *k = p ? realloc(t->dl_codes, n * sizeof *k) : NULL;
        if (!p || !k)
            return; /* out of memory: the summary just lacks this entry */
        t->dl_codes = k;
        for (size_t j = t->dl_n; j < n; j++) {
            t->dl_paths[j] = NULL;
            t->dl_codes[j] = MODELLIX_ESTATE;
        }
        t->dl_n = n;
    }
    free(t->dl_paths[i]);
    t->dl_paths[i] = path ? mx_strdup(path) : NULL;
    t->dl_codes[i] = rc;
}

int modellix_task_download(modellix_task *t, size_t i, const char *dir, uint32_t flags, char **path_out)
{
    if (path_out)
        *path_out = NULL;
    if (!t || (dir && !*dir))
        return MODELLIX_EINVAL;
    int rc = check_task(t, i);
    if (rc != MODELLIX_OK)
        return rc;
    char *path = NULL;
    rc = download_one(t, i, dir, flags, &path);
    record(t, i, rc, path);
    if (path_out)
        *path_out = path;
    else
        free(path);
    return rc;
}

int modellix_task_download_all(modellix_task *t, const char *dir, uint32_t flags, size_t *n_ok_out)
{
    if (n_ok_out)
        *n_ok_out = 0;
    if (!t || (dir && !*dir))
        return MODELLIX_EINVAL;
    int rc = check_task(t, 0);
    if (rc != MODELLIX_OK)
        return rc;
    if (!(flags & MODELLIX_DOWNLOAD_OVERWRITE))
        flags |= MODELLIX_DOWNLOAD_RENAME;
    int first = MODELLIX_OK;
    size_t ok = 0;
    /* the count is read each round: a refreshed task may list fewer resources */
    for (size_t i = 0; i < t->info.n_resources; i++) {
        char *path = NULL;
        rc = download_one(t, i, dir, flags, &path);
        record(t, i, rc, path);
        free(path);
        if (rc == MODELLIX_OK)
            ok++;
        else if (first == MODELLIX_OK)
            first = rc;
    }
    if (n_ok_out)
        *n_ok_out = ok;
    if (first != MODELLIX_OK)
        return mx_fail(t->c, t, first, 0, NULL, "%zu of %zu file(s) of task %s downloaded; the first failure: %s", ok,
                       t->info.n_resources, t->id, modellix_strerror(first));
    return MODELLIX_OK;
}

const char *modellix_task_download_path(const modellix_task *t, size_t i)
{
    return t && i < t->dl_n ? t->dl_paths[i] : NULL;
}

int32_t modellix_task_download_errcode(const modellix_task *t, size_t i)
{
    return t && i < t->dl_n ? t->dl_codes[i] : MODELLIX_ESTATE;
}
