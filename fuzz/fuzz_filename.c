/* fuzz_filename.c - fuzz the local file names made from result URLs, and check that every name is
 * safe to create in a download directory.
 *
 * Input: byte 0 picks the resource index (0..239 as it is; 240..255 the largest size_t values); the
 * rest is the URL (a NUL-terminated copy). */
#include "fuzz_util.h"

#include "filename.h"

static size_t pick_index(uint8_t b)
{
    return b < 240 ? (size_t)b : SIZE_MAX - (size_t)(255 - b);
}

static void check_name(const char *name)
{
    FUZZ_CHECK(name != NULL);
    size_t n = strlen(name);
    FUZZ_CHECK(n >= 1);
    FUZZ_CHECK(n <= MX_FILENAME_MAX_BYTES);
    FUZZ_CHECK(name[0] != '.');
    FUZZ_CHECK(strchr(name, '/') == NULL);
    FUZZ_CHECK(strchr(name, '\\') == NULL);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK((unsigned char)name[i] >= 0x20);
    FUZZ_CHECK(fuzz_utf8_valid(name, n));
    /* filename.h: control and bidirectional characters and <>:"/\|?* never survive */
    FUZZ_CHECK(fuzz_safe_text(name));
    FUZZ_CHECK(strpbrk(name, "<>:\"|?*") == NULL);
    /* filename.h: trailing dots and spaces are removed */
    FUZZ_CHECK(name[n - 1] != '.' && name[n - 1] != ' ');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t index = pick_index(data[0]);
    char *url = fuzz_cstr(data + 1, size - 1);
    char *name = mx_safe_filename(url, index);
    check_name(name);
    free(name);
    free(url);
    return 0;
}
