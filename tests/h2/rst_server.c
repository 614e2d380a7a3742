/* rst_server.c - see rst_server.h. */
#include "rst_server.h"
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int rst_server_count(const rst_server *s, const char *kind)
{
    FILE *fp = fopen(s->out, "r");
    char line[128];
    int n = 0;
    size_t k = strlen(kind);
    while (fp && fgets(line, sizeof line, fp))
        n += strncmp(line, kind, k) == 0 && line[k] == ' ';
    if (fp)
        fclose(fp);
    return n;
}

static unsigned read_port(const rst_server *s)
{
    FILE *fp = fopen(s->out, "r");
    char line[128];
    unsigned port = 0;
    while (fp && fgets(line, sizeof line, fp) && port == 0)
        if (sscanf(line, "port %u", &port) != 1)
            port = 0;
    if (fp)
        fclose(fp);
    return port;
}

int rst_server_start(rst_server *s, int reset_post)
{
    memset(s, 0, sizeof *s);
    s->pid = -1;
    const char *py = getenv("MX_PYTHON_H2"), *script = getenv("MX_RST_SERVER"), *certs = getenv("MX_TEST_CERTS");
    if (!py || !*py || !script || !*script || !certs || !*certs) {
        printf("# MX_PYTHON_H2, MX_RST_SERVER or MX_TEST_CERTS is not set\n");
        return -1;
    }
    snprintf(s->out, sizeof s->out, "/tmp/mx-rst-XXXXXX");
    int fd = mkstemp(s->out);
    if (fd < 0)
        return -1;
    char arg[16];
    snprintf(arg, sizeof arg, "%d", reset_post);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        close(fd);
        return -1;
    }
    if (pid == 0) {
        fx_tie_to_parent(parent);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0)
            dup2(null, 0);
        dup2(fd, 1);
        dup2(fd, 2); /* a traceback, if any, lands with the events */
        execl(py, py, script, certs, arg, (char *)NULL);
        _exit(127);
    }
    close(fd);
    s->pid = pid;
    for (int i = 0; i < 500; i++) { /* up to 5 s */
        unsigned port = read_port(s);
        if (port) {
            s->port = (uint16_t)port;
            snprintf(s->url, sizeof s->url, "https://127.0.0.1:%u", port);
            return 0;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            s->pid = -1;
            break;
        }
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    printf("# the HTTP/2 reset server did not start\n");
    rst_server_stop(s);
    return -1;
}

void rst_server_stop(rst_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = -1;
    }
    if (s->out[0]) {
        unlink(s->out);
        s->out[0] = '\0';
    }
}
