/* cli.h - shared declarations of the modellix command-line tool.
 *
 * The tool is built only on the public libmodellix API (<modellix/modellix.h>); jansson is used for
 * its own JSON input parsing and output. Files:
 *   main.c        global flags, command dispatch, help, version, unknown commands
 *   args.c        per-command flag parsing
 *   output.c      output modes, JSON printing, terminal-safe text, errors, progress
 *   duration.c    duration strings ("500ms", "30s", "5m", "2h", "10")
 *   session.c     building a client from the global flags
 *   cmd_model.c   model run / list / describe
 *   cmd_batch.c   model batch
 *   cmd_task.c    task get / wait / download
 *   cmd_doctor.c  doctor
 *   interrupt.c   SIGINT/SIGTERM: cancel the client, report accepted task ids, exit 130/143
 *   config.c      config.json: saved profiles, lock, compare-and-swap, atomic replace
 *   auth.c        which profile and which key (flag, environment, saved profile); hidden prompts
 *   cmd_auth.c    auth login/status/whoami/logout, init
 *   cmd_config.c  config path/show/clear, quickstart
 *   history.c     the state directory; the task journal's location; task history
 *   poll_stats.c  the library's poll statistics kept between runs (poll-stats.json)
 *   privfile.c    owner-only files: their directory, bounded reads, atomic replacement
 *   wait.c        waiting for tasks from the tool's own loop, with the progress line */
#ifndef MODELLIX_CLI_H
#define MODELLIX_CLI_H

#include <modellix/modellix.h>

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of the official CLI (reference section 11). */
enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,    /* API, task or validation failure */
    EXIT_USAGE = 2,   /* parser rejection or safety guard */
    EXIT_TIMEOUT = 124,
    EXIT_UNKNOWN_COMMAND = 127
};

enum out_mode { OUT_HUMAN, OUT_JSON, OUT_QUIET, OUT_OTHER };

/* Global state: the global flags and what has been written so far. */
typedef struct cli {
    int json;               /* --json */
    int quiet;              /* -q / --quiet */
    const char *output;     /* --output VALUE, or NULL */
    const char *base_url;   /* --base-url, or NULL (then MODELLIX_BASE_URL) */
    const char *api_key;    /* --api-key, or NULL (then MODELLIX_API_KEY, then the saved profile) */
    const char *profile;    /* --profile, or NULL (then MODELLIX_PROFILE, then currentProfile) */
    int no_progress;        /* --no-progress (or CI set) */
    int help;               /* --help / -h */
    int verbose;            /* 1: -v/--verbose (info log), 2: --debug (debug log) on stderr */
    int stdout_written;     /* something was printed on stdout */
    int progress_shown;     /* a progress line is on stderr */
} cli;

/* ---- output.c ---- */
/* The effective output value: "quiet", "json", else --output, else the command's default. */
const char *cli_output_value(const cli *c, const char *def);
enum out_mode cli_output_mode(const cli *c, const char *def);
/* Check the effective output value against a NULL-terminated list; reports and returns 2 if not. */
int cli_check_output(cli *c, const char *def, const char *const *allowed);
/* 1 when --json / --output json is given and not quiet: failures go out as the JSON envelope. */
int cli_json_errors(const cli *c);
/* Print a line (a newline is added) on stdout, with terminal control characters escaped. */
void cli_out(cli *c, const char *text);
void cli_outf(cli *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* A warning on stderr ("Warning: ..."). */
void cli_warn(cli *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Report a failure (JSON envelope on stdout with --json, else "Error: ..." on stderr); returns code. */
int cli_fail(cli *c, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Serialise a JSON value as the official CLI does (JSON.stringify): indent 2 (or -1 for compact),
 * keys in their order, shortest round-trip numbers. Returns a malloc'd string (free()), or NULL. */
char *cli_json_dump(const json_t *v, int indent);
/* Print a JSON value pretty on stdout (terminal controls escaped). */
void cli_out_json(cli *c, const json_t *v);
/* Print a raw API answer pretty (re-serialised in key order); falls back to the raw text. */
void cli_out_raw_json(cli *c, const char *raw);
/* Parse a raw API answer (NULL when not JSON). */
json_t *cli_parse_json(const char *raw);
/* Progress on stderr: only on a terminal, and not with --json, --quiet or --no-progress. */
int cli_progress_enabled(const cli *c);
void cli_progress(cli *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void cli_progress_clear(cli *c);
/* Lower-case copy of s (ASCII) into buf. */
const char *cli_lower(const char *s, char *buf, size_t size);

/* ---- duration.c ---- */
/* Parse a duration: ^\d+(ms|s|m|h)?$ case-insensitive, bare number = seconds, > 0, <= max_ms.
 * On error writes a message into err and returns -1. */
int parse_duration_ms(const char *text, const char *label, int64_t max_ms, int64_t *out, char *err,
                      size_t err_size);
/* "5m", "2h", "30s", "500ms" */
void format_duration(int64_t ms, char *buf, size_t size);

/* ---- args.c ---- */
typedef struct opt_spec {
    const char *name;   /* long name without "--" */
    char short_name;    /* 0 if none */
    int takes_arg;      /* 1: --name VALUE / --name=VALUE; 0: boolean (also --no-name) */
} opt_spec;

typedef struct opt_result {
    const char *value[16]; /* per spec entry: the value (last wins), or "1"/NULL for booleans */
    int given[16];
    const char **pos;      /* positional arguments (points into a malloc'd array) */
    size_t n_pos;
} opt_result;

/* Parse the command's arguments; returns 0, or an exit code after reporting the problem. */
int parse_command_args(cli *c, int argc, char **argv, const opt_spec *specs, size_t n_specs,
                       opt_result *out);
void opt_result_free(opt_result *r);
/* For a command that takes flags but no positional argument, and --output human|json|quiet (default
 * human): parse_command_args, then 0, or an exit code after reporting an unexpected argument or
 * output (out is then already freed). */
int parse_flags_only(cli *c, int argc, char **argv, const opt_spec *specs, size_t n_specs, opt_result *out);
/* parse_flags_only for a command without flags. */
int parse_no_args(cli *c, int argc, char **argv);
/* Parse a whole decimal integer in [lo, hi]; -1 on error. */
int parse_int_flag(const char *text, long long lo, long long hi, long long *out);

/* ---- session.c ---- */
typedef struct session_opts {
    int64_t poll_interval_ms; /* > 0: fixed poll schedule */
    int32_t max_in_flight;    /* > 0: set */
    int continue_on_unknown;
    int64_t exchange_timeout_ms; /* > 0: per-exchange limit */
    int track_progress;       /* count completions for the progress line */
    size_t progress_total;
    int interruptible;        /* SIGINT/SIGTERM cancel this client (interrupt.c) */
    const char *api_key;      /* use this key instead of the resolved one (auth login, init) */
    int paid;                 /* the command submits paid tasks: no client without the task journal */
    int poll_stats;           /* the command polls: import the saved poll statistics, save them on close */
} session_opts;

typedef struct session {
    modellix_client *client;
    char *key;                /* the key in use (to redact it from messages; wiped on close) */
    const char *key_source;   /* "flag", "environment", "config" */
    char profile[80];
    const char *profile_source;
    size_t done;              /* completions seen by the task callback */
    size_t total;
    cli *cli;
    int stats_on;             /* poll statistics imported; saved by session_close (poll_stats.c) */
    int stats_replace;        /* the saved file was unusable: replace it */
    int stats_warned;         /* the one warning about the file was printed */
    char *stats_start;        /* the client's statistics after the import (modellix_free) */
} session;

/* The base URL to use: --base-url, else MODELLIX_BASE_URL; NULL for the default origin. */
const char *session_base_url(const cli *c);
/* Why a base URL is refused (the official CLI's rules), as a sentence. */
const char *base_url_problem(const char *url);
/* Create the client from the global flags; reports the failure and returns its exit code. */
int session_open(cli *c, session *s, const session_opts *o);
/* The same, without reporting: the message goes to msg. */
int session_try_open(cli *c, session *s, const session_opts *o, char *msg, size_t msg_size);
/* Save the poll statistics (if the session imported them), then free the client and wipe the key. */
void session_close(session *s);
/* The message of the last failure on the client, with an "outcome unknown" reworded as the CLI does. */
int session_fail(cli *c, session *s, int rc);

/* ---- poll_stats.c ---- */
/* Give the session's client the poll statistics saved for its base URL (poll-stats.json in the state
 * directory), unless MODELLIX_NO_POLL_STATS is set. Never fails: a problem is one warning at most. */
void poll_stats_load(session *s);
/* Save the client's statistics if they changed (atomically; last writer wins); one warning at most. */
void poll_stats_save(session *s);

/* ---- cmd_model.c helpers ---- */
/* Read a file, or standard input for "-" (refused on a terminal), at most max bytes; NULL after
 * reporting the problem (*rc receives the exit code). The result is NUL-terminated (free()). */
char *read_input(cli *c, const char *path, const char *what, size_t max, int *rc);

/* ---- interrupt.c ---- */
/* Install the SIGINT/SIGTERM handler (once) and make it cancel client c (NULL: none). */
void interrupt_arm(modellix_client *c);
/* Forget the client (before it is freed); the handler stays and still records signals. */
void interrupt_disarm(void);
/* The first signal caught (SIGINT or SIGTERM), or 0; how many were caught; 128 + the signal. */
int interrupt_signal(void);
int interrupt_count(void);
int interrupt_exit_code(void);

typedef struct interrupt_info {
    const char *doing;            /* "while waiting for 2 task(s)" */
    const char *const *ids;       /* the task ids to report */
    size_t n_ids;
    const char *ids_are;          /* the label of the ids: "Accepted (paid) tasks, may still be running" */
    const char *resume_verb;      /* "task wait" (default) or "task download" */
    const char *resume_suffix;    /* appended to the resume command, or NULL */
    size_t n_unknown;             /* paid submissions sent but never answered */
    int removed_partial;          /* partial downloads were removed */
    json_t *extra;                /* more members of the JSON document (borrowed), or NULL */
} interrupt_info;
/* Report an interruption: human form on stderr always, and the JSON document on stdout with
 * --json. Returns the exit code (130 or 143). */
int interrupt_report(cli *c, const interrupt_info *info);

/* ---- config.c ---- */
#define CONFIG_MAX_PROFILES 100
typedef struct config {
    char *current;                           /* currentProfile */
    size_t n;
    char *names[CONFIG_MAX_PROFILES];
    char *keys[CONFIG_MAX_PROFILES];         /* wiped when freed */
} config;
/* The config file's path: $XDG_CONFIG_HOME/modellix/config.json (absolute), else ~/.config/... */
int config_path(char *out, size_t size, char *err, size_t err_size);
/* 0: read; 1: no file (cfg empty); -1: unreadable or invalid (message in err, never file content). */
int config_read(config *cfg, char *err, size_t err_size);
int config_read_at(const char *path, config *cfg, char *err, size_t err_size);
void config_free(config *cfg);
const char *config_key(const config *cfg, const char *profile);
int profile_name_valid(const char *name, char *err, size_t err_size);
/* Trimmed copy of a key if it is 1-16384 printable ASCII characters, else NULL. */
char *api_key_normalize(const char *raw);

enum config_op { CONFIG_SET, CONFIG_REMOVE_PROFILE, CONFIG_REMOVE_FILE };
typedef struct config_change {
    enum config_op op;
    const char *profile;
    const char *key;          /* CONFIG_SET: the new key; the profile becomes the current one */
    int cas;                  /* CONFIG_SET: require the profile to hold expected_key (NULL: no key) */
    const char *expected_key;
    int recover;              /* replace an unreadable config (--force) */
} config_change;
typedef struct config_result {
    int changed;
    char *current;            /* currentProfile after the change, or NULL (no file) */
    size_t n_profiles;
    char *profiles[CONFIG_MAX_PROFILES];
} config_result;
/* Apply one change under the lock, on a fresh read of the file; 0 or -1 (message in err). */
int config_update(const config_change *ch, config_result *res, char *err, size_t err_size);
void config_result_free(config_result *r);

/* ---- privfile.c ---- */
/* Make the directory that holds path (0700, parents as needed; an existing one loses group and other
 * access). 0, or -1 with errno. */
int privfile_make_dir(const char *path);
/* Read a regular file (not a symbolic link) of at most max bytes, and make it 0600: 0 with a
 * NUL-terminated malloc'd *text_out and its length; 1 when there is no file; -1 with errno (ELOOP: a
 * symbolic link or not a regular file; EFBIG: over max). */
int privfile_read(const char *path, size_t max, char **text_out, size_t *len_out);
/* Replace path by len bytes of text: a temporary file (0600, O_EXCL) in its directory, renamed over
 * it (with fsync of the file and the directory when durable). Readers see the old file or the new one,
 * never a part. 0, or -1 with errno (nothing is left behind). */
int privfile_replace(const char *path, const char *text, size_t len, int durable);

/* ---- auth.c ---- */
typedef struct auth_sel {
    char profile[80];
    const char *profile_source; /* "flag", "environment", "config", "default" */
    char *key;                  /* the key to use (wiped when freed), or NULL */
    const char *key_source;     /* "flag", "environment", "config" or "missing" */
    config cfg;                 /* the saved config (empty if none or unreadable) */
    int cfg_state;              /* config_read(): 0, 1 or -1 */
    char cfg_error[512];        /* when cfg_state is -1 */
} auth_sel;
/* Select the profile and the key as the official CLI does: --api-key, MODELLIX_API_KEY, then the
 * selected profile's saved key. Returns 0, or -1 with a message in err (an invalid profile name, or
 * an unreadable config when no higher-priority key exists). */
int auth_resolve(cli *c, auth_sel *a, char *err, size_t err_size);
void auth_free(auth_sel *a);
/* 1 when prompts are possible: not --json/quiet, stdin and stderr are terminals. */
int auth_interactive(const cli *c);
/* Read a secret from the terminal without echo (prompt on stderr); NULL on failure or empty. */
char *auth_prompt_secret(const char *prompt);
/* Ask a yes/no question on the terminal (default no). */
int auth_confirm(const char *question);
/* Read a key from standard input (not a terminal): the first line, trimmed; NULL if empty. */
char *auth_read_stdin_key(void);

/* ---- wait.c ---- */
/* Wait until every task is done (terminal, or ended with an error), the timeout passes, or a signal
 * came, driving the client from the tool's loop with the progress line on a terminal. Returns
 * MODELLIX_OK, MODELLIX_ETIMEOUT, MODELLIX_ECANCELED (a signal), or the error of the first task in
 * array order that ended with one (as modellix_client_wait_all()). NULL entries are skipped. */
int cli_wait(cli *c, modellix_client *cl, modellix_task *const *tasks, size_t n, int64_t timeout_ms);

/* ---- history.c ---- */
/* A file of the tool's state directory: $XDG_STATE_HOME/modellix/NAME when XDG_STATE_HOME is an
 * absolute path, else ~/.local/state/modellix/NAME; -1 (message in err) when neither is possible. */
int state_file_path(const char *name, char *out, size_t size, char *err, size_t err_size);
/* The task journal: $XDG_STATE_HOME/modellix/tasks.journal (absolute), else ~/.local/state/modellix/... */
int history_path(char *out, size_t size, char *err, size_t err_size);
/* The history status word of a journal state: "submitted", "success", "failed", "outcome-unknown"... */
const char *history_status(int32_t state);

/* ---- commands ---- */
int cmd_model_run(cli *c, int argc, char **argv);
int cmd_model_list(cli *c, int argc, char **argv);
int cmd_model_describe(cli *c, int argc, char **argv);
int cmd_model_batch(cli *c, int argc, char **argv);
int cmd_task_get(cli *c, int argc, char **argv);
int cmd_task_wait(cli *c, int argc, char **argv);
int cmd_task_download(cli *c, int argc, char **argv);
int cmd_task_history(cli *c, int argc, char **argv);
int cmd_doctor(cli *c, int argc, char **argv);
int cmd_auth_login(cli *c, int argc, char **argv);
int cmd_auth_status(cli *c, int argc, char **argv);
int cmd_auth_logout(cli *c, int argc, char **argv);
int cmd_init(cli *c, int argc, char **argv);
int cmd_config_path(cli *c, int argc, char **argv);
int cmd_config_show(cli *c, int argc, char **argv);
int cmd_config_clear(cli *c, int argc, char **argv);
int cmd_quickstart(cli *c, int argc, char **argv);
/* auth logout (is_clear 0) and config clear (1): remove the selected saved profile. */
int profile_removal(cli *c, int argc, char **argv, int is_clear);

/* Slug rules of the official CLI: safe text, at most 256 characters, exactly "provider/model". */
int valid_model_slug(const char *slug, char *err, size_t err_size);
/* Safe text: no C0/C1 controls, no bidi controls, not empty after trimming. */
int is_safe_text(const char *s);

#endif /* MODELLIX_CLI_H */
