/* interrupt.c - SIGINT and SIGTERM during the long commands (model run, model batch, task wait,
 * task download).
 *
 * The handler only records the signal and calls modellix_client_cancel() on the armed client. That
 * call is an atomic store (a lock-free atomic_int) and a write() to the client's eventfd, both
 * async-signal-safe; the handler saves and restores errno around it. The blocking call running on
 * the client then returns MODELLIX_ECANCELED, and the command reports every task id that was
 * accepted, with the command that resumes it, and exits 128 + the signal number (130 for SIGINT,
 * 143 for SIGTERM). */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if ATOMIC_INT_LOCK_FREE != 2
#error "modellix_client_cancel() is async-signal-safe only where atomic_int is lock-free"
#endif

static volatile sig_atomic_t caught_signal; /* the first signal, or 0 */
static volatile sig_atomic_t caught_count;
static modellix_client *volatile armed_client;

static void on_signal(int sig)
{
    int saved = errno;
    if (caught_signal == 0)
        caught_signal = sig;
    if (caught_count < 1000)
        caught_count = caught_count + 1; /* only this handler writes it; both signals are masked in it */
    modellix_client *c = armed_client;
    if (c)
        (void)modellix_client_cancel(c);
    errno = saved;
}

/* Store the client pointer with both signals blocked, so the handler never sees it half-written. */
static void set_client(modellix_client *c)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    armed_client = c;
    sigprocmask(SIG_SETMASK, &old, NULL);
}

void interrupt_arm(modellix_client *c)
{
    static int installed;
    if (!installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaddset(&sa.sa_mask, SIGINT);
        sigaddset(&sa.sa_mask, SIGTERM);
        sa.sa_flags = 0; /* no SA_RESTART: a poll() in the tool's own loops returns EINTR */
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        installed = 1;
    }
    set_client(c);
    /* a signal that came before the client existed still cancels its first blocking call */
    if (c && caught_signal)
        (void)modellix_client_cancel(c);
}

void interrupt_disarm(void)
{
    set_client(NULL);
}

int interrupt_signal(void)
{
    return caught_signal;
}

int interrupt_count(void)
{
    return caught_count;
}

int interrupt_exit_code(void)
{
    return 128 + caught_signal;
}

static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal";
}

/* "modellix task wait a b c" (or the given command) into a malloc'd string. */
static char *resume_command(const char *verb, const char *const *ids, size_t n, const char *suffix)
{
    size_t len = strlen(verb) + 16 + (suffix ? strlen(suffix) + 1 : 0);
    for (size_t i = 0; i < n; i++)
        len += strlen(ids[i]) + 1;
    char *s = malloc(len);
    if (!s)
        return NULL;
    strcpy(s, "modellix ");
    strcat(s, verb);
    for (size_t i = 0; i < n; i++) {
        strcat(s, " ");
        strcat(s, ids[i]);
    }
    if (suffix) {
        strcat(s, " ");
        strcat(s, suffix);
    }
    return s;
}

int interrupt_report(cli *c, const interrupt_info *info)
{
    int code = interrupt_exit_code();
    const char *sig = signal_name(interrupt_signal());
    const char *verb = info->resume_verb ? info->resume_verb : "task wait";
    char *resume = info->n_ids ? resume_command(verb, info->ids, info->n_ids, info->resume_suffix) : NULL;
    char msg[1024];
    if (info->n_ids)
        snprintf(msg, sizeof msg, "Interrupted by %s %s. %s: %zu. Resume with: %s", sig, info->doing, info->ids_are,
                 info->n_ids, resume ? resume : "(out of memory)");
    else
        snprintf(msg, sizeof msg, "Interrupted by %s %s. No task was accepted.", sig, info->doing);

    /* the human form always goes to stderr: the ids must survive whatever stdout is redirected to */
    cli_progress_clear(c);
    fprintf(stderr, "Interrupted by %s %s.\n", sig, info->doing);
    if (info->n_ids) {
        fprintf(stderr, "%s (%zu):\n", info->ids_are, info->n_ids);
        for (size_t i = 0; i < info->n_ids; i++)
            fprintf(stderr, "  %s\n", info->ids[i]);
        fprintf(stderr, "Resume with: %s\n", resume ? resume : "(out of memory)");
    } else if (!info->n_unknown) {
        fputs("No task was accepted.\n", stderr);
    }
    if (info->n_unknown) {
        fprintf(stderr,
                "%zu paid submission(s) were sent but not answered: their outcome is unknown. Do not submit the "
                "same request again until you verify whether a task was created (modellix task history).\n",
                info->n_unknown);
    }
    if (info->removed_partial)
        fputs("Partial downloads were removed.\n", stderr);

    if (cli_json_errors(c) && !c->stdout_written) {
        json_t *ids = json_array();
        for (size_t i = 0; i < info->n_ids; i++)
            json_array_append_new(ids, json_string(info->ids[i]));
        json_t *doc = json_object();
        json_object_set_new(doc, "error", json_pack("{s:s,s:i,s:s,s:s}", "code", "INTERRUPTED", "exitCode", code,
                                                    "message", msg, "signal", sig));
        if (info->extra) {
            const char *k;
            json_t *v;
            json_object_foreach(info->extra, k, v)
            {
                json_object_set(doc, k, v);
            }
        }
        json_object_set_new(doc, "ok", json_false());
        json_object_set_new(doc, "resumeCommand", resume ? json_string(resume) : json_null());
        json_object_set_new(doc, "taskIds", ids);
        json_object_set_new(doc, "unknownSubmissions", json_integer((json_int_t)info->n_unknown));
        cli_out_json(c, doc);
        json_decref(doc);
    }
    free(resume);
    return code;
}
