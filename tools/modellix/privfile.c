/* privfile.c - the tool's owner-only files (config.json, poll-stats.json): making their directory
 * (0700, or an existing one made owner-only), reading one (a regular file, not a symbolic link, of bounded size; made 0600) and replacing
 * one atomically (a temporary file of mode 0600 in the same directory, renamed over the old one). */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int privfile_make_dir(const char *path)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        errno = EINVAL;
        return -1;
    }
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(dir, 0700) == 0)
        return 0;
    struct stat st;
    if (errno != EEXIST || stat(dir, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    /* an existing directory loses any group and other access; its owner's bits are the owner's */
    return (st.st_mode & 077) ? chmod(dir, st.st_mode & 0700) : 0;
}

int privfile_read(const char *path, size_t max, char **text_out, size_t *len_out)
{
    *text_out = NULL;
    *len_out = 0;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return errno == ENOENT ? 1 : -1; /* ELOOP: a symbolic link */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = ELOOP; /* not a regular file: refused as a symbolic link is */
        return -1;
    }
    if ((uintmax_t)st.st_size > (uintmax_t)max) {
        close(fd);
        errno = EFBIG;
        return -1;
    }
    (void)fchmod(fd, 0600);
    char *text = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    int e = 0;
    while (text && got < (size_t)st.st_size) {
        ssize_t r = read(fd, text + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            e = errno;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!text || e) {
        free(text);
        errno = text ? e : ENOMEM;
        return -1;
    }
    text[got] = '\0';
    *text_out = text;
    *len_out = got;
    return 0;
}

int privfile_replace(const char *path, const char *text, size_t len, int durable)
{
    char dir[4096], tmp[4200];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (!slash) {
        errno = EINVAL;
        return -1;
    }
    *slash = '\0';
    /* ".config.json.<pid>.XXXXXX": next to the file, so that the rename stays on one file system */
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.XXXXXX", dir, slash + 1, (long)getpid());
    int fd = mkstemp(tmp); /* 0600, O_EXCL */
    if (fd < 0)
        return -1;
    int ok = 1;
    size_t off = 0;
    while (ok && off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    ok = ok && (!durable || fsync(fd) == 0);
    int e = ok ? 0 : errno;
    if (close(fd) != 0 && ok) {
        ok = 0;
        e = errno;
    }
    if (ok && rename(tmp, path) != 0) {
        ok = 0;
        e = errno;
    }
    if (!ok) {
        unlink(tmp);
        errno = e ? e : EIO;
        return -1;
    }
    if (durable) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    return 0;
}
