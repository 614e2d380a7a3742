/* Staged-install smoke test, built by scripts/check-install.sh with pkg-config against the installed
   tree: submit one task, wait for it, print its first resource URL. usage: install_smoke KEY BASE_URL */
#include <modellix/modellix.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    modellix_options *o = NULL;
    modellix_client *c = NULL;
    modellix_task *t = NULL;
    const char *url = NULL;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: %s KEY BASE_URL\n", argv[0]);
        return 2;
    }
    if ((rc = modellix_options_new(&o)) == MODELLIX_OK && (rc = modellix_options_set_api_key(o, argv[1])) == MODELLIX_OK
        && (rc = modellix_options_set_base_url(o, argv[2])) == MODELLIX_OK && (rc = modellix_client_new(&c, o)) == MODELLIX_OK
        && (rc = modellix_task_submit(&t, c, "bytedance/seedream-4.5-t2i", "{\"prompt\":\"a fox\"}")) == MODELLIX_OK
        && (rc = modellix_task_wait(t, 30000)) == MODELLIX_OK && (url = modellix_task_resource_url(t, 0)) != NULL)
        printf("%s\n", url);
    else
        fprintf(stderr, "install_smoke: %s: %s\n", modellix_strerror(rc), c ? modellix_client_errmsg(c) : "");
    modellix_task_free(t);
    modellix_client_free(c);
    modellix_options_free(o);
    return url != NULL ? 0 : 1;
}
