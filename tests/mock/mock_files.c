/* mock_files.c - the /files/ route: signed, expiring result URLs and the PNG/MP4 bodies behind them.
 *
 * URL: <origin>/files/<pct-encoded task id>/<pct-encoded task id>-<n>.<png|mp4>?expires=<unix s>&signature=<32 hex>
 * The signature is a keyed hash of (task id, n, expires) with a per-server secret.
 * Answers: 403 when the signature does not match (or is missing); 404 when the task or file does not
 * exist, when `expires` is in the past, or when more than result_ttl_ms have passed since the task ended.
 * No authentication is required. */
#include "mock_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sign(mock_server *m, const char *id, int32_t n, int64_t expires, char out[33])
{
    char msg[64];
    int k = snprintf(msg, sizeof msg, "\n%d\n%lld", (int)n, (long long)expires);
    uint64_t h1 = mk_hash64(id, strlen(id), m->secret);
    uint64_t h2 = mk_hash64(msg, (size_t)k, h1);
    uint64_t h3 = mk_hash64(msg, (size_t)k, h2 ^ m->secret);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h2, (unsigned long long)h3);
}

static int64_t expires_of(mock_server *m, const mk_task *t)
{
    int64_t end_wall = t->created_wall_ms + t->duration_ms + atomic_load(&m->result_ttl_ms);
    return (end_wall + 999) / 1000;
}

char *mk_file_url(mock_server *m, const mk_task *t, int32_t n)
{
    char sig[33];
    int64_t expires = expires_of(m, t);
    sign(m, t->id, n, expires, sig);
    char *enc = mk_pct_encode(t->id);
    if (enc == NULL)
        return NULL;
    size_t len = strlen(m->url) + 2 * strlen(enc) + 160;
    char *url = malloc(len);
    if (url != NULL)
        snprintf(url, len, "%s/files/%s/%s-%d.%s?expires=%lld&signature=%s", m->url, enc, enc, (int)n,
                 t->video ? "mp4" : "png", (long long)expires, sig);
    free(enc);
    return url;
}

void mk_files_process(mk_req *q, mk_reply *out)
{
    mock_server *m = q->srv;
    const char *rest = q->path + strlen("/files/");
    const char *slash = strrchr(rest, '/');
    if (slash == NULL || slash == rest) {
        mk_reply_error(out, 404, "Resource not found: file");
        return;
    }
    char *id = mk_pct_decode(rest, (size_t)(slash - rest));
    /* the file name is "<task id>-<n>.<ext>", unique like a real CDN's; only <n> is read */
    const char *dash = strrchr(slash + 1, '-');
    const char *name = dash ? dash + 1 : slash + 1;
    char *end = NULL;
    long n = strtol(name, &end, 10);
    const mk_task *t = id ? mk_store_find(&m->store, id) : NULL;
    free(id);
    if (t == NULL || end == name || n < 0 || n >= t->n_resources || end == NULL ||
        strcmp(end, t->video ? ".mp4" : ".png") != 0) {
        mk_reply_error(out, 404, "Resource not found: file");
        return;
    }
    int64_t now = mk_now_ms();
    if (mk_task_phase(t, now) != MK_TERMINAL || t->failed) {
        mk_reply_error(out, 404, "Resource not found: file");
        return;
    }

    char *exp_s = mk_query_param(q->query, "expires");
    char *sig_s = mk_query_param(q->query, "signature");
    char want[33];
    long long expires = exp_s ? strtoll(exp_s, NULL, 10) : 0;
    sign(m, t->id, (int32_t)n, (int64_t)expires, want);
    bool sig_ok = exp_s != NULL && sig_s != NULL && strcmp(sig_s, want) == 0;
    free(exp_s);
    free(sig_s);
    if (!sig_ok) {
        mk_reply_error(out, 403, "Access denied: the URL signature does not match");
        return;
    }
    if ((int64_t)expires * 1000 < mk_wall_ms() || now > mk_task_end_ms(t) + atomic_load(&m->result_ttl_ms)) {
        mk_reply_error(out, 404, "Resource not found: the file has expired");
        return;
    }

    size_t len = 0;
    uint64_t seed = t->seed ^ mk_mix64((uint64_t)n);
    unsigned char *data = t->video ? mk_mp4_make(MK_VIDEO_W, MK_VIDEO_H, seed, &len)
                                   : mk_png_make(MK_IMAGE_W, MK_IMAGE_H, seed, &len);
    if (data == NULL) {
        mk_reply_error(out, 500, "Internal error: out of memory");
        return;
    }
    mk_reply_clear(out);
    out->status = 200;
    out->raw = data;
    out->raw_len = len;
    out->content_type = t->video ? "video/mp4" : "image/png";
}
