/* cmd_model.c - model run (alias invoke), model list, model describe. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BODY_BYTES (64u * 1024u * 1024u)

int valid_model_slug(const char *slug, char *err, size_t err_size)
{
    size_t len = strlen(slug);
    const char *b = slug, *e = slug + len;
    while (b < e && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        e--;
    if (b == e) {
        snprintf(err, err_size, "Model slug must not be empty.");
        return 0;
    }
    if (!is_safe_text(slug)) {
        snprintf(err, err_size, "Model slug contains unsupported characters.");
        return 0;
    }
    if ((size_t)(e - b) > 256) {
        snprintf(err, err_size, "Model slug is too long (at most 256 characters).");
        return 0;
    }
    const char *slash = memchr(b, '/', (size_t)(e - b));
    int ok = slash != NULL && memchr(slash + 1, '/', (size_t)(e - slash - 1)) == NULL;
    if (ok) {
        const char *p = b;
        while (p < slash && *p == ' ')
            p++;
        ok = p < slash;
        p = slash + 1;
        while (p < e && *p == ' ')
            p++;
        ok = ok && p < e;
    }
    if (!ok) {
        snprintf(err, err_size,
                 "Model slug must use the provider/model format, for example bytedance/seedream-4.5-t2i.");
        return 0;
    }
    return 1;
}

/* Read all of a stream, at most max bytes (+1 to detect overflow). */
static char *read_stream(FILE *f, size_t max, size_t *len_out, int *too_big)
{
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    *too_big = 0;
    if (!buf)
        return NULL;
    for (;;) {
        if (len + 1 >= cap) {
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                return NULL;
            }
            buf = p;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len > max) {
            *too_big = 1;
            free(buf);
            return NULL;
        }
        if (n == 0)
            break;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

char *read_input(cli *c, const char *path, const char *what, size_t max, int *rc)
{
    FILE *f = stdin;
    size_t len = 0;
    int too_big = 0;
    if (strcmp(path, "-") == 0) {
        if (isatty(STDIN_FILENO)) {
            *rc = cli_fail(c, EXIT_USAGE, "Cannot read the %s from an interactive terminal. Pipe it to stdin.", what);
            return NULL;
        }
    } else if (!(f = fopen(path, "rb"))) {
        *rc = cli_fail(c, EXIT_FAIL, "Unable to read the %s at path: %s", what, path);
        return NULL;
    }
    char *text = read_stream(f, max, &len, &too_big);
    int read_error = ferror(f);
    if (f != stdin)
        fclose(f);
    if (too_big) {
        *rc = cli_fail(c, EXIT_FAIL, "The %s exceeds the %zu-byte limit.", what, max);
        return NULL;
    }
    if (!text || read_error) {
        free(text);
        *rc = cli_fail(c, EXIT_FAIL, "Unable to read the %s at path: %s", what, path);
        return NULL;
    }
    if (memchr(text, '\0', len)) {
        free(text);
        *rc = cli_fail(c, EXIT_FAIL, "The %s contains a NUL byte.", what);
        return NULL;
    }
    return text;
}

/* ------------------------------------------------------------------------------------------------ */

static void print_run_result(cli *c, modellix_task *t, const char *output)
{
    const char *id = modellix_task_id(t);
    size_t n = modellix_task_resource_count(t);
    if (strcmp(output, "task-id") == 0) {
        cli_out(c, id);
    } else if (strcmp(output, "quiet") == 0) {
        if (n == 0)
            cli_out(c, id);
        for (size_t i = 0; i < n; i++)
            cli_out(c, modellix_task_resource_url(t, i));
    } else if (strcmp(output, "human") == 0) {
        cli_outf(c, "Task: %s", id);
        if (n > 0)
            cli_out(c, "Resources:");
        for (size_t i = 0; i < n; i++)
            cli_out(c, modellix_task_resource_url(t, i));
    } else {
        cli_out_raw_json(c, modellix_task_json(t));
    }
}

int cmd_model_run(cli *c, int argc, char **argv)
{
    static const opt_spec specs[] = {{"body", 0, 1},    {"body-file", 0, 1}, {"model-slug", 0, 1},
                                     {"wait", 0, 0},    {"timeout", 0, 1},   {"interval", 0, 1},
                                     {"max-body-bytes", 0, 1}};
    enum { O_BODY, O_BODY_FILE, O_SLUG, O_WAIT, O_TIMEOUT, O_INTERVAL, O_MAXBODY };
    static const char *const outputs[] = {"human", "json", "quiet", "task-id", NULL};
    opt_result r;
    int rc = parse_command_args(c, argc, argv, specs, sizeof specs / sizeof specs[0], &r);
    if (rc)
        return rc;
    const char *slug = r.value[O_SLUG];
    if (r.n_pos > (slug ? 0u : 1u)) {
        rc = cli_fail(c, EXIT_USAGE, "Unexpected argument: %.200s", r.pos[slug ? 0 : 1]);
        goto out;
    }
    if (!slug && r.n_pos == 1)
        slug = r.pos[0];
    if (!slug) {
        rc = cli_fail(c, EXIT_USAGE, "Missing required argument: the model slug (provider/model).");
        goto out;
    }
    if ((rc = cli_check_output(c, "json", outputs)) != 0)
        goto out;
    if (r.value[O_BODY] && r.value[O_BODY_FILE]) {
        rc = cli_fail(c, EXIT_USAGE, "--body and --body-file cannot be used together.");
        goto out;
    }
    long long max_body = MAX_BODY_BYTES;
    if (r.value[O_MAXBODY] && parse_int_flag(r.value[O_MAXBODY], 1, MAX_BODY_BYTES, &max_body) != 0) {
        rc = cli_fail(c, EXIT_USAGE, "--max-body-bytes must be an integer from 1 to %u.", MAX_BODY_BYTES);
        goto out;
    }
    char err[512];
    if (!valid_model_slug(slug, err, sizeof err)) {
        rc = cli_fail(c, EXIT_FAIL, "%s", err);
        goto out;
    }
    if (!r.value[O_BODY] && !r.value[O_BODY_FILE]) {
        rc = cli_fail(c, EXIT_USAGE, "Provide the request body with --body or --body-file.");
        goto out;
    }
    int wait = r.value[O_WAIT] != NULL;
    int64_t timeout_ms = 300000, interval_ms = 0;
    if (wait) {
        if (parse_duration_ms(r.value[O_TIMEOUT] ? r.value[O_TIMEOUT] : "5m", "timeout", 604800000, &timeout_ms, err,
                              sizeof err) != 0 ||
            (r.value[O_INTERVAL] &&
             parse_duration_ms(r.value[O_INTERVAL], "interval", 3600000, &interval_ms, err, sizeof err) != 0)) {
            rc = cli_fail(c, EXIT_USAGE, "%s", err);
            goto out;
        }
    }

    char *body = NULL;
    if (r.value[O_BODY]) {
        body = strdup(r.value[O_BODY]);
        if (!body) {
            rc = cli_fail(c, EXIT_FAIL, "Out of memory.");
            goto out;
        }
        if (strlen(body) > (size_t)max_body) {
            free(body);
            rc = cli_fail(c, EXIT_FAIL, "The request body exceeds the %lld-byte limit.", max_body);
            goto out;
        }
    } else if (!(body = read_input(c, r.value[O_BODY_FILE], "request body", (size_t)max_body, &rc))) {
        goto out;
    }
    json_error_t jerr;
    json_t *parsed = json_loads(body, JSON_DECODE_ANY, &jerr);
    if (!parsed || !json_is_object(parsed)) {
        rc = cli_fail(c, EXIT_FAIL, parsed ? "Request body must be a JSON object." : "Request body must be valid JSON.");
        json_decref(parsed);
        free(body);
        goto out;
    }
    json_decref(parsed);

    session s;
    session_opts so = {0};
    so.poll_interval_ms = interval_ms;
    so.interruptible = 1;
    so.paid = 1;
    so.poll_stats = wait;
    if ((rc = session_open(c, &s, &so)) != 0) {
        free(body);
        goto out;
    }
    modellix_task *t = NULL;
    int src = modellix_task_submit(&t, s.client, slug, body);
    free(body);
    if (src != MODELLIX_OK && interrupt_signal()) {
        interrupt_info ii = {0};
        ii.doing = src == MODELLIX_EOUTCOME_UNKNOWN ? "while the paid submission was being sent"
                                                     : "before the paid submission was sent";
        ii.n_unknown = src == MODELLIX_EOUTCOME_UNKNOWN;
        rc = interrupt_report(c, &ii);
        goto close;
    }
    if (src != MODELLIX_OK) {
        rc = session_fail(c, &s, src);
        goto close;
    }
    const char *output = cli_output_value(c, "json");
    if (!wait) {
        print_run_result(c, t, output);
        rc = interrupt_signal() ? interrupt_exit_code() : EXIT_OK; /* the id is printed */
        goto close;
    }
    int wrc = cli_wait(c, s.client, &t, 1, timeout_ms);
    if (wrc == MODELLIX_OK) {
        print_run_result(c, t, output);
        rc = modellix_task_status(t) == MODELLIX_TASK_SUCCESS ? EXIT_OK : EXIT_FAIL;
    } else if (wrc == MODELLIX_ECANCELED && interrupt_signal()) {
        const char *id = modellix_task_id(t);
        interrupt_info ii = {0};
        ii.doing = "while waiting for the task";
        ii.ids = &id;
        ii.n_ids = 1;
        ii.ids_are = "Accepted (paid) task, may still be running";
        rc = interrupt_report(c, &ii);
    } else if (wrc == MODELLIX_ETIMEOUT) {
        rc = cli_fail(c, EXIT_TIMEOUT,
                      "Task %s was submitted but did not finish before the timeout. It may still be running. Resume "
                      "with: modellix task wait %s",
                      modellix_task_id(t), modellix_task_id(t));
    } else {
        const char *m = modellix_task_errmsg(t);
        rc = cli_fail(c, EXIT_FAIL, "Task %s was submitted, but status polling failed: %s Resume with: modellix task wait %s",
                      modellix_task_id(t), m && *m ? m : modellix_strerror(wrc), modellix_task_id(t));
    }
close:
    modellix_task_free(t);
    session_close(&s);
out:
    opt_result_free(&r);
    return rc;
}

/* ------------------------------------------------------------------------------------------------ */

/* Parse entry i of a catalogue as a JSON object (NULL if the library's JSON does not parse). */
static json_t *model_entry(const modellix_models *m, size_t i)
{
    json_t *v = cli_parse_json(modellix_models_json(m, i));
    if (!v) /* cannot happen for the library's own JSON; keep the slug at least */
        v = json_pack("{s:s}", "slug", modellix_models_slug(m, i));
    return v;
}

static int fetch_models(cli *c, session *s, modellix_models **all)
{
    int rc = session_open(c, s, NULL);
    if (rc)
        return rc;
    int mrc = modellix_models_list(all, s->client);
    if (mrc != MODELLIX_OK) {
        rc = session_fail(c, s, mrc);
        session_close(s);
        return rc;
    }
    return 0;
}

int cmd_model_list(cli *c, int argc, char **argv)
{
    static const opt_spec specs[] = {{"type", 0, 1}, {"provider", 0, 1}, {"search", 0, 1}, {"limit", 0, 1}};
    enum { O_TYPE, O_PROVIDER, O_SEARCH, O_LIMIT };
    static const char *const outputs[] = {"human", "json", "quiet", "slugs", NULL};
    opt_result r;
    int rc = parse_command_args(c, argc, argv, specs, sizeof specs / sizeof specs[0], &r);
    if (rc)
        return rc;
    long long limit = 0;
    if (r.n_pos > 0)
        rc = cli_fail(c, EXIT_USAGE, "Unexpected argument: %.200s", r.pos[0]);
    else if (r.value[O_LIMIT] && parse_int_flag(r.value[O_LIMIT], 1, 1000000000, &limit) != 0)
        rc = cli_fail(c, EXIT_USAGE, "Expected --limit to be an integer greater than or equal to 1.");
    else
        rc = cli_check_output(c, "json", outputs);
    if (rc) {
        opt_result_free(&r);
        return rc;
    }
    session s;
    modellix_models *all = NULL, *sel = NULL;
    if ((rc = fetch_models(c, &s, &all)) != 0) {
        opt_result_free(&r);
        return rc;
    }
    if (modellix_models_filter(&sel, all, r.value[O_TYPE], r.value[O_PROVIDER], r.value[O_SEARCH],
                               (size_t)limit) != MODELLIX_OK) {
        rc = cli_fail(c, EXIT_FAIL, "Out of memory.");
        goto done;
    }
    const char *output = cli_output_value(c, "json");
    size_t n = modellix_models_count(sel);
    if (strcmp(output, "quiet") == 0 || strcmp(output, "slugs") == 0) {
        for (size_t i = 0; i < n; i++)
            cli_out(c, modellix_models_slug(sel, i));
    } else if (strcmp(output, "human") == 0) {
        for (size_t i = 0; i < n; i++) {
            const char *type = modellix_models_type(sel, i);
            cli_outf(c, "%s%s%s", modellix_models_slug(sel, i), type ? "\t" : "", type ? type : "");
        }
    } else {
        json_t *models = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(models, model_entry(sel, i));
        /* the official CLI's shape: the whole answer (its code, message, ...) with the filtered models */
        json_t *doc = cli_parse_json(modellix_models_response_json(all));
        if (!json_is_object(doc)) {
            json_decref(doc);
            doc = json_object();
        }
        if (!doc)
            json_decref(models);
        else if (json_object_set_new(doc, "models", models) != 0) {
            json_decref(doc);
            doc = NULL;
        }
        if (doc)
            cli_out_json(c, doc);
        json_decref(doc);
    }
    rc = EXIT_OK;
done:
    modellix_models_free(sel);
    modellix_models_free(all);
    session_close(&s);
    opt_result_free(&r);
    return rc;
}

static int cmp_keys(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

int cmd_model_describe(cli *c, int argc, char **argv)
{
    static const char *const outputs[] = {"human", "json", "quiet", NULL};
    opt_result r;
    int rc = parse_command_args(c, argc, argv, NULL, 0, &r);
    if (rc)
        return rc;
    if (r.n_pos != 1) {
        rc = cli_fail(c, EXIT_USAGE, r.n_pos ? "Unexpected argument: %.200s" : "Missing required argument: slug%s",
                      r.n_pos ? r.pos[1] : "");
        opt_result_free(&r);
        return rc;
    }
    const char *slug = r.pos[0];
    if ((rc = cli_check_output(c, "human", outputs)) != 0) {
        opt_result_free(&r);
        return rc;
    }
    if (!is_safe_text(slug) || strlen(slug) > 1024) {
        opt_result_free(&r);
        return cli_fail(c, EXIT_FAIL, "Model slug contains unsupported characters.");
    }
    session s;
    modellix_models *all = NULL;
    if ((rc = fetch_models(c, &s, &all)) != 0) {
        opt_result_free(&r);
        return rc;
    }
    size_t idx = 0;
    if (modellix_models_find(all, slug, &idx) != MODELLIX_OK) {
        rc = cli_fail(c, EXIT_USAGE, "Model not found: %s", slug);
        goto done;
    }
    const char *output = cli_output_value(c, "human");
    json_t *entry = model_entry(all, idx);
    if (strcmp(output, "quiet") == 0) {
        cli_out(c, modellix_models_slug(all, idx));
    } else if (strcmp(output, "json") == 0) {
        cli_out_json(c, entry);
    } else {
        /* sorted "key: value" lines, with the derived provider added when the entry has none */
        const char *prov = modellix_models_provider(all, idx);
        if (prov && !json_object_get(entry, "provider"))
            json_object_set_new(entry, "provider", json_string(prov));
        size_t n = json_object_size(entry), k = 0;
        const char **keys = calloc(n + 1, sizeof *keys);
        const char *key;
        json_t *val;
        json_object_foreach(entry, key, val)
        {
            if (keys)
                keys[k++] = key;
        }
        if (keys) {
            qsort(keys, k, sizeof *keys, cmp_keys);
            for (size_t i = 0; i < k; i++) {
                val = json_object_get(entry, keys[i]);
                if (json_is_string(val)) {
                    cli_outf(c, "%s: %s", keys[i], json_string_value(val));
                } else {
                    char *text = cli_json_dump(val, -1);
                    cli_outf(c, "%s: %s", keys[i], text ? text : "");
                    free(text);
                }
            }
        }
        free(keys);
    }
    json_decref(entry);
    rc = EXIT_OK;
done:
    modellix_models_free(all);
    session_close(&s);
    opt_result_free(&r);
    return rc;
}
