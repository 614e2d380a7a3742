/* auth.c - which profile and which API key a command uses, as the official CLI selects them:
 * profile = --profile, MODELLIX_PROFILE, the saved currentProfile, "default";
 * key     = --api-key, MODELLIX_API_KEY, the selected profile's saved key.
 * Also the terminal prompts: a secret read without echo, and a yes/no confirmation. */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "cli.h"

#include <ctype.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

static const char *trimmed_env(const char *name, char *buf, size_t size)
{
    const char *v = getenv(name);
    if (!v)
        return NULL;
    while (isspace((unsigned char)*v))
        v++;
    size_t len = strlen(v);
    while (len > 0 && isspace((unsigned char)v[len - 1]))
        len--;
    if (len == 0 || len >= size)
        return len == 0 ? NULL : v;
    memcpy(buf, v, len);
    buf[len] = '\0';
    return buf;
}

void auth_free(auth_sel *a)
{
    if (a->key) {
        explicit_bzero(a->key, strlen(a->key));
        free(a->key);
    }
    config_free(&a->cfg);
    memset(a, 0, sizeof *a);
}

int auth_resolve(cli *c, auth_sel *a, char *err, size_t err_size)
{
    char buf[128];
    memset(a, 0, sizeof *a);
    a->key_source = "missing";
    a->cfg_state = config_read(&a->cfg, a->cfg_error, sizeof a->cfg_error);

    const char *p = NULL;
    if (c->profile && (p = c->profile) != NULL) {
        while (isspace((unsigned char)*p))
            p++;
        a->profile_source = "flag";
    }
    if (!p || !*p) {
        p = trimmed_env("MODELLIX_PROFILE", buf, sizeof buf);
        a->profile_source = "environment";
    }
    if (!p || !*p) {
        p = a->cfg_state == 0 ? a->cfg.current : "default";
        a->profile_source = a->cfg_state == 0 ? "config" : "default";
    }
    snprintf(a->profile, sizeof a->profile, "%.79s", p);
    size_t len = strlen(a->profile);
    while (len > 0 && isspace((unsigned char)a->profile[len - 1]))
        a->profile[--len] = '\0';
    if (!profile_name_valid(a->profile, err, err_size))
        return -1;

    const char *env = getenv("MODELLIX_API_KEY");
    while (env && isspace((unsigned char)*env))
        env++;
    if (c->api_key && *c->api_key) {
        a->key = strdup(c->api_key);
        a->key_source = "flag";
    } else if (env && *env) {
        a->key = strdup(getenv("MODELLIX_API_KEY"));
        a->key_source = "environment";
    } else if (a->cfg_state < 0) {
        snprintf(err, err_size, "%s", a->cfg_error); /* a higher-priority key would have been usable */
        return -1;
    } else if (a->cfg_state == 0 && config_key(&a->cfg, a->profile)) {
        a->key = strdup(config_key(&a->cfg, a->profile));
        a->key_source = "config";
    }
    return 0;
}

int auth_interactive(const cli *c)
{
    return !cli_json_errors(c) && !c->quiet && isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

/* Read one line from fd (at most size - 1 bytes kept); the rest of a longer line is discarded. */
static size_t read_line(int fd, char *buf, size_t size, int *too_long)
{
    size_t n = 0;
    char ch;
    *too_long = 0;
    while (read(fd, &ch, 1) == 1 && ch != '\n') {
        if (n + 1 < size)
            buf[n++] = ch;
        else
            *too_long = 1;
    }
    buf[n] = '\0';
    return n;
}

static volatile sig_atomic_t prompt_signal;

static void on_prompt_signal(int sig)
{
    prompt_signal = sig;
}

char *auth_prompt_secret(const char *prompt)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    /* Ctrl-C at the prompt must not leave the terminal without echo: the signal interrupts the read
     * (no SA_RESTART), the terminal is restored, then the signal is raised again with its old action */
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prompt_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct termios old, quiet;
    int have = tcgetattr(fd, &old) == 0;
    if (have) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        quiet.c_lflag |= ICANON;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    fputs(prompt, stderr);
    fflush(stderr);
    char *buf = malloc(16384 + 2);
    int too_long = 0;
    if (buf)
        read_line(fd, buf, 16384 + 2, &too_long);
    if (have)
        tcsetattr(fd, TCSAFLUSH, &old);
    close(fd);
    fputc('\n', stderr);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (prompt_signal) {
        if (buf)
            explicit_bzero(buf, 16384 + 2);
        free(buf);
        raise(prompt_signal);
        return NULL;
    }
    char *key = buf && !too_long ? api_key_normalize(buf) : NULL;
    if (buf) {
        explicit_bzero(buf, 16384 + 2);
        free(buf);
    }
    return key;
}

int auth_confirm(const char *question)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return 0;
    fprintf(stderr, "%s [y/N] ", question);
    fflush(stderr);
    char buf[16];
    int too_long;
    read_line(fd, buf, sizeof buf, &too_long);
    close(fd);
    return !too_long && (strcmp(buf, "y") == 0 || strcmp(buf, "Y") == 0 || strcasecmp(buf, "yes") == 0);
}

char *auth_read_stdin_key(void)
{
    char *buf = malloc(16384 + 2);
    if (!buf)
        return NULL;
    int too_long = 0;
    read_line(STDIN_FILENO, buf, 16384 + 2, &too_long);
    char *key = too_long ? NULL : api_key_normalize(buf);
    explicit_bzero(buf, 16384 + 2);
    free(buf);
    return key;
}
