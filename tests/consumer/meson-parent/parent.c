/* The parent project's program: with --version, print the library's version and check it against the
   header's; else submit one task with the key and server from the environment (MODELLIX_API_KEY,
   MODELLIX_BASE_URL), wait for it and print its first resource URL. */
#include <modellix/modellix.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    modellix_client *c = NULL;
    modellix_task *t = NULL;
    const char *url = NULL;
    int rc;

    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("%s\n", modellix_version_string());
        return modellix_version_num() == MODELLIX_VERSION_NUM ? 0 : 1;
    }
    if ((rc = modellix_client_new(&c, NULL)) == MODELLIX_OK
        && (rc = modellix_task_submit(&t, c, "bytedance/seedream-4.5-t2i", "{\"prompt\":\"a fox\"}")) == MODELLIX_OK
        && (rc = modellix_task_wait(t, 30000)) == MODELLIX_OK && (url = modellix_task_resource_url(t, 0)) != NULL)
        printf("%s\n", url);
    else
        fprintf(stderr, "parent: %s: %s\n", modellix_strerror(rc), c ? modellix_client_errmsg(c) : "");
    if (t && modellix_task_id(t))
        fprintf(stderr, "parent: task id %s\n", modellix_task_id(t));
    modellix_task_free(t);
    modellix_client_free(c);
    return url != NULL ? 0 : 1;
}
