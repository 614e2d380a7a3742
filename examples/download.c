/* download.c - fetch every result file of a task, by its id, into a directory.
 *
 *   download [--force] TASK_ID [DIR]      (DIR defaults to "modellix-output")
 *
 * The task may have been submitted by another program or an earlier run: modellix_task_attach() makes
 * a task object from its id alone, modellix_task_wait() queries it until it is terminal (at once if it
 * already is), and modellix_task_download() saves each result. Downloads are atomic (a partial file
 * never appears under the final name) and never replace an existing file unless --force is given.
 * Result URLs expire about 24 hours after the task ended: an expired one gives "not found".
 *
 * The API key comes from MODELLIX_API_KEY and the server from MODELLIX_BASE_URL (default: the real
 * service). Nothing is submitted: downloading costs nothing. */
#include <modellix/modellix.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    const char *task_id = NULL, *dir = "modellix-output";
    uint32_t flags = 0;
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0)
            flags |= MODELLIX_DOWNLOAD_OVERWRITE;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            positional = 99;
            break;
        } else if (positional == 0) {
            task_id = argv[i];
            positional++;
        } else if (positional == 1) {
            dir = argv[i];
            positional++;
        } else {
            positional = 99;
            break;
        }
    }
    if (positional > 2 || task_id == NULL) {
        fprintf(stderr, "usage: %s [--force] TASK_ID [DIR]\n", argv[0]);
        return 2;
    }
    if (modellix_global_init() < 0)
        return 1;

    int status = 1;
    modellix_options *o = NULL;
    modellix_client *c = NULL;
    modellix_task *t = NULL;
    if (modellix_options_new(&o) != MODELLIX_OK)
        goto done;
    int rc = modellix_client_new(&c, o); /* the options set no key: MODELLIX_API_KEY, MODELLIX_BASE_URL */
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "creating the client failed: %s\n", modellix_strerror(rc));
        if (rc == MODELLIX_ENOKEY)
            fprintf(stderr, "Set MODELLIX_API_KEY (and MODELLIX_BASE_URL to use another server, such as a local "
                            "modellix-mock).\n");
        goto done;
    }

    /* A task object for the id: no network traffic yet. */
    rc = modellix_task_attach(&t, c, task_id);
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "bad task id: %s\n", modellix_client_errmsg(c));
        goto done;
    }
    /* Query until terminal: returns at once for a finished task, waits for a running one. */
    rc = modellix_task_wait(t, 10 * 60 * 1000);
    if (rc == MODELLIX_ETASK_FAILED) {
        fprintf(stderr, "task %s failed: %s\n", task_id, modellix_task_errmsg(t));
        goto done;
    }
    if (rc == MODELLIX_ETIMEOUT) {
        fprintf(stderr, "task %s is still %s; try again later\n", task_id,
                modellix_task_status_text(t) ? modellix_task_status_text(t) : "running");
        goto done;
    }
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "task %s: %s: %s\n", task_id, modellix_strerror(rc), modellix_task_errmsg(t));
        if (rc == MODELLIX_ENOTFOUND)
            fprintf(stderr, "  (unknown id, or the task has expired)\n");
        goto done;
    }

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot create %s: %s\n", dir, strerror(errno));
        goto done;
    }
    size_t n = modellix_task_resource_count(t), saved = 0;
    printf("Task %s has %zu result file(s).\n", task_id, n);
    for (size_t i = 0; i < n; i++) {
        char *path = NULL;
        rc = modellix_task_download(t, i, dir, flags, &path);
        if (rc == MODELLIX_OK) {
            const char *type = modellix_task_resource_type(t, i), *format = modellix_task_resource_format(t, i);
            printf("%s\t%s/%s %lldx%lld\n", path, type ? type : "file", format ? format : "?",
                   (long long)modellix_task_resource_width(t, i), (long long)modellix_task_resource_height(t, i));
            saved++;
        } else if (rc == MODELLIX_EEXIST) {
            fprintf(stderr, "resource %zu: already in %s (use --force to replace it)\n", i, dir);
        } else {
            fprintf(stderr, "resource %zu: %s: %s\n", i, modellix_strerror(rc), modellix_client_errmsg(c));
            if (rc == MODELLIX_ENOTFOUND || rc == MODELLIX_EAUTH)
                fprintf(stderr, "  (the result URL may have expired)\n");
        }
        modellix_free(path); /* library memory goes back through modellix_free(), never free() */
    }
    status = saved == n ? 0 : 1;

done:
    modellix_task_free(t);
    modellix_client_free(c);
    modellix_options_free(o);
    modellix_global_cleanup();
    return status;
}
