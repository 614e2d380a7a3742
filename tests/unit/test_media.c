/* Unit tests: media type sniffing, MIME checks, base64 and data: URIs from bytes and files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base64.h"

#include <errno.h>
#include <fcntl.h>
#include <modellix/modellix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define SNIFF(lit, want)                                                                                          \
    do {                                                                                                          \
        static const uint8_t b_[] = lit;                                                                          \
        const char *got_ = modellix_media_sniff(b_, sizeof b_ - 1);                                               \
        if (want) {                                                                                               \
            assert_non_null(got_);                                                                                \
            assert_string_equal(got_, (const char *)(want));                                                      \
        } else {                                                                                                  \
            assert_null(got_);                                                                                    \
        }                                                                                                         \
    } while (0)

static void test_sniff(void **state)
{
    (void)state;
    SNIFF("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png");
    SNIFF("\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg");
    SNIFF("RIFF\x24\0\0\0WEBPVP8 ", "image/webp");
    SNIFF("GIF87a\x01\0\x01\0", "image/gif");
    SNIFF("GIF89a\x01\0\x01\0", "image/gif");
    SNIFF("\0\0\0\x20" "ftypisom\0\0\x02\0", "video/mp4");
    SNIFF("\0\0\0\x18" "ftypmp42\0\0\0\0", "video/mp4");
    SNIFF("RIFF\x24\0\0\0WAVEfmt ", "audio/wav");
    SNIFF("ID3\x04\0\0\0\0\0\0", "audio/mpeg");
    SNIFF("\xff\xfb\x90\x64", "audio/mpeg"); /* MPEG-1 layer III */
    SNIFF("\xff\xf3\x48\xc4", "audio/mpeg"); /* MPEG-2 layer III */
    SNIFF("\xff\xe3\x18\xc4", "audio/mpeg"); /* MPEG-2.5 layer III */
    /* not recognised */
    SNIFF("", NULL);
    SNIFF("hello world, plain text", NULL);
    SNIFF("\x89PNG\r\n", NULL);                     /* cut short */
    SNIFF("RIFF\x24\0\0\0AVI LIST", NULL);          /* another RIFF form */
    SNIFF("RIFF\x24\0\0\0WEB", NULL);               /* too short */
    SNIFF("GIF88a\x01\0", NULL);
    SNIFF("\0\0\0\x1c" "ftypheic\0\0\0\0", NULL);   /* a HEIF still image, not a movie */
    SNIFF("\0\0\0\x1c" "ftypavif\0\0\0\0", NULL);
    SNIFF("\xff\xf1\x50\x80", NULL);                /* ADTS AAC: layer bits 00 */
    SNIFF("\xff\xeb\x90\x64", NULL);                /* reserved MPEG version */
    SNIFF("\xff\xd8", NULL);
    SNIFF("%PDF-1.7\n", NULL);
    assert_null(modellix_media_sniff(NULL, 0));
    assert_null(modellix_media_sniff(NULL, 10));
}

static void expect_b64(const char *in, const char *want)
{
    size_t n = strlen(in);
    char buf[64];
    assert_int_equal(mx_base64_len(n, NULL), strlen(want));
    assert_int_equal(mx_base64_encode(buf, (const uint8_t *)in, n), strlen(want));
    assert_string_equal(buf, want);
    /* and through the public call, with an explicit type */
    char *uri = NULL, expect[128];
    assert_int_equal(modellix_data_uri_from_bytes(&uri, (const uint8_t *)in, n, "text/plain"), MODELLIX_OK);
    snprintf(expect, sizeof expect, "data:text/plain;base64,%s", want);
    assert_string_equal(uri, expect);
    modellix_free(uri);
}

static void test_base64_vectors(void **state)
{
    (void)state;
    /* RFC 4648 section 10 */
    expect_b64("", "");
    expect_b64("f", "Zg==");
    expect_b64("fo", "Zm8=");
    expect_b64("foo", "Zm9v");
    expect_b64("foob", "Zm9vYg==");
    expect_b64("fooba", "Zm9vYmE=");
    expect_b64("foobar", "Zm9vYmFy");
    /* every alphabet character, both ends of the byte range */
    static const uint8_t all[] = {0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3, 0x8f,
                                  0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9b, 0x71, 0xd7, 0x9f,
                                  0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab, 0xb2, 0xdb, 0xaf,
                                  0xc3, 0x1c, 0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e, 0xbb, 0xf3, 0xdf, 0xbf};
    char buf[80];
    mx_base64_encode(buf, all, sizeof all);
    assert_string_equal(buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    int overflow = 0;
    assert_int_equal(mx_base64_len(SIZE_MAX, &overflow), 0);
    assert_int_equal(overflow, 1);
}

static void test_from_bytes(void **state)
{
    (void)state;
    static const uint8_t png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    char *uri = NULL;
    assert_int_equal(modellix_data_uri_from_bytes(&uri, png, sizeof png - 1, NULL), MODELLIX_OK);
    assert_string_equal(uri, "data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==");
    modellix_free(uri);

    /* an explicit type wins over the bytes */
    assert_int_equal(modellix_data_uri_from_bytes(&uri, png, sizeof png - 1, "application/octet-stream"),
                     MODELLIX_OK);
    assert_string_equal(uri, "data:application/octet-stream;base64,iVBORw0KGgoAAAANSUhEUg==");
    modellix_free(uri);
    assert_int_equal(modellix_data_uri_from_bytes(&uri, (const uint8_t *)"abc", 3, "image/svg+xml"), MODELLIX_OK);
    assert_string_equal(uri, "data:image/svg+xml;base64,YWJj");
    modellix_free(uri);

    /* unknown bytes without a type */
    uri = (char *)1;
    assert_int_equal(modellix_data_uri_from_bytes(&uri, (const uint8_t *)"hello", 5, NULL), MODELLIX_EINVAL);
    assert_null(uri);
    assert_int_equal(modellix_data_uri_from_bytes(&uri, NULL, 0, NULL), MODELLIX_EINVAL);
    /* empty data with a type is a valid (empty) URI */
    assert_int_equal(modellix_data_uri_from_bytes(&uri, NULL, 0, "image/png"), MODELLIX_OK);
    assert_string_equal(uri, "data:image/png;base64,");
    modellix_free(uri);

    /* bad types */
    static const char *const bad[] = {"", "image", "image/", "/png", "image/png;charset=x", "image/png,x",
                                      "image /png", "image/ png", "a/b/c", "image/p\x01ng", "image/p\xc3\xa9",
                                      "image\t/png"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uri = (char *)1;
        assert_int_equal(modellix_data_uri_from_bytes(&uri, png, sizeof png - 1, bad[i]), MODELLIX_EINVAL);
        assert_null(uri);
    }
    char longmime[300];
    memset(longmime, 'a', sizeof longmime);
    longmime[5] = '/';
    longmime[256] = '\0';
    assert_int_equal(modellix_data_uri_from_bytes(&uri, png, sizeof png - 1, longmime), MODELLIX_EINVAL);
    longmime[255] = '\0';
    assert_int_equal(modellix_data_uri_from_bytes(&uri, png, sizeof png - 1, longmime), MODELLIX_OK);
    modellix_free(uri);

    /* arguments */
    assert_int_equal(modellix_data_uri_from_bytes(NULL, png, 4, "image/png"), MODELLIX_EINVAL);
    assert_int_equal(modellix_data_uri_from_bytes(&uri, NULL, 4, "image/png"), MODELLIX_EINVAL);
    assert_null(uri);
    /* the size is checked before a byte is read */
    assert_int_equal(modellix_data_uri_from_bytes(&uri, png, (size_t)MODELLIX_DATA_URI_MAX_INPUT + 1, "image/png"),
                     MODELLIX_ETOOLARGE);
    assert_null(uri);
    assert_int_equal(modellix_data_uri_from_bytes(&uri, png, SIZE_MAX, "image/png"), MODELLIX_ETOOLARGE);
}

static void test_limit_fits_request(void **state)
{
    (void)state;
    /* the largest URI, with the longest type, leaves at least 1 KiB of the 64 MiB body limit */
    size_t max_uri = 5 + 255 + 8 + mx_base64_len(MODELLIX_DATA_URI_MAX_INPUT, NULL);
    assert_true(max_uri + 1024 <= (size_t)64 * 1024 * 1024);
    /* and the limit itself encodes: exactly at the limit is accepted */
    uint8_t *big = calloc(MODELLIX_DATA_URI_MAX_INPUT, 1);
    assert_non_null(big);
    char *uri = NULL;
    assert_int_equal(modellix_data_uri_from_bytes(&uri, big, MODELLIX_DATA_URI_MAX_INPUT, "video/mp4"), MODELLIX_OK);
    assert_int_equal(strlen(uri), strlen("data:video/mp4;base64,") + mx_base64_len(MODELLIX_DATA_URI_MAX_INPUT, NULL));
    modellix_free(uri);
    free(big);
}

/* A private scratch directory for the file tests. */
static char dir[64];

static int dir_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/mx-media-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int dir_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static void test_file_round_trip(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/clip.gif", dir);
    static const uint8_t gif[] = "GIF89a\x01\0\x01\0\x80\0\0";
    write_file(path, gif, sizeof gif - 1);
    char *uri = NULL, *ref = NULL;
    assert_int_equal(modellix_data_uri_from_file(&uri, path, NULL), MODELLIX_OK);
    assert_int_equal(modellix_data_uri_from_bytes(&ref, gif, sizeof gif - 1, NULL), MODELLIX_OK);
    assert_string_equal(uri, ref);
    assert_string_equal(uri, "data:image/gif;base64,R0lGODlhAQABAIAAAA==");
    modellix_free(uri);
    modellix_free(ref);

    /* a given type, and an empty file (only with a type) */
    assert_int_equal(modellix_data_uri_from_file(&uri, path, "image/x-test"), MODELLIX_OK);
    assert_string_equal(uri, "data:image/x-test;base64,R0lGODlhAQABAIAAAA==");
    modellix_free(uri);
    snprintf(path, sizeof path, "%s/empty", dir);
    write_file(path, "", 0);
    assert_int_equal(modellix_data_uri_from_file(&uri, path, NULL), MODELLIX_EINVAL);
    assert_null(uri);
    assert_int_equal(modellix_data_uri_from_file(&uri, path, "audio/wav"), MODELLIX_OK);
    assert_string_equal(uri, "data:audio/wav;base64,");
    modellix_free(uri);

    /* a file larger than the first read buffer grows correctly */
    size_t n = 200000;
    uint8_t *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (uint8_t)(i * 131 + 7);
    memcpy(big, "\xff\xd8\xff", 3);
    snprintf(path, sizeof path, "%s/big.jpg", dir);
    write_file(path, big, n);
    assert_int_equal(modellix_data_uri_from_file(&uri, path, NULL), MODELLIX_OK);
    assert_int_equal(modellix_data_uri_from_bytes(&ref, big, n, NULL), MODELLIX_OK);
    assert_string_equal(uri, ref);
    modellix_free(uri);
    modellix_free(ref);
    free(big);

    /* a symbolic link to a regular file is followed */
    char link[128];
    snprintf(link, sizeof link, "%s/link.jpg", dir);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(modellix_data_uri_from_file(&uri, link, NULL), MODELLIX_OK);
    assert_true(strncmp(uri, "data:image/jpeg;base64,/9j/", 27) == 0);
    modellix_free(uri);
}

static void test_file_refused(void **state)
{
    (void)state;
    char *uri = (char *)1;
    char path[128];
    /* a directory */
    assert_int_equal(modellix_data_uri_from_file(&uri, dir, "image/png"), MODELLIX_EINVAL);
    assert_null(uri);
    /* a FIFO: refused at once, without waiting for a writer */
    snprintf(path, sizeof path, "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(modellix_data_uri_from_file(&uri, path, "image/png"), MODELLIX_EINVAL);
    /* a device */
    assert_int_equal(modellix_data_uri_from_file(&uri, "/dev/null", "image/png"), MODELLIX_EINVAL);
    /* missing: EIO, errno says why */
    snprintf(path, sizeof path, "%s/missing.png", dir);
    errno = 0;
    assert_int_equal(modellix_data_uri_from_file(&uri, path, NULL), MODELLIX_EIO);
    assert_int_equal(errno, ENOENT);
    assert_null(uri);
    /* unknown content, bad type, bad arguments */
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    write_file(path, "just text", 9);
    assert_int_equal(modellix_data_uri_from_file(&uri, path, NULL), MODELLIX_EINVAL);
    assert_int_equal(modellix_data_uri_from_file(&uri, path, "text/plain; charset=utf-8"), MODELLIX_EINVAL);
    assert_int_equal(modellix_data_uri_from_file(&uri, NULL, "image/png"), MODELLIX_EINVAL);
    assert_int_equal(modellix_data_uri_from_file(&uri, "", "image/png"), MODELLIX_EINVAL);
    assert_int_equal(modellix_data_uri_from_file(NULL, path, "text/plain"), MODELLIX_EINVAL);
    assert_null(uri);
    /* unreadable (not when running as root, who reads anything) */
    if (geteuid() != 0) {
        snprintf(path, sizeof path, "%s/secret.png", dir);
        write_file(path, "\x89PNG\r\n\x1a\n", 8);
        assert_int_equal(chmod(path, 0), 0);
        errno = 0;
        assert_int_equal(modellix_data_uri_from_file(&uri, path, NULL), MODELLIX_EIO);
        assert_int_equal(errno, EACCES);
    }
}

static void test_file_too_large(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/huge.mp4", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "\0\0\0\x20" "ftypisom", 12), 12);
    assert_int_equal(ftruncate(fd, (off_t)49 * 1024 * 1024), 0); /* sparse: no disk used */
    assert_int_equal(close(fd), 0);
    char *uri = (char *)1;
    assert_int_equal(modellix_data_uri_from_file(&uri, path, NULL), MODELLIX_ETOOLARGE);
    assert_null(uri);
    /* one byte over the limit is refused as well */
    fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)MODELLIX_DATA_URI_MAX_INPUT + 1), 0);
    assert_int_equal(close(fd), 0);
    assert_int_equal(modellix_data_uri_from_file(&uri, path, "video/mp4"), MODELLIX_ETOOLARGE);
    assert_null(uri);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_base64_vectors),
        cmocka_unit_test(test_from_bytes),
        cmocka_unit_test(test_limit_fits_request),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_file_refused),
        cmocka_unit_test(test_file_too_large),
    };
    return cmocka_run_group_tests_name("media", tests, dir_setup, dir_teardown);
}
