/**
 * @file modellix/media.h
 * @brief Input media (images, video, audio) as base64 data: URIs for request bodies.
 *
 * Models that take an input image, video or audio accept a URL or a data: URI in the request body
 * (for example "image" or "first_frame_image"). These helpers build the data: URI from bytes or from
 * a local file:
 *
 *     char *uri;
 *     if (modellix_data_uri_from_file(&uri, "fox.png", NULL) == MODELLIX_OK) {
 *         ... put uri into the JSON body given to modellix_task_submit() ...
 *         modellix_free(uri);
 *     }
 *
 * The URI is about 4/3 the size of the input. Inputs are limited to ::MODELLIX_DATA_URI_MAX_INPUT
 * bytes so that a request body holding one URI stays within the 64 MiB request limit.
 *
 * These functions need no client: their errors are reported by the return code only (there is no
 * object to hold a message). They keep no state and are safe to call from any thread at any time.
 */
#ifndef MODELLIX_MEDIA_H
#define MODELLIX_MEDIA_H

#include "common.h"

MODELLIX_BEGIN_DECLS

/**
 * The largest input, in bytes, that modellix_data_uri_from_bytes() and modellix_data_uri_from_file()
 * accept: 48 MiB less 1 KiB (50,330,624 bytes). Its data: URI is at most 67,107,768 bytes, which
 * leaves at least 1 KiB of the 64 MiB (67,108,864 byte) request limit for the rest of the body.
 */
#define MODELLIX_DATA_URI_MAX_INPUT 50330624

/**
 * Guess the media type of some bytes from their first bytes ("magic numbers").
 *
 * Recognised: PNG ("image/png"), JPEG ("image/jpeg"), WebP ("image/webp": RIFF....WEBP), GIF
 * ("image/gif": GIF87a or GIF89a), MP4 ("video/mp4": an ftyp box at offset 4, except the image
 * brands of HEIF/AVIF, which give NULL), WAV ("audio/wav": RIFF....WAVE), MP3 ("audio/mpeg": an ID3
 * tag, or an MPEG audio frame header with a valid version and layer).
 *
 * @param data the bytes (at least the first 12 are looked at); may be NULL when @p len is 0.
 * @param len  the number of bytes at @p data.
 * @return a static MIME type string, or NULL if the type is not recognised. Thread-safe.
 * @since 1.0
 */
MODELLIX_API const char *modellix_media_sniff(const uint8_t *data, size_t len);

/**
 * Encode bytes as a data: URI, "data:<mime>;base64,<base64>" (RFC 2397; RFC 4648 standard alphabet
 * with '=' padding, no line breaks).
 *
 * @param[out] out receives the URI, NUL-terminated (release with modellix_free()), or NULL on error.
 * @param data     the bytes, copied; may be NULL when @p len is 0.
 * @param len      their number, at most ::MODELLIX_DATA_URI_MAX_INPUT.
 * @param mime     the media type, copied, e.g. "image/png": "type/subtype", at most 255 characters
 *                 of printable ASCII with no space, ';' or ',' (no parameters). NULL means: guess it
 *                 with modellix_media_sniff().
 * @return ::MODELLIX_OK; ::MODELLIX_EINVAL (@p out NULL, @p data NULL with @p len > 0, a malformed
 *         @p mime, or @p mime NULL and the type cannot be told from the bytes: pass @p mime);
 *         ::MODELLIX_ETOOLARGE (@p len over the limit); ::MODELLIX_ENOMEM. Thread-safe.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_data_uri_from_bytes(char **out, const uint8_t *data, size_t len,
                                                                const char *mime);

/**
 * Read a local file and encode it as a data: URI, as modellix_data_uri_from_bytes() does.
 *
 * Only regular files are read (symbolic links to them are followed): a directory, FIFO, socket or
 * device is refused without being read. The size is checked from the file's metadata before any
 * byte is read, and again while reading (a file that grows past the limit is refused).
 *
 * @param[out] out receives the URI (release with modellix_free()), or NULL on error.
 * @param path     the file's path, copied.
 * @param mime     as for modellix_data_uri_from_bytes(); NULL means: guess it from the file's first
 *                 bytes.
 * @return ::MODELLIX_OK; ::MODELLIX_EINVAL (@p out or @p path NULL, not a regular file, a malformed
 *         @p mime, or a type that cannot be guessed); ::MODELLIX_ETOOLARGE (larger than
 *         ::MODELLIX_DATA_URI_MAX_INPUT); ::MODELLIX_EIO (the file could not be found, opened or
 *         read: errno is left as the failing system call set it, so strerror(errno) tells why);
 *         ::MODELLIX_ENOMEM. Thread-safe.
 * @since 1.0
 */
MODELLIX_API MODELLIX_NODISCARD int modellix_data_uri_from_file(char **out, const char *path, const char *mime);

MODELLIX_END_DECLS

#endif /* MODELLIX_MEDIA_H */
