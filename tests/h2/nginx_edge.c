/* nginx_edge.c - see nginx_edge.h. */
#include "nginx_edge.h"
#include "child_tie.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint16_t free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    uint16_t port = 0;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

static int accepts(uint16_t port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0)
        close(s);
    return ok;
}

static int write_conf(const nginx_edge *e, const edge_opts *o, const char *certs)
{
    char path[600];
    snprintf(path, sizeof path, "%s/nginx.conf", e->dir);
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    const char *d = e->dir;
    char files[300] = ""; /* the mock never compresses its answers: sub_filter sees them as text */
    if (o->file_host)
        snprintf(files, sizeof files,
                 "sub_filter_types application/json; sub_filter_once off; "
                 "sub_filter 'http://127.0.0.1:%u/files/' 'https://127.0.0.1:%u/files/';",
                 (unsigned)o->upstream_port, (unsigned)e->port);
    char protocols[80] = "";
    if (o->tls_protocols)
        snprintf(protocols, sizeof protocols, "    ssl_protocols %s;\n", o->tls_protocols);
    fprintf(fp,
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid %s/nginx.pid;\n"
            "error_log %s/error.log info;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "  log_format edge '$connection $server_protocol $request_method $uri $status $ssl_session_reused "
            "$ssl_protocol';\n"
            "  access_log %s/access.log edge;\n"
            "  client_body_temp_path %s/body; proxy_temp_path %s/proxy; fastcgi_temp_path %s/fastcgi;\n"
            "  uwsgi_temp_path %s/uwsgi; scgi_temp_path %s/scgi;\n"
            "  upstream mock { server 127.0.0.1:%u; keepalive 32; }\n"
            "  server {\n"
            "    listen 127.0.0.1:%u ssl%s;\n"
            "    ssl_certificate %s/server.pem; ssl_certificate_key %s/server.key;\n"
            "%s"
            "    ssl_session_cache shared:edge:1m; ssl_session_timeout 10m; ssl_session_tickets on;\n"
            "    keepalive_requests %d; keepalive_timeout 60s;\n"
            "    http2_body_preread_size %d;\n"
            "%s"
            "    location / {\n"
            "      proxy_pass http://mock; proxy_http_version 1.1; proxy_set_header Connection \"\";\n"
            "      proxy_set_header Host $http_host; proxy_buffering off;\n"
            "      %s\n"
            "    }\n"
            "  }\n"
            "}\n",
            d, d, d, d, d, d, d, d, (unsigned)o->upstream_port, (unsigned)e->port, o->http1_only ? "" : " http2",
            certs, certs, protocols,
            o->keepalive_requests > 0 ? o->keepalive_requests : 1000, o->body_preread > 0 ? o->body_preread : 65536,
            o->reset_bad_upstream ? "    error_page 502 = @reset;\n    location @reset { return 444; }\n" : "", files);
    return fclose(fp) == 0 ? 0 : -1;
}

int nginx_edge_start(nginx_edge *e, const edge_opts *o)
{
    memset(e, 0, sizeof *e);
    e->pid = -1;
    const char *nginx = getenv("MX_NGINX"), *certs = getenv("MX_TEST_CERTS");
    if (!nginx || !*nginx || !certs || !*certs) {
        printf("# MX_NGINX or MX_TEST_CERTS is not set\n");
        return -1;
    }
    if (certs[0] != '/') {
        printf("# MX_TEST_CERTS must be an absolute path\n");
        return -1;
    }
    char tmpl[] = "/tmp/mx-nginx-XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    e->dir = strdup(tmpl);
    snprintf(e->ca_file, sizeof e->ca_file, "%s/ca.pem", certs);
    for (int tries = 0; tries < 5; tries++) {
        e->port = free_port();
        snprintf(e->url, sizeof e->url, "https://127.0.0.1:%u", (unsigned)e->port);
        if (write_conf(e, o, certs) != 0)
            return -1;
        char conf[600];
        snprintf(conf, sizeof conf, "%s/nginx.conf", e->dir);
        pid_t parent = getpid(), pid = fork();
        if (pid < 0)
            return -1;
        if (pid == 0) {
            fx_tie_to_parent(parent);
            char elog[600];
            snprintf(elog, sizeof elog, "%s/error.log", e->dir);
            /* nothing on the test's output (a TAP stream); start-up errors go to the error log */
            int null = open("/dev/null", O_RDWR), err = open(elog, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (null >= 0 && err >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(err, 2);
            }
            execl(nginx, nginx, "-p", e->dir, "-c", conf, "-e", elog, (char *)NULL);
            _exit(127);
        }
        e->pid = pid;
        for (int i = 0; i < 500; i++) { /* up to 5 s */
            if (accepts(e->port))
                return 0;
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                e->pid = -1;
                break; /* it exited: the port was taken meanwhile, or a bad configuration */
            }
            struct timespec ts = {0, 10000000L};
            nanosleep(&ts, NULL);
        }
        if (e->pid > 0) {
            kill(e->pid, SIGKILL);
            waitpid(e->pid, NULL, 0);
            e->pid = -1;
        }
    }
    printf("# nginx did not start (its error log follows)\n");
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/error.log", e->dir);
    FILE *fp = fopen(path, "r");
    while (fp && fgets(line, sizeof line, fp))
        printf("#   %s", line);
    if (fp)
        fclose(fp);
    nginx_edge_stop(e);
    return -1;
}

void nginx_edge_stop(nginx_edge *e)
{
    if (e->pid > 0) { /* (a zeroed edge has no process and no directory) */
        kill(e->pid, SIGTERM);
        waitpid(e->pid, NULL, 0);
        e->pid = -1;
    }
    if (e->dir) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", e->dir);
        free(e->dir);
        e->dir = NULL;
    }
}

int nginx_edge_read_log(nginx_edge *e, edge_log *out)
{
    memset(out, 0, sizeof *out);
    char path[600];
    snprintf(path, sizeof path, "%s/access.log", e->dir);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return errno == ENOENT ? 0 : -1;
    unsigned long *seen = NULL, first = 0;
    size_t nseen = 0, cap = 0;
    char *reused = NULL; /* per seen connection: resumed (bit 0), carried HTTP/2 (bit 1) */
    char line[1024];
    while (fgets(line, sizeof line, fp)) {
        unsigned long conn;
        char proto[32], method[16], uri[512], r[8] = "", tls[16] = "";
        int status;
        if (sscanf(line, "%lu %31s %15s %511s %d %7s %15s", &conn, proto, method, uri, &status, r, tls) < 5)
            continue;
        snprintf(out->tls, sizeof out->tls, "%s", tls);
        out->requests++;
        int h2 = strcmp(proto, "HTTP/2.0") == 0;
        out->h2_requests += h2;
        if (strcmp(method, "POST") == 0) {
            out->posts++;
            out->posts_h2 += h2;
        } else if (strcmp(method, "GET") == 0) {
            out->gets++;
            out->gets_h2 += h2;
        }
        if (status >= 500)
            out->status_5xx++;
        if (status == 444)
            out->status_444++;
        if (strncmp(uri, "/files/", 7) == 0) {
            out->file_requests++;
            out->file_h2 += h2;
        }
        size_t i = 0;
        while (i < nseen && seen[i] != conn)
            i++;
        if (i == nseen) {
            if (nseen == cap) {
                cap = cap ? cap * 2 : 64;
                unsigned long *p = realloc(seen, cap * sizeof *p);
                char *q = realloc(reused, cap);
                if (p)
                    seen = p;
                if (q)
                    reused = q;
                if (!p || !q)
                    break;
            }
            reused[nseen] = 0;
            seen[nseen++] = conn;
        }
        if (strcmp(r, "r") == 0)
            reused[i] |= 1;
        if (h2)
            reused[i] |= 2;
        if (out->requests == 1 || conn < first)
            first = conn;
    }
    fclose(fp);
    for (size_t i = 0; i < nseen; i++) {
        out->resumed += (reused[i] & 1) != 0;
        out->h2_connections += (reused[i] & 2) != 0;
        if (seen[i] == first)
            out->first_resumed = (reused[i] & 1) != 0;
    }
    free(seen);
    free(reused);
    out->connections = nseen;
    return 0;
}

size_t nginx_edge_error_log_count(nginx_edge *e, const char *needle)
{
    char path[600], line[2048];
    snprintf(path, sizeof path, "%s/error.log", e->dir);
    FILE *fp = fopen(path, "r");
    size_t n = 0;
    while (fp && fgets(line, sizeof line, fp))
        n += strstr(line, needle) != NULL;
    if (fp)
        fclose(fp);
    return n;
}

int nginx_edge_read_log_settled(nginx_edge *e, edge_log *out, int64_t want)
{
    for (int i = 0; i < 100; i++) { /* up to 2 s */
        if (nginx_edge_read_log(e, out) != 0)
            return -1;
        if ((int64_t)out->requests >= want)
            break;
        struct timespec ts = {0, 20000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}
