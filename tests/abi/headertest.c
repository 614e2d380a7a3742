/*
 * Public header test, C: every public header must compile on its own, as C99 with
 * -Wall -Wextra -Wpedantic -Werror (c-style.md 3.2, 3.10; libgit2's tests/headertest).
 *
 * tests/abi/meson.build compiles this file once per public header with
 * -DMODELLIX_HEADERTEST_HEADER=<modellix/NAME.h>, which includes that header alone, and once without
 * it, which includes the umbrella <modellix/modellix.h> and calls into the library to prove linking.
 */
#ifdef MODELLIX_HEADERTEST_HEADER

#include MODELLIX_HEADERTEST_HEADER

int main(void)
{
    return 0;
}

#else

#include <modellix/modellix.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    modellix_options *o = NULL;
    int failures = 0;

    if (modellix_version_num() != MODELLIX_VERSION_NUM
        || strcmp(modellix_version_string(), MODELLIX_VERSION_STRING) != 0) {
        fprintf(stderr, "headertest: library %s does not match headers %s\n", modellix_version_string(),
                MODELLIX_VERSION_STRING);
        failures++;
    }
    if (modellix_strerror(MODELLIX_ENOMEM) == NULL || modellix_strerror(12345) == NULL) {
        fprintf(stderr, "headertest: modellix_strerror returned NULL\n");
        failures++;
    }
    if (modellix_options_new(&o) != MODELLIX_OK || modellix_options_set_log_level(o, MODELLIX_LOG_DEBUG) != MODELLIX_OK) {
        fprintf(stderr, "headertest: options round trip failed\n");
        failures++;
    }
    modellix_options_free(o);
    return failures == 0 ? 0 : 1;
}

#endif
