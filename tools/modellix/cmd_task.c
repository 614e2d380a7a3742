/* cmd_task.c - task get, task wait, task download. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_WAIT_IDS 1000

static int attach_or_fail(cli *c, session *s, const char *id, modellix_task **t)
{
    int rc = modellix_task_attach(t, s->client, id);
    if (rc == MODELLIX_EINVAL)
        return cli_fail(c, EXIT_FAIL, "Invalid task ID: it must be 1 to 512 characters from [A-Za-z0-9._~:/+@=-].");
    if (rc != MODELLIX_OK)
        return session_fail(c, s, rc);
    return 0;
}

static void print_resources(cli *c, modellix_task *t, const char *indent)
{
    for (size_t i = 0; i < modellix_task_resource_count(t); i++)
        cli_outf(c, "%s%s", indent, modellix_task_resource_url(t, i));
}

/* Every unfinished task of the journal (this base URL and profile); the submissions whose outcome is
 * unknown have no id to wait for: they are counted in one warning. */
static int attach_pending_all(cli *c, session *s, modellix_task ***tasks, size_t *n)
{
    modellix_task **pt = NULL;
    size_t pn = 0;
    int rc = modellix_client_attach_pending(&pt, &pn, s->client);
    if (rc != MODELLIX_OK)
        return session_fail(c, s, rc);
    if (pn > MAX_WAIT_IDS)
        cli_warn(c, "The task journal has %zu unfinished tasks; waiting for all of them.", pn);
    *tasks = calloc(pn ? pn : 1, sizeof **tasks);
    if (!*tasks) {
        for (size_t k = 0; k < pn; k++)
            modellix_task_free(pt[k]);
        modellix_free(pt);
        return cli_fail(c, EXIT_FAIL, "Out of memory.");
    }
    memcpy(*tasks, pt, pn * sizeof *pt);
    modellix_free(pt);
    *n = pn;
    char path[4096], err[256];
    modellix_journal *j = NULL;
    if (history_path(path, sizeof path, err, sizeof err) == 0 && modellix_journal_open(&j, path) == MODELLIX_OK) {
        size_t unknown = 0;
        const char *base = modellix_client_base_url(s->client);
        for (size_t i = 0; i < modellix_journal_count(j); i++) {
            int32_t st = modellix_journal_entry_state(j, i);
            const char *p = modellix_journal_entry_profile(j, i);
            if ((st == MODELLIX_JOURNAL_INTENT || st == MODELLIX_JOURNAL_UNKNOWN) &&
                strcmp(modellix_journal_entry_base_url(j, i), base) == 0 && p && strcmp(p, s->profile) == 0)
                unknown++;
        }
        if (unknown > 0)
            cli_warn(c,
                     "%zu paid submission(s) in the task journal have an unknown outcome and no task id: a task may "
                     "exist and be charged (modellix task history lists them).",
                     unknown);
        modellix_journal_free(j);
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------ */

int cmd_task_get(cli *c, int argc, char **argv)
{
    opt_result r;
    int rc = parse_command_args(c, argc, argv, NULL, 0, &r);
    if (rc)
        return rc;
    static const char *const outputs[] = {"human", "json", "quiet", NULL};
    if (r.n_pos != 1)
        rc = cli_fail(c, EXIT_USAGE, r.n_pos ? "Unexpected argument: %.200s" : "Missing required argument: taskId%s",
                      r.n_pos ? r.pos[1] : "");
    else
        rc = cli_check_output(c, "json", outputs);
    if (rc) {
        opt_result_free(&r);
        return rc;
    }
    session s;
    modellix_task *t = NULL;
    if ((rc = session_open(c, &s, NULL)) != 0)
        goto out;
    if ((rc = attach_or_fail(c, &s, r.pos[0], &t)) != 0)
        goto close;
    int prc = modellix_task_poll(t);
    if (prc != MODELLIX_OK) {
        rc = session_fail(c, &s, prc);
        goto close;
    }
    const char *output = cli_output_value(c, "json");
    if (strcmp(output, "quiet") == 0) {
        if (modellix_task_resource_count(t) == 0)
            cli_out(c, modellix_task_id(t));
        print_resources(c, t, "");
    } else if (strcmp(output, "human") == 0) {
        cli_outf(c, "%s\t%s", modellix_task_id(t), modellix_task_status_text(t));
        print_resources(c, t, "  ");
    } else {
        cli_out_raw_json(c, modellix_task_json(t));
    }
    rc = EXIT_OK;
close:
    modellix_task_free(t);
    session_close(&s);
out:
    opt_result_free(&r);
    return rc;
}

/* ------------------------------------------------------------------------------------------------ */

static int terminal(modellix_task *t)
{
    int32_t st = modellix_task_status(t);
    return st == MODELLIX_TASK_SUCCESS || st == MODELLIX_TASK_FAILED;
}

static void print_terminal(cli *c, modellix_task **tasks, size_t n, enum out_mode mode, int single)
{
    char lower[80];
    if (mode == OUT_QUIET) {
        for (size_t i = 0; i < n; i++) {
            if (!terminal(tasks[i]))
                continue;
            if (modellix_task_resource_count(tasks[i]) == 0)
                cli_out(c, modellix_task_id(tasks[i]));
            print_resources(c, tasks[i], "");
        }
    } else if (mode == OUT_HUMAN || mode == OUT_OTHER) {
        for (size_t i = 0; i < n; i++) {
            if (!terminal(tasks[i]))
                continue;
            cli_outf(c, "%s\t%s", modellix_task_id(tasks[i]),
                     cli_lower(modellix_task_status_text(tasks[i]), lower, sizeof lower));
            print_resources(c, tasks[i], "  ");
        }
    } else if (single) {
        cli_out_raw_json(c, modellix_task_json(tasks[0]));
    } else {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *resp = cli_parse_json(modellix_task_json(tasks[i]));
            json_array_append_new(list, json_pack("{s:o,s:s}", "response", resp ? resp : json_null(), "taskId",
                                                  modellix_task_id(tasks[i])));
        }
        json_t *doc = json_pack("{s:o}", "tasks", list);
        cli_out_json(c, doc);
        json_decref(doc);
    }
}

/* Every id is in the resume command (finished ones answer at once); the unfinished ones are listed. */
static int report_wait_interrupt(cli *c, modellix_task **tasks, size_t n)
{
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    json_t *unfinished = json_array();
    if (!ids || !unfinished) {
        free(ids);
        json_decref(unfinished);
        return interrupt_exit_code();
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = modellix_task_id(tasks[i]);
        if (!terminal(tasks[i]))
            json_array_append_new(unfinished, json_string(ids[i]));
    }
    char doing[96];
    snprintf(doing, sizeof doing, "while waiting for %zu task(s), %zu unfinished", n, json_array_size(unfinished));
    json_t *extra = json_pack("{s:O}", "unfinishedTaskIds", unfinished);
    interrupt_info ii = {0};
    ii.doing = doing;
    ii.ids = ids;
    ii.n_ids = n;
    ii.ids_are = "Tasks being waited for";
    ii.extra = extra;
    int rc = interrupt_report(c, &ii);
    json_decref(extra);
    json_decref(unfinished);
    free(ids);
    return rc;
}

int cmd_task_wait(cli *c, int argc, char **argv)
{
    static const opt_spec specs[] = {{"timeout", 0, 1}, {"interval", 0, 1}, {"concurrency", 0, 1}, {"pending", 0, 0}};
    enum { O_TIMEOUT, O_INTERVAL, O_CONC, O_PENDING };
    opt_result r;
    int rc = parse_command_args(c, argc, argv, specs, sizeof specs / sizeof specs[0], &r);
    if (rc)
        return rc;
    session s = {0};
    modellix_task **tasks = NULL;
    size_t n = 0;
    long long conc = 8;
    char err[512];
    int64_t timeout_ms = 300000, interval_ms = 0;
    int pending = r.value[O_PENDING] != NULL;
    static const char *const outputs[] = {"human", "json", "quiet", NULL};
    if (r.n_pos == 0 && !pending)
        rc = cli_fail(c, EXIT_USAGE, "Missing required argument: taskIds (or --pending)");
    else if (r.n_pos > 0 && pending)
        rc = cli_fail(c, EXIT_USAGE, "Pass task IDs or --pending, not both.");
    else if ((rc = cli_check_output(c, "json", outputs)) != 0)
        ;
    else if (r.value[O_CONC] && parse_int_flag(r.value[O_CONC], 1, 20, &conc) != 0)
        rc = cli_fail(c, EXIT_USAGE, "Expected --concurrency to be an integer from 1 to 20.");
    else if ((r.value[O_INTERVAL] &&
              parse_duration_ms(r.value[O_INTERVAL], "polling interval", 3600000, &interval_ms, err, sizeof err) != 0) ||
             (r.value[O_TIMEOUT] &&
              parse_duration_ms(r.value[O_TIMEOUT], "timeout", 604800000, &timeout_ms, err, sizeof err) != 0))
        rc = cli_fail(c, EXIT_USAGE, "%s", err);
    if (rc)
        goto out;

    /* unique ids, in input order */
    const char **ids = calloc(r.n_pos ? r.n_pos : 1, sizeof *ids);
    if (!ids) {
        rc = cli_fail(c, EXIT_FAIL, "Out of memory.");
        goto out;
    }
    for (size_t i = 0; i < r.n_pos; i++) {
        int dup = 0;
        for (size_t k = 0; k < n && !dup; k++)
            dup = strcmp(ids[k], r.pos[i]) == 0;
        if (!dup)
            ids[n++] = r.pos[i];
    }
    if (n > MAX_WAIT_IDS) {
        free(ids);
        n = 0;
        rc = cli_fail(c, EXIT_FAIL, "task wait accepts at most %d task IDs.", MAX_WAIT_IDS);
        goto out;
    }
    session_opts so = {0};
    so.poll_interval_ms = interval_ms;
    so.track_progress = 1;
    so.progress_total = n;
    so.interruptible = 1;
    if ((rc = session_open(c, &s, &so)) != 0) {
        free(ids);
        n = 0;
        goto out;
    }
    if (pending)
        rc = attach_pending_all(c, &s, &tasks, &n);
    else if (!(tasks = calloc(n, sizeof *tasks)))
        rc = cli_fail(c, EXIT_FAIL, "Out of memory.");
    else /* a task with an entry in the journal gets its final record when it is seen to finish */
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = attach_or_fail(c, &s, ids[i], &tasks[i]);
    free(ids);
    s.total = n;
    if (rc)
        goto out;
    if (pending && n == 0) {
        if (cli_output_mode(c, "json") == OUT_JSON) {
            json_t *doc = json_pack("{s:[]}", "tasks");
            cli_out_json(c, doc);
            json_decref(doc);
        } else if (cli_output_mode(c, "json") != OUT_QUIET) {
            cli_out(c, "No unfinished task in the task journal.");
        }
        goto out;
    }

    char tbuf[32];
    format_duration(timeout_ms, tbuf, sizeof tbuf);
    int wrc = cli_wait(c, s.client, tasks, n, timeout_ms);
    enum out_mode mode = cli_output_mode(c, "json");
    if (wrc == MODELLIX_ECANCELED && interrupt_signal()) {
        rc = report_wait_interrupt(c, tasks, n);
        goto out;
    }
    if (wrc == MODELLIX_ETIMEOUT) {
        size_t done = 0;
        for (size_t i = 0; i < n; i++)
            done += (size_t)terminal(tasks[i]);
        char msg[256];
        snprintf(msg, sizeof msg, "Timed out after %s while waiting for %zu unfinished task(s).", tbuf, n - done);
        if (mode == OUT_JSON) {
            json_t *completed = json_array(), *unfinished = json_array();
            char lower[80];
            for (size_t i = 0; i < n; i++) {
                if (!terminal(tasks[i])) {
                    json_array_append_new(unfinished, json_string(modellix_task_id(tasks[i])));
                    continue;
                }
                json_t *resp = cli_parse_json(modellix_task_json(tasks[i]));
                json_array_append_new(
                    completed, json_pack("{s:o,s:s,s:s}", "response", resp ? resp : json_null(), "status",
                                         cli_lower(modellix_task_status_text(tasks[i]), lower, sizeof lower), "taskId",
                                         modellix_task_id(tasks[i])));
            }
            json_t *doc = json_pack("{s:o,s:{s:s,s:i,s:s},s:b,s:o}", "completed", completed, "error", "code",
                                    "TASK_WAIT_TIMEOUT", "exitCode", EXIT_TIMEOUT, "message", msg, "ok", 0,
                                    "unfinishedTaskIds", unfinished);
            cli_out_json(c, doc);
            json_decref(doc);
            rc = EXIT_TIMEOUT;
        } else {
            if (done > 0)
                print_terminal(c, tasks, n, mode, 0);
            rc = cli_fail(c, EXIT_TIMEOUT, "%s", msg);
        }
        goto out;
    }
    if (wrc != MODELLIX_OK) {
        /* a poll failed for good (404, 401, a wrong answer...): the official CLI aborts with the error */
        for (size_t i = 0; i < n; i++)
            if (!terminal(tasks[i]) && modellix_task_errcode(tasks[i]) != MODELLIX_OK) {
                rc = cli_fail(c, EXIT_FAIL, "%s", modellix_task_errmsg(tasks[i]));
                goto out;
            }
        rc = session_fail(c, &s, wrc);
        goto out;
    }
    print_terminal(c, tasks, n, mode, n == 1 && !pending);
    rc = EXIT_OK;
    for (size_t i = 0; i < n; i++)
        if (modellix_task_status(tasks[i]) == MODELLIX_TASK_FAILED)
            rc = EXIT_FAIL;
out:
    if (tasks)
        for (size_t i = 0; i < n; i++)
            modellix_task_free(tasks[i]);
    free(tasks);
    session_close(&s);
    opt_result_free(&r);
    return rc;
}

/* ------------------------------------------------------------------------------------------------ */

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* name, or name with "-k" before its extension */
static void suffixed(const char *name, int k, char *out, size_t size)
{
    if (k <= 1) {
        snprintf(out, size, "%s", name);
        return;
    }
    const char *dot = strrchr(name, '.');
    if (dot && dot != name)
        snprintf(out, size, "%.*s-%d%s", (int)(dot - name), name, k, dot);
    else
        snprintf(out, size, "%s-%d", name, k);
}

/* Move a staged file to dir/<name or a free variant>. Returns 0 and the final path, or an errno. */
static int install(const char *staged, const char *dir, const char *name, int overwrite, char **chosen, size_t n_chosen,
                   char *final, size_t size)
{
    char cand[512];
    for (int k = 1; k < 10000; k++) {
        suffixed(name, k, cand, sizeof cand);
        int used = 0;
        for (size_t i = 0; i < n_chosen && !used; i++)
            used = strcasecmp(chosen[i], cand) == 0;
        if (used)
            continue;
        snprintf(final, size, "%s/%s", dir, cand);
        if (overwrite) {
            struct stat st;
            if (lstat(final, &st) == 0 && !S_ISREG(st.st_mode))
                return EISDIR; /* only regular files are replaced */
            if (rename(staged, final) != 0)
                return errno;
            return 0;
        }
        if (link(staged, final) == 0) {
            unlink(staged);
            return 0;
        }
        if (errno != EEXIST)
            return errno;
    }
    return EEXIST;
}

/* Remove a staging directory and the files directly in it (it has no subdirectories). */
static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[PATH_MAX + 300];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

int cmd_task_download(cli *c, int argc, char **argv)
{
    static const opt_spec specs[] = {{"output-dir", 0, 1},         {"overwrite", 0, 0},
                                     {"timeout", 0, 1},            {"allow-insecure-http", 0, 0},
                                     {"allow-private-network", 0, 0}, {"max-resources", 0, 1}};
    enum { O_DIR, O_OVERWRITE, O_TIMEOUT, O_HTTP, O_PRIVATE, O_MAXRES };
    opt_result r;
    int rc = parse_command_args(c, argc, argv, specs, sizeof specs / sizeof specs[0], &r);
    if (rc)
        return rc;
    session s = {0};
    modellix_task *t = NULL;
    char staging[PATH_MAX + 64] = "", absdir[PATH_MAX], err[512];
    char **chosen = NULL;
    size_t n_chosen = 0;
    json_t *files = NULL;
    int interrupted = 0;
    long long max_res = 100;
    int64_t timeout_ms = 600000;
    if (r.n_pos != 1)
        rc = cli_fail(c, EXIT_USAGE, r.n_pos ? "Unexpected argument: %.200s" : "Missing required argument: taskId%s",
                      r.n_pos ? r.pos[1] : "");
    else if (r.value[O_MAXRES] && parse_int_flag(r.value[O_MAXRES], 1, 1000, &max_res) != 0)
        rc = cli_fail(c, EXIT_USAGE, "Expected --max-resources to be an integer from 1 to 1000.");
    else {
        static const char *const outputs[] = {"human", "json", "quiet", NULL};
        rc = cli_check_output(c, "human", outputs);
    }
    if (rc)
        goto out;
    const char *dir = r.value[O_DIR] ? r.value[O_DIR] : ".";
    if (!is_safe_text(dir)) {
        rc = cli_fail(c, EXIT_FAIL, "Download output directory contains unsupported characters.");
        goto out;
    }
    if (make_dirs(dir) != 0 || !realpath(dir, absdir)) {
        rc = cli_fail(c, EXIT_FAIL, "Cannot create the output directory %s: %s", dir, strerror(errno ? errno : ENOTDIR));
        goto out;
    }
    if (r.value[O_TIMEOUT] &&
        parse_duration_ms(r.value[O_TIMEOUT], "download timeout", 86400000, &timeout_ms, err, sizeof err) != 0) {
        rc = cli_fail(c, EXIT_USAGE, "%s", err);
        goto out;
    }
    session_opts so = {0};
    so.exchange_timeout_ms = timeout_ms;
    so.interruptible = 1;
    if ((rc = session_open(c, &s, &so)) != 0)
        goto out;
    if ((rc = attach_or_fail(c, &s, r.pos[0], &t)) != 0)
        goto out;
    int prc = modellix_task_poll(t);
    if (prc == MODELLIX_ECANCELED && interrupt_signal()) {
        interrupted = 1;
        goto out;
    }
    if (prc != MODELLIX_OK) {
        rc = session_fail(c, &s, prc);
        goto out;
    }
    const char *id = modellix_task_id(t);
    if (modellix_task_status(t) != MODELLIX_TASK_SUCCESS) {
        rc = cli_fail(c, EXIT_FAIL, "Task %s is not complete (current status: %s).", id, modellix_task_status_text(t));
        goto out;
    }
    size_t count = modellix_task_resource_count(t);
    if (count == 0) {
        rc = cli_fail(c, EXIT_FAIL, "Task %s does not contain downloadable resources.", id);
        goto out;
    }
    if (count > (size_t)max_res) {
        rc = cli_fail(c, EXIT_FAIL, "Task %s has %zu resources, more than the --max-resources limit of %lld.", id, count,
                      max_res);
        goto out;
    }
    /* the library names each file from its URL; a private staging directory lets the tool pick a free
     * name (image-2.png) instead of failing when the name exists, as the official CLI does */
    snprintf(staging, sizeof staging, "%s/.modellix-download-XXXXXX", absdir);
    if (!mkdtemp(staging)) {
        staging[0] = '\0';
        rc = cli_fail(c, EXIT_FAIL, "Cannot create a staging directory in %s: %s", absdir, strerror(errno));
        goto out;
    }
    uint32_t flags = (r.value[O_HTTP] ? MODELLIX_DOWNLOAD_ALLOW_HTTP : 0u) |
                     (r.value[O_PRIVATE] ? MODELLIX_DOWNLOAD_ALLOW_PRIVATE : 0u);
    chosen = calloc(count, sizeof *chosen);
    files = json_array();
    if (!chosen || !files) {
        rc = cli_fail(c, EXIT_FAIL, "Out of memory.");
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        char *staged = NULL, final[PATH_MAX + 600];
        cli_progress(c, "Downloading resource %zu of %zu...", i + 1, count);
        int drc = interrupt_signal() ? MODELLIX_ECANCELED : modellix_task_download(t, i, staging, flags, &staged);
        if (drc == MODELLIX_ECANCELED && interrupt_signal()) {
            interrupted = 1;
            goto out;
        }
        if (drc != MODELLIX_OK) {
            rc = session_fail(c, &s, drc);
            goto out;
        }
        const char *name = strrchr(staged, '/');
        name = name ? name + 1 : staged;
        int e = install(staged, absdir, name, r.value[O_OVERWRITE] != NULL, chosen, n_chosen, final, sizeof final);
        if (e != 0) {
            unlink(staged);
            modellix_free(staged);
            rc = cli_fail(c, EXIT_FAIL,
                          e == EISDIR ? "Download target %s exists and is not a regular file."
                                      : "Cannot install the download as %s: %s",
                          final, strerror(e));
            goto out;
        }
        modellix_free(staged);
        const char *base = strrchr(final, '/') + 1;
        chosen[n_chosen++] = strdup(base);
        struct stat st;
        json_t *f = json_object();
        json_object_set_new(f, "bytes", json_integer(stat(final, &st) == 0 ? (json_int_t)st.st_size : 0));
        json_object_set_new(f, "path", json_string(final));
        const char *type = modellix_task_resource_type(t, i);
        if (type)
            json_object_set_new(f, "type", json_string(type));
        json_array_append_new(files, f);
    }
    cli_progress_clear(c);
    enum out_mode mode = cli_output_mode(c, "human");
    if (mode == OUT_JSON) {
        json_t *doc = json_pack("{s:O,s:b,s:s,s:s}", "files", files, "ok", 1, "outputDirectory", absdir, "taskId", id);
        cli_out_json(c, doc);
        json_decref(doc);
    } else {
        if (mode != OUT_QUIET)
            cli_outf(c, "Downloaded %zu resource(s) to %s:", json_array_size(files), absdir);
        for (size_t i = 0; i < json_array_size(files); i++)
            cli_out(c, json_string_value(json_object_get(json_array_get(files, i), "path")));
    }
    rc = EXIT_OK;
out:
    if (staging[0] && rmdir(staging) != 0 && errno != ENOENT && interrupted)
        remove_tree(staging); /* the library removes its own staging file; never leave ours */
    if (interrupted) {
        const char *id = r.pos[0];
        char suffix[PATH_MAX + 32];
        snprintf(suffix, sizeof suffix, "--output-dir %s", absdir);
        json_t *extra = json_pack("{s:O}", "files", files ? files : json_array());
        interrupt_info ii = {0};
        ii.doing = "during the download";
        ii.ids = &id;
        ii.n_ids = 1;
        ii.ids_are = "Task being downloaded";
        ii.resume_verb = "task download";
        ii.resume_suffix = suffix;
        ii.removed_partial = 1;
        ii.extra = extra;
        cli_progress_clear(c);
        rc = interrupt_report(c, &ii);
        json_decref(extra);
    }
    for (size_t i = 0; i < n_chosen; i++)
        free(chosen[i]);
    free(chosen);
    json_decref(files);
    modellix_task_free(t);
    session_close(&s);
    opt_result_free(&r);
    return rc;
}
