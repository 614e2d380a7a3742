/* journal_util.h - helpers shared by the journal tests: file bytes, descriptor counts, line counts. */
#ifndef MODELLIX_TEST_JOURNAL_UTIL_H
#define MODELLIX_TEST_JOURNAL_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The whole file (NUL-terminated; "" when missing); *len_out gets its length. Free with free(). */
static inline char *ju_slurp(const char *path, size_t *len_out)
{
    FILE *fp = fopen(path, "rb");
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        abort();
    while (fp) {
        if (len + 1 >= cap && !(buf = realloc(buf, cap *= 2)))
            abort();
        size_t got = fread(buf + len, 1, cap - len - 1, fp);
        if (got == 0)
            break;
        len += got;
    }
    if (fp)
        fclose(fp);
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

/* Open descriptors of this process. */
static inline int ju_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        abort();
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

/* Open descriptors of this process on the file at path. */
static inline int ju_fds_on(const char *path)
{
    struct stat want, st;
    if (stat(path, &want) != 0)
        return 0;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        abort();
    int n = 0;
    struct dirent *e;
    char fdp[300];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(fdp, sizeof fdp, "/proc/self/fd/%s", e->d_name);
        if (stat(fdp, &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino)
            n++;
    }
    closedir(d);
    return n;
}

static inline size_t ju_count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static inline unsigned ju_mode(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    return (unsigned)(st.st_mode & 07777);
}

/* Remove a directory tree made by a test (files and one level of subdirectories). */
static inline void ju_rm_tree(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
    if (system(cmd) != 0)
        abort();
}

#endif
