/**
 * @file modellix/journal.h
 * @brief The task journal: a durable record, on disk, of every paid submission and its outcome.
 *
 * A submission costs money and its task id is the only handle on what was paid for. With a journal
 * path set (modellix_options_set_journal_path()), a client appends to that file:
 *
 * - an **intent** record right before a paid POST leaves (an intent id, the time, the base URL, the
 *   model slug, the profile label and the process id). If it cannot be written the submission is not
 *   sent and fails with ::MODELLIX_EIO: no money is spent that the journal does not know of;
 * - an **accepted** record with the task id once the service accepted the submission (if it cannot
 *   be written the task is still returned, and a warning is logged);
 * - a **final** record when the outcome is known: the task succeeded or failed, or the submission was
 *   rejected (no task was created) or its outcome is unknown.
 *
 * A task whose polls fail for good (for example 404 once it expired) keeps its last state: it stays
 * ::MODELLIX_JOURNAL_ACCEPTED. A task attached with modellix_task_attach() by a client with a journal
 * gets a final record by task id when it is seen to succeed or fail, which closes the entry of that id
 * if the journal has one. One intent covers one submission call: with a retry policy that re-sends
 * submissions whose outcome is unknown (modellix_retry_policy_set_resubmit_unknown()), an entry may
 * stand for more than one created task, of which the journal knows the last id only.
 *
 * The API key and the request body are never written. A process killed at any moment leaves every
 * task the service created either as an accepted entry with its id, or as an intent whose outcome is
 * unknown (::MODELLIX_JOURNAL_INTENT: the process ended, or is still running, between the intent and
 * the answer).
 *
 * **File.** UTF-8 text, one record per line: 8 lowercase hex digits (the CRC-32 of the JSON text), a
 * space, one JSON object, a newline. A line that is cut short or fails its checksum (a torn write,
 * for example after a crash or a full disk) is ignored by readers and counted in
 * modellix_journal_skipped(); the next append starts on a fresh line. The file is created with mode
 * 0600 (its missing directories with 0700); an existing file owned by another user, writable by the
 * group or others, a symbolic link or not a regular file is refused with ::MODELLIX_EUNSAFE; an
 * existing file readable by group or others is made owner-only (0600).
 *
 * **Processes.** Several processes and clients may use one journal at once: every append and every
 * rewrite holds an exclusive flock(2) lock on the file, and each record is one write(2) on a
 * descriptor opened with O_APPEND. A writer that finds the path replaced (by another process's
 * compaction) re-opens it before appending. Use a local file system.
 *
 * **Durability** (modellix_options_set_journal_sync()): by default the intent and accepted records
 * (the ones that stand for money) are flushed to the disk with fdatasync(2) before the call goes on;
 * final records are not (a lost final record only makes a finished task look unfinished, and resuming
 * it then finds it finished). Without fsync every record still survives the process being killed (it
 * is in the kernel once write(2) returns), but not a power loss. bench/README.md gives the cost.
 *
 * **Size.** When the file grows past a limit (default 1 MiB), the appending process rewrites it under
 * the lock, keeping every unfinished entry and the newest finished ones (default 1000): a new file is
 * written beside it, flushed, and renamed over it. See modellix_options_set_journal_compaction().
 *
 * Threads: a modellix_journal snapshot may be read from any thread, from one at a time.
 *
 * @since 1.1
 */
#ifndef MODELLIX_JOURNAL_H
#define MODELLIX_JOURNAL_H

#include "common.h"

MODELLIX_BEGIN_DECLS

/** A snapshot of a journal file's entries, read by modellix_journal_open(). @since 1.1 */
typedef struct modellix_journal modellix_journal;

/** When journal records are flushed to the disk (modellix_options_set_journal_sync()). @since 1.1 */
enum modellix_journal_sync {
    MODELLIX_JOURNAL_SYNC_NONE = 0,  /**< never: records survive a killed process, not a power loss */
    MODELLIX_JOURNAL_SYNC_MONEY = 1, /**< intent and accepted records (the default) */
    MODELLIX_JOURNAL_SYNC_ALL = 2    /**< every record, final ones included */
};

/** The state of a journal entry (one paid submission). @since 1.1 */
enum modellix_journal_state {
    MODELLIX_JOURNAL_INTENT = 1,   /**< the submission was about to be sent and nothing more is known: the
                                        process ended (or is still waiting for the answer). A task may
                                        exist and be charged; its id is unknown */
    MODELLIX_JOURNAL_ACCEPTED = 2, /**< accepted with a task id, not known to be finished: resumable */
    MODELLIX_JOURNAL_SUCCESS = 3,  /**< the task succeeded */
    MODELLIX_JOURNAL_FAILED = 4,   /**< the task failed */
    MODELLIX_JOURNAL_REJECTED = 5, /**< the submission was refused or not sent: no task was created */
    MODELLIX_JOURNAL_UNKNOWN = 6   /**< the client saw the submission's outcome become unknown
                                        (::MODELLIX_EOUTCOME_UNKNOWN): a task may exist; its id is unknown */
};

/* ---------------------------------------------------------------------------------------------- */
/* Options                                                                                          */

/**
 * Give clients made from these options a journal file. modellix_client_new() opens (and if needed
 * creates) it and fails if it cannot: ::MODELLIX_EIO (cannot create or open; the reason goes to the
 * log sink), ::MODELLIX_EUNSAFE (owned by another user, group- or world-writable, a symbolic link, not
 * a regular file). modellix_client_free() closes it.
 *
 * @param path copied; NULL (the default) = no journal; must not be empty.
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.1
 */
MODELLIX_API int modellix_options_set_journal_path(modellix_options *o, const char *path);

/**
 * A label stored in each intent record (for example the configuration profile the key came from), so
 * that programs sharing a journal can tell their entries apart. modellix_client_attach_pending()
 * resumes only the entries with the client's label.
 *
 * @param label copied; NULL (the default) = none; at most 256 bytes, no control characters.
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL or ::MODELLIX_ENOMEM.
 * @since 1.1
 */
MODELLIX_API int modellix_options_set_journal_profile(modellix_options *o, const char *label);

/**
 * When records are flushed to the disk: one of ::modellix_journal_sync (default
 * ::MODELLIX_JOURNAL_SYNC_MONEY).
 *
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.1
 */
MODELLIX_API int modellix_options_set_journal_sync(modellix_options *o, int32_t mode);

/**
 * The journal's size bound. When an append leaves the file larger than max_bytes, the file is
 * rewritten keeping every unfinished entry (::MODELLIX_JOURNAL_INTENT, ::MODELLIX_JOURNAL_ACCEPTED)
 * and the keep_finished most recently created finished ones. If the unfinished entries alone exceed
 * the bound, the next rewrite waits until the file has doubled, so appends never rewrite every time.
 *
 * @param max_bytes 4096 .. 2^40 (default 1048576).
 * @param keep_finished 0 .. 10000000 (default 1000).
 * @return ::MODELLIX_OK or ::MODELLIX_EINVAL.
 * @since 1.1
 */
MODELLIX_API int modellix_options_set_journal_compaction(modellix_options *o, int64_t max_bytes,
                                                         int32_t keep_finished);

/* ---------------------------------------------------------------------------------------------- */
/* Reading                                                                                          */

/**
 * Read a journal file (no client needed): a snapshot of its entries, one per paid submission, in the
 * order their intents were written. Damaged lines are skipped (modellix_journal_skipped()). Takes the
 * file's lock while reading. A missing file reads as an empty journal.
 *
 * @param[out] out receives the snapshot (free with modellix_journal_free()), or NULL on error.
 * @param path the journal file.
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL, ::MODELLIX_ENOMEM, ::MODELLIX_EIO (cannot read),
 *         ::MODELLIX_EUNSAFE (not a regular file, a symbolic link, or another user's).
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_journal_open(modellix_journal **out, const char *path);

/** Release a snapshot and every string it handed out. Accepts NULL. @since 1.1 */
MODELLIX_API void modellix_journal_free(modellix_journal *j);

/** The number of entries. @since 1.1 */
MODELLIX_API size_t modellix_journal_count(const modellix_journal *j);

/** The number of damaged lines (torn or failing their checksum) that were ignored. @since 1.1 */
MODELLIX_API size_t modellix_journal_skipped(const modellix_journal *j);

/**
 * Entry i's intent id: unique among all journals, made when the intent was written. Borrowed from the
 * snapshot; NULL if i is out of range. @since 1.1
 */
MODELLIX_API const char *modellix_journal_entry_intent_id(const modellix_journal *j, size_t i);

/** Entry i's task id, or NULL if none is known (state INTENT, REJECTED or UNKNOWN). Borrowed. @since 1.1 */
MODELLIX_API const char *modellix_journal_entry_task_id(const modellix_journal *j, size_t i);

/** Entry i's model slug ("provider/model"). Borrowed; NULL if out of range. @since 1.1 */
MODELLIX_API const char *modellix_journal_entry_model_slug(const modellix_journal *j, size_t i);

/** Entry i's base URL (the API origin the submission went to). Borrowed. @since 1.1 */
MODELLIX_API const char *modellix_journal_entry_base_url(const modellix_journal *j, size_t i);

/** Entry i's profile label, or NULL if the client had none. Borrowed. @since 1.1 */
MODELLIX_API const char *modellix_journal_entry_profile(const modellix_journal *j, size_t i);

/** Entry i's state, one of ::modellix_journal_state; 0 if out of range. @since 1.1 */
MODELLIX_API int32_t modellix_journal_entry_state(const modellix_journal *j, size_t i);

/** When entry i's intent was written: ms since the Unix epoch (wall clock); 0 if out of range. @since 1.1 */
MODELLIX_API int64_t modellix_journal_entry_created_ms(const modellix_journal *j, size_t i);

/** When entry i's last record was written: ms since the Unix epoch; 0 if out of range. @since 1.1 */
MODELLIX_API int64_t modellix_journal_entry_updated_ms(const modellix_journal *j, size_t i);

/** The id of the process that wrote entry i's intent; 0 if out of range. @since 1.1 */
MODELLIX_API int64_t modellix_journal_entry_pid(const modellix_journal *j, size_t i);

/**
 * Empty a journal file, under its lock (other processes' appends wait, then go on in the empty file).
 * A missing file is not an error.
 *
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL, ::MODELLIX_EIO, ::MODELLIX_EUNSAFE.
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_journal_clear(const char *path);

/* ---------------------------------------------------------------------------------------------- */
/* Resuming                                                                                         */

/**
 * Attach every unfinished task of the client's journal (state ::MODELLIX_JOURNAL_ACCEPTED) that was
 * submitted to the client's base URL with the client's profile label (none matches none), as
 * modellix_task_attach() would, in journal order. Each returned task is tied to its entry: when it is
 * seen to succeed or fail, its final record is appended. Wait for them with modellix_client_wait_all()
 * or watch them; entries in state ::MODELLIX_JOURNAL_INTENT or ::MODELLIX_JOURNAL_UNKNOWN have no id
 * and cannot be resumed: read them with modellix_journal_open().
 *
 * @param[out] tasks_out receives an array of *n_out tasks (free each with modellix_task_free() and the
 *             array with modellix_free()), or NULL when there are none or on error.
 * @param[out] n_out receives the number of tasks (0 on error).
 * @return ::MODELLIX_OK, ::MODELLIX_EINVAL, ::MODELLIX_ESTATE (the client has no journal),
 *         ::MODELLIX_ENOMEM, ::MODELLIX_EIO; the message is in modellix_client_errmsg().
 * @since 1.1
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_client_attach_pending(modellix_task ***tasks_out, size_t *n_out,
                                                                   modellix_client *c);

MODELLIX_END_DECLS

#endif /* MODELLIX_JOURNAL_H */
