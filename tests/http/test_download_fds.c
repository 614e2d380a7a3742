/* HTTP tests: every descriptor the library opens is close-on-exec (issue 12, item 12): the download's
 * temporary file and sockets, the API connections kept for reuse, the engine's own descriptors. A
 * program that forks and execs while a download runs must not leak them into the child.
 *
 * The check walks /proc/self/fd from inside the progress callback (the temporary file and the
 * file host's connection are open then) and after the download, and looks at every descriptor
 * that did not exist before the client was made. */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FD 1024

typedef struct walk {
    /* open before the client existed (the test's and the mock's), by identity: the mock's threads close
       and open descriptors all the time, so a number alone may be reused by the library's */
    int was_open[MAX_FD];
    dev_t dev[MAX_FD];
    ino_t ino[MAX_FD];
    int checked;                  /* descriptors looked at */
    int leaky;                    /* of which without FD_CLOEXEC */
    int saw_tmp;                  /* the download's temporary file was among them */
    int sockets;
    char leaks[1024];
    int calls;
    unsigned server_port;
} walk;

static void snapshot(walk *w)
{
    memset(w->was_open, 0, sizeof w->was_open);
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    struct dirent *e;
    struct stat st;
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd < MAX_FD && fstat(fd, &st) == 0) {
            w->was_open[fd] = 1;
            w->dev[fd] = st.st_dev;
            w->ino[fd] = st.st_ino;
        }
    }
    closedir(d);
}

/* The local and remote TCP ports of the socket with this inode (from /proc/self/net/tcp and tcp6),
   or 0: a unix socket or a pair. */
static int tcp_ports(const char *link, unsigned *local, unsigned *remote)
{
    unsigned long inode = strtoul(link + strlen("socket:["), NULL, 10);
    static const char *const tables[] = {"/proc/self/net/tcp", "/proc/self/net/tcp6"};
    for (size_t i = 0; i < 2; i++) {
        FILE *fp = fopen(tables[i], "r");
        char line[512];
        if (!fp)
            continue;
        while (fgets(line, sizeof line, fp)) {
            char la[64], ra[64];
            unsigned long ino = 0;
            if (sscanf(line, " %*d: %63s %63s %*x %*s %*s %*s %*d %*d %lu", la, ra, &ino) == 3 && ino == inode) {
                *local = (unsigned)strtoul(strchr(la, ':') + 1, NULL, 16);
                *remote = (unsigned)strtoul(strchr(ra, ':') + 1, NULL, 16);
                fclose(fp);
                return 1;
            }
        }
        fclose(fp);
    }
    return 0;
}

static void check_new_fds(walk *w)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int self = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        struct stat st;
        if (fd <= 2 || fd == self || fd >= MAX_FD || fstat(fd, &st) != 0)
            continue;
        if (w->was_open[fd] && w->dev[fd] == st.st_dev && w->ino[fd] == st.st_ino)
            continue;
        char path[64], link[256];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, link, sizeof link - 1);
        link[n > 0 ? n : 0] = '\0';
        int flags = fcntl(fd, F_GETFD);
        if (flags < 0)
            continue; /* closed meanwhile (another thread: the mock's) */
        unsigned lport = 0, rport = 0;
        if (strncmp(link, "socket:", 7) == 0 && tcp_ports(link, &lport, &rport)) {
            if (lport == w->server_port)
                continue; /* the in-process mock's end of a connection: not the library's */
            if (rport == w->server_port)
                w->sockets++; /* the library's connection to the mock */
        }
        w->checked++;
        if (strstr(link, ".modellix-download-"))
            w->saw_tmp = 1;
        if (!(flags & FD_CLOEXEC)) {
            w->leaky++;
            size_t l = strlen(w->leaks);
            snprintf(w->leaks + l, sizeof w->leaks - l, " %d=%s", fd, link);
        }
    }
    closedir(d);
}

static int on_progress(const modellix_task *t, size_t index, int64_t received, int64_t total, void *ud)
{
    (void)t;
    (void)index;
    (void)total;
    walk *w = ud;
    if (received > 0 && !w->calls++)
        check_new_fds(w);
    return 0;
}

static modellix_client *client_with_progress(fixture *f, walk *w)
{
    modellix_options *o;
    assert_int_equal(modellix_options_new(&o), MODELLIX_OK);
    assert_int_equal(modellix_options_set_api_key(o, FX_KEY), MODELLIX_OK);
    /* the API through "localhost", the files through "127.0.0.1": the download cannot reuse the API's
       connection, and opens one of its own through its own socket hook */
    char base[64];
    snprintf(base, sizeof base, "http://localhost:%u", (unsigned)mock_server_port(f->m));
    assert_int_equal(modellix_options_set_base_url(o, base), MODELLIX_OK);
    assert_int_equal(modellix_options_set_progress_callback(o, on_progress, w, NULL), MODELLIX_OK);
    modellix_client *c;
    assert_int_equal(modellix_client_new(&c, o), MODELLIX_OK);
    modellix_options_free(o);
    return c;
}

static void test_descriptors_are_cloexec(void **state)
{
    fixture *f = *state;
    static walk w;
    memset(&w, 0, sizeof w);
    snapshot(&w);
    w.server_port = mock_server_port(f->m);
    modellix_client *c = client_with_progress(f, &w);
    modellix_task *t;
    assert_int_equal(modellix_task_submit(&t, c, FX_SLUG, "{\"prompt\":\"fds\",\"mock_duration_ms\":20}"), MODELLIX_OK);
    assert_int_equal(modellix_task_wait(t, 10000), MODELLIX_OK);
    char *dir = fx_make_dir();
    char *path = NULL;
    assert_int_equal(modellix_task_download(t, 0, dir, 0, &path), MODELLIX_OK);
    printf("# during the download: %d new descriptor(s) (%d socket(s)), %d without FD_CLOEXEC:%s\n", w.checked,
           w.sockets, w.leaky, w.leaks);
    assert_true(w.calls > 0);
    assert_true(w.saw_tmp);      /* the temporary file was open and looked at */
    assert_true(w.sockets >= 2); /* and the connections: the API's, kept, and the file host's */
    assert_int_equal(w.leaky, 0);
    /* afterwards: the connections kept for reuse, the engine's descriptors */
    w.checked = w.leaky = w.sockets = 0;
    w.leaks[0] = '\0';
    check_new_fds(&w);
    printf("# after: %d new descriptor(s) (%d socket(s)), %d without FD_CLOEXEC:%s\n", w.checked, w.sockets, w.leaky,
           w.leaks);
    assert_true(w.checked >= 2); /* at least the epoll set and the wake-up eventfd */
    assert_int_equal(w.leaky, 0);
    /* to memory, over the connection kept or a new one: the same */
    w.calls = 0;
    w.checked = w.leaky = w.sockets = 0;
    w.leaks[0] = '\0';
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(modellix_task_download_mem(t, 0, 0, &data, &len), MODELLIX_OK);
    assert_true(len > 0);
    assert_true(w.sockets >= 1);
    assert_int_equal(w.leaky, 0);
    modellix_free(data);
    modellix_free(path);
    fx_remove_dir(dir);
    modellix_task_free(t);
    modellix_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_descriptors_are_cloexec, fx_test_setup, fx_test_teardown),
    };
    return cmocka_run_group_tests_name("download_fds", tests, fx_setup, fx_teardown);
}
