/* history.c - the tool's state directory, the task journal's location and `task history`.
 *
 * Every client the tool makes records its paid submissions in the library's task journal
 * (<XDG_STATE_HOME or ~/.local/state>/modellix/tasks.journal): an intent before the POST leaves, the
 * task id once accepted, the final state. `task history` lists it newest first in the official CLI's
 * JSON shape ({"entries":[{taskId, createdAt, updatedAt, baseUrl, modelSlug, profile, status}],
 * "historyPath", "ok", "total"}); a submission whose outcome is unknown (no task id) is listed too,
 * with status "outcome-unknown", taskId null and its intentId. Rejected submissions created no task
 * and are not listed. */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int state_file_path(const char *name, char *out, size_t size, char *err, size_t err_size)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    while (xdg && isspace((unsigned char)*xdg))
        xdg++;
    int n;
    if (xdg && *xdg && xdg[0] == '/') {
        n = snprintf(out, size, "%s/modellix/%s", xdg, name);
    } else if (!home || home[0] != '/') {
        snprintf(err, err_size, "neither XDG_STATE_HOME nor HOME is an absolute path");
        return -1;
    } else {
        n = snprintf(out, size, "%s/.local/state/modellix/%s", home, name);
    }
    if (n < 0 || (size_t)n >= size) {
        snprintf(err, err_size, "the state directory's path is too long");
        return -1;
    }
    return 0;
}

int history_path(char *out, size_t size, char *err, size_t err_size)
{
    return state_file_path("tasks.journal", out, size, err, err_size);
}

const char *history_status(int32_t state)
{
    switch (state) {
    case MODELLIX_JOURNAL_ACCEPTED: return "submitted";
    case MODELLIX_JOURNAL_SUCCESS: return "success";
    case MODELLIX_JOURNAL_FAILED: return "failed";
    case MODELLIX_JOURNAL_REJECTED: return "rejected";
    default: return "outcome-unknown"; /* INTENT (no answer recorded) and UNKNOWN */
    }
}

/* ISO-8601 UTC with milliseconds, as JavaScript's Date.toISOString() */
static void iso_time(int64_t ms, char *buf, size_t size)
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03dZ", (int)(ms % 1000));
}

static json_t *entry_json(const modellix_journal *j, size_t i)
{
    char created[64], updated[64];
    iso_time(modellix_journal_entry_created_ms(j, i), created, sizeof created);
    iso_time(modellix_journal_entry_updated_ms(j, i), updated, sizeof updated);
    const char *id = modellix_journal_entry_task_id(j, i);
    const char *profile = modellix_journal_entry_profile(j, i);
    json_t *o = json_object();
    json_object_set_new(o, "taskId", id ? json_string(id) : json_null());
    json_object_set_new(o, "createdAt", json_string(created));
    json_object_set_new(o, "updatedAt", json_string(updated));
    json_object_set_new(o, "baseUrl", json_string(modellix_journal_entry_base_url(j, i)));
    json_object_set_new(o, "modelSlug", json_string(modellix_journal_entry_model_slug(j, i)));
    json_object_set_new(o, "profile", json_string(profile ? profile : "default"));
    json_object_set_new(o, "status", json_string(history_status(modellix_journal_entry_state(j, i))));
    if (!id)
        json_object_set_new(o, "intentId", json_string(modellix_journal_entry_intent_id(j, i)));
    return o;
}

static int open_failed(cli *c, int rc, const char *path)
{
    return cli_fail(c, EXIT_FAIL, "Cannot read the task journal at %s: %s", path,
                    rc == MODELLIX_EUNSAFE ? "it is a symbolic link, not a regular file, or another user's."
                                           : modellix_strerror(rc));
}

int cmd_task_history(cli *c, int argc, char **argv)
{
    static const opt_spec specs[] = {{"limit", 0, 1}, {"clear", 0, 0}, {"yes", 'y', 0}};
    enum { O_LIMIT, O_CLEAR, O_YES };
    static const char *const outputs[] = {"human", "json", "quiet", NULL};
    opt_result r;
    int rc = parse_command_args(c, argc, argv, specs, sizeof specs / sizeof specs[0], &r);
    if (rc)
        return rc;
    long long limit = 20;
    int clear = r.value[O_CLEAR] != NULL, yes = r.value[O_YES] != NULL;
    if (r.n_pos > 0)
        rc = cli_fail(c, EXIT_USAGE, "Unexpected argument: %.200s", r.pos[0]);
    else if (r.value[O_LIMIT] && parse_int_flag(r.value[O_LIMIT], 1, 1000000, &limit) != 0)
        rc = cli_fail(c, EXIT_USAGE, "Expected --limit to be an integer greater than or equal to 1.");
    else if (yes && !clear)
        rc = cli_fail(c, EXIT_USAGE, "--yes can only be used with --clear.");
    else
        rc = cli_check_output(c, "human", outputs);
    opt_result_free(&r);
    if (rc)
        return rc;

    char path[4096], err[512];
    if (history_path(path, sizeof path, err, sizeof err) != 0)
        return cli_fail(c, EXIT_FAIL, "Cannot locate the task journal: %s.", err);
    /* the profile filter: --profile, else MODELLIX_PROFILE */
    char profile[80] = "";
    const char *pf = c->profile && *c->profile ? c->profile : getenv("MODELLIX_PROFILE");
    while (pf && isspace((unsigned char)*pf))
        pf++;
    if (pf && *pf) {
        snprintf(profile, sizeof profile, "%.79s", pf);
        size_t len = strlen(profile);
        while (len > 0 && isspace((unsigned char)profile[len - 1]))
            profile[--len] = '\0';
        if (!profile_name_valid(profile, err, sizeof err))
            return cli_fail(c, EXIT_FAIL, "%s", err);
    }
    enum out_mode mode = cli_output_mode(c, "human");

    modellix_journal *j = NULL;
    int jrc = modellix_journal_open(&j, path);
    if (jrc != MODELLIX_OK)
        return open_failed(c, jrc, path);
    size_t n = modellix_journal_count(j);

    if (clear) {
        if (profile[0]) {
            modellix_journal_free(j);
            return cli_fail(c, EXIT_USAGE,
                            "The task journal is shared by every profile and is cleared as a whole: run task history "
                            "--clear without --profile or MODELLIX_PROFILE.");
        }
        size_t unfinished = 0;
        for (size_t i = 0; i < n; i++) {
            int32_t st = modellix_journal_entry_state(j, i);
            unfinished += st == MODELLIX_JOURNAL_ACCEPTED || st == MODELLIX_JOURNAL_INTENT ||
                          st == MODELLIX_JOURNAL_UNKNOWN;
        }
        modellix_journal_free(j);
        if (!yes) {
            if (!auth_interactive(c))
                return cli_fail(c, EXIT_FAIL, "Pass --yes to clear task history in a non-interactive session.");
            if (!auth_confirm("Clear all local Modellix task history?"))
                return cli_fail(c, EXIT_FAIL, "Task history was not changed.");
        }
        int crc = modellix_journal_clear(path);
        if (crc != MODELLIX_OK)
            return open_failed(c, crc, path);
        if (unfinished > 0)
            cli_warn(c, "%zu cleared entr%s had not finished (or had an unknown outcome).", unfinished,
                     unfinished == 1 ? "y" : "ies");
        if (mode == OUT_JSON) {
            json_t *doc = json_pack("{s:b,s:s,s:b}", "cleared", n > 0, "historyPath", path, "ok", 1);
            cli_out_json(c, doc);
            json_decref(doc);
        } else if (mode != OUT_QUIET) {
            if (n > 0)
                cli_outf(c, "Cleared local task history at %s.", path);
            else
                cli_out(c, "No local task history exists.");
        }
        return EXIT_OK;
    }

    /* newest first; rejected submissions created no task */
    json_t *entries = json_array();
    size_t total = 0;
    for (size_t k = n; k-- > 0;) {
        if (modellix_journal_entry_state(j, k) == MODELLIX_JOURNAL_REJECTED)
            continue;
        const char *p = modellix_journal_entry_profile(j, k);
        if (profile[0] && strcmp(p ? p : "default", profile) != 0)
            continue;
        total++;
        if ((long long)json_array_size(entries) < limit)
            json_array_append_new(entries, entry_json(j, k));
    }
    if (modellix_journal_skipped(j) > 0)
        cli_warn(c, "%zu damaged line(s) of the task journal were ignored.", modellix_journal_skipped(j));
    modellix_journal_free(j);
    if (mode == OUT_JSON) {
        json_t *doc = json_object();
        json_object_set(doc, "entries", entries);
        json_object_set_new(doc, "historyPath", json_string(path));
        json_object_set_new(doc, "ok", json_true());
        if (profile[0])
            json_object_set_new(doc, "profile", json_string(profile));
        json_object_set_new(doc, "total", json_integer((json_int_t)total));
        cli_out_json(c, doc);
        json_decref(doc);
    } else if (mode == OUT_QUIET) {
        for (size_t i = 0; i < json_array_size(entries); i++) {
            json_t *id = json_object_get(json_array_get(entries, i), "taskId");
            if (json_is_string(id))
                cli_out(c, json_string_value(id));
        }
    } else if (json_array_size(entries) == 0) {
        cli_out(c, "No local task history.");
    } else {
        size_t unknown = 0;
        for (size_t i = 0; i < json_array_size(entries); i++) {
            json_t *e = json_array_get(entries, i);
            json_t *id = json_object_get(e, "taskId");
            const char *status = json_string_value(json_object_get(e, "status"));
            unknown += strcmp(status, "outcome-unknown") == 0;
            cli_outf(c, "%s\t%s\t%s\t%s\t%s\t%s", json_string_value(json_object_get(e, "updatedAt")),
                     json_string_value(json_object_get(e, "profile")),
                     json_is_string(id) ? json_string_value(id) : "(no task id)",
                     json_string_value(json_object_get(e, "modelSlug")), status,
                     json_string_value(json_object_get(e, "baseUrl")));
        }
        if (unknown > 0)
            cli_warn(c,
                     "%zu submission(s) have an unknown outcome: a task may exist and be charged. Check the "
                     "console's activity before submitting the same request again.",
                     unknown);
    }
    json_decref(entries);
    return EXIT_OK;
}
