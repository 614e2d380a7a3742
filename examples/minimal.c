/* minimal.c - generate one image and save it in the current directory (the README's program).
 * The key comes from MODELLIX_API_KEY and the server from MODELLIX_BASE_URL (default: the service).
 * Once the paid task is accepted, its id is printed on any later failure so it can be fetched later. */
#include <modellix/modellix.h>
#include <stdio.h>

int main(void)
{
    modellix_client *c;
    modellix_task *t = NULL;
    int rc = modellix_client_new(&c, NULL); /* key from MODELLIX_API_KEY */
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "client: %s\n", modellix_strerror(rc));
        return 1;
    }
    rc = modellix_task_submit(&t, c, "bytedance/seedream-4.5-t2i", "{\"prompt\":\"a red fox in the snow\"}");
    if (rc == MODELLIX_OK)
        rc = modellix_task_wait(t, 5 * 60 * 1000);
    if (rc == MODELLIX_OK) {
        char *path = NULL;
        rc = modellix_task_download(t, 0, ".", 0, &path);
        if (rc == MODELLIX_OK)
            printf("saved %s\n", path);
        modellix_free(path);
    }
    if (rc != MODELLIX_OK) {
        fprintf(stderr, "%s: %s\n", modellix_strerror(rc), modellix_client_errmsg(c));
        if (t && modellix_task_id(t)) /* accepted, so paid: keep the id to fetch the result later */
            fprintf(stderr, "task id: %s\n", modellix_task_id(t));
    }
    modellix_task_free(t);
    modellix_client_free(c);
    return rc == MODELLIX_OK ? 0 : 1;
}
