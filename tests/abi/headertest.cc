/*
 * Public header test, C++: every public header must compile on its own from C++11 with
 * -Wall -Wextra -Wpedantic -Werror, inside its extern "C" guards (c-style.md 3.2, 3.10; libinput's
 * test/build-cxx.cc).
 *
 * tests/abi/meson.build compiles this file once per public header with
 * -DMODELLIX_HEADERTEST_HEADER=<modellix/NAME.h>, which includes that header alone, and once without
 * it, which includes the umbrella <modellix/modellix.h> and calls into the library: the calls only
 * link if the declarations have C linkage.
 */
#ifdef MODELLIX_HEADERTEST_HEADER

#include MODELLIX_HEADERTEST_HEADER

int main()
{
    return 0;
}

#else

#include <modellix/modellix.h>

#include <cstdio>
#include <cstring>

/* A callback handed to the library has C language linkage, as a C++ binding would declare it. */
extern "C" {
static void log_sink(int32_t, const char *, void *)
{
}
}

int main()
{
    int failures = 0;

    if (modellix_version_num() != MODELLIX_VERSION_NUM
        || std::strcmp(modellix_version_string(), MODELLIX_VERSION_STRING) != 0) {
        std::fprintf(stderr, "headertest.cc: library %s does not match headers %s\n", modellix_version_string(),
                     MODELLIX_VERSION_STRING);
        failures++;
    }
    if (modellix_strerror(MODELLIX_ETIMEOUT) == nullptr) {
        std::fprintf(stderr, "headertest.cc: modellix_strerror returned NULL\n");
        failures++;
    }

    modellix_options *o = nullptr;
    modellix_retry_policy *p = nullptr;
    if (modellix_options_new(&o) != MODELLIX_OK || modellix_retry_policy_new_none(&p) != MODELLIX_OK
        || modellix_options_set_retry_policy(o, p) != MODELLIX_OK
        || modellix_options_set_log_callback(o, log_sink, nullptr, nullptr) != MODELLIX_OK
        || modellix_options_set_submit_path(o, MODELLIX_SUBMIT_PATH_ASYNC) != MODELLIX_OK) {
        std::fprintf(stderr, "headertest.cc: options round trip failed\n");
        failures++;
    }
    modellix_retry_policy_free(p);
    modellix_options_free(o);
    return failures == 0 ? 0 : 1;
}

#endif
