/* quickstart.c - generate an image from a prompt and save it.
 *
 *   quickstart [--out DIR] [--model SLUG] [PROMPT]
 *
 * The API key comes from MODELLIX_API_KEY and the server from MODELLIX_BASE_URL (default: the real
 * service), like any program's: to try it without an account, start modellix-mock and point
 * MODELLIX_BASE_URL at the URL it prints (scripts/demo.sh does that).
 * Submit -> wait -> download, with the errors a real program has to handle. */
#include <modellix/modellix.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void log_line(int32_t level, const char *message, void *user_data)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    (void)user_data;
    fprintf(stderr, "[modellix %s] %s\n", names[level & 3], message);
}

static int fail(const char *what, int rc, modellix_client *c)
{
    fprintf(stderr, "%s failed: %s\n  %s\n", what, modellix_strerror(rc), c ? modellix_client_errmsg(c) : "");
    if (rc == MODELLIX_EOUTCOME_UNKNOWN)
        fprintf(stderr, "  A task may have been created and charged. Check your account before submitting again.\n");
    return 1;
}

int main(int argc, char **argv)
{
    const char *out = "modellix-output", *model = "bytedance/seedream-4.5-t2i";
    const char *prompt = "A cinematic portrait of a fox in a misty forest at sunrise";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            model = argv[++i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--out DIR] [--model SLUG] [PROMPT]\n", argv[0]);
            return 2;
        } else
            prompt = argv[i];
    }
    if (modellix_global_init() < 0)
        return 1;

    modellix_options *o;
    if (modellix_options_new(&o) != MODELLIX_OK)
        return 1;
    if (modellix_options_set_log_callback(o, log_line, NULL, NULL) != MODELLIX_OK ||
        modellix_options_set_log_level(o, MODELLIX_LOG_WARN) != MODELLIX_OK)
        return 1;

    modellix_client *c = NULL;
    int rc = modellix_client_new(&c, o); /* the options set no key: MODELLIX_API_KEY, MODELLIX_BASE_URL */
    modellix_options_free(o);
    if (rc != MODELLIX_OK) {
        if (rc == MODELLIX_ENOKEY)
            fprintf(stderr, "Set MODELLIX_API_KEY (and MODELLIX_BASE_URL to use another server, such as a local "
                            "modellix-mock).\n");
        return fail("creating the client", rc, NULL);
    }

    /* The body is the model's own JSON; build it with your JSON library in real code. */
    char body[2048];
    char escaped[1500];
    size_t k = 0;
    for (const char *p = prompt; *p && k + 2 < sizeof escaped; p++) {
        if (*p == '"' || *p == '\\')
            escaped[k++] = '\\';
        escaped[k++] = (unsigned char)*p < 0x20 ? ' ' : *p;
    }
    escaped[k] = '\0';
    snprintf(body, sizeof body, "{\"prompt\":\"%s\"}", escaped);

    int status = 1;
    modellix_task *t = NULL;
    printf("Submitting to %s ...\n", model);
    rc = modellix_task_submit(&t, c, model, body);
    if (rc != MODELLIX_OK) {
        fail("submit", rc, c);
        goto done;
    }
    printf("Task %s accepted; waiting for it (up to 5 minutes) ...\n", modellix_task_id(t));
    rc = modellix_task_wait(t, 5 * 60 * 1000);
    if (rc == MODELLIX_ETIMEOUT) {
        fprintf(stderr, "Task %s is still running; wait for it later by its id.\n", modellix_task_id(t));
        goto done;
    }
    if (rc != MODELLIX_OK) {
        fail("wait", rc, c);
        if (rc == MODELLIX_ETASK_FAILED)
            fprintf(stderr, "  service says: %s\n", modellix_task_errmsg(t));
        goto done;
    }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", out, strerror(errno));
        goto done;
    }
    for (size_t i = 0; i < modellix_task_resource_count(t); i++) {
        char *path = NULL;
        rc = modellix_task_download(t, i, out, 0, &path);
        if (rc != MODELLIX_OK) {
            fail("download", rc, c);
            goto done;
        }
        printf("Saved %s (%s, %lldx%lld)\n", path, modellix_task_resource_type(t, i) ? modellix_task_resource_type(t, i) : "file",
               (long long)modellix_task_resource_width(t, i), (long long)modellix_task_resource_height(t, i));
        modellix_free(path);
    }
    status = 0;
done:
    if (status != 0 && t && modellix_task_id(t)) /* accepted, so paid: the id fetches it later */
        fprintf(stderr, "Task id: %s (resume: modellix task wait %s; modellix task download %s)\n",
                modellix_task_id(t), modellix_task_id(t), modellix_task_id(t));
    modellix_task_free(t);
    modellix_client_free(c);
    modellix_global_cleanup();
    return status;
}
