/* media.c - input media as data: URIs: type sniffing, MIME checks, file reading. No client, no I/O
 * besides reading the one file asked for. */
#include "base64.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <modellix/modellix.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIME_MAX 255

/* ISO BMFF brands that mark a still image (HEIF, HEIC, AVIF), not an MP4 movie. */
static int image_brand(const uint8_t *b)
{
    static const char brands[][5] = {"avif", "avis", "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"};
    for (size_t i = 0; i < sizeof brands / sizeof brands[0]; i++)
        if (memcmp(b, brands[i], 4) == 0)
            return 1;
    return 0;
}

const char *modellix_media_sniff(const uint8_t *d, size_t n)
{
    if (!d)
        return NULL;
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF)
        return "image/jpeg";
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return "image/gif";
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0) {
        if (memcmp(d + 8, "WEBP", 4) == 0)
            return "image/webp";
        if (memcmp(d + 8, "WAVE", 4) == 0)
            return "audio/wav";
        return NULL;
    }
    if (n >= 12 && memcmp(d + 4, "ftyp", 4) == 0)
        return image_brand(d + 8) ? NULL : "video/mp4";
    if (n >= 3 && memcmp(d, "ID3", 3) == 0)
        return "audio/mpeg";
    /* MPEG audio frame header: 11 sync bits, version != 01 (reserved), layer != 00 (reserved; ADTS AAC) */
    if (n >= 2 && d[0] == 0xFF && (d[1] & 0xE0) == 0xE0 && (d[1] & 0x18) != 0x08 && (d[1] & 0x06) != 0)
        return "audio/mpeg";
    return NULL;
}

static int valid_mime(const char *m)
{
    size_t n = strlen(m), slash = 0, at = 0;
    if (n == 0 || n > MIME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)m[i];
        if (c <= 0x20 || c >= 0x7F || c == ';' || c == ',')
            return 0;
        if (c == '/') {
            slash++;
            at = i;
        }
    }
    return slash == 1 && at > 0 && at + 1 < n;
}

static int encode(char **out, const uint8_t *data, size_t len, const char *mime)
{
    int overflow;
    size_t b64 = mx_base64_len(len, &overflow);
    size_t ml = strlen(mime);
    if (overflow)
        return MODELLIX_ETOOLARGE;
    size_t total = 5 + ml + 8 + b64 + 1; /* "data:" mime ";base64," payload NUL; bounded by the input limit */
    char *s = malloc(total);
    if (!s)
        return MODELLIX_ENOMEM;
    memcpy(s, "data:", 5);
    memcpy(s + 5, mime, ml);
    memcpy(s + 5 + ml, ";base64,", 8);
    mx_base64_encode(s + 5 + ml + 8, data, len);
    *out = s;
    return MODELLIX_OK;
}

static int pick_mime(const uint8_t *data, size_t len, const char *mime, const char **use)
{
    if (mime) {
        if (!valid_mime(mime))
            return MODELLIX_EINVAL;
        *use = mime;
        return MODELLIX_OK;
    }
    *use = modellix_media_sniff(data, len);
    return *use ? MODELLIX_OK : MODELLIX_EINVAL; /* cannot tell the media type; pass mime */
}

int modellix_data_uri_from_bytes(char **out, const uint8_t *data, size_t len, const char *mime)
{
    if (!out)
        return MODELLIX_EINVAL;
    *out = NULL;
    if (!data && len)
        return MODELLIX_EINVAL;
    if (len > MODELLIX_DATA_URI_MAX_INPUT)
        return MODELLIX_ETOOLARGE;
    const char *use;
    int rc = pick_mime(data, len, mime, &use);
    if (rc != MODELLIX_OK)
        return rc;
    return encode(out, data, len, use);
}

/* Read the whole of an open regular file, at most `max` bytes (ETOOLARGE beyond). */
static int read_all(int fd, size_t hint, size_t max, uint8_t **buf_out, size_t *len_out)
{
    size_t cap = (hint < max ? hint : max) + 1, len = 0; /* +1 notices a file that grew */
    uint8_t *buf = malloc(cap);
    if (!buf)
        return MODELLIX_ENOMEM;
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                free(buf);
                return MODELLIX_ETOOLARGE;
            }
            size_t ncap = cap > max / 2 ? max + 1 : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return MODELLIX_ENOMEM;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            errno = e;
            return MODELLIX_EIO;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > max) {
        free(buf);
        return MODELLIX_ETOOLARGE;
    }
    *buf_out = buf;
    *len_out = len;
    return MODELLIX_OK;
}

int modellix_data_uri_from_file(char **out, const char *path, const char *mime)
{
    if (!out)
        return MODELLIX_EINVAL;
    *out = NULL;
    if (!path || !*path || (mime && !valid_mime(mime)))
        return MODELLIX_EINVAL;
    /* Look before opening: opening a FIFO or a device can block or have side effects. */
    struct stat st;
    if (stat(path, &st) != 0)
        return MODELLIX_EIO;
    if (!S_ISREG(st.st_mode))
        return MODELLIX_EINVAL;
    if ((uintmax_t)st.st_size > MODELLIX_DATA_URI_MAX_INPUT)
        return MODELLIX_ETOOLARGE;
    /* O_NONBLOCK: should the path have been swapped for a FIFO meanwhile, open does not wait for a writer. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return MODELLIX_EIO;
    int rc;
    if (fstat(fd, &st) != 0) {
        rc = MODELLIX_EIO;
    } else if (!S_ISREG(st.st_mode)) {
        rc = MODELLIX_EINVAL;
    } else if ((uintmax_t)st.st_size > MODELLIX_DATA_URI_MAX_INPUT) {
        rc = MODELLIX_ETOOLARGE;
    } else {
        uint8_t *buf = NULL;
        size_t len = 0;
        rc = read_all(fd, (size_t)st.st_size, MODELLIX_DATA_URI_MAX_INPUT, &buf, &len);
        if (rc == MODELLIX_OK) {
            const char *use;
            rc = pick_mime(buf, len, mime, &use);
            if (rc == MODELLIX_OK)
                rc = encode(out, buf, len, use);
            free(buf);
        }
    }
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}
