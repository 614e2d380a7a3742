/* session.c - a client made from the global flags (--api-key, --base-url, else the environment) and
 * the command's needs (fixed poll interval, submission concurrency, progress counting). */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include "cli.h"

#include <stdlib.h>
#include <strings.h>

#include <stdio.h>
#include <string.h>

static int64_t fixed_interval(int64_t age_ms, int32_t polls, void *user_data)
{
    (void)age_ms;
    (void)polls;
    return *(const int64_t *)user_data;
}

static void on_task_done(modellix_task *t, void *user_data)
{
    session *s = user_data;
    (void)t;
    s->done++;
}

static void log_line(int32_t level, const char *message, void *user_data)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    cli *c = user_data;
    cli_progress_clear(c);
    /* the outcome-unknown advice is the tool's to print, once (session_fail, batch results) */
    const char *advice = strstr(message, ". The paid submission");
    int len = advice ? (int)(advice - message) + 1 : (int)strlen(message);
    fprintf(stderr, "[modellix:%s] %.*s\n", names[level & 3], len, message);
}

const char *session_base_url(const cli *c)
{
    const char *b = c->base_url ? c->base_url : getenv("MODELLIX_BASE_URL");
    if (!b)
        return NULL;
    while (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')
        b++;
    return *b ? b : NULL; /* empty: the default origin */
}

const char *base_url_problem(const char *url)
{
    const char *p = url;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *colon = strstr(p, "://");
    if (!colon || colon == p)
        return "it is not a URL (expected an origin such as https://api.modellix.ai).";
    size_t scheme = (size_t)(colon - p);
    const char *host = colon + 3;
    size_t hl = strcspn(host, "/?#");
    const char *rest = host + hl;
    char hostbuf[300];
    snprintf(hostbuf, sizeof hostbuf, "%.*s", (int)(hl < 299 ? hl : 299), host);
    if (strchr(hostbuf, '@'))
        return "it must not contain a user name or password.";
    if (*rest == '?' || strchr(rest, '?'))
        return "it must not contain a query.";
    if (*rest == '#' || strchr(rest, '#'))
        return "it must not contain a fragment.";
    size_t rl = strlen(rest);
    while (rl > 0 && (rest[rl - 1] == ' ' || rest[rl - 1] == '\t' || rest[rl - 1] == '\n'))
        rl--;
    if (rl > 1 || (rl == 1 && rest[0] != '/'))
        return "it must be an origin without a path.";
    if (hl == 0)
        return "it has no host.";
    char *port = strrchr(hostbuf, ':');
    if (port && !strchr(port, ']'))
        *port = '\0';
    if (scheme == 4 && strncasecmp(p, "http", 4) == 0) {
        if (strcmp(hostbuf, "localhost") != 0 && strcmp(hostbuf, "127.0.0.1") != 0 && strcmp(hostbuf, "[::1]") != 0)
            return "http is allowed only for localhost, 127.0.0.1 and [::1]; use https.";
        return "it is not a valid origin.";
    }
    if (!(scheme == 5 && strncasecmp(p, "https", 5) == 0))
        return "the scheme must be https (or http for localhost).";
    return "it is not a valid origin.";
}

int session_try_open(cli *c, session *s, const session_opts *so, char *msg, size_t msg_size)
{
    static int64_t interval; /* the poll schedule's user_data: lives as long as the process */
    memset(s, 0, sizeof *s);
    s->cli = c;
    s->total = so ? so->progress_total : 0;
    modellix_options *o = NULL;
    if (modellix_options_new(&o) != MODELLIX_OK) {
        snprintf(msg, msg_size, "Out of memory.");
        return EXIT_FAIL;
    }
    int rc = MODELLIX_OK;
    const char *what = NULL;
    char why[512];
    if (so && so->api_key) {
        s->key = strdup(so->api_key);
        s->key_source = "flag";
    } else {
        auth_sel a;
        if (auth_resolve(c, &a, msg, msg_size) != 0) {
            auth_free(&a);
            modellix_options_free(o);
            return EXIT_FAIL;
        }
        s->key = a.key; /* taken over */
        a.key = NULL;
        s->key_source = a.key_source;
        snprintf(s->profile, sizeof s->profile, "%s", a.profile);
        s->profile_source = a.profile_source;
        auth_free(&a);
    }
    if (!s->key) {
        modellix_options_free(o);
        snprintf(msg, msg_size, "Missing API key for the selected profile. Provide --api-key, set MODELLIX_API_KEY, or "
                                "run modellix auth login.");
        return EXIT_FAIL;
    }
    if ((rc = modellix_options_set_api_key(o, s->key)) != MODELLIX_OK) {
        snprintf(why, sizeof why, "The API key from %s is not valid: it must be 1 to 16384 printable ASCII characters.",
                 strcmp(s->key_source, "flag") == 0          ? "--api-key"
                 : strcmp(s->key_source, "environment") == 0 ? "MODELLIX_API_KEY"
                                                             : "the saved profile");
        what = why;
    }
    const char *base = session_base_url(c);
    if (rc == MODELLIX_OK && base && (rc = modellix_options_set_base_url(o, base)) != MODELLIX_OK) {
        snprintf(why, sizeof why, "Invalid Modellix API base URL from %s: %s",
                 c->base_url ? "--base-url" : "MODELLIX_BASE_URL", base_url_problem(base));
        what = why;
    }
    if (rc == MODELLIX_OK)
        rc = modellix_options_set_user_agent(o, "modellix-cli-c");
    if (rc == MODELLIX_OK && so && so->poll_interval_ms > 0) {
        interval = so->poll_interval_ms;
        rc = modellix_options_set_poll_schedule(o, fixed_interval, &interval, NULL);
    }
    if (rc == MODELLIX_OK && so && so->max_in_flight > 0)
        rc = modellix_options_set_max_in_flight(o, so->max_in_flight);
    if (rc == MODELLIX_OK && so && so->continue_on_unknown)
        rc = modellix_options_set_continue_on_unknown(o, 1);
    if (rc == MODELLIX_OK && so && so->exchange_timeout_ms > 0)
        rc = modellix_options_set_timeout_ms(o, so->exchange_timeout_ms);
    if (rc == MODELLIX_OK && so && so->track_progress)
        rc = modellix_options_set_task_callback(o, on_task_done, s, NULL);
    if (rc == MODELLIX_OK && c->verbose) {
        rc = modellix_options_set_log_callback(o, log_line, c, NULL);
        if (rc == MODELLIX_OK)
            rc = modellix_options_set_log_level(o, c->verbose > 1 ? MODELLIX_LOG_DEBUG : MODELLIX_LOG_INFO);
    }
    /* the task journal: every client records its paid submissions (history.c) */
    char jpath[4096], jerr[256];
    int journal = history_path(jpath, sizeof jpath, jerr, sizeof jerr) == 0;
    if (rc == MODELLIX_OK && !journal && so && so->paid) {
        snprintf(why, sizeof why, "No task journal, so no paid submission is sent: %s", jerr);
        what = why;
        rc = MODELLIX_EINVAL;
    }
    if (rc == MODELLIX_OK && journal) {
        rc = modellix_options_set_journal_path(o, jpath);
        if (rc == MODELLIX_OK)
            rc = modellix_options_set_journal_profile(o, s->profile[0] ? s->profile : "default");
    }
    if (rc != MODELLIX_OK) {
        modellix_options_free(o);
        snprintf(msg, msg_size, "%s", what ? what : modellix_strerror(rc));
        session_close(s);
        return EXIT_FAIL;
    }
    rc = modellix_client_new(&s->client, o);
    if (journal && (rc == MODELLIX_EIO || rc == MODELLIX_EUNSAFE)) {
        if (so && so->paid) {
            modellix_options_free(o);
            snprintf(msg, msg_size,
                     "Cannot open the task journal at %s (%s): no paid submission is sent that it cannot record.",
                     jpath, rc == MODELLIX_EUNSAFE ? "a symbolic link, not a regular file, or not owner-only"
                                                   : "it cannot be created or opened");
            session_close(s);
            return EXIT_FAIL;
        }
        cli_warn(c, "The task journal at %s cannot be opened; continuing without it.", jpath);
        if (modellix_options_set_journal_path(o, NULL) == MODELLIX_OK)
            rc = modellix_client_new(&s->client, o);
    }
    modellix_options_free(o);
    if (rc == MODELLIX_OK) {
        if (so && so->poll_stats)
            poll_stats_load(s);
        if (so && so->interruptible)
            interrupt_arm(s->client);
        return 0;
    }
    if (rc == MODELLIX_ENOKEY)
        snprintf(msg, msg_size, "No Modellix API key found. Set MODELLIX_API_KEY or pass --api-key.");
    else
        snprintf(msg, msg_size, "Cannot create the Modellix client: %s.", modellix_strerror(rc));
    session_close(s);
    return EXIT_FAIL;
}

int session_open(cli *c, session *s, const session_opts *so)
{
    char msg[512];
    int rc = session_try_open(c, s, so, msg, sizeof msg);
    return rc ? cli_fail(c, rc, "%s", msg) : 0;
}

void session_close(session *s)
{
    interrupt_disarm();
    poll_stats_save(s);
    modellix_client_free(s->client);
    s->client = NULL;
    if (s->key) {
        explicit_bzero(s->key, strlen(s->key));
        free(s->key);
        s->key = NULL;
    }
}

int session_fail(cli *c, session *s, int rc)
{
    const char *msg = s && s->client ? modellix_client_errmsg(s->client) : "";
    if (!msg || !*msg)
        msg = modellix_strerror(rc);
    if (rc == MODELLIX_EOUTCOME_UNKNOWN) {
        /* the official CLI's wording; the library's message carries the cause first */
        const char *cut = strstr(msg, ". The paid submission");
        int len = cut ? (int)(cut - msg) : (int)strlen(msg);
        return cli_fail(c, EXIT_FAIL,
                        "%.*s. The paid submission outcome is unknown. Do not submit the same request again until you "
                        "verify whether a task was created.",
                        len, msg);
    }
    return cli_fail(c, EXIT_FAIL, "%s", msg);
}
