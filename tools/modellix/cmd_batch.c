/* cmd_batch.c - model batch: JSONL input, every line validated before the first submission, the cost
 * guard, queued submissions bounded by --concurrency (the client's max_in_flight), optional waiting. */
#include "cli.h"

#include <ctype.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_INPUT_BYTES (64u * 1024u * 1024u)
#define MAX_TASKS 1000

typedef struct entry {
    size_t line;
    char *slug;  /* trimmed */
    char *body;  /* compact JSON */
} entry;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *trimmed_copy(const char *s, size_t len)
{
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    char *out = malloc(len + 1);
    if (out) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

static void free_entries(entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(e[i].slug);
        free(e[i].body);
    }
    free(e);
}

/* Validate every line; on success the entries and their number are stored. Errors name the line, never its text. */
static int parse_batch(cli *c, const char *text, long long max_tasks, size_t max_body, entry **out, size_t *n_out)
{
    entry *entries = calloc(MAX_TASKS, sizeof *entries);
    size_t n = 0, line_no = 0;
    if (!entries)
        return cli_fail(c, EXIT_FAIL, "Out of memory.");
    const char *p = text;
    int rc = 0;
    char err[512];
    while (*p || line_no == 0) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        line_no++;
        char *line = trimmed_copy(p, len);
        p = nl ? nl + 1 : p + len;
        if (!line) {
            rc = cli_fail(c, EXIT_FAIL, "Out of memory.");
            break;
        }
        if (!*line) {
            free(line);
            if (!nl)
                break;
            continue;
        }
        if ((long long)n >= max_tasks) {
            free(line);
            rc = cli_fail(c, EXIT_FAIL, "Batch input exceeds the --max-tasks limit of %lld.", max_tasks);
            break;
        }
        json_error_t jerr;
        json_t *v = json_loads(line, JSON_DECODE_ANY, &jerr);
        free(line);
        json_t *slug = json_object_get(v, "modelSlug"), *body = json_object_get(v, "body");
        if (!v)
            rc = cli_fail(c, EXIT_FAIL, "Invalid JSON on line %zu of the batch input.", line_no);
        else if (!json_is_object(v))
            rc = cli_fail(c, EXIT_FAIL, "Invalid task on line %zu: expected a JSON object.", line_no);
        else if (!json_is_string(slug))
            rc = cli_fail(c, EXIT_FAIL, "Invalid task on line %zu: modelSlug must be a non-empty string.", line_no);
        else if (strlen(json_string_value(slug)) != json_string_length(slug) ||
                 !valid_model_slug(json_string_value(slug), err, sizeof err))
            rc = cli_fail(c, EXIT_FAIL, "Invalid task on line %zu: %s", line_no,
                          strlen(json_string_value(slug)) != json_string_length(slug)
                              ? "Model slug contains unsupported characters."
                              : err);
        else if (!body)
            rc = cli_fail(c, EXIT_FAIL, "Invalid task on line %zu: body must be valid JSON.", line_no);
        else if (!json_is_object(body))
            rc = cli_fail(c, EXIT_FAIL, "Invalid task on line %zu: body must be a JSON object.", line_no);
        if (rc == 0) {
            entries[n].line = line_no;
            entries[n].slug = trimmed_copy(json_string_value(slug), json_string_length(slug));
            entries[n].body = cli_json_dump(body, -1);
            if (!entries[n].slug || !entries[n].body)
                rc = cli_fail(c, EXIT_FAIL, "Out of memory.");
            else if (strlen(entries[n].body) > max_body)
                rc = cli_fail(c, EXIT_FAIL, "Invalid task on line %zu: body exceeds the %zu-byte limit.", line_no,
                              max_body);
            n++;
        }
        json_decref(v);
        if (rc || !nl)
            break;
    }
    if (rc == 0 && n == 0)
        rc = cli_fail(c, EXIT_FAIL, "Batch input does not contain any tasks.");
    if (rc) {
        free_entries(entries, n);
        return rc;
    }
    *out = entries;
    *n_out = n;
    return 0;
}

/* Replace every occurrence of needle in msg by "[redacted]" (as the CLI does with the key and body).
 * A needle shorter than 6 bytes is not searched: it would cut ordinary words ("un[redacted]nown"). */
static char *redact(const char *msg, const char *needle)
{
    size_t nl = needle ? strlen(needle) : 0;
    if (nl < 6)
        nl = 0;
    size_t cap = strlen(msg) * 2 + 64;
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    for (const char *p = msg; *p;) {
        if (nl > 0 && strncmp(p, needle, nl) == 0) {
            if ((size_t)(o - out) + 11 >= cap)
                break;
            memcpy(o, "[redacted]", 10);
            o += 10;
            p += nl;
        } else {
            if ((size_t)(o - out) + 2 >= cap)
                break;
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static json_t *error_string(const char *msg, const char *key, const char *body)
{
    char *a = redact(msg, key), *b = a ? redact(a, body) : NULL;
    json_t *s = json_string(b ? b : "[redacted]");
    free(a);
    free(b);
    return s ? s : json_string("error");
}

static const char *state_name(int32_t st)
{
    switch (st) {
    case MODELLIX_SUBMIT_REJECTED: return "rejected";
    case MODELLIX_SUBMIT_UNKNOWN: return "unknown";
    case MODELLIX_SUBMIT_SKIPPED: return "skipped";
    case MODELLIX_SUBMIT_QUEUED: return "skipped";
    case MODELLIX_SUBMIT_SENDING: return "unknown";
    default: return "accepted";
    }
}

/* Drive the client until no submission is queued or being sent, or the deadline passes. */
static void drive_submissions(cli *c, modellix_client *cl, modellix_task **tasks, size_t n, int64_t deadline)
{
    for (;;) {
        size_t active = 0, pending = 0;
        if (interrupt_signal())
            return;
        if (modellix_client_step(cl, &active) != MODELLIX_OK)
            return;
        for (size_t i = 0; i < n; i++) {
            int32_t st = modellix_task_submit_state(tasks[i]);
            if (st == MODELLIX_SUBMIT_QUEUED || st == MODELLIX_SUBMIT_SENDING)
                pending++;
        }
        if (pending == 0)
            return;
        cli_progress(c, "Submitting tasks: %zu of %zu answered", n - pending, n);
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return;
        int64_t wait = modellix_client_backend_timeout(cl);
        if (wait < 0 || wait > left)
            wait = left;
        if (wait > 1000)
            wait = 1000;
        struct pollfd pfd = {modellix_client_backend_fd(cl), POLLIN, 0};
        (void)poll(&pfd, 1, (int)wait);
    }
}

#define GRACE_MS 10000 /* how long an interrupted batch waits for the answers of submissions already sent */

/* After SIGINT/SIGTERM: drop the submissions not sent yet, give those on the wire a short grace to be
 * answered (a second signal ends it), then report every accepted id. Returns the exit code. */
static int finish_interrupted(cli *c, modellix_client *cl, modellix_task **tasks, const entry *entries, size_t n)
{
    size_t sending = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t st = modellix_task_submit_state(tasks[i]);
        if (st == MODELLIX_SUBMIT_QUEUED) {
            modellix_task_free(tasks[i]); /* dropped unsent */
            tasks[i] = NULL;
        } else if (st == MODELLIX_SUBMIT_SENDING) {
            sending++;
        }
    }
    if (sending > 0) {
        cli_progress_clear(c);
        fprintf(stderr, "Waiting up to %ds for the answers to %zu paid submission(s) already sent (interrupt again to "
                        "stop waiting)...\n", GRACE_MS / 1000, sending);
    }
    int64_t deadline = now_ms() + GRACE_MS;
    while (sending > 0 && interrupt_count() < 2 && now_ms() < deadline) {
        size_t active = 0;
        if (modellix_client_step(cl, &active) != MODELLIX_OK)
            break;
        sending = 0;
        for (size_t i = 0; i < n; i++)
            sending += tasks[i] && modellix_task_submit_state(tasks[i]) == MODELLIX_SUBMIT_SENDING;
        if (sending == 0)
            break;
        int64_t wait = modellix_client_backend_timeout(cl);
        if (wait < 0 || wait > 200)
            wait = 200;
        struct pollfd pfd = {modellix_client_backend_fd(cl), POLLIN, 0};
        (void)poll(&pfd, 1, (int)wait);
    }
    const char **ids = calloc(n, sizeof *ids);
    json_t *list = json_array();
    size_t n_ids = 0, unknown = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t st = tasks[i] ? modellix_task_submit_state(tasks[i]) : MODELLIX_SUBMIT_SKIPPED;
        const char *id = tasks[i] ? modellix_task_id(tasks[i]) : NULL;
        const char *state = st == MODELLIX_SUBMIT_ACCEPTED ? "accepted"
                            : st == MODELLIX_SUBMIT_REJECTED ? "rejected"
                            : st == MODELLIX_SUBMIT_SENDING || st == MODELLIX_SUBMIT_UNKNOWN ? "unknown"
                                                                                              : "skipped";
        if (st == MODELLIX_SUBMIT_SENDING || st == MODELLIX_SUBMIT_UNKNOWN)
            unknown++;
        json_t *o = json_pack("{s:i,s:s,s:s}", "index", (json_int_t)i + 1, "modelSlug", entries[i].slug,
                              "submissionState", state);
        if (st == MODELLIX_SUBMIT_ACCEPTED && id) {
            if (ids)
                ids[n_ids++] = id;
            json_object_set_new(o, "taskId", json_string(id));
        }
        json_array_append_new(list, o);
    }
    char doing[128];
    snprintf(doing, sizeof doing, "during a batch of %zu task(s)", n);
    json_t *extra = json_pack("{s:O}", "tasks", list);
    interrupt_info ii = {0};
    ii.doing = doing;
    ii.ids = ids;
    ii.n_ids = n_ids;
    ii.ids_are = "Accepted (paid) tasks, may still be running";
    ii.n_unknown = unknown;
    ii.extra = extra;
    int rc = interrupt_report(c, &ii);
    json_decref(extra);
    json_decref(list);
    free(ids);
    return rc;
}

int cmd_model_batch(cli *c, int argc, char **argv)
{
    static const opt_spec specs[] = {
        {"max-tasks", 0, 1}, {"yes", 'y', 0},      {"concurrency", 0, 1},     {"wait", 0, 0},
        {"timeout", 0, 1},   {"interval", 0, 1},   {"continue-on-unknown", 0, 0}, {"max-body-bytes", 0, 1},
        {"max-input-bytes", 0, 1}};
    enum { O_MAX, O_YES, O_CONC, O_WAIT, O_TIMEOUT, O_INTERVAL, O_CONT, O_MAXBODY, O_MAXINPUT };
    opt_result r;
    int rc = parse_command_args(c, argc, argv, specs, sizeof specs / sizeof specs[0], &r);
    if (rc)
        return rc;
    long long max_tasks = -1, conc = 3, max_body = MAX_INPUT_BYTES, max_input = MAX_INPUT_BYTES;
    const char *output = cli_output_value(c, "json");
    entry *entries = NULL;
    size_t n = 0;
    modellix_task **tasks = NULL;
    session s = {0};
    char err[512];
    if (r.n_pos != 1)
        rc = cli_fail(c, EXIT_USAGE, r.n_pos ? "Unexpected argument: %.200s" : "Missing required argument: file%s",
                      r.n_pos ? r.pos[1] : "");
    else if (r.value[O_MAX] && parse_int_flag(r.value[O_MAX], 1, MAX_TASKS, &max_tasks) != 0)
        rc = cli_fail(c, EXIT_USAGE, "Expected --max-tasks to be an integer from 1 to %d.", MAX_TASKS);
    else if (r.value[O_CONC] && parse_int_flag(r.value[O_CONC], 1, 10, &conc) != 0)
        rc = cli_fail(c, EXIT_USAGE, "Expected --concurrency to be an integer from 1 to 10.");
    else if (r.value[O_MAXBODY] && parse_int_flag(r.value[O_MAXBODY], 1, MAX_INPUT_BYTES, &max_body) != 0)
        rc = cli_fail(c, EXIT_USAGE, "Expected --max-body-bytes to be an integer from 1 to %u.", MAX_INPUT_BYTES);
    else if (r.value[O_MAXINPUT] && parse_int_flag(r.value[O_MAXINPUT], 1, MAX_INPUT_BYTES, &max_input) != 0)
        rc = cli_fail(c, EXIT_USAGE, "Expected --max-input-bytes to be an integer from 1 to %u.", MAX_INPUT_BYTES);
    else if (strcmp(output, "human") != 0 && strcmp(output, "json") != 0 && strcmp(output, "quiet") != 0)
        rc = cli_fail(c, EXIT_USAGE, "Expected --output=%.64s to be one of: human, json, quiet", output);
    if (rc)
        goto out;
    int wait = r.value[O_WAIT] != NULL;
    int64_t timeout_ms = 300000, interval_ms = 0;
    if ((r.value[O_TIMEOUT] || wait) &&
        parse_duration_ms(r.value[O_TIMEOUT] ? r.value[O_TIMEOUT] : "5m", "timeout", 604800000, &timeout_ms, err,
                          sizeof err) != 0) {
        rc = cli_fail(c, EXIT_USAGE, "%s", err);
        goto out;
    }
    if (wait && r.value[O_INTERVAL] &&
        parse_duration_ms(r.value[O_INTERVAL], "interval", 3600000, &interval_ms, err, sizeof err) != 0) {
        rc = cli_fail(c, EXIT_USAGE, "%s", err);
        goto out;
    }

    /* 1. read and validate the whole input before anything is sent */
    char *text = read_input(c, r.pos[0], "batch input", (size_t)max_input, &rc);
    if (!text)
        goto out;
    rc = parse_batch(c, text, max_tasks > 0 ? max_tasks : MAX_TASKS, (size_t)max_body, &entries, &n);
    free(text);
    if (rc)
        goto out;

    /* 2. the cost guard */
    if (max_tasks < 0 && !r.value[O_YES]) {
        rc = cli_fail(c, EXIT_USAGE, "Refusing to submit %zu potentially paid tasks without --max-tasks or explicit --yes.",
                      n);
        goto out;
    }

    /* 3. the client: --concurrency is its max_in_flight */
    session_opts so = {0};
    so.poll_interval_ms = interval_ms;
    so.max_in_flight = (int32_t)conc;
    so.continue_on_unknown = r.value[O_CONT] != NULL;
    so.track_progress = wait;
    so.progress_total = n;
    so.interruptible = 1;
    so.paid = 1;
    so.poll_stats = wait;
    if ((rc = session_open(c, &s, &so)) != 0)
        goto out;
    tasks = calloc(n, sizeof *tasks);
    if (!tasks) {
        rc = cli_fail(c, EXIT_FAIL, "Out of memory.");
        goto out;
    }
    /* queueing sends nothing until the client is driven: a refusal here leaves nothing sent */
    for (size_t i = 0; i < n; i++) {
        int qrc = modellix_task_submit_async(&tasks[i], s.client, entries[i].slug, entries[i].body);
        if (qrc != MODELLIX_OK) {
            for (size_t k = 0; k < i; k++)
                modellix_task_free(tasks[k]);
            memset(tasks, 0, n * sizeof *tasks);
            rc = cli_fail(c, EXIT_FAIL, "Invalid task on line %zu: %s.", entries[i].line, modellix_strerror(qrc));
            goto out;
        }
    }

    /* 4. drive: each slot handles its entries one after another, each within --timeout */
    int64_t rounds = ((int64_t)n + conc - 1) / conc;
    int64_t budget = timeout_ms > INT64_MAX / rounds ? INT64_MAX / 4 : timeout_ms * rounds;
    if (budget > 7LL * 24 * 3600 * 1000)
        budget = 7LL * 24 * 3600 * 1000;
    int timed_out = 0;
    if (wait) {
        int wrc = cli_wait(c, s.client, tasks, n, budget);
        timed_out = wrc == MODELLIX_ETIMEOUT;
    } else {
        drive_submissions(c, s.client, tasks, n, now_ms() + budget);
    }
    cli_progress_clear(c);
    if (interrupt_signal()) {
        rc = finish_interrupted(c, s.client, tasks, entries, n);
        goto out;
    }

    /* 5. results, in input order */
    const char *key = s.key;
    json_t *list = json_array();
    size_t failed = 0, timeouts = 0;
    for (size_t i = 0; i < n; i++) {
        modellix_task *t = tasks[i];
        int32_t st = modellix_task_submit_state(t);
        const char *id = modellix_task_id(t);
        json_t *o = json_object();
        json_t *error = NULL, *urls = NULL;
        const char *status = "submitted";
        char lower[80], buf[1024];
        int ok = 0;
        if (st == MODELLIX_SUBMIT_ACCEPTED || st == MODELLIX_SUBMIT_NONE) {
            if (!wait) {
                ok = 1;
            } else {
                int32_t ts = modellix_task_status(t);
                urls = json_array();
                if (ts == MODELLIX_TASK_SUCCESS || ts == MODELLIX_TASK_FAILED) {
                    status = cli_lower(modellix_task_status_text(t), lower, sizeof lower);
                    ok = ts == MODELLIX_TASK_SUCCESS;
                    for (size_t k = 0; ok && k < modellix_task_resource_count(t); k++)
                        json_array_append_new(urls, json_string(modellix_task_resource_url(t, k)));
                    if (!ok) {
                        snprintf(buf, sizeof buf, "Task reached terminal status %s.", status);
                        error = error_string(buf, key, entries[i].body);
                    }
                } else if (!modellix_task_done(t) || (timed_out && modellix_task_errcode(t) == MODELLIX_ETIMEOUT)) {
                    status = "timeout";
                    snprintf(buf, sizeof buf,
                             "Task %s was submitted but did not finish before the timeout. It may still be running. "
                             "Resume with: modellix task wait %s",
                             id, id);
                    error = error_string(buf, key, entries[i].body);
                } else {
                    status = "error";
                    snprintf(buf, sizeof buf, "%s Resume with: modellix task wait %s", modellix_task_errmsg(t), id);
                    error = error_string(buf, key, entries[i].body);
                }
            }
        } else if (st == MODELLIX_SUBMIT_SKIPPED) {
            status = "skipped";
            error = json_string("Skipped after an earlier paid submission returned an unknown outcome.");
        } else if (st == MODELLIX_SUBMIT_QUEUED) {
            status = "skipped";
            error = json_string("Not submitted: the timeout passed while the task waited for a free submission slot.");
        } else if (st == MODELLIX_SUBMIT_SENDING) {
            status = "error";
            error = json_string("The paid submission was still unanswered at the timeout. The paid submission outcome "
                                "is unknown. Do not submit the same request again until you verify whether a task "
                                "was created.");
        } else {
            status = "error";
            const char *m = modellix_task_errmsg(t);
            if (st == MODELLIX_SUBMIT_UNKNOWN) {
                const char *cut = strstr(m, ". The paid submission");
                snprintf(buf, sizeof buf,
                         "%.*s. The paid submission outcome is unknown. Do not submit the same request again until "
                         "you verify whether a task was created.",
                         cut ? (int)(cut - m) : (int)strlen(m), m);
                m = buf;
            }
            error = error_string(m && *m ? m : modellix_strerror(modellix_task_errcode(t)), key, entries[i].body);
        }
        if (!ok) {
            failed++;
            if (strcmp(status, "timeout") == 0)
                timeouts++;
        }
        if (error)
            json_object_set_new(o, "error", error);
        json_object_set_new(o, "index", json_integer((json_int_t)i + 1));
        json_object_set_new(o, "modelSlug", json_string(entries[i].slug));
        json_object_set_new(o, "ok", json_boolean(ok));
        if (urls)
            json_object_set_new(o, "resourceUrls", urls);
        json_object_set_new(o, "status", json_string(status));
        json_object_set_new(o, "submissionState", json_string(state_name(st)));
        if (id && (st == MODELLIX_SUBMIT_ACCEPTED || st == MODELLIX_SUBMIT_NONE))
            json_object_set_new(o, "taskId", json_string(id));
        json_array_append_new(list, o);
    }

    if (strcmp(output, "quiet") == 0) {
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_array_get(list, i);
            if (!json_is_true(json_object_get(o, "ok"))) {
                cli_warn(c, "Task %zu (%s) failed: %s", i + 1, entries[i].slug,
                         json_string_value(json_object_get(o, "error")));
                continue;
            }
            json_t *urls = json_object_get(o, "resourceUrls");
            if (json_array_size(urls) > 0)
                for (size_t k = 0; k < json_array_size(urls); k++)
                    cli_out(c, json_string_value(json_array_get(urls, k)));
            else
                cli_out(c, json_string_value(json_object_get(o, "taskId")));
        }
    } else if (strcmp(output, "human") == 0) {
        for (size_t i = 0; i < n; i++) {
            json_t *o = json_array_get(list, i);
            const char *id = json_string_value(json_object_get(o, "taskId"));
            const char *e = json_string_value(json_object_get(o, "error"));
            cli_outf(c, "%zu. %s%s%s%s: %s [%s]%s%s", i + 1, entries[i].slug, id ? " (" : "", id ? id : "",
                     id ? ")" : "", json_string_value(json_object_get(o, "status")),
                     json_string_value(json_object_get(o, "submissionState")), e ? " - " : "", e ? e : "");
        }
    } else {
        json_t *doc = json_object();
        json_object_set_new(doc, "failed", json_integer((json_int_t)failed));
        json_object_set_new(doc, "succeeded", json_integer((json_int_t)(n - failed)));
        json_object_set_new(doc, "tasks", json_incref(list));
        json_object_set_new(doc, "total", json_integer((json_int_t)n));
        cli_out_json(c, doc);
        json_decref(doc);
    }
    json_decref(list);
    rc = failed == 0 ? EXIT_OK : failed == timeouts ? EXIT_TIMEOUT : EXIT_FAIL;
out:
    if (tasks)
        for (size_t i = 0; i < n; i++)
            modellix_task_free(tasks[i]);
    free(tasks);
    session_close(&s);
    free_entries(entries, n);
    opt_result_free(&r);
    return rc;
}
