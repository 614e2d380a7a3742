/* journal_read.c - the journal's record format and parser, the public snapshot API
 * (modellix_journal_*), and resuming a client's unfinished tasks. The writer is journal.c. */
#include "internal.h"
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib's crc32) ---- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t mx_crc32(const void *p, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const unsigned char *b = p;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ b[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

char *mx_journal_line(const char *json, size_t *len_out)
{
    size_t jl = strlen(json);
    char *line = malloc(jl + 11);
    if (!line)
        return NULL;
    mx_fmt(line, 10, "%08x ", (unsigned)mx_crc32(json, jl));
    memcpy(line + 9, json, jl);
    line[9 + jl] = '\n';
    line[10 + jl] = '\0';
    *len_out = jl + 10;
    return line;
}

static const char *const state_words[] = {NULL, "intent", "accepted", "success", "failed", "rejected", "unknown"};

const char *mx_journal_state_word(int32_t state)
{
    return state >= MODELLIX_JOURNAL_INTENT && state <= MODELLIX_JOURNAL_UNKNOWN ? state_words[state] : NULL;
}

static int32_t final_state_of(const char *w)
{
    for (int32_t s = MODELLIX_JOURNAL_SUCCESS; w && s <= MODELLIX_JOURNAL_UNKNOWN; s++)
        if (!strcmp(w, state_words[s]))
            return s;
    return 0;
}

int mx_journal_is_finished(int32_t state)
{
    return state >= MODELLIX_JOURNAL_SUCCESS;
}

/* ---- entries and their lookup tables ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static const char *key_of(const mx_jentry *e, int by_task)
{
    return by_task ? e->task : e->intent;
}

/* The slot holding key in the table, or the empty slot where it would go. */
static size_t *slot_for(const modellix_journal *j, size_t *table, const char *key, int by_task)
{
    size_t mask = j->nslots - 1;
    for (size_t i = (size_t)hash_str(key) & mask;; i = (i + 1) & mask) {
        if (!table[i] || !strcmp(key_of(&j->e[table[i] - 1], by_task), key))
            return &table[i];
    }
}

static mx_jentry *lookup(const modellix_journal *j, const char *key, int by_task)
{
    if (!key || !j->nslots)
        return NULL;
    size_t s = *slot_for(j, by_task ? j->by_task : j->by_intent, key, by_task);
    return s ? &j->e[s - 1] : NULL;
}

static int rehash(modellix_journal *j, size_t nslots)
{
    size_t *bi = calloc(nslots, sizeof *bi), *bt = calloc(nslots, sizeof *bt);
    if (!bi || !bt) {
        free(bi);
        free(bt);
        return MODELLIX_ENOMEM;
    }
    free(j->by_intent);
    free(j->by_task);
    j->by_intent = bi;
    j->by_task = bt;
    j->nslots = nslots;
    for (size_t i = 0; i < j->n; i++) {
        *slot_for(j, bi, j->e[i].intent, 0) = i + 1;
        if (j->e[i].task)
            *slot_for(j, bt, j->e[i].task, 1) = i + 1;
    }
    return MODELLIX_OK;
}

static mx_jentry *add_entry(modellix_journal *j)
{
    if (j->n == j->cap) {
        size_t nc = j->cap ? j->cap * 2 : 16;
        mx_jentry *ne = realloc(j->e, nc * sizeof *ne);
        if (!ne)
            return NULL;
        j->e = ne;
        j->cap = nc;
    }
    mx_jentry *e = &j->e[j->n];
    memset(e, 0, sizeof *e);
    return e;
}

static void entry_free(mx_jentry *e)
{
    free(e->intent);
    free(e->task);
    free(e->slug);
    free(e->base);
    free(e->profile);
}

void mx_journal_entries_free(modellix_journal *j)
{
    for (size_t i = 0; i < j->n; i++)
        entry_free(&j->e[i]);
    free(j->e);
    free(j->by_intent);
    free(j->by_task);
    memset(j, 0, sizeof *j);
}

static char *dup_field(json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s ? mx_strdup(s) : NULL;
}

static int64_t int_field(json_t *o, const char *name)
{
    return (int64_t)json_integer_value(json_object_get(o, name));
}

/* Apply one record. Returns MODELLIX_OK, MODELLIX_ENOMEM, or MODELLIX_EPROTOCOL for a malformed one. */
static int apply(modellix_journal *j, json_t *o)
{
    const char *kind = json_string_value(json_object_get(o, "r"));
    const char *id = json_string_value(json_object_get(o, "id"));
    const char *task = json_string_value(json_object_get(o, "task"));
    int64_t ts = int_field(o, "ts");
    if (!kind)
        return MODELLIX_EPROTOCOL;
    if (!strcmp(kind, "intent")) {
        const char *slug = json_string_value(json_object_get(o, "slug"));
        const char *base = json_string_value(json_object_get(o, "base"));
        if (!id || !slug || !base)
            return MODELLIX_EPROTOCOL;
        if (lookup(j, id, 0))
            return MODELLIX_EPROTOCOL; /* a second intent with one id */
        if ((j->n + 1) * 2 > j->nslots && rehash(j, j->nslots ? j->nslots * 2 : 64) != MODELLIX_OK)
            return MODELLIX_ENOMEM;
        mx_jentry *e = add_entry(j);
        if (!e)
            return MODELLIX_ENOMEM;
        e->intent = mx_strdup(id);
        e->slug = mx_strdup(slug);
        e->base = mx_strdup(base);
        e->profile = dup_field(o, "profile");
        if (!e->intent || !e->slug || !e->base || (json_object_get(o, "profile") && !e->profile)) {
            entry_free(e);
            return MODELLIX_ENOMEM;
        }
        e->created_ms = e->updated_ms = ts;
        e->pid = int_field(o, "pid");
        e->state = MODELLIX_JOURNAL_INTENT;
        j->n++;
        *slot_for(j, j->by_intent, e->intent, 0) = j->n;
        return MODELLIX_OK;
    }
    if (!strcmp(kind, "accepted")) {
        if (!id || !task)
            return MODELLIX_EPROTOCOL;
        mx_jentry *e = lookup(j, id, 0);
        if (!e)
            return MODELLIX_OK; /* its intent was compacted away or cleared */
        if (!e->task) {
            if (!(e->task = mx_strdup(task)))
                return MODELLIX_ENOMEM;
            *slot_for(j, j->by_task, e->task, 1) = (size_t)(e - j->e) + 1;
        }
        if (e->state == MODELLIX_JOURNAL_INTENT)
            e->state = MODELLIX_JOURNAL_ACCEPTED;
        if (ts > e->updated_ms)
            e->updated_ms = ts;
        return MODELLIX_OK;
    }
    if (!strcmp(kind, "final")) {
        int32_t st = final_state_of(json_string_value(json_object_get(o, "state")));
        if (!st || (!id && !task))
            return MODELLIX_EPROTOCOL;
        mx_jentry *e = id ? lookup(j, id, 0) : NULL;
        if (!e)
            e = lookup(j, task, 1);
        if (!e)
            return MODELLIX_OK; /* a task attached from elsewhere, or an entry compacted away */
        e->state = st;
        if (ts > e->updated_ms)
            e->updated_ms = ts;
        return MODELLIX_OK;
    }
    return MODELLIX_EPROTOCOL;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* One line without its newline. A damaged line counts as skipped. */
static int parse_line(modellix_journal *j, const char *p, size_t n)
{
    if (n == 0)
        return MODELLIX_OK;
    uint32_t want = 0;
    int ok = n > 9 && p[8] == ' ';
    for (int i = 0; ok && i < 8; i++) {
        int v = hexval(p[i]);
        ok = v >= 0;
        want = want << 4 | (uint32_t)(v < 0 ? 0 : v);
    }
    if (!ok || mx_crc32(p + 9, n - 9) != want) {
        j->skipped++;
        return MODELLIX_OK;
    }
    json_t *o = json_loadb(p + 9, n - 9, JSON_REJECT_DUPLICATES, NULL);
    int rc = json_is_object(o) ? apply(j, o) : MODELLIX_EPROTOCOL;
    json_decref(o);
    if (rc == MODELLIX_EPROTOCOL) {
        j->skipped++;
        rc = MODELLIX_OK;
    }
    return rc;
}

int mx_journal_parse(modellix_journal *j, const char *data, size_t len)
{
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        if (!nl) { /* a torn last record: no newline yet */
            j->skipped++;
            break;
        }
        int rc = parse_line(j, data + pos, (size_t)(nl - (data + pos)));
        if (rc != MODELLIX_OK)
            return rc;
        pos = (size_t)(nl - data) + 1;
    }
    return MODELLIX_OK;
}

static int put(json_t *rec, char **buf, size_t *len, size_t *cap)
{
    char *js = rec ? json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    json_decref(rec);
    size_t ll;
    char *line = js ? mx_journal_line(js, &ll) : NULL;
    free(js);
    if (!line)
        return MODELLIX_ENOMEM;
    if (*len + ll > *cap) {
        size_t nc = *cap ? *cap : 4096;
        while (nc < *len + ll)
            nc *= 2;
        char *nb = realloc(*buf, nc);
        if (!nb) {
            free(line);
            return MODELLIX_ENOMEM;
        }
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, line, ll);
    *len += ll;
    free(line);
    return MODELLIX_OK;
}

int mx_journal_entry_records(const mx_jentry *e, char **buf, size_t *len, size_t *cap)
{
    json_t *in = json_pack("{s:i, s:s, s:s, s:I, s:s, s:s, s:I}", "v", 1, "r", "intent", "id", e->intent, "ts",
                           (json_int_t)e->created_ms, "base", e->base, "slug", e->slug, "pid", (json_int_t)e->pid);
    if (in && e->profile && json_object_set_new(in, "profile", json_string(e->profile)) != 0) {
        json_decref(in);
        in = NULL;
    }
    int rc = put(in, buf, len, cap);
    if (rc == MODELLIX_OK && e->task)
        rc = put(json_pack("{s:i, s:s, s:s, s:s, s:I}", "v", 1, "r", "accepted", "id", e->intent, "task", e->task,
                           "ts", (json_int_t)(mx_journal_is_finished(e->state) ? e->created_ms : e->updated_ms)),
                 buf, len, cap);
    if (rc == MODELLIX_OK && mx_journal_is_finished(e->state))
        rc = put(json_pack("{s:i, s:s, s:s, s:s, s:I}", "v", 1, "r", "final", "id", e->intent, "state",
                           mx_journal_state_word(e->state), "ts", (json_int_t)e->updated_ms),
                 buf, len, cap);
    return rc;
}

int mx_journal_read_fd(int fd, char **data_out, size_t *len_out)
{
    *data_out = NULL;
    *len_out = 0;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return MODELLIX_EIO;
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return MODELLIX_ENOMEM;
    for (;;) {
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return MODELLIX_ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t got = pread(fd, buf + len, cap - len, (off_t)len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(buf);
            return MODELLIX_EIO;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    *data_out = buf;
    *len_out = len;
    return MODELLIX_OK;
}

int mx_journal_check_lock(int fd, int op, struct stat *st)
{
    int rc = MODELLIX_OK;
    if (fstat(fd, st) != 0)
        rc = MODELLIX_EIO;
    else if (!S_ISREG(st->st_mode) || st->st_uid != geteuid())
        rc = MODELLIX_EUNSAFE;
    while (rc == MODELLIX_OK && flock(fd, op) != 0)
        if (errno != EINTR)
            rc = MODELLIX_EIO;
    return rc;
}

/* ---- the public snapshot ---- */

int modellix_journal_open(modellix_journal **out, const char *path)
{
    if (!out)
        return MODELLIX_EINVAL;
    *out = NULL;
    if (!path || !*path)
        return MODELLIX_EINVAL;
    modellix_journal *j = calloc(1, sizeof *j);
    if (!j)
        return MODELLIX_ENOMEM;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT) {
            *out = j; /* nothing was ever written */
            return MODELLIX_OK;
        }
        free(j);
        return errno == ELOOP ? MODELLIX_EUNSAFE : errno == ENOMEM ? MODELLIX_ENOMEM : MODELLIX_EIO;
    }
    struct stat st;
    int rc = mx_journal_check_lock(fd, LOCK_SH, &st);
    char *data = NULL;
    size_t len = 0;
    if (rc == MODELLIX_OK)
        rc = mx_journal_read_fd(fd, &data, &len);
    close(fd); /* releases the lock */
    if (rc == MODELLIX_OK)
        rc = mx_journal_parse(j, data, len);
    free(data);
    if (rc != MODELLIX_OK) {
        modellix_journal_free(j);
        return rc;
    }
    *out = j;
    return MODELLIX_OK;
}

void modellix_journal_free(modellix_journal *j)
{
    if (!j)
        return;
    mx_journal_entries_free(j);
    free(j);
}

size_t modellix_journal_count(const modellix_journal *j) { return j ? j->n : 0; }
size_t modellix_journal_skipped(const modellix_journal *j) { return j ? j->skipped : 0; }

static const mx_jentry *entry(const modellix_journal *j, size_t i)
{
    return j && i < j->n ? &j->e[i] : NULL;
}

const char *modellix_journal_entry_intent_id(const modellix_journal *j, size_t i)
{
    const mx_jentry *e = entry(j, i);
    return e ? e->intent : NULL;
}

const char *modellix_journal_entry_task_id(const modellix_journal *j, size_t i)
{
    const mx_jentry *e = entry(j, i);
    return e ? e->task : NULL;
}

const char *modellix_journal_entry_model_slug(const modellix_journal *j, size_t i)
{
    const mx_jentry *e = entry(j, i);
    return e ? e->slug : NULL;
}

const char *modellix_journal_entry_base_url(const modellix_journal *j, size_t i)
{
    const mx_jentry *e = entry(j, i);
    return e ? e->base : NULL;
}

const char *modellix_journal_entry_profile(const modellix_journal *j, size_t i)
{
    const mx_jentry *e = entry(j, i);
    return e ? e->profile : NULL;
}

int32_t modellix_journal_entry_state(const modellix_journal *j, size_t i)
{
    const mx_jentry *e = entry(j, i);
    return e ? e->state : 0;
}

int64_t modellix_journal_entry_created_ms(const modellix_journal *j, size_t i)
{
    const mx_jentry *e = entry(j, i);
    return e ? e->created_ms : 0;
}

int64_t modellix_journal_entry_updated_ms(const modellix_journal *j, size_t i)
{
    const mx_jentry *e = entry(j, i);
    return e ? e->updated_ms : 0;
}

int64_t modellix_journal_entry_pid(const modellix_journal *j, size_t i)
{
    const mx_jentry *e = entry(j, i);
    return e ? e->pid : 0;
}

/* ---- resuming ---- */

static int same_label(const char *a, const char *b)
{
    return a && b ? !strcmp(a, b) : a == b;
}

int modellix_client_attach_pending(modellix_task ***tasks_out, size_t *n_out, modellix_client *c)
{
    if (tasks_out)
        *tasks_out = NULL;
    if (n_out)
        *n_out = 0;
    if (!tasks_out || !n_out || !c)
        return MODELLIX_EINVAL;
    mx_clear_error(c);
    if (!c->journal)
        return mx_fail(c, NULL, MODELLIX_ESTATE, 0, NULL, "the client has no task journal");
    modellix_journal *j;
    int rc = modellix_journal_open(&j, mx_journal_path(c->journal));
    if (rc != MODELLIX_OK)
        return mx_fail(c, NULL, rc, 0, NULL, "task journal %s: %s", mx_journal_path(c->journal),
                       modellix_strerror(rc));
    const char *label = mx_journal_profile(c->journal);
    modellix_task **ts = NULL;
    size_t n = 0;
    for (size_t i = 0; i < j->n && rc == MODELLIX_OK; i++) {
        const mx_jentry *e = &j->e[i];
        if (e->state != MODELLIX_JOURNAL_ACCEPTED || strcmp(e->base, c->base_url) || !same_label(e->profile, label))
            continue;
        modellix_task **nt = realloc(ts, (n + 1) * sizeof *nt);
        if (!nt) {
            rc = mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
            break;
        }
        ts = nt;
        /* an id the journal holds came from the service; one it cannot take is reported, not skipped */
        if ((rc = modellix_task_attach(&ts[n], c, e->task)) != MODELLIX_OK)
            break;
        n++;
        if (!(ts[n - 1]->j_intent = mx_strdup(e->intent)))
            rc = mx_fail(c, NULL, MODELLIX_ENOMEM, 0, NULL, "out of memory");
    }
    modellix_journal_free(j);
    if (rc != MODELLIX_OK) {
        for (size_t i = 0; i < n; i++)
            modellix_task_free(ts[i]);
        free(ts);
        return rc;
    }
    *tasks_out = ts;
    *n_out = n;
    return MODELLIX_OK;
}
