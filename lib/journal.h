/* journal.h - the task journal's internals: the writer a client owns (journal.c), the record format
 * and the parser shared by readers and compaction (journal_read.c), and the lifecycle hooks.
 *
 * Hook points (each a no-op when the client has no journal):
 *   intent    right before a paid POST leaves. Failure = do NOT send: the submission fails with
 *             MODELLIX_EIO, unsent.
 *   accepted  when the service accepted it (the task id is known). Failure is logged, the task is
 *             still accepted.
 *   final     when the outcome is known: SUCCESS, FAILED (the task), REJECTED (nothing created),
 *             UNKNOWN (a task may exist). Written at most once per task. */
#ifndef MODELLIX_JOURNAL_INTERNAL_H
#define MODELLIX_JOURNAL_INTERNAL_H

#include <modellix/modellix.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

typedef struct mx_journal mx_journal;

#define MX_JOURNAL_DEFAULT_MAX_BYTES ((int64_t)1 << 20)
#define MX_JOURNAL_DEFAULT_KEEP 1000

typedef struct mx_journal_conf {
    const char *path;
    const char *profile; /* NULL = none */
    int32_t sync;        /* MODELLIX_JOURNAL_SYNC_* */
    int64_t max_bytes;
    int32_t keep_finished;
} mx_journal_conf;

/* Open (create) the journal file. On failure *out is NULL, no descriptor is left open, and err holds
   the reason (the path and the system's word). MODELLIX_EIO, MODELLIX_EUNSAFE or MODELLIX_ENOMEM. */
int mx_journal_open(mx_journal **out, const mx_journal_conf *conf, char *err, size_t errlen);
void mx_journal_close(mx_journal *j);
const char *mx_journal_path(const mx_journal *j);
const char *mx_journal_profile(const mx_journal *j);

/* The three records. intent_id_out receives a malloc'd id (free()). Each returns MODELLIX_OK,
   MODELLIX_EIO (err says why) or MODELLIX_ENOMEM. */
int mx_journal_intent(mx_journal *j, const char *base_url, const char *slug, char **intent_id_out, char *err,
                      size_t errlen);
int mx_journal_accepted(mx_journal *j, const char *intent_id, const char *task_id, char *err, size_t errlen);
/* intent_id or task_id may be NULL (not both); state is a MODELLIX_JOURNAL_* terminal state. */
int mx_journal_final(mx_journal *j, const char *intent_id, const char *task_id, int32_t state, char *err,
                     size_t errlen);

/* Task-level hooks. The intent is written by the senders (task.c, queue.c) before they move a task
   to SENDING; the other two by the transition function's record step (lifecycle.c). */
/* Before the POST of t leaves. MODELLIX_OK, or the error with the reason in msg: the caller must
   then not send (and reports it: on the client for a blocking submit, on the task for a queued one). */
int mx_journal_task_intent(modellix_task *t, char *msg, size_t msgcap);
/* t was accepted (t->id set). Never fails the task: a write failure is logged as a warning. */
void mx_journal_task_accepted(modellix_task *t);
/* t is done or its submission ended: the final record, derived from the task (success/failed for a
   task with an id; rejected/unknown for a submission without one), at most once. Logged on failure. */
void mx_journal_task_settled(modellix_task *t);

/* ---- the record format and the parser (journal_read.c) ---- */

/* A record line: "%08x %s\n" with the CRC-32 of the JSON text. Returns a malloc'd line and its length. */
char *mx_journal_line(const char *json, size_t *len_out);
uint32_t mx_crc32(const void *p, size_t n);

typedef struct mx_jentry {
    char *intent, *task, *slug, *base, *profile;
    int64_t created_ms, updated_ms, pid;
    int32_t state;
} mx_jentry;

struct modellix_journal {
    mx_jentry *e;
    size_t n, cap;
    size_t skipped;
    /* lookup tables (indices + 1; 0 = empty slot) */
    size_t *by_intent, *by_task, nslots;
};

/* Parse a whole file's bytes into j (zero-initialised). MODELLIX_OK or MODELLIX_ENOMEM. */
int mx_journal_parse(modellix_journal *j, const char *data, size_t len);
void mx_journal_entries_free(modellix_journal *j);
/* The JSON records that rebuild entry e (intent, then accepted and final when present), appended to
   *buf (malloc'd, grown). MODELLIX_OK or MODELLIX_ENOMEM. */
int mx_journal_entry_records(const mx_jentry *e, char **buf, size_t *len, size_t *cap);
/* Read a whole open file from offset 0. MODELLIX_OK, MODELLIX_EIO or MODELLIX_ENOMEM. */
int mx_journal_read_fd(int fd, char **data_out, size_t *len_out);
/* Of a journal file just opened with O_NOFOLLOW: fstat it into *st, refuse what is not a regular file
   of this user, then take flock(op) (LOCK_SH or LOCK_EX), retried on EINTR. MODELLIX_OK,
   MODELLIX_EUNSAFE or MODELLIX_EIO; the caller closes fd (which releases the lock). */
int mx_journal_check_lock(int fd, int op, struct stat *st);

const char *mx_journal_state_word(int32_t state);
int mx_journal_is_finished(int32_t state);

#endif
