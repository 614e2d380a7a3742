/* mock_server.c - the two MHD listeners, per-request state, dispatch (faults first), and the public
 * functions of mock.h. */
#include "mock_internal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DEFAULT_DURATION_MS 2000
#define DEFAULT_TTL_MS ((int64_t)24 * 3600 * 1000)

/* ---- ids and durations ---- */

void mk_new_id(mock_server *m, const char *prefix, char *out, size_t outlen)
{
    unsigned long long seq = (unsigned long long)atomic_fetch_add(&m->seq, 1);
    snprintf(out, outlen, "%s%08x%08llx", prefix, m->nonce, seq);
}

int64_t mk_task_duration_for(mock_server *m, const mk_model *model)
{
    int64_t d = atomic_load(&m->duration_ms);
    if (d >= 0)
        return d;
    return model != NULL ? model->duration_ms : DEFAULT_DURATION_MS;
}

/* ---- per-request state ---- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    mk_listener *l = cls;
    (void)conn;
    mk_req *q = calloc(1, sizeof *q);
    if (q == NULL)
        return NULL;
    q->srv = l->srv;
    q->other = l->other;
    q->uri = mk_strdup(uri);
    const char *qm = q->uri ? strchr(q->uri, '?') : NULL;
    size_t plen = q->uri ? (qm ? (size_t)(qm - q->uri) : strlen(q->uri)) : 0;
    q->path = malloc(plen + 1);
    if (q->uri == NULL || q->path == NULL) {
        free(q->uri);
        free(q->path);
        free(q);
        return NULL;
    }
    memcpy(q->path, q->uri, plen);
    q->path[plen] = '\0';
    q->query = qm ? qm + 1 : "";
    mk_new_id(l->srv, "req-", q->request_id, sizeof q->request_id);
    return q;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    mk_req *q = *con_cls;
    if (q == NULL)
        return;
    if (q->close_after && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        /* the whole answer went out: end the connection under the client's feet (MHD sees the
           shutdown at its next read and closes the socket) */
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci != NULL)
            shutdown(ci->connect_fd, SHUT_RDWR);
    }
    if (q->pending != NULL)
        MHD_destroy_response(q->pending);
    free(q->uri);
    free(q->path);
    free(q->body);
    free(q);
    *con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    mk_listener *l = cls;
    (void)conn;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        mk_stats_conn_open(&l->srv->stats);
    else
        mk_stats_conn_close(&l->srv->stats);
}

/* ---- sending ---- */

static enum MHD_Result queue(mk_req *q, struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp,
                             int64_t body_bytes)
{
    if (resp == NULL)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    if (!q->control) {
        mk_stats_status(&q->srv->stats, q->route, rc == MHD_YES ? status : 0);
        mk_stats_bytes(&q->srv->stats, q->route, body_bytes);
    }
    return rc;
}

static enum MHD_Result send_reply(mk_req *q, struct MHD_Connection *conn, mk_reply *r)
{
    size_t len = 0;
    unsigned char *body = mk_reply_body(r, &len);
    if (body == NULL) {
        mk_reply_clear(r);
        return MHD_NO;
    }
    struct MHD_Response *resp = mk_response_buffer(q, r, body, len);
    unsigned status = r->status;
    mk_reply_clear(r);
    return queue(q, conn, status, resp, (int64_t)len);
}

/* The normal answer to a request. */
static void process(mk_req *q, struct MHD_Connection *conn, bool commit, mk_reply *r)
{
    if (q->route == MOCK_ROUTE_FILE)
        mk_files_process(q, r);
    else if (q->api)
        mk_api_process(q, conn, commit, r);
    else
        mk_reply_error(r, 404, "Resource not found: no route for %s %s", q->method, q->path);
}

/* ---- faults ---- */

static char *expand_location(mk_req *q, const char *tmpl)
{
    static const char *const tokens[3] = {"{self}", "{other}", "{path}"};
    const char *values[3] = {q->srv->url, q->srv->other_url, q->uri};
    size_t cap = strlen(tmpl) + 1, len = 0;
    for (const char *p = tmpl; *p; p++) {
        for (int i = 0; i < 3; i++) {
            if (strncmp(p, tokens[i], strlen(tokens[i])) == 0)
                cap += strlen(values[i]);
        }
    }
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    for (const char *p = tmpl; *p;) {
        int hit = -1;
        for (int i = 0; i < 3 && hit < 0; i++) {
            if (strncmp(p, tokens[i], strlen(tokens[i])) == 0)
                hit = i;
        }
        if (hit >= 0) {
            size_t vl = strlen(values[hit]);
            memcpy(out + len, values[hit], vl);
            len += vl;
            p += strlen(tokens[hit]);
        } else {
            out[len++] = *p++;
        }
    }
    out[len] = '\0';
    return out;
}

/* Replace (wrong = true) or remove data.task_id in a JSON reply. */
static void mangle_task_id(mk_req *q, mk_reply *r, bool wrong)
{
    json_t *data = json_object_get(r->json, "data");
    if (!json_is_object(data) || json_object_get(data, "task_id") == NULL)
        return;
    if (wrong) {
        char id[64];
        mk_new_id(q->srv, "task-wrong-", id, sizeof id);
        json_object_set_new(data, "task_id", json_string(id));
    } else {
        json_object_del(data, "task_id");
    }
}

static enum MHD_Result apply_fault(mk_req *q, struct MHD_Connection *conn, const mock_fault *f)
{
    mock_server *m = q->srv;
    mk_reply r;
    mk_reply_init(&r);
    /* Kinds that replace the whole answer: after_create on submit runs the submit first (the task is
       created and charged), then the answer is lost. Kinds that corrupt the normal answer create the
       task only with after_create. STALL always answers normally, so it always creates the task. */
    bool create_first = q->route == MOCK_ROUTE_SUBMIT && f->after_create;
    bool commit = q->route != MOCK_ROUTE_SUBMIT || f->after_create;
    switch (f->kind) {
    case MOCK_FAULT_RESET_BEFORE:
        if (create_first)
            process(q, conn, true, &r);
        mk_reply_clear(&r);
        mk_stats_status(&m->stats, q->route, 0);
        return MHD_NO; /* MHD closes the connection without a response */
    case MOCK_FAULT_STATUS:
        if (create_first)
            process(q, conn, true, &r);
        mk_reply_clear(&r);
        r.status = (unsigned)f->status;
        r.content_type = "application/json";
        if (f->body != NULL) {
            r.raw = (unsigned char *)mk_strdup(f->body);
            r.raw_len = strlen(f->body);
        } else {
            mk_reply_error(&r, (unsigned)f->status, "%s: injected fault", mk_status_category((unsigned)f->status));
        }
        r.headers = mk_strdup(f->headers);
        return send_reply(q, conn, &r);
    case MOCK_FAULT_GARBAGE:
    case MOCK_FAULT_EMPTY: {
        static const char garbage[] = "<html><body>upstream garbage: this is not JSON }{</body></html>\n";
        if (create_first)
            process(q, conn, true, &r);
        mk_reply_clear(&r);
        r.status = 200;
        bool empty = f->kind == MOCK_FAULT_EMPTY;
        r.content_type = empty ? "application/json" : "text/html";
        r.raw = (unsigned char *)mk_strdup(empty ? "" : garbage);
        r.raw_len = empty ? 0 : sizeof garbage - 1;
        r.headers = mk_strdup(f->headers);
        return send_reply(q, conn, &r);
    }
    case MOCK_FAULT_HUGE:
        if (create_first)
            process(q, conn, true, &r);
        mk_reply_clear(&r);
        return queue(q, conn, 200, mk_response_huge(q, f->huge_bytes > 0 ? f->huge_bytes : MK_DEFAULT_HUGE_BYTES),
                     0);
    case MOCK_FAULT_REDIRECT: {
        if (create_first)
            process(q, conn, true, &r);
        mk_reply_clear(&r);
        char *loc = expand_location(q, f->location ? f->location : "{other}{path}");
        if (loc == NULL)
            return MHD_NO;
        size_t hl = strlen(loc) + 16 + (f->headers ? strlen(f->headers) : 0);
        r.headers = malloc(hl);
        if (r.headers != NULL)
            snprintf(r.headers, hl, "Location: %s\n%s", loc, f->headers ? f->headers : "");
        free(loc);
        r.status = f->status >= 300 && f->status <= 399 ? (unsigned)f->status : 302;
        r.raw = (unsigned char *)mk_strdup("");
        return send_reply(q, conn, &r);
    }
    case MOCK_FAULT_STALL: {
        process(q, conn, true, &r);
        if (f->headers != NULL && r.headers == NULL)
            r.headers = mk_strdup(f->headers);
        size_t len = 0;
        unsigned char *body = mk_reply_body(&r, &len);
        struct MHD_Response *resp = body ? mk_response_buffer(q, &r, body, len) : NULL;
        unsigned status = r.status;
        mk_reply_clear(&r);
        if (resp == NULL)
            return MHD_NO;
        if (f->stall_ms <= 0 || atomic_load(&m->stopping))
            return queue(q, conn, status, resp, (int64_t)len);
        q->pending = resp;
        q->pending_status = status;
        q->pending_bytes = (int64_t)len;
        MHD_suspend_connection(conn);
        mk_stall_add(&m->stall, conn, mk_now_ms() + f->stall_ms);
        return MHD_YES;
    }
    case MOCK_FAULT_CLOSE_AFTER:
        q->close_after = true; /* on_completed closes the connection */
        process(q, conn, true, &r);
        return send_reply(q, conn, &r);
    case MOCK_FAULT_WRONG_TASK_ID:
    case MOCK_FAULT_NO_TASK_ID:
        process(q, conn, commit, &r);
        mangle_task_id(q, &r, f->kind == MOCK_FAULT_WRONG_TASK_ID);
        return send_reply(q, conn, &r);
    case MOCK_FAULT_TRUNCATED: {
        process(q, conn, commit, &r);
        size_t len = 0;
        unsigned char *body = mk_reply_body(&r, &len);
        if (body == NULL) {
            mk_reply_clear(&r);
            return MHD_NO;
        }
        r.status = 200;
        struct MHD_Response *resp = mk_response_buffer(q, &r, body, len / 2);
        mk_reply_clear(&r);
        return queue(q, conn, 200, resp, (int64_t)(len / 2));
    }
    case MOCK_FAULT_RESET_MIDWAY: {
        process(q, conn, commit, &r);
        size_t len = 0;
        unsigned char *body = mk_reply_body(&r, &len);
        if (body == NULL) {
            mk_reply_clear(&r);
            return MHD_NO;
        }
        unsigned status = f->status > 0 ? (unsigned)f->status : r.status;
        struct MHD_Response *resp = mk_response_midway(q, &r, body, len);
        mk_reply_clear(&r);
        return queue(q, conn, status, resp, 0); /* bytes are counted as they are sent */
    }
    default:
        process(q, conn, true, &r);
        return send_reply(q, conn, &r);
    }
}

/* ---- the access handler ---- */

static enum MHD_Result start_request(mk_req *q, struct MHD_Connection *conn, const char *method)
{
    mock_server *m = q->srv;
    q->started = true;
    q->method = method;
    if (strncmp(q->path, "/_mock/", 7) == 0) {
        q->control = true;
        q->route = MOCK_ROUTE_OTHER;
        q->body_limit = MK_MAX_CONTROL_BODY;
    } else {
        q->route = mk_classify(method, q->path);
        q->api = strncmp(q->path, "/api/v1/", 8) == 0;
        q->body_limit = q->route == MOCK_ROUTE_SUBMIT ? MK_MAX_SUBMIT_BODY : 0;
        mk_stats_request(&m->stats, q->route,
                         MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), q->uri,
                         MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT));
        if (q->api) {
            mk_rate_hit(&m->rate, atomic_load(&m->rate_limit), mk_wall_ms() / 1000, &q->rl);
            q->have_rl = true;
        }
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL && q->body_limit > 0) {
        unsigned long long n = strtoull(cl, NULL, 10);
        if (n > q->body_limit) {
            mk_reply r;
            mk_reply_init(&r);
            mk_reply_error(&r, 413, "Payload too large: the body exceeds %zu bytes", q->body_limit);
            return send_reply(q, conn, &r);
        }
        if (n > 0) {
            q->body = malloc((size_t)n);
            q->body_cap = q->body ? (size_t)n : 0;
        }
    }
    return MHD_YES;
}

static void take_body(mk_req *q, const char *data, size_t n)
{
    if (q->body_limit == 0 || q->too_large)
        return; /* bodies of other routes are read and dropped */
    if (q->body_len + n > q->body_limit) {
        q->too_large = true;
        free(q->body);
        q->body = NULL;
        q->body_len = q->body_cap = 0;
        return;
    }
    if (q->body_len + n > q->body_cap) {
        size_t nc = q->body_cap ? q->body_cap : 4096;
        while (nc < q->body_len + n)
            nc *= 2;
        if (nc > q->body_limit)
            nc = q->body_limit;
        char *nb = realloc(q->body, nc);
        if (nb == NULL) {
            q->too_large = true;
            return;
        }
        q->body = nb;
        q->body_cap = nc;
    }
    memcpy(q->body + q->body_len, data, n);
    q->body_len += n;
}

static enum MHD_Result dispatch(mk_req *q, struct MHD_Connection *conn)
{
    mock_server *m = q->srv;
    mk_reply r;
    mk_reply_init(&r);
    if (q->too_large) {
        mk_reply_error(&r, 413, "Payload too large: the body exceeds %zu bytes", q->body_limit);
        return send_reply(q, conn, &r);
    }
    if (q->control) {
        mk_control_process(q, &r);
        return send_reply(q, conn, &r);
    }
    mock_fault f;
    if (!mk_faults_match(&m->faults, q->route, q->method, &f)) {
        process(q, conn, true, &r);
        return send_reply(q, conn, &r);
    }
    mk_stats_fault(&m->stats, q->route);
    enum MHD_Result rc = apply_fault(q, conn, &f);
    mk_fault_copy_free(&f);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    mk_req *q = *con_cls;
    if (q == NULL) { /* the URI callback ran out of memory */
        q = on_uri(cls, url, conn);
        if (q == NULL)
            return MHD_NO;
        *con_cls = q;
    }
    if (!q->started)
        return start_request(q, conn, method);
    if (*upload_data_size > 0) {
        take_body(q, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (q->pending != NULL) { /* a stalled answer whose time has come */
        struct MHD_Response *resp = q->pending;
        q->pending = NULL;
        return queue(q, conn, q->pending_status, resp, q->pending_bytes);
    }
    return dispatch(q, conn);
}

/* ---- start / stop ---- */

void mock_config_init(mock_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->port = 0;
    cfg->bind_address = "127.0.0.1";
    cfg->duration_ms = -1;
    cfg->max_running = 3;
    cfg->rate_limit = 0;
    cfg->result_ttl_ms = DEFAULT_TTL_MS;
    cfg->threads = 2;
}

typedef union mk_addr {
    struct sockaddr sa;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
} mk_addr;

/* Only loopback addresses are accepted. */
static int parse_bind(const char *addr, uint16_t port, mk_addr *out, bool *v6)
{
    memset(out, 0, sizeof *out);
    if (addr == NULL || strcmp(addr, "localhost") == 0)
        addr = "127.0.0.1";
    if (inet_pton(AF_INET, addr, &out->v4.sin_addr) == 1) {
        if ((ntohl(out->v4.sin_addr.s_addr) >> 24) != 127)
            return -1;
        out->v4.sin_family = AF_INET;
        out->v4.sin_port = htons(port);
        *v6 = false;
        return 0;
    }
    const char *a6 = strcmp(addr, "[::1]") == 0 ? "::1" : addr;
    if (inet_pton(AF_INET6, a6, &out->v6.sin6_addr) == 1 &&
        memcmp(&out->v6.sin6_addr, &in6addr_loopback, sizeof in6addr_loopback) == 0) {
        out->v6.sin6_family = AF_INET6;
        out->v6.sin6_port = htons(port);
        *v6 = true;
        return 0;
    }
    return -1;
}

static struct MHD_Daemon *start_daemon(mk_listener *l, const mk_addr *addr, bool v6, unsigned threads,
                                       const char *tls_cert, const char *tls_key, uint16_t *port)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME;
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_POLL;
    if (v6)
        flags |= MHD_USE_IPv6;
    /* The TLS options come last: with no certificate they are replaced by the end marker. */
    enum MHD_OPTION tls_key_opt = MHD_OPTION_END, tls_cert_opt = MHD_OPTION_END;
    if (tls_cert != NULL) {
        flags |= MHD_USE_TLS;
        tls_key_opt = MHD_OPTION_HTTPS_MEM_KEY;
        tls_cert_opt = MHD_OPTION_HTTPS_MEM_CERT;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, l, MHD_OPTION_SOCK_ADDR, &addr->sa, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)128 * 1024, MHD_OPTION_URI_LOG_CALLBACK, on_uri, l,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_NOTIFY_CONNECTION, on_connection, l, tls_key_opt,
        tls_key, tls_cert_opt, tls_cert, MHD_OPTION_END);
    if (d == NULL)
        return NULL;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : 0;
    if (*port == 0) {
        MHD_stop_daemon(d);
        return NULL;
    }
    return d;
}

static void free_server(mock_server *m)
{
    if (m->api_keys != NULL) {
        for (size_t i = 0; i < m->n_api_keys; i++)
            free(m->api_keys[i]);
        free(m->api_keys);
    }
    mk_store_destroy(&m->store);
    mk_faults_destroy(&m->faults);
    mk_stats_destroy(&m->stats);
    mk_rate_destroy(&m->rate);
    free(m->tls_cert);
    free(m->tls_key);
    free(m);
}

/* A whole PEM file as a string (at most 1 MiB), or NULL. */
static char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap + 1);
    if (buf != NULL)
        n = fread(buf, 1, cap + 1, f);
    int bad = buf == NULL || ferror(f) || n == 0 || n > cap;
    fclose(f);
    if (bad) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

int mock_server_start(mock_server **out, const mock_config *cfg)
{
    if (out == NULL)
        return -1;
    *out = NULL;
    mock_config defaults;
    if (cfg == NULL) {
        mock_config_init(&defaults);
        cfg = &defaults;
    }
    mk_addr addr, other_addr;
    bool v6 = false;
    if (parse_bind(cfg->bind_address, cfg->port, &addr, &v6) != 0 ||
        parse_bind(cfg->bind_address, 0, &other_addr, &v6) != 0)
        return -1;
    if (cfg->n_api_keys > 0 && cfg->api_keys == NULL)
        return -1;
    if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL) ||
        (cfg->tls_cert_file != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES))
        return -1;

    mock_server *m = calloc(1, sizeof *m);
    if (m == NULL)
        return -1;
    if (mk_store_init(&m->store) != 0) {
        free(m);
        return -1;
    }
    if (mk_faults_init(&m->faults) != 0 || mk_stats_init(&m->stats) != 0 || mk_rate_init(&m->rate) != 0) {
        free_server(m);
        return -1;
    }
    atomic_init(&m->duration_ms, cfg->duration_ms < -1 ? -1 : cfg->duration_ms);
    atomic_init(&m->result_ttl_ms, cfg->result_ttl_ms < 0 ? 0 : cfg->result_ttl_ms);
    atomic_init(&m->max_running, cfg->max_running < 0 ? 0 : cfg->max_running);
    atomic_init(&m->rate_limit, cfg->rate_limit < 0 ? 0 : cfg->rate_limit);
    atomic_init(&m->seq, 1);
    atomic_init(&m->stopping, false);
    uint64_t entropy = mk_mix64((uint64_t)mk_wall_ms() ^ ((uint64_t)mk_now_ms() << 20) ^ (uint64_t)getpid() ^
                                (uint64_t)(uintptr_t)m);
    m->secret = mk_mix64(entropy);
    m->nonce = (uint32_t)(entropy >> 32);
    if (cfg->n_api_keys > 0) {
        m->api_keys = calloc(cfg->n_api_keys, sizeof *m->api_keys);
        if (m->api_keys == NULL) {
            free_server(m);
            return -1;
        }
        m->n_api_keys = cfg->n_api_keys;
        for (size_t i = 0; i < cfg->n_api_keys; i++) {
            m->api_keys[i] = mk_strdup(cfg->api_keys[i] ? cfg->api_keys[i] : "");
            if (m->api_keys[i] == NULL) {
                free_server(m);
                return -1;
            }
        }
    }
    if (mk_stall_start(&m->stall) != 0) {
        free_server(m);
        return -1;
    }
    m->main_l = (mk_listener){m, false};
    m->other_l = (mk_listener){m, true};
    unsigned threads = cfg->threads <= 0 ? 2u : cfg->threads > 64 ? 64u : (unsigned)cfg->threads;
    if (cfg->tls_cert_file != NULL &&
        ((m->tls_cert = read_text_file(cfg->tls_cert_file)) == NULL ||
         (m->tls_key = read_text_file(cfg->tls_key_file)) == NULL)) {
        mk_stall_stop(&m->stall);
        mk_stall_destroy(&m->stall);
        free_server(m);
        return -1;
    }
    m->daemon = start_daemon(&m->main_l, &addr, v6, threads, m->tls_cert, m->tls_key, &m->port);
    m->other_daemon =
        m->daemon ? start_daemon(&m->other_l, &other_addr, v6, 1, m->tls_cert, m->tls_key, &m->other_port) : NULL;
    if (m->other_daemon == NULL) {
        if (m->daemon != NULL)
            MHD_stop_daemon(m->daemon);
        mk_stall_stop(&m->stall);
        mk_stall_destroy(&m->stall);
        free_server(m);
        return -1;
    }
    char hostbuf[INET6_ADDRSTRLEN + 2] = "[::1]";
    if (!v6 && inet_ntop(AF_INET, &addr.v4.sin_addr, hostbuf, sizeof hostbuf) == NULL)
        snprintf(hostbuf, sizeof hostbuf, "127.0.0.1");
    const char *scheme = m->tls_cert != NULL ? "https" : "http";
    snprintf(m->url, sizeof m->url, "%s://%s:%u", scheme, hostbuf, (unsigned)m->port);
    snprintf(m->other_url, sizeof m->other_url, "%s://%s:%u", scheme, hostbuf, (unsigned)m->other_port);
    *out = m;
    return 0;
}

void mock_server_stop(mock_server *m)
{
    if (m == NULL)
        return;
    atomic_store(&m->stopping, true);
    mk_stall_stop(&m->stall); /* resumes every stalled connection: MHD refuses to stop with suspended ones */
    MHD_stop_daemon(m->other_daemon);
    MHD_stop_daemon(m->daemon);
    mk_stall_destroy(&m->stall);
    free_server(m);
}

const char *mock_server_url(const mock_server *m)
{
    return m ? m->url : "";
}

uint16_t mock_server_port(const mock_server *m)
{
    return m ? m->port : 0;
}

/* ---- faults, counters, settings ---- */

int mock_server_add_fault(mock_server *m, const mock_fault *f)
{
    return m ? mk_faults_add(&m->faults, f) : -1;
}

void mock_server_clear_faults(mock_server *m)
{
    if (m)
        mk_faults_clear(&m->faults);
}

int64_t mock_server_counter(mock_server *m, int32_t counter, int32_t route)
{
    return m ? mk_stats_counter(&m->stats, counter, route) : -1;
}

int64_t mock_server_count_status(mock_server *m, int32_t route, int32_t status)
{
    return m ? mk_stats_status_count(&m->stats, route, status) : 0;
}

void mock_server_reset_counters(mock_server *m)
{
    if (m)
        mk_stats_reset(&m->stats);
}

int mock_server_last_authorization(mock_server *m, int32_t route, char *buf, size_t buflen)
{
    return m ? mk_stats_last(&m->stats, MK_LAST_AUTH, route, buf, buflen) : -1;
}

int mock_server_last_user_agent(mock_server *m, int32_t route, char *buf, size_t buflen)
{
    return m ? mk_stats_last(&m->stats, MK_LAST_UA, route, buf, buflen) : -1;
}

size_t mock_server_task_ids(mock_server *m, void (*fn)(const char *id, void *ud), void *ud)
{
    return m ? mk_store_each_paid(&m->store, fn, ud) : 0;
}

int mock_server_last_path(mock_server *m, int32_t route, char *buf, size_t buflen)
{
    return m ? mk_stats_last(&m->stats, MK_LAST_PATH, route, buf, buflen) : -1;
}

void mock_server_set_duration_ms(mock_server *m, int64_t duration_ms)
{
    if (m)
        atomic_store(&m->duration_ms, duration_ms < -1 ? -1 : duration_ms);
}

void mock_server_set_max_running(mock_server *m, int32_t max_running)
{
    if (m)
        atomic_store(&m->max_running, max_running < 0 ? 0 : max_running);
}

void mock_server_set_rate_limit(mock_server *m, int32_t per_minute)
{
    if (m)
        atomic_store(&m->rate_limit, per_minute < 0 ? 0 : per_minute);
}

void mock_server_set_result_ttl_ms(mock_server *m, int64_t ttl_ms)
{
    if (m)
        atomic_store(&m->result_ttl_ms, ttl_ms < 0 ? 0 : ttl_ms);
}

int mock_server_put_task(mock_server *m, const char *task_id, const char *model_slug, const char *status,
                         int32_t n_resources)
{
    if (m == NULL || task_id == NULL || model_slug == NULL || status == NULL || n_resources < 0 ||
        n_resources > MK_MAX_RESOURCES)
        return -1;
    size_t n = strlen(task_id);
    if (n == 0 || n > MK_MAX_TASK_ID)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)task_id[i] < 0x20 || task_id[i] == 0x7f)
            return -1;
    }
    int phase;
    if (strcmp(status, "pending") == 0)
        phase = 0;
    else if (strcmp(status, "processing") == 0)
        phase = 1;
    else if (strcmp(status, "success") == 0)
        phase = 2;
    else if (strcmp(status, "failed") == 0)
        phase = 3;
    else
        return -1;
    const mk_model *model = mk_catalogue_find(model_slug);
    int64_t d = mk_task_duration_for(m, model);
    mk_task *t = mk_task_create(task_id, model_slug, model ? model->video : false, d);
    if (t == NULL)
        return -1;
    t->n_resources = n_resources;
    t->seed = mk_hash64(task_id, n, 0x70757474);
    t->failed = phase == 3;
    mk_new_id(m, "req-", t->request_id, sizeof t->request_id);
    /* "as if submitted long ago": shift the start so the task is in the requested phase now */
    int64_t back = phase == 1 ? d / 4 + 1 : phase >= 2 ? d : 0;
    t->created_ms -= back;
    t->created_wall_ms -= back;
    int64_t retry = 0;
    if (mk_store_admit(&m->store, t, 0, true, false, mk_now_ms(), &retry) != 0) {
        mk_task_free(t);
        return -1;
    }
    return 0;
}
