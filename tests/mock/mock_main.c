/* mock_main.c - modellix-mock, the standalone face of the mock server.
 *
 * Prints its base URL as the first line of stdout, then serves until SIGINT or SIGTERM (exit 0). */
#include "mock.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *to)
{
    fprintf(to,
            "usage: modellix-mock [options]\n"
            "  --port N            listen on 127.0.0.1:N (0 = any free port; default 0)\n"
            "  --bind ADDR         loopback address to listen on (127.x.x.x or ::1; default 127.0.0.1)\n"
            "  --api-key K         accept this Bearer key (repeatable; none = any well-formed key)\n"
            "  --duration-ms N     every task takes N ms (default: per-model, 1.5-6 s)\n"
            "  --max-running N     team concurrency limit (default 3; 0 = unlimited)\n"
            "  --rate-limit N      requests per minute (default 0 = unlimited)\n"
            "  --result-ttl-ms N   result files expire N ms after the task ends (default 24 h)\n"
            "  --threads N         server threads (default 2)\n"
            "  --tls-cert FILE     serve HTTPS with this PEM certificate (needs --tls-key)\n"
            "  --tls-key FILE      the certificate's PEM private key\n"
            "  --help              this text\n"
            "  --version           print the version (the libmodellix version it ships with) and exit\n"
            "The first line printed on stdout is the base URL, e.g. http://127.0.0.1:40123.\n"
            "Control interface: /_mock/faults, /_mock/counters, /_mock/reset, /_mock/config, /_mock/tasks.\n");
}

static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    enum { O_PORT = 1, O_BIND, O_KEY, O_DURATION, O_MAXRUN, O_RATE, O_TTL, O_THREADS, O_CERT, O_CERTKEY, O_HELP,
           O_VERSION };
    static const struct option opts[] = {
        {"port", required_argument, NULL, O_PORT},         {"bind", required_argument, NULL, O_BIND},
        {"api-key", required_argument, NULL, O_KEY},       {"duration-ms", required_argument, NULL, O_DURATION},
        {"max-running", required_argument, NULL, O_MAXRUN}, {"rate-limit", required_argument, NULL, O_RATE},
        {"result-ttl-ms", required_argument, NULL, O_TTL}, {"threads", required_argument, NULL, O_THREADS},
        {"tls-cert", required_argument, NULL, O_CERT},     {"tls-key", required_argument, NULL, O_CERTKEY},
        {"help", no_argument, NULL, O_HELP},               {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0}};
    mock_config cfg;
    mock_config_init(&cfg);
    const char **keys = calloc((size_t)argc + 1, sizeof *keys);
    if (keys == NULL)
        return 1;
    size_t n_keys = 0;
    int c;
    long long v = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case O_PORT:
            bad = parse_int(optarg, 0, 65535, &v);
            cfg.port = (uint16_t)v;
            break;
        case O_BIND:
            cfg.bind_address = optarg;
            break;
        case O_KEY:
            keys[n_keys++] = optarg;
            break;
        case O_DURATION:
            bad = parse_int(optarg, 0, LLONG_MAX / 2, &v);
            cfg.duration_ms = v;
            break;
        case O_MAXRUN:
            bad = parse_int(optarg, 0, INT32_MAX, &v);
            cfg.max_running = (int32_t)v;
            break;
        case O_RATE:
            bad = parse_int(optarg, 0, INT32_MAX, &v);
            cfg.rate_limit = (int32_t)v;
            break;
        case O_TTL:
            bad = parse_int(optarg, 0, LLONG_MAX / 2, &v);
            cfg.result_ttl_ms = v;
            break;
        case O_THREADS:
            bad = parse_int(optarg, 1, 64, &v);
            cfg.threads = (int32_t)v;
            break;
        case O_CERT:
            cfg.tls_cert_file = optarg;
            break;
        case O_CERTKEY:
            cfg.tls_key_file = optarg;
            break;
        case O_HELP:
            usage(stdout);
            free(keys);
            return 0;
        case O_VERSION:
            printf("modellix-mock %s\n", MODELLIX_MOCK_VERSION);
            free(keys);
            return 0;
        default:
            usage(stderr);
            free(keys);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "modellix-mock: bad value '%s' for --%s\n", optarg, opts[c - 1].name);
            free(keys);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "modellix-mock: unexpected argument '%s'\n", argv[optind]);
        free(keys);
        return 2;
    }
    cfg.api_keys = n_keys > 0 ? keys : NULL;
    cfg.n_api_keys = n_keys;

    /* Block the stop signals before any server thread exists, so only sigwait() below sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    mock_server *m = NULL;
    if (mock_server_start(&m, &cfg) != 0) {
        fprintf(stderr, "modellix-mock: cannot start (port busy, bad configuration or unreadable TLS files)\n");
        free(keys);
        return 1;
    }
    printf("%s\n", mock_server_url(m));
    fflush(stdout);

    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    mock_server_stop(m);
    free(keys);
    return 0;
}
