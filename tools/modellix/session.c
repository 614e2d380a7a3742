/* session.c - a client made from the global flags (--api-key, --base-url, else the environment) and
 * the command's needs (fixed poll interval, submission concurrency, progress counting). */
#include "cli.h"

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
    if (s->total > 1)
        cli_progress(s->cli, "Waiting for tasks: %zu of %zu finished", s->done, s->total);
}

static void log_line(int32_t level, const char *message, void *user_data)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    cli *c = user_data;
    cli_progress_clear(c);
    fprintf(stderr, "[modellix:%s] %s\n", names[level & 3], message);
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
    if (c->api_key && (rc = modellix_options_set_api_key(o, c->api_key)) != MODELLIX_OK)
        what = "The API key given with --api-key is not valid: it must be 1 to 16384 printable ASCII characters.";
    if (rc == MODELLIX_OK && c->base_url && (rc = modellix_options_set_base_url(o, c->base_url)) != MODELLIX_OK)
        what = "Invalid Modellix API base URL: it must be an origin without a path (https, or http for localhost).";
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
    if (rc != MODELLIX_OK) {
        modellix_options_free(o);
        snprintf(msg, msg_size, "%s", what ? what : modellix_strerror(rc));
        return EXIT_FAIL;
    }
    rc = modellix_client_new(&s->client, o);
    modellix_options_free(o);
    if (rc == MODELLIX_OK) {
        if (so && so->interruptible)
            interrupt_arm(s->client);
        return 0;
    }
    if (rc == MODELLIX_ENOKEY)
        snprintf(msg, msg_size, "No Modellix API key found. Set MODELLIX_API_KEY or pass --api-key.");
    else if (rc == MODELLIX_EINVAL)
        snprintf(msg, msg_size,
                        "Invalid configuration from the environment: MODELLIX_API_KEY must be 1 to 16384 printable "
                        "ASCII characters and MODELLIX_BASE_URL an origin without a path (https, or http for "
                        "localhost).");
    else
        snprintf(msg, msg_size, "Cannot create the Modellix client: %s.", modellix_strerror(rc));
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
    modellix_client_free(s->client);
    s->client = NULL;
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
