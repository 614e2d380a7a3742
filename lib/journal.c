/* journal.c - the task journal's writer: opening the file safely, appending one record under the
 * file's lock, compaction, clearing, and the lifecycle hooks (intent, accepted, final).
 *
 * Concurrency. Every writer (any process, any client) appends with one write(2) on an O_APPEND
 * descriptor while holding flock(LOCK_EX) on the file. Compaction, under the same lock, reads the
 * file, writes the kept entries to "<path>.tmp.<pid>", fdatasyncs it, renames it over the path and
 * fsyncs the directory; only then does it let go of the old file's lock. A writer that was waiting
 * for that lock (or that opened the file long ago) finds, once it holds the lock, that the path no
 * longer names its file (st_dev/st_ino differ): it re-opens the path and locks again. So no record
 * ever lands in a replaced file. Readers take LOCK_SH and see whole records only.
 *
 * Torn records. A write cut short (a full disk, a crash of the machine) leaves a line without its
 * newline; the next append, under the lock, sees that the file does not end in '\n' and starts with
 * one, so only the torn record is lost, and readers skip it (its checksum fails). */
#include "internal.h"
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct mx_journal {
    char *path;
    char *profile;
    int fd;
    dev_t dev;
    ino_t ino;
    int32_t sync;
    int64_t max_bytes;
    int64_t next_compact; /* compact when an append leaves the file larger than this */
    int32_t keep;
    char compact_err[200]; /* the last compaction failure, for the hooks to log; "" = none */
};

static atomic_uint_fast64_t intent_counter;

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Create the missing directories of path's parent, owner-only. */
static int make_parents(const char *path, char *err, size_t errlen)
{
    char *p = mx_strdup(path);
    if (!p)
        return MODELLIX_ENOMEM;
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) {
            mx_fmt(err, errlen, "cannot create the directory %s: %s", p, strerror(errno));
            free(p);
            return MODELLIX_EIO;
        }
        *s = '/';
    }
    free(p);
    return MODELLIX_OK;
}

/* Open the journal file at j->path into j->fd and check it. No descriptor is left on failure. */
static int open_file(mx_journal *j, char *err, size_t errlen)
{
    int fd = open(j->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        mx_fmt(err, errlen, "cannot open %s: %s", j->path, e == ELOOP ? "it is a symbolic link" : strerror(e));
        return e == ELOOP ? MODELLIX_EUNSAFE : MODELLIX_EIO;
    }
    struct stat st;
    int rc = MODELLIX_OK;
    if (fstat(fd, &st) != 0) {
        mx_fmt(err, errlen, "cannot inspect %s: %s", j->path, strerror(errno));
        rc = MODELLIX_EIO;
    } else if (!S_ISREG(st.st_mode)) {
        mx_fmt(err, errlen, "%s is not a regular file", j->path);
        rc = MODELLIX_EUNSAFE;
    } else if (st.st_uid != geteuid()) {
        mx_fmt(err, errlen, "%s belongs to another user", j->path);
        rc = MODELLIX_EUNSAFE;
    } else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        mx_fmt(err, errlen, "%s is writable by other users (mode %04o); make it 0600", j->path,
               (unsigned)(st.st_mode & 07777));
        rc = MODELLIX_EUNSAFE;
    } else if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
        mx_fmt(err, errlen, "cannot make %s owner-only: %s", j->path, strerror(errno));
        rc = MODELLIX_EIO;
    }
    if (rc != MODELLIX_OK) {
        close(fd);
        return rc;
    }
    if (j->fd >= 0)
        close(j->fd);
    j->fd = fd;
    j->dev = st.st_dev;
    j->ino = st.st_ino;
    return MODELLIX_OK;
}

int mx_journal_open(mx_journal **out, const mx_journal_conf *conf, char *err, size_t errlen)
{
    *out = NULL;
    mx_journal *j = calloc(1, sizeof *j);
    if (!j)
        return MODELLIX_ENOMEM;
    j->fd = -1;
    j->sync = conf->sync;
    j->max_bytes = conf->max_bytes > 0 ? conf->max_bytes : MX_JOURNAL_DEFAULT_MAX_BYTES;
    j->next_compact = j->max_bytes;
    j->keep = conf->keep_finished >= 0 ? conf->keep_finished : MX_JOURNAL_DEFAULT_KEEP;
    j->path = mx_strdup(conf->path);
    j->profile = conf->profile ? mx_strdup(conf->profile) : NULL;
    int rc = !j->path || (conf->profile && !j->profile) ? MODELLIX_ENOMEM : MODELLIX_OK;
    if (rc == MODELLIX_OK)
        rc = make_parents(j->path, err, errlen);
    if (rc == MODELLIX_OK)
        rc = open_file(j, err, errlen);
    if (rc != MODELLIX_OK) {
        if (rc == MODELLIX_ENOMEM)
            mx_fmt(err, errlen, "out of memory");
        mx_journal_close(j);
        return rc;
    }
    *out = j;
    return MODELLIX_OK;
}

void mx_journal_close(mx_journal *j)
{
    if (!j)
        return;
    if (j->fd >= 0)
        close(j->fd);
    free(j->path);
    free(j->profile);
    free(j);
}

const char *mx_journal_path(const mx_journal *j) { return j->path; }
const char *mx_journal_profile(const mx_journal *j) { return j->profile; }

/* Hold LOCK_EX on the file the path names now (re-opening it after another process replaced it). */
static int lock_current(mx_journal *j, char *err, size_t errlen)
{
    for (int tries = 0; tries < 100; tries++) {
        while (flock(j->fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                mx_fmt(err, errlen, "cannot lock %s: %s", j->path, strerror(errno));
                return MODELLIX_EIO;
            }
        }
        struct stat st;
        if (stat(j->path, &st) == 0 && st.st_dev == j->dev && st.st_ino == j->ino)
            return MODELLIX_OK;
        flock(j->fd, LOCK_UN);
        int rc = open_file(j, err, errlen); /* replaced by a compaction, or removed */
        if (rc != MODELLIX_OK)
            return rc;
    }
    mx_fmt(err, errlen, "%s keeps being replaced", j->path);
    return MODELLIX_EIO;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void fsync_dir(const char *path)
{
    char *d = mx_strdup(path);
    if (!d)
        return;
    char *slash = strrchr(d, '/');
    const char *dir = slash ? (slash == d ? "/" : (*slash = '\0', d)) : ".";
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(d);
}

/* Rewrite the file (lock held): every unfinished entry, and the newest j->keep finished ones. */
static int compact(mx_journal *j, char *err, size_t errlen)
{
    char *data = NULL, *out = NULL, *tmp = NULL;
    size_t len = 0, olen = 0, ocap = 0;
    modellix_journal snap = {0};
    int rc = mx_journal_read_fd(j->fd, &data, &len);
    if (rc == MODELLIX_OK)
        rc = mx_journal_parse(&snap, data, len);
    free(data);
    size_t finished = 0;
    for (size_t i = 0; i < snap.n; i++)
        finished += mx_journal_is_finished(snap.e[i].state);
    size_t drop = finished > (size_t)j->keep ? finished - (size_t)j->keep : 0;
    for (size_t i = 0; i < snap.n && rc == MODELLIX_OK; i++) {
        if (mx_journal_is_finished(snap.e[i].state) && drop > 0) {
            drop--; /* the oldest finished entries go */
            continue;
        }
        rc = mx_journal_entry_records(&snap.e[i], &out, &olen, &ocap);
    }
    mx_journal_entries_free(&snap);
    size_t tl = strlen(j->path) + 32;
    if (rc == MODELLIX_OK && !(tmp = malloc(tl)))
        rc = MODELLIX_ENOMEM;
    if (rc != MODELLIX_OK) {
        mx_fmt(err, errlen, "compacting %s: %s", j->path, modellix_strerror(rc));
        free(out);
        return rc;
    }
    mx_fmt(tmp, tl, "%s.tmp.%ld", j->path, (long)getpid());
    unlink(tmp); /* a leftover of a process with our pid that died compacting */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || write_all(fd, out ? out : "", olen) != 0 || fdatasync(fd) != 0 || rename(tmp, j->path) != 0) {
        mx_fmt(err, errlen, "compacting %s: %s", j->path, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(out);
        free(tmp);
        return MODELLIX_EIO;
    }
    close(fd);
    free(out);
    free(tmp);
    fsync_dir(j->path);
    /* Switch to the new file; closing the old descriptor releases the old file's lock, and whoever
       waited for it will find the path replaced and re-open it. */
    rc = open_file(j, err, errlen);
    if (rc == MODELLIX_OK) {
        int64_t half = (int64_t)olen * 2;
        j->next_compact = half > j->max_bytes ? half : j->max_bytes;
    }
    return rc;
}

/* Append one record (JSON text) under the lock; flush it if `sync`; compact if the file got too big. */
static int append(mx_journal *j, const char *json, int sync, char *err, size_t errlen)
{
    size_t ll;
    char *line = mx_journal_line(json, &ll);
    if (!line) {
        mx_fmt(err, errlen, "out of memory");
        return MODELLIX_ENOMEM;
    }
    int rc = lock_current(j, err, errlen);
    if (rc != MODELLIX_OK) {
        free(line);
        return rc;
    }
    struct stat st;
    char last = '\n';
    if (fstat(j->fd, &st) != 0 || (st.st_size > 0 && pread(j->fd, &last, 1, st.st_size - 1) != 1)) {
        mx_fmt(err, errlen, "cannot read %s: %s", j->path, strerror(errno));
        rc = MODELLIX_EIO;
    }
    const char *w = line;
    if (rc == MODELLIX_OK && last != '\n') {
        /* the file ends in a torn record: start on a fresh line, in the same write */
        char *fresh = malloc(ll + 1);
        if (fresh) {
            fresh[0] = '\n';
            memcpy(fresh + 1, line, ll);
            free(line);
            line = fresh;
            w = line;
            ll++;
        } else {
            rc = MODELLIX_ENOMEM;
        }
    }
    if (rc == MODELLIX_OK && write_all(j->fd, w, ll) != 0) {
        mx_fmt(err, errlen, "cannot write to %s: %s", j->path, strerror(errno));
        rc = MODELLIX_EIO;
    }
    if (rc == MODELLIX_OK && sync && fdatasync(j->fd) != 0) {
        mx_fmt(err, errlen, "cannot flush %s to the disk: %s", j->path, strerror(errno));
        rc = MODELLIX_EIO;
    }
    free(line);
    if (rc == MODELLIX_OK && (int64_t)st.st_size + (int64_t)ll > j->next_compact &&
        compact(j, j->compact_err, sizeof j->compact_err) != MODELLIX_OK)
        j->next_compact = (int64_t)st.st_size * 2; /* try again later, not on every append */
    flock(j->fd, LOCK_UN);
    return rc;
}

static int append_record(mx_journal *j, json_t *rec, int sync, char *err, size_t errlen)
{
    char *js = rec ? json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(rec);
    if (!js) {
        mx_fmt(err, errlen, "out of memory");
        return MODELLIX_ENOMEM;
    }
    int rc = append(j, js, sync, err, errlen);
    free(js);
    return rc;
}

int mx_journal_intent(mx_journal *j, const char *base_url, const char *slug, char **intent_id_out, char *err,
                      size_t errlen)
{
    *intent_id_out = NULL;
    int64_t now = wall_ms();
    char id[64];
    mx_fmt(id, sizeof id, "%llx-%lx-%llx", (unsigned long long)now, (unsigned long)getpid(),
           (unsigned long long)atomic_fetch_add(&intent_counter, 1));
    json_t *rec = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:I}", "v", 1, "r", "intent", "id", id, "ts",
                            (json_int_t)now, "base", base_url, "slug", slug, "pid", (json_int_t)getpid());
    if (rec && j->profile && json_object_set_new(rec, "profile", json_string(j->profile)) != 0) {
        json_decref(rec);
        rec = NULL;
    }
    int rc = append_record(j, rec, j->sync != MODELLIX_JOURNAL_SYNC_NONE, err, errlen);
    if (rc == MODELLIX_OK && !(*intent_id_out = mx_strdup(id))) {
        mx_fmt(err, errlen, "out of memory");
        rc = MODELLIX_ENOMEM;
    }
    return rc;
}

int mx_journal_accepted(mx_journal *j, const char *intent_id, const char *task_id, char *err, size_t errlen)
{
    json_t *rec = json_pack("{s:i, s:s, s:s, s:s, s:I}", "v", 1, "r", "accepted", "id", intent_id, "task", task_id,
                            "ts", (json_int_t)wall_ms());
    return append_record(j, rec, j->sync != MODELLIX_JOURNAL_SYNC_NONE, err, errlen);
}

int mx_journal_final(mx_journal *j, const char *intent_id, const char *task_id, int32_t state, char *err,
                     size_t errlen)
{
    const char *word = mx_journal_state_word(state);
    if (!word || !mx_journal_is_finished(state) || (!intent_id && !task_id)) {
        mx_fmt(err, errlen, "bad final record");
        return MODELLIX_EINVAL;
    }
    json_t *rec = json_pack("{s:i, s:s, s:s, s:I}", "v", 1, "r", "final", "state", word, "ts", (json_int_t)wall_ms());
    if (rec && ((intent_id && json_object_set_new(rec, "id", json_string(intent_id)) != 0) ||
                (task_id && json_object_set_new(rec, "task", json_string(task_id)) != 0))) {
        json_decref(rec);
        rec = NULL;
    }
    return append_record(j, rec, j->sync == MODELLIX_JOURNAL_SYNC_ALL, err, errlen);
}

int modellix_journal_clear(const char *path)
{
    if (!path || !*path)
        return MODELLIX_EINVAL;
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? MODELLIX_OK : errno == ELOOP ? MODELLIX_EUNSAFE : MODELLIX_EIO;
    struct stat st;
    int rc = mx_journal_check_lock(fd, LOCK_EX, &st);
    /* a compaction that replaced the file meanwhile: clear the new one (the old one is unreachable) */
    struct stat now;
    if (rc == MODELLIX_OK && stat(path, &now) == 0 && (now.st_ino != st.st_ino || now.st_dev != st.st_dev)) {
        close(fd);
        return modellix_journal_clear(path);
    }
    if (rc == MODELLIX_OK && (ftruncate(fd, 0) != 0 || fdatasync(fd) != 0))
        rc = MODELLIX_EIO;
    close(fd);
    return rc;
}

/* ---- the lifecycle hooks ---- */

static void log_compaction(modellix_client *c)
{
    mx_journal *j = c->journal;
    if (j->compact_err[0]) {
        mx_log(c, MODELLIX_LOG_WARN, "task journal: %s", j->compact_err);
        j->compact_err[0] = '\0';
    }
}

int mx_journal_task_intent(modellix_task *t, char *msg, size_t msgcap)
{
    modellix_client *c = t->c;
    if (!c->journal)
        return MODELLIX_OK;
    char err[300], *id;
    int rc = mx_journal_intent(c->journal, c->base_url, t->slug, &id, err, sizeof err);
    log_compaction(c);
    if (rc != MODELLIX_OK) {
        mx_fmt(msg, msgcap, "POST %s: not sent, because the task journal could not record it: %s",
               t->sub_path ? t->sub_path : "", err);
        return rc;
    }
    free(t->j_intent);
    t->j_intent = id;
    t->j_settled = 0;
    return MODELLIX_OK;
}

void mx_journal_task_accepted(modellix_task *t)
{
    modellix_client *c = t->c;
    if (!c->journal || !t->j_intent || !t->id)
        return;
    char err[300];
    if (mx_journal_accepted(c->journal, t->j_intent, t->id, err, sizeof err) != MODELLIX_OK)
        mx_log(c, MODELLIX_LOG_WARN, "task %s was accepted but the task journal could not record it: %s", t->id, err);
    log_compaction(c);
}

void mx_journal_task_settled(modellix_task *t)
{
    modellix_client *c = t->c;
    if (!c->journal || t->j_settled)
        return;
    int32_t state;
    switch (t->state) {
    case MX_TS_SUCCESS:
        state = MODELLIX_JOURNAL_SUCCESS;
        break;
    case MX_TS_FAILED:
        state = MODELLIX_JOURNAL_FAILED;
        break;
    case MX_TS_UNKNOWN:
        state = MODELLIX_JOURNAL_UNKNOWN;
        break;
    case MX_TS_REJECTED:
    case MX_TS_SKIPPED: /* an intent written, then freed before a byte left */
        state = MODELLIX_JOURNAL_REJECTED;
        break;
    default:
        return; /* a poll failed: the task goes on, and stays resumable */
    }
    if (!t->id && !t->j_intent)
        return; /* never sent: the journal never heard of it */
    char err[300];
    t->j_settled = 1;
    if (mx_journal_final(c->journal, t->j_intent, t->id, state, err, sizeof err) != MODELLIX_OK)
        mx_log(c, MODELLIX_LOG_WARN, "task journal: cannot record the outcome of %s: %s",
               t->id ? t->id : "a submission", err);
    log_compaction(c);
}
